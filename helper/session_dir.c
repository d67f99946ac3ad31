#include <dirent.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include "fdio.h"
#include "proctime.h"
#include "protocol.h"
#include "rmsession.h"
#include "session_dir.h"
#include "sweep.h"
#include "valid.h"
#include "wipe.h"

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

static int check_private_dir(int fd, uid_t uid, const char *what, char *err, size_t errlen)
{
    struct stat st;

    if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s is not a folder: ask the admin to remove it", what);
        return -1;
    }
    if (st.st_uid != uid || (st.st_mode & 077) != 0) {
        snprintf(err, errlen, "%s is not private to uid %u (owner %u, mode %03o): ask the "
                 "admin to remove it", what, (unsigned)uid, (unsigned)st.st_uid,
                 (unsigned)(st.st_mode & 0777));
        return -1;
    }
    return 0;
}

int sd_open_user_dir(const char *run_dir, uid_t uid, char *err, size_t errlen)
{
    int fd = par_user_dir_open(run_dir, uid), saved = errno;

    if (fd < 0)
        snprintf(err, errlen, "cannot open %s/%u: %s; it must be a folder of uid %u, mode "
                 "0700, not a link: ask the admin to remove it", run_dir, (unsigned)uid,
                 errno == EPERM ? "wrong owner or mode" : strerror(errno), (unsigned)uid);
    errno = saved;
    return fd;
}

int sd_create_session(int user_fd, char *id, char *err, size_t errlen)
{
    unsigned char rnd[SD_ID_LEN / 2];
    int fd;

    if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
        snprintf(err, errlen, "no randomness for a session name: %s", strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < sizeof(rnd); i++)
        snprintf(id + 2 * i, 3, "%02x", rnd[i]);
    if (mkdirat(user_fd, id, 0700) != 0) {
        snprintf(err, errlen, "cannot create the session folder: %s", strerror(errno));
        return -1;
    }
    if ((fd = openat(user_fd, id, DIR_FLAGS)) < 0) {
        snprintf(err, errlen, "cannot open the session folder: %s", strerror(errno));
        return -1;
    }
    return fd;
}

int sd_open_session(int user_fd, const char *id, char *err, size_t errlen)
{
    int fd;

    if (!par_valid_session_id(id)) {
        snprintf(err, errlen, "not a session folder name: %.64s", id);
        return -1;
    }
    if ((fd = openat(user_fd, id, DIR_FLAGS)) < 0) {
        snprintf(err, errlen, "cannot open the session folder %s: %s", id, strerror(errno));
        return -1;
    }
    if (check_private_dir(fd, geteuid(), "the session folder", err, errlen) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int sd_write_file(int dir_fd, const char *name, const char *data, size_t len)
{
    char tmp[128];
    unsigned int r = 0;
    int fd, rc;

    if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
        return -1;
    snprintf(tmp, sizeof(tmp), ".%s.%08x", name, r);
    fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    rc = par_write_all(fd, data, len);
    if (close(fd) != 0)
        rc = -1;
    if (rc == 0)
        rc = renameat(dir_fd, tmp, dir_fd, name);
    if (rc != 0) {
        int saved = errno ? errno : EIO;   /* the caller names this errno */

        unlinkat(dir_fd, tmp, 0);
        errno = saved;
    }
    return rc;
}

int sd_read_file(int dir_fd, const char *name, char *buf, size_t cap, size_t *len)
{
    struct stat st;
    size_t got = 0;
    int fd = openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        (size_t)st.st_size >= cap) {
        close(fd);
        return -1;
    }
    while (got + 1 < cap) {
        ssize_t n = read(fd, buf + got, cap - 1 - got);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    *len = got;
    return 0;
}

int sd_remove_session(int user_fd, const char *id)
{
    return par_rm_session_at(user_fd, id);
}

int sd_read_meta(int dir_fd, struct par_msg *meta)
{
    char *buf = malloc(PAR_META_MAX + 1);
    size_t len = 0;
    int rc = -1;

    memset(meta, 0, sizeof(*meta));
    if (buf == NULL)
        return -1;
    if (sd_read_file(dir_fd, "session", buf, PAR_META_MAX + 1, &len) == 0)
        rc = par_msg_parse_max(buf, len, PAR_META_MAX, meta);
    free(buf);
    return rc;
}

/* The dead session folders, as common/sweep.c judges them. */
int sd_sweep(int user_fd, const char *keep)
{
    return sd_sweep_some(user_fd, keep, 0, 0);
}

/* At most MAX_FOLDERS folders examined, for at most MAX_MS (0: no bound). */
int sd_sweep_some(int user_fd, const char *keep, long max_ms, long max_folders)
{
    struct par_sweep result;

    return par_sweep_dead(user_fd, keep, max_folders > 0 ? (unsigned)max_folders : 0,
                          max_ms > 0 ? par_now_ms() + max_ms : 0, &result);
}

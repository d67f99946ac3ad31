#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "rmsession.h"

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static int unlink_entries(int dir_fd)
{
    char buf[4096] __attribute__((aligned(8)));
    int rc = 0;

    for (;;) {
        long n = syscall(SYS_getdents64, dir_fd, buf, sizeof(buf));

        if (n < 0)
            return -1;
        if (n == 0)
            return rc;
        for (long off = 0; off < n;) {
            struct linux_dirent64 *e = (struct linux_dirent64 *)(buf + off);

            off += e->d_reclen;
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            /* Without AT_REMOVEDIR, unlinkat never follows a link and refuses folders. */
            if (unlinkat(dir_fd, e->d_name, 0) != 0 && errno != ENOENT)
                rc = -1;
        }
    }
}

int par_rm_session_at(int user_fd, const char *id)
{
    int fd = openat(user_fd, id, DIR_FLAGS), rc;

    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        /* A link or a file in the folder's place: remove that entry only. */
        return (errno == ELOOP || errno == ENOTDIR) ? unlinkat(user_fd, id, 0) : -1;
    }
    rc = unlink_entries(fd);
    close(fd);
    if (unlinkat(user_fd, id, AT_REMOVEDIR) != 0 && errno != ENOENT)
        rc = -1;
    return rc;
}

/* Decimal UID into buf[12], without stdio. */
static void uid_name(uid_t uid, char buf[12])
{
    char tmp[12];
    size_t n = 0;

    do {
        tmp[n++] = (char)('0' + uid % 10);
        uid /= 10;
    } while (uid > 0 && n < sizeof(tmp));
    for (size_t i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
}

int par_user_dir_open(const char *run_dir, uid_t uid)
{
    char name[12];
    struct stat st;
    int top, fd;

    if ((top = open(run_dir, DIR_FLAGS)) < 0)
        return -1;
    uid_name(uid, name);
    fd = openat(top, name, DIR_FLAGS);
    close(top);
    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || st.st_uid != uid || (st.st_mode & 07777) != 0700) {
        close(fd);
        errno = EPERM;
        return -1;
    }
    return fd;
}

int par_rm_session(const char *run_dir, uid_t uid, const char *id)
{
    int fd = par_user_dir_open(run_dir, uid), rc;

    if (fd < 0)
        return -1;
    rc = par_rm_session_at(fd, id);
    close(fd);
    return rc;
}

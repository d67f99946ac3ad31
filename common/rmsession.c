#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>   /* renameat only: no stdio is used */
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include "fdio.h"
#include "rmsession.h"

#define DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

#define MANIFEST "session"
#define LOCK_FILE ".lock"
#define ENDED_TMP ".session.ended"
#define RMDIR_TRIES 5

static int is_kept_for_last(const char *name)
{
    return strcmp(name, MANIFEST) == 0 || strcmp(name, LOCK_FILE) == 0;
}

/* Every file but the manifest and the lock; a writer's late file makes a
 * second pass (ENOTEMPTY) necessary. */
static int unlink_entries(int dir_fd)
{
    char buf[4096] __attribute__((aligned(8)));
    int rc = 0;

    if (lseek(dir_fd, 0, SEEK_SET) < 0)
        return -1;
    for (;;) {
        long n = syscall(SYS_getdents64, dir_fd, buf, sizeof(buf));

        if (n < 0)
            return -1;
        if (n == 0)
            return rc;
        for (long off = 0; off < n;) {
            struct linux_dirent64 *e = (struct linux_dirent64 *)(buf + off);

            off += e->d_reclen;
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
                is_kept_for_last(e->d_name))
                continue;
            /* Without AT_REMOVEDIR, unlinkat never follows a link and refuses folders. */
            if (unlinkat(dir_fd, e->d_name, 0) != 0 && errno != ENOENT)
                rc = -1;
        }
    }
}

/* Credentials first, the manifest after them, the lock last: a folder is
 * never left holding credentials without a manifest. */
static int remove_folder(int user_fd, const char *id, int fd)
{
    int rc = 0;

    for (int tries = 0; tries < RMDIR_TRIES; tries++) {
        rc = unlink_entries(fd);
        if (unlinkat(fd, MANIFEST, 0) != 0 && errno != ENOENT)
            rc = -1;
        if (unlinkat(fd, LOCK_FILE, 0) != 0 && errno != ENOENT)
            rc = -1;
        if (unlinkat(user_fd, id, AT_REMOVEDIR) == 0 || errno == ENOENT)
            return rc;
        if (errno != ENOTEMPTY && errno != EEXIST)
            return -1;
    }
    return -1;
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
    rc = remove_folder(user_fd, id, fd);
    close(fd);
    return rc;
}

static long long monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The session lock, exclusive, within WAIT_MS; -1 when it cannot be had
 * (close then goes on without it: logout wins). */
static int take_lock(int dir_fd, uid_t uid, long wait_ms)
{
    const struct timespec pause = { 0, 5 * 1000 * 1000 };
    long long deadline = monotonic_ms() + wait_ms;
    struct stat st;
    int fd = openat(dir_fd, LOCK_FILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

    if (fd < 0)
        return -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != uid) {
        close(fd);
        return -1;
    }
    while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        if ((errno != EWOULDBLOCK && errno != EINTR) || monotonic_ms() >= deadline) {
            close(fd);
            return -1;
        }
        nanosleep(&pause, NULL);
    }
    return fd;
}

/* Adds "ended=1" to the manifest (temporary file, then rename), so a
 * writer that gets the lock after close stops before calling STS. */
static int mark_ended(int dir_fd)
{
    static const char ended[] = "ended=1\nend\n";
    char buf[PAR_RM_META_MAX + sizeof(ended)];
    ssize_t len = 0, n;
    int fd = openat(dir_fd, MANIFEST, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), rc;

    if (fd < 0)
        return errno == ENOENT ? 0 : -1;
    while (len < PAR_RM_META_MAX && (n = read(fd, buf + len, (size_t)(PAR_RM_META_MAX - len))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        len += n;
    }
    close(fd);
    if (len < 4 || len >= PAR_RM_META_MAX || memcmp(buf + len - 4, "end\n", 4) != 0 ||
        memmem(buf, (size_t)len, "\nended=", 7) != NULL)
        return 0;   /* not a manifest to extend, or already ended */
    memcpy(buf + len - 4, ended, sizeof(ended) - 1);
    len += (ssize_t)sizeof(ended) - 1 - 4;
    unlinkat(dir_fd, ENDED_TMP, 0);
    fd = openat(dir_fd, ENDED_TMP, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    rc = par_write_all(fd, buf, (size_t)len);
    if (close(fd) != 0 || rc != 0 || renameat(dir_fd, ENDED_TMP, dir_fd, MANIFEST) != 0) {
        unlinkat(dir_fd, ENDED_TMP, 0);
        return -1;
    }
    return 0;
}

int par_end_session(const char *run_dir, uid_t uid, const char *id, long lock_wait_ms)
{
    int user_fd = par_user_dir_open(run_dir, uid), fd, lock, rc;

    if (user_fd < 0)
        return -1;
    fd = openat(user_fd, id, DIR_FLAGS);
    if (fd < 0) {
        rc = par_rm_session_at(user_fd, id);
        close(user_fd);
        return rc;
    }
    lock = take_lock(fd, uid, lock_wait_ms);
    mark_ended(fd);
    rc = remove_folder(user_fd, id, fd);
    if (lock >= 0)
        close(lock);   /* releases it: a waiter finds the lock file unlinked */
    close(fd);
    close(user_fd);
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

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include "session_lock.h"

static const char ended[] =
    "this login has ended: its session folder was removed at logout; log in again";

static long long monotonic_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int sd_folder_removed(int dir_fd)
{
    struct stat st;

    return fstat(dir_fd, &st) != 0 || st.st_nlink == 0;
}

/*
 * The lock file: created by whoever needs it first, a regular file of ours.
 * Read-only is enough for flock, and still opens on a folder that became
 * read-only after STS answered (what was issued must still be kept).
 */
static int open_lock_file(int dir_fd, char *err, size_t errlen)
{
    struct stat st;
    int fd = openat(dir_fd, SD_LOCK_NAME, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

    if (fd < 0) {
        if (errno == ENOENT || sd_folder_removed(dir_fd))
            snprintf(err, errlen, "%s", ended);
        else
            snprintf(err, errlen, "cannot open the session lock %s: %s: log in again",
                     SD_LOCK_NAME, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 077) != 0) {
        close(fd);
        snprintf(err, errlen, "the session lock %s is not a private file of yours: log in "
                 "again", SD_LOCK_NAME);
        return -1;
    }
    return fd;
}

/* flock with LOCK_NB in a loop: never waits past the deadline. */
static int lock_until(int fd, int how, long long deadline)
{
    const struct timespec pause = { 0, 5 * 1000 * 1000 };

    for (;;) {
        if (flock(fd, how | LOCK_NB) == 0)
            return 0;
        if (errno != EWOULDBLOCK && errno != EINTR)
            return -1;
        if (monotonic_ms() >= deadline) {
            errno = ETIMEDOUT;
            return -1;
        }
        nanosleep(&pause, NULL);
    }
}

int sd_lock(int dir_fd, int how, long deadline_ms, char *err, size_t errlen)
{
    long long deadline = monotonic_ms() + deadline_ms;
    struct stat st;
    int fd = open_lock_file(dir_fd, err, errlen);

    if (fd < 0)
        return -1;
    if (lock_until(fd, how, deadline) != 0) {
        if (errno == ETIMEDOUT)
            snprintf(err, errlen, "the session is busy: another pam-assume-role held its lock "
                     "for %.1f s; try again", (double)deadline_ms / 1000);
        else
            snprintf(err, errlen, "cannot lock the session (%s/%s: %s): log in again",
                     "SESSION", SD_LOCK_NAME, strerror(errno));
        close(fd);
        return -1;
    }
    /* Close removes the folder while holding the lock: whoever gets it next
     * finds the folder, or at least the lock file, unlinked. */
    if (sd_folder_removed(dir_fd) || fstat(fd, &st) != 0 || st.st_nlink == 0) {
        snprintf(err, errlen, "%s", ended);
        close(fd);
        return -1;
    }
    return fd;
}

void sd_unlock(int fd)
{
    if (fd < 0)
        return;
    flock(fd, LOCK_UN);
    close(fd);
}

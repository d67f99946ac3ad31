#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "proctime.h"
#include "session_lock.h"

static int open_lock_file(int dir_fd, char *err, size_t errlen)
{
    struct stat st;
    int fd = openat(dir_fd, ".lock", O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

    if (fd < 0) {
        snprintf(err, errlen, "cannot open the session's .lock: %s", strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
        snprintf(err, errlen, "the session's .lock is not a file of yours: log in again");
        close(fd);
        return -1;
    }
    return fd;
}

int sd_lock(int dir_fd, int how, long deadline_ms, char *err, size_t errlen)
{
    long long end = par_now_ms() + (deadline_ms > 0 ? deadline_ms : 0);
    struct timespec nap = { 0, 10 * 1000 * 1000 };
    int fd = open_lock_file(dir_fd, err, errlen);

    while (fd >= 0 && flock(fd, how | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            snprintf(err, errlen, "cannot lock the session's .lock: %s", strerror(errno));
            close(fd);
            return -1;
        }
        if (par_now_ms() >= end) {
            snprintf(err, errlen, "the session is busy (its lock not had within %ld ms): "
                     "try again", deadline_ms);
            close(fd);
            return -1;
        }
        nanosleep(&nap, NULL);
    }
    return fd;
}

void sd_unlock(int fd)
{
    if (fd >= 0)
        close(fd);  /* closing the only descriptor releases the flock */
}

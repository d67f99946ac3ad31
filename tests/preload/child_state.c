/*
 * LD_PRELOAD shim for tests: when the module's child opens the person's key
 * store ("key-store"), appends that process's state to $PAR_CHILD_STATE_FILE:
 * "uid=N dumpable=N core_soft=N core_hard=N". Then opens as asked.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

static void record_state(void)
{
    const char *path = getenv("PAR_CHILD_STATE_FILE");
    struct rlimit core;
    char line[160];
    int fd, n;

    if (path == NULL || getrlimit(RLIMIT_CORE, &core) != 0)
        return;
    n = snprintf(line, sizeof(line), "uid=%u dumpable=%d core_soft=%llu core_hard=%llu\n",
                 (unsigned)getuid(), prctl(PR_GET_DUMPABLE, 0, 0, 0, 0),
                 (unsigned long long)core.rlim_cur, (unsigned long long)core.rlim_max);
    fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd >= 0) {
        (void)!write(fd, line, (size_t)n);
        close(fd);
    }
}

int openat(int dirfd, const char *name, int flags, ...)
{
    mode_t mode = 0;

    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;

        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    if (strcmp(name, "key-store") == 0)
        record_state();
    return (int)syscall(SYS_openat, dirfd, name, flags, mode);
}

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tracer.h"

long par_tracer_pid_of(const char *status_text)
{
    const char *p = strstr(status_text, "\nTracerPid:");
    char *end;
    long pid;

    if (p == NULL)
        return -1;
    p += strlen("\nTracerPid:");
    pid = strtol(p, &end, 10);
    if (end == p || (*end != '\n' && *end != '\0') || pid < 0)
        return -1;
    return pid;
}

static long own_tracer_pid(void)
{
    char buf[4096];
    size_t n = 0;
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -1;
    while (n + 1 < sizeof(buf)) {
        ssize_t got = read(fd, buf + n, sizeof(buf) - 1 - n);

        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        n += (size_t)got;
    }
    close(fd);
    buf[n] = '\0';
    return par_tracer_pid_of(buf);
}

int par_refuse_if_traced(char *err, size_t errlen)
{
    long tracer = own_tracer_pid();

    if (tracer == 0)
        return 0;
    if (tracer < 0)
        snprintf(err, errlen, "cannot read /proc/self/status to check that no debugger is "
                 "attached, so no MFA code is read: mount /proc on this host");
    else
        snprintf(err, errlen, "process %ld is tracing pam-assume-role, so no MFA code is "
                 "read or sent: run it without a debugger or strace", tracer);
    return -1;
}

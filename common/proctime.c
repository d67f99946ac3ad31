#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "proctime.h"

long long par_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long par_process_start(pid_t pid)
{
    char path[64], buf[1024], *p;
    long long start = -1;
    size_t len = 0;
    int fd;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    len = (size_t)n;
    buf[len] = '\0';
    /* Fields after the command name, which may hold spaces and ')'. */
    if ((p = strrchr(buf, ')')) == NULL)
        return -1;
    p++;
    for (int field = 3; field <= 22 && p != NULL; field++) {
        p = strchr(p + 1, ' ');
        if (field == 21 && p != NULL)
            start = strtoll(p + 1, NULL, 10);
    }
    return start;
}

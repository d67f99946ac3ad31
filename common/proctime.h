/* Time: a monotonic clock for deadlines, and a process's start time. */
#ifndef PAR_PROCTIME_H
#define PAR_PROCTIME_H

#include <sys/types.h>

/* Milliseconds on CLOCK_MONOTONIC. */
long long par_now_ms(void);

/* Start time of PID in clock ticks (/proc/PID/stat field 22), or -1. With
 * the pid, it names a process uniquely: a session's login process. */
long long par_process_start(pid_t pid);

#endif

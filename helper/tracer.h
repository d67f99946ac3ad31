/*
 * A process of the person that attached to the helper before it made
 * itself non-dumpable (a debugger, or PTRACE_TRACEME before exec) could
 * read the MFA code: the helper checks that no tracer is attached before it
 * reads one, and refuses otherwise.
 */
#ifndef PAR_TRACER_H
#define PAR_TRACER_H

#include <stddef.h>

/* The TracerPid line of a /proc/PID/status text: the tracer, 0, or -1. */
long par_tracer_pid_of(const char *status_text);

/* 0 when this process is not traced; else -1 and one line in err. */
int par_refuse_if_traced(char *err, size_t errlen);

#endif

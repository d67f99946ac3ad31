/* Filling a caller's error buffer: one line, printf-style. */
#ifndef PAR_ERRMSG_H
#define PAR_ERRMSG_H

#include <stddef.h>

/* Writes the message into ERR (ERRLEN bytes); nothing when ERR is NULL or ERRLEN 0. */
void par_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif

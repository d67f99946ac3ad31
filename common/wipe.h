/* Wiping memory that held a secret (MFA code, secret key, session token). */
#ifndef PAR_WIPE_H
#define PAR_WIPE_H

#include <stddef.h>
#include <string.h>

static inline void par_wipe(void *p, size_t n)
{
    if (p != NULL && n > 0)
        explicit_bzero(p, n);
}

/* Wipes a NUL-terminated string and frees it. */
void par_free_secret(char *s);

#endif

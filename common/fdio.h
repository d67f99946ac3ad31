/* Whole writes on a descriptor, for every file the module and the helper
 * write (system calls only: safe in the module's forked children). */
#ifndef PAR_FDIO_H
#define PAR_FDIO_H

#include <stddef.h>

/* Writes all LEN bytes (retrying after EINTR); 0, or -1 with errno set. */
int par_write_all(int fd, const void *data, size_t len);

#endif

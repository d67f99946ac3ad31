/*
 * The session lock: flock on SESSION/.lock (0600, the person's), taken
 * exclusive by writers and shared by readers, always with a deadline.
 */
#ifndef PAR_SESSION_LOCK_H
#define PAR_SESSION_LOCK_H

#include <stddef.h>
#include <sys/file.h>

/* Takes HOW (LOCK_EX or LOCK_SH) on DIR_FD's .lock, waiting at most
 * DEADLINE_MS; returns the lock's fd, or -1 with why in err. */
int sd_lock(int dir_fd, int how, long deadline_ms, char *err, size_t errlen);
/* Releases a lock taken by sd_lock (fd < 0: nothing). */
void sd_unlock(int fd);

#endif

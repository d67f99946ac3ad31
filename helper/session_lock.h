/*
 * The session lock: flock on SESSION/.lock (0600, the person's, never a
 * link). Writers (pam-open, refresh, renewals, close) hold LOCK_EX for a
 * whole read-modify-write; readers (status, env, exec, credential-process
 * while nothing is due) hold LOCK_SH. Every wait has a deadline.
 */
#ifndef PAR_SESSION_LOCK_H
#define PAR_SESSION_LOCK_H

#include <stddef.h>

#define SD_LOCK_NAME ".lock"
#define SD_LOCK_WAIT_MS 5000        /* commands wait at most this long */

/*
 * Takes the lock of the session folder DIR_FD: HOW is LOCK_SH or LOCK_EX,
 * waiting at most DEADLINE_MS milliseconds from now. Returns the lock's
 * descriptor, or -1 with a one-line reason in err: the folder was removed
 * (the login has ended), the lock file is not ours, or it stayed busy.
 */
int sd_lock(int dir_fd, int how, long deadline_ms, char *err, size_t errlen);

/* Releases and closes a lock from sd_lock (a negative fd is ignored). */
void sd_unlock(int fd);

/* True when the folder behind DIR_FD has been removed (logout). */
int sd_folder_removed(int dir_fd);

#endif

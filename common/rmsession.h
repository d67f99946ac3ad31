/*
 * Opening RUN_DIR/UID and removing a session folder RUN_DIR/UID/ID as the
 * person, never following a link. Only system calls (no malloc, no stdio): safe in a child forked from
 * any host process, threaded or not.
 */
#ifndef PAR_RMSESSION_H
#define PAR_RMSESSION_H

#include <sys/types.h>

/* Removes ID's files and ID itself under the open folder USER_FD; a link
 * or file in ID's place is removed itself. 0, or -1 with errno set. */
int par_rm_session_at(int user_fd, const char *id);

/* Opens RUN_DIR/UID: a folder, not a link, owned by UID, mode 0700. The
 * descriptor, or -1 (errno set). */
int par_user_dir_open(const char *run_dir, uid_t uid);

/* The largest manifest close extends with "ended=1" (PAR_META_MAX). */
#define PAR_RM_META_MAX (64 * 1024)

/*
 * Logout: takes SESSION/.lock (LOCK_EX, at most LOCK_WAIT_MS; without it
 * after that), adds "ended=1" to the manifest, then removes the folder:
 * credentials first, the manifest, the lock last, retrying on ENOTEMPTY.
 */
int par_end_session(const char *run_dir, uid_t uid, const char *id, long lock_wait_ms);

/* Removes ID in RUN_DIR/UID (par_user_dir_open's checks). */
int par_rm_session(const char *run_dir, uid_t uid, const char *id);

#endif

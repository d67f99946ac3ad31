/*
 * Which session folders under RUN_DIR/UID are dead, and removing them, as
 * the person (never as root). Only system calls (no malloc, no stdio): safe
 * in a child forked from any host process, as the module's close is.
 *
 * A folder is dead when
 *  - its manifest ("session") says ended=1 (close began and did not finish);
 *  - its manifest names a login process (session_pid, session_start) that
 *    is gone;
 *  - it has no manifest naming one and is older than PAR_SWEEP_SETUP_GRACE
 *    seconds: its creator writes the manifest within milliseconds, so it
 *    has exited.
 * A dead folder whose session lock (SESSION/.lock) is held by anyone is
 * kept for the next sweep: a writer or a close is still at work in it.
 */
#ifndef PAR_SWEEP_H
#define PAR_SWEEP_H

#define PAR_SWEEP_SETUP_GRACE 5     /* seconds */
#define PAR_SWEEP_LOCK_NAME ".lock"

enum par_session_state {
    PAR_SESSION_LIVE,      /* its login process runs and it has not ended */
    PAR_SESSION_DEAD,      /* see above; removable */
    PAR_SESSION_BUSY,      /* being set up, or dead but its lock is held */
};

struct par_sweep {
    unsigned examined;     /* session folders looked at */
    unsigned removed;
    unsigned failed;       /* dead, but could not be removed */
    int cut_short;         /* stopped at the count or the deadline */
};

/* The state of session folder ID under USER_FD; for a live one, the start
 * time (clock ticks) of its login process goes to *login_start. */
enum par_session_state par_session_state(int user_fd, const char *id, long long *login_start);

/*
 * Removes the dead session folders under USER_FD, but not KEEP (may be
 * NULL); looks at most MAX_EXAMINED folders (0: no limit) and stops at
 * DEADLINE_MS on par_now_ms()'s clock (0: none). Returns the number removed,
 * or -1 when USER_FD cannot be read (errno set); details in *out.
 */
int par_sweep_dead(int user_fd, const char *keep, unsigned max_examined,
                   long long deadline_ms, struct par_sweep *out);

#endif

/*
 * An open session for the commands run inside it (cmd_session.c,
 * cmd_status.c, cmd_refresh.c): its folder, its lock (session_lock.h) and
 * its manifest as read under that lock.
 */
#ifndef PAR_SESSION_CMD_H
#define PAR_SESSION_CMD_H

#include <stddef.h>
#include "protocol.h"
#include "session_meta.h"
#include "valid.h"

struct session {
    char path[PAR_MAX_PATH];
    struct par_session_path where;  /* path's RUN_DIR, UID and ID */
    int fd;
    int lock;                     /* sd_lock's descriptor, or -1 */
    struct par_msg meta;
    int gone;                     /* its login has ended: the folder is gone or ending */
    int from_hook;                /* asked by the profile hook: renewals get hook_timeout_ms */
};

extern const char no_credentials_yet[];

/* The folder, then its lock (LOCK_SH or LOCK_EX), then its manifest. */
int session_open(struct session *s, const char *dir, int how, char *err, size_t errlen);
/* (Re)takes the lock as HOW within WAIT_MS and reads the manifest again. */
int session_lock(struct session *s, int how, long wait_ms, char *err, size_t errlen);
void session_close(struct session *s);
/* Value WHAT_I of environment I in the manifest (env, role, region, ...). */
const char *meta_env(const struct session *s, size_t i, const char *what);
/* Index of environment NAME in the session, or -1. */
int find_env(const struct session *s, const char *name);
int is_session_strategy(const struct session *s);
/*
 * The current credentials of environment WANTED (strategy session: renewed
 * from the MFA session when due; direct: refused once expired), its index
 * in *idx. Clear them with par_creds_clear.
 */
struct par_creds;
int env_creds(struct session *s, const char *wanted, struct par_creds *c, int *idx,
              char *err, size_t errlen);
/* One line "pam-assume-role: ERR" on stderr; returns 1. */
int fail(const char *err);
/* Takes "--session DIR" off the front of the arguments. */
const char *session_arg(int *argc, char ***argv);

#endif

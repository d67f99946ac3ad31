/*
 * Checks of a session's metadata ("session", written by the helper or the
 * module, but a file its owner can rewrite): every value a command uses or
 * prints must fit its character set first.
 */
#ifndef PAR_SESSION_META_H
#define PAR_SESSION_META_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "protocol.h"
#include "session_dir.h"
#include "valid.h"

/* True when S fits a session folder's path: absolute, printable, no quote
 * or space, shorter than PAR_MAX_PATH. */
bool par_valid_session_path(const char *s);

/* A session folder's path, RUN_DIR/UID/ID as the module makes it (ID: 32
 * lowercase hex digits), in its parts. */
struct par_session_path {
    char run_dir[PAR_MAX_PATH];
    uid_t uid;
    char id[SD_ID_LEN + 1];
};

/* Splits DIR into *g; -1 when DIR is not of that exact form. */
int par_split_session_path(const char *dir, struct par_session_path *g);

/*
 * 0 when every known value of META fits: strategy, default, config,
 * session_name, session_pid, session_start, mfa_expiration and each
 * environment's env_N, role_N, region_N, duration_N, expiration_N. Else -1
 * with the first key that does not fit in bad_key.
 */
int par_meta_check(const struct par_msg *meta, char *bad_key, size_t bad_len);

#endif

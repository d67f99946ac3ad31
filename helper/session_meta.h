/*
 * Checks of a session's metadata ("session", written by the helper or the
 * module, but a file its owner can rewrite): every value a command uses or
 * prints must fit its character set first.
 */
#ifndef PAR_SESSION_META_H
#define PAR_SESSION_META_H

#include <stdbool.h>
#include <stddef.h>
#include "protocol.h"

/* True when S fits a session folder's path: absolute, printable, no quote
 * or space, shorter than PAR_MAX_PATH. */
bool par_valid_session_path(const char *s);

/*
 * 0 when every known value of META fits: strategy, default, config,
 * session_name, session_pid, session_start, mfa_expiration and each
 * environment's env_N, role_N, region_N, duration_N, expiration_N. Else -1
 * with the first key that does not fit in bad_key.
 */
int par_meta_check(const struct par_msg *meta, char *bad_key, size_t bad_len);

#endif

/*
 * What a session folder holds, rendered from the login's results:
 *   env          shell exports for the default environment (sourceable)
 *   credentials  AWS shared-credentials format, one profile per environment
 *   config       AWS config: regions; credential_process profiles (session)
 *   session      our metadata (protocol.h format): who, which login process,
 *                strategy, environments, roles, expirations
 *   mfa-session  the MFA session's credentials (session strategy only)
 *   role-ENV     each role's current credentials (session strategy only)
 * Every value is checked against its character set before it is written,
 * and single-quoted in env; a value that does not fit is an error.
 */
#ifndef PAR_SESSION_FILES_H
#define PAR_SESSION_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include "login.h"

struct par_session_info {
    const char *user;
    const char *dir;               /* the session folder's full path */
    const char *helper;            /* absolute path of this program */
    const char *config_path;
    long long session_pid;
    long long session_start;
    bool session_strategy;
    const char *default_env;
    bool keep_env_file;            /* the default's credentials did not change */
};

/* Writes every file of the session into DIR_FD, the manifest "session" last;
 * the caller holds the session lock (session_lock.h). Returns 0 or -1 (the
 * file and why in err). */
int par_session_write(int dir_fd, const struct par_session_info *info,
                      const struct par_login *l, char *err, size_t errlen);

/* The metadata's keys: version, user, session_pid, session_start, strategy,
 * default, config, session_name, mfa_expiration; env_N, role_N, region_N,
 * duration_N, expiration_N for each environment. */
#define SD_META_FIXED_KEYS   9
#define SD_META_KEYS_PER_ENV 5

/* Renders the metadata "session" into buf; -1 if it does not fit. */
int par_render_meta(char *buf, size_t cap, const struct par_session_info *info,
                    const struct par_login *l);

/* Renders the env file for one environment into buf; -1 if a value does not fit. */
int par_render_env(char *buf, size_t cap, const struct par_login_env *e, const char *dir,
                   bool renews);

/* Replaces role-ENV (session strategy) with renewed credentials. */
int par_write_role_file(int dir_fd, const char *env, const struct par_creds *c);

/* Reads profile SECTION of an INI file of ours (credentials, role-ENV,
 * mfa-session) in DIR_FD into *c; -1 when absent or invalid. */
int par_read_creds_file(int dir_fd, const char *file, const char *section,
                        struct par_creds *c);

/* par_read_creds_file, and when a value is outside its character set (or
 * too long), *BAD_KEY names it as the file does (aws_session_token,
 * expires, ...); NULL otherwise. */
int par_read_creds_file_checked(int dir_fd, const char *file, const char *section,
                                struct par_creds *c, const char **bad_key);

/* Checks every field of a set of credentials (common/valid.h). */
bool par_creds_valid(const struct par_creds *c);

#endif

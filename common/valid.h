/*
 * Character-set and length checks for every value that crosses a trust
 * boundary: STS answers, the helper's report, the session files. A value
 * that does not fit is an error, never something to escape around.
 */
#ifndef PAR_VALID_H
#define PAR_VALID_H

#include <stdbool.h>

#define PAR_MAX_ACCESS_KEY_ID 128
#define PAR_MAX_SECRET_KEY    128
#define PAR_MAX_SESSION_TOKEN 4096
#define PAR_MAX_ARN           2048
#define PAR_MAX_REGION        32
#define PAR_MAX_ENV_NAME      32
#define PAR_MAX_SESSION_NAME  64
#define PAR_MAX_PROFILE_NAME  64    /* an AWS CLI profile name */
#define PAR_MAX_PATH          256
#define PAR_MAX_MESSAGE       512   /* a message or log line, NUL included */
#define PAR_USED_CODE_WINDOW  120   /* seconds a sent code's hash is kept (.used-codes) */

bool par_valid_mfa_code(const char *s);        /* exactly six ASCII digits */
bool par_valid_access_key_id(const char *s);   /* [A-Z0-9]{16,128} */
bool par_valid_secret_key(const char *s);      /* [A-Za-z0-9/+=]{16,128} */
bool par_valid_session_token(const char *s);   /* base64 alphabet, 16..4096 */
bool par_valid_arn(const char *s);             /* arn:PARTITION:SERVICE:... printable, no quotes */
bool par_valid_role_arn(const char *s);        /* arn:aws*:iam::123456789012:role/NAME */
bool par_valid_mfa_serial(const char *s);      /* ARN of an MFA device, or a hardware serial */
bool par_valid_region(const char *s);          /* e.g. eu-west-1 */
bool par_valid_env_name(const char *s);        /* [a-z0-9_-]{1,32}, starts alnum */
bool par_valid_iso8601(const char *s);         /* YYYY-MM-DDTHH:MM:SS[.fff]Z */
bool par_valid_session_name(const char *s);    /* [\w+=,.@-]{2,64} */
bool par_valid_profile_name(const char *s);    /* [A-Za-z0-9_.@+=,-]{1,64} */
bool par_valid_request_id(const char *s);      /* [A-Za-z0-9-]{1,64} */
bool par_valid_session_id(const char *s);      /* [a-f0-9]{16,64}: our session folder name */
/* One printable line, < PAR_MAX_MESSAGE: no C0 or C1 control, no DEL, no
 * malformed UTF-8 (C1: U+0080..U+009F, which terminals obey like ESC). */
bool par_valid_message(const char *s);
/* Drops from S, in place, what par_valid_message refuses (tab, CR and LF
 * become spaces): what is left can be shown on a terminal. */
void par_clean_line(char *s);

#endif

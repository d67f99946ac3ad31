/* The helper's report, checked value by value before anything is exported. */
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "module.h"
#include "valid.h"

bool par_session_dir_valid(const char *dir, const char *run_dir, uid_t uid)
{
    char prefix[PAR_MAX_PATH + 32];
    int n = snprintf(prefix, sizeof(prefix), "%s/%u/", run_dir, (unsigned)uid);

    if (dir == NULL || n < 0 || (size_t)n >= sizeof(prefix) || strlen(dir) > PAR_MAX_PATH ||
        strncmp(dir, prefix, (size_t)n) != 0)
        return false;
    return par_valid_session_id(dir + n);
}

struct par_check {
    const char *key;
    bool (*valid)(const char *);
    size_t offset;
};

static bool valid_env(const char *s)
{
    return par_valid_env_name(s);
}

#define AT(field) offsetof(struct par_report, field)
static const struct par_check par_credential_checks[] = {
    { "environment", valid_env, AT(environment) },
    { "role_arn", par_valid_role_arn, AT(role_arn) },
    { "AWS_ACCESS_KEY_ID", par_valid_access_key_id, AT(access_key_id) },
    { "AWS_SECRET_ACCESS_KEY", par_valid_secret_key, AT(secret_key) },
    { "AWS_SESSION_TOKEN", par_valid_session_token, AT(session_token) },
    { "AWS_REGION", par_valid_region, AT(region) },
    { "AWS_CREDENTIAL_EXPIRATION", par_valid_iso8601, AT(expiration) },
};
#undef AT

static int check_credentials(const struct par_msg *msg, const char *run_dir, uid_t uid,
                             struct par_report *r, char *why, size_t cap)
{
    for (size_t i = 0; i < sizeof(par_credential_checks) / sizeof(par_credential_checks[0]); i++) {
        const struct par_check *c = &par_credential_checks[i];
        const char *value = par_msg_get(msg, c->key);

        if (!c->valid(value)) {
            snprintf(why, cap, "%s %s", c->key, value == NULL ? "missing" : "malformed");
            return -1;
        }
        *(const char **)((char *)r + c->offset) = value;
    }
    r->session_dir = par_msg_get(msg, "session_dir");
    if (!par_session_dir_valid(r->session_dir, run_dir, uid)) {
        snprintf(why, cap, "session_dir missing or not %s/%u/SESSIONID", run_dir, (unsigned)uid);
        return -1;
    }
    return 0;
}

int par_report_check(const struct par_msg *msg, bool with_credentials, const char *run_dir,
                     uid_t uid, struct par_report *r, char *why, size_t cap)
{
    const char *status = par_msg_get(msg, "status");

    memset(r, 0, sizeof(*r));
    if (status == NULL || (strcmp(status, "ok") != 0 && strcmp(status, "error") != 0)) {
        snprintf(why, cap, "status missing or not ok/error");
        return -1;
    }
    r->ok = strcmp(status, "ok") == 0;
    r->message = par_msg_get(msg, "message");
    r->log = par_msg_get(msg, "log");
    r->notice = par_msg_get(msg, "notice");
    if ((r->message != NULL && !par_valid_message(r->message)) ||
        (r->log != NULL && !par_valid_message(r->log)) ||
        (r->notice != NULL && !par_valid_message(r->notice))) {
        snprintf(why, cap, "message, log or notice is not one printable line");
        return -1;
    }
    if (r->ok && with_credentials)
        return check_credentials(msg, run_dir, uid, r, why, cap);
    return 0;
}

/*
 * The engine: one MFA code in, credentials for one or more environments out.
 *   direct:  AssumeRole(SerialNumber, TokenCode) for the one environment.
 *   session: GetSessionToken(SerialNumber, TokenCode), then AssumeRole for
 *            every environment in parallel, signed with the MFA session.
 * The code is sent in exactly one request and never again.
 */
#ifndef PAR_LOGIN_H
#define PAR_LOGIN_H

#include <stdbool.h>
#include <stddef.h>
#include "sts.h"

struct par_creds {
    char access_key_id[129];
    char secret_access_key[129];
    char *session_token;          /* malloc'd; wiped by par_creds_clear */
    char expiration[33];
};

struct par_login_env {
    /* in */
    const char *name;
    const char *role_arn;
    const char *region;           /* AWS_REGION for this environment */
    long duration;
    /* out */
    enum sts_status status;
    struct par_creds creds;
    char assumed_role_arn[2049];
    char request_id[65];
    char message[512];            /* when status != STS_OK */
};

struct par_login {
    /* in */
    struct sts_endpoint endpoint;
    long timeout_ms;              /* the whole budget, both steps */
    long long deadline_at;        /* CLOCK_MONOTONIC ms STS must be done by; 0: none */
    bool session_strategy;
    long session_duration;        /* GetSessionToken */
    const char *mfa_serial;
    const char *access_key_id;    /* the person's long-term keys */
    const char *secret_access_key;
    const char *session_token;    /* NULL normally */
    const char *session_name;
    const char *source_identity;  /* NULL: not sent */
    const struct sts_tag *tags;
    size_t n_tags;
    struct par_login_env *envs;
    size_t n_envs;
    /* out */
    struct par_creds mfa_session; /* session strategy */
    char mfa_request_id[65];
    char message[512];            /* first failure, for the person */
};

/* What STS may use now: timeout_ms, cut to deadline_at when that comes first. */
long par_login_budget(const struct par_login *l);

/* How many environments got credentials; the first of them, or NULL. */
size_t par_login_n_ok(const struct par_login *l);
const struct par_login_env *par_login_first_ok(const struct par_login *l);

/* Runs the strategy; returns 0 when every environment got credentials.
 * CODE is wiped as soon as the one request that carried it is over. */
int par_login_run(struct par_login *l, char *code);

/* AssumeRole for one environment signed with existing MFA-session
 * credentials (credential-process renewal); no code. */
int par_login_renew(struct par_login *l, const struct par_creds *mfa, struct par_login_env *env);

void par_creds_clear(struct par_creds *c);
void par_login_clear(struct par_login *l);
/* Copies the credentials of a successful STS answer. */
int par_creds_from_xml(struct par_creds *c, const struct sts_xml *x);

#endif

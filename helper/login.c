#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "proctime.h"
#include "login.h"
#include "wipe.h"

void par_creds_clear(struct par_creds *c)
{
    par_free_secret(c->session_token);
    par_wipe(c, sizeof(*c));
}

int par_creds_from_xml(struct par_creds *c, const struct sts_xml *x)
{
    par_creds_clear(c);
    if (x->session_token == NULL || (c->session_token = strdup(x->session_token)) == NULL)
        return -1;
    snprintf(c->access_key_id, sizeof(c->access_key_id), "%s", x->access_key_id);
    snprintf(c->secret_access_key, sizeof(c->secret_access_key), "%s", x->secret_access_key);
    snprintf(c->expiration, sizeof(c->expiration), "%s", x->expiration);
    return 0;
}

static void assume_call(const struct par_login *l, const struct par_login_env *e,
                        struct sts_call *c)
{
    memset(c, 0, sizeof(*c));
    c->action = STS_ASSUME_ROLE;
    c->role_arn = e->role_arn;
    c->session_name = l->session_name;
    c->duration = e->duration;
    c->source_identity = l->source_identity;
    c->tags = l->tags;
    c->n_tags = l->n_tags;
}

static void sign_with(struct sts_call *c, const char *ak, const char *sk, const char *token)
{
    c->access_key_id = ak;
    c->secret_access_key = sk;
    c->session_token = token;
}

/* Copies call I's outcome into environment I. */
static void take_result(struct par_login *l, struct par_login_env *e, struct sts_call *c)
{
    e->status = c->status;
    snprintf(e->request_id, sizeof(e->request_id), "%s", c->xml.request_id);
    if (c->status == STS_OK && par_creds_from_xml(&e->creds, &c->xml) == 0) {
        snprintf(e->assumed_role_arn, sizeof(e->assumed_role_arn), "%s", c->xml.assumed_role_arn);
        return;
    }
    if (c->status == STS_OK)
        e->status = STS_ERR_INTERNAL;
    sts_describe(c, &l->endpoint, e->message, sizeof(e->message));
    if (l->message[0] == '\0')
        snprintf(l->message, sizeof(l->message), "%s: %.400s", e->name, e->message);
}

long par_login_budget(const struct par_login *l)
{
    long long left = l->deadline_at - par_now_ms();

    if (l->deadline_at <= 0 || left >= l->timeout_ms)
        return l->timeout_ms;
    return left > 0 ? (long)left : 0;
}

size_t par_login_n_ok(const struct par_login *l)
{
    size_t n = 0;

    for (size_t i = 0; i < l->n_envs; i++)
        n += l->envs[i].status == STS_OK;
    return n;
}

const struct par_login_env *par_login_first_ok(const struct par_login *l)
{
    for (size_t i = 0; i < l->n_envs; i++)
        if (l->envs[i].status == STS_OK)
            return &l->envs[i];
    return NULL;
}

static int run_direct(struct par_login *l, char *code)
{
    struct sts_call c;
    int rc;

    assume_call(l, &l->envs[0], &c);
    c.serial_number = l->mfa_serial;
    c.token_code = code;
    sign_with(&c, l->access_key_id, l->secret_access_key, l->session_token);
    rc = sts_perform(&l->endpoint, &c, 1, par_login_budget(l));
    par_wipe(code, strlen(code));
    take_result(l, &l->envs[0], &c);
    sts_call_free(&c);
    return rc == 0 && l->envs[0].status == STS_OK ? 0 : -1;
}

static int get_session_token(struct par_login *l, char *code, long timeout_ms)
{
    struct sts_call c;
    int rc = -1;

    memset(&c, 0, sizeof(c));
    c.action = STS_GET_SESSION_TOKEN;
    c.duration = l->session_duration;
    c.serial_number = l->mfa_serial;
    c.token_code = code;
    sign_with(&c, l->access_key_id, l->secret_access_key, l->session_token);
    if (sts_perform(&l->endpoint, &c, 1, timeout_ms) == 0 &&
        par_creds_from_xml(&l->mfa_session, &c.xml) == 0)
        rc = 0;
    par_wipe(code, strlen(code));
    snprintf(l->mfa_request_id, sizeof(l->mfa_request_id), "%s", c.xml.request_id);
    if (rc != 0) {
        char why[400];

        sts_describe(&c, &l->endpoint, why, sizeof(why));
        snprintf(l->message, sizeof(l->message), "MFA session: %s", why);
        for (size_t i = 0; i < l->n_envs; i++)
            l->envs[i].status = c.status == STS_OK ? STS_ERR_INTERNAL : c.status;
    }
    sts_call_free(&c);
    return rc;
}

/* AssumeRole for every environment at once, signed with the MFA session. */
static int assume_all(struct par_login *l, const struct par_creds *mfa, struct par_login_env *envs,
                      size_t n, long timeout_ms)
{
    struct sts_call *calls = calloc(n, sizeof(*calls));
    int rc = 0;

    if (calls == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        assume_call(l, &envs[i], &calls[i]);
        sign_with(&calls[i], mfa->access_key_id, mfa->secret_access_key, mfa->session_token);
    }
    sts_perform(&l->endpoint, calls, n, timeout_ms);
    for (size_t i = 0; i < n; i++) {
        take_result(l, &envs[i], &calls[i]);
        if (envs[i].status != STS_OK)
            rc = -1;
        sts_call_free(&calls[i]);
    }
    free(calls);
    return rc;
}

int par_login_run(struct par_login *l, char *code)
{
    long long start = par_now_ms();
    long left;

    l->message[0] = '\0';
    if (l->n_envs == 0)
        return -1;
    if (!l->session_strategy)
        return run_direct(l, code);
    if (get_session_token(l, code, par_login_budget(l)) != 0)
        return -1;
    left = l->timeout_ms - (long)(par_now_ms() - start);
    if (left < 500)
        left = 500;
    if (l->deadline_at > 0 && left > l->deadline_at - par_now_ms())
        left = par_login_budget(l);  /* the deadline wins over the 500 ms floor */
    return assume_all(l, &l->mfa_session, l->envs, l->n_envs, left);
}

int par_login_renew(struct par_login *l, const struct par_creds *mfa, struct par_login_env *env)
{
    l->message[0] = '\0';
    return assume_all(l, mfa, env, 1, par_login_budget(l));
}

void par_login_clear(struct par_login *l)
{
    par_creds_clear(&l->mfa_session);
    for (size_t i = 0; i < l->n_envs; i++)
        par_creds_clear(&l->envs[i].creds);
}

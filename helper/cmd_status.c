/* status: what the session folder holds, and for how long. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "adopt.h"
#include "commands.h"
#include "context.h"
#include "json_out.h"
#include "session_cmd.h"
#include "session_files.h"
#include "session_lock.h"
#include "valid.h"

/* What the folder holds for environment I (role-ENV, or the credentials
 * file), or the manifest's login-time expiry when that is unreadable. */
struct env_state {
    char expiration[33];
    long long left;
    int renews;                   /* renewed on use: session strategy, MFA session alive */
};

static long long mfa_seconds_left(const struct session *s)
{
    const char *mfa = par_msg_get(&s->meta, "mfa_expiration");

    return mfa != NULL ? par_seconds_left(mfa) : -1;
}

static void env_state(const struct session *s, size_t i, struct env_state *st)
{
    const char *name = meta_env(s, i, "env");
    char file[64];
    struct par_creds c;

    snprintf(file, sizeof(file), is_session_strategy(s) ? "role-%s" : "credentials", name);
    if (par_read_creds_file(s->fd, file, name, &c) == 0)
        snprintf(st->expiration, sizeof(st->expiration), "%s", c.expiration);
    else
        snprintf(st->expiration, sizeof(st->expiration), "%s", meta_env(s, i, "expiration"));
    par_creds_clear(&c);
    st->left = par_seconds_left(st->expiration);
    st->renews = is_session_strategy(s) && mfa_seconds_left(s) > 60;
}

/* One environment's line; every value was checked by par_meta_check. */
static void status_line(const struct session *s, size_t i, const struct env_state *st)
{
    const char *env = meta_env(s, i, "env"), *role = meta_env(s, i, "role");
    char until[64];

    par_local_time(st->expiration, until, sizeof(until));
    if (st->left > 0)
        printf("%-12s %s  until %s (%lld min left)%s\n", env, role, until, st->left / 60,
               st->renews ? ", renews itself" : "");
    else
        printf("%-12s %s  EXPIRED at %s%s\n", env, role, until,
               st->renews ? " (renews at next use)" : ": run 'pam-assume-role refresh'");
}

/* Strategy session: the MFA session bounds every renewal. */
static void status_mfa_line(const struct session *s)
{
    const char *mfa = par_msg_get(&s->meta, "mfa_expiration");
    long long left = mfa_seconds_left(s);
    char until[64];

    if (!is_session_strategy(s) || mfa == NULL)
        return;
    par_local_time(mfa, until, sizeof(until));
    if (left > 60)
        printf("MFA session  until %s (%lld min left): roles renew themselves until then\n",
               until, left / 60);
    else
        printf("MFA session  ENDED at %s: nothing renews any more; run 'pam-assume-role "
               "refresh' with a new code\n", until);
}

static json_object *status_env_json(const struct session *s, size_t i, const struct env_state *st)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "environment", json_object_new_string(meta_env(s, i, "env")));
    json_object_object_add(o, "role_arn", json_object_new_string(meta_env(s, i, "role")));
    json_object_object_add(o, "expiration", json_object_new_string(st->expiration));
    json_object_object_add(o, "seconds_left", json_object_new_int64(st->left));
    json_object_object_add(o, "strategy",
                           json_object_new_string(is_session_strategy(s) ? "session" : "direct"));
    json_object_object_add(o, "renews", json_object_new_boolean(st->renews));
    return o;
}

static void status_mfa_json(json_object *top, const struct session *s)
{
    const char *mfa = s && is_session_strategy(s) ? par_msg_get(&s->meta, "mfa_expiration") : NULL;

    json_object_object_add(top, "mfa_session_expiration", mfa ? json_object_new_string(mfa) : NULL);
    json_object_object_add(top, "mfa_session_seconds_left",
                           mfa ? json_object_new_int64(mfa_seconds_left(s)) : NULL);
}

/* {"session": PATH or null, "mfa_session_expiration": ISO or null,
 *  "mfa_session_seconds_left": N or null, "environments": [...]} on stdout. */
static int print_status_json(const struct session *s)
{
    json_object *top = par_json_new_object(), *envs = json_object_new_array();
    struct env_state st;

    if (top == NULL) {
        json_object_put(envs);
        return -1;
    }
    json_object_object_add(top, "session", s ? json_object_new_string(s->path) : NULL);
    status_mfa_json(top, s);
    for (size_t i = 0; s != NULL && meta_env(s, i, "env") != NULL; i++) {
        env_state(s, i, &st);
        json_object_array_add(envs, status_env_json(s, i, &st));
    }
    json_object_object_add(top, "environments", envs);
    return par_json_print(STDOUT_FILENO, top, PAR_JSON_PRETTY);
}

/* Lines per environment; the number of environments that hold or can get
 * valid credentials without a new code. */
static int print_status_lines(const struct session *s, int json)
{
    struct env_state st;
    int usable = 0;
    size_t i;

    for (i = 0; meta_env(s, i, "env") != NULL; i++) {
        env_state(s, i, &st);
        usable += st.left > 0 || st.renews;
        if (!json)
            status_line(s, i, &st);
    }
    if (json)
        print_status_json(s);
    else if (i == 0)
        fprintf(stderr, "pam-assume-role: %s\n", no_credentials_yet);
    else
        status_mfa_line(s);
    return usable;
}

int par_cmd_status(int argc, char **argv)
{
    struct session s;
    char err[512];
    const char *dir = session_arg(&argc, &argv);
    int json = argc == 2 && strcmp(argv[1], "--json") == 0, usable;

    if (argc > 2 || (argc == 2 && !json))
        return fprintf(stderr, "usage: pam-assume-role status [--json]\n"), 2;
    if (session_open(&s, dir, LOCK_SH, err, sizeof(err)) != 0) {
        session_close(&s);
        if (json)
            print_status_json(NULL);
        return s.gone && !json ? par_adopt_offer(s.path) : fail(err);
    }
    usable = print_status_lines(&s, json);
    if (is_session_strategy(&s) && mfa_seconds_left(&s) <= 60)
        usable = 0;   /* the MFA session ended: nothing renews until a new code */
    session_close(&s);
    return usable > 0 && fflush(stdout) == 0 ? 0 : 1;
}

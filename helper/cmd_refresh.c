/* refresh: a new code, new credentials, merged into the session under its lock. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include "adopt.h"
#include "commands.h"
#include "context.h"
#include "prompt.h"
#include "session_cmd.h"
#include "session_files.h"
#include "session_lock.h"
#include "tracer.h"
#include "used_codes.h"
#include "valid.h"
#include "wipe.h"

/* refresh [--default ENV] [ENV...]: which environments, and the new default. */
struct refresh_args {
    char *envs[PAR_MAX_LOGIN_ENVS];
    size_t n;
    const char *default_env;      /* NULL: the session's default stays */
};

static int parse_refresh_args(int argc, char **argv, struct refresh_args *a)
{
    memset(a, 0, sizeof(*a));
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--default") == 0 && i + 1 < argc && a->default_env == NULL)
            a->default_env = argv[++i];
        else if (argv[i][0] == '-' || a->n >= PAR_MAX_LOGIN_ENVS)
            return -1;
        else
            a->envs[a->n++] = argv[i];
    }
    return 0;
}

/* The named environments, or every environment the session holds. */
static int refresh_envs(struct session *s, struct par_context *ctx, struct refresh_args *a,
                        char *err, size_t errlen)
{
    char *envs[PAR_MAX_LOGIN_ENVS];
    size_t n = 0;

    if (a->n > 0)
        return par_context_prepare_login(ctx, a->envs, a->n, err, errlen);
    for (size_t i = 0; i < PAR_MAX_LOGIN_ENVS && meta_env(s, i, "env") != NULL; i++)
        envs[n++] = (char *)meta_env(s, i, "env");
    return par_context_prepare_login(ctx, n ? envs : NULL, n, err, errlen);
}

/* Reads a code (never while traced); nothing is recorded yet. */
static int read_code(const struct par_context *ctx, char *code, size_t cap)
{
    char prompt[128], err[512];

    snprintf(prompt, sizeof(prompt), "AWS MFA code for %s: ", ctx->login.envs[0].name);
    if (par_refuse_if_traced(err, sizeof(err)) != 0)
        return fail(err);
    if (par_read_code(prompt, code, cap) != 0 || !par_valid_mfa_code(code)) {
        par_wipe(code, cap);
        return fail("the MFA code must be 6 digits from your MFA device");
    }
    return 0;
}

/* Takes the exclusive lock for the rest of the refresh (the manifest is
 * read again: the login has not ended), then claims the code as sent; 0
 * when it may be sent. The lock is held across the one STS call, so close
 * waits for the refresh to land (within its own deadline) and two
 * refreshes never interleave. */
static int lock_and_claim(struct session *s, const struct par_context *ctx, char *code,
                          size_t cap)
{
    char err[512];
    int rc;

    if (session_lock(s, LOCK_EX, SD_LOCK_WAIT_MS + ctx->cfg.timeout_ms, err, sizeof(err)) != 0) {
        par_wipe(code, cap);
        return fail(err);
    }
    rc = par_used_code_claim(ctx->run_dir, ctx->uid, code, err, sizeof(err));
    if (rc == PAR_USED_CODE_FREE)
        return 0;
    par_wipe(code, cap);
    return fail(rc == PAR_USED_CODE_SENT ? "this MFA code was already used and AWS accepts "
                "each code once: wait for the next code" : err);
}

/* The session after a refresh: every environment it held, with the
 * refreshed ones replaced by their new credentials. */
struct merged {
    struct par_login login;
    struct par_login_env envs[PAR_MAX_LOGIN_ENVS];
    bool loaded[PAR_MAX_LOGIN_ENVS];   /* credentials read from the folder: ours to wipe */
};

static const struct par_login_env *refreshed_env(const struct par_login *l, const char *name)
{
    for (size_t i = 0; i < l->n_envs; i++)
        if (strcmp(l->envs[i].name, name) == 0)
            return &l->envs[i];
    return NULL;
}

/* An environment the refresh left alone, as the folder holds it. */
static int keep_env(const struct session *s, size_t i, struct par_login_env *e)
{
    char file[64];

    e->name = meta_env(s, i, "env");
    e->role_arn = meta_env(s, i, "role");
    e->region = meta_env(s, i, "region");
    e->duration = strtol(meta_env(s, i, "duration"), NULL, 10);
    e->status = STS_OK;
    snprintf(file, sizeof(file), is_session_strategy(s) ? "role-%s" : "credentials", e->name);
    return par_read_creds_file(s->fd, file, e->name, &e->creds);
}

static int merge_envs(const struct session *s, const struct par_login *fresh, struct merged *m,
                      char *err, size_t errlen)
{
    size_t n = 0;
    bool same_strategy = is_session_strategy(s) == fresh->session_strategy;

    m->login = *fresh;
    for (size_t i = 0; same_strategy && meta_env(s, i, "env") != NULL; i++) {
        if (refreshed_env(fresh, meta_env(s, i, "env")) != NULL)
            continue;
        memset(&m->envs[n], 0, sizeof(m->envs[n]));
        if (keep_env(s, i, &m->envs[n]) == 0)
            m->loaded[n++] = true;   /* unreadable: dropped, as the manifest will say */
    }
    for (size_t i = 0; i < fresh->n_envs; i++) {
        if (n >= PAR_MAX_LOGIN_ENVS) {
            snprintf(err, errlen, "a session holds at most %d environments: refresh fewer",
                     PAR_MAX_LOGIN_ENVS);
            return -1;
        }
        m->envs[n++] = fresh->envs[i];
    }
    m->login.envs = m->envs;
    m->login.n_envs = n;
    return 0;
}

static void merged_clear(struct merged *m)
{
    for (size_t i = 0; i < PAR_MAX_LOGIN_ENVS; i++)
        if (m->loaded[i])
            par_creds_clear(&m->envs[i].creds);
}

/* The default after the refresh: --default, else the one the session had
 * (when it still holds it), else the first refreshed environment. */
static const char *new_default(const struct session *s, const struct merged *m,
                               const struct refresh_args *a, const struct par_login *fresh)
{
    const char *old = par_msg_get(&s->meta, "default");

    if (a->default_env != NULL)
        return refreshed_env(&m->login, a->default_env) ? a->default_env : NULL;
    if (old != NULL && refreshed_env(&m->login, old) != NULL)
        return old;
    return fresh->envs[0].name;
}

/* Under the exclusive lock (taken before the code was sent): merges the new
 * credentials into the session as it is now, and writes it, the manifest last. */
static int write_merged(struct session *s, struct par_context *ctx, const struct refresh_args *a,
                        const char **def, char *err, size_t errlen)
{
    struct merged m;
    const char *pid, *start, *old_default;
    int rc = -1;

    memset(&m, 0, sizeof(m));
    if (sd_folder_removed(s->fd)) {
        snprintf(err, errlen, "this login has ended while STS answered: the new credentials "
                 "were not kept; log in again");
        goto out;
    }
    if (merge_envs(s, &ctx->login, &m, err, errlen) != 0)
        goto out;
    if ((*def = new_default(s, &m, a, &ctx->login)) == NULL) {
        snprintf(err, errlen, "--default %.32s names no environment of this session: name it "
                 "among the environments to refresh", a->default_env);
        goto out;
    }
    pid = par_msg_get(&s->meta, "session_pid");
    start = par_msg_get(&s->meta, "session_start");
    old_default = par_msg_get(&s->meta, "default");
    struct par_session_info info = {
        .user = ctx->user, .dir = s->path, .helper = ctx->helper, .config_path = ctx->config_path,
        .session_pid = pid ? strtoll(pid, NULL, 10) : 0,
        .session_start = start ? strtoll(start, NULL, 10) : 0,
        .session_strategy = ctx->login.session_strategy, .default_env = *def,
        .keep_env_file = old_default != NULL && strcmp(old_default, *def) == 0 &&
                         refreshed_env(&ctx->login, *def) == NULL,
    };
    rc = par_session_write(s->fd, &info, &m.login, err, errlen);
out:
    merged_clear(&m);
    return rc;
}

/* One line: what was refreshed, and what the open shells do about it. */
static void say_refreshed(const struct par_login *fresh, const char *def)
{
    const struct par_login_env *e = refreshed_env(fresh, def);
    char until[64];

    if (e != NULL) {
        par_local_time(e->creds.expiration, until, sizeof(until));
        printf("AWS %s: %s until %s; open shells pick it up at their next prompt\n",
               e->name, e->role_arn, until);
        return;
    }
    e = &fresh->envs[0];
    par_local_time(e->creds.expiration, until, sizeof(until));
    printf("AWS %s: %s until %s%s; the shells stay on %s (use 'pam-assume-role exec %s -- CMD', "
           "or 'refresh --default %s')\n", e->name, e->role_arn, until,
           fresh->n_envs > 1 ? " (and the others named)" : "", def, e->name, e->name);
}

/* New code, new credentials, merged into the session under its lock. */
static int refresh(struct session *s, struct par_context *ctx, const struct refresh_args *a)
{
    char code[16], err[512];
    const char *def = NULL;
    int rc = 1;

    if (read_code(ctx, code, sizeof(code)) != 0 ||
        lock_and_claim(s, ctx, code, sizeof(code)) != 0)
        return 1;
    if (par_login_run(&ctx->login, code) != 0) {
        snprintf(err, sizeof(err), "%s; the credentials you had are unchanged",
                 ctx->login.message);
        fail(err);
    } else if (write_merged(s, ctx, a, &def, err, sizeof(err)) != 0) {
        fail(err);
    } else {
        say_refreshed(&ctx->login, def);
        rc = 0;
    }
    par_wipe(code, sizeof(code));
    return rc;
}

/* --default names an environment the session holds or the refresh gets:
 * checked before the code is read, so a typo spends no code. */
static bool default_known(const struct session *s, const struct par_login *fresh,
                          const struct refresh_args *a)
{
    return a->default_env == NULL || refreshed_env(fresh, a->default_env) != NULL ||
           find_env(s, a->default_env) >= 0;
}

int par_cmd_refresh(int argc, char **argv)
{
    struct session s;
    struct par_context ctx;
    struct refresh_args args;
    char err[512], config[PAR_MAX_PATH];
    const char *dir = session_arg(&argc, &argv);
    int rc;

    memset(&ctx, 0, sizeof(ctx));
    ctx.ask_keypass = 1;  /* a key store asks its passphrase before the code */
    if (parse_refresh_args(argc, argv, &args) != 0)
        return fprintf(stderr, "usage: pam-assume-role refresh [--default ENV] [ENV...]\n"), 2;
    if (session_open(&s, dir, LOCK_SH, err, sizeof(err)) != 0) {
        session_close(&s);
        return s.gone ? par_adopt_offer(s.path) : fail(err);
    }
    /* A copy: the manifest is read again under the lock before the write. */
    snprintf(config, sizeof(config), "%s", par_msg_get(&s.meta, "config") ?: PAR_CONFIG_PATH);
    if (par_context_load(&ctx, config, 0, err, sizeof(err)) != 0 ||
        refresh_envs(&s, &ctx, &args, err, sizeof(err)) != 0) {
        par_context_free(&ctx);
        session_close(&s);
        return fail(err);
    }
    if (!default_known(&s, &ctx.login, &args)) {
        par_context_free(&ctx);
        session_close(&s);
        return fail("--default names no environment of this session: name it among the "
                    "environments to refresh");
    }
    /* No lock while the person types the code: close must never wait for that. */
    sd_unlock(s.lock);
    s.lock = -1;
    rc = refresh(&s, &ctx, &args);
    par_context_free(&ctx);
    session_close(&s);
    return rc;
}

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "context.h"
#include "partition.h"
#include "resolve.h"
#include "template.h"
#include "wipe.h"

static time_t parse_iso(const char *iso)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    if (iso == NULL || strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
        return (time_t)-1;
    return timegm(&tm);
}

long long par_seconds_left(const char *iso)
{
    time_t t = parse_iso(iso);

    return t == (time_t)-1 ? 0 : (long long)(t - time(NULL));
}

void par_local_time(const char *iso, char *out, size_t outlen)
{
    time_t t = parse_iso(iso), now = time(NULL);
    struct tm when, today;

    if (t == (time_t)-1 || localtime_r(&t, &when) == NULL || localtime_r(&now, &today) == NULL) {
        snprintf(out, outlen, "%s", iso ? iso : "?");
        return;
    }
    strftime(out, outlen, (when.tm_yday == today.tm_yday && when.tm_year == today.tm_year)
                              ? "%H:%M %Z" : "%a %d %b %H:%M %Z", &when);
}

static int find_person(struct par_context *ctx, char *err, size_t errlen)
{
    struct passwd pw, *res = NULL;
    char buf[4096];

    ctx->uid = getuid();
    if (getpwuid_r(ctx->uid, &pw, buf, sizeof(buf), &res) != 0 || res == NULL) {
        snprintf(err, errlen, "uid %u has no account entry: ask the admin", (unsigned)ctx->uid);
        return -1;
    }
    if (strlen(pw.pw_name) >= sizeof(ctx->user) || strlen(pw.pw_dir) >= sizeof(ctx->home)) {
        snprintf(err, errlen, "account name or home folder too long");
        return -1;
    }
    snprintf(ctx->user, sizeof(ctx->user), "%s", pw.pw_name);
    snprintf(ctx->home, sizeof(ctx->home), "%s", pw.pw_dir);
    ctx->gid = pw.pw_gid;
    return 0;
}

static void find_self(struct par_context *ctx)
{
    ssize_t n = readlink("/proc/self/exe", ctx->helper, sizeof(ctx->helper) - 1);

    if (n <= 0)
        snprintf(ctx->helper, sizeof(ctx->helper), "%s", PAR_HELPER_PATH);
    else
        ctx->helper[n] = '\0';
}

static void set_endpoint(struct par_context *ctx)
{
    const struct par_config *c = &ctx->cfg;
    struct sts_endpoint *ep = &ctx->login.endpoint;

    /* The config checked region, so the derived URL always fits; on the
     * impossible failure the URL is "" and the STS request fails with it. */
    if (c->sts_endpoint != NULL)
        snprintf(ctx->endpoint_url, sizeof(ctx->endpoint_url), "%s", c->sts_endpoint);
    else
        (void)par_sts_url(c->region, ctx->endpoint_url, sizeof(ctx->endpoint_url));
    ep->url = ctx->endpoint_url;
    ep->region = c->region;
    ep->ca_file = c->ca_file;
    ep->ca_path = c->ca_path;
    ep->proxy = c->proxy;
    ep->connect_timeout_ms = c->connect_timeout_ms;
    ep->max_response_bytes = c->max_response_bytes;
    ctx->login.timeout_ms = c->timeout_ms;
    ctx->login.session_strategy = c->strategy == PAR_STRATEGY_SESSION;
    ctx->login.session_duration = c->session_duration;
}

int par_context_load(struct par_context *ctx, const char *config_path, unsigned flags,
                     char *err, size_t errlen)
{
    ctx->config_path = config_path;
    if (find_person(ctx, err, errlen) != 0)
        return -1;
    if (par_config_load(config_path, flags, &ctx->cfg, err, errlen) != 0)
        return -1;
    snprintf(ctx->run_dir, sizeof(ctx->run_dir), "%s",
             ctx->cfg.run_dir ? ctx->cfg.run_dir : PAR_RUN_DIR);
    find_self(ctx);
    set_endpoint(ctx);
    return 0;
}

static int add_env(struct par_context *ctx, size_t i, const char *name, char *err, size_t errlen)
{
    struct par_target t;
    struct par_login_env *e = &ctx->envs[i];

    memset(&t, 0, sizeof(t));
    if (par_resolve_target(&ctx->cfg, ctx->user, ctx->home, name, &t, err, errlen) != 0)
        return -1;
    ctx->env_strings[i][0] = t.environment, t.environment = NULL;
    ctx->env_strings[i][1] = t.role_arn, t.role_arn = NULL;
    ctx->env_strings[i][2] = t.region, t.region = NULL;
    e->name = ctx->env_strings[i][0];
    e->role_arn = ctx->env_strings[i][1];
    e->region = ctx->env_strings[i][2];
    e->duration = t.duration;
    if (i == 0)
        snprintf(ctx->mfa_serial, sizeof(ctx->mfa_serial), "%s", t.mfa_serial);
    par_target_free(&t);
    return 0;
}

static int set_names_and_tags(struct par_context *ctx, char *err, size_t errlen)
{
    struct par_template_vars v = {
        .user = ctx->user, .environment = ctx->envs[0].name, .rhost = ctx->rhost,
        .service = ctx->service, .now = time(NULL),
    };

    if (par_session_name(ctx->cfg.session_name, &v, ctx->session_name) != 0) {
        snprintf(err, errlen, "%s: session_name does not expand: fix it (check-config)",
                 ctx->config_path);
        return -1;
    }
    ctx->login.session_name = ctx->session_name;
    ctx->login.source_identity = ctx->cfg.source_identity ? ctx->user : NULL;
    for (size_t i = 0; i < ctx->cfg.n_tags && i < 16; i++) {
        char value[257];

        if (par_expand_template(ctx->cfg.tags[i].value, &v, value, sizeof(value)) != 0 ||
            (ctx->tag_values[i] = strdup(value[0] ? value : "-")) == NULL) {
            snprintf(err, errlen, "%s: tag %s does not expand: fix it (check-config)",
                     ctx->config_path, ctx->cfg.tags[i].key);
            return -1;
        }
        ctx->tags[i] = (struct sts_tag){ ctx->cfg.tags[i].key, ctx->tag_values[i] };
        ctx->login.n_tags = i + 1;
    }
    ctx->login.tags = ctx->tags;
    return 0;
}

int par_context_prepare_login(struct par_context *ctx, char *const *envs, size_t n,
                              char *err, size_t errlen)
{
    if (envs == NULL || n == 0) {
        envs = ctx->cfg.login_environments;
        n = ctx->cfg.n_login_environments;
    }
    if (n == 0 || n > PAR_MAX_LOGIN_ENVS) {
        snprintf(err, errlen, "%s: no environment to log in to: set login_environments",
                 ctx->config_path);
        return -1;
    }
    if (n > 1 && !ctx->login.session_strategy) {
        snprintf(err, errlen, "strategy \"direct\" takes one environment per MFA code: name one, "
                 "or ask the admin for strategy \"session\"");
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (add_env(ctx, i, envs[i], err, errlen) != 0)
            return -1;
    ctx->login.envs = ctx->envs;
    ctx->login.n_envs = n;
    ctx->login.mfa_serial = ctx->mfa_serial;
    if (par_context_source_keys(ctx, err, errlen) != 0)
        return -1;
    ctx->login.access_key_id = ctx->keys.access_key_id;
    ctx->login.secret_access_key = ctx->keys.secret_access_key;
    ctx->login.session_token = ctx->keys.session_token;
    return set_names_and_tags(ctx, err, errlen);
}

void par_context_free(struct par_context *ctx)
{
    par_login_clear(&ctx->login);
    par_source_keys_free(&ctx->keys);
    for (size_t i = 0; i < PAR_MAX_LOGIN_ENVS; i++)
        for (size_t j = 0; j < 3; j++)
            free(ctx->env_strings[i][j]);
    for (size_t i = 0; i < 16; i++)
        free(ctx->tag_values[i]);
    par_config_free(&ctx->cfg);
    par_wipe(ctx->keypass_buf, sizeof(ctx->keypass_buf));
    memset(ctx, 0, sizeof(*ctx));
}

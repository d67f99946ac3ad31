/*
 * pam-assume-role console [--session DIR] [ENV] [--destination URL]
 *                         [--duration SECONDS] [--stdout]
 *
 * A sign-in link for the AWS console, for the role session this login
 * holds: the environment's credentials (as 'env' gets them) go to the
 * federation endpoint's getSigninToken (federation.h), and the Action=login
 * URL with the token is printed as one line. The link is a bearer
 * credential for 15 minutes: it goes only to a terminal (or where --stdout
 * says), never to syslog, a file or the environment.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/file.h>
#include <curl/curl.h>
#include "commands.h"
#include "context.h"
#include "fdio.h"
#include "federation.h"
#include "partition.h"
#include "session_cmd.h"
#include "valid.h"
#include "wipe.h"

#define DESTINATION_MAX 1024

static const char usage_line[] =
    "usage: pam-assume-role console [--session DIR] [ENV] [--destination URL] "
    "[--duration SECONDS] [--stdout]\n";

static const char not_a_terminal[] =
    "the sign-in link is a password for 15 minutes: it is printed only to a terminal; "
    "add --stdout to print it into a pipe";

struct console_opts {
    const char *dir;
    const char *env;
    const char *destination;
    long duration;                /* 0: not asked */
    int to_stdout;
};

/* What the link is made of, besides the token. */
struct console_target {
    char env[PAR_MAX_ENV_NAME + 1];
    char role[2049];
    char signin_url[512];
    char destination[DESTINATION_MAX + 1];
};

static int parse_duration(const char *v, long *out)
{
    char *end;
    long n = strtol(v, &end, 10);

    if (*v == '\0' || *end != '\0' || n < PAR_SIGNIN_DURATION_MIN || n > PAR_SIGNIN_DURATION_MAX)
        return -1;
    *out = n;
    return 0;
}

/* 0, 2 for a usage error, 1 for a bad --duration (said why). */
static int parse_options(int argc, char **argv, struct console_opts *o)
{
    memset(o, 0, sizeof(*o));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;

        if (strcmp(a, "--session") == 0 && has_value)
            o->dir = argv[++i];
        else if (strcmp(a, "--destination") == 0 && has_value)
            o->destination = argv[++i];
        else if (strcmp(a, "--duration") == 0 && has_value) {
            if (parse_duration(argv[++i], &o->duration) != 0)
                return fail("--duration takes seconds from 900 to 43200 (15 min to 12 h)");
        } else if (strcmp(a, "--stdout") == 0)
            o->to_stdout = 1;
        else if (a[0] != '-' && o->env == NULL) {
            if (!par_valid_env_name(a))
                return fail("ENV is an environment name of the session (letters, digits, "
                            "- and _): see 'pam-assume-role status'");
            o->env = a;
        }
        else
            return fprintf(stderr, "%s", usage_line), 2;
    }
    return 0;
}

static void log_failure(const char *user, const char *env, const char *why)
{
    syslog(LOG_NOTICE, "console link refused: person=%s env=%s: %s", user, env ? env : "-", why);
}

/* One line, said and logged; returns 1. */
static int refuse(const char *user, const char *env, const char *why)
{
    char line[PAR_MAX_MESSAGE];

    snprintf(line, sizeof(line), "%s", why);
    par_clean_line(line);
    log_failure(user, env, line);
    return fail(line);
}

static int printable_no_space(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if (*p <= 0x20 || *p >= 0x7f)
            return 0;
    return 1;
}

/* "https://HOST" of URL into OUT; -1 when URL is not https://HOST[/...]. */
static int url_origin(const char *url, char *out, size_t outlen)
{
    const char *host, *end;

    if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
        return -1;
    host = strstr(url, "://") + 3;
    end = host + strcspn(host, "/?#");
    if (end == host || memchr(host, '@', (size_t)(end - host)) != NULL ||
        (size_t)(end - url) >= outlen)
        return -1;
    memcpy(out, url, (size_t)(end - url));
    out[end - url] = '\0';
    return 0;
}

static const char bad_destination[] =
    "--destination takes an https:// URL or a path on the console host starting with / "
    "(such as /cloudwatch/home), without spaces, at most 1024 characters";

static int partition_unknown(const char *region, char *err, size_t errlen)
{
    snprintf(err, errlen, "the AWS partition of region %s has no public sign-in endpoint known "
             "to pam_assume_role: ask the admin to set signin_endpoint and console_destination "
             "in the config", region);
    return -1;
}

/* --destination, else the config's console_destination, else the region's console home. */
static int pick_destination(const struct par_config *cfg, const char *region, const char *arg,
                            char *out, size_t outlen, char *err, size_t errlen)
{
    char base[DESTINATION_MAX + 1], origin[DESTINATION_MAX + 1];

    if (cfg->console_destination != NULL)
        snprintf(base, sizeof(base), "%s", cfg->console_destination);
    else if (par_console_home(region, base, sizeof(base)) != 0)
        return partition_unknown(region, err, errlen);
    if (arg == NULL) {
        snprintf(out, outlen, "%s", base);
        return 0;
    }
    if (strlen(arg) > DESTINATION_MAX || !printable_no_space(arg) ||
        (strncmp(arg, "https://", 8) != 0 && (arg[0] != '/' || arg[1] == '/')) ||
        (arg[0] != '/' && url_origin(arg, origin, sizeof(origin)) != 0)) {
        snprintf(err, errlen, "%s", bad_destination);
        return -1;
    }
    if (arg[0] != '/') {
        snprintf(out, outlen, "%s", arg);
        return 0;
    }
    if (url_origin(base, origin, sizeof(origin)) != 0 ||
        strlen(origin) + strlen(arg) >= outlen) {
        snprintf(err, errlen, "%s", bad_destination);
        return -1;
    }
    snprintf(out, outlen, "%s%s", origin, arg);
    return 0;
}

static int pick_signin_url(const struct par_config *cfg, const char *region,
                           char *out, size_t outlen, char *err, size_t errlen)
{
    if (cfg->signin_endpoint != NULL) {
        snprintf(out, outlen, "%s", cfg->signin_endpoint);
        return 0;
    }
    if (par_signin_url(region, out, outlen) != 0)
        return partition_unknown(region, err, errlen);
    return 0;
}

/* SIGNIN?Action=login&Issuer=..&Destination=..&SigninToken=.., malloc'd: par_free_secret it. */
static char *login_url(const struct console_target *t, const char *token)
{
    CURL *e = curl_easy_init();
    char *dest = e ? curl_easy_escape(e, t->destination, 0) : NULL;
    char *tok = e ? curl_easy_escape(e, token, 0) : NULL;
    char *url = NULL;
    size_t n;

    if (dest != NULL && tok != NULL) {
        n = strlen(t->signin_url) + strlen(dest) + strlen(tok) + 96;
        if ((url = malloc(n)) != NULL)
            snprintf(url, n, "%s?Action=login&Issuer=pam_assume_role&Destination=%s&SigninToken=%s",
                     t->signin_url, dest, tok);
    }
    if (tok != NULL)
        par_wipe(tok, strlen(tok));
    curl_free(tok);
    curl_free(dest);
    if (e != NULL)
        curl_easy_cleanup(e);
    return url;
}

/* Asks for the token and prints the link; 0, or 1 after saying why. */
static int sign_in(struct par_context *ctx, const struct console_target *t,
                   const struct par_creds *c, long duration)
{
    struct par_signin_request r;
    struct sts_endpoint ep = ctx->login.endpoint;
    char why[PAR_MAX_MESSAGE], host[DESTINATION_MAX + 1];
    char *url;
    int rc = 1;

    memset(&r, 0, sizeof(r));
    ep.url = t->signin_url;
    r.ep = &ep;
    r.timeout_ms = ctx->cfg.timeout_ms;
    r.access_key_id = c->access_key_id;
    r.secret_access_key = c->secret_access_key;
    r.session_token = c->session_token ? c->session_token : "";
    r.session_duration = duration;
    if (par_signin_token_get(&r) != 0) {
        par_signin_describe(&r, why, sizeof(why));
        par_signin_clear(&r);
        return refuse(ctx->user, t->env, why);
    }
    url = login_url(t, r.token);
    par_signin_clear(&r);
    if (url == NULL)
        return refuse(ctx->user, t->env, "out of memory building the link: try again");
    /* Straight to the descriptor: no stdio buffer keeps a copy of the link. */
    if (par_write_all(STDOUT_FILENO, url, strlen(url)) == 0 &&
        par_write_all(STDOUT_FILENO, "\n", 1) == 0)
        rc = 0;
    par_free_secret(url);
    if (url_origin(t->destination, host, sizeof(host)) != 0)
        snprintf(host, sizeof(host), "-");
    if (rc == 0)
        syslog(LOG_INFO, "console link issued: person=%s env=%s role=%s destination=%s",
               ctx->user, t->env, t->role, strstr(host, "://") ? strstr(host, "://") + 3 : host);
    else
        log_failure(ctx->user, t->env, "cannot write the link to stdout");
    return rc;
}

/* Config, endpoint and destination for environment IDX of the open session. */
static int prepare(struct session *s, int idx, const struct console_opts *o,
                   struct par_context *ctx, struct console_target *t, char *err, size_t errlen)
{
    const char *config = par_msg_get(&s->meta, "config");
    const char *region = meta_env(s, (size_t)idx, "region");
    const char *role = meta_env(s, (size_t)idx, "role");

    snprintf(t->role, sizeof(t->role), "%s", role ? role : "-");
    if (region == NULL || !par_valid_region(region)) {
        snprintf(err, errlen, "the session's region is outside its character set: log in again");
        return -1;
    }
    if (par_context_load(ctx, config ? config : PAR_CONFIG_PATH, 0, err, errlen) != 0)
        return -1;
    if (pick_signin_url(&ctx->cfg, region, t->signin_url, sizeof(t->signin_url), err, errlen) != 0)
        return -1;
    return pick_destination(&ctx->cfg, region, o->destination, t->destination,
                            sizeof(t->destination), err, errlen);
}

static const char chained_duration[] =
    "--duration works only with strategy direct: this session's role credentials are chained "
    "from its MFA session (strategy session), and AWS refuses SessionDuration for role "
    "chaining; leave --duration out (the console session then lasts as AWS decides, at most "
    "1 h)";

/* With the session open: the credentials, then the link. */
static int console_in_session(struct session *s, const struct console_opts *o, const char *user)
{
    struct par_context ctx;
    struct console_target t;
    struct par_creds c;
    char err[PAR_MAX_MESSAGE];
    const char *name = o->env ? o->env : par_msg_get(&s->meta, "default");
    int idx, rc;

    memset(&ctx, 0, sizeof(ctx));
    memset(&t, 0, sizeof(t));
    if (name == NULL)
        return refuse(user, NULL, no_credentials_yet);
    snprintf(t.env, sizeof(t.env), "%s", name);
    if (o->duration > 0 && is_session_strategy(s))
        return refuse(user, t.env, chained_duration);
    memset(&c, 0, sizeof(c));
    if (env_creds(s, t.env, &c, &idx, err, sizeof(err)) != 0)
        return refuse(user, t.env, err);
    if (prepare(s, idx, o, &ctx, &t, err, sizeof(err)) != 0)
        rc = refuse(user, t.env, err);
    else
        rc = sign_in(&ctx, &t, &c, o->duration);
    par_creds_clear(&c);
    par_context_free(&ctx);
    return rc;
}

/* The person's login name for syslog (uid N when it has none). */
static void who_am_i(char *out, size_t outlen)
{
    struct passwd pw, *res = NULL;
    char buf[4096];

    if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) == 0 && res != NULL &&
        printable_no_space(pw.pw_name) && strlen(pw.pw_name) < outlen)
        snprintf(out, outlen, "%s", pw.pw_name);
    else
        snprintf(out, outlen, "uid %u", (unsigned)getuid());
}

int par_cmd_console(int argc, char **argv)
{
    struct console_opts o;
    struct session s;
    char err[PAR_MAX_MESSAGE], user[64];
    int rc = parse_options(argc, argv, &o);

    if (rc != 0)
        return rc;
    openlog("pam-assume-role", LOG_PID, LOG_AUTHPRIV);
    if (!o.to_stdout && !isatty(STDOUT_FILENO)) {
        who_am_i(user, sizeof(user));
        return refuse(user, o.env, not_a_terminal);
    }
    if (session_open(&s, o.dir, LOCK_SH, err, sizeof(err)) != 0) {
        session_close(&s);
        who_am_i(user, sizeof(user));
        return refuse(user, o.env, err);
    }
    /* session_open made root in a person's session that person. */
    who_am_i(user, sizeof(user));
    rc = console_in_session(&s, &o, user);
    session_close(&s);
    return rc;
}

/*
 * pam-open: the helper's side of a PAM session. The module runs it already
 * as the person, with an environment it built, the request (protocol.h) on
 * stdin and the report expected on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "context.h"
#include "protocol.h"
#include "session_dir.h"
#include "session_files.h"
#include "tracer.h"
#include "used_codes.h"
#include "valid.h"
#include "wipe.h"

struct report {
    char buf[PAR_MSG_MAX];
    size_t len;
};

static int read_request(struct par_msg *req)
{
    char buf[PAR_MSG_MAX];
    size_t len = 0;
    int rc;

    while (len < sizeof(buf)) {
        ssize_t n = read(STDIN_FILENO, buf + len, sizeof(buf) - len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    rc = par_msg_parse(buf, len, req);
    par_wipe(buf, sizeof(buf));
    return rc;
}

static int send_report(struct report *r)
{
    size_t off = 0;
    int rc = 0;

    if (par_msg_end(r->buf, sizeof(r->buf), &r->len) != 0)
        rc = -1;
    while (rc == 0 && off < r->len) {
        ssize_t n = write(STDOUT_FILENO, r->buf + off, r->len - off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            rc = -1;
        else
            off += (size_t)n;
    }
    par_wipe(r->buf, sizeof(r->buf));
    return rc == 0 ? 0 : 1;
}

/* Adds a one-line value cut to what the module accepts (PAR_MAX_MESSAGE). */
static int add_line(struct report *r, const char *key, const char *line)
{
    char cut[PAR_MAX_MESSAGE];

    snprintf(cut, sizeof(cut), "%s", line);
    par_clean_line(cut);
    return par_msg_add(r->buf, sizeof(r->buf), &r->len, key, cut);
}

static int report_error(struct report *r, const char *message, const char *log)
{
    r->len = 0;
    par_msg_add(r->buf, sizeof(r->buf), &r->len, "status", "error");
    add_line(r, "message", message);
    add_line(r, "log", log ? log : message);
    return send_report(r);
}

static const char *config_arg(int argc, char **argv)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "-c") == 0)
            return argv[i + 1];
    return PAR_CONFIG_PATH;
}

/* The request must be about the person this process runs as. */
static int check_request_user(const struct par_context *ctx, const struct par_msg *req,
                              char *err, size_t errlen)
{
    const char *user = par_msg_get(req, "user"), *version = par_msg_get(req, "version");

    if (version == NULL || strcmp(version, "1") != 0) {
        snprintf(err, errlen, "helper and module versions differ: reinstall pam_assume_role");
        return -1;
    }
    if (user == NULL || strcmp(user, ctx->user) != 0) {
        snprintf(err, errlen, "the helper runs as %s but was asked about %.64s", ctx->user,
                 user ? user : "(nobody)");
        return -1;
    }
    return 0;
}

static void copy_request_context(struct par_context *ctx, const struct par_msg *req)
{
    const char *rhost = par_msg_get(req, "rhost"), *service = par_msg_get(req, "service");

    snprintf(ctx->rhost, sizeof(ctx->rhost), "%s", rhost ? rhost : "");
    snprintf(ctx->service, sizeof(ctx->service), "%s", service ? service : "");
}

static void request_ids(const struct par_login *l, char *out, size_t outlen)
{
    size_t len = 0;

    out[0] = '\0';
    if (l->mfa_request_id[0] != '\0')
        len += (size_t)snprintf(out, outlen, "%s", l->mfa_request_id);
    for (size_t i = 0; i < l->n_envs && len < outlen; i++)
        if (l->envs[i].request_id[0] != '\0')
            len += (size_t)snprintf(out + len, outlen - len, "%s%s", len ? "," : "",
                                    l->envs[i].request_id);
}

static void log_line(const struct par_context *ctx, const char *result, long long ms,
                     char *out, size_t outlen)
{
    const struct par_login *l = &ctx->login;
    char ids[400], roles[1024] = "", envs[256] = "";
    size_t rl = 0, el = 0;

    request_ids(l, ids, sizeof(ids));
    for (size_t i = 0; i < l->n_envs; i++) {
        rl += (size_t)snprintf(roles + rl, rl < sizeof(roles) ? sizeof(roles) - rl : 0, "%s%s",
                               i ? "," : "", l->envs[i].role_arn);
        el += (size_t)snprintf(envs + el, el < sizeof(envs) ? sizeof(envs) - el : 0, "%s%s",
                               i ? "," : "", l->envs[i].name);
    }
    /* Short fields first: a long list of roles is what gets cut. */
    snprintf(out, outlen, "result=%.100s user=%s ms=%lld session_name=%s environments=%.200s "
             "request_ids=%.300s roles=%.600s", result, ctx->user, ms, l->session_name, envs,
             ids[0] ? ids : "-", roles);
}

static int add_ok_fields(struct report *r, const struct par_login_env *e, const char *dir,
                         const char *message, const char *log)
{
    static const size_t cap = sizeof(r->buf);
    int rc = 0;

    r->len = 0;
    rc |= par_msg_add(r->buf, cap, &r->len, "status", "ok");
    rc |= add_line(r, "message", message);
    rc |= add_line(r, "log", log);
    rc |= par_msg_add(r->buf, cap, &r->len, "session_dir", dir);
    rc |= par_msg_add(r->buf, cap, &r->len, "environment", e->name);
    rc |= par_msg_add(r->buf, cap, &r->len, "role_arn", e->role_arn);
    rc |= par_msg_add(r->buf, cap, &r->len, "AWS_ACCESS_KEY_ID", e->creds.access_key_id);
    rc |= par_msg_add(r->buf, cap, &r->len, "AWS_SECRET_ACCESS_KEY", e->creds.secret_access_key);
    rc |= par_msg_add(r->buf, cap, &r->len, "AWS_SESSION_TOKEN", e->creds.session_token);
    rc |= par_msg_add(r->buf, cap, &r->len, "AWS_REGION", e->region);
    rc |= par_msg_add(r->buf, cap, &r->len, "AWS_CREDENTIAL_EXPIRATION", e->creds.expiration);
    return rc;
}

/* "AWS integration: arn:...:role/x until 14:05 CET (+2 more: staging, production)" */
static void success_message(const struct par_login *l, char *out, size_t outlen)
{
    const struct par_login_env *e = &l->envs[0];
    char until[64], more[256] = "";
    size_t ml = 0;

    par_local_time(e->creds.expiration, until, sizeof(until));
    for (size_t i = 1; i < l->n_envs; i++)
        ml += (size_t)snprintf(more + ml, ml < sizeof(more) ? sizeof(more) - ml : 0, "%s%s",
                               ml ? ", " : "; also ", l->envs[i].name);
    snprintf(out, outlen, "AWS %s: %.300s until %s%s", e->name, e->role_arn, until, more);
}

/* Creates the session folder and writes its files; fills dir. */
static int write_session(struct par_context *ctx, const struct par_msg *req, char *dir,
                         size_t dirlen, char *err, size_t errlen)
{
    char id[SD_ID_LEN + 1];
    int user_fd, sess_fd, rc;
    const char *pid = par_msg_get(req, "session_pid"), *start = par_msg_get(req, "session_start");

    if ((user_fd = sd_open_user_dir(ctx->run_dir, ctx->uid, err, errlen)) < 0)
        return -1;
    if ((sess_fd = sd_create_session(user_fd, id, err, errlen)) < 0) {
        close(user_fd);
        return -1;
    }
    snprintf(dir, dirlen, "%s/%u/%s", ctx->run_dir, (unsigned)ctx->uid, id);
    struct par_session_info info = {
        .user = ctx->user, .dir = dir, .helper = ctx->helper, .config_path = ctx->config_path,
        .session_pid = pid ? strtoll(pid, NULL, 10) : 0,
        .session_start = start ? strtoll(start, NULL, 10) : 0,
        .session_strategy = ctx->login.session_strategy, .default_env = ctx->login.envs[0].name,
    };
    rc = par_session_write(sess_fd, &info, &ctx->login, err, errlen);
    close(sess_fd);
    if (rc != 0)
        sd_remove_session(user_fd, id);
    close(user_fd);
    return rc;
}

/* Folders of this person's sessions that died without closing. */
static void sweep(const struct par_context *ctx)
{
    char err[256];
    int user_fd = sd_open_user_dir(ctx->run_dir, ctx->uid, err, sizeof(err));

    if (user_fd >= 0) {
        sd_sweep(user_fd, NULL);
        close(user_fd);
    }
}

static int open_session(struct par_context *ctx, const struct par_msg *req, struct report *r)
{
    char err[512], msg[512], log[1024], dir[PAR_MAX_PATH];
    char *code = (char *)par_msg_get(req, "code");  /* wiped by par_login_run */
    long long start = par_now_ms();

    sweep(ctx);
    if (!par_valid_mfa_code(code))
        return report_error(r, "AWS MFA code must be 6 digits: run 'pam-assume-role refresh'",
                            NULL);
    if (par_context_prepare_login(ctx, NULL, 0, err, sizeof(err)) != 0)
        return report_error(r, err, NULL);
    switch (par_used_code_claim(ctx->run_dir, ctx->uid, code, err, sizeof(err))) {
    case PAR_USED_CODE_FREE:
        break;
    case PAR_USED_CODE_SENT:
        snprintf(msg, sizeof(msg), "this MFA code was already used and AWS accepts each code "
                 "once: wait for the next code and run 'pam-assume-role refresh'");
        return report_error(r, msg, "result=reused-code (refused locally, AWS not asked)");
    default:
        return report_error(r, err, NULL);
    }
    if (par_login_run(&ctx->login, code) != 0) {
        log_line(ctx, sts_status_name(ctx->login.envs[0].status), par_now_ms() - start, log,
                 sizeof(log));
        return report_error(r, ctx->login.message, log);
    }
    if (write_session(ctx, req, dir, sizeof(dir), err, sizeof(err)) != 0)
        return report_error(r, err, NULL);
    success_message(&ctx->login, msg, sizeof(msg));
    log_line(ctx, "ok", par_now_ms() - start, log, sizeof(log));
    if (add_ok_fields(r, &ctx->login.envs[0], dir, msg, log) != 0)
        return report_error(r, "the credentials did not fit the report: see syslog", NULL);
    return send_report(r);
}

int par_cmd_pam_open(int argc, char **argv)
{
    struct par_context ctx;
    struct par_msg req;
    struct report r = { .len = 0 };
    char err[512];
    int rc;

    memset(&ctx, 0, sizeof(ctx));
    if (par_refuse_if_traced(err, sizeof(err)) != 0)
        return report_error(&r, err, "result=traced (no code read, AWS not asked)");
    if (read_request(&req) != 0)
        return report_error(&r, "the helper got a malformed request: reinstall pam_assume_role",
                            NULL);
    if (par_context_load(&ctx, config_arg(argc, argv), 0, err, sizeof(err)) != 0 ||
        check_request_user(&ctx, &req, err, sizeof(err)) != 0) {
        par_msg_free(&req);
        par_context_free(&ctx);
        return report_error(&r, err, NULL);
    }
    copy_request_context(&ctx, &req);
    rc = open_session(&ctx, &req, &r);
    par_msg_free(&req);
    par_context_free(&ctx);
    return rc;
}

/*
 * pam-open: the helper's side of a PAM session. The module runs it already
 * as the person, with an environment it built, the request (protocol.h) on
 * stdin and the report expected on stdout.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
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
#include "session_lock.h"
#include "tracer.h"
#include "used_codes.h"
#include "valid.h"
#include "wipe.h"

#define PAR_SWEEP_MAX_MS      200   /* the sweep's share of a login */
#define PAR_SWEEP_MAX_FOLDERS 500
#define PAR_WRITE_MARGIN_MS   500   /* kept from STS for writing the session's files */
#define PAR_MIN_STS_MS        1000  /* with less left for STS (2 s in all), the code is not spent */
#define PAR_MODULE_MARGIN_MS  2000  /* the module's deadline: timeout_ms + this */
#define PAR_REPORT_MARGIN_MS  500   /* a wait for the lock ends this long before it */

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
    snprintf(out, outlen, "result=%.300s user=%s ms=%lld session_name=%s environments=%.200s "
             "request_ids=%.300s roles=%.600s", result, ctx->user, ms, l->session_name, envs,
             ids[0] ? ids : "-", roles);
}

static int add_ok_fields(struct report *r, const struct par_login_env *e, const char *dir,
                         const char *message, const char *log, const char *notice)
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
    if (notice != NULL && notice[0] != '\0')
        rc |= add_line(r, "notice", notice);
    return rc;
}

/* Appends printf output to out (of outlen, used *len), cut at the end. */
static void add_text(char *out, size_t outlen, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add_text(char *out, size_t outlen, size_t *len, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (*len >= outlen)
        return;
    va_start(ap, fmt);
    n = vsnprintf(out + *len, outlen - *len, fmt, ap);
    va_end(ap);
    *len = n < 0 ? outlen : *len + (size_t)n;
}

/* "AWS integration: arn:... until 14:05 CET; also staging; not obtained: sandbox (why)" */
static void success_message(const struct par_login *l, const char *unsaved, char *out,
                            size_t outlen)
{
    const struct par_login_env *first = par_login_first_ok(l);
    char until[64];
    size_t len = 0;
    const char *sep = "; also ";

    par_local_time(first->creds.expiration, until, sizeof(until));
    out[0] = '\0';
    add_text(out, outlen, &len, "AWS %s: %.300s until %s", first->name, first->role_arn, until);
    for (size_t i = 0; i < l->n_envs; i++)
        if (l->envs[i].status == STS_OK && &l->envs[i] != first) {
            add_text(out, outlen, &len, "%s%s", sep, l->envs[i].name);
            sep = ", ";
        }
    if (unsaved != NULL)
        add_text(out, outlen, &len, "; in this session only, not saved: %s", unsaved);
    for (size_t i = 0; i < l->n_envs; i++)
        if (l->envs[i].status != STS_OK)
            add_text(out, outlen, &len, "; %s not obtained: %s", l->envs[i].name,
                     l->envs[i].message);
}

/* "ok", "partial failed=sandbox,tools" or "unsaved write_error=...": the log line's result. */
static void result_word(const struct par_login *l, const char *unsaved, char *out,
                        size_t outlen)
{
    size_t len = 0;
    const char *sep = " failed=";

    out[0] = '\0';
    if (par_login_n_ok(l) == l->n_envs)
        add_text(out, outlen, &len, "%s", unsaved ? "unsaved" : "ok");
    else
        add_text(out, outlen, &len, "partial%s", unsaved ? ",unsaved" : "");
    for (size_t i = 0; i < l->n_envs; i++)
        if (l->envs[i].status != STS_OK) {
            add_text(out, outlen, &len, "%s%s", sep, l->envs[i].name);
            sep = ",";
        }
    if (unsaved != NULL)
        add_text(out, outlen, &len, " write_error=%s", unsaved);
}

/* The session folder of this login, made before STS is asked. */
struct open_folder {
    int user_fd;
    int sess_fd;
    char id[SD_ID_LEN + 1];
    char dir[PAR_MAX_PATH];
    struct par_session_info info;
};

/* How long a wait may last so the report still reaches the module in time. */
static long ms_left(long long deadline)
{
    long long left = deadline - PAR_REPORT_MARGIN_MS - par_now_ms();

    return left > 0 ? (long)left : 0;
}

/* The metadata with no environment yet: the login process, config, strategy. */
static int write_placeholder(struct open_folder *f, const struct par_login *l,
                             long long deadline, char *err, size_t errlen)
{
    struct par_login none = *l;
    char *buf = malloc(SD_FILE_MAX);
    int lock, rc = -1;

    none.n_envs = 0;
    if (buf == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if ((lock = sd_lock(f->sess_fd, LOCK_EX, ms_left(deadline), err, errlen)) >= 0) {
        if (par_render_meta(buf, SD_FILE_MAX, &f->info, &none) != 0)
            snprintf(err, errlen, "cannot write 'session' in %s: a value outside its "
                     "character set", f->dir);
        else if (sd_write_file(f->sess_fd, "session", buf, strlen(buf)) != 0)
            snprintf(err, errlen, "cannot write 'session' in %s: %s", f->dir, strerror(errno));
        else
            rc = 0;
        sd_unlock(lock);
    }
    free(buf);
    return rc;
}

static void folder_close(struct open_folder *f, bool remove)
{
    if (f->sess_fd >= 0)
        close(f->sess_fd);
    if (remove && f->user_fd >= 0)
        sd_remove_session(f->user_fd, f->id);
    if (f->user_fd >= 0)
        close(f->user_fd);
    f->sess_fd = f->user_fd = -1;
}

/* Creates the session folder with its placeholder metadata; fills f. */
static int folder_create(struct par_context *ctx, const struct par_msg *req,
                         struct open_folder *f, long long deadline, char *err, size_t errlen)
{
    const char *pid = par_msg_get(req, "session_pid"), *start = par_msg_get(req, "session_start");

    f->sess_fd = -1;
    if ((f->user_fd = sd_open_user_dir(ctx->run_dir, ctx->uid, err, errlen)) < 0)
        return -1;
    if ((f->sess_fd = sd_create_session(f->user_fd, f->id, err, errlen)) < 0) {
        folder_close(f, false);
        return -1;
    }
    snprintf(f->dir, sizeof(f->dir), "%s/%u/%s", ctx->run_dir, (unsigned)ctx->uid, f->id);
    f->info = (struct par_session_info){
        .user = ctx->user, .dir = f->dir, .helper = ctx->helper, .config_path = ctx->config_path,
        .session_pid = pid ? strtoll(pid, NULL, 10) : 0,
        .session_start = start ? strtoll(start, NULL, 10) : 0,
        .session_strategy = ctx->login.session_strategy, .default_env = ctx->login.envs[0].name,
    };
    if (write_placeholder(f, &ctx->login, deadline, err, errlen) != 0) {
        folder_close(f, true);
        return -1;
    }
    return 0;
}

/* Writes what STS gave, under the lock; the first environment that worked is the default. */
static int folder_fill(struct open_folder *f, const struct par_login *l, long long deadline,
                       char *err, size_t errlen)
{
    int lock, rc;

    f->info.default_env = par_login_first_ok(l)->name;
    if ((lock = sd_lock(f->sess_fd, LOCK_EX, ms_left(deadline), err, errlen)) < 0)
        return -1;
    rc = par_session_write(f->sess_fd, &f->info, l, err, errlen);
    sd_unlock(lock);
    return rc;
}

/* Folders of this person's sessions that died without closing: a bounded share. */
static void sweep(const struct par_context *ctx)
{
    char err[256];
    int user_fd = sd_open_user_dir(ctx->run_dir, ctx->uid, err, sizeof(err));

    if (user_fd >= 0) {
        sd_sweep_some(user_fd, NULL, PAR_SWEEP_MAX_MS, PAR_SWEEP_MAX_FOLDERS);
        close(user_fd);
    }
}

/* The module's deadline (CLOCK_MONOTONIC ms), never later than our own reckoning. */
static long long request_deadline(const struct par_context *ctx, const struct par_msg *req,
                                  long long start)
{
    const char *v = par_msg_get(req, "deadline_at");
    long long own = start + ctx->cfg.timeout_ms + PAR_MODULE_MARGIN_MS, at;
    char *end = NULL;

    if (v == NULL)
        return own;
    errno = 0;
    at = strtoll(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || at <= 0)
        return own;
    return at < own ? at : own;
}

/* Tells the module, ahead of the report, when STS answered (for its timeout message). */
static void announce_sts_answer(void)
{
    char line[64];
    int n = snprintf(line, sizeof(line), "sts_answered_at=%lld\n", par_now_ms());

    if (n > 0 && write(STDOUT_FILENO, line, (size_t)n) < 0)
        return;  /* the module has gone: the report will not reach it either */
}

/* The syslog line of a login the key store stopped (no secret in it). */
static const char *keypass_log(const char *err)
{
    if (strstr(err, "does not open with that passphrase") != NULL)
        return "result=keystore-wrong (AWS not asked, code unused)";
    if (strstr(err, "no passphrase was given") != NULL)
        return "result=keystore-no-passphrase (AWS not asked, code unused)";
    return NULL;
}

/* Config, ~/.aws and the MFA code's record, up to the moment the code may go. */
static int before_sts(struct par_context *ctx, const struct par_msg *req, char *code,
                      struct open_folder *f, long long deadline, struct report *r)
{
    char err[512], *passphrase = (char *)par_msg_get(req, "passphrase");
    int rc;

    if (passphrase != NULL) {
        ctx->keypass = passphrase;
        ctx->keypass_len = strlen(passphrase);
    }

    if (!par_valid_mfa_code(code))
        return report_error(r, "AWS MFA code must be 6 digits: run 'pam-assume-role refresh'",
                            NULL);
    rc = par_context_prepare_login(ctx, NULL, 0, err, sizeof(err));
    if (passphrase != NULL)
        par_wipe(passphrase, strlen(passphrase));  /* the store is open, or will not be */
    ctx->keypass = NULL;
    if (rc != 0)
        return report_error(r, err, keypass_log(err));
    if (folder_create(ctx, req, f, deadline, err, sizeof(err)) != 0)
        return report_error(r, err, "result=no-folder (AWS not asked)");
    if (ms_left(deadline) < PAR_WRITE_MARGIN_MS + PAR_MIN_STS_MS) {
        folder_close(f, true);
        return report_error(r, "the login ran out of time before asking AWS (the code is "
                            "unused): log in again", "result=late (AWS not asked)");
    }
    switch (par_used_code_claim(ctx->run_dir, ctx->uid, code, err, sizeof(err))) {
    case PAR_USED_CODE_FREE:
        return -1;
    case PAR_USED_CODE_SENT:
        folder_close(f, true);
        return report_error(r, "this MFA code was already used and AWS accepts each code "
                            "once: wait for the next code and run 'pam-assume-role refresh'",
                            "result=reused-code (refused locally, AWS not asked)");
    default:
        folder_close(f, true);
        return report_error(r, err, NULL);
    }
}

static int open_session(struct par_context *ctx, const struct par_msg *req, struct report *r)
{
    char err[512], msg[PAR_MAX_MESSAGE], log[1024], result[300];
    char *code = (char *)par_msg_get(req, "code");  /* wiped by par_login_run */
    long long start = par_now_ms(), deadline = request_deadline(ctx, req, start);
    struct open_folder f = { .user_fd = -1, .sess_fd = -1 };
    int rc;
    bool unsaved;

    sweep(ctx);
    if ((rc = before_sts(ctx, req, code, &f, deadline, r)) >= 0)
        return rc;
    ctx->login.deadline_at = deadline - PAR_WRITE_MARGIN_MS;
    par_login_run(&ctx->login, code);
    announce_sts_answer();
    if (par_login_n_ok(&ctx->login) == 0) {
        folder_close(&f, true);
        log_line(ctx, sts_status_name(ctx->login.envs[0].status), par_now_ms() - start, log,
                 sizeof(log));
        return report_error(r, ctx->login.message, log);
    }
    unsaved = folder_fill(&f, &ctx->login, deadline, err, sizeof(err)) != 0;
    folder_close(&f, false);
    success_message(&ctx->login, unsaved ? err : NULL, msg, sizeof(msg));
    result_word(&ctx->login, unsaved ? err : NULL, result, sizeof(result));
    log_line(ctx, result, par_now_ms() - start, log, sizeof(log));
    if (add_ok_fields(r, par_login_first_ok(&ctx->login), f.dir, msg, log, ctx->notice) != 0)
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

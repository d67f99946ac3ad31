/*
 * pam-rekey: the PAM module's password change. Run as the person with
 * "old" and "new" (the login password before and after) on stdin, it
 * re-encrypts a key store bound to the login password and reports
 * "result" (rekeyed, none, own, wrong, error) and "message" on stdout.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "context.h"
#include "keystore.h"
#include "protocol.h"
#include "tracer.h"
#include "valid.h"
#include "wipe.h"

#define PAR_REKEYED "Your AWS key store now opens with your new password."
#define PAR_MALFORMED "the helper got a malformed request: reinstall pam_assume_role"
#define PAR_REKEY_WRONG "Your AWS key store did not open with the old password and still " \
    "needs the password it was made with: run 'pam-assume-role store-key --rekey'."

struct rekey_report {
    char buf[1024];
    size_t len;
};

static int read_all(int fd, char *buf, size_t cap, size_t *len)
{
    *len = 0;
    while (*len < cap) {
        ssize_t n = read(fd, buf + *len, cap - *len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        *len += (size_t)n;
    }
    return 0;
}

static int send_result(struct rekey_report *r, const char *result, const char *message)
{
    size_t off = 0;
    char line[PAR_MAX_MESSAGE];

    snprintf(line, sizeof(line), "%s", message);
    par_clean_line(line);
    r->len = 0;
    if (par_msg_add(r->buf, sizeof(r->buf), &r->len, "result", result) != 0 ||
        (line[0] != '\0' && par_msg_add(r->buf, sizeof(r->buf), &r->len, "message", line) != 0) ||
        par_msg_end(r->buf, sizeof(r->buf), &r->len) != 0)
        return 1;
    while (off < r->len) {
        ssize_t n = write(STDOUT_FILENO, r->buf + off, r->len - off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return 1;
        off += (size_t)n;
    }
    return 0;
}

/* The store is bound to the login password: rekey it with OLD → NEW. */
static int rekey(const struct par_context *ctx, const char *old, const char *new,
                 struct rekey_report *r)
{
    char err[512];
    int rc = par_keystore_rekey(ctx->home, ctx->uid, ctx->user, old, strlen(old), new,
                                strlen(new), err, sizeof(err));

    if (rc == PAR_KS_OK)
        return send_result(r, "rekeyed", PAR_REKEYED);
    if (rc == PAR_KS_WRONG)
        return send_result(r, "wrong", PAR_REKEY_WRONG);
    if (rc == PAR_KS_NONE)
        return send_result(r, "none", "");
    return send_result(r, "error", err);
}

static int handle(const struct par_context *ctx, const struct par_msg *req,
                  struct rekey_report *r)
{
    const char *user = par_msg_get(req, "user"), *old = par_msg_get(req, "old");
    const char *new = par_msg_get(req, "new");
    struct par_keystore_file info;
    char err[512];
    int kind;

    if (user == NULL || strcmp(user, ctx->user) != 0 || old == NULL || new == NULL)
        return send_result(r, "error", PAR_MALFORMED);
    kind = par_keystore_probe(ctx->home, ctx->uid, &info, err, sizeof(err));
    if (kind == PAR_KS_NONE)
        return send_result(r, "none", "");
    if (kind != PAR_KS_OK)
        return send_result(r, "error", err);
    if (!info.login_password)
        return send_result(r, "own", "");
    return rekey(ctx, old, new, r);
}

int par_cmd_pam_rekey(int argc, char **argv)
{
    struct par_context ctx;
    struct par_msg req;
    struct rekey_report r = { .len = 0 };
    char buf[PAR_MSG_MAX], err[512];
    size_t len;
    int rc;

    memset(&ctx, 0, sizeof(ctx));
    if (par_refuse_if_traced(err, sizeof(err)) != 0)
        return send_result(&r, "error", err);
    read_all(STDIN_FILENO, buf, sizeof(buf), &len);
    rc = par_msg_parse(buf, len, &req);
    par_wipe(buf, sizeof(buf));
    if (rc != 0)
        return send_result(&r, "error", PAR_MALFORMED);
    if (par_context_load(&ctx, argc == 3 && strcmp(argv[1], "-c") == 0 ? argv[2]
                         : PAR_CONFIG_PATH, 0, err, sizeof(err)) != 0)
        rc = send_result(&r, "error", err);
    else
        rc = handle(&ctx, &req, &r);
    par_msg_free(&req);
    par_context_free(&ctx);
    par_wipe(r.buf, sizeof(r.buf));
    return rc;
}

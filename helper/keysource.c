/*
 * Where a login's long-term key comes from: the person's encrypted key
 * store (keystore.h) when it holds the source profile, and then only from
 * there; ~/.aws/credentials otherwise, as before the store existed.
 */
#include <stdio.h>
#include <string.h>
#include "context.h"
#include "keystore.h"
#include "prompt.h"
#include "resolve.h"
#include "tracer.h"
#include "wipe.h"

#define PAR_NO_PASSPHRASE "your AWS key is in an encrypted store and no passphrase was " \
    "given: run 'pam-assume-role refresh'"
#define PAR_PLAINTEXT_HINT "your AWS key is in plaintext in ~/.aws/credentials: " \
    "'pam-assume-role store-key' encrypts it"

/* refresh, assume: the passphrase from the terminal, before any code is asked. */
static int ask_keypass(struct par_context *ctx)
{
    char err[256];

    if (par_refuse_if_traced(err, sizeof(err)) != 0)
        return -1;
    if (par_read_code("AWS key passphrase: ", ctx->keypass_buf, sizeof(ctx->keypass_buf)) != 0 ||
        ctx->keypass_buf[0] == '\0') {
        par_wipe(ctx->keypass_buf, sizeof(ctx->keypass_buf));
        return -1;
    }
    ctx->keypass = ctx->keypass_buf;
    ctx->keypass_len = strlen(ctx->keypass_buf);
    return 0;
}

static void wrong_passphrase(const struct par_keystore_file *info, char *err, size_t errlen)
{
    snprintf(err, errlen, "your AWS key store does not open with that passphrase (wrong, or "
             "the file was altered): no request was sent and your MFA code was not used; run "
             "'pam-assume-role refresh'%s", info->login_password
             ? "; if you changed your password without the module in the password stack, "
               "run 'pam-assume-role store-key --rekey'" : "");
}

static int open_store(struct par_context *ctx, const struct par_keystore_file *probed,
                      char *err, size_t errlen)
{
    struct par_keystore_file info = *probed;
    char kerr[512];
    int rc;

    if (ctx->keypass == NULL && ctx->ask_keypass && ask_keypass(ctx) != 0) {
        snprintf(err, errlen, "no AWS key passphrase given: nothing was sent");
        return -1;
    }
    if (ctx->keypass == NULL) {
        snprintf(err, errlen, "%s", PAR_NO_PASSPHRASE);
        return -1;
    }
    rc = par_keystore_open(ctx->home, ctx->uid, ctx->user, ctx->keypass, ctx->keypass_len,
                           &ctx->keys, &info, kerr, sizeof(kerr));
    par_wipe(ctx->keypass_buf, sizeof(ctx->keypass_buf));
    if (rc == PAR_KS_OK)
        return 0;
    par_source_keys_free(&ctx->keys);
    if (rc == PAR_KS_WRONG)
        wrong_passphrase(&info, err, errlen);
    else
        snprintf(err, errlen, "%s", kerr);
    return -1;
}

int par_context_source_keys(struct par_context *ctx, char *err, size_t errlen)
{
    struct par_keystore_file info;
    char kerr[512];
    int rc;

    memset(&info, 0, sizeof(info));
    rc = par_keystore_probe(ctx->home, ctx->uid, &info, kerr, sizeof(kerr));
    if (rc == PAR_KS_ERROR) {
        snprintf(err, errlen, "%s", kerr);  /* a store we may not trust: never the plaintext */
        return -1;
    }
    if (rc == PAR_KS_OK && strcmp(info.profile, ctx->cfg.source_profile) == 0)
        return open_store(ctx, &info, err, errlen);
    if (rc == PAR_KS_OK)
        snprintf(ctx->notice, sizeof(ctx->notice), "your AWS key store holds profile %s, not "
                 "the source profile %s: the key of ~/.aws/credentials was used",
                 info.profile, ctx->cfg.source_profile);
    else if (ctx->cfg.key_store_hint)
        snprintf(ctx->notice, sizeof(ctx->notice), "%s", PAR_PLAINTEXT_HINT);
    return par_read_source_keys(&ctx->cfg, ctx->home, &ctx->keys, err, errlen);
}

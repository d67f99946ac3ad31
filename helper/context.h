/*
 * What every command of the helper starts from: the system config, the
 * person (the real uid: the helper never runs as anyone else), the STS
 * endpoint, and, for a login, the resolved environments and source keys.
 */
#ifndef PAR_CONTEXT_H
#define PAR_CONTEXT_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>
#include "awsfiles.h"
#include "config.h"
#include "login.h"
#include "proctime.h"
#include "sts.h"

#define PAR_MAX_LOGIN_ENVS 16

struct par_context {
    const char *config_path;
    struct par_config cfg;
    char user[64];
    uid_t uid;
    gid_t gid;
    char home[PATH_MAX];
    char run_dir[PATH_MAX];
    char helper[PATH_MAX];        /* this program, for credential_process lines */
    char endpoint_url[512];
    char rhost[256];
    char service[64];
    /* a login being prepared */
    struct par_source_keys keys;
    /* the key store's passphrase: from the request (pam-open, not owned) or the terminal */
    const char *keypass;
    size_t keypass_len;
    int ask_keypass;              /* ask on the terminal when a store needs it */
    char keypass_buf[1024];       /* what the terminal gave; wiped by par_context_free */
    char notice[512];             /* one line for the person (plaintext hint, other profile) */
    struct par_login login;
    struct par_login_env envs[PAR_MAX_LOGIN_ENVS];
    char *env_strings[PAR_MAX_LOGIN_ENVS][3];   /* name, role ARN, region */
    char mfa_serial[2049];
    char session_name[65];
    struct sts_tag tags[16];
    char *tag_values[16];
};

/* Loads the config (flags: PAR_CONFIG_*) and finds the person. */
int par_context_load(struct par_context *ctx, const char *config_path, unsigned flags,
                     char *err, size_t errlen);
/* Resolves ENVS (NULL: the config's login_environments) into ctx->login. */
int par_context_prepare_login(struct par_context *ctx, char *const *envs, size_t n,
                              char *err, size_t errlen);
void par_context_free(struct par_context *ctx);
/* keysource.c: the source keys, from the key store when it holds the source profile,
 * else from ~/.aws/credentials (with ctx->notice said); 0, or -1 with err. */
int par_context_source_keys(struct par_context *ctx, char *err, size_t errlen);

/* "14:05 CET" (or "Mon 30 Nov 14:05 CET" when not today) for an ISO 8601 time. */
void par_local_time(const char *iso, char *out, size_t outlen);
/* Seconds from now until an ISO 8601 time (negative: past). */
long long par_seconds_left(const char *iso);

#endif

/* pam-assume-role assume: the manual's whole CLI procedure in one step. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"
#include "context.h"
#include "json_out.h"
#include "prompt.h"
#include "tracer.h"
#include "used_codes.h"
#include "valid.h"
#include "wipe.h"

enum format { FORMAT_ENV, FORMAT_CREDENTIALS, FORMAT_JSON };

static int usage(void)
{
    fprintf(stderr, "usage: pam-assume-role assume [-c CONFIG] [--format env|credentials|json] "
            "ENV...\n");
    return 2;
}

static void print_env(const struct par_login_env *e)
{
    printf("export AWS_ACCESS_KEY_ID='%s'\n", e->creds.access_key_id);
    printf("export AWS_SECRET_ACCESS_KEY='%s'\n", e->creds.secret_access_key);
    printf("export AWS_SESSION_TOKEN='%s'\n", e->creds.session_token);
    printf("export AWS_REGION='%s'\n", e->region);
    printf("export AWS_DEFAULT_REGION='%s'\n", e->region);
    printf("export AWS_CREDENTIAL_EXPIRATION='%s'\n", e->creds.expiration);
}

static void print_credentials(const struct par_login *l)
{
    for (size_t i = 0; i < l->n_envs; i++) {
        const struct par_login_env *e = &l->envs[i];

        printf("[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
               "aws_session_token = %s\nregion = %s\n# expires %s\n\n", e->name,
               e->creds.access_key_id, e->creds.secret_access_key, e->creds.session_token,
               e->region, e->creds.expiration);
    }
}

static json_object *env_json(const struct par_login_env *e)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "Environment", json_object_new_string(e->name));
    json_object_object_add(o, "RoleArn", json_object_new_string(e->role_arn));
    json_object_object_add(o, "AssumedRoleArn", json_object_new_string(e->assumed_role_arn));
    json_object_object_add(o, "Region", json_object_new_string(e->region));
    json_object_object_add(o, "AccessKeyId", json_object_new_string(e->creds.access_key_id));
    json_object_object_add(o, "SecretAccessKey",
                           json_object_new_string(e->creds.secret_access_key));
    json_object_object_add(o, "SessionToken", json_object_new_string(e->creds.session_token));
    json_object_object_add(o, "Expiration", json_object_new_string(e->creds.expiration));
    json_object_object_add(o, "RequestId", json_object_new_string(e->request_id));
    return o;
}

/* [{"Environment": ..., "RoleArn": ..., ...}, ...] */
static int print_json(const struct par_login *l)
{
    json_object *all = par_json_new_array();

    if (all == NULL)
        return -1;
    for (size_t i = 0; i < l->n_envs; i++)
        json_object_array_add(all, env_json(&l->envs[i]));
    return par_json_print(STDOUT_FILENO, all, PAR_JSON_PRETTY);
}

/* Every printed value was checked against its character set first. */
static int results_printable(const struct par_login *l)
{
    for (size_t i = 0; i < l->n_envs; i++)
        if (!par_valid_access_key_id(l->envs[i].creds.access_key_id) ||
            !par_valid_secret_key(l->envs[i].creds.secret_access_key) ||
            !par_valid_session_token(l->envs[i].creds.session_token) ||
            !par_valid_iso8601(l->envs[i].creds.expiration) ||
            !par_valid_arn(l->envs[i].assumed_role_arn))
            return 0;
    return 1;
}

static int parse_format(const char *s, enum format *f)
{
    if (strcmp(s, "env") == 0)
        *f = FORMAT_ENV;
    else if (strcmp(s, "credentials") == 0)
        *f = FORMAT_CREDENTIALS;
    else if (strcmp(s, "json") == 0)
        *f = FORMAT_JSON;
    else
        return -1;
    return 0;
}

/* One line on stderr, without control characters (values of config files are in it). */
static void say_error(const char *line)
{
    char clean[PAR_MAX_MESSAGE];

    snprintf(clean, sizeof(clean), "%s", line);
    par_clean_line(clean);
    fprintf(stderr, "pam-assume-role: %s\n", clean);
}

/* Checks and records the code as sent; 0 when it may be sent. */
static int claim_code(const struct par_context *ctx, const char *code)
{
    char err[512];
    int rc = par_used_code_claim(ctx->run_dir, ctx->uid, code, err, sizeof(err));

    /* No login of the person made RUN_DIR/UID: there is nowhere to record. */
    if (rc == PAR_USED_CODE_FREE || rc == PAR_USED_CODE_NO_FOLDER)
        return 0;
    if (rc == PAR_USED_CODE_SENT)
        say_error("this MFA code was already used and AWS accepts each code once: wait for "
                  "the next code");
    else
        say_error(err);
    return -1;
}

static int ask_code(const struct par_context *ctx, char *code, size_t cap)
{
    char prompt[128], err[512];

    snprintf(prompt, sizeof(prompt), "AWS MFA code for %s: ", ctx->login.envs[0].name);
    if (par_refuse_if_traced(err, sizeof(err)) != 0) {
        say_error(err);
        return -1;
    }
    if (par_read_code(prompt, code, cap) != 0 || !par_valid_mfa_code(code)) {
        par_wipe(code, cap);
        say_error("the MFA code must be 6 digits from your MFA device");
        return -1;
    }
    if (claim_code(ctx, code) != 0) {
        par_wipe(code, cap);
        return -1;
    }
    return 0;
}

static int run(struct par_context *ctx, enum format fmt)
{
    char code[16];
    int rc = 1;

    if (ask_code(ctx, code, sizeof(code)) != 0)
        return 1;
    if (par_login_run(&ctx->login, code) != 0)
        say_error(ctx->login.message);
    else if (!results_printable(&ctx->login))
        fprintf(stderr, "pam-assume-role: STS answered values outside their character sets\n");
    else {
        int printed = 0;

        if (fmt == FORMAT_ENV)
            print_env(&ctx->login.envs[0]);
        else if (fmt == FORMAT_CREDENTIALS)
            print_credentials(&ctx->login);
        else
            printed = print_json(&ctx->login);
        rc = printed == 0 && fflush(stdout) == 0 ? 0 : 1;
    }
    par_wipe(code, sizeof(code));
    return rc;
}

int par_cmd_assume(int argc, char **argv)
{
    const char *config = PAR_CONFIG_PATH;
    enum format fmt = FORMAT_ENV;
    unsigned flags = 0;
    struct par_context ctx;
    char err[512];
    int i, rc;

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
            config = argv[++i];
        else if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            if (parse_format(argv[++i], &fmt) != 0)
                return usage();
        } else if (strcmp(argv[i], "--insecure-any-config-owner") == 0)
            flags |= PAR_CONFIG_INSECURE_ANY_OWNER;
        else
            return usage();
    }
    memset(&ctx, 0, sizeof(ctx));
    ctx.ask_keypass = 1;  /* a key store asks its passphrase before the code */
    if (par_context_load(&ctx, config, flags, err, sizeof(err)) != 0 ||
        par_context_prepare_login(&ctx, argv + i, (size_t)(argc - i), err, sizeof(err)) != 0) {
        say_error(err);
        par_context_free(&ctx);
        return 1;
    }
    rc = run(&ctx, fmt);
    par_context_free(&ctx);
    return rc;
}

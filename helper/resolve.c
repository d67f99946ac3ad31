#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "errmsg.h"
#include "partition.h"
#include "resolve.h"
#include "template.h"
#include "valid.h"


static void known_environments(const struct par_config *cfg, char *buf, size_t len)
{
    size_t o = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < cfg->n_environments && o < len; i++) {
        int n = snprintf(buf + o, len - o, "%s%s", i ? ", " : "", cfg->environments[i].name);
        if (n < 0)
            break;
        o += (size_t)n;
    }
    if (cfg->n_environments == 0)
        snprintf(buf, len, "none");
}

static int profile_name(const struct par_config *cfg, const char *user, const char *env,
                        char out[PAR_MAX_PROFILE_NAME + 1], char *err, size_t errlen)
{
    if (par_profile_name(cfg->profile_template, user, env, out) != 0) {
        par_set_err(err, errlen, "profile_template in %s does not give a usable profile name for "
                "\"%s\": ask an admin to fix it (check-config)", cfg->path, env);
        return -1;
    }
    return 0;
}

static int dup_into(char **slot, const char *value, char *err, size_t errlen)
{
    if (value == NULL)
        return 0;
    if ((*slot = strdup(value)) == NULL) {
        par_set_err(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static int resolve_role(const struct par_config *cfg, const struct par_environment *env,
                        const struct par_aws_profile *prof, struct par_target *t,
                        char *err, size_t errlen)
{
    const char *arn = env != NULL && env->role_arn != NULL ? env->role_arn : prof->role_arn;

    if (arn == NULL) {
        par_set_err(err, errlen, "no role for environment \"%s\": add role_arn = "
                "arn:aws:iam::ACCOUNT:role/NAME under [profile %s] in ~/.aws/config, "
                "or ask an admin to set it in %s", t->environment, t->profile, cfg->path);
        return -1;
    }
    return dup_into(&t->role_arn, arn, err, errlen);
}

static int mfa_from_template(const struct par_config *cfg, const char *user,
                             struct par_target *t, char *err, size_t errlen)
{
    struct par_template_vars v = { .user = user, .environment = t->environment,
                                   .now = time(NULL) };
    char serial[PAR_MAX_ARN + 1];

    if (par_expand_template(cfg->mfa_serial_template, &v, serial, sizeof(serial)) != 0 ||
        !par_valid_mfa_serial(serial)) {
        par_set_err(err, errlen, "mfa_serial_template in %s does not give a valid MFA device "
                "ARN for \"%s\": add mfa_serial under [profile %s] in ~/.aws/config, "
                "or ask an admin to fix it", cfg->path, user, t->profile);
        return -1;
    }
    return dup_into(&t->mfa_serial, serial, err, errlen);
}

/* *FROM: the person's profile that named the serial, NULL when the config did. */
static int resolve_mfa(const struct par_config *cfg, const char *user, const char *home,
                       const struct par_aws_profile *prof, struct par_target *t,
                       const char **from, char *err, size_t errlen)
{
    const struct par_user *u = par_config_user(cfg, user);
    struct par_aws_profile source;
    int rc;

    *from = NULL;
    if (u != NULL && u->mfa_serial != NULL)
        return dup_into(&t->mfa_serial, u->mfa_serial, err, errlen);
    if (prof->mfa_serial != NULL) {
        *from = t->profile;
        return dup_into(&t->mfa_serial, prof->mfa_serial, err, errlen);
    }
    if (par_aws_read_profile(home, geteuid(), cfg->source_profile, &source, err, errlen) != 0)
        return -1;
    if (source.mfa_serial != NULL) {
        *from = cfg->source_profile;
        rc = dup_into(&t->mfa_serial, source.mfa_serial, err, errlen);
        par_aws_profile_free(&source);
        return rc;
    }
    par_aws_profile_free(&source);
    if (cfg->mfa_serial_template != NULL)
        return mfa_from_template(cfg, user, t, err, errlen);
    par_set_err(err, errlen, "no MFA device known for %s: add mfa_serial = "
            "arn:aws:iam::ACCOUNT:mfa/NAME under [profile %s] in ~/.aws/config, "
            "or ask an admin to add you to users in %s", user, t->profile, cfg->path);
    return -1;
}

static int resolve_rest(const struct par_config *cfg, const struct par_environment *env,
                        const struct par_aws_profile *prof, struct par_target *t,
                        char *err, size_t errlen)
{
    const char *region = cfg->region;

    if (env != NULL && env->region != NULL)
        region = env->region;
    else if (prof->region != NULL)
        region = prof->region;
    if (env != NULL && env->duration > 0)
        t->duration = env->duration;
    else if (prof->duration_seconds > 0)
        t->duration = prof->duration_seconds;
    else
        t->duration = PAR_DEFAULT_DURATION;
    return dup_into(&t->region, region, err, errlen);
}

/* An ARN from ~/.aws/config [profile FROM] must be in the partition of the target's region. */
static int check_profile_arn(const char *from, const char *what, const char *arn,
                             const struct par_target *t, char *err, size_t errlen)
{
    char why[256];

    if (from == NULL || par_check_arn_partition(what, arn, t->region, why, sizeof(why)) == 0)
        return 0;
    par_set_err(err, errlen, "~/.aws/config [profile %s]: %s", from, why);
    return -1;
}

/* The config's own ARNs were checked when it was loaded; these came from the person. */
static int check_partitions(const struct par_environment *env, const char *mfa_from,
                            const struct par_target *t, char *err, size_t errlen)
{
    const char *role_from = env != NULL && env->role_arn != NULL ? NULL : t->profile;

    if (check_profile_arn(role_from, "role_arn", t->role_arn, t, err, errlen) != 0)
        return -1;
    return check_profile_arn(mfa_from, "mfa_serial", t->mfa_serial, t, err, errlen);
}

static int resolve_with_profile(const struct par_config *cfg, const char *user,
                                const char *home, const struct par_environment *env,
                                struct par_target *t, char *err, size_t errlen)
{
    struct par_aws_profile prof;
    const char *mfa_from = NULL;
    char known[256];
    int rc = -1;

    if (par_aws_read_profile(home, geteuid(), t->profile, &prof, err, errlen) != 0)
        return -1;
    if (env == NULL && !prof.found) {
        known_environments(cfg, known, sizeof(known));
        par_set_err(err, errlen, "unknown environment \"%s\": known environments are %s "
                "(or add [profile %s] to ~/.aws/config)", t->environment, known, t->profile);
    } else if (resolve_role(cfg, env, &prof, t, err, errlen) == 0 &&
               resolve_mfa(cfg, user, home, &prof, t, &mfa_from, err, errlen) == 0 &&
               resolve_rest(cfg, env, &prof, t, err, errlen) == 0 &&
               check_partitions(env, mfa_from, t, err, errlen) == 0) {
        rc = 0;
    }
    par_aws_profile_free(&prof);
    return rc;
}

int par_resolve_target(const struct par_config *cfg, const char *user, const char *home,
                       const char *environment, struct par_target *out,
                       char *err, size_t errlen)
{
    char profile[PAR_MAX_PROFILE_NAME + 1];

    memset(out, 0, sizeof(*out));
    if (!par_valid_env_name(environment)) {
        par_set_err(err, errlen, "\"%.40s\" is not an environment name: use lower-case letters, "
                "digits, _ or -", environment ? environment : "");
        return -1;
    }
    if (profile_name(cfg, user, environment, profile, err, errlen) != 0 ||
        dup_into(&out->environment, environment, err, errlen) != 0 ||
        dup_into(&out->profile, profile, err, errlen) != 0 ||
        resolve_with_profile(cfg, user, home, par_config_environment(cfg, environment), out,
                             err, errlen) != 0) {
        par_target_free(out);
        return -1;
    }
    return 0;
}

void par_target_free(struct par_target *t)
{
    if (t == NULL)
        return;
    free(t->environment);
    free(t->role_arn);
    free(t->mfa_serial);
    free(t->region);
    free(t->profile);
    memset(t, 0, sizeof(*t));
}

int par_read_source_keys(const struct par_config *cfg, const char *home,
                         struct par_source_keys *keys, char *err, size_t errlen)
{
    return par_aws_read_keys(home, geteuid(), cfg->source_profile, keys, err, errlen);
}

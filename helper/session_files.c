#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "protocol.h"
#include "session_dir.h"
#include "session_files.h"
#include "context.h"
#include "valid.h"
#include "wipe.h"

/* Appends printf output; -1 once the buffer is full. */
static int append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int append(char *buf, size_t cap, size_t *len, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (*len >= cap)
        return -1;
    va_start(ap, fmt);
    n = vsnprintf(buf + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap - *len) {
        *len = cap;
        return -1;
    }
    *len += (size_t)n;
    return 0;
}

bool par_creds_valid(const struct par_creds *c)
{
    return par_valid_access_key_id(c->access_key_id) &&
           par_valid_secret_key(c->secret_access_key) &&
           par_valid_session_token(c->session_token) && par_valid_iso8601(c->expiration);
}

/* A path fit to single-quote: no quote, no control character. */
static bool quotable_path(const char *s)
{
    return s != NULL && strlen(s) < PAR_MAX_PATH && strchr(s, '\'') == NULL &&
           par_valid_message(s);
}

static long long iso_epoch(const char *iso)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    if (strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
        return 0;
    return (long long)timegm(&tm);
}

int par_render_env(char *buf, size_t cap, const struct par_login_env *e, const char *dir,
                   bool renews)
{
    const struct par_creds *c = &e->creds;
    struct timespec now;
    size_t len = 0;
    int rc = 0;

    if (!par_creds_valid(c) || !par_valid_region(e->region) || !par_valid_env_name(e->name) ||
        !quotable_path(dir))
        return -1;
    clock_gettime(CLOCK_REALTIME, &now);
    /* The first line changes with every write: open shells compare it at each
     * prompt (a read, no process) to pick up a refresh. */
    rc |= append(buf, cap, &len, "# pam_assume_role generation %lld.%09ld: %s\n",
                 (long long)now.tv_sec, now.tv_nsec, e->name);
    rc |= append(buf, cap, &len, "export AWS_ACCESS_KEY_ID='%s'\n", c->access_key_id);
    rc |= append(buf, cap, &len, "export AWS_SECRET_ACCESS_KEY='%s'\n", c->secret_access_key);
    rc |= append(buf, cap, &len, "export AWS_SESSION_TOKEN='%s'\n", c->session_token);
    rc |= append(buf, cap, &len, "export AWS_REGION='%s'\n", e->region);
    rc |= append(buf, cap, &len, "export AWS_DEFAULT_REGION='%s'\n", e->region);
    rc |= append(buf, cap, &len, "export AWS_CREDENTIAL_EXPIRATION='%s'\n", c->expiration);
    rc |= append(buf, cap, &len, "export PAM_ASSUME_ROLE_DIR='%s'\n", dir);
    rc |= append(buf, cap, &len, "export PAM_ASSUME_ROLE_ENVIRONMENT='%s'\n", e->name);
    rc |= append(buf, cap, &len, "__par_expires=%lld\n__par_renews=%d\n",
                 iso_epoch(c->expiration), renews ? 1 : 0);
    return rc;
}

static int render_profile(char *buf, size_t cap, size_t *len, const char *name,
                          const struct par_creds *c)
{
    int rc = 0;

    rc |= append(buf, cap, len, "[%s]\n", name);
    rc |= append(buf, cap, len, "aws_access_key_id = %s\n", c->access_key_id);
    rc |= append(buf, cap, len, "aws_secret_access_key = %s\n", c->secret_access_key);
    rc |= append(buf, cap, len, "aws_session_token = %s\n", c->session_token);
    rc |= append(buf, cap, len, "# expires %s\n\n", c->expiration);
    return rc;
}

/*
 * Direct: every environment's keys. Session: none here (config renews them).
 * [default] is the login's default environment, so that the CLI and the
 * SDKs need only AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE (what a
 * desktop gets in place of the keys).
 */
static int render_credentials(char *buf, size_t cap, const struct par_session_info *info,
                              const struct par_login *l, const struct par_login_env *def)
{
    size_t len = 0;
    int rc = append(buf, cap, &len, "# AWS credentials of this login (pam_assume_role)\n\n");

    if (info->session_strategy)
        return rc | append(buf, cap, &len, "# strategy \"session\": the profiles in 'config' "
                           "renew themselves through credential_process\n");
    for (size_t i = 0; i < l->n_envs; i++)
        if (l->envs[i].status == STS_OK)
            rc |= render_profile(buf, cap, &len, l->envs[i].name, &l->envs[i].creds);
    if (def != NULL)
        rc |= render_profile(buf, cap, &len, "default", &def->creds);
    return rc;
}

/* One config section, "[profile NAME]" or "[default]", for environment e. */
static int render_config_section(char *buf, size_t cap, size_t *len,
                                 const struct par_session_info *info, const char *header,
                                 const struct par_login_env *e)
{
    int rc = append(buf, cap, len, "%s\nregion = %s\n", header, e->region);

    if (info->session_strategy)
        rc |= append(buf, cap, len, "credential_process = %s credential-process "
                     "--session %s %s\n", info->helper, info->dir, e->name);
    return rc | append(buf, cap, len, "\n");
}

static int render_config(char *buf, size_t cap, const struct par_session_info *info,
                         const struct par_login *l, const struct par_login_env *def)
{
    char header[PAR_MAX_ENV_NAME + 16];
    size_t len = 0;
    int rc = append(buf, cap, &len, "# AWS config of this login (pam_assume_role)\n\n");

    if (!quotable_path(info->helper) || !quotable_path(info->dir) ||
        strchr(info->helper, ' ') != NULL || strchr(info->dir, ' ') != NULL)
        return -1;
    for (size_t i = 0; i < l->n_envs; i++) {
        if (l->envs[i].status != STS_OK)
            continue;
        snprintf(header, sizeof(header), "[profile %s]", l->envs[i].name);
        rc |= render_config_section(buf, cap, &len, info, header, &l->envs[i]);
    }
    if (def != NULL)
        rc |= render_config_section(buf, cap, &len, info, "[default]", def);
    return rc;
}

static int meta_add_env(char *buf, size_t cap, size_t *len, size_t i, const struct par_login_env *e)
{
    char key[32], num[32];
    int rc = 0;

    snprintf(key, sizeof(key), "env_%zu", i);
    rc |= par_msg_add(buf, cap, len, key, e->name);
    snprintf(key, sizeof(key), "role_%zu", i);
    rc |= par_msg_add(buf, cap, len, key, e->role_arn);
    snprintf(key, sizeof(key), "region_%zu", i);
    rc |= par_msg_add(buf, cap, len, key, e->region);
    snprintf(key, sizeof(key), "duration_%zu", i);
    snprintf(num, sizeof(num), "%ld", e->duration);
    rc |= par_msg_add(buf, cap, len, key, num);
    snprintf(key, sizeof(key), "expiration_%zu", i);
    rc |= par_msg_add(buf, cap, len, key, e->creds.expiration);
    return rc;
}

/* Every key the writer can produce must fit what a reader accepts. */
_Static_assert(SD_META_FIXED_KEYS + SD_META_KEYS_PER_ENV * PAR_MAX_LOGIN_ENVS <= PAR_MSG_MAX_KEYS,
               "the metadata of PAR_MAX_LOGIN_ENVS environments has more keys than a message");
_Static_assert(SD_FILE_MAX <= PAR_META_MAX, "metadata rendered larger than a reader accepts");

int par_render_meta(char *buf, size_t cap, const struct par_session_info *info,
                    const struct par_login *l)
{
    char num[32];
    size_t len = 0, k = 0;
    int rc = 0;

    rc |= par_msg_add(buf, cap, &len, "version", "1");
    rc |= par_msg_add(buf, cap, &len, "user", info->user);
    snprintf(num, sizeof(num), "%lld", info->session_pid);
    rc |= par_msg_add(buf, cap, &len, "session_pid", num);
    snprintf(num, sizeof(num), "%lld", info->session_start);
    rc |= par_msg_add(buf, cap, &len, "session_start", num);
    rc |= par_msg_add(buf, cap, &len, "strategy", info->session_strategy ? "session" : "direct");
    rc |= par_msg_add(buf, cap, &len, "default", info->default_env);
    rc |= par_msg_add(buf, cap, &len, "config", info->config_path);
    rc |= par_msg_add(buf, cap, &len, "session_name", l->session_name);
    if (info->session_strategy)
        rc |= par_msg_add(buf, cap, &len, "mfa_expiration", l->mfa_session.expiration);
    for (size_t i = 0; i < l->n_envs; i++)
        if (l->envs[i].status == STS_OK)
            rc |= meta_add_env(buf, cap, &len, k++, &l->envs[i]);
    rc |= par_msg_end(buf, cap, &len);
    return rc;
}

static int render_mfa_session(char *buf, size_t cap, const struct par_login *l)
{
    size_t len = 0;

    if (!par_creds_valid(&l->mfa_session))
        return -1;
    return render_profile(buf, cap, &len, "mfa-session", &l->mfa_session);
}

int par_write_role_file(int dir_fd, const char *env, const struct par_creds *c)
{
    char buf[8192], name[64];
    size_t len = 0;
    int rc;

    snprintf(name, sizeof(name), "role-%s", env);
    rc = (!par_creds_valid(c) || !par_valid_env_name(env) ||
          render_profile(buf, sizeof(buf), &len, env, c) != 0 ||
          sd_write_file(dir_fd, name, buf, len) != 0) ? -1 : 0;
    par_wipe(buf, sizeof(buf));
    return rc;
}

/* Session strategy: each role's credentials in role-ENV, renewed by
 * credential-process from the MFA session. */
static int write_role_files(int dir_fd, const struct par_login *l, const char *dir, char *err,
                            size_t errlen)
{
    for (size_t i = 0; i < l->n_envs; i++) {
        if (l->envs[i].status != STS_OK)
            continue;
        errno = 0;
        if (par_write_role_file(dir_fd, l->envs[i].name, &l->envs[i].creds) != 0) {
            snprintf(err, errlen, "cannot write %s/role-%s: %s", dir, l->envs[i].name,
                     errno ? strerror(errno) : "a value does not fit its character set");
            return -1;
        }
    }
    return 0;
}

static const struct par_login_env *default_env(const struct par_session_info *info,
                                               const struct par_login *l)
{
    for (size_t i = 0; i < l->n_envs; i++)
        if (l->envs[i].status == STS_OK && strcmp(l->envs[i].name, info->default_env) == 0)
            return &l->envs[i];
    return NULL;
}

/* One file: rendered (a value outside its set fails here) and written whole. */
static int write_rendered(int dir_fd, const char *name, int rendered, const char *buf,
                          const char *dir, char *err, size_t errlen)
{
    if (rendered != 0) {
        snprintf(err, errlen, "cannot write %s/%s: a value does not fit its character set",
                 dir, name);
        return -1;
    }
    if (sd_write_file(dir_fd, name, buf, strlen(buf)) != 0) {
        snprintf(err, errlen, "cannot write %s/%s: %s", dir, name, strerror(errno));
        return -1;
    }
    return 0;
}

static int write_session_files(int dir_fd, char *buf, const struct par_session_info *info,
                               const struct par_login *l, char *err, size_t errlen)
{
    const struct par_login_env *def = default_env(info, l);
    const char *dir = info->dir;

    if (info->session_strategy &&
        write_rendered(dir_fd, "mfa-session", render_mfa_session(buf, SD_FILE_MAX, l), buf,
                       dir, err, errlen) != 0)
        return -1;
    if (info->session_strategy && write_role_files(dir_fd, l, dir, err, errlen) != 0)
        return -1;
    if (write_rendered(dir_fd, "credentials", render_credentials(buf, SD_FILE_MAX, info, l, def),
                       buf, dir, err, errlen) != 0 ||
        write_rendered(dir_fd, "config", render_config(buf, SD_FILE_MAX, info, l, def), buf, dir,
                       err, errlen) != 0)
        return -1;
    if (!info->keep_env_file &&
        write_rendered(dir_fd, "env", def == NULL || par_render_env(buf, SD_FILE_MAX, def, dir,
                                                                    info->session_strategy),
                       buf, dir, err, errlen) != 0)
        return -1;
    /* The manifest last: readers trust only what it names. */
    return write_rendered(dir_fd, "session", par_render_meta(buf, SD_FILE_MAX, info, l), buf,
                          dir, err, errlen);
}

int par_session_write(int dir_fd, const struct par_session_info *info,
                      const struct par_login *l, char *err, size_t errlen)
{
    char *buf = malloc(SD_FILE_MAX);
    int rc;

    if (buf == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    buf[0] = '\0';
    rc = write_session_files(dir_fd, buf, info, l, err, errlen);
    par_wipe(buf, SD_FILE_MAX);
    free(buf);
    return rc;
}

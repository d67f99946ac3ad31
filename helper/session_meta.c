#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "context.h"
#include "session_dir.h"
#include "session_meta.h"
#include "valid.h"

bool par_valid_session_path(const char *s)
{
    return s != NULL && s[0] == '/' && strlen(s) < PAR_MAX_PATH && par_valid_message(s) &&
           strpbrk(s, "'\" ") == NULL;
}

int par_split_session_path(const char *dir, struct par_session_path *g)
{
    char buf[PAR_MAX_PATH], *id, *uid;
    char *end;
    unsigned long v;

    if (!par_valid_session_path(dir) ||
        snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf) ||
        (id = strrchr(buf, '/')) == NULL || id == buf)
        return -1;
    *id++ = '\0';
    if ((uid = strrchr(buf, '/')) == NULL || uid == buf)
        return -1;
    *uid++ = '\0';
    errno = 0;
    v = strtoul(uid, &end, 10);
    if (!par_valid_session_id(id) || strlen(id) != SD_ID_LEN || uid[0] < '0' ||
        uid[0] > '9' || *end != '\0' || errno != 0 || v >= (uid_t)-1)
        return -1;
    snprintf(g->run_dir, sizeof(g->run_dir), "%s", buf);
    snprintf(g->id, sizeof(g->id), "%s", id);
    g->uid = (uid_t)v;
    return 0;
}

static bool digits(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;

    return n > 0 && n <= max && strspn(s, "0123456789") == n;
}

static bool valid_strategy(const char *s)
{
    return strcmp(s, "direct") == 0 || strcmp(s, "session") == 0;
}

/* Optional keys: absent is fine, present must fit. */
static const struct {
    const char *key;
    bool (*ok)(const char *);
} optional_keys[] = {
    { "strategy", valid_strategy },
    { "default", par_valid_env_name },
    { "config", par_valid_session_path },
    { "session_name", par_valid_session_name },
    { "mfa_expiration", par_valid_iso8601 },
};

static bool valid_pid(const char *s) { return digits(s, 10); }
static bool valid_ticks(const char *s) { return digits(s, 20); }
static bool valid_duration(const char *s) { return digits(s, 6); }

/* Every environment has all five; the first missing env_N ends the list. */
static const struct {
    const char *prefix;
    bool (*ok)(const char *);
} env_keys[] = {
    { "env", par_valid_env_name },
    { "role", par_valid_role_arn },
    { "region", par_valid_region },
    { "duration", valid_duration },
    { "expiration", par_valid_iso8601 },
};

static int refuse(const char *key, char *bad_key, size_t bad_len)
{
    snprintf(bad_key, bad_len, "%s", key);
    return -1;
}

static int check_env(const struct par_msg *meta, size_t i, char *bad_key, size_t bad_len)
{
    char key[32];

    for (size_t k = 0; k < sizeof(env_keys) / sizeof(env_keys[0]); k++) {
        const char *v;

        snprintf(key, sizeof(key), "%s_%zu", env_keys[k].prefix, i);
        v = par_msg_get(meta, key);
        if (v == NULL || !env_keys[k].ok(v))
            return refuse(key, bad_key, bad_len);
    }
    return 0;
}

int par_meta_check(const struct par_msg *meta, char *bad_key, size_t bad_len)
{
    const char *v;
    char key[32];
    size_t i;

    if ((v = par_msg_get(meta, "version")) == NULL || strcmp(v, "1") != 0)
        return refuse("version", bad_key, bad_len);
    if ((v = par_msg_get(meta, "session_pid")) != NULL && !valid_pid(v))
        return refuse("session_pid", bad_key, bad_len);
    if ((v = par_msg_get(meta, "session_start")) != NULL && !valid_ticks(v))
        return refuse("session_start", bad_key, bad_len);
    for (size_t k = 0; k < sizeof(optional_keys) / sizeof(optional_keys[0]); k++)
        if ((v = par_msg_get(meta, optional_keys[k].key)) != NULL && !optional_keys[k].ok(v))
            return refuse(optional_keys[k].key, bad_key, bad_len);
    for (i = 0;; i++) {
        snprintf(key, sizeof(key), "env_%zu", i);
        if (par_msg_get(meta, key) == NULL)
            break;
        if (i >= PAR_MAX_LOGIN_ENVS)
            return refuse(key, bad_key, bad_len);
        if (check_env(meta, i, bad_key, bad_len) != 0)
            return -1;
    }
    return 0;
}

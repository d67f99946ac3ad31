/*
 * The system configuration (libconfig): open safely, parse from memory,
 * validate every setting, and collect every error with its line.
 */
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "partition.h"
#include "valid.h"

#define MAX_ERRORS        200
#define MAX_STRING        1024
#define MAX_TEMPLATE      256
#define MAX_URL           256
#define MAX_DESTINATION   1024  /* a console page URL can carry a long query */
#define MAX_LINES         65000   /* libconfig keeps line numbers in 16 bits */
#define MAX_TAGS          50
#define MAX_TAG_KEY       128

struct issue {
    unsigned line;
    size_t order;
    char *text;
};

/* Collects errors; par_config_load keeps the first, check-config shows all. */
struct checker {
    const char *path;
    struct issue issues[MAX_ERRORS];
    size_t n;
    size_t dropped;
};

static void issue(struct checker *ck, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void issue(struct checker *ck, unsigned line, const char *fmt, ...)
{
    char full[PAR_CONFIG_ERR_MAX];
    int prefix;
    va_list ap;

    if (ck->n >= MAX_ERRORS) {
        ck->dropped++;
        return;
    }
    if (line > 0)
        prefix = snprintf(full, sizeof(full), "%s:%u: ", ck->path, line);
    else
        prefix = snprintf(full, sizeof(full), "%s: ", ck->path);
    if (prefix < 0 || (size_t)prefix >= sizeof(full))
        prefix = 0;
    va_start(ap, fmt);
    vsnprintf(full + prefix, sizeof(full) - (size_t)prefix, fmt, ap);
    va_end(ap);
    ck->issues[ck->n].line = line;
    ck->issues[ck->n].order = ck->n;
    ck->issues[ck->n].text = strdup(full);
    if (ck->issues[ck->n].text == NULL) {
        ck->dropped++;
        return;
    }
    ck->n++;
}

static size_t issue_count(const struct checker *ck)
{
    return ck->n + ck->dropped;
}

static int by_line(const void *a, const void *b)
{
    const struct issue *x = a, *y = b;

    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    return x->order < y->order ? -1 : (x->order > y->order);
}

static void checker_free(struct checker *ck)
{
    for (size_t i = 0; i < ck->n; i++)
        free(ck->issues[i].text);
    ck->n = 0;
}

/* ---- Reading the file ---------------------------------------------------- */

static int open_checked(struct checker *ck, const char *path, unsigned flags, off_t *size)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);

    if (fd < 0) {
        if (errno == ELOOP)
            issue(ck, 0, "is a symbolic link; name the real file instead");
        else if (errno == ENOENT)
            issue(ck, 0, "not found; create it (see pam_assume_role.conf.example)");
        else
            issue(ck, 0, "cannot open: %s; check the path and its permissions",
                  strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        issue(ck, 0, "is not a regular file; name a regular file");
    } else if ((!(flags & PAR_CONFIG_INSECURE_ANY_OWNER) && st.st_uid != 0) ||
               (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        issue(ck, 0, "must be owned by root and not writable by group or others "
              "(chmod go-w %s; chown root %s)", path, path);
    } else if (st.st_size > PAR_CONFIG_MAX_BYTES) {
        issue(ck, 0, "is larger than %d KiB; it cannot be a configuration file",
              PAR_CONFIG_MAX_BYTES / 1024);
    } else {
        *size = st.st_size;
        return fd;
    }
    close(fd);
    return -1;
}

/* Reads the whole file from the already-checked descriptor. */
static char *read_all(struct checker *ck, int fd, off_t size)
{
    size_t cap = (size_t)size + 1, len = 0;
    char *buf = malloc(cap + 1);

    if (buf == NULL) {
        issue(ck, 0, "out of memory reading the file");
        return NULL;
    }
    for (;;) {
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            issue(ck, 0, "cannot read: %s", strerror(errno));
            free(buf);
            return NULL;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len >= cap) {
            issue(ck, 0, "changed while being read; try again");
            free(buf);
            return NULL;
        }
    }
    buf[len] = '\0';
    if (memchr(buf, '\0', len) != NULL) {
        issue(ck, 0, "contains a NUL byte; it must be a text file");
        free(buf);
        return NULL;
    }
    return buf;
}

/* @include would read a file whose owner and mode nobody checked. */
static int refuse_includes_and_long_files(struct checker *ck, const char *text)
{
    unsigned line = 1;

    for (const char *p = text; *p != '\0'; line++) {
        const char *q = p + strspn(p, " \t");
        if (strncmp(q, "@include", 8) == 0) {
            issue(ck, line, "@include is not supported; put every setting in this one file");
            return -1;
        }
        p = strchr(p, '\n');
        if (p == NULL)
            break;
        p++;
        if (line >= MAX_LINES) {
            issue(ck, 0, "has more than %d lines; it cannot be a configuration file",
                  MAX_LINES);
            return -1;
        }
    }
    return 0;
}

static char *load_text(struct checker *ck, const char *path, unsigned flags)
{
    off_t size = 0;
    int fd = open_checked(ck, path, flags, &size);
    char *text;

    if (fd < 0)
        return NULL;
    text = read_all(ck, fd, size);
    close(fd);
    if (text != NULL && refuse_includes_and_long_files(ck, text) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

/* ---- Value checks: NULL when fine, else what the value must look like ---- */

typedef const char *(*value_check)(const char *value);

static bool printable(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

static bool has_space(const char *s)
{
    return strpbrk(s, " \t") != NULL;
}

static const char *check_region(const char *v)
{
    return par_valid_region(v) ? NULL : "must be an AWS region such as \"eu-west-1\"";
}

static const char *check_role_arn(const char *v)
{
    return par_valid_role_arn(v) ? NULL
        : "must be a role ARN such as \"arn:aws:iam::123456789012:role/NAME\"";
}

static const char *check_mfa_serial(const char *v)
{
    return par_valid_mfa_serial(v) ? NULL
        : "must be an MFA device ARN such as \"arn:aws:iam::123456789012:mfa/NAME\"";
}

static const char *check_abs_path(const char *v)
{
    if (v[0] != '/' || strlen(v) >= PAR_MAX_PATH || has_space(v))
        return "must be an absolute path without spaces";
    return NULL;
}

static const char *check_profile_name(const char *v)
{
    if (!par_valid_profile_name(v))
        return "must be an AWS CLI profile name of letters, digits and _.@+=,-";
    return NULL;
}

/* Loopback only: the one place plain http is allowed (test STS servers). */
static bool loopback_authority(const char *host)
{
    static const char *const names[] = { "127.0.0.1", "localhost", "[::1]" };

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        size_t n = strlen(names[i]);
        if (strncmp(host, names[i], n) == 0 &&
            (host[n] == '\0' || host[n] == ':' || host[n] == '/'))
            return true;
    }
    return false;
}

/* https://HOST[:PORT][/PATH], or http:// to a loopback host (test servers). */
static const char *check_url_shape(const char *v)
{
    const char *host, *slash;

    if (strncmp(v, "https://", 8) == 0)
        host = v + 8;
    else if (strncmp(v, "http://", 7) == 0)
        host = v + 7;
    else
        return "must start with https://";
    slash = strchr(host, '/');
    if (host[0] == '\0' || host[0] == '/' || host[0] == ':' ||
        memchr(host, '@', slash ? (size_t)(slash - host) : strlen(host)) != NULL)
        return "must be https://HOST[:PORT][/PATH] without a user name";
    if (host == v + 7 && !loopback_authority(host))
        return "must use https:// (plain http:// only to 127.0.0.1, localhost or [::1])";
    return NULL;
}

static const char *check_sts_endpoint(const char *v)
{
    if (strlen(v) > MAX_URL || has_space(v))
        return "must be a URL without spaces, at most 256 characters";
    return check_url_shape(v);
}

static const char *check_console_destination(const char *v)
{
    if (strlen(v) > MAX_DESTINATION || has_space(v))
        return "must be a URL without spaces, at most 1024 characters";
    return check_url_shape(v);
}

static const char *check_proxy(const char *v)
{
    if (strlen(v) > MAX_URL || has_space(v) || strstr(v, "://") == NULL)
        return "must be a URL such as \"http://proxy.example:3128\"";
    return NULL;
}

static const char *check_template_text(const char *v)
{
    for (const char *p = v; *p != '\0'; p++) {
        if (*p != '%')
            continue;
        if (p[1] == '\0' || strchr(PAR_TEMPLATE_DIRECTIVES, p[1]) == NULL)
            return "uses an unknown %-directive; use %u %e %h %r %s %d %m %y %Y %H %M %S "
                   "or %% for a percent sign";
        p++;
    }
    return NULL;
}

/* Expands every directive to "a": enough to see the shape of the result. */
static void sample_expand(const char *tmpl, char *out, size_t outlen)
{
    size_t o = 0;

    for (const char *p = tmpl; *p != '\0' && o + 1 < outlen; p++) {
        if (*p == '%' && p[1] != '\0') {
            p++;
            out[o++] = *p == '%' ? '%' : 'a';
        } else {
            out[o++] = *p;
        }
    }
    out[o] = '\0';
}

static const char *check_mfa_template(const char *v)
{
    char sample[MAX_TEMPLATE * 2];
    const char *bad = check_template_text(v);

    if (bad != NULL)
        return bad;
    sample_expand(v, sample, sizeof(sample));
    if (!par_valid_mfa_serial(sample))
        return "must expand to an MFA device ARN, e.g. \"arn:aws:iam::123456789012:mfa/%u\"";
    return NULL;
}

static const char *check_profile_template(const char *v)
{
    char sample[MAX_TEMPLATE * 2];
    const char *bad = check_template_text(v);

    if (bad != NULL)
        return bad;
    if (strstr(v, "%e") == NULL)
        return "must contain %e (the environment), e.g. \"govuk-%e\"";
    sample_expand(v, sample, sizeof(sample));
    return check_profile_name(sample) == NULL ? NULL
        : "must expand to a profile name of letters, digits and _.@+=,-";
}

static const char *check_tag_key(const char *v)
{
    size_t n = strlen(v);

    if (n == 0 || n > MAX_TAG_KEY || strncasecmp(v, "aws:", 4) == 0 ||
        strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 _.:/=+@-") != n)
        return "must be 1-128 letters, digits, spaces or _.:/=+@- and not start with aws:";
    return NULL;
}

static const char *check_user_name(const char *v)
{
    size_t n = strlen(v);

    if (n == 0 || n > 64 || v[0] == '-' ||
        strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.@-") != n)
        return "must be a login name of letters, digits and _.@-";
    return NULL;
}

/* ---- Typed getters -------------------------------------------------------- */

static unsigned line_of(const config_setting_t *s)
{
    return config_setting_source_line(s);
}

/*
 * Stores a copy of S's string value in *out (replacing a default) when it is
 * a string, printable, at most max bytes and passes check. Returns 0 or -1.
 */
static int take_string(struct checker *ck, const config_setting_t *s, const char *what,
                       size_t max, value_check check, char **out)
{
    const char *v, *bad;
    char *copy;

    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        issue(ck, line_of(s), "%s must be a string in double quotes, e.g. %s = \"...\";",
              what, config_setting_name(s) ? config_setting_name(s) : what);
        return -1;
    }
    v = config_setting_get_string(s);
    if (v == NULL || !printable(v) || strlen(v) > max) {
        issue(ck, line_of(s), "%s must be one line of at most %zu characters; shorten it",
              what, max);
        return -1;
    }
    if (v[0] == '\0')
        bad = "must not be empty; remove the setting to use the default";
    else
        bad = check != NULL ? check(v) : NULL;
    if (bad != NULL) {
        issue(ck, line_of(s), "%s = \"%.80s\": %s", what, v, bad);
        return -1;
    }
    copy = strdup(v);
    if (copy == NULL) {
        issue(ck, line_of(s), "out of memory");
        return -1;
    }
    free(*out);
    *out = copy;
    return 0;
}

static int take_long(struct checker *ck, const config_setting_t *s, const char *what,
                     long min, long max, long *out)
{
    long long v;

    if (config_setting_type(s) != CONFIG_TYPE_INT &&
        config_setting_type(s) != CONFIG_TYPE_INT64) {
        issue(ck, line_of(s), "%s must be a whole number between %ld and %ld (no quotes)",
              what, min, max);
        return -1;
    }
    v = config_setting_get_int64(s);
    if (v < min || v > max) {
        issue(ck, line_of(s), "%s = %lld is out of range; use a value between %ld and %ld",
              what, v, min, max);
        return -1;
    }
    *out = (long)v;
    return 0;
}

static int take_bool(struct checker *ck, const config_setting_t *s, const char *what, bool *out)
{
    if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
        issue(ck, line_of(s), "%s must be true or false (no quotes)", what);
        return -1;
    }
    *out = config_setting_get_bool(s) != 0;
    return 0;
}

/* Reports every member of GROUP whose name is not in KNOWN. */
static void refuse_unknown(struct checker *ck, const config_setting_t *group,
                           const char *const *known, const char *where)
{
    int n = config_setting_length(group);

    for (int i = 0; i < n; i++) {
        const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
        const char *name = config_setting_name(s);
        bool found = false;

        for (size_t k = 0; name != NULL && known[k] != NULL; k++)
            if (strcmp(name, known[k]) == 0)
                found = true;
        if (!found)
            issue(ck, line_of(s), "unknown setting \"%s\"%s%s; check its spelling "
                  "(see pam_assume_role.conf.example)", name ? name : "?",
                  where[0] ? " in " : "", where);
    }
}

/* ---- The aggregate settings ----------------------------------------------- */

static void parse_environment(struct checker *ck, const config_setting_t *s,
                              struct par_environment *env)
{
    static const char *const known[] = { "role_arn", "duration", "region", NULL };
    const char *name = config_setting_name(s);
    const config_setting_t *m;
    char what[96];

    if (!par_valid_env_name(name)) {
        issue(ck, line_of(s), "environment name \"%s\" is not valid; use 1-32 lower-case "
              "letters, digits, _ or -, starting with a letter or digit", name);
        return;
    }
    if ((env->name = strdup(name)) == NULL) {
        issue(ck, line_of(s), "out of memory");
        return;
    }
    if (!config_setting_is_group(s)) {
        issue(ck, line_of(s), "environment \"%s\" must be a group, e.g. %s = { role_arn = "
              "\"arn:aws:iam::123456789012:role/NAME\"; };", name, name);
        return;
    }
    snprintf(what, sizeof(what), "environments.%s", name);
    refuse_unknown(ck, s, known, what);
    if ((m = config_setting_get_member(s, "role_arn")) != NULL) {
        snprintf(what, sizeof(what), "environments.%s.role_arn", name);
        take_string(ck, m, what, PAR_MAX_ARN, check_role_arn, &env->role_arn);
    }
    if ((m = config_setting_get_member(s, "duration")) != NULL) {
        snprintf(what, sizeof(what), "environments.%s.duration", name);
        take_long(ck, m, what, 900, 43200, &env->duration);
    }
    if ((m = config_setting_get_member(s, "region")) != NULL) {
        snprintf(what, sizeof(what), "environments.%s.region", name);
        take_string(ck, m, what, PAR_MAX_REGION, check_region, &env->region);
    }
}

static void parse_environments(struct checker *ck, const config_setting_t *s,
                               struct par_config *cfg)
{
    int n;

    if (!config_setting_is_group(s)) {
        issue(ck, line_of(s), "environments must be a group, e.g. environments = { "
              "integration = { role_arn = \"...\"; }; };");
        return;
    }
    n = config_setting_length(s);
    if (n == 0)
        return;
    cfg->environments = calloc((size_t)n, sizeof(*cfg->environments));
    if (cfg->environments == NULL) {
        issue(ck, line_of(s), "out of memory");
        return;
    }
    for (int i = 0; i < n; i++) {
        parse_environment(ck, config_setting_get_elem(s, (unsigned)i),
                          &cfg->environments[cfg->n_environments]);
        if (cfg->environments[cfg->n_environments].name != NULL)
            cfg->n_environments++;
    }
}

static void parse_user(struct checker *ck, const config_setting_t *s, int index,
                       struct par_config *cfg)
{
    static const char *const known[] = { "name", "mfa_serial", NULL };
    struct par_user *u = &cfg->users[cfg->n_users];
    const config_setting_t *name = config_setting_get_member(s, "name");
    const config_setting_t *mfa = config_setting_get_member(s, "mfa_serial");
    char where[32], what[48];

    snprintf(where, sizeof(where), "users[%d]", index);
    refuse_unknown(ck, s, known, where);
    if (name == NULL || mfa == NULL) {
        issue(ck, line_of(s), "%s needs both name and mfa_serial, e.g. { name = \"jane.doe\"; "
              "mfa_serial = \"arn:aws:iam::123456789012:mfa/jane.doe\"; }", where);
    }
    snprintf(what, sizeof(what), "%s.name", where);
    if (name == NULL || take_string(ck, name, what, 64, check_user_name, &u->name) != 0)
        return;
    for (size_t i = 0; i < cfg->n_users; i++) {
        if (strcmp(cfg->users[i].name, u->name) == 0) {
            issue(ck, line_of(name), "user \"%s\" is listed twice; keep one entry", u->name);
            free(u->name);
            u->name = NULL;
            return;
        }
    }
    snprintf(what, sizeof(what), "%s.mfa_serial", where);
    if (mfa != NULL)
        take_string(ck, mfa, what, PAR_MAX_ARN, check_mfa_serial, &u->mfa_serial);
    cfg->n_users++;
}

static void parse_users(struct checker *ck, const config_setting_t *s, struct par_config *cfg)
{
    int n;

    if (!config_setting_is_list(s)) {
        issue(ck, line_of(s), "users must be a list in round brackets, e.g. users = ( { name = "
              "\"jane.doe\"; mfa_serial = \"...\"; } );");
        return;
    }
    n = config_setting_length(s);
    if (n == 0)
        return;
    if ((cfg->users = calloc((size_t)n, sizeof(*cfg->users))) == NULL) {
        issue(ck, line_of(s), "out of memory");
        return;
    }
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if (!config_setting_is_group(e)) {
            issue(ck, line_of(e), "each entry of users must be a group { name = \"...\"; "
                  "mfa_serial = \"...\"; }");
            continue;
        }
        parse_user(ck, e, i, cfg);
    }
}

static void parse_tag(struct checker *ck, const config_setting_t *s, int index,
                      struct par_config *cfg)
{
    static const char *const known[] = { "key", "value", NULL };
    struct par_tag *t = &cfg->tags[cfg->n_tags];
    const config_setting_t *key = config_setting_get_member(s, "key");
    const config_setting_t *value = config_setting_get_member(s, "value");
    char where[32], what_key[48], what_value[48];
    int bad = 0;

    snprintf(where, sizeof(where), "tags[%d]", index);
    snprintf(what_key, sizeof(what_key), "%s.key", where);
    snprintf(what_value, sizeof(what_value), "%s.value", where);
    refuse_unknown(ck, s, known, where);
    if (key == NULL || value == NULL) {
        issue(ck, line_of(s), "%s needs both key and value, e.g. { key = \"host\"; "
              "value = \"%%h\"; }", where);
        return;
    }
    bad |= take_string(ck, key, what_key, MAX_TAG_KEY, check_tag_key, &t->key);
    bad |= take_string(ck, value, what_value, MAX_TEMPLATE, check_template_text, &t->value);
    for (size_t i = 0; bad == 0 && i < cfg->n_tags; i++) {
        if (strcasecmp(cfg->tags[i].key, t->key) == 0) {
            issue(ck, line_of(key), "tag key \"%s\" is used twice; keep one", t->key);
            bad = -1;
        }
    }
    if (bad != 0) {
        free(t->key);
        free(t->value);
        t->key = t->value = NULL;
        return;
    }
    cfg->n_tags++;
}

static void parse_tags(struct checker *ck, const config_setting_t *s, struct par_config *cfg)
{
    int n;

    if (!config_setting_is_list(s)) {
        issue(ck, line_of(s), "tags must be a list in round brackets, e.g. tags = ( { key = "
              "\"host\"; value = \"%%h\"; } );");
        return;
    }
    n = config_setting_length(s);
    if (n > MAX_TAGS) {
        issue(ck, line_of(s), "tags has %d entries; AWS allows at most %d", n, MAX_TAGS);
        return;
    }
    if (n == 0)
        return;
    if ((cfg->tags = calloc((size_t)n, sizeof(*cfg->tags))) == NULL) {
        issue(ck, line_of(s), "out of memory");
        return;
    }
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if (!config_setting_is_group(e)) {
            issue(ck, line_of(e), "each entry of tags must be a group { key = \"...\"; "
                  "value = \"...\"; }");
            continue;
        }
        parse_tag(ck, e, i, cfg);
    }
}

static void parse_login_environments(struct checker *ck, const config_setting_t *s,
                                     struct par_config *cfg)
{
    int n;

    if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
        issue(ck, line_of(s), "login_environments must be a list of names, e.g. "
              "login_environments = [ \"integration\" ];");
        return;
    }
    n = config_setting_length(s);
    if (n == 0) {
        issue(ck, line_of(s), "login_environments is empty; name at least one environment "
              "or remove the setting to use the first one");
        return;
    }
    if ((cfg->login_environments = calloc((size_t)n, sizeof(char *))) == NULL) {
        issue(ck, line_of(s), "out of memory");
        return;
    }
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        char *name = NULL;

        if (take_string(ck, e, "login_environments entry", PAR_MAX_ENV_NAME, NULL, &name) != 0)
            continue;
        for (size_t k = 0; k < cfg->n_login_environments; k++) {
            if (strcmp(cfg->login_environments[k], name) == 0) {
                issue(ck, line_of(e), "login_environments lists \"%s\" twice; keep one", name);
                free(name);
                name = NULL;
                break;
            }
        }
        if (name != NULL)
            cfg->login_environments[cfg->n_login_environments++] = name;
    }
}

/* ---- Who gets credentials: target_accounts, invoker_services --------------- */

static const char *check_service_name(const char *v)
{
    size_t n = strlen(v);

    if (n == 0 || n > 64 || v[0] == '.' ||
        strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != n)
        return "must be a PAM service name (a file name in /etc/pam.d) of letters, digits "
               "and _.-";
    return NULL;
}

static void free_list(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

/* NAME = [ "a", "b" ]; each entry checked, duplicates refused. */
static void parse_name_list(struct checker *ck, const config_setting_t *root, const char *name,
                            value_check check, char ***out, size_t *n_out)
{
    const config_setting_t *s = config_setting_get_member(root, name);
    int n;

    if (s == NULL)
        return;
    if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
        issue(ck, line_of(s), "%s must be a list of names, e.g. %s = [ \"svc\" ];", name, name);
        return;
    }
    if ((n = config_setting_length(s)) == 0)
        return;
    if ((*out = calloc((size_t)n, sizeof(char *))) == NULL) {
        issue(ck, line_of(s), "out of memory");
        return;
    }
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        char *v = NULL;

        if (take_string(ck, e, name, 64, check, &v) != 0)
            continue;
        if (par_config_lists(*out, *n_out, v)) {
            issue(ck, line_of(e), "%s lists \"%s\" twice; keep one", name, v);
            free(v);
            continue;
        }
        (*out)[(*n_out)++] = v;
    }
}

static void parse_recipients(struct checker *ck, const config_setting_t *root,
                             struct par_config *cfg)
{
    parse_name_list(ck, root, "target_accounts", check_user_name, &cfg->target_accounts,
                    &cfg->n_target_accounts);
    parse_name_list(ck, root, "invoker_services", check_service_name, &cfg->invoker_services,
                    &cfg->n_invoker_services);
}

/* graphical_services: the admin's list replaces the default one; [] lists none. */
static void parse_graphical_services(struct checker *ck, const config_setting_t *root,
                                     struct par_config *cfg)
{
    const config_setting_t *s = config_setting_get_member(root, "graphical_services");

    if (s == NULL)
        return;
    free_list(cfg->graphical_services, cfg->n_graphical_services);
    cfg->graphical_services = NULL;
    cfg->n_graphical_services = 0;
    parse_name_list(ck, root, "graphical_services", check_service_name,
                    &cfg->graphical_services, &cfg->n_graphical_services);
}

/* ---- Top level -------------------------------------------------------------- */

static const char *const top_level_names[] = {
    "region", "sts_endpoint", "signin_endpoint", "console_destination", "ca_file", "ca_path", "proxy", "helper", "run_dir",
    "connect_timeout_ms", "timeout_ms", "max_response_bytes", "source_profile",
    "profile_template", "session_name", "mfa_serial_template", "strategy",
    "session_duration", "renew_before_seconds", "login_environments", "on_failure", "source_identity", "tags",
    "no_code_hint", "key_store_hint", "environments", "users",
    "target_accounts", "invoker_services",
    "secrets_in_environment", "graphical_services",
    "user_dir_size_kb", "user_dir_inodes",
    "hook_timeout_ms",
    NULL
};

/* The display managers' PAM services on Debian: LightDM, GDM, SDDM. */
static int default_graphical_services(struct par_config *cfg)
{
    static const char *const names[] = { "lightdm", "gdm-password", "sddm" };
    size_t n = sizeof(names) / sizeof(names[0]);

    if ((cfg->graphical_services = calloc(n, sizeof(char *))) == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        if ((cfg->graphical_services[cfg->n_graphical_services++] = strdup(names[i])) == NULL)
            return -1;
    return 0;
}

static int set_defaults(struct par_config *cfg, const char *path)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->path = strdup(path);
    cfg->region = strdup("eu-west-1");
    cfg->source_profile = strdup("gds");
    cfg->profile_template = strdup("govuk-%e");
    cfg->session_name = strdup("%u-%d-%m-%y_%H-%M");
    cfg->connect_timeout_ms = 3000;
    cfg->timeout_ms = 10000;
    cfg->max_response_bytes = 65536;
    cfg->strategy = PAR_STRATEGY_DIRECT;
    cfg->session_duration = 43200;
    cfg->renew_before_seconds = PAR_RENEW_BEFORE_DEFAULT;
    cfg->on_failure = PAR_ON_FAILURE_CONTINUE;
    cfg->source_identity = false;
    cfg->no_code_hint = true;
    cfg->key_store_hint = true;
    cfg->user_dir_size_kb = PAR_USER_DIR_SIZE_KB;
    cfg->user_dir_inodes = PAR_USER_DIR_INODES;
    cfg->hook_timeout_ms = PAR_HOOK_TIMEOUT_MS;
    cfg->secrets_in_environment = PAR_SECRETS_AUTO;
    if (default_graphical_services(cfg) != 0)
        return -1;
    if (cfg->path == NULL || cfg->region == NULL || cfg->source_profile == NULL ||
        cfg->profile_template == NULL || cfg->session_name == NULL)
        return -1;
    return 0;
}

struct string_setting {
    const char *name;
    size_t offset;
    size_t max;
    value_check check;
};

static const struct string_setting string_settings[] = {
    { "region", offsetof(struct par_config, region), PAR_MAX_REGION, check_region },
    { "sts_endpoint", offsetof(struct par_config, sts_endpoint), MAX_URL, check_sts_endpoint },
    { "signin_endpoint", offsetof(struct par_config, signin_endpoint), MAX_URL,
      check_sts_endpoint },
    { "console_destination", offsetof(struct par_config, console_destination),
      MAX_DESTINATION, check_console_destination },
    { "ca_file", offsetof(struct par_config, ca_file), PAR_MAX_PATH, check_abs_path },
    { "ca_path", offsetof(struct par_config, ca_path), PAR_MAX_PATH, check_abs_path },
    { "proxy", offsetof(struct par_config, proxy), MAX_URL, check_proxy },
    { "helper", offsetof(struct par_config, helper), PAR_MAX_PATH, check_abs_path },
    { "run_dir", offsetof(struct par_config, run_dir), PAR_MAX_PATH, check_abs_path },
    { "source_profile", offsetof(struct par_config, source_profile), PAR_MAX_PROFILE_NAME,
      check_profile_name },
    { "profile_template", offsetof(struct par_config, profile_template), MAX_TEMPLATE,
      check_profile_template },
    { "session_name", offsetof(struct par_config, session_name), MAX_TEMPLATE,
      check_template_text },
    { "mfa_serial_template", offsetof(struct par_config, mfa_serial_template), MAX_TEMPLATE,
      check_mfa_template },
};

struct long_setting {
    const char *name;
    size_t offset;
    long min, max;
};

static const struct long_setting long_settings[] = {
    { "connect_timeout_ms", offsetof(struct par_config, connect_timeout_ms), 100, 60000 },
    { "timeout_ms", offsetof(struct par_config, timeout_ms), 500, 120000 },
    { "max_response_bytes", offsetof(struct par_config, max_response_bytes), 1024, 1048576 },
    { "session_duration", offsetof(struct par_config, session_duration), 900, 129600 },
    { "renew_before_seconds", offsetof(struct par_config, renew_before_seconds), 60, 3600 },
};

/* ---- Each person's folder: its own tmpfs (pam_module/userfs.c) ------------- */

static void parse_user_dir(struct checker *ck, const config_setting_t *root,
                           struct par_config *cfg)
{
    const config_setting_t *s = config_setting_get_member(root, "user_dir_size_kb");

    if (s != NULL &&
        take_long(ck, s, "user_dir_size_kb", 0, 1048576, &cfg->user_dir_size_kb) == 0 &&
        cfg->user_dir_size_kb > 0 && cfg->user_dir_size_kb < 64)
        issue(ck, line_of(s), "user_dir_size_kb = %ld leaves no room for a session; use at "
              "least 64, or 0 for no folder of its own", cfg->user_dir_size_kb);
    if ((s = config_setting_get_member(root, "user_dir_inodes")) != NULL)
        take_long(ck, s, "user_dir_inodes", 16, 1048576, &cfg->user_dir_inodes);
}

/* ---- The profile hook's budget for a renewal -------------------------------- */

static void parse_hook(struct checker *ck, const config_setting_t *root, struct par_config *cfg)
{
    const config_setting_t *s = config_setting_get_member(root, "hook_timeout_ms");

    if (s != NULL)
        take_long(ck, s, "hook_timeout_ms", PAR_HOOK_TIMEOUT_MIN_MS, PAR_HOOK_TIMEOUT_MAX_MS,
                  &cfg->hook_timeout_ms);
}

static void parse_scalars(struct checker *ck, const config_setting_t *root,
                          struct par_config *cfg)
{
    const config_setting_t *s;

    for (size_t i = 0; i < sizeof(string_settings) / sizeof(string_settings[0]); i++) {
        const struct string_setting *d = &string_settings[i];
        if ((s = config_setting_get_member(root, d->name)) != NULL)
            take_string(ck, s, d->name, d->max, d->check,
                        (char **)(void *)((char *)cfg + d->offset));
    }
    for (size_t i = 0; i < sizeof(long_settings) / sizeof(long_settings[0]); i++) {
        const struct long_setting *d = &long_settings[i];
        if ((s = config_setting_get_member(root, d->name)) != NULL)
            take_long(ck, s, d->name, d->min, d->max,
                      (long *)(void *)((char *)cfg + d->offset));
    }
    if ((s = config_setting_get_member(root, "source_identity")) != NULL)
        take_bool(ck, s, "source_identity", &cfg->source_identity);
    if ((s = config_setting_get_member(root, "no_code_hint")) != NULL)
        take_bool(ck, s, "no_code_hint", &cfg->no_code_hint);
    if ((s = config_setting_get_member(root, "key_store_hint")) != NULL)
        take_bool(ck, s, "key_store_hint", &cfg->key_store_hint);
    parse_user_dir(ck, root, cfg);
    parse_hook(ck, root, cfg);
}

/* Parses a string setting that must be one of the NULL-ended words; *out: its index. */
static void parse_choice(struct checker *ck, const config_setting_t *root, const char *name,
                         const char *const *words, int *out)
{
    const config_setting_t *s = config_setting_get_member(root, name);
    char known[128] = "";
    char *v = NULL;

    if (s == NULL || take_string(ck, s, name, 32, NULL, &v) != 0)
        return;
    for (int i = 0; words[i] != NULL; i++) {
        if (strcmp(v, words[i]) == 0) {
            *out = i;
            free(v);
            return;
        }
        snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s\"%s\"",
                 i == 0 ? "" : words[i + 1] == NULL ? " or " : ", ", words[i]);
    }
    issue(ck, line_of(s), "%s = \"%.32s\" is not known; use %s", name, v, known);
    free(v);
}

static void check_login_environments(struct checker *ck, const config_setting_t *root,
                                     struct par_config *cfg)
{
    const config_setting_t *s = config_setting_get_member(root, "login_environments");
    unsigned line = s != NULL ? line_of(s) : 0;

    if (s == NULL && cfg->n_environments > 0) {
        cfg->login_environments = calloc(1, sizeof(char *));
        if (cfg->login_environments == NULL ||
            (cfg->login_environments[0] = strdup(cfg->environments[0].name)) == NULL) {
            issue(ck, 0, "out of memory");
            return;
        }
        cfg->n_login_environments = 1;
    }
    for (size_t i = 0; i < cfg->n_login_environments; i++) {
        if (par_config_environment(cfg, cfg->login_environments[i]) == NULL)
            issue(ck, line, "login_environments names \"%s\", which is not in environments; "
                  "add it to environments or fix the name", cfg->login_environments[i]);
    }
    if (cfg->strategy == PAR_STRATEGY_DIRECT && cfg->n_login_environments > 1)
        issue(ck, line, "login_environments lists %zu environments, but strategy \"direct\" "
              "takes exactly one; list one, or set strategy = \"session\"",
              cfg->n_login_environments);
}

/* ---- ARNs against the region's partition ----------------------------------- */

/* GROUP's member NAME when it is a string; NULL otherwise (libconfig's getter takes no NULL). */
static const char *string_member(const config_setting_t *group, const char *name)
{
    const config_setting_t *m = config_setting_get_member(group, name);

    return m != NULL ? config_setting_get_string(m) : NULL;
}

/*
 * The region GROUP's setting names (PARSED, as taken), FALLBACK when it has
 * none, or NULL when it was refused (already reported): an ARN is then not
 * compared with a region it was never meant for.
 */
static const char *region_of(const config_setting_t *group, const char *parsed,
                             const char *fallback)
{
    const char *given;

    if (config_setting_get_member(group, "region") == NULL)
        return fallback;
    given = string_member(group, "region");
    return given != NULL && parsed != NULL && strcmp(given, parsed) == 0 ? parsed : NULL;
}

/* Reports S's ARN (when it is a valid one of its kind) if it is not in REGION's partition. */
static void check_arn_setting(struct checker *ck, const config_setting_t *s, const char *prefix,
                              const char *what, bool (*valid)(const char *), const char *region)
{
    const char *v = s != NULL ? config_setting_get_string(s) : NULL;
    char err[PAR_CONFIG_ERR_MAX];

    if (v == NULL || region == NULL || !valid(v))
        return;
    if (par_check_arn_partition(what, v, region, err, sizeof(err)) != 0)
        issue(ck, line_of(s), "%s%s", prefix, err);
}

/* Every STS call goes to the top-level region's endpoint with the person's
 * keys, which belong to one partition: an environment's region must share it. */
static void check_region_partition(struct checker *ck, const config_setting_t *g,
                                   const char *prefix, const char *region, const char *top_region)
{
    const struct par_partition *p = region ? par_region_partition(region) : NULL;
    const struct par_partition *top = top_region ? par_region_partition(top_region) : NULL;

    if (p != NULL && top != NULL && p != top)
        issue(ck, line_of(config_setting_get_member(g, "region")),
              "%sregion %s is in partition %s but the top-level region %s is in %s: one IAM "
              "user's keys and STS endpoint serve one partition; use a region of %s",
              prefix, region, p->name, top_region, top->name, top->name);
}

static void check_environment_partitions(struct checker *ck, const config_setting_t *envs,
                                         const struct par_config *cfg, const char *top_region)
{
    char prefix[PAR_MAX_ENV_NAME + 32];

    for (size_t i = 0; i < cfg->n_environments; i++) {
        const struct par_environment *e = &cfg->environments[i];
        const config_setting_t *g = config_setting_get_member(envs, e->name);

        if (g == NULL || !config_setting_is_group(g))
            continue;
        snprintf(prefix, sizeof(prefix), "environment '%s': ", e->name);
        check_region_partition(ck, g, prefix, region_of(g, e->region, NULL), top_region);
        check_arn_setting(ck, config_setting_get_member(g, "role_arn"), prefix, "role_arn",
                          par_valid_role_arn, region_of(g, e->region, top_region));
    }
}

static void check_user_partitions(struct checker *ck, const config_setting_t *users,
                                  const char *top_region)
{
    char prefix[96];
    int n = config_setting_is_list(users) ? config_setting_length(users) : 0;

    for (int i = 0; i < n; i++) {
        const config_setting_t *u = config_setting_get_elem(users, (unsigned)i);
        const char *name;

        if (!config_setting_is_group(u))
            continue;
        name = string_member(u, "name");
        if (name != NULL && par_valid_message(name) && strlen(name) <= 64)
            snprintf(prefix, sizeof(prefix), "user '%s': ", name);
        else
            snprintf(prefix, sizeof(prefix), "users[%d]: ", i);
        check_arn_setting(ck, config_setting_get_member(u, "mfa_serial"), prefix, "mfa_serial",
                          par_valid_mfa_serial, top_region);
    }
}

/* The template's partition field, when it is plain text ("arn:aws-cn:iam::..."). */
static void check_template_partition(struct checker *ck, const config_setting_t *s,
                                     const char *top_region)
{
    const char *v = s != NULL ? config_setting_get_string(s) : NULL;
    const char *colon;
    char err[PAR_CONFIG_ERR_MAX];

    if (v == NULL || top_region == NULL || strncmp(v, "arn:", 4) != 0 ||
        check_mfa_template(v) != NULL)
        return;
    colon = strchr(v + 4, ':');
    if (colon == NULL || memchr(v + 4, '%', (size_t)(colon - (v + 4))) != NULL)
        return;
    if (par_check_arn_partition("mfa_serial_template", v, top_region, err, sizeof(err)) != 0)
        issue(ck, line_of(s), "%s", err);
}

static void check_partitions(struct checker *ck, const config_setting_t *root,
                             const struct par_config *cfg)
{
    const char *top_region = region_of(root, cfg->region, cfg->region);
    const config_setting_t *s;

    if ((s = config_setting_get_member(root, "environments")) != NULL &&
        config_setting_is_group(s))
        check_environment_partitions(ck, s, cfg, top_region);
    if ((s = config_setting_get_member(root, "users")) != NULL)
        check_user_partitions(ck, s, top_region);
    check_template_partition(ck, config_setting_get_member(root, "mfa_serial_template"),
                             top_region);
}

static const char *const strategy_words[] = { "direct", "session", NULL };
static const char *const on_failure_words[] = { "continue", "deny", NULL };
/* In the order of enum par_secrets_in_env. */
static const char *const secrets_words[] = { "auto", "always", "never", NULL };

static void parse_root(struct checker *ck, const config_setting_t *root, struct par_config *cfg)
{
    const config_setting_t *s;
    int choice;

    refuse_unknown(ck, root, top_level_names, "");
    parse_scalars(ck, root, cfg);
    choice = (int)cfg->strategy;
    parse_choice(ck, root, "strategy", strategy_words, &choice);
    cfg->strategy = choice ? PAR_STRATEGY_SESSION : PAR_STRATEGY_DIRECT;
    choice = (int)cfg->on_failure;
    parse_choice(ck, root, "on_failure", on_failure_words, &choice);
    cfg->on_failure = choice ? PAR_ON_FAILURE_DENY : PAR_ON_FAILURE_CONTINUE;
    choice = (int)cfg->secrets_in_environment;
    parse_choice(ck, root, "secrets_in_environment", secrets_words, &choice);
    cfg->secrets_in_environment = (enum par_secrets_in_env)choice;
    if ((s = config_setting_get_member(root, "environments")) != NULL)
        parse_environments(ck, s, cfg);
    if (s == NULL || (config_setting_is_group(s) && config_setting_length(s) == 0))
        issue(ck, s ? line_of(s) : 0, "no environments are defined; add one, e.g. "
              "environments = { integration = { role_arn = \"...\"; }; };");
    if ((s = config_setting_get_member(root, "users")) != NULL)
        parse_users(ck, s, cfg);
    if ((s = config_setting_get_member(root, "tags")) != NULL)
        parse_tags(ck, s, cfg);
    if ((s = config_setting_get_member(root, "login_environments")) != NULL)
        parse_login_environments(ck, s, cfg);
    check_login_environments(ck, root, cfg);
    parse_recipients(ck, root, cfg);
    parse_graphical_services(ck, root, cfg);
    check_partitions(ck, root, cfg);
}

/* Runs the whole check; cfg is filled as far as the file allowed. */
static void check_file(struct checker *ck, const char *path, unsigned flags,
                       struct par_config *cfg)
{
    config_t lc;
    char *text;

    if (set_defaults(cfg, path) != 0) {
        issue(ck, 0, "out of memory");
        return;
    }
    if ((text = load_text(ck, path, flags)) == NULL)
        return;
    config_init(&lc);
    if (config_read_string(&lc, text) != CONFIG_TRUE)
        issue(ck, (unsigned)config_error_line(&lc), "%s; fix the syntax (settings end with ;)",
              config_error_text(&lc));
    else
        parse_root(ck, config_root_setting(&lc), cfg);
    config_destroy(&lc);
    free(text);
}

int par_config_load(const char *path, unsigned flags, struct par_config *cfg,
                    char *err, size_t errlen)
{
    struct checker *ck = calloc(1, sizeof(*ck));

    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (ck == NULL) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "%s: out of memory", path);
        memset(cfg, 0, sizeof(*cfg));
        return -1;
    }
    ck->path = path;
    check_file(ck, path, flags, cfg);
    if (issue_count(ck) == 0) {
        free(ck);
        return 0;
    }
    qsort(ck->issues, ck->n, sizeof(ck->issues[0]), by_line);
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "%s", ck->n > 0 ? ck->issues[0].text : "out of memory");
    checker_free(ck);
    free(ck);
    par_config_free(cfg);
    return -1;
}

int par_config_check_all(const char *path, unsigned flags,
                         void (*report)(void *ctx, const char *line), void *ctx)
{
    struct checker *ck = calloc(1, sizeof(*ck));
    struct par_config cfg;
    int count;

    if (ck == NULL) {
        report(ctx, "out of memory");
        return 1;
    }
    ck->path = path;
    check_file(ck, path, flags, &cfg);
    par_config_free(&cfg);
    qsort(ck->issues, ck->n, sizeof(ck->issues[0]), by_line);
    for (size_t i = 0; i < ck->n; i++)
        report(ctx, ck->issues[i].text);
    if (ck->dropped > 0) {
        char line[PAR_CONFIG_ERR_MAX];
        snprintf(line, sizeof(line), "%s: %zu more errors not shown; fix the ones above first",
                 path, ck->dropped);
        report(ctx, line);
    }
    count = (int)issue_count(ck);
    checker_free(ck);
    free(ck);
    return count;
}

void par_config_free(struct par_config *cfg)
{
    if (cfg == NULL)
        return;
    free(cfg->path);
    free(cfg->region);
    free(cfg->sts_endpoint);
    free(cfg->signin_endpoint);
    free(cfg->console_destination);
    free(cfg->ca_file);
    free(cfg->ca_path);
    free(cfg->proxy);
    free(cfg->helper);
    free(cfg->run_dir);
    free(cfg->source_profile);
    free(cfg->profile_template);
    free(cfg->session_name);
    free(cfg->mfa_serial_template);
    for (size_t i = 0; i < cfg->n_login_environments; i++)
        free(cfg->login_environments[i]);
    free(cfg->login_environments);
    for (size_t i = 0; i < cfg->n_tags; i++) {
        free(cfg->tags[i].key);
        free(cfg->tags[i].value);
    }
    free(cfg->tags);
    for (size_t i = 0; i < cfg->n_environments; i++) {
        free(cfg->environments[i].name);
        free(cfg->environments[i].role_arn);
        free(cfg->environments[i].region);
    }
    free(cfg->environments);
    for (size_t i = 0; i < cfg->n_users; i++) {
        free(cfg->users[i].name);
        free(cfg->users[i].mfa_serial);
    }
    free(cfg->users);
    free_list(cfg->target_accounts, cfg->n_target_accounts);
    free_list(cfg->invoker_services, cfg->n_invoker_services);
    free_list(cfg->graphical_services, cfg->n_graphical_services);
    memset(cfg, 0, sizeof(*cfg));
}

const struct par_environment *par_config_environment(const struct par_config *cfg,
                                                     const char *name)
{
    for (size_t i = 0; cfg != NULL && name != NULL && i < cfg->n_environments; i++)
        if (strcmp(cfg->environments[i].name, name) == 0)
            return &cfg->environments[i];
    return NULL;
}

const struct par_user *par_config_user(const struct par_config *cfg, const char *name)
{
    for (size_t i = 0; cfg != NULL && name != NULL && i < cfg->n_users; i++)
        if (strcmp(cfg->users[i].name, name) == 0)
            return &cfg->users[i];
    return NULL;
}

bool par_config_lists(char *const *list, size_t n, const char *name)
{
    for (size_t i = 0; list != NULL && name != NULL && i < n; i++)
        if (strcmp(list[i], name) == 0)
            return true;
    return false;
}

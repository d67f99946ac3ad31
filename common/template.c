#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "template.h"

#define EXPAND_MAX 1024   /* a session name is expanded in full, then cut */

/* After a cut: the rest of the template must still be valid. */
static int check_rest(const char *p)
{
    for (; *p != '\0'; p++) {
        if (*p != '%')
            continue;
        if (p[1] == '\0' || strchr(PAR_TEMPLATE_DIRECTIVES, p[1]) == NULL) {
            errno = EINVAL;
            return -1;
        }
        p++;
    }
    return 0;
}

static void short_hostname(char *buf, size_t len)
{
    if (gethostname(buf, len) != 0)
        snprintf(buf, len, "unknown");
    buf[len - 1] = '\0';
    buf[strcspn(buf, ".")] = '\0';
}

/* Formats a time directive into buf; returns -1 when d is not one. */
static int format_time(char d, const struct tm *tm, char *buf, size_t len)
{
    int value;

    switch (d) {
    case 'd': value = tm->tm_mday; break;
    case 'm': value = tm->tm_mon + 1; break;
    case 'y': value = tm->tm_year % 100; break;
    case 'Y': value = tm->tm_year + 1900; break;
    case 'H': value = tm->tm_hour; break;
    case 'M': value = tm->tm_min; break;
    case 'S': value = tm->tm_sec; break;
    default: return -1;
    }
    snprintf(buf, len, "%02d", value);
    return 0;
}

/* The text for one directive (in scratch when formatted), or NULL if unknown. */
static const char *directive_text(char d, const struct par_template_vars *v,
                                  const struct tm *tm, char *scratch, size_t len)
{
    switch (d) {
    case 'u': return v->user ? v->user : "";
    case 'e': return v->environment ? v->environment : "";
    case 'r': return v->rhost ? v->rhost : "";
    case 's': return v->service ? v->service : "";
    case '%': return "%";
    case 'h':
        if (v->host != NULL)
            return v->host;
        short_hostname(scratch, len);
        return scratch;
    default:
        return format_time(d, tm, scratch, len) == 0 ? scratch : NULL;
    }
}

/* With cut, a result that does not fit is cut short instead of refused. */
static int expand(const char *tmpl, const struct par_template_vars *v, char *out,
                  size_t outlen, bool cut)
{
    char scratch[256];
    struct tm tm;
    size_t o = 0;

    if (tmpl == NULL || v == NULL || out == NULL || outlen == 0) {
        errno = EINVAL;
        return -1;
    }
    if (localtime_r(&v->now, &tm) == NULL)
        memset(&tm, 0, sizeof(tm));
    for (const char *p = tmpl; *p != '\0'; p++) {
        const char *text;
        size_t n;

        if (*p != '%') {
            text = p;
            n = 1;
        } else {
            text = p[1] ? directive_text(p[1], v, &tm, scratch, sizeof(scratch)) : NULL;
            if (text == NULL) {
                out[0] = '\0';
                errno = EINVAL;
                return -1;
            }
            n = strlen(text);
            p++;
        }
        if (n >= outlen - o) {
            if (cut) {
                n = outlen - o - 1;
                memcpy(out + o, text, n);
                out[o + n] = '\0';
                return check_rest(p + 1);
            }
            out[0] = '\0';
            errno = ENAMETOOLONG;
            return -1;
        }
        memcpy(out + o, text, n);
        o += n;
    }
    out[o] = '\0';
    return 0;
}

int par_expand_template(const char *tmpl, const struct par_template_vars *v,
                        char *out, size_t outlen)
{
    return expand(tmpl, v, out, outlen, false);
}

int par_profile_name(const char *tmpl, const char *user, const char *env,
                     char out[PAR_MAX_PROFILE_NAME + 1])
{
    struct par_template_vars v = { .user = user, .environment = env, .now = time(NULL) };

    if (par_expand_template(tmpl, &v, out, PAR_MAX_PROFILE_NAME + 1) != 0 ||
        !par_valid_profile_name(out)) {
        out[0] = '\0';
        return -1;
    }
    return 0;
}

int par_session_name(const char *tmpl, const struct par_template_vars *v,
                     char out[PAR_MAX_SESSION_NAME + 1])
{
    static const char allowed[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                  "0123456789_+=,.@-";
    char full[EXPAND_MAX];
    size_t n;

    out[0] = '\0';
    if (expand(tmpl, v, full, sizeof(full), true) != 0)
        return -1;
    full[PAR_MAX_SESSION_NAME] = '\0';
    n = strlen(full);
    for (size_t i = 0; i < n; i++)
        if (strchr(allowed, full[i]) == NULL)
            full[i] = '-';
    while (n < 2)
        full[n++] = '-';
    full[n] = '\0';
    memcpy(out, full, n + 1);
    return 0;
}

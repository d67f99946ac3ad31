#include <string.h>
#include "valid.h"

static bool all_in(const char *s, size_t min, size_t max, const char *extra,
                   bool upper, bool lower, bool digit)
{
    size_t n;

    if (s == NULL)
        return false;
    n = strlen(s);
    if (n < min || n > max)
        return false;
    for (const char *p = s; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;
        if ((upper && c >= 'A' && c <= 'Z') || (lower && c >= 'a' && c <= 'z') ||
            (digit && c >= '0' && c <= '9') || (extra != NULL && strchr(extra, c) != NULL))
            continue;
        return false;
    }
    return true;
}

bool par_valid_mfa_code(const char *s)
{
    return all_in(s, 6, 6, NULL, false, false, true);
}

bool par_valid_access_key_id(const char *s)
{
    return all_in(s, 16, PAR_MAX_ACCESS_KEY_ID, NULL, true, false, true);
}

bool par_valid_secret_key(const char *s)
{
    return all_in(s, 16, PAR_MAX_SECRET_KEY, "/+=", true, true, true);
}

bool par_valid_session_token(const char *s)
{
    return all_in(s, 16, PAR_MAX_SESSION_TOKEN, "/+=", true, true, true);
}

bool par_valid_arn(const char *s)
{
    if (s == NULL || strncmp(s, "arn:", 4) != 0)
        return false;
    return all_in(s, 12, PAR_MAX_ARN, ":/+=,.@_-", true, true, true);
}

/* arn:PARTITION:iam::ACCOUNT:KIND/NAME with a 12-digit account. */
static bool valid_iam_arn(const char *s, const char *kind)
{
    const char *p, *acct;
    size_t klen = strlen(kind);

    if (!par_valid_arn(s))
        return false;
    p = s + 4;
    if (strncmp(p, "aws", 3) != 0)
        return false;
    p = strchr(p, ':');
    if (p == NULL || strncmp(p, ":iam::", 6) != 0)
        return false;
    acct = p + 6;
    for (int i = 0; i < 12; i++)
        if (acct[i] < '0' || acct[i] > '9')
            return false;
    p = acct + 12;
    if (*p != ':' || strncmp(p + 1, kind, klen) != 0 || p[1 + klen] != '/')
        return false;
    return p[2 + klen] != '\0';
}

bool par_valid_role_arn(const char *s)
{
    return valid_iam_arn(s, "role");
}

bool par_valid_mfa_serial(const char *s)
{
    if (s != NULL && strncmp(s, "arn:", 4) == 0)
        return valid_iam_arn(s, "mfa");
    /* Hardware tokens are named by serial number: [\w+=/:,.@-]{9,256}. */
    return all_in(s, 9, 256, "_+=/:,.@-", true, true, true);
}

bool par_valid_region(const char *s)
{
    if (!all_in(s, 4, PAR_MAX_REGION, "-", false, true, true))
        return false;
    return s[0] >= 'a' && s[0] <= 'z' && strchr(s, '-') != NULL &&
           s[strlen(s) - 1] != '-';
}

bool par_valid_env_name(const char *s)
{
    if (!all_in(s, 1, PAR_MAX_ENV_NAME, "_-", false, true, true))
        return false;
    return s[0] != '_' && s[0] != '-';
}

bool par_valid_iso8601(const char *s)
{
    /* 2026-11-29T12:00:00Z or 2026-11-29T12:00:00.123Z */
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    size_t n;

    if (s == NULL)
        return false;
    n = strlen(s);
    if (n < sizeof(shape) || n > 32)
        return false;
    for (size_t i = 0; i + 1 < sizeof(shape); i++) {
        if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i])
            return false;
    }
    s += sizeof(shape) - 1;
    if (*s == '.') {
        s++;
        if (*s < '0' || *s > '9')
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return strcmp(s, "Z") == 0;
}

bool par_valid_session_name(const char *s)
{
    return all_in(s, 2, PAR_MAX_SESSION_NAME, "_+=,.@-", true, true, true);
}

bool par_valid_profile_name(const char *s)
{
    return all_in(s, 1, PAR_MAX_PROFILE_NAME, "_.@+=,-", true, true, true);
}

bool par_valid_request_id(const char *s)
{
    return all_in(s, 1, 64, "-", true, true, true);
}

bool par_valid_session_id(const char *s)
{
    return all_in(s, 16, 64, NULL, false, false, true) ||
           all_in(s, 16, 64, "abcdef", false, false, true);
}

static bool continuation(unsigned char c)
{
    return c >= 0x80 && c <= 0xbf;
}

/*
 * Length of the character at p when it may reach a terminal: printable
 * ASCII, or a well-formed UTF-8 sequence (no overlong form, no surrogate)
 * that is not a C1 control (U+0080..U+009F, which terminals obey like ESC
 * sequences); 0 otherwise.
 */
static size_t printable_char_len(const unsigned char *p)
{
    unsigned char lo = 0x80, hi = 0xbf;   /* the second byte's range */
    size_t n;

    if (*p >= 0x20 && *p < 0x7f)
        return 1;
    if (*p == 0xc2)
        return p[1] >= 0xa0 && p[1] <= 0xbf ? 2 : 0;   /* 0x80..0x9f: C1 */
    if (*p >= 0xc3 && *p <= 0xdf)
        return continuation(p[1]) ? 2 : 0;
    if (*p >= 0xe0 && *p <= 0xef) {
        n = 3;
        if (*p == 0xe0)
            lo = 0xa0;
        else if (*p == 0xed)
            hi = 0x9f;
    } else if (*p >= 0xf0 && *p <= 0xf4) {
        n = 4;
        if (*p == 0xf0)
            lo = 0x90;
        else if (*p == 0xf4)
            hi = 0x8f;
    } else {
        return 0;
    }
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (!continuation(p[i]))
            return 0;
    return n;
}

bool par_valid_message(const char *s)
{
    size_t n;

    if (s == NULL)
        return false;
    n = strlen(s);
    if (n == 0 || n >= PAR_MAX_MESSAGE)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0';) {
        size_t len = printable_char_len(p);

        if (len == 0)
            return false;
        p += len;
    }
    return true;
}

void par_clean_line(char *s)
{
    unsigned char *in = (unsigned char *)s, *out = (unsigned char *)s;

    while (*in != '\0') {
        size_t len = printable_char_len(in);

        if (len == 0) {
            /* Line breaks and tabs become a space; other controls go. */
            if (*in == '\t' || *in == '\n' || *in == '\r')
                *out++ = ' ';
            in++;
            continue;
        }
        memmove(out, in, len);
        out += len;
        in += len;
    }
    *out = '\0';
}

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sigv4.h"
#include "sts_request.h"
#include "wipe.h"

#define FORM_MAX 8192

static const char *action_name(enum sts_action a)
{
    switch (a) {
    case STS_ASSUME_ROLE: return "AssumeRole";
    case STS_GET_SESSION_TOKEN: return "GetSessionToken";
    case STS_GET_CALLER_IDENTITY: return "GetCallerIdentity";
    }
    return "Unknown";
}

char *sts_uri_encode(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = malloc(n * 3 + 1), *o = out;

    if (out == NULL)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
            (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.' || *p == '~') {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

/* Appends "&name=encoded(value)"; returns -1 when it does not fit. */
static int form_add(char *buf, size_t *len, const char *name, const char *value)
{
    char *enc = sts_uri_encode(value);
    int n;

    if (enc == NULL)
        return -1;
    n = snprintf(buf + *len, FORM_MAX - *len, "%s%s=%s", *len ? "&" : "", name, enc);
    par_free_secret(enc);
    if (n < 0 || (size_t)n >= FORM_MAX - *len)
        return -1;
    *len += (size_t)n;
    return 0;
}

static int form_add_long(char *buf, size_t *len, const char *name, long v)
{
    char num[32];

    snprintf(num, sizeof(num), "%ld", v);
    return form_add(buf, len, name, num);
}

static int form_add_tags(char *buf, size_t *len, const struct sts_call *call)
{
    char name[64];

    for (size_t i = 0; i < call->n_tags; i++) {
        snprintf(name, sizeof(name), "Tags.member.%zu.Key", i + 1);
        if (form_add(buf, len, name, call->tags[i].key) != 0)
            return -1;
        snprintf(name, sizeof(name), "Tags.member.%zu.Value", i + 1);
        if (form_add(buf, len, name, call->tags[i].value) != 0)
            return -1;
    }
    return 0;
}

char *sts_form_body(const struct sts_call *call)
{
    char *buf = calloc(1, FORM_MAX);
    size_t len = 0;
    int rc = 0;

    if (buf == NULL)
        return NULL;
    rc |= form_add(buf, &len, "Action", action_name(call->action));
    rc |= form_add(buf, &len, "Version", "2011-06-15");
    if (call->action == STS_ASSUME_ROLE) {
        rc |= form_add(buf, &len, "RoleArn", call->role_arn ? call->role_arn : "");
        rc |= form_add(buf, &len, "RoleSessionName", call->session_name ? call->session_name : "");
        if (call->source_identity != NULL)
            rc |= form_add(buf, &len, "SourceIdentity", call->source_identity);
        rc |= form_add_tags(buf, &len, call);
    }
    if (call->action != STS_GET_CALLER_IDENTITY) {
        if (call->duration > 0)
            rc |= form_add_long(buf, &len, "DurationSeconds", call->duration);
        if (call->serial_number != NULL)
            rc |= form_add(buf, &len, "SerialNumber", call->serial_number);
        if (call->token_code != NULL)
            rc |= form_add(buf, &len, "TokenCode", call->token_code);
    }
    if (rc != 0) {
        par_wipe(buf, FORM_MAX);
        free(buf);
        return NULL;
    }
    return buf;
}

static int is_loopback_host(const char *host)
{
    return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "localhost") == 0 ||
           strcmp(host, "[::1]") == 0;
}

int sts_endpoint_parts(const char *url, char *host, size_t hostlen,
                       char *path, size_t pathlen)
{
    const char *p, *slash;
    size_t n;
    int plain;

    if (strncmp(url, "https://", 8) == 0)
        plain = 0, p = url + 8;
    else if (strncmp(url, "http://", 7) == 0)
        plain = 1, p = url + 7;
    else
        return -1;
    slash = strchr(p, '/');
    n = slash ? (size_t)(slash - p) : strlen(p);
    if (n == 0 || n >= hostlen || strcspn(p, "@?# \t") < n)
        return -1;
    memcpy(host, p, n);
    host[n] = '\0';
    snprintf(path, pathlen, "%s", slash ? slash : "/");
    if (strpbrk(path, "?# \t") != NULL)
        return -1;
    if (plain) {
        char bare[256];
        char *colon;

        snprintf(bare, sizeof(bare), "%s", host);
        colon = strrchr(bare, ':');
        if (colon != NULL && bare[0] != '[')
            *colon = '\0';
        else if (bare[0] == '[' && (colon = strstr(bare, "]:")) != NULL)
            colon[1] = '\0';
        if (!is_loopback_host(bare))
            return -1;
    }
    return 0;
}

static struct curl_slist *append_header(struct curl_slist *list, const char *name,
                                        const char *value)
{
    char line[8192];
    struct curl_slist *next;

    if (snprintf(line, sizeof(line), "%s: %s", name, value) >= (int)sizeof(line)) {
        curl_slist_free_all(list);
        return NULL;
    }
    next = curl_slist_append(list, line);
    par_wipe(line, sizeof(line));
    if (next == NULL)
        curl_slist_free_all(list);
    return next;
}

struct curl_slist *sts_signed_headers(const struct sts_endpoint *ep,
                                      const struct sts_call *call,
                                      const char *host, const char *path,
                                      const char *body, long long now)
{
    static const char content_type[] = "application/x-www-form-urlencoded; charset=utf-8";
    char amz_date[17];
    struct sigv4_header h[4];
    size_t nh = 0;
    struct curl_slist *list = NULL, *list2 = NULL;
    char *authz = NULL;

    sigv4_amz_date(now, amz_date);
    h[nh++] = (struct sigv4_header){ "Content-Type", content_type };
    h[nh++] = (struct sigv4_header){ "Host", host };
    h[nh++] = (struct sigv4_header){ "X-Amz-Date", amz_date };
    if (call->session_token != NULL)
        h[nh++] = (struct sigv4_header){ "X-Amz-Security-Token", call->session_token };

    struct sigv4_request req = {
        .method = "POST", .path = path, .query = "", .headers = h, .n_headers = nh,
        .body = (const unsigned char *)body, .body_len = strlen(body), .normalize_path = true,
    };
    struct sigv4_scope scope = { .amz_date = amz_date, .region = ep->region, .service = "sts" };
    struct sigv4_credentials creds = {
        .access_key_id = call->access_key_id,
        .secret_access_key = call->secret_access_key,
        .session_token = call->session_token,
    };
    if (sigv4_authorization(&req, &scope, &creds, &authz) != 0)
        return NULL;
    for (size_t i = 0; i < nh; i++) {
        if ((list = append_header(list, h[i].name, h[i].value)) == NULL)
            break;
    }
    if (list != NULL)
        list = append_header(list, "Authorization", authz);
    if (list != NULL && (list2 = curl_slist_append(list, "Expect:")) == NULL)
        curl_slist_free_all(list);
    list = list2;
    free(authz);
    return list;
}

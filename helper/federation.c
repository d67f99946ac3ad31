#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include "federation.h"
#include "json_out.h"
#include "http_tls.h"
#include "sts_classify.h"
#include "valid.h"
#include "wipe.h"

#define USER_AGENT "pam_assume_role/" PAR_VERSION
/* {"SigninToken": "..."}: nothing in a good answer nests. */
#define SIGNIN_JSON_DEPTH 4
/* Of a refusal's body, this much reaches the message. */
#define BODY_TEXT_MAX 200

struct answer {
    char *buf;
    size_t len, cap, max;
    int too_large;
};

static int url_safe_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~';
}

static const char *check_token(const char *s, size_t n, size_t cap)
{
    if (n < PAR_SIGNIN_TOKEN_MIN)
        return "SigninToken is too short";
    if (n > PAR_SIGNIN_TOKEN_MAX || n >= cap)
        return "SigninToken is too long";
    for (size_t i = 0; i < n; i++)
        if (!url_safe_char((unsigned char)s[i]))
            return "SigninToken holds a character outside A-Z a-z 0-9 - _ . ~";
    return NULL;
}

/* Only white space may follow the JSON value. */
static int only_space(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n')
            return 0;
    return 1;
}

static json_object *parse_bounded(const char *body, size_t len, const char **why)
{
    json_tokener *tok;
    json_object *obj;

    if (len > PAR_SIGNIN_ANSWER_MAX) {
        *why = "the answer is larger than 16 KB";
        return NULL;
    }
    if (memchr(body, '\0', len) != NULL) {
        *why = "the answer holds a NUL byte";
        return NULL;
    }
    if ((tok = json_tokener_new_ex(SIGNIN_JSON_DEPTH)) == NULL) {
        *why = "out of memory";
        return NULL;
    }
    obj = json_tokener_parse_ex(tok, body, (int)len);
    if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success ||
        !only_space(body + json_tokener_get_parse_end(tok), len - json_tokener_get_parse_end(tok))) {
        *why = "the answer is not one JSON value";
        json_object_put(obj);
        obj = NULL;
    }
    json_tokener_free(tok);
    return obj;
}

int par_signin_token_parse(const char *body, size_t len, char *token, size_t cap,
                           char *why, size_t whylen)
{
    const char *reason = NULL;
    json_object *obj = parse_bounded(body, len, &reason), *field = NULL;

    if (cap > 0)
        token[0] = '\0';
    if (obj != NULL && !json_object_is_type(obj, json_type_object))
        reason = "the answer is not a JSON object";
    else if (obj != NULL && (!json_object_object_get_ex(obj, "SigninToken", &field) ||
                             !json_object_is_type(field, json_type_string)))
        reason = "the answer has no SigninToken string";
    else if (obj != NULL)
        reason = check_token(json_object_get_string(field),
                             (size_t)json_object_get_string_len(field), cap);
    if (reason == NULL)
        memcpy(token, json_object_get_string(field), (size_t)json_object_get_string_len(field) + 1);
    if (field != NULL && json_object_is_type(field, json_type_string))
        par_wipe((char *)json_object_get_string(field), (size_t)json_object_get_string_len(field));
    json_object_put(obj);
    if (reason != NULL)
        snprintf(why, whylen, "%s", reason);
    return reason == NULL ? 0 : -1;
}

/* {"sessionId":..,"sessionKey":..,"sessionToken":..}, malloc'd: par_free_secret it. */
static char *session_json(const struct par_signin_request *r)
{
    json_object *o = par_json_new_object();
    const char *text;
    size_t len;
    char *copy = NULL;

    if (o == NULL)
        return NULL;
    json_object_object_add(o, "sessionId", json_object_new_string(r->access_key_id));
    json_object_object_add(o, "sessionKey", json_object_new_string(r->secret_access_key));
    json_object_object_add(o, "sessionToken", json_object_new_string(r->session_token));
    text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
    if (text != NULL && (copy = malloc(len + 1)) != NULL)
        memcpy(copy, text, len + 1);
    if (text != NULL)
        par_wipe((char *)text, len);
    par_json_wipe_strings(o);
    json_object_put(o);
    return copy;
}

/* The form body, malloc'd (it holds the credentials): par_free_secret it. */
static char *form_body(CURL *easy, const struct par_signin_request *r)
{
    char *json = session_json(r), *enc = NULL, *body = NULL;
    char duration[48] = "";
    size_t n;

    if (json != NULL)
        enc = curl_easy_escape(easy, json, (int)strlen(json));
    par_free_secret(json);
    if (enc == NULL)
        return NULL;
    if (r->session_duration > 0)
        snprintf(duration, sizeof(duration), "&SessionDuration=%ld", r->session_duration);
    n = strlen("Action=getSigninToken&Session=") + strlen(duration) + strlen(enc) + 1;
    if ((body = malloc(n)) != NULL)
        snprintf(body, n, "Action=getSigninToken%s&Session=%s", duration, enc);
    par_wipe(enc, strlen(enc));
    curl_free(enc);
    return body;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    struct answer *a = userp;
    size_t n = size * nmemb;

    if (a->len + n > a->max) {
        a->too_large = 1;
        return 0;
    }
    memcpy(a->buf + a->len, data, n);
    a->len += n;
    a->buf[a->len] = '\0';
    return n;
}

/* Plain http only to loopback (test endpoints), as for sts_endpoint. */
static int url_allowed(const char *url)
{
    static const char *const loopback[] = { "http://127.0.0.1", "http://localhost", "http://[::1]" };

    if (strncmp(url, "https://", 8) == 0)
        return 1;
    for (size_t i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++) {
        size_t n = strlen(loopback[i]);

        if (strncmp(url, loopback[i], n) == 0 && strchr(":/", url[n]) != NULL)
            return 1;
    }
    return 0;
}

static int setup(CURL *e, const struct par_signin_request *r, const char *body, struct answer *a,
                 struct curl_slist *headers)
{
    CURLcode rc = CURLE_OK;

    rc |= curl_easy_setopt(e, CURLOPT_URL, r->ep->url);
    rc |= curl_easy_setopt(e, CURLOPT_POST, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    rc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
    rc |= curl_easy_setopt(e, CURLOPT_USERAGENT, USER_AGENT);
    rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    rc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, r->ep->connect_timeout_ms);
    rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, r->timeout_ms);
    rc |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)a->max);
    rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, a);
    if (rc != CURLE_OK)
        return -1;
    return par_http_set_tls_and_proxy(e, r->ep);
}

/* A refusal's body as one short clean line. */
static void body_text(const struct answer *a, char *out, size_t outlen)
{
    size_t n = a->len < BODY_TEXT_MAX ? a->len : BODY_TEXT_MAX;

    if (n >= outlen)
        n = outlen - 1;
    memcpy(out, a->buf, n);
    out[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (out[i] == '\0' || out[i] == '\n' || out[i] == '\r' || out[i] == '\t')
            out[i] = ' ';
    par_clean_line(out);
}

static void classify(struct par_signin_request *r, CURL *e, CURLcode res, const struct answer *a)
{
    char why[128];
    curl_off_t sent = 0;
    struct sts_answer sa = { .curl_result = (int)res, .too_large = a->too_large };

    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->http_status);
    curl_easy_getinfo(e, CURLINFO_REQUEST_SIZE, &sent);
    sa.request_sent = sent > 0;
    if (res != CURLE_OK) {
        r->status = sts_status_from_curl(&sa);
        snprintf(r->detail, sizeof(r->detail), "%s", curl_easy_strerror(res));
    } else if (r->http_status != 200) {
        r->status = r->http_status >= 500 ? STS_ERR_SERVER : STS_ERR_REFUSED;
        body_text(a, r->detail, sizeof(r->detail));
    } else if (par_signin_token_parse(a->buf, a->len, r->token, sizeof(r->token),
                                      why, sizeof(why)) != 0) {
        r->status = STS_ERR_MALFORMED;
        snprintf(r->detail, sizeof(r->detail), "%s", why);
    } else {
        r->status = STS_OK;
    }
}

static long answer_cap(const struct sts_endpoint *ep)
{
    long cap = ep->max_response_bytes > 0 ? ep->max_response_bytes : 65536;

    return cap;
}

int par_signin_token_get(struct par_signin_request *r)
{
    struct answer a = { .max = (size_t)answer_cap(r->ep) };
    struct curl_slist *headers = NULL;
    CURL *e = curl_easy_init();
    char *body = NULL;
    CURLcode res = CURLE_FAILED_INIT;

    r->status = STS_ERR_INTERNAL;
    r->http_status = 0;
    r->detail[0] = r->token[0] = '\0';
    if (!url_allowed(r->ep->url)) {
        snprintf(r->detail, sizeof(r->detail), "not an https:// URL");
        r->status = STS_ERR_CONNECT;
    } else if (e != NULL && (a.buf = malloc(a.max + 1)) != NULL &&
               (body = form_body(e, r)) != NULL &&
               (headers = curl_slist_append(NULL, "Accept: application/json")) != NULL &&
               setup(e, r, body, &a, headers) == 0) {
        a.buf[0] = '\0';
        res = curl_easy_perform(e);
        classify(r, e, res, &a);
    }
    if (e != NULL)
        curl_easy_cleanup(e);
    curl_slist_free_all(headers);
    par_free_secret(body);
    if (a.buf != NULL)
        par_wipe(a.buf, a.max + 1);
    free(a.buf);
    return r->status == STS_OK ? 0 : -1;
}

void par_signin_clear(struct par_signin_request *r)
{
    par_wipe(r->token, sizeof(r->token));
}

/* AWS Signature Version 4 (see sigv4.h for the canonical form used). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sigv4.h"
#include "wipe.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define MAX_SCOPE_PART  64
#define MAX_SECRET      128
/* Far above anything the bounds in sigv4.h allow; a last line of defence. */
#define MAX_BUILT       (4u * 1024 * 1024)

/*
 * A growing string. Growth copies and wipes the old block, because a
 * canonical request may carry the session token.
 */
struct buf {
    char *p;
    size_t len, cap;
    bool failed;
};

static void buf_reserve(struct buf *b, size_t extra)
{
    size_t want, cap;
    char *np;

    if (b->failed)
        return;
    if (extra > MAX_BUILT || b->len + extra + 1 > MAX_BUILT) {
        b->failed = true;
        return;
    }
    want = b->len + extra + 1;
    if (want <= b->cap)
        return;
    cap = b->cap ? b->cap : 256;
    while (cap < want)
        cap *= 2;
    if ((np = malloc(cap)) == NULL) {
        b->failed = true;
        return;
    }
    if (b->p != NULL) {
        memcpy(np, b->p, b->len);
        par_wipe(b->p, b->cap);
        free(b->p);
    }
    b->p = np;
    b->cap = cap;
    b->p[b->len] = '\0';
}

static void buf_add(struct buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    if (b->failed)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void buf_adds(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

static void buf_addc(struct buf *b, char c)
{
    buf_add(b, &c, 1);
}

static void buf_wipe_free(struct buf *b)
{
    if (b->p != NULL) {
        par_wipe(b->p, b->cap);
        free(b->p);
    }
    b->p = NULL;
    b->len = b->cap = 0;
}

/* Hands over the string (or NULL after a failure). */
static char *buf_take(struct buf *b)
{
    char *s;

    if (!b->failed && b->p == NULL)
        buf_reserve(b, 0);
    if (b->failed) {
        buf_wipe_free(b);
        return NULL;
    }
    s = b->p;
    b->p = NULL;
    b->len = b->cap = 0;
    return s;
}

static void hex_encode(const unsigned char *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0x0f];
    }
    out[2 * n] = '\0';
}

int sigv4_sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    if (data == NULL && len > 0)
        return -1;
    if (EVP_Digest(data != NULL ? data : "", len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
        mdlen != 32)
        return -1;
    hex_encode(md, 32, hex);
    return 0;
}

static int hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                       unsigned char out[32])
{
    unsigned int outlen = 0;

    if (HMAC(EVP_sha256(), key, (int)keylen, msg, msglen, out, &outlen) == NULL ||
        outlen != 32)
        return -1;
    return 0;
}

/* ---- URI encoding ---------------------------------------------------- */

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_' || c == '.' || c == '~';
}

/* Appends s[0..n) with every %XX decoded first, then AWS URI-encoded. */
static void add_uri_encoded(struct buf *b, const char *s, size_t n)
{
    static const char upper[] = "0123456789ABCDEF";

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        int hi = i + 2 < n ? hex_value((unsigned char)s[i + 1]) : -1;
        int lo = i + 2 < n ? hex_value((unsigned char)s[i + 2]) : -1;

        if (c == '%' && hi >= 0 && lo >= 0) {
            c = (unsigned char)(hi * 16 + lo);
            i += 2;
        }
        if (is_unreserved(c)) {
            buf_addc(b, (char)c);
        } else {
            char esc[3] = { '%', upper[c >> 4], upper[c & 0x0f] };
            buf_add(b, esc, 3);
        }
    }
}

/* ---- canonical URI ----------------------------------------------------- */

struct segment {
    const char *p;
    size_t n;
};

/* Removes empty, "." and ".." segments, as AWS and botocore do for every service but S3. */
static int add_normalized_path(struct buf *b, const char *path, size_t len)
{
    struct segment *seg;
    size_t nseg = 0, start = 0, before = b->len;

    seg = calloc(len / 2 + 2, sizeof(*seg));
    if (seg == NULL)
        return -1;
    for (size_t i = 0; i <= len; i++) {
        size_t n;

        if (i < len && path[i] != '/')
            continue;
        n = i - start;
        if (n == 2 && path[start] == '.' && path[start + 1] == '.') {
            if (nseg > 0)
                nseg--;
        } else if (n > 0 && !(n == 1 && path[start] == '.')) {
            seg[nseg].p = path + start;
            seg[nseg].n = n;
            nseg++;
        }
        start = i + 1;
    }
    if (path[0] == '/')
        buf_addc(b, '/');
    for (size_t i = 0; i < nseg; i++) {
        if (i > 0)
            buf_addc(b, '/');
        add_uri_encoded(b, seg[i].p, seg[i].n);
    }
    if (nseg > 0 && path[len - 1] == '/')
        buf_addc(b, '/');
    if (b->len == before)
        buf_addc(b, '/');
    free(seg);
    return 0;
}

static void add_raw_path(struct buf *b, const char *path, size_t len)
{
    size_t start = 0;

    for (size_t i = 0; i <= len; i++) {
        if (i < len && path[i] != '/')
            continue;
        add_uri_encoded(b, path + start, i - start);
        if (i < len)
            buf_addc(b, '/');
        start = i + 1;
    }
}

static int add_canonical_path(struct buf *b, const char *path, bool normalize)
{
    size_t len = path != NULL ? strlen(path) : 0;

    if (len > SIGV4_MAX_PATH)
        return -1;
    if (len == 0) {
        buf_addc(b, '/');
        return 0;
    }
    if (normalize)
        return add_normalized_path(b, path, len);
    add_raw_path(b, path, len);
    return 0;
}

/* ---- canonical query ----------------------------------------------------- */

struct qparam {
    char *name;
    char *value;
};

static int qparam_cmp(const void *a, const void *b)
{
    const struct qparam *x = a, *y = b;
    int c = strcmp(x->name, y->name);

    return c != 0 ? c : strcmp(x->value, y->value);
}

static char *encoded_copy(const char *s, size_t n)
{
    struct buf b = { 0 };

    buf_reserve(&b, n);
    add_uri_encoded(&b, s, n);
    return buf_take(&b);
}

static void free_params(struct qparam *qp, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(qp[i].name);
        free(qp[i].value);
    }
    free(qp);
}

/* Splits query into encoded name/value pairs; returns their count or -1. */
static long split_query(const char *query, struct qparam **out)
{
    struct qparam *qp;
    size_t n = 0, len = strlen(query), start = 0;

    *out = NULL;
    if ((qp = calloc(SIGV4_MAX_QUERY_PARAMS, sizeof(*qp))) == NULL)
        return -1;
    for (size_t i = 0; i <= len; i++) {
        const char *piece = query + start, *eq;
        size_t plen = i - start;

        if (i < len && query[i] != '&')
            continue;
        start = i + 1;
        if (plen == 0)
            continue;
        if (n == SIGV4_MAX_QUERY_PARAMS)
            goto fail;
        eq = memchr(piece, '=', plen);
        if (eq == NULL) {
            qp[n].name = encoded_copy(piece, plen);
            qp[n].value = encoded_copy("", 0);
        } else {
            qp[n].name = encoded_copy(piece, (size_t)(eq - piece));
            qp[n].value = encoded_copy(eq + 1, plen - (size_t)(eq - piece) - 1);
        }
        n++;
        if (qp[n - 1].name == NULL || qp[n - 1].value == NULL)
            goto fail;
    }
    *out = qp;
    return (long)n;
fail:
    free_params(qp, n);
    return -1;
}

static int add_canonical_query(struct buf *b, const char *query)
{
    struct qparam *qp;
    long n;

    if (query == NULL || query[0] == '\0')
        return 0;
    if (strlen(query) > SIGV4_MAX_QUERY)
        return -1;
    if ((n = split_query(query, &qp)) < 0)
        return -1;
    qsort(qp, (size_t)n, sizeof(*qp), qparam_cmp);
    for (long i = 0; i < n; i++) {
        if (i > 0)
            buf_addc(b, '&');
        buf_adds(b, qp[i].name);
        buf_addc(b, '=');
        buf_adds(b, qp[i].value);
    }
    free_params(qp, (size_t)n);
    return 0;
}

/* ---- canonical headers --------------------------------------------------- */

struct chdr {
    char name[SIGV4_MAX_HEADER_NAME + 1];
    const char *value;
};

static bool is_tchar(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int lower_name(const char *name, char out[SIGV4_MAX_HEADER_NAME + 1])
{
    size_t n;

    if (name == NULL || (n = strlen(name)) == 0 || n > SIGV4_MAX_HEADER_NAME)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];

        if (!is_tchar(c))
            return -1;
        out[i] = (char)((c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c);
    }
    out[n] = '\0';
    return 0;
}

static bool value_ok(const char *v)
{
    size_t n = 0;

    if (v == NULL)
        return false;
    for (const unsigned char *p = (const unsigned char *)v; *p != '\0'; p++, n++) {
        if ((*p < 0x20 && *p != '\t') || *p == 0x7f || n >= SIGV4_MAX_HEADER_VALUE)
            return false;
    }
    return true;
}

/* Appends v trimmed, with every run of spaces and tabs folded to one space. */
static void add_trimmed(struct buf *b, const char *v)
{
    bool pending_space = false, started = false;

    for (; *v != '\0'; v++) {
        if (*v == ' ' || *v == '\t') {
            pending_space = started;
            continue;
        }
        if (pending_space)
            buf_addc(b, ' ');
        pending_space = false;
        started = true;
        buf_addc(b, *v);
    }
}

/* Lower-cased names, sorted by name; equal names keep their order. */
static struct chdr *sorted_headers(const struct sigv4_request *req)
{
    struct chdr *h;
    bool have_host = false;

    if (req->n_headers == 0 || req->n_headers > SIGV4_MAX_HEADERS || req->headers == NULL)
        return NULL;
    if ((h = calloc(req->n_headers, sizeof(*h))) == NULL)
        return NULL;
    for (size_t i = 0; i < req->n_headers; i++) {
        struct chdr cur;

        if (lower_name(req->headers[i].name, cur.name) != 0 || !value_ok(req->headers[i].value))
            goto fail;
        cur.value = req->headers[i].value;
        have_host = have_host || strcmp(cur.name, "host") == 0;
        size_t j = i;
        while (j > 0 && strcmp(h[j - 1].name, cur.name) > 0) {
            h[j] = h[j - 1];
            j--;
        }
        h[j] = cur;
    }
    if (have_host)
        return h;
fail:
    free(h);
    return NULL;
}

static void add_canonical_headers(struct buf *creq, struct buf *signed_names,
                                  const struct chdr *h, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool same = i > 0 && strcmp(h[i - 1].name, h[i].name) == 0;

        if (same) {
            buf_addc(creq, ',');
        } else {
            if (i > 0) {
                buf_addc(creq, '\n');
                buf_addc(signed_names, ';');
            }
            buf_adds(creq, h[i].name);
            buf_addc(creq, ':');
            buf_adds(signed_names, h[i].name);
        }
        add_trimmed(creq, h[i].value);
    }
    buf_addc(creq, '\n');
}

/* ---- canonical request ----------------------------------------------------- */

static bool method_ok(const char *m)
{
    size_t n = m != NULL ? strlen(m) : 0;

    if (n == 0 || n > 16)
        return false;
    for (size_t i = 0; i < n; i++)
        if (m[i] < 'A' || m[i] > 'Z')
            return false;
    return true;
}

/* Builds the canonical request and the SignedHeaders list. */
static int build_canonical(const struct sigv4_request *req, struct buf *creq,
                           struct buf *signed_names)
{
    struct chdr *h;
    char body_hash[65];

    if (req == NULL || !method_ok(req->method) || req->body_len > SIGV4_MAX_BODY)
        return -1;
    if (sigv4_sha256_hex(req->body, req->body_len, body_hash) != 0)
        return -1;
    if ((h = sorted_headers(req)) == NULL)
        return -1;
    buf_adds(creq, req->method);
    buf_addc(creq, '\n');
    if (add_canonical_path(creq, req->path, req->normalize_path) != 0)
        goto fail;
    buf_addc(creq, '\n');
    if (add_canonical_query(creq, req->query) != 0)
        goto fail;
    buf_addc(creq, '\n');
    add_canonical_headers(creq, signed_names, h, req->n_headers);
    buf_addc(creq, '\n');
    buf_add(creq, signed_names->p != NULL ? signed_names->p : "", signed_names->len);
    buf_addc(creq, '\n');
    buf_adds(creq, body_hash);
    free(h);
    return creq->failed || signed_names->failed ? -1 : 0;
fail:
    free(h);
    return -1;
}

int sigv4_canonical_request(const struct sigv4_request *req, char **out)
{
    struct buf creq = { 0 }, names = { 0 };
    int rc = build_canonical(req, &creq, &names);

    buf_wipe_free(&names);
    *out = rc == 0 ? buf_take(&creq) : NULL;
    buf_wipe_free(&creq);
    return *out != NULL ? 0 : -1;
}

/* ---- string to sign and signature ---------------------------------------- */

static bool amz_date_ok(const char *d)
{
    static const char shape[] = "ddddddddTddddddZ";

    if (d == NULL || strlen(d) != sizeof(shape) - 1)
        return false;
    for (size_t i = 0; i + 1 < sizeof(shape); i++) {
        if (shape[i] == 'd' ? (d[i] < '0' || d[i] > '9') : d[i] != shape[i])
            return false;
    }
    return true;
}

static bool scope_part_ok(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;

    if (n == 0 || n > MAX_SCOPE_PART)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!is_unreserved(c) || c == '~')
            return false;
    }
    return true;
}

static bool scope_ok(const struct sigv4_scope *scope)
{
    return scope != NULL && amz_date_ok(scope->amz_date) && scope_part_ok(scope->region) &&
           scope_part_ok(scope->service);
}

static void add_credential_scope(struct buf *b, const struct sigv4_scope *scope)
{
    buf_add(b, scope->amz_date, 8);
    buf_addc(b, '/');
    buf_adds(b, scope->region);
    buf_addc(b, '/');
    buf_adds(b, scope->service);
    buf_adds(b, "/aws4_request");
}

static int build_string_to_sign(const struct sigv4_request *req,
                                const struct sigv4_scope *scope, struct buf *sts,
                                struct buf *signed_names)
{
    struct buf creq = { 0 };
    char creq_hash[65];
    int rc;

    if (!scope_ok(scope))
        return -1;
    rc = build_canonical(req, &creq, signed_names);
    if (rc == 0)
        rc = sigv4_sha256_hex(creq.p, creq.len, creq_hash);
    buf_wipe_free(&creq);
    if (rc != 0)
        return -1;
    buf_adds(sts, SIGV4_ALGORITHM "\n");
    buf_adds(sts, scope->amz_date);
    buf_addc(sts, '\n');
    add_credential_scope(sts, scope);
    buf_addc(sts, '\n');
    buf_adds(sts, creq_hash);
    return sts->failed ? -1 : 0;
}

int sigv4_string_to_sign(const struct sigv4_request *req, const struct sigv4_scope *scope,
                         char **out)
{
    struct buf sts = { 0 }, names = { 0 };
    int rc = build_string_to_sign(req, scope, &sts, &names);

    buf_wipe_free(&names);
    *out = rc == 0 ? buf_take(&sts) : NULL;
    buf_wipe_free(&sts);
    return *out != NULL ? 0 : -1;
}

/* kSigning = HMAC chain "AWS4"+secret -> date -> region -> service -> "aws4_request". */
static int derive_signing_key(const char *secret, const struct sigv4_scope *scope,
                              unsigned char key[32])
{
    unsigned char k_secret[4 + MAX_SECRET], k_date[32], k_region[32], k_service[32];
    size_t slen = strlen(secret);
    int rc = -1;

    memcpy(k_secret, "AWS4", 4);
    memcpy(k_secret + 4, secret, slen);
    if (hmac_sha256(k_secret, 4 + slen, scope->amz_date, 8, k_date) == 0 &&
        hmac_sha256(k_date, 32, scope->region, strlen(scope->region), k_region) == 0 &&
        hmac_sha256(k_region, 32, scope->service, strlen(scope->service), k_service) == 0 &&
        hmac_sha256(k_service, 32, "aws4_request", 12, key) == 0)
        rc = 0;
    par_wipe(k_secret, sizeof(k_secret));
    par_wipe(k_date, sizeof(k_date));
    par_wipe(k_region, sizeof(k_region));
    par_wipe(k_service, sizeof(k_service));
    return rc;
}

static bool access_key_ok(const char *ak)
{
    size_t n = ak != NULL ? strlen(ak) : 0;

    if (n == 0 || n > 128)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((ak[i] >= 'A' && ak[i] <= 'Z') || (ak[i] >= 'a' && ak[i] <= 'z') ||
              (ak[i] >= '0' && ak[i] <= '9')))
            return false;
    return true;
}

/* A session token must travel signed: exactly one matching header. */
static bool token_signed(const struct sigv4_request *req, const char *token)
{
    size_t found = 0;

    if (token == NULL)
        return true;
    for (size_t i = 0; i < req->n_headers && req->headers != NULL; i++) {
        const char *name = req->headers[i].name;

        if (name == NULL || strcasecmp(name, "x-amz-security-token") != 0)
            continue;
        if (req->headers[i].value == NULL || strcmp(req->headers[i].value, token) != 0)
            return false;
        found++;
    }
    return found == 1;
}

static bool credentials_ok(const struct sigv4_credentials *c)
{
    size_t slen;

    if (c == NULL || !access_key_ok(c->access_key_id) || c->secret_access_key == NULL)
        return false;
    slen = strlen(c->secret_access_key);
    return slen > 0 && slen <= MAX_SECRET;
}

static void add_authorization(struct buf *b, const struct sigv4_scope *scope,
                              const char *access_key_id, const struct buf *signed_names,
                              const char *signature)
{
    buf_adds(b, SIGV4_ALGORITHM " Credential=");
    buf_adds(b, access_key_id);
    buf_addc(b, '/');
    add_credential_scope(b, scope);
    buf_adds(b, ", SignedHeaders=");
    buf_add(b, signed_names->p, signed_names->len);
    buf_adds(b, ", Signature=");
    buf_adds(b, signature);
}

int sigv4_authorization(const struct sigv4_request *req, const struct sigv4_scope *scope,
                        const struct sigv4_credentials *creds, char **out)
{
    struct buf sts = { 0 }, names = { 0 }, authz = { 0 };
    unsigned char key[32], sig[32];
    char sig_hex[65];
    int rc = -1;

    *out = NULL;
    if (req == NULL || !credentials_ok(creds) || !token_signed(req, creds->session_token))
        return -1;
    if (build_string_to_sign(req, scope, &sts, &names) != 0)
        goto done;
    if (derive_signing_key(creds->secret_access_key, scope, key) != 0 ||
        hmac_sha256(key, sizeof(key), sts.p, sts.len, sig) != 0)
        goto done;
    hex_encode(sig, sizeof(sig), sig_hex);
    add_authorization(&authz, scope, creds->access_key_id, &names, sig_hex);
    if ((*out = buf_take(&authz)) != NULL)
        rc = 0;
done:
    par_wipe(key, sizeof(key));
    par_wipe(sig, sizeof(sig));
    buf_wipe_free(&sts);
    buf_wipe_free(&names);
    buf_wipe_free(&authz);
    return rc;
}

void sigv4_amz_date(long long t, char buf[17])
{
    struct tm tm;
    time_t tt = (time_t)t;

    buf[0] = '\0';
    if ((long long)tt != t || gmtime_r(&tt, &tm) == NULL)
        return;
    if (tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
        return;
    if (strftime(buf, 17, "%Y%m%dT%H%M%SZ", &tm) != 16)
        buf[0] = '\0';
}

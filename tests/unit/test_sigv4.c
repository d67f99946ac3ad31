/*
 * SigV4 known-answer tests: every vector of AWS's two published suites
 * (tests/data/sigv4, or $SIGV4_TESTDATA), plus the signer's own bounds.
 *
 * Per-vector decisions (see tests/data/sigv4/README.md):
 * - Multi-line header values (obsolete line folding) are unfolded here, each
 *   continuation joined with one space, as an HTTP parser does; the signer
 *   itself refuses CR/LF in a value.
 * - aws-signing-test-suite/v4: the request has no X-Amz-Date; it is added
 *   from context.json's timestamp. A token is added as X-Amz-Security-Token
 *   unless "omit_session_token" (post-sts-header-after: the token is sent
 *   after signing, so the signer never sees it). "sign_body" adds
 *   X-Amz-Content-SHA256 with the body's hash, as aws-c-auth does.
 * - Legacy get-vanilla-with-session-token: its .req lacks the token header
 *   its .creq signs; the header is added with the token from the README.
 * - Only the header-signed form is run: the query-signed (presigned URL)
 *   form of each v4 vector is skipped and listed, since the helper signs
 *   STS calls in headers.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "sigv4.h"

#define MAX_VECTORS 128
#define MAX_REQ_HEADERS 32
#define LEGACY_TOKEN "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"

enum layout { LEGACY, V4 };

struct vector {
    enum layout layout;
    char name[128];
    char dir[1024];
};

static struct vector vectors[MAX_VECTORS];
static size_t n_vectors, n_legacy, n_v4;
static const char *data_dir;

/* ---- small file helpers ---- */

static char *read_file(const char *dir, const char *name, size_t *len_out)
{
    char path[2048];
    FILE *f;
    char *buf;
    long len;

    if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
        return NULL;
    if ((f = fopen(path, "rb")) == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    buf = malloc((size_t)len + 1);
    if (buf != NULL && fread(buf, 1, (size_t)len, f) != (size_t)len) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf != NULL) {
        buf[len] = '\0';
        if (len_out != NULL)
            *len_out = (size_t)len;
    }
    return buf;
}

static char *read_expected(const char *dir, const char *name)
{
    char *s = read_file(dir, name, NULL);

    if (s == NULL)
        fail_msg("cannot read %s/%s", dir, name);
    return s;
}

static void chomp(char *s)
{
    size_t n = strlen(s);

    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
}

/* ---- raw HTTP request parsing (test data only) ---- */

struct parsed {
    char *method, *path, *query;
    char *names[MAX_REQ_HEADERS + 4];
    char *values[MAX_REQ_HEADERS + 4];
    size_t n;
    char *body;
    size_t body_len;
};

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);

    assert_non_null(d);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static void add_header(struct parsed *r, const char *name, const char *value)
{
    assert_true(r->n < MAX_REQ_HEADERS + 4);
    r->names[r->n] = dup_n(name, strlen(name));
    r->values[r->n] = dup_n(value, strlen(value));
    r->n++;
}

/* A continuation line (leading space/tab) extends the previous value. */
static void unfold_into_last(struct parsed *r, const char *line, size_t n)
{
    char *prev = r->values[r->n - 1];
    size_t plen = strlen(prev);
    char *joined = malloc(plen + 1 + n + 1);

    assert_non_null(joined);
    memcpy(joined, prev, plen);
    joined[plen] = ' ';
    memcpy(joined + plen + 1, line, n);
    joined[plen + 1 + n] = '\0';
    free(prev);
    r->values[r->n - 1] = joined;
}

static void parse_request_line(struct parsed *r, const char *line, size_t n)
{
    const char *sp1 = memchr(line, ' ', n), *sp2 = line + n, *q;

    assert_non_null(sp1);
    while (sp2 > sp1 && *sp2 != ' ')
        sp2--;
    assert_true(sp2 > sp1);
    r->method = dup_n(line, (size_t)(sp1 - line));
    q = memchr(sp1 + 1, '?', (size_t)(sp2 - sp1 - 1));
    if (q == NULL) {
        r->path = dup_n(sp1 + 1, (size_t)(sp2 - sp1 - 1));
        r->query = dup_n("", 0);
    } else {
        r->path = dup_n(sp1 + 1, (size_t)(q - sp1 - 1));
        r->query = dup_n(q + 1, (size_t)(sp2 - q - 1));
    }
}

static void parse_request(const char *text, size_t len, struct parsed *r)
{
    const char *p = text, *end = text + len;
    bool first = true;

    memset(r, 0, sizeof(*r));
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
        const char *next = nl != NULL ? nl + 1 : end;

        if (first) {
            parse_request_line(r, p, n);
            first = false;
        } else if (n == 0) {
            p = next;
            break;
        } else if (p[0] == ' ' || p[0] == '\t') {
            assert_true(r->n > 0);
            unfold_into_last(r, p, n);
        } else {
            const char *colon = memchr(p, ':', n);
            char *name, *value;

            assert_non_null(colon);
            name = dup_n(p, (size_t)(colon - p));
            value = dup_n(colon + 1, n - (size_t)(colon - p) - 1);
            add_header(r, name, value);
            free(name);
            free(value);
        }
        p = next;
    }
    assert_false(first);
    r->body_len = (size_t)(end - p);
    r->body = dup_n(p, r->body_len);
}

static const char *find_header(const struct parsed *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcasecmp(r->names[i], name) == 0)
            return r->values[i];
    return NULL;
}

static void free_parsed(struct parsed *r)
{
    free(r->method);
    free(r->path);
    free(r->query);
    for (size_t i = 0; i < r->n; i++) {
        free(r->names[i]);
        free(r->values[i]);
    }
    free(r->body);
}

/* ---- context.json (fixed-format test data; ad hoc reading) ---- */

static bool json_string(const char *json, const char *key, char *out, size_t outlen)
{
    char pat[64];
    const char *p, *q;

    snprintf(pat, sizeof(pat), "\"%s\"", key);
    if ((p = strstr(json, pat)) == NULL)
        return false;
    p += strlen(pat);
    while (*p == ' ' || *p == ':')
        p++;
    if (*p++ != '"' || (q = strchr(p, '"')) == NULL || (size_t)(q - p) >= outlen)
        return false;
    memcpy(out, p, (size_t)(q - p));
    out[q - p] = '\0';
    return true;
}

static bool json_true(const char *json, const char *key)
{
    char pat[64];
    const char *p;

    snprintf(pat, sizeof(pat), "\"%s\"", key);
    if ((p = strstr(json, pat)) == NULL)
        return false;
    p += strlen(pat);
    while (*p == ' ' || *p == ':')
        p++;
    return strncmp(p, "true", 4) == 0;
}

/* "2015-08-30T12:36:00Z" -> "20150830T123600Z" */
static void iso_to_amz(const char *iso, char out[17])
{
    size_t j = 0;

    for (size_t i = 0; iso[i] != '\0' && j < 16; i++)
        if (iso[i] != '-' && iso[i] != ':')
            out[j++] = iso[i];
    out[j] = '\0';
}

/* ---- running one vector ---- */

struct inputs {
    struct parsed req;
    struct sigv4_header headers[MAX_REQ_HEADERS + 4];
    struct sigv4_request sreq;
    struct sigv4_scope scope;
    struct sigv4_credentials creds;
    char amz_date[17], region[64], service[64], ak[64], sk[128], token[1024];
    char body_hash[65];
};

static void finish_inputs(struct inputs *in, bool normalize)
{
    for (size_t i = 0; i < in->req.n; i++)
        in->headers[i] = (struct sigv4_header){ in->req.names[i], in->req.values[i] };
    in->sreq = (struct sigv4_request){
        .method = in->req.method, .path = in->req.path, .query = in->req.query,
        .headers = in->headers, .n_headers = in->req.n,
        .body = (const unsigned char *)in->req.body, .body_len = in->req.body_len,
        .normalize_path = normalize,
    };
    in->scope = (struct sigv4_scope){ in->amz_date, in->region, in->service };
}

static void load_legacy(const struct vector *v, struct inputs *in)
{
    char fname[160];
    size_t len;
    char *text;
    const char *tok;

    snprintf(fname, sizeof(fname), "%s.req", v->name);
    text = read_file(v->dir, fname, &len);
    assert_non_null(text);
    parse_request(text, len, &in->req);
    free(text);
    if (strcmp(v->name, "get-vanilla-with-session-token") == 0)
        add_header(&in->req, "X-Amz-Security-Token", LEGACY_TOKEN);
    tok = find_header(&in->req, "X-Amz-Security-Token");
    snprintf(in->amz_date, sizeof(in->amz_date), "%s", find_header(&in->req, "X-Amz-Date"));
    snprintf(in->region, sizeof(in->region), "us-east-1");
    snprintf(in->service, sizeof(in->service), "service");
    snprintf(in->ak, sizeof(in->ak), "AKIDEXAMPLE");
    snprintf(in->sk, sizeof(in->sk), "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    in->creds = (struct sigv4_credentials){ in->ak, in->sk, tok };
    finish_inputs(in, true);
}

static void load_v4(const struct vector *v, struct inputs *in)
{
    char iso[64];
    size_t len;
    char *text, *ctx;
    bool has_token;

    ctx = read_file(v->dir, "context.json", NULL);
    assert_non_null(ctx);
    text = read_file(v->dir, "request.txt", &len);
    assert_non_null(text);
    parse_request(text, len, &in->req);
    free(text);
    assert_true(json_string(ctx, "timestamp", iso, sizeof(iso)));
    iso_to_amz(iso, in->amz_date);
    assert_true(json_string(ctx, "region", in->region, sizeof(in->region)));
    assert_true(json_string(ctx, "service", in->service, sizeof(in->service)));
    assert_true(json_string(ctx, "access_key_id", in->ak, sizeof(in->ak)));
    assert_true(json_string(ctx, "secret_access_key", in->sk, sizeof(in->sk)));
    has_token = json_string(ctx, "token", in->token, sizeof(in->token));
    add_header(&in->req, "X-Amz-Date", in->amz_date);
    in->creds = (struct sigv4_credentials){ in->ak, in->sk, NULL };
    if (has_token && !json_true(ctx, "omit_session_token")) {
        add_header(&in->req, "X-Amz-Security-Token", in->token);
        in->creds.session_token = in->token;
    }
    if (json_true(ctx, "sign_body")) {
        assert_int_equal(sigv4_sha256_hex(in->req.body, in->req.body_len, in->body_hash), 0);
        add_header(&in->req, "X-Amz-Content-SHA256", in->body_hash);
    }
    finish_inputs(in, json_true(ctx, "normalize"));
    free(ctx);
}

static void compare(const char *what, const char *vector, const char *got, const char *want)
{
    assert_non_null(got);
    if (strcmp(got, want) != 0) {
        print_error("%s: %s differs\n--- expected\n%s\n--- got\n%s\n", vector, what, want, got);
        fail();
    }
}

/* The Authorization value from a header-signed-request.txt. */
static char *authorization_line(char *signed_req)
{
    char *p = strstr(signed_req, "\nAuthorization:");

    assert_non_null(p);
    p += strlen("\nAuthorization:");
    p[strcspn(p, "\n")] = '\0';
    return p;
}

static void run_vector(void **state)
{
    const struct vector *v = *state;
    struct inputs in;
    char fname[160], *creq = NULL, *sts = NULL, *authz = NULL;
    char *want_creq, *want_sts, *want_authz;

    memset(&in, 0, sizeof(in));
    if (v->layout == LEGACY) {
        load_legacy(v, &in);
        snprintf(fname, sizeof(fname), "%s.creq", v->name);
        want_creq = read_expected(v->dir, fname);
        snprintf(fname, sizeof(fname), "%s.sts", v->name);
        want_sts = read_expected(v->dir, fname);
        snprintf(fname, sizeof(fname), "%s.authz", v->name);
        want_authz = read_expected(v->dir, fname);
    } else {
        char *signed_req, *sig, *line;

        load_v4(v, &in);
        want_creq = read_expected(v->dir, "header-canonical-request.txt");
        want_sts = read_expected(v->dir, "header-string-to-sign.txt");
        sig = read_expected(v->dir, "header-signature.txt");
        signed_req = read_expected(v->dir, "header-signed-request.txt");
        chomp(sig);
        line = authorization_line(signed_req);
        /* The signed request's Authorization must carry the recorded signature. */
        assert_non_null(strstr(line, sig));
        want_authz = strdup(line);
        free(sig);
        free(signed_req);
    }
    chomp(want_authz);
    assert_int_equal(sigv4_canonical_request(&in.sreq, &creq), 0);
    compare("canonical request", v->name, creq, want_creq);
    assert_int_equal(sigv4_string_to_sign(&in.sreq, &in.scope, &sts), 0);
    compare("string to sign", v->name, sts, want_sts);
    assert_int_equal(sigv4_authorization(&in.sreq, &in.scope, &in.creds, &authz), 0);
    compare("authorization", v->name, authz, want_authz);
    free(creq);
    free(sts);
    free(authz);
    free(want_creq);
    free(want_sts);
    free(want_authz);
    free_parsed(&in.req);
}

/* ---- discovery ---- */

static int vector_cmp(const void *a, const void *b)
{
    const struct vector *x = a, *y = b;

    if (x->layout != y->layout)
        return (int)x->layout - (int)y->layout;
    return strcmp(x->dir, y->dir);
}

static bool join_path(char *out, size_t outlen, const char *a, const char *b)
{
    int r = snprintf(out, outlen, "%s/%s", a, b);

    return r >= 0 && (size_t)r < outlen;
}

static bool is_dir(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool has_file(const char *dir, const char *name)
{
    char path[2048];
    struct stat st;

    if (!join_path(path, sizeof(path), dir, name))
        return false;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void add_vector(enum layout layout, const char *dir, const char *name)
{
    struct vector *v;

    if (n_vectors == MAX_VECTORS)
        return;
    v = &vectors[n_vectors++];
    v->layout = layout;
    snprintf(v->name, sizeof(v->name), "%s", name);
    snprintf(v->dir, sizeof(v->dir), "%s", dir);
    if (layout == LEGACY)
        n_legacy++;
    else
        n_v4++;
}

/* Legacy: DIR/NAME/NAME.req, at any depth (normalize-path/, post-sts-token/). */
static void scan_legacy(const char *dir, int depth)
{
    DIR *d;
    struct dirent *e;

    if (depth > 3 || (d = opendir(dir)) == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char sub[1024], req[160];

        if (e->d_name[0] == '.')
            continue;
        if (!join_path(sub, sizeof(sub), dir, e->d_name) || !is_dir(sub))
            continue;
        snprintf(req, sizeof(req), "%.150s.req", e->d_name);
        if (has_file(sub, req))
            add_vector(LEGACY, sub, e->d_name);
        else
            scan_legacy(sub, depth + 1);
    }
    closedir(d);
}

static void scan_v4(const char *dir)
{
    DIR *d;
    struct dirent *e;

    if ((d = opendir(dir)) == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char sub[1024];

        if (e->d_name[0] == '.')
            continue;
        if (join_path(sub, sizeof(sub), dir, e->d_name) && is_dir(sub) &&
            has_file(sub, "request.txt"))
            add_vector(V4, sub, e->d_name);
    }
    closedir(d);
}

static void report_skipped(void)
{
    size_t skipped = 0;

    for (size_t i = 0; i < n_vectors; i++) {
        if (vectors[i].layout == V4 && has_file(vectors[i].dir, "query-signature.txt")) {
            print_message("skipped: v4/%s query-signed form (presigned URL; the helper "
                          "signs STS calls in headers)\n", vectors[i].name);
            skipped++;
        }
    }
    print_message("vectors run: %zu (legacy %zu, v4 header-signed %zu); skipped: %zu\n",
                  n_vectors, n_legacy, n_v4, skipped);
}

/* Both suites must be there in full: a missing data folder is a failure. */
static void test_vectors_found(void **state)
{
    (void)state;
    print_message("test data: %s\n", data_dir);
    assert_int_equal(n_legacy, 34);
    assert_int_equal(n_v4, 38);
}

/* ---- the signer's own rules and bounds ---- */

static const struct sigv4_scope test_scope = { "20150830T123600Z", "us-east-1", "sts" };
static const struct sigv4_credentials test_creds = {
    "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL
};

static char *creq_of(const char *path, const char *query, bool normalize)
{
    struct sigv4_header h[] = { { "Host", "example.amazonaws.com" } };
    struct sigv4_request r = { "GET", path, query, h, 1, NULL, 0, normalize };
    char *out = NULL;

    if (sigv4_canonical_request(&r, &out) != 0)
        return NULL;
    out[strcspn(out, "\n")] = '\0';                  /* method */
    memmove(out, out + strlen(out) + 1, strlen(out + strlen(out) + 1) + 1);
    return out;  /* path line onwards */
}

static void expect_lines(const char *path, const char *query, bool normalize,
                         const char *want_path, const char *want_query)
{
    char *c = creq_of(path, query, normalize), *nl;

    assert_non_null(c);
    nl = strchr(c, '\n');
    assert_non_null(nl);
    *nl = '\0';
    assert_string_equal(c, want_path);
    nl[1 + strcspn(nl + 1, "\n")] = '\0';
    assert_string_equal(nl + 1, want_query);
    free(c);
}

static void test_encoding_rules(void **state)
{
    (void)state;
    expect_lines("/a b/%7e/%2f", "", true, "/a%20b/~/%2F", "");
    expect_lines("/a%20b", NULL, true, "/a%20b", "");
    expect_lines("/a%zz%4", NULL, true, "/a%25zz%254", "");
    expect_lines("", NULL, true, "/", "");
    expect_lines("/x/./y/../../..//z/", NULL, true, "/z/", "");
    expect_lines("/x/./y/..//", NULL, false, "/x/./y/..//", "");
    expect_lines("/", "b=2&a&a=1&&A=%41+&c=%e2%82%ac", true, "/",
                 "A=A%2B&a=&a=1&b=2&c=%E2%82%AC");
}

static void test_token_must_be_signed(void **state)
{
    struct sigv4_header h[] = { { "Host", "sts.amazonaws.com" },
                                { "X-Amz-Date", "20150830T123600Z" },
                                { "X-Amz-Security-Token", "tokenvalue" } };
    struct sigv4_request r = { "POST", "/", "", h, 2, NULL, 0, true };
    struct sigv4_credentials c = test_creds;
    char *out = NULL;

    (void)state;
    c.session_token = "tokenvalue";
    assert_int_equal(sigv4_authorization(&r, &test_scope, &c, &out), -1);
    r.n_headers = 3;
    assert_int_equal(sigv4_authorization(&r, &test_scope, &c, &out), 0);
    assert_non_null(strstr(out, "SignedHeaders=host;x-amz-date;x-amz-security-token,"));
    free(out);
    c.session_token = "othervalue";
    assert_int_equal(sigv4_authorization(&r, &test_scope, &c, &out), -1);
}

static void test_refusals(void **state)
{
    struct sigv4_header h[SIGV4_MAX_HEADERS + 1];
    char names[SIGV4_MAX_HEADERS + 1][16];
    struct sigv4_request r = { "POST", "/", "", h, 1, NULL, 0, true };
    struct sigv4_scope s = test_scope;
    struct sigv4_credentials c = test_creds;
    unsigned char *big;
    char *out = NULL;

    (void)state;
    h[0] = (struct sigv4_header){ "Host", "sts.amazonaws.com" };
    for (size_t i = 1; i <= SIGV4_MAX_HEADERS; i++) {
        snprintf(names[i], sizeof(names[i]), "X-H%zu", i);
        h[i] = (struct sigv4_header){ names[i], "v" };
    }
    r.n_headers = SIGV4_MAX_HEADERS;
    assert_int_equal(sigv4_authorization(&r, &s, &c, &out), 0);
    free(out);
    r.n_headers = SIGV4_MAX_HEADERS + 1;
    assert_int_equal(sigv4_authorization(&r, &s, &c, &out), -1);
    r.n_headers = 1;

    big = calloc(1, SIGV4_MAX_BODY + 1);
    assert_non_null(big);
    r.body = big;
    r.body_len = SIGV4_MAX_BODY;
    assert_int_equal(sigv4_canonical_request(&r, &out), 0);
    free(out);
    r.body_len = SIGV4_MAX_BODY + 1;
    assert_int_equal(sigv4_canonical_request(&r, &out), -1);
    assert_null(out);
    free(big);
    r.body = NULL;
    r.body_len = 0;

    h[1] = (struct sigv4_header){ "X-Bad", "a\r\nInjected: 1" };
    r.n_headers = 2;
    assert_int_equal(sigv4_canonical_request(&r, &out), -1);
    h[1] = (struct sigv4_header){ "X Bad", "a" };
    assert_int_equal(sigv4_canonical_request(&r, &out), -1);
    h[0] = (struct sigv4_header){ "Not-Host", "x" };
    r.n_headers = 1;
    assert_int_equal(sigv4_canonical_request(&r, &out), -1);   /* no host */
    h[0] = (struct sigv4_header){ "Host", "sts.amazonaws.com" };

    s.amz_date = "20150830 123600Z";
    assert_int_equal(sigv4_string_to_sign(&r, &s, &out), -1);
    s = test_scope;
    s.region = "us-east-1/x";
    assert_int_equal(sigv4_string_to_sign(&r, &s, &out), -1);
    s = test_scope;
    c.access_key_id = "AKID,EXAMPLE";
    assert_int_equal(sigv4_authorization(&r, &s, &c, &out), -1);
    c = test_creds;
    c.secret_access_key = "";
    assert_int_equal(sigv4_authorization(&r, &s, &c, &out), -1);
    r.method = "post";
    assert_int_equal(sigv4_canonical_request(&r, &out), -1);
}

static void test_amz_date(void **state)
{
    char buf[17];

    (void)state;
    sigv4_amz_date(1440938160LL, buf);
    assert_string_equal(buf, "20150830T123600Z");
    sigv4_amz_date(0, buf);
    assert_string_equal(buf, "19700101T000000Z");
    sigv4_amz_date(253402300800LL, buf);    /* year 10000 */
    assert_string_equal(buf, "");
}

int main(void)
{
    static struct CMUnitTest tests[MAX_VECTORS + 8];
    size_t n = 0;

    data_dir = getenv("SIGV4_TESTDATA");
    if (data_dir == NULL || data_dir[0] == '\0')
        data_dir = "tests/data/sigv4";
    if (is_dir(data_dir)) {
        char sub[1024];

        if (join_path(sub, sizeof(sub), data_dir, "aws4_testsuite"))
            scan_legacy(sub, 0);
        if (join_path(sub, sizeof(sub), data_dir, "aws-signing-test-suite/v4"))
            scan_v4(sub);
    }
    qsort(vectors, n_vectors, sizeof(vectors[0]), vector_cmp);
    tests[n++] = (struct CMUnitTest){ "vectors_found", test_vectors_found, NULL, NULL, NULL };
    for (size_t i = 0; i < n_vectors; i++) {
        const char *rel = vectors[i].dir + strlen(data_dir) + 1;
        tests[n++] = (struct CMUnitTest){ rel, run_vector, NULL, NULL, &vectors[i] };
    }
    tests[n++] = (struct CMUnitTest){ "encoding_rules", test_encoding_rules, NULL, NULL, NULL };
    tests[n++] = (struct CMUnitTest){ "token_must_be_signed", test_token_must_be_signed, NULL,
                                      NULL, NULL };
    tests[n++] = (struct CMUnitTest){ "refusals", test_refusals, NULL, NULL, NULL };
    tests[n++] = (struct CMUnitTest){ "amz_date", test_amz_date, NULL, NULL, NULL };
    report_skipped();
    return _cmocka_run_group_tests("sigv4", tests, n, NULL, NULL);
}

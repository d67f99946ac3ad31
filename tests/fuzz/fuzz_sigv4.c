/*
 * SigV4 canonicalisation and signing with every part of the request carved
 * from the input. Layout: one flags byte, then NUL-separated fields
 * METHOD, PATH, QUERY, up to 7 pairs HEADER-NAME, HEADER-VALUE (as many as
 * flags & 7 says), then the rest is the body.
 * flags & 8: add "host: sts.amazonaws.com"; flags & 16: normalize_path;
 * flags & 32: sign with a session token (added as X-Amz-Security-Token).
 * Properties: canonical request and authorization come together or not at
 * all; the canonical request is deterministic and ends with the body's
 * SHA-256; the Authorization value has the fixed SigV4 shape.
 */
#include "fuzz_util.h"
#include <strings.h>
#include "sigv4.h"

#define MAX_FUZZ_HEADERS 9

static const char fuzz_session_token[] = "FwoGZXIvYXdzEJr//////////wEaDFAKESESSIONTOKENFORFUZZING";

static size_t token_headers(const struct sigv4_request *req)
{
    size_t n = 0;

    for (size_t i = 0; i < req->n_headers; i++)
        n += strcasecmp(req->headers[i].name, "x-amz-security-token") == 0;
    return n;
}

static void check_signed(const struct sigv4_request *req, const char *canonical,
                         const char *session_token)
{
    static const char prefix[] = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLEAKIDEXAMPLE/"
                                 "20150830/us-east-1/sts/aws4_request, SignedHeaders=";
    const struct sigv4_scope scope = { "20150830T123600Z", "us-east-1", "sts" };
    const struct sigv4_credentials creds = {
        "AKIDEXAMPLEAKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        session_token,
    };
    int signed_rc;
    char *again = NULL, *auth = NULL, hash[65];

    FUZZ_CHECK(sigv4_canonical_request(req, &again) == 0 && strcmp(again, canonical) == 0);
    FUZZ_CHECK(sigv4_sha256_hex(req->body, req->body_len, hash) == 0);
    FUZZ_CHECK(strlen(canonical) >= 64 &&
               strcmp(canonical + strlen(canonical) - 64, hash) == 0);
    signed_rc = sigv4_authorization(req, &scope, &creds, &auth);
    /* A token is signed only when exactly one header carries it. */
    if (session_token != NULL && token_headers(req) != 1) {
        FUZZ_CHECK(signed_rc == -1 && auth == NULL);
        free(again);
        return;
    }
    FUZZ_CHECK(signed_rc == 0);
    FUZZ_CHECK(strncmp(auth, prefix, sizeof(prefix) - 1) == 0);
    FUZZ_CHECK(strlen(strstr(auth, ", Signature=")) == strlen(", Signature=") + 64);
    FUZZ_CHECK(fuzz_one_line(auth));
    free(again);
    free(auth);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sigv4_header headers[MAX_FUZZ_HEADERS];
    char *fields[3 + 2 * 7];
    size_t n_fields = 0, n_headers = 0;
    unsigned flags;
    struct sigv4_request req;
    char *canonical = NULL;

    if (size < 1)
        return 0;
    flags = data[0];
    data++;
    size--;
    for (size_t i = 0; i < 3 + 2 * (flags & 7); i++)
        fields[n_fields++] = fuzz_take_field(&data, &size, 0);
    for (size_t i = 3; i + 1 < n_fields; i += 2)
        headers[n_headers++] = (struct sigv4_header){ fields[i], fields[i + 1] };
    if (flags & 8)
        headers[n_headers++] = (struct sigv4_header){ "host", "sts.amazonaws.com" };
    if (flags & 32)
        headers[n_headers++] = (struct sigv4_header){ "X-Amz-Security-Token", fuzz_session_token };
    memset(&req, 0, sizeof(req));
    req.method = fields[0];
    req.path = fields[1];
    req.query = fields[2];
    req.headers = headers;
    req.n_headers = n_headers;
    req.body = data;
    req.body_len = size;
    req.normalize_path = (flags & 16) != 0;
    if (sigv4_canonical_request(&req, &canonical) == 0)
        check_signed(&req, canonical, (flags & 32) != 0 ? fuzz_session_token : NULL);
    free(canonical);
    for (size_t i = 0; i < n_fields; i++)
        free(fields[i]);
    return 0;
}

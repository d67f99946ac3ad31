/*
 * AWS Signature Version 4 over OpenSSL EVP (no hand-written SHA-256/HMAC).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 *
 * Canonical form, as AWS's test suite and botocore define it:
 * - path: split on '/'; with normalize_path, empty, "." and ".." segments
 *   are resolved (a trailing '/' is kept when something remains); every
 *   segment is %XX-decoded, then encoded (A-Za-z0-9-_.~ kept, the rest
 *   %XX upper case). So "/a b" and "/a%20b" sign alike.
 * - query: split on '&' (empty pieces dropped), name and value decoded and
 *   re-encoded the same way ('+' is a literal plus), a piece without '='
 *   has an empty value, sorted by name then value.
 * - headers: names lower-cased, values trimmed and runs of spaces/tabs
 *   folded to one space; repeated names joined with ',' in the order given.
 *   A value holding CR, LF or another control byte is refused (the caller
 *   unfolds obsolete multi-line values itself).
 */
#ifndef PAR_SIGV4_H
#define PAR_SIGV4_H

#include <stdbool.h>
#include <stddef.h>

/* Bounds: a request beyond any of these is refused (-1). */
#define SIGV4_MAX_HEADERS      64
#define SIGV4_MAX_HEADER_NAME  128
#define SIGV4_MAX_HEADER_VALUE 16384
#define SIGV4_MAX_PATH         8192
#define SIGV4_MAX_QUERY        32768
#define SIGV4_MAX_QUERY_PARAMS 512
#define SIGV4_MAX_BODY         (1024 * 1024)

struct sigv4_header {
    const char *name;   /* as sent; canonicalised to lower case */
    const char *value;  /* as sent; trimmed, inner runs of spaces folded */
};

struct sigv4_request {
    const char *method;             /* "POST" */
    const char *path;               /* raw request path as on the wire, e.g. "/" */
    const char *query;              /* raw query without '?', "" or NULL for none */
    const struct sigv4_header *headers;  /* must include "host" */
    size_t n_headers;
    const unsigned char *body;
    size_t body_len;
    bool normalize_path;            /* true for every service but S3 */
};

struct sigv4_credentials {
    const char *access_key_id;
    const char *secret_access_key;
    /*
     * NULL for long-term keys. When set, req->headers must carry the same
     * value as X-Amz-Security-Token (so the token is always signed);
     * otherwise signing is refused.
     */
    const char *session_token;
};

struct sigv4_scope {
    const char *amz_date;           /* "20150830T123600Z" (X-Amz-Date) */
    const char *region;             /* "us-east-1" */
    const char *service;            /* "sts" */
};

/*
 * Canonical request, string to sign and Authorization header value.
 * Each returns 0 and a malloc'd string in *out, or -1. The caller adds
 * X-Amz-Date (and X-Amz-Security-Token, when signed) to req->headers itself
 * before calling: what is signed is exactly what is passed. A canonical
 * request that signs a session token holds it: free it with par_free_secret.
 * Secret-derived keys and intermediate buffers are wiped before returning.
 */
int sigv4_canonical_request(const struct sigv4_request *req, char **out);
int sigv4_string_to_sign(const struct sigv4_request *req, const struct sigv4_scope *scope,
                         char **out);
int sigv4_authorization(const struct sigv4_request *req, const struct sigv4_scope *scope,
                        const struct sigv4_credentials *creds, char **out);

/* Formats t (UTC) as "YYYYMMDDTHHMMSSZ" into buf[17]; "" if t is out of range. */
void sigv4_amz_date(long long t, char buf[17]);

/* Hex SHA-256 of data (e.g. for X-Amz-Content-SHA256). 0, or -1 on failure. */
int sigv4_sha256_hex(const void *data, size_t len, char hex[65]);

#endif

/*
 * The STS client: AssumeRole, GetSessionToken and GetCallerIdentity over
 * HTTPS with libcurl, signed with SigV4 (sigv4.c), answers parsed by
 * sts_xml.c. Several calls run in parallel (curl multi) under one deadline.
 */
#ifndef PAR_STS_H
#define PAR_STS_H

#include <stdbool.h>
#include <stddef.h>
#include "sts_xml.h"

enum sts_action {
    STS_ASSUME_ROLE,
    STS_GET_SESSION_TOKEN,
    STS_GET_CALLER_IDENTITY,
};

/* Every way a call can end; each has its own message (sts_error.c). */
enum sts_status {
    STS_OK = 0,
    STS_ERR_WRONG_CODE,        /* AWS refused the TOTP code */
    STS_ERR_REUSED_CODE,       /* the code was already used (AWS or our own record) */
    STS_ERR_MFA_SERIAL,        /* the MFA device is not this user's */
    STS_ERR_UNKNOWN_KEY,       /* InvalidClientTokenId: unknown or inactive key */
    STS_ERR_SIGNATURE,         /* SignatureDoesNotMatch: wrong secret */
    STS_ERR_CLOCK_SKEW,        /* signature expired / not yet current */
    STS_ERR_EXPIRED_TOKEN,     /* the signing credentials are expired */
    STS_ERR_NOT_TRUSTED,       /* the role does not trust this user */
    STS_ERR_CHAINING_LIMIT,    /* > 1 h asked for a chained role session */
    STS_ERR_DURATION,          /* > the role's MaxSessionDuration */
    STS_ERR_REGION_DISABLED,   /* STS not activated in the region */
    STS_ERR_THROTTLED,         /* Throttling */
    STS_ERR_SERVER,            /* HTTP 5xx */
    STS_ERR_REFUSED,           /* any other error AWS answered with */
    STS_ERR_TLS,               /* certificate verification or handshake failed */
    STS_ERR_RESOLVE,           /* cannot resolve the endpoint's host */
    STS_ERR_CONNECT,           /* cannot connect */
    STS_ERR_TIMEOUT,           /* no (complete) answer within the deadline */
    STS_ERR_TOO_LARGE,         /* answer over max_response_bytes */
    STS_ERR_MALFORMED,         /* answer not understood */
    STS_ERR_INTERNAL,          /* out of memory, bad arguments */
};

struct sts_endpoint {
    const char *url;              /* https://sts.REGION.amazonaws.com or override */
    const char *region;           /* signing region */
    const char *ca_file;          /* NULL: use ca_path */
    const char *ca_path;          /* NULL: /etc/ssl/certs */
    const char *proxy;            /* NULL: none (the environment is never read) */
    long connect_timeout_ms;
    long max_response_bytes;
};

struct sts_tag {
    const char *key;
    const char *value;
};

struct sts_call {
    /* in */
    enum sts_action action;
    const char *role_arn;         /* AssumeRole */
    const char *session_name;     /* AssumeRole */
    long duration;                /* 0: not sent */
    const char *serial_number;    /* NULL: not sent */
    const char *token_code;       /* NULL: not sent; never logged, never resent once it may have been consumed */
    const char *source_identity;  /* NULL: not sent */
    const struct sts_tag *tags;
    size_t n_tags;
    const char *access_key_id;    /* signing credentials */
    const char *secret_access_key;
    const char *session_token;    /* NULL for long-term keys */
    /* out */
    enum sts_status status;
    long http_status;
    long skew_seconds;            /* server Date - local clock, when known */
    int attempts;
    struct sts_xml xml;           /* credentials or error; sts_call_free wipes */
    char detail[256];             /* extra words for the message (never a secret) */
};

/*
 * Performs every call in parallel and returns when all are done or
 * timeout_ms has passed since the start. Retries (jittered backoff) only
 * throttling and 5xx without a code, and failures before anything was sent.
 * Returns 0 when every call is STS_OK, -1 otherwise (see each call's status).
 */
int sts_perform(const struct sts_endpoint *ep, struct sts_call *calls, size_t n,
                long timeout_ms);

/* One line for the person: what happened and what to do. */
void sts_describe(const struct sts_call *call, const struct sts_endpoint *ep,
                  char *out, size_t outlen);
const char *sts_status_name(enum sts_status st);

void sts_call_free(struct sts_call *call);

/* Must be called once before sts_perform (curl_global_init). */
int sts_global_init(void);
void sts_global_cleanup(void);

#endif

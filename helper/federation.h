/*
 * The AWS federation endpoint (https://signin.aws.amazon.com/federation
 * and its partition's siblings): getSigninToken turns a role session's
 * temporary credentials into a sign-in token for the console. One HTTPS
 * request with libcurl under the same TLS rules as STS (http_tls.h).
 */
#ifndef PAR_FEDERATION_H
#define PAR_FEDERATION_H

#include <stddef.h>
#include "sts.h"

/* A sign-in token is URL-safe text of this length (AWS's are ~1-2 KB). */
#define PAR_SIGNIN_TOKEN_MIN 16
#define PAR_SIGNIN_TOKEN_MAX 4096
/* A getSigninToken answer larger than this is refused before parsing. */
#define PAR_SIGNIN_ANSWER_MAX 16384
/* SessionDuration's range, where AWS accepts it (not for chained roles). */
#define PAR_SIGNIN_DURATION_MIN 900
#define PAR_SIGNIN_DURATION_MAX 43200

struct par_signin_request {
    /* in */
    const struct sts_endpoint *ep;   /* url: the federation endpoint */
    long timeout_ms;                 /* the whole request's deadline */
    const char *access_key_id;
    const char *secret_access_key;
    const char *session_token;
    long session_duration;           /* 0: not sent */
    /* out */
    enum sts_status status;
    long http_status;
    char detail[256];                /* curl's words, the parser's reason or the body, cleaned */
    char token[PAR_SIGNIN_TOKEN_MAX + 1];   /* wipe after use (par_signin_clear) */
};

/*
 * Parses a getSigninToken answer: a JSON object whose "SigninToken" is a
 * URL-safe string of PAR_SIGNIN_TOKEN_MIN..MAX characters (and at most
 * cap - 1). Returns 0 with the token in TOKEN, or -1 with one line in WHY.
 */
int par_signin_token_parse(const char *body, size_t len, char *token, size_t cap,
                           char *why, size_t whylen);

/* Performs the request; 0 when r->token holds a token, -1 (see r->status). */
int par_signin_token_get(struct par_signin_request *r);

/* One line for the person: what happened and what to do. */
void par_signin_describe(const struct par_signin_request *r, char *out, size_t outlen);

void par_signin_clear(struct par_signin_request *r);

#endif

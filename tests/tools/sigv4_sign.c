/*
 * sigv4_sign: signs requests read from stdin with helper/sigv4.c and prints
 * one Authorization value per line ("ERROR" when the signer refuses one).
 * Used by tests/sigv4/check_sigv4_botocore to compare with botocore.
 *
 * Input: one request per line, 12 space-separated fields, each hex-encoded
 * bytes ("-" is the empty string):
 *   method path query headers body region service amz_date ak sk token normalize
 * headers: "name:value" lines joined by "\n" (value = everything after the
 * first ':'); token: "-" for none (the caller also lists it in headers as
 * X-Amz-Security-Token); normalize: hex of "1" or "0".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sigv4.h"

#define N_FIELDS 12
#define MAX_HEADERS 128

enum { F_METHOD, F_PATH, F_QUERY, F_HEADERS, F_BODY, F_REGION, F_SERVICE, F_DATE,
       F_AK, F_SK, F_TOKEN, F_NORMALIZE };

struct field {
    char *p;      /* decoded in place, NUL-terminated */
    size_t len;
};

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes s in place; returns its length or -1. */
static long hex_decode(char *s)
{
    size_t n = strlen(s), j = 0;

    if (strcmp(s, "-") == 0) {
        s[0] = '\0';
        return 0;
    }
    if (n % 2 != 0)
        return -1;
    for (size_t i = 0; i < n; i += 2) {
        int hi = hex_digit(s[i]), lo = hex_digit(s[i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        s[j++] = (char)(hi * 16 + lo);
    }
    s[j] = '\0';
    return (long)j;
}

static int split_fields(char *line, struct field f[N_FIELDS], int *token_absent)
{
    char *save = NULL, *tok = strtok_r(line, " \n", &save);
    int n = 0;

    for (; tok != NULL && n < N_FIELDS; tok = strtok_r(NULL, " \n", &save), n++) {
        long len;

        if (n == F_TOKEN)
            *token_absent = strcmp(tok, "-") == 0;
        if ((len = hex_decode(tok)) < 0)
            return -1;
        f[n].p = tok;
        f[n].len = (size_t)len;
    }
    return (n == N_FIELDS && tok == NULL) ? 0 : -1;
}

/* Splits "name:value\n..." in place into headers; returns the count or -1. */
static long split_headers(char *s, struct sigv4_header *h)
{
    long n = 0;
    char *line = s;

    if (*s == '\0')
        return 0;
    while (line != NULL) {
        char *nl = strchr(line, '\n'), *colon;

        if (nl != NULL)
            *nl = '\0';
        if ((colon = strchr(line, ':')) == NULL || n == MAX_HEADERS)
            return -1;
        *colon = '\0';
        h[n].name = line;
        h[n].value = colon + 1;
        n++;
        line = nl != NULL ? nl + 1 : NULL;
    }
    return n;
}

static void sign_line(char *line)
{
    struct field f[N_FIELDS];
    struct sigv4_header h[MAX_HEADERS];
    int token_absent = 0;
    long nh;
    char *authz = NULL;

    if (split_fields(line, f, &token_absent) != 0 ||
        (nh = split_headers(f[F_HEADERS].p, h)) < 0) {
        puts("ERROR");
        return;
    }
    struct sigv4_request req = {
        .method = f[F_METHOD].p, .path = f[F_PATH].p, .query = f[F_QUERY].p,
        .headers = h, .n_headers = (size_t)nh,
        .body = (const unsigned char *)f[F_BODY].p, .body_len = f[F_BODY].len,
        .normalize_path = strcmp(f[F_NORMALIZE].p, "1") == 0,
    };
    struct sigv4_scope scope = { f[F_DATE].p, f[F_REGION].p, f[F_SERVICE].p };
    struct sigv4_credentials creds = { f[F_AK].p, f[F_SK].p,
                                       token_absent ? NULL : f[F_TOKEN].p };

    if (sigv4_authorization(&req, &scope, &creds, &authz) != 0) {
        puts("ERROR");
        return;
    }
    puts(authz);
    free(authz);
}

int main(void)
{
    char *line = NULL;
    size_t cap = 0;

    while (getline(&line, &cap, stdin) > 0)
        sign_line(line);
    free(line);
    return fflush(stdout) == 0 ? 0 : 1;
}

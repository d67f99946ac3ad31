/*
 * par_signin_token_parse on arbitrary bytes. Properties: an accepted token
 * is URL-safe text within its length bounds and fits its buffer; the
 * reason given for a refusal is one line; answers over the cap are refused.
 */
#include "fuzz_util.h"
#include "federation.h"

static int url_safe(const char *s)
{
    for (; *s != '\0'; s++)
        if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~", *s) == NULL)
            return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char token[PAR_SIGNIN_TOKEN_MAX + 1], small[64], why[128];
    size_t n;

    memset(why, 'x', sizeof(why));
    if (par_signin_token_parse((const char *)data, size, token, sizeof(token), why,
                               sizeof(why)) == 0) {
        n = strlen(token);
        FUZZ_CHECK(n >= PAR_SIGNIN_TOKEN_MIN && n <= PAR_SIGNIN_TOKEN_MAX);
        FUZZ_CHECK(url_safe(token));
        FUZZ_CHECK(size <= PAR_SIGNIN_ANSWER_MAX);
    } else {
        FUZZ_CHECK(why[0] != '\0' && memchr(why, '\0', sizeof(why)) != NULL && fuzz_one_line(why));
    }
    /* A buffer too small for the token is a refusal, never an overflow. */
    memset(small, 'x', sizeof(small));
    if (par_signin_token_parse((const char *)data, size, small, sizeof(small), why,
                               sizeof(why)) == 0)
        FUZZ_CHECK(strlen(small) < sizeof(small));
    return 0;
}

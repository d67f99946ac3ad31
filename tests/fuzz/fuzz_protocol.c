/*
 * The helper's report as the module reads it: par_msg_parse, then every
 * validator of common/valid.h over every value.
 * Properties: an accepted message serialises back (par_msg_add/par_msg_end)
 * to exactly the input; a value any validator but par_valid_message accepts
 * holds nothing a shell or an INI file would treat specially; a line
 * par_clean_line cleaned holds no control character (par_valid_message
 * accepts it), and a message parses as session metadata
 * (par_msg_parse_max) exactly when it parses as a report.
 */
#include "fuzz_util.h"
#include "protocol.h"
#include "valid.h"
#include "wipe.h"

typedef bool (*validator)(const char *s);

static const validator strict_validators[] = {
    par_valid_mfa_code,    par_valid_access_key_id, par_valid_secret_key,
    par_valid_session_token, par_valid_arn,         par_valid_role_arn,
    par_valid_mfa_serial,  par_valid_region,        par_valid_env_name,
    par_valid_iso8601,     par_valid_session_name,  par_valid_request_id,
    par_valid_session_id,
};

static void check_clean(const char *v)
{
    char *c = strdup(v);

    FUZZ_CHECK(c != NULL);
    par_clean_line(c);
    FUZZ_CHECK(strlen(c) <= strlen(v));
    if (c[0] != '\0' && strlen(c) < PAR_MAX_MESSAGE)
        FUZZ_CHECK(par_valid_message(c));
    if (par_valid_message(v))
        FUZZ_CHECK(strcmp(c, v) == 0);
    free(c);
}

static void check_value(const char *v)
{
    bool strict_ok = false;

    for (size_t i = 0; i < sizeof(strict_validators) / sizeof(strict_validators[0]); i++)
        if (strict_validators[i](v)) {
            strict_ok = true;
            FUZZ_CHECK(strlen(v) <= PAR_MAX_SESSION_TOKEN);
        }
    if (strict_ok) {
        FUZZ_CHECK(v[0] != '\0');
        FUZZ_CHECK(strpbrk(v, " \t'\"\\$`;&|<>()[]#!*?~") == NULL);
        FUZZ_CHECK(fuzz_one_line(v));
    }
    if (par_valid_message(v))
        FUZZ_CHECK(strlen(v) < 512 && fuzz_one_line(v));
    if (par_valid_mfa_code(v))
        FUZZ_CHECK(strlen(v) == 6 && strspn(v, "0123456789") == 6);
    check_clean(v);
}

static void check_round_trip(const struct par_msg *msg, const uint8_t *data, size_t size)
{
    size_t cap = PAR_MSG_MAX + 8, len = 0;
    char *out = malloc(cap);

    FUZZ_CHECK(out != NULL);
    out[0] = '\0';
    for (size_t i = 0; i < msg->n; i++) {
        FUZZ_CHECK(par_msg_get(msg, msg->key[i]) == msg->value[i]);
        FUZZ_CHECK(par_msg_add(out, cap, &len, msg->key[i], msg->value[i]) == 0);
    }
    FUZZ_CHECK(par_msg_end(out, cap, &len) == 0);
    FUZZ_CHECK(len == size && memcmp(out, data, size) == 0);
    par_wipe(out, cap);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct par_msg msg, meta;
    char *copy = NULL;
    int as_meta = par_msg_parse_max((const char *)data, size, PAR_META_MAX, &meta);

    par_msg_free(&meta);
    if (par_msg_parse((const char *)data, size, &msg) == 0) {
        FUZZ_CHECK(as_meta == 0);
        FUZZ_CHECK(msg.n <= PAR_MSG_MAX_KEYS);
        for (size_t i = 0; i < msg.n; i++) {
            FUZZ_CHECK(strpbrk(msg.value[i], "\r\n") == NULL);
            check_value(msg.value[i]);
        }
        check_round_trip(&msg, data, size);
        par_msg_free(&msg);
    } else {
        FUZZ_CHECK(msg.n == 0);
        FUZZ_CHECK(as_meta != 0 || size > PAR_MSG_MAX);
    }
    /* The validators on the raw input too, as one C string. */
    copy = malloc(size + 1);
    FUZZ_CHECK(copy != NULL);
    memcpy(copy, data, size);
    copy[size] = '\0';
    check_value(copy);
    free(copy);
    return 0;
}

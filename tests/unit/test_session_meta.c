/*
 * Session metadata: the largest the writer can produce (PAR_MAX_LOGIN_ENVS
 * environments, every value at its maximum length) is read back whole and
 * passes its checks; hostile values are refused by key. Messages: C0 and
 * C1 controls are refused by par_valid_message and dropped by
 * par_clean_line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"
#include "protocol.h"
#include "session_dir.h"
#include "session_files.h"
#include "session_meta.h"
#include "valid.h"

/* A string of exactly LEN bytes: PREFIX, then FILL, then SUFFIX. */
static char *sized(const char *prefix, char fill, const char *suffix, size_t len)
{
    char *s = malloc(len + 1);
    size_t p = strlen(prefix), q = strlen(suffix);

    assert_non_null(s);
    assert_true(p + q <= len);
    memcpy(s, prefix, p);
    memset(s + p, fill, len - p - q);
    memcpy(s + len - q, suffix, q);
    s[len] = '\0';
    return s;
}

struct largest {
    struct par_login_env envs[PAR_MAX_LOGIN_ENVS];
    char *names[PAR_MAX_LOGIN_ENVS];
    char *arn, *region, *expiration, *session_name, *config, *user;
    struct par_login login;
    struct par_session_info info;
};

static void make_largest(struct largest *m)
{
    memset(m, 0, sizeof(*m));
    m->arn = sized("arn:aws:iam::123456789012:role/", 'r', "", PAR_MAX_ARN);
    m->region = sized("eu-", 'w', "-1", PAR_MAX_REGION);
    m->expiration = sized("2026-11-29T12:00:00.", '9', "Z", 32);
    m->session_name = sized("s", 'n', "", PAR_MAX_SESSION_NAME);
    m->config = sized("/", 'c', "", PAR_MAX_PATH - 1);
    m->user = sized("u", 'u', "", 63);
    for (size_t i = 0; i < PAR_MAX_LOGIN_ENVS; i++) {
        char head[8];

        snprintf(head, sizeof(head), "%02zu", i);
        m->names[i] = sized(head, 'e', "", PAR_MAX_ENV_NAME);
        m->envs[i] = (struct par_login_env){ .name = m->names[i], .role_arn = m->arn,
                                             .region = m->region, .duration = 129600,
                                             .status = STS_OK };
        snprintf(m->envs[i].creds.expiration, sizeof(m->envs[i].creds.expiration), "%s",
                 m->expiration);
    }
    m->login.envs = m->envs;
    m->login.n_envs = PAR_MAX_LOGIN_ENVS;
    m->login.session_name = m->session_name;
    snprintf(m->login.mfa_session.expiration, sizeof(m->login.mfa_session.expiration), "%s",
             m->expiration);
    m->info = (struct par_session_info){ .user = m->user, .config_path = m->config,
                                         .session_pid = 2147483647,
                                         .session_start = 9223372036854775807LL,
                                         .session_strategy = true, .default_env = m->names[0] };
}

static void free_largest(struct largest *m)
{
    for (size_t i = 0; i < PAR_MAX_LOGIN_ENVS; i++)
        free(m->names[i]);
    free(m->arn);
    free(m->region);
    free(m->expiration);
    free(m->session_name);
    free(m->config);
    free(m->user);
}

static void test_largest_metadata_reads_back(void **state)
{
    struct largest m;
    struct par_msg meta;
    char *buf = malloc(SD_FILE_MAX), bad[64] = "";

    (void)state;
    assert_non_null(buf);
    make_largest(&m);
    assert_int_equal(par_render_meta(buf, SD_FILE_MAX, &m.info, &m.login), 0);
    print_message("largest metadata: %zu bytes, %d keys\n", strlen(buf),
                  SD_META_FIXED_KEYS + SD_META_KEYS_PER_ENV * PAR_MAX_LOGIN_ENVS);
    assert_int_equal(par_msg_parse_max(buf, strlen(buf), PAR_META_MAX, &meta), 0);
    assert_int_equal(meta.n, SD_META_FIXED_KEYS + SD_META_KEYS_PER_ENV * PAR_MAX_LOGIN_ENVS);
    assert_int_equal(par_meta_check(&meta, bad, sizeof(bad)), 0);
    assert_string_equal(par_msg_get(&meta, "role_15"), m.arn);
    assert_string_equal(par_msg_get(&meta, "env_15"), m.names[15]);
    assert_string_equal(par_msg_get(&meta, "session_pid"), "2147483647");
    par_msg_free(&meta);
    free_largest(&m);
    free(buf);
}

static void test_hostile_values_refused_by_key(void **state)
{
    static const struct { const char *line, *bad; } cases[] = {
        { "role_0=arn:aws:iam::1:role/x\x1b]0;pwn\x07\n", "role_0" },
        { "role_0=arn:aws:iam::111111111111:role/a\"}\n", "role_0" },
        { "region_0=eu-west-1';touch /tmp/x;'\n", "region_0" },
        { "env_0=int\x1b[31m\n", "env_0" },
        { "expiration_0=2026-11-29T12:00:00Z\"}, {\"x\": \"\n", "expiration_0" },
        { "duration_0=$(id)\n", "duration_0" },
    };
    static const char *const base[] = {
        "version=1\n", "env_0=integration\n", "role_0=arn:aws:iam::111111111111:role/r\n",
        "region_0=eu-west-1\n", "duration_0=3600\n", "expiration_0=2026-11-29T12:00:00Z\n",
    };

    (void)state;
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        char buf[1024] = "", key[32], bad[64] = "";
        struct par_msg meta;

        snprintf(key, sizeof(key), "%.*s", (int)strcspn(cases[c].line, "="), cases[c].line);
        for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++)
            if (strncmp(base[i], key, strlen(key)) != 0 || base[i][strlen(key)] != '=')
                strcat(buf, base[i]);
        strcat(buf, cases[c].line);
        strcat(buf, "end\n");
        assert_int_equal(par_msg_parse(buf, strlen(buf), &meta), 0);
        assert_int_equal(par_meta_check(&meta, bad, sizeof(bad)), -1);
        assert_string_equal(bad, cases[c].bad);
        par_msg_free(&meta);
    }
}

static void test_message_controls(void **state)
{
    char line[128];

    (void)state;
    assert_true(par_valid_message("AWS refused the request: caf\xc3\xa9 \xc2\xa3 \xe3\xa0\xa0"));
    /* U+2713 and U+20AC are well-formed and no control, whatever bytes they use. */
    assert_true(par_valid_message("check \xe2\x9c\x93 \xe2\x82\xac"));
    assert_false(par_valid_message("overlong \xc0\xaf"));
    assert_false(par_valid_message("surrogate \xed\xa0\x80"));
    assert_false(par_valid_message("red \xc2\x9b" "31m"));       /* U+009B CSI */
    assert_false(par_valid_message("next \xc2\x85 line"));        /* U+0085 NEL */
    assert_false(par_valid_message("raw \x9b" "31m"));            /* 8-bit CSI */
    assert_false(par_valid_message("esc \x1b[2J"));
    assert_false(par_valid_message("bell \x07"));
    assert_false(par_valid_message("del \x7f"));
    assert_false(par_valid_message("cut \xe2\x9c"));              /* truncated UTF-8 */
    snprintf(line, sizeof(line), "a\xc2\x9b" "31mb\x1b[2Jc\x9b\td\ne\xc2\x85" "f caf\xc3\xa9");
    par_clean_line(line);
    assert_string_equal(line, "a31mb[2Jc d ef caf\xc3\xa9");
    assert_true(par_valid_message(line));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_largest_metadata_reads_back),
        cmocka_unit_test(test_hostile_values_refused_by_key),
        cmocka_unit_test(test_message_controls),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Templates: every directive, unknown directives, session name cleaning and cuts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "template.h"

/* 2026-03-04 05:06:07 in the local zone (TZ is set to UTC+2 in main). */
static time_t fixed_time(void)
{
    struct tm tm = { .tm_year = 126, .tm_mon = 2, .tm_mday = 4, .tm_hour = 5, .tm_min = 6,
                     .tm_sec = 7, .tm_isdst = -1 };
    return mktime(&tm);
}

static struct par_template_vars vars(void)
{
    struct par_template_vars v = {
        .user = "jane.doe", .environment = "integration", .host = "bastion1",
        .rhost = "192.0.2.7", .service = "sshd", .now = fixed_time(),
    };
    return v;
}

static void expect(const char *tmpl, const char *want)
{
    struct par_template_vars v = vars();
    char out[256];

    assert_int_equal(par_expand_template(tmpl, &v, out, sizeof(out)), 0);
    assert_string_equal(out, want);
}

static void test_every_directive(void **state)
{
    (void)state;
    expect("%u", "jane.doe");
    expect("%e", "integration");
    expect("%h", "bastion1");
    expect("%r", "192.0.2.7");
    expect("%s", "sshd");
    expect("%d/%m/%y %Y %H:%M:%S", "04/03/26 2026 05:06:07");
    expect("100%%", "100%");
    expect("govuk-%e", "govuk-integration");
    expect("arn:aws:iam::123456789012:mfa/%u@example.gov.uk",
           "arn:aws:iam::123456789012:mfa/jane.doe@example.gov.uk");
    expect("", "");
}

/* Every directive config.c accepts is one the expander knows. */
static void test_config_directives_all_expand(void **state)
{
    (void)state;
    for (const char *d = PAR_TEMPLATE_DIRECTIVES; *d != '\0'; d++) {
        char tmpl[3] = { '%', *d, '\0' }, out[64];
        struct par_template_vars v = vars();
        assert_int_equal(par_expand_template(tmpl, &v, out, sizeof(out)), 0);
    }
}

static void test_local_time(void **state)
{
    struct par_template_vars v = vars();
    char out[64];

    (void)state;
    v.now = 0;   /* 1970-01-01 00:00:00 UTC is 02:00 in UTC+2 */
    assert_int_equal(par_expand_template("%Y-%m-%d %H", &v, out, sizeof(out)), 0);
    assert_string_equal(out, "1970-01-01 02");
}

static void test_missing_values_expand_empty(void **state)
{
    struct par_template_vars v = { .user = "u", .now = 0 };
    char out[64];

    (void)state;
    assert_int_equal(par_expand_template("[%r][%s][%e]", &v, out, sizeof(out)), 0);
    assert_string_equal(out, "[][][]");
}

static void test_host_defaults_to_short_hostname(void **state)
{
    struct par_template_vars v = { .now = 0 };
    char out[256], host[256];

    (void)state;
    assert_int_equal(gethostname(host, sizeof(host)), 0);
    host[sizeof(host) - 1] = '\0';
    host[strcspn(host, ".")] = '\0';
    assert_int_equal(par_expand_template("%h", &v, out, sizeof(out)), 0);
    assert_string_equal(out, host);
    assert_null(strchr(out, '.'));
}

static void test_unknown_directive(void **state)
{
    struct par_template_vars v = vars();
    char out[64];

    (void)state;
    strcpy(out, "junk");
    errno = 0;
    assert_int_equal(par_expand_template("%u-%x", &v, out, sizeof(out)), -1);
    assert_int_equal(errno, EINVAL);
    assert_string_equal(out, "");
    assert_int_equal(par_expand_template("trailing%", &v, out, sizeof(out)), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(par_expand_template("%E", &v, out, sizeof(out)), -1);
}

static void test_too_long(void **state)
{
    struct par_template_vars v = vars();
    char out[8];

    (void)state;
    assert_int_equal(par_expand_template("1234567", &v, out, sizeof(out)), 0);
    assert_string_equal(out, "1234567");
    errno = 0;
    assert_int_equal(par_expand_template("12345678", &v, out, sizeof(out)), -1);
    assert_int_equal(errno, ENAMETOOLONG);
    assert_string_equal(out, "");
    assert_int_equal(par_expand_template("%u", &v, out, sizeof(out)), -1);
    assert_int_equal(errno, ENAMETOOLONG);
}

static void test_session_name_default(void **state)
{
    struct par_template_vars v = vars();
    char out[PAR_MAX_SESSION_NAME + 1];

    (void)state;
    assert_int_equal(par_session_name("%u-%d-%m-%y_%H-%M", &v, out), 0);
    assert_string_equal(out, "jane.doe-04-03-26_05-06");
    assert_true(par_valid_session_name(out));
}

static void test_session_name_cleaned(void **state)
{
    struct par_template_vars v = vars();
    char out[PAR_MAX_SESSION_NAME + 1];

    (void)state;
    v.user = "jane doe/ä:x";
    v.rhost = "2001:db8::1";
    assert_int_equal(par_session_name("%u %r!%%", &v, out), 0);
    /* space, /, the two bytes of UTF-8 ä and : each become - */
    assert_string_equal(out, "jane-doe----x-2001-db8--1--");
    assert_true(par_valid_session_name(out));
    assert_int_equal(par_session_name("a+b=c,d.e@f_g-h", &v, out), 0);
    assert_string_equal(out, "a+b=c,d.e@f_g-h");
}

static void test_session_name_cut_and_padded(void **state)
{
    struct par_template_vars v = vars();
    char out[PAR_MAX_SESSION_NAME + 1], longuser[300];

    (void)state;
    memset(longuser, 'x', sizeof(longuser) - 1);
    longuser[sizeof(longuser) - 1] = '\0';
    v.user = longuser;
    assert_int_equal(par_session_name("%u-%e", &v, out), 0);
    assert_int_equal(strlen(out), 64);
    assert_true(par_valid_session_name(out));

    v.user = "a";
    assert_int_equal(par_session_name("%u", &v, out), 0);
    assert_string_equal(out, "a-");
    assert_int_equal(par_session_name("", &v, out), 0);
    assert_string_equal(out, "--");
    assert_true(par_valid_session_name(out));
}

static void test_session_name_huge_value_cut(void **state)
{
    struct par_template_vars v = vars();
    char out[PAR_MAX_SESSION_NAME + 1];
    char *huge = malloc(5000);

    (void)state;
    assert_non_null(huge);
    memset(huge, 'y', 4999);
    huge[4999] = '\0';
    v.user = huge;
    assert_int_equal(par_session_name("%u%e", &v, out), 0);
    assert_int_equal(strlen(out), 64);
    /* A bad directive after the cut point is still an error. */
    assert_int_equal(par_session_name("%u%q", &v, out), -1);
    assert_int_equal(errno, EINVAL);
    free(huge);
}

static void test_session_name_unknown_directive(void **state)
{
    struct par_template_vars v = vars();
    char out[PAR_MAX_SESSION_NAME + 1];

    (void)state;
    assert_int_equal(par_session_name("%u-%z", &v, out), -1);
    assert_int_equal(errno, EINVAL);
}

static void test_profile_name(void **state)
{
    char out[PAR_MAX_PROFILE_NAME + 1];
    char long_tmpl[PAR_MAX_PROFILE_NAME + 8];

    (void)state;
    assert_int_equal(par_profile_name("govuk-%e", "jane.doe", "integration", out), 0);
    assert_string_equal(out, "govuk-integration");
    assert_int_equal(par_profile_name("%u-%e", "jane.doe", "staging", out), 0);
    assert_string_equal(out, "jane.doe-staging");
    /* A space is not a profile character; a name over 64 does not fit. */
    assert_int_equal(par_profile_name("aws %e", NULL, "staging", out), -1);
    assert_string_equal(out, "");
    memset(long_tmpl, 'p', sizeof(long_tmpl) - 3);
    memcpy(long_tmpl + sizeof(long_tmpl) - 3, "%e", 3);
    assert_int_equal(par_profile_name(long_tmpl, NULL, "x", out), -1);
    assert_string_equal(out, "");
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_directive),
        cmocka_unit_test(test_config_directives_all_expand),
        cmocka_unit_test(test_local_time),
        cmocka_unit_test(test_missing_values_expand_empty),
        cmocka_unit_test(test_host_defaults_to_short_hostname),
        cmocka_unit_test(test_unknown_directive),
        cmocka_unit_test(test_too_long),
        cmocka_unit_test(test_session_name_default),
        cmocka_unit_test(test_session_name_cleaned),
        cmocka_unit_test(test_session_name_cut_and_padded),
        cmocka_unit_test(test_session_name_huge_value_cut),
        cmocka_unit_test(test_session_name_unknown_directive),
        cmocka_unit_test(test_profile_name),
    };

    /* POSIX TZ: "XXX-2" is two hours east of UTC, with no zone files needed. */
    setenv("TZ", "XXX-2", 1);
    tzset();
    return cmocka_run_group_tests(tests, NULL, NULL);
}

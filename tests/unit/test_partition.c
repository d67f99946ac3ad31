/* Partitions: the STS, sign-in and console URLs per partition, ARN partitions, refusals. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "context.h"
#include "partition.h"

struct want {
    const char *region;
    const char *partition;
    const char *sts;
    const char *signin;   /* NULL: no sign-in endpoint in the partition */
    const char *console;  /* NULL: no console host in the partition */
};

static const struct want wants[] = {
    { "eu-west-1", "aws", "https://sts.eu-west-1.amazonaws.com",
      "https://signin.aws.amazon.com/federation",
      "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1" },
    { "us-east-1", "aws", "https://sts.us-east-1.amazonaws.com",
      "https://signin.aws.amazon.com/federation",
      "https://us-east-1.console.aws.amazon.com/console/home?region=us-east-1" },
    { "cn-north-1", "aws-cn", "https://sts.cn-north-1.amazonaws.com.cn",
      "https://signin.amazonaws.cn/federation",
      "https://cn-north-1.console.amazonaws.cn/console/home?region=cn-north-1" },
    { "cn-northwest-1", "aws-cn", "https://sts.cn-northwest-1.amazonaws.com.cn",
      "https://signin.amazonaws.cn/federation",
      "https://cn-northwest-1.console.amazonaws.cn/console/home?region=cn-northwest-1" },
    { "us-gov-west-1", "aws-us-gov", "https://sts.us-gov-west-1.amazonaws.com",
      "https://signin.amazonaws-us-gov.com/federation",
      "https://us-gov-west-1.console.amazonaws-us-gov.com/console/home?region=us-gov-west-1" },
    { "us-iso-east-1", "aws-iso", "https://sts.us-iso-east-1.c2s.ic.gov", NULL, NULL },
    { "us-isob-east-1", "aws-iso-b", "https://sts.us-isob-east-1.sc2s.sgov.gov", NULL, NULL },
    /* A region the table does not know yet is in aws, as the SDKs have it. */
    { "il-central-1", "aws", "https://sts.il-central-1.amazonaws.com",
      "https://signin.aws.amazon.com/federation",
      "https://il-central-1.console.aws.amazon.com/console/home?region=il-central-1" },
};

static void expect_url(int rc, const char *got, const char *want)
{
    if (want == NULL) {
        assert_int_equal(rc, -1);
        assert_string_equal(got, "");
    } else {
        assert_int_equal(rc, 0);
        assert_string_equal(got, want);
    }
}

static void test_urls_per_partition(void **state)
{
    char out[256];

    (void)state;
    for (size_t i = 0; i < sizeof(wants) / sizeof(wants[0]); i++) {
        const struct want *w = &wants[i];
        const struct par_partition *p = par_region_partition(w->region);

        assert_non_null(p);
        assert_string_equal(p->name, w->partition);
        expect_url(par_sts_url(w->region, out, sizeof(out)), out, w->sts);
        expect_url(par_signin_url(w->region, out, sizeof(out)), out, w->signin);
        expect_url(par_console_home(w->region, out, sizeof(out)), out, w->console);
    }
}

static void test_arn_partition(void **state)
{
    (void)state;
    assert_string_equal(par_arn_partition("arn:aws:iam::123456789012:role/Admin")->name, "aws");
    assert_string_equal(par_arn_partition("arn:aws-cn:iam::123456789012:role/A")->name, "aws-cn");
    assert_string_equal(par_arn_partition("arn:aws-us-gov:iam::123456789012:mfa/j")->name,
                        "aws-us-gov");
    assert_string_equal(par_arn_partition("arn:aws-iso:iam::123456789012:role/A")->name,
                        "aws-iso");
    assert_string_equal(par_arn_partition("arn:aws-iso-b:iam::123456789012:role/A")->name,
                        "aws-iso-b");
    assert_null(par_arn_partition("arn:aws-mars:iam::123456789012:role/A"));
    assert_null(par_arn_partition("arn:awsaws-cn-aws-cn-aws-cn:iam::1:role/A"));
    assert_null(par_arn_partition("arn:aws"));
    assert_null(par_arn_partition("arn::iam::123456789012:role/A"));
    assert_null(par_arn_partition("aws:iam::123456789012:role/A"));
    assert_null(par_arn_partition("GAHT12345678"));
    assert_null(par_arn_partition(NULL));
}

static void test_invalid_regions_refused(void **state)
{
    static const char *const bad[] = { NULL, "", "eu", "EU-West-1", "eu-west-1-", "-eu-west-1",
                                       "eu_west_1", "eu-west-1.evil.example",
                                       "eu-west-1/x", "aaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbbbb-1" };
    char out[256];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_null(par_region_partition(bad[i]));
        memset(out, 'x', sizeof(out));
        assert_int_equal(par_sts_url(bad[i], out, sizeof(out)), -1);
        assert_string_equal(out, "");
        assert_int_equal(par_signin_url(bad[i], out, sizeof(out)), -1);
        assert_int_equal(par_console_home(bad[i], out, sizeof(out)), -1);
    }
}

/* An output that does not fit is refused, never cut: exactly fitting passes. */
static void test_overlong_output_refused(void **state)
{
    const char *sts = "https://sts.cn-north-1.amazonaws.com.cn";
    size_t n = strlen(sts);
    char out[64];

    (void)state;
    assert_int_equal(par_sts_url("cn-north-1", out, n + 1), 0);
    assert_string_equal(out, sts);
    memset(out, 'x', sizeof(out));
    assert_int_equal(par_sts_url("cn-north-1", out, n), -1);
    assert_string_equal(out, "");
    assert_int_equal(par_signin_url("eu-west-1", out, 10), -1);
    assert_string_equal(out, "");
    assert_int_equal(par_console_home("eu-west-1", out, sizeof(out)), -1);
    assert_string_equal(out, "");
    assert_int_equal(par_sts_url("eu-west-1", NULL, 0), -1);
    assert_int_equal(par_sts_url("eu-west-1", out, 0), -1);
}

static void test_check_arn_partition(void **state)
{
    char err[256] = "";

    (void)state;
    assert_int_equal(par_check_arn_partition("role_arn", "arn:aws-cn:iam::123456789012:role/A",
                                             "cn-north-1", err, sizeof(err)), 0);
    assert_int_equal(par_check_arn_partition("mfa_serial", "GAHT12345678", "cn-north-1",
                                             err, sizeof(err)), 0);
    assert_int_equal(par_check_arn_partition("role_arn", "arn:aws-cn:iam::123456789012:role/A",
                                             "eu-west-1", err, sizeof(err)), -1);
    assert_string_equal(err, "role_arn is in partition aws-cn but region eu-west-1 is in aws: "
                             "fix the ARN or the region");
    assert_int_equal(par_check_arn_partition("role_arn", "arn:aws:iam::123456789012:role/A",
                                             "us-gov-west-1", err, sizeof(err)), -1);
    assert_string_equal(err, "role_arn is in partition aws but region us-gov-west-1 is in "
                             "aws-us-gov: fix the ARN or the region");
    assert_int_equal(par_check_arn_partition("role_arn", "arn:aws-moon:iam::123456789012:role/A",
                                             "eu-west-1", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "fix the ARN"));
}

/* The helper's STS endpoint: derived from the region's partition unless sts_endpoint says. */
static void expect_context_endpoint(const char *conf_text, const char *want)
{
    char path[] = "/tmp/par-test-partition-XXXXXX";
    char err[512];
    struct par_context ctx;
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, conf_text, strlen(conf_text)), (ssize_t)strlen(conf_text));
    assert_int_equal(fchmod(fd, 0644), 0);
    close(fd);
    memset(&ctx, 0, sizeof(ctx));
    if (par_context_load(&ctx, path, PAR_CONFIG_INSECURE_ANY_OWNER, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_string_equal(ctx.endpoint_url, want);
    assert_string_equal(ctx.login.endpoint.url, want);
    par_context_free(&ctx);
    unlink(path);
}

#define ENV_CN "environments = { c = { role_arn = \"arn:aws-cn:iam::123456789012:role/A\"; }; };\n"

static void test_context_endpoint(void **state)
{
    (void)state;
    expect_context_endpoint("region = \"cn-north-1\";\n" ENV_CN,
                            "https://sts.cn-north-1.amazonaws.com.cn");
    expect_context_endpoint("region = \"us-iso-east-1\";\n"
                            "environments = { i = { }; };\n",
                            "https://sts.us-iso-east-1.c2s.ic.gov");
    expect_context_endpoint("environments = { e = { }; };\n",
                            "https://sts.eu-west-1.amazonaws.com");
    expect_context_endpoint("region = \"cn-north-1\";\n"
                            "sts_endpoint = \"http://127.0.0.1:9/\";\n" ENV_CN,
                            "http://127.0.0.1:9/");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_urls_per_partition),
        cmocka_unit_test(test_arn_partition),
        cmocka_unit_test(test_invalid_regions_refused),
        cmocka_unit_test(test_overlong_output_refused),
        cmocka_unit_test(test_check_arn_partition),
        cmocka_unit_test(test_context_endpoint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

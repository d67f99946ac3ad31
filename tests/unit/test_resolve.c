/*
 * Target resolution: every precedence rule between the system config and the
 * person's ~/.aws/config, and the errors when something is missing.
 */
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

#include "resolve.h"

#define ROLE_SYS   "arn:aws:iam::111111111111:role/system-role"
#define ROLE_USER  "arn:aws:iam::222222222222:role/user-role"
#define MFA_SYS    "arn:aws:iam::333333333333:mfa/from-config"
#define MFA_PROF   "arn:aws:iam::333333333333:mfa/from-profile"
#define MFA_SOURCE "arn:aws:iam::333333333333:mfa/from-source"
#define KEY_ID     "AKIAIOSFODNN7EXAMPLE"
#define SECRET     "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

static char dir[] = "/tmp/par-test-resolve-XXXXXX";
static char home[128];

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");

    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, mode), 0);
}

static void user_config(const char *text)
{
    char path[256];

    snprintf(path, sizeof(path), "%s/.aws/config", home);
    unlink(path);
    if (text != NULL)
        write_file(path, text, 0600);
}

static void user_credentials(const char *text)
{
    char path[256];

    snprintf(path, sizeof(path), "%s/.aws/credentials", home);
    unlink(path);
    write_file(path, text, 0600);
}

static void load_config(const char *text, struct par_config *cfg)
{
    char path[256], err[PAR_CONFIG_ERR_MAX];

    snprintf(path, sizeof(path), "%s/pam_assume_role.conf", dir);
    write_file(path, text, 0644);
    if (par_config_load(path, PAR_CONFIG_INSECURE_ANY_OWNER, cfg, err, sizeof(err)) != 0)
        fail_msg("config: %s", err);
}

static const char *const sys_config =
    "region = \"eu-west-1\";\n"
    "environments = {\n"
    "  integration = { role_arn = \"" ROLE_SYS "\"; duration = 28800; region = \"eu-west-3\"; };\n"
    "  staging = { };\n"
    "};\n"
    "users = ( { name = \"jane\"; mfa_serial = \"" MFA_SYS "\"; } );\n";

static const char *const full_profiles =
    "[profile gds]\nmfa_serial = " MFA_SOURCE "\n"
    "[profile govuk-integration]\nrole_arn = " ROLE_USER "\nmfa_serial = " MFA_PROF "\n"
    "region = us-east-1\nduration_seconds = 7200\nsource_profile = other\n"
    "[profile govuk-staging]\nrole_arn = " ROLE_USER "\nmfa_serial = " MFA_PROF "\n"
    "region = us-east-2\nduration_seconds = 1800\n"
    "[profile govuk-sandbox]\nrole_arn = " ROLE_USER "\n";

static void resolve_ok(const struct par_config *cfg, const char *user, const char *env,
                       struct par_target *t)
{
    char err[512];

    if (par_resolve_target(cfg, user, home, env, t, err, sizeof(err)) != 0)
        fail_msg("resolve %s/%s: %s", user, env, err);
    assert_string_equal(t->environment, env);
}

static void resolve_fails(const struct par_config *cfg, const char *user, const char *env,
                          const char *want)
{
    struct par_target t;
    char err[512];

    assert_int_equal(par_resolve_target(cfg, user, home, env, &t, err, sizeof(err)), -1);
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("got:  %s\nwant: %s...", err, want);
    assert_null(t.role_arn);
    assert_null(t.environment);
}

/* The system config wins wherever it says something. */
static void test_config_wins(void **state)
{
    struct par_config cfg;
    struct par_target t;

    (void)state;
    load_config(sys_config, &cfg);
    user_config(full_profiles);
    resolve_ok(&cfg, "jane", "integration", &t);
    assert_string_equal(t.role_arn, ROLE_SYS);
    assert_string_equal(t.mfa_serial, MFA_SYS);
    assert_string_equal(t.region, "eu-west-3");
    assert_int_equal(t.duration, 28800);
    assert_string_equal(t.profile, "govuk-integration");
    par_target_free(&t);
    par_config_free(&cfg);
}

/* Where the config is silent, the person's govuk-ENV profile serves. */
static void test_profile_fills_gaps(void **state)
{
    struct par_config cfg;
    struct par_target t;

    (void)state;
    load_config(sys_config, &cfg);
    user_config(full_profiles);
    resolve_ok(&cfg, "bob", "staging", &t);
    assert_string_equal(t.role_arn, ROLE_USER);
    assert_string_equal(t.mfa_serial, MFA_PROF);
    assert_string_equal(t.region, "us-east-2");
    assert_int_equal(t.duration, 1800);
    par_target_free(&t);
    /* jane's MFA device from the config still beats her profile's. */
    resolve_ok(&cfg, "jane", "staging", &t);
    assert_string_equal(t.mfa_serial, MFA_SYS);
    assert_string_equal(t.role_arn, ROLE_USER);
    par_target_free(&t);
    par_config_free(&cfg);
}

/* No mfa_serial in govuk-ENV: the source profile's, then the template's. */
static void test_mfa_fallbacks(void **state)
{
    struct par_config cfg;
    struct par_target t;

    (void)state;
    load_config("environments = { sandbox = { }; };\n"
                "mfa_serial_template = \"arn:aws:iam::444444444444:mfa/%u@example.gov.uk\";\n",
                &cfg);
    user_config(full_profiles);
    resolve_ok(&cfg, "bob", "sandbox", &t);
    assert_string_equal(t.mfa_serial, MFA_SOURCE);
    par_target_free(&t);

    user_config("[profile govuk-sandbox]\nrole_arn = " ROLE_USER "\n");
    resolve_ok(&cfg, "bob", "sandbox", &t);
    assert_string_equal(t.mfa_serial, "arn:aws:iam::444444444444:mfa/bob@example.gov.uk");
    par_target_free(&t);
    par_config_free(&cfg);

    load_config("environments = { sandbox = { }; };\n", &cfg);
    resolve_fails(&cfg, "bob", "sandbox", "no MFA device known for bob: add mfa_serial = "
                  "arn:aws:iam::ACCOUNT:mfa/NAME under [profile govuk-sandbox] in "
                  "~/.aws/config, or ask an admin to add you to users in ");
    par_config_free(&cfg);
}

/* source_profile = "default" finds the MFA device in [default]. */
static void test_default_source_profile(void **state)
{
    struct par_config cfg;
    struct par_target t;

    (void)state;
    load_config("source_profile = \"default\";\nenvironments = { sandbox = { }; };\n", &cfg);
    user_config("[default]\nmfa_serial = " MFA_SOURCE "\n"
                "[profile govuk-sandbox]\nrole_arn = " ROLE_USER "\n");
    resolve_ok(&cfg, "bob", "sandbox", &t);
    assert_string_equal(t.mfa_serial, MFA_SOURCE);
    par_target_free(&t);
    par_config_free(&cfg);
}

/* Region and duration: environment, else profile, else the global / 3600. */
static void test_region_and_duration_defaults(void **state)
{
    struct par_config cfg;
    struct par_target t;

    (void)state;
    load_config("region = \"ap-southeast-2\";\nenvironments = { sandbox = { }; };\n", &cfg);
    user_config(full_profiles);
    resolve_ok(&cfg, "bob", "sandbox", &t);
    assert_string_equal(t.region, "ap-southeast-2");
    assert_int_equal(t.duration, PAR_DEFAULT_DURATION);
    assert_int_equal(t.duration, 3600);
    par_target_free(&t);
    par_config_free(&cfg);

    load_config("environments = { sandbox = { duration = 900; }; };\n", &cfg);
    user_config("[profile govuk-sandbox]\nrole_arn = " ROLE_USER "\nmfa_serial = " MFA_PROF "\n"
                "duration_seconds = 7200\nregion = ca-central-1\n");
    resolve_ok(&cfg, "bob", "sandbox", &t);
    assert_int_equal(t.duration, 900);
    assert_string_equal(t.region, "ca-central-1");
    par_target_free(&t);
    par_config_free(&cfg);
}

/* An environment only the person's own config knows still works. */
static void test_environment_only_in_profile(void **state)
{
    struct par_config cfg;
    struct par_target t;

    (void)state;
    load_config(sys_config, &cfg);
    user_config(full_profiles);
    resolve_ok(&cfg, "bob", "sandbox", &t);
    assert_string_equal(t.role_arn, ROLE_USER);
    assert_string_equal(t.mfa_serial, MFA_SOURCE);
    assert_string_equal(t.region, "eu-west-1");
    assert_int_equal(t.duration, 3600);
    par_target_free(&t);
    par_config_free(&cfg);
}

static void test_unknown_environment(void **state)
{
    struct par_config cfg;

    (void)state;
    load_config(sys_config, &cfg);
    user_config(full_profiles);
    resolve_fails(&cfg, "bob", "production", "unknown environment \"production\": known "
                  "environments are integration, staging (or add [profile govuk-production] "
                  "to ~/.aws/config)");
    user_config(NULL);
    resolve_fails(&cfg, "bob", "production", "unknown environment \"production\"");
    resolve_fails(&cfg, "bob", "Prod uction", "\"Prod uction\" is not an environment name");
    resolve_fails(&cfg, "bob", "", "\"\" is not an environment name");
    par_config_free(&cfg);
}

static void test_no_role(void **state)
{
    struct par_config cfg;

    (void)state;
    load_config(sys_config, &cfg);
    user_config(NULL);
    resolve_fails(&cfg, "jane", "staging", "no role for environment \"staging\": add role_arn = "
                  "arn:aws:iam::ACCOUNT:role/NAME under [profile govuk-staging] in "
                  "~/.aws/config, or ask an admin to set it in ");
    par_config_free(&cfg);
}

static void test_profile_template(void **state)
{
    struct par_config cfg;
    struct par_target t;

    (void)state;
    load_config("profile_template = \"%u-%e\";\nenvironments = { dev = { }; };\n", &cfg);
    user_config("[profile bob-dev]\nrole_arn = " ROLE_USER "\nmfa_serial = " MFA_PROF "\n"
                "[profile govuk-dev]\nrole_arn = " ROLE_SYS "\n");
    resolve_ok(&cfg, "bob", "dev", &t);
    assert_string_equal(t.profile, "bob-dev");
    assert_string_equal(t.role_arn, ROLE_USER);
    par_target_free(&t);
    par_config_free(&cfg);
}

static void test_bad_user_file_is_an_error(void **state)
{
    struct par_config cfg;

    (void)state;
    load_config(sys_config, &cfg);
    user_config("[profile govuk-staging]\nrole_arn = not-an-arn\n");
    resolve_fails(&cfg, "jane", "staging", "~/.aws/config [profile govuk-staging]: role_arn "
                  "is not valid");
    par_config_free(&cfg);
}

/* ARNs from the person's profiles must be in the partition of the target's region. */
static void test_profile_arn_partition(void **state)
{
    struct par_config cfg;
    struct par_target t;

    (void)state;
    load_config("region = \"cn-north-1\";\nenvironments = { china = { }; };\n", &cfg);
    user_config("[profile gds]\nmfa_serial = arn:aws-cn:iam::333333333333:mfa/bob\n"
                "[profile govuk-china]\nrole_arn = arn:aws-cn:iam::222222222222:role/r\n");
    resolve_ok(&cfg, "bob", "china", &t);
    assert_string_equal(t.region, "cn-north-1");
    par_target_free(&t);

    user_config("[profile gds]\nmfa_serial = arn:aws-cn:iam::333333333333:mfa/bob\n"
                "[profile govuk-china]\nrole_arn = " ROLE_USER "\n");
    resolve_fails(&cfg, "bob", "china", "~/.aws/config [profile govuk-china]: role_arn is in "
                  "partition aws but region cn-north-1 is in aws-cn: fix the ARN or the region");
    user_config("[profile gds]\nmfa_serial = " MFA_SOURCE "\n"
                "[profile govuk-china]\nrole_arn = arn:aws-cn:iam::222222222222:role/r\n");
    resolve_fails(&cfg, "bob", "china", "~/.aws/config [profile gds]: mfa_serial is in "
                  "partition aws but region cn-north-1 is in aws-cn: fix the ARN or the region");
    /* The profile's own region decides when the config names none for the environment. */
    user_config("[profile gds]\nmfa_serial = " MFA_SOURCE "\n"
                "[profile govuk-china]\nrole_arn = " ROLE_USER "\nmfa_serial = " MFA_PROF "\n"
                "region = eu-west-2\n");
    resolve_ok(&cfg, "bob", "china", &t);
    assert_string_equal(t.region, "eu-west-2");
    par_target_free(&t);
    user_config("[profile govuk-china]\nrole_arn = arn:aws-us-gov:iam::222222222222:role/r\n"
                "mfa_serial = arn:aws-us-gov:iam::333333333333:mfa/bob\nregion = eu-west-2\n");
    resolve_fails(&cfg, "bob", "china", "~/.aws/config [profile govuk-china]: role_arn is in "
                  "partition aws-us-gov but region eu-west-2 is in aws: fix the ARN or the region");
    user_config("[profile govuk-china]\nrole_arn = arn:aws-us-gov:iam::222222222222:role/r\n"
                "mfa_serial = " MFA_PROF "\nregion = us-gov-west-1\n");
    resolve_fails(&cfg, "bob", "china", "~/.aws/config [profile govuk-china]: mfa_serial is in "
                  "partition aws but region us-gov-west-1 is in aws-us-gov: fix the ARN or the "
                  "region");
    par_config_free(&cfg);
}

/* The keys come from the config's source_profile, whatever the profile says. */
static void test_source_keys_follow_config(void **state)
{
    struct par_config cfg;
    struct par_source_keys keys;
    char err[512];

    (void)state;
    load_config(sys_config, &cfg);
    user_config(full_profiles);   /* govuk-integration says source_profile = other */
    user_credentials("[other]\naws_access_key_id = AKIAOTHEROTHEROTHER1\n"
                     "aws_secret_access_key = " SECRET "\n"
                     "[gds]\naws_access_key_id = " KEY_ID "\naws_secret_access_key = " SECRET "\n");
    assert_int_equal(par_read_source_keys(&cfg, home, &keys, err, sizeof(err)), 0);
    assert_string_equal(keys.access_key_id, KEY_ID);
    par_source_keys_free(&keys);
    par_config_free(&cfg);

    load_config("source_profile = \"other\";\nenvironments = { x = { }; };\n", &cfg);
    assert_int_equal(par_read_source_keys(&cfg, home, &keys, err, sizeof(err)), 0);
    assert_string_equal(keys.access_key_id, "AKIAOTHEROTHEROTHER1");
    par_source_keys_free(&keys);
    par_config_free(&cfg);

    load_config("source_profile = \"missing\";\nenvironments = { x = { }; };\n", &cfg);
    assert_int_equal(par_read_source_keys(&cfg, home, &keys, err, sizeof(err)), -1);
    assert_string_equal(err, "~/.aws/credentials has no [missing] profile: add your access "
                        "key under [missing] (see INSTALL)");
    par_config_free(&cfg);
}

static int make_dirs(void **state)
{
    (void)state;
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(home, sizeof(home), "%s/home", dir);
    if (mkdir(home, 0700) != 0)
        return -1;
    snprintf(home + strlen(home), sizeof(home) - strlen(home), "/.aws");
    if (mkdir(home, 0700) != 0)
        return -1;
    home[strlen(home) - 5] = '\0';
    return 0;
}

static int remove_dirs(void **state)
{
    char cmd[300];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_wins),
        cmocka_unit_test(test_profile_fills_gaps),
        cmocka_unit_test(test_mfa_fallbacks),
        cmocka_unit_test(test_default_source_profile),
        cmocka_unit_test(test_region_and_duration_defaults),
        cmocka_unit_test(test_environment_only_in_profile),
        cmocka_unit_test(test_unknown_environment),
        cmocka_unit_test(test_no_role),
        cmocka_unit_test(test_profile_template),
        cmocka_unit_test(test_bad_user_file_is_an_error),
        cmocka_unit_test(test_profile_arn_partition),
        cmocka_unit_test(test_source_keys_follow_config),
    };

    return cmocka_run_group_tests(tests, make_dirs, remove_dirs);
}

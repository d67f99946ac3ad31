/*
 * The system config: defaults, the shipped example, every class of error
 * with its message and line, and the file checks (owner, mode, type, size).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

static char tmpdir[] = "/tmp/par-test-config-XXXXXX";

static const char *path_of(const char *name)
{
    static char path[256];

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    return path;
}

/* Writes a root-owned (when run as root) 0644 file; returns its path. */
static const char *write_conf(const char *name, const char *text)
{
    const char *path = path_of(name);
    FILE *f;

    unlink(path);
    f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, 0644), 0);
    return path;
}

/* The error line for TEXT, via par_config_load with the usual flags. */
static int load_text(const char *text, struct par_config *cfg, char *err, size_t errlen)
{
    const char *path = write_conf("t.conf", text);

    return par_config_load(path, geteuid() == 0 ? 0 : PAR_CONFIG_INSECURE_ANY_OWNER, cfg,
                           err, errlen);
}

static const char *const minimal =
    "environments = { integration = { role_arn = "
    "\"arn:aws:iam::111111111111:role/admins\"; }; };\n";

static void test_defaults(void **state)
{
    struct par_config cfg;
    char err[PAR_CONFIG_ERR_MAX];

    (void)state;
    assert_int_equal(load_text(minimal, &cfg, err, sizeof(err)), 0);
    assert_string_equal(cfg.region, "eu-west-1");
    assert_null(cfg.sts_endpoint);
    assert_null(cfg.signin_endpoint);
    assert_null(cfg.console_destination);
    assert_null(cfg.ca_file);
    assert_null(cfg.ca_path);
    assert_null(cfg.proxy);
    assert_null(cfg.helper);
    assert_null(cfg.run_dir);
    assert_int_equal(cfg.connect_timeout_ms, 3000);
    assert_int_equal(cfg.timeout_ms, 10000);
    assert_int_equal(cfg.max_response_bytes, 65536);
    assert_string_equal(cfg.source_profile, "gds");
    assert_string_equal(cfg.profile_template, "govuk-%e");
    assert_string_equal(cfg.session_name, "%u-%d-%m-%y_%H-%M");
    assert_null(cfg.mfa_serial_template);
    assert_int_equal(cfg.strategy, PAR_STRATEGY_DIRECT);
    assert_int_equal(cfg.session_duration, 43200);
    assert_int_equal(cfg.n_login_environments, 1);
    assert_string_equal(cfg.login_environments[0], "integration");
    assert_int_equal(cfg.on_failure, PAR_ON_FAILURE_CONTINUE);
    assert_false(cfg.source_identity);
    assert_true(cfg.no_code_hint);
    assert_int_equal(cfg.user_dir_size_kb, 1024);
    assert_int_equal(cfg.user_dir_inodes, 512);
    assert_int_equal(cfg.hook_timeout_ms, 2000);
    assert_int_equal(cfg.n_tags, 0);
    assert_int_equal(cfg.n_users, 0);
    assert_int_equal(cfg.n_environments, 1);
    assert_string_equal(cfg.environments[0].name, "integration");
    assert_string_equal(cfg.environments[0].role_arn, "arn:aws:iam::111111111111:role/admins");
    assert_int_equal(cfg.environments[0].duration, 0);
    assert_null(cfg.environments[0].region);
    assert_string_equal(cfg.path, path_of("t.conf"));
    par_config_free(&cfg);
}

static void test_full_config(void **state)
{
    static const char text[] =
        "region = \"us-east-1\";\n"
        "sts_endpoint = \"https://sts.us-east-1.amazonaws.com\";\n"
        "ca_file = \"/etc/ssl/certs/ca-certificates.crt\";\n"
        "ca_path = \"/etc/ssl/certs\";\n"
        "proxy = \"http://proxy.example:3128\";\n"
        "helper = \"/usr/libexec/par/helper\";\n"
        "run_dir = \"/run/par\";\n"
        "connect_timeout_ms = 100;\n"
        "timeout_ms = 120000;\n"
        "max_response_bytes = 1048576L;\n"
        "source_profile = \"default\";\n"
        "profile_template = \"%u-%e\";\n"
        "session_name = \"%u@%h\";\n"
        "mfa_serial_template = \"arn:aws:iam::999999999999:mfa/%u\";\n"
        "strategy = \"session\";\n"
        "session_duration = 129600;\n"
        "login_environments = [ \"staging\", \"integration\" ];\n"
        "on_failure = \"deny\";\n"
        "source_identity = true;\n"
        "tags = ( { key = \"host\"; value = \"%h\"; }, { key = \"client\"; value = \"%r\"; } );\n"
        "no_code_hint = false;\n"
        "user_dir_size_kb = 0;\n"
        "user_dir_inodes = 16;\n"
        "hook_timeout_ms = 500;\n"
        "environments = {\n"
        "  integration = { };\n"
        "  staging = { role_arn = \"arn:aws:iam::222222222222:role/x\"; duration = 900;"
        " region = \"eu-west-2\"; };\n"
        "};\n"
        "users = ( { name = \"jane.doe\"; mfa_serial = \"arn:aws:iam::333333333333:mfa/jane\"; },\n"
        "          { name = \"bob\"; mfa_serial = \"GAHT12345678\"; } );\n";
    struct par_config cfg;
    char err[PAR_CONFIG_ERR_MAX];

    (void)state;
    assert_int_equal(load_text(text, &cfg, err, sizeof(err)), 0);
    assert_string_equal(cfg.region, "us-east-1");
    assert_string_equal(cfg.sts_endpoint, "https://sts.us-east-1.amazonaws.com");
    assert_string_equal(cfg.ca_file, "/etc/ssl/certs/ca-certificates.crt");
    assert_string_equal(cfg.ca_path, "/etc/ssl/certs");
    assert_string_equal(cfg.proxy, "http://proxy.example:3128");
    assert_string_equal(cfg.helper, "/usr/libexec/par/helper");
    assert_string_equal(cfg.run_dir, "/run/par");
    assert_int_equal(cfg.connect_timeout_ms, 100);
    assert_int_equal(cfg.timeout_ms, 120000);
    assert_int_equal(cfg.max_response_bytes, 1048576);
    assert_string_equal(cfg.source_profile, "default");
    assert_string_equal(cfg.profile_template, "%u-%e");
    assert_string_equal(cfg.session_name, "%u@%h");
    assert_string_equal(cfg.mfa_serial_template, "arn:aws:iam::999999999999:mfa/%u");
    assert_int_equal(cfg.strategy, PAR_STRATEGY_SESSION);
    assert_int_equal(cfg.session_duration, 129600);
    assert_int_equal(cfg.n_login_environments, 2);
    assert_string_equal(cfg.login_environments[0], "staging");
    assert_string_equal(cfg.login_environments[1], "integration");
    assert_int_equal(cfg.on_failure, PAR_ON_FAILURE_DENY);
    assert_true(cfg.source_identity);
    assert_false(cfg.no_code_hint);
    assert_int_equal(cfg.user_dir_size_kb, 0);
    assert_int_equal(cfg.user_dir_inodes, 16);
    assert_int_equal(cfg.hook_timeout_ms, 500);
    assert_int_equal(cfg.n_tags, 2);
    assert_string_equal(cfg.tags[1].key, "client");
    assert_string_equal(cfg.tags[1].value, "%r");
    assert_int_equal(cfg.n_environments, 2);
    assert_null(par_config_environment(&cfg, "integration")->role_arn);
    assert_int_equal(par_config_environment(&cfg, "staging")->duration, 900);
    assert_string_equal(par_config_environment(&cfg, "staging")->region, "eu-west-2");
    assert_null(par_config_environment(&cfg, "production"));
    assert_int_equal(cfg.n_users, 2);
    assert_string_equal(par_config_user(&cfg, "bob")->mfa_serial, "GAHT12345678");
    assert_null(par_config_user(&cfg, "alice"));
    par_config_free(&cfg);
}

static void test_shipped_example(void **state)
{
    struct par_config cfg;
    char err[PAR_CONFIG_ERR_MAX];
    FILE *in = fopen("config/pam_assume_role.conf.example", "r");
    static char text[PAR_CONFIG_MAX_BYTES];
    size_t n;

    (void)state;
    assert_non_null(in);
    n = fread(text, 1, sizeof(text) - 1, in);
    fclose(in);
    text[n] = '\0';
    assert_int_equal(load_text(text, &cfg, err, sizeof(err)), 0);
    assert_int_equal(cfg.n_environments, 3);
    assert_string_equal(cfg.login_environments[0], "integration");
    par_config_free(&cfg);
}

static void test_recipient_lists(void **state)
{
    struct par_config cfg;
    char err[PAR_CONFIG_ERR_MAX], text[512];

    (void)state;
    assert_int_equal(load_text(minimal, &cfg, err, sizeof(err)), 0);
    assert_int_equal(cfg.n_target_accounts, 0);
    assert_int_equal(cfg.n_invoker_services, 0);
    assert_false(par_config_lists(cfg.target_accounts, cfg.n_target_accounts, "svc"));
    par_config_free(&cfg);
    snprintf(text, sizeof(text), "target_accounts = [ \"svc\", \"deploy\" ];\n"
             "invoker_services = [ \"doas\" ];\n%s", minimal);
    assert_int_equal(load_text(text, &cfg, err, sizeof(err)), 0);
    assert_int_equal(cfg.n_target_accounts, 2);
    assert_true(par_config_lists(cfg.target_accounts, cfg.n_target_accounts, "deploy"));
    assert_false(par_config_lists(cfg.target_accounts, cfg.n_target_accounts, "root"));
    assert_true(par_config_lists(cfg.invoker_services, cfg.n_invoker_services, "doas"));
    par_config_free(&cfg);
}

/* secrets_in_environment: auto by default; graphical_services replaces its default list. */
static void test_desktop_settings(void **state)
{
    struct par_config cfg;
    char err[PAR_CONFIG_ERR_MAX], text[512];

    (void)state;
    assert_int_equal(load_text(minimal, &cfg, err, sizeof(err)), 0);
    assert_int_equal(cfg.secrets_in_environment, PAR_SECRETS_AUTO);
    assert_int_equal(cfg.n_graphical_services, 3);
    assert_true(par_config_lists(cfg.graphical_services, cfg.n_graphical_services, "lightdm"));
    assert_true(par_config_lists(cfg.graphical_services, cfg.n_graphical_services,
                                 "gdm-password"));
    assert_true(par_config_lists(cfg.graphical_services, cfg.n_graphical_services, "sddm"));
    par_config_free(&cfg);
    snprintf(text, sizeof(text), "secrets_in_environment = \"never\";\n"
             "graphical_services = [ \"xdm\" ];\n%s", minimal);
    assert_int_equal(load_text(text, &cfg, err, sizeof(err)), 0);
    assert_int_equal(cfg.secrets_in_environment, PAR_SECRETS_NEVER);
    assert_int_equal(cfg.n_graphical_services, 1);
    assert_false(par_config_lists(cfg.graphical_services, cfg.n_graphical_services, "lightdm"));
    par_config_free(&cfg);
    snprintf(text, sizeof(text), "secrets_in_environment = \"always\";\n"
             "graphical_services = [ ];\n%s", minimal);
    assert_int_equal(load_text(text, &cfg, err, sizeof(err)), 0);
    assert_int_equal(cfg.secrets_in_environment, PAR_SECRETS_ALWAYS);
    assert_int_equal(cfg.n_graphical_services, 0);
    par_config_free(&cfg);
}

/* The new endpoint settings take what sts_endpoint takes; ARNs that fit their region's partition load. */
static void test_partition_settings(void **state)
{
    static const char text[] =
        "region = \"cn-north-1\";\n"
        "signin_endpoint = \"http://127.0.0.1:8443/federation\";\n"
        "console_destination = \"https://cn-north-1.console.amazonaws.cn/cloudwatch/home?"
        "region=cn-north-1#dashboards:\";\n"
        "mfa_serial_template = \"arn:aws-cn:iam::111111111111:mfa/%u\";\n"
        "users = ( { name = \"jane\"; mfa_serial = \"arn:aws-cn:iam::111111111111:mfa/j\"; },\n"
        "          { name = \"hw\"; mfa_serial = \"GAHT12345678\"; } );\n"
        "environments = {\n"
        "  china = { role_arn = \"arn:aws-cn:iam::111111111111:role/admins\"; };\n"
        "  ningxia = { role_arn = \"arn:aws-cn:iam::111111111111:role/a\"; "
        "region = \"cn-northwest-1\"; };\n"
        "};\n";
    struct par_config cfg;
    char err[PAR_CONFIG_ERR_MAX];

    (void)state;
    if (load_text(text, &cfg, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_string_equal(cfg.signin_endpoint, "http://127.0.0.1:8443/federation");
    assert_string_equal(cfg.console_destination, "https://cn-north-1.console.amazonaws.cn/"
                        "cloudwatch/home?region=cn-north-1#dashboards:");
    par_config_free(&cfg);
}

static void test_loopback_http_allowed(void **state)
{
    static const char *const endpoints[] = {
        "http://127.0.0.1:8443/", "http://localhost", "http://[::1]:9000", "https://sts.example",
    };
    struct par_config cfg;
    char err[PAR_CONFIG_ERR_MAX], text[512];

    (void)state;
    for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
        snprintf(text, sizeof(text), "sts_endpoint = \"%s\";\n%s", endpoints[i], minimal);
        assert_int_equal(load_text(text, &cfg, err, sizeof(err)), 0);
        assert_string_equal(cfg.sts_endpoint, endpoints[i]);
        par_config_free(&cfg);
    }
}

/* ---- One test per class of error: the message and its line. ---- */

struct bad_case {
    const char *name;
    const char *text;
    unsigned line;
    const char *message;   /* must appear after "FILE:LINE: " */
};

#define ENVS "environments = { integration = { }; staging = { }; };\n"

static const struct bad_case bad_cases[] = {
    { "syntax_error", "region = \"eu-west-1\"\nfoo = ;\n" ENVS, 2,
      "syntax error; fix the syntax" },
    { "unknown_top_level", ENVS "\nregoin = \"eu-west-1\";\n", 3,
      "unknown setting \"regoin\"; check its spelling" },
    { "unknown_in_environment",
      "environments = {\n integration = {\n  role = \"x\";\n };\n};\n", 3,
      "unknown setting \"role\" in environments.integration" },
    { "unknown_in_users",
      ENVS "users = ( { name = \"a\"; mfa_serial = \"arn:aws:iam::111111111111:mfa/a\";"
      " mfa = 1; } );\n", 2, "unknown setting \"mfa\" in users[0]" },
    { "unknown_in_tags", ENVS "tags = ( { key = \"k\"; value = \"v\"; colour = \"red\"; } );\n",
      2, "unknown setting \"colour\" in tags[0]" },
    { "string_for_number", ENVS "timeout_ms = \"10000\";\n", 2,
      "timeout_ms must be a whole number between 500 and 120000 (no quotes)" },
    { "number_for_string", ENVS "region = 1;\n", 2,
      "region must be a string in double quotes" },
    { "string_for_bool", ENVS "source_identity = \"yes\";\n", 2,
      "source_identity must be true or false" },
    { "environments_not_group", "environments = [ \"integration\" ];\n", 1,
      "environments must be a group" },
    { "bad_role_arn",
      "environments = {\n integration = { role_arn = \"arn:aws:iam::1234:role/x\"; };\n};\n", 2,
      "environments.integration.role_arn = \"arn:aws:iam::1234:role/x\": must be a role ARN" },
    { "bad_mfa_serial",
      ENVS "users = (\n { name = \"jane\"; mfa_serial = \"arn:aws:iam::111111111111:role/x\"; }\n);\n",
      3, "users[0].mfa_serial = \"arn:aws:iam::111111111111:role/x\": must be an MFA device ARN" },
    { "bad_region", ENVS "region = \"EU-West-1\";\n", 2,
      "region = \"EU-West-1\": must be an AWS region such as \"eu-west-1\"" },
    { "bad_env_region",
      "environments = {\n integration = { region = \"nowhere\"; };\n};\n", 2,
      "environments.integration.region = \"nowhere\": must be an AWS region" },
    { "env_duration_too_long",
      "environments = {\n integration = { duration = 43201; };\n};\n", 2,
      "environments.integration.duration = 43201 is out of range; use a value between 900 and 43200" },
    { "env_duration_too_short",
      "environments = {\n integration = { duration = 899; };\n};\n", 2,
      "environments.integration.duration = 899 is out of range" },
    { "session_duration_range", ENVS "session_duration = 129601;\n", 2,
      "session_duration = 129601 is out of range; use a value between 900 and 129600" },
    { "connect_timeout_range", ENVS "connect_timeout_ms = 99;\n", 2,
      "connect_timeout_ms = 99 is out of range; use a value between 100 and 60000" },
    { "user_dir_too_small", ENVS "user_dir_size_kb = 63;\n", 2,
      "user_dir_size_kb = 63 leaves no room for a session; use at least 64, or 0 for no "
      "folder of its own" },
    { "user_dir_size_range", ENVS "user_dir_size_kb = 1048577;\n", 2,
      "user_dir_size_kb = 1048577 is out of range; use a value between 0 and 1048576" },
    { "user_dir_inodes_range", ENVS "user_dir_inodes = 15;\n", 2,
      "user_dir_inodes = 15 is out of range; use a value between 16 and 1048576" },
    { "hook_timeout_range", ENVS "hook_timeout_ms = 3001;\n", 2,
      "hook_timeout_ms = 3001 is out of range; use a value between 200 and 3000" },
    { "max_response_range", ENVS "max_response_bytes = 1048577;\n", 2,
      "max_response_bytes = 1048577 is out of range; use a value between 1024 and 1048576" },
    { "unknown_directive_session_name", ENVS "session_name = \"%u-%x\";\n", 2,
      "session_name = \"%u-%x\": uses an unknown %-directive" },
    { "trailing_percent", ENVS "session_name = \"%u%\";\n", 2,
      "session_name = \"%u%\": uses an unknown %-directive" },
    { "unknown_directive_tag", ENVS "tags = ( { key = \"k\"; value = \"%q\"; } );\n", 2,
      "tags[0].value = \"%q\": uses an unknown %-directive" },
    { "profile_template_without_env", ENVS "profile_template = \"govuk\";\n", 2,
      "profile_template = \"govuk\": must contain %e" },
    { "mfa_template_not_arn", ENVS "mfa_serial_template = \"arn:aws:iam::12:mfa/%u\";\n", 2,
      "mfa_serial_template = \"arn:aws:iam::12:mfa/%u\": must expand to an MFA device ARN" },
    { "login_env_not_defined", ENVS "login_environments = [ \"production\" ];\n", 2,
      "login_environments names \"production\", which is not in environments" },
    { "direct_with_two", ENVS "login_environments = [ \"integration\", \"staging\" ];\n", 2,
      "login_environments lists 2 environments, but strategy \"direct\" takes exactly one" },
    { "login_env_empty", ENVS "login_environments = [ ];\n", 2,
      "login_environments is empty" },
    { "duplicate_users",
      ENVS "users = (\n { name = \"jane\"; mfa_serial = \"arn:aws:iam::111111111111:mfa/a\"; },\n"
      " { name = \"jane\"; mfa_serial = \"arn:aws:iam::111111111111:mfa/b\"; }\n);\n", 4,
      "user \"jane\" is listed twice; keep one entry" },
    { "user_without_mfa", ENVS "users = ( { name = \"jane\"; } );\n", 2,
      "users[0] needs both name and mfa_serial" },
    { "duplicate_tag_keys",
      ENVS "tags = ( { key = \"Host\"; value = \"%h\"; },\n { key = \"host\"; value = \"%r\"; } );\n",
      3, "tag key \"host\" is used twice" },
    { "aws_tag_key", ENVS "tags = ( { key = \"aws:x\"; value = \"v\"; } );\n", 2,
      "tags[0].key = \"aws:x\": must be 1-128 letters" },
    { "bad_env_name", "environments = {\n Integration = { };\n};\n", 2,
      "environment name \"Integration\" is not valid" },
    { "no_environments", "region = \"eu-west-1\";\n", 0,
      "no environments are defined; add one" },
    { "http_not_loopback", ENVS "sts_endpoint = \"http://sts.amazonaws.com\";\n", 2,
      "sts_endpoint = \"http://sts.amazonaws.com\": must use https://" },
    { "http_loopback_lookalike", ENVS "sts_endpoint = \"http://127.0.0.1.evil.example/\";\n", 2,
      "sts_endpoint = \"http://127.0.0.1.evil.example/\": must use https://" },
    { "endpoint_userinfo", ENVS "sts_endpoint = \"http://localhost:80@evil.example/\";\n", 2,
      "sts_endpoint = \"http://localhost:80@evil.example/\": must be https://HOST[:PORT][/PATH]"
      " without a user name" },
    { "endpoint_scheme", ENVS "sts_endpoint = \"ftp://sts.example\";\n", 2,
      "sts_endpoint = \"ftp://sts.example\": must start with https://" },
    { "relative_path", ENVS "helper = \"bin/helper\";\n", 2,
      "helper = \"bin/helper\": must be an absolute path" },
    { "bad_strategy", ENVS "strategy = \"fast\";\n", 2,
      "strategy = \"fast\" is not known; use \"direct\" or \"session\"" },
    { "bad_on_failure", ENVS "on_failure = \"ignore\";\n", 2,
      "on_failure = \"ignore\" is not known; use \"continue\" or \"deny\"" },
    { "empty_string", ENVS "source_profile = \"\";\n", 2,
      "source_profile = \"\": must not be empty" },
    { "bad_source_profile", ENVS "source_profile = \"my profile\";\n", 2,
      "source_profile = \"my profile\": must be an AWS CLI profile name" },
    { "control_character", ENVS "region = \"eu-west-1\\n\";\n", 2,
      "region must be one line" },
    { "include_refused", ENVS "  @include \"/tmp/other.conf\"\n", 2,
      "@include is not supported" },
    { "target_accounts_not_list", ENVS "target_accounts = \"svc\";\n", 2,
      "target_accounts must be a list of names" },
    { "target_accounts_bad_name", ENVS "target_accounts = [ \"-svc\" ];\n", 2,
      "target_accounts = \"-svc\": must be a login name" },
    { "target_accounts_twice", ENVS "target_accounts = [ \"svc\",\n \"svc\" ];\n", 3,
      "target_accounts lists \"svc\" twice; keep one" },
    { "invoker_services_bad_name", ENVS "invoker_services = [ \"../sshd\" ];\n", 2,
      "invoker_services = \"../sshd\": must be a PAM service name" },
    { "bad_secrets_in_environment", ENVS "secrets_in_environment = \"sometimes\";\n", 2,
      "secrets_in_environment = \"sometimes\" is not known; use \"auto\", \"always\" or "
      "\"never\"" },
    { "secrets_in_environment_bool", ENVS "secrets_in_environment = false;\n", 2,
      "secrets_in_environment must be a string" },
    { "graphical_services_not_list", ENVS "graphical_services = \"lightdm\";\n", 2,
      "graphical_services must be a list of names" },
    { "graphical_services_bad_name", ENVS "graphical_services = [ \"gdm password\" ];\n", 2,
      "graphical_services = \"gdm password\": must be a PAM service name" },
    { "role_arn_other_partition",
      "environments = {\n staging = { role_arn = \"arn:aws-cn:iam::111111111111:role/x\"; };\n"
      "};\n", 2, "environment 'staging': role_arn is in partition aws-cn but region eu-west-1 "
      "is in aws: fix the ARN or the region" },
    { "role_arn_env_region_partition",
      "region = \"eu-west-1\";\nenvironments = {\n staging = {\n  region = \"eu-west-2\";\n"
      "  role_arn = \"arn:aws-cn:iam::111111111111:role/x\";\n };\n};\n", 5,
      "environment 'staging': role_arn is in partition aws-cn but region eu-west-2 is in aws" },
    { "env_region_other_partition",
      "region = \"cn-north-1\";\nenvironments = {\n gov = {\n  region = \"us-gov-west-1\";\n"
      "  role_arn = \"arn:aws-us-gov:iam::111111111111:role/x\";\n };\n};\n", 4,
      "environment 'gov': region us-gov-west-1 is in partition aws-us-gov but the top-level "
      "region cn-north-1 is in aws-cn" },
    { "role_arn_unknown_partition",
      "environments = {\n staging = { role_arn = \"arn:aws-moon:iam::111111111111:role/x\"; };"
      "\n};\n", 2, "environment 'staging': role_arn names a partition that is not aws, aws-cn, "
      "aws-us-gov, aws-iso or aws-iso-b: fix the ARN" },
    { "user_mfa_other_partition",
      ENVS "region = \"us-gov-east-1\";\nusers = (\n { name = \"jane\"; mfa_serial = "
      "\"arn:aws:iam::111111111111:mfa/jane\"; }\n);\n", 4, "user 'jane': mfa_serial is in "
      "partition aws but region us-gov-east-1 is in aws-us-gov: fix the ARN or the region" },
    { "mfa_template_other_partition",
      ENVS "mfa_serial_template = \"arn:aws-us-gov:iam::111111111111:mfa/%u\";\n", 2,
      "mfa_serial_template is in partition aws-us-gov but region eu-west-1 is in aws" },
    { "signin_http_not_loopback", ENVS "signin_endpoint = \"http://signin.aws.amazon.com/\";\n",
      2, "signin_endpoint = \"http://signin.aws.amazon.com/\": must use https://" },
    { "signin_userinfo", ENVS "signin_endpoint = \"https://a@signin.example/\";\n", 2,
      "signin_endpoint = \"https://a@signin.example/\": must be https://HOST[:PORT][/PATH]" },
    { "console_scheme", ENVS "console_destination = \"javascript:alert(1)\";\n", 2,
      "console_destination = \"javascript:alert(1)\": must start with https://" },
    { "console_http_not_loopback",
      ENVS "console_destination = \"http://console.aws.amazon.com/\";\n", 2,
      "console_destination = \"http://console.aws.amazon.com/\": must use https://" },
    { "console_space", ENVS "console_destination = \"https://c.example/a b\";\n", 2,
      "console_destination = \"https://c.example/a b\": must be a URL without spaces" },
};

static void test_bad_case(void **state)
{
    const struct bad_case *c = *state;
    struct par_config cfg;
    char err[PAR_CONFIG_ERR_MAX], want[PAR_CONFIG_ERR_MAX];

    memset(&cfg, 0x5a, sizeof(cfg));
    assert_int_equal(load_text(c->text, &cfg, err, sizeof(err)), -1);
    if (c->line > 0)
        snprintf(want, sizeof(want), "%s:%u: %s", path_of("t.conf"), c->line, c->message);
    else
        snprintf(want, sizeof(want), "%s: %s", path_of("t.conf"), c->message);
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("got:  %s\nwant: %s...", err, want);
    assert_null(strchr(err, '\n'));
    assert_null(cfg.path);   /* freed and zeroed on failure */
}

/* ---- check_all: every error, sorted by line ---- */

struct report_log {
    char lines[16][PAR_CONFIG_ERR_MAX];
    int n;
};

static void collect(void *ctx, const char *line)
{
    struct report_log *log = ctx;

    if (log->n < 16)
        snprintf(log->lines[log->n], sizeof(log->lines[0]), "%s", line);
    log->n++;
}

static void test_check_all_reports_every_error(void **state)
{
    static const char text[] =
        "users = ( { name = \"x\"; mfa_serial = \"nope\"; } );\n"      /* 1 */
        "region = \"bad\";\n"                                          /* 2 */
        "environments = {\n"                                           /* 3 */
        "  integration = { duration = 5; };\n"                         /* 4 */
        "};\n"
        "timeout_ms = 1;\n"                                            /* 6 */
        "colour = \"blue\";\n";                                        /* 7 */
    struct report_log log = { .n = 0 };
    const char *path = write_conf("all.conf", text);
    char err[PAR_CONFIG_ERR_MAX], prefix[300];
    struct par_config cfg;
    int count;

    (void)state;
    count = par_config_check_all(path, 0, collect, &log);
    assert_int_equal(count, 5);
    assert_int_equal(log.n, 5);
    for (int i = 0; i < 5; i++) {
        static const unsigned lines[] = { 1, 2, 4, 6, 7 };
        snprintf(prefix, sizeof(prefix), "%s:%u: ", path, lines[i]);
        if (strncmp(log.lines[i], prefix, strlen(prefix)) != 0)
            fail_msg("line %d: %s (want prefix %s)", i, log.lines[i], prefix);
    }
    assert_non_null(strstr(log.lines[4], "unknown setting \"colour\""));
    /* par_config_load stops at the first one, by line. */
    assert_int_equal(par_config_load(path, 0, &cfg, err, sizeof(err)), -1);
    assert_string_equal(err, log.lines[0]);
}

static void test_check_all_good_file(void **state)
{
    struct report_log log = { .n = 0 };

    (void)state;
    assert_int_equal(par_config_check_all(write_conf("good.conf", minimal), 0, collect, &log), 0);
    assert_int_equal(log.n, 0);
}

/* ---- The file itself ---- */

static void expect_file_error(const char *path, unsigned flags, const char *message)
{
    struct par_config cfg;
    char err[PAR_CONFIG_ERR_MAX], want[PAR_CONFIG_ERR_MAX];

    assert_int_equal(par_config_load(path, flags, &cfg, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s: %s", path, message);
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("got:  %s\nwant: %s...", err, want);
}

static void test_not_root_owned_refused(void **state)
{
    const char *path;
    struct passwd *nobody = getpwnam("nobody");
    struct par_config cfg;
    char err[PAR_CONFIG_ERR_MAX], message[600];

    (void)state;
    if (geteuid() != 0 || nobody == NULL)
        skip();
    path = write_conf("nobody.conf", minimal);
    assert_int_equal(chown(path, nobody->pw_uid, nobody->pw_gid), 0);
    snprintf(message, sizeof(message), "must be owned by root and not writable by group or "
             "others (chmod go-w %s; chown root %s)", path, path);
    expect_file_error(path, 0, message);
    /* The tests' flag skips the owner check, and nothing else. */
    assert_int_equal(par_config_load(path, PAR_CONFIG_INSECURE_ANY_OWNER, &cfg, err,
                                     sizeof(err)), 0);
    par_config_free(&cfg);
}

static void test_writable_refused(void **state)
{
    const char *path = write_conf("writable.conf", minimal);
    char message[600];

    (void)state;
    snprintf(message, sizeof(message), "must be owned by root and not writable by group or "
             "others (chmod go-w %s; chown root %s)", path, path);
    assert_int_equal(chmod(path, 0664), 0);
    expect_file_error(path, PAR_CONFIG_INSECURE_ANY_OWNER, message);
    assert_int_equal(chmod(path, 0646), 0);
    expect_file_error(path, PAR_CONFIG_INSECURE_ANY_OWNER, message);
}

static void test_link_dir_missing_big(void **state)
{
    char target[256], big[256];
    FILE *f;

    (void)state;
    snprintf(target, sizeof(target), "%s", write_conf("target.conf", minimal));
    unlink(path_of("link.conf"));
    assert_int_equal(symlink(target, path_of("link.conf")), 0);
    expect_file_error(path_of("link.conf"), 0, "is a symbolic link; name the real file");
    expect_file_error(tmpdir, 0, "is not a regular file");
    expect_file_error(path_of("missing.conf"), 0, "not found; create it");

    snprintf(big, sizeof(big), "%s", path_of("big.conf"));
    f = fopen(big, "w");
    assert_non_null(f);
    for (int i = 0; i < PAR_CONFIG_MAX_BYTES / 16 + 1; i++)
        fputs("# padding......\n", f);
    fclose(f);
    chmod(big, 0644);
    expect_file_error(big, 0, "is larger than 256 KiB");
}

static int make_tmpdir(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int remove_tmpdir(void **state)
{
    char cmd[300];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

#define N_BAD (sizeof(bad_cases) / sizeof(bad_cases[0]))

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_full_config),
        cmocka_unit_test(test_shipped_example),
        cmocka_unit_test(test_loopback_http_allowed),
        cmocka_unit_test(test_partition_settings),
        cmocka_unit_test(test_recipient_lists),
        cmocka_unit_test(test_desktop_settings),
        cmocka_unit_test(test_check_all_reports_every_error),
        cmocka_unit_test(test_check_all_good_file),
        cmocka_unit_test(test_not_root_owned_refused),
        cmocka_unit_test(test_writable_refused),
        cmocka_unit_test(test_link_dir_missing_big),
    };
    static struct CMUnitTest tests[sizeof(fixed) / sizeof(fixed[0]) + N_BAD];
    size_t n = 0;

    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        tests[n++] = fixed[i];
    for (size_t i = 0; i < N_BAD; i++) {
        tests[n] = (struct CMUnitTest)cmocka_unit_test(test_bad_case);
        tests[n].name = bad_cases[i].name;
        tests[n].initial_state = (void *)(uintptr_t)&bad_cases[i];
        n++;
    }
    return _cmocka_run_group_tests("config", tests, n, make_tmpdir, remove_tmpdir);
}

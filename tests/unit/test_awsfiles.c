/*
 * The person's ~/.aws files: profiles found and missing, bad values, and
 * every kind of file that must be refused (links, FIFOs, devices, folders,
 * oversized, someone else's, writable by others).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "awsfiles.h"

#define KEY_ID "AKIAIOSFODNN7EXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

static char home[] = "/tmp/par-test-awsfiles-XXXXXX";
static char aws_dir[128];

static const char *aws_path(const char *name)
{
    static char path[256];

    snprintf(path, sizeof(path), "%s/%s", aws_dir, name);
    return path;
}

static void write_aws(const char *name, const char *text)
{
    const char *path = aws_path(name);
    FILE *f;

    unlink(path);
    rmdir(path);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, 0600), 0);
}

static int setup(void **state)
{
    (void)state;
    unlink(aws_path("credentials"));
    rmdir(aws_path("credentials"));
    unlink(aws_path("config"));
    rmdir(aws_path("config"));
    return 0;
}

static void expect_keys_error(uid_t owner, const char *profile, const char *want)
{
    struct par_source_keys keys;
    char err[512];

    assert_int_equal(par_aws_read_keys(home, owner, profile, &keys, err, sizeof(err)), -1);
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("got:  %s\nwant: %s...", err, want);
    assert_null(keys.access_key_id);
    assert_null(keys.secret_access_key);
    assert_null(keys.session_token);
    /* No error ever shows a secret. */
    assert_null(strstr(err, SECRET));
}

static void test_keys_found(void **state)
{
    struct par_source_keys keys;
    char err[512];

    (void)state;
    write_aws("credentials",
              "[default]\naws_access_key_id = AKIAAAAAAAAAAAAAAAAA\n"
              "aws_secret_access_key = xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n\n"
              "# my own keys\n[gds]\n"
              "aws_access_key_id = " KEY_ID "\n"
              "AWS_Secret_Access_Key=" SECRET "\n"
              "[other]\naws_session_token = not-this-one\n");
    assert_int_equal(par_aws_read_keys(home, geteuid(), "gds", &keys, err, sizeof(err)), 0);
    assert_string_equal(keys.access_key_id, KEY_ID);
    assert_string_equal(keys.secret_access_key, SECRET);
    assert_null(keys.session_token);
    par_source_keys_free(&keys);
    assert_null(keys.access_key_id);
}

/* A session token line is longer than inih's default 200-byte line buffer. */
static void test_long_session_token(void **state)
{
    struct par_source_keys keys;
    char err[512], token[1501], *text;

    (void)state;
    memset(token, 'T', sizeof(token) - 1);
    token[sizeof(token) - 1] = '\0';
    assert_true(asprintf(&text, "[gds]\naws_access_key_id=%s\naws_secret_access_key=%s\n"
                         "aws_session_token = %s\n", KEY_ID, SECRET, token) > 0);
    write_aws("credentials", text);
    free(text);
    assert_int_equal(par_aws_read_keys(home, geteuid(), "gds", &keys, err, sizeof(err)), 0);
    assert_string_equal(keys.session_token, token);
    par_source_keys_free(&keys);
}

static void test_keys_missing_file(void **state)
{
    (void)state;
    expect_keys_error(geteuid(), "gds", "~/.aws/credentials not found: create it with your "
                      "access key under [gds] (see INSTALL)");
}

static void test_keys_missing_profile(void **state)
{
    (void)state;
    write_aws("credentials", "[default]\naws_access_key_id = " KEY_ID "\n");
    expect_keys_error(geteuid(), "gds", "~/.aws/credentials has no [gds] profile: add your "
                      "access key under [gds] (see INSTALL)");
}

static void test_keys_missing_key(void **state)
{
    (void)state;
    write_aws("credentials", "[gds]\naws_access_key_id = " KEY_ID "\n");
    expect_keys_error(geteuid(), "gds", "~/.aws/credentials [gds] has no "
                      "aws_secret_access_key: add it under [gds]");
    write_aws("credentials", "[gds]\naws_secret_access_key = " SECRET "\n");
    expect_keys_error(geteuid(), "gds", "~/.aws/credentials [gds] has no aws_access_key_id");
}

static void test_keys_invalid_characters(void **state)
{
    (void)state;
    write_aws("credentials", "[gds]\naws_access_key_id = akia-lower\n"
              "aws_secret_access_key = " SECRET "\n");
    expect_keys_error(geteuid(), "gds", "~/.aws/credentials [gds]: aws_access_key_id has "
                      "characters an access key never has");
    write_aws("credentials", "[gds]\naws_access_key_id = " KEY_ID "\n"
              "aws_secret_access_key = \"" SECRET "\"\n");
    expect_keys_error(geteuid(), "gds", "~/.aws/credentials [gds]: aws_secret_access_key has "
                      "characters a secret key never has");
    write_aws("credentials", "[gds]\naws_access_key_id = " KEY_ID "\n"
              "aws_secret_access_key = " SECRET "\naws_session_token = a b\n");
    expect_keys_error(geteuid(), "gds", "~/.aws/credentials [gds]: aws_session_token is not");
}

static void test_keys_duplicate_and_garbage(void **state)
{
    (void)state;
    write_aws("credentials", "[gds]\naws_access_key_id = " KEY_ID "\n"
              "aws_access_key_id = AKIAOTHEROTHEROTHER1\n");
    expect_keys_error(geteuid(), "gds", "~/.aws/credentials:3: aws_access_key_id is set "
                      "twice in this profile: keep one");
    write_aws("credentials", "[gds]\naws_access_key_id = " KEY_ID "\nthis is not ini\n");
    expect_keys_error(geteuid(), "gds", "~/.aws/credentials:3: this line cannot be parsed");
}

static void test_link_refused(void **state)
{
    (void)state;
    write_aws("real", "[gds]\naws_access_key_id = " KEY_ID "\naws_secret_access_key = "
              SECRET "\n");
    char real[256];

    snprintf(real, sizeof(real), "%s", aws_path("real"));
    assert_int_equal(symlink(real, aws_path("credentials")), 0);
    expect_keys_error(geteuid(), "gds", "~/.aws/credentials is a symbolic link: replace it "
                      "with the file itself");
    unlink(aws_path("real"));
}

/* A nodev /tmp (trixie's tmpfs, a chroot's) refuses to open any device node. */
static bool on_nodev(const char *path)
{
    struct statvfs vfs;

    return statvfs(path, &vfs) == 0 && (vfs.f_flag & ST_NODEV) != 0;
}

static void test_dev_zero_refused(void **state)
{
    (void)state;
    assert_int_equal(symlink("/dev/zero", aws_path("credentials")), 0);
    expect_keys_error(geteuid(), "gds", "~/.aws/credentials is a symbolic link");
    unlink(aws_path("credentials"));
    if (geteuid() != 0 || on_nodev(home))
        skip();
    /* A device node of its own, not a link: refused for not being a regular file. */
    assert_int_equal(mknod(aws_path("credentials"), S_IFCHR | 0600, makedev(1, 5)), 0);
    expect_keys_error(geteuid(), "gds", "~/.aws/credentials is not a regular file");
}

static void on_alarm(int sig)
{
    (void)sig;
    _exit(99);   /* a FIFO that blocks the reader fails the whole run */
}

static void test_fifo_refused_without_hanging(void **state)
{
    (void)state;
    assert_int_equal(mkfifo(aws_path("credentials"), 0600), 0);
    signal(SIGALRM, on_alarm);
    alarm(5);
    expect_keys_error(geteuid(), "gds", "~/.aws/credentials is not a regular file");
    alarm(0);
}

static void test_folder_refused(void **state)
{
    (void)state;
    assert_int_equal(mkdir(aws_path("credentials"), 0700), 0);
    expect_keys_error(geteuid(), "gds", "~/.aws/credentials is not a regular file");
}

static void test_oversized_refused(void **state)
{
    FILE *f;

    (void)state;
    write_aws("credentials", "[gds]\n");
    f = fopen(aws_path("credentials"), "a");
    assert_non_null(f);
    for (int i = 0; i < PAR_AWSFILE_MAX / 16; i++)
        fputs("# padding......\n", f);
    fclose(f);
    expect_keys_error(geteuid(), "gds", "~/.aws/credentials is larger than 64 KiB");
}

static void test_not_owned_refused(void **state)
{
    struct passwd *nobody = getpwnam("nobody");
    char want[128];

    (void)state;
    write_aws("credentials", "[gds]\naws_access_key_id = " KEY_ID "\naws_secret_access_key = "
              SECRET "\n");
    snprintf(want, sizeof(want), "~/.aws/credentials is owned by uid %u, not by you (uid %u)",
             (unsigned)geteuid(), (unsigned)geteuid() + 1);
    expect_keys_error(geteuid() + 1, "gds", want);
    if (geteuid() != 0 || nobody == NULL)
        return;
    assert_int_equal(chown(aws_path("credentials"), nobody->pw_uid, nobody->pw_gid), 0);
    expect_keys_error(0, "gds", "~/.aws/credentials is owned by uid 65534, not by you (uid 0)");
}

static void test_writable_by_others_refused(void **state)
{
    (void)state;
    write_aws("credentials", "[gds]\naws_access_key_id = " KEY_ID "\naws_secret_access_key = "
              SECRET "\n");
    chmod(aws_path("credentials"), 0620);
    expect_keys_error(geteuid(), "gds", "~/.aws/credentials is writable by others: chmod go-w");
    chmod(aws_path("credentials"), 0602);
    expect_keys_error(geteuid(), "gds", "~/.aws/credentials is writable by others");
}

/* ---- ~/.aws/config ---- */

static void test_profile_found(void **state)
{
    struct par_aws_profile p;
    char err[512];

    (void)state;
    write_aws("config",
              "[default]\nregion = us-east-1\n"
              "[profile govuk-integration]\n"
              "role_arn = arn:aws:iam::111111111111:role/govuk-administrators\n"
              "MFA_Serial = arn:aws:iam::222222222222:mfa/jane.doe@example.gov.uk\n"
              "source_profile = gds\n"
              "region = eu-west-2\n"
              "duration_seconds = 7200\n"
              "s3 =\n  max_concurrent_requests = 20\n"
              "[profile   govuk-staging]\nregion = eu-west-1\n");
    assert_int_equal(par_aws_read_profile(home, geteuid(), "govuk-integration", &p, err,
                                          sizeof(err)), 0);
    assert_true(p.found);
    assert_string_equal(p.role_arn, "arn:aws:iam::111111111111:role/govuk-administrators");
    assert_string_equal(p.mfa_serial, "arn:aws:iam::222222222222:mfa/jane.doe@example.gov.uk");
    assert_string_equal(p.source_profile, "gds");
    assert_string_equal(p.region, "eu-west-2");
    assert_int_equal(p.duration_seconds, 7200);
    par_aws_profile_free(&p);

    assert_int_equal(par_aws_read_profile(home, geteuid(), "govuk-staging", &p, err,
                                          sizeof(err)), 0);
    assert_true(p.found);
    assert_null(p.role_arn);
    assert_string_equal(p.region, "eu-west-1");
    assert_int_equal(p.duration_seconds, 0);
    par_aws_profile_free(&p);

    assert_int_equal(par_aws_read_profile(home, geteuid(), "default", &p, err, sizeof(err)), 0);
    assert_true(p.found);
    assert_string_equal(p.region, "us-east-1");
    par_aws_profile_free(&p);
}

static void test_profile_missing(void **state)
{
    struct par_aws_profile p;
    char err[512];

    (void)state;
    /* No config file at all: not an error. */
    assert_int_equal(par_aws_read_profile(home, geteuid(), "govuk-integration", &p, err,
                                          sizeof(err)), 0);
    assert_false(p.found);
    /* [govuk-integration] without "profile" is the credentials file's form, not config's. */
    write_aws("config", "[govuk-integration]\nregion = eu-west-2\n[profile other]\nregion = eu-west-1\n");
    assert_int_equal(par_aws_read_profile(home, geteuid(), "govuk-integration", &p, err,
                                          sizeof(err)), 0);
    assert_false(p.found);
    assert_null(p.region);
}

static void expect_profile_error(const char *text, const char *want)
{
    struct par_aws_profile p;
    char err[512];

    write_aws("config", text);
    if (par_aws_read_profile(home, geteuid(), "govuk-x", &p, err, sizeof(err)) != -1)
        fail_msg("accepted: %s", text);
    if (strncmp(err, want, strlen(want)) != 0)
        fail_msg("got:  %s\nwant: %s...", err, want);
    assert_null(p.role_arn);
    assert_false(p.found);
}

static void test_profile_bad_values(void **state)
{
    (void)state;
    expect_profile_error("[profile govuk-x]\nrole_arn = arn:aws:iam::1:role/x\n",
                         "~/.aws/config [profile govuk-x]: role_arn is not valid: it must be "
                         "arn:aws:iam::ACCOUNT:role/NAME");
    expect_profile_error("[profile govuk-x]\nmfa_serial = 123\n",
                         "~/.aws/config [profile govuk-x]: mfa_serial is not valid");
    expect_profile_error("[profile govuk-x]\nregion = Europe\n",
                         "~/.aws/config [profile govuk-x]: region is not valid");
    expect_profile_error("[profile govuk-x]\nduration_seconds = 60\n",
                         "~/.aws/config [profile govuk-x]: duration_seconds is not valid: it "
                         "must be seconds between 900 and 43200");
    expect_profile_error("[profile govuk-x]\nduration_seconds = 3600s\n",
                         "~/.aws/config [profile govuk-x]: duration_seconds is not valid");
    expect_profile_error("[profile govuk-x]\nregion = eu-west-1\nregion = eu-west-2\n",
                         "~/.aws/config:3: region is set twice in this profile");
    expect_profile_error("[profile govuk-x\nregion = eu-west-1\n",
                         "~/.aws/config:1: this line cannot be parsed");
}

static void test_profile_unsafe_file(void **state)
{
    struct par_aws_profile p;
    char err[512], real[256];

    (void)state;
    write_aws("real", "[profile govuk-x]\nregion = eu-west-1\n");
    snprintf(real, sizeof(real), "%s", aws_path("real"));
    assert_int_equal(symlink(real, aws_path("config")), 0);
    assert_int_equal(par_aws_read_profile(home, geteuid(), "govuk-x", &p, err, sizeof(err)), -1);
    assert_string_equal(err, "~/.aws/config is a symbolic link: replace it with the file itself");
    unlink(aws_path("real"));
    unlink(aws_path("config"));
    assert_int_equal(mkfifo(aws_path("config"), 0600), 0);
    assert_int_equal(par_aws_read_profile(home, geteuid(), "govuk-x", &p, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "~/.aws/config is not a regular file"));
}

static int make_home(void **state)
{
    (void)state;
    if (mkdtemp(home) == NULL)
        return -1;
    snprintf(aws_dir, sizeof(aws_dir), "%s/.aws", home);
    return mkdir(aws_dir, 0700);
}

static int remove_home(void **state)
{
    char cmd[300];

    (void)state;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_keys_found, setup),
        cmocka_unit_test_setup(test_long_session_token, setup),
        cmocka_unit_test_setup(test_keys_missing_file, setup),
        cmocka_unit_test_setup(test_keys_missing_profile, setup),
        cmocka_unit_test_setup(test_keys_missing_key, setup),
        cmocka_unit_test_setup(test_keys_invalid_characters, setup),
        cmocka_unit_test_setup(test_keys_duplicate_and_garbage, setup),
        cmocka_unit_test_setup(test_link_refused, setup),
        cmocka_unit_test_setup(test_dev_zero_refused, setup),
        cmocka_unit_test_setup(test_fifo_refused_without_hanging, setup),
        cmocka_unit_test_setup(test_folder_refused, setup),
        cmocka_unit_test_setup(test_oversized_refused, setup),
        cmocka_unit_test_setup(test_not_owned_refused, setup),
        cmocka_unit_test_setup(test_writable_by_others_refused, setup),
        cmocka_unit_test_setup(test_profile_found, setup),
        cmocka_unit_test_setup(test_profile_missing, setup),
        cmocka_unit_test_setup(test_profile_bad_values, setup),
        cmocka_unit_test_setup(test_profile_unsafe_file, setup),
    };

    return cmocka_run_group_tests(tests, make_home, remove_home);
}

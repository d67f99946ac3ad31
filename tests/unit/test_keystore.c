/*
 * The key store's crypto in a temporary home: write/open round trip, a
 * wrong passphrase, another account name, every byte of a real store
 * altered in turn and every truncation (never PAR_KS_OK, never a partial
 * key), rekey, and links planted in place of the folder or the file.
 * The store is written at the lowest cost the parser accepts (N=2^14, r=1),
 * so the byte-by-byte loop stays fast; the default cost is measured by bench.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keystore.h"

#define KEY_ID "AKIAIOSFODNN7EXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define PASS "correct horse battery staple"
#define USER "alice"

static char home[] = "/tmp/par-test-keystore-XXXXXX";
static char dir_path[128], file_path[160];

static int write_cheap(const char *pass, int login)
{
    char err[512];

    return par_keystore_write_cost(home, getuid(), USER, "gds", KEY_ID, SECRET, login, pass,
                                   strlen(pass), 1 << 14, 1, 1, err, sizeof(err));
}

static size_t read_file(char *buf, size_t cap)
{
    int fd = open(file_path, O_RDONLY);
    ssize_t n;

    assert_true(fd >= 0);
    n = read(fd, buf, cap);
    close(fd);
    assert_true(n > 0);
    return (size_t)n;
}

static void put_file(const char *buf, size_t len)
{
    int fd;

    unlink(file_path);
    fd = open(file_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, buf, len), (ssize_t)len);
    close(fd);
}

static void assert_keys_empty(const struct par_source_keys *k)
{
    assert_null(k->access_key_id);
    assert_null(k->secret_access_key);
    assert_null(k->session_token);
}

static int open_with(const char *user, const char *pass, char *err, size_t errlen)
{
    struct par_source_keys keys;
    struct par_keystore_file info;
    int rc = par_keystore_open(home, getuid(), user, pass, strlen(pass), &keys, &info, err, errlen);

    if (rc == PAR_KS_OK) {
        assert_string_equal(keys.access_key_id, KEY_ID);
        assert_string_equal(keys.secret_access_key, SECRET);
        assert_null(keys.session_token);
        par_source_keys_free(&keys);
    } else {
        assert_keys_empty(&keys);
        assert_null(strchr(err, '\n'));
        assert_null(strstr(err, SECRET));
    }
    return rc;
}

static void test_round_trip(void **state)
{
    struct par_keystore_file info;
    struct stat st;
    char err[512];

    (void)state;
    assert_int_equal(par_keystore_probe(home, getuid(), &info, err, sizeof(err)), PAR_KS_NONE);
    assert_int_equal(open_with(USER, PASS, err, sizeof(err)), PAR_KS_NONE);
    assert_non_null(strstr(err, "no key store at ~/.pam_assume_role/key-store"));
    assert_int_equal(write_cheap(PASS, 1), PAR_KS_OK);
    assert_int_equal(stat(dir_path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0700);
    assert_int_equal(stat(file_path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(par_keystore_probe(home, getuid(), &info, err, sizeof(err)), PAR_KS_OK);
    assert_string_equal(info.profile, "gds");
    assert_string_equal(info.key_id, KEY_ID);
    assert_int_equal(info.login_password, 1);
    assert_int_equal(open_with(USER, PASS, err, sizeof(err)), PAR_KS_OK);
    /* Nothing left behind but the store itself. */
    {
        char cmd[300];

        snprintf(cmd, sizeof(cmd), "test $(ls -A %s | wc -l) = 1", dir_path);
        assert_int_equal(system(cmd), 0);
    }
    /* The secret is not in the file in any form we can see. */
    {
        char buf[PAR_KEYSTORE_MAX];
        size_t n = read_file(buf, sizeof(buf));

        assert_null(memmem(buf, n, SECRET, strlen(SECRET)));
        assert_null(memmem(buf, n, PASS, strlen(PASS)));
    }
}

static void test_wrong(void **state)
{
    char err[512];

    (void)state;
    assert_int_equal(write_cheap(PASS, 0), PAR_KS_OK);
    assert_int_equal(open_with(USER, "correct horse battery stapl", err, sizeof(err)), PAR_KS_WRONG);
    assert_non_null(strstr(err, "does not open with that passphrase (wrong, or the file was altered)"));
    assert_int_equal(open_with(USER, "", err, sizeof(err)), PAR_KS_WRONG);
    /* A store copied into another account does not open there. */
    assert_int_equal(open_with("mallory", PASS, err, sizeof(err)), PAR_KS_WRONG);
    assert_int_equal(open_with("alic", PASS, err, sizeof(err)), PAR_KS_WRONG);
    assert_int_equal(open_with(USER, PASS, err, sizeof(err)), PAR_KS_OK);
}

static void test_every_byte_altered(void **state)
{
    char orig[PAR_KEYSTORE_MAX], buf[PAR_KEYSTORE_MAX + 1], err[512];
    static const unsigned char flips[] = { 0x01, 0x80, 0x20 };
    size_t len;

    (void)state;
    assert_int_equal(write_cheap(PASS, 1), PAR_KS_OK);
    len = read_file(orig, sizeof(orig));
    for (size_t i = 0; i < len; i++) {
        for (size_t f = 0; f < sizeof(flips); f++) {
            int rc;

            memcpy(buf, orig, len);
            buf[i] = (char)(buf[i] ^ flips[f]);
            put_file(buf, len);
            rc = open_with(USER, PASS, err, sizeof(err));
            if (rc == PAR_KS_OK)
                fail_msg("byte %zu ^ 0x%02x still opens", i, flips[f]);
            assert_true(rc == PAR_KS_WRONG || rc == PAR_KS_ERROR);
        }
    }
    for (size_t n = 0; n < len; n++) {
        put_file(orig, n);
        assert_int_equal(open_with(USER, PASS, err, sizeof(err)), PAR_KS_ERROR);
    }
    /* one byte more */
    memcpy(buf, orig, len);
    buf[len] = '\n';
    put_file(buf, len + 1);
    assert_int_equal(open_with(USER, PASS, err, sizeof(err)), PAR_KS_ERROR);
    put_file(orig, len);
    assert_int_equal(open_with(USER, PASS, err, sizeof(err)), PAR_KS_OK);
}

static void test_rekey(void **state)
{
    struct par_keystore_file before, after;
    char err[512];

    (void)state;
    assert_int_equal(write_cheap(PASS, 1), PAR_KS_OK);
    assert_int_equal(par_keystore_probe(home, getuid(), &before, err, sizeof(err)), PAR_KS_OK);
    assert_int_equal(par_keystore_rekey(home, getuid(), USER, "not it", 6, "new password!", 13,
                                        err, sizeof(err)), PAR_KS_WRONG);
    assert_int_equal(par_keystore_rekey(home, getuid(), USER, PASS, strlen(PASS),
                                        "new password!", 13, err, sizeof(err)), PAR_KS_OK);
    assert_int_equal(par_keystore_probe(home, getuid(), &after, err, sizeof(err)), PAR_KS_OK);
    assert_int_equal(after.login_password, 1);
    assert_string_equal(after.profile, "gds");
    assert_memory_not_equal(before.salt, after.salt, sizeof(before.salt));
    assert_memory_not_equal(before.nonce, after.nonce, sizeof(before.nonce));
    assert_int_equal(open_with(USER, PASS, err, sizeof(err)), PAR_KS_WRONG);
    assert_int_equal(open_with(USER, "new password!", err, sizeof(err)), PAR_KS_OK);
    unlink(file_path);
    assert_int_equal(par_keystore_rekey(home, getuid(), USER, PASS, strlen(PASS), "x", 1,
                                        err, sizeof(err)), PAR_KS_NONE);
}

static void test_links_refused(void **state)
{
    char err[512], target[200];
    struct par_keystore_file info;

    (void)state;
    assert_int_equal(write_cheap(PASS, 1), PAR_KS_OK);
    snprintf(target, sizeof(target), "%s/elsewhere", home);
    rename(file_path, target);
    assert_int_equal(symlink(target, file_path), 0);
    assert_int_equal(open_with(USER, PASS, err, sizeof(err)), PAR_KS_ERROR);
    assert_non_null(strstr(err, "symbolic link"));
    assert_int_equal(par_keystore_probe(home, getuid(), &info, err, sizeof(err)), PAR_KS_ERROR);
    unlink(file_path);
    unlink(target);
    rmdir(dir_path);
    mkdir(target, 0700);
    assert_int_equal(symlink(target, dir_path), 0);
    assert_int_equal(open_with(USER, PASS, err, sizeof(err)), PAR_KS_ERROR);
    /* Writing refuses it too, and writes nothing into the link's target. */
    assert_int_equal(write_cheap(PASS, 1), PAR_KS_ERROR);
    {
        char cmd[300];

        snprintf(cmd, sizeof(cmd), "test -z \"$(ls -A %s)\"", target);
        assert_int_equal(system(cmd), 0);
    }
    unlink(dir_path);
    rmdir(target);
    /* A folder others may enter is refused for writing. */
    mkdir(dir_path, 0755);
    chmod(dir_path, 0755);
    assert_int_equal(write_cheap(PASS, 1), PAR_KS_ERROR);
    rmdir(dir_path);
}

static void test_bad_arguments(void **state)
{
    char err[512];

    (void)state;
    assert_int_equal(par_keystore_write_cost(home, getuid(), USER, "gds", "akia", SECRET, 1, PASS,
                                             strlen(PASS), 1 << 14, 1, 1, err, sizeof(err)),
                     PAR_KS_ERROR);
    assert_int_equal(par_keystore_write_cost(home, getuid(), USER, "gds", KEY_ID, "short", 1, PASS,
                                             strlen(PASS), 1 << 14, 1, 1, err, sizeof(err)),
                     PAR_KS_ERROR);
    assert_int_equal(par_keystore_write_cost(home, getuid(), USER, "g ds", KEY_ID, SECRET, 1, PASS,
                                             strlen(PASS), 1 << 14, 1, 1, err, sizeof(err)),
                     PAR_KS_ERROR);
    assert_int_equal(par_keystore_write_cost(home, getuid(), "", "gds", KEY_ID, SECRET, 1, PASS,
                                             strlen(PASS), 1 << 14, 1, 1, err, sizeof(err)),
                     PAR_KS_ERROR);
    assert_int_equal(par_keystore_write_cost(home, getuid(), USER, "gds", KEY_ID, SECRET, 1, "",
                                             0, 1 << 14, 1, 1, err, sizeof(err)), PAR_KS_ERROR);
    assert_int_equal(par_keystore_write_cost(home, getuid(), USER, "gds", KEY_ID, SECRET, 1, PASS,
                                             strlen(PASS), 1 << 21, 1, 1, err, sizeof(err)),
                     PAR_KS_ERROR);
}

static int clean(void **state)
{
    (void)state;
    unlink(file_path);
    rmdir(file_path);
    unlink(dir_path);
    rmdir(dir_path);
    return 0;
}

static int group_setup(void **state)
{
    (void)state;
    if (mkdtemp(home) == NULL)
        return -1;
    snprintf(dir_path, sizeof(dir_path), "%s/%s", home, PAR_KEYSTORE_DIR);
    snprintf(file_path, sizeof(file_path), "%s/%s", dir_path, PAR_KEYSTORE_FILE);
    return 0;
}

static int group_teardown(void **state)
{
    clean(state);
    rmdir(home);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_round_trip, clean),
        cmocka_unit_test_setup(test_wrong, clean),
        cmocka_unit_test_setup(test_every_byte_altered, clean),
        cmocka_unit_test_setup(test_rekey, clean),
        cmocka_unit_test_setup(test_links_refused, clean),
        cmocka_unit_test_setup(test_bad_arguments, clean),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/*
 * The key store's text format: round trip, every refusal of the parser,
 * the limits, base64, and the reader that follows no link.
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

#include "base64.h"
#include "keystore_format.h"

#define GOOD \
    "pam_assume_role key store 1\n" \
    "profile gds\n" \
    "key-id AKIAIOSFODNN7EXAMPLE\n" \
    "passphrase login\n" \
    "kdf scrypt 32768 8 1\n" \
    "salt AAECAwQFBgcICQoLDA0ODw==\n" \
    "nonce AAECAwQFBgcICQoL\n" \
    "secret AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJw==\n" \
    "tag EBESExQVFhcYGRobHB0eHw==\n"

static char home[] = "/tmp/par-test-ksformat-XXXXXX";

static void expect_refused(const char *text, const char *want)
{
    struct par_keystore_file f;
    char why[512] = "";

    assert_int_equal(par_keystore_parse(text, strlen(text), &f, why, sizeof(why)), -1);
    if (strstr(why, want) == NULL)
        fail_msg("got:  %s\nwant: ...%s...", why, want);
    assert_null(strchr(why, '\n'));
    assert_int_equal(f.secret_len, 0);
    assert_int_equal(f.key_id[0], 0);
}

/* GOOD with line LINE (0-based) replaced by REPL (NULL: dropped). */
static void with_line(int line, const char *repl, char *out, size_t cap)
{
    const char *p = GOOD;
    size_t pos = 0;

    for (int i = 0; *p != '\0'; i++) {
        const char *lf = strchr(p, '\n');
        size_t n = (size_t)(lf - p) + 1;

        if (i != line) {
            memcpy(out + pos, p, n);
            pos += n;
        } else if (repl != NULL) {
            pos += (size_t)snprintf(out + pos, cap - pos, "%s", repl);
        }
        p = lf + 1;
    }
    out[pos] = '\0';
}

static void expect_line_refused(int line, const char *repl, const char *want)
{
    char text[4096];

    with_line(line, repl, text, sizeof(text));
    expect_refused(text, want);
}

static void test_parse_good(void **state)
{
    struct par_keystore_file f;
    char why[256];

    (void)state;
    assert_int_equal(par_keystore_parse(GOOD, strlen(GOOD), &f, why, sizeof(why)), 0);
    assert_int_equal(f.version, 1);
    assert_string_equal(f.profile, "gds");
    assert_string_equal(f.key_id, "AKIAIOSFODNN7EXAMPLE");
    assert_int_equal(f.login_password, 1);
    assert_int_equal(f.n, 32768);
    assert_int_equal(f.r, 8);
    assert_int_equal(f.p, 1);
    for (int i = 0; i < 16; i++) {
        assert_int_equal(f.salt[i], i);
        assert_int_equal(f.tag[i], 16 + i);
    }
    for (int i = 0; i < 12; i++)
        assert_int_equal(f.nonce[i], i);
    assert_int_equal(f.secret_len, 40);
    assert_int_equal(f.secret[39], 39);
    assert_int_equal(f.aad_len, (size_t)(strstr(GOOD, "secret ") - GOOD));
}

static void test_round_trip(void **state)
{
    struct par_keystore_file f, g;
    char out[PAR_KEYSTORE_MAX + 1];
    int n;

    (void)state;
    assert_int_equal(par_keystore_parse(GOOD, strlen(GOOD), &f, NULL, 0), 0);
    n = par_keystore_format(&f, out, sizeof(out));
    assert_int_equal(n, (int)strlen(GOOD));
    assert_memory_equal(out, GOOD, strlen(GOOD));
    /* The largest store: longest profile, key id, secret. */
    memset(f.profile, 'p', 64);
    f.profile[64] = '\0';
    memset(f.key_id, 'A', 128);
    f.key_id[128] = '\0';
    f.secret_len = 128;
    f.login_password = 0;
    f.n = 1 << 20;
    f.r = 1;
    f.p = 1;
    n = par_keystore_format(&f, out, sizeof(out));
    assert_true(n > 0 && n < PAR_KEYSTORE_MAX);
    assert_int_equal(par_keystore_parse(out, (size_t)n, &g, NULL, 0), 0);
    assert_string_equal(g.profile, f.profile);
    assert_string_equal(g.key_id, f.key_id);
    assert_int_equal(g.login_password, 0);
    assert_int_equal(g.secret_len, 128);
    /* Too small a buffer, or a field outside its set: -1. */
    assert_int_equal(par_keystore_format(&f, out, 100), -1);
    f.secret_len = 129;
    assert_int_equal(par_keystore_format(&f, out, sizeof(out)), -1);
    f.secret_len = 40;
    strcpy(f.key_id, "akia lower");
    assert_int_equal(par_keystore_format(&f, out, sizeof(out)), -1);
    strcpy(f.key_id, "AKIAIOSFODNN7EXAMPLE");
    f.n = 1000;
    assert_int_equal(par_keystore_format(&f, out, sizeof(out)), -1);
}

static void test_bytes_refused(void **state)
{
    char text[4096];

    (void)state;
    expect_refused("", "not a pam_assume_role key store");
    memset(text, 'a', sizeof(text));
    text[2049] = '\0';
    expect_refused(text, "larger than 2048");
    strcpy(text, GOOD);
    text[30] = '\r';
    expect_refused(text, "not printable ASCII");
    strcpy(text, GOOD);
    text[31] = '\t';
    expect_refused(text, "not printable ASCII");
    strcpy(text, GOOD);
    text[32] = (char)0xc3;
    expect_refused(text, "not printable ASCII");
    strcpy(text, GOOD);
    text[33] = 0x7f;
    expect_refused(text, "not printable ASCII");
    {
        struct par_keystore_file f;
        char why[256];

        strcpy(text, GOOD);
        text[34] = '\0';
        assert_int_equal(par_keystore_parse(text, strlen(GOOD), &f, why, sizeof(why)), -1);
        assert_non_null(strstr(why, "not printable ASCII"));
    }
    /* CRLF line ends */
    expect_line_refused(1, "profile gds\r\n", "not printable ASCII");
}

static void test_lines_refused(void **state)
{
    char text[4096];

    (void)state;
    expect_line_refused(0, "pam_assume_role key store 2\n", "made by a newer pam_assume_role");
    expect_line_refused(0, "pam_assume_role key store 10\n", "made by a newer pam_assume_role");
    expect_line_refused(0, "pam_assume_role key store 01\n", "unreadable version");
    expect_line_refused(0, "pam_assume_role key store 1 \n", "unreadable version");
    expect_line_refused(0, "pam_assume_role key store\n", "not a pam_assume_role key store");
    expect_line_refused(0, "[default]\n", "not a pam_assume_role key store");
    for (int i = 1; i < 9; i++)
        expect_line_refused(i, NULL, i == 8 ? "cut short" : "out of order");
    /* swapped lines */
    with_line(1, "key-id AKIAIOSFODNN7EXAMPLE\n", text, sizeof(text));
    expect_refused(text, "out of order");
    expect_line_refused(1, "profile  gds\n", "profile outside");
    expect_line_refused(1, "Profile gds\n", "out of order");
    expect_line_refused(1, "profile\n", "out of order");
    /* an extra line, an unterminated last line, something after the tag */
    snprintf(text, sizeof(text), "%s%s", GOOD, "extra x\n");
    expect_refused(text, "after its tag");
    snprintf(text, sizeof(text), "%s%s", GOOD, "\n");
    expect_refused(text, "after its tag");
    strcpy(text, GOOD);
    text[strlen(text) - 1] = '\0';
    expect_refused(text, "cut short");
    /* every truncation */
    for (size_t n = 0; n < strlen(GOOD); n++) {
        struct par_keystore_file f;

        assert_int_equal(par_keystore_parse(GOOD, n, &f, NULL, 0), -1);
    }
}

static void test_values_refused(void **state)
{
    char line[512];

    (void)state;
    expect_line_refused(1, "profile g/ds\n", "profile outside");
    memset(line, 0, sizeof(line));
    strcpy(line, "profile ");
    memset(line + 8, 'p', 65);
    strcat(line, "\n");
    expect_line_refused(1, line, "profile outside");
    expect_line_refused(2, "key-id akiaiosfodnn7example\n", "key id outside");
    expect_line_refused(2, "key-id AKIA\n", "key id outside");
    strcpy(line, "key-id ");
    memset(line + 7, 'A', 129);
    strcat(line, "\n");
    expect_line_refused(2, line, "key id outside");
    expect_line_refused(3, "passphrase Login\n", "neither 'login' nor 'own'");
    expect_line_refused(3, "passphrase \n", "neither 'login' nor 'own'");
    expect_line_refused(3, "passphrase own \n", "neither 'login' nor 'own'");
}

static void test_kdf_limits(void **state)
{
    static const char *bad[] = {
        "kdf scrypt 8192 8 1\n",       /* N below 2^14 */
        "kdf scrypt 2097152 1 1\n",    /* N above 2^20 */
        "kdf scrypt 32767 8 1\n",      /* not a power of two */
        "kdf scrypt 32768 0 1\n",
        "kdf scrypt 32768 33 1\n",
        "kdf scrypt 32768 8 0\n",
        "kdf scrypt 32768 8 5\n",
        "kdf scrypt 1048576 8 1\n",    /* 1 GiB */
        "kdf scrypt 262144 8 2\n",     /* 512 MiB */
        "kdf scrypt 032768 8 1\n",
        "kdf scrypt 32768 8 1 1\n",
        "kdf scrypt 32768 8\n",
        "kdf scrypt 32768  8 1\n",
        "kdf scrypt -32768 8 1\n",
        "kdf scrypt 18446744073709551616 8 1\n",
        "kdf pbkdf2 32768 8 1\n",
        "kdf scrypt\n",
    };
    static const char *good[] = {
        "kdf scrypt 16384 1 1\n",
        "kdf scrypt 1048576 2 1\n",    /* 256 MiB exactly */
        "kdf scrypt 65536 32 1\n",     /* 256 MiB */
        "kdf scrypt 16384 32 4\n",     /* 256 MiB */
    };
    char text[4096];
    struct par_keystore_file f;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_line_refused(4, bad[i], "scrypt cost outside");
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        with_line(4, good[i], text, sizeof(text));
        assert_int_equal(par_keystore_parse(text, strlen(text), &f, NULL, 0), 0);
    }
}

static void test_binary_refused(void **state)
{
    static const struct { int line; const char *text; } bad[] = {
        { 5, "salt AAECAwQFBgcICQoLDA0O\n" },             /* 15 bytes... 18 */
        { 5, "salt AAECAwQFBgcICQoLDA0ODxA=\n" },         /* 17 bytes */
        { 5, "salt AAECAwQFBgcICQoLDA0ODw=\n" },          /* bad length */
        { 5, "salt AAECAwQFBgcICQoLDA0ODx==\n" },         /* unused bits set */
        { 5, "salt AAECAwQFBgcICQoLDA0OD*==\n" },
        { 5, "salt AAECAwQFBgcI CQoLDA0ODw==\n" },
        { 5, "salt \n" },
        { 6, "nonce AAECAwQFBgcICQo=\n" },                /* 11 bytes */
        { 6, "nonce AAECAwQFBgcICQoLDA==\n" },            /* 13 bytes */
        { 6, "nonce AAEC=wQFBgcICQoL\n" },                /* padding inside */
        { 7, "secret AAECAwQFBgcICQoLDA0O\n" },           /* 15 bytes */
        { 7, "secret \n" },
        { 8, "tag EBESExQVFhcYGRobHB0e\n" },              /* 15 bytes */
        { 8, "tag EBESExQVFhcYGRobHB0eHw\n" },            /* no padding */
    };
    char line[1024];

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_line_refused(bad[i].line, bad[i].text, "not base64 of the right length");
    /* a secret over 128 bytes */
    {
        unsigned char raw[129] = { 0 };

        strcpy(line, "secret ");
        assert_true(par_b64_encode(raw, sizeof(raw), line + 7, sizeof(line) - 8) > 0);
        strcat(line, "\n");
        expect_line_refused(7, line, "not base64 of the right length");
    }
}

static void test_base64(void **state)
{
    unsigned char in[64], out[64];
    char text[128];

    (void)state;
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = (unsigned char)(i * 37 + 11);
    for (size_t len = 0; len <= sizeof(in); len++) {
        int n = par_b64_encode(in, len, text, sizeof(text));

        assert_int_equal(n, (int)par_b64_encoded_len(len));
        assert_int_equal(par_b64_decode(text, (size_t)n, out, sizeof(out)), (int)len);
        assert_memory_equal(in, out, len);
        if (len > 0)
            assert_int_equal(par_b64_decode(text, (size_t)n, out, len - 1), -1);
    }
    assert_int_equal(par_b64_encode(in, 3, text, 4), -1);
    assert_int_equal(par_b64_encode((const unsigned char *)"foobar", 6, text, sizeof(text)), 8);
    assert_string_equal(text, "Zm9vYmFy");
    assert_int_equal(par_b64_decode("Zm9vYg==", 8, out, sizeof(out)), 4);
    assert_int_equal(par_b64_decode("Zm9vYh==", 8, out, sizeof(out)), -1);
    assert_int_equal(par_b64_decode("Zm9vY===", 8, out, sizeof(out)), -1);
    assert_int_equal(par_b64_decode("Zm9=Ymg=", 8, out, sizeof(out)), -1);
    assert_int_equal(par_b64_decode("Zm9vYmF", 7, out, sizeof(out)), -1);
    assert_int_equal(par_b64_decode("Zm9vYmF-", 8, out, sizeof(out)), -1);
}

/* --- par_keystore_read --------------------------------------------------- */

static char dir_path[128], file_path[160];

static void put_store(const char *text, mode_t mode)
{
    int fd;

    mkdir(dir_path, 0700);
    unlink(file_path);
    fd = open(file_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    assert_int_equal(chmod(file_path, mode), 0);
}

static void clean_home(void)
{
    unlink(file_path);
    rmdir(file_path);
    unlink(dir_path);
    rmdir(dir_path);
}

static int read_store(uid_t owner, char *why, size_t whylen)
{
    char buf[PAR_KEYSTORE_MAX];
    size_t len = 99;
    int rc = par_keystore_read(home, owner, buf, sizeof(buf), &len, why, whylen);

    if (rc == 0)
        assert_memory_equal(buf, GOOD, len);
    else
        assert_int_equal(len, 0);
    return rc;
}

static void expect_read_refused(const char *want)
{
    char why[512] = "";

    assert_int_equal(read_store(getuid(), why, sizeof(why)), -1);
    if (strstr(why, want) == NULL)
        fail_msg("got:  %s\nwant: ...%s...", why, want);
}

static void test_read(void **state)
{
    char why[512];
    char big[PAR_KEYSTORE_MAX + 2];

    (void)state;
    clean_home();
    assert_int_equal(read_store(getuid(), why, sizeof(why)), 1);
    mkdir(dir_path, 0700);
    assert_int_equal(read_store(getuid(), why, sizeof(why)), 1);
    put_store(GOOD, 0600);
    assert_int_equal(read_store(getuid(), why, sizeof(why)), 0);
    put_store(GOOD, 0640);
    expect_read_refused("can be read by others");
    put_store(GOOD, 0604);
    expect_read_refused("can be read by others");
    put_store(GOOD, 0620);
    expect_read_refused("writable by others");
    put_store(GOOD, 0602);
    expect_read_refused("writable by others");
    put_store(GOOD, 0600);
    assert_int_equal(read_store(getuid() + 1, why, sizeof(why)), -1);
    assert_non_null(strstr(why, "not yours"));
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    put_store(big, 0600);
    expect_read_refused("larger than 2048");
    /* links and other kinds, for the file and for the folder */
    unlink(file_path);
    assert_int_equal(symlink("/etc/passwd", file_path), 0);
    expect_read_refused("symbolic link");
    unlink(file_path);
    assert_int_equal(mkfifo(file_path, 0600), 0);
    expect_read_refused("not a regular file");
    unlink(file_path);
    assert_int_equal(mkdir(file_path, 0700), 0);
    expect_read_refused("not a regular file");
    rmdir(file_path);
    assert_int_equal(chmod(dir_path, 0770), 0);
    expect_read_refused("writable by others");
    rmdir(dir_path);
    {
        char target[200];

        snprintf(target, sizeof(target), "%s/elsewhere", home);
        mkdir(target, 0700);
        assert_int_equal(symlink(target, dir_path), 0);
        expect_read_refused("symbolic link or not a folder");
        unlink(dir_path);
        rmdir(target);
    }
    put_store(GOOD, 0600);
    unlink(file_path);
    rmdir(dir_path);
    {
        int fd = open(dir_path, O_WRONLY | O_CREAT, 0600);

        close(fd);
        expect_read_refused("symbolic link or not a folder");
        unlink(dir_path);
    }
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
    (void)state;
    clean_home();
    rmdir(home);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_good),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_bytes_refused),
        cmocka_unit_test(test_lines_refused),
        cmocka_unit_test(test_values_refused),
        cmocka_unit_test(test_kdf_limits),
        cmocka_unit_test(test_binary_refused),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_read),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}

/*
 * Replays every seed (tests/fuzz/corpus/TARGET/) and every input that once
 * crashed a fuzz target (tests/fuzz/regressions/TARGET/) through the same
 * harness code the fuzzer runs, so 'make check', 'make check-asan' and
 * 'make check-valgrind' keep them fixed. A property the harness checks
 * aborts the run after naming the input. Run from the top of the tree
 * (tests/run-all does).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each harness's entry point under its own name. */
int fuzz_sts_xml_one(const uint8_t *data, size_t size);
int fuzz_awsfiles_one(const uint8_t *data, size_t size);
int fuzz_config_one(const uint8_t *data, size_t size);
int fuzz_protocol_one(const uint8_t *data, size_t size);
int fuzz_session_values_one(const uint8_t *data, size_t size);
int fuzz_sigv4_one(const uint8_t *data, size_t size);
int fuzz_signin_one(const uint8_t *data, size_t size);
int fuzz_keystore_one(const uint8_t *data, size_t size);

#define LLVMFuzzerTestOneInput fuzz_sts_xml_one
#include "../fuzz/fuzz_sts_xml.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_awsfiles_one
#include "../fuzz/fuzz_awsfiles.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_config_one
#include "../fuzz/fuzz_config.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_protocol_one
#include "../fuzz/fuzz_protocol.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_session_values_one
#include "../fuzz/fuzz_session_values.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_sigv4_one
#include "../fuzz/fuzz_sigv4.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_signin_one
#define url_safe fuzz_signin_url_safe
#include "../fuzz/fuzz_signin.c"
#undef url_safe
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_keystore_one
#define check_accepted fuzz_keystore_check_accepted
#include "../fuzz/fuzz_keystore.c"
#undef check_accepted
#undef LLVMFuzzerTestOneInput

#define REPLAY_MAX_BYTES (1024 * 1024)

struct target {
    const char *name;
    int (*one)(const uint8_t *data, size_t size);
};

static uint8_t *read_input(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = malloc(REPLAY_MAX_BYTES);

    assert_non_null(f);
    assert_non_null(buf);
    *size = fread(buf, 1, REPLAY_MAX_BYTES, f);
    assert_false(ferror(f));
    fclose(f);
    return buf;
}

/* Replays every regular file of FOLDER; returns how many (0 if no folder). */
static size_t replay_folder(const struct target *t, const char *folder)
{
    DIR *d = opendir(folder);
    struct dirent *de;
    size_t n = 0;

    if (d == NULL)
        return 0;
    while ((de = readdir(d)) != NULL) {
        char path[512];
        uint8_t *data;
        size_t size;

        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", folder, de->d_name);
        fprintf(stderr, "replaying %s\n", path);
        data = read_input(path, &size);
        assert_int_equal(t->one(data, size), 0);
        free(data);
        n++;
    }
    closedir(d);
    return n;
}

static void test_replay(void **state)
{
    const struct target *t = *state;
    char seeds[256], crashes[256];

    snprintf(seeds, sizeof(seeds), "tests/fuzz/corpus/%s", t->name);
    snprintf(crashes, sizeof(crashes), "tests/fuzz/regressions/%s", t->name);
    /* The seeds must be there: an empty replay would pass for nothing. */
    assert_true(replay_folder(t, seeds) > 0);
    replay_folder(t, crashes);
}

static const struct target targets[] = {
    { "fuzz_sts_xml", fuzz_sts_xml_one },
    { "fuzz_awsfiles", fuzz_awsfiles_one },
    { "fuzz_config", fuzz_config_one },
    { "fuzz_protocol", fuzz_protocol_one },
    { "fuzz_session_values", fuzz_session_values_one },
    { "fuzz_sigv4", fuzz_sigv4_one },
    { "fuzz_signin", fuzz_signin_one },
    { "fuzz_keystore", fuzz_keystore_one },
};

int main(void)
{
    const struct CMUnitTest tests[] = {
        { "fuzz_sts_xml", test_replay, NULL, NULL, (void *)&targets[0] },
        { "fuzz_awsfiles", test_replay, NULL, NULL, (void *)&targets[1] },
        { "fuzz_config", test_replay, NULL, NULL, (void *)&targets[2] },
        { "fuzz_protocol", test_replay, NULL, NULL, (void *)&targets[3] },
        { "fuzz_session_values", test_replay, NULL, NULL, (void *)&targets[4] },
        { "fuzz_sigv4", test_replay, NULL, NULL, (void *)&targets[5] },
        { "fuzz_signin", test_replay, NULL, NULL, (void *)&targets[6] },
        { "fuzz_keystore", test_replay, NULL, NULL, (void *)&targets[7] },
    };

    return cmocka_run_group_tests_name("fuzz regressions", tests, NULL, NULL);
}

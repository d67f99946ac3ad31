/*
 * The person's ~/.aws/credentials and ~/.aws/config through the real
 * readers. The input is "CREDENTIALS\n=====\nCONFIG" (no files_separator: the
 * same bytes for both files); both are written under a scratch HOME once
 * per input, then [gds] keys and three profiles are read.
 * Properties: accepted keys and profile values are inside their character
 * sets; every error is one line.
 */
#include "fuzz_util.h"
#include "awsfiles.h"
#include "valid.h"

static const char files_separator[] = "\n=====\n";

static void prepare_home(char *home, size_t len)
{
    char aws[128];

    snprintf(home, len, "%s", fuzz_scratch());
    snprintf(aws, sizeof(aws), "%s/.aws", home);
    if (mkdir(aws, 0700) != 0 && errno != EEXIST)
        abort();
}

static void read_keys(const char *home)
{
    struct par_source_keys keys;
    char err[512];

    err[0] = '\0';
    if (par_aws_read_keys(home, geteuid(), "gds", &keys, err, sizeof(err)) == 0) {
        FUZZ_CHECK(par_valid_access_key_id(keys.access_key_id));
        FUZZ_CHECK(par_valid_secret_key(keys.secret_access_key));
        FUZZ_CHECK(keys.session_token == NULL || par_valid_session_token(keys.session_token));
    } else {
        FUZZ_CHECK(err[0] != '\0' && fuzz_one_line(err));
        FUZZ_CHECK(keys.access_key_id == NULL && keys.secret_access_key == NULL);
    }
    par_source_keys_free(&keys);
}

static void read_profile(const char *home, const char *name)
{
    struct par_aws_profile p;
    char err[512];

    err[0] = '\0';
    if (par_aws_read_profile(home, geteuid(), name, &p, err, sizeof(err)) == 0) {
        FUZZ_CHECK(p.role_arn == NULL || par_valid_role_arn(p.role_arn));
        FUZZ_CHECK(p.mfa_serial == NULL || par_valid_mfa_serial(p.mfa_serial));
        FUZZ_CHECK(p.region == NULL || par_valid_region(p.region));
        FUZZ_CHECK(p.duration_seconds == 0 ||
                   (p.duration_seconds >= 900 && p.duration_seconds <= 43200));
        FUZZ_CHECK(p.found || (p.role_arn == NULL && p.region == NULL));
    } else {
        FUZZ_CHECK(err[0] != '\0' && fuzz_one_line(err));
    }
    par_aws_profile_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *sep = memmem(data, size, files_separator, sizeof(files_separator) - 1);
    size_t cred_len = sep != NULL ? (size_t)(sep - data) : size;
    const uint8_t *config = sep != NULL ? sep + sizeof(files_separator) - 1 : data;
    size_t config_len = sep != NULL ? size - cred_len - (sizeof(files_separator) - 1) : size;
    char home[128], path[256];

    prepare_home(home, sizeof(home));
    snprintf(path, sizeof(path), "%s/.aws/credentials", home);
    fuzz_write_file(path, data, cred_len);
    snprintf(path, sizeof(path), "%s/.aws/config", home);
    fuzz_write_file(path, config, config_len);
    read_keys(home);
    read_profile(home, "govuk-integration");
    read_profile(home, "default");
    read_profile(home, "gds");
    return 0;
}

/*
 * The system configuration through par_config_load and par_config_check_all
 * (owner check off, the file written under a scratch folder per input).
 * Properties: both agree on good/bad; an accepted configuration's values are
 * inside their character sets; every error is one "FILE:LINE: ..." line.
 */
#include "fuzz_util.h"
#include "config.h"
#include "valid.h"

struct report_count {
    int lines;
};

static void count_report(void *ctx, const char *line)
{
    struct report_count *rc = ctx;

    FUZZ_CHECK(line != NULL && line[0] != '\0' && fuzz_one_line(line));
    rc->lines++;
}

static void check_config_accepted(const struct par_config *cfg)
{
    FUZZ_CHECK(par_valid_region(cfg->region));
    FUZZ_CHECK(cfg->timeout_ms > 0 && cfg->connect_timeout_ms > 0);
    FUZZ_CHECK(cfg->n_login_environments > 0 || cfg->n_environments == 0);
    for (size_t i = 0; i < cfg->n_environments; i++) {
        const struct par_environment *e = &cfg->environments[i];
        FUZZ_CHECK(par_valid_env_name(e->name));
        FUZZ_CHECK(e->role_arn == NULL || par_valid_role_arn(e->role_arn));
        FUZZ_CHECK(e->region == NULL || par_valid_region(e->region));
        FUZZ_CHECK(par_config_environment(cfg, e->name) != NULL);
    }
    for (size_t i = 0; i < cfg->n_login_environments; i++)
        FUZZ_CHECK(par_config_environment(cfg, cfg->login_environments[i]) != NULL);
    for (size_t i = 0; i < cfg->n_users; i++) {
        const struct par_user *u = &cfg->users[i];
        FUZZ_CHECK(u->name != NULL && par_config_user(cfg, u->name) != NULL);
        FUZZ_CHECK(u->mfa_serial == NULL || par_valid_mfa_serial(u->mfa_serial));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct par_config cfg;
    struct report_count count = { 0 };
    char path[128], err[PAR_CONFIG_ERR_MAX];
    int loaded, problems;

    snprintf(path, sizeof(path), "%s/pam_assume_role.conf", fuzz_scratch());
    fuzz_write_file(path, data, size);
    err[0] = '\0';
    loaded = par_config_load(path, PAR_CONFIG_INSECURE_ANY_OWNER, &cfg, err, sizeof(err));
    if (loaded == 0) {
        check_config_accepted(&cfg);
        par_config_free(&cfg);
    } else {
        FUZZ_CHECK(loaded == -1 && err[0] != '\0' && fuzz_one_line(err));
        FUZZ_CHECK(strncmp(err, path, strlen(path)) == 0);
    }
    problems = par_config_check_all(path, PAR_CONFIG_INSECURE_ANY_OWNER, count_report, &count);
    FUZZ_CHECK(problems == count.lines);
    FUZZ_CHECK((loaded == 0) == (problems == 0));
    return 0;
}

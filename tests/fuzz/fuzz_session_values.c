/*
 * The env file writer's value checks: par_render_env with the credentials,
 * region, environment name and folder carved from the input (fields split
 * at NUL bytes). Property: whatever it accepts renders as exactly the
 * expected lines, each value inside one pair of single quotes, so sourcing
 * the file cannot run anything.
 */
#include "fuzz_util.h"
#include "login.h"
#include "session_files.h"
#include "valid.h"
#include "wipe.h"

#define RENDER_CAP 16384
#define EXPORT_LINES 8      /* AWS_* (6), PAM_ASSUME_ROLE_DIR, _ENVIRONMENT */
#define ALL_LINES (EXPORT_LINES + 3)

static void copy_field(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src);
}

static void check_rendered(const char *buf)
{
    size_t quotes = 0, lines = 0;

    for (const char *p = buf; *p != '\0'; p++) {
        quotes += *p == '\'';
        lines += *p == '\n';
        FUZZ_CHECK(*p == '\n' || (unsigned char)*p >= 0x20);
    }
    FUZZ_CHECK(quotes == 2 * EXPORT_LINES);
    FUZZ_CHECK(lines == ALL_LINES);
    for (const char *line = strchr(buf, '\n') + 1; *line != '\0'; line = strchr(line, '\n') + 1) {
        if (strncmp(line, "export ", 7) == 0) {
            const char *q = strchr(line, '\'');
            FUZZ_CHECK(q != NULL && strchr(q + 1, '\'') < strchr(line, '\n'));
            FUZZ_CHECK(strchr(q + 1, '\'')[1] == '\n');
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct par_login_env e;
    char *key = fuzz_take_field(&data, &size, 0);
    char *secret = fuzz_take_field(&data, &size, 0);
    char *token = fuzz_take_field(&data, &size, 0);
    char *expiration = fuzz_take_field(&data, &size, 0);
    char *region = fuzz_take_field(&data, &size, 0);
    char *name = fuzz_take_field(&data, &size, 0);
    char *dir = fuzz_take_field(&data, &size, 0);
    char *buf = malloc(RENDER_CAP);

    FUZZ_CHECK(buf != NULL);
    memset(&e, 0, sizeof(e));
    copy_field(e.creds.access_key_id, sizeof(e.creds.access_key_id), key);
    copy_field(e.creds.secret_access_key, sizeof(e.creds.secret_access_key), secret);
    copy_field(e.creds.expiration, sizeof(e.creds.expiration), expiration);
    e.creds.session_token = token;
    e.region = region;
    e.name = name;
    e.duration = 3600;
    if (par_render_env(buf, RENDER_CAP, &e, dir, (size & 1) != 0) == 0)
        check_rendered(buf);
    else
        FUZZ_CHECK(!par_creds_valid(&e.creds) || !par_valid_region(region) ||
                   !par_valid_env_name(name) || strchr(dir, '\'') != NULL ||
                   !par_valid_message(dir) || strlen(dir) >= PAR_MAX_PATH);
    par_wipe(buf, RENDER_CAP);
    free(buf);
    par_free_secret(key);
    par_free_secret(secret);
    par_free_secret(token);
    free(expiration);
    free(region);
    free(name);
    free(dir);
    return 0;
}

/* Reading back the credentials files of a session folder (our own format). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ini.h>
#include "awsfiles.h"
#include "session_dir.h"
#include "session_files.h"
#include "valid.h"
#include "wipe.h"

struct creds_reader {
    const char *section;
    struct par_creds *c;
};

static int on_value(void *user, const char *section, const char *name, const char *value)
{
    struct creds_reader *r = user;
    struct par_creds *c = r->c;

    if (strcmp(section, r->section) != 0)
        return 1;
    /* A value too long for its field is left empty (refused), not cut to fit. */
    if (strcmp(name, "aws_access_key_id") == 0 && strlen(value) < sizeof(c->access_key_id))
        snprintf(c->access_key_id, sizeof(c->access_key_id), "%s", value);
    else if (strcmp(name, "aws_access_key_id") == 0)
        c->access_key_id[0] = '\0';
    else if (strcmp(name, "aws_secret_access_key") == 0 &&
             strlen(value) < sizeof(c->secret_access_key))
        snprintf(c->secret_access_key, sizeof(c->secret_access_key), "%s", value);
    else if (strcmp(name, "aws_secret_access_key") == 0)
        c->secret_access_key[0] = '\0';
    else if (strcmp(name, "aws_session_token") == 0) {
        par_free_secret(c->session_token);
        c->session_token = strdup(value);
    }
    return 1;
}

/* The expiration is kept in a comment line "# expires ISO" after the keys. */
static void find_expiration(const char *buf, const char *section, struct par_creds *c)
{
    char head[80];
    const char *p;

    snprintf(head, sizeof(head), "[%s]\n", section);
    if ((p = strstr(buf, head)) == NULL || (p = strstr(p, "# expires ")) == NULL)
        return;
    p += strlen("# expires ");
    if (strcspn(p, "\n") < sizeof(c->expiration))
        snprintf(c->expiration, sizeof(c->expiration), "%.*s", (int)strcspn(p, "\n"), p);
}

/* The name in the file of the first value outside its character set. */
static const char *bad_creds_key(const struct par_creds *c)
{
    if (!par_valid_access_key_id(c->access_key_id))
        return "aws_access_key_id";
    if (!par_valid_secret_key(c->secret_access_key))
        return "aws_secret_access_key";
    if (!par_valid_session_token(c->session_token))
        return "aws_session_token";
    return par_valid_iso8601(c->expiration) ? NULL : "expires";
}

int par_read_creds_file_checked(int dir_fd, const char *file, const char *section,
                                struct par_creds *c, const char **bad_key)
{
    char *buf = malloc(SD_FILE_MAX);
    size_t len;
    struct creds_reader r = { section, c };
    int rc = -1;

    memset(c, 0, sizeof(*c));
    *bad_key = NULL;
    if (buf == NULL)
        return -1;
    par_ini_configure();
    if (sd_read_file(dir_fd, file, buf, SD_FILE_MAX, &len) == 0 &&
        ini_parse_string(buf, on_value, &r) == 0) {
        find_expiration(buf, section, c);
        *bad_key = bad_creds_key(c);
        rc = *bad_key == NULL ? 0 : -1;
    }
    par_wipe(buf, SD_FILE_MAX);
    free(buf);
    if (rc != 0)
        par_creds_clear(c);
    return rc;
}

int par_read_creds_file(int dir_fd, const char *file, const char *section,
                        struct par_creds *c)
{
    const char *bad_key;

    return par_read_creds_file_checked(dir_fd, file, section, c, &bad_key);
}

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"
#include "awsfiles.h"
#include "valid.h"
#include "wipe.h"

/* inih's line buffer: larger than any accepted file, so no line is cut. */
#define INI_LINE_BUFFER (256 * 1024)
#define MAX_VALUE 4096

struct user_file {
    const char *shown;        /* "~/.aws/credentials": what the person sees */
    char *text;
    size_t len;
};


/*
 * inih copies each line into a heap buffer it frees without wiping. Making
 * that buffer larger than the mmap threshold (fixed here, so glibc does not
 * raise it) means it is mapped and unmapped: no copy of a key stays behind.
 */
void par_ini_configure(void)
{
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    ini_use_stack = false;
    ini_max_line = INI_LINE_BUFFER;
    ini_initial_alloc = INI_LINE_BUFFER;
    ini_allow_realloc = false;
    ini_allow_multiline = true;         /* continuation lines: like botocore */
    ini_allow_inline_comments = false;  /* botocore has none either */
    ini_allow_no_value = false;
    ini_stop_on_first_error = true;
}

static int check_opened(int fd, struct user_file *f, uid_t owner, char *err, size_t errlen)
{
    struct stat st;

    if (fstat(fd, &st) != 0) {
        par_set_err(err, errlen, "%s: cannot read it: %s", f->shown, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        par_set_err(err, errlen, "%s is not a regular file: replace it with a plain text file",
                f->shown);
        return -1;
    }
    if (st.st_uid != owner) {
        par_set_err(err, errlen, "%s is owned by uid %u, not by you (uid %u): "
                "copy it into a file of your own", f->shown, (unsigned)st.st_uid,
                (unsigned)owner);
        return -1;
    }
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        par_set_err(err, errlen, "%s is writable by others: chmod go-w %s", f->shown, f->shown);
        return -1;
    }
    if (st.st_size > PAR_AWSFILE_MAX) {
        par_set_err(err, errlen, "%s is larger than %d KiB: it cannot be an AWS file; fix it",
                f->shown, PAR_AWSFILE_MAX / 1024);
        return -1;
    }
    return 0;
}

/* Reads at most PAR_AWSFILE_MAX bytes; a file that grows meanwhile is refused. */
static int read_bounded(int fd, struct user_file *f, char *err, size_t errlen)
{
    size_t cap = PAR_AWSFILE_MAX + 1;

    if ((f->text = malloc(cap + 1)) == NULL) {
        par_set_err(err, errlen, "%s: out of memory", f->shown);
        return -1;
    }
    f->len = 0;
    for (;;) {
        ssize_t r = read(fd, f->text + f->len, cap - f->len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            par_set_err(err, errlen, "%s: cannot read it: %s", f->shown, strerror(errno));
            return -1;
        }
        if (r == 0)
            break;
        f->len += (size_t)r;
        if (f->len >= cap) {
            par_set_err(err, errlen, "%s is larger than %d KiB: it cannot be an AWS file; fix it",
                    f->shown, PAR_AWSFILE_MAX / 1024);
            return -1;
        }
    }
    f->text[f->len] = '\0';
    if (memchr(f->text, '\0', f->len) != NULL) {
        par_set_err(err, errlen, "%s holds a NUL byte: it must be a text file", f->shown);
        return -1;
    }
    return 0;
}

static void user_file_free(struct user_file *f)
{
    if (f->text != NULL) {
        par_wipe(f->text, f->len + 1);
        free(f->text);
    }
    f->text = NULL;
    f->len = 0;
}

/* Returns 0 (read), 1 (the file does not exist) or -1 (err filled). */
static int read_user_file(const char *home, const char *name, uid_t owner,
                          struct user_file *f, char *err, size_t errlen)
{
    char path[PATH_MAX];
    int fd, n;

    if (home == NULL || home[0] != '/') {
        par_set_err(err, errlen, "%s: your home folder is not known; check your account", f->shown);
        return -1;
    }
    n = snprintf(path, sizeof(path), "%s/.aws/%s", home, name);
    if (n < 0 || (size_t)n >= sizeof(path)) {
        par_set_err(err, errlen, "%s: the path is too long", f->shown);
        return -1;
    }
    fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return 1;
        if (errno == ELOOP)
            par_set_err(err, errlen, "%s is a symbolic link: replace it with the file itself",
                    f->shown);
        else
            par_set_err(err, errlen, "%s cannot be opened: %s", f->shown, strerror(errno));
        return -1;
    }
    if (check_opened(fd, f, owner, err, errlen) != 0 || read_bounded(fd, f, err, errlen) != 0) {
        close(fd);
        user_file_free(f);
        return -1;
    }
    close(fd);
    return 0;
}

/* ---- Credentials ------------------------------------------------------------ */

struct keys_parse {
    const char *profile;
    struct par_source_keys *keys;
    bool section_seen;
    const char *duplicate;     /* a key set twice in the section */
};

static int store_once(char **slot, const char *value, const char *key, const char **duplicate)
{
    if (*slot != NULL) {
        *duplicate = key;
        return 0;
    }
    *slot = strdup(value);
    return *slot != NULL;
}

static int keys_handler(void *user, const char *section, const char *key, const char *value)
{
    struct keys_parse *kp = user;

    if (strcmp(section, kp->profile) != 0)
        return 1;
    kp->section_seen = true;
    if (strcasecmp(key, "aws_access_key_id") == 0)
        return store_once(&kp->keys->access_key_id, value, "aws_access_key_id",
                          &kp->duplicate);
    if (strcasecmp(key, "aws_secret_access_key") == 0)
        return store_once(&kp->keys->secret_access_key, value, "aws_secret_access_key",
                          &kp->duplicate);
    if (strcasecmp(key, "aws_session_token") == 0)
        return store_once(&kp->keys->session_token, value, "aws_session_token",
                          &kp->duplicate);
    return 1;
}

static int check_keys(const struct keys_parse *kp, const char *shown, char *err, size_t errlen)
{
    const struct par_source_keys *k = kp->keys;
    const char *p = kp->profile;

    if (!kp->section_seen) {
        par_set_err(err, errlen, "%s has no [%s] profile: add your access key under [%s] "
                "(see INSTALL)", shown, p, p);
    } else if (k->access_key_id == NULL || k->secret_access_key == NULL) {
        par_set_err(err, errlen, "%s [%s] has no %s: add it under [%s] (see INSTALL)", shown, p,
                k->access_key_id == NULL ? "aws_access_key_id" : "aws_secret_access_key", p);
    } else if (!par_valid_access_key_id(k->access_key_id)) {
        par_set_err(err, errlen, "%s [%s]: aws_access_key_id has characters an access key never "
                "has: copy it again from the IAM console", shown, p);
    } else if (!par_valid_secret_key(k->secret_access_key)) {
        par_set_err(err, errlen, "%s [%s]: aws_secret_access_key has characters a secret key "
                "never has: copy it again from the IAM console", shown, p);
    } else if (k->session_token != NULL && !par_valid_session_token(k->session_token)) {
        par_set_err(err, errlen, "%s [%s]: aws_session_token is not a session token: remove it "
                "(long-term keys have none)", shown, p);
    } else {
        return 0;
    }
    return -1;
}

/* After ini_parse_string returned rc != 0 (a line number, or -2). */
static void parse_error(int rc, const char *shown, const char *duplicate, char *err,
                        size_t errlen)
{
    if (duplicate != NULL)
        par_set_err(err, errlen, "%s:%d: %s is set twice in this profile: keep one", shown, rc,
                duplicate);
    else if (rc > 0)
        par_set_err(err, errlen, "%s:%d: this line cannot be parsed: fix it "
                "(only [SECTION] headers, KEY = VALUE lines and # comments)", shown, rc);
    else
        par_set_err(err, errlen, "%s: out of memory", shown);
}

int par_aws_read_keys(const char *home, uid_t owner, const char *profile,
                      struct par_source_keys *keys, char *err, size_t errlen)
{
    struct user_file f = { .shown = "~/.aws/credentials" };
    struct keys_parse kp = { .profile = profile, .keys = keys };
    int rc;

    memset(keys, 0, sizeof(*keys));
    rc = read_user_file(home, "credentials", owner, &f, err, errlen);
    if (rc == 1)
        par_set_err(err, errlen, "~/.aws/credentials not found: create it with your access key "
                "under [%s] (see INSTALL)", profile);
    if (rc != 0)
        return -1;
    par_ini_configure();
    rc = ini_parse_string(f.text, keys_handler, &kp);
    user_file_free(&f);
    if (rc != 0)
        parse_error(rc, "~/.aws/credentials", kp.duplicate, err, errlen);
    else if (check_keys(&kp, "~/.aws/credentials", err, errlen) == 0)
        return 0;
    par_source_keys_free(keys);
    return -1;
}

void par_source_keys_free(struct par_source_keys *keys)
{
    if (keys == NULL)
        return;
    par_free_secret(keys->access_key_id);
    par_free_secret(keys->secret_access_key);
    par_free_secret(keys->session_token);
    memset(keys, 0, sizeof(*keys));
}

/* ---- Config ----------------------------------------------------------------- */

struct profile_parse {
    const char *name;
    struct par_aws_profile *out;
    char *duration;
    const char *duplicate;
};

/* "[profile NAME]", or "[default]" for the default profile (botocore's rule). */
static bool section_is_profile(const char *section, const char *name)
{
    if (strcmp(name, "default") == 0 && strcmp(section, "default") == 0)
        return true;
    if (strncmp(section, "profile", 7) != 0 || (section[7] != ' ' && section[7] != '\t'))
        return false;
    section += 7;
    section += strspn(section, " \t");
    return strcmp(section, name) == 0;
}

static int profile_handler(void *user, const char *section, const char *key, const char *value)
{
    struct profile_parse *pp = user;
    struct par_aws_profile *o = pp->out;

    if (!section_is_profile(section, pp->name))
        return 1;
    o->found = true;
    if (strlen(value) > MAX_VALUE)
        value = "";   /* refused below: no valid value is that long */
    if (strcasecmp(key, "role_arn") == 0)
        return store_once(&o->role_arn, value, "role_arn", &pp->duplicate);
    if (strcasecmp(key, "mfa_serial") == 0)
        return store_once(&o->mfa_serial, value, "mfa_serial", &pp->duplicate);
    if (strcasecmp(key, "region") == 0)
        return store_once(&o->region, value, "region", &pp->duplicate);
    if (strcasecmp(key, "source_profile") == 0)
        return store_once(&o->source_profile, value, "source_profile", &pp->duplicate);
    if (strcasecmp(key, "duration_seconds") == 0)
        return store_once(&pp->duration, value, "duration_seconds", &pp->duplicate);
    return 1;
}

static int parse_duration(const char *s, long *out)
{
    char *end;
    long v;

    if (s[0] < '0' || s[0] > '9')
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 900 || v > 43200)
        return -1;
    *out = v;
    return 0;
}

static int check_profile(struct profile_parse *pp, char *err, size_t errlen)
{
    const struct par_aws_profile *o = pp->out;
    const char *bad = NULL, *want = NULL;

    if (o->role_arn != NULL && !par_valid_role_arn(o->role_arn)) {
        bad = "role_arn";
        want = "arn:aws:iam::ACCOUNT:role/NAME";
    } else if (o->mfa_serial != NULL && !par_valid_mfa_serial(o->mfa_serial)) {
        bad = "mfa_serial";
        want = "arn:aws:iam::ACCOUNT:mfa/NAME";
    } else if (o->region != NULL && !par_valid_region(o->region)) {
        bad = "region";
        want = "a region such as eu-west-1";
    } else if (pp->duration != NULL && parse_duration(pp->duration, &pp->out->duration_seconds)) {
        bad = "duration_seconds";
        want = "seconds between 900 and 43200";
    }
    if (bad == NULL)
        return 0;
    par_set_err(err, errlen, "~/.aws/config [profile %s]: %s is not valid: it must be %s",
            pp->name, bad, want);
    return -1;
}

int par_aws_read_profile(const char *home, uid_t owner, const char *name,
                         struct par_aws_profile *out, char *err, size_t errlen)
{
    struct user_file f = { .shown = "~/.aws/config" };
    struct profile_parse pp = { .name = name, .out = out };
    int rc;

    memset(out, 0, sizeof(*out));
    rc = read_user_file(home, "config", owner, &f, err, errlen);
    if (rc == 1)
        return 0;
    if (rc != 0)
        return -1;
    par_ini_configure();
    rc = ini_parse_string(f.text, profile_handler, &pp);
    user_file_free(&f);
    if (rc != 0)
        parse_error(rc, "~/.aws/config", pp.duplicate, err, errlen);
    else
        rc = check_profile(&pp, err, errlen);
    free(pp.duration);
    if (rc == 0)
        return 0;
    par_aws_profile_free(out);
    return -1;
}

void par_aws_profile_free(struct par_aws_profile *p)
{
    if (p == NULL)
        return;
    free(p->role_arn);
    free(p->mfa_serial);
    free(p->region);
    free(p->source_profile);
    memset(p, 0, sizeof(*p));
}

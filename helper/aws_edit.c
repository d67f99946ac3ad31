#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/rand.h>

#include "aws_edit.h"
#include "awsfiles.h"
#include "fdio.h"
#include "wipe.h"

#define SHOWN "~/.aws/credentials"

struct scan {
    const char *profile;
    int in_profile;     /* the current section is [profile] */
    int after_key;      /* a key line came since the section header: indented lines continue it */
    int dropping;       /* that key line was dropped: its continuations go too */
};

static const char *skip_space(const char *p, const char *end)
{
    while (p < end && isspace((unsigned char)*p))
        p++;
    return p;
}

/* "[NAME]" (after leading white space): is NAME the profile? */
static int is_header_of(const char *p, const char *end, const char *profile)
{
    const char *close = memchr(p, ']', (size_t)(end - p));
    size_t n = strlen(profile);

    return close != NULL && (size_t)(close - p - 1) == n && memcmp(p + 1, profile, n) == 0;
}

/* Is this line (START..END, white space skipped) one of the two key lines? */
static int is_key_line(const char *start, const char *end)
{
    static const char *const names[] = { "aws_access_key_id", "aws_secret_access_key" };
    const char *sep = start, *name_end;

    while (sep < end && *sep != '=' && *sep != ':')
        sep++;
    if (sep == end)
        return 0;
    name_end = sep;
    while (name_end > start && isspace((unsigned char)name_end[-1]))
        name_end--;
    for (size_t i = 0; i < 2; i++)
        if ((size_t)(name_end - start) == strlen(names[i])
            && strncasecmp(start, names[i], strlen(names[i])) == 0)
            return 1;
    return 0;
}

/* Does the line LINE..END (LF not included) go? The order of the tests is inih's. */
static int drop_line(struct scan *s, const char *line, const char *end)
{
    const char *start = skip_space(line, end);

    /* Blank lines and comments neither end a value nor belong to one. */
    if (start == end || *start == '#' || *start == ';')
        return 0;
    if (s->after_key && start > line)
        return s->dropping;
    if (*start == '[') {
        s->in_profile = is_header_of(start, end, s->profile);
        s->after_key = s->dropping = 0;
        return 0;
    }
    s->after_key = 1;
    s->dropping = s->in_profile && is_key_line(start, end);
    return s->dropping;
}

size_t par_aws_drop_key_lines(const char *text, size_t len, const char *profile, char *out,
                              unsigned *removed)
{
    struct scan s = { profile, 0, 0, 0 };
    const char *p = text, *end = text + len;
    size_t o = 0;

    *removed = 0;
    /* inih skips a UTF-8 byte order mark before the first line: so do we, keeping it. */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        memcpy(out, text, 3);
        o = 3;
        p += 3;
    }
    while (p < end) {
        const char *lf = memchr(p, '\n', (size_t)(end - p));
        const char *next = lf != NULL ? lf + 1 : end;
        const char *content_end = lf != NULL ? lf : end;

        if (drop_line(&s, p, content_end))
            (*removed)++;
        else {
            memcpy(out + o, p, (size_t)(next - p));
            o += (size_t)(next - p);
        }
        p = next;
    }
    return o;
}

struct cred_file {
    int dirfd;
    char *text;
    size_t len;
    mode_t mode;
    nlink_t nlink;
};

static void cred_file_free(struct cred_file *f)
{
    if (f->text != NULL) {
        par_wipe(f->text, f->len);
        free(f->text);
    }
    if (f->dirfd >= 0)
        close(f->dirfd);
    f->text = NULL;
    f->dirfd = -1;
}

static int read_fd(int fd, struct cred_file *f, char *err, size_t errlen)
{
    f->text = malloc(PAR_AWSFILE_MAX + 1);
    if (f->text == NULL) {
        snprintf(err, errlen, "out of memory reading " SHOWN);
        return -1;
    }
    for (f->len = 0;;) {
        ssize_t n = read(fd, f->text + f->len, PAR_AWSFILE_MAX + 1 - f->len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, SHOWN " cannot be read: %s", strerror(errno));
            return -1;
        }
        if (n == 0)
            return 0;
        f->len += (size_t)n;
        if (f->len > PAR_AWSFILE_MAX) {
            snprintf(err, errlen, SHOWN " is larger than %d KiB; fix it first",
                     PAR_AWSFILE_MAX / 1024);
            return -1;
        }
    }
}

static int check_cred_fd(int fd, uid_t owner, struct cred_file *f, char *err, size_t errlen)
{
    struct stat st;

    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, SHOWN " is not a regular file; replace it with the file itself");
        return -1;
    }
    if (st.st_uid != owner || (st.st_mode & 022) != 0) {
        snprintf(err, errlen, SHOWN " is not yours or others can write it; "
                 "fix its owner and run 'chmod 600 " SHOWN "'");
        return -1;
    }
    f->mode = st.st_mode & 07777;
    f->nlink = st.st_nlink;
    return 0;
}

/* 0 read, 1 no file, -1 ERR. */
static int open_credentials(const char *home, uid_t owner, struct cred_file *f,
                            char *err, size_t errlen)
{
    int homefd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd, rc;

    memset(f, 0, sizeof(*f));
    f->dirfd = -1;
    if (homefd < 0) {
        snprintf(err, errlen, "your home folder cannot be opened: %s", strerror(errno));
        return -1;
    }
    f->dirfd = openat(homefd, ".aws", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(homefd);
    if (f->dirfd < 0) {
        if (errno == ENOENT)
            return 1;
        snprintf(err, errlen, "~/.aws is a symbolic link or cannot be opened; "
                 "make it a folder of your own");
        return -1;
    }
    fd = openat(f->dirfd, "credentials", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 1;
        snprintf(err, errlen, errno == ELOOP ? SHOWN " is a symbolic link; replace it with the "
                 "file itself" : SHOWN " cannot be opened: %s", strerror(errno));
        return -1;
    }
    rc = check_cred_fd(fd, owner, f, err, errlen) == 0 && read_fd(fd, f, err, errlen) == 0 ? 0 : -1;
    close(fd);
    return rc;
}

/* F's text without PROFILE's key lines, malloc'd (wipe and free it), in *OUT (*N
 * bytes, *REMOVED lines dropped): 0, or -1 with ERR. */
static int drop_keys(const struct cred_file *f, const char *profile, char **out, size_t *n,
                     unsigned *removed, char *err, size_t errlen)
{
    if ((*out = malloc(f->len + 1)) == NULL) {
        snprintf(err, errlen, "out of memory reading " SHOWN);
        return -1;
    }
    *n = par_aws_drop_key_lines(f->text, f->len, profile, *out, removed);
    return 0;
}

static void free_text(char *out, size_t n)
{
    if (out != NULL) {
        par_wipe(out, n);
        free(out);
    }
}

int par_aws_has_key_lines(const char *home, uid_t owner, const char *profile,
                          char *err, size_t errlen)
{
    struct cred_file f;
    unsigned removed = 0;
    int rc = open_credentials(home, owner, &f, err, errlen);
    char *out = NULL;
    size_t n = 0;

    if (rc == 0)
        rc = drop_keys(&f, profile, &out, &n, &removed, err, errlen) == 0 ? removed > 0 : -1;
    else if (rc == 1)
        rc = 0;
    free_text(out, n);
    cred_file_free(&f);
    return rc;
}

static int write_replacement(struct cred_file *f, const char *text, size_t len,
                             char *err, size_t errlen)
{
    unsigned char rnd[8];
    char tmp[64];
    int fd, rc = -1;

    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        snprintf(err, errlen, "no random bytes for a temporary name; try again");
        return -1;
    }
    snprintf(tmp, sizeof(tmp), ".credentials.%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1],
             rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    fd = openat(f->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "~/.aws cannot be written: %s", strerror(errno));
        return -1;
    }
    if (fchmod(fd, f->mode) == 0 && par_write_all(fd, text, len) == 0 && fsync(fd) == 0) {
        if (close(fd) == 0 && renameat(f->dirfd, tmp, f->dirfd, "credentials") == 0
            && fsync(f->dirfd) == 0)
            rc = 0;
        fd = -1;
    }
    if (rc != 0) {
        snprintf(err, errlen, SHOWN " cannot be rewritten: %s; it is unchanged", strerror(errno));
        if (fd >= 0)
            close(fd);
        unlinkat(f->dirfd, tmp, 0);
    }
    return rc;
}

int par_aws_remove_keys(const char *home, uid_t owner, const char *profile,
                        char *err, size_t errlen)
{
    struct cred_file f;
    unsigned removed = 0;
    int rc = open_credentials(home, owner, &f, err, errlen);
    char *out = NULL;
    size_t n = 0;

    if (rc == 0 && f.nlink > 1) {
        snprintf(err, errlen, SHOWN " has another name (a hard link) where the plaintext key "
                 "would stay: remove the other name, then run this again");
        rc = -1;
    } else if (rc == 0) {
        rc = drop_keys(&f, profile, &out, &n, &removed, err, errlen);
        if (rc == 0)
            rc = removed == 0 ? 1 : write_replacement(&f, out, n, err, errlen);
    }
    free_text(out, n);
    cred_file_free(&f);
    return rc;
}

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base64.h"
#include "keystore_format.h"
#include "valid.h"
#include "wipe.h"

#define MAGIC "pam_assume_role key store "
#define SHOWN "~/" PAR_KEYSTORE_DIR "/" PAR_KEYSTORE_FILE
#define REDO "; remove it and run 'pam-assume-role store-key' again"
#define MIN_SECRET 16
#define MAX_SECRET PAR_MAX_SECRET_KEY

/* Copies a fixed message (no stdio: the reader runs in forked children). */
static void set_why(char *why, size_t whylen, const char *msg)
{
    size_t n;

    if (why == NULL || whylen == 0)
        return;
    n = strlen(msg);
    if (n >= whylen)
        n = whylen - 1;
    memcpy(why, msg, n);
    why[n] = '\0';
}

struct cursor {
    const char *start, *p, *end;
};

/* The next line (LF not included) whose first word is NAME: its value. */
static int take_field(struct cursor *c, const char *name, const char **val, size_t *vlen,
                      char *why, size_t whylen)
{
    const char *lf = memchr(c->p, '\n', (size_t)(c->end - c->p));
    size_t nlen = strlen(name);

    if (c->p == c->end || lf == NULL) {
        set_why(why, whylen, SHOWN " is cut short (a line is missing)" REDO);
        return -1;
    }
    if ((size_t)(lf - c->p) <= nlen || memcmp(c->p, name, nlen) != 0 || c->p[nlen] != ' ') {
        set_why(why, whylen, SHOWN " has a line out of order or unknown" REDO);
        return -1;
    }
    *val = c->p + nlen + 1;
    *vlen = (size_t)(lf - *val);
    c->p = lf + 1;
    return 0;
}

static int copy_value(const char *val, size_t vlen, char *dst, size_t cap)
{
    if (vlen >= cap)
        return -1;
    memcpy(dst, val, vlen);
    dst[vlen] = '\0';
    return 0;
}

/* A decimal number, no sign, no leading zero, at most 9 digits; END is past it. */
static int parse_number(const char *s, const char *lim, unsigned long long *out,
                        const char **end)
{
    unsigned long long v = 0;
    const char *p = s;

    while (p < lim && *p >= '0' && *p <= '9' && p - s < 10)
        v = v * 10 + (unsigned)(*p++ - '0');
    if (p == s || p - s > 9 || (*s == '0' && p - s > 1))
        return -1;
    *out = v;
    *end = p;
    return 0;
}

int par_keystore_kdf_ok(unsigned long long n, unsigned r, unsigned p)
{
    if (n < (1ULL << 14) || n > (1ULL << 20) || (n & (n - 1)) != 0)
        return 0;
    if (r < 1 || r > 32 || p < 1 || p > 4)
        return 0;
    return 128ULL * n * r * p <= PAR_KEYSTORE_MAX_MEM;
}

static int parse_kdf(const char *val, size_t vlen, struct par_keystore_file *out)
{
    const char *p = val, *lim = val + vlen;
    unsigned long long v[3];

    if (vlen < 7 || memcmp(p, "scrypt ", 7) != 0)
        return -1;
    p += 7;
    for (int i = 0; i < 3; i++) {
        if (parse_number(p, lim, &v[i], &p) != 0)
            return -1;
        if (i < 2 && (p == lim || *p++ != ' '))
            return -1;
    }
    if (p != lim || v[1] > 32 || v[2] > 4 || !par_keystore_kdf_ok(v[0], (unsigned)v[1], (unsigned)v[2]))
        return -1;
    out->n = v[0];
    out->r = (unsigned)v[1];
    out->p = (unsigned)v[2];
    return 0;
}

/* Base64 that must decode to between MIN and MAX bytes; the count, or -1. */
static int decode_field(const char *val, size_t vlen, unsigned char *dst, size_t min, size_t max)
{
    int n;

    if (vlen > par_b64_encoded_len(max))
        return -1;
    n = par_b64_decode(val, vlen, dst, max);
    return n < 0 || (size_t)n < min ? -1 : n;
}

static int check_bytes(const char *buf, size_t len, char *why, size_t whylen)
{
    if (len > PAR_KEYSTORE_MAX) {
        set_why(why, whylen, SHOWN " is larger than 2048 bytes" REDO);
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)buf[i];

        if (ch != '\n' && (ch < 0x20 || ch > 0x7e)) {
            set_why(why, whylen, SHOWN " holds a byte that is not printable ASCII" REDO);
            return -1;
        }
    }
    return 0;
}

static int parse_magic(struct cursor *c, struct par_keystore_file *out, char *why, size_t whylen)
{
    const char *lf = memchr(c->p, '\n', (size_t)(c->end - c->p));
    size_t mlen = strlen(MAGIC);
    unsigned long long version;
    const char *end;

    if (lf == NULL || (size_t)(lf - c->p) <= mlen || memcmp(c->p, MAGIC, mlen) != 0) {
        set_why(why, whylen, SHOWN " is not a pam_assume_role key store" REDO);
        return -1;
    }
    if (parse_number(c->p + mlen, lf, &version, &end) != 0 || end != lf) {
        set_why(why, whylen, SHOWN " has an unreadable version line" REDO);
        return -1;
    }
    if (version != PAR_KEYSTORE_VERSION) {
        set_why(why, whylen, SHOWN " was made by a newer pam_assume_role (format version "
                "not 1); use that version, or remove it and run 'pam-assume-role store-key'");
        return -1;
    }
    out->version = (unsigned)version;
    c->p = lf + 1;
    return 0;
}

static int parse_header(struct cursor *c, struct par_keystore_file *out, char *why, size_t whylen)
{
    const char *v;
    size_t vl;

    if (take_field(c, "profile", &v, &vl, why, whylen) != 0)
        return -1;
    if (copy_value(v, vl, out->profile, sizeof(out->profile)) != 0
        || !par_valid_profile_name(out->profile)) {
        set_why(why, whylen, SHOWN " names a profile outside [A-Za-z0-9_.@+=,-]{1,64}" REDO);
        return -1;
    }
    if (take_field(c, "key-id", &v, &vl, why, whylen) != 0)
        return -1;
    if (copy_value(v, vl, out->key_id, sizeof(out->key_id)) != 0
        || !par_valid_access_key_id(out->key_id)) {
        set_why(why, whylen, SHOWN " holds a key id outside [A-Z0-9]{16,128}" REDO);
        return -1;
    }
    if (take_field(c, "passphrase", &v, &vl, why, whylen) != 0)
        return -1;
    if (vl == 5 && memcmp(v, "login", 5) == 0)
        out->login_password = 1;
    else if (vl == 3 && memcmp(v, "own", 3) == 0)
        out->login_password = 0;
    else {
        set_why(why, whylen, SHOWN " has a passphrase line that is neither 'login' nor 'own'" REDO);
        return -1;
    }
    if (take_field(c, "kdf", &v, &vl, why, whylen) != 0)
        return -1;
    if (parse_kdf(v, vl, out) != 0) {
        set_why(why, whylen, SHOWN " asks for a scrypt cost outside N 2^14..2^20, r 1..32, "
                "p 1..4, 256 MiB" REDO);
        return -1;
    }
    return 0;
}

static int parse_binary(struct cursor *c, struct par_keystore_file *out, char *why, size_t whylen)
{
    const char *v;
    size_t vl;
    int n;

    if (take_field(c, "salt", &v, &vl, why, whylen) != 0)
        return -1;
    if (decode_field(v, vl, out->salt, PAR_KEYSTORE_SALT, PAR_KEYSTORE_SALT) < 0)
        goto bad;
    if (take_field(c, "nonce", &v, &vl, why, whylen) != 0)
        return -1;
    if (decode_field(v, vl, out->nonce, PAR_KEYSTORE_NONCE, PAR_KEYSTORE_NONCE) < 0)
        goto bad;
    out->aad_len = (size_t)(c->p - c->start);
    if (take_field(c, "secret", &v, &vl, why, whylen) != 0)
        return -1;
    n = decode_field(v, vl, out->secret, MIN_SECRET, MAX_SECRET);
    if (n < 0)
        goto bad;
    out->secret_len = (size_t)n;
    if (take_field(c, "tag", &v, &vl, why, whylen) != 0)
        return -1;
    if (decode_field(v, vl, out->tag, PAR_KEYSTORE_TAG, PAR_KEYSTORE_TAG) < 0)
        goto bad;
    return 0;
bad:
    set_why(why, whylen, SHOWN " has a salt, nonce, secret or tag that is not base64 of "
            "the right length" REDO);
    return -1;
}

int par_keystore_parse(const char *buf, size_t len, struct par_keystore_file *out,
                       char *why, size_t whylen)
{
    struct cursor c = { buf, buf, buf + len };

    memset(out, 0, sizeof(*out));
    if (check_bytes(buf, len, why, whylen) != 0 || parse_magic(&c, out, why, whylen) != 0
        || parse_header(&c, out, why, whylen) != 0 || parse_binary(&c, out, why, whylen) != 0)
        goto fail;
    if (c.p != c.end) {
        set_why(why, whylen, SHOWN " has something after its tag line" REDO);
        goto fail;
    }
    return 0;
fail:
    memset(out, 0, sizeof(*out));
    return -1;
}

static int append_b64(char *out, size_t outlen, size_t *pos, const char *name,
                      const unsigned char *data, size_t len)
{
    int n = snprintf(out + *pos, outlen - *pos, "%s ", name);

    if (n < 0 || (size_t)n >= outlen - *pos)
        return -1;
    *pos += (size_t)n;
    n = par_b64_encode(data, len, out + *pos, outlen - *pos);
    if (n < 0 || *pos + (size_t)n + 1 >= outlen)
        return -1;
    *pos += (size_t)n;
    out[(*pos)++] = '\n';
    out[*pos] = '\0';
    return 0;
}

int par_keystore_format(const struct par_keystore_file *f, char *out, size_t outlen)
{
    struct par_keystore_file check;
    size_t cap = outlen < PAR_KEYSTORE_MAX + 1 ? outlen : PAR_KEYSTORE_MAX + 1;
    size_t pos;
    int n;

    if (f->version != PAR_KEYSTORE_VERSION || f->secret_len < MIN_SECRET
        || f->secret_len > MAX_SECRET || cap == 0)
        return -1;
    n = snprintf(out, cap, MAGIC "%u\nprofile %s\nkey-id %s\npassphrase %s\nkdf scrypt %llu %u %u\n",
                 f->version, f->profile, f->key_id, f->login_password ? "login" : "own",
                 f->n, f->r, f->p);
    if (n < 0 || (size_t)n >= cap)
        return -1;
    pos = (size_t)n;
    if (append_b64(out, cap, &pos, "salt", f->salt, sizeof(f->salt)) != 0
        || append_b64(out, cap, &pos, "nonce", f->nonce, sizeof(f->nonce)) != 0
        || append_b64(out, cap, &pos, "secret", f->secret, f->secret_len) != 0
        || append_b64(out, cap, &pos, "tag", f->tag, sizeof(f->tag)) != 0)
        return -1;
    /* What we write must be what we read: the parser is the one definition. */
    if (par_keystore_parse(out, pos, &check, NULL, 0) != 0)
        return -1;
    return (int)pos;
}

/* Owner OWNER, of type KIND (S_IFDIR / S_IFREG), writable by nobody else. */
static int check_node(int fd, uid_t owner, mode_t kind, off_t maxsize, char *why, size_t whylen)
{
    struct stat st;

    if (fstat(fd, &st) != 0) {
        set_why(why, whylen, SHOWN " cannot be examined; check its folder's permissions");
        return -1;
    }
    if ((st.st_mode & S_IFMT) != kind) {
        set_why(why, whylen, kind == S_IFDIR ? "~/" PAR_KEYSTORE_DIR " is not a folder" REDO
                : SHOWN " is not a regular file" REDO);
        return -1;
    }
    if (st.st_uid != owner) {
        set_why(why, whylen, kind == S_IFDIR ? "~/" PAR_KEYSTORE_DIR " is not yours" REDO
                : SHOWN " is not yours" REDO);
        return -1;
    }
    if ((st.st_mode & 022) != 0) {
        set_why(why, whylen, kind == S_IFDIR
                ? "~/" PAR_KEYSTORE_DIR " is writable by others; run 'chmod 700 ~/" PAR_KEYSTORE_DIR "'"
                : SHOWN " is writable by others; run 'chmod 600 " SHOWN "'");
        return -1;
    }
    /* With "passphrase login" a copy of the file is an offline guess at the password. */
    if (kind == S_IFREG && (st.st_mode & 077) != 0) {
        set_why(why, whylen, SHOWN " can be read by others; run 'chmod 600 " SHOWN "'");
        return -1;
    }
    if (maxsize >= 0 && st.st_size > maxsize) {
        set_why(why, whylen, SHOWN " is larger than 2048 bytes" REDO);
        return -1;
    }
    return 0;
}

/* openat that tells "absent" (1) from a link or another failure (-1). */
static int open_at(int dirfd, const char *name, int flags, int *fd, char *why, size_t whylen)
{
    *fd = openat(dirfd, name, flags | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
    if (*fd >= 0)
        return 0;
    if (errno == ENOENT) {
        set_why(why, whylen, "no key store at " SHOWN "; make one with 'pam-assume-role store-key'");
        return 1;
    }
    if (errno == ELOOP || errno == ENOTDIR)
        set_why(why, whylen, (flags & O_DIRECTORY)
                ? "~/" PAR_KEYSTORE_DIR " is a symbolic link or not a folder" REDO
                : SHOWN " is a symbolic link" REDO);
    else
        set_why(why, whylen, (flags & O_DIRECTORY)
                ? "~/" PAR_KEYSTORE_DIR " cannot be opened; check that it is yours and 0700"
                : SHOWN " cannot be opened; check that it is yours and 0600");
    return -1;
}

static int read_whole(int fd, char *buf, size_t cap, size_t *len, char *why, size_t whylen)
{
    size_t got = 0;
    char extra;

    for (;;) {
        ssize_t n = got < cap ? read(fd, buf + got, cap - got) : read(fd, &extra, 1);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            set_why(why, whylen, SHOWN " cannot be read; check that it is yours and 0600");
            return -1;
        }
        if (n == 0)
            break;
        if (got >= cap || got + (size_t)n > PAR_KEYSTORE_MAX) {
            set_why(why, whylen, SHOWN " is larger than 2048 bytes" REDO);
            return -1;
        }
        got += (size_t)n;
    }
    *len = got;
    return 0;
}

int par_keystore_read(const char *home, uid_t owner, char *buf, size_t cap, size_t *len,
                      char *why, size_t whylen)
{
    int homefd, dirfd = -1, fd = -1, rc;

    *len = 0;
    homefd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (homefd < 0) {
        set_why(why, whylen, "the home folder cannot be opened; check that it exists");
        return -1;
    }
    rc = open_at(homefd, PAR_KEYSTORE_DIR, O_RDONLY | O_DIRECTORY, &dirfd, why, whylen);
    if (rc == 0)
        rc = check_node(dirfd, owner, S_IFDIR, -1, why, whylen);
    if (rc == 0)
        rc = open_at(dirfd, PAR_KEYSTORE_FILE, O_RDONLY | O_NONBLOCK, &fd, why, whylen);
    if (rc == 0)
        rc = check_node(fd, owner, S_IFREG, PAR_KEYSTORE_MAX, why, whylen);
    if (rc == 0)
        rc = read_whole(fd, buf, cap, len, why, whylen);
    if (rc < 0) {
        par_wipe(buf, cap);
        *len = 0;
    }
    if (fd >= 0)
        close(fd);
    if (dirfd >= 0)
        close(dirfd);
    close(homefd);
    return rc;
}

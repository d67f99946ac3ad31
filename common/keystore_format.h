/*
 * The person's encrypted key store, HOME/.pam_assume_role/key-store: its
 * text format (docs/key-store.md), a bounded parser, the formatter, and a
 * reader that follows no link. No crypto here (helper/keystore.c does it),
 * no OpenSSL: the module links this file.
 */
#ifndef PAR_KEYSTORE_FORMAT_H
#define PAR_KEYSTORE_FORMAT_H

#include <stddef.h>
#include <sys/types.h>

#define PAR_KEYSTORE_DIR  ".pam_assume_role"
#define PAR_KEYSTORE_FILE "key-store"
#define PAR_KEYSTORE_MAX  2048

#define PAR_KEYSTORE_VERSION   1
#define PAR_KEYSTORE_SALT      16
#define PAR_KEYSTORE_NONCE     12
#define PAR_KEYSTORE_TAG       16
/* The most memory a file may ask scrypt for (128 * N * r * p bytes). */
#define PAR_KEYSTORE_MAX_MEM   (256ULL * 1024 * 1024)

struct par_keystore_file {
    unsigned version;                 /* 1 */
    char profile[65];
    char key_id[129];
    int login_password;               /* passphrase login: 1, own: 0 */
    unsigned long long n; unsigned r, p;
    unsigned char salt[16], nonce[12], tag[16];
    unsigned char secret[256]; size_t secret_len;   /* ciphertext */
    size_t aad_len;                   /* bytes of the file covered as associated data */
};

/* Parses BUF (LEN bytes, the whole file): 0, or -1 with WHY (one line, no secret). */
int par_keystore_parse(const char *buf, size_t len, struct par_keystore_file *out,
                       char *why, size_t whylen);
/* Writes the file text for F into OUT (at most PAR_KEYSTORE_MAX): its length, or -1. */
int par_keystore_format(const struct par_keystore_file *f, char *out, size_t outlen);
/* Opens HOME/.pam_assume_role/key-store with no link followed (openat, O_NOFOLLOW,
 * fstat: owner OWNER, regular, not group/world-writable; folder likewise) and reads it
 * whole (bounded): 0 with BUF/LEN, 1 when there is no store, -1 with WHY. System calls
 * only (the module's child calls it after dropping to the person). */
int par_keystore_read(const char *home, uid_t owner, char *buf, size_t cap, size_t *len,
                      char *why, size_t whylen);

/* Is N/R/P a cost the parser accepts? */
int par_keystore_kdf_ok(unsigned long long n, unsigned r, unsigned p);

#endif

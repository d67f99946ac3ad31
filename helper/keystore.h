/*
 * The person's encrypted key store (common/keystore_format.h for the file):
 * scrypt from the passphrase, AES-256-GCM over the secret access key, the
 * file's first lines and the account name as associated data. OpenSSL EVP
 * only; every key, passphrase and plaintext buffer is wiped after use.
 */
#ifndef PAR_KEYSTORE_H
#define PAR_KEYSTORE_H

#include <stddef.h>
#include <sys/types.h>
#include "awsfiles.h"
#include "keystore_format.h"

enum { PAR_KS_OK = 0, PAR_KS_NONE = 1, PAR_KS_WRONG = 2, PAR_KS_ERROR = -1 };

/* The cost written by par_keystore_write and par_keystore_rekey: 32 MiB. */
#define PAR_KEYSTORE_N 32768ULL
#define PAR_KEYSTORE_R 8U
#define PAR_KEYSTORE_P 1U

/* Is there a store, what does it hold (no secret)? PAR_KS_OK (INFO), PAR_KS_NONE, PAR_KS_ERROR. */
int par_keystore_probe(const char *home, uid_t owner, struct par_keystore_file *info,
                       char *err, size_t errlen);
/* Opens it with PASS: PAR_KS_OK with KEYS (access_key_id, secret_access_key, session_token NULL),
 * PAR_KS_WRONG, PAR_KS_NONE or PAR_KS_ERROR (ERR one line saying what to do). */
int par_keystore_open(const char *home, uid_t owner, const char *user,
                      const char *pass, size_t passlen, struct par_source_keys *keys,
                      struct par_keystore_file *info, char *err, size_t errlen);
/* Writes a new store (temp name in the folder, fsync, rename; folder made 0700 if missing). */
int par_keystore_write(const char *home, uid_t owner, const char *user, const char *profile,
                       const char *key_id, const char *secret, int login_password,
                       const char *pass, size_t passlen, char *err, size_t errlen);
/* par_keystore_write at a given scrypt cost (tests and the benchmark). */
int par_keystore_write_cost(const char *home, uid_t owner, const char *user,
                            const char *profile, const char *key_id, const char *secret,
                            int login_password, const char *pass, size_t passlen,
                            unsigned long long n, unsigned r, unsigned p,
                            char *err, size_t errlen);
/* Re-encrypts under NEWPASS when OLDPASS opens it (same kind, new salt and nonce). */
int par_keystore_rekey(const char *home, uid_t owner, const char *user,
                       const char *oldpass, size_t oldlen, const char *newpass, size_t newlen,
                       char *err, size_t errlen);

#endif

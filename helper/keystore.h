/* The key store's crypto (OpenSSL), helper only. See common/keystore_format.h. */
#ifndef PAR_KEYSTORE_H
#define PAR_KEYSTORE_H

#include <stddef.h>
#include <sys/types.h>
#include "awsfiles.h"
#include "keystore_format.h"

enum { PAR_KS_OK = 0, PAR_KS_NONE = 1, PAR_KS_WRONG = 2, PAR_KS_ERROR = -1 };
int par_keystore_probe(const char *home, uid_t owner, struct par_keystore_file *info,
                       char *err, size_t errlen);
int par_keystore_open(const char *home, uid_t owner, const char *user,
                      const char *pass, size_t passlen, struct par_source_keys *keys,
                      struct par_keystore_file *info, char *err, size_t errlen);
int par_keystore_write(const char *home, uid_t owner, const char *user, const char *profile,
                       const char *key_id, const char *secret, int login_password,
                       const char *pass, size_t passlen, char *err, size_t errlen);
int par_keystore_rekey(const char *home, uid_t owner, const char *user,
                       const char *oldpass, size_t oldlen, const char *newpass, size_t newlen,
                       char *err, size_t errlen);

#endif

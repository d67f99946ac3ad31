#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "errmsg.h"
#include "fdio.h"
#include "keystore.h"
#include "valid.h"
#include "wipe.h"

#define SHOWN "~/" PAR_KEYSTORE_DIR "/" PAR_KEYSTORE_FILE
#define KEY_LEN 32
#define MAX_USER 256
#define WRONG_PASS SHOWN " does not open with that passphrase (wrong, or the file was altered); " \
    "try again, or remove it and run 'pam-assume-role store-key'"


int par_keystore_probe(const char *home, uid_t owner, struct par_keystore_file *info,
                       char *err, size_t errlen)
{
    char buf[PAR_KEYSTORE_MAX];
    size_t len;
    int rc = par_keystore_read(home, owner, buf, sizeof(buf), &len, err, errlen);

    memset(info, 0, sizeof(*info));
    if (rc != 0)
        return rc == 1 ? PAR_KS_NONE : PAR_KS_ERROR;
    return par_keystore_parse(buf, len, info, err, errlen) == 0 ? PAR_KS_OK : PAR_KS_ERROR;
}

/* scrypt(PASS, salt, N, r, p) -> 32 bytes; maxmem is exactly what OpenSSL needs. */
static int derive_key(const struct par_keystore_file *f, const char *pass, size_t passlen,
                      unsigned char key[KEY_LEN])
{
    uint64_t maxmem = 128ULL * f->r * (f->n + 2) + 128ULL * f->r * f->p + (1 << 20);

    return EVP_PBE_scrypt(pass, passlen, f->salt, sizeof(f->salt), f->n, f->r, f->p,
                          maxmem, key, KEY_LEN) == 1 ? 0 : -1;
}

/* Associated data: the file up to the nonce line's LF, a NUL, the account name. */
static int feed_aad(EVP_CIPHER_CTX *c, const char *text, size_t aad_len, const char *user)
{
    int out;
    static const unsigned char nul = 0;

    return EVP_CipherUpdate(c, NULL, &out, (const unsigned char *)text, (int)aad_len) == 1
        && EVP_CipherUpdate(c, NULL, &out, &nul, 1) == 1
        && EVP_CipherUpdate(c, NULL, &out, (const unsigned char *)user, (int)strlen(user)) == 1 ? 0 : -1;
}

static EVP_CIPHER_CTX *gcm_start(const unsigned char key[KEY_LEN], const unsigned char *nonce,
                                 int enc)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();

    if (c == NULL)
        return NULL;
    if (EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1
        || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, PAR_KEYSTORE_NONCE, NULL) != 1
        || EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc) != 1) {
        EVP_CIPHER_CTX_free(c);
        return NULL;
    }
    return c;
}

/* Decrypts F's secret into PLAIN (NUL-terminated): 0, or -1 when the tag does not match. */
static int gcm_open(const struct par_keystore_file *f, const char *text, const char *user,
                    const unsigned char key[KEY_LEN], char *plain, size_t cap)
{
    EVP_CIPHER_CTX *c = gcm_start(key, f->nonce, 0);
    int n = 0, fin = 0, ok;

    if (c == NULL || f->secret_len >= cap) {
        EVP_CIPHER_CTX_free(c);
        return -1;
    }
    ok = feed_aad(c, text, f->aad_len, user) == 0
        && EVP_DecryptUpdate(c, (unsigned char *)plain, &n, f->secret, (int)f->secret_len) == 1
        && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, PAR_KEYSTORE_TAG, (void *)f->tag) == 1
        && EVP_DecryptFinal_ex(c, (unsigned char *)plain + n, &fin) == 1
        && (size_t)(n + fin) == f->secret_len;
    EVP_CIPHER_CTX_free(c);
    if (!ok) {
        OPENSSL_cleanse(plain, cap);
        return -1;
    }
    plain[f->secret_len] = '\0';
    return 0;
}

static int valid_user(const char *user)
{
    return user != NULL && user[0] != '\0' && strlen(user) < MAX_USER;
}

static int decrypt_store(const char *buf, const struct par_keystore_file *info, const char *user,
                         const char *pass, size_t passlen, struct par_source_keys *keys,
                         char *err, size_t errlen)
{
    unsigned char key[KEY_LEN];
    char plain[PAR_MAX_SECRET_KEY + 1];
    int rc = PAR_KS_WRONG;

    if (derive_key(info, pass, passlen, key) != 0) {
        par_set_err(err, errlen, "the passphrase key for " SHOWN " cannot be derived (out of memory?); "
                "try again");
        return PAR_KS_ERROR;
    }
    if (gcm_open(info, buf, user, key, plain, sizeof(plain)) != 0)
        par_set_err(err, errlen, "%s", WRONG_PASS);
    else if (!par_valid_secret_key(plain)) {
        par_set_err(err, errlen, SHOWN " holds a secret key of the wrong shape; remove it and "
                "run 'pam-assume-role store-key'");
        rc = PAR_KS_ERROR;
    } else {
        keys->access_key_id = strdup(info->key_id);
        keys->secret_access_key = strdup(plain);
        rc = PAR_KS_OK;
        if (keys->access_key_id == NULL || keys->secret_access_key == NULL) {
            par_source_keys_free(keys);
            par_set_err(err, errlen, "out of memory opening " SHOWN "; try again");
            rc = PAR_KS_ERROR;
        }
    }
    OPENSSL_cleanse(key, sizeof(key));
    OPENSSL_cleanse(plain, sizeof(plain));
    return rc;
}

int par_keystore_open(const char *home, uid_t owner, const char *user,
                      const char *pass, size_t passlen, struct par_source_keys *keys,
                      struct par_keystore_file *info, char *err, size_t errlen)
{
    char buf[PAR_KEYSTORE_MAX];
    size_t len;
    int rc;

    memset(keys, 0, sizeof(*keys));
    memset(info, 0, sizeof(*info));
    if (!valid_user(user) || pass == NULL) {
        par_set_err(err, errlen, "no account name or passphrase to open " SHOWN " with");
        return PAR_KS_ERROR;
    }
    rc = par_keystore_read(home, owner, buf, sizeof(buf), &len, err, errlen);
    if (rc != 0)
        return rc == 1 ? PAR_KS_NONE : PAR_KS_ERROR;
    if (par_keystore_parse(buf, len, info, err, errlen) != 0)
        return PAR_KS_ERROR;
    return decrypt_store(buf, info, user, pass, passlen, keys, err, errlen);
}

/* Encrypts SECRET into F (whose header fields are set) and formats the file into TEXT. */
static int seal(struct par_keystore_file *f, const char *user, const char *secret,
                const unsigned char key[KEY_LEN], char *text, size_t cap)
{
    EVP_CIPHER_CTX *c;
    int n, fin = 0, ok, len;

    /* The header bytes do not depend on the ciphertext: format once to learn them. */
    f->secret_len = strlen(secret);
    if ((len = par_keystore_format(f, text, cap)) < 0)
        return -1;
    f->aad_len = (size_t)(strstr(text, "\nsecret ") - text) + 1;
    if ((c = gcm_start(key, f->nonce, 1)) == NULL)
        return -1;
    ok = feed_aad(c, text, f->aad_len, user) == 0
        && EVP_EncryptUpdate(c, f->secret, &n, (const unsigned char *)secret, (int)f->secret_len) == 1
        && EVP_EncryptFinal_ex(c, f->secret + n, &fin) == 1
        && (size_t)(n + fin) == f->secret_len
        && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, PAR_KEYSTORE_TAG, f->tag) == 1;
    EVP_CIPHER_CTX_free(c);
    return ok ? par_keystore_format(f, text, cap) : -1;
}

static int open_folder(const char *home, uid_t owner, char *err, size_t errlen)
{
    int homefd = open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC), dfd;
    struct stat st;

    if (homefd < 0) {
        par_set_err(err, errlen, "your home folder %s cannot be opened: %s", home, strerror(errno));
        return -1;
    }
    if (mkdirat(homefd, PAR_KEYSTORE_DIR, 0700) != 0 && errno != EEXIST) {
        par_set_err(err, errlen, "~/" PAR_KEYSTORE_DIR " cannot be made: %s; check your home folder",
                strerror(errno));
        close(homefd);
        return -1;
    }
    dfd = openat(homefd, PAR_KEYSTORE_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(homefd);
    if (dfd < 0 || fstat(dfd, &st) != 0 || st.st_uid != owner || (st.st_mode & 077) != 0) {
        par_set_err(err, errlen, "~/" PAR_KEYSTORE_DIR " is a link, not yours or not 0700; "
                "remove it and run 'pam-assume-role store-key' again");
        if (dfd >= 0)
            close(dfd);
        return -1;
    }
    return dfd;
}

/* TEXT into the folder under a temporary name, then renamed over the store. */
static int replace_file(const char *home, uid_t owner, const char *text, size_t len,
                        char *err, size_t errlen)
{
    unsigned char rnd[8];
    char tmp[64];
    int dfd = open_folder(home, owner, err, errlen), fd, rc = -1;

    if (dfd < 0)
        return -1;
    if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
        par_set_err(err, errlen, "no random bytes for a temporary name; try again");
        close(dfd);
        return -1;
    }
    snprintf(tmp, sizeof(tmp), ".%s.%02x%02x%02x%02x%02x%02x%02x%02x", PAR_KEYSTORE_FILE,
             rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
    fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        par_set_err(err, errlen, "~/" PAR_KEYSTORE_DIR " cannot be written: %s", strerror(errno));
        close(dfd);
        return -1;
    }
    if (fchmod(fd, 0600) == 0 && par_write_all(fd, text, len) == 0 && fsync(fd) == 0
        && close(fd) == 0) {
        fd = -1;
        if (renameat(dfd, tmp, dfd, PAR_KEYSTORE_FILE) == 0 && fsync(dfd) == 0)
            rc = 0;
    }
    if (rc != 0) {
        par_set_err(err, errlen, SHOWN " cannot be written: %s; check free space", strerror(errno));
        if (fd >= 0)
            close(fd);
        unlinkat(dfd, tmp, 0);
    }
    close(dfd);
    return rc;
}

static int check_write_args(const char *user, const char *profile, const char *key_id,
                            const char *secret, const char *pass, size_t passlen,
                            char *err, size_t errlen)
{
    if (!valid_user(user) || profile == NULL || !par_valid_profile_name(profile)) {
        par_set_err(err, errlen, "a key store needs an account name and a profile name "
                "[A-Za-z0-9_.@+=,-]{1,64}");
        return -1;
    }
    if (key_id == NULL || !par_valid_access_key_id(key_id) || secret == NULL
        || !par_valid_secret_key(secret)) {
        par_set_err(err, errlen, "that access key id or secret key is not of AWS's form; "
                "copy them again from the AWS console");
        return -1;
    }
    if (pass == NULL || passlen == 0) {
        par_set_err(err, errlen, "an empty passphrase cannot protect a key store; choose one");
        return -1;
    }
    return 0;
}

int par_keystore_write_cost(const char *home, uid_t owner, const char *user,
                            const char *profile, const char *key_id, const char *secret,
                            int login_password, const char *pass, size_t passlen,
                            unsigned long long n, unsigned r, unsigned p,
                            char *err, size_t errlen)
{
    struct par_keystore_file f;
    unsigned char key[KEY_LEN];
    char text[PAR_KEYSTORE_MAX + 1];
    int len = -1;

    if (check_write_args(user, profile, key_id, secret, pass, passlen, err, errlen) != 0)
        return PAR_KS_ERROR;
    if (!par_keystore_kdf_ok(n, r, p)) {
        par_set_err(err, errlen, "scrypt cost outside N 2^14..2^20, r 1..32, p 1..4, 256 MiB");
        return PAR_KS_ERROR;
    }
    memset(&f, 0, sizeof(f));
    f.version = PAR_KEYSTORE_VERSION;
    snprintf(f.profile, sizeof(f.profile), "%s", profile);
    snprintf(f.key_id, sizeof(f.key_id), "%s", key_id);
    f.login_password = login_password ? 1 : 0;
    f.n = n;
    f.r = r;
    f.p = p;
    if (RAND_bytes(f.salt, sizeof(f.salt)) != 1 || RAND_bytes(f.nonce, sizeof(f.nonce)) != 1)
        par_set_err(err, errlen, "no random bytes for the key store; try again");
    else if (derive_key(&f, pass, passlen, key) != 0)
        par_set_err(err, errlen, "the passphrase key cannot be derived (out of memory?); try again");
    else if ((len = seal(&f, user, secret, key, text, sizeof(text))) < 0)
        par_set_err(err, errlen, "the key store cannot be encrypted; try again");
    OPENSSL_cleanse(key, sizeof(key));
    if (len < 0 || replace_file(home, owner, text, (size_t)len, err, errlen) != 0)
        return PAR_KS_ERROR;
    return PAR_KS_OK;
}

int par_keystore_write(const char *home, uid_t owner, const char *user, const char *profile,
                       const char *key_id, const char *secret, int login_password,
                       const char *pass, size_t passlen, char *err, size_t errlen)
{
    return par_keystore_write_cost(home, owner, user, profile, key_id, secret, login_password,
                                   pass, passlen, PAR_KEYSTORE_N, PAR_KEYSTORE_R,
                                   PAR_KEYSTORE_P, err, errlen);
}

int par_keystore_rekey(const char *home, uid_t owner, const char *user,
                       const char *oldpass, size_t oldlen, const char *newpass, size_t newlen,
                       char *err, size_t errlen)
{
    struct par_source_keys keys;
    struct par_keystore_file info;
    int rc = par_keystore_open(home, owner, user, oldpass, oldlen, &keys, &info, err, errlen);

    if (rc != PAR_KS_OK)
        return rc;
    rc = par_keystore_write(home, owner, user, info.profile, keys.access_key_id,
                            keys.secret_access_key, info.login_password, newpass, newlen,
                            err, errlen);
    par_source_keys_free(&keys);
    return rc;
}

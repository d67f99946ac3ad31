/*
 * The key store's parser, par_keystore_parse, over any bytes.
 * Properties: an accepted file formats back (par_keystore_format) to
 * exactly the input (one spelling per store), its fields are inside their
 * sets, its scrypt cost inside the limits, and its associated data ends
 * just before the "secret " line; a refusal's reason is one line, and the
 * struct is left empty.
 */
#include "fuzz_util.h"
#include "keystore_format.h"
#include "valid.h"

static void check_accepted(const uint8_t *data, size_t size, const struct par_keystore_file *f)
{
    char out[PAR_KEYSTORE_MAX + 1];
    int n = par_keystore_format(f, out, sizeof(out));

    FUZZ_CHECK(n >= 0 && (size_t)n == size && memcmp(out, data, size) == 0);
    FUZZ_CHECK(f->version == 1);
    FUZZ_CHECK(par_valid_profile_name(f->profile));
    FUZZ_CHECK(par_valid_access_key_id(f->key_id));
    FUZZ_CHECK(f->login_password == 0 || f->login_password == 1);
    FUZZ_CHECK(par_keystore_kdf_ok(f->n, f->r, f->p));
    FUZZ_CHECK(128ULL * f->n * f->r * f->p <= PAR_KEYSTORE_MAX_MEM);
    FUZZ_CHECK(f->secret_len >= 16 && f->secret_len <= PAR_MAX_SECRET_KEY);
    FUZZ_CHECK(f->aad_len < size && memcmp(data + f->aad_len, "secret ", 7) == 0);
    FUZZ_CHECK(data[f->aad_len - 1] == '\n');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct par_keystore_file f;
    char why[PAR_MAX_MESSAGE];

    why[0] = '\0';
    if (par_keystore_parse((const char *)data, size, &f, why, sizeof(why)) == 0) {
        check_accepted(data, size, &f);
        return 0;
    }
    FUZZ_CHECK(why[0] != '\0' && strchr(why, '\n') == NULL && par_valid_message(why));
    FUZZ_CHECK(f.secret_len == 0 && f.key_id[0] == '\0' && f.aad_len == 0);
    return 0;
}

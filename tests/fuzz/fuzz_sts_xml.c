/*
 * sts_xml_parse on arbitrary bytes. Properties: an accepted answer of the
 * credentials kind carries values inside their character sets; the reason
 * given for a refusal is one line.
 */
#include "fuzz_util.h"
#include "sts_xml.h"
#include "valid.h"

static void check_sts_answer(const struct sts_xml *x)
{
    FUZZ_CHECK(x->kind != STS_XML_NONE);
    if (x->kind == STS_XML_CREDENTIALS) {
        FUZZ_CHECK(par_valid_access_key_id(x->access_key_id));
        FUZZ_CHECK(par_valid_secret_key(x->secret_access_key));
        FUZZ_CHECK(par_valid_session_token(x->session_token));
        FUZZ_CHECK(par_valid_iso8601(x->expiration));
    }
    FUZZ_CHECK(fuzz_one_line(x->error_message));
    FUZZ_CHECK(fuzz_one_line(x->error_code));
    FUZZ_CHECK(x->request_id[0] == '\0' || par_valid_request_id(x->request_id));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sts_xml x;
    char why[256];

    memset(why, 'x', sizeof(why));
    if (sts_xml_parse((const char *)data, size, &x, why, sizeof(why)) == 0)
        check_sts_answer(&x);
    else
        FUZZ_CHECK(why[0] != '\0' && fuzz_one_line(why));
    FUZZ_CHECK(memchr(why, '\0', sizeof(why)) != NULL);
    sts_xml_free(&x);
    return 0;
}

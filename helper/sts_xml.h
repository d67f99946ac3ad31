/*
 * STS answers (AssumeRoleResponse, GetSessionTokenResponse,
 * GetCallerIdentityResponse, ErrorResponse) parsed with expat.
 *
 * Bounded: at most PAR_STS_XML_MAX bytes, element depth 16, every text
 * field capped; DOCTYPE / entity declarations refused (no expansion).
 * Credential values are trimmed of the whitespace AWS pretty-prints around
 * them, then checked against their character sets (common/valid.h).
 */
#ifndef PAR_STS_XML_H
#define PAR_STS_XML_H

#include <stddef.h>

#define PAR_STS_XML_MAX (256 * 1024)

enum sts_xml_kind {
    STS_XML_NONE = 0,
    STS_XML_CREDENTIALS,      /* AssumeRoleResponse or GetSessionTokenResponse */
    STS_XML_CALLER_IDENTITY,  /* GetCallerIdentityResponse */
    STS_XML_ERROR,            /* ErrorResponse */
};

struct sts_xml {
    enum sts_xml_kind kind;
    char request_id[65];
    /* Credentials */
    char access_key_id[129];
    char secret_access_key[129];
    char *session_token;          /* malloc'd, <= 4096; wiped by sts_xml_free */
    char expiration[33];          /* ISO 8601 as AWS sent it, e.g. 2026-11-29T12:00:00Z */
    char assumed_role_arn[2049];  /* AssumeRole only */
    char assumed_role_id[257];
    char source_identity[65];
    /* GetCallerIdentity */
    char arn[2049];
    char account[13];
    char user_id[257];
    /* ErrorResponse */
    char error_type[16];          /* Sender | Receiver */
    char error_code[65];
    char error_message[1025];
};

/*
 * Parses body. Returns 0 when it is a well-formed answer of one of the kinds
 * above with every required field present and valid; -1 otherwise, with a
 * short reason (no secret) in why.
 */
int sts_xml_parse(const char *body, size_t len, struct sts_xml *out,
                  char *why, size_t whylen);
/* Wipes the secrets and frees what the parse allocated. */
void sts_xml_free(struct sts_xml *x);

#endif

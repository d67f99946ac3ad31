/* Standard base64 (RFC 4648, "=" padding), strict: for the key store's
 * binary fields in common/ code, which links no OpenSSL. */
#ifndef PAR_BASE64_H
#define PAR_BASE64_H

#include <stddef.h>

/* The encoded length of LEN bytes, NUL not included. */
size_t par_b64_encoded_len(size_t len);
/* Encodes IN into OUT (NUL-terminated); the length written, or -1 when
 * OUT is too small. */
int par_b64_encode(const unsigned char *in, size_t len, char *out, size_t outlen);
/* Decodes exactly LEN characters of IN (no white space, canonical padding,
 * unused bits zero) into OUT: the number of bytes, or -1. */
int par_b64_decode(const char *in, size_t len, unsigned char *out, size_t outlen);

#endif

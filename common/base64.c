#include "base64.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t par_b64_encoded_len(size_t len)
{
    return (len + 2) / 3 * 4;
}

int par_b64_encode(const unsigned char *in, size_t len, char *out, size_t outlen)
{
    size_t o = 0;

    if (par_b64_encoded_len(len) >= outlen)
        return -1;
    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        size_t left = len - i;

        if (left > 1)
            v |= (unsigned)in[i + 1] << 8;
        if (left > 2)
            v |= in[i + 2];
        out[o++] = alphabet[(v >> 18) & 63];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = left > 1 ? alphabet[(v >> 6) & 63] : '=';
        out[o++] = left > 2 ? alphabet[v & 63] : '=';
    }
    out[o] = '\0';
    return (int)o;
}

static int sextet(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* One group of four characters; PAD is how many of them are '='. */
static int decode_group(const char *g, int pad, unsigned char *out)
{
    unsigned v = 0;

    for (int k = 0; k < 4; k++) {
        int s = k < 4 - pad ? sextet(g[k]) : (g[k] == '=' ? 0 : -1);

        if (s < 0)
            return -1;
        v = v << 6 | (unsigned)s;
    }
    /* Canonical: the bits a padded group does not use are zero. */
    if ((pad == 1 && (v & 0xff) != 0) || (pad == 2 && (v & 0xffff) != 0))
        return -1;
    out[0] = (unsigned char)(v >> 16);
    out[1] = (unsigned char)(v >> 8);
    out[2] = (unsigned char)v;
    return 3 - pad;
}

int par_b64_decode(const char *in, size_t len, unsigned char *out, size_t outlen)
{
    size_t o = 0;

    if (len % 4 != 0)
        return -1;
    for (size_t i = 0; i < len; i += 4) {
        unsigned char group[3];
        int pad = 0, n;

        if (i + 4 == len)
            pad = in[i + 3] != '=' ? 0 : (in[i + 2] == '=' ? 2 : 1);
        n = decode_group(in + i, pad, group);
        if (n < 0 || o + (size_t)n > outlen)
            return -1;
        for (int k = 0; k < n; k++)
            out[o++] = group[k];
        group[0] = group[1] = group[2] = 0;
    }
    return (int)o;
}

/* Building one signed STS request: the form body and the signed headers. */
#ifndef PAR_STS_REQUEST_H
#define PAR_STS_REQUEST_H

#include <stddef.h>
#include <curl/curl.h>
#include "sts.h"

/* AWS's URI encoding (RFC 3986 unreserved kept, the rest %XX). malloc'd. */
char *sts_uri_encode(const char *s);

/* The form body of CALL ("Action=...&Version=2011-06-15&..."), malloc'd;
 * it may hold the TOTP code: free with par_free_secret. */
char *sts_form_body(const struct sts_call *call);

/* host[:port] and path of an endpoint URL; -1 when the URL is not
 * https://HOST[:PORT][/PATH], or http:// to a loopback host. */
int sts_endpoint_parts(const char *url, char *host, size_t hostlen,
                       char *path, size_t pathlen);

/* The request headers, signed for the current time (curl_slist). */
struct curl_slist *sts_signed_headers(const struct sts_endpoint *ep,
                                      const struct sts_call *call,
                                      const char *host, const char *path,
                                      const char *body, long long now);

#endif

#include <curl/curl.h>
#include "http_tls.h"

int par_http_set_tls_and_proxy(CURL *easy, const struct sts_endpoint *ep)
{
    CURLcode rc = CURLE_OK;

    rc |= curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
    rc |= curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
    /* One file when configured; else the hashed folder, which loads only the
     * certificates it needs (the whole bundle file doubles a request's cost). */
    rc |= curl_easy_setopt(easy, CURLOPT_CAINFO, ep->ca_file);
    rc |= curl_easy_setopt(easy, CURLOPT_CAPATH,
                           ep->ca_file ? NULL : (ep->ca_path ? ep->ca_path : "/etc/ssl/certs"));
    /* "" disables proxies, the environment's included. */
    rc |= curl_easy_setopt(easy, CURLOPT_PROXY, ep->proxy ? ep->proxy : "");
#if LIBCURL_VERSION_NUM >= 0x075500
    rc |= curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "https,http");
#else
    rc |= curl_easy_setopt(easy, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTPS | CURLPROTO_HTTP));
#endif
    return rc == CURLE_OK ? 0 : -1;
}

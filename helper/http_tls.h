/*
 * The TLS and proxy rules every HTTPS request of the helper follows (STS,
 * the federation endpoint): verification on, the config's CA file or
 * folder, a proxy only from the config (never the environment), https, and
 * plain http only where the config check allowed it (loopback).
 */
#ifndef PAR_HTTP_TLS_H
#define PAR_HTTP_TLS_H

#include <curl/curl.h>
#include "sts.h"

/* Returns 0, or -1 when libcurl refused an option. */
int par_http_set_tls_and_proxy(CURL *easy, const struct sts_endpoint *ep);

#endif

/* One line per outcome of a getSigninToken request: what happened, what to do. */
#include <stdio.h>
#include "federation.h"
#include "valid.h"

static void describe_answer(const struct par_signin_request *r, const char *url,
                            char *out, size_t len)
{
    if (r->status == STS_ERR_SERVER)
        snprintf(out, len, "the sign-in endpoint %s had an internal error (HTTP %ld: %s): "
                 "AWS-side trouble, wait a minute and run 'pam-assume-role console' again",
                 url, r->http_status, r->detail);
    else if (r->status == STS_ERR_REFUSED)
        snprintf(out, len, "the sign-in endpoint %s refused the credentials (HTTP %ld: %s): "
                 "run 'pam-assume-role refresh' for new ones, then 'pam-assume-role console'",
                 url, r->http_status, r->detail);
    else if (r->status == STS_ERR_TOO_LARGE)
        snprintf(out, len, "the answer of %s was larger than %ld bytes: check that "
                 "signin_endpoint in the config points at the AWS federation endpoint",
                 url, r->ep->max_response_bytes);
    else
        snprintf(out, len, "the answer of %s could not be understood (%s): check that "
                 "signin_endpoint in the config points at the AWS federation endpoint",
                 url, r->detail);
}

static void describe_transport(const struct par_signin_request *r, const char *url,
                               char *out, size_t len)
{
    if (r->status == STS_ERR_TLS)
        snprintf(out, len, "the TLS certificate of %s could not be verified (%s): check "
                 "ca_file/ca_path in the config, or a TLS-intercepting proxy", url, r->detail);
    else if (r->status == STS_ERR_RESOLVE)
        snprintf(out, len, "cannot resolve the host of %s: check this host's DNS (or "
                 "signin_endpoint in the config), then run 'pam-assume-role console' again", url);
    else if (r->status == STS_ERR_CONNECT)
        snprintf(out, len, "cannot connect to %s (%s): check the network, firewall and the "
                 "'proxy' setting, then run 'pam-assume-role console' again", url, r->detail);
    else if (r->status == STS_ERR_TIMEOUT)
        snprintf(out, len, "no answer from %s in time: run 'pam-assume-role console' again; "
                 "if it persists, check the network or raise timeout_ms", url);
    else
        snprintf(out, len, "internal error talking to %s (%s): run 'pam-assume-role console' "
                 "again", url, r->detail);
}

void par_signin_describe(const struct par_signin_request *r, char *out, size_t len)
{
    const char *url = r->ep->url;

    if (r->status == STS_OK)
        snprintf(out, len, "ok");
    else if (r->status == STS_ERR_SERVER || r->status == STS_ERR_REFUSED ||
             r->status == STS_ERR_TOO_LARGE || r->status == STS_ERR_MALFORMED)
        describe_answer(r, url, out, len);
    else
        describe_transport(r, url, out, len);
    /* The endpoint's own text is in it, and it reaches terminals and syslog. */
    par_clean_line(out);
}

/* One line per outcome: what happened and what to do about it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sts.h"
#include "valid.h"

static const char *const status_names[] = {
    [STS_OK] = "ok",
    [STS_ERR_WRONG_CODE] = "wrong-code",
    [STS_ERR_REUSED_CODE] = "reused-code",
    [STS_ERR_MFA_SERIAL] = "mfa-serial",
    [STS_ERR_UNKNOWN_KEY] = "unknown-key",
    [STS_ERR_SIGNATURE] = "signature",
    [STS_ERR_CLOCK_SKEW] = "clock-skew",
    [STS_ERR_EXPIRED_TOKEN] = "expired-token",
    [STS_ERR_NOT_TRUSTED] = "not-trusted",
    [STS_ERR_CHAINING_LIMIT] = "chaining-limit",
    [STS_ERR_DURATION] = "duration",
    [STS_ERR_REGION_DISABLED] = "region-disabled",
    [STS_ERR_THROTTLED] = "throttled",
    [STS_ERR_SERVER] = "server-error",
    [STS_ERR_REFUSED] = "refused",
    [STS_ERR_TLS] = "tls",
    [STS_ERR_RESOLVE] = "resolve",
    [STS_ERR_CONNECT] = "connect",
    [STS_ERR_TIMEOUT] = "timeout",
    [STS_ERR_TOO_LARGE] = "too-large",
    [STS_ERR_MALFORMED] = "malformed",
    [STS_ERR_INTERNAL] = "internal",
};

const char *sts_status_name(enum sts_status st)
{
    if ((size_t)st < sizeof(status_names) / sizeof(status_names[0]) && status_names[st])
        return status_names[st];
    return "unknown";
}

static void describe_skew(const struct sts_call *c, char *out, size_t len)
{
    long s = labs(c->skew_seconds);

    if (c->skew_seconds == 0) {
        snprintf(out, len, "AWS says this host's clock is wrong (signature expired): "
                 "fix the time sync (chrony, timedatectl) and try again");
        return;
    }
    snprintf(out, len, "this host's clock is %ld min %ld s %s AWS's: AWS refuses requests "
             "off by more than 5 min; fix the time sync (chrony, timedatectl) and try again",
             s / 60, s % 60, c->skew_seconds > 0 ? "behind" : "ahead of");
}

static void describe_aws(const struct sts_call *c, char *out, size_t len)
{
    const char *role = c->role_arn ? c->role_arn : "the role";
    const char *serial = c->serial_number ? c->serial_number : "(none)";

    switch (c->status) {
    case STS_ERR_WRONG_CODE:
        snprintf(out, len, "AWS refused the MFA code (wrong, or already used: each code works "
                 "once): wait for the next code and run 'pam-assume-role refresh'");
        break;
    case STS_ERR_REUSED_CODE:
        snprintf(out, len, "this MFA code was already used and AWS accepts each code once: wait "
                 "for the next code and run 'pam-assume-role refresh'");
        break;
    case STS_ERR_MFA_SERIAL:
        snprintf(out, len, "AWS could not validate the code against MFA device %s: check that "
                 "mfa_serial names your own MFA device (~/.aws/config or the system config)", serial);
        break;
    case STS_ERR_UNKNOWN_KEY:
        snprintf(out, len, "AWS does not know access key %.4s... or it is inactive: create a new "
                 "access key in the IAM console and put it in ~/.aws/credentials",
                 c->access_key_id ? c->access_key_id : "");
        break;
    case STS_ERR_SIGNATURE:
        snprintf(out, len, "AWS rejected the request signature: check aws_secret_access_key "
                 "in ~/.aws/credentials (it must belong to access key %.4s...)",
                 c->access_key_id ? c->access_key_id : "");
        break;
    case STS_ERR_EXPIRED_TOKEN:
        snprintf(out, len, "the signing credentials have expired: put long-term access keys "
                 "(no aws_session_token) in ~/.aws/credentials, or log in again");
        break;
    case STS_ERR_NOT_TRUSTED:
        snprintf(out, len, "%s does not trust your IAM user (or requires MFA): ask the account "
                 "admin to add you to the role's trust policy", role);
        break;
    case STS_ERR_CHAINING_LIMIT:
        snprintf(out, len, "%s was asked for %ld s but role sessions chained from an MFA "
                 "session last at most 3600 s: set duration = 3600 for this environment",
                 role, c->duration);
        break;
    case STS_ERR_DURATION:
        snprintf(out, len, "%ld s is more than the maximum session duration of %s: lower "
                 "'duration' for this environment or raise the role's MaxSessionDuration",
                 c->duration, role);
        break;
    case STS_ERR_REGION_DISABLED:
        snprintf(out, len, "STS is not activated in this region for the account: set another "
                 "'region' in the config, or ask the account admin to activate it");
        break;
    case STS_ERR_THROTTLED:
        snprintf(out, len, "AWS is throttling STS requests: wait a minute and run "
                 "'pam-assume-role refresh'");
        break;
    default:
        snprintf(out, len, "AWS refused the request (%s: %.200s): check the role and your IAM "
                 "user's permissions", c->xml.error_code, c->xml.error_message);
        break;
    }
}

static void describe_transport(const struct sts_call *c, const struct sts_endpoint *ep,
                               char *out, size_t len)
{
    switch (c->status) {
    case STS_ERR_SERVER:
        snprintf(out, len, "STS at %s had an internal error (%s): AWS-side trouble, wait a "
                 "minute and run 'pam-assume-role refresh'", ep->url, c->detail);
        break;
    case STS_ERR_TLS:
        snprintf(out, len, "the TLS certificate of %s could not be verified (%s): check "
                 "ca_file/ca_path in the config, or a TLS-intercepting proxy", ep->url, c->detail);
        break;
    case STS_ERR_RESOLVE:
        snprintf(out, len, "cannot resolve the host of %s: check this host's DNS (or "
                 "sts_endpoint in the config), then run 'pam-assume-role refresh'", ep->url);
        break;
    case STS_ERR_CONNECT:
        snprintf(out, len, "cannot connect to %s (%s): check the network, firewall and the "
                 "'proxy' setting, then run 'pam-assume-role refresh'", ep->url, c->detail);
        break;
    case STS_ERR_TIMEOUT:
        snprintf(out, len, "no answer from %s in time: run 'pam-assume-role refresh' to try "
                 "again; if it persists, check the network or raise timeout_ms", ep->url);
        break;
    case STS_ERR_TOO_LARGE:
        snprintf(out, len, "the answer of %s was larger than %ld bytes: check that "
                 "sts_endpoint points at AWS STS", ep->url, ep->max_response_bytes);
        break;
    case STS_ERR_MALFORMED:
        snprintf(out, len, "the answer of %s could not be understood (%s): check that "
                 "sts_endpoint points at AWS STS", ep->url, c->detail);
        break;
    default:
        snprintf(out, len, "internal error talking to %s: see syslog, run with 'debug'", ep->url);
        break;
    }
}

void sts_describe(const struct sts_call *c, const struct sts_endpoint *ep,
                  char *out, size_t len)
{
    if (c->status == STS_OK)
        snprintf(out, len, "ok");
    else if (c->status == STS_ERR_CLOCK_SKEW)
        describe_skew(c, out, len);
    else if (c->status >= STS_ERR_WRONG_CODE && c->status <= STS_ERR_REFUSED &&
             c->status != STS_ERR_SERVER)
        describe_aws(c, out, len);
    else
        describe_transport(c, ep, out, len);
    /* STS's own text is in it, and it reaches terminals and syslog. */
    par_clean_line(out);
}

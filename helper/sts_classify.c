#include <stdio.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include "sts_classify.h"

enum sts_status sts_status_from_curl(const struct sts_answer *a)
{
    switch ((CURLcode)a->curl_result) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        return STS_ERR_RESOLVE;
    case CURLE_COULDNT_CONNECT:
        return STS_ERR_CONNECT;
    case CURLE_OPERATION_TIMEDOUT:
        return STS_ERR_TIMEOUT;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        return STS_ERR_TLS;
    case CURLE_FILESIZE_EXCEEDED:
        return STS_ERR_TOO_LARGE;
    case CURLE_WRITE_ERROR:
        return a->too_large ? STS_ERR_TOO_LARGE : STS_ERR_INTERNAL;
    case CURLE_OUT_OF_MEMORY:
        return STS_ERR_INTERNAL;
    default:
        /* Connection reset, empty reply, partial body, receive errors. */
        return a->request_sent ? STS_ERR_MALFORMED : STS_ERR_CONNECT;
    }
}

static int has(const char *hay, const char *needle)
{
    return strstr(hay, needle) != NULL;
}

/* The AWS error code and message of an ErrorResponse, as a status. */
static enum sts_status from_aws_error(const struct sts_xml *x, long http)
{
    const char *code = x->error_code, *msg = x->error_message;

    if (strcmp(code, "AccessDenied") == 0) {
        if (has(msg, "MultiFactorAuthentication failed with invalid MFA one time pass code"))
            return STS_ERR_WRONG_CODE;
        if (has(msg, "already been used") || has(msg, "already used"))
            return STS_ERR_REUSED_CODE;
        if (has(msg, "MultiFactorAuthentication failed") || has(msg, "MFA serial"))
            return STS_ERR_MFA_SERIAL;
        if (has(msg, "is not authorized to perform: sts:AssumeRole"))
            return STS_ERR_NOT_TRUSTED;
        return STS_ERR_REFUSED;
    }
    if (strcmp(code, "InvalidClientTokenId") == 0)
        return STS_ERR_UNKNOWN_KEY;
    if (strcmp(code, "SignatureDoesNotMatch") == 0)
        return (has(msg, "Signature expired") || has(msg, "not yet current"))
                   ? STS_ERR_CLOCK_SKEW : STS_ERR_SIGNATURE;
    if (strcmp(code, "ExpiredToken") == 0)
        return STS_ERR_EXPIRED_TOKEN;
    if (strcmp(code, "RegionDisabledException") == 0)
        return STS_ERR_REGION_DISABLED;
    if (strcmp(code, "Throttling") == 0 || strcmp(code, "ThrottlingException") == 0 ||
        strcmp(code, "RequestLimitExceeded") == 0)
        return STS_ERR_THROTTLED;
    if (strcmp(code, "ValidationError") == 0 && has(msg, "role chaining"))
        return STS_ERR_CHAINING_LIMIT;
    if (strcmp(code, "ValidationError") == 0 && has(msg, "MaxSessionDuration"))
        return STS_ERR_DURATION;
    if (http >= 500)
        return STS_ERR_SERVER;
    return STS_ERR_REFUSED;
}

static void note_skew(struct sts_call *call, const char *date)
{
    time_t server;

    if (date == NULL || date[0] == '\0')
        return;
    server = curl_getdate(date, NULL);
    if (server != (time_t)-1)
        call->skew_seconds = (long)(server - time(NULL));
}

/* Credentials must outlive the answer: one that says otherwise is broken. */
static int expires_in_future(const char *iso)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    if (strptime(iso, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
        return 0;
    return timegm(&tm) > time(NULL);
}

static void classify_body(struct sts_call *call, const struct sts_answer *a)
{
    char why[128] = "";
    int parsed = sts_xml_parse(a->body ? a->body : "", a->body_len, &call->xml,
                               why, sizeof(why));

    if (parsed == 0 && call->xml.kind == STS_XML_ERROR) {
        call->status = from_aws_error(&call->xml, a->http_status);
        snprintf(call->detail, sizeof(call->detail), "%s", call->xml.error_code);
        return;
    }
    if (a->http_status >= 500) {
        call->status = STS_ERR_SERVER;
        snprintf(call->detail, sizeof(call->detail), "HTTP %ld", a->http_status);
        return;
    }
    if (parsed != 0 || a->http_status != 200) {
        call->status = STS_ERR_MALFORMED;
        snprintf(call->detail, sizeof(call->detail), "HTTP %ld, %s", a->http_status,
                 parsed != 0 ? why : "unexpected status");
        return;
    }
    if ((call->action == STS_GET_CALLER_IDENTITY) != (call->xml.kind == STS_XML_CALLER_IDENTITY)) {
        call->status = STS_ERR_MALFORMED;
        snprintf(call->detail, sizeof(call->detail), "answer of the wrong kind");
        return;
    }
    if (call->xml.kind == STS_XML_CREDENTIALS && !expires_in_future(call->xml.expiration)) {
        call->status = STS_ERR_MALFORMED;
        snprintf(call->detail, sizeof(call->detail), "credentials that expired already (%s)",
                 call->xml.expiration);
        return;
    }
    call->status = STS_OK;
}

void sts_classify(struct sts_call *call, const struct sts_answer *a)
{
    call->skew_seconds = 0;
    call->detail[0] = '\0';
    note_skew(call, a->server_date);
    if (a->curl_result != CURLE_OK) {
        call->status = sts_status_from_curl(a);
        snprintf(call->detail, sizeof(call->detail), "%s",
                 curl_easy_strerror((CURLcode)a->curl_result));
        return;
    }
    classify_body(call, a);
}

int sts_should_retry(const struct sts_call *call, const struct sts_answer *a)
{
    /* Nothing left this host: nothing can have been consumed. */
    if (!a->request_sent && (call->status == STS_ERR_CONNECT || call->status == STS_ERR_RESOLVE))
        return 1;
    /* A throttled request was refused before it was looked at. */
    if (call->status == STS_ERR_THROTTLED)
        return 1;
    /* AWS may have consumed the code in a 5xx or a dropped answer. */
    if (call->token_code != NULL)
        return 0;
    return call->status == STS_ERR_SERVER;
}

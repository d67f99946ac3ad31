/* Turning a finished STS attempt into an sts_status, and the retry policy. */
#ifndef PAR_STS_CLASSIFY_H
#define PAR_STS_CLASSIFY_H

#include <stddef.h>
#include "sts.h"

struct sts_answer {
    int curl_result;           /* CURLcode */
    long http_status;
    int too_large;             /* the body passed max_response_bytes */
    int request_sent;          /* any byte of the request left this host */
    const char *body;
    size_t body_len;
    const char *server_date;   /* the Date header, "" when none */
};

/* What a failed transfer (a->curl_result not CURLE_OK) means. */
enum sts_status sts_status_from_curl(const struct sts_answer *a);

/* Sets call->status, ->xml, ->skew_seconds and ->detail. */
void sts_classify(struct sts_call *call, const struct sts_answer *a);

/* True when sending the same request again is safe and may help. */
int sts_should_retry(const struct sts_call *call, const struct sts_answer *a);

#endif

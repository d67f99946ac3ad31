#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/random.h>
#include <curl/curl.h>
#include "http_tls.h"
#include "proctime.h"
#include "sts.h"
#include "sts_classify.h"
#include "sts_request.h"
#include "wipe.h"

#define USER_AGENT "pam_assume_role/" PAR_VERSION
#define MAX_ATTEMPTS 4

/* What one call needs while it is on the wire. */
struct transfer {
    struct sts_call *call;
    CURL *easy;
    struct curl_slist *headers;
    char *body;                 /* form body: may hold the code */
    char *resp;                 /* answer body */
    size_t resp_len, resp_cap;
    long max_bytes;
    int too_large;
    char date[64];              /* the server's Date header */
    long long retry_at_ms;      /* 0: not waiting for a retry */
    int done;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    struct transfer *t = userp;
    size_t n = size * nmemb;

    if (t->resp_len + n > (size_t)t->max_bytes) {
        t->too_large = 1;
        return 0;
    }
    if (t->resp_len + n + 1 > t->resp_cap) {
        size_t cap = (t->resp_len + n + 1) * 2;
        char *p;

        if (cap > (size_t)t->max_bytes + 1)
            cap = (size_t)t->max_bytes + 1;
        if ((p = realloc(t->resp, cap)) == NULL)
            return 0;
        t->resp = p;
        t->resp_cap = cap;
    }
    memcpy(t->resp + t->resp_len, data, n);
    t->resp_len += n;
    t->resp[t->resp_len] = '\0';
    return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
    struct transfer *t = userp;
    size_t n = size * nmemb;

    if (n > 5 && strncasecmp(data, "date:", 5) == 0) {
        size_t len = n - 5;
        const char *v = data + 5;

        while (len > 0 && (*v == ' ' || *v == '\t'))
            v++, len--;
        while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
            len--;
        if (len < sizeof(t->date)) {
            memcpy(t->date, v, len);
            t->date[len] = '\0';
        }
    }
    return n;
}

static int setup_easy(struct transfer *t, const struct sts_endpoint *ep, long budget_ms)
{
    CURL *e = t->easy;
    CURLcode rc = CURLE_OK;

    rc |= curl_easy_setopt(e, CURLOPT_URL, ep->url);
    rc |= curl_easy_setopt(e, CURLOPT_POST, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->body);
    rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(t->body));
    rc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    rc |= curl_easy_setopt(e, CURLOPT_USERAGENT, USER_AGENT);
    rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    rc |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    rc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ep->connect_timeout_ms);
    rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, budget_ms);
    rc |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)ep->max_response_bytes);
    rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
    rc |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    rc |= curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
    rc |= curl_easy_setopt(e, CURLOPT_PRIVATE, t);
    if (rc != CURLE_OK)
        return -1;
    return par_http_set_tls_and_proxy(e, ep);
}

/* Signs and starts one attempt of T; -1 when it could not be started. */
static int start_attempt(CURLM *multi, struct transfer *t, const struct sts_endpoint *ep,
                         long long deadline)
{
    char host[256], path[256];
    long budget = (long)(deadline - par_now_ms());

    if (budget <= 0)
        return -1;
    if (sts_endpoint_parts(ep->url, host, sizeof(host), path, sizeof(path)) != 0)
        return -1;
    curl_slist_free_all(t->headers);
    t->headers = sts_signed_headers(ep, t->call, host, path, t->body, (long long)time(NULL));
    if (t->headers == NULL)
        return -1;
    t->resp_len = 0;
    t->too_large = 0;
    t->date[0] = '\0';
    t->retry_at_ms = 0;
    if (t->easy == NULL && (t->easy = curl_easy_init()) == NULL)
        return -1;
    curl_easy_reset(t->easy);
    if (setup_easy(t, ep, budget) != 0)
        return -1;
    t->call->attempts++;
    return curl_multi_add_handle(multi, t->easy) == CURLM_OK ? 0 : -1;
}

static long backoff_ms(int attempt)
{
    unsigned int r = 0;
    long base = 100L << (attempt < 5 ? attempt : 5);

    if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
        r = (unsigned int)par_now_ms();
    return base / 2 + (long)(r % (unsigned int)base);   /* jitter: [base/2, 1.5 base) */
}

/* Takes the finished transfer's result; schedules a retry when safe. */
static void finish_attempt(struct transfer *t, CURLcode result, long long deadline)
{
    struct sts_call *c = t->call;
    struct sts_answer a = {
        .curl_result = (int)result, .too_large = t->too_large,
        .body = t->resp, .body_len = t->resp_len, .server_date = t->date,
    };
    curl_off_t sent = 0;

    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &c->http_status);
    curl_easy_getinfo(t->easy, CURLINFO_REQUEST_SIZE, &sent);
    a.http_status = c->http_status;
    a.request_sent = sent > 0;
    sts_xml_free(&c->xml);
    sts_classify(c, &a);
    if (t->resp != NULL)
        par_wipe(t->resp, t->resp_cap);
    if (sts_should_retry(c, &a) && c->attempts < MAX_ATTEMPTS) {
        long long at = par_now_ms() + backoff_ms(c->attempts);

        if (at + 200 < deadline) {
            t->retry_at_ms = at;
            return;
        }
    }
    t->done = 1;
}

static void drain_messages(CURLM *multi, long long deadline)
{
    CURLMsg *msg;
    int left;

    while ((msg = curl_multi_info_read(multi, &left)) != NULL) {
        struct transfer *t = NULL;

        if (msg->msg != CURLMSG_DONE)
            continue;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
        curl_multi_remove_handle(multi, msg->easy_handle);
        if (t != NULL)
            finish_attempt(t, msg->data.result, deadline);
    }
}

/* Starts due retries; returns the ms until the next one (or -1 for none). */
static long start_due_retries(CURLM *multi, struct transfer *ts, size_t n,
                              const struct sts_endpoint *ep, long long deadline)
{
    long long now = par_now_ms(), next = -1;

    for (size_t i = 0; i < n; i++) {
        struct transfer *t = &ts[i];

        if (t->done || t->retry_at_ms == 0)
            continue;
        if (t->retry_at_ms <= now) {
            if (start_attempt(multi, t, ep, deadline) != 0)
                t->done = 1;
        } else if (next < 0 || t->retry_at_ms - now < next) {
            next = t->retry_at_ms - now;
        }
    }
    return (long)next;
}

static size_t count_running(const struct transfer *ts, size_t n)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++)
        k += !ts[i].done;
    return k;
}

static void run_loop(CURLM *multi, struct transfer *ts, size_t n,
                     const struct sts_endpoint *ep, long long deadline)
{
    int running = 0;

    while (count_running(ts, n) > 0) {
        long long now = par_now_ms();
        long wait, next;

        if (now >= deadline)
            break;
        next = start_due_retries(multi, ts, n, ep, deadline);
        curl_multi_perform(multi, &running);
        drain_messages(multi, deadline);
        if (count_running(ts, n) == 0)
            break;
        wait = (long)(deadline - par_now_ms());
        if (next >= 0 && next < wait)
            wait = next;
        if (wait > 200)
            wait = 200;
        if (wait > 0)
            curl_multi_poll(multi, NULL, 0, (int)wait, NULL);
    }
}

static void release_transfer(CURLM *multi, struct transfer *t, int timed_out)
{
    if (timed_out && !t->done && t->retry_at_ms == 0) {
        t->call->status = STS_ERR_TIMEOUT;
        snprintf(t->call->detail, sizeof(t->call->detail), "no complete answer");
    }
    if (t->easy != NULL) {
        curl_multi_remove_handle(multi, t->easy);
        curl_easy_cleanup(t->easy);
    }
    curl_slist_free_all(t->headers);
    par_free_secret(t->body);
    if (t->resp != NULL)
        par_wipe(t->resp, t->resp_cap);
    free(t->resp);
}

int sts_perform(const struct sts_endpoint *ep, struct sts_call *calls, size_t n,
                long timeout_ms)
{
    long long deadline = par_now_ms() + timeout_ms;
    struct transfer *ts = calloc(n ? n : 1, sizeof(*ts));
    CURLM *multi = curl_multi_init();
    int rc = 0;

    for (size_t i = 0; i < n; i++) {
        memset(&calls[i].xml, 0, sizeof(calls[i].xml));
        calls[i].status = STS_ERR_INTERNAL;
        calls[i].attempts = 0;
        calls[i].detail[0] = '\0';
    }
    if (ts == NULL || multi == NULL) {
        free(ts);
        if (multi != NULL)
            curl_multi_cleanup(multi);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        ts[i].call = &calls[i];
        ts[i].max_bytes = ep->max_response_bytes > 0 ? ep->max_response_bytes : 65536;
        ts[i].body = sts_form_body(&calls[i]);
        if (ts[i].body == NULL || start_attempt(multi, &ts[i], ep, deadline) != 0)
            ts[i].done = 1;
    }
    run_loop(multi, ts, n, ep, deadline);
    for (size_t i = 0; i < n; i++) {
        release_transfer(multi, &ts[i], 1);
        if (calls[i].status != STS_OK)
            rc = -1;
    }
    curl_multi_cleanup(multi);
    free(ts);
    return rc;
}

void sts_call_free(struct sts_call *call)
{
    sts_xml_free(&call->xml);
}

int sts_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void sts_global_cleanup(void)
{
    curl_global_cleanup();
}

/* prom_http.c -- one API request: POST, retries, and turning whatever came
 * back (an answer, an HTTP error, a transport failure) into a result or a
 * clear error. */
#include "prom/prom_http.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/dynbuf.h"
#include "base/log.h"
#include "kube/kube_retry.h"
#include "prom/prom_plan.h"

#define PROM_USER_AGENT "snug/0.1"
#define HEAD_MAX        120 /* bytes of an unexpected answer quoted in messages */

/* One attempt's outcome. */
typedef struct attempt {
    dynbuf body;
    long code; /* HTTP status, 0 if none */
    long retry_after;
    CURLcode rc;
    long os_errno;
    snug_status sink_st; /* why the body was refused (TOO_BIG, NOMEM) */
    bool aborted;        /* abort seen while waiting to retry */
    char errbuf[CURL_ERROR_SIZE];
} attempt;

typedef struct http_ctx {
    prom_client *c;
    CURL *h;
    const prom_call *call;
    char url[PROM_URL_MAX + 64];
    char q[256]; /* the query, brief */
    prom_creds creds;
    unsigned seed; /* jitter */
    int attempts;
} http_ctx;

/* ---- curl callbacks ---------------------------------------------------------------- */

static size_t write_cb(char *data, size_t size, size_t nmemb, void *ud)
{
    attempt *a = ud;
    size_t n = size * nmemb;
    snug_status st = dynbuf_add(&a->body, data, n);

    if (st != SNUG_OK) {
        a->sink_st = st;
        return 0;
    }
    return n;
}

static int xferinfo_cb(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return prom_client_aborted(ud) ? 1 : 0;
}

/* ---- one attempt ------------------------------------------------------------------- */

static snug_status add_header(struct curl_slist **list, const char *prefix, const char *value)
{
    dynbuf b;
    struct curl_slist *n = NULL;
    snug_status st;

    dynbuf_init(&b, PROM_CREDENTIAL_FILE_MAX + PROM_HEADER_MAX);
    st = dynbuf_addstr(&b, prefix);
    if (st == SNUG_OK && value != NULL)
        st = dynbuf_addstr(&b, value);
    if (st == SNUG_OK)
        n = curl_slist_append(*list, dynbuf_str(&b));
    if (st == SNUG_OK && n == NULL)
        st = SNUG_ERR_NOMEM;
    if (n != NULL)
        *list = n;
    if (b.buf != NULL)
        explicit_bzero(b.buf, b.cap); /* may hold the token */
    dynbuf_free(&b);
    return st;
}

static snug_status build_headers(http_ctx *x, struct curl_slist **out)
{
    struct curl_slist *h = NULL;
    snug_status st = add_header(&h, "Content-Type: application/x-www-form-urlencoded", NULL);
    size_t i;

    if (st == SNUG_OK)
        st = add_header(&h, "Accept: application/json", NULL);
    if (st == SNUG_OK)
        st = add_header(&h, "Expect:", NULL); /* no 100-continue round trip for long forms */
    if (st == SNUG_OK && x->creds.token != NULL)
        st = add_header(&h, "Authorization: Bearer ", x->creds.token);
    for (i = 0; st == SNUG_OK && i < x->c->n_headers; i++)
        st = add_header(&h, x->c->headers[i], NULL);
    if (st != SNUG_OK) {
        curl_slist_free_all(h);
        return st;
    }
    *out = h;
    return SNUG_OK;
}

static void set_tls(http_ctx *x)
{
    const prom_client *c = x->c;

    if (c->cfg.insecure_skip_verify) {
        curl_easy_setopt(x->h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(x->h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (c->ca_file != NULL)
        curl_easy_setopt(x->h, CURLOPT_CAINFO, c->ca_file);
    if (c->client_cert != NULL) {
        curl_easy_setopt(x->h, CURLOPT_SSLCERT, c->client_cert);
        curl_easy_setopt(x->h, CURLOPT_SSLKEY, c->client_key);
    }
}

static void set_options(http_ctx *x, attempt *a, struct curl_slist *headers)
{
    CURL *h = x->h;
    long timeout = x->c->cfg.timeout_ms;

    curl_easy_reset(h); /* keeps the connection */
    curl_easy_setopt(h, CURLOPT_URL, x->url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_USERAGENT, PROM_USER_AGENT);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, x->call->form);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(x->call->form));
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, ""); /* gzip when the server offers it */
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, a->errbuf);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     timeout < PROM_CONNECT_TIMEOUT_MS ? timeout : (long)PROM_CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, x->c);
    if (x->c->basic_user != NULL) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, x->c->basic_user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, x->creds.password);
    }
    set_tls(x);
}

/* One exchange; fails only when the request could not be built. */
static snug_status perform(http_ctx *x, attempt *a, snug_err *err)
{
    struct curl_slist *headers = NULL;
    curl_off_t after = 0;
    snug_status st;

    prom_creds_clear(&x->creds);
    st = prom_creds_get(x->c, &x->creds, err);
    if (st == SNUG_OK && build_headers(x, &headers) != SNUG_OK)
        st = snug_err_set(err, SNUG_ERR_NOMEM, "POST %s: query %s: out of memory", x->url, x->q);
    if (st != SNUG_OK)
        return st;
    dynbuf_reset(&a->body);
    a->code = a->os_errno = a->retry_after = 0;
    a->sink_st = SNUG_OK;
    a->errbuf[0] = '\0';
    set_options(x, a, headers);
    a->rc = curl_easy_perform(x->h);
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &a->code);
    curl_easy_getinfo(x->h, CURLINFO_OS_ERRNO, &a->os_errno);
    if (curl_easy_getinfo(x->h, CURLINFO_RETRY_AFTER, &after) == CURLE_OK && after > 0)
        a->retry_after = (long)after;
    curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);
    x->attempts++;
    prom_stat_add(x->c, &x->c->stats.bytes_read, a->body.len);
    return SNUG_OK;
}

/* ---- the retry loop ---------------------------------------------------------------- */

static bool curl_retryable(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
        return true;
    default:
        return false;
    }
}

static bool retryable(const attempt *a)
{
    if (a->rc != CURLE_OK)
        return curl_retryable(a->rc);
    return prom_http_retryable(a->code);
}

/* Sleep `ms` in slices, false as soon as the client is aborted. */
static bool wait_abortable(const prom_client *c, long ms)
{
    int64_t end = kube_mono_ms() + ms;

    for (;;) {
        int64_t left = end - kube_mono_ms();
        struct timespec ts;

        if (prom_client_aborted(c))
            return false;
        if (left <= 0)
            return true;
        if (left > 50)
            left = 50;
        ts.tv_sec = 0;
        ts.tv_nsec = (long)left * 1000000L;
        nanosleep(&ts, NULL);
    }
}

static void log_retry(const http_ctx *x, const attempt *a, long delay_ms)
{
    char why[64], ms[32];

    if (a->rc != CURLE_OK)
        snprintf(why, sizeof(why), "%s", curl_easy_strerror(a->rc));
    else
        snprintf(why, sizeof(why), "HTTP %ld", a->code);
    snprintf(ms, sizeof(ms), "%ld", delay_ms);
    snug_log(LOG_INFO, "prom", "retrying a Prometheus request", "url", x->url, "query", x->q,
             "reason", why, "delay_ms", ms, NULL);
}

/* Whether to go again after attempt number `n` (0-based); waits first. */
static bool again(http_ctx *x, attempt *a, int n, bool *auth_retried)
{
    long delay;

    if (a->rc == CURLE_OK && (a->code == 401 || a->code == 403) && !*auth_retried &&
        prom_creds_rotated(x->c, &x->creds)) {
        *auth_retried = true;
        snug_log(LOG_INFO, "prom", "credentials changed after a refusal; retrying", "url", x->url,
                 NULL);
        return true;
    }
    if (n >= x->c->cfg.max_retries || !retryable(a) || prom_client_aborted(x->c))
        return false;
    delay = prom_retry_delay_ms((unsigned)n, a->retry_after, (double)rand_r(&x->seed) / RAND_MAX);
    log_retry(x, a, delay);
    if (!wait_abortable(x->c, delay)) {
        a->aborted = true;
        return false;
    }
    return true;
}

/* ---- outcomes ---------------------------------------------------------------------- */

/* The first bytes of the body, printable, for a message. */
static void body_head(const attempt *a, char *buf, size_t cap)
{
    size_t i, n = a->body.len < HEAD_MAX ? a->body.len : HEAD_MAX;

    if (cap <= n + 4)
        n = cap > 4 ? cap - 4 : 0;
    for (i = 0; i < n; i++) {
        unsigned char b = (unsigned char)a->body.buf[i];

        buf[i] = b < 0x20 || b >= 0x7f ? ' ' : (char)b;
    }
    snprintf(buf + n, cap - n, "%s", a->body.len > n ? "..." : "");
    if (a->body.len == 0)
        snprintf(buf, cap, "empty answer");
}

static snug_status fail_as(http_ctx *x, prom_fail kind, prom_fail *fail, uint64_t *counter,
                           snug_status st)
{
    *fail = kind;
    prom_stat_add(x->c, counter, 1);
    return st;
}

/* What a curl failure means: status, kind, counter and the message's words
 * (curl's own detail follows them in parentheses). */
typedef struct curl_failure {
    snug_status st;
    prom_fail kind;
    bool timeout; /* counted as errors_timeout, else errors_transport */
    const char *words;
} curl_failure;

static curl_failure classify_curl(const attempt *a)
{
    switch (a->rc) {
    case CURLE_OPERATION_TIMEDOUT:
        return (curl_failure){SNUG_ERR_TIMEOUT, PROM_FAIL_TRANSPORT, true, "timeout"};
    case CURLE_COULDNT_CONNECT:
        if (a->os_errno == ECONNREFUSED)
            return (curl_failure){SNUG_ERR_IO, PROM_FAIL_FATAL, false, "connection refused"};
        return (curl_failure){SNUG_ERR_IO, PROM_FAIL_FATAL, false, "cannot connect"};
    case CURLE_COULDNT_RESOLVE_HOST:
        return (curl_failure){SNUG_ERR_IO, PROM_FAIL_FATAL, false, "cannot resolve the host"};
    case CURLE_GOT_NOTHING:
        return (curl_failure){SNUG_ERR_IO, PROM_FAIL_TRANSPORT, false,
                              "the server closed the connection without answering"};
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_PARTIAL_FILE:
        return (curl_failure){SNUG_ERR_IO, PROM_FAIL_TRANSPORT, false, "connection lost"};
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
        return (curl_failure){SNUG_ERR_TLS, PROM_FAIL_FATAL, false, "TLS"};
    default:
        return (curl_failure){SNUG_ERR_IO, PROM_FAIL_TRANSPORT, false, "transfer failed"};
    }
}

static snug_status transport_failure(http_ctx *x, const attempt *a, prom_fail *fail, snug_err *err)
{
    prom_stats *s = &x->c->stats;
    const char *detail = a->errbuf[0] ? a->errbuf : curl_easy_strerror(a->rc);
    curl_failure f;
    char what[CURL_ERROR_SIZE + 96];

    if (a->rc == CURLE_ABORTED_BY_CALLBACK || a->aborted)
        return fail_as(x, PROM_FAIL_FATAL, fail, &s->errors_transport,
                       snug_err_set(err, SNUG_ERR_IO, "POST %s: query %s: aborted", x->url, x->q));
    if (a->rc == CURLE_WRITE_ERROR && a->sink_st == SNUG_ERR_TOO_BIG)
        return fail_as(x, PROM_FAIL_QUERY, fail, &s->errors_parse,
                       snug_err_set(err, SNUG_ERR_TOO_BIG,
                                    "POST %s: query %s: answer larger than %zu bytes "
                                    "(max_response_bytes)",
                                    x->url, x->q, x->c->cfg.max_response_bytes));
    if (a->rc == CURLE_WRITE_ERROR)
        return fail_as(
            x, PROM_FAIL_FATAL, fail, &s->errors_transport,
            snug_err_set(err, SNUG_ERR_NOMEM, "POST %s: query %s: out of memory", x->url, x->q));
    f = classify_curl(a);
    snprintf(what, sizeof(what), "%s (%s)", f.words, detail);
    if (f.timeout)
        return fail_as(x, f.kind, fail, &s->errors_timeout,
                       snug_err_set(err, f.st, "POST %s: query %s: no answer within %d ms, %s",
                                    x->url, x->q, x->c->cfg.timeout_ms, what));
    return fail_as(x, f.kind, fail, &s->errors_transport,
                   snug_err_set(err, f.st, "POST %s: query %s: %s", x->url, x->q, what));
}

/* A non-2xx answer that is not a Prometheus error. */
static snug_status http_failure(http_ctx *x, const attempt *a, prom_fail *fail, snug_err *err)
{
    prom_stats *s = &x->c->stats;
    char head[HEAD_MAX + 8];
    char *loc = NULL;

    body_head(a, head, sizeof(head));
    if (a->code == 401 || a->code == 403)
        return fail_as(x, PROM_FAIL_FATAL, fail, &s->errors_http,
                       snug_err_set(err, SNUG_ERR_UNAUTHORIZED,
                                    "POST %s: HTTP %ld: query %s: credentials refused: %s", x->url,
                                    a->code, x->q, head));
    if (a->code == 404)
        return fail_as(x, PROM_FAIL_FATAL, fail, &s->errors_http,
                       snug_err_set(err, SNUG_ERR_NOT_FOUND,
                                    "POST %s: HTTP 404: query %s: no Prometheus API at this URL "
                                    "(check the path prefix): %s",
                                    x->url, x->q, head));
    if (a->code >= 300 && a->code < 400) {
        curl_easy_getinfo(x->h, CURLINFO_REDIRECT_URL, &loc);
        return fail_as(x, PROM_FAIL_FATAL, fail, &s->errors_http,
                       snug_err_set(err, SNUG_ERR_HTTP,
                                    "POST %s: HTTP %ld: query %s: redirected to %.200s (redirects "
                                    "are not followed; give the final URL)",
                                    x->url, a->code, x->q, loc != NULL ? loc : "(no Location)"));
    }
    return fail_as(x, PROM_FAIL_TRANSPORT, fail, &s->errors_http,
                   snug_err_set(err, SNUG_ERR_HTTP, "POST %s: HTTP %ld: query %s: %s", x->url,
                                a->code, x->q, head));
}

/* An HTTP answer: parse it, whatever its status (Prometheus sends its
 * error JSON with 400, 422, 503). */
static snug_status answer(http_ctx *x, const attempt *a, prom_result **out, prom_fail *fail,
                          snug_err *err)
{
    prom_stats *s = &x->c->stats;
    bool ok_code = a->code >= 200 && a->code < 300;
    snug_err perr;
    snug_status st = prom_result_parse(a->body.buf, a->body.len, x->call->query, out, &perr);

    if (st == SNUG_OK && ok_code)
        return SNUG_OK;
    prom_result_free(*out);
    *out = NULL;
    if (st == SNUG_ERR_INVALID || st == SNUG_ERR_HTTP) { /* Prometheus said status "error" */
        if (err != NULL)
            *err = perr;
        return fail_as(x, PROM_FAIL_QUERY, fail, &s->errors_prometheus,
                       snug_err_wrap(err, st, "POST %s: HTTP %ld", x->url, a->code));
    }
    if (!ok_code)
        return http_failure(x, a, fail, err);
    if (err != NULL)
        *err = perr;
    if (st == SNUG_ERR_NOMEM)
        return fail_as(x, PROM_FAIL_FATAL, fail, &s->errors_parse,
                       snug_err_wrap(err, st, "POST %s", x->url));
    return fail_as(x, st == SNUG_ERR_UNSUPPORTED ? PROM_FAIL_QUERY : PROM_FAIL_TRANSPORT, fail,
                   &s->errors_parse, snug_err_wrap(err, st, "POST %s: HTTP %ld", x->url, a->code));
}

static void note_attempts(const http_ctx *x, snug_status st, snug_err *err)
{
    size_t n;

    if (st == SNUG_OK || err == NULL || x->attempts <= 1)
        return;
    n = strlen(err->msg);
    snprintf(err->msg + n, sizeof(err->msg) - n, " (%d attempts)", x->attempts);
}

static void log_request(const http_ctx *x, const attempt *a, int64_t t0)
{
    char code[16], ms[32], bytes[32];

    if (log_get_level() > LOG_DEBUG)
        return;
    snprintf(code, sizeof(code), "%ld", a->code);
    snprintf(ms, sizeof(ms), "%.1f", (double)(kube_mono_us() - t0) / 1000.0);
    snprintf(bytes, sizeof(bytes), "%zu", a->body.len);
    snug_log(LOG_DEBUG, "prom", "request", "url", x->url, "query", x->q, "code", code, "ms", ms,
             "bytes", bytes, NULL);
}

static snug_status call_init(http_ctx *x, prom_client *c, const prom_call *call, snug_err *err)
{
    memset(x, 0, sizeof(*x));
    x->c = c;
    x->call = call;
    prom_query_brief(x->q, sizeof(x->q), call->query);
    snprintf(x->url, sizeof(x->url), "%s%s", c->base, call->endpoint);
    x->seed = (unsigned)kube_mono_us() ^ (unsigned)(uintptr_t)x;
    x->h = prom_handle_get(c);
    if (x->h == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "POST %s: query %s: out of memory (curl handle)",
                            x->url, x->q);
    return SNUG_OK;
}

snug_status prom_http_call(prom_client *c, const prom_call *call, prom_result **out,
                           prom_fail *fail, snug_err *err)
{
    http_ctx x;
    attempt a;
    bool auth_retried = false;
    int64_t t0 = kube_mono_us();
    snug_status st;
    int n;

    *out = NULL;
    *fail = PROM_FAIL_FATAL;
    memset(&a, 0, sizeof(a));
    dynbuf_init(&a.body, c->cfg.max_response_bytes);
    prom_stat_add(c, &c->stats.queries, 1);
    st = call_init(&x, c, call, err);
    for (n = 0; st == SNUG_OK; n++) {
        if (prom_client_aborted(c)) {
            a.aborted = true;
            break;
        }
        st = perform(&x, &a, err);
        if (st != SNUG_OK || !again(&x, &a, n, &auth_retried))
            break;
        prom_stat_add(c, &c->stats.retries, 1);
    }
    if (st == SNUG_OK) {
        log_request(&x, &a, t0);
        *fail = PROM_FAIL_NONE;
        if (a.rc != CURLE_OK || a.aborted)
            st = transport_failure(&x, &a, fail, err);
        else
            st = answer(&x, &a, out, fail, err);
        note_attempts(&x, st, err);
    }
    prom_creds_clear(&x.creds);
    prom_handle_put(c, x.h);
    dynbuf_free(&a.body);
    return st;
}

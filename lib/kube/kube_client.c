/* kube_client.c -- HTTP plumbing and the object calls of the Kubernetes client. */
#include "kube/kube_client.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "base/dynbuf.h"
#include "kube/kube_retry.h"
#include "base/log.h"

#define KUBE_USER_AGENT         "snug/0.1"
#define KUBE_CONNECT_TIMEOUT_MS 10000
#define KUBE_MAX_ERROR_BODY     (64u << 10)
#define KUBE_429_RETRIES        3
#define KUBE_429_MAX_WAIT_S     10
#define KUBE_WATCH_GRACE_S      30 /* client timeout beyond timeoutSeconds */

struct kube_client {
    kube_config *cfg;
    kube_client_opts opts; /* user_agent points at `user_agent` below */
    char *user_agent;
    CURL *curl;
    kube_ratelimit rl;
    const int *abort_flag;
    long timeout_ms;
    char *used_token; /* the token the last request carried */
    char errbuf[CURL_ERROR_SIZE];
};

/* How a request's response body is consumed. */
typedef struct req_sink {
    dynbuf *body;          /* plain requests: the whole body */
    kube_linesplit *lines; /* watches: 2xx bodies go here ... */
    kube_line_fn line_fn;  /* ... line by line */
    void *line_ud;
    dynbuf *error_body; /* watches: non-2xx bodies go here */
    CURL *curl;         /* to look at the status code */
    snug_status st;     /* why the sink refused data */
} req_sink;

typedef struct req_spec {
    const char *method;
    const char *path; /* path and query */
    const char *content_type;
    const char *body;
    long timeout_ms; /* 0: none */
    int compressed;  /* ask for gzip */
} req_spec;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_OK;

static void curl_init_once(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void wipe_free(char *s)
{
    if (s != NULL) {
        memset(s, 0, strlen(s));
        free(s);
    }
}

/* ---- lifecycle --------------------------------------------------------------------- */

snug_status kube_client_new(kube_config *cfg, const kube_client_opts *opts, kube_client **out,
                            snug_err *err)
{
    kube_client *c;
    const char *ua;

    *out = NULL;
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK)
        return snug_err_set(err, SNUG_ERR_INTERNAL, "curl_global_init: %s",
                            curl_easy_strerror(curl_init_rc));
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    if (opts != NULL)
        c->opts = *opts;
    ua = c->opts.user_agent != NULL ? c->opts.user_agent : KUBE_USER_AGENT;
    c->user_agent = strdup(ua);
    c->curl = curl_easy_init();
    if (c->user_agent == NULL || c->curl == NULL) {
        free(c->user_agent);
        if (c->curl != NULL)
            curl_easy_cleanup(c->curl);
        free(c);
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory creating a curl handle");
    }
    c->opts.user_agent = c->user_agent;
    if (c->opts.timeout_ms <= 0)
        c->opts.timeout_ms = KUBE_DEFAULT_TIMEOUT_MS;
    if (c->opts.connect_timeout_ms <= 0)
        c->opts.connect_timeout_ms = KUBE_CONNECT_TIMEOUT_MS;
    c->timeout_ms = c->opts.timeout_ms;
    kube_ratelimit_init(&c->rl, c->opts.qps, c->opts.burst, kube_mono_us());
    c->cfg = kube_config_ref(cfg);
    *out = c;
    return SNUG_OK;
}

snug_status kube_client_clone(const kube_client *c, kube_client **out, snug_err *err)
{
    return kube_client_new(c->cfg, &c->opts, out, err);
}

void kube_client_free(kube_client *c)
{
    if (c == NULL)
        return;
    curl_easy_cleanup(c->curl);
    kube_config_free(c->cfg);
    wipe_free(c->used_token);
    free(c->user_agent);
    free(c);
}

kube_config *kube_client_config(const kube_client *c)
{
    return c->cfg;
}

void kube_client_set_abort(kube_client *c, const int *flag)
{
    c->abort_flag = flag;
}

void kube_client_set_timeout(kube_client *c, long timeout_ms)
{
    c->timeout_ms = timeout_ms > 0 ? timeout_ms : c->opts.timeout_ms;
}

static int client_aborted(const kube_client *c)
{
    return c->abort_flag != NULL && __atomic_load_n(c->abort_flag, __ATOMIC_ACQUIRE);
}

/* ---- curl callbacks ---------------------------------------------------------------- */

static int xferinfo_cb(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return client_aborted(ud) ? 1 : 0;
}

static int response_is_2xx(CURL *curl)
{
    long code = 0;

    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    return code >= 200 && code < 300;
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *ud)
{
    req_sink *s = ud;
    size_t n = size * nmemb;
    snug_status st;

    if (s->lines != NULL && response_is_2xx(s->curl)) {
        st = kube_linesplit_feed(s->lines, data, n, s->line_fn, s->line_ud);
        if (st == SNUG_OK && s->lines->stopped)
            return 0; /* the consumer is done: end the transfer */
    } else {
        st = dynbuf_add(s->lines != NULL ? s->error_body : s->body, data, n);
    }
    if (st != SNUG_OK) {
        s->st = st;
        return 0;
    }
    return n;
}

/* ---- request plumbing -------------------------------------------------------------- */

/* Append the header line `prefix` + `value` (value may be NULL) to the list.
 * The formatting buffer is wiped: it may hold the token. */
static snug_status add_header(struct curl_slist **list, const char *prefix, const char *value)
{
    dynbuf b;
    struct curl_slist *n;
    snug_status st;

    dynbuf_init(&b, KUBE_TOKEN_MAX_BYTES + 256);
    st = dynbuf_addstr(&b, prefix);
    if (st == SNUG_OK && value != NULL)
        st = dynbuf_addstr(&b, value);
    if (st == SNUG_OK) {
        n = curl_slist_append(*list, dynbuf_str(&b));
        if (n == NULL)
            st = SNUG_ERR_NOMEM;
        else
            *list = n;
    }
    if (b.buf != NULL)
        memset(b.buf, 0, b.cap);
    dynbuf_free(&b);
    return st;
}

static snug_status build_headers(kube_client *c, const req_spec *rq, struct curl_slist **out,
                                 snug_err *err)
{
    struct curl_slist *h = NULL;
    char *token = NULL;
    snug_status st = kube_config_token(c->cfg, &token, err);

    if (st != SNUG_OK)
        return st;
    st = add_header(&h, "Accept: application/json", NULL);
    if (st == SNUG_OK)
        st = add_header(&h, "Expect:", NULL);
    if (st == SNUG_OK && rq->content_type != NULL)
        st = add_header(&h, "Content-Type: ", rq->content_type);
    if (st == SNUG_OK && token != NULL)
        st = add_header(&h, "Authorization: Bearer ", token);
    wipe_free(c->used_token);
    c->used_token = token; /* to tell, after a 401, whether it rotated */
    if (st != SNUG_OK) {
        curl_slist_free_all(h);
        return snug_err_set(err, st, "building request headers: %s", snug_status_str(st));
    }
    *out = h;
    return SNUG_OK;
}

static void set_tls_options(kube_client *c)
{
    const kube_config *cfg = c->cfg;
    struct curl_blob blob;

    if (cfg->insecure_skip_tls_verify) {
        curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(c->curl, CURLOPT_SSL_VERIFYHOST, 0L);
    } else if (cfg->ca_data.data != NULL) {
        blob.data = cfg->ca_data.data;
        blob.len = cfg->ca_data.len;
        blob.flags = CURL_BLOB_NOCOPY; /* the config outlives the handle */
        curl_easy_setopt(c->curl, CURLOPT_CAINFO_BLOB, &blob);
    } else if (cfg->ca_file != NULL) {
        curl_easy_setopt(c->curl, CURLOPT_CAINFO, cfg->ca_file);
    }
    if (cfg->cert_data.data != NULL) {
        blob.data = cfg->cert_data.data;
        blob.len = cfg->cert_data.len;
        blob.flags = CURL_BLOB_NOCOPY;
        curl_easy_setopt(c->curl, CURLOPT_SSLCERT_BLOB, &blob);
        curl_easy_setopt(c->curl, CURLOPT_SSLCERTTYPE, "PEM");
    } else if (cfg->cert_file != NULL) {
        curl_easy_setopt(c->curl, CURLOPT_SSLCERT, cfg->cert_file);
    }
    if (cfg->key_data.data != NULL) {
        blob.data = cfg->key_data.data;
        blob.len = cfg->key_data.len;
        blob.flags = CURL_BLOB_NOCOPY;
        curl_easy_setopt(c->curl, CURLOPT_SSLKEY_BLOB, &blob);
        curl_easy_setopt(c->curl, CURLOPT_SSLKEYTYPE, "PEM");
    } else if (cfg->key_file != NULL) {
        curl_easy_setopt(c->curl, CURLOPT_SSLKEY, cfg->key_file);
    }
}

static void set_method(CURL *curl, const req_spec *rq)
{
    if (strcmp(rq->method, "GET") == 0) {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
        return;
    }
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, rq->method);
    if (rq->body != NULL) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, rq->body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(rq->body));
    }
}

static snug_status set_url(kube_client *c, const req_spec *rq, snug_err *err)
{
    dynbuf url;
    snug_status st;

    dynbuf_init(&url, KUBE_MAX_PATH);
    st = dynbuf_printf(&url, "%s%s", c->cfg->server, rq->path);
    if (st == SNUG_OK && curl_easy_setopt(c->curl, CURLOPT_URL, dynbuf_str(&url)) != CURLE_OK)
        st = SNUG_ERR_NOMEM;
    dynbuf_free(&url); /* curl copied it */
    if (st != SNUG_OK)
        return snug_err_set(err, st, "%s %.200s: URL: %s", rq->method, rq->path,
                            snug_status_str(st));
    return SNUG_OK;
}

static void set_options(kube_client *c, const req_spec *rq, struct curl_slist *headers,
                        req_sink *sink)
{
    CURL *curl = c->curl;

    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_USERAGENT, c->user_agent);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, c->errbuf);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, c->opts.connect_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, rq->timeout_ms);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPIDLE, 30L);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPINTVL, 15L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, sink);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, xferinfo_cb);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, c);
    if (rq->compressed)
        curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "gzip");
    set_tls_options(c);
    set_method(curl, rq);
}

static snug_status map_curl_error(kube_client *c, CURLcode rc, const req_spec *rq,
                                  const req_sink *sink, snug_err *err)
{
    const char *detail = c->errbuf[0] ? c->errbuf : curl_easy_strerror(rc);
    snug_status st;

    switch (rc) {
    case CURLE_ABORTED_BY_CALLBACK:
        return snug_err_set(err, SNUG_ERR_IO, "%s %.200s: aborted", rq->method, rq->path);
    case CURLE_WRITE_ERROR:
        st = sink->st != SNUG_OK ? sink->st : SNUG_ERR_IO;
        return snug_err_set(err, st, "%s %.200s: response: %s", rq->method, rq->path,
                            snug_status_str(st));
    case CURLE_OPERATION_TIMEDOUT:
        st = SNUG_ERR_TIMEOUT;
        break;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
        st = SNUG_ERR_TLS;
        break;
    case CURLE_OUT_OF_MEMORY:
        st = SNUG_ERR_NOMEM;
        break;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        st = SNUG_ERR_INVALID;
        break;
    default:
        st = SNUG_ERR_IO;
        break;
    }
    return snug_err_set(err, st, "%s %s%.200s: %s", rq->method, c->cfg->server, rq->path, detail);
}

/* ---- request counters ---------------------------------------------------------------- */

static uint64_t request_counts[KUBE_VERB_COUNT][KUBE_CODE_COUNT]; /* atomic */

static const char *const verb_names[KUBE_VERB_COUNT] = {"GET",    "LIST",  "WATCH",  "CREATE",
                                                        "UPDATE", "PATCH", "DELETE", "OTHER"};
static const char *const class_names[KUBE_CODE_COUNT] = {"2xx", "4xx", "5xx", "error", "other"};

const char *kube_verb_name(kube_verb v)
{
    return (unsigned)v < KUBE_VERB_COUNT ? verb_names[v] : "?";
}

const char *kube_code_class_name(kube_code_class c)
{
    return (unsigned)c < KUBE_CODE_COUNT ? class_names[c] : "?";
}

kube_code_class kube_code_class_of(long http_code)
{
    if (http_code <= 0)
        return KUBE_CODE_ERROR;
    if (http_code >= 200 && http_code < 300)
        return KUBE_CODE_2XX;
    if (http_code >= 400 && http_code < 500)
        return KUBE_CODE_4XX;
    if (http_code >= 500 && http_code < 600)
        return KUBE_CODE_5XX;
    return KUBE_CODE_OTHER;
}

/* Whether the query string (after '?', up to the end) has watch=true or watch=1. */
static bool query_watches(const char *q)
{
    while (q != NULL && *q != '\0') {
        size_t n = strcspn(q, "&");

        if ((n == 10 && strncmp(q, "watch=true", 10) == 0) ||
            (n == 7 && strncmp(q, "watch=1", 7) == 0))
            return true;
        q += n;
        if (*q == '&')
            q++;
    }
    return false;
}

/* Whether segment `seg` (of length n) is `word`. */
static bool seg_is(const char *seg, size_t n, const char *word)
{
    return n == strlen(word) && strncmp(seg, word, n) == 0;
}

#define VERB_MAX_SEGS 8

/* The verb of a GET from its path (without the query): see kube_client.h. */
static kube_verb get_verb(const char *path, size_t len)
{
    const char *seg[VERB_MAX_SEGS];
    size_t seglen[VERB_MAX_SEGS], n = 0, i = 0, skip;

    while (i < len && n < VERB_MAX_SEGS) {
        size_t l = strcspn(path + i, "/?");

        if (l > len - i)
            l = len - i;
        if (l > 0) {
            seg[n] = path + i;
            seglen[n++] = l;
        }
        i += l + 1;
    }
    if (n >= 1 && seg_is(seg[0], seglen[0], "api"))
        skip = 2; /* /api/v1 */
    else if (n >= 1 && seg_is(seg[0], seglen[0], "apis"))
        skip = 3; /* /apis/group/version */
    else
        return KUBE_VERB_GET; /* /version, /healthz, /openapi/... */
    if (n <= skip)
        return KUBE_VERB_GET; /* discovery */
    if (seg_is(seg[skip], seglen[skip], "watch"))
        return KUBE_VERB_WATCH;
    /* namespaces/NS/resource...; but namespaces/NS/status|finalize is the
     * Namespace object's subresource */
    if (n - skip >= 3 && seg_is(seg[skip], seglen[skip], "namespaces") &&
        !(n - skip == 3 && (seg_is(seg[skip + 2], seglen[skip + 2], "status") ||
                            seg_is(seg[skip + 2], seglen[skip + 2], "finalize"))))
        skip += 2;
    return n - skip == 1 ? KUBE_VERB_LIST : KUBE_VERB_GET;
}

kube_verb kube_request_verb(const char *method, const char *path_query)
{
    const char *q;

    if (method == NULL || path_query == NULL)
        return KUBE_VERB_OTHER;
    if (strcmp(method, "POST") == 0)
        return KUBE_VERB_CREATE;
    if (strcmp(method, "PUT") == 0)
        return KUBE_VERB_UPDATE;
    if (strcmp(method, "PATCH") == 0)
        return KUBE_VERB_PATCH;
    if (strcmp(method, "DELETE") == 0)
        return KUBE_VERB_DELETE;
    if (strcmp(method, "GET") != 0)
        return KUBE_VERB_OTHER;
    q = strchr(path_query, '?');
    if (q != NULL && query_watches(q + 1))
        return KUBE_VERB_WATCH;
    return get_verb(path_query, q != NULL ? (size_t)(q - path_query) : strlen(path_query));
}

static void count_request(const req_spec *rq, long http_code)
{
    kube_verb v = kube_request_verb(rq->method, rq->path);

    __atomic_fetch_add(&request_counts[v][kube_code_class_of(http_code)], 1, __ATOMIC_RELAXED);
}

void kube_request_counts(kube_request_stats *out)
{
    int v, k;

    for (v = 0; v < KUBE_VERB_COUNT; v++) {
        for (k = 0; k < KUBE_CODE_COUNT; k++)
            out->counts[v][k] = __atomic_load_n(&request_counts[v][k], __ATOMIC_RELAXED);
    }
}

/* Wait for the rate limiter. Fails only when aborted. */
static snug_status client_throttle(kube_client *c, const req_spec *rq, snug_err *err)
{
    int64_t wait_us = kube_ratelimit_reserve(&c->rl, kube_mono_us());

    if (wait_us > 0) {
        snug_log(LOG_DEBUG, "kube", "client-side throttling", "path", rq->path, NULL);
        if (kube_sleep_ms((long)((wait_us + 999) / 1000), c->abort_flag))
            return snug_err_set(err, SNUG_ERR_IO, "%s %.200s: aborted", rq->method, rq->path);
    }
    return SNUG_OK;
}

/* One HTTP exchange. *http_code is the response status (0 if none). */
static snug_status client_perform(kube_client *c, const req_spec *rq, req_sink *sink,
                                  long *http_code, snug_err *err)
{
    struct curl_slist *headers = NULL;
    CURLcode rc;
    snug_status st;

    *http_code = 0;
    if (client_aborted(c))
        return snug_err_set(err, SNUG_ERR_IO, "%s %.200s: aborted", rq->method, rq->path);
    st = client_throttle(c, rq, err);
    if (st == SNUG_OK)
        st = build_headers(c, rq, &headers, err);
    if (st != SNUG_OK)
        return st;
    set_options(c, rq, headers, sink);
    st = set_url(c, rq, err);
    if (st == SNUG_OK) {
        c->errbuf[0] = '\0';
        sink->curl = c->curl;
        sink->st = SNUG_OK;
        rc = curl_easy_perform(c->curl);
        curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, http_code);
        count_request(rq, *http_code);
        if (rc != CURLE_OK)
            st = map_curl_error(c, rc, rq, sink, err);
    }
    /* The handle must not keep pointers to the freed header list. */
    curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);
    return st;
}

static void sink_reset(req_sink *sink)
{
    if (sink->body != NULL)
        dynbuf_reset(sink->body);
    if (sink->error_body != NULL)
        dynbuf_reset(sink->error_body);
    if (sink->lines != NULL)
        kube_linesplit_reset(sink->lines);
}

/* After a 401: re-read the token; 1 when it differs from the one the failed
 * request carried (worth retrying). */
static int token_changed_after_401(kube_client *c)
{
    char *fresh = NULL;
    int changed;

    if (c->cfg->token_file == NULL)
        return 0;
    kube_config_token_invalidate(c->cfg);
    if (kube_config_token(c->cfg, &fresh, NULL) != SNUG_OK)
        return 0;
    changed = fresh != NULL && (c->used_token == NULL || strcmp(fresh, c->used_token) != 0);
    wipe_free(fresh);
    return changed;
}

/* Decide whether a finished exchange is worth repeating; sleeps for 429. */
static int should_retry(kube_client *c, long code, int attempt)
{
    curl_off_t after = 0;

    if (code == 401 && attempt == 0) {
        if (!token_changed_after_401(c))
            return 0;
        snug_log(LOG_INFO, "kube", "token rotated after 401; retrying", NULL);
        return 1;
    }
    if (code != 429 || attempt >= KUBE_429_RETRIES)
        return 0;
    curl_easy_getinfo(c->curl, CURLINFO_RETRY_AFTER, &after);
    if (after <= 0)
        after = 1;
    if (after > KUBE_429_MAX_WAIT_S)
        after = KUBE_429_MAX_WAIT_S;
    snug_log(LOG_INFO, "kube", "API server asked to retry later (429)", NULL);
    return !kube_sleep_ms((long)after * 1000, c->abort_flag);
}

/* Perform with the 401/429 retries. */
static snug_status client_do(kube_client *c, const req_spec *rq, req_sink *sink, long *code,
                             snug_err *err)
{
    int attempt;
    int64_t t0 = kube_mono_us();
    snug_status st = SNUG_OK;
    char ms[32];
    char codebuf[16];

    for (attempt = 0;; attempt++) {
        sink_reset(sink);
        st = client_perform(c, rq, sink, code, err);
        if (st != SNUG_OK || !should_retry(c, *code, attempt))
            break;
    }
    snprintf(ms, sizeof(ms), "%.1f", (double)(kube_mono_us() - t0) / 1000.0);
    snprintf(codebuf, sizeof(codebuf), "%ld", *code);
    snug_log(LOG_DEBUG, "kube", "request", "method", rq->method, "path", rq->path, "code", codebuf,
             "ms", ms, NULL);
    return st;
}

/* A plain request whose JSON answer lands in *out (when out != NULL). */
static snug_status client_json(kube_client *c, const req_spec *rq, size_t max_response, cJSON **out,
                               snug_err *err)
{
    dynbuf body;
    req_sink sink;
    long code = 0;
    char what[320];
    snug_status st;

    if (out != NULL)
        *out = NULL;
    dynbuf_init(&body, max_response);
    memset(&sink, 0, sizeof(sink));
    sink.body = &body;
    st = client_do(c, rq, &sink, &code, err);
    if (st != SNUG_OK)
        goto out;
    snprintf(what, sizeof(what), "%s %.280s", rq->method, rq->path);
    st = kube_error_from_response(code, body.buf, body.len, what, err);
    if (st != SNUG_OK || out == NULL)
        goto out;
    *out = cJSON_ParseWithLength(dynbuf_str(&body), body.len);
    if (*out == NULL)
        st = snug_err_set(err, SNUG_ERR_PARSE, "%s: response is not JSON (%zu bytes)", what,
                          body.len);
out:
    dynbuf_free(&body);
    return st;
}

snug_status kube_request(kube_client *c, const char *method, const char *path_query,
                         const char *content_type, const char *body, size_t max_response,
                         cJSON **out, snug_err *err)
{
    req_spec rq;

    memset(&rq, 0, sizeof(rq));
    rq.method = method;
    rq.path = path_query;
    rq.content_type = content_type;
    rq.body = body;
    rq.timeout_ms = c->timeout_ms;
    rq.compressed = strcmp(method, "GET") == 0;
    return client_json(c, &rq, max_response, out, err);
}

/* ---- watch ------------------------------------------------------------------------- */

typedef struct watch_ctx {
    kube_watch_fn fn;
    void *ud;
    const char *what;
    snug_status st;  /* an ERROR event or a bad line ... */
    snug_err ev_err; /* ... and its message (curl's own error comes later) */
    int user_stop;
} watch_ctx;

static int watch_line(const char *line, size_t len, void *ud)
{
    watch_ctx *w = ud;
    kube_watch_type type;
    cJSON *obj = NULL;
    int stop;

    w->st = kube_watch_parse_event(line, len, &type, &obj, &w->ev_err);
    if (w->st != SNUG_OK)
        return 1;
    if (type == KUBE_WATCH_ERROR) {
        w->st = kube_error_from_status_object(obj, w->what, &w->ev_err);
        cJSON_Delete(obj);
        return 1;
    }
    stop = w->fn(type, &obj, w->ud);
    cJSON_Delete(obj);
    if (stop)
        w->user_stop = 1;
    return stop;
}

static snug_status watch_url(dynbuf *url, const kube_resource *r, const char *ns,
                             const kube_watch_opts *o, snug_err *err)
{
    long timeout = o && o->timeout_seconds > 0 ? o->timeout_seconds : KUBE_DEFAULT_WATCH_TIMEOUT_S;
    snug_status st = kube_path_build(url, r, ns, NULL, NULL, err);

    if (st != SNUG_OK)
        return st;
    st = kube_query_add(url, "watch", "true");
    if (st == SNUG_OK && !(o && o->no_bookmarks))
        st = kube_query_add(url, "allowWatchBookmarks", "true");
    if (st == SNUG_OK && o != NULL)
        st = kube_query_add(url, "labelSelector", o->label_selector);
    if (st == SNUG_OK && o != NULL)
        st = kube_query_add(url, "fieldSelector", o->field_selector);
    if (st == SNUG_OK && o != NULL && o->resource_version != NULL && o->resource_version[0] != '\0')
        st = kube_query_add(url, "resourceVersion", o->resource_version);
    if (st == SNUG_OK)
        st = kube_query_add_long(url, "timeoutSeconds", timeout);
    if (st != SNUG_OK)
        return snug_err_set(err, st, "watch %s: query: %s", r->resource, snug_status_str(st));
    return SNUG_OK;
}

/* Turn the outcome of a finished watch request into its status. */
static snug_status watch_result(snug_status st, long code, const watch_ctx *w,
                                const kube_linesplit *ls, const dynbuf *errbody, snug_err *err)
{
    if (w->user_stop) {
        snug_err_clear(err); /* the transfer was cut on purpose */
        return SNUG_OK;
    }
    if (w->st != SNUG_OK) {
        if (err != NULL)
            *err = w->ev_err;
        return w->st;
    }
    if (st != SNUG_OK)
        return st;
    if (code < 200 || code >= 300)
        return kube_error_from_response(code, errbody->buf, errbody->len, w->what, err);
    if (kube_linesplit_pending(ls) > 0)
        snug_log(LOG_DEBUG, "kube", "watch ended inside an event; dropped the partial line", NULL);
    return SNUG_OK;
}

snug_status kube_watch(kube_client *c, const kube_resource *r, const char *ns,
                       const kube_watch_opts *o, kube_watch_fn fn, void *ud, snug_err *err)
{
    long timeout = o && o->timeout_seconds > 0 ? o->timeout_seconds : KUBE_DEFAULT_WATCH_TIMEOUT_S;
    dynbuf url;
    dynbuf errbody;
    kube_linesplit ls;
    watch_ctx w;
    req_sink sink;
    req_spec rq;
    char what[320];
    long code = 0;
    snug_status st;

    dynbuf_init(&url, KUBE_MAX_PATH);
    dynbuf_init(&errbody, KUBE_MAX_ERROR_BODY);
    kube_linesplit_init(&ls, KUBE_MAX_WATCH_EVENT);
    st = watch_url(&url, r, ns, o, err);
    if (st != SNUG_OK)
        goto out;
    snprintf(what, sizeof(what), "watch %.300s", dynbuf_str(&url));
    memset(&w, 0, sizeof(w));
    w.fn = fn;
    w.ud = ud;
    w.what = what;
    memset(&sink, 0, sizeof(sink));
    sink.lines = &ls;
    sink.line_fn = watch_line;
    sink.line_ud = &w;
    sink.error_body = &errbody;
    memset(&rq, 0, sizeof(rq));
    rq.method = "GET";
    rq.path = dynbuf_str(&url);
    rq.timeout_ms = (timeout + KUBE_WATCH_GRACE_S) * 1000;
    st = client_do(c, &rq, &sink, &code, err);
    st = watch_result(st, code, &w, &ls, &errbody, err);
out:
    kube_linesplit_free(&ls);
    dynbuf_free(&errbody);
    dynbuf_free(&url);
    return st;
}

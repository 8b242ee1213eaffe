/* server.c -- libmicrohttpd HTTPS admission server + metrics listener. */
#include "webhook/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "webhook/admission.h"
#include "base/cpus.h"
#include "base/dynbuf.h"
#include "json/jsonarena.h"
#include "base/log.h"
#include "webhook/mutate.h"
#include "webhook/tls_cork.h"
#include "webhook/webhook_metrics.h"

/* Per-connection pool for headers and the read buffer. libmicrohttpd
 * zeroes all of it after every request, so every connection that has
 * answered one keeps the whole pool resident: it is most of what a
 * connection costs. 12 KiB holds the API server's headers and a review of up
 * to ~11 KB, which is then answered straight from the pool (a Deployment's
 * Pod is ~3-8 KB); a larger one arrives in pieces and is gathered in a
 * buffer sized from Content-Length. Peak RSS measured at 256 busy
 * connections (before serve handed back start-up's code pages, which takes
 * ~4 MiB off every figure): 16 KiB 20.3-20.7 MiB, 12 KiB 18.7-18.9 MiB, and
 * 4-10 KiB worse (22-25 MiB, and slower: the bodies come in pieces while
 * GnuTLS holds each whole record). */
#define SERVER_CONN_MEMORY (12u * 1024u)

#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:%SERVER_PRECEDENCE"

struct server {
    struct MHD_Daemon *tls_daemon;
    struct MHD_Daemon *metrics_daemon;
    store *store;
    tls_keeper *tls;
    size_t max_body;
    uint16_t port;
    uint16_t metrics_port;
    unsigned in_flight;
    int stopping;
};

/* Per-request state, kept in MHD's con_cls. */
typedef enum route { ROUTE_MUTATE, ROUTE_HEALTHZ, ROUTE_READYZ, ROUTE_OTHER } route;

typedef struct req_ctx {
    route route;
    int reject_status; /* 0, or 413/415 decided before the body arrived */
    bool counted;      /* included in server.in_flight */
    bool corked;       /* the answer waits in the TLS session for tls_cork_flush */
    bool answered;     /* res holds the answer (the body came in one piece) */
    snug_status answer_st;
    size_t expect_len; /* Content-Length; 0 when absent */
    size_t in_bytes;   /* request body bytes seen */
    admission_result res;
    dynbuf body; /* the body, when it came in pieces */
    struct timespec start;
} req_ctx;

static double seconds_since(const struct timespec *t0)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    size_t n;

    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    snug_log(LOG_DEBUG, "http", "libmicrohttpd", "detail", msg, NULL);
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ret;

    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "POST");
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static route route_of(const char *url)
{
    if (strcmp(url, "/mutate") == 0 || strcmp(url, "/mutate/") == 0)
        return ROUTE_MUTATE;
    if (strcmp(url, "/healthz") == 0 || strcmp(url, "/livez") == 0)
        return ROUTE_HEALTHZ;
    if (strcmp(url, "/readyz") == 0)
        return ROUTE_READYZ;
    return ROUTE_OTHER;
}

static bool content_type_is_json(struct MHD_Connection *c)
{
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    size_t n = strlen("application/json");

    return ct != NULL && strncasecmp(ct, "application/json", n) == 0 &&
           (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Size the body buffer from Content-Length up to this much at once; a
 * larger (or lying) Content-Length makes it grow with the bytes that really
 * arrive, so a header alone cannot make the server allocate much. */
#define SERVER_BODY_PREALLOC (64u * 1024u)

static size_t content_length(struct MHD_Connection *c, size_t max)
{
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    unsigned long long n = cl ? strtoull(cl, NULL, 10) : 0;

    return n <= max ? (size_t)n : 0;
}

/* Decide 413/415 from the headers, before reading any body. */
static int early_reject(server *s, struct MHD_Connection *c)
{
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");

    if (cl != NULL && strtoull(cl, NULL, 10) > s->max_body)
        return MHD_HTTP_CONTENT_TOO_LARGE;
    if (!content_type_is_json(c))
        return MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
    return 0;
}

static const char *reject_result(int status)
{
    return status == MHD_HTTP_CONTENT_TOO_LARGE ? "payload_too_large" : "unsupported_media_type";
}

static enum MHD_Result answer_reject(server *s, struct MHD_Connection *c, req_ctx *ctx)
{
    char msg[128];

    if (ctx->reject_status == MHD_HTTP_CONTENT_TOO_LARGE)
        snprintf(msg, sizeof(msg), "request body larger than %zu bytes\n", s->max_body);
    else
        snprintf(msg, sizeof(msg), "Content-Type must be application/json\n");
    wh_metrics_request(reject_result(ctx->reject_status), seconds_since(&ctx->start), ctx->in_bytes,
                       strlen(msg));
    return send_text(c, (unsigned)ctx->reject_status, msg);
}

/* Run the handler on `len` bytes of body; the answer waits in ctx. */
static void answer_now(server *s, req_ctx *ctx, const char *body, size_t len)
{
    ctx->answer_st = admission_handle(s->store, body, len, &ctx->res);
    ctx->answered = true;
}

static enum MHD_Result answer_mutate(server *s, struct MHD_Connection *c, req_ctx *ctx)
{
    admission_result *res = &ctx->res;
    struct MHD_Response *r;
    enum MHD_Result ret;

    if (!ctx->answered)
        answer_now(s, ctx, dynbuf_str(&ctx->body), dynbuf_len(&ctx->body));
    if (ctx->answer_st != SNUG_OK)
        return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
    wh_metrics_request(admission_outcome_name(res->outcome), seconds_since(&ctx->start),
                       ctx->in_bytes, res->body_len);
    if (res->outcome == ADMISSION_MUTATED && !res->dry_run)
        wh_metrics_mutations(res->changed);
    if (res->http_status != 200)
        snug_log(LOG_WARN, "webhook", "bad admission request", "reason", res->body, NULL);
    else
        snug_log(LOG_DEBUG, "webhook", "admission answered", "uid", res->uid, "outcome",
                 admission_outcome_name(res->outcome), NULL);
    r = MHD_create_response_from_buffer(res->body_len, res->body, MHD_RESPMEM_MUST_FREE);
    if (r == NULL)
        return MHD_NO; /* on_completed frees res */
    res->body = NULL;  /* the response owns it now */
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, res->content_type);
    ctx->corked = tls_cork(c); /* header and body leave as one record */
    ret = MHD_queue_response(c, (unsigned)res->http_status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result answer_readyz(server *s, struct MHD_Connection *c)
{
    if (__atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE))
        return send_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "shutting down\n");
    if (!tls_keeper_ready(s->tls))
        return send_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "no serving certificate yet\n");
    if (!store_synced(s->store))
        return send_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "caches not synced yet\n");
    return send_text(c, MHD_HTTP_OK, "ok\n");
}

static bool expects_continue(struct MHD_Connection *c)
{
    const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_EXPECT);

    return v != NULL && strcasecmp(v, "100-continue") == 0;
}

/* First call for a request: set up the context and check the headers. */
static enum MHD_Result request_begin(server *s, struct MHD_Connection *c, const char *url,
                                     const char *method, void **con_cls)
{
    req_ctx *ctx = calloc(1, sizeof(*ctx));

    if (ctx == NULL)
        return MHD_NO;
    clock_gettime(CLOCK_MONOTONIC, &ctx->start);
    ctx->route = route_of(url);
    dynbuf_init(&ctx->body, s->max_body);
    if (ctx->route == ROUTE_MUTATE && strcmp(method, MHD_HTTP_METHOD_POST) == 0) {
        ctx->reject_status = early_reject(s, c);
        ctx->expect_len = content_length(c, s->max_body);
        ctx->counted = true;
        __atomic_fetch_add(&s->in_flight, 1, __ATOMIC_ACQ_REL);
    }
    *con_cls = ctx;
    /* A client waiting for "100 Continue" gets the 413 instead of uploading
     * a body we would throw away. */
    if (ctx->reject_status == MHD_HTTP_CONTENT_TOO_LARGE && expects_continue(c))
        return answer_reject(s, c, ctx);
    return MHD_YES;
}

/* A body that arrives whole (the usual case: libmicrohttpd's read buffer
 * holds it) is answered from libmicrohttpd's buffer, with no copy; one that
 * arrives in pieces is gathered in ctx->body first. */
static enum MHD_Result take_upload(server *s, req_ctx *ctx, const char *data, size_t *size)
{
    size_t n = *size;

    *size = 0;
    ctx->in_bytes += n;
    if (ctx->reject_status != 0)
        return MHD_YES;
    if (ctx->answered) { /* more than Content-Length: cannot happen in HTTP/1.1 */
        ctx->reject_status = MHD_HTTP_CONTENT_TOO_LARGE;
        return MHD_YES;
    }
    if (ctx->counted && dynbuf_len(&ctx->body) == 0 && n == ctx->expect_len) {
        answer_now(s, ctx, data, n);
        return MHD_YES;
    }
    if (dynbuf_len(&ctx->body) == 0)
        dynbuf_prealloc(&ctx->body, ctx->expect_len < SERVER_BODY_PREALLOC ? ctx->expect_len
                                                                           : SERVER_BODY_PREALLOC);
    if (dynbuf_add(&ctx->body, data, n) != SNUG_OK)
        ctx->reject_status = MHD_HTTP_CONTENT_TOO_LARGE;
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    server *s = cls;
    req_ctx *ctx = *con_cls;

    (void)version;
    if (ctx == NULL)
        return request_begin(s, c, url, method, con_cls);
    if (*upload_data_size > 0)
        return take_upload(s, ctx, upload_data, upload_data_size);
    switch (ctx->route) {
    case ROUTE_MUTATE:
        if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) {
            wh_metrics_request("method_not_allowed", seconds_since(&ctx->start), 0, 0);
            return send_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use POST\n");
        }
        if (ctx->reject_status != 0)
            return answer_reject(s, c, ctx);
        return answer_mutate(s, c, ctx);
    case ROUTE_HEALTHZ:
        return send_text(c, MHD_HTTP_OK, "ok\n");
    case ROUTE_READYZ:
        return answer_readyz(s, c);
    case ROUTE_OTHER:
        break;
    }
    wh_metrics_request("not_found", seconds_since(&ctx->start), 0, 0);
    return send_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
}

/* The answer is complete in the TLS session: send it. */
static void flush_answer(struct MHD_Connection *c)
{
    snug_err err;

    if (tls_cork_flush(c, TLS_CORK_FLUSH_MS, &err) != SNUG_OK)
        snug_log(LOG_WARN, "http", "answer not delivered", "error", err.msg, NULL);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    server *s = cls;
    req_ctx *ctx = *con_cls;

    if (ctx == NULL)
        return;
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        snug_log(LOG_DEBUG, "http", "request ended early", NULL);
    else if (ctx->corked)
        flush_answer(c);
    if (ctx->counted)
        __atomic_fetch_sub(&s->in_flight, 1, __ATOMIC_ACQ_REL);
    dynbuf_free(&ctx->body);
    admission_result_free(&ctx->res);
    free(ctx);
    *con_cls = NULL;
}

/* ---- metrics listener ---------------------------------------------------- */

static enum MHD_Result on_metrics(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    dynbuf out;
    struct MHD_Response *r;
    enum MHD_Result ret;
    size_t len;

    (void)cls;
    (void)version;
    (void)upload_data;
    (void)con_cls;
    *upload_data_size = 0;
    if (strcmp(url, "/healthz") == 0)
        return send_text(c, MHD_HTTP_OK, "ok\n");
    if (strcmp(url, "/metrics") != 0)
        return send_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return send_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET\n");
    dynbuf_init(&out, 16u << 20);
    if (wh_metrics_render(&out) != SNUG_OK) {
        dynbuf_free(&out);
        return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "metrics unavailable\n");
    }
    len = dynbuf_len(&out);
    r = MHD_create_response_from_buffer(len, dynbuf_take(&out), MHD_RESPMEM_MUST_FREE);
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            "text/plain; version=0.0.4; charset=utf-8");
    ret = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

/* ---- start / stop ---------------------------------------------------------- */

static snug_status parse_addr(const char *address, uint16_t port, struct sockaddr_in *sa,
                              snug_err *err)
{
    memset(sa, 0, sizeof(*sa));
    sa->sin_family = AF_INET;
    sa->sin_port = htons(port);
    if (inet_pton(AF_INET, address ? address : "0.0.0.0", &sa->sin_addr) != 1)
        return snug_err_set(err, SNUG_ERR_INVALID, "listen address \"%s\" is not an IPv4 address",
                            address);
    return SNUG_OK;
}

static uint16_t daemon_port(struct MHD_Daemon *d)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);

    return info ? info->port : 0;
}

static unsigned pool_size(const server_config *cfg)
{
    if (cfg->threads > 0)
        return cfg->threads;
    return (unsigned)cpus_available(NULL);
}

static snug_status start_tls_daemon(server *s, const server_config *cfg, snug_err *err)
{
    struct sockaddr_in sa;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TLS | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG;
    snug_status st = parse_addr(cfg->address, cfg->port, &sa, err);

    if (st != SNUG_OK)
        return st;
    s->tls_daemon = MHD_start_daemon(
        flags, cfg->port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
        MHD_OPTION_HTTPS_CERT_CALLBACK2, tls_keeper_retrieve, MHD_OPTION_HTTPS_PRIORITIES,
        TLS_PRIORITIES, MHD_OPTION_THREAD_POOL_SIZE, pool_size(cfg), MHD_OPTION_CONNECTION_TIMEOUT,
        cfg->connection_timeout ? cfg->connection_timeout : SERVER_DEFAULT_CONN_TIMEOUT,
        MHD_OPTION_CONNECTION_LIMIT,
        cfg->connection_limit ? cfg->connection_limit : SERVER_DEFAULT_CONN_LIMIT,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)SERVER_CONN_MEMORY, MHD_OPTION_END);
    if (s->tls_daemon == NULL)
        return snug_err_set(err, SNUG_ERR_IO, "cannot start the TLS listener on %s:%u",
                            cfg->address ? cfg->address : "0.0.0.0", cfg->port);
    s->port = daemon_port(s->tls_daemon);
    return SNUG_OK;
}

static snug_status start_metrics_daemon(server *s, const server_config *cfg, snug_err *err)
{
    struct sockaddr_in sa;
    const char *addr = cfg->metrics_address ? cfg->metrics_address : cfg->address;
    snug_status st;

    if (cfg->metrics_port < 0)
        return SNUG_OK;
    st = parse_addr(addr, (uint16_t)cfg->metrics_port, &sa, err);
    if (st != SNUG_OK)
        return st;
    s->metrics_daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG,
        (uint16_t)cfg->metrics_port, NULL, NULL, on_metrics, s, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&sa, MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_CONNECTION_LIMIT,
        256u, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
    if (s->metrics_daemon == NULL)
        return snug_err_set(err, SNUG_ERR_IO, "cannot start the metrics listener on %s:%d",
                            addr ? addr : "0.0.0.0", cfg->metrics_port);
    s->metrics_port = daemon_port(s->metrics_daemon);
    return SNUG_OK;
}

snug_status server_start(const server_config *cfg, store *st, tls_keeper *tls, server **out,
                         snug_err *err)
{
    server *s = calloc(1, sizeof(*s));
    snug_status rc;

    if (s == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    jsonarena_install();
    s->store = st;
    s->tls = tls;
    s->max_body = cfg->max_body ? cfg->max_body : SERVER_DEFAULT_MAX_BODY;
    rc = start_tls_daemon(s, cfg, err);
    if (rc == SNUG_OK)
        rc = start_metrics_daemon(s, cfg, err);
    if (rc != SNUG_OK) {
        if (s->tls_daemon)
            MHD_stop_daemon(s->tls_daemon);
        free(s);
        return rc;
    }
    *out = s;
    return SNUG_OK;
}

uint16_t server_port(const server *s)
{
    return s->port;
}

uint16_t server_metrics_port(const server *s)
{
    return s->metrics_port;
}

unsigned server_in_flight(const server *s)
{
    return __atomic_load_n(&s->in_flight, __ATOMIC_ACQUIRE);
}

unsigned server_stop(server *s, unsigned deadline_ms)
{
    MHD_socket fd;
    unsigned waited = 0;
    unsigned left;

    __atomic_store_n(&s->stopping, 1, __ATOMIC_RELEASE);
    fd = MHD_quiesce_daemon(s->tls_daemon);
    if (fd != MHD_INVALID_SOCKET)
        close(fd);
    while (server_in_flight(s) > 0 && waited < deadline_ms) {
        usleep(5000);
        waited += 5;
    }
    left = server_in_flight(s);
    MHD_stop_daemon(s->tls_daemon);
    if (s->metrics_daemon)
        MHD_stop_daemon(s->metrics_daemon);
    free(s);
    return left;
}

/* metrics_http.c -- the plain-HTTP /metrics, /healthz and /readyz listener
 * (metrics_http.h): one libmicrohttpd daemon with its own polling thread.
 *
 * Every request is answered on the first call of the access handler, when
 * only the headers have arrived: nothing here reads a request body, and a
 * request that announces one is refused before it is sent.
 */
#include "metrics/metrics_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "base/dynbuf.h"
#include "base/log.h"

#define TEXT_PLAIN "text/plain; charset=utf-8"

struct metrics_http {
    struct MHD_Daemon *daemon;
    metrics_registry *registry;
    metrics_http_check_fn healthy, ready;
    void *ud;
    size_t max_output;
    uint16_t port;
};

typedef enum route { ROUTE_METRICS, ROUTE_HEALTHZ, ROUTE_READYZ, ROUTE_NONE } route;

/* ---- answers ------------------------------------------------------------- */

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
    snug_log(LOG_DEBUG, "metrics-http", "libmicrohttpd", "detail", msg, NULL);
}

/* Queue `len` bytes of `body` (taken: freed by libmicrohttpd, or here on
 * failure) with the given status and content type. */
static enum MHD_Result send_owned(struct MHD_Connection *c, unsigned status, char *body, size_t len,
                                  const char *content_type)
{
    struct MHD_Response *r;
    enum MHD_Result ret;

    r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *c, unsigned status, const char *text)
{
    char *copy = strdup(text);

    if (copy == NULL)
        return MHD_NO;
    return send_owned(c, status, copy, strlen(copy), TEXT_PLAIN);
}

static enum MHD_Result answer_metrics(metrics_http *h, struct MHD_Connection *c)
{
    dynbuf out;
    snug_err err;
    size_t len;
    char *body;

    dynbuf_init(&out, h->max_output);
    if (metrics_render(h->registry, &out, &err) != SNUG_OK) {
        dynbuf_free(&out);
        snug_log(LOG_WARN, "metrics-http", "cannot render metrics", "error", err.msg, NULL);
        return send_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "metrics unavailable\n");
    }
    len = dynbuf_len(&out);
    body = dynbuf_take(&out);
    if (body == NULL)
        return MHD_NO;
    return send_owned(c, MHD_HTTP_OK, body, len, METRICS_CONTENT_TYPE);
}

/* 200 "ok" when `check` (may be NULL) passes, else 503 with its reason. */
static enum MHD_Result answer_check(metrics_http *h, struct MHD_Connection *c,
                                    metrics_http_check_fn check, const char *fallback)
{
    char reason[METRICS_HTTP_REASON_MAX];
    char text[METRICS_HTTP_REASON_MAX + 2];
    size_t n;

    reason[0] = '\0';
    if (check == NULL || check(h->ud, reason, sizeof(reason)))
        return send_text(c, MHD_HTTP_OK, "ok\n");
    reason[sizeof(reason) - 1] = '\0';
    n = strlen(reason);
    while (n > 0 && (reason[n - 1] == '\n' || reason[n - 1] == '\r'))
        reason[--n] = '\0';
    snprintf(text, sizeof(text), "%s\n", n > 0 ? reason : fallback);
    return send_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, text);
}

/* ---- routing --------------------------------------------------------------- */

static route route_of(const char *url)
{
    if (strcmp(url, "/metrics") == 0)
        return ROUTE_METRICS;
    if (strcmp(url, "/healthz") == 0)
        return ROUTE_HEALTHZ;
    if (strcmp(url, "/readyz") == 0)
        return ROUTE_READYZ;
    return ROUTE_NONE;
}

static bool method_allowed(const char *method)
{
    return strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
}

/* Whether the request announces a body: a Content-Length other than 0, or
 * any Transfer-Encoding. */
static bool has_body(struct MHD_Connection *c)
{
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    const char *te = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Transfer-Encoding");

    if (te != NULL)
        return true;
    return cl != NULL && strspn(cl, "0") != strlen(cl);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    metrics_http *h = cls;
    route rt = route_of(url);

    (void)version;
    (void)upload_data;
    (void)con_cls;
    *upload_data_size = 0; /* never reached with data: the answer is queued first */
    if (rt == ROUTE_NONE)
        return send_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
    if (!method_allowed(method))
        return send_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "use GET\n");
    if (has_body(c))
        return send_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "request bodies are not accepted\n");
    if (rt == ROUTE_METRICS)
        return answer_metrics(h, c);
    if (rt == ROUTE_HEALTHZ)
        return answer_check(h, c, h->healthy, "not healthy");
    return answer_check(h, c, h->ready, "not ready");
}

/* ---- start / stop ------------------------------------------------------------ */

/* Fill *sa from a numeric address and port; *len its size, *v6 whether IPv6. */
static snug_status make_sockaddr(const char *address, int port, struct sockaddr_storage *sa,
                                 socklen_t *len, bool *v6, snug_err *err)
{
    struct sockaddr_in *a4 = (struct sockaddr_in *)sa;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)sa;

    memset(sa, 0, sizeof(*sa));
    if (port < 0 || port > 65535)
        return snug_err_set(err, SNUG_ERR_INVALID, "metrics listener: port %d is not in 0..65535",
                            port);
    if (inet_pton(AF_INET, address, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        *len = sizeof(*a4);
        *v6 = false;
        return SNUG_OK;
    }
    if (inet_pton(AF_INET6, address, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*a6);
        *v6 = true;
        return SNUG_OK;
    }
    return snug_err_set(err, SNUG_ERR_INVALID,
                        "metrics listener: address \"%.100s\" is not a numeric IPv4 or IPv6 "
                        "address",
                        address);
}

static uint16_t daemon_port(struct MHD_Daemon *d)
{
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);

    return info != NULL ? info->port : 0;
}

static struct MHD_Daemon *daemon_start(metrics_http *h, const struct sockaddr_storage *sa, bool v6,
                                       int port)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;

    if (v6)
        flags |= MHD_USE_DUAL_STACK;
    return MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR,
                            (const struct sockaddr *)sa, MHD_OPTION_CONNECTION_LIMIT,
                            METRICS_HTTP_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
                            METRICS_HTTP_CONN_TIMEOUT_S, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
                            (size_t)METRICS_HTTP_CONN_MEMORY, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
                            NULL, MHD_OPTION_END);
}

snug_status metrics_http_start(const metrics_http_opts *o, metrics_http **out, snug_err *err)
{
    const char *addr = o != NULL && o->address != NULL ? o->address : "0.0.0.0";
    struct sockaddr_storage sa;
    socklen_t sa_len = 0;
    bool v6 = false;
    metrics_http *h;
    snug_status st;

    *out = NULL;
    if (o == NULL || o->registry == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "metrics listener: a registry is required");
    st = make_sockaddr(addr, o->port, &sa, &sa_len, &v6, err);
    if (st != SNUG_OK)
        return st;
    h = calloc(1, sizeof(*h));
    if (h == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "metrics listener: out of memory");
    h->registry = o->registry;
    h->healthy = o->healthy;
    h->ready = o->ready;
    h->ud = o->ud;
    h->max_output = o->max_output > 0 ? o->max_output : METRICS_HTTP_DEFAULT_OUTPUT;
    h->daemon = daemon_start(h, &sa, v6, o->port);
    if (h->daemon == NULL) {
        free(h);
        return snug_err_set(err, SNUG_ERR_IO, "cannot start the metrics listener on %s%s%s:%d",
                            v6 ? "[" : "", addr, v6 ? "]" : "", o->port);
    }
    h->port = daemon_port(h->daemon);
    *out = h;
    return SNUG_OK;
}

uint16_t metrics_http_port(const metrics_http *h)
{
    return h->port;
}

void metrics_http_stop(metrics_http *h)
{
    if (h == NULL)
        return;
    MHD_stop_daemon(h->daemon);
    free(h);
}

/* ---- listen flags ------------------------------------------------------------ */

/* A port: decimal digits only, 0..65535. */
static bool parse_port(const char *s, int *port)
{
    long v = 0;
    size_t i;

    if (s[0] == '\0' || strlen(s) > 5)
        return false;
    for (i = 0; s[i] != '\0'; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v > 65535)
        return false;
    *port = (int)v;
    return true;
}

/* Split spec into host [host_len bytes at *host] and the port text. */
static snug_status split_listen(const char *spec, const char **host, size_t *host_len,
                                const char **port_s, snug_err *err)
{
    const char *colon;

    if (spec[0] == '[') {
        colon = strchr(spec, ']');
        if (colon == NULL || colon[1] != ':')
            return snug_err_set(err, SNUG_ERR_INVALID,
                                "listen address \"%.100s\": expected [IPv6]:PORT", spec);
        *host = spec + 1;
        *host_len = (size_t)(colon - spec - 1);
        *port_s = colon + 2;
        return SNUG_OK;
    }
    colon = strchr(spec, ':');
    if (colon == NULL) { /* a port alone */
        *host = "";
        *host_len = 0;
        *port_s = spec;
        return SNUG_OK;
    }
    if (strchr(colon + 1, ':') != NULL)
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "listen address \"%.100s\": an IPv6 address needs brackets "
                            "([::1]:8080)",
                            spec);
    *host = spec;
    *host_len = (size_t)(colon - spec);
    *port_s = colon + 1;
    return SNUG_OK;
}

snug_status metrics_http_parse_listen(const char *spec, char *addr, size_t cap, int *port,
                                      snug_err *err)
{
    const char *host = "", *port_s = "";
    size_t host_len = 0;
    char tmp[METRICS_HTTP_ADDR_MAX];
    unsigned char bin[sizeof(struct in6_addr)];
    int af = spec != NULL && spec[0] == '[' ? AF_INET6 : AF_INET;
    int p;
    snug_status st;

    if (spec == NULL || spec[0] == '\0')
        return snug_err_set(err, SNUG_ERR_INVALID, "listen address is empty: expected HOST:PORT");
    st = split_listen(spec, &host, &host_len, &port_s, err);
    if (st != SNUG_OK)
        return st;
    if (!parse_port(port_s, &p))
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "listen address \"%.100s\": port \"%.20s\" is not a number in "
                            "0..65535",
                            spec, port_s);
    if (host_len == 0 && af == AF_INET)
        snprintf(tmp, sizeof(tmp), "0.0.0.0");
    else if (host_len < sizeof(tmp))
        snprintf(tmp, sizeof(tmp), "%.*s", (int)host_len, host);
    if (host_len >= sizeof(tmp) || inet_pton(af, tmp, bin) != 1)
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "listen address \"%.100s\": \"%.*s\" is not a numeric %s address", spec,
                            (int)(host_len < 64 ? host_len : 64), host,
                            af == AF_INET6 ? "IPv6" : "IPv4");
    if (strlen(tmp) + 1 > cap)
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "listen address \"%.100s\": the address does not fit in %zu bytes",
                            spec, cap);
    memcpy(addr, tmp, strlen(tmp) + 1);
    *port = p;
    return SNUG_OK;
}

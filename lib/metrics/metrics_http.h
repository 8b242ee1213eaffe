/* metrics_http.h -- a small plain-HTTP listener for a metrics registry and
 * the health endpoints of a long-running process (libmicrohttpd).
 *
 *   GET /metrics   200, metrics_render() of the registry, METRICS_CONTENT_TYPE
 *                  (500 "metrics unavailable" when rendering fails, e.g. past
 *                  max_output bytes)
 *   GET /healthz   200 "ok\n" while healthy(ud, reason, cap) returns true,
 *                  else 503 "<reason>\n" ("not healthy\n" when no reason)
 *   GET /readyz    the same with ready()
 *   other paths    404 "not found\n" (whatever the method)
 *   other methods  405 "use GET\n" with "Allow: GET, HEAD" on the three paths
 *   HEAD           as GET without the body
 *   a request body 413 "request bodies are not accepted\n" (Content-Length
 *                  above 0 or any Transfer-Encoding), connection closed
 *
 * Paths are matched exactly ("/metrics/" is 404); a query string is
 * ignored ("/metrics?x=1" is /metrics). A NULL check callback means
 * "always 200 ok".
 *
 * Bounds: one polling thread; at most METRICS_HTTP_MAX_CONNECTIONS
 * connections (more are refused by the listener), an idle connection is
 * closed after METRICS_HTTP_CONN_TIMEOUT_S seconds, request headers are
 * held in METRICS_HTTP_CONN_MEMORY bytes per connection (libmicrohttpd
 * answers larger headers itself with 431), the rendered exposition is at
 * most `max_output` bytes.
 *
 * Threads: the callbacks and metrics_render() run on the listener's thread,
 * one request at a time. healthy() and ready() must be quick, thread-safe
 * with respect to the rest of the program (read atomics or take a short
 * lock), and write at most `cap` bytes (including the NUL) into `reason`,
 * which starts as "". The registry and `ud` must outlive the listener;
 * `address` is read during metrics_http_start() only.
 *
 * Nothing here prints: libmicrohttpd's own messages go to snug_log at debug
 * level.
 */
#ifndef SNUG_METRICS_HTTP_H
#define SNUG_METRICS_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "metrics/metrics.h"

#define METRICS_HTTP_MAX_CONNECTIONS 64u
#define METRICS_HTTP_CONN_TIMEOUT_S  30u
#define METRICS_HTTP_CONN_MEMORY     (32u * 1024u)
#define METRICS_HTTP_DEFAULT_OUTPUT  (16u << 20)
#define METRICS_HTTP_REASON_MAX      256 /* reason buffer given to the checks */
#define METRICS_HTTP_ADDR_MAX        64  /* enough for any numeric IPv6 address */

typedef struct metrics_http metrics_http;

/* A health or readiness check: true when good; when false, it may write a
 * short reason ("caches not synced: pods") into reason[0..cap). */
typedef bool (*metrics_http_check_fn)(void *ud, char *reason, size_t cap);

typedef struct metrics_http_opts {
    const char *address;           /* numeric IPv4 or IPv6 ("0.0.0.0", "127.0.0.1",
                                      "::", "::1"); NULL: "0.0.0.0". "::" also
                                      accepts IPv4 (dual stack). */
    int port;                      /* 0..65535; 0: any free port (see metrics_http_port) */
    metrics_registry *registry;    /* required; borrowed */
    metrics_http_check_fn healthy; /* NULL: always healthy */
    metrics_http_check_fn ready;   /* NULL: always ready */
    void *ud;                      /* passed to both checks */
    size_t max_output;             /* /metrics body bound; 0: METRICS_HTTP_DEFAULT_OUTPUT */
} metrics_http_opts;

/* Bind and start serving on its own thread. On success *out is the caller's
 * (free with metrics_http_stop). Fails with SNUG_ERR_INVALID (no registry,
 * port out of range, an address that is not numeric IPv4/IPv6: the message
 * names it) or SNUG_ERR_IO (cannot bind or start: "cannot start the metrics
 * listener on 127.0.0.1:9090"); *out is then NULL. */
snug_status metrics_http_start(const metrics_http_opts *o, metrics_http **out, snug_err *err);

/* The port actually bound (the chosen one when opts.port was 0). */
uint16_t metrics_http_port(const metrics_http *h);

/* Close the listener and every connection, wait for the thread, free.
 * NULL is ignored. The callbacks are not called after it returns. */
void metrics_http_stop(metrics_http *h);

/* Split a listen flag into a numeric address and a port:
 *   ":8080"          -> "0.0.0.0", 8080
 *   "8080"           -> "0.0.0.0", 8080
 *   "127.0.0.1:9090" -> "127.0.0.1", 9090
 *   "[::1]:8080"     -> "::1", 8080       "[::]:0" -> "::", 0
 * `addr` gets at most cap bytes (METRICS_HTTP_ADDR_MAX is enough). Fails with
 * SNUG_ERR_INVALID naming the spec when the port is missing, not a number
 * or beyond 65535, an IPv6 address lacks brackets, the address is not
 * numeric IPv4/IPv6 ("localhost" is refused), or it does not fit in cap. */
snug_status metrics_http_parse_listen(const char *spec, char *addr, size_t cap, int *port,
                                      snug_err *err);

#endif

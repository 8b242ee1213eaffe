/* server.h -- the HTTPS admission server (libmicrohttpd over GnuTLS) and
 * its plain-HTTP metrics listener.
 *
 * Endpoints on the TLS port:
 *   POST /mutate   AdmissionReview in, AdmissionReview out (admission.h)
 *   GET  /healthz  200 while the process runs
 *   GET  /readyz   200 once a certificate is loaded and the store synced,
 *                  503 (with the reason) before that and while shutting down
 * On the metrics port (plain HTTP, may be off): GET /metrics (Prometheus
 * text format) and GET /healthz.
 *
 * TLS 1.2 and 1.3 only; HTTP/1.1 keep-alive; a thread pool (epoll) sized from
 * the CPUs the process may use; idle connections closed after
 * `connection_timeout` seconds (longer than the API server's 90 s idle
 * timeout, so it never writes into a connection we closed); request bodies
 * capped at `max_body` bytes (413 beyond); a body that is not
 * application/json is refused with 415. server_stop() stops accepting,
 * lets requests in flight finish within a deadline, then closes everything.
 */
#ifndef SNUG_SERVER_H
#define SNUG_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "webhook/store.h"
#include "webhook/tls_keeper.h"

#define SERVER_DEFAULT_PORT         8443
#define SERVER_DEFAULT_METRICS_PORT 9090
#define SERVER_DEFAULT_MAX_BODY     (8u << 20)
#define SERVER_DEFAULT_CONN_TIMEOUT 120
#define SERVER_DEFAULT_CONN_LIMIT   16384

typedef struct server_config {
    const char *address;         /* listen address, NULL = "0.0.0.0" */
    uint16_t port;               /* 0 = any free port (tests) */
    const char *metrics_address; /* NULL = same as address */
    int metrics_port;            /* -1 = no metrics listener, 0 = any free port */
    size_t max_body;             /* 0 = SERVER_DEFAULT_MAX_BODY */
    unsigned threads;            /* 0 = cpus_available() */
    unsigned connection_timeout; /* seconds, 0 = SERVER_DEFAULT_CONN_TIMEOUT */
    unsigned connection_limit;   /* 0 = SERVER_DEFAULT_CONN_LIMIT */
} server_config;

typedef struct server server;

/* Start both listeners. The store and keeper are borrowed and must outlive
 * the server. Fails with SNUG_ERR_IO when a port cannot be bound (the message
 * names it), SNUG_ERR_TLS when GnuTLS cannot start. */
snug_status server_start(const server_config *cfg, store *st, tls_keeper *tls, server **out,
                         snug_err *err);

/* The ports actually bound (useful with port 0). */
uint16_t server_port(const server *s);
uint16_t server_metrics_port(const server *s);

/* Requests being handled right now. */
unsigned server_in_flight(const server *s);

/* Graceful stop: refuse new connections, mark not ready, wait up to
 * `deadline_ms` for requests in flight, then close every connection and free
 * the server. Returns the number of requests still in flight at the deadline
 * (0 when all finished). */
unsigned server_stop(server *s, unsigned deadline_ms);

#endif

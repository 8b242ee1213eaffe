/* prom_client.h -- a client of the Prometheus HTTP query API over libcurl.
 *
 * Speaks to anything that serves Prometheus' /api/v1/query and
 * /api/v1/query_range: Prometheus, Thanos Query, VictoriaMetrics (URL with
 * its /prometheus prefix), Mimir/Cortex (an X-Scope-OrgID header), behind a
 * proxy under a path prefix. Queries are POSTed as forms, so long queries
 * never hit URL length limits; the answer may be gzip-compressed.
 *
 * Threads: a prom_client may be used from several threads at once. It keeps
 * a small pool of curl easy handles (each with its own connection), takes
 * one per request and puts it back; credentials and statistics are behind
 * a lock or atomic.
 *
 * Retries (see docs/prometheus-client.md): 429, 5xx (not 501/505),
 * timeouts and connection errors are retried up to max_retries times, with
 * exponential backoff and jitter (0.5 s doubling to 8 s), waiting at least a
 * server's Retry-After (at most 30 s). A 401/403 re-reads the token or
 * password file and retries once at once if it changed. Everything else
 * fails at once.
 *
 * Errors name the request, the query (shortened) and what went wrong:
 *   POST http://prom:9090/api/v1/query: HTTP 400: query rate(x[5m): bad_data: ...
 *   POST http://prom:9090/api/v1/query: query up: connection refused (4 attempts)
 *   POST http://prom:9090/api/v1/query: HTTP 200: query up: not JSON: <html>...
 *   POST http://prom:9090/api/v1/query: query up: no answer within 30000 ms, timeout (...)
 * Statuses: SNUG_ERR_INVALID (bad_data: the query is wrong), SNUG_ERR_HTTP
 * (another Prometheus error, or an HTTP error status), SNUG_ERR_PARSE (an
 * empty, non-JSON or malformed answer), SNUG_ERR_UNAUTHORIZED (401/403),
 * SNUG_ERR_NOT_FOUND (404: wrong URL or path prefix), SNUG_ERR_TIMEOUT,
 * SNUG_ERR_IO (connection failures; "aborted" after the abort flag),
 * SNUG_ERR_TLS, SNUG_ERR_TOO_BIG (answer over max_response_bytes; range over
 * PROM_MAX_CHUNKS requests), SNUG_ERR_UNSUPPORTED (native histograms).
 *
 * Warnings in answers are logged (snug_log warn, component "prom", with the
 * query) and kept in the result. Results are owned by the caller
 * (prom_result_free).
 */
#ifndef SNUG_PROM_CLIENT_H
#define SNUG_PROM_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/status.h"
#include "prom/prom_result.h"

#define PROM_DEFAULT_TIMEOUT_MS   30000
#define PROM_DEFAULT_RETRIES      3
#define PROM_DEFAULT_MAX_RESPONSE ((size_t)256 << 20)
#define PROM_DEFAULT_CONCURRENCY  4
#define PROM_DEFAULT_MAX_POINTS   10000
#define PROM_MAX_CONCURRENCY      64
#define PROM_MAX_RETRIES          20
#define PROM_MAX_TIMEOUT_MS       3600000
#define PROM_CONNECT_TIMEOUT_MS   10000 /* also capped by timeout_ms */
#define PROM_CREDENTIAL_FILE_MAX  65536

typedef struct prom_client prom_client;

typedef struct prom_config {
    const char *url;                 /* http(s)://host:port[/path-prefix] */
    const char *bearer_token_file;   /* re-read when it changes and after a 401/403; may be NULL */
    const char *bearer_token;        /* may be NULL; not with bearer_token_file */
    const char *basic_user;          /* basic auth (not with a bearer token); may be NULL */
    const char *basic_password_file; /* required with basic_user; re-read like the token */
    const char *ca_file, *client_cert, *client_key; /* PEM files; cert and key go together */
    bool insecure_skip_verify;
    const char *const *headers; /* extra "Name: value" headers, e.g. X-Scope-OrgID */
    size_t n_headers;
    int timeout_ms;            /* per request; 0 = 30000 */
    int max_retries;           /* 0 = 3; -1 = none */
    size_t max_response_bytes; /* 0 = 256 MiB; beyond -> SNUG_ERR_TOO_BIG */
    int concurrency;           /* parallel requests in prom_run; 0 = 4 */
    int max_points;            /* points per series per range request; 0 = 10000 */
} prom_config;

typedef struct prom_stats {
    uint64_t queries;        /* API requests made (a range chunk is one; retries not) */
    uint64_t errors_http;    /* failed with an HTTP error status that is not a Prometheus answer */
    uint64_t errors_timeout; /* failed: no answer in time */
    uint64_t errors_parse;   /* failed: an empty, non-JSON, malformed or too big answer */
    uint64_t errors_prometheus; /* failed: Prometheus answered status "error" */
    uint64_t errors_transport;  /* failed: connection, TLS, abort */
    uint64_t retries;           /* extra attempts */
    uint64_t bytes_read;        /* answer bytes received (after decompression) */
} prom_stats;

/* Check `cfg` and make a client. Copies everything it keeps (the strings
 * of `cfg` need not outlive the call). Reads the token or password file
 * once, so a missing one fails here. SNUG_ERR_INVALID names the bad field
 * ("Prometheus URL ...", "bearer_token and bearer_token_file are both
 * set", "timeout_ms -1 ..."); SNUG_ERR_IO for an unreadable file. */
snug_status prom_client_new(const prom_config *cfg, prom_client **out, snug_err *err);

/* Close the connections and free. No request may be in progress. NULL is ignored. */
void prom_client_free(prom_client *c);

/* POST /api/v1/query (query=..&time=..&timeout=..); time <= 0 means now
 * (the server's clock). *out is the parsed result on success, else NULL. */
snug_status prom_query(prom_client *c, const char *q, double time, prom_result **out,
                       snug_err *err);

/* POST /api/v1/query_range over start..end (unix seconds) every `step`
 * seconds, cut into requests of at most max_points points per series (see
 * prom_range_plan) that run one after another; their results are merged
 * (prom_result_merge). Fails as a whole when any request fails. */
snug_status prom_query_range(prom_client *c, const char *q, double start, double end, double step,
                             prom_result **out, snug_err *err);

typedef struct prom_request {
    const char *query;
    bool range; /* query_range with start/end/step, else query at time */
    double time, start, end, step;
    prom_result *result; /* out: owned by the caller; NULL on failure */
    snug_status status;  /* out */
    snug_err err;        /* out */
} prom_request;

/* Run `n` requests with at most `concurrency` in flight (threads, each with
 * its own connection). Every request gets its own result, status and err.
 * Returns SNUG_OK when every request ran (each may still have failed: a
 * bad query, a Prometheus error), else the first transport-level failure
 * (no usable answer: connection, TLS, timeout, 401/403/404, an answer that
 * is not Prometheus'), copied into `err`. After a failure that every other
 * request would meet too (connection refused, TLS, 401/403/404, abort) no
 * new request is started: those not run get that status and "not run: ...". */
snug_status prom_run(prom_client *c, prom_request *reqs, size_t n, snug_err *err);

/* A snapshot of the counters (they only grow). */
void prom_client_stats(const prom_client *c, prom_stats *out);

/* Watch `*flag` (NULL: stop watching): while it is non-zero, requests in
 * progress stop within about a second and retry waits end, failing with
 * SNUG_ERR_IO "aborted". The flag must outlive its use. */
void prom_client_set_abort(prom_client *c, const volatile int *flag);

#endif

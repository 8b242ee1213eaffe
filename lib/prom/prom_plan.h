/* prom_plan.h -- the pure parts of the Prometheus client: checking and
 * normalising the server URL and extra headers, writing form bodies,
 * cutting a range query into chunks Prometheus accepts, and the retry
 * policy. No I/O; prom_client.c uses them, the unit tests test them.
 */
#ifndef SNUG_PROM_PLAN_H
#define SNUG_PROM_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/dynbuf.h"
#include "base/status.h"

#define PROM_BACKOFF_MIN_MS     500   /* first retry delay (then 1 s, 2 s, ... with jitter) */
#define PROM_BACKOFF_MAX_MS     8000  /* backoff ceiling */
#define PROM_RETRY_AFTER_MAX_MS 30000 /* a server's Retry-After is honoured up to this */
#define PROM_MAX_CHUNKS         100000
#define PROM_URL_MAX            2048
#define PROM_HEADER_MAX         8192

/* Check a server URL, http(s)://host[:port][/path-prefix], and return in
 * *base (malloc'd, caller frees) the URL without trailing slashes, to which
 * "/api/v1/query" is appended. Refused with SNUG_ERR_INVALID, naming the
 * problem: not a URL, a scheme other than http/https, no host, user
 * credentials in the URL (use the basic-auth options), a query or fragment,
 * longer than PROM_URL_MAX. */
snug_status prom_url_base(const char *url, char **base, snug_err *err);

/* Check extra headers: each "Name: value", Name an HTTP token, no CR, LF
 * or NUL, at most PROM_HEADER_MAX bytes. SNUG_ERR_INVALID naming header i. */
snug_status prom_headers_check(const char *const *headers, size_t n, snug_err *err);

/* Append "&name=value" (no '&' when `b` is empty) as
 * application/x-www-form-urlencoded: unreserved bytes (A-Z a-z 0-9 - . _ ~)
 * as they are, space as '+', every other byte %XX. Buffer failures as
 * dynbuf_add(); on failure the buffer keeps what it had. */
snug_status prom_form_add(dynbuf *b, const char *name, const char *value);

/* Append "&name=<seconds with millisecond precision>" (e.g. 1700000000.5). */
snug_status prom_form_add_time(dynbuf *b, const char *name, double t);

/* One range request: evaluation times start, start+step, ..., <= end (unix
 * milliseconds, so chunk edges never drift). */
typedef struct prom_chunk {
    int64_t start_ms, end_ms;
} prom_chunk;

/* Cut start..end at `step` (seconds) into chunks of at most `max_points`
 * evaluation points each, covering exactly the points one request would
 * (no overlap, no gap). *out is malloc'd (caller frees), *n >= 1.
 * SNUG_ERR_INVALID: a time not finite or beyond +-1e12 s, end before start,
 * step below 1 ms, max_points < 1; SNUG_ERR_TOO_BIG: more than
 * PROM_MAX_CHUNKS chunks; SNUG_ERR_NOMEM. */
snug_status prom_range_plan(double start, double end, double step, int max_points, prom_chunk **out,
                            size_t *n, snug_err *err);

/* Whether an HTTP status is worth retrying: 429 and 5xx except 501 and 505. */
bool prom_http_retryable(long code);

/* The delay before retry number `attempt` (0-based): exponential backoff
 * with jitter between PROM_BACKOFF_MIN_MS and PROM_BACKOFF_MAX_MS (`r01`
 * uniform in [0, 1]); at least the server's Retry-After (seconds, <= 0:
 * none), but never above PROM_RETRY_AFTER_MAX_MS. */
long prom_retry_delay_ms(unsigned attempt, long retry_after_s, double r01);

#endif

/* metrics.h -- a small thread-safe Prometheus registry and the text format.
 *
 * A registry holds families (name, help, type, fixed label names); a family
 * holds children, one per set of label values:
 *
 *   metrics_family *req;
 *   metrics_register(reg, METRICS_COUNTER, &(metrics_opts){
 *       .name = "snug_webhook_requests_total", .help = "Admission requests.",
 *       .labels = (const char *[]){"result"}, .n_labels = 1}, &req, &err);
 *   metrics_child *mutated = metrics_child_get(req, (const char *[]){"mutated"});
 *   metrics_counter_inc(mutated);               // hot path: one atomic add
 *
 * Threads: every function may be called from any thread. Updates are
 * lock-free atomics; finding an existing child is a lock-free hash lookup;
 * only creating a child (first use of a label set) and rendering take the
 * family's mutex. Registering families takes the registry's mutex. Handles
 * (families, children) stay valid until metrics_registry_free(), which must
 * not race with anything else. Cache child handles for fixed label sets.
 *
 * Cardinality: a family holds at most `max_children` label sets (registry
 * option, default METRICS_DEFAULT_MAX_CHILDREN). Beyond that, and when a new
 * child cannot be allocated, updates go to the family's overflow child,
 * rendered with every label value set to METRICS_OVERFLOW_VALUE, so sums stay
 * right and the overflow is visible; a warning is logged once per family.
 * A family without labels has exactly one child, created at registration.
 *
 * Rendering (text format 0.0.4): families in registration order, each with
 * "# HELP" and "# TYPE" lines (also when it has no children yet), children
 * in creation order, the overflow child last. Label values escape backslash,
 * double quote and newline; HELP escapes backslash and newline. Values print
 * as the first of %.15g, %.16g, %.17g that reads back exactly ("0.1", "42",
 * "1e+21", "0.30000000000000004"), and "+Inf", "-Inf", "NaN". Counters
 * holding whole numbers print as exact integers.
 *
 * Nothing here prints; failures return snug_status with a message.
 */
#ifndef SNUG_METRICS_H
#define SNUG_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/dynbuf.h"
#include "base/status.h"

#define METRICS_DEFAULT_MAX_CHILDREN 1024
#define METRICS_MAX_LABELS           16
#define METRICS_MAX_BUCKETS          64
#define METRICS_OVERFLOW_VALUE       "__overflow__"

typedef enum metrics_type {
    METRICS_COUNTER = 0,
    METRICS_GAUGE = 1,
    METRICS_HISTOGRAM = 2
} metrics_type;

typedef struct metrics_registry metrics_registry;
typedef struct metrics_family metrics_family;
typedef struct metrics_child metrics_child;

/* A value computed at scrape time (cache sizes, certificate expiry...). It
 * runs under the family's mutex during metrics_render(): it must be quick
 * and must not call back into the same registry. */
typedef double (*metrics_value_fn)(void *ud);

typedef struct metrics_opts {
    const char *name;          /* [a-zA-Z_:][a-zA-Z0-9_:]* */
    const char *help;          /* any text; NULL is "" */
    const char *const *labels; /* [a-zA-Z_][a-zA-Z0-9_]*, not "__..." nor
                                  "le" for histograms, no duplicates */
    size_t n_labels;           /* at most METRICS_MAX_LABELS */
    const double *buckets;     /* histograms: strictly increasing upper bounds;
                                  a final +Inf is implied (and may be given);
                                  NULL with n_buckets 0: the default buckets */
    size_t n_buckets;          /* at most METRICS_MAX_BUCKETS, +Inf included */
} metrics_opts;

/* The default histogram buckets (seconds, as the Go client): .005 .01 .025
 * .05 .1 .25 .5 1 2.5 5 10. */
extern const double metrics_default_buckets[];
extern const size_t metrics_default_buckets_len;

/* A new empty registry whose families hold at most `max_children` label sets
 * each (0: METRICS_DEFAULT_MAX_CHILDREN). NULL only when out of memory. */
metrics_registry *metrics_registry_new(size_t max_children);

/* Free the registry with all its families and children. NULL is a no-op. */
void metrics_registry_free(metrics_registry *r);

/* Add a family. On success *out is owned by the registry. Fails with
 * SNUG_ERR_INVALID (bad name, label name, buckets, a name registered
 * already: the message names it) or SNUG_ERR_NOMEM; *out is then untouched. */
snug_status metrics_register(metrics_registry *r, metrics_type type, const metrics_opts *opts,
                             metrics_family **out, snug_err *err);

/* The child for `values` (as many as the family has labels; a NULL value is
 * "", and NULL values means all ""; ignored for a family without labels),
 * created on first use. Never
 * NULL for a non-NULL family: past the cardinality cap (or out of memory) it
 * is the overflow child. Returns NULL only when f is NULL. */
metrics_child *metrics_child_get(metrics_family *f, const char *const *values);

/* Updates. All accept NULL (no-op), so a failed registration never crashes a
 * caller, and ignore a child of the wrong type. */

/* Counters: add 1, or add v (v < 0 and NaN are ignored: counters only go up). */
void metrics_counter_inc(metrics_child *c);
void metrics_counter_add(metrics_child *c, double v);

/* Gauges: set, or add (v may be negative). */
void metrics_gauge_set(metrics_child *c, double v);
void metrics_gauge_add(metrics_child *c, double v);

/* Histograms: count v in the first bucket whose bound is >= v (bounds are
 * inclusive) and add it to _sum. NaN is ignored. */
void metrics_histogram_observe(metrics_child *c, double v);

/* Counters and gauges: report fn(ud) at scrape time instead of the stored
 * value (pass fn NULL to go back). For counters fn must never decrease. */
void metrics_child_set_fn(metrics_child *c, metrics_value_fn fn, void *ud);

/* The current value of a counter or gauge child (callbacks are called);
 * NaN for NULL or a histogram. For tests and self-checks. */
double metrics_child_value(metrics_child *c);

/* Append the whole registry in text format 0.0.4 to `out`. On failure
 * (SNUG_ERR_TOO_BIG past out's maximum, SNUG_ERR_NOMEM) `out` is cut back to
 * what it held before. */
snug_status metrics_render(metrics_registry *r, dynbuf *out, snug_err *err);

/* The content type to serve the text with. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* ---- process metrics (Linux, from /proc/self) -------------------------- */

typedef struct metrics_process_stats {
    double cpu_seconds;    /* user + system CPU time */
    double resident_bytes; /* resident set size */
    double virtual_bytes;  /* virtual memory size */
    double start_time;     /* seconds since the epoch */
    double open_fds;       /* entries in /proc/self/fd */
    double max_fds;        /* soft RLIMIT_NOFILE */
} metrics_process_stats;

/* Read the current figures. SNUG_ERR_IO / SNUG_ERR_PARSE when /proc cannot be
 * read or understood (the message names the file). */
snug_status metrics_process_read(metrics_process_stats *out, snug_err *err);

/* Register the standard process families as scrape-time callbacks:
 * process_cpu_seconds_total (counter), process_resident_memory_bytes,
 * process_virtual_memory_bytes, process_start_time_seconds,
 * process_open_fds, process_max_fds (gauges). A figure that cannot be read
 * at scrape time renders as NaN. Failures as for metrics_register(). */
snug_status metrics_register_process(metrics_registry *r, snug_err *err);

#endif

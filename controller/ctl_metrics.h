/* ctl_metrics.h -- the controller's Prometheus metrics, in one place.
 *
 *   snug_controller_pass_duration_seconds{result}       histogram
 *   snug_controller_passes_total{result}                 counter
 *   snug_controller_prometheus_queries_total             counter
 *   snug_controller_prometheus_errors_total{kind}        counter (http, timeout, parse,
 *                                                        prometheus, transport)
 *   snug_controller_prometheus_retries_total             counter
 *   snug_controller_prometheus_bytes_read_total          counter
 *   snug_controller_api_requests_total{verb,code}        counter (kube_client.h's verbs
 *                                                        and classes)
 *   snug_controller_workloads                            gauge
 *   snug_controller_containers                           gauge
 *   snug_controller_state_bytes                          gauge
 *   snug_controller_recommendations_written_total        counter
 *   snug_controller_recommendations_unchanged_total      counter
 *   snug_controller_recommendations_deleted_total        counter
 *   snug_controller_oom_bumps_total                      counter
 *   snug_controller_policies_refused                     gauge
 *   snug_controller_recommendations_held                 gauge
 *   snug_controller_checkpoint_age_seconds               gauge, computed at scrape time
 *   snug_controller_last_pass_timestamp_seconds          gauge
 *   snug_controller_leader                               gauge 0/1
 *   snug_controller_cache_objects{resource}              gauge
 *   snug_controller_cache_bytes{resource}                gauge (cache_slim_bytes)
 *   process_* (metrics_register_process)
 * What each means and what to alert on: docs/controller.md (Metrics).
 *
 * Label sets known in advance start at 0 (passes_total and the histogram
 * for the four results below, prometheus_errors_total for its five kinds),
 * so rate() sees their first increase; api_requests_total gets a series the
 * first time a verb/class pair is seen.
 *
 * Counters fed from cumulative figures (ctl_metrics_prom, ctl_metrics_kube)
 * add the difference from the last figures seen. A figure below the last
 * one means its source started again (a new prom_client): the whole new
 * figure is added, so the counters never go back.
 *
 * Threads: every function may be called from any thread (updates are
 * atomics; the last-seen figures are under a mutex).
 */
#ifndef SNUG_CTL_METRICS_H
#define SNUG_CTL_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/status.h"
#include "metrics/metrics.h"
#include "prom/prom_client.h"

/* Results of a pass as the operator names them; any other string is
 * accepted too (bounded by the registry's cardinality cap). */
#define CTL_PASS_OK                 "ok"
#define CTL_PASS_PROMETHEUS_ERROR   "prometheus_error"
#define CTL_PASS_API_ERROR          "api_error"
#define CTL_PASS_SKIPPED_NOT_LEADER "skipped_not_leader"

typedef struct ctl_metrics ctl_metrics;

/* Register every family above, and the process_* families, on `r` (which
 * must have none of them yet). On success *out is the caller's; free it with
 * ctl_metrics_free() before the registry. Fails with SNUG_ERR_INVALID (a
 * name registered already, named in the message) or SNUG_ERR_NOMEM; *out is
 * then NULL and `r` may hold some of the families: drop the registry. */
snug_status ctl_metrics_new(metrics_registry *r, ctl_metrics **out, snug_err *err);

/* Free the handle. The families stay in the registry and can still be
 * rendered; the checkpoint age then keeps its last value. NULL is ignored. */
void ctl_metrics_free(ctl_metrics *m);

/* One pass ended after `seconds`, with `result` (CTL_PASS_*; NULL is
 * "unknown"): observed in the histogram, counted in passes_total. */
void ctl_metrics_pass(ctl_metrics *m, double seconds, const char *result);

/* The Prometheus client's cumulative statistics (prom_client_stats): adds
 * what is new to queries, errors by kind, retries and bytes read. */
void ctl_metrics_prom(ctl_metrics *m, const prom_stats *s);

/* Reads kube_request_counts() and adds what is new to api_requests_total. */
void ctl_metrics_kube(ctl_metrics *m);

/* What the controller tracks now: workloads, containers, and the bytes of
 * its recommender state. */
void ctl_metrics_tracked(ctl_metrics *m, size_t workloads, size_t containers, size_t state_bytes);

/* Recommendations of one pass: written (created or changed), unchanged
 * (left as they were), deleted (their workload is gone). */
void ctl_metrics_writes(ctl_metrics *m, size_t written, size_t unchanged, size_t deleted);

/* The sizing the last pass computed, summed over the containers snug sizes
 * (one Pod each, not times replicas): current requests and recommended
 * targets, CPU in cores and memory in bytes (snug_controller_requested and
 * snug_controller_recommended, label resource). */
void ctl_metrics_sizing(ctl_metrics *m, double requested_cores, double recommended_cores,
                        double requested_bytes, double recommended_bytes);

/* `n` memory recommendations raised after an OOM kill (written). */
void ctl_metrics_oom_bumps(ctl_metrics *m, size_t n);

/* SizingPolicies the last pass refused (the parser's error is in the log
 * and an Event), and the Recommendations held for them (made by a refused
 * policy: neither rewritten nor deleted). */
void ctl_metrics_policies(ctl_metrics *m, size_t refused, size_t held);

/* The checkpoint in force was saved at `saved_at_unix` (seconds since the
 * epoch): call after each save and after loading one at start.
 * checkpoint_age_seconds is then now - saved_at at each scrape (never below
 * 0); before the first call it is the time since ctl_metrics_new(), so a
 * checkpoint that is never written shows as a growing age. */
void ctl_metrics_checkpoint(ctl_metrics *m, double saved_at_unix);

/* Whether this replica holds the Lease now. */
void ctl_metrics_leader(ctl_metrics *m, bool leader);

/* The last pass that succeeded ended at `unix_time`. */
void ctl_metrics_last_pass(ctl_metrics *m, double unix_time);

/* One informer cache's size: its objects and the bytes they hold
 * (resource: the plural, "pods"). */
void ctl_metrics_cache(ctl_metrics *m, const char *resource, size_t objects, size_t bytes);

#endif

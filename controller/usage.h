/* usage.h -- observed usage from Prometheus into the workloads' recommender
 * state: the queries, and the grouping of their series in C.
 *
 * The number of queries grows with namespaces and time chunks, never with
 * Pods: every query selects a whole namespace's series and groups them by
 * (namespace, pod, container) in PromQL; C maps each Pod to its workload
 * (wlset) and feeds the samples to that container's rec_state. Per
 * namespace (docs/recommender.md lists every query):
 *
 *   owners      kube_pod_owner, kube_replicaset_owner (kube-state-metrics,
 *               when present), max_over_time over the window, instant
 *   resources   kube_pod_container_resource_requests / _limits, instant
 *   go          go_info, max_over_time over the window, instant
 *   oom         increase(container_oom_events_total[1h]) and
 *               kube_pod_container_status_last_terminated_reason{reason=
 *               "OOMKilled"}, one point per hour over the window
 *   throttling  increase() of the CFS periods and throttled periods, one
 *               point per hour
 *   cpu         rate(container_cpu_usage_seconds_total[rate window]),
 *               one point per step (1m), in chunks of a day
 *   memory      max_over_time(container_memory_working_set_bytes[step]),
 *               one point per step, in chunks of a day
 *
 * A day's CPU and memory of one namespace are fed and freed before the next
 * day is asked for, so memory holds one day of one namespace at most.
 */
#ifndef SNUG_CTL_USAGE_H
#define SNUG_CTL_USAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/status.h"
#include "model/policy.h"
#include "controller/workloads.h"
#include "prom/prom_client.h"

/* Metric names (defaults: cAdvisor, kube-state-metrics, Go's client) and an
 * optional extra matcher list for a Prometheus shared by several clusters
 * (`cluster="prod"`). Strings are borrowed. */
typedef struct usage_metrics {
    const char *cpu, *memory, *cfs_periods, *cfs_throttled, *oom_events;
    const char *pod_owner, *replicaset_owner, *last_terminated, *requests, *limits, *go_info;
    const char *extra;
} usage_metrics;

void usage_metrics_defaults(usage_metrics *m);

/* Check every name (promql_name_valid) and the extra matchers; the error
 * names the flag's metric. */
snug_status usage_metrics_check(const usage_metrics *m, snug_err *err);

typedef struct usage_opts {
    const usage_metrics *metrics;
    double start, end;        /* the window, unix seconds */
    int step;                 /* seconds between CPU/memory points; 0 = 60 */
    int rate_window;          /* seconds of rate() for CPU; 0 = 5 * step, at least 120 */
    int chunk;                /* seconds of CPU/memory history per query; 0 = 86400 */
    bool continues;           /* [start, end] follows an earlier collection that ended at
                                 start: states read as events count only where they change
                                 (usage_oom.h) */
    bool add_workloads;       /* no API server: add the workloads the series name, */
    const policy *add_policy; /* with this policy (borrowed; NULL: not sized) */
    void (*progress)(void *ud, const char *ns, size_t done, size_t total);
    void *progress_ud;
} usage_opts;

/* Bits of usage_result.missing: metrics that returned no series at all. */
enum {
    USAGE_MISSING_CPU = 1,
    USAGE_MISSING_MEMORY = 2,
    USAGE_MISSING_THROTTLING = 4,
    USAGE_MISSING_OOM = 8,
    USAGE_MISSING_OWNERS = 16,
    USAGE_MISSING_RESOURCES = 32,
    USAGE_MISSING_GO = 64
};

typedef struct usage_result {
    size_t queries;      /* Prometheus requests made */
    size_t series;       /* series read */
    size_t samples;      /* samples fed to the recommender */
    size_t pods;         /* Pods seen */
    size_t pods_skipped; /* Pods of workloads not sized (no policy, opted out, unknown) */
    unsigned missing;    /* USAGE_MISSING_* over all namespaces */
} usage_result;

/* The namespaces that have container series in the window (one query),
 * sorted, into a NULL-terminated array the caller frees with
 * usage_namespaces_free. */
snug_status usage_namespaces(prom_client *pc, const usage_opts *o, char ***out, snug_err *err);
void usage_namespaces_free(char **ns);

/* Read namespace `ns` over the window into the set: Pods mapped to their
 * workloads (added when o->add_workloads), samples fed to the containers'
 * state, OOM kills, Go markers and (without the API server) current
 * requests and limits. Fails on a Prometheus error (the message names the
 * query); `res` counts what was done. */
snug_status usage_collect(prom_client *pc, const usage_opts *o, const char *ns, wlset *set,
                          usage_result *res, snug_err *err);

/* "cpu, memory" for the bits of `missing` ("" for none), into buf. */
void usage_missing_names(unsigned missing, char *buf, size_t cap);

#endif

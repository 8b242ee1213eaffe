/* ctl_metrics.c -- the controller's metric families and their updates
 * (ctl_metrics.h). */
#include "controller/ctl_metrics.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kube/kube_client.h"

#define P "snug_controller_"

struct ctl_metrics {
    metrics_family *pass_seconds, *passes;
    metrics_family *prom_queries, *prom_errors, *prom_retries, *prom_bytes;
    metrics_family *api_requests;
    metrics_family *workloads, *containers, *state_bytes;
    metrics_family *rec_written, *rec_unchanged, *rec_deleted, *oom_bumps;
    metrics_family *policies_refused, *rec_held;
    metrics_family *requested, *recommended;
    metrics_family *cache_objects, *cache_bytes;
    metrics_family *checkpoint_age, *last_pass, *leader;
    metrics_child *age_child;
    pthread_mutex_t lock; /* guards the last-seen figures and api_child */
    prom_stats prom_seen;
    kube_request_stats kube_seen;
    metrics_child *api_child[KUBE_VERB_COUNT][KUBE_CODE_COUNT];
    double started;           /* unix seconds at ctl_metrics_new */
    uint64_t checkpoint_bits; /* double, unix seconds (atomic); 0 bits: none yet */
};

/* Pass durations run from well under a second (nothing to do) to many
 * minutes (a large cluster's first pass). */
static const double pass_buckets[] = {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800};

static const char *const pass_results[] = {CTL_PASS_OK, CTL_PASS_PROMETHEUS_ERROR,
                                           CTL_PASS_API_ERROR, CTL_PASS_SKIPPED_NOT_LEADER};

/* prom_stats' error counters, in the order prom_error_counts() reads them. */
static const char *const prom_error_kinds[] = {"http", "timeout", "parse", "prometheus",
                                               "transport"};
#define N_PROM_ERROR_KINDS (sizeof(prom_error_kinds) / sizeof(prom_error_kinds[0]))

static void prom_error_counts(const prom_stats *s, uint64_t out[N_PROM_ERROR_KINDS])
{
    out[0] = s->errors_http;
    out[1] = s->errors_timeout;
    out[2] = s->errors_parse;
    out[3] = s->errors_prometheus;
    out[4] = s->errors_transport;
}

static double now_unix(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double bits_to_double(uint64_t u)
{
    double d;

    memcpy(&d, &u, sizeof(d));
    return d;
}

static uint64_t double_to_bits(double d)
{
    uint64_t u;

    memcpy(&u, &d, sizeof(u));
    return u;
}

/* ---- registration ------------------------------------------------------------------ */

typedef struct family_spec {
    metrics_type type;
    const char *name;
    const char *help;
    const char *const *labels;
    size_t n_labels;
    metrics_family **out;
} family_spec;

static const char *const result_label[] = {"result"};
static const char *const resource_label[] = {"resource"};
static const char *const kind_label[] = {"kind"};
static const char *const api_labels[] = {"verb", "code"};

static snug_status register_all(metrics_registry *r, ctl_metrics *m, snug_err *err)
{
    const family_spec specs[] = {
        {METRICS_COUNTER, P "passes_total", "Recommendation passes, by result.", result_label, 1,
         &m->passes},
        {METRICS_COUNTER, P "prometheus_queries_total",
         "Requests to the Prometheus HTTP API (a range chunk is one; retries are not).", NULL, 0,
         &m->prom_queries},
        {METRICS_COUNTER, P "prometheus_errors_total",
         "Prometheus requests that failed, by kind (http, timeout, parse, prometheus, transport).",
         kind_label, 1, &m->prom_errors},
        {METRICS_COUNTER, P "prometheus_retries_total", "Extra attempts at Prometheus requests.",
         NULL, 0, &m->prom_retries},
        {METRICS_COUNTER, P "prometheus_bytes_read_total",
         "Bytes of Prometheus answers received (after decompression).", NULL, 0, &m->prom_bytes},
        {METRICS_COUNTER, P "api_requests_total",
         "Kubernetes API requests, by verb and status class (error: no answer).", api_labels, 2,
         &m->api_requests},
        {METRICS_GAUGE, P "workloads", "Workloads tracked.", NULL, 0, &m->workloads},
        {METRICS_GAUGE, P "containers", "Containers tracked.", NULL, 0, &m->containers},
        {METRICS_GAUGE, P "state_bytes", "Bytes of recommender state held.", NULL, 0,
         &m->state_bytes},
        {METRICS_COUNTER, P "recommendations_written_total", "Recommendations created or changed.",
         NULL, 0, &m->rec_written},
        {METRICS_COUNTER, P "recommendations_unchanged_total",
         "Recommendations left as they were by a pass.", NULL, 0, &m->rec_unchanged},
        {METRICS_COUNTER, P "recommendations_deleted_total",
         "Recommendations deleted because their workload is gone.", NULL, 0, &m->rec_deleted},
        {METRICS_COUNTER, P "oom_bumps_total",
         "Memory recommendations raised after an OOM kill (written; each bump once).", NULL, 0,
         &m->oom_bumps},
        {METRICS_GAUGE, P "policies_refused",
         "SizingPolicies the last pass refused (the log and an Event say why).", NULL, 0,
         &m->policies_refused},
        {METRICS_GAUGE, P "recommendations_held",
         "Recommendations made by a refused SizingPolicy, kept unchanged until it is fixed.", NULL,
         0, &m->rec_held},
        {METRICS_GAUGE, P "checkpoint_age_seconds",
         "Seconds since the checkpoint in force was saved (since start when none was).", NULL, 0,
         &m->checkpoint_age},
        {METRICS_GAUGE, P "last_pass_timestamp_seconds",
         "When the last successful pass ended (unix seconds; 0: none yet).", NULL, 0,
         &m->last_pass},
        {METRICS_GAUGE, P "leader", "1 while this replica holds the Lease.", NULL, 0, &m->leader},
        {METRICS_GAUGE, P "requested",
         "Sum of the current requests of the containers snug sizes, per Pod, by resource "
         "(cpu in cores, memory in bytes).",
         resource_label, 1, &m->requested},
        {METRICS_GAUGE, P "recommended",
         "Sum of the recommended requests (targets) of the containers snug sizes, per Pod, by "
         "resource (cpu in cores, memory in bytes).",
         resource_label, 1, &m->recommended},
        {METRICS_GAUGE, P "cache_objects", "Objects in an informer cache, by resource.",
         resource_label, 1, &m->cache_objects},
        {METRICS_GAUGE, P "cache_bytes",
         "Bytes the objects of an informer cache hold as kept (only the fields read), by "
         "resource; the allocator's own overhead is not counted.",
         resource_label, 1, &m->cache_bytes},
    };
    metrics_opts hist = {.name = P "pass_duration_seconds",
                         .help = "Duration of recommendation passes, by result.",
                         .labels = result_label,
                         .n_labels = 1,
                         .buckets = pass_buckets,
                         .n_buckets = sizeof(pass_buckets) / sizeof(pass_buckets[0])};
    snug_status st = metrics_register(r, METRICS_HISTOGRAM, &hist, &m->pass_seconds, err);
    size_t i;

    for (i = 0; st == SNUG_OK && i < sizeof(specs) / sizeof(specs[0]); i++) {
        metrics_opts o = {.name = specs[i].name,
                          .help = specs[i].help,
                          .labels = specs[i].labels,
                          .n_labels = specs[i].n_labels};

        st = metrics_register(r, specs[i].type, &o, specs[i].out, err);
    }
    if (st == SNUG_OK)
        st = metrics_register_process(r, err);
    return st;
}

/* The checkpoint age, at scrape time. */
static double checkpoint_age(void *ud)
{
    ctl_metrics *m = ud;
    uint64_t bits = __atomic_load_n(&m->checkpoint_bits, __ATOMIC_RELAXED);
    double since = bits != 0 ? bits_to_double(bits) : m->started;
    double age = now_unix() - since;

    return age > 0 ? age : 0;
}

/* Children known in advance, so their series start at 0. */
static void precreate_children(ctl_metrics *m)
{
    size_t i;

    for (i = 0; i < sizeof(pass_results) / sizeof(pass_results[0]); i++) {
        metrics_child_get(m->passes, &pass_results[i]);
        metrics_child_get(m->pass_seconds, &pass_results[i]);
    }
    for (i = 0; i < N_PROM_ERROR_KINDS; i++)
        metrics_child_get(m->prom_errors, &prom_error_kinds[i]);
}

snug_status ctl_metrics_new(metrics_registry *r, ctl_metrics **out, snug_err *err)
{
    ctl_metrics *m;
    snug_status st;

    *out = NULL;
    if (r == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "controller metrics: a registry is required");
    m = calloc(1, sizeof(*m));
    if (m == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "controller metrics: out of memory");
    st = register_all(r, m, err);
    if (st != SNUG_OK) {
        free(m);
        return st;
    }
    pthread_mutex_init(&m->lock, NULL);
    m->started = now_unix();
    precreate_children(m);
    m->age_child = metrics_child_get(m->checkpoint_age, NULL);
    metrics_child_set_fn(m->age_child, checkpoint_age, m);
    *out = m;
    return SNUG_OK;
}

void ctl_metrics_free(ctl_metrics *m)
{
    if (m == NULL)
        return;
    /* keep the last age as a plain value: the callback must not outlive m */
    metrics_gauge_set(m->age_child, checkpoint_age(m));
    metrics_child_set_fn(m->age_child, NULL, NULL);
    pthread_mutex_destroy(&m->lock);
    free(m);
}

/* ---- updates ----------------------------------------------------------------------- */

void ctl_metrics_pass(ctl_metrics *m, double seconds, const char *result)
{
    const char *v[1] = {result != NULL ? result : "unknown"};

    if (m == NULL)
        return;
    metrics_histogram_observe(metrics_child_get(m->pass_seconds, v), seconds);
    metrics_counter_inc(metrics_child_get(m->passes, v));
}

/* What a cumulative figure adds since `*seen` was recorded; updates *seen.
 * A figure below the last one means the source started again. */
static uint64_t delta(uint64_t now, uint64_t *seen)
{
    uint64_t d = now >= *seen ? now - *seen : now;

    *seen = now;
    return d;
}

static void add_delta(metrics_child *c, uint64_t now, uint64_t *seen)
{
    uint64_t d = delta(now, seen);

    if (d > 0)
        metrics_counter_add(c, (double)d);
}

void ctl_metrics_prom(ctl_metrics *m, const prom_stats *s)
{
    uint64_t now[N_PROM_ERROR_KINDS], seen[N_PROM_ERROR_KINDS];
    size_t i;

    if (m == NULL || s == NULL)
        return;
    pthread_mutex_lock(&m->lock);
    add_delta(metrics_child_get(m->prom_queries, NULL), s->queries, &m->prom_seen.queries);
    add_delta(metrics_child_get(m->prom_retries, NULL), s->retries, &m->prom_seen.retries);
    add_delta(metrics_child_get(m->prom_bytes, NULL), s->bytes_read, &m->prom_seen.bytes_read);
    prom_error_counts(s, now);
    prom_error_counts(&m->prom_seen, seen);
    for (i = 0; i < N_PROM_ERROR_KINDS; i++)
        add_delta(metrics_child_get(m->prom_errors, &prom_error_kinds[i]), now[i], &seen[i]);
    m->prom_seen.errors_http = seen[0];
    m->prom_seen.errors_timeout = seen[1];
    m->prom_seen.errors_parse = seen[2];
    m->prom_seen.errors_prometheus = seen[3];
    m->prom_seen.errors_transport = seen[4];
    pthread_mutex_unlock(&m->lock);
}

void ctl_metrics_kube(ctl_metrics *m)
{
    kube_request_stats now;
    int v, k;

    if (m == NULL)
        return;
    kube_request_counts(&now);
    pthread_mutex_lock(&m->lock);
    for (v = 0; v < KUBE_VERB_COUNT; v++) {
        for (k = 0; k < KUBE_CODE_COUNT; k++) {
            uint64_t d = delta(now.counts[v][k], &m->kube_seen.counts[v][k]);
            const char *labels[2] = {kube_verb_name((kube_verb)v),
                                     kube_code_class_name((kube_code_class)k)};

            if (d == 0)
                continue;
            if (m->api_child[v][k] == NULL)
                m->api_child[v][k] = metrics_child_get(m->api_requests, labels);
            metrics_counter_add(m->api_child[v][k], (double)d);
        }
    }
    pthread_mutex_unlock(&m->lock);
}

void ctl_metrics_tracked(ctl_metrics *m, size_t workloads, size_t containers, size_t state_bytes)
{
    if (m == NULL)
        return;
    metrics_gauge_set(metrics_child_get(m->workloads, NULL), (double)workloads);
    metrics_gauge_set(metrics_child_get(m->containers, NULL), (double)containers);
    metrics_gauge_set(metrics_child_get(m->state_bytes, NULL), (double)state_bytes);
}

void ctl_metrics_writes(ctl_metrics *m, size_t written, size_t unchanged, size_t deleted)
{
    if (m == NULL)
        return;
    metrics_counter_add(metrics_child_get(m->rec_written, NULL), (double)written);
    metrics_counter_add(metrics_child_get(m->rec_unchanged, NULL), (double)unchanged);
    metrics_counter_add(metrics_child_get(m->rec_deleted, NULL), (double)deleted);
}

void ctl_metrics_oom_bumps(ctl_metrics *m, size_t n)
{
    if (m == NULL)
        return;
    metrics_counter_add(metrics_child_get(m->oom_bumps, NULL), (double)n);
}

void ctl_metrics_policies(ctl_metrics *m, size_t refused, size_t held)
{
    if (m == NULL)
        return;
    metrics_gauge_set(metrics_child_get(m->policies_refused, NULL), (double)refused);
    metrics_gauge_set(metrics_child_get(m->rec_held, NULL), (double)held);
}

void ctl_metrics_checkpoint(ctl_metrics *m, double saved_at_unix)
{
    if (m == NULL || !(saved_at_unix > 0))
        return;
    __atomic_store_n(&m->checkpoint_bits, double_to_bits(saved_at_unix), __ATOMIC_RELAXED);
}

void ctl_metrics_leader(ctl_metrics *m, bool leader)
{
    if (m == NULL)
        return;
    metrics_gauge_set(metrics_child_get(m->leader, NULL), leader ? 1 : 0);
}

void ctl_metrics_last_pass(ctl_metrics *m, double unix_time)
{
    if (m == NULL)
        return;
    metrics_gauge_set(metrics_child_get(m->last_pass, NULL), unix_time);
}

void ctl_metrics_sizing(ctl_metrics *m, double requested_cores, double recommended_cores,
                        double requested_bytes, double recommended_bytes)
{
    const char *cpu[] = {"cpu"}, *mem[] = {"memory"};

    if (m == NULL)
        return;
    metrics_gauge_set(metrics_child_get(m->requested, cpu), requested_cores);
    metrics_gauge_set(metrics_child_get(m->recommended, cpu), recommended_cores);
    metrics_gauge_set(metrics_child_get(m->requested, mem), requested_bytes);
    metrics_gauge_set(metrics_child_get(m->recommended, mem), recommended_bytes);
}

void ctl_metrics_cache(ctl_metrics *m, const char *resource, size_t objects, size_t bytes)
{
    const char *labels[] = {resource};

    if (m == NULL || resource == NULL)
        return;
    metrics_gauge_set(metrics_child_get(m->cache_objects, labels), (double)objects);
    metrics_gauge_set(metrics_child_get(m->cache_bytes, labels), (double)bytes);
}

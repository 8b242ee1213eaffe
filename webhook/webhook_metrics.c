/* webhook_metrics.c -- the webhook's metric families on lib/metrics. */
#include "webhook/webhook_metrics.h"

#include <pthread.h>
#include <string.h>

#include "base/log.h"
#include "metrics/metrics.h"
#include "webhook/mutate.h"

static const double duration_buckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                          0.01,   0.025,   0.05,   0.1,   0.25,   1};
static const double size_buckets[] = {256,    1024,    4096,    16384,   65536,
                                      262144, 1048576, 4194304, 16777216};

static struct {
    pthread_mutex_t lock;
    metrics_registry *reg;
    metrics_family *requests, *duration, *req_bytes, *resp_bytes, *mutations, *cache, *ready,
        *cert_expiry, *cert_reloads, *source_reloads;
    metrics_child *m_resources, *m_probes, *m_goenv;
    store *store;
    tls_keeper *tls;
} g = {.lock = PTHREAD_MUTEX_INITIALIZER};

static double cache_size(void *ud)
{
    const char *kind = ud;
    store_counts c;

    if (g.store == NULL)
        return 0;
    store_get_counts(g.store, &c);
    if (strcmp(kind, "policies") == 0)
        return (double)c.policies;
    if (strcmp(kind, "recommendations") == 0)
        return (double)c.recommendations;
    if (strcmp(kind, "namespaces") == 0)
        return (double)c.namespaces;
    return (double)c.limitranges;
}

static double cert_expiry(void *ud)
{
    (void)ud;
    return g.tls ? (double)tls_keeper_not_after(g.tls) : 0;
}

static snug_status reg(metrics_type type, const char *name, const char *help,
                       const char *const *labels, size_t n_labels, const double *buckets,
                       size_t n_buckets, metrics_family **out)
{
    metrics_opts o = {.name = name,
                      .help = help,
                      .labels = labels,
                      .n_labels = n_labels,
                      .buckets = buckets,
                      .n_buckets = n_buckets};
    snug_err err;
    snug_status st = metrics_register(g.reg, type, &o, out, &err);

    if (st != SNUG_OK)
        snug_log(LOG_ERROR, "metrics", "cannot register metric", "name", name, "error", err.msg,
                 NULL);
    return st;
}

static snug_status register_all(void)
{
    static const char *result[] = {"result"};
    static const char *kind[] = {"kind"};
    static const char *source_result[] = {"source", "result"};
    snug_status st = SNUG_OK;

#define REG(...)                                                                                   \
    do {                                                                                           \
        if (st == SNUG_OK)                                                                         \
            st = reg(__VA_ARGS__);                                                                 \
    } while (0)
    REG(METRICS_COUNTER, "snug_webhook_requests_total", "Admission requests by result.", result, 1,
        NULL, 0, &g.requests);
    REG(METRICS_HISTOGRAM, "snug_webhook_request_duration_seconds",
        "Time from request start to response.", NULL, 0, duration_buckets,
        sizeof(duration_buckets) / sizeof(duration_buckets[0]), &g.duration);
    REG(METRICS_HISTOGRAM, "snug_webhook_request_body_bytes", "Admission request body sizes.", NULL,
        0, size_buckets, sizeof(size_buckets) / sizeof(size_buckets[0]), &g.req_bytes);
    REG(METRICS_HISTOGRAM, "snug_webhook_response_body_bytes", "Admission response body sizes.",
        NULL, 0, size_buckets, sizeof(size_buckets) / sizeof(size_buckets[0]), &g.resp_bytes);
    REG(METRICS_COUNTER, "snug_webhook_mutations_total",
        "Pods mutated, by what was changed (resources, probes, go-env).", kind, 1, NULL, 0,
        &g.mutations);
    REG(METRICS_GAUGE, "snug_webhook_cache_objects", "Objects in the webhook's caches.", kind, 1,
        NULL, 0, &g.cache);
    REG(METRICS_GAUGE, "snug_webhook_ready", "1 when the webhook is ready to serve.", NULL, 0, NULL,
        0, &g.ready);
    REG(METRICS_GAUGE, "snug_webhook_certificate_expiry_timestamp_seconds",
        "notAfter of the serving certificate in use.", NULL, 0, NULL, 0, &g.cert_expiry);
    REG(METRICS_COUNTER, "snug_webhook_certificate_reloads_total",
        "Serving certificate loads and rotations.", result, 1, NULL, 0, &g.cert_reloads);
    REG(METRICS_COUNTER, "snug_webhook_source_reloads_total",
        "Reloads of policy and recommendation sources.", source_result, 2, NULL, 0,
        &g.source_reloads);
#undef REG
    return st;
}

static void bind_callbacks(void)
{
    static const char *kinds[] = {"policies", "recommendations", "namespaces", "limitranges"};
    size_t i;

    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        const char *v[] = {kinds[i]};

        metrics_child_set_fn(metrics_child_get(g.cache, v), cache_size, (void *)kinds[i]);
    }
    metrics_child_set_fn(metrics_child_get(g.cert_expiry, NULL), cert_expiry, NULL);
    g.m_resources = metrics_child_get(g.mutations, (const char *[]){"resources"});
    g.m_probes = metrics_child_get(g.mutations, (const char *[]){"probes"});
    g.m_goenv = metrics_child_get(g.mutations, (const char *[]){"go-env"});
}

snug_status wh_metrics_init(store *s, tls_keeper *k)
{
    snug_status st = SNUG_OK;
    snug_err err;

    pthread_mutex_lock(&g.lock);
    g.store = s;
    g.tls = k;
    if (g.reg == NULL) {
        g.reg = metrics_registry_new(0);
        st = g.reg ? register_all() : SNUG_ERR_NOMEM;
        if (st == SNUG_OK)
            st = metrics_register_process(g.reg, &err);
        if (st == SNUG_OK)
            bind_callbacks();
    }
    pthread_mutex_unlock(&g.lock);
    return st;
}

void wh_metrics_free(void)
{
    pthread_mutex_lock(&g.lock);
    metrics_registry_free(g.reg);
    g.reg = NULL;
    g.store = NULL;
    g.tls = NULL;
    pthread_mutex_unlock(&g.lock);
}

void wh_metrics_request(const char *result, double seconds, size_t in_bytes, size_t out_bytes)
{
    const char *v[] = {result};

    if (g.reg == NULL)
        return;
    metrics_counter_inc(metrics_child_get(g.requests, v));
    metrics_histogram_observe(metrics_child_get(g.duration, NULL), seconds);
    metrics_histogram_observe(metrics_child_get(g.req_bytes, NULL), (double)in_bytes);
    metrics_histogram_observe(metrics_child_get(g.resp_bytes, NULL), (double)out_bytes);
}

void wh_metrics_mutations(unsigned changed)
{
    if (g.reg == NULL)
        return;
    if (changed & MUTATED_RESOURCES)
        metrics_counter_inc(g.m_resources);
    if (changed & MUTATED_PROBES)
        metrics_counter_inc(g.m_probes);
    if (changed & MUTATED_GO_ENV)
        metrics_counter_inc(g.m_goenv);
}

void wh_metrics_set_ready(int ready)
{
    if (g.reg != NULL)
        metrics_gauge_set(metrics_child_get(g.ready, NULL), ready ? 1 : 0);
}

void wh_metrics_cert_reload(int ok)
{
    const char *v[] = {ok ? "ok" : "error"};

    if (g.reg != NULL)
        metrics_counter_inc(metrics_child_get(g.cert_reloads, v));
}

void wh_metrics_source_reload(const char *source, int ok)
{
    const char *v[] = {source, ok ? "ok" : "error"};

    if (g.reg != NULL)
        metrics_counter_inc(metrics_child_get(g.source_reloads, v));
}

snug_status wh_metrics_render(dynbuf *out)
{
    snug_err err;

    if (g.reg == NULL)
        return SNUG_ERR_INVALID;
    return metrics_render(g.reg, out, &err);
}

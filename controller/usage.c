/* usage.c -- observed usage from Prometheus into the recommender state
 * (see usage.h). */
#include "controller/usage.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dynbuf.h"
#include "base/log.h"
#include "controller/usage_oom.h"
#include "controller/usage_owners.h"
#include "model/quantity.h"
#include "prom/promql.h"

#define QUERY_MAX (64u << 10)
#define HOUR      3600
#define DAY       86400

void usage_metrics_defaults(usage_metrics *m)
{
    memset(m, 0, sizeof(*m));
    m->cpu = "container_cpu_usage_seconds_total";
    m->memory = "container_memory_working_set_bytes";
    m->cfs_periods = "container_cpu_cfs_periods_total";
    m->cfs_throttled = "container_cpu_cfs_throttled_periods_total";
    m->oom_events = "container_oom_events_total";
    m->pod_owner = "kube_pod_owner";
    m->replicaset_owner = "kube_replicaset_owner";
    m->last_terminated = "kube_pod_container_status_last_terminated_reason";
    m->requests = "kube_pod_container_resource_requests";
    m->limits = "kube_pod_container_resource_limits";
    m->go_info = "go_info";
}

snug_status usage_metrics_check(const usage_metrics *m, snug_err *err)
{
    const char *names[] = {m->cpu,        m->memory,    m->cfs_periods,      m->cfs_throttled,
                           m->oom_events, m->pod_owner, m->replicaset_owner, m->last_terminated,
                           m->requests,   m->limits,    m->go_info};
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (names[i] == NULL || !promql_name_valid(names[i]))
            return snug_err_set(err, SNUG_ERR_INVALID, "metric name \"%s\" is not valid",
                                names[i] ? names[i] : "");
    }
    return m->extra != NULL ? promql_extra_check(m->extra, err) : SNUG_OK;
}

/* ---- query building ------------------------------------------------------ */

/* metric{container!="",container!="POD",namespace="ns",<extra>,<more>} */
static snug_status selector(dynbuf *b, const usage_opts *o, const char *metric, const char *ns,
                            const promql_matcher *more, size_t n_more, bool containers,
                            snug_err *err)
{
    promql_matcher m[6];
    size_t n = 0, i;

    if (containers) {
        m[n++] = (promql_matcher){"container", "!=", ""};
        m[n++] = (promql_matcher){"container", "!=", "POD"};
    }
    if (ns != NULL)
        m[n++] = (promql_matcher){"namespace", "=", ns};
    for (i = 0; i < n_more && n < 6; i++)
        m[n++] = more[i];
    return promql_selector(b, metric, m, n, o->metrics->extra, err);
}

/* Build "<pre><selector><post>" into a new string (caller frees). */
static snug_status build(char **out, const usage_opts *o, const char *pre, const char *metric,
                         const char *ns, const promql_matcher *more, size_t n_more, bool containers,
                         const char *post, snug_err *err)
{
    dynbuf b;
    snug_status st;

    dynbuf_init(&b, QUERY_MAX);
    st = dynbuf_addstr(&b, pre);
    if (st == SNUG_OK)
        st = selector(&b, o, metric, ns, more, n_more, containers, err);
    if (st == SNUG_OK)
        st = dynbuf_addstr(&b, post);
    if (st != SNUG_OK) {
        dynbuf_free(&b);
        return err && err->status != SNUG_OK
                   ? st
                   : snug_err_set(err, st, "query for %s too long", metric);
    }
    *out = dynbuf_take(&b);
    return *out ? SNUG_OK : snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
}

static int window_seconds(const usage_opts *o)
{
    double w = o->end - o->start;

    return w < 60 ? 60 : (int)w;
}

static int step_of(const usage_opts *o)
{
    return o->step > 0 ? o->step : 60;
}

/* Seconds per point of the hourly queries (OOM kills, throttling): an hour,
 * or the whole window when it is shorter (a steady pass of the operator). */
static int coarse_step_of(const usage_opts *o)
{
    int w = window_seconds(o);

    return w < HOUR ? w : HOUR;
}

/* Where the last-terminated query's range begins: one step later than the
 * window's start (a point covers the step before it), or at the start in a
 * collection that continues an earlier one, whose first point then covers
 * the step that one saw last (usage_oom.h). */
static double last_term_start(const usage_opts *o)
{
    return o->continues ? o->start : o->start + coarse_step_of(o);
}

static int rate_window_of(const usage_opts *o)
{
    int r = o->rate_window > 0 ? o->rate_window : 5 * step_of(o);

    return r < 120 ? 120 : r;
}

/* ---- running ------------------------------------------------------------- */

typedef enum q_kind {
    Q_POD_OWNER,
    Q_RS_OWNER,
    Q_REQUESTS,
    Q_LIMITS,
    Q_GO,
    Q_OOM,
    Q_LAST_TERM,
    Q_PERIODS,
    Q_THROTTLED,
    Q_N
} q_kind;

typedef struct q_plan {
    char *text[Q_N];
    prom_request req[Q_N];
} q_plan;

static void plan_free(q_plan *p)
{
    size_t i;

    for (i = 0; i < Q_N; i++) {
        free(p->text[i]);
        prom_result_free(p->req[i].result);
    }
    memset(p, 0, sizeof(*p));
}

/* The per-namespace queries that are not CPU or memory. */
static snug_status plan_build(q_plan *p, const usage_opts *o, const char *ns, snug_err *err)
{
    const usage_metrics *m = o->metrics;
    char post_w[64], post_h[32];
    promql_matcher oom = {"reason", "=", "OOMKilled"};
    snug_status st = SNUG_OK;
    int w = window_seconds(o);

    snprintf(post_w, sizeof(post_w), "[%ds]))", w);
    snprintf(post_h, sizeof(post_h), "[%ds]))", coarse_step_of(o));
#define B(k, pre, metric, more, n, cont, post)                                                     \
    if (st == SNUG_OK)                                                                             \
    st = build(&p->text[k], o, pre, metric, ns, more, n, cont, post, err)
    B(Q_POD_OWNER, "max by (namespace, pod, owner_kind, owner_name) (max_over_time(", m->pod_owner,
      NULL, 0, false, post_w);
    B(Q_RS_OWNER, "max by (namespace, replicaset, owner_kind, owner_name) (max_over_time(",
      m->replicaset_owner, NULL, 0, false, post_w);
    B(Q_REQUESTS, "max by (namespace, pod, container, resource) (last_over_time(", m->requests,
      NULL, 0, false, post_w);
    B(Q_LIMITS, "max by (namespace, pod, container, resource) (last_over_time(", m->limits, NULL, 0,
      false, post_w);
    B(Q_GO, "max by (namespace, pod, container, version) (max_over_time(", m->go_info, NULL, 0,
      false, post_w);
    B(Q_OOM, "sum by (namespace, pod, container) (increase(", m->oom_events, NULL, 0, true, post_h);
    B(Q_LAST_TERM, "max by (namespace, pod, container) (max_over_time(", m->last_terminated, &oom,
      1, false, post_h);
    B(Q_PERIODS, "sum by (namespace, pod, container) (increase(", m->cfs_periods, NULL, 0, true,
      post_h);
    B(Q_THROTTLED, "sum by (namespace, pod, container) (increase(", m->cfs_throttled, NULL, 0, true,
      post_h);
#undef B
    return st;
}

static void plan_requests(q_plan *p, const usage_opts *o)
{
    size_t i;

    for (i = 0; i < Q_N; i++) {
        prom_request *r = &p->req[i];

        memset(r, 0, sizeof(*r));
        r->query = p->text[i];
        if (i <= Q_GO) {
            r->range = false;
            r->time = o->end;
        } else {
            r->range = true;
            r->start = i == Q_LAST_TERM ? last_term_start(o) : o->start + coarse_step_of(o);
            r->end = o->end;
            r->step = coarse_step_of(o);
            if (r->start > r->end)
                r->start = r->end;
        }
    }
}

/* A request's failure as the collection's: the message names the query. */
static snug_status request_status(const prom_request *r, snug_err *err)
{
    if (r->status == SNUG_OK)
        return SNUG_OK;
    return snug_err_set(err, r->status, "%s", r->err.msg);
}

static snug_status run(prom_client *pc, prom_request *reqs, size_t n, usage_result *res,
                       snug_err *err)
{
    snug_status st = prom_run(pc, reqs, n, err);
    size_t i;

    res->queries += n;
    for (i = 0; st == SNUG_OK && i < n; i++)
        st = request_status(&reqs[i], err);
    return st;
}

static bool sample_ok(double v)
{
    return isfinite(v) && v >= 0;
}

/* ---- feeding ------------------------------------------------------------- */

typedef struct feed_ctx {
    const usage_opts *o;
    const char *ns;
    wlset *set;
    owner_index *owners;
    usage_result *res;
} feed_ctx;

/* The namespace a series is about: the one asked for, else its label. */
static const char *series_ns(const feed_ctx *f, const prom_series *s)
{
    return f->ns != NULL ? f->ns : prom_series_label(s, "namespace");
}

/* The container a series is about; NULL when its Pod is not sized. */
static snug_status series_container(feed_ctx *f, const prom_series *s, bool add, workload **wout,
                                    wl_container **out, snug_err *err)
{
    const char *pod = prom_series_label(s, "pod"), *cname = prom_series_label(s, "container");
    workload *w = NULL;
    bool known;
    snug_status st;

    *out = NULL;
    *wout = NULL;
    const char *ns = series_ns(f, s);

    if (ns == NULL || pod == NULL || cname == NULL || cname[0] == '\0' || strcmp(cname, "POD") == 0)
        return SNUG_OK;
    wlset_pod_workload(f->set, ns, pod, &known);
    st = owner_resolve(f->owners, f->set, add, ns, pod, &w, err);
    if (st != SNUG_OK)
        return st;
    if (w != NULL && !w->from_api && w->pol == NULL && f->o->add_workloads)
        w->pol = f->o->add_policy;
    if (!known) {
        f->res->pods++;
        if (w == NULL || w->pol == NULL || w->opted_out)
            f->res->pods_skipped++;
    }
    if (w == NULL)
        return SNUG_OK;
    *wout = w;
    *out = workload_container(w, cname, !w->from_api);
    return SNUG_OK;
}

typedef void (*add_fn)(rec_state *s, const char *pod, double t, double v);

static snug_status feed_usage(feed_ctx *f, const prom_result *r, add_fn add, snug_err *err)
{
    size_t i, j;
    snug_status st;

    for (i = 0; i < r->n_series; i++) {
        const prom_series *s = &r->series[i];
        const char *pod = prom_series_label(s, "pod");
        workload *w;
        wl_container *c;

        st = series_container(f, s, f->o->add_workloads, &w, &c, err);
        if (st != SNUG_OK)
            return st;
        f->res->series++;
        if (c == NULL)
            continue;
        for (j = 0; j < s->n_samples; j++) {
            if (!sample_ok(s->samples[j].v))
                continue;
            add(c->state, pod, s->samples[j].t, s->samples[j].v);
            c->has_metrics = true;
            f->res->samples++;
        }
        if (s->n_samples > 0 && s->samples[s->n_samples - 1].t >= w->latest_t) {
            w->latest_t = s->samples[s->n_samples - 1].t;
            snprintf(w->latest_pod, sizeof(w->latest_pod), "%s", pod);
        }
    }
    return SNUG_OK;
}

/* One chunk of CPU and memory: [from, to]. */
static snug_status chunk_queries(const usage_opts *o, const char *ns, char **cpu, char **mem,
                                 snug_err *err)
{
    char post[64];
    snug_status st;

    snprintf(post, sizeof(post), "[%ds]))", rate_window_of(o));
    st = build(cpu, o, "sum by (namespace, pod, container) (rate(", o->metrics->cpu, ns, NULL, 0,
               true, post, err);
    if (st != SNUG_OK)
        return st;
    snprintf(post, sizeof(post), "[%ds]))", step_of(o));
    return build(mem, o, "max by (namespace, pod, container) (max_over_time(", o->metrics->memory,
                 ns, NULL, 0, true, post, err);
}

static snug_status usage_chunks(prom_client *pc, feed_ctx *f, snug_err *err)
{
    const usage_opts *o = f->o;
    int step = step_of(o), chunk = o->chunk > 0 ? o->chunk : DAY;
    char *cpu = NULL, *mem = NULL;
    size_t done = 0, total = (size_t)ceil((o->end - o->start) / chunk);
    double from;
    bool any_cpu = false, any_mem = false;
    snug_status st = chunk_queries(o, f->ns, &cpu, &mem, err);

    for (from = o->start; st == SNUG_OK && from < o->end; from += chunk) {
        prom_request rq[2];
        double to = from + chunk >= o->end ? o->end : from + chunk - step;

        memset(rq, 0, sizeof(rq));
        rq[0] = (prom_request){.query = cpu, .range = true, .start = from, .end = to, .step = step};
        rq[1] = (prom_request){.query = mem, .range = true, .start = from, .end = to, .step = step};
        st = run(pc, rq, 2, f->res, err);
        if (st == SNUG_OK)
            st = feed_usage(f, rq[0].result, rec_state_add_cpu, err);
        if (st == SNUG_OK)
            st = feed_usage(f, rq[1].result, rec_state_add_memory, err);
        any_cpu |= rq[0].result != NULL && rq[0].result->n_series > 0;
        any_mem |= rq[1].result != NULL && rq[1].result->n_series > 0;
        prom_result_free(rq[0].result);
        prom_result_free(rq[1].result);
        if (o->progress != NULL)
            o->progress(o->progress_ud, f->ns, ++done, total);
    }
    f->res->missing |= (any_cpu ? 0 : USAGE_MISSING_CPU) | (any_mem ? 0 : USAGE_MISSING_MEMORY);
    free(cpu);
    free(mem);
    return st;
}

/* ---- throttling, OOM kills, resources, Go ----------------------------------- */

#define KEY_MAX       (4 * WORKLOAD_NAME_MAX)
#define OOM_TIMES_MAX 64 /* kills taken from one last-terminated series per collection */

/* "ns\x1fpod\x1fcontainer\x1fextra" of a series (its namespace label). */
static bool key_pc(char *buf, size_t cap, const prom_series *s, const char *extra)
{
    const char *ns = prom_series_label(s, "namespace"), *pod = prom_series_label(s, "pod");
    const char *c = prom_series_label(s, "container");
    int n;

    if (ns == NULL || pod == NULL || c == NULL)
        return false;
    n = snprintf(buf, cap, "%s\x1f%s\x1f%s\x1f%s", ns, pod, c, extra ? extra : "");
    return n > 0 && (size_t)n < cap;
}

/* Index the series of r by pod/container[/resource] (values: the series). */
static snug_status index_series(strmap *m, const prom_result *r, const char *label, snug_err *err)
{
    char key[KEY_MAX];
    size_t i;

    for (i = 0; r != NULL && i < r->n_series; i++) {
        const prom_series *s = &r->series[i];

        if (!key_pc(key, sizeof(key), s, label ? prom_series_label(s, label) : NULL))
            continue;
        if (strmap_put(m, key, (void *)s) != SNUG_OK)
            return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    }
    return SNUG_OK;
}

static snug_status feed_throttling(feed_ctx *f, const prom_result *periods,
                                   const prom_result *throttled, snug_err *err)
{
    char key[KEY_MAX];
    strmap *by = strmap_new(NULL);
    size_t i, j, k;
    snug_status st;

    if (by == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    st = index_series(by, periods, NULL, err);
    for (i = 0; st == SNUG_OK && i < throttled->n_series; i++) {
        const prom_series *t = &throttled->series[i], *p;
        workload *w;
        wl_container *c;

        if (!key_pc(key, sizeof(key), t, NULL))
            continue;
        p = strmap_get(by, key);
        st = series_container(f, t, false, &w, &c, err);
        if (p == NULL || c == NULL)
            continue;
        for (j = 0, k = 0; j < t->n_samples && k < p->n_samples;) {
            if (p->samples[k].t < t->samples[j].t) {
                k++;
            } else if (p->samples[k].t > t->samples[j].t) {
                j++;
            } else {
                if (sample_ok(p->samples[k].v) && sample_ok(t->samples[j].v))
                    rec_state_add_throttling(c->state, t->samples[j].t, p->samples[k].v,
                                             t->samples[j].v);
                j++;
                k++;
            }
        }
    }
    strmap_free(by);
    return st;
}

/* The value of pod/container/resource in an indexed resources result. */
static double resource_value(const strmap *m, const char *ns, const char *pod, const char *c,
                             const char *res)
{
    char key[KEY_MAX];
    const prom_series *s;
    int n = snprintf(key, sizeof(key), "%s\x1f%s\x1f%s\x1f%s", ns, pod, c, res);

    if (n < 0 || (size_t)n >= sizeof(key))
        return NAN;
    s = strmap_get(m, key);
    return s != NULL && s->n_samples > 0 ? s->samples[s->n_samples - 1].v : NAN;
}

static void record_oom(wl_container *c, double t, int64_t kills, int64_t limit)
{
    int64_t i;

    for (i = 0; i < kills; i++)
        rec_state_add_oom(c->state, t, limit);
    c->oom_kills += kills;
    if (limit != RES_UNSET)
        c->oom_limit_bytes = limit;
}

static int64_t bytes_or_unset(double v)
{
    return isfinite(v) && v > 0 && v < 9.2e18 ? (int64_t)ceil(v) : RES_UNSET;
}

/* OOM kills: cAdvisor's counter, else kube-state-metrics' last terminated
 * reason (one kill per Pod and container that shows it; in a collection that
 * continues an earlier one, each rise: usage_oom.h). */
static snug_status feed_oom(feed_ctx *f, const prom_result *oom, const prom_result *last,
                            const strmap *limits, snug_err *err)
{
    char key[KEY_MAX];
    strmap *seen = strmap_new(NULL);
    double times[OOM_TIMES_MAX];
    size_t i, j, n;
    snug_status st = seen ? SNUG_OK : snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");

    for (i = 0; st == SNUG_OK && i < oom->n_series; i++) {
        const prom_series *s = &oom->series[i];
        workload *w;
        wl_container *c;

        st = series_container(f, s, false, &w, &c, err);
        if (c == NULL || !key_pc(key, sizeof(key), s, NULL))
            continue;
        for (j = 0; j < s->n_samples; j++) {
            double v = s->samples[j].v;

            if (!sample_ok(v) || v < 0.5)
                continue;
            record_oom(c, s->samples[j].t, (int64_t)llround(v),
                       bytes_or_unset(resource_value(limits, w->ns, prom_series_label(s, "pod"),
                                                     c->name, "memory")));
            st = strmap_put(seen, key, c);
        }
    }
    for (i = 0; st == SNUG_OK && i < last->n_series; i++) {
        const prom_series *s = &last->series[i];
        workload *w;
        wl_container *c;

        st = series_container(f, s, false, &w, &c, err);
        if (c == NULL || !key_pc(key, sizeof(key), s, NULL) || strmap_get(seen, key) != NULL)
            continue;
        n = usage_oom_kill_times(s->samples, s->n_samples, last_term_start(f->o),
                                 coarse_step_of(f->o), f->o->continues, times, OOM_TIMES_MAX);
        for (j = 0; j < n; j++)
            record_oom(c, times[j], 1,
                       bytes_or_unset(resource_value(limits, w->ns, prom_series_label(s, "pod"),
                                                     c->name, "memory")));
    }
    strmap_free(seen);
    return st;
}

static int64_t milli_or_unset(double cores)
{
    return isfinite(cores) && cores > 0 && cores < 9.2e15 ? (int64_t)ceil(cores * 1000 - 1e-6)
                                                          : RES_UNSET;
}

/* Without the API server: the current requests and limits are those of the
 * Pod with the newest usage sample. */
static void fill_resources(wlset *set, const char *ns, const strmap *req, const strmap *lim)

{
    size_t i, j;

    for (i = 0; i < set->n; i++) {
        workload *w = set->items[i];

        if (w->from_api || (ns != NULL && strcmp(w->ns, ns) != 0) || w->latest_pod[0] == '\0')
            continue;
        for (j = 0; j < w->n_cs; j++) {
            wl_container *c = w->cs[j];

            c->requests.cpu_milli =
                milli_or_unset(resource_value(req, w->ns, w->latest_pod, c->name, "cpu"));
            c->requests.mem_bytes =
                bytes_or_unset(resource_value(req, w->ns, w->latest_pod, c->name, "memory"));
            c->limits.cpu_milli =
                milli_or_unset(resource_value(lim, w->ns, w->latest_pod, c->name, "cpu"));
            c->limits.mem_bytes =
                bytes_or_unset(resource_value(lim, w->ns, w->latest_pod, c->name, "memory"));
        }
    }
}

/* "go1.25.3" -> 25; 0 when not that shape. */
static int go_minor(const char *version)
{
    int major = 0, minor = 0;

    if (version == NULL || sscanf(version, "go%d.%d", &major, &minor) != 2 || major != 1)
        return 0;
    return minor > 0 && minor < 1000 ? minor : 0;
}

static void mark_go(wl_container *c, const char *version)
{
    int minor = go_minor(version);

    c->is_go = true;
    if (minor > c->go_minor)
        c->go_minor = minor;
}

static snug_status feed_go(feed_ctx *f, const prom_result *r, snug_err *err)
{
    size_t i;
    snug_status st = SNUG_OK;

    for (i = 0; st == SNUG_OK && i < r->n_series; i++) {
        const prom_series *s = &r->series[i];
        const char *pod = prom_series_label(s, "pod"), *cname = prom_series_label(s, "container");
        workload *w = NULL;
        wl_container *c;

        if (pod == NULL || series_ns(f, s) == NULL)
            continue;
        st = owner_resolve(f->owners, f->set, false, series_ns(f, s), pod, &w, err);
        if (w == NULL)
            continue;
        if (cname != NULL && cname[0] != '\0') {
            c = workload_container(w, cname, false);
            if (c != NULL)
                mark_go(c, prom_series_label(s, "version"));
        } else if (w->n_cs == 1) {
            /* go_info without a container label: the Pod's only container */
            mark_go(w->cs[0], prom_series_label(s, "version"));
        }
    }
    return st;
}

/* ---- a namespace ---------------------------------------------------------- */

static unsigned missing_of(const q_plan *p)
{
    unsigned m = 0;

#define EMPTY(k) (p->req[k].result == NULL || p->req[k].result->n_series == 0)
    if (EMPTY(Q_PERIODS) || EMPTY(Q_THROTTLED))
        m |= USAGE_MISSING_THROTTLING;
    if (EMPTY(Q_OOM) && EMPTY(Q_LAST_TERM))
        m |= USAGE_MISSING_OOM;
    if (EMPTY(Q_POD_OWNER))
        m |= USAGE_MISSING_OWNERS;
    if (EMPTY(Q_REQUESTS) && EMPTY(Q_LIMITS))
        m |= USAGE_MISSING_RESOURCES;
    if (EMPTY(Q_GO))
        m |= USAGE_MISSING_GO;
#undef EMPTY
    return m;
}

/* Everything but CPU and memory, fed after them (the Pods are mapped). */
static snug_status feed_rest(feed_ctx *f, const q_plan *p, snug_err *err)
{
    strmap *req = strmap_new(NULL), *lim = strmap_new(NULL);
    snug_status st = req && lim ? SNUG_OK : snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");

    if (st == SNUG_OK)
        st = index_series(req, p->req[Q_REQUESTS].result, "resource", err);
    if (st == SNUG_OK)
        st = index_series(lim, p->req[Q_LIMITS].result, "resource", err);
    if (st == SNUG_OK)
        st = feed_throttling(f, p->req[Q_PERIODS].result, p->req[Q_THROTTLED].result, err);
    if (st == SNUG_OK)
        st = feed_oom(f, p->req[Q_OOM].result, p->req[Q_LAST_TERM].result, lim, err);
    if (st == SNUG_OK)
        st = feed_go(f, p->req[Q_GO].result, err);
    if (st == SNUG_OK)
        fill_resources(f->set, f->ns, req, lim);
    strmap_free(req);
    strmap_free(lim);
    return st;
}

snug_status usage_collect(prom_client *pc, const usage_opts *o, const char *ns, wlset *set,
                          usage_result *res, snug_err *err)
{
    q_plan plan;
    feed_ctx f = {o, ns, set, NULL, res};
    snug_status st;

    memset(&plan, 0, sizeof(plan));
    f.owners = owner_index_new();
    if (f.owners == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    st = plan_build(&plan, o, ns, err);
    if (st == SNUG_OK) {
        plan_requests(&plan, o);
        st = run(pc, plan.req, Q_N, res, err);
    }
    if (st == SNUG_OK)
        st = owner_index_add_pods(f.owners, plan.req[Q_POD_OWNER].result, err);
    if (st == SNUG_OK)
        st = owner_index_add_replicasets(f.owners, plan.req[Q_RS_OWNER].result, err);
    if (st == SNUG_OK)
        st = usage_chunks(pc, &f, err);
    if (st == SNUG_OK) {
        res->missing |= missing_of(&plan);
        st = feed_rest(&f, &plan, err);
    }
    if (st != SNUG_OK)
        snug_err_prefix(err, "namespace %s", ns);
    plan_free(&plan);
    owner_index_free(f.owners);
    return st;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void usage_namespaces_free(char **ns)
{
    size_t i;

    for (i = 0; ns != NULL && ns[i] != NULL; i++)
        free(ns[i]);
    free(ns);
}

snug_status usage_namespaces(prom_client *pc, const usage_opts *o, char ***out, snug_err *err)
{
    char *q = NULL, post[64], **list = NULL;
    prom_result *r = NULL;
    size_t i, n = 0;
    snug_status st;

    *out = NULL;
    snprintf(post, sizeof(post), "[%ds]))", window_seconds(o));
    st = build(&q, o, "count by (namespace) (max_over_time(", o->metrics->memory, NULL, NULL, 0,
               true, post, err);
    if (st == SNUG_OK)
        st = prom_query(pc, q, o->end, &r, err);
    if (st == SNUG_OK) {
        list = calloc(r->n_series + 1, sizeof(*list));
        if (list == NULL)
            st = snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    }
    for (i = 0; st == SNUG_OK && i < r->n_series; i++) {
        const char *ns = prom_series_label(&r->series[i], "namespace");

        if (ns == NULL || ns[0] == '\0')
            continue;
        list[n] = strdup(ns);
        if (list[n++] == NULL)
            st = snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    }
    if (st == SNUG_OK) {
        qsort(list, n, sizeof(*list), cmp_str);
        *out = list;
        list = NULL;
    }
    usage_namespaces_free(list);
    prom_result_free(r);
    free(q);
    return st;
}

void usage_missing_names(unsigned missing, char *buf, size_t cap)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{USAGE_MISSING_CPU, "cpu"},
                 {USAGE_MISSING_MEMORY, "memory"},
                 {USAGE_MISSING_THROTTLING, "throttling"},
                 {USAGE_MISSING_OOM, "oom"},
                 {USAGE_MISSING_OWNERS, "owners"},
                 {USAGE_MISSING_RESOURCES, "resources"},
                 {USAGE_MISSING_GO, "go_info"}};
    size_t i, len = 0;

    if (cap == 0)
        return;
    buf[0] = '\0';
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        int n;

        if (!(missing & names[i].bit))
            continue;
        n = snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", names[i].name);
        if (n < 0 || (size_t)n >= cap - len)
            return;
        len += (size_t)n;
    }
}

/* operator.c -- `snug-controller run`: lifecycle and the loop (see
 * operator.h). */
#include "controller/operator.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "controller/cache_slim.h"
#include "controller/checkpoint.h"
#include "controller/operator_internal.h"
#include "kube/kube_config.h"

#define DEFAULT_NS      "snug-system"
#define SYNC_TIMEOUT_MS 120000
#define SYNC_POLL_S     0.02 /* how often the caches are looked at until synced */

const char *const op_kind_names[OP_KINDS] = {"Deployment", "StatefulSet", "DaemonSet",
                                             "CronJob",    "Job",         "Pod"};

static const kube_resource kind_res[OP_KINDS] = {
    {"apps", "v1", "deployments"}, {"apps", "v1", "statefulsets"}, {"apps", "v1", "daemonsets"},
    {"batch", "v1", "cronjobs"},   {"batch", "v1", "jobs"},        {NULL, "v1", "pods"},
};
static const kube_resource res_policies = {"snug.dev", "v1alpha1", "sizingpolicies"};
static const kube_resource res_namespaces = {NULL, "v1", "namespaces"};
static const kube_resource res_hpas = {"autoscaling", "v2", "horizontalpodautoscalers"};
static const kube_resource res_vpas = {"autoscaling.k8s.io", "v1", "verticalpodautoscalers"};
static const kube_resource res_recs = {"snug.dev", "v1alpha1", "recommendations"};

static volatile sig_atomic_t g_signal;
static op *g_op; /* for the handler: the stop flag is also the Prometheus client's abort flag */

static void on_signal(int sig)
{
    g_signal = sig;
    /* at once, so a pass stuck in Prometheus requests (or in their retries'
     * backoff) ends within about a second */
    if (g_op != NULL)
        __atomic_store_n(&g_op->stop, 1, __ATOMIC_RELEASE);
}

void operator_opts_defaults(operator_opts *o)
{
    const char *ns = getenv("POD_NAMESPACE"), *pod = getenv("POD_NAME");
    static char host[256];

    memset(o, 0, sizeof(*o));
    usage_metrics_defaults(&o->metrics);
    o->prom.headers = o->headers;
    o->interval = 60;
    o->leader_elect = true;
    o->lease_namespace = ns != NULL && ns[0] ? ns : DEFAULT_NS;
    o->lease_name = "snug-controller";
    if (pod == NULL || pod[0] == '\0') {
        if (gethostname(host, sizeof(host) - 1) != 0)
            snprintf(host, sizeof(host), "snug-controller-%ld", (long)getpid());
        pod = host;
    }
    o->identity = pod;
    o->checkpoint_interval = 300;
    o->change_threshold = 0.1;
    o->metrics_listen = ":8080";
}

bool op_may_write(const op *p)
{
    return __atomic_load_n(&p->leading, __ATOMIC_ACQUIRE) &&
           !__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE);
}

void op_warning_event(const op *p, kube_event *ev, const char *action, const char *reason,
                      const char *note)
{
    memset(ev, 0, sizeof(*ev));
    ev->reporting_controller = "snug.dev/snug-controller";
    ev->reporting_instance = p->o->identity;
    ev->action = action;
    ev->reason = reason;
    ev->note = note;
    ev->type = "Warning";
}

/* ---- leadership ------------------------------------------------------------ */

static void started_leading(void *ud)
{
    op *p = ud;

    __atomic_store_n(&p->leading, 1, __ATOMIC_RELEASE);
    snug_log(LOG_INFO, "operator", "started leading", "identity", p->o->identity, NULL);
}

static void stopped_leading(void *ud)
{
    op *p = ud;

    /* writes check this flag before each request: they stop at once */
    __atomic_store_n(&p->leading, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&p->pass_done, 0, __ATOMIC_RELEASE);
    snug_log(LOG_WARN, "operator", "stopped leading", "identity", p->o->identity, NULL);
}

static void new_leader(const char *identity, void *ud)
{
    (void)ud;
    snug_log(LOG_INFO, "operator", "leader", "identity", identity, NULL);
}

static snug_status start_lease(op *p, snug_err *err)
{
    kube_lease_opts lo;
    snug_status st;

    if (!p->o->leader_elect) {
        started_leading(p);
        return SNUG_OK;
    }
    memset(&lo, 0, sizeof(lo));
    lo.ns = p->o->lease_namespace;
    lo.name = p->o->lease_name;
    lo.identity = p->o->identity;
    lo.on_started_leading = started_leading;
    lo.on_stopped_leading = stopped_leading;
    lo.on_new_leader = new_leader;
    lo.ud = p;
    lo.owner = p->owner.kind != NULL ? &p->owner : NULL;
    st = kube_lease_new(p->kc, &lo, &p->lease, err);
    return st == SNUG_OK ? kube_lease_start(p->lease, err) : st;
}

/* ---- health ------------------------------------------------------------------ */

static bool caches_synced(op *p)
{
    size_t i;

    /* /readyz may be asked before the informers exist (the listener starts
     * first, so probes answer during start-up) */
    if (!__atomic_load_n(&p->informers_up, __ATOMIC_ACQUIRE))
        return false;
    if (!kube_informer_synced(p->policies) || !kube_informer_synced(p->namespaces) ||
        !kube_informer_synced(p->pods) || !kube_informer_synced(p->recs))
        return false;
    for (i = 0; i < OP_KINDS; i++) {
        if (!kube_informer_synced(p->kinds[i]))
            return false;
    }
    return true;
}

static bool healthy(void *ud, char *reason, size_t cap)
{
    op *p = ud;

    if (__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
        snprintf(reason, cap, "shutting down");
        return false;
    }
    return true;
}

static bool ready(void *ud, char *reason, size_t cap)
{
    op *p = ud;

    if (!caches_synced(p)) {
        snprintf(reason, cap, "caches not synced");
        return false;
    }
    if (__atomic_load_n(&p->leading, __ATOMIC_ACQUIRE) &&
        !__atomic_load_n(&p->pass_done, __ATOMIC_ACQUIRE)) {
        snprintf(reason, cap, "leading, first pass not completed");
        return false;
    }
    return true;
}

/* ---- setup ------------------------------------------------------------------- */

static snug_status informer(op *p, const kube_resource *r, const char *ns,
                            void (*transform)(cJSON *, void *), kube_informer **out, snug_err *err)
{
    kube_informer_opts io;
    snug_status st;

    memset(&io, 0, sizeof(io));
    io.resource = *r;
    io.ns = ns;
    io.transform = transform;
    io.transform_ud = p;
    st = kube_informer_new(p->kc, &io, out, err);
    if (st == SNUG_OK)
        st = kube_informer_start(*out, err);
    if (st != SNUG_OK)
        snug_err_prefix(err, "informer %s", r->resource);
    return st;
}

/* One namespace when restricted to exactly one, else all (the operator
 * filters the others out). */
static const char *watch_ns(const op *p)
{
    return p->o->n_namespaces == 1 ? p->o->namespaces[0] : NULL;
}

/* Whether the API server serves resource r (the VPA's CRD may be absent). */
static bool api_served(op *p, const kube_resource *r)
{
    kube_list_opts lo = {.limit = 1};
    cJSON *list = NULL;
    snug_err err;
    snug_status st = kube_list_page(p->kc, r, NULL, &lo, NULL, &list, &err);

    cJSON_Delete(list);
    if (st == SNUG_ERR_NOT_FOUND)
        snug_log(LOG_INFO, "operator", "not served, not watched", "resource", r->resource, NULL);
    return st != SNUG_ERR_NOT_FOUND;
}

static snug_status start_informers(op *p, snug_err *err)
{
    const char *ns = watch_ns(p);
    snug_status st = informer(p, &res_policies, NULL, cache_slim_object, &p->policies, err);
    size_t i;

    if (st == SNUG_OK)
        st = informer(p, &res_namespaces, NULL, cache_slim_object, &p->namespaces, err);
    for (i = 0; st == SNUG_OK && i < OP_KINDS; i++)
        st = informer(p, &kind_res[i], ns, i == OP_KINDS - 1 ? cache_slim_pod : cache_slim_workload,
                      &p->kinds[i], err);
    if (st == SNUG_OK)
        p->pods = p->kinds[OP_KINDS - 1];
    if (st == SNUG_OK)
        st = informer(p, &res_hpas, ns, cache_slim_object, &p->hpas, err);
    if (st == SNUG_OK && api_served(p, &res_vpas))
        st = informer(p, &res_vpas, ns, cache_slim_object, &p->vpas, err);
    if (st == SNUG_OK)
        st = informer(p, &res_recs, ns, cache_slim_recommendation, &p->recs, err);
    if (st == SNUG_OK)
        __atomic_store_n(&p->informers_up, 1, __ATOMIC_RELEASE);
    return st;
}

static snug_status start_http(op *p, snug_err *err)
{
    metrics_http_opts ho;
    char addr[128];
    snug_status st;

    p->reg = metrics_registry_new(0);
    if (p->reg == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    st = ctl_metrics_new(p->reg, &p->m, err);
    if (st != SNUG_OK || p->o->metrics_listen == NULL)
        return st;
    memset(&ho, 0, sizeof(ho));
    st = metrics_http_parse_listen(p->o->metrics_listen, addr, sizeof(addr), &ho.port, err);
    if (st != SNUG_OK)
        return st;
    ho.address = addr;
    ho.registry = p->reg;
    ho.healthy = healthy;
    ho.ready = ready;
    ho.ud = p;
    return metrics_http_start(&ho, &p->http, err);
}

/* --owner-deployment: the Deployment read once, the owner of the Lease and
 * of the checkpoints when they are in its namespace. A Deployment that
 * cannot be read stops the start: the flag asks for it, and a controller
 * that silently left its objects behind would only show at uninstall. */
static snug_status read_owner(op *p, snug_err *err)
{
    static const kube_resource deploy_res = {"apps", "v1", "deployments"};
    const char *name = p->o->owner_deployment;
    snug_status st;

    if (name == NULL)
        return SNUG_OK;
    st = kube_owner_lookup(p->kc, &deploy_res, "Deployment", p->o->lease_namespace, name, &p->owner,
                           err);
    if (st != SNUG_OK) {
        snug_err_prefix(err, "--owner-deployment %s", name);
        return st;
    }
    p->ckpt_owned = kube_owner_fits(&p->owner, p->o->checkpoint_namespace);
    if (!p->ckpt_owned)
        snug_log(LOG_WARN, "operator",
                 "checkpoints are in another namespace than the owner Deployment: "
                 "they are not deleted with it",
                 "checkpoint_namespace", p->o->checkpoint_namespace, "deployment", name, NULL);
    snug_log(LOG_INFO, "operator", "runtime objects owned by the Deployment", "namespace",
             p->o->lease_namespace, "deployment", name, "uid", p->owner.uid, NULL);
    return SNUG_OK;
}

static snug_status setup(op *p, snug_err *err)
{
    kube_config *cfg = NULL;
    snug_status st = prom_client_new(&p->o->prom, &p->pc, err);

    if (st != SNUG_OK)
        return snug_err_wrap(err, st, "--prometheus");
    st = kube_config_load(p->o->kubeconfig, p->o->context, &cfg, err);
    if (st == SNUG_OK)
        st = kube_client_new(cfg, NULL, &p->kc, err);
    kube_config_free(cfg);
    if (st != SNUG_OK)
        return snug_err_wrap(err, st, "API server");
    /* a shutdown abandons the pass's Prometheus reads; the API client
     * stays usable for the last checkpoint */
    prom_client_set_abort(p->pc, &p->stop);
    st = read_owner(p, err);
    if (st == SNUG_OK)
        st = start_http(p, err);
    if (st == SNUG_OK)
        st = start_informers(p, err);
    if (st == SNUG_OK)
        st = start_lease(p, err);
    return st;
}

/* ---- the loop ----------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double mono_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void save_checkpoint(op *p, double now)
{
    ckpt_stats cs;
    snug_err err;
    char n[32];

    if (p->set == NULL)
        return;
    memset(&cs, 0, sizeof(cs));
    snug_err_clear(&err);
    if (checkpoint_save(p->kc, p->o->checkpoint_namespace, p->set, now,
                        p->ckpt_owned ? &p->owner : NULL, &cs, &err) != SNUG_OK) {
        snug_log(LOG_WARN, "operator", "checkpoint not saved", "error", err.msg, NULL);
        return;
    }
    p->last_checkpoint = now;
    ctl_metrics_checkpoint(p->m, now);
    snprintf(n, sizeof(n), "%zu", cs.entries);
    snug_log(LOG_INFO, "operator", "checkpoint saved", "containers", n, NULL);
}

/* Taking over: the state from the checkpoints; Prometheus from their time. */
static snug_status take_over(op *p, snug_err *err)
{
    ckpt_stats cs;
    double saved_at = 0;
    char n[32], t[64];
    snug_status st;

    p->set = wlset_new(0);
    if (p->set == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    memset(&cs, 0, sizeof(cs));
    st = checkpoint_load(p->kc, p->o->checkpoint_namespace, p->set, &saved_at, &cs, err);
    if (st != SNUG_OK) {
        wlset_free(p->set);
        p->set = NULL;
        return snug_err_wrap(err, st, "loading checkpoints");
    }
    p->last_end = saved_at;
    p->last_checkpoint = saved_at;
    p->prev_now = saved_at; /* OOM kills it holds are not new */
    if (saved_at > 0)
        ctl_metrics_checkpoint(p->m, saved_at);
    snprintf(n, sizeof(n), "%zu", cs.entries);
    snprintf(t, sizeof(t), "%.0f", saved_at);
    snug_log(LOG_INFO, "operator", "checkpoints loaded", "containers", n, "saved_at", t, NULL);
    return SNUG_OK;
}

/* Leading before the caches are synced: load the checkpoints now, while
 * the informers list. A failure is logged; the pass tries again. */
static void early_take_over(op *p)
{
    snug_err err;

    p->early_load_tried = true; /* once: a failure waits for the pass */
    snug_err_clear(&err);
    if (take_over(p, &err) != SNUG_OK)
        snug_log(LOG_WARN, "operator", "checkpoints not loaded yet", "error", err.msg, NULL);
}

static void drop_state(op *p)
{
    wlset_free(p->set);
    p->set = NULL;
    p->matched = false;
    p->early_load_tried = false;
    p->last_end = 0;
    p->prev_now = 0;
    strmap_free(p->oom_seen);
    p->oom_seen = NULL;
    op_refused_clear(&p->refused); /* the next leadership reports them again */
    p->held = 0;
    ctl_metrics_tracked(p->m, 0, 0, 0);
    ctl_metrics_policies(p->m, 0, 0);
}

static void pass(op *p)
{
    double t0 = mono_s(), now = now_s();
    const char *result = "ok";
    snug_err err;
    snug_status st = SNUG_OK;

    snug_err_clear(&err);
    p->written = p->unchanged = p->deleted = p->bumps = 0;
    p->req_cpu = p->rec_cpu = p->req_mem = p->rec_mem = 0;
    if (p->set == NULL)
        st = take_over(p, &err);
    if (st == SNUG_OK)
        st = op_sync_policies(p, &err);
    if (st == SNUG_OK)
        st = op_sync_workloads(p, &err);
    if (st == SNUG_OK)
        st = op_hold_refused(p, &err);
    if (st == SNUG_OK)
        ctl_metrics_policies(p->m, p->refused.n, p->held);
    if (st == SNUG_OK && op_sync_usage(p, now, &err) != SNUG_OK)
        result = "prometheus_error"; /* values kept; conditions say so */
    if (st == SNUG_OK)
        op_sync_pod_ooms(p);
    if (st == SNUG_OK)
        st = op_write_all(p, now, &err);
    p->prev_now = now;
    if (st != SNUG_OK) {
        result = "api_error";
        snug_log(LOG_ERROR, "operator", "pass failed", "error", err.msg, NULL);
    }
    ctl_metrics_pass(p->m, mono_s() - t0, result);
    ctl_metrics_writes(p->m, p->written, p->unchanged, p->deleted);
    ctl_metrics_oom_bumps(p->m, p->bumps);
    if (st == SNUG_OK && strcmp(result, "ok") == 0)
        ctl_metrics_sizing(p->m, (double)p->req_cpu / 1000.0, (double)p->rec_cpu / 1000.0,
                           (double)p->req_mem, (double)p->rec_mem);
    if (p->set != NULL)
        ctl_metrics_tracked(p->m, p->set->n, wlset_containers(p->set), wlset_state_bytes(p->set));
    if (st == SNUG_OK && strcmp(result, "ok") == 0) {
        ctl_metrics_last_pass(p->m, now);
        __atomic_store_n(&p->pass_done, 1, __ATOMIC_RELEASE);
    }
    /* only a set matched against the cluster is saved: one whose sync
     * failed has no policies yet and would drop every loaded entry */
    if (st == SNUG_OK)
        p->matched = true;
    if (st == SNUG_OK && op_may_write(p) && now - p->last_checkpoint >= p->o->checkpoint_interval)
        save_checkpoint(p, now);
    /* a pass frees its Prometheus answers and copies: give the pages back */
    malloc_trim(0);
}

/* Sleep until the next pass, a signal, or a change of leadership, in ticks
 * of at most 200 ms (shorter when `next` is nearer). */
static void wait_next(op *p, double next, int was_leading)
{
    for (;;) {
        double left = next - mono_s();
        struct timespec tick = {0, 0};

        if (left <= 0 || g_signal || __atomic_load_n(&p->leading, __ATOMIC_ACQUIRE) != was_leading)
            break;
        tick.tv_nsec = (long)((left < 0.2 ? left : 0.2) * 1e9);
        nanosleep(&tick, NULL);
    }
    if (g_signal)
        __atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
}

typedef struct cache_size {
    size_t objects, bytes;
} cache_size;

static int add_size(const cJSON *obj, void *ud)
{
    cache_size *c = ud;

    c->objects++;
    c->bytes += cache_slim_bytes(obj);
    return 0;
}

static void cache_metric(op *p, const kube_resource *r, kube_informer *inf)
{
    cache_size c = {0, 0};

    if (inf == NULL)
        return; /* VPAs not served */
    kube_informer_foreach(inf, add_size, &c);
    ctl_metrics_cache(p->m, r->resource, c.objects, c.bytes);
}

/* Every cache's objects and bytes (a walk of each under its read lock: a
 * few ms at 10,000 objects). */
static void cache_metrics(op *p)
{
    size_t i;

    cache_metric(p, &res_policies, p->policies);
    cache_metric(p, &res_namespaces, p->namespaces);
    for (i = 0; i < OP_KINDS; i++)
        cache_metric(p, &kind_res[i], p->kinds[i]);
    cache_metric(p, &res_hpas, p->hpas);
    cache_metric(p, &res_vpas, p->vpas);
    cache_metric(p, &res_recs, p->recs);
}

/* caches: also the cache sizes (not while waiting for them to sync) */
static void refresh_metrics(op *p, int leading, bool caches)
{
    prom_stats ps;

    prom_client_stats(p->pc, &ps);
    ctl_metrics_prom(p->m, &ps);
    ctl_metrics_kube(p->m);
    ctl_metrics_leader(p->m, leading != 0);
    if (caches && __atomic_load_n(&p->informers_up, __ATOMIC_ACQUIRE))
        cache_metrics(p);
}

static void loop(op *p)
{
    while (!__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
        int leading = __atomic_load_n(&p->leading, __ATOMIC_ACQUIRE);
        double next = mono_s() + p->o->interval;
        bool syncing = false;

        if (!leading) {
            /* a standby keeps its caches warm; the state is the leader's */
            if (p->set != NULL)
                drop_state(p);
            ctl_metrics_pass(p->m, 0, CTL_PASS_SKIPPED_NOT_LEADER);
        } else if (caches_synced(p)) {
            pass(p);
        } else {
            /* the first pass as soon as the caches are synced; meanwhile
             * the checkpoints load (the pass would load them first) */
            if (p->set == NULL && !p->early_load_tried)
                early_take_over(p);
            next = mono_s() + SYNC_POLL_S;
            syncing = true;
        }
        refresh_metrics(p, __atomic_load_n(&p->leading, __ATOMIC_ACQUIRE), !syncing);
        wait_next(p, next, leading);
    }
}

/* ---- run ------------------------------------------------------------------------- */

static void install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static void teardown(op *p)
{
    kube_informer *all[OP_KINDS + 5];
    size_t i, n = 0;

    if (p->lease != NULL)
        kube_lease_free(p->lease); /* releases the Lease when leading */
    /* every informer told at once, so they end together (about a second) */
    all[n++] = p->policies;
    all[n++] = p->namespaces;
    for (i = 0; i < OP_KINDS; i++)
        all[n++] = p->kinds[i];
    all[n++] = p->hpas;
    all[n++] = p->vpas;
    all[n++] = p->recs;
    for (i = 0; i < n; i++)
        kube_informer_request_stop(all[i]);
    kube_informer_free(p->policies);
    kube_informer_free(p->namespaces);
    for (i = 0; i < OP_KINDS; i++)
        kube_informer_free(p->kinds[i]);
    kube_informer_free(p->hpas);
    kube_informer_free(p->vpas);
    kube_informer_free(p->recs);
    if (p->http != NULL)
        metrics_http_stop(p->http);
    ctl_metrics_free(p->m);
    metrics_registry_free(p->reg);
    wlset_free(p->set);
    policy_set_free(p->pols);
    policy_free(p->hold_pol);
    kube_owner_clear(&p->owner);
    op_refused_clear(&p->refused);
    strmap_free(p->oom_seen);
    prom_client_free(p->pc);
    kube_client_free(p->kc);
}

int operator_run(const operator_opts *o)
{
    op p;
    snug_err err;
    int rc = 0;

    memset(&p, 0, sizeof(p));
    p.o = o;
    g_signal = 0;
    g_op = &p;
    install_signals();
    /* a few threads (informers, HTTP, Prometheus workers) allocate; one
     * arena each would keep freed memory of every one of them */
    mallopt(M_ARENA_MAX, 2);
    snug_err_clear(&err);
    snug_log(LOG_INFO, "operator", "starting", "identity", o->identity, "lease_namespace",
             o->lease_namespace, NULL);
    if (setup(&p, &err) != SNUG_OK) {
        snug_log(LOG_ERROR, "operator", "cannot start", "error", err.msg, NULL);
        fprintf(stderr, "snug-controller run: %s\n", err.msg);
        rc = 1;
    } else {
        loop(&p);
        snug_log(LOG_INFO, "operator", "shutting down", NULL);
        /* the last checkpoint, while still holding the lease */
        if (__atomic_load_n(&p.leading, __ATOMIC_ACQUIRE) && p.matched)
            save_checkpoint(&p, now_s());
    }
    teardown(&p);
    g_op = NULL;
    snug_log(LOG_INFO, "operator", "stopped", NULL);
    return rc;
}

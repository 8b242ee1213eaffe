/* cli_recommend_run.c -- the `recommend` report (see cli_recommend.h). */
#include "controller/cli_recommend.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/dynbuf.h"
#include "base/log.h"
#include "controller/recommend_workload.h"
#include "controller/workloads.h"
#include "controller/workloads_kube.h"
#include "kube/kube_client.h"
#include "model/duration.h"
#include "yaml/yamljson.h"

#define POLICY_FILE_MAX (16u << 20)
#define REPORT_MAX      (1024u << 20)
#define DEFAULT_WINDOW  (7 * 86400)

typedef struct run_ctx {
    const recommend_opts *o;
    policy_set *pols;       /* owned */
    const policy *fallback; /* Prometheus-only mode: the policy every workload gets */
    kube_client *kc;        /* NULL: Prometheus alone */
    prom_client *pc;
    wlset *set;
    usage_result usage;
    size_t skipped; /* workloads not sized (policy, opt-out) */
    bool progress;
    size_t ns_done, ns_total;
} run_ctx;

static int fail(const char *what, const snug_err *err)
{
    fprintf(stderr, "snug-controller recommend: %s: %s\n", what, err->msg);
    return 1;
}

/* ---- policies ------------------------------------------------------------- */

static snug_status load_policy_file(const char *path, policy_set **out, snug_err *err)
{
    cJSON *docs = NULL;
    snug_status st = yaml_parse_file(path, POLICY_FILE_MAX, &docs, err);

    if (st == SNUG_OK)
        st = policy_set_load(docs, out, err);
    cJSON_Delete(docs);
    if (st != SNUG_OK)
        snug_err_prefix(err, "%s", path);
    return st;
}

static snug_status builtin_set(policy_set **out, snug_err *err)
{
    policy_set *s = policy_set_new();
    policy *p = policy_builtin_default();

    if (s == NULL || p == NULL || policy_set_add(s, p) != SNUG_OK) {
        policy_free(p);
        policy_set_free(s);
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    }
    *out = s;
    return SNUG_OK;
}

/* Without labels (Prometheus alone), the policy that matches an unlabelled
 * Pod wins, else the highest priority one. */
static const policy *fallback_policy(const policy_set *s)
{
    const policy *p = policy_set_select(s, NULL, NULL), *best = NULL;
    size_t i;

    if (p != NULL)
        return p;
    for (i = 0; i < policy_set_count(s); i++) {
        const policy *q = policy_set_at(s, i);

        if (best == NULL || q->priority > best->priority)
            best = q;
    }
    if (best != NULL)
        snug_log(LOG_WARN, "recommend",
                 "no labels without the API server: using the highest-priority policy", "policy",
                 best->name, NULL);
    return best;
}

static snug_status load_policies(run_ctx *rc, snug_err *err)
{
    snug_status st = SNUG_OK;

    if (rc->o->policy_file != NULL)
        st = load_policy_file(rc->o->policy_file, &rc->pols, err);
    else if (rc->kc != NULL)
        st = workloads_kube_policies(rc->kc, &rc->pols, err);
    if (st == SNUG_OK && (rc->pols == NULL || policy_set_count(rc->pols) == 0)) {
        policy_set_free(rc->pols);
        rc->pols = NULL;
        st = builtin_set(&rc->pols, err);
    }
    if (st == SNUG_OK && rc->kc == NULL) {
        rc->fallback = fallback_policy(rc->pols);
        if (rc->fallback != NULL && rc->fallback->mode == POLICY_MODE_OFF)
            rc->fallback = NULL;
    }
    return st;
}

static int64_t window_of(const run_ctx *rc)
{
    int64_t w = 0;
    size_t i;

    if (rc->o->window > 0)
        return rc->o->window;
    for (i = 0; i < policy_set_count(rc->pols); i++) {
        const policy *p = policy_set_at(rc->pols, i);

        if (p->mode != POLICY_MODE_OFF && p->recommender.window_seconds > w)
            w = p->recommender.window_seconds;
    }
    return w > 0 ? w : DEFAULT_WINDOW;
}

/* ---- connections ------------------------------------------------------------ */

/* The API server is used with --kubeconfig, $KUBECONFIG or in-cluster. */
static bool want_kube(const recommend_opts *o)
{
    const char *env = getenv("KUBECONFIG");

    if (o->no_kube)
        return false;
    return o->kubeconfig != NULL || (env != NULL && env[0] != '\0') ||
           getenv("KUBERNETES_SERVICE_HOST") != NULL;
}

static snug_status connect_kube(run_ctx *rc, snug_err *err)
{
    kube_config *cfg = NULL;
    snug_status st;

    if (!want_kube(rc->o))
        return SNUG_OK;
    st = kube_config_load(rc->o->kubeconfig, rc->o->context, &cfg, err);
    if (st == SNUG_OK)
        st = kube_client_new(cfg, NULL, &rc->kc, err);
    kube_config_free(cfg);
    return st;
}

/* ---- progress --------------------------------------------------------------- */

static void progress_line(void *ud, const char *ns, size_t done, size_t total)
{
    run_ctx *rc = ud;

    if (!rc->progress)
        return;
    fprintf(stderr, "\r\033[Knamespace %zu/%zu %s: day %zu/%zu, %zu queries, %zu workloads",
            rc->ns_done + 1, rc->ns_total, ns, done, total, rc->usage.queries, rc->set->n);
    fflush(stderr);
}

static void progress_end(const run_ctx *rc)
{
    if (rc->progress)
        fprintf(stderr, "\r\033[K");
}

/* ---- workloads and usage --------------------------------------------------- */

static snug_status load_workloads(run_ctx *rc, snug_err *err)
{
    wl_kube_opts ko = {rc->o->namespaces, rc->o->n_namespaces, rc->o->selector};

    if (rc->kc == NULL)
        return SNUG_OK;
    return workloads_from_kube(rc->kc, &ko, rc->pols, rc->set, &rc->skipped, err);
}

static snug_status collect(run_ctx *rc, double start, double end, snug_err *err)
{
    usage_opts uo = {.metrics = &rc->o->metrics,
                     .start = start,
                     .end = end,
                     .step = rc->o->step,
                     .rate_window = rc->o->rate_window,
                     .add_workloads = rc->kc == NULL,
                     .add_policy = rc->fallback,
                     .progress = progress_line,
                     .progress_ud = rc};
    char **found = NULL;
    const char *const *ns;
    snug_status st = SNUG_OK;
    size_t i;

    if (rc->o->n_namespaces > 0) {
        ns = rc->o->namespaces;
        rc->ns_total = rc->o->n_namespaces;
    } else {
        st = usage_namespaces(rc->pc, &uo, &found, err);
        rc->usage.queries++;
        ns = (const char *const *)found;
        for (rc->ns_total = 0; found != NULL && found[rc->ns_total] != NULL; rc->ns_total++)
            ;
    }
    for (i = 0; st == SNUG_OK && i < rc->ns_total; i++) {
        rc->ns_done = i;
        st = usage_collect(rc->pc, &uo, ns[i], rc->set, &rc->usage, err);
    }
    progress_end(rc);
    usage_namespaces_free(found);
    return st;
}

/* ---- recommendations --------------------------------------------------------- */

static snug_status build_report(run_ctx *rc, double now, report *rep, snug_err *err)
{
    rec_result res[WL_MAX_CONTAINERS];
    const wl_container *cs[WL_MAX_CONTAINERS];
    size_t i, n;
    snug_status st = SNUG_OK;

    for (i = 0; st == SNUG_OK && i < rc->set->n; i++) {
        workload *w = rc->set->items[i];

        if (w->pol == NULL || w->opted_out)
            continue;
        st = recommend_workload(w, now, res, cs, &n, err);
        if (st == SNUG_OK && n > 0)
            st = report_add(rep, w, cs, res, n, (int64_t)now, err);
    }
    return st;
}

/* ---- the run ------------------------------------------------------------------ */

static void summary(const run_ctx *rc, const report *rep)
{
    char missing[256];

    usage_missing_names(rc->usage.missing, missing, sizeof(missing));
    fprintf(stderr,
            "snug-controller recommend: %zu workloads, %zu containers; %zu queries, %zu series, "
            "%zu samples, %zu Pods (%zu not sized)%s%s\n",
            report_workloads(rep), report_containers(rep), rc->usage.queries, rc->usage.series,
            rc->usage.samples, rc->usage.pods, rc->usage.pods_skipped,
            missing[0] ? "; no series for: " : "", missing);
    if (rc->usage.missing & (USAGE_MISSING_CPU | USAGE_MISSING_MEMORY))
        fprintf(stderr, "snug-controller recommend: check --prometheus-selector and --metric: "
                        "CPU and memory come from cAdvisor's container_* series\n");
}

static snug_status print_report(const run_ctx *rc, const report *rep, snug_err *err)
{
    dynbuf out;
    bool color = rc->o->color < 0 ? isatty(STDOUT_FILENO) != 0 : rc->o->color == 1;
    snug_status st;

    dynbuf_init(&out, REPORT_MAX);
    st = report_print(rep, rc->o->format, color, &out, err);
    if (st == SNUG_OK && fwrite(dynbuf_str(&out), 1, dynbuf_len(&out), stdout) != dynbuf_len(&out))
        st = snug_err_set(err, SNUG_ERR_IO, "writing the report to standard output failed");
    if (st == SNUG_OK && fflush(stdout) != 0)
        st = snug_err_set(err, SNUG_ERR_IO, "writing the report to standard output failed");
    dynbuf_free(&out);
    return st;
}

static void run_free(run_ctx *rc)
{
    wlset_free(rc->set);
    prom_client_free(rc->pc);
    kube_client_free(rc->kc);
    policy_set_free(rc->pols);
}

int recommend_run(const recommend_opts *o)
{
    run_ctx rc;
    report *rep = NULL;
    snug_err err;
    double end = o->at > 0 ? o->at : (double)time(NULL);
    int rc_exit = 1;

    memset(&rc, 0, sizeof(rc));
    snug_err_clear(&err);
    rc.o = o;
    rc.progress = o->progress < 0 ? isatty(STDERR_FILENO) != 0 : o->progress == 1;
    if (usage_metrics_check(&o->metrics, &err) != SNUG_OK) {
        fprintf(stderr, "snug-controller recommend: %s\n", err.msg);
        return 2;
    }
    if (prom_client_new(&o->prom, &rc.pc, &err) != SNUG_OK) {
        fprintf(stderr, "snug-controller recommend: --prometheus: %s\n", err.msg);
        return 2;
    }
    rc.set = wlset_new(0);
    rep = report_new();
    if (rc.set == NULL || rep == NULL) {
        snug_err_set(&err, SNUG_ERR_NOMEM, "out of memory");
        rc_exit = fail("start", &err);
    } else if (connect_kube(&rc, &err) != SNUG_OK) {
        rc_exit = fail("API server", &err);
    } else if (load_policies(&rc, &err) != SNUG_OK) {
        rc_exit = fail("policies", &err);
    } else if (load_workloads(&rc, &err) != SNUG_OK) {
        rc_exit = fail("workloads", &err);
    } else if (collect(&rc, end - (double)window_of(&rc), end, &err) != SNUG_OK) {
        rc_exit = fail("Prometheus", &err);
    } else if (build_report(&rc, end, rep, &err) != SNUG_OK) {
        rc_exit = fail("recommender", &err);
    } else if (print_report(&rc, rep, &err) != SNUG_OK) {
        rc_exit = fail("output", &err);
    } else {
        summary(&rc, rep);
        rc_exit = 0;
    }
    report_free(rep);
    run_free(&rc);
    return rc_exit;
}

/* operator_sync.c -- the operator's view of the cluster and of Prometheus
 * (see operator_internal.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/strmap.h"
#include "controller/autoscalers.h"
#include "controller/operator_internal.h"
#include "controller/usage.h"
#include "controller/workloads_kube.h"
#include "kube/kube_api.h"

#define DEFAULT_WINDOW   (7 * 86400)
#define CLUSTER_WIDE_GAP (6 * 3600) /* gaps up to this are read for every namespace at once */

/* ---- workloads ----------------------------------------------------------------- */

bool op_ns_wanted(const op *p, const char *ns)
{
    size_t i;

    if (p->o->n_namespaces == 0)
        return true;
    for (i = 0; ns != NULL && i < p->o->n_namespaces; i++) {
        if (strcmp(ns, p->o->namespaces[i]) == 0)
            return true;
    }
    return false;
}

typedef struct wl_ctx {
    op *p;
    wl_kube_ctx kc;
    const char *kind;
    snug_status st;
    snug_err *err;
} wl_ctx;

static int add_workload(const cJSON *obj, void *ud)
{
    wl_ctx *c = ud;

    if (!op_ns_wanted(c->p, kube_obj_namespace(obj)))
        return 0;
    c->st = workloads_add_object(&c->kc, c->kind, obj, c->err);
    return c->st != SNUG_OK;
}

static void find_workload(op *p, const char *ns, const char *kind, const char *name, workload **out)
{
    *out = wlset_find(p->set, ns, kind, name);
    if (*out != NULL && (*out)->gone)
        *out = NULL;
}

static int mark_hpa(const cJSON *obj, void *ud)
{
    op *p = ud;
    hpa_info h;
    workload *w;
    snug_err err;

    if (autoscaler_hpa_parse(obj, &h, &err) != SNUG_OK)
        return 0;
    find_workload(p, h.ns, h.kind, h.name, &w);
    if (w != NULL) {
        w->hpa_cpu |= h.cpu;
        w->hpa_memory |= h.memory;
    }
    return 0;
}

static int mark_vpa(const cJSON *obj, void *ud)
{
    op *p = ud;
    vpa_info v;
    workload *w;
    snug_err err;

    if (autoscaler_vpa_parse(obj, &v, &err) != SNUG_OK)
        return 0;
    find_workload(p, v.ns, v.kind, v.name, &w);
    if (w != NULL)
        w->vpa_active |= v.active;
    return 0;
}

/* Drop the workloads this pass did not see (deleted from the cluster). */
static void drop_unseen(op *p)
{
    size_t i;

    for (i = 0; i < p->set->n; i++) {
        workload *w = p->set->items[i];

        if (!w->gone && w->seen != p->pass)
            wlset_remove(p->set, w);
    }
}

snug_status op_sync_workloads(op *p, snug_err *err)
{
    cJSON *namespaces = kube_informer_list(p->namespaces);
    wl_ctx c;
    size_t i;

    if (namespaces == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    memset(&c, 0, sizeof(c));
    c.p = p;
    c.err = err;
    c.kc.pols = p->pols;
    c.kc.namespaces = namespaces;
    c.kc.set = p->set;
    c.kc.pass = ++p->pass;
    for (i = 0; c.st == SNUG_OK && i < OP_KINDS; i++) {
        c.kind = op_kind_names[i];
        kube_informer_foreach(p->kinds[i], add_workload, &c);
    }
    cJSON_Delete(namespaces);
    if (c.st != SNUG_OK)
        return c.st;
    drop_unseen(p);
    if (wlset_reset_pods(p->set) != SNUG_OK)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    for (i = 0; i < p->set->n; i++) {
        p->set->items[i]->hpa_cpu = p->set->items[i]->hpa_memory = false;
        p->set->items[i]->vpa_active = false;
    }
    kube_informer_foreach(p->hpas, mark_hpa, p);
    if (p->vpas != NULL)
        kube_informer_foreach(p->vpas, mark_vpa, p);
    return SNUG_OK;
}

/* ---- Prometheus ------------------------------------------------------------------ */

static int64_t window_of(const op *p)
{
    int64_t w = 0;
    size_t i;

    if (p->o->window > 0)
        return p->o->window;
    for (i = 0; p->pols != NULL && i < policy_set_count(p->pols); i++) {
        const policy *q = policy_set_at(p->pols, i);

        if (q->mode != POLICY_MODE_OFF && q->recommender.window_seconds > w)
            w = q->recommender.window_seconds;
    }
    return w > 0 ? w : DEFAULT_WINDOW;
}

/* The namespaces of covered workloads, each once, into a NULL-terminated
 * array of borrowed strings (caller frees the array). */
static const char **covered_namespaces(const op *p)
{
    const char **list = calloc(p->set->n + 1, sizeof(*list));
    strmap *seen = strmap_new(NULL);
    size_t i, n = 0;

    if (list == NULL || seen == NULL) {
        free(list);
        strmap_free(seen);
        return NULL;
    }
    for (i = 0; i < p->set->n; i++) {
        const workload *w = p->set->items[i];

        if (w->gone || w->pol == NULL || w->opted_out || strmap_get(seen, w->ns) != NULL)
            continue;
        if (strmap_put(seen, w->ns, (void *)w) == SNUG_OK)
            list[n++] = w->ns;
    }
    strmap_free(seen);
    return list;
}

static snug_status collect(op *p, const usage_opts *uo, const char *const *ns, usage_result *res,
                           snug_err *err)
{
    snug_status st = SNUG_OK;
    size_t i;

    if (ns == NULL)
        return usage_collect(p->pc, uo, NULL, p->set, res, err);
    for (i = 0; st == SNUG_OK && ns[i] != NULL; i++)
        st = usage_collect(p->pc, uo, ns[i], p->set, res, err);
    return st;
}

snug_status op_sync_usage(op *p, double now, snug_err *err)
{
    usage_opts uo;
    usage_result res;
    const char *const *ns = NULL;
    double start = now - (double)window_of(p);
    snug_status st;

    if (p->last_end > start)
        start = p->last_end;
    if (now - start < 1)
        return SNUG_OK;
    memset(&uo, 0, sizeof(uo));
    memset(&res, 0, sizeof(res));
    uo.metrics = &p->o->metrics;
    uo.start = start;
    uo.end = now;
    uo.continues = p->last_end > 0 && start == p->last_end;
    /* a short gap: one batch for every namespace; a long one (the first
     * pass, a long outage): per namespace, in day chunks */
    if (now - start > CLUSTER_WIDE_GAP || p->o->n_namespaces > 0) {
        ns = p->o->n_namespaces > 0 ? p->o->namespaces : covered_namespaces(p);
        if (ns == NULL)
            return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    }
    st = collect(p, &uo, ns, &res, err);
    if (ns != NULL && ns != p->o->namespaces)
        free((void *)ns);
    if (st != SNUG_OK) {
        p->prom_down = true;
        snprintf(p->prom_error, sizeof(p->prom_error), "%s", err ? err->msg : "error");
        snug_log(LOG_WARN, "operator", "Prometheus unavailable: values kept", "error",
                 p->prom_error, NULL);
        return st;
    }
    p->prom_down = false;
    p->prom_error[0] = '\0';
    p->last_end = now;
    return SNUG_OK;
}

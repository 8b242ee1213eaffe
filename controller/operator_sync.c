/* operator_sync.c -- the operator's view of the cluster and of Prometheus
 * (see operator_internal.h). */
#include <math.h>
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
#include "model/duration.h"
#include "model/quantity.h"
#include "model/workload.h"

#define DEFAULT_WINDOW   (7 * 86400)
#define CLUSTER_WIDE_GAP (6 * 3600) /* gaps up to this are read for every namespace at once */
#define OOM_SAME_S       300        /* OOM kills this close are one (Pod status and cAdvisor) */

/* ---- policies ---------------------------------------------------------------- */

typedef struct pol_ctx {
    policy_set *set;
    snug_status st;
} pol_ctx;

static int add_policy(const cJSON *obj, void *ud)
{
    pol_ctx *pc = ud;
    policy *p = NULL;
    snug_err err;

    snug_err_clear(&err);
    if (policy_parse(obj, &p, &err) != SNUG_OK) {
        snug_log(LOG_WARN, "operator", "SizingPolicy refused, its workloads fall to the next",
                 "error", err.msg, NULL);
        return 0;
    }
    if (policy_set_add(pc->set, p) != SNUG_OK) {
        policy_free(p);
        pc->st = SNUG_ERR_NOMEM;
        return 1;
    }
    return 0;
}

snug_status op_sync_policies(op *p, snug_err *err)
{
    pol_ctx pc = {policy_set_new(), SNUG_OK};

    if (pc.set == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    kube_informer_foreach(p->policies, add_policy, &pc);
    if (pc.st != SNUG_OK) {
        policy_set_free(pc.set);
        return snug_err_set(err, pc.st, "policies: out of memory");
    }
    policy_set_free(p->pols);
    p->pols = pc.set;
    return SNUG_OK;
}

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

/* ---- Pods: slim cache, OOM kills ------------------------------------------------ */

/* Delete every member of obj not named in keep (NULL-terminated). */
static void keep_only(cJSON *obj, const char *const *keep)
{
    cJSON *m = obj ? obj->child : NULL, *next;
    size_t i;

    for (; m != NULL; m = next) {
        bool kept = false;

        next = m->next;
        for (i = 0; keep[i] != NULL && !kept; i++)
            kept = m->string != NULL && strcmp(m->string, keep[i]) == 0;
        if (!kept)
            cJSON_Delete(cJSON_DetachItemViaPointer(obj, m));
    }
}

static void keep_in_each(cJSON *array, const char *const *keep)
{
    cJSON *item;

    cJSON_ArrayForEach(item, array)
    {
        keep_only(item, keep);
    }
}

void op_pod_slim(cJSON *pod, void *ud)
{
    static const char *const top[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
    static const char *const meta[] = {
        "name", "namespace", "uid", "labels", "ownerReferences", "resourceVersion", NULL};
    static const char *const spec[] = {"containers", NULL};
    static const char *const container[] = {"name", "resources", NULL};
    static const char *const status[] = {"startTime", "containerStatuses", NULL};
    static const char *const cstatus[] = {"name", "restartCount", "lastState", "state", NULL};
    cJSON *s;

    (void)ud;
    keep_only(pod, top);
    keep_only(cJSON_GetObjectItemCaseSensitive(pod, "metadata"), meta);
    s = cJSON_GetObjectItemCaseSensitive(pod, "spec");
    keep_only(s, spec);
    keep_in_each(cJSON_GetObjectItemCaseSensitive(s, "containers"), container);
    s = cJSON_GetObjectItemCaseSensitive(pod, "status");
    keep_only(s, status);
    keep_in_each(cJSON_GetObjectItemCaseSensitive(s, "containerStatuses"), cstatus);
}

/* Drop what no informer of the operator reads and what makes objects big:
 * managedFields and kubectl's last-applied copy of the object. */
static void drop_metadata_bulk(cJSON *obj)
{
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");

    cJSON_DeleteItemFromObjectCaseSensitive(meta, "managedFields");
    cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(meta, "annotations"),
                                            "kubectl.kubernetes.io/last-applied-configuration");
}

void op_obj_slim(cJSON *obj, void *ud)
{
    (void)ud;
    drop_metadata_bulk(obj);
}

void op_workload_slim(cJSON *obj, void *ud)
{
    (void)ud;
    drop_metadata_bulk(obj);
    /* a workload's status is never read: its template and metadata are */
    cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
}

static bool job_owner(const char *ns, const char *job, char *cronjob, size_t cap, void *ud)
{
    op *p = ud;
    cJSON *obj = kube_informer_get(p->kinds[4], ns, job), *ref;
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    bool found = false;

    cJSON_ArrayForEach(ref, cJSON_GetObjectItemCaseSensitive(meta, "ownerReferences"))
    {
        const char *kind = kube_json_str(ref, "kind"), *name = kube_json_str(ref, "name");

        if (!found && kind != NULL && name != NULL && strcmp(kind, "CronJob") == 0) {
            snprintf(cronjob, cap, "%s", name);
            found = true;
        }
    }
    cJSON_Delete(obj);
    return found;
}

/* The memory limit of container `name` in the Pod's spec; RES_UNSET. */
static int64_t pod_memory_limit(const cJSON *pod, const char *name)
{
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(pod, "spec"), *c;
    quantity q;

    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(spec, "containers"))
    {
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(c, "resources");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(res, "limits"), "memory");
        const char *cn = kube_json_str(c, "name");

        if (cn != NULL && strcmp(cn, name) == 0 && v != NULL &&
            quantity_parse_json(v, &q, NULL) == SNUG_OK)
            return quantity_value_ceil(&q);
    }
    return RES_UNSET;
}

static bool oom_known(const rec_state *s, double t)
{
    const rec_oom *ooms;
    size_t i, n = rec_state_ooms(s, &ooms);

    for (i = 0; i < n; i++) {
        if (fabs(ooms[i].t - t) < OOM_SAME_S)
            return true;
    }
    return false;
}

static void queue_oom(op *p, const workload *w, const char *container, int64_t limit)
{
    op_oom *o = calloc(1, sizeof(*o));

    if (o == NULL)
        return;
    snprintf(o->ns, sizeof(o->ns), "%s", w->ns);
    o->ref = w->ref;
    snprintf(o->container, sizeof(o->container), "%s", container);
    o->limit_bytes = limit;
    o->next = p->ooms;
    p->ooms = o;
}

/* One container status: an OOM kill not yet known goes into the state. */
static void pod_container_oom(op *p, const cJSON *pod, workload *w, const cJSON *cs)
{
    const cJSON *term = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cs, "lastState"), "terminated");
    const char *reason = kube_json_str(term, "reason"), *at = kube_json_str(term, "finishedAt");
    const char *name = kube_json_str(cs, "name");
    wl_container *c;
    int64_t t;
    int64_t limit;

    if (reason == NULL || strcmp(reason, "OOMKilled") != 0 || name == NULL)
        return;
    if (at == NULL || rfc3339_parse(at, &t, NULL) != SNUG_OK)
        return;
    c = workload_container(w, name, false);
    if (c == NULL || c->state == NULL || oom_known(c->state, (double)t))
        return;
    limit = pod_memory_limit(pod, name);
    rec_state_add_oom(c->state, (double)t, limit);
    c->oom_kills++;
    if (limit != RES_UNSET)
        c->oom_limit_bytes = limit;
    queue_oom(p, w, name, limit);
    p->bumps++;
}

static int pod_ooms(const cJSON *pod, void *ud)
{
    op *p = ud;
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(pod, "status"), *cs;
    workload_ref ref;
    workload *w;
    snug_err err;

    if (!op_ns_wanted(p, kube_obj_namespace(pod)) ||
        workload_from_pod(pod, job_owner, p, &ref, &err) != SNUG_OK)
        return 0;
    find_workload(p, kube_obj_namespace(pod), ref.kind, ref.name, &w);
    if (w == NULL || w->pol == NULL)
        return 0;
    cJSON_ArrayForEach(cs, cJSON_GetObjectItemCaseSensitive(status, "containerStatuses"))
    {
        pod_container_oom(p, pod, w, cs);
    }
    return 0;
}

void op_sync_pod_ooms(op *p)
{
    kube_informer_foreach(p->pods, pod_ooms, p);
}

/* operator_write.c -- the Recommendations the operator writes (see
 * operator_internal.h). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "controller/operator_internal.h"
#include "controller/recommend_workload.h"
#include "controller/report_object.h"
#include "kube/kube_api.h"
#include "kube/kube_objects.h"
#include "model/duration.h"
#include "model/recommendation.h"

#define MANAGER         "snug-controller"
#define MANAGED_BY      "app.kubernetes.io/managed-by"
#define REC_API         "snug.dev/v1alpha1"
#define CONFIDENCE_STEP 0.1

static const kube_resource res_recs = {"snug.dev", "v1alpha1", "recommendations"};

/* ---- what changed ---------------------------------------------------------------- */

/* Whether a value moved beyond the relative threshold (or appeared/went). */
static bool moved(int64_t old, int64_t now, double threshold)
{
    double hi;

    if (old == now)
        return false;
    if (old == RES_UNSET || now == RES_UNSET)
        return true;
    hi = (double)(old > now ? old : now);
    return hi > 0 && fabs((double)(old - now)) / hi > threshold;
}

static bool amounts_moved(const res_amounts *a, const res_amounts *b, double t)
{
    return moved(a->cpu_milli, b->cpu_milli, t) || moved(a->mem_bytes, b->mem_bytes, t);
}

static bool container_moved(const rec_container *old, const rec_container *now, double t)
{
    return amounts_moved(&old->target, &now->target, t) ||
           amounts_moved(&old->limits, &now->limits, t) ||
           amounts_moved(&old->lower_bound, &now->lower_bound, t) ||
           amounts_moved(&old->upper_bound, &now->upper_bound, t) ||
           old->gomaxprocs != now->gomaxprocs ||
           moved(old->gomemlimit_bytes > 0 ? old->gomemlimit_bytes : RES_UNSET,
                 now->gomemlimit_bytes > 0 ? now->gomemlimit_bytes : RES_UNSET, t) ||
           old->is_go != now->is_go || fabs(old->confidence - now->confidence) >= CONFIDENCE_STEP;
}

static const char *condition_status(const cJSON *status, const char *type)
{
    const cJSON *c;

    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(status, "conditions"))
    {
        const char *t = kube_json_str(c, "type");

        if (t != NULL && strcmp(t, type) == 0)
            return kube_json_str(c, "status");
    }
    return NULL;
}

static bool conditions_changed(const cJSON *old_status, const cJSON *new_status)
{
    const cJSON *c;

    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(new_status, "conditions"))
    {
        const char *was = condition_status(old_status, kube_json_str(c, "type"));
        const char *is = kube_json_str(c, "status");

        if (was == NULL || is == NULL || strcmp(was, is) != 0)
            return true;
    }
    return cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(old_status, "conditions")) !=
           cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(new_status, "conditions"));
}

/* Whether the desired status differs enough from the object's to write. */
static bool status_differs(const cJSON *existing, const cJSON *desired, double t)
{
    recommendation *old = NULL, *now = NULL;
    bool differs = true;
    size_t i;

    if (recommendation_parse(existing, NULL, &old, NULL) != SNUG_OK ||
        recommendation_parse(desired, NULL, &now, NULL) != SNUG_OK)
        goto out;
    if (old->n_containers != now->n_containers || (old->policy == NULL) != (now->policy == NULL) ||
        (old->policy != NULL && strcmp(old->policy, now->policy) != 0))
        goto out;
    for (i = 0; i < now->n_containers; i++) {
        const rec_container *o = recommendation_container(old, now->containers[i].name);

        if (o == NULL || container_moved(o, &now->containers[i], t))
            goto out;
    }
    differs = conditions_changed(cJSON_GetObjectItemCaseSensitive(existing, "status"),
                                 cJSON_GetObjectItemCaseSensitive(desired, "status"));
out:
    recommendation_free(old);
    recommendation_free(now);
    return differs;
}

/* Conditions whose status did not change keep their lastTransitionTime;
 * every condition gets the object's generation. */
static void carry_conditions(const cJSON *existing, cJSON *desired_status)
{
    const cJSON *old_status = cJSON_GetObjectItemCaseSensitive(existing, "status");
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(existing, "metadata");
    const cJSON *gen = cJSON_GetObjectItemCaseSensitive(meta, "generation");
    cJSON *c;

    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(desired_status, "conditions"))
    {
        const char *type = kube_json_str(c, "type"), *is = kube_json_str(c, "status");
        const cJSON *o;

        if (cJSON_IsNumber(gen))
            cJSON_AddNumberToObject(c, "observedGeneration", gen->valuedouble);
        cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(old_status, "conditions"))
        {
            const char *ot = kube_json_str(o, "type"), *os = kube_json_str(o, "status");
            const char *when = kube_json_str(o, "lastTransitionTime");

            if (type && ot && is && os && when && strcmp(type, ot) == 0 && strcmp(is, os) == 0)
                cJSON_ReplaceItemInObjectCaseSensitive(c, "lastTransitionTime",
                                                       cJSON_CreateString(when));
        }
    }
}

/* ---- objects ----------------------------------------------------------------------- */

static void add_condition(cJSON *status, const char *type, bool on, const char *reason,
                          const char *message, const char *now)
{
    cJSON *list = cJSON_GetObjectItemCaseSensitive(status, "conditions");

    if (list == NULL)
        list = cJSON_AddArrayToObject(status, "conditions");
    if (list != NULL)
        report_condition_add(list, type, on, reason, message, now);
}

static void set_condition(cJSON *status, const char *type, bool on, const char *reason,
                          const char *message, const char *now)
{
    cJSON *list = cJSON_GetObjectItemCaseSensitive(status, "conditions"), *c;

    cJSON_ArrayForEach(c, list)
    {
        const char *t = kube_json_str(c, "type");

        if (t != NULL && strcmp(t, type) == 0) {
            cJSON_Delete(cJSON_DetachItemViaPointer(list, c));
            break;
        }
    }
    add_condition(status, type, on, reason, message, now);
}

/* The object without its status, with our label and the owner reference
 * that deletes it with its workload. */
static cJSON *main_object(const workload *w, const cJSON *full)
{
    cJSON *o = cJSON_Duplicate(full, 1), *meta, *labels, *refs, *ref;

    if (o == NULL)
        return NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(o, "status");
    meta = cJSON_GetObjectItemCaseSensitive(o, "metadata");
    labels = cJSON_AddObjectToObject(meta, "labels");
    if (labels != NULL)
        cJSON_AddStringToObject(labels, MANAGED_BY, MANAGER);
    refs = w->uid != NULL ? cJSON_AddArrayToObject(meta, "ownerReferences") : NULL;
    if (refs != NULL) {
        ref = cJSON_CreateObject();
        if (ref != NULL) {
            cJSON_AddStringToObject(ref, "apiVersion", w->api_version);
            cJSON_AddStringToObject(ref, "kind", w->ref.kind);
            cJSON_AddStringToObject(ref, "name", w->ref.name);
            cJSON_AddStringToObject(ref, "uid", w->uid);
            cJSON_AddItemToArray(refs, ref);
        }
    }
    return o;
}

static bool main_differs(const workload *w, const cJSON *existing)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(existing, "metadata");
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(existing, "spec");
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(spec, "targetRef");
    const cJSON *labels = cJSON_GetObjectItemCaseSensitive(meta, "labels"), *o;
    const char *kind = kube_json_str(ref, "kind"), *name = kube_json_str(ref, "name");
    const char *by = kube_json_str(labels, MANAGED_BY);
    bool owned = w->uid == NULL;

    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(meta, "ownerReferences"))
    {
        const char *uid = kube_json_str(o, "uid");

        owned |= uid != NULL && w->uid != NULL && strcmp(uid, w->uid) == 0;
    }
    return kind == NULL || name == NULL || strcmp(kind, w->ref.kind) != 0 ||
           strcmp(name, w->ref.name) != 0 || by == NULL || strcmp(by, MANAGER) != 0 || !owned;
}

/* The status subresource's apply body: apiVersion, kind, metadata name and
 * namespace, status (no resourceVersion: the apply is not conditional). */
static cJSON *status_object(const cJSON *full)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(full, "metadata");
    const char *name = kube_json_str(meta, "name"), *ns = kube_json_str(meta, "namespace");
    cJSON *o = cJSON_CreateObject(), *m, *status;

    status = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(full, "status"), 1);
    m = cJSON_AddObjectToObject(o, "metadata");
    if (o == NULL || m == NULL || status == NULL || name == NULL || ns == NULL) {
        cJSON_Delete(o);
        cJSON_Delete(status);
        return NULL;
    }
    cJSON_AddStringToObject(o, "apiVersion", REC_API);
    cJSON_AddStringToObject(o, "kind", "Recommendation");
    cJSON_AddStringToObject(m, "name", name);
    cJSON_AddStringToObject(m, "namespace", ns);
    cJSON_AddItemToObject(o, "status", status);
    return o;
}

/* Server-side apply; *out (may be NULL) gets the object as stored. */
static snug_status apply(op *p, const char *ns, const char *name, const cJSON *obj,
                         const char *subresource, cJSON **out, snug_err *err)
{
    kube_write_opts wo;

    if (!op_may_write(p))
        return SNUG_OK; /* lost the lease or stopping: not one more write */
    memset(&wo, 0, sizeof(wo));
    wo.field_manager = MANAGER;
    wo.force = 1;
    wo.subresource = subresource;
    return kube_apply(p->kc, &res_recs, ns, name, obj, &wo, out, err);
}

/* ---- autoscalers ----------------------------------------------------------------- */

static void append_reason(rec_result *r, const char *text)
{
    size_t len = strlen(r->reason);

    snprintf(r->reason + len, sizeof(r->reason) - len, "%s%s", len ? "; " : "", text);
}

/* A VPA sizes the workload: no target the webhook would apply. An HPA on a
 * resource: that request is left alone (changing it moves the HPA's
 * target); limits and Go settings still follow. */
static void autoscaler_adjust(const workload *w, rec_result *res, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (w->vpa_active) {
            res[i].c.target.cpu_milli = res[i].c.target.mem_bytes = RES_UNSET;
            append_reason(&res[i], "a VerticalPodAutoscaler sizes this workload: no target");
            continue;
        }
        if (w->hpa_cpu) {
            res[i].c.target.cpu_milli = RES_UNSET;
            append_reason(&res[i], "an HPA scales on CPU: the CPU request is left alone");
        }
        if (w->hpa_memory) {
            res[i].c.target.mem_bytes = RES_UNSET;
            append_reason(&res[i], "an HPA scales on memory: the memory request is left alone");
        }
    }
}

static void autoscaler_conditions(const workload *w, cJSON *status, const char *now)
{
    add_condition(status, "PrometheusUnavailable", false, "QueriesAnswered",
                  "the last pass read Prometheus", now);
    if (w->vpa_active)
        add_condition(status, "VPAManaged", true, "VerticalPodAutoscaler",
                      "a VerticalPodAutoscaler in a mode other than Off targets this workload",
                      now);
    if (w->hpa_cpu || w->hpa_memory)
        add_condition(status, "HPAManaged", true, "HorizontalPodAutoscaler",
                      w->hpa_cpu && w->hpa_memory ? "an HPA scales on CPU and memory"
                      : w->hpa_cpu                ? "an HPA scales on CPU"
                                                  : "an HPA scales on memory",
                      now);
}

/* ---- one workload ---------------------------------------------------------------- */

/* Apply the main object when it differs, then the status when it moved
 * (or force_status); *status_written says whether the status was. */
static snug_status write_objects(op *p, const workload *w, const char *name, cJSON *desired,
                                 const cJSON *existing, bool force_status, bool *status_written,
                                 snug_err *err)
{
    cJSON *main = NULL, *status = NULL, *created = NULL;
    snug_status st = SNUG_OK;

    *status_written = false;
    if (existing == NULL || main_differs(w, existing)) {
        main = main_object(w, desired);
        st = main ? apply(p, w->ns, name, main, NULL, existing ? NULL : &created, err)
                  : snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    }
    if (st == SNUG_OK && (existing == NULL || force_status ||
                          status_differs(existing, desired, p->o->change_threshold))) {
        /* conditions keep their transition times; observedGeneration from
         * the object as it is (or as just created) */
        if (existing != NULL || created != NULL)
            carry_conditions(existing ? existing : created,
                             cJSON_GetObjectItemCaseSensitive(desired, "status"));
        status = status_object(desired);
        st = status ? apply(p, w->ns, name, status, "status", NULL, err)
                    : snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
        if (st == SNUG_OK)
            p->written++;
        *status_written = st == SNUG_OK && op_may_write(p);
    } else if (st == SNUG_OK) {
        p->unchanged++;
    }
    cJSON_Delete(main);
    cJSON_Delete(status);
    cJSON_Delete(created);
    return st;
}

/* Add v to *sum unless it would overflow (a sum that big means nothing
 * anyway). */
static void add_sat(int64_t *sum, int64_t v)
{
    if (v > 0 && *sum <= INT64_MAX - v)
        *sum += v;
}

/* The pass's sums of current requests and recommended targets; where no
 * target is given (an HPA's resource) the request stays what it is. */
static void add_sizing(op *p, const wl_container *const *cs, const rec_result *res, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        int64_t rc = cs[i]->requests.cpu_milli, rm = cs[i]->requests.mem_bytes;
        int64_t tc = res[i].c.target.cpu_milli, tm = res[i].c.target.mem_bytes;

        add_sat(&p->req_cpu, rc);
        add_sat(&p->req_mem, rm);
        add_sat(&p->rec_cpu, tc > 0 ? tc : rc);
        add_sat(&p->rec_mem, tm > 0 ? tm : rm);
    }
}

static snug_status write_one(op *p, workload *w, double now, snug_err *err)
{
    rec_result res[WL_MAX_CONTAINERS];
    const wl_container *cs[WL_MAX_CONTAINERS];
    char name[WORKLOAD_NAME_MAX + 64], ts[40];
    cJSON *desired = NULL, *existing = NULL;
    size_t n = 0;
    bool written = false;
    snug_status st = recommend_workload(w, now, res, cs, &n, err);

    if (st != SNUG_OK || n == 0)
        return st;
    autoscaler_adjust(w, res, n);
    add_sizing(p, cs, res, n);
    recommendation_name(w->ref.kind, w->ref.name, name, sizeof(name));
    rfc3339_format((int64_t)now, ts, sizeof(ts));
    desired = report_object(w, cs, res, n, (int64_t)now);
    if (desired == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    autoscaler_conditions(w, cJSON_GetObjectItemCaseSensitive(desired, "status"), ts);
    existing = kube_informer_get(p->recs, w->ns, name);
    st = write_objects(p, w, name, desired, existing, op_oom_pending(p, w), &written, err);
    if (st == SNUG_OK && written)
        p->bumps += op_oom_bumps(existing, res, cs, n);
    if (st == SNUG_OK && op_oom_pending(p, w))
        op_oom_events(p, w, existing ? existing : desired, existing, cs, res, n);
    cJSON_Delete(desired);
    cJSON_Delete(existing);
    return st;
}

/* Whether the cached Recommendation `name` has a status whose
 * PrometheusUnavailable condition is not True yet. */
static bool prom_down_news(op *p, const workload *w, const char *name)
{
    cJSON *cached = kube_informer_get(p->recs, w->ns, name);
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(cached, "status");
    const char *was = condition_status(status, "PrometheusUnavailable");
    bool news = cJSON_IsObject(status) && (was == NULL || strcmp(was, "True") != 0);

    cJSON_Delete(cached);
    return news;
}

/* Prometheus is down: the values stay, the condition says so. Nothing is
 * written from partial data, and nothing is created. The status is applied
 * whole, so it is read from the API server (the cache keeps only what is
 * compared); once per outage and Recommendation. */
static snug_status write_prom_down(op *p, const workload *w, snug_err *err)
{
    char name[WORKLOAD_NAME_MAX + 64], ts[40];
    cJSON *existing = NULL, *obj = NULL;
    snug_status st = SNUG_OK;

    recommendation_name(w->ref.kind, w->ref.name, name, sizeof(name));
    if (!op_may_write(p) || !prom_down_news(p, w, name))
        return SNUG_OK;
    st = kube_get(p->kc, &res_recs, w->ns, name, &existing, err);
    if (st == SNUG_ERR_NOT_FOUND) {
        st = SNUG_OK; /* deleted meanwhile: nothing to say it on */
        goto out;
    }
    if (st != SNUG_OK || !cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(existing, "status")))
        goto out;
    obj = status_object(existing);
    if (obj == NULL) {
        st = snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
        goto out;
    }
    rfc3339_format((int64_t)time(NULL), ts, sizeof(ts));
    set_condition(cJSON_GetObjectItemCaseSensitive(obj, "status"), "PrometheusUnavailable", true,
                  "QueryFailed", p->prom_error, ts);
    st = apply(p, w->ns, name, obj, "status", NULL, err);
    p->written += st == SNUG_OK;
out:
    cJSON_Delete(obj);
    cJSON_Delete(existing);
    return st;
}

/* ---- deletes ------------------------------------------------------------------------ */

typedef struct stale {
    char ns[WORKLOAD_NAME_MAX], name[WORKLOAD_NAME_MAX + 64];
} stale;

typedef struct stale_ctx {
    op *p;
    stale *list;
    size_t n, cap;
} stale_ctx;

/* Covered by a policy, or held (its policy is refused now: see
 * op_hold_refused) */
static bool covered(op *p, const char *ns, const char *kind, const char *name)
{
    const workload *w = kind && name ? wlset_find(p->set, ns, kind, name) : NULL;

    return w != NULL && !w->gone && w->pol != NULL && !w->opted_out;
}

/* Ours (our label) and its workload is gone or no longer covered (nor
 * held). */
static int find_stale(const cJSON *obj, void *ud)
{
    stale_ctx *c = ud;
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(obj, "spec"), "targetRef");
    const char *by = kube_json_str(cJSON_GetObjectItemCaseSensitive(meta, "labels"), MANAGED_BY);
    const char *ns = kube_obj_namespace(obj), *name = kube_obj_name(obj);

    if (by == NULL || strcmp(by, MANAGER) != 0 || ns == NULL || name == NULL ||
        !op_ns_wanted(c->p, ns) ||
        covered(c->p, ns, kube_json_str(ref, "kind"), kube_json_str(ref, "name")))
        return 0;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        stale *l = realloc(c->list, cap * sizeof(*l));

        if (l == NULL)
            return 1;
        c->list = l;
        c->cap = cap;
    }
    snprintf(c->list[c->n].ns, sizeof(c->list[c->n].ns), "%s", ns);
    snprintf(c->list[c->n].name, sizeof(c->list[c->n].name), "%s", name);
    c->n++;
    return 0;
}

static void delete_stale(op *p)
{
    stale_ctx c = {p, NULL, 0, 0};
    snug_err err;
    size_t i;

    kube_informer_foreach(p->recs, find_stale, &c);
    for (i = 0; i < c.n && op_may_write(p); i++) {
        snug_err_clear(&err);
        if (kube_delete(p->kc, &res_recs, c.list[i].ns, c.list[i].name, &err) == SNUG_OK ||
            err.status == SNUG_ERR_NOT_FOUND) {
            p->deleted++;
            snug_log(LOG_INFO, "operator", "Recommendation deleted: workload gone or not covered",
                     "namespace", c.list[i].ns, "name", c.list[i].name, NULL);
        } else {
            snug_log(LOG_WARN, "operator", "Recommendation not deleted", "namespace", c.list[i].ns,
                     "name", c.list[i].name, "error", err.msg, NULL);
        }
    }
    free(c.list);
}

/* ---- the pass's writes --------------------------------------------------------------- */

/* The API server did not answer (refused, reset, TLS, timeout): not this
 * object's trouble. */
static bool unreachable(snug_status st)
{
    return st == SNUG_ERR_IO || st == SNUG_ERR_TIMEOUT || st == SNUG_ERR_TLS;
}

snug_status op_write_all(op *p, double now, snug_err *err)
{
    snug_status st = SNUG_OK;
    size_t i, away = 0;

    for (i = 0; st == SNUG_OK && i < p->set->n && op_may_write(p); i++) {
        workload *w = p->set->items[i];
        snug_err werr;

        /* held: made by a policy refused now; neither written nor deleted */
        if (w->gone || w->pol == NULL || w->opted_out || op_held(p, w))
            continue;
        snug_err_clear(&werr);
        st = p->prom_down ? write_prom_down(p, w, &werr) : write_one(p, w, now, &werr);
        away = unreachable(st) ? away + 1 : 0;
        if (st == SNUG_ERR_NOMEM || st == SNUG_ERR_UNAUTHORIZED) {
            snug_err_set(err, st, "%s", werr.msg);
        } else if (away >= OP_WRITE_AWAY_MAX) {
            /* without leader election nothing else would stop a pass of
             * thousands of writes each waiting for its timeout */
            snug_err_set(err, st,
                         "the API server is not answering (%zu writes in a row failed); the "
                         "other writes wait for the next pass: %s",
                         away, werr.msg);
        } else if (st != SNUG_OK) {
            /* one object's trouble (a conflict, a refusal) does not stop the pass */
            snug_log(LOG_WARN, "operator", "Recommendation not written", "namespace", w->ns,
                     "workload", w->ref.name, "error", werr.msg, NULL);
            st = SNUG_OK;
        }
    }
    if (st == SNUG_OK && !p->prom_down)
        delete_stale(p);
    op_ooms_free(p);
    return st;
}

/* operator_oom.c -- OOM kills: those Pod status shows, each handled once
 * (into the state, unless this pass's Prometheus read brought it; queued
 * for its Event), the Events on the Recommendations, and the bumps a write
 * applies (see operator_internal.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/strmap.h"
#include "controller/operator_internal.h"
#include "kube/kube_api.h"
#include "kube/kube_events.h"
#include "kube/kube_objects.h"
#include "model/duration.h"
#include "model/quantity.h"
#include "model/recommendation.h"
#include "model/workload.h"

#define REC_API "snug.dev/v1alpha1"

/* ---- Pod status ------------------------------------------------------------------ */

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

void op_oom_known(const rec_state *s, double t, double cutoff, bool *before, bool *fed)
{
    const rec_oom *ooms;
    size_t i, n = rec_state_ooms(s, &ooms);

    *before = *fed = false;
    for (i = 0; i < n; i++) {
        if (fabs(ooms[i].t - t) >= OP_OOM_SAME_S)
            continue;
        if (ooms[i].t <= cutoff)
            *before = true;
        else
            *fed = true;
    }
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

typedef struct oom_ctx {
    op *p;
    strmap *seen; /* this pass's p->oom_seen */
} oom_ctx;

/* Whether the kill ns/pod/container at `at` was handled by an earlier pass
 * of this process; remembered for the next pass either way. */
static bool oom_handled(oom_ctx *x, const char *ns, const char *pod, const char *container,
                        const char *at)
{
    char key[4 * WORKLOAD_NAME_MAX];
    int n = snprintf(key, sizeof(key), "%s\x1f%s\x1f%s\x1f%s", ns, pod, container, at);
    bool handled;

    if (n < 0 || (size_t)n >= sizeof(key))
        return false;
    handled = x->p->oom_seen != NULL && strmap_get(x->p->oom_seen, key) != NULL;
    if (x->seen != NULL)
        strmap_put(x->seen, key, x->seen); /* NOMEM: the kill is only looked at again */
    return handled;
}

/* One container status: an OOM kill not handled yet is queued for its
 * Event, and goes into the state unless this pass's Prometheus read brought
 * it already (cAdvisor's counter: the same kill). */
static void pod_container_oom(oom_ctx *x, const cJSON *pod, workload *w, const cJSON *cs)
{
    const cJSON *term = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cs, "lastState"), "terminated");
    const char *reason = kube_json_str(term, "reason"), *at = kube_json_str(term, "finishedAt");
    const char *name = kube_json_str(cs, "name");
    wl_container *c;
    bool before, fed;
    int64_t t, limit;

    if (reason == NULL || strcmp(reason, "OOMKilled") != 0 || name == NULL)
        return;
    if (at == NULL || rfc3339_parse(at, &t, NULL) != SNUG_OK)
        return;
    if (oom_handled(x, w->ns, kube_obj_name(pod), name, at))
        return;
    c = workload_container(w, name, false);
    if (c == NULL || c->state == NULL)
        return;
    op_oom_known(c->state, (double)t, x->p->prev_now, &before, &fed);
    if (before)
        return; /* an earlier pass or the checkpoint had it: its Event was made then */
    limit = pod_memory_limit(pod, name);
    if (!fed) {
        rec_state_add_oom(c->state, (double)t, limit);
        c->oom_kills++;
    }
    if (limit != RES_UNSET)
        c->oom_limit_bytes = limit;
    queue_oom(x->p, w, name, limit);
}

static int pod_ooms(const cJSON *pod, void *ud)
{
    oom_ctx *x = ud;
    op *p = x->p;
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(pod, "status"), *cs;
    workload_ref ref;
    workload *w;
    snug_err err;

    if (!op_ns_wanted(p, kube_obj_namespace(pod)) ||
        workload_from_pod(pod, job_owner, p, &ref, &err) != SNUG_OK)
        return 0;
    w = wlset_find(p->set, kube_obj_namespace(pod), ref.kind, ref.name);
    /* a held workload's kills wait until its policy is back */
    if (w == NULL || w->gone || w->pol == NULL || op_held(p, w) || kube_obj_name(pod) == NULL)
        return 0;
    cJSON_ArrayForEach(cs, cJSON_GetObjectItemCaseSensitive(status, "containerStatuses"))
    {
        pod_container_oom(x, pod, w, cs);
    }
    return 0;
}

void op_sync_pod_ooms(op *p)
{
    oom_ctx x = {p, strmap_new(NULL)};

    kube_informer_foreach(p->pods, pod_ooms, &x);
    /* kills no Pod shows any more are forgotten */
    strmap_free(p->oom_seen);
    p->oom_seen = x.seen;
}

/* ---- Events ------------------------------------------------------------------- */

static void fmt_mem(int64_t v, char *buf, size_t cap)
{
    if (v == RES_UNSET || v <= 0)
        snprintf(buf, cap, "none");
    else
        mem_format_bytes(v, buf, cap);
}

/* "container api OOM-killed at 512Mi: memory request 256Mi -> 640Mi, limit
 * 512Mi -> 768Mi" from the object as it was and the result. */
static void oom_note(const op_oom *o, const recommendation *old, const rec_result *r, char *buf,
                     size_t cap)
{
    const rec_container *was = old ? recommendation_container(old, o->container) : NULL;
    char at[32], t0[32], t1[32], l0[32], l1[32];

    fmt_mem(o->limit_bytes, at, sizeof(at));
    fmt_mem(was ? was->target.mem_bytes : RES_UNSET, t0, sizeof(t0));
    fmt_mem(r->c.target.mem_bytes, t1, sizeof(t1));
    fmt_mem(was ? was->limits.mem_bytes : RES_UNSET, l0, sizeof(l0));
    fmt_mem(r->c.limits.mem_bytes, l1, sizeof(l1));
    snprintf(buf, cap, "container %s OOM-killed at %s: memory request %s -> %s, limit %s -> %s",
             o->container, at, t0, t1, l0, l1);
}

static void oom_event(op *p, const workload *w, const cJSON *obj, const char *note)
{
    kube_event ev;
    snug_err err;

    if (!op_may_write(p))
        return;
    op_warning_event(p, &ev, "Recommend", "OOMKilled", note);
    kube_objref_from_object(obj, &ev.regarding);
    if (ev.regarding.api_version == NULL)
        ev.regarding.api_version = REC_API;
    if (ev.regarding.kind == NULL)
        ev.regarding.kind = "Recommendation";
    snug_err_clear(&err);
    if (kube_event_create(p->kc, &ev, NULL, &err) != SNUG_OK)
        snug_log(LOG_WARN, "operator", "OOM Event not written", "namespace", w->ns, "error",
                 err.msg, NULL);
}

void op_oom_events(op *p, const workload *w, const cJSON *written, const cJSON *existing,
                   const wl_container *const *cs, const rec_result *res, size_t n)
{
    recommendation *old = NULL;
    const op_oom *o;
    char note[KUBE_EVENT_NOTE_MAX];
    size_t i;

    if (existing != NULL)
        recommendation_parse(existing, NULL, &old, NULL);
    for (o = p->ooms; o != NULL; o = o->next) {
        if (strcmp(o->ns, w->ns) != 0 || strcmp(o->ref.kind, w->ref.kind) != 0 ||
            strcmp(o->ref.name, w->ref.name) != 0)
            continue;
        for (i = 0; i < n && strcmp(cs[i]->name, o->container) != 0; i++)
            ;
        if (i == n)
            continue;
        oom_note(o, old, &res[i], note, sizeof(note));
        snug_log(LOG_INFO, "operator", "OOM bump", "namespace", w->ns, "workload", w->ref.name,
                 "note", note, NULL);
        oom_event(p, w, written, note);
    }
    recommendation_free(old);
}

bool op_oom_pending(const op *p, const workload *w)
{
    const op_oom *o;

    for (o = p->ooms; o != NULL; o = o->next) {
        if (strcmp(o->ns, w->ns) == 0 && strcmp(o->ref.kind, w->ref.kind) == 0 &&
            strcmp(o->ref.name, w->ref.name) == 0)
            return true;
    }
    return false;
}

void op_ooms_free(op *p)
{
    while (p->ooms != NULL) {
        op_oom *next = p->ooms->next;

        free(p->ooms);
        p->ooms = next;
    }
}

/* ---- bumps ---------------------------------------------------------------------- */

/* Whether memory went up from `old` (RES_UNSET: none) to `now`. */
static bool mem_raised(int64_t old, int64_t now)
{
    return now != RES_UNSET && now > 0 && (old == RES_UNSET || now > old);
}

/* OOM bumps a status write applied: containers whose memory the recommender
 * raised for an OOM kill (REC_OOM_BUMP) and whose written target (or limit,
 * when there is no target: an HPA on memory, a VPA) is above what the
 * Recommendation held, whichever source reported the kill (Pod status,
 * cAdvisor's counter, kube-state-metrics). A bump already written is not
 * counted again: later passes (or a restarted controller) find it there. */
size_t op_oom_bumps(const cJSON *existing, const rec_result *res, const wl_container *const *cs,
                    size_t n)
{
    recommendation *old = NULL;
    size_t i, bumps = 0;

    if (existing != NULL && recommendation_parse(existing, NULL, &old, NULL) != SNUG_OK)
        old = NULL;
    for (i = 0; i < n; i++) {
        const rec_container *was = old ? recommendation_container(old, cs[i]->name) : NULL;
        int64_t t0 = was ? was->target.mem_bytes : RES_UNSET;
        int64_t l0 = was ? was->limits.mem_bytes : RES_UNSET;

        if (!(res[i].flags & REC_OOM_BUMP))
            continue;
        if (res[i].c.target.mem_bytes != RES_UNSET ? mem_raised(t0, res[i].c.target.mem_bytes)
                                                   : mem_raised(l0, res[i].c.limits.mem_bytes))
            bumps++;
    }
    recommendation_free(old);
    return bumps;
}

/* operator_policies.c -- the operator's SizingPolicies: those the parser
 * refuses are made visible (a log line, a Warning Event on the policy, a
 * gauge) and the Recommendations they made are held, neither rewritten nor
 * deleted, until the policy is fixed or deleted (see operator_internal.h and
 * docs/controller.md, "A SizingPolicy the controller refuses").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "controller/operator_internal.h"
#include "kube/kube_api.h"
#include "kube/kube_events.h"

#define MANAGER    "snug-controller"
#define MANAGED_BY "app.kubernetes.io/managed-by"
#define POLICY_API "snug.dev/v1alpha1"

/* ---- the refused list (pure) --------------------------------------------------- */

void op_refused_clear(op_refused_list *l)
{
    free(l->items);
    memset(l, 0, sizeof(*l));
}

const op_refused *op_refused_find(const op_refused_list *l, const char *name)
{
    size_t i;

    for (i = 0; name != NULL && i < l->n; i++) {
        if (strcmp(l->items[i].name, name) == 0)
            return &l->items[i];
    }
    return NULL;
}

static snug_status refused_add(op_refused_list *l, const cJSON *obj, const char *msg,
                               const op_refused_list *before)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    const cJSON *gen = cJSON_GetObjectItemCaseSensitive(meta, "generation");
    const char *name = kube_json_str(meta, "name"), *uid = kube_json_str(meta, "uid");
    const op_refused *was;
    op_refused *r;

    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        op_refused *items = realloc(l->items, cap * sizeof(*items));

        if (items == NULL)
            return SNUG_ERR_NOMEM;
        l->items = items;
        l->cap = cap;
    }
    r = &l->items[l->n++];
    memset(r, 0, sizeof(*r));
    snprintf(r->name, sizeof(r->name), "%s", name != NULL ? name : "");
    snprintf(r->uid, sizeof(r->uid), "%s", uid != NULL ? uid : "");
    r->generation = cJSON_IsNumber(gen) ? (int64_t)gen->valuedouble : 0;
    snprintf(r->error, sizeof(r->error), "%s", msg);
    /* reported once per version of its spec (and per object: a policy
     * deleted and made again under the same name is a new one) */
    was = op_refused_find(before, r->name);
    r->reported = was != NULL && was->reported && was->generation == r->generation &&
                  strcmp(was->uid, r->uid) == 0;
    return SNUG_OK;
}

snug_status op_policy_take(const cJSON *obj, policy_set *set, op_refused_list *refused,
                           const op_refused_list *before)
{
    policy *pol = NULL;
    snug_err err;
    snug_status st;

    snug_err_clear(&err);
    st = policy_parse(obj, &pol, &err);
    if (st == SNUG_OK) {
        st = policy_set_add(set, pol);
        if (st != SNUG_OK)
            policy_free(pol);
        return st;
    }
    return refused_add(refused, obj, err.msg, before);
}

bool op_hold_one(const cJSON *rec, wlset *set, const op_refused_list *refused, const policy *hold)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(rec, "metadata");
    const cJSON *ref = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(rec, "spec"), "targetRef");
    const char *by = kube_json_str(cJSON_GetObjectItemCaseSensitive(meta, "labels"), MANAGED_BY);
    const char *made_by = kube_json_str(cJSON_GetObjectItemCaseSensitive(rec, "status"), "policy");
    const char *ns = kube_json_str(meta, "namespace"), *kind = kube_json_str(ref, "kind");
    const char *name = kube_json_str(ref, "name");
    workload *w;

    if (by == NULL || strcmp(by, MANAGER) != 0 || op_refused_find(refused, made_by) == NULL ||
        ns == NULL || kind == NULL || name == NULL)
        return false;
    w = wlset_find(set, ns, kind, name);
    /* a workload that still exists, now without a policy, and did not opt
     * out: another policy that covers it takes it (the webhook falls to
     * that one too), a workload that is gone or opted out loses it */
    if (w == NULL || w->gone || w->opted_out || w->pol != NULL)
        return false;
    w->pol = hold;
    return true;
}

void op_refused_note(const op_refused *r, char *buf, size_t cap)
{
    snprintf(buf, cap,
             "%s. Not applied: the workloads it covers fall to the next matching SizingPolicy; "
             "the Recommendations it made are kept unchanged until it is fixed or deleted.",
             r->error);
}

/* ---- in the operator ------------------------------------------------------------- */

typedef struct take_ctx {
    policy_set *set;
    op_refused_list refused;
    const op_refused_list *before;
    snug_status st;
} take_ctx;

static int take(const cJSON *obj, void *ud)
{
    take_ctx *c = ud;

    c->st = op_policy_take(obj, c->set, &c->refused, c->before);
    return c->st != SNUG_OK;
}

static void refused_event(op *p, const op_refused *r)
{
    kube_event ev;
    char note[KUBE_EVENT_NOTE_MAX];
    snug_err err;

    op_refused_note(r, note, sizeof(note));
    op_warning_event(p, &ev, "ReadPolicy", "PolicyRefused", note);
    ev.regarding.api_version = POLICY_API;
    ev.regarding.kind = "SizingPolicy";
    ev.regarding.name = r->name;
    ev.regarding.uid = r->uid[0] ? r->uid : NULL;
    snug_err_clear(&err);
    /* cluster-scoped: the Event goes into "default" */
    if (kube_event_create(p->kc, &ev, NULL, &err) != SNUG_OK)
        snug_log(LOG_WARN, "operator", "PolicyRefused Event not written", "policy", r->name,
                 "error", err.msg, NULL);
}

/* A refused policy is logged at warn and gets its Event once per version;
 * later passes say it again at debug. Policies accepted again are logged. */
static void report(op *p, op_refused_list *now)
{
    size_t i;

    for (i = 0; i < now->n; i++) {
        op_refused *r = &now->items[i];

        if (r->reported) {
            snug_log(LOG_DEBUG, "operator", "SizingPolicy still refused", "policy", r->name,
                     "error", r->error, NULL);
            continue;
        }
        snug_log(LOG_WARN, "operator",
                 "SizingPolicy refused: not applied; its workloads fall to the next matching "
                 "policy, the Recommendations it made are kept unchanged",
                 "policy", r->name, "error", r->error, NULL);
        if (op_may_write(p) && r->name[0] != '\0')
            refused_event(p, r);
        r->reported = true;
    }
    for (i = 0; i < p->refused.n; i++) {
        const char *name = p->refused.items[i].name;

        if (op_refused_find(now, name) == NULL && policy_set_find(p->pols, name) != NULL)
            snug_log(LOG_INFO, "operator", "SizingPolicy accepted again", "policy", name, NULL);
    }
}

snug_status op_sync_policies(op *p, snug_err *err)
{
    take_ctx c;

    memset(&c, 0, sizeof(c));
    c.set = policy_set_new();
    c.before = &p->refused;
    if (c.set == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    kube_informer_foreach(p->policies, take, &c);
    if (c.st != SNUG_OK) {
        policy_set_free(c.set);
        op_refused_clear(&c.refused);
        return snug_err_set(err, c.st, "policies: out of memory");
    }
    policy_set_free(p->pols);
    p->pols = c.set;
    report(p, &c.refused);
    op_refused_clear(&p->refused);
    p->refused = c.refused;
    return SNUG_OK;
}

typedef struct hold_ctx {
    op *p;
    size_t held;
} hold_ctx;

static int hold(const cJSON *rec, void *ud)
{
    hold_ctx *c = ud;

    if (op_ns_wanted(c->p, kube_obj_namespace(rec)) &&
        op_hold_one(rec, c->p->set, &c->p->refused, c->p->hold_pol))
        c->held++;
    return 0;
}

snug_status op_hold_refused(op *p, snug_err *err)
{
    hold_ctx c = {p, 0};

    p->held = 0;
    if (p->refused.n == 0)
        return SNUG_OK; /* the usual case: nothing to look at */
    if (p->hold_pol == NULL) {
        p->hold_pol = policy_builtin_default();
        if (p->hold_pol == NULL)
            return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    }
    kube_informer_foreach(p->recs, hold, &c);
    p->held = c.held;
    return SNUG_OK;
}

bool op_held(const op *p, const workload *w)
{
    return w->pol != NULL && w->pol == p->hold_pol;
}

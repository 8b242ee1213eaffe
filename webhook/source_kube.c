/* source_kube.c -- informers feeding the webhook's store. */
#include "webhook/source_kube.h"

#include <stdlib.h>
#include <string.h>

#include "kube/kube_api.h"
#include "kube/kube_informer.h"
#include "kube/kube_prune.h"
#include "base/log.h"
#include "webhook/webhook_metrics.h"

enum { KS_POLICIES, KS_RECS, KS_NAMESPACES, KS_LIMITRANGES, KS_JOBS, KS_COUNT };

typedef struct ks_slot {
    struct kube_source *owner;
    int kind;
    kube_informer *inf;
    bool marked;
} ks_slot;

struct kube_source {
    store *store;
    ks_slot slots[KS_COUNT];
};

static const kube_resource ks_resources[KS_COUNT] = {
    {"snug.dev", "v1alpha1", "sizingpolicies"},
    {"snug.dev", "v1alpha1", "recommendations"},
    {"", "v1", "namespaces"},
    {"", "v1", "limitranges"},
    {"batch", "v1", "jobs"},
};

static const unsigned ks_store_bits[KS_COUNT] = {STORE_POLICIES, STORE_RECOMMENDATIONS,
                                                 STORE_NAMESPACES, STORE_LIMITRANGES, 0};

static void put_policy(kube_source *ks, const cJSON *obj)
{
    policy *p = NULL;
    snug_err err;
    const char *name = kube_obj_name(obj);

    if (policy_parse(obj, &p, &err) != SNUG_OK) {
        snug_log(LOG_ERROR, "source", "SizingPolicy refused; it is not applied", "name", name,
                 "error", err.msg, NULL);
        wh_metrics_source_reload("sizingpolicies", 0);
        if (name != NULL)
            store_delete_policy(ks->store, name);
        return;
    }
    store_put_policy(ks->store, p);
}

static void put_rec(kube_source *ks, const cJSON *obj)
{
    recommendation *r = NULL;
    snug_err err;

    if (recommendation_parse(obj, NULL, &r, &err) != SNUG_OK) {
        snug_log(LOG_WARN, "source", "Recommendation refused; it is not applied", "namespace",
                 kube_obj_namespace(obj), "name", kube_obj_name(obj), "error", err.msg, NULL);
        wh_metrics_source_reload("recommendations", 0);
        if (kube_obj_namespace(obj) && kube_obj_name(obj))
            store_delete_recommendation(ks->store, kube_obj_namespace(obj), kube_obj_name(obj));
        return;
    }
    store_put_recommendation(ks->store, r);
}

/* The CronJob that controls a Job, from its ownerReferences, or NULL. */
static const char *job_cronjob(const cJSON *job)
{
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(job, "metadata");
    const cJSON *ref;

    cJSON_ArrayForEach(ref, cJSON_GetObjectItemCaseSensitive(md, "ownerReferences"))
    {
        const char *kind = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ref, "kind"));

        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ref, "controller")) && kind != NULL &&
            strcmp(kind, "CronJob") == 0)
            return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ref, "name"));
    }
    return NULL;
}

static void apply_upsert(kube_source *ks, int kind, const cJSON *obj)
{
    const char *ns = kube_obj_namespace(obj);
    const char *name = kube_obj_name(obj);

    if (name == NULL)
        return;
    switch (kind) {
    case KS_POLICIES:
        put_policy(ks, obj);
        break;
    case KS_RECS:
        put_rec(ks, obj);
        break;
    case KS_NAMESPACES:
        store_put_namespace(ks->store, name,
                            cJSON_GetObjectItemCaseSensitive(
                                cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "labels"));
        break;
    case KS_LIMITRANGES:
        if (ns != NULL)
            store_put_limitrange(ks->store, ns, name, obj);
        break;
    case KS_JOBS:
        if (ns != NULL && job_cronjob(obj) != NULL)
            store_put_job_owner(ks->store, ns, name, job_cronjob(obj));
        break;
    }
}

static void apply_delete(kube_source *ks, int kind, const cJSON *obj)
{
    const char *ns = kube_obj_namespace(obj);
    const char *name = kube_obj_name(obj);

    if (name == NULL)
        return;
    switch (kind) {
    case KS_POLICIES:
        store_delete_policy(ks->store, name);
        break;
    case KS_RECS:
        if (ns != NULL)
            store_delete_recommendation(ks->store, ns, name);
        break;
    case KS_NAMESPACES:
        store_delete_namespace(ks->store, name);
        break;
    case KS_LIMITRANGES:
        if (ns != NULL)
            store_delete_limitrange(ks->store, ns, name);
        break;
    case KS_JOBS:
        if (ns != NULL && job_cronjob(obj) != NULL)
            store_put_job_owner(ks->store, ns, name, NULL);
        break;
    }
}

/* The informer fires no event for an empty list; mark synced on the first
 * event or when the informer says so (checked by kube_source_poll_synced). */
static void mark_if_synced(ks_slot *slot)
{
    if (slot->marked || slot->inf == NULL || !kube_informer_synced(slot->inf))
        return;
    slot->marked = true;
    if (ks_store_bits[slot->kind] != 0)
        store_mark_synced(slot->owner->store, ks_store_bits[slot->kind]);
    snug_log(LOG_INFO, "source", "cache synced", "resource", ks_resources[slot->kind].resource,
             NULL);
}

/* ---- what the informers keep ---------------------------------------------------- */

/* A Job: only what job_cronjob() reads. Jobs are many (every CronJob keeps
 * its last few) and whole ones carry a Pod template each. */
static void slim_job(cJSON *job)
{
    static const char *const top[] = {"metadata", NULL};
    static const char *const meta[] = {"name", "namespace", "resourceVersion", "ownerReferences",
                                       NULL};
    static const char *const ref[] = {"kind", "name", "controller", NULL};
    cJSON *md = kube_prune_member(job, "metadata");

    kube_prune_keep(job, top);
    kube_prune_keep(md, meta);
    kube_prune_keep_each(kube_prune_member(md, "ownerReferences"), ref);
    kube_prune_drop_empty(md, "ownerReferences");
}

/* A Namespace: its labels (policies select on them). */
static void slim_namespace(cJSON *ns)
{
    static const char *const top[] = {"metadata", NULL};
    static const char *const meta[] = {"name", "resourceVersion", "labels", NULL};

    kube_prune_keep(ns, top);
    kube_prune_keep(kube_prune_member(ns, "metadata"), meta);
}

/* The informers' transform: the handlers below read what is left; the
 * informer's own copy serves only relists and deletes, so nothing else is
 * worth its memory. */
static void slim(cJSON *obj, void *ud)
{
    const ks_slot *slot = ud;

    kube_prune_bulk(obj);
    if (slot->kind == KS_JOBS)
        slim_job(obj);
    else if (slot->kind == KS_NAMESPACES)
        slim_namespace(obj);
}

static void on_add(const cJSON *obj, void *ud)
{
    ks_slot *slot = ud;

    apply_upsert(slot->owner, slot->kind, obj);
}

static void on_update(const cJSON *old_obj, const cJSON *new_obj, void *ud)
{
    ks_slot *slot = ud;

    (void)old_obj;
    apply_upsert(slot->owner, slot->kind, new_obj);
}

static void on_delete(const cJSON *obj, void *ud)
{
    ks_slot *slot = ud;

    apply_delete(slot->owner, slot->kind, obj);
}

static snug_status start_one(kube_source *ks, const kube_client *proto, int kind, snug_err *err)
{
    ks_slot *slot = &ks->slots[kind];
    kube_informer_opts o;
    snug_status st;

    memset(&o, 0, sizeof(o));
    slot->owner = ks;
    slot->kind = kind;
    o.resource = ks_resources[kind];
    o.handlers.on_add = on_add;
    o.handlers.on_update = on_update;
    o.handlers.on_delete = on_delete;
    o.handlers.ud = slot;
    o.transform = slim;
    o.transform_ud = slot;
    st = kube_informer_new(proto, &o, &slot->inf, err);
    if (st == SNUG_OK)
        st = kube_informer_start(slot->inf, err);
    if (st != SNUG_OK)
        snug_err_prefix(err, "watching %s", ks_resources[kind].resource);
    return st;
}

snug_status kube_source_start(const kube_client *proto, store *s, const kube_source_opts *o,
                              kube_source **out, snug_err *err)
{
    kube_source *ks = calloc(1, sizeof(*ks));
    snug_status st = SNUG_OK;
    int k;

    if (ks == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    ks->store = s;
    for (k = 0; k < KS_COUNT && st == SNUG_OK; k++) {
        if (k == KS_JOBS && (o == NULL || !o->watch_jobs))
            continue;
        st = start_one(ks, proto, k, err);
    }
    if (st != SNUG_OK) {
        kube_source_stop(ks);
        return st;
    }
    *out = ks;
    return SNUG_OK;
}

void kube_source_poll(kube_source *ks)
{
    int k;

    for (k = 0; k < KS_COUNT; k++)
        mark_if_synced(&ks->slots[k]);
}

void kube_source_stop(kube_source *ks)
{
    int k;

    if (ks == NULL)
        return;
    for (k = 0; k < KS_COUNT; k++) {
        if (ks->slots[k].inf == NULL)
            continue;
        kube_informer_stop(ks->slots[k].inf);
        kube_informer_free(ks->slots[k].inf);
    }
    free(ks);
}

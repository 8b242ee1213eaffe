/* cache_slim.c -- what the operator's informer caches keep (see
 * cache_slim.h). */
#include "controller/cache_slim.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "kube/kube_prune.h"

#define SNUG_PREFIX "snug.dev/"
#define HASH_LABEL  "pod-template-hash"

#define SIZE_WALK_DEPTH 64 /* cache_slim_bytes: deeper members are not counted */

static void slim_owner_refs(cJSON *meta, const char *const *keep)
{
    kube_prune_keep_each(kube_prune_member(meta, "ownerReferences"), keep);
    kube_prune_drop_empty(meta, "ownerReferences");
}

/* ---- any object ------------------------------------------------------------------ */

void cache_slim_object(cJSON *obj, void *ud)
{
    (void)ud;
    kube_prune_bulk(obj);
}

/* ---- workloads ------------------------------------------------------------------- */

static const char *const owner_keys[] = {"kind", "name", "controller", NULL};

/* spec.containers[] to name and resources (resources to limits.memory
 * with memory_only). */
static void slim_containers(cJSON *spec, bool memory_only)
{
    static const char *const container[] = {"name", "resources", NULL};
    static const char *const limits[] = {"limits", NULL};
    static const char *const memory[] = {"memory", NULL};
    cJSON *c;

    kube_prune_keep_each(kube_prune_member(spec, "containers"), container);
    if (!memory_only)
        return;
    cJSON_ArrayForEach(c, kube_prune_member(spec, "containers"))
    {
        cJSON *res = kube_prune_member(c, "resources");

        kube_prune_keep(res, limits);
        kube_prune_keep(kube_prune_member(res, "limits"), memory);
        kube_prune_drop_empty(res, "limits");
        kube_prune_drop_empty(c, "resources");
    }
}

static void slim_template(cJSON *tmpl)
{
    static const char *const top[] = {"metadata", "spec", NULL};
    static const char *const meta[] = {"labels", "annotations", NULL};
    static const char *const spec[] = {"containers", NULL};
    cJSON *m = kube_prune_member(tmpl, "metadata");

    kube_prune_keep(tmpl, top);
    kube_prune_keep(m, meta);
    kube_prune_keep_prefixed(m, "annotations", SNUG_PREFIX);
    kube_prune_keep(kube_prune_member(tmpl, "spec"), spec);
    slim_containers(kube_prune_member(tmpl, "spec"), false);
}

void cache_slim_workload(cJSON *obj, void *ud)
{
    static const char *const top[] = {"apiVersion", "kind", "metadata", "spec", NULL};
    static const char *const meta[] = {
        "name",   "namespace",   "uid", "resourceVersion", "ownerReferences",
        "labels", "annotations", NULL};
    static const char *const spec[] = {"template", "jobTemplate", NULL};
    static const char *const job_template[] = {"spec", NULL};
    static const char *const job_spec[] = {"template", NULL};
    cJSON *m = kube_prune_member(obj, "metadata"), *s, *jt;

    (void)ud;
    if (!cJSON_IsObject(obj))
        return;
    kube_prune_keep(obj, top);
    kube_prune_keep(m, meta);
    kube_prune_keep_prefixed(m, "labels", SNUG_PREFIX);
    kube_prune_keep_prefixed(m, "annotations", SNUG_PREFIX);
    slim_owner_refs(m, owner_keys);
    s = kube_prune_member(obj, "spec");
    kube_prune_keep(s, spec);
    slim_template(kube_prune_member(s, "template"));
    jt = kube_prune_member(s, "jobTemplate");
    kube_prune_keep(jt, job_template);
    kube_prune_keep(kube_prune_member(jt, "spec"), job_spec);
    slim_template(kube_prune_member(kube_prune_member(jt, "spec"), "template"));
}

/* ---- Pods ------------------------------------------------------------------------ */

static bool has_controller(const cJSON *meta)
{
    const cJSON *r;

    cJSON_ArrayForEach(r, kube_prune_member(meta, "ownerReferences"))
    {
        if (cJSON_IsTrue(kube_prune_member(r, "controller")))
            return true;
    }
    return false;
}

static bool oom_killed(const cJSON *cs)
{
    const cJSON *reason = kube_prune_member(
        kube_prune_member(kube_prune_member(cs, "lastState"), "terminated"), "reason");

    return cJSON_IsString(reason) && strcmp(reason->valuestring, "OOMKilled") == 0;
}

/* status to the containers whose last state is OOMKilled (name, reason,
 * finishedAt); false (status dropped) when there is none. */
static bool slim_pod_status(cJSON *pod)
{
    static const char *const top[] = {"containerStatuses", NULL};
    static const char *const cstatus[] = {"name", "lastState", NULL};
    static const char *const last[] = {"terminated", NULL};
    static const char *const term[] = {"reason", "finishedAt", NULL};
    cJSON *status = kube_prune_member(pod, "status"), *list, *cs, *next;

    kube_prune_keep(status, top);
    list = kube_prune_member(status, "containerStatuses");
    if (list != NULL && !cJSON_IsArray(list)) {
        cJSON_DeleteItemFromObjectCaseSensitive(status, "containerStatuses");
        list = NULL;
    }
    for (cs = cJSON_IsArray(list) ? list->child : NULL; cs != NULL; cs = next) {
        next = cs->next;
        if (!oom_killed(cs)) {
            cJSON_Delete(cJSON_DetachItemViaPointer(list, cs));
            continue;
        }
        kube_prune_keep(cs, cstatus);
        kube_prune_keep(kube_prune_member(cs, "lastState"), last);
        kube_prune_keep(kube_prune_member(kube_prune_member(cs, "lastState"), "terminated"), term);
    }
    kube_prune_drop_empty(status, "containerStatuses");
    kube_prune_drop_empty(pod, "status");
    return kube_prune_member(pod, "status") != NULL;
}

void cache_slim_pod(cJSON *pod, void *ud)
{
    static const char *const top[] = {"metadata", "spec", "status", NULL};
    static const char *const meta[] = {"name",   "namespace", "resourceVersion", "ownerReferences",
                                       "labels", NULL};
    static const char *const bare_meta[] = {"name",   "generateName",    "namespace",
                                            "uid",    "resourceVersion", "ownerReferences",
                                            "labels", "annotations",     NULL};
    static const char *const hash[] = {HASH_LABEL, NULL};
    static const char *const spec[] = {"containers", NULL};
    cJSON *m = kube_prune_member(pod, "metadata");
    bool bare = !has_controller(m), oom;

    (void)ud;
    if (!cJSON_IsObject(pod))
        return;
    kube_prune_keep(pod, top);
    kube_prune_keep(m, bare ? bare_meta : meta);
    if (bare) {
        kube_prune_keep_prefixed(m, "annotations", SNUG_PREFIX);
    } else {
        kube_prune_keep(kube_prune_member(m, "labels"), hash);
        kube_prune_drop_empty(m, "labels");
    }
    slim_owner_refs(m, owner_keys);
    oom = slim_pod_status(pod);
    if (!bare && !oom) {
        cJSON_DeleteItemFromObjectCaseSensitive(pod, "spec");
        return;
    }
    kube_prune_keep(kube_prune_member(pod, "spec"), spec);
    slim_containers(kube_prune_member(pod, "spec"), !bare);
}

/* ---- Recommendations ------------------------------------------------------------- */

void cache_slim_recommendation(cJSON *obj, void *ud)
{
    static const char *const top[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
    static const char *const meta[] = {
        "name",   "namespace",       "uid", "resourceVersion", "generation",
        "labels", "ownerReferences", NULL};
    static const char *const refs[] = {"kind", "name", "uid", NULL};
    static const char *const spec[] = {"targetRef", NULL};
    static const char *const status[] = {"policy", "lastUpdated", "conditions", "containers", NULL};
    static const char *const cond[] = {"type", "status", "lastTransitionTime", NULL};
    cJSON *m = kube_prune_member(obj, "metadata"), *c;

    (void)ud;
    if (!cJSON_IsObject(obj))
        return;
    kube_prune_keep(obj, top);
    kube_prune_keep(m, meta);
    slim_owner_refs(m, refs);
    kube_prune_keep(kube_prune_member(obj, "spec"), spec);
    kube_prune_keep(kube_prune_member(obj, "status"), status);
    kube_prune_keep_each(kube_prune_member(kube_prune_member(obj, "status"), "conditions"), cond);
    cJSON_ArrayForEach(c, kube_prune_member(kube_prune_member(obj, "status"), "containers"))
    {
        cJSON_DeleteItemFromObjectCaseSensitive(c, "observed");
        cJSON_DeleteItemFromObjectCaseSensitive(c, "reason");
    }
}

/* ---- size -------------------------------------------------------------------------- */

static size_t node_bytes(const cJSON *n)
{
    size_t b = sizeof(cJSON);

    if (n->string != NULL && !(n->type & cJSON_StringIsConst))
        b += strlen(n->string) + 1;
    if (n->valuestring != NULL && !(n->type & cJSON_IsReference))
        b += strlen(n->valuestring) + 1;
    return b;
}

size_t cache_slim_bytes(const cJSON *obj)
{
    const cJSON *stack[SIZE_WALK_DEPTH], *n = obj;
    size_t depth = 0, total = 0;

    while (n != NULL) {
        total += node_bytes(n);
        if (n->child != NULL && depth < SIZE_WALK_DEPTH) {
            stack[depth++] = n;
            n = n->child;
            continue;
        }
        /* the next sibling, climbing while there is none; never the
         * root's own siblings */
        while (depth > 0 && n->next == NULL)
            n = stack[--depth];
        n = depth > 0 ? n->next : NULL;
    }
    return total;
}

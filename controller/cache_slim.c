/* cache_slim.c -- what the operator's informer caches keep (see
 * cache_slim.h). */
#include "controller/cache_slim.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define SNUG_PREFIX  "snug.dev/"
#define HASH_LABEL   "pod-template-hash"
#define LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"

#define SIZE_WALK_DEPTH 64 /* cache_slim_bytes: deeper members are not counted */

static cJSON *member(const cJSON *obj, const char *key)
{
    return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

static bool named(const cJSON *m, const char *const *keep)
{
    size_t i;

    for (i = 0; m->string != NULL && keep[i] != NULL; i++) {
        if (strcmp(m->string, keep[i]) == 0)
            return true;
    }
    return false;
}

/* Delete every member of obj not named in keep (NULL-terminated). */
static void keep_only(cJSON *obj, const char *const *keep)
{
    cJSON *m, *next;

    if (!cJSON_IsObject(obj))
        return;
    for (m = obj->child; m != NULL; m = next) {
        next = m->next;
        if (!named(m, keep))
            cJSON_Delete(cJSON_DetachItemViaPointer(obj, m));
    }
}

/* keep_only on each element of an array; elements that are not objects
 * are dropped. */
static void keep_in_each(cJSON *array, const char *const *keep)
{
    cJSON *item, *next;

    if (!cJSON_IsArray(array))
        return;
    for (item = array->child; item != NULL; item = next) {
        next = item->next;
        if (cJSON_IsObject(item))
            keep_only(item, keep);
        else
            cJSON_Delete(cJSON_DetachItemViaPointer(array, item));
    }
}

/* Keep the members of obj[key] whose names start with "snug.dev/"; drop
 * obj[key] when none is left. */
static void keep_snug_keys(cJSON *obj, const char *key)
{
    cJSON *map = member(obj, key), *m, *next;

    if (map == NULL)
        return;
    for (m = cJSON_IsObject(map) ? map->child : NULL; m != NULL; m = next) {
        next = m->next;
        if (m->string == NULL || strncmp(m->string, SNUG_PREFIX, strlen(SNUG_PREFIX)) != 0)
            cJSON_Delete(cJSON_DetachItemViaPointer(map, m));
    }
    if (!cJSON_IsObject(map) || map->child == NULL)
        cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
}

/* Drop obj[key] unless it is an object or array with something in it
 * (pruning may have left it empty; a wrong type is never read). */
static void drop_if_empty(cJSON *obj, const char *key)
{
    cJSON *m = member(obj, key);

    if (m != NULL && (!(cJSON_IsObject(m) || cJSON_IsArray(m)) || m->child == NULL))
        cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
}

static void slim_owner_refs(cJSON *meta, const char *const *keep)
{
    keep_in_each(member(meta, "ownerReferences"), keep);
    drop_if_empty(meta, "ownerReferences");
}

/* ---- any object ------------------------------------------------------------------ */

void cache_slim_object(cJSON *obj, void *ud)
{
    cJSON *meta = member(obj, "metadata");

    (void)ud;
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "managedFields");
    cJSON_DeleteItemFromObjectCaseSensitive(member(meta, "annotations"), LAST_APPLIED);
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

    keep_in_each(member(spec, "containers"), container);
    cJSON_ArrayForEach(c, member(spec, "containers"))
    {
        cJSON *res = member(c, "resources");

        if (!memory_only)
            continue;
        keep_only(res, limits);
        keep_only(member(res, "limits"), memory);
        drop_if_empty(res, "limits");
        drop_if_empty(c, "resources");
    }
}

static void slim_template(cJSON *tmpl)
{
    static const char *const top[] = {"metadata", "spec", NULL};
    static const char *const meta[] = {"labels", "annotations", NULL};
    static const char *const spec[] = {"containers", NULL};
    cJSON *m = member(tmpl, "metadata");

    keep_only(tmpl, top);
    keep_only(m, meta);
    keep_snug_keys(m, "annotations");
    keep_only(member(tmpl, "spec"), spec);
    slim_containers(member(tmpl, "spec"), false);
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
    cJSON *m = member(obj, "metadata"), *s, *jt;

    (void)ud;
    if (!cJSON_IsObject(obj))
        return;
    keep_only(obj, top);
    keep_only(m, meta);
    keep_snug_keys(m, "labels");
    keep_snug_keys(m, "annotations");
    slim_owner_refs(m, owner_keys);
    s = member(obj, "spec");
    keep_only(s, spec);
    slim_template(member(s, "template"));
    jt = member(s, "jobTemplate");
    keep_only(jt, job_template);
    keep_only(member(jt, "spec"), job_spec);
    slim_template(member(member(jt, "spec"), "template"));
}

/* ---- Pods ------------------------------------------------------------------------ */

static bool has_controller(const cJSON *meta)
{
    const cJSON *r;

    cJSON_ArrayForEach(r, member(meta, "ownerReferences"))
    {
        if (cJSON_IsTrue(member(r, "controller")))
            return true;
    }
    return false;
}

static bool oom_killed(const cJSON *cs)
{
    const cJSON *reason = member(member(member(cs, "lastState"), "terminated"), "reason");

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
    cJSON *status = member(pod, "status"), *list, *cs, *next;

    keep_only(status, top);
    list = member(status, "containerStatuses");
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
        keep_only(cs, cstatus);
        keep_only(member(cs, "lastState"), last);
        keep_only(member(member(cs, "lastState"), "terminated"), term);
    }
    drop_if_empty(status, "containerStatuses");
    drop_if_empty(pod, "status");
    return member(pod, "status") != NULL;
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
    cJSON *m = member(pod, "metadata");
    bool bare = !has_controller(m), oom;

    (void)ud;
    if (!cJSON_IsObject(pod))
        return;
    keep_only(pod, top);
    keep_only(m, bare ? bare_meta : meta);
    if (bare) {
        keep_snug_keys(m, "annotations");
    } else {
        keep_only(member(m, "labels"), hash);
        drop_if_empty(m, "labels");
    }
    slim_owner_refs(m, owner_keys);
    oom = slim_pod_status(pod);
    if (!bare && !oom) {
        cJSON_DeleteItemFromObjectCaseSensitive(pod, "spec");
        return;
    }
    keep_only(member(pod, "spec"), spec);
    slim_containers(member(pod, "spec"), !bare);
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
    cJSON *m = member(obj, "metadata"), *c;

    (void)ud;
    if (!cJSON_IsObject(obj))
        return;
    keep_only(obj, top);
    keep_only(m, meta);
    slim_owner_refs(m, refs);
    keep_only(member(obj, "spec"), spec);
    keep_only(member(obj, "status"), status);
    keep_in_each(member(member(obj, "status"), "conditions"), cond);
    cJSON_ArrayForEach(c, member(member(obj, "status"), "containers"))
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

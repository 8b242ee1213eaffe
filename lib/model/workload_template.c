/* workload_template.c -- find and replace the pod template of each workload
 * kind (see workload_template.h). */
#include "model/workload_template.h"

#include <stdio.h>
#include <string.h>

#define GROUP_CORE  0x1u
#define GROUP_APPS  0x2u /* apps and the old extensions group */
#define GROUP_BATCH 0x4u

typedef struct kind_entry {
    const char *kind;
    unsigned groups;
    const char *path[5]; /* segments to the template, NULL-terminated; none for Pod */
} kind_entry;

static const kind_entry kinds[] = {
    {"Pod", GROUP_CORE, {NULL}},
    {"Deployment", GROUP_APPS, {"spec", "template", NULL}},
    {"StatefulSet", GROUP_APPS, {"spec", "template", NULL}},
    {"DaemonSet", GROUP_APPS, {"spec", "template", NULL}},
    {"ReplicaSet", GROUP_APPS, {"spec", "template", NULL}},
    {"Job", GROUP_BATCH, {"spec", "template", NULL}},
    {"CronJob", GROUP_BATCH, {"spec", "jobTemplate", "spec", "template", NULL}},
    {"ReplicationController", GROUP_CORE, {"spec", "template", NULL}},
    {"PodTemplate", GROUP_CORE, {"template", NULL}},
};

static const char *string_field(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *workload_kind(const cJSON *obj)
{
    return string_field(obj, "kind");
}

const char *workload_name(const cJSON *obj)
{
    return string_field(
        cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, "metadata") : NULL, "name");
}

const char *workload_namespace(const cJSON *obj)
{
    return string_field(cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, "metadata")
                                            : NULL,
                        "namespace");
}

/* The group bit of obj's apiVersion: absent counts as any group, a value that
 * is not a string or not a known group as none. */
static unsigned api_groups(const cJSON *obj)
{
    const cJSON *av = cJSON_GetObjectItemCaseSensitive(obj, "apiVersion");
    const char *s, *slash;
    size_t glen;

    if (av == NULL)
        return GROUP_CORE | GROUP_APPS | GROUP_BATCH;
    if (!cJSON_IsString(av))
        return 0;
    s = av->valuestring;
    slash = strchr(s, '/');
    if (slash == NULL)
        return *s != '\0' ? GROUP_CORE : 0;
    glen = (size_t)(slash - s);
    if ((glen == 4 && strncmp(s, "apps", 4) == 0) ||
        (glen == 10 && strncmp(s, "extensions", 10) == 0))
        return GROUP_APPS;
    if (glen == 5 && strncmp(s, "batch", 5) == 0)
        return GROUP_BATCH;
    return 0;
}

static const kind_entry *find_kind(const cJSON *obj)
{
    const char *kind = workload_kind(obj);
    unsigned groups;
    size_t i;

    if (kind == NULL)
        return NULL;
    groups = api_groups(obj);
    for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
        if (strcmp(kinds[i].kind, kind) == 0 && (kinds[i].groups & groups) != 0)
            return &kinds[i];
    return NULL;
}

bool workload_is_list(const cJSON *obj)
{
    const char *kind = workload_kind(obj);
    const cJSON *items;

    if (kind == NULL || strcmp(kind, "List") != 0 || (api_groups(obj) & GROUP_CORE) == 0)
        return false;
    items = cJSON_GetObjectItemCaseSensitive(obj, "items");
    return items == NULL || cJSON_IsArray(items) || cJSON_IsNull(items);
}

snug_status workload_template_find(cJSON *obj, workload_template *out, snug_err *err)
{
    const kind_entry *k;
    cJSON *cur, *parent = NULL;
    size_t i, used = 0;

    memset(out, 0, sizeof(*out));
    if (!cJSON_IsObject(obj))
        return snug_err_set(err, SNUG_ERR_UNSUPPORTED, "not an object");
    k = find_kind(obj);
    if (k == NULL)
        return snug_err_set(err, SNUG_ERR_UNSUPPORTED, "no pod template in this kind");
    cur = obj;
    for (i = 0; k->path[i] != NULL; i++) {
        int n =
            snprintf(out->path + used, sizeof(out->path) - used, "%s%s", i ? "." : "", k->path[i]);

        if (n > 0)
            used += (size_t)n;
        parent = cur;
        cur = cJSON_GetObjectItemCaseSensitive(cur, k->path[i]);
        if (cur == NULL)
            return snug_err_set(err, SNUG_ERR_INVALID, "%s: missing", out->path);
        if (!cJSON_IsObject(cur))
            return snug_err_set(err, SNUG_ERR_INVALID, "%s: must be an object", out->path);
    }
    out->pod = cur;
    out->parent = k->path[0] == NULL ? NULL : parent;
    out->is_pod = k->path[0] == NULL;
    return SNUG_OK;
}

snug_status workload_template_replace(cJSON *container, cJSON *obj, const workload_template *t,
                                      cJSON *pod, snug_err *err)
{
    cJSON_bool ok;

    if (pod == NULL)
        return snug_err_set(err, SNUG_ERR_INTERNAL, "no replacement object");
    if (t->is_pod) {
        if (!cJSON_IsArray(container)) {
            cJSON_Delete(pod);
            return snug_err_set(err, SNUG_ERR_INTERNAL, "a Pod must be held by an array");
        }
        ok = cJSON_ReplaceItemViaPointer(container, obj, pod);
    } else {
        ok = cJSON_ReplaceItemInObjectCaseSensitive(t->parent, "template", pod);
    }
    if (!ok) {
        cJSON_Delete(pod);
        return snug_err_set(err, SNUG_ERR_NOMEM, "replacing the pod template");
    }
    return SNUG_OK;
}

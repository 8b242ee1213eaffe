/* kube_prune.c -- pruning objects to what a cache reads (see kube_prune.h). */
#include "kube/kube_prune.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"

cJSON *kube_prune_member(const cJSON *obj, const char *key)
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

void kube_prune_keep(cJSON *obj, const char *const *keep)
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

void kube_prune_keep_each(cJSON *array, const char *const *keep)
{
    cJSON *item, *next;

    if (!cJSON_IsArray(array))
        return;
    for (item = array->child; item != NULL; item = next) {
        next = item->next;
        if (cJSON_IsObject(item))
            kube_prune_keep(item, keep);
        else
            cJSON_Delete(cJSON_DetachItemViaPointer(array, item));
    }
}

void kube_prune_keep_prefixed(cJSON *obj, const char *key, const char *prefix)
{
    cJSON *map = kube_prune_member(obj, key), *m, *next;
    size_t plen = strlen(prefix);

    if (map == NULL)
        return;
    for (m = cJSON_IsObject(map) ? map->child : NULL; m != NULL; m = next) {
        next = m->next;
        if (m->string == NULL || strncmp(m->string, prefix, plen) != 0)
            cJSON_Delete(cJSON_DetachItemViaPointer(map, m));
    }
    if (!cJSON_IsObject(map) || map->child == NULL)
        cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
}

void kube_prune_drop_empty(cJSON *obj, const char *key)
{
    cJSON *m = kube_prune_member(obj, key);

    if (m != NULL && (!(cJSON_IsObject(m) || cJSON_IsArray(m)) || m->child == NULL))
        cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
}

void kube_prune_bulk(cJSON *obj)
{
    cJSON *meta = kube_prune_member(obj, "metadata");

    cJSON_DeleteItemFromObjectCaseSensitive(kube_prune_member(meta, "annotations"), LAST_APPLIED);
    cJSON_DeleteItemFromObjectCaseSensitive(meta, "managedFields");
}

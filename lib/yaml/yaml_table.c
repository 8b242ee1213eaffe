/* yaml_table.c -- the small string-keyed hash table the YAML parser uses for
 * duplicate-key detection and for its anchors (open addressing, FNV-1a,
 * grown at half full). See yamljson_internal.h.
 */
#include "yaml/yamljson_internal.h"

#include <stdlib.h>
#include <string.h>

static uint64_t yj_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

yj_ent *yj_table_find(const yj_table *t, const char *key)
{
    size_t i;

    if (t->cap == 0)
        return NULL;
    for (i = yj_hash(key) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
        if (t->slots[i].key == NULL)
            return NULL;
        if (strcmp(t->slots[i].key, key) == 0)
            return &t->slots[i];
    }
}

static snug_status yj_table_grow(yj_table *t)
{
    size_t ncap = t->cap ? t->cap * 2 : 8;
    yj_ent *ns;
    size_t i, j;

    if (ncap > SIZE_MAX / sizeof(*ns))
        return SNUG_ERR_NOMEM;
    ns = calloc(ncap, sizeof(*ns));
    if (ns == NULL)
        return SNUG_ERR_NOMEM;
    for (i = 0; i < t->cap; i++) {
        if (t->slots[i].key == NULL)
            continue;
        for (j = yj_hash(t->slots[i].key) & (ncap - 1); ns[j].key; j = (j + 1) & (ncap - 1))
            ;
        ns[j] = t->slots[i];
    }
    free(t->slots);
    t->slots = ns;
    t->cap = ncap;
    return SNUG_OK;
}

/* Insert `key` (copied) unless present; *ent is the entry either way. */
snug_status yj_table_put(yj_table *t, const char *key, yj_ent **ent)
{
    yj_ent *e = yj_table_find(t, key);
    size_t i;
    char *copy;

    if (e != NULL) {
        *ent = e;
        return SNUG_OK;
    }
    if ((t->n + 1) * 2 > t->cap && yj_table_grow(t) != SNUG_OK)
        return SNUG_ERR_NOMEM;
    copy = strdup(key);
    if (copy == NULL)
        return SNUG_ERR_NOMEM;
    for (i = yj_hash(key) & (t->cap - 1); t->slots[i].key; i = (i + 1) & (t->cap - 1))
        ;
    memset(&t->slots[i], 0, sizeof(t->slots[i]));
    t->slots[i].key = copy;
    t->n++;
    *ent = &t->slots[i];
    return SNUG_OK;
}

void yj_table_free(yj_table *t)
{
    size_t i;

    for (i = 0; i < t->cap; i++) {
        free(t->slots[i].key);
        cJSON_Delete(t->slots[i].node);
    }
    free(t->slots);
    t->slots = NULL;
    t->cap = 0;
    t->n = 0;
}

/* strmap.c -- string-keyed hash map with tombstone-free deletion
 * (backward-shift on delete keeps probe sequences intact). */
#include "base/strmap.h"

#include <stdlib.h>
#include <string.h>

#define STRMAP_MIN_CAP 16

typedef struct strmap_slot {
    char *key; /* NULL = empty */
    void *value;
    uint64_t hash;
} strmap_slot;

struct strmap {
    strmap_slot *slots;
    size_t cap; /* power of two */
    size_t count;
    strmap_free_fn free_value;
};

uint64_t strmap_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;

    while (*s) {
        h ^= (unsigned char)*s++;
        h *= 1099511628211ULL;
    }
    return h;
}

strmap *strmap_new(strmap_free_fn free_value)
{
    strmap *m = calloc(1, sizeof(*m));

    if (m == NULL)
        return NULL;
    m->slots = calloc(STRMAP_MIN_CAP, sizeof(*m->slots));
    if (m->slots == NULL) {
        free(m);
        return NULL;
    }
    m->cap = STRMAP_MIN_CAP;
    m->free_value = free_value;
    return m;
}

void strmap_free(strmap *m)
{
    size_t i;

    if (m == NULL)
        return;
    for (i = 0; i < m->cap; i++) {
        if (m->slots[i].key == NULL)
            continue;
        free(m->slots[i].key);
        if (m->free_value)
            m->free_value(m->slots[i].value);
    }
    free(m->slots);
    free(m);
}

/* Index of the slot holding key, or of the empty slot where it would go. */
static size_t strmap_find(const strmap *m, const char *key, uint64_t h)
{
    size_t mask = m->cap - 1;
    size_t i = (size_t)h & mask;

    while (m->slots[i].key != NULL) {
        if (m->slots[i].hash == h && strcmp(m->slots[i].key, key) == 0)
            return i;
        i = (i + 1) & mask;
    }
    return i;
}

static snug_status strmap_grow(strmap *m)
{
    size_t ncap = m->cap * 2;
    strmap_slot *old = m->slots;
    size_t ocap = m->cap;
    size_t i;

    m->slots = calloc(ncap, sizeof(*m->slots));
    if (m->slots == NULL) {
        m->slots = old;
        return SNUG_ERR_NOMEM;
    }
    m->cap = ncap;
    for (i = 0; i < ocap; i++) {
        if (old[i].key != NULL)
            m->slots[strmap_find(m, old[i].key, old[i].hash)] = old[i];
    }
    free(old);
    return SNUG_OK;
}

snug_status strmap_put(strmap *m, const char *key, void *value)
{
    uint64_t h = strmap_hash(key);
    size_t i;
    char *k;

    if ((m->count + 1) * 4 > m->cap * 3 && strmap_grow(m) != SNUG_OK)
        return SNUG_ERR_NOMEM;
    i = strmap_find(m, key, h);
    if (m->slots[i].key != NULL) {
        if (m->free_value && m->slots[i].value != value)
            m->free_value(m->slots[i].value);
        m->slots[i].value = value;
        return SNUG_OK;
    }
    k = strdup(key);
    if (k == NULL)
        return SNUG_ERR_NOMEM;
    m->slots[i].key = k;
    m->slots[i].value = value;
    m->slots[i].hash = h;
    m->count++;
    return SNUG_OK;
}

void *strmap_get(const strmap *m, const char *key)
{
    size_t i = strmap_find(m, key, strmap_hash(key));

    return m->slots[i].key ? m->slots[i].value : NULL;
}

/* Empty slot i and shift later entries of the same cluster back. */
static void strmap_remove_at(strmap *m, size_t i)
{
    size_t mask = m->cap - 1;
    size_t j = i;

    free(m->slots[i].key);
    m->slots[i].key = NULL;
    m->count--;
    for (;;) {
        size_t home;

        j = (j + 1) & mask;
        if (m->slots[j].key == NULL)
            return;
        home = (size_t)m->slots[j].hash & mask;
        /* Move j back to i when i lies cyclically in [home, j). */
        if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
            m->slots[i] = m->slots[j];
            m->slots[j].key = NULL;
            i = j;
        }
    }
}

void *strmap_take(strmap *m, const char *key)
{
    size_t i = strmap_find(m, key, strmap_hash(key));
    void *v;

    if (m->slots[i].key == NULL)
        return NULL;
    v = m->slots[i].value;
    strmap_remove_at(m, i);
    return v;
}

snug_status strmap_delete(strmap *m, const char *key)
{
    size_t i = strmap_find(m, key, strmap_hash(key));
    void *v;

    if (m->slots[i].key == NULL)
        return SNUG_ERR_NOT_FOUND;
    v = m->slots[i].value;
    strmap_remove_at(m, i);
    if (m->free_value)
        m->free_value(v);
    return SNUG_OK;
}

size_t strmap_count(const strmap *m)
{
    return m->count;
}

int strmap_next(const strmap *m, size_t *pos, const char **key, void **value)
{
    while (*pos < m->cap) {
        size_t i = (*pos)++;

        if (m->slots[i].key != NULL) {
            *key = m->slots[i].key;
            *value = m->slots[i].value;
            return 1;
        }
    }
    return 0;
}

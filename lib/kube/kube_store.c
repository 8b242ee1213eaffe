/* kube_store.c -- keyed, rwlocked object cache with change handlers. */
#include "kube/kube_store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube_api.h"
#include "base/log.h"
#include "base/strmap.h"

#define KUBE_KEY_MAX 1024

typedef struct store_entry {
    cJSON *obj;
    unsigned gen; /* the replace() generation that last saw it */
} store_entry;

struct kube_store {
    pthread_rwlock_t lock;
    strmap *map; /* key -> store_entry */
    kube_store_handlers h;
    unsigned gen;
};

static void entry_free(void *v)
{
    store_entry *e = v;

    if (e != NULL)
        cJSON_Delete(e->obj);
    free(e);
}

snug_status kube_store_new(const kube_store_handlers *h, kube_store **out, snug_err *err)
{
    kube_store *s = calloc(1, sizeof(*s));

    *out = NULL;
    if (s == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    s->map = strmap_new(entry_free);
    if (s->map == NULL || pthread_rwlock_init(&s->lock, NULL) != 0) {
        strmap_free(s->map);
        free(s);
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    }
    if (h != NULL)
        s->h = *h;
    *out = s;
    return SNUG_OK;
}

void kube_store_free(kube_store *s)
{
    if (s == NULL)
        return;
    strmap_free(s->map);
    pthread_rwlock_destroy(&s->lock);
    free(s);
}

static snug_status key_of(const char *ns, const char *name, dynbuf *out)
{
    if (ns != NULL && ns[0] != '\0')
        return dynbuf_printf(out, "%s/%s", ns, name);
    return dynbuf_addstr(out, name);
}

snug_status kube_store_key(const cJSON *obj, dynbuf *out, snug_err *err)
{
    const char *name = kube_obj_name(obj);
    snug_status st;

    if (name == NULL || name[0] == '\0')
        return snug_err_set(err, SNUG_ERR_INVALID, "object key: metadata.name: missing");
    st = key_of(kube_obj_namespace(obj), name, out);
    if (st != SNUG_OK)
        return snug_err_set(err, st, "object key of %.200s: %s", name, snug_status_str(st));
    return SNUG_OK;
}

static int same_version(const cJSON *a, const cJSON *b)
{
    const char *ra = kube_obj_resource_version(a);
    const char *rb = kube_obj_resource_version(b);

    return ra != NULL && rb != NULL && strcmp(ra, rb) == 0;
}

/* Store obj under key (taking it) with generation gen, firing handlers.
 * With skip_same, an unchanged resourceVersion keeps the old copy silently. */
static snug_status store_put(kube_store *s, const char *key, cJSON *obj, unsigned gen,
                             int skip_same, snug_err *err)
{
    store_entry *e;
    cJSON *old = NULL;
    int fire_update = 0;

    pthread_rwlock_wrlock(&s->lock);
    e = strmap_get(s->map, key);
    if (e != NULL) {
        e->gen = gen;
        if (skip_same && same_version(e->obj, obj)) {
            pthread_rwlock_unlock(&s->lock);
            cJSON_Delete(obj);
            return SNUG_OK;
        }
        old = e->obj;
        e->obj = obj;
        fire_update = 1;
    } else {
        e = calloc(1, sizeof(*e));
        if (e == NULL || strmap_put(s->map, key, e) != SNUG_OK) {
            pthread_rwlock_unlock(&s->lock);
            free(e);
            cJSON_Delete(obj);
            return snug_err_set(err, SNUG_ERR_NOMEM, "store %.200s: out of memory", key);
        }
        e->obj = obj;
        e->gen = gen;
    }
    pthread_rwlock_unlock(&s->lock);
    /* Only this (the writing) thread frees stored objects, so obj stays
     * valid while the handlers run without the lock. */
    if (fire_update && s->h.on_update != NULL)
        s->h.on_update(old, obj, s->h.ud);
    else if (!fire_update && s->h.on_add != NULL)
        s->h.on_add(obj, s->h.ud);
    cJSON_Delete(old);
    return SNUG_OK;
}

snug_status kube_store_upsert(kube_store *s, cJSON *obj, snug_err *err)
{
    dynbuf key;
    snug_status st;

    dynbuf_init(&key, KUBE_KEY_MAX);
    st = kube_store_key(obj, &key, err);
    if (st == SNUG_OK)
        st = store_put(s, dynbuf_str(&key), obj, s->gen, 0, err);
    else
        cJSON_Delete(obj);
    dynbuf_free(&key);
    return st;
}

/* Take the entry for key out of the map; fire delete with `last` (or the
 * stored object when last is NULL). */
static void store_drop(kube_store *s, const char *key, const cJSON *last)
{
    store_entry *e;

    pthread_rwlock_wrlock(&s->lock);
    e = strmap_take(s->map, key);
    pthread_rwlock_unlock(&s->lock);
    if (e == NULL)
        return;
    if (s->h.on_delete != NULL)
        s->h.on_delete(last != NULL ? last : e->obj, s->h.ud);
    entry_free(e);
}

snug_status kube_store_remove(kube_store *s, cJSON *obj, snug_err *err)
{
    dynbuf key;
    snug_status st;

    dynbuf_init(&key, KUBE_KEY_MAX);
    st = kube_store_key(obj, &key, err);
    if (st == SNUG_OK)
        store_drop(s, dynbuf_str(&key), obj);
    cJSON_Delete(obj);
    dynbuf_free(&key);
    return st;
}

/* Keys of entries whose generation is not `gen`, as a malloc'd array of
 * malloc'd strings (*n of them). */
static snug_status stale_keys(kube_store *s, unsigned gen, char ***out, size_t *n)
{
    size_t pos = 0;
    size_t cap;
    size_t count = 0;
    const char *key;
    void *v;
    char **keys;
    snug_status st = SNUG_OK;

    pthread_rwlock_rdlock(&s->lock);
    cap = strmap_count(s->map) + 1;
    keys = calloc(cap, sizeof(*keys));
    while (keys != NULL && strmap_next(s->map, &pos, &key, &v)) {
        if (((store_entry *)v)->gen == gen)
            continue;
        keys[count] = strdup(key);
        if (keys[count] == NULL) {
            st = SNUG_ERR_NOMEM;
            break;
        }
        count++;
    }
    pthread_rwlock_unlock(&s->lock);
    if (keys == NULL)
        st = SNUG_ERR_NOMEM;
    *out = keys;
    *n = count;
    return st;
}

static void free_keys(char **keys, size_t n)
{
    size_t i;

    for (i = 0; keys != NULL && i < n; i++)
        free(keys[i]);
    free(keys);
}

snug_status kube_store_replace(kube_store *s, cJSON *items, snug_err *err)
{
    char **keys = NULL;
    size_t n = 0;
    size_t i;
    dynbuf key;
    snug_status st = SNUG_OK;

    s->gen++;
    dynbuf_init(&key, KUBE_KEY_MAX);
    while (st == SNUG_OK && items != NULL && items->child != NULL) {
        cJSON *obj = cJSON_DetachItemViaPointer(items, items->child);
        snug_err kerr;

        dynbuf_reset(&key);
        if (kube_store_key(obj, &key, &kerr) != SNUG_OK) {
            snug_log(LOG_WARN, "kube", "skipping a listed object without a name", NULL);
            cJSON_Delete(obj);
            continue;
        }
        st = store_put(s, dynbuf_str(&key), obj, s->gen, 1, err);
    }
    dynbuf_free(&key);
    if (st != SNUG_OK)
        return st; /* keep what is stored: better stale than falsely deleted */
    st = stale_keys(s, s->gen, &keys, &n);
    for (i = 0; i < n; i++)
        store_drop(s, keys[i], NULL);
    free_keys(keys, n);
    if (st != SNUG_OK)
        return snug_err_set(err, st, "store: sweeping deleted objects: %s", snug_status_str(st));
    return SNUG_OK;
}

cJSON *kube_store_get(kube_store *s, const char *ns, const char *name)
{
    dynbuf key;
    store_entry *e;
    cJSON *copy = NULL;

    if (name == NULL)
        return NULL;
    dynbuf_init(&key, KUBE_KEY_MAX);
    if (key_of(ns, name, &key) == SNUG_OK) {
        pthread_rwlock_rdlock(&s->lock);
        e = strmap_get(s->map, dynbuf_str(&key));
        if (e != NULL)
            copy = cJSON_Duplicate(e->obj, 1);
        pthread_rwlock_unlock(&s->lock);
    }
    dynbuf_free(&key);
    return copy;
}

static int list_visit(const cJSON *obj, void *ud)
{
    cJSON *arr = ud;
    cJSON *copy = cJSON_Duplicate(obj, 1);

    if (copy == NULL || !cJSON_AddItemToArray(arr, copy)) {
        cJSON_Delete(copy);
        return -1;
    }
    return 0;
}

/* Like foreach, but returns fn's last non-zero result. */
static int store_visit(kube_store *s, kube_store_visit_fn fn, void *ud)
{
    size_t pos = 0;
    const char *key;
    void *v;
    int rc = 0;

    pthread_rwlock_rdlock(&s->lock);
    while (rc == 0 && strmap_next(s->map, &pos, &key, &v))
        rc = fn(((store_entry *)v)->obj, ud);
    pthread_rwlock_unlock(&s->lock);
    return rc;
}

cJSON *kube_store_list(kube_store *s)
{
    cJSON *arr = cJSON_CreateArray();

    if (arr == NULL)
        return NULL;
    if (store_visit(s, list_visit, arr) != 0) {
        cJSON_Delete(arr);
        return NULL;
    }
    return arr;
}

void kube_store_foreach(kube_store *s, kube_store_visit_fn fn, void *ud)
{
    store_visit(s, fn, ud);
}

size_t kube_store_size(kube_store *s)
{
    size_t n;

    pthread_rwlock_rdlock(&s->lock);
    n = strmap_count(s->map);
    pthread_rwlock_unlock(&s->lock);
    return n;
}

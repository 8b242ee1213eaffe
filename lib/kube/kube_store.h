/* kube_store.h -- the informer's in-memory cache of Kubernetes objects.
 *
 * Objects are keyed "<namespace>/<name>" ("<name>" when cluster-scoped) in a
 * hash map. One thread (the informer's) writes: upsert, remove, replace
 * (the result of a full list). Any thread reads: get/list hand out deep
 * copies (cJSON_Duplicate) the caller owns; foreach visits the stored
 * objects in place under the read lock. The lock is a pthread rwlock.
 *
 * Writes fire the add/update/delete handlers on the writing thread, AFTER
 * the write lock is released (so a handler may read the store). The objects
 * handed to handlers are valid only during the call and must not be
 * modified; handlers must not write to the store.
 *
 * replace() is what a relist does: objects in the new list that were absent
 * fire add, those whose metadata.resourceVersion changed fire update (an
 * unchanged resourceVersion fires nothing), and objects no longer listed are
 * removed and fire delete -- deletions missed while the watch was down are
 * not lost.
 */
#ifndef SNUG_KUBE_STORE_H
#define SNUG_KUBE_STORE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/dynbuf.h"
#include "base/status.h"

typedef struct kube_store_handlers {
    void (*on_add)(const cJSON *obj, void *ud);
    void (*on_update)(const cJSON *old_obj, const cJSON *new_obj, void *ud);
    void (*on_delete)(const cJSON *obj, void *ud);
    void *ud;
} kube_store_handlers;

typedef struct kube_store kube_store;

/* A new empty store; `h` (may be NULL: no handlers) is copied. */
snug_status kube_store_new(const kube_store_handlers *h, kube_store **out, snug_err *err);

/* Free the store and every object in it (fires nothing). NULL is ignored. */
void kube_store_free(kube_store *s);

/* Append the key of `obj` ("ns/name" or "name"). SNUG_ERR_INVALID when the
 * object has no metadata.name. */
snug_status kube_store_key(const cJSON *obj, dynbuf *out, snug_err *err);

/* Insert or replace `obj`; the store takes it (also on failure, when it is
 * freed). Fires add, or update when the key existed. */
snug_status kube_store_upsert(kube_store *s, cJSON *obj, snug_err *err);

/* Remove the object with the key of `obj` (its last state, as a DELETED
 * watch event carries). The store takes `obj`. Fires delete with `obj` when
 * the key existed; an unknown key is not an error. */
snug_status kube_store_remove(kube_store *s, cJSON *obj, snug_err *err);

/* Make the store hold exactly the items of the array `items` (a full list);
 * the items are moved out of the array (it is left empty). Fires add/update/
 * delete as described above. Items without a name are skipped with a
 * warning. */
snug_status kube_store_replace(kube_store *s, cJSON *items, snug_err *err);

/* A copy of one object (ns NULL or "" for cluster-scoped), or NULL when
 * absent (or out of memory). */
cJSON *kube_store_get(kube_store *s, const char *ns, const char *name);

/* A new array with copies of every object (unordered); NULL on NOMEM. */
cJSON *kube_store_list(kube_store *s);

/* Call fn on every object under the read lock until it returns non-zero.
 * fn must not call other kube_store functions of the same store. */
typedef int (*kube_store_visit_fn)(const cJSON *obj, void *ud);
void kube_store_foreach(kube_store *s, kube_store_visit_fn fn, void *ud);

size_t kube_store_size(kube_store *s);

#endif

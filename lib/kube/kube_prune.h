/* kube_prune.h -- pruning a Kubernetes object in place to the fields a
 * cache reads (the building blocks of informer transforms,
 * kube_informer_opts.transform).
 *
 * Every function deletes members of `obj` and never allocates, so none can
 * fail. A member of an unexpected type is dropped like any other (a cache
 * never reads what it does not expect); NULL and values that are not
 * objects (or arrays, where one is wanted) are left alone.
 */
#ifndef SNUG_KUBE_PRUNE_H
#define SNUG_KUBE_PRUNE_H

#include <cjson/cJSON.h>

/* obj[key] when obj is an object, else NULL (a shortcut for the callers'
 * paths through objects that may not be objects). */
cJSON *kube_prune_member(const cJSON *obj, const char *key);

/* Delete every member of the object `obj` not named in `keep` (a
 * NULL-terminated list). */
void kube_prune_keep(cJSON *obj, const char *const *keep);

/* kube_prune_keep() on each element of the array `array`; elements that are
 * not objects are deleted. */
void kube_prune_keep_each(cJSON *array, const char *const *keep);

/* Keep only the members of the object obj[key] whose names start with
 * `prefix` (labels or annotations of one domain, "snug.dev/"); delete
 * obj[key] when none is left or it is not an object. */
void kube_prune_keep_prefixed(cJSON *obj, const char *key, const char *prefix);

/* Delete obj[key] unless it is an object or an array with something in it
 * (what pruning left empty, or a wrong type). */
void kube_prune_drop_empty(cJSON *obj, const char *key);

/* What no cache reads and what makes objects big: metadata.managedFields
 * and kubectl's last-applied copy of the object
 * (kubectl.kubernetes.io/last-applied-configuration). */
void kube_prune_bulk(cJSON *obj);

#endif

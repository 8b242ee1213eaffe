/* kube_informer.h -- list+watch one resource into a kube_store, on its own
 * thread.
 *
 * The informer lists the resource (paginated), replaces its store with the
 * result, marks itself synced, then watches from the list's resourceVersion
 * with bookmarks, applying every event to the store. It keeps the last
 * resourceVersion seen (objects and bookmarks) and:
 *  - when the server ends a watch (timeoutSeconds, randomized in
 *    [watch_timeout_s, 2*watch_timeout_s) so informers do not reconnect in
 *    lockstep) it watches again from there;
 *  - when the connection breaks or the API server is away, it waits with
 *    exponential backoff and jitter (backoff_min_ms .. backoff_max_ms) and
 *    resumes the watch from the same resourceVersion;
 *  - on SNUG_ERR_GONE (HTTP 410 or a 410 ERROR event: the version was
 *    compacted) it lists again from scratch; objects that disappeared
 *    meanwhile are removed and fire on_delete.
 *
 * Handlers (kube_store_handlers) run on the informer's thread; they must not
 * block for long. Other threads read through kube_informer_get/list (deep
 * copies they own) or kube_informer_foreach (in place, under the store's
 * read lock).
 *
 * kube_informer_stop() sets a stop flag that the HTTP client checks from its
 * progress callback, so even a watch blocked on an idle stream ends within
 * about a second; then the thread is joined.
 */
#ifndef SNUG_KUBE_INFORMER_H
#define SNUG_KUBE_INFORMER_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "kube/kube_client.h"
#include "kube/kube_objects.h"
#include "kube/kube_store.h"
#include "base/status.h"

typedef struct kube_informer kube_informer;

typedef struct kube_informer_opts {
    kube_resource resource;     /* strings copied */
    const char *ns;             /* NULL: all namespaces / cluster-scoped */
    const char *label_selector; /* NULL: everything */
    const char *field_selector; /* NULL: everything */
    long page_size;             /* list page size; 0: 500 */
    long watch_timeout_s;       /* 0: 300 */
    long backoff_min_ms;        /* 0: 200 */
    long backoff_max_ms;        /* 0: 30000 */
    kube_store_handlers handlers;
    /* Called on every object before the store keeps it (list items and
     * watch events alike; may be NULL): prune it in place to the fields the
     * caller reads, so the cache does not grow with the size of specs. */
    void (*transform)(cJSON *obj, void *ud);
    void *transform_ud;
} kube_informer_opts;

typedef struct kube_informer_stats {
    unsigned long lists;   /* full lists completed (1 + relists) */
    unsigned long watches; /* watch requests made */
    unsigned long events;  /* watch events applied (bookmarks included) */
    unsigned long gone;    /* 410s that forced a relist */
    unsigned long errors;  /* failed lists/watches (each followed by a backoff) */
} kube_informer_stats;

/* Make an informer; it gets its own client cloned from `proto` (so `proto`
 * stays the caller's). Nothing runs until kube_informer_start(). */
snug_status kube_informer_new(const kube_client *proto, const kube_informer_opts *opts,
                              kube_informer **out, snug_err *err);

/* Start the thread. SNUG_ERR_INVALID if already started. */
snug_status kube_informer_start(kube_informer *inf, snug_err *err);

/* Stop the thread and wait for it (within about a second). The store keeps
 * its contents. Safe to call when not running. */
void kube_informer_stop(kube_informer *inf);

/* Ask the informer to stop without waiting (its thread ends within about a
 * second); kube_informer_stop() or _free() then joins it. Stopping many
 * informers: request all, then stop each, so they end together. */
void kube_informer_request_stop(kube_informer *inf);

/* Stop if running, then free everything. NULL is ignored. */
void kube_informer_free(kube_informer *inf);

/* 1 once the first full list has been stored. */
int kube_informer_synced(kube_informer *inf);

/* Wait until synced or `timeout_ms` passed; returns kube_informer_synced(). */
int kube_informer_wait_synced(kube_informer *inf, long timeout_ms);

/* Store access (see kube_store.h): copies owned by the caller. */
cJSON *kube_informer_get(kube_informer *inf, const char *ns, const char *name);
cJSON *kube_informer_list(kube_informer *inf);
void kube_informer_foreach(kube_informer *inf, kube_store_visit_fn fn, void *ud);
size_t kube_informer_size(kube_informer *inf);

/* The last resourceVersion seen, as a new string (NULL before the first list
 * or on NOMEM). */
char *kube_informer_resource_version(kube_informer *inf);

void kube_informer_get_stats(kube_informer *inf, kube_informer_stats *out);

#endif

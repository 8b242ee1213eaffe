/* kube_objects.h -- the object calls of the Kubernetes client: GET, paginated
 * LIST, server-side apply (objects and subresources such as status), JSON /
 * merge / strategic patches, create, update (PUT with optimistic
 * concurrency) and delete. All go through kube_request() (kube_client.h), so
 * errors, retries, rate limiting and abort work as described there; objects
 * returned through `cJSON **out` are the caller's, and `out` may be NULL.
 */
#ifndef SNUG_KUBE_OBJECTS_H
#define SNUG_KUBE_OBJECTS_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "kube/kube_api.h"
#include "kube/kube_client.h"
#include "base/status.h"

/* GET one object. */
snug_status kube_get(kube_client *c, const kube_resource *r, const char *ns, const char *name,
                     cJSON **out, snug_err *err);

typedef struct kube_list_opts {
    const char *label_selector;   /* NULL: everything */
    const char *field_selector;   /* NULL: everything */
    long limit;                   /* page size; 0: 500; < 0: no paging */
    const char *resource_version; /* NULL: most recent */
} kube_list_opts;

/* One page of a list. `continue_token` is NULL for the first page, else the
 * previous page's metadata.continue. A 410 (the continue token expired) is
 * SNUG_ERR_GONE: start again without a token. */
snug_status kube_list_page(kube_client *c, const kube_resource *r, const char *ns,
                           const kube_list_opts *o, const char *continue_token, cJSON **page,
                           snug_err *err);

/* The whole list, following `continue` tokens: *out is the first page's List
 * object with every page's items appended to its `items` (metadata.continue
 * removed; metadata.resourceVersion is the snapshot all pages came from).
 * `pages` (may be NULL) receives how many pages were fetched. SNUG_ERR_GONE
 * when a continue token expired mid-way: the caller relists from scratch. */
snug_status kube_list(kube_client *c, const kube_resource *r, const char *ns,
                      const kube_list_opts *o, cJSON **out, size_t *pages, snug_err *err);

typedef struct kube_write_opts {
    const char *field_manager; /* required by kube_apply; optional otherwise */
    int force;                 /* kube_apply: take over conflicting fields */
    const char *subresource;   /* NULL, or "status", "scale"... */
    int dry_run;               /* dryRun=All: validate, persist nothing */
} kube_write_opts;

/* Server-side apply of `obj` (PATCH application/apply-patch+yaml with a JSON
 * body, fieldManager, force=true when asked). `ns`/`name` default to the
 * object's metadata when NULL. */
snug_status kube_apply(kube_client *c, const kube_resource *r, const char *ns, const char *name,
                       const cJSON *obj, const kube_write_opts *o, cJSON **out, snug_err *err);

typedef enum kube_patch_type {
    KUBE_PATCH_JSON,     /* application/json-patch+json (RFC 6902 array) */
    KUBE_PATCH_MERGE,    /* application/merge-patch+json (RFC 7386) */
    KUBE_PATCH_STRATEGIC /* application/strategic-merge-patch+json (built-ins) */
} kube_patch_type;

/* PATCH an object with a ready-made patch document (`patch`, JSON text). */
snug_status kube_patch(kube_client *c, const kube_resource *r, const char *ns, const char *name,
                       kube_patch_type type, const char *patch, const kube_write_opts *o,
                       cJSON **out, snug_err *err);

/* POST a new object into the collection (`ns` NULL: the object's). */
snug_status kube_create(kube_client *c, const kube_resource *r, const char *ns, const cJSON *obj,
                        const kube_write_opts *o, cJSON **out, snug_err *err);

/* PUT (replace) an object. With metadata.resourceVersion set, a concurrent
 * change makes it fail with SNUG_ERR_CONFLICT. */
snug_status kube_update(kube_client *c, const kube_resource *r, const char *ns, const char *name,
                        const cJSON *obj, const kube_write_opts *o, cJSON **out, snug_err *err);

/* DELETE an object (background propagation). SNUG_ERR_NOT_FOUND when it
 * does not exist. */
snug_status kube_delete(kube_client *c, const kube_resource *r, const char *ns, const char *name,
                        snug_err *err);

#endif

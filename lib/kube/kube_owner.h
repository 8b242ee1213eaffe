/* kube_owner.h -- ownerReferences, so that objects a component makes at run
 * time go away with the object that owns them.
 *
 * Kubernetes' garbage collector (kube-controller-manager) deletes an object
 * once every owner named in its metadata.ownerReferences is gone (looked up
 * by uid). snug uses that to leave nothing behind when its Helm release is
 * uninstalled: the webhook's CA Secret names the MutatingWebhookConfiguration,
 * the controller's Lease and checkpoint ConfigMaps name its Deployment.
 *
 * Rules the API server and the collector apply, and that the helpers here
 * follow: an owner is named by apiVersion, kind, name and uid; a namespaced
 * owner must be in the dependent's own namespace (a reference to a
 * namespaced owner from another namespace makes the collector treat the
 * owner as absent and delete the dependent), a cluster-scoped owner may own
 * objects of any namespace. blockOwnerDeletion and controller are not set
 * (blockOwnerDeletion would need the update right on the owner's
 * finalizers).
 *
 * The JSON helpers are pure and unit-tested; kube_owner_lookup() and
 * kube_owner_adopt() do I/O through kube_objects.h.
 */
#ifndef SNUG_KUBE_OWNER_H
#define SNUG_KUBE_OWNER_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "base/status.h"
#include "kube/kube_api.h"
#include "kube/kube_client.h"

typedef struct kube_owner {
    char *api_version; /* "apps/v1", "admissionregistration.k8s.io/v1" */
    char *kind;        /* "Deployment" */
    char *name;
    char *uid;
    char *ns; /* NULL: cluster-scoped */
} kube_owner;

/* Fill `out` (the caller kube_owner_clear()s it) from an object as the API
 * server returns it: name, uid and namespace from its metadata; apiVersion
 * from `r` (group/version, or version for the core group), kind as given.
 * SNUG_ERR_INVALID when the object has no metadata.name or metadata.uid,
 * SNUG_ERR_NOMEM. On failure `out` is left empty. */
snug_status kube_owner_from_object(const cJSON *obj, const kube_resource *r, const char *kind,
                                   kube_owner *out, snug_err *err);

/* A deep copy of `from` into `to` (the caller kube_owner_clear()s it).
 * SNUG_ERR_NOMEM, `to` left empty. */
snug_status kube_owner_copy(const kube_owner *from, kube_owner *to, snug_err *err);

/* Free the strings of `o` and zero it. NULL is ignored. */
void kube_owner_clear(kube_owner *o);

/* Whether `o` may own an object of namespace `dep_ns` (NULL: a
 * cluster-scoped dependent): a cluster-scoped owner owns anything, a
 * namespaced one only objects of its own namespace. */
bool kube_owner_fits(const kube_owner *o, const char *dep_ns);

/* kube_owner_fits() as a status: SNUG_OK, or SNUG_ERR_INVALID with "KIND
 * NS/NAME cannot own an object of namespace DEP_NS" in err. */
snug_status kube_owner_check_fits(const kube_owner *o, const char *dep_ns, snug_err *err);

/* Whether obj's metadata.ownerReferences names `o` (same uid). */
bool kube_owner_is_on(const cJSON *obj, const kube_owner *o);

/* Name `o` among obj's metadata.ownerReferences (metadata and the array are
 * created when missing). An entry for the same apiVersion group, kind and
 * name with another uid (an owner deleted and made again) is replaced;
 * references to other owners stay. *changed (may be NULL) says whether obj
 * changed. SNUG_ERR_INVALID when metadata or ownerReferences has the wrong
 * type, SNUG_ERR_NOMEM; obj is unchanged on failure. */
snug_status kube_owner_set_on(cJSON *obj, const kube_owner *o, bool *changed, snug_err *err);

/* GET the object `name` of resource `r` (namespace `ns`, NULL for a
 * cluster-scoped one) and fill `out` from it as kube_owner_from_object()
 * does. Errors are kube_get()'s (SNUG_ERR_NOT_FOUND, SNUG_ERR_UNAUTHORIZED...),
 * prefixed with the kind and name. */
snug_status kube_owner_lookup(kube_client *c, const kube_resource *r, const char *kind,
                              const char *ns, const char *name, kube_owner *out, snug_err *err);

/* Make sure the existing object `name` of resource `r` in `ns` names `o`
 * among its owners: GET it and, when the reference is missing, PUT it back
 * with the reference added (field manager `field_manager`, may be NULL),
 * again from a fresh GET on a conflict (up to 5 times). *out (may be NULL)
 * receives the object as stored (the caller frees it). SNUG_ERR_NOT_FOUND
 * when there is no such object; SNUG_ERR_INVALID when `o` may not own it
 * (kube_owner_fits); else kube_get()/kube_update()'s errors. */
snug_status kube_owner_adopt(kube_client *c, const kube_resource *r, const char *ns,
                             const char *name, const kube_owner *o, const char *field_manager,
                             cJSON **out, snug_err *err);

#endif

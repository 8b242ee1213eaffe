/* workloads_kube.h -- the workloads of a cluster, from the API server.
 *
 * Lists Namespaces (for their labels) and the workload kinds: Deployments,
 * StatefulSets, DaemonSets, CronJobs, Jobs not owned by a CronJob, and bare
 * Pods (no controller owner). Each becomes a workload in the set with the
 * containers of its Pod template (current requests and limits), the
 * snug.dev/runtime annotation's Go marker, the opt-out (snug.dev/mode: off
 * as a label or an annotation, on the workload or its template), and the
 * SizingPolicy the webhook would pick for its Pod template (highest
 * priority match; `pols` owns it). Workloads no policy covers, or whose
 * policy's mode is Off, stay in the set with w->pol NULL so their Pods are
 * recognised and skipped.
 */
#ifndef SNUG_CTL_WORKLOADS_KUBE_H
#define SNUG_CTL_WORKLOADS_KUBE_H

#include <stddef.h>

#include "base/status.h"
#include "controller/workloads.h"
#include "kube/kube_client.h"
#include "model/policy.h"

typedef struct wl_kube_opts {
    const char *const *namespaces; /* NULL or n_namespaces == 0: all */
    size_t n_namespaces;
    const char *label_selector; /* workloads' labels; NULL: all */
} wl_kube_opts;

/* Add the cluster's workloads to `set`. Fails on the first API error (the
 * message names the resource); a kind the server does not serve (404) is
 * skipped. `skipped` (may be NULL) counts workloads no policy covers or
 * whose mode is Off, or that opted out. */
snug_status workloads_from_kube(kube_client *kc, const wl_kube_opts *o, const policy_set *pols,
                                wlset *set, size_t *skipped, snug_err *err);

/* Adding workload objects one by one (the operator, from its informers). */
typedef struct wl_kube_ctx {
    const policy_set *pols;  /* the policies to pick from */
    const cJSON *namespaces; /* Namespace objects (an array, or a List): their labels */
    wlset *set;
    size_t skipped; /* out: workloads no policy sizes or that opted out */
    unsigned pass;  /* stored in w->seen */
} wl_kube_ctx;

/* Add (or refresh) the workload that `obj` of `kind` ("Deployment", ...,
 * "Pod") is: its uid, opt-out, policy and template containers (those not in
 * the template any more keep their state with in_template false). Objects
 * with a controller owner (a CronJob's Job, a ReplicaSet's Pod) are not
 * workloads and are skipped, as are objects without a Pod template
 * (logged). obj is not changed. */
snug_status workloads_add_object(wl_kube_ctx *lc, const char *kind, const cJSON *obj,
                                 snug_err *err);

/* The SizingPolicies of the cluster into a new set (*out NULL and SNUG_OK
 * when the CRD is not installed). */
snug_status workloads_kube_policies(kube_client *kc, policy_set **out, snug_err *err);

/* Whether a labels or annotations object says snug.dev/mode off ("off",
 * "false", "disabled", any case). */
bool workloads_opted_out(const cJSON *labels_or_annotations);

#endif

/* usage_owners.h -- which workload a Pod seen in Prometheus belongs to.
 *
 * In order:
 *  1. kube-state-metrics' kube_pod_owner names the Pod's controller:
 *     a ReplicaSet leads to its Deployment through kube_replicaset_owner,
 *     or, when that series is gone, by dropping the "-<pod-template-hash>"
 *     suffix; a Job named "<cronjob>-<scheduled minute>" leads to its
 *     CronJob; StatefulSet, DaemonSet and others are the workload; an owner
 *     "<none>" is a bare Pod;
 *  2. else the Pod name (model/podname.h).
 * With the API server's workloads in the set (add == false) a candidate
 * counts only when the set has it: the first one that does wins, and a Pod
 * of no listed workload maps to none. Without it (add == true) the first
 * candidate is added to the set.
 */
#ifndef SNUG_CTL_USAGE_OWNERS_H
#define SNUG_CTL_USAGE_OWNERS_H

#include <stdbool.h>

#include "base/status.h"
#include "controller/workloads.h"
#include "prom/prom_result.h"

typedef struct owner_index owner_index;

/* NULL on NOMEM. */
owner_index *owner_index_new(void);
void owner_index_free(owner_index *ix);

/* Index a kube_pod_owner result (labels namespace, pod, owner_kind,
 * owner_name). Series without those labels are skipped. */
snug_status owner_index_add_pods(owner_index *ix, const prom_result *r, snug_err *err);

/* Index a kube_replicaset_owner result (namespace, replicaset, owner_kind,
 * owner_name). */
snug_status owner_index_add_replicasets(owner_index *ix, const prom_result *r, snug_err *err);

/* Map Pod ns/pod to its workload in `set` (see above) and remember the
 * mapping (wlset_map_pod). *out is NULL for a Pod of no workload we size. */
snug_status owner_resolve(const owner_index *ix, wlset *set, bool add, const char *ns,
                          const char *pod, workload **out, snug_err *err);

#endif

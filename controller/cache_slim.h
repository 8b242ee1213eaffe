/* cache_slim.h -- what the operator's informer caches keep of each object.
 *
 * Each function is an informer transform (kube_informer_opts.transform): it
 * prunes one object in place, before the store keeps it, to the fields the
 * operator reads, so that the caches grow with the number of objects and
 * not with the size of their specs. What each keeps is listed below; the
 * readers named there are the only ones of that cache. The functions never
 * fail: a field of an unexpected type is dropped like any other, and an
 * object that is not a JSON object is left alone. `ud` is unused.
 */
#ifndef SNUG_CONTROLLER_CACHE_SLIM_H
#define SNUG_CONTROLLER_CACHE_SLIM_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Any object: metadata.managedFields and kubectl's last-applied annotation
 * dropped (SizingPolicies, Namespaces, autoscalers). */
void cache_slim_object(cJSON *obj, void *ud);

/* A workload (Deployment, StatefulSet, DaemonSet, CronJob, Job), for
 * workloads_add_object and the Job -> CronJob lookup:
 *   metadata: name, namespace, uid, resourceVersion, ownerReferences (kind,
 *             name, controller), labels and annotations under "snug.dev/";
 *   its Pod template (spec.template, or spec.jobTemplate.spec.template):
 *             metadata.labels (all: policies select on them), annotations
 *             under "snug.dev/", spec.containers[] name and resources.
 * Everything else (status, selector, strategy, the rest of the Pod spec) is
 * dropped. */
void cache_slim_workload(cJSON *obj, void *ud);

/* A Pod, for the OOM kills its status shows and for bare Pods (no
 * controller owner) as workloads of their own:
 *   metadata: name, namespace, resourceVersion, ownerReferences (kind, name,
 *             controller), the pod-template-hash label;
 *   a bare Pod also: generateName, uid, every label, annotations under
 *             "snug.dev/", spec.containers[] name and resources;
 *   every Pod with a container whose last state is OOMKilled also:
 *             spec.containers[] name and memory limit, and those containers'
 *             status (name, lastState.terminated reason and finishedAt).
 * A Pod of a controller that never saw an OOM kill keeps its metadata only. */
void cache_slim_pod(cJSON *pod, void *ud);

/* One of the operator's own Recommendations, for deciding whether to write
 * (main_differs, status_differs, carry_conditions, the OOM bumps) and which
 * to delete or hold:
 *   metadata: name, namespace, uid (Events name it), resourceVersion,
 *             generation, labels, ownerReferences (kind, name, uid);
 *   spec.targetRef;
 *   status: policy, lastUpdated, conditions[] type, status and
 *           lastTransitionTime, containers[] without `observed` and
 *           `reason`.
 * What is dropped is only ever written, never compared; a write that must
 * carry the whole status (Prometheus down) reads the object from the API
 * server. */
void cache_slim_recommendation(cJSON *obj, void *ud);

/* The bytes `obj`'s tree holds: a cJSON node per value, plus its member
 * name and string, with their terminating NULs. malloc's own overhead per
 * allocation (8 to 16 bytes, rounding) is not counted, nor are members
 * nested deeper than 64 levels (no cached object has them). NULL: 0. */
size_t cache_slim_bytes(const cJSON *obj);

#endif

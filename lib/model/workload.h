/* workload.h -- which workload a Pod belongs to, from the Pod alone.
 *
 * Rules (DESIGN.md "Pod -> workload"):
 *  - the ownerReference with controller: true names the owner;
 *  - ReplicaSet -> Deployment when the Pod has a `pod-template-hash` label and
 *    the ReplicaSet name ends with "-<that hash>": the Deployment is the name
 *    without the suffix;
 *  - Job -> CronJob when `job_owner` (a lookup the caller may provide, e.g.
 *    the webhook's small Job->CronJob cache) says the Job is owned by a
 *    CronJob; without a lookup, a Job stays a Job;
 *  - StatefulSet, DaemonSet, Job, ReplicationController and any other
 *    controller kind: the owner itself;
 *  - no controller owner: the Pod is its own workload (kind Pod, its name or,
 *    when it has only generateName, that prefix).
 * Workload objects (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
 * CronJob, Pod) name themselves: see workload_from_object().
 *
 * Malformed input (metadata or labels not objects, ownerReferences not an
 * array or holding a non-object, controller not a boolean, the controller
 * owner without kind/name, names of WORKLOAD_NAME_MAX characters or more) is
 * SNUG_ERR_INVALID naming the field, e.g.
 * "metadata.ownerReferences: must be an array, got object".
 */
#ifndef SNUG_WORKLOAD_H
#define SNUG_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/status.h"

#define WORKLOAD_KIND_MAX 64
#define WORKLOAD_NAME_MAX 254

typedef struct workload_ref {
    char kind[WORKLOAD_KIND_MAX]; /* "Deployment", "StatefulSet", ..., "Pod" */
    char name[WORKLOAD_NAME_MAX];
} workload_ref;

/* Return true and fill cronjob (cap bytes) when Job ns/job is owned by a CronJob. */
typedef bool (*job_owner_fn)(const char *ns, const char *job, char *cronjob, size_t cap, void *ud);

/* The workload of a Pod object. SNUG_ERR_INVALID when the Pod has neither a
 * controller owner nor a name/generateName. job_owner (may be NULL) gets the
 * Pod's metadata.namespace ("" when absent) and the Job name. *out is zeroed
 * first, so it is all-empty on failure. */
snug_status workload_from_pod(const cJSON *pod, job_owner_fn job_owner, void *ud, workload_ref *out,
                              snug_err *err);

/* The workload a top-level object is: its own kind and metadata.name (for
 * kind Pod, as for a bare Pod: name, else generateName without its trailing
 * "-"). SNUG_ERR_INVALID without kind or name. */
snug_status workload_from_object(const cJSON *obj, workload_ref *out, snug_err *err);

#endif

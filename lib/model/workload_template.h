/* workload_template.h -- where the Pod (template) is inside each kind of
 * Kubernetes object, for `snug-webhook mutate`.
 *
 *   kind                    apiVersion group     pod template at
 *   Pod                     core ("v1")          the object itself
 *   Deployment, StatefulSet,
 *   DaemonSet, ReplicaSet   apps, extensions     spec.template
 *   Job                     batch                spec.template
 *   CronJob                 batch                spec.jobTemplate.spec.template
 *   ReplicationController   core                 spec.template
 *   PodTemplate             core                 template
 *
 * The kind must match exactly and the apiVersion's group must be the one
 * listed (an object without apiVersion is accepted), so custom resources that
 * reuse a name (a volcano.sh "Job", say) are not mistaken for these. A
 * template has `metadata` and `spec` like a Pod, so the mutation engine runs
 * on it as if it were one.
 */
#ifndef SNUG_WORKLOAD_TEMPLATE_H
#define SNUG_WORKLOAD_TEMPLATE_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "base/status.h"

#define WORKLOAD_TEMPLATE_PATH_MAX 40

typedef struct workload_template {
    cJSON *pod;    /* the Pod or its template (borrowed from the object) */
    cJSON *parent; /* the object holding `pod` under "template"; NULL for a Pod */
    bool is_pod;   /* the object is a Pod itself */
    /* Where `pod` is in the object, for messages: "spec.template",
     * "spec.jobTemplate.spec.template", "template", "" for a Pod. */
    char path[WORKLOAD_TEMPLATE_PATH_MAX];
} workload_template;

/* Find the pod template of `obj`. SNUG_OK fills *out. SNUG_ERR_UNSUPPORTED
 * when obj is not one of the kinds above (or not an object): such objects are
 * passed through untouched. SNUG_ERR_INVALID when it is one of them but the
 * path to the template is broken, with err naming the field:
 * "spec: must be an object", "spec.template: missing". */
snug_status workload_template_find(cJSON *obj, workload_template *out, snug_err *err);

/* Put `pod` (owned by the call in every case) where the template was, keeping
 * its position among its siblings. For a Pod, the object itself is replaced
 * inside `container` (the array or object holding obj); obj is freed then. */
snug_status workload_template_replace(cJSON *container, cJSON *obj, const workload_template *t,
                                      cJSON *pod, snug_err *err);

/* True when obj is a `kind: List` (apiVersion v1 or none) with the items
 * that kubectl and kustomize write. */
bool workload_is_list(const cJSON *obj);

/* obj's `kind`, `metadata.name` and `metadata.namespace` when they are
 * strings, else NULL. Borrowed. */
const char *workload_kind(const cJSON *obj);
const char *workload_name(const cJSON *obj);
const char *workload_namespace(const cJSON *obj);

#endif

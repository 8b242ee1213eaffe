/* autoscalers.h -- the HorizontalPodAutoscalers and VerticalPodAutoscalers
 * of a cluster as snug needs them: which workload each one scales, whether
 * an HPA scales on CPU or memory (then requests are its yardstick, and snug
 * must not move them under it), whether a VPA acts on its Pods, and what
 * the VPA recommends per container. Pure: cJSON in, plain structs out.
 *
 * Objects are read as the API server returns them, from a list (items carry
 * no kind or apiVersion) or a watch event (they do): kind and apiVersion are
 * checked only when present. Fields snug does not use are ignored (the
 * autoscalers gain fields over releases); the ones it reads are checked
 * strictly, so a broken object is refused as a whole, never half read.
 * Errors are SNUG_ERR_INVALID (SNUG_ERR_UNSUPPORTED for another apiVersion,
 * SNUG_ERR_TOO_BIG for more than AUTOSCALER_VPA_MAX_ENTRIES container
 * recommendations) and name the object and the field:
 *   HorizontalPodAutoscaler "shop/web": spec.metrics[1].resource.target.type:
 *   must be Utilization or AverageValue for a resource metric, got "Value"
 */
#ifndef SNUG_CTL_AUTOSCALERS_H
#define SNUG_CTL_AUTOSCALERS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/status.h"
#include "model/policy.h"

#define AUTOSCALER_NS_MAX             64  /* a DNS label (63) + NUL */
#define AUTOSCALER_KIND_MAX           64  /* as WORKLOAD_KIND_MAX */
#define AUTOSCALER_NAME_MAX           254 /* a DNS subdomain (253) + NUL */
#define AUTOSCALER_VPA_MAX_CONTAINERS 16  /* recommendations kept */
#define AUTOSCALER_VPA_MAX_ENTRIES    256 /* read at all (each is checked) */

/* An autoscaling/v2 HorizontalPodAutoscaler: its namespace (that of its
 * target too) and spec.scaleTargetRef, and whether it scales on CPU or
 * memory: a metric of type Resource or ContainerResource (target type
 * Utilization or AverageValue) naming that resource. Pods, Object and
 * External metrics count for neither. No metrics at all is what the API
 * server reads as 80% average CPU utilization: cpu. */
typedef struct hpa_info {
    char ns[AUTOSCALER_NS_MAX];
    char kind[AUTOSCALER_KIND_MAX];
    char name[AUTOSCALER_NAME_MAX];
    bool cpu, memory;
} hpa_info;

/* Read `hpa` into *out. Required: metadata.name and metadata.namespace,
 * spec.scaleTargetRef.kind and .name; each metric needs a known type and
 * its matching member (resource, containerResource, pods, object,
 * external); a Resource or ContainerResource metric needs a name and a
 * target whose type is Utilization (with an integer averageUtilization >=
 * 1) or AverageValue (with a quantity averageValue); ContainerResource also
 * a container. apiVersion other than autoscaling/v2 (v1 carries no metrics,
 * v2beta* are gone): SNUG_ERR_UNSUPPORTED. On failure *out is zeroed. */
snug_status autoscaler_hpa_parse(const cJSON *hpa, hpa_info *out, snug_err *err);

/* An autoscaling.k8s.io/v1 VerticalPodAutoscaler: its namespace and
 * spec.targetRef; whether it acts on Pods (spec.updatePolicy.updateMode
 * other than "Off": "Auto", VPA's default when absent, "Initial",
 * "Recreate" and "InPlaceOrRecreate" all set requests); and its
 * status.recommendation.containerRecommendations[].target per container,
 * CPU in millicores and memory in bytes (RES_UNSET for a resource it does
 * not recommend). n is 0 while VPA has recommended nothing. Beyond
 * AUTOSCALER_VPA_MAX_CONTAINERS entries the rest are checked but not kept,
 * and `truncated` is set (the VPA is still read: `active` counts most). */
typedef struct vpa_container {
    char name[AUTOSCALER_NAME_MAX];
    res_amounts target;
} vpa_container;

typedef struct vpa_info {
    char ns[AUTOSCALER_NS_MAX];
    char kind[AUTOSCALER_KIND_MAX];
    char name[AUTOSCALER_NAME_MAX];
    bool active;
    bool truncated; /* more recommendations than c[] holds; the first are kept */
    size_t n;
    vpa_container c[AUTOSCALER_VPA_MAX_CONTAINERS];
} vpa_info;

/* Read `vpa` into *out. Required: metadata.name and metadata.namespace,
 * spec.targetRef.kind and .name; updateMode, when given, one of Off,
 * Initial, Recreate, Auto, InPlaceOrRecreate; each container
 * recommendation a containerName (unique) and a target whose cpu and memory,
 * when given, are quantities >= 0 (other resources are ignored). apiVersion
 * other than autoscaling.k8s.io/v1: SNUG_ERR_UNSUPPORTED. More than
 * AUTOSCALER_VPA_MAX_ENTRIES recommendations (no Pod has that many
 * containers): SNUG_ERR_TOO_BIG. On failure *out is zeroed. */
snug_status autoscaler_vpa_parse(const cJSON *vpa, vpa_info *out, snug_err *err);

/* The recommendation for container `name`, or NULL. Borrowed from v. */
const vpa_container *autoscaler_vpa_container(const vpa_info *v, const char *name);

#endif

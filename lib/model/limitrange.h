/* limitrange.h -- a namespace's LimitRanges, combined, for clamping.
 *
 * The LimitRanger admission plugin defaults missing requests/limits before
 * mutating webhooks run, and validates min/max/maxLimitRequestRatio after
 * them: snug must clamp what it sets into these bounds or the API server
 * refuses the Pod. Several LimitRanges in one namespace all apply, so the
 * combination is the strictest: the largest min, the smallest max, the
 * smallest ratio. Only `type: Container` items set per-container bounds;
 * `type: Pod` items bound the sum over the Pod's containers.
 */
#ifndef SNUG_LIMITRANGE_H
#define SNUG_LIMITRANGE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "model/policy.h"
#include "base/status.h"

typedef struct limitrange_bounds {
    res_amounts min, max;                       /* type Container; RES_UNSET if none */
    res_amounts default_limit, default_request; /* type Container (first one seen) */
    double max_ratio_cpu, max_ratio_memory;     /* maxLimitRequestRatio; 0 if none */
    res_amounts pod_min, pod_max;               /* type Pod: bounds on the sums */
} limitrange_bounds;

/* An empty set of bounds (everything unset). */
void limitrange_bounds_init(limitrange_bounds *b);

/* Fold one LimitRange object into b. Bad quantities are SNUG_ERR_INVALID
 * naming the LimitRange and field; b is unchanged then. */
snug_status limitrange_add(limitrange_bounds *b, const cJSON *limitrange, snug_err *err);

/* Which values of which containers the LimitRanger plugin filled in, from
 * the Pod annotation `kubernetes.io/limit-ranger` (e.g. "LimitRanger plugin
 * set: cpu, memory request for container app; cpu limit for container app"):
 * such values count as missing for `apply: IfMissing`. Bits below. */
#define LR_SET_CPU_REQUEST    0x1
#define LR_SET_MEMORY_REQUEST 0x2
#define LR_SET_CPU_LIMIT      0x4
#define LR_SET_MEMORY_LIMIT   0x8
unsigned limitrange_defaulted(const cJSON *pod, const char *container);

#endif

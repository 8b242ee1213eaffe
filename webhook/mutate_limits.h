/* mutate_limits.h -- the namespace LimitRange, per container and per Pod, applied to what
 * mutate_resources planned. */
#ifndef SNUG_MUTATE_LIMITS_H
#define SNUG_MUTATE_LIMITS_H

#include "base/status.h"
#include "webhook/mutate_internal.h"

/* Bring one container's planned values inside the LimitRange (min, max,
 * maxLimitRequestRatio) and keep request <= limit. */
void mut_limits_container(mut_ctx *x, mut_container *mc);

/* Check the sums against the LimitRange `type: Pod` bounds; scale down what
 * snug set when they are too large. */
void mut_limits_pod(mut_ctx *x);

#endif

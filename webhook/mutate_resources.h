/* mutate_resources.h -- requests and limits per container: read them, plan them from policy and
 * recommendation, write them. */
#ifndef SNUG_MUTATE_RESOURCES_H
#define SNUG_MUTATE_RESOURCES_H

#include "base/status.h"
#include "webhook/mutate_internal.h"

/* Read every container's requests/limits (SNUG_ERR_INVALID for a resources
 * field of the wrong type; a bad quantity only marks the container). */
snug_status mut_resources_read(mut_ctx *x);

/* Plan requests and limits of the active containers, enforce the LimitRange
 * and write the result into the working copy. */
snug_status mut_resources_apply(mut_ctx *x);

#endif

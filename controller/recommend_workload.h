/* recommend_workload.h -- the recommendations of one workload's
 * containers, as `recommend` prints them and the operator writes them.
 *
 * Each container the workload's policy sizes (its per-container mode is not
 * Off; with the API server, it is in the current Pod template) is trimmed
 * to the policy's window and computed (controller/recommender.h) with the
 * policy's parameters, the container's current requests and limits, and
 * its Go marker (goRuntime.detect: Always, Never, or what was seen).
 */
#ifndef SNUG_CTL_RECOMMEND_WORKLOAD_H
#define SNUG_CTL_RECOMMEND_WORKLOAD_H

#include <stddef.h>

#include "base/status.h"
#include "controller/recommender.h"
#include "controller/workloads.h"

/* Compute w's containers into res[0..*n) and cs[0..*n) (both of
 * WL_MAX_CONTAINERS entries); w->pol must not be NULL. Fails only on the
 * recommender's error, which names the workload and container. */
snug_status recommend_workload(workload *w, double now, rec_result *res, const wl_container **cs,
                               size_t *n, snug_err *err);

#endif

/* report_object.h -- the Recommendation object (snug.dev/v1alpha1) for one
 * workload, exactly as the operator writes it and the webhook reads it
 * (model/recommendation.h): metadata.name "<kind>-<name>", spec.targetRef,
 * status with policy, lastUpdated, conditions and one entry per container.
 *
 * Conditions (type, status, reason, message, lastTransitionTime):
 *   RecommendationProvided  True when some container has a target
 *   LowConfidence           True while a container's history is shorter than
 *                           the policy's minHistory
 *   NoMetrics               True when a container had no usage samples
 */
#ifndef SNUG_CTL_REPORT_OBJECT_H
#define SNUG_CTL_REPORT_OBJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "controller/recommender.h"
#include "controller/workloads.h"

/* The object for w; res[i] is the result for container cs[i] (the
 * containers its policy sizes, in template order).
 * `now` is lastUpdated and the conditions' lastTransitionTime. NULL on
 * NOMEM. Caller owns the result (cJSON_Delete). */
cJSON *report_object(const workload *w, const wl_container *const *cs, const rec_result *res,
                     size_t n, int64_t now);

/* Append a condition {type, status "True"/"False", reason, message,
 * lastTransitionTime now} to the array `list`; nothing on NOMEM. */
void report_condition_add(cJSON *list, const char *type, bool on, const char *reason,
                          const char *message, const char *now);

#endif

/* recommender.h -- turn a container's rec_state into a recommendation:
 * requests (target), bounds, limits, GOMAXPROCS/GOMEMLIMIT, what was
 * observed, and a human reason for anything special. Pure computation: no
 * I/O, the state is not changed. docs/recommender-algorithm.md explains the
 * algorithm, its parameters and defaults.
 */
#ifndef SNUG_RECOMMENDER_H
#define SNUG_RECOMMENDER_H

#include <stdbool.h>

#include "base/status.h"
#include "model/policy.h"
#include "model/recommendation.h"
#include "controller/rec_state.h"

#define REC_DEFAULT_THROTTLE_THRESHOLD 0.1

typedef struct rec_inputs {
    const policy_recommender *params;
    const policy_resources *resources;
    const policy_goruntime *go;
    res_amounts current_requests, current_limits; /* from the Pod template; RES_UNSET where unset */
    bool is_go;                                   /* go_info seen or snug.dev/runtime: go */
    int go_minor;              /* Go 1.x minor version when known (25 for go1.25.3), 0 unknown */
    double now;                /* unix seconds */
    double throttle_threshold; /* throttled/periods ratio above which a container counts as
                                  throttled; 0 = REC_DEFAULT_THROTTLE_THRESHOLD */
} rec_inputs;

typedef enum rec_flags {
    REC_NO_METRICS = 1,
    REC_LOW_CONFIDENCE = 2,
    REC_OOM_BUMP = 4,
    REC_THROTTLED = 8,
    REC_TREND = 16
} rec_flags;

typedef struct rec_result {
    rec_container c;  /* c.name is left NULL for the caller; nothing in c is allocated */
    unsigned flags;   /* rec_flags */
    char reason[512]; /* "" when nothing special */
} rec_result;

/* Compute the recommendation for one container from its state and the
 * policy (in->params, in->resources and in->go are required; NULL is
 * SNUG_ERR_INVALID, as is a non-finite `now`). With no samples and no OOM
 * kill in the window the result has REC_NO_METRICS, confidence 0 and no
 * target (RES_UNSET everywhere). SNUG_ERR_NOMEM when a scratch histogram
 * cannot be allocated. *out is fully written on success. */
snug_status recommender_compute(const rec_state *s, const rec_inputs *in, rec_result *out,
                                snug_err *err);

#endif

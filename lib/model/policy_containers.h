/* policy_containers.h -- spec.containers: per-container overrides of a SizingPolicy. */
#ifndef SNUG_POLICY_CONTAINERS_H
#define SNUG_POLICY_CONTAINERS_H

#include <cjson/cJSON.h>

#include "base/status.h"
#include "model/policy.h"

/* Read spec.containers into p->containers / p->n_containers (checked
 * against p's bounds, so call it after spec.resources). On failure the
 * entries read so far stay in p for policy_free(). */
snug_status policy_parse_containers(const cJSON *spec, policy *p, snug_err *err);

#endif

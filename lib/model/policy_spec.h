/* policy_spec.h -- a SizingPolicy's spec: read it, free what reading it allocated. */
#ifndef SNUG_POLICY_SPEC_H
#define SNUG_POLICY_SPEC_H

#include <cjson/cJSON.h>

#include "base/status.h"
#include "model/policy.h"

/* Read obj.spec (all of it, containers included) into p, which holds the
 * defaults. An absent spec keeps them. On failure p may be partly filled
 * (policy_free() still frees it). */
snug_status policy_parse_spec(const cJSON *obj, policy *p, snug_err *err);

/* Free the probe port names and leave none. */
void policy_free_port_names(policy_probes *pr);

#endif

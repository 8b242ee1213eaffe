/* mutate_probes.h -- liveness, readiness and startup probes for one container (CREATE only). */
#ifndef SNUG_MUTATE_PROBES_H
#define SNUG_MUTATE_PROBES_H

#include "base/status.h"
#include "webhook/mutate_internal.h"

/* Inject the probes the policy asks for into one container that has none. */
snug_status mut_probes_apply(mut_ctx *x, mut_container *mc);

#endif

/* mutate_goenv.h -- GOMEMLIMIT and GOMAXPROCS for one Go container. */
#ifndef SNUG_MUTATE_GOENV_H
#define SNUG_MUTATE_GOENV_H

#include "base/status.h"
#include "webhook/mutate_internal.h"

/* Set GOMEMLIMIT / GOMAXPROCS on one Go container, never over a value
 * the user set. */
snug_status mut_goenv_apply(mut_ctx *x, mut_container *mc);

#endif

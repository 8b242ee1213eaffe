/* usage_oom.h -- OOM kills read from kube-state-metrics' last-terminated
 * reason.
 *
 * kube_pod_container_status_last_terminated_reason{reason="OOMKilled"} is a
 * state, not an event: it reads 1 from a kill until the container next
 * terminates for another reason, however many passes read it. A collection
 * that covers the whole window (`recommend`, the operator's first pass)
 * takes one kill per Pod and container that shows it, at its first sample.
 * One that continues an earlier collection (the operator's later passes)
 * must not take the same state again: it asks for one more step before its
 * range, so its first sample is what the earlier one saw last, and takes a
 * kill only where the series rises.
 */
#ifndef SNUG_USAGE_OOM_H
#define SNUG_USAGE_OOM_H

#include <stdbool.h>
#include <stddef.h>

#include "prom/prom_result.h"

/* The times at which the samples s[0..n) (time order, as Prometheus gives
 * them at `step` seconds from range_start) show a kill:
 *   continues false: the first sample >= 1 (at most one time);
 *   continues true:  every rise, a sample >= 1 whose predecessor is below 1
 *                    or more than 1.5 steps earlier (the series was gone),
 *                    and a first sample >= 1 more than half a step after
 *                    range_start (the series appeared in the range).
 * NaN and negative values count as below 1. Writes at most `max` times to
 * out and returns how many; never fails. */
size_t usage_oom_kill_times(const prom_sample *s, size_t n, double range_start, double step,
                            bool continues, double *out, size_t max);

#endif

/* rec_state.h -- everything the recommender knows about one container of one
 * workload, built incrementally from usage samples, trimmed to a window, and
 * saved to / loaded from a compact checkpoint.
 *
 * What is kept (all fixed-size or capped, so memory is bounded per container):
 *   - a decaying histogram of CPU samples (cores), pooled over the Pods;
 *   - per Pod, the memory peak of the open aggregation interval (one hour);
 *     each closed interval's peak goes into a decaying memory histogram;
 *   - per UTC day (up to REC_MAX_DAYS): CPU sum/count/max, memory max and
 *     count, first/last sample time, CFS periods and throttled periods;
 *   - the newest REC_MAX_OOMS OOM kills with the limit they happened at;
 *   - the same two histograms and maxima for the newest Pod template alone
 *     (see rec_state_gen_cpu), so a rollout is sized from the new Pods.
 * Pods are known by a 64-bit hash of their name (REC_MAX_PODS at most; the
 * one seen least recently makes room; trim drops those gone for a day). Samples of one Pod must
 * come in time order; a sample not newer than that Pod's last one is a duplicate (an overlapping
 * query) and is ignored, so re-sending a range is harmless. Pods' samples may interleave freely.
 * NaN, infinite, negative or absurd values (CPU above 100000 cores, memory above 1 PiB) and samples
 * older than the last trim are ignored.
 *
 * Checkpoint: base64 text of a versioned binary record ("SNR", version 1,
 * fields, CRC-32): 0.6-2 KB per container, 1.3 KB for a few Pods over a week. A corrupt, truncated,
 * foreign or newer checkpoint is refused with an error, never half-loaded.
 */
#ifndef SNUG_REC_STATE_H
#define SNUG_REC_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/dynbuf.h"
#include "base/status.h"
#include "controller/histogram.h"

#define REC_MAX_PODS          256
#define REC_MAX_DAYS          35
#define REC_MAX_OOMS          16
#define REC_MEM_INTERVAL      3600.0          /* seconds per memory peak */
#define REC_POD_GRACE         86400.0         /* a Pod silent this long is gone */
#define REC_DEFAULT_HALF_LIFE (2.0 * 86400.0) /* decay of both histograms */
#define REC_CHECKPOINT_MAX    (1u << 20)      /* largest checkpoint load accepts */

typedef struct rec_state rec_state;

/* One UTC day of samples (day = floor(t / 86400)). */
typedef struct rec_day {
    int64_t day;
    double cpu_sum; /* cores, summed over samples */
    uint32_t cpu_n;
    double cpu_max;
    uint32_t mem_n;
    double mem_max;         /* bytes */
    double t_first, t_last; /* first and last CPU/memory sample; 0 when none */
    double thr_periods, thr_throttled;
} rec_day;

typedef struct rec_oom {
    double t;
    int64_t limit_bytes; /* RES_UNSET (-1) when unknown */
} rec_oom;

/* An empty state; NULL on OOM. Free with rec_state_free (NULL is fine). */
rec_state *rec_state_new(void);
void rec_state_free(rec_state *s);

/* Set the histograms' half-life (seconds, > 0). Only while the state holds
 * no samples; SNUG_ERR_INVALID otherwise or for a bad value. */
snug_status rec_state_set_half_life(rec_state *s, double seconds);

/* One CPU usage sample (cores, averaged over the sample interval, e.g. a
 * 1m rate) of one Pod at time t (unix seconds). */
void rec_state_add_cpu(rec_state *s, const char *pod, double t, double cores);

/* One memory working-set sample (bytes) of one Pod at time t. */
void rec_state_add_memory(rec_state *s, const char *pod, double t, double bytes);

/* An OOM kill at time t while the memory limit was limit_bytes (RES_UNSET
 * when unknown). Report each kill once: two kills at the same time (two
 * Pods, or a counter that rose by 2) are two. The newest REC_MAX_OOMS are
 * kept. */
void rec_state_add_oom(rec_state *s, double t, int64_t limit_bytes);

/* CFS counters over an interval ending at t: periods and throttled periods
 * (deltas, not totals; throttled is capped at periods). */
void rec_state_add_throttling(rec_state *s, double t, double periods, double throttled_periods);

/* Start the window at `before`: days that ended before it, OOM kills before
 * it and Pods not seen since it, or for REC_POD_GRACE before the newest
 * sample, are dropped (closing their memory intervals first; what they did
 * stays in the histograms and days), later samples older than it are
 * ignored. When no day is left the
 * histograms are emptied too; otherwise their old weight just decays, and
 * their reference time moves to the newest sample (hist_rebase). */
void rec_state_trim(rec_state *s, double before);

/* Append the checkpoint text (base64, no newline) to out. Fails as
 * dynbuf_add (SNUG_ERR_TOO_BIG past out's maximum, SNUG_ERR_NOMEM). */
snug_status rec_state_save(const rec_state *s, dynbuf *out, snug_err *err);

/* Load a checkpoint written by rec_state_save into a new state (*out, the
 * caller frees). Not base64, not a snug checkpoint, a checksum mismatch,
 * truncation or an impossible field: SNUG_ERR_PARSE; another version:
 * SNUG_ERR_UNSUPPORTED; input above REC_CHECKPOINT_MAX: SNUG_ERR_TOO_BIG.
 * *out is NULL on failure. */
snug_status rec_state_load(const char *data, size_t len, rec_state **out, snug_err *err);

/* Read-only views for the recommender. Borrowed pointers valid until the
 * state changes. */
const histogram *rec_state_cpu(const rec_state *s);
size_t rec_state_days(const rec_state *s, const rec_day **days); /* oldest first */
size_t rec_state_ooms(const rec_state *s, const rec_oom **ooms); /* oldest first */
size_t rec_state_pods(const rec_state *s);
double rec_state_since(const rec_state *s); /* start of the window; -1 before any trim */

/* The memory-peak histogram including the Pods' open intervals, as a copy
 * into *out (caller hist_free()s it): of all Pods, or with `gen` of the
 * newest generation's Pods only. SNUG_ERR_NOMEM. */
snug_status rec_state_memory_peaks(const rec_state *s, bool gen, histogram *out);

/* The newest generation: the CPU histogram of its Pods, the time of its
 * first sample (*since, 0 when none) and its largest CPU and memory sample.
 * A generation is the Pods of one Pod template, told by the Pod name up to
 * its last '-' (a Deployment's pod-template-hash): a Pod of another template
 * appearing after the current one started is a rollout. StatefulSet and
 * DaemonSet Pods share one name prefix, so they are one generation. */
const histogram *rec_state_gen_cpu(const rec_state *s, double *since, double *cpu_max,
                                   double *mem_max);

/* Bytes of memory the state holds (the structure and its Pod table), for
 * the operator's snug_controller_state_bytes. 0 for NULL. */
size_t rec_state_memory(const rec_state *s);

#endif

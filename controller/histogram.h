/* histogram.h -- a fixed-layout, exponentially decaying histogram of
 * non-negative values (CPU cores, memory bytes) for the recommender.
 *
 * Buckets grow geometrically: bucket 0 holds [0, first_edge), bucket i > 0
 * holds [first_edge * ratio^(i-1), first_edge * ratio^i); values past the
 * last bucket land in it. The layout (a hist_kind) is fixed per kind so two
 * histograms of one kind can be merged and a checkpoint names its kind.
 *
 * Decay: a sample added at time t weighs 2^((t - ref) / half_life), so a
 * sample one half-life older counts half as much. `ref` moves forward (and
 * all weights are scaled down) when weights would grow large, so any time
 * order works. Only the range of buckets in use is allocated: memory grows
 * with the spread of the values, not with the layout.
 *
 * Percentiles interpolate linearly inside a bucket, so the error is a
 * fraction of one bucket's width (4 % for CPU, 2 % for memory).
 */
#ifndef SNUG_HISTOGRAM_H
#define SNUG_HISTOGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/dynbuf.h"
#include "base/status.h"

typedef enum hist_kind {
    HIST_CPU = 1, /* cores: first edge 1m, ratio 1.04, 400 buckets (up to ~6500 cores) */
    HIST_MEM = 2  /* bytes: first edge 1 MiB, ratio 1.02, 800 buckets (up to ~7 TiB) */
} hist_kind;

typedef struct histogram {
    hist_kind kind;
    double half_life; /* seconds, > 0 */
    double ref;       /* time of weight 1 (unix seconds, whole) */
    double total;     /* sum of the weights */
    uint16_t lo;      /* first allocated bucket */
    uint16_t n;       /* allocated buckets: lo .. lo+n-1 */
    float *w;         /* owned; n weights */
} histogram;

/* An empty histogram of `kind` decaying with `half_life` seconds (> 0;
 * anything else becomes one day). Allocates nothing. */
void hist_init(histogram *h, hist_kind kind, double half_life);

/* Release the buckets; h is empty (and may be reused) afterwards. */
void hist_free(histogram *h);

/* Number of buckets of a kind, and the lower edge of bucket i (0 for i = 0). */
unsigned hist_buckets(hist_kind kind);
double hist_bucket_start(hist_kind kind, unsigned i);

/* The bucket a value falls in (values past the end: the last bucket). */
unsigned hist_bucket_of(hist_kind kind, double v);

/* Add `value` observed at time t (unix seconds) with base weight `weight`
 * (> 0). A NaN, infinite or negative value, a bad weight or time is
 * SNUG_ERR_INVALID; SNUG_ERR_NOMEM. On failure h is unchanged. A sample so
 * old that its weight is 0 is accepted and changes nothing. */
snug_status hist_add(histogram *h, double value, double weight, double t);

/* The p-th quantile (0 <= p <= 1) of the weighted values, interpolated
 * inside the bucket; p = 1 gives the upper edge of the highest bucket
 * holding more than 1e-9 of the weight (decayed-away history does not
 * count). 0 when empty. */
double hist_percentile(const histogram *h, double p);

/* The share of the weight at values >= v (interpolated inside v's bucket),
 * in [0, 1]; 0 when empty. */
double hist_share_above(const histogram *h, double v);

/* Move the reference time forward to floor(t) (no-op when t is not later):
 * weights are scaled down so nothing changes but the numbers' size. The
 * state calls it on trim so weights stay near 1 whatever the uptime. */
void hist_rebase(histogram *h, double t);

/* Whether the histogram holds any weight. */
bool hist_empty(const histogram *h);

/* Add everything of src to dst (same kind and half-life, else
 * SNUG_ERR_INVALID), decayed to dst's reference. On NOMEM dst is unchanged. */
snug_status hist_merge(histogram *dst, const histogram *src, snug_err *err);

/* A deep copy into *dst (which must not hold buckets). NOMEM leaves dst empty. */
snug_status hist_copy(histogram *dst, const histogram *src);

/* The weight-average of values is not kept; this is the total weight, in
 * units of a sample taken at time t (so it can be compared with counts). */
double hist_weight_at(const histogram *h, double t);

/* Append the histogram to a checkpoint (see rec_state_bytes.h): kind,
 * half-life, reference, range, weights quantised to 16 bits of the largest
 * one, as varints. Fails as dynbuf_add. */
snug_status hist_encode(const histogram *h, dynbuf *out);

struct rec_reader;
/* Read a histogram written by hist_encode into *h (empty on entry). A wrong
 * kind (not `want`), a range past the layout, bad numbers or truncation are
 * SNUG_ERR_PARSE naming `what`; NOMEM as usual. h is empty on failure. */
snug_status hist_decode(struct rec_reader *r, hist_kind want, const char *what, histogram *h,
                        snug_err *err);

#endif

/* kube_retry.h -- time, backoff and rate limiting for the Kubernetes client.
 *
 * - kube_mono_ms()/kube_mono_us(): CLOCK_MONOTONIC, for every duration and
 *   deadline (leases, token refresh, rate limiting); never wall-clock time.
 * - Exponential backoff with jitter: the n-th delay is
 *   d = min(max, min_delay * 2^n), then drawn uniformly from [d/2, d] and
 *   never below min_delay, so delays stay within [min_delay, max].
 * - A token bucket (QPS + burst) like client-go's default limiter: a request
 *   reserves one token; when the bucket is empty the reservation is granted
 *   in the future and the caller waits that long.
 * None of these structs lock: each belongs to one thread.
 */
#ifndef SNUG_KUBE_RETRY_H
#define SNUG_KUBE_RETRY_H

#include <stdint.h>

int64_t kube_mono_ms(void);
int64_t kube_mono_us(void);

typedef struct kube_backoff {
    long min_ms;      /* first delay and the floor (> 0) */
    long max_ms;      /* ceiling (>= min_ms) */
    unsigned attempt; /* failures since the last reset */
    unsigned seed;    /* rand_r state for the jitter */
} kube_backoff;

/* Set up a backoff; `seed` 0 picks one from the clock and the address. */
void kube_backoff_init(kube_backoff *b, long min_ms, long max_ms, unsigned seed);

/* The delay for the next failure (and count it). */
long kube_backoff_next(kube_backoff *b);

/* Forget past failures (after a success). */
void kube_backoff_reset(kube_backoff *b);

/* The pure formula: delay for failure number `attempt` (0-based) given a
 * uniform random `r01` in [0, 1]. */
long kube_backoff_delay(long min_ms, long max_ms, unsigned attempt, double r01);

typedef struct kube_ratelimit {
    double qps;      /* tokens added per second (> 0) */
    double burst;    /* bucket size (>= 1) */
    double tokens;   /* may go negative: reservations granted in the future */
    int64_t last_us; /* monotonic time of the last refill */
} kube_ratelimit;

/* A full bucket at time `now_us`. qps <= 0 or burst < 1 are raised to the
 * defaults 20 / 30. */
void kube_ratelimit_init(kube_ratelimit *rl, double qps, int burst, int64_t now_us);

/* Take one token at `now_us` and return how many microseconds the caller
 * must wait before sending (0 = go now). */
int64_t kube_ratelimit_reserve(kube_ratelimit *rl, int64_t now_us);

/* Sleep `ms`, in slices of at most 50 ms, returning early (1) as soon as
 * *abort_flag (read atomically; may be NULL) becomes non-zero; 0 otherwise. */
int kube_sleep_ms(long ms, const int *abort_flag);

#define KUBE_DEFAULT_QPS   20.0
#define KUBE_DEFAULT_BURST 30

#endif

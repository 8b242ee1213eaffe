/* kube_retry.c -- monotonic time, backoff with jitter, token-bucket limiter. */
#include "kube/kube_retry.h"

#include <stdlib.h>
#include <time.h>

int64_t kube_mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t kube_mono_ms(void)
{
    return kube_mono_us() / 1000;
}

void kube_backoff_init(kube_backoff *b, long min_ms, long max_ms, unsigned seed)
{
    b->min_ms = min_ms > 0 ? min_ms : 1;
    b->max_ms = max_ms >= b->min_ms ? max_ms : b->min_ms;
    b->attempt = 0;
    if (seed == 0)
        seed = (unsigned)kube_mono_us() ^ (unsigned)(uintptr_t)b;
    b->seed = seed;
}

long kube_backoff_delay(long min_ms, long max_ms, unsigned attempt, double r01)
{
    long d = min_ms;
    long out;
    unsigned i;

    if (r01 < 0.0)
        r01 = 0.0;
    if (r01 > 1.0)
        r01 = 1.0;
    for (i = 0; i < attempt && d < max_ms; i++)
        d = d > max_ms / 2 ? max_ms : d * 2;
    if (d > max_ms)
        d = max_ms;
    out = d / 2 + (long)((double)(d - d / 2) * r01);
    if (out < min_ms)
        out = min_ms;
    return out;
}

long kube_backoff_next(kube_backoff *b)
{
    double r = (double)rand_r(&b->seed) / (double)RAND_MAX;
    long d = kube_backoff_delay(b->min_ms, b->max_ms, b->attempt, r);

    if (b->attempt < 64)
        b->attempt++;
    return d;
}

void kube_backoff_reset(kube_backoff *b)
{
    b->attempt = 0;
}

void kube_ratelimit_init(kube_ratelimit *rl, double qps, int burst, int64_t now_us)
{
    rl->qps = qps > 0 ? qps : KUBE_DEFAULT_QPS;
    rl->burst = burst >= 1 ? burst : KUBE_DEFAULT_BURST;
    rl->tokens = rl->burst;
    rl->last_us = now_us;
}

int64_t kube_ratelimit_reserve(kube_ratelimit *rl, int64_t now_us)
{
    if (now_us > rl->last_us) {
        rl->tokens += (double)(now_us - rl->last_us) * rl->qps / 1e6;
        if (rl->tokens > rl->burst)
            rl->tokens = rl->burst;
        rl->last_us = now_us;
    }
    rl->tokens -= 1.0;
    if (rl->tokens >= 0.0)
        return 0;
    return (int64_t)(-rl->tokens * 1e6 / rl->qps + 0.5);
}

int kube_sleep_ms(long ms, const int *abort_flag)
{
    int64_t end = kube_mono_ms() + ms;

    for (;;) {
        int64_t left = end - kube_mono_ms();
        struct timespec ts;

        if (abort_flag != NULL && __atomic_load_n(abort_flag, __ATOMIC_ACQUIRE))
            return 1;
        if (left <= 0)
            return 0;
        if (left > 50)
            left = 50;
        ts.tv_sec = 0;
        ts.tv_nsec = (long)left * 1000000L;
        nanosleep(&ts, NULL);
    }
}

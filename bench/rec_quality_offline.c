/* rec_quality_offline.c -- a fast offline scorer for the recommender: it
 * generates synthetic per-minute demand traces (its own generator, not the
 * bench/quality one), plays the history through the Pods' limits as the
 * kubelet would record it (CPU capped with CFS throttling, memory capped with
 * OOM kills and restarts), feeds the recorded samples straight into rec_state
 * (checkpointing through save/load every simulated day, as the operator
 * does), and scores the recommendation on the future demand against simple
 * re-implementations of the VPA recommender and KRR's simple strategy.
 *
 * Score, per workload and resource, over every future Pod-minute:
 *   waste = sum(target) / sum(demand) - 1
 *   shortfall = share of Pod-minutes whose demand exceeded the target
 *   oom = share of Pod-minutes whose memory demand exceeded the limit
 *
 * Usage: bench_rec_quality_offline [variants] [half-life-hours]
 *   variant 0 uses nominal shape parameters; variants 1..N draw each one
 *   from a range (so tuning on one is checked on the others).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dynbuf.h"
#include "controller/recommender.h"
#include "controller/rec_state.h"

#define MIN_PER_DAY 1440
#define HIST_MIN    (7 * MIN_PER_DAY)
#define FUT_MIN     (7 * MIN_PER_DAY)
#define N_MIN       (HIST_MIN + FUT_MIN)
#define MAX_PODS    8
#define MI          1048576.0
#define T0          1767225600.0 /* 2026-01-01 00:00 UTC, a Thursday */
#define NOW_OFFSET  (12 * 60)    /* history ends at 12:00 */

enum {
    STEADY,
    DIURNAL,
    SPIKY,
    LEAK,
    BATCH,
    GOGC,
    WEEKLY,
    GROWTH,
    IMBAL,
    OOM,
    THROTTLED,
    ROLLOUT,
    N_SHAPES
};
static const char *shape_names[N_SHAPES] = {"steady", "diurnal", "spiky",     "leak",
                                            "batch",  "gogc",    "weekly",    "growth",
                                            "imbal",  "oom",     "throttled", "rollout"};

typedef struct pod {
    char name[64];
    int first, last; /* alive minutes [first, last) */
    float cpu[N_MIN], mem[N_MIN], mem_sample[N_MIN];
    double cpu_lim, mem_lim, cpu_req, mem_req; /* 0 = none */
    int restart_every;                         /* planned restart period (minutes), 0 none */
} pod;

typedef struct workload {
    pod pods[MAX_PODS];
    int n;
} workload;

/* ---- randomness ---------------------------------------------------------- */

static uint64_t rng_state;

static double urand(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return (double)(z >> 11) / 9007199254740992.0;
}

static double gauss(void)
{
    double u = urand() + 1e-12, v = urand();

    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

static double vary(int variant, double nominal, double lo, double hi)
{
    return variant == 0 ? nominal : nominal * (lo + (hi - lo) * urand());
}

/* minute i since the start of the history -> hour of day, weekday (Mon = 0) */
static double hour_of(int i)
{
    int m = (i + NOW_OFFSET + MIN_PER_DAY * 7 - HIST_MIN % MIN_PER_DAY) % MIN_PER_DAY;

    return m / 60.0;
}

static int weekday_of(int i)
{
    double t = T0 + (double)(i - HIST_MIN) * 60 + NOW_OFFSET * 60;
    long d = (long)floor(t / 86400);

    return (int)((d + 3) % 7); /* 1970-01-01 was a Thursday (3) */
}

static double day_curve(int i, double peak_hour)
{
    return 0.5 + 0.5 * cos(2 * M_PI * (hour_of(i) - peak_hour) / 24);
}

/* ---- shapes ------------------------------------------------------------- */

typedef struct shape_params {
    double a, b, c, d, e, f;
} shape_params;

static double cpu_level(int shape, const shape_params *p, int k, int i, int n_pods)
{
    double g;

    switch (shape) {
    case STEADY:
    case LEAK:
    case OOM:
        return p->a;
    case DIURNAL:
        g = day_curve(i, p->c);
        return p->a + p->b * g * g;
    case SPIKY:
        return p->a + (fmod(i * 7919.0 + 13, p->c) < p->d ? p->b : 0);
    case BATCH:
        return fmod(i, p->c) < p->d ? p->b : p->a;
    case GOGC:
        return p->a + p->b * day_curve(i, 15);
    case WEEKLY:
        return p->a + p->b * day_curve(i, 11) * (weekday_of(i) >= 5 ? p->c : 1);
    case GROWTH:
        return p->a * pow(1 + p->c, (double)(i - HIST_MIN) / MIN_PER_DAY);
    case IMBAL:
        return p->a * (k == 0 ? p->c : 1) * (0.7 + 0.3 * day_curve(i, 14));
    case THROTTLED:
        return p->a + p->b * day_curve(i, 15);
    case ROLLOUT:
        return k >= n_pods / 2 ? p->a * p->c : p->a;
    }
    return 0;
}

static double mem_level(int shape, const shape_params *p, int k, int i, int n_pods,
                        int since_restart)
{
    switch (shape) {
    case STEADY:
    case THROTTLED:
        return p->e;
    case DIURNAL:
    case IMBAL:
        return p->e * (shape == IMBAL && k == 0 ? 1 + (p->c - 1) * 0.5 : 1) +
               (shape == DIURNAL ? p->f * day_curve(i, p->c) : 0);
    case SPIKY:
        return p->e + (fmod(i * 7919.0 + 13, p->c) < p->d ? p->f : 0);
    case LEAK:
        return p->e + p->f * since_restart / 60.0;
    case BATCH:
        return fmod(i, p->c) < p->d ? p->f : p->e;
    case GOGC:
        return p->e + p->f * day_curve(i, 15);
    case WEEKLY:
        return p->e + p->f * day_curve(i, 11) * (weekday_of(i) >= 5 ? p->c : 1);
    case GROWTH:
        return p->e * pow(1 + p->c, (double)(i - HIST_MIN) / MIN_PER_DAY);
    case OOM: {
        double m = p->e + p->f * day_curve(i, 13);
        double h = hour_of(i);

        return m + (h >= p->b && h < p->b + p->c / 60 ? p->d : 0);
    }
    case ROLLOUT:
        return k >= n_pods / 2 ? p->e * p->f : p->e;
    }
    return 0;
}

static void shape_setup(int shape, int variant, shape_params *p, int *n_pods)
{
    memset(p, 0, sizeof(*p));
    *n_pods = variant == 0 ? 3 : 2 + (int)(urand() * 3);
    switch (shape) {
    case STEADY:
        *p = (shape_params){vary(variant, 0.3, 0.5, 1.5),   0, 0, 0,
                            vary(variant, 280 * MI, .5, 2), 0};
        break;
    case DIURNAL:
        *p = (shape_params){vary(variant, 0.1, .5, 1.5),      vary(variant, 0.5, .5, 1.5),
                            vary(variant, 15, .8, 1.2),       0,
                            vary(variant, 200 * MI, .6, 1.5), vary(variant, 150 * MI, .5, 1.5)};
        break;
    case SPIKY:
        *p = (shape_params){vary(variant, 0.08, .5, 1.5),     vary(variant, 1.0, .5, 1.5),
                            vary(variant, 200, .6, 1.6),      vary(variant, 10, .5, 1.5),
                            vary(variant, 180 * MI, .6, 1.5), vary(variant, 100 * MI, .5, 1.5)};
        break;
    case LEAK:
        *p = (shape_params){
            vary(variant, 0.12, .5, 1.5),   0, 0, 0, vary(variant, 160 * MI, .6, 1.5),
            vary(variant, 10 * MI, .5, 1.6)};
        break;
    case BATCH:
        *p = (shape_params){vary(variant, 0.03, .5, 1.5),     vary(variant, 1.2, .6, 1.5),
                            vary(variant, 360, .9, 1.1),      vary(variant, 30, .7, 1.5),
                            vary(variant, 100 * MI, .6, 1.5), vary(variant, 700 * MI, .6, 1.5)};
        break;
    case GOGC:
        *p = (shape_params){vary(variant, 0.15, .5, 1.5),     vary(variant, 0.35, .5, 1.5),   0, 0,
                            vary(variant, 100 * MI, .6, 1.5), vary(variant, 50 * MI, .5, 1.5)};
        break;
    case WEEKLY:
        *p = (shape_params){vary(variant, 0.1, .5, 1.5),      vary(variant, 0.6, .5, 1.5),
                            vary(variant, 0.2, .5, 2),        0,
                            vary(variant, 220 * MI, .6, 1.5), vary(variant, 200 * MI, .5, 1.5)};
        break;
    case GROWTH:
        *p = (shape_params){vary(variant, 0.25, .5, 1.5),     0, vary(variant, 0.04, .5, 1.5), 0,
                            vary(variant, 350 * MI, .6, 1.5), 0};
        break;
    case IMBAL:
        *p = (shape_params){vary(variant, 0.15, .5, 1.5),     0, vary(variant, 3, .8, 1.2), 0,
                            vary(variant, 220 * MI, .6, 1.5), 0};
        if (*n_pods < 2)
            *n_pods = 2;
        break;
    case OOM:
        *p = (shape_params){vary(variant, 0.2, .5, 1.5),      vary(variant, 10, .5, 1.8),
                            vary(variant, 45, .5, 1.5),       vary(variant, 180 * MI, .8, 1.3),
                            vary(variant, 320 * MI, .9, 1.1), vary(variant, 80 * MI, .5, 1.5)};
        break;
    case THROTTLED:
        *p = (shape_params){vary(variant, 0.22, .7, 1.3),
                            vary(variant, 0.45, .6, 1.4),
                            0,
                            0,
                            vary(variant, 180 * MI, .6, 1.5),
                            0};
        break;
    case ROLLOUT:
        *p = (shape_params){vary(variant, 0.4, .5, 1.5),      0,
                            vary(variant, 0.7, .6, 1.6),      0,
                            vary(variant, 280 * MI, .6, 1.5), vary(variant, 1.3, .7, 1.2)};
        *n_pods *= 2; /* old half, new half */
        break;
    }
}

static void gen_workload(int shape, int variant, workload *w)
{
    shape_params p;
    int n;

    rng_state = (uint64_t)shape * 1000003 + (uint64_t)variant * 7919 + 17;
    shape_setup(shape, variant, &p, &n);
    w->n = n;
    int mid = HIST_MIN / 2 + (variant == 0 ? 0 : (int)((urand() - 0.5) * HIST_MIN / 3));
    for (int k = 0; k < n; k++) {
        pod *pd = &w->pods[k];
        double cn = gauss(), mn = gauss(), phase = urand();
        double sig = shape == GOGC ? 0.12 : 0.2;

        snprintf(pd->name, sizeof(pd->name), "%s-%s-%05d", shape_names[shape],
                 shape == ROLLOUT && k >= n / 2 ? "7d9f8c6b5" : "5c4b7d8f9", k * 7 + variant);
        pd->first = 0;
        pd->last = N_MIN;
        if (shape == ROLLOUT) {
            pd->first = k >= n / 2 ? mid : 0;
            pd->last = k >= n / 2 ? N_MIN : mid + 2;
        }
        pd->cpu_lim = shape == THROTTLED ? 0.5 : 0;
        pd->mem_lim = shape == OOM ? 512 * MI : shape == THROTTLED ? 512 * MI : 0;
        pd->cpu_req = shape == THROTTLED ? 0.5 : 0.25;
        pd->mem_req = 512 * MI;
        pd->restart_every = shape == LEAK ? MIN_PER_DAY : 0;
        int off = (int)(vary(variant, 180, 0.3, 2.0)) + 7 * k;
        for (int i = 0; i < N_MIN; i++) {
            int since =
                pd->restart_every ? ((i - off) % MIN_PER_DAY + MIN_PER_DAY) % MIN_PER_DAY : 0;
            double c, m, live;

            pd->cpu[i] = pd->mem[i] = pd->mem_sample[i] = 0;
            if (i < pd->first || i >= pd->last)
                continue;
            cn = 0.7 * cn + 0.714 * gauss();
            mn = 0.95 * mn + 0.312 * gauss();
            c = cpu_level(shape, &p, k, i, n) * exp(sig * cn - sig * sig / 2);
            pd->cpu[i] = (float)fmax(0.001, c);
            m = mem_level(shape, &p, k, i, n, since) * (1 + 0.015 * mn);
            if (shape == GOGC) {
                /* the heap grows to 2x live between GCs; samples land anywhere */
                double period = 4.0 / (0.5 + day_curve(i, 15));
                double before = phase;

                live = m;
                phase += 1.0 / period;
                pd->mem[i] = (float)(30 * MI + (floor(phase) > floor(before)
                                                    ? 2 * live
                                                    : live * (1 + phase - floor(phase))));
                pd->mem_sample[i] = (float)(30 * MI + live * (1 + phase - floor(phase)));
            } else {
                pd->mem[i] = (float)fmax(8 * MI, m);
                pd->mem_sample[i] = pd->mem[i];
            }
        }
    }
}

/* ---- recording and feeding ---------------------------------------------- */

static double tmin(int i)
{
    return T0 + (double)(i - HIST_MIN) * 60 + NOW_OFFSET * 60;
}

static void feed(const workload *w, rec_state **sp, int checkpoint)
{
    int down[MAX_PODS] = {0};

    for (int i = 0; i < HIST_MIN; i++) {
        double periods = 0, throttled = 0;

        for (int k = 0; k < w->n; k++) {
            const pod *p = &w->pods[k];
            double u, act, frac;

            if (i < p->first || i >= p->last || i < down[k])
                continue;
            if (p->mem_lim > 0 && p->mem[i] > p->mem_lim) {
                rec_state_add_oom(*sp, tmin(i), (int64_t)p->mem_lim);
                down[k] = i + 2;
                continue;
            }
            u = p->cpu_lim > 0 && p->cpu[i] > p->cpu_lim ? p->cpu_lim : p->cpu[i];
            rec_state_add_cpu(*sp, p->name, tmin(i), u);
            rec_state_add_memory(*sp, p->name, tmin(i),
                                 p->mem_lim > 0 ? fmin(p->mem_sample[i], p->mem_lim)
                                                : p->mem_sample[i]);
            act = 600 * fmin(1.0, 0.4 + p->cpu[i]);
            frac = p->cpu_lim > 0
                       ? fmin(1, fmax(0, (p->cpu[i] - 0.7 * p->cpu_lim) / (0.6 * p->cpu_lim)))
                       : 0;
            periods += act;
            throttled += floor(act * frac);
        }
        if (periods > 0)
            rec_state_add_throttling(*sp, tmin(i), periods, throttled);
        if (checkpoint && i % MIN_PER_DAY == MIN_PER_DAY - 1) {
            dynbuf b;
            rec_state *n = NULL;
            snug_err err;

            dynbuf_init(&b, 1 << 20);
            rec_state_trim(*sp, tmin(i) - 7 * 86400.0);
            if (rec_state_save(*sp, &b, &err) != SNUG_OK ||
                rec_state_load(b.buf, b.len, &n, &err) != SNUG_OK) {
                fprintf(stderr, "checkpoint: %s\n", err.msg);
                exit(1);
            }
            if (getenv("CKPT_SIZES"))
                fprintf(stderr, "checkpoint %zu bytes\n", b.len);
            dynbuf_free(&b);
            rec_state_free(*sp);
            *sp = n;
        }
    }
}

/* ---- peers -------------------------------------------------------------- */

/* VPA-style histogram: bucket k starts at first * (ratio^k - 1) / (ratio - 1). */
#define VB 1200
typedef struct vhist {
    double first, w[VB];
} vhist;

static int vbucket(const vhist *h, double v)
{
    int b = (int)floor(log(v * 0.05 / h->first + 1) / log(1.05));

    return b < 0 ? 0 : b >= VB ? VB - 1 : b;
}

static double vstart(const vhist *h, int b)
{
    return h->first * (pow(1.05, b) - 1) / 0.05;
}

static double vpct(const vhist *h, double p)
{
    double tot = 0, cum = 0;

    for (int b = 0; b < VB; b++)
        tot += h->w[b];
    for (int b = 0; b < VB; b++) {
        cum += h->w[b];
        if (tot > 0 && cum >= p * tot)
            return vstart(h, b + 1);
    }
    return 0;
}

static void vpa(const workload *w, double *cpu, double *mem)
{
    static vhist hc, hm;
    double now = tmin(HIST_MIN);

    memset(&hc, 0, sizeof(hc));
    memset(&hm, 0, sizeof(hm));
    hc.first = 0.01;
    hm.first = 1e7;
    for (int k = 0; k < w->n; k++) {
        const pod *p = &w->pods[k];
        double peak = 0, oom_peak = 0, end = -1;
        int down = 0;

        for (int i = p->first; i < p->last && i < HIST_MIN; i++) {
            double t = tmin(i), u;

            if (i < down)
                continue;
            if (end < 0)
                end = t + 86400;
            if (t >= end) {
                hm.w[vbucket(&hm, fmax(peak, oom_peak))] += exp2((end - now) / 86400);
                peak = oom_peak = 0;
                end += 86400;
            }
            if (p->mem_lim > 0 && p->mem[i] > p->mem_lim) {
                double used = fmax(p->mem_req, peak);

                oom_peak = fmax(oom_peak, fmax(used + 100 * MI, used * 1.2));
                down = i + 2;
                continue;
            }
            u = p->cpu_lim > 0 ? fmin(p->cpu[i], p->cpu_lim) : p->cpu[i];
            hc.w[vbucket(&hc, u)] += fmax(p->cpu_req, 0.1) * exp2((t - now) / 86400);
            peak =
                fmax(peak, p->mem_lim > 0 ? fmin(p->mem_sample[i], p->mem_lim) : p->mem_sample[i]);
        }
        if (fmax(peak, oom_peak) > 0)
            hm.w[vbucket(&hm, fmax(peak, oom_peak))] += exp2((end - now) / 86400);
    }
    *cpu = fmax(vpct(&hc, 0.9) * 1.15, 0.025);
    *mem = fmax(vpct(&hm, 0.9) * 1.15, 250 * MI);
}

static int cmp_f(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;

    return x < y ? -1 : x > y;
}

static void krr(const workload *w, double *cpu, double *mem)
{
    static float buf[N_MIN];

    *cpu = 0.01;
    *mem = 0;
    for (int k = 0; k < w->n; k++) {
        const pod *p = &w->pods[k];
        int n = 0;

        for (int i = p->first; i < p->last && i < HIST_MIN; i++) {
            if (p->mem_lim > 0 && p->mem[i] > p->mem_lim)
                continue;
            buf[n++] = (float)(p->cpu_lim > 0 ? fmin(p->cpu[i], p->cpu_lim) : p->cpu[i]);
            *mem =
                fmax(*mem, p->mem_lim > 0 ? fmin(p->mem_sample[i], p->mem_lim) : p->mem_sample[i]);
        }
        if (n == 0)
            continue;
        qsort(buf, (size_t)n, sizeof(buf[0]), cmp_f);
        *cpu = fmax(*cpu, buf[(int)floor(0.95 * (n - 1))]);
    }
    *mem = fmax(ceil(*mem * 1.15 / MI) * MI, 100 * MI);
}

/* ---- scoring ------------------------------------------------------------ */

typedef struct tally {
    double alloc, used, minutes, short_m, oom_m;
} tally;

static void score(const workload *w, double target, double limit, int mem, tally *t)
{
    for (int k = 0; k < w->n; k++) {
        const pod *p = &w->pods[k];

        for (int i = HIST_MIN > p->first ? HIST_MIN : p->first; i < p->last; i++) {
            double d = mem ? p->mem[i] : p->cpu[i];

            t->alloc += target;
            t->used += d;
            t->minutes += 1;
            t->short_m += d > target;
            t->oom_m += limit > 0 && d > limit;
        }
    }
}

static void tally_add(tally *a, const tally *b)
{
    a->alloc += b->alloc;
    a->used += b->used;
    a->minutes += b->minutes;
    a->short_m += b->short_m;
    a->oom_m += b->oom_m;
}

static void print_tally(const char *who, const tally *t)
{
    printf(" %s %6.1f%% %5.2f%%", who, (t->alloc / t->used - 1) * 100,
           t->short_m / t->minutes * 100);
}

int main(int argc, char **argv)
{
    static workload w;
    int variants = argc > 1 ? atoi(argv[1]) : 1;
    double hl = argc > 2 ? atof(argv[2]) * 3600 : 0;
    policy_recommender pr = {7 * 86400, 0.9, 1.0, 0.15, 86400, 1.2, 100 * (int64_t)MI};
    policy_resources res = {0};
    policy_goruntime go = {GO_DETECT_AUTO, 0.9, GOMAXPROCS_WHEN_NO_CPU_LIMIT};
    tally tot[3][2];

    /* policy overrides, to see how the parameters move the figures */
    if (getenv("CPU_PCT"))
        pr.cpu_percentile = atof(getenv("CPU_PCT"));
    if (getenv("MEM_PCT"))
        pr.memory_percentile = atof(getenv("MEM_PCT"));
    if (getenv("MARGIN"))
        pr.safety_margin = atof(getenv("MARGIN"));

    memset(tot, 0, sizeof(tot));
    res.min_allowed = (res_amounts){10, 32 * (int64_t)MI};
    res.max_allowed = (res_amounts){8000, 16384 * (int64_t)MI};
    res.cpu_limit.strategy = LIMIT_NONE;
    res.memory_limit = (limit_rule){LIMIT_RATIO, 1.0};
    printf("%-9s %-3s | %-18s | %-18s | %-18s || %-18s | %-18s | %-18s | oom%%\n", "shape", "var",
           "cpu snug w/s", "cpu vpa", "cpu krr", "mem snug", "mem vpa", "mem krr");
    for (int v = 0; v < variants; v++) {
        for (int sh = 0; sh < N_SHAPES; sh++) {
            rec_state *s = rec_state_new();
            rec_inputs in = {
                &pr, &res,           &go, {250, 512 * (int64_t)MI}, {RES_UNSET, RES_UNSET}, false,
                0,   tmin(HIST_MIN), 0};
            rec_result r;
            snug_err err;
            tally t[3][2];
            double vc, vm, kc, km;

            memset(t, 0, sizeof(t));
            gen_workload(sh, v, &w);
            if (hl > 0)
                rec_state_set_half_life(s, hl);
            if (w.pods[0].cpu_lim > 0)
                in.current_limits.cpu_milli = (int64_t)(w.pods[0].cpu_lim * 1000);
            if (w.pods[0].mem_lim > 0)
                in.current_limits.mem_bytes = (int64_t)w.pods[0].mem_lim;
            feed(&w, &s, 1);
            rec_state_trim(s, tmin(HIST_MIN) - 7 * 86400.0);
            if (recommender_compute(s, &in, &r, &err) != SNUG_OK) {
                fprintf(stderr, "%s\n", err.msg);
                return 1;
            }
            vpa(&w, &vc, &vm);
            krr(&w, &kc, &km);
            score(&w, r.c.target.cpu_milli / 1000.0, 0, 0, &t[0][0]);
            score(&w, (double)r.c.target.mem_bytes, (double)r.c.limits.mem_bytes, 1, &t[0][1]);
            score(&w, vc, 0, 0, &t[1][0]);
            score(&w, vm, 0, 1, &t[1][1]);
            score(&w, kc, 0, 0, &t[2][0]);
            score(&w, km, km, 1, &t[2][1]);
            printf("%-9s %-3d |", shape_names[sh], v);
            for (int res_i = 0; res_i < 2; res_i++)
                for (int who = 0; who < 3; who++) {
                    print_tally(who == 0 ? "" : "", &t[who][res_i]);
                    tally_add(&tot[who][res_i], &t[who][res_i]);
                    printf(" |");
                }
            printf(" %.2f %s\n", t[0][1].oom_m / t[0][1].minutes * 100,
                   getenv("REASONS") ? r.reason : "");
            rec_state_free(s);
        }
    }
    printf("%-13s |", "TOTAL");
    for (int res_i = 0; res_i < 2; res_i++)
        for (int who = 0; who < 3; who++) {
            print_tally("", &tot[who][res_i]);
            printf(" |");
        }
    printf(" %.2f\n", tot[0][1].oom_m / tot[0][1].minutes * 100);
    return 0;
}

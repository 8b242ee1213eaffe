/* recommender.c -- from a container's rec_state to its recommendation (see
 * recommender.h and docs/recommender-algorithm.md). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/quantity.h"
#include "controller/recommender.h"
#include "controller/recommender_trend.h"

#define DAY             86400.0
#define MIB             1048576.0
#define DEFAULT_WINDOW  (7 * DAY)
#define HORIZON_MAX     (7 * DAY)
#define FULL_DAY        (20 * 3600.0) /* a day with this span of samples counts as whole */
#define LOWER_PCT       0.5
#define UPPER_PCT       0.99
#define SATURATED       0.85  /* usage at this share of the limit is "at the limit" */
#define CONF_SAMPLES    30.0  /* samples for full confidence from the count alone */
#define FULL_CONF       0.9   /* history of this share of the window: full confidence */
#define GAP_MASS        0.02  /* a lower level this close to the percentile ... */
#define GAP_RATIO       1.5   /* ... and this many times below it is taken instead */
#define GAP_STEP        0.005 /* the walk down the quantile curve */
#define MEM_MARGIN_MIN  0.05  /* the least memory margin a steady week of peaks earns */
#define MEM_SPREAD_K    2.0   /* margin per unit of spread of the daily peaks */
#define MEM_SPREAD_DAYS 5     /* whole days of peaks needed to trust their spread */

/* What the window holds, gathered from the daily records. */
typedef struct wstats {
    double now, since, window, half_life;
    uint64_t cpu_n, mem_n;
    double t_first, t_last;
    double cpu_max, mem_max, mem_max_t;
    double thr_periods, thr_throttled;
    double cpu_eff_t, cpu_eff_w; /* decay-weighted mean time of the CPU samples, weight */
    double cd_t[REC_MAX_DAYS], cd_v[REC_MAX_DAYS]; /* whole days: CPU mean */
    double md_t[REC_MAX_DAYS], md_v[REC_MAX_DAYS]; /* whole days: memory peak */
    size_t n_cd, n_md;
    int ooms;
    int64_t oom_limit; /* the highest known limit of an OOM kill; RES_UNSET */
    /* what the targets come from: all Pods, or the newest template's
     * (those Pods' first sample at gen_since) */
    bool gen;
    double gen_since;
    const histogram *cpu_h;
    double use_cpu_max, use_mem_max;
} wstats;

/* One resource before rounding (cores or bytes). */
typedef struct raw {
    double target, lower, upper;
} raw;

static void reason_add(rec_result *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void reason_add(rec_result *out, const char *fmt, ...)
{
    size_t len = strlen(out->reason);
    va_list ap;

    if (len + 3 >= sizeof(out->reason))
        return;
    if (len > 0) {
        memcpy(out->reason + len, "; ", 3);
        len += 2;
    }
    va_start(ap, fmt);
    vsnprintf(out->reason + len, sizeof(out->reason) - len, fmt, ap);
    va_end(ap);
}

static void gather_day(wstats *w, const rec_day *d)
{
    double first = d->t_first > w->since ? d->t_first : w->since;
    double centre = (d->t_first + d->t_last) / 2;
    double wt = d->cpu_n * exp2((centre - w->now) / w->half_life);

    w->cpu_n += d->cpu_n;
    w->mem_n += d->mem_n;
    if (d->t_last > 0) {
        if (w->t_first == 0 || first < w->t_first)
            w->t_first = first;
        if (d->t_last > w->t_last)
            w->t_last = d->t_last;
    }
    if (d->cpu_n > 0 && d->cpu_max > w->cpu_max)
        w->cpu_max = d->cpu_max;
    if (d->mem_n > 0 && d->mem_max > w->mem_max) {
        w->mem_max = d->mem_max;
        w->mem_max_t = centre;
    }
    w->thr_periods += d->thr_periods;
    w->thr_throttled += d->thr_throttled;
    w->cpu_eff_t += wt * centre;
    w->cpu_eff_w += wt;
    if (d->t_last - d->t_first >= FULL_DAY && d->t_first >= w->since) {
        if (d->cpu_n > 0) {
            w->cd_t[w->n_cd] = centre;
            w->cd_v[w->n_cd++] = d->cpu_sum / d->cpu_n;
        }
        if (d->mem_n > 0) {
            w->md_t[w->n_md] = centre;
            w->md_v[w->n_md++] = d->mem_max;
        }
    }
}

static void gather(const rec_state *s, const rec_inputs *in, wstats *w)
{
    const rec_day *days;
    const rec_oom *ooms;
    size_t nd = rec_state_days(s, &days), no = rec_state_ooms(s, &ooms);

    memset(w, 0, sizeof(*w));
    w->now = in->now;
    w->window =
        in->params->window_seconds > 0 ? (double)in->params->window_seconds : DEFAULT_WINDOW;
    w->since = in->now - w->window;
    w->half_life = rec_state_cpu(s)->half_life;
    w->oom_limit = RES_UNSET;
    for (size_t i = 0; i < nd; i++) {
        if ((double)(days[i].day + 1) * DAY <= w->since || (double)days[i].day * DAY > in->now)
            continue;
        gather_day(w, &days[i]);
    }
    w->cpu_eff_t = w->cpu_eff_w > 0 ? w->cpu_eff_t / w->cpu_eff_w : w->t_last;
    for (size_t i = 0; i < no; i++) {
        if (ooms[i].t < w->since || ooms[i].t > in->now)
            continue;
        w->ooms++;
        if (ooms[i].limit_bytes > w->oom_limit)
            w->oom_limit = ooms[i].limit_bytes;
    }
}

static int64_t cpu_milli_up(double cores)
{
    double m = ceil(cores * 1000.0 - 1e-6);

    if (!(m > 0))
        return 0;
    return m > 9e15 ? (int64_t)9e15 : (int64_t)m;
}

static int64_t mem_up(double bytes)
{
    double b = ceil(bytes - 1e-6);

    if (!(b > 0))
        return 0;
    return mem_round_up_mib(b > 9e18 ? (int64_t)9e18 : (int64_t)b);
}

static int64_t clamp_res(int64_t v, int64_t lo, int64_t hi)
{
    if (lo != RES_UNSET && v < lo)
        v = lo;
    if (hi != RES_UNSET && v > hi)
        v = hi;
    return v;
}

/* Confidence in [0, 1]: history against the window, and the sample count. */
static double confidence(const wstats *w)
{
    double hist = w->t_last > w->t_first ? w->t_last - w->t_first : 0;
    double n = (double)(w->cpu_n > w->mem_n ? w->cpu_n : w->mem_n);
    double c = hist / (FULL_CONF * w->window);

    if (c > 1)
        c = 1;
    if (n < CONF_SAMPLES)
        c *= n / CONF_SAMPLES;
    return c;
}

/* How far ahead a trend is projected: CPU (a typical demand) to half the
 * window ahead, memory (a peak a Pod created now must survive for most of its
 * life) to three quarters of a window ahead; at most HORIZON_MAX. In the
 * offline scorer (growth of 2-6 %/day) 3/4 of a window left no memory
 * shortfall, half a window up to 4 %, a whole window cost 8 points more
 * waste on growing workloads than 3/4. */
static double horizon(const wstats *w, bool memory)
{
    double h = memory ? w->window * 3 / 4 : w->window / 2;

    return h < HORIZON_MAX ? h : HORIZON_MAX;
}

/* The p-quantile of CPU demand when usage was capped at `lim`: below the
 * share of samples at the cap it is what was seen; above it, the quantile
 * curve is continued past the cap with the slope it had just below it (at
 * most to 2 x lim). With (almost) every sample at the cap there is no slope
 * to continue: lim x (1 + throttled ratio). */
static double uncensor(const histogram *h, double p, double lim, double ratio)
{
    double capped = hist_share_above(h, 0.95 * lim), p0 = 1 - capped, width, qa, qb, q;

    if (p <= p0)
        return hist_percentile(h, p);
    width = p0 / 2 < 0.2 ? p0 / 2 : 0.2;
    if (width < 0.02)
        return lim * (1 + (ratio > 1 ? 1 : ratio));
    qa = hist_percentile(h, p0 - width);
    qb = fmin(hist_percentile(h, p0), lim);
    q = lim + (qb > qa ? (qb - qa) / width : 0) * (p - p0);
    return q < 2 * lim ? q : 2 * lim;
}

/* Throttled: usage under-reports demand. It is known from the CFS counters
 * (throttled periods above the threshold) or, where they are missing, from
 * usage itself: more than 1 - cpuPercentile of the samples pinned at the
 * Pod's CPU limit. The upper bound goes to what the demand was likely to
 * burst to, the target too when it sat at the limit. */
static void throttled(const rec_inputs *in, const wstats *w, double *pt, double *phi,
                      rec_result *out)
{
    double thr =
        in->throttle_threshold > 0 ? in->throttle_threshold : REC_DEFAULT_THROTTLE_THRESHOLD;
    double ratio = w->thr_periods > 0 ? w->thr_throttled / w->thr_periods : 0, up;
    double lim = in->current_limits.cpu_milli > 0 ? in->current_limits.cpu_milli / 1000.0 : 0;
    double pinned = lim > 0 ? hist_share_above(w->cpu_h, 0.95 * lim) : 0, raised = 0;
    bool counters = ratio > thr, at_limit = pinned > 1 - in->params->cpu_percentile + 0.01;

    if (!counters && !at_limit)
        return;
    out->flags |= REC_THROTTLED;
    if (!(lim > 0))
        lim = w->use_cpu_max;
    if (!(lim > 0))
        return;
    up = fmax(uncensor(w->cpu_h, UPPER_PCT, lim, ratio), lim * (1 + (ratio > 1 ? 1 : ratio)));
    if (*phi < up)
        *phi = up;
    if (*pt >= SATURATED * lim)
        raised = uncensor(w->cpu_h, in->params->cpu_percentile, lim, ratio);
    if (counters)
        reason_add(out, "throttled in %.0f%% of CFS periods at a %.0fm limit", ratio * 100,
                   lim * 1000);
    else
        reason_add(out, "usage at the %.0fm limit in %.0f%% of samples", lim * 1000, pinned * 100);
    if (raised > *pt)
        reason_add(out,
                   "demand is above what was seen: target estimated past the limit from "
                   "%.0fm, upper bound from %.0fm",
                   raised * 1000, up * 1000);
    else
        reason_add(out, "target kept, upper bound from %.0fm", up * 1000);
    if (raised > *pt)
        *pt = raised;
}

/* The CPU percentile, unless a much lower usage level is close below it
 * (batch work, bursts: two levels with a few ramp samples between them):
 * walking down the quantile curve from p in steps of GAP_STEP, the first
 * point at most 1 / GAP_RATIO of the percentile where the curve is flat (the
 * next step down changes it by at most 5 %: a dense level, not a ramp) and
 * within GAP_MASS of p is the target: above the demand at most GAP_MASS more
 * often, at a fraction of the cost. Anything else keeps the percentile. */
static double cpu_percentile(const histogram *h, double p, rec_result *out)
{
    double pt = hist_percentile(h, p), q, below;

    if (p <= GAP_MASS + GAP_STEP || p >= 1)
        return pt;
    for (double d = GAP_STEP; d <= GAP_MASS + 1e-9; d += GAP_STEP) {
        q = hist_percentile(h, p - d);
        below = hist_percentile(h, p - d - GAP_STEP);
        if (GAP_RATIO * q >= pt || q > 1.05 * below)
            continue;
        reason_add(out,
                   "p%g of CPU sits just above a much lower usage level: target from that "
                   "level, %.0fm, not %.0fm",
                   p * 100, q * 1000, pt * 1000);
        return q;
    }
    return pt;
}

/* CPU demand from the histogram, the trend and throttling (cores). */
static void cpu_raw(const rec_inputs *in, const wstats *w, double widen, raw *r, rec_result *out)
{
    const histogram *h = w->cpu_h;
    double m = 1 + in->params->safety_margin;
    double pt = cpu_percentile(h, in->params->cpu_percentile, out);
    double plo = hist_percentile(h, LOWER_PCT), phi = hist_percentile(h, UPPER_PCT);
    rec_trend tr;
    double f;

    if (w->use_cpu_max > 0 && phi > w->use_cpu_max)
        phi = w->use_cpu_max; /* interpolation never goes past what was seen */
    if (pt > phi)
        pt = phi;
    recommender_trend_fit(w->cd_t, w->cd_v, w->n_cd, &tr);
    f = recommender_trend_factor(&tr, w->cpu_eff_t, w->now + horizon(w, false));
    if (f > 1.005) {
        out->flags |= REC_TREND;
        reason_add(out, "CPU grows %.1f%%/day: sized for +%.0f%% by %.1f days ahead",
                   (exp(tr.slope) - 1) * 100, (f - 1) * 100, horizon(w, false) / DAY);
    }
    throttled(in, w, &pt, &phi, out);
    r->target = pt * m * f;
    r->lower = plo * m * f / widen;
    r->upper = phi * m * f * widen;
}

/* The OOM floor: max(limit x ratio, limit + min) for the highest limit an
 * OOM kill happened at (else the current limit, else the peak seen). */
static double oom_floor(const rec_inputs *in, const wstats *w, double *at)
{
    double lim = (double)w->oom_limit;

    if (w->oom_limit <= 0)
        lim = in->current_limits.mem_bytes > 0 ? (double)in->current_limits.mem_bytes : w->mem_max;
    *at = lim;
    if (!(lim > 0))
        return 0;
    return fmax(lim * in->params->oom_bump_ratio, lim + (double)in->params->oom_bump_min_bytes);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* The median of v[0..n) (n > 0); sorts v. */
static double median_of(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* The memory margin. A peak taken over a window of days is a known level,
 * not an estimate: the margin on top of it only has to cover a future day
 * whose peak beats every day seen. That is likely large when the daily peaks
 * varied and small when they all came close to the same level. So: with at
 * least MEM_SPREAD_DAYS whole days at full confidence, the spread of the
 * daily peaks above their median, s = max / median - 1, gives
 * MEM_MARGIN_MIN + MEM_SPREAD_K x s; never more than the policy's
 * safetyMargin (a short or ragged history gets all of it), never less than
 * the smaller of the two. A growing series keeps the whole margin (the
 * projection adds its own error), and after a rollout only the new
 * template's days count. */
static double mem_margin(const rec_inputs *in, const wstats *w, const rec_trend *tr, double conf)
{
    double m = in->params->safety_margin, r[REC_MAX_DAYS], hi = 0, med, s;
    size_t n = 0;

    if (w->n_md < MEM_SPREAD_DAYS || conf < 1 || m <= MEM_MARGIN_MIN)
        return m;
    if (tr->found)
        return m; /* a projection adds its own error: the margin stays whole */
    for (size_t i = 0; i < w->n_md; i++) {
        double v = w->md_v[i];

        if (!(v > 0) || (w->gen && w->md_t[i] - FULL_DAY / 2 < w->gen_since))
            continue; /* sized from the new template: its days only */
        r[n++] = v;
        hi = v > hi ? v : hi;
    }
    if (n < MEM_SPREAD_DAYS)
        return m;
    med = median_of(r, n);
    s = hi / med - 1;
    return fmin(m, MEM_MARGIN_MIN + MEM_SPREAD_K * s);
}

/* Memory from the interval peaks, the trend and OOM kills (bytes). */
static void mem_raw(const histogram *peaks, const rec_inputs *in, const wstats *w, double widen,
                    raw *r, double *floor_out, rec_result *out)
{
    double m = 1 + in->params->safety_margin, p = in->params->memory_percentile, mt;
    double peak = w->use_mem_max, plo = hist_percentile(peaks, LOWER_PCT);
    rec_trend tr;
    double f, fl = 0, at = 0, top = w->use_mem_max;

    if (p < 1 && hist_percentile(peaks, p) < peak)
        peak = hist_percentile(peaks, p);
    if (plo > peak)
        plo = peak;
    if (w->ooms > 0)
        fl = oom_floor(in, w, &at);
    *floor_out = fl;
    if (fl > peak) {
        /* the kill hid the real peak: it was at least the floor */
        peak = fl;
        out->flags |= REC_OOM_BUMP;
    }
    if (fl > top)
        top = fl;
    recommender_trend_fit(w->md_t, w->md_v, w->n_md, &tr);
    f = recommender_trend_factor(&tr, w->mem_max_t, w->now + horizon(w, true));
    mt = 1 + mem_margin(in, w, &tr, out->c.confidence);
    if (f > 1.005) {
        out->flags |= REC_TREND;
        reason_add(out, "memory grows %.1f%%/day: sized for +%.0f%% by %.1f days ahead",
                   (exp(tr.slope) - 1) * 100, (f - 1) * 100, horizon(w, true) / DAY);
    }
    r->target = peak * mt * f;
    r->lower = plo * mt * f / widen;
    r->upper = top * m * f * widen;
    if (out->flags & REC_OOM_BUMP) {
        char a[QUANTITY_STR_MAX], b[QUANTITY_STR_MAX], c[QUANTITY_STR_MAX];

        mem_format_bytes(mem_up(at), a, sizeof(a));
        mem_format_bytes(mem_up(fl), b, sizeof(b));
        mem_format_bytes(mem_up(r->target), c, sizeof(c));
        reason_add(out, "OOM-killed %dx at %s: peak taken as at least %s, memory raised to %s",
                   w->ooms, a, b, c);
    }
}

/* The limit a rule gives for a (rounded) request; < 0 when none. None keeps
 * the Pod's own limit, raised to the request if it is below it. */
static double limit_for(const limit_rule *rule, int64_t target, int64_t cur_req, int64_t cur_lim)
{
    double ratio;

    switch (rule->strategy) {
    case LIMIT_RATIO:
        ratio = rule->ratio >= 1 ? rule->ratio : 1;
        return (double)target * ratio;
    case LIMIT_KEEP_RATIO:
        if (cur_lim <= 0)
            return -1;
        ratio = cur_req > 0 ? (double)cur_lim / (double)cur_req : 1;
        return (double)target * (ratio > 1 ? ratio : 1);
    case LIMIT_NONE:
    default:
        if (cur_lim <= 0)
            return -1;
        return (double)(cur_lim > target ? cur_lim : target);
    }
}

/* Say so when maxAllowed cut a target (it wins over everything else). */
static void capped_note(rec_result *out, const char *what, int64_t want, int64_t max, bool cpu)
{
    char a[QUANTITY_STR_MAX], b[QUANTITY_STR_MAX];

    if (max == RES_UNSET || want <= max)
        return;
    if (cpu) {
        cpu_format_milli(want, a, sizeof(a));
        cpu_format_milli(max, b, sizeof(b));
    } else {
        mem_format_bytes(want, a, sizeof(a));
        mem_format_bytes(max, b, sizeof(b));
    }
    reason_add(out, "%s %s capped at maxAllowed %s", what, a, b);
}

/* Target and bounds, each rounded up already, clamped to [min, max] and
 * ordered lower <= target <= upper. */
static void set_bounds(int64_t target, int64_t lower, int64_t upper, int64_t min, int64_t max,
                       int64_t *t, int64_t *lo, int64_t *hi)
{
    *t = clamp_res(target, min, max);
    *lo = clamp_res(lower, min, max);
    *hi = clamp_res(upper, min, max);
    if (*lo > *t)
        *lo = *t;
    if (*hi < *t)
        *hi = *t;
}

static void cpu_final(const raw *r, const rec_inputs *in, rec_result *out)
{
    const policy_resources *p = in->resources;
    rec_container *c = &out->c;
    double lim;

    capped_note(out, "CPU", cpu_milli_up(r->target), p->max_allowed.cpu_milli, true);
    set_bounds(cpu_milli_up(r->target), cpu_milli_up(r->lower), cpu_milli_up(r->upper),
               p->min_allowed.cpu_milli, p->max_allowed.cpu_milli, &c->target.cpu_milli,
               &c->lower_bound.cpu_milli, &c->upper_bound.cpu_milli);
    lim = limit_for(&p->cpu_limit, c->target.cpu_milli, in->current_requests.cpu_milli,
                    in->current_limits.cpu_milli);
    if (lim >= 0 && (out->flags & REC_THROTTLED) && lim < (double)c->upper_bound.cpu_milli)
        lim = (double)c->upper_bound.cpu_milli;
    if (lim >= 0)
        c->limits.cpu_milli = cpu_milli_up(lim / 1000.0);
}

static void mem_final(const raw *r, double floor, const rec_inputs *in, rec_result *out)
{
    const policy_resources *p = in->resources;
    rec_container *c = &out->c;
    int64_t fl = floor > 0 ? clamp_res(mem_up(floor), RES_UNSET, p->max_allowed.mem_bytes) : 0;
    double lim;

    capped_note(out, "memory", mem_up(r->target), p->max_allowed.mem_bytes, false);
    set_bounds(mem_up(r->target), mem_up(r->lower), mem_up(r->upper), p->min_allowed.mem_bytes,
               p->max_allowed.mem_bytes, &c->target.mem_bytes, &c->lower_bound.mem_bytes,
               &c->upper_bound.mem_bytes);
    lim = limit_for(&p->memory_limit, c->target.mem_bytes, in->current_requests.mem_bytes,
                    in->current_limits.mem_bytes);
    if (lim >= 0 && lim < (double)fl)
        lim = (double)fl;
    if (lim >= 0)
        c->limits.mem_bytes = mem_up(lim);
}

/* GOMEMLIMIT from the memory limit (whole MiB, rounded down: it is a soft
 * limit under the hard one), GOMAXPROCS from the CPU upper bound. */
static void go_final(const rec_inputs *in, rec_result *out)
{
    rec_container *c = &out->c;
    gomaxprocs_mode mode = in->go->gomaxprocs;
    int64_t procs = 0;

    c->is_go = true;
    if (c->limits.mem_bytes > 0) {
        double g = floor((double)c->limits.mem_bytes * in->go->gomemlimit_ratio / MIB) * MIB;

        c->gomemlimit_bytes = g >= MIB ? (int64_t)g : (int64_t)MIB;
    }
    if (mode == GOMAXPROCS_NEVER)
        return;
    if (c->limits.cpu_milli > 0) {
        if (mode == GOMAXPROCS_ALWAYS && in->go_minor < 25)
            procs = (c->limits.cpu_milli + 999) / 1000;
    } else if (c->upper_bound.cpu_milli > 0) {
        procs = (c->upper_bound.cpu_milli + 999) / 1000;
        if (procs < 2)
            procs = 2;
    }
    c->gomaxprocs = procs;
}

static void result_init(rec_result *out)
{
    rec_container *c = &out->c;

    memset(out, 0, sizeof(*out));
    c->target.cpu_milli = c->lower_bound.cpu_milli = c->upper_bound.cpu_milli = RES_UNSET;
    c->target.mem_bytes = c->lower_bound.mem_bytes = c->upper_bound.mem_bytes = RES_UNSET;
    c->limits.cpu_milli = c->limits.mem_bytes = RES_UNSET;
    c->observed.cpu_p50_milli = c->observed.cpu_p90_milli = RES_UNSET;
    c->observed.cpu_p99_milli = c->observed.cpu_max_milli = RES_UNSET;
    c->observed.memory_peak_bytes = RES_UNSET;
}

static void observe(const rec_state *s, const wstats *w, rec_result *out)
{
    rec_observed *o = &out->c.observed;
    const histogram *h = rec_state_cpu(s);

    if (w->cpu_n > 0 && !hist_empty(h)) {
        o->cpu_p50_milli = cpu_milli_up(fmin(hist_percentile(h, 0.5), w->cpu_max));
        o->cpu_p90_milli = cpu_milli_up(fmin(hist_percentile(h, 0.9), w->cpu_max));
        o->cpu_p99_milli = cpu_milli_up(fmin(hist_percentile(h, 0.99), w->cpu_max));
        o->cpu_max_milli = cpu_milli_up(w->cpu_max);
    }
    if (w->mem_n > 0)
        o->memory_peak_bytes = (int64_t)ceil(w->mem_max);
    o->oom_kills = w->ooms;
    o->throttled_ratio = w->thr_periods > 0 ? w->thr_throttled / w->thr_periods : 0;
    o->samples = (int64_t)(w->cpu_n > w->mem_n ? w->cpu_n : w->mem_n);
    o->history_seconds = w->t_last > w->t_first ? (int64_t)(w->t_last - w->t_first) : 0;
}

static void low_confidence(const rec_inputs *in, const wstats *w, rec_result *out)
{
    int64_t hist = out->c.observed.history_seconds;

    if (hist >= in->params->min_history_seconds)
        return;
    out->flags |= REC_LOW_CONFIDENCE;
    reason_add(out, "only %.1fh of history (minHistory %.0fh): low confidence, bounds widened",
               hist / 3600.0, in->params->min_history_seconds / 3600.0);
}

/* Size from the newest Pod template alone when a rollout happened inside the
 * window and the new Pods have run for max(minHistory, window / 4). */
static void choose_source(const rec_state *s, const rec_inputs *in, wstats *w, rec_result *out)
{
    double since, cpu_max, mem_max;
    const histogram *g = rec_state_gen_cpu(s, &since, &cpu_max, &mem_max);
    double need = fmax((double)in->params->min_history_seconds, w->window / 4);

    w->gen = false;
    w->cpu_h = rec_state_cpu(s);
    w->use_cpu_max = w->cpu_max;
    w->use_mem_max = w->mem_max;
    if (!(since > w->since) || w->t_last - since < need || hist_empty(g))
        return;
    w->gen = true;
    w->gen_since = since;
    w->cpu_h = g;
    w->use_cpu_max = cpu_max;
    if (mem_max > 0)
        w->use_mem_max = mem_max;
    reason_add(out, "new Pod template for the last %.1f days: sized from its Pods alone",
               (w->t_last - since) / DAY);
}

static snug_status check_inputs(const rec_state *s, const rec_inputs *in, rec_result *out,
                                snug_err *err)
{
    if (s == NULL || in == NULL || out == NULL || in->params == NULL || in->resources == NULL ||
        in->go == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "recommender: missing state, inputs or policy");
    if (!isfinite(in->now) || in->now <= 0)
        return snug_err_set(err, SNUG_ERR_INVALID, "recommender: bad time %g", in->now);
    return SNUG_OK;
}

snug_status recommender_compute(const rec_state *s, const rec_inputs *in, rec_result *out,
                                snug_err *err)
{
    wstats w;
    raw cpu, mem;
    histogram peaks;
    double widen, floor = 0;
    snug_status st = check_inputs(s, in, out, err);

    if (st != SNUG_OK)
        return st;
    result_init(out);
    gather(s, in, &w);
    observe(s, &w, out);
    if (w.cpu_n == 0 && w.mem_n == 0 && w.ooms == 0) {
        out->flags = REC_NO_METRICS;
        reason_add(out, "no usage samples in the window: no recommendation");
        out->c.is_go = in->is_go;
        return SNUG_OK;
    }
    out->c.confidence = confidence(&w);
    widen = 2 - out->c.confidence;
    low_confidence(in, &w, out);
    choose_source(s, in, &w, out);
    if (w.cpu_n > 0 && !hist_empty(w.cpu_h)) {
        cpu_raw(in, &w, widen, &cpu, out);
        cpu_final(&cpu, in, out);
    }
    st = rec_state_memory_peaks(s, w.gen, &peaks);
    if (st != SNUG_OK)
        return snug_err_set(err, st, "recommender: out of memory");
    if (w.mem_n > 0 || w.ooms > 0) {
        mem_raw(&peaks, in, &w, widen, &mem, &floor, out);
        if (mem.target > 0)
            mem_final(&mem, floor, in, out);
    }
    hist_free(&peaks);
    if (in->is_go)
        go_final(in, out);
    return SNUG_OK;
}

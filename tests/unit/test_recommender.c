/* Unit tests for recommender: constructed series with known answers --
 * rounding, min/maxAllowed, NoMetrics, LowConfidence and bounds, OOM bump
 * (ratio and min branches), throttling, trend on growth but not on daily or
 * weekly cycles or a step, rollouts, limits strategies, Go settings, bad
 * input. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "model/gosize.h"
#include "controller/recommender.h"
#include "controller/rec_state.h"
#include "test.h"

#define T0   1767225600.0 /* 2026-01-01 00:00 UTC, a Thursday */
#define DAY  86400.0
#define MI   1048576.0
#define MIB  ((int64_t)1 << 20)
#define WEEK (7 * 1440)

static policy_recommender g_params;
static policy_resources g_res;
static policy_goruntime g_go;

static void policy_defaults(void)
{
    g_params = (policy_recommender){7 * 86400, 0.9, 1.0, 0.15, 86400, 1.2, 100 * MIB};
    memset(&g_res, 0, sizeof(g_res));
    g_res.min_allowed = (res_amounts){RES_UNSET, RES_UNSET};
    g_res.max_allowed = (res_amounts){RES_UNSET, RES_UNSET};
    g_res.cpu_limit.strategy = LIMIT_NONE;
    g_res.memory_limit = (limit_rule){LIMIT_RATIO, 1.0};
    g_go = (policy_goruntime){GO_DETECT_AUTO, 0.9, GOMAXPROCS_WHEN_NO_CPU_LIMIT};
}

static rec_inputs inputs(double now)
{
    rec_inputs in = {
        &g_params, &g_res, &g_go, {RES_UNSET, RES_UNSET}, {RES_UNSET, RES_UNSET}, false, 0, now, 0};

    return in;
}

typedef double (*level_fn)(int minute, int pod);

/* minutes [0, n) from T0, a sample a minute per Pod; a level < 0 skips it */
static rec_state *feed(int n, int pods, level_fn cpu, level_fn mem)
{
    static const char *names[] = {"app-5c4b7d8f9-aaaaa", "app-5c4b7d8f9-bbbbb",
                                  "app-5c4b7d8f9-ccccc"};
    rec_state *s = rec_state_new();

    for (int i = 0; i < n; i++)
        for (int k = 0; k < pods; k++) {
            if (cpu != NULL && cpu(i, k) >= 0)
                rec_state_add_cpu(s, names[k], T0 + i * 60.0, cpu(i, k));
            if (mem != NULL && mem(i, k) >= 0)
                rec_state_add_memory(s, names[k], T0 + i * 60.0, mem(i, k));
        }
    return s;
}

static rec_result compute(const rec_state *s, const rec_inputs *in)
{
    rec_result r;
    snug_err err;

    memset(&r, 0x5a, sizeof(r));
    CHECK_INT_EQ(recommender_compute(s, in, &r, &err), SNUG_OK);
    return r;
}

static double cpu_const(int i, int k)
{
    return 0.25;
}

static double mem_const(int i, int k)
{
    return 300 * MI;
}

static double mem_odd(int i, int k)
{
    return 300 * MI + 1;
}

/* uniform over [0.1, 0.5) cores, a deterministic scramble of the minute */
static double cpu_uniform(int i, int k)
{
    return 0.1 + 0.4 * ((i * 7919 + k * 104729) % 1000) / 1000.0;
}

static void test_steady(void)
{
    rec_state *s = feed(WEEK, 3, cpu_const, mem_const);
    rec_inputs in = inputs(T0 + 7 * DAY);
    rec_result r = compute(s, &in);

    /* 250m x 1.15 = 287.5m -> 288m; memory: a week of equal daily peaks
     * earns the least margin, 300Mi x 1.05 = 315Mi exactly */
    CHECK_INT_EQ(r.c.target.cpu_milli, 288);
    CHECK_INT_EQ(r.c.target.mem_bytes, 315 * MIB);
    CHECK_INT_EQ(r.c.limits.mem_bytes, 315 * MIB); /* Ratio 1.0 */
    CHECK_INT_EQ(r.c.limits.cpu_milli, RES_UNSET); /* None, and the Pod has no limit */
    CHECK(r.c.lower_bound.cpu_milli <= r.c.target.cpu_milli);
    CHECK(r.c.lower_bound.cpu_milli >= 270);
    CHECK(r.c.upper_bound.cpu_milli >= r.c.target.cpu_milli);
    CHECK(r.c.upper_bound.cpu_milli <= 300);
    CHECK_INT_EQ(r.c.upper_bound.mem_bytes, 345 * MIB);
    CHECK_INT_EQ(r.flags, 0);
    CHECK_STR_EQ(r.reason, "");
    CHECK(r.c.confidence > 0.99);
    CHECK(r.c.name == NULL);
    CHECK(!r.c.is_go);
    CHECK_INT_EQ(r.c.gomaxprocs, 0);
    CHECK_INT_EQ(r.c.gomemlimit_bytes, 0);
    /* observed */
    CHECK_INT_EQ(r.c.observed.cpu_max_milli, 250);
    /* percentiles interpolate inside a 4 % bucket, never past the max */
    CHECK_DBL_NEAR(r.c.observed.cpu_p50_milli, 250, 10);
    CHECK_DBL_NEAR(r.c.observed.cpu_p99_milli, 250, 10);
    CHECK(r.c.observed.cpu_p99_milli <= 250);
    CHECK_INT_EQ(r.c.observed.memory_peak_bytes, 300 * MIB);
    CHECK_INT_EQ(r.c.observed.samples, 3 * WEEK);
    CHECK_INT_EQ(r.c.observed.history_seconds, (WEEK - 1) * 60);
    CHECK_INT_EQ(r.c.observed.oom_kills, 0);
    CHECK_DBL_NEAR(r.c.observed.throttled_ratio, 0, 0);
    rec_state_free(s);
}

static void test_percentile(void)
{
    rec_state *s = feed(WEEK, 2, cpu_uniform, mem_const);
    rec_inputs in = inputs(T0 + 7 * DAY);
    rec_result r = compute(s, &in);

    /* p90 of U[0.1, 0.5) = 0.46, x 1.15 = 529m (within a bucket: 4 %) */
    CHECK_DBL_NEAR(r.c.target.cpu_milli, 529, 529 * 0.04);
    CHECK_DBL_NEAR(r.c.observed.cpu_p50_milli, 300, 300 * 0.04);
    CHECK_DBL_NEAR(r.c.observed.cpu_p90_milli, 460, 460 * 0.04);
    CHECK(r.c.observed.cpu_max_milli <= 500);
    g_params.cpu_percentile = 0.5;
    r = compute(s, &in);
    CHECK_DBL_NEAR(r.c.target.cpu_milli, 345, 345 * 0.04);
    policy_defaults();
    rec_state_free(s);
}

/* batch work: idle 89.5 % of the minutes, ramps 0.5 %, heavy 10 % */
static double cpu_batch(int i, int k)
{
    int m = i % 200;

    return m < 179 ? 0.05 : m < 180 ? 0.7 : 1.5;
}

static double cpu_busy15(int i, int k)
{
    return i % 200 < 170 ? 0.05 : 1.5;
}

static void test_gap(void)
{
    rec_state *s = feed(WEEK, 1, cpu_batch, mem_const);
    rec_inputs in = inputs(T0 + 7 * DAY);
    rec_result r = compute(s, &in);

    /* p90 sits on the ramps between the levels: the idle level is above the
     * demand only 1 % less often, at a fraction of the cost */
    CHECK_DBL_NEAR(r.c.target.cpu_milli, 57, 2); /* 50m x 1.15, inside its bucket */
    CHECK_STR_CONTAINS(r.reason, "p90 of CPU sits just above a much lower usage level");
    /* the upper bound still sees the heavy level */
    CHECK(r.c.upper_bound.cpu_milli >= 1500);
    rec_state_free(s);
    /* busy 15 % of the time: p90 is inside the busy level, which stays */
    s = feed(WEEK, 1, cpu_busy15, mem_const);
    r = compute(s, &in);
    CHECK_DBL_NEAR(r.c.target.cpu_milli, 1725, 1725 * 0.04); /* 1.5 x 1.15, in its bucket */
    CHECK_STR_EQ(r.reason, "");
    rec_state_free(s);
    /* a smooth distribution is left alone */
    s = feed(WEEK, 1, cpu_uniform, mem_const);
    r = compute(s, &in);
    CHECK_STR_EQ(r.reason, "");
    rec_state_free(s);
}

static void test_rounding_and_bounds(void)
{
    rec_state *s = feed(WEEK, 1, cpu_const, mem_odd);
    rec_inputs in = inputs(T0 + 7 * DAY);
    rec_result r = compute(s, &in);

    /* (300Mi + 1) x 1.05 rounds up to the next whole Mi */
    CHECK_INT_EQ(r.c.target.mem_bytes, 316 * MIB);
    CHECK_INT_EQ(r.c.target.mem_bytes % MIB, 0);
    g_params.safety_margin = 0.1234;
    r = compute(s, &in);
    CHECK_INT_EQ(r.c.target.cpu_milli, 281); /* 250 x 1.1234 = 280.85 -> 281 */
    /* min/maxAllowed */
    policy_defaults();
    g_res.max_allowed = (res_amounts){100, 200 * MIB};
    r = compute(s, &in);
    CHECK_INT_EQ(r.c.target.cpu_milli, 100);
    CHECK_STR_CONTAINS(r.reason, "CPU 288m capped at maxAllowed 100m");
    CHECK_INT_EQ(r.c.upper_bound.cpu_milli, 100);
    CHECK_INT_EQ(r.c.lower_bound.cpu_milli, 100);
    CHECK_INT_EQ(r.c.target.mem_bytes, 200 * MIB);
    CHECK_INT_EQ(r.c.limits.mem_bytes, 200 * MIB);
    g_res.max_allowed = (res_amounts){RES_UNSET, RES_UNSET};
    g_res.min_allowed = (res_amounts){1000, 1024 * MIB};
    r = compute(s, &in);
    CHECK_INT_EQ(r.c.target.cpu_milli, 1000);
    CHECK_INT_EQ(r.c.target.mem_bytes, 1024 * MIB);
    CHECK(r.c.lower_bound.mem_bytes >= 1024 * MIB);
    policy_defaults();
    rec_state_free(s);
}

static void test_no_metrics(void)
{
    rec_state *s = rec_state_new();
    rec_inputs in = inputs(T0 + 7 * DAY);
    rec_result r = compute(s, &in);

    CHECK_INT_EQ(r.flags, REC_NO_METRICS);
    CHECK_INT_EQ(r.c.target.cpu_milli, RES_UNSET);
    CHECK_INT_EQ(r.c.target.mem_bytes, RES_UNSET);
    CHECK_INT_EQ(r.c.limits.mem_bytes, RES_UNSET);
    CHECK_INT_EQ(r.c.upper_bound.cpu_milli, RES_UNSET);
    CHECK_INT_EQ(r.c.observed.cpu_p90_milli, RES_UNSET);
    CHECK_INT_EQ(r.c.observed.memory_peak_bytes, RES_UNSET);
    CHECK_INT_EQ(r.c.observed.samples, 0);
    CHECK_DBL_NEAR(r.c.confidence, 0, 0);
    CHECK_STR_CONTAINS(r.reason, "no usage samples");
    rec_state_free(s);
    /* samples that all fell out of the window count as none */
    s = feed(60, 1, cpu_const, mem_const);
    in = inputs(T0 + 30 * DAY);
    r = compute(s, &in);
    CHECK_INT_EQ(r.flags, REC_NO_METRICS);
    /* CPU only: memory stays unset */
    rec_state_free(s);
    s = feed(WEEK, 1, cpu_const, NULL);
    in = inputs(T0 + 7 * DAY);
    r = compute(s, &in);
    CHECK_INT_EQ(r.flags, 0);
    CHECK_INT_EQ(r.c.target.cpu_milli, 288);
    CHECK_INT_EQ(r.c.target.mem_bytes, RES_UNSET);
    CHECK_INT_EQ(r.c.limits.mem_bytes, RES_UNSET);
    rec_state_free(s);
}

static void test_low_confidence(void)
{
    rec_state *s = feed(300, 1, cpu_uniform, mem_const); /* 5 hours */
    rec_inputs in = inputs(T0 + 300 * 60.0);
    rec_result r = compute(s, &in), full;
    rec_state *w = feed(WEEK, 1, cpu_uniform, mem_const);
    rec_inputs inw = inputs(T0 + 7 * DAY);

    full = compute(w, &inw);
    CHECK(r.flags & REC_LOW_CONFIDENCE);
    CHECK(!(full.flags & REC_LOW_CONFIDENCE));
    CHECK_STR_CONTAINS(r.reason, "low confidence");
    CHECK(r.c.confidence < 0.05);
    CHECK(r.c.confidence > 0);
    /* the bounds are wider with little history: nearly twice */
    CHECK(r.c.upper_bound.cpu_milli > 1.8 * full.c.upper_bound.cpu_milli);
    CHECK(r.c.lower_bound.cpu_milli < 0.6 * full.c.lower_bound.cpu_milli);
    CHECK(r.c.upper_bound.mem_bytes > 1.8 * full.c.upper_bound.mem_bytes);
    /* the target itself is still the percentile */
    CHECK_DBL_NEAR(r.c.target.cpu_milli, full.c.target.cpu_milli, 0.06 * full.c.target.cpu_milli);
    rec_state_free(s);
    rec_state_free(w);
}

static void test_oom_bump(void)
{
    static const struct {
        int64_t limit, want_floor;
        const char *at;
    } rows[] = {
        /* ratio branch: 1Gi x 1.2 = 1228.8Mi > 1Gi + 100Mi */
        {1024 * MIB, 1288490189, "1Gi"},
        /* min branch: 256Mi + 100Mi = 356Mi > 256Mi x 1.2 */
        {256 * MIB, 356 * MIB, "256Mi"},
    };

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        rec_state *s = feed(WEEK, 1, cpu_const, mem_const);
        rec_inputs in = inputs(T0 + 7 * DAY);
        rec_result r;
        /* the daily peaks all equal: the least margin, 5 % */
        int64_t want = (int64_t)ceil(rows[i].want_floor * 1.05 / MI) * MIB;

        T_CASE("limit %s", rows[i].at);
        rec_state_add_oom(s, T0 + 3 * DAY, rows[i].limit);
        rec_state_add_oom(s, T0 + 4 * DAY, rows[i].limit);
        r = compute(s, &in);
        CHECK(r.flags & REC_OOM_BUMP);
        CHECK(r.c.target.mem_bytes >= rows[i].want_floor);
        CHECK(r.c.limits.mem_bytes >= rows[i].want_floor);
        /* the floor is a peak the kill hid: the margin goes on top */
        CHECK_INT_EQ(r.c.target.mem_bytes, want);
        CHECK_INT_EQ(r.c.observed.oom_kills, 2);
        CHECK_STR_CONTAINS(r.reason, "OOM-killed 2x at ");
        CHECK_STR_CONTAINS(r.reason, rows[i].at);
        rec_state_free(s);
    }
    /* unknown limit: the Pod's current limit; a kill outside the window: nothing */
    {
        rec_state *s = feed(WEEK, 1, cpu_const, mem_const);
        rec_inputs in = inputs(T0 + 7 * DAY);
        rec_result r;

        rec_state_add_oom(s, T0 + DAY, RES_UNSET);
        in.current_limits.mem_bytes = 512 * MIB;
        r = compute(s, &in);
        CHECK(r.c.target.mem_bytes >= 614 * MIB);
        in.now = T0 + 9 * DAY;
        r = compute(s, &in);
        CHECK(!(r.flags & REC_OOM_BUMP));
        CHECK_INT_EQ(r.c.observed.oom_kills, 0);
        /* maxAllowed wins over the bump */
        in.now = T0 + 7 * DAY;
        g_res.max_allowed.mem_bytes = 400 * MIB;
        r = compute(s, &in);
        CHECK_INT_EQ(r.c.target.mem_bytes, 400 * MIB);
        CHECK_INT_EQ(r.c.limits.mem_bytes, 400 * MIB);
        CHECK_STR_CONTAINS(r.reason, "memory 646Mi capped at maxAllowed 400Mi");
        policy_defaults();
        rec_state_free(s);
    }
    /* a kill with no memory samples at all still gives a memory target */
    {
        rec_state *s = feed(WEEK, 1, cpu_const, NULL);
        rec_inputs in = inputs(T0 + 7 * DAY);
        rec_result r;

        rec_state_add_oom(s, T0 + DAY, 256 * MIB);
        r = compute(s, &in);
        CHECK_INT_EQ(r.c.target.mem_bytes, (int64_t)ceil(356 * 1.15) * MIB);
        rec_state_free(s);
    }
}

/* demand 0.3 + 0.4 x a daily cosine, seen through a 500m limit */
static double demand_daily(int i, int k)
{
    return 0.3 + 0.4 * (0.5 + 0.5 * cos(2 * M_PI * (i % 1440) / 1440.0));
}

static double cpu_capped(int i, int k)
{
    return fmin(demand_daily(i, k), 0.5);
}

/* demand 0.1 + 0.35 x a daily cosine: under a 500m limit, never at it */
static double cpu_below(int i, int k)
{
    return 0.1 + 0.35 * (0.5 + 0.5 * cos(2 * M_PI * (i % 1440) / 1440.0));
}

static void test_throttling(void)
{
    rec_state *s = feed(WEEK, 2, cpu_below, mem_const);
    rec_inputs in = inputs(T0 + 7 * DAY);
    rec_result calm, r;

    in.current_limits.cpu_milli = 500;
    calm = compute(s, &in);
    CHECK(!(calm.flags & REC_THROTTLED));
    for (int d = 0; d < 7; d++)
        rec_state_add_throttling(s, T0 + d * DAY + 3600, 1000, 50); /* 5 %: below 10 % */
    r = compute(s, &in);
    CHECK(!(r.flags & REC_THROTTLED));
    CHECK_DBL_NEAR(r.c.observed.throttled_ratio, 0.05, 1e-9);
    for (int d = 0; d < 7; d++)
        rec_state_add_throttling(s, T0 + d * DAY + 7200, 1000, 450); /* now 25 % */
    r = compute(s, &in);
    CHECK(r.flags & REC_THROTTLED);
    CHECK_DBL_NEAR(r.c.observed.throttled_ratio, 0.25, 1e-9);
    CHECK_STR_CONTAINS(r.reason, "throttled in 25% of CFS periods at a 500m limit");
    CHECK_STR_CONTAINS(r.reason, "target kept");
    /* usage below the limit at the target: the target stays, the upper bound rises */
    CHECK_INT_EQ(r.c.target.cpu_milli, calm.c.target.cpu_milli);
    CHECK(r.c.upper_bound.cpu_milli >= (int64_t)(500 * 1.25 * 1.15));
    /* a threshold of our own */
    in.throttle_threshold = 0.3;
    r = compute(s, &in);
    CHECK(!(r.flags & REC_THROTTLED));
    in.throttle_threshold = 0;
    /* a CPU limit rule: the limit is raised to the upper bound */
    g_res.cpu_limit = (limit_rule){LIMIT_RATIO, 1.0};
    r = compute(s, &in);
    CHECK_INT_EQ(r.c.limits.cpu_milli, r.c.upper_bound.cpu_milli);
    /* None: the Pod's own limit, raised to at least the request */
    g_res.cpu_limit.strategy = LIMIT_NONE;
    r = compute(s, &in);
    CHECK(r.c.limits.cpu_milli >= r.c.target.cpu_milli);
    policy_defaults();
    rec_state_free(s);

    /* usage pinned at the limit, no CFS counters: throttled all the same */
    s = feed(WEEK, 2, cpu_capped, mem_const);
    r = compute(s, &in);
    CHECK(r.flags & REC_THROTTLED);
    CHECK_STR_CONTAINS(r.reason, "usage at the 500m limit in ");
    CHECK_STR_CONTAINS(r.reason, "target estimated past the limit");
    /* the true p90 of demand is 0.69 cores: the estimate goes past 0.5 */
    CHECK(r.c.target.cpu_milli > 575);
    CHECK(r.c.target.cpu_milli < 2 * 690 * 1.15);
    CHECK(r.c.upper_bound.cpu_milli >= r.c.target.cpu_milli);
    /* without a known limit, pinned usage is just usage */
    in.current_limits.cpu_milli = RES_UNSET;
    r = compute(s, &in);
    CHECK(!(r.flags & REC_THROTTLED));
    CHECK_INT_EQ(r.c.target.cpu_milli, 575);
    rec_state_free(s);
}

static int g_growth_per_day_pct;

/* daily cycle x steady growth */
static double cpu_growth(int i, int k)
{
    return (0.2 + 0.2 * (0.5 + 0.5 * cos(2 * M_PI * i / 1440.0))) *
           pow(1 + g_growth_per_day_pct / 100.0, i / 1440.0);
}

static double mem_growth(int i, int k)
{
    return (300 + 50 * sin(2 * M_PI * i / 1440.0)) * MI *
           pow(1 + g_growth_per_day_pct / 100.0, i / 1440.0);
}

/* quiet weekends: T0 is a Thursday, days 2 and 3 are Saturday and Sunday */
static double cpu_weekly(int i, int k)
{
    int day = i / 1440;

    return (day == 2 || day == 3 ? 0.1 : 1.0) * (0.2 + 0.3 * (0.5 + 0.5 * sin(i / 229.0)));
}

/* starting on a Saturday (minute 0 = Saturday 00:00) */
static double cpu_weekend_first(int i, int k)
{
    int day = i / 1440;

    return (day < 2 ? 0.15 : 1.0) * (0.3 + 0.2 * (0.5 + 0.5 * cos(2 * M_PI * i / 1440.0)));
}

static double cpu_step(int i, int k)
{
    return i < WEEK / 2 ? 0.2 : 0.4;
}

static void test_trend(void)
{
    rec_inputs in = inputs(T0 + 7 * DAY);
    rec_state *s;
    rec_result flat, grown;

    g_growth_per_day_pct = 0;
    s = feed(WEEK, 2, cpu_growth, mem_growth);
    flat = compute(s, &in);
    CHECK(!(flat.flags & REC_TREND));
    rec_state_free(s);

    g_growth_per_day_pct = 4;
    s = feed(WEEK, 2, cpu_growth, mem_growth);
    grown = compute(s, &in);
    CHECK(grown.flags & REC_TREND);
    CHECK_STR_CONTAINS(grown.reason, "CPU grows 4.0%/day");
    CHECK_STR_CONTAINS(grown.reason, "memory grows 4.0%/day");
    /* memory: the last day's peak x 1.04^5.75 (from its middle to 3/4 of a window ahead) */
    {
        double peak = 350 * pow(1.04, (WEEK - 1) / 1440.0), want = peak * pow(1.04, 5.75) * 1.15;

        CHECK_DBL_NEAR(grown.c.target.mem_bytes / MI, want, want * 0.03);
    }
    /* CPU: more than the plain percentile, within the cap */
    CHECK(grown.c.target.cpu_milli > 1.15 * 0.4 * pow(1.04, 7) * 1000);
    CHECK(grown.c.target.cpu_milli < 1.5 * 1.15 * 0.4 * pow(1.04, 7) * 1000);
    rec_state_free(s);

    /* a projection is capped at +50 % */
    g_growth_per_day_pct = 30;
    s = feed(WEEK, 1, cpu_growth, mem_growth);
    grown = compute(s, &in);
    CHECK(grown.flags & REC_TREND);
    CHECK_STR_CONTAINS(grown.reason, "+50%");
    rec_state_free(s);

    /* no false trend: weekly cycles, a quiet weekend first, a step */
    s = feed(WEEK, 2, cpu_weekly, mem_const);
    flat = compute(s, &in);
    CHECK(!(flat.flags & REC_TREND));
    rec_state_free(s);
    s = feed(WEEK, 2, cpu_weekend_first, mem_const);
    flat = compute(s, &in);
    CHECK(!(flat.flags & REC_TREND));
    rec_state_free(s);
    s = feed(WEEK, 2, cpu_step, mem_const);
    flat = compute(s, &in);
    CHECK(!(flat.flags & REC_TREND));
    rec_state_free(s);
    /* too little history for a trend */
    g_growth_per_day_pct = 10;
    s = feed(2 * 1440, 1, cpu_growth, mem_growth);
    in.now = T0 + 2 * DAY;
    flat = compute(s, &in);
    CHECK(!(flat.flags & REC_TREND));
    rec_state_free(s);
}

static void test_rollout(void)
{
    rec_state *s = rec_state_new();
    rec_inputs in = inputs(T0 + 7 * DAY);
    rec_result r;

    for (int i = 0; i < WEEK; i++) {
        double t = T0 + i * 60.0;

        if (i < WEEK / 2 + 2) {
            rec_state_add_cpu(s, "api-5c4b7d8f9-aaaaa", t, 0.8);
            rec_state_add_memory(s, "api-5c4b7d8f9-aaaaa", t, 500 * MI);
        }
        if (i >= WEEK / 2) {
            rec_state_add_cpu(s, "api-7d9f8c6b5-bbbbb", t, 0.2);
            rec_state_add_memory(s, "api-7d9f8c6b5-bbbbb", t, 200 * MI);
        }
    }
    r = compute(s, &in);
    CHECK_INT_EQ(r.c.target.cpu_milli, 230);
    CHECK_INT_EQ(r.c.target.mem_bytes, 230 * MIB);
    CHECK_STR_CONTAINS(r.reason, "new Pod template for the last 3.5 days");
    /* what was observed still covers the window */
    CHECK_INT_EQ(r.c.observed.cpu_max_milli, 800);
    /* a day after the rollout the new Pods are not enough yet */
    in.now = T0 + 4.5 * DAY;
    rec_state_free(s);
    s = rec_state_new();
    for (int i = 0; i < WEEK / 2 + 1440; i++) {
        double t = T0 + i * 60.0;

        rec_state_add_cpu(s, i < WEEK / 2 ? "api-5c4b7d8f9-aaaaa" : "api-7d9f8c6b5-bbbbb", t,
                          i < WEEK / 2 ? 0.8 : 0.2);
    }
    r = compute(s, &in);
    CHECK(r.c.target.cpu_milli > 500);
    rec_state_free(s);
}

/* memory: 300Mi, one day (the third) g_bump times that, the rest of the
 * days a 3-day sawtooth of g_wave (0 = flat) */
static double g_bump = 1.0, g_wave = 0.0;

static double mem_day_bump(int i, int k)
{
    int day = i / 1440;

    return 300 * MI * (day == 2 ? g_bump : 1 + g_wave * (day % 3));
}

static void test_memory_margin(void)
{
    static const struct {
        const char *name;
        int minutes;
        double bump, wave, policy_margin;
        int64_t want_mib;
    } rows[] = {
        /* a week of equal daily peaks: the least margin, 5 % */
        {"flat week", WEEK, 1.0, 0, 0.15, 315},
        /* one day 3 % above the others: 5 % + 2 x 3 % = 11 % of 309Mi */
        {"one day +3%", WEEK, 1.03, 0, 0.15, 343},
        /* one day 10 % above: 5 % + 20 % is past the policy's 15 % */
        {"one day +10%", WEEK, 1.10, 0, 0.15, 380},
        /* daily peaks 300 306 300 300 306 312 300Mi: median 300Mi, s = 4 %:
         * 13 % of 312Mi = 352.56Mi */
        {"ragged days", WEEK, 1.0, 0.02, 0.15, 353},
        /* four whole days only: not enough to trust the spread */
        {"four days", 4 * 1440, 1.0, 0, 0.15, 345},
        /* a policy margin below the least margin stays as it is */
        {"policy 3%", WEEK, 1.0, 0, 0.03, 309},
        /* a policy margin of 0 stays 0 */
        {"policy 0", WEEK, 1.0, 0, 0.0, 300},
    };

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        rec_state *s;
        rec_inputs in;
        rec_result r;

        T_CASE("%s", rows[i].name);
        g_bump = rows[i].bump;
        g_wave = rows[i].wave;
        g_params.safety_margin = rows[i].policy_margin;
        s = feed(rows[i].minutes, 1, cpu_const, mem_day_bump);
        in = inputs(T0 + rows[i].minutes * 60.0);
        r = compute(s, &in);
        CHECK_INT_EQ(r.c.target.mem_bytes, rows[i].want_mib * MIB);
        CHECK_INT_EQ(r.c.limits.mem_bytes, rows[i].want_mib * MIB);
        rec_state_free(s);
        policy_defaults();
    }
    g_bump = 1.0;
    g_wave = 0.0;
}

static void test_limits(void)
{
    rec_state *s = feed(WEEK, 1, cpu_const, mem_const);
    rec_inputs in = inputs(T0 + 7 * DAY);
    rec_result r;

    g_res.cpu_limit = (limit_rule){LIMIT_KEEP_RATIO, 0};
    g_res.memory_limit = (limit_rule){LIMIT_KEEP_RATIO, 0};
    in.current_requests = (res_amounts){100, 256 * MIB};
    in.current_limits = (res_amounts){200, 512 * MIB};
    r = compute(s, &in);
    CHECK_INT_EQ(r.c.limits.cpu_milli, 2 * 288);
    CHECK_INT_EQ(r.c.limits.mem_bytes, 2 * 315 * MIB);
    in.current_limits = (res_amounts){RES_UNSET, RES_UNSET};
    r = compute(s, &in);
    CHECK_INT_EQ(r.c.limits.cpu_milli, RES_UNSET);
    CHECK_INT_EQ(r.c.limits.mem_bytes, RES_UNSET);
    g_res.cpu_limit = (limit_rule){LIMIT_RATIO, 1.5};
    g_res.memory_limit = (limit_rule){LIMIT_NONE, 0};
    in.current_limits = (res_amounts){RES_UNSET, 200 * MIB};
    r = compute(s, &in);
    CHECK_INT_EQ(r.c.limits.cpu_milli, 432);
    CHECK_INT_EQ(r.c.limits.mem_bytes, 315 * MIB); /* the Pod's, raised to the request */
    in.current_limits = (res_amounts){RES_UNSET, 1024 * MIB};
    r = compute(s, &in);
    CHECK_INT_EQ(r.c.limits.mem_bytes, 1024 * MIB);
    policy_defaults();
    rec_state_free(s);
}

static double cpu_burst(int i, int k)
{
    return i % 40 == 0 ? 3.2 : 0.3;
}

static void test_go(void)
{
    rec_state *s = feed(WEEK, 1, cpu_const, mem_const);
    rec_inputs in = inputs(T0 + 7 * DAY);
    rec_result r;
    char buf[GOSIZE_STR_MAX];
    int64_t back;
    snug_err err;

    in.is_go = true;
    r = compute(s, &in);
    CHECK(r.c.is_go);
    /* 315Mi x 0.9 = 283.5Mi -> 283MiB (rounded down: a soft limit under the hard one) */
    CHECK_INT_EQ(r.c.gomemlimit_bytes, 283 * MIB);
    gosize_format(r.c.gomemlimit_bytes, buf, sizeof(buf));
    CHECK_STR_EQ(buf, "283MiB");
    CHECK_INT_EQ(gosize_parse(buf, &back, &err), SNUG_OK);
    CHECK_INT_EQ(back, r.c.gomemlimit_bytes);
    /* no CPU limit: at least 2 */
    CHECK_INT_EQ(r.c.gomaxprocs, 2);
    /* no memory limit: no GOMEMLIMIT */
    g_res.memory_limit.strategy = LIMIT_NONE;
    r = compute(s, &in);
    CHECK_INT_EQ(r.c.gomemlimit_bytes, 0);
    policy_defaults();
    /* under a CPU limit: none by default; Always sets it for Go < 1.25 only */
    g_res.cpu_limit = (limit_rule){LIMIT_RATIO, 2.0};
    r = compute(s, &in);
    CHECK_INT_EQ(r.c.limits.cpu_milli, 576);
    CHECK_INT_EQ(r.c.gomaxprocs, 0);
    g_go.gomaxprocs = GOMAXPROCS_ALWAYS;
    in.go_minor = 25;
    r = compute(s, &in);
    CHECK_INT_EQ(r.c.gomaxprocs, 0);
    in.go_minor = 22;
    r = compute(s, &in);
    CHECK_INT_EQ(r.c.gomaxprocs, 1);
    g_go.gomaxprocs = GOMAXPROCS_NEVER;
    g_res.cpu_limit.strategy = LIMIT_NONE;
    r = compute(s, &in);
    CHECK_INT_EQ(r.c.gomaxprocs, 0);
    policy_defaults();
    rec_state_free(s);
    /* bursts to 3.2 cores: the upper bound rounds up to 4 */
    s = feed(WEEK, 1, cpu_burst, mem_const);
    r = compute(s, &in);
    CHECK(r.c.upper_bound.cpu_milli > 3000);
    CHECK_INT_EQ(r.c.gomaxprocs, (r.c.upper_bound.cpu_milli + 999) / 1000);
    in.is_go = false;
    r = compute(s, &in);
    CHECK_INT_EQ(r.c.gomaxprocs, 0);
    CHECK(!r.c.is_go);
    rec_state_free(s);
}

static void test_bad_input(void)
{
    rec_state *s = feed(10, 1, cpu_const, mem_const);
    rec_inputs in = inputs(T0 + DAY);
    rec_result r;
    snug_err err;

    in.params = NULL;
    CHECK_INT_EQ(recommender_compute(s, &in, &r, &err), SNUG_ERR_INVALID);
    in = inputs(NAN);
    CHECK_INT_EQ(recommender_compute(s, &in, &r, &err), SNUG_ERR_INVALID);
    CHECK_STR_CONTAINS(err.msg, "bad time");
    in = inputs(T0 + DAY);
    CHECK_INT_EQ(recommender_compute(NULL, &in, &r, &err), SNUG_ERR_INVALID);
    CHECK_INT_EQ(recommender_compute(s, NULL, &r, &err), SNUG_ERR_INVALID);
    CHECK_INT_EQ(recommender_compute(s, &in, NULL, &err), SNUG_ERR_INVALID);
    /* a window of 0 is taken as 7 days, and `now` before the samples is no crash */
    g_params.window_seconds = 0;
    in.now = T0 - DAY;
    r = compute(s, &in);
    CHECK_INT_EQ(r.flags, REC_NO_METRICS);
    policy_defaults();
    rec_state_free(s);
}

int main(void)
{
    policy_defaults();
    RUN(test_steady);
    RUN(test_percentile);
    RUN(test_gap);
    RUN(test_rounding_and_bounds);
    RUN(test_no_metrics);
    RUN(test_low_confidence);
    RUN(test_oom_bump);
    RUN(test_throttling);
    RUN(test_trend);
    RUN(test_rollout);
    RUN(test_memory_margin);
    RUN(test_limits);
    RUN(test_go);
    RUN(test_bad_input);
    return TEST_DONE();
}

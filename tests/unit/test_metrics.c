/* Unit tests for metrics: registry, text exposition, concurrency, limits. */
#include "base/log.h"
#include "metrics/metrics.h"
#include "test.h"

#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#define L(...) ((const char *const[]){__VA_ARGS__})

static metrics_family *reg_or_fail(metrics_registry *r, metrics_type t, metrics_opts o)
{
    metrics_family *f = NULL;
    snug_err err;

    snug_err_clear(&err);
    if (metrics_register(r, t, &o, &f, &err) != SNUG_OK)
        T_FAIL("register %s: %s", o.name, err.msg);
    return f;
}

/* Render into a fresh malloc'd string (free it). */
static char *render(metrics_registry *r)
{
    dynbuf b;
    snug_err err;

    dynbuf_init(&b, 1 << 20);
    snug_err_clear(&err);
    if (metrics_render(r, &b, &err) != SNUG_OK)
        T_FAIL("render: %s", err.msg);
    return dynbuf_take(&b);
}

static double three(void *ud)
{
    return *(const double *)ud;
}

static void test_render_golden(void)
{
    static const double value_three = 3;
    static const char want[] =
        "# HELP snug_webhook_requests_total Admission requests answered.\n"
        "# TYPE snug_webhook_requests_total counter\n"
        "snug_webhook_requests_total{result=\"mutated\"} 3\n"
        "snug_webhook_requests_total{result=\"skipped\"} 2\n"
        "snug_webhook_requests_total{result=\"error\"} 0.5\n"
        "# HELP snug_cache_objects Objects held by the watch caches.\n"
        "# TYPE snug_cache_objects gauge\n"
        "snug_cache_objects{resource=\"pods\",namespace=\"\"} 12\n"
        "snug_cache_objects{resource=\"namespaces\",namespace=\"kube-system\"} 3\n"
        "# HELP snug_webhook_duration_seconds Time to answer an admission request.\n"
        "# TYPE snug_webhook_duration_seconds histogram\n"
        "snug_webhook_duration_seconds_bucket{operation=\"CREATE\",le=\"0.25\"} 2\n"
        "snug_webhook_duration_seconds_bucket{operation=\"CREATE\",le=\"0.5\"} 3\n"
        "snug_webhook_duration_seconds_bucket{operation=\"CREATE\",le=\"1\"} 4\n"
        "snug_webhook_duration_seconds_bucket{operation=\"CREATE\",le=\"+Inf\"} 5\n"
        "snug_webhook_duration_seconds_sum{operation=\"CREATE\"} 4.625\n"
        "snug_webhook_duration_seconds_count{operation=\"CREATE\"} 5\n"
        "# HELP snug_reloads_total \n"
        "# TYPE snug_reloads_total counter\n"
        "snug_reloads_total 0\n"
        "# HELP snug_build_info Unlabelled gauge.\n"
        "# TYPE snug_build_info gauge\n"
        "snug_build_info 1\n"
        "# HELP snug_lat A histogram without labels or observations.\n"
        "# TYPE snug_lat histogram\n"
        "snug_lat_bucket{le=\"0.5\"} 0\n"
        "snug_lat_bucket{le=\"+Inf\"} 0\n"
        "snug_lat_sum 0\n"
        "snug_lat_count 0\n"
        "# HELP snug_unused_total Labelled, never used.\n"
        "# TYPE snug_unused_total counter\n";
    static const double bounds[] = {0.25, 0.5, 1};
    static const double lat_bounds[] = {0.5, INFINITY};
    static const double obs[] = {3, 0.125, 0.25, 0.5, 0.75};
    metrics_registry *r = metrics_registry_new(0);
    metrics_family *req, *cache, *dur, *reloads, *info, *lat, *unused;
    metrics_child *h;
    char *got;
    size_t i;

    req = reg_or_fail(r, METRICS_COUNTER,
                      (metrics_opts){.name = "snug_webhook_requests_total",
                                     .help = "Admission requests answered.",
                                     .labels = L("result"),
                                     .n_labels = 1,
                                     .buckets = NULL,
                                     .n_buckets = 0});
    cache = reg_or_fail(r, METRICS_GAUGE,
                        (metrics_opts){.name = "snug_cache_objects",
                                       .help = "Objects held by the watch caches.",
                                       .labels = L("resource", "namespace"),
                                       .n_labels = 2,
                                       .buckets = NULL,
                                       .n_buckets = 0});
    dur = reg_or_fail(r, METRICS_HISTOGRAM,
                      (metrics_opts){.name = "snug_webhook_duration_seconds",
                                     .help = "Time to answer an admission request.",
                                     .labels = L("operation"),
                                     .n_labels = 1,
                                     .buckets = bounds,
                                     .n_buckets = 3});
    reloads =
        reg_or_fail(r, METRICS_COUNTER, (metrics_opts){.name = "snug_reloads_total", .help = NULL});
    info = reg_or_fail(r, METRICS_GAUGE,
                       (metrics_opts){.name = "snug_build_info", .help = "Unlabelled gauge."});
    lat = reg_or_fail(r, METRICS_HISTOGRAM,
                      (metrics_opts){.name = "snug_lat",
                                     .help = "A histogram without labels or observations.",
                                     .labels = NULL,
                                     .n_labels = 0,
                                     .buckets = lat_bounds,
                                     .n_buckets = 2});
    unused = reg_or_fail(r, METRICS_COUNTER,
                         (metrics_opts){.name = "snug_unused_total",
                                        .help = "Labelled, never used.",
                                        .labels = L("x"),
                                        .n_labels = 1});
    (void)reloads;
    (void)lat;
    (void)unused;
    for (i = 0; i < 3; i++)
        metrics_counter_inc(metrics_child_get(req, L("mutated")));
    metrics_counter_add(metrics_child_get(req, L("skipped")), 2);
    metrics_counter_add(metrics_child_get(req, L("error")), 0.5);
    metrics_gauge_set(metrics_child_get(cache, L("pods", NULL)), 10);
    metrics_gauge_add(metrics_child_get(cache, L("pods", "")), 2);
    metrics_child_set_fn(metrics_child_get(cache, L("namespaces", "kube-system")), three,
                         (void *)&value_three);
    h = metrics_child_get(dur, L("CREATE"));
    for (i = 0; i < ARRAY_LEN(obs); i++)
        metrics_histogram_observe(h, obs[i]);
    metrics_gauge_set(metrics_child_get(info, NULL), 1);
    got = render(r);
    CHECK_STR_EQ(got, want);
    CHECK_DBL_NEAR(metrics_child_value(metrics_child_get(cache, L("namespaces", "kube-system"))), 3,
                   0);
    CHECK_DBL_NEAR(metrics_child_value(metrics_child_get(req, L("error"))), 0.5, 0);
    CHECK(isnan(metrics_child_value(h)));
    free(got);
    metrics_registry_free(r);
}

static void test_escaping(void)
{
    static const char want[] = "# HELP esc_total back\\\\slash \"quoted\" and\\nnewline\n"
                               "# TYPE esc_total counter\n"
                               "esc_total{v=\"a\\\\b\\\"c\\nd\"} 1\n"
                               "esc_total{v=\"caf\xc3\xa9 {x=1}\"} 1\n";
    metrics_registry *r = metrics_registry_new(0);
    metrics_family *f = reg_or_fail(r, METRICS_COUNTER,
                                    (metrics_opts){.name = "esc_total",
                                                   .help = "back\\slash \"quoted\" and\nnewline",
                                                   .labels = L("v"),
                                                   .n_labels = 1});
    char *got;

    metrics_counter_inc(metrics_child_get(f, L("a\\b\"c\nd")));
    metrics_counter_inc(metrics_child_get(f, L("caf\xc3\xa9 {x=1}")));
    got = render(r);
    CHECK_STR_EQ(got, want);
    free(got);
    metrics_registry_free(r);
}

static void test_value_format(void)
{
    static const struct {
        double v;
        const char *want;
    } cases[] = {
        {0, "0"},
        {-0.0, "-0"},
        {0.1, "0.1"},
        {-0.5, "-0.5"},
        {0.593, "0.593"},
        {0.7 + 0.1, "0.7999999999999999"}, /* another double than 0.8 */
        {123456789, "123456789"},
        {6442450944.0, "6442450944"},
        {1500000, "1500000"},
        {100000, "100000"},
        {1e21, "1e+21"},
        {-1e21, "-1e+21"},
        {1e15, "1000000000000000"},
        {99999999999999984.0, "99999999999999984"}, /* the last integer written out */
        {1e17, "1e+17"},
        {9007199254740993.0, "9007199254740992"}, /* 2^53 + 1 is 2^53 */
        {1.7976931348623157e308, "1.7976931348623157e+308"},
        {1.0 / 3, "0.3333333333333333"},
        {0.1 + 0.2, "0.30000000000000004"},
        {2.5e-7, "2.5e-07"},
        {0.0001, "0.0001"},
        {5e-324, "5e-324"}, /* the smallest subnormal */
        {2.2250738585072014e-308, "2.2250738585072014e-308"},
        {123456789012.5, "123456789012.5"},
        {INFINITY, "+Inf"},
        {-INFINITY, "-Inf"},
        {NAN, "NaN"},
        {-NAN, "NaN"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        metrics_registry *r = metrics_registry_new(0);
        metrics_family *f = reg_or_fail(r, METRICS_GAUGE, (metrics_opts){.name = "g", .help = "h"});
        char want[128], *got;

        T_CASE("%s", cases[i].want);
        metrics_gauge_set(metrics_child_get(f, NULL), cases[i].v);
        snprintf(want, sizeof(want), "# HELP g h\n# TYPE g gauge\ng %s\n", cases[i].want);
        got = render(r);
        CHECK_STR_EQ(got, want);
        free(got);
        metrics_registry_free(r);
    }
}

/* The rendered value of gauge g, read back from the exposition text. */
static void rendered_value(metrics_registry *r, char *out, size_t cap)
{
    char *text = render(r), *line = strstr(text, "\ng ");

    snprintf(out, cap, "%s", line != NULL ? line + 3 : "");
    out[strcspn(out, "\n")] = '\0';
    free(text);
}

/* The %g spelling of v with the fewest digits that reads back (a linear
 * search, independent of the renderer's binary one). */
static void fewest_digits(double v, char *out, size_t cap)
{
    int p;

    for (p = 1; p <= 17; p++) {
        snprintf(out, cap, "%.*g", p, v);
        if (strtod(out, NULL) == v)
            return;
    }
}

/* Doubles of every magnitude, from bit patterns: each rendered value reads
 * back exactly (sign of zero included) and is never longer than the %g
 * spelling with the fewest digits (integers below 1e17: written out). */
static void test_value_format_round_trips(void)
{
    metrics_registry *r = metrics_registry_new(0);
    metrics_family *f = reg_or_fail(r, METRICS_GAUGE, (metrics_opts){.name = "g", .help = "h"});
    uint64_t x = 0x9e3779b97f4a7c15ull;
    int i, bad_trip = 0, too_long = 0, tried = 0;

    for (i = 0; i < 20000; i++) {
        char got[64], fewest[64];
        double v;

        x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
        memcpy(&v, &x, sizeof(v));
        if (i % 4 == 0) /* values of everyday size too: a few decimals */
            v = (double)(x % 100000000) / 1000.0;
        if (i % 16 == 1) /* and integers */
            v = (double)(x % 100000000000ull);
        if (!isfinite(v))
            continue;
        tried++;
        metrics_gauge_set(metrics_child_get(f, NULL), v);
        rendered_value(r, got, sizeof(got));
        if (fabs(v) < 1e17 && v == trunc(v))
            snprintf(fewest, sizeof(fewest), "%.0f", v);
        else
            fewest_digits(v, fewest, sizeof(fewest));
        bad_trip += strtod(got, NULL) != v || signbit(v) != (got[0] == '-');
        too_long += strlen(got) > strlen(fewest);
        if (bad_trip + too_long == 1 && (strtod(got, NULL) != v || strlen(got) > strlen(fewest)))
            T_FAIL("%.17g rendered %s (fewest digits: %s)", v, got, fewest);
    }
    CHECK(tried > 19000);
    CHECK_INT_EQ(bad_trip, 0);
    CHECK_INT_EQ(too_long, 0);
    metrics_registry_free(r);
}

static void test_histogram_buckets(void)
{
    /* buckets 1, 2, 5: le is inclusive */
    static const struct {
        double v;
        uint64_t want[4]; /* cumulative: le=1, le=2, le=5, +Inf */
        const char *sum;
    } cases[] = {
        {-1, {1, 1, 1, 1}, "-1"},         {0, {1, 1, 1, 1}, "0"},
        {1, {1, 1, 1, 1}, "1"},           {1.0000001, {0, 1, 1, 1}, "1.0000001"},
        {2, {0, 1, 1, 1}, "2"},           {4.999, {0, 0, 1, 1}, "4.999"},
        {5, {0, 0, 1, 1}, "5"},           {5.0000001, {0, 0, 0, 1}, "5.0000001"},
        {INFINITY, {0, 0, 0, 1}, "+Inf"}, {-INFINITY, {1, 1, 1, 1}, "-Inf"},
        {NAN, {0, 0, 0, 0}, "0"}, /* ignored */
    };
    static const double bounds[] = {1, 2, 5};
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        metrics_registry *r = metrics_registry_new(0);
        metrics_family *f = reg_or_fail(r, METRICS_HISTOGRAM,
                                        (metrics_opts){.name = "h",
                                                       .help = "x",
                                                       .labels = NULL,
                                                       .n_labels = 0,
                                                       .buckets = bounds,
                                                       .n_buckets = 3});
        char want[512], *got;

        T_CASE("observe %g", cases[i].v);
        metrics_histogram_observe(metrics_child_get(f, NULL), cases[i].v);
        snprintf(want, sizeof(want),
                 "# HELP h x\n# TYPE h histogram\n"
                 "h_bucket{le=\"1\"} %" PRIu64 "\nh_bucket{le=\"2\"} %" PRIu64
                 "\nh_bucket{le=\"5\"} %" PRIu64 "\nh_bucket{le=\"+Inf\"} %" PRIu64
                 "\nh_sum %s\nh_count %" PRIu64 "\n",
                 cases[i].want[0], cases[i].want[1], cases[i].want[2], cases[i].want[3],
                 cases[i].sum, cases[i].want[3]);
        got = render(r);
        CHECK_STR_EQ(got, want);
        free(got);
        metrics_registry_free(r);
    }
}

static void test_default_buckets(void)
{
    metrics_registry *r = metrics_registry_new(0);
    metrics_family *f =
        reg_or_fail(r, METRICS_HISTOGRAM, (metrics_opts){.name = "d_seconds", .help = "d"});
    char *got;

    metrics_histogram_observe(metrics_child_get(f, NULL), 0.3);
    got = render(r);
    CHECK_STR_CONTAINS(got, "d_seconds_bucket{le=\"0.005\"} 0\n"
                            "d_seconds_bucket{le=\"0.01\"} 0\n"
                            "d_seconds_bucket{le=\"0.025\"} 0\n"
                            "d_seconds_bucket{le=\"0.05\"} 0\n"
                            "d_seconds_bucket{le=\"0.1\"} 0\n"
                            "d_seconds_bucket{le=\"0.25\"} 0\n"
                            "d_seconds_bucket{le=\"0.5\"} 1\n");
    CHECK_STR_CONTAINS(got, "d_seconds_bucket{le=\"10\"} 1\nd_seconds_bucket{le=\"+Inf\"} 1\n"
                            "d_seconds_sum 0.3\nd_seconds_count 1\n");
    free(got);
    metrics_registry_free(r);
}

/* ---- concurrency ---------------------------------------------------------- */

#define THREADS   4
#define ITERS     100000
#define N_LABELED 50

typedef struct shared {
    metrics_child *count, *frac, *gauge, *hist;
    metrics_family *labeled;
} shared;

static void *hammer(void *arg)
{
    shared *s = arg;
    char label[16];
    int i;

    for (i = 0; i < ITERS; i++) {
        metrics_counter_inc(s->count);
        metrics_counter_add(s->frac, 0.5);
        metrics_gauge_add(s->gauge, 1);
        metrics_histogram_observe(s->hist, (i % 4) * 0.25);
        snprintf(label, sizeof(label), "p%d", i % N_LABELED);
        metrics_counter_inc(metrics_child_get(s->labeled, L(label)));
    }
    return NULL;
}

static void test_concurrent(void)
{
    static const double bounds[] = {0.25, 0.5};
    metrics_registry *r = metrics_registry_new(0);
    metrics_family *c =
        reg_or_fail(r, METRICS_COUNTER, (metrics_opts){.name = "c_total", .help = "c"});
    metrics_family *fr =
        reg_or_fail(r, METRICS_COUNTER, (metrics_opts){.name = "f_total", .help = "f"});
    metrics_family *g = reg_or_fail(r, METRICS_GAUGE, (metrics_opts){.name = "g", .help = "g"});
    metrics_family *h = reg_or_fail(r, METRICS_HISTOGRAM,
                                    (metrics_opts){.name = "h",
                                                   .help = "h",
                                                   .labels = NULL,
                                                   .n_labels = 0,
                                                   .buckets = bounds,
                                                   .n_buckets = 2});
    shared s;
    pthread_t th[THREADS];
    char *got, line[128];
    size_t i;
    int n;

    s.count = metrics_child_get(c, NULL);
    s.frac = metrics_child_get(fr, NULL);
    s.gauge = metrics_child_get(g, NULL);
    s.hist = metrics_child_get(h, NULL);
    s.labeled = reg_or_fail(
        r, METRICS_COUNTER,
        (metrics_opts){.name = "l_total", .help = "l", .labels = L("p"), .n_labels = 1});
    for (i = 0; i < THREADS; i++)
        CHECK_INT_EQ(pthread_create(&th[i], NULL, hammer, &s), 0);
    for (i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    got = render(r);
    CHECK_STR_CONTAINS(got, "\nc_total 400000\n");
    CHECK_STR_CONTAINS(got, "\nf_total 200000\n");
    CHECK_STR_CONTAINS(got, "\ng 400000\n");
    /* observations 0, .25, .5, .75 in equal numbers */
    CHECK_STR_CONTAINS(got, "h_bucket{le=\"0.25\"} 200000\nh_bucket{le=\"0.5\"} 300000\n"
                            "h_bucket{le=\"+Inf\"} 400000\nh_sum 150000\nh_count 400000\n");
    for (n = 0; n < N_LABELED; n++) {
        T_CASE("p%d", n);
        snprintf(line, sizeof(line), "\nl_total{p=\"p%d\"} %d\n", n, THREADS * ITERS / N_LABELED);
        CHECK_STR_CONTAINS(got, line);
    }
    /* no duplicate children from racing creators */
    for (n = 0, i = 0; got[i] != '\0'; i++)
        n += strncmp(got + i, "\nl_total{", 9) == 0;
    CHECK_INT_EQ(n, N_LABELED);
    free(got);
    metrics_registry_free(r);
}

/* ---- limits and refusals ----------------------------------------------- */

static int warnings;
static char last_warning[1024];

static void count_warning(const char *line, void *ud)
{
    (void)ud;
    warnings++;
    snprintf(last_warning, sizeof(last_warning), "%s", line);
}

static void test_cardinality_cap(void)
{
    static const char want[] = "# HELP cap_total c\n# TYPE cap_total counter\n"
                               "cap_total{path=\"a\"} 2\n"
                               "cap_total{path=\"b\"} 1\n"
                               "cap_total{path=\"c\"} 1\n"
                               "cap_total{path=\"__overflow__\"} 3\n";
    static const char *const paths[] = {"a", "b", "c", "d", "e", "a"};
    metrics_registry *r = metrics_registry_new(3);
    metrics_family *f = reg_or_fail(
        r, METRICS_COUNTER,
        (metrics_opts){.name = "cap_total", .help = "c", .labels = L("path"), .n_labels = 1});
    metrics_child *d, *e;
    char *got;
    size_t i;

    log_set_sink(count_warning, NULL);
    warnings = 0;
    for (i = 0; i < ARRAY_LEN(paths); i++)
        metrics_counter_inc(metrics_child_get(f, L(paths[i])));
    d = metrics_child_get(f, L("d"));
    e = metrics_child_get(f, L("e"));
    CHECK(d != NULL && d == e);
    CHECK(metrics_child_get(f, L(METRICS_OVERFLOW_VALUE)) == d);
    CHECK(metrics_child_get(f, L("a")) != d);
    CHECK(metrics_child_get(f, L("a")) == metrics_child_get(f, L("a")));
    metrics_counter_inc(metrics_child_get(f, L("zzz")));
    CHECK_INT_EQ(warnings, 1);
    CHECK_STR_CONTAINS(last_warning, "\"metric\":\"cap_total\"");
    log_set_sink(NULL, NULL);
    got = render(r);
    CHECK_STR_EQ(got, want);
    free(got);
    CHECK(metrics_child_get(NULL, L("a")) == NULL);
    metrics_registry_free(r);
}

static void test_invalid_registration(void)
{
    static const double up[] = {1, 2}, flat[] = {1, 1}, down[] = {2, 1};
    static const double nan_b[] = {1, NAN}, inf_mid[] = {1, INFINITY, 3}, neg_inf[] = {-INFINITY};
    static const char *const many[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i",
                                       "j", "k", "l", "m", "n", "o", "p", "q"};
    char long_name[256];
    struct {
        metrics_type type;
        metrics_opts o;
        const char *want; /* NULL: accepted */
    } cases[] = {
        {METRICS_COUNTER, {.name = "ok:name_total", .help = "x"}, NULL},
        {METRICS_COUNTER, {.name = "_ok", .help = "x"}, NULL},
        {METRICS_COUNTER,
         {.name = "le_ok_total", .help = "x", .labels = L("le"), .n_labels = 1},
         NULL},
        {METRICS_HISTOGRAM,
         {.name = "h_ok",
          .help = "x",
          .labels = NULL,
          .n_labels = 0,
          .buckets = up,
          .n_buckets = 2},
         NULL},
        {METRICS_COUNTER, {.name = "", .help = "x"}, "invalid metric name \"\""},
        {METRICS_COUNTER, {.name = NULL, .help = "x"}, "invalid metric name"},
        {METRICS_COUNTER, {.name = "1abc", .help = "x"}, "invalid metric name \"1abc\""},
        {METRICS_COUNTER, {.name = "a-b", .help = "x"}, "invalid metric name"},
        {METRICS_COUNTER, {.name = "a b", .help = "x"}, "invalid metric name"},
        {METRICS_COUNTER, {.name = "caf\xc3\xa9", .help = "x"}, "invalid metric name"},
        {METRICS_COUNTER,
         {.name = "x1", .help = "x", .labels = L("__name"), .n_labels = 1},
         "invalid label name \"__name\""},
        {METRICS_COUNTER,
         {.name = "x2", .help = "x", .labels = L("a:b"), .n_labels = 1},
         "invalid label name \"a:b\""},
        {METRICS_COUNTER,
         {.name = "x3", .help = "x", .labels = L("9a"), .n_labels = 1},
         "invalid label name"},
        {METRICS_COUNTER,
         {.name = "x4", .help = "x", .labels = L(""), .n_labels = 1},
         "invalid label name"},
        {METRICS_COUNTER,
         {.name = "x5", .help = "x", .labels = L("a", "b", "a"), .n_labels = 3},
         "duplicate label \"a\""},
        {METRICS_COUNTER,
         {.name = "x6", .help = "x", .labels = many, .n_labels = 17},
         "at most 16 labels"},
        {METRICS_COUNTER,
         {.name = "x7", .help = "x", .labels = NULL, .n_labels = 1},
         "at most 16 labels"},
        {METRICS_HISTOGRAM,
         {.name = "x8", .help = "x", .labels = L("le"), .n_labels = 1},
         "invalid label name \"le\""},
        {METRICS_HISTOGRAM,
         {.name = "x9",
          .help = "x",
          .labels = NULL,
          .n_labels = 0,
          .buckets = flat,
          .n_buckets = 2},
         "strictly increasing (bucket 1)"},
        {METRICS_HISTOGRAM,
         {.name = "x10",
          .help = "x",
          .labels = NULL,
          .n_labels = 0,
          .buckets = down,
          .n_buckets = 2},
         "strictly increasing"},
        {METRICS_HISTOGRAM,
         {.name = "x11",
          .help = "x",
          .labels = NULL,
          .n_labels = 0,
          .buckets = nan_b,
          .n_buckets = 2},
         "finite"},
        {METRICS_HISTOGRAM,
         {.name = "x12",
          .help = "x",
          .labels = NULL,
          .n_labels = 0,
          .buckets = inf_mid,
          .n_buckets = 3},
         "finite"},
        {METRICS_HISTOGRAM,
         {.name = "x13",
          .help = "x",
          .labels = NULL,
          .n_labels = 0,
          .buckets = neg_inf,
          .n_buckets = 1},
         "finite"},
        {METRICS_HISTOGRAM,
         {.name = "x14", .help = "x", .buckets = up, .n_buckets = 65},
         "at most 64 buckets"},
        {METRICS_GAUGE,
         {.name = "ok:name_total", .help = "x"},
         "clashes with metric ok:name_total"},
        {METRICS_COUNTER, {.name = "h_ok_count", .help = "x"}, "clashes with metric h_ok"},
        {METRICS_HISTOGRAM, {.name = "h", .help = "x"}, NULL},
        {METRICS_HISTOGRAM, {.name = "h_ok_sum", .help = "x"}, "clashes with metric h_ok"},
        {METRICS_GAUGE, {.name = "h_bucket", .help = "x"}, "clashes with metric h"},
        {(metrics_type)7, {.name = "x15", .help = "x"}, "unknown type 7"},
        {METRICS_COUNTER, {.name = long_name, .help = "x"}, "invalid metric name"},
    };
    metrics_registry *r = metrics_registry_new(0);
    metrics_family *f, *ok;
    snug_err err;
    char *got;
    size_t i;

    memset(long_name, 'a', 201);
    long_name[201] = '\0';
    for (i = 0; i < ARRAY_LEN(cases); i++) {
        T_CASE("row %zu %s", i, cases[i].o.name ? cases[i].o.name : "(null)");
        f = NULL;
        snug_err_clear(&err);
        if (cases[i].want == NULL) {
            CHECK_INT_EQ(metrics_register(r, cases[i].type, &cases[i].o, &f, &err), SNUG_OK);
            CHECK(f != NULL);
            continue;
        }
        CHECK_INT_EQ(metrics_register(r, cases[i].type, &cases[i].o, &f, &err), SNUG_ERR_INVALID);
        CHECK_STR_CONTAINS(err.msg, cases[i].want);
        CHECK(f == NULL);
    }
    T_CASE("NULL arguments");
    CHECK_INT_EQ(metrics_register(NULL, METRICS_GAUGE, &cases[0].o, &f, NULL), SNUG_ERR_INVALID);
    CHECK_INT_EQ(metrics_register(r, METRICS_GAUGE, NULL, &f, NULL), SNUG_ERR_INVALID);
    memset(long_name, 'a', 200);
    long_name[200] = '\0';
    ok = reg_or_fail(r, METRICS_GAUGE, (metrics_opts){.name = long_name, .help = "x"});
    CHECK(ok != NULL);
    /* refused registrations leave nothing behind */
    got = render(r);
    CHECK(strstr(got, "x1") == NULL && strstr(got, "h_ok_count ") != NULL);
    free(got);
    metrics_registry_free(r);
}

static void test_misuse_is_harmless(void)
{
    metrics_registry *r = metrics_registry_new(0);
    metrics_family *c =
        reg_or_fail(r, METRICS_COUNTER, (metrics_opts){.name = "c_total", .help = "c"});
    metrics_family *g =
        reg_or_fail(r, METRICS_GAUGE,
                    (metrics_opts){.name = "g", .help = "g", .labels = L("a", "b"), .n_labels = 2});
    metrics_child *cc = metrics_child_get(c, L("ignored")), *gc = metrics_child_get(g, NULL);
    char *got;

    metrics_counter_add(cc, -1);
    metrics_counter_add(cc, NAN);
    metrics_gauge_set(cc, 5);
    metrics_histogram_observe(cc, 5);
    metrics_child_set_fn(NULL, NULL, NULL);
    metrics_counter_inc(gc);
    metrics_gauge_set(gc, -2.5);
    metrics_counter_inc(NULL);
    metrics_counter_add(NULL, 1);
    metrics_gauge_set(NULL, 1);
    metrics_gauge_add(NULL, 1);
    metrics_histogram_observe(NULL, 1);
    CHECK(isnan(metrics_child_value(NULL)));
    CHECK(metrics_child_get(g, NULL) == metrics_child_get(g, L("", NULL)));
    metrics_counter_add(cc, 1e300); /* beyond exact integers: the double part */
    got = render(r);
    CHECK_STR_EQ(got, "# HELP c_total c\n# TYPE c_total counter\nc_total 1e+300\n"
                      "# HELP g g\n# TYPE g gauge\ng{a=\"\",b=\"\"} -2.5\n");
    free(got);
    metrics_registry_free(r);
    metrics_registry_free(NULL);
}

static void test_render_too_big(void)
{
    metrics_registry *r = metrics_registry_new(0);
    dynbuf b;
    snug_err err;

    reg_or_fail(r, METRICS_GAUGE,
                (metrics_opts){.name = "a_long_enough_name", .help = "help text"});
    dynbuf_init(&b, 40);
    dynbuf_addstr(&b, "prefix\n");
    snug_err_clear(&err);
    CHECK_INT_EQ(metrics_render(r, &b, &err), SNUG_ERR_TOO_BIG);
    CHECK_STR_EQ(dynbuf_str(&b), "prefix\n");
    CHECK_STR_CONTAINS(err.msg, "rendering metrics");
    CHECK_INT_EQ(metrics_render(NULL, &b, &err), SNUG_ERR_INVALID);
    dynbuf_free(&b);
    metrics_registry_free(r);
}

/* ---- process metrics ------------------------------------------------------ */

static double sample_value(const char *text, const char *name)
{
    char needle[128];
    const char *p;

    snprintf(needle, sizeof(needle), "\n%s ", name);
    p = strstr(text, needle);
    return p ? strtod(p + strlen(needle), NULL) : NAN;
}

static void test_process(void)
{
    metrics_process_stats a, b;
    metrics_registry *r = metrics_registry_new(0);
    double now = (double)time(NULL);
    snug_err err;
    char *got;
    int fd;

    snug_err_clear(&err);
    CHECK_INT_EQ(metrics_process_read(&a, &err), SNUG_OK);
    CHECK(a.resident_bytes > 100 * 1024 && a.resident_bytes < a.virtual_bytes);
    CHECK(a.cpu_seconds >= 0 && a.cpu_seconds < 3600);
    CHECK(a.start_time > now - 600 && a.start_time < now + 2);
    CHECK(a.max_fds >= a.open_fds);
    fd = open("/dev/null", O_RDONLY);
    CHECK_INT_EQ(metrics_process_read(&b, &err), SNUG_OK);
    CHECK_DBL_NEAR(b.open_fds, a.open_fds + 1, 0);
    CHECK_DBL_NEAR(b.start_time, a.start_time, 0);
    close(fd);

    CHECK_INT_EQ(metrics_register_process(r, &err), SNUG_OK);
    got = render(r);
    CHECK_STR_CONTAINS(got, "# TYPE process_cpu_seconds_total counter\n");
    CHECK_STR_CONTAINS(got, "# TYPE process_resident_memory_bytes gauge\n");
    CHECK_DBL_NEAR(sample_value(got, "process_open_fds"), a.open_fds, 0);
    CHECK_DBL_NEAR(sample_value(got, "process_start_time_seconds"), a.start_time, 0);
    CHECK_DBL_NEAR(sample_value(got, "process_max_fds"), a.max_fds, 0);
    CHECK(sample_value(got, "process_resident_memory_bytes") > 100 * 1024);
    CHECK(sample_value(got, "process_virtual_memory_bytes") > 0);
    CHECK(sample_value(got, "process_cpu_seconds_total") >= a.cpu_seconds);
    CHECK_INT_EQ(metrics_register_process(r, &err), SNUG_ERR_INVALID); /* twice: clash */
    free(got);
    metrics_registry_free(r);
}

int main(void)
{
    RUN(test_render_golden);
    RUN(test_escaping);
    RUN(test_value_format);
    RUN(test_value_format_round_trips);
    RUN(test_histogram_buckets);
    RUN(test_default_buckets);
    RUN(test_concurrent);
    RUN(test_cardinality_cap);
    RUN(test_invalid_registration);
    RUN(test_misuse_is_harmless);
    RUN(test_render_too_big);
    RUN(test_process);
    return TEST_DONE();
}

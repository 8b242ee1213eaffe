/* Unit tests for histogram: bucket layout, percentiles, decay, merge,
 * checkpoint encoding, bad input. */
#include <math.h>
#include <stdint.h>

#include "base/dynbuf.h"
#include "controller/histogram.h"
#include "controller/rec_state_bytes.h"
#include "test.h"

#define T0  1767225600.0
#define DAY 86400.0

static void test_buckets(void)
{
    static const struct {
        hist_kind kind;
        double v;
        unsigned want;
    } rows[] = {
        {HIST_CPU, 0, 0},          {HIST_CPU, 0.0009, 0},    {HIST_CPU, 0.001, 1},
        {HIST_CPU, 0.0010401, 2},  {HIST_CPU, 0.0010399, 1}, {HIST_CPU, 1e9, 399},
        {HIST_MEM, 0, 0},          {HIST_MEM, 1048575, 0},   {HIST_MEM, 1048576, 1},
        {HIST_MEM, 1069547.52, 2}, {HIST_MEM, 1e300, 799},
    };

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        T_CASE("kind %d value %g", rows[i].kind, rows[i].v);
        CHECK_INT_EQ(hist_bucket_of(rows[i].kind, rows[i].v), rows[i].want);
    }
    CHECK_INT_EQ(hist_buckets(HIST_CPU), 400);
    CHECK_INT_EQ(hist_buckets(HIST_MEM), 800);
    CHECK_DBL_NEAR(hist_bucket_start(HIST_CPU, 0), 0, 0);
    CHECK_DBL_NEAR(hist_bucket_start(HIST_CPU, 1), 0.001, 1e-12);
    CHECK_DBL_NEAR(hist_bucket_start(HIST_MEM, 1), 1048576, 1e-6);
    /* every value lands in the bucket whose range holds it */
    for (double v = 0.0011; v < 5000; v *= 1.37) {
        unsigned b = hist_bucket_of(HIST_CPU, v);

        T_CASE("value %g", v);
        CHECK(v >= hist_bucket_start(HIST_CPU, b));
        CHECK(v < hist_bucket_start(HIST_CPU, b + 1));
    }
}

static void test_percentiles(void)
{
    histogram h;

    hist_init(&h, HIST_CPU, DAY);
    CHECK_DBL_NEAR(hist_percentile(&h, 0.5), 0, 0);
    CHECK(hist_empty(&h));
    for (int i = 1; i <= 1000; i++)
        CHECK_INT_EQ(hist_add(&h, i / 1000.0, 1.0, T0), SNUG_OK);
    CHECK(!hist_empty(&h));
    /* 1m..1000m uniformly: the quantiles are p x 1 core, within a bucket */
    CHECK_DBL_NEAR(hist_percentile(&h, 0.5), 0.5, 0.5 * 0.04);
    CHECK_DBL_NEAR(hist_percentile(&h, 0.9), 0.9, 0.9 * 0.04);
    CHECK_DBL_NEAR(hist_percentile(&h, 0.99), 0.99, 0.99 * 0.04);
    CHECK(hist_percentile(&h, 1.0) >= 1.0);
    CHECK(hist_percentile(&h, 1.0) <= 1.0 * 1.04 + 1e-9);
    CHECK(hist_percentile(&h, 0.0) <= 0.001 * 1.04);
    CHECK_DBL_NEAR(hist_share_above(&h, 0.75), 0.25, 0.02);
    CHECK_DBL_NEAR(hist_share_above(&h, 0), 1, 1e-9);
    CHECK_DBL_NEAR(hist_share_above(&h, 100), 0, 1e-9);
    CHECK_DBL_NEAR(hist_weight_at(&h, T0), 1000, 1e-6);
    CHECK_DBL_NEAR(hist_weight_at(&h, T0 + DAY), 500, 1e-6);
    hist_free(&h);
}

static void test_decay(void)
{
    histogram h;

    hist_init(&h, HIST_CPU, DAY);
    /* 1 core at T0, 2 cores one half-life later: the newer weighs twice */
    CHECK_INT_EQ(hist_add(&h, 1.0, 1.0, T0), SNUG_OK);
    CHECK_INT_EQ(hist_add(&h, 2.0, 1.0, T0 + DAY), SNUG_OK);
    CHECK_DBL_NEAR(hist_share_above(&h, 1.5), 2.0 / 3.0, 1e-6);
    CHECK(hist_percentile(&h, 0.5) >= 2.0 / 1.04);
    /* 100 half-lives on: the reference moves, old weight vanishes, no inf */
    CHECK_INT_EQ(hist_add(&h, 0.1, 1.0, T0 + 100 * DAY), SNUG_OK);
    CHECK(isfinite(h.total));
    CHECK_DBL_NEAR(hist_share_above(&h, 0.5), 0, 1e-9);
    CHECK(hist_percentile(&h, 0.99) < 0.11);
    /* rebasing changes the numbers, not the distribution */
    {
        double before = hist_percentile(&h, 0.5), w = hist_weight_at(&h, T0 + 200 * DAY);

        hist_rebase(&h, T0 + 101.5 * DAY);
        CHECK_DBL_NEAR(h.ref, floor(T0 + 101.5 * DAY), 0);
        CHECK_DBL_NEAR(hist_percentile(&h, 0.5), before, 1e-9);
        CHECK_DBL_NEAR(hist_weight_at(&h, T0 + 200 * DAY) / w, 1, 1e-6);
        CHECK(h.total < 1);
        hist_rebase(&h, T0); /* backwards: nothing */
        CHECK_DBL_NEAR(h.ref, floor(T0 + 101.5 * DAY), 0);
    }
    /* an ancient sample is accepted but weighs nothing */
    CHECK_INT_EQ(hist_add(&h, 5.0, 1.0, T0 - 1000 * DAY), SNUG_OK);
    CHECK(hist_percentile(&h, 1.0) < 0.11);
    hist_free(&h);
}

static void test_bad_input(void)
{
    static const double bad[][3] = {
        {NAN, 1, T0}, {-1, 1, T0},  {INFINITY, 1, T0}, {1, 0, T0},
        {1, -1, T0},  {1, NAN, T0}, {1, 1, NAN},       {1, 1, 1e15},
    };
    histogram h;

    hist_init(&h, HIST_MEM, 0); /* a bad half-life becomes one day */
    CHECK_DBL_NEAR(h.half_life, DAY, 0);
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        T_CASE("row %zu", i);
        CHECK_INT_EQ(hist_add(&h, bad[i][0], bad[i][1], bad[i][2]), SNUG_ERR_INVALID);
    }
    CHECK(hist_empty(&h));
    CHECK(h.w == NULL);
    hist_free(&h);
}

static void test_merge(void)
{
    histogram a, b, all, other;
    snug_err err;

    hist_init(&a, HIST_CPU, DAY);
    hist_init(&b, HIST_CPU, DAY);
    hist_init(&all, HIST_CPU, DAY);
    for (int i = 0; i < 500; i++) {
        double t = T0 + i * 600.0, v = 0.01 + (i % 37) * 0.02;

        CHECK_INT_EQ(hist_add(i % 2 ? &a : &b, v, 1, t), SNUG_OK);
        CHECK_INT_EQ(hist_add(&all, v, 1, t), SNUG_OK);
    }
    CHECK_INT_EQ(hist_merge(&a, &b, &err), SNUG_OK);
    for (double p = 0.1; p < 1.0; p += 0.2) {
        T_CASE("p %g", p);
        CHECK_DBL_NEAR(hist_percentile(&a, p), hist_percentile(&all, p), 1e-4);
    }
    CHECK_DBL_NEAR(hist_weight_at(&a, T0), hist_weight_at(&all, T0), 1e-3);
    /* into an empty one */
    hist_init(&other, HIST_CPU, DAY);
    CHECK_INT_EQ(hist_merge(&other, &all, &err), SNUG_OK);
    CHECK_DBL_NEAR(hist_percentile(&other, 0.9), hist_percentile(&all, 0.9), 1e-6);
    hist_free(&other);
    /* another kind or half-life is refused */
    hist_init(&other, HIST_MEM, DAY);
    CHECK_INT_EQ(hist_merge(&other, &all, &err), SNUG_ERR_INVALID);
    hist_init(&other, HIST_CPU, 2 * DAY);
    CHECK_INT_EQ(hist_merge(&other, &all, &err), SNUG_ERR_INVALID);
    hist_free(&a);
    hist_free(&b);
    hist_free(&all);
}

static void test_encode(void)
{
    histogram h, back;
    dynbuf b;
    rec_reader r;
    snug_err err;

    hist_init(&h, HIST_MEM, 2 * DAY);
    for (int i = 0; i < 300; i++)
        CHECK_INT_EQ(hist_add(&h, (100 + i % 50) * 1048576.0, 1, T0 + i * 3600.0), SNUG_OK);
    dynbuf_init(&b, 1 << 16);
    CHECK_INT_EQ(hist_encode(&h, &b), SNUG_OK);
    CHECK(b.len < 200);
    recb_reader_init(&r, b.buf, b.len);
    CHECK_INT_EQ(hist_decode(&r, HIST_MEM, "m", &back, &err), SNUG_OK);
    CHECK_INT_EQ(r.pos, b.len);
    CHECK_DBL_NEAR(back.half_life, 2 * DAY, 0);
    for (double p = 0.05; p <= 1.0; p += 0.1) {
        T_CASE("p %g", p);
        CHECK_DBL_NEAR(hist_percentile(&back, p) / hist_percentile(&h, p), 1, 1e-3);
    }
    hist_free(&back);
    /* the wrong kind, and every truncation, are refused */
    recb_reader_init(&r, b.buf, b.len);
    CHECK_INT_EQ(hist_decode(&r, HIST_CPU, "c", &back, &err), SNUG_ERR_PARSE);
    CHECK_STR_CONTAINS(err.msg, "wrong histogram kind");
    for (size_t n = 0; n < b.len; n++) {
        T_CASE("cut at %zu", n);
        recb_reader_init(&r, b.buf, n);
        CHECK_INT_EQ(hist_decode(&r, HIST_MEM, "m", &back, &err), SNUG_ERR_PARSE);
        CHECK(back.w == NULL);
    }
    /* an empty histogram round-trips */
    dynbuf_reset(&b);
    hist_free(&h);
    hist_init(&h, HIST_CPU, DAY);
    CHECK_INT_EQ(hist_encode(&h, &b), SNUG_OK);
    recb_reader_init(&r, b.buf, b.len);
    CHECK_INT_EQ(hist_decode(&r, HIST_CPU, "c", &back, &err), SNUG_OK);
    CHECK(hist_empty(&back));
    hist_free(&back);
    hist_free(&h);
    dynbuf_free(&b);
}

static void test_varints(void)
{
    static const int64_t vals[] = {0, 1, -1, 63, -64, 64, 300, -300, INT64_MAX, INT64_MIN};
    dynbuf b;
    rec_reader r;
    int64_t v;
    uint64_t u;
    static const unsigned char overlong[] = {0xff, 0xff, 0xff, 0xff, 0xff,
                                             0xff, 0xff, 0xff, 0xff, 0x7f};

    dynbuf_init(&b, 1024);
    for (size_t i = 0; i < ARRAY_LEN(vals); i++)
        CHECK_INT_EQ(recb_put_svar(&b, vals[i]), SNUG_OK);
    recb_reader_init(&r, b.buf, b.len);
    for (size_t i = 0; i < ARRAY_LEN(vals); i++) {
        T_CASE("%lld", (long long)vals[i]);
        CHECK(recb_get_svar(&r, &v));
        CHECK(v == vals[i]);
    }
    CHECK(!recb_get_svar(&r, &v));
    CHECK(r.bad);
    recb_reader_init(&r, overlong, sizeof(overlong));
    CHECK(!recb_get_uvar(&r, &u));
    CHECK_INT_EQ(recb_crc32("123456789", 9), 0xcbf43926u);
    dynbuf_free(&b);
}

int main(void)
{
    RUN(test_buckets);
    RUN(test_percentiles);
    RUN(test_decay);
    RUN(test_bad_input);
    RUN(test_merge);
    RUN(test_encode);
    RUN(test_varints);
    return TEST_DONE();
}

/* Unit tests for kube_retry: backoff bounds and the token-bucket limiter. */
#include "kube/kube_retry.h"
#include "test.h"

static void test_backoff_formula(void)
{
    static const struct {
        long min, max;
        unsigned attempt;
        double r;
        long want;
    } cases[] = {
        {200, 30000, 0, 1.0, 200}, /* first failure: min */
        {200, 30000, 0, 0.0, 200}, /* never below min */
        {200, 30000, 1, 1.0, 400},   {200, 30000, 1, 0.0, 200},
        {200, 30000, 3, 1.0, 1600},  {200, 30000, 3, 0.0, 800},
        {200, 30000, 3, 0.5, 1200},  {200, 30000, 8, 1.0, 30000}, /* 51200 capped */
        {200, 30000, 8, 0.0, 15000}, {200, 30000, 1000, 1.0, 30000},
        {200, 30000, 7, 1.0, 25600}, {200, 30000, 2, 7.0, 800}, /* r clamped */
        {200, 30000, 2, -1.0, 400},  {1, 1, 50, 1.0, 1},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        T_CASE("min %ld max %ld attempt %u r %g", cases[i].min, cases[i].max, cases[i].attempt,
               cases[i].r);
        CHECK_INT_EQ(kube_backoff_delay(cases[i].min, cases[i].max, cases[i].attempt, cases[i].r),
                     cases[i].want);
    }
}

static void test_backoff_sequence_bounds(void)
{
    kube_backoff b;
    long prev_cap = 200;
    int i;

    kube_backoff_init(&b, 200, 30000, 12345);
    for (i = 0; i < 200; i++) {
        long d = kube_backoff_next(&b);
        long cap = prev_cap;

        T_CASE("step %d", i);
        CHECK(d >= 200);
        CHECK(d <= 30000);
        CHECK(d <= cap);
        CHECK(d >= cap / 2);
        prev_cap = cap * 2 > 30000 ? 30000 : cap * 2;
    }
    kube_backoff_reset(&b);
    T_CASE("after reset");
    CHECK_INT_EQ(kube_backoff_next(&b), 200);
    kube_backoff_init(&b, 0, -5, 1);
    T_CASE("bad bounds are repaired");
    CHECK_INT_EQ(b.min_ms, 1);
    CHECK_INT_EQ(b.max_ms, 1);
}

static void test_ratelimit(void)
{
    kube_ratelimit rl;
    int64_t t = 1000000;
    int i;

    kube_ratelimit_init(&rl, 10.0, 3, t);
    T_CASE("burst goes through");
    for (i = 0; i < 3; i++)
        CHECK_INT_EQ(kube_ratelimit_reserve(&rl, t), 0);
    T_CASE("then one every 100 ms");
    CHECK_INT_EQ(kube_ratelimit_reserve(&rl, t), 100000);
    CHECK_INT_EQ(kube_ratelimit_reserve(&rl, t), 200000);
    T_CASE("time refills the bucket");
    t += 300000; /* the two reservations are paid, one token back */
    CHECK_INT_EQ(kube_ratelimit_reserve(&rl, t), 0);
    CHECK_INT_EQ(kube_ratelimit_reserve(&rl, t), 100000);
    T_CASE("never more than burst");
    t += 60 * 1000000;
    for (i = 0; i < 3; i++)
        CHECK_INT_EQ(kube_ratelimit_reserve(&rl, t), 0);
    CHECK(kube_ratelimit_reserve(&rl, t) > 0);
    T_CASE("clock going back is ignored");
    CHECK(kube_ratelimit_reserve(&rl, t - 5000000) > 0);

    T_CASE("defaults");
    kube_ratelimit_init(&rl, 0, 0, 0);
    CHECK_DBL_NEAR(rl.qps, 20.0, 1e-9);
    CHECK_DBL_NEAR(rl.burst, 30.0, 1e-9);
    for (i = 0; i < 30; i++)
        CHECK_INT_EQ(kube_ratelimit_reserve(&rl, 0), 0);
    CHECK_INT_EQ(kube_ratelimit_reserve(&rl, 0), 50000);
}

static void test_sleep_abort(void)
{
    int flag = 1;
    int64_t t0 = kube_mono_ms();

    CHECK_INT_EQ(kube_sleep_ms(5000, &flag), 1);
    CHECK(kube_mono_ms() - t0 < 1000);
    flag = 0;
    t0 = kube_mono_ms();
    CHECK_INT_EQ(kube_sleep_ms(60, &flag), 0);
    CHECK(kube_mono_ms() - t0 >= 60);
    CHECK_INT_EQ(kube_sleep_ms(0, NULL), 0);
}

int main(void)
{
    RUN(test_backoff_formula);
    RUN(test_backoff_sequence_bounds);
    RUN(test_ratelimit);
    RUN(test_sleep_abort);
    return TEST_DONE();
}

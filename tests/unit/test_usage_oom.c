/* Unit tests for usage_oom: kills from kube-state-metrics' last-terminated
 * reason, in a one-shot collection and in one that continues another. */
#include <math.h>
#include <string.h>

#include "controller/usage_oom.h"
#include "test.h"

#define H 3600.0
#define S 1000.0 /* range start */

typedef struct {
    const char *name;
    double v[6]; /* values at S, S+H, ...; -1 = no sample; -2 = NaN */
    bool continues;
    size_t want;     /* kills */
    double first_at; /* time of the first, when want > 0 */
} row;

static size_t samples_of(const row *r, prom_sample *out)
{
    size_t n = 0;

    for (size_t i = 0; i < 6; i++) {
        if (r->v[i] == -1)
            continue;
        out[n].t = S + (double)i * H;
        out[n++].v = r->v[i] == -2 ? NAN : r->v[i];
    }
    return n;
}

static void test_kill_times(void)
{
    static const row rows[] = {
        /* one-shot: the first sample that shows it, once */
        {"one-shot: always 1", {1, 1, 1, 1, 1, 1}, false, 1, S},
        {"one-shot: rises later", {0, 0, 1, 1, 0, 1}, false, 1, S + 2 * H},
        {"one-shot: never", {0, 0, 0, 0, 0, 0}, false, 0, 0},
        {"one-shot: NaN is not a kill", {-2, 1, 1, -1, -1, -1}, false, 1, S + H},
        /* continues: the first point is what the earlier pass saw last */
        {"continues: still 1", {1, 1, -1, -1, -1, -1}, true, 0, 0},
        {"continues: 0 then 1", {0, 1, -1, -1, -1, -1}, true, 1, S + H},
        {"continues: appeared", {-1, 1, 1, -1, -1, -1}, true, 1, S + H},
        {"continues: two rises", {0, 1, 0, 1, 1, 0}, true, 2, S + H},
        {"continues: back after a gap", {1, -1, -1, 1, -1, -1}, true, 1, S + 3 * H},
        {"continues: NaN then 1", {-2, 1, -1, -1, -1, -1}, true, 1, S + H},
        {"continues: 0.5 is not a kill", {0, 0.5, -1, -1, -1, -1}, true, 0, 0},
        {"continues: empty", {-1, -1, -1, -1, -1, -1}, true, 0, 0},
    };

    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        prom_sample s[6];
        double out[6];
        size_t n = samples_of(&rows[i], s), k;

        T_CASE("%s", rows[i].name);
        k = usage_oom_kill_times(s, n, S, H, rows[i].continues, out, 6);
        CHECK_INT_EQ(k, rows[i].want);
        if (k > 0)
            CHECK_DBL_NEAR(out[0], rows[i].first_at, 0);
    }
}

static void test_max(void)
{
    prom_sample s[6] = {{S, 0},         {S + H, 1},     {S + 2 * H, 0},
                        {S + 3 * H, 1}, {S + 4 * H, 0}, {S + 5 * H, 1}};
    double out[2];

    /* three rises, room for two: the first two, no overrun */
    CHECK_INT_EQ(usage_oom_kill_times(s, 6, S, H, true, out, 2), 2);
    CHECK_DBL_NEAR(out[1], S + 3 * H, 0);
    CHECK_INT_EQ(usage_oom_kill_times(s, 6, S, H, true, out, 0), 0);
    CHECK_INT_EQ(usage_oom_kill_times(NULL, 0, S, H, true, out, 2), 0);
}

int main(void)
{
    RUN(test_kill_times);
    RUN(test_max);
    return TEST_DONE();
}

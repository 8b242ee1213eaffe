/* Unit tests for operator_oom's pure parts: whether an OOM kill seen in
 * Pod status is one the state knew before this pass (no second Event), one
 * this pass's Prometheus read brought (an Event, no second record), or new;
 * and which status writes count as OOM bumps (once per bump, whatever
 * reported the kill). */
#include <math.h>

#include <cjson/cJSON.h>

#include "base/log.h"
#include "controller/operator_internal.h"
#include "test.h"

#define T0 1796000000.0 /* the kill, as Pod status says */

static void test_oom_known(void)
{
    static const struct {
        const char *label;
        double records[3]; /* OOM kills in the state (0: none) */
        double cutoff;     /* the last pass's time */
        bool before, fed;
    } cases[] = {
        {"nothing known: new", {0}, T0 + 30, false, false},
        {"recorded by an earlier pass (Pod status, at its time)", {T0}, T0 + 30, true, false},
        {"in the checkpoint", {T0}, T0 + 1, true, false},
        {"cAdvisor's sample in this pass, after the cutoff", {T0 + 45}, T0 + 30, false, true},
        {"cAdvisor in an earlier pass", {T0 + 45}, T0 + 90, true, false},
        {"both: an earlier record wins", {T0, T0 + 200}, T0 + 100, true, true},
        {"a kill 10 min earlier is another one", {T0 - 600}, T0 + 30, false, false},
        {"just inside the 300 s", {T0 - 299}, T0 + 30, true, false},
        {"just outside", {T0 + 300}, T0 + 30, false, false},
        {"several others, none close", {T0 - 4000, T0 - 2000, T0 + 2000}, T0 + 30, false, false},
    };
    size_t i, j;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        rec_state *s = rec_state_new();
        bool before = !cases[i].before, fed = !cases[i].fed;

        T_CASE("%s", cases[i].label);
        for (j = 0; j < 3 && cases[i].records[j] > 0; j++)
            rec_state_add_oom(s, cases[i].records[j], 512 << 20);
        op_oom_known(s, T0, cases[i].cutoff, &before, &fed);
        CHECK(before == cases[i].before);
        CHECK(fed == cases[i].fed);
        rec_state_free(s);
    }
}

/* A Recommendation whose container "app" held memory target t0 and limit
 * l0 (NULL: absent). */
static cJSON *rec_with(const char *t0, const char *l0)
{
    char buf[1024], target[64] = "", limits[64] = "";

    if (t0 != NULL)
        snprintf(target, sizeof(target), ",\"target\":{\"memory\":\"%s\"}", t0);
    if (l0 != NULL)
        snprintf(limits, sizeof(limits), ",\"limits\":{\"memory\":\"%s\"}", l0);
    snprintf(buf, sizeof(buf),
             "{\"apiVersion\":\"snug.dev/v1alpha1\",\"kind\":\"Recommendation\","
             "\"metadata\":{\"name\":\"deployment-web\",\"namespace\":\"shop\"},"
             "\"spec\":{\"targetRef\":{\"kind\":\"Deployment\",\"name\":\"web\"}},"
             "\"status\":{\"containers\":[{\"name\":\"app\"%s%s}]}}",
             target, limits);
    return cJSON_Parse(buf);
}

#define MI (1LL << 20)

static void test_bumps(void)
{
    static const struct {
        const char *label;
        bool exists;         /* a Recommendation was there */
        const char *t0, *l0; /* its memory target and limit */
        bool flag;           /* REC_OOM_BUMP */
        int64_t t1, l1;      /* written */
        size_t want;
    } cases[] = {
        {"raised for a kill: one bump", true, "256Mi", "512Mi", true, 640 * MI, 768 * MI, 1},
        {"created with a bump: one", false, NULL, NULL, true, 640 * MI, 768 * MI, 1},
        {"the bump written already (a later pass, a restart): none", true, "640Mi", "768Mi", true,
         640 * MI, 768 * MI, 0},
        {"lower than before: none", true, "700Mi", "800Mi", true, 640 * MI, 768 * MI, 0},
        {"raised, not for a kill (no flag): none", true, "256Mi", "512Mi", false, 640 * MI,
         768 * MI, 0},
        {"no target before: the new one counts", true, NULL, "512Mi", true, 640 * MI, 768 * MI, 1},
        {"no target now (an HPA on memory): the limit decides", true, "256Mi", "512Mi", true,
         RES_UNSET, 768 * MI, 1},
        {"no target now, limit not raised: none", true, "256Mi", "768Mi", true, RES_UNSET, 768 * MI,
         0},
        {"neither target nor limit: none", true, "256Mi", "512Mi", true, RES_UNSET, RES_UNSET, 0},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *old = cases[i].exists ? rec_with(cases[i].t0, cases[i].l0) : NULL;
        wl_container c, other;
        const wl_container *cs[2] = {&c, &other};
        rec_result res[2];

        T_CASE("%s", cases[i].label);
        memset(&c, 0, sizeof(c));
        memset(&other, 0, sizeof(other));
        memset(res, 0, sizeof(res));
        c.name = "app";
        other.name = "sidecar"; /* not in the old object, no flag: never counted */
        res[0].c.target.mem_bytes = cases[i].t1;
        res[0].c.limits.mem_bytes = cases[i].l1;
        res[0].flags = cases[i].flag ? REC_OOM_BUMP : 0;
        res[1].c.target.mem_bytes = 64 * MI;
        res[1].c.limits.mem_bytes = RES_UNSET;
        res[1].flags = REC_TREND;
        CHECK_INT_EQ(op_oom_bumps(old, res, cs, 2), cases[i].want);
        cJSON_Delete(old);
    }
    T_CASE("two containers bumped in one write: two");
    {
        wl_container a, b;
        const wl_container *cs[2] = {&a, &b};
        rec_result res[2];

        memset(&a, 0, sizeof(a));
        memset(&b, 0, sizeof(b));
        memset(res, 0, sizeof(res));
        a.name = "app";
        b.name = "sidecar";
        res[0].c.target.mem_bytes = res[1].c.target.mem_bytes = 300 * MI;
        res[0].c.limits.mem_bytes = res[1].c.limits.mem_bytes = RES_UNSET;
        res[0].flags = res[1].flags = REC_OOM_BUMP;
        CHECK_INT_EQ(op_oom_bumps(NULL, res, cs, 2), 2);
        T_CASE("an unreadable Recommendation counts as none");
        {
            cJSON *bad = cJSON_Parse("{\"kind\":\"Recommendation\"}");

            CHECK_INT_EQ(op_oom_bumps(bad, res, cs, 2), 2);
            cJSON_Delete(bad);
        }
    }
}

int main(void)
{
    log_set_level(LOG_OFF);
    RUN(test_oom_known);
    RUN(test_bumps);
    return TEST_DONE();
}

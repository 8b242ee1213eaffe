/* Unit tests for operator_sync's pure parts: whether an OOM kill seen in
 * Pod status is one the state knew before this pass (no second Event), one
 * this pass's Prometheus read brought (an Event, no second record), or new;
 * and the Pod pruning the informer applies. */
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

static void test_pod_slim(void)
{
    cJSON *pod = cJSON_Parse(
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"db-0\","
        "\"namespace\":\"shop\",\"uid\":\"u\",\"managedFields\":[{}],\"annotations\":{\"a\":\"b\"}}"
        ","
        "\"spec\":{\"volumes\":[{}],\"containers\":[{\"name\":\"db\",\"image\":\"x\","
        "\"resources\":{\"limits\":{\"memory\":\"128Mi\"}},\"env\":[{}]}]},"
        "\"status\":{\"phase\":\"Running\",\"containerStatuses\":[{\"name\":\"db\","
        "\"image\":\"x\",\"lastState\":{\"terminated\":{\"reason\":\"OOMKilled\"}}}]}}");
    char *text;

    op_pod_slim(pod, NULL);
    text = cJSON_PrintUnformatted(pod);
    CHECK_STR_EQ(text, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"db-0\","
                       "\"namespace\":\"shop\",\"uid\":\"u\"},\"spec\":{\"containers\":[{\"name\":"
                       "\"db\",\"resources\":{\"limits\":{\"memory\":\"128Mi\"}}}]},\"status\":{"
                       "\"containerStatuses\":[{\"name\":\"db\",\"lastState\":{\"terminated\":{"
                       "\"reason\":\"OOMKilled\"}}}]}}");
    free(text);
    cJSON_Delete(pod);
}

int main(void)
{
    log_set_level(LOG_OFF);
    RUN(test_oom_known);
    RUN(test_pod_slim);
    return TEST_DONE();
}

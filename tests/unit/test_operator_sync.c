/* Unit tests for operator_sync's pure parts: the Pod pruning the informer
 * applies (only the fields the operator reads are cached). */
#include <cjson/cJSON.h>

#include "base/log.h"
#include "controller/operator_internal.h"
#include "test.h"

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
    RUN(test_pod_slim);
    return TEST_DONE();
}

/* Unit tests for workload: Pod -> workload from ownerReferences and labels. */
#include <cjson/cJSON.h>

#include "base/status.h"
#include "test.h"
#include "model/workload.h"

/* The Job -> CronJob cache the webhook would keep: one entry. */
static int lookups;

static bool job_lookup(const char *ns, const char *job, char *cronjob, size_t cap, void *ud)
{
    const char *want_ns = ud;

    lookups++;
    if (strcmp(ns, want_ns) == 0 && strcmp(job, "nightly-29000000") == 0) {
        snprintf(cronjob, cap, "%s", "nightly");
        return true;
    }
    if (strcmp(job, "says-yes-but-empty") == 0) {
        cronjob[0] = '\0';
        return true;
    }
    return false;
}

#define RS_OWNER(name)                                                                             \
    "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"" name    \
    "\",\"uid\":\"u1\",\"controller\":true,\"blockOwnerDeletion\":true}]"

static void test_workload_from_pod(void)
{
    static const struct {
        const char *desc;
        const char *pod;
        bool lookup;
        snug_status want;
        const char *kind, *name; /* on success */
        const char *err;         /* on failure: substring of the message */
    } cases[] = {
        {"rs with matching hash",
         "{\"metadata\":{\"name\":\"web-7d4b9c8f6-abcde\",\"labels\":{"
         "\"app\":\"web\",\"pod-template-hash\":\"7d4b9c8f6\"}," RS_OWNER("web-7d4b9c8f6") "}}",
         false, SNUG_OK, "Deployment", "web", NULL},
        {"rs with dashes in deployment name",
         "{\"metadata\":{\"labels\":{\"pod-template-hash\":\"5f6d\"}," RS_OWNER(
             "my-api-v2-5f6d") "}}",
         false, SNUG_OK, "Deployment", "my-api-v2", NULL},
        {"rs with non-matching hash",
         "{\"metadata\":{\"labels\":{\"pod-template-hash\":\"aaaa\"}," RS_OWNER("web-bbbb") "}}",
         false, SNUG_OK, "ReplicaSet", "web-bbbb", NULL},
        {"rs hash is a suffix but no dash",
         "{\"metadata\":{\"labels\":{\"pod-template-hash\":\"bbbb\"}," RS_OWNER("webbbbb") "}}",
         false, SNUG_OK, "ReplicaSet", "webbbbb", NULL},
        {"rs named only -hash",
         "{\"metadata\":{\"labels\":{\"pod-template-hash\":\"bbbb\"}," RS_OWNER("-bbbb") "}}",
         false, SNUG_OK, "ReplicaSet", "-bbbb", NULL},
        {"rs without labels", "{\"metadata\":{" RS_OWNER("web-7d4b9c8f6") "}}", false, SNUG_OK,
         "ReplicaSet", "web-7d4b9c8f6", NULL},
        {"rs with other labels only",
         "{\"metadata\":{\"labels\":{\"app\":\"web\"}," RS_OWNER("web-7d4b9c8f6") "}}", false,
         SNUG_OK, "ReplicaSet", "web-7d4b9c8f6", NULL},
        {"rs with empty hash label",
         "{\"metadata\":{\"labels\":{\"pod-template-hash\":\"\"}," RS_OWNER("web-") "}}", false,
         SNUG_OK, "ReplicaSet", "web-", NULL},
        {"statefulset",
         "{\"metadata\":{\"name\":\"db-0\",\"ownerReferences\":[{\"kind\":\"StatefulSet\","
         "\"name\":\"db\",\"controller\":true}]}}",
         false, SNUG_OK, "StatefulSet", "db", NULL},
        {"daemonset with pod-template-hash-like label",
         "{\"metadata\":{\"labels\":{\"pod-template-hash\":\"x\"},\"ownerReferences\":[{"
         "\"kind\":\"DaemonSet\",\"name\":\"agent-x\",\"controller\":true}]}}",
         false, SNUG_OK, "DaemonSet", "agent-x", NULL},
        {"job without lookup",
         "{\"metadata\":{\"namespace\":\"batch\",\"ownerReferences\":[{\"kind\":\"Job\","
         "\"name\":\"nightly-29000000\",\"controller\":true}]}}",
         false, SNUG_OK, "Job", "nightly-29000000", NULL},
        {"job with lookup hit",
         "{\"metadata\":{\"namespace\":\"batch\",\"ownerReferences\":[{\"kind\":\"Job\","
         "\"name\":\"nightly-29000000\",\"controller\":true}]}}",
         true, SNUG_OK, "CronJob", "nightly", NULL},
        {"job with lookup in another namespace",
         "{\"metadata\":{\"namespace\":\"other\",\"ownerReferences\":[{\"kind\":\"Job\","
         "\"name\":\"nightly-29000000\",\"controller\":true}]}}",
         true, SNUG_OK, "Job", "nightly-29000000", NULL},
        {"job with lookup miss",
         "{\"metadata\":{\"namespace\":\"batch\",\"ownerReferences\":[{\"kind\":\"Job\","
         "\"name\":\"migrate\",\"controller\":true}]}}",
         true, SNUG_OK, "Job", "migrate", NULL},
        {"job with lookup answering an empty name",
         "{\"metadata\":{\"namespace\":\"batch\",\"ownerReferences\":[{\"kind\":\"Job\","
         "\"name\":\"says-yes-but-empty\",\"controller\":true}]}}",
         true, SNUG_OK, "Job", "says-yes-but-empty", NULL},
        {"custom controller kind",
         "{\"metadata\":{\"ownerReferences\":[{\"kind\":\"Rollout\",\"name\":\"canary\","
         "\"controller\":true}]}}",
         false, SNUG_OK, "Rollout", "canary", NULL},
        {"controller is the second owner",
         "{\"metadata\":{\"name\":\"p\",\"ownerReferences\":[{\"kind\":\"ConfigMap\",\"name\":"
         "\"cm\"},{\"kind\":\"StatefulSet\",\"name\":\"db\",\"controller\":true}]}}",
         false, SNUG_OK, "StatefulSet", "db", NULL},
        {"bare pod with name", "{\"metadata\":{\"name\":\"debug\"}}", false, SNUG_OK, "Pod",
         "debug", NULL},
        {"bare pod with generateName", "{\"metadata\":{\"generateName\":\"runner-\"}}", false,
         SNUG_OK, "Pod", "runner", NULL},
        {"bare pod with generateName without dash", "{\"metadata\":{\"generateName\":\"runner\"}}",
         false, SNUG_OK, "Pod", "runner", NULL},
        {"bare pod: name wins over generateName",
         "{\"metadata\":{\"name\":\"a\",\"generateName\":\"b-\"}}", false, SNUG_OK, "Pod", "a",
         NULL},
        {"non-controller owners only",
         "{\"metadata\":{\"name\":\"solo\",\"ownerReferences\":[{\"kind\":\"ReplicaSet\",\"name\":"
         "\"web-1\",\"controller\":false},{\"kind\":\"Node\",\"name\":\"n1\"}]}}",
         false, SNUG_OK, "Pod", "solo", NULL},
        {"empty ownerReferences", "{\"metadata\":{\"name\":\"solo\",\"ownerReferences\":[]}}",
         false, SNUG_OK, "Pod", "solo", NULL},
        {"null ownerReferences", "{\"metadata\":{\"name\":\"solo\",\"ownerReferences\":null}}",
         false, SNUG_OK, "Pod", "solo", NULL},
        /* failures */
        {"ownerReferences not an array",
         "{\"metadata\":{\"name\":\"p\",\"ownerReferences\":{\"kind\":\"Job\"}}}", false,
         SNUG_ERR_INVALID, NULL, NULL, "metadata.ownerReferences: must be an array, got object"},
        {"owner not an object", "{\"metadata\":{\"name\":\"p\",\"ownerReferences\":[\"rs\"]}}",
         false, SNUG_ERR_INVALID, NULL, NULL,
         "metadata.ownerReferences[0]: must be an object, got string"},
        {"controller not a boolean",
         "{\"metadata\":{\"name\":\"p\",\"ownerReferences\":[{\"kind\":\"Job\",\"name\":\"j\","
         "\"controller\":\"true\"}]}}",
         false, SNUG_ERR_INVALID, NULL, NULL,
         "metadata.ownerReferences[0].controller: must be a boolean, got string"},
        {"controller owner without name",
         "{\"metadata\":{\"ownerReferences\":[{\"kind\":\"Node\",\"name\":\"n\"},{\"kind\":"
         "\"Job\",\"controller\":true}]}}",
         false, SNUG_ERR_INVALID, NULL, NULL, "metadata.ownerReferences[1].name: required"},
        {"controller owner kind not a string",
         "{\"metadata\":{\"ownerReferences\":[{\"kind\":7,\"name\":\"x\",\"controller\":true}]}}",
         false, SNUG_ERR_INVALID, NULL, NULL,
         "metadata.ownerReferences[0].kind: must be a string, got number"},
        {"labels not an object",
         "{\"metadata\":{\"labels\":[\"a\"]," RS_OWNER("web-7d4b9c8f6") "}}", false,
         SNUG_ERR_INVALID, NULL, NULL, "metadata.labels: must be an object, got array"},
        {"pod-template-hash not a string",
         "{\"metadata\":{\"labels\":{\"pod-template-hash\":5}," RS_OWNER("web-5") "}}", false,
         SNUG_ERR_INVALID, NULL, NULL,
         "metadata.labels.pod-template-hash: must be a string, got number"},
        {"metadata not an object", "{\"metadata\":\"x\"}", false, SNUG_ERR_INVALID, NULL, NULL,
         "metadata: must be an object, got string"},
        {"no metadata", "{\"spec\":{}}", false, SNUG_ERR_INVALID, NULL, NULL, "metadata: required"},
        {"pod not an object", "[1]", false, SNUG_ERR_INVALID, NULL, NULL,
         "pod: must be an object, got array"},
        {"bare pod without names", "{\"metadata\":{\"labels\":{}}}", false, SNUG_ERR_INVALID, NULL,
         NULL, "needs a name or generateName"},
        {"bare pod with generateName of dashes", "{\"metadata\":{\"generateName\":\"--\"}}", false,
         SNUG_ERR_INVALID, NULL, NULL, "needs a name or generateName"},
        {"name not a string", "{\"metadata\":{\"name\":1}}", false, SNUG_ERR_INVALID, NULL, NULL,
         "metadata.name: must be a string, got number"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *pod = cJSON_Parse(cases[i].pod);
        workload_ref ref;
        snug_err err;
        snug_status st;

        T_CASE("%s", cases[i].desc);
        CHECK(pod != NULL);
        snug_err_clear(&err);
        st = workload_from_pod(pod, cases[i].lookup ? job_lookup : NULL, "batch", &ref, &err);
        CHECK_INT_EQ(st, cases[i].want);
        if (cases[i].want == SNUG_OK) {
            CHECK_STR_EQ(ref.kind, cases[i].kind);
            CHECK_STR_EQ(ref.name, cases[i].name);
        } else {
            CHECK_STR_CONTAINS(err.msg, cases[i].err);
            CHECK_STR_EQ(ref.kind, "");
            CHECK_STR_EQ(ref.name, "");
        }
        cJSON_Delete(pod);
    }
}

static void test_workload_lookup_only_for_jobs(void)
{
    cJSON *pod = cJSON_Parse("{\"metadata\":{\"namespace\":\"batch\",\"ownerReferences\":[{"
                             "\"kind\":\"StatefulSet\",\"name\":\"nightly-29000000\","
                             "\"controller\":true}]}}");
    workload_ref ref;

    lookups = 0;
    CHECK_INT_EQ(workload_from_pod(pod, job_lookup, "batch", &ref, NULL), SNUG_OK);
    CHECK_INT_EQ(lookups, 0);
    CHECK_STR_EQ(ref.kind, "StatefulSet");
    cJSON_Delete(pod);
}

static void test_workload_long_names(void)
{
    char name[300], json[600];
    cJSON *pod;
    workload_ref ref;
    snug_err err;

    /* 253 characters fit; 254 do not. */
    memset(name, 'a', sizeof(name));
    name[253] = '\0';
    snprintf(json, sizeof(json), "{\"metadata\":{\"name\":\"%s\"}}", name);
    pod = cJSON_Parse(json);
    CHECK_INT_EQ(workload_from_pod(pod, NULL, NULL, &ref, NULL), SNUG_OK);
    CHECK_INT_EQ(strlen(ref.name), 253);
    cJSON_Delete(pod);
    name[253] = 'a';
    name[254] = '\0';
    snprintf(json, sizeof(json), "{\"metadata\":{\"name\":\"%s\"}}", name);
    pod = cJSON_Parse(json);
    snug_err_clear(&err);
    CHECK_INT_EQ(workload_from_pod(pod, NULL, NULL, &ref, &err), SNUG_ERR_INVALID);
    CHECK_STR_CONTAINS(err.msg, "longer than 253");
    cJSON_Delete(pod);
}

static void test_workload_from_object(void)
{
    static const struct {
        const char *obj;
        snug_status want;
        const char *kind, *name, *err;
    } cases[] = {
        {"{\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\"}}", SNUG_OK, "Deployment", "web",
         NULL},
        {"{\"kind\":\"CronJob\",\"metadata\":{\"name\":\"nightly\",\"namespace\":\"b\"}}", SNUG_OK,
         "CronJob", "nightly", NULL},
        {"{\"kind\":\"ReplicaSet\",\"metadata\":{\"name\":\"web-1\",\"ownerReferences\":[{"
         "\"kind\":\"Deployment\",\"name\":\"web\",\"controller\":true}]}}",
         SNUG_OK, "ReplicaSet", "web-1", NULL},
        {"{\"kind\":\"Pod\",\"metadata\":{\"generateName\":\"x-\"}}", SNUG_OK, "Pod", "x", NULL},
        {"{\"metadata\":{\"name\":\"web\"}}", SNUG_ERR_INVALID, NULL, NULL, "kind: required"},
        {"{\"kind\":\"Deployment\",\"metadata\":{}}", SNUG_ERR_INVALID, NULL, NULL,
         "metadata.name: required"},
        {"{\"kind\":\"Deployment\"}", SNUG_ERR_INVALID, NULL, NULL, "metadata.name: required"},
        {"{\"kind\":[],\"metadata\":{\"name\":\"web\"}}", SNUG_ERR_INVALID, NULL, NULL,
         "kind: must be a string, got array"},
        {"\"Deployment\"", SNUG_ERR_INVALID, NULL, NULL, "must be an object, got string"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *obj = cJSON_Parse(cases[i].obj);
        workload_ref ref;
        snug_err err;

        T_CASE("%s", cases[i].obj);
        snug_err_clear(&err);
        CHECK_INT_EQ(workload_from_object(obj, &ref, &err), cases[i].want);
        if (cases[i].want == SNUG_OK) {
            CHECK_STR_EQ(ref.kind, cases[i].kind);
            CHECK_STR_EQ(ref.name, cases[i].name);
        } else {
            CHECK_STR_CONTAINS(err.msg, cases[i].err);
        }
        cJSON_Delete(obj);
    }
}

int main(void)
{
    RUN(test_workload_from_pod);
    RUN(test_workload_lookup_only_for_jobs);
    RUN(test_workload_long_names);
    RUN(test_workload_from_object);
    return TEST_DONE();
}

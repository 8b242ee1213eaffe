/* Unit tests for limitrange: folding LimitRanges, the API server's
 * LimitRangeItem defaulting, and the kubernetes.io/limit-ranger annotation. */
#include <cjson/cJSON.h>

#include "model/limitrange.h"
#include "test.h"

#define U  RES_UNSET
#define MI (1024LL * 1024)
#define GI (1024LL * MI)

/* Fold each JSON LimitRange of `docs` (NULL-terminated) into b. */
static snug_status fold(limitrange_bounds *b, const char *const *docs, snug_err *err)
{
    snug_status st = SNUG_OK;
    size_t i;

    limitrange_bounds_init(b);
    for (i = 0; docs[i] != NULL && st == SNUG_OK; i++) {
        cJSON *lr = cJSON_Parse(docs[i]);

        if (lr == NULL) {
            T_FAIL("bad test JSON: %s", docs[i]);
            return SNUG_ERR_PARSE;
        }
        st = limitrange_add(b, lr, err);
        cJSON_Delete(lr);
    }
    return st;
}

#define LR(name, limits)                                                                           \
    "{\"apiVersion\":\"v1\",\"kind\":\"LimitRange\",\"metadata\":{\"name\":\"" name                \
    "\"},\"spec\":{\"limits\":" limits "}}"

static void test_fold(void)
{
    static const struct {
        const char *name;
        const char *docs[4];
        int64_t min_cpu, min_mem, max_cpu, max_mem;
        int64_t dl_cpu, dl_mem, dr_cpu, dr_mem;
        double ratio_cpu, ratio_mem;
        int64_t pmin_cpu, pmax_cpu, pmax_mem;
    } cases[] = {
        {"empty", {NULL}, U, U, U, U, U, U, U, U, 0, 0, U, U, U},
        {"no limits", {LR("a", "[]"), NULL}, U, U, U, U, U, U, U, U, 0, 0, U, U, U},
        {"all fields",
         {LR("a", "[{\"type\":\"Container\",\"min\":{\"cpu\":\"10m\",\"memory\":\"32Mi\"},"
                  "\"max\":{\"cpu\":\"2\",\"memory\":\"1Gi\"},"
                  "\"default\":{\"cpu\":\"500m\",\"memory\":\"512Mi\"},"
                  "\"defaultRequest\":{\"cpu\":\"100m\",\"memory\":\"128Mi\"},"
                  "\"maxLimitRequestRatio\":{\"cpu\":\"4\",\"memory\":\"1500m\"}}]"),
          NULL},
         10,
         32 * MI,
         2000,
         GI,
         500,
         512 * MI,
         100,
         128 * MI,
         4,
         1.5,
         U,
         U,
         U},
        /* API defaulting: default <- max, defaultRequest <- default, <- min */
        {"default from max",
         {LR("a",
             "[{\"type\":\"Container\",\"max\":{\"cpu\":\"2\"},\"min\":{\"memory\":\"64Mi\"}}]"),
          NULL},
         U,
         64 * MI,
         2000,
         U,
         2000,
         U,
         2000,
         64 * MI,
         0,
         0,
         U,
         U,
         U},
        {"strictest of two",
         {LR("a", "[{\"type\":\"Container\",\"min\":{\"cpu\":\"10m\"},\"max\":{\"cpu\":\"4\"},"
                  "\"default\":{\"cpu\":\"1\"},\"maxLimitRequestRatio\":{\"cpu\":\"10\"}}]"),
          LR("b", "[{\"type\":\"Container\",\"min\":{\"cpu\":\"50m\"},\"max\":{\"cpu\":\"8\","
                  "\"memory\":\"2Gi\"},\"default\":{\"cpu\":\"2\"},"
                  "\"maxLimitRequestRatio\":{\"cpu\":\"3\",\"memory\":\"2\"}}]"),
          NULL},
         50,
         U,
         4000,
         2 * GI,
         1000,
         2 * GI,
         1000,
         2 * GI,
         3,
         2,
         U,
         U,
         U},
        {"two items in one",
         {LR("a", "[{\"type\":\"Container\",\"max\":{\"memory\":\"1Gi\"}},"
                  "{\"type\":\"Container\",\"max\":{\"memory\":\"512Mi\"}}]"),
          NULL},
         U,
         U,
         U,
         512 * MI,
         U,
         GI,
         U,
         GI,
         0,
         0,
         U,
         U,
         U},
        {"pod type",
         {LR("a", "[{\"type\":\"Pod\",\"min\":{\"cpu\":\"100m\"},\"max\":{\"cpu\":\"3\","
                  "\"memory\":\"4Gi\"}}]"),
          LR("b", "[{\"type\":\"Pod\",\"max\":{\"cpu\":\"2\"}}]"), NULL},
         U,
         U,
         U,
         U,
         U,
         U,
         U,
         U,
         0,
         0,
         100,
         2000,
         4 * GI},
        {"pvc and other resources ignored",
         {LR("a", "[{\"type\":\"PersistentVolumeClaim\",\"max\":{\"storage\":\"1Gi\"}},"
                  "{\"type\":\"Container\",\"max\":{\"ephemeral-storage\":\"1Gi\","
                  "\"nvidia.com/gpu\":\"1\"}},{\"max\":{\"cpu\":\"1\"}}]"),
          NULL},
         U,
         U,
         U,
         U,
         U,
         U,
         U,
         U,
         0,
         0,
         U,
         U,
         U},
        {"numbers and rounding",
         {LR("a", "[{\"type\":\"Container\",\"min\":{\"cpu\":0.0005,\"memory\":1000.5},"
                  "\"max\":{\"cpu\":\"100.5m\",\"memory\":1e9}}]"),
          NULL},
         1,
         1001,
         100,
         1000000000,
         100,
         1000000000,
         100,
         1000000000,
         0,
         0,
         U,
         U,
         U},
        {"null members",
         {LR("a", "[{\"type\":\"Container\",\"min\":null,\"max\":{\"cpu\":null}}]"), NULL},
         U,
         U,
         U,
         U,
         U,
         U,
         U,
         U,
         0,
         0,
         U,
         U,
         U},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        limitrange_bounds b;
        snug_err err;

        T_CASE("%s", cases[i].name);
        CHECK_INT_EQ(fold(&b, cases[i].docs, &err), SNUG_OK);
        CHECK_INT_EQ(b.min.cpu_milli, cases[i].min_cpu);
        CHECK_INT_EQ(b.min.mem_bytes, cases[i].min_mem);
        CHECK_INT_EQ(b.max.cpu_milli, cases[i].max_cpu);
        CHECK_INT_EQ(b.max.mem_bytes, cases[i].max_mem);
        CHECK_INT_EQ(b.default_limit.cpu_milli, cases[i].dl_cpu);
        CHECK_INT_EQ(b.default_limit.mem_bytes, cases[i].dl_mem);
        CHECK_INT_EQ(b.default_request.cpu_milli, cases[i].dr_cpu);
        CHECK_INT_EQ(b.default_request.mem_bytes, cases[i].dr_mem);
        CHECK_DBL_NEAR(b.max_ratio_cpu, cases[i].ratio_cpu, 1e-9);
        CHECK_DBL_NEAR(b.max_ratio_memory, cases[i].ratio_mem, 1e-9);
        CHECK_INT_EQ(b.pod_min.cpu_milli, cases[i].pmin_cpu);
        CHECK_INT_EQ(b.pod_max.cpu_milli, cases[i].pmax_cpu);
        CHECK_INT_EQ(b.pod_max.mem_bytes, cases[i].pmax_mem);
    }
}

static void test_bad(void)
{
    static const struct {
        const char *doc;
        const char *want;
    } cases[] = {
        {LR("web", "[{\"type\":\"Container\",\"max\":{\"cpu\":\"12x\"}}]"),
         "LimitRange \"web\": spec.limits[0].max.cpu: "},
        {LR("web", "[{\"type\":\"Pod\"},{\"type\":\"Container\",\"min\":{\"memory\":\"-1Mi\"}}]"),
         "LimitRange \"web\": spec.limits[1].min.memory: must not be negative"},
        {LR("web", "[{\"type\":\"Container\",\"maxLimitRequestRatio\":{\"cpu\":true}}]"),
         "spec.limits[0].maxLimitRequestRatio.cpu"},
        {LR("web", "[{\"type\":\"Container\",\"default\":[]}]"),
         "spec.limits[0].default: must be an object"},
        {LR("web", "{}"), "LimitRange \"web\": spec.limits: must be an array"},
        {LR("web", "[3]"), "spec.limits[0]: must be an object"},
        {"{\"kind\":\"ResourceQuota\",\"metadata\":{\"name\":\"q\"}}", "kind: must be LimitRange"},
        {"[]", "must be an object"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        limitrange_bounds b, before;
        cJSON *lr = cJSON_Parse(cases[i].doc);
        snug_err err;

        T_CASE("%s", cases[i].doc);
        limitrange_bounds_init(&b);
        b.max.cpu_milli = 7000;
        before = b;
        CHECK_INT_EQ(limitrange_add(&b, lr, &err), SNUG_ERR_INVALID);
        CHECK_STR_CONTAINS(err.msg, cases[i].want);
        CHECK(memcmp(&b, &before, sizeof(b)) == 0);
        CHECK_INT_EQ(limitrange_add(&b, lr, NULL), SNUG_ERR_INVALID); /* no error context */
        cJSON_Delete(lr);
    }
}

static void test_defaulted(void)
{
    static const struct {
        const char *annotation; /* NULL: no annotation */
        const char *container;
        unsigned want;
    } cases[] = {
        {"LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for "
         "container app",
         "app",
         LR_SET_CPU_REQUEST | LR_SET_MEMORY_REQUEST | LR_SET_CPU_LIMIT | LR_SET_MEMORY_LIMIT},
        {"LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for "
         "container app",
         "web", 0},
        {"LimitRanger plugin set: cpu request for container app; memory limit for container web",
         "web", LR_SET_MEMORY_LIMIT},
        {"LimitRanger plugin set: cpu request for container app; memory limit for container web",
         "app", LR_SET_CPU_REQUEST},
        {"LimitRanger plugin set: cpu request for container app; cpu request for init container "
         "setup; memory limit for init container setup",
         "setup", LR_SET_CPU_REQUEST | LR_SET_MEMORY_LIMIT},
        {"LimitRanger plugin set: cpu request for container app-2", "app", 0},
        {"LimitRanger plugin set: cpu request for container app", "app-2", 0},
        {"LimitRanger plugin set: cpu request for container app", "pp", 0},
        {"LimitRanger plugin set: ephemeral-storage, memory request for container app", "app",
         LR_SET_MEMORY_REQUEST},
        {"LimitRanger plugin set: ephemeral-storage limit for container app", "app", 0},
        {"cpu request for container app", "app", 0},
        {"LimitRanger plugin set: ", "app", 0},
        {"LimitRanger plugin set: garbage; ;;cpu limit for container app;", "app",
         LR_SET_CPU_LIMIT},
        {NULL, "app", 0},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *pod = cJSON_Parse("{\"metadata\":{\"annotations\":{}}}");
        cJSON *ann = cJSON_GetObjectItem(cJSON_GetObjectItem(pod, "metadata"), "annotations");

        T_CASE("%s / %s", cases[i].annotation ? cases[i].annotation : "(none)", cases[i].container);
        if (cases[i].annotation)
            cJSON_AddStringToObject(ann, "kubernetes.io/limit-ranger", cases[i].annotation);
        CHECK_INT_EQ(limitrange_defaulted(pod, cases[i].container), cases[i].want);
        cJSON_Delete(pod);
    }
}

static void test_defaulted_odd_pods(void)
{
    static const char *const pods[] = {
        "{}",
        "{\"metadata\":null}",
        "{\"metadata\":{\"annotations\":[]}}",
        "{\"metadata\":{\"annotations\":{\"kubernetes.io/limit-ranger\":42}}}",
        "[]",
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(pods); i++) {
        cJSON *pod = cJSON_Parse(pods[i]);

        T_CASE("%s", pods[i]);
        CHECK_INT_EQ(limitrange_defaulted(pod, "app"), 0);
        cJSON_Delete(pod);
    }
    CHECK_INT_EQ(limitrange_defaulted(NULL, "app"), 0);
    CHECK_INT_EQ(limitrange_defaulted(NULL, NULL), 0);
}

int main(void)
{
    RUN(test_fold);
    RUN(test_bad);
    RUN(test_defaulted);
    RUN(test_defaulted_odd_pods);
    return TEST_DONE();
}

/* Unit tests for workload_template: which kinds have a pod template, where,
 * what a broken path says, and that replacing keeps the key order. */
#include <cjson/cJSON.h>

#include "test.h"
#include "model/workload_template.h"

static void test_find(void)
{
    static const struct {
        const char *json;
        snug_status want;
        const char *path;   /* or the error message */
        const char *marker; /* value of the found object's "m" field */
    } cases[] = {
        {"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"m\":\"pod\"}", SNUG_OK, "", "pod"},
        {"{\"kind\":\"Pod\",\"m\":\"pod\"}", SNUG_OK, "", "pod"},
        {"{\"apiVersion\":\"apps/"
         "v1\",\"kind\":\"Deployment\",\"spec\":{\"template\":{\"m\":\"t\"}}}",
         SNUG_OK, "spec.template", "t"},
        {"{\"apiVersion\":\"extensions/v1beta1\",\"kind\":\"Deployment\","
         "\"spec\":{\"template\":{\"m\":\"t\"}}}",
         SNUG_OK, "spec.template", "t"},
        {"{\"apiVersion\":\"apps/"
         "v1\",\"kind\":\"StatefulSet\",\"spec\":{\"template\":{\"m\":\"s\"}}}",
         SNUG_OK, "spec.template", "s"},
        {"{\"apiVersion\":\"apps/"
         "v1\",\"kind\":\"DaemonSet\",\"spec\":{\"template\":{\"m\":\"d\"}}}",
         SNUG_OK, "spec.template", "d"},
        {"{\"apiVersion\":\"apps/"
         "v1\",\"kind\":\"ReplicaSet\",\"spec\":{\"template\":{\"m\":\"r\"}}}",
         SNUG_OK, "spec.template", "r"},
        {"{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"spec\":{\"template\":{\"m\":\"j\"}}}",
         SNUG_OK, "spec.template", "j"},
        {"{\"apiVersion\":\"batch/v1\",\"kind\":\"CronJob\",\"spec\":{\"jobTemplate\":"
         "{\"spec\":{\"template\":{\"m\":\"c\"}}}}}",
         SNUG_OK, "spec.jobTemplate.spec.template", "c"},
        {"{\"apiVersion\":\"v1\",\"kind\":\"ReplicationController\",\"spec\":{\"template\":{\"m\":"
         "\"rc\"}}}",
         SNUG_OK, "spec.template", "rc"},
        {"{\"apiVersion\":\"v1\",\"kind\":\"PodTemplate\",\"template\":{\"m\":\"pt\"}}", SNUG_OK,
         "template", "pt"},
        /* Not a workload, or the same kind name in another API group. */
        {"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\"}", SNUG_ERR_UNSUPPORTED, NULL, NULL},
        {"{\"apiVersion\":\"batch.volcano.sh/v1alpha1\",\"kind\":\"Job\",\"spec\":{}}",
         SNUG_ERR_UNSUPPORTED, NULL, NULL},
        {"{\"apiVersion\":\"apps/v1\",\"kind\":\"Pod\"}", SNUG_ERR_UNSUPPORTED, NULL, NULL},
        {"{\"apiVersion\":\"v1\",\"kind\":\"Deployment\",\"spec\":{\"template\":{}}}",
         SNUG_ERR_UNSUPPORTED, NULL, NULL},
        {"{\"apiVersion\":7,\"kind\":\"Pod\"}", SNUG_ERR_UNSUPPORTED, NULL, NULL},
        {"{\"apiVersion\":\"\",\"kind\":\"Pod\"}", SNUG_ERR_UNSUPPORTED, NULL, NULL},
        {"{\"kind\":\"pod\"}", SNUG_ERR_UNSUPPORTED, NULL, NULL},
        {"{\"kind\":[\"Pod\"]}", SNUG_ERR_UNSUPPORTED, NULL, NULL},
        {"{}", SNUG_ERR_UNSUPPORTED, NULL, NULL},
        {"[]", SNUG_ERR_UNSUPPORTED, NULL, NULL},
        {"\"Pod\"", SNUG_ERR_UNSUPPORTED, NULL, NULL},
        /* A workload whose path is broken. */
        {"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"spec\":3}", SNUG_ERR_INVALID,
         "spec: must be an object", NULL},
        {"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\"}", SNUG_ERR_INVALID, "spec: missing",
         NULL},
        {"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"spec\":{}}", SNUG_ERR_INVALID,
         "spec.template: missing", NULL},
        {"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"spec\":{\"template\":null}}",
         SNUG_ERR_INVALID, "spec.template: must be an object", NULL},
        {"{\"apiVersion\":\"batch/"
         "v1\",\"kind\":\"CronJob\",\"spec\":{\"jobTemplate\":{\"spec\":[]}}}",
         SNUG_ERR_INVALID, "spec.jobTemplate.spec: must be an object", NULL},
        {"{\"apiVersion\":\"v1\",\"kind\":\"PodTemplate\",\"template\":\"x\"}", SNUG_ERR_INVALID,
         "template: must be an object", NULL},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *obj = cJSON_Parse(cases[i].json);
        workload_template t;
        snug_err err;
        snug_status st;

        T_CASE("%s", cases[i].json);
        CHECK(obj != NULL);
        snug_err_clear(&err);
        st = workload_template_find(obj, &t, &err);
        CHECK_INT_EQ(st, cases[i].want);
        if (st == SNUG_OK) {
            CHECK_STR_EQ(t.path, cases[i].path);
            CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(t.pod, "m")),
                         cases[i].marker);
            CHECK_INT_EQ(t.is_pod, t.pod == obj);
            CHECK_INT_EQ(t.parent == NULL, t.is_pod);
        } else if (cases[i].path != NULL) {
            CHECK_STR_EQ(err.msg, cases[i].path);
        }
        cJSON_Delete(obj);
    }
}

static void test_replace(void)
{
    cJSON *docs = cJSON_Parse("[{\"kind\":\"Pod\",\"m\":1},"
                              "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"spec\":{"
                              "\"replicas\":1,\"template\":{\"m\":2},\"paused\":false}}]");
    workload_template t;
    char *s;

    T_CASE("template keeps its position");
    CHECK_INT_EQ(workload_template_find(cJSON_GetArrayItem(docs, 1), &t, NULL), SNUG_OK);
    CHECK_INT_EQ(workload_template_replace(docs, cJSON_GetArrayItem(docs, 1), &t,
                                           cJSON_Parse("{\"m\":3}"), NULL),
                 SNUG_OK);
    T_CASE("a Pod is replaced in its array");
    CHECK_INT_EQ(workload_template_find(cJSON_GetArrayItem(docs, 0), &t, NULL), SNUG_OK);
    CHECK_INT_EQ(workload_template_replace(docs, cJSON_GetArrayItem(docs, 0), &t,
                                           cJSON_Parse("{\"kind\":\"Pod\",\"m\":4}"), NULL),
                 SNUG_OK);
    s = cJSON_PrintUnformatted(docs);
    CHECK_STR_EQ(s, "[{\"kind\":\"Pod\",\"m\":4},{\"apiVersion\":\"apps/v1\",\"kind\":"
                    "\"Deployment\",\"spec\":{\"replicas\":1,\"template\":{\"m\":3},\"paused\":"
                    "false}}]");
    cJSON_free(s);
    T_CASE("a Pod outside an array is refused");
    CHECK_INT_EQ(workload_template_find(cJSON_GetArrayItem(docs, 0), &t, NULL), SNUG_OK);
    CHECK_INT_EQ(workload_template_replace(cJSON_GetArrayItem(docs, 1), cJSON_GetArrayItem(docs, 0),
                                           &t, cJSON_CreateObject(), NULL),
                 SNUG_ERR_INTERNAL);
    cJSON_Delete(docs);
}

static void test_list_and_names(void)
{
    static const struct {
        const char *json;
        int is_list;
        const char *kind, *name, *ns;
    } cases[] = {
        {"{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[]}", 1, "List", NULL, NULL},
        {"{\"kind\":\"List\"}", 1, "List", NULL, NULL},
        {"{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":null}", 1, "List", NULL, NULL},
        {"{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":{}}", 0, "List", NULL, NULL},
        {"{\"apiVersion\":\"apps/v1\",\"kind\":\"List\",\"items\":[]}", 0, "List", NULL, NULL},
        {"{\"apiVersion\":\"v1\",\"kind\":\"PodList\",\"items\":[]}", 0, "PodList", NULL, NULL},
        {"{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"n\"}}", 0, "Pod", "p",
         "n"},
        {"{\"kind\":1,\"metadata\":{\"name\":2,\"namespace\":null}}", 0, NULL, NULL, NULL},
        {"{\"metadata\":[]}", 0, NULL, NULL, NULL},
        {"null", 0, NULL, NULL, NULL},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *obj = cJSON_Parse(cases[i].json);

        T_CASE("%s", cases[i].json);
        CHECK(obj != NULL);
        CHECK_INT_EQ(workload_is_list(obj), cases[i].is_list);
        CHECK_STR_EQ(workload_kind(obj), cases[i].kind);
        CHECK_STR_EQ(workload_name(obj), cases[i].name);
        CHECK_STR_EQ(workload_namespace(obj), cases[i].ns);
        cJSON_Delete(obj);
    }
}

int main(void)
{
    RUN(test_find);
    RUN(test_replace);
    RUN(test_list_and_names);
    return TEST_DONE();
}

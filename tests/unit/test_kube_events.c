/* Unit tests for kube_events: building events.k8s.io/v1 Event objects. */
#include "kube/kube_events.h"
#include "test.h"

static const char *str_at(const cJSON *obj, const char *a, const char *b)
{
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(obj, a);

    if (b != NULL)
        o = cJSON_GetObjectItemCaseSensitive(o, b);
    return cJSON_GetStringValue(o);
}

static kube_event base_event(void)
{
    kube_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.reporting_controller = "snug.dev/controller";
    ev.reporting_instance = "snug-controller-7d9f-abc";
    ev.action = "Recommend";
    ev.reason = "RecommendationUpdated";
    ev.note = "cpu 250m -> 300m";
    ev.regarding.api_version = "apps/v1";
    ev.regarding.kind = "Deployment";
    ev.regarding.ns = "team-a";
    ev.regarding.name = "web";
    ev.regarding.uid = "0b0d6c9e-1111-2222-3333-444455556666";
    return ev;
}

static void test_build(void)
{
    struct timespec now = {1136214245, 123456789};
    kube_event ev = base_event();
    cJSON *out = NULL;

    CHECK_INT_EQ(kube_event_build(&ev, &now, &out, NULL), SNUG_OK);
    CHECK_STR_EQ(str_at(out, "apiVersion", NULL), "events.k8s.io/v1");
    CHECK_STR_EQ(str_at(out, "kind", NULL), "Event");
    CHECK_STR_EQ(str_at(out, "metadata", "namespace"), "team-a");
    /* 1136214245123456789 ns = 0xfc4a4d605527f15 */
    CHECK_STR_EQ(str_at(out, "metadata", "name"), "web.fc4a4d605527f15");
    CHECK_STR_EQ(str_at(out, "eventTime", NULL), "2006-01-02T15:04:05.123456Z");
    CHECK_STR_EQ(str_at(out, "reportingController", NULL), "snug.dev/controller");
    CHECK_STR_EQ(str_at(out, "reportingInstance", NULL), "snug-controller-7d9f-abc");
    CHECK_STR_EQ(str_at(out, "action", NULL), "Recommend");
    CHECK_STR_EQ(str_at(out, "reason", NULL), "RecommendationUpdated");
    CHECK_STR_EQ(str_at(out, "note", NULL), "cpu 250m -> 300m");
    CHECK_STR_EQ(str_at(out, "type", NULL), "Normal");
    CHECK_STR_EQ(str_at(out, "regarding", "kind"), "Deployment");
    CHECK_STR_EQ(str_at(out, "regarding", "apiVersion"), "apps/v1");
    CHECK_STR_EQ(str_at(out, "regarding", "uid"), "0b0d6c9e-1111-2222-3333-444455556666");
    CHECK(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(out, "regarding"),
                                           "fieldPath") == NULL);
    CHECK(cJSON_GetObjectItemCaseSensitive(out, "related") == NULL);
    cJSON_Delete(out);
}

static void test_cluster_scoped_and_long(void)
{
    struct timespec now = {1, 0};
    kube_event ev = base_event();
    kube_objref rel;
    char name[400];
    char note[1100];
    cJSON *out = NULL;
    size_t i;

    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    /* 341 'a's then 2-byte characters: the cut must not split one */
    memset(note, 'a', 1023);
    for (i = 1023; i + 2 < sizeof(note); i += 2) {
        note[i] = (char)0xC3;
        note[i + 1] = (char)0xA9;
    }
    note[i] = '\0';
    memset(&rel, 0, sizeof(rel));
    rel.kind = "SizingPolicy";
    rel.name = "default";
    ev.regarding.ns = NULL;
    ev.regarding.kind = "SizingPolicy";
    ev.regarding.name = name;
    ev.type = "Warning";
    ev.note = note;
    ev.related = &rel;
    CHECK_INT_EQ(kube_event_build(&ev, &now, &out, NULL), SNUG_OK);
    CHECK_STR_EQ(str_at(out, "metadata", "namespace"), "default");
    CHECK_INT_EQ(strlen(str_at(out, "metadata", "name")), 253);
    CHECK_STR_CONTAINS(str_at(out, "metadata", "name"), "nnn.3b9aca00");
    CHECK_STR_EQ(str_at(out, "type", NULL), "Warning");
    CHECK_INT_EQ(strlen(str_at(out, "note", NULL)), 1023);
    CHECK_STR_EQ(str_at(out, "related", "name"), "default");
    cJSON_Delete(out);
}

static void test_invalid(void)
{
    static const struct {
        int field;
        const char *value, *want;
    } cases[] = {
        {0, NULL, "reportingController: missing"},
        {1, "", "reportingInstance: missing"},
        {2, NULL, "action: missing"},
        {3, NULL, "reason: missing"},
        {4, "Info", "\"Info\" is not Normal or Warning"},
        {5, NULL, "regarding: kind and name needed"},
        {2, "LONG", "action: longer than 128 characters"},
    };
    struct timespec now = {1, 0};
    char longval[200];
    size_t i;

    memset(longval, 'x', sizeof(longval) - 1);
    longval[sizeof(longval) - 1] = '\0';
    for (i = 0; i < ARRAY_LEN(cases); i++) {
        kube_event ev = base_event();
        const char *v = cases[i].value;
        cJSON *out = (cJSON *)1;
        snug_err err;

        T_CASE("%s", cases[i].want);
        if (v != NULL && strcmp(v, "LONG") == 0)
            v = longval;
        if (cases[i].field == 0)
            ev.reporting_controller = v;
        else if (cases[i].field == 1)
            ev.reporting_instance = v;
        else if (cases[i].field == 2)
            ev.action = v;
        else if (cases[i].field == 3)
            ev.reason = v;
        else if (cases[i].field == 4)
            ev.type = v;
        else
            ev.regarding.name = v;
        snug_err_clear(&err);
        CHECK_INT_EQ(kube_event_build(&ev, &now, &out, &err), SNUG_ERR_INVALID);
        CHECK(out == NULL);
        CHECK_STR_CONTAINS(err.msg, cases[i].want);
    }
}

static void test_objref_from_object(void)
{
    cJSON *o = cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":"
                           "\"p\",\"namespace\":\"n\",\"uid\":\"u\",\"resourceVersion\":\"5\"}}");
    kube_objref ref;

    kube_objref_from_object(o, &ref);
    CHECK_STR_EQ(ref.api_version, "v1");
    CHECK_STR_EQ(ref.kind, "Pod");
    CHECK_STR_EQ(ref.ns, "n");
    CHECK_STR_EQ(ref.name, "p");
    CHECK_STR_EQ(ref.uid, "u");
    CHECK_STR_EQ(ref.resource_version, "5");
    CHECK(ref.field_path == NULL);
    cJSON_Delete(o);
}

int main(void)
{
    RUN(test_build);
    RUN(test_cluster_scoped_and_long);
    RUN(test_invalid);
    RUN(test_objref_from_object);
    return TEST_DONE();
}

/* Unit tests for the pure parts of kube_owner: an owner from an object,
 * which namespaces it may own, and ownerReferences read and written. */
#include "kube/kube_owner.h"
#include "test.h"

static const kube_resource deploy_res = {"apps", "v1", "deployments"};
static const kube_resource cm_res = {"", "v1", "configmaps"};
static const kube_resource mwc_res = {"admissionregistration.k8s.io", "v1",
                                      "mutatingwebhookconfigurations"};

static void test_from_object(void)
{
    static const struct {
        const char *what, *json;
        const kube_resource *r;
        const char *kind;
        snug_status want;
        const char *api_version, *ns, *msg;
    } cases[] = {
        {"namespaced Deployment",
         "{\"metadata\":{\"name\":\"c\",\"namespace\":\"snug\",\"uid\":\"u-1\"}}", &deploy_res,
         "Deployment", SNUG_OK, "apps/v1", "snug", NULL},
        {"cluster-scoped configuration", "{\"metadata\":{\"name\":\"snug\",\"uid\":\"u-2\"}}",
         &mwc_res, "MutatingWebhookConfiguration", SNUG_OK, "admissionregistration.k8s.io/v1", NULL,
         NULL},
        {"core group", "{\"metadata\":{\"name\":\"x\",\"namespace\":\"\",\"uid\":\"u\"}}", &cm_res,
         "ConfigMap", SNUG_OK, "v1", NULL, NULL},
        {"no uid", "{\"metadata\":{\"name\":\"c\"}}", &deploy_res, "Deployment", SNUG_ERR_INVALID,
         NULL, NULL, "Deployment c: metadata.uid missing"},
        {"empty uid", "{\"metadata\":{\"name\":\"c\",\"uid\":\"\"}}", &deploy_res, "Deployment",
         SNUG_ERR_INVALID, NULL, NULL, "metadata.uid missing"},
        {"no name", "{\"metadata\":{\"uid\":\"u\"}}", &deploy_res, "Deployment", SNUG_ERR_INVALID,
         NULL, NULL, "metadata.name missing"},
        {"no metadata", "{}", &deploy_res, "Deployment", SNUG_ERR_INVALID, NULL, NULL,
         "metadata.name missing"},
        {"uid not a string", "{\"metadata\":{\"name\":\"c\",\"uid\":7}}", &deploy_res, "Deployment",
         SNUG_ERR_INVALID, NULL, NULL, "metadata.uid missing"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *obj = cJSON_Parse(cases[i].json);
        kube_owner o;
        snug_err err;

        T_CASE("%s", cases[i].what);
        snug_err_clear(&err);
        CHECK(obj != NULL);
        CHECK_INT_EQ(kube_owner_from_object(obj, cases[i].r, cases[i].kind, &o, &err),
                     cases[i].want);
        if (cases[i].want == SNUG_OK) {
            CHECK_STR_EQ(o.api_version, cases[i].api_version);
            CHECK_STR_EQ(o.kind, cases[i].kind);
            CHECK_STR_EQ(o.ns, cases[i].ns);
            CHECK(o.uid != NULL && o.uid[0] == 'u');
        } else {
            CHECK_STR_CONTAINS(err.msg, cases[i].msg);
            CHECK(o.uid == NULL && o.name == NULL && o.api_version == NULL);
        }
        kube_owner_clear(&o);
        cJSON_Delete(obj);
    }
    kube_owner_clear(NULL);
}

static void test_fits(void)
{
    kube_owner dep = {"apps/v1", "Deployment", "c", "u", "snug"};
    kube_owner mwc = {"admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", "snug",
                      "u", NULL};

    T_CASE("fits");
    CHECK(kube_owner_fits(&dep, "snug"));
    CHECK(!kube_owner_fits(&dep, "other"));
    CHECK(!kube_owner_fits(&dep, "snu"));
    CHECK(!kube_owner_fits(&dep, NULL));
    CHECK(kube_owner_fits(&mwc, "any"));
    CHECK(kube_owner_fits(&mwc, NULL));
}

static void test_set_on(void)
{
    static const struct {
        const char *what, *in;
        snug_status want;
        bool changed;
        const char *refs; /* the ownerReferences after, printed unformatted */
    } cases[] = {
        {"no metadata", "{}", SNUG_OK, true,
         "[{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"c\",\"uid\":\"u-2\"}]"},
        {"no references", "{\"metadata\":{\"name\":\"x\"}}", SNUG_OK, true,
         "[{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"c\",\"uid\":\"u-2\"}]"},
        {"already there",
         "{\"metadata\":{\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":"
         "\"Deployment\",\"name\":\"c\",\"uid\":\"u-2\",\"controller\":true}]}}",
         SNUG_OK, false,
         "[{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"c\",\"uid\":\"u-2\","
         "\"controller\":true}]"},
        {"stale uid replaced, another owner kept",
         "{\"metadata\":{\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"name\":"
         "\"c\",\"uid\":\"p\"},{\"apiVersion\":\"apps/v1beta2\",\"kind\":\"Deployment\","
         "\"name\":\"c\",\"uid\":\"u-1\"}]}}",
         SNUG_OK, true,
         "[{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"name\":\"c\",\"uid\":\"p\"},{\"apiVersion\":"
         "\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"c\",\"uid\":\"u-2\"}]"},
        {"same name in another group kept",
         "{\"metadata\":{\"ownerReferences\":[{\"apiVersion\":\"extensions/v1beta1\",\"kind\":"
         "\"Deployment\",\"name\":\"c\",\"uid\":\"e\"}]}}",
         SNUG_OK, true,
         "[{\"apiVersion\":\"extensions/v1beta1\",\"kind\":\"Deployment\",\"name\":\"c\","
         "\"uid\":\"e\"},{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"c\","
         "\"uid\":\"u-2\"}]"},
        {"broken entries kept",
         "{\"metadata\":{\"ownerReferences\":[7,{\"kind\":\"Deployment\",\"name\":\"c\"}]}}",
         SNUG_OK, true,
         "[7,{\"kind\":\"Deployment\",\"name\":\"c\"},{\"apiVersion\":\"apps/v1\",\"kind\":"
         "\"Deployment\",\"name\":\"c\",\"uid\":\"u-2\"}]"},
        {"references not an array", "{\"metadata\":{\"ownerReferences\":{}}}", SNUG_ERR_INVALID,
         false, "{}"},
        {"metadata not an object", "{\"metadata\":[]}", SNUG_ERR_INVALID, false, NULL},
    };
    kube_owner o = {"apps/v1", "Deployment", "c", "u-2", "snug"};
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *obj = cJSON_Parse(cases[i].in);
        bool changed = !cases[i].changed;
        snug_err err;
        char *got;

        T_CASE("%s", cases[i].what);
        CHECK(obj != NULL);
        CHECK_INT_EQ(kube_owner_set_on(obj, &o, &changed, &err), cases[i].want);
        CHECK_INT_EQ(changed, cases[i].changed);
        CHECK_INT_EQ(kube_owner_is_on(obj, &o), cases[i].want == SNUG_OK);
        got = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "ownerReferences"));
        CHECK_STR_EQ(got, cases[i].refs);
        if (cases[i].want != SNUG_OK)
            CHECK_STR_CONTAINS(err.msg, "metadata");
        free(got);
        cJSON_Delete(obj);
    }
}

static void test_is_on(void)
{
    cJSON *obj = cJSON_Parse("{\"metadata\":{\"ownerReferences\":[{\"uid\":\"u-20\"},"
                             "{\"uid\":7},{\"name\":\"c\"}]}}");
    kube_owner o = {"apps/v1", "Deployment", "c", "u-2", "snug"};
    kube_owner o20 = {"apps/v1", "Deployment", "c", "u-20", "snug"};

    T_CASE("is_on");
    CHECK(!kube_owner_is_on(obj, &o)); /* a uid is compared whole */
    CHECK(kube_owner_is_on(obj, &o20));
    CHECK(!kube_owner_is_on(NULL, &o));
    cJSON_Delete(obj);
}

int main(void)
{
    RUN(test_from_object);
    RUN(test_fits);
    RUN(test_set_on);
    RUN(test_is_on);
    return TEST_DONE();
}

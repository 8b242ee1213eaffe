/* Unit tests for recommendation: parsing, names, and the rec_set index. */
#include <cjson/cJSON.h>

#include "model/recommendation.h"
#include "base/status.h"
#include "test.h"
#include "yaml/yamljson.h"

#define MAX_YAML (1 << 20)
#define MIB      (1024LL * 1024)

static cJSON *load_file(const char *file)
{
    char path[512];
    cJSON *docs = NULL;
    snug_err err;

    snprintf(path, sizeof(path), "%s/recommendation/%s", SNUG_TEST_DATA, file);
    snug_err_clear(&err);
    if (yaml_parse_file(path, MAX_YAML, &docs, &err) != SNUG_OK)
        T_FAIL("%s", err.msg);
    return docs;
}

static cJSON *yaml_doc(const char *text)
{
    cJSON *doc = NULL;
    snug_err err;

    snug_err_clear(&err);
    if (yaml_parse_one(text, strlen(text), MAX_YAML, &doc, &err) != SNUG_OK)
        T_FAIL("yaml: %s", err.msg);
    return doc;
}

static void test_rec_parse_full(void)
{
    cJSON *docs = load_file("full.yaml");
    recommendation *r = NULL;
    const rec_container *c;
    snug_err err;

    snug_err_clear(&err);
    CHECK_INT_EQ(recommendation_parse(cJSON_GetArrayItem(docs, 0), "ignored", &r, &err), SNUG_OK);
    if (r == NULL) {
        T_FAIL("%s", err.msg);
        cJSON_Delete(docs);
        return;
    }
    CHECK_STR_EQ(r->namespace, "shop");
    CHECK_STR_EQ(r->name, "deployment-web");
    CHECK_STR_EQ(r->target_api_version, "apps/v1");
    CHECK_STR_EQ(r->target_kind, "Deployment");
    CHECK_STR_EQ(r->target_name, "web");
    CHECK_STR_EQ(r->policy, "web");
    CHECK_STR_EQ(r->last_updated, "2026-11-24T10:00:00Z");
    CHECK_INT_EQ(r->n_containers, 2);
    c = recommendation_container(r, "app");
    CHECK(c != NULL);
    if (c != NULL) {
        CHECK(c->is_go);
        CHECK_INT_EQ(c->target.cpu_milli, 250);
        CHECK_INT_EQ(c->target.mem_bytes, 300 * MIB);
        CHECK_INT_EQ(c->lower_bound.cpu_milli, 200);
        CHECK_INT_EQ(c->lower_bound.mem_bytes, 280 * MIB);
        CHECK_INT_EQ(c->upper_bound.cpu_milli, 1200);
        CHECK_INT_EQ(c->upper_bound.mem_bytes, 400 * MIB);
        CHECK_INT_EQ(c->limits.cpu_milli, RES_UNSET);
        CHECK_INT_EQ(c->limits.mem_bytes, 512 * MIB);
        CHECK_INT_EQ(c->gomaxprocs, 2);
        CHECK_INT_EQ(c->gomemlimit_bytes, 460 * MIB);
        CHECK_INT_EQ(c->observed.cpu_p50_milli, 120);
        CHECK_INT_EQ(c->observed.cpu_p90_milli, 210);
        CHECK_INT_EQ(c->observed.cpu_p99_milli, 600);
        CHECK_INT_EQ(c->observed.cpu_max_milli, 1100);
        CHECK_INT_EQ(c->observed.memory_peak_bytes, 350 * MIB);
        CHECK_INT_EQ(c->observed.oom_kills, 1);
        CHECK_DBL_NEAR(c->observed.throttled_ratio, 0.02, 1e-12);
        CHECK_INT_EQ(c->observed.samples, 10080);
        CHECK_INT_EQ(c->observed.history_seconds, 604800);
        CHECK_INT_EQ(c->observed.startup_seconds, 12);
        CHECK_DBL_NEAR(c->confidence, 0.9, 1e-12);
    }
    c = recommendation_container(r, "istio-proxy");
    CHECK(c != NULL);
    if (c != NULL) {
        CHECK(!c->is_go);
        CHECK_INT_EQ(c->target.cpu_milli, 100);
        CHECK_INT_EQ(c->target.mem_bytes, 64 * MIB);
        CHECK_INT_EQ(c->lower_bound.cpu_milli, RES_UNSET);
        CHECK_INT_EQ(c->upper_bound.mem_bytes, RES_UNSET);
        CHECK_INT_EQ(c->gomaxprocs, 0);
        CHECK_INT_EQ(c->gomemlimit_bytes, 0);
        CHECK_INT_EQ(c->observed.cpu_p50_milli, RES_UNSET);
        CHECK_INT_EQ(c->observed.memory_peak_bytes, RES_UNSET);
        CHECK_INT_EQ(c->observed.oom_kills, 0);
        CHECK_INT_EQ(c->observed.startup_seconds, 0);
        CHECK_DBL_NEAR(c->confidence, 0.0, 0.0);
    }
    CHECK(recommendation_container(r, "App") == NULL);
    CHECK(recommendation_container(r, NULL) == NULL);
    CHECK(recommendation_container(NULL, "app") == NULL);
    recommendation_free(r);
    cJSON_Delete(docs);
}

static void test_rec_parse_minimal(void)
{
    cJSON *docs = load_file("minimal.yaml");
    recommendation *r = NULL;
    snug_err err;

    snug_err_clear(&err);
    CHECK_INT_EQ(recommendation_parse(cJSON_GetArrayItem(docs, 0), "db-ns", &r, &err), SNUG_OK);
    if (r != NULL) {
        CHECK_STR_EQ(r->namespace, "db-ns");
        CHECK_STR_EQ(r->name, "statefulset-db");
        CHECK(r->target_api_version == NULL);
        CHECK_STR_EQ(r->target_kind, "StatefulSet");
        CHECK_STR_EQ(r->target_name, "db");
        CHECK(r->policy == NULL);
        CHECK(r->last_updated == NULL);
        CHECK_INT_EQ(r->n_containers, 0);
        CHECK(recommendation_container(r, "app") == NULL);
    }
    recommendation_free(r);
    /* Without a namespace anywhere it is refused. */
    r = (recommendation *)&r;
    CHECK_INT_EQ(recommendation_parse(cJSON_GetArrayItem(docs, 0), NULL, &r, &err),
                 SNUG_ERR_INVALID);
    CHECK(r == NULL);
    CHECK_STR_CONTAINS(err.msg, "metadata.namespace: required");
    cJSON_Delete(docs);
}

#define REC_HDR                                                                                    \
    "apiVersion: snug.dev/v1alpha1\nkind: Recommendation\n"                                        \
    "metadata: {name: deployment-web, namespace: shop}\n"                                          \
    "spec: {targetRef: {kind: Deployment, name: web}}\n"
#define C0(body) REC_HDR "status: {containers: [{name: app, " body "}]}\n"

static void test_rec_parse_valid_lenient(void)
{
    static const struct {
        const char *desc, *src;
        long long cpu, mem; /* target of container 0 */
    } cases[] = {
        {"unknown status field", REC_HDR "status: {future: 1, containers: [{name: app}]}",
         RES_UNSET, RES_UNSET},
        {"unknown container field", C0("gpu: {count: 1}, target: {cpu: 1}"), 1000, RES_UNSET},
        {"unknown resource ignored", C0("target: {nvidia.com/gpu: 1, memory: 1Gi}"), RES_UNSET,
         1024 * MIB},
        {"unknown spec field", REC_HDR "status: {containers: [{name: app}]}\nextra: {a: 1}\n",
         RES_UNSET, RES_UNSET},
        {"nulls are absent",
         C0("runtime: null, target: null, go: null, observed: null, confidence: null"), RES_UNSET,
         RES_UNSET},
        {"number quantities", C0("target: {cpu: 0.25, memory: 1e9}"), 250, 1000000000},
        {"no kind/apiVersion (list item)",
         "metadata: {name: a, namespace: b}\nspec: {targetRef: {kind: Job, name: j}}\n"
         "status: {containers: [{name: app, target: {cpu: 5m}}]}",
         5, RES_UNSET},
        {"conditions content not checked",
         REC_HDR "status: {conditions: [1, x], containers: "
                 "[{name: app}]}",
         RES_UNSET, RES_UNSET},
        {"confidence bounds", C0("confidence: 1, observed: {throttledRatio: 0}"), RES_UNSET,
         RES_UNSET},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *doc = yaml_doc(cases[i].src);
        recommendation *r = NULL;
        snug_err err;

        T_CASE("%s", cases[i].desc);
        snug_err_clear(&err);
        CHECK_INT_EQ(recommendation_parse(doc, NULL, &r, &err), SNUG_OK);
        if (r == NULL) {
            T_FAIL("%s", err.msg);
        } else {
            CHECK_INT_EQ(r->n_containers, 1);
            if (r->n_containers == 1) {
                CHECK_INT_EQ(r->containers[0].target.cpu_milli, cases[i].cpu);
                CHECK_INT_EQ(r->containers[0].target.mem_bytes, cases[i].mem);
            }
        }
        recommendation_free(r);
        cJSON_Delete(doc);
    }
}

static void test_rec_parse_invalid(void)
{
    static const struct {
        const char *desc, *src, *err;
    } cases[] = {
        {"bad target quantity", C0("target: {cpu: abc}"),
         "Recommendation \"shop/deployment-web\": status.containers[0].target.cpu: invalid "
         "quantity \"abc\": "},
        {"negative lowerBound", C0("lowerBound: {memory: \"-1\"}"),
         "status.containers[0].lowerBound.memory: must not be negative, got \"-1\""},
        {"upperBound quantity as object", C0("upperBound: {cpu: {m: 1}}"),
         "status.containers[0].upperBound.cpu: must be a string or number, got object"},
        {"limits not an object", C0("limits: 512Mi"),
         "status.containers[0].limits: must be an object, got string"},
        {"target as list", C0("target: [1]"),
         "status.containers[0].target: must be an object, got array"},
        {"gomaxprocs as string", C0("go: {gomaxprocs: \"2\"}"),
         "status.containers[0].go.gomaxprocs: must be an integer, got string"},
        {"gomaxprocs fractional", C0("go: {gomaxprocs: 1.5}"),
         "status.containers[0].go.gomaxprocs: must be an integer, got 1.5"},
        {"gomaxprocs negative", C0("go: {gomaxprocs: -1}"),
         "status.containers[0].go.gomaxprocs: must be between 0 and"},
        {"gomemlimit Kubernetes syntax", C0("go: {gomemlimit: 512Mi}"),
         "status.containers[0].go.gomemlimit: "},
        {"gomemlimit off", C0("go: {gomemlimit: \"off\"}"),
         "status.containers[0].go.gomemlimit: \"off\" is not a memory size"},
        {"gomemlimit as number", C0("go: {gomemlimit: 5}"),
         "status.containers[0].go.gomemlimit: must be a string, got number"},
        {"go not an object", C0("go: true"),
         "status.containers[0].go: must be an object, got "
         "boolean"},
        {"observed not an object", C0("observed: []"),
         "status.containers[0].observed: must be an object, got array"},
        {"observed cpu not an object", C0("observed: {cpu: 5}"),
         "status.containers[0].observed.cpu: must be an object, got number"},
        {"bad observed p90", C0("observed: {cpu: {p90: 1z}}"),
         "status.containers[0].observed.cpu.p90: invalid quantity \"1z\": "},
        {"bad memoryPeak", C0("observed: {memoryPeak: {}}"),
         "status.containers[0].observed.memoryPeak: must be a string or number, got object"},
        {"oomKills negative", C0("observed: {oomKills: -1}"),
         "status.containers[0].observed.oomKills: must be between 0 and"},
        {"oomKills as string", C0("observed: {oomKills: \"0\"}"),
         "status.containers[0].observed.oomKills: must be an integer, got string"},
        {"throttledRatio above 1", C0("observed: {throttledRatio: 1.5}"),
         "status.containers[0].observed.throttledRatio: must be in [0, 1], got 1.5"},
        {"samples fractional", C0("observed: {samples: 1.5}"),
         "status.containers[0].observed.samples: must be an integer, got 1.5"},
        {"historySeconds as string", C0("observed: {historySeconds: 7d}"),
         "status.containers[0].observed.historySeconds: must be an integer, got string"},
        {"startupSeconds negative", C0("observed: {startupSeconds: -3}"),
         "status.containers[0].observed.startupSeconds: must be between 0 and"},
        {"confidence above 1", C0("confidence: 2"),
         "status.containers[0].confidence: must be in [0, 1], got 2"},
        {"confidence as string", C0("confidence: high"),
         "status.containers[0].confidence: must be a number, got string"},
        {"runtime as number", C0("runtime: 1"),
         "status.containers[0].runtime: must be a string, got number"},
        {"container without name", REC_HDR "status: {containers: [{target: {cpu: 1}}]}",
         "status.containers[0].name: required"},
        {"container name not a string", REC_HDR "status: {containers: [{name: [a]}]}",
         "status.containers[0].name: must be a string, got array"},
        {"container not an object", REC_HDR "status: {containers: [{name: a}, app]}",
         "status.containers[1]: must be an object, got string"},
        {"duplicate container", REC_HDR "status: {containers: [{name: a}, {name: b}, {name: a}]}",
         "status.containers[2].name: duplicate container \"a\" (first at status.containers[0])"},
        {"containers not an array", REC_HDR "status: {containers: {name: a}}",
         "status.containers: must be an array, got object"},
        {"conditions not an array", REC_HDR "status: {conditions: {type: Ready}}",
         "status.conditions: must be an array, got object"},
        {"policy not a string", REC_HDR "status: {policy: 5}",
         "status.policy: must be a string, got number"},
        {"lastUpdated not a string", REC_HDR "status: {lastUpdated: 5}",
         "status.lastUpdated: must be a string, got number"},
        {"status not an object", REC_HDR "status: ok",
         "Recommendation \"shop/deployment-web\": status: must be an object, got string"},
        {"no targetRef",
         "apiVersion: snug.dev/v1alpha1\nkind: Recommendation\n"
         "metadata: {name: x, namespace: shop}\nspec: {}\n",
         "Recommendation \"shop/x\": spec.targetRef: required"},
        {"no spec", "metadata: {name: x, namespace: shop}\n", "spec.targetRef: required"},
        {"spec not an object", "metadata: {name: x, namespace: shop}\nspec: [1]\n",
         "spec: must be an object, got array"},
        {"targetRef not an object",
         "metadata: {name: x, namespace: shop}\nspec: {targetRef: web}\n",
         "spec.targetRef: must be an object, got string"},
        {"targetRef without kind",
         "metadata: {name: x, namespace: shop}\nspec: {targetRef: {name: web}}\n",
         "spec.targetRef.kind: required"},
        {"targetRef with empty name",
         "metadata: {name: x, namespace: shop}\nspec: {targetRef: {kind: Deployment, name: "
         "\"\"}}\n",
         "spec.targetRef.name: required"},
        {"targetRef apiVersion not a string",
         "metadata: {name: x, namespace: shop}\nspec: {targetRef: {apiVersion: 1, kind: D, name: "
         "w}}\n",
         "spec.targetRef.apiVersion: must be a string, got number"},
        {"no name", "metadata: {namespace: shop}\nspec: {targetRef: {kind: D, name: w}}\n",
         "Recommendation: metadata.name: required"},
        {"no metadata", "spec: {targetRef: {kind: D, name: w}}\n",
         "Recommendation: metadata.name: required"},
        {"namespace not a string",
         "metadata: {name: x, namespace: 1}\nspec: {targetRef: {kind: D, name: w}}\n",
         "metadata.namespace: must be a string, got number"},
        {"wrong kind", "kind: SizingPolicy\nmetadata: {name: x, namespace: shop}\n",
         "Recommendation: kind: must be Recommendation, got \"SizingPolicy\""},
        {"wrong apiVersion",
         "apiVersion: snug.dev/v1\nkind: Recommendation\nmetadata: {name: x, namespace: shop}\n",
         "apiVersion: must be snug.dev/v1alpha1, got \"snug.dev/v1\""},
        {"not an object", "[1]", "Recommendation: must be an object, got array"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *doc = yaml_doc(cases[i].src);
        recommendation *r = (recommendation *)&r;
        snug_err err;

        T_CASE("%s", cases[i].desc);
        snug_err_clear(&err);
        CHECK_INT_EQ(recommendation_parse(doc, NULL, &r, &err), SNUG_ERR_INVALID);
        CHECK(r == NULL);
        CHECK_STR_CONTAINS(err.msg, cases[i].err);
        cJSON_Delete(doc);
    }
}

/* ---- names ------------------------------------------------------------- */

static bool dns_subdomain(const char *s)
{
    size_t n = strlen(s), i;

    if (n == 0 || n > 253)
        return false;
    for (i = 0; i < n; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && c != '-' && c != '.')
            return false;
        if ((i == 0 || i == n - 1) && !alnum)
            return false;
        if (c == '.' && (s[i - 1] == '.' || s[i - 1] == '-' || s[i + 1] == '-'))
            return false;
    }
    return true;
}

static void test_rec_name(void)
{
    static char a300[301], ab300[301], dot[333], mixed[254], exact[243], over[244];
    static const struct {
        const char *kind, *name;
        size_t len;
        const char *suffix; /* how the result ends */
    } cases[] = {
        {"Deployment", "web", 14, "deployment-web"},
        {"StatefulSet", "DB", 14, "statefulset-db"},
        {"CronJob", "nightly-report", 22, "cronjob-nightly-report"},
        {"Pod", "x", 5, "pod-x"},
        {"Deployment", exact, 253, "aaaaaaaaaa"},    /* 11 + 242 = 253: kept */
        {"Deployment", over, 253, "a-35ec4ae7c"},    /* 254: cut and hashed */
        {"Deployment", a300, 253, "aa-1a36a2b1f"},   /* 300-char name */
        {"Deployment", ab300, 253, "aa-d1da13265"},  /* same first 290 chars */
        {"Deployment", dot, 252, "xx-2572531c9"},    /* cut lands on a '.' */
        {"StatefulSet", mixed, 253, "cc-b708bfe43"}, /* lower-cased before hashing */
    };
    char buf[254], again[254], small[8];
    size_t i;

    memset(a300, 'a', 300);
    memset(ab300, 'a', 290);
    memset(ab300 + 290, 'b', 10);
    memset(dot, 'x', 231);
    dot[231] = '.';
    memset(dot + 232, 'y', 100);
    memcpy(mixed, "Db-", 3);
    memset(mixed + 3, 'c', 250);
    memset(exact, 'a', 242);
    memset(over, 'a', 243);
    for (i = 0; i < ARRAY_LEN(cases); i++) {
        size_t n, sl = strlen(cases[i].suffix);

        T_CASE("%s/%.20s... (%zu)", cases[i].kind, cases[i].name, strlen(cases[i].name));
        recommendation_name(cases[i].kind, cases[i].name, buf, sizeof(buf));
        n = strlen(buf);
        CHECK_INT_EQ(n, cases[i].len);
        CHECK(n >= sl && strcmp(buf + n - sl, cases[i].suffix) == 0);
        CHECK(dns_subdomain(buf));
        recommendation_name(cases[i].kind, cases[i].name, again, sizeof(again));
        CHECK_STR_EQ(again, buf);
    }
    /* Two long names sharing a prefix stay distinct. */
    recommendation_name("Deployment", a300, buf, sizeof(buf));
    recommendation_name("Deployment", ab300, again, sizeof(again));
    CHECK(strcmp(buf, again) != 0);
    CHECK(strncmp(buf, again, 243) == 0);
    /* Kinds differ only in case: same name. */
    recommendation_name("DEPLOYMENT", a300, again, sizeof(again));
    CHECK_STR_EQ(again, buf);
    /* A short buffer is cut, never overflowed. */
    memset(small, 'Z', sizeof(small));
    recommendation_name("Deployment", "web", small, sizeof(small));
    CHECK_STR_EQ(small, "deploym");
}

/* ---- the set ----------------------------------------------------------- */

static recommendation *make_rec(const char *ns, const char *name, const char *kind,
                                const char *target)
{
    char buf[1024];
    cJSON *doc;
    recommendation *r = NULL;
    snug_err err;

    snprintf(buf, sizeof(buf),
             "{\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\"},"
             "\"spec\":{\"targetRef\":{\"kind\":\"%s\",\"name\":\"%s\"}}}",
             name, ns, kind, target);
    doc = cJSON_Parse(buf);
    snug_err_clear(&err);
    if (recommendation_parse(doc, NULL, &r, &err) != SNUG_OK)
        T_FAIL("make_rec: %s", err.msg);
    cJSON_Delete(doc);
    return r;
}

static void test_rec_set_basic(void)
{
    rec_set *s = rec_set_new();
    const recommendation *r;

    CHECK(s != NULL);
    CHECK_INT_EQ(rec_set_count(s), 0);
    CHECK(rec_set_find(s, "shop", "Deployment", "web") == NULL);
    CHECK_INT_EQ(rec_set_add(s, make_rec("shop", "deployment-web", "Deployment", "web")), SNUG_OK);
    CHECK_INT_EQ(rec_set_add(s, make_rec("blog", "deployment-web", "Deployment", "web")), SNUG_OK);
    CHECK_INT_EQ(rec_set_count(s), 2);
    /* lookup by target; kind is case-insensitive, names and namespaces are not */
    r = rec_set_find(s, "shop", "Deployment", "web");
    CHECK(r != NULL && strcmp(r->namespace, "shop") == 0);
    r = rec_set_find(s, "blog", "deployment", "web");
    CHECK(r != NULL && strcmp(r->namespace, "blog") == 0);
    CHECK(rec_set_find(s, "shop", "StatefulSet", "web") == NULL);
    CHECK(rec_set_find(s, "shop", "Deployment", "Web") == NULL);
    CHECK(rec_set_find(s, "other", "Deployment", "web") == NULL);
    CHECK(rec_set_find(s, NULL, "Deployment", "web") == NULL);
    CHECK(rec_set_get(s, "shop", "deployment-web") != NULL);
    CHECK(rec_set_get(s, "shop", "deployment-api") == NULL);
    /* replace: same ns/name, new target; the old target is gone */
    CHECK_INT_EQ(rec_set_add(s, make_rec("shop", "deployment-web", "Deployment", "web2")), SNUG_OK);
    CHECK_INT_EQ(rec_set_count(s), 2);
    CHECK(rec_set_find(s, "shop", "Deployment", "web") == NULL);
    r = rec_set_find(s, "shop", "Deployment", "web2");
    CHECK(r != NULL && strcmp(r->name, "deployment-web") == 0);
    /* remove */
    CHECK_INT_EQ(rec_set_remove(s, "shop", "deployment-web"), SNUG_OK);
    CHECK_INT_EQ(rec_set_remove(s, "shop", "deployment-web"), SNUG_ERR_NOT_FOUND);
    CHECK_INT_EQ(rec_set_remove(s, "nope", "deployment-web"), SNUG_ERR_NOT_FOUND);
    CHECK(rec_set_find(s, "shop", "Deployment", "web2") == NULL);
    CHECK(rec_set_find(s, "blog", "Deployment", "web") != NULL);
    CHECK_INT_EQ(rec_set_count(s), 1);
    CHECK_INT_EQ(rec_set_add(s, NULL), SNUG_ERR_INVALID);
    /* Adding the very object again is a no-op, not a free. */
    CHECK_INT_EQ(rec_set_add(s, (recommendation *)rec_set_get(s, "blog", "deployment-web")),
                 SNUG_OK);
    CHECK_INT_EQ(rec_set_count(s), 1);
    CHECK(rec_set_find(s, "blog", "Deployment", "web") != NULL);
    rec_set_free(s);
    rec_set_free(NULL);
}

static void test_rec_set_same_target(void)
{
    rec_set *s = rec_set_new();
    const recommendation *r;

    /* Two objects target the same workload: the canonical name wins, in
     * either insertion order; removing it exposes the other. */
    CHECK_INT_EQ(rec_set_add(s, make_rec("ns", "deployment-web", "Deployment", "web")), SNUG_OK);
    CHECK_INT_EQ(rec_set_add(s, make_rec("ns", "manual-web", "Deployment", "web")), SNUG_OK);
    r = rec_set_find(s, "ns", "Deployment", "web");
    CHECK_STR_EQ(r ? r->name : NULL, "deployment-web");
    CHECK_INT_EQ(rec_set_remove(s, "ns", "deployment-web"), SNUG_OK);
    r = rec_set_find(s, "ns", "Deployment", "web");
    CHECK_STR_EQ(r ? r->name : NULL, "manual-web");
    CHECK_INT_EQ(rec_set_add(s, make_rec("ns", "deployment-web", "Deployment", "web")), SNUG_OK);
    r = rec_set_find(s, "ns", "Deployment", "web");
    CHECK_STR_EQ(r ? r->name : NULL, "deployment-web");
    CHECK_INT_EQ(rec_set_remove(s, "ns", "manual-web"), SNUG_OK);
    r = rec_set_find(s, "ns", "Deployment", "web");
    CHECK_STR_EQ(r ? r->name : NULL, "deployment-web");
    rec_set_free(s);
}

#define N_BIG 10000

static void test_rec_set_10000(void)
{
    rec_set *s = rec_set_new();
    char ns[32], name[64], target[64];
    int i, misses = 0, wrong = 0;

    for (i = 0; i < N_BIG; i++) {
        snprintf(ns, sizeof(ns), "ns-%d", i % 7);
        snprintf(target, sizeof(target), "app-%d", i);
        snprintf(name, sizeof(name), "deployment-app-%d", i);
        if (rec_set_add(s, make_rec(ns, name, "Deployment", target)) != SNUG_OK)
            misses++;
    }
    CHECK_INT_EQ(misses, 0);
    CHECK_INT_EQ(rec_set_count(s), N_BIG);
    for (i = 0; i < N_BIG; i++) {
        const recommendation *r;
        snprintf(ns, sizeof(ns), "ns-%d", i % 7);
        snprintf(target, sizeof(target), "app-%d", i);
        r = rec_set_find(s, ns, "Deployment", target);
        if (r == NULL || strcmp(r->target_name, target) != 0 || strcmp(r->namespace, ns) != 0)
            wrong++;
        /* the same name in the wrong namespace is not found */
        snprintf(ns, sizeof(ns), "ns-%d", (i + 1) % 7);
        if (rec_set_find(s, ns, "Deployment", target) != NULL)
            wrong++;
    }
    CHECK_INT_EQ(wrong, 0);
    for (i = 1; i < N_BIG; i += 2) {
        snprintf(ns, sizeof(ns), "ns-%d", i % 7);
        snprintf(name, sizeof(name), "deployment-app-%d", i);
        if (rec_set_remove(s, ns, name) != SNUG_OK)
            wrong++;
    }
    CHECK_INT_EQ(wrong, 0);
    CHECK_INT_EQ(rec_set_count(s), N_BIG / 2);
    for (i = 0; i < N_BIG; i++) {
        bool found;
        snprintf(ns, sizeof(ns), "ns-%d", i % 7);
        snprintf(target, sizeof(target), "app-%d", i);
        snprintf(name, sizeof(name), "deployment-app-%d", i);
        found = rec_set_find(s, ns, "Deployment", target) != NULL;
        if (found != (i % 2 == 0) || (rec_set_get(s, ns, name) != NULL) != found)
            wrong++;
    }
    CHECK_INT_EQ(wrong, 0);
    /* Replace every remaining one with a new target. */
    for (i = 0; i < N_BIG; i += 2) {
        snprintf(ns, sizeof(ns), "ns-%d", i % 7);
        snprintf(target, sizeof(target), "moved-%d", i);
        snprintf(name, sizeof(name), "deployment-app-%d", i);
        if (rec_set_add(s, make_rec(ns, name, "Deployment", target)) != SNUG_OK)
            wrong++;
    }
    CHECK_INT_EQ(rec_set_count(s), N_BIG / 2);
    for (i = 0; i < N_BIG; i += 2) {
        snprintf(ns, sizeof(ns), "ns-%d", i % 7);
        snprintf(target, sizeof(target), "moved-%d", i);
        if (rec_set_find(s, ns, "Deployment", target) == NULL)
            wrong++;
        snprintf(target, sizeof(target), "app-%d", i);
        if (rec_set_find(s, ns, "Deployment", target) != NULL)
            wrong++;
    }
    CHECK_INT_EQ(wrong, 0);
    rec_set_free(s);
}

static void test_rec_set_load(void)
{
    static const struct {
        const char *file;
        snug_status want;
        size_t count;
        const char *err;
    } cases[] = {
        {"full.yaml", SNUG_OK, 1, NULL},
        {"minimal.yaml", SNUG_OK, 1, NULL},
        {"list.yaml", SNUG_OK, 3, NULL},
        {"invalid-doc2.yaml", SNUG_ERR_INVALID, 0,
         "document 2: Recommendation \"shop/deployment-b\": status.containers[0].target.cpu: "
         "invalid quantity \"lots\": "},
        {"invalid-no-target.yaml", SNUG_ERR_INVALID, 0,
         "document 1: items[0]: Recommendation \"shop/deployment-a\": spec.targetRef: required"},
        {"invalid-duplicate.yaml", SNUG_ERR_INVALID, 0,
         "document 2: Recommendation \"shop/deployment-a\" is defined more than once"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *docs = load_file(cases[i].file);
        rec_set *s = (rec_set *)&s;
        snug_err err;
        snug_status st;

        T_CASE("%s", cases[i].file);
        snug_err_clear(&err);
        st = rec_set_load(docs, "fallback", &s, &err);
        CHECK_INT_EQ(st, cases[i].want);
        if (st == SNUG_OK) {
            CHECK_INT_EQ(rec_set_count(s), cases[i].count);
            rec_set_free(s);
        } else {
            CHECK(s == NULL);
            CHECK_STR_CONTAINS(err.msg, cases[i].err);
        }
        cJSON_Delete(docs);
    }
}

static void test_rec_set_load_lookups(void)
{
    cJSON *docs = load_file("list.yaml");
    rec_set *s = NULL;
    const recommendation *r;

    CHECK_INT_EQ(rec_set_load(docs, "batch", &s, NULL), SNUG_OK);
    if (s == NULL) {
        cJSON_Delete(docs);
        return;
    }
    r = rec_set_find(s, "shop", "Deployment", "web");
    CHECK(r != NULL && r->n_containers == 1);
    r = rec_set_find(s, "blog", "Deployment", "web");
    CHECK(r != NULL && r->n_containers == 0);
    r = rec_set_find(s, "batch", "CronJob", "nightly"); /* got the default namespace */
    CHECK(r != NULL);
    CHECK(rec_set_find(s, "fallback", "CronJob", "nightly") == NULL);
    rec_set_free(s);
    cJSON_Delete(docs);
    docs = cJSON_CreateObject();
    CHECK_INT_EQ(rec_set_load(docs, NULL, &s, NULL), SNUG_ERR_INVALID);
    cJSON_Delete(docs);
}

int main(void)
{
    RUN(test_rec_parse_full);
    RUN(test_rec_parse_minimal);
    RUN(test_rec_parse_valid_lenient);
    RUN(test_rec_parse_invalid);
    RUN(test_rec_name);
    RUN(test_rec_set_basic);
    RUN(test_rec_set_same_target);
    RUN(test_rec_set_10000);
    RUN(test_rec_set_load);
    RUN(test_rec_set_load_lookups);
    return TEST_DONE();
}

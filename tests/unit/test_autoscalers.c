/* Unit tests for autoscalers: HorizontalPodAutoscaler (autoscaling/v2) and
 * VerticalPodAutoscaler (autoscaling.k8s.io/v1) objects as the API server
 * returns them, and malformed ones refused with the object and field named.
 * JSON in the tables is written with ' for " (swapped before parsing). */
#include "test.h"

#include <stdint.h>

#include <cjson/cJSON.h>

#include "controller/autoscalers.h"

/* Parse `q` with every ' taken as ". NULL (and a failed check) when it does
 * not parse: the table itself is wrong. */
static cJSON *parse_q(const char *q)
{
    size_t n = strlen(q), i;
    char *s = malloc(n + 1);
    cJSON *j;

    CHECK(s != NULL);
    if (s == NULL)
        return NULL;
    for (i = 0; i <= n; i++)
        s[i] = q[i] == '\'' ? '"' : q[i];
    j = cJSON_Parse(s);
    CHECK(j != NULL);
    free(s);
    return j;
}

static bool all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    size_t i;

    for (i = 0; i < n; i++) {
        if (b[i] != 0)
            return false;
    }
    return true;
}

#define HPA_META                                                                                   \
    "'apiVersion':'autoscaling/v2','kind':'HorizontalPodAutoscaler',"                              \
    "'metadata':{'name':'web','namespace':'shop','uid':'u1'}"
#define HPA_REF "'scaleTargetRef':{'apiVersion':'apps/v1','kind':'Deployment','name':'web'}"
#define HPA(metrics)                                                                               \
    "{" HPA_META ",'spec':{" HPA_REF ",'minReplicas':1,'maxReplicas':5" metrics "}}"
#define RES(name, target) "{'type':'Resource','resource':{'name':'" name "','target':" target "}}"
#define UTIL(n)           "{'type':'Utilization','averageUtilization':" #n "}"
#define AVG(q)            "{'type':'AverageValue','averageValue':'" q "'}"
#define PODS              "{'type':'Pods','pods':{'metric':{'name':'rps'},'target':" AVG("10") "}}"
#define OBJECT_M                                                                                   \
    "{'type':'Object','object':{'describedObject':{'kind':'Ingress','name':'web',"                 \
    "'apiVersion':'networking.k8s.io/v1'},'metric':{'name':'hits'},"                               \
    "'target':{'type':'Value','value':'100'}}}"
#define EXTERNAL                                                                                   \
    "{'type':'External','external':{'metric':{'name':'queue_len'},'target':" AVG("30") "}}"

static void test_hpa_ok(void)
{
    static const struct {
        const char *what, *json, *kind, *name;
        bool cpu, memory;
    } cases[] = {
        {"cpu utilization", HPA(",'metrics':[" RES("cpu", UTIL(70)) "]"), "Deployment", "web", true,
         false},
        {"memory AverageValue", HPA(",'metrics':[" RES("memory", AVG("512Mi")) "]"), "Deployment",
         "web", false, true},
        {"cpu AverageValue", HPA(",'metrics':[" RES("cpu", AVG("500m")) "]"), "Deployment", "web",
         true, false},
        {"cpu and memory", HPA(",'metrics':[" RES("memory", UTIL(80)) "," RES("cpu", UTIL(60)) "]"),
         "Deployment", "web", true, true},
        {"ContainerResource cpu",
         HPA(",'metrics':[{'type':'ContainerResource','containerResource':{'name':'cpu',"
             "'container':'app','target':" UTIL(50) "}}]"),
         "Deployment", "web", true, false},
        {"ContainerResource memory",
         HPA(",'metrics':[{'type':'ContainerResource','containerResource':{'name':'memory',"
             "'container':'app','target':" AVG("1Gi") "}}]"),
         "Deployment", "web", false, true},
        {"Pods, Object and External only", HPA(",'metrics':[" PODS "," OBJECT_M "," EXTERNAL "]"),
         "Deployment", "web", false, false},
        {"External and memory", HPA(",'metrics':[" EXTERNAL "," RES("memory", UTIL(90)) "]"),
         "Deployment", "web", false, true},
        {"another resource", HPA(",'metrics':[" RES("ephemeral-storage", AVG("1Gi")) "]"),
         "Deployment", "web", false, false},
        /* the API server defaults no metrics to 80% average CPU utilization */
        {"no metrics", HPA(""), "Deployment", "web", true, false},
        {"metrics null", HPA(",'metrics':null"), "Deployment", "web", true, false},
        {"metrics empty", HPA(",'metrics':[]"), "Deployment", "web", true, false},
        /* a list item: no kind, no apiVersion */
        {"list item",
         "{'metadata':{'name':'db','namespace':'shop'},'spec':{'scaleTargetRef':{'kind':"
         "'StatefulSet','name':'db'},'maxReplicas':3,'metrics':[" RES(
             "cpu", UTIL(75)) "]},"
                              "'status':{'currentReplicas':2,'desiredReplicas':2}}",
         "StatefulSet", "db", true, false},
        /* fields snug does not read are not checked */
        {"behavior and status",
         HPA(",'metrics':[" RES("cpu", UTIL(70)) "],'behavior':{'scaleDown':"
                                                 "{'stabilizationWindowSeconds':300}}"),
         "Deployment", "web", true, false},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *j = parse_q(cases[i].json);
        hpa_info h;
        snug_err err = {0};

        T_CASE("%s", cases[i].what);
        CHECK_INT_EQ(autoscaler_hpa_parse(j, &h, &err), SNUG_OK);
        CHECK_STR_EQ(err.msg, "");
        CHECK_STR_EQ(h.kind, cases[i].kind);
        CHECK_STR_EQ(h.name, cases[i].name);
        CHECK_STR_EQ(h.ns, "shop");
        CHECK_INT_EQ(h.cpu, cases[i].cpu);
        CHECK_INT_EQ(h.memory, cases[i].memory);
        cJSON_Delete(j);
    }
}

#define HPA_ERR(spec) "{" HPA_META ",'spec':" spec "}"
#define E_PREFIX      "HorizontalPodAutoscaler \"shop/web\": "

static void test_hpa_bad(void)
{
    static const struct {
        const char *what, *json;
        snug_status st;
        const char *msg;
    } cases[] = {
        {"missing scaleTargetRef", HPA_ERR("{'maxReplicas':3}"), SNUG_ERR_INVALID,
         E_PREFIX "spec.scaleTargetRef: required"},
        {"scaleTargetRef a string", HPA_ERR("{'scaleTargetRef':'web'}"), SNUG_ERR_INVALID,
         E_PREFIX "spec.scaleTargetRef: must be an object, got string"},
        {"scaleTargetRef without name", HPA_ERR("{'scaleTargetRef':{'kind':'Deployment'}}"),
         SNUG_ERR_INVALID, E_PREFIX "spec.scaleTargetRef.name: required"},
        {"scaleTargetRef empty kind", HPA_ERR("{'scaleTargetRef':{'kind':'','name':'web'}}"),
         SNUG_ERR_INVALID, E_PREFIX "spec.scaleTargetRef.kind: required"},
        {"scaleTargetRef name a number",
         HPA_ERR("{'scaleTargetRef':{'kind':'Deployment','name':7}}"), SNUG_ERR_INVALID,
         E_PREFIX "spec.scaleTargetRef.name: must be a string, got number"},
        {"scaleTargetRef apiVersion a list",
         HPA_ERR("{'scaleTargetRef':{'apiVersion':['apps/v1'],'kind':'Deployment','name':'w'}}"),
         SNUG_ERR_INVALID, E_PREFIX "spec.scaleTargetRef.apiVersion: must be a string, got array"},
        {"no spec", "{" HPA_META "}", SNUG_ERR_INVALID, E_PREFIX "spec: required"},
        {"spec an array", HPA_ERR("[]"), SNUG_ERR_INVALID,
         E_PREFIX "spec: must be an object, got array"},
        {"metrics an object", HPA(",'metrics':{'type':'Resource'}"), SNUG_ERR_INVALID,
         E_PREFIX "spec.metrics: must be an array, got object"},
        {"metric a string", HPA(",'metrics':['cpu']"), SNUG_ERR_INVALID,
         E_PREFIX "spec.metrics[0]: must be an object, got string"},
        {"metric without type", HPA(",'metrics':[{'resource':{'name':'cpu'}}]"), SNUG_ERR_INVALID,
         E_PREFIX "spec.metrics[0].type: required"},
        {"metric type a number", HPA(",'metrics':[{'type':1}]"), SNUG_ERR_INVALID,
         E_PREFIX "spec.metrics[0].type: must be a string, got number"},
        {"unknown metric type", HPA(",'metrics':[{'type':'resource'}]"), SNUG_ERR_INVALID,
         E_PREFIX "spec.metrics[0].type: must be Resource, ContainerResource, Pods, Object or "
                  "External, got \"resource\""},
        {"Resource without resource", HPA(",'metrics':[{'type':'Resource','pods':{}}]"),
         SNUG_ERR_INVALID, E_PREFIX "spec.metrics[0].resource: required for type Resource"},
        {"External without external", HPA(",'metrics':[{'type':'External'}]"), SNUG_ERR_INVALID,
         E_PREFIX "spec.metrics[0].external: required for type External"},
        {"Pods a string", HPA(",'metrics':[{'type':'Pods','pods':'rps'}]"), SNUG_ERR_INVALID,
         E_PREFIX "spec.metrics[0].pods: must be an object, got string"},
        {"second metric bad",
         HPA(",'metrics':[" RES("cpu", UTIL(70)) ",{'type':'Resource','resource':{'target':" UTIL(
             5) "}}]"),
         SNUG_ERR_INVALID, E_PREFIX "spec.metrics[1].resource.name: required"},
        {"resource without target",
         HPA(",'metrics':[{'type':'Resource','resource':{'name':'cpu'}}]"), SNUG_ERR_INVALID,
         E_PREFIX "spec.metrics[0].resource.target: required"},
        {"target without type", HPA(",'metrics':[" RES("cpu", "{'averageUtilization':70}") "]"),
         SNUG_ERR_INVALID, E_PREFIX "spec.metrics[0].resource.target.type: required"},
        {"target type Value", HPA(",'metrics':[" RES("cpu", "{'type':'Value','value':'1'}") "]"),
         SNUG_ERR_INVALID,
         E_PREFIX "spec.metrics[0].resource.target.type: must be Utilization or AverageValue for "
                  "a resource metric, got \"Value\""},
        {"Utilization without averageUtilization",
         HPA(",'metrics':[" RES("cpu", "{'type':'Utilization','averageValue':'1'}") "]"),
         SNUG_ERR_INVALID,
         E_PREFIX "spec.metrics[0].resource.target.averageUtilization: required for Utilization"},
        {"AverageValue without averageValue",
         HPA(",'metrics':[" RES("memory", "{'type':'AverageValue'}") "]"), SNUG_ERR_INVALID,
         E_PREFIX "spec.metrics[0].resource.target.averageValue: required for AverageValue"},
        {"averageUtilization a string", HPA(",'metrics':[" RES("cpu", UTIL('70')) "]"),
         SNUG_ERR_INVALID, E_PREFIX "spec.metrics[0].resource.target.averageUtilization: must be"},
        {"averageUtilization 0", HPA(",'metrics':[" RES("cpu", UTIL(0)) "]"), SNUG_ERR_INVALID,
         E_PREFIX "spec.metrics[0].resource.target.averageUtilization: must be between 1 and"},
        {"averageUtilization 1.5", HPA(",'metrics':[" RES("cpu", UTIL(1.5)) "]"), SNUG_ERR_INVALID,
         E_PREFIX "spec.metrics[0].resource.target.averageUtilization: must be an integer"},
        {"averageValue not a quantity", HPA(",'metrics':[" RES("memory", AVG("lots")) "]"),
         SNUG_ERR_INVALID,
         E_PREFIX "spec.metrics[0].resource.target.averageValue: invalid quantity \"lots\""},
        {"averageValue negative", HPA(",'metrics':[" RES("memory", AVG("-1Gi")) "]"),
         SNUG_ERR_INVALID,
         E_PREFIX "spec.metrics[0].resource.target.averageValue: must not be negative"},
        {"ContainerResource without container",
         HPA(",'metrics':[{'type':'ContainerResource','containerResource':{'name':'cpu',"
             "'target':" UTIL(50) "}}]"),
         SNUG_ERR_INVALID, E_PREFIX "spec.metrics[0].containerResource.container: required"},
        {"kind Deployment", "{'kind':'Deployment','metadata':{'name':'web','namespace':'shop'}}",
         SNUG_ERR_INVALID,
         "HorizontalPodAutoscaler: kind: must be HorizontalPodAutoscaler, got "
         "\"Deployment\""},
        {"apiVersion autoscaling/v1",
         "{'apiVersion':'autoscaling/v1','kind':'HorizontalPodAutoscaler','metadata':{'name':"
         "'web','namespace':'shop'},'spec':{" HPA_REF ",'targetCPUUtilizationPercentage':50}}",
         SNUG_ERR_UNSUPPORTED,
         "HorizontalPodAutoscaler: apiVersion: autoscaling/v1 is not "
         "supported: read HorizontalPodAutoscalers through autoscaling/v2"},
        {"no metadata", "{'spec':{" HPA_REF "}}", SNUG_ERR_INVALID,
         "HorizontalPodAutoscaler: metadata: required"},
        {"no namespace", "{'metadata':{'name':'web'},'spec':{" HPA_REF "}}", SNUG_ERR_INVALID,
         "HorizontalPodAutoscaler \"web\": metadata.namespace: required"},
        {"namespace too long",
         "{'metadata':{'name':'web','namespace':'"
         "a123456789a123456789a123456789a123456789a123456789a123456789abcd'},'spec':{" HPA_REF "}}",
         SNUG_ERR_INVALID,
         "HorizontalPodAutoscaler \"web\": metadata.namespace: longer than 63 characters"},
        {"not an object", "[1]", SNUG_ERR_INVALID,
         "HorizontalPodAutoscaler: must be an object, got array"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *j = parse_q(cases[i].json);
        hpa_info h;
        snug_err err = {0};

        T_CASE("%s", cases[i].what);
        memset(&h, 0x5a, sizeof(h));
        CHECK_INT_EQ(autoscaler_hpa_parse(j, &h, &err), cases[i].st);
        CHECK_INT_EQ(err.status, cases[i].st);
        CHECK_STR_CONTAINS(err.msg, cases[i].msg);
        /* whole messages where the case gives the whole message */
        if (strstr(cases[i].msg, "must be between") == NULL &&
            strstr(cases[i].msg, "must be an integer") == NULL &&
            strstr(cases[i].msg, "quantity") == NULL && strstr(cases[i].msg, "negative") == NULL &&
            strcmp(cases[i].what, "averageUtilization a string") != 0)
            CHECK_STR_EQ(err.msg, cases[i].msg);
        CHECK(all_zero(&h, sizeof(h)));
        cJSON_Delete(j);
    }
    /* NULL err is allowed */
    {
        cJSON *j = parse_q("{'metadata':{'name':'web'}}");
        hpa_info h;

        T_CASE("NULL err");
        CHECK_INT_EQ(autoscaler_hpa_parse(j, &h, NULL), SNUG_ERR_INVALID);
        CHECK_INT_EQ(autoscaler_hpa_parse(NULL, &h, NULL), SNUG_ERR_INVALID);
        cJSON_Delete(j);
    }
}

static void test_hpa_long_names(void)
{
    char name[300], json[1024];
    cJSON *j;
    hpa_info h;
    snug_err err = {0};

    /* 253 characters fit, 254 do not */
    memset(name, 'a', 253);
    name[253] = '\0';
    snprintf(json, sizeof(json),
             "{\"metadata\":{\"name\":\"w\",\"namespace\":\"ns\"},\"spec\":{\"scaleTargetRef\":"
             "{\"kind\":\"Deployment\",\"name\":\"%s\"}}}",
             name);
    j = cJSON_Parse(json);
    T_CASE("253 characters");
    CHECK_INT_EQ(autoscaler_hpa_parse(j, &h, &err), SNUG_OK);
    CHECK_INT_EQ(strlen(h.name), 253);
    cJSON_Delete(j);

    name[253] = 'a';
    name[254] = '\0';
    snprintf(json, sizeof(json),
             "{\"metadata\":{\"name\":\"w\",\"namespace\":\"ns\"},\"spec\":{\"scaleTargetRef\":"
             "{\"kind\":\"Deployment\",\"name\":\"%s\"}}}",
             name);
    j = cJSON_Parse(json);
    T_CASE("254 characters");
    CHECK_INT_EQ(autoscaler_hpa_parse(j, &h, &err), SNUG_ERR_INVALID);
    CHECK_STR_EQ(err.msg, "HorizontalPodAutoscaler \"ns/w\": spec.scaleTargetRef.name: longer "
                          "than 253 characters");
    cJSON_Delete(j);
}

#define VPA_META                                                                                   \
    "'apiVersion':'autoscaling.k8s.io/v1','kind':'VerticalPodAutoscaler',"                         \
    "'metadata':{'name':'web-vpa','namespace':'shop'}"
#define VPA_REF       "'targetRef':{'apiVersion':'apps/v1','kind':'Deployment','name':'web'}"
#define VPA(spec, st) "{" VPA_META ",'spec':{" VPA_REF spec "}" st "}"
#define MODE(m)       ",'updatePolicy':{'updateMode':" m "}"

static void test_vpa_modes(void)
{
    static const struct {
        const char *what, *json;
        bool active;
    } cases[] = {
        {"no updatePolicy", VPA("", ""), true},
        {"updatePolicy empty", VPA(",'updatePolicy':{}", ""), true},
        {"updatePolicy null", VPA(",'updatePolicy':null", ""), true},
        {"updateMode null", VPA(MODE("null"), ""), true},
        {"Off", VPA(MODE("'Off'"), ""), false},
        {"Initial", VPA(MODE("'Initial'"), ""), true},
        {"Recreate", VPA(MODE("'Recreate'"), ""), true},
        {"Auto", VPA(MODE("'Auto'"), ""), true},
        {"InPlaceOrRecreate", VPA(MODE("'InPlaceOrRecreate'"), ""), true},
        {"Off with minReplicas",
         VPA(",'updatePolicy':{'updateMode':'Off','minReplicas':2},'resourcePolicy':"
             "{'containerPolicies':[{'containerName':'*','mode':'Auto'}]}",
             ""),
         false},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *j = parse_q(cases[i].json);
        vpa_info v;
        snug_err err = {0};

        T_CASE("%s", cases[i].what);
        CHECK_INT_EQ(autoscaler_vpa_parse(j, &v, &err), SNUG_OK);
        CHECK_STR_EQ(err.msg, "");
        CHECK_INT_EQ(v.active, cases[i].active);
        CHECK_STR_EQ(v.ns, "shop");
        CHECK_STR_EQ(v.kind, "Deployment");
        CHECK_STR_EQ(v.name, "web");
        CHECK_INT_EQ(v.n, 0);
        cJSON_Delete(j);
    }
}

#define REC(list)  ",'status':{'recommendation':{'containerRecommendations':[" list "]}}"
#define CREC(n, t) "{'containerName':'" n "','target':" t "}"
#define CONDITIONS "'conditions':[{'type':'RecommendationProvided','status':'True'}]"

static void test_vpa_recommendations(void)
{
    static const struct {
        const char *what, *json;
        size_t n;
        struct {
            const char *name;
            int64_t cpu, mem;
        } c[3];
    } cases[] = {
        {"no status", VPA("", ""), 0, {{NULL, 0, 0}}},
        {"status without recommendation", VPA("", ",'status':{" CONDITIONS "}"), 0, {{NULL, 0, 0}}},
        {"recommendation null", VPA("", ",'status':{'recommendation':null}"), 0, {{NULL, 0, 0}}},
        {"recommendation empty", VPA("", ",'status':{'recommendation':{}}"), 0, {{NULL, 0, 0}}},
        {"no containers", VPA("", REC("")), 0, {{NULL, 0, 0}}},
        {"two containers",
         VPA(MODE("'Off'"),
             ",'status':{" CONDITIONS ",'recommendation':{'containerRecommendations':["
             "{'containerName':'app','lowerBound':{'cpu':'10m','memory':'100Mi'},"
             "'target':{'cpu':'25m','memory':'262144k'},'uncappedTarget':{'cpu':'25m'},"
             "'upperBound':{'cpu':'1','memory':'1Gi'}},"
             "{'containerName':'sidecar','target':{'cpu':'1.5','memory':1000000000}}]}}"),
         2,
         {{"app", 25, 262144000}, {"sidecar", 1500, 1000000000}}},
        {"cpu only, other resources ignored",
         VPA("", REC(CREC("app", "{'cpu':'100m','ephemeral-storage':'1Gi'}"))),
         1,
         {{"app", 100, RES_UNSET}}},
        {"memory only",
         VPA("", REC(CREC("app", "{'memory':'128Mi'}"))),
         1,
         {{"app", RES_UNSET, 134217728}}},
        {"empty target", VPA("", REC(CREC("app", "{}"))), 1, {{"app", RES_UNSET, RES_UNSET}}},
        {"fractions round up",
         VPA("", REC(CREC("app", "{'cpu':'0.0001','memory':'0.5'}"))),
         1,
         {{"app", 1, 1}}},
    };
    size_t i, k;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *j = parse_q(cases[i].json);
        vpa_info v;
        snug_err err = {0};

        T_CASE("%s", cases[i].what);
        CHECK_INT_EQ(autoscaler_vpa_parse(j, &v, &err), SNUG_OK);
        CHECK_STR_EQ(err.msg, "");
        CHECK_INT_EQ(v.n, cases[i].n);
        for (k = 0; k < cases[i].n && k < v.n; k++) {
            const vpa_container *c = autoscaler_vpa_container(&v, cases[i].c[k].name);

            CHECK_STR_EQ(v.c[k].name, cases[i].c[k].name);
            CHECK_INT_EQ(v.c[k].target.cpu_milli, cases[i].c[k].cpu);
            CHECK_INT_EQ(v.c[k].target.mem_bytes, cases[i].c[k].mem);
            CHECK(c == &v.c[k]);
        }
        CHECK(autoscaler_vpa_container(&v, "nope") == NULL);
        CHECK(autoscaler_vpa_container(NULL, "app") == NULL);
        CHECK(autoscaler_vpa_container(&v, NULL) == NULL);
        cJSON_Delete(j);
    }
}

#define V_PREFIX "VerticalPodAutoscaler \"shop/web-vpa\": "
#define RECP     "status.recommendation.containerRecommendations"

static void test_vpa_bad(void)
{
    static const struct {
        const char *what, *json;
        snug_status st;
        const char *msg;
    } cases[] = {
        {"no spec", "{" VPA_META "}", SNUG_ERR_INVALID, V_PREFIX "spec: required"},
        {"no targetRef", "{" VPA_META ",'spec':{'updatePolicy':{'updateMode':'Off'}}}",
         SNUG_ERR_INVALID, V_PREFIX "spec.targetRef: required"},
        {"targetRef without kind", "{" VPA_META ",'spec':{'targetRef':{'name':'web'}}}",
         SNUG_ERR_INVALID, V_PREFIX "spec.targetRef.kind: required"},
        {"targetRef a list", "{" VPA_META ",'spec':{'targetRef':[]}}", SNUG_ERR_INVALID,
         V_PREFIX "spec.targetRef: must be an object, got array"},
        {"updatePolicy a string", VPA(",'updatePolicy':'Off'", ""), SNUG_ERR_INVALID,
         V_PREFIX "spec.updatePolicy: must be an object, got string"},
        {"updateMode false (YAML Off)", VPA(MODE("false"), ""), SNUG_ERR_INVALID,
         V_PREFIX "spec.updatePolicy.updateMode: must be a string, got boolean (YAML reads an "
                  "unquoted Off as false: quote it)"},
        {"updateMode a number", VPA(MODE("1"), ""), SNUG_ERR_INVALID,
         V_PREFIX "spec.updatePolicy.updateMode: must be a string, got number"},
        {"updateMode off", VPA(MODE("'off'"), ""), SNUG_ERR_INVALID,
         V_PREFIX "spec.updatePolicy.updateMode: must be Off, Initial, Recreate, Auto or "
                  "InPlaceOrRecreate, got \"off\""},
        {"status a string", VPA("", ",'status':'ok'"), SNUG_ERR_INVALID,
         V_PREFIX "status: must be an object, got string"},
        {"recommendation an array", VPA("", ",'status':{'recommendation':[]}"), SNUG_ERR_INVALID,
         V_PREFIX "status.recommendation: must be an object, got array"},
        {"containerRecommendations an object",
         VPA("", ",'status':{'recommendation':{'containerRecommendations':{}}}"), SNUG_ERR_INVALID,
         V_PREFIX RECP ": must be an array, got object"},
        {"entry a string", VPA("", REC("'app'")), SNUG_ERR_INVALID,
         V_PREFIX RECP "[0]: must be an object, got string"},
        {"no containerName", VPA("", REC("{'target':{'cpu':'1'}}")), SNUG_ERR_INVALID,
         V_PREFIX RECP "[0].containerName: required"},
        {"no target", VPA("", REC("{'containerName':'app','lowerBound':{}}")), SNUG_ERR_INVALID,
         V_PREFIX RECP "[0].target: required"},
        {"target a string", VPA("", REC(CREC("app", "'1'"))), SNUG_ERR_INVALID,
         V_PREFIX RECP "[0].target: must be an object, got string"},
        {"bad cpu", VPA("", REC(CREC("app", "{'cpu':'1x'}"))), SNUG_ERR_INVALID,
         V_PREFIX RECP "[0].target.cpu: invalid quantity \"1x\""},
        {"negative memory",
         VPA("", REC(CREC("app", "{'cpu':'1'}") "," CREC("db", "{'memory':'-1Mi'}"))),
         SNUG_ERR_INVALID, V_PREFIX RECP "[1].target.memory: must not be negative"},
        {"cpu an object", VPA("", REC(CREC("app", "{'cpu':{}}"))), SNUG_ERR_INVALID,
         V_PREFIX RECP "[0].target.cpu: must be a string or number, got object"},
        {"duplicate container",
         VPA("", REC(CREC("app", "{'cpu':'1'}") "," CREC("app", "{'cpu':'2'}"))), SNUG_ERR_INVALID,
         V_PREFIX RECP "[1].containerName: \"app\" is given twice"},
        {"kind HorizontalPodAutoscaler",
         "{'kind':'HorizontalPodAutoscaler','metadata':{'name':'x','namespace':'y'}}",
         SNUG_ERR_INVALID,
         "VerticalPodAutoscaler: kind: must be VerticalPodAutoscaler, got "
         "\"HorizontalPodAutoscaler\""},
        {"apiVersion v1beta2",
         "{'apiVersion':'autoscaling.k8s.io/v1beta2','metadata':{'name':'x','namespace':'y'}}",
         SNUG_ERR_UNSUPPORTED,
         "VerticalPodAutoscaler: apiVersion: autoscaling.k8s.io/v1beta2 is not supported: read "
         "VerticalPodAutoscalers through autoscaling.k8s.io/v1"},
        {"metadata.name a number", "{'metadata':{'name':1,'namespace':'y'}}", SNUG_ERR_INVALID,
         "VerticalPodAutoscaler: metadata.name: must be a string, got number"},
        {"null", "null", SNUG_ERR_INVALID, "VerticalPodAutoscaler: must be an object, got null"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *j = parse_q(cases[i].json);
        vpa_info v;
        snug_err err = {0};

        T_CASE("%s", cases[i].what);
        memset(&v, 0x5a, sizeof(v));
        CHECK_INT_EQ(autoscaler_vpa_parse(j, &v, &err), cases[i].st);
        CHECK_INT_EQ(err.status, cases[i].st);
        if (strstr(cases[i].msg, "quantity") != NULL || strstr(cases[i].msg, "negative") != NULL)
            CHECK_STR_CONTAINS(err.msg, cases[i].msg);
        else
            CHECK_STR_EQ(err.msg, cases[i].msg);
        CHECK(all_zero(&v, sizeof(v)));
        cJSON_Delete(j);
    }
}

/* A VPA with n container recommendations c0..c<n-1> (cpu (k+1)m), entry
 * `odd` (if < n) replaced by `odd_entry`. Caller frees. */
static cJSON *vpa_with(size_t n, size_t odd, const char *odd_entry)
{
    size_t cap = 256 + n * 80, len, k;
    char *json = malloc(cap);
    cJSON *j = NULL;
    int w;

    if (json == NULL)
        return NULL;
    w = snprintf(json, cap,
                 "{\"metadata\":{\"name\":\"v\",\"namespace\":\"ns\"},\"spec\":{"
                 "\"targetRef\":{\"kind\":\"Deployment\",\"name\":\"web\"}},"
                 "\"status\":{\"recommendation\":{\"containerRecommendations\":[");
    len = (size_t)w;
    for (k = 0; k < n && w > 0 && len < cap; k++) {
        if (k == odd)
            w = snprintf(json + len, cap - len, "%s%s", k ? "," : "", odd_entry);
        else
            w = snprintf(json + len, cap - len,
                         "%s{\"containerName\":\"c%zu\",\"target\":{\"cpu\":\"%zum\"}}",
                         k ? "," : "", k, k + 1);
        len += (size_t)w;
    }
    if (w > 0 && len < cap && (size_t)snprintf(json + len, cap - len, "]}}}") < cap - len)
        j = cJSON_Parse(json);
    CHECK(j != NULL);
    free(json);
    return j;
}

/* AUTOSCALER_VPA_MAX_CONTAINERS recommendations are kept, the rest checked
 * and counted in `truncated`; beyond AUTOSCALER_VPA_MAX_ENTRIES: TOO_BIG. */
static void test_vpa_many_containers(void)
{
    static const struct {
        size_t n, odd;
        const char *odd_entry;
        snug_status st;
        bool truncated;
        const char *msg;
    } cases[] = {
        {16, SIZE_MAX, NULL, SNUG_OK, false, ""},
        {17, SIZE_MAX, NULL, SNUG_OK, true, ""},
        {256, SIZE_MAX, NULL, SNUG_OK, true, ""},
        {257, SIZE_MAX, NULL, SNUG_ERR_TOO_BIG, false,
         "VerticalPodAutoscaler \"ns/v\": " RECP ": 257 entries, more than 256"},
        /* entries past the kept ones are still checked */
        {20, 18, "{\"containerName\":\"c3\",\"target\":{}}", SNUG_ERR_INVALID, false,
         "VerticalPodAutoscaler \"ns/v\": " RECP "[18].containerName: \"c3\" is given twice"},
        {20, 19, "{\"containerName\":\"x\",\"target\":{\"memory\":\"1y\"}}", SNUG_ERR_INVALID,
         false,
         "VerticalPodAutoscaler \"ns/v\": " RECP "[19].target.memory: invalid quantity \"1y\""},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *j = vpa_with(cases[i].n, cases[i].odd, cases[i].odd_entry);
        vpa_info v;
        snug_err err = {0};

        T_CASE("%zu entries, odd %zu", cases[i].n, cases[i].odd);
        CHECK_INT_EQ(autoscaler_vpa_parse(j, &v, &err), cases[i].st);
        CHECK_STR_CONTAINS(err.msg, cases[i].msg);
        CHECK_INT_EQ(v.truncated, cases[i].truncated);
        if (cases[i].st == SNUG_OK) {
            CHECK_INT_EQ(v.n, AUTOSCALER_VPA_MAX_CONTAINERS);
            CHECK(v.active);
            CHECK_STR_EQ(v.c[15].name, "c15");
            CHECK_INT_EQ(v.c[15].target.cpu_milli, 16);
            CHECK_INT_EQ(autoscaler_vpa_container(&v, "c7")->target.cpu_milli, 8);
            CHECK(autoscaler_vpa_container(&v, "c16") == NULL);
        } else {
            CHECK_INT_EQ(v.n, 0);
        }
        cJSON_Delete(j);
    }
}

int main(void)
{
    RUN(test_hpa_ok);
    RUN(test_hpa_bad);
    RUN(test_hpa_long_names);
    RUN(test_vpa_modes);
    RUN(test_vpa_recommendations);
    RUN(test_vpa_bad);
    RUN(test_vpa_many_containers);
    return TEST_DONE();
}

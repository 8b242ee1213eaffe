/* test_cache_slim.c -- what the operator's caches keep of each object. */
#include "controller/cache_slim.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "model/workload.h"
#include "json_quoted.h"
#include "test.h"

typedef void (*slim_fn)(cJSON *, void *);

static void check_slim(slim_fn fn, const char *in, const char *want)
{
    cJSON *obj = parse_q(in), *expect = parse_q(want);
    bool same;

    CHECK(obj != NULL && expect != NULL);
    fn(obj, NULL);
    same = cJSON_Compare(obj, expect, 1);
    if (!same) {
        char *got = cJSON_PrintUnformatted(obj), *w = cJSON_PrintUnformatted(expect);

        fprintf(stderr, "    got  %s\n    want %s\n", got, w);
        free(got);
        free(w);
    }
    CHECK(same);
    cJSON_Delete(obj);
    cJSON_Delete(expect);
}

#define OWNED_META                                                                                 \
    "'metadata':{'name':'web-7d9f-abcde','namespace':'shop','uid':'u1','resourceVersion':'9',"     \
    "'generateName':'web-7d9f-','managedFields':[{}],'annotations':{'a':'b','snug.dev/mode':"      \
    "'off'},'labels':{'app':'web','pod-template-hash':'7d9f'},'ownerReferences':[{'apiVersion':"   \
    "'apps/v1','kind':'ReplicaSet','name':'web-7d9f','uid':'r1','controller':true,"                \
    "'blockOwnerDeletion':true}]}"
#define SLIM_OWNED_META                                                                            \
    "'metadata':{'name':'web-7d9f-abcde','namespace':'shop','resourceVersion':'9','labels':{"      \
    "'pod-template-hash':'7d9f'},'ownerReferences':[{'kind':'ReplicaSet','name':'web-7d9f',"       \
    "'controller':true}]}"
#define SPEC                                                                                       \
    "'spec':{'volumes':[{}],'nodeName':'n1','containers':[{'name':'app','image':'x','env':[{}],"   \
    "'resources':{'requests':{'cpu':'100m','memory':'64Mi'},'limits':{'cpu':'1','memory':"         \
    "'128Mi'}}},{'name':'side','image':'y'}]}"
#define RUNNING                                                                                    \
    "{'name':'app','image':'x','ready':true,'restartCount':0,'state':{'running':{'startedAt':"     \
    "'2026-12-01T00:00:00Z'}}}"
#define OOMED                                                                                      \
    "{'name':'app','image':'x','restartCount':2,'state':{'running':{}},'lastState':{"              \
    "'terminated':{'exitCode':137,'reason':'OOMKilled','startedAt':'2026-12-01T00:00:00Z',"        \
    "'finishedAt':'2026-12-01T01:00:00Z','containerID':'c'}}}"
#define SLIM_OOMED                                                                                 \
    "{'name':'app','lastState':{'terminated':{'reason':'OOMKilled','finishedAt':"                  \
    "'2026-12-01T01:00:00Z'}}}"

static void test_pod(void)
{
    static const struct {
        const char *name, *in, *want;
    } rows[] = {
        {"controlled, no OOM: metadata only",
         "{'apiVersion':'v1','kind':'Pod'," OWNED_META "," SPEC ",'status':{'phase':'Running',"
         "'containerStatuses':[" RUNNING "]}}",
         "{" SLIM_OWNED_META "}"},
        {"controlled, OOM-killed: memory limits and that container's last state",
         "{" OWNED_META "," SPEC ",'status':{'startTime':'t','containerStatuses':[" OOMED
         ",{'name':'side','restartCount':0}]}}",
         "{" SLIM_OWNED_META ",'spec':{'containers':[{'name':'app','resources':{'limits':{"
         "'memory':'128Mi'}}},{'name':'side'}]},'status':{'containerStatuses':[" SLIM_OOMED "]}}"},
        {"terminated for another reason: not kept",
         "{" OWNED_META ",'status':{'containerStatuses':[{'name':'app','lastState':{'terminated':{"
         "'reason':'Error','finishedAt':'t'}}}]}}",
         "{" SLIM_OWNED_META "}"},
        {"bare Pod: labels, snug annotations, uid, resources",
         "{'metadata':{'name':'solo','namespace':'shop','uid':'u2','resourceVersion':'3',"
         "'labels':{'app':'solo'},'annotations':{'snug.dev/runtime':'go','x':'y'},"
         "'ownerReferences':[{'kind':'Node','name':'n1','uid':'n','controller':false}]}," SPEC
         ",'status':{'containerStatuses':[" RUNNING "]}}",
         "{'metadata':{'name':'solo','namespace':'shop','uid':'u2','resourceVersion':'3',"
         "'labels':{'app':'solo'},'annotations':{'snug.dev/runtime':'go'},'ownerReferences':[{"
         "'kind':'Node','name':'n1','controller':false}]},'spec':{'containers':[{'name':'app',"
         "'resources':{'requests':{'cpu':'100m','memory':'64Mi'},'limits':{'cpu':'1','memory':"
         "'128Mi'}}},{'name':'side'}]}}"},
        {"bare Pod without annotations of ours: none kept",
         "{'metadata':{'name':'solo','namespace':'shop','annotations':{'x':'y'}},'spec':{}}",
         "{'metadata':{'name':'solo','namespace':'shop'},'spec':{}}"},
        {"wrong types are dropped, not read",
         "{'metadata':{'name':'p','namespace':'n','ownerReferences':[1,{'controller':true,"
         "'kind':'Job','name':'j'}],'labels':'x'},'status':{'containerStatuses':{'a':1}}}",
         "{'metadata':{'name':'p','namespace':'n','ownerReferences':[{'controller':true,'kind':"
         "'Job','name':'j'}]}}"},
        {"not an object: left alone", "[1,2]", "[1,2]"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(rows); i++) {
        T_CASE("%s", rows[i].name);
        check_slim(cache_slim_pod, rows[i].in, rows[i].want);
    }
}

/* What the readers make of a Pod is the same before and after. */
static void test_pod_readers(void)
{
    static const char *const pods[] = {
        ("{" OWNED_META "," SPEC "}"),
        ("{'metadata':{'name':'solo','namespace':'shop'}," SPEC "}"),
        ("{'metadata':{'name':'j-1-x','namespace':'shop','ownerReferences':[{'kind':'Job',"
         "'name':'j-1','controller':true,'uid':'u'}]}}"),
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(pods); i++) {
        cJSON *pod = parse_q(pods[i]);
        workload_ref before, after;
        snug_err err;

        T_CASE("%s", pods[i]);
        CHECK_INT_EQ(workload_from_pod(pod, NULL, NULL, &before, &err), SNUG_OK);
        cache_slim_pod(pod, NULL);
        CHECK_INT_EQ(workload_from_pod(pod, NULL, NULL, &after, &err), SNUG_OK);
        CHECK_STR_EQ(after.kind, before.kind);
        CHECK_STR_EQ(after.name, before.name);
        cJSON_Delete(pod);
    }
}

#define TEMPLATE_IN                                                                                \
    "'template':{'metadata':{'creationTimestamp':null,'labels':{'app':'web','tier':'1'},"          \
    "'annotations':{'snug.dev/runtime':'go','prometheus.io/scrape':'true'}},'spec':{"              \
    "'restartPolicy':'Always','volumes':[{}],'containers':[{'name':'app','image':'x','args':["     \
    "'a'],'resources':{'requests':{'cpu':'1'}},'livenessProbe':{}}]}}"
#define TEMPLATE_OUT                                                                               \
    "'template':{'metadata':{'labels':{'app':'web','tier':'1'},'annotations':{"                    \
    "'snug.dev/runtime':'go'}},'spec':{'containers':[{'name':'app','resources':{'requests':{"      \
    "'cpu':'1'}}}]}}"

static void test_workload(void)
{
    static const struct {
        const char *name, *in, *want;
    } rows[] = {
        {"Deployment: metadata and the template's containers",
         "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','namespace':'shop',"
         "'uid':'u','resourceVersion':'5','generation':3,'managedFields':[{}],'labels':{'app':"
         "'web','snug.dev/mode':'off'},'annotations':{'deployment.kubernetes.io/revision':'2'}},"
         "'spec':{'replicas':3,'selector':{},'strategy':{}," TEMPLATE_IN "},'status':{}}",
         "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web','namespace':"
         "'shop','uid':'u','resourceVersion':'5','labels':{'snug.dev/"
         "mode':'off'}},'spec':{" TEMPLATE_OUT "}}"},
        {"CronJob: the job template's Pod template",
         "{'metadata':{'name':'c','namespace':'n'},'spec':{'schedule':'* * * * *',"
         "'jobTemplate':{'metadata':{},'spec':{'backoffLimit':1," TEMPLATE_IN "}}}}",
         "{'metadata':{'name':'c','namespace':'n'},'spec':{'jobTemplate':{'spec':{" TEMPLATE_OUT
         "}}}}"},
        {"Job of a CronJob: its owner kept",
         "{'metadata':{'name':'c-1','namespace':'n','ownerReferences':[{'apiVersion':'batch/v1',"
         "'kind':'CronJob','name':'c','uid':'u','controller':true}]},'spec':{'completions':"
         "1," TEMPLATE_IN "}}",
         "{'metadata':{'name':'c-1','namespace':'n','ownerReferences':[{'kind':'CronJob','name':"
         "'c','controller':true}]},'spec':{" TEMPLATE_OUT "}}"},
        {"no template: nothing invented", "{'metadata':{'name':'x','namespace':'n'},'spec':7}",
         "{'metadata':{'name':'x','namespace':'n'},'spec':7}"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(rows); i++) {
        T_CASE("%s", rows[i].name);
        check_slim(cache_slim_workload, rows[i].in, rows[i].want);
    }
}

static void test_recommendation(void)
{
    T_CASE("Recommendation: what is compared");
    check_slim(cache_slim_recommendation,
               "{'apiVersion':'snug.dev/v1alpha1','kind':'Recommendation','metadata':{'name':"
               "'deployment-web','namespace':'shop','uid':'r','resourceVersion':'7','generation':1,"
               "'creationTimestamp':'t','managedFields':[{}],'labels':{"
               "'app.kubernetes.io/managed-by':'snug-controller'},'ownerReferences':[{"
               "'apiVersion':'apps/v1','kind':'Deployment','name':'web','uid':'u'}]},'spec':{"
               "'targetRef':{'apiVersion':'apps/v1','kind':'Deployment','name':'web'}},'status':{"
               "'policy':'p','lastUpdated':'t','conditions':[{'type':'LowConfidence','status':"
               "'False','reason':'EnoughHistory','message':'enough history','observedGeneration':1,"
               "'lastTransitionTime':'t0'}],'containers':[{'name':'app','confidence':1,"
               "'target':{'cpu':'30m','memory':'45Mi'},'limits':{'memory':'57Mi'},'lowerBound':{},"
               "'upperBound':{},'runtime':'go','go':{'gomaxprocs':1},'reason':'long text',"
               "'observed':{'samples':3,'cpu':{'p50':'1m'}}}]}}",
               "{'apiVersion':'snug.dev/v1alpha1','kind':'Recommendation','metadata':{'name':"
               "'deployment-web','namespace':'shop','uid':'r','resourceVersion':'7','generation':1,"
               "'labels':{'app.kubernetes.io/managed-by':'snug-controller'},'ownerReferences':[{"
               "'kind':'Deployment','name':'web','uid':'u'}]},'spec':{'targetRef':{'apiVersion':"
               "'apps/v1','kind':'Deployment','name':'web'}},'status':{'policy':'p','lastUpdated':"
               "'t','conditions':[{'type':'LowConfidence','status':'False','lastTransitionTime':"
               "'t0'}],'containers':[{'name':'app','confidence':1,'target':{'cpu':'30m','memory':"
               "'45Mi'},'limits':{'memory':'57Mi'},'lowerBound':{},'upperBound':{},'runtime':"
               "'go','go':{'gomaxprocs':1}}]}}");
}

static void test_object(void)
{
    T_CASE("any object: managedFields and the last-applied annotation");
    check_slim(cache_slim_object,
               "{'metadata':{'name':'p','managedFields':[{}],'annotations':{'a':'b',"
               "'kubectl.kubernetes.io/last-applied-configuration':'{}'}},'spec':{'x':1}}",
               "{'metadata':{'name':'p','annotations':{'a':'b'}},'spec':{'x':1}}");
}

static void test_bytes(void)
{
    static const struct {
        const char *json;
        size_t nodes, strings; /* strings: bytes of names and values, NULs included */
    } rows[] = {
        {"1", 1, 0},
        {"'ab'", 1, 3},
        {"{'a':'bc'}", 2, 2 + 3},
        {"{'a':[1,{'b':null}],'c':{}}", 6, 2 + 2 + 2},
        {"[[[[]]]]", 4, 0},
    };
    cJSON *deep = cJSON_CreateArray(), *at = deep, *arr;
    size_t i;

    for (i = 0; i < ARRAY_LEN(rows); i++) {
        cJSON *obj = parse_q(rows[i].json);

        T_CASE("%s", rows[i].json);
        CHECK_INT_EQ(cache_slim_bytes(obj), rows[i].nodes * sizeof(cJSON) + rows[i].strings);
        cJSON_Delete(obj);
    }
    T_CASE("NULL");
    CHECK_INT_EQ(cache_slim_bytes(NULL), 0);
    T_CASE("an array element: its siblings are not its bytes");
    arr = parse_q("[{'a':1},{'b':2},3]");
    CHECK_INT_EQ(cache_slim_bytes(arr->child), 2 * sizeof(cJSON) + 2);
    cJSON_Delete(arr);
    T_CASE("100 levels: counted down to the 64th");
    for (i = 1; i < 100 && at != NULL; i++) {
        cJSON *next = cJSON_CreateArray();

        cJSON_AddItemToArray(at, next);
        at = next;
    }
    CHECK_INT_EQ(cache_slim_bytes(deep), 65 * sizeof(cJSON));
    cJSON_Delete(deep);
}

int main(void)
{
    log_set_level(LOG_OFF);
    RUN(test_pod);
    RUN(test_pod_readers);
    RUN(test_workload);
    RUN(test_recommendation);
    RUN(test_object);
    RUN(test_bytes);
    return TEST_DONE();
}

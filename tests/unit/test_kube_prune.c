/* test_kube_prune.c -- pruning objects to what a cache reads. */
#include "kube/kube_prune.h"

#include <stdlib.h>
#include <string.h>

#include "json_quoted.h"
#include "test.h"

enum op { KEEP, KEEP_EACH, KEEP_PREFIXED, DROP_EMPTY, BULK };

static void apply_op(enum op op, cJSON *obj)
{
    static const char *const keep[] = {"a", "b", NULL};

    switch (op) {
    case KEEP:
        kube_prune_keep(obj, keep);
        break;
    case KEEP_EACH:
        kube_prune_keep_each(kube_prune_member(obj, "l"), keep);
        break;
    case KEEP_PREFIXED:
        kube_prune_keep_prefixed(obj, "m", "snug.dev/");
        break;
    case DROP_EMPTY:
        kube_prune_drop_empty(obj, "m");
        break;
    case BULK:
        kube_prune_bulk(obj);
        break;
    }
}

static void test_prune(void)
{
    static const struct {
        const char *name;
        enum op op;
        const char *in, *want;
    } rows[] = {
        {"keep: named members stay, in order", KEEP, "{'c':1,'b':[2],'x':{},'a':null}",
         "{'b':[2],'a':null}"},
        {"keep: nothing named", KEEP, "{'c':1}", "{}"},
        {"keep: not an object", KEEP, "[1,{'c':1}]", "[1,{'c':1}]"},
        {"keep each: objects pruned, others dropped", KEEP_EACH,
         "{'l':[{'a':1,'z':2},3,'s',{'z':1},null]}", "{'l':[{'a':1},{}]}"},
        {"keep each: not an array", KEEP_EACH, "{'l':{'a':1,'z':2}}", "{'l':{'a':1,'z':2}}"},
        {"prefixed: ours stay", KEEP_PREFIXED,
         "{'m':{'snug.dev/mode':'off','app':'x','snug.dev':'y','snug.dev/runtime':'go'}}",
         "{'m':{'snug.dev/mode':'off','snug.dev/runtime':'go'}}"},
        {"prefixed: none left, dropped", KEEP_PREFIXED, "{'m':{'app':'x'},'n':1}", "{'n':1}"},
        {"prefixed: a wrong type, dropped", KEEP_PREFIXED, "{'m':'snug.dev/x'}", "{}"},
        {"prefixed: absent", KEEP_PREFIXED, "{'n':1}", "{'n':1}"},
        {"drop empty: empty object", DROP_EMPTY, "{'m':{},'n':1}", "{'n':1}"},
        {"drop empty: empty array", DROP_EMPTY, "{'m':[]}", "{}"},
        {"drop empty: a string", DROP_EMPTY, "{'m':'x'}", "{}"},
        {"drop empty: filled stays", DROP_EMPTY, "{'m':[0]}", "{'m':[0]}"},
        {"bulk: managedFields and last-applied", BULK,
         "{'metadata':{'name':'n','managedFields':[{'manager':'kubectl'}],'annotations':{"
         "'kubectl.kubernetes.io/last-applied-configuration':'{}','a':'b'}},'spec':{}}",
         "{'metadata':{'name':'n','annotations':{'a':'b'}},'spec':{}}"},
        {"bulk: no metadata", BULK, "{'spec':{}}", "{'spec':{}}"},
        {"bulk: metadata of a wrong type", BULK, "{'metadata':7}", "{'metadata':7}"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(rows); i++) {
        cJSON *obj = parse_q(rows[i].in), *want = parse_q(rows[i].want);
        char *got, *w;

        T_CASE("%s", rows[i].name);
        CHECK(obj != NULL && want != NULL);
        apply_op(rows[i].op, obj);
        got = cJSON_PrintUnformatted(obj);
        w = cJSON_PrintUnformatted(want);
        CHECK_STR_EQ(got, w);
        free(got);
        free(w);
        cJSON_Delete(obj);
        cJSON_Delete(want);
    }
    T_CASE("NULL everywhere");
    kube_prune_keep(NULL, (const char *const[]){NULL});
    kube_prune_keep_each(NULL, (const char *const[]){NULL});
    kube_prune_keep_prefixed(NULL, "m", "p");
    kube_prune_drop_empty(NULL, "m");
    kube_prune_bulk(NULL);
    CHECK(kube_prune_member(NULL, "m") == NULL);
}

int main(void)
{
    RUN(test_prune);
    return TEST_DONE();
}

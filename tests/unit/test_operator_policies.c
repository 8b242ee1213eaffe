/* Unit tests for operator_policies' pure parts: a SizingPolicy the parser
 * refuses goes to the refused list with its name, uid, generation and the
 * parser's message (reported once per generation of one object), accepted
 * ones into the set; a Recommendation made by a refused policy holds its
 * workload only when the workload exists, did not opt out and no other
 * policy covers it; the Event's note. */
#include <cjson/cJSON.h>

#include "base/log.h"
#include "controller/operator_internal.h"
#include "test.h"

#define POLICY_HDR                                                                                 \
    "\"apiVersion\":\"snug.dev/v1alpha1\",\"kind\":\"SizingPolicy\","                              \
    "\"metadata\":{\"name\":\"%s\",\"uid\":\"%s\",\"generation\":%d}"

/* A SizingPolicy object; `bad` makes one the API server takes (the CRD
 * cannot compare two fields) and the parser refuses: minAllowed above
 * maxAllowed. */
static cJSON *policy_obj(const char *name, const char *uid, int gen, bool bad)
{
    char buf[1024];

    snprintf(buf, sizeof(buf),
             "{" POLICY_HDR ",\"spec\":{\"resources\":{\"minAllowed\":{\"cpu\":\"%s\"},"
             "\"maxAllowed\":{\"cpu\":\"1\"}}}}",
             name, uid, gen, bad ? "2" : "100m");
    return cJSON_Parse(buf);
}

static void test_take(void)
{
    policy_set *set = policy_set_new();
    op_refused_list refused = {0}, none = {0};
    cJSON *good = policy_obj("good", "u1", 1, false), *bad = policy_obj("broken", "u2", 3, true);
    cJSON *not_obj = cJSON_CreateString("x");
    const op_refused *r;

    T_CASE("an accepted policy goes into the set");
    CHECK_INT_EQ(op_policy_take(good, set, &refused, &none), SNUG_OK);
    CHECK(policy_set_find(set, "good") != NULL);
    CHECK_INT_EQ(refused.n, 0);
    T_CASE("a refused one into the list, with the parser's message");
    CHECK_INT_EQ(op_policy_take(bad, set, &refused, &none), SNUG_OK);
    CHECK(policy_set_find(set, "broken") == NULL);
    CHECK_INT_EQ(refused.n, 1);
    r = op_refused_find(&refused, "broken");
    CHECK(r != NULL);
    if (r != NULL) {
        CHECK_STR_EQ(r->uid, "u2");
        CHECK_INT_EQ(r->generation, 3);
        CHECK(!r->reported);
        CHECK_STR_CONTAINS(r->error, "SizingPolicy \"broken\": spec.");
        CHECK_STR_CONTAINS(r->error, "minAllowed.cpu");
    }
    T_CASE("not an object: refused without a name");
    CHECK_INT_EQ(op_policy_take(not_obj, set, &refused, &none), SNUG_OK);
    CHECK_INT_EQ(refused.n, 2);
    CHECK_STR_EQ(refused.items[1].name, "");
    CHECK(op_refused_find(&refused, NULL) == NULL);
    CHECK(op_refused_find(&refused, "good") == NULL);
    CHECK_INT_EQ(policy_set_count(set), 1);
    op_refused_clear(&refused);
    CHECK_INT_EQ(refused.n, 0);
    CHECK(refused.items == NULL);
    cJSON_Delete(good);
    cJSON_Delete(bad);
    cJSON_Delete(not_obj);
    policy_set_free(set);
}

/* Many refused policies: the list grows. */
static void test_take_many(void)
{
    policy_set *set = policy_set_new();
    op_refused_list refused = {0}, none = {0};
    char name[32];
    int i;

    for (i = 0; i < 50; i++) {
        cJSON *bad;

        snprintf(name, sizeof(name), "p%d", i);
        bad = policy_obj(name, "u", 1, true);
        CHECK_INT_EQ(op_policy_take(bad, set, &refused, &none), SNUG_OK);
        cJSON_Delete(bad);
    }
    CHECK_INT_EQ(refused.n, 50);
    CHECK(op_refused_find(&refused, "p0") != NULL);
    CHECK(op_refused_find(&refused, "p49") != NULL);
    CHECK(op_refused_find(&refused, "p50") == NULL);
    op_refused_clear(&refused);
    policy_set_free(set);
}

static void test_reported_carried(void)
{
    static const struct {
        const char *label, *uid;
        int gen;
        bool before_reported, want;
    } cases[] = {
        {"same object and generation: reported already", "u2", 3, true, true},
        {"a new generation (the spec was edited): reported again", "u2", 4, true, false},
        {"deleted and made again under the name: a new object", "u9", 3, true, false},
        {"not reported before (could not be)", "u2", 3, false, false},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        policy_set *set = policy_set_new();
        op_refused_list before = {0}, now = {0}, none = {0};
        cJSON *old = policy_obj("broken", "u2", 3, true);
        cJSON *cur = policy_obj("broken", cases[i].uid, cases[i].gen, true);

        T_CASE("%s", cases[i].label);
        CHECK_INT_EQ(op_policy_take(old, set, &before, &none), SNUG_OK);
        before.items[0].reported = cases[i].before_reported;
        CHECK_INT_EQ(op_policy_take(cur, set, &now, &before), SNUG_OK);
        CHECK_INT_EQ(now.n, 1);
        CHECK(now.n == 1 && now.items[0].reported == cases[i].want);
        op_refused_clear(&before);
        op_refused_clear(&now);
        cJSON_Delete(old);
        cJSON_Delete(cur);
        policy_set_free(set);
    }
}

/* A Recommendation of ours (or not), made by `made_by`, for ns/kind/name. */
static cJSON *rec_obj(const char *ns, const char *kind, const char *name, const char *made_by,
                      bool ours)
{
    char buf[1024];

    snprintf(buf, sizeof(buf),
             "{\"apiVersion\":\"snug.dev/v1alpha1\",\"kind\":\"Recommendation\","
             "\"metadata\":{\"name\":\"x\",\"namespace\":\"%s\",\"labels\":"
             "{\"app.kubernetes.io/managed-by\":\"%s\"}},"
             "\"spec\":{\"targetRef\":{\"kind\":\"%s\",\"name\":\"%s\"}},"
             "\"status\":{\"policy\":\"%s\"}}",
             ns, ours ? "snug-controller" : "someone-else", kind, name, made_by);
    return cJSON_Parse(buf);
}

static void test_hold(void)
{
    enum { PLAIN, GONE, OPTED_OUT, COVERED };
    static const struct {
        const char *label;
        int workload; /* state of shop/Deployment/web */
        const char *rec_ns, *rec_name, *policy;
        bool ours, want;
    } cases[] = {
        {"made by the refused policy, nothing covers it now: held", PLAIN, "shop", "web", "broken",
         true, true},
        {"made by a policy that is fine (or deleted): not held", PLAIN, "shop", "web", "other",
         true, false},
        {"not ours: not held", PLAIN, "shop", "web", "broken", false, false},
        {"its workload is gone: not held (deleted)", GONE, "shop", "web", "broken", true, false},
        {"its workload opted out: not held", OPTED_OUT, "shop", "web", "broken", true, false},
        {"another policy covers it: it falls to that one", COVERED, "shop", "web", "broken", true,
         false},
        {"no such workload", PLAIN, "shop", "nope", "broken", true, false},
        {"another namespace", PLAIN, "else", "web", "broken", true, false},
    };
    policy *hold = policy_builtin_default(), *other = policy_builtin_default();
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        wlset *set = wlset_new(0);
        policy_set *pols = policy_set_new();
        op_refused_list refused = {0}, none = {0};
        cJSON *bad = policy_obj("broken", "u", 1, true);
        cJSON *rec = rec_obj(cases[i].rec_ns, "Deployment", cases[i].rec_name, cases[i].policy,
                             cases[i].ours);
        workload *w = NULL;
        snug_err err;

        T_CASE("%s", cases[i].label);
        CHECK_INT_EQ(op_policy_take(bad, pols, &refused, &none), SNUG_OK);
        CHECK_INT_EQ(wlset_add(set, "shop", "Deployment", "web", &w, &err), SNUG_OK);
        w->opted_out = cases[i].workload == OPTED_OUT;
        w->pol = cases[i].workload == COVERED ? other : NULL;
        if (cases[i].workload == GONE)
            wlset_remove(set, w);
        CHECK(op_hold_one(rec, set, &refused, hold) == cases[i].want);
        if (cases[i].workload == COVERED)
            CHECK(w->pol == other);
        else if (cases[i].workload != GONE)
            CHECK((w->pol == hold) == cases[i].want);
        T_CASE("%s: no refused policy, nothing held", cases[i].label);
        if (cases[i].workload != COVERED && cases[i].workload != GONE)
            w->pol = NULL;
        CHECK(!op_hold_one(rec, set, &none, hold));
        op_refused_clear(&refused);
        cJSON_Delete(bad);
        cJSON_Delete(rec);
        policy_set_free(pols);
        wlset_free(set);
    }
    T_CASE("a Recommendation without status or targetRef");
    {
        wlset *set = wlset_new(0);
        op_refused_list refused = {0}, none = {0};
        policy_set *pols = policy_set_new();
        cJSON *bad = policy_obj("broken", "u", 1, true);
        cJSON *bare = cJSON_Parse("{\"metadata\":{\"namespace\":\"shop\",\"labels\":"
                                  "{\"app.kubernetes.io/managed-by\":\"snug-controller\"}}}");
        workload *w = NULL;
        snug_err err;

        CHECK_INT_EQ(op_policy_take(bad, pols, &refused, &none), SNUG_OK);
        CHECK_INT_EQ(wlset_add(set, "shop", "Deployment", "web", &w, &err), SNUG_OK);
        CHECK(!op_hold_one(bare, set, &refused, hold));
        CHECK(!op_hold_one(NULL, set, &refused, hold));
        CHECK(w->pol == NULL);
        op_refused_clear(&refused);
        cJSON_Delete(bad);
        cJSON_Delete(bare);
        policy_set_free(pols);
        wlset_free(set);
    }
    policy_free(hold);
    policy_free(other);
}

static void test_note(void)
{
    op_refused r;
    char note[1024];

    memset(&r, 0, sizeof(r));
    snprintf(r.name, sizeof(r.name), "broken");
    snprintf(r.error, sizeof(r.error),
             "SizingPolicy \"broken\": spec.priority: must be an integer");
    op_refused_note(&r, note, sizeof(note));
    CHECK_STR_CONTAINS(note, "SizingPolicy \"broken\": spec.priority: must be an integer. ");
    CHECK_STR_CONTAINS(note, "fall to the next matching SizingPolicy");
    CHECK_STR_CONTAINS(note, "kept unchanged until it is fixed or deleted");
    T_CASE("a small buffer is cut, still a string");
    op_refused_note(&r, note, 16);
    CHECK_INT_EQ(strlen(note), 15);
}

int main(void)
{
    log_set_level(LOG_OFF);
    RUN(test_take);
    RUN(test_take_many);
    RUN(test_reported_carried);
    RUN(test_hold);
    RUN(test_note);
    return TEST_DONE();
}

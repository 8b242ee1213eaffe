/* Unit tests for the pure parts of the recommender checkpoint in ConfigMaps
 * (controller/checkpoint_codec.h): namespace names, ConfigMap names, data
 * keys (plain and hashed), entry values (round trip and corrupt input),
 * shard splitting at the budget, times, the ConfigMap object, and a real
 * rec_state through a value and back. The I/O half (checkpoint.c) is tested
 * against a real API server by tests/e2e/test_checkpoint.py. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/dynbuf.h"
#include "controller/checkpoint_codec.h"
#include "controller/rec_state.h"
#include "test.h"

#define T0 1796518024.0 /* 2026-12-06T00:47:04Z */

static char *repeat(char c, size_t n)
{
    char *s = malloc(n + 1);

    if (s == NULL)
        abort();
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static void test_ns_valid(void)
{
    char *l63 = repeat('a', 63), *l64 = repeat('a', 64);
    const struct {
        const char *ns;
        int ok;
    } cases[] = {
        {"default", 1}, {"a", 1},  {"team-1", 1}, {"0abc", 1}, {l63, 1},
        {l64, 0},       {"", 0},   {NULL, 0},     {"Shop", 0}, {"a.b", 0},
        {"-a", 0},      {"a-", 0}, {"a_b", 0},    {"a b", 0},  {"é", 0},
    };

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        T_CASE("%s", cases[i].ns ? cases[i].ns : "(null)");
        CHECK_INT_EQ(ckpt_ns_valid(cases[i].ns), cases[i].ok);
    }
    free(l63);
    free(l64);
}

static void test_configmap_name(void)
{
    char *l63 = repeat('n', 63);
    char want63[128];
    const struct {
        const char *ns;
        size_t shard;
        snug_status st;
        const char *want;
    } cases[] = {
        {"shop", 0, SNUG_OK, "snug-checkpoint-shop"},
        {"shop", 1, SNUG_OK, "snug-checkpoint-shop.2"},
        {"shop", 9, SNUG_OK, "snug-checkpoint-shop.10"},
        {l63, 999, SNUG_OK, want63},
        {"Shop", 0, SNUG_ERR_INVALID, NULL},
        {"", 0, SNUG_ERR_INVALID, NULL},
        {"a.b", 0, SNUG_ERR_INVALID, NULL},
    };
    char a[CKPT_CM_NAME_MAX + 1], b[CKPT_CM_NAME_MAX + 1];
    snug_err err;

    snprintf(want63, sizeof(want63), "snug-checkpoint-%s.1000", l63);
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        T_CASE("%s shard %zu", cases[i].ns, cases[i].shard);
        CHECK_INT_EQ(ckpt_configmap_name(cases[i].ns, cases[i].shard, a, &err), cases[i].st);
        if (cases[i].want != NULL)
            CHECK_STR_EQ(a, cases[i].want);
        else
            CHECK_STR_CONTAINS(err.msg, "not a namespace name");
    }
    /* the second shard of "foo" is not the first of namespace "foo-2" */
    T_CASE("no collision");
    CHECK_INT_EQ(ckpt_configmap_name("foo", 1, a, NULL), SNUG_OK);
    CHECK_INT_EQ(ckpt_configmap_name("foo-2", 0, b, NULL), SNUG_OK);
    CHECK(strcmp(a, b) != 0);
    free(l63);
}

static void test_key_build(void)
{
    char *n253 = repeat('x', 253), *n230 = repeat('y', 230), *n231 = repeat('y', 231);
    char *n254 = repeat('z', 254), *k64 = repeat('K', 64);
    char want230[300];
    const struct {
        const char *kind, *name, *container;
        snug_status st;
        int hashed;
        const char *want; /* NULL: only check the form */
    } cases[] = {
        {"Deployment", "web", "app", SNUG_OK, 0, "deployment.web.app"},
        {"StatefulSet", "db.primary", "pg", SNUG_OK, 0, "statefulset.db.primary.pg"},
        {"DaemonSet", "Node_Exporter", "ne", SNUG_OK, 0, "daemonset.Node_Exporter.ne"},
        {"ReplicationController", "rc", "c_1", SNUG_OK, 0, "replicationcontroller.rc.c_1"},
        {"CronJob", "nightly", "job", SNUG_OK, 0, "cronjob.nightly.job"},
        {"Pod", "bare", "c", SNUG_OK, 0, "pod.bare.c"},
        /* pinned hashes: the format must not change between versions */
        {"Rollout", "web", "app", SNUG_OK, 1, "h.9b102542562e7513"},
        {"deployment", "web", "app", SNUG_OK, 1, "h.e14eb9eb9b93439f"},
        {"Deployment", "web:1", "app", SNUG_OK, 1, NULL},
        {"Deployment", "web", "app.v2", SNUG_OK, 1, NULL},
        {"Deployment", "web", "a/b", SNUG_OK, 1, NULL},
        {"Deployment", "we b", "app", SNUG_OK, 1, NULL},
        {"Job", n230, "cc", SNUG_OK, 0, want230},              /* 3 + 1 + 230 + 1 + 2 = 237 */
        {"Deployment", n230, "ccccccccccc", SNUG_OK, 0, NULL}, /* 10+1+230+1+11 = 253 */
        {"Deployment", n231, "ccccccccccc", SNUG_OK, 1, NULL}, /* 254: hashed */
        {"Deployment", n253, "app", SNUG_OK, 1, NULL},
        {"Deployment", "", "app", SNUG_ERR_INVALID, 0, NULL},
        {"Deployment", "web", "", SNUG_ERR_INVALID, 0, NULL},
        {"", "web", "app", SNUG_ERR_INVALID, 0, NULL},
        {NULL, "web", "app", SNUG_ERR_INVALID, 0, NULL},
        {"Deployment", n254, "app", SNUG_ERR_INVALID, 0, NULL},
        {k64, "web", "app", SNUG_ERR_INVALID, 0, NULL},
    };
    char key[CKPT_KEY_MAX + 1];
    bool hashed;
    snug_err err;

    snprintf(want230, sizeof(want230), "job.%s.cc", n230);
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        T_CASE("%zu: %.20s/%.20s/%.20s", i, cases[i].kind ? cases[i].kind : "(null)", cases[i].name,
               cases[i].container);
        memset(key, 0, sizeof(key));
        CHECK_INT_EQ(
            ckpt_key_build(cases[i].kind, cases[i].name, cases[i].container, key, &hashed, &err),
            cases[i].st);
        if (cases[i].st != SNUG_OK) {
            CHECK_STR_CONTAINS(err.msg, "empty or too long");
            continue;
        }
        CHECK_INT_EQ(hashed, cases[i].hashed);
        CHECK(strlen(key) <= CKPT_KEY_MAX);
        CHECK(strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") ==
              strlen(key));
        if (cases[i].want != NULL)
            CHECK_STR_EQ(key, cases[i].want);
        if (cases[i].hashed)
            CHECK_INT_EQ(strlen(key), 18);
    }
    free(n253);
    free(n230);
    free(n231);
    free(n254);
    free(k64);
}

/* Every identity through key + value and back. */
static void test_value_roundtrip(void)
{
    const struct {
        const char *kind, *name, *container;
        double saved;
        const char *want_value; /* NULL: JSON */
    } cases[] = {
        {"Deployment", "web", "app", T0, "1796518024 U05SAQ=="},
        {"StatefulSet", "db.primary", "pg", T0 + 0.9, "1796518024 U05SAQ=="},
        {"Job", "j", "c", 0, "0 U05SAQ=="},
        {"Rollout", "web", "app", T0, NULL},
        {"Deployment", "web:1", "app.v2", T0, NULL},
        {"Deployment", "we \"b\"", "app", T0, NULL},
    };
    char key[CKPT_KEY_MAX + 1];
    ckpt_entry e = {0};
    bool hashed;
    dynbuf v;

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        T_CASE("%s/%s/%s", cases[i].kind, cases[i].name, cases[i].container);
        dynbuf_init(&v, 1 << 20);
        CHECK_INT_EQ(
            ckpt_key_build(cases[i].kind, cases[i].name, cases[i].container, key, &hashed, NULL),
            SNUG_OK);
        CHECK_INT_EQ(ckpt_value_encode(&v, hashed, cases[i].kind, cases[i].name, cases[i].container,
                                       cases[i].saved, "U05SAQ==", NULL),
                     SNUG_OK);
        if (cases[i].want_value != NULL)
            CHECK_STR_EQ(dynbuf_str(&v), cases[i].want_value);
        else
            CHECK(dynbuf_str(&v)[0] == '{');
        CHECK_INT_EQ(ckpt_value_decode(key, dynbuf_str(&v), dynbuf_len(&v), &e, NULL), SNUG_OK);
        CHECK_STR_EQ(e.kind, cases[i].kind);
        CHECK_STR_EQ(e.name, cases[i].name);
        CHECK_STR_EQ(e.container, cases[i].container);
        CHECK_DBL_NEAR(e.saved, floor(cases[i].saved), 0);
        CHECK_STR_EQ(e.state, "U05SAQ==");
        CHECK_INT_EQ(e.state_len, 8);
        ckpt_entry_clear(&e);
        dynbuf_free(&v);
    }
    T_CASE("bad times");
    dynbuf_init(&v, 64);
    CHECK_INT_EQ(ckpt_value_encode(&v, false, "Pod", "p", "c", -1, "x", NULL), SNUG_ERR_INVALID);
    CHECK_INT_EQ(ckpt_value_encode(&v, false, "Pod", "p", "c", NAN, "x", NULL), SNUG_ERR_INVALID);
    CHECK_INT_EQ(ckpt_value_encode(&v, true, "Pod", "p", "c", INFINITY, "x", NULL),
                 SNUG_ERR_INVALID);
    T_CASE("dynbuf maximum");
    CHECK_INT_EQ(
        ckpt_value_encode(&v, false, "Pod", "p", "c", T0,
                          "0123456789012345678901234567890123456789012345678901234567890123456789",
                          NULL),
        SNUG_ERR_TOO_BIG);
    CHECK_INT_EQ(dynbuf_len(&v), 0);
    dynbuf_free(&v);
}

static void test_value_decode_bad(void)
{
    static const char good_json[] =
        "{\"saved\":1796518024,\"kind\":\"Rollout\",\"name\":\"web\",\"container\":\"app\","
        "\"state\":\"U05SAQ==\"}";
    char key254[CKPT_KEY_MAX + 2]; /* deployment.<239 x>.app */
    const struct {
        const char *key, *value;
        snug_status st;
        const char *msg;
    } cases[] = {
        {"deployment.web.app", "", SNUG_ERR_PARSE, "<unix time> <state>"},
        {"deployment.web.app", "1796518024", SNUG_ERR_PARSE, "<unix time> <state>"},
        {"deployment.web.app", "17965x8024 U05SAQ==", SNUG_ERR_PARSE, "<unix time> <state>"},
        {"deployment.web.app", "-5 U05SAQ==", SNUG_ERR_PARSE, "<unix time> <state>"},
        {"deployment.web.app", " U05SAQ==", SNUG_ERR_PARSE, "<unix time> <state>"},
        {"deployment.web.app", "999999999999 U05SAQ==", SNUG_ERR_PARSE, "<unix time> <state>"},
        {"deployment.web.app", "1796518024 U05S AQ==", SNUG_ERR_PARSE, "<unix time> <state>"},
        {"deployment.web.app", "1796518024 ", SNUG_ERR_PARSE, "no state"},
        {"deployment.web.app", good_json, SNUG_ERR_PARSE, "<unix time> <state>"},
        {"rollout.web.app", "1 U05SAQ==", SNUG_ERR_PARSE, "not <kind>.<name>.<container>"},
        {"Deployment.web.app", "1 U05SAQ==", SNUG_ERR_PARSE, "not <kind>.<name>.<container>"},
        {"deployment.web", "1 U05SAQ==", SNUG_ERR_PARSE, "not <kind>.<name>.<container>"},
        {"deployment..app", "1 U05SAQ==", SNUG_ERR_PARSE, "not <kind>.<name>.<container>"},
        {"deployment.web.", "1 U05SAQ==", SNUG_ERR_PARSE, "not <kind>.<name>.<container>"},
        {"webapp", "1 U05SAQ==", SNUG_ERR_PARSE, "not <kind>.<name>.<container>"},
        {"deployment.w b.app", "1 U05SAQ==", SNUG_ERR_PARSE, "not <kind>.<name>.<container>"},
        {"deployment.w/b.app", "1 U05SAQ==", SNUG_ERR_PARSE, "not <kind>.<name>.<container>"},
        {"deployment.web.a-b_c", "1 U05SAQ", SNUG_OK, NULL},
        {key254, "1 U05SAQ==", SNUG_ERR_PARSE, "key too long"},
        {"", "1 U05SAQ==", SNUG_ERR_PARSE, "not <kind>.<name>.<container>"},
        {"h.9b102542562e751", good_json, SNUG_ERR_PARSE, "not <kind>.<name>.<container>"},
        {"h.9B102542562E7513", good_json, SNUG_ERR_PARSE, "not <kind>.<name>.<container>"},
        {"h.9b102542562e7513", "1796518024 U05SAQ==", SNUG_ERR_PARSE, "{saved, kind"},
        {"h.9b102542562e7513", "{\"saved\":1,\"kind\":\"Rollout\",\"name\":\"web\"}",
         SNUG_ERR_PARSE, "{saved, kind"},
        {"h.9b102542562e7513",
         "{\"saved\":-1,\"kind\":\"Rollout\",\"name\":\"web\",\"container\":\"app\",\"state\":"
         "\"x\"}",
         SNUG_ERR_PARSE, "{saved, kind"},
        {"h.9b102542562e7513",
         "{\"saved\":1.5,\"kind\":\"Rollout\",\"name\":\"web\",\"container\":\"app\",\"state\":"
         "\"x\"}",
         SNUG_ERR_PARSE, "{saved, kind"},
        {"h.9b102542562e7513",
         "{\"saved\":\"1\",\"kind\":\"Rollout\",\"name\":\"web\",\"container\":\"app\",\"state\":"
         "\"x\"}",
         SNUG_ERR_PARSE, "{saved, kind"},
        {"h.9b102542562e7513",
         "{\"saved\":1,\"kind\":\"Rollout\",\"name\":\"web\",\"container\":\"app\",\"state\":\"\"}",
         SNUG_ERR_PARSE, "no state"},
        {"h.9b102542562e7513",
         "{\"saved\":1,\"kind\":\"Rollout\",\"name\":\"web\",\"container\":\"\",\"state\":\"x\"}",
         SNUG_ERR_PARSE, "{saved, kind"},
        {"h.9b102542562e7513",
         "{\"saved\":1,\"kind\":\"Rollout\",\"name\":\"api\",\"container\":\"app\",\"state\":"
         "\"x\"}",
         SNUG_ERR_INVALID, "whose key is h."},
        /* an identity with a plain key must not hide under a hashed one */
        {"h.9b102542562e7513",
         "{\"saved\":1,\"kind\":\"Deployment\",\"name\":\"web\",\"container\":\"app\",\"state\":"
         "\"x\"}",
         SNUG_ERR_INVALID, "whose key is deployment.web.app"},
        {"h.9b102542562e7513", "{\"saved\":1", SNUG_ERR_PARSE, "{saved, kind"},
        {"h.9b102542562e7513", "[]", SNUG_ERR_PARSE, "{saved, kind"},
    };
    ckpt_entry e = {0};
    snug_err err;

    memset(key254, 'x', sizeof(key254) - 1);
    memcpy(key254, "deployment.", 11);
    memcpy(key254 + sizeof(key254) - 5, ".app", 5);
    CHECK_INT_EQ(strlen(key254), 254);
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        T_CASE("%zu: %.60s = %.40s", i, cases[i].key, cases[i].value);
        CHECK_INT_EQ(
            ckpt_value_decode(cases[i].key, cases[i].value, strlen(cases[i].value), &e, &err),
            cases[i].st);
        if (cases[i].st == SNUG_OK) { /* a neighbour of the bad rows that is fine */
            CHECK_STR_EQ(e.container, "a-b_c");
            ckpt_entry_clear(&e);
            continue;
        }
        CHECK_STR_CONTAINS(err.msg, cases[i].msg);
        if (cases[i].key[0] != '\0' && strlen(cases[i].key) < 200)
            CHECK_STR_CONTAINS(err.msg, cases[i].key);
        CHECK(e.state == NULL);
        ckpt_entry_clear(&e);
    }
    T_CASE("NUL inside the value");
    CHECK_INT_EQ(ckpt_value_decode("pod.p.c", "1 ab\0cd", 7, &e, &err), SNUG_ERR_PARSE);
    CHECK_STR_CONTAINS(err.msg, "NUL");
    T_CASE("NULL");
    CHECK_INT_EQ(ckpt_value_decode(NULL, "1 x", 3, &e, NULL), SNUG_ERR_PARSE);
    CHECK_INT_EQ(ckpt_value_decode("pod.p.c", NULL, 0, &e, NULL), SNUG_ERR_PARSE);
    T_CASE("the good JSON itself decodes");
    CHECK_INT_EQ(ckpt_value_decode("h.9b102542562e7513", good_json, strlen(good_json), &e, &err),
                 SNUG_OK);
    CHECK_STR_EQ(e.kind, "Rollout");
    ckpt_entry_clear(&e);
}

static void test_shard_plan(void)
{
    const struct {
        size_t cost[6];
        size_t n, budget, shards;
        size_t want[6];
    } cases[] = {
        {{0}, 0, 30, 0, {0}},
        {{10, 10, 10}, 3, 30, 1, {0, 0, 0}},
        {{10, 10, 11}, 3, 30, 2, {0, 0, 1}},
        {{30, 30, 30}, 3, 30, 3, {0, 1, 2}},
        {{40, 10}, 2, 30, 2, {0, 1}}, /* too big: a shard of its own */
        {{10, 40, 10}, 3, 30, 3, {0, 1, 2}},
        {{29, 1, 1, 29}, 4, 30, 2, {0, 0, 1, 1}},
        {{SIZE_MAX, 1, SIZE_MAX}, 3, 30, 3, {0, 1, 2}},
        {{5, 5, 5, 5, 5, 5}, 6, 10, 3, {0, 0, 1, 1, 2, 2}},
    };
    size_t got[6];

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        T_CASE("%zu", i);
        memset(got, 0xff, sizeof(got));
        CHECK_INT_EQ(ckpt_shard_plan(cases[i].cost, cases[i].n, cases[i].budget, got),
                     cases[i].shards);
        for (size_t j = 0; j < cases[i].n; j++)
            CHECK_INT_EQ(got[j], cases[i].want[j]);
    }
}

/* 2,000 containers of ~1.45 KB (2.91 MB) at the default budget (700 KiB):
 * five shards, each within the budget and full up to one more entry. */
static void test_shard_plan_budget(void)
{
    enum { N = 2000 };
    size_t *cost = malloc(N * sizeof(*cost)), *of = malloc(N * sizeof(*of));
    size_t used[16] = {0}, shards, i;

    CHECK(cost != NULL && of != NULL);
    if (cost == NULL || of == NULL)
        goto out;
    for (i = 0; i < N; i++)
        cost[i] = ckpt_entry_cost(30 + i % 40, 1200 + (i * 37) % 400);
    shards = ckpt_shard_plan(cost, N, CKPT_BUDGET_DEFAULT, of);
    CHECK_INT_EQ(shards, 5);
    for (i = 0; i < N; i++) {
        CHECK(of[i] < shards);
        if (i > 0)
            CHECK(of[i] == of[i - 1] || of[i] == of[i - 1] + 1);
        used[of[i] < 16 ? of[i] : 15] += cost[i];
    }
    for (i = 0; i < shards; i++) {
        T_CASE("shard %zu: %zu bytes", i, used[i]);
        CHECK(used[i] <= CKPT_BUDGET_DEFAULT);
        if (i + 1 < shards) /* full up to one more entry */
            CHECK(used[i] > CKPT_BUDGET_DEFAULT - 2000);
    }
out:
    free(cost);
    free(of);
}

static void test_time_format(void)
{
    const struct {
        double t;
        const char *want;
    } cases[] = {
        {T0, "2026-12-06T00:47:04Z"},    {T0 + 0.999, "2026-12-06T00:47:04Z"},
        {1e9, "2001-09-09T01:46:40Z"},   {0, "1970-01-01T00:00:00Z"},
        {-1, "1970-01-01T00:00:00Z"},    {NAN, "1970-01-01T00:00:00Z"},
        {1e300, "1970-01-01T00:00:00Z"},
    };
    char out[CKPT_TIME_LEN];

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        T_CASE("%g", cases[i].t);
        ckpt_time_format(cases[i].t, out);
        CHECK_STR_EQ(out, cases[i].want);
    }
}

static const char *path_str(const cJSON *o, const char *a, const char *b, const char *c)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);

    if (b != NULL)
        v = cJSON_GetObjectItemCaseSensitive(v, b);
    if (c != NULL)
        v = cJSON_GetObjectItemCaseSensitive(v, c);
    return cJSON_GetStringValue(v);
}

static void test_configmap_build(void)
{
    const char *keys[] = {"deployment.web.app", "h.9b102542562e7513"};
    const char *values[] = {"1796518024 U05SAQ==", "{\"saved\":1}"};
    cJSON *cm = ckpt_configmap_build("snug-system", "shop", 1, 3, T0, keys, values, 2);
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(cm, "data");

    CHECK(cm != NULL);
    CHECK_STR_EQ(path_str(cm, "apiVersion", NULL, NULL), "v1");
    CHECK_STR_EQ(path_str(cm, "kind", NULL, NULL), "ConfigMap");
    CHECK_STR_EQ(path_str(cm, "metadata", "name", NULL), "snug-checkpoint-shop.2");
    CHECK_STR_EQ(path_str(cm, "metadata", "namespace", NULL), "snug-system");
    CHECK_STR_EQ(path_str(cm, "metadata", "labels", "app.kubernetes.io/managed-by"),
                 "snug-controller");
    CHECK_STR_EQ(path_str(cm, "metadata", "labels", "snug.dev/checkpoint-namespace"), "shop");
    CHECK_STR_EQ(path_str(cm, "metadata", "annotations", "snug.dev/checkpoint-time"),
                 "2026-12-06T00:47:04Z");
    CHECK_STR_EQ(path_str(cm, "metadata", "annotations", "snug.dev/checkpoint-version"), "1");
    CHECK_STR_EQ(path_str(cm, "metadata", "annotations", "snug.dev/checkpoint-shard"), "2/3");
    CHECK_INT_EQ(cJSON_GetArraySize(data), 2);
    CHECK_STR_EQ(path_str(cm, "data", "deployment.web.app", NULL), values[0]);
    CHECK_STR_EQ(path_str(cm, "data", "h.9b102542562e7513", NULL), values[1]);
    cJSON_Delete(cm);
    T_CASE("bad namespace");
    CHECK(ckpt_configmap_build("snug-system", "Shop", 0, 1, T0, keys, values, 2) == NULL);
    T_CASE("no entries");
    cm = ckpt_configmap_build("snug-system", "shop", 0, 1, T0, NULL, NULL, 0);
    CHECK(cm != NULL);
    CHECK_INT_EQ(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cm, "data")), 0);
    cJSON_Delete(cm);
}

/* A state with a week of samples through a value and back: rec_state_save
 * gives the same text, and the entry costs what the docs say. */
static void test_real_state(void)
{
    rec_state *s = rec_state_new(), *back = NULL;
    dynbuf a, b, v;
    ckpt_entry e = {0};
    char key[CKPT_KEY_MAX + 1];
    bool hashed;
    size_t cost;

    dynbuf_init(&a, REC_CHECKPOINT_MAX);
    dynbuf_init(&b, REC_CHECKPOINT_MAX);
    dynbuf_init(&v, 2 * REC_CHECKPOINT_MAX);
    CHECK(s != NULL);
    for (int pod = 0; pod < 3; pod++) {
        char name[32];

        snprintf(name, sizeof(name), "web-7d9f-%d", pod);
        for (double t = T0 - 7 * 86400; t < T0; t += 300) {
            double phase = fmod(t, 86400) / 86400;

            rec_state_add_cpu(s, name, t, 0.2 + 0.3 * phase + 0.01 * pod);
            rec_state_add_memory(s, name, t, 300e6 + 100e6 * phase);
        }
    }
    CHECK_INT_EQ(rec_state_save(s, &a, NULL), SNUG_OK);
    CHECK_INT_EQ(ckpt_key_build("Deployment", "web", "app", key, &hashed, NULL), SNUG_OK);
    CHECK_INT_EQ(
        ckpt_value_encode(&v, hashed, "Deployment", "web", "app", T0, dynbuf_str(&a), NULL),
        SNUG_OK);
    CHECK_INT_EQ(ckpt_value_decode(key, dynbuf_str(&v), dynbuf_len(&v), &e, NULL), SNUG_OK);
    CHECK_INT_EQ(rec_state_load(e.state, e.state_len, &back, NULL), SNUG_OK);
    CHECK_INT_EQ(rec_state_save(back, &b, NULL), SNUG_OK);
    CHECK_STR_EQ(dynbuf_str(&b), dynbuf_str(&a));
    cost = ckpt_entry_cost(strlen(key), dynbuf_len(&v));
    T_CASE("cost %zu", cost);
    CHECK(cost > 500 && cost < 3000);
    CHECK_INT_EQ(cost, strlen(key) + 11 + dynbuf_len(&a) + CKPT_ENTRY_OVERHEAD);
    ckpt_entry_clear(&e);
    rec_state_free(s);
    rec_state_free(back);
    dynbuf_free(&a);
    dynbuf_free(&b);
    dynbuf_free(&v);
}

int main(void)
{
    RUN(test_ns_valid);
    RUN(test_configmap_name);
    RUN(test_key_build);
    RUN(test_value_roundtrip);
    RUN(test_value_decode_bad);
    RUN(test_shard_plan);
    RUN(test_shard_plan_budget);
    RUN(test_time_format);
    RUN(test_configmap_build);
    RUN(test_real_state);
    return TEST_DONE();
}

/* Unit tests for jsonpatch: pointers, the builder, RFC 6902 application. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/dynbuf.h"
#include "json/jsonpatch.h"
#include "json/jsonpatch_internal.h"
#include "base/status.h"
#include "test.h"

static const char *show(const cJSON *j)
{
    static char buf[2][2048];
    static int which;
    char *s = j ? cJSON_PrintUnformatted(j) : NULL;

    which ^= 1;
    snprintf(buf[which], sizeof(buf[which]), "%s", s ? s : "(null)");
    free(s);
    return buf[which];
}

static int json_eq(const cJSON *got, const char *want)
{
    cJSON *w = cJSON_Parse(want);
    int eq = w != NULL && got != NULL && jsonpatch_equal(got, w);

    if (w == NULL)
        T_FAIL("bad JSON in test table: %s", want);
    cJSON_Delete(w);
    return eq;
}

#define CHECK_JSON(got, want)                                                                      \
    do {                                                                                           \
        t_checks++;                                                                                \
        if (!json_eq((got), (want)))                                                               \
            T_FAIL("%s == %s, want %s", #got, show(got), (want));                                  \
    } while (0)

/* jsonpointer_format (the allocation-free builder jp_emit uses) writes what
 * jsonpointer_append_path does, and fails exactly when the pointer and its
 * NUL do not fit. */
static void test_pointer_format(void)
{
    static const char *const a[] = {"spec", "containers", "0", "resources"};
    static const char *const b[] = {"metadata", "annotations", "snug.dev/mutated"};
    static const char *const c[] = {"~/", "", "a~b/c"};
    static const char *const d[] = {""};
    static const struct {
        const char *const *path;
        size_t n;
        const char *want;
    } cases[] = {
        {a, 4, "/spec/containers/0/resources"},
        {b, 3, "/metadata/annotations/snug.dev~1mutated"},
        {c, 3, "/~0~1//a~0b~1c"},
        {d, 1, "/"},
        {a, 0, ""},
    };
    char buf[64];
    size_t i, cap, len;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        dynbuf ref;

        T_CASE("%s", cases[i].want);
        dynbuf_init(&ref, 256);
        CHECK_INT_EQ(jsonpointer_append_path(&ref, cases[i].path, cases[i].n), SNUG_OK);
        CHECK_STR_EQ(dynbuf_str(&ref), cases[i].want);
        dynbuf_free(&ref);
        len = strlen(cases[i].want);
        for (cap = 0; cap <= len + 2; cap++) {
            bool ok = jsonpointer_format(buf, cap, cases[i].path, cases[i].n);

            CHECK(ok == (cap > len));
            if (ok)
                CHECK_STR_EQ(buf, cases[i].want);
        }
    }
}

static void test_escape(void)
{
    static const struct {
        const char *seg, *want;
    } cases[] = {
        {"a/b", "a~1b"},
        {"~", "~0"},
        {"~1", "~01"},
        {"~0", "~00"},
        {"/~", "~1~0"},
        {"", ""},
        {"snug.dev/mutated", "snug.dev~1mutated"},
        {"a~/b", "a~0~1b"},
        {"plain", "plain"},
        {"//", "~1~1"},
    };
    cJSON *doc = cJSON_CreateObject();
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++)
        cJSON_AddNumberToObject(doc, cases[i].seg, (double)i);
    for (i = 0; i < ARRAY_LEN(cases); i++) {
        dynbuf b;

        T_CASE("%s", cases[i].seg);
        dynbuf_init(&b, 256);
        dynbuf_addc(&b, '/');
        CHECK_INT_EQ(jsonpointer_escape(&b, cases[i].seg), SNUG_OK);
        CHECK_STR_EQ(dynbuf_str(&b) + 1, cases[i].want);
        /* The escaped pointer leads back to the member. */
        CHECK(jsonpointer_get(doc, dynbuf_str(&b)) ==
              cJSON_GetObjectItemCaseSensitive(doc, cases[i].seg));
        dynbuf_free(&b);
    }
    cJSON_Delete(doc);

    {
        dynbuf b;

        T_CASE("bounded");
        dynbuf_init(&b, 3);
        CHECK_INT_EQ(jsonpointer_escape(&b, "a/b"), SNUG_ERR_TOO_BIG);
        dynbuf_free(&b);
    }
}

static void test_pointer_get(void)
{
    /* The RFC 6901 section 5 document. */
    static const char *doc_text =
        "{\"foo\": [\"bar\", \"baz\"], \"\": 0, \"a/b\": 1, \"c%d\": 2, \"e^f\": 3, \"g|h\": 4,"
        " \"i\\\\j\": 5, \"k\\\"l\": 6, \" \": 7, \"m~n\": 8, \"~1\": 9, \"n\": {\"o\": [[10]]}}";
    static const struct {
        const char *ptr, *want; /* want NULL: absent or malformed */
    } cases[] = {
        {"/foo", "[\"bar\", \"baz\"]"},
        {"/foo/0", "\"bar\""},
        {"/foo/1", "\"baz\""},
        {"/", "0"},
        {"/a~1b", "1"},
        {"/c%d", "2"},
        {"/e^f", "3"},
        {"/g|h", "4"},
        {"/i\\j", "5"},
        {"/k\"l", "6"},
        {"/ ", "7"},
        {"/m~0n", "8"},
        {"/~01", "9"},
        {"/n/o/0/0", "10"},
        {"/foo/2", NULL},
        {"/foo/-", NULL},
        {"/foo/01", NULL},
        {"/foo/-1", NULL},
        {"/foo/x", NULL},
        {"/foo/0/x", NULL},
        {"foo", NULL},
        {"/m~2n", NULL},
        {"/m~", NULL},
        {"/missing", NULL},
        {"/missing/deeper", NULL},
        {"/n/o/99999999999999999999", NULL},
    };
    cJSON *doc = cJSON_Parse(doc_text);
    size_t i;

    CHECK(doc != NULL);
    T_CASE("empty pointer");
    CHECK(jsonpointer_get(doc, "") == doc);
    CHECK(jsonpointer_get(NULL, "") == NULL);
    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *got = jsonpointer_get(doc, cases[i].ptr);

        T_CASE("%s", cases[i].ptr);
        if (cases[i].want == NULL)
            CHECK(got == NULL);
        else
            CHECK_JSON(got, cases[i].want);
    }
    cJSON_Delete(doc);
}

/* One builder call. */
enum { SET, APPEND, REMOVE };

typedef struct bcall {
    int what;
    const char *path[6]; /* NULL-terminated */
    const char *value;   /* JSON */
} bcall;

static snug_status run_call(jsonpatch *p, const bcall *c, snug_err *err)
{
    size_t n = 0;

    while (n < 6 && c->path[n] != NULL)
        n++;
    switch (c->what) {
    case SET:
        return jsonpatch_set(p, c->path, n, cJSON_Parse(c->value), err);
    case APPEND:
        return jsonpatch_append(p, c->path, n, cJSON_Parse(c->value), err);
    default:
        return jsonpatch_remove(p, c->path, n, err);
    }
}

static void test_builder(void)
{
    static const struct {
        const char *name, *doc;
        bcall call;
        snug_status st;
        const char *ops, *after; /* after NULL: unchanged; on error ops is the message */
    } cases[] = {
        {"set existing: replace",
         "{\"a\":{\"b\":1}}",
         {SET, {"a", "b"}, "2"},
         SNUG_OK,
         "[{\"op\":\"replace\",\"path\":\"/a/b\",\"value\":2}]",
         "{\"a\":{\"b\":2}}"},
        {"set missing leaf: add",
         "{\"a\":{}}",
         {SET, {"a", "b"}, "2"},
         SNUG_OK,
         "[{\"op\":\"add\",\"path\":\"/a/b\",\"value\":2}]",
         "{\"a\":{\"b\":2}}"},
        {"set with missing parents: one add",
         "{\"metadata\":{\"name\":\"x\"}}",
         {SET, {"metadata", "annotations", "snug.dev/mutated"}, "\"resources\""},
         SNUG_OK,
         "[{\"op\":\"add\",\"path\":\"/metadata/annotations\","
         "\"value\":{\"snug.dev/mutated\":\"resources\"}}]",
         "{\"metadata\":{\"name\":\"x\",\"annotations\":{\"snug.dev/mutated\":\"resources\"}}}"},
        {"missing from the top",
         "{}",
         {SET, {"a", "b", "c"}, "1"},
         SNUG_OK,
         "[{\"op\":\"add\",\"path\":\"/a\",\"value\":{\"b\":{\"c\":1}}}]",
         "{\"a\":{\"b\":{\"c\":1}}}"},
        {"escaped keys",
         "{}",
         {SET, {"a/b", "~c"}, "1"},
         SNUG_OK,
         "[{\"op\":\"add\",\"path\":\"/a~1b\",\"value\":{\"~c\":1}}]",
         "{\"a/b\":{\"~c\":1}}"},
        {"replace escaped key",
         "{\"l\":{\"snug.dev/mode\":\"off\"}}",
         {SET, {"l", "snug.dev/mode"}, "\"on\""},
         SNUG_OK,
         "[{\"op\":\"replace\",\"path\":\"/l/snug.dev~1mode\",\"value\":\"on\"}]",
         "{\"l\":{\"snug.dev/mode\":\"on\"}}"},
        {"append to missing array",
         "{\"spec\":{}}",
         {APPEND, {"spec", "env"}, "{\"name\":\"A\"}"},
         SNUG_OK,
         "[{\"op\":\"add\",\"path\":\"/spec/env\",\"value\":[{\"name\":\"A\"}]}]",
         "{\"spec\":{\"env\":[{\"name\":\"A\"}]}}"},
        {"append to missing array and parents",
         "{}",
         {APPEND, {"a", "b"}, "1"},
         SNUG_OK,
         "[{\"op\":\"add\",\"path\":\"/a\",\"value\":{\"b\":[1]}}]",
         "{\"a\":{\"b\":[1]}}"},
        {"append to existing array",
         "{\"env\":[1]}",
         {APPEND, {"env"}, "2"},
         SNUG_OK,
         "[{\"op\":\"add\",\"path\":\"/env/-\",\"value\":2}]",
         "{\"env\":[1,2]}"},
        {"append to null",
         "{\"env\":null}",
         {APPEND, {"env"}, "2"},
         SNUG_OK,
         "[{\"op\":\"replace\",\"path\":\"/env\",\"value\":[2]}]",
         "{\"env\":[2]}"},
        {"append to object",
         "{\"env\":{}}",
         {APPEND, {"env"}, "2"},
         SNUG_ERR_INVALID,
         "append /env: it is an object, not an array",
         NULL},
        {"append to root array",
         "[1]",
         {APPEND, {NULL}, "2"},
         SNUG_OK,
         "[{\"op\":\"add\",\"path\":\"/-\",\"value\":2}]",
         "[1,2]"},
        {"set equal value: no op",
         "{\"a\":{\"b\":[1,{\"c\":\"d\",\"e\":1.0}]}}",
         {SET, {"a", "b"}, "[1,{\"e\":1,\"c\":\"d\"}]"},
         SNUG_OK,
         "[]",
         NULL},
        {"set equal root: no op", "{\"a\":1}", {SET, {NULL}, "{\"a\":1}"}, SNUG_OK, "[]", NULL},
        {"set through a string",
         "{\"a\":\"s\"}",
         {SET, {"a", "b"}, "1"},
         SNUG_ERR_INVALID,
         "set /a/b: /a is a string, not an object or array",
         NULL},
        {"set through a number in an array",
         "{\"a\":[1]}",
         {SET, {"a", "0", "b"}, "1"},
         SNUG_ERR_INVALID,
         "set /a/0/b: /a/0 is a number, not an object or array",
         NULL},
        {"set into a scalar document",
         "\"s\"",
         {SET, {"a"}, "1"},
         SNUG_ERR_INVALID,
         "set /a: the document is a string",
         NULL},
        {"set array element",
         "{\"c\":[{\"n\":\"x\"}]}",
         {SET, {"c", "0", "n"}, "\"y\""},
         SNUG_OK,
         "[{\"op\":\"replace\",\"path\":\"/c/0/n\",\"value\":\"y\"}]",
         "{\"c\":[{\"n\":\"y\"}]}"},
        {"replace array element",
         "{\"c\":[1,2]}",
         {SET, {"c", "1"}, "3"},
         SNUG_OK,
         "[{\"op\":\"replace\",\"path\":\"/c/1\",\"value\":3}]",
         "{\"c\":[1,3]}"},
        {"set index == length: add",
         "{\"c\":[1]}",
         {SET, {"c", "1"}, "2"},
         SNUG_OK,
         "[{\"op\":\"add\",\"path\":\"/c/1\",\"value\":2}]",
         "{\"c\":[1,2]}"},
        {"set index past length",
         "{\"c\":[1]}",
         {SET, {"c", "5"}, "2"},
         SNUG_ERR_NOT_FOUND,
         "set /c/5: index 5 is out of range (the array has 1 items)",
         NULL},
        {"missing array index ancestor",
         "{\"c\":[]}",
         {SET, {"c", "0", "name"}, "\"x\""},
         SNUG_ERR_NOT_FOUND,
         "set /c/0/name: index 0 is out of range",
         NULL},
        {"index below a missing level",
         "{}",
         {SET, {"c", "0", "name"}, "\"x\""},
         SNUG_ERR_NOT_FOUND,
         "set /c/0/name: index 0 of an array that does not exist",
         NULL},
        {"set - appends",
         "{\"c\":[1]}",
         {SET, {"c", "-"}, "2"},
         SNUG_OK,
         "[{\"op\":\"add\",\"path\":\"/c/-\",\"value\":2}]",
         "{\"c\":[1,2]}"},
        {"set - with more below",
         "{\"c\":[]}",
         {SET, {"c", "-", "name"}, "\"x\""},
         SNUG_OK,
         "[{\"op\":\"add\",\"path\":\"/c/-\",\"value\":{\"name\":\"x\"}}]",
         "{\"c\":[{\"name\":\"x\"}]}"},
        {"set - below a missing level",
         "{}",
         {SET, {"c", "-", "name"}, "\"x\""},
         SNUG_OK,
         "[{\"op\":\"add\",\"path\":\"/c\",\"value\":[{\"name\":\"x\"}]}]",
         "{\"c\":[{\"name\":\"x\"}]}"},
        {"not an index",
         "{\"c\":[]}",
         {SET, {"c", "x"}, "1"},
         SNUG_ERR_INVALID,
         "set /c/x: \"x\" is not an array index",
         NULL},
        {"leading zero",
         "{\"c\":[1,2]}",
         {SET, {"c", "01"}, "1"},
         SNUG_ERR_INVALID,
         "set /c/01: \"01\" is not an array index",
         NULL},
        {"null parent is replaced",
         "{\"metadata\":{\"annotations\":null}}",
         {SET, {"metadata", "annotations", "k"}, "\"v\""},
         SNUG_OK,
         "[{\"op\":\"replace\",\"path\":\"/metadata/annotations\",\"value\":{\"k\":\"v\"}}]",
         "{\"metadata\":{\"annotations\":{\"k\":\"v\"}}}"},
        {"set root",
         "{\"a\":1}",
         {SET, {NULL}, "{\"b\":2}"},
         SNUG_OK,
         "[{\"op\":\"replace\",\"path\":\"\",\"value\":{\"b\":2}}]",
         "{\"b\":2}"},
        {"null root",
         "null",
         {SET, {"a"}, "1"},
         SNUG_OK,
         "[{\"op\":\"replace\",\"path\":\"\",\"value\":{\"a\":1}}]",
         "{\"a\":1}"},
        {"set a null value",
         "{\"a\":1}",
         {SET, {"a"}, "null"},
         SNUG_OK,
         "[{\"op\":\"replace\",\"path\":\"/a\",\"value\":null}]",
         "{\"a\":null}"},
        {"remove member",
         "{\"a\":{\"b\":1,\"c\":2}}",
         {REMOVE, {"a", "b"}, NULL},
         SNUG_OK,
         "[{\"op\":\"remove\",\"path\":\"/a/b\"}]",
         "{\"a\":{\"c\":2}}"},
        {"remove array item",
         "{\"a\":[1,2,3]}",
         {REMOVE, {"a", "1"}, NULL},
         SNUG_OK,
         "[{\"op\":\"remove\",\"path\":\"/a/1\"}]",
         "{\"a\":[1,3]}"},
        {"remove missing",
         "{\"a\":{}}",
         {REMOVE, {"a", "b"}, NULL},
         SNUG_ERR_NOT_FOUND,
         "remove /a/b: not found",
         NULL},
        {"remove -",
         "{\"a\":[1]}",
         {REMOVE, {"a", "-"}, NULL},
         SNUG_ERR_NOT_FOUND,
         "remove /a/-: not found",
         NULL},
        {"remove root",
         "{\"a\":1}",
         {REMOVE, {NULL}, NULL},
         SNUG_ERR_INVALID,
         "cannot remove the whole document",
         NULL},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *doc = cJSON_Parse(cases[i].doc);
        cJSON *orig = cJSON_Duplicate(doc, 1);
        jsonpatch *p = jsonpatch_new(doc);
        snug_err err = {0};
        snug_status st;

        T_CASE("%s", cases[i].name);
        CHECK(p != NULL);
        st = run_call(p, &cases[i].call, &err);
        CHECK_INT_EQ(st, cases[i].st);
        if (st != SNUG_OK && cases[i].st == SNUG_OK)
            T_FAIL("error: %s", err.msg);
        if (cases[i].st == SNUG_OK) {
            CHECK_JSON(jsonpatch_ops(p), cases[i].ops);
            CHECK_INT_EQ(jsonpatch_count(p), cJSON_GetArraySize(jsonpatch_ops(p)));
        } else {
            CHECK_STR_CONTAINS(err.msg, cases[i].ops);
            CHECK_INT_EQ(jsonpatch_count(p), 0);
        }
        CHECK_JSON(doc, cases[i].after ? cases[i].after : cases[i].doc);
        /* The document always equals the original plus the recorded patch. */
        CHECK_INT_EQ(jsonpatch_apply(orig, jsonpatch_ops(p), &err), SNUG_OK);
        t_checks++;
        if (!jsonpatch_equal(orig, doc))
            T_FAIL("original + ops == %s, document == %s", show(orig), show(doc));
        jsonpatch_free(p);
        cJSON_Delete(doc);
        cJSON_Delete(orig);
    }
}

/* Several calls on one patch: later calls see the earlier ones. */
static void test_builder_sequence(void)
{
    static const bcall calls[] = {
        {SET, {"metadata", "annotations", "snug.dev/mutated"}, "\"resources\""},
        {SET, {"metadata", "annotations", "snug.dev/reason"}, "\"x\""},
        {SET, {"metadata", "annotations", "snug.dev/mutated"}, "\"resources\""},
        {SET, {"metadata", "annotations", "snug.dev/mutated"}, "\"resources,probes\""},
        {APPEND, {"spec", "containers", "0", "env"}, "{\"name\":\"GOMAXPROCS\",\"value\":\"2\"}"},
        {APPEND,
         {"spec", "containers", "0", "env"},
         "{\"name\":\"GOMEMLIMIT\",\"value\":\"1MiB\"}"},
        {SET, {"spec", "containers", "1", "resources", "requests", "cpu"}, "\"100m\""},
        {REMOVE, {"spec", "containers", "1", "resources", "limits"}, NULL},
        {SET, {"spec", "containers", "0", "resources"}, "{\"requests\":{\"memory\":\"64Mi\"}}"},
    };
    static const char *want_ops =
        "[{\"op\":\"add\",\"path\":\"/metadata/annotations\",\"value\":{\"snug.dev/mutated\":"
        "\"resources\"}},"
        "{\"op\":\"add\",\"path\":\"/metadata/annotations/snug.dev~1reason\",\"value\":\"x\"},"
        "{\"op\":\"replace\",\"path\":\"/metadata/annotations/snug.dev~1mutated\","
        "\"value\":\"resources,probes\"},"
        "{\"op\":\"add\",\"path\":\"/spec/containers/0/env\",\"value\":[{\"name\":\"GOMAXPROCS\","
        "\"value\":\"2\"}]},"
        "{\"op\":\"add\",\"path\":\"/spec/containers/0/env/-\",\"value\":{\"name\":\"GOMEMLIMIT\","
        "\"value\":\"1MiB\"}},"
        "{\"op\":\"add\",\"path\":\"/spec/containers/1/resources/requests\",\"value\":{\"cpu\":"
        "\"100m\"}},"
        "{\"op\":\"remove\",\"path\":\"/spec/containers/1/resources/limits\"},"
        "{\"op\":\"add\",\"path\":\"/spec/containers/0/resources\",\"value\":{\"requests\":"
        "{\"memory\":\"64Mi\"}}}]";
    cJSON *doc =
        cJSON_Parse("{\"metadata\":{\"name\":\"web\"},\"spec\":{\"containers\":[{\"name\":"
                    "\"app\"},{\"name\":\"side\",\"resources\":{\"limits\":{\"cpu\":\"1\"}}}]}}");
    cJSON *orig = cJSON_Duplicate(doc, 1), *ops;
    jsonpatch *p = jsonpatch_new(doc);
    snug_err err = {0};
    size_t i;

    for (i = 0; i < ARRAY_LEN(calls); i++) {
        T_CASE("call %zu", i);
        CHECK_INT_EQ(run_call(p, &calls[i], &err), SNUG_OK);
    }
    T_CASE("sequence");
    CHECK_INT_EQ(jsonpatch_count(p), 8);
    CHECK_JSON(jsonpatch_ops(p), want_ops);
    CHECK_INT_EQ(jsonpatch_apply(orig, jsonpatch_ops(p), &err), SNUG_OK);
    CHECK(jsonpatch_equal(orig, doc));

    /* setv, and taking the operations. */
    T_CASE("setv and take");
    CHECK_INT_EQ(
        jsonpatch_setv(p, &err, cJSON_CreateString("1"), "metadata", "labels", "a/b", NULL),
        SNUG_OK);
    ops = jsonpatch_take_ops(p);
    CHECK_INT_EQ(cJSON_GetArraySize(ops), 9);
    CHECK_JSON(cJSON_GetArrayItem(ops, 8),
               "{\"op\":\"add\",\"path\":\"/metadata/labels\",\"value\":{\"a/b\":\"1\"}}");
    CHECK_INT_EQ(jsonpatch_count(p), 0);
    CHECK_JSON(jsonpatch_ops(p), "[]");
    CHECK_INT_EQ(
        jsonpatch_setv(p, &err, cJSON_CreateString("2"), "metadata", "labels", "a/b", NULL),
        SNUG_OK);
    CHECK_JSON(jsonpatch_ops(p),
               "[{\"op\":\"replace\",\"path\":\"/metadata/labels/a~1b\",\"value\":\"2\"}]");
    cJSON_Delete(ops);

    T_CASE("bad arguments");
    CHECK_INT_EQ(jsonpatch_set(p, NULL, 1, cJSON_CreateNull(), &err), SNUG_ERR_INVALID);
    CHECK_INT_EQ(jsonpatch_set(p, NULL, 0, NULL, &err), SNUG_ERR_INVALID);
    CHECK_INT_EQ(jsonpatch_set(NULL, NULL, 0, cJSON_CreateNull(), &err), SNUG_ERR_INVALID);
    CHECK(jsonpatch_new(NULL) == NULL);
    CHECK_INT_EQ(jsonpatch_count(p), 1);

    jsonpatch_free(p);
    cJSON_Delete(doc);
    cJSON_Delete(orig);
}

static void test_apply(void)
{
    static const struct {
        const char *name, *doc, *patch;
        snug_status st;
        const char *want; /* the document, or a substring of the error */
    } cases[] = {
        /* RFC 6902 appendix A */
        {"A.1 add object member", "{\"foo\":\"bar\"}",
         "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\"}]", SNUG_OK,
         "{\"baz\":\"qux\",\"foo\":\"bar\"}"},
        {"A.2 add array element", "{\"foo\":[\"bar\",\"baz\"]}",
         "[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":\"qux\"}]", SNUG_OK,
         "{\"foo\":[\"bar\",\"qux\",\"baz\"]}"},
        {"A.3 remove object member", "{\"baz\":\"qux\",\"foo\":\"bar\"}",
         "[{\"op\":\"remove\",\"path\":\"/baz\"}]", SNUG_OK, "{\"foo\":\"bar\"}"},
        {"A.4 remove array element", "{\"foo\":[\"bar\",\"qux\",\"baz\"]}",
         "[{\"op\":\"remove\",\"path\":\"/foo/1\"}]", SNUG_OK, "{\"foo\":[\"bar\",\"baz\"]}"},
        {"A.5 replace", "{\"baz\":\"qux\",\"foo\":\"bar\"}",
         "[{\"op\":\"replace\",\"path\":\"/baz\",\"value\":\"boo\"}]", SNUG_OK,
         "{\"baz\":\"boo\",\"foo\":\"bar\"}"},
        {"A.6 move value",
         "{\"foo\":{\"bar\":\"baz\",\"waldo\":\"fred\"},\"qux\":{\"corge\":\"grault\"}}",
         "[{\"op\":\"move\",\"from\":\"/foo/waldo\",\"path\":\"/qux/thud\"}]", SNUG_OK,
         "{\"foo\":{\"bar\":\"baz\"},\"qux\":{\"corge\":\"grault\",\"thud\":\"fred\"}}"},
        {"A.7 move array element", "{\"foo\":[\"all\",\"grass\",\"cows\",\"eat\"]}",
         "[{\"op\":\"move\",\"from\":\"/foo/1\",\"path\":\"/foo/3\"}]", SNUG_OK,
         "{\"foo\":[\"all\",\"cows\",\"eat\",\"grass\"]}"},
        {"A.8 test success", "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}",
         "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"qux\"},"
         "{\"op\":\"test\",\"path\":\"/foo/1\",\"value\":2}]",
         SNUG_OK, "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}"},
        {"A.9 test error", "{\"baz\":\"qux\"}",
         "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"bar\"}]", SNUG_ERR_INVALID,
         "json patch op 0 (test \"/baz\"): test failed"},
        {"A.10 add nested member object", "{\"foo\":\"bar\"}",
         "[{\"op\":\"add\",\"path\":\"/child\",\"value\":{\"grandchild\":{}}}]", SNUG_OK,
         "{\"foo\":\"bar\",\"child\":{\"grandchild\":{}}}"},
        {"A.11 ignore unrecognized members", "{\"foo\":\"bar\"}",
         "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"xyz\":123}]", SNUG_OK,
         "{\"foo\":\"bar\",\"baz\":\"qux\"}"},
        {"A.12 add to a nonexistent target", "{\"foo\":\"bar\"}",
         "[{\"op\":\"add\",\"path\":\"/baz/bat\",\"value\":\"qux\"}]", SNUG_ERR_NOT_FOUND,
         "json patch op 0 (add \"/baz/bat\"): \"baz\" does not exist"},
        {"A.13 invalid patch (op twice)", "{\"foo\":\"bar\"}",
         "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"op\":\"remove\"}]",
         SNUG_ERR_INVALID, "member \"op\" appears more than once"},
        {"A.14 ~ escape ordering", "{\"/\":9,\"~1\":10}",
         "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":10}]", SNUG_OK, "{\"/\":9,\"~1\":10}"},
        {"A.15 comparing strings and numbers", "{\"/\":9,\"~1\":10}",
         "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":\"10\"}]", SNUG_ERR_INVALID, "test failed"},
        {"A.16 add an array value", "{\"foo\":[\"bar\"]}",
         "[{\"op\":\"add\",\"path\":\"/foo/-\",\"value\":[\"abc\",\"def\"]}]", SNUG_OK,
         "{\"foo\":[\"bar\",[\"abc\",\"def\"]]}"},
        /* more edges */
        {"add at index == length", "{\"a\":[1]}",
         "[{\"op\":\"add\",\"path\":\"/a/1\",\"value\":2}]", SNUG_OK, "{\"a\":[1,2]}"},
        {"add at index 0", "{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/0\",\"value\":0}]",
         SNUG_OK, "{\"a\":[0,1]}"},
        {"add past length", "{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/2\",\"value\":2}]",
         SNUG_ERR_NOT_FOUND, "index 2 is out of range (the array has 1 items)"},
        {"add leading zero", "{\"a\":[1,2]}", "[{\"op\":\"add\",\"path\":\"/a/01\",\"value\":2}]",
         SNUG_ERR_INVALID, "\"01\" is not an array index"},
        {"add to existing member replaces", "{\"a\":1}",
         "[{\"op\":\"add\",\"path\":\"/a\",\"value\":[2]}]", SNUG_OK, "{\"a\":[2]}"},
        {"add null", "{}", "[{\"op\":\"add\",\"path\":\"/a\",\"value\":null}]", SNUG_OK,
         "{\"a\":null}"},
        {"add root", "{\"a\":1}", "[{\"op\":\"add\",\"path\":\"\",\"value\":{\"b\":2}}]", SNUG_OK,
         "{\"b\":2}"},
        {"replace root", "{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"\",\"value\":[1,\"x\"]}]",
         SNUG_OK, "[1,\"x\"]"},
        {"replace array element", "[1,2,3]", "[{\"op\":\"replace\",\"path\":\"/1\",\"value\":9}]",
         SNUG_OK, "[1,9,3]"},
        {"replace missing", "{}", "[{\"op\":\"replace\",\"path\":\"/a\",\"value\":1}]",
         SNUG_ERR_NOT_FOUND, "json patch op 0 (replace \"/a\"): \"a\" does not exist"},
        {"remove root", "{}", "[{\"op\":\"remove\",\"path\":\"\"}]", SNUG_ERR_INVALID,
         "cannot remove the whole document"},
        {"remove -", "[1]", "[{\"op\":\"remove\",\"path\":\"/-\"}]", SNUG_ERR_NOT_FOUND,
         "\"-\" names no existing element"},
        {"remove through a scalar", "{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"/a/b\"}]",
         SNUG_ERR_INVALID, "cannot descend into a number"},
        {"move into own child", "{\"a\":{\"b\":{}}}",
         "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/b/c\"}]", SNUG_ERR_INVALID,
         "cannot move \"/a\" into its own child"},
        {"move onto itself", "{\"a\":{\"b\":1}}",
         "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a\"}]", SNUG_OK, "{\"a\":{\"b\":1}}"},
        {"move onto itself, missing", "{}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a\"}]",
         SNUG_ERR_NOT_FOUND, "\"a\" does not exist"},
        {"move to a sibling with a common prefix", "{\"a\":1}",
         "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/ab\"}]", SNUG_OK, "{\"ab\":1}"},
        {"move replaces the target", "{\"a\":1,\"b\":2}",
         "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/b\"}]", SNUG_OK, "{\"b\":1}"},
        {"move from array to object", "{\"l\":[1,{\"x\":2}],\"o\":{}}",
         "[{\"op\":\"move\",\"from\":\"/l/1\",\"path\":\"/o/y\"}]", SNUG_OK,
         "{\"l\":[1],\"o\":{\"y\":{\"x\":2}}}"},
        {"move missing from", "{}", "[{\"op\":\"move\",\"from\":\"/x\",\"path\":\"/y\"}]",
         SNUG_ERR_NOT_FOUND, "\"x\" does not exist"},
        {"move without from", "{}", "[{\"op\":\"move\",\"path\":\"/y\"}]", SNUG_ERR_INVALID,
         "missing member \"from\""},
        {"copy", "{\"a\":{\"x\":[1]}}", "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/b\"}]",
         SNUG_OK, "{\"a\":{\"x\":[1]},\"b\":{\"x\":[1]}}"},
        {"copy into own child", "{\"a\":{}}",
         "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/a/b\"}]", SNUG_OK, "{\"a\":{\"b\":{}}}"},
        {"copy array item into array", "[{\"k\":1}]",
         "[{\"op\":\"copy\",\"from\":\"/0\",\"path\":\"/-\"}]", SNUG_OK, "[{\"k\":1},{\"k\":1}]"},
        {"copy missing", "{}", "[{\"op\":\"copy\",\"from\":\"/x\",\"path\":\"/y\"}]",
         SNUG_ERR_NOT_FOUND, "json patch op 0 (copy \"/y\")"},
        {"test member order", "{\"a\":{\"x\":1,\"y\":[1,{\"p\":true,\"q\":null}]}}",
         "[{\"op\":\"test\",\"path\":\"/"
         "a\",\"value\":{\"y\":[1,{\"q\":null,\"p\":true}],\"x\":1.0}}]",
         SNUG_OK, "{\"a\":{\"x\":1,\"y\":[1,{\"p\":true,\"q\":null}]}}"},
        {"test array order matters", "{\"a\":[1,2]}",
         "[{\"op\":\"test\",\"path\":\"/a\",\"value\":[2,1]}]", SNUG_ERR_INVALID, "test failed"},
        {"test extra member", "{\"a\":{\"x\":1}}",
         "[{\"op\":\"test\",\"path\":\"/a\",\"value\":{\"x\":1,\"y\":2}}]", SNUG_ERR_INVALID,
         "test failed"},
        {"test null vs missing", "{}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":null}]",
         SNUG_ERR_NOT_FOUND, "\"a\" does not exist"},
        {"test whole document", "[1]", "[{\"op\":\"test\",\"path\":\"\",\"value\":[1]}]", SNUG_OK,
         "[1]"},
        {"second op fails: index named", "{\"a\":1}",
         "[{\"op\":\"remove\",\"path\":\"/a\"},{\"op\":\"remove\",\"path\":\"/a\"}]",
         SNUG_ERR_NOT_FOUND, "json patch op 1 (remove \"/a\")"},
        {"unknown op", "{}", "[{\"op\":\"frob\",\"path\":\"/a\"}]", SNUG_ERR_INVALID,
         "json patch op 0 (frob \"/a\"): unknown operation"},
        {"missing value", "{}", "[{\"op\":\"add\",\"path\":\"/a\"}]", SNUG_ERR_INVALID,
         "missing member \"value\""},
        {"missing op", "{}", "[{\"path\":\"/a\"}]", SNUG_ERR_INVALID,
         "json patch op 0: missing member \"op\""},
        {"missing path", "{}", "[{\"op\":\"remove\"}]", SNUG_ERR_INVALID,
         "json patch op 0: missing member \"path\""},
        {"path not a string", "{}", "[{\"op\":\"remove\",\"path\":1}]", SNUG_ERR_INVALID,
         "member \"path\" must be a string"},
        {"pointer without slash", "{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"a\"}]",
         SNUG_ERR_INVALID, "not a JSON pointer"},
        {"bad escape", "{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"/~2\"}]", SNUG_ERR_INVALID,
         "bad escape"},
        {"op not an object", "{}", "[1]", SNUG_ERR_INVALID,
         "json patch op 0: an operation must be an object, not a number"},
        {"patch not an array", "{}", "{}", SNUG_ERR_INVALID, "must be an array of operations"},
        {"empty patch", "{\"a\":1}", "[]", SNUG_OK, "{\"a\":1}"},
        /* list surgery at both ends keeps the arrays consistent */
        {"insert, replace last, append", "[1,2,3]",
         "[{\"op\":\"add\",\"path\":\"/1\",\"value\":5},{\"op\":\"replace\",\"path\":\"/3\","
         "\"value\":9},{\"op\":\"add\",\"path\":\"/-\",\"value\":4},{\"op\":\"add\","
         "\"path\":\"/0\",\"value\":0},{\"op\":\"remove\",\"path\":\"/5\"},{\"op\":\"add\","
         "\"path\":\"/5\",\"value\":7},{\"op\":\"test\",\"path\":\"/5\",\"value\":7}]",
         SNUG_OK, "[0,1,5,2,9,7]"},
        {"replace first, move last to first", "[1,2,3]",
         "[{\"op\":\"replace\",\"path\":\"/0\",\"value\":8},{\"op\":\"move\",\"from\":\"/2\","
         "\"path\":\"/0\"},{\"op\":\"add\",\"path\":\"/-\",\"value\":4},{\"op\":\"copy\","
         "\"from\":\"/3\",\"path\":\"/1\"}]",
         SNUG_OK, "[3,4,8,2,4]"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *doc = cJSON_Parse(cases[i].doc), *patch = cJSON_Parse(cases[i].patch);
        snug_err err = {0};
        snug_status st;

        T_CASE("%s", cases[i].name);
        CHECK(doc != NULL && patch != NULL);
        st = jsonpatch_apply(doc, patch, &err);
        CHECK_INT_EQ(st, cases[i].st);
        if (cases[i].st == SNUG_OK) {
            if (st != SNUG_OK)
                T_FAIL("error: %s", err.msg);
            CHECK_JSON(doc, cases[i].want);
        } else {
            CHECK_STR_CONTAINS(err.msg, cases[i].want);
        }
        cJSON_Delete(doc);
        cJSON_Delete(patch);
    }
}

static void test_equal(void)
{
    static const struct {
        const char *a, *b;
        int eq;
    } cases[] = {
        {"1", "1.0", 1},
        {"1", "\"1\"", 0},
        {"null", "null", 1},
        {"null", "false", 0},
        {"true", "false", 0},
        {"[]", "{}", 0},
        {"{\"a\":[1,{}]}", "{\"a\":[1,{}]}", 1},
        {"{\"a\":1,\"b\":2}", "{\"b\":2,\"a\":1}", 1},
        {"{\"a\":1}", "{\"a\":1,\"b\":2}", 0},
        {"{\"a\":1,\"b\":2}", "{\"a\":1}", 0},
        {"{\"a\":1,\"b\":2}", "{\"a\":1,\"c\":2}", 0},
        {"[1,2]", "[1,2,3]", 0},
        {"\"\"", "\"\"", 1},
        {"\"a\"", "\"b\"", 0},
    };
    size_t i;
    cJSON *a, *b, *cur;
    clock_t t0;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        T_CASE("%s vs %s", cases[i].a, cases[i].b);
        a = cJSON_Parse(cases[i].a);
        b = cJSON_Parse(cases[i].b);
        CHECK_INT_EQ(jsonpatch_equal(a, b), cases[i].eq);
        CHECK_INT_EQ(jsonpatch_equal(b, a), cases[i].eq);
        cJSON_Delete(a);
        cJSON_Delete(b);
    }

    /* 500 nested objects: cJSON_Compare would take 2^500 steps. */
    T_CASE("deep objects");
    a = cJSON_CreateObject();
    for (cur = a, i = 0; i < 500; i++) {
        cJSON *next = cJSON_CreateObject();
        cJSON_AddNumberToObject(cur, "x", (double)i);
        cJSON_AddItemToObject(cur, "a", next);
        cur = next;
    }
    b = cJSON_Duplicate(a, 1);
    t0 = clock();
    CHECK(jsonpatch_equal(a, b));
    cJSON_AddNumberToObject(cur, "extra", 1);
    CHECK(!jsonpatch_equal(a, b));
    CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);
    cJSON_Delete(a);
    cJSON_Delete(b);
}

int main(void)
{
    RUN(test_escape);
    RUN(test_pointer_format);
    RUN(test_pointer_get);
    RUN(test_builder);
    RUN(test_builder_sequence);
    RUN(test_apply);
    RUN(test_equal);
    return TEST_DONE();
}

/* Unit tests for yamljson: YAML/JSON parsing, typing, limits and emitting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/dynbuf.h"
#include "base/status.h"
#include "test.h"
#include "yaml/yamljson.h"

#define MB (1024u * 1024u)

/* The JSON text of a tree, for failure messages (static buffer). */
static const char *show(const cJSON *j)
{
    static char buf[4096];
    char *s = j ? cJSON_PrintUnformatted(j) : NULL;

    snprintf(buf, sizeof(buf), "%s", s ? s : "(null)");
    free(s);
    return buf;
}

/* Structural equality (cJSON_Compare is exponential on nested objects). */
static int tree_eq(const cJSON *a, const cJSON *b)
{
    const cJSON *x, *y;

    if (a == NULL || b == NULL)
        return a == b;
    if ((a->type & 0xFF) != (b->type & 0xFF))
        return 0;
    if (cJSON_IsNumber(a))
        return a->valuedouble == b->valuedouble;
    if (cJSON_IsString(a))
        return strcmp(a->valuestring, b->valuestring) == 0;
    if (cJSON_IsArray(a)) {
        for (x = a->child, y = b->child; x && y; x = x->next, y = y->next)
            if (!tree_eq(x, y))
                return 0;
        return x == NULL && y == NULL;
    }
    if (cJSON_IsObject(a)) {
        if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
            return 0;
        cJSON_ArrayForEach(x, a)
        {
            if (!tree_eq(x, cJSON_GetObjectItemCaseSensitive(b, x->string)))
                return 0;
        }
    }
    return 1;
}

/* Whether `got` equals the JSON text `want`. */
static int json_eq(const cJSON *got, const char *want)
{
    cJSON *w = cJSON_Parse(want);
    int eq;

    if (w == NULL) {
        T_FAIL("bad JSON in test table: %s", want);
        return 0;
    }
    eq = got != NULL && tree_eq(got, w);
    cJSON_Delete(w);
    return eq;
}

#define CHECK_JSON(got, want)                                                                      \
    do {                                                                                           \
        t_checks++;                                                                                \
        if (!json_eq((got), (want)))                                                               \
            T_FAIL("%s == %s, want %s", #got, show(got), (want));                                  \
    } while (0)

/* Emit `doc`, parse the text back and check it is the same tree. */
static void check_roundtrip(const cJSON *doc)
{
    dynbuf b;
    cJSON *back = NULL;
    snug_err err = {0};
    snug_status st;

    dynbuf_init(&b, 64 * MB);
    CHECK_INT_EQ(yaml_emit(doc, &b), SNUG_OK);
    st = yaml_parse_stream(dynbuf_str(&b), dynbuf_len(&b), 64 * MB, &back, &err);
    CHECK_INT_EQ(st, SNUG_OK);
    if (st != SNUG_OK) {
        T_FAIL("re-parse: %s\n---\n%.2000s", err.msg, dynbuf_str(&b));
    } else if (cJSON_IsNull(doc)) {
        CHECK_INT_EQ(cJSON_GetArraySize(back), 0); /* null documents are skipped */
    } else {
        CHECK_INT_EQ(cJSON_GetArraySize(back), 1);
        t_checks++;
        if (!tree_eq(cJSON_GetArrayItem(back, 0), doc))
            T_FAIL("round trip changed %s\n---\n%.2000s", show(doc), dynbuf_str(&b));
    }
    cJSON_Delete(back);
    dynbuf_free(&b);
}

/* Round-trip every document of a parsed stream. */
static void check_roundtrip_all(const cJSON *docs)
{
    const cJSON *d;

    cJSON_ArrayForEach(d, docs)
    {
        check_roundtrip(d);
    }
}

static void test_scalar_typing(void)
{
    /* The value of `v: <text>` as kubectl (sigs.k8s.io/yaml, go-yaml v2,
     * YAML 1.1 resolver) reads it. */
    static const struct {
        const char *text, *want;
    } cases[] = {
        /* booleans: YAML 1.1 spellings too, exact case forms only */
        {"true", "true"},
        {"True", "true"},
        {"TRUE", "true"},
        {"tRue", "\"tRue\""},
        {"false", "false"},
        {"FALSE", "false"},
        {"yes", "true"},
        {"Yes", "true"},
        {"YES", "true"},
        {"yEs", "\"yEs\""},
        {"no", "false"},
        {"No", "false"},
        {"on", "true"},
        {"On", "true"},
        {"ON", "true"},
        {"off", "false"},
        {"Off", "false"},
        {"y", "true"},
        {"Y", "true"},
        {"n", "false"},
        {"N", "false"},
        {"\"on\"", "\"on\""},
        {"'yes'", "\"yes\""},
        {"\"true\"", "\"true\""},
        /* null */
        {"null", "null"},
        {"Null", "null"},
        {"NULL", "null"},
        {"nUll", "\"nUll\""},
        {"~", "null"},
        {"", "null"},
        {"\"\"", "\"\""},
        {"''", "\"\""},
        /* integers */
        {"12", "12"},
        {"-12", "-12"},
        {"+12", "12"},
        {"0", "0"},
        {"-0", "0"},
        {"0x1F", "31"},
        {"0X1f", "31"},
        {"-0x10", "-16"},
        {"0o17", "15"},
        {"017", "15"},
        {"0644", "420"},
        {"08", "8"},
        {"0b101", "5"},
        {"-0b101", "-5"},
        {"1_000", "1000"},
        {"0x_1F", "31"},
        {"9007199254740993", "9007199254740992"},
        {"12345678901234567890", "12345678901234567890"},
        {"123456789012345678901234567890", "1.2345678901234568e29"},
        /* floats */
        {"1.5", "1.5"},
        {"-1.5e-3", "-0.0015"},
        {"1e3", "1000"},
        {"1E+3", "1000"},
        {".5", "0.5"},
        {"+.5", "0.5"},
        {"-.5", "-0.5"},
        {"1.", "1"},
        {"0.1", "0.1"},
        {"1_0.5", "10.5"},
        {"0e5", "0"},
        /* strings that look a bit like numbers or words */
        {"1e400", "\"1e400\""},
        {".5e999", "\".5e999\""}, /* overflows: stays a string, as for kubectl */
        {"0x", "\"0x\""},
        {"0o", "\"0o\""},
        {"0xG", "\"0xG\""},
        {"1.2.3", "\"1.2.3\""},
        {"1:20", "\"1:20\""},
        {"2001-12-14", "\"2001-12-14\""},
        {"2001-12-14T21:59:43.10Z", "\"2001-12-14T21:59:43.10Z\""},
        {"+", "\"+\""},
        {".", "\".\""},
        {"._5", "\"._5\""},
        {"nan", "\"nan\""},
        {"NaN", "\"NaN\""},
        {"Infinity", "\"Infinity\""},
        {"inf", "\"inf\""},
        {"'.inf'", "\".inf\""},
        {"=", "\"=\""},
        {"<<", "\"<<\""},
        {"1Gi", "\"1Gi\""},
        {"500m", "\"500m\""},
        {"v1.2", "\"v1.2\""},
        {"\"12\"", "\"12\""},
        {"'0x1F'", "\"0x1F\""},
        {"hello world", "\"hello world\""},
        {"a: b", NULL}, /* a mapping value here is an error */
        {"x#y", "\"x#y\""},
        {"x #y", "\"x\""},
        {"http://a:8080/b", "\"http://a:8080/b\""},
        /* tags */
        {"!!str 12", "\"12\""},
        {"!!str true", "\"true\""},
        {"!!int \"12\"", "12"},
        {"!!float 1", "1"},
        {"!!bool yes", "true"},
        {"!!null ''", "null"},
        {"! 12", "\"12\""},
        {"!custom 12", "\"12\""},
        {"!!binary aGVsbG8=", "\"aGVsbG8=\""},
        {"!!timestamp 2001-12-14", "\"2001-12-14\""},
        /* unicode */
        {"h\xc3\xa9llo", "\"h\xc3\xa9llo\""},
        {"\"\\u00e9\"", "\"\xc3\xa9\""},
        {"\"\\U0001F600\"", "\"\xf0\x9f\x98\x80\""},
        {"\"a\\tb\\n\"", "\"a\\tb\\n\""},
        {"'it''s'", "\"it's\""},
        /* flow collections */
        {"[1, \"2\", yes, {k: null}]", "[1, \"2\", true, {\"k\": null}]"},
        {"{}", "{}"},
        {"[]", "[]"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        char in[256];
        cJSON *doc = NULL;
        snug_err err = {0};
        snug_status st;

        T_CASE("v: %s", cases[i].text);
        snprintf(in, sizeof(in), "v: %s\n", cases[i].text);
        st = yaml_parse_one(in, strlen(in), MB, &doc, &err);
        if (cases[i].want == NULL) {
            CHECK(st != SNUG_OK);
            CHECK(doc == NULL);
            continue;
        }
        CHECK_INT_EQ(st, SNUG_OK);
        if (st != SNUG_OK) {
            T_FAIL("error: %s", err.msg);
            continue;
        }
        CHECK_JSON(cJSON_GetObjectItemCaseSensitive(doc, "v"), cases[i].want);
        check_roundtrip(doc);
        cJSON_Delete(doc);
    }
}

static void test_keys(void)
{
    /* Non-string keys become strings the way sigs.k8s.io/yaml does it. */
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"1: a", "{\"1\": \"a\"}"},
        {"on: a", "{\"true\": \"a\"}"},
        {"\"on\": a", "{\"on\": \"a\"}"},
        {"no: a", "{\"false\": \"a\"}"},
        {"0x10: a", "{\"16\": \"a\"}"},
        {"1.5: a", "{\"1.5\": \"a\"}"},
        {"1e3: a", "{\"1000\": \"a\"}"},
        {"1e6: a", "{\"1e+06\": \"a\"}"},
        {"12345678901234567890: a", "{\"12345678901234567890\": \"a\"}"},
        {".inf: a", "{\".inf\": \"a\"}"},
        {"'': a", "{\"\": \"a\"}"},
        {"snug.dev/mode: off", "{\"snug.dev/mode\": false}"},
        {"y: 1\nn: 2\nx: 3", "{\"true\": 1, \"false\": 2, \"x\": 3}"},
        {"k: &x 7\n*x : b", "{\"k\": 7, \"7\": \"b\"}"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *doc = NULL;
        snug_err err = {0};

        T_CASE("%s", cases[i].in);
        CHECK_INT_EQ(yaml_parse_one(cases[i].in, strlen(cases[i].in), MB, &doc, &err), SNUG_OK);
        CHECK_JSON(doc, cases[i].want);
        if (doc != NULL)
            check_roundtrip(doc);
        cJSON_Delete(doc);
    }
}

/* Parse a stream; check the documents (a JSON array) or the error. */
static void check_stream(const char *in, size_t len, snug_status want_st, const char *want)
{
    cJSON *docs = NULL;
    snug_err err = {0};
    snug_status st = yaml_parse_stream(in, len, 16 * MB, &docs, &err);

    CHECK_INT_EQ(st, want_st);
    if (want_st == SNUG_OK) {
        if (st != SNUG_OK)
            T_FAIL("error: %s", err.msg);
        CHECK_JSON(docs, want);
        if (docs != NULL)
            check_roundtrip_all(docs);
    } else {
        CHECK(docs == NULL);
        CHECK_STR_CONTAINS(err.msg, want);
    }
    cJSON_Delete(docs);
}

static void test_streams(void)
{
    static const struct {
        const char *name, *in;
        snug_status st;
        const char *want; /* JSON array of documents, or an error substring */
    } cases[] = {
        {"two docs", "a: 1\n---\nb: 2\n", SNUG_OK, "[{\"a\":1},{\"b\":2}]"},
        {"leading ---", "---\na: 1\n", SNUG_OK, "[{\"a\":1}]"},
        {"--- only", "---\n---\n", SNUG_OK, "[]"},
        {"empty", "", SNUG_OK, "[]"},
        {"comment only", "# nothing here\n  # still nothing\n", SNUG_OK, "[]"},
        {"null docs skipped", "null\n---\n~\n---\na: 1\n", SNUG_OK, "[{\"a\":1}]"},
        {"mixed empties", "---\na: 1\n...\n---\n# c\n---\n[1, 2]\n---\n", SNUG_OK,
         "[{\"a\":1},[1,2]]"},
        {"scalar doc", "--- hello\n", SNUG_OK, "[\"hello\"]"},
        {"bom",
         "\xEF\xBB\xBF"
         "a: 1\n",
         SNUG_OK, "[{\"a\":1}]"},
        {"comments", "a: 1 # one\n# full line\nb: 'x # not a comment'\nc: x#y\nd: \"#\"\n", SNUG_OK,
         "[{\"a\":1,\"b\":\"x # not a comment\",\"c\":\"x#y\",\"d\":\"#\"}]"},
        {"literal", "a: |\n  x\n   y\n\n  z\nb: 1\n", SNUG_OK,
         "[{\"a\":\"x\\n y\\n\\nz\\n\",\"b\":1}]"},
        {"literal strip", "a: |-\n  x\n  y\n\n", SNUG_OK, "[{\"a\":\"x\\ny\"}]"},
        {"literal keep", "a: |+\n  x\n\n\nb: 1\n", SNUG_OK, "[{\"a\":\"x\\n\\n\\n\",\"b\":1}]"},
        {"literal indent", "a: |2\n   x\n  y\n", SNUG_OK, "[{\"a\":\" x\\ny\\n\"}]"},
        {"folded", "a: >\n  one\n  two\n\n  three\n", SNUG_OK, "[{\"a\":\"one two\\nthree\\n\"}]"},
        {"folded strip", "a: >-\n  one\n  two\n", SNUG_OK, "[{\"a\":\"one two\"}]"},
        {"block scalar looks like number", "a: |\n  12\n", SNUG_OK, "[{\"a\":\"12\\n\"}]"},
        {"multi-line plain", "a: one\n  two\n", SNUG_OK, "[{\"a\":\"one two\"}]"},
        {"pod",
         "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels: {app: web}\n"
         "spec:\n  containers:\n  - name: app\n    image: nginx:1.27\n    env:\n"
         "    - name: DEBUG\n      value: \"on\"\n    - name: PORT\n      value: \"8080\"\n"
         "    ports:\n    - containerPort: 8080\n",
         SNUG_OK,
         "[{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\",\"labels\":"
         "{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"nginx:1.27\","
         "\"env\":[{\"name\":\"DEBUG\",\"value\":\"on\"},{\"name\":\"PORT\",\"value\":\"8080\"}],"
         "\"ports\":[{\"containerPort\":8080}]}]}}]"},
        /* plain JSON */
        {"json", "{\"a\": [1, 2.5, true, null, \"x\"], \"b\": {}}", SNUG_OK,
         "[{\"a\":[1,2.5,true,null,\"x\"],\"b\":{}}]"},
        {"json compact", "{\"a\":{\"b\":[]}}", SNUG_OK, "[{\"a\":{\"b\":[]}}]"},
        {"json tabs", "{\n\t\"a\": 1\n}\n", SNUG_OK, "[{\"a\":1}]"},
        {"json bom", "\xEF\xBB\xBF{\"a\":1}", SNUG_OK, "[{\"a\":1}]"},
        {"json unicode escapes", "{\"s\":\"\\u00e9\\ud83d\\ude00\\u2028\"}", SNUG_OK,
         "[{\"s\":\"\xc3\xa9\xf0\x9f\x98\x80\xe2\x80\xa8\"}]"},
        {"json array", "[{\"a\":1},{\"a\":2}]", SNUG_OK, "[[{\"a\":1},{\"a\":2}]]"},
        {"json then yaml", "{\"a\":1}\n---\n{\"b\":2}\n", SNUG_OK, "[{\"a\":1},{\"b\":2}]"},
        {"json lone surrogate", "{\"s\":\"\\ud800\"}", SNUG_ERR_PARSE, "line 1, column"},
        {"json nul escape", "{\"s\":\"a\\u0000b\"}", SNUG_ERR_PARSE, "NUL"},
        {"json trailing comma (YAML flow allows it)", "{\"a\":1,}", SNUG_OK, "[{\"a\":1}]"},
        {"json unbalanced", "{\"a\": [1,\n 2}", SNUG_ERR_PARSE, "line 2, column 3"},
        /* malformed YAML: the error names line and column */
        {"unclosed flow", "a: 1\nb: [1, 2\nc: 3\n", SNUG_ERR_PARSE, "line 3, column"},
        {"bad indent", "a: 1\n  b: 2\n", SNUG_ERR_PARSE,
         "line 2, column 4: mapping values are not allowed in this context"},
        {"unterminated quote", "a: 1\nb: 'x\n", SNUG_ERR_PARSE, "line 3"},
        {"bad escape", "a: 1\nb: \"\\q\"\n", SNUG_ERR_PARSE, "line 2, column"},
        {"tab indent", "a:\n\tb: 1\n", SNUG_ERR_PARSE, "line 2"},
        {"invalid utf-8", "a: 1\nb: \xff\n", SNUG_ERR_PARSE, "line 2, column 4"},
        {"control char", "a: \x01\n", SNUG_ERR_PARSE, "line 1"},
        {"nul escape", "a: \"x\\0y\"\n", SNUG_ERR_PARSE, "line 1, column 4: a NUL character"},
        {"sequence in mapping", "a: 1\n- b\n", SNUG_ERR_PARSE, "line 2"},
        {"complex key", "? [a, b]\n: c\n", SNUG_ERR_PARSE,
         "line 1, column 3: a mapping key must be a scalar"},
        {"null key", "~: a\n", SNUG_ERR_INVALID, "line 1, column 1: a null mapping key"},
        {"inf value", "a: 1\nb: .inf\n", SNUG_ERR_INVALID,
         "line 2, column 4: .inf is not a number"},
        {"nan value", "b: .NaN\n", SNUG_ERR_INVALID, "line 1"},
        {"-.NaN is not in the list: a string", "b: -.NaN\n", SNUG_OK, "[{\"b\":\"-.NaN\"}]"},
        {"bad tag", "a: !!int abc\n", SNUG_ERR_INVALID,
         "line 1, column 4: cannot decode \"abc\" as !!int"},
        {"huge integer",
         "a: 1"
         "000000000000000000000000000000000000000000000000000000000000000000"
         "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
         "000000\n",
         SNUG_ERR_RANGE, "line 1, column 4"},
        /* duplicates */
        {"dup key", "a: 1\nb: 2\na: 3\n", SNUG_ERR_PARSE,
         "line 3, column 1: duplicate key \"a\" (first defined at line 1)"},
        {"dup nested", "x:\n  y:\n    k: 1\n    k: 2\n", SNUG_ERR_PARSE,
         "line 4, column 5: duplicate key \"k\""},
        {"dup after typing", "1: a\n\"1\": b\n", SNUG_ERR_PARSE, "duplicate key \"1\""},
        {"dup yes/true", "yes: a\ntrue: b\n", SNUG_ERR_PARSE, "duplicate key \"true\""},
        {"dup in flow", "{a: 1, a: 2}", SNUG_ERR_PARSE, "duplicate key \"a\""},
        {"dup json", "{\"a\":1,\n\"a\":2}", SNUG_ERR_PARSE,
         "line 2, column 1: duplicate key \"a\""},
        {"dup json big object",
         "{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6,\"g\":7,\"h\":8,\"i\":9,\"j\":10,\"e\":"
         "0}",
         SNUG_ERR_PARSE, "duplicate key \"e\""},
        {"same key in siblings", "- a: 1\n- a: 2\n", SNUG_OK, "[[{\"a\":1},{\"a\":2}]]"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        T_CASE("%s", cases[i].name);
        check_stream(cases[i].in, strlen(cases[i].in), cases[i].st, cases[i].want);
    }
}

static void test_parse_one(void)
{
    static const struct {
        const char *in;
        snug_status st;
        const char *want;
    } cases[] = {
        {"a: 1\n", SNUG_OK, "{\"a\":1}"},
        {"---\na: 1\n---\n", SNUG_OK, "{\"a\":1}"},
        {"a: 1\n---\nb: 2\n", SNUG_ERR_PARSE, "line 2, column 1: expected a single document"},
        {"", SNUG_ERR_PARSE, "no document"},
        {"# just a comment\n", SNUG_ERR_PARSE, "no document"},
        {"null\n", SNUG_ERR_PARSE, "no document"},
        {"[1]", SNUG_OK, "[1]"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *doc = NULL;
        snug_err err = {0};

        T_CASE("%s", cases[i].in);
        CHECK_INT_EQ(yaml_parse_one(cases[i].in, strlen(cases[i].in), MB, &doc, &err), cases[i].st);
        if (cases[i].st == SNUG_OK) {
            CHECK_JSON(doc, cases[i].want);
            if (doc != NULL)
                check_roundtrip(doc);
        } else {
            CHECK(doc == NULL);
            CHECK_STR_CONTAINS(err.msg, cases[i].want);
        }
        cJSON_Delete(doc);
    }
}

static void test_anchors(void)
{
    static const struct {
        const char *name, *in;
        snug_status st;
        const char *want;
    } cases[] = {
        {"alias of mapping", "base: &b {x: 1, z: [1, 2]}\nuse: *b\n", SNUG_OK,
         "[{\"base\":{\"x\":1,\"z\":[1,2]},\"use\":{\"x\":1,\"z\":[1,2]}}]"},
        {"alias of scalar", "a: &v yes\nb: *v\nc: [*v, *v]\n", SNUG_OK,
         "[{\"a\":true,\"b\":true,\"c\":[true,true]}]"},
        {"merge", "base: &b {x: 1, z: 2}\nm:\n  <<: *b\n  z: 3\n", SNUG_OK,
         "[{\"base\":{\"x\":1,\"z\":2},\"m\":{\"z\":3,\"x\":1}}]"},
        {"merge explicit key first", "base: &b {x: 1, z: 2}\nm:\n  z: 3\n  <<: *b\n", SNUG_OK,
         "[{\"base\":{\"x\":1,\"z\":2},\"m\":{\"z\":3,\"x\":1}}]"},
        {"merge list: earlier wins", "a: &a {k: 1}\nb: &b {k: 2, j: 2}\nm:\n  <<: [*a, *b]\n",
         SNUG_OK, "[{\"a\":{\"k\":1},\"b\":{\"k\":2,\"j\":2},\"m\":{\"k\":1,\"j\":2}}]"},
        {"merge inline anchored", "m:\n  <<: &b {x: 1}\nk: *b\n", SNUG_OK,
         "[{\"m\":{\"x\":1},\"k\":{\"x\":1}}]"},
        {"merge of scalar", "a: &a 1\nm:\n  <<: *a\n", SNUG_ERR_INVALID,
         "line 3, column 7: the value of a merge key"},
        {"quoted << is a key", "\"<<\": 1\n", SNUG_OK, "[{\"<<\":1}]"},
        {"redefined anchor", "a: &x 1\nb: &x 2\nc: *x\n", SNUG_OK, "[{\"a\":1,\"b\":2,\"c\":2}]"},
        {"unknown alias", "a: 1\nb: *nope\n", SNUG_ERR_PARSE,
         "line 2, column 4: unknown anchor \"nope\""},
        {"alias inside itself", "a: &x [1, *x]\n", SNUG_ERR_PARSE, "unknown anchor \"x\""},
        {"anchors are per document", "a: &x 1\n---\nb: *x\n", SNUG_ERR_PARSE, "line 3, column 4"},
        {"anchor on a sequence in a list", "- &s [1, 2]\n- *s\n", SNUG_OK, "[[[1,2],[1,2]]]"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        T_CASE("%s", cases[i].name);
        check_stream(cases[i].in, strlen(cases[i].in), cases[i].st, cases[i].want);
    }
}

static void test_billion_laughs(void)
{
    static const char *lol =
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
        "h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
        "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n";
    static const char *few = "a: &a [1, 2, 3]\nb: &b [*a, *a, *a]\nc: [*b, *b]\n";
    cJSON *docs = NULL;
    snug_err err = {0};
    clock_t t0 = clock();

    T_CASE("billion laughs");
    CHECK_INT_EQ(yaml_parse_stream(lol, strlen(lol), MB, &docs, &err), SNUG_ERR_TOO_BIG);
    CHECK(docs == NULL);
    CHECK_STR_CONTAINS(err.msg, "aliases expand to more than 100000 nodes");
    CHECK_STR_CONTAINS(err.msg, "line 6, column");
    CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);

    T_CASE("a few laughs");
    CHECK_INT_EQ(yaml_parse_stream(few, strlen(few), MB, &docs, &err), SNUG_OK);
    CHECK_JSON(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(docs, 0), "c"),
               "[[[1,2,3],[1,2,3],[1,2,3]],[[1,2,3],[1,2,3],[1,2,3]]]");
    cJSON_Delete(docs);
}

/* n opening brackets (or {"a": objects), closed again when `close`. */
static char *nested(size_t n, int json_objects, int close, size_t *len)
{
    const char *open = json_objects ? "{\"a\":" : "[";
    size_t ol = strlen(open), i, k = 0;
    char *s = malloc(n * (ol + 1) + 8);

    for (i = 0; i < n; i++, k += ol)
        memcpy(s + k, open, ol);
    s[k++] = '1';
    for (i = 0; close && i < n; i++)
        s[k++] = json_objects ? '}' : ']';
    s[k] = '\0';
    *len = k;
    return s;
}

/* n levels of block mappings: "a:\n  a:\n    a: 1". */
static char *nested_block(size_t n, size_t *len)
{
    dynbuf b;
    size_t i;

    dynbuf_init(&b, 64 * MB);
    for (i = 0; i < n; i++)
        dynbuf_printf(&b, "%*sa:%s", (int)(2 * i), "", i + 1 == n ? " 1\n" : "\n");
    *len = dynbuf_len(&b);
    return dynbuf_take(&b);
}

static void test_depth(void)
{
    static const struct {
        const char *name;
        size_t n;
        int kind; /* 0 [[[, 1 {"a":, 2 block */
        int close;
        snug_status st;
    } cases[] = {
        {"[ x128", 128, 0, 1, SNUG_OK},
        {"[ x129", 129, 0, 1, SNUG_ERR_TOO_BIG},
        {"[ x100000 unclosed", 100000, 0, 0, SNUG_ERR_TOO_BIG},
        {"[ x100000 closed", 100000, 0, 1, SNUG_ERR_TOO_BIG},
        {"json x128", 128, 1, 1, SNUG_OK},
        {"json x129", 129, 1, 1, SNUG_ERR_TOO_BIG},
        {"json x100000", 100000, 1, 1, SNUG_ERR_TOO_BIG},
        {"block x128", 128, 2, 1, SNUG_OK},
        {"block x129", 129, 2, 1, SNUG_ERR_TOO_BIG},
    };
    size_t i, len;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        char *in = cases[i].kind == 2 ? nested_block(cases[i].n, &len)
                                      : nested(cases[i].n, cases[i].kind, cases[i].close, &len);
        cJSON *docs = NULL;
        snug_err err = {0};

        T_CASE("%s", cases[i].name);
        CHECK_INT_EQ(yaml_parse_stream(in, len, 16 * MB, &docs, &err), cases[i].st);
        if (cases[i].st == SNUG_OK)
            check_roundtrip_all(docs);
        else
            CHECK_STR_CONTAINS(err.msg, "nesting deeper than 128 levels");
        cJSON_Delete(docs);
        free(in);
    }

    /* An alias must not smuggle in more depth than a document may have. */
    {
        dynbuf b;
        cJSON *docs = NULL;
        snug_err err = {0};
        char *deep;

        T_CASE("alias past the depth cap");
        deep = nested(100, 0, 1, &len);
        dynbuf_init(&b, MB);
        dynbuf_printf(&b, "a: &x %s\nb: %s*x%s\n", deep, "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
                      "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
        CHECK_INT_EQ(yaml_parse_stream(dynbuf_str(&b), dynbuf_len(&b), MB, &docs, &err),
                     SNUG_ERR_TOO_BIG);
        CHECK_STR_CONTAINS(err.msg, "alias \"x\" makes the nesting deeper than 128 levels");
        dynbuf_free(&b);
        free(deep);
    }
}

static void test_size(void)
{
    dynbuf b;
    cJSON *docs = NULL;
    snug_err err = {0};
    size_t i;

    /* A 10 MB YAML list of objects. */
    dynbuf_init(&b, 32 * MB);
    for (i = 0; dynbuf_len(&b) < 10 * MB; i++)
        dynbuf_printf(&b, "- name: item-%zu\n  value: %zu\n  tags: [a, \"on\", 0x1F]\n", i, i);
    T_CASE("10 MB yaml under 16 MB");
    CHECK_INT_EQ(yaml_parse_stream(dynbuf_str(&b), dynbuf_len(&b), 16 * MB, &docs, &err), SNUG_OK);
    CHECK_INT_EQ(cJSON_GetArraySize(cJSON_GetArrayItem(docs, 0)), (long long)i);
    CHECK_JSON(cJSON_GetArrayItem(cJSON_GetArrayItem(docs, 0), 7),
               "{\"name\":\"item-7\",\"value\":7,\"tags\":[\"a\",\"on\",31]}");
    T_CASE("10 MB yaml round trip");
    check_roundtrip_all(docs);
    cJSON_Delete(docs);
    docs = NULL;
    T_CASE("10 MB yaml over 1 MB");
    CHECK_INT_EQ(yaml_parse_stream(dynbuf_str(&b), dynbuf_len(&b), MB, &docs, &err),
                 SNUG_ERR_TOO_BIG);
    CHECK(docs == NULL);
    CHECK_STR_CONTAINS(err.msg, "more than the 1048576 allowed");
    dynbuf_free(&b);

    /* A 10 MB JSON object with many keys (duplicate check through the hash). */
    dynbuf_init(&b, 32 * MB);
    dynbuf_addstr(&b, "{");
    for (i = 0; dynbuf_len(&b) < 10 * MB; i++)
        dynbuf_printf(&b, "%s\"key-%zu\": {\"v\": [%zu, \"\\u00e9\"]}", i ? "," : "", i, i);
    dynbuf_addstr(&b, "}");
    T_CASE("10 MB json under 16 MB");
    CHECK_INT_EQ(yaml_parse_stream(dynbuf_str(&b), dynbuf_len(&b), 16 * MB, &docs, &err), SNUG_OK);
    CHECK_INT_EQ(cJSON_GetArraySize(cJSON_GetArrayItem(docs, 0)), (long long)i);
    CHECK_JSON(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(docs, 0), "key-12"),
               "{\"v\":[12,\"\xc3\xa9\"]}");
    cJSON_Delete(docs);
    docs = NULL;
    T_CASE("10 MB json over 1 MB");
    CHECK_INT_EQ(yaml_parse_stream(dynbuf_str(&b), dynbuf_len(&b), MB, &docs, &err),
                 SNUG_ERR_TOO_BIG);
    dynbuf_free(&b);

    /* A big YAML mapping: many keys in one mapping, one duplicate at the end. */
    dynbuf_init(&b, 32 * MB);
    for (i = 0; i < 200000; i++)
        dynbuf_printf(&b, "k%zu: %zu\n", i, i);
    dynbuf_addstr(&b, "k123456: dup\n");
    T_CASE("200000 keys, one duplicate");
    CHECK_INT_EQ(yaml_parse_stream(dynbuf_str(&b), dynbuf_len(&b), 16 * MB, &docs, &err),
                 SNUG_ERR_PARSE);
    CHECK_STR_CONTAINS(err.msg, "line 200001, column 1: duplicate key \"k123456\" (first defined "
                                "at line 123457)");
    dynbuf_free(&b);
}

/* Emitting: exact text for tricky strings, and the round trip. */
static void test_emit_strings(void)
{
    static const struct {
        const char *s, *want; /* want: how the value is written after "k: " */
    } cases[] = {
        {"plain", "plain"},
        {"with space", "with space"},
        {"a:b", "a:b"},
        {"x#y", "x#y"},
        {"http://x:80/y?q=1", "http://x:80/y?q=1"},
        {"2001-12-14", "2001-12-14"},
        {"h\xc3\xa9llo \xf0\x9f\x98\x80", "h\xc3\xa9llo \xf0\x9f\x98\x80"},
        {"a\"b", "a\"b"},
        {"it's", "it's"},
        {"back\\slash", "back\\slash"},
        {"500m", "500m"},
        {"yEs", "yEs"},
        {"true", "\"true\""},
        {"True", "\"True\""},
        {"false", "\"false\""},
        {"no", "\"no\""},
        {"No", "\"No\""},
        {"on", "\"on\""},
        {"OFF", "\"OFF\""},
        {"y", "\"y\""},
        {"n", "\"n\""},
        {"yes", "\"yes\""},
        {"1", "\"1\""},
        {"-1", "\"-1\""},
        {"1.5", "\"1.5\""},
        {".5", "\".5\""},
        {"1e3", "\"1e3\""},
        {"0x1F", "\"0x1F\""},
        {"0644", "\"0644\""},
        {"1_000", "\"1_000\""},
        {"null", "\"null\""},
        {"Null", "\"Null\""},
        {"~", "\"~\""},
        {"", "\"\""},
        {".inf", "\".inf\""},
        {"<<", "\"<<\""},
        {" lead", "\" lead\""},
        {"trail ", "\"trail \""},
        {"a: b", "\"a: b\""},
        {"a #b", "\"a #b\""},
        {"end:", "\"end:\""},
        {"-x", "\"-x\""},
        {"- x", "\"- x\""},
        {"-", "\"-\""},
        {"---", "\"---\""},
        {"...", "\"...\""},
        {"... x", "\"... x\""},
        {"?x", "\"?x\""},
        {":x", "\":x\""},
        {",x", "\",x\""},
        {"[x", "\"[x\""},
        {"]x", "\"]x\""},
        {"{x", "\"{x\""},
        {"}x", "\"}x\""},
        {"#x", "\"#x\""},
        {"&x", "\"&x\""},
        {"*x", "\"*x\""},
        {"!x", "\"!x\""},
        {"|x", "\"|x\""},
        {">x", "\">x\""},
        {"'x", "\"'x\""},
        {"\"x", "\"\\\"x\""},
        {"%x", "\"%x\""},
        {"@x", "\"@x\""},
        {"`x", "\"`x\""},
        {"line\nbreak", "\"line\\nbreak\""},
        {"crlf\r\n", "\"crlf\\r\\n\""},
        {"tab\there", "\"tab\\there\""},
        {"\x01\x1f\x7f", "\"\\x01\\x1F\\x7F\""},
        {"q\"\\\n", "\"q\\\"\\\\\\n\""},
        {"ls\xe2\x80\xa8ps\xe2\x80\xa9", "\"ls\\u2028ps\\u2029\""},
        {"nel\xc2\x85", "\"nel\\u0085\""},
        {"bom\xef\xbb\xbf", "\"bom\\uFEFF\""},
        {"bad\xff", "\"bad\\xFF\""},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *doc = cJSON_CreateObject();
        dynbuf b;
        char want[256];

        T_CASE("%s", cases[i].s);
        cJSON_AddStringToObject(doc, "k", cases[i].s);
        dynbuf_init(&b, MB);
        CHECK_INT_EQ(yaml_emit(doc, &b), SNUG_OK);
        snprintf(want, sizeof(want), "k: %s\n", cases[i].want);
        CHECK_STR_EQ(dynbuf_str(&b), want);
        if (strcmp(cases[i].s, "bad\xff") != 0)
            check_roundtrip(doc); /* invalid UTF-8 cannot come back the same */
        dynbuf_free(&b);
        cJSON_Delete(doc);
    }
}

static void test_emit_layout(void)
{
    static const struct {
        const char *json, *want;
    } cases[] = {
        {"{\"a\":1,\"b\":\"x\"}", "a: 1\nb: x\n"},
        {"{}", "{}\n"},
        {"[]", "[]\n"},
        {"\"hello\"", "hello\n"},
        {"\"true\"", "\"true\"\n"},
        {"null", "null\n"},
        {"true", "true\n"},
        {"[1,2]", "- 1\n- 2\n"},
        {"{\"e\":{},\"l\":[],\"n\":null,\"t\":true,\"f\":false}",
         "e: {}\nl: []\n\"n\": null\nt: true\nf: false\n"},
        {"{\"n\":[1000000, 1.5, 0.1, -3, 1e20, 1e-7, 123456789012, -0.25]}",
         "\"n\":\n- 1000000\n- 1.5\n- 0.1\n- -3\n- 1e+20\n- 1e-07\n- 123456789012\n- -0.25\n"},
        {"{\"m\":{\"a\":{\"b\":1}}}", "m:\n  a:\n    b: 1\n"},
        {"{\"spec\":{\"containers\":[{\"name\":\"app\",\"image\":\"nginx\",\"args\":[\"-v\",\"x\"],"
         "\"resources\":{\"limits\":{\"cpu\":\"1\"}}},{\"name\":\"side\"}]}}",
         "spec:\n  containers:\n  - name: app\n    image: nginx\n    args:\n    - \"-v\"\n    - x\n"
         "    resources:\n      limits:\n        cpu: \"1\"\n  - name: side\n"},
        {"[[1,2],[3],[],{}]", "- - 1\n  - 2\n- - 3\n- []\n- {}\n"},
        {"[[[1]]]", "- - - 1\n"},
        {"[{\"a\":[{\"b\":1,\"c\":2}]}]", "- a:\n  - b: 1\n    c: 2\n"},
        {"{\"a\":[[{\"x\":1,\"y\":2}]]}", "a:\n- - x: 1\n    \"y\": 2\n"},
        {"{\"1\":\"one\",\"on\":true,\"\":0,\"a b\":[]}",
         "\"1\": one\n\"on\": true\n\"\": 0\na b: []\n"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *doc = cJSON_Parse(cases[i].json);
        dynbuf b;

        T_CASE("%s", cases[i].json);
        CHECK(doc != NULL);
        dynbuf_init(&b, MB);
        CHECK_INT_EQ(yaml_emit(doc, &b), SNUG_OK);
        CHECK_STR_EQ(dynbuf_str(&b), cases[i].want);
        check_roundtrip(doc);
        dynbuf_free(&b);
        cJSON_Delete(doc);
    }
}

static void test_emit_limits(void)
{
    cJSON *doc = cJSON_CreateObject(), *deep, *cur;
    dynbuf b;
    char *longkey = malloc(3001);
    int i;

    /* A key too long for an implicit key is written as "? key". */
    memset(longkey, 'k', 3000);
    longkey[3000] = '\0';
    cJSON_AddNumberToObject(doc, longkey, 1);
    cJSON_AddItemToObject(doc, "list", cJSON_Parse("[1,{\"x\":[2]}]"));
    longkey[2000] = '\0';
    cJSON_AddItemToObject(doc, longkey, cJSON_Parse("[\"v\", {\"k\": \"v\"}]"));
    longkey[1500] = '\0';
    cJSON_AddItemToObject(doc, longkey, cJSON_Parse("{\"k\": {\"j\": 1}}"));
    T_CASE("long keys");
    dynbuf_init(&b, MB);
    CHECK_INT_EQ(yaml_emit(doc, &b), SNUG_OK);
    CHECK(strncmp(dynbuf_str(&b), "? kkk", 5) == 0);
    check_roundtrip(doc);
    {
        cJSON *arr = cJSON_CreateArray();
        cJSON_AddItemToArray(arr, cJSON_Duplicate(doc, 1));
        check_roundtrip(arr); /* "- ? kkk..." */
        cJSON_Delete(arr);
    }
    dynbuf_free(&b);
    cJSON_Delete(doc);
    free(longkey);

    /* Too deep to write (and so to read back): TOO_BIG, output untouched. */
    deep = cJSON_CreateArray();
    for (cur = deep, i = 0; i < 200; i++) {
        cJSON *next = cJSON_CreateArray();
        cJSON_AddItemToArray(cur, next);
        cur = next;
    }
    cJSON_AddItemToArray(cur, cJSON_CreateNumber(1));
    T_CASE("deep emit");
    dynbuf_init(&b, MB);
    dynbuf_addstr(&b, "before\n");
    CHECK_INT_EQ(yaml_emit(deep, &b), SNUG_ERR_TOO_BIG);
    CHECK_STR_EQ(dynbuf_str(&b), "before\n");
    dynbuf_free(&b);
    cJSON_Delete(deep);

    /* The output buffer's maximum is respected. */
    T_CASE("small buffer");
    doc = cJSON_Parse("{\"a\":\"0123456789012345678901234567890123456789\"}");
    dynbuf_init(&b, 16);
    CHECK_INT_EQ(yaml_emit(doc, &b), SNUG_ERR_TOO_BIG);
    CHECK_INT_EQ(dynbuf_len(&b), 0);
    dynbuf_free(&b);
    cJSON_Delete(doc);
}

/* Round trip of a table of tricky trees. */
static void test_roundtrip_property(void)
{
    static const char *trees[] = {
        "{\"a\":\"\",\"b\":\" \",\"c\":\"  x  \",\"d\":\"\\n\",\"e\":\"x\\n\",\"f\":\"\\n\\nx\"}",
        "[\"true\",\"false\",\"yes\",\"no\",\"on\",\"off\",\"y\",\"n\",\"Y\",\"N\",\"~\",\"null\"]",
        "[\"1\",\"-1\",\"+1\",\"0x10\",\"0o7\",\"07\",\"0b1\",\"1_0\",\"1e3\"]",
        "[\".5\",\"1.\",\"08\",\"1e400\",\"0x\",\"1:20\",\"2001-12-14\"]",
        "[\".inf\",\"-.inf\",\".nan\",\"<<\",\"=\",\"-\",\"--\",\"---\",\"...\",\"? \",\": \"]",
        "[1e300,-1e-300,5e-324,1.7976931348623157e308,0.30000000000000004,123456789.123,-0.0]",
        "[9007199254740991,-9007199254740991,4294967296,1e16,1e17,99999999999999990]",
        "{\"k: v\":1,\"#k\":2,\"k #\":3,\"- k\":4,\"[k]\":5,\"{k}\":6,\"k:\":7,\"?\":8}",
        "{\"true\":1,\"1\":2,\"null\":3,\"~\":4,\"\":5,\"on\":6,\"0x1\":7,\"1.0\":8}",
        "{\"a\":{\"b\":{\"c\":[[[]],[{}],[{\"d\":[1,[2,[3]]]}]]}}}",
        "[\"\\u0001\\u001f\\u007f\",\"\\t\",\"a\\tb\",\"\\r\",\"\\\\\",\"\\\"\",\"'\",\"''\"]",
        "[\"\\u00e9\",\"\\u2028\",\"\\u0085\",\"\\ufeff\",\"\\ud83d\\ude00\",\"\\u00a0x\\u00a0\"]",
        "{\"multi\":\"line one\\nline two\\n  indented\\n\",\"x\":[\"a\\nb\",{\"c\\nd\":1}]}",
        "[{\"name\":\"x\",\"value\":\"on\"},{\"name\":\"y\",\"value\":\"0644\"},{\"name\":\"z\"}]",
        "[[],{},[[]],[{}],{\"a\":[]},{\"a\":{}}]",
        "\"just a string\"",
        "12.5",
        "false",
        "null",
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(trees); i++) {
        cJSON *doc = cJSON_Parse(trees[i]);

        T_CASE("%s", trees[i]);
        CHECK(doc != NULL);
        if (doc != NULL)
            check_roundtrip(doc);
        cJSON_Delete(doc);
    }

    /* A long string, and one with every byte value that is valid UTF-8. */
    {
        char *s = malloc(200001);
        cJSON *doc;
        int k;

        for (k = 0; k < 200000; k++)
            s[k] = (char)(' ' + k % 95);
        s[200000] = '\0';
        doc = cJSON_CreateString(s);
        T_CASE("long string");
        check_roundtrip(doc);
        cJSON_Delete(doc);
        for (k = 1; k < 128; k++)
            s[k - 1] = (char)k;
        s[127] = '\0';
        doc = cJSON_CreateString(s);
        T_CASE("all ascii");
        check_roundtrip(doc);
        cJSON_Delete(doc);
        free(s);
    }
}

static char tmpdir[] = "/tmp/snug-yamljson-XXXXXX";

static void write_file(const char *path, const char *content, size_t len)
{
    FILE *f = fopen(path, "wb");

    CHECK(f != NULL);
    if (f != NULL) {
        CHECK_INT_EQ(fwrite(content, 1, len, f), len);
        fclose(f);
    }
}

static void test_files(void)
{
    char path[256], dir[256];
    char *buf = NULL;
    size_t len = 0;
    cJSON *docs = NULL;
    snug_err err = {0};

    CHECK(mkdtemp(tmpdir) != NULL);
    snprintf(path, sizeof(path), "%s/deploy.yaml", tmpdir);
    snprintf(dir, sizeof(dir), "%s", tmpdir);
    write_file(path, "a: 1\n---\nb: [x]\n", 16);

    T_CASE("read");
    CHECK_INT_EQ(file_read_all(path, 100, &buf, &len, &err), SNUG_OK);
    CHECK_INT_EQ(len, 16);
    CHECK_STR_EQ(buf, "a: 1\n---\nb: [x]\n");
    free(buf);
    buf = NULL;

    T_CASE("read exactly at the limit");
    CHECK_INT_EQ(file_read_all(path, 16, &buf, &len, &err), SNUG_OK);
    free(buf);
    buf = NULL;

    T_CASE("read over the limit");
    CHECK_INT_EQ(file_read_all(path, 15, &buf, &len, &err), SNUG_ERR_TOO_BIG);
    CHECK(buf == NULL);
    CHECK_STR_CONTAINS(err.msg, "deploy.yaml: larger than 15 bytes");

    T_CASE("missing file");
    CHECK_INT_EQ(file_read_all("/nonexistent/x.yaml", 100, &buf, &len, &err), SNUG_ERR_IO);
    CHECK_STR_CONTAINS(err.msg, "/nonexistent/x.yaml: No such file");

    T_CASE("directory");
    CHECK_INT_EQ(file_read_all(dir, 100, &buf, &len, &err), SNUG_ERR_IO);
    CHECK_STR_CONTAINS(err.msg, dir);

    T_CASE("parse file");
    CHECK_INT_EQ(yaml_parse_file(path, 100, &docs, &err), SNUG_OK);
    CHECK_JSON(docs, "[{\"a\":1},{\"b\":[\"x\"]}]");
    cJSON_Delete(docs);

    T_CASE("parse file error names the path");
    write_file(path, "a: 1\na: 2\n", 10);
    CHECK_INT_EQ(yaml_parse_file(path, 100, &docs, &err), SNUG_ERR_PARSE);
    CHECK(docs == NULL);
    CHECK_STR_CONTAINS(err.msg, "deploy.yaml: line 2, column 1: duplicate key \"a\"");

    T_CASE("empty file");
    write_file(path, "", 0);
    CHECK_INT_EQ(file_read_all(path, 100, &buf, &len, &err), SNUG_OK);
    CHECK_INT_EQ(len, 0);
    CHECK_STR_EQ(buf, "");
    free(buf);
    CHECK_INT_EQ(yaml_parse_file(path, 100, &docs, &err), SNUG_OK);
    CHECK_INT_EQ(cJSON_GetArraySize(docs), 0);
    cJSON_Delete(docs);

    unlink(path);
    rmdir(tmpdir);
}

int main(void)
{
    RUN(test_scalar_typing);
    RUN(test_keys);
    RUN(test_streams);
    RUN(test_parse_one);
    RUN(test_anchors);
    RUN(test_billion_laughs);
    RUN(test_depth);
    RUN(test_size);
    RUN(test_emit_strings);
    RUN(test_emit_layout);
    RUN(test_emit_limits);
    RUN(test_roundtrip_property);
    RUN(test_files);
    return TEST_DONE();
}

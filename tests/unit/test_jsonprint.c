/* Unit tests for jsonprint: every tree is printed by jsonprint and by
 * cJSON_PrintUnformatted and the two texts must be byte-identical (or both
 * refused). */
#include <float.h>
#include <glob.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/dynbuf.h"
#include "json/jsonarena.h"
#include "json/jsonprint.h"
#include "test.h"

#define BENCH_6K SNUG_TEST_DATA "/../../bench/admission-6k.json"

/* cJSON's text of `item` in a plain malloc'd copy, or NULL if cJSON refuses. */
static char *cjson_text(const cJSON *item)
{
    char *printed = cJSON_PrintUnformatted(item);
    char *copy;

    if (printed == NULL)
        return NULL;
    copy = strdup(printed);
    cJSON_free(printed);
    return copy;
}

/* Print `item` every way jsonprint can and compare with cJSON. */
static void check_same(const cJSON *item)
{
    char *want = cjson_text(item);
    char *got = NULL;
    size_t len = 0;
    snug_err err;
    snug_status st;
    dynbuf b;

    snug_err_clear(&err);
    st = jsonprint_string(item, (size_t)1 << 30, &got, &len, &err);
    if (want == NULL) {
        CHECK_INT_EQ(st, SNUG_ERR_INVALID);
        CHECK(got == NULL);
        CHECK(err.msg[0] != '\0');
        free(got);
        return;
    }
    CHECK_INT_EQ(st, SNUG_OK);
    CHECK_STR_EQ(got, want);
    CHECK_INT_EQ(len, strlen(want));
    free(got);

    /* appended after what the buffer holds, which stays */
    dynbuf_init(&b, (size_t)1 << 30);
    CHECK_INT_EQ(dynbuf_addstr(&b, "pre:"), SNUG_OK);
    CHECK_INT_EQ(jsonprint_append(&b, item, NULL), SNUG_OK);
    CHECK(dynbuf_len(&b) == strlen(want) + 4 && strcmp(dynbuf_str(&b) + 4, want) == 0);
    dynbuf_free(&b);

    /* exactly as large as the maximum: fine; one byte more: too big */
    CHECK_INT_EQ(jsonprint_string(item, strlen(want), &got, NULL, NULL), SNUG_OK);
    free(got);
    if (want[0] != '\0') { /* a raw node can print as nothing at all */
        CHECK_INT_EQ(jsonprint_string(item, strlen(want) - 1, &got, &len, NULL), SNUG_ERR_TOO_BIG);
        CHECK(got == NULL);
    }
    free(want);
}

static void check_text(const char *text)
{
    cJSON *j = cJSON_Parse(text);

    T_CASE("%.200s", text);
    CHECK(j != NULL);
    if (j != NULL)
        check_same(j);
    cJSON_Delete(j);
}

static void test_texts(void)
{
    static const char *const texts[] = {
        "null",
        "true",
        "false",
        "0",
        "\"\"",
        "[]",
        "{}",
        "[[]]",
        "{\"a\":{}}",
        "[[],{},[[{}]]]",
        "  [ 1 , 2 ,\n 3 ]  ",
        "{ \"a\" : 1 , \"b\" : [ true , false , null ] }",
        "\"plain ascii\"",
        "\"quote \\\" backslash \\\\ slash \\/ solidus /\"",
        "\"\\b\\f\\n\\r\\t\"",
        "\"\\u0001\\u0002\\u001f\\u007f\\u0080\"",
        "\"caf\\u00e9 \xe2\x82\xac \xf0\x9f\x98\x80 \\ud83d\\ude00\"",
        "\"\xff\xfe invalid utf-8 \xc3\"",
        "{\"k\\n\\\"ey\":\"v\\u0000cut\"}",
        "{\"\":\"\",\"\\t\":[\"\\u001b[0m\"]}",
        "{\"a\":1,\"a\":2}",
        "[0,-0,1,-1,0.1,-0.1,1e15,1e16,123456789012345678,1e-7,5e-324]",
        "[1.7976931348623157e308,9007199254740993,3.141592653589793,100.5]",
        "[-2147483648,2147483647,2147483648,4294967296,-9007199254740992]",
        "[1e300,1e-300,2.5e-308,1e400,-1e400,0.30000000000000004,1e21,1e22]",
        "[123.456,0.000001,0.0000001,999999999999999,1000000000000001,12345678.9]",
        "[1E2,1e+2,-0.0,0e10,1.5,2.25,1.0000000000000002,0.1e1]",
        ("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"x\","
         "\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"c\","
         "\"resources\":{\"limits\":{\"cpu\":\"500m\",\"memory\":\"1Gi\"}}}]}}"),
        ("[{\"op\":\"add\",\"path\":\"/spec/containers/0/resources\",\"value\":{}},"
         "{\"op\":\"replace\",\"path\":\"/metadata/annotations/a~1b\",\"value\":\"1\"}]"),
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(texts); i++)
        check_text(texts[i]);
}

/* Every byte 1..255 alone, between others, and as a member name. */
static void test_every_byte(void)
{
    char all[256];
    int c;

    for (c = 1; c < 256; c++) {
        char s[4] = {'a', (char)c, 'b', '\0'};
        cJSON *obj = cJSON_CreateObject();

        T_CASE("byte 0x%02x", c);
        CHECK(obj != NULL && cJSON_AddStringToObject(obj, s, s + 1) != NULL);
        check_same(obj);
        check_same(obj->child);
        cJSON_Delete(obj);
        all[c - 1] = (char)c;
    }
    all[255] = '\0';
    {
        cJSON *s = cJSON_CreateString(all);

        T_CASE("bytes 1..255");
        check_same(s);
        cJSON_Delete(s);
    }
}

static void check_number(double d)
{
    cJSON *n = cJSON_CreateNumber(d);
    cJSON *m = cJSON_CreateNumber(0);

    CHECK(n != NULL && m != NULL);
    check_same(n);
    cJSON_SetNumberValue(m, d);
    check_same(m);
    cJSON_Delete(n);
    cJSON_Delete(m);
}

static void test_numbers(void)
{
    static const double numbers[] = {
        0.0,
        -0.0,
        1,
        -1,
        0.1,
        -0.1,
        0.5,
        1e15,
        -1e15,
        1e15 - 1,
        -(1e15 - 1),
        1e15 + 1,
        1e16,
        123456789012345678.0,
        1e-7,
        1e-6,
        5e-324,
        -5e-324,
        2.2250738585072014e-308,
        2.225073858507201e-308,
        DBL_MAX,
        -DBL_MAX,
        9007199254740993.0,
        9007199254740992.0,
        3.141592653589793,
        100.5,
        -2147483648.0,
        2147483647.0,
        2147483648.0,
        -2147483649.0,
        4294967296.0,
        0.1 + 0.2,
        1.0 / 3.0,
        2.0 / 3.0,
        1e21,
        1e22,
        1e23,
        123456.789,
        99999999999999.9,
        999999999999999.9,
        1.0000000000000002,
        0.9999999999999999,
        4.35,
        0.07,
        1e100,
        1.7976931348623157e308,
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(numbers); i++) {
        T_CASE("number %.17g", numbers[i]);
        check_number(numbers[i]);
    }
    T_CASE("NaN, infinities");
    check_number(NAN);
    check_number(-NAN);
    check_number(INFINITY);
    check_number(-INFINITY);
}

/* A deterministic generator (64-bit LCG, high bits). */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
    return rng_state ^ (rng_state >> 29);
}

/* Random bit patterns, integers around the fast path's edge, decimals. */
static void test_numbers_random(void)
{
    int i;

    for (i = 0; i < 20000; i++) {
        uint64_t bits = rng();
        double d;

        memcpy(&d, &bits, sizeof(d));
        T_CASE("bits 0x%016llx", (unsigned long long)bits);
        check_number(d);
        d = (double)(int64_t)(rng() % 4000000000000000ull) - 2e15;
        T_CASE("integer %.17g", d);
        check_number(d);
        d = (double)(int64_t)(rng() % 2000000) / pow(10, (double)(rng() % 12));
        T_CASE("decimal %.17g", d);
        check_number(d);
    }
}

/* A node on the stack with the given type and fields (no allocation). */
static cJSON leaf(int type, const char *name, char *valuestring, double d)
{
    cJSON n;

    memset(&n, 0, sizeof(n));
    n.type = type;
    n.string = (char *)name;
    n.valuestring = valuestring;
    n.valuedouble = d;
    n.valueint = (int)d;
    return n;
}

/* Odd nodes built by hand: each alone, as an array element and as an
 * object member, compared with cJSON (which refuses some of them). */
static void test_odd_nodes(void)
{
    static char raw_text[] = "{\"raw\": [1, 2]}";
    static char text[] = "text";
    static const struct {
        const char *label;
        int type;
        const char *name;
        char *valuestring;
        double d;
    } cases[] = {
        {"invalid", cJSON_Invalid, NULL, NULL, 0},
        {"true|false", cJSON_True | cJSON_False, NULL, NULL, 0},
        {"string|number", cJSON_String | cJSON_Number, NULL, text, 0},
        {"0x100", 0x100, NULL, NULL, 0},
        {"true|reference", cJSON_True | cJSON_IsReference, NULL, NULL, 0},
        {"null|const", cJSON_NULL | cJSON_StringIsConst, "k", NULL, 0},
        {"number|0x1000", cJSON_Number | 0x1000, NULL, NULL, 42},
        {"number valueint stale", cJSON_Number, NULL, NULL, 2.5},
        {"string NULL", cJSON_String, NULL, NULL, 0},
        {"string", cJSON_String, "name\x01", text, 0},
        {"raw", cJSON_Raw, NULL, raw_text, 0},
        {"raw NULL", cJSON_Raw, NULL, NULL, 0},
        {"raw empty", cJSON_Raw, NULL, (char *)"", 0},
        {"member NULL name", cJSON_False, NULL, NULL, 0},
        {"array element with a name", cJSON_Number, "ignored", NULL, 7},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON n = leaf(cases[i].type, cases[i].name, cases[i].valuestring, cases[i].d);
        cJSON arr = leaf(cJSON_Array, NULL, NULL, 0);
        cJSON obj = leaf(cJSON_Object, NULL, NULL, 0);
        cJSON first = leaf(cJSON_True, "first", NULL, 0);

        if (strcmp(cases[i].label, "number valueint stale") == 0)
            n.valueint = 99; /* cJSON 1.7.15 prints valuedouble only */
        T_CASE("%s", cases[i].label);
        check_same(&n);
        arr.child = &n;
        check_same(&arr);
        obj.child = &n;
        check_same(&obj);
        /* after a sibling, so the failure is in the middle of the output */
        first.next = &n;
        n.prev = &first;
        arr.child = &first;
        check_same(&arr);
        obj.child = &first;
        check_same(&obj);
    }
}

/* Links that cJSON does not follow: children of non-containers, siblings of
 * the root, the reference flag on containers. */
static void test_ignored_links(void)
{
    cJSON child = leaf(cJSON_Number, "c", NULL, 1);
    cJSON str = leaf(cJSON_String, NULL, (char *)"s", 0);
    cJSON sib = leaf(cJSON_True, NULL, NULL, 0);
    cJSON arr = leaf(cJSON_Array | cJSON_IsReference, NULL, (char *)"ignored", 0);
    cJSON obj = leaf(cJSON_Object | cJSON_StringIsConst, "name", NULL, 0);

    T_CASE("string with a child");
    str.child = &child;
    check_same(&str);
    T_CASE("root with a sibling");
    str.next = &sib;
    check_same(&str);
    T_CASE("array reference");
    arr.child = &child;
    arr.next = &sib;
    check_same(&arr);
    T_CASE("object const name");
    obj.child = &child;
    check_same(&obj);
    T_CASE("NULL item");
    check_same(NULL);
}

/* Free a chain of single-child containers without recursion (cJSON_Delete
 * recurses and would overflow the stack on the deep ones). */
static void delete_chain(cJSON *root)
{
    while (root != NULL) {
        cJSON *child = root->child;

        root->child = NULL;
        cJSON_Delete(root);
        root = child;
    }
}

/* Arrays and objects alternating, `depth` levels, innermost holding 1. */
static cJSON *make_chain(size_t depth)
{
    cJSON *root = NULL;
    cJSON *cur = NULL;
    size_t i;

    for (i = 0; i < depth; i++) {
        cJSON *c = i % 2 ? cJSON_CreateObject() : cJSON_CreateArray();

        if (c == NULL)
            break;
        if (cur == NULL)
            root = c;
        else if (i % 2)
            cJSON_AddItemToArray(cur, c);
        else
            cJSON_AddItemToObject(cur, "k", c);
        cur = c;
    }
    if (cur != NULL && (depth - 1) % 2)
        cJSON_AddItemToObject(cur, "k", cJSON_CreateNumber(1));
    else if (cur != NULL)
        cJSON_AddItemToArray(cur, cJSON_CreateNumber(1));
    return root;
}

/* The text of make_chain(depth), built independently of any printer. */
static char *chain_text(size_t depth)
{
    dynbuf b;
    size_t i;

    dynbuf_init(&b, (size_t)1 << 26);
    for (i = 0; i < depth; i++) {
        if (i > 0 && (i - 1) % 2)
            dynbuf_addstr(&b, "\"k\":");
        dynbuf_addc(&b, i % 2 ? '{' : '[');
    }
    dynbuf_addstr(&b, (depth - 1) % 2 ? "\"k\":1" : "1");
    for (i = depth; i > 0; i--)
        dynbuf_addc(&b, (i - 1) % 2 ? '}' : ']');
    return dynbuf_take(&b);
}

static void test_depth(void)
{
    static const size_t depths[] = {1, 2, 63, 64, 65, 66, 129, 2000};
    cJSON *deep;
    cJSON cycle = leaf(cJSON_Array, NULL, NULL, 0);
    char *got = NULL;
    char *want;
    size_t len = 0, i;
    snug_err err;
    dynbuf b;

    for (i = 0; i < ARRAY_LEN(depths); i++) {
        T_CASE("depth %zu", depths[i]);
        deep = make_chain(depths[i]);
        CHECK(deep != NULL);
        check_same(deep);
        want = chain_text(depths[i]);
        CHECK_INT_EQ(jsonprint_string(deep, (size_t)1 << 24, &got, NULL, NULL), SNUG_OK);
        CHECK_STR_EQ(got, want);
        free(got);
        free(want);
        delete_chain(deep);
    }

    /* deeper than cJSON's recursion survives (it crashes at about 80000) */
    T_CASE("depth 200000");
    deep = make_chain(200000);
    want = chain_text(200000);
    CHECK(deep != NULL && want != NULL);
    CHECK_INT_EQ(jsonprint_string(deep, (size_t)1 << 24, &got, &len, NULL), SNUG_OK);
    CHECK_INT_EQ(len, 200000 * 2 + 100000 * 4 + 1);
    CHECK(got != NULL && want != NULL && strcmp(got, want) == 0);
    free(got);
    free(want);
    delete_chain(deep);

    /* a container that is its own child never ends: refused at the limit */
    T_CASE("cycle");
    cycle.child = &cycle;
    dynbuf_init(&b, (size_t)1 << 24);
    CHECK_INT_EQ(dynbuf_addstr(&b, "kept"), SNUG_OK);
    snug_err_clear(&err);
    CHECK_INT_EQ(jsonprint_append(&b, &cycle, &err), SNUG_ERR_TOO_BIG);
    CHECK_STR_CONTAINS(err.msg, "nesting deeper than");
    CHECK_STR_EQ(dynbuf_str(&b), "kept");
    /* with a smaller output maximum, that is reached first */
    b.max = 1000;
    CHECK_INT_EQ(jsonprint_append(&b, &cycle, &err), SNUG_ERR_TOO_BIG);
    CHECK_STR_CONTAINS(err.msg, "exceeds the maximum of 1000 bytes");
    CHECK_STR_EQ(dynbuf_str(&b), "kept");
    dynbuf_free(&b);
}

/* The output maximum, for jsonprint_append into a used buffer. */
static void test_limits(void)
{
    static const char text[] = "{\"a\":[1,2,\"three\"],\"b\":\"\\n\"}";
    cJSON *j = cJSON_Parse(text);
    size_t n = strlen(text);
    size_t max;
    snug_err err;
    char *got;

    CHECK(j != NULL);
    for (max = 0; max <= n + 3 + 1; max++) {
        dynbuf b;
        snug_status want = max >= n + 3 ? SNUG_OK : SNUG_ERR_TOO_BIG;

        T_CASE("max %zu", max);
        dynbuf_init(&b, max);
        if (max >= 3)
            CHECK_INT_EQ(dynbuf_addstr(&b, "abc"), SNUG_OK);
        snug_err_clear(&err);
        CHECK_INT_EQ(jsonprint_append(&b, j, &err), want);
        if (max >= n + 3)
            CHECK_INT_EQ(dynbuf_len(&b), n + 3);
        else
            CHECK_STR_CONTAINS(err.msg, "exceeds the maximum");
        if (max >= 3 && max < n + 3)
            CHECK_STR_EQ(dynbuf_str(&b), "abc");
        dynbuf_free(&b);
    }
    T_CASE("string max 0");
    got = (char *)"untouched";
    CHECK_INT_EQ(jsonprint_string(j, 0, &got, NULL, &err), SNUG_ERR_TOO_BIG);
    CHECK(got == NULL);
    T_CASE("string NULL item");
    CHECK_INT_EQ(jsonprint_string(NULL, 100, &got, NULL, &err), SNUG_ERR_INVALID);
    CHECK_STR_CONTAINS(err.msg, "no JSON value");
    CHECK(got == NULL);
    cJSON_Delete(j);
}

/* Long strings, past the stage buffer, with escapes at every distance. */
static void test_long_strings(void)
{
    static const size_t lengths[] = {7, 8, 9, 15, 16, 17, 1300, 2047, 2048, 2049, 5000, 70000};
    size_t i, k;

    for (i = 0; i < ARRAY_LEN(lengths); i++) {
        char *s = malloc(lengths[i] + 1);
        cJSON *arr = cJSON_CreateArray();

        CHECK(s != NULL && arr != NULL);
        if (s == NULL || arr == NULL) {
            free(s);
            cJSON_Delete(arr);
            continue;
        }
        for (k = 0; k < lengths[i]; k++)
            s[k] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[k % 64];
        s[lengths[i]] = '\0';
        T_CASE("base64-like %zu", lengths[i]);
        cJSON_AddItemToArray(arr, cJSON_CreateString(s));
        for (k = 0; k < lengths[i]; k += 1 + k % 13)
            s[k] = "\"\\\n\x01\x1f/\x7f\xc3"[k % 8];
        T_CASE("escapes %zu", lengths[i]);
        cJSON_AddItemToArray(arr, cJSON_CreateString(s));
        cJSON_AddItemToArray(arr, cJSON_CreateRaw(s + lengths[i] / 2));
        check_same(arr);
        check_same(arr->child->next);
        cJSON_Delete(arr);
        free(s);
    }
}

/* jsonprint_string_literal against cJSON's string printing. */
static void test_string_literal(void)
{
    static const struct {
        const char *s;
        size_t len;
        const char *want; /* NULL: what cJSON prints for s */
    } cases[] = {
        {"", 0, NULL},
        {"plain", 5, NULL},
        {"tab\there \"q\" \\ /", 16, NULL},
        {"\x01\x1f\x7f\xe2\x82\xac", 6, NULL},
        {"only part", 4, "\"only\""},
        {"a\0b", 3, "\"a\\u0000b\""},
        {"\0", 1, "\"\\u0000\""},
        {NULL, 0, "\"\""},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        char *want = NULL;
        dynbuf b;

        T_CASE("literal %zu", i);
        if (cases[i].want == NULL) {
            cJSON *s = cJSON_CreateString(cases[i].s);

            want = cjson_text(s);
            cJSON_Delete(s);
        }
        dynbuf_init(&b, 1000);
        CHECK_INT_EQ(dynbuf_addc(&b, '['), SNUG_OK);
        CHECK_INT_EQ(jsonprint_string_literal(&b, cases[i].s, cases[i].len, NULL), SNUG_OK);
        CHECK_STR_EQ(dynbuf_str(&b) + 1, want ? want : cases[i].want);
        /* too big: the buffer is left as it was */
        b.max = dynbuf_len(&b) + 1;
        CHECK_INT_EQ(jsonprint_string_literal(&b, cases[i].s, cases[i].len, NULL),
                     SNUG_ERR_TOO_BIG);
        CHECK_STR_EQ(dynbuf_str(&b) + 1, want ? want : cases[i].want);
        dynbuf_free(&b);
        free(want);
    }
    {
        dynbuf b;
        snug_err err;

        T_CASE("NULL with a length");
        dynbuf_init(&b, 100);
        CHECK_INT_EQ(jsonprint_string_literal(&b, NULL, 3, &err), SNUG_ERR_INVALID);
        CHECK_INT_EQ(dynbuf_len(&b), 0);
        dynbuf_free(&b);
    }
}

/* Random trees: every kind of node, random bytes in strings and names. */
static cJSON *random_tree(int depth)
{
    char s[40];
    size_t i, n = rng() % sizeof(s);
    cJSON *node = NULL;
    double d;
    uint64_t bits;

    for (i = 0; i < n; i++)
        s[i] = (char)(rng() % 6 == 0 ? rng() % 32 + 1 : rng() % 255 + 1);
    s[n] = '\0';
    switch (depth > 4 ? rng() % 5 : rng() % 7) {
    case 0:
        return cJSON_CreateBool(rng() % 2);
    case 1:
        return cJSON_CreateNull();
    case 2:
        bits = rng();
        memcpy(&d, &bits, sizeof(d));
        return cJSON_CreateNumber(rng() % 2 ? d : (double)(int64_t)(rng() % 100000) / 8);
    case 3:
        return cJSON_CreateString(s);
    case 4:
        return cJSON_CreateRaw(s);
    case 5:
        node = cJSON_CreateArray();
        break;
    default:
        node = cJSON_CreateObject();
        break;
    }
    n = rng() % 6;
    for (i = 0; node != NULL && i < n; i++) {
        cJSON *child = random_tree(depth + 1);

        if (cJSON_IsArray(node))
            cJSON_AddItemToArray(node, child);
        else
            cJSON_AddItemToObject(node, s, child);
    }
    return node;
}

static void test_random_trees(void)
{
    int i;

    for (i = 0; i < 3000; i++) {
        cJSON *t = random_tree(0);

        T_CASE("random tree %d", i);
        CHECK(t != NULL);
        check_same(t);
        cJSON_Delete(t);
    }
}

static void check_file(const char *path)
{
    size_t len = 0;
    char *text = t_read_file(path, &len);
    cJSON *j;

    T_CASE("%s", path);
    CHECK(text != NULL);
    if (text == NULL)
        return;
    j = cJSON_Parse(text);
    if (j != NULL)
        check_same(j);
    cJSON_Delete(j);
    free(text);
}

static void test_files(void)
{
    static const char *const patterns[] = {
        SNUG_TEST_DATA "/admission/*/*.json",
        SNUG_TEST_DATA "/*/*.json",
        SNUG_TEST_DATA "/*.json",
    };
    size_t i, k, files = 0;

    check_file(BENCH_6K);
    for (i = 0; i < ARRAY_LEN(patterns); i++) {
        glob_t g;

        if (glob(patterns[i], 0, NULL, &g) != 0)
            continue;
        for (k = 0; k < g.gl_pathc; k++)
            check_file(g.gl_pathv[k]);
        files += g.gl_pathc;
        globfree(&g);
    }
    T_CASE("file count");
    CHECK(files >= 20);
}

/* The text from jsonprint_string is plain malloc memory, so it outlives a
 * jsonarena window and is released with free(). */
static void test_arena(void)
{
    cJSON *j;
    char *got = NULL;
    size_t len = 0;

    jsonarena_install();
    CHECK_INT_EQ(jsonarena_begin(), 1);
    j = cJSON_Parse("{\"patch\":\"W3sib3AiOiJhZGQifV0=\",\"allowed\":true}");
    CHECK(j != NULL);
    CHECK_INT_EQ(jsonprint_string(j, 1000, &got, &len, NULL), SNUG_OK);
    CHECK(got != NULL && !jsonarena_owns(got));
    jsonarena_end();
    CHECK_STR_EQ(got, "{\"patch\":\"W3sib3AiOiJhZGQifV0=\",\"allowed\":true}");
    free(got);
}

int main(void)
{
    RUN(test_texts);
    RUN(test_every_byte);
    RUN(test_numbers);
    RUN(test_numbers_random);
    RUN(test_odd_nodes);
    RUN(test_ignored_links);
    RUN(test_depth);
    RUN(test_limits);
    RUN(test_long_strings);
    RUN(test_string_literal);
    RUN(test_random_trees);
    RUN(test_files);
    RUN(test_arena);
    return TEST_DONE();
}

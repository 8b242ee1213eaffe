/* Unit tests for jsonparse: the tree equals cJSON's for valid text (printed
 * and field by field, links included), every kind of bad input is refused
 * with a located message, depth and number limits, real admission reviews,
 * a 1 MB document, allocation failures at every point, and jsonarena. */
#include <glob.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "json_tree_check.h"
#include "json/jsonarena.h"
#include "json/jsonparse.h"
#include "test.h"

#include <cjson/cJSON.h>

/* A string literal and its length, NULs included. */
#define S(lit) lit, sizeof(lit) - 1

/* ---- helpers ---------------------------------------------------------- */

/* cJSON's parse of text[0..len), the way the fuzz target asks for it: on a
 * NUL-terminated copy, with nothing but whitespace allowed after the value. */
static cJSON *cjson_strict(const char *text, size_t len)
{
    char *copy = malloc(len + 1);
    cJSON *j;

    if (copy == NULL)
        return NULL;
    memcpy(copy, text, len);
    copy[len] = '\0';
    j = cJSON_ParseWithOpts(copy, NULL, 1);
    free(copy);
    return j;
}

/* Parse with both and compare printed and field by field. */
static void check_same_as_cjson(const char *text, size_t len)
{
    cJSON *mine = NULL, *theirs = cjson_strict(text, len);
    char *pm = NULL, *pt = NULL;
    snug_err err;

    snug_err_clear(&err);
    CHECK_INT_EQ(jsonparse(text, len, &mine, &err), SNUG_OK);
    CHECK_STR_EQ(err.msg, "");
    CHECK(theirs != NULL);
    if (mine == NULL || theirs == NULL)
        goto out;
    pm = cJSON_PrintUnformatted(mine);
    pt = cJSON_PrintUnformatted(theirs);
    CHECK_STR_EQ(pm, pt);
    CHECK(tree_same(mine, theirs));
    CHECK(links_ok(mine));
    CHECK(links_ok(theirs));
out:
    cJSON_free(pm);
    cJSON_free(pt);
    cJSON_Delete(mine);
    cJSON_Delete(theirs);
}

/* ---- valid documents -------------------------------------------------- */

static void test_valid_same_as_cjson(void)
{
    static const struct {
        const char *in;
        size_t len;
    } cases[] = {
        {S("null")},
        {S("true")},
        {S("false")},
        {S("0")},
        {S("-0")},
        {S("1")},
        {S("-1")},
        {S("123456789012345")},
        {S("1234567890123456")},
        {S("9007199254740993")},
        {S("18446744073709551615")},
        {S("18446744073709551616")},
        {S("9999999999999999999")},
        {S("-9999999999999999999")},
        {S("99999999999999999999")},
        {S("12345678901234567891")},
        {S("9223372036854775807")},
        {S("-9223372036854775808")},
        {S("-9223372036854775809")},
        {S("2147483647")},
        {S("2147483648")},
        {S("-2147483648")},
        {S("-2147483649")},
        {S("0.1")},
        {S("-1.5e-3")},
        {S("1e308")},
        {S("1.7976931348623157e308")},
        {S("1e400")},
        {S("-1e400")},
        {S("1e-320")},
        {S("4.9e-324")},
        {S("1e-400")},
        {S("1E+2")},
        {S("0e0")},
        {S("123.456e-78")},
        {S("[0.30000000000000004,100,1e2,12.0]")},
        {S("\"\"")},
        {S("\"hello, world\"")},
        {S("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"")},
        {S("\"\\u0041\\u00e9\\u20AC\\uFFFF\"")},
        {S("\"\\uD83D\\uDE00 \\udbff\\udfff\"")},
        {S("\"a\\u0000b\"")},
        {S("\"raw \xc3\xa9 \xe2\x82\xac \xff\xfe bytes\"")},
        {S("\"\x7f\"")},
        {S("[]")},
        {S("{}")},
        {S("[[]]")},
        {S("[{}]")},
        {S("[1,[2,[3,{\"a\":[]}]]]")},
        {S("{\"a\":{\"b\":{\"c\":[true,false,null]}}}")},
        {S("{\"a\":1,\"a\":2,\"a\":[3]}")},
        {S("{\"\":\"\"}")},
        {S("{\"k\\ney\\u00e9\":\"v\\tal\"}")},
        {S(" \t\r\n[ 1 , 2 ]\n ")},
        {S("{ \"a\" : 1 ,\n \"b\" : [ ] , \"c\" : { } }\r\n")},
        {S("[\"a string that is a good deal longer than sixteen bytes\",\"x\"]")},
        {S("[\"12345678\",\"1234567\",\"123\",\"1234567890123456\",\"12345678901234567\"]")},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        T_CASE("%s", cases[i].in);
        check_same_as_cjson(cases[i].in, cases[i].len);
    }
}

/* The values themselves, as cJSON stores them. */
static void test_values(void)
{
    static const struct {
        const char *in;
        double want;
        int valueint;
    } cases[] = {
        {"0", 0.0, 0},
        {"-0", -0.0, 0},
        {"42", 42.0, 42},
        {"-17", -17.0, -17},
        {"0.1", 0.1, 0},
        {"-2.75", -2.75, -2},
        {"999999999999999", 999999999999999.0, INT_MAX},
        {"9007199254740993", 9007199254740992.0, INT_MAX},
        {"9007199254740995", 9007199254740996.0, INT_MAX},
        {"9999999999999999999", 1e19, INT_MAX},
        {"-18446744073709551615", -18446744073709551616.0, INT_MIN},
        {"2147483647", 2147483647.0, INT_MAX},
        {"2147483646.5", 2147483646.5, 2147483646},
        {"-2147483648", -2147483648.0, INT_MIN},
        {"-2147483649", -2147483649.0, INT_MIN},
        {"1e308", 1e308, INT_MAX},
        {"1e-320", 1e-320, 0},
        {"1e400", HUGE_VAL, INT_MAX},
        {"-1e400", -HUGE_VAL, INT_MIN},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *j = NULL;

        T_CASE("%s", cases[i].in);
        CHECK_INT_EQ(jsonparse(cases[i].in, strlen(cases[i].in), &j, NULL), SNUG_OK);
        if (j == NULL)
            continue;
        CHECK(cJSON_IsNumber(j));
        CHECK(memcmp(&j->valuedouble, &cases[i].want, sizeof(double)) == 0);
        CHECK_INT_EQ(j->valueint, cases[i].valueint);
        cJSON_Delete(j);
    }
}

static void test_scalars_and_strings(void)
{
    cJSON *j = NULL;

    CHECK_INT_EQ(jsonparse(S("[true,false,null,\"a\\u0000b\",\"\\uD83D\\uDE00\"]"), &j, NULL),
                 SNUG_OK);
    if (j == NULL)
        return;
    CHECK(cJSON_IsTrue(cJSON_GetArrayItem(j, 0)));
    CHECK_INT_EQ(cJSON_GetArrayItem(j, 0)->valueint, 1);
    CHECK(cJSON_IsFalse(cJSON_GetArrayItem(j, 1)));
    CHECK_INT_EQ(cJSON_GetArrayItem(j, 1)->valueint, 0);
    CHECK(cJSON_IsNull(cJSON_GetArrayItem(j, 2)));
    /* \u0000 is a NUL byte: the C string ends there, as with cJSON */
    CHECK_STR_EQ(cJSON_GetArrayItem(j, 3)->valuestring, "a");
    CHECK(memcmp(cJSON_GetArrayItem(j, 3)->valuestring, "a\0b", 4) == 0);
    CHECK_STR_EQ(cJSON_GetArrayItem(j, 4)->valuestring, "\xf0\x9f\x98\x80");
    cJSON_Delete(j);
}

/* `len` bounds the text: no NUL needed, and bytes after it are not read. */
static void test_length_bounds_the_text(void)
{
    static const char buf[] = {'[', '1', ',', '2', ']', 'x', 'y', '1', '2', '3'};
    cJSON *j = NULL;

    CHECK_INT_EQ(jsonparse(buf, 5, &j, NULL), SNUG_OK);
    CHECK_INT_EQ(cJSON_GetArraySize(j), 2);
    cJSON_Delete(j);
    j = NULL;
    CHECK_INT_EQ(jsonparse(buf + 7, 2, &j, NULL), SNUG_OK);
    CHECK(j != NULL && j->valuedouble == 12.0);
    cJSON_Delete(j);
    j = NULL;
    CHECK_INT_EQ(jsonparse(buf + 7, 0, &j, NULL), SNUG_ERR_PARSE);
    CHECK_INT_EQ(jsonparse(NULL, 0, &j, NULL), SNUG_ERR_PARSE);
    CHECK(j == NULL);
}

/* The tree works with cJSON's own list functions, which rely on
 * child->prev being the tail. */
static void test_links_work_with_cjson(void)
{
    cJSON *j = NULL, *d;
    char *p;

    CHECK_INT_EQ(jsonparse(S("{\"a\":[1],\"b\":[1,2,3],\"c\":{}}"), &j, NULL), SNUG_OK);
    if (j == NULL)
        return;
    CHECK(links_ok(j));
    cJSON_AddItemToArray(cJSON_GetObjectItem(j, "a"), cJSON_CreateNumber(2));
    cJSON_AddItemToArray(cJSON_GetObjectItem(j, "b"), cJSON_CreateNumber(4));
    cJSON_AddItemToObject(cJSON_GetObjectItem(j, "c"), "x", cJSON_CreateTrue());
    cJSON_AddItemToObject(j, "d", cJSON_CreateNull());
    d = cJSON_DetachItemFromArray(cJSON_GetObjectItem(j, "b"), 3);
    cJSON_Delete(d);
    cJSON_DeleteItemFromArray(cJSON_GetObjectItem(j, "b"), 0);
    CHECK(links_ok(j));
    p = cJSON_PrintUnformatted(j);
    CHECK_STR_EQ(p, "{\"a\":[1,2],\"b\":[2,3],\"c\":{\"x\":true},\"d\":null}");
    cJSON_free(p);
    cJSON_Delete(j);
}

/* ---- invalid input ---------------------------------------------------- */

static void test_invalid(void)
{
    static const struct {
        const char *in;
        size_t len;
        snug_status st;
        const char *msg;
    } cases[] = {
        {S(""), SNUG_ERR_PARSE, "offset 0 (line 1): expected a JSON value (the text is empty)"},
        {S(" \n\t\r "), SNUG_ERR_PARSE, "offset 5 (line 2): expected a JSON value"},
        {S("[1,2]x"), SNUG_ERR_PARSE,
         "offset 5 (line 1): expected end of input after the JSON value, found 'x'"},
        {S("[1,2] ]"), SNUG_ERR_PARSE, "expected end of input after the JSON value, found ']'"},
        {S("{} {}"), SNUG_ERR_PARSE, "offset 3 (line 1): expected end of input"},
        {S("1 2"), SNUG_ERR_PARSE, "expected end of input after the JSON value, found '2'"},
        {S("[1,]"), SNUG_ERR_PARSE, "offset 3 (line 1): expected a JSON value, found ']'"},
        {S("{\"a\":1,}"), SNUG_ERR_PARSE, "expected '\"' to start an object key, found '}'"},
        {S("[1 2]"), SNUG_ERR_PARSE, "expected ',' or ']' after an array element, found '2'"},
        {S("{\"a\" 1}"), SNUG_ERR_PARSE,
         "offset 5 (line 1): expected ':' after object key, found '1'"},
        {S("{\"a\":1 \"b\":2}"), SNUG_ERR_PARSE, "expected ',' or '}' after an object member"},
        {S("{1:2}"), SNUG_ERR_PARSE, "expected '\"' to start an object key, found '1'"},
        {S("{\"a\"}"), SNUG_ERR_PARSE, "expected ':' after object key, found '}'"},
        {S("{\"a\",1}"), SNUG_ERR_PARSE, "expected ':' after object key, found ','"},
        {S("[\"a\":1]"), SNUG_ERR_PARSE, "expected ',' or ']' after an array element, found ':'"},
        {S("\"abc"), SNUG_ERR_PARSE, "offset 4 (line 1): unterminated string (opened at offset 0)"},
        {S("\"abc\\"), SNUG_ERR_PARSE, "unterminated string"},
        {S("\"abc\\\""), SNUG_ERR_PARSE, "unterminated string"},
        {S("[1,2"), SNUG_ERR_PARSE,
         "expected ',' or ']' after an array element, found end of input"},
        {S("{\"a\":1"), SNUG_ERR_PARSE, "expected ',' or '}' after an object member, found end"},
        {S("{\"a\":"), SNUG_ERR_PARSE, "expected a JSON value, found end of input"},
        {S("["), SNUG_ERR_PARSE, "expected a JSON value, found end of input"},
        {S("{"), SNUG_ERR_PARSE, "expected '\"' to start an object key, found end of input"},
        {S("]"), SNUG_ERR_PARSE, "expected a JSON value, found ']'"},
        {S("\"\\x\""), SNUG_ERR_PARSE,
         "offset 1 (line 1): invalid escape in a string: '\\' followed by 'x'"},
        {S("\"\\\x01\""), SNUG_ERR_PARSE, "'\\' followed by byte 0x01"},
        {S("\"\\u12\""), SNUG_ERR_PARSE, "\\u must be followed by four hex digits"},
        {S("\"\\u12G4\""), SNUG_ERR_PARSE, "\\u must be followed by four hex digits"},
        {S("\"\\uD800\""), SNUG_ERR_PARSE, "high surrogate \\uD800 not followed by a low"},
        {S("\"\\uDC00\""), SNUG_ERR_PARSE, "lone low surrogate \\uDC00"},
        {S("\"\\uD800\\u0041\""), SNUG_ERR_PARSE, "not followed by a low surrogate"},
        {S("\"\\uD800\\uD800\""), SNUG_ERR_PARSE, "not followed by a low surrogate"},
        {S("\"\\uD800\\n\""), SNUG_ERR_PARSE, "not followed by a low surrogate"},
        {S("\"a\nb\""), SNUG_ERR_PARSE, "offset 2 (line 1): control byte 0x0a in a string"},
        {S("\"\t\""), SNUG_ERR_PARSE, "control byte 0x09 in a string"},
        {S("[\"0123456789abcdef\x1f\"]"), SNUG_ERR_PARSE, "offset 18 (line 1): control byte 0x1f"},
        {S("01"), SNUG_ERR_PARSE, "offset 0 (line 1): leading zeros are not allowed"},
        {S("-01"), SNUG_ERR_PARSE, "offset 1 (line 1): leading zeros are not allowed"},
        {S("[00]"), SNUG_ERR_PARSE, "leading zeros are not allowed"},
        {S("+1"), SNUG_ERR_PARSE, "expected a JSON value, found '+'"},
        {S(".5"), SNUG_ERR_PARSE, "expected a JSON value, found '.'"},
        {S("1."), SNUG_ERR_PARSE,
         "offset 2 (line 1): expected a digit after '.' in a number, found end of input"},
        {S("[1.e5]"), SNUG_ERR_PARSE, "expected a digit after '.' in a number, found 'e'"},
        {S("1e"), SNUG_ERR_PARSE, "expected a digit in the exponent of a number"},
        {S("1e+"), SNUG_ERR_PARSE, "expected a digit in the exponent of a number"},
        {S("-"), SNUG_ERR_PARSE, "expected a digit after '-', found end of input"},
        {S("--1"), SNUG_ERR_PARSE, "expected a digit after '-', found '-'"},
        {S("-a"), SNUG_ERR_PARSE, "expected a digit after '-', found 'a'"},
        {S("[1e5e5]"), SNUG_ERR_PARSE, "expected ',' or ']' after an array element, found 'e'"},
        {S("0x10"), SNUG_ERR_PARSE, "expected end of input after the JSON value, found 'x'"},
        {S("NaN"), SNUG_ERR_PARSE, "expected a JSON value, found 'N'"},
        {S("Infinity"), SNUG_ERR_PARSE, "expected a JSON value, found 'I'"},
        {S("-Infinity"), SNUG_ERR_PARSE, "expected a digit after '-', found 'I'"},
        {S("'a'"), SNUG_ERR_PARSE, "expected a JSON value, found '''"},
        {S("{'a':1}"), SNUG_ERR_PARSE, "expected '\"' to start an object key, found '''"},
        {S("/* c */ 1"), SNUG_ERR_PARSE, "expected a JSON value, found '/'"},
        {S("[1, // c\n 2]"), SNUG_ERR_PARSE, "expected a JSON value, found '/'"},
        {S("\xef\xbb\xbf{}"), SNUG_ERR_PARSE, "offset 0 (line 1): a UTF-8 byte order mark"},
        {S("[1,2]\0"), SNUG_ERR_PARSE,
         "offset 5 (line 1): expected end of input after the JSON value, found byte 0x00"},
        {S("\0"), SNUG_ERR_PARSE, "expected a JSON value, found byte 0x00"},
        {S("[\0]"), SNUG_ERR_PARSE, "expected a JSON value, found byte 0x00"},
        {S("\"a\0b\""), SNUG_ERR_PARSE, "control byte 0x00 in a string"},
        {S("tru"), SNUG_ERR_PARSE, "expected a JSON value, found 't'"},
        {S("nul"), SNUG_ERR_PARSE, "expected a JSON value, found 'n'"},
        {S("True"), SNUG_ERR_PARSE, "expected a JSON value, found 'T'"},
        {S("nulll"), SNUG_ERR_PARSE, "offset 4 (line 1): expected end of input"},
        {S("[truefalse]"), SNUG_ERR_PARSE, "expected ',' or ']' after an array element, found 'f'"},
        {S("[1]\f"), SNUG_ERR_PARSE, "expected end of input after the JSON value, found byte 0x0c"},
        {S("\v1"), SNUG_ERR_PARSE, "expected a JSON value, found byte 0x0b"},
        {S("\xa0 1"), SNUG_ERR_PARSE, "expected a JSON value, found byte 0xa0"},
        {S("[1,\n2,\n3\n,\n]"), SNUG_ERR_PARSE, "offset 11 (line 5): expected a JSON value"},
        {S("{\n  \"a\": 1,\n  \"b\" 2\n}"), SNUG_ERR_PARSE,
         "offset 18 (line 3): expected ':' after object key, found '2'"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *j = (cJSON *)&j; /* must be set to NULL */
        snug_err err;

        T_CASE("row %zu: %s", i, cases[i].in);
        snug_err_clear(&err);
        CHECK_INT_EQ(jsonparse(cases[i].in, cases[i].len, &j, &err), cases[i].st);
        CHECK(j == NULL);
        CHECK_INT_EQ(err.status, cases[i].st);
        CHECK(strncmp(err.msg, "JSON: at offset ", 16) == 0);
        CHECK_STR_CONTAINS(err.msg, " (line ");
        CHECK_STR_CONTAINS(err.msg, cases[i].msg);
        /* and no error without a message sink either */
        CHECK_INT_EQ(jsonparse(cases[i].in, cases[i].len, &j, NULL), cases[i].st);
    }
}

/* Parse the string "a..a<special>b..b" (`at` a's, `tail` b's; a backslash
 * is sent as \n) and check the outcome: `want` and, on success, the decoded
 * text; on failure a message about the control byte. */
static bool special_byte_ok(char special, size_t at, size_t tail, snug_status want)
{
    char buf[128], text[128];
    size_t len = 0, tl = 0;
    cJSON *j = NULL;
    snug_err err;
    snug_status st;
    bool ok;

    buf[len++] = '"';
    memset(buf + len, 'a', at);
    memset(text, 'a', at);
    len += at;
    tl += at;
    buf[len++] = special;
    if (special == '\\')
        buf[len++] = 'n';
    text[tl++] = special == '\\' ? '\n' : special;
    memset(buf + len, 'b', tail);
    memset(text + tl, 'b', tail);
    len += tail;
    tl += tail;
    buf[len++] = '"';
    text[tl] = '\0';
    st = jsonparse(buf, len, &j, &err);
    if (st == SNUG_OK)
        ok = want == SNUG_OK && strcmp(j->valuestring, text) == 0;
    else
        ok = st == want && (special == '"' || strstr(err.msg, "control byte") != NULL);
    cJSON_Delete(j);
    return ok;
}

/* The string scanner works in 32-, 16-, 8- and 1-byte steps depending on
 * how much text is left: put a special byte at every position of strings of
 * every length, with more or less text after them. */
static void test_string_scan_positions(void)
{
    static const struct {
        char special;
        snug_status st;
    } kinds[] = {{'\x01', SNUG_ERR_PARSE}, {'\x1f', SNUG_ERR_PARSE}, {'\n', SNUG_ERR_PARSE},
                 {'\\', SNUG_OK},          {'"', SNUG_ERR_PARSE},    {'\x20', SNUG_OK},
                 {'\x7f', SNUG_OK},        {'\x80', SNUG_OK}};
    size_t k, at, tail, bad = 0;

    for (k = 0; k < ARRAY_LEN(kinds); k++) {
        for (at = 0; at < 70; at++) {
            for (tail = 0; tail < 40; tail += 3) {
                if (special_byte_ok(kinds[k].special, at, tail, kinds[k].st))
                    continue;
                if (bad++ == 0)
                    T_FAIL("byte 0x%02x at %zu, %zu after", (unsigned char)kinds[k].special, at,
                           tail);
            }
        }
    }
    T_CASE("all positions");
    CHECK_INT_EQ(bad, 0);
}

/* Numbers up to JSONPARSE_MAX_NUMBER characters read as cJSON reads them;
 * a longer one is SNUG_ERR_TOO_BIG (cJSON would take it). */
static void test_number_length_limit(void)
{
    static const struct {
        const char *prefix;
        char fill;
        const char *suffix;
    } cases[] = {
        {"[", '7', "]"},     {"[-", '1', "]"},       {"[0.", '3', "]"},
        {"[1e-", '0', "5]"}, {"[2.", '0', "e+300]"},
    };
    char buf[JSONPARSE_MAX_NUMBER + 16];
    size_t i, extra;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        for (extra = 0; extra < 2; extra++) {
            size_t pl = strlen(cases[i].prefix), sl = strlen(cases[i].suffix);
            size_t numlen = JSONPARSE_MAX_NUMBER + extra, len = numlen + 2;
            cJSON *j = NULL;
            snug_err err;

            T_CASE("%s%c...%s, %zu characters", cases[i].prefix, cases[i].fill, cases[i].suffix,
                   numlen);
            memcpy(buf, cases[i].prefix, pl);
            memset(buf + pl, cases[i].fill, numlen + 2 - pl - sl);
            memcpy(buf + len - sl, cases[i].suffix, sl);
            if (extra == 0) {
                check_same_as_cjson(buf, len);
                continue;
            }
            CHECK_INT_EQ(jsonparse(buf, len, &j, &err), SNUG_ERR_TOO_BIG);
            CHECK_STR_CONTAINS(err.msg, "offset 1 (line 1): number longer than 256 characters");
        }
    }
}

/* Depth: JSONPARSE_MAX_DEPTH arrays or objects are fine, one more is
 * SNUG_ERR_TOO_BIG, and a million is no trouble for the stack. */
static void test_depth(void)
{
    static const struct {
        size_t depth;
        bool object;
        snug_status st;
    } cases[] = {
        {1, false, SNUG_OK},
        {JSONPARSE_MAX_DEPTH, false, SNUG_OK},
        {JSONPARSE_MAX_DEPTH, true, SNUG_OK},
        {JSONPARSE_MAX_DEPTH + 1, false, SNUG_ERR_TOO_BIG},
        {JSONPARSE_MAX_DEPTH + 1, true, SNUG_ERR_TOO_BIG},
        {1000000, false, SNUG_ERR_TOO_BIG},
        {1000000, true, SNUG_ERR_TOO_BIG},
    };
    size_t i, k;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        const char *open = cases[i].object ? "{\"k\":" : "[", *close = cases[i].object ? "}" : "]";
        size_t ol = strlen(open), n = cases[i].depth, len = n * (ol + 1) + 1;
        char *buf = malloc(len), *p = buf;
        cJSON *j = NULL;
        snug_err err;

        T_CASE("depth %zu %s", n, cases[i].object ? "objects" : "arrays");
        if (buf == NULL)
            continue;
        for (k = 0; k < n; k++, p += ol)
            memcpy(p, open, ol);
        *p++ = '1';
        for (k = 0; k < n; k++)
            *p++ = *close;
        CHECK_INT_EQ(jsonparse(buf, len, &j, &err), cases[i].st);
        if (cases[i].st == SNUG_OK)
            check_same_as_cjson(buf, len);
        else
            CHECK_STR_CONTAINS(err.msg, "nested deeper than 512 arrays/objects");
        cJSON_Delete(j);
        free(buf);
    }
}

/* ---- real and large documents ----------------------------------------- */

static void check_file(const char *path)
{
    size_t len = 0;
    char *text = t_read_file(path, &len);

    T_CASE("%s", path);
    CHECK(text != NULL);
    if (text != NULL)
        check_same_as_cjson(text, len);
    free(text);
}

static void test_admission_documents(void)
{
    glob_t g;
    size_t i;

    check_file(SNUG_TEST_DATA "/../../bench/admission-6k.json");
    CHECK_INT_EQ(glob(SNUG_TEST_DATA "/admission/*/*.json", 0, NULL, &g), 0);
    CHECK(g.gl_pathc >= 10);
    for (i = 0; i < g.gl_pathc; i++)
        check_file(g.gl_pathv[i]);
    globfree(&g);
}

/* A ~1 MB document with every kind of value, nested and repeated. */
#define LARGE_ITEM                                                                                 \
    "%s{\"id\":%zu,\"name\":\"item-%zu \\u00e9\\\"q\\\"\",\"ratio\":%.17g,"                        \
    "\"neg\":-%zue-%zu,\"big\":1%zu%zu%zu,\"flags\":[true,false,null],"                            \
    "\"nested\":{\"a\":{\"b\":[[],{},\"%0*zu\"]}}}"

static void test_large_document(void)
{
    size_t cap = 1400 * 1024, len = 0, i;
    char *buf = malloc(cap);

    if (buf == NULL) {
        CHECK(buf != NULL);
        return;
    }
    len += (size_t)snprintf(buf, cap, "{\"items\":[");
    for (i = 0; len < 1024 * 1024; i++)
        len += (size_t)snprintf(buf + len, cap - len, LARGE_ITEM, i == 0 ? "" : ",\n  ", i, i,
                                (double)i / 7.0, i, i % 330, i, i, i, (int)(i % 40), i);
    len += (size_t)snprintf(buf + len, cap - len, "],\"count\":%zu}", i);
    T_CASE("%zu bytes", len);
    CHECK(len > 1024 * 1024 && len < cap);
    check_same_as_cjson(buf, len);
    free(buf);
}

/* ---- allocation failures ---------------------------------------------- */

static long g_allocs_left; /* allocations that succeed before one fails */
static long g_live;        /* allocated and not yet freed */

static void *failing_malloc(size_t n)
{
    void *p;

    if (g_allocs_left == 0)
        return NULL;
    g_allocs_left--;
    p = malloc(n);
    if (p != NULL)
        g_live++;
    return p;
}

static void counting_free(void *p)
{
    if (p != NULL)
        g_live--;
    free(p);
}

/* Fail the first, second, ... allocation: every time SNUG_ERR_NOMEM, no
 * tree, nothing left allocated; with enough, the tree is right. */
static void test_nomem_at_every_allocation(void)
{
    static const char text[] =
        "{\"a\":[1,\"two\",{\"three\":null}],\"esc\\u00e9\":\"x\\ny\",\"e\":{},\"f\":[]}";
    cJSON_Hooks hooks = {failing_malloc, counting_free};
    long n, calls = -1;

    cJSON_InitHooks(&hooks);
    for (n = 0; n < 100; n++) {
        cJSON *j = NULL;
        snug_err err;
        snug_status st;

        T_CASE("fail allocation %ld", n);
        g_allocs_left = n;
        g_live = 0;
        st = jsonparse(text, sizeof(text) - 1, &j, &err);
        if (st == SNUG_OK) {
            calls = n;
            CHECK(j != NULL);
            cJSON_Delete(j);
            CHECK_INT_EQ(g_live, 0);
            break;
        }
        CHECK_INT_EQ(st, SNUG_ERR_NOMEM);
        CHECK(j == NULL);
        CHECK_STR_CONTAINS(err.msg, "out of memory");
        CHECK_INT_EQ(g_live, 0);
    }
    cJSON_InitHooks(NULL);
    /* 9 nodes, 5 member names, 2 string values: one allocation each */
    T_CASE("allocations");
    CHECK_INT_EQ(calls, 16);
    check_same_as_cjson(text, sizeof(text) - 1);
}

/* Bad input found after some allocations (a bad escape is found once the
 * string is allocated) leaves nothing allocated. */
static void test_no_leak_on_bad_input(void)
{
    static const char *const cases[] = {
        "[\"ok\",\"bad \\x\"]", "{\"k\\q\":1}",      "[\"\\uD800\"]", "{\"a\":[1,2,{\"b\":tru}]}",
        "[[[[[[[\"x\"]]]]]]",   "{\"a\":\"\\u12\"}", "[1,2,3,01]",    "{\"a\":{\"b\":{}}}}",
    };
    cJSON_Hooks hooks = {failing_malloc, counting_free};
    size_t i;

    cJSON_InitHooks(&hooks);
    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *j = NULL;

        T_CASE("%s", cases[i]);
        g_allocs_left = 1000;
        g_live = 0;
        CHECK_INT_EQ(jsonparse(cases[i], strlen(cases[i]), &j, NULL), SNUG_ERR_PARSE);
        CHECK(g_allocs_left < 1000); /* it did allocate */
        CHECK_INT_EQ(g_live, 0);
    }
    cJSON_InitHooks(NULL);
}

/* Inside a jsonarena window, the nodes and strings come from the arena.
 * Runs last: jsonarena_install() replaces cJSON's hooks for good. */
static void test_arena(void)
{
    size_t len = 0;
    char *text = t_read_file(SNUG_TEST_DATA "/../../bench/admission-6k.json", &len);
    cJSON *j = NULL;
    int round;

    CHECK(text != NULL);
    jsonarena_install();
    for (round = 0; round < 3 && text != NULL; round++) {
        size_t before;

        T_CASE("round %d", round);
        CHECK_INT_EQ(jsonarena_begin(), 1);
        before = jsonarena_used();
        CHECK_INT_EQ(jsonparse(text, len, &j, NULL), SNUG_OK);
        CHECK(jsonarena_used() > before + len);
        CHECK(jsonarena_owns(j));
        CHECK(j != NULL && jsonarena_owns(j->child) && jsonarena_owns(j->child->string) &&
              jsonarena_owns(j->child->valuestring));
        /* member names live right behind their node (one block)... */
        CHECK(j != NULL && j->child->string == (char *)(j->child + 1));
        /* ...and the tree is the same as cJSON's, also after cJSON edits it
         * (detach, replace and delete free names cJSON's way: no-ops here) */
        {
            cJSON *theirs = cJSON_ParseWithLength(text, len);

            CHECK(theirs != NULL && cJSON_Compare(j, theirs, 1));
            cJSON_DeleteItemFromObjectCaseSensitive(j, "kind");
            cJSON_DeleteItemFromObjectCaseSensitive(theirs, "kind");
            CHECK(cJSON_ReplaceItemInObjectCaseSensitive(j, "request", cJSON_CreateString("r")));
            CHECK(
                cJSON_ReplaceItemInObjectCaseSensitive(theirs, "request", cJSON_CreateString("r")));
            CHECK(cJSON_Compare(j, theirs, 1));
            cJSON_Delete(theirs);
        }
        cJSON_Delete(j);
        /* a name with an escape is decoded on the two-allocation path */
        CHECK_INT_EQ(jsonparse("{\"a\\nb\":1,\"c\":2}", 16, &j, NULL), SNUG_OK);
        CHECK(j != NULL && strcmp(j->child->string, "a\nb") == 0 &&
              strcmp(j->child->next->string, "c") == 0 &&
              j->child->next->string == (char *)(j->child->next + 1));
        cJSON_Delete(j);
        /* a failure inside the window leaves nothing behind either */
        CHECK_INT_EQ(jsonparse(text, len / 2, &j, NULL), SNUG_ERR_PARSE);
        jsonarena_end();
    }
    free(text);
}

int main(void)
{
    RUN(test_valid_same_as_cjson);
    RUN(test_values);
    RUN(test_scalars_and_strings);
    RUN(test_length_bounds_the_text);
    RUN(test_links_work_with_cjson);
    RUN(test_invalid);
    RUN(test_string_scan_positions);
    RUN(test_number_length_limit);
    RUN(test_depth);
    RUN(test_admission_documents);
    RUN(test_large_document);
    RUN(test_nomem_at_every_allocation);
    RUN(test_no_leak_on_bad_input);
    RUN(test_arena);
    return TEST_DONE();
}

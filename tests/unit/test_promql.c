/* Unit tests for promql: escaping, names, selectors, the extra matcher list. */
#include "prom/promql.h"
#include "test.h"

static void test_escape(void)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"", "\"\""},
        {"plain", "\"plain\""},
        {"a\"b", "\"a\\\"b\""},
        {"back\\slash", "\"back\\\\slash\""},
        {"line\nbreak\r\t", "\"line\\nbreak\\r\\t\""},
        {"\a\b\f\v", "\"\\a\\b\\f\\v\""},
        {"ctl\x01\x1f\x7f", "\"ctl\\x01\\x1f\\x7f\""},
        {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
         "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""},
        {"bad\xff", "\"bad\\xff\""},                     /* not UTF-8 */
        {"cut\xc3", "\"cut\\xc3\""},                     /* truncated sequence */
        {"over\xc0\xaf", "\"over\\xc0\\xaf\""},          /* overlong '/' */
        {"surr\xed\xa0\x80", "\"surr\\xed\\xa0\\x80\""}, /* UTF-16 surrogate */
        {"big\xf4\x90\x80\x80", "\"big\\xf4\\x90\\x80\\x80\""},
        {"'single' `back`", "\"'single' `back`\""},
        {"\\\"", "\"\\\\\\\"\""},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        dynbuf b;

        T_CASE("%zu", i);
        dynbuf_init(&b, 1024);
        CHECK_INT_EQ(promql_escape(&b, cases[i].in), SNUG_OK);
        CHECK_STR_EQ(dynbuf_str(&b), cases[i].want);
        dynbuf_free(&b);
    }
}

static void test_escape_too_big(void)
{
    dynbuf b;

    dynbuf_init(&b, 8);
    dynbuf_addstr(&b, "x=");
    T_CASE("cap");
    CHECK_INT_EQ(promql_escape(&b, "a\"b\"c"), SNUG_ERR_TOO_BIG);
    CHECK_STR_EQ(dynbuf_str(&b), "x="); /* unchanged */
    CHECK_INT_EQ(promql_escape(&b, "ab"), SNUG_OK);
    CHECK_STR_EQ(dynbuf_str(&b), "x=\"ab\"");
    dynbuf_free(&b);
}

static void test_names(void)
{
    static const struct {
        const char *name;
        bool metric, label;
    } cases[] = {
        {"up", true, true},
        {"container_cpu_usage_seconds_total", true, true},
        {"_x", true, true},
        {"job:rate5m:sum", true, false},
        {":a", true, false},
        {"__name__", true, true},
        {"A9", true, true},
        {"", false, false},
        {"9a", false, false},
        {"a-b", false, false},
        {"a b", false, false},
        {"a\"", false, false},
        {"caf\xc3\xa9", false, false},
        {NULL, false, false},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        T_CASE("%s", cases[i].name ? cases[i].name : "(null)");
        CHECK_INT_EQ(promql_name_valid(cases[i].name), cases[i].metric);
        CHECK_INT_EQ(promql_label_name_valid(cases[i].name), cases[i].label);
    }
    T_CASE("ops");
    CHECK(promql_op_valid("="));
    CHECK(promql_op_valid("!~"));
    CHECK(!promql_op_valid("=="));
    CHECK(!promql_op_valid("~"));
    CHECK(!promql_op_valid(NULL));
}

static void test_selector(void)
{
    static const promql_matcher m2[] = {
        {"namespace", "=", "prod"},
        {"container", "!=", ""},
    };
    static const promql_matcher quote[] = {{"pod", "=~", "web-\"x\"\\.*\n"}};
    static const struct {
        const char *metric;
        const promql_matcher *m;
        size_t n;
        const char *extra;
        const char *want;
    } cases[] = {
        {"up", NULL, 0, NULL, "up"},
        {"up", NULL, 0, "  ", "up"},
        {"up", m2, 2, NULL, "up{namespace=\"prod\",container!=\"\"}"},
        {"up", m2, 2, "cluster=\"eu\"", "up{namespace=\"prod\",container!=\"\",cluster=\"eu\"}"},
        {"up", NULL, 0, " cluster = 'e\\'u' , env=~`a|b\\d`, ",
         "up{cluster=\"e'u\",env=~\"a|b\\\\d\"}"},
        {"x", quote, 1, NULL, "x{pod=~\"web-\\\"x\\\"\\\\.*\\n\"}"},
        {NULL, m2, 1, NULL, "{namespace=\"prod\"}"},
        {"", NULL, 0, "a!~\"\\u00e9\\x41\\101\\t\"",
         "{a!~\"\xc3\xa9"
         "AA\\t\"}"},
        {"a:b", m2, 1, "__name__=\"q\"", "a:b{namespace=\"prod\",__name__=\"q\"}"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        dynbuf b;
        snug_err err;

        T_CASE("%zu: %s", i, cases[i].want);
        dynbuf_init(&b, 4096);
        CHECK_INT_EQ(
            promql_selector(&b, cases[i].metric, cases[i].m, cases[i].n, cases[i].extra, &err),
            SNUG_OK);
        CHECK_STR_EQ(dynbuf_str(&b), cases[i].want);
        dynbuf_free(&b);
    }
}

static void test_selector_invalid(void)
{
    static const promql_matcher badname[] = {{"a:b", "=", "x"}};
    static const promql_matcher badname2[] = {{"", "=", "x"}};
    static const promql_matcher nullname[] = {{NULL, "=", "x"}};
    static const promql_matcher badop[] = {{"a", "==", "x"}};
    static const promql_matcher ok[] = {{"a", "=", "x"}};
    static const struct {
        const char *metric;
        const promql_matcher *m;
        size_t n;
        const char *extra;
        snug_status want;
        const char *msg;
    } cases[] = {
        {"9up", NULL, 0, NULL, SNUG_ERR_INVALID, "invalid metric name \"9up\""},
        {"up{a=\"b\"}", NULL, 0, NULL, SNUG_ERR_INVALID, "invalid metric name"},
        {"up", badname, 1, NULL, SNUG_ERR_INVALID, "matcher 0: invalid label name \"a:b\""},
        {"up", badname2, 1, NULL, SNUG_ERR_INVALID, "invalid label name"},
        {"up", nullname, 1, NULL, SNUG_ERR_INVALID, "invalid label name \"(null)\""},
        {"up", badop, 1, NULL, SNUG_ERR_INVALID, "invalid operator \"==\""},
        {NULL, NULL, 0, NULL, SNUG_ERR_INVALID, "no metric name and no matchers"},
        {"up", ok, 1, "a=b", SNUG_ERR_PARSE, "at offset 2: expected a quoted string"},
        {"up", ok, 1, "a=\"b\"}", SNUG_ERR_PARSE, "at offset 5: expected ','"},
        {"up", ok, 1, "a:b=\"b\"", SNUG_ERR_INVALID, "cannot contain ':'"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        dynbuf b;
        snug_err err;

        T_CASE("%zu: %s", i, cases[i].msg);
        dynbuf_init(&b, 4096);
        dynbuf_addstr(&b, "keep");
        CHECK_INT_EQ(
            promql_selector(&b, cases[i].metric, cases[i].m, cases[i].n, cases[i].extra, &err),
            cases[i].want);
        CHECK_STR_CONTAINS(err.msg, cases[i].msg);
        CHECK_STR_EQ(dynbuf_str(&b), "keep");
        dynbuf_free(&b);
        dynbuf_init(&b, 4096); /* err may be NULL */
        CHECK_INT_EQ(
            promql_selector(&b, cases[i].metric, cases[i].m, cases[i].n, cases[i].extra, NULL),
            cases[i].want);
        dynbuf_free(&b);
    }
}

static void test_selector_too_big(void)
{
    static const promql_matcher m[] = {{"namespace", "=", "a-long-namespace-name"}};
    dynbuf b;
    snug_err err;

    T_CASE("buffer max");
    dynbuf_init(&b, 20);
    CHECK_INT_EQ(promql_selector(&b, "up", m, 1, NULL, &err), SNUG_ERR_TOO_BIG);
    CHECK_INT_EQ(dynbuf_len(&b), 0);
    CHECK_INT_EQ(promql_selector(&b, "up", m, 1, "", &err), SNUG_ERR_TOO_BIG);
    CHECK_INT_EQ(promql_selector(&b, "up", NULL, 0, "a=\"0123456789012345678\"", &err),
                 SNUG_ERR_TOO_BIG);
    CHECK_INT_EQ(dynbuf_len(&b), 0);
    dynbuf_free(&b);
}

static void test_extra_check(void)
{
    static const struct {
        const char *in;
        snug_status want;
        const char *msg;
    } cases[] = {
        {NULL, SNUG_OK, ""},
        {"", SNUG_OK, ""},
        {" \t\n", SNUG_OK, ""},
        {"cluster=\"prod\"", SNUG_OK, ""},
        {"a=\"\",b!=\"x\",c=~\".+\",d!~'y',", SNUG_OK, ""},
        {"a=`raw\\no escapes\n`", SNUG_OK, ""},
        {"a=\"\\U0001F600\"", SNUG_OK, ""},
        {",", SNUG_ERR_PARSE, "at offset 0: expected a label name"},
        {"a=\"x\",,", SNUG_ERR_PARSE, "at offset 6: expected a label name"},
        {"a", SNUG_ERR_PARSE, "at offset 1: expected an operator"},
        {"a==\"x\"", SNUG_ERR_PARSE, "at offset 2: expected a quoted string"},
        {"a~\"x\"", SNUG_ERR_PARSE, "expected an operator"},
        {"a=\"x", SNUG_ERR_PARSE, "unterminated string"},
        {"a=\"x\ny\"", SNUG_ERR_PARSE, "unterminated string"},
        {"a=\"\\q\"", SNUG_ERR_PARSE, "unknown escape"},
        {"a=\"\\'\"", SNUG_ERR_PARSE, "unknown escape"}, /* \' only inside '...' */
        {"a='\\\"'", SNUG_ERR_PARSE, "unknown escape"},
        {"a=\"\\x4\"", SNUG_ERR_PARSE, "bad hex escape"},
        {"a=\"\\400\"", SNUG_ERR_PARSE, "bad octal escape"},
        {"a=\"\\ud800\"", SNUG_ERR_PARSE, "not a Unicode code point"},
        {"a=\"\\x00\"", SNUG_ERR_PARSE, "NUL in a string"},
        {"a=\"x\" b=\"y\"", SNUG_ERR_PARSE, "expected ','"},
        {"a=\"x\"}", SNUG_ERR_PARSE, "expected ','"},
        {"{a=\"x\"}", SNUG_ERR_PARSE, "expected a label name"},
        {"job:x=\"y\"", SNUG_ERR_INVALID, "cannot contain ':'"},
        {"a=\"x\" or vector(1)", SNUG_ERR_PARSE, "expected ','"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        snug_err err;

        T_CASE("%zu: %s", i, cases[i].in ? cases[i].in : "(null)");
        snug_err_clear(&err);
        CHECK_INT_EQ(promql_extra_check(cases[i].in, &err), cases[i].want);
        CHECK_STR_CONTAINS(err.msg, cases[i].msg);
    }
}

static void test_extra_long(void)
{
    char *s = malloc(PROMQL_EXTRA_MAX + 16);
    snug_err err;

    T_CASE("over the maximum");
    memset(s, ' ', PROMQL_EXTRA_MAX + 10);
    memcpy(s, "a=\"b\"", 5);
    s[PROMQL_EXTRA_MAX + 10] = '\0';
    CHECK_INT_EQ(promql_extra_check(s, &err), SNUG_ERR_TOO_BIG);
    s[PROMQL_EXTRA_MAX] = '\0';
    CHECK_INT_EQ(promql_extra_check(s, &err), SNUG_OK);
    free(s);
}

int main(void)
{
    RUN(test_escape);
    RUN(test_escape_too_big);
    RUN(test_names);
    RUN(test_selector);
    RUN(test_selector_invalid);
    RUN(test_selector_too_big);
    RUN(test_extra_check);
    RUN(test_extra_long);
    return TEST_DONE();
}

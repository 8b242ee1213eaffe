/* Unit tests for prom_result: strict parsing of query answers, merge of
 * time chunks, the query brief used in messages. */
#include <math.h>

#include "prom/prom_result.h"
#include "base/dynbuf.h"
#include "test.h"

static prom_result *parse_ok(const char *body)
{
    prom_result *r = NULL;
    snug_err err;

    snug_err_clear(&err);
    if (prom_result_parse(body, strlen(body), "q", &r, &err) != SNUG_OK)
        T_FAIL("parse failed: %s", err.msg);
    return r;
}

static void test_parse_errors(void)
{
    static const struct {
        const char *body;
        snug_status want;
        const char *msg;
    } cases[] = {
        {"", SNUG_ERR_PARSE, "query up: empty answer"},
        {"<html><body>502 Bad Gateway</body></html>", SNUG_ERR_PARSE,
         "query up: not JSON: <html><body>502 Bad Gateway</body></html>"},
        {"{\"status\":\"success\"", SNUG_ERR_PARSE, "not JSON: {\"status\""},
        {"{} trailing", SNUG_ERR_PARSE, "not JSON"},
        {"[1,2]", SNUG_ERR_PARSE, "query up: answer: not a JSON object"},
        {"{}", SNUG_ERR_PARSE, "status: missing"},
        {"{\"status\":1}", SNUG_ERR_PARSE, "status: missing or not a string"},
        {"{\"status\":\"maybe\"}", SNUG_ERR_PARSE, "neither"},
        {"{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"1:6: parse error: "
         "unexpected \\\"]\\\"\"}",
         SNUG_ERR_INVALID, "query up: bad_data: 1:6: parse error: unexpected \"]\""},
        {"{\"status\":\"error\",\"errorType\":\"execution\",\"error\":\"too many samples\"}",
         SNUG_ERR_HTTP, "query up: execution: too many samples"},
        {"{\"status\":\"error\",\"errorType\":\"timeout\",\"error\":\"query timed out\"}",
         SNUG_ERR_HTTP, "timeout: query timed out"},
        {"{\"status\":\"error\",\"error\":\"x\"}", SNUG_ERR_PARSE, "errorType: status is"},
        {"{\"status\":\"error\",\"errorType\":\"x\",\"error\":5}", SNUG_ERR_PARSE, "error: status"},
        {"{\"status\":\"success\"}", SNUG_ERR_PARSE, "data: missing or not an object"},
        {"{\"status\":\"success\",\"data\":[]}", SNUG_ERR_PARSE, "data: missing"},
        {"{\"status\":\"success\",\"data\":{}}", SNUG_ERR_PARSE, "data.resultType: missing"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"table\",\"result\":[]}}",
         SNUG_ERR_PARSE, "data.resultType: not vector"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\"}}", SNUG_ERR_PARSE,
         "data.result: missing or not an array"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":{}}}",
         SNUG_ERR_PARSE, "data.result: missing or not an array"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[1]}}",
         SNUG_ERR_PARSE, "data.result[0]: series is not an object"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"value\":[1,"
         "\"1\"]}]}}",
         SNUG_ERR_PARSE, "data.result[0].metric: missing or not an object"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{"
         "\"a\":1},\"value\":[1,\"1\"]}]}}",
         SNUG_ERR_PARSE, "data.result[0].metric.a: label value is not a string"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{"
         "\"a\":\"x\",\"a\":\"y\"},\"value\":[1,\"1\"]}]}}",
         SNUG_ERR_PARSE, "data.result[0].metric.a: duplicate label"},
        /* two series with one label set (PromQL never answers so; a merge
         * of chunks could not tell them apart) */
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{"
         "\"job\":\"b\"},\"value\":[1700,\"1\"]},{\"metric\":{\"job\":\"a\"},\"value\":[1700,"
         "\"1\"]},{\"metric\":{\"job\":\"b\"},\"value\":[1800,\"2\"]}]}}",
         SNUG_ERR_PARSE, "data.result[2]: the same labels as data.result[0]"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},"
         "\"values\":[[1,\"1\"]]},{\"metric\":{},\"values\":[[2,\"1\"]]}]}}",
         SNUG_ERR_PARSE, "data.result[1]: the same labels as data.result[0]"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{}"
         "}]}}",
         SNUG_ERR_PARSE, "data.result[0].value: missing"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},"
         "\"value\":[1,2]}]}}",
         SNUG_ERR_PARSE, "data.result[0].value[1]: sample value is not a string"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},"
         "\"value\":[\"1\",\"2\"]}]}}",
         SNUG_ERR_PARSE, "data.result[0].value[0]: sample time is not a number"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},"
         "\"value\":[1]}]}}",
         SNUG_ERR_PARSE, "value: sample is not a [time"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},"
         "\"value\":[1,\"2\",3]}]}}",
         SNUG_ERR_PARSE, "sample is not a [time"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},"
         "\"value\":{\"t\":1}}]}}",
         SNUG_ERR_PARSE, "sample is not a [time"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},"
         "\"value\":[1,\"0x10\"]}]}}",
         SNUG_ERR_PARSE, "value[1]: sample value \"0x10\" is not a number"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},"
         "\"value\":[1,\" 1\"]}]}}",
         SNUG_ERR_PARSE, "is not a number"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},"
         "\"value\":[1,\"nan\"]}]}}",
         SNUG_ERR_PARSE, "is not a number"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},"
         "\"value\":[1,\"1e999\"]}]}}",
         SNUG_ERR_PARSE, "is not a number"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},"
         "\"value\":[1,\"\"]}]}}",
         SNUG_ERR_PARSE, "is not a number"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},"
         "\"value\":[1,\"1.\"]}]}}",
         SNUG_OK, ""},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},"
         "\"values\":[[1,\"1\"],[2,true]]}]}}",
         SNUG_ERR_PARSE, "data.result[0].values[1][1]: sample value is not a string"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},"
         "\"value\":[1,\"1\"]}]}}",
         SNUG_ERR_PARSE, "data.result[0].values: missing or not an array"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},"
         "\"histograms\":[[1,{\"count\":\"1\"}]]}]}}",
         SNUG_ERR_UNSUPPORTED, "native histograms"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"x\"]}}",
         SNUG_ERR_PARSE, "data.result[1]: sample value \"x\" is not a number"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":null}}",
         SNUG_ERR_PARSE, "data.result: sample is not"},
        /* the one-pass reader's two rules */
        {"{\"status\":\"success\",\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
         "\"result\":[]}}",
         SNUG_ERR_PARSE, "query up: status: appears twice"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},"
         "\"value\":[1,\"1\"],\"value\":[2,\"2\"]}]}}",
         SNUG_ERR_PARSE, "data.result[0].value: appears twice"},
        {"{\"status\":\"success\",\"data\":{\"result\":[],\"resultType\":\"vector\"}}",
         SNUG_ERR_PARSE, "data.result: comes before a valid data.resultType"},
        /* an error answer: whatever data holds does not matter */
        {"{\"data\":{\"resultType\":7},\"status\":\"error\",\"error\":\"e\",\"errorType\":"
         "\"internal\"}",
         SNUG_ERR_HTTP, "query up: internal: e"},
        /* but a broken text is still not JSON, wherever it breaks */
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{"
         "\"a\":1}}]}",
         SNUG_ERR_PARSE, "not JSON"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}} x",
         SNUG_ERR_PARSE, "not JSON"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]},\"x\":"
         "\"\\ud800\"}",
         SNUG_ERR_PARSE, "not JSON"},
        /* a vector ignores "values", a matrix "value", even malformed */
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},"
         "\"values\":7,\"value\":[1,\"1\"],\"extra\":{\"deep\":[1,2,{}]}}]}}",
         SNUG_OK, ""},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]},"
         "\"warnings\":\"w\"}",
         SNUG_ERR_PARSE, "warnings: not an array"},
        {"{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]},"
         "\"warnings\":[\"a\",1]}",
         SNUG_ERR_PARSE, "warnings[1]: not a string"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        prom_result *r = (prom_result *)1;
        snug_err err;

        T_CASE("%zu: %s", i, cases[i].body);
        snug_err_clear(&err);
        CHECK_INT_EQ(prom_result_parse(cases[i].body, strlen(cases[i].body), "up", &r, &err),
                     cases[i].want);
        CHECK_STR_CONTAINS(err.msg, cases[i].msg);
        if (cases[i].want != SNUG_OK)
            CHECK(r == NULL);
        prom_result_free(r);
        r = (prom_result *)1; /* err may be NULL too */
        CHECK_INT_EQ(prom_result_parse(cases[i].body, strlen(cases[i].body), NULL, &r, NULL),
                     cases[i].want);
        prom_result_free(r);
    }
}

static void test_matrix(void)
{
    const char *body =
        "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
        "{\"metric\":{\"pod\":\"web-1\",\"container\":\"app\",\"__name__\":\"x\"},"
        "\"values\":[[1700000000,\"1.5\"],[1700000060.5,\"NaN\"],[1700000120,\"+Inf\"],"
        "[1700000180,\"-Inf\"],[1700000240,\"-2e-3\"],[1700000300,\"Inf\"]]},"
        "{\"metric\":{},\"values\":[]},"
        "{\"metric\":{\"a\":\"caf\\u00e9 "
        "\\\"q\\\"\"},\"values\":[[30,\"3\"],[10,\"1\"],[20,\"2\"]]}"
        "]},\"warnings\":[\"PromQL info: metric might not be a counter\"]}";
    prom_result *r = parse_ok(body);
    const prom_series *s;

    T_CASE("matrix");
    if (r == NULL)
        return;
    CHECK_INT_EQ(r->type, PROM_MATRIX);
    CHECK_INT_EQ(r->n_series, 3);
    CHECK_INT_EQ(r->n_warnings, 1);
    CHECK_STR_EQ(r->warnings[0], "PromQL info: metric might not be a counter");
    CHECK(r->string == NULL);
    s = &r->series[0];
    CHECK_INT_EQ(s->n_labels, 3);
    CHECK_STR_EQ(s->labels[0].name, "__name__");
    CHECK_STR_EQ(s->labels[1].name, "container");
    CHECK_STR_EQ(s->labels[2].name, "pod");
    CHECK_STR_EQ(prom_series_label(s, "pod"), "web-1");
    CHECK_STR_EQ(prom_series_label(s, "__name__"), "x");
    CHECK_STR_EQ(prom_series_label(s, "container"), "app");
    CHECK(prom_series_label(s, "namespace") == NULL);
    CHECK(prom_series_label(s, "") == NULL);
    CHECK_INT_EQ(s->n_samples, 6);
    CHECK_DBL_NEAR(s->samples[0].t, 1700000000.0, 1e-9);
    CHECK_DBL_NEAR(s->samples[0].v, 1.5, 1e-12);
    CHECK_DBL_NEAR(s->samples[1].t, 1700000060.5, 1e-6);
    CHECK(isnan(s->samples[1].v));
    CHECK(isinf(s->samples[2].v) && s->samples[2].v > 0);
    CHECK(isinf(s->samples[3].v) && s->samples[3].v < 0);
    CHECK_DBL_NEAR(s->samples[4].v, -0.002, 1e-15);
    CHECK(isinf(s->samples[5].v) && s->samples[5].v > 0);
    CHECK_INT_EQ(r->series[1].n_labels, 0);
    CHECK_INT_EQ(r->series[1].n_samples, 0);
    CHECK(prom_series_label(&r->series[1], "a") == NULL);
    s = &r->series[2];
    CHECK_STR_EQ(prom_series_label(s, "a"), "caf\xc3\xa9 \"q\"");
    T_CASE("out-of-order samples are sorted");
    CHECK_INT_EQ(s->n_samples, 3);
    CHECK_DBL_NEAR(s->samples[0].t, 10, 0);
    CHECK_DBL_NEAR(s->samples[1].v, 2, 0);
    CHECK_DBL_NEAR(s->samples[2].t, 30, 0);
    prom_result_free(r);
}

static void test_vector_scalar_string(void)
{
    prom_result *r;

    T_CASE("vector");
    r = parse_ok("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
                 "{\"metric\":{\"job\":\"a\"},\"value\":[1700000000.123,\"42\"]},"
                 "{\"metric\":{\"job\":\"b\"},\"value\":[1700000000.123,\"-1\"]}]}}");
    if (r != NULL) {
        CHECK_INT_EQ(r->type, PROM_VECTOR);
        CHECK_INT_EQ(r->n_series, 2);
        CHECK_INT_EQ(r->series[0].n_samples, 1);
        CHECK_DBL_NEAR(r->series[0].samples[0].t, 1700000000.123, 1e-6);
        CHECK_DBL_NEAR(r->series[0].samples[0].v, 42, 0);
        CHECK_STR_EQ(prom_series_label(&r->series[1], "job"), "b");
        CHECK_DBL_NEAR(r->series[1].samples[0].v, -1, 0);
        CHECK_INT_EQ(r->n_warnings, 0);
    }
    prom_result_free(r);
    T_CASE("empty vector");
    r = parse_ok("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]},"
                 "\"warnings\":null}");
    if (r != NULL) {
        CHECK_INT_EQ(r->type, PROM_VECTOR);
        CHECK_INT_EQ(r->n_series, 0);
    }
    prom_result_free(r);
    T_CASE("scalar");
    r = parse_ok("{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":"
                 "[1700000000,\"3.25\"]}}");
    if (r != NULL) {
        CHECK_INT_EQ(r->type, PROM_SCALAR);
        CHECK_INT_EQ(r->n_series, 1);
        CHECK_INT_EQ(r->series[0].n_labels, 0);
        CHECK_INT_EQ(r->series[0].n_samples, 1);
        CHECK_DBL_NEAR(r->series[0].samples[0].v, 3.25, 0);
    }
    prom_result_free(r);
    T_CASE("string");
    r = parse_ok("{\"status\":\"success\",\"data\":{\"resultType\":\"string\",\"result\":"
                 "[1700000000,\"hello\"]}}");
    if (r != NULL) {
        CHECK_INT_EQ(r->type, PROM_STRING);
        CHECK_STR_EQ(r->string, "hello");
        CHECK_INT_EQ(r->n_series, 1);
        CHECK(isnan(r->series[0].samples[0].v));
        CHECK_DBL_NEAR(r->series[0].samples[0].t, 1700000000, 0);
    }
    prom_result_free(r);
}

/* A matrix answer of `nseries` x `nsamples`, for the size test. */
static char *big_answer(int nseries, int nsamples, size_t *len)
{
    dynbuf b;
    int i, j;

    dynbuf_init(&b, (size_t)1 << 30);
    dynbuf_addstr(&b, "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[");
    for (i = 0; i < nseries; i++) {
        dynbuf_printf(&b, "%s{\"metric\":{\"pod\":\"p%d\",\"namespace\":\"ns\"},\"values\":[",
                      i ? "," : "", i);
        for (j = 0; j < nsamples; j++)
            dynbuf_printf(&b, "%s[%d,\"%d.5\"]", j ? "," : "", 1700000000 + 60 * j, i + j);
        dynbuf_addstr(&b, "]}");
    }
    dynbuf_addstr(&b, "]}}");
    *len = dynbuf_len(&b);
    return dynbuf_take(&b);
}

static void test_big(void)
{
    size_t len;
    char *body = big_answer(200, 2000, &len);
    prom_result *r = NULL;
    snug_err err;

    T_CASE("200 series x 2000 samples (%zu bytes)", len);
    CHECK(len > 8 * 1000 * 1000);
    CHECK_INT_EQ(prom_result_parse(body, len, "big", &r, &err), SNUG_OK);
    if (r != NULL) {
        CHECK_INT_EQ(r->n_series, 200);
        CHECK_INT_EQ(r->series[199].n_samples, 2000);
        CHECK_STR_EQ(prom_series_label(&r->series[199], "pod"), "p199");
        CHECK_DBL_NEAR(r->series[199].samples[1999].v, 199 + 1999 + 0.5, 0);
    }
    prom_result_free(r);
    T_CASE("cut short anywhere: an error, never half a result");
    r = (prom_result *)1;
    CHECK_INT_EQ(prom_result_parse(body, len / 2, "big", &r, &err), SNUG_ERR_PARSE);
    CHECK(r == NULL);
    free(body);
}

static void test_brief(void)
{
    char buf[256];
    char longq[400];

    T_CASE("brief");
    prom_query_brief(buf, sizeof(buf), NULL);
    CHECK_STR_EQ(buf, "(none)");
    prom_query_brief(buf, sizeof(buf), "sum(rate(x[5m]))\n by (pod)");
    CHECK_STR_EQ(buf, "sum(rate(x[5m]))  by (pod)");
    memset(longq, 'a', sizeof(longq) - 1);
    longq[sizeof(longq) - 1] = '\0';
    prom_query_brief(buf, sizeof(buf), longq);
    CHECK_STR_CONTAINS(buf, "aaa...(399 bytes)");
    CHECK_INT_EQ(strlen(buf), 160 + strlen("...(399 bytes)"));
    prom_query_brief(buf, 8, longq);
    CHECK_INT_EQ(strlen(buf), 7);
}

/* A matrix with one series {pod=<pod>} holding samples t = from, from+1,
 * ..., to (value t * 10 + tag). */
static prom_result *chunk(const char *pod, int from, int to, int tag, const char *warning)
{
    dynbuf b;
    prom_result *r = NULL;
    int t;

    dynbuf_init(&b, 1 << 20);
    dynbuf_printf(&b,
                  "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
                  "{\"metric\":{\"pod\":\"%s\",\"ns\":\"a\"},\"values\":[",
                  pod);
    for (t = from; t <= to; t++)
        dynbuf_printf(&b, "%s[%d,\"%d\"]", t > from ? "," : "", t, t * 10 + tag);
    dynbuf_printf(&b, "]}]}%s%s%s}", warning ? ",\"warnings\":[\"" : "", warning ? warning : "",
                  warning ? "\"]" : "");
    r = parse_ok(dynbuf_str(&b));
    dynbuf_free(&b);
    return r;
}

static void test_merge(void)
{
    prom_result *a = chunk("web", 0, 9, 0, "w1");
    prom_result *b = chunk("web", 5, 14, 1, "w1");  /* overlaps 5..9 */
    prom_result *c = chunk("db", 3, 4, 2, "w2");    /* a new series */
    prom_result *d = chunk("web", 20, 21, 3, NULL); /* after a gap */
    prom_result *e = chunk("web", -2, 0, 4, NULL);  /* before, 0 overlapping */
    snug_err err;
    size_t i;

    if (a == NULL || b == NULL || c == NULL || d == NULL || e == NULL)
        goto out;
    T_CASE("overlap");
    CHECK_INT_EQ(prom_result_merge(a, b, &err), SNUG_OK);
    CHECK_INT_EQ(b->n_series, 0);
    CHECK_INT_EQ(b->n_warnings, 0);
    CHECK_INT_EQ(a->n_series, 1);
    CHECK_INT_EQ(a->series[0].n_samples, 15);
    for (i = 0; i < a->series[0].n_samples; i++) {
        T_CASE("overlap sample %zu", i);
        CHECK_DBL_NEAR(a->series[0].samples[i].t, (double)i, 0);
        CHECK_DBL_NEAR(a->series[0].samples[i].v, (double)i * 10 + (i <= 9 ? 0 : 1), 0);
    }
    T_CASE("warnings deduplicated");
    CHECK_INT_EQ(a->n_warnings, 1);
    T_CASE("new series appended");
    CHECK_INT_EQ(prom_result_merge(a, c, &err), SNUG_OK);
    CHECK_INT_EQ(a->n_series, 2);
    CHECK_STR_EQ(prom_series_label(&a->series[1], "pod"), "db");
    CHECK_INT_EQ(a->series[1].n_samples, 2);
    CHECK_INT_EQ(a->n_warnings, 2);
    CHECK_STR_EQ(a->warnings[1], "w2");
    T_CASE("gap and earlier chunk");
    CHECK_INT_EQ(prom_result_merge(a, d, &err), SNUG_OK);
    CHECK_INT_EQ(prom_result_merge(a, e, &err), SNUG_OK);
    CHECK_INT_EQ(a->series[0].n_samples, 15 + 2 + 2);
    CHECK_DBL_NEAR(a->series[0].samples[0].t, -2, 0);
    CHECK_DBL_NEAR(a->series[0].samples[2].v, 0, 0); /* into's value at t=0 kept */
    CHECK_DBL_NEAR(a->series[0].samples[18].t, 21, 0);
    CHECK_DBL_NEAR(a->series[0].samples[18].v, 213, 0);
    T_CASE("merging an empty result or NULL");
    CHECK_INT_EQ(prom_result_merge(a, b, &err), SNUG_OK);
    CHECK_INT_EQ(prom_result_merge(a, NULL, &err), SNUG_OK);
    CHECK_INT_EQ(a->n_series, 2);
out:
    prom_result_free(a);
    prom_result_free(b);
    prom_result_free(c);
    prom_result_free(d);
    prom_result_free(e);
}

static void test_merge_mismatch(void)
{
    prom_result *m = chunk("web", 0, 1, 0, NULL);
    prom_result *v = parse_ok("{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
                              "\"result\":[{\"metric\":{},\"value\":[1,\"1\"]}]}}");
    prom_result *s1 = parse_ok("{\"status\":\"success\",\"data\":{\"resultType\":\"string\","
                               "\"result\":[1,\"a\"]}}");
    prom_result *s2 = parse_ok("{\"status\":\"success\",\"data\":{\"resultType\":\"string\","
                               "\"result\":[2,\"b\"]}}");
    snug_err err;

    T_CASE("types differ");
    if (m != NULL && v != NULL && s1 != NULL && s2 != NULL) {
        CHECK_INT_EQ(prom_result_merge(m, v, &err), SNUG_ERR_INVALID);
        CHECK_STR_CONTAINS(err.msg, "result types differ");
        CHECK_INT_EQ(v->n_series, 1); /* unchanged */
        CHECK_INT_EQ(m->n_series, 1);
        CHECK_INT_EQ(prom_result_merge(s1, s2, &err), SNUG_ERR_INVALID);
    }
    prom_result_free(m);
    prom_result_free(v);
    prom_result_free(s1);
    prom_result_free(s2);
}

static void test_merge_many_series(void)
{
    size_t len;
    char *body1 = big_answer(500, 3, &len);
    prom_result *a = NULL, *b = NULL;
    snug_err err;
    size_t i;

    T_CASE("500 series matched through the index");
    CHECK_INT_EQ(prom_result_parse(body1, len, "x", &a, &err), SNUG_OK);
    CHECK_INT_EQ(prom_result_parse(body1, len, "x", &b, &err), SNUG_OK);
    if (a != NULL && b != NULL) {
        CHECK_INT_EQ(prom_result_merge(a, b, &err), SNUG_OK);
        CHECK_INT_EQ(a->n_series, 500);
        for (i = 0; i < a->n_series; i++)
            if (a->series[i].n_samples != 3)
                T_FAIL("series %zu has %zu samples", i, a->series[i].n_samples);
    }
    prom_result_free(a);
    prom_result_free(b);
    free(body1);
}

int main(void)
{
    RUN(test_parse_errors);
    RUN(test_matrix);
    RUN(test_vector_scalar_string);
    RUN(test_big);
    RUN(test_brief);
    RUN(test_merge);
    RUN(test_merge_mismatch);
    RUN(test_merge_many_series);
    return TEST_DONE();
}

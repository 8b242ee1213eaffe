/* Unit tests for dynbuf, status and log. */
#include <stdbool.h>
#include "base/dynbuf.h"
#include "base/log.h"
#include "base/status.h"
#include "test.h"

static void test_dynbuf_limits(void)
{
    static const struct {
        size_t max;
        const char *add1, *add2;
        snug_status want2;
        const char *want;
    } cases[] = {
        {16, "hello", " world", SNUG_OK, "hello world"},
        {5, "hello", "!", SNUG_ERR_TOO_BIG, "hello"},
        {0, "", "", SNUG_OK, ""},
        {0, "", "x", SNUG_ERR_TOO_BIG, ""},
        {1000, "", "", SNUG_OK, ""},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        dynbuf b;

        T_CASE("row %zu", i);
        dynbuf_init(&b, cases[i].max);
        CHECK_INT_EQ(dynbuf_addstr(&b, cases[i].add1), SNUG_OK);
        CHECK_INT_EQ(dynbuf_addstr(&b, cases[i].add2), cases[i].want2);
        CHECK_STR_EQ(dynbuf_str(&b), cases[i].want);
        dynbuf_free(&b);
    }
}

static void test_dynbuf_grow_and_take(void)
{
    dynbuf b;
    char *s;
    int i;

    dynbuf_init(&b, 1 << 20);
    for (i = 0; i < 10000; i++)
        CHECK_INT_EQ(dynbuf_printf(&b, "%d,", i % 10), SNUG_OK);
    CHECK_INT_EQ(dynbuf_len(&b), 20000);
    dynbuf_truncate(&b, 4);
    CHECK_STR_EQ(dynbuf_str(&b), "0,1,");
    s = dynbuf_take(&b);
    CHECK_STR_EQ(s, "0,1,");
    CHECK_INT_EQ(dynbuf_len(&b), 0);
    CHECK_STR_EQ(dynbuf_str(&b), "");
    free(s);
    s = dynbuf_take(&b);
    CHECK_STR_EQ(s, "");
    free(s);
    dynbuf_free(&b);
}

static void test_dynbuf_prealloc(void)
{
    static const struct {
        size_t max, n;
        bool allocates;
    } cases[] = {
        {100, 10, true}, {100, 100, true}, {100, 101, false}, {100, 0, true}, {0, 1, false},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        dynbuf b;

        T_CASE("max %zu n %zu", cases[i].max, cases[i].n);
        dynbuf_init(&b, cases[i].max);
        dynbuf_prealloc(&b, cases[i].n);
        CHECK_INT_EQ(b.buf != NULL, cases[i].allocates);
        CHECK_STR_EQ(dynbuf_str(&b), "");
        CHECK_INT_EQ(dynbuf_len(&b), 0);
        if (cases[i].allocates) {
            char *before = b.buf;

            CHECK_INT_EQ(b.cap, cases[i].n + 1);
            /* filling exactly what was announced does not move the buffer */
            while (dynbuf_len(&b) < cases[i].n)
                CHECK_INT_EQ(dynbuf_addc(&b, 'x'), SNUG_OK);
            CHECK(b.buf == before);
            dynbuf_prealloc(&b, 5); /* a second call does nothing */
            CHECK(b.buf == before);
        }
        /* growing past it still works up to max, and fails beyond */
        while (dynbuf_len(&b) < cases[i].max)
            CHECK_INT_EQ(dynbuf_addc(&b, 'y'), SNUG_OK);
        CHECK_INT_EQ(dynbuf_addc(&b, 'z'), SNUG_ERR_TOO_BIG);
        dynbuf_free(&b);
    }
}

static void test_status_err(void)
{
    snug_err err;

    snug_err_clear(&err);
    CHECK_INT_EQ(snug_err_set(&err, SNUG_ERR_INVALID, "bad %s", "cpu"), SNUG_ERR_INVALID);
    CHECK_INT_EQ(snug_err_prefix(&err, "spec.resources"), SNUG_ERR_INVALID);
    CHECK_STR_EQ(err.msg, "spec.resources: bad cpu");
    CHECK_STR_EQ(snug_status_str(SNUG_ERR_GONE), "gone");
    CHECK_INT_EQ(snug_err_set(NULL, SNUG_ERR_IO, "x"), SNUG_ERR_IO);
    /* wrap returns the failure even without an error context */
    CHECK_INT_EQ(snug_err_wrap(NULL, SNUG_ERR_PARSE, "doc %d", 1), SNUG_ERR_PARSE);
    snug_err_set(&err, SNUG_ERR_IO, "read failed");
    CHECK_INT_EQ(snug_err_wrap(&err, SNUG_ERR_NOT_FOUND, "file %s", "a"), SNUG_ERR_NOT_FOUND);
    CHECK_STR_EQ(err.msg, "file a: read failed");
    CHECK_INT_EQ(err.status, SNUG_ERR_NOT_FOUND);
}

static char captured[LOG_LINE_MAX + 64];

static void capture(const char *line, void *ud)
{
    (void)ud;
    snprintf(captured, sizeof(captured), "%s", line);
}

static void test_log_lines(void)
{
    log_level lvl;
    char big[LOG_LINE_MAX * 2];

    log_set_sink(capture, NULL);
    log_set_level(LOG_INFO);
    captured[0] = '\0';
    snug_log(LOG_DEBUG, "t", "hidden", NULL);
    CHECK_STR_EQ(captured, "");
    snug_log(LOG_WARN, "t", "quote \" and \n newline", "k", "v\x01", "n", NULL, NULL);
    CHECK_STR_CONTAINS(captured, "\"level\":\"warn\"");
    CHECK_STR_CONTAINS(captured, "\"msg\":\"quote \\\" and \\n newline\"");
    CHECK_STR_CONTAINS(captured, "\"k\":\"v\\u0001\"");
    CHECK_STR_CONTAINS(captured, "\"n\":null}");
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    snug_log(LOG_ERROR, "t", "big", "small", "1", "huge", big, NULL);
    CHECK_STR_CONTAINS(captured, "\"small\":\"1\",\"truncated\":true}");
    CHECK_INT_EQ(log_parse_level("WARNING", &lvl), 0);
    CHECK_INT_EQ(lvl, LOG_WARN);
    CHECK_INT_EQ(log_parse_level("loud", &lvl), -1);
    log_set_sink(NULL, NULL);
}

int main(void)
{
    RUN(test_dynbuf_limits);
    RUN(test_dynbuf_grow_and_take);
    RUN(test_dynbuf_prealloc);
    RUN(test_status_err);
    RUN(test_log_lines);
    return TEST_DONE();
}

/* Unit tests for kube_watch: line splitting across arbitrary chunk
 * boundaries, and watch event parsing. */
#include "kube/kube_watch.h"
#include "test.h"

#define MAX_LINES 64

typedef struct collected {
    char *lines[MAX_LINES];
    size_t n;
    size_t stop_after; /* 0: never stop */
} collected;

static int collect(const char *line, size_t len, void *ud)
{
    collected *c = ud;

    CHECK_INT_EQ(strlen(line), len); /* NUL-terminated exactly at len */
    if (c->n < MAX_LINES)
        c->lines[c->n++] = strndup(line, len);
    return c->stop_after > 0 && c->n >= c->stop_after;
}

static void collected_free(collected *c)
{
    size_t i;

    for (i = 0; i < c->n; i++)
        free(c->lines[i]);
    c->n = 0;
}

static const char stream[] =
    "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"1\"}}}\n"
    "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"2\"},"
    "\"data\":{\"k\":\"line\\nbreak inside a string\"}}}\r\n"
    "\n"
    "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":"
    "{\"resourceVersion\":\"3\"}}}\n"
    "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"4\"}}}\n";

static const char *const stream_lines[] = {
    "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"1\"}}}",
    "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"2\"},"
    "\"data\":{\"k\":\"line\\nbreak inside a string\"}}}",
    "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":"
    "{\"resourceVersion\":\"3\"}}}",
    "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"4\"}}}",
};

static void check_stream_lines(collected *c)
{
    size_t i;

    CHECK_INT_EQ(c->n, ARRAY_LEN(stream_lines));
    for (i = 0; i < c->n && i < ARRAY_LEN(stream_lines); i++)
        CHECK_STR_EQ(c->lines[i], stream_lines[i]);
}

/* Feed `stream` in pieces of `chunk` bytes (0: random sizes from seed). */
static void feed_in_chunks(size_t chunk, unsigned seed)
{
    kube_linesplit ls;
    collected c;
    size_t len = strlen(stream);
    size_t pos = 0;

    memset(&c, 0, sizeof(c));
    kube_linesplit_init(&ls, 1 << 16);
    while (pos < len) {
        size_t n = chunk ? chunk : 1 + (size_t)rand_r(&seed) % 40;

        if (n > len - pos)
            n = len - pos;
        CHECK_INT_EQ(kube_linesplit_feed(&ls, stream + pos, n, collect, &c), SNUG_OK);
        pos += n;
    }
    check_stream_lines(&c);
    CHECK_INT_EQ(kube_linesplit_pending(&ls), 0);
    collected_free(&c);
    kube_linesplit_free(&ls);
}

static void test_split_byte_by_byte(void)
{
    T_CASE("1 byte");
    feed_in_chunks(1, 0);
    T_CASE("2 bytes");
    feed_in_chunks(2, 0);
    T_CASE("7 bytes");
    feed_in_chunks(7, 0);
}

static void test_split_big_chunk(void)
{
    T_CASE("one chunk");
    feed_in_chunks(sizeof(stream), 0);
}

static void test_split_random_chunks(void)
{
    unsigned seed;

    for (seed = 1; seed <= 200; seed++) {
        T_CASE("seed %u", seed);
        feed_in_chunks(0, seed);
    }
}

static void test_split_pending_and_limits(void)
{
    kube_linesplit ls;
    collected c;
    char big[100];

    memset(&c, 0, sizeof(c));
    T_CASE("partial line stays pending");
    kube_linesplit_init(&ls, 32);
    CHECK_INT_EQ(kube_linesplit_feed(&ls, "{\"a\":1}\n{\"b\"", 12, collect, &c), SNUG_OK);
    CHECK_INT_EQ(c.n, 1);
    CHECK_INT_EQ(kube_linesplit_pending(&ls), 4);
    CHECK_INT_EQ(kube_linesplit_feed(&ls, ":2}\n", 4, collect, &c), SNUG_OK);
    CHECK_INT_EQ(c.n, 2);
    CHECK_STR_EQ(c.lines[1], "{\"b\":2}");
    collected_free(&c);

    T_CASE("line longer than the maximum");
    memset(big, 'x', sizeof(big));
    CHECK_INT_EQ(kube_linesplit_feed(&ls, big, 20, collect, &c), SNUG_OK);
    CHECK_INT_EQ(kube_linesplit_feed(&ls, big, 20, collect, &c), SNUG_ERR_TOO_BIG);
    kube_linesplit_reset(&ls);
    big[40] = '\n';
    CHECK_INT_EQ(kube_linesplit_feed(&ls, big, 41, collect, &c), SNUG_ERR_TOO_BIG);
    CHECK_INT_EQ(c.n, 0);

    T_CASE("exactly the maximum is fine");
    kube_linesplit_reset(&ls);
    big[32] = '\n';
    CHECK_INT_EQ(kube_linesplit_feed(&ls, big, 33, collect, &c), SNUG_OK);
    CHECK_INT_EQ(c.n, 1);
    collected_free(&c);
    kube_linesplit_free(&ls);

    T_CASE("callback stops the feed");
    kube_linesplit_init(&ls, 1 << 16);
    c.stop_after = 2;
    CHECK_INT_EQ(kube_linesplit_feed(&ls, stream, strlen(stream), collect, &c), SNUG_OK);
    CHECK_INT_EQ(c.n, 2);
    CHECK(ls.stopped);
    CHECK_INT_EQ(kube_linesplit_feed(&ls, "{}\n", 3, collect, &c), SNUG_OK);
    CHECK_INT_EQ(c.n, 2);
    collected_free(&c);
    kube_linesplit_free(&ls);
}

static void test_parse_event(void)
{
    static const struct {
        const char *line;
        snug_status want;
        kube_watch_type type;
        const char *want_name_or_err;
    } cases[] = {
        {"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\"}}}", SNUG_OK,
         KUBE_WATCH_ADDED, "a"},
        {"{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"b\"}}}", SNUG_OK,
         KUBE_WATCH_MODIFIED, "b"},
        {"{\"object\":{\"metadata\":{\"name\":\"c\"}},\"type\":\"DELETED\"}", SNUG_OK,
         KUBE_WATCH_DELETED, "c"},
        {"{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"Pod\",\"metadata\":{\"resourceVersion\":"
         "\"9\",\"annotations\":{\"k8s.io/initial-events-end\":\"true\"}}}}",
         SNUG_OK, KUBE_WATCH_BOOKMARK, NULL},
        {"{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410}}", SNUG_OK,
         KUBE_WATCH_ERROR, NULL},
        {"{\"type\":\"ADDED\"", SNUG_ERR_PARSE, 0, "not a JSON object"},
        {"[1,2]", SNUG_ERR_PARSE, 0, "not a JSON object"},
        {"{\"object\":{}}", SNUG_ERR_PARSE, 0, "type: missing"},
        {"{\"type\":\"RENAMED\",\"object\":{}}", SNUG_ERR_PARSE, 0, "unknown \"RENAMED\""},
        {"{\"type\":\"ADDED\",\"object\":null}", SNUG_ERR_PARSE, 0, "object: missing"},
        {"{\"type\":\"ADDED\"}", SNUG_ERR_PARSE, 0, "object: missing"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        kube_watch_type type = KUBE_WATCH_ERROR;
        cJSON *obj = (cJSON *)1;
        snug_err err;

        T_CASE("%s", cases[i].line);
        snug_err_clear(&err);
        CHECK_INT_EQ(
            kube_watch_parse_event(cases[i].line, strlen(cases[i].line), &type, &obj, &err),
            cases[i].want);
        if (cases[i].want != SNUG_OK) {
            CHECK(obj == NULL);
            CHECK_STR_CONTAINS(err.msg, cases[i].want_name_or_err);
            continue;
        }
        CHECK_INT_EQ(type, cases[i].type);
        CHECK(cJSON_IsObject(obj));
        if (cases[i].want_name_or_err != NULL) {
            const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
            CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "name")),
                         cases[i].want_name_or_err);
        }
        cJSON_Delete(obj);
    }
    CHECK_STR_EQ(kube_watch_type_str(KUBE_WATCH_BOOKMARK), "BOOKMARK");
    CHECK_STR_EQ(kube_watch_type_str((kube_watch_type)99), "UNKNOWN");
}

int main(void)
{
    RUN(test_split_byte_by_byte);
    RUN(test_split_big_chunk);
    RUN(test_split_random_chunks);
    RUN(test_split_pending_and_limits);
    RUN(test_parse_event);
    return TEST_DONE();
}

/* Unit tests for jsonarena: cJSON work inside and outside a window, foreign
 * frees, large allocations, budget, threads. Run under ASan/valgrind in CI. */
#include <pthread.h>
#include <stdbool.h>

#include "json/jsonarena.h"
#include "test.h"

#include <cjson/cJSON.h>

static const char *doc = "{\"a\":[1,2,3],\"b\":{\"c\":\"some text\",\"d\":null},\"e\":true}";

static void test_window_roundtrip(void)
{
    static const struct {
        bool install, window;
    } cases[] = {{false, false}, {false, true}, {true, false}, {true, true}};
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        int opened = 0;
        cJSON *j;
        char *out;

        T_CASE("install=%d window=%d", cases[i].install, cases[i].window);
        if (cases[i].install)
            jsonarena_install();
        if (cases[i].window)
            opened = jsonarena_begin();
        j = cJSON_Parse(doc);
        out = cJSON_PrintUnformatted(j);
        CHECK_STR_EQ(out, doc);
        if (opened)
            CHECK(jsonarena_used() > 0);
        cJSON_free(out);
        cJSON_Delete(j);
        if (opened)
            jsonarena_end();
        CHECK_INT_EQ(jsonarena_used(), 0);
    }
}

static void test_foreign_objects_and_nesting(void)
{
    cJSON *outside, *inside;
    char *big;

    jsonarena_install();
    outside = cJSON_Parse(doc); /* malloc'd: created before the window */
    CHECK_INT_EQ(jsonarena_begin(), 1);
    CHECK_INT_EQ(jsonarena_begin(), 0); /* no nesting */
    inside = cJSON_Duplicate(outside, 1);
    cJSON_AddItemToObject(inside, "copy", cJSON_Duplicate(outside, 1));
    big = cJSON_malloc(JSONARENA_BIG + 1); /* a block of its own */
    CHECK(big != NULL);
    cJSON_free(big);
    cJSON_Delete(outside); /* a foreign tree freed inside the window */
    cJSON_Delete(inside);
    jsonarena_end();
    jsonarena_end(); /* closing twice is harmless */
}

static void test_budget_is_a_hard_limit(void)
{
    size_t n = JSONARENA_BUDGET / 1024 + 64, i, got = 0;
    void **ptrs = calloc(n, sizeof(void *));

    jsonarena_install();
    CHECK_INT_EQ(jsonarena_begin(), 1);
    for (i = 0; i < n; i++) {
        ptrs[i] = cJSON_malloc(1024);
        got += ptrs[i] != NULL;
    }
    CHECK(jsonarena_used() <= JSONARENA_BUDGET);
    CHECK_INT_EQ(got, JSONARENA_BUDGET / 1024); /* all of it, then failures */
    CHECK(cJSON_Parse(doc) == NULL);            /* cJSON sees out of memory */
    for (i = 0; i < n; i++)
        cJSON_free(ptrs[i]);
    jsonarena_end();
    CHECK_INT_EQ(jsonarena_begin(), 1); /* the next window starts afresh */
    CHECK(cJSON_malloc(1000) != NULL);
    jsonarena_end();
    free(ptrs);
}

static void test_big_blocks_stay_in_the_window(void)
{
    static const size_t sizes[] = {JSONARENA_BIG + 1, 3 * JSONARENA_CHUNK, 100};
    unsigned char *p[ARRAY_LEN(sizes)];
    size_t i;

    jsonarena_install();
    CHECK_INT_EQ(jsonarena_begin(), 1);
    for (i = 0; i < ARRAY_LEN(sizes); i++) {
        T_CASE("size %zu", sizes[i]);
        p[i] = cJSON_malloc(sizes[i]);
        CHECK(p[i] != NULL);
        CHECK(jsonarena_owns(p[i]));
        memset(p[i], 0xab, sizes[i]); /* ASan/valgrind: the whole block is ours */
    }
    /* a small allocation after a big one still bumps in the regular chunk */
    CHECK((unsigned char *)cJSON_malloc(16) == p[2] + 112);
    jsonarena_end();
    CHECK(!jsonarena_owns(p[0]));
    /* a window that starts with a big block keeps no oversized chunk */
    CHECK_INT_EQ(jsonarena_begin(), 1);
    CHECK(cJSON_malloc(2 * JSONARENA_CHUNK) != NULL);
    jsonarena_end();
    CHECK_INT_EQ(jsonarena_begin(), 1);
    CHECK(jsonarena_owns(cJSON_malloc(8)));
    jsonarena_end();
}

static void test_delete(void)
{
    cJSON *outside, *inside, *late;

    jsonarena_install();
    outside = cJSON_Parse(doc);
    CHECK_INT_EQ(jsonarena_begin(), 1);
    inside = cJSON_Parse(doc);
    CHECK(jsonarena_owns(inside));
    CHECK(!jsonarena_owns(outside));
    jsonarena_delete(inside);  /* dropped: the window reclaims it */
    jsonarena_delete(outside); /* really freed (valgrind would see a leak) */
    jsonarena_delete(NULL);
    jsonarena_end();
    late = cJSON_Parse(doc); /* no window: a plain cJSON_Delete */
    CHECK(!jsonarena_owns(late));
    jsonarena_delete(late);
}

static void *thread_work(void *arg)
{
    int k;

    (void)arg;
    for (k = 0; k < 200; k++) {
        int opened = jsonarena_begin();
        cJSON *j = cJSON_Parse(doc);
        char *s = cJSON_Print(j);

        cJSON_free(s);
        cJSON_Delete(j);
        if (opened)
            jsonarena_end();
    }
    return NULL;
}

static void test_threads(void)
{
    pthread_t t[4];
    int i;

    jsonarena_install();
    for (i = 0; i < 4; i++)
        CHECK_INT_EQ(pthread_create(&t[i], NULL, thread_work, NULL), 0);
    for (i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
}

int main(void)
{
    RUN(test_window_roundtrip);
    RUN(test_foreign_objects_and_nesting);
    RUN(test_budget_is_a_hard_limit);
    RUN(test_big_blocks_stay_in_the_window);
    RUN(test_delete);
    RUN(test_threads);
    return TEST_DONE();
}

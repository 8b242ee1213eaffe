/* Unit tests for jsonarena: cJSON work inside and outside a window, foreign
 * frees, large allocations, budget, threads. Run under ASan/valgrind in CI. */
#include <pthread.h>
#include <stdbool.h>

#include "jsonarena.h"
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
    big = cJSON_malloc(JSONARENA_BIG + 1); /* goes to malloc */
    CHECK(big != NULL);
    cJSON_free(big);
    cJSON_Delete(outside); /* a foreign tree freed inside the window */
    cJSON_Delete(inside);
    jsonarena_end();
    jsonarena_end(); /* closing twice is harmless */
}

static void test_budget_falls_back_to_malloc(void)
{
    size_t n = JSONARENA_BUDGET / 1024 + 64, i;
    void **ptrs = calloc(n, sizeof(void *));

    jsonarena_install();
    CHECK_INT_EQ(jsonarena_begin(), 1);
    for (i = 0; i < n; i++)
        ptrs[i] = cJSON_malloc(1000);
    CHECK(jsonarena_used() <= JSONARENA_BUDGET);
    for (i = 0; i < n; i++)
        cJSON_free(ptrs[i]);
    jsonarena_end();
    free(ptrs);
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
    RUN(test_budget_falls_back_to_malloc);
    RUN(test_threads);
    return TEST_DONE();
}

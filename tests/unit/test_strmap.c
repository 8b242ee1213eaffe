/* Unit tests for strmap. */
#include "base/strmap.h"
#include "test.h"

static int freed;

static void count_free(void *v)
{
    freed++;
    free(v);
}

static void test_put_get_delete(void)
{
    static const struct {
        const char *op, *key, *value;
        const char *want; /* expected get() after the op; NULL = absent */
    } steps[] = {
        {"put", "a", "1", "1"},        {"put", "b", "2", "2"},   {"put", "a", "3", "3"},
        {"del", "a", NULL, NULL},      {"get", "b", NULL, "2"},  {"del", "zz", NULL, NULL},
        {"put", "", "empty", "empty"}, {"get", "c", NULL, NULL},
    };
    strmap *m = strmap_new(count_free);
    size_t i;

    freed = 0;
    for (i = 0; i < ARRAY_LEN(steps); i++) {
        T_CASE("step %zu %s %s", i, steps[i].op, steps[i].key);
        if (strcmp(steps[i].op, "put") == 0)
            CHECK_INT_EQ(strmap_put(m, steps[i].key, strdup(steps[i].value)), SNUG_OK);
        else if (strcmp(steps[i].op, "del") == 0)
            CHECK_INT_EQ(strmap_delete(m, steps[i].key),
                         strcmp(steps[i].key, "a") == 0 ? SNUG_OK : SNUG_ERR_NOT_FOUND);
        CHECK_STR_EQ(strmap_get(m, steps[i].key), steps[i].want);
    }
    CHECK_INT_EQ(freed, 2); /* replaced "1", deleted "3" */
    CHECK_INT_EQ(strmap_count(m), 2);
    strmap_free(m);
    CHECK_INT_EQ(freed, 4);
}

static void test_many_keys(void)
{
    strmap *m = strmap_new(NULL);
    char key[32];
    size_t pos = 0, seen = 0;
    const char *k;
    void *v;
    long i;

    for (i = 0; i < 20000; i++) {
        snprintf(key, sizeof(key), "ns-%ld/name", i);
        CHECK_INT_EQ(strmap_put(m, key, (void *)(i + 1)), SNUG_OK);
    }
    for (i = 0; i < 20000; i += 2) {
        snprintf(key, sizeof(key), "ns-%ld/name", i);
        CHECK_INT_EQ(strmap_delete(m, key), SNUG_OK);
    }
    CHECK_INT_EQ(strmap_count(m), 10000);
    for (i = 0; i < 20000; i++) {
        snprintf(key, sizeof(key), "ns-%ld/name", i);
        T_CASE("%s", key);
        CHECK_INT_EQ((long)strmap_get(m, key), (i % 2) ? i + 1 : 0);
    }
    while (strmap_next(m, &pos, &k, &v))
        seen++;
    CHECK_INT_EQ(seen, 10000);
    snprintf(key, sizeof(key), "ns-%d/name", 1);
    CHECK_INT_EQ((long)strmap_take(m, key), 2);
    CHECK(strmap_get(m, key) == NULL);
    strmap_free(m);
}

int main(void)
{
    RUN(test_put_get_delete);
    RUN(test_many_keys);
    return TEST_DONE();
}

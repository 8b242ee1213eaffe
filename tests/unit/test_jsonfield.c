/* Unit tests for jsonfield: the field-path helpers and member lookup. The
 * typed getters are exercised through the policy and recommendation tests. */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json/jsonfield.h"
#include "test.h"

/* Both path helpers write what snprintf would, cut included, at every
 * buffer size from 1 up. */
static void test_paths(void)
{
    static const struct {
        const char *parent, *key;
        size_t i;
    } cases[] = {
        {"spec", "containers", 0},
        {"", "metadata", 7},
        {NULL, "kind", 12},
        {"spec.containers[3]", "resources", 1234567},
        {"a", "", 18446744073709551615u},
    };
    char got[80], want[80];
    size_t i, cap;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        const char *parent = cases[i].parent ? cases[i].parent : "";

        T_CASE("%s/%s/%zu", parent, cases[i].key, cases[i].i);
        for (cap = 1; cap <= sizeof(got); cap++) {
            if (parent[0] == '\0')
                snprintf(want, cap, "%s", cases[i].key);
            else
                snprintf(want, cap, "%s.%s", parent, cases[i].key);
            jsonfield_path(got, cap, cases[i].parent, cases[i].key);
            CHECK_STR_EQ(got, want);
            snprintf(want, cap, "%s[%zu]", parent, cases[i].i);
            jsonfield_index_path(got, cap, cases[i].parent, cases[i].i);
            CHECK_STR_EQ(got, want);
        }
    }
    jsonfield_index_path(got, 0, "x", 1); /* writes nothing */
}

/* jsonfield_member answers what cJSON_GetObjectItemCaseSensitive does:
 * exact case, the first of duplicates, NULL for a missing name or a
 * non-object. */
static void test_member(void)
{
    static const char *const keys[] = {"a", "ab", "b", "A", "", "abc", "zz", "ab"};
    cJSON *obj = cJSON_Parse("{\"a\":1,\"ab\":2,\"abc\":3,\"A\":4,\"\":5,\"ab\":6,\"b\":7}");
    cJSON *arr = cJSON_Parse("[1,2]");
    size_t i;

    CHECK(obj != NULL && arr != NULL);
    for (i = 0; i < ARRAY_LEN(keys); i++) {
        T_CASE("%s", keys[i]);
        CHECK(jsonfield_member(obj, keys[i]) == cJSON_GetObjectItemCaseSensitive(obj, keys[i]));
    }
    CHECK_INT_EQ((long long)jsonfield_member(obj, "ab")->valuedouble, 2);
    CHECK(jsonfield_member(arr, "a") == NULL);
    CHECK(jsonfield_member(NULL, "a") == NULL);
    cJSON_Delete(obj);
    cJSON_Delete(arr);
}

int main(void)
{
    RUN(test_paths);
    RUN(test_member);
    return TEST_DONE();
}

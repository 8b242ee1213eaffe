/* Unit tests for decimal.h: unsigned integers as decimal text. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "base/decimal.h"
#include "test.h"

static void test_table(void)
{
    static const struct {
        uint64_t v;
        const char *want;
    } cases[] = {
        {0, "0"},
        {7, "7"},
        {10, "10"},
        {99, "99"},
        {100, "100"},
        {4294967295u, "4294967295"},
        {4294967296u, "4294967296"},
        {UINT64_MAX, "18446744073709551615"},
    };
    char buf[DECIMAL_U64_MAX];
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        T_CASE("%s", cases[i].want);
        CHECK_INT_EQ(decimal_u64(buf, cases[i].v), strlen(cases[i].want));
        CHECK_STR_EQ(buf, cases[i].want);
    }
}

/* Agrees with printf on a spread of values, powers of ten and their
 * neighbours included. */
static void test_against_printf(void)
{
    char got[DECIMAL_U64_MAX], want[32];
    uint64_t v = 1;
    int i;

    for (i = 0; i < 20; i++, v *= 10) {
        uint64_t probes[3] = {v - 1, v, v + 1};
        int k;

        for (k = 0; k < 3; k++) {
            snprintf(want, sizeof(want), "%llu", (unsigned long long)probes[k]);
            T_CASE("%s", want);
            CHECK_INT_EQ(decimal_u64(got, probes[k]), strlen(want));
            CHECK_STR_EQ(got, want);
        }
    }
}

int main(void)
{
    RUN(test_table);
    RUN(test_against_printf);
    return TEST_DONE();
}

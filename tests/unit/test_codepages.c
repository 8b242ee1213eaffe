/* Unit tests for codepages: which /proc/PID/maps lines are code mappings,
 * and a real release in this process (which must keep running its code). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "codepages.h"
#include "test.h"

static void test_parse_line(void)
{
    static const struct {
        const char *line;
        bool code;
        uintptr_t start, end;
    } cases[] = {
        {"7f5076ac5000-7f5076d42000 r-xp 000c5000 fe:00 326295     "
         "/usr/lib/x86_64-linux-gnu/libcrypto.so.3\n",
         true, 0x7f5076ac5000, 0x7f5076d42000},
        {"55d0c0a00000-55d0c0a40000 r-xp 00002000 08:01 42 /opt/snug/bin/snug-webhook (deleted)\n",
         true, 0x55d0c0a00000, 0x55d0c0a40000},
        {"1000-2000 r-xp 00000000 00:00 0 /a", true, 0x1000, 0x2000},
        {"7f5076a00000-7f5076ac5000 r--p 00000000 fe:00 326295 /usr/lib/libcrypto.so.3\n", false, 0,
         0},
        {"7f5076e82000-7f5076e85000 rw-p 00481000 fe:00 326295 /usr/lib/libcrypto.so.3\n", false, 0,
         0},
        {"7f5076e82000-7f5076e85000 r-xs 00000000 00:05 99 /dev/zero (deleted)\n", false, 0, 0},
        {"7ffd5a5f1000-7ffd5a5f3000 r-xp 00000000 00:00 0                          [vdso]\n", false,
         0, 0},
        {"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0   [vsyscall]\n", false, 0, 0},
        {"7f0000000000-7f0000021000 r-xp 00000000 00:00 0 \n", false, 0, 0},
        {"7f0000000000-7f0000021000 r-xp 00000000 00:00 0", false, 0, 0},
        {"2000-1000 r-xp 00000000 00:00 0 /a", false, 0, 0},
        {"garbage", false, 0, 0},
        {"", false, 0, 0},
        {"1000-2000 r-xp", false, 0, 0},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        uintptr_t s = 0, e = 0;

        T_CASE("%s", cases[i].line);
        CHECK(codepages_parse_line(cases[i].line, &s, &e) == cases[i].code);
        if (cases[i].code) {
            CHECK(s == cases[i].start);
            CHECK(e == cases[i].end);
        }
    }
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

/* A real release: this test's own code and its libraries' are handed back,
 * the RSS does not grow, and code from the program, libc and libcjson runs
 * as before (its pages come back on use). */
static void test_release(void)
{
    codepages_stats st;
    snug_err err;
    int v[] = {3, 1, 2};
    cJSON *j;
    char *s;

    CHECK_INT_EQ(codepages_release(&st, &err), SNUG_OK);
    CHECK(st.mappings >= 3); /* the program, libc, libcjson at least */
    CHECK(st.bytes > 0);
    CHECK(st.rss_before_kib > 0 && st.rss_after_kib > 0);
    CHECK(st.rss_after_kib <= st.rss_before_kib + 64);
    qsort(v, 3, sizeof(v[0]), cmp_int);
    CHECK(v[0] == 1 && v[2] == 3);
    j = cJSON_Parse("{\"a\":[1,2,{\"b\":null}]}");
    s = j != NULL ? cJSON_PrintUnformatted(j) : NULL;
    CHECK(s != NULL && strcmp(s, "{\"a\":[1,2,{\"b\":null}]}") == 0);
    cJSON_free(s);
    cJSON_Delete(j);
    /* a second call is as harmless */
    CHECK_INT_EQ(codepages_release(NULL, &err), SNUG_OK);
}

int main(void)
{
    RUN(test_parse_line);
    RUN(test_release);
    return TEST_DONE();
}

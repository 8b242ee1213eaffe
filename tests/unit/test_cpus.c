/* Unit tests for cpus: cgroup quota files in a temp dir. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/cpus.h"
#include "test.h"

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    if (f == NULL)
        return;
    fputs(text, f);
    fclose(f);
}

static void test_quota(void)
{
    static const struct {
        const char *v2; /* cpu.max contents, NULL = absent */
        const char *v1_quota, *v1_period;
        long want_milli;
    } cases[] = {
        {"max 100000\n", NULL, NULL, 0},
        {"200000 100000\n", NULL, NULL, 2000},
        {"150000 100000\n", NULL, NULL, 1500},
        {"50000 100000\n", NULL, NULL, 500},
        {"1 3\n", NULL, NULL, 334},
        {NULL, "-1\n", "100000\n", 0},
        {NULL, "250000\n", "100000\n", 2500},
        {"garbage\n", NULL, NULL, 0},
        {NULL, NULL, NULL, 0},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        char tmpl[] = "/tmp/snug-cpus-XXXXXX";
        char *dir = mkdtemp(tmpl);
        char sub[600], cmd[700];

        T_CASE("row %zu", i);
        if (dir == NULL) {
            T_FAIL("mkdtemp");
            continue;
        }
        snprintf(sub, sizeof(sub), "%s/cpu", dir);
        mkdir(sub, 0755);
        if (cases[i].v2)
            write_file(dir, "cpu.max", cases[i].v2);
        if (cases[i].v1_quota)
            write_file(dir, "cpu/cpu.cfs_quota_us", cases[i].v1_quota);
        if (cases[i].v1_period)
            write_file(dir, "cpu/cpu.cfs_period_us", cases[i].v1_period);
        CHECK_INT_EQ(cpus_cgroup_quota_milli(dir), cases[i].want_milli);
        CHECK(cpus_available(dir) >= 1);
        if (cases[i].want_milli == 500)
            CHECK_INT_EQ(cpus_available(dir), 1);
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            T_FAIL("cleanup");
    }
}

int main(void)
{
    RUN(test_quota);
    return TEST_DONE();
}

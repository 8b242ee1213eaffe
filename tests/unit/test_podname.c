/* Unit tests for podname: a Pod's candidate workloads from its name. */
#include "test.h"

#include "model/podname.h"

static void test_candidates(void)
{
    static const struct {
        const char *pod;
        const char *want; /* "Kind/name,Kind/name,..." in order */
    } cases[] = {
        {"web-7d4b9c8f6-x2x4k", "Deployment/web,DaemonSet/web-7d4b9c8f6,Job/web-7d4b9c8f6,"
                                "Pod/web-7d4b9c8f6-x2x4k"},
        {"my-shop-api-5c9d8b7f4d-4kz9q",
         "Deployment/my-shop-api,DaemonSet/my-shop-api-5c9d8b7f4d,"
         "Job/my-shop-api-5c9d8b7f4d,Pod/my-shop-api-5c9d8b7f4d-4kz9q"},
        {"backup-29112345-q8z2m",
         "CronJob/backup,DaemonSet/backup-29112345,Job/backup-29112345,Pod/backup-29112345-q8z2m"},
        {"db-0", "StatefulSet/db,Pod/db-0"},
        {"db-12", "StatefulSet/db,Pod/db-12"},
        {"db-01", "Pod/db-01"}, /* no leading zero in an ordinal */
        {"node-agent-7xk2p", "DaemonSet/node-agent,Job/node-agent,Pod/node-agent-7xk2p"},
        {"x-24567892-24567", "CronJob/x,Deployment/x,StatefulSet/x-24567892,DaemonSet/x-24567892,"
                             "Job/x-24567892,Pod/x-24567892-24567"},
        /* vowels are not in the alphabet: not a random suffix */
        {"web-abcde", "Pod/web-abcde"},
        /* a hash too short or too long */
        {"web-7d4b9-x2x4k", "DaemonSet/web-7d4b9,Job/web-7d4b9,Pod/web-7d4b9-x2x4k"},
        {"web-7d4b9c8f6bb-x2x4k", "DaemonSet/web-7d4b9c8f6bb,Job/web-7d4b9c8f6bb,"
                                  "Pod/web-7d4b9c8f6bb-x2x4k"},
        /* nothing before the generated parts: not a workload's Pod */
        {"-x2x4k", "Pod/-x2x4k"},
        {"7d4b9c8f6-x2x4k", "DaemonSet/7d4b9c8f6,Job/7d4b9c8f6,Pod/7d4b9c8f6-x2x4k"},
        {"standalone", "Pod/standalone"},
        {"a", "Pod/a"},
        {"trailing-", "Pod/trailing-"},
    };
    size_t i, j, n;
    workload_ref out[PODNAME_MAX_CANDIDATES];
    char got[2048];

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        T_CASE("%s", cases[i].pod);
        n = podname_candidates(cases[i].pod, out, ARRAY_LEN(out));
        got[0] = '\0';
        for (j = 0; j < n; j++) {
            size_t l = strlen(got);
            snprintf(got + l, sizeof(got) - l, "%s%s/%s", j ? "," : "", out[j].kind, out[j].name);
        }
        CHECK_STR_EQ(got, cases[i].want);
    }
}

static void test_bad_input(void)
{
    workload_ref out[PODNAME_MAX_CANDIDATES];
    char longname[WORKLOAD_NAME_MAX + 10];

    T_CASE("NULL, empty, no room");
    CHECK_INT_EQ(podname_candidates(NULL, out, ARRAY_LEN(out)), 0);
    CHECK_INT_EQ(podname_candidates("", out, ARRAY_LEN(out)), 0);
    CHECK_INT_EQ(podname_candidates("web-7d4b9c8f6-x2x4k", out, 0), 0);
    T_CASE("cap 1: the most likely only");
    CHECK_INT_EQ(podname_candidates("web-7d4b9c8f6-x2x4k", out, 1), 1);
    CHECK_STR_EQ(out[0].kind, "Deployment");
    T_CASE("a name too long for a workload_ref");
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    CHECK_INT_EQ(podname_candidates(longname, out, ARRAY_LEN(out)), 0);
    T_CASE("random_chars");
    CHECK(podname_random_chars("bcdfg", 5));
    CHECK(!podname_random_chars("bcdfa", 5));
    CHECK(!podname_random_chars("bc", 5)); /* stops at the terminator */
    CHECK(!podname_random_chars("01234", 5));
}

int main(void)
{
    RUN(test_candidates);
    RUN(test_bad_input);
    return TEST_DONE();
}

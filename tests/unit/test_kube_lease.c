/* Unit tests for the pure parts of kube_lease: the acquire/renew/wait
 * decision and the Lease record conversions. */
#include "kube/kube_lease.h"
#include "test.h"

static void test_decide(void)
{
    static const struct {
        const char *what;
        int exists;
        const char *holder;
        long duration_s;
        int64_t observed_ms, now_ms;
        kube_lease_action want;
    } cases[] = {
        {"no lease object", 0, NULL, 0, 0, 0, KUBE_LEASE_CREATE},
        {"nobody holds it", 1, NULL, 15, 1000, 1000, KUBE_LEASE_ACQUIRE},
        {"released (empty holder)", 1, "", 1, 1000, 1000, KUBE_LEASE_ACQUIRE},
        {"we hold it", 1, "me", 15, 1000, 1000, KUBE_LEASE_RENEW},
        {"we hold it, long unobserved", 1, "me", 15, 0, 999999, KUBE_LEASE_RENEW},
        {"other, just observed", 1, "other", 15, 1000, 1000, KUBE_LEASE_WAIT},
        {"other, 14.999 s unchanged", 1, "other", 15, 1000, 15999, KUBE_LEASE_WAIT},
        {"other, 15 s unchanged", 1, "other", 15, 1000, 16000, KUBE_LEASE_ACQUIRE},
        {"other, record's short duration", 1, "other", 2, 1000, 3000, KUBE_LEASE_ACQUIRE},
        {"other, record's long duration", 1, "other", 60, 1000, 20000, KUBE_LEASE_WAIT},
        {"other, unknown duration uses ours", 1, "other", 0, 1000, 15999, KUBE_LEASE_WAIT},
        {"other, unknown duration expired", 1, "other", 0, 1000, 16000, KUBE_LEASE_ACQUIRE},
        {"holder name is a prefix of ours", 1, "m", 15, 1000, 1000, KUBE_LEASE_WAIT},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        kube_lease_view v;

        T_CASE("%s", cases[i].what);
        v.exists = cases[i].exists;
        v.holder = cases[i].holder;
        v.duration_s = cases[i].duration_s;
        v.observed_ms = cases[i].observed_ms;
        CHECK_INT_EQ(kube_lease_decide(&v, "me", 15000, cases[i].now_ms), cases[i].want);
    }
    CHECK_STR_EQ(kube_lease_action_str(KUBE_LEASE_WAIT), "wait");
    CHECK_STR_EQ(kube_lease_action_str(KUBE_LEASE_ACQUIRE), "acquire");
}

static void test_record_roundtrip(void)
{
    static const char lease_json[] =
        "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{\"name\":"
        "\"snug\",\"namespace\":\"kube-system\",\"resourceVersion\":\"77\"},\"spec\":{"
        "\"holderIdentity\":\"pod-a\",\"leaseDurationSeconds\":15,\"acquireTime\":"
        "\"2026-11-24T22:00:00.000000Z\",\"renewTime\":\"2026-11-24T22:05:00.123456Z\","
        "\"leaseTransitions\":3}}";
    cJSON *lease = cJSON_Parse(lease_json);
    cJSON *empty = cJSON_Parse("{\"metadata\":{\"name\":\"x\"}}");
    kube_lease_record a;
    kube_lease_record b;
    kube_lease_record c;

    CHECK_INT_EQ(kube_lease_record_from_lease(lease, &a), SNUG_OK);
    CHECK_STR_EQ(a.holder, "pod-a");
    CHECK_INT_EQ(a.duration_s, 15);
    CHECK_STR_EQ(a.acquire_time, "2026-11-24T22:00:00.000000Z");
    CHECK_STR_EQ(a.renew_time, "2026-11-24T22:05:00.123456Z");
    CHECK_INT_EQ(a.transitions, 3);

    T_CASE("write into an object without spec, read back");
    CHECK_INT_EQ(kube_lease_record_to_lease(&a, empty), SNUG_OK);
    CHECK_INT_EQ(kube_lease_record_from_lease(empty, &b), SNUG_OK);
    CHECK(kube_lease_record_equal(&a, &b));
    CHECK_STR_EQ(kube_obj_name(empty), "x");

    T_CASE("a changed renewTime is a different record");
    free(b.renew_time);
    b.renew_time = strdup("2026-11-24T22:05:02.000000Z");
    CHECK(!kube_lease_record_equal(&a, &b));

    T_CASE("missing spec reads as nobody");
    CHECK_INT_EQ(kube_lease_record_from_lease(NULL, &c), SNUG_OK);
    CHECK(c.holder == NULL);
    CHECK_INT_EQ(c.transitions, 0);
    CHECK(!kube_lease_record_equal(&a, &c));

    T_CASE("released record: empty holder equals absent holder");
    free(a.holder);
    a.holder = NULL;
    CHECK_INT_EQ(kube_lease_record_to_lease(&a, lease), SNUG_OK);
    CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
                     cJSON_GetObjectItemCaseSensitive(lease, "spec"), "holderIdentity")),
                 "");
    kube_lease_record_clear(&b);
    CHECK_INT_EQ(kube_lease_record_from_lease(lease, &b), SNUG_OK);
    CHECK(b.holder == NULL);
    CHECK(kube_lease_record_equal(&a, &b));
    CHECK_STR_EQ(kube_obj_resource_version(lease), "77"); /* metadata untouched */

    kube_lease_record_clear(&a);
    kube_lease_record_clear(&b);
    kube_lease_record_clear(&c);
    cJSON_Delete(lease);
    cJSON_Delete(empty);
}

static void test_opts_validation(void)
{
    static const struct {
        const char *ns, *name, *id;
        long dur, renew, retry;
        const char *want;
    } cases[] = {
        {NULL, "l", "me", 0, 0, 0, "namespace, name and identity"},
        {"ns", "", "me", 0, 0, 0, "namespace, name and identity"},
        {"ns", "l", NULL, 0, 0, 0, "namespace, name and identity"},
        {"ns", "l", "me", 10000, 10000, 0, "renew deadline 10000 ms must be below"},
        {"ns", "l", "me", 0, 3000, 3000, "retry period 3000 ms must be below"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        kube_lease_opts o;
        kube_lease *l = (kube_lease *)1;
        snug_err err;

        T_CASE("%s", cases[i].want);
        memset(&o, 0, sizeof(o));
        o.ns = cases[i].ns;
        o.name = cases[i].name;
        o.identity = cases[i].id;
        o.lease_duration_ms = cases[i].dur;
        o.renew_deadline_ms = cases[i].renew;
        o.retry_period_ms = cases[i].retry;
        snug_err_clear(&err);
        /* Validation happens before the client is touched, so NULL is fine. */
        CHECK_INT_EQ(kube_lease_new(NULL, &o, &l, &err), SNUG_ERR_INVALID);
        CHECK(l == NULL);
        CHECK_STR_CONTAINS(err.msg, cases[i].want);
    }
}

int main(void)
{
    RUN(test_decide);
    RUN(test_record_roundtrip);
    RUN(test_opts_validation);
    return TEST_DONE();
}

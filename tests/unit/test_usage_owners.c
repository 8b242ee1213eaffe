/* Unit tests for usage_owners: a Pod seen in Prometheus -> its workload,
 * from kube-state-metrics' owner series or the Pod name, with and without
 * the API server's workloads. */
#include "test.h"

#include "controller/usage_owners.h"
#include "controller/workloads.h"

static prom_result *parse(const char *json)
{
    prom_result *r = NULL;
    snug_err err;

    if (prom_result_parse(json, strlen(json), "test", &r, &err) != SNUG_OK)
        fprintf(stderr, "parse: %s\n", err.msg);
    return r;
}

static const char *pod_owners =
    "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
    "{\"metric\":{\"namespace\":\"shop\",\"pod\":\"web-5c9d8b7f4d-4kz9q\",\"owner_kind\":"
    "\"ReplicaSet\",\"owner_name\":\"web-5c9d8b7f4d\"},\"value\":[1,\"1\"]},"
    "{\"metric\":{\"namespace\":\"shop\",\"pod\":\"web-7d4b9c8f6-x2x4k\",\"owner_kind\":"
    "\"ReplicaSet\",\"owner_name\":\"web-7d4b9c8f6\"},\"value\":[1,\"1\"]},"
    "{\"metric\":{\"namespace\":\"shop\",\"pod\":\"db-0\",\"owner_kind\":\"StatefulSet\","
    "\"owner_name\":\"db\"},\"value\":[1,\"1\"]},"
    "{\"metric\":{\"namespace\":\"shop\",\"pod\":\"debug\",\"owner_kind\":\"<none>\","
    "\"owner_name\":\"<none>\"},\"value\":[1,\"1\"]},"
    "{\"metric\":{\"namespace\":\"shop\",\"pod\":\"backup-29112345-q8z2m\",\"owner_kind\":\"Job\","
    "\"owner_name\":\"backup-29112345\"},\"value\":[1,\"1\"]},"
    "{\"metric\":{\"namespace\":\"shop\",\"pod\":\"odd-rs-pod\",\"owner_kind\":\"ReplicaSet\","
    "\"owner_name\":\"odd\"},\"value\":[1,\"1\"]},"
    "{\"metric\":{\"pod\":\"no-namespace\",\"owner_kind\":\"ReplicaSet\",\"owner_name\":\"x\"},"
    "\"value\":[1,\"1\"]}]}}";

static const char *rs_owners =
    "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
    "{\"metric\":{\"namespace\":\"shop\",\"replicaset\":\"web-5c9d8b7f4d\",\"owner_kind\":"
    "\"Deployment\",\"owner_name\":\"web\"},\"value\":[1,\"1\"]}]}}";

static void test_prometheus_only(void)
{
    static const struct {
        const char *pod, *kind, *name;
    } cases[] = {
        /* kube_replicaset_owner names the Deployment */
        {"web-5c9d8b7f4d-4kz9q", "Deployment", "web"},
        /* an earlier ReplicaSet whose owner series is gone: the hash is dropped */
        {"web-7d4b9c8f6-x2x4k", "Deployment", "web"},
        {"db-0", "StatefulSet", "db"},
        {"debug", "Pod", "debug"},
        {"backup-29112345-q8z2m", "CronJob", "backup"},
        /* a ReplicaSet not named like a Deployment's stays a ReplicaSet */
        {"odd-rs-pod", "ReplicaSet", "odd"},
        /* no owner series: the Pod name */
        {"api-6f5b7c9d8-b2c4d", "Deployment", "api"},
        {"agent-7xk2p", "DaemonSet", "agent"},
        {"solo", "Pod", "solo"},
    };
    prom_result *p = parse(pod_owners), *r = parse(rs_owners);
    owner_index *ix = owner_index_new();
    wlset *set = wlset_new(0);
    workload *w, *again;
    snug_err err;
    size_t i;

    CHECK(p != NULL && r != NULL && ix != NULL && set != NULL);
    CHECK_INT_EQ(owner_index_add_pods(ix, p, &err), SNUG_OK);
    CHECK_INT_EQ(owner_index_add_replicasets(ix, r, &err), SNUG_OK);
    for (i = 0; i < ARRAY_LEN(cases); i++) {
        T_CASE("%s", cases[i].pod);
        w = NULL;
        CHECK_INT_EQ(owner_resolve(ix, set, true, "shop", cases[i].pod, &w, &err), SNUG_OK);
        CHECK(w != NULL);
        if (w == NULL)
            continue;
        CHECK_STR_EQ(w->ref.kind, cases[i].kind);
        CHECK_STR_EQ(w->ref.name, cases[i].name);
        CHECK_STR_EQ(w->ns, "shop");
        /* the mapping is remembered */
        CHECK_INT_EQ(owner_resolve(ix, set, true, "shop", cases[i].pod, &again, &err), SNUG_OK);
        CHECK(again == w);
    }
    T_CASE("both ReplicaSets' Pods count toward one Deployment");
    w = wlset_find(set, "shop", "Deployment", "web");
    CHECK(w != NULL && w->pods == 2);
    T_CASE("the same Pod name in another namespace is another Pod");
    CHECK_INT_EQ(owner_resolve(ix, set, true, "other", "db-0", &w, &err), SNUG_OK);
    CHECK(w != NULL && strcmp(w->ns, "other") == 0);
    owner_index_free(ix);
    wlset_free(set);
    prom_result_free(p);
    prom_result_free(r);
}

static void test_with_api_workloads(void)
{
    prom_result *p = parse(pod_owners);
    owner_index *ix = owner_index_new();
    wlset *set = wlset_new(0);
    workload *web, *ds, *w;
    snug_err err;

    CHECK_INT_EQ(owner_index_add_pods(ix, p, &err), SNUG_OK);
    CHECK_INT_EQ(wlset_add(set, "shop", "Deployment", "web", &web, &err), SNUG_OK);
    /* a DaemonSet whose name looks like a Deployment's ReplicaSet */
    CHECK_INT_EQ(wlset_add(set, "shop", "DaemonSet", "api-6f5b7c9d8", &ds, &err), SNUG_OK);
    T_CASE("ksm owner, listed");
    CHECK_INT_EQ(owner_resolve(ix, set, false, "shop", "web-7d4b9c8f6-x2x4k", &w, &err), SNUG_OK);
    CHECK(w == web);
    T_CASE("name candidates: the first that exists wins");
    CHECK_INT_EQ(owner_resolve(ix, set, false, "shop", "api-6f5b7c9d8-b2c4d", &w, &err), SNUG_OK);
    CHECK(w == ds);
    T_CASE("a Pod of no listed workload maps to none, nothing added");
    CHECK_INT_EQ(owner_resolve(ix, set, false, "shop", "db-0", &w, &err), SNUG_OK);
    CHECK(w == NULL);
    CHECK_INT_EQ(set->n, 2);
    T_CASE("without kube-state-metrics");
    CHECK_INT_EQ(owner_resolve(NULL, set, false, "shop", "web-5c9d8b7f4d-4kz9q", &w, &err),
                 SNUG_OK);
    CHECK(w == web);
    owner_index_free(ix);
    wlset_free(set);
    prom_result_free(p);
}

static void test_set_limits(void)
{
    wlset *set = wlset_new(2);
    workload *w;
    wl_container *c;
    snug_err err;
    char longname[WORKLOAD_NAME_MAX + 4];
    int i;

    T_CASE("max workloads");
    CHECK_INT_EQ(wlset_add(set, "a", "Deployment", "x", &w, &err), SNUG_OK);
    CHECK_INT_EQ(wlset_add(set, "a", "Deployment", "y", &w, &err), SNUG_OK);
    CHECK_INT_EQ(wlset_add(set, "a", "Deployment", "x", &w, &err), SNUG_OK); /* existing */
    CHECK_INT_EQ(wlset_add(set, "a", "Deployment", "z", &w, &err), SNUG_ERR_TOO_BIG);
    T_CASE("bad names");
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    CHECK_INT_EQ(wlset_add(set, "", "Deployment", "x", &w, &err), SNUG_ERR_INVALID);
    CHECK_INT_EQ(wlset_add(set, "a", "Deployment", longname, &w, &err), SNUG_ERR_INVALID);
    T_CASE("containers: found, created, capped");
    CHECK_INT_EQ(wlset_add(set, "a", "Deployment", "x", &w, &err), SNUG_OK);
    CHECK(workload_container(w, "app", false) == NULL);
    c = workload_container(w, "app", true);
    CHECK(c != NULL && c->state != NULL && c->requests.cpu_milli == RES_UNSET);
    CHECK(workload_container(w, "app", false) == c);
    for (i = 1; i < WL_MAX_CONTAINERS; i++) {
        char name[16];

        snprintf(name, sizeof(name), "c%d", i);
        CHECK(workload_container(w, name, true) != NULL);
    }
    CHECK(workload_container(w, "one-too-many", true) == NULL);
    CHECK_STR_EQ(workload_api_version("CronJob"), "batch/v1");
    CHECK_STR_EQ(workload_api_version("Pod"), "v1");
    CHECK_STR_EQ(workload_api_version("StatefulSet"), "apps/v1");
    wlset_free(set);
}

int main(void)
{
    RUN(test_prometheus_only);
    RUN(test_with_api_workloads);
    RUN(test_set_limits);
    return TEST_DONE();
}

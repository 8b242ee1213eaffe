/* Unit tests for ctl_metrics: every family in the exposition text with its
 * type and values, counters fed from cumulative figures that never go back,
 * the checkpoint age at scrape time; and the kube_client request counters
 * they read (kube_request_verb, and real requests against a metrics_http
 * listener on 127.0.0.1 and a closed port). */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "controller/ctl_metrics.h"
#include "kube/kube_client.h"
#include "kube/kube_config.h"
#include "metrics/metrics_http.h"
#include "test.h"

#define P "snug_controller_"

/* Render into a malloc'd string (free it). */
static char *render(metrics_registry *r)
{
    dynbuf b;
    snug_err err;

    dynbuf_init(&b, 1 << 20);
    snug_err_clear(&err);
    if (metrics_render(r, &b, &err) != SNUG_OK)
        T_FAIL("render: %s", err.msg);
    return dynbuf_take(&b);
}

/* The value of the sample line "<series> <value>", NaN when absent. */
static double sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    const char *p = text;

    while (p != NULL && *p != '\0') {
        if (strncmp(p, series, n) == 0 && p[n] == ' ')
            return strtod(p + n + 1, NULL);
        p = strchr(p, '\n');
        if (p != NULL)
            p++;
    }
    return NAN;
}

static ctl_metrics *new_or_fail(metrics_registry *r)
{
    ctl_metrics *m = NULL;
    snug_err err;

    snug_err_clear(&err);
    if (ctl_metrics_new(r, &m, &err) != SNUG_OK)
        T_FAIL("ctl_metrics_new: %s", err.msg);
    return m;
}

static double now_unix(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- families ---------------------------------------------------------------------------- */

static void test_families_registered(void)
{
    static const struct {
        const char *name, *type;
    } fams[] = {
        {P "pass_duration_seconds", "histogram"},
        {P "passes_total", "counter"},
        {P "prometheus_queries_total", "counter"},
        {P "prometheus_errors_total", "counter"},
        {P "prometheus_retries_total", "counter"},
        {P "prometheus_bytes_read_total", "counter"},
        {P "api_requests_total", "counter"},
        {P "workloads", "gauge"},
        {P "containers", "gauge"},
        {P "state_bytes", "gauge"},
        {P "recommendations_written_total", "counter"},
        {P "recommendations_unchanged_total", "counter"},
        {P "recommendations_deleted_total", "counter"},
        {P "oom_bumps_total", "counter"},
        {P "policies_refused", "gauge"},
        {P "recommendations_held", "gauge"},
        {P "checkpoint_age_seconds", "gauge"},
        {P "last_pass_timestamp_seconds", "gauge"},
        {P "leader", "gauge"},
        {P "cache_objects", "gauge"},
        {P "cache_bytes", "gauge"},
        {"process_cpu_seconds_total", "counter"},
        {"process_resident_memory_bytes", "gauge"},
    };
    static const char *const zero[] = {
        P "passes_total{result=\"ok\"}",
        P "passes_total{result=\"prometheus_error\"}",
        P "passes_total{result=\"api_error\"}",
        P "passes_total{result=\"skipped_not_leader\"}",
        P "pass_duration_seconds_count{result=\"ok\"}",
        P "pass_duration_seconds_bucket{result=\"api_error\",le=\"+Inf\"}",
        P "prometheus_errors_total{kind=\"http\"}",
        P "prometheus_errors_total{kind=\"timeout\"}",
        P "prometheus_errors_total{kind=\"parse\"}",
        P "prometheus_errors_total{kind=\"prometheus\"}",
        P "prometheus_errors_total{kind=\"transport\"}",
        P "prometheus_queries_total",
        P "workloads",
        P "leader",
        P "last_pass_timestamp_seconds",
        P "oom_bumps_total",
        P "policies_refused",
        P "recommendations_held",
    };
    metrics_registry *r = metrics_registry_new(0);
    ctl_metrics *m = new_or_fail(r);
    char *text = render(r), line[200];
    size_t i;

    for (i = 0; i < ARRAY_LEN(fams); i++) {
        T_CASE("%s", fams[i].name);
        snprintf(line, sizeof(line), "# TYPE %s %s\n", fams[i].name, fams[i].type);
        CHECK_STR_CONTAINS(text, line);
        snprintf(line, sizeof(line), "# HELP %s ", fams[i].name);
        CHECK_STR_CONTAINS(text, line);
    }
    for (i = 0; i < ARRAY_LEN(zero); i++) {
        T_CASE("%s starts at 0", zero[i]);
        CHECK(sample(text, zero[i]) == 0);
    }
    T_CASE("no API series before a request is seen");
    CHECK(strstr(text, P "api_requests_total{") == NULL);
    free(text);
    ctl_metrics_free(m);
    metrics_registry_free(r);
}

static void test_new_failures(void)
{
    metrics_registry *r = metrics_registry_new(0);
    ctl_metrics *m = new_or_fail(r), *again = (ctl_metrics *)r;
    snug_err err;

    T_CASE("a registry that has the families already");
    snug_err_clear(&err);
    CHECK_INT_EQ(ctl_metrics_new(r, &again, &err), SNUG_ERR_INVALID);
    CHECK(again == NULL);
    CHECK_STR_CONTAINS(err.msg, P "pass_duration_seconds");
    T_CASE("no registry");
    CHECK_INT_EQ(ctl_metrics_new(NULL, &again, &err), SNUG_ERR_INVALID);
    T_CASE("NULL handles are ignored");
    ctl_metrics_pass(NULL, 1, "ok");
    ctl_metrics_prom(NULL, NULL);
    ctl_metrics_kube(NULL);
    ctl_metrics_tracked(NULL, 1, 1, 1);
    ctl_metrics_writes(NULL, 1, 1, 1);
    ctl_metrics_oom_bumps(NULL, 1);
    ctl_metrics_policies(NULL, 1, 1);
    ctl_metrics_checkpoint(NULL, 1);
    ctl_metrics_leader(NULL, true);
    ctl_metrics_last_pass(NULL, 1);
    ctl_metrics_free(NULL);
    ctl_metrics_free(m);
    metrics_registry_free(r);
}

static void test_passes(void)
{
    metrics_registry *r = metrics_registry_new(0);
    ctl_metrics *m = new_or_fail(r);
    char *text;

    ctl_metrics_pass(m, 2.0, CTL_PASS_OK);
    ctl_metrics_pass(m, 45.5, CTL_PASS_OK);
    ctl_metrics_pass(m, 0.05, CTL_PASS_SKIPPED_NOT_LEADER);
    ctl_metrics_pass(m, 7, CTL_PASS_PROMETHEUS_ERROR);
    ctl_metrics_pass(m, 1, "strange");
    ctl_metrics_pass(m, 1, NULL);
    text = render(r);
    T_CASE("passes_total");
    CHECK(sample(text, P "passes_total{result=\"ok\"}") == 2);
    CHECK(sample(text, P "passes_total{result=\"skipped_not_leader\"}") == 1);
    CHECK(sample(text, P "passes_total{result=\"prometheus_error\"}") == 1);
    CHECK(sample(text, P "passes_total{result=\"api_error\"}") == 0);
    CHECK(sample(text, P "passes_total{result=\"strange\"}") == 1);
    CHECK(sample(text, P "passes_total{result=\"unknown\"}") == 1);
    T_CASE("pass_duration_seconds");
    CHECK(sample(text, P "pass_duration_seconds_bucket{result=\"ok\",le=\"1\"}") == 0);
    CHECK(sample(text, P "pass_duration_seconds_bucket{result=\"ok\",le=\"2.5\"}") == 1);
    CHECK(sample(text, P "pass_duration_seconds_bucket{result=\"ok\",le=\"30\"}") == 1);
    CHECK(sample(text, P "pass_duration_seconds_bucket{result=\"ok\",le=\"60\"}") == 2);
    CHECK(sample(text, P "pass_duration_seconds_bucket{result=\"ok\",le=\"1800\"}") == 2);
    CHECK(sample(text, P "pass_duration_seconds_bucket{result=\"ok\",le=\"+Inf\"}") == 2);
    CHECK(sample(text, P "pass_duration_seconds_count{result=\"ok\"}") == 2);
    CHECK(sample(text, P "pass_duration_seconds_sum{result=\"ok\"}") == 47.5);
    CHECK(sample(text,
                 P "pass_duration_seconds_bucket{result=\"skipped_not_leader\",le=\"0.1\"}") == 1);
    free(text);
    ctl_metrics_free(m);
    metrics_registry_free(r);
}

static void test_prom_deltas(void)
{
    metrics_registry *r = metrics_registry_new(0);
    ctl_metrics *m = new_or_fail(r);
    prom_stats a = {.queries = 10,
                    .errors_http = 1,
                    .errors_timeout = 2,
                    .errors_parse = 3,
                    .errors_prometheus = 4,
                    .errors_transport = 5,
                    .retries = 6,
                    .bytes_read = 1000};
    prom_stats b = a, fresh = {.queries = 3, .errors_timeout = 1, .bytes_read = 50};
    char *text;

    ctl_metrics_prom(m, &a);
    T_CASE("first figures taken whole");
    text = render(r);
    CHECK(sample(text, P "prometheus_queries_total") == 10);
    CHECK(sample(text, P "prometheus_errors_total{kind=\"http\"}") == 1);
    CHECK(sample(text, P "prometheus_errors_total{kind=\"timeout\"}") == 2);
    CHECK(sample(text, P "prometheus_errors_total{kind=\"parse\"}") == 3);
    CHECK(sample(text, P "prometheus_errors_total{kind=\"prometheus\"}") == 4);
    CHECK(sample(text, P "prometheus_errors_total{kind=\"transport\"}") == 5);
    CHECK(sample(text, P "prometheus_retries_total") == 6);
    CHECK(sample(text, P "prometheus_bytes_read_total") == 1000);
    free(text);
    T_CASE("the same figures again add nothing");
    ctl_metrics_prom(m, &a);
    text = render(r);
    CHECK(sample(text, P "prometheus_queries_total") == 10);
    CHECK(sample(text, P "prometheus_errors_total{kind=\"transport\"}") == 5);
    free(text);
    T_CASE("growth adds the difference");
    b.queries = 25;
    b.errors_prometheus = 9;
    b.bytes_read = 4096;
    ctl_metrics_prom(m, &b);
    text = render(r);
    CHECK(sample(text, P "prometheus_queries_total") == 25);
    CHECK(sample(text, P "prometheus_errors_total{kind=\"prometheus\"}") == 9);
    CHECK(sample(text, P "prometheus_errors_total{kind=\"http\"}") == 1);
    CHECK(sample(text, P "prometheus_bytes_read_total") == 4096);
    free(text);
    T_CASE("a new client (figures went down): added whole, never back");
    ctl_metrics_prom(m, &fresh);
    text = render(r);
    CHECK(sample(text, P "prometheus_queries_total") == 28);
    CHECK(sample(text, P "prometheus_errors_total{kind=\"timeout\"}") == 3);
    CHECK(sample(text, P "prometheus_errors_total{kind=\"prometheus\"}") == 9);
    CHECK(sample(text, P "prometheus_retries_total") == 6);
    CHECK(sample(text, P "prometheus_bytes_read_total") == 4146);
    free(text);
    T_CASE("and it grows from there");
    fresh.queries = 5;
    ctl_metrics_prom(m, &fresh);
    text = render(r);
    CHECK(sample(text, P "prometheus_queries_total") == 30);
    free(text);
    ctl_metrics_free(m);
    metrics_registry_free(r);
}

static void test_gauges_and_counters(void)
{
    metrics_registry *r = metrics_registry_new(0);
    ctl_metrics *m = new_or_fail(r);
    char *text;

    ctl_metrics_tracked(m, 120, 310, 5u << 20);
    ctl_metrics_writes(m, 7, 100, 2);
    ctl_metrics_writes(m, 1, 110, 0);
    ctl_metrics_oom_bumps(m, 2);
    ctl_metrics_oom_bumps(m, 1);
    ctl_metrics_leader(m, true);
    ctl_metrics_last_pass(m, 1796000000.5);
    ctl_metrics_policies(m, 2, 5);
    text = render(r);
    T_CASE("first values");
    CHECK(sample(text, P "workloads") == 120);
    CHECK(sample(text, P "containers") == 310);
    CHECK(sample(text, P "state_bytes") == 5u << 20);
    CHECK(sample(text, P "recommendations_written_total") == 8);
    CHECK(sample(text, P "recommendations_unchanged_total") == 210);
    CHECK(sample(text, P "recommendations_deleted_total") == 2);
    CHECK(sample(text, P "oom_bumps_total") == 3);
    CHECK(sample(text, P "leader") == 1);
    CHECK(sample(text, P "policies_refused") == 2);
    CHECK(sample(text, P "recommendations_held") == 5);
    CHECK_STR_CONTAINS(text, "\n" P "last_pass_timestamp_seconds 1796000000.5\n");
    free(text);
    T_CASE("gauges follow, down too");
    ctl_metrics_tracked(m, 3, 4, 0);
    ctl_metrics_leader(m, false);
    ctl_metrics_policies(m, 0, 0);
    text = render(r);
    CHECK(sample(text, P "workloads") == 3);
    CHECK(sample(text, P "containers") == 4);
    CHECK(sample(text, P "state_bytes") == 0);
    CHECK(sample(text, P "leader") == 0);
    CHECK(sample(text, P "policies_refused") == 0);
    CHECK(sample(text, P "recommendations_held") == 0);
    free(text);
    T_CASE("sizing: requested vs recommended by resource");
    ctl_metrics_sizing(m, 12.5, 4.25, 64.0 * (1 << 30), 20.0 * (1 << 30));
    text = render(r);
    T_CASE("sizing from millicores: 593m reads 0.593");
    ctl_metrics_sizing(m, 593 / 1000.0, 650 / 1000.0, 1, 2);
    free(text);
    text = render(r);
    CHECK_STR_CONTAINS(text, "\n" P "requested{resource=\"cpu\"} 0.593\n");
    CHECK_STR_CONTAINS(text, "\n" P "recommended{resource=\"cpu\"} 0.65\n");
    ctl_metrics_sizing(m, 12.5, 4.25, 64.0 * (1 << 30), 20.0 * (1 << 30));
    free(text);
    text = render(r);
    CHECK_STR_CONTAINS(text, "\n" P "requested{resource=\"cpu\"} 12.5\n");
    CHECK_STR_CONTAINS(text, "\n" P "recommended{resource=\"cpu\"} 4.25\n");
    CHECK_STR_CONTAINS(text, "\n" P "requested{resource=\"memory\"} 68719476736\n");
    CHECK_STR_CONTAINS(text, "\n" P "recommended{resource=\"memory\"} 21474836480\n");
    free(text);
    T_CASE("cache sizes by resource");
    ctl_metrics_cache(m, "pods", 6000, 9961472);
    ctl_metrics_cache(m, "deployments", 2000, 5400000);
    ctl_metrics_cache(m, "pods", 5999, 9960000);
    ctl_metrics_cache(m, NULL, 1, 1); /* ignored */
    text = render(r);
    CHECK_STR_CONTAINS(text, "\n" P "cache_objects{resource=\"pods\"} 5999\n");
    CHECK_STR_CONTAINS(text, "\n" P "cache_bytes{resource=\"pods\"} 9960000\n");
    CHECK_STR_CONTAINS(text, "\n" P "cache_objects{resource=\"deployments\"} 2000\n");
    CHECK_STR_CONTAINS(text, "\n" P "cache_bytes{resource=\"deployments\"} 5400000\n");
    free(text);
    ctl_metrics_free(m);
    metrics_registry_free(r);
}

static void test_checkpoint_age(void)
{
    metrics_registry *r = metrics_registry_new(0);
    ctl_metrics *m = new_or_fail(r);
    char *text;
    double age;

    T_CASE("before any checkpoint: time since start");
    text = render(r);
    age = sample(text, P "checkpoint_age_seconds");
    CHECK(age >= 0 && age < 5);
    free(text);
    T_CASE("saved 100 s ago");
    ctl_metrics_checkpoint(m, now_unix() - 100);
    text = render(r);
    CHECK_DBL_NEAR(sample(text, P "checkpoint_age_seconds"), 100, 5);
    free(text);
    T_CASE("bad times are ignored");
    ctl_metrics_checkpoint(m, 0);
    ctl_metrics_checkpoint(m, NAN);
    ctl_metrics_checkpoint(m, -5);
    text = render(r);
    CHECK_DBL_NEAR(sample(text, P "checkpoint_age_seconds"), 100, 5);
    free(text);
    T_CASE("a clock behind the checkpoint: 0, not negative");
    ctl_metrics_checkpoint(m, now_unix() + 3600);
    text = render(r);
    CHECK(sample(text, P "checkpoint_age_seconds") == 0);
    free(text);
    T_CASE("computed at each scrape");
    ctl_metrics_checkpoint(m, now_unix() - 1000);
    text = render(r);
    CHECK_DBL_NEAR(sample(text, P "checkpoint_age_seconds"), 1000, 5);
    free(text);
    T_CASE("after ctl_metrics_free the last age stays");
    ctl_metrics_free(m);
    text = render(r);
    CHECK_DBL_NEAR(sample(text, P "checkpoint_age_seconds"), 1000, 5);
    free(text);
    metrics_registry_free(r);
}

/* ---- kube request counters ----------------------------------------------------------------- */

static void test_request_verb(void)
{
    static const struct {
        const char *method, *path;
        kube_verb want;
    } cases[] = {
        {"GET", "/api/v1/namespaces/a/pods/p", KUBE_VERB_GET},
        {"GET", "/api/v1/namespaces/a/pods/p/log", KUBE_VERB_GET},
        {"GET", "/api/v1/namespaces/a/pods", KUBE_VERB_LIST},
        {"GET", "/api/v1/namespaces/a/pods?limit=500&continue=x", KUBE_VERB_LIST},
        {"GET", "/api/v1/pods", KUBE_VERB_LIST},
        {"GET", "/api/v1/namespaces", KUBE_VERB_LIST},
        {"GET", "/api/v1/namespaces/", KUBE_VERB_LIST},
        {"GET", "/api/v1/namespaces/kube-system", KUBE_VERB_GET},
        {"GET", "/api/v1/namespaces/kube-system/status", KUBE_VERB_GET},
        {"GET", "/api/v1/namespaces/kube-system/finalize", KUBE_VERB_GET},
        {"GET", "/api/v1/nodes/n1", KUBE_VERB_GET},
        {"GET", "/apis/apps/v1/namespaces/a/deployments", KUBE_VERB_LIST},
        {"GET", "/apis/apps/v1/namespaces/a/deployments/d", KUBE_VERB_GET},
        {"GET", "/apis/apps/v1/namespaces/a/deployments/d/scale", KUBE_VERB_GET},
        {"GET", "/apis/apps/v1/deployments", KUBE_VERB_LIST},
        {"GET", "/apis/snug.dev/v1alpha1/namespaces/a/recommendations?limit=500", KUBE_VERB_LIST},
        {"GET", "/apis/coordination.k8s.io/v1/namespaces/s/leases/snug", KUBE_VERB_GET},
        {"GET", "/api/v1/namespaces/a/pods?watch=true&resourceVersion=5", KUBE_VERB_WATCH},
        {"GET", "/api/v1/pods?allowWatchBookmarks=true&watch=1", KUBE_VERB_WATCH},
        {"GET", "/api/v1/pods?watch=false", KUBE_VERB_LIST},
        {"GET", "/api/v1/pods?nowatch=true", KUBE_VERB_LIST},
        {"GET", "/api/v1/pods?watch=truex", KUBE_VERB_LIST},
        {"GET", "/api/v1/watch/namespaces/a/pods", KUBE_VERB_WATCH},
        {"GET", "/api", KUBE_VERB_GET},
        {"GET", "/api/v1", KUBE_VERB_GET},
        {"GET", "/apis/apps/v1", KUBE_VERB_GET},
        {"GET", "/apis", KUBE_VERB_GET},
        {"GET", "/version", KUBE_VERB_GET},
        {"GET", "/", KUBE_VERB_GET},
        {"GET", "", KUBE_VERB_GET},
        {"GET", "/a/b/c/d/e/f/g/h/i/j/k/l", KUBE_VERB_GET},
        {"POST", "/api/v1/namespaces/a/events", KUBE_VERB_CREATE},
        {"PUT", "/apis/coordination.k8s.io/v1/namespaces/s/leases/snug", KUBE_VERB_UPDATE},
        {"PATCH", "/apis/snug.dev/v1alpha1/namespaces/a/recommendations/r/status?fieldManager=s",
         KUBE_VERB_PATCH},
        {"DELETE", "/apis/snug.dev/v1alpha1/namespaces/a/recommendations/r", KUBE_VERB_DELETE},
        {"DELETE", "/apis/snug.dev/v1alpha1/namespaces/a/recommendations", KUBE_VERB_DELETE},
        {"HEAD", "/api/v1/pods", KUBE_VERB_OTHER},
        {"get", "/api/v1/pods", KUBE_VERB_OTHER},
        {NULL, "/api/v1/pods", KUBE_VERB_OTHER},
        {"GET", NULL, KUBE_VERB_OTHER},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        T_CASE("%s %s", cases[i].method ? cases[i].method : "(null)",
               cases[i].path ? cases[i].path : "(null)");
        CHECK_STR_EQ(kube_verb_name(kube_request_verb(cases[i].method, cases[i].path)),
                     kube_verb_name(cases[i].want));
    }
}

static void test_code_class(void)
{
    static const struct {
        long code;
        const char *want;
    } cases[] = {{0, "error"}, {-1, "error"},  {100, "other"}, {200, "2xx"}, {201, "2xx"},
                 {299, "2xx"}, {304, "other"}, {400, "4xx"},   {404, "4xx"}, {429, "4xx"},
                 {499, "4xx"}, {500, "5xx"},   {503, "5xx"},   {599, "5xx"}, {600, "other"}};
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        T_CASE("%ld", cases[i].code);
        CHECK_STR_EQ(kube_code_class_name(kube_code_class_of(cases[i].code)), cases[i].want);
    }
    T_CASE("names out of range");
    CHECK_STR_EQ(kube_verb_name(KUBE_VERB_COUNT), "?");
    CHECK_STR_EQ(kube_code_class_name(KUBE_CODE_COUNT), "?");
    CHECK_STR_EQ(kube_verb_name(KUBE_VERB_WATCH), "WATCH");
}

static bool never(void *ud, char *reason, size_t cap)
{
    (void)ud;
    snprintf(reason, cap, "down");
    return false;
}

static kube_client *client_for(int port)
{
    char doc_text[512];
    cJSON *doc;
    kube_config *cfg = NULL;
    kube_client *c = NULL;
    snug_err err;

    snprintf(doc_text, sizeof(doc_text),
             "{\"current-context\":\"t\",\"contexts\":[{\"name\":\"t\",\"context\":{\"cluster\":"
             "\"c\",\"user\":\"u\"}}],\"clusters\":[{\"name\":\"c\",\"cluster\":{\"server\":"
             "\"http://127.0.0.1:%d\"}}],\"users\":[{\"name\":\"u\",\"user\":{\"token\":\"t\"}}]}",
             port);
    doc = cJSON_Parse(doc_text);
    snug_err_clear(&err);
    if (kube_config_from_doc(doc, "/", NULL, "test", &cfg, &err) != SNUG_OK)
        T_FAIL("kube_config_from_doc: %s", err.msg);
    cJSON_Delete(doc);
    if (cfg != NULL &&
        kube_client_new(cfg, &(kube_client_opts){.qps = 1000, .burst = 1000}, &c, &err) != SNUG_OK)
        T_FAIL("kube_client_new: %s", err.msg);
    kube_config_free(cfg);
    return c;
}

/* A port nothing listens on (bound, then closed). */
static int closed_port(void)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static uint64_t count_of(const kube_request_stats *s, kube_verb v, kube_code_class k)
{
    return s->counts[v][k];
}

/* Real requests through kube_client, answered by a metrics_http listener
 * (which answers API paths with 404 and a POST with 405), then rendered. */
static void test_kube_requests(void)
{
    metrics_registry *r = metrics_registry_new(0), *served = metrics_registry_new(0);
    ctl_metrics *m = new_or_fail(r);
    metrics_http *h = NULL;
    kube_client *c = NULL, *dead = NULL;
    kube_request_stats before, after;
    snug_err err;
    char *text;
    int i;

    if (metrics_http_start(
            &(metrics_http_opts){.address = "127.0.0.1", .registry = served, .healthy = never}, &h,
            &err) != SNUG_OK) {
        T_FAIL("metrics_http_start: %s", err.msg);
        goto out;
    }
    c = client_for(metrics_http_port(h));
    dead = client_for(closed_port());
    if (c == NULL || dead == NULL)
        goto out;
    kube_request_counts(&before);
    for (i = 0; i < 3; i++) /* LIST, 404 */
        kube_request(c, "GET", "/api/v1/namespaces/a/pods?limit=5", NULL, NULL, 1 << 16, NULL,
                     NULL);
    kube_request(c, "GET", "/metrics", NULL, NULL, 1 << 20, NULL, NULL); /* GET 2xx */
    kube_request(c, "GET", "/healthz", NULL, NULL, 1 << 16, NULL, NULL); /* GET 5xx */
    kube_request(c, "POST", "/metrics", "application/json", "{}", 1 << 16, NULL,
                 NULL); /* CREATE 405: 4xx */
    kube_request(dead, "DELETE", "/api/v1/namespaces/a/pods/p", NULL, NULL, 1 << 16, NULL,
                 NULL); /* no answer: error */
    kube_request_counts(&after);
    T_CASE("kube_request_counts");
    CHECK_INT_EQ(count_of(&after, KUBE_VERB_LIST, KUBE_CODE_4XX) -
                     count_of(&before, KUBE_VERB_LIST, KUBE_CODE_4XX),
                 3);
    CHECK_INT_EQ(count_of(&after, KUBE_VERB_GET, KUBE_CODE_2XX) -
                     count_of(&before, KUBE_VERB_GET, KUBE_CODE_2XX),
                 1);
    CHECK_INT_EQ(count_of(&after, KUBE_VERB_GET, KUBE_CODE_5XX) -
                     count_of(&before, KUBE_VERB_GET, KUBE_CODE_5XX),
                 1);
    CHECK_INT_EQ(count_of(&after, KUBE_VERB_CREATE, KUBE_CODE_4XX) -
                     count_of(&before, KUBE_VERB_CREATE, KUBE_CODE_4XX),
                 1);
    CHECK_INT_EQ(count_of(&after, KUBE_VERB_DELETE, KUBE_CODE_ERROR) -
                     count_of(&before, KUBE_VERB_DELETE, KUBE_CODE_ERROR),
                 1);
    T_CASE("api_requests_total (this process made no other requests)");
    ctl_metrics_kube(m);
    ctl_metrics_kube(m); /* nothing new: nothing added */
    text = render(r);
    CHECK(sample(text, P "api_requests_total{verb=\"LIST\",code=\"4xx\"}") == 3);
    CHECK(sample(text, P "api_requests_total{verb=\"GET\",code=\"2xx\"}") == 1);
    CHECK(sample(text, P "api_requests_total{verb=\"GET\",code=\"5xx\"}") == 1);
    CHECK(sample(text, P "api_requests_total{verb=\"CREATE\",code=\"4xx\"}") == 1);
    CHECK(sample(text, P "api_requests_total{verb=\"DELETE\",code=\"error\"}") == 1);
    CHECK(isnan(sample(text, P "api_requests_total{verb=\"WATCH\",code=\"2xx\"}")));
    free(text);
    T_CASE("later requests add to it");
    kube_request(c, "GET", "/api/v1/namespaces/a/pods", NULL, NULL, 1 << 16, NULL, NULL);
    ctl_metrics_kube(m);
    text = render(r);
    CHECK(sample(text, P "api_requests_total{verb=\"LIST\",code=\"4xx\"}") == 4);
    free(text);
out:
    kube_client_free(c);
    kube_client_free(dead);
    metrics_http_stop(h);
    ctl_metrics_free(m);
    metrics_registry_free(r);
    metrics_registry_free(served);
}

int main(void)
{
    log_set_level(LOG_OFF);
    RUN(test_families_registered);
    RUN(test_new_failures);
    RUN(test_passes);
    RUN(test_prom_deltas);
    RUN(test_gauges_and_counters);
    RUN(test_checkpoint_age);
    RUN(test_request_verb);
    RUN(test_code_class);
    RUN(test_kube_requests);
    return TEST_DONE();
}

/* Unit tests for report and report_object: the recommend report in every
 * format; the json and yaml Lists read back as the webhook reads them. */
#include "test.h"

#include "base/dynbuf.h"
#include "controller/report.h"
#include "model/policy.h"
#include "model/recommendation.h"
#include "yaml/yamljson.h"

#define NOW 1764979200 /* 2025-12-06T00:00:00Z */

static void result(rec_result *r, int64_t cpu, int64_t mem, int64_t memlim, unsigned flags,
                   const char *reason)
{
    memset(r, 0, sizeof(*r));
    r->c.target.cpu_milli = cpu;
    r->c.target.mem_bytes = mem;
    r->c.lower_bound.cpu_milli = cpu == RES_UNSET ? RES_UNSET : cpu / 2;
    r->c.lower_bound.mem_bytes = RES_UNSET;
    r->c.upper_bound.cpu_milli = cpu == RES_UNSET ? RES_UNSET : cpu * 4;
    r->c.upper_bound.mem_bytes = mem;
    r->c.limits.cpu_milli = RES_UNSET;
    r->c.limits.mem_bytes = memlim;
    r->c.observed.cpu_p50_milli = r->c.observed.cpu_p90_milli = RES_UNSET;
    r->c.observed.cpu_p99_milli = r->c.observed.cpu_max_milli = RES_UNSET;
    r->c.observed.memory_peak_bytes = RES_UNSET;
    r->c.confidence = 0.8;
    r->flags = flags;
    snprintf(r->reason, sizeof(r->reason), "%s", reason);
}

typedef struct fixture {
    wlset *set;
    policy *pol;
    report *rep;
} fixture;

static void fixture_build(fixture *f)
{
    workload *w;
    wl_container *app, *side;
    const wl_container *cs[2];
    rec_result res[2];
    snug_err err;

    f->set = wlset_new(0);
    f->pol = policy_builtin_default();
    f->rep = report_new();
    CHECK(f->set && f->pol && f->rep);
    CHECK_INT_EQ(wlset_add(f->set, "shop", "Deployment", "web", &w, &err), SNUG_OK);
    w->pol = f->pol;
    app = workload_container(w, "app", true);
    side = workload_container(w, "log, \"shipper\"", true);
    app->requests.cpu_milli = 100;
    app->requests.mem_bytes = 128 << 20;
    cs[0] = app;
    cs[1] = side;
    result(&res[0], 250, 300 << 20, 512 << 20, REC_OOM_BUMP, "OOM-killed 2x at 256Mi");
    res[0].c.is_go = true;
    res[0].c.gomaxprocs = 2;
    res[0].c.gomemlimit_bytes = 483183820;
    result(&res[1], RES_UNSET, RES_UNSET, RES_UNSET, REC_NO_METRICS, "");
    CHECK_INT_EQ(report_add(f->rep, w, cs, res, 2, NOW, &err), SNUG_OK);
    CHECK_INT_EQ(wlset_add(f->set, "batch", "CronJob", "backup", &w, &err), SNUG_OK);
    w->pol = f->pol;
    app = workload_container(w, "job", true);
    cs[0] = app;
    result(&res[0], 1500, 1 << 30, RES_UNSET, REC_LOW_CONFIDENCE, "history 3h of 24h");
    CHECK_INT_EQ(report_add(f->rep, w, cs, res, 1, NOW, &err), SNUG_OK);
}

static void fixture_free(fixture *f)
{
    report_free(f->rep);
    policy_free(f->pol);
    wlset_free(f->set);
}

static char *print(const report *r, report_format fmt, bool color)
{
    dynbuf b;
    snug_err err;

    dynbuf_init(&b, 1 << 20);
    snug_err_clear(&err);
    CHECK_INT_EQ(report_print(r, fmt, color, &b, &err), SNUG_OK);
    return dynbuf_take(&b);
}

static void check_recommendations(const cJSON *docs)
{
    rec_set *set = NULL;
    const recommendation *r;
    const rec_container *c;
    snug_err err;

    snug_err_clear(&err);
    CHECK_INT_EQ(rec_set_load(docs, NULL, &set, &err), SNUG_OK);
    if (set == NULL) {
        fprintf(stderr, "%s\n", err.msg);
        return;
    }
    CHECK_INT_EQ(rec_set_count(set), 2);
    r = rec_set_find(set, "shop", "Deployment", "web");
    CHECK(r != NULL);
    if (r == NULL)
        goto out;
    CHECK_STR_EQ(r->name, "deployment-web");
    CHECK_STR_EQ(r->target_api_version, "apps/v1");
    CHECK_STR_EQ(r->policy, "snug-default");
    c = recommendation_container(r, "app");
    CHECK(c != NULL && c->target.cpu_milli == 250 && c->target.mem_bytes == 300 << 20);
    CHECK(c != NULL && c->limits.mem_bytes == 512 << 20 && c->is_go && c->gomaxprocs == 2);
    CHECK(c != NULL && c->gomemlimit_bytes == 483183820);
    c = recommendation_container(r, "log, \"shipper\"");
    CHECK(c != NULL && c->target.cpu_milli == RES_UNSET);
    r = rec_set_find(set, "batch", "CronJob", "backup");
    CHECK(r != NULL && strcmp(r->target_api_version, "batch/v1") == 0);
out:
    rec_set_free(set);
}

static void test_json_and_yaml(void)
{
    fixture f;
    char *json, *yaml;
    cJSON *doc, *docs = NULL;
    snug_err err;

    fixture_build(&f);
    json = print(f.rep, REPORT_JSON, false);
    doc = cJSON_Parse(json);
    CHECK(doc != NULL);
    CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(doc, "kind")), "List");
    CHECK_STR_CONTAINS(json, "\"type\": \"NoMetrics\"");
    CHECK_STR_CONTAINS(json, "\"message\": \"no usage samples for: log, \\\"shipper\\\"\"");
    CHECK_STR_CONTAINS(json, "\"lastUpdated\": \"2025-12-06T00:00:00Z\"");
    CHECK_STR_CONTAINS(json, "\"reason\": \"OOM-killed 2x at 256Mi\"");
    CHECK_STR_CONTAINS(json, "\"gomemlimit\": \"483183820B\"");
    CHECK_STR_CONTAINS(json, "\n  \"items\": [{\n");
    CHECK(strchr(json, '\t') == NULL);
    docs = cJSON_CreateArray();
    cJSON_AddItemToArray(docs, doc);
    T_CASE("json reads back");
    check_recommendations(docs);
    cJSON_Delete(docs);
    yaml = print(f.rep, REPORT_YAML, false);
    T_CASE("yaml reads back");
    CHECK_INT_EQ(yaml_parse_stream(yaml, strlen(yaml), 1 << 20, &docs, &err), SNUG_OK);
    check_recommendations(docs);
    cJSON_Delete(docs);
    free(json);
    free(yaml);
    fixture_free(&f);
}

static void test_table_and_csv(void)
{
    fixture f;
    char *t, *w, *c, *col;

    fixture_build(&f);
    t = print(f.rep, REPORT_TABLE, false);
    T_CASE("table");
    CHECK_STR_CONTAINS(t, "NAMESPACE");
    CHECK_STR_CONTAINS(t, "100m -> 250m (+150%)");
    CHECK_STR_CONTAINS(t, "128Mi -> 300Mi (+134%)");
    CHECK_STR_CONTAINS(t, "- -> 512Mi");
    CHECK_STR_CONTAINS(t, "2/483183820B");
    CHECK_STR_CONTAINS(t, "CronJob/backup");
    CHECK_STR_CONTAINS(t, "TOTAL (per Pod, 2 workloads, 3 containers): CPU requested 100m, "
                          "recommended 1750m; memory requested 128Mi, recommended 1324Mi");
    CHECK(strstr(t, "\033[") == NULL);
    CHECK(strstr(t, "CPU P90") == NULL);
    T_CASE("wide");
    w = print(f.rep, REPORT_WIDE, false);
    CHECK_STR_CONTAINS(w, "CPU P90");
    CHECK_STR_CONTAINS(w, "THROTTLED");
    T_CASE("colour: a raise in red");
    col = print(f.rep, REPORT_TABLE, true);
    CHECK_STR_CONTAINS(col, "\033[31m100m -> 250m (+150%)\033[0m");
    T_CASE("csv");
    c = print(f.rep, REPORT_CSV, false);
    CHECK(strncmp(c, "NAMESPACE,WORKLOAD,CONTAINER,CPU REQUEST,", 40) == 0);
    CHECK_STR_CONTAINS(c, "\r\nshop,Deployment/web,app,250m,300Mi,512Mi,2/483183820B,0.80,");
    CHECK_STR_CONTAINS(c, "\"log, \"\"shipper\"\"\"");
    CHECK_STR_CONTAINS(c, ",100m,128Mi,,\r\n");
    free(t);
    free(w);
    free(c);
    free(col);
    fixture_free(&f);
}

static void test_formats_and_limits(void)
{
    fixture f;
    report_format fmt;
    dynbuf small;
    snug_err err;

    T_CASE("format names");
    CHECK(report_format_parse("wide", &fmt) && fmt == REPORT_WIDE);
    CHECK(report_format_parse("yaml", &fmt) && fmt == REPORT_YAML);
    CHECK(!report_format_parse("xml", &fmt));
    CHECK(!report_format_parse(NULL, &fmt));
    T_CASE("an output bound is an error, not a cut report");
    fixture_build(&f);
    dynbuf_init(&small, 64);
    snug_err_clear(&err);
    CHECK_INT_EQ(report_print(f.rep, REPORT_TABLE, false, &small, &err), SNUG_ERR_TOO_BIG);
    dynbuf_free(&small);
    fixture_free(&f);
}

int main(void)
{
    RUN(test_json_and_yaml);
    RUN(test_table_and_csv);
    RUN(test_formats_and_limits);
    return TEST_DONE();
}

/* prom_check.c -- e2e driver for the Prometheus client (built as
 * e2e_prom_check). It runs prom_query, prom_query_range or prom_run
 * against a URL and prints one JSON line on stdout for
 * tests/e2e/test_prom_client.py to check; the library's logs go to stderr.
 *
 *   e2e_prom_check --url URL [options] COMMAND ARGS...
 *
 *   query Q [TIME]                 instant query (TIME <= 0 or absent: now)
 *   range Q START END STEP         range query (chunked, merged)
 *   select METRIC LABEL VALUE [EXTRA]
 *                                  instant query of the selector promql_selector
 *                                  builds: METRIC{LABEL="VALUE",EXTRA}
 *   run SPEC...                    prom_run; SPEC is "i:TIME:QUERY" or
 *                                  "r:START:END:STEP:QUERY"
 *
 * Output: {"op":"result","query":..,"type":"matrix","series":[{"labels":{..},
 * "samples":[[t,"v"],..]}],"warnings":[..],"stats":{..},"elapsed_ms":N}; run
 * prints {"op":"run","status":..,"message":..,"results":[{"status":"ok",
 * "result":{..}} | {"status":..,"message":..}],"stats":..}. Values are
 * strings as Prometheus writes them ("NaN", "+Inf", "-Inf", %.17g).
 * A failure prints {"op":"error","status":"<snug status>","message":..,
 * "stats":..,"elapsed_ms":N} and exits 1; a failed run exits 1 too; bad
 * usage exits 2.
 *
 * Options: --token-file F, --token T, --basic-user U, --basic-password-file F,
 * --header "Name: value" (repeatable), --ca-file F, --client-cert F, --client-key F,
 * --insecure, --timeout-ms N,
 * --retries N, --max-bytes N, --concurrency N, --max-points N,
 * --abort-after-ms N (raise the abort flag from another thread), --log-level L.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "base/dynbuf.h"
#include "base/log.h"
#include "kube/kube_retry.h"
#include "prom/prom_client.h"
#include "prom/promql.h"

#define MAX_HEADERS 16

static volatile int abort_flag;
static long abort_after_ms;

static const char *status_name(snug_status st)
{
    static const char *const names[] = {"ok",          "nomem",        "parse",   "invalid",
                                        "range",       "too_big",      "io",      "not_found",
                                        "unsupported", "http",         "tls",     "conflict",
                                        "gone",        "unauthorized", "timeout", "internal"};

    return (size_t)st < sizeof(names) / sizeof(names[0]) ? names[st] : "unknown";
}

static void usage(void)
{
    fprintf(stderr, "usage: e2e_prom_check --url URL [options] query Q [TIME] | range Q START "
                    "END STEP | select METRIC LABEL VALUE [EXTRA] | run SPEC...\n");
    exit(2);
}

static void value_str(double v, char *buf, size_t cap)
{
    if (isnan(v))
        snprintf(buf, cap, "NaN");
    else if (isinf(v))
        snprintf(buf, cap, "%s", v > 0 ? "+Inf" : "-Inf");
    else
        snprintf(buf, cap, "%.17g", v);
}

static cJSON *series_json(const prom_series *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *labels = cJSON_AddObjectToObject(o, "labels");
    cJSON *samples = cJSON_AddArrayToObject(o, "samples");
    size_t i;

    for (i = 0; i < s->n_labels; i++)
        cJSON_AddStringToObject(labels, s->labels[i].name, s->labels[i].value);
    for (i = 0; i < s->n_samples; i++) {
        cJSON *pair = cJSON_CreateArray();
        char v[64];

        value_str(s->samples[i].v, v, sizeof(v));
        cJSON_AddItemToArray(pair, cJSON_CreateNumber(s->samples[i].t));
        cJSON_AddItemToArray(pair, cJSON_CreateString(v));
        cJSON_AddItemToArray(samples, pair);
    }
    return o;
}

static cJSON *result_json(const prom_result *r)
{
    static const char *const types[] = {"vector", "matrix", "scalar", "string"};
    cJSON *o = cJSON_CreateObject();
    cJSON *series = cJSON_AddArrayToObject(o, "series");
    cJSON *warnings = cJSON_AddArrayToObject(o, "warnings");
    size_t i;

    cJSON_AddStringToObject(o, "type", types[r->type]);
    if (r->string != NULL)
        cJSON_AddStringToObject(o, "string", r->string);
    for (i = 0; i < r->n_series; i++)
        cJSON_AddItemToArray(series, series_json(&r->series[i]));
    for (i = 0; i < r->n_warnings; i++)
        cJSON_AddItemToArray(warnings, cJSON_CreateString(r->warnings[i]));
    return o;
}

static cJSON *stats_json(const prom_client *c)
{
    cJSON *o = cJSON_CreateObject();
    prom_stats s;

    prom_client_stats(c, &s);
    cJSON_AddNumberToObject(o, "queries", (double)s.queries);
    cJSON_AddNumberToObject(o, "errors_http", (double)s.errors_http);
    cJSON_AddNumberToObject(o, "errors_timeout", (double)s.errors_timeout);
    cJSON_AddNumberToObject(o, "errors_parse", (double)s.errors_parse);
    cJSON_AddNumberToObject(o, "errors_prometheus", (double)s.errors_prometheus);
    cJSON_AddNumberToObject(o, "errors_transport", (double)s.errors_transport);
    cJSON_AddNumberToObject(o, "retries", (double)s.retries);
    cJSON_AddNumberToObject(o, "bytes_read", (double)s.bytes_read);
    return o;
}

/* Print `o` (consumed) with stats and elapsed time added. */
static void emit(cJSON *o, const prom_client *c, int64_t t0)
{
    char *text;

    if (c != NULL)
        cJSON_AddItemToObject(o, "stats", stats_json(c));
    cJSON_AddNumberToObject(o, "elapsed_ms", (double)(kube_mono_ms() - t0));
    text = cJSON_PrintUnformatted(o);
    if (text != NULL) {
        fputs(text, stdout);
        fputc('\n', stdout);
        fflush(stdout);
    }
    free(text);
    cJSON_Delete(o);
}

static int emit_error(snug_status st, const char *msg, const prom_client *c, int64_t t0)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "op", "error");
    cJSON_AddStringToObject(o, "status", status_name(st));
    cJSON_AddStringToObject(o, "message", msg);
    emit(o, c, t0);
    return 1;
}

static int emit_result(const char *q, prom_result *r, const prom_client *c, int64_t t0)
{
    cJSON *o = result_json(r);

    cJSON_AddStringToObject(o, "op", "result");
    cJSON_AddStringToObject(o, "query", q);
    emit(o, c, t0);
    prom_result_free(r);
    return 0;
}

static double num_arg(const char *s)
{
    char *end;
    double v = strtod(s, &end);

    if (*s == '\0' || *end != '\0')
        usage();
    return v;
}

/* "i:TIME:QUERY" or "r:START:END:STEP:QUERY" (the query may hold ':'). */
static void parse_spec(char *spec, prom_request *rq)
{
    char *f[5] = {0};
    int want = spec[0] == 'r' ? 5 : 3, i;
    char *p = spec;

    memset(rq, 0, sizeof(*rq));
    for (i = 0; i < want - 1; i++) {
        char *colon = strchr(p, ':');

        if (colon == NULL)
            usage();
        *colon = '\0';
        f[i] = p;
        p = colon + 1;
    }
    f[want - 1] = p;
    rq->query = f[want - 1];
    if (spec[0] == 'r') {
        rq->range = true;
        rq->start = num_arg(f[1]);
        rq->end = num_arg(f[2]);
        rq->step = num_arg(f[3]);
    } else if (spec[0] == 'i') {
        rq->time = num_arg(f[1]);
    } else {
        usage();
    }
}

static int cmd_run(prom_client *c, char **specs, int n, int64_t t0)
{
    prom_request *reqs = calloc((size_t)n, sizeof(*reqs));
    cJSON *o = cJSON_CreateObject(), *results;
    snug_err err;
    snug_status st;
    int i;

    if (reqs == NULL || o == NULL)
        return emit_error(SNUG_ERR_NOMEM, "out of memory", c, t0);
    for (i = 0; i < n; i++)
        parse_spec(specs[i], &reqs[i]);
    snug_err_clear(&err);
    st = prom_run(c, reqs, (size_t)n, &err);
    cJSON_AddStringToObject(o, "op", "run");
    cJSON_AddStringToObject(o, "status", status_name(st));
    cJSON_AddStringToObject(o, "message", st == SNUG_OK ? "" : err.msg);
    results = cJSON_AddArrayToObject(o, "results");
    for (i = 0; i < n; i++) {
        cJSON *e = cJSON_CreateObject();

        cJSON_AddStringToObject(e, "status", status_name(reqs[i].status));
        if (reqs[i].status == SNUG_OK)
            cJSON_AddItemToObject(e, "result", result_json(reqs[i].result));
        else
            cJSON_AddStringToObject(e, "message", reqs[i].err.msg);
        cJSON_AddItemToArray(results, e);
        prom_result_free(reqs[i].result);
    }
    emit(o, c, t0);
    free(reqs);
    return st == SNUG_OK ? 0 : 1;
}

static int cmd_select(prom_client *c, char **argv, int argc, int64_t t0)
{
    promql_matcher m = {argv[1], "=", argv[2]};
    dynbuf q;
    prom_result *r = NULL;
    snug_err err;
    int rc;

    dynbuf_init(&q, 1 << 16);
    if (promql_selector(&q, argv[0], &m, 1, argc > 3 ? argv[3] : NULL, &err) != SNUG_OK) {
        rc = emit_error(err.status, err.msg, c, t0);
    } else if (prom_query(c, dynbuf_str(&q), 0, &r, &err) != SNUG_OK) {
        rc = emit_error(err.status, err.msg, c, t0);
    } else {
        rc = emit_result(dynbuf_str(&q), r, c, t0);
    }
    dynbuf_free(&q);
    return rc;
}

static int run_command(prom_client *c, char **argv, int argc)
{
    int64_t t0 = kube_mono_ms();
    prom_result *r = NULL;
    snug_err err;
    snug_status st;

    snug_err_clear(&err);
    if (strcmp(argv[0], "query") == 0 && (argc == 2 || argc == 3)) {
        st = prom_query(c, argv[1], argc == 3 ? num_arg(argv[2]) : 0, &r, &err);
    } else if (strcmp(argv[0], "range") == 0 && argc == 5) {
        st = prom_query_range(c, argv[1], num_arg(argv[2]), num_arg(argv[3]), num_arg(argv[4]), &r,
                              &err);
    } else if (strcmp(argv[0], "select") == 0 && (argc == 4 || argc == 5)) {
        return cmd_select(c, argv + 1, argc - 1, t0);
    } else if (strcmp(argv[0], "run") == 0 && argc >= 2) {
        return cmd_run(c, argv + 1, argc - 1, t0);
    } else {
        usage();
        return 2;
    }
    if (st != SNUG_OK)
        return emit_error(st, err.msg, c, t0);
    return emit_result(argv[1], r, c, t0);
}

static void *aborter(void *arg)
{
    struct timespec ts;

    (void)arg;
    ts.tv_sec = abort_after_ms / 1000;
    ts.tv_nsec = (abort_after_ms % 1000) * 1000000L;
    nanosleep(&ts, NULL);
    abort_flag = 1;
    return NULL;
}

static int parse_options(int argc, char **argv, prom_config *cfg, const char **headers)
{
    int i;

    for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        log_level lvl;

        if (strcmp(o, "--insecure") == 0) {
            cfg->insecure_skip_verify = true;
            continue;
        }
        if (v == NULL)
            usage();
        i++;
        if (strcmp(o, "--url") == 0)
            cfg->url = v;
        else if (strcmp(o, "--token-file") == 0)
            cfg->bearer_token_file = v;
        else if (strcmp(o, "--token") == 0)
            cfg->bearer_token = v;
        else if (strcmp(o, "--basic-user") == 0)
            cfg->basic_user = v;
        else if (strcmp(o, "--basic-password-file") == 0)
            cfg->basic_password_file = v;
        else if (strcmp(o, "--header") == 0 && cfg->n_headers < MAX_HEADERS)
            headers[cfg->n_headers++] = v;
        else if (strcmp(o, "--ca-file") == 0)
            cfg->ca_file = v;
        else if (strcmp(o, "--client-cert") == 0)
            cfg->client_cert = v;
        else if (strcmp(o, "--client-key") == 0)
            cfg->client_key = v;
        else if (strcmp(o, "--timeout-ms") == 0)
            cfg->timeout_ms = (int)num_arg(v);
        else if (strcmp(o, "--retries") == 0)
            cfg->max_retries = (int)num_arg(v);
        else if (strcmp(o, "--max-bytes") == 0)
            cfg->max_response_bytes = (size_t)num_arg(v);
        else if (strcmp(o, "--concurrency") == 0)
            cfg->concurrency = (int)num_arg(v);
        else if (strcmp(o, "--max-points") == 0)
            cfg->max_points = (int)num_arg(v);
        else if (strcmp(o, "--abort-after-ms") == 0)
            abort_after_ms = (long)num_arg(v);
        else if (strcmp(o, "--log-level") == 0 && log_parse_level(v, &lvl) == 0)
            log_set_level(lvl);
        else
            usage();
    }
    cfg->headers = headers;
    return i;
}

int main(int argc, char **argv)
{
    static const char *headers[MAX_HEADERS];
    prom_config cfg;
    prom_client *c = NULL;
    pthread_t t;
    snug_err err;
    int first, rc;

    memset(&cfg, 0, sizeof(cfg));
    first = parse_options(argc, argv, &cfg, headers);
    if (first >= argc)
        usage();
    if (prom_client_new(&cfg, &c, &err) != SNUG_OK)
        return emit_error(err.status, err.msg, NULL, kube_mono_ms());
    prom_client_set_abort(c, &abort_flag);
    if (abort_after_ms > 0 && pthread_create(&t, NULL, aborter, NULL) == 0)
        pthread_detach(t);
    rc = run_command(c, argv + first, argc - first);
    prom_client_free(c);
    return rc;
}

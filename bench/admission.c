/* bench/admission.c -- the admission handler alone, no network, no TLS.
 *
 *   build/bench_admission [iterations]
 *
 * Answers the ~6 KB AdmissionReview in bench/admission-6k.json (a
 * Deployment's Pod that gets resources, probes and Go env) with the
 * built-in policy and bench/recommendations.yaml, and prints ns per review.
 * Baseline measured in the same run: cJSON parse + compact print of the same
 * body, the least any JSON webhook must do. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "webhook/admission.h"
#include "bench.h"
#include "json/jsonarena.h"
#include "base/log.h"
#include "webhook/store.h"
#include "yaml/yamljson.h"

static store *bench_store(const char *dir)
{
    store *s = store_new(0);
    char path[1024];
    cJSON *docs = NULL;
    rec_set *rs = NULL;

    store_put_policy(s, policy_builtin_default());
    snprintf(path, sizeof(path), "%s/recommendations.yaml", dir);
    if (yaml_parse_file(path, 1 << 20, &docs, NULL) == SNUG_OK &&
        rec_set_load(docs, "default", &rs, NULL) == SNUG_OK)
        store_replace_recommendations(s, rs);
    cJSON_Delete(docs);
    return s;
}

static double run_handler(store *s, const char *body, size_t len, long n, unsigned *changed)
{
    double t0 = now_ns();
    long i;

    for (i = 0; i < n; i++) {
        admission_result r;

        admission_handle(s, body, len, &r);
        *changed = r.changed;
        admission_result_free(&r);
    }
    return (now_ns() - t0) / (double)n;
}

static double run_baseline(const char *body, size_t len, long n)
{
    double t0 = now_ns();
    long i;

    for (i = 0; i < n; i++) {
        cJSON *j = cJSON_ParseWithLength(body, len);
        char *out = cJSON_PrintUnformatted(j);

        free(out);
        cJSON_Delete(j);
    }
    return (now_ns() - t0) / (double)n;
}

int main(int argc, char **argv)
{
    const char *dir =
        getenv("SNUG_BENCH_DIR") ? getenv("SNUG_BENCH_DIR") : SNUG_SOURCE_DIR "/bench";
    long n = argc > 1 ? atol(argv[1]) : 20000;
    char path[1024];
    char *body = NULL;
    size_t len = 0;
    unsigned changed = 0;
    double handler, baseline, arena;
    store *s;

    log_set_level(LOG_ERROR);
    snprintf(path, sizeof(path), "%s/admission-6k.json", dir);
    if (n <= 0 || file_read_all(path, 1 << 20, &body, &len, NULL) != SNUG_OK) {
        fprintf(stderr, "usage: bench_admission [iterations]; needs %s\n", path);
        return 2;
    }
    s = bench_store(dir);
    run_handler(s, body, len, n / 10 + 1, &changed); /* warm up */
    handler = run_handler(s, body, len, n, &changed);
    baseline = run_baseline(body, len, n);
    jsonarena_install(); /* what snug-webhook serve does */
    run_handler(s, body, len, n / 10 + 1, &changed);
    arena = run_handler(s, body, len, n, &changed);
    printf("admission review: %zu bytes, %ld iterations, mutated parts 0x%x\n", len, n, changed);
    printf("%-34s %10.0f ns/op %10.0f ops/s\n", "snug admission_handle (malloc)", handler,
           1e9 / handler);
    printf("%-34s %10.0f ns/op %10.0f ops/s\n", "snug admission_handle + jsonarena", arena,
           1e9 / arena);
    printf("%-34s %10.0f ns/op %10.0f ops/s\n", "baseline: cJSON parse+print", baseline,
           1e9 / baseline);
    printf("ratio to baseline: %.2fx (malloc), %.2fx (arena)\n", handler / baseline,
           arena / baseline);
    store_free(s);
    free(body);
    return changed == 0 ? 1 : 0;
}

/* bench/jsonparse.c -- jsonparse() against cJSON_ParseWithLength().
 *
 *   build/bench_jsonparse [iterations]
 *
 * Parses the ~6 KB AdmissionReview in bench/admission-6k.json into a cJSON
 * tree, `iterations` times with each parser: first with malloc (the tree is
 * freed with cJSON_Delete), then inside a jsonarena window per parse, the
 * tree dropped with jsonarena_delete (what snug-webhook serve does). Prints
 * ns per parse (freeing not counted), MB/s and how many times faster
 * jsonparse is. Checks first that both parsers print the same tree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "json/jsonarena.h"
#include "json/jsonparse.h"
#include "yaml/yamljson.h"

static cJSON *parse_cjson(const char *body, size_t len)
{
    return cJSON_ParseWithLength(body, len);
}

static cJSON *parse_jsonparse(const char *body, size_t len)
{
    cJSON *j = NULL;

    jsonparse(body, len, &j, NULL);
    return j;
}

/* ns per parse of `body` with `parse` (the clock stops before the tree is
 * freed), each in its own arena window when `arena` is set. Returns a
 * negative number when a parse fails. */
static double run(cJSON *(*parse)(const char *, size_t), const char *body, size_t len, long n,
                  int arena)
{
    double total = 0;
    long i;

    for (i = 0; i < n; i++) {
        int opened = arena ? jsonarena_begin() : 0;
        double t0 = now_ns();
        cJSON *j = parse(body, len);

        total += now_ns() - t0;
        if (j == NULL)
            return -1;
        if (arena)
            jsonarena_delete(j);
        else
            cJSON_Delete(j);
        if (opened)
            jsonarena_end();
    }
    return total / (double)n;
}

/* Whether both parsers print `body` the same way. */
static int same_tree(const char *body, size_t len)
{
    cJSON *a = parse_cjson(body, len), *b = parse_jsonparse(body, len);
    char *pa = cJSON_PrintUnformatted(a), *pb = cJSON_PrintUnformatted(b);
    int same = pa != NULL && pb != NULL && strcmp(pa, pb) == 0;

    cJSON_free(pa);
    cJSON_free(pb);
    cJSON_Delete(a);
    cJSON_Delete(b);
    return same;
}

static void report(const char *mode, double cj, double jp, size_t len)
{
    printf("%-7s %-22s %9.0f ns/op %8.1f MB/s\n", mode, "cJSON_ParseWithLength", cj,
           (double)len / cj * 1e3);
    printf("%-7s %-22s %9.0f ns/op %8.1f MB/s\n", mode, "jsonparse", jp, (double)len / jp * 1e3);
    printf("%-7s jsonparse is %.2fx as fast\n", mode, cj / jp);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 20000;
    const char *path = SNUG_SOURCE_DIR "/bench/admission-6k.json";
    char *body = NULL;
    size_t len = 0;
    double cj, jp;
    int mode;

    if (n <= 0 || file_read_all(path, 1 << 20, &body, &len, NULL) != SNUG_OK) {
        fprintf(stderr, "usage: bench_jsonparse [iterations]; needs %s\n", path);
        return 2;
    }
    if (!same_tree(body, len)) {
        fprintf(stderr, "bench_jsonparse: the parsers disagree on %s\n", path);
        free(body);
        return 1;
    }
    printf("%s: %zu bytes, %ld iterations\n", path, len, n);
    for (mode = 0; mode < 2; mode++) {
        if (mode == 1)
            jsonarena_install();
        run(parse_cjson, body, len, n / 10 + 1, mode); /* warm up */
        run(parse_jsonparse, body, len, n / 10 + 1, mode);
        cj = run(parse_cjson, body, len, n, mode);
        jp = run(parse_jsonparse, body, len, n, mode);
        if (cj < 0 || jp < 0) {
            fprintf(stderr, "bench_jsonparse: a parse failed\n");
            free(body);
            return 1;
        }
        report(mode == 0 ? "malloc" : "arena", cj, jp, len);
    }
    free(body);
    return 0;
}

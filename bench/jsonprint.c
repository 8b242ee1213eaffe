/* bench/jsonprint.c -- jsonprint against cJSON_PrintUnformatted.
 *
 *   build/bench_jsonprint [iterations]
 *
 * Prints three trees both ways and reports ns per print: the tree of
 * bench/admission-6k.json, a small AdmissionReview response whose bulk is a
 * 1300-character base64 patch, and a ~1 KB JSON Patch array. jsonprint is
 * timed twice: jsonprint_string (a new malloc'd string each time, what
 * cJSON_PrintUnformatted does) and jsonprint_append into a reused dynbuf.
 * Exits 1 if any text differs from cJSON's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "bench.h"
#include "base/dynbuf.h"
#include "json/jsonprint.h"
#include "yaml/yamljson.h"

#define BENCH_MAX (1u << 24)

static const char patch_text[] =
    "[{\"op\":\"add\",\"path\":\"/spec/containers/0/resources\",\"value\":{\"requests\":"
    "{\"cpu\":\"250m\",\"memory\":\"256Mi\"},\"limits\":{\"cpu\":\"1\",\"memory\":\"512Mi\"}}},"
    "{\"op\":\"add\",\"path\":\"/spec/containers/0/env\",\"value\":[{\"name\":\"GOMAXPROCS\","
    "\"value\":\"1\"},{\"name\":\"GOMEMLIMIT\",\"value\":\"483183820\"}]},"
    "{\"op\":\"add\",\"path\":\"/spec/containers/0/readinessProbe\",\"value\":{\"httpGet\":"
    "{\"path\":\"/healthz\",\"port\":8080,\"scheme\":\"HTTP\"},\"initialDelaySeconds\":5,"
    "\"periodSeconds\":10,\"timeoutSeconds\":1,\"successThreshold\":1,\"failureThreshold\":3}},"
    "{\"op\":\"add\",\"path\":\"/spec/containers/0/livenessProbe\",\"value\":{\"httpGet\":"
    "{\"path\":\"/healthz\",\"port\":8080,\"scheme\":\"HTTP\"},\"initialDelaySeconds\":15,"
    "\"periodSeconds\":20,\"timeoutSeconds\":1,\"successThreshold\":1,\"failureThreshold\":3}},"
    "{\"op\":\"add\",\"path\":\"/metadata/annotations/snug.dev~1mutated\",\"value\":"
    "\"resources,env,probes\"},{\"op\":\"replace\",\"path\":\"/spec/containers/1/resources/"
    "limits/memory\",\"value\":\"1Gi\"},{\"op\":\"add\",\"path\":\"/spec/containers/1/env/-\","
    "\"value\":{\"name\":\"GOGC\",\"value\":\"100\"}}]";

/* A response like the webhook's: a few short fields and a 1300-char base64. */
static cJSON *response_tree(void)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char patch[1301];
    unsigned x = 12345;
    cJSON *root = cJSON_CreateObject();
    cJSON *resp;
    size_t i;

    for (i = 0; i < sizeof(patch) - 1; i++) {
        x = x * 1103515245u + 12345u;
        patch[i] = b64[(x >> 16) & 63];
    }
    patch[sizeof(patch) - 1] = '\0';
    cJSON_AddStringToObject(root, "apiVersion", "admission.k8s.io/v1");
    cJSON_AddStringToObject(root, "kind", "AdmissionReview");
    resp = cJSON_AddObjectToObject(root, "response");
    cJSON_AddStringToObject(resp, "uid", "705ab4f5-6393-11e8-b7cc-42010a800002");
    cJSON_AddBoolToObject(resp, "allowed", 1);
    cJSON_AddStringToObject(resp, "patchType", "JSONPatch");
    if (cJSON_AddStringToObject(resp, "patch", patch) == NULL) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

static double time_cjson(const cJSON *tree, long n)
{
    double t0 = now_ns();
    long i;

    for (i = 0; i < n; i++)
        cJSON_free(cJSON_PrintUnformatted(tree));
    return (now_ns() - t0) / (double)n;
}

static double time_string(const cJSON *tree, long n)
{
    double t0 = now_ns();
    char *s;
    long i;

    for (i = 0; i < n; i++) {
        if (jsonprint_string(tree, BENCH_MAX, &s, NULL, NULL) == SNUG_OK)
            free(s);
    }
    return (now_ns() - t0) / (double)n;
}

static double time_append(const cJSON *tree, long n)
{
    double t0 = now_ns();
    dynbuf b;
    long i;

    dynbuf_init(&b, BENCH_MAX);
    for (i = 0; i < n; i++) {
        dynbuf_reset(&b);
        jsonprint_append(&b, tree, NULL);
    }
    dynbuf_free(&b);
    return (now_ns() - t0) / (double)n;
}

/* Check both texts are the same, then time them. Returns 0 when they are. */
static int bench_tree(const char *name, const cJSON *tree, long n)
{
    char *want = cJSON_PrintUnformatted(tree);
    char *got = NULL;
    double c, s, a;
    int same;

    same = want != NULL && jsonprint_string(tree, BENCH_MAX, &got, NULL, NULL) == SNUG_OK &&
           strcmp(want, got) == 0;
    if (!same) {
        fprintf(stderr, "%s: jsonprint and cJSON differ\n", name);
        goto out;
    }
    time_cjson(tree, n / 10 + 1); /* warm up */
    time_string(tree, n / 10 + 1);
    c = time_cjson(tree, n);
    s = time_string(tree, n);
    a = time_append(tree, n);
    printf("%-22s %6zu %10.0f %10.0f %10.0f %8.2fx %8.2fx\n", name, strlen(want), c, s, a, c / s,
           c / a);
out:
    cJSON_free(want);
    free(got);
    return same ? 0 : 1;
}

int main(int argc, char **argv)
{
    const char *path = SNUG_SOURCE_DIR "/bench/admission-6k.json";
    long n = argc > 1 ? atol(argv[1]) : 20000;
    char *body = NULL;
    size_t len = 0;
    cJSON *review, *response, *patch;
    int bad = 0;

    if (n <= 0 || file_read_all(path, 1 << 20, &body, &len, NULL) != SNUG_OK) {
        fprintf(stderr, "usage: bench_jsonprint [iterations]; needs %s\n", path);
        return 2;
    }
    review = cJSON_ParseWithLength(body, len);
    response = response_tree();
    patch = cJSON_Parse(patch_text);
    if (review == NULL || response == NULL || patch == NULL) {
        fprintf(stderr, "bench_jsonprint: cannot build the trees\n");
        bad = 2;
        goto out;
    }
    printf("%ld iterations; ns per print; ratio = cJSON / jsonprint\n", n);
    printf("%-22s %6s %10s %10s %10s %9s %9s\n", "tree", "bytes", "cJSON", "jp_string", "jp_append",
           "string", "append");
    bad |= bench_tree("admission-6k.json", review, n);
    bad |= bench_tree("response 1300 base64", response, n);
    bad |= bench_tree("JSON patch array", patch, n);
out:
    cJSON_Delete(review);
    cJSON_Delete(response);
    cJSON_Delete(patch);
    free(body);
    return bad;
}

/* fuzz_autoscalers.c -- libFuzzer target for autoscaler_hpa_parse and
 * autoscaler_vpa_parse (controller/autoscalers.h).
 *
 * HorizontalPodAutoscalers and VerticalPodAutoscalers are anyone's objects:
 * whoever may create one in a namespace feeds these parsers. The input is
 * parsed as JSON and handed to both.
 * Invariants checked (abort() on violation):
 *  - nothing crashes, leaks or trips a sanitizer;
 *  - a refusal has a message naming the kind, and leaves *out zeroed;
 *  - a result has a namespace, kind and name, NUL-terminated in their
 *    arrays; a VPA holds at most AUTOSCALER_VPA_MAX_CONTAINERS named
 *    containers with amounts >= 0 or RES_UNSET, `truncated` only when full,
 *    and finds each of them by name;
 *  - parsing again gives the same bytes.
 *
 * Build with -DSNUG_FUZZ=ON (clang), run e.g.
 *   build-fuzz/fuzz_autoscalers -max_total_time=60
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "controller/autoscalers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        abort();                                                                                   \
    } while (0)

static void check_str(const char *s, size_t cap, const char *what)
{
    size_t n = strnlen(s, cap);

    if (n == cap || n == 0)
        FAIL("%s: empty or not terminated", what);
}

static bool zeroed(const void *p, size_t n)
{
    const unsigned char *b = p;
    size_t i;

    for (i = 0; i < n; i++) {
        if (b[i] != 0)
            return false;
    }
    return true;
}

static void check_refusal(snug_status st, const snug_err *err, const void *out, size_t n,
                          const char *kind)
{
    if (st == SNUG_OK)
        return;
    if (err->status != st || strncmp(err->msg, kind, strlen(kind)) != 0)
        FAIL("refusal without a message naming %s: %d \"%s\"", kind, (int)st, err->msg);
    if (!zeroed(out, n))
        FAIL("%s refused but its result is not zeroed", kind);
}

static void check_hpa(const cJSON *j)
{
    hpa_info a, b;
    snug_err err = {0};
    snug_status st = autoscaler_hpa_parse(j, &a, &err);

    check_refusal(st, &err, &a, sizeof(a), "HorizontalPodAutoscaler");
    if (autoscaler_hpa_parse(j, &b, NULL) != st || memcmp(&a, &b, sizeof(a)) != 0)
        FAIL("HorizontalPodAutoscaler: a second parse differs");
    if (st != SNUG_OK)
        return;
    check_str(a.ns, sizeof(a.ns), "hpa ns");
    check_str(a.kind, sizeof(a.kind), "hpa kind");
    check_str(a.name, sizeof(a.name), "hpa name");
}

static void check_vpa(const cJSON *j)
{
    vpa_info a, b;
    snug_err err = {0};
    snug_status st = autoscaler_vpa_parse(j, &a, &err);
    size_t i;

    check_refusal(st, &err, &a, sizeof(a), "VerticalPodAutoscaler");
    if (autoscaler_vpa_parse(j, &b, NULL) != st || memcmp(&a, &b, sizeof(a)) != 0)
        FAIL("VerticalPodAutoscaler: a second parse differs");
    if (st != SNUG_OK)
        return;
    check_str(a.ns, sizeof(a.ns), "vpa ns");
    check_str(a.kind, sizeof(a.kind), "vpa kind");
    check_str(a.name, sizeof(a.name), "vpa name");
    if (a.n > AUTOSCALER_VPA_MAX_CONTAINERS ||
        (a.truncated && a.n != AUTOSCALER_VPA_MAX_CONTAINERS))
        FAIL("vpa: n %zu, truncated %d", a.n, (int)a.truncated);
    for (i = 0; i < a.n; i++) {
        check_str(a.c[i].name, sizeof(a.c[i].name), "vpa container");
        if ((a.c[i].target.cpu_milli < 0 && a.c[i].target.cpu_milli != RES_UNSET) ||
            (a.c[i].target.mem_bytes < 0 && a.c[i].target.mem_bytes != RES_UNSET))
            FAIL("vpa container %zu: negative amount", i);
        if (autoscaler_vpa_container(&a, a.c[i].name) != &a.c[i])
            FAIL("vpa container %zu: not found by name (duplicate?)", i);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *j = cJSON_ParseWithLength((const char *)data, size);

    if (j == NULL)
        return 0;
    check_hpa(j);
    check_vpa(j);
    cJSON_Delete(j);
    return 0;
}

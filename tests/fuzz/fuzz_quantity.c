/* fuzz_quantity.c -- libFuzzer target for quantity and gosize.
 *
 * The input, NUL-terminated, is parsed as a quantity, as a JSON string and
 * number holding it, as a scaling ratio and as a GOMEMLIMIT value.
 * Invariants checked (abort() on violation):
 *  - nothing crashes, leaks or trips a sanitizer; failures are PARSE or
 *    RANGE with a message;
 *  - a parsed quantity formats; the canonical string parses back to an equal
 *    value (quantity_cmp == 0) and formatting that gives the same string
 *    (except a suffix-less BinarySI integer, which parses back as DecimalSI:
 *    "1.953125Ki" -> "2000" -> "2k", as in Kubernetes; from there on it is
 *    stable);
 *  - quantity_parse_json of a cJSON string holding the input agrees exactly;
 *  - milli_ceil / value_ceil are the ceilings of the value when they fit;
 *  - scaling by 1 keeps the value, by 0 gives 0, by the input read as a
 *    double gives a value that formats and parses back;
 *  - a GOMEMLIMIT gosize_parse accepts formats back (gosize_format) to the
 *    same bytes.
 *
 * Build and run: scripts/fuzz.sh 60 quantity, or
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE -Ilib \
 *     -I/usr/include/cjson lib/base/status.c lib/base/dynbuf.c lib/base/log.c lib/model/quantity.c
 * \ lib/model/gosize.c tests/fuzz/fuzz_quantity.c -lcjson -lpthread -lm -o /tmp/fq /tmp/fq
 * -max_total_time=60 tests/fuzz/corpus_quantity
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "model/gosize.h"
#include "model/quantity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "fuzz_quantity: " __VA_ARGS__);                                            \
        fputc('\n', stderr);                                                                       \
        abort();                                                                                   \
    } while (0)

static void check_failure(snug_status st, const snug_err *err, const char *what)
{
    if (st != SNUG_ERR_PARSE && st != SNUG_ERR_RANGE)
        FAIL("%s: unexpected status %d", what, (int)st);
    if (err->status != st || err->msg[0] == '\0')
        FAIL("%s: status %d without a message", what, (int)st);
}

/* s1 is the canonical string of a BinarySI quantity written without suffix. */
static int bare_binary(const quantity *q, const char *s1)
{
    return q->format == QUANTITY_BINARY_SI && s1[strspn(s1, "-0123456789")] == '\0';
}

static void check_canonical(const quantity *q, const char *in)
{
    char s1[QUANTITY_STR_MAX], s2[QUANTITY_STR_MAX], s3[QUANTITY_STR_MAX];
    quantity b, c;

    if (quantity_format_str(q, s1, sizeof(s1)) != SNUG_OK)
        FAIL("\"%s\": does not format", in);
    if (quantity_parse(s1, &b, NULL) != SNUG_OK)
        FAIL("\"%s\": canonical \"%s\" does not parse", in, s1);
    if (quantity_cmp(q, &b) != 0)
        FAIL("\"%s\": canonical \"%s\" is another value", in, s1);
    if (quantity_format_str(&b, s2, sizeof(s2)) != SNUG_OK)
        FAIL("\"%s\": \"%s\" does not format", in, s1);
    if (strcmp(s1, s2) != 0 && !bare_binary(q, s1))
        FAIL("\"%s\": canonical \"%s\" formats as \"%s\"", in, s1, s2);
    if (quantity_parse(s2, &c, NULL) != SNUG_OK || quantity_cmp(q, &c) != 0 ||
        quantity_format_str(&c, s3, sizeof(s3)) != SNUG_OK || strcmp(s2, s3) != 0)
        FAIL("\"%s\": \"%s\" is not stable", in, s2);
}

static void check_json_string(const quantity *q, const char *in)
{
    cJSON *j = cJSON_CreateString(in);
    quantity b;

    if (j == NULL)
        return;
    if (quantity_parse_json(j, &b, NULL) != SNUG_OK || b.nanos != q->nanos || b.format != q->format)
        FAIL("\"%s\": quantity_parse_json disagrees", in);
    cJSON_Delete(j);
}

static void check_ceilings(const quantity *q, const char *in)
{
    const __int128 n = q->nanos;
    int64_t m = quantity_milli_ceil(q), v = quantity_value_ceil(q);

    if (m != INT64_MAX && m != INT64_MIN &&
        !((__int128)m * 1000000 >= n && ((__int128)m - 1) * 1000000 < n))
        FAIL("\"%s\": milli_ceil %lld", in, (long long)m);
    if (v != INT64_MAX && v != INT64_MIN &&
        !((__int128)v * 1000000000 >= n && ((__int128)v - 1) * 1000000000 < n))
        FAIL("\"%s\": value_ceil %lld", in, (long long)v);
}

static void check_scale(const quantity *q, const char *in)
{
    quantity r;

    if (quantity_scale(q, 1.0, &r) != SNUG_OK || quantity_cmp(q, &r) != 0 || r.format != q->format)
        FAIL("\"%s\": scale by 1 changed it", in);
    if (quantity_scale(q, 0.0, &r) != SNUG_OK || r.nanos != 0)
        FAIL("\"%s\": scale by 0 is not 0", in);
}

/* The input as a ratio, applied to a few quantities; and as a JSON number. */
static void check_as_double(const char *in)
{
    static const char *const bases[] = {"1", "100m", "1.5Gi", "-3", "1n", "8Ei", "79e27"};
    char *end;
    double d = strtod(in, &end);
    size_t i;

    if (end == in)
        return;
    for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
        quantity q, r;
        snug_status st;

        if (quantity_parse(bases[i], &q, NULL) != SNUG_OK)
            FAIL("base \"%s\" does not parse", bases[i]);
        st = quantity_scale(&q, d, &r);
        if (st == SNUG_OK)
            check_canonical(&r, bases[i]);
        else if (st != SNUG_ERR_RANGE)
            FAIL("scale \"%s\" by %g: status %d", bases[i], d, (int)st);
        else if (isfinite(d) && d >= 0 && d <= 1)
            FAIL("scale \"%s\" by %g: out of range", bases[i], d);
    }
    {
        cJSON *j = cJSON_CreateNumber(d);
        snug_err err;
        quantity q;
        snug_status st;

        if (j == NULL)
            return;
        st = quantity_parse_json(j, &q, &err);
        if (st == SNUG_OK)
            check_canonical(&q, in);
        else if (st != SNUG_ERR_RANGE)
            FAIL("json number %g: status %d", d, (int)st);
        cJSON_Delete(j);
    }
}

static void check_gosize(const char *in)
{
    char buf[GOSIZE_STR_MAX];
    int64_t bytes, back;
    snug_err err;
    snug_status st;

    snug_err_clear(&err);
    st = gosize_parse(in, &bytes, &err);
    if (st != SNUG_OK) {
        check_failure(st, &err, "gosize");
        return;
    }
    if (bytes < 0)
        FAIL("gosize \"%s\": negative %lld", in, (long long)bytes);
    gosize_format(bytes, buf, sizeof(buf));
    if (gosize_parse(buf, &back, NULL) != SNUG_OK || back != bytes)
        FAIL("gosize \"%s\": \"%s\" does not read back", in, buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size + 1);
    snug_err err;
    snug_status st;
    quantity q;

    if (in == NULL)
        return 0;
    memcpy(in, data, size);
    in[size] = '\0';
    snug_err_clear(&err);
    st = quantity_parse(in, &q, &err);
    if (st == SNUG_OK) {
        check_canonical(&q, in);
        check_json_string(&q, in);
        check_ceilings(&q, in);
        check_scale(&q, in);
    } else {
        check_failure(st, &err, "quantity");
    }
    check_as_double(in);
    check_gosize(in);
    free(in);
    return 0;
}

/* fuzz_prom_response.c -- libFuzzer target for prom_result_parse and
 * prom_result_merge: the answers of a Prometheus server (or whatever sits at
 * its URL) are untrusted input.
 *
 * Invariants checked (abort() on violation):
 *  - nothing crashes, leaks or trips a sanitizer;
 *  - a failure leaves *out NULL and a message starting "query fuzz: ";
 *  - a result is well formed: labels strictly sorted by name and found by
 *    prom_series_label, samples in time order, a vector element and a
 *    scalar one sample, a scalar or string one series, `string` set exactly
 *    for string results;
 *  - merging a second parse of the same input into the first succeeds
 *    (except for strings, refused), leaves the series count as it was and
 *    keeps every series in time order;
 *  - differential: the reference parser (prom_response_ref.h, the first
 *    implementation, through a cJSON tree) accepts exactly the same inputs,
 *    reads them into an equal result (values compared bit for bit, NaN
 *    included) and fails with the same status. A failure of both to read
 *    JSON is "not JSON" in both.
 *
 * Build and run: scripts/fuzz.sh 60 prom_response
 */
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "prom/prom_result.h"
#include "prom_response_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_series(const prom_result *r)
{
    size_t i, j;

    for (i = 0; i < r->n_series; i++) {
        const prom_series *s = &r->series[i];

        for (j = 0; j < s->n_labels; j++) {
            if (j > 0 && strcmp(s->labels[j - 1].name, s->labels[j].name) >= 0)
                abort();
            if (prom_series_label(s, s->labels[j].name) != s->labels[j].value)
                abort();
        }
        for (j = 1; j < s->n_samples; j++)
            if (s->samples[j].t < s->samples[j - 1].t)
                abort();
        if (r->type != PROM_MATRIX && s->n_samples != 1)
            abort();
        if ((r->type == PROM_SCALAR || r->type == PROM_STRING) && s->n_labels != 0)
            abort();
    }
    if ((r->type == PROM_SCALAR || r->type == PROM_STRING) && r->n_series != 1)
        abort();
    if ((r->string != NULL) != (r->type == PROM_STRING))
        abort();
}

static int same_double(double a, double b)
{
    return memcmp(&a, &b, sizeof(a)) == 0 || (isnan(a) && isnan(b));
}

static void check_same(const prom_result *a, const prom_result *b)
{
    size_t i, k;

    if (a->type != b->type || a->n_series != b->n_series || a->n_warnings != b->n_warnings ||
        (a->string == NULL) != (b->string == NULL) ||
        (a->string != NULL && strcmp(a->string, b->string) != 0))
        abort();
    for (i = 0; i < a->n_warnings; i++)
        if (strcmp(a->warnings[i], b->warnings[i]) != 0)
            abort();
    for (i = 0; i < a->n_series; i++) {
        const prom_series *x = &a->series[i], *y = &b->series[i];

        if (x->n_labels != y->n_labels || x->n_samples != y->n_samples)
            abort();
        for (k = 0; k < x->n_labels; k++)
            if (strcmp(x->labels[k].name, y->labels[k].name) != 0 ||
                strcmp(x->labels[k].value, y->labels[k].value) != 0)
                abort();
        for (k = 0; k < x->n_samples; k++)
            if (!same_double(x->samples[k].t, y->samples[k].t) ||
                !same_double(x->samples[k].v, y->samples[k].v))
                abort();
    }
}

#define NOT_JSON "query fuzz: not JSON: "

/* The reference must agree on the outcome. */
static void check_reference(const uint8_t *data, size_t size, snug_status st, const snug_err *err,
                            const prom_result *got)
{
    prom_result *ref = NULL;
    snug_err rerr;
    snug_status rst;

    snug_err_clear(&rerr);
    rst = ref_parse((const char *)data, size, "fuzz", &ref, &rerr);
    if ((rst == SNUG_OK) != (st == SNUG_OK))
        abort();
    if (st == SNUG_OK)
        check_same(got, ref);
    else if ((strncmp(err->msg, NOT_JSON, strlen(NOT_JSON)) == 0) !=
             (strncmp(rerr.msg, NOT_JSON, strlen(NOT_JSON)) == 0))
        abort();
    prom_result_free(ref);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    prom_result *a = NULL, *b = NULL;
    snug_err err;
    snug_status st;
    size_t n;

    snug_err_clear(&err);
    st = prom_result_parse((const char *)data, size, "fuzz", &a, &err);
    check_reference(data, size, st, &err, a);
    if (st != SNUG_OK) {
        if (a != NULL || strncmp(err.msg, "query fuzz: ", 12) != 0)
            abort();
        return 0;
    }
    check_series(a);
    if (prom_result_parse((const char *)data, size, "fuzz", &b, &err) != SNUG_OK)
        abort(); /* the same input parses the same way */
    n = a->n_series;
    st = prom_result_merge(a, b, &err);
    if (a->type == PROM_STRING) {
        if (st != SNUG_ERR_INVALID)
            abort();
    } else {
        if (st != SNUG_OK || a->n_series != n || b->n_series != 0)
            abort();
        check_series(a);
    }
    prom_result_free(a);
    prom_result_free(b);
    return 0;
}

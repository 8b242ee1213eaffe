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
 *    keeps every series in time order.
 *
 * Build and run: scripts/fuzz.sh 60 prom_response
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "prom/prom_result.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    prom_result *a = NULL, *b = NULL;
    snug_err err;
    snug_status st;
    size_t n;

    snug_err_clear(&err);
    st = prom_result_parse((const char *)data, size, "fuzz", &a, &err);
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

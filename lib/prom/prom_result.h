/* prom_result.h -- the answer of Prometheus' /api/v1/query and
 * /api/v1/query_range, parsed strictly, and the merge of time chunks.
 *
 * The HTTP API answers
 *   {"status":"success","data":{"resultType":"matrix","result":[
 *      {"metric":{"pod":"a"},"values":[[1700000000,"1.5"],...]}, ...]},
 *    "warnings":["..."]}
 * or {"status":"error","errorType":"bad_data","error":"..."}. Vector
 * elements carry "value":[t,"v"] instead of "values"; a scalar or string
 * result is a bare [t,"v"]. Sample values are strings: decimal numbers (an
 * exponent is accepted), "NaN", "+Inf", "Inf", "-Inf".
 *
 * Parsing is all or nothing: a wrong type anywhere (a number where a string
 * belongs, a label value that is not a string, a sample that is not a pair)
 * fails the whole answer with a message naming the field, e.g.
 *   query up: data.result[2].values[17][1]: sample value is not a string
 * Native histograms ("histogram"/"histograms") are refused as
 * SNUG_ERR_UNSUPPORTED rather than dropped silently.
 *
 * The text is read in one pass straight into the result (prom_json.h), no
 * JSON tree: a 28 MB matrix answer of 1.44 million samples takes ~26 MB
 * besides the text and ~0.45 s of CPU (through a cJSON tree: ~400 MB and
 * ~1.4 s). One pass needs two rules beyond the API's shape, which every
 * server follows: a member the parser reads ("status", "data",
 * "resultType", "result", "metric", "value", ...) may not appear twice in
 * its object, and "resultType" comes before "result".
 *
 * Ownership: a prom_result and everything in it is owned by whoever got it
 * from prom_result_parse() (or a prom_client call) and released with
 * prom_result_free(); all strings are separate heap copies.
 */
#ifndef SNUG_PROM_RESULT_H
#define SNUG_PROM_RESULT_H

#include <stddef.h>

#include "base/status.h"

typedef struct prom_sample {
    double t; /* unix seconds */
    double v; /* may be NaN or +-Inf */
} prom_sample;

typedef struct prom_label {
    char *name, *value;
} prom_label;

typedef struct prom_series {
    prom_label *labels; /* sorted by name (strcmp), names unique */
    size_t n_labels;
    prom_sample *samples; /* in time order */
    size_t n_samples;
} prom_series;

typedef enum prom_result_type {
    PROM_VECTOR,
    PROM_MATRIX,
    PROM_SCALAR,
    PROM_STRING
} prom_result_type;

typedef struct prom_result {
    prom_result_type type;
    prom_series *series; /* a vector's element and a scalar are one-sample series */
    size_t n_series;
    char **warnings; /* as Prometheus sent them */
    size_t n_warnings;
    char *string; /* PROM_STRING only: the value (its one series has one sample, v NaN) */
} prom_result;

/* Parse an answer of `len` bytes (need not be NUL-terminated). `query` (may
 * be NULL) only names the query in messages. On success *out is a new
 * result. On failure *out is NULL and:
 *   status "error"          SNUG_ERR_INVALID for errorType bad_data, else
 *                           SNUG_ERR_HTTP: "query <q>: <errorType>: <error>"
 *   empty                   SNUG_ERR_PARSE "query <q>: empty answer"
 *   not JSON                SNUG_ERR_PARSE "query <q>: not JSON: <first bytes>"
 *   wrong shape or types    SNUG_ERR_PARSE naming the field
 *   native histograms       SNUG_ERR_UNSUPPORTED
 *   out of memory           SNUG_ERR_NOMEM
 * Labels are sorted by name (a duplicate name is an error); samples are put
 * in time order if they were not. */
snug_status prom_result_parse(const char *body, size_t len, const char *query, prom_result **out,
                              snug_err *err);

/* Free a result and everything in it. NULL is ignored. */
void prom_result_free(prom_result *r);

/* The value of label `name` in `s`, or NULL when absent (binary search). */
const char *prom_series_label(const prom_series *s, const char *name);

/* Refuse a result in which two series carry the same label set (PromQL
 * never answers so: "vector cannot contain metrics with the same
 * labelset"): SNUG_ERR_PARSE "query Q: data.result[J]: the same labels as
 * data.result[I]"; SNUG_ERR_NOMEM, SNUG_ERR_TOO_BIG (a label set over 1 MiB).
 * prom_result_parse() calls it, so a merge never meets two series of one
 * answer that it could not tell apart. `query` names the query (may be
 * NULL). */
snug_status prom_result_check_unique(const prom_result *r, const char *query, snug_err *err);

/* Merge `more` into `into` (time chunks of one query): a series of `more`
 * whose label set equals one of `into` has its samples merged in time order,
 * a sample at a time `into` already has being dropped (into's kept); other
 * series are appended. Warnings are appended, leaving out ones `into`
 * already has. On success `more` is left empty (its contents now belong to
 * `into`; the caller still frees the empty `more`). On failure nothing
 * changed in either: SNUG_ERR_INVALID when the result types differ or are
 * PROM_STRING, SNUG_ERR_NOMEM, SNUG_ERR_TOO_BIG (a label set over 1 MiB). */
snug_status prom_result_merge(prom_result *into, prom_result *more, snug_err *err);

/* Write `q` for a message into buf: at most 160 bytes of it, control bytes
 * as spaces, "...(N bytes)" appended when cut; "(none)" for NULL. */
void prom_query_brief(char *buf, size_t cap, const char *q);

#endif

/* prom_result.c -- strict parsing of Prometheus query answers, in one pass
 * over the text (prom_json.h) straight into the result's arrays: no JSON
 * tree, so an answer costs about its own size plus 16 bytes a sample. The
 * merge of time chunks is in prom_result_merge.c.
 *
 * A wrong type does not stop the reading: it is recorded (the first one per
 * part of the answer wins) and the value skipped, so that text that is not
 * JSON at all is always reported as such, whatever came before. Beyond the
 * API's shape, two rules keep one pass possible: a member the parser reads
 * ("status", "data", "resultType", "result", "metric", "value", ...) may
 * not appear twice in its object, and "resultType" must come before
 * "result" (as every server writes them). */
#include "prom/prom_result.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prom/prom_json.h"

#define BRIEF_MAX    160
#define NOT_JSON_MAX 64
#define FIELD_MAX    256 /* a field path in messages; inputs cut to 160 */

/* A failure found while reading, kept until the text is known to be JSON. */
typedef struct sem_err {
    snug_status st;
    char msg[SNUG_ERR_MSG_MAX];
} sem_err;

typedef struct parse_ctx {
    pjson j;
    char q[BRIEF_MAX + 32];
    dynbuf s;                          /* scratch: keys and strings */
    sem_err env, data, warn;           /* the first failure in each part */
    char *status, *error_type, *error; /* NULL: absent or not a string */
    bool has_data, has_type, has_result;
    prom_result *r;
    size_t cap_series, cap_warnings;
} parse_ctx;

void prom_query_brief(char *buf, size_t cap, const char *q)
{
    size_t n, i;

    if (cap == 0)
        return;
    if (q == NULL) {
        snprintf(buf, cap, "(none)");
        return;
    }
    n = strlen(q);
    if (n <= BRIEF_MAX) {
        snprintf(buf, cap, "%s", q);
    } else {
        snprintf(buf, cap, "%.*s...(%zu bytes)", BRIEF_MAX, q, n);
    }
    for (i = 0; buf[i] != '\0'; i++)
        if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
            buf[i] = ' ';
}

/* Record "<field>: <what>" as the failure of part `e` unless it has one. */
static void sem(sem_err *e, snug_status st, const char *field, const char *what)
{
    if (e->st != SNUG_OK)
        return;
    e->st = st;
    snprintf(e->msg, sizeof(e->msg), "%.200s: %.200s", field, what);
}

/* ---- freeing ----------------------------------------------------------------------- */

static void series_clear(prom_series *s)
{
    size_t i;

    for (i = 0; i < s->n_labels; i++) {
        free(s->labels[i].name);
        free(s->labels[i].value);
    }
    free(s->labels);
    free(s->samples);
    memset(s, 0, sizeof(*s));
}

void prom_result_free(prom_result *r)
{
    size_t i;

    if (r == NULL)
        return;
    for (i = 0; i < r->n_series; i++)
        series_clear(&r->series[i]);
    free(r->series);
    for (i = 0; i < r->n_warnings; i++)
        free(r->warnings[i]);
    free(r->warnings);
    free(r->string);
    free(r);
}

const char *prom_series_label(const prom_series *s, const char *name)
{
    size_t lo = 0, hi = s->n_labels;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(s->labels[mid].name, name);

        if (c == 0)
            return s->labels[mid].value;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* ---- values ------------------------------------------------------------------------ */

/* Whether `s` is a decimal number as Go's strconv.FormatFloat writes it:
 * [+-] digits [. digits] [e [+-] digits], at least one mantissa digit. */
static int decimal_syntax(const char *s)
{
    int digits = 0;

    if (*s == '+' || *s == '-')
        s++;
    for (; *s >= '0' && *s <= '9'; s++)
        digits++;
    if (*s == '.')
        for (s++; *s >= '0' && *s <= '9'; s++)
            digits++;
    if (digits == 0)
        return 0;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (*s < '0' || *s > '9')
            return 0;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return *s == '\0';
}

/* A sample value string: NaN, [+-]Inf or a decimal number. 0 on success. */
static int parse_value(const char *s, double *out)
{
    char *end;

    if (strcmp(s, "NaN") == 0) {
        *out = NAN;
        return 0;
    }
    if (strcmp(s, "+Inf") == 0 || strcmp(s, "Inf") == 0) {
        *out = INFINITY;
        return 0;
    }
    if (strcmp(s, "-Inf") == 0) {
        *out = -INFINITY;
        return 0;
    }
    if (!decimal_syntax(s))
        return -1;
    errno = 0;
    *out = strtod(s, &end);
    if (*end != '\0' || (errno == ERANGE && isinf(*out)))
        return -1;
    return 0;
}

/* ---- series ------------------------------------------------------------------------ */

static int label_cmp(const void *a, const void *b)
{
    return strcmp(((const prom_label *)a)->name, ((const prom_label *)b)->name);
}

static int sample_cmp(const void *a, const void *b)
{
    double x = ((const prom_sample *)a)->t, y = ((const prom_sample *)b)->t;

    return x < y ? -1 : x > y ? 1 : 0;
}

/* ---- building ---------------------------------------------------------------------- */

/* Grow *arr (of `size`-byte items, *cap of them) to hold n + 1. */
static bool grow(void **arr, size_t *cap, size_t n, size_t size)
{
    size_t want;
    void *p;

    if (n < *cap)
        return true;
    want = *cap < 8 ? 8 : *cap * 2;
    if (want > SIZE_MAX / size)
        return false;
    p = realloc(*arr, want * size);
    if (p == NULL)
        return false;
    *arr = p;
    *cap = want;
    return true;
}

static bool is_number_start(char ch)
{
    return ch == '-' || (ch >= '0' && ch <= '9');
}

/* Record a failure and skip the value it is about. */
static void skip_bad(parse_ctx *c, sem_err *e, snug_status st, const char *field, const char *what)
{
    sem(e, st, field, what);
    pjson_skip(&c->j);
}

/* The field path of a pair or of one of its elements, for a message:
 * "<field>[<idx>]<suffix>" (no index when idx < 0). Only formatted when a
 * failure is recorded: a matrix has millions of pairs. */
static const char *pair_field(char *f, size_t cap, const char *field, long idx, const char *suffix)
{
    if (idx < 0)
        snprintf(f, cap, "%.160s%s", field, suffix);
    else
        snprintf(f, cap, "%.160s[%ld]%s", field, idx, suffix);
    return f;
}

/* Record a failure about pair `idx` of `field`. */
static void pair_fail(parse_ctx *c, const char *field, long idx, const char *suffix,
                      const char *what, bool skip)
{
    char f[FIELD_MAX];

    if (c->data.st == SNUG_OK)
        sem(&c->data, SNUG_ERR_PARSE, pair_field(f, sizeof(f), field, idx, suffix), what);
    if (skip)
        pjson_skip(&c->j);
}

/* The pair's value: a number, or for a string result its text into *str. */
static void pair_value(parse_ctx *c, const char *field, long idx, prom_sample *out, char **str)
{
    char f[FIELD_MAX], what[96];

    if (str != NULL) {
        out->v = NAN;
        *str = strdup(dynbuf_str(&c->s));
        if (*str == NULL)
            sem(&c->data, SNUG_ERR_NOMEM, pair_field(f, sizeof(f), field, idx, "[1]"),
                "out of memory");
    } else if (parse_value(dynbuf_str(&c->s), &out->v) != 0) {
        snprintf(what, sizeof(what), "sample value \"%.40s\" is not a number", dynbuf_str(&c->s));
        pair_fail(c, field, idx, "[1]", what, false);
    }
}

/* Pair `idx` of `field` ([t, "v"]) into *out; for a string result its text
 * into *str. */
static void read_pair(parse_ctx *c, const char *field, long idx, prom_sample *out, char **str)
{
    static const char shape[] = "sample is not a [time, \"value\"] pair";
    bool first = true;

    out->t = out->v = 0;
    if (pjson_peek(&c->j) != '[') {
        pair_fail(c, field, idx, "", shape, true);
        return;
    }
    pjson_begin(&c->j, '[');
    if (!pjson_next(&c->j, ']', &first)) {
        pair_fail(c, field, idx, "", shape, false);
        return;
    }
    if (!is_number_start(pjson_peek(&c->j)))
        pair_fail(c, field, idx, "[0]", "sample time is not a number", true);
    else if (pjson_number(&c->j, &out->t) && !isfinite(out->t))
        pair_fail(c, field, idx, "[0]", "sample time is not a number", false);
    if (!pjson_next(&c->j, ']', &first)) {
        pair_fail(c, field, idx, "", shape, false);
        return;
    }
    if (pjson_peek(&c->j) != '"')
        pair_fail(c, field, idx, "[1]", "sample value is not a string", true);
    else if (pjson_string(&c->j, &c->s))
        pair_value(c, field, idx, out, str);
    if (pjson_next(&c->j, ']', &first)) {
        pair_fail(c, field, idx, "", shape, false);
        do
            pjson_skip(&c->j);
        while (pjson_next(&c->j, ']', &first));
    }
}

static void read_labels(parse_ctx *c, const char *field, prom_series *s)
{
    char f[FIELD_MAX];
    size_t cap = 0;
    bool first = true;

    if (pjson_peek(&c->j) != '{') {
        skip_bad(c, &c->data, SNUG_ERR_PARSE, field, "missing or not an object");
        return;
    }
    pjson_begin(&c->j, '{');
    while (pjson_next(&c->j, '}', &first) && pjson_string(&c->j, &c->s) &&
           pjson_expect(&c->j, ':')) {
        prom_label *l;

        snprintf(f, sizeof(f), "%.160s.%.64s", field, dynbuf_str(&c->s));
        if (!grow((void **)&s->labels, &cap, s->n_labels, sizeof(prom_label))) {
            skip_bad(c, &c->data, SNUG_ERR_NOMEM, f, "out of memory");
            continue;
        }
        l = &s->labels[s->n_labels];
        l->name = strdup(dynbuf_str(&c->s));
        l->value = NULL;
        s->n_labels++;
        if (l->name == NULL)
            sem(&c->data, SNUG_ERR_NOMEM, f, "out of memory");
        if (pjson_peek(&c->j) != '"') {
            skip_bad(c, &c->data, SNUG_ERR_PARSE, f, "label value is not a string");
        } else if (pjson_string(&c->j, &c->s)) {
            l->value = strdup(dynbuf_str(&c->s));
            if (l->value == NULL)
                sem(&c->data, SNUG_ERR_NOMEM, f, "out of memory");
        }
    }
}

/* Sort the labels and refuse a name twice. */
static void check_labels(parse_ctx *c, const char *field, prom_series *s)
{
    char f[FIELD_MAX];
    size_t i;

    for (i = 0; i < s->n_labels; i++)
        if (s->labels[i].name == NULL || s->labels[i].value == NULL)
            return; /* a failure was recorded */
    if (s->n_labels < 2)
        return; /* (labels may be NULL: qsort must not see it) */
    qsort(s->labels, s->n_labels, sizeof(*s->labels), label_cmp);
    for (i = 1; i < s->n_labels; i++)
        if (strcmp(s->labels[i - 1].name, s->labels[i].name) == 0) {
            snprintf(f, sizeof(f), "%.160s.%.64s", field, s->labels[i].name);
            {
                sem(&c->data, SNUG_ERR_PARSE, f, "duplicate label");
                return;
            }
        }
}

static void read_values(parse_ctx *c, const char *field, prom_series *s)
{
    char f[FIELD_MAX];
    size_t cap = 0;
    bool first = true, sorted = true;

    if (pjson_peek(&c->j) != '[') {
        skip_bad(c, &c->data, SNUG_ERR_PARSE, field, "missing or not an array");
        return;
    }
    pjson_begin(&c->j, '[');
    while (pjson_next(&c->j, ']', &first)) {
        if (!grow((void **)&s->samples, &cap, s->n_samples, sizeof(prom_sample))) {
            pair_field(f, sizeof(f), field, (long)s->n_samples, "");
            skip_bad(c, &c->data, SNUG_ERR_NOMEM, f, "out of memory");
            continue;
        }
        read_pair(c, field, (long)s->n_samples, &s->samples[s->n_samples], NULL);
        if (s->n_samples > 0 && s->samples[s->n_samples].t < s->samples[s->n_samples - 1].t)
            sorted = false;
        s->n_samples++;
    }
    if (!sorted)
        qsort(s->samples, s->n_samples, sizeof(*s->samples), sample_cmp);
}

/* The index of `key` in `names` (n of them), or -1; a second sighting of a
 * known member is recorded as a failure in `e` and gives -2. */
static int member(parse_ctx *c, sem_err *e, const char *field, const char *const *names, int n,
                  unsigned *seen)
{
    const char *key = dynbuf_str(&c->s);
    char f[FIELD_MAX];
    int i;

    for (i = 0; i < n; i++)
        if (strcmp(key, names[i]) == 0)
            break;
    if (i == n)
        return -1;
    if (*seen & (1u << i)) {
        snprintf(f, sizeof(f), "%.160s%s%.64s", field, field[0] ? "." : "", key);
        sem(e, SNUG_ERR_PARSE, f, "appears twice");
        return -2;
    }
    *seen |= 1u << i;
    return i;
}

static void read_series_member(parse_ctx *c, int k, const char *field, prom_series *s,
                               unsigned *got)
{
    char f[FIELD_MAX];

    if (k == 0) {
        snprintf(f, sizeof(f), "%.160s.metric", field);
        read_labels(c, f, s);
        *got |= 1;
        return;
    }
    if (k == 3 || k == 4) {
        skip_bad(c, &c->data, SNUG_ERR_UNSUPPORTED, field, "native histograms are not supported");
        return;
    }
    if ((k == 1) != (c->r->type == PROM_VECTOR)) {
        pjson_skip(&c->j); /* "value" in a matrix, "values" in a vector */
        return;
    }
    *got |= 2;
    if (k == 2) {
        snprintf(f, sizeof(f), "%.160s.values", field);
        {
            read_values(c, f, s);
            return;
        }
    }
    snprintf(f, sizeof(f), "%.160s.value", field);
    s->samples = malloc(sizeof(prom_sample));
    if (s->samples == NULL) {
        skip_bad(c, &c->data, SNUG_ERR_NOMEM, f, "out of memory");
        return;
    }
    read_pair(c, f, -1, &s->samples[0], NULL);
    s->n_samples = 1;
}

/* One element of a vector or matrix result. */
static void read_series(parse_ctx *c, size_t i)
{
    static const char *const names[] = {"metric", "value", "values", "histogram", "histograms"};
    char field[64], f[FIELD_MAX];
    prom_result *r = c->r;
    prom_series *s;
    unsigned seen = 0, got = 0;
    bool first = true;
    int k;

    snprintf(field, sizeof(field), "data.result[%zu]", i);
    if (!grow((void **)&r->series, &c->cap_series, r->n_series, sizeof(prom_series))) {
        skip_bad(c, &c->data, SNUG_ERR_NOMEM, field, "out of memory");
        return;
    }
    s = &r->series[r->n_series++];
    memset(s, 0, sizeof(*s));
    if (pjson_peek(&c->j) != '{') {
        skip_bad(c, &c->data, SNUG_ERR_PARSE, field, "series is not an object");
        return;
    }
    pjson_begin(&c->j, '{');
    while (pjson_next(&c->j, '}', &first) && pjson_string(&c->j, &c->s) &&
           pjson_expect(&c->j, ':')) {
        k = member(c, &c->data, field, names, 5, &seen);
        if (k < 0)
            pjson_skip(&c->j);
        else
            read_series_member(c, k, field, s, &got);
    }
    snprintf(f, sizeof(f), "%s.%s", field,
             !(got & 1)               ? "metric"
             : r->type == PROM_VECTOR ? "value"
                                      : "values");
    if (!(got & 1))
        sem(&c->data, SNUG_ERR_PARSE, f, "missing or not an object");
    else if (!(got & 2))
        sem(&c->data, SNUG_ERR_PARSE, f,
            r->type == PROM_VECTOR ? "missing" : "missing or not an array");
    snprintf(f, sizeof(f), "%s.metric", field);
    check_labels(c, f, s);
}

/* A scalar or string result: one series without labels, one sample. */
static void read_single(parse_ctx *c)
{
    prom_result *r = c->r;

    r->series = calloc(1, sizeof(*r->series));
    if (r->series != NULL)
        r->series[0].samples = malloc(sizeof(prom_sample));
    if (r->series == NULL || r->series[0].samples == NULL) {
        skip_bad(c, &c->data, SNUG_ERR_NOMEM, "data.result", "out of memory");
        return;
    }
    r->n_series = 1;
    r->series[0].n_samples = 1;
    read_pair(c, "data.result", -1, &r->series[0].samples[0],
              r->type == PROM_STRING ? &r->string : NULL);
}

static void read_result(parse_ctx *c)
{
    bool first = true;

    c->has_result = true;
    if (!c->has_type) {
        skip_bad(c, &c->data, SNUG_ERR_PARSE, "data.result",
                 "comes before a valid data.resultType");
        return;
    }
    if (c->r->type == PROM_SCALAR || c->r->type == PROM_STRING) {
        read_single(c);
        return;
    }
    if (pjson_peek(&c->j) != '[') {
        skip_bad(c, &c->data, SNUG_ERR_PARSE, "data.result", "missing or not an array");
        return;
    }
    pjson_begin(&c->j, '[');
    while (pjson_next(&c->j, ']', &first))
        read_series(c, c->r->n_series);
}

static void read_type(parse_ctx *c)
{
    static const char *const names[] = {"vector", "matrix", "scalar", "string"};
    int i;

    if (pjson_peek(&c->j) != '"') {
        skip_bad(c, &c->data, SNUG_ERR_PARSE, "data.resultType", "missing or not a string");
        return;
    }
    if (!pjson_string(&c->j, &c->s))
        return;
    for (i = 0; i < 4; i++)
        if (strcmp(dynbuf_str(&c->s), names[i]) == 0)
            break;
    if (i == 4) {
        sem(&c->data, SNUG_ERR_PARSE, "data.resultType", "not vector, matrix, scalar or string");
        return;
    }
    c->r->type = (prom_result_type)i;
    c->has_type = true;
}

static void read_data(parse_ctx *c)
{
    static const char *const names[] = {"resultType", "result"};
    unsigned seen = 0;
    bool first = true;
    int k;

    if (pjson_peek(&c->j) != '{') {
        skip_bad(c, &c->data, SNUG_ERR_PARSE, "data", "missing or not an object");
        return;
    }
    c->has_data = true;
    pjson_begin(&c->j, '{');
    while (pjson_next(&c->j, '}', &first) && pjson_string(&c->j, &c->s) &&
           pjson_expect(&c->j, ':')) {
        k = member(c, &c->data, "data", names, 2, &seen);
        if (k == 0)
            read_type(c);
        else if (k == 1)
            read_result(c);
        else
            pjson_skip(&c->j);
    }
}

static void read_warnings(parse_ctx *c)
{
    prom_result *r = c->r;
    char f[64];
    bool first = true;

    if (pjson_peek(&c->j) == 'n') {
        pjson_skip(&c->j); /* null, or not JSON */
        return;
    }
    if (pjson_peek(&c->j) != '[') {
        skip_bad(c, &c->warn, SNUG_ERR_PARSE, "warnings", "not an array");
        return;
    }
    pjson_begin(&c->j, '[');
    while (pjson_next(&c->j, ']', &first)) {
        snprintf(f, sizeof(f), "warnings[%zu]", r->n_warnings);
        if (pjson_peek(&c->j) != '"') {
            skip_bad(c, &c->warn, SNUG_ERR_PARSE, f, "not a string");
        } else if (!grow((void **)&r->warnings, &c->cap_warnings, r->n_warnings, sizeof(char *))) {
            skip_bad(c, &c->warn, SNUG_ERR_NOMEM, f, "out of memory");
        } else if (pjson_string(&c->j, &c->s)) {
            r->warnings[r->n_warnings] = strdup(dynbuf_str(&c->s));
            if (r->warnings[r->n_warnings] == NULL)
                sem(&c->warn, SNUG_ERR_NOMEM, f, "out of memory");
            else
                r->n_warnings++;
        }
    }
}

/* "status", "errorType", "error": a string copied into *out, else NULL. */
static void read_opt_string(parse_ctx *c, char **out)
{
    if (pjson_peek(&c->j) != '"') {
        pjson_skip(&c->j);
        return;
    }
    if (pjson_string(&c->j, &c->s)) {
        *out = strdup(dynbuf_str(&c->s));
        if (*out == NULL)
            sem(&c->env, SNUG_ERR_NOMEM, "answer", "out of memory");
    }
}

static void read_envelope(parse_ctx *c)
{
    static const char *const names[] = {"status", "errorType", "error", "data", "warnings"};
    unsigned seen = 0;
    bool first = true;
    int k;

    pjson_begin(&c->j, '{');
    while (pjson_next(&c->j, '}', &first) && pjson_string(&c->j, &c->s) &&
           pjson_expect(&c->j, ':')) {
        k = member(c, &c->env, "", names, 5, &seen);
        if (k == 0)
            read_opt_string(c, &c->status);
        else if (k == 1)
            read_opt_string(c, &c->error_type);
        else if (k == 2)
            read_opt_string(c, &c->error);
        else if (k == 3)
            read_data(c);
        else if (k == 4)
            read_warnings(c);
        else
            pjson_skip(&c->j);
    }
}

/* ---- the verdict ------------------------------------------------------------------- */

/* "not JSON: <first bytes>", the bytes printable. */
static snug_status not_json(parse_ctx *c, const char *body, size_t len, snug_err *err)
{
    char head[NOT_JSON_MAX + 1];
    size_t i, n = len < NOT_JSON_MAX ? len : NOT_JSON_MAX;

    for (i = 0; i < n; i++) {
        unsigned char b = (unsigned char)body[i];

        head[i] = b < 0x20 || b >= 0x7f ? ' ' : (char)b;
    }
    head[n] = '\0';
    return snug_err_set(err, SNUG_ERR_PARSE, "query %s: not JSON: %s%s", c->q, head,
                        len > n ? "..." : "");
}

static snug_status report(parse_ctx *c, const sem_err *e, snug_err *err)
{
    return snug_err_set(err, e->st, "query %s: %s", c->q, e->msg);
}

/* What the answer says, now that it is known to be JSON. */
static snug_status verdict(parse_ctx *c, snug_err *err)
{
    if (c->env.st != SNUG_OK)
        return report(c, &c->env, err);
    if (c->status == NULL)
        return snug_err_set(err, SNUG_ERR_PARSE, "query %s: status: missing or not a string", c->q);
    if (strcmp(c->status, "error") == 0) {
        if (c->error_type == NULL || c->error == NULL)
            return snug_err_set(err, SNUG_ERR_PARSE,
                                "query %s: %s: status is \"error\" but this is missing or not a "
                                "string",
                                c->q, c->error_type == NULL ? "errorType" : "error");
        return snug_err_set(
            err, strcmp(c->error_type, "bad_data") == 0 ? SNUG_ERR_INVALID : SNUG_ERR_HTTP,
            "query %s: %.64s: %.300s", c->q, c->error_type, c->error);
    }
    if (strcmp(c->status, "success") != 0)
        return snug_err_set(err, SNUG_ERR_PARSE,
                            "query %s: status: neither \"success\" nor \"error\"", c->q);
    if (c->data.st != SNUG_OK)
        return report(c, &c->data, err);
    if (!c->has_data)
        return snug_err_set(err, SNUG_ERR_PARSE, "query %s: data: missing or not an object", c->q);
    if (!c->has_type)
        return snug_err_set(err, SNUG_ERR_PARSE,
                            "query %s: data.resultType: missing or not a string", c->q);
    if (!c->has_result)
        return snug_err_set(err, SNUG_ERR_PARSE, "query %s: data.result: missing or not an array",
                            c->q);
    if (c->warn.st != SNUG_OK)
        return report(c, &c->warn, err);
    return SNUG_OK;
}

/* The answer is not an object: "not JSON" or "not a JSON object". */
static snug_status not_object(parse_ctx *c, const char *body, size_t len, snug_err *err)
{
    if (pjson_skip(&c->j) && pjson_finish(&c->j))
        return snug_err_set(err, SNUG_ERR_PARSE, "query %s: answer: not a JSON object", c->q);
    return not_json(c, body, len, err);
}

static snug_status parse_all(parse_ctx *c, const char *body, size_t len, snug_err *err)
{
    if (pjson_peek(&c->j) != '{')
        return not_object(c, body, len, err);
    read_envelope(c);
    if (!pjson_finish(&c->j))
        return not_json(c, body, len, err);
    return verdict(c, err);
}

snug_status prom_result_parse(const char *body, size_t len, const char *query, prom_result **out,
                              snug_err *err)
{
    parse_ctx c;
    snug_status st;

    *out = NULL;
    memset(&c, 0, sizeof(c));
    prom_query_brief(c.q, sizeof(c.q), query);
    if (len == 0 || body == NULL)
        return snug_err_set(err, SNUG_ERR_PARSE, "query %s: empty answer", c.q);
    c.r = calloc(1, sizeof(*c.r));
    if (c.r == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "query %s: out of memory", c.q);
    pjson_init(&c.j, body, len);
    dynbuf_init(&c.s, len + 1); /* a decoded string is never longer than the text */
    st = parse_all(&c, body, len, err);
    if (st == SNUG_OK)
        st = prom_result_check_unique(c.r, c.q, err);
    if (st == SNUG_OK) {
        *out = c.r;
        c.r = NULL;
    }
    prom_result_free(c.r);
    dynbuf_free(&c.s);
    free(c.status);
    free(c.error_type);
    free(c.error);
    return st;
}

/* prom_response_ref.h -- the reference parser of Prometheus answers for
 * fuzz_prom_response: the first implementation of prom_result_parse, which
 * builds a cJSON tree with jsonparse() and walks it. The library now reads
 * the text in one pass (lib/prom/prom_json.c); the fuzzer checks that both
 * accept the same answers and read them into equal results. Two rules of
 * the one-pass reader are added here (ref_rules): a member the parser reads
 * may not appear twice in its object, and data.resultType must come before
 * data.result. Test code only. */
#ifndef SNUG_PROM_RESPONSE_REF_H
#define SNUG_PROM_RESPONSE_REF_H

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json/jsonparse.h"
#include "prom/prom_result.h"

#define BRIEF_MAX    160
#define NOT_JSON_MAX 64
#define FIELD_MAX    256

typedef struct parse_ctx {
    char q[BRIEF_MAX + 32];
    snug_err *err;
} parse_ctx;

/* Fail with "query <q>: <field>: <what>". */
/* Whether one of `names` appears twice among the members of object `o`. */
static int ref_dup(const cJSON *o, const char *const *names, int n)
{
    int i;

    for (i = 0; i < n; i++) {
        const cJSON *m;
        int count = 0;

        for (m = o->child; m != NULL; m = m->next)
            count += m->string != NULL && strcmp(m->string, names[i]) == 0;
        if (count > 1)
            return 1;
    }
    return 0;
}

/* Whether "result" comes before "resultType" (or there is no resultType). */
static int ref_result_first(const cJSON *data)
{
    const cJSON *m;

    for (m = data->child; m != NULL; m = m->next) {
        if (m->string != NULL && strcmp(m->string, "resultType") == 0)
            return 0;
        if (m->string != NULL && strcmp(m->string, "result") == 0)
            return 1;
    }
    return 0;
}

static snug_status fail(parse_ctx *c, snug_status st, const char *field, const char *what)
{
    return snug_err_set(c->err, st, "query %s: %s: %s", c->q, field, what);
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

/* A [t, "v"] pair into *out. `field` names the pair. */
static snug_status parse_pair(parse_ctx *c, const cJSON *pair, const char *field, prom_sample *out,
                              const char **str)
{
    const cJSON *t, *v;
    char f[FIELD_MAX];

    if (!cJSON_IsArray(pair) || (t = pair->child) == NULL || (v = t->next) == NULL ||
        v->next != NULL)
        return fail(c, SNUG_ERR_PARSE, field, "sample is not a [time, \"value\"] pair");
    if (!cJSON_IsNumber(t) || !isfinite(t->valuedouble)) {
        snprintf(f, sizeof(f), "%.160s[0]", field);
        return fail(c, SNUG_ERR_PARSE, f, "sample time is not a number");
    }
    out->t = t->valuedouble;
    snprintf(f, sizeof(f), "%.160s[1]", field);
    if (!cJSON_IsString(v) || v->valuestring == NULL)
        return fail(c, SNUG_ERR_PARSE, f, "sample value is not a string");
    if (str != NULL) { /* a string result: the text is the value */
        *str = v->valuestring;
        out->v = NAN;
        return SNUG_OK;
    }
    if (parse_value(v->valuestring, &out->v) != 0) {
        char what[96];

        snprintf(what, sizeof(what), "sample value \"%.40s\" is not a number", v->valuestring);
        return fail(c, SNUG_ERR_PARSE, f, what);
    }
    return SNUG_OK;
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

static size_t child_count(const cJSON *a)
{
    size_t n = 0;
    const cJSON *e;

    for (e = a->child; e != NULL; e = e->next)
        n++;
    return n;
}

static snug_status parse_labels(parse_ctx *c, const cJSON *metric, const char *field,
                                prom_series *s)
{
    const cJSON *m;
    char f[FIELD_MAX];
    size_t i;

    if (!cJSON_IsObject(metric))
        return fail(c, SNUG_ERR_PARSE, field, "missing or not an object");
    s->n_labels = 0;
    s->labels = calloc(child_count(metric) + 1, sizeof(*s->labels));
    if (s->labels == NULL)
        return fail(c, SNUG_ERR_NOMEM, field, "out of memory");
    for (m = metric->child; m != NULL; m = m->next) {
        prom_label *l = &s->labels[s->n_labels];

        snprintf(f, sizeof(f), "%.160s.%.64s", field, m->string != NULL ? m->string : "");
        if (!cJSON_IsString(m) || m->valuestring == NULL || m->string == NULL)
            return fail(c, SNUG_ERR_PARSE, f, "label value is not a string");
        l->name = strdup(m->string);
        l->value = strdup(m->valuestring);
        s->n_labels++;
        if (l->name == NULL || l->value == NULL)
            return fail(c, SNUG_ERR_NOMEM, f, "out of memory");
    }
    qsort(s->labels, s->n_labels, sizeof(*s->labels), label_cmp);
    for (i = 1; i < s->n_labels; i++)
        if (strcmp(s->labels[i - 1].name, s->labels[i].name) == 0) {
            snprintf(f, sizeof(f), "%.160s.%.64s", field, s->labels[i].name);
            return fail(c, SNUG_ERR_PARSE, f, "duplicate label");
        }
    return SNUG_OK;
}

static snug_status parse_values(parse_ctx *c, const cJSON *values, const char *field,
                                prom_series *s)
{
    const cJSON *e;
    char f[FIELD_MAX];
    int sorted = 1;
    snug_status st;

    if (!cJSON_IsArray(values))
        return fail(c, SNUG_ERR_PARSE, field, "missing or not an array");
    s->samples = malloc((child_count(values) + 1) * sizeof(*s->samples));
    if (s->samples == NULL)
        return fail(c, SNUG_ERR_NOMEM, field, "out of memory");
    for (e = values->child; e != NULL; e = e->next) {
        snprintf(f, sizeof(f), "%.160s[%zu]", field, s->n_samples);
        st = parse_pair(c, e, f, &s->samples[s->n_samples], NULL);
        if (st != SNUG_OK)
            return st;
        if (s->n_samples > 0 && s->samples[s->n_samples].t < s->samples[s->n_samples - 1].t)
            sorted = 0;
        s->n_samples++;
    }
    if (!sorted)
        qsort(s->samples, s->n_samples, sizeof(*s->samples), sample_cmp);
    return SNUG_OK;
}

/* One element of a vector or matrix result. */
static snug_status parse_series(parse_ctx *c, const cJSON *e, prom_result_type type,
                                const char *field, prom_series *s)
{
    char f[FIELD_MAX];
    const cJSON *v;
    snug_status st;

    if (!cJSON_IsObject(e))
        return fail(c, SNUG_ERR_PARSE, field, "series is not an object");
    {
        static const char *const known[] = {"metric", "value", "values", "histogram", "histograms"};

        if (ref_dup(e, known, 5))
            return fail(c, SNUG_ERR_PARSE, field, "appears twice");
    }
    snprintf(f, sizeof(f), "%.160s.metric", field);
    st = parse_labels(c, cJSON_GetObjectItemCaseSensitive(e, "metric"), f, s);
    if (st != SNUG_OK)
        return st;
    if (cJSON_GetObjectItemCaseSensitive(e, "histogram") != NULL ||
        cJSON_GetObjectItemCaseSensitive(e, "histograms") != NULL)
        return fail(c, SNUG_ERR_UNSUPPORTED, field, "native histograms are not supported");
    if (type == PROM_MATRIX) {
        snprintf(f, sizeof(f), "%.160s.values", field);
        return parse_values(c, cJSON_GetObjectItemCaseSensitive(e, "values"), f, s);
    }
    snprintf(f, sizeof(f), "%.160s.value", field);
    v = cJSON_GetObjectItemCaseSensitive(e, "value");
    if (v == NULL)
        return fail(c, SNUG_ERR_PARSE, f, "missing");
    s->samples = malloc(sizeof(*s->samples));
    if (s->samples == NULL)
        return fail(c, SNUG_ERR_NOMEM, f, "out of memory");
    st = parse_pair(c, v, f, &s->samples[0], NULL);
    if (st == SNUG_OK)
        s->n_samples = 1;
    return st;
}

static snug_status parse_series_list(parse_ctx *c, const cJSON *result, prom_result *r)
{
    const cJSON *e;
    char f[64];
    snug_status st;

    if (!cJSON_IsArray(result))
        return fail(c, SNUG_ERR_PARSE, "data.result", "missing or not an array");
    r->series = calloc(child_count(result) + 1, sizeof(*r->series));
    if (r->series == NULL)
        return fail(c, SNUG_ERR_NOMEM, "data.result", "out of memory");
    for (e = result->child; e != NULL; e = e->next) {
        snprintf(f, sizeof(f), "data.result[%zu]", r->n_series);
        st = parse_series(c, e, r->type, f, &r->series[r->n_series]);
        r->n_series++; /* freed with the rest on failure */
        if (st != SNUG_OK)
            return st;
    }
    return SNUG_OK;
}

/* A scalar or string result: one series without labels, one sample. */
static snug_status parse_single(parse_ctx *c, const cJSON *result, prom_result *r)
{
    const char *str = NULL;
    snug_status st;

    r->series = calloc(1, sizeof(*r->series));
    if (r->series == NULL)
        return fail(c, SNUG_ERR_NOMEM, "data.result", "out of memory");
    r->n_series = 1;
    r->series[0].samples = malloc(sizeof(prom_sample));
    if (r->series[0].samples == NULL)
        return fail(c, SNUG_ERR_NOMEM, "data.result", "out of memory");
    st = parse_pair(c, result, "data.result", &r->series[0].samples[0],
                    r->type == PROM_STRING ? &str : NULL);
    if (st != SNUG_OK)
        return st;
    r->series[0].n_samples = 1;
    if (str != NULL) {
        r->string = strdup(str);
        if (r->string == NULL)
            return fail(c, SNUG_ERR_NOMEM, "data.result", "out of memory");
    }
    return SNUG_OK;
}

/* ---- the envelope ------------------------------------------------------------------ */

static snug_status parse_warnings(parse_ctx *c, const cJSON *root, prom_result *r)
{
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(root, "warnings");
    const cJSON *e;
    char f[64];

    if (w == NULL || cJSON_IsNull(w))
        return SNUG_OK;
    if (!cJSON_IsArray(w))
        return fail(c, SNUG_ERR_PARSE, "warnings", "not an array");
    r->warnings = calloc(child_count(w) + 1, sizeof(char *));
    if (r->warnings == NULL)
        return fail(c, SNUG_ERR_NOMEM, "warnings", "out of memory");
    for (e = w->child; e != NULL; e = e->next) {
        snprintf(f, sizeof(f), "warnings[%zu]", r->n_warnings);
        if (!cJSON_IsString(e) || e->valuestring == NULL)
            return fail(c, SNUG_ERR_PARSE, f, "not a string");
        r->warnings[r->n_warnings] = strdup(e->valuestring);
        if (r->warnings[r->n_warnings] == NULL)
            return fail(c, SNUG_ERR_NOMEM, f, "out of memory");
        r->n_warnings++;
    }
    return SNUG_OK;
}

static const char *string_member(const cJSON *o, const char *name)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, name);

    return cJSON_IsString(m) ? m->valuestring : NULL;
}

/* A status:"error" answer: its errorType and error, as the failure. */
static snug_status parse_error_answer(parse_ctx *c, const cJSON *root)
{
    const char *type = string_member(root, "errorType");
    const char *msg = string_member(root, "error");

    if (type == NULL || msg == NULL)
        return fail(c, SNUG_ERR_PARSE, type == NULL ? "errorType" : "error",
                    "status is \"error\" but this is missing or not a string");
    return snug_err_set(c->err, strcmp(type, "bad_data") == 0 ? SNUG_ERR_INVALID : SNUG_ERR_HTTP,
                        "query %s: %.64s: %.300s", c->q, type, msg);
}

static snug_status parse_data(parse_ctx *c, const cJSON *root, prom_result *r)
{
    static const char *const names[] = {"vector", "matrix", "scalar", "string"};
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
    const char *type;
    size_t i;

    if (!cJSON_IsObject(data))
        return fail(c, SNUG_ERR_PARSE, "data", "missing or not an object");
    {
        static const char *const known[] = {"resultType", "result"};

        if (ref_dup(data, known, 2) || ref_result_first(data))
            return fail(c, SNUG_ERR_PARSE, "data", "rules of the one-pass reader");
    }
    type = string_member(data, "resultType");
    if (type == NULL)
        return fail(c, SNUG_ERR_PARSE, "data.resultType", "missing or not a string");
    for (i = 0; i < 4; i++)
        if (strcmp(type, names[i]) == 0)
            break;
    if (i == 4)
        return fail(c, SNUG_ERR_PARSE, "data.resultType", "not vector, matrix, scalar or string");
    r->type = (prom_result_type)i;
    if (r->type == PROM_VECTOR || r->type == PROM_MATRIX)
        return parse_series_list(c, cJSON_GetObjectItemCaseSensitive(data, "result"), r);
    return parse_single(c, cJSON_GetObjectItemCaseSensitive(data, "result"), r);
}

/* "not JSON: <first bytes>", the bytes printable. */
static snug_status not_json(parse_ctx *c, const char *body, size_t len)
{
    char head[NOT_JSON_MAX + 1];
    size_t i, n = len < NOT_JSON_MAX ? len : NOT_JSON_MAX;

    for (i = 0; i < n; i++) {
        unsigned char b = (unsigned char)body[i];

        head[i] = b < 0x20 || b >= 0x7f ? ' ' : (char)b;
    }
    head[n] = '\0';
    return snug_err_set(c->err, SNUG_ERR_PARSE, "query %s: not JSON: %s%s", c->q, head,
                        len > n ? "..." : "");
}

static snug_status parse_root(parse_ctx *c, const cJSON *root, prom_result *r)
{
    const char *status;
    snug_status st;

    if (!cJSON_IsObject(root))
        return fail(c, SNUG_ERR_PARSE, "answer", "not a JSON object");
    {
        static const char *const known[] = {"status", "errorType", "error", "data", "warnings"};

        if (ref_dup(root, known, 5))
            return fail(c, SNUG_ERR_PARSE, "answer", "appears twice");
    }
    status = string_member(root, "status");
    if (status == NULL)
        return fail(c, SNUG_ERR_PARSE, "status", "missing or not a string");
    if (strcmp(status, "error") == 0)
        return parse_error_answer(c, root);
    if (strcmp(status, "success") != 0)
        return fail(c, SNUG_ERR_PARSE, "status", "neither \"success\" nor \"error\"");
    st = parse_data(c, root, r);
    if (st == SNUG_OK)
        st = parse_warnings(c, root, r);
    return st;
}

static snug_status ref_parse(const char *body, size_t len, const char *query, prom_result **out,
                             snug_err *err)
{
    parse_ctx c;
    cJSON *root = NULL;
    prom_result *r = NULL;
    snug_status st;

    *out = NULL;
    c.err = err;
    prom_query_brief(c.q, sizeof(c.q), query);
    if (len == 0 || body == NULL)
        return snug_err_set(err, SNUG_ERR_PARSE, "query %s: empty answer", c.q);
    st = jsonparse(body, len, &root, NULL);
    if (st == SNUG_ERR_NOMEM)
        return snug_err_set(err, st, "query %s: out of memory parsing the answer", c.q);
    if (st != SNUG_OK)
        return not_json(&c, body, len);
    r = calloc(1, sizeof(*r));
    if (r == NULL) {
        st = snug_err_set(err, SNUG_ERR_NOMEM, "query %s: out of memory", c.q);
        goto out;
    }
    st = parse_root(&c, root, r);
    if (st == SNUG_OK) /* shared with the parser under test: not a cross-check */
        st = prom_result_check_unique(r, c.q, err);
    if (st == SNUG_OK) {
        *out = r;
        r = NULL;
    }
out:
    prom_result_free(r);
    cJSON_Delete(root);
    return st;
}

#endif

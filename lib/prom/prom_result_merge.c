/* prom_result_merge.c -- joining the results of time chunks of one query.
 *
 * Two phases, so a failure changes nothing: first every allocation (an
 * index of `into`'s label sets, the merged sample arrays, room for the new
 * series and warnings), then moves that cannot fail. */
#include "prom/prom_result.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/dynbuf.h"
#include "base/strmap.h"

#define LABEL_KEY_MAX (1u << 20)

typedef struct merge_plan {
    strmap *index;        /* label-set key of into's series -> index + 1 */
    size_t *match;        /* per series of more: index + 1 in into, or 0 */
    prom_sample **joined; /* per series of more that matched: merged samples */
    size_t *joined_n;
    size_t n_new; /* series of more that did not match */
    size_t n_new_warnings;
    char *new_warning; /* per warning of more: 1 when into lacks it */
} merge_plan;

/* The key of a label set: "<len>:<name><len>:<value>..." (unambiguous). */
static snug_status label_key(dynbuf *b, const prom_series *s)
{
    size_t i;
    snug_status st = SNUG_OK;

    dynbuf_reset(b);
    st = dynbuf_addc(b, '{'); /* never empty, so dynbuf_str is never a shared "" */
    for (i = 0; i < s->n_labels && st == SNUG_OK; i++)
        st = dynbuf_printf(b, "%zu:%s%zu:%s", strlen(s->labels[i].name), s->labels[i].name,
                           strlen(s->labels[i].value), s->labels[i].value);
    return st;
}

snug_status prom_result_check_unique(const prom_result *r, const char *query, snug_err *err)
{
    strmap *seen = strmap_new(NULL);
    dynbuf key;
    size_t i, first;
    snug_status st = seen != NULL ? SNUG_OK : SNUG_ERR_NOMEM;

    dynbuf_init(&key, LABEL_KEY_MAX);
    for (i = 0; st == SNUG_OK && i < r->n_series; i++) {
        st = label_key(&key, &r->series[i]);
        if (st != SNUG_OK)
            break;
        first = (size_t)(uintptr_t)strmap_get(seen, dynbuf_str(&key));
        if (first != 0) {
            st = snug_err_set(err, SNUG_ERR_PARSE,
                              "query %s: data.result[%zu]: the same labels as data.result[%zu]",
                              query ? query : "?", i, first - 1);
            goto out;
        }
        st = strmap_put(seen, dynbuf_str(&key), (void *)(uintptr_t)(i + 1));
    }
    if (st != SNUG_OK)
        st = snug_err_set(err, st, "query %s: %s", query ? query : "?",
                          st == SNUG_ERR_NOMEM ? "out of memory" : "label set over 1 MiB");
out:
    dynbuf_free(&key);
    strmap_free(seen);
    return st;
}

static snug_status build_index(merge_plan *p, const prom_result *into, dynbuf *key)
{
    size_t i;
    snug_status st;

    p->index = strmap_new(NULL);
    if (p->index == NULL)
        return SNUG_ERR_NOMEM;
    for (i = 0; i < into->n_series; i++) {
        st = label_key(key, &into->series[i]);
        if (st == SNUG_OK && strmap_get(p->index, dynbuf_str(key)) == NULL)
            st = strmap_put(p->index, dynbuf_str(key), (void *)(uintptr_t)(i + 1));
        if (st != SNUG_OK)
            return st;
    }
    return SNUG_OK;
}

/* Both sorted by time; a time in `a` wins over the same time in `b`. */
static prom_sample *join_samples(const prom_series *a, const prom_series *b, size_t *n_out)
{
    size_t i = 0, j = 0, n = 0;
    prom_sample *out;

    if (a->n_samples > SIZE_MAX / sizeof(*out) - b->n_samples - 1)
        return NULL;
    out = malloc((a->n_samples + b->n_samples + 1) * sizeof(*out));
    if (out == NULL)
        return NULL;
    while (i < a->n_samples || j < b->n_samples) {
        if (j >= b->n_samples || (i < a->n_samples && a->samples[i].t < b->samples[j].t)) {
            out[n++] = a->samples[i++];
        } else if (i >= a->n_samples || b->samples[j].t < a->samples[i].t) {
            out[n++] = b->samples[j++];
        } else { /* the same time: keep a's */
            out[n++] = a->samples[i++];
            j++;
        }
    }
    *n_out = n;
    return out;
}

static snug_status plan_series(merge_plan *p, const prom_result *into, const prom_result *more)
{
    dynbuf key;
    size_t j;
    snug_status st;

    dynbuf_init(&key, LABEL_KEY_MAX);
    st = build_index(p, into, &key);
    for (j = 0; j < more->n_series && st == SNUG_OK; j++) {
        st = label_key(&key, &more->series[j]);
        if (st != SNUG_OK)
            break;
        p->match[j] = (size_t)(uintptr_t)strmap_get(p->index, dynbuf_str(&key));
        if (p->match[j] == 0) {
            p->n_new++;
            continue;
        }
        p->joined[j] =
            join_samples(&into->series[p->match[j] - 1], &more->series[j], &p->joined_n[j]);
        if (p->joined[j] == NULL)
            st = SNUG_ERR_NOMEM;
    }
    dynbuf_free(&key);
    return st;
}

static int has_warning(const prom_result *r, const char *w)
{
    size_t i;

    for (i = 0; i < r->n_warnings; i++)
        if (strcmp(r->warnings[i], w) == 0)
            return 1;
    return 0;
}

/* Whether warning i of `r` equals an earlier one already taken. */
static int repeated_warning(const prom_result *r, size_t i, const char *taken)
{
    size_t k;

    for (k = 0; k < i; k++)
        if (taken[k] && strcmp(r->warnings[k], r->warnings[i]) == 0)
            return 1;
    return 0;
}

/* Room in `into` for the new series and warnings (kept even on failure). */
static snug_status plan_room(merge_plan *p, prom_result *into, const prom_result *more)
{
    size_t i, n;
    void *grown;

    for (i = 0; i < more->n_warnings; i++) {
        p->new_warning[i] =
            !has_warning(into, more->warnings[i]) && !repeated_warning(more, i, p->new_warning);
        p->n_new_warnings += (size_t)p->new_warning[i];
    }
    if (p->n_new > SIZE_MAX / sizeof(prom_series) - into->n_series - 1)
        return SNUG_ERR_NOMEM;
    n = into->n_series + p->n_new;
    grown = realloc(into->series, (n + 1) * sizeof(prom_series));
    if (grown == NULL)
        return SNUG_ERR_NOMEM;
    into->series = grown;
    n = into->n_warnings + p->n_new_warnings;
    grown = realloc(into->warnings, (n + 1) * sizeof(char *));
    if (grown == NULL)
        return SNUG_ERR_NOMEM;
    into->warnings = grown;
    return SNUG_OK;
}

/* Phase two: moves only. */
static void apply_plan(merge_plan *p, prom_result *into, prom_result *more)
{
    size_t j, k;

    for (j = 0; j < more->n_series; j++) {
        prom_series *s = &more->series[j];

        if (p->match[j] == 0) {
            into->series[into->n_series++] = *s;
            continue;
        }
        free(into->series[p->match[j] - 1].samples);
        into->series[p->match[j] - 1].samples = p->joined[j];
        into->series[p->match[j] - 1].n_samples = p->joined_n[j];
        p->joined[j] = NULL;
        for (k = 0; k < s->n_labels; k++) {
            free(s->labels[k].name);
            free(s->labels[k].value);
        }
        free(s->labels);
        free(s->samples);
    }
    free(more->series);
    more->series = NULL;
    more->n_series = 0;
    for (j = 0; j < more->n_warnings; j++) {
        if (p->new_warning[j])
            into->warnings[into->n_warnings++] = more->warnings[j];
        else
            free(more->warnings[j]);
    }
    free(more->warnings);
    more->warnings = NULL;
    more->n_warnings = 0;
}

static void plan_free(merge_plan *p, size_t n_more)
{
    size_t j;

    strmap_free(p->index);
    if (p->joined != NULL)
        for (j = 0; j < n_more; j++)
            free(p->joined[j]);
    free(p->joined);
    free(p->joined_n);
    free(p->match);
    free(p->new_warning);
}

snug_status prom_result_merge(prom_result *into, prom_result *more, snug_err *err)
{
    merge_plan p;
    snug_status st;

    if (more == NULL || (more->n_series == 0 && more->n_warnings == 0))
        return SNUG_OK;
    if (into->type != more->type || into->type == PROM_STRING)
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "merging query results: result types differ or are strings (%d, %d)",
                            (int)into->type, (int)more->type);
    memset(&p, 0, sizeof(p));
    p.match = calloc(more->n_series + 1, sizeof(*p.match));
    p.joined = calloc(more->n_series + 1, sizeof(*p.joined));
    p.joined_n = calloc(more->n_series + 1, sizeof(*p.joined_n));
    p.new_warning = calloc(more->n_warnings + 1, 1);
    st = SNUG_ERR_NOMEM;
    if (p.match != NULL && p.joined != NULL && p.joined_n != NULL && p.new_warning != NULL)
        st = plan_series(&p, into, more);
    if (st == SNUG_OK)
        st = plan_room(&p, into, more);
    if (st == SNUG_OK)
        apply_plan(&p, into, more);
    plan_free(&p, more->n_series);
    if (st != SNUG_OK)
        return snug_err_set(err, st, "merging query results: %s", snug_status_str(st));
    return SNUG_OK;
}

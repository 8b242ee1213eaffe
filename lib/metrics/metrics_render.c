/* metrics_render.c -- the registry in the Prometheus text exposition format
 * 0.0.4 (metrics_render() in metrics.h).
 */
#include "metrics/metrics_internal.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NUM_STR_MAX 40

/* A dynbuf writer whose first error sticks, so render code stays linear. */
typedef struct writer {
    dynbuf *b;
    snug_status st;
} writer;

static void put(writer *w, const char *s)
{
    if (w->st == SNUG_OK)
        w->st = dynbuf_addstr(w->b, s);
}

static void putc_(writer *w, char c)
{
    if (w->st == SNUG_OK)
        w->st = dynbuf_addc(w->b, c);
}

/* Append s escaping backslash and newline, and double quotes if asked. */
static void put_escaped(writer *w, const char *s, bool quotes)
{
    for (; *s != '\0'; s++) {
        if (*s == '\\')
            put(w, "\\\\");
        else if (*s == '\n')
            put(w, "\\n");
        else if (*s == '"' && quotes)
            put(w, "\\\"");
        else
            putc_(w, *s);
    }
}

/* Whether buf reads back as exactly v. */
static bool reads_back(const char *buf, double v)
{
    return strtod(buf, NULL) == v;
}

/* The fewest significant digits (1..17) that read back as exactly v, in
 * %g's spelling. Reading back is monotonic in the number of digits (more
 * digits never move further from v), so a binary search finds it; 17 always
 * reads back. */
static void shortest_g(double v, char buf[NUM_STR_MAX])
{
    int lo = 1, hi = 17;

    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;

        snprintf(buf, NUM_STR_MAX, "%.*g", mid, v);
        if (reads_back(buf, v))
            hi = mid;
        else
            lo = mid + 1;
    }
    snprintf(buf, NUM_STR_MAX, "%.*g", lo, v);
}

/* The shortest text that reads back as exactly v: NaN, +Inf and -Inf as
 * Prometheus spells them; an integer below 1e17 written out (200000,
 * 6442450944, -0: exact, and what people read in bytes and counts);
 * anything else with the fewest significant digits that read back (0.593,
 * not 0.59299999999999997; 1e+21, 2.5e-07, 5e-324). */
static void format_value(double v, char buf[NUM_STR_MAX])
{
    if (isnan(v)) {
        strcpy(buf, "NaN");
        return;
    }
    if (isinf(v)) {
        strcpy(buf, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    if (fabs(v) < 1e17 && v == trunc(v))
        snprintf(buf, NUM_STR_MAX, "%.0f", v);
    else
        shortest_g(v, buf);
}

static void put_value(writer *w, double v)
{
    char buf[NUM_STR_MAX];

    format_value(v, buf);
    put(w, buf);
}

static void put_u64(writer *w, uint64_t v)
{
    char buf[NUM_STR_MAX];

    snprintf(buf, sizeof(buf), "%" PRIu64, v);
    put(w, buf);
}

/* `{a="x",b="y",le="0.5"}`; nothing at all when there is nothing to say. */
static void put_labels(writer *w, const metrics_child *c, const char *le)
{
    const metrics_family *f = c->fam;
    size_t i;

    if (f->n_labels == 0 && le == NULL)
        return;
    putc_(w, '{');
    for (i = 0; i < f->n_labels; i++) {
        if (i > 0)
            putc_(w, ',');
        put(w, f->labels[i]);
        put(w, "=\"");
        put_escaped(w, c->values[i], true);
        putc_(w, '"');
    }
    if (le != NULL) {
        put(w, f->n_labels ? ",le=\"" : "le=\"");
        put(w, le);
        putc_(w, '"');
    }
    putc_(w, '}');
}

static void put_sample_start(writer *w, const metrics_child *c, const char *suffix, const char *le)
{
    put(w, c->fam->name);
    put(w, suffix);
    put_labels(w, c, le);
    putc_(w, ' ');
}

static void render_scalar(writer *w, const metrics_child *c)
{
    uint64_t frac = __atomic_load_n(&c->bits, __ATOMIC_RELAXED);

    put_sample_start(w, c, "", NULL);
    if (c->fam->type == METRICS_COUNTER && c->fn == NULL && metrics_bits_double(frac) == 0)
        put_u64(w, __atomic_load_n(&c->count, __ATOMIC_RELAXED));
    else
        put_value(w, metrics_child_value_locked(c));
    putc_(w, '\n');
}

static void render_histogram(writer *w, const metrics_child *c)
{
    const metrics_family *f = c->fam;
    char le[NUM_STR_MAX];
    uint64_t cum = 0;
    size_t i;

    for (i = 0; i <= f->n_bounds; i++) {
        cum += __atomic_load_n(&c->buckets[i], __ATOMIC_RELAXED);
        if (i < f->n_bounds)
            format_value(f->bounds[i], le);
        else
            strcpy(le, "+Inf");
        put_sample_start(w, c, "_bucket", le);
        put_u64(w, cum);
        putc_(w, '\n');
    }
    put_sample_start(w, c, "_sum", NULL);
    put_value(w, metrics_load_double(&c->bits));
    putc_(w, '\n');
    put_sample_start(w, c, "_count", NULL);
    put_u64(w, cum); /* equals the +Inf bucket by construction */
    putc_(w, '\n');
}

static void render_child(writer *w, const metrics_child *c)
{
    if (c->fam->type == METRICS_HISTOGRAM)
        render_histogram(w, c);
    else
        render_scalar(w, c);
}

static void render_family(writer *w, metrics_family *f)
{
    static const char *const type_names[] = {"counter", "gauge", "histogram"};
    const metrics_child *c;

    put(w, "# HELP ");
    put(w, f->name);
    putc_(w, ' ');
    put_escaped(w, f->help, false);
    put(w, "\n# TYPE ");
    put(w, f->name);
    putc_(w, ' ');
    put(w, type_names[f->type]);
    putc_(w, '\n');
    pthread_mutex_lock(&f->lock);
    for (c = f->first; c != NULL; c = c->next)
        render_child(w, c);
    if (f->overflow != NULL && __atomic_load_n(&f->overflow_used, __ATOMIC_RELAXED))
        render_child(w, f->overflow);
    pthread_mutex_unlock(&f->lock);
}

snug_status metrics_render(metrics_registry *r, dynbuf *out, snug_err *err)
{
    writer w = {out, SNUG_OK};
    size_t start = dynbuf_len(out);
    metrics_family *f;

    if (r == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "metrics registry is required");
    pthread_mutex_lock(&r->lock);
    for (f = r->first; f != NULL && w.st == SNUG_OK; f = f->next)
        render_family(&w, f);
    pthread_mutex_unlock(&r->lock);
    if (w.st == SNUG_OK)
        return SNUG_OK;
    dynbuf_truncate(out, start);
    return snug_err_set(err, w.st, "rendering metrics: %s", snug_status_str(w.st));
}

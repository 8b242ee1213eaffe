/* metrics_child.c -- the children of a metric family (one per set of label
 * values) and the updates made to them.
 *
 * Concurrency: values are plain uint64_t words updated with __atomic
 * builtins (doubles are stored as their bit pattern and added with a CAS
 * loop). Each labelled family has an open-addressing hash table of child
 * pointers sized to twice its cardinality cap, so it never fills; slots are
 * only ever filled (release store, under the family mutex) and never
 * cleared, which makes lock-free lookups (acquire loads) safe.
 */
#include "metrics/metrics_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"

#define EXACT_INT_MAX 9007199254740992.0 /* 2^53 */

/* ---- atomics on doubles -------------------------------------------------- */

static uint64_t dbl_bits(double d)
{
    uint64_t u;

    memcpy(&u, &d, sizeof(u));
    return u;
}

double metrics_bits_double(uint64_t u)
{
    double d;

    memcpy(&d, &u, sizeof(d));
    return d;
}

static void atomic_add_double(uint64_t *p, double v)
{
    uint64_t old = __atomic_load_n(p, __ATOMIC_RELAXED), upd;

    do {
        upd = dbl_bits(metrics_bits_double(old) + v);
    } while (!__atomic_compare_exchange_n(p, &old, upd, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
}

double metrics_load_double(const uint64_t *p)
{
    return metrics_bits_double(__atomic_load_n(p, __ATOMIC_RELAXED));
}

/* ---- children ----------------------------------------------------------- */

static uint64_t hash_values(const char *const *values, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
    const unsigned char *p;
    size_t i;

    for (i = 0; i < n; i++) {
        for (p = (const unsigned char *)(values[i] ? values[i] : ""); *p; p++)
            h = (h ^ *p) * 0x100000001b3ULL;
        h = (h ^ 0xff) * 0x100000001b3ULL; /* separator: never in UTF-8 text */
    }
    return h;
}

static bool values_equal(const metrics_child *c, const char *const *values, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (strcmp(c->values[i], values[i] ? values[i] : "") != 0)
            return false;
    }
    return true;
}

/* One allocation: the struct, histogram buckets, value pointers, strings. */
static metrics_child *child_alloc(metrics_family *f, const char *const *values, uint64_t hash)
{
    size_t nb = f->type == METRICS_HISTOGRAM ? f->n_bounds + 1 : 0;
    size_t size = sizeof(metrics_child) + nb * sizeof(uint64_t) + f->n_labels * sizeof(char *);
    metrics_child *c;
    char *p;
    size_t i, len;

    for (i = 0; i < f->n_labels; i++) {
        if (__builtin_add_overflow(size, strlen(values[i] ? values[i] : "") + 1, &size))
            return NULL;
    }
    c = calloc(1, size);
    if (c == NULL)
        return NULL;
    p = (char *)(c + 1);
    c->fam = f;
    c->hash = hash;
    c->buckets = nb ? (uint64_t *)p : NULL;
    p += nb * sizeof(uint64_t);
    c->values = (char **)p;
    p += f->n_labels * sizeof(char *);
    for (i = 0; i < f->n_labels; i++) {
        len = strlen(values[i] ? values[i] : "");
        memcpy(p, values[i] ? values[i] : "", len + 1);
        c->values[i] = p;
        p += len + 1;
    }
    return c;
}

static metrics_child *slot_find(metrics_family *f, const char *const *values, uint64_t hash)
{
    size_t mask = f->n_slots - 1, i = hash & mask;
    metrics_child *c;

    for (;;) {
        c = __atomic_load_n(&f->slots[i], __ATOMIC_ACQUIRE);
        if (c == NULL || (c->hash == hash && values_equal(c, values, f->n_labels)))
            return c;
        i = (i + 1) & mask;
    }
}

static void slot_insert(metrics_family *f, metrics_child *c)
{
    size_t mask = f->n_slots - 1, i = c->hash & mask;

    while (f->slots[i] != NULL)
        i = (i + 1) & mask;
    __atomic_store_n(&f->slots[i], c, __ATOMIC_RELEASE);
}

static void list_append(metrics_family *f, metrics_child *c)
{
    if (f->last != NULL)
        f->last->next = c;
    else
        f->first = c;
    f->last = c;
    f->n_children++;
}

static bool is_overflow_set(const metrics_family *f, const char *const *values)
{
    size_t i;

    for (i = 0; i < f->n_labels; i++) {
        if (values[i] == NULL || strcmp(values[i], METRICS_OVERFLOW_VALUE) != 0)
            return false;
    }
    return true;
}

static metrics_child *use_overflow(metrics_family *f)
{
    if (__atomic_exchange_n(&f->overflow_used, 1, __ATOMIC_RELAXED) == 0) {
        char max[32];

        snprintf(max, sizeof(max), "%zu", f->max_children);
        snug_log(LOG_WARN, "metrics", "label set limit reached, using the overflow series",
                 "metric", f->name, "max", max, NULL);
    }
    return f->overflow;
}

/* Slow path, under the family mutex: find again or create. */
static metrics_child *child_create(metrics_family *f, const char *const *values, uint64_t hash)
{
    metrics_child *c = slot_find(f, values, hash);

    if (c != NULL)
        return c;
    if (f->n_children >= f->max_children || is_overflow_set(f, values))
        return use_overflow(f);
    c = child_alloc(f, values, hash);
    if (c == NULL)
        return use_overflow(f);
    list_append(f, c);
    slot_insert(f, c);
    return c;
}

metrics_child *metrics_child_get(metrics_family *f, const char *const *values)
{
    static const char *const empty[METRICS_MAX_LABELS] = {NULL};
    metrics_child *c;
    uint64_t hash;

    if (f == NULL)
        return NULL;
    if (f->n_labels == 0)
        return f->first;
    if (values == NULL)
        values = empty;
    hash = hash_values(values, f->n_labels);
    c = slot_find(f, values, hash);
    if (c != NULL)
        return c;
    pthread_mutex_lock(&f->lock);
    c = child_create(f, values, hash);
    pthread_mutex_unlock(&f->lock);
    return c;
}

static size_t table_size(size_t max_children)
{
    size_t n = 2;

    while (n < 2 * max_children)
        n *= 2;
    return n;
}

/* Children every family starts with: the only child of an unlabelled family,
 * or the overflow child and the hash table of a labelled one. */
bool metrics_family_init_children(metrics_family *f)
{
    const char *over[METRICS_MAX_LABELS];
    size_t i;

    if (f->n_labels == 0) {
        f->first = child_alloc(f, NULL, 0);
        f->last = f->first;
        f->n_children = 1;
        return f->first != NULL;
    }
    for (i = 0; i < f->n_labels; i++)
        over[i] = METRICS_OVERFLOW_VALUE;
    f->overflow = child_alloc(f, over, hash_values(over, f->n_labels));
    f->n_slots = table_size(f->max_children);
    f->slots = calloc(f->n_slots, sizeof(*f->slots));
    return f->overflow != NULL && f->slots != NULL;
}

void metrics_family_free_children(metrics_family *f)
{
    metrics_child *c, *next;

    for (c = f->first; c != NULL; c = next) {
        next = c->next;
        free(c);
    }
    free(f->overflow);
    free(f->slots);
}

/* ---- updates ------------------------------------------------------------ */

static bool child_is(const metrics_child *c, metrics_type type)
{
    return c != NULL && c->fam->type == type;
}

void metrics_counter_inc(metrics_child *c)
{
    if (child_is(c, METRICS_COUNTER))
        __atomic_fetch_add(&c->count, 1, __ATOMIC_RELAXED);
}

void metrics_counter_add(metrics_child *c, double v)
{
    if (!child_is(c, METRICS_COUNTER) || !(v >= 0))
        return;
    if (v < EXACT_INT_MAX && v == floor(v))
        __atomic_fetch_add(&c->count, (uint64_t)v, __ATOMIC_RELAXED);
    else
        atomic_add_double(&c->bits, v);
}

void metrics_gauge_set(metrics_child *c, double v)
{
    if (child_is(c, METRICS_GAUGE))
        __atomic_store_n(&c->bits, dbl_bits(v), __ATOMIC_RELAXED);
}

void metrics_gauge_add(metrics_child *c, double v)
{
    if (child_is(c, METRICS_GAUGE))
        atomic_add_double(&c->bits, v);
}

/* Index of the first bound >= v, or n_bounds (the +Inf bucket). */
static size_t bucket_index(const metrics_family *f, double v)
{
    size_t lo = 0, hi = f->n_bounds, mid;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (v <= f->bounds[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

void metrics_histogram_observe(metrics_child *c, double v)
{
    if (!child_is(c, METRICS_HISTOGRAM) || isnan(v))
        return;
    __atomic_fetch_add(&c->buckets[bucket_index(c->fam, v)], 1, __ATOMIC_RELAXED);
    atomic_add_double(&c->bits, v);
}

void metrics_child_set_fn(metrics_child *c, metrics_value_fn fn, void *ud)
{
    if (c == NULL || c->fam->type == METRICS_HISTOGRAM)
        return;
    pthread_mutex_lock(&c->fam->lock);
    c->fn = fn;
    c->ud = ud;
    pthread_mutex_unlock(&c->fam->lock);
}

/* A counter's or gauge's value; the caller holds the family mutex. */
double metrics_child_value_locked(const metrics_child *c)
{
    if (c->fn != NULL)
        return c->fn(c->ud);
    if (c->fam->type == METRICS_COUNTER)
        return (double)__atomic_load_n(&c->count, __ATOMIC_RELAXED) + metrics_load_double(&c->bits);
    return metrics_load_double(&c->bits);
}

double metrics_child_value(metrics_child *c)
{
    double v;

    if (c == NULL || c->fam->type == METRICS_HISTOGRAM)
        return NAN;
    pthread_mutex_lock(&c->fam->lock);
    v = metrics_child_value_locked(c);
    pthread_mutex_unlock(&c->fam->lock);
    return v;
}

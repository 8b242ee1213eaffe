/* metrics.c -- Prometheus registry: families, children, text exposition.
 *
 * Concurrency: values are plain uint64_t words updated with __atomic
 * builtins (doubles are stored as their bit pattern and added with a CAS
 * loop). Each labelled family has an open-addressing hash table of child
 * pointers sized to twice its cardinality cap, so it never fills; slots are
 * only ever filled (release store, under the family mutex) and never
 * cleared, which makes lock-free lookups (acquire loads) safe.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "metrics.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "log.h"

#define METRICS_NAME_MAX 200
#define NUM_STR_MAX      40
#define EXACT_INT_MAX    9007199254740992.0 /* 2^53 */

const double metrics_default_buckets[] = {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};
const size_t metrics_default_buckets_len =
    sizeof(metrics_default_buckets) / sizeof(metrics_default_buckets[0]);

struct metrics_child {
    metrics_family *fam;
    uint64_t hash;
    char **values;       /* fam->n_labels strings */
    uint64_t count;      /* counter: integral part (atomic) */
    uint64_t bits;       /* double: counter fraction, gauge value, histogram sum */
    uint64_t *buckets;   /* histogram: n_bounds + 1 per-bucket counts (atomic) */
    metrics_value_fn fn; /* under fam->lock */
    void *ud;
    metrics_child *next; /* creation order, under fam->lock */
};

struct metrics_family {
    metrics_type type;
    char *name;
    char *help;
    char **labels;
    size_t n_labels;
    double *bounds; /* histogram upper bounds, +Inf excluded */
    size_t n_bounds;
    pthread_mutex_t lock;
    metrics_child **slots; /* hash table, n_slots a power of two */
    size_t n_slots;
    metrics_child *first, *last;
    size_t n_children;
    size_t max_children;
    metrics_child *overflow; /* labelled families only */
    int overflow_used;       /* atomic */
    metrics_family *next;
};

struct metrics_registry {
    pthread_mutex_t lock;
    metrics_family *first, *last;
    size_t max_children;
};

/* ---- atomics on doubles -------------------------------------------------- */

static uint64_t dbl_bits(double d)
{
    uint64_t u;

    memcpy(&u, &d, sizeof(u));
    return u;
}

static double bits_dbl(uint64_t u)
{
    double d;

    memcpy(&d, &u, sizeof(d));
    return d;
}

static void atomic_add_double(uint64_t *p, double v)
{
    uint64_t old = __atomic_load_n(p, __ATOMIC_RELAXED), upd;

    do {
        upd = dbl_bits(bits_dbl(old) + v);
    } while (!__atomic_compare_exchange_n(p, &old, upd, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
}

static double load_double(const uint64_t *p)
{
    return bits_dbl(__atomic_load_n(p, __ATOMIC_RELAXED));
}

/* ---- names and options ----------------------------------------------- */

static bool name_char(char c, bool first, bool colon_ok)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')
        return true;
    if (c == ':')
        return colon_ok;
    return !first && c >= '0' && c <= '9';
}

static bool name_valid(const char *s, bool colon_ok)
{
    size_t i;

    if (s == NULL || s[0] == '\0' || strlen(s) > METRICS_NAME_MAX)
        return false;
    for (i = 0; s[i] != '\0'; i++) {
        if (!name_char(s[i], i == 0, colon_ok))
            return false;
    }
    return true;
}

static snug_status check_labels(metrics_type type, const metrics_opts *o, snug_err *err)
{
    size_t i, j;

    if (o->n_labels > METRICS_MAX_LABELS || (o->n_labels > 0 && o->labels == NULL))
        return snug_err_set(err, SNUG_ERR_INVALID, "metric %s: at most %d labels", o->name,
                            METRICS_MAX_LABELS);
    for (i = 0; i < o->n_labels; i++) {
        const char *l = o->labels[i];

        if (!name_valid(l, false) || strncmp(l, "__", 2) == 0 ||
            (type == METRICS_HISTOGRAM && strcmp(l, "le") == 0))
            return snug_err_set(err, SNUG_ERR_INVALID, "metric %s: invalid label name \"%s\"",
                                o->name, l ? l : "(null)");
        for (j = 0; j < i; j++) {
            if (strcmp(l, o->labels[j]) == 0)
                return snug_err_set(err, SNUG_ERR_INVALID, "metric %s: duplicate label \"%s\"",
                                    o->name, l);
        }
    }
    return SNUG_OK;
}

/* Bounds to use, with a trailing +Inf dropped. */
static snug_status check_buckets(const metrics_opts *o, const double **bounds, size_t *n,
                                 snug_err *err)
{
    size_t i;

    *bounds = o->buckets;
    *n = o->n_buckets;
    if (*bounds == NULL && *n == 0) {
        *bounds = metrics_default_buckets;
        *n = metrics_default_buckets_len;
    }
    if (*n > METRICS_MAX_BUCKETS || (*n > 0 && *bounds == NULL))
        return snug_err_set(err, SNUG_ERR_INVALID, "metric %s: at most %d buckets", o->name,
                            METRICS_MAX_BUCKETS);
    if (*n > 0 && (*bounds)[*n - 1] == INFINITY)
        (*n)--;
    for (i = 0; i < *n; i++) {
        if (!isfinite((*bounds)[i]) || (i > 0 && !((*bounds)[i] > (*bounds)[i - 1])))
            return snug_err_set(err, SNUG_ERR_INVALID,
                                "metric %s: buckets must be finite and strictly increasing "
                                "(bucket %zu)",
                                o->name, i);
    }
    return SNUG_OK;
}

static snug_status check_opts(metrics_type type, const metrics_opts *o, snug_err *err)
{
    if (o == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "metric options are required");
    if (type != METRICS_COUNTER && type != METRICS_GAUGE && type != METRICS_HISTOGRAM)
        return snug_err_set(err, SNUG_ERR_INVALID, "metric %s: unknown type %d",
                            o->name ? o->name : "(null)", (int)type);
    if (!name_valid(o->name, true))
        return snug_err_set(err, SNUG_ERR_INVALID, "invalid metric name \"%s\"",
                            o->name ? o->name : "(null)");
    return check_labels(type, o, err);
}

/* The sample names a family writes: name, plus name_bucket/_sum/_count for a
 * histogram. Returns how many were written into names[4]. */
static int sample_names(const char *name, metrics_type type, char names[4][METRICS_NAME_MAX + 8])
{
    static const char *const suffix[] = {"", "_bucket", "_sum", "_count"};
    int n = type == METRICS_HISTOGRAM ? 4 : 1, i;

    for (i = 0; i < n; i++)
        snprintf(names[i], sizeof(names[i]), "%s%s", name, suffix[i]);
    return n;
}

/* Whether a new family's samples would collide with an existing one's. */
static bool names_clash(const metrics_family *f, const char *name, metrics_type type)
{
    char a[4][METRICS_NAME_MAX + 8], b[4][METRICS_NAME_MAX + 8];
    int na = sample_names(f->name, f->type, a), nb = sample_names(name, type, b), i, j;

    for (i = 0; i < na; i++) {
        for (j = 0; j < nb; j++) {
            if (strcmp(a[i], b[j]) == 0)
                return true;
        }
    }
    return false;
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

/* ---- families and the registry ---------------------------------------- */

static void family_free(metrics_family *f)
{
    metrics_child *c, *next;
    size_t i;

    for (c = f->first; c != NULL; c = next) {
        next = c->next;
        free(c);
    }
    free(f->overflow);
    for (i = 0; f->labels != NULL && i < f->n_labels; i++)
        free(f->labels[i]);
    free(f->labels);
    free(f->bounds);
    free(f->slots);
    free(f->name);
    free(f->help);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

static size_t table_size(size_t max_children)
{
    size_t n = 2;

    while (n < 2 * max_children)
        n *= 2;
    return n;
}

static bool family_copy_labels(metrics_family *f, const metrics_opts *o)
{
    size_t i;

    f->labels = calloc(o->n_labels ? o->n_labels : 1, sizeof(char *));
    if (f->labels == NULL)
        return false;
    f->n_labels = o->n_labels;
    for (i = 0; i < o->n_labels; i++) {
        f->labels[i] = strdup(o->labels[i]);
        if (f->labels[i] == NULL)
            return false;
    }
    return true;
}

/* Children every family starts with: the only child of an unlabelled family,
 * or the overflow child and the hash table of a labelled one. */
static bool family_init_children(metrics_family *f)
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

static metrics_family *family_new(metrics_registry *r, metrics_type type, const metrics_opts *o,
                                  const double *bounds, size_t n_bounds)
{
    metrics_family *f = calloc(1, sizeof(*f));

    if (f == NULL)
        return NULL;
    pthread_mutex_init(&f->lock, NULL);
    f->type = type;
    f->max_children = r->max_children;
    f->name = strdup(o->name);
    f->help = strdup(o->help ? o->help : "");
    f->n_bounds = n_bounds;
    f->bounds = malloc((n_bounds ? n_bounds : 1) * sizeof(double));
    if (f->name == NULL || f->help == NULL || f->bounds == NULL || !family_copy_labels(f, o))
        goto fail;
    if (n_bounds > 0)
        memcpy(f->bounds, bounds, n_bounds * sizeof(double));
    if (!family_init_children(f))
        goto fail;
    return f;
fail:
    family_free(f);
    return NULL;
}

metrics_registry *metrics_registry_new(size_t max_children)
{
    metrics_registry *r = calloc(1, sizeof(*r));

    if (r == NULL)
        return NULL;
    pthread_mutex_init(&r->lock, NULL);
    r->max_children = max_children ? max_children : METRICS_DEFAULT_MAX_CHILDREN;
    return r;
}

void metrics_registry_free(metrics_registry *r)
{
    metrics_family *f, *next;

    if (r == NULL)
        return;
    for (f = r->first; f != NULL; f = next) {
        next = f->next;
        family_free(f);
    }
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* Append f unless its name clashes; under the registry mutex. */
static snug_status registry_add(metrics_registry *r, metrics_family *f, snug_err *err)
{
    metrics_family *g;

    for (g = r->first; g != NULL; g = g->next) {
        if (names_clash(g, f->name, f->type))
            return snug_err_set(err, SNUG_ERR_INVALID,
                                "metric %s: clashes with metric %s registered already", f->name,
                                g->name);
    }
    if (r->last != NULL)
        r->last->next = f;
    else
        r->first = f;
    r->last = f;
    return SNUG_OK;
}

snug_status metrics_register(metrics_registry *r, metrics_type type, const metrics_opts *opts,
                             metrics_family **out, snug_err *err)
{
    const double *bounds = NULL;
    size_t n_bounds = 0;
    metrics_family *f;
    snug_status rc;

    if (r == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "metrics registry is required");
    rc = check_opts(type, opts, err);
    if (rc == SNUG_OK && type == METRICS_HISTOGRAM)
        rc = check_buckets(opts, &bounds, &n_bounds, err);
    if (rc != SNUG_OK)
        return rc;
    f = family_new(r, type, opts, bounds, n_bounds);
    if (f == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "metric %s: out of memory", opts->name);
    pthread_mutex_lock(&r->lock);
    rc = registry_add(r, f, err);
    pthread_mutex_unlock(&r->lock);
    if (rc != SNUG_OK) {
        family_free(f);
        return rc;
    }
    *out = f;
    return SNUG_OK;
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
static double child_value_locked(const metrics_child *c)
{
    if (c->fn != NULL)
        return c->fn(c->ud);
    if (c->fam->type == METRICS_COUNTER)
        return (double)__atomic_load_n(&c->count, __ATOMIC_RELAXED) + load_double(&c->bits);
    return load_double(&c->bits);
}

double metrics_child_value(metrics_child *c)
{
    double v;

    if (c == NULL || c->fam->type == METRICS_HISTOGRAM)
        return NAN;
    pthread_mutex_lock(&c->fam->lock);
    v = child_value_locked(c);
    pthread_mutex_unlock(&c->fam->lock);
    return v;
}

/* ---- rendering ---------------------------------------------------------- */

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

/* Short text that reads back as exactly v (15 digits suffice for most). */
static void format_value(double v, char buf[NUM_STR_MAX])
{
    int prec;

    if (isnan(v)) {
        strcpy(buf, "NaN");
        return;
    }
    if (isinf(v)) {
        strcpy(buf, v > 0 ? "+Inf" : "-Inf");
        return;
    }
    for (prec = 15; prec <= 17; prec++) {
        snprintf(buf, NUM_STR_MAX, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
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
    if (c->fam->type == METRICS_COUNTER && c->fn == NULL && bits_dbl(frac) == 0)
        put_u64(w, __atomic_load_n(&c->count, __ATOMIC_RELAXED));
    else
        put_value(w, child_value_locked(c));
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
    put_value(w, load_double(&c->bits));
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

/* ---- process metrics ---------------------------------------------------- */

typedef struct self_stat {
    double cpu_seconds, start_ticks, vsize, rss_pages;
} self_stat;

static snug_status errno_fail(snug_err *err, const char *path)
{
    char buf[128];
    const char *txt = strerror_r(errno, buf, sizeof(buf));

    return snug_err_set(err, SNUG_ERR_IO, "%s: %s", path, txt);
}

static snug_status read_small_file(const char *path, char *buf, size_t cap, snug_err *err)
{
    FILE *fp = fopen(path, "re");
    size_t n;

    if (fp == NULL)
        return errno_fail(err, path);
    n = fread(buf, 1, cap - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    return SNUG_OK;
}

/* /proc/self/stat: fields 14-15 (utime, stime), 22 (starttime), 23 (vsize)
 * and 24 (rss); the command name (field 2) may hold spaces and parentheses,
 * so parsing starts after the last ')'. */
static snug_status read_self_stat(self_stat *out, snug_err *err)
{
    static const char path[] = "/proc/self/stat";
    char buf[2048], *p;
    unsigned long utime, stime, vsize;
    unsigned long long start;
    long rss;
    double ticks = (double)sysconf(_SC_CLK_TCK);
    snug_status rc = read_small_file(path, buf, sizeof(buf), err);

    if (rc != SNUG_OK)
        return rc;
    p = strrchr(buf, ')');
    if (p == NULL || ticks <= 0 ||
        sscanf(p + 1,
               " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %*d %*d "
               "%llu %lu %ld",
               &utime, &stime, &start, &vsize, &rss) != 5)
        return snug_err_set(err, SNUG_ERR_PARSE, "%s: unexpected format", path);
    out->cpu_seconds = (double)(utime + stime) / ticks;
    out->start_ticks = (double)start / ticks;
    out->vsize = (double)vsize;
    out->rss_pages = (double)rss;
    return SNUG_OK;
}

static snug_status read_boot_time(double *out, snug_err *err)
{
    static const char path[] = "/proc/stat";
    FILE *fp = fopen(path, "re");
    char line[256];
    unsigned long long btime;

    if (fp == NULL)
        return errno_fail(err, path);
    while (fgets(line, sizeof(line), fp) != NULL) {
        if (sscanf(line, "btime %llu", &btime) == 1) {
            fclose(fp);
            *out = (double)btime;
            return SNUG_OK;
        }
    }
    fclose(fp);
    return snug_err_set(err, SNUG_ERR_PARSE, "%s: no btime line", path);
}

static snug_status count_open_fds(double *out, snug_err *err)
{
    static const char path[] = "/proc/self/fd";
    DIR *d = opendir(path);
    struct dirent *e;
    double n = 0;

    if (d == NULL)
        return errno_fail(err, path);
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.')
            n++;
    }
    closedir(d);
    *out = n - 1; /* the descriptor opendir() used */
    return SNUG_OK;
}

static double max_fds(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return NAN;
    return rl.rlim_cur == RLIM_INFINITY ? INFINITY : (double)rl.rlim_cur;
}

snug_status metrics_process_read(metrics_process_stats *out, snug_err *err)
{
    self_stat st;
    double btime = 0, fds = 0;
    snug_status rc = read_self_stat(&st, err);

    if (rc == SNUG_OK)
        rc = read_boot_time(&btime, err);
    if (rc == SNUG_OK)
        rc = count_open_fds(&fds, err);
    if (rc != SNUG_OK)
        return rc;
    out->cpu_seconds = st.cpu_seconds;
    out->resident_bytes = st.rss_pages * (double)sysconf(_SC_PAGESIZE);
    out->virtual_bytes = st.vsize;
    out->start_time = btime + st.start_ticks;
    out->open_fds = fds;
    out->max_fds = max_fds();
    return SNUG_OK;
}

enum process_figure { PROC_CPU, PROC_RSS, PROC_VSIZE, PROC_START, PROC_FDS, PROC_MAX_FDS };

/* Scrape-time callback: read only what the figure needs. */
static double process_value(void *ud)
{
    enum process_figure which = (enum process_figure)(uintptr_t)ud;
    self_stat st;
    double v = NAN;

    if (which == PROC_FDS)
        return count_open_fds(&v, NULL) == SNUG_OK ? v : NAN;
    if (which == PROC_MAX_FDS)
        return max_fds();
    if (read_self_stat(&st, NULL) != SNUG_OK)
        return NAN;
    if (which == PROC_CPU)
        return st.cpu_seconds;
    if (which == PROC_RSS)
        return st.rss_pages * (double)sysconf(_SC_PAGESIZE);
    if (which == PROC_VSIZE)
        return st.vsize;
    return read_boot_time(&v, NULL) == SNUG_OK ? v + st.start_ticks : NAN;
}

snug_status metrics_register_process(metrics_registry *r, snug_err *err)
{
    static const struct {
        metrics_type type;
        const char *name, *help;
        enum process_figure which;
    } figs[] = {
        {METRICS_COUNTER, "process_cpu_seconds_total",
         "Total user and system CPU time spent in seconds.", PROC_CPU},
        {METRICS_GAUGE, "process_open_fds", "Number of open file descriptors.", PROC_FDS},
        {METRICS_GAUGE, "process_max_fds", "Maximum number of open file descriptors.",
         PROC_MAX_FDS},
        {METRICS_GAUGE, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
         PROC_VSIZE},
        {METRICS_GAUGE, "process_resident_memory_bytes", "Resident memory size in bytes.",
         PROC_RSS},
        {METRICS_GAUGE, "process_start_time_seconds",
         "Start time of the process since unix epoch in seconds.", PROC_START},
    };
    metrics_family *f = NULL;
    snug_status rc;
    size_t i;

    for (i = 0; i < sizeof(figs) / sizeof(figs[0]); i++) {
        metrics_opts o = {figs[i].name, figs[i].help, NULL, 0, NULL, 0};

        rc = metrics_register(r, figs[i].type, &o, &f, err);
        if (rc != SNUG_OK)
            return rc;
        metrics_child_set_fn(metrics_child_get(f, NULL), process_value,
                             (void *)(uintptr_t)figs[i].which);
    }
    return SNUG_OK;
}

/* metrics.c -- the Prometheus registry: checking names and options,
 * families, and registering them (metrics.h).
 *
 * The module is split by concept, sharing metrics_internal.h:
 *   metrics.c          the registry and its families
 *   metrics_child.c    children (one per label set) and value updates
 *   metrics_render.c   the text exposition format
 *   metrics_process.c  the standard process_* metrics from /proc/self
 */
#include "metrics/metrics_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define METRICS_NAME_MAX 200

const double metrics_default_buckets[] = {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};
const size_t metrics_default_buckets_len =
    sizeof(metrics_default_buckets) / sizeof(metrics_default_buckets[0]);

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

/* ---- families and the registry ---------------------------------------- */

static void family_free(metrics_family *f)
{
    size_t i;

    metrics_family_free_children(f);
    for (i = 0; f->labels != NULL && i < f->n_labels; i++)
        free(f->labels[i]);
    free(f->labels);
    free(f->bounds);
    free(f->name);
    free(f->help);
    pthread_mutex_destroy(&f->lock);
    free(f);
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
    if (!metrics_family_init_children(f))
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

/* metrics_internal.h -- what the parts of the metrics module share: the
 * layout of registries, families and children, and the helpers one part
 * provides to another. Only the metrics*.c files include it; the public API
 * is metrics.h.
 */
#ifndef SNUG_METRICS_INTERNAL_H
#define SNUG_METRICS_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics/metrics.h"

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

/* ---- children (metrics_child.c) ----------------------------------------- */

/* The double whose bit pattern is `u` (how doubles are stored in children). */
double metrics_bits_double(uint64_t u);

/* Atomically (relaxed) read a double stored as its bit pattern at *p. */
double metrics_load_double(const uint64_t *p);

/* Create the children every new family starts with: the only child of an
 * unlabelled family, or the overflow child and the hash table of a labelled
 * one (sized for f->max_children). f's type, labels and bounds must be set.
 * False when out of memory; metrics_family_free_children() then frees what
 * was made. */
bool metrics_family_init_children(metrics_family *f);

/* Free every child of f, its overflow child and its hash table. */
void metrics_family_free_children(metrics_family *f);

/* A counter's or gauge's current value (its callback's when it has one).
 * The caller holds the family mutex. */
double metrics_child_value_locked(const metrics_child *c);

#endif

/* recommendation.h -- the Recommendation model (snug.dev/v1alpha1), one per
 * workload, written only by the controller and read by the webhook.
 *
 *   apiVersion: snug.dev/v1alpha1
 *   kind: Recommendation
 *   metadata: {name: deployment-web, namespace: shop}
 *   spec:
 *     targetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
 *   status:
 *     policy: web                    # the SizingPolicy that applied
 *     lastUpdated: "2026-11-24T10:00:00Z"
 *     conditions: [{type: Ready, status: "True", reason: ..., message: ...}]
 *     containers:
 *     - name: app
 *       runtime: go                  # detected runtime; "go" marks a Go container
 *       target:     {cpu: 250m, memory: 300Mi}   # what requests should be
 *       lowerBound: {cpu: 200m, memory: 280Mi}
 *       upperBound: {cpu: 1200m, memory: 400Mi}  # what it was seen to burst to
 *       limits:     {memory: 512Mi}              # recommended limits (OOM-aware)
 *       go: {gomaxprocs: 2, gomemlimit: 460MiB}
 *       observed:
 *         cpu: {p50: 120m, p90: 210m, p99: 600m, max: 1100m}
 *         memoryPeak: 350Mi
 *         oomKills: 0
 *         throttledRatio: 0.02
 *         samples: 10080
 *         historySeconds: 604800
 *         startupSeconds: 12
 *       confidence: 0.9              # [0, 1]
 *
 * Parsing is lenient about status (the controller may be older or newer):
 * unknown fields are ignored, but a present field with a wrong type or a bad
 * quantity is SNUG_ERR_INVALID naming the field, so a broken object is never
 * half-applied.
 */
#ifndef SNUG_RECOMMENDATION_H
#define SNUG_RECOMMENDATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "model/policy.h"
#include "base/status.h"

typedef struct rec_observed {
    int64_t cpu_p50_milli, cpu_p90_milli, cpu_p99_milli, cpu_max_milli; /* RES_UNSET if absent */
    int64_t memory_peak_bytes;                                          /* RES_UNSET if absent */
    int64_t oom_kills;                                                  /* 0 when absent */
    double throttled_ratio;                                             /* 0 when absent */
    int64_t samples;                                                    /* 0 when absent */
    int64_t history_seconds;                                            /* 0 when absent */
    int64_t startup_seconds;                                            /* 0 when unknown */
} rec_observed;

typedef struct rec_container {
    char *name;                                           /* owned */
    bool is_go;                                           /* runtime == "go" */
    res_amounts target, lower_bound, upper_bound, limits; /* RES_UNSET where absent */
    int64_t gomaxprocs;                                   /* 0 when absent */
    int64_t gomemlimit_bytes;                             /* 0 when absent */
    rec_observed observed;
    double confidence; /* 0 when absent */
} rec_container;

typedef struct recommendation {
    char *namespace;           /* owned */
    char *name;                /* owned */
    char *target_api_version;  /* owned; may be NULL */
    char *target_kind;         /* owned */
    char *target_name;         /* owned */
    char *policy;              /* owned; may be NULL */
    char *last_updated;        /* owned; may be NULL */
    rec_container *containers; /* owned array */
    size_t n_containers;
} recommendation;

/* Parse a Recommendation object. metadata.name, metadata.namespace (or
 * `default_namespace` when the object has none; may be NULL) and
 * spec.targetRef.kind/name are required; kind and apiVersion, when present,
 * must be Recommendation and snug.dev/v1alpha1. Known fields are checked
 * (quantities not negative, integers integral and >= 0, confidence and
 * throttledRatio in [0, 1], go.gomemlimit in Go syntax, container names
 * unique); unknown ones are ignored. Errors read
 * `Recommendation "shop/deployment-web": status.containers[0].target.cpu:
 * invalid quantity "x": ...`. Caller owns *out; NULL on failure. */
snug_status recommendation_parse(const cJSON *obj, const char *default_namespace,
                                 recommendation **out, snug_err *err);

void recommendation_free(recommendation *r);

/* The entry for a container by name, or NULL. Borrowed. */
const rec_container *recommendation_container(const recommendation *r, const char *name);

/* The object name for a workload: lower-case "<kind>-<name>", e.g.
 * ("Deployment", "web") -> "deployment-web". Names longer than 253 characters
 * are cut to 243 (then any trailing '-' or '.' dropped, so the result stays
 * a valid DNS subdomain) and given a "-" + 9 hex-digit suffix: the low 36
 * bits of the FNV-1a hash of the whole lower-cased "<kind>-<name>", so they
 * stay unique and stable. buf must hold 254 bytes (shorter buffers get a
 * cut result). */
void recommendation_name(const char *kind, const char *name, char *buf, size_t cap);

/* A set of recommendations indexed by namespace + target kind + target name
 * (hash map; lookups are O(1)), and by namespace + object name for
 * replacement and removal. Owns its entries. spec.targetRef is required, so
 * lookups go by targetRef only, never by guessing the object name. */
typedef struct rec_set rec_set;

rec_set *rec_set_new(void);
void rec_set_free(rec_set *s);

/* Add, taking ownership; one with the same namespace/name replaces the old.
 * On failure (SNUG_ERR_INVALID for a NULL or incomplete r, SNUG_ERR_NOMEM)
 * the set did not take r: the caller still owns it. */
snug_status rec_set_add(rec_set *s, recommendation *r);

/* Remove by namespace/name; SNUG_ERR_NOT_FOUND when absent. */
snug_status rec_set_remove(rec_set *s, const char *ns, const char *name);

size_t rec_set_count(const rec_set *s);

/* The recommendation object ns/name (its own metadata), or NULL. Borrowed. */
const recommendation *rec_set_get(const rec_set *s, const char *ns, const char *name);

/* The recommendation for workload kind/name in namespace ns, or NULL. The
 * kind compares case-insensitively. When several objects target the same
 * workload, the one named recommendation_name(kind, name) wins, else the one
 * added last. Borrowed; valid while the set is unchanged. */
const recommendation *rec_set_find(const rec_set *s, const char *ns, const char *kind,
                                   const char *name);

/* Load every document of `docs` (cJSON array; `List` and
 * `RecommendationList` contribute their items) into a new set; objects
 * without a namespace get `default_namespace`. Errors name the document,
 * counting from 1, and the item: "document 2: items[0]: Recommendation ...".
 * The same namespace/name twice is an error. */
snug_status rec_set_load(const cJSON *docs, const char *default_namespace, rec_set **out,
                         snug_err *err);

#endif

/* mutate_internal.h -- what the mutation engine's modules share: the run
 * context (working copy of the Pod, the patch builder, warnings) and one
 * record per container. Not part of the engine's interface (mutate.h).
 *
 * One engine run works on a deep copy of the Pod (`doc`) through a jsonpatch
 * builder, so `doc` is always "Pod + patch". Modules:
 *   mutate.c            entry point, modes, Audit, annotation, result
 *   mutate_common.c     context helpers: warnings, patch writes, lookups
 *   mutate_resources.c  requests and limits per container (policy, strategies)
 *   mutate_limits.c     the namespace LimitRange: per container and per Pod
 *   mutate_probes.c     liveness/readiness/startup probes
 *   mutate_goenv.c      GOMEMLIMIT / GOMAXPROCS
 * Each of the last four has its own header; this one is mutate_common.c's.
 * They depend on each other in one direction only: resources uses limits,
 * every module uses this header (scripts/check-layout.sh).
 */
#ifndef SNUG_MUTATE_INTERNAL_H
#define SNUG_MUTATE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/dynbuf.h"
#include "json/jsonpatch.h"
#include "webhook/mutate.h"

/* Warnings kept per run before the cap is applied to the result. */
#define MUT_WARN_KEEP MUTATE_MAX_WARNINGS
/* Longest Audit details kept per container. */
#define MUT_DETAIL_MAX 1024

#define MUT_CPU 0
#define MUT_MEM 1

typedef enum mut_kind {
    MUT_REGULAR, /* spec.containers */
    MUT_SIDECAR, /* spec.initContainers with restartPolicy: Always */
    MUT_INIT     /* other spec.initContainers */
} mut_kind;

/* One resource (cpu in millicores, memory in bytes) of one container. */
typedef struct mut_res {
    bool has_req, has_lim; /* present in the Pod as given */
    bool bad_req, bad_lim; /* present but not a valid quantity */
    int64_t req0, lim0;    /* values as given (when present and valid) */
    bool lr_req, lr_lim;   /* filled by the LimitRanger plugin */
    bool user_lim;         /* the limit is the user's (present, not LimitRanger's) */
    bool user_req;         /* the request is the user's: written by them, or implied
                            * by user_lim (the API server copies a missing request
                            * from the limit, so the user asked for request = limit) */
    int64_t req, lim;      /* planned values; RES_UNSET = absent */
    bool set_req, set_lim; /* snug decided these values */
    bool rec_driven;       /* the request follows the recommendation */
} mut_res;

typedef struct mut_container {
    const char *name;
    const char *list;  /* "containers" or "initContainers" */
    char idx[24];      /* position in that list, as a path segment */
    const cJSON *orig; /* the container as given (read from here) */
    mut_kind kind;
    container_policy cp;
    const rec_container *rec; /* NULL when the recommendation has none */
    bool active;              /* snug changes this container in this run */
    bool held;                /* Audit: would be active, held back */
    bool res_ok;              /* its resources are understood */
    mut_res r[2];             /* MUT_CPU, MUT_MEM */
    unsigned changed;         /* MUTATED_* bits for this container */
    dynbuf details;           /* short "what changed" for the Audit warning */
} mut_container;

typedef struct mut_warnings {
    char *w[MUT_WARN_KEEP];
    size_t n;     /* kept */
    size_t total; /* produced */
} mut_warnings;

typedef struct mut_ctx {
    const mutate_input *in;
    const policy *pol;
    const cJSON *annotations; /* of the Pod as given; may be NULL */
    cJSON *doc;               /* working copy: Pod + patch */
    jsonpatch *jp;
    mut_container *cs;
    size_t n;
    bool res_enabled; /* false when the Pod uses pod-level resources */
    unsigned changed;
    mut_warnings warn;
    snug_err *err;
} mut_ctx;

/* --- mutate_common.c ---------------------------------------------------- */

/* Add a warning (printf-style). Failing to allocate one drops it silently:
 * warnings never fail a run. */
void mut_warn(mut_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mut_warnings_free(mut_warnings *w);

/* Append to a container's Audit details ("cpu request 250m"), comma-separated;
 * nothing for a container that is not held (nobody reads them then). */
void mut_detail(mut_container *mc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Set the value at spec/<list>/<idx>/<a>[/<b>[/<c>]] (b, c may be NULL) in
 * the working copy, recording the patch. Takes ownership of v. A JSON null
 * on the way counts as missing. */
snug_status mut_set(mut_ctx *x, mut_container *mc, cJSON *v, const char *a, const char *b,
                    const char *c);

/* Same for any path from the Pod root. */
snug_status mut_set_path(mut_ctx *x, const char *const *path, size_t n, cJSON *v);

/* Append v to the array spec/<list>/<idx>/<a> of the working copy,
 * creating it when missing or null. */
snug_status mut_append(mut_ctx *x, mut_container *mc, cJSON *v, const char *a);

/* A Pod annotation value (string) or NULL. */
const char *mut_annotation(const mut_ctx *x, const char *key);

/* The Pod annotation "<prefix>.<name>" (a per-container one, e.g.
 * snug.dev/runtime.app) or NULL, found without building its key. The first
 * of duplicates, like mut_annotation. */
const char *mut_container_annotation(const mut_ctx *x, const char *prefix, const char *name);

/* obj[key] = v, with `key` a string constant that is referenced, not copied
 * (cJSON_AddItemToObjectCS): the engine's own member names. Takes v (NULL
 * is accepted: an allocation that failed); false, v freed, on failure. */
bool mut_add_member(cJSON *obj, const char *key, cJSON *v);

/* The member of an object, NULL when absent or JSON null. */
const cJSON *mut_get(const cJSON *obj, const char *key);

/* Canonical text of a cpu (millicores) or memory (bytes) amount. */
void mut_format(int res, int64_t v, char *buf, size_t cap);

/* ceil(a * b / c) for a, b >= 0, c > 0, saturating at INT64_MAX - 1. */
int64_t mut_mul_div(int64_t a, int64_t b, int64_t c);

/* v * ratio rounded up (or down), the ratio taken to 6 decimals so that
 * 100 x 1.1 is exactly 110; saturating. RES_UNSET for a negative v. */
int64_t mut_mul_ratio(int64_t v, double ratio, bool up);

/* "cpu" or "memory". */
const char *mut_res_name(int res);

/* Amount of one resource (MUT_CPU / MUT_MEMORY) in a res_amounts. */
int64_t mut_amount(const res_amounts *a, int res);

/* The values the API server will hold once its defaulting and the
 * LimitRanger plugin have run on the result: request, else the limit (API
 * defaulting copies it), else the LimitRange default; RES_UNSET when none. */
int64_t mut_eff_req(const mut_ctx *x, const mut_container *mc, int res);
int64_t mut_eff_lim(const mut_ctx *x, const mut_container *mc, int res);

#endif

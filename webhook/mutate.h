/* mutate.h -- the mutation engine: a pure function
 *   (Pod, namespace labels, LimitRanges, policy, recommendation)
 *     -> JSON Patch + what changed + warnings.
 * It is what the admission server runs for each Pod CREATE and what
 * `snug-webhook mutate` runs offline for Pod templates. It never performs
 * I/O, never blocks, and never changes its inputs.
 *
 * What it does, per DESIGN.md (see docs/policy.md for the full reference):
 *  - resources: requests from the recommendation's target, or the policy's
 *    defaults.requests when there is none; limits only from observed usage
 *    (with a target, per the cpuLimit/memoryLimit strategies, never below
 *    the recommendation's target, upperBound, limits or observed peak) or
 *    from defaults.limits (without one), never derived from a guess;
 *    `IfMissing` fills only unset values (values the LimitRanger plugin
 *    defaulted count as unset; a request next to a limit the user wrote is
 *    set: the API server copies the limit into it), `Always` sets the
 *    recommendation (a default never replaces the user's); clamped to
 *    minAllowed/maxAllowed, then to the namespace LimitRange (min, max,
 *    maxLimitRequestRatio), always keeping request <= limit; CPU rounded up to
 *    a millicore, memory up to a MiB; written in canonical quantity form.
 *  - containers: regular containers and native sidecars (init containers with
 *    restartPolicy: Always) get resources, probes and Go env; plain init
 *    containers get resources and Go env but never probes; ephemeral
 *    containers are never touched.
 *  - probes (CREATE only, probes.inject: IfMissing): liveness, readiness and
 *    startup, each only when missing, only with a real signal: httpGet on the
 *    first port whose name is in probes.portNames when a path is known (policy
 *    probes.paths, or the Pod annotation snug.dev/probe-path or
 *    snug.dev/probe-path.<container>); else, for readiness only, tcpSocket
 *    on the first TCP containerPort (a liveness or startup probe guessed
 *    from a declared port could restart a healthy container forever); else
 *    none. The startup probe is sized from the observed start time (2x, at
 *    least 30 s) or probes.startupSeconds.
 *  - Go runtime (Go containers only: annotation snug.dev/runtime: go on the
 *    Pod, snug.dev/runtime.<container>: go, the recommendation's runtime: go,
 *    or goRuntime.detect: Always): GOMEMLIMIT = floor(memory limit x
 *    gomemlimitRatio) in Go byte syntax, none without a memory limit;
 *    GOMAXPROCS per goRuntime.gomaxprocs: from the CPU limit rounded up (at
 *    least 1) when there is one, else from the recommendation (go.gomaxprocs,
 *    or its CPU upper bound rounded up), at least 2; without either none
 *    (Go's own default). Never when the container sets the variable in
 *    `env`, or has any `envFrom` (which might set it): then a warning says
 *    so, unless `env` already holds the value snug would set.
 *  - modes: policy or container mode Off, or snug.dev/mode: off (any case)
 *    as a Pod annotation or a Pod label, skip; snug.dev/mode: audit (either
 *    way), or policy or container mode Audit, computes everything but
 *    returns an empty patch, the would-be patch in `would_patch`, and a
 *    warning saying what it would have done.
 *  - records what it did in the annotation snug.dev/mutated
 *    ("resources,probes,go-env", in that order, only the parts that changed).
 */
#ifndef SNUG_MUTATE_H
#define SNUG_MUTATE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "model/limitrange.h"
#include "model/policy.h"
#include "model/recommendation.h"
#include "base/status.h"

#define MUTATED_RESOURCES 0x1u
#define MUTATED_PROBES    0x2u
#define MUTATED_GO_ENV    0x4u

#define MUTATE_ANNOTATION   "snug.dev/mutated"
#define MUTATE_MAX_WARNINGS 32

typedef struct mutate_input {
    const cJSON *pod;                /* a Pod, or a pod template {metadata, spec} */
    const char *namespace;           /* may be NULL */
    const cJSON *namespace_labels;   /* object or NULL */
    const limitrange_bounds *limits; /* NULL: no LimitRange */
    const policy *policy;            /* the winning policy; NULL: nothing to do */
    const recommendation *rec;       /* NULL: no recommendation yet */
    bool is_create;                  /* probes are only added on CREATE */
    bool in_place;                   /* the caller gives `pod` up: the engine may patch it itself
                                        instead of a copy, and leaves it in an unspecified state;
                                        out->mutated may then be NULL */
} mutate_input;

typedef struct mutate_result {
    cJSON *patch;       /* owned; RFC 6902 ops against in->pod; [] when nothing changes */
    cJSON *mutated;     /* owned; in->pod with the patch applied (a copy of it if none);
                           may be NULL with in_place */
    cJSON *would_patch; /* owned; Audit only: the patch it would have applied, else NULL */
    unsigned changed;   /* MUTATED_* bits: what changed (Audit: would change) */
    bool audit;         /* true when Audit mode held the changes back */
    char *skipped;      /* owned; why nothing was done (opt-out, mode Off...), or NULL */
    char *warnings[MUTATE_MAX_WARNINGS]; /* owned human-readable warnings */
    size_t n_warnings;
} mutate_result;

/* Run the engine. On SNUG_OK *out holds the result (free with
 * mutate_result_free). A Pod the engine cannot understand (containers not a
 * list, a container without a name, a resources field of the wrong type...)
 * gives SNUG_ERR_INVALID with err naming the field; callers then allow the Pod
 * unchanged with a warning. SNUG_ERR_NOMEM is the only other failure. */
snug_status mutate_pod(const mutate_input *in, mutate_result *out, snug_err *err);

void mutate_result_free(mutate_result *r);

/* "resources,probes,go-env" for the bits in `changed` (buf of 32 bytes). */
void mutate_changed_str(unsigned changed, char *buf, size_t cap);

#endif

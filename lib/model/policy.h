/* policy.h -- the SizingPolicy model (snug.dev/v1alpha1): parse, validate,
 * default, choose the winning policy for a Pod, resolve per-container
 * overrides.
 *
 * Full YAML shape (every field optional; defaults shown):
 *
 *   apiVersion: snug.dev/v1alpha1
 *   kind: SizingPolicy
 *   metadata: {name: web, creationTimestamp: "2026-01-02T03:04:05Z"}
 *   spec:
 *     priority: 0                    # int; highest matching wins; ties: oldest, then name
 *     namespaceSelector: {}          # LabelSelector; absent/{} = all namespaces
 *     selector: {}                   # Pod LabelSelector
 *     mode: Initial                  # Off | Audit | Initial
 *     resources:
 *       apply: IfMissing             # IfMissing | Always
 *       defaults: {requests: {cpu: 50m, memory: 64Mi}, limits: {}}  # no recommendation yet
 *       minAllowed: {cpu: 10m, memory: 32Mi}
 *       maxAllowed: {cpu: "8", memory: 16Gi}
 *       cpuLimit: {strategy: None}   # None | KeepRatio | Ratio (+ ratio >= 1.0)
 *       memoryLimit: {strategy: Ratio, ratio: 1.0}
 *     recommender:
 *       window: 7d                   # duration: 90s, 30m, 24h, 7d, 1h30m
 *       cpuPercentile: 0.90          # (0, 1]
 *       memoryPercentile: 1.0        # (0, 1]
 *       safetyMargin: 0.15           # [0, 10]
 *       minHistory: 24h
 *       oomBump: {ratio: 1.2, min: 100Mi}
 *     probes:
 *       inject: IfMissing            # IfMissing | Never
 *       portNames: [health, http, metrics]   # ports considered HTTP, in preference order
 *       paths: {liveness: "", readiness: ""} # known paths; none known -> tcpSocket
 *       periodSeconds: 10
 *       timeoutSeconds: 2
 *       failureThreshold: 3
 *       startupSeconds: 300          # startup budget while no start time was observed
 *     goRuntime:
 *       detect: Auto                 # Auto | Always | Never
 *       gomemlimitRatio: 0.90        # (0, 1]
 *       gomaxprocs: WhenNoCPULimit   # WhenNoCPULimit | Always | Never
 *     containers:                    # overrides, first match wins, exact name before "*"
 *     - name: istio-proxy            # required; "*" = every container
 *       mode: Off                    # optional, as spec.mode
 *       minAllowed: {...}            # optional, replace the policy's per resource
 *       maxAllowed: {...}
 *       cpuLimit: {...}              # optional
 *       memoryLimit: {...}
 *       probes: {inject: Never}      # optional
 *       goRuntime: {detect: Never}   # optional
 *
 * Validation is strict and field-precise: unknown fields, wrong types, bad
 * quantities, minAllowed > maxAllowed, ratios out of range, duplicate
 * container names are SNUG_ERR_INVALID with messages such as
 * `SizingPolicy "web": spec.resources.minAllowed.cpu: invalid quantity "1x": ...`.
 */
#ifndef SNUG_POLICY_H
#define SNUG_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "model/duration.h"
#include "model/selector.h"
#include "base/status.h"

#define RES_UNSET ((int64_t)-1)

/* CPU in millicores, memory in bytes; RES_UNSET when not given. */
typedef struct res_amounts {
    int64_t cpu_milli;
    int64_t mem_bytes;
} res_amounts;

typedef enum policy_mode { POLICY_MODE_OFF, POLICY_MODE_AUDIT, POLICY_MODE_INITIAL } policy_mode;
typedef enum resources_apply { APPLY_IF_MISSING, APPLY_ALWAYS } resources_apply;
typedef enum limit_strategy { LIMIT_NONE, LIMIT_KEEP_RATIO, LIMIT_RATIO } limit_strategy;
typedef enum probes_inject { PROBES_IF_MISSING, PROBES_NEVER } probes_inject;
typedef enum go_detect { GO_DETECT_AUTO, GO_DETECT_ALWAYS, GO_DETECT_NEVER } go_detect;
typedef enum gomaxprocs_mode {
    GOMAXPROCS_WHEN_NO_CPU_LIMIT,
    GOMAXPROCS_ALWAYS,
    GOMAXPROCS_NEVER
} gomaxprocs_mode;

typedef struct limit_rule {
    limit_strategy strategy;
    double ratio; /* LIMIT_RATIO only; >= 1.0 */
} limit_rule;

typedef struct policy_resources {
    resources_apply apply;
    res_amounts default_requests;
    res_amounts default_limits;
    res_amounts min_allowed;
    res_amounts max_allowed;
    limit_rule cpu_limit;
    limit_rule memory_limit;
} policy_resources;

typedef struct policy_recommender {
    int64_t window_seconds;
    double cpu_percentile;
    double memory_percentile;
    double safety_margin;
    int64_t min_history_seconds;
    double oom_bump_ratio;
    int64_t oom_bump_min_bytes;
} policy_recommender;

#define POLICY_MAX_PORT_NAMES 8
typedef struct policy_probes {
    probes_inject inject;
    char *port_names[POLICY_MAX_PORT_NAMES]; /* owned */
    size_t n_port_names;
    char *liveness_path;  /* owned; NULL = not known */
    char *readiness_path; /* owned; NULL = not known */
    int period_seconds;
    int timeout_seconds;
    int failure_threshold;
    int startup_seconds;
} policy_probes;

typedef struct policy_goruntime {
    go_detect detect;
    double gomemlimit_ratio;
    gomaxprocs_mode gomaxprocs;
} policy_goruntime;

/* One entry of spec.containers; has_* says which fields were given. */
typedef struct policy_container {
    char *name; /* owned; "*" matches every container */
    bool has_mode, has_min, has_max, has_cpu_limit, has_memory_limit, has_probes, has_go;
    policy_mode mode;
    res_amounts min_allowed, max_allowed; /* RES_UNSET fields inherit */
    limit_rule cpu_limit, memory_limit;
    probes_inject probes_inject;
    go_detect go_detect;
} policy_container;

typedef struct policy {
    char *name; /* owned */
    int64_t priority;
    int64_t created; /* creationTimestamp, seconds since epoch; 0 when absent */
    policy_mode mode;
    label_selector *namespace_selector; /* owned; NULL = all */
    label_selector *selector;           /* owned; NULL = all */
    policy_resources resources;
    policy_recommender recommender;
    policy_probes probes;
    policy_goruntime go;
    policy_container *containers; /* owned array */
    size_t n_containers;
} policy;

/* The settings that apply to one container after overrides are merged. */
typedef struct container_policy {
    policy_mode mode;
    resources_apply apply;
    res_amounts default_requests, default_limits, min_allowed, max_allowed;
    limit_rule cpu_limit, memory_limit;
    probes_inject probes_inject;
    go_detect go_detect;
} container_policy;

/* Parse and validate a SizingPolicy object (apiVersion snug.dev/v1alpha1,
 * kind SizingPolicy, metadata.name required). Defaults fill what is absent
 * (a JSON null counts as absent). As in the CRD, a given minAllowed,
 * maxAllowed, defaults.requests, defaults.limits, cpuLimit or memoryLimit
 * object replaces its default as a whole: `minAllowed: {cpu: 5m}` leaves
 * the memory minimum unset, and a limit rule's strategy defaults to None.
 * Caller owns *out (policy_free). On failure *out is NULL and err says which
 * policy and which field. */
snug_status policy_parse(const cJSON *obj, policy **out, snug_err *err);

/* The built-in default used by `snug-webhook mutate` with no --policy: the
 * defaults shown above, priority 0, named "snug-default", matching every
 * namespace and Pod. Caller owns the result; NULL on NOMEM. */
policy *policy_builtin_default(void);

void policy_free(policy *p);

/* Merge the policy with the first matching override for `container` (exact
 * name first, then "*"). Never fails. */
void policy_for_container(const policy *p, const char *container, container_policy *out);

/* Whether the policy's selectors match a Pod with these labels in a
 * namespace with these labels (either may be NULL = no labels). */
bool policy_matches(const policy *p, const cJSON *pod_labels, const cJSON *ns_labels);

/* A set of policies, owning them. */
typedef struct policy_set policy_set;

policy_set *policy_set_new(void);
void policy_set_free(policy_set *s);

/* Add (taking ownership); a policy with the same name replaces the old one.
 * On failure (SNUG_ERR_INVALID for NULL, SNUG_ERR_NOMEM) the caller still
 * owns p. */
snug_status policy_set_add(policy_set *s, policy *p);

/* Remove by name; SNUG_ERR_NOT_FOUND when absent. */
snug_status policy_set_remove(policy_set *s, const char *name);

size_t policy_set_count(const policy_set *s);
const policy *policy_set_at(const policy_set *s, size_t i);

/* Parse every document of `docs` (a cJSON array of objects, as
 * yaml_parse_stream returns; a `kind: List` or `SizingPolicyList` contributes
 * its items) into a new set. Any document that is not a valid SizingPolicy is
 * an error naming its index, counting from 1, and the item of a list
 * ("document 2: items[0]: SizingPolicy \"web\": ..."). The same name twice
 * is an error too. */
snug_status policy_set_load(const cJSON *docs, policy_set **out, snug_err *err);

/* The winning policy for a Pod: among matching policies the highest priority,
 * then the oldest creationTimestamp (absent counts as 0, the oldest), then
 * the smallest name. NULL when none matches. Borrowed pointer, valid while
 * the set is unchanged. */
const policy *policy_set_select(const policy_set *s, const cJSON *pod_labels,
                                const cJSON *ns_labels);

/* Enum names as written in YAML ("Initial", "IfMissing", ...). */
const char *policy_mode_name(policy_mode m);
const char *limit_strategy_name(limit_strategy s);

/* The names of the other enums, as written in YAML. */
const char *resources_apply_name(resources_apply a);
const char *probes_inject_name(probes_inject i);
const char *go_detect_name(go_detect d);
const char *gomaxprocs_mode_name(gomaxprocs_mode g);

/* The policy called `name`, or NULL. Borrowed, valid while the set is
 * unchanged. */
const policy *policy_set_find(const policy_set *s, const char *name);

/* duration_parse() -- "90s", "30m", "24h", "7d", "1h30m" -- is declared in
 * duration.h (included above) with the RFC 3339 helpers. */

#endif

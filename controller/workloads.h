/* workloads.h -- the workloads a report or a pass sizes, their containers,
 * and which Pod belongs to which.
 *
 * A workload is a namespace + kind + name (Deployment "shop/web"), with the
 * SizingPolicy that applies to it (borrowed), the containers of its Pod
 * template (current requests and limits, Go or not) and, per container, the
 * recommender's state (controller/rec_state.h), owned here. Pods map to
 * their workload through wlset_map_pod(); Pods of earlier ReplicaSets map to
 * the same Deployment, so history spans rollouts.
 *
 * Workloads come from the API server (workloads_kube.h) or, without it,
 * from Prometheus' series (workloads_prom.h). The set owns everything in it;
 * nothing is freed before wlset_free().
 */
#ifndef SNUG_CTL_WORKLOADS_H
#define SNUG_CTL_WORKLOADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/status.h"
#include "base/strmap.h"
#include "controller/rec_state.h"
#include "model/policy.h"
#include "model/workload.h"

/* Most containers kept per workload (Pods allow more only in theory). */
#define WL_MAX_CONTAINERS 64

typedef struct wl_container {
    char *name;                   /* owned */
    res_amounts requests, limits; /* current (Pod template or kube-state-metrics); RES_UNSET */
    bool is_go;                   /* go_info seen, or the snug.dev/runtime annotation says go */
    int go_minor;                 /* Go 1.x minor version when known, else 0 */
    rec_state *state;             /* owned; created with the container */
    int64_t oom_kills;            /* OOM kills seen in the window */
    int64_t oom_limit_bytes;      /* the memory limit at the last OOM kill; RES_UNSET */
    bool in_template;             /* the Pod template has it (API mode) */
    bool has_metrics;             /* at least one usage sample was added */
} wl_container;

typedef struct workload {
    char ns[WORKLOAD_NAME_MAX];
    workload_ref ref;        /* kind and name */
    const char *api_version; /* static string: "apps/v1", "batch/v1", "v1" */
    const policy *pol;       /* borrowed from the caller's policy set; NULL: skipped */
    bool from_api;           /* listed by the API server */
    bool opted_out;          /* snug.dev/mode: off on the workload or its template */
    char *uid;               /* owned; metadata.uid when from the API, else NULL */
    wl_container **cs;       /* owned; each container allocated on its own, so a pointer
                                to one stays valid as others are added */
    size_t n_cs;
    size_t pods;                        /* Pods mapped to it */
    unsigned seen;                      /* the operator pass that last saw it in the cluster */
    bool gone;                          /* removed (wlset_remove); freed at the next reset */
    bool hpa_cpu, hpa_memory;           /* an HPA scales it on CPU / memory utilisation */
    bool vpa_active;                    /* a VerticalPodAutoscaler sizes it (mode not Off) */
    char latest_pod[WORKLOAD_NAME_MAX]; /* the Pod with the newest usage sample */
    double latest_t;                    /* that sample's time */
} workload;

typedef struct wlset {
    workload **items; /* owned, in insertion order */
    size_t n, cap;
    strmap *by_key; /* "ns\x1fKind\x1fname" -> workload (borrowed) */
    strmap *pods;   /* "ns\x1fpod" -> workload (borrowed), or the sentinel for "none" */
    size_t max_workloads;
} wlset;

/* A new empty set holding at most max_workloads (0: 100000). NULL on NOMEM. */
wlset *wlset_new(size_t max_workloads);
void wlset_free(wlset *s);

/* The workload ns/kind/name, or NULL. */
workload *wlset_find(const wlset *s, const char *ns, const char *kind, const char *name);

/* The workload ns/kind/name, added when absent (from_api false, no policy).
 * SNUG_ERR_NOMEM; SNUG_ERR_TOO_BIG beyond max_workloads; SNUG_ERR_INVALID
 * for an empty or too long namespace, kind or name. */
snug_status wlset_add(wlset *s, const char *ns, const char *kind, const char *name, workload **out,
                      snug_err *err);

/* The container `name` of w, added (with a fresh rec_state, nothing
 * current) when absent and `create` is true. NULL when absent and not
 * created, or on NOMEM / more than WL_MAX_CONTAINERS. */
wl_container *workload_container(workload *w, const char *name, bool create);

/* Record that Pod ns/pod belongs to w (NULL: to no workload we size, so
 * its series are skipped). A Pod already mapped keeps its first mapping. */
snug_status wlset_map_pod(wlset *s, const char *ns, const char *pod, workload *w, snug_err *err);

/* The workload Pod ns/pod was mapped to. *known tells whether the Pod was
 * mapped at all (to a workload or to none). */
workload *wlset_pod_workload(const wlset *s, const char *ns, const char *pod, bool *known);

/* Containers tracked, and the bytes their recommender state holds. */
size_t wlset_containers(const wlset *s);
size_t wlset_state_bytes(const wlset *s);

/* Remove workload w: not found any more, its containers' state freed, w->gone
 * set. Pod mappings may still point at it, so the structure itself stays in
 * items (skip gone ones) until wlset_reset_pods(). */
void wlset_remove(wlset *s, workload *w);

/* Forget every Pod -> workload mapping (they are rebuilt as series come)
 * and free the removed workloads. SNUG_ERR_NOMEM changes nothing. */
snug_status wlset_reset_pods(wlset *s);

/* The API version a workload kind lives in ("apps/v1" for Deployment,
 * "batch/v1" for Job and CronJob, "v1" for Pod); "apps/v1" otherwise. */
const char *workload_api_version(const char *kind);

#endif

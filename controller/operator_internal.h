/* operator_internal.h -- what the operator's modules share: its state.
 *
 *   operator.c        lifecycle: clients, informers, lease, HTTP, the loop
 *   operator_sync.c   the workload set from the caches, Pods' OOM kills,
 *                     autoscalers, Prometheus
 *   operator_write.c  Recommendations: diff, server-side apply, deletes,
 *                     Events, conditions
 * Only the loop's thread touches the state below, except `stop` and
 * `leading` (atomic, set by the signal handler and the lease thread).
 */
#ifndef SNUG_CTL_OPERATOR_INTERNAL_H
#define SNUG_CTL_OPERATOR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/ctl_metrics.h"
#include "controller/operator.h"
#include "controller/workloads.h"
#include "kube/kube_informer.h"
#include "kube/kube_lease.h"
#include "metrics/metrics.h"
#include "metrics/metrics_http.h"
#include "model/policy.h"
#include "prom/prom_client.h"

/* The workload kinds, in the order of op.kinds. */
#define OP_KINDS 6
extern const char *const op_kind_names[OP_KINDS];

/* An OOM kill seen in Pod status, waiting for its Event. */
typedef struct op_oom {
    char ns[WORKLOAD_NAME_MAX];
    workload_ref ref;
    char container[WORKLOAD_NAME_MAX];
    int64_t limit_bytes;
    struct op_oom *next;
} op_oom;

typedef struct op {
    const operator_opts *o;
    kube_client *kc; /* the loop's own client (writes, lists) */
    prom_client *pc;
    kube_lease *lease;
    metrics_registry *reg;
    metrics_http *http;
    ctl_metrics *m;
    kube_informer *policies, *namespaces, *kinds[OP_KINDS], *pods, *hpas, *vpas, *recs;
    wlset *set;       /* NULL while not leading: loaded from checkpoints on taking over */
    policy_set *pols; /* this pass's policies (owned) */
    unsigned pass;
    double last_end; /* end of the last Prometheus window fed; 0: none */
    double last_checkpoint;
    bool matched;   /* the set was matched against the cluster since it was loaded */
    bool prom_down; /* the last pass could not read Prometheus */
    char prom_error[512];
    op_oom *ooms; /* OOM kills of this pass (owned list) */
    size_t written, unchanged, deleted, bumps;
    /* this pass's sizing sums, in millicores and bytes: integers, so the
     * gauges read 0.65, not 0.6500000000000001 */
    int64_t req_cpu, rec_cpu, req_mem, rec_mem;
    int stop;                                  /* atomic: SIGTERM/SIGINT */
    int leading;                               /* atomic: holds the lease (or no election) */
    int pass_done;                             /* atomic: a pass completed since leading */
    int informers_up; /* atomic: every informer exists (read by /readyz's thread) */
} op;

/* ---- operator_sync.c ---- */

/* Whether namespace ns is one the operator sizes (--namespace, or all). */
bool op_ns_wanted(const op *p, const char *ns);

/* The policies from the cache (refused ones logged, skipped). */
snug_status op_sync_policies(op *p, snug_err *err);

/* The workload set from the caches: covered workloads added or refreshed,
 * those gone dropped with their state, HPA/VPA marks set. */
snug_status op_sync_workloads(op *p, snug_err *err);

/* Prometheus from p->last_end (or the window's start) to `now` into the
 * set. On failure nothing is fed and p->prom_down is set. */
snug_status op_sync_usage(op *p, double now, snug_err *err);

/* OOM kills in Pod status not yet in the state: added, queued in p->ooms. */
void op_sync_pod_ooms(op *p);

/* Prune a Pod to the fields the operator reads (informer transform). */
void op_pod_slim(cJSON *pod, void *ud);

/* Informer transforms for the other kinds: managedFields and kubectl's
 * last-applied annotation dropped (op_obj_slim); a workload's status too
 * (op_workload_slim). */
void op_obj_slim(cJSON *obj, void *ud);
void op_workload_slim(cJSON *obj, void *ud);

/* ---- operator_write.c ---- */

/* Compute, diff and write every covered workload's Recommendation; delete
 * those of workloads no longer covered; Events for queued OOM kills. With
 * p->prom_down only the PrometheusUnavailable condition changes. */
snug_status op_write_all(op *p, double now, snug_err *err);

/* True while this process may write (it leads and is not stopping). */
bool op_may_write(const op *p);

#endif

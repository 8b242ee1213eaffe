/* operator_internal.h -- what the operator's modules share: its state.
 *
 *   operator.c        lifecycle: clients, informers, lease, HTTP, the loop
 *   operator_policies.c  SizingPolicies; refused ones reported, the
 *                     Recommendations they made held
 *   operator_sync.c   the workload set from the caches, autoscalers,
 *                     Prometheus (cache_slim.c: what the caches keep)
 *   operator_oom.c    OOM kills in Pod status, their Events, the bumps
 *                     written
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

#include "base/strmap.h"
#include "controller/ctl_metrics.h"
#include "controller/operator.h"
#include "controller/recommender.h"
#include "controller/workloads.h"
#include "kube/kube_events.h"
#include "kube/kube_informer.h"
#include "kube/kube_owner.h"
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

/* A SizingPolicy the parser refused (the API server took it: the CRD's
 * schema cannot say everything the parser checks). */
typedef struct op_refused {
    char name[WORKLOAD_NAME_MAX];
    char uid[64];
    int64_t generation;           /* metadata.generation; 0 when absent */
    char error[SNUG_ERR_MSG_MAX]; /* the parser's message */
    bool reported;                /* logged at warn, Event written (or tried) */
} op_refused;

typedef struct op_refused_list {
    op_refused *items; /* owned */
    size_t n, cap;
} op_refused_list;

typedef struct op {
    const operator_opts *o;
    kube_client *kc; /* the loop's own client (writes, lists) */
    prom_client *pc;
    kube_lease *lease;
    /* --owner-deployment, read once at start (kind NULL: none): the Lease
     * names it at every write, checkpoints when ckpt_owned */
    kube_owner owner;
    bool ckpt_owned;
    metrics_registry *reg;
    metrics_http *http;
    ctl_metrics *m;
    kube_informer *policies, *namespaces, *kinds[OP_KINDS], *pods, *hpas, *vpas, *recs;
    wlset *set;              /* NULL while not leading: loaded from checkpoints on taking over */
    policy_set *pols;        /* this pass's policies (owned) */
    op_refused_list refused; /* the policies this pass refused */
    policy *hold_pol;        /* owned; w->pol of a held workload (never written, never deleted) */
    size_t held;             /* workloads held this pass */
    strmap *oom_seen; /* owned; Pod-status OOM kills handled: "ns\x1fpod\x1fcontainer\x1ft" ->
                         the pass that last saw them */
    double prev_now;  /* the previous pass's time; the checkpoint's after a take-over */
    unsigned pass;
    double last_end; /* end of the last Prometheus window fed; 0: none */
    double last_checkpoint;
    bool matched;          /* the set was matched against the cluster since it was loaded */
    bool early_load_tried; /* checkpoints loaded (or tried) while the caches synced */
    bool prom_down;        /* the last pass could not read Prometheus */
    char prom_error[512];
    op_oom *ooms; /* OOM kills of this pass (owned list) */
    size_t written, unchanged, deleted, bumps;
    /* this pass's sizing sums, in millicores and bytes: integers, so the
     * gauges read 0.65, not 0.6500000000000001 */
    int64_t req_cpu, rec_cpu, req_mem, rec_mem;
    int stop;         /* atomic: SIGTERM/SIGINT */
    int leading;      /* atomic: holds the lease (or no election) */
    int pass_done;    /* atomic: a pass completed since leading */
    int informers_up; /* atomic: every informer exists (read by /readyz's thread) */
} op;

/* ---- operator_policies.c ---- */

/* The policies from the cache into p->pols; refused ones into p->refused,
 * each logged at warn with the parser's error and given a Warning Event
 * `PolicyRefused` once per generation (later passes: debug). NOMEM only. */
snug_status op_sync_policies(op *p, snug_err *err);

/* After op_sync_workloads: the workloads whose Recommendation (ours) was
 * made by a refused policy and that no other policy covers now are held:
 * w->pol = p->hold_pol, so their state is still fed and checkpointed, their
 * Recommendation neither written nor deleted (op_held). Sets p->held. */
snug_status op_hold_refused(op *p, snug_err *err);

/* Whether w is held (see op_hold_refused). */
bool op_held(const op *p, const workload *w);

/* The pure parts, for unit tests. op_policy_take: obj parsed into `set`
 * (SNUG_OK) or, refused by the parser, appended to `refused` (its reported
 * flag carried from `before` for the same name, uid and generation); fails
 * only with SNUG_ERR_NOMEM. op_hold_one: rec (a Recommendation object) holds
 * its workload in `set` as op_hold_refused says; true when it did.
 * op_refused_note: the Event's note. */
snug_status op_policy_take(const cJSON *obj, policy_set *set, op_refused_list *refused,
                           const op_refused_list *before);
bool op_hold_one(const cJSON *rec, wlset *set, const op_refused_list *refused, const policy *hold);
const op_refused *op_refused_find(const op_refused_list *l, const char *name);
void op_refused_note(const op_refused *r, char *buf, size_t cap);
void op_refused_clear(op_refused_list *l);

/* ---- operator_sync.c ---- */

/* Whether namespace ns is one the operator sizes (--namespace, or all). */
bool op_ns_wanted(const op *p, const char *ns);

/* The workload set from the caches: covered workloads added or refreshed,
 * those gone dropped with their state, HPA/VPA marks set. */
snug_status op_sync_workloads(op *p, snug_err *err);

/* Prometheus from p->last_end (or the window's start) to `now` into the
 * set. On failure nothing is fed and p->prom_down is set. */
snug_status op_sync_usage(op *p, double now, snug_err *err);

/* ---- operator_oom.c ---- */

/* OOM kills in Pod status not handled yet: queued in p->ooms for their
 * Event, and added to the state unless this pass's Prometheus read already
 * brought them (cAdvisor's counter: the same kill, counted once). Kills the
 * state knew before this pass (an earlier pass, the checkpoint) are not
 * queued again. Held workloads are left for when they are not. */
void op_sync_pod_ooms(op *p);

/* OOM kills this close (seconds) are one: Pod status gives the kill's time,
 * cAdvisor's counter the time of the sample that counted it. */
#define OP_OOM_SAME_S 300

/* Whether state s holds an OOM kill within OP_OOM_SAME_S of t: *before when
 * one was there before this pass (its time is at most `cutoff`, the last
 * pass's or the checkpoint's), *fed when only later ones are (this pass's
 * Prometheus read brought it). Pure; for op_sync_pod_ooms and tests. */
void op_oom_known(const rec_state *s, double t, double cutoff, bool *before, bool *fed);

/* Whether OOM kills of w are queued for their Event this pass (its status
 * is then written even when nothing else moved). */
bool op_oom_pending(const op *p, const workload *w);

/* The Events of w's queued OOM kills: one `OOMKilled` Warning each on the
 * Recommendation `written` (as stored), saying the memory from `existing`
 * (NULL: none) to res[] (containers cs[0..n)); logged too. */
void op_oom_events(op *p, const workload *w, const cJSON *written, const cJSON *existing,
                   const wl_container *const *cs, const rec_result *res, size_t n);

/* Free the pass's queue of OOM kills. */
void op_ooms_free(op *p);

/* The OOM bumps a status write applies: containers whose memory the
 * recommender raised for an OOM kill (REC_OOM_BUMP) and whose written
 * target (or limit, when there is no target: an HPA on memory, a VPA) is
 * above what `existing` (the Recommendation before; NULL: none) held,
 * whichever source reported the kill. A bump already written is not
 * counted again. Pure. */
size_t op_oom_bumps(const cJSON *existing, const rec_result *res, const wl_container *const *cs,
                    size_t n);

/* ---- operator_write.c ---- */

/* Writes in a row that found the API server away (connection refused or
 * reset, TLS, timeout) before a pass gives up its other writes. */
#define OP_WRITE_AWAY_MAX 3

/* Compute, diff and write every covered workload's Recommendation; delete
 * those of workloads no longer covered; Events for queued OOM kills. With
 * p->prom_down only the PrometheusUnavailable condition changes. One
 * object's failure is logged and the others are written; NOMEM, 401/403
 * and OP_WRITE_AWAY_MAX writes in a row with the API server away end the
 * writes with that error (nothing is deleted then). */
snug_status op_write_all(op *p, double now, snug_err *err);

/* True while this process may write (it leads and is not stopping). */
bool op_may_write(const op *p);

/* Fill *ev as a Warning Event that this controller reports (its identity as
 * the instance); regarding and related are left empty for the caller. The
 * strings are borrowed. */
void op_warning_event(const op *p, kube_event *ev, const char *action, const char *reason,
                      const char *note);

#endif

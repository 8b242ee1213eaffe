/* checkpoint.h -- the recommender state of every tracked container, kept in
 * ConfigMaps of the controller's own namespace so that a restart or a
 * failover loses no history (docs/controller.md (Checkpoints)).
 *
 * Layout: per workload namespace NS, ConfigMap "snug-checkpoint-NS" and,
 * when its entries exceed the budget (700 KiB of data by default, the API
 * server takes 1 MiB), "snug-checkpoint-NS.2", ".3"... (a dot: no namespace
 * has one, so shards never collide with another namespace's name). Labels
 * app.kubernetes.io/managed-by=snug-controller and
 * snug.dev/checkpoint-namespace=NS; annotations snug.dev/checkpoint-time
 * (RFC 3339), snug.dev/checkpoint-version "1", snug.dev/checkpoint-shard
 * "i/n". One data entry per container: see controller/checkpoint_codec.h.
 *
 * A save given an owner (the controller's Deployment) names it in every
 * ConfigMap's metadata.ownerReferences, so the garbage collector deletes
 * the checkpoints with the Deployment (helm uninstall); ConfigMaps saved
 * before get the reference on the next save.
 *
 * RBAC: configmaps list, patch and delete in the controller's namespace;
 * nothing elsewhere.
 */
#ifndef SNUG_CTL_CHECKPOINT_H
#define SNUG_CTL_CHECKPOINT_H

#include <stddef.h>

#include "base/status.h"
#include "controller/workloads.h"
#include "kube/kube_client.h"
#include "kube/kube_owner.h"

typedef struct ckpt_stats {
    size_t configmaps_read;    /* load: checkpoint ConfigMaps listed */
    size_t configmaps_written; /* save: applied */
    size_t configmaps_deleted; /* save: stale ones deleted */
    size_t entries;            /* containers loaded / saved */
    size_t entries_skipped;    /* load: refused entries; save: unsavable ones (logged) */
    size_t bytes;              /* data bytes (keys and values) loaded / saved */
} ckpt_stats;

/* Load every checkpoint ConfigMap of namespace ctl_ns (listed by label, a
 * few at a time) into `set`: for each entry, wlset_add() its workload (kind,
 * name, namespace; no policy yet) and workload_container(w, container,
 * true), and replace the container's state with the loaded one (the old
 * one is freed). An entry that does not decode or that rec_state_load()
 * refuses, a ConfigMap of another format version, a workload beyond the
 * set's maximum or a container beyond WL_MAX_CONTAINERS is logged (warn) and
 * skipped, never fatal; of two entries for one container (a save cut
 * short while shards moved) the newer wins. *saved_at is the oldest
 * checkpoint time among the ConfigMaps an entry was loaded from (0 when
 * none): ask Prometheus for the samples since then. `st` (may be NULL) is
 * filled in. Fails only when listing fails (SNUG_ERR_UNAUTHORIZED...) or
 * on NOMEM; entries loaded before the failure stay in the set. */
snug_status checkpoint_load(kube_client *kc, const char *ctl_ns, wlset *set, double *saved_at,
                            ckpt_stats *st, snug_err *err);

/* Save the state of every container of `set` that holds data, of the
 * workloads with a policy (w->pol != NULL) only, grouped per namespace and
 * cut into shards, by server-side apply (field manager "snug-controller",
 * force) at time `now` (unix seconds); then delete the checkpoint
 * ConfigMaps no longer needed: those of namespaces with nothing saved and
 * shards beyond the ones written. Entries a workload no longer has vanish
 * with the apply. So call it only once the set has been matched against
 * the API server (workloads loaded from a checkpoint have no policy until
 * then, and would be dropped).
 *
 * A namespace whose name is not a DNS label or an entry larger than the
 * budget is logged and skipped. When applying a ConfigMap fails, the other
 * namespaces are still saved, nothing of the failed namespace is deleted,
 * and the first error is returned.
 *
 * `owner` (borrowed; NULL: none) is named in every ConfigMap applied (other
 * owners a ConfigMap has stay). SNUG_ERR_INVALID, before anything is
 * written, when it is namespaced in another namespace than ctl_ns (the
 * collector would take it for gone and delete the checkpoints). */
snug_status checkpoint_save(kube_client *kc, const char *ctl_ns, const wlset *set, double now,
                            const kube_owner *owner, ckpt_stats *st, snug_err *err);

/* checkpoint_save with another budget of data bytes per ConfigMap (0: the
 * default CKPT_BUDGET_DEFAULT; at most 900 KiB). For tests. */
snug_status checkpoint_save_budget(kube_client *kc, const char *ctl_ns, const wlset *set,
                                   double now, const kube_owner *owner, size_t budget,
                                   ckpt_stats *st, snug_err *err);

#endif

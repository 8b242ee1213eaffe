/* operator.h -- `snug-controller run`: the operator that keeps one
 * Recommendation per workload current (docs/controller.md).
 *
 * Informers cache SizingPolicies, Namespaces, the workload kinds, Pods
 * (pruned to the fields read here), HorizontalPodAutoscalers,
 * VerticalPodAutoscalers (when that API exists) and Recommendations. Every
 * interval the leader runs a pass:
 *   1. the workload set from the caches: every workload a SizingPolicy in
 *      mode Audit or Initial covers; state of workloads gone is dropped;
 *   2. Prometheus for the time since the last pass (one batch of queries
 *      over every namespace, however many Pods), fed to the containers'
 *      recommender state; OOM kills from Pod status at once;
 *   3. the recommendations, written by server-side apply of the status
 *      subresource only when a value moved beyond the threshold or a
 *      condition changed; Recommendations of workloads no longer covered are
 *      deleted; an Event on each OOM bump.
 * On becoming leader the state is loaded from the checkpoints and only the
 * gap since then is read from Prometheus (the whole window, in day chunks
 * per namespace, when there is none); checkpoints are saved every few
 * minutes and at shutdown. A leader that loses its lease stops writing at
 * once. SIGTERM/SIGINT: the pass ends, a checkpoint is saved, the lease is
 * released.
 */
#ifndef SNUG_CTL_OPERATOR_H
#define SNUG_CTL_OPERATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/usage.h"
#include "prom/prom_client.h"

#define OPERATOR_MAX_NAMESPACES 64
#define OPERATOR_MAX_HEADERS    16

typedef struct operator_opts {
    prom_config prom;
    const char *headers[OPERATOR_MAX_HEADERS];
    usage_metrics metrics;
    const char *kubeconfig, *context; /* NULL, NULL: $KUBECONFIG, in-cluster, ~/.kube/config */
    const char
        *namespaces[OPERATOR_MAX_NAMESPACES + 1]; /* restrict to these (NULL-ended); none: all */
    size_t n_namespaces;
    int interval;      /* seconds between passes */
    bool leader_elect; /* contend for the Lease; false: always lead */
    const char *lease_namespace, *lease_name, *identity;
    const char *checkpoint_namespace;
    int checkpoint_interval;    /* seconds */
    double change_threshold;    /* relative change that makes a write (0.1 = 10 %) */
    const char *metrics_listen; /* "[addr]:port"; NULL: no listener */
    int64_t window;             /* seconds of history; 0: the policies' (default 7d) */
    /* NULL: none. The Deployment in lease_namespace that owns the Lease and
     * the checkpoints (when they are in its namespace), so the garbage
     * collector deletes them with it. Read once at start: the operator
     * does not start when it cannot be read. */
    const char *owner_deployment;
} operator_opts;

/* Defaults: interval 60, leader election on, lease "snug-controller" in
 * $POD_NAMESPACE (else snug-system), identity $POD_NAME (else the host
 * name), checkpoints in the lease namespace every 300 s, threshold 0.1,
 * metrics on :8080. */
void operator_opts_defaults(operator_opts *o);

/* Run until SIGTERM/SIGINT; the exit status (0 after a clean shutdown, 1
 * when it could not start). */
int operator_run(const operator_opts *o);

#endif

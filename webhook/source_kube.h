/* source_kube.h -- fill the store from the API server by list+watch.
 *
 * Five informers: SizingPolicies (cluster-scoped), Recommendations,
 * Namespaces and LimitRanges in every namespace, and Jobs (for the
 * Job -> CronJob mapping; can be turned off). Their events update the store;
 * each kind is marked synced after its first full list, so /readyz turns
 * ready only when the webhook's answers reflect the cluster. When the API
 * server goes away the informers back off and resume (or relist after a
 * 410) on their own; the store keeps serving what it had.
 *
 * An object that does not parse (a SizingPolicy the CRD schema let through
 * but snug refuses, a Recommendation with a bad quantity) is logged with the
 * reason and left out; the previous version of it is removed, so a broken
 * update never keeps an outdated policy in force silently.
 */
#ifndef SNUG_SOURCE_KUBE_H
#define SNUG_SOURCE_KUBE_H

#include <stdbool.h>

#include "kube/kube_client.h"
#include "base/status.h"
#include "webhook/store.h"

typedef struct kube_source kube_source;

typedef struct kube_source_opts {
    bool watch_jobs; /* keep the Job -> CronJob map (default true in serve) */
} kube_source_opts;

/* Create and start the informers (each clones `proto` for its thread). */
snug_status kube_source_start(const kube_client *proto, store *s, const kube_source_opts *o,
                              kube_source **out, snug_err *err);

/* Mark kinds whose informer finished its first list as synced in the store
 * (call periodically, e.g. from the housekeeping loop). */
void kube_source_poll(kube_source *ks);

/* Stop the informers (returns within about a second) and free. */
void kube_source_stop(kube_source *ks);

#endif

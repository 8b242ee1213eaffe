/* kube_lease.h -- leader election on a coordination.k8s.io/v1 Lease.
 *
 * The usual client-go semantics:
 *  - Every retry period each candidate GETs the Lease. When the record
 *    (holderIdentity, leaseDurationSeconds, acquireTime, renewTime,
 *    leaseTransitions) differs from the one it saw last, it notes the local
 *    monotonic time: observedTime. Expiry is judged ONLY from observedTime +
 *    the record's leaseDurationSeconds, never from the timestamps written in
 *    the Lease (other hosts' clocks are not trusted).
 *  - A candidate may take the Lease when nobody holds it, when it holds it
 *    itself (renew), or when the record has not changed for a lease duration.
 *    It writes holderIdentity, leaseDurationSeconds, renewTime (and, on a
 *    takeover, acquireTime and leaseTransitions + 1) with a PUT carrying the
 *    resourceVersion it read; a 409 CONFLICT means another candidate won the
 *    race: it waits for the next round. A missing Lease is created.
 *  - The leader renews every retry period; when it has not renewed for the
 *    renew deadline (or sees another holder) it stops leading. Since
 *    renewDeadline < leaseDuration it stops before anyone else may start.
 *  - On a clean stop the leader releases the Lease (holderIdentity "" and
 *    leaseDurationSeconds 1), so a waiting candidate takes over within a
 *    retry period instead of a lease duration.
 * Times written into the Lease are MicroTime ("2006-01-02T15:04:05.000000Z").
 *
 * The elector runs on its own thread with its own client; callbacks run on
 * that thread and must return quickly (start the real work elsewhere).
 */
#ifndef SNUG_KUBE_LEASE_H
#define SNUG_KUBE_LEASE_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "kube/kube_client.h"
#include "kube/kube_objects.h"
#include "kube/kube_owner.h"
#include "base/status.h"

#define KUBE_LEASE_DURATION_MS 15000
#define KUBE_LEASE_RENEW_MS    10000
#define KUBE_LEASE_RETRY_MS    2000

/* ---- the pure decision ------------------------------------------------------------- */

typedef enum kube_lease_action {
    KUBE_LEASE_CREATE,  /* no Lease object: create it holding it */
    KUBE_LEASE_ACQUIRE, /* free or expired: take over (transitions + 1) */
    KUBE_LEASE_RENEW,   /* ours: renew */
    KUBE_LEASE_WAIT     /* someone else holds a live lease */
} kube_lease_action;

typedef struct kube_lease_view {
    int exists;          /* the Lease object exists */
    const char *holder;  /* holderIdentity; NULL or "" = nobody */
    long duration_s;     /* leaseDurationSeconds; <= 0: unknown */
    int64_t observed_ms; /* monotonic ms when this client saw the record change */
} kube_lease_view;

/* What candidate `me` should do at monotonic time `now_ms`. An unknown
 * duration counts as `default_duration_ms`. */
kube_lease_action kube_lease_decide(const kube_lease_view *v, const char *me,
                                    long default_duration_ms, int64_t now_ms);

const char *kube_lease_action_str(kube_lease_action a);

typedef struct kube_lease_record {
    char *holder; /* NULL when nobody */
    long duration_s;
    char *acquire_time;
    char *renew_time;
    long transitions;
} kube_lease_record;

/* Read the spec of a Lease object into `rec` (strings copied; absent fields
 * NULL/0). SNUG_ERR_NOMEM only. */
snug_status kube_lease_record_from_lease(const cJSON *lease, kube_lease_record *rec);

/* 1 when both records say the same thing. */
int kube_lease_record_equal(const kube_lease_record *a, const kube_lease_record *b);

void kube_lease_record_clear(kube_lease_record *rec);

/* Write `rec` into the spec of `lease` (created when missing), replacing
 * the five fields. MicroTime strings are taken as given. */
snug_status kube_lease_record_to_lease(const kube_lease_record *rec, cJSON *lease);

/* ---- the elector ------------------------------------------------------------------- */

typedef struct kube_lease kube_lease;

typedef struct kube_lease_opts {
    const char *ns;         /* Lease namespace */
    const char *name;       /* Lease name */
    const char *identity;   /* this candidate (pod name); unique */
    long lease_duration_ms; /* 0: 15000 (written as whole seconds, rounded up) */
    long renew_deadline_ms; /* 0: 10000; must be < lease duration */
    long retry_period_ms;   /* 0: 2000; must be < renew deadline */
    void (*on_started_leading)(void *ud);
    void (*on_stopped_leading)(void *ud);
    void (*on_new_leader)(const char *identity, void *ud); /* holder changed (may be "") */
    void *ud;
    /* NULL: none. Else (copied) an owner that every write of the Lease by
     * this elector names in metadata.ownerReferences (added when missing,
     * others kept), so that the garbage collector deletes the Lease with
     * it (kube_owner.h): a Lease this elector creates, takes over or renews
     * is owned, also one deleted and made again while it runs. */
    const kube_owner *owner;
} kube_lease_opts;

/* Make an elector with its own client cloned from `proto`. Strings copied.
 * SNUG_ERR_INVALID when a name is missing, the periods are inconsistent or
 * the owner is namespaced in another namespace than the Lease. */
snug_status kube_lease_new(const kube_client *proto, const kube_lease_opts *opts, kube_lease **out,
                           snug_err *err);

/* Start contending on a new thread. */
snug_status kube_lease_start(kube_lease *l, snug_err *err);

/* Stop: release the Lease when leading (stopped-leading fires), join the
 * thread. Safe to call when not running. */
void kube_lease_stop(kube_lease *l);

/* Stop if running and free. NULL is ignored. */
void kube_lease_free(kube_lease *l);

/* 1 while this candidate leads. */
int kube_lease_is_leader(kube_lease *l);

#endif

/* store.h -- what the webhook knows about the cluster, kept in memory.
 *
 * The admission handler answers from this store only (never from the API
 * server or Prometheus), so an answer is a pure function of its contents.
 * Sources fill it: files (`--policy`, `--recommendations`) or watches of the
 * API server (SizingPolicies, Recommendations, Namespaces, LimitRanges).
 *
 * Concurrency: a reader/writer lock that prefers writers. Request threads
 * hold the read lock for the duration of one mutation (microseconds); source
 * threads take the write lock for one update. Pointers obtained under the
 * read lock are valid until store_read_unlock().
 */
#ifndef SNUG_STORE_H
#define SNUG_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "model/limitrange.h"
#include "model/policy.h"
#include "model/recommendation.h"
#include "base/status.h"

typedef struct store store;

/* Data kinds, also the bits of the "synced" mask. */
#define STORE_POLICIES        0x1u
#define STORE_RECOMMENDATIONS 0x2u
#define STORE_NAMESPACES      0x4u
#define STORE_LIMITRANGES     0x8u

/* A new empty store; `required` is the mask of kinds that must be synced
 * before store_synced() is true (files: policies|recommendations; cluster:
 * all four). NULL on NOMEM. */
store *store_new(unsigned required);
void store_free(store *s);

void store_read_lock(store *s);
void store_read_unlock(store *s);

/* Readers (call under the read lock). */
const policy_set *store_policies(const store *s);
const rec_set *store_recommendations(const store *s);
/* Labels of namespace `ns` (JSON object), or NULL when unknown. */
const cJSON *store_namespace_labels(const store *s, const char *ns);
/* Combined LimitRange bounds for `ns`, or NULL when it has none. */
const limitrange_bounds *store_limits(const store *s, const char *ns);
/* The CronJob owning Job ns/job, if a Job->CronJob mapping is known. */
bool store_job_owner(const char *ns, const char *job, char *cronjob, size_t cap, void *store_ud);

/* Writers (each takes the write lock itself). Ownership of the passed sets
 * and objects moves to the store, also on failure. */
void store_replace_policies(store *s, policy_set *set);
void store_replace_recommendations(store *s, rec_set *set);
snug_status store_put_policy(store *s, policy *p);
snug_status store_delete_policy(store *s, const char *name);
snug_status store_put_recommendation(store *s, recommendation *r);
snug_status store_delete_recommendation(store *s, const char *ns, const char *name);
/* Namespace labels: `labels` is copied. */
snug_status store_put_namespace(store *s, const char *ns, const cJSON *labels);
snug_status store_delete_namespace(store *s, const char *ns);
/* LimitRange objects: `lr` is copied; bounds for its namespace are
 * recomputed. A LimitRange that does not parse is logged and ignored. */
snug_status store_put_limitrange(store *s, const char *ns, const char *name, const cJSON *lr);
snug_status store_delete_limitrange(store *s, const char *ns, const char *name);
/* Job -> CronJob mapping (from a Job watch); cronjob NULL deletes. */
snug_status store_put_job_owner(store *s, const char *ns, const char *job, const char *cronjob);

/* Mark kinds (STORE_* bits) as synced at least once. */
void store_mark_synced(store *s, unsigned kinds);
bool store_synced(const store *s);

/* Sizes for /metrics (taken under the read lock internally). */
typedef struct store_counts {
    size_t policies, recommendations, namespaces, limitranges;
} store_counts;
void store_get_counts(store *s, store_counts *out);

#endif

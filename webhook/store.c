/* store.c -- the webhook's in-memory view of the cluster. */
#include "webhook/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/strmap.h"

/* LimitRanges of one namespace, and their combination. */
typedef struct ns_limits {
    strmap *objects; /* name -> cJSON LimitRange (owned) */
    limitrange_bounds bounds;
} ns_limits;

struct store {
    pthread_rwlock_t lock;
    policy_set *policies;
    rec_set *recs;
    strmap *namespaces; /* ns -> cJSON labels object */
    strmap *limits;     /* ns -> ns_limits */
    strmap *job_owners; /* "ns/job" -> char* cronjob */
    size_t n_limitranges;
    unsigned required;
    unsigned synced;
};

static void free_json(void *v)
{
    cJSON_Delete(v);
}

static void free_ns_limits(void *v)
{
    ns_limits *l = v;

    if (l == NULL)
        return;
    strmap_free(l->objects);
    free(l);
}

store *store_new(unsigned required)
{
    store *s = calloc(1, sizeof(*s));
    pthread_rwlockattr_t attr;

    if (s == NULL)
        return NULL;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&s->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    s->required = required;
    s->policies = policy_set_new();
    s->recs = rec_set_new();
    s->namespaces = strmap_new(free_json);
    s->limits = strmap_new(free_ns_limits);
    s->job_owners = strmap_new(free);
    if (!s->policies || !s->recs || !s->namespaces || !s->limits || !s->job_owners) {
        store_free(s);
        return NULL;
    }
    return s;
}

void store_free(store *s)
{
    if (s == NULL)
        return;
    policy_set_free(s->policies);
    rec_set_free(s->recs);
    strmap_free(s->namespaces);
    strmap_free(s->limits);
    strmap_free(s->job_owners);
    pthread_rwlock_destroy(&s->lock);
    free(s);
}

void store_read_lock(store *s)
{
    pthread_rwlock_rdlock(&s->lock);
}

void store_read_unlock(store *s)
{
    pthread_rwlock_unlock(&s->lock);
}

static void write_lock(store *s)
{
    pthread_rwlock_wrlock(&s->lock);
}

const policy_set *store_policies(const store *s)
{
    return s->policies;
}

const rec_set *store_recommendations(const store *s)
{
    return s->recs;
}

const cJSON *store_namespace_labels(const store *s, const char *ns)
{
    if (ns == NULL)
        return NULL;
    return strmap_get(s->namespaces, ns);
}

const limitrange_bounds *store_limits(const store *s, const char *ns)
{
    ns_limits *l;

    if (ns == NULL)
        return NULL;
    l = strmap_get(s->limits, ns);
    if (l == NULL || strmap_count(l->objects) == 0)
        return NULL;
    return &l->bounds;
}

bool store_job_owner(const char *ns, const char *job, char *cronjob, size_t cap, void *store_ud)
{
    const store *s = store_ud;
    char key[512];
    const char *owner;

    snprintf(key, sizeof(key), "%s/%s", ns ? ns : "", job);
    owner = strmap_get(s->job_owners, key);
    if (owner == NULL)
        return false;
    snprintf(cronjob, cap, "%s", owner);
    return true;
}

void store_replace_policies(store *s, policy_set *set)
{
    policy_set *old;

    if (set == NULL)
        return;
    write_lock(s);
    old = s->policies;
    s->policies = set;
    pthread_rwlock_unlock(&s->lock);
    policy_set_free(old);
}

void store_replace_recommendations(store *s, rec_set *set)
{
    rec_set *old;

    if (set == NULL)
        return;
    write_lock(s);
    old = s->recs;
    s->recs = set;
    pthread_rwlock_unlock(&s->lock);
    rec_set_free(old);
}

snug_status store_put_policy(store *s, policy *p)
{
    snug_status st;

    write_lock(s);
    st = policy_set_add(s->policies, p);
    pthread_rwlock_unlock(&s->lock);
    return st;
}

snug_status store_delete_policy(store *s, const char *name)
{
    snug_status st;

    write_lock(s);
    st = policy_set_remove(s->policies, name);
    pthread_rwlock_unlock(&s->lock);
    return st;
}

snug_status store_put_recommendation(store *s, recommendation *r)
{
    snug_status st;

    write_lock(s);
    st = rec_set_add(s->recs, r);
    pthread_rwlock_unlock(&s->lock);
    return st;
}

snug_status store_delete_recommendation(store *s, const char *ns, const char *name)
{
    snug_status st;

    write_lock(s);
    st = rec_set_remove(s->recs, ns, name);
    pthread_rwlock_unlock(&s->lock);
    return st;
}

snug_status store_put_namespace(store *s, const char *ns, const cJSON *labels)
{
    cJSON *copy = labels ? cJSON_Duplicate(labels, 1) : cJSON_CreateObject();
    snug_status st;

    if (copy == NULL)
        return SNUG_ERR_NOMEM;
    write_lock(s);
    st = strmap_put(s->namespaces, ns, copy);
    pthread_rwlock_unlock(&s->lock);
    if (st != SNUG_OK)
        cJSON_Delete(copy);
    return st;
}

snug_status store_delete_namespace(store *s, const char *ns)
{
    snug_status st;

    write_lock(s);
    st = strmap_delete(s->namespaces, ns);
    pthread_rwlock_unlock(&s->lock);
    return st;
}

/* Fold every LimitRange of a namespace into its bounds (write lock held). */
static void ns_limits_recompute(ns_limits *l, const char *ns)
{
    size_t pos = 0;
    const char *name;
    void *obj;
    snug_err err;

    limitrange_bounds_init(&l->bounds);
    while (strmap_next(l->objects, &pos, &name, &obj)) {
        if (limitrange_add(&l->bounds, obj, &err) != SNUG_OK)
            snug_log(LOG_WARN, "store", "ignoring LimitRange that does not parse", "namespace", ns,
                     "name", name, "error", err.msg, NULL);
    }
}

static ns_limits *ns_limits_get_or_create(store *s, const char *ns)
{
    ns_limits *l = strmap_get(s->limits, ns);

    if (l != NULL)
        return l;
    l = calloc(1, sizeof(*l));
    if (l == NULL)
        return NULL;
    l->objects = strmap_new(free_json);
    if (l->objects == NULL || strmap_put(s->limits, ns, l) != SNUG_OK) {
        free_ns_limits(l);
        return NULL;
    }
    limitrange_bounds_init(&l->bounds);
    return l;
}

snug_status store_put_limitrange(store *s, const char *ns, const char *name, const cJSON *lr)
{
    cJSON *copy = cJSON_Duplicate(lr, 1);
    snug_status st = SNUG_ERR_NOMEM;
    ns_limits *l;

    if (copy == NULL)
        return SNUG_ERR_NOMEM;
    write_lock(s);
    l = ns_limits_get_or_create(s, ns);
    if (l != NULL) {
        size_t before = strmap_count(l->objects);

        st = strmap_put(l->objects, name, copy);
        if (st == SNUG_OK) {
            copy = NULL;
            s->n_limitranges += strmap_count(l->objects) - before;
            ns_limits_recompute(l, ns);
        }
    }
    pthread_rwlock_unlock(&s->lock);
    cJSON_Delete(copy);
    return st;
}

snug_status store_delete_limitrange(store *s, const char *ns, const char *name)
{
    snug_status st = SNUG_ERR_NOT_FOUND;
    ns_limits *l;

    write_lock(s);
    l = strmap_get(s->limits, ns);
    if (l != NULL) {
        st = strmap_delete(l->objects, name);
        if (st == SNUG_OK) {
            s->n_limitranges--;
            ns_limits_recompute(l, ns);
        }
    }
    pthread_rwlock_unlock(&s->lock);
    return st;
}

snug_status store_put_job_owner(store *s, const char *ns, const char *job, const char *cronjob)
{
    char key[512];
    char *value = NULL;
    snug_status st;

    snprintf(key, sizeof(key), "%s/%s", ns ? ns : "", job);
    if (cronjob != NULL) {
        value = strdup(cronjob);
        if (value == NULL)
            return SNUG_ERR_NOMEM;
    }
    write_lock(s);
    if (value != NULL) {
        st = strmap_put(s->job_owners, key, value);
        if (st != SNUG_OK)
            free(value);
    } else {
        st = strmap_delete(s->job_owners, key);
    }
    pthread_rwlock_unlock(&s->lock);
    return st;
}

void store_mark_synced(store *s, unsigned kinds)
{
    __atomic_fetch_or(&s->synced, kinds, __ATOMIC_RELEASE);
}

bool store_synced(const store *s)
{
    unsigned have = __atomic_load_n(&s->synced, __ATOMIC_ACQUIRE);

    return (have & s->required) == s->required;
}

void store_get_counts(store *s, store_counts *out)
{
    store_read_lock(s);
    out->policies = policy_set_count(s->policies);
    out->recommendations = rec_set_count(s->recs);
    out->namespaces = strmap_count(s->namespaces);
    out->limitranges = s->n_limitranges;
    store_read_unlock(s);
}

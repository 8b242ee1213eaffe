/* kube_lease.c -- leader election on a coordination.k8s.io/v1 Lease. */
#include "kube/kube_lease.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kube/kube_api.h"
#include "kube/kube_owner.h"
#include "kube/kube_retry.h"
#include "base/log.h"

static const kube_resource lease_resource = {"coordination.k8s.io", "v1", "leases"};

struct kube_lease {
    kube_client *client; /* used only by the elector's thread */
    char *ns, *name, *identity;
    long duration_ms, renew_ms, retry_ms;
    kube_lease_opts cb; /* callbacks and ud (string fields and owner unused) */
    kube_owner owner;   /* every write names it; empty (kind NULL): none */

    kube_lease_record observed; /* the record as last seen */
    int have_observed;
    int64_t observed_ms; /* when it last changed, monotonic */
    int64_t renewed_ms;  /* last successful acquire/renew, monotonic */
    unsigned seed;

    int leader;  /* atomic */
    int stop;    /* atomic; the client's abort flag too */
    int running; /* touched only by start/stop callers */
    pthread_t thread;
};

/* ---- pure parts -------------------------------------------------------------------- */

static int str_empty(const char *s)
{
    return s == NULL || s[0] == '\0';
}

kube_lease_action kube_lease_decide(const kube_lease_view *v, const char *me,
                                    long default_duration_ms, int64_t now_ms)
{
    int64_t duration_ms;

    if (!v->exists)
        return KUBE_LEASE_CREATE;
    if (str_empty(v->holder))
        return KUBE_LEASE_ACQUIRE;
    if (strcmp(v->holder, me) == 0)
        return KUBE_LEASE_RENEW;
    duration_ms = v->duration_s > 0 ? (int64_t)v->duration_s * 1000 : default_duration_ms;
    if (now_ms >= v->observed_ms + duration_ms)
        return KUBE_LEASE_ACQUIRE;
    return KUBE_LEASE_WAIT;
}

const char *kube_lease_action_str(kube_lease_action a)
{
    switch (a) {
    case KUBE_LEASE_CREATE:
        return "create";
    case KUBE_LEASE_ACQUIRE:
        return "acquire";
    case KUBE_LEASE_RENEW:
        return "renew";
    case KUBE_LEASE_WAIT:
        return "wait";
    }
    return "unknown";
}

void kube_lease_record_clear(kube_lease_record *rec)
{
    free(rec->holder);
    free(rec->acquire_time);
    free(rec->renew_time);
    memset(rec, 0, sizeof(*rec));
}

static snug_status dup_field(const cJSON *spec, const char *key, char **out)
{
    const char *s = kube_json_str(spec, key);

    *out = NULL;
    if (s == NULL || s[0] == '\0')
        return SNUG_OK;
    *out = strdup(s);
    return *out != NULL ? SNUG_OK : SNUG_ERR_NOMEM;
}

static long num_field(const cJSON *spec, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(spec, key);

    return cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
}

snug_status kube_lease_record_from_lease(const cJSON *lease, kube_lease_record *rec)
{
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(lease, "spec");
    snug_status st;

    memset(rec, 0, sizeof(*rec));
    st = dup_field(spec, "holderIdentity", &rec->holder);
    if (st == SNUG_OK)
        st = dup_field(spec, "acquireTime", &rec->acquire_time);
    if (st == SNUG_OK)
        st = dup_field(spec, "renewTime", &rec->renew_time);
    rec->duration_s = num_field(spec, "leaseDurationSeconds");
    rec->transitions = num_field(spec, "leaseTransitions");
    if (st != SNUG_OK)
        kube_lease_record_clear(rec);
    return st;
}

static int opt_str_equal(const char *a, const char *b)
{
    if (str_empty(a) || str_empty(b))
        return str_empty(a) && str_empty(b);
    return strcmp(a, b) == 0;
}

int kube_lease_record_equal(const kube_lease_record *a, const kube_lease_record *b)
{
    return opt_str_equal(a->holder, b->holder) && a->duration_s == b->duration_s &&
           opt_str_equal(a->acquire_time, b->acquire_time) &&
           opt_str_equal(a->renew_time, b->renew_time) && a->transitions == b->transitions;
}

static int set_str(cJSON *obj, const char *key, const char *value)
{
    cJSON *v = cJSON_CreateString(value != NULL ? value : "");

    if (v == NULL)
        return 0;
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    if (!cJSON_AddItemToObject(obj, key, v)) {
        cJSON_Delete(v);
        return 0;
    }
    return 1;
}

static int set_num(cJSON *obj, const char *key, long value)
{
    cJSON *v = cJSON_CreateNumber((double)value);

    if (v == NULL)
        return 0;
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    if (!cJSON_AddItemToObject(obj, key, v)) {
        cJSON_Delete(v);
        return 0;
    }
    return 1;
}

snug_status kube_lease_record_to_lease(const kube_lease_record *rec, cJSON *lease)
{
    cJSON *spec = cJSON_GetObjectItemCaseSensitive(lease, "spec");
    int ok;

    if (!cJSON_IsObject(spec)) {
        cJSON_DeleteItemFromObjectCaseSensitive(lease, "spec");
        spec = cJSON_AddObjectToObject(lease, "spec");
        if (spec == NULL)
            return SNUG_ERR_NOMEM;
    }
    ok = set_str(spec, "holderIdentity", rec->holder) &&
         set_num(spec, "leaseDurationSeconds", rec->duration_s) &&
         set_num(spec, "leaseTransitions", rec->transitions);
    if (ok && rec->acquire_time != NULL)
        ok = set_str(spec, "acquireTime", rec->acquire_time);
    if (ok && rec->renew_time != NULL)
        ok = set_str(spec, "renewTime", rec->renew_time);
    return ok ? SNUG_OK : SNUG_ERR_NOMEM;
}

/* ---- elector ----------------------------------------------------------------------- */

static int lease_stopping(kube_lease *l)
{
    return __atomic_load_n(&l->stop, __ATOMIC_ACQUIRE);
}

static snug_status check_opts(const kube_lease_opts *o, long dur, long renew, long retry,
                              snug_err *err)
{
    if (o == NULL || str_empty(o->ns) || str_empty(o->name) || str_empty(o->identity))
        return snug_err_set(err, SNUG_ERR_INVALID, "lease: namespace, name and identity needed");
    if (renew >= dur)
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "lease %s: renew deadline %ld ms must be below lease duration %ld ms",
                            o->name, renew, dur);
    if (retry >= renew)
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "lease %s: retry period %ld ms must be below renew deadline %ld ms",
                            o->name, retry, renew);
    if (o->owner != NULL && kube_owner_check_fits(o->owner, o->ns, err) != SNUG_OK) {
        snug_err_prefix(err, "lease %s/%s", o->ns, o->name);
        return SNUG_ERR_INVALID;
    }
    return SNUG_OK;
}

snug_status kube_lease_new(const kube_client *proto, const kube_lease_opts *opts, kube_lease **out,
                           snug_err *err)
{
    long dur =
        opts && opts->lease_duration_ms > 0 ? opts->lease_duration_ms : KUBE_LEASE_DURATION_MS;
    long renew =
        opts && opts->renew_deadline_ms > 0 ? opts->renew_deadline_ms : KUBE_LEASE_RENEW_MS;
    long retry = opts && opts->retry_period_ms > 0 ? opts->retry_period_ms : KUBE_LEASE_RETRY_MS;
    kube_lease *l;
    snug_status st;

    *out = NULL;
    st = check_opts(opts, dur, renew, retry, err);
    if (st != SNUG_OK)
        return st;
    l = calloc(1, sizeof(*l));
    if (l == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    l->ns = strdup(opts->ns);
    l->name = strdup(opts->name);
    l->identity = strdup(opts->identity);
    if (l->ns == NULL || l->name == NULL || l->identity == NULL) {
        kube_lease_free(l);
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    }
    st = opts->owner != NULL ? kube_owner_copy(opts->owner, &l->owner, err) : SNUG_OK;
    if (st == SNUG_OK)
        st = kube_client_clone(proto, &l->client, err);
    if (st != SNUG_OK) {
        kube_lease_free(l);
        return st;
    }
    kube_client_set_abort(l->client, &l->stop);
    /* A request must not outlive the renew deadline. */
    kube_client_set_timeout(l->client, renew / 2 > 1000 ? renew / 2 : 1000);
    l->duration_ms = dur;
    l->renew_ms = renew;
    l->retry_ms = retry;
    l->cb = *opts;
    l->seed = (unsigned)kube_mono_us() ^ (unsigned)(uintptr_t)l;
    *out = l;
    return SNUG_OK;
}

static void now_microtime(char *out)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    kube_microtime_format(&ts, out);
}

/* Remember `rec` as observed; restart the expiry clock when it changed. */
static void lease_observe(kube_lease *l, kube_lease_record *rec, int64_t now)
{
    int holder_changed;

    if (l->have_observed && kube_lease_record_equal(&l->observed, rec)) {
        kube_lease_record_clear(rec);
        return;
    }
    holder_changed = !l->have_observed || !opt_str_equal(l->observed.holder, rec->holder);
    kube_lease_record_clear(&l->observed);
    l->observed = *rec;
    memset(rec, 0, sizeof(*rec));
    l->have_observed = 1;
    l->observed_ms = now;
    if (holder_changed && l->cb.on_new_leader != NULL)
        l->cb.on_new_leader(l->observed.holder ? l->observed.holder : "", l->cb.ud);
}

/* The record this candidate writes for `action` over the old one. */
static snug_status lease_new_record(kube_lease *l, kube_lease_action action,
                                    const kube_lease_record *old, kube_lease_record *rec)
{
    char now[KUBE_MICROTIME_LEN];

    now_microtime(now);
    memset(rec, 0, sizeof(*rec));
    rec->holder = strdup(l->identity);
    rec->duration_s = (l->duration_ms + 999) / 1000;
    rec->renew_time = strdup(now);
    if (action == KUBE_LEASE_RENEW && old->acquire_time != NULL) {
        rec->acquire_time = strdup(old->acquire_time);
        rec->transitions = old->transitions;
    } else {
        rec->acquire_time = strdup(now);
        rec->transitions = action == KUBE_LEASE_CREATE ? 0 : old->transitions + 1;
    }
    if (rec->holder == NULL || rec->renew_time == NULL || rec->acquire_time == NULL) {
        kube_lease_record_clear(rec);
        return SNUG_ERR_NOMEM;
    }
    return SNUG_OK;
}

static cJSON *lease_skeleton(const char *ns, const char *name)
{
    cJSON *obj = cJSON_CreateObject();
    cJSON *meta;

    if (obj == NULL)
        return NULL;
    meta = cJSON_AddObjectToObject(obj, "metadata");
    if (cJSON_AddStringToObject(obj, "apiVersion", "coordination.k8s.io/v1") == NULL ||
        cJSON_AddStringToObject(obj, "kind", "Lease") == NULL || meta == NULL ||
        cJSON_AddStringToObject(meta, "name", name) == NULL ||
        cJSON_AddStringToObject(meta, "namespace", ns) == NULL) {
        cJSON_Delete(obj);
        return NULL;
    }
    return obj;
}

/* Name the elector's owner on the Lease about to be written. A Lease whose
 * ownerReferences cannot take it (a wrong type, written by someone else) is
 * still written: leading matters more than being collected. NOMEM only. */
static snug_status lease_own(kube_lease *l, cJSON *obj)
{
    snug_err err;
    snug_status st;

    if (l->owner.kind == NULL)
        return SNUG_OK;
    st = kube_owner_set_on(obj, &l->owner, NULL, &err);
    if (st == SNUG_ERR_NOMEM)
        return st;
    if (st != SNUG_OK)
        snug_log(LOG_WARN, "kube", "lease written without its owner", "lease", l->name, "error",
                 err.msg, NULL);
    return SNUG_OK;
}

/* Write `action`'s record into `lease` (NULL: create a new Lease). On
 * success the written record becomes the observed one. */
static snug_status lease_write(kube_lease *l, kube_lease_action action, cJSON *lease,
                               const kube_lease_record *old, snug_err *err)
{
    kube_lease_record rec;
    cJSON *obj = lease != NULL ? lease : lease_skeleton(l->ns, l->name);
    snug_status st = obj != NULL ? lease_new_record(l, action, old, &rec) : SNUG_ERR_NOMEM;

    if (st == SNUG_OK) {
        st = kube_lease_record_to_lease(&rec, obj);
        if (st == SNUG_OK)
            st = lease_own(l, obj);
        if (st != SNUG_OK)
            kube_lease_record_clear(&rec);
    }
    if (st != SNUG_OK) {
        if (lease == NULL)
            cJSON_Delete(obj);
        return snug_err_set(err, st, "lease %s/%s: out of memory", l->ns, l->name);
    }
    if (action == KUBE_LEASE_CREATE)
        st = kube_create(l->client, &lease_resource, l->ns, obj, NULL, NULL, err);
    else
        st = kube_update(l->client, &lease_resource, l->ns, l->name, obj, NULL, NULL, err);
    if (st == SNUG_OK)
        lease_observe(l, &rec, kube_mono_ms());
    kube_lease_record_clear(&rec);
    if (lease == NULL)
        cJSON_Delete(obj);
    return st;
}

/* One attempt to acquire or renew. SNUG_OK: this candidate holds the Lease
 * now. SNUG_ERR_CONFLICT: someone else does (or won the race). */
static snug_status lease_try(kube_lease *l, snug_err *err)
{
    cJSON *lease = NULL;
    kube_lease_record rec;
    kube_lease_view view;
    kube_lease_action action;
    int64_t now;
    snug_status st = kube_get(l->client, &lease_resource, l->ns, l->name, &lease, err);

    memset(&rec, 0, sizeof(rec));
    if (st == SNUG_ERR_NOT_FOUND)
        return lease_write(l, KUBE_LEASE_CREATE, NULL, &rec, err);
    if (st != SNUG_OK)
        return st;
    now = kube_mono_ms();
    st = kube_lease_record_from_lease(lease, &rec);
    if (st == SNUG_OK)
        lease_observe(l, &rec, now);
    if (st != SNUG_OK) {
        st = snug_err_set(err, st, "lease %s/%s: out of memory", l->ns, l->name);
        goto out;
    }
    view.exists = 1;
    view.holder = l->observed.holder;
    view.duration_s = l->observed.duration_s;
    view.observed_ms = l->observed_ms;
    action = kube_lease_decide(&view, l->identity, l->duration_ms, now);
    if (action == KUBE_LEASE_WAIT) {
        st = snug_err_set(err, SNUG_ERR_CONFLICT, "lease %s/%s: held by %s", l->ns, l->name,
                          l->observed.holder);
        goto out;
    }
    st = lease_write(l, action, lease, &l->observed, err);
out:
    cJSON_Delete(lease);
    return st;
}

static void lease_set_leader(kube_lease *l, int leading)
{
    __atomic_store_n(&l->leader, leading, __ATOMIC_RELEASE);
    snug_log(LOG_INFO, "kube", leading ? "started leading" : "stopped leading", "lease", l->name,
             "identity", l->identity, NULL);
    if (leading && l->cb.on_started_leading != NULL)
        l->cb.on_started_leading(l->cb.ud);
    if (!leading && l->cb.on_stopped_leading != NULL)
        l->cb.on_stopped_leading(l->cb.ud);
}

static int lease_held_by(const cJSON *lease, const char *identity)
{
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(lease, "spec");

    return opt_str_equal(kube_json_str(spec, "holderIdentity"), identity);
}

/* Give the Lease up so a waiting candidate need not wait for expiry. */
static void lease_release(kube_lease *l)
{
    kube_lease_record rec;
    cJSON *lease = NULL;
    char now[KUBE_MICROTIME_LEN];
    snug_err err;
    snug_status st;

    kube_client_set_abort(l->client, NULL); /* the stop flag is set */
    kube_client_set_timeout(l->client, 2000);
    snug_err_clear(&err);
    st = kube_get(l->client, &lease_resource, l->ns, l->name, &lease, &err);
    if (st == SNUG_OK && !lease_held_by(lease, l->identity)) {
        cJSON_Delete(lease);
        return; /* not ours any more */
    }
    if (st == SNUG_OK)
        st = kube_lease_record_from_lease(lease, &rec);
    if (st == SNUG_OK) {
        now_microtime(now);
        free(rec.holder);
        rec.holder = NULL;
        rec.duration_s = 1;
        free(rec.renew_time);
        rec.renew_time = strdup(now);
        st = kube_lease_record_to_lease(&rec, lease);
        kube_lease_record_clear(&rec);
    }
    if (st == SNUG_OK)
        st = kube_update(l->client, &lease_resource, l->ns, l->name, lease, NULL, NULL, &err);
    if (st != SNUG_OK)
        snug_log(LOG_WARN, "kube", "could not release the lease", "lease", l->name, "error",
                 err.msg, NULL);
    else
        snug_log(LOG_INFO, "kube", "released the lease", "lease", l->name, NULL);
    cJSON_Delete(lease);
}

/* After a failed round: does the leader have to step down? */
static int leader_lost(kube_lease *l, int64_t now)
{
    if (l->have_observed && !str_empty(l->observed.holder) &&
        strcmp(l->observed.holder, l->identity) != 0)
        return 1;
    return now - l->renewed_ms >= l->renew_ms;
}

static void lease_round(kube_lease *l)
{
    int leading = __atomic_load_n(&l->leader, __ATOMIC_ACQUIRE);
    snug_err err;
    snug_status st;
    int64_t now;

    snug_err_clear(&err);
    st = lease_try(l, &err);
    if (lease_stopping(l))
        return;
    now = kube_mono_ms();
    if (st == SNUG_OK) {
        l->renewed_ms = now;
        if (!leading)
            lease_set_leader(l, 1);
        return;
    }
    if (st != SNUG_ERR_CONFLICT)
        snug_log(LOG_WARN, "kube", "lease attempt failed", "lease", l->name, "error", err.msg,
                 NULL);
    if (leading && leader_lost(l, now))
        lease_set_leader(l, 0);
}

static void *lease_main(void *arg)
{
    kube_lease *l = arg;

    snug_log(LOG_INFO, "kube", "leader election started", "lease", l->name, "identity", l->identity,
             NULL);
    while (!lease_stopping(l)) {
        long wait = l->retry_ms;

        lease_round(l);
        if (!__atomic_load_n(&l->leader, __ATOMIC_ACQUIRE)) /* jitter x [1, 1.2) */
            wait += (long)((double)l->retry_ms * 0.2 * rand_r(&l->seed) / ((double)RAND_MAX + 1));
        kube_sleep_ms(wait, &l->stop);
    }
    if (__atomic_load_n(&l->leader, __ATOMIC_ACQUIRE)) {
        lease_release(l);
        lease_set_leader(l, 0);
    }
    return NULL;
}

snug_status kube_lease_start(kube_lease *l, snug_err *err)
{
    int rc;

    if (l->running)
        return snug_err_set(err, SNUG_ERR_INVALID, "lease %s: already running", l->name);
    __atomic_store_n(&l->stop, 0, __ATOMIC_RELEASE);
    kube_client_set_abort(l->client, &l->stop);
    kube_client_set_timeout(l->client, l->renew_ms / 2 > 1000 ? l->renew_ms / 2 : 1000);
    rc = pthread_create(&l->thread, NULL, lease_main, l);
    if (rc != 0)
        return snug_err_set(err, SNUG_ERR_INTERNAL, "lease %s: pthread_create: %s", l->name,
                            strerror(rc));
    l->running = 1;
    return SNUG_OK;
}

void kube_lease_stop(kube_lease *l)
{
    if (l == NULL || !l->running)
        return;
    __atomic_store_n(&l->stop, 1, __ATOMIC_RELEASE);
    pthread_join(l->thread, NULL);
    l->running = 0;
}

void kube_lease_free(kube_lease *l)
{
    if (l == NULL)
        return;
    kube_lease_stop(l);
    kube_client_free(l->client);
    kube_lease_record_clear(&l->observed);
    free(l->ns);
    free(l->name);
    free(l->identity);
    kube_owner_clear(&l->owner);
    free(l);
}

int kube_lease_is_leader(kube_lease *l)
{
    return __atomic_load_n(&l->leader, __ATOMIC_ACQUIRE);
}

/* kube_informer.c -- list+watch loop feeding a kube_store. */
#include "kube/kube_informer.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube_retry.h"
#include "base/log.h"

#define INF_BACKOFF_MIN_MS 200
#define INF_BACKOFF_MAX_MS 30000

struct kube_informer {
    kube_client *client; /* used only by the informer's thread */
    char *group, *version, *resource, *ns, *label_selector, *field_selector;
    kube_resource res; /* points at the strings above */
    long page_size, watch_timeout_s;
    kube_store *store;
    void (*transform)(cJSON *obj, void *ud);
    void *transform_ud;
    kube_backoff backoff;
    unsigned seed;

    pthread_mutex_t rv_lock; /* guards rv */
    char *rv;

    int synced;  /* atomic */
    int stop;    /* atomic; also the client's abort flag */
    int running; /* touched only by start/stop callers */
    pthread_t thread;
    kube_informer_stats stats; /* atomic counters */
};

static void stat_inc(unsigned long *counter)
{
    __atomic_add_fetch(counter, 1, __ATOMIC_RELAXED);
}

static int stopping(kube_informer *inf)
{
    return __atomic_load_n(&inf->stop, __ATOMIC_ACQUIRE);
}

static snug_status copy_opt(const char *s, char **out)
{
    *out = NULL;
    if (s == NULL)
        return SNUG_OK;
    *out = strdup(s);
    return *out != NULL ? SNUG_OK : SNUG_ERR_NOMEM;
}

static snug_status copy_strings(kube_informer *inf, const kube_informer_opts *o)
{
    snug_status st = copy_opt(o->resource.group, &inf->group);

    if (st == SNUG_OK)
        st = copy_opt(o->resource.version, &inf->version);
    if (st == SNUG_OK)
        st = copy_opt(o->resource.resource, &inf->resource);
    if (st == SNUG_OK)
        st = copy_opt(o->ns, &inf->ns);
    if (st == SNUG_OK)
        st = copy_opt(o->label_selector, &inf->label_selector);
    if (st == SNUG_OK)
        st = copy_opt(o->field_selector, &inf->field_selector);
    inf->res.group = inf->group;
    inf->res.version = inf->version;
    inf->res.resource = inf->resource;
    return st;
}

snug_status kube_informer_new(const kube_client *proto, const kube_informer_opts *opts,
                              kube_informer **out, snug_err *err)
{
    kube_informer *inf;
    snug_status st;

    *out = NULL;
    if (opts == NULL || opts->resource.version == NULL || opts->resource.resource == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "informer: resource version and name needed");
    inf = calloc(1, sizeof(*inf));
    if (inf == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&inf->rv_lock, NULL);
    st = copy_strings(inf, opts);
    if (st != SNUG_OK) {
        snug_err_set(err, st, "informer: out of memory");
        goto fail;
    }
    st = kube_store_new(&opts->handlers, &inf->store, err);
    if (st == SNUG_OK)
        st = kube_client_clone(proto, &inf->client, err);
    if (st != SNUG_OK)
        goto fail;
    kube_client_set_abort(inf->client, &inf->stop);
    inf->page_size = opts->page_size;
    inf->transform = opts->transform;
    inf->transform_ud = opts->transform_ud;
    inf->watch_timeout_s =
        opts->watch_timeout_s > 0 ? opts->watch_timeout_s : KUBE_DEFAULT_WATCH_TIMEOUT_S;
    kube_backoff_init(&inf->backoff,
                      opts->backoff_min_ms > 0 ? opts->backoff_min_ms : INF_BACKOFF_MIN_MS,
                      opts->backoff_max_ms > 0 ? opts->backoff_max_ms : INF_BACKOFF_MAX_MS, 0);
    inf->seed = (unsigned)kube_mono_us() ^ (unsigned)(uintptr_t)inf;
    *out = inf;
    return SNUG_OK;
fail:
    kube_informer_free(inf);
    return st;
}

/* ---- resourceVersion --------------------------------------------------------------- */

static void set_rv(kube_informer *inf, const char *rv)
{
    char *copy;

    if (rv == NULL || rv[0] == '\0')
        return;
    copy = strdup(rv);
    if (copy == NULL)
        return; /* keep the older one: a resume from it only replays events */
    pthread_mutex_lock(&inf->rv_lock);
    free(inf->rv);
    inf->rv = copy;
    pthread_mutex_unlock(&inf->rv_lock);
}

char *kube_informer_resource_version(kube_informer *inf)
{
    char *copy = NULL;

    pthread_mutex_lock(&inf->rv_lock);
    if (inf->rv != NULL)
        copy = strdup(inf->rv);
    pthread_mutex_unlock(&inf->rv_lock);
    return copy;
}

/* ---- list -------------------------------------------------------------------------- */

/* Append the items of one list page to `all` (moved, pruned by the
 * transform first, so only one page is ever held whole). */
static void take_items(kube_informer *inf, cJSON *page, cJSON *all)
{
    cJSON *items = cJSON_GetObjectItemCaseSensitive(page, "items"), *item;

    while (items != NULL && items->child != NULL) {
        item = cJSON_DetachItemViaPointer(items, items->child);
        if (inf->transform != NULL)
            inf->transform(item, inf->transform_ud);
        cJSON_AddItemToArray(all, item);
    }
}

/* Every page of the list into `all`; *rv the version of the snapshot
 * (caller frees). SNUG_ERR_GONE when a continue token expired. */
static snug_status list_pages(kube_informer *inf, cJSON *all, char **rv, snug_err *err)
{
    kube_list_opts lo;
    cJSON *page = NULL;
    char *token = NULL;
    const char *next;
    snug_status st;

    memset(&lo, 0, sizeof(lo));
    lo.label_selector = inf->label_selector;
    lo.field_selector = inf->field_selector;
    lo.limit = inf->page_size;
    *rv = NULL;
    for (;;) {
        st = kube_list_page(inf->client, &inf->res, inf->ns, &lo, token, &page, err);
        free(token);
        token = NULL;
        if (st != SNUG_OK)
            break;
        free(*rv);
        *rv = kube_obj_resource_version(page) ? strdup(kube_obj_resource_version(page)) : NULL;
        take_items(inf, page, all);
        next = kube_json_str(cJSON_GetObjectItemCaseSensitive(page, "metadata"), "continue");
        token = next != NULL && next[0] != '\0' ? strdup(next) : NULL;
        cJSON_Delete(page);
        page = NULL;
        if (token == NULL)
            break;
    }
    if (st != SNUG_OK) {
        free(*rv);
        *rv = NULL;
    }
    return st;
}

static snug_status informer_list(kube_informer *inf, snug_err *err)
{
    cJSON *all = cJSON_CreateArray();
    char *rv = NULL;
    char count[32];
    snug_status st;

    if (all == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "informer: out of memory");
    st = list_pages(inf, all, &rv, err);
    if (st == SNUG_OK)
        st = kube_store_replace(inf->store, all, err);
    cJSON_Delete(all);
    if (st == SNUG_OK) {
        set_rv(inf, rv);
        stat_inc(&inf->stats.lists);
        __atomic_store_n(&inf->synced, 1, __ATOMIC_RELEASE);
        snprintf(count, sizeof(count), "%zu", kube_store_size(inf->store));
        snug_log(LOG_INFO, "kube", "informer listed", "resource", inf->resource, "objects", count,
                 "resourceVersion", rv, NULL);
    }
    free(rv);
    return st;
}

/* ---- watch ------------------------------------------------------------------------- */

static int informer_event(kube_watch_type type, cJSON **object, void *ud)
{
    kube_informer *inf = ud;
    cJSON *obj = *object;
    snug_err err;

    stat_inc(&inf->stats.events);
    set_rv(inf, kube_obj_resource_version(obj));
    if (type == KUBE_WATCH_BOOKMARK)
        return stopping(inf);
    *object = NULL; /* the store takes it */
    snug_err_clear(&err);
    if (type == KUBE_WATCH_DELETED) {
        if (kube_store_remove(inf->store, obj, &err) != SNUG_OK)
            snug_log(LOG_WARN, "kube", "informer: bad DELETED event", "error", err.msg, NULL);
    } else {
        if (inf->transform != NULL)
            inf->transform(obj, inf->transform_ud);
        if (kube_store_upsert(inf->store, obj, &err) == SNUG_OK)
            return stopping(inf);
        snug_log(LOG_WARN, "kube", "informer: bad watch event", "error", err.msg, NULL);
    }
    return stopping(inf);
}

static snug_status informer_watch(kube_informer *inf, unsigned long *events, snug_err *err)
{
    kube_watch_opts wo;
    char *rv = kube_informer_resource_version(inf);
    unsigned long before = inf->stats.events;
    snug_status st;

    memset(&wo, 0, sizeof(wo));
    wo.label_selector = inf->label_selector;
    wo.field_selector = inf->field_selector;
    wo.resource_version = rv;
    wo.timeout_seconds = inf->watch_timeout_s + rand_r(&inf->seed) % inf->watch_timeout_s;
    stat_inc(&inf->stats.watches);
    snug_log(LOG_DEBUG, "kube", "informer watching", "resource", inf->resource, "resourceVersion",
             rv, NULL);
    st = kube_watch(inf->client, &inf->res, inf->ns, &wo, informer_event, inf, err);
    *events = __atomic_load_n(&inf->stats.events, __ATOMIC_RELAXED) - before;
    free(rv);
    return st;
}

/* ---- thread ------------------------------------------------------------------------ */

static void informer_backoff(kube_informer *inf, const char *what, const snug_err *err)
{
    long ms = kube_backoff_next(&inf->backoff);
    char delay[32];

    stat_inc(&inf->stats.errors);
    snprintf(delay, sizeof(delay), "%ld", ms);
    snug_log(LOG_WARN, "kube", what, "resource", inf->resource, "error", err->msg, "retry_ms",
             delay, NULL);
    kube_sleep_ms(ms, &inf->stop);
}

/* One round: list if needed, then one watch. Returns 1 when a relist is
 * needed next. */
static int informer_round(kube_informer *inf, int need_list)
{
    unsigned long events = 0;
    snug_err err;
    snug_status st;

    snug_err_clear(&err);
    if (need_list) {
        st = informer_list(inf, &err);
        if (st != SNUG_OK) {
            if (!stopping(inf))
                informer_backoff(inf, "informer list failed", &err);
            return 1;
        }
        kube_backoff_reset(&inf->backoff);
    }
    st = informer_watch(inf, &events, &err);
    if (stopping(inf))
        return 0;
    if (events > 0 || st == SNUG_OK)
        kube_backoff_reset(&inf->backoff);
    if (st == SNUG_ERR_GONE) {
        stat_inc(&inf->stats.gone);
        snug_log(LOG_INFO, "kube", "informer watch expired (410); relisting", "resource",
                 inf->resource, "error", err.msg, NULL);
        if (events == 0 && need_list) /* gone right after a list: do not spin */
            kube_sleep_ms(kube_backoff_next(&inf->backoff), &inf->stop);
        return 1;
    }
    if (st != SNUG_OK)
        informer_backoff(inf, "informer watch failed", &err);
    return 0;
}

static void *informer_main(void *arg)
{
    kube_informer *inf = arg;
    int need_list = 1;

    snug_log(LOG_INFO, "kube", "informer started", "resource", inf->resource, "namespace", inf->ns,
             NULL);
    while (!stopping(inf))
        need_list = informer_round(inf, need_list);
    snug_log(LOG_INFO, "kube", "informer stopped", "resource", inf->resource, NULL);
    return NULL;
}

snug_status kube_informer_start(kube_informer *inf, snug_err *err)
{
    int rc;

    if (inf->running)
        return snug_err_set(err, SNUG_ERR_INVALID, "informer %s: already running", inf->resource);
    __atomic_store_n(&inf->stop, 0, __ATOMIC_RELEASE);
    rc = pthread_create(&inf->thread, NULL, informer_main, inf);
    if (rc != 0)
        return snug_err_set(err, SNUG_ERR_INTERNAL, "informer %s: pthread_create: %s",
                            inf->resource, strerror(rc));
    inf->running = 1;
    return SNUG_OK;
}

void kube_informer_request_stop(kube_informer *inf)
{
    if (inf != NULL)
        __atomic_store_n(&inf->stop, 1, __ATOMIC_RELEASE);
}

void kube_informer_stop(kube_informer *inf)
{
    if (inf == NULL || !inf->running)
        return;
    __atomic_store_n(&inf->stop, 1, __ATOMIC_RELEASE);
    pthread_join(inf->thread, NULL);
    inf->running = 0;
}

void kube_informer_free(kube_informer *inf)
{
    if (inf == NULL)
        return;
    kube_informer_stop(inf);
    kube_client_free(inf->client);
    kube_store_free(inf->store);
    free(inf->group);
    free(inf->version);
    free(inf->resource);
    free(inf->ns);
    free(inf->label_selector);
    free(inf->field_selector);
    free(inf->rv);
    pthread_mutex_destroy(&inf->rv_lock);
    free(inf);
}

/* ---- readers ----------------------------------------------------------------------- */

int kube_informer_synced(kube_informer *inf)
{
    return __atomic_load_n(&inf->synced, __ATOMIC_ACQUIRE);
}

int kube_informer_wait_synced(kube_informer *inf, long timeout_ms)
{
    int64_t end = kube_mono_ms() + timeout_ms;

    while (!kube_informer_synced(inf) && kube_mono_ms() < end)
        kube_sleep_ms(20, NULL);
    return kube_informer_synced(inf);
}

cJSON *kube_informer_get(kube_informer *inf, const char *ns, const char *name)
{
    return kube_store_get(inf->store, ns, name);
}

cJSON *kube_informer_list(kube_informer *inf)
{
    return kube_store_list(inf->store);
}

void kube_informer_foreach(kube_informer *inf, kube_store_visit_fn fn, void *ud)
{
    kube_store_foreach(inf->store, fn, ud);
}

size_t kube_informer_size(kube_informer *inf)
{
    return kube_store_size(inf->store);
}

void kube_informer_get_stats(kube_informer *inf, kube_informer_stats *out)
{
    out->lists = __atomic_load_n(&inf->stats.lists, __ATOMIC_RELAXED);
    out->watches = __atomic_load_n(&inf->stats.watches, __ATOMIC_RELAXED);
    out->events = __atomic_load_n(&inf->stats.events, __ATOMIC_RELAXED);
    out->gone = __atomic_load_n(&inf->stats.gone, __ATOMIC_RELAXED);
    out->errors = __atomic_load_n(&inf->stats.errors, __ATOMIC_RELAXED);
}

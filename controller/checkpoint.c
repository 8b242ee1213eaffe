/* checkpoint.c -- load and save the recommender state in ConfigMaps of the
 * controller's namespace (see checkpoint.h; the format is in
 * checkpoint_codec.c). */
#include "controller/checkpoint.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/strmap.h"
#include "controller/checkpoint_codec.h"
#include "kube/kube_api.h"
#include "kube/kube_objects.h"

#define CKPT_LIST_PAGE  8 /* ConfigMaps per list page: at most ~6 MiB of JSON */
#define CKPT_BUDGET_MAX (900u * 1024u)
#define CKPT_STATE_MAX  (REC_CHECKPOINT_MAX * 2)
#define ID_MAX          (WORKLOAD_KIND_MAX + 3 * WORKLOAD_NAME_MAX + 4)

static const kube_resource cm_res = {"", "v1", "configmaps"};

/* ---- load ------------------------------------------------------------------------------ */

typedef struct load_ctx {
    wlset *set;
    strmap *seen; /* "ns\x1fkind\x1fname\x1fcontainer" -> double saved (owned) */
    const char *cm_name;
    const char *ns;
    ckpt_stats *st;
    double oldest;
    bool loaded_any;  /* from the ConfigMap being read */
    double cm_oldest; /* its oldest entry loaded */
} load_ctx;

static void warn_entry(const load_ctx *lc, const char *key, const char *msg, const char *why)
{
    snug_log(LOG_WARN, "checkpoint", msg, "configmap", lc->cm_name, "key", key, "error", why, NULL);
    lc->st->entries_skipped++;
}

/* Whether an entry saved at `saved` for `id` is newer than one already
 * loaded; records it when so. NOMEM fails. */
static snug_status newer(load_ctx *lc, const char *id, double saved, bool *is_newer, snug_err *err)
{
    double *prev = strmap_get(lc->seen, id);
    double *t;

    *is_newer = prev == NULL || saved > *prev;
    if (!*is_newer)
        return SNUG_OK;
    t = malloc(sizeof(*t));
    if (t == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "checkpoint: out of memory");
    *t = saved;
    if (strmap_put(lc->seen, id, t) != SNUG_OK) {
        free(t);
        return snug_err_set(err, SNUG_ERR_NOMEM, "checkpoint: out of memory");
    }
    return SNUG_OK;
}

/* Put a loaded state into the set (taking it). Only NOMEM is an error. */
static snug_status place(load_ctx *lc, const char *key, const ckpt_entry *e, rec_state **rs,
                         snug_err *err)
{
    workload *w = NULL;
    wl_container *c;
    snug_err werr;
    snug_status st = wlset_add(lc->set, lc->ns, e->kind, e->name, &w, &werr);

    if (st == SNUG_ERR_NOMEM)
        return snug_err_set(err, st, "%s", werr.msg);
    if (st != SNUG_OK) {
        warn_entry(lc, key, "checkpoint entry skipped: no room for its workload", werr.msg);
        return SNUG_OK;
    }
    c = workload_container(w, e->container, false);
    if (c == NULL && w->n_cs >= WL_MAX_CONTAINERS) {
        warn_entry(lc, key, "checkpoint entry skipped: too many containers", e->container);
        return SNUG_OK;
    }
    if (c == NULL)
        c = workload_container(w, e->container, true);
    if (c == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "checkpoint: out of memory");
    rec_state_free(c->state);
    c->state = *rs;
    *rs = NULL;
    return SNUG_OK;
}

static snug_status load_entry(load_ctx *lc, const char *key, const char *value, snug_err *err)
{
    ckpt_entry e = {0};
    rec_state *rs = NULL;
    char id[ID_MAX];
    bool is_newer = false, again;
    snug_err derr;
    snug_status st = ckpt_value_decode(key, value, strlen(value), &e, &derr);

    if (st == SNUG_ERR_NOMEM)
        goto fatal;
    if (st == SNUG_OK)
        st = rec_state_load(e.state, e.state_len, &rs, &derr);
    if (st == SNUG_ERR_NOMEM)
        goto fatal;
    if (st != SNUG_OK) {
        warn_entry(lc, key, "checkpoint entry skipped: it does not decode", derr.msg);
        st = SNUG_OK;
        goto out;
    }
    snprintf(id, sizeof(id), "%s\x1f%s\x1f%s\x1f%s", lc->ns, e.kind, e.name, e.container);
    again = strmap_get(lc->seen, id) != NULL;
    st = newer(lc, id, e.saved, &is_newer, err);
    if (st == SNUG_OK && is_newer)
        st = place(lc, key, &e, &rs, err);
    if (st == SNUG_OK && is_newer) {
        lc->st->entries += again ? 0 : 1;
        lc->st->bytes += strlen(key) + strlen(value);
        lc->loaded_any = true;
        if (lc->cm_oldest == 0 || e.saved < lc->cm_oldest)
            lc->cm_oldest = e.saved;
    }
    goto out;
fatal:
    st = snug_err_set(err, st, "%s", derr.msg);
out:
    rec_state_free(rs);
    ckpt_entry_clear(&e);
    return st;
}

/* The ConfigMap's checkpoint time; 0 (with a warning) when missing or bad. */
static double configmap_time(const load_ctx *lc, const cJSON *ann)
{
    const char *v = kube_json_str(ann, CKPT_ANN_TIME);
    struct timespec ts;

    if (v != NULL && kube_microtime_parse(v, &ts, NULL) == SNUG_OK && ts.tv_sec > 0)
        return (double)ts.tv_sec;
    snug_log(LOG_WARN, "checkpoint",
             "checkpoint ConfigMap has no valid checkpoint-time; using its entries' times",
             "configmap", lc->cm_name, "value", v, NULL);
    return 0;
}

static snug_status load_configmap(load_ctx *lc, const cJSON *cm, snug_err *err)
{
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(cm, "metadata");
    const cJSON *ann = cJSON_GetObjectItemCaseSensitive(md, "annotations");
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(cm, "data");
    const char *version = kube_json_str(ann, CKPT_ANN_VERSION);
    const cJSON *it;
    double t;

    lc->cm_name = kube_obj_name(cm) ? kube_obj_name(cm) : "";
    lc->ns = kube_json_str(cJSON_GetObjectItemCaseSensitive(md, "labels"), CKPT_LABEL_NAMESPACE);
    lc->loaded_any = false;
    lc->cm_oldest = 0;
    lc->st->configmaps_read++;
    if (!ckpt_ns_valid(lc->ns) || version == NULL || strcmp(version, CKPT_FORMAT_VERSION) != 0) {
        snug_log(LOG_WARN, "checkpoint",
                 "checkpoint ConfigMap skipped: bad namespace label or another format version",
                 "configmap", lc->cm_name, "namespace", lc->ns, "version", version, NULL);
        lc->st->entries_skipped += (size_t)cJSON_GetArraySize(data);
        return SNUG_OK;
    }
    t = configmap_time(lc, ann);
    cJSON_ArrayForEach(it, data)
    {
        snug_status st;

        if (!cJSON_IsString(it)) {
            warn_entry(lc, it->string, "checkpoint entry skipped: not a string", "");
            continue;
        }
        st = load_entry(lc, it->string, it->valuestring, err);
        if (st != SNUG_OK)
            return st;
    }
    if (!lc->loaded_any)
        return SNUG_OK;
    if (t == 0) /* the oldest entry stands in for a missing time */
        t = lc->cm_oldest;
    if (lc->oldest == 0 || t < lc->oldest)
        lc->oldest = t;
    return SNUG_OK;
}

/* Call fn for each checkpoint ConfigMap of ctl_ns, reading them a page at a
 * time (memory stays bounded however many there are). An expired continue
 * token starts the list again once (fn must take a repeat). Stops at fn's
 * first failure. */
typedef snug_status (*cm_fn)(const cJSON *cm, void *ud, snug_err *err);

static snug_status each_checkpoint(kube_client *kc, const char *ctl_ns, cm_fn fn, void *ud,
                                   snug_err *err)
{
    kube_list_opts lo = {.label_selector = CKPT_SELECTOR, .limit = CKPT_LIST_PAGE};
    char *cont = NULL;
    cJSON *page = NULL;
    const cJSON *it;
    const char *next;
    int restarts = 0;
    snug_status st;

    for (;;) {
        st = kube_list_page(kc, &cm_res, ctl_ns, &lo, cont, &page, err);
        if (st == SNUG_ERR_GONE && cont != NULL && restarts++ == 0) {
            free(cont);
            cont = NULL;
            continue;
        }
        if (st != SNUG_OK)
            break;
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(page, "items"))
        {
            st = fn(it, ud, err);
            if (st != SNUG_OK)
                goto out;
        }
        next = kube_json_str(cJSON_GetObjectItemCaseSensitive(page, "metadata"), "continue");
        free(cont);
        cont = next != NULL && next[0] != '\0' ? strdup(next) : NULL;
        if (next != NULL && next[0] != '\0' && cont == NULL) {
            st = snug_err_set(err, SNUG_ERR_NOMEM, "checkpoint: out of memory");
            goto out;
        }
        cJSON_Delete(page);
        page = NULL;
        if (cont == NULL)
            break;
    }
out:
    cJSON_Delete(page);
    free(cont);
    return st;
}

static snug_status load_one(const cJSON *cm, void *ud, snug_err *err)
{
    return load_configmap(ud, cm, err);
}

static void log_loaded(const char *ctl_ns, const ckpt_stats *st)
{
    char c[32], n[32], k[32], b[32];

    snprintf(c, sizeof(c), "%zu", st->configmaps_read);
    snprintf(n, sizeof(n), "%zu", st->entries);
    snprintf(k, sizeof(k), "%zu", st->entries_skipped);
    snprintf(b, sizeof(b), "%zu", st->bytes);
    snug_log(LOG_INFO, "checkpoint", "checkpoints loaded", "namespace", ctl_ns, "configmaps", c,
             "entries", n, "skipped", k, "bytes", b, NULL);
}

snug_status checkpoint_load(kube_client *kc, const char *ctl_ns, wlset *set, double *saved_at,
                            ckpt_stats *st, snug_err *err)
{
    ckpt_stats dummy;
    load_ctx lc = {.set = set, .st = st != NULL ? st : &dummy};
    snug_status rc;

    memset(lc.st, 0, sizeof(*lc.st));
    *saved_at = 0;
    lc.seen = strmap_new(free);
    if (lc.seen == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "checkpoint: out of memory");
    rc = each_checkpoint(kc, ctl_ns, load_one, &lc, err);
    if (rc != SNUG_OK)
        snug_err_prefix(err, "loading checkpoints from namespace %s", ctl_ns);
    else
        log_loaded(ctl_ns, lc.st);
    *saved_at = lc.oldest;
    strmap_free(lc.seen);
    return rc;
}

/* ---- save ------------------------------------------------------------------------------ */

typedef struct save_ref {
    const workload *w;
    const wl_container *c;
    bool hashed;
    char key[CKPT_KEY_MAX + 1];
} save_ref;

typedef struct save_ctx {
    kube_client *kc;
    const char *ctl_ns;
    double now;
    size_t budget;
    ckpt_stats *st;
    const kube_owner *owner; /* NULL: none */
    strmap *written;         /* ConfigMap names applied (values unused) */
    strmap *failed_ns;       /* namespaces whose apply failed: keep their ConfigMaps */
    snug_status first;
    snug_err *err;
} save_ctx;

static char mark; /* the value of set-like strmaps */

static bool state_has_data(const rec_state *s)
{
    const rec_day *d;
    const rec_oom *o;

    return s != NULL &&
           (rec_state_days(s, &d) > 0 || rec_state_ooms(s, &o) > 0 || rec_state_pods(s) > 0);
}

static int ref_cmp(const void *a, const void *b)
{
    const save_ref *x = a, *y = b;
    int c = strcmp(x->w->ns, y->w->ns);

    return c != 0 ? c : strcmp(x->key, y->key);
}

/* The containers to save, sorted by namespace and key, into *out. */
static snug_status collect(const wlset *set, save_ref **out, size_t *n_out, ckpt_stats *st,
                           snug_err *err)
{
    save_ref *refs = NULL;
    size_t i, j, n = 0, cap = 0;

    for (i = 0; i < set->n; i++) {
        const workload *w = set->items[i];

        if (w->pol == NULL || w->gone) /* gone: wlset_remove()d, not yet freed */
            continue;
        for (j = 0; j < w->n_cs; j++) {
            save_ref *r;
            snug_err kerr;

            if (!state_has_data(w->cs[j]->state))
                continue;
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 64;
                save_ref *nr = realloc(refs, ncap * sizeof(*nr));

                if (nr == NULL) {
                    free(refs);
                    return snug_err_set(err, SNUG_ERR_NOMEM, "checkpoint: out of memory");
                }
                refs = nr;
                cap = ncap;
            }
            r = &refs[n];
            r->w = w;
            r->c = w->cs[j];
            if (!ckpt_ns_valid(w->ns) || ckpt_key_build(w->ref.kind, w->ref.name, r->c->name,
                                                        r->key, &r->hashed, &kerr) != SNUG_OK) {
                snug_log(LOG_WARN, "checkpoint",
                         "container not checkpointed: bad namespace or name", "namespace", w->ns,
                         "kind", w->ref.kind, "name", w->ref.name, "container", r->c->name, NULL);
                st->entries_skipped++;
                continue;
            }
            n++;
        }
    }
    if (n > 1)
        qsort(refs, n, sizeof(*refs), ref_cmp);
    *out = refs;
    *n_out = n;
    return SNUG_OK;
}

/* The entry value of one container (owned by the caller) into *out. */
static snug_status encode_one(const save_ref *r, double now, char **out, snug_err *err)
{
    dynbuf state, value;
    snug_status st;

    dynbuf_init(&state, CKPT_STATE_MAX);
    dynbuf_init(&value, CKPT_STATE_MAX + 1024);
    *out = NULL;
    st = rec_state_save(r->c->state, &state, err);
    if (st == SNUG_OK)
        st = ckpt_value_encode(&value, r->hashed, r->w->ref.kind, r->w->ref.name, r->c->name, now,
                               dynbuf_str(&state), err);
    if (st == SNUG_OK) {
        *out = dynbuf_take(&value);
        if (*out == NULL)
            st = snug_err_set(err, SNUG_ERR_NOMEM, "checkpoint: out of memory");
    }
    dynbuf_free(&state);
    dynbuf_free(&value);
    return st;
}

/* Record a failed apply: the first error is returned by the save, the
 * namespace keeps its old ConfigMaps. */
static void save_failed(save_ctx *sc, const char *ns, snug_status st, const snug_err *e)
{
    snug_log(LOG_ERROR, "checkpoint", "checkpoint ConfigMap not saved", "namespace", ns, "error",
             e->msg, NULL);
    if (sc->first == SNUG_OK) {
        sc->first = st;
        snug_err_set(sc->err, st, "%s", e->msg);
    }
    strmap_put(sc->failed_ns, ns, &mark); /* on NOMEM the ns is not protected; rare enough */
}

/* Remove the data keys of the applied ConfigMap `got` that `mine` does not
 * have: keys another field manager took over (a hand edit), which apply
 * alone would never remove. Failures are logged: the next save retries. */
static void prune_foreign(save_ctx *sc, const char *name, const cJSON *mine, const cJSON *got)
{
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(mine, "data");
    const cJSON *it;
    char path[CKPT_KEY_MAX + 16], count[32];
    size_t extra = 0;
    snug_status st = SNUG_OK;
    snug_err e;
    dynbuf patch;

    dynbuf_init(&patch, 4u << 20);
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(got, "data"))
    {
        if (it->string == NULL || cJSON_GetObjectItemCaseSensitive(want, it->string) != NULL)
            continue;
        snprintf(path, sizeof(path), "/data/%s", it->string); /* keys have no '/' or '~' */
        if (st == SNUG_OK)
            st = dynbuf_addstr(&patch, extra++ ? ",{\"op\":\"remove\",\"path\":"
                                               : "[{\"op\":\"remove\",\"path\":");
        if (st == SNUG_OK)
            st = json_append_string(&patch, path);
        if (st == SNUG_OK)
            st = dynbuf_addc(&patch, '}');
    }
    if (extra > 0 && st == SNUG_OK)
        st = dynbuf_addc(&patch, ']');
    if (extra > 0 && st == SNUG_OK)
        st = kube_patch(sc->kc, &cm_res, sc->ctl_ns, name, KUBE_PATCH_JSON, dynbuf_str(&patch),
                        NULL, NULL, &e);
    else if (st != SNUG_OK)
        snug_err_set(&e, st, "building the patch: %s", snug_status_str(st));
    if (extra > 0) {
        snprintf(count, sizeof(count), "%zu", extra);
        snug_log(st == SNUG_OK ? LOG_WARN : LOG_ERROR, "checkpoint",
                 st == SNUG_OK ? "removed checkpoint entries the controller did not write"
                               : "could not remove checkpoint entries the controller did not write",
                 "configmap", name, "entries", count, "error", st == SNUG_OK ? NULL : e.msg, NULL);
    }
    dynbuf_free(&patch);
}

static snug_status apply_shard(save_ctx *sc, const char *ns, size_t shard, size_t nshards,
                               const char *const *keys, const char *const *values, size_t n)
{
    kube_write_opts wo = {.field_manager = CKPT_MANAGER, .force = 1};
    cJSON *cm = ckpt_configmap_build(sc->ctl_ns, ns, shard, nshards, sc->now, keys, values, n);
    cJSON *got = NULL;
    const char *name = kube_obj_name(cm);
    snug_err e;
    snug_status st;

    if (cm == NULL)
        return snug_err_set(sc->err, SNUG_ERR_NOMEM, "checkpoint: out of memory");
    st = sc->owner != NULL ? kube_owner_set_on(cm, sc->owner, NULL, &e) : SNUG_OK;
    if (st != SNUG_OK) {
        cJSON_Delete(cm);
        return snug_err_set(sc->err, st, "checkpoint: %s", e.msg);
    }
    st = kube_apply(sc->kc, &cm_res, sc->ctl_ns, name, cm, &wo, &got, &e);
    if (st == SNUG_OK) {
        sc->st->configmaps_written++;
        prune_foreign(sc, name, cm, got);
        if (strmap_put(sc->written, name, &mark) != SNUG_OK)
            st = snug_err_set(sc->err, SNUG_ERR_NOMEM, "checkpoint: out of memory");
    } else {
        snug_err_prefix(&e, "ConfigMap %s/%s", sc->ctl_ns, name);
        save_failed(sc, ns, st, &e);
        st = SNUG_OK;
    }
    cJSON_Delete(cm);
    cJSON_Delete(got);
    return st;
}

/* Encode refs[0..n) (one namespace), drop what cannot be stored, and fill
 * keys/values/cost; *kept is how many are left. */
static snug_status encode_ns(save_ctx *sc, const save_ref *refs, size_t n, const char **keys,
                             char **values, size_t *cost, size_t *kept)
{
    size_t i, k = 0;
    snug_status st;

    for (i = 0; i < n; i++) {
        const save_ref *r = &refs[i];
        const char *why = NULL;

        if (k > 0 && strcmp(keys[k - 1], r->key) == 0)
            why = "two containers with one hashed key";
        st = why ? SNUG_OK : encode_one(r, sc->now, &values[k], sc->err);
        if (st == SNUG_ERR_TOO_BIG)
            why = "state larger than a checkpoint may be";
        else if (st != SNUG_OK)
            return st;
        if (why == NULL) {
            keys[k] = r->key;
            cost[k] = ckpt_entry_cost(strlen(r->key), strlen(values[k]));
            if (cost[k] > sc->budget) {
                why = "state larger than a ConfigMap's budget";
                free(values[k]);
                values[k] = NULL;
            }
        }
        if (why != NULL) {
            snug_log(LOG_WARN, "checkpoint", "container not checkpointed", "namespace", r->w->ns,
                     "key", r->key, "reason", why, NULL);
            sc->st->entries_skipped++;
            continue;
        }
        k++;
    }
    *kept = k;
    return SNUG_OK;
}

static snug_status save_ns(save_ctx *sc, const save_ref *refs, size_t n)
{
    const char *ns = refs[0].w->ns;
    const char **keys = calloc(n, sizeof(*keys));
    char **values = calloc(n, sizeof(*values));
    size_t *cost = calloc(n, sizeof(*cost));
    size_t *shard_of = calloc(n, sizeof(*shard_of));
    size_t i, start, kept = 0, nshards;
    snug_status st = SNUG_ERR_NOMEM;

    if (keys == NULL || values == NULL || cost == NULL || shard_of == NULL) {
        snug_err_set(sc->err, st, "checkpoint: out of memory");
        goto out;
    }
    st = encode_ns(sc, refs, n, keys, values, cost, &kept);
    if (st != SNUG_OK)
        goto out;
    nshards = ckpt_shard_plan(cost, kept, sc->budget, shard_of);
    for (start = 0; start < kept && st == SNUG_OK; start = i) {
        for (i = start; i < kept && shard_of[i] == shard_of[start]; i++)
            sc->st->bytes += cost[i] - CKPT_ENTRY_OVERHEAD;
        st = apply_shard(sc, ns, shard_of[start], nshards, keys + start,
                         (const char *const *)(values + start), i - start);
        if (strmap_get(sc->failed_ns, ns) != NULL)
            break;
        sc->st->entries += i - start;
    }
out:
    for (i = 0; values != NULL && i < n; i++)
        free(values[i]);
    free(keys);
    free(values);
    free(cost);
    free(shard_of);
    return st;
}

/* Delete a checkpoint ConfigMap not written now, unless its namespace's
 * save failed. A failed delete is remembered, not fatal. */
static snug_status delete_if_stale(const cJSON *cm, void *ud, snug_err *err)
{
    save_ctx *sc = ud;
    const char *name = kube_obj_name(cm);
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(cm, "metadata");
    const char *ns =
        kube_json_str(cJSON_GetObjectItemCaseSensitive(md, "labels"), CKPT_LABEL_NAMESPACE);
    snug_err e;
    snug_status st;

    (void)err;
    if (name == NULL || strmap_get(sc->written, name) != NULL ||
        (ns != NULL && strmap_get(sc->failed_ns, ns) != NULL))
        return SNUG_OK;
    st = kube_delete(sc->kc, &cm_res, sc->ctl_ns, name, &e);
    if (st == SNUG_OK) {
        sc->st->configmaps_deleted++;
        snug_log(LOG_INFO, "checkpoint", "stale checkpoint ConfigMap deleted", "configmap", name,
                 "namespace", ns, NULL);
    } else if (st != SNUG_ERR_NOT_FOUND && sc->first == SNUG_OK) {
        sc->first = st;
        snug_err_set(sc->err, st, "%s", e.msg);
    }
    return SNUG_OK;
}

static void log_saved(const char *ctl_ns, const ckpt_stats *st)
{
    char w[32], d[32], n[32], b[32];

    snprintf(w, sizeof(w), "%zu", st->configmaps_written);
    snprintf(d, sizeof(d), "%zu", st->configmaps_deleted);
    snprintf(n, sizeof(n), "%zu", st->entries);
    snprintf(b, sizeof(b), "%zu", st->bytes);
    snug_log(LOG_INFO, "checkpoint", "checkpoint saved", "namespace", ctl_ns, "configmaps", w,
             "deleted", d, "entries", n, "bytes", b, NULL);
}

snug_status checkpoint_save_budget(kube_client *kc, const char *ctl_ns, const wlset *set,
                                   double now, const kube_owner *owner, size_t budget,
                                   ckpt_stats *st, snug_err *err)
{
    ckpt_stats dummy;
    save_ctx sc = {.kc = kc, .ctl_ns = ctl_ns, .now = now, .owner = owner, .err = err};
    save_ref *refs = NULL;
    size_t i, j, n = 0;
    snug_err lerr;
    snug_status rc = SNUG_ERR_NOMEM;

    sc.st = st != NULL ? st : &dummy;
    memset(sc.st, 0, sizeof(*sc.st));
    if (owner != NULL && kube_owner_check_fits(owner, ctl_ns, err) != SNUG_OK) {
        snug_err_prefix(err, "checkpoints");
        return SNUG_ERR_INVALID;
    }
    sc.budget = budget == 0                ? CKPT_BUDGET_DEFAULT
                : budget > CKPT_BUDGET_MAX ? CKPT_BUDGET_MAX
                                           : budget;
    sc.written = strmap_new(NULL);
    sc.failed_ns = strmap_new(NULL);
    if (sc.written == NULL || sc.failed_ns == NULL) {
        snug_err_set(err, rc, "checkpoint: out of memory");
        goto out;
    }
    rc = collect(set, &refs, &n, sc.st, err);
    for (i = 0; rc == SNUG_OK && i < n; i = j) {
        for (j = i; j < n && strcmp(refs[j].w->ns, refs[i].w->ns) == 0; j++)
            ;
        rc = save_ns(&sc, refs + i, j - i);
    }
    if (rc == SNUG_OK) { /* a failed apply's message wins over a failed list's */
        snug_err *lerrp = sc.first != SNUG_OK ? &lerr : err;

        rc = each_checkpoint(kc, ctl_ns, delete_if_stale, &sc, lerrp);
        if (rc != SNUG_OK)
            snug_err_prefix(lerrp, "deleting stale checkpoints in namespace %s", ctl_ns);
        if (sc.first != SNUG_OK)
            rc = sc.first;
    }
    if (rc == SNUG_OK)
        log_saved(ctl_ns, sc.st);
out:
    free(refs);
    strmap_free(sc.written);
    strmap_free(sc.failed_ns);
    return rc;
}

snug_status checkpoint_save(kube_client *kc, const char *ctl_ns, const wlset *set, double now,
                            const kube_owner *owner, ckpt_stats *st, snug_err *err)
{
    return checkpoint_save_budget(kc, ctl_ns, set, now, owner, 0, st, err);
}

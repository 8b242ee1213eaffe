/* workloads.c -- the set of workloads a report or a pass sizes (see
 * workloads.h). */
#include "controller/workloads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WL_DEFAULT_MAX 100000
#define KEY_MAX        (3 * WORKLOAD_NAME_MAX)

/* The value wlset_map_pod() stores for "a Pod of no workload we size". */
static char no_workload;

static void container_free(wl_container *c)
{
    if (c == NULL)
        return;
    free(c->name);
    rec_state_free(c->state); /* NULL after wlset_remove */
    free(c);
}

static void workload_free(workload *w)
{
    size_t i;

    if (w == NULL)
        return;
    for (i = 0; i < w->n_cs; i++)
        container_free(w->cs[i]);
    free(w->cs);
    free(w->uid);
    free(w);
}

wlset *wlset_new(size_t max_workloads)
{
    wlset *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return NULL;
    s->max_workloads = max_workloads ? max_workloads : WL_DEFAULT_MAX;
    s->by_key = strmap_new(NULL);
    s->pods = strmap_new(NULL);
    if (s->by_key == NULL || s->pods == NULL) {
        wlset_free(s);
        return NULL;
    }
    return s;
}

void wlset_free(wlset *s)
{
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < s->n; i++)
        workload_free(s->items[i]);
    free(s->items);
    strmap_free(s->by_key);
    strmap_free(s->pods);
    free(s);
}

static bool key3(char *buf, size_t cap, const char *a, const char *b, const char *c)
{
    int n = snprintf(buf, cap, "%s\x1f%s\x1f%s", a, b, c);

    return n > 0 && (size_t)n < cap;
}

workload *wlset_find(const wlset *s, const char *ns, const char *kind, const char *name)
{
    char key[KEY_MAX];

    if (s == NULL || ns == NULL || kind == NULL || name == NULL ||
        !key3(key, sizeof(key), ns, kind, name))
        return NULL;
    return strmap_get(s->by_key, key);
}

static bool field_ok(const char *v)
{
    return v != NULL && v[0] != '\0' && strlen(v) < WORKLOAD_NAME_MAX;
}

static snug_status grow(wlset *s, snug_err *err)
{
    size_t cap = s->cap ? s->cap * 2 : 64;
    workload **items;

    if (s->n < s->cap)
        return SNUG_OK;
    items = realloc(s->items, cap * sizeof(*items));
    if (items == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "workloads: out of memory");
    s->items = items;
    s->cap = cap;
    return SNUG_OK;
}

snug_status wlset_add(wlset *s, const char *ns, const char *kind, const char *name, workload **out,
                      snug_err *err)
{
    char key[KEY_MAX];
    workload *w;
    snug_status st;

    if (!field_ok(ns) || !field_ok(kind) || !field_ok(name) || strlen(kind) >= WORKLOAD_KIND_MAX)
        return snug_err_set(err, SNUG_ERR_INVALID, "workload %s/%s/%s: bad namespace, kind or name",
                            ns ? ns : "", kind ? kind : "", name ? name : "");
    w = wlset_find(s, ns, kind, name);
    if (w != NULL) {
        *out = w;
        return SNUG_OK;
    }
    if (s->n >= s->max_workloads)
        return snug_err_set(err, SNUG_ERR_TOO_BIG, "more than %zu workloads", s->max_workloads);
    st = grow(s, err);
    if (st != SNUG_OK)
        return st;
    w = calloc(1, sizeof(*w));
    if (w == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "workloads: out of memory");
    snprintf(w->ns, sizeof(w->ns), "%s", ns);
    snprintf(w->ref.kind, sizeof(w->ref.kind), "%s", kind);
    snprintf(w->ref.name, sizeof(w->ref.name), "%s", name);
    w->api_version = workload_api_version(kind);
    key3(key, sizeof(key), ns, kind, name);
    if (strmap_put(s->by_key, key, w) != SNUG_OK) {
        workload_free(w);
        return snug_err_set(err, SNUG_ERR_NOMEM, "workloads: out of memory");
    }
    s->items[s->n++] = w;
    *out = w;
    return SNUG_OK;
}

wl_container *workload_container(workload *w, const char *name, bool create)
{
    wl_container **cs, *c;
    size_t i;

    for (i = 0; i < w->n_cs; i++) {
        if (strcmp(w->cs[i]->name, name) == 0)
            return w->cs[i];
    }
    if (!create || w->n_cs >= WL_MAX_CONTAINERS)
        return NULL;
    cs = realloc(w->cs, (w->n_cs + 1) * sizeof(*cs));
    if (cs == NULL)
        return NULL;
    w->cs = cs;
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->name = strdup(name);
    c->state = rec_state_new();
    if (c->name == NULL || c->state == NULL) {
        container_free(c);
        return NULL;
    }
    c->requests.cpu_milli = c->requests.mem_bytes = RES_UNSET;
    c->limits.cpu_milli = c->limits.mem_bytes = RES_UNSET;
    c->oom_limit_bytes = RES_UNSET;
    cs[w->n_cs++] = c;
    return c;
}

snug_status wlset_map_pod(wlset *s, const char *ns, const char *pod, workload *w, snug_err *err)
{
    char key[2 * WORKLOAD_NAME_MAX + 2];
    int n = snprintf(key, sizeof(key), "%s\x1f%s", ns, pod);

    if (n < 0 || (size_t)n >= sizeof(key))
        return snug_err_set(err, SNUG_ERR_INVALID, "pod %s/%s: name too long", ns, pod);
    if (strmap_get(s->pods, key) != NULL)
        return SNUG_OK;
    if (strmap_put(s->pods, key, w != NULL ? (void *)w : (void *)&no_workload) != SNUG_OK)
        return snug_err_set(err, SNUG_ERR_NOMEM, "workloads: out of memory");
    if (w != NULL)
        w->pods++;
    return SNUG_OK;
}

workload *wlset_pod_workload(const wlset *s, const char *ns, const char *pod, bool *known)
{
    char key[2 * WORKLOAD_NAME_MAX + 2];
    int n = snprintf(key, sizeof(key), "%s\x1f%s", ns, pod);
    void *v;

    *known = false;
    if (n < 0 || (size_t)n >= sizeof(key))
        return NULL;
    v = strmap_get(s->pods, key);
    if (v == NULL)
        return NULL;
    *known = true;
    return v == (void *)&no_workload ? NULL : v;
}

const char *workload_api_version(const char *kind)
{
    if (strcasecmp(kind, "Job") == 0 || strcasecmp(kind, "CronJob") == 0)
        return "batch/v1";
    if (strcasecmp(kind, "Pod") == 0)
        return "v1";
    return "apps/v1";
}

size_t wlset_containers(const wlset *s)
{
    size_t i, n = 0;

    for (i = 0; i < s->n; i++)
        n += s->items[i]->n_cs;
    return n;
}

size_t wlset_state_bytes(const wlset *s)
{
    size_t i, j, n = 0;

    for (i = 0; i < s->n; i++) {
        for (j = 0; j < s->items[i]->n_cs; j++)
            n += rec_state_memory(s->items[i]->cs[j]->state);
    }
    return n;
}

snug_status wlset_reset_pods(wlset *s)
{
    strmap *fresh = strmap_new(NULL);
    size_t i, n = 0;

    if (fresh == NULL)
        return SNUG_ERR_NOMEM;
    strmap_free(s->pods);
    s->pods = fresh;
    /* no mapping points anywhere now: removed workloads can go */
    for (i = 0; i < s->n; i++) {
        if (s->items[i]->gone) {
            workload_free(s->items[i]);
            continue;
        }
        s->items[i]->pods = 0;
        s->items[n++] = s->items[i];
    }
    s->n = n;
    return SNUG_OK;
}

void wlset_remove(wlset *s, workload *w)
{
    char key[KEY_MAX];
    size_t i;

    if (w == NULL || w->gone)
        return;
    if (key3(key, sizeof(key), w->ns, w->ref.kind, w->ref.name))
        strmap_delete(s->by_key, key);
    for (i = 0; i < w->n_cs; i++) {
        rec_state_free(w->cs[i]->state);
        w->cs[i]->state = NULL;
    }
    w->gone = true;
    w->pol = NULL;
}

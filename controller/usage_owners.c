/* usage_owners.c -- a Pod's workload from kube-state-metrics or its name
 * (see usage_owners.h). */
#include "controller/usage_owners.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/strmap.h"
#include "model/podname.h"

#define KEY_MAX         (2 * WORKLOAD_NAME_MAX + 2)
#define HASH_MIN        6
#define HASH_MAX        10
#define CRON_DIGITS_MIN 8

struct owner_index {
    strmap *pods; /* "ns\x1fpod" -> "Kind\x1fname" */
    strmap *rs;   /* "ns\x1freplicaset" -> "Kind\x1fname" */
};

owner_index *owner_index_new(void)
{
    owner_index *ix = calloc(1, sizeof(*ix));

    if (ix == NULL)
        return NULL;
    ix->pods = strmap_new(free);
    ix->rs = strmap_new(free);
    if (ix->pods == NULL || ix->rs == NULL) {
        owner_index_free(ix);
        return NULL;
    }
    return ix;
}

void owner_index_free(owner_index *ix)
{
    if (ix == NULL)
        return;
    strmap_free(ix->pods);
    strmap_free(ix->rs);
    free(ix);
}

static bool key2(char *buf, size_t cap, const char *a, const char *b)
{
    int n = snprintf(buf, cap, "%s\x1f%s", a, b);

    return n > 0 && (size_t)n < cap;
}

/* Index every series of r by (namespace, <name_label>) -> owner. */
static snug_status index_add(strmap *m, const prom_result *r, const char *name_label, snug_err *err)
{
    char key[KEY_MAX], val[KEY_MAX], *dup;
    size_t i;

    for (i = 0; i < r->n_series; i++) {
        const prom_series *s = &r->series[i];
        const char *ns = prom_series_label(s, "namespace"),
                   *name = prom_series_label(s, name_label);
        const char *kind = prom_series_label(s, "owner_kind");
        const char *owner = prom_series_label(s, "owner_name");

        if (ns == NULL || name == NULL || kind == NULL || owner == NULL)
            continue;
        if (!key2(key, sizeof(key), ns, name) || !key2(val, sizeof(val), kind, owner))
            continue;
        if (strmap_get(m, key) != NULL)
            continue; /* the first owner seen stays */
        dup = strdup(val);
        if (dup == NULL || strmap_put(m, key, dup) != SNUG_OK) {
            free(dup);
            return snug_err_set(err, SNUG_ERR_NOMEM, "owners: out of memory");
        }
    }
    return SNUG_OK;
}

snug_status owner_index_add_pods(owner_index *ix, const prom_result *r, snug_err *err)
{
    return index_add(ix->pods, r, "pod", err);
}

snug_status owner_index_add_replicasets(owner_index *ix, const prom_result *r, snug_err *err)
{
    return index_add(ix->rs, r, "replicaset", err);
}

/* Split "Kind\x1fname" into ref. */
static bool ref_from(const char *v, workload_ref *ref)
{
    const char *sep = v ? strchr(v, '\x1f') : NULL;
    size_t kl;

    if (sep == NULL)
        return false;
    kl = (size_t)(sep - v);
    if (kl == 0 || kl >= sizeof(ref->kind) || strlen(sep + 1) >= sizeof(ref->name) ||
        sep[1] == '\0')
        return false;
    memcpy(ref->kind, v, kl);
    ref->kind[kl] = '\0';
    snprintf(ref->name, sizeof(ref->name), "%s", sep + 1);
    return true;
}

static bool is_digits(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return n > 0;
}

/* Drop a "-<suffix>" from ref->name when the suffix is a pod-template-hash
 * (to_kind Deployment) or a CronJob's scheduled minute (to_kind CronJob). */
static bool strip_suffix(workload_ref *ref, const char *to_kind)
{
    char *dash = strrchr(ref->name, '-');
    size_t n;
    bool ok;

    if (dash == NULL || dash == ref->name)
        return false;
    n = strlen(dash + 1);
    if (strcmp(to_kind, "Deployment") == 0)
        ok = n >= HASH_MIN && n <= HASH_MAX && podname_random_chars(dash + 1, n);
    else
        ok = n >= CRON_DIGITS_MIN && is_digits(dash + 1, n);
    if (!ok)
        return false;
    *dash = '\0';
    snprintf(ref->kind, sizeof(ref->kind), "%s", to_kind);
    return true;
}

/* The candidates kube-state-metrics gives for the Pod, most likely first. */
static size_t ksm_candidates(const owner_index *ix, const char *ns, const char *pod,
                             workload_ref *out, size_t cap)
{
    char key[KEY_MAX];
    workload_ref ref;
    size_t n = 0;

    if (!key2(key, sizeof(key), ns, pod) || !ref_from(strmap_get(ix->pods, key), &ref))
        return 0;
    if (strcmp(ref.kind, "<none>") == 0) {
        snprintf(out[n].kind, sizeof(out[n].kind), "Pod");
        snprintf(out[n].name, sizeof(out[n].name), "%s", pod);
        return 1;
    }
    if (strcmp(ref.kind, "ReplicaSet") == 0) {
        workload_ref up = ref;

        if (key2(key, sizeof(key), ns, ref.name) && ref_from(strmap_get(ix->rs, key), &up) &&
            strcmp(up.kind, "<none>") != 0 && n < cap)
            out[n++] = up;
        up = ref;
        if (strip_suffix(&up, "Deployment") && n < cap)
            out[n++] = up;
    } else if (strcmp(ref.kind, "Job") == 0) {
        workload_ref up = ref;

        if (strip_suffix(&up, "CronJob") && n < cap)
            out[n++] = up;
    }
    if (n < cap)
        out[n++] = ref;
    return n;
}

static snug_status pick(wlset *set, bool add, const char *ns, const workload_ref *c, size_t n,
                        workload **out, snug_err *err)
{
    size_t i;

    for (i = 0; i < n; i++) {
        workload *w = wlset_find(set, ns, c[i].kind, c[i].name);

        if (w != NULL) {
            *out = w;
            return SNUG_OK;
        }
    }
    if (add && n > 0)
        return wlset_add(set, ns, c[0].kind, c[0].name, out, err);
    return SNUG_OK;
}

snug_status owner_resolve(const owner_index *ix, wlset *set, bool add, const char *ns,
                          const char *pod, workload **out, snug_err *err)
{
    workload_ref c[PODNAME_MAX_CANDIDATES + 3];
    workload *w;
    bool known;
    size_t n;
    snug_status st;

    *out = NULL;
    w = wlset_pod_workload(set, ns, pod, &known);
    if (known) {
        *out = w;
        return SNUG_OK;
    }
    n = ix ? ksm_candidates(ix, ns, pod, c, 3) : 0;
    if (n > 0) {
        st = pick(set, add, ns, c, n, &w, err);
        if (st != SNUG_OK)
            return st;
    }
    if (w == NULL) {
        n = podname_candidates(pod, c, PODNAME_MAX_CANDIDATES);
        st = pick(set, add, ns, c, n, &w, err);
        if (st != SNUG_OK)
            return st;
    }
    *out = w;
    return wlset_map_pod(set, ns, pod, w, err);
}

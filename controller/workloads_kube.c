/* workloads_kube.c -- the workloads of a cluster from the API server (see
 * workloads_kube.h). */
#include "controller/workloads_kube.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/log.h"
#include "json/jsonfield.h"
#include "kube/kube_objects.h"
#include "model/quantity.h"

#define MODE_KEY    "snug.dev/mode"
#define RUNTIME_KEY "snug.dev/runtime"

typedef struct kind_def {
    const char *kind;
    kube_resource res;
} kind_def;

static const kind_def kinds[] = {
    {"Deployment", {"apps", "v1", "deployments"}},
    {"StatefulSet", {"apps", "v1", "statefulsets"}},
    {"DaemonSet", {"apps", "v1", "daemonsets"}},
    {"CronJob", {"batch", "v1", "cronjobs"}},
    {"Job", {"batch", "v1", "jobs"}},
    {"Pod", {NULL, "v1", "pods"}},
};

static const kube_resource namespaces_res = {NULL, "v1", "namespaces"};
static const kube_resource policies_res = {"snug.dev", "v1alpha1", "sizingpolicies"};

bool workloads_opted_out(const cJSON *m)
{
    const cJSON *v = cJSON_IsObject(m) ? cJSON_GetObjectItemCaseSensitive(m, MODE_KEY) : NULL;

    if (!cJSON_IsString(v) || v->valuestring == NULL)
        return false;
    return strcasecmp(v->valuestring, "off") == 0 || strcasecmp(v->valuestring, "false") == 0 ||
           strcasecmp(v->valuestring, "disabled") == 0;
}

static const cJSON *meta_field(const cJSON *obj, const char *key)
{
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");

    return cJSON_IsObject(meta) ? cJSON_GetObjectItemCaseSensitive(meta, key) : NULL;
}

/* A controller owner: Jobs of CronJobs, Pods of anything, are not workloads
 * of their own. */
static bool has_controller(const cJSON *obj)
{
    const cJSON *refs = meta_field(obj, "ownerReferences"), *r;

    cJSON_ArrayForEach(r, refs)
    {
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "controller")))
            return true;
    }
    return false;
}

static int64_t amount(const cJSON *res, const char *key, bool cpu)
{
    const cJSON *v = cJSON_IsObject(res) ? cJSON_GetObjectItemCaseSensitive(res, key) : NULL;
    quantity q;

    if (v == NULL || quantity_parse_json(v, &q, NULL) != SNUG_OK || q.nanos < 0)
        return RES_UNSET;
    return cpu ? quantity_milli_ceil(&q) : quantity_value_ceil(&q);
}

/* "go" in snug.dev/runtime.<container>, else in snug.dev/runtime. */
static bool runtime_go(const cJSON *annotations, const char *container)
{
    char key[300];
    const cJSON *v;

    if (!cJSON_IsObject(annotations))
        return false;
    snprintf(key, sizeof(key), "%s.%s", RUNTIME_KEY, container);
    v = cJSON_GetObjectItemCaseSensitive(annotations, key);
    if (!cJSON_IsString(v))
        v = cJSON_GetObjectItemCaseSensitive(annotations, RUNTIME_KEY);
    return cJSON_IsString(v) && v->valuestring != NULL && strcasecmp(v->valuestring, "go") == 0;
}

static snug_status add_containers(workload *w, const cJSON *pod, snug_err *err)
{
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(pod, "spec"), *c;
    const cJSON *ann = meta_field(pod, "annotations");

    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(spec, "containers"))
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(c, "name");
        const cJSON *res = cJSON_GetObjectItemCaseSensitive(c, "resources");
        const cJSON *req = cJSON_GetObjectItemCaseSensitive(res, "requests");
        const cJSON *lim = cJSON_GetObjectItemCaseSensitive(res, "limits");
        wl_container *wc;

        if (!cJSON_IsString(name) || name->valuestring == NULL || name->valuestring[0] == '\0')
            continue;
        wc = workload_container(w, name->valuestring, true);
        if (wc == NULL)
            return snug_err_set(err, SNUG_ERR_NOMEM,
                                "%s %s/%s: too many containers or out of memory", w->ref.kind,
                                w->ns, w->ref.name);
        wc->in_template = true;
        wc->requests.cpu_milli = amount(req, "cpu", true);
        wc->requests.mem_bytes = amount(req, "memory", false);
        wc->limits.cpu_milli = amount(lim, "cpu", true);
        wc->limits.mem_bytes = amount(lim, "memory", false);
        wc->is_go = runtime_go(ann, wc->name);
    }
    return SNUG_OK;
}

static const cJSON *ns_labels(const cJSON *namespaces, const char *ns)
{
    const cJSON *items = cJSON_IsArray(namespaces)
                             ? namespaces
                             : cJSON_GetObjectItemCaseSensitive(namespaces, "items");
    const cJSON *item;

    cJSON_ArrayForEach(item, items)
    {
        const cJSON *name = meta_field(item, "name");

        if (cJSON_IsString(name) && name->valuestring && strcmp(name->valuestring, ns) == 0)
            return meta_field(item, "labels");
    }
    return NULL;
}

/* The Pod template of a workload object of `kind` (the object itself for a
 * Pod); NULL when the path to it is broken. */
static const cJSON *pod_template(const char *kind, const cJSON *obj)
{
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec"), *t;

    if (strcmp(kind, "Pod") == 0)
        return cJSON_IsObject(spec) ? obj : NULL;
    if (strcmp(kind, "CronJob") == 0) {
        spec = cJSON_GetObjectItemCaseSensitive(spec, "jobTemplate");
        spec = cJSON_GetObjectItemCaseSensitive(spec, "spec");
    }
    t = cJSON_GetObjectItemCaseSensitive(spec, "template");
    return cJSON_IsObject(t) && cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(t, "spec")) ? t
                                                                                            : NULL;
}

/* Containers of the template are current; others (an earlier template's)
 * keep their state but are not sized. */
static void containers_reset(workload *w)
{
    size_t i;

    for (i = 0; i < w->n_cs; i++)
        w->cs[i]->in_template = false;
}

snug_status workloads_add_object(wl_kube_ctx *lc, const char *kind, const cJSON *obj, snug_err *err)
{
    const char *ns = kube_obj_namespace(obj), *name = kube_obj_name(obj);
    const cJSON *uid = meta_field(obj, "uid"), *pod = pod_template(kind, obj);
    workload *w;
    snug_status st;

    if (ns == NULL || name == NULL || has_controller(obj))
        return SNUG_OK;
    if (pod == NULL) {
        snug_log(LOG_WARN, "workloads", "workload skipped: no Pod template", "kind", kind,
                 "namespace", ns, "name", name, NULL);
        return SNUG_OK;
    }
    st = wlset_add(lc->set, ns, kind, name, &w, err);
    if (st != SNUG_OK)
        return st;
    w->from_api = true;
    w->seen = lc->pass;
    free(w->uid);
    w->uid = cJSON_IsString(uid) ? strdup(uid->valuestring) : NULL;
    w->opted_out = workloads_opted_out(meta_field(obj, "annotations")) ||
                   workloads_opted_out(meta_field(obj, "labels")) ||
                   workloads_opted_out(meta_field(pod, "annotations")) ||
                   workloads_opted_out(meta_field(pod, "labels"));
    w->pol = policy_set_select(lc->pols, meta_field(pod, "labels"), ns_labels(lc->namespaces, ns));
    if (w->pol != NULL && w->pol->mode == POLICY_MODE_OFF)
        w->pol = NULL;
    if (w->pol == NULL || w->opted_out)
        lc->skipped++;
    containers_reset(w);
    return add_containers(w, pod, err);
}

static snug_status list_kind(kube_client *kc, wl_kube_ctx *lc, const kind_def *k, const char *ns,
                             const char *selector, snug_err *err)
{
    kube_list_opts lo = {.label_selector = selector};
    cJSON *list = NULL, *items, *item;
    snug_status st = kube_list(kc, &k->res, ns, &lo, &list, NULL, err);

    if (st == SNUG_ERR_NOT_FOUND) {
        snug_log(LOG_INFO, "workloads", "kind not served, skipped", "kind", k->kind, NULL);
        return SNUG_OK;
    }
    items = st == SNUG_OK ? cJSON_GetObjectItemCaseSensitive(list, "items") : NULL;
    cJSON_ArrayForEach(item, items)
    {
        st = workloads_add_object(lc, k->kind, item, err);
        if (st != SNUG_OK)
            break;
    }
    cJSON_Delete(list);
    return st;
}

snug_status workloads_from_kube(kube_client *kc, const wl_kube_opts *o, const policy_set *pols,
                                wlset *set, size_t *skipped, snug_err *err)
{
    wl_kube_ctx lc = {pols, NULL, set, 0, 0};
    cJSON *ns_list = NULL;
    size_t i, j, n_ns = o->n_namespaces ? o->n_namespaces : 1;
    snug_status st = kube_list(kc, &namespaces_res, NULL, NULL, &ns_list, NULL, err);

    if (st == SNUG_ERR_UNAUTHORIZED) {
        /* a report may run with rights in its namespaces only */
        snug_log(LOG_WARN, "workloads", "cannot list namespaces: their labels are unknown", "error",
                 err ? err->msg : "", NULL);
        st = SNUG_OK;
    }
    lc.namespaces = ns_list;
    for (i = 0; st == SNUG_OK && i < n_ns; i++) {
        const char *ns = o->n_namespaces ? o->namespaces[i] : NULL;

        for (j = 0; st == SNUG_OK && j < sizeof(kinds) / sizeof(kinds[0]); j++)
            st = list_kind(kc, &lc, &kinds[j], ns, o->label_selector, err);
    }
    cJSON_Delete(ns_list);
    if (skipped != NULL)
        *skipped = lc.skipped;
    return st;
}

/* Add one listed SizingPolicy; one the controller refuses is logged and
 * left out, so its workloads fall to the next policy that matches. */
static snug_status add_policy(policy_set *set, const cJSON *item, snug_err *err)
{
    policy *p = NULL;
    snug_err perr;

    snug_err_clear(&perr);
    if (policy_parse(item, &p, &perr) != SNUG_OK) {
        snug_log(LOG_WARN, "workloads", "SizingPolicy refused, ignored", "error", perr.msg, NULL);
        return SNUG_OK;
    }
    if (policy_set_add(set, p) != SNUG_OK) {
        policy_free(p);
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    }
    return SNUG_OK;
}

snug_status workloads_kube_policies(kube_client *kc, policy_set **out, snug_err *err)
{
    cJSON *list = NULL, *items, *item;
    policy_set *set = NULL;
    snug_status st = kube_list(kc, &policies_res, NULL, NULL, &list, NULL, err);

    *out = NULL;
    if (st == SNUG_ERR_NOT_FOUND)
        return SNUG_OK; /* the CRD is not installed */
    if (st != SNUG_OK)
        return st;
    set = policy_set_new();
    if (set == NULL)
        st = snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    items = st == SNUG_OK ? cJSON_GetObjectItemCaseSensitive(list, "items") : NULL;
    cJSON_ArrayForEach(item, items)
    {
        st = add_policy(set, item, err);
        if (st != SNUG_OK)
            break;
    }
    cJSON_Delete(list);
    if (st != SNUG_OK) {
        policy_set_free(set);
        return st;
    }
    *out = set;
    return SNUG_OK;
}

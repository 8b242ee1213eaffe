/* autoscalers.c -- HorizontalPodAutoscaler and VerticalPodAutoscaler
 * objects read into what snug needs of them (see autoscalers.h).
 */
#include "controller/autoscalers.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json/jsonfield.h"
#include "model/quantity_field.h"

#define HPA_KIND        "HorizontalPodAutoscaler"
#define HPA_API_VERSION "autoscaling/v2"
#define VPA_KIND        "VerticalPodAutoscaler"
#define VPA_API_VERSION "autoscaling.k8s.io/v1"

/* "\"<namespace>/<name>\"" of the object, for messages. */
#define LABEL_MAX (AUTOSCALER_NS_MAX + AUTOSCALER_NAME_MAX + 4)

typedef char fpath[JSONFIELD_PATH_MAX];

#define TRY(expr)                                                                                  \
    do {                                                                                           \
        snug_status t_st_ = (expr);                                                                \
        if (t_st_ != SNUG_OK)                                                                      \
            return t_st_;                                                                          \
    } while (0)

/* ---- shared: strings, metadata, references ------------------------------ */

/* A required, non-empty string member of at most cap - 1 bytes, copied into
 * buf (cap bytes). */
static snug_status copy_required(const cJSON *obj, const char *key, const char *path, char *buf,
                                 size_t cap, snug_err *err)
{
    const char *s = NULL;
    fpath fp;

    TRY(jsonfield_string(obj, key, path, &s, err));
    jsonfield_path(fp, sizeof(fp), path, key);
    if (s == NULL || s[0] == '\0')
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: required", fp);
    if (strlen(s) >= cap)
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: longer than %zu characters", fp, cap - 1);
    memcpy(buf, s, strlen(s) + 1);
    return SNUG_OK;
}

/* A required object member. */
static snug_status required_object(const cJSON *obj, const char *key, const char *path,
                                   const cJSON **out, snug_err *err)
{
    fpath fp;

    *out = NULL;
    TRY(jsonfield_object(obj, key, path, out, err));
    if (*out == NULL) {
        jsonfield_path(fp, sizeof(fp), path, key);
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: required", fp);
    }
    return SNUG_OK;
}

/* kind and apiVersion when present (list items have neither), metadata's
 * namespace into ns and "\"<namespace>/<name>\"" into label (LABEL_MAX). The
 * label is filled as far as metadata could be read, for the caller's
 * message. */
static snug_status read_header(const cJSON *obj, const char *kind, const char *api_version,
                               char *ns, char *label, snug_err *err)
{
    const cJSON *meta = NULL;
    const char *s = NULL;
    char name[AUTOSCALER_NAME_MAX];

    label[0] = '\0';
    if (!cJSON_IsObject(obj))
        return snug_err_set(err, SNUG_ERR_INVALID, "must be an object, got %s",
                            jsonfield_type_name(obj));
    TRY(jsonfield_string(obj, "kind", "", &s, err));
    if (s != NULL && strcmp(s, kind) != 0)
        return snug_err_set(err, SNUG_ERR_INVALID, "kind: must be %s, got \"%s\"", kind, s);
    s = NULL;
    TRY(jsonfield_string(obj, "apiVersion", "", &s, err));
    if (s != NULL && strcmp(s, api_version) != 0)
        return snug_err_set(err, SNUG_ERR_UNSUPPORTED,
                            "apiVersion: %s is not supported: read %ss through %s", s, kind,
                            api_version);
    TRY(required_object(obj, "metadata", "", &meta, err));
    TRY(copy_required(meta, "name", "metadata", name, sizeof(name), err));
    snprintf(label, LABEL_MAX, "\"%s\"", name);
    TRY(copy_required(meta, "namespace", "metadata", ns, AUTOSCALER_NS_MAX, err));
    snprintf(label, LABEL_MAX, "\"%s/%s\"", ns, name);
    return SNUG_OK;
}

/* A reference to the scaled workload (scaleTargetRef, targetRef): kind and
 * name required; apiVersion, when given, a string. */
static snug_status read_ref(const cJSON *spec, const char *key, char *kind, char *name,
                            snug_err *err)
{
    const cJSON *ref = NULL;
    const char *api_version = NULL;
    fpath fp;

    TRY(required_object(spec, key, "spec", &ref, err));
    jsonfield_path(fp, sizeof(fp), "spec", key);
    TRY(jsonfield_string(ref, "apiVersion", fp, &api_version, err));
    TRY(copy_required(ref, "kind", fp, kind, AUTOSCALER_KIND_MAX, err));
    return copy_required(ref, "name", fp, name, AUTOSCALER_NAME_MAX, err);
}

/* ---- HorizontalPodAutoscaler -------------------------------------------- */

static const char *const metric_types[] = {"Resource", "ContainerResource", "Pods",
                                           "Object",   "External",          NULL};
/* The member each type above names its source in. */
static const char *const metric_members[] = {"resource", "containerResource", "pods",
                                             "object",   "external",          NULL};

/* The target of a resource metric: Utilization with averageUtilization, or
 * AverageValue with averageValue. The API server refuses Value for these. */
static snug_status read_resource_target(const cJSON *src, const char *path, snug_err *err)
{
    const cJSON *target = NULL;
    const char *type = NULL;
    int64_t util = -1, avg = -1;
    fpath fp, tp;

    TRY(required_object(src, "target", path, &target, err));
    jsonfield_path(fp, sizeof(fp), path, "target");
    TRY(jsonfield_string(target, "type", fp, &type, err));
    jsonfield_path(tp, sizeof(tp), fp, "type");
    if (type == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: required", tp);
    TRY(jsonfield_int64(target, "averageUtilization", fp, 1, INT32_MAX, &util, err));
    TRY(quantity_field(target, "averageValue", fp, QUANTITY_FIELD_UNITS, &avg, err));
    if (strcmp(type, "Utilization") == 0) {
        if (util < 0)
            return snug_err_set(err, SNUG_ERR_INVALID, "%s.averageUtilization: required for %s", fp,
                                type);
    } else if (strcmp(type, "AverageValue") == 0) {
        if (avg < 0)
            return snug_err_set(err, SNUG_ERR_INVALID, "%s.averageValue: required for %s", fp,
                                type);
    } else {
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "%s: must be Utilization or AverageValue for a resource metric, "
                            "got \"%s\"",
                            tp, type);
    }
    return SNUG_OK;
}

/* A Resource or ContainerResource source: name (cpu, memory or another
 * resource), the container for ContainerResource, and the target. */
static snug_status read_resource_metric(const cJSON *src, const char *path, bool per_container,
                                        hpa_info *out, snug_err *err)
{
    char name[AUTOSCALER_NAME_MAX], container[AUTOSCALER_NAME_MAX];

    TRY(copy_required(src, "name", path, name, sizeof(name), err));
    if (per_container)
        TRY(copy_required(src, "container", path, container, sizeof(container), err));
    TRY(read_resource_target(src, path, err));
    if (strcmp(name, "cpu") == 0)
        out->cpu = true;
    else if (strcmp(name, "memory") == 0)
        out->memory = true;
    return SNUG_OK;
}

/* The index of `type` in metric_types, or -1. */
static int metric_type_index(const char *type)
{
    int i;

    for (i = 0; metric_types[i] != NULL; i++) {
        if (strcmp(metric_types[i], type) == 0)
            return i;
    }
    return -1;
}

/* spec.metrics[i]: a known type with its source member. */
static snug_status read_metric(const cJSON *m, const char *path, hpa_info *out, snug_err *err)
{
    const cJSON *src = NULL;
    const char *type = NULL;
    fpath fp;
    int t;

    if (!cJSON_IsObject(m))
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: must be an object, got %s", path,
                            jsonfield_type_name(m));
    TRY(jsonfield_string(m, "type", path, &type, err));
    if (type == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "%s.type: required", path);
    t = metric_type_index(type);
    if (t < 0)
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "%s.type: must be Resource, ContainerResource, Pods, Object or "
                            "External, got \"%s\"",
                            path, type);
    TRY(jsonfield_object(m, metric_members[t], path, &src, err));
    jsonfield_path(fp, sizeof(fp), path, metric_members[t]);
    if (src == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: required for type %s", fp, type);
    if (t > 1)
        return SNUG_OK; /* Pods, Object, External: not a resource of the Pods */
    return read_resource_metric(src, fp, t == 1, out, err);
}

static snug_status read_hpa_spec(const cJSON *hpa, hpa_info *out, snug_err *err)
{
    const cJSON *spec = NULL, *metrics = NULL, *m;
    fpath ip;
    size_t i = 0;

    TRY(required_object(hpa, "spec", "", &spec, err));
    TRY(read_ref(spec, "scaleTargetRef", out->kind, out->name, err));
    TRY(jsonfield_array(spec, "metrics", "spec", &metrics, err));
    if (cJSON_GetArraySize(metrics) == 0) {
        out->cpu = true; /* the API server's default: 80% average CPU utilization */
        return SNUG_OK;
    }
    cJSON_ArrayForEach(m, metrics)
    {
        jsonfield_index_path(ip, sizeof(ip), "spec.metrics", i++);
        TRY(read_metric(m, ip, out, err));
    }
    return SNUG_OK;
}

snug_status autoscaler_hpa_parse(const cJSON *hpa, hpa_info *out, snug_err *err)
{
    char label[LABEL_MAX];
    snug_status st;

    memset(out, 0, sizeof(*out));
    st = read_header(hpa, HPA_KIND, HPA_API_VERSION, out->ns, label, err);
    if (st == SNUG_OK)
        st = read_hpa_spec(hpa, out, err);
    if (st != SNUG_OK) {
        memset(out, 0, sizeof(*out));
        return snug_err_wrap(err, st, HPA_KIND "%s%s", label[0] ? " " : "", label);
    }
    return SNUG_OK;
}

/* ---- VerticalPodAutoscaler ---------------------------------------------- */

/* spec.updatePolicy.updateMode -> out->active. */
static snug_status read_update_mode(const cJSON *spec, vpa_info *out, snug_err *err)
{
    static const char *const modes[] = {"Auto", "Initial", "Recreate", "InPlaceOrRecreate", NULL};
    const cJSON *up = NULL, *v;
    const char *mode = NULL;
    fpath fp = "";
    size_t i;

    out->active = true; /* VPA's default mode is Auto */
    TRY(jsonfield_section(spec, "updatePolicy", "spec", NULL, &up, fp, sizeof(fp), err));
    v = jsonfield_get(up, "updateMode");
    if (cJSON_IsBool(v))
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "%s.updateMode: must be a string, got boolean (YAML reads an "
                            "unquoted Off as false: quote it)",
                            fp);
    TRY(jsonfield_string(up, "updateMode", fp, &mode, err));
    if (mode == NULL)
        return SNUG_OK;
    if (strcmp(mode, "Off") == 0) {
        out->active = false;
        return SNUG_OK;
    }
    for (i = 0; modes[i] != NULL; i++) {
        if (strcmp(mode, modes[i]) == 0)
            return SNUG_OK;
    }
    return snug_err_set(err, SNUG_ERR_INVALID,
                        "%s.updateMode: must be Off, Initial, Recreate, Auto or "
                        "InPlaceOrRecreate, got \"%s\"",
                        fp, mode);
}

/* Whether an entry before `c` in its array has containerName `name`. */
static bool name_seen_before(const cJSON *list, const cJSON *c, const char *name)
{
    const cJSON *e;

    for (e = list->child; e != NULL && e != c; e = e->next) {
        const cJSON *n = jsonfield_get(e, "containerName");

        if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
            return true;
    }
    return false;
}

/* Entry `c` of containerRecommendations (`list`), checked whole; kept in
 * out->c while there is room, else out->truncated is set. */
static snug_status read_container_rec(const cJSON *list, const cJSON *c, const char *path,
                                      vpa_info *out, snug_err *err)
{
    vpa_container vc;
    const cJSON *target = NULL;
    fpath fp;

    memset(&vc, 0, sizeof(vc)); /* copied whole into out: no stray bytes */
    if (!cJSON_IsObject(c))
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: must be an object, got %s", path,
                            jsonfield_type_name(c));
    TRY(copy_required(c, "containerName", path, vc.name, sizeof(vc.name), err));
    if (name_seen_before(list, c, vc.name))
        return snug_err_set(err, SNUG_ERR_INVALID, "%s.containerName: \"%s\" is given twice", path,
                            vc.name);
    TRY(required_object(c, "target", path, &target, err));
    jsonfield_path(fp, sizeof(fp), path, "target");
    vc.target.cpu_milli = RES_UNSET;
    vc.target.mem_bytes = RES_UNSET;
    TRY(quantity_field(target, "cpu", fp, QUANTITY_FIELD_MILLI, &vc.target.cpu_milli, err));
    TRY(quantity_field(target, "memory", fp, QUANTITY_FIELD_UNITS, &vc.target.mem_bytes, err));
    if (out->n < AUTOSCALER_VPA_MAX_CONTAINERS)
        out->c[out->n++] = vc;
    else
        out->truncated = true;
    return SNUG_OK;
}

/* status.recommendation.containerRecommendations, all optional. */
static snug_status read_recommendations(const cJSON *vpa, vpa_info *out, snug_err *err)
{
    const cJSON *status = NULL, *rec = NULL, *list = NULL, *c;
    const char *lp = "status.recommendation.containerRecommendations";
    fpath fp = "";
    size_t i = 0;

    TRY(jsonfield_object(vpa, "status", "", &status, err));
    TRY(jsonfield_section(status, "recommendation", "status", NULL, &rec, fp, sizeof(fp), err));
    TRY(jsonfield_array(rec, "containerRecommendations", fp, &list, err));
    if (cJSON_GetArraySize(list) > AUTOSCALER_VPA_MAX_ENTRIES)
        return snug_err_set(err, SNUG_ERR_TOO_BIG, "%s: %d entries, more than %d", lp,
                            cJSON_GetArraySize(list), AUTOSCALER_VPA_MAX_ENTRIES);
    cJSON_ArrayForEach(c, list)
    {
        jsonfield_index_path(fp, sizeof(fp), lp, i++);
        TRY(read_container_rec(list, c, fp, out, err));
    }
    return SNUG_OK;
}

static snug_status read_vpa(const cJSON *vpa, vpa_info *out, snug_err *err)
{
    const cJSON *spec = NULL;

    TRY(required_object(vpa, "spec", "", &spec, err));
    TRY(read_ref(spec, "targetRef", out->kind, out->name, err));
    TRY(read_update_mode(spec, out, err));
    return read_recommendations(vpa, out, err);
}

snug_status autoscaler_vpa_parse(const cJSON *vpa, vpa_info *out, snug_err *err)
{
    char label[LABEL_MAX];
    snug_status st;

    memset(out, 0, sizeof(*out));
    st = read_header(vpa, VPA_KIND, VPA_API_VERSION, out->ns, label, err);
    if (st == SNUG_OK)
        st = read_vpa(vpa, out, err);
    if (st != SNUG_OK) {
        memset(out, 0, sizeof(*out));
        return snug_err_wrap(err, st, VPA_KIND "%s%s", label[0] ? " " : "", label);
    }
    return SNUG_OK;
}

const vpa_container *autoscaler_vpa_container(const vpa_info *v, const char *name)
{
    size_t i;

    if (v == NULL || name == NULL)
        return NULL;
    for (i = 0; i < v->n; i++) {
        if (strcmp(v->c[i].name, name) == 0)
            return &v->c[i];
    }
    return NULL;
}

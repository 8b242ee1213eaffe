/* kube_events.c -- building and creating events.k8s.io/v1 Events. */
#include "kube/kube_events.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube_api.h"

#define KUBE_NAME_MAX 253

static const kube_resource event_resource = {"events.k8s.io", "v1", "events"};

void kube_objref_from_object(const cJSON *obj, kube_objref *ref)
{
    memset(ref, 0, sizeof(*ref));
    ref->api_version = kube_json_str(obj, "apiVersion");
    ref->kind = kube_json_str(obj, "kind");
    ref->ns = kube_obj_namespace(obj);
    ref->name = kube_obj_name(obj);
    ref->uid = kube_json_str(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "uid");
    ref->resource_version = kube_obj_resource_version(obj);
}

static int empty(const char *s)
{
    return s == NULL || s[0] == '\0';
}

static snug_status check_field(const char *name, const char *value, snug_err *err)
{
    if (empty(value))
        return snug_err_set(err, SNUG_ERR_INVALID, "event %s: missing", name);
    if (strlen(value) > KUBE_EVENT_FIELD_MAX)
        return snug_err_set(err, SNUG_ERR_INVALID, "event %s: longer than %d characters", name,
                            KUBE_EVENT_FIELD_MAX);
    return SNUG_OK;
}

static snug_status event_check(const kube_event *ev, snug_err *err)
{
    snug_status st = check_field("reportingController", ev->reporting_controller, err);

    if (st == SNUG_OK && strlen(ev->reporting_controller) > 316)
        st = snug_err_set(err, SNUG_ERR_INVALID, "event reportingController: too long");
    if (st == SNUG_OK)
        st = check_field("reportingInstance", ev->reporting_instance, err);
    if (st == SNUG_OK)
        st = check_field("action", ev->action, err);
    if (st == SNUG_OK)
        st = check_field("reason", ev->reason, err);
    if (st == SNUG_OK && (empty(ev->regarding.name) || empty(ev->regarding.kind)))
        st = snug_err_set(err, SNUG_ERR_INVALID, "event regarding: kind and name needed");
    if (st == SNUG_OK && ev->type != NULL && strcmp(ev->type, "Normal") != 0 &&
        strcmp(ev->type, "Warning") != 0)
        st = snug_err_set(err, SNUG_ERR_INVALID, "event type: \"%.32s\" is not Normal or Warning",
                          ev->type);
    return st;
}

/* Add key: value when value is non-empty. 0 on NOMEM. */
static int add_opt(cJSON *obj, const char *key, const char *value)
{
    if (empty(value))
        return 1;
    return cJSON_AddStringToObject(obj, key, value) != NULL;
}

static int add_ref(cJSON *parent, const char *key, const kube_objref *ref)
{
    cJSON *o = cJSON_AddObjectToObject(parent, key);

    return o != NULL && add_opt(o, "apiVersion", ref->api_version) &&
           add_opt(o, "kind", ref->kind) && add_opt(o, "namespace", ref->ns) &&
           add_opt(o, "name", ref->name) && add_opt(o, "uid", ref->uid) &&
           add_opt(o, "resourceVersion", ref->resource_version) &&
           add_opt(o, "fieldPath", ref->field_path);
}

/* Copy of `note` cut to KUBE_EVENT_NOTE_MAX bytes on a character boundary. */
static char *note_cut(const char *note)
{
    size_t n = strlen(note);

    if (n > KUBE_EVENT_NOTE_MAX) {
        n = KUBE_EVENT_NOTE_MAX;
        while (n > 0 && ((unsigned char)note[n] & 0xC0) == 0x80)
            n--; /* note[n] continues a character: cut before its start */
    }
    return strndup(note, n);
}

/* "<name>.<hex nanoseconds>", the name cut so the whole fits 253. */
static void event_name(const char *obj_name, const struct timespec *now, char *out, size_t len)
{
    unsigned long long ns =
        (unsigned long long)now->tv_sec * 1000000000ULL + (unsigned long long)now->tv_nsec;
    char suffix[24];
    int keep;

    snprintf(suffix, sizeof(suffix), ".%llx", ns);
    keep = (int)(KUBE_NAME_MAX - strlen(suffix));
    snprintf(out, len, "%.*s%s", keep, obj_name, suffix);
}

static int event_fill(cJSON *obj, const kube_event *ev, const struct timespec *now)
{
    char name[KUBE_NAME_MAX + 1];
    char when[KUBE_MICROTIME_LEN];
    char *note = ev->note != NULL ? note_cut(ev->note) : NULL;
    cJSON *meta = NULL;
    int ok;

    event_name(ev->regarding.name, now, name, sizeof(name));
    kube_microtime_format(now, when);
    ok = (ev->note == NULL || note != NULL) && add_opt(obj, "apiVersion", "events.k8s.io/v1") &&
         add_opt(obj, "kind", "Event");
    if (ok)
        meta = cJSON_AddObjectToObject(obj, "metadata");
    ok = ok && meta != NULL && add_opt(meta, "name", name) &&
         add_opt(meta, "namespace", empty(ev->regarding.ns) ? "default" : ev->regarding.ns) &&
         add_opt(obj, "eventTime", when) &&
         add_opt(obj, "reportingController", ev->reporting_controller) &&
         add_opt(obj, "reportingInstance", ev->reporting_instance) &&
         add_opt(obj, "action", ev->action) && add_opt(obj, "reason", ev->reason) &&
         add_opt(obj, "note", note) && add_opt(obj, "type", ev->type ? ev->type : "Normal") &&
         add_ref(obj, "regarding", &ev->regarding) &&
         (ev->related == NULL || add_ref(obj, "related", ev->related));
    free(note);
    return ok;
}

snug_status kube_event_build(const kube_event *ev, const struct timespec *now, cJSON **out,
                             snug_err *err)
{
    cJSON *obj;
    snug_status st = event_check(ev, err);

    *out = NULL;
    if (st != SNUG_OK)
        return st;
    obj = cJSON_CreateObject();
    if (obj == NULL || !event_fill(obj, ev, now)) {
        cJSON_Delete(obj);
        return snug_err_set(err, SNUG_ERR_NOMEM, "event: out of memory");
    }
    *out = obj;
    return SNUG_OK;
}

snug_status kube_event_create(kube_client *c, const kube_event *ev, cJSON **out, snug_err *err)
{
    struct timespec now;
    cJSON *obj = NULL;
    snug_status st;

    clock_gettime(CLOCK_REALTIME, &now);
    st = kube_event_build(ev, &now, &obj, err);
    if (st == SNUG_OK)
        st = kube_create(c, &event_resource, NULL, obj, NULL, out, err);
    cJSON_Delete(obj);
    return st;
}

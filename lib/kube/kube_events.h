/* kube_events.h -- Kubernetes Events (events.k8s.io/v1) about objects.
 *
 * An Event names the object it is about (`regarding`), who reports it
 * (reportingController, a qualified name such as "snug.dev/controller", and
 * reportingInstance, e.g. the pod name), what was done (`action`) and why
 * (`reason`), a human `note`, a type (Normal or Warning) and eventTime as a
 * MicroTime. The API server refuses new-style Events without
 * reportingController, reportingInstance, action or reason, so these are
 * checked here first; reportingInstance, action and reason may have at most
 * 128 characters, the note at most 1 kB (longer notes are cut at a UTF-8
 * character boundary).
 *
 * The Event goes into the regarding object's namespace, or "default" for a
 * cluster-scoped object; its name is "<object name>.<unix nanoseconds in
 * hex>" like client-go's.
 */
#ifndef SNUG_KUBE_EVENTS_H
#define SNUG_KUBE_EVENTS_H

#include <time.h>

#include <cjson/cJSON.h>

#include "kube/kube_client.h"
#include "kube/kube_objects.h"
#include "base/status.h"

#define KUBE_EVENT_FIELD_MAX 128
#define KUBE_EVENT_NOTE_MAX  1024

/* An ObjectReference; all strings borrowed, NULL = absent. */
typedef struct kube_objref {
    const char *api_version;
    const char *kind;
    const char *ns;
    const char *name;
    const char *uid;
    const char *resource_version;
    const char *field_path;
} kube_objref;

typedef struct kube_event {
    const char *reporting_controller; /* required */
    const char *reporting_instance;   /* required */
    const char *action;               /* required, machine-readable ("Recommend") */
    const char *reason;               /* required, CamelCase ("RecommendationUpdated") */
    const char *note;                 /* may be NULL */
    const char *type;                 /* "Normal" (NULL) or "Warning" */
    kube_objref regarding;            /* name and kind required */
    const kube_objref *related;       /* may be NULL */
} kube_event;

/* Fill `ref` with borrowed pointers into `obj` (apiVersion, kind,
 * metadata.namespace/name/uid/resourceVersion). */
void kube_objref_from_object(const cJSON *obj, kube_objref *ref);

/* Build the Event object for time `now` (CLOCK_REALTIME). *out is the
 * caller's. SNUG_ERR_INVALID naming the field when a required field is
 * missing or too long, or the type is neither Normal nor Warning. */
snug_status kube_event_build(const kube_event *ev, const struct timespec *now, cJSON **out,
                             snug_err *err);

/* Build and POST the Event now. `out` (may be NULL) receives the created
 * Event. */
snug_status kube_event_create(kube_client *c, const kube_event *ev, cJSON **out, snug_err *err);

#endif

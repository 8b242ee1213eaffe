/* admission.c -- AdmissionReview decoding, decision and encoding. */
#include "webhook/admission.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json/base64.h"
#include "base/dynbuf.h"
#include "json/jsonarena.h"
#include "json/jsonfield.h"
#include "json/jsonparse.h"
#include "json/jsonprint.h"
#include "base/log.h"
#include "webhook/mutate.h"
#include "model/workload.h"

#define ADMISSION_MAX_RESPONSE (64u << 20)

/* What we read out of the request, all borrowed from the parsed tree. */
typedef struct review {
    const char *api_version;
    const char *uid;
    const char *operation;
    const char *namespace;
    const char *kind;         /* request.kind.kind */
    const char *kind_group;   /* request.kind.group */
    const char *sub_resource; /* may be NULL */
    const cJSON *object;
    bool dry_run;
} review;

/* The answer being built. */
typedef struct answer {
    admission_outcome outcome;
    unsigned changed;
    const cJSON *patch; /* borrowed, may be NULL */
    const char *const *warnings;
    size_t n_warnings;
    const char *extra_warning; /* one more, may be NULL */
} answer;

const char *admission_outcome_name(admission_outcome o)
{
    static const char *names[] = {"mutated", "unchanged", "skipped",
                                  "audit",   "invalid",   "bad_request"};

    if ((unsigned)o >= ADMISSION_OUTCOME_COUNT)
        return "unknown";
    return names[o];
}

static const char *json_str(const cJSON *obj, const char *key)
{
    const cJSON *it = jsonfield_member(obj, key);

    return cJSON_IsString(it) ? it->valuestring : NULL;
}

static snug_status bad_request(admission_result *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static snug_status bad_request(admission_result *out, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    out->http_status = 400;
    out->outcome = ADMISSION_BAD_REQUEST;
    out->content_type = "text/plain";
    out->body = strdup(msg);
    if (out->body == NULL)
        return SNUG_ERR_NOMEM;
    out->body_len = strlen(out->body);
    return SNUG_OK;
}

/* Fill rv from the parsed review; on failure write a 400 into out and return
 * false. */
static bool review_read(const cJSON *root, review *rv, admission_result *out, snug_status *st)
{
    const cJSON *req, *kind, *dry;
    const char *kind_name;

    memset(rv, 0, sizeof(*rv));
    *st = SNUG_OK;
    if (!cJSON_IsObject(root)) {
        *st = bad_request(out, "AdmissionReview must be a JSON object");
        return false;
    }
    rv->api_version = json_str(root, "apiVersion");
    kind_name = json_str(root, "kind");
    if (rv->api_version == NULL || (strcmp(rv->api_version, "admission.k8s.io/v1") != 0 &&
                                    strcmp(rv->api_version, "admission.k8s.io/v1beta1") != 0)) {
        *st = bad_request(out, "unsupported apiVersion \"%s\": want admission.k8s.io/v1",
                          rv->api_version ? rv->api_version : "(missing)");
        return false;
    }
    if (kind_name == NULL || strcmp(kind_name, "AdmissionReview") != 0) {
        *st = bad_request(out, "unsupported kind \"%s\": want AdmissionReview",
                          kind_name ? kind_name : "(missing)");
        return false;
    }
    req = jsonfield_member(root, "request");
    if (!cJSON_IsObject(req)) {
        *st = bad_request(out, "AdmissionReview has no request object");
        return false;
    }
    rv->uid = json_str(req, "uid");
    if (rv->uid == NULL || rv->uid[0] == '\0' || strlen(rv->uid) > ADMISSION_UID_MAX) {
        *st = bad_request(out, "request.uid must be a non-empty string of at most 256 bytes");
        return false;
    }
    memcpy(out->uid, rv->uid, strlen(rv->uid) + 1); /* fits: checked above */
    rv->operation = json_str(req, "operation");
    rv->namespace = json_str(req, "namespace");
    rv->sub_resource = json_str(req, "subResource");
    kind = jsonfield_member(req, "kind");
    rv->kind = json_str(kind, "kind");
    rv->kind_group = json_str(kind, "group");
    rv->object = jsonfield_member(req, "object");
    dry = jsonfield_member(req, "dryRun");
    rv->dry_run = cJSON_IsTrue(dry);
    out->dry_run = rv->dry_run;
    return true;
}

static bool review_is_pod_create(const review *rv)
{
    return rv->kind != NULL && strcmp(rv->kind, "Pod") == 0 &&
           (rv->kind_group == NULL || rv->kind_group[0] == '\0') && rv->operation != NULL &&
           strcmp(rv->operation, "CREATE") == 0 &&
           (rv->sub_resource == NULL || rv->sub_resource[0] == '\0');
}

/* The response is written straight into one buffer (apiVersion, kind,
 * response: uid, allowed, patchType, patch, warnings, auditAnnotations):
 * no tree is built just to be printed. */

static snug_status put_str(dynbuf *b, const char *s)
{
    return jsonprint_string_literal(b, s, strlen(s), NULL);
}

/* ,"patchType":"JSONPatch","patch":"<base64 of the compact patch>" */
static snug_status put_patch(dynbuf *b, const cJSON *patch)
{
    dynbuf json;
    snug_status st;

    if (patch == NULL || patch->child == NULL)
        return SNUG_OK;
    dynbuf_init(&json, ADMISSION_MAX_RESPONSE);
    st = jsonprint_append(&json, patch, NULL);
    if (st == SNUG_OK)
        st = dynbuf_addstr(b, ",\"patchType\":\"JSONPatch\",\"patch\":\"");
    if (st == SNUG_OK)
        st = base64_encode_append(b, dynbuf_str(&json), dynbuf_len(&json));
    if (st == SNUG_OK)
        st = dynbuf_addc(b, '"');
    dynbuf_free(&json);
    return st;
}

static snug_status put_warnings(dynbuf *b, const answer *a)
{
    snug_status st;
    size_t i;

    if (a->n_warnings == 0 && a->extra_warning == NULL)
        return SNUG_OK;
    st = dynbuf_addstr(b, ",\"warnings\":[");
    for (i = 0; st == SNUG_OK && i < a->n_warnings; i++) {
        if (i > 0)
            st = dynbuf_addc(b, ',');
        if (st == SNUG_OK)
            st = put_str(b, a->warnings[i]);
    }
    if (st == SNUG_OK && a->extra_warning != NULL) {
        if (a->n_warnings > 0)
            st = dynbuf_addc(b, ',');
        if (st == SNUG_OK)
            st = put_str(b, a->extra_warning);
    }
    return st == SNUG_OK ? dynbuf_addc(b, ']') : st;
}

/* ,"auditAnnotations":{"mutated"|"audit":"resources,probes,go-env"} */
static snug_status put_audit_annotations(dynbuf *b, const answer *a)
{
    char what[64];
    snug_status st;

    if (a->changed == 0)
        return SNUG_OK;
    mutate_changed_str(a->changed, what, sizeof(what));
    st = dynbuf_addstr(b, a->outcome == ADMISSION_AUDIT ? ",\"auditAnnotations\":{\"audit\":"
                                                        : ",\"auditAnnotations\":{\"mutated\":");
    if (st == SNUG_OK)
        st = put_str(b, what);
    return st == SNUG_OK ? dynbuf_addc(b, '}') : st;
}

/* Encode the allowed response for `a` into out. */
static snug_status answer_encode(const review *rv, const answer *a, admission_result *out)
{
    dynbuf b;
    snug_status st;

    dynbuf_init(&b, ADMISSION_MAX_RESPONSE);
    dynbuf_prealloc(&b, 2048);
    st = dynbuf_addstr(&b, "{\"apiVersion\":");
    if (st == SNUG_OK)
        st = put_str(&b, rv->api_version);
    if (st == SNUG_OK)
        st = dynbuf_addstr(&b, ",\"kind\":\"AdmissionReview\",\"response\":{\"uid\":");
    if (st == SNUG_OK)
        st = put_str(&b, rv->uid);
    if (st == SNUG_OK)
        st = dynbuf_addstr(&b, ",\"allowed\":true");
    if (st == SNUG_OK)
        st = put_patch(&b, a->patch);
    if (st == SNUG_OK)
        st = put_warnings(&b, a);
    if (st == SNUG_OK)
        st = put_audit_annotations(&b, a);
    if (st == SNUG_OK)
        st = dynbuf_addstr(&b, "}}");
    if (st == SNUG_OK) {
        out->body_len = dynbuf_len(&b);
        out->body = dynbuf_take(&b);
        st = out->body ? SNUG_OK : SNUG_ERR_NOMEM;
    }
    if (st == SNUG_OK) {
        out->http_status = 200;
        out->content_type = "application/json";
        out->outcome = a->outcome;
        out->changed = a->changed;
    }
    dynbuf_free(&b);
    return st == SNUG_ERR_TOO_BIG ? SNUG_ERR_NOMEM : st;
}

/* The namespace labels to match policies against: the store's, else just
 * the label the API server puts on every namespace. */
static cJSON *ns_labels_fallback(const char *ns)
{
    cJSON *labels = cJSON_CreateObject();

    if (labels != NULL && ns != NULL)
        cJSON_AddStringToObject(labels, "kubernetes.io/metadata.name", ns);
    return labels;
}

static const recommendation *find_rec(store *s, const cJSON *pod, const char *ns)
{
    workload_ref wl;

    if (workload_from_pod(pod, store_job_owner, s, &wl, NULL) != SNUG_OK)
        return NULL;
    return rec_set_find(store_recommendations(s), ns, wl.kind, wl.name);
}

static admission_outcome outcome_of(const mutate_result *mr)
{
    if (mr->audit)
        return ADMISSION_AUDIT;
    if (mr->skipped != NULL)
        return ADMISSION_SKIPPED;
    if (mr->patch != NULL && cJSON_GetArraySize(mr->patch) > 0)
        return ADMISSION_MUTATED;
    return ADMISSION_UNCHANGED;
}

/* Run the engine for a Pod CREATE under the store's read lock. */
static snug_status decide_pod(store *s, const review *rv, admission_result *out)
{
    mutate_input in;
    mutate_result mr;
    answer a;
    snug_err err;
    snug_status st;
    cJSON *fallback = NULL;
    const cJSON *pod_labels;
    char warning[SNUG_ERR_MSG_MAX + 64];

    memset(&in, 0, sizeof(in));
    memset(&mr, 0, sizeof(mr));
    memset(&a, 0, sizeof(a));
    store_read_lock(s);
    in.pod = rv->object;
    in.namespace = rv->namespace;
    in.namespace_labels = store_namespace_labels(s, rv->namespace);
    if (in.namespace_labels == NULL) {
        fallback = ns_labels_fallback(rv->namespace);
        in.namespace_labels = fallback;
    }
    pod_labels = jsonfield_member(jsonfield_member(rv->object, "metadata"), "labels");
    in.policy = policy_set_select(store_policies(s), pod_labels, in.namespace_labels);
    in.rec = in.policy ? find_rec(s, rv->object, rv->namespace) : NULL;
    in.limits = store_limits(s, rv->namespace);
    in.is_create = true;
    in.in_place = true; /* nothing reads the request's Pod after the engine */
    st = mutate_pod(&in, &mr, &err);
    store_read_unlock(s);
    if (st == SNUG_OK) {
        a.outcome = outcome_of(&mr);
        a.changed = mr.changed;
        a.patch = mr.patch;
        a.warnings = (const char *const *)mr.warnings;
        a.n_warnings = mr.n_warnings;
        st = answer_encode(rv, &a, out);
    } else if (st != SNUG_ERR_NOMEM) {
        snprintf(warning, sizeof(warning), "snug: Pod left unchanged: %s", err.msg);
        a.outcome = ADMISSION_INVALID;
        a.extra_warning = warning;
        st = answer_encode(rv, &a, out);
    }
    mutate_result_free(&mr);
    cJSON_Delete(fallback);
    return st;
}

static snug_status decide(store *s, const review *rv, admission_result *out)
{
    answer a;

    memset(&a, 0, sizeof(a));
    if (!review_is_pod_create(rv)) {
        a.outcome = ADMISSION_SKIPPED;
        return answer_encode(rv, &a, out);
    }
    if (!cJSON_IsObject(rv->object)) {
        a.outcome = ADMISSION_INVALID;
        a.extra_warning = "snug: Pod left unchanged: request.object is missing or not an object";
        return answer_encode(rv, &a, out);
    }
    return decide_pod(s, rv, out);
}

snug_status admission_handle(store *s, const char *body, size_t len, admission_result *out)
{
    cJSON *root = NULL;
    review rv;
    snug_status st = SNUG_OK, pst;
    snug_err perr;
    int arena;

    memset(out, 0, sizeof(*out));
    if (body == NULL || len == 0)
        return bad_request(out, "empty request body");
    arena = jsonarena_begin(); /* every cJSON tree below dies before the end */
    pst = jsonparse(body, len, &root, &perr);
    if (pst == SNUG_ERR_NOMEM)
        st = pst;
    else if (pst != SNUG_OK)
        st = bad_request(out, "request body is not valid %s", perr.msg); /* "JSON: at offset..." */
    else if (review_read(root, &rv, out, &st))
        st = decide(s, &rv, out);
    jsonarena_delete(root); /* in the arena: nothing to walk */
    if (arena)
        jsonarena_end();
    return st;
}

void admission_result_free(admission_result *r)
{
    if (r == NULL)
        return;
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
}

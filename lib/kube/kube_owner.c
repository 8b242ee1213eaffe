/* kube_owner.c -- ownerReferences (see kube_owner.h). */
#include "kube/kube_owner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube/kube_objects.h"

#define OWNER_ADOPT_TRIES 5

void kube_owner_clear(kube_owner *o)
{
    if (o == NULL)
        return;
    free(o->api_version);
    free(o->kind);
    free(o->name);
    free(o->uid);
    free(o->ns);
    memset(o, 0, sizeof(*o));
}

snug_status kube_owner_copy(const kube_owner *from, kube_owner *to, snug_err *err)
{
    memset(to, 0, sizeof(*to));
    to->api_version = strdup(from->api_version);
    to->kind = strdup(from->kind);
    to->name = strdup(from->name);
    to->uid = strdup(from->uid);
    to->ns = from->ns != NULL ? strdup(from->ns) : NULL;
    if (!to->api_version || !to->kind || !to->name || !to->uid || (from->ns && !to->ns)) {
        kube_owner_clear(to);
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    }
    return SNUG_OK;
}

static char *api_version_of(const kube_resource *r)
{
    size_t n;
    char *s;

    if (r->group == NULL || r->group[0] == '\0')
        return strdup(r->version);
    n = strlen(r->group) + strlen(r->version) + 2;
    s = malloc(n);
    if (s != NULL)
        snprintf(s, n, "%s/%s", r->group, r->version);
    return s;
}

snug_status kube_owner_from_object(const cJSON *obj, const kube_resource *r, const char *kind,
                                   kube_owner *out, snug_err *err)
{
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    const char *name = kube_json_str(md, "name");
    const char *uid = kube_json_str(md, "uid");
    const char *ns = kube_json_str(md, "namespace");

    memset(out, 0, sizeof(*out));
    if (name == NULL || name[0] == '\0' || uid == NULL || uid[0] == '\0')
        return snug_err_set(err, SNUG_ERR_INVALID, "%s %s: metadata.%s missing", kind,
                            name ? name : "(no name)", name && name[0] ? "uid" : "name");
    out->api_version = api_version_of(r);
    out->kind = strdup(kind);
    out->name = strdup(name);
    out->uid = strdup(uid);
    out->ns = ns != NULL && ns[0] != '\0' ? strdup(ns) : NULL;
    if (!out->api_version || !out->kind || !out->name || !out->uid ||
        (ns != NULL && ns[0] != '\0' && !out->ns)) {
        kube_owner_clear(out);
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    }
    return SNUG_OK;
}

bool kube_owner_fits(const kube_owner *o, const char *dep_ns)
{
    if (o->ns == NULL)
        return true;
    return dep_ns != NULL && strcmp(o->ns, dep_ns) == 0;
}

snug_status kube_owner_check_fits(const kube_owner *o, const char *dep_ns, snug_err *err)
{
    if (kube_owner_fits(o, dep_ns))
        return SNUG_OK;
    return snug_err_set(err, SNUG_ERR_INVALID, "%s %s/%s cannot own an object of namespace %s",
                        o->kind, o->ns, o->name, dep_ns ? dep_ns : "(none)");
}

static const cJSON *owner_refs(const cJSON *obj)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"),
                                            "ownerReferences");
}

bool kube_owner_is_on(const cJSON *obj, const kube_owner *o)
{
    const cJSON *ref;

    cJSON_ArrayForEach(ref, owner_refs(obj))
    {
        const char *uid = kube_json_str(ref, "uid");

        if (uid != NULL && strcmp(uid, o->uid) == 0)
            return true;
    }
    return false;
}

/* The group part of an apiVersion ("" for the core group's "v1"). */
static size_t group_len(const char *api_version)
{
    const char *slash = strchr(api_version, '/');

    return slash != NULL ? (size_t)(slash - api_version) : 0;
}

/* A reference to the same owner by group, kind and name (any uid). */
static bool same_owner_name(const cJSON *ref, const kube_owner *o)
{
    const char *av = kube_json_str(ref, "apiVersion");
    const char *kind = kube_json_str(ref, "kind");
    const char *name = kube_json_str(ref, "name");
    size_t g;

    if (av == NULL || kind == NULL || name == NULL)
        return false;
    g = group_len(av);
    return g == group_len(o->api_version) && strncmp(av, o->api_version, g) == 0 &&
           strcmp(kind, o->kind) == 0 && strcmp(name, o->name) == 0;
}

static cJSON *ref_json(const kube_owner *o)
{
    cJSON *ref = cJSON_CreateObject();

    if (ref == NULL || !cJSON_AddStringToObject(ref, "apiVersion", o->api_version) ||
        !cJSON_AddStringToObject(ref, "kind", o->kind) ||
        !cJSON_AddStringToObject(ref, "name", o->name) ||
        !cJSON_AddStringToObject(ref, "uid", o->uid)) {
        cJSON_Delete(ref);
        return NULL;
    }
    return ref;
}

/* obj's metadata.ownerReferences, made when missing; NULL with *st set when
 * a field has the wrong type or on NOMEM. */
static cJSON *refs_for_write(cJSON *obj, snug_status *st, snug_err *err)
{
    cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    cJSON *refs;

    *st = SNUG_OK;
    if (md != NULL && !cJSON_IsObject(md)) {
        *st = snug_err_set(err, SNUG_ERR_INVALID, "metadata: want an object");
        return NULL;
    }
    refs = cJSON_GetObjectItemCaseSensitive(md, "ownerReferences");
    if (refs != NULL && !cJSON_IsArray(refs)) {
        *st = snug_err_set(err, SNUG_ERR_INVALID, "metadata.ownerReferences: want an array");
        return NULL;
    }
    if (refs != NULL)
        return refs;
    if (md == NULL)
        md = cJSON_AddObjectToObject(obj, "metadata");
    refs = md != NULL ? cJSON_AddArrayToObject(md, "ownerReferences") : NULL;
    if (refs == NULL)
        *st = snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    return refs;
}

snug_status kube_owner_set_on(cJSON *obj, const kube_owner *o, bool *changed, snug_err *err)
{
    cJSON *refs, *ref, *next;
    snug_status st;

    if (changed != NULL)
        *changed = false;
    if (kube_owner_is_on(obj, o))
        return SNUG_OK;
    ref = ref_json(o);
    if (ref == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    refs = refs_for_write(obj, &st, err);
    if (refs == NULL) {
        cJSON_Delete(ref);
        return st;
    }
    for (next = refs->child; next != NULL;) {
        cJSON *cur = next;

        next = cur->next;
        if (same_owner_name(cur, o)) /* a stale uid: that owner is gone */
            cJSON_Delete(cJSON_DetachItemViaPointer(refs, cur));
    }
    cJSON_AddItemToArray(refs, ref);
    if (changed != NULL)
        *changed = true;
    return SNUG_OK;
}

snug_status kube_owner_lookup(kube_client *c, const kube_resource *r, const char *kind,
                              const char *ns, const char *name, kube_owner *out, snug_err *err)
{
    cJSON *obj = NULL;
    snug_status st = kube_get(c, r, ns, name, &obj, err);

    memset(out, 0, sizeof(*out));
    if (st == SNUG_OK)
        st = kube_owner_from_object(obj, r, kind, out, err);
    if (st != SNUG_OK)
        snug_err_prefix(err, "%s %s%s%s", kind, ns ? ns : "", ns ? "/" : "", name);
    cJSON_Delete(obj);
    return st;
}

snug_status kube_owner_adopt(kube_client *c, const kube_resource *r, const char *ns,
                             const char *name, const kube_owner *o, const char *field_manager,
                             cJSON **out, snug_err *err)
{
    kube_write_opts wo = {.field_manager = field_manager};
    cJSON *obj = NULL;
    bool changed = false;
    snug_status st = SNUG_ERR_CONFLICT;
    int i;

    if (out != NULL)
        *out = NULL;
    if (kube_owner_check_fits(o, ns, err) != SNUG_OK)
        return SNUG_ERR_INVALID;
    for (i = 0; i < OWNER_ADOPT_TRIES && st == SNUG_ERR_CONFLICT; i++) {
        cJSON_Delete(obj);
        obj = NULL;
        st = kube_get(c, r, ns, name, &obj, err);
        if (st == SNUG_OK)
            st = kube_owner_set_on(obj, o, &changed, err);
        if (st == SNUG_OK && changed) {
            cJSON *stored = NULL;

            st = kube_update(c, r, ns, name, obj, &wo, &stored, err);
            if (st == SNUG_OK) {
                cJSON_Delete(obj);
                obj = stored;
            }
        }
    }
    if (st == SNUG_OK && out != NULL) {
        *out = obj;
        obj = NULL;
    }
    cJSON_Delete(obj);
    return st;
}

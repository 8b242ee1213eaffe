/* workload.c -- the workload a Pod belongs to, from the Pod alone. */
#include "model/workload.h"

#include <stdio.h>
#include <string.h>

#include "json/jsonfield.h"

#define TRY(expr)                                                                                  \
    do {                                                                                           \
        snug_status t_st_ = (expr);                                                                \
        if (t_st_ != SNUG_OK)                                                                      \
            return t_st_;                                                                          \
    } while (0)

static snug_status set_ref(workload_ref *out, const char *kind, const char *name, size_t name_len,
                           snug_err *err)
{
    if (strlen(kind) >= sizeof(out->kind))
        return snug_err_set(err, SNUG_ERR_INVALID, "kind \"%.64s...\" is too long", kind);
    if (name_len == 0)
        return snug_err_set(err, SNUG_ERR_INVALID, "%s has an empty name", kind);
    if (name_len >= sizeof(out->name))
        return snug_err_set(err, SNUG_ERR_INVALID, "%s name is longer than %zu characters", kind,
                            sizeof(out->name) - 1);
    memcpy(out->kind, kind, strlen(kind) + 1); /* fits: checked above */
    memcpy(out->name, name, name_len);
    out->name[name_len] = '\0';
    return SNUG_OK;
}

/* The first ownerReference with controller: true (the API server allows
 * only one), or NULL when none; path gets its field path. */
static snug_status controller_owner(const cJSON *md, const cJSON **owner, char *path, size_t cap,
                                    snug_err *err)
{
    const cJSON *refs = NULL, *ref;
    bool ctl;
    size_t i = 0;

    *owner = NULL;
    TRY(jsonfield_array(md, "ownerReferences", "metadata", &refs, err));
    if (refs == NULL)
        return SNUG_OK;
    cJSON_ArrayForEach(ref, refs)
    {
        jsonfield_index_path(path, cap, "metadata.ownerReferences", i++);
        if (!cJSON_IsObject(ref))
            return snug_err_set(err, SNUG_ERR_INVALID, "%s: must be an object, got %s", path,
                                jsonfield_type_name(ref));
        ctl = false;
        TRY(jsonfield_bool(ref, "controller", path, &ctl, err));
        if (ctl) {
            *owner = ref;
            return SNUG_OK;
        }
    }
    return SNUG_OK;
}

static snug_status owner_field(const cJSON *owner, const char *opath, const char *key,
                               const char **out, snug_err *err)
{
    char path[JSONFIELD_PATH_MAX];

    *out = NULL;
    TRY(jsonfield_string(owner, key, opath, out, err));
    if (*out == NULL || (*out)[0] == '\0') {
        jsonfield_path(path, sizeof(path), opath, key);
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: required", path);
    }
    return SNUG_OK;
}

/* ReplicaSet "<deployment>-<hash>" with label pod-template-hash=<hash>. */
static snug_status from_replicaset(const cJSON *md, const char *rs, workload_ref *out,
                                   snug_err *err)
{
    const cJSON *labels = NULL;
    const char *hash = NULL;
    size_t rl = strlen(rs), hl;

    TRY(jsonfield_object(md, "labels", "metadata", &labels, err));
    TRY(jsonfield_string(labels, "pod-template-hash", "metadata.labels", &hash, err));
    if (hash != NULL && hash[0] != '\0') {
        hl = strlen(hash);
        if (rl > hl + 1 && rs[rl - hl - 1] == '-' && strcmp(rs + rl - hl, hash) == 0)
            return set_ref(out, "Deployment", rs, rl - hl - 1, err);
    }
    return set_ref(out, "ReplicaSet", rs, rl, err);
}

static snug_status from_owner(const cJSON *md, const cJSON *owner, const char *opath,
                              job_owner_fn job_owner, void *ud, workload_ref *out, snug_err *err)
{
    const char *kind, *name, *ns = NULL;
    char cron[WORKLOAD_NAME_MAX];

    TRY(owner_field(owner, opath, "kind", &kind, err));
    TRY(owner_field(owner, opath, "name", &name, err));
    if (strcmp(kind, "ReplicaSet") == 0)
        return from_replicaset(md, name, out, err);
    if (strcmp(kind, "Job") == 0 && job_owner != NULL) {
        TRY(jsonfield_string(md, "namespace", "metadata", &ns, err));
        cron[0] = '\0';
        if (job_owner(ns ? ns : "", name, cron, sizeof(cron), ud) && cron[0] != '\0') {
            cron[sizeof(cron) - 1] = '\0';
            return set_ref(out, "CronJob", cron, strlen(cron), err);
        }
    }
    return set_ref(out, kind, name, strlen(name), err);
}

/* A Pod with no controller: its name, or generateName without the "-". */
static snug_status from_bare_pod(const cJSON *md, workload_ref *out, snug_err *err)
{
    const char *name = NULL, *gen = NULL;
    size_t len;

    TRY(jsonfield_string(md, "name", "metadata", &name, err));
    if (name != NULL && name[0] != '\0')
        return set_ref(out, "Pod", name, strlen(name), err);
    TRY(jsonfield_string(md, "generateName", "metadata", &gen, err));
    len = gen ? strlen(gen) : 0;
    while (len > 0 && gen[len - 1] == '-')
        len--;
    if (len == 0)
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "metadata: a Pod without a controller needs a name or generateName");
    return set_ref(out, "Pod", gen, len, err);
}

snug_status workload_from_pod(const cJSON *pod, job_owner_fn job_owner, void *ud, workload_ref *out,
                              snug_err *err)
{
    const cJSON *md = NULL, *owner = NULL;
    char opath[JSONFIELD_PATH_MAX];

    memset(out, 0, sizeof(*out));
    if (!cJSON_IsObject(pod))
        return snug_err_set(err, SNUG_ERR_INVALID, "pod: must be an object, got %s",
                            jsonfield_type_name(pod));
    TRY(jsonfield_object(pod, "metadata", "", &md, err));
    if (md == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "metadata: required");
    TRY(controller_owner(md, &owner, opath, sizeof(opath), err));
    if (owner != NULL)
        return from_owner(md, owner, opath, job_owner, ud, out, err);
    return from_bare_pod(md, out, err);
}

snug_status workload_from_object(const cJSON *obj, workload_ref *out, snug_err *err)
{
    const cJSON *md = NULL;
    const char *kind = NULL, *name = NULL;

    memset(out, 0, sizeof(*out));
    if (!cJSON_IsObject(obj))
        return snug_err_set(err, SNUG_ERR_INVALID, "object: must be an object, got %s",
                            jsonfield_type_name(obj));
    TRY(jsonfield_string(obj, "kind", "", &kind, err));
    if (kind == NULL || kind[0] == '\0')
        return snug_err_set(err, SNUG_ERR_INVALID, "kind: required");
    TRY(jsonfield_object(obj, "metadata", "", &md, err));
    if (strcmp(kind, "Pod") == 0 && md != NULL)
        return from_bare_pod(md, out, err);
    TRY(jsonfield_string(md, "name", "metadata", &name, err));
    if (name == NULL || name[0] == '\0')
        return snug_err_set(err, SNUG_ERR_INVALID, "metadata.name: required");
    return set_ref(out, kind, name, strlen(name), err);
}

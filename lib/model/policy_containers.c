/* policy_containers.c -- parsing and validating spec.containers, the
 * per-container overrides of a SizingPolicy: names (exact or "*", unique),
 * the fields they may override, and min <= max once merged over the
 * policy's own bounds.
 */
#include "model/policy_containers.h"
#include "model/policy_fields.h"

#include <stdlib.h>
#include <string.h>

#define CONTAINERS_MAX 32

static snug_status parse_override_sub(const cJSON *c, const char *path, const char *key,
                                      const char *member, const char *const *names, int *out,
                                      bool *given, snug_err *err)
{
    const char *const keys[] = {member, NULL};
    const cJSON *o = NULL;
    fpath fp;

    TRY(jsonfield_section(c, key, path, keys, &o, fp, sizeof(fp), err));
    if (o == NULL)
        return SNUG_OK;
    if (jsonfield_get(o, member) == NULL)
        return SNUG_OK;
    TRY(policy_parse_enum(o, member, fp, names, out, err));
    *given = true;
    return SNUG_OK;
}

static snug_status parse_override_name(const cJSON *c, const char *path, policy_container *pc,
                                       snug_err *err)
{
    const char *name = NULL;

    TRY(jsonfield_string(c, "name", path, &name, err));
    if (name == NULL || name[0] == '\0')
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "%s.name: required (a container name, or \"*\" for every container)",
                            path);
    if (strcmp(name, "*") != 0 && !policy_dns_label_valid(name, strlen(name)))
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "%s.name: \"%s\" is not a valid container name (lower-case RFC 1123 "
                            "label) or \"*\"",
                            path, name);
    pc->name = strdup(name);
    if (pc->name == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "%s.name: out of memory", path);
    return SNUG_OK;
}

/* The override's min/max merged over the policy's must still hold min <= max.
 * Blame the override's own value; name the other side by where it came from. */
static snug_status check_override_bounds(const policy *p, const policy_container *pc,
                                         const char *path, snug_err *err)
{
    const int64_t omin[2] = {pc->min_allowed.cpu_milli, pc->min_allowed.mem_bytes};
    const int64_t omax[2] = {pc->max_allowed.cpu_milli, pc->max_allowed.mem_bytes};
    res_amounts lo = p->resources.min_allowed, hi = p->resources.max_allowed;
    fpath lp, hp;
    bounds_check bc;
    int i;

    policy_merge_amounts(&lo, &pc->min_allowed);
    policy_merge_amounts(&hi, &pc->max_allowed);
    jsonfield_path(lp, sizeof(lp), path, "minAllowed");
    jsonfield_path(hp, sizeof(hp), path, "maxAllowed");
    bc.lo_path = lp;
    bc.hi_path = hp;
    for (i = 0; i < 2; i++) {
        bc.blame_lo[i] = omin[i] != RES_UNSET;
        bc.lo_name[i] = omin[i] != RES_UNSET ? "minAllowed" : "spec.resources.minAllowed";
        bc.hi_name[i] = omax[i] != RES_UNSET ? "maxAllowed" : "spec.resources.maxAllowed";
    }
    return policy_check_bounds(&bc, &lo, &hi, err);
}

static snug_status parse_override(const policy *p, const cJSON *c, const char *path,
                                  policy_container *pc, snug_err *err)
{
    static const char *const keys[] = {"name",       "mode",      "minAllowed",
                                       "maxAllowed", "cpuLimit",  "memoryLimit",
                                       "probes",     "goRuntime", NULL};
    int v;

    if (!cJSON_IsObject(c))
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: must be an object, got %s", path,
                            jsonfield_type_name(c));
    TRY(jsonfield_check_keys(c, path, keys, err));
    TRY(parse_override_name(c, path, pc, err));
    pc->min_allowed = (res_amounts){RES_UNSET, RES_UNSET};
    pc->max_allowed = (res_amounts){RES_UNSET, RES_UNSET};
    if (jsonfield_get(c, "mode") != NULL) {
        v = 0;
        TRY(policy_parse_enum(c, "mode", path, policy_mode_names, &v, err));
        pc->mode = v;
        pc->has_mode = true;
    }
    TRY(policy_parse_amounts(c, "minAllowed", path, &pc->min_allowed, &pc->has_min, err));
    TRY(policy_parse_amounts(c, "maxAllowed", path, &pc->max_allowed, &pc->has_max, err));
    TRY(policy_parse_limit_rule(c, "cpuLimit", path, &pc->cpu_limit, &pc->has_cpu_limit, err));
    TRY(policy_parse_limit_rule(c, "memoryLimit", path, &pc->memory_limit, &pc->has_memory_limit,
                                err));
    v = 0;
    TRY(parse_override_sub(c, path, "probes", "inject", policy_inject_names, &v, &pc->has_probes,
                           err));
    pc->probes_inject = v;
    v = 0;
    TRY(parse_override_sub(c, path, "goRuntime", "detect", policy_detect_names, &v, &pc->has_go,
                           err));
    pc->go_detect = v;
    return check_override_bounds(p, pc, path, err);
}

static snug_status check_override_unique(const policy *p, size_t i, const char *path, snug_err *err)
{
    size_t j;

    for (j = 0; j < i; j++) {
        if (strcmp(p->containers[j].name, p->containers[i].name) != 0)
            continue;
        if (strcmp(p->containers[i].name, "*") == 0)
            return snug_err_set(err, SNUG_ERR_INVALID,
                                "%s.name: \"*\" given more than once (first at "
                                "spec.containers[%zu])",
                                path, j);
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "%s.name: duplicate container \"%s\" (first at spec.containers[%zu])",
                            path, p->containers[i].name, j);
    }
    return SNUG_OK;
}

snug_status policy_parse_containers(const cJSON *spec, policy *p, snug_err *err)
{
    const cJSON *arr = NULL, *c;
    size_t n, i = 0;
    fpath ip;

    TRY(jsonfield_array(spec, "containers", "spec", &arr, err));
    if (arr == NULL)
        return SNUG_OK;
    n = (size_t)cJSON_GetArraySize(arr);
    if (n == 0)
        return SNUG_OK;
    if (n > CONTAINERS_MAX)
        return snug_err_set(err, SNUG_ERR_INVALID, "spec.containers: at most %d entries, got %zu",
                            CONTAINERS_MAX, n);
    p->containers = calloc(n, sizeof(*p->containers));
    if (p->containers == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "spec.containers: out of memory");
    cJSON_ArrayForEach(c, arr)
    {
        jsonfield_index_path(ip, sizeof(ip), "spec.containers", i);
        p->n_containers = i + 1; /* so policy_free sees the name once set */
        TRY(parse_override(p, c, ip, &p->containers[i], err));
        TRY(check_override_unique(p, i, ip, err));
        i++;
    }
    return SNUG_OK;
}

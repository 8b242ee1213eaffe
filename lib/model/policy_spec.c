/* policy_spec.c -- parsing and validating a SizingPolicy's spec: priority,
 * selectors, mode, and the resources, recommender, probes and goRuntime
 * sections (the containers overrides are in policy_containers.c).
 *
 * Every reader overwrites only what the object gives, on a policy pre-filled
 * with the defaults, so "absent" means "default" all the way down.
 */
#include "model/policy_spec.h"
#include "model/policy_containers.h"
#include "model/policy_fields.h"
#include "model/quantity_field.h"

#include <stdlib.h>
#include <string.h>

#define PATH_LEN_MAX      256
#define PROBE_SECONDS_MAX 3600

/* ---- spec.resources ---------------------------------------------------- */

static snug_status parse_res_defaults(const cJSON *res, const char *path, policy_resources *r,
                                      snug_err *err)
{
    static const char *const keys[] = {"requests", "limits", NULL};
    const cJSON *o = NULL;
    fpath fp, rq, lm;
    bounds_check bc;

    TRY(jsonfield_section(res, "defaults", path, keys, &o, fp, sizeof(fp), err));
    if (o == NULL)
        return SNUG_OK;
    TRY(policy_parse_amounts(o, "requests", fp, &r->default_requests, NULL, err));
    TRY(policy_parse_amounts(o, "limits", fp, &r->default_limits, NULL, err));
    jsonfield_path(rq, sizeof(rq), fp, "requests");
    jsonfield_path(lm, sizeof(lm), fp, "limits");
    bc = (bounds_check){rq, lm, {"requests", "requests"}, {"limits", "limits"}, {true, true}};
    return policy_check_bounds(&bc, &r->default_requests, &r->default_limits, err);
}

static snug_status parse_resources(const cJSON *spec, policy_resources *r, snug_err *err)
{
    static const char *const keys[] = {"apply",    "defaults",    "minAllowed", "maxAllowed",
                                       "cpuLimit", "memoryLimit", NULL};
    fpath path;
    const cJSON *o = NULL;
    bounds_check bc = {"spec.resources.minAllowed",
                       "spec.resources.maxAllowed",
                       {"minAllowed", "minAllowed"},
                       {"maxAllowed", "maxAllowed"},
                       {true, true}};

    TRY(jsonfield_section(spec, "resources", "spec", keys, &o, path, sizeof(path), err));
    if (o == NULL)
        return SNUG_OK;
    PARSE_ENUM(o, "apply", path, policy_apply_names, r->apply, err);
    TRY(parse_res_defaults(o, path, r, err));
    TRY(policy_parse_amounts(o, "minAllowed", path, &r->min_allowed, NULL, err));
    TRY(policy_parse_amounts(o, "maxAllowed", path, &r->max_allowed, NULL, err));
    TRY(policy_parse_limit_rule(o, "cpuLimit", path, &r->cpu_limit, NULL, err));
    TRY(policy_parse_limit_rule(o, "memoryLimit", path, &r->memory_limit, NULL, err));
    return policy_check_bounds(&bc, &r->min_allowed, &r->max_allowed, err);
}

/* ---- spec.recommender -------------------------------------------------- */

static snug_status parse_duration_field(const cJSON *obj, const char *key, const char *path,
                                        int64_t *out, snug_err *err)
{
    const char *s = NULL;
    snug_status st;
    fpath fp;

    TRY(jsonfield_string(obj, key, path, &s, err));
    if (s == NULL)
        return SNUG_OK;
    st = duration_parse(s, out, err);
    if (st != SNUG_OK) {
        jsonfield_path(fp, sizeof(fp), path, key);
        snug_err_prefix(err, "%s", fp);
        return SNUG_ERR_INVALID;
    }
    return SNUG_OK;
}

static snug_status parse_oom_bump(const cJSON *rec, const char *path, policy_recommender *r,
                                  snug_err *err)
{
    static const char *const keys[] = {"ratio", "min", NULL};
    const cJSON *o = NULL;
    fpath fp;

    TRY(jsonfield_section(rec, "oomBump", path, keys, &o, fp, sizeof(fp), err));
    if (o == NULL)
        return SNUG_OK;
    TRY(jsonfield_double(o, "ratio", fp, 1.0, false, 10.0, false, &r->oom_bump_ratio, err));
    return quantity_field(o, "min", fp, QUANTITY_FIELD_UNITS, &r->oom_bump_min_bytes, err);
}

static snug_status parse_recommender(const cJSON *spec, policy_recommender *r, snug_err *err)
{
    static const char *const keys[] = {
        "window", "cpuPercentile", "memoryPercentile", "safetyMargin", "minHistory", "oomBump",
        NULL};
    fpath path;
    char w[DURATION_STR_MAX], h[DURATION_STR_MAX];
    const cJSON *o = NULL;

    TRY(jsonfield_section(spec, "recommender", "spec", keys, &o, path, sizeof(path), err));
    if (o == NULL)
        return SNUG_OK;
    TRY(parse_duration_field(o, "window", path, &r->window_seconds, err));
    TRY(jsonfield_double(o, "cpuPercentile", path, 0.0, true, 1.0, false, &r->cpu_percentile, err));
    TRY(jsonfield_double(o, "memoryPercentile", path, 0.0, true, 1.0, false, &r->memory_percentile,
                         err));
    TRY(jsonfield_double(o, "safetyMargin", path, 0.0, false, 10.0, false, &r->safety_margin, err));
    TRY(parse_duration_field(o, "minHistory", path, &r->min_history_seconds, err));
    TRY(parse_oom_bump(o, path, r, err));
    if (r->window_seconds <= 0)
        return snug_err_set(err, SNUG_ERR_INVALID, "%s.window: must be longer than 0s", path);
    if (r->min_history_seconds > r->window_seconds) {
        duration_format(r->min_history_seconds, h, sizeof(h));
        duration_format(r->window_seconds, w, sizeof(w));
        return snug_err_set(err, SNUG_ERR_INVALID, "%s.minHistory: %s is longer than window %s",
                            path, h, w);
    }
    return SNUG_OK;
}

/* ---- spec.probes ------------------------------------------------------- */

/* One entry of portNames: a valid port name, not among names[0..n). */
static snug_status check_port_name(const cJSON *it, const char *ip, char *const *names, size_t n,
                                   snug_err *err)
{
    size_t j;

    if (!cJSON_IsString(it) || it->valuestring == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: must be a string, got %s", ip,
                            jsonfield_type_name(it));
    if (!policy_port_name_valid(it->valuestring))
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "%s: \"%s\" is not a valid port name (1-15 lower-case letters, "
                            "digits and '-', at least one letter, no leading, trailing or "
                            "double '-')",
                            ip, it->valuestring);
    for (j = 0; j < n; j++) {
        if (strcmp(names[j], it->valuestring) == 0)
            return snug_err_set(err, SNUG_ERR_INVALID, "%s: duplicate port name \"%s\"", ip,
                                it->valuestring);
    }
    return SNUG_OK;
}

static snug_status parse_port_names(const cJSON *probes, const char *path, policy_probes *pr,
                                    snug_err *err)
{
    const cJSON *arr = NULL, *it;
    char *names[POLICY_MAX_PORT_NAMES];
    size_t n = 0, i;
    snug_status st = SNUG_OK;
    fpath fp, ip;

    TRY(jsonfield_array(probes, "portNames", path, &arr, err));
    if (arr == NULL)
        return SNUG_OK;
    jsonfield_path(fp, sizeof(fp), path, "portNames");
    if (cJSON_GetArraySize(arr) > POLICY_MAX_PORT_NAMES)
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: at most %d names, got %d", fp,
                            POLICY_MAX_PORT_NAMES, cJSON_GetArraySize(arr));
    cJSON_ArrayForEach(it, arr)
    {
        jsonfield_index_path(ip, sizeof(ip), fp, n);
        st = check_port_name(it, ip, names, n, err);
        if (st != SNUG_OK)
            goto out;
        names[n] = strdup(it->valuestring);
        if (names[n] == NULL) {
            st = snug_err_set(err, SNUG_ERR_NOMEM, "%s: out of memory", ip);
            goto out;
        }
        n++;
    }
    policy_free_port_names(pr);
    for (i = 0; i < n; i++)
        pr->port_names[i] = names[i];
    pr->n_port_names = n;
    n = 0;
out:
    for (i = 0; i < n; i++)
        free(names[i]);
    return st;
}

static snug_status parse_path(const cJSON *paths, const char *key, const char *path, char **out,
                              snug_err *err)
{
    const char *s = NULL;
    char *copy;
    fpath fp;
    size_t i;

    TRY(jsonfield_string(paths, key, path, &s, err));
    if (s == NULL || s[0] == '\0')
        return SNUG_OK;
    jsonfield_path(fp, sizeof(fp), path, key);
    if (s[0] != '/')
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: must start with \"/\", got \"%s\"", fp, s);
    if (strlen(s) > PATH_LEN_MAX)
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: longer than %d characters", fp,
                            PATH_LEN_MAX);
    for (i = 0; s[i] != '\0'; i++)
        if ((unsigned char)s[i] < ' ' || s[i] == 0x7f)
            return snug_err_set(err, SNUG_ERR_INVALID, "%s: must not contain control characters",
                                fp);
    copy = strdup(s);
    if (copy == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "%s: out of memory", fp);
    free(*out);
    *out = copy;
    return SNUG_OK;
}

static snug_status parse_probe_paths(const cJSON *probes, const char *path, policy_probes *pr,
                                     snug_err *err)
{
    static const char *const keys[] = {"liveness", "readiness", NULL};
    const cJSON *o = NULL;
    fpath fp;

    TRY(jsonfield_section(probes, "paths", path, keys, &o, fp, sizeof(fp), err));
    if (o == NULL)
        return SNUG_OK;
    TRY(parse_path(o, "liveness", fp, &pr->liveness_path, err));
    return parse_path(o, "readiness", fp, &pr->readiness_path, err);
}

static snug_status parse_int_field(const cJSON *obj, const char *key, const char *path, int min,
                                   int max, int *out, snug_err *err)
{
    int64_t v = *out;

    TRY(jsonfield_int64(obj, key, path, min, max, &v, err));
    *out = (int)v;
    return SNUG_OK;
}

static snug_status parse_probes(const cJSON *spec, policy_probes *pr, snug_err *err)
{
    static const char *const keys[] = {
        "inject",         "portNames",        "paths",          "periodSeconds",
        "timeoutSeconds", "failureThreshold", "startupSeconds", NULL};
    fpath path;
    const cJSON *o = NULL;

    TRY(jsonfield_section(spec, "probes", "spec", keys, &o, path, sizeof(path), err));
    if (o == NULL)
        return SNUG_OK;
    PARSE_ENUM(o, "inject", path, policy_inject_names, pr->inject, err);
    TRY(parse_port_names(o, path, pr, err));
    TRY(parse_probe_paths(o, path, pr, err));
    TRY(parse_int_field(o, "periodSeconds", path, 1, PROBE_SECONDS_MAX, &pr->period_seconds, err));
    TRY(parse_int_field(o, "timeoutSeconds", path, 1, PROBE_SECONDS_MAX, &pr->timeout_seconds,
                        err));
    TRY(parse_int_field(o, "failureThreshold", path, 1, 1000, &pr->failure_threshold, err));
    return parse_int_field(o, "startupSeconds", path, 1, PROBE_SECONDS_MAX, &pr->startup_seconds,
                           err);
}

/* ---- spec.goRuntime ---------------------------------------------------- */

static snug_status parse_goruntime(const cJSON *spec, policy_goruntime *g, snug_err *err)
{
    static const char *const keys[] = {"detect", "gomemlimitRatio", "gomaxprocs", NULL};
    fpath path;
    const cJSON *o = NULL;

    TRY(jsonfield_section(spec, "goRuntime", "spec", keys, &o, path, sizeof(path), err));
    if (o == NULL)
        return SNUG_OK;
    PARSE_ENUM(o, "detect", path, policy_detect_names, g->detect, err);
    TRY(jsonfield_double(o, "gomemlimitRatio", path, 0.0, true, 1.0, false, &g->gomemlimit_ratio,
                         err));
    PARSE_ENUM(o, "gomaxprocs", path, policy_gomaxprocs_names, g->gomaxprocs, err);
    return SNUG_OK;
}

/* ---- spec ---------------------------------------------------------------- */

static snug_status parse_selector_field(const cJSON *spec, const char *key, label_selector **out,
                                        snug_err *err)
{
    const cJSON *o = NULL;
    label_selector *sel = NULL;
    fpath fp;

    TRY(jsonfield_section(spec, key, "spec", NULL, &o, fp, sizeof(fp), err));
    if (o == NULL)
        return SNUG_OK;
    TRY(selector_parse(o, fp, &sel, err));
    if (selector_is_empty(sel)) {
        selector_free(sel);
        sel = NULL;
    }
    *out = sel;
    return SNUG_OK;
}

snug_status policy_parse_spec(const cJSON *obj, policy *p, snug_err *err)
{
    static const char *const keys[] = {
        "priority", "namespaceSelector", "selector",   "mode", "resources", "recommender",
        "probes",   "goRuntime",         "containers", NULL};
    const cJSON *spec = NULL;
    fpath path;

    TRY(jsonfield_section(obj, "spec", "", keys, &spec, path, sizeof(path), err));
    if (spec == NULL)
        return SNUG_OK;
    TRY(jsonfield_int64(spec, "priority", "spec", INT32_MIN, INT32_MAX, &p->priority, err));
    TRY(parse_selector_field(spec, "namespaceSelector", &p->namespace_selector, err));
    TRY(parse_selector_field(spec, "selector", &p->selector, err));
    PARSE_ENUM(spec, "mode", "spec", policy_mode_names, p->mode, err);
    TRY(parse_resources(spec, &p->resources, err));
    TRY(parse_recommender(spec, &p->recommender, err));
    TRY(parse_probes(spec, &p->probes, err));
    TRY(parse_goruntime(spec, &p->go, err));
    return policy_parse_containers(spec, p, err);
}

void policy_free_port_names(policy_probes *pr)
{
    size_t i;

    for (i = 0; i < pr->n_port_names; i++) {
        free(pr->port_names[i]);
        pr->port_names[i] = NULL;
    }
    pr->n_port_names = 0;
}

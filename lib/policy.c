/* policy.c -- SizingPolicy: parse, validate, default, resolve per-container
 * overrides. The policy set and the choice of the winning policy are in
 * policy_set.c.
 *
 * Parsing works on a policy pre-filled with the defaults: every getter
 * overwrites only what the object gives, so "absent" means "default" all the
 * way down (a JSON null counts as absent, as the API server's defaulting
 * treats it).
 */
#include "policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jsonfield.h"
#include "quantity.h"

#define POLICY_API_VERSION "snug.dev/v1alpha1"
#define POLICY_KIND        "SizingPolicy"
#define MIB                ((int64_t)1024 * 1024)
#define GIB                (MIB * 1024)
#define RATIO_MAX          1000.0
#define PATH_LEN_MAX       256
#define CONTAINERS_MAX     32
#define PROBE_SECONDS_MAX  3600

typedef char fpath[JSONFIELD_PATH_MAX];

/* ---- enums ------------------------------------------------------------- */

static const char *const mode_names[] = {"Off", "Audit", "Initial", NULL};
static const char *const apply_names[] = {"IfMissing", "Always", NULL};
static const char *const strategy_names[] = {"None", "KeepRatio", "Ratio", NULL};
static const char *const inject_names[] = {"IfMissing", "Never", NULL};
static const char *const detect_names[] = {"Auto", "Always", "Never", NULL};
static const char *const gomaxprocs_names[] = {"WhenNoCPULimit", "Always", "Never", NULL};

static const char *enum_name(const char *const *names, size_t n, int v)
{
    return v >= 0 && (size_t)v < n ? names[v] : "?";
}

const char *policy_mode_name(policy_mode m)
{
    return enum_name(mode_names, 3, (int)m);
}

const char *limit_strategy_name(limit_strategy s)
{
    return enum_name(strategy_names, 3, (int)s);
}

const char *resources_apply_name(resources_apply a)
{
    return enum_name(apply_names, 2, (int)a);
}

const char *probes_inject_name(probes_inject i)
{
    return enum_name(inject_names, 2, (int)i);
}

const char *go_detect_name(go_detect d)
{
    return enum_name(detect_names, 3, (int)d);
}

const char *gomaxprocs_mode_name(gomaxprocs_mode g)
{
    return enum_name(gomaxprocs_names, 3, (int)g);
}

static void join_names(const char *const *names, char *buf, size_t cap)
{
    size_t used = 0, i;

    buf[0] = '\0';
    for (i = 0; names[i] != NULL && used < cap; i++) {
        int n = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", names[i]);
        if (n < 0)
            return;
        used += (size_t)n;
    }
}

/* An enum member: a string equal (exact case) to one of `names`. */
static snug_status parse_enum(const cJSON *obj, const char *key, const char *path,
                              const char *const *names, int *out, snug_err *err)
{
    const cJSON *v = jsonfield_get(obj, key);
    char list[128];
    fpath fp;
    int i;

    if (v == NULL)
        return SNUG_OK;
    jsonfield_path(fp, sizeof(fp), path, key);
    join_names(names, list, sizeof(list));
    if (cJSON_IsFalse(v) && names == mode_names)
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "%s: must be a string (%s), got boolean (YAML 1.1 tools read an "
                            "unquoted Off as false: write \"Off\")",
                            fp, list);
    if (!cJSON_IsString(v) || v->valuestring == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: must be a string (%s), got %s", fp, list,
                            jsonfield_type_name(v));
    for (i = 0; names[i] != NULL; i++) {
        if (strcmp(v->valuestring, names[i]) == 0) {
            *out = i;
            return SNUG_OK;
        }
    }
    for (i = 0; names[i] != NULL; i++)
        if (strcasecmp(v->valuestring, names[i]) == 0)
            return snug_err_set(err, SNUG_ERR_INVALID,
                                "%s: unsupported value \"%s\" (%s; values are case-sensitive: "
                                "write \"%s\")",
                                fp, v->valuestring, list, names[i]);
    return snug_err_set(err, SNUG_ERR_INVALID, "%s: unsupported value \"%s\" (%s)", fp,
                        v->valuestring, list);
}

#define PARSE_ENUM(obj, key, path, names, field, err)                                              \
    do {                                                                                           \
        int e_v_ = (int)(field);                                                                   \
        snug_status e_st_ = parse_enum(obj, key, path, names, &e_v_, err);                         \
        if (e_st_ != SNUG_OK)                                                                      \
            return e_st_;                                                                          \
        (field) = e_v_;                                                                            \
    } while (0)

#define TRY(expr)                                                                                  \
    do {                                                                                           \
        snug_status t_st_ = (expr);                                                                \
        if (t_st_ != SNUG_OK)                                                                      \
            return t_st_;                                                                          \
    } while (0)

/* ---- names ------------------------------------------------------------- */

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* RFC 1123 label: 1-63 of [a-z0-9-], starting and ending alphanumeric. */
static bool dns_label_valid(const char *s, size_t len)
{
    size_t i;

    if (len == 0 || len > 63 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
        return false;
    for (i = 0; i < len; i++)
        if (!is_lower_alnum(s[i]) && s[i] != '-')
            return false;
    return true;
}

/* RFC 1123 subdomain: at most 253 chars, dot-separated labels. */
static bool dns_subdomain_valid(const char *s)
{
    size_t len = strlen(s), start = 0, i;

    if (len == 0 || len > 253)
        return false;
    for (i = 0; i <= len; i++) {
        if (s[i] == '.' || s[i] == '\0') {
            if (!dns_label_valid(s + start, i - start))
                return false;
            start = i + 1;
        }
    }
    return true;
}

/* IANA_SVC_NAME as Kubernetes checks container port names: 1-15 of
 * [a-z0-9-], at least one letter, no leading, trailing or double '-'. */
static bool port_name_valid(const char *s)
{
    size_t len = strlen(s), i;
    bool letter = false;

    if (len == 0 || len > 15 || s[0] == '-' || s[len - 1] == '-')
        return false;
    for (i = 0; i < len; i++) {
        if (s[i] >= 'a' && s[i] <= 'z')
            letter = true;
        else if (s[i] == '-' && s[i + 1] == '-')
            return false;
        else if (!is_lower_alnum(s[i]) && s[i] != '-')
            return false;
    }
    return letter;
}

/* ---- defaults ---------------------------------------------------------- */

static void defaults_resources(policy_resources *r)
{
    r->apply = APPLY_IF_MISSING;
    r->default_requests = (res_amounts){50, 64 * MIB};
    r->default_limits = (res_amounts){RES_UNSET, RES_UNSET};
    r->min_allowed = (res_amounts){10, 32 * MIB};
    r->max_allowed = (res_amounts){8000, 16 * GIB};
    r->cpu_limit = (limit_rule){LIMIT_NONE, 0.0};
    r->memory_limit = (limit_rule){LIMIT_RATIO, 1.0};
}

static void defaults_recommender(policy_recommender *r)
{
    r->window_seconds = 7 * 86400;
    r->cpu_percentile = 0.90;
    r->memory_percentile = 1.0;
    r->safety_margin = 0.15;
    r->min_history_seconds = 86400;
    r->oom_bump_ratio = 1.2;
    r->oom_bump_min_bytes = 100 * MIB;
}

static const char *const default_port_names[] = {"health", "http", "metrics"};

static void free_port_names(policy_probes *pr)
{
    size_t i;

    for (i = 0; i < pr->n_port_names; i++) {
        free(pr->port_names[i]);
        pr->port_names[i] = NULL;
    }
    pr->n_port_names = 0;
}

static snug_status defaults_probes(policy_probes *pr)
{
    size_t i;

    pr->inject = PROBES_IF_MISSING;
    pr->liveness_path = NULL;
    pr->readiness_path = NULL;
    pr->period_seconds = 10;
    pr->timeout_seconds = 2;
    pr->failure_threshold = 3;
    pr->startup_seconds = 300;
    pr->n_port_names = 0;
    for (i = 0; i < sizeof(default_port_names) / sizeof(default_port_names[0]); i++) {
        pr->port_names[i] = strdup(default_port_names[i]);
        if (pr->port_names[i] == NULL)
            return SNUG_ERR_NOMEM;
        pr->n_port_names++;
    }
    return SNUG_OK;
}

static void defaults_go(policy_goruntime *g)
{
    g->detect = GO_DETECT_AUTO;
    g->gomemlimit_ratio = 0.90;
    g->gomaxprocs = GOMAXPROCS_WHEN_NO_CPU_LIMIT;
}

/* A new policy holding every default, named `name`; NULL on NOMEM. */
static policy *policy_new_default(const char *name)
{
    policy *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return NULL;
    p->name = strdup(name);
    p->priority = 0;
    p->created = 0;
    p->mode = POLICY_MODE_INITIAL;
    defaults_resources(&p->resources);
    defaults_recommender(&p->recommender);
    defaults_go(&p->go);
    if (p->name == NULL || defaults_probes(&p->probes) != SNUG_OK) {
        policy_free(p);
        return NULL;
    }
    return p;
}

policy *policy_builtin_default(void)
{
    return policy_new_default("snug-default");
}

void policy_free(policy *p)
{
    size_t i;

    if (p == NULL)
        return;
    free(p->name);
    selector_free(p->namespace_selector);
    selector_free(p->selector);
    free_port_names(&p->probes);
    free(p->probes.liveness_path);
    free(p->probes.readiness_path);
    for (i = 0; i < p->n_containers; i++)
        free(p->containers[i].name);
    free(p->containers);
    free(p);
}

/* ---- resource amounts and bounds ---------------------------------------- */

static void format_amount(bool cpu, int64_t v, char *buf, size_t cap)
{
    if (cpu)
        cpu_format_milli(v, buf, cap);
    else
        mem_format_bytes(v, buf, cap);
}

static void merge_amounts(res_amounts *dst, const res_amounts *src)
{
    if (src->cpu_milli != RES_UNSET)
        dst->cpu_milli = src->cpu_milli;
    if (src->mem_bytes != RES_UNSET)
        dst->mem_bytes = src->mem_bytes;
}

/* {cpu, memory}. As the CRD's object-level defaults do, a given object
 * replaces the default as a whole: a member it leaves out is RES_UNSET. */
static snug_status parse_amounts(const cJSON *obj, const char *key, const char *path,
                                 res_amounts *out, bool *given, snug_err *err)
{
    static const char *const keys[] = {"cpu", "memory", NULL};
    res_amounts v = {RES_UNSET, RES_UNSET};
    const cJSON *o = NULL;
    fpath fp;

    TRY(jsonfield_object(obj, key, path, &o, err));
    if (o == NULL)
        return SNUG_OK;
    jsonfield_path(fp, sizeof(fp), path, key);
    TRY(jsonfield_check_keys(o, fp, keys, err));
    TRY(jsonfield_quantity(o, "cpu", fp, JSONFIELD_MILLI, &v.cpu_milli, err));
    TRY(jsonfield_quantity(o, "memory", fp, JSONFIELD_UNITS, &v.mem_bytes, err));
    *out = v;
    if (given != NULL)
        *given = true;
    return SNUG_OK;
}

/* lo <= hi for each resource set in both. Per resource (cpu, memory), the
 * error blames the member of `lo_path` when blame_lo[i], else the member of
 * `hi_path`; the other side is named lo_name[i] / hi_name[i] ("maxAllowed",
 * or "spec.resources.maxAllowed" when an override inherited it). */
typedef struct bounds_check {
    const char *lo_path, *hi_path;
    const char *lo_name[2], *hi_name[2];
    bool blame_lo[2];
} bounds_check;

static snug_status check_bounds(const bounds_check *bc, const res_amounts *lo,
                                const res_amounts *hi, snug_err *err)
{
    static const char *const res[2] = {"cpu", "memory"};
    const int64_t los[2] = {lo->cpu_milli, lo->mem_bytes};
    const int64_t his[2] = {hi->cpu_milli, hi->mem_bytes};
    char a[QUANTITY_STR_MAX], b[QUANTITY_STR_MAX];
    int i;

    for (i = 0; i < 2; i++) {
        if (los[i] == RES_UNSET || his[i] == RES_UNSET || los[i] <= his[i])
            continue;
        format_amount(i == 0, los[i], a, sizeof(a));
        format_amount(i == 0, his[i], b, sizeof(b));
        if (bc->blame_lo[i])
            return snug_err_set(err, SNUG_ERR_INVALID, "%s.%s: %s is greater than %s.%s %s",
                                bc->lo_path, res[i], a, bc->hi_name[i], res[i], b);
        return snug_err_set(err, SNUG_ERR_INVALID, "%s.%s: %s is less than %s.%s %s", bc->hi_path,
                            res[i], b, bc->lo_name[i], res[i], a);
    }
    return SNUG_OK;
}

/* {strategy, ratio}: a given object replaces the default as a whole; its
 * strategy defaults to None (as the CRD does). ratio only with Ratio, and
 * then required and in [1, RATIO_MAX]. */
static snug_status parse_limit_rule(const cJSON *obj, const char *key, const char *path,
                                    limit_rule *out, bool *given, snug_err *err)
{
    static const char *const keys[] = {"strategy", "ratio", NULL};
    const cJSON *o = NULL;
    limit_rule r = {LIMIT_NONE, 0.0};
    fpath fp;

    TRY(jsonfield_object(obj, key, path, &o, err));
    if (o == NULL)
        return SNUG_OK;
    jsonfield_path(fp, sizeof(fp), path, key);
    TRY(jsonfield_check_keys(o, fp, keys, err));
    PARSE_ENUM(o, "strategy", fp, strategy_names, r.strategy, err);
    if (r.strategy != LIMIT_RATIO && jsonfield_get(o, "ratio") != NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "%s.ratio: only allowed with strategy Ratio",
                            fp);
    if (r.strategy == LIMIT_RATIO) {
        if (jsonfield_get(o, "ratio") == NULL)
            return snug_err_set(err, SNUG_ERR_INVALID, "%s.ratio: required when strategy is Ratio",
                                fp);
        TRY(jsonfield_double(o, "ratio", fp, 1.0, false, RATIO_MAX, false, &r.ratio, err));
    }
    *out = r;
    if (given != NULL)
        *given = true;
    return SNUG_OK;
}

/* ---- spec.resources ---------------------------------------------------- */

static snug_status parse_res_defaults(const cJSON *res, const char *path, policy_resources *r,
                                      snug_err *err)
{
    static const char *const keys[] = {"requests", "limits", NULL};
    const cJSON *o = NULL;
    fpath fp, rq, lm;
    bounds_check bc;

    TRY(jsonfield_object(res, "defaults", path, &o, err));
    if (o == NULL)
        return SNUG_OK;
    jsonfield_path(fp, sizeof(fp), path, "defaults");
    TRY(jsonfield_check_keys(o, fp, keys, err));
    TRY(parse_amounts(o, "requests", fp, &r->default_requests, NULL, err));
    TRY(parse_amounts(o, "limits", fp, &r->default_limits, NULL, err));
    jsonfield_path(rq, sizeof(rq), fp, "requests");
    jsonfield_path(lm, sizeof(lm), fp, "limits");
    bc = (bounds_check){rq, lm, {"requests", "requests"}, {"limits", "limits"}, {true, true}};
    return check_bounds(&bc, &r->default_requests, &r->default_limits, err);
}

static snug_status parse_resources(const cJSON *spec, policy_resources *r, snug_err *err)
{
    static const char *const keys[] = {"apply",    "defaults",    "minAllowed", "maxAllowed",
                                       "cpuLimit", "memoryLimit", NULL};
    const char *path = "spec.resources";
    const cJSON *o = NULL;
    bounds_check bc = {"spec.resources.minAllowed",
                       "spec.resources.maxAllowed",
                       {"minAllowed", "minAllowed"},
                       {"maxAllowed", "maxAllowed"},
                       {true, true}};

    TRY(jsonfield_object(spec, "resources", "spec", &o, err));
    if (o == NULL)
        return SNUG_OK;
    TRY(jsonfield_check_keys(o, path, keys, err));
    PARSE_ENUM(o, "apply", path, apply_names, r->apply, err);
    TRY(parse_res_defaults(o, path, r, err));
    TRY(parse_amounts(o, "minAllowed", path, &r->min_allowed, NULL, err));
    TRY(parse_amounts(o, "maxAllowed", path, &r->max_allowed, NULL, err));
    TRY(parse_limit_rule(o, "cpuLimit", path, &r->cpu_limit, NULL, err));
    TRY(parse_limit_rule(o, "memoryLimit", path, &r->memory_limit, NULL, err));
    return check_bounds(&bc, &r->min_allowed, &r->max_allowed, err);
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

    TRY(jsonfield_object(rec, "oomBump", path, &o, err));
    if (o == NULL)
        return SNUG_OK;
    jsonfield_path(fp, sizeof(fp), path, "oomBump");
    TRY(jsonfield_check_keys(o, fp, keys, err));
    TRY(jsonfield_double(o, "ratio", fp, 1.0, false, 10.0, false, &r->oom_bump_ratio, err));
    return jsonfield_quantity(o, "min", fp, JSONFIELD_UNITS, &r->oom_bump_min_bytes, err);
}

static snug_status parse_recommender(const cJSON *spec, policy_recommender *r, snug_err *err)
{
    static const char *const keys[] = {
        "window", "cpuPercentile", "memoryPercentile", "safetyMargin", "minHistory", "oomBump",
        NULL};
    const char *path = "spec.recommender";
    char w[DURATION_STR_MAX], h[DURATION_STR_MAX];
    const cJSON *o = NULL;

    TRY(jsonfield_object(spec, "recommender", "spec", &o, err));
    if (o == NULL)
        return SNUG_OK;
    TRY(jsonfield_check_keys(o, path, keys, err));
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

static snug_status parse_port_names(const cJSON *probes, const char *path, policy_probes *pr,
                                    snug_err *err)
{
    const cJSON *arr = NULL, *it;
    char *names[POLICY_MAX_PORT_NAMES];
    size_t n = 0, i, j;
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
        if (!cJSON_IsString(it) || it->valuestring == NULL) {
            st = snug_err_set(err, SNUG_ERR_INVALID, "%s: must be a string, got %s", ip,
                              jsonfield_type_name(it));
            goto out;
        }
        if (!port_name_valid(it->valuestring)) {
            st = snug_err_set(err, SNUG_ERR_INVALID,
                              "%s: \"%s\" is not a valid port name (1-15 lower-case letters, "
                              "digits and '-', at least one letter, no leading, trailing or "
                              "double '-')",
                              ip, it->valuestring);
            goto out;
        }
        for (j = 0; j < n; j++) {
            if (strcmp(names[j], it->valuestring) == 0) {
                st = snug_err_set(err, SNUG_ERR_INVALID, "%s: duplicate port name \"%s\"", ip,
                                  it->valuestring);
                goto out;
            }
        }
        names[n] = strdup(it->valuestring);
        if (names[n] == NULL) {
            st = snug_err_set(err, SNUG_ERR_NOMEM, "%s: out of memory", ip);
            goto out;
        }
        n++;
    }
    free_port_names(pr);
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

    TRY(jsonfield_object(probes, "paths", path, &o, err));
    if (o == NULL)
        return SNUG_OK;
    jsonfield_path(fp, sizeof(fp), path, "paths");
    TRY(jsonfield_check_keys(o, fp, keys, err));
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
    const char *path = "spec.probes";
    const cJSON *o = NULL;

    TRY(jsonfield_object(spec, "probes", "spec", &o, err));
    if (o == NULL)
        return SNUG_OK;
    TRY(jsonfield_check_keys(o, path, keys, err));
    PARSE_ENUM(o, "inject", path, inject_names, pr->inject, err);
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
    const char *path = "spec.goRuntime";
    const cJSON *o = NULL;

    TRY(jsonfield_object(spec, "goRuntime", "spec", &o, err));
    if (o == NULL)
        return SNUG_OK;
    TRY(jsonfield_check_keys(o, path, keys, err));
    PARSE_ENUM(o, "detect", path, detect_names, g->detect, err);
    TRY(jsonfield_double(o, "gomemlimitRatio", path, 0.0, true, 1.0, false, &g->gomemlimit_ratio,
                         err));
    PARSE_ENUM(o, "gomaxprocs", path, gomaxprocs_names, g->gomaxprocs, err);
    return SNUG_OK;
}

/* ---- spec.containers --------------------------------------------------- */

static snug_status parse_override_sub(const cJSON *c, const char *path, const char *key,
                                      const char *member, const char *const *names, int *out,
                                      bool *given, snug_err *err)
{
    const char *const keys[] = {member, NULL};
    const cJSON *o = NULL;
    fpath fp;

    TRY(jsonfield_object(c, key, path, &o, err));
    if (o == NULL)
        return SNUG_OK;
    jsonfield_path(fp, sizeof(fp), path, key);
    TRY(jsonfield_check_keys(o, fp, keys, err));
    if (jsonfield_get(o, member) == NULL)
        return SNUG_OK;
    TRY(parse_enum(o, member, fp, names, out, err));
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
    if (strcmp(name, "*") != 0 && !dns_label_valid(name, strlen(name)))
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

    merge_amounts(&lo, &pc->min_allowed);
    merge_amounts(&hi, &pc->max_allowed);
    jsonfield_path(lp, sizeof(lp), path, "minAllowed");
    jsonfield_path(hp, sizeof(hp), path, "maxAllowed");
    bc.lo_path = lp;
    bc.hi_path = hp;
    for (i = 0; i < 2; i++) {
        bc.blame_lo[i] = omin[i] != RES_UNSET;
        bc.lo_name[i] = omin[i] != RES_UNSET ? "minAllowed" : "spec.resources.minAllowed";
        bc.hi_name[i] = omax[i] != RES_UNSET ? "maxAllowed" : "spec.resources.maxAllowed";
    }
    return check_bounds(&bc, &lo, &hi, err);
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
        TRY(parse_enum(c, "mode", path, mode_names, &v, err));
        pc->mode = v;
        pc->has_mode = true;
    }
    TRY(parse_amounts(c, "minAllowed", path, &pc->min_allowed, &pc->has_min, err));
    TRY(parse_amounts(c, "maxAllowed", path, &pc->max_allowed, &pc->has_max, err));
    TRY(parse_limit_rule(c, "cpuLimit", path, &pc->cpu_limit, &pc->has_cpu_limit, err));
    TRY(parse_limit_rule(c, "memoryLimit", path, &pc->memory_limit, &pc->has_memory_limit, err));
    v = 0;
    TRY(parse_override_sub(c, path, "probes", "inject", inject_names, &v, &pc->has_probes, err));
    pc->probes_inject = v;
    v = 0;
    TRY(parse_override_sub(c, path, "goRuntime", "detect", detect_names, &v, &pc->has_go, err));
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

static snug_status parse_containers(const cJSON *spec, policy *p, snug_err *err)
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

/* ---- spec, metadata, object ------------------------------------------- */

static snug_status parse_selector_field(const cJSON *spec, const char *key, label_selector **out,
                                        snug_err *err)
{
    const cJSON *o = NULL;
    label_selector *sel = NULL;
    fpath fp;

    TRY(jsonfield_object(spec, key, "spec", &o, err));
    if (o == NULL)
        return SNUG_OK;
    jsonfield_path(fp, sizeof(fp), "spec", key);
    TRY(selector_parse(o, fp, &sel, err));
    if (selector_is_empty(sel)) {
        selector_free(sel);
        sel = NULL;
    }
    *out = sel;
    return SNUG_OK;
}

static snug_status parse_spec(const cJSON *obj, policy *p, snug_err *err)
{
    static const char *const keys[] = {
        "priority", "namespaceSelector", "selector",   "mode", "resources", "recommender",
        "probes",   "goRuntime",         "containers", NULL};
    const cJSON *spec = NULL;

    TRY(jsonfield_object(obj, "spec", "", &spec, err));
    if (spec == NULL)
        return SNUG_OK;
    TRY(jsonfield_check_keys(spec, "spec", keys, err));
    TRY(jsonfield_int64(spec, "priority", "spec", INT32_MIN, INT32_MAX, &p->priority, err));
    TRY(parse_selector_field(spec, "namespaceSelector", &p->namespace_selector, err));
    TRY(parse_selector_field(spec, "selector", &p->selector, err));
    PARSE_ENUM(spec, "mode", "spec", mode_names, p->mode, err);
    TRY(parse_resources(spec, &p->resources, err));
    TRY(parse_recommender(spec, &p->recommender, err));
    TRY(parse_probes(spec, &p->probes, err));
    TRY(parse_goruntime(spec, &p->go, err));
    return parse_containers(spec, p, err);
}

static snug_status parse_header(const cJSON *obj, snug_err *err)
{
    static const char *const keys[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
    const char *api = NULL, *kind = NULL;

    TRY(jsonfield_string(obj, "kind", "", &kind, err));
    TRY(jsonfield_string(obj, "apiVersion", "", &api, err));
    if (kind == NULL || strcmp(kind, POLICY_KIND) != 0)
        return snug_err_set(err, SNUG_ERR_INVALID, "kind: must be %s, got %s%s%s", POLICY_KIND,
                            kind ? "\"" : "", kind ? kind : "nothing", kind ? "\"" : "");
    if (api == NULL || strcmp(api, POLICY_API_VERSION) != 0)
        return snug_err_set(err, SNUG_ERR_INVALID, "apiVersion: must be %s, got %s%s%s",
                            POLICY_API_VERSION, api ? "\"" : "", api ? api : "nothing",
                            api ? "\"" : "");
    return jsonfield_check_keys(obj, "", keys, err);
}

static snug_status parse_metadata(const cJSON *obj, const char **name, int64_t *created,
                                  snug_err *err)
{
    const cJSON *md = NULL;
    const char *ts = NULL;

    TRY(jsonfield_object(obj, "metadata", "", &md, err));
    if (md == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "metadata.name: required");
    TRY(jsonfield_string(md, "name", "metadata", name, err));
    if (*name == NULL || (*name)[0] == '\0')
        return snug_err_set(err, SNUG_ERR_INVALID, "metadata.name: required");
    if (!dns_subdomain_valid(*name))
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "metadata.name: \"%s\" is not a valid name (lower-case RFC 1123 "
                            "subdomain: a-z, 0-9, '-' and '.', at most 253 characters)",
                            *name);
    TRY(jsonfield_string(md, "creationTimestamp", "metadata", &ts, err));
    if (ts != NULL && rfc3339_parse(ts, created, err) != SNUG_OK) {
        snug_err_prefix(err, "metadata.creationTimestamp");
        return SNUG_ERR_INVALID;
    }
    return SNUG_OK;
}

/* The name for error prefixes, when the object has a usable one. */
static const char *peek_name(const cJSON *obj)
{
    const cJSON *n = jsonfield_get(jsonfield_get(obj, "metadata"), "name");

    return cJSON_IsString(n) && n->valuestring != NULL && n->valuestring[0] != '\0' ? n->valuestring
                                                                                    : NULL;
}

snug_status policy_parse(const cJSON *obj, policy **out, snug_err *err)
{
    const char *name = NULL;
    int64_t created = 0;
    policy *p = NULL;
    snug_status st;

    *out = NULL;
    if (!cJSON_IsObject(obj)) {
        st = snug_err_set(err, SNUG_ERR_INVALID, "must be an object, got %s",
                          jsonfield_type_name(obj));
        goto out;
    }
    st = parse_header(obj, err);
    if (st == SNUG_OK)
        st = parse_metadata(obj, &name, &created, err);
    if (st != SNUG_OK)
        goto out;
    p = policy_new_default(name);
    if (p == NULL) {
        st = snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
        goto out;
    }
    p->created = created;
    st = parse_spec(obj, p, err);
out:
    if (st != SNUG_OK) {
        policy_free(p);
        name = cJSON_IsObject(obj) ? peek_name(obj) : NULL;
        if (name != NULL)
            snug_err_prefix(err, "SizingPolicy \"%s\"", name);
        else
            snug_err_prefix(err, "SizingPolicy");
        return st;
    }
    *out = p;
    return SNUG_OK;
}

/* ---- matching and per-container resolution ----------------------------- */

bool policy_matches(const policy *p, const cJSON *pod_labels, const cJSON *ns_labels)
{
    if (p == NULL)
        return false;
    if (p->namespace_selector != NULL && !selector_matches(p->namespace_selector, ns_labels))
        return false;
    if (p->selector != NULL && !selector_matches(p->selector, pod_labels))
        return false;
    return true;
}

static const policy_container *find_override(const policy *p, const char *container)
{
    const policy_container *star = NULL;
    size_t i;

    for (i = 0; i < p->n_containers; i++) {
        const policy_container *c = &p->containers[i];
        if (container != NULL && strcmp(c->name, container) == 0)
            return c;
        if (star == NULL && strcmp(c->name, "*") == 0)
            star = c;
    }
    return star;
}

void policy_for_container(const policy *p, const char *container, container_policy *out)
{
    const policy_container *o;

    out->mode = p->mode;
    out->apply = p->resources.apply;
    out->default_requests = p->resources.default_requests;
    out->default_limits = p->resources.default_limits;
    out->min_allowed = p->resources.min_allowed;
    out->max_allowed = p->resources.max_allowed;
    out->cpu_limit = p->resources.cpu_limit;
    out->memory_limit = p->resources.memory_limit;
    out->probes_inject = p->probes.inject;
    out->go_detect = p->go.detect;
    o = find_override(p, container);
    if (o == NULL)
        return;
    if (o->has_mode)
        out->mode = o->mode;
    if (o->has_min)
        merge_amounts(&out->min_allowed, &o->min_allowed);
    if (o->has_max)
        merge_amounts(&out->max_allowed, &o->max_allowed);
    if (o->has_cpu_limit)
        out->cpu_limit = o->cpu_limit;
    if (o->has_memory_limit)
        out->memory_limit = o->memory_limit;
    if (o->has_probes)
        out->probes_inject = o->probes_inject;
    if (o->has_go)
        out->go_detect = o->go_detect;
}

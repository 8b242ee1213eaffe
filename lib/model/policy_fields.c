/* policy_fields.c -- the field readers and checks the SizingPolicy parser
 * shares between its sections: enums (and their names), Kubernetes names,
 * {cpu, memory} amounts, limit rules, and min <= max checks.
 */
#include "model/policy_fields.h"
#include "model/quantity_field.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "model/quantity.h"

#define RATIO_MAX 1000.0

/* ---- enums ------------------------------------------------------------- */

const char *const policy_mode_names[] = {"Off", "Audit", "Initial", NULL};
const char *const policy_apply_names[] = {"IfMissing", "Always", NULL};
const char *const policy_strategy_names[] = {"None", "KeepRatio", "Ratio", NULL};
const char *const policy_inject_names[] = {"IfMissing", "Never", NULL};
const char *const policy_detect_names[] = {"Auto", "Always", "Never", NULL};
const char *const policy_gomaxprocs_names[] = {"WhenNoCPULimit", "Always", "Never", NULL};

static const char *enum_name(const char *const *names, size_t n, int v)
{
    return v >= 0 && (size_t)v < n ? names[v] : "?";
}

const char *policy_mode_name(policy_mode m)
{
    return enum_name(policy_mode_names, 3, (int)m);
}

const char *limit_strategy_name(limit_strategy s)
{
    return enum_name(policy_strategy_names, 3, (int)s);
}

const char *resources_apply_name(resources_apply a)
{
    return enum_name(policy_apply_names, 2, (int)a);
}

const char *probes_inject_name(probes_inject i)
{
    return enum_name(policy_inject_names, 2, (int)i);
}

const char *go_detect_name(go_detect d)
{
    return enum_name(policy_detect_names, 3, (int)d);
}

const char *gomaxprocs_mode_name(gomaxprocs_mode g)
{
    return enum_name(policy_gomaxprocs_names, 3, (int)g);
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
snug_status policy_parse_enum(const cJSON *obj, const char *key, const char *path,
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
    if (cJSON_IsFalse(v) && names == policy_mode_names)
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

/* ---- names ------------------------------------------------------------- */

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* RFC 1123 label: 1-63 of [a-z0-9-], starting and ending alphanumeric. */
bool policy_dns_label_valid(const char *s, size_t len)
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
bool policy_dns_subdomain_valid(const char *s)
{
    size_t len = strlen(s), start = 0, i;

    if (len == 0 || len > 253)
        return false;
    for (i = 0; i <= len; i++) {
        if (s[i] == '.' || s[i] == '\0') {
            if (!policy_dns_label_valid(s + start, i - start))
                return false;
            start = i + 1;
        }
    }
    return true;
}

/* IANA_SVC_NAME as Kubernetes checks container port names: 1-15 of
 * [a-z0-9-], at least one letter, no leading, trailing or double '-'. */
bool policy_port_name_valid(const char *s)
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

/* ---- resource amounts and bounds ---------------------------------------- */

static void format_amount(bool cpu, int64_t v, char *buf, size_t cap)
{
    if (cpu)
        cpu_format_milli(v, buf, cap);
    else
        mem_format_bytes(v, buf, cap);
}

void policy_merge_amounts(res_amounts *dst, const res_amounts *src)
{
    if (src->cpu_milli != RES_UNSET)
        dst->cpu_milli = src->cpu_milli;
    if (src->mem_bytes != RES_UNSET)
        dst->mem_bytes = src->mem_bytes;
}

/* {cpu, memory}. As the CRD's object-level defaults do, a given object
 * replaces the default as a whole: a member it leaves out is RES_UNSET. */
snug_status policy_parse_amounts(const cJSON *obj, const char *key, const char *path,
                                 res_amounts *out, bool *given, snug_err *err)
{
    static const char *const keys[] = {"cpu", "memory", NULL};
    res_amounts v = {RES_UNSET, RES_UNSET};
    const cJSON *o = NULL;
    fpath fp;

    TRY(jsonfield_section(obj, key, path, keys, &o, fp, sizeof(fp), err));
    if (o == NULL)
        return SNUG_OK;
    TRY(quantity_field(o, "cpu", fp, QUANTITY_FIELD_MILLI, &v.cpu_milli, err));
    TRY(quantity_field(o, "memory", fp, QUANTITY_FIELD_UNITS, &v.mem_bytes, err));
    *out = v;
    if (given != NULL)
        *given = true;
    return SNUG_OK;
}

/* lo <= hi for each resource set in both; bc says how to word an error. */
snug_status policy_check_bounds(const bounds_check *bc, const res_amounts *lo,
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
snug_status policy_parse_limit_rule(const cJSON *obj, const char *key, const char *path,
                                    limit_rule *out, bool *given, snug_err *err)
{
    static const char *const keys[] = {"strategy", "ratio", NULL};
    const cJSON *o = NULL;
    limit_rule r = {LIMIT_NONE, 0.0};
    fpath fp;

    TRY(jsonfield_section(obj, key, path, keys, &o, fp, sizeof(fp), err));
    if (o == NULL)
        return SNUG_OK;
    PARSE_ENUM(o, "strategy", fp, policy_strategy_names, r.strategy, err);
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

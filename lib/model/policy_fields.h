/* policy_fields.h -- what the parts of the SizingPolicy parser share
 * (policy.c, policy_spec.c, policy_containers.c, policy_fields.c). Only those
 * files include it; the public API is policy.h.
 *
 * Field readers follow jsonfield.h: `obj` is the parent object, `key` the
 * member, `path` the parent's path for messages; an absent or null member
 * leaves the output alone (it holds the default); failures are
 * SNUG_ERR_INVALID naming the field, or SNUG_ERR_NOMEM.
 */
#ifndef SNUG_POLICY_FIELDS_H
#define SNUG_POLICY_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "json/jsonfield.h"
#include "model/policy.h"
#include "base/status.h"

typedef char fpath[JSONFIELD_PATH_MAX];

/* Return from the calling function when `expr` fails. */
#define TRY(expr)                                                                                  \
    do {                                                                                           \
        snug_status t_st_ = (expr);                                                                \
        if (t_st_ != SNUG_OK)                                                                      \
            return t_st_;                                                                          \
    } while (0)

/* policy_parse_enum() into an enum-typed lvalue `field`; returns from the
 * calling function on failure. */
#define PARSE_ENUM(obj, key, path, names, field, err)                                              \
    do {                                                                                           \
        int e_v_ = (int)(field);                                                                   \
        snug_status e_st_ = policy_parse_enum(obj, key, path, names, &e_v_, err);                  \
        if (e_st_ != SNUG_OK)                                                                      \
            return e_st_;                                                                          \
        (field) = e_v_;                                                                            \
    } while (0)

/* ---- enums (policy_fields.c) -------------------------------------------- */

/* The YAML names of each enum, indexed by value, NULL-terminated. */
extern const char *const policy_mode_names[];
extern const char *const policy_apply_names[];
extern const char *const policy_strategy_names[];
extern const char *const policy_inject_names[];
extern const char *const policy_detect_names[];
extern const char *const policy_gomaxprocs_names[];

/* An enum member: a string equal (exact case) to one of `names` (one of the
 * arrays above); *out is its index. The message lists the values, points out
 * a case mismatch, and for policy_mode_names explains an unquoted Off that
 * YAML 1.1 read as false. */
snug_status policy_parse_enum(const cJSON *obj, const char *key, const char *path,
                              const char *const *names, int *out, snug_err *err);

/* ---- names (policy_fields.c) -------------------------------------------- */

/* RFC 1123 label: s[0..len) is 1-63 of [a-z0-9-], alphanumeric at both ends. */
bool policy_dns_label_valid(const char *s, size_t len);

/* RFC 1123 subdomain: at most 253 characters of dot-separated labels. */
bool policy_dns_subdomain_valid(const char *s);

/* IANA_SVC_NAME as Kubernetes checks container port names: 1-15 of
 * [a-z0-9-], at least one letter, no leading, trailing or double '-'. */
bool policy_port_name_valid(const char *s);

/* ---- amounts, limits and bounds (policy_fields.c) ----------------------- */

/* Copy the members of src that are set (not RES_UNSET) into dst. */
void policy_merge_amounts(res_amounts *dst, const res_amounts *src);

/* {cpu, memory} at obj.key. As the CRD's object-level defaults do, a given
 * object replaces *out as a whole (a member it leaves out is RES_UNSET), and
 * sets *given when `given` is not NULL. */
snug_status policy_parse_amounts(const cJSON *obj, const char *key, const char *path,
                                 res_amounts *out, bool *given, snug_err *err);

/* {strategy, ratio} at obj.key: a given object replaces *out as a whole; its
 * strategy defaults to None. ratio only with Ratio, and then required and in
 * [1, 1000]. Sets *given when `given` is not NULL. */
snug_status policy_parse_limit_rule(const cJSON *obj, const char *key, const char *path,
                                    limit_rule *out, bool *given, snug_err *err);

/* How policy_check_bounds() words an error. Per resource (cpu, memory), the
 * error blames the member of `lo_path` when blame_lo[i], else the member of
 * `hi_path`; the other side is named lo_name[i] / hi_name[i] ("maxAllowed",
 * or "spec.resources.maxAllowed" when an override inherited it). */
typedef struct bounds_check {
    const char *lo_path, *hi_path;
    const char *lo_name[2], *hi_name[2];
    bool blame_lo[2];
} bounds_check;

/* lo <= hi for each resource set in both; SNUG_ERR_INVALID otherwise. */
snug_status policy_check_bounds(const bounds_check *bc, const res_amounts *lo,
                                const res_amounts *hi, snug_err *err);

#endif

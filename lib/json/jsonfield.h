/* jsonfield.h -- strict, field-precise access to the JSON objects snug
 * validates (SizingPolicy, Recommendation, Pods): typed getters whose errors
 * name the field path and the expected type, unknown-field checks, and
 * Kubernetes quantities as millicores or whole units.
 *
 * Conventions shared by every getter below:
 *  - `obj` is the parent object, `key` the member, `path` the parent's path
 *    ("spec.resources"; "" at the top level). Errors read
 *    "<path>.<key>: <what is wrong>", e.g.
 *    "spec.priority: must be an integer, got string".
 *  - A member that is absent or JSON null counts as absent: the getter
 *    returns SNUG_OK and leaves *out unchanged (so callers pre-set defaults).
 *  - Failures are SNUG_ERR_INVALID; nothing is allocated, so nothing leaks.
 */
#ifndef SNUG_JSONFIELD_H
#define SNUG_JSONFIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/status.h"

/* Longest field path built by the helpers (longer ones are cut). */
#define JSONFIELD_PATH_MAX 256

/* "object", "array", "string", "number", "boolean", "null" (or "invalid"). */
const char *jsonfield_type_name(const cJSON *v);

/* buf = "<parent>.<key>" ("<key>" when parent is empty), cut to cap. */
void jsonfield_path(char *buf, size_t cap, const char *parent, const char *key);

/* buf = "<parent>[<i>]", cut to cap. */
void jsonfield_index_path(char *buf, size_t cap, const char *parent, size_t i);

/* The member `key` of obj (exact case; the first of duplicates), or NULL:
 * what cJSON_GetObjectItemCaseSensitive answers, but without a strcmp call
 * per member (the first byte is compared inline): the admission path looks
 * members up a few hundred times per request. */
static inline cJSON *jsonfield_member(const cJSON *obj, const char *key)
{
    cJSON *c;

    if (obj == NULL || key == NULL)
        return NULL;
    for (c = obj->child; c != NULL; c = c->next) {
        if (c->string != NULL && c->string[0] == key[0] && strcmp(c->string, key) == 0)
            return c;
    }
    return NULL;
}

/* The member `key` of obj (exact case), or NULL when obj is not an object,
 * the member is absent, or it is JSON null. */
const cJSON *jsonfield_get(const cJSON *obj, const char *key);

/* Refuse members of `obj` not listed in `allowed` (NULL-terminated):
 * "<path>.<name>: unknown field (known: a, b, c)". A member given twice is
 * refused as "<path>.<name>: duplicate field". */
snug_status jsonfield_check_keys(const cJSON *obj, const char *path, const char *const *allowed,
                                 snug_err *err);

/* Typed getters; see the conventions above. *out is borrowed from obj. */
snug_status jsonfield_object(const cJSON *obj, const char *key, const char *path, const cJSON **out,
                             snug_err *err);
snug_status jsonfield_array(const cJSON *obj, const char *key, const char *path, const cJSON **out,
                            snug_err *err);
snug_status jsonfield_string(const cJSON *obj, const char *key, const char *path, const char **out,
                             snug_err *err);
snug_status jsonfield_bool(const cJSON *obj, const char *key, const char *path, bool *out,
                           snug_err *err);

/* Enter the optional object member `key` of obj, the way every nested
 * section of a validated object is read: on success *out is the member
 * (borrowed) and fp (cap bytes) holds its path "<path>.<key>" for the
 * getters that read inside it; when `allowed` is not NULL its members are
 * checked as jsonfield_check_keys() does. Absent or null: SNUG_OK with *out
 * NULL. Not an object, or an unknown member: SNUG_ERR_INVALID, *out NULL. */
snug_status jsonfield_section(const cJSON *obj, const char *key, const char *path,
                              const char *const *allowed, const cJSON **out, char *fp, size_t cap,
                              snug_err *err);

/* A number that is an integer (no fractional part) in [min, max]:
 * "must be an integer, got 1.5", "must be between 1 and 3600, got 0". */
snug_status jsonfield_int64(const cJSON *obj, const char *key, const char *path, int64_t min,
                            int64_t max, int64_t *out, snug_err *err);

/* A finite number in the interval from lo to hi, each end open or closed:
 * "must be in (0, 1], got 1.5". */
snug_status jsonfield_double(const cJSON *obj, const char *key, const char *path, double lo,
                             bool lo_open, double hi, bool hi_open, double *out, snug_err *err);

/* Visit every object of a document stream (a cJSON array, as
 * yaml_parse_stream returns): a document whose kind is "List" or `list_kind`
 * contributes its `items`. `what` names the stream in the error for a
 * non-array ("policy documents: must be an array"). fn's errors are prefixed
 * "document N" (counted from 1) and "items[i]"; the first one stops the walk. */
typedef snug_status (*jsonfield_doc_fn)(const cJSON *obj, void *ud, snug_err *err);
snug_status jsonfield_each_doc(const cJSON *docs, const char *what, const char *list_kind,
                               jsonfield_doc_fn fn, void *ud, snug_err *err);

#endif

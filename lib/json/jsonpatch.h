/* jsonpatch.h -- JSON Pointer (RFC 6901) and JSON Patch (RFC 6902).
 *
 * The builder records operations against a live document: each call both
 * appends the operation to the patch and applies it to the document, so later
 * calls see earlier ones and the document always equals "original + patch".
 * Where a path's parents are missing, one `add` is emitted at the first
 * missing level carrying the whole nested object/array, because a JSON Patch
 * `add` fails when the parent does not exist.
 *
 * Paths are given as arrays of unescaped segments; the builder escapes them
 * (`~` -> `~0`, `/` -> `~1`), so a label key like "snug.dev/mutated" is passed
 * as is. Array positions are decimal segments ("0", "12"); "-" means append.
 */
#ifndef SNUG_JSONPATCH_H
#define SNUG_JSONPATCH_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/dynbuf.h"
#include "base/status.h"

typedef struct jsonpatch jsonpatch;

/* Start a patch against `doc`. The document is borrowed (not owned) and is
 * modified by the calls below; it must outlive the patch. NULL on NOMEM. */
jsonpatch *jsonpatch_new(cJSON *doc);
void jsonpatch_free(jsonpatch *p);

/* Set the value at `path` (n segments): `replace` when it exists, `add` when
 * only it is missing, a single `add` of a nested object at the first missing
 * ancestor otherwise (an ancestor that must be an array index and is missing
 * is SNUG_ERR_NOT_FOUND). A segment "-" appends to an array (and, below a
 * missing level, creates an array). In an existing array, index == length
 * appends with an `add` at that index; a larger one is SNUG_ERR_NOT_FOUND; a
 * segment that is not an index is SNUG_ERR_INVALID. Takes ownership of
 * `value` in every case (freed on failure). Setting a value equal to the
 * current one records nothing. SNUG_ERR_INVALID when a parent is a string,
 * number or boolean; a JSON null parent counts as missing and is replaced
 * (one `replace` carrying the nesting). n == 0 replaces the whole document
 * in place (path ""). On failure nothing is recorded and doc is unchanged. */
snug_status jsonpatch_set(jsonpatch *p, const char *const *path, size_t n, cJSON *value,
                          snug_err *err);

/* Same, with the segments as NULL-terminated varargs:
 * jsonpatch_setv(p, err, value, "metadata", "annotations", "snug.dev/mutated", NULL). */
snug_status jsonpatch_setv(jsonpatch *p, snug_err *err, cJSON *value, ...)
    __attribute__((sentinel));

/* Append `value` to the array at `path`, creating the array (and parents)
 * with one `add` when it is missing (or null). Takes ownership of value.
 * SNUG_ERR_INVALID when the value at path is not an array. */
snug_status jsonpatch_append(jsonpatch *p, const char *const *path, size_t n, cJSON *value,
                             snug_err *err);

/* Remove the value at path; missing is SNUG_ERR_NOT_FOUND. */
snug_status jsonpatch_remove(jsonpatch *p, const char *const *path, size_t n, snug_err *err);

/* Number of operations recorded. */
size_t jsonpatch_count(const jsonpatch *p);

/* The operations as a cJSON array (borrowed; valid until jsonpatch_free). */
const cJSON *jsonpatch_ops(const jsonpatch *p);

/* Detach and return the operations array (caller owns it). */
cJSON *jsonpatch_take_ops(jsonpatch *p);

/* Append the RFC 6901 escaped form of `segment` ("a/b~c" -> "a~1b~0c"). */
snug_status jsonpointer_escape(dynbuf *out, const char *segment);

/* Resolve an RFC 6901 pointer ("" is the whole document) in doc; NULL when
 * absent or malformed. Borrowed result. */
cJSON *jsonpointer_get(const cJSON *doc, const char *pointer);

/* Apply an RFC 6902 patch (add, remove, replace, move, copy, test) to doc in
 * place. On failure doc may be partly changed; err names the failing op index
 * and path: `json patch op 2 (remove "/a/b"): "b" does not exist`. A missing
 * target or parent is SNUG_ERR_NOT_FOUND; a malformed operation (unknown op,
 * missing or repeated member, bad pointer or index such as "01"), a failed
 * `test`, removing the whole document or moving a value into its own child is
 * SNUG_ERR_INVALID. The "" pointer replaces the whole document in place.
 * Used by tests and by the CLI to check patches. */
snug_status jsonpatch_apply(cJSON *doc, const cJSON *ops, snug_err *err);

/* Deep equality as RFC 6902 `test` defines it: same types, numbers equal by
 * value, objects equal whatever the member order. Unlike cJSON_Compare it is
 * linear in the size of the trees (cJSON_Compare is exponential in the depth
 * of nested objects) and does not recurse. False when an allocation fails. */
bool jsonpatch_equal(const cJSON *a, const cJSON *b);

#endif

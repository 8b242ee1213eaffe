/* jsonpatch_internal.h -- what the parts of the JSON Pointer / JSON Patch
 * module share (jsonpatch.c, jsonpatch_apply.c, jsonpointer.c,
 * jsonpatch_value.c). Only those files include it; the public API is
 * jsonpatch.h.
 */
#ifndef SNUG_JSONPATCH_INTERNAL_H
#define SNUG_JSONPATCH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/dynbuf.h"
#include "json/jsonpatch.h"
#include "base/status.h"

#define JSONPOINTER_MAX (1 << 20) /* longest pointer we build or read */

/* ---- pointers (jsonpointer.c) ------------------------------------------- */

/* Append "/seg" (escaped) for each of path[0..n) to `out`. Fails only as
 * the dynbuf does (SNUG_ERR_TOO_BIG, SNUG_ERR_NOMEM). */
snug_status jsonpointer_append_path(dynbuf *out, const char *const *path, size_t n);

/* The same pointer written into buf[0..cap) with its NUL, without
 * allocating: true when pointer and NUL fit, false (buf then holds a cut,
 * unterminated prefix) when not. */
bool jsonpointer_format(char *buf, size_t cap, const char *const *path, size_t n);

/* An RFC 6901 array index: "0" or digits without a leading zero, at most
 * INT_MAX, into *out. False for anything else ("-", "01", "1a", ""). */
bool jsonpointer_parse_index(const char *s, size_t *out);

/* Where a pointer leads: the parent container and the last segment. The
 * caller initialises `key` (dynbuf_init, JSONPOINTER_MAX) and frees it. */
typedef struct jp_loc {
    cJSON *parent; /* NULL: the pointer is "" (the whole document) */
    cJSON *target; /* the value there, or NULL when absent */
    dynbuf key;    /* last segment, unescaped */
    bool is_index; /* parent is an array and key is a valid index */
    bool is_end;   /* parent is an array and key is "-" */
    size_t index;
} jp_loc;

/* Resolve `ptr` in doc into *loc. Every container before the last segment
 * must exist; the target itself may be absent. Returns SNUG_OK, or
 * SNUG_ERR_NOT_FOUND (a missing parent) / SNUG_ERR_INVALID (not a pointer, a
 * bad escape, a non-index into an array, descending into a scalar) with the
 * reason written to msg[0..msz). */
snug_status jsonpointer_locate(cJSON *doc, const char *ptr, jp_loc *loc, char *msg, size_t msz);

/* ---- values (jsonpatch_value.c) ----------------------------------------- */

/* "an object", "an array", "a string", "a number", "a boolean" or "null",
 * for messages. */
const char *jsonpatch_type_name(const cJSON *v);

/* Replace the contents of `doc` (which may sit inside a parent, and keeps
 * its member name) with those of `v`, in place, and free v. Used for the ""
 * pointer. Never fails. */
void jsonpatch_replace_root(cJSON *doc, cJSON *v);

/* Drop the member name a value may carry before it goes into an array. */
void jsonpatch_unname(cJSON *v);

#endif

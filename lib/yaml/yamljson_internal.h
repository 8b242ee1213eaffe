/* yamljson_internal.h -- what the parts of the YAML/JSON module share.
 *
 * The module (public API: yamljson.h) is split by concept:
 *   yaml_parse.c     libyaml events to cJSON trees, yaml_parse_stream/_one
 *   yaml_fastpath.c  input that is plain JSON, read with cJSON first
 *   yaml_file.c      file_read_all, yaml_parse_file
 *   yaml_emit.c      cJSON trees to block-style YAML (yaml_emit)
 *   yaml_scalar.c    UTF-8 checks and the typing of plain scalars
 *   yaml_table.c     the string-keyed hash table behind duplicate keys and
 *                    anchors
 * Only those files include this header; `yj_` is the module's private prefix.
 */
#ifndef SNUG_YAMLJSON_INTERNAL_H
#define SNUG_YAMLJSON_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/status.h"
#include "yaml/yamljson.h"

/* ---- string-keyed hash table (yaml_table.c) ------------------------------
 *
 * Used for duplicate-key detection (a = line) and the anchor table (a =
 * nodes, b = height, node = owned copy). A zeroed yj_table is empty. */
typedef struct yj_ent {
    char *key; /* NULL: empty slot */
    size_t a, b;
    cJSON *node;
} yj_ent;

typedef struct yj_table {
    yj_ent *slots;
    size_t cap; /* 0 or a power of two */
    size_t n;
} yj_table;

/* The entry for `key`, or NULL when absent. The pointer is valid until the
 * next yj_table_put() (which may grow the table). */
yj_ent *yj_table_find(const yj_table *t, const char *key);

/* Insert `key` (copied) unless present; *ent is the entry either way, a new
 * one zeroed but for its key. Whether it was new shows in t->n. Fails only
 * with SNUG_ERR_NOMEM (the table is then unchanged). */
snug_status yj_table_put(yj_table *t, const char *key, yj_ent **ent);

/* Free every key and node and leave the table empty (and reusable). */
void yj_table_free(yj_table *t);

/* ---- UTF-8 and scalar typing (yaml_scalar.c) ---------------------------- */

/* Decode one well-formed UTF-8 sequence (no overlongs, no surrogates) into
 * *cp. Returns its length, or 0 when s[0..n) does not start with one. */
size_t yj_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Whether s[0..n) is entirely well-formed UTF-8. */
bool yj_utf8_valid(const char *s, size_t n);

/* What a plain scalar means to go-yaml v2's resolver (used by kubectl through
 * sigs.k8s.io/yaml). */
typedef enum yj_kind {
    YJ_STR, /* keep the text */
    YJ_NULL,
    YJ_BOOL,
    YJ_INT, /* integer; exact text in `dec` when it fits 64 bits */
    YJ_FLOAT,
    YJ_NONFINITE, /* .inf / .nan: JSON cannot carry them */
    YJ_BIG        /* an integer beyond the range of a double */
} yj_kind;

typedef struct yj_scalar {
    yj_kind kind;
    bool truth;
    double num;
    char dec[24]; /* decimal text of an exact YJ_INT, else "" */
} yj_scalar;

/* Type the plain scalar `s` (NUL-terminated, n = its length) into *out:
 * null, bool, int, float, non-finite, too big, or string. Never fails; out
 * of memory on a very long number leaves it a string. */
void yj_resolve_plain(const char *s, size_t n, yj_scalar *out);

/* Go's strconv.FormatFloat(x, 'g', -1, 64) into buf (size bytes), as
 * sigs.k8s.io/yaml turns a float mapping key into a string ("1e+06";
 * "+Inf", "-Inf", "NaN" for the non-finite values). */
void yj_format_go_g(double x, char *buf, size_t size);

/* ---- JSON fast path (yaml_fastpath.c) ------------------------------------ */

/* Parse buf[0..len) with cJSON when it cleanly is one JSON object or array
 * that follows the YAML path's rules (valid UTF-8, no NUL, no duplicate keys,
 * finite numbers, nesting within YAMLJSON_MAX_DEPTH). The caller owns the
 * result. NULL otherwise (including out of memory): the caller then parses
 * the input as YAML, which gives the authoritative answer or error. */
cJSON *yj_try_json(const char *buf, size_t len);

#endif

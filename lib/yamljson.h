/* yamljson.h -- YAML and JSON documents to and from cJSON trees (libyaml).
 *
 * Kubernetes objects arrive as YAML (kubectl files, kubeconfig) or JSON
 * (AdmissionReview, API responses). This module turns either into cJSON and
 * writes cJSON back out as YAML the way a person would write it.
 *
 * Parsing rules:
 *  - Multi-document streams (`---`) give one cJSON item per document, in
 *    order. Empty documents (only comments, or `---` twice) are skipped and
 *    not returned. A stream that is plain JSON is parsed as YAML too (JSON is
 *    YAML 1.2 flow syntax), so callers do not need to tell them apart.
 *  - Scalars follow the YAML 1.2 core schema like Kubernetes' sigs.k8s.io/yaml:
 *    plain `null`, `~`, empty -> null; `true`/`false` (also True/TRUE...) ->
 *    bool; integers (decimal, 0x.., 0o..) and floats (incl. .inf/.nan refused)
 *    -> number (a double, as cJSON stores it); everything quoted, or any
 *    other plain scalar -> string.
 *  - Mapping keys must be scalars; they are used as strings. A duplicate key
 *    is refused with SNUG_ERR_PARSE naming the key and line (as
 *    sigs.k8s.io/yaml does).
 *  - Anchors and aliases are expanded, but the total number of nodes created
 *    through aliases is capped (YAMLJSON_MAX_ALIAS_NODES) so a "billion
 *    laughs" document fails with SNUG_ERR_TOO_BIG instead of eating memory.
 *  - Nesting deeper than YAMLJSON_MAX_DEPTH fails with SNUG_ERR_TOO_BIG (no
 *    recursion deeper than that anywhere in this module).
 *  - Input longer than the caller's `max_bytes` fails with SNUG_ERR_TOO_BIG.
 *  - Errors carry the line and column: "line 12, column 3: mapping values are
 *    not allowed here".
 */
#ifndef SNUG_YAMLJSON_H
#define SNUG_YAMLJSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "dynbuf.h"
#include "status.h"

#define YAMLJSON_MAX_DEPTH       128
#define YAMLJSON_MAX_ALIAS_NODES 100000

/* Parse every document in `buf[0..len)` into a new cJSON array whose items are
 * the documents (objects, arrays or scalars), stored in *out. The caller owns
 * *out (cJSON_Delete). On failure *out is NULL and err names line/column. */
snug_status yaml_parse_stream(const char *buf, size_t len, size_t max_bytes, cJSON **out,
                              snug_err *err);

/* Parse exactly one document (the first; more than one is an error). */
snug_status yaml_parse_one(const char *buf, size_t len, size_t max_bytes, cJSON **out,
                           snug_err *err);

/* Read a whole file (or standard input when path is "-") of at most
 * `max_bytes` and parse it as a stream. Errors name the path. */
snug_status yaml_parse_file(const char *path, size_t max_bytes, cJSON **out, snug_err *err);

/* Append `doc` to `out` as block-style YAML (2-space indent, sequences
 * indented under their key as kubectl writes them, keys in the order the
 * object has them). Strings that would read back as something else (numbers,
 * booleans, null, empty, leading/trailing space, ':' or '#' hazards, leading
 * indicators, multi-line) are double-quoted with escapes, so
 * yaml_parse(yaml_emit(x)) == x for every tree. Does not write a leading
 * `---`. Fails only on SNUG_ERR_TOO_BIG / NOMEM from the dynbuf. */
snug_status yaml_emit(const cJSON *doc, dynbuf *out);

/* Read a whole file (or "-" for stdin) of at most max_bytes into a malloc'd
 * NUL-terminated buffer (*out, length in *len). Errors name the path. */
snug_status file_read_all(const char *path, size_t max_bytes, char **out, size_t *len,
                          snug_err *err);

#endif

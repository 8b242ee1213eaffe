/* yamljson.h -- YAML and JSON documents to and from cJSON trees (libyaml).
 *
 * Kubernetes objects arrive as YAML (kubectl files, kubeconfig) or JSON
 * (AdmissionReview, API responses). This module turns either into cJSON and
 * writes cJSON back out as YAML the way a person would write it.
 *
 * Parsing rules:
 *  - Multi-document streams (`---`) give one cJSON item per document, in
 *    order. Empty documents (only comments, or `---` twice) and documents
 *    that are just null are skipped and not returned, as kubectl skips them.
 *    A stream that is plain JSON is parsed as YAML too (JSON is YAML flow
 *    syntax), so callers do not need to tell them apart; JSON input is read
 *    with cJSON first, which also takes \uD83D\uDE00-style surrogate escapes.
 *  - Plain (unquoted) scalars are typed exactly as kubectl types them
 *    (sigs.k8s.io/yaml over go-yaml v2, a YAML 1.1 resolver):
 *      null:   empty, ~, null, Null, NULL
 *      bool:   true/True/TRUE, false/False/FALSE, and the YAML 1.1 words
 *              yes/Yes/YES, no/No/NO, on/On/ON, off/Off/OFF, y/Y, n/N
 *      number: decimal, 0x.., 0o.., 0b.., YAML 1.1 octal (0644 = 420),
 *              underscores ignored (1_000), floats (1.5, .5, 1e3); a double,
 *              as cJSON stores it. .inf/.nan are refused (SNUG_ERR_INVALID):
 *              JSON cannot carry them.
 *      string: everything else, including dates (2001-12-14) and numbers too
 *              big for a double (1e400).
 *    So `value: yes` is the boolean true, as kubectl sends it; `value: "yes"`
 *    is a string. Quoted and block (| >) scalars are always strings. The
 *    standard tags force a type (!!str 12 is "12", !!int "12" is 12); other
 *    tags are ignored and the text is kept as a string.
 *  - Mapping keys must be scalars; non-string keys become strings the way
 *    sigs.k8s.io/yaml does it (1 -> "1", on -> "true", 1e6 -> "1e+06"); a
 *    null key is refused. A duplicate key (after that conversion) is refused
 *    with SNUG_ERR_PARSE naming the key and both lines. Merge keys
 *    (`<<: *base`, `<<: [*a, *b]`) are applied: explicit keys win, then
 *    earlier sources.
 *  - Anchors and aliases are expanded, but the total number of nodes created
 *    through aliases is capped (YAMLJSON_MAX_ALIAS_NODES) so a "billion
 *    laughs" document fails with SNUG_ERR_TOO_BIG instead of eating memory.
 *    Anchors do not cross documents.
 *  - Nesting deeper than YAMLJSON_MAX_DEPTH fails with SNUG_ERR_TOO_BIG (no
 *    recursion deeper than that anywhere in this module).
 *  - Input longer than the caller's `max_bytes` fails with SNUG_ERR_TOO_BIG.
 *  - A string holding a NUL character is refused (cJSON strings cannot).
 *  - Errors carry the line and column: "line 12, column 3: mapping values are
 *    not allowed here".
 */
#ifndef SNUG_YAMLJSON_H
#define SNUG_YAMLJSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/dynbuf.h"
#include "base/status.h"

#define YAMLJSON_MAX_DEPTH       128
#define YAMLJSON_MAX_ALIAS_NODES 100000

/* Parse every document in `buf[0..len)` into a new cJSON array whose items are
 * the documents (objects, arrays or scalars), stored in *out. The caller owns
 * *out (cJSON_Delete). On failure *out is NULL and err names line/column. */
snug_status yaml_parse_stream(const char *buf, size_t len, size_t max_bytes, cJSON **out,
                              snug_err *err);

/* Parse exactly one document (more than one non-empty document is
 * SNUG_ERR_PARSE naming the line of the second; none at all, e.g. an empty
 * file, is SNUG_ERR_PARSE "no document"). The caller owns *out. */
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
 * yaml_parse(yaml_emit(x)) == x for every tree. Numbers are written as
 * integers when integral ("1000000"), else with the fewest digits that read
 * back exactly; NaN/Inf (not JSON) as null. Invalid UTF-8 bytes in strings
 * are written as \xNN escapes (they come back as U+00NN). Keys longer than
 * 1000 bytes use the explicit "? key" form. Does not write a leading `---`.
 * Fails only on SNUG_ERR_TOO_BIG / NOMEM from the dynbuf, or SNUG_ERR_TOO_BIG
 * for a tree nested deeper than YAMLJSON_MAX_DEPTH (which could not be read
 * back); on failure `out` is left as it was. */
snug_status yaml_emit(const cJSON *doc, dynbuf *out);

/* Read a whole file (or "-" for stdin) of at most max_bytes into a malloc'd
 * NUL-terminated buffer (*out, length in *len). Errors name the path. */
snug_status file_read_all(const char *path, size_t max_bytes, char **out, size_t *len,
                          snug_err *err);

#endif

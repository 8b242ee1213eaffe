/* jsonprint.h -- a fast compact printer for cJSON trees.
 *
 * A drop-in replacement for cJSON_PrintUnformatted() on the webhook's hot
 * path: for every tree the text is byte-identical to what cJSON 1.7.15
 * prints, and every tree cJSON refuses to print is refused here too
 * (SNUG_ERR_INVALID). It is 3 to 6 times faster (bench/jsonprint.c):
 * short strings are copied in the loop that finds their end, longer ones
 * are scanned 16 bytes a step (SSE2; 8 in a word elsewhere) and copied in
 * runs with one memcpy, never char by char twice; integral numbers below
 * 1e15 in magnitude are formatted without printf; output is staged in a
 * buffer on the stack and added to the dynbuf in large pieces.
 *
 * What is printed, exactly as cJSON prints it:
 *  - the node's type is `type & 0xFF` (cJSON_IsReference and
 *    cJSON_StringIsConst are ignored); one of false, true, null, number,
 *    string, array, object or raw, else the tree is refused (cJSON_Invalid,
 *    or two type bits at once);
 *  - arrays `[a,b]` and objects `{"k":v}` without any white space; only the
 *    children of an array or object are followed (a child pointer on any
 *    other node is ignored), and only the root itself, never root->next;
 *  - strings and member names: '"' '\\' and \b \f \n \r \t get their short
 *    escapes, other bytes below 0x20 become \u00xx (lowercase hex), every
 *    other byte (0x7f, '/', bytes >= 0x80 whether valid UTF-8 or not) is
 *    copied as it is. A NULL valuestring, or a NULL member name, prints as
 *    "" (cJSON does the same);
 *  - raw nodes: valuestring verbatim, unchecked (a raw "" root prints as
 *    the empty text); a raw node with a NULL valuestring makes the tree
 *    unprintable (cJSON fails too);
 *  - numbers, from valuedouble only (valueint is ignored, as by cJSON 1.7.15):
 *    NaN and infinities print as null; otherwise "%1.15g", unless that text
 *    read back differs from the value by more than DBL_EPSILON relative (the
 *    same test cJSON makes), then "%1.17g". -0.0 prints "-0". The locale's
 *    decimal separator is replaced by '.', as cJSON does; snug runs in the
 *    "C" locale.
 *
 * Depth: the printer is iterative and never recurses, so a deep tree cannot
 * overflow the stack. Nesting deeper than JSONPRINT_MAX_DEPTH arrays and
 * objects is refused with SNUG_ERR_TOO_BIG (cJSON's recursive printer
 * crashes long before that: at about 80000 levels on an 8 MB stack). A tree
 * with a cycle, which cJSON cannot print either, ends there too (or at the
 * output's maximum).
 *
 * Thread-safe: no global state. The tree is only read.
 */
#ifndef SNUG_JSONPRINT_H
#define SNUG_JSONPRINT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/dynbuf.h"
#include "base/status.h"

/* Deepest nesting of arrays and objects printed (the root container is
 * level 1). */
#define JSONPRINT_MAX_DEPTH 1000000u

/* Append the compact JSON text of `item` (and its children, not its
 * siblings) to `out`, which keeps it NUL-terminated as every dynbuf does (the
 * NUL is not counted in its length). `out` stays owned by the caller.
 * Failures: SNUG_ERR_INVALID for a NULL item or a tree cJSON cannot print
 * (the message names the node), SNUG_ERR_TOO_BIG when the text would take
 * `out` past its maximum or nesting exceeds JSONPRINT_MAX_DEPTH,
 * SNUG_ERR_NOMEM. On failure `out` holds what it held before the call (its
 * allocation may have grown). */
snug_status jsonprint_append(dynbuf *out, const cJSON *item, snug_err *err);

/* The compact JSON text of `item` as a new NUL-terminated string in *out,
 * allocated with plain malloc (NOT cJSON_malloc, so it may outlive a
 * jsonarena window): the caller frees it with free(). *len gets its length
 * when len is not NULL. The text may be at most `max` bytes (not counting
 * the NUL): SNUG_ERR_TOO_BIG beyond. Other failures as jsonprint_append();
 * on failure *out is NULL and *len is untouched. */
snug_status jsonprint_string(const cJSON *item, size_t max, char **out, size_t *len, snug_err *err);

/* Append the `len` bytes at `s` to `out` as a JSON string literal, quotes
 * included, escaped exactly as cJSON escapes strings (see above). `s` need
 * not be NUL-terminated; a NUL byte inside it is written as \u0000 (cJSON,
 * which reads C strings, would stop there). `s` may be NULL when len is 0.
 * Failures: SNUG_ERR_TOO_BIG past out's maximum, SNUG_ERR_NOMEM,
 * SNUG_ERR_INVALID for a NULL `s` with len > 0; on failure `out` holds what
 * it held before. */
snug_status jsonprint_string_literal(dynbuf *out, const char *s, size_t len, snug_err *err);

#endif

/* prom_json.h -- a strict pull reader of JSON text, for reading large
 * Prometheus answers in one pass without building a tree.
 *
 * A cJSON tree of a matrix answer costs over 200 bytes per sample (an array
 * node, a number node, a string node and its copy); reading the text
 * straight into prom_result's arrays costs the 16 bytes a sample keeps.
 *
 * It accepts exactly what lib/json/jsonparse.c accepts (RFC 8259: one value,
 * whitespace space/tab/LF/CR, no BOM, no trailing bytes, no raw control
 * bytes in strings, \uXXXX with surrogate pairs joined and lone surrogates
 * refused, numbers in JSON syntax of at most JSONPARSE_MAX_NUMBER characters,
 * at most JSONPARSE_MAX_DEPTH nested containers), so "is this JSON" has one
 * answer in snug. A syntax error makes the reader `bad` (sticky): every
 * later call does nothing and returns false, and the caller reports the
 * text as not JSON.
 *
 * Use: pjson_begin(j, '{') then, while pjson_next(j, '}', &first), read a
 * key with pjson_string, pjson_expect(j, ':'), and a value (or
 * pjson_skip); arrays the same with '[' / ']'. Not thread-safe per reader.
 */
#ifndef SNUG_PROM_JSON_H
#define SNUG_PROM_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "base/dynbuf.h"

typedef struct pjson {
    const char *p;   /* the next byte */
    const char *end; /* one past the last */
    int depth;       /* open containers */
    bool bad;        /* a syntax error was seen (or a string outgrew its buffer) */
} pjson;

/* Start reading `len` bytes at `text`. */
void pjson_init(pjson *j, const char *text, size_t len);

/* The first byte of the next value after whitespace: '{', '[', '"', '-' or
 * a digit for numbers, 't', 'f', 'n'; 0 at the end or when bad. */
char pjson_peek(pjson *j);

/* Consume `c` after whitespace, or become bad. */
bool pjson_expect(pjson *j, char c);

/* Open a container ('{' or '['): false (and bad) when the next value is not
 * one or the nesting limit is reached. */
bool pjson_begin(pjson *j, char open);

/* Advance inside the container opened with `close`'s partner: true when
 * another element follows (its ',' consumed), false at the closing bracket
 * (consumed) or when bad. *first must be true before the first call. */
bool pjson_next(pjson *j, char close, bool *first);

/* Read a string into `out` (reset first; decoded; NUL-terminated; a decoded
 * \u0000 ends the C string as it does for cJSON). False and bad when the
 * next value is not a valid string or it does not fit `out`. */
bool pjson_string(pjson *j, dynbuf *out);

/* Read a number (strtod of the JSON text: 1e400 is inf). */
bool pjson_number(pjson *j, double *out);

/* Skip one value of any kind, checking its syntax. */
bool pjson_skip(pjson *j);

/* After the value: true when only whitespace is left (else bad). */
bool pjson_finish(pjson *j);

#endif

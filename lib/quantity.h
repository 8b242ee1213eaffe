/* quantity.h -- Kubernetes resource quantities (resource.Quantity), exactly.
 *
 * Accepts every form the API server accepts:
 *   <quantity>        ::= <signedNumber><suffix>
 *   <signedNumber>    ::= [+-] digits [. digits] | [+-] . digits
 *   <suffix>          ::= "" | Ki Mi Gi Ti Pi Ei | n u m k M G T P E
 *                       | e<signedInt> | E<signedInt>
 * e.g. "100m", "0.5", "1e3", "128Mi", "1G", "1.5Gi", "+2", "-1", ".5".
 * Whitespace, empty strings, "1.", bare suffixes and anything else are
 * refused with SNUG_ERR_PARSE and a message quoting the input.
 *
 * Representation: the value in nano-units (10^-9) as a signed 128-bit integer,
 * plus the format the input used (DecimalSI, BinarySI, DecimalExponent). As in
 * Kubernetes, precision below 1n is rounded up (away from zero for positive
 * values) at parse time: "0.1n" -> 1n. Values whose magnitude exceeds
 * QUANTITY_MAX_BASE_UNITS (far above any real resource: 2^96 base units) fail
 * with SNUG_ERR_RANGE.
 *
 * Canonical formatting follows resource.Quantity.String(): no fractional
 * digits, the largest exponent/suffix that loses no precision, BinarySI only
 * for integral values >= 1024 in magnitude (else DecimalSI), DecimalExponent
 * stays exponent form. Examples: "1.5" -> "1500m", "1.5Gi" -> "1536Mi",
 * "1000" -> "1k", "1024" (BinarySI input "1Ki") -> "1Ki", "0.1" -> "100m",
 * "1e3" -> "1e3", "0" -> "0", "100m" -> "100m", "2000m" -> "2".
 */
#ifndef SNUG_QUANTITY_H
#define SNUG_QUANTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "status.h"

typedef enum quantity_format {
    QUANTITY_DECIMAL_SI = 0,  /* "1k", "100m", "5" */
    QUANTITY_BINARY_SI = 1,   /* "128Mi" */
    QUANTITY_DECIMAL_EXP = 2  /* "1e3" */
} quantity_format;

typedef struct quantity {
    __int128 nanos;         /* value x 10^9 */
    quantity_format format; /* how it is written back */
} quantity;

/* Longest canonical string quantity_format_str() can produce, with NUL. */
#define QUANTITY_STR_MAX 64

/* Parse `s`. On failure *out is untouched and err says why, quoting `s`. */
snug_status quantity_parse(const char *s, quantity *out, snug_err *err);

/* Parse a JSON value the API server would accept as a quantity: a string, or
 * a number (YAML `cpu: 1` or `memory: 1e9`), converted exactly from its text.
 * Any other type is SNUG_ERR_INVALID ("must be a string or number"). */
snug_status quantity_parse_json(const cJSON *item, quantity *out, snug_err *err);

/* Write the canonical form into buf (at least QUANTITY_STR_MAX bytes).
 * Returns SNUG_ERR_TOO_BIG if cap is too small. */
snug_status quantity_format_str(const quantity *q, char *buf, size_t cap);

/* -1, 0, 1 as a < b, a == b, a > b (by value, ignoring format). */
int quantity_cmp(const quantity *a, const quantity *b);

/* Constructors. */
quantity quantity_from_milli(int64_t milli, quantity_format fmt);
quantity quantity_from_int(int64_t value, quantity_format fmt);

/* CPU: the value in millicores, rounded up (ceiling) to a whole millicore,
 * saturating at INT64_MAX / INT64_MIN. */
int64_t quantity_milli_ceil(const quantity *q);

/* Memory: the value in whole units (bytes), rounded up, saturating. */
int64_t quantity_value_ceil(const quantity *q);

/* Multiply by `ratio` (finite, >= 0) rounding up to 1n. SNUG_ERR_RANGE on
 * overflow or a bad ratio. The result keeps q's format. */
snug_status quantity_scale(const quantity *q, double ratio, quantity *out);

/* Canonical strings for snug's own outputs:
 *  cpu_format_milli(1500) -> "1500m", (2000) -> "2", (100) -> "100m";
 *  mem_format_bytes(134217728) -> "128Mi", (1000) -> "1k", (1536) -> "1536".
 * buf must hold QUANTITY_STR_MAX bytes. */
void cpu_format_milli(int64_t milli, char *buf, size_t cap);
void mem_format_bytes(int64_t bytes, char *buf, size_t cap);

/* Rounding used for recommendations: CPU up to a whole millicore is already
 * what quantity_milli_ceil gives; memory up to the next multiple of 1 MiB. */
int64_t mem_round_up_mib(int64_t bytes);

#endif

/* quantity.h -- Kubernetes resource quantities (resource.Quantity), exactly.
 *
 * Accepts every form the API server accepts:
 *   <quantity>        ::= <signedNumber><suffix>
 *   <signedNumber>    ::= [+-] digits [. [digits]] | [+-] . digits
 *   <suffix>          ::= "" | Ki Mi Gi Ti Pi Ei | n u m k M G T P E
 *                       | e<signedInt> | E<signedInt>
 * e.g. "100m", "0.5", "1e3", "128Mi", "1G", "1.5Gi", "+2", "-1", ".5", "5.",
 * "1.G", "1E-3" ("E" alone is exa, 10^18; "e" alone is an error). Suffixes
 * are case-sensitive ("1K", "1mi", "1KiB" are refused). Whitespace, empty
 * strings, digit-less forms (".", "+", "-", "Gi": ParseQuantity reads these
 * as 0 but the CRD schema pattern for quantities refuses them), exponents that
 * do not fit int64 ("1e99999999999999999999") and anything else are refused
 * with SNUG_ERR_PARSE and a message quoting the input.
 *
 * Representation: the value in nano-units (10^-9) as a signed 128-bit integer,
 * plus the format the input used (DecimalSI, BinarySI, DecimalExponent). As in
 * Kubernetes, precision below 1n is rounded up away from zero at parse time:
 * "0.1n" -> 1n, "-0.1n" -> -1n, "0.000000000001Ki" -> 2n. As in Kubernetes,
 * a BinarySI input is silently capped at 2^63-1 in magnitude ("8Ei" ->
 * 9223372036854775807), and a BinarySI input below 1 in magnitude becomes
 * DecimalSI ("0.0001Ki" -> "102400u"). Other values whose magnitude exceeds
 * QUANTITY_MAX_BASE_UNITS (far above any real resource: 2^96 base units) fail
 * with SNUG_ERR_RANGE (Kubernetes keeps them, e.g. "1e1000"). Parsing is
 * linear in the input length, whatever the number of digits.
 *
 * Canonical formatting follows resource.Quantity.String(): no fractional
 * digits, the largest exponent (a multiple of 3) / suffix that loses no
 * precision, BinarySI only for integral values >= 1024 in magnitude (else
 * DecimalSI), DecimalExponent stays exponent form. Examples: "1.5" -> "1500m",
 * "1.5Gi" -> "1536Mi", "1000" -> "1k", "1024" (BinarySI input "1Ki") ->
 * "1Ki", "1.5Ki" -> "1536", "0.1" -> "100m", "1e3" -> "1e3", "1e4" -> "10e3",
 * "1.5e0" -> "1500e-3", "0" -> "0", "-0" -> "0", "100m" -> "100m",
 * "2000m" -> "2". A DecimalSI value beyond the "E" suffix is written in
 * exponent form ("1000E" -> "1e21", as current Kubernetes does; releases up to
 * 1.34 wrote "1"). Kubernetes' String() also echoes some inputs verbatim when
 * they look canonical to its fast path ("+1", "007", "1.500", "1."); snug
 * always writes the computed canonical form ("1", "7", "1500m", "1"), which is
 * what Kubernetes computes for the same value.
 */
#ifndef SNUG_QUANTITY_H
#define SNUG_QUANTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/status.h"

typedef enum quantity_format {
    QUANTITY_DECIMAL_SI = 0, /* "1k", "100m", "5" */
    QUANTITY_BINARY_SI = 1,  /* "128Mi" */
    QUANTITY_DECIMAL_EXP = 2 /* "1e3" */
} quantity_format;

typedef struct quantity {
    __int128 nanos;         /* value x 10^9 */
    quantity_format format; /* how it is written back */
} quantity;

/* Longest canonical string quantity_format_str() can produce, with NUL. */
#define QUANTITY_STR_MAX 64

/* Largest magnitude a quantity may have, in base units (2^96), and in nanos. */
#define QUANTITY_MAX_BASE_UNITS ((__int128)1 << 96)
#define QUANTITY_MAX_NANOS      (QUANTITY_MAX_BASE_UNITS * 1000000000)

/* Parse `s`. On failure *out is untouched and err says why, quoting `s`. */
snug_status quantity_parse(const char *s, quantity *out, snug_err *err);

/* Parse a JSON value the API server would accept as a quantity: a string, or
 * a number (YAML `cpu: 1` or `memory: 1e9`), converted exactly from its text.
 * Any other type is SNUG_ERR_INVALID ("must be a string or number").
 * A string is trimmed of leading/trailing ASCII whitespace first, as
 * Quantity.UnmarshalJSON does (" 1Gi" is accepted there, not by
 * quantity_parse). cJSON keeps only the double of a number, so its text is
 * rebuilt as Go's encoding/json writes that double (which is what kubectl
 * sends for a YAML number): the shortest decimal that reads back to the same
 * double, in plain notation for 1e-6 <= |x| < 1e21 (DecimalSI: 0.1 -> "100m",
 * 1000 -> "1k") and exponent notation otherwise (DecimalExponent: 1e21 ->
 * "1e21"). Integers up to 2^53 and decimals of up to 15 significant digits
 * are therefore exact; longer numbers are what the double holds
 * (12345678901234567890 -> "12345678901234567k"), and a number written as
 * "1e3" in the JSON text becomes DecimalSI "1k" where Kubernetes, seeing the
 * text, would keep "1e3". Non-finite: SNUG_ERR_RANGE. */
snug_status quantity_parse_json(const cJSON *item, quantity *out, snug_err *err);

/* Write the canonical form into buf (at least QUANTITY_STR_MAX bytes).
 * Returns SNUG_ERR_TOO_BIG if cap is too small (buf is then "" if cap > 0).
 * A BinarySI value above 2^63-1 in magnitude (quantity_scale or
 * quantity_from_int(INT64_MIN) can make one) is written as DecimalSI, so
 * that the string parses back to the same value (a BinarySI string would be
 * capped). */
snug_status quantity_format_str(const quantity *q, char *buf, size_t cap);

/* -1, 0, 1 as a < b, a == b, a > b (by value, ignoring format). */
int quantity_cmp(const quantity *a, const quantity *b);

/* Constructors. */
quantity quantity_from_milli(int64_t milli, quantity_format fmt);
quantity quantity_from_int(int64_t value, quantity_format fmt);

/* CPU: the value in millicores, rounded up (ceiling) to a whole millicore,
 * saturating at INT64_MAX / INT64_MIN. Same as MilliValue() for values >= 0
 * that fit (MilliValue overflows silently); for negative values this is the true ceiling ("-1.5m"
 * -> -1), where Kubernetes' big-number path gives inconsistent results. */
int64_t quantity_milli_ceil(const quantity *q);

/* Memory: the value in whole units (bytes), rounded up, saturating. */
int64_t quantity_value_ceil(const quantity *q);

/* Multiply by `ratio` (finite, >= 0) rounding up to 1n. SNUG_ERR_RANGE on
 * overflow or a bad ratio. The result keeps q's format.
 * The ratio is taken as the shortest decimal that reads back to the same
 * double (as a policy writes it: 1.2 is 1.2, not 1.1999999999999999556), and
 * the product is exact, its magnitude rounded up to 1n (away from zero):
 * 1Gi x 1.2 = "1288490188800m", 100m x 0.9 = "90m". */
snug_status quantity_scale(const quantity *q, double ratio, quantity *out);

/* Canonical strings for snug's own outputs:
 *  cpu_format_milli(1500) -> "1500m", (2000) -> "2", (100) -> "100m";
 *  mem_format_bytes(134217728) -> "128Mi", (1000) -> "1k", (1536) -> "1536".
 * buf must hold QUANTITY_STR_MAX bytes. */
void cpu_format_milli(int64_t milli, char *buf, size_t cap);
void mem_format_bytes(int64_t bytes, char *buf, size_t cap);

/* Rounding used for recommendations: CPU up to a whole millicore is already
 * what quantity_milli_ceil gives; memory up to the next multiple of 1 MiB
 * (ceiling, so -1 -> 0). Above the largest multiple of 1 MiB that fits int64
 * (2^63 - 2^20) it saturates to that multiple rather than overflowing. */
int64_t mem_round_up_mib(int64_t bytes);

#endif

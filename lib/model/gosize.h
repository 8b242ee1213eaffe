/* gosize.h -- Go runtime memory sizes, the syntax GOMEMLIMIT accepts.
 *
 * Go parses GOMEMLIMIT as decimal digits followed by an optional unit:
 * B, KiB, MiB, GiB, TiB (no decimal point, no sign, no SI units such as "M",
 * and not Kubernetes' "Mi"), or the word "off". A wrong value makes a Go
 * program die at start, so snug writes and checks these with this module
 * only, never with the quantity code.
 * Facts from the Go runtime (parseByteCount, readGOMEMLIMIT): units are
 * case-sensitive; "0" and "0B" are valid (a zero limit); a bare "B" or "KiB"
 * is not; leading zeros are fine; the value must fit int64. Newer Go also
 * takes a leading "+" (and every Go takes "-0"); snug refuses signs so that
 * what it accepts works with every Go version. An empty GOMEMLIMIT is unset
 * to Go (no limit): gosize_parse() refuses "", gosize_parse_env() reads it as
 * the runtime does.
 */
#ifndef SNUG_GOSIZE_H
#define SNUG_GOSIZE_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

#define GOSIZE_STR_MAX 32
#define GOSIZE_OFF     INT64_MAX /* what "off" means to Go */

/* Parse a GOMEMLIMIT value into bytes. "off" gives GOSIZE_OFF. Overflow of
 * int64 is SNUG_ERR_RANGE; anything else not in the syntax is SNUG_ERR_PARSE
 * with a message quoting the input (and saying "use MiB, not Mi" when that is
 * the mistake). */
snug_status gosize_parse(const char *s, int64_t *bytes, snug_err *err);

/* The value of a GOMEMLIMIT environment variable as the Go runtime reads it:
 * as gosize_parse(), but NULL and "" (unset/empty) give GOSIZE_OFF. Use this
 * to judge whether a user's env entry would stop a Go program. */
snug_status gosize_parse_env(const char *s, int64_t *bytes, snug_err *err);

/* Format bytes (> 0) with the largest unit that divides it exactly:
 * 482344960 -> "460MiB", 1073741824 -> "1GiB", 483183820 -> "483183820B".
 * buf holds at least GOSIZE_STR_MAX bytes. bytes <= 0 gives "0B". The output
 * always reads back (gosize_parse) to the same bytes; if cap is too small buf
 * is set to "" rather than to a cut, different number. */
void gosize_format(int64_t bytes, char *buf, size_t cap);

#endif

/* duration.h -- the time values snug's objects carry: policy durations
 * ("7d", "1h30m") and RFC 3339 timestamps ("2026-01-02T03:04:05Z").
 *
 * Durations are written as Prometheus writes range selectors, restricted to
 * the units a policy needs: one or more <integer><unit> parts with units d
 * (86400 s), h, m, s, each unit at most once and in that order ("1d12h",
 * "1h30m", "90s", "0s"). No sign, no fractions, no spaces, no "ms"/"w"/"y".
 * So every policy duration can be pasted into PromQL unchanged.
 */
#ifndef SNUG_DURATION_H
#define SNUG_DURATION_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

/* Durations as the policy writes them: "90s", "30m", "24h", "7d", "1h30m"
 * (units d, h, m, s; integers only; at least one unit). Errors quote the
 * input: `invalid duration "7x": unknown unit "x" (use d, h, m, s)` is
 * SNUG_ERR_INVALID; a value past INT64_MAX seconds is SNUG_ERR_RANGE.
 * *seconds is set only on success. */
snug_status duration_parse(const char *s, int64_t *seconds, snug_err *err);

/* Longest string duration_format() writes, with the NUL. */
#define DURATION_STR_MAX 32

/* The shortest form of a non-negative duration that duration_parse reads
 * back: 604800 -> "7d", 5400 -> "1h30m", 0 -> "0s". Negative values are
 * written as "0s". */
void duration_format(int64_t seconds, char *buf, size_t cap);

/* Parse an RFC 3339 date-time as Kubernetes writes metav1.Time:
 * "2026-01-02T03:04:05Z", also with fractional seconds
 * ("...05.123456Z", dropped) and numeric offsets ("...05+02:00"). Years
 * 0000-9999, real calendar dates, seconds 00-59. *epoch gets seconds since
 * 1970-01-01T00:00:00Z (negative before). SNUG_ERR_INVALID quoting the
 * input otherwise. */
snug_status rfc3339_parse(const char *s, int64_t *epoch, snug_err *err);

/* Longest string rfc3339_format() writes, with the NUL. */
#define RFC3339_STR_MAX 32

/* Format seconds since the epoch as "YYYY-MM-DDTHH:MM:SSZ" (UTC). Years
 * outside 0000-9999 are clamped to the nearest end of that range. */
void rfc3339_format(int64_t epoch, char *buf, size_t cap);

#endif

/* log.h -- the one logger: JSON lines with levels, safe from any thread.
 *
 * Library code never prints; it calls snug_log(). Each call writes one line:
 *   {"ts":"2026-11-24T22:54:14.123Z","level":"info","component":"webhook",
 *    "msg":"request served","uid":"...","ms":"0.4"}
 * Extra fields are given as NULL-terminated (key, value) string pairs; a NULL
 * value is written as JSON null. Lines longer than LOG_LINE_MAX are cut and
 * marked "truncated":true. Logging never fails visibly: errors are dropped.
 */
#ifndef SNUG_LOG_H
#define SNUG_LOG_H

#include <stdio.h>

#include "base/dynbuf.h"

typedef enum log_level {
    LOG_DEBUG = 0,
    LOG_INFO = 1,
    LOG_WARN = 2,
    LOG_ERROR = 3,
    LOG_OFF = 4
} log_level;

#define LOG_LINE_MAX 8192

/* Only messages at or above `lvl` are written (default LOG_INFO). */
void log_set_level(log_level lvl);
log_level log_get_level(void);

/* Parse "debug", "info", "warn"/"warning", "error", "off". Returns 0 and sets
 * *out on success, -1 for an unknown name. */
int log_parse_level(const char *name, log_level *out);

/* Send lines to `fp` (default stderr). The logger does not own or close it. */
void log_set_output(FILE *fp);

/* Send lines to a callback instead of a FILE (tests use this to capture
 * output). `line` excludes the newline. Pass NULL to go back to the FILE. */
typedef void (*log_sink_fn)(const char *line, void *ud);
void log_set_sink(log_sink_fn fn, void *ud);

/* Write one line. `component` names the module ("webhook", "kube"...), `msg`
 * is a fixed human sentence; details go in the key/value pairs, which must be
 * terminated by NULL: snug_log(LOG_INFO, "kube", "relisting", "resource",
 * "pods", NULL). */
void snug_log(log_level lvl, const char *component, const char *msg, ...) __attribute__((sentinel));

/* Append `s` to `b` as a JSON string literal, quotes included, escaping
 * control characters, quotes and backslashes; invalid UTF-8 bytes are written
 * as \u00XX. Shared by every module that hand-writes JSON. */
snug_status json_append_string(dynbuf *b, const char *s);

#endif

/* promql.h -- building PromQL selectors safely.
 *
 * Everything a query takes from outside (namespace and pod names, container
 * names, a user's extra matchers) goes through here, so a quote or a
 * backslash in a value can never change the query's shape.
 *
 * Strings are written double-quoted with Go's escapes, the ones PromQL's
 * lexer reads: \" \\ \n \r \t \a \b \f \v, other control bytes and bytes
 * that are not part of valid UTF-8 as \xHH; valid UTF-8 passes as it is.
 *
 * A user's extra matcher list (`cluster="prod", env=~"staging|qa"`) is
 * parsed, not pasted: name op string [, name op string ...] [,], with the
 * string double-quoted, single-quoted (both with Go escapes) or in
 * backquotes (raw), and is written back from what was parsed, so the text
 * that reaches Prometheus is exactly what was checked. Regular expressions
 * are not compiled here (Prometheus uses RE2 syntax): a bad one comes back
 * as Prometheus' own bad_data error.
 */
#ifndef SNUG_PROMQL_H
#define SNUG_PROMQL_H

#include <stdbool.h>
#include <stddef.h>

#include "base/dynbuf.h"
#include "base/status.h"

#define PROMQL_EXTRA_MAX 4096 /* bytes of a user's extra matcher list */

typedef struct promql_matcher {
    const char *name;  /* a label name (promql_label_name_valid) */
    const char *op;    /* "=", "!=", "=~", "!~" */
    const char *value; /* any string; escaped on output */
} promql_matcher;

/* Append `value` escaped for a double-quoted PromQL string, quotes
 * included. SNUG_ERR_TOO_BIG / SNUG_ERR_NOMEM from the buffer; on failure
 * the buffer keeps what it had before the call. */
snug_status promql_escape(dynbuf *b, const char *value);

/* Whether `name` is a metric name: [a-zA-Z_:][a-zA-Z0-9_:]*. NULL: false. */
bool promql_name_valid(const char *name);

/* Whether `name` is a label name: [a-zA-Z_][a-zA-Z0-9_]* (no ':'). */
bool promql_label_name_valid(const char *name);

/* Whether `op` is one of the four matcher operators. */
bool promql_op_valid(const char *op);

/* Append the selector metric{m1="v",m2!="",<extra>} to `b`. `metric` may be
 * NULL or "" (then the braces must hold at least one matcher); no matchers
 * and no extra gives the bare metric name. `extra` is a raw user matcher
 * list (see the top of this file) or NULL/"". An invalid metric or label
 * name, operator or extra list is SNUG_ERR_INVALID (SNUG_ERR_PARSE for an
 * extra list that does not parse), naming it in `err`; on any failure the
 * buffer keeps what it had before the call. */
snug_status promql_selector(dynbuf *b, const char *metric, const promql_matcher *m, size_t n,
                            const char *extra, snug_err *err);

/* Check a user's extra matcher list once, for flag parsing: SNUG_OK for NULL,
 * "" and a valid list; SNUG_ERR_PARSE (syntax: "extra matchers: at offset 9:
 * expected an operator (=, !=, =~, !~)"), SNUG_ERR_INVALID (a bad label
 * name) or SNUG_ERR_TOO_BIG (over PROMQL_EXTRA_MAX bytes) otherwise. */
snug_status promql_extra_check(const char *extra, snug_err *err);

#endif

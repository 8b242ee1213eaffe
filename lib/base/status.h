/* status.h -- the status codes every snug function returns, and an error
 * context that carries a human-readable message with them.
 *
 * Convention: a function that can fail returns snug_status and, when given a
 * non-NULL `snug_err *err`, fills it with a message that names the input and
 * the field that was wrong ("spec.resources.minAllowed.cpu: ..."). Callers that
 * do not care pass NULL. The message is truncated, never overflowed.
 */
#ifndef SNUG_STATUS_H
#define SNUG_STATUS_H

#include <stddef.h>

typedef enum snug_status {
    SNUG_OK = 0,
    SNUG_ERR_NOMEM,        /* an allocation failed */
    SNUG_ERR_PARSE,        /* input is not well-formed (JSON, YAML, quantity...) */
    SNUG_ERR_INVALID,      /* well-formed, but a value is not allowed */
    SNUG_ERR_RANGE,        /* a number is out of the representable range */
    SNUG_ERR_TOO_BIG,      /* a buffer or input exceeds its configured maximum */
    SNUG_ERR_IO,           /* a file or socket operation failed */
    SNUG_ERR_NOT_FOUND,    /* the thing asked for does not exist */
    SNUG_ERR_UNSUPPORTED,  /* a kind, version or feature snug does not handle */
    SNUG_ERR_HTTP,         /* an HTTP exchange failed or returned an error status */
    SNUG_ERR_TLS,          /* a TLS or certificate operation failed */
    SNUG_ERR_CONFLICT,     /* optimistic concurrency conflict (HTTP 409) */
    SNUG_ERR_GONE,         /* resourceVersion too old (HTTP 410): relist */
    SNUG_ERR_UNAUTHORIZED, /* credentials refused (HTTP 401/403) */
    SNUG_ERR_TIMEOUT,      /* a deadline passed */
    SNUG_ERR_INTERNAL      /* a bug: an invariant did not hold */
} snug_status;

#define SNUG_ERR_MSG_MAX 512

typedef struct snug_err {
    snug_status status;
    char msg[SNUG_ERR_MSG_MAX];
} snug_err;

/* Return a short constant name for a status ("ok", "out of memory", ...). */
const char *snug_status_str(snug_status st);

/* Record `st` and a printf-style message in `err` (which may be NULL) and
 * return `st`, so callers can write `return snug_err_set(err, ...)`. */
snug_status snug_err_set(snug_err *err, snug_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix the message already in `err` with "<prefix>: ". Returns err->status,
 * which is SNUG_OK when err is NULL: to return a failure, use snug_err_wrap. */
snug_status snug_err_prefix(snug_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prefix the message in `err` (which may be NULL) and return `st`, so a
 * caller can write `return snug_err_wrap(err, st, "LimitRange %s", name)`. */
snug_status snug_err_wrap(snug_err *err, snug_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reset `err` to SNUG_OK with an empty message. */
void snug_err_clear(snug_err *err);

#endif

/* status.c -- status names and error context. */
#include "base/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *snug_status_str(snug_status st)
{
    switch (st) {
    case SNUG_OK:
        return "ok";
    case SNUG_ERR_NOMEM:
        return "out of memory";
    case SNUG_ERR_PARSE:
        return "parse error";
    case SNUG_ERR_INVALID:
        return "invalid value";
    case SNUG_ERR_RANGE:
        return "out of range";
    case SNUG_ERR_TOO_BIG:
        return "too big";
    case SNUG_ERR_IO:
        return "i/o error";
    case SNUG_ERR_NOT_FOUND:
        return "not found";
    case SNUG_ERR_UNSUPPORTED:
        return "unsupported";
    case SNUG_ERR_HTTP:
        return "http error";
    case SNUG_ERR_TLS:
        return "tls error";
    case SNUG_ERR_CONFLICT:
        return "conflict";
    case SNUG_ERR_GONE:
        return "gone";
    case SNUG_ERR_UNAUTHORIZED:
        return "unauthorized";
    case SNUG_ERR_TIMEOUT:
        return "timeout";
    case SNUG_ERR_INTERNAL:
        return "internal error";
    }
    return "unknown status";
}

snug_status snug_err_set(snug_err *err, snug_status st, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return st;
    err->status = st;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return st;
}

snug_status snug_err_prefix(snug_err *err, const char *fmt, ...)
{
    char joined[SNUG_ERR_MSG_MAX * 2 + 2];
    size_t n;
    va_list ap;

    if (err == NULL)
        return SNUG_OK;
    va_start(ap, fmt);
    vsnprintf(joined, SNUG_ERR_MSG_MAX, fmt, ap);
    va_end(ap);
    n = strlen(joined);
    memcpy(joined + n, ": ", 2);
    memcpy(joined + n + 2, err->msg, strnlen(err->msg, SNUG_ERR_MSG_MAX - 1) + 1);
    memcpy(err->msg, joined, SNUG_ERR_MSG_MAX - 1);
    err->msg[SNUG_ERR_MSG_MAX - 1] = '\0';
    return err->status;
}

void snug_err_clear(snug_err *err)
{
    if (err == NULL)
        return;
    err->status = SNUG_OK;
    err->msg[0] = '\0';
}

snug_status snug_err_wrap(snug_err *err, snug_status st, const char *fmt, ...)
{
    char prefix[SNUG_ERR_MSG_MAX];
    va_list ap;

    if (err == NULL)
        return st;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof(prefix), fmt, ap);
    va_end(ap);
    snug_err_prefix(err, "%s", prefix);
    err->status = st;
    return st;
}

/* dynbuf.c -- bounded growing byte buffer. */
#include "base/dynbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DYNBUF_MIN_ALLOC 64

void dynbuf_init(dynbuf *b, size_t max)
{
    b->buf = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

/* Make room for `extra` more bytes plus the NUL terminator. */
static snug_status dynbuf_reserve(dynbuf *b, size_t extra)
{
    size_t need;
    size_t cap;
    char *nbuf;

    if (extra > b->max || b->len > b->max - extra)
        return SNUG_ERR_TOO_BIG;
    need = b->len + extra + 1;
    if (need <= b->cap)
        return SNUG_OK;
    cap = b->cap ? b->cap : DYNBUF_MIN_ALLOC;
    while (cap < need)
        cap = (cap > ((size_t)-1) / 2) ? need : cap * 2;
    if (cap > b->max + 1)
        cap = b->max + 1;
    nbuf = realloc(b->buf, cap);
    if (nbuf == NULL)
        return SNUG_ERR_NOMEM;
    b->buf = nbuf;
    b->cap = cap;
    return SNUG_OK;
}

void dynbuf_prealloc(dynbuf *b, size_t n)
{
    if (b->buf != NULL || n > b->max || n == (size_t)-1)
        return;
    b->buf = malloc(n + 1);
    if (b->buf == NULL)
        return;
    b->buf[0] = '\0';
    b->cap = n + 1;
}

snug_status dynbuf_add(dynbuf *b, const void *data, size_t len)
{
    snug_status st = dynbuf_reserve(b, len);

    if (st != SNUG_OK)
        return st;
    if (len > 0)
        memcpy(b->buf + b->len, data, len);
    b->len += len;
    b->buf[b->len] = '\0';
    return SNUG_OK;
}

snug_status dynbuf_addstr(dynbuf *b, const char *s)
{
    return dynbuf_add(b, s, strlen(s));
}

snug_status dynbuf_addc(dynbuf *b, char c)
{
    return dynbuf_add(b, &c, 1);
}

snug_status dynbuf_vprintf(dynbuf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    int n;
    snug_status st;

    va_copy(ap2, ap);
    n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return SNUG_ERR_INVALID;
    st = dynbuf_reserve(b, (size_t)n);
    if (st != SNUG_OK)
        return st;
    vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return SNUG_OK;
}

snug_status dynbuf_printf(dynbuf *b, const char *fmt, ...)
{
    va_list ap;
    snug_status st;

    va_start(ap, fmt);
    st = dynbuf_vprintf(b, fmt, ap);
    va_end(ap);
    return st;
}

const char *dynbuf_str(const dynbuf *b)
{
    return b->buf ? b->buf : "";
}

size_t dynbuf_len(const dynbuf *b)
{
    return b->len;
}

void dynbuf_reset(dynbuf *b)
{
    b->len = 0;
    if (b->buf)
        b->buf[0] = '\0';
}

void dynbuf_truncate(dynbuf *b, size_t len)
{
    if (len >= b->len)
        return;
    b->len = len;
    b->buf[len] = '\0';
}

char *dynbuf_take(dynbuf *b)
{
    char *out = b->buf;

    if (out == NULL)
        out = strdup("");
    b->buf = NULL;
    b->len = 0;
    b->cap = 0;
    return out;
}

void dynbuf_free(dynbuf *b)
{
    free(b->buf);
    b->buf = NULL;
    b->len = 0;
    b->cap = 0;
}

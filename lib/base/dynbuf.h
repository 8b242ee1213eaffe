/* dynbuf.h -- a growing byte buffer with a hard maximum (in the spirit of
 * curl's dynbuf). Every growing string in snug is one of these.
 *
 * The buffer is always NUL-terminated once anything was added, so
 * dynbuf_str() can be used as a C string. Growth past `max` bytes (not
 * counting the terminating NUL) fails with SNUG_ERR_TOO_BIG and leaves the
 * contents as they were. The struct owns its memory; dynbuf_free() releases it.
 */
#ifndef SNUG_DYNBUF_H
#define SNUG_DYNBUF_H

#include <stdarg.h>
#include <stddef.h>

#include "base/status.h"

typedef struct dynbuf {
    char *buf;  /* NULL until the first add */
    size_t len; /* bytes in use, excluding the NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* the most `len` may ever be */
} dynbuf;

/* Prepare an empty buffer that may hold at most `max` bytes. Allocates nothing. */
void dynbuf_init(dynbuf *b, size_t max);

/* Allocate room for `n` bytes (and the NUL) at once, when the buffer has no
 * allocation yet and n <= max: for a size known up front, one exact malloc
 * instead of a series of doublings. Otherwise, or if malloc fails, it does
 * nothing: later adds grow the buffer as usual. Never fails. */
void dynbuf_prealloc(dynbuf *b, size_t n);

/* Append `len` bytes. SNUG_ERR_TOO_BIG past the maximum, SNUG_ERR_NOMEM when
 * allocation fails; on failure the buffer is unchanged. */
snug_status dynbuf_add(dynbuf *b, const void *data, size_t len);

/* Append a NUL-terminated string. Same failures as dynbuf_add(). */
snug_status dynbuf_addstr(dynbuf *b, const char *s);

/* Append one byte. */
snug_status dynbuf_addc(dynbuf *b, char c);

/* Append printf-style formatted text. Same failures as dynbuf_add(). */
snug_status dynbuf_printf(dynbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
snug_status dynbuf_vprintf(dynbuf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* The contents as a C string; "" when empty. Valid until the next change. */
const char *dynbuf_str(const dynbuf *b);

/* Number of bytes held. */
size_t dynbuf_len(const dynbuf *b);

/* Drop the contents but keep the allocation for reuse. */
void dynbuf_reset(dynbuf *b);

/* Shorten the contents to `len` bytes (no-op if already shorter). */
void dynbuf_truncate(dynbuf *b, size_t len);

/* Hand the contents to the caller (free() it) and leave the buffer empty.
 * Returns an allocated "" when the buffer is empty; NULL only on NOMEM. */
char *dynbuf_take(dynbuf *b);

/* Release the memory. The buffer may be reused after dynbuf_init(). */
void dynbuf_free(dynbuf *b);

#endif

/* base64.h -- standard base64 (RFC 4648, with padding), as Kubernetes uses
 * for Secret data and caBundle fields. */
#ifndef SNUG_BASE64_H
#define SNUG_BASE64_H

#include <stddef.h>

#include "base/dynbuf.h"
#include "base/status.h"

/* Encode len bytes into a new NUL-terminated string (caller frees). NULL on
 * NOMEM or when len is too large to encode. */
char *base64_encode(const void *data, size_t len);

/* Append the base64 text of len bytes to `out` (no NUL counted). Fails as
 * dynbuf_add (SNUG_ERR_TOO_BIG past out's maximum, SNUG_ERR_NOMEM); on
 * failure `out` may hold part of the text. */
snug_status base64_encode_append(dynbuf *out, const void *data, size_t len);

/* Decode `in` (white space ignored) into a new buffer (*out, caller frees,
 * NUL-terminated for convenience; *out_len excludes the NUL). Bad characters
 * or length are SNUG_ERR_PARSE naming `what`. */
snug_status base64_decode(const char *in, const char *what, unsigned char **out, size_t *out_len,
                          snug_err *err);

#endif

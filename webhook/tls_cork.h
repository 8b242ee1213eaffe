/* tls_cork.h -- send an HTTP response as one TLS record instead of two.
 *
 * Over TLS, libmicrohttpd sends a response's header and body with two
 * gnutls_record_send() calls: two records, two sendmsg() calls, and a peer
 * woken twice, once for a header it cannot use alone. Corking the session
 * (gnutls_record_cork) before the response is queued makes GnuTLS keep both
 * pieces; tls_cork_flush(), called when libmicrohttpd reports the request
 * complete (it has handed over the last byte), seals them into one record and
 * writes it with one call. Measured on the admission benchmark: one syscall
 * and one record less per request, on both sides of the connection.
 *
 * The socket is non-blocking: a flush that meets a full socket buffer waits
 * for it to drain, at most a deadline, and a peer that does not read its
 * answers within it gets its connection shut down (it would have been timed
 * out anyway), so a worker thread is never held longer than the deadline.
 */
#ifndef SNUG_TLS_CORK_H
#define SNUG_TLS_CORK_H

#include <stdbool.h>

#include <microhttpd.h>

#include "base/status.h"

#define TLS_CORK_FLUSH_MS 2000 /* the longest a flush waits for the peer */

/* Cork the connection's TLS session. Returns true when it did (a TLS
 * connection); the caller must then call tls_cork_flush() for it. False for
 * a plain-HTTP connection or one without a session: nothing to undo. */
bool tls_cork(struct MHD_Connection *c);

/* Send what the corked session holds and uncork it. SNUG_OK when all of it
 * went out; SNUG_ERR_TIMEOUT when the peer did not take it within
 * timeout_ms, SNUG_ERR_TLS or SNUG_ERR_IO on a send error: then the socket
 * is shut down (libmicrohttpd sees the close and frees the connection) and
 * err says why. */
snug_status tls_cork_flush(struct MHD_Connection *c, int timeout_ms, snug_err *err);

#endif

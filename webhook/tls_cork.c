/* tls_cork.c -- one TLS record per response (see tls_cork.h). */
#include "webhook/tls_cork.h"

#include <errno.h>
#include <poll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <time.h>

#include <gnutls/gnutls.h>

static gnutls_session_t session_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);

    return ci != NULL ? (gnutls_session_t)ci->tls_session : NULL;
}

static int fd_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

    return ci != NULL ? ci->connect_fd : -1;
}

bool tls_cork(struct MHD_Connection *c)
{
    gnutls_session_t s = session_of(c);

    if (s == NULL)
        return false;
    gnutls_record_cork(s);
    return true;
}

static long ms_left(const struct timespec *deadline)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long)(deadline->tv_sec - now.tv_sec) * 1000 +
           (long)(deadline->tv_nsec - now.tv_nsec) / 1000000;
}

/* Wait until fd can take more bytes or the deadline passes. */
static bool wait_writable(int fd, const struct timespec *deadline)
{
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    long left = ms_left(deadline);
    int rc;

    if (left <= 0)
        return false;
    rc = poll(&p, 1, (int)left);
    return rc > 0 || (rc < 0 && errno == EINTR);
}

/* libmicrohttpd may have set TCP_CORK on the socket for the header and
 * meant to push with its last write, which was the corked one: our bytes
 * would wait in the kernel for up to 200 ms. Setting TCP_NODELAY pushes
 * pending output even with TCP_CORK set (tcp(7)). */
static void push_socket(int fd)
{
    int one = 1;

    if (fd >= 0)
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

snug_status tls_cork_flush(struct MHD_Connection *c, int timeout_ms, snug_err *err)
{
    gnutls_session_t s = session_of(c);
    int fd = fd_of(c), rc;
    struct timespec deadline;
    snug_status st = SNUG_OK;

    if (s == NULL)
        return SNUG_OK;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += timeout_ms / 1000;
    deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    while (gnutls_record_check_corked(s) > 0) {
        rc = gnutls_record_uncork(s, 0);
        if (rc >= 0 || rc == GNUTLS_E_INTERRUPTED)
            continue;
        if (rc != GNUTLS_E_AGAIN) {
            st = snug_err_set(err, SNUG_ERR_TLS, "TLS send: %s", gnutls_strerror(rc));
            goto out;
        }
        if (!wait_writable(fd, &deadline)) {
            st =
                snug_err_set(err, SNUG_ERR_TIMEOUT,
                             "the peer took no data for %d ms: closing its connection", timeout_ms);
            goto out;
        }
    }
    /* Leave corked mode also when nothing was held back (no-op otherwise). */
    (void)gnutls_record_uncork(s, 0);
    push_socket(fd);
out:
    if (st != SNUG_OK && fd >= 0)
        shutdown(fd, SHUT_RDWR);
    return st;
}

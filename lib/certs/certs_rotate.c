/* certs_rotate.c -- when a certificate is due for renewal, and writing the
 * renewed files atomically (temporary file, fsync, rename, fsync of the
 * directory).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "certs/certs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- rotation ---------------------------------------------------------- */

static time_t add_clamped(time_t t, int64_t d)
{
    time_t r;

    if (__builtin_add_overflow(t, d, &r))
        return d > 0 ? (time_t)INT64_MAX : (time_t)INT64_MIN;
    return r;
}

certs_rotation certs_rotation_plan(time_t not_before, time_t not_after, time_t now,
                                   int64_t renew_before)
{
    certs_rotation r = {true, now, now, "expired"};
    int64_t total, window;

    if (not_after <= not_before) {
        r.reason = "invalid validity period";
        return r;
    }
    if (now >= not_after)
        return r;
    if (now < not_before) {
        r.reason = "not yet valid";
        return r;
    }
    if (__builtin_sub_overflow((int64_t)not_after, (int64_t)not_before, &total))
        total = INT64_MAX;
    window = total / 3;
    r.reason = "less than a third of the validity left";
    if (renew_before > total / 2)
        renew_before = total / 2;
    if (renew_before > window) {
        window = renew_before;
        r.reason = "within the renewal window";
    }
    r.renew_at = not_after - window;
    if (now >= r.renew_at)
        return r;
    r.renew = false;
    r.reason = "valid";
    r.next_check = add_clamped(now, CERTS_MAX_CHECK_INTERVAL);
    if (r.renew_at < r.next_check)
        r.next_check = r.renew_at;
    return r;
}

certs_rotation certs_should_rotate(const cert_bundle *b, time_t now, int64_t renew_before)
{
    return certs_rotation_plan(b->not_before, b->not_after, now, renew_before);
}

/* ---- atomic writes ----------------------------------------------------- */

static snug_status write_all(int fd, const char *path, const void *data, size_t len, snug_err *err)
{
    const char *p = data;
    ssize_t n;

    while (len > 0) {
        n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return certs_errno_fail(err, errno, path, "write");
        p += n;
        len -= (size_t)n;
    }
    return SNUG_OK;
}

/* Make the rename durable; best effort (some filesystems refuse it). */
static void fsync_parent(const char *path)
{
    char *dir = strdup(path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    int fd;

    if (dir == NULL)
        return;
    if (slash == NULL)
        strcpy(dir, ".");
    else if (slash == dir)
        slash[1] = '\0';
    else
        *slash = '\0';
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(dir);
}

snug_status certs_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                                    snug_err *err)
{
    size_t plen = strlen(path);
    char *tmp = malloc(plen + sizeof(".tmp.XXXXXX"));
    snug_status rc = SNUG_OK;
    int fd = -1;

    if (tmp == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "%s: out of memory", path);
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp.XXXXXX", sizeof(".tmp.XXXXXX"));
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        rc = certs_errno_fail(err, errno, tmp, "create");
        free(tmp);
        return rc;
    }
    if (fchmod(fd, mode) != 0)
        rc = certs_errno_fail(err, errno, tmp, "chmod");
    if (rc == SNUG_OK)
        rc = write_all(fd, tmp, data, len, err);
    if (rc == SNUG_OK && fsync(fd) != 0)
        rc = certs_errno_fail(err, errno, tmp, "fsync");
    if (close(fd) != 0 && rc == SNUG_OK)
        rc = certs_errno_fail(err, errno, tmp, "close");
    if (rc == SNUG_OK && rename(tmp, path) != 0)
        rc = certs_errno_fail(err, errno, path, "rename");
    if (rc != SNUG_OK)
        unlink(tmp);
    else
        fsync_parent(path);
    free(tmp);
    return rc;
}

/* certs_files.c -- files mode: a certificate, key and optional CA read from
 * files (a mounted Secret), with cheap change detection for hot reload:
 * a stat() stamp first, then a SHA-256 of the contents, so a touch is not a
 * change.
 */
#include "certs/certs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "base/dynbuf.h"

/* ---- reading and stamping files ---------------------------------------- */

static void stamp_from_stat(const struct stat *st, file_stamp *out)
{
    out->dev = st->st_dev;
    out->ino = st->st_ino;
    out->size = st->st_size;
    out->mtime = st->st_mtim;
}

static bool stamp_equal(const file_stamp *a, const file_stamp *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
           a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec;
}

static snug_status read_fd(int fd, const char *path, dynbuf *out, snug_err *err)
{
    char chunk[8192];
    ssize_t n;

    for (;;) {
        n = read(fd, chunk, sizeof(chunk));
        if (n == 0)
            return SNUG_OK;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return certs_errno_fail(err, errno, path, "read");
        if (dynbuf_add(out, chunk, (size_t)n) != SNUG_OK)
            return snug_err_set(err, SNUG_ERR_TOO_BIG, "%s: larger than %d bytes", path,
                                CERTS_FILE_MAX);
    }
}

/* Read a whole file (following symlinks) into `out` and stamp it from the
 * descriptor that was read, so stamp and contents always belong together. */
static snug_status read_file(const char *path, dynbuf *out, file_stamp *stamp, snug_err *err)
{
    struct stat st;
    snug_status rc;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return certs_errno_fail(err, errno, path, "open");
    if (fstat(fd, &st) != 0) {
        rc = certs_errno_fail(err, errno, path, "stat");
        goto out;
    }
    stamp_from_stat(&st, stamp);
    if (!S_ISREG(st.st_mode)) {
        rc = snug_err_set(err, SNUG_ERR_IO, "%s: not a regular file", path);
        goto out;
    }
    rc = read_fd(fd, path, out, err);
out:
    close(fd);
    return rc;
}

static snug_status sha256(const void *data, size_t len, unsigned char out[SHA256_LEN],
                          snug_err *err)
{
    unsigned int n = 0;

    if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 || n != SHA256_LEN)
        return certs_ossl_fail(err, SNUG_ERR_TLS, "sha-256 failed");
    return SNUG_OK;
}

/* Read the files named in paths (NULL entries are skipped) into bufs, with
 * their stamps and digests. bufs must be initialised by the caller. */
static snug_status read_files(char *const paths[CERTS_NFILES], dynbuf bufs[CERTS_NFILES],
                              file_stamp stamps[CERTS_NFILES],
                              unsigned char digests[CERTS_NFILES][SHA256_LEN], snug_err *err)
{
    snug_status rc;
    int i;

    for (i = 0; i < CERTS_NFILES; i++) {
        memset(&stamps[i], 0, sizeof(stamps[i]));
        memset(digests[i], 0, SHA256_LEN);
        if (paths[i] == NULL)
            continue;
        rc = read_file(paths[i], &bufs[i], &stamps[i], err);
        if (rc == SNUG_OK)
            rc = sha256(dynbuf_str(&bufs[i]), dynbuf_len(&bufs[i]), digests[i], err);
        if (rc != SNUG_OK)
            return rc;
    }
    return SNUG_OK;
}

/* ---- files mode -------------------------------------------------------- */

static void free_paths(char *paths[CERTS_NFILES])
{
    int i;

    for (i = 0; i < CERTS_NFILES; i++)
        free(paths[i]);
}

static snug_status copy_paths(const char *cert_path, const char *key_path, const char *ca_path,
                              char *paths[CERTS_NFILES], snug_err *err)
{
    const char *in[CERTS_NFILES] = {cert_path, key_path, ca_path};
    int i;

    for (i = 0; i < CERTS_NFILES; i++)
        paths[i] = NULL;
    for (i = 0; i < CERTS_NFILES; i++) {
        if (in[i] == NULL)
            continue;
        paths[i] = strdup(in[i]);
        if (paths[i] == NULL) {
            free_paths(paths);
            return snug_err_set(err, SNUG_ERR_NOMEM, "certificate paths: out of memory");
        }
    }
    return SNUG_OK;
}

/* Build a bundle from file contents already read. The CA file is checked to
 * hold certificates (or be empty) and is stored re-encoded. */
static snug_status bundle_from_contents(char *const paths[CERTS_NFILES], dynbuf bufs[CERTS_NFILES],
                                        cert_bundle **out, snug_err *err)
{
    STACK_OF(X509) *chain = NULL, *ca = NULL;
    EVP_PKEY *key = NULL;
    char *ca_pem = NULL;
    snug_status rc;

    if (paths[2] != NULL && dynbuf_len(&bufs[2]) > 0) {
        rc = certs_parse_chain(dynbuf_str(&bufs[2]), dynbuf_len(&bufs[2]), paths[2], &ca, err);
        if (rc == SNUG_OK)
            rc = certs_chain_to_pem(ca, &ca_pem, err);
        sk_X509_pop_free(ca, X509_free);
        if (rc != SNUG_OK)
            return rc;
    }
    rc = certs_parse_pair(dynbuf_str(&bufs[0]), dynbuf_len(&bufs[0]), paths[0],
                          dynbuf_str(&bufs[1]), dynbuf_len(&bufs[1]), paths[1], &chain, &key, err);
    if (rc == SNUG_OK)
        rc = certs_bundle_new(chain, key, ca_pem, out, err);
    free(ca_pem);
    return rc;
}

snug_status certs_load_files(const char *cert_path, const char *key_path, const char *ca_path,
                             cert_bundle **out, snug_err *err)
{
    dynbuf bufs[CERTS_NFILES];
    file_stamp stamps[CERTS_NFILES];
    unsigned char digests[CERTS_NFILES][SHA256_LEN];
    char *paths[CERTS_NFILES];
    cert_bundle *b = NULL;
    snug_status rc;
    int i;

    if (cert_path == NULL || key_path == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "certificate and key paths are required");
    for (i = 0; i < CERTS_NFILES; i++)
        dynbuf_init(&bufs[i], CERTS_FILE_MAX);
    rc = copy_paths(cert_path, key_path, ca_path, paths, err);
    if (rc != SNUG_OK)
        goto out;
    rc = read_files(paths, bufs, stamps, digests, err);
    if (rc == SNUG_OK)
        rc = bundle_from_contents(paths, bufs, &b, err);
    if (rc != SNUG_OK) {
        free_paths(paths);
        goto out;
    }
    memcpy(b->paths, paths, sizeof(paths));
    memcpy(b->stamps, stamps, sizeof(stamps));
    memcpy(b->digests, digests, sizeof(digests));
    *out = b;
out:
    for (i = 0; i < CERTS_NFILES; i++)
        dynbuf_free(&bufs[i]);
    return rc;
}

/* Whether every file still has the stamp recorded at load. */
static snug_status stamps_unchanged(const cert_bundle *b, bool *same, snug_err *err)
{
    struct stat st;
    file_stamp now;
    int i;

    *same = true;
    for (i = 0; i < CERTS_NFILES; i++) {
        if (b->paths[i] == NULL)
            continue;
        if (stat(b->paths[i], &st) != 0)
            return certs_errno_fail(err, errno, b->paths[i], "stat");
        stamp_from_stat(&st, &now);
        if (!stamp_equal(&now, &b->stamps[i]))
            *same = false;
    }
    return SNUG_OK;
}

snug_status certs_files_changed(cert_bundle *b, bool *changed, snug_err *err)
{
    dynbuf bufs[CERTS_NFILES];
    file_stamp stamps[CERTS_NFILES];
    unsigned char digests[CERTS_NFILES][SHA256_LEN];
    bool same = false;
    snug_status rc;
    int i;

    *changed = false;
    if (b->paths[0] == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "certificate bundle was not loaded from files");
    rc = stamps_unchanged(b, &same, err);
    if (rc != SNUG_OK || same)
        return rc;
    for (i = 0; i < CERTS_NFILES; i++)
        dynbuf_init(&bufs[i], CERTS_FILE_MAX);
    rc = read_files(b->paths, bufs, stamps, digests, err);
    if (rc == SNUG_OK && memcmp(digests, b->digests, sizeof(digests)) == 0)
        memcpy(b->stamps, stamps, sizeof(stamps)); /* touched only */
    else if (rc == SNUG_OK)
        *changed = true;
    for (i = 0; i < CERTS_NFILES; i++)
        dynbuf_free(&bufs[i]);
    return rc;
}

snug_status certs_files_reload(cert_bundle *cur, cert_bundle **fresh, snug_err *err)
{
    bool changed = false;
    snug_status rc;

    *fresh = NULL;
    rc = certs_files_changed(cur, &changed, err);
    if (rc != SNUG_OK || !changed)
        return rc;
    return certs_load_files(cur->paths[0], cur->paths[1], cur->paths[2], fresh, err);
}

/* certs.h -- certificates for the TLS admission server (OpenSSL 3).
 *
 * Two ways to get the serving certificate:
 *
 * Files mode: a mounted Secret as cert-manager writes it (tls.crt, tls.key,
 * optional ca.crt). certs_load_files() parses and checks the pair;
 * certs_files_reload() (or certs_files_changed()) notices a new pair cheaply
 * (stat first, then a SHA-256 of the contents so a touch is not a change) so
 * the server can swap certificates without a restart. A half-written pair
 * (key not matching the certificate, truncated PEM) is refused and the caller
 * keeps serving the old bundle.
 *
 * Self-managed mode: certs_ca_create() makes a CA, certs_ca_load_pem() loads
 * one shared through a Secret (so several replicas trust one CA), and
 * certs_issue_serving() signs a serving certificate for the Service's DNS
 * names and IPs. certs_should_rotate() says when to issue a new one.
 *
 * Defaults (chosen for an in-cluster webhook whose CA is only ever trusted via
 * the webhook configuration's caBundle):
 *   - keys are ECDSA P-256, signatures ECDSA-SHA256;
 *   - CA: 5 years (CERTS_CA_DEFAULT_VALIDITY), CN "snug-ca", CA:TRUE with
 *     pathlen 0, keyUsage keyCertSign + cRLSign (critical);
 *   - serving: 1 year (CERTS_SERVING_DEFAULT_VALIDITY), CA:FALSE, keyUsage
 *     digitalSignature (critical), extendedKeyUsage serverAuth, subjectAltName
 *     with every DNS name and IP given, in order;
 *   - both: random positive 128-bit serial, subjectKeyIdentifier and
 *     authorityKeyIdentifier (key id), notBefore backdated by
 *     CERTS_BACKDATE seconds for clock skew between nodes;
 *   - a serving certificate never outlives its CA: notAfter is clamped to
 *     the CA's notAfter;
 *   - rotation when less than a third of the validity is left (or less than a
 *     configured window), so a 1-year certificate is renewed after ~8 months.
 *
 * All PEM text is exposed as NUL-terminated strings owned by the bundle,
 * normalised by re-encoding what was parsed (certificates as "CERTIFICATE"
 * blocks, keys as unencrypted PKCS#8 "PRIVATE KEY"); that is exactly what
 * libmicrohttpd/GnuTLS take as memory buffers.
 *
 * Thread safety: a bundle is immutable once returned except for the file
 * stamps certs_files_changed()/certs_files_reload() refresh; those two must
 * not run concurrently on the same bundle, while other threads may read its
 * PEM strings and times at any moment. Bundles are reference counted:
 * certs_bundle_ref() takes a reference, certs_bundle_free() drops one.
 *
 * The library never prints; failures come back as snug_status with a message
 * naming the file or input and, where OpenSSL said why, its reason.
 */
#ifndef SNUG_CERTS_H
#define SNUG_CERTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "base/status.h"

#define CERTS_CA_DEFAULT_VALIDITY      ((int64_t)5 * 365 * 86400) /* 5 years */
#define CERTS_SERVING_DEFAULT_VALIDITY ((int64_t)365 * 86400)     /* 1 year */
#define CERTS_BACKDATE                 300                        /* seconds */
#define CERTS_MAX_VALIDITY             ((int64_t)100 * 365 * 86400)
#define CERTS_FILE_MAX                 (1024 * 1024) /* largest PEM file read */
#define CERTS_MAX_CHECK_INTERVAL       3600          /* see certs_rotation */
#define CERTS_FINGERPRINT_LEN          64            /* hex SHA-256, no NUL */

typedef struct cert_bundle cert_bundle; /* opaque, reference counted */

/* ---- bundle accessors (never fail; strings live as long as the bundle) -- */

/* The certificate chain, leaf (or CA) first, as PEM. Never NULL. */
const char *certs_bundle_cert_pem(const cert_bundle *b);

/* The private key of the first certificate as PKCS#8 PEM. Never NULL. */
const char *certs_bundle_key_pem(const cert_bundle *b);

/* The CA certificate(s) as PEM -- what goes into the webhook configuration's
 * caBundle (base64 of this) or a ca.crt file. For an issued serving bundle it
 * is the issuing CA's chain; for a CA bundle, the CA itself; in files mode the
 * contents of ca.crt, or NULL when no CA file was given or it was empty. */
const char *certs_bundle_ca_pem(const cert_bundle *b);

/* Validity of the first certificate, in seconds since the epoch (UTC). */
time_t certs_bundle_not_before(const cert_bundle *b);
time_t certs_bundle_not_after(const cert_bundle *b);

/* SHA-256 of the first certificate's DER, lowercase hex (64 characters). */
const char *certs_bundle_fingerprint(const cert_bundle *b);

/* True when the first certificate is a CA and the bundle can sign. */
bool certs_bundle_is_ca(const cert_bundle *b);

/* Take another reference; returns b. Safe from any thread. */
cert_bundle *certs_bundle_ref(cert_bundle *b);

/* Drop a reference; the last one frees the bundle. NULL is a no-op. */
void certs_bundle_free(cert_bundle *b);

/* ---- files mode -------------------------------------------------------- */

/* Load a PEM certificate chain from `cert_path` (leaf first, as in tls.crt)
 * and its private key from `key_path`; `ca_path` may be NULL (no CA) and an
 * empty CA file means no CA. Files are followed through symlinks (Secret
 * volumes swap a `..data` symlink). Each file may be at most CERTS_FILE_MAX
 * bytes. On success *out is a new bundle (free with certs_bundle_free) that
 * remembers the paths and a stamp of the files for certs_files_changed().
 * ca.crt is parsed but not required to have issued tls.crt (issuers rotate
 * them at different moments); it is only passed on as ca_pem.
 * Failures, with *out untouched:
 *   SNUG_ERR_INVALID    cert_path or key_path is NULL
 *   SNUG_ERR_NOT_FOUND  a file does not exist (the message names the path)
 *   SNUG_ERR_IO         a file cannot be read, SNUG_ERR_TOO_BIG too large
 *   SNUG_ERR_PARSE      no PEM certificate / key in a file, or a corrupt one
 *   SNUG_ERR_TLS        the key does not match the certificate
 *   SNUG_ERR_NOMEM */
snug_status certs_load_files(const char *cert_path, const char *key_path, const char *ca_path,
                             cert_bundle **out, snug_err *err);

/* Whether the files `b` was loaded from now hold different contents. Cheap
 * when nothing happened: a stat() of each file compared with the stamp taken
 * at load (device, inode, size, mtime). When a stat differs the files are
 * read and hashed; identical contents (a touch, a rewrite with the same
 * bytes, a Secret update that changed another key) set *changed = false and
 * refresh the stamp in `b` so the next check is cheap again. Otherwise
 * *changed = true and the stamp is left alone, so a pair that fails to load
 * is looked at again on the next call. SNUG_ERR_INVALID if `b` was not loaded
 * from files; file errors as for certs_load_files() (*changed is then false). */
snug_status certs_files_changed(cert_bundle *b, bool *changed, snug_err *err);

/* The hot-reload step: if certs_files_changed(cur) says so, load the files
 * again into *fresh (a new bundle: the caller publishes it and drops `cur`).
 * Unchanged: SNUG_OK with *fresh = NULL. Changed but not loadable (half
 * written, mismatched, garbage): the load error, *fresh = NULL, and `cur` is
 * still good to serve; call again later. */
snug_status certs_files_reload(cert_bundle *cur, cert_bundle **fresh, snug_err *err);

/* ---- self-managed mode ------------------------------------------------- */

typedef struct certs_ca_opts {
    const char *common_name; /* NULL: "snug-ca"; at most 64 bytes */
    int64_t validity;        /* seconds; 0: CERTS_CA_DEFAULT_VALIDITY */
    time_t now;              /* 0: time(NULL); tests pass a fixed time */
} certs_ca_opts;

typedef struct certs_serving_opts {
    const char *const *dns_names; /* e.g. "snug-webhook.snug.svc"; "*." prefix ok */
    size_t n_dns;
    const char *const *ips; /* textual IPv4 or IPv6, e.g. "127.0.0.1", "::1" */
    size_t n_ips;
    const char *common_name; /* NULL: the first DNS name if <= 64 bytes, else
                                "snug-webhook"; clients check the SANs only */
    int64_t validity;        /* seconds; 0: CERTS_SERVING_DEFAULT_VALIDITY */
    time_t now;              /* 0: time(NULL) */
} certs_serving_opts;

/* Create a self-signed CA with a fresh P-256 key. `opts` may be NULL for all
 * defaults. On success *out is a new CA bundle (cert_pem == ca_pem).
 * SNUG_ERR_INVALID for a bad name or validity (<= 0 after defaulting or
 * above CERTS_MAX_VALIDITY), SNUG_ERR_TLS if OpenSSL fails, SNUG_ERR_NOMEM. */
snug_status certs_ca_create(const certs_ca_opts *opts, cert_bundle **out, snug_err *err);

/* Load a CA from PEM text (e.g. a Secret's tls.crt/tls.key). The first
 * certificate is the signing one; any following ones are kept as its chain
 * and go into issued bundles' ca_pem. Refused unless the key matches and the
 * certificate is a CA allowed to sign certificates (basicConstraints CA:TRUE,
 * keyUsage keyCertSign when keyUsage is present): SNUG_ERR_TLS; unparsable
 * PEM: SNUG_ERR_PARSE; more than CERTS_FILE_MAX bytes: SNUG_ERR_TOO_BIG;
 * NULL: SNUG_ERR_INVALID. Any key type OpenSSL signs with is accepted (an
 * admin's RSA CA works). Expiry is not checked here (see issue_serving). */
snug_status certs_ca_load_pem(const char *cert_pem, const char *key_pem, cert_bundle **out,
                              snug_err *err);

/* Issue a serving certificate signed by `ca` with a fresh P-256 key. At least
 * one DNS name or IP is required; DNS names must be RFC 1123 host names
 * (letters, digits, '-', '.', labels of 1-63 bytes, 253 bytes in all, an
 * optional leading "*."). On success *out is a new bundle: cert_pem is the
 * leaf alone, key_pem its key, ca_pem the CA's chain.
 *   SNUG_ERR_INVALID  no SAN, a bad DNS name/IP (message names the index),
 *                     a bad validity, `ca` not a CA bundle
 *   SNUG_ERR_TLS      the CA is expired or not yet valid at `now`, or
 *                     OpenSSL failed
 *   SNUG_ERR_NOMEM */
snug_status certs_issue_serving(const cert_bundle *ca, const certs_serving_opts *opts,
                                cert_bundle **out, snug_err *err);

/* ---- rotation ----------------------------------------------------------- */

typedef struct certs_rotation {
    bool renew;         /* issue a new certificate now */
    time_t renew_at;    /* when renewal is (or became) due */
    time_t next_check;  /* when to ask again: `now` when renew is set, else
                           min(renew_at, now + CERTS_MAX_CHECK_INTERVAL) so
                           clock jumps and suspends are noticed */
    const char *reason; /* static text: "valid", "expired", "not yet valid",
                           "less than a third of the validity left",
                           "within the renewal window", "invalid validity period" */
} certs_rotation;

/* Decide for a certificate valid [not_before, not_after] at `now`. Renewal is
 * due when the time left is below max(validity / 3, renew_before), where
 * renew_before (seconds, 0 for none) is capped at half the validity so a new
 * certificate is never due the moment it is issued. Expired, not yet valid,
 * or not_after <= not_before: renew now. Pure; never fails. */
certs_rotation certs_rotation_plan(time_t not_before, time_t not_after, time_t now,
                                   int64_t renew_before);

/* certs_rotation_plan() on the bundle's first certificate. */
certs_rotation certs_should_rotate(const cert_bundle *b, time_t now, int64_t renew_before);

/* ---- output ------------------------------------------------------------ */

/* Write `len` bytes to `path` atomically: a temporary file in the same
 * directory created with `mode` (use 0600 for keys, 0644 for certificates),
 * written, fsync'd, then renamed over `path`; the directory is fsync'd too.
 * Readers see the old file or the new one, never a mix. On failure the
 * temporary file is removed and `path` is untouched: SNUG_ERR_IO naming the
 * path and the errno text, SNUG_ERR_NOMEM. */
snug_status certs_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                                    snug_err *err);

#endif

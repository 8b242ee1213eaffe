/* certs.c -- the certificate bundle (cert_bundle from certs.h): building one
 * from a parsed chain and key, its accessors and reference counting, and the
 * error helpers the other certs_*.c files share.
 *
 * The module is split by concept, sharing certs_internal.h:
 *   certs.c           the bundle, error helpers
 *   certs_pem.c       PEM in and out (chains, keys, matching pairs)
 *   certs_files.c     files mode: loading tls.crt/tls.key/ca.crt, change
 *                     detection and hot reload
 *   certs_x509.c      building and signing X.509 certificates
 *   certs_issue.c     self-managed mode: creating or loading a CA, issuing
 *                     serving certificates
 *   certs_rotate.c    when to renew, and writing files atomically
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "certs/certs_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

/* ---- errors ------------------------------------------------------------ */

snug_status certs_ossl_fail(snug_err *err, snug_status st, const char *fmt, ...)
{
    char msg[SNUG_ERR_MSG_MAX];
    unsigned long e = ERR_peek_last_error();
    const char *reason = e ? ERR_reason_error_string(e) : NULL;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    ERR_clear_error();
    if (reason != NULL)
        return snug_err_set(err, st, "%s (%s)", msg, reason);
    return snug_err_set(err, st, "%s", msg);
}

snug_status certs_errno_fail(snug_err *err, int e, const char *path, const char *what)
{
    char buf[128];
    const char *txt = strerror_r(e, buf, sizeof(buf));

    if (e == ENOENT)
        return snug_err_set(err, SNUG_ERR_NOT_FOUND, "%s: %s: %s", path, what, txt);
    return snug_err_set(err, SNUG_ERR_IO, "%s: %s: %s", path, what, txt);
}

/* ---- the bundle -------------------------------------------------------- */

static snug_status asn1_to_time_t(const ASN1_TIME *t, time_t *out, snug_err *err)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
        return certs_ossl_fail(err, SNUG_ERR_PARSE, "certificate has an invalid validity time");
    *out = timegm(&tm);
    return SNUG_OK;
}

static snug_status fingerprint_hex(X509 *x, char out[CERTS_FINGERPRINT_LEN + 1], snug_err *err)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0, i;

    if (X509_digest(x, EVP_sha256(), md, &n) != 1 || n != SHA256_LEN)
        return certs_ossl_fail(err, SNUG_ERR_TLS, "certificate fingerprint failed");
    for (i = 0; i < n; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 0xf];
    }
    out[2 * n] = '\0';
    return SNUG_OK;
}

static bool x509_can_sign_certs(X509 *x)
{
    uint32_t flags = X509_get_extension_flags(x);

    if (!(flags & EXFLAG_CA))
        return false;
    return !(flags & EXFLAG_KUSAGE) || (X509_get_key_usage(x) & KU_KEY_CERT_SIGN);
}

static void bundle_destroy(cert_bundle *b)
{
    int i;

    free(b->cert_pem);
    free(b->key_pem);
    free(b->ca_pem);
    sk_X509_pop_free(b->chain, X509_free);
    EVP_PKEY_free(b->key);
    for (i = 0; i < CERTS_NFILES; i++)
        free(b->paths[i]);
    free(b);
}

/* Make a bundle that takes ownership of `chain` and `key` (also on failure)
 * and copies `ca_pem` (may be NULL). The key must match the first cert. */
snug_status certs_bundle_new(STACK_OF(X509) * chain, EVP_PKEY *key, const char *ca_pem,
                             cert_bundle **out, snug_err *err)
{
    cert_bundle *b = calloc(1, sizeof(*b));
    snug_status rc = SNUG_ERR_NOMEM;

    if (b == NULL) {
        sk_X509_pop_free(chain, X509_free);
        EVP_PKEY_free(key);
        return snug_err_set(err, SNUG_ERR_NOMEM, "certificate bundle: out of memory");
    }
    b->refs = 1;
    b->chain = chain;
    b->key = key;
    b->cert = sk_X509_value(chain, 0);
    if (ca_pem != NULL) {
        b->ca_pem = strdup(ca_pem);
        if (b->ca_pem == NULL) {
            snug_err_set(err, rc, "certificate bundle: out of memory");
            goto fail;
        }
    }
    rc = certs_chain_to_pem(chain, &b->cert_pem, err);
    if (rc == SNUG_OK)
        rc = certs_key_to_pem(key, &b->key_pem, err);
    if (rc == SNUG_OK)
        rc = asn1_to_time_t(X509_get0_notBefore(b->cert), &b->not_before, err);
    if (rc == SNUG_OK)
        rc = asn1_to_time_t(X509_get0_notAfter(b->cert), &b->not_after, err);
    if (rc == SNUG_OK)
        rc = fingerprint_hex(b->cert, b->fingerprint, err);
    if (rc != SNUG_OK)
        goto fail;
    b->is_ca = x509_can_sign_certs(b->cert);
    *out = b;
    return SNUG_OK;
fail:
    bundle_destroy(b);
    return rc;
}

const char *certs_bundle_cert_pem(const cert_bundle *b)
{
    return b->cert_pem;
}

const char *certs_bundle_key_pem(const cert_bundle *b)
{
    return b->key_pem;
}

const char *certs_bundle_ca_pem(const cert_bundle *b)
{
    return b->ca_pem;
}

time_t certs_bundle_not_before(const cert_bundle *b)
{
    return b->not_before;
}

time_t certs_bundle_not_after(const cert_bundle *b)
{
    return b->not_after;
}

const char *certs_bundle_fingerprint(const cert_bundle *b)
{
    return b->fingerprint;
}

bool certs_bundle_is_ca(const cert_bundle *b)
{
    return b->is_ca;
}

cert_bundle *certs_bundle_ref(cert_bundle *b)
{
    __atomic_add_fetch(&b->refs, 1, __ATOMIC_RELAXED);
    return b;
}

void certs_bundle_free(cert_bundle *b)
{
    if (b == NULL)
        return;
    if (__atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) == 0)
        bundle_destroy(b);
}

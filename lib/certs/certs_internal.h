/* certs_internal.h -- what the parts of the certificate module share: the
 * bundle's layout and the helpers one part provides to another. Only the
 * certs*.c files include it; the public API is certs.h.
 */
#ifndef SNUG_CERTS_INTERNAL_H
#define SNUG_CERTS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "certs/certs.h"
#include "base/status.h"

#define CERTS_NFILES 3 /* cert, key, ca */
#define SHA256_LEN   32

/* What a file looked like when it was read (files mode). */
typedef struct file_stamp {
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
} file_stamp;

struct cert_bundle {
    int refs; /* __atomic */
    char *cert_pem;
    char *key_pem;
    char *ca_pem; /* NULL when unknown */
    time_t not_before;
    time_t not_after;
    char fingerprint[CERTS_FINGERPRINT_LEN + 1];
    bool is_ca;
    X509 *cert;             /* first certificate */
    STACK_OF(X509) * chain; /* all certificates, first included */
    EVP_PKEY *key;
    /* files mode only: where it came from and what the files looked like */
    char *paths[CERTS_NFILES];
    file_stamp stamps[CERTS_NFILES];
    unsigned char digests[CERTS_NFILES][SHA256_LEN];
};

/* ---- errors (certs.c) --------------------------------------------------- */

/* Set err to "<message> (<OpenSSL reason>)" when OpenSSL queued an error,
 * clear this thread's OpenSSL error queue either way, and return st. */
snug_status certs_ossl_fail(snug_err *err, snug_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Set err to "<path>: <what>: <strerror(e)>" and return SNUG_ERR_NOT_FOUND
 * for ENOENT, SNUG_ERR_IO for anything else. */
snug_status certs_errno_fail(snug_err *err, int e, const char *path, const char *what);

/* ---- the bundle (certs.c) ----------------------------------------------- */

/* Make a bundle (one reference) that takes ownership of `chain` and `key`,
 * also on failure, and copies `ca_pem` (may be NULL). The key must match the
 * first certificate. Fills the PEM strings, validity, fingerprint and is_ca;
 * the files-mode fields are left empty. SNUG_ERR_NOMEM, SNUG_ERR_TLS or
 * SNUG_ERR_PARSE (a bad validity time) on failure, *out untouched. */
snug_status certs_bundle_new(STACK_OF(X509) * chain, EVP_PKEY *key, const char *ca_pem,
                             cert_bundle **out, snug_err *err);

/* ---- PEM (certs_pem.c) -------------------------------------------------- */

/* Parse every CERTIFICATE block of pem[0..len) into a new stack (leaf
 * first; the caller frees it with sk_X509_pop_free). Other block types are
 * skipped; none at all is SNUG_ERR_PARSE, as is a corrupt block; more than
 * CERTS_FILE_MAX bytes is SNUG_ERR_TOO_BIG. `what` names the input in
 * messages. */
snug_status certs_parse_chain(const char *pem, size_t len, const char *what, STACK_OF(X509) * *out,
                              snug_err *err);

/* Parse a chain and an unencrypted private key (PKCS#8, SEC1 or PKCS#1) and
 * check they belong together (SNUG_ERR_TLS when not). On success the caller
 * owns *chain_out and *key_out; on failure nothing is allocated. */
snug_status certs_parse_pair(const char *cert_pem, size_t cert_len, const char *cert_what,
                             const char *key_pem, size_t key_len, const char *key_what,
                             STACK_OF(X509) * *chain_out, EVP_PKEY **key_out, snug_err *err);

/* Encode every certificate of `sk` as PEM into a new NUL-terminated string
 * (*out, the caller frees it). SNUG_ERR_NOMEM or SNUG_ERR_TLS on failure. */
snug_status certs_chain_to_pem(STACK_OF(X509) * sk, char **out, snug_err *err);

/* Encode `key` as unencrypted PKCS#8 PEM into a new NUL-terminated string
 * (*out, the caller frees it). SNUG_ERR_NOMEM or SNUG_ERR_TLS on failure. */
snug_status certs_key_to_pem(EVP_PKEY *key, char **out, snug_err *err);

/* ---- building certificates (certs_x509.c) ------------------------------- */

/* What a certificate to build says. */
typedef struct cert_spec {
    const char *cn;
    time_t not_before;
    time_t not_after;
    bool ca;                       /* a CA (pathlen 0) rather than a serving cert */
    const certs_serving_opts *san; /* serving certificates only: DNS names, IPs */
} cert_spec;

/* Build a certificate for `key` as `spec` says and sign it with issuer_key;
 * self-signed when issuer is NULL (issuer_key is then key's pair). On
 * success the caller owns *out. SNUG_ERR_INVALID for a bad IP address in
 * spec->san, SNUG_ERR_TLS or SNUG_ERR_NOMEM when OpenSSL fails. */
snug_status certs_build_cert(const cert_spec *spec, EVP_PKEY *key, X509 *issuer,
                             EVP_PKEY *issuer_key, X509 **out, snug_err *err);

/* Whether `s` is an RFC 1123 host name (labels of 1-63 letters, digits and
 * '-', 253 bytes in all), optionally behind "*.". */
bool certs_dns_name_valid(const char *s);

#endif

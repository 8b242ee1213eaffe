/* certs.c -- CA and serving certificates, files mode with change detection.
 *
 * Layout: helpers (errors, files, PEM in/out), the bundle, files mode,
 * certificate building (self-managed mode), rotation, atomic writes.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "certs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dynbuf.h"

#define CERTS_NFILES  3 /* cert, key, ca */
#define SHA256_LEN    32
#define CN_MAX        64 /* ub_common_name */
#define DNS_NAME_MAX  253
#define DNS_LABEL_MAX 63

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

/* ---- errors ------------------------------------------------------------ */

/* Set err to "<message> (<OpenSSL reason>)" when OpenSSL queued an error,
 * clear this thread's OpenSSL error queue either way, and return st. */
static snug_status ossl_fail(snug_err *err, snug_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static snug_status ossl_fail(snug_err *err, snug_status st, const char *fmt, ...)
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

static snug_status errno_fail(snug_err *err, int e, const char *path, const char *what)
{
    char buf[128];
    const char *txt = strerror_r(e, buf, sizeof(buf));

    if (e == ENOENT)
        return snug_err_set(err, SNUG_ERR_NOT_FOUND, "%s: %s: %s", path, what, txt);
    return snug_err_set(err, SNUG_ERR_IO, "%s: %s: %s", path, what, txt);
}

static void format_time(time_t t, char *buf, size_t cap)
{
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL || strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, cap, "%lld", (long long)t);
}

/* ---- files ------------------------------------------------------------- */

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
            return errno_fail(err, errno, path, "read");
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
        return errno_fail(err, errno, path, "open");
    if (fstat(fd, &st) != 0) {
        rc = errno_fail(err, errno, path, "stat");
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
        return ossl_fail(err, SNUG_ERR_TLS, "sha-256 failed");
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

/* ---- PEM in and out ---------------------------------------------------- */

/* Never prompt for a passphrase: encrypted keys are refused. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    (void)u;
    return -1;
}

static bool pem_at_end(void)
{
    unsigned long e = ERR_peek_last_error();

    return e == 0 || (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE);
}

/* Parse every CERTIFICATE block of `pem` into a new stack (leaf first).
 * Other block types are skipped; none at all is SNUG_ERR_PARSE. */
static snug_status parse_chain(const char *pem, size_t len, const char *what, STACK_OF(X509) * *out,
                               snug_err *err)
{
    STACK_OF(X509) *sk = NULL;
    BIO *bio = NULL;
    snug_status rc = SNUG_ERR_NOMEM;
    X509 *x;

    if (len > CERTS_FILE_MAX)
        return snug_err_set(err, SNUG_ERR_TOO_BIG, "%s: larger than %d bytes", what,
                            CERTS_FILE_MAX);
    sk = sk_X509_new_null();
    bio = BIO_new_mem_buf(pem, (int)len);
    if (sk == NULL || bio == NULL)
        goto fail;
    for (;;) {
        x = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);
        if (x == NULL)
            break;
        if (sk_X509_push(sk, x) <= 0) {
            X509_free(x);
            goto fail;
        }
    }
    if (sk_X509_num(sk) == 0 && pem_at_end())
        rc = ossl_fail(err, SNUG_ERR_PARSE, "%s: no PEM certificate found", what);
    else if (!pem_at_end())
        rc = ossl_fail(err, SNUG_ERR_PARSE, "%s: certificate %d: invalid PEM", what,
                       sk_X509_num(sk) + 1);
    else
        rc = SNUG_OK;
    if (rc != SNUG_OK)
        goto fail;
    ERR_clear_error();
    BIO_free(bio);
    *out = sk;
    return SNUG_OK;
fail:
    if (rc == SNUG_ERR_NOMEM)
        rc = ossl_fail(err, SNUG_ERR_NOMEM, "%s: out of memory", what);
    BIO_free(bio);
    sk_X509_pop_free(sk, X509_free);
    return rc;
}

/* Parse the first private key in `pem` (PKCS#8, SEC1 "EC PRIVATE KEY" or
 * PKCS#1 "RSA PRIVATE KEY"; unencrypted only). */
static snug_status parse_key(const char *pem, size_t len, const char *what, EVP_PKEY **out,
                             snug_err *err)
{
    BIO *bio;
    EVP_PKEY *key;

    if (len > CERTS_FILE_MAX)
        return snug_err_set(err, SNUG_ERR_TOO_BIG, "%s: larger than %d bytes", what,
                            CERTS_FILE_MAX);
    bio = BIO_new_mem_buf(pem, (int)len);
    if (bio == NULL)
        return ossl_fail(err, SNUG_ERR_NOMEM, "%s: out of memory", what);
    key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    if (key == NULL)
        return ossl_fail(err, SNUG_ERR_PARSE,
                         "%s: no usable PEM private key found (encrypted keys are not supported)",
                         what);
    ERR_clear_error();
    *out = key;
    return SNUG_OK;
}

/* Move the contents of a memory BIO into a malloc'd NUL-terminated string. */
static snug_status bio_take_string(BIO *bio, char **out)
{
    BUF_MEM *mem = NULL;
    char *s;

    BIO_get_mem_ptr(bio, &mem);
    if (mem == NULL)
        return SNUG_ERR_INTERNAL;
    s = malloc(mem->length + 1);
    if (s == NULL)
        return SNUG_ERR_NOMEM;
    memcpy(s, mem->data, mem->length);
    s[mem->length] = '\0';
    *out = s;
    return SNUG_OK;
}

static snug_status chain_to_pem(STACK_OF(X509) * sk, char **out, snug_err *err)
{
    BIO *bio = BIO_new(BIO_s_mem());
    snug_status rc = SNUG_OK;
    int i;

    if (bio == NULL)
        return ossl_fail(err, SNUG_ERR_NOMEM, "encoding certificates: out of memory");
    for (i = 0; i < sk_X509_num(sk) && rc == SNUG_OK; i++) {
        if (PEM_write_bio_X509(bio, sk_X509_value(sk, i)) != 1)
            rc = ossl_fail(err, SNUG_ERR_TLS, "encoding certificate %d as PEM", i + 1);
    }
    if (rc == SNUG_OK && bio_take_string(bio, out) != SNUG_OK)
        rc = snug_err_set(err, SNUG_ERR_NOMEM, "encoding certificates: out of memory");
    BIO_free(bio);
    return rc;
}

static snug_status key_to_pem(EVP_PKEY *key, char **out, snug_err *err)
{
    BIO *bio = BIO_new(BIO_s_mem());
    snug_status rc = SNUG_OK;

    if (bio == NULL)
        return ossl_fail(err, SNUG_ERR_NOMEM, "encoding private key: out of memory");
    if (PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1)
        rc = ossl_fail(err, SNUG_ERR_TLS, "encoding private key as PEM");
    else if (bio_take_string(bio, out) != SNUG_OK)
        rc = snug_err_set(err, SNUG_ERR_NOMEM, "encoding private key: out of memory");
    BIO_free(bio);
    return rc;
}

static snug_status asn1_to_time_t(const ASN1_TIME *t, time_t *out, snug_err *err)
{
    struct tm tm;

    memset(&tm, 0, sizeof(tm));
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
        return ossl_fail(err, SNUG_ERR_PARSE, "certificate has an invalid validity time");
    *out = timegm(&tm);
    return SNUG_OK;
}

/* ---- the bundle -------------------------------------------------------- */

static snug_status fingerprint_hex(X509 *x, char out[CERTS_FINGERPRINT_LEN + 1], snug_err *err)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0, i;

    if (X509_digest(x, EVP_sha256(), md, &n) != 1 || n != SHA256_LEN)
        return ossl_fail(err, SNUG_ERR_TLS, "certificate fingerprint failed");
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
static snug_status bundle_new(STACK_OF(X509) * chain, EVP_PKEY *key, const char *ca_pem,
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
    rc = chain_to_pem(chain, &b->cert_pem, err);
    if (rc == SNUG_OK)
        rc = key_to_pem(key, &b->key_pem, err);
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

/* Parse a chain and a key and check they belong together. */
static snug_status parse_pair(const char *cert_pem, size_t cert_len, const char *cert_what,
                              const char *key_pem, size_t key_len, const char *key_what,
                              STACK_OF(X509) * *chain_out, EVP_PKEY **key_out, snug_err *err)
{
    STACK_OF(X509) *chain = NULL;
    EVP_PKEY *key = NULL;
    snug_status rc = parse_chain(cert_pem, cert_len, cert_what, &chain, err);

    if (rc == SNUG_OK)
        rc = parse_key(key_pem, key_len, key_what, &key, err);
    if (rc == SNUG_OK && X509_check_private_key(sk_X509_value(chain, 0), key) != 1)
        rc = ossl_fail(err, SNUG_ERR_TLS, "%s does not match the certificate in %s", key_what,
                       cert_what);
    if (rc != SNUG_OK) {
        sk_X509_pop_free(chain, X509_free);
        EVP_PKEY_free(key);
        return rc;
    }
    *chain_out = chain;
    *key_out = key;
    return SNUG_OK;
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
        rc = parse_chain(dynbuf_str(&bufs[2]), dynbuf_len(&bufs[2]), paths[2], &ca, err);
        if (rc == SNUG_OK)
            rc = chain_to_pem(ca, &ca_pem, err);
        sk_X509_pop_free(ca, X509_free);
        if (rc != SNUG_OK)
            return rc;
    }
    rc = parse_pair(dynbuf_str(&bufs[0]), dynbuf_len(&bufs[0]), paths[0], dynbuf_str(&bufs[1]),
                    dynbuf_len(&bufs[1]), paths[1], &chain, &key, err);
    if (rc == SNUG_OK)
        rc = bundle_new(chain, key, ca_pem, out, err);
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
            return errno_fail(err, errno, b->paths[i], "stat");
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

/* ---- building certificates --------------------------------------------- */

typedef struct cert_spec {
    const char *cn;
    time_t not_before;
    time_t not_after;
    bool ca;
    const certs_serving_opts *san; /* serving certificates only */
} cert_spec;

static snug_status set_random_serial(X509 *x, snug_err *err)
{
    unsigned char raw[16];
    BIGNUM *bn = NULL;
    snug_status rc = SNUG_OK;

    do {
        if (RAND_bytes(raw, sizeof(raw)) != 1)
            return ossl_fail(err, SNUG_ERR_TLS, "random serial number");
        BN_free(bn);
        bn = BN_bin2bn(raw, sizeof(raw), NULL);
        if (bn == NULL)
            return ossl_fail(err, SNUG_ERR_NOMEM, "serial number: out of memory");
    } while (BN_is_zero(bn));
    if (BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
        rc = ossl_fail(err, SNUG_ERR_TLS, "setting the serial number");
    BN_free(bn);
    return rc;
}

static snug_status set_cn(X509_NAME *name, const char *cn, snug_err *err)
{
    if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                   0) != 1)
        return ossl_fail(err, SNUG_ERR_TLS, "setting common name \"%s\"", cn);
    return SNUG_OK;
}

/* Version, serial, subject, issuer, validity and public key. */
static snug_status cert_init(X509 *x, const cert_spec *spec, EVP_PKEY *key, X509 *issuer,
                             snug_err *err)
{
    snug_status rc;

    if (X509_set_version(x, X509_VERSION_3) != 1)
        return ossl_fail(err, SNUG_ERR_TLS, "setting the certificate version");
    rc = set_random_serial(x, err);
    if (rc == SNUG_OK)
        rc = set_cn(X509_get_subject_name(x), spec->cn, err);
    if (rc != SNUG_OK)
        return rc;
    if (X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x)) != 1)
        return ossl_fail(err, SNUG_ERR_TLS, "setting the issuer name");
    if (ASN1_TIME_set(X509_getm_notBefore(x), spec->not_before) == NULL ||
        ASN1_TIME_set(X509_getm_notAfter(x), spec->not_after) == NULL)
        return ossl_fail(err, SNUG_ERR_TLS, "setting the validity period");
    if (X509_set_pubkey(x, key) != 1)
        return ossl_fail(err, SNUG_ERR_TLS, "setting the public key");
    return SNUG_OK;
}

static snug_status add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value, snug_err *err)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    int ok;

    if (ext == NULL)
        return ossl_fail(err, SNUG_ERR_TLS, "building extension %s = %s", OBJ_nid2sn(nid), value);
    ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    if (ok != 1)
        return ossl_fail(err, SNUG_ERR_TLS, "adding extension %s", OBJ_nid2sn(nid));
    return SNUG_OK;
}

static bool dns_label_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

/* RFC 1123 host name, optionally "*." + host name. */
static bool dns_name_valid(const char *s)
{
    size_t len = strlen(s), label = 0, i;

    if (len == 0 || len > DNS_NAME_MAX)
        return false;
    if (s[0] == '*') {
        if (s[1] != '.')
            return false;
        s += 2;
    }
    for (i = 0; s[i] != '\0'; i++) {
        if (s[i] == '.') {
            if (label == 0 || s[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        if (!dns_label_char(s[i]) || (label == 0 && s[i] == '-') || ++label > DNS_LABEL_MAX)
            return false;
    }
    return label > 0 && s[i - 1] != '-';
}

static snug_status push_san(GENERAL_NAMES *gens, int type, ASN1_STRING *value, snug_err *err)
{
    GENERAL_NAME *g = GENERAL_NAME_new();

    if (g == NULL) {
        ASN1_STRING_free(value);
        return ossl_fail(err, SNUG_ERR_NOMEM, "subjectAltName: out of memory");
    }
    GENERAL_NAME_set0_value(g, type, value);
    if (sk_GENERAL_NAME_push(gens, g) <= 0) {
        GENERAL_NAME_free(g);
        return ossl_fail(err, SNUG_ERR_NOMEM, "subjectAltName: out of memory");
    }
    return SNUG_OK;
}

static snug_status push_dns_sans(GENERAL_NAMES *gens, const certs_serving_opts *o, snug_err *err)
{
    ASN1_IA5STRING *s;
    snug_status rc;
    size_t i;

    for (i = 0; i < o->n_dns; i++) {
        s = ASN1_IA5STRING_new();
        if (s == NULL || ASN1_STRING_set(s, o->dns_names[i], -1) != 1) {
            ASN1_IA5STRING_free(s);
            return ossl_fail(err, SNUG_ERR_NOMEM, "subjectAltName: out of memory");
        }
        rc = push_san(gens, GEN_DNS, s, err);
        if (rc != SNUG_OK)
            return rc;
    }
    return SNUG_OK;
}

static snug_status push_ip_sans(GENERAL_NAMES *gens, const certs_serving_opts *o, snug_err *err)
{
    ASN1_OCTET_STRING *ip;
    snug_status rc;
    size_t i;

    for (i = 0; i < o->n_ips; i++) {
        ip = a2i_IPADDRESS(o->ips[i]);
        if (ip == NULL)
            return ossl_fail(err, SNUG_ERR_INVALID, "ips[%zu]: invalid IP address \"%s\"", i,
                             o->ips[i]);
        rc = push_san(gens, GEN_IPADD, ip, err);
        if (rc != SNUG_OK)
            return rc;
    }
    return SNUG_OK;
}

static snug_status add_sans(X509 *x, const certs_serving_opts *o, snug_err *err)
{
    GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
    snug_status rc;

    if (gens == NULL)
        return ossl_fail(err, SNUG_ERR_NOMEM, "subjectAltName: out of memory");
    rc = push_dns_sans(gens, o, err);
    if (rc == SNUG_OK)
        rc = push_ip_sans(gens, o, err);
    if (rc == SNUG_OK &&
        X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) != 1)
        rc = ossl_fail(err, SNUG_ERR_TLS, "adding subjectAltName");
    GENERAL_NAMES_free(gens);
    return rc;
}

static snug_status add_extensions(X509 *x, const cert_spec *spec, X509 *issuer, snug_err *err)
{
    X509V3_CTX ctx;
    snug_status rc;

    X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
    if (spec->ca) {
        rc = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:TRUE,pathlen:0", err);
        if (rc == SNUG_OK)
            rc = add_ext(x, &ctx, NID_key_usage, "critical,keyCertSign,cRLSign", err);
    } else {
        rc = add_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE", err);
        if (rc == SNUG_OK)
            rc = add_ext(x, &ctx, NID_key_usage, "critical,digitalSignature", err);
        if (rc == SNUG_OK)
            rc = add_ext(x, &ctx, NID_ext_key_usage, "serverAuth", err);
        if (rc == SNUG_OK)
            rc = add_sans(x, spec->san, err);
    }
    if (rc == SNUG_OK)
        rc = add_ext(x, &ctx, NID_subject_key_identifier, "hash", err);
    if (rc == SNUG_OK)
        rc = add_ext(x, &ctx, NID_authority_key_identifier,
                     spec->ca ? "keyid:always" : "keyid,issuer", err);
    return rc;
}

/* EdDSA signs without a separate digest; everything else uses SHA-256. */
static const EVP_MD *sign_digest(EVP_PKEY *key)
{
    int id = EVP_PKEY_get_id(key);

    return (id == EVP_PKEY_ED25519 || id == EVP_PKEY_ED448) ? NULL : EVP_sha256();
}

/* Build and sign a certificate for `key`; self-signed when issuer is NULL. */
static snug_status build_cert(const cert_spec *spec, EVP_PKEY *key, X509 *issuer,
                              EVP_PKEY *issuer_key, X509 **out, snug_err *err)
{
    X509 *x = X509_new();
    snug_status rc;

    if (x == NULL)
        return ossl_fail(err, SNUG_ERR_NOMEM, "certificate: out of memory");
    rc = cert_init(x, spec, key, issuer, err);
    if (rc == SNUG_OK)
        rc = add_extensions(x, spec, issuer, err);
    if (rc == SNUG_OK && X509_sign(x, issuer_key, sign_digest(issuer_key)) <= 0)
        rc = ossl_fail(err, SNUG_ERR_TLS, "signing the certificate");
    if (rc != SNUG_OK) {
        X509_free(x);
        return rc;
    }
    *out = x;
    return SNUG_OK;
}

static snug_status new_p256_key(EVP_PKEY **out, snug_err *err)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");

    if (key == NULL)
        return ossl_fail(err, SNUG_ERR_TLS, "generating an ECDSA P-256 key");
    *out = key;
    return SNUG_OK;
}

/* Wrap one certificate into a new one-element stack (takes ownership). */
static snug_status single_chain(X509 *x, STACK_OF(X509) * *out, snug_err *err)
{
    STACK_OF(X509) *sk = sk_X509_new_null();

    if (sk == NULL || sk_X509_push(sk, x) <= 0) {
        sk_X509_free(sk);
        X509_free(x);
        return ossl_fail(err, SNUG_ERR_NOMEM, "certificate chain: out of memory");
    }
    *out = sk;
    return SNUG_OK;
}

static snug_status check_validity(int64_t *validity, int64_t dflt, const char *what, snug_err *err)
{
    if (*validity == 0)
        *validity = dflt;
    if (*validity <= 0 || *validity > CERTS_MAX_VALIDITY)
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "%s: validity %lld s must be between 1 s and %lld s", what,
                            (long long)*validity, (long long)CERTS_MAX_VALIDITY);
    return SNUG_OK;
}

/* Key and certificate into a bundle whose ca_pem is `ca_pem` (NULL: its own
 * PEM, for a CA). Takes ownership of x and key. */
static snug_status bundle_from_cert(X509 *x, EVP_PKEY *key, const char *ca_pem, cert_bundle **out,
                                    snug_err *err)
{
    STACK_OF(X509) *chain = NULL;
    snug_status rc = single_chain(x, &chain, err);
    cert_bundle *b = NULL;

    if (rc != SNUG_OK) {
        EVP_PKEY_free(key);
        return rc;
    }
    rc = bundle_new(chain, key, ca_pem, &b, err);
    if (rc != SNUG_OK)
        return rc;
    if (ca_pem == NULL) {
        b->ca_pem = strdup(b->cert_pem);
        if (b->ca_pem == NULL) {
            certs_bundle_free(b);
            return snug_err_set(err, SNUG_ERR_NOMEM, "certificate bundle: out of memory");
        }
    }
    *out = b;
    return SNUG_OK;
}

snug_status certs_ca_create(const certs_ca_opts *opts, cert_bundle **out, snug_err *err)
{
    certs_ca_opts o = {0};
    cert_spec spec;
    EVP_PKEY *key = NULL;
    X509 *x = NULL;
    snug_status rc;

    if (opts != NULL)
        o = *opts;
    if (o.common_name == NULL)
        o.common_name = "snug-ca";
    if (o.now == 0)
        o.now = time(NULL);
    if (o.common_name[0] == '\0' || strlen(o.common_name) > CN_MAX)
        return snug_err_set(err, SNUG_ERR_INVALID, "CA common name must be 1-%d bytes", CN_MAX);
    rc = check_validity(&o.validity, CERTS_CA_DEFAULT_VALIDITY, "CA", err);
    if (rc != SNUG_OK)
        return rc;
    spec = (cert_spec){o.common_name, o.now - CERTS_BACKDATE, o.now + o.validity, true, NULL};
    rc = new_p256_key(&key, err);
    if (rc == SNUG_OK)
        rc = build_cert(&spec, key, NULL, key, &x, err);
    if (rc != SNUG_OK) {
        EVP_PKEY_free(key);
        return snug_err_prefix(err, "creating CA");
    }
    return bundle_from_cert(x, key, NULL, out, err);
}

snug_status certs_ca_load_pem(const char *cert_pem, const char *key_pem, cert_bundle **out,
                              snug_err *err)
{
    STACK_OF(X509) *chain = NULL;
    EVP_PKEY *key = NULL;
    cert_bundle *b = NULL;
    snug_status rc;

    if (cert_pem == NULL || key_pem == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "CA certificate and key are required");
    rc = parse_pair(cert_pem, strlen(cert_pem), "CA certificate", key_pem, strlen(key_pem),
                    "CA private key", &chain, &key, err);
    if (rc == SNUG_OK)
        rc = bundle_new(chain, key, NULL, &b, err);
    if (rc != SNUG_OK)
        return rc;
    if (!b->is_ca) {
        certs_bundle_free(b);
        return snug_err_set(err, SNUG_ERR_TLS,
                            "CA certificate: not a CA (needs basicConstraints CA:TRUE and "
                            "keyUsage keyCertSign)");
    }
    b->ca_pem = strdup(b->cert_pem);
    if (b->ca_pem == NULL) {
        certs_bundle_free(b);
        return snug_err_set(err, SNUG_ERR_NOMEM, "CA bundle: out of memory");
    }
    *out = b;
    return SNUG_OK;
}

/* Check the SANs and pick the common name. */
static snug_status check_serving_opts(const certs_serving_opts *o, const char **cn, snug_err *err)
{
    size_t i;

    if (o->n_dns + o->n_ips == 0)
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "serving certificate needs at least one DNS name or IP");
    for (i = 0; i < o->n_dns; i++) {
        if (o->dns_names[i] == NULL || !dns_name_valid(o->dns_names[i]))
            return snug_err_set(err, SNUG_ERR_INVALID, "dns_names[%zu]: invalid DNS name \"%s\"", i,
                                o->dns_names[i] ? o->dns_names[i] : "(null)");
    }
    for (i = 0; i < o->n_ips; i++) {
        if (o->ips[i] == NULL)
            return snug_err_set(err, SNUG_ERR_INVALID, "ips[%zu]: missing", i);
    }
    *cn = o->common_name;
    if (*cn == NULL)
        *cn =
            (o->n_dns > 0 && strlen(o->dns_names[0]) <= CN_MAX) ? o->dns_names[0] : "snug-webhook";
    if ((*cn)[0] == '\0' || strlen(*cn) > CN_MAX)
        return snug_err_set(err, SNUG_ERR_INVALID, "common name must be 1-%d bytes", CN_MAX);
    return SNUG_OK;
}

/* Validity of a serving certificate issued at `now`, inside the CA's. */
static snug_status serving_validity(const cert_bundle *ca, time_t now, int64_t validity,
                                    cert_spec *spec, snug_err *err)
{
    char when[32];

    if (now >= ca->not_after) {
        format_time(ca->not_after, when, sizeof(when));
        return snug_err_set(err, SNUG_ERR_TLS, "CA expired at %s", when);
    }
    if (now < ca->not_before) {
        format_time(ca->not_before, when, sizeof(when));
        return snug_err_set(err, SNUG_ERR_TLS, "CA is not valid before %s", when);
    }
    spec->not_before = now - CERTS_BACKDATE;
    if (spec->not_before < ca->not_before)
        spec->not_before = ca->not_before;
    spec->not_after = now + validity;
    if (spec->not_after > ca->not_after)
        spec->not_after = ca->not_after;
    return SNUG_OK;
}

snug_status certs_issue_serving(const cert_bundle *ca, const certs_serving_opts *opts,
                                cert_bundle **out, snug_err *err)
{
    certs_serving_opts o;
    cert_spec spec = {NULL, 0, 0, false, NULL};
    EVP_PKEY *key = NULL;
    X509 *x = NULL;
    snug_status rc;

    if (ca == NULL || !ca->is_ca || opts == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "issuing a serving certificate needs a CA and options");
    o = *opts;
    if (o.now == 0)
        o.now = time(NULL);
    rc = check_serving_opts(&o, &spec.cn, err);
    if (rc == SNUG_OK)
        rc =
            check_validity(&o.validity, CERTS_SERVING_DEFAULT_VALIDITY, "serving certificate", err);
    if (rc == SNUG_OK)
        rc = serving_validity(ca, o.now, o.validity, &spec, err);
    if (rc != SNUG_OK)
        return rc;
    spec.san = &o;
    rc = new_p256_key(&key, err);
    if (rc == SNUG_OK)
        rc = build_cert(&spec, key, ca->cert, ca->key, &x, err);
    if (rc != SNUG_OK) {
        EVP_PKEY_free(key);
        return snug_err_prefix(err, "issuing serving certificate");
    }
    return bundle_from_cert(x, key, ca->cert_pem, out, err);
}

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
            return errno_fail(err, errno, path, "write");
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
        rc = errno_fail(err, errno, tmp, "create");
        free(tmp);
        return rc;
    }
    if (fchmod(fd, mode) != 0)
        rc = errno_fail(err, errno, tmp, "chmod");
    if (rc == SNUG_OK)
        rc = write_all(fd, tmp, data, len, err);
    if (rc == SNUG_OK && fsync(fd) != 0)
        rc = errno_fail(err, errno, tmp, "fsync");
    if (close(fd) != 0 && rc == SNUG_OK)
        rc = errno_fail(err, errno, tmp, "close");
    if (rc == SNUG_OK && rename(tmp, path) != 0)
        rc = errno_fail(err, errno, path, "rename");
    if (rc != SNUG_OK)
        unlink(tmp);
    else
        fsync_parent(path);
    free(tmp);
    return rc;
}

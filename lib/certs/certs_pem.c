/* certs_pem.c -- PEM in and out for the certificate module: parsing chains
 * and unencrypted private keys, checking that a key belongs to a
 * certificate, and re-encoding chains as NUL-terminated PEM strings.
 */
#include "certs/certs_internal.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

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
snug_status certs_parse_chain(const char *pem, size_t len, const char *what, STACK_OF(X509) * *out,
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
        rc = certs_ossl_fail(err, SNUG_ERR_PARSE, "%s: no PEM certificate found", what);
    else if (!pem_at_end())
        rc = certs_ossl_fail(err, SNUG_ERR_PARSE, "%s: certificate %d: invalid PEM", what,
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
        rc = certs_ossl_fail(err, SNUG_ERR_NOMEM, "%s: out of memory", what);
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
        return certs_ossl_fail(err, SNUG_ERR_NOMEM, "%s: out of memory", what);
    key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
    BIO_free(bio);
    if (key == NULL)
        return certs_ossl_fail(
            err, SNUG_ERR_PARSE,
            "%s: no usable PEM private key found (encrypted keys are not supported)", what);
    ERR_clear_error();
    *out = key;
    return SNUG_OK;
}

/* Parse a chain and a key and check they belong together. */
snug_status certs_parse_pair(const char *cert_pem, size_t cert_len, const char *cert_what,
                             const char *key_pem, size_t key_len, const char *key_what,
                             STACK_OF(X509) * *chain_out, EVP_PKEY **key_out, snug_err *err)
{
    STACK_OF(X509) *chain = NULL;
    EVP_PKEY *key = NULL;
    snug_status rc = certs_parse_chain(cert_pem, cert_len, cert_what, &chain, err);

    if (rc == SNUG_OK)
        rc = parse_key(key_pem, key_len, key_what, &key, err);
    if (rc == SNUG_OK && X509_check_private_key(sk_X509_value(chain, 0), key) != 1)
        rc = certs_ossl_fail(err, SNUG_ERR_TLS, "%s does not match the certificate in %s", key_what,
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

snug_status certs_chain_to_pem(STACK_OF(X509) * sk, char **out, snug_err *err)
{
    BIO *bio = BIO_new(BIO_s_mem());
    snug_status rc = SNUG_OK;
    int i;

    if (bio == NULL)
        return certs_ossl_fail(err, SNUG_ERR_NOMEM, "encoding certificates: out of memory");
    for (i = 0; i < sk_X509_num(sk) && rc == SNUG_OK; i++) {
        if (PEM_write_bio_X509(bio, sk_X509_value(sk, i)) != 1)
            rc = certs_ossl_fail(err, SNUG_ERR_TLS, "encoding certificate %d as PEM", i + 1);
    }
    if (rc == SNUG_OK && bio_take_string(bio, out) != SNUG_OK)
        rc = snug_err_set(err, SNUG_ERR_NOMEM, "encoding certificates: out of memory");
    BIO_free(bio);
    return rc;
}

snug_status certs_key_to_pem(EVP_PKEY *key, char **out, snug_err *err)
{
    BIO *bio = BIO_new(BIO_s_mem());
    snug_status rc = SNUG_OK;

    if (bio == NULL)
        return certs_ossl_fail(err, SNUG_ERR_NOMEM, "encoding private key: out of memory");
    if (PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) != 1)
        rc = certs_ossl_fail(err, SNUG_ERR_TLS, "encoding private key as PEM");
    else if (bio_take_string(bio, out) != SNUG_OK)
        rc = snug_err_set(err, SNUG_ERR_NOMEM, "encoding private key: out of memory");
    BIO_free(bio);
    return rc;
}

/* certs_issue.c -- self-managed mode: create a CA or load one from PEM, and
 * issue serving certificates signed by it (defaults, option checks, and the
 * validity window clamped to the CA's).
 */
#include "certs/certs_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define CN_MAX 64 /* ub_common_name */

static void format_time(time_t t, char *buf, size_t cap)
{
    struct tm tm;

    if (gmtime_r(&t, &tm) == NULL || strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, cap, "%lld", (long long)t);
}

static snug_status new_p256_key(EVP_PKEY **out, snug_err *err)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");

    if (key == NULL)
        return certs_ossl_fail(err, SNUG_ERR_TLS, "generating an ECDSA P-256 key");
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
        return certs_ossl_fail(err, SNUG_ERR_NOMEM, "certificate chain: out of memory");
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
    rc = certs_bundle_new(chain, key, ca_pem, &b, err);
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
        rc = certs_build_cert(&spec, key, NULL, key, &x, err);
    if (rc != SNUG_OK) {
        EVP_PKEY_free(key);
        return snug_err_wrap(err, rc, "creating CA");
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
    rc = certs_parse_pair(cert_pem, strlen(cert_pem), "CA certificate", key_pem, strlen(key_pem),
                          "CA private key", &chain, &key, err);
    if (rc == SNUG_OK)
        rc = certs_bundle_new(chain, key, NULL, &b, err);
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
        if (o->dns_names[i] == NULL || !certs_dns_name_valid(o->dns_names[i]))
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
        rc = certs_build_cert(&spec, key, ca->cert, ca->key, &x, err);
    if (rc != SNUG_OK) {
        EVP_PKEY_free(key);
        return snug_err_wrap(err, rc, "issuing serving certificate");
    }
    return bundle_from_cert(x, key, ca->cert_pem, out, err);
}

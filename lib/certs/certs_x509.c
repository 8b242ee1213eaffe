/* certs_x509.c -- building and signing X.509 certificates: version 3,
 * random serial, subject/issuer CN, validity, CA or serving extensions
 * (basicConstraints, keyUsage, extendedKeyUsage, subjectAltName, key ids).
 * What goes in is decided by the caller (certs_issue.c) through a cert_spec.
 */
#include "certs/certs_internal.h"

#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define DNS_NAME_MAX  253
#define DNS_LABEL_MAX 63

static snug_status set_random_serial(X509 *x, snug_err *err)
{
    unsigned char raw[16];
    BIGNUM *bn = NULL;
    snug_status rc = SNUG_OK;

    do {
        if (RAND_bytes(raw, sizeof(raw)) != 1)
            return certs_ossl_fail(err, SNUG_ERR_TLS, "random serial number");
        BN_free(bn);
        bn = BN_bin2bn(raw, sizeof(raw), NULL);
        if (bn == NULL)
            return certs_ossl_fail(err, SNUG_ERR_NOMEM, "serial number: out of memory");
    } while (BN_is_zero(bn));
    if (BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
        rc = certs_ossl_fail(err, SNUG_ERR_TLS, "setting the serial number");
    BN_free(bn);
    return rc;
}

static snug_status set_cn(X509_NAME *name, const char *cn, snug_err *err)
{
    if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                   0) != 1)
        return certs_ossl_fail(err, SNUG_ERR_TLS, "setting common name \"%s\"", cn);
    return SNUG_OK;
}

/* Version, serial, subject, issuer, validity and public key. */
static snug_status cert_init(X509 *x, const cert_spec *spec, EVP_PKEY *key, X509 *issuer,
                             snug_err *err)
{
    snug_status rc;

    if (X509_set_version(x, X509_VERSION_3) != 1)
        return certs_ossl_fail(err, SNUG_ERR_TLS, "setting the certificate version");
    rc = set_random_serial(x, err);
    if (rc == SNUG_OK)
        rc = set_cn(X509_get_subject_name(x), spec->cn, err);
    if (rc != SNUG_OK)
        return rc;
    if (X509_set_issuer_name(x, X509_get_subject_name(issuer ? issuer : x)) != 1)
        return certs_ossl_fail(err, SNUG_ERR_TLS, "setting the issuer name");
    if (ASN1_TIME_set(X509_getm_notBefore(x), spec->not_before) == NULL ||
        ASN1_TIME_set(X509_getm_notAfter(x), spec->not_after) == NULL)
        return certs_ossl_fail(err, SNUG_ERR_TLS, "setting the validity period");
    if (X509_set_pubkey(x, key) != 1)
        return certs_ossl_fail(err, SNUG_ERR_TLS, "setting the public key");
    return SNUG_OK;
}

static snug_status add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value, snug_err *err)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    int ok;

    if (ext == NULL)
        return certs_ossl_fail(err, SNUG_ERR_TLS, "building extension %s = %s", OBJ_nid2sn(nid),
                               value);
    ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    if (ok != 1)
        return certs_ossl_fail(err, SNUG_ERR_TLS, "adding extension %s", OBJ_nid2sn(nid));
    return SNUG_OK;
}

static bool dns_label_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

/* RFC 1123 host name, optionally "*." + host name. */
bool certs_dns_name_valid(const char *s)
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
        return certs_ossl_fail(err, SNUG_ERR_NOMEM, "subjectAltName: out of memory");
    }
    GENERAL_NAME_set0_value(g, type, value);
    if (sk_GENERAL_NAME_push(gens, g) <= 0) {
        GENERAL_NAME_free(g);
        return certs_ossl_fail(err, SNUG_ERR_NOMEM, "subjectAltName: out of memory");
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
            return certs_ossl_fail(err, SNUG_ERR_NOMEM, "subjectAltName: out of memory");
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
            return certs_ossl_fail(err, SNUG_ERR_INVALID, "ips[%zu]: invalid IP address \"%s\"", i,
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
        return certs_ossl_fail(err, SNUG_ERR_NOMEM, "subjectAltName: out of memory");
    rc = push_dns_sans(gens, o, err);
    if (rc == SNUG_OK)
        rc = push_ip_sans(gens, o, err);
    if (rc == SNUG_OK &&
        X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, X509V3_ADD_DEFAULT) != 1)
        rc = certs_ossl_fail(err, SNUG_ERR_TLS, "adding subjectAltName");
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
snug_status certs_build_cert(const cert_spec *spec, EVP_PKEY *key, X509 *issuer,
                             EVP_PKEY *issuer_key, X509 **out, snug_err *err)
{
    X509 *x = X509_new();
    snug_status rc;

    if (x == NULL)
        return certs_ossl_fail(err, SNUG_ERR_NOMEM, "certificate: out of memory");
    rc = cert_init(x, spec, key, issuer, err);
    if (rc == SNUG_OK)
        rc = add_extensions(x, spec, issuer, err);
    if (rc == SNUG_OK && X509_sign(x, issuer_key, sign_digest(issuer_key)) <= 0)
        rc = certs_ossl_fail(err, SNUG_ERR_TLS, "signing the certificate");
    if (rc != SNUG_OK) {
        X509_free(x);
        return rc;
    }
    *out = x;
    return SNUG_OK;
}

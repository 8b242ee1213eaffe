/* Unit tests for certs: CA and serving certificates, rotation, files mode. */
#include "certs/certs.h"
#include "test.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define T0   ((time_t)1767225600) /* 2026-01-01T00:00:00Z */
#define DAY  ((int64_t)86400)
#define YEAR (365 * DAY)

static const char *const k_dns[] = {"snug-webhook", "snug-webhook.snug", "snug-webhook.snug.svc",
                                    "snug-webhook.snug.svc.cluster.local"};
static const char *const k_ips[] = {"127.0.0.1", "::1"};

/* ---- helpers ------------------------------------------------------------ */

static X509 *pem_x509(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);

    BIO_free(bio);
    return x;
}

static EVP_PKEY *pem_key(const char *pem)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);

    BIO_free(bio);
    return k;
}

/* X509_verify_cert of leaf against every certificate in ca_pem at time `at`
 * for TLS server use, optionally for `host`. Returns the X509_V_ code. */
static int verify_cert(const char *leaf_pem, const char *ca_pem, const char *host, time_t at,
                       int purpose)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    BIO *bio = BIO_new_mem_buf(ca_pem, -1);
    X509 *leaf = pem_x509(leaf_pem), *ca;
    X509_VERIFY_PARAM *p;
    int rc;

    while ((ca = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        X509_STORE_add_cert(store, ca);
        X509_free(ca);
    }
    ERR_clear_error();
    X509_STORE_CTX_init(ctx, store, leaf, NULL);
    p = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(p, at);
    if (host != NULL)
        X509_VERIFY_PARAM_set1_host(p, host, 0);
    if (purpose != 0)
        X509_STORE_CTX_set_purpose(ctx, purpose);
    rc = X509_verify_cert(ctx) == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
    if (rc == X509_V_OK && X509_STORE_CTX_get_error(ctx) != X509_V_OK)
        rc = X509_STORE_CTX_get_error(ctx);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    X509_free(leaf);
    BIO_free(bio);
    return rc;
}

static int verify_leaf(const char *leaf_pem, const char *ca_pem, const char *host, time_t at)
{
    return verify_cert(leaf_pem, ca_pem, host, at, X509_PURPOSE_SSL_SERVER);
}

/* "DNS:a,IP:127.0.0.1,..." in certificate order. */
static void san_list(X509 *x, char *out, size_t cap)
{
    GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    char ip[INET6_ADDRSTRLEN];
    size_t used = 0;
    int i;

    out[0] = '\0';
    for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        const unsigned char *d;
        int len;

        if (g->type == GEN_DNS) {
            used += snprintf(out + used, cap - used, "%sDNS:%s", i ? "," : "",
                             (const char *)ASN1_STRING_get0_data(g->d.dNSName));
        } else if (g->type == GEN_IPADD) {
            d = ASN1_STRING_get0_data(g->d.iPAddress);
            len = ASN1_STRING_length(g->d.iPAddress);
            inet_ntop(len == 4 ? AF_INET : AF_INET6, d, ip, sizeof(ip));
            used += snprintf(out + used, cap - used, "%sIP:%s", i ? "," : "", ip);
        }
    }
    GENERAL_NAMES_free(gens);
}

static int ext_critical(X509 *x, int nid)
{
    int i = X509_get_ext_by_NID(x, nid, -1);

    return i < 0 ? -1 : X509_EXTENSION_get_critical(X509_get_ext(x, i));
}

static void common_name(X509 *x, char *out, int cap)
{
    out[0] = '\0';
    X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, out, cap);
}

static int is_p256(EVP_PKEY *k)
{
    char group[64] = "";

    if (k == NULL || EVP_PKEY_get_base_id(k) != EVP_PKEY_EC)
        return 0;
    EVP_PKEY_get_group_name(k, group, sizeof(group), NULL);
    return strcmp(group, "prime256v1") == 0;
}

static int serial_bits(X509 *x)
{
    BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
    int bits = BN_is_negative(bn) ? -1 : BN_num_bits(bn);

    BN_free(bn);
    return bits;
}

static cert_bundle *make_ca(time_t now, int64_t validity)
{
    certs_ca_opts o = {NULL, validity, now};
    cert_bundle *ca = NULL;
    snug_err err;

    snug_err_clear(&err);
    if (certs_ca_create(&o, &ca, &err) != SNUG_OK)
        T_FAIL("certs_ca_create: %s", err.msg);
    return ca;
}

static cert_bundle *make_serving(const cert_bundle *ca, time_t now, int64_t validity)
{
    certs_serving_opts o = {k_dns, ARRAY_LEN(k_dns), k_ips, ARRAY_LEN(k_ips), NULL, validity, now};
    cert_bundle *b = NULL;
    snug_err err;

    snug_err_clear(&err);
    if (certs_issue_serving(ca, &o, &b, &err) != SNUG_OK)
        T_FAIL("certs_issue_serving: %s", err.msg);
    return b;
}

/* ---- self-managed mode --------------------------------------------------- */

static void test_ca_create(void)
{
    static const struct {
        int64_t validity, want;
    } cases[] = {{0, 5 * YEAR}, {DAY, DAY}, {30 * YEAR, 30 * YEAR}};
    char cn[128];
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cert_bundle *ca;
        X509 *x;
        EVP_PKEY *k;

        T_CASE("validity %lld", (long long)cases[i].validity);
        ca = make_ca(T0, cases[i].validity);
        if (ca == NULL)
            continue;
        x = pem_x509(certs_bundle_cert_pem(ca));
        k = pem_key(certs_bundle_key_pem(ca));
        CHECK(x != NULL && k != NULL);
        CHECK_INT_EQ(certs_bundle_not_before(ca), T0 - CERTS_BACKDATE);
        CHECK_INT_EQ(certs_bundle_not_after(ca), T0 + cases[i].want);
        CHECK(certs_bundle_is_ca(ca));
        CHECK_STR_EQ(certs_bundle_ca_pem(ca), certs_bundle_cert_pem(ca));
        CHECK_INT_EQ(X509_check_ca(x), 1);
        CHECK_INT_EQ(ext_critical(x, NID_basic_constraints), 1);
        CHECK_INT_EQ(ext_critical(x, NID_key_usage), 1);
        CHECK_INT_EQ(X509_get_key_usage(x), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
        CHECK_INT_EQ(X509_get_pathlen(x), 0);
        CHECK(X509_get0_subject_key_id(x) != NULL);
        CHECK(is_p256(k));
        CHECK_INT_EQ(X509_check_private_key(x, k), 1);
        common_name(x, cn, sizeof(cn));
        CHECK_STR_EQ(cn, "snug-ca");
        CHECK_INT_EQ(strlen(certs_bundle_fingerprint(ca)), CERTS_FINGERPRINT_LEN);
        CHECK_STR_CONTAINS(certs_bundle_key_pem(ca), "-----BEGIN PRIVATE KEY-----");
        CHECK_INT_EQ(verify_cert(certs_bundle_cert_pem(ca), certs_bundle_ca_pem(ca), NULL, T0,
                                 X509_PURPOSE_ANY),
                     X509_V_OK);
        X509_free(x);
        EVP_PKEY_free(k);
        certs_bundle_free(ca);
    }
}

static void test_ca_create_invalid(void)
{
    static const struct {
        const char *cn;
        int64_t validity;
        const char *want;
    } cases[] = {
        {NULL, -1, "validity -1 s"},
        {NULL, CERTS_MAX_VALIDITY + 1, "must be between"},
        {"", 0, "common name"},
        {"0123456789012345678901234567890123456789012345678901234567890123456789", 0,
         "common name"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        certs_ca_opts o = {cases[i].cn, cases[i].validity, T0};
        cert_bundle *ca = NULL;
        snug_err err;

        T_CASE("row %zu", i);
        snug_err_clear(&err);
        CHECK_INT_EQ(certs_ca_create(&o, &ca, &err), SNUG_ERR_INVALID);
        CHECK(ca == NULL);
        CHECK_STR_CONTAINS(err.msg, cases[i].want);
    }
}

static void test_issue_serving(void)
{
    cert_bundle *ca = make_ca(T0, 0), *other = make_ca(T0, 0), *a, *b;
    const ASN1_OCTET_STRING *ski, *aki;
    char sans[1024], cn[128];
    X509 *x, *cax;
    EVP_PKEY *k;

    if (ca == NULL || other == NULL)
        return;
    a = make_serving(ca, T0, 0);
    b = make_serving(ca, T0, 0);
    if (a == NULL || b == NULL)
        return;
    x = pem_x509(certs_bundle_cert_pem(a));
    cax = pem_x509(certs_bundle_cert_pem(ca));
    k = pem_key(certs_bundle_key_pem(a));
    san_list(x, sans, sizeof(sans));
    CHECK_STR_EQ(sans, "DNS:snug-webhook,DNS:snug-webhook.snug,DNS:snug-webhook.snug.svc,"
                       "DNS:snug-webhook.snug.svc.cluster.local,IP:127.0.0.1,IP:::1");
    common_name(x, cn, sizeof(cn));
    CHECK_STR_EQ(cn, "snug-webhook");
    CHECK_INT_EQ(X509_check_ca(x), 0);
    CHECK(!certs_bundle_is_ca(a));
    CHECK_INT_EQ(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
    CHECK_INT_EQ(ext_critical(x, NID_key_usage), 1);
    CHECK_INT_EQ(X509_get_extended_key_usage(x), XKU_SSL_SERVER);
    CHECK(is_p256(k));
    CHECK_INT_EQ(X509_check_private_key(x, k), 1);
    CHECK(serial_bits(x) > 64 && serial_bits(x) <= 128);
    CHECK(strcmp(certs_bundle_fingerprint(a), certs_bundle_fingerprint(b)) != 0);
    ski = X509_get0_subject_key_id(cax);
    aki = X509_get0_authority_key_id(x);
    CHECK(ski != NULL && aki != NULL && ASN1_OCTET_STRING_cmp(ski, aki) == 0);
    CHECK(X509_get0_subject_key_id(x) != NULL);
    CHECK_STR_EQ(certs_bundle_ca_pem(a), certs_bundle_cert_pem(ca));
    CHECK_INT_EQ(certs_bundle_not_before(a), T0 - CERTS_BACKDATE);
    CHECK_INT_EQ(certs_bundle_not_after(a), T0 + YEAR);
    /* chain, hostname, IP and trust anchor checks */
    CHECK_INT_EQ(verify_leaf(certs_bundle_cert_pem(a), certs_bundle_ca_pem(a),
                             "snug-webhook.snug.svc", T0 + DAY),
                 X509_V_OK);
    CHECK_INT_EQ(X509_check_ip_asc(x, "127.0.0.1", 0), 1);
    CHECK_INT_EQ(X509_check_ip_asc(x, "::1", 0), 1);
    CHECK_INT_EQ(X509_check_ip_asc(x, "10.0.0.1", 0), 0);
    CHECK_INT_EQ(
        verify_leaf(certs_bundle_cert_pem(a), certs_bundle_ca_pem(a), "evil.snug.svc", T0 + DAY),
        X509_V_ERR_HOSTNAME_MISMATCH);
    CHECK_INT_EQ(
        verify_leaf(certs_bundle_cert_pem(a), certs_bundle_cert_pem(other), NULL, T0 + DAY),
        X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    CHECK_INT_EQ(
        verify_leaf(certs_bundle_cert_pem(a), certs_bundle_ca_pem(a), NULL, T0 + YEAR + DAY),
        X509_V_ERR_CERT_HAS_EXPIRED);
    X509_free(x);
    X509_free(cax);
    EVP_PKEY_free(k);
    certs_bundle_free(a);
    certs_bundle_free(b);
    certs_bundle_free(ca);
    certs_bundle_free(other);
}

static void test_serving_validity(void)
{
    static const struct {
        int64_t ca_validity;
        time_t ca_now, now;
        int64_t validity;
        snug_status want_st;
        time_t want_nb, want_na;
        const char *want_msg;
    } cases[] = {
        /* defaults: one year, backdated */
        {0, T0, T0, 0, SNUG_OK, T0 - CERTS_BACKDATE, T0 + YEAR, NULL},
        {0, T0, T0 + DAY, 90 * DAY, SNUG_OK, T0 + DAY - CERTS_BACKDATE, T0 + 91 * DAY, NULL},
        /* backdating stops at the CA's notBefore */
        {0, T0, T0 - CERTS_BACKDATE + 10, DAY, SNUG_OK, T0 - CERTS_BACKDATE,
         T0 - CERTS_BACKDATE + 10 + DAY, NULL},
        /* never outlives the CA */
        {30 * DAY, T0, T0 + 20 * DAY, 0, SNUG_OK, T0 + 20 * DAY - CERTS_BACKDATE, T0 + 30 * DAY,
         NULL},
        {30 * DAY, T0, T0 + 30 * DAY, 0, SNUG_ERR_TLS, 0, 0, "CA expired at 2026-01-31T00:00:00Z"},
        {0, T0, T0 - DAY, 0, SNUG_ERR_TLS, 0, 0, "CA is not valid before"},
        {0, T0, T0, -1, SNUG_ERR_INVALID, 0, 0, "serving certificate: validity -1 s"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        certs_serving_opts o = {k_dns, 1, NULL, 0, NULL, cases[i].validity, cases[i].now};
        cert_bundle *ca, *b = NULL;
        snug_err err;

        T_CASE("row %zu", i);
        ca = make_ca(cases[i].ca_now, cases[i].ca_validity);
        if (ca == NULL)
            continue;
        snug_err_clear(&err);
        CHECK_INT_EQ(certs_issue_serving(ca, &o, &b, &err), cases[i].want_st);
        if (cases[i].want_st == SNUG_OK && b != NULL) {
            CHECK_INT_EQ(certs_bundle_not_before(b), cases[i].want_nb);
            CHECK_INT_EQ(certs_bundle_not_after(b), cases[i].want_na);
            CHECK_INT_EQ(
                verify_leaf(certs_bundle_cert_pem(b), certs_bundle_ca_pem(b), NULL, cases[i].now),
                X509_V_OK);
        } else {
            CHECK(b == NULL);
            CHECK_STR_CONTAINS(err.msg, cases[i].want_msg);
        }
        certs_bundle_free(b);
        certs_bundle_free(ca);
    }
}

static void test_serving_invalid(void)
{
    static const char *const long_label[] = {
        "a123456789012345678901234567890123456789012345678901234567890123.svc"};
    static const char *const ok_wild[] = {"*.snug.svc"};
    static const struct {
        const char *dns[2];
        size_t n_dns;
        const char *ips[2];
        size_t n_ips;
        const char *cn;
        const char *want; /* NULL: accepted */
    } cases[] = {
        {{NULL}, 0, {NULL}, 0, NULL, "at least one DNS name or IP"},
        {{"ok.svc", "a b"}, 2, {NULL}, 0, NULL, "dns_names[1]: invalid DNS name \"a b\""},
        {{"-a.svc"}, 1, {NULL}, 0, NULL, "dns_names[0]"},
        {{"a-.svc"}, 1, {NULL}, 0, NULL, "dns_names[0]"},
        {{"a..svc"}, 1, {NULL}, 0, NULL, "dns_names[0]"},
        {{"a.svc."}, 1, {NULL}, 0, NULL, "dns_names[0]"},
        {{"*"}, 1, {NULL}, 0, NULL, "dns_names[0]"},
        {{"a.*.svc"}, 1, {NULL}, 0, NULL, "dns_names[0]"},
        {{"under_score.svc"}, 1, {NULL}, 0, NULL, "dns_names[0]"},
        {{""}, 1, {NULL}, 0, NULL, "dns_names[0]"},
        {{NULL}, 0, {"127.0.0.1", "300.1.1.1"}, 2, NULL, "ips[1]: invalid IP address"},
        {{NULL}, 0, {"localhost"}, 1, NULL, "ips[0]"},
        {{"a.svc"}, 1, {NULL}, 0, "", "common name"},
        {{NULL}, 0, {"10.0.0.1"}, 1, NULL, NULL}, /* IP only: CN "snug-webhook" */
        {{"A-1.b-2.SVC"}, 1, {NULL}, 0, NULL, NULL},
    };
    cert_bundle *ca = make_ca(T0, 0), *b;
    snug_err err;
    size_t i;

    if (ca == NULL)
        return;
    for (i = 0; i < ARRAY_LEN(cases); i++) {
        certs_serving_opts o = {
            cases[i].dns, cases[i].n_dns, cases[i].ips, cases[i].n_ips, cases[i].cn, 0, T0};

        T_CASE("row %zu", i);
        b = NULL;
        snug_err_clear(&err);
        if (cases[i].want == NULL) {
            CHECK_INT_EQ(certs_issue_serving(ca, &o, &b, &err), SNUG_OK);
        } else {
            CHECK_INT_EQ(certs_issue_serving(ca, &o, &b, &err), SNUG_ERR_INVALID);
            CHECK_STR_CONTAINS(err.msg, cases[i].want);
            CHECK(b == NULL);
        }
        certs_bundle_free(b);
    }
    T_CASE("wildcard and long label");
    {
        certs_serving_opts o = {ok_wild, 1, NULL, 0, NULL, 0, T0};

        b = NULL;
        CHECK_INT_EQ(certs_issue_serving(ca, &o, &b, NULL), SNUG_OK);
        certs_bundle_free(b);
        o.dns_names = long_label;
        b = NULL;
        CHECK_INT_EQ(certs_issue_serving(ca, &o, &b, NULL), SNUG_ERR_INVALID);
        CHECK_INT_EQ(certs_issue_serving(NULL, &o, &b, NULL), SNUG_ERR_INVALID);
        CHECK_INT_EQ(certs_issue_serving(ca, NULL, &b, NULL), SNUG_ERR_INVALID);
        CHECK(b == NULL);
    }
    T_CASE("a serving bundle cannot issue");
    {
        certs_serving_opts o = {k_dns, 1, NULL, 0, NULL, 0, T0};
        cert_bundle *leaf = make_serving(ca, T0, 0);

        b = NULL;
        CHECK_INT_EQ(certs_issue_serving(leaf, &o, &b, &err), SNUG_ERR_INVALID);
        certs_bundle_free(leaf);
    }
    certs_bundle_free(ca);
}

/* ---- rotation ------------------------------------------------------------ */

static void test_rotation_plan(void)
{
    /* validity [1000, 4000): a third is 1000, half is 1500 */
    static const struct {
        time_t nb, na, now;
        int64_t renew_before;
        int renew;
        time_t renew_at, next_check;
        const char *reason;
    } cases[] = {
        {1000, 4000, 500, 0, 1, 500, 500, "not yet valid"},
        {1000, 4000, 1000, 0, 0, 3000, 3000, "valid"},
        {1000, 4000, 2999, 0, 0, 3000, 3000, "valid"},
        {1000, 4000, 3000, 0, 1, 3000, 3000, "less than a third of the validity left"},
        {1000, 4000, 3999, 0, 1, 3000, 3999, "less than a third of the validity left"},
        {1000, 4000, 4000, 0, 1, 4000, 4000, "expired"},
        {1000, 4000, 9000, 0, 1, 9000, 9000, "expired"},
        {1000, 4000, 2000, 500, 0, 3000, 3000, "valid"}, /* window below a third */
        {1000, 4000, 2000, 1200, 0, 2800, 2800, "valid"},
        {1000, 4000, 2800, 1200, 1, 2800, 2800, "within the renewal window"},
        {1000, 4000, 2000, 999999, 0, 2500, 2500, "valid"}, /* capped at half */
        {1000, 4000, 2500, 999999, 1, 2500, 2500, "within the renewal window"},
        {1000, 1000, 1000, 0, 1, 1000, 1000, "invalid validity period"},
        {5000, 1000, 3000, 0, 1, 3000, 3000, "invalid validity period"},
        /* far from renewal: look again within the hour */
        {0, 3 * YEAR, DAY, 0, 0, 2 * YEAR, DAY + CERTS_MAX_CHECK_INTERVAL, "valid"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        certs_rotation r;

        T_CASE("row %zu now %lld", i, (long long)cases[i].now);
        r = certs_rotation_plan(cases[i].nb, cases[i].na, cases[i].now, cases[i].renew_before);
        CHECK_INT_EQ(r.renew, cases[i].renew);
        CHECK_INT_EQ(r.renew_at, cases[i].renew_at);
        CHECK_INT_EQ(r.next_check, cases[i].next_check);
        CHECK_STR_EQ(r.reason, cases[i].reason);
    }
}

static void test_should_rotate_bundle(void)
{
    static const struct {
        int64_t after;
        int renew;
    } cases[] = {{0, 0}, {30 * DAY, 0}, {240 * DAY, 0}, {245 * DAY, 1}, {YEAR, 1}};
    cert_bundle *ca = make_ca(T0, 0), *b;
    size_t i;

    if (ca == NULL)
        return;
    b = make_serving(ca, T0, 0);
    for (i = 0; b != NULL && i < ARRAY_LEN(cases); i++) {
        certs_rotation r;

        T_CASE("T0 + %lld days", (long long)(cases[i].after / DAY));
        r = certs_should_rotate(b, T0 + cases[i].after, 0);
        CHECK_INT_EQ(r.renew, cases[i].renew);
        /* renewal is due with a third of (validity + backdate) left */
        CHECK_INT_EQ(r.renew_at, cases[i].after >= YEAR ? T0 + cases[i].after
                                                        : T0 + YEAR - (YEAR + CERTS_BACKDATE) / 3);
    }
    certs_bundle_free(b);
    certs_bundle_free(ca);
}

/* ---- CA loading ---------------------------------------------------------- */

/* An RSA CA built by hand, as an admin's own CA might be. */
static char *rsa_ca_pem(char **key_pem)
{
    EVP_PKEY *k = EVP_RSA_gen(2048);
    X509 *x = X509_new();
    X509V3_CTX ctx;
    X509_EXTENSION *ext;
    BIO *cb = BIO_new(BIO_s_mem()), *kb = BIO_new(BIO_s_mem());
    BUF_MEM *m;
    char *out;

    X509_set_version(x, X509_VERSION_3);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
                               (const unsigned char *)"admin-rsa-ca", -1, -1, 0);
    X509_set_issuer_name(x, X509_get_subject_name(x));
    ASN1_TIME_set(X509_getm_notBefore(x), T0 - DAY);
    ASN1_TIME_set(X509_getm_notAfter(x), T0 + 10 * YEAR);
    X509_set_pubkey(x, k);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE");
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    X509_sign(x, k, EVP_sha256());
    PEM_write_bio_X509(cb, x);
    PEM_write_bio_PrivateKey_traditional(kb, k, NULL, NULL, 0, NULL, NULL);
    BIO_get_mem_ptr(kb, &m);
    *key_pem = strndup(m->data, m->length);
    BIO_get_mem_ptr(cb, &m);
    out = strndup(m->data, m->length);
    BIO_free(cb);
    BIO_free(kb);
    X509_free(x);
    EVP_PKEY_free(k);
    return out;
}

static void test_ca_load_and_reissue(void)
{
    cert_bundle *ca = make_ca(T0, 0), *other = make_ca(T0, 0), *loaded = NULL, *leaf, *rsa = NULL;
    char *rsa_key = NULL, *rsa_cert = rsa_ca_pem(&rsa_key);
    snug_err err;

    if (ca == NULL || other == NULL)
        return;
    snug_err_clear(&err);
    CHECK_INT_EQ(
        certs_ca_load_pem(certs_bundle_cert_pem(ca), certs_bundle_key_pem(ca), &loaded, &err),
        SNUG_OK);
    if (loaded != NULL) {
        CHECK_STR_EQ(certs_bundle_fingerprint(loaded), certs_bundle_fingerprint(ca));
        CHECK_STR_EQ(certs_bundle_ca_pem(loaded), certs_bundle_cert_pem(ca));
        CHECK(certs_bundle_is_ca(loaded));
        leaf = make_serving(loaded, T0, 0);
        if (leaf != NULL)
            CHECK_INT_EQ(verify_leaf(certs_bundle_cert_pem(leaf), certs_bundle_cert_pem(ca),
                                     "snug-webhook.snug.svc.cluster.local", T0),
                         X509_V_OK);
        certs_bundle_free(leaf);
        certs_bundle_free(loaded);
    }
    T_CASE("rsa CA from an admin");
    CHECK_INT_EQ(certs_ca_load_pem(rsa_cert, rsa_key, &rsa, &err), SNUG_OK);
    leaf = rsa ? make_serving(rsa, T0, 0) : NULL;
    if (leaf != NULL)
        CHECK_INT_EQ(verify_leaf(certs_bundle_cert_pem(leaf), rsa_cert, "snug-webhook", T0),
                     X509_V_OK);
    certs_bundle_free(rsa);
    T_CASE("refused CAs");
    loaded = NULL;
    CHECK_INT_EQ(
        certs_ca_load_pem(certs_bundle_cert_pem(ca), certs_bundle_key_pem(other), &loaded, &err),
        SNUG_ERR_TLS);
    CHECK_STR_CONTAINS(err.msg, "CA private key does not match the certificate");
    if (leaf != NULL) {
        CHECK_INT_EQ(certs_ca_load_pem(certs_bundle_cert_pem(leaf), certs_bundle_key_pem(leaf),
                                       &loaded, &err),
                     SNUG_ERR_TLS);
        CHECK_STR_CONTAINS(err.msg, "not a CA");
    }
    CHECK_INT_EQ(certs_ca_load_pem("garbage", certs_bundle_key_pem(ca), &loaded, &err),
                 SNUG_ERR_PARSE);
    CHECK_STR_CONTAINS(err.msg, "CA certificate: no PEM certificate found");
    CHECK_INT_EQ(certs_ca_load_pem(certs_bundle_cert_pem(ca), "garbage", &loaded, &err),
                 SNUG_ERR_PARSE);
    CHECK_STR_CONTAINS(err.msg, "CA private key: no usable PEM private key");
    CHECK(loaded == NULL);
    CHECK_INT_EQ(ERR_peek_error(), 0); /* the OpenSSL error queue is left clean */
    certs_bundle_free(leaf);
    certs_bundle_free(ca);
    certs_bundle_free(other);
    free(rsa_cert);
    free(rsa_key);
}

static void test_refcount(void)
{
    cert_bundle *ca = make_ca(T0, 0);

    if (ca == NULL)
        return;
    CHECK(certs_bundle_ref(ca) == ca);
    certs_bundle_free(ca);
    CHECK_INT_EQ(certs_bundle_not_after(ca), T0 + 5 * YEAR); /* still alive */
    certs_bundle_free(ca);
    certs_bundle_free(NULL);
}

/* ---- files mode ---------------------------------------------------------- */

static char tmpdir[256];

static void path_in(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", tmpdir, name);
}

static int write_named(const char *name, const char *data, mode_t mode)
{
    char p[512];
    snug_err err;

    path_in(p, sizeof(p), name);
    snug_err_clear(&err);
    if (certs_write_file_atomic(p, data, strlen(data), mode, &err) != SNUG_OK) {
        T_FAIL("write %s: %s", p, err.msg);
        return -1;
    }
    return 0;
}

static void write_pair(const cert_bundle *b)
{
    write_named("tls.crt", certs_bundle_cert_pem(b), 0644);
    write_named("tls.key", certs_bundle_key_pem(b), 0600);
    write_named("ca.crt", certs_bundle_ca_pem(b), 0644);
}

static snug_status load_dir(cert_bundle **out, snug_err *err)
{
    char c[512], k[512], a[512];

    path_in(c, sizeof(c), "tls.crt");
    path_in(k, sizeof(k), "tls.key");
    path_in(a, sizeof(a), "ca.crt");
    return certs_load_files(c, k, a, out, err);
}

static void clean_dir(void)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    char p[512];

    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        path_in(p, sizeof(p), e->d_name);
        unlink(p);
    }
    if (d != NULL)
        closedir(d);
}

static int count_dir_entries(void)
{
    DIR *d = opendir(tmpdir);
    int n = 0;

    while (d != NULL && readdir(d) != NULL)
        n++;
    if (d != NULL)
        closedir(d);
    return n - 2;
}

static void touch(const char *name, time_t when)
{
    struct timespec ts[2] = {{when, 0}, {when, 0}};
    char p[512];

    path_in(p, sizeof(p), name);
    CHECK_INT_EQ(utimensat(AT_FDCWD, p, ts, 0), 0);
}

static void check_changed(cert_bundle *cur, int want)
{
    bool changed = !want;
    snug_err err;

    snug_err_clear(&err);
    CHECK_INT_EQ(certs_files_changed(cur, &changed, &err), SNUG_OK);
    CHECK_INT_EQ(changed, want);
}

static void test_write_file_atomic(void)
{
    char p[512];
    struct stat st;
    snug_err err;

    clean_dir();
    write_named("k", "secret", 0600);
    write_named("c", "public", 0644);
    path_in(p, sizeof(p), "k");
    CHECK_INT_EQ(stat(p, &st), 0);
    CHECK_INT_EQ(st.st_mode & 0777, 0600);
    CHECK_INT_EQ(st.st_size, 6);
    path_in(p, sizeof(p), "c");
    CHECK_INT_EQ(stat(p, &st), 0);
    CHECK_INT_EQ(st.st_mode & 0777, 0644);
    write_named("c", "replaced", 0644);
    {
        char *s = t_read_file(p, NULL);

        CHECK_STR_EQ(s, "replaced");
        free(s);
    }
    CHECK_INT_EQ(count_dir_entries(), 2); /* no temporary files left */
    path_in(p, sizeof(p), "missing-dir/x");
    snug_err_clear(&err);
    CHECK_INT_EQ(certs_write_file_atomic(p, "x", 1, 0600, &err), SNUG_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err.msg, "missing-dir/x.tmp.");
    CHECK_INT_EQ(count_dir_entries(), 2);
    clean_dir();
}

static void test_files_reload(void)
{
    cert_bundle *ca = make_ca(T0, 0), *a, *b, *cur = NULL, *fresh = NULL;
    snug_err err;

    if (ca == NULL)
        return;
    a = make_serving(ca, T0, 0);
    b = make_serving(ca, T0, 0);
    if (a == NULL || b == NULL)
        return;
    clean_dir();
    write_pair(a);
    snug_err_clear(&err);
    CHECK_INT_EQ(load_dir(&cur, &err), SNUG_OK);
    if (cur == NULL)
        return;
    CHECK_STR_EQ(certs_bundle_cert_pem(cur), certs_bundle_cert_pem(a));
    CHECK_STR_EQ(certs_bundle_key_pem(cur), certs_bundle_key_pem(a));
    CHECK_STR_EQ(certs_bundle_ca_pem(cur), certs_bundle_cert_pem(ca));
    CHECK_STR_EQ(certs_bundle_fingerprint(cur), certs_bundle_fingerprint(a));
    CHECK_INT_EQ(certs_bundle_not_after(cur), T0 + YEAR);

    T_CASE("untouched");
    check_changed(cur, 0);
    T_CASE("touched");
    touch("tls.crt", T0 + 10);
    touch("tls.key", T0 + 10);
    check_changed(cur, 0);
    check_changed(cur, 0); /* stamp refreshed: cheap path */
    T_CASE("same bytes, new inode");
    write_pair(a);
    CHECK_INT_EQ(certs_files_reload(cur, &fresh, &err), SNUG_OK);
    CHECK(fresh == NULL);

    T_CASE("half-written: new cert, old key");
    write_named("tls.crt", certs_bundle_cert_pem(b), 0644);
    check_changed(cur, 1);
    CHECK_INT_EQ(certs_files_reload(cur, &fresh, &err), SNUG_ERR_TLS);
    CHECK_STR_CONTAINS(err.msg, "tls.key does not match the certificate in");
    CHECK(fresh == NULL);
    CHECK_STR_EQ(certs_bundle_fingerprint(cur), certs_bundle_fingerprint(a)); /* old kept */
    check_changed(cur, 1); /* looked at again next time */

    T_CASE("pair complete");
    write_named("tls.key", certs_bundle_key_pem(b), 0600);
    CHECK_INT_EQ(certs_files_reload(cur, &fresh, &err), SNUG_OK);
    CHECK(fresh != NULL);
    if (fresh != NULL) {
        CHECK_STR_EQ(certs_bundle_fingerprint(fresh), certs_bundle_fingerprint(b));
        certs_bundle_free(cur);
        cur = fresh;
        check_changed(cur, 0);
    }

    T_CASE("file removed");
    {
        char p[512];
        bool changed = true;

        path_in(p, sizeof(p), "ca.crt");
        unlink(p);
        CHECK_INT_EQ(certs_files_changed(cur, &changed, &err), SNUG_ERR_NOT_FOUND);
        CHECK_STR_CONTAINS(err.msg, p);
        CHECK(!changed);
    }
    certs_bundle_free(cur);
    certs_bundle_free(a);
    certs_bundle_free(b);
    certs_bundle_free(ca);
    clean_dir();
}

/* Key PEM variants a Secret may hold. */
static char *key_variant(const cert_bundle *b, int encrypted)
{
    EVP_PKEY *k = pem_key(certs_bundle_key_pem(b));
    BIO *bio = BIO_new(BIO_s_mem());
    BUF_MEM *m;
    char *out;

    if (encrypted)
        PEM_write_bio_PKCS8PrivateKey(bio, k, EVP_aes_256_cbc(), NULL, 0, NULL, (void *)"pw");
    else
        PEM_write_bio_PrivateKey_traditional(bio, k, NULL, NULL, 0, NULL, NULL);
    BIO_get_mem_ptr(bio, &m);
    out = strndup(m->data, m->length);
    BIO_free(bio);
    EVP_PKEY_free(k);
    return out;
}

static void test_files_errors(void)
{
    cert_bundle *ca = make_ca(T0, 0), *a, *b;
    char *sec1, *enc, *half;
    size_t i;

    if (ca == NULL)
        return;
    a = make_serving(ca, T0, 0);
    b = make_serving(ca, T0, 0);
    if (a == NULL || b == NULL)
        return;
    sec1 = key_variant(a, 0);
    enc = key_variant(a, 1);
    half = strndup(certs_bundle_cert_pem(a), strlen(certs_bundle_cert_pem(a)) / 2);
    {
        const struct {
            const char *crt, *key, *cacrt; /* NULL: file absent */
            snug_status want;
            const char *msg;
        } cases[] = {
            {certs_bundle_cert_pem(a), sec1, "", SNUG_OK, NULL},
            {"not a certificate\n", certs_bundle_key_pem(a), "", SNUG_ERR_PARSE,
             "tls.crt: no PEM certificate found"},
            {half, certs_bundle_key_pem(a), "", SNUG_ERR_PARSE, "tls.crt: certificate 1: invalid"},
            {certs_bundle_cert_pem(a), "garbage", "", SNUG_ERR_PARSE,
             "tls.key: no usable PEM private key"},
            {certs_bundle_cert_pem(a), enc, "", SNUG_ERR_PARSE, "encrypted keys are not supported"},
            {certs_bundle_cert_pem(a), certs_bundle_key_pem(b), "", SNUG_ERR_TLS,
             "tls.key does not match the certificate in"},
            {certs_bundle_key_pem(a), certs_bundle_key_pem(a), "", SNUG_ERR_PARSE,
             "no PEM certificate found"},
            {certs_bundle_cert_pem(a), certs_bundle_key_pem(a), "junk", SNUG_ERR_PARSE,
             "ca.crt: no PEM certificate found"},
            {NULL, certs_bundle_key_pem(a), "", SNUG_ERR_NOT_FOUND, "tls.crt: open"},
            {certs_bundle_cert_pem(a), NULL, "", SNUG_ERR_NOT_FOUND, "tls.key: open"},
            {certs_bundle_cert_pem(a), certs_bundle_key_pem(a), NULL, SNUG_ERR_NOT_FOUND,
             "ca.crt: open"},
        };

        for (i = 0; i < ARRAY_LEN(cases); i++) {
            cert_bundle *got = NULL;
            snug_err err;

            T_CASE("row %zu", i);
            clean_dir();
            if (cases[i].crt)
                write_named("tls.crt", cases[i].crt, 0644);
            if (cases[i].key)
                write_named("tls.key", cases[i].key, 0600);
            if (cases[i].cacrt)
                write_named("ca.crt", cases[i].cacrt, 0644);
            snug_err_clear(&err);
            CHECK_INT_EQ(load_dir(&got, &err), cases[i].want);
            if (cases[i].want != SNUG_OK) {
                CHECK(got == NULL);
                CHECK_STR_CONTAINS(err.msg, cases[i].msg);
                CHECK_STR_CONTAINS(err.msg, tmpdir);
                continue;
            }
            if (got == NULL)
                continue;
            /* SEC1 key in, PKCS#8 out; empty ca.crt means no CA */
            CHECK_STR_EQ(certs_bundle_key_pem(got), certs_bundle_key_pem(a));
            CHECK(certs_bundle_ca_pem(got) == NULL);
            certs_bundle_free(got);
        }
    }
    T_CASE("no CA path, not from files");
    {
        char c[512], k[512];
        cert_bundle *got = NULL;
        bool changed;

        clean_dir();
        write_pair(a);
        path_in(c, sizeof(c), "tls.crt");
        path_in(k, sizeof(k), "tls.key");
        CHECK_INT_EQ(certs_load_files(c, k, NULL, &got, NULL), SNUG_OK);
        if (got != NULL)
            CHECK(certs_bundle_ca_pem(got) == NULL);
        certs_bundle_free(got);
        CHECK_INT_EQ(certs_files_changed(ca, &changed, NULL), SNUG_ERR_INVALID);
        CHECK_INT_EQ(certs_load_files(NULL, k, NULL, &got, NULL), SNUG_ERR_INVALID);
        CHECK_INT_EQ(certs_load_files(tmpdir, k, NULL, &got, NULL), SNUG_ERR_IO);
    }
    CHECK_INT_EQ(ERR_peek_error(), 0);
    clean_dir();
    free(sec1);
    free(enc);
    free(half);
    certs_bundle_free(a);
    certs_bundle_free(b);
    certs_bundle_free(ca);
}

int main(void)
{
    const char *base = getenv("TMPDIR");

    snprintf(tmpdir, sizeof(tmpdir), "%s/snug-certs-XXXXXX", base && *base ? base : "/tmp");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_ca_create);
    RUN(test_ca_create_invalid);
    RUN(test_issue_serving);
    RUN(test_serving_validity);
    RUN(test_serving_invalid);
    RUN(test_rotation_plan);
    RUN(test_should_rotate_bundle);
    RUN(test_ca_load_and_reissue);
    RUN(test_refcount);
    RUN(test_write_file_atomic);
    RUN(test_files_reload);
    RUN(test_files_errors);
    clean_dir();
    rmdir(tmpdir);
    return TEST_DONE();
}

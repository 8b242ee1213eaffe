/* tls_keeper.c -- hot-swappable GnuTLS serving identity. */
#include "webhook/tls_keeper.h"

#include <pthread.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define TLS_KEEPER_MAX_CHAIN 8

/* One published certificate chain and key. Never changed once published. */
typedef struct tls_gen {
    gnutls_pcert_st certs[TLS_KEEPER_MAX_CHAIN];
    unsigned int n_certs;
    gnutls_privkey_t key;
    time_t not_after;
    char fingerprint[CERTS_FINGERPRINT_LEN + 1];
    struct tls_gen *older;
} tls_gen;

struct tls_keeper {
    tls_gen *current; /* read atomically by handshakes */
    pthread_mutex_t lock;
    unsigned generation;
};

static tls_keeper *g_keeper;

snug_status tls_keeper_new(tls_keeper **out, snug_err *err)
{
    tls_keeper *k;

    if (__atomic_load_n(&g_keeper, __ATOMIC_ACQUIRE) != NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "a TLS keeper already exists");
    k = calloc(1, sizeof(*k));
    if (k == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&k->lock, NULL);
    __atomic_store_n(&g_keeper, k, __ATOMIC_RELEASE);
    *out = k;
    return SNUG_OK;
}

static void tls_gen_free(tls_gen *g)
{
    unsigned int i;

    for (i = 0; i < g->n_certs; i++)
        gnutls_pcert_deinit(&g->certs[i]);
    if (g->key)
        gnutls_privkey_deinit(g->key);
    free(g);
}

void tls_keeper_free(tls_keeper *k)
{
    tls_gen *g;

    if (k == NULL)
        return;
    __atomic_store_n(&g_keeper, NULL, __ATOMIC_RELEASE);
    g = k->current;
    while (g != NULL) {
        tls_gen *older = g->older;

        tls_gen_free(g);
        g = older;
    }
    pthread_mutex_destroy(&k->lock);
    free(k);
}

static snug_status tls_gen_build(const cert_bundle *b, tls_gen **out, snug_err *err)
{
    const char *cert_pem = certs_bundle_cert_pem(b);
    const char *key_pem = certs_bundle_key_pem(b);
    gnutls_datum_t cd = {(unsigned char *)cert_pem, (unsigned int)strlen(cert_pem)};
    gnutls_datum_t kd = {(unsigned char *)key_pem, (unsigned int)strlen(key_pem)};
    tls_gen *g = calloc(1, sizeof(*g));
    int rc;

    if (g == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    g->n_certs = TLS_KEEPER_MAX_CHAIN;
    rc = gnutls_pcert_list_import_x509_raw(g->certs, &g->n_certs, &cd, GNUTLS_X509_FMT_PEM, 0);
    if (rc < 0) {
        g->n_certs = 0;
        goto fail;
    }
    rc = gnutls_privkey_init(&g->key);
    if (rc >= 0)
        rc = gnutls_privkey_import_x509_raw(g->key, &kd, GNUTLS_X509_FMT_PEM, NULL, 0);
    if (rc < 0)
        goto fail;
    g->not_after = certs_bundle_not_after(b);
    memcpy(g->fingerprint, certs_bundle_fingerprint(b), CERTS_FINGERPRINT_LEN);
    *out = g;
    return SNUG_OK;
fail:
    tls_gen_free(g);
    return snug_err_set(err, SNUG_ERR_TLS, "GnuTLS refused the certificate or key: %s",
                        gnutls_strerror(rc));
}

snug_status tls_keeper_set(tls_keeper *k, const cert_bundle *b, snug_err *err)
{
    tls_gen *g = NULL;
    snug_status st = tls_gen_build(b, &g, err);

    if (st != SNUG_OK)
        return st;
    pthread_mutex_lock(&k->lock);
    g->older = k->current;
    __atomic_store_n(&k->current, g, __ATOMIC_RELEASE);
    k->generation++;
    pthread_mutex_unlock(&k->lock);
    return SNUG_OK;
}

bool tls_keeper_ready(const tls_keeper *k)
{
    return __atomic_load_n(&k->current, __ATOMIC_ACQUIRE) != NULL;
}

time_t tls_keeper_not_after(tls_keeper *k)
{
    tls_gen *g = __atomic_load_n(&k->current, __ATOMIC_ACQUIRE);

    return g ? g->not_after : 0;
}

void tls_keeper_fingerprint(tls_keeper *k, char *fp, size_t cap)
{
    tls_gen *g = __atomic_load_n(&k->current, __ATOMIC_ACQUIRE);

    if (cap == 0)
        return;
    snprintf(fp, cap, "%s", g ? g->fingerprint : "");
}

unsigned tls_keeper_generation(const tls_keeper *k)
{
    return __atomic_load_n(&k->generation, __ATOMIC_ACQUIRE);
}

int tls_keeper_retrieve(gnutls_session_t session, const struct gnutls_cert_retr_st *info,
                        gnutls_pcert_st **certs, unsigned int *pcert_length,
                        gnutls_ocsp_data_st **ocsp, unsigned int *ocsp_length,
                        gnutls_privkey_t *privkey, unsigned int *flags)
{
    tls_keeper *k = __atomic_load_n(&g_keeper, __ATOMIC_ACQUIRE);
    tls_gen *g = k ? __atomic_load_n(&k->current, __ATOMIC_ACQUIRE) : NULL;

    (void)session;
    (void)info;
    if (g == NULL)
        return -1; /* no certificate yet: fail the handshake */
    *certs = g->certs;
    *pcert_length = g->n_certs;
    *privkey = g->key;
    *ocsp = NULL;
    *ocsp_length = 0;
    *flags = 0; /* we keep ownership */
    return 0;
}

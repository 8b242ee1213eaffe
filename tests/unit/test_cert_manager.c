/* cert_manager in self-managed mode with a shared CA store: rotation, a
 * failing or racing save, a publisher that fails, driven by a fake clock.
 * The invariant checked throughout: the certificate in service always
 * verifies against the CA bundle that was last published. */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>

#include "webhook/cert_manager.h"
#include "base/log.h"
#include "test.h"
#include "webhook/tls_keeper.h"

typedef struct fake_store {
    char *cert, *key; /* what the "Secret" holds */
    int saves, loads;
    int fail_save_at; /* this save (1-based) fails with IO */
    int conflict_at;  /* this save returns CONFLICT after a rival stored theirs */
    char *rival_cert, *rival_key;
    int publish_calls, publish_fail_until; /* the first N publishes fail */
    char *published;
    bool rival_published; /* a published bundle held the rival's CA */
} fake_store;

static snug_status fs_load(char **c, char **k, void *ud, snug_err *err)
{
    fake_store *fs = ud;

    fs->loads++;
    if (fs->cert == NULL)
        return snug_err_set(err, SNUG_ERR_NOT_FOUND, "no Secret");
    *c = strdup(fs->cert);
    *k = strdup(fs->key);
    return SNUG_OK;
}

static snug_status fs_save(const char *c, const char *k, void *ud, snug_err *err)
{
    fake_store *fs = ud;

    fs->saves++;
    if (fs->saves == fs->fail_save_at)
        return snug_err_set(err, SNUG_ERR_IO, "API server unreachable");
    if (fs->saves == fs->conflict_at) {
        free(fs->cert);
        free(fs->key);
        fs->cert = strdup(fs->rival_cert);
        fs->key = strdup(fs->rival_key);
        return snug_err_set(err, SNUG_ERR_CONFLICT, "already exists");
    }
    free(fs->cert);
    free(fs->key);
    fs->cert = strdup(c);
    fs->key = strdup(k);
    return SNUG_OK;
}

static snug_status fs_publish(const char *pem, void *ud, snug_err *err)
{
    fake_store *fs = ud;

    fs->publish_calls++;
    if (fs->publish_calls <= fs->publish_fail_until)
        return snug_err_set(err, SNUG_ERR_UNAUTHORIZED, "forbidden");
    free(fs->published);
    fs->published = strdup(pem);
    if (fs->rival_cert != NULL && strstr(pem, fs->rival_cert) != NULL)
        fs->rival_published = true;
    return SNUG_OK;
}

/* Does the serving certificate verify against the published bundle? */
static bool serving_trusted(const cert_manager *cm, const char *bundle)
{
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    BIO *b = BIO_new_mem_buf(bundle, -1);
    BIO *s = BIO_new_mem_buf(certs_bundle_cert_pem(cert_manager_serving(cm)), -1);
    X509 *x, *leaf = PEM_read_bio_X509(s, NULL, NULL, NULL);
    bool ok = false;

    for (x = PEM_read_bio_X509(b, NULL, NULL, NULL); x != NULL;
         x = PEM_read_bio_X509(b, NULL, NULL, NULL)) {
        X509_STORE_add_cert(store, x);
        X509_free(x);
    }
    ERR_clear_error();
    if (leaf != NULL && X509_STORE_CTX_init(ctx, store, leaf, NULL) == 1) {
        X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx),
                                   certs_bundle_not_before(cert_manager_serving(cm)) + 301);
        ok = X509_verify_cert(ctx) == 1;
    }
    X509_free(leaf);
    BIO_free(b);
    BIO_free(s);
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return ok;
}

static void run_scenario(fake_store *fs, int seconds, int *untrusted_ticks, unsigned *gens)
{
    static const char *ips[] = {"127.0.0.1"};
    cert_manager_config cfg = {.mode = CERT_MODE_SELF_MANAGED,
                               .ips = ips,
                               .n_ips = 1,
                               .validity = 600,
                               .ca_validity = 1500,
                               .ca_load = fs_load,
                               .ca_save = fs_save,
                               .ca_store_ud = fs,
                               .on_ca_bundle = fs_publish,
                               .on_ca_bundle_ud = fs};
    tls_keeper *tls = NULL;
    cert_manager *cm = NULL;
    snug_err err;
    time_t t0 = time(NULL), t;

    *untrusted_ticks = 0;
    if (tls_keeper_new(&tls, &err) != SNUG_OK ||
        cert_manager_new(&cfg, tls, &cm, &err) != SNUG_OK) {
        T_FAIL("setup: %s", err.msg);
        tls_keeper_free(tls);
        return;
    }
    for (t = t0; t <= t0 + seconds; t++) {
        cert_manager_tick(cm, t);
        if ((t - t0) % 3 != 0)
            continue; /* sample: verification is the slow part under valgrind */
        if (fs->published == NULL || !serving_trusted(cm, fs->published))
            (*untrusted_ticks)++;
    }
    *gens = tls_keeper_generation(tls);
    cert_manager_free(cm);
    tls_keeper_free(tls);
}

static void fake_store_free(fake_store *fs)
{
    free(fs->cert);
    free(fs->key);
    free(fs->rival_cert);
    free(fs->rival_key);
    free(fs->published);
}

static void test_rotation_scenarios(void)
{
    static const struct {
        const char *name;
        int fail_save_at, conflict_at, publish_fail_until;
        int max_untrusted; /* ticks the published bundle may lag (publish failures) */
    } cases[] = {
        {"clean rotations", 0, 0, 0, 0},
        {"CA rotation save fails once", 2, 0, 0, 0},
        {"first save loses the race", 0, 1, 0, 0},
        {"CA rotation loses the race", 0, 2, 0, 0},
        {"publisher fails first 3 times", 0, 0, 3, 3},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        fake_store fs = {0};
        certs_ca_opts o = {.validity = 1500};
        cert_bundle *rival = NULL;
        int untrusted = -1;
        unsigned gens = 0;

        T_CASE("%s", cases[i].name);
        fs.fail_save_at = cases[i].fail_save_at;
        fs.conflict_at = cases[i].conflict_at;
        fs.publish_fail_until = cases[i].publish_fail_until;
        CHECK_INT_EQ(certs_ca_create(&o, &rival, NULL), SNUG_OK);
        fs.rival_cert = strdup(certs_bundle_cert_pem(rival));
        fs.rival_key = strdup(certs_bundle_key_pem(rival));
        certs_bundle_free(rival);
        run_scenario(&fs, 2400, &untrusted, &gens);
        CHECK(untrusted <= cases[i].max_untrusted);
        CHECK(gens >= 4);     /* 600 s certificates over 2400 s */
        CHECK(fs.saves >= 2); /* the 1500 s CA rotated at least once */
        if (cases[i].conflict_at)
            CHECK(fs.rival_published);
        if (cases[i].publish_fail_until)
            CHECK(fs.publish_calls <= fs.publish_fail_until + 6); /* backoff, not every tick */
        fake_store_free(&fs);
    }
}

int main(void)
{
    log_set_level(LOG_OFF);
    RUN(test_rotation_scenarios);
    return TEST_DONE();
}

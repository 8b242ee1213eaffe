/* cert_manager.c -- certificate loading, reloading and rotation. */
#include "webhook/cert_manager.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/log.h"
#include "webhook/webhook_metrics.h"
#include "yaml/yamljson.h"

#define CERT_STRS_MAX 32

struct cert_manager {
    cert_mode mode;
    tls_keeper *tls;
    cert_bundle *serving; /* what is in service */
    cert_bundle *ca;      /* self-managed: the signing CA */
    char *ca_bundle;      /* PEM trusted by clients */
    bool ca_bundle_dirty; /* not yet handed to on_ca_bundle */
    char *dns[CERT_STRS_MAX];
    size_t n_dns;
    char *ips[CERT_STRS_MAX];
    size_t n_ips;
    char *ca_cert_file, *ca_key_file, *ca_bundle_out;
    int64_t validity, ca_validity, renew_before;
    unsigned check_interval;
    time_t next_check;
    cert_ca_load_fn ca_load;
    cert_ca_save_fn ca_save;
    void *ca_store_ud;
    cert_ca_bundle_fn on_ca_bundle;
    void *on_ca_bundle_ud;
    time_t next_delivery;      /* CA bundle publishing: retry not before */
    int64_t delivery_backoff;  /* seconds; doubles on failure up to 60 */
    bool reissue_after_bundle; /* the CA changed: issue once clients trust it */
};

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

static snug_status publish(cert_manager *cm, cert_bundle *b, snug_err *err)
{
    snug_status st = tls_keeper_set(cm->tls, b, err);

    wh_metrics_cert_reload(st == SNUG_OK);
    if (st != SNUG_OK) {
        certs_bundle_free(b);
        return st;
    }
    certs_bundle_free(cm->serving);
    cm->serving = b;
    snug_log(LOG_INFO, "certs", "serving certificate in use", "fingerprint",
             certs_bundle_fingerprint(b), NULL);
    return SNUG_OK;
}

/* ---- self-managed --------------------------------------------------------- */

static snug_status set_ca_bundle(cert_manager *cm, const char *pem, snug_err *err)
{
    char *copy = strdup(pem);

    if (copy == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    free(cm->ca_bundle);
    cm->ca_bundle = copy;
    cm->ca_bundle_dirty = true;
    if (cm->ca_bundle_out)
        return certs_write_file_atomic(cm->ca_bundle_out, copy, strlen(copy), 0644, err);
    return SNUG_OK;
}

static snug_status save_ca(cert_manager *cm, const cert_bundle *ca, snug_err *err)
{
    const char *cert = certs_bundle_cert_pem(ca);
    const char *key = certs_bundle_key_pem(ca);
    snug_status st;

    if (cm->ca_save != NULL)
        return cm->ca_save(cert, key, cm->ca_store_ud, err);
    if (cm->ca_cert_file == NULL || cm->ca_key_file == NULL)
        return SNUG_OK;
    st = certs_write_file_atomic(cm->ca_key_file, key, strlen(key), 0600, err);
    if (st == SNUG_OK)
        st = certs_write_file_atomic(cm->ca_cert_file, cert, strlen(cert), 0644, err);
    return st;
}

static snug_status load_saved_ca(cert_manager *cm, cert_bundle **out, snug_err *err)
{
    char *cert = NULL, *key = NULL;
    size_t n;
    struct stat sb;
    snug_status st = SNUG_OK;

    *out = NULL;
    if (cm->ca_load != NULL) {
        st = cm->ca_load(&cert, &key, cm->ca_store_ud, err);
        if (st == SNUG_ERR_NOT_FOUND)
            return SNUG_OK;
        if (st == SNUG_OK)
            st = certs_ca_load_pem(cert, key, out, err);
        free(cert);
        free(key);
        return st;
    }
    if (cm->ca_cert_file == NULL || cm->ca_key_file == NULL || stat(cm->ca_cert_file, &sb) != 0 ||
        stat(cm->ca_key_file, &sb) != 0)
        return SNUG_OK;
    st = file_read_all(cm->ca_cert_file, CERTS_FILE_MAX, &cert, &n, err);
    if (st == SNUG_OK)
        st = file_read_all(cm->ca_key_file, CERTS_FILE_MAX, &key, &n, err);
    if (st == SNUG_OK)
        st = certs_ca_load_pem(cert, key, out, err);
    free(cert);
    free(key);
    return st;
}

/* The CA to trust after a change: `ca` first, then the previous one, so
 * clients trust both while serving certificates move over. */
static snug_status adopt_ca(cert_manager *cm, cert_bundle *ca, snug_err *err)
{
    dynbuf pem;
    snug_status st;

    dynbuf_init(&pem, 4 * CERTS_FILE_MAX);
    st = dynbuf_addstr(&pem, certs_bundle_cert_pem(ca));
    if (st == SNUG_OK && cm->ca != NULL)
        st = dynbuf_addstr(&pem, certs_bundle_cert_pem(cm->ca));
    if (st == SNUG_OK)
        st = set_ca_bundle(cm, dynbuf_str(&pem), err);
    dynbuf_free(&pem);
    if (st != SNUG_OK) {
        certs_bundle_free(ca);
        return st;
    }
    certs_bundle_free(cm->ca);
    cm->ca = ca;
    return SNUG_OK;
}

/* A new CA, saved before it is used. When another replica saved one first
 * (SNUG_ERR_CONFLICT), theirs is adopted instead. On any other failure the
 * current CA stays in service and nothing changed. */
static snug_status new_ca(cert_manager *cm, time_t now, snug_err *err)
{
    certs_ca_opts o = {.common_name = "snug-ca", .validity = cm->ca_validity, .now = now};
    cert_bundle *ca = NULL;
    snug_status st = certs_ca_create(&o, &ca, err);

    if (st != SNUG_OK)
        return st;
    st = save_ca(cm, ca, err);
    if (st == SNUG_ERR_CONFLICT) {
        snug_log(LOG_INFO, "certs", "another replica stored a CA first; using it", NULL);
        certs_bundle_free(ca);
        st = load_saved_ca(cm, &ca, err);
        if (st == SNUG_OK && ca == NULL)
            st = snug_err_set(err, SNUG_ERR_NOT_FOUND, "the shared CA vanished");
    }
    if (st != SNUG_OK) {
        certs_bundle_free(ca);
        return st;
    }
    snug_log(LOG_INFO, "certs", "CA in use", "fingerprint", certs_bundle_fingerprint(ca), NULL);
    return adopt_ca(cm, ca, err);
}

static snug_status issue(cert_manager *cm, time_t now, snug_err *err)
{
    certs_serving_opts o = {.dns_names = (const char *const *)cm->dns,
                            .n_dns = cm->n_dns,
                            .ips = (const char *const *)cm->ips,
                            .n_ips = cm->n_ips,
                            .validity = cm->validity,
                            .now = now};
    cert_bundle *b = NULL;
    snug_status st = certs_issue_serving(cm->ca, &o, &b, err);

    if (st != SNUG_OK)
        return st;
    return publish(cm, b, err);
}

static snug_status self_start(cert_manager *cm, time_t now, snug_err *err)
{
    cert_bundle *ca = NULL;
    snug_status st = load_saved_ca(cm, &ca, err);

    if (st != SNUG_OK)
        return st;
    if (ca != NULL && certs_should_rotate(ca, now, 0).renew) {
        certs_bundle_free(cm->ca);
        cm->ca = ca; /* expiring: roll over to a new one, trusting both */
        ca = NULL;
    }
    if (ca != NULL)
        st = adopt_ca(cm, ca, err);
    else
        st = new_ca(cm, now, err);
    if (st == SNUG_OK)
        st = issue(cm, now, err);
    return st;
}

/* The serving certificate's rotation plan over the validity asked for: its
 * notBefore is backdated by CERTS_BACKDATE for clock skew, and counting that
 * would renew a short-lived certificate (validity under 2.5 x the backdate)
 * on every tick. */
static certs_rotation serving_plan(const cert_manager *cm, time_t now)
{
    int64_t validity = cm->validity ? cm->validity : CERTS_SERVING_DEFAULT_VALIDITY;
    time_t not_before = certs_bundle_not_before(cm->serving);
    time_t not_after = certs_bundle_not_after(cm->serving);

    if (not_after - validity > not_before)
        not_before = not_after - validity;
    return certs_rotation_plan(not_before, not_after, now, cm->renew_before);
}

static void deliver_ca_bundle(cert_manager *cm, time_t now);

/* The bundle reached whoever must trust it (or nobody needs it). */
static bool bundle_delivered(const cert_manager *cm)
{
    return !cm->ca_bundle_dirty || cm->on_ca_bundle == NULL;
}

static void self_tick(cert_manager *cm, time_t now)
{
    snug_err err;
    snug_status st = SNUG_OK;
    certs_rotation ca_plan = certs_should_rotate(cm->ca, now, 0);
    certs_rotation plan = serving_plan(cm, now);

    if (ca_plan.renew) {
        snug_log(LOG_INFO, "certs", "rotating the CA", "reason", ca_plan.reason, NULL);
        st = new_ca(cm, now, &err);
        cm->reissue_after_bundle = st == SNUG_OK;
    }
    if (st == SNUG_OK && cm->reissue_after_bundle) {
        /* Keep serving the old certificate until the API server trusts the
         * new CA, or every admission would fail its TLS check. */
        deliver_ca_bundle(cm, now);
        if (!bundle_delivered(cm)) {
            cm->next_check = now + 1;
            return;
        }
        cm->reissue_after_bundle = false;
        plan.renew = true;
        plan.reason = "the CA changed";
    }
    if (st == SNUG_OK && plan.renew) {
        snug_log(LOG_INFO, "certs", "rotating the serving certificate", "reason", plan.reason,
                 NULL);
        st = issue(cm, now, &err);
    }
    if (st != SNUG_OK) {
        snug_log(LOG_ERROR, "certs", "rotation failed; keeping the current certificate", "error",
                 err.msg, NULL);
        cm->next_check = now + 5;
        return;
    }
    plan = serving_plan(cm, now);
    ca_plan = certs_should_rotate(cm->ca, now, 0);
    cm->next_check = plan.next_check < ca_plan.next_check ? plan.next_check : ca_plan.next_check;
}

/* ---- files ------------------------------------------------------------- */

static void files_tick(cert_manager *cm, time_t now)
{
    cert_bundle *fresh = NULL;
    snug_err err;
    snug_status st = certs_files_reload(cm->serving, &fresh, &err);

    cm->next_check = now + cm->check_interval;
    if (st != SNUG_OK) {
        snug_log(LOG_WARN, "certs", "certificate files changed but do not load yet", "error",
                 err.msg, NULL);
        wh_metrics_cert_reload(0);
        return;
    }
    if (fresh == NULL)
        return;
    if (publish(cm, fresh, &err) != SNUG_OK) {
        snug_log(LOG_ERROR, "certs", "reloaded certificate refused", "error", err.msg, NULL);
        return;
    }
    if (certs_bundle_ca_pem(fresh) != NULL)
        set_ca_bundle(cm, certs_bundle_ca_pem(fresh), &err);
}

static snug_status files_start(cert_manager *cm, const cert_manager_config *cfg, snug_err *err)
{
    cert_bundle *b = NULL;
    snug_status st;

    if (cfg->cert_file == NULL || cfg->key_file == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "files mode needs both a certificate and a key file");
    st = certs_load_files(cfg->cert_file, cfg->key_file, cfg->ca_file, &b, err);
    if (st != SNUG_OK)
        return st;
    if (certs_bundle_ca_pem(b) != NULL) {
        st = set_ca_bundle(cm, certs_bundle_ca_pem(b), err);
        if (st != SNUG_OK) {
            certs_bundle_free(b);
            return st;
        }
    }
    return publish(cm, b, err);
}

/* ---- lifecycle ------------------------------------------------------------ */

static snug_status copy_config(cert_manager *cm, const cert_manager_config *cfg, snug_err *err)
{
    size_t i;

    if (cfg->n_dns > CERT_STRS_MAX || cfg->n_ips > CERT_STRS_MAX)
        return snug_err_set(err, SNUG_ERR_INVALID, "at most %d DNS names and %d IPs", CERT_STRS_MAX,
                            CERT_STRS_MAX);
    for (i = 0; i < cfg->n_dns; i++)
        cm->dns[cm->n_dns++] = strdup(cfg->dns_names[i]);
    for (i = 0; i < cfg->n_ips; i++)
        cm->ips[cm->n_ips++] = strdup(cfg->ips[i]);
    cm->ca_cert_file = dup_or_null(cfg->ca_cert_file);
    cm->ca_key_file = dup_or_null(cfg->ca_key_file);
    cm->ca_bundle_out = dup_or_null(cfg->ca_bundle_out);
    for (i = 0; i < cm->n_dns; i++)
        if (cm->dns[i] == NULL)
            return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    for (i = 0; i < cm->n_ips; i++)
        if (cm->ips[i] == NULL)
            return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    return SNUG_OK;
}

snug_status cert_manager_new(const cert_manager_config *cfg, tls_keeper *tls, cert_manager **out,
                             snug_err *err)
{
    cert_manager *cm = calloc(1, sizeof(*cm));
    time_t now = time(NULL);
    snug_status st;

    if (cm == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    cm->mode = cfg->mode;
    cm->tls = tls;
    cm->validity = cfg->validity;
    cm->ca_validity = cfg->ca_validity;
    cm->renew_before = cfg->renew_before;
    cm->check_interval = cfg->check_interval ? cfg->check_interval : 10;
    cm->ca_load = cfg->ca_load;
    cm->ca_save = cfg->ca_save;
    cm->ca_store_ud = cfg->ca_store_ud;
    cm->on_ca_bundle = cfg->on_ca_bundle;
    cm->on_ca_bundle_ud = cfg->on_ca_bundle_ud;
    st = copy_config(cm, cfg, err);
    if (st == SNUG_OK)
        st = cm->mode == CERT_MODE_FILES ? files_start(cm, cfg, err) : self_start(cm, now, err);
    if (st != SNUG_OK) {
        cert_manager_free(cm);
        return st;
    }
    cm->next_check = now;
    cert_manager_tick(cm, now);
    *out = cm;
    return SNUG_OK;
}

static void deliver_ca_bundle(cert_manager *cm, time_t now)
{
    snug_err err;

    if (bundle_delivered(cm) || cm->ca_bundle == NULL || now < cm->next_delivery)
        return;
    if (cm->on_ca_bundle(cm->ca_bundle, cm->on_ca_bundle_ud, &err) == SNUG_OK) {
        cm->ca_bundle_dirty = false;
        cm->delivery_backoff = 0;
        return;
    }
    cm->delivery_backoff = cm->delivery_backoff ? cm->delivery_backoff * 2 : 1;
    if (cm->delivery_backoff > 60)
        cm->delivery_backoff = 60;
    cm->next_delivery = now + cm->delivery_backoff;
    snug_log(LOG_WARN, "certs", "cannot publish the CA bundle yet; will retry", "error", err.msg,
             NULL);
}

void cert_manager_tick(cert_manager *cm, time_t now)
{
    if (now >= cm->next_check) {
        if (cm->mode == CERT_MODE_FILES)
            files_tick(cm, now);
        else
            self_tick(cm, now);
    }
    deliver_ca_bundle(cm, now);
}

const cert_bundle *cert_manager_serving(const cert_manager *cm)
{
    return cm->serving;
}

const char *cert_manager_ca_bundle(const cert_manager *cm)
{
    return cm->ca_bundle;
}

void cert_manager_free(cert_manager *cm)
{
    size_t i;

    if (cm == NULL)
        return;
    certs_bundle_free(cm->serving);
    certs_bundle_free(cm->ca);
    free(cm->ca_bundle);
    for (i = 0; i < cm->n_dns; i++)
        free(cm->dns[i]);
    for (i = 0; i < cm->n_ips; i++)
        free(cm->ips[i]);
    free(cm->ca_cert_file);
    free(cm->ca_key_file);
    free(cm->ca_bundle_out);
    free(cm);
}

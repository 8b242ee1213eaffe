/* cluster_certs.c -- CA Secret and webhook configuration caBundle. */
#include "webhook/cluster_certs.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "json/base64.h"
#include "kube/kube_api.h"
#include "kube/kube_objects.h"
#include "kube/kube_owner.h"
#include "base/log.h"

#define CC_UPDATE_RETRIES 5

static const kube_resource secrets_res = {"", "v1", "secrets"};
static const kube_resource mwc_res = {"admissionregistration.k8s.io", "v1",
                                      "mutatingwebhookconfigurations"};

struct cluster_certs {
    kube_client *client;
    char *ns, *secret, *webhook_config;
    char *secret_rv;   /* resourceVersion of the Secret we last saw */
    kube_owner owner;  /* the webhook configuration, once read (uid != NULL) */
    bool secret_owned; /* the Secret as last seen names the owner */
};

snug_status cluster_certs_new(kube_client *client, const char *ns, const char *secret,
                              const char *webhook_config, cluster_certs **out, snug_err *err)
{
    cluster_certs *cc = calloc(1, sizeof(*cc));

    if (cc == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    cc->client = client;
    cc->ns = strdup(ns);
    cc->secret = strdup(secret);
    cc->webhook_config = webhook_config ? strdup(webhook_config) : NULL;
    if (!cc->ns || !cc->secret || (webhook_config && !cc->webhook_config)) {
        cluster_certs_free(cc);
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    }
    *out = cc;
    return SNUG_OK;
}

void cluster_certs_free(cluster_certs *cc)
{
    if (cc == NULL)
        return;
    free(cc->ns);
    free(cc->secret);
    free(cc->webhook_config);
    free(cc->secret_rv);
    kube_owner_clear(&cc->owner);
    free(cc);
}

static void remember_rv(cluster_certs *cc, const cJSON *obj)
{
    const char *rv = kube_obj_resource_version(obj);

    free(cc->secret_rv);
    cc->secret_rv = rv ? strdup(rv) : NULL;
}

static snug_status secret_field(const cJSON *secret, const char *key, char **out, snug_err *err)
{
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(secret, "data");
    const char *b64 = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(data, key));
    unsigned char *raw = NULL;
    size_t n;
    snug_status st;

    if (b64 == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "Secret has no data.%s", key);
    st = base64_decode(b64, key, &raw, &n, err);
    if (st != SNUG_OK)
        return st;
    *out = (char *)raw;
    return SNUG_OK;
}

snug_status cluster_certs_load(char **cert_pem, char **key_pem, void *ud, snug_err *err)
{
    cluster_certs *cc = ud;
    cJSON *secret = NULL;
    snug_status st = kube_get(cc->client, &secrets_res, cc->ns, cc->secret, &secret, err);

    if (st != SNUG_OK)
        return st;
    remember_rv(cc, secret);
    cc->secret_owned = cc->owner.uid != NULL && kube_owner_is_on(secret, &cc->owner);
    st = secret_field(secret, "tls.crt", cert_pem, err);
    if (st == SNUG_OK) {
        st = secret_field(secret, "tls.key", key_pem, err);
        if (st != SNUG_OK) {
            free(*cert_pem);
            *cert_pem = NULL;
        }
    }
    if (st != SNUG_OK)
        snug_err_prefix(err, "Secret %s/%s", cc->ns, cc->secret);
    cJSON_Delete(secret);
    return st;
}

static cJSON *secret_build(cluster_certs *cc, const char *cert_pem, const char *key_pem)
{
    cJSON *s = cJSON_CreateObject();
    cJSON *md = cJSON_AddObjectToObject(s, "metadata");
    cJSON *labels = cJSON_AddObjectToObject(md, "labels");
    cJSON *data;
    char *c64 = base64_encode(cert_pem, strlen(cert_pem));
    char *k64 = base64_encode(key_pem, strlen(key_pem));

    cJSON_AddStringToObject(s, "apiVersion", "v1");
    cJSON_AddStringToObject(s, "kind", "Secret");
    cJSON_AddStringToObject(md, "name", cc->secret);
    cJSON_AddStringToObject(md, "namespace", cc->ns);
    if (cc->secret_rv)
        cJSON_AddStringToObject(md, "resourceVersion", cc->secret_rv);
    cJSON_AddStringToObject(labels, "app.kubernetes.io/managed-by", "snug");
    cJSON_AddStringToObject(labels, "app.kubernetes.io/component", "webhook-ca");
    if (cc->owner.uid != NULL && kube_owner_set_on(s, &cc->owner, NULL, NULL) != SNUG_OK) {
        cJSON_Delete(s);
        return NULL;
    }
    cJSON_AddStringToObject(s, "type", "kubernetes.io/tls");
    data = cJSON_AddObjectToObject(s, "data");
    if (c64 && k64 && data) {
        cJSON_AddStringToObject(data, "tls.crt", c64);
        cJSON_AddStringToObject(data, "tls.key", k64);
    }
    free(c64);
    free(k64);
    if (data == NULL || cJSON_GetArraySize(data) != 2) {
        cJSON_Delete(s);
        return NULL;
    }
    return s;
}

/* Read the webhook configuration's uid (once), to name it as the Secret's
 * owner. A failure is logged and leaves the owner unknown: the certificate
 * matters more than the clean-up, and publishing adds the owner later. */
static void learn_owner(cluster_certs *cc)
{
    snug_err err;

    if (cc->owner.uid != NULL || cc->webhook_config == NULL)
        return;
    if (kube_owner_lookup(cc->client, &mwc_res, "MutatingWebhookConfiguration", NULL,
                          cc->webhook_config, &cc->owner, &err) != SNUG_OK)
        snug_log(LOG_WARN, "certs",
                 "cannot read the webhook configuration yet; the CA Secret "
                 "gets its owner later",
                 "error", err.msg, NULL);
}

snug_status cluster_certs_save(const char *cert_pem, const char *key_pem, void *ud, snug_err *err)
{
    cluster_certs *cc = ud;
    kube_write_opts wo = {.field_manager = "snug-webhook"};
    cJSON *obj;
    cJSON *out = NULL;
    snug_status st;

    learn_owner(cc);
    obj = secret_build(cc, cert_pem, key_pem);
    if (obj == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    if (cc->secret_rv == NULL)
        st = kube_create(cc->client, &secrets_res, cc->ns, obj, &wo, &out, err);
    else
        st = kube_update(cc->client, &secrets_res, cc->ns, cc->secret, obj, &wo, &out, err);
    if (st == SNUG_OK) {
        remember_rv(cc, out);
        cc->secret_owned = cc->owner.uid != NULL;
        snug_log(LOG_INFO, "certs", "stored the CA in its Secret", "namespace", cc->ns, "name",
                 cc->secret, NULL);
    }
    cJSON_Delete(obj);
    cJSON_Delete(out);
    return st;
}

/* Set caBundle in every webhook of the configuration; true when changed. */
static bool mwc_set_bundle(cJSON *mwc, const char *b64)
{
    cJSON *wh;
    bool changed = false;

    cJSON_ArrayForEach(wh, cJSON_GetObjectItemCaseSensitive(mwc, "webhooks"))
    {
        cJSON *cfg = cJSON_GetObjectItemCaseSensitive(wh, "clientConfig");
        const char *cur;

        if (!cJSON_IsObject(cfg))
            continue;
        cur = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(cfg, "caBundle"));
        if (cur != NULL && strcmp(cur, b64) == 0)
            continue;
        cJSON_DeleteItemFromObjectCaseSensitive(cfg, "caBundle");
        cJSON_AddStringToObject(cfg, "caBundle", b64);
        changed = true;
    }
    return changed;
}

/* The configuration just read is the Secret's owner: note its uid when it
 * is new (the first read, or the configuration was made again). */
static void owner_from_config(cluster_certs *cc, const cJSON *mwc)
{
    const char *uid = kube_json_str(cJSON_GetObjectItemCaseSensitive(mwc, "metadata"), "uid");

    if (uid == NULL || (cc->owner.uid != NULL && strcmp(uid, cc->owner.uid) == 0))
        return;
    kube_owner_clear(&cc->owner);
    if (kube_owner_from_object(mwc, &mwc_res, "MutatingWebhookConfiguration", &cc->owner, NULL) !=
        SNUG_OK)
        kube_owner_clear(&cc->owner);
    cc->secret_owned = false;
}

/* Add the owner to a Secret that lacks it (made before the owner was
 * known, or by an older snug): the upgrade path. Failures are logged and
 * retried after the next CA change or restart. */
static void secret_adopt(cluster_certs *cc)
{
    cJSON *stored = NULL;
    snug_err err;
    snug_status st;

    if (cc->owner.uid == NULL || cc->secret_owned || cc->secret_rv == NULL)
        return;
    st = kube_owner_adopt(cc->client, &secrets_res, cc->ns, cc->secret, &cc->owner, "snug-webhook",
                          &stored, &err);
    if (st != SNUG_OK) {
        snug_log(LOG_WARN, "certs",
                 "cannot name the webhook configuration as the CA Secret's owner", "namespace",
                 cc->ns, "name", cc->secret, "error", err.msg, NULL);
        return;
    }
    remember_rv(cc, stored);
    cc->secret_owned = true;
    snug_log(LOG_INFO, "certs", "the CA Secret is owned by the webhook configuration", "namespace",
             cc->ns, "name", cc->secret, "owner", cc->webhook_config, NULL);
    cJSON_Delete(stored);
}

static snug_status publish_once(cluster_certs *cc, const char *b64, snug_err *err)
{
    cJSON *mwc = NULL;
    kube_write_opts wo = {.field_manager = "snug-webhook"};
    snug_status st = kube_get(cc->client, &mwc_res, NULL, cc->webhook_config, &mwc, err);

    if (st != SNUG_OK)
        return st;
    owner_from_config(cc, mwc);
    if (mwc_set_bundle(mwc, b64)) {
        st = kube_update(cc->client, &mwc_res, NULL, cc->webhook_config, mwc, &wo, NULL, err);
        if (st == SNUG_OK)
            snug_log(LOG_INFO, "certs", "caBundle written to the webhook configuration", "name",
                     cc->webhook_config, NULL);
    }
    cJSON_Delete(mwc);
    return st;
}

snug_status cluster_certs_publish(const char *ca_pem, void *ud, snug_err *err)
{
    cluster_certs *cc = ud;
    char *b64;
    snug_status st = SNUG_ERR_CONFLICT;
    int i;

    if (cc->webhook_config == NULL)
        return SNUG_OK;
    b64 = base64_encode(ca_pem, strlen(ca_pem));
    if (b64 == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    for (i = 0; i < CC_UPDATE_RETRIES && st == SNUG_ERR_CONFLICT; i++)
        st = publish_once(cc, b64, err);
    free(b64);
    if (st == SNUG_OK)
        secret_adopt(cc);
    if (st != SNUG_OK)
        snug_err_prefix(err, "MutatingWebhookConfiguration %s", cc->webhook_config);
    return st;
}

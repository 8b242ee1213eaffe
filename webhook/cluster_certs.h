/* cluster_certs.h -- the self-managed CA kept in a Secret, and the CA bundle
 * written into the MutatingWebhookConfiguration.
 *
 * Several webhook replicas (and restarts) must present certificates from one
 * CA, or the API server, which trusts one caBundle, would refuse some of
 * them. The CA therefore lives in a Secret of type kubernetes.io/tls in the
 * webhook's namespace; the first replica creates it, the others (losing the
 * create race with 409 AlreadyExists) load it. After every CA change the
 * bundle is written into `webhooks[*].clientConfig.caBundle` of the named
 * MutatingWebhookConfiguration (GET, edit, PUT with resourceVersion, retried
 * on conflict), so the API server trusts the new certificates before they
 * are used.
 *
 * The Secret names that MutatingWebhookConfiguration as its owner
 * (metadata.ownerReferences; kube_owner.h), so Kubernetes' garbage collector
 * deletes the CA with the configuration (helm uninstall). The owner's uid is
 * read before the Secret is first created (when the configuration exists
 * yet) and on every caBundle write; a Secret without the reference (made by
 * an older snug, or before the configuration existed) gets it after the
 * next caBundle write, i.e. at start. No RBAC beyond get on the
 * configuration and get/update on the Secret, which the webhook has anyway.
 *
 * These plug into cert_manager_config's ca_load/ca_save/on_ca_bundle; all
 * calls happen on the thread that ticks the cert manager, which owns the
 * kube_client given here.
 */
#ifndef SNUG_CLUSTER_CERTS_H
#define SNUG_CLUSTER_CERTS_H

#include "kube/kube_client.h"
#include "base/status.h"

typedef struct cluster_certs cluster_certs;

/* `client` is borrowed (used from the cert manager's thread only); strings
 * are copied. webhook_config may be NULL (nothing is patched). */
snug_status cluster_certs_new(kube_client *client, const char *ns, const char *secret,
                              const char *webhook_config, cluster_certs **out, snug_err *err);
void cluster_certs_free(cluster_certs *cc);

/* cert_ca_load_fn / cert_ca_save_fn / cert_ca_bundle_fn implementations;
 * `ud` is the cluster_certs. */
snug_status cluster_certs_load(char **cert_pem, char **key_pem, void *ud, snug_err *err);
snug_status cluster_certs_save(const char *cert_pem, const char *key_pem, void *ud, snug_err *err);
snug_status cluster_certs_publish(const char *ca_pem, void *ud, snug_err *err);

#endif

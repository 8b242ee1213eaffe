/* cert_manager.h -- keeps the TLS server's certificate current.
 *
 * Files mode: load tls.crt/tls.key (a mounted Secret, e.g. from
 * cert-manager) and reload them when they change; a half-written or
 * mismatched pair is refused and the old certificate stays in service.
 *
 * Self-managed mode: load the CA from ca_cert_file/ca_key_file when they
 * exist (several replicas or restarts share one CA), otherwise create one and
 * write it there (when paths are given); issue a serving certificate for the
 * Service's DNS names and IPs; issue a new one before it expires (when less
 * than a third of its validity is left, or `renew_before`), and a new CA
 * before the CA expires. After every CA change the CA bundle (PEM, the new CA
 * followed by the previous one during a CA rollover) is written to
 * `ca_bundle_out` and passed to `on_ca_bundle`, so the webhook configuration's
 * caBundle can follow.
 */
#ifndef SNUG_CERT_MANAGER_H
#define SNUG_CERT_MANAGER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "certs/certs.h"
#include "base/status.h"
#include "webhook/tls_keeper.h"

typedef enum cert_mode { CERT_MODE_FILES, CERT_MODE_SELF_MANAGED } cert_mode;

/* Called with the CA bundle PEM after it changed; return SNUG_OK when it was
 * stored (a failure is retried on the next tick). */
typedef snug_status (*cert_ca_bundle_fn)(const char *ca_pem, void *ud, snug_err *err);

/* Where a shared CA is kept (e.g. a Secret). load: SNUG_ERR_NOT_FOUND when
 * there is none yet; *cert_pem and *key_pem are malloc'd. save: create or update;
 * SNUG_ERR_CONFLICT when another replica saved one first (the manager then
 * loads theirs). */
typedef snug_status (*cert_ca_load_fn)(char **cert_pem, char **key_pem, void *ud, snug_err *err);
typedef snug_status (*cert_ca_save_fn)(const char *cert_pem, const char *key_pem, void *ud,
                                       snug_err *err);

typedef struct cert_manager_config {
    cert_mode mode;
    /* files mode */
    const char *cert_file, *key_file, *ca_file;
    /* self-managed mode */
    const char *const *dns_names;
    size_t n_dns;
    const char *const *ips;
    size_t n_ips;
    const char *ca_cert_file, *ca_key_file; /* optional: CA persisted here */
    const char *ca_bundle_out;              /* optional: CA bundle written here */
    int64_t validity;                       /* serving, seconds; 0 = default (1 year) */
    int64_t ca_validity;                    /* seconds; 0 = default (5 years) */
    int64_t renew_before;                   /* seconds; 0 = a third of the validity */
    unsigned check_interval;                /* seconds between file checks; 0 = 10 */
    cert_ca_load_fn ca_load;                /* optional: shared CA store; replaces */
    cert_ca_save_fn ca_save;                /*   ca_cert_file/ca_key_file when set */
    void *ca_store_ud;
    cert_ca_bundle_fn on_ca_bundle; /* optional */
    void *on_ca_bundle_ud;
} cert_manager_config;

typedef struct cert_manager cert_manager;

/* Load or create the first certificate and publish it in `tls`. Strings in
 * cfg are copied. Errors name the file or the SAN at fault. */
snug_status cert_manager_new(const cert_manager_config *cfg, tls_keeper *tls, cert_manager **out,
                             snug_err *err);

/* Do whatever is due at `now`: reload changed files, rotate, retry a failed
 * CA bundle write. Cheap when nothing is due. Never fails: errors are
 * logged and counted, and the certificate in service stays. */
void cert_manager_tick(cert_manager *cm, time_t now);

/* The CA bundle PEM currently trusted (self-managed; files mode: ca.crt or
 * NULL). Borrowed until the next tick. */
const char *cert_manager_ca_bundle(const cert_manager *cm);

/* The certificate in service (borrowed until the next tick). */
const cert_bundle *cert_manager_serving(const cert_manager *cm);

void cert_manager_free(cert_manager *cm);

#endif

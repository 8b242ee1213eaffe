/* tls_keeper.h -- the serving certificate the TLS server presents, swappable
 * at run time without dropping a connection.
 *
 * libmicrohttpd asks for the certificate on every handshake through
 * MHD_OPTION_HTTPS_CERT_CALLBACK2 (a GnuTLS retrieve callback with no user
 * pointer, hence one process-wide keeper). tls_keeper_set() converts a
 * cert_bundle's PEM into GnuTLS objects once and publishes them atomically;
 * handshakes already under way keep using the generation they got, which
 * stays allocated until tls_keeper_free() (rotations are rare: a handful of
 * generations over a process's life).
 */
#ifndef SNUG_TLS_KEEPER_H
#define SNUG_TLS_KEEPER_H

#include <stdbool.h>
#include <time.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include "certs/certs.h"
#include "base/status.h"

typedef struct tls_keeper tls_keeper;

/* Create the process-wide keeper (a second call fails with
 * SNUG_ERR_INVALID until the first is freed). */
snug_status tls_keeper_new(tls_keeper **out, snug_err *err);
void tls_keeper_free(tls_keeper *k);

/* Publish the bundle's certificate chain and key. On failure (PEM GnuTLS
 * cannot use) the previous generation stays in service. */
snug_status tls_keeper_set(tls_keeper *k, const cert_bundle *b, snug_err *err);

/* Whether a certificate was published. */
bool tls_keeper_ready(const tls_keeper *k);

/* notAfter and SHA-256 fingerprint of the certificate in service (0 / ""
 * before the first publish). `fp` holds CERTS_FINGERPRINT_LEN + 1 bytes. */
time_t tls_keeper_not_after(tls_keeper *k);
void tls_keeper_fingerprint(tls_keeper *k, char *fp, size_t cap);

/* Number of times a certificate was published. */
unsigned tls_keeper_generation(const tls_keeper *k);

/* The GnuTLS retrieve callback to pass with MHD_OPTION_HTTPS_CERT_CALLBACK2. */
int tls_keeper_retrieve(gnutls_session_t session, const struct gnutls_cert_retr_st *info,
                        gnutls_pcert_st **certs, unsigned int *pcert_length,
                        gnutls_ocsp_data_st **ocsp, unsigned int *ocsp_length,
                        gnutls_privkey_t *privkey, unsigned int *flags);

#endif

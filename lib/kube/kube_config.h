/* kube_config.h -- where the API server is and how to authenticate to it.
 *
 * Sources:
 *  - in-cluster: KUBERNETES_SERVICE_HOST / KUBERNETES_SERVICE_PORT (an IPv6
 *    host is bracketed) and the service-account files token, ca.crt and
 *    namespace under KUBE_SA_DIR (a parameter, so tests can use a temp dir);
 *  - a kubeconfig file: the current-context or a named context; the
 *    cluster's server, certificate-authority(-data) and
 *    insecure-skip-tls-verify; the user's token, tokenFile and
 *    client-certificate(-data) / client-key(-data). Relative file paths are
 *    resolved against the kubeconfig's directory. Inline *-data is base64 in
 *    the file and kept decoded here, to be handed to libcurl as blobs. When
 *    both inline data and a file are given the inline data wins (as kubectl
 *    does). A tokenFile wins over an inline token. exec and auth-provider
 *    plugins are not supported: they fail with SNUG_ERR_UNSUPPORTED unless
 *    the user has another credential.
 *
 * Search order of kube_config_load(): the explicit path (--kubeconfig), else
 * the first existing file of the colon-separated $KUBECONFIG, else in-cluster
 * when KUBERNETES_SERVICE_HOST is set, else ~/.kube/config.
 *
 * Tokens rotate (bound service-account tokens are renewed by the kubelet), so
 * when the token comes from a file it is re-read every
 * KUBE_TOKEN_REFRESH_MS and right after the API server answered 401
 * (kube_config_token_invalidate()).
 *
 * A kube_config is reference-counted and thread-safe: every kube_client made
 * from it holds a reference; the token is guarded by a mutex. All the public
 * fields are immutable after loading.
 */
#ifndef SNUG_KUBE_CONFIG_H
#define SNUG_KUBE_CONFIG_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/status.h"

#define KUBE_SA_DIR           "/var/run/secrets/kubernetes.io/serviceaccount"
#define KUBE_TOKEN_REFRESH_MS 60000
#define KUBE_CONFIG_MAX_BYTES (4u << 20) /* largest kubeconfig we read */
#define KUBE_TOKEN_MAX_BYTES  (64u << 10)

typedef struct kube_blob {
    unsigned char *data; /* NULL when absent */
    size_t len;
} kube_blob;

typedef struct kube_config {
    char *source;    /* for messages: "kubeconfig /p (context c)" or "in-cluster" */
    char *server;    /* "https://10.0.0.1:443", no trailing '/' */
    char *namespace; /* the context's or the pod's namespace, else "default" */
    char *ca_file;   /* absolute path or NULL */
    kube_blob ca_data;
    int insecure_skip_tls_verify;
    char *cert_file; /* client certificate (PEM) path or NULL */
    kube_blob cert_data;
    char *key_file; /* client key (PEM) path or NULL */
    kube_blob key_data;
    char *token_file; /* bearer token re-read from here, or NULL */

    /* private: use kube_config_token() */
    pthread_mutex_t lock;
    char *token;
    int64_t token_read_ms;
    int token_stale;
    int refs;
} kube_config;

/* Load following the search order above. `kubeconfig` (may be NULL) is the
 * --kubeconfig flag; `context` (may be NULL: current-context) picks a
 * context. *out is owned by the caller (kube_config_free). */
snug_status kube_config_load(const char *kubeconfig, const char *context, kube_config **out,
                             snug_err *err);

/* Load one kubeconfig file. Errors name the path and the field. */
snug_status kube_config_from_file(const char *path, const char *context, kube_config **out,
                                  snug_err *err);

/* Build from an already parsed kubeconfig document; relative paths are
 * resolved against `dir`; `source` names the document in messages. Files the
 * config refers to must exist (checked now, so a typo fails at start). */
snug_status kube_config_from_doc(const cJSON *doc, const char *dir, const char *context,
                                 const char *source, kube_config **out, snug_err *err);

/* The in-cluster config, with the service-account files under `sa_dir`
 * (NULL: KUBE_SA_DIR). SNUG_ERR_NOT_FOUND when the environment variables or
 * the token are missing. */
snug_status kube_config_in_cluster(const char *sa_dir, kube_config **out, snug_err *err);

/* Take another reference; returns cfg. */
kube_config *kube_config_ref(kube_config *cfg);

/* Drop a reference; the last one frees everything. NULL is ignored. */
void kube_config_free(kube_config *cfg);

/* The current bearer token as a new string (*out, caller frees), or *out =
 * NULL when this config has no token. Re-reads the token file when the copy
 * is older than KUBE_TOKEN_REFRESH_MS or was invalidated; when the re-read
 * fails, the previous token is kept and a warning logged. */
snug_status kube_config_token(kube_config *cfg, char **out, snug_err *err);

/* Mark the token as stale (after a 401): the next kube_config_token() call
 * re-reads the file. */
void kube_config_token_invalidate(kube_config *cfg);

/* Read a token file: trimmed of surrounding white space; an empty file is
 * SNUG_ERR_INVALID. *out is the caller's. */
snug_status kube_token_read(const char *path, char **out, snug_err *err);

#endif

/* prom_client_internal.h -- the client's state and the calls its parts
 * (prom_client.c, prom_http.c, prom_query.c, prom_run.c) make of each
 * other. Not for use outside lib/prom. */
#ifndef SNUG_PROM_CLIENT_INTERNAL_H
#define SNUG_PROM_CLIENT_INTERNAL_H

#include <pthread.h>

#include <curl/curl.h>

#include "prom/prom_client.h"
#include "prom/prom_secret.h"

/* How a request failed, for prom_run: */
typedef enum prom_fail {
    PROM_FAIL_NONE,      /* it did not */
    PROM_FAIL_QUERY,     /* Prometheus answered about this query (bad_data, execution,
                            too big, unsupported): other requests may well succeed */
    PROM_FAIL_TRANSPORT, /* no usable answer (timeout, lost connection, 5xx, not
                            Prometheus' answer) */
    PROM_FAIL_FATAL      /* every other request would fail the same way (connection
                            refused, DNS, TLS, 401/403/404, aborted, out of memory) */
} prom_fail;

struct prom_client {
    char *base;      /* URL without trailing slashes */
    prom_config cfg; /* numbers resolved; its strings are not used after new */
    char *bearer_token, *basic_user, *ca_file, *client_cert, *client_key;
    char **headers; /* copies of cfg.headers */
    size_t n_headers;
    bool has_token_file, has_password_file;
    prom_secret token_file, password_file;
    pthread_mutex_t lock; /* guards the secrets and the handle pool */
    CURL **idle;          /* handles not in use */
    size_t n_idle, cap_idle;
    const volatile int *abort_flag;
    prom_stats stats; /* updated with __atomic builtins */
};

/* The credentials one request carries: copies, wiped by prom_creds_clear. */
typedef struct prom_creds {
    char *token;    /* bearer token or NULL */
    char *password; /* basic-auth password or NULL */
} prom_creds;

snug_status prom_creds_get(prom_client *c, prom_creds *out, snug_err *err);
void prom_creds_clear(prom_creds *cr);

/* After a 401/403: re-read the files; true when what `used` carried is no
 * longer current (worth one more try). */
bool prom_creds_rotated(prom_client *c, const prom_creds *used);

/* A curl handle for one request (from the pool or new; NULL on NOMEM),
 * and back to the pool. */
CURL *prom_handle_get(prom_client *c);
void prom_handle_put(prom_client *c, CURL *h);

/* Add `n` to a counter of c->stats. */
void prom_stat_add(prom_client *c, uint64_t *counter, uint64_t n);

/* Whether the abort flag is raised. */
int prom_client_aborted(const prom_client *c);

/* Run one request (rq->range: a range query, else an instant query),
 * filling rq->result, rq->status and rq->err; returns how it failed. */
prom_fail prom_request_exec(prom_client *c, prom_request *rq);

#endif

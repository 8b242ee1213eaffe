/* prom_client.c -- the client's lifecycle: configuration checks, copies,
 * credentials, the pool of curl handles, statistics, the abort flag. The
 * HTTP exchange is prom_http.c, the query calls prom_query.c, prom_run
 * prom_run.c. */
#include "prom/prom_client.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "prom/prom_client_internal.h"
#include "prom/prom_plan.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_OK;

static void curl_init_once(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- configuration ----------------------------------------------------------------- */

static bool set(const char *s)
{
    return s != NULL && s[0] != '\0';
}

static snug_status check_auth(const prom_config *cfg, snug_err *err)
{
    if (set(cfg->bearer_token) && set(cfg->bearer_token_file))
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "Prometheus client: bearer_token and bearer_token_file are both set");
    if ((set(cfg->bearer_token) || set(cfg->bearer_token_file)) && set(cfg->basic_user))
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "Prometheus client: a bearer token and basic auth are both set");
    if (set(cfg->basic_user) != set(cfg->basic_password_file))
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "Prometheus client: basic_user and basic_password_file go together");
    if (set(cfg->basic_user) && strchr(cfg->basic_user, ':') != NULL)
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "Prometheus client: basic_user cannot contain ':'");
    if (set(cfg->bearer_token) && strpbrk(cfg->bearer_token, "\r\n") != NULL)
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "Prometheus client: bearer_token holds a line break");
    return SNUG_OK;
}

static snug_status check_file(const char *what, const char *path, snug_err *err)
{
    if (path != NULL && access(path, R_OK) != 0)
        return snug_err_set(err, SNUG_ERR_IO, "Prometheus client: %s %s: cannot be read", what,
                            path);
    return SNUG_OK;
}

static snug_status check_tls(const prom_config *cfg, snug_err *err)
{
    snug_status st;

    if (set(cfg->client_cert) != set(cfg->client_key))
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "Prometheus client: client_cert and client_key go together");
    st = check_file("ca_file", cfg->ca_file, err);
    if (st == SNUG_OK)
        st = check_file("client_cert", cfg->client_cert, err);
    if (st == SNUG_OK)
        st = check_file("client_key", cfg->client_key, err);
    return st;
}

/* Check the numbers and replace 0 by the defaults in `out`. */
static snug_status resolve_numbers(const prom_config *in, prom_config *out, snug_err *err)
{
    if (in->timeout_ms < 0 || in->timeout_ms > PROM_MAX_TIMEOUT_MS)
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "Prometheus client: timeout_ms %d is not within 0..%d", in->timeout_ms,
                            PROM_MAX_TIMEOUT_MS);
    if (in->max_retries < -1 || in->max_retries > PROM_MAX_RETRIES)
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "Prometheus client: max_retries %d is not within -1..%d",
                            in->max_retries, PROM_MAX_RETRIES);
    if (in->concurrency < 0 || in->concurrency > PROM_MAX_CONCURRENCY)
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "Prometheus client: concurrency %d is not within 0..%d",
                            in->concurrency, PROM_MAX_CONCURRENCY);
    if (in->max_points < 0)
        return snug_err_set(err, SNUG_ERR_INVALID, "Prometheus client: max_points %d is negative",
                            in->max_points);
    *out = *in;
    out->timeout_ms = in->timeout_ms ? in->timeout_ms : PROM_DEFAULT_TIMEOUT_MS;
    out->max_retries = in->max_retries == 0    ? PROM_DEFAULT_RETRIES
                       : in->max_retries == -1 ? 0
                                               : in->max_retries;
    out->max_response_bytes =
        in->max_response_bytes ? in->max_response_bytes : PROM_DEFAULT_MAX_RESPONSE;
    out->concurrency = in->concurrency ? in->concurrency : PROM_DEFAULT_CONCURRENCY;
    out->max_points = in->max_points ? in->max_points : PROM_DEFAULT_MAX_POINTS;
    return SNUG_OK;
}

/* strdup of an optional string: *out NULL for NULL or "". */
static bool copy_opt(char **out, const char *s)
{
    *out = NULL;
    if (!set(s))
        return true;
    *out = strdup(s);
    return *out != NULL;
}

static snug_status copy_strings(prom_client *c, const prom_config *cfg, snug_err *err)
{
    size_t i;
    bool ok = copy_opt(&c->bearer_token, cfg->bearer_token) &&
              copy_opt(&c->basic_user, cfg->basic_user) && copy_opt(&c->ca_file, cfg->ca_file) &&
              copy_opt(&c->client_cert, cfg->client_cert) &&
              copy_opt(&c->client_key, cfg->client_key);

    if (ok && cfg->n_headers > 0) {
        c->headers = calloc(cfg->n_headers, sizeof(char *));
        ok = c->headers != NULL;
        for (i = 0; ok && i < cfg->n_headers; i++) {
            c->headers[i] = strdup(cfg->headers[i]);
            ok = c->headers[i] != NULL;
            c->n_headers = i + 1;
        }
    }
    if (!ok)
        return snug_err_set(err, SNUG_ERR_NOMEM, "Prometheus client: out of memory");
    return SNUG_OK;
}

static snug_status load_secrets(prom_client *c, const prom_config *cfg, snug_err *err)
{
    snug_status st;

    if (set(cfg->bearer_token_file)) {
        st = prom_secret_init(&c->token_file, cfg->bearer_token_file, PROM_CREDENTIAL_FILE_MAX,
                              "bearer token file", err);
        if (st != SNUG_OK)
            return st;
        c->has_token_file = true;
    }
    if (set(cfg->basic_password_file)) {
        st = prom_secret_init(&c->password_file, cfg->basic_password_file, PROM_CREDENTIAL_FILE_MAX,
                              "basic-auth password file", err);
        if (st != SNUG_OK)
            return st;
        c->has_password_file = true;
    }
    return SNUG_OK;
}

static snug_status check_config(const prom_config *cfg, prom_config *resolved, char **base,
                                snug_err *err)
{
    snug_status st = prom_url_base(cfg->url, base, err);

    if (st == SNUG_OK)
        st = check_auth(cfg, err);
    if (st == SNUG_OK)
        st = check_tls(cfg, err);
    if (st == SNUG_OK && cfg->n_headers > 0 && cfg->headers == NULL)
        st = snug_err_set(err, SNUG_ERR_INVALID, "Prometheus client: n_headers without headers");
    if (st == SNUG_OK)
        st = prom_headers_check(cfg->headers, cfg->n_headers, err);
    if (st == SNUG_OK)
        st = resolve_numbers(cfg, resolved, err);
    return st;
}

snug_status prom_client_new(const prom_config *cfg, prom_client **out, snug_err *err)
{
    prom_client *c;
    snug_status st;

    *out = NULL;
    pthread_once(&curl_once, curl_init_once);
    if (curl_init_rc != CURLE_OK)
        return snug_err_set(err, SNUG_ERR_INTERNAL, "curl_global_init: %s",
                            curl_easy_strerror(curl_init_rc));
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "Prometheus client: out of memory");
    pthread_mutex_init(&c->lock, NULL);
    st = check_config(cfg, &c->cfg, &c->base, err);
    if (st == SNUG_OK)
        st = copy_strings(c, cfg, err);
    if (st == SNUG_OK)
        st = load_secrets(c, cfg, err);
    if (st != SNUG_OK) {
        prom_client_free(c);
        return st;
    }
    /* nothing of the caller's may be used after this call */
    c->cfg.url = c->base;
    c->cfg.bearer_token = c->cfg.bearer_token_file = NULL;
    c->cfg.basic_user = c->cfg.basic_password_file = NULL;
    c->cfg.ca_file = c->cfg.client_cert = c->cfg.client_key = NULL;
    c->cfg.headers = NULL;
    *out = c;
    return SNUG_OK;
}

void prom_client_free(prom_client *c)
{
    size_t i;

    if (c == NULL)
        return;
    for (i = 0; i < c->n_idle; i++)
        curl_easy_cleanup(c->idle[i]);
    free(c->idle);
    for (i = 0; i < c->n_headers; i++)
        free(c->headers[i]);
    free(c->headers);
    if (c->has_token_file)
        prom_secret_free(&c->token_file);
    if (c->has_password_file)
        prom_secret_free(&c->password_file);
    prom_secret_wipe(c->bearer_token);
    free(c->basic_user);
    free(c->ca_file);
    free(c->client_cert);
    free(c->client_key);
    free(c->base);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* ---- credentials ------------------------------------------------------------------- */

void prom_creds_clear(prom_creds *cr)
{
    prom_secret_wipe(cr->token);
    prom_secret_wipe(cr->password);
    cr->token = cr->password = NULL;
}

snug_status prom_creds_get(prom_client *c, prom_creds *out, snug_err *err)
{
    snug_status st = SNUG_OK;

    out->token = out->password = NULL;
    pthread_mutex_lock(&c->lock);
    if (c->has_token_file)
        st = prom_secret_get(&c->token_file, PROM_CREDENTIAL_FILE_MAX, &out->token, err);
    else if (c->bearer_token != NULL)
        st = copy_opt(&out->token, c->bearer_token)
                 ? SNUG_OK
                 : snug_err_set(err, SNUG_ERR_NOMEM, "bearer token: out of memory");
    if (st == SNUG_OK && c->has_password_file)
        st = prom_secret_get(&c->password_file, PROM_CREDENTIAL_FILE_MAX, &out->password, err);
    pthread_mutex_unlock(&c->lock);
    if (st != SNUG_OK)
        prom_creds_clear(out);
    return st;
}

/* Re-read `s` and tell whether its value differs from `used`. */
static bool secret_rotated(prom_secret *s, const char *used)
{
    if (prom_secret_reload(s, PROM_CREDENTIAL_FILE_MAX, NULL, NULL) != SNUG_OK)
        return false;
    return used == NULL || strcmp(used, s->value) != 0;
}

bool prom_creds_rotated(prom_client *c, const prom_creds *used)
{
    bool rotated = false;

    pthread_mutex_lock(&c->lock);
    if (c->has_token_file)
        rotated = secret_rotated(&c->token_file, used->token);
    if (c->has_password_file)
        rotated = secret_rotated(&c->password_file, used->password) || rotated;
    pthread_mutex_unlock(&c->lock);
    return rotated;
}

/* ---- handles, stats, abort --------------------------------------------------------- */

CURL *prom_handle_get(prom_client *c)
{
    CURL *h = NULL;

    pthread_mutex_lock(&c->lock);
    if (c->n_idle > 0)
        h = c->idle[--c->n_idle];
    pthread_mutex_unlock(&c->lock);
    return h != NULL ? h : curl_easy_init();
}

void prom_handle_put(prom_client *c, CURL *h)
{
    size_t keep = (size_t)c->cfg.concurrency + 1;

    if (h == NULL)
        return;
    pthread_mutex_lock(&c->lock);
    if (c->idle == NULL) {
        c->idle = calloc(keep, sizeof(CURL *));
        c->cap_idle = c->idle != NULL ? keep : 0;
    }
    if (c->n_idle < c->cap_idle) {
        c->idle[c->n_idle++] = h;
        h = NULL;
    }
    pthread_mutex_unlock(&c->lock);
    if (h != NULL)
        curl_easy_cleanup(h);
}

void prom_stat_add(prom_client *c, uint64_t *counter, uint64_t n)
{
    (void)c;
    __atomic_add_fetch(counter, n, __ATOMIC_RELAXED);
}

void prom_client_stats(const prom_client *c, prom_stats *out)
{
    out->queries = __atomic_load_n(&c->stats.queries, __ATOMIC_RELAXED);
    out->errors_http = __atomic_load_n(&c->stats.errors_http, __ATOMIC_RELAXED);
    out->errors_timeout = __atomic_load_n(&c->stats.errors_timeout, __ATOMIC_RELAXED);
    out->errors_parse = __atomic_load_n(&c->stats.errors_parse, __ATOMIC_RELAXED);
    out->errors_prometheus = __atomic_load_n(&c->stats.errors_prometheus, __ATOMIC_RELAXED);
    out->errors_transport = __atomic_load_n(&c->stats.errors_transport, __ATOMIC_RELAXED);
    out->retries = __atomic_load_n(&c->stats.retries, __ATOMIC_RELAXED);
    out->bytes_read = __atomic_load_n(&c->stats.bytes_read, __ATOMIC_RELAXED);
}

void prom_client_set_abort(prom_client *c, const volatile int *flag)
{
    __atomic_store_n(&c->abort_flag, flag, __ATOMIC_RELEASE);
}

int prom_client_aborted(const prom_client *c)
{
    const volatile int *flag = __atomic_load_n(&c->abort_flag, __ATOMIC_ACQUIRE);

    return flag != NULL && *flag != 0;
}

/* kube_config.c -- in-cluster and kubeconfig loading, token rotation. */
#include "kube/kube_config.h"

#include "json/base64.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "base/dynbuf.h"
#include "kube/kube_retry.h"
#include "base/log.h"
#include "yaml/yamljson.h"

static kube_config *config_alloc(void)
{
    kube_config *cfg = calloc(1, sizeof(*cfg));

    if (cfg == NULL)
        return NULL;
    if (pthread_mutex_init(&cfg->lock, NULL) != 0) {
        free(cfg);
        return NULL;
    }
    cfg->refs = 1;
    return cfg;
}

static void blob_free(kube_blob *b)
{
    if (b->data != NULL)
        OPENSSL_cleanse(b->data, b->len);
    free(b->data);
    b->data = NULL;
    b->len = 0;
}

static void token_free(char *tok)
{
    if (tok != NULL)
        OPENSSL_cleanse(tok, strlen(tok));
    free(tok);
}

kube_config *kube_config_ref(kube_config *cfg)
{
    __atomic_add_fetch(&cfg->refs, 1, __ATOMIC_RELAXED);
    return cfg;
}

void kube_config_free(kube_config *cfg)
{
    if (cfg == NULL || __atomic_sub_fetch(&cfg->refs, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    free(cfg->source);
    free(cfg->server);
    free(cfg->namespace);
    free(cfg->ca_file);
    blob_free(&cfg->ca_data);
    free(cfg->cert_file);
    blob_free(&cfg->cert_data);
    free(cfg->key_file);
    blob_free(&cfg->key_data);
    free(cfg->token_file);
    token_free(cfg->token);
    pthread_mutex_destroy(&cfg->lock);
    free(cfg);
}

static snug_status dup_str(const char *s, char **out, snug_err *err)
{
    *out = strdup(s);
    if (*out == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    return SNUG_OK;
}

snug_status kube_token_read(const char *path, char **out, snug_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    size_t start = 0;
    snug_status st;

    *out = NULL;
    st = file_read_all(path, KUBE_TOKEN_MAX_BYTES, &buf, &len, err);
    if (st != SNUG_OK)
        return st;
    while (len > 0 && isspace((unsigned char)buf[len - 1]))
        buf[--len] = '\0';
    while (start < len && isspace((unsigned char)buf[start]))
        start++;
    if (start == len) {
        free(buf);
        return snug_err_set(err, SNUG_ERR_INVALID, "token file %s: empty", path);
    }
    memmove(buf, buf + start, len - start + 1);
    *out = buf;
    return SNUG_OK;
}

/* ---- token ---------------------------------------------------------------------- */

snug_status kube_config_token(kube_config *cfg, char **out, snug_err *err)
{
    snug_status st = SNUG_OK;
    int64_t now = kube_mono_ms();

    *out = NULL;
    pthread_mutex_lock(&cfg->lock);
    if (cfg->token_file != NULL &&
        (cfg->token_stale || now - cfg->token_read_ms >= KUBE_TOKEN_REFRESH_MS)) {
        char *fresh = NULL;
        snug_err rerr;

        if (kube_token_read(cfg->token_file, &fresh, &rerr) == SNUG_OK) {
            token_free(cfg->token);
            cfg->token = fresh;
        } else {
            snug_log(LOG_WARN, "kube", "cannot re-read token; keeping the previous one", "error",
                     rerr.msg, NULL);
        }
        cfg->token_read_ms = now;
        cfg->token_stale = 0;
    }
    if (cfg->token != NULL) {
        *out = strdup(cfg->token);
        if (*out == NULL)
            st = snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_unlock(&cfg->lock);
    return st;
}

void kube_config_token_invalidate(kube_config *cfg)
{
    pthread_mutex_lock(&cfg->lock);
    cfg->token_stale = 1;
    pthread_mutex_unlock(&cfg->lock);
}

/* Read the token file now (at load), so a wrong path fails early. */
static snug_status config_load_token_file(kube_config *cfg, const char *field, snug_err *err)
{
    snug_status st = kube_token_read(cfg->token_file, &cfg->token, err);

    if (st != SNUG_OK)
        return snug_err_wrap(err, st, "%s", field);
    cfg->token_read_ms = kube_mono_ms();
    return SNUG_OK;
}

/* ---- in-cluster ------------------------------------------------------------------ */

static snug_status in_cluster_server(kube_config *cfg, snug_err *err)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    dynbuf b;
    snug_status st;

    if (host == NULL || host[0] == '\0' || port == NULL || port[0] == '\0')
        return snug_err_set(err, SNUG_ERR_NOT_FOUND,
                            "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT "
                            "must be set");
    dynbuf_init(&b, 1024);
    if (strchr(host, ':') != NULL && host[0] != '[')
        st = dynbuf_printf(&b, "https://[%s]:%s", host, port);
    else
        st = dynbuf_printf(&b, "https://%s:%s", host, port);
    if (st == SNUG_OK) {
        cfg->server = dynbuf_take(&b);
        if (cfg->server == NULL)
            st = SNUG_ERR_NOMEM;
    }
    dynbuf_free(&b);
    if (st != SNUG_OK)
        return snug_err_set(err, st, "in-cluster: server address: %s", snug_status_str(st));
    return SNUG_OK;
}

static snug_status join_path(const char *dir, const char *name, char **out, snug_err *err)
{
    dynbuf b;
    snug_status st;

    dynbuf_init(&b, 8192);
    st = dynbuf_printf(&b, "%s/%s", dir, name);
    if (st == SNUG_OK) {
        *out = dynbuf_take(&b);
        if (*out == NULL)
            st = SNUG_ERR_NOMEM;
    }
    dynbuf_free(&b);
    if (st != SNUG_OK)
        return snug_err_set(err, st, "path %s/%s: %s", dir, name, snug_status_str(st));
    return SNUG_OK;
}

static snug_status in_cluster_namespace(kube_config *cfg, const char *dir, snug_err *err)
{
    char *path = NULL;
    char *ns = NULL;
    snug_err ignored;
    snug_status st = join_path(dir, "namespace", &path, err);

    if (st != SNUG_OK)
        return st;
    if (access(path, F_OK) == 0) {
        st = kube_token_read(path, &ns, err);
        if (st != SNUG_OK)
            st = snug_err_wrap(err, st, "in-cluster namespace");
    } else {
        st = dup_str("default", &ns, &ignored);
    }
    free(path);
    cfg->namespace = ns;
    return st;
}

snug_status kube_config_in_cluster(const char *sa_dir, kube_config **out, snug_err *err)
{
    kube_config *cfg = config_alloc();
    const char *dir = sa_dir != NULL ? sa_dir : KUBE_SA_DIR;
    snug_status st;

    *out = NULL;
    if (cfg == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    st = dup_str("in-cluster", &cfg->source, err);
    if (st == SNUG_OK)
        st = in_cluster_server(cfg, err);
    if (st == SNUG_OK)
        st = join_path(dir, "token", &cfg->token_file, err);
    if (st == SNUG_OK && access(cfg->token_file, R_OK) != 0)
        st = snug_err_set(err, SNUG_ERR_NOT_FOUND, "in-cluster: token %s: %s", cfg->token_file,
                          strerror(errno));
    if (st == SNUG_OK)
        st = config_load_token_file(cfg, "in-cluster token", err);
    if (st == SNUG_OK)
        st = join_path(dir, "ca.crt", &cfg->ca_file, err);
    if (st == SNUG_OK && access(cfg->ca_file, R_OK) != 0)
        st = snug_err_set(err, SNUG_ERR_NOT_FOUND, "in-cluster: CA %s: %s", cfg->ca_file,
                          strerror(errno));
    if (st == SNUG_OK)
        st = in_cluster_namespace(cfg, dir, err);
    if (st != SNUG_OK) {
        kube_config_free(cfg);
        return st;
    }
    *out = cfg;
    return SNUG_OK;
}

/* ---- kubeconfig ------------------------------------------------------------------ */

/* Decode base64 text (white space allowed) into a new blob; empty is an error. */
static snug_status blob_from_base64(const char *in, const char *field, kube_blob *out,
                                    snug_err *err)
{
    unsigned char *dec = NULL;
    size_t len = 0;
    snug_status st = base64_decode(in, field, &dec, &len, err);

    if (st != SNUG_OK)
        return st;
    if (len == 0) {
        free(dec);
        return snug_err_set(err, SNUG_ERR_PARSE, "%s: invalid base64 (length 0)", field);
    }
    out->data = dec;
    out->len = len;
    return SNUG_OK;
}

/* Find `name` in a kubeconfig list (clusters, contexts, users) and return
 * its inner object (`cluster`, `context`, `user`). */
static snug_status find_named(const cJSON *doc, const char *list, const char *inner,
                              const char *name, const cJSON **out, snug_err *err)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, list);
    const cJSON *item;

    *out = NULL;
    if (arr != NULL && !cJSON_IsArray(arr) && !cJSON_IsNull(arr))
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: not a list", list);
    cJSON_ArrayForEach(item, arr)
    {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(item, "name");
        const cJSON *obj;

        if (!cJSON_IsString(n) || strcmp(n->valuestring, name) != 0)
            continue;
        obj = cJSON_GetObjectItemCaseSensitive(item, inner);
        if (!cJSON_IsObject(obj))
            return snug_err_set(err, SNUG_ERR_INVALID, "%s[name=\"%s\"].%s: missing", list, name,
                                inner);
        *out = obj;
        return SNUG_OK;
    }
    return snug_err_set(err, SNUG_ERR_NOT_FOUND, "%s: no entry named \"%s\"", list, name);
}

/* A string field of a kubeconfig object; empty counts as absent. Anything
 * but a string is an error naming `path`.`key`. */
static snug_status opt_str(const cJSON *obj, const char *path, const char *key, const char **out,
                           snug_err *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    *out = NULL;
    if (v == NULL || cJSON_IsNull(v))
        return SNUG_OK;
    if (!cJSON_IsString(v))
        return snug_err_set(err, SNUG_ERR_INVALID, "%s.%s: must be a string", path, key);
    if (v->valuestring[0] != '\0')
        *out = v->valuestring;
    return SNUG_OK;
}

/* Resolve `p` against `dir` unless absolute, check it is readable, and
 * store the result in *out. */
static snug_status resolve_file(const char *dir, const char *p, const char *field, char **out,
                                snug_err *err)
{
    snug_status st;

    if (p[0] == '/' || dir == NULL || dir[0] == '\0')
        st = dup_str(p, out, err);
    else
        st = join_path(dir, p, out, err);
    if (st != SNUG_OK)
        return st;
    if (access(*out, R_OK) != 0)
        return snug_err_set(err, SNUG_ERR_IO, "%s: %s: %s", field, *out, strerror(errno));
    return SNUG_OK;
}

/* One "file or inline data" pair: `data_key` wins over `file_key`. */
static snug_status file_or_data(const cJSON *obj, const char *path, const char *file_key,
                                const char *data_key, const char *dir, char **file, kube_blob *blob,
                                snug_err *err)
{
    const char *f = NULL;
    const char *d = NULL;
    char field[640];
    snug_status st = opt_str(obj, path, file_key, &f, err);

    if (st == SNUG_OK)
        st = opt_str(obj, path, data_key, &d, err);
    if (st != SNUG_OK)
        return st;
    if (d != NULL) {
        snprintf(field, sizeof(field), "%s.%s", path, data_key);
        return blob_from_base64(d, field, blob, err);
    }
    if (f != NULL) {
        snprintf(field, sizeof(field), "%s.%s", path, file_key);
        return resolve_file(dir, f, field, file, err);
    }
    return SNUG_OK;
}

static snug_status load_cluster(kube_config *cfg, const cJSON *cluster, const char *path,
                                const char *dir, snug_err *err)
{
    const char *server = NULL;
    const cJSON *insecure = cJSON_GetObjectItemCaseSensitive(cluster, "insecure-skip-tls-verify");
    size_t n;
    snug_status st = opt_str(cluster, path, "server", &server, err);

    if (st != SNUG_OK)
        return st;
    if (server == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "%s.server: missing", path);
    if (strncmp(server, "https://", 8) != 0 && strncmp(server, "http://", 7) != 0)
        return snug_err_set(err, SNUG_ERR_INVALID, "%s.server: \"%s\" is not an http(s) URL", path,
                            server);
    st = dup_str(server, &cfg->server, err);
    if (st != SNUG_OK)
        return st;
    n = strlen(cfg->server);
    while (n > 0 && cfg->server[n - 1] == '/')
        cfg->server[--n] = '\0';
    if (insecure != NULL && !cJSON_IsBool(insecure) && !cJSON_IsNull(insecure))
        return snug_err_set(err, SNUG_ERR_INVALID, "%s.insecure-skip-tls-verify: must be a bool",
                            path);
    cfg->insecure_skip_tls_verify = cJSON_IsTrue(insecure);
    return file_or_data(cluster, path, "certificate-authority", "certificate-authority-data", dir,
                        &cfg->ca_file, &cfg->ca_data, err);
}

static snug_status load_user_token(kube_config *cfg, const cJSON *user, const char *path,
                                   const char *dir, snug_err *err)
{
    const char *token = NULL;
    const char *token_file = NULL;
    char field[640];
    snug_status st = opt_str(user, path, "token", &token, err);

    if (st == SNUG_OK)
        st = opt_str(user, path, "tokenFile", &token_file, err);
    if (st != SNUG_OK)
        return st;
    if (token_file != NULL) {
        snprintf(field, sizeof(field), "%s.tokenFile", path);
        st = resolve_file(dir, token_file, field, &cfg->token_file, err);
        if (st == SNUG_OK)
            st = config_load_token_file(cfg, field, err);
        return st;
    }
    if (token != NULL)
        return dup_str(token, &cfg->token, err);
    return SNUG_OK;
}

static int has_member(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    return v != NULL && !cJSON_IsNull(v);
}

static snug_status load_user(kube_config *cfg, const cJSON *user, const char *path, const char *dir,
                             snug_err *err)
{
    int has_cert;
    int has_key;
    snug_status st = load_user_token(cfg, user, path, dir, err);

    if (st == SNUG_OK)
        st = file_or_data(user, path, "client-certificate", "client-certificate-data", dir,
                          &cfg->cert_file, &cfg->cert_data, err);
    if (st == SNUG_OK)
        st = file_or_data(user, path, "client-key", "client-key-data", dir, &cfg->key_file,
                          &cfg->key_data, err);
    if (st != SNUG_OK)
        return st;
    has_cert = cfg->cert_file != NULL || cfg->cert_data.data != NULL;
    has_key = cfg->key_file != NULL || cfg->key_data.data != NULL;
    if (has_cert != has_key)
        return snug_err_set(err, SNUG_ERR_INVALID, "%s.%s: missing (needed with %s)", path,
                            has_cert ? "client-key" : "client-certificate",
                            has_cert ? "client-certificate" : "client-key");
    if (!has_cert && cfg->token == NULL) {
        if (has_member(user, "exec"))
            return snug_err_set(err, SNUG_ERR_UNSUPPORTED,
                                "%s.exec: credential plugins are not supported; use a token "
                                "or a client certificate",
                                path);
        if (has_member(user, "auth-provider"))
            return snug_err_set(err, SNUG_ERR_UNSUPPORTED,
                                "%s.auth-provider: not supported; use a token or a client "
                                "certificate",
                                path);
    }
    return SNUG_OK;
}

/* The context to use: the one asked for, else current-context. */
static snug_status pick_context(const cJSON *doc, const char *context, const char **name,
                                const cJSON **ctx, snug_err *err)
{
    snug_status st;

    *name = context;
    if (*name == NULL || (*name)[0] == '\0') {
        st = opt_str(doc, "kubeconfig", "current-context", name, err);
        if (st != SNUG_OK)
            return st;
        if (*name == NULL)
            return snug_err_set(err, SNUG_ERR_INVALID,
                                "current-context: not set and no context given");
    }
    return find_named(doc, "contexts", "context", *name, ctx, err);
}

static snug_status set_source(kube_config *cfg, const char *source, const char *ctx_name,
                              snug_err *err)
{
    dynbuf b;
    snug_status st;

    dynbuf_init(&b, 8192);
    st = dynbuf_printf(&b, "%s (context %s)", source, ctx_name);
    if (st == SNUG_OK) {
        cfg->source = dynbuf_take(&b);
        if (cfg->source == NULL)
            st = SNUG_ERR_NOMEM;
    }
    dynbuf_free(&b);
    if (st != SNUG_OK)
        return snug_err_set(err, st, "%s: %s", source, snug_status_str(st));
    return SNUG_OK;
}

static snug_status config_from_context(kube_config *cfg, const cJSON *doc, const cJSON *ctx,
                                       const char *ctx_name, const char *dir, snug_err *err)
{
    const char *cluster_name = NULL;
    const char *user_name = NULL;
    const char *ns = NULL;
    const cJSON *cluster;
    const cJSON *user;
    char path[512];
    snug_status st;

    snprintf(path, sizeof(path), "contexts[name=\"%s\"].context", ctx_name);
    st = opt_str(ctx, path, "cluster", &cluster_name, err);
    if (st == SNUG_OK)
        st = opt_str(ctx, path, "user", &user_name, err);
    if (st == SNUG_OK)
        st = opt_str(ctx, path, "namespace", &ns, err);
    if (st != SNUG_OK)
        return st;
    if (cluster_name == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "%s.cluster: missing", path);
    st = find_named(doc, "clusters", "cluster", cluster_name, &cluster, err);
    if (st != SNUG_OK)
        return st;
    snprintf(path, sizeof(path), "clusters[name=\"%s\"].cluster", cluster_name);
    st = load_cluster(cfg, cluster, path, dir, err);
    if (st == SNUG_OK && user_name != NULL) {
        st = find_named(doc, "users", "user", user_name, &user, err);
        snprintf(path, sizeof(path), "users[name=\"%s\"].user", user_name);
        if (st == SNUG_OK)
            st = load_user(cfg, user, path, dir, err);
    }
    if (st == SNUG_OK)
        st = dup_str(ns != NULL ? ns : "default", &cfg->namespace, err);
    return st;
}

snug_status kube_config_from_doc(const cJSON *doc, const char *dir, const char *context,
                                 const char *source, kube_config **out, snug_err *err)
{
    kube_config *cfg = NULL;
    const cJSON *ctx;
    const char *ctx_name;
    snug_status st;

    *out = NULL;
    if (!cJSON_IsObject(doc)) {
        st = snug_err_set(err, SNUG_ERR_INVALID, "not a kubeconfig (not a mapping)");
        goto out;
    }
    st = pick_context(doc, context, &ctx_name, &ctx, err);
    if (st != SNUG_OK)
        goto out;
    cfg = config_alloc();
    if (cfg == NULL) {
        st = snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
        goto out;
    }
    st = set_source(cfg, source, ctx_name, err);
    if (st == SNUG_OK)
        st = config_from_context(cfg, doc, ctx, ctx_name, dir, err);
    if (st == SNUG_OK && cfg->insecure_skip_tls_verify &&
        (cfg->ca_file != NULL || cfg->ca_data.data != NULL))
        snug_log(LOG_WARN, "kube", "insecure-skip-tls-verify is set: the CA is ignored", "source",
                 cfg->source, NULL);
out:
    if (st != SNUG_OK) {
        kube_config_free(cfg);
        return snug_err_wrap(err, st, "%s", source);
    }
    *out = cfg;
    return SNUG_OK;
}

/* The directory part of `path` ("." when there is none). */
static snug_status dir_of(const char *path, char **out, snug_err *err)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL)
        return dup_str(".", out, err);
    if (slash == path)
        return dup_str("/", out, err);
    *out = strndup(path, (size_t)(slash - path));
    if (*out == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    return SNUG_OK;
}

snug_status kube_config_from_file(const char *path, const char *context, kube_config **out,
                                  snug_err *err)
{
    char *buf = NULL;
    char *dir = NULL;
    char source[1024];
    size_t len = 0;
    cJSON *doc = NULL;
    snug_status st;

    *out = NULL;
    snprintf(source, sizeof(source), "kubeconfig %s", path);
    st = file_read_all(path, KUBE_CONFIG_MAX_BYTES, &buf, &len, err);
    if (st != SNUG_OK)
        goto out;
    st = yaml_parse_one(buf, len, KUBE_CONFIG_MAX_BYTES, &doc, err);
    if (st != SNUG_OK) {
        snug_err_prefix(err, "%s", source);
        goto out;
    }
    st = dir_of(path, &dir, err);
    if (st == SNUG_OK)
        st = kube_config_from_doc(doc, dir, context, source, out, err);
out:
    free(buf);
    free(dir);
    cJSON_Delete(doc);
    return st;
}

/* First existing file of a colon-separated list, as a new string. */
static char *first_existing(const char *list)
{
    const char *p = list;

    while (*p != '\0') {
        const char *colon = strchr(p, ':');
        size_t n = colon ? (size_t)(colon - p) : strlen(p);

        if (n > 0) {
            char *cand = strndup(p, n);

            if (cand == NULL || access(cand, F_OK) == 0)
                return cand;
            free(cand);
        }
        p += n;
        if (*p == ':')
            p++;
    }
    return NULL;
}

static snug_status load_from_env_list(const char *env, const char *context, kube_config **out,
                                      snug_err *err)
{
    char *path = first_existing(env);
    snug_status st;

    if (path == NULL)
        return snug_err_set(err, SNUG_ERR_NOT_FOUND, "KUBECONFIG=%s: no such file", env);
    st = kube_config_from_file(path, context, out, err);
    free(path);
    return st;
}

snug_status kube_config_load(const char *kubeconfig, const char *context, kube_config **out,
                             snug_err *err)
{
    const char *env = getenv("KUBECONFIG");
    const char *home = getenv("HOME");
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    char *path = NULL;
    snug_status st;

    *out = NULL;
    if (kubeconfig != NULL && kubeconfig[0] != '\0')
        return kube_config_from_file(kubeconfig, context, out, err);
    if (env != NULL && env[0] != '\0')
        return load_from_env_list(env, context, out, err);
    if (host != NULL && host[0] != '\0')
        return kube_config_in_cluster(NULL, out, err);
    if (home == NULL || home[0] == '\0')
        return snug_err_set(err, SNUG_ERR_NOT_FOUND,
                            "no kubeconfig: none given, $KUBECONFIG and $HOME unset, "
                            "not running in a cluster");
    st = join_path(home, ".kube/config", &path, err);
    if (st != SNUG_OK)
        return st;
    if (access(path, F_OK) != 0)
        st = snug_err_set(err, SNUG_ERR_NOT_FOUND,
                          "no kubeconfig: none given, $KUBECONFIG unset, not running in a "
                          "cluster, and %s does not exist",
                          path);
    else
        st = kube_config_from_file(path, context, out, err);
    free(path);
    return st;
}

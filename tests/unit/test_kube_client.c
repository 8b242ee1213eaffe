/* Tests of kube_client, kube_informer and kube_lease against a scripted
 * HTTP/1.1 server on 127.0.0.1 (plain HTTP, one thread per connection).
 * They exercise the real libcurl plumbing: headers, query strings, status
 * mapping, 401 token rotation, pagination, chunked watch streams split at
 * arbitrary bytes, 410 handling, abort, rate limiting, informer relists and
 * leader election. The real API server is covered by tests/e2e. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "kube/kube_client.h"
#include "kube/kube_events.h"
#include "kube/kube_informer.h"
#include "kube/kube_lease.h"
#include "kube/kube_objects.h"
#include "kube/kube_retry.h"
#include "base/log.h"
#include "test.h"

/* ---- the fake server ----------------------------------------------------------------- */

typedef struct fake_req {
    char method[16];
    char path[4096];
    char content_type[128];
    char auth[512];
    char accept[128];
    char *body;
} fake_req;

typedef struct fake_server fake_server;
typedef void (*fake_handler)(fake_server *srv, const fake_req *rq, int fd);

struct fake_server {
    int fd;
    int port;
    int stop;   /* atomic */
    int active; /* connection threads running, atomic */
    pthread_t thread;
    pthread_mutex_t lock; /* guards log, nreq and the handlers' state */
    fake_handler handle;
    dynbuf log; /* "METHOD path\n" per request */
    int nreq;
};

typedef struct conn_arg {
    fake_server *srv;
    int fd;
} conn_arg;

static void send_all(int fd, const char *data, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

        if (n <= 0)
            return;
        data += n;
        len -= (size_t)n;
    }
}

static void reply(int fd, int code, const char *body)
{
    char head[256];

    snprintf(head, sizeof(head),
             "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
             "Connection: close\r\n\r\n",
             code, strlen(body));
    send_all(fd, head, strlen(head));
    send_all(fd, body, strlen(body));
}

static void reply_status(int fd, int code, const char *reason, const char *message)
{
    char body[1024];

    snprintf(body, sizeof(body),
             "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
             "\"message\":\"%s\",\"reason\":\"%s\",\"code\":%d}",
             message, reason, code);
    reply(fd, code, body);
}

static void chunked_head(int fd)
{
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                               "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";

    send_all(fd, head, strlen(head));
}

static void chunk(int fd, const char *data, size_t len)
{
    char size[32];

    snprintf(size, sizeof(size), "%zx\r\n", len);
    send_all(fd, size, strlen(size));
    send_all(fd, data, len);
    send_all(fd, "\r\n", 2);
}

static void chunked_end(int fd)
{
    send_all(fd, "0\r\n\r\n", 5);
}

static int srv_stopping(fake_server *srv)
{
    return __atomic_load_n(&srv->stop, __ATOMIC_ACQUIRE);
}

/* Keep a connection open (like an idle watch) until the client goes away
 * or the server stops. */
static void hang(fake_server *srv, int fd)
{
    char buf[64];

    while (!srv_stopping(srv)) {
        struct pollfd p = {fd, POLLIN, 0};

        if (poll(&p, 1, 50) > 0 && recv(fd, buf, sizeof(buf), 0) <= 0)
            return;
    }
}

static void header_value(const char *head, const char *name, char *out, size_t outlen)
{
    size_t n = strlen(name);
    const char *p = head;

    out[0] = '\0';
    while ((p = strstr(p, "\r\n")) != NULL) {
        p += 2;
        if (strncasecmp(p, name, n) == 0 && p[n] == ':') {
            const char *v = p + n + 1;
            const char *e = strstr(v, "\r\n");

            while (*v == ' ')
                v++;
            snprintf(out, outlen, "%.*s", (int)(e ? e - v : (long)strlen(v)), v);
            return;
        }
    }
}

/* Read one request (headers and Content-Length body). 0 on success. */
static int read_request(int fd, fake_req *rq)
{
    static const size_t max = 1 << 20;
    char *buf = malloc(max + 1);
    size_t len = 0;
    char *end = NULL;
    char clen[32];
    size_t body_len;
    size_t head_len;

    memset(rq, 0, sizeof(*rq));
    while (buf != NULL && end == NULL && len < max) {
        ssize_t n = recv(fd, buf + len, max - len, 0);

        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    if (end == NULL) {
        free(buf);
        return -1;
    }
    head_len = (size_t)(end - buf) + 4;
    end[2] = '\0';
    sscanf(buf, "%15s %4095s", rq->method, rq->path);
    header_value(buf, "Content-Type", rq->content_type, sizeof(rq->content_type));
    header_value(buf, "Authorization", rq->auth, sizeof(rq->auth));
    header_value(buf, "Accept", rq->accept, sizeof(rq->accept));
    header_value(buf, "Content-Length", clen, sizeof(clen));
    body_len = (size_t)strtoul(clen, NULL, 10);
    if (body_len > max - head_len)
        body_len = max - head_len;
    while (len < head_len + body_len) {
        ssize_t n = recv(fd, buf + len, head_len + body_len - len, 0);

        if (n <= 0)
            break;
        len += (size_t)n;
    }
    rq->body = strndup(buf + head_len, len > head_len ? len - head_len : 0);
    free(buf);
    return 0;
}

static void *conn_main(void *p)
{
    conn_arg *a = p;
    fake_server *srv = a->srv;
    fake_req rq;

    if (read_request(a->fd, &rq) == 0) {
        pthread_mutex_lock(&srv->lock);
        srv->nreq++;
        dynbuf_printf(&srv->log, "%s %s\n", rq.method, rq.path);
        pthread_mutex_unlock(&srv->lock);
        srv->handle(srv, &rq, a->fd);
        free(rq.body);
    }
    close(a->fd);
    __atomic_sub_fetch(&srv->active, 1, __ATOMIC_RELEASE);
    free(a);
    return NULL;
}

static void *accept_main(void *p)
{
    fake_server *srv = p;

    while (!srv_stopping(srv)) {
        struct pollfd pfd = {srv->fd, POLLIN, 0};
        conn_arg *a;
        pthread_t th;
        int fd;

        if (poll(&pfd, 1, 50) <= 0)
            continue;
        fd = accept(srv->fd, NULL, NULL);
        if (fd < 0)
            continue;
        a = malloc(sizeof(*a));
        a->srv = srv;
        a->fd = fd;
        __atomic_add_fetch(&srv->active, 1, __ATOMIC_ACQUIRE);
        if (pthread_create(&th, NULL, conn_main, a) != 0) {
            __atomic_sub_fetch(&srv->active, 1, __ATOMIC_RELEASE);
            close(fd);
            free(a);
            continue;
        }
        pthread_detach(th);
    }
    return NULL;
}

static void srv_start(fake_server *srv, fake_handler h)
{
    struct sockaddr_in addr;
    socklen_t alen = sizeof(addr);
    int one = 1;

    memset(srv, 0, sizeof(*srv));
    pthread_mutex_init(&srv->lock, NULL);
    dynbuf_init(&srv->log, 1 << 20);
    srv->handle = h;
    srv->fd = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(srv->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK_INT_EQ(bind(srv->fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    CHECK_INT_EQ(listen(srv->fd, 64), 0);
    getsockname(srv->fd, (struct sockaddr *)&addr, &alen);
    srv->port = ntohs(addr.sin_port);
    pthread_create(&srv->thread, NULL, accept_main, srv);
}

static void srv_stop(fake_server *srv)
{
    __atomic_store_n(&srv->stop, 1, __ATOMIC_RELEASE);
    pthread_join(srv->thread, NULL);
    while (__atomic_load_n(&srv->active, __ATOMIC_ACQUIRE) > 0)
        kube_sleep_ms(10, NULL);
    close(srv->fd);
    dynbuf_free(&srv->log);
    pthread_mutex_destroy(&srv->lock);
}

static int srv_nreq(fake_server *srv)
{
    int n;

    pthread_mutex_lock(&srv->lock);
    n = srv->nreq;
    pthread_mutex_unlock(&srv->lock);
    return n;
}

/* ---- client setup ---------------------------------------------------------------------- */

static char tmpdir[128];
static char token_path[256];

static void write_token(const char *tok)
{
    FILE *f = fopen(token_path, "w");

    if (f != NULL) {
        fputs(tok, f);
        fclose(f);
    }
}

static kube_client *make_client(fake_server *srv, const kube_client_opts *opts)
{
    char yaml[1024];
    cJSON *doc;
    kube_config *cfg = NULL;
    kube_client *c = NULL;
    snug_err err;

    snprintf(yaml, sizeof(yaml),
             "{\"current-context\":\"t\",\"contexts\":[{\"name\":\"t\",\"context\":{\"cluster\":"
             "\"c\",\"user\":\"u\"}}],\"clusters\":[{\"name\":\"c\",\"cluster\":{\"server\":"
             "\"http://127.0.0.1:%d\"}}],\"users\":[{\"name\":\"u\",\"user\":{\"tokenFile\":"
             "\"%s\"}}]}",
             srv->port, token_path);
    doc = cJSON_Parse(yaml);
    CHECK_INT_EQ(kube_config_from_doc(doc, tmpdir, NULL, "test", &cfg, &err), SNUG_OK);
    cJSON_Delete(doc);
    if (cfg == NULL)
        return NULL;
    CHECK_INT_EQ(kube_client_new(cfg, opts, &c, &err), SNUG_OK);
    kube_config_free(cfg); /* the client holds its own reference */
    return c;
}

static const kube_resource cm_res = {NULL, "v1", "configmaps"};

/* ---- GET, errors, headers ---------------------------------------------------------------- */

static char last_auth[512];
static char last_accept[128];

static void get_handler(fake_server *srv, const fake_req *rq, int fd)
{
    pthread_mutex_lock(&srv->lock);
    snprintf(last_auth, sizeof(last_auth), "%s", rq->auth);
    snprintf(last_accept, sizeof(last_accept), "%s", rq->accept);
    pthread_mutex_unlock(&srv->lock);
    if (strcmp(rq->path, "/api/v1/namespaces/ns/configmaps/a") == 0)
        reply(fd, 200, "{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\"}}");
    else if (strstr(rq->path, "/boom") != NULL)
        reply(fd, 503, "<html>upstream down</html>");
    else if (strstr(rq->path, "/garbage") != NULL)
        reply(fd, 200, "{not json");
    else if (strstr(rq->path, "/big") != NULL)
        reply(fd, 200, "[\"0123456789\"]");
    else
        reply_status(fd, 404, "NotFound", "configmaps \\\"x\\\" not found");
}

static void test_get_and_errors(void)
{
    fake_server srv;
    kube_client *c;
    cJSON *obj = NULL;
    snug_err err;

    srv_start(&srv, get_handler);
    write_token("tok-1\n");
    c = make_client(&srv, NULL);
    if (c == NULL)
        goto out;
    CHECK_INT_EQ(kube_get(c, &cm_res, "ns", "a", &obj, &err), SNUG_OK);
    CHECK_STR_EQ(kube_obj_name(obj), "a");
    cJSON_Delete(obj);
    CHECK_STR_EQ(last_auth, "Bearer tok-1");
    CHECK_STR_EQ(last_accept, "application/json");

    T_CASE("404 with a Status");
    CHECK_INT_EQ(kube_get(c, &cm_res, "ns", "x", &obj, &err), SNUG_ERR_NOT_FOUND);
    CHECK(obj == NULL);
    CHECK_STR_EQ(err.msg, "GET /api/v1/namespaces/ns/configmaps/x: HTTP 404: configmaps \"x\" "
                          "not found (NotFound)");
    T_CASE("503 with HTML");
    CHECK_INT_EQ(kube_get(c, &cm_res, "ns", "boom", &obj, &err), SNUG_ERR_HTTP);
    CHECK_STR_CONTAINS(err.msg, "HTTP 503: <html>upstream down</html>");
    T_CASE("not JSON");
    CHECK_INT_EQ(kube_get(c, &cm_res, "ns", "garbage", &obj, &err), SNUG_ERR_PARSE);
    CHECK_STR_CONTAINS(err.msg, "response is not JSON");
    T_CASE("response bigger than allowed");
    CHECK_INT_EQ(kube_request(c, "GET", "/big", NULL, NULL, 5, &obj, &err), SNUG_ERR_TOO_BIG);
    T_CASE("escaping reaches the wire");
    CHECK_INT_EQ(kube_get(c, &cm_res, "n s", "a/b", &obj, &err), SNUG_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(dynbuf_str(&srv.log), "GET /api/v1/namespaces/n%20s/configmaps/a%2Fb\n");
    kube_client_free(c);
out:
    srv_stop(&srv);

    T_CASE("nobody listening");
    srv_start(&srv, get_handler);
    c = make_client(&srv, NULL);
    srv_stop(&srv);
    if (c != NULL) {
        CHECK_INT_EQ(kube_get(c, &cm_res, "ns", "a", &obj, &err), SNUG_ERR_IO);
        CHECK_STR_CONTAINS(err.msg, "GET http://127.0.0.1:");
    }
    kube_client_free(c);
}

/* ---- 401 and token rotation ----------------------------------------------------------- */

static void auth_handler(fake_server *srv, const fake_req *rq, int fd)
{
    (void)srv;
    if (strcmp(rq->auth, "Bearer tok-2") == 0)
        reply(fd, 200, "{\"metadata\":{\"name\":\"a\"}}");
    else
        reply_status(fd, 401, "Unauthorized", "Unauthorized");
}

static void test_token_rotation_on_401(void)
{
    fake_server srv;
    kube_client *c;
    cJSON *obj = NULL;
    snug_err err;

    srv_start(&srv, auth_handler);
    write_token("tok-1");
    c = make_client(&srv, NULL);
    if (c != NULL) {
        write_token("tok-2"); /* rotated on disk, client still holds tok-1 */
        CHECK_INT_EQ(kube_get(c, &cm_res, "ns", "a", &obj, &err), SNUG_OK);
        CHECK_INT_EQ(srv_nreq(&srv), 2); /* 401, then the retry with tok-2 */
        cJSON_Delete(obj);

        T_CASE("a token that stays bad");
        write_token("tok-bad");
        kube_config_token_invalidate(kube_client_config(c));
        CHECK_INT_EQ(kube_get(c, &cm_res, "ns", "a", &obj, &err), SNUG_ERR_UNAUTHORIZED);
        CHECK_INT_EQ(srv_nreq(&srv), 3); /* no pointless retry */
        CHECK_STR_CONTAINS(err.msg, "HTTP 401: Unauthorized (Unauthorized)");
    }
    kube_client_free(c);
    srv_stop(&srv);
}

/* ---- list pagination -------------------------------------------------------------------- */

static void list_handler(fake_server *srv, const fake_req *rq, int fd)
{
    (void)srv;
    if (strstr(rq->path, "continue=expired") != NULL) {
        reply_status(fd, 410, "Expired", "The provided continue parameter is too old");
    } else if (strstr(rq->path, "continue=p3") != NULL) {
        reply(fd, 200,
              "{\"kind\":\"ConfigMapList\",\"metadata\":{\"resourceVersion\":\"50\"},"
              "\"items\":[{\"metadata\":{\"name\":\"g\"}}]}");
    } else if (strstr(rq->path, "continue=p2") != NULL) {
        reply(fd, 200,
              "{\"kind\":\"ConfigMapList\",\"metadata\":{\"resourceVersion\":\"50\","
              "\"continue\":\"p3\"},\"items\":[{\"metadata\":{\"name\":\"d\"}},"
              "{\"metadata\":{\"name\":\"e\"}},{\"metadata\":{\"name\":\"f\"}}]}");
    } else if (strstr(rq->path, "labelSelector=gone") != NULL) {
        reply(fd, 200, "{\"metadata\":{\"continue\":\"expired\"},\"items\":[]}");
    } else if (strstr(rq->path, "labelSelector=empty") != NULL) {
        reply(fd, 200, "{\"kind\":\"ConfigMapList\",\"metadata\":{},\"items\":null}");
    } else {
        reply(fd, 200,
              "{\"kind\":\"ConfigMapList\",\"metadata\":{\"resourceVersion\":\"50\","
              "\"continue\":\"p2\"},\"items\":[{\"metadata\":{\"name\":\"a\"}},"
              "{\"metadata\":{\"name\":\"b\"}},{\"metadata\":{\"name\":\"c\"}}]}");
    }
}

static void test_list_pagination(void)
{
    fake_server srv;
    kube_client *c;
    kube_list_opts lo;
    cJSON *list = NULL;
    const cJSON *it;
    dynbuf names;
    size_t pages = 0;
    snug_err err;

    srv_start(&srv, list_handler);
    write_token("tok");
    c = make_client(&srv, NULL);
    memset(&lo, 0, sizeof(lo));
    lo.limit = 3;
    lo.label_selector = "app in (x,y)";
    dynbuf_init(&names, 1024);
    if (c == NULL)
        goto out;
    CHECK_INT_EQ(kube_list(c, &cm_res, "ns", &lo, &list, &pages, &err), SNUG_OK);
    CHECK_INT_EQ(pages, 3);
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(list, "items"))
        dynbuf_addstr(&names, kube_obj_name(it));
    CHECK_STR_EQ(dynbuf_str(&names), "abcdefg");
    CHECK_STR_EQ(kube_obj_resource_version(list), "50");
    CHECK(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(list, "metadata"),
                                           "continue") == NULL);
    cJSON_Delete(list);
    CHECK_STR_CONTAINS(dynbuf_str(&srv.log),
                       "GET /api/v1/namespaces/ns/configmaps?labelSelector=app%20in%20%28x%2Cy%29"
                       "&limit=3\n");
    CHECK_STR_CONTAINS(dynbuf_str(&srv.log), "&limit=3&continue=p3\n");

    T_CASE("expired continue token");
    lo.label_selector = "gone";
    CHECK_INT_EQ(kube_list(c, &cm_res, "ns", &lo, &list, &pages, &err), SNUG_ERR_GONE);
    CHECK(list == NULL);
    CHECK_STR_CONTAINS(err.msg, "continue parameter is too old (Expired)");

    T_CASE("items: null");
    lo.label_selector = "empty";
    CHECK_INT_EQ(kube_list(c, &cm_res, NULL, &lo, &list, NULL, &err), SNUG_OK);
    CHECK(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(list, "items")));
    cJSON_Delete(list);
out:
    dynbuf_free(&names);
    kube_client_free(c);
    srv_stop(&srv);
}

/* ---- watch ---------------------------------------------------------------------------- */

static const char watch_stream[] =
    "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"6\"}}}\n"
    "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"7\"},"
    "\"data\":{\"k\":\"v\\nw\"}}}\n"
    "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"8\"}}}\n"
    "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"9\"}}}\n"
    "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":"
    "\"Failure\",\"message\":\"too old resource version: 5 (9)\",\"reason\":\"Expired\","
    "\"code\":410}}\n";

static int watch_chunk_size; /* 0: random */

static void watch_handler(fake_server *srv, const fake_req *rq, int fd)
{
    size_t len = strlen(watch_stream);
    size_t pos = 0;
    unsigned seed = 7;

    if (strstr(rq->path, "resourceVersion=old") != NULL) {
        reply_status(fd, 410, "Expired", "too old resource version");
        return;
    }
    if (strstr(rq->path, "resourceVersion=hang") != NULL) {
        chunked_head(fd);
        chunk(fd, watch_stream, strcspn(watch_stream, "\n") + 1); /* one ADDED */
        hang(srv, fd);
        return;
    }
    chunked_head(fd);
    while (pos < len) {
        size_t n = watch_chunk_size ? (size_t)watch_chunk_size : 1 + (size_t)rand_r(&seed) % 23;

        if (n > len - pos)
            n = len - pos;
        chunk(fd, watch_stream + pos, n);
        pos += n;
    }
    chunked_end(fd);
}

typedef struct watch_seen {
    dynbuf log;
    int stop_after;
    int n;
} watch_seen;

static int watch_cb(kube_watch_type type, cJSON **object, void *ud)
{
    watch_seen *w = ud;
    const char *rv = kube_obj_resource_version(*object);

    dynbuf_printf(&w->log, "%s@%s;", kube_watch_type_str(type), rv ? rv : "-");
    if (type == KUBE_WATCH_ADDED) { /* take ownership of one object */
        cJSON_Delete(*object);
        *object = NULL;
    }
    w->n++;
    return w->stop_after > 0 && w->n >= w->stop_after;
}

static void test_watch_stream(void)
{
    static const int sizes[] = {1, 2, 5, 0, 4096};
    fake_server srv;
    kube_client *c;
    kube_watch_opts wo;
    watch_seen w;
    snug_err err;
    size_t i;

    srv_start(&srv, watch_handler);
    write_token("tok");
    c = make_client(&srv, NULL);
    memset(&wo, 0, sizeof(wo));
    wo.resource_version = "5";
    wo.timeout_seconds = 30;
    wo.label_selector = "a=b";
    dynbuf_init(&w.log, 4096);
    for (i = 0; c != NULL && i < ARRAY_LEN(sizes); i++) {
        T_CASE("chunks of %d", sizes[i]);
        watch_chunk_size = sizes[i];
        dynbuf_reset(&w.log);
        w.n = 0;
        w.stop_after = 0;
        CHECK_INT_EQ(kube_watch(c, &cm_res, "ns", &wo, watch_cb, &w, &err), SNUG_ERR_GONE);
        CHECK_STR_EQ(dynbuf_str(&w.log), "ADDED@6;MODIFIED@7;BOOKMARK@8;DELETED@9;");
        CHECK_STR_CONTAINS(err.msg, "HTTP 410: too old resource version: 5 (9) (Expired)");
    }
    CHECK_STR_CONTAINS(dynbuf_str(&srv.log),
                       "GET /api/v1/namespaces/ns/configmaps?watch=true&allowWatchBookmarks=true"
                       "&labelSelector=a%3Db&resourceVersion=5&timeoutSeconds=30\n");

    T_CASE("the callback ends the watch");
    dynbuf_reset(&w.log);
    w.n = 0;
    w.stop_after = 2;
    CHECK_INT_EQ(kube_watch(c, &cm_res, "ns", &wo, watch_cb, &w, &err), SNUG_OK);
    CHECK_STR_EQ(dynbuf_str(&w.log), "ADDED@6;MODIFIED@7;");

    T_CASE("HTTP 410 for the watch itself");
    wo.resource_version = "old";
    w.stop_after = 0;
    CHECK_INT_EQ(kube_watch(c, &cm_res, "ns", &wo, watch_cb, &w, &err), SNUG_ERR_GONE);
    CHECK_STR_CONTAINS(err.msg, "HTTP 410: too old resource version (Expired)");
    dynbuf_free(&w.log);
    kube_client_free(c);
    srv_stop(&srv);
}

typedef struct abort_arg {
    int *flag;
    long after_ms;
} abort_arg;

static void *set_flag_later(void *p)
{
    abort_arg *a = p;

    kube_sleep_ms(a->after_ms, NULL);
    __atomic_store_n(a->flag, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void test_watch_abort(void)
{
    fake_server srv;
    kube_client *c;
    kube_watch_opts wo;
    watch_seen w;
    snug_err err;
    int flag = 0;
    abort_arg a = {&flag, 300};
    pthread_t th;
    int64_t t0;

    srv_start(&srv, watch_handler);
    write_token("tok");
    c = make_client(&srv, NULL);
    memset(&wo, 0, sizeof(wo));
    wo.resource_version = "hang";
    memset(&w, 0, sizeof(w));
    dynbuf_init(&w.log, 4096);
    if (c != NULL) {
        kube_client_set_abort(c, &flag);
        pthread_create(&th, NULL, set_flag_later, &a);
        t0 = kube_mono_ms();
        CHECK_INT_EQ(kube_watch(c, &cm_res, NULL, &wo, watch_cb, &w, &err), SNUG_ERR_IO);
        CHECK(kube_mono_ms() - t0 < 2500); /* the progress callback runs about once a second */
        CHECK_STR_CONTAINS(err.msg, "aborted");
        CHECK_STR_EQ(dynbuf_str(&w.log), "ADDED@6;");
        pthread_join(th, NULL);
        T_CASE("requests refused while the flag is up");
        CHECK_INT_EQ(kube_get(c, &cm_res, "ns", "a", NULL, &err), SNUG_ERR_IO);
        CHECK_STR_CONTAINS(err.msg, "aborted");
    }
    dynbuf_free(&w.log);
    kube_client_free(c);
    srv_stop(&srv);
}

/* ---- writes --------------------------------------------------------------------------- */

static dynbuf write_log;

static void write_handler(fake_server *srv, const fake_req *rq, int fd)
{
    pthread_mutex_lock(&srv->lock);
    dynbuf_printf(&write_log, "%s %s [%s] %s\n", rq->method, rq->path, rq->content_type,
                  rq->body ? rq->body : "");
    pthread_mutex_unlock(&srv->lock);
    if (strcmp(rq->method, "DELETE") == 0 && strstr(rq->path, "/missing") != NULL)
        reply_status(fd, 404, "NotFound", "gone already");
    else if (strstr(rq->path, "/conflict") != NULL)
        reply_status(fd, 409, "Conflict", "the object has been modified");
    else if (strstr(rq->path, "/invalid") != NULL)
        reply_status(fd, 422, "Invalid", "spec.x: Invalid value");
    else
        reply(fd, strcmp(rq->method, "POST") == 0 ? 201 : 200, "{\"metadata\":{\"name\":\"r\"}}");
}

static void test_writes(void)
{
    static const kube_resource recs = {"snug.dev", "v1alpha1", "recommendations"};
    fake_server srv;
    kube_client *c;
    kube_write_opts wo;
    cJSON *obj = cJSON_Parse("{\"apiVersion\":\"snug.dev/v1alpha1\",\"kind\":\"Recommendation\","
                             "\"metadata\":{\"name\":\"deployment-web\",\"namespace\":\"team-a\"},"
                             "\"status\":{\"confidence\":0.5}}");
    cJSON *out = NULL;
    snug_err err;
    kube_event ev;

    dynbuf_init(&write_log, 1 << 16);
    srv_start(&srv, write_handler);
    write_token("tok");
    c = make_client(&srv, NULL);
    memset(&wo, 0, sizeof(wo));
    if (c == NULL)
        goto out;
    T_CASE("apply without a field manager");
    CHECK_INT_EQ(kube_apply(c, &recs, NULL, NULL, obj, &wo, &out, &err), SNUG_ERR_INVALID);
    CHECK_STR_CONTAINS(err.msg, "fieldManager is required");

    T_CASE("status apply");
    wo.field_manager = "snug-controller";
    wo.force = 1;
    wo.subresource = "status";
    CHECK_INT_EQ(kube_apply(c, &recs, NULL, NULL, obj, &wo, &out, &err), SNUG_OK);
    CHECK_STR_EQ(kube_obj_name(out), "r");
    cJSON_Delete(out);
    CHECK_STR_CONTAINS(dynbuf_str(&write_log),
                       "PATCH /apis/snug.dev/v1alpha1/namespaces/team-a/recommendations/"
                       "deployment-web/status?fieldManager=snug-controller&force=true "
                       "[application/apply-patch+yaml] {\"apiVersion\":\"snug.dev/v1alpha1\"");

    T_CASE("json patch");
    memset(&wo, 0, sizeof(wo));
    CHECK_INT_EQ(kube_patch(c, &cm_res, "ns", "cm", KUBE_PATCH_JSON,
                            "[{\"op\":\"add\",\"path\":\"/data/x\",\"value\":\"1\"}]", &wo, NULL,
                            &err),
                 SNUG_OK);
    CHECK_STR_CONTAINS(dynbuf_str(&write_log),
                       "PATCH /api/v1/namespaces/ns/configmaps/cm [application/json-patch+json] "
                       "[{\"op\":\"add\"");
    CHECK_INT_EQ(kube_patch(c, &cm_res, "ns", "cm", KUBE_PATCH_MERGE, "{}", NULL, NULL, &err),
                 SNUG_OK);
    CHECK_STR_CONTAINS(dynbuf_str(&write_log), "[application/merge-patch+json] {}\n");

    T_CASE("create, update, delete");
    wo.dry_run = 1;
    CHECK_INT_EQ(kube_create(c, &recs, NULL, obj, &wo, NULL, &err), SNUG_OK);
    CHECK_STR_CONTAINS(dynbuf_str(&write_log),
                       "POST /apis/snug.dev/v1alpha1/namespaces/team-a/recommendations?dryRun=All "
                       "[application/json]");
    CHECK_INT_EQ(kube_update(c, &recs, NULL, "conflict", obj, NULL, NULL, &err), SNUG_ERR_CONFLICT);
    CHECK_STR_CONTAINS(err.msg, "PUT /apis/snug.dev/v1alpha1/namespaces/team-a/recommendations/"
                                "conflict: HTTP 409: the object has been modified (Conflict)");
    CHECK_INT_EQ(kube_update(c, &recs, NULL, "invalid", obj, NULL, NULL, &err), SNUG_ERR_INVALID);
    CHECK_INT_EQ(kube_delete(c, &cm_res, "ns", "cm", &err), SNUG_OK);
    CHECK_INT_EQ(kube_delete(c, &cm_res, "ns", "missing", &err), SNUG_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(dynbuf_str(&write_log), "DELETE /api/v1/namespaces/ns/configmaps/cm "
                                               "[application/json] {\"kind\":\"DeleteOptions\"");

    T_CASE("event");
    memset(&ev, 0, sizeof(ev));
    ev.reporting_controller = "snug.dev/controller";
    ev.reporting_instance = "test";
    ev.action = "Recommend";
    ev.reason = "Updated";
    kube_objref_from_object(obj, &ev.regarding);
    CHECK_INT_EQ(kube_event_create(c, &ev, NULL, &err), SNUG_OK);
    CHECK_STR_CONTAINS(dynbuf_str(&write_log),
                       "POST /apis/events.k8s.io/v1/namespaces/team-a/events [application/json] "
                       "{\"apiVersion\":\"events.k8s.io/v1\",\"kind\":\"Event\",\"metadata\":"
                       "{\"name\":\"deployment-web.");
out:
    cJSON_Delete(obj);
    kube_client_free(c);
    srv_stop(&srv);
    dynbuf_free(&write_log);
}

/* ---- rate limit ----------------------------------------------------------------------- */

static void test_rate_limit(void)
{
    fake_server srv;
    kube_client *c;
    kube_client_opts o;
    int64_t t0;
    int i;

    memset(&o, 0, sizeof(o));
    o.qps = 10;
    o.burst = 2;
    srv_start(&srv, get_handler);
    write_token("tok");
    c = make_client(&srv, &o);
    t0 = kube_mono_ms();
    for (i = 0; c != NULL && i < 6; i++)
        CHECK_INT_EQ(kube_get(c, &cm_res, "ns", "a", NULL, NULL), SNUG_OK);
    /* 2 at once, then 4 more at 10/s */
    CHECK(kube_mono_ms() - t0 >= 380);
    kube_client_free(c);
    srv_stop(&srv);
}

/* ---- informer --------------------------------------------------------------------------- */

static int inf_lists;
static int inf_watches;

static void informer_handler(fake_server *srv, const fake_req *rq, int fd)
{
    int lists;
    int watches;

    pthread_mutex_lock(&srv->lock);
    if (strstr(rq->path, "watch=true") != NULL)
        inf_watches++;
    else
        inf_lists++;
    lists = inf_lists;
    watches = inf_watches;
    pthread_mutex_unlock(&srv->lock);
    if (strstr(rq->path, "watch=true") == NULL) {
        if (lists == 1)
            reply(fd, 200,
                  "{\"metadata\":{\"resourceVersion\":\"10\"},\"items\":["
                  "{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\","
                  "\"resourceVersion\":\"3\"}},{\"metadata\":{\"name\":\"b\","
                  "\"namespace\":\"n\",\"resourceVersion\":\"4\"}}]}");
        else /* relist: b is gone, c and a changed */
            reply(fd, 200,
                  "{\"metadata\":{\"resourceVersion\":\"30\"},\"items\":["
                  "{\"metadata\":{\"name\":\"a\",\"namespace\":\"n\","
                  "\"resourceVersion\":\"25\"}},{\"metadata\":{\"name\":\"c\","
                  "\"namespace\":\"n\",\"resourceVersion\":\"11\"}}]}");
        return;
    }
    chunked_head(fd);
    if (watches == 1 && strstr(rq->path, "resourceVersion=10&") != NULL) {
        static const char ev[] =
            "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"c\",\"namespace\":\"n\","
            "\"resourceVersion\":\"11\"}}}\n"
            "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"12\"}}}\n";
        chunk(fd, ev, sizeof(ev) - 1);
        chunked_end(fd); /* server-side timeout: the informer resumes from 12 */
    } else if (watches == 2 && strstr(rq->path, "resourceVersion=12&") != NULL) {
        static const char gone[] =
            "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"message\":"
            "\"too old\",\"reason\":\"Expired\"}}\n";
        chunk(fd, gone, sizeof(gone) - 1);
        chunked_end(fd);
    } else {
        hang(srv, fd); /* steady state */
    }
}

static dynbuf inf_events;
static pthread_mutex_t inf_events_lock = PTHREAD_MUTEX_INITIALIZER;

static void inf_note(const char *what, const cJSON *o)
{
    pthread_mutex_lock(&inf_events_lock);
    dynbuf_printf(&inf_events, "%s %s@%s;", what, kube_obj_name(o), kube_obj_resource_version(o));
    pthread_mutex_unlock(&inf_events_lock);
}

static void inf_add(const cJSON *o, void *ud)
{
    (void)ud;
    inf_note("add", o);
}

static void inf_update(const cJSON *old_obj, const cJSON *new_obj, void *ud)
{
    (void)ud;
    (void)old_obj;
    inf_note("update", new_obj);
}

static void inf_delete(const cJSON *o, void *ud)
{
    (void)ud;
    inf_note("delete", o);
}

static int inf_event_log_has(const char *needle)
{
    int found;

    pthread_mutex_lock(&inf_events_lock);
    found = strstr(dynbuf_str(&inf_events), needle) != NULL;
    pthread_mutex_unlock(&inf_events_lock);
    return found;
}

static void test_informer(void)
{
    fake_server srv;
    kube_client *c;
    kube_informer_opts io;
    kube_informer *inf = NULL;
    kube_informer_stats stats;
    cJSON *got;
    char *rv;
    int64_t t0;
    int i;

    dynbuf_init(&inf_events, 1 << 16);
    srv_start(&srv, informer_handler);
    write_token("tok");
    c = make_client(&srv, NULL);
    memset(&io, 0, sizeof(io));
    io.resource = cm_res;
    io.ns = "n";
    io.backoff_min_ms = 20;
    io.handlers.on_add = inf_add;
    io.handlers.on_update = inf_update;
    io.handlers.on_delete = inf_delete;
    if (c == NULL)
        goto out;
    CHECK_INT_EQ(kube_informer_new(c, &io, &inf, NULL), SNUG_OK);
    CHECK_INT_EQ(kube_informer_start(inf, NULL), SNUG_OK);
    CHECK(kube_informer_wait_synced(inf, 5000));
    for (i = 0; i < 250 && !inf_event_log_has("delete b@4;"); i++)
        kube_sleep_ms(20, NULL);
    CHECK_STR_EQ(dynbuf_str(&inf_events), "add a@3;add b@4;add c@11;update a@25;delete b@4;");
    CHECK_INT_EQ(kube_informer_size(inf), 2);
    got = kube_informer_get(inf, "n", "a");
    CHECK_STR_EQ(kube_obj_resource_version(got), "25");
    cJSON_Delete(got);
    CHECK(kube_informer_get(inf, "n", "b") == NULL);
    got = kube_informer_list(inf);
    CHECK_INT_EQ(cJSON_GetArraySize(got), 2);
    cJSON_Delete(got);
    for (i = 0; i < 250 && inf_watches < 3; i++)
        kube_sleep_ms(20, NULL);
    rv = kube_informer_resource_version(inf);
    CHECK_STR_EQ(rv, "30");
    free(rv);
    CHECK_STR_CONTAINS(dynbuf_str(&srv.log), "resourceVersion=30&timeoutSeconds=");
    kube_informer_get_stats(inf, &stats);
    CHECK_INT_EQ(stats.lists, 2);
    CHECK_INT_EQ(stats.gone, 1);

    T_CASE("stop while the watch hangs");
    t0 = kube_mono_ms();
    kube_informer_stop(inf);
    CHECK(kube_mono_ms() - t0 < 2500);
    CHECK_INT_EQ(kube_informer_size(inf), 2); /* the store survives a stop */
    kube_informer_free(inf);
out:
    kube_client_free(c);
    srv_stop(&srv);
    dynbuf_free(&inf_events);
}

/* ---- lease -------------------------------------------------------------------------------- */

/* An in-memory Lease endpoint with resourceVersion checks. */
static cJSON *lease_obj;
static int lease_rv;

static void lease_store(fake_server *srv, cJSON *obj, int fd, int code)
{
    char rv[16];
    char *body;

    (void)srv;
    snprintf(rv, sizeof(rv), "%d", ++lease_rv);
    cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"),
                                            "resourceVersion");
    cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "resourceVersion",
                            rv);
    cJSON_Delete(lease_obj);
    lease_obj = obj;
    body = cJSON_PrintUnformatted(obj);
    reply(fd, code, body);
    free(body);
}

static void lease_handler(fake_server *srv, const fake_req *rq, int fd)
{
    cJSON *obj = rq->body && rq->body[0] ? cJSON_Parse(rq->body) : NULL;
    char *body;

    pthread_mutex_lock(&srv->lock);
    if (strcmp(rq->method, "GET") == 0) {
        if (lease_obj == NULL) {
            reply_status(fd, 404, "NotFound", "leases not found");
        } else {
            body = cJSON_PrintUnformatted(lease_obj);
            reply(fd, 200, body);
            free(body);
        }
    } else if (strcmp(rq->method, "POST") == 0) {
        if (lease_obj != NULL) {
            reply_status(fd, 409, "AlreadyExists", "already exists");
        } else {
            lease_store(srv, obj, fd, 201);
            obj = NULL; /* stored */
        }
    } else if (strcmp(rq->method, "PUT") == 0) {
        const char *rv = kube_obj_resource_version(obj);
        if (lease_obj == NULL || rv == NULL || atoi(rv) != lease_rv) {
            reply_status(fd, 409, "Conflict", "the object has been modified");
        } else {
            lease_store(srv, obj, fd, 200);
            obj = NULL; /* stored */
        }
    }
    pthread_mutex_unlock(&srv->lock);
    cJSON_Delete(obj);
}

typedef struct leader_state {
    int started;
    int stopped;
} leader_state;

static void on_started(void *ud)
{
    __atomic_add_fetch(&((leader_state *)ud)->started, 1, __ATOMIC_RELAXED);
}

static void on_stopped(void *ud)
{
    __atomic_add_fetch(&((leader_state *)ud)->stopped, 1, __ATOMIC_RELAXED);
}

static const char *lease_holder(fake_server *srv, long *transitions)
{
    static char holder[64];
    const cJSON *spec;

    pthread_mutex_lock(&srv->lock);
    spec = cJSON_GetObjectItemCaseSensitive(lease_obj, "spec");
    snprintf(holder, sizeof(holder), "%s",
             kube_json_str(spec, "holderIdentity") ? kube_json_str(spec, "holderIdentity")
                                                   : "(none)");
    *transitions =
        (long)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(spec, "leaseTransitions"));
    pthread_mutex_unlock(&srv->lock);
    return holder;
}

static void test_lease(void)
{
    fake_server srv;
    kube_client *c;
    kube_lease_opts o;
    kube_lease *la = NULL;
    kube_lease *lb = NULL;
    leader_state sa = {0, 0};
    leader_state sb = {0, 0};
    long transitions = -1;
    int64_t t0;
    int i;

    lease_obj = NULL;
    lease_rv = 100;
    srv_start(&srv, lease_handler);
    write_token("tok");
    c = make_client(&srv, NULL);
    if (c == NULL)
        goto out;
    memset(&o, 0, sizeof(o));
    o.ns = "kube-system";
    o.name = "snug";
    o.lease_duration_ms = 2000;
    o.renew_deadline_ms = 1500;
    o.retry_period_ms = 200;
    o.on_started_leading = on_started;
    o.on_stopped_leading = on_stopped;
    o.identity = "a";
    o.ud = &sa;
    CHECK_INT_EQ(kube_lease_new(c, &o, &la, NULL), SNUG_OK);
    o.identity = "b";
    o.ud = &sb;
    CHECK_INT_EQ(kube_lease_new(c, &o, &lb, NULL), SNUG_OK);
    CHECK_INT_EQ(kube_lease_start(la, NULL), SNUG_OK);
    for (i = 0; i < 100 && !kube_lease_is_leader(la); i++)
        kube_sleep_ms(20, NULL);
    CHECK(kube_lease_is_leader(la));
    CHECK_INT_EQ(kube_lease_start(lb, NULL), SNUG_OK);
    kube_sleep_ms(2600, NULL); /* > lease duration: b must still wait, a renews */
    CHECK(kube_lease_is_leader(la));
    CHECK(!kube_lease_is_leader(lb));
    CHECK_STR_EQ(lease_holder(&srv, &transitions), "a");
    CHECK_INT_EQ(transitions, 0);

    T_CASE("clean stop releases: b takes over within a few retry periods");
    t0 = kube_mono_ms();
    kube_lease_stop(la);
    CHECK_INT_EQ(sa.started, 1);
    CHECK_INT_EQ(sa.stopped, 1);
    for (i = 0; i < 200 && !kube_lease_is_leader(lb); i++)
        kube_sleep_ms(10, NULL);
    CHECK(kube_lease_is_leader(lb));
    CHECK(kube_mono_ms() - t0 < 1500); /* not a whole lease duration */
    CHECK_STR_EQ(lease_holder(&srv, &transitions), "b");
    CHECK_INT_EQ(transitions, 1);

    T_CASE("a comes back and waits");
    CHECK_INT_EQ(kube_lease_start(la, NULL), SNUG_OK);
    kube_sleep_ms(800, NULL);
    CHECK(!kube_lease_is_leader(la));
    CHECK(kube_lease_is_leader(lb));
    kube_lease_free(lb);
    lb = NULL;
    CHECK_INT_EQ(sb.stopped, 1);
    for (i = 0; i < 200 && !kube_lease_is_leader(la); i++)
        kube_sleep_ms(10, NULL);
    CHECK(kube_lease_is_leader(la));
    CHECK_INT_EQ(sa.started, 2);
out:
    kube_lease_free(la);
    kube_lease_free(lb);
    kube_client_free(c);
    srv_stop(&srv);
    cJSON_Delete(lease_obj);
    lease_obj = NULL;
}

int main(void)
{
    char tmpl[] = "/tmp/snug-kubeclient-XXXXXX";
    int rc;

    log_set_level(LOG_OFF);
    if (mkdtemp(tmpl) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(tmpdir, sizeof(tmpdir), "%s", tmpl);
    snprintf(token_path, sizeof(token_path), "%s/token", tmpdir);
    write_token("tok");
    RUN(test_get_and_errors);
    RUN(test_token_rotation_on_401);
    RUN(test_list_pagination);
    RUN(test_watch_stream);
    RUN(test_watch_abort);
    RUN(test_writes);
    RUN(test_rate_limit);
    RUN(test_informer);
    RUN(test_lease);
    rc = TEST_DONE();
    unlink(token_path);
    rmdir(tmpdir);
    return rc;
}

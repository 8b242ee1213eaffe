/* Unit tests for metrics_http: a real listener on 127.0.0.1 (port 0), fetched
 * with plain sockets: /metrics, /healthz and /readyz flipping, 404, 405,
 * HEAD, refused bodies, oversized headers, the output bound, start failures,
 * and metrics_http_parse_listen. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "base/log.h"
#include "metrics/metrics.h"
#include "metrics/metrics_http.h"
#include "test.h"

/* ---- a tiny HTTP/1.1 client ---------------------------------------------------- */

typedef struct http_answer {
    int status; /* 0: no answer */
    char head[4096];
    char body[65536];
    size_t body_len;
} http_answer;

static int connect_loopback(uint16_t port)
{
    struct sockaddr_in sa;
    struct timeval tv = {.tv_sec = 5};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static bool send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Read until EOF (the request says Connection: close) into buf. */
static size_t recv_all(int fd, char *buf, size_t cap)
{
    size_t n = 0;

    while (n + 1 < cap) {
        ssize_t r = recv(fd, buf + n, cap - 1 - n, 0);

        if (r <= 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    return n;
}

static void parse_answer(const char *raw, size_t n, http_answer *a)
{
    const char *end = strstr(raw, "\r\n\r\n");
    size_t head_len;

    if (sscanf(raw, "HTTP/1.%*d %d", &a->status) != 1 || end == NULL) {
        a->status = 0;
        return;
    }
    head_len = (size_t)(end - raw) + 2;
    snprintf(a->head, sizeof(a->head), "%.*s", (int)head_len, raw);
    a->body_len = n - head_len - 2;
    memcpy(a->body, end + 4, a->body_len);
    a->body[a->body_len] = '\0';
}

/* Send `request` as is and read the whole answer. */
static void http_raw(uint16_t port, const char *request, size_t len, http_answer *a)
{
    size_t cap = sizeof(a->head) + sizeof(a->body), n;
    char *raw = malloc(cap);
    int fd = connect_loopback(port);

    memset(a, 0, sizeof(*a));
    if (fd >= 0 && raw != NULL && send_all(fd, request, len)) {
        n = recv_all(fd, raw, cap);
        parse_answer(raw, n, a);
    }
    if (fd >= 0)
        close(fd);
    free(raw);
}

static void http_do(uint16_t port, const char *method, const char *path, const char *extra,
                    http_answer *a)
{
    char req[2048];

    snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%sConnection: close\r\n\r\n",
             method, path, extra ? extra : "");
    http_raw(port, req, strlen(req), a);
}

/* The value of header `name` (case-sensitive as libmicrohttpd writes it). */
static const char *header_value(const http_answer *a, const char *name, char *out, size_t cap)
{
    char key[128];
    const char *p;

    snprintf(key, sizeof(key), "\r\n%s: ", name);
    p = strstr(a->head, key);
    if (p == NULL)
        return NULL;
    p += strlen(key);
    snprintf(out, cap, "%.*s", (int)strcspn(p, "\r\n"), p);
    return out;
}

/* ---- the listener under test --------------------------------------------------- */

typedef struct checks {
    int healthy; /* atomic */
    int ready;   /* atomic */
    const char *reason;
    int calls; /* atomic */
} checks;

static bool check_healthy(void *ud, char *reason, size_t cap)
{
    checks *c = ud;

    __atomic_add_fetch(&c->calls, 1, __ATOMIC_RELAXED);
    if (__atomic_load_n(&c->healthy, __ATOMIC_ACQUIRE))
        return true;
    snprintf(reason, cap, "%s", c->reason);
    return false;
}

static bool check_ready(void *ud, char *reason, size_t cap)
{
    checks *c = ud;

    if (__atomic_load_n(&c->ready, __ATOMIC_ACQUIRE))
        return true;
    snprintf(reason, cap, "%s", c->reason);
    return false;
}

/* A check that writes its whole buffer, unterminated. */
static bool check_fills(void *ud, char *reason, size_t cap)
{
    (void)ud;
    memset(reason, 'x', cap);
    return false;
}

static metrics_registry *test_registry(void)
{
    metrics_registry *r = metrics_registry_new(0);
    metrics_family *f = NULL;
    snug_err err;

    if (metrics_register(r, METRICS_COUNTER,
                         &(metrics_opts){.name = "demo_requests_total", .help = "Demo."}, &f,
                         &err) != SNUG_OK)
        T_FAIL("register: %s", err.msg);
    metrics_counter_add(metrics_child_get(f, NULL), 3);
    return r;
}

static metrics_http *start_or_fail(metrics_http_opts o)
{
    metrics_http *h = NULL;
    snug_err err;

    snug_err_clear(&err);
    if (metrics_http_start(&o, &h, &err) != SNUG_OK)
        T_FAIL("metrics_http_start: %s", err.msg);
    return h;
}

static void test_metrics_endpoint(void)
{
    metrics_registry *r = test_registry();
    metrics_http *h = start_or_fail((metrics_http_opts){.address = "127.0.0.1", .registry = r});
    http_answer a;
    metrics_family *late = NULL;
    snug_err err;
    char v[256];
    uint16_t port;

    if (h == NULL)
        goto out;
    port = metrics_http_port(h);
    CHECK(port != 0);
    T_CASE("GET /metrics");
    http_do(port, "GET", "/metrics", NULL, &a);
    CHECK_INT_EQ(a.status, 200);
    CHECK_STR_EQ(header_value(&a, "Content-Type", v, sizeof(v)), METRICS_CONTENT_TYPE);
    CHECK_STR_CONTAINS(a.body, "# TYPE demo_requests_total counter\n");
    CHECK_STR_CONTAINS(a.body, "\ndemo_requests_total 3\n");
    T_CASE("GET /metrics?debug=1: the query is ignored");
    http_do(port, "GET", "/metrics?debug=1", NULL, &a);
    CHECK_INT_EQ(a.status, 200);
    CHECK_STR_CONTAINS(a.body, "demo_requests_total 3");
    T_CASE("HEAD /metrics: headers, no body");
    http_do(port, "HEAD", "/metrics", NULL, &a);
    CHECK_INT_EQ(a.status, 200);
    CHECK_INT_EQ(a.body_len, 0);
    CHECK(header_value(&a, "Content-Length", v, sizeof(v)) != NULL && atoi(v) > 0);
    T_CASE("a scrape sees families and values added later");
    if (metrics_register(r, METRICS_GAUGE, &(metrics_opts){.name = "demo_late"}, &late, &err) !=
        SNUG_OK)
        T_FAIL("register: %s", err.msg);
    metrics_gauge_set(metrics_child_get(late, NULL), 7.5);
    http_do(port, "GET", "/metrics", NULL, &a);
    CHECK_STR_CONTAINS(a.body, "\ndemo_late 7.5\n");
    T_CASE("checks NULL: always ok");
    http_do(port, "GET", "/healthz", NULL, &a);
    CHECK_INT_EQ(a.status, 200);
    CHECK_STR_EQ(a.body, "ok\n");
    http_do(port, "GET", "/readyz", NULL, &a);
    CHECK_INT_EQ(a.status, 200);
    CHECK_STR_EQ(a.body, "ok\n");
out:
    metrics_http_stop(h);
    metrics_registry_free(r);
}

static void test_checks_flip(void)
{
    metrics_registry *r = test_registry();
    checks c = {.healthy = 1, .ready = 0, .reason = "caches not synced: pods\n"};
    metrics_http *h = start_or_fail((metrics_http_opts){.address = "127.0.0.1",
                                                        .registry = r,
                                                        .healthy = check_healthy,
                                                        .ready = check_ready,
                                                        .ud = &c});
    http_answer a;
    uint16_t port;

    if (h == NULL)
        goto out;
    port = metrics_http_port(h);
    T_CASE("healthy, not ready: the reason, its newline trimmed");
    http_do(port, "GET", "/healthz", NULL, &a);
    CHECK_INT_EQ(a.status, 200);
    CHECK_STR_EQ(a.body, "ok\n");
    http_do(port, "GET", "/readyz", NULL, &a);
    CHECK_INT_EQ(a.status, 503);
    CHECK_STR_EQ(a.body, "caches not synced: pods\n");
    T_CASE("ready");
    __atomic_store_n(&c.ready, 1, __ATOMIC_RELEASE);
    http_do(port, "GET", "/readyz", NULL, &a);
    CHECK_INT_EQ(a.status, 200);
    CHECK_STR_EQ(a.body, "ok\n");
    T_CASE("unhealthy without a reason");
    c.reason = "";
    __atomic_store_n(&c.healthy, 0, __ATOMIC_RELEASE);
    http_do(port, "GET", "/healthz", NULL, &a);
    CHECK_INT_EQ(a.status, 503);
    CHECK_STR_EQ(a.body, "not healthy\n");
    T_CASE("HEAD /healthz follows the check too");
    http_do(port, "HEAD", "/healthz", NULL, &a);
    CHECK_INT_EQ(a.status, 503);
    CHECK_INT_EQ(a.body_len, 0);
    T_CASE("healthy again");
    __atomic_store_n(&c.healthy, 1, __ATOMIC_RELEASE);
    http_do(port, "GET", "/healthz", NULL, &a);
    CHECK_INT_EQ(a.status, 200);
    CHECK_INT_EQ(__atomic_load_n(&c.calls, __ATOMIC_RELAXED), 4);
out:
    metrics_http_stop(h);
    metrics_registry_free(r);
}

static void test_reason_bounded(void)
{
    metrics_registry *r = test_registry();
    metrics_http *h = start_or_fail(
        (metrics_http_opts){.address = "127.0.0.1", .registry = r, .ready = check_fills});
    http_answer a;

    if (h == NULL)
        goto out;
    T_CASE("a check that fills its whole buffer");
    http_do(metrics_http_port(h), "GET", "/readyz", NULL, &a);
    CHECK_INT_EQ(a.status, 503);
    CHECK_INT_EQ(a.body_len, METRICS_HTTP_REASON_MAX); /* 255 x and a newline */
    CHECK(a.body[0] == 'x' && a.body[a.body_len - 1] == '\n');
out:
    metrics_http_stop(h);
    metrics_registry_free(r);
}

static void test_refusals(void)
{
    static const struct {
        const char *method, *path, *extra;
        int want;
        const char *body;
    } cases[] = {
        {"GET", "/", NULL, 404, "not found\n"},
        {"GET", "/metrics/", NULL, 404, "not found\n"},
        {"GET", "/Metrics", NULL, 404, "not found\n"},
        {"GET", "/livez", NULL, 404, "not found\n"},
        {"POST", "/nothing", "Content-Length: 0\r\n", 404, "not found\n"},
        {"POST", "/metrics", "Content-Length: 0\r\n", 405, "use GET\n"},
        {"PUT", "/healthz", "Content-Length: 0\r\n", 405, "use GET\n"},
        {"DELETE", "/readyz", NULL, 405, "use GET\n"},
        {"OPTIONS", "/metrics", NULL, 405, "use GET\n"},
        {"GET", "/metrics", "Content-Length: 0\r\n", 200, NULL},
        {"GET", "/metrics", "Content-Length: 00\r\n", 200, NULL},
        {"GET", "/metrics", "Content-Length: 5\r\n", 413, "request bodies are not accepted\n"},
        {"GET", "/healthz", "Transfer-Encoding: chunked\r\n", 413,
         "request bodies are not accepted\n"},
    };
    metrics_registry *r = test_registry();
    metrics_http *h = start_or_fail((metrics_http_opts){.address = "127.0.0.1", .registry = r});
    http_answer a;
    char v[64];
    size_t i;

    for (i = 0; h != NULL && i < ARRAY_LEN(cases); i++) {
        T_CASE("%s %s %s", cases[i].method, cases[i].path, cases[i].extra ? cases[i].extra : "");
        http_do(metrics_http_port(h), cases[i].method, cases[i].path, cases[i].extra, &a);
        CHECK_INT_EQ(a.status, cases[i].want);
        if (cases[i].body != NULL)
            CHECK_STR_EQ(a.body, cases[i].body);
        if (cases[i].want == 405)
            CHECK_STR_EQ(header_value(&a, "Allow", v, sizeof(v)), "GET, HEAD");
    }
    metrics_http_stop(h);
    metrics_registry_free(r);
}

/* Headers beyond the per-connection memory are refused, and the listener
 * still answers afterwards. */
static void test_big_headers(void)
{
    metrics_registry *r = test_registry();
    metrics_http *h = start_or_fail((metrics_http_opts){.address = "127.0.0.1", .registry = r});
    size_t n = METRICS_HTTP_CONN_MEMORY * 2;
    char *req = malloc(n + 256);
    http_answer a;
    int len;

    if (h == NULL || req == NULL)
        goto out;
    T_CASE("64 KiB of headers");
    len = snprintf(req, 256, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ");
    memset(req + len, 'a', n);
    memcpy(req + (size_t)len + n, "\r\nConnection: close\r\n\r\n", 24);
    http_raw(metrics_http_port(h), req, (size_t)len + n + 23, &a);
    /* 431; or no answer read when the refusal's reset beat it */
    CHECK(a.status == 0 || a.status == 431);
    T_CASE("still serving");
    http_do(metrics_http_port(h), "GET", "/metrics", NULL, &a);
    CHECK_INT_EQ(a.status, 200);
out:
    free(req);
    metrics_http_stop(h);
    metrics_registry_free(r);
}

static void test_output_bound(void)
{
    metrics_registry *r = test_registry();
    metrics_http *h =
        start_or_fail((metrics_http_opts){.address = "127.0.0.1", .registry = r, .max_output = 16});
    http_answer a;

    if (h == NULL)
        goto out;
    T_CASE("exposition beyond max_output");
    http_do(metrics_http_port(h), "GET", "/metrics", NULL, &a);
    CHECK_INT_EQ(a.status, 500);
    CHECK_STR_EQ(a.body, "metrics unavailable\n");
out:
    metrics_http_stop(h);
    metrics_registry_free(r);
}

typedef struct scraper {
    uint16_t port;
    int ok;
} scraper;

static void *scrape_loop(void *arg)
{
    scraper *s = arg;
    http_answer *a = malloc(sizeof(*a));
    int i;

    for (i = 0; a != NULL && i < 25; i++) {
        http_do(s->port, "GET", i % 2 ? "/metrics" : "/readyz", NULL, a);
        if (a->status == 200)
            s->ok++;
    }
    free(a);
    return NULL;
}

static void test_concurrent_scrapes(void)
{
    metrics_registry *r = test_registry();
    checks c = {.healthy = 1, .ready = 1, .reason = ""};
    metrics_http *h = start_or_fail(
        (metrics_http_opts){.address = "127.0.0.1", .registry = r, .ready = check_ready, .ud = &c});
    scraper s[4];
    pthread_t t[4];
    int i;

    if (h == NULL)
        goto out;
    T_CASE("4 threads x 25 requests");
    for (i = 0; i < 4; i++) {
        s[i] = (scraper){.port = metrics_http_port(h)};
        pthread_create(&t[i], NULL, scrape_loop, &s[i]);
    }
    for (i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK_INT_EQ(s[i].ok, 25);
    }
out:
    metrics_http_stop(h);
    metrics_registry_free(r);
}

static void test_start_failures(void)
{
    static const struct {
        const char *address;
        int port;
        bool registry;
        snug_status want;
        const char *msg;
    } cases[] = {
        {"127.0.0.1", 0, false, SNUG_ERR_INVALID, "a registry is required"},
        {"localhost", 0, true, SNUG_ERR_INVALID, "\"localhost\" is not a numeric IPv4 or IPv6"},
        {"127.0.0.1:80", 0, true, SNUG_ERR_INVALID, "is not a numeric"},
        {"127.0.0.1", 65536, true, SNUG_ERR_INVALID, "port 65536 is not in 0..65535"},
        {"127.0.0.1", -1, true, SNUG_ERR_INVALID, "port -1"},
        {"192.0.2.1", 0, true, SNUG_ERR_IO, "cannot start the metrics listener on 192.0.2.1:0"},
    };
    metrics_registry *r = test_registry();
    metrics_http *h, *first;
    snug_err err;
    size_t i;
    char want[128];

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        T_CASE("%s port %d", cases[i].address, cases[i].port);
        h = (metrics_http *)&err; /* must be reset to NULL */
        snug_err_clear(&err);
        CHECK_INT_EQ(
            metrics_http_start(&(metrics_http_opts){.address = cases[i].address,
                                                    .port = cases[i].port,
                                                    .registry = cases[i].registry ? r : NULL},
                               &h, &err),
            cases[i].want);
        CHECK(h == NULL);
        CHECK_STR_CONTAINS(err.msg, cases[i].msg);
    }
    T_CASE("a port in use");
    first = start_or_fail((metrics_http_opts){.address = "127.0.0.1", .registry = r});
    if (first != NULL) {
        snug_err_clear(&err);
        CHECK_INT_EQ(metrics_http_start(&(metrics_http_opts){.address = "127.0.0.1",
                                                             .port = metrics_http_port(first),
                                                             .registry = r},
                                        &h, &err),
                     SNUG_ERR_IO);
        snprintf(want, sizeof(want), "127.0.0.1:%u", metrics_http_port(first));
        CHECK_STR_CONTAINS(err.msg, want);
    }
    metrics_http_stop(first);
    metrics_http_stop(NULL);
    metrics_registry_free(r);
}

static void test_parse_listen(void)
{
    static const struct {
        const char *spec;
        snug_status want;
        const char *addr;
        int port;
        const char *msg;
    } cases[] = {
        {":8080", SNUG_OK, "0.0.0.0", 8080, NULL},
        {"8080", SNUG_OK, "0.0.0.0", 8080, NULL},
        {"127.0.0.1:9090", SNUG_OK, "127.0.0.1", 9090, NULL},
        {"0.0.0.0:0", SNUG_OK, "0.0.0.0", 0, NULL},
        {"[::1]:8080", SNUG_OK, "::1", 8080, NULL},
        {"[::]:65535", SNUG_OK, "::", 65535, NULL},
        {"[fe80::1:2]:1", SNUG_OK, "fe80::1:2", 1, NULL},
        {"", SNUG_ERR_INVALID, NULL, 0, "listen address is empty"},
        {":", SNUG_ERR_INVALID, NULL, 0, "port \"\" is not a number"},
        {"127.0.0.1", SNUG_ERR_INVALID, NULL, 0, "port \"127.0.0.1\" is not a number"},
        {"127.0.0.1:", SNUG_ERR_INVALID, NULL, 0, "port \"\""},
        {"127.0.0.1:65536", SNUG_ERR_INVALID, NULL, 0, "port \"65536\""},
        {"127.0.0.1:999999", SNUG_ERR_INVALID, NULL, 0, "port \"999999\""},
        {"127.0.0.1:-1", SNUG_ERR_INVALID, NULL, 0, "port \"-1\""},
        {"127.0.0.1:+80", SNUG_ERR_INVALID, NULL, 0, "port \"+80\""},
        {"127.0.0.1:80x", SNUG_ERR_INVALID, NULL, 0, "port \"80x\""},
        {"127.0.0.1: 80", SNUG_ERR_INVALID, NULL, 0, "port \" 80\""},
        {"localhost:80", SNUG_ERR_INVALID, NULL, 0, "\"localhost\" is not a numeric IPv4"},
        {"256.0.0.1:80", SNUG_ERR_INVALID, NULL, 0, "not a numeric IPv4"},
        {"::1:8080", SNUG_ERR_INVALID, NULL, 0, "an IPv6 address needs brackets"},
        {"[::1]8080", SNUG_ERR_INVALID, NULL, 0, "expected [IPv6]:PORT"},
        {"[::1]", SNUG_ERR_INVALID, NULL, 0, "expected [IPv6]:PORT"},
        {"[::1:8080", SNUG_ERR_INVALID, NULL, 0, "expected [IPv6]:PORT"},
        {"[]:80", SNUG_ERR_INVALID, NULL, 0, "\"\" is not a numeric IPv6"},
        {"[127.0.0.1]:80", SNUG_ERR_INVALID, NULL, 0, "not a numeric IPv6"},
        {"[::1]:http", SNUG_ERR_INVALID, NULL, 0, "port \"http\""},
        {"[0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0000]:1", SNUG_ERR_INVALID, NULL, 0,
         "not a numeric IPv6"},
    };
    char addr[METRICS_HTTP_ADDR_MAX];
    char small[4];
    snug_err err;
    int port;
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        T_CASE("%s", cases[i].spec);
        snprintf(addr, sizeof(addr), "untouched");
        port = -7;
        snug_err_clear(&err);
        CHECK_INT_EQ(metrics_http_parse_listen(cases[i].spec, addr, sizeof(addr), &port, &err),
                     cases[i].want);
        if (cases[i].want == SNUG_OK) {
            CHECK_STR_EQ(addr, cases[i].addr);
            CHECK_INT_EQ(port, cases[i].port);
        } else {
            CHECK_STR_EQ(addr, "untouched");
            CHECK_INT_EQ(port, -7);
            CHECK_STR_CONTAINS(err.msg, cases[i].msg);
        }
    }
    T_CASE("NULL spec");
    CHECK_INT_EQ(metrics_http_parse_listen(NULL, addr, sizeof(addr), &port, NULL),
                 SNUG_ERR_INVALID);
    T_CASE("an address that does not fit");
    CHECK_INT_EQ(metrics_http_parse_listen("10.0.0.1:80", small, sizeof(small), &port, &err),
                 SNUG_ERR_INVALID);
    CHECK_STR_CONTAINS(err.msg, "does not fit in 4 bytes");
    T_CASE("[::1] fits exactly in 4 bytes");
    CHECK_INT_EQ(metrics_http_parse_listen("[::1]:1", small, sizeof(small), &port, &err), SNUG_OK);
    CHECK_STR_EQ(small, "::1");
}

int main(void)
{
    log_set_level(LOG_OFF);
    RUN(test_metrics_endpoint);
    RUN(test_checks_flip);
    RUN(test_reason_bounded);
    RUN(test_refusals);
    RUN(test_big_headers);
    RUN(test_output_bound);
    RUN(test_concurrent_scrapes);
    RUN(test_start_failures);
    RUN(test_parse_listen);
    return TEST_DONE();
}

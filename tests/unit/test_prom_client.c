/* Unit tests for the Prometheus client's pure parts (prom_plan: URL and
 * header checks, form encoding, range chunks, retry policy), its
 * configuration checks, file-backed secrets, and the failures that need no
 * server (connection refused on a closed port, abort), and the HTTP path
 * against a scripted HTTP/1.1 server on 127.0.0.1 (so valgrind and ASan see
 * it too): answers, retries, chunked ranges, prom_run, token rotation,
 * caps. The real Prometheus is in tests/e2e/test_prom_client.py. */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/dynbuf.h"
#include "base/log.h"

#include "prom/prom_client.h"
#include "prom/prom_plan.h"
#include "prom/prom_secret.h"
#include "test.h"

static void test_url_base(void)
{
    static const struct {
        const char *in;
        snug_status want;
        const char *out_or_msg;
    } cases[] = {
        {"http://127.0.0.1:9090", SNUG_OK, "http://127.0.0.1:9090"},
        {"http://prom:9090/", SNUG_OK, "http://prom:9090"},
        {"https://vm.example:8428/prometheus//", SNUG_OK, "https://vm.example:8428/prometheus"},
        {"http://[::1]:9090/a/b", SNUG_OK, "http://[::1]:9090/a/b"},
        {"http://prom", SNUG_OK, "http://prom"},
        {NULL, SNUG_ERR_INVALID, "not set"},
        {"", SNUG_ERR_INVALID, "not set"},
        {"prom:9090", SNUG_ERR_INVALID, "must start with http:// or https://"},
        {"ftp://prom", SNUG_ERR_INVALID, "must start with http"},
        {"http://", SNUG_ERR_INVALID, "Prometheus URL \"http://\""},
        {"http://user:pw@prom:9090", SNUG_ERR_INVALID, "credentials in the URL"},
        {"http://prom:9090/?x=1", SNUG_ERR_INVALID, "a query or fragment"},
        {"http://prom:9090/#frag", SNUG_ERR_INVALID, "a query or fragment"},
        {"http://prom:99999", SNUG_ERR_INVALID, "Prometheus URL"},
        {"http://pr om", SNUG_ERR_INVALID, "Prometheus URL"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        char *base = (char *)"x";
        snug_err err;

        T_CASE("%s", cases[i].in ? cases[i].in : "(null)");
        snug_err_clear(&err);
        CHECK_INT_EQ(prom_url_base(cases[i].in, &base, &err), cases[i].want);
        if (cases[i].want == SNUG_OK) {
            CHECK_STR_EQ(base, cases[i].out_or_msg);
        } else {
            CHECK(base == NULL);
            CHECK_STR_CONTAINS(err.msg, cases[i].out_or_msg);
        }
        free(base);
    }
}

static void test_headers(void)
{
    static const char *const good[] = {"X-Scope-OrgID: tenant-1", "X-Empty:", "A: b: c"};
    static const char *const bad1[] = {"X-Scope-OrgID tenant"};
    static const char *const bad2[] = {"X-A: b\r\nX-Injected: 1"};
    static const char *const bad3[] = {": value"};
    static const char *const bad4[] = {"Bad Name: x"};
    static const char *const bad5[] = {"ok: 1", NULL};
    snug_err err;

    T_CASE("headers");
    CHECK_INT_EQ(prom_headers_check(good, 3, &err), SNUG_OK);
    CHECK_INT_EQ(prom_headers_check(NULL, 0, &err), SNUG_OK);
    CHECK_INT_EQ(prom_headers_check(bad1, 1, &err), SNUG_ERR_INVALID);
    CHECK_STR_CONTAINS(err.msg, "header 0 \"X-Scope-OrgID tenant\": expected \"Name: value\"");
    CHECK_INT_EQ(prom_headers_check(bad2, 1, &err), SNUG_ERR_INVALID);
    CHECK_STR_CONTAINS(err.msg, "CR or LF");
    CHECK_INT_EQ(prom_headers_check(bad3, 1, &err), SNUG_ERR_INVALID);
    CHECK_INT_EQ(prom_headers_check(bad4, 1, &err), SNUG_ERR_INVALID);
    CHECK_INT_EQ(prom_headers_check(bad5, 2, &err), SNUG_ERR_INVALID);
    CHECK_STR_CONTAINS(err.msg, "header 1: NULL");
}

static void test_form(void)
{
    dynbuf b;

    T_CASE("form encoding");
    dynbuf_init(&b, 4096);
    CHECK_INT_EQ(prom_form_add(&b, "query", "sum(rate(x{a=\"b c\",d=~\"e|f\"}[5m])) / 2 + 1"),
                 SNUG_OK);
    CHECK_STR_EQ(dynbuf_str(&b), "query=sum%28rate%28x%7Ba%3D%22b+c%22%2Cd%3D~%22e%7Cf%22%7D%5B5m"
                                 "%5D%29%29+%2F+2+%2B+1");
    dynbuf_reset(&b);
    CHECK_INT_EQ(prom_form_add(&b, "q", "caf\xc3\xa9&=\n%"), SNUG_OK);
    CHECK_INT_EQ(prom_form_add(&b, "empty", NULL), SNUG_OK);
    CHECK_STR_EQ(dynbuf_str(&b), "q=caf%C3%A9%26%3D%0A%25&empty=");
    dynbuf_reset(&b);
    CHECK_INT_EQ(prom_form_add_time(&b, "time", 1700000000.0), SNUG_OK);
    CHECK_INT_EQ(prom_form_add_time(&b, "start", 1700000000.25), SNUG_OK);
    CHECK_INT_EQ(prom_form_add_time(&b, "step", 0.001), SNUG_OK);
    CHECK_INT_EQ(prom_form_add_time(&b, "neg", -1.5), SNUG_OK);
    CHECK_STR_EQ(dynbuf_str(&b), "time=1700000000&start=1700000000.250&step=0.001&neg=-2.500");
    dynbuf_free(&b);
    T_CASE("form cap: unchanged on failure");
    dynbuf_init(&b, 10);
    CHECK_INT_EQ(prom_form_add(&b, "a", "b"), SNUG_OK);
    CHECK_INT_EQ(prom_form_add(&b, "query", "up"), SNUG_ERR_TOO_BIG);
    CHECK_STR_EQ(dynbuf_str(&b), "a=b");
    dynbuf_free(&b);
}

static void test_range_plan(void)
{
    static const struct {
        double start, end, step;
        int max_points;
        size_t want_n;
        long long first_end_ms, last_start_ms, last_end_ms;
    } cases[] = {
        /* 7 days at 1 minute: 10081 points, 10000 per request */
        {1700000000, 1700000000 + 7 * 86400, 60, 10000, 2, 1700000000000LL + 9999LL * 60000,
         1700000000000LL + 10000LL * 60000, 1700000000000LL + 10080LL * 60000},
        /* exactly max_points points: one request */
        {0, 99, 1, 100, 1, 99000, 0, 99000},
        /* one more: two */
        {0, 100, 1, 100, 2, 99000, 100000, 100000},
        /* end not on the grid: the last point is the last one <= end */
        {10, 35.5, 10, 2, 2, 20000, 30000, 35500},
        /* start == end: one point */
        {5, 5, 60, 10000, 1, 5000, 5000, 5000},
        /* sub-second steps stay exact in milliseconds */
        {0.1, 0.9, 0.1, 3, 3, 300, 700, 900},
        /* 7 days at 30 s: 20161 points, 3 requests */
        {1700000000, 1700000000 + 7 * 86400, 30, 10000, 3, 1700000000000LL + 9999LL * 30000,
         1700000000000LL + 20000LL * 30000, 1700000000000LL + 20160LL * 30000},
        /* a huge max_points never overflows */
        {0, 1e9, 1e9, 2147483647, 1, 1000000000000LL, 0, 1000000000000LL},
    };
    size_t i, k;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        prom_chunk *c = NULL;
        size_t n = 0;
        snug_err err;

        T_CASE("%zu: %g..%g step %g max %d", i, cases[i].start, cases[i].end, cases[i].step,
               cases[i].max_points);
        CHECK_INT_EQ(prom_range_plan(cases[i].start, cases[i].end, cases[i].step,
                                     cases[i].max_points, &c, &n, &err),
                     SNUG_OK);
        CHECK_INT_EQ(n, cases[i].want_n);
        if (c == NULL || n == 0)
            continue;
        CHECK_INT_EQ(c[0].start_ms, llround(cases[i].start * 1000));
        CHECK_INT_EQ(c[0].end_ms, cases[i].first_end_ms);
        CHECK_INT_EQ(c[n - 1].start_ms, cases[i].last_start_ms);
        CHECK_INT_EQ(c[n - 1].end_ms, cases[i].last_end_ms);
        for (k = 1; k < n; k++) { /* no gap, no overlap: the next point of the grid */
            CHECK_INT_EQ(c[k].start_ms - c[k - 1].end_ms, llround(cases[i].step * 1000));
            CHECK(c[k].end_ms >= c[k].start_ms);
        }
        free(c);
    }
}

static void test_range_plan_invalid(void)
{
    static const struct {
        double start, end, step;
        int max_points;
        snug_status want;
        const char *msg;
    } cases[] = {
        {10, 5, 1, 100, SNUG_ERR_INVALID, "end 5.000 is before start 10.000"},
        {0, 10, 0, 100, SNUG_ERR_INVALID, "step 0 s is below 1 ms"},
        {0, 10, -1, 100, SNUG_ERR_INVALID, "below 1 ms"},
        {0, 10, 0.0004, 100, SNUG_ERR_INVALID, "below 1 ms"},
        {0, 10, 1, 0, SNUG_ERR_INVALID, "max points 0"},
        {NAN, 10, 1, 100, SNUG_ERR_INVALID, "finite"},
        {0, INFINITY, 1, 100, SNUG_ERR_INVALID, "finite"},
        {0, 2e12, 1, 100, SNUG_ERR_INVALID, "within 1e12"},
        {0, 1e9, 0.001, 1, SNUG_ERR_TOO_BIG, "requests (at most 100000)"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        prom_chunk *c = (prom_chunk *)1;
        size_t n = 7;
        snug_err err;

        T_CASE("%zu: %s", i, cases[i].msg);
        CHECK_INT_EQ(prom_range_plan(cases[i].start, cases[i].end, cases[i].step,
                                     cases[i].max_points, &c, &n, &err),
                     cases[i].want);
        CHECK_STR_CONTAINS(err.msg, cases[i].msg);
        CHECK(c == NULL);
        CHECK_INT_EQ(n, 0);
    }
}

static void test_retry_policy(void)
{
    static const struct {
        long code;
        bool want;
    } codes[] = {{200, false}, {400, false}, {401, false}, {404, false}, {422, false},
                 {429, true},  {500, true},  {501, false}, {502, true},  {503, true},
                 {504, true},  {505, false}, {599, true},  {0, false}};
    size_t i;

    for (i = 0; i < ARRAY_LEN(codes); i++) {
        T_CASE("HTTP %ld", codes[i].code);
        CHECK_INT_EQ(prom_http_retryable(codes[i].code), codes[i].want);
    }
    T_CASE("backoff doubles from 0.5 s to 8 s, jitter in the upper half");
    CHECK_INT_EQ(prom_retry_delay_ms(0, 0, 1.0), 500);
    CHECK_INT_EQ(prom_retry_delay_ms(0, 0, 0.0), 500);
    CHECK_INT_EQ(prom_retry_delay_ms(1, 0, 1.0), 1000);
    CHECK_INT_EQ(prom_retry_delay_ms(1, 0, 0.0), 500);
    CHECK_INT_EQ(prom_retry_delay_ms(2, 0, 1.0), 2000);
    CHECK_INT_EQ(prom_retry_delay_ms(3, 0, 0.5), 3000);
    CHECK_INT_EQ(prom_retry_delay_ms(10, 0, 1.0), 8000);
    CHECK_INT_EQ(prom_retry_delay_ms(100, 0, 0.0), 4000);
    T_CASE("Retry-After is a floor, capped at 30 s");
    CHECK_INT_EQ(prom_retry_delay_ms(0, 2, 1.0), 2000);
    CHECK_INT_EQ(prom_retry_delay_ms(4, 1, 1.0), 8000); /* backoff larger */
    CHECK_INT_EQ(prom_retry_delay_ms(0, 120, 1.0), 30000);
    CHECK_INT_EQ(prom_retry_delay_ms(0, 2000000000L, 1.0), 30000);
    CHECK_INT_EQ(prom_retry_delay_ms(0, -5, 1.0), 500);
}

static char tmpdir[64];

static const char *tmp_file(const char *name, const char *contents)
{
    static char path[128];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    f = fopen(path, "w");
    if (f != NULL) {
        fputs(contents, f);
        fclose(f);
    }
    return path;
}

static void test_config(void)
{
    static const char *const hdr[] = {"X-Scope-OrgID: t1"};
    static const char *const badhdr[] = {"nope"};
    char token[128], empty[128];
    prom_config base = {.url = "http://127.0.0.1:9090"};
    struct {
        const char *what;
        prom_config cfg;
        snug_status want;
        const char *msg;
    } cases[16];
    size_t n = 0, i;

    snprintf(token, sizeof(token), "%s", tmp_file("token", "abc\n"));
    snprintf(empty, sizeof(empty), "%s", tmp_file("empty", " \n"));
#define CASE(w, st, m, ...)                                                                        \
    do {                                                                                           \
        prom_config c_ = base;                                                                     \
        __VA_ARGS__;                                                                               \
        cases[n].what = w, cases[n].cfg = c_, cases[n].want = st, cases[n].msg = m;                \
        n++;                                                                                       \
    } while (0)
    CASE("defaults", SNUG_OK, "", (void)0);
    CASE("all set", SNUG_OK, "", c_.bearer_token_file = token; c_.headers = hdr; c_.n_headers = 1;
         c_.timeout_ms = 5000; c_.max_retries = -1; c_.concurrency = 64; c_.max_points = 11000);
    CASE("bad url", SNUG_ERR_INVALID, "Prometheus URL", c_.url = "localhost:9090");
    CASE("two tokens", SNUG_ERR_INVALID, "bearer_token and bearer_token_file are both set",
         c_.bearer_token = "x";
         c_.bearer_token_file = token);
    CASE("token and basic", SNUG_ERR_INVALID, "a bearer token and basic auth",
         c_.bearer_token = "x";
         c_.basic_user = "u"; c_.basic_password_file = token);
    CASE("user without password", SNUG_ERR_INVALID, "go together", c_.basic_user = "u");
    CASE("user with colon", SNUG_ERR_INVALID, "cannot contain ':'", c_.basic_user = "u:v";
         c_.basic_password_file = token);
    CASE("missing token file", SNUG_ERR_IO, "bearer token file /nonexistent/token",
         c_.bearer_token_file = "/nonexistent/token");
    CASE("empty token file", SNUG_ERR_INVALID, "empty", c_.bearer_token_file = empty);
    CASE("cert without key", SNUG_ERR_INVALID, "client_cert and client_key",
         c_.client_cert = token);
    CASE("unreadable ca", SNUG_ERR_IO, "ca_file /nonexistent/ca: cannot be read",
         c_.ca_file = "/nonexistent/ca");
    CASE("bad header", SNUG_ERR_INVALID, "header 0 \"nope\"", c_.headers = badhdr;
         c_.n_headers = 1);
    CASE("timeout", SNUG_ERR_INVALID, "timeout_ms -1", c_.timeout_ms = -1);
    CASE("retries", SNUG_ERR_INVALID, "max_retries -2", c_.max_retries = -2);
    CASE("concurrency", SNUG_ERR_INVALID, "concurrency 65", c_.concurrency = 65);
    CASE("points", SNUG_ERR_INVALID, "max_points -1", c_.max_points = -1);
#undef CASE
    for (i = 0; i < n; i++) {
        prom_client *c = (prom_client *)1;
        snug_err err;

        T_CASE("%s", cases[i].what);
        snug_err_clear(&err);
        CHECK_INT_EQ(prom_client_new(&cases[i].cfg, &c, &err), cases[i].want);
        CHECK_STR_CONTAINS(err.msg, cases[i].msg);
        if (cases[i].want != SNUG_OK)
            CHECK(c == NULL);
        prom_client_free(c);
    }
}

static void test_secret_rotation(void)
{
    prom_secret s;
    snug_err err;
    char *v = NULL;
    bool changed = true;
    char path[128];

    T_CASE("secret");
    snprintf(path, sizeof(path), "%s", tmp_file("rot", "first\r\n"));
    CHECK_INT_EQ(prom_secret_init(&s, path, 1024, "token file", &err), SNUG_OK);
    CHECK_INT_EQ(prom_secret_get(&s, 1024, &v, &err), SNUG_OK);
    CHECK_STR_EQ(v, "first");
    prom_secret_wipe(v);
    T_CASE("changed file is re-read");
    tmp_file("rot", "second-longer");
    CHECK_INT_EQ(prom_secret_get(&s, 1024, &v, &err), SNUG_OK);
    CHECK_STR_EQ(v, "second-longer");
    prom_secret_wipe(v);
    T_CASE("a broken rewrite keeps the last value");
    tmp_file("rot", "");
    CHECK_INT_EQ(prom_secret_get(&s, 1024, &v, &err), SNUG_OK);
    CHECK_STR_EQ(v, "second-longer");
    prom_secret_wipe(v);
    T_CASE("reload tells whether it changed");
    tmp_file("rot", "second-longer\n");
    CHECK_INT_EQ(prom_secret_reload(&s, 1024, &changed, &err), SNUG_OK);
    CHECK(!changed);
    tmp_file("rot", "third");
    CHECK_INT_EQ(prom_secret_reload(&s, 1024, &changed, &err), SNUG_OK);
    CHECK(changed);
    T_CASE("too big");
    tmp_file("rot", "0123456789");
    CHECK_INT_EQ(prom_secret_reload(&s, 4, &changed, &err), SNUG_ERR_TOO_BIG);
    CHECK_STR_CONTAINS(err.msg, "larger than 4 bytes");
    CHECK_STR_EQ(s.value, "third");
    prom_secret_free(&s);
    T_CASE("a line break inside would split the header");
    snprintf(path, sizeof(path), "%s", tmp_file("inj", "tok\nX-Evil: 1\n"));
    CHECK_INT_EQ(prom_secret_init(&s, path, 1024, "token file", &err), SNUG_ERR_INVALID);
    CHECK_STR_CONTAINS(err.msg, "holds a line break");
    T_CASE("missing");
    CHECK_INT_EQ(prom_secret_init(&s, "/nonexistent/x", 1024, "token file", &err), SNUG_ERR_IO);
    CHECK_STR_CONTAINS(err.msg, "token file /nonexistent/x: No such file");
}

/* A port on 127.0.0.1 with nothing listening (bound, then closed). */
static int closed_port(void)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = 1;

    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
        getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
        port = ntohs(sa.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static void test_refused_and_abort(void)
{
    char url[64];
    prom_config cfg = {.url = url, .max_retries = -1, .timeout_ms = 2000};
    prom_client *c = NULL;
    prom_result *r = (prom_result *)1;
    prom_request reqs[3];
    prom_stats stats;
    snug_err err;
    volatile int flag = 1;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/prefix/", closed_port());
    T_CASE("connection refused");
    CHECK_INT_EQ(prom_client_new(&cfg, &c, &err), SNUG_OK);
    if (c == NULL)
        return;
    CHECK_INT_EQ(prom_query(c, "up", 0, &r, &err), SNUG_ERR_IO);
    CHECK(r == NULL);
    CHECK_STR_CONTAINS(err.msg, "/prefix/api/v1/query: query up: connection refused");
    CHECK_INT_EQ(prom_query_range(c, "up", 0, 10, 0, &r, &err), SNUG_ERR_INVALID);
    CHECK_STR_CONTAINS(err.msg, "below 1 ms");
    CHECK_INT_EQ(prom_query(c, "", 0, &r, &err), SNUG_ERR_INVALID);
    prom_client_stats(c, &stats);
    CHECK_INT_EQ(stats.queries, 1);
    CHECK_INT_EQ(stats.errors_transport, 1);
    CHECK_INT_EQ(stats.retries, 0);
    T_CASE("prom_run stops after a fatal failure");
    memset(reqs, 0, sizeof(reqs));
    reqs[0].query = "up";
    reqs[1].query = "up";
    reqs[1].range = true, reqs[1].start = 0, reqs[1].end = 60, reqs[1].step = 15;
    reqs[2].query = "up";
    CHECK_INT_EQ(prom_run(c, reqs, 3, &err), SNUG_ERR_IO);
    CHECK_STR_CONTAINS(err.msg, "connection refused");
    CHECK_INT_EQ(reqs[2].status, SNUG_ERR_IO);
    CHECK(reqs[2].result == NULL);
    CHECK(strstr(reqs[1].err.msg, "connection refused") != NULL);
    T_CASE("abort");
    prom_client_set_abort(c, &flag);
    CHECK_INT_EQ(prom_query(c, "up", 0, &r, &err), SNUG_ERR_IO);
    CHECK_STR_CONTAINS(err.msg, "query up: aborted");
    prom_client_set_abort(c, NULL);
    CHECK_INT_EQ(prom_run(c, reqs, 0, &err), SNUG_OK);
    prom_client_free(c);
}

/* ---- a scripted HTTP server ------------------------------------------------------------ */

/* One connection per request (the answers say Connection: close). The
 * answer depends on the first path segment, as the e2e fakes do. */
typedef struct fake {
    int fd, port;
    int stop;   /* atomic */
    int active; /* connection threads running, atomic */
    pthread_t thread;
    pthread_mutex_t lock; /* guards the fields below */
    int nreq;
    int flaky; /* requests seen by /flaky */
    char last_auth[256];
    char last_form[65536];
    char token_file[128];
} fake;

typedef struct fake_conn {
    fake *f;
    int fd;
} fake_conn;

static void send_text(int fd, int code, const char *ctype, const char *body)
{
    char head[256];
    size_t n = strlen(body);

    snprintf(
        head, sizeof(head),
        "HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
        code, ctype, n);
    if (send(fd, head, strlen(head), MSG_NOSIGNAL) < 0)
        return;
    while (n > 0) {
        ssize_t w = send(fd, body, n, MSG_NOSIGNAL);

        if (w <= 0)
            return;
        body += w;
        n -= (size_t)w;
    }
}

/* Read a request into `req` (NUL-terminated); returns the body or NULL. */
static char *read_req(int fd, char *req, size_t cap)
{
    size_t len = 0, want = 0;
    char *body = NULL;

    while (len + 1 < cap) {
        ssize_t n = recv(fd, req + len, cap - 1 - len, 0);

        if (n <= 0)
            return NULL;
        len += (size_t)n;
        req[len] = '\0';
        if (body == NULL)
            body = strstr(req, "\r\n\r\n");
        if (body != NULL && want == 0) {
            const char *cl = strcasestr(req, "Content-Length:");

            body += 4;
            want = (size_t)(body - req) + (cl != NULL ? strtoul(cl + 15, NULL, 10) : 0);
        }
        if (body != NULL && len >= want)
            return body;
    }
    return NULL;
}

/* The value of form field `name` (decoded enough for numbers) into out. */
static double form_num(const char *form, const char *name)
{
    char key[32];
    const char *p;

    snprintf(key, sizeof(key), "%s=", name);
    p = strstr(form, key);
    return p != NULL ? strtod(p + strlen(key), NULL) : NAN;
}

/* A matrix answer for the form's start/end/step: value = 2 * t. */
static void answer_range(int fd, const char *form)
{
    double start = form_num(form, "start"), end = form_num(form, "end");
    double step = form_num(form, "step"), t;
    dynbuf b;

    dynbuf_init(&b, 1 << 24);
    dynbuf_addstr(&b, "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":["
                      "{\"metric\":{\"job\":\"x\"},\"values\":[");
    for (t = start; t <= end + 1e-9; t += step)
        dynbuf_printf(&b, "%s[%.3f,\"%.3f\"]", t > start ? "," : "", t, 2 * t);
    dynbuf_addstr(&b, "]}]},\"warnings\":[\"chunk warning\"]}");
    send_text(fd, 200, "application/json", dynbuf_str(&b));
    dynbuf_free(&b);
}

static const char OK_VECTOR[] = "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
                                "\"result\":[{\"metric\":{\"job\":\"x\"},\"value\":[1,\"7\"]}]}}";

static void answer(fake *f, int fd, const char *req, const char *form)
{
    const char *auth = strcasestr(req, "\r\nAuthorization: ");
    char path[64] = "";
    int flaky;

    sscanf(req, "POST /%63[^/ ]", path);
    pthread_mutex_lock(&f->lock);
    f->nreq++;
    flaky = strcmp(path, "flaky") == 0 ? ++f->flaky : 0;
    snprintf(f->last_auth, sizeof(f->last_auth), "%.*s", auth ? (int)strcspn(auth + 17, "\r") : 0,
             auth ? auth + 17 : "");
    snprintf(f->last_form, sizeof(f->last_form), "%s", form);
    pthread_mutex_unlock(&f->lock);
    if (strcmp(path, "range") == 0) {
        answer_range(fd, form);
    } else if (strcmp(path, "flaky") == 0 && flaky == 1) {
        send_text(fd, 503, "text/html", "<html>busy</html>");
    } else if (strcmp(path, "html") == 0) {
        send_text(fd, 200, "text/html", "<html><body>login</body></html>");
    } else if (strcmp(path, "bad") == 0) {
        send_text(fd, 400, "application/json",
                  "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error\"}");
    } else if (strcmp(path, "rotate") == 0 &&
               (auth == NULL || strncmp(auth + 17, "Bearer new", 10))) {
        FILE *tf = fopen(f->token_file, "w");

        if (tf != NULL) {
            fputs("new\n", tf);
            fclose(tf);
        }
        send_text(fd, 401, "text/plain", "Unauthorized");
    } else {
        send_text(fd, 200, "application/json", OK_VECTOR);
    }
}

static void *conn_main(void *arg)
{
    fake_conn *fc = arg;
    char *req = malloc(1 << 20);
    char *body = req != NULL ? read_req(fc->fd, req, 1 << 20) : NULL;

    if (body != NULL)
        answer(fc->f, fc->fd, req, body);
    close(fc->fd);
    __atomic_sub_fetch(&fc->f->active, 1, __ATOMIC_ACQ_REL);
    free(req);
    free(fc);
    return NULL;
}

static void *accept_main(void *arg)
{
    fake *f = arg;

    while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE)) {
        struct pollfd p = {f->fd, POLLIN, 0};
        fake_conn *fc;
        pthread_t t;

        if (poll(&p, 1, 50) <= 0)
            continue;
        fc = malloc(sizeof(*fc));
        if (fc == NULL)
            continue;
        fc->f = f;
        fc->fd = accept(f->fd, NULL, NULL);
        __atomic_add_fetch(&f->active, 1, __ATOMIC_ACQ_REL);
        if (fc->fd < 0 || pthread_create(&t, NULL, conn_main, fc) != 0) {
            if (fc->fd >= 0)
                close(fc->fd);
            __atomic_sub_fetch(&f->active, 1, __ATOMIC_ACQ_REL);
            free(fc);
            continue;
        }
        pthread_detach(t);
    }
    return NULL;
}

static int fake_start(fake *f)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);

    memset(f, 0, sizeof(*f));
    pthread_mutex_init(&f->lock, NULL);
    f->fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (f->fd < 0 || bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        listen(f->fd, 64) != 0 || getsockname(f->fd, (struct sockaddr *)&sa, &len) != 0)
        return -1;
    f->port = ntohs(sa.sin_port);
    return pthread_create(&f->thread, NULL, accept_main, f) == 0 ? 0 : -1;
}

static void fake_stop(fake *f)
{
    __atomic_store_n(&f->stop, 1, __ATOMIC_RELEASE);
    pthread_join(f->thread, NULL);
    while (__atomic_load_n(&f->active, __ATOMIC_ACQUIRE) > 0)
        usleep(1000);
    close(f->fd);
    pthread_mutex_destroy(&f->lock);
}

static prom_client *fake_client(fake *f, const char *path, prom_config *cfg)
{
    static char url[128];
    prom_client *c = NULL;
    snug_err err;

    snprintf(url, sizeof(url), "http://127.0.0.1:%d/%s", f->port, path);
    cfg->url = url;
    if (prom_client_new(cfg, &c, &err) != SNUG_OK)
        T_FAIL("prom_client_new: %s", err.msg);
    return c;
}

static void test_http_answers(void)
{
    fake f;
    prom_config cfg = {.max_retries = 1, .bearer_token = "t0k", .timeout_ms = 5000};
    static const char *const hdr[] = {"X-Scope-OrgID: a"};
    prom_client *c;
    prom_result *r = NULL;
    prom_stats st;
    snug_err err;

    T_CASE("fake server");
    if (fake_start(&f) != 0) {
        T_FAIL("cannot start the fake server");
        return;
    }
    cfg.headers = hdr;
    cfg.n_headers = 1;
    c = fake_client(&f, "ok", &cfg);
    if (c == NULL)
        goto out;
    T_CASE("ok, with the token and the form");
    CHECK_INT_EQ(prom_query(c, "sum(x) by (a)", 1700000000.5, &r, &err), SNUG_OK);
    CHECK(r != NULL && r->n_series == 1 && r->series[0].samples[0].v == 7);
    prom_result_free(r);
    CHECK_STR_EQ(f.last_auth, "Bearer t0k");
    CHECK_STR_EQ(f.last_form, "query=sum%28x%29+by+%28a%29&timeout=5.000&time=1700000000.500");
    prom_client_free(c);
    T_CASE("503 then ok: one retry");
    c = fake_client(&f, "flaky", &cfg);
    CHECK_INT_EQ(prom_query(c, "up", 0, &r, &err), SNUG_OK);
    prom_result_free(r);
    prom_client_stats(c, &st);
    CHECK_INT_EQ(st.retries, 1);
    CHECK_INT_EQ(st.queries, 1);
    prom_client_free(c);
    T_CASE("html");
    c = fake_client(&f, "html", &cfg);
    CHECK_INT_EQ(prom_query(c, "up", 0, &r, &err), SNUG_ERR_PARSE);
    CHECK_STR_CONTAINS(err.msg, "/html/api/v1/query: HTTP 200: query up: not JSON: <html>");
    prom_client_free(c);
    T_CASE("bad_data");
    c = fake_client(&f, "bad", &cfg);
    CHECK_INT_EQ(prom_query(c, "up(", 0, &r, &err), SNUG_ERR_INVALID);
    CHECK_STR_CONTAINS(err.msg, "/bad/api/v1/query: HTTP 400: query up(: bad_data: parse error");
    prom_client_stats(c, &st);
    CHECK_INT_EQ(st.errors_prometheus, 1);
    CHECK_INT_EQ(st.retries, 0);
    prom_client_free(c);
    T_CASE("size cap");
    cfg.max_response_bytes = 50;
    c = fake_client(&f, "ok", &cfg);
    CHECK_INT_EQ(prom_query(c, "up", 0, &r, &err), SNUG_ERR_TOO_BIG);
    CHECK_STR_CONTAINS(err.msg, "answer larger than 50 bytes");
    prom_client_free(c);
out:
    fake_stop(&f);
}

static void test_http_range_and_run(void)
{
    fake f;
    prom_config cfg = {.max_points = 100, .concurrency = 3};
    prom_client *c;
    prom_result *r = NULL;
    prom_request reqs[8];
    prom_stats st;
    snug_err err;
    size_t i;

    T_CASE("range");
    if (fake_start(&f) != 0) {
        T_FAIL("cannot start the fake server");
        return;
    }
    log_set_level(LOG_ERROR); /* the chunk warnings */
    c = fake_client(&f, "range", &cfg);
    if (c == NULL)
        goto out;
    CHECK_INT_EQ(prom_query_range(c, "up", 1000, 1000 + 250 * 15, 15, &r, &err), SNUG_OK);
    if (r != NULL && r->n_series == 1) {
        CHECK_INT_EQ(r->series[0].n_samples, 251);
        for (i = 0; i < r->series[0].n_samples; i++)
            if (r->series[0].samples[i].t != 1000 + 15.0 * (double)i ||
                r->series[0].samples[i].v != 2 * r->series[0].samples[i].t)
                T_FAIL("sample %zu: %g %g", i, r->series[0].samples[i].t,
                       r->series[0].samples[i].v);
        CHECK_INT_EQ(r->n_warnings, 1); /* the same warning from 3 chunks, once */
    } else {
        T_FAIL("no series: %s", err.msg);
    }
    prom_result_free(r);
    prom_client_stats(c, &st);
    CHECK_INT_EQ(st.queries, 3);
    T_CASE("prom_run");
    memset(reqs, 0, sizeof(reqs));
    for (i = 0; i < ARRAY_LEN(reqs); i++) {
        reqs[i].query = "up";
        reqs[i].range = true;
        reqs[i].start = 60.0 * (double)i;
        reqs[i].end = reqs[i].start + 60.0 * (double)(10 + 30 * i);
        reqs[i].step = 60;
    }
    CHECK_INT_EQ(prom_run(c, reqs, ARRAY_LEN(reqs), &err), SNUG_OK);
    for (i = 0; i < ARRAY_LEN(reqs); i++) {
        T_CASE("prom_run request %zu", i);
        CHECK_INT_EQ(reqs[i].status, SNUG_OK);
        if (reqs[i].result != NULL && reqs[i].result->n_series == 1)
            CHECK_INT_EQ(reqs[i].result->series[0].n_samples, 11 + 30 * i);
        else
            T_FAIL("no result: %s", reqs[i].err.msg);
        prom_result_free(reqs[i].result);
    }
    log_set_level(LOG_INFO);
    prom_client_free(c);
out:
    fake_stop(&f);
}

static void test_http_token_rotation(void)
{
    fake f;
    prom_config cfg = {.max_retries = -1};
    prom_client *c;
    prom_result *r = NULL;
    prom_stats st;
    snug_err err;

    T_CASE("401, the token file rotated, one retry");
    if (fake_start(&f) != 0) {
        T_FAIL("cannot start the fake server");
        return;
    }
    snprintf(f.token_file, sizeof(f.token_file), "%s", tmp_file("bearer", "old\n"));
    cfg.bearer_token_file = f.token_file;
    c = fake_client(&f, "rotate", &cfg);
    if (c != NULL) {
        CHECK_INT_EQ(prom_query(c, "up", 0, &r, &err), SNUG_OK);
        prom_result_free(r);
        CHECK_STR_EQ(f.last_auth, "Bearer new");
        prom_client_stats(c, &st);
        CHECK_INT_EQ(st.retries, 1);
        CHECK_INT_EQ(f.nreq, 2);
    }
    prom_client_free(c);
    fake_stop(&f);
}

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_prom_client.XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return 2;
    RUN(test_url_base);
    RUN(test_headers);
    RUN(test_form);
    RUN(test_range_plan);
    RUN(test_range_plan_invalid);
    RUN(test_retry_policy);
    RUN(test_config);
    RUN(test_secret_rotation);
    RUN(test_refused_and_abort);
    RUN(test_http_answers);
    RUN(test_http_range_and_run);
    RUN(test_http_token_rotation);
    {
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmpdir);
    }
    return TEST_DONE();
}

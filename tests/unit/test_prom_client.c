/* Unit tests for the Prometheus client's pure parts (prom_plan: URL and
 * header checks, form encoding, range chunks, retry policy), its
 * configuration checks, file-backed secrets, and the failures that need no
 * server (connection refused on a closed port, abort). The real Prometheus
 * and the fake servers for answers are in tests/e2e/test_prom_client.py. */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

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
    {
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", tmpdir);
    }
    return TEST_DONE();
}

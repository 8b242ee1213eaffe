/* Unit tests for kube_owner: an owner from an object, which namespaces it
 * may own, ownerReferences read and written; then kube_owner_adopt() and
 * the lease elector against a scripted HTTP server on 127.0.0.1 (one
 * connection at a time, each answered by the next line of its script):
 * the PUT only when the reference is missing, a conflict read again; an
 * elector with an owner names it in the Lease it creates or takes over. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "kube/kube_config.h"
#include "kube/kube_lease.h"
#include "kube/kube_owner.h"
#include "test.h"

static const kube_resource deploy_res = {"apps", "v1", "deployments"};
static const kube_resource cm_res = {"", "v1", "configmaps"};
static const kube_resource mwc_res = {"admissionregistration.k8s.io", "v1",
                                      "mutatingwebhookconfigurations"};

static void test_from_object(void)
{
    static const struct {
        const char *what, *json;
        const kube_resource *r;
        const char *kind;
        snug_status want;
        const char *api_version, *ns, *msg;
    } cases[] = {
        {"namespaced Deployment",
         "{\"metadata\":{\"name\":\"c\",\"namespace\":\"snug\",\"uid\":\"u-1\"}}", &deploy_res,
         "Deployment", SNUG_OK, "apps/v1", "snug", NULL},
        {"cluster-scoped configuration", "{\"metadata\":{\"name\":\"snug\",\"uid\":\"u-2\"}}",
         &mwc_res, "MutatingWebhookConfiguration", SNUG_OK, "admissionregistration.k8s.io/v1", NULL,
         NULL},
        {"core group", "{\"metadata\":{\"name\":\"x\",\"namespace\":\"\",\"uid\":\"u\"}}", &cm_res,
         "ConfigMap", SNUG_OK, "v1", NULL, NULL},
        {"no uid", "{\"metadata\":{\"name\":\"c\"}}", &deploy_res, "Deployment", SNUG_ERR_INVALID,
         NULL, NULL, "Deployment c: metadata.uid missing"},
        {"empty uid", "{\"metadata\":{\"name\":\"c\",\"uid\":\"\"}}", &deploy_res, "Deployment",
         SNUG_ERR_INVALID, NULL, NULL, "metadata.uid missing"},
        {"no name", "{\"metadata\":{\"uid\":\"u\"}}", &deploy_res, "Deployment", SNUG_ERR_INVALID,
         NULL, NULL, "metadata.name missing"},
        {"no metadata", "{}", &deploy_res, "Deployment", SNUG_ERR_INVALID, NULL, NULL,
         "metadata.name missing"},
        {"uid not a string", "{\"metadata\":{\"name\":\"c\",\"uid\":7}}", &deploy_res, "Deployment",
         SNUG_ERR_INVALID, NULL, NULL, "metadata.uid missing"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *obj = cJSON_Parse(cases[i].json);
        kube_owner o;
        snug_err err;

        T_CASE("%s", cases[i].what);
        snug_err_clear(&err);
        CHECK(obj != NULL);
        CHECK_INT_EQ(kube_owner_from_object(obj, cases[i].r, cases[i].kind, &o, &err),
                     cases[i].want);
        if (cases[i].want == SNUG_OK) {
            CHECK_STR_EQ(o.api_version, cases[i].api_version);
            CHECK_STR_EQ(o.kind, cases[i].kind);
            CHECK_STR_EQ(o.ns, cases[i].ns);
            CHECK(o.uid != NULL && o.uid[0] == 'u');
        } else {
            CHECK_STR_CONTAINS(err.msg, cases[i].msg);
            CHECK(o.uid == NULL && o.name == NULL && o.api_version == NULL);
        }
        kube_owner_clear(&o);
        cJSON_Delete(obj);
    }
    kube_owner_clear(NULL);
}

static void test_fits(void)
{
    kube_owner dep = {"apps/v1", "Deployment", "c", "u", "snug"};
    kube_owner mwc = {"admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", "snug",
                      "u", NULL};

    T_CASE("fits");
    CHECK(kube_owner_fits(&dep, "snug"));
    CHECK(!kube_owner_fits(&dep, "other"));
    CHECK(!kube_owner_fits(&dep, "snu"));
    CHECK(!kube_owner_fits(&dep, NULL));
    CHECK(kube_owner_fits(&mwc, "any"));
    CHECK(kube_owner_fits(&mwc, NULL));
}

static void test_set_on(void)
{
    static const struct {
        const char *what, *in;
        snug_status want;
        bool changed;
        const char *refs; /* the ownerReferences after, printed unformatted */
    } cases[] = {
        {"no metadata", "{}", SNUG_OK, true,
         "[{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"c\",\"uid\":\"u-2\"}]"},
        {"no references", "{\"metadata\":{\"name\":\"x\"}}", SNUG_OK, true,
         "[{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"c\",\"uid\":\"u-2\"}]"},
        {"already there",
         "{\"metadata\":{\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":"
         "\"Deployment\",\"name\":\"c\",\"uid\":\"u-2\",\"controller\":true}]}}",
         SNUG_OK, false,
         "[{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"c\",\"uid\":\"u-2\","
         "\"controller\":true}]"},
        {"stale uid replaced, another owner kept",
         "{\"metadata\":{\"ownerReferences\":[{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"name\":"
         "\"c\",\"uid\":\"p\"},{\"apiVersion\":\"apps/v1beta2\",\"kind\":\"Deployment\","
         "\"name\":\"c\",\"uid\":\"u-1\"}]}}",
         SNUG_OK, true,
         "[{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"name\":\"c\",\"uid\":\"p\"},{\"apiVersion\":"
         "\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"c\",\"uid\":\"u-2\"}]"},
        {"same name in another group kept",
         "{\"metadata\":{\"ownerReferences\":[{\"apiVersion\":\"extensions/v1beta1\",\"kind\":"
         "\"Deployment\",\"name\":\"c\",\"uid\":\"e\"}]}}",
         SNUG_OK, true,
         "[{\"apiVersion\":\"extensions/v1beta1\",\"kind\":\"Deployment\",\"name\":\"c\","
         "\"uid\":\"e\"},{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"c\","
         "\"uid\":\"u-2\"}]"},
        {"broken entries kept",
         "{\"metadata\":{\"ownerReferences\":[7,{\"kind\":\"Deployment\",\"name\":\"c\"}]}}",
         SNUG_OK, true,
         "[7,{\"kind\":\"Deployment\",\"name\":\"c\"},{\"apiVersion\":\"apps/v1\",\"kind\":"
         "\"Deployment\",\"name\":\"c\",\"uid\":\"u-2\"}]"},
        {"references not an array", "{\"metadata\":{\"ownerReferences\":{}}}", SNUG_ERR_INVALID,
         false, "{}"},
        {"metadata not an object", "{\"metadata\":[]}", SNUG_ERR_INVALID, false, NULL},
    };
    kube_owner o = {"apps/v1", "Deployment", "c", "u-2", "snug"};
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *obj = cJSON_Parse(cases[i].in);
        bool changed = !cases[i].changed;
        snug_err err;
        char *got;

        T_CASE("%s", cases[i].what);
        CHECK(obj != NULL);
        CHECK_INT_EQ(kube_owner_set_on(obj, &o, &changed, &err), cases[i].want);
        CHECK_INT_EQ(changed, cases[i].changed);
        CHECK_INT_EQ(kube_owner_is_on(obj, &o), cases[i].want == SNUG_OK);
        got = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "ownerReferences"));
        CHECK_STR_EQ(got, cases[i].refs);
        if (cases[i].want != SNUG_OK)
            CHECK_STR_CONTAINS(err.msg, "metadata");
        free(got);
        cJSON_Delete(obj);
    }
}

static void test_is_on(void)
{
    cJSON *obj = cJSON_Parse("{\"metadata\":{\"ownerReferences\":[{\"uid\":\"u-20\"},"
                             "{\"uid\":7},{\"name\":\"c\"}]}}");
    kube_owner o = {"apps/v1", "Deployment", "c", "u-2", "snug"};
    kube_owner o20 = {"apps/v1", "Deployment", "c", "u-20", "snug"};

    T_CASE("is_on");
    CHECK(!kube_owner_is_on(obj, &o)); /* a uid is compared whole */
    CHECK(kube_owner_is_on(obj, &o20));
    CHECK(!kube_owner_is_on(NULL, &o));
    cJSON_Delete(obj);
}

/* ---- the scripted server ---------------------------------------------------------- */

#define SCRIPT_MAX 16

typedef struct answer {
    int code;
    const char *body;
} answer;

typedef struct script_server {
    int fd, port, stop;
    pthread_t thread;
    const answer *answers; /* one per request, in order */
    size_t n_answers;
    size_t n; /* requests served */
    char method[SCRIPT_MAX][8];
    char path[SCRIPT_MAX][256];
    char *body[SCRIPT_MAX];
} script_server;

static void send_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t k = send(fd, p, len, MSG_NOSIGNAL);

        if (k <= 0)
            return;
        p += k;
        len -= (size_t)k;
    }
}

/* Read one request's head and Content-Length body into buf (NUL-ended);
 * the offset of the body, or -1. */
static long read_request(int fd, char *buf, size_t cap)
{
    size_t len = 0;
    char *end = NULL, *cl;
    long head, body = 0;

    while (end == NULL && len + 1 < cap) {
        ssize_t k = recv(fd, buf + len, cap - 1 - len, 0);

        if (k <= 0)
            return -1;
        len += (size_t)k;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    if (end == NULL)
        return -1;
    head = end + 4 - buf;
    cl = strcasestr(buf, "Content-Length:");
    if (cl != NULL && cl < end)
        body = strtol(cl + 15, NULL, 10);
    while ((long)len < head + body && len + 1 < cap) {
        ssize_t k = recv(fd, buf + len, cap - 1 - len, 0);

        if (k <= 0)
            break;
        len += (size_t)k;
        buf[len] = '\0';
    }
    return head;
}

static void serve_one(script_server *srv, int fd)
{
    static char buf[1 << 16];
    char head[256];
    long body = read_request(fd, buf, sizeof(buf));
    const answer *a;

    if (body < 0)
        return;
    if (srv->n < SCRIPT_MAX) {
        sscanf(buf, "%7s %255s", srv->method[srv->n], srv->path[srv->n]);
        srv->body[srv->n] = strdup(buf + body);
    }
    a = srv->n < srv->n_answers ? &srv->answers[srv->n] : NULL;
    srv->n++;
    snprintf(head, sizeof(head),
             "HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
             "Connection: close\r\n\r\n",
             a ? a->code : 500, a ? strlen(a->body) : 2);
    send_all(fd, head, strlen(head));
    send_all(fd, a ? a->body : "{}", a ? strlen(a->body) : 2);
}

static void *server_main(void *p)
{
    script_server *srv = p;

    while (!__atomic_load_n(&srv->stop, __ATOMIC_ACQUIRE)) {
        struct pollfd pfd = {srv->fd, POLLIN, 0};
        int fd;

        if (poll(&pfd, 1, 20) <= 0)
            continue;
        fd = accept(srv->fd, NULL, NULL);
        if (fd < 0)
            continue;
        serve_one(srv, fd);
        close(fd);
    }
    return NULL;
}

static void server_start(script_server *srv, const answer *answers, size_t n)
{
    struct sockaddr_in addr;
    socklen_t alen = sizeof(addr);

    memset(srv, 0, sizeof(*srv));
    srv->answers = answers;
    srv->n_answers = n;
    srv->fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK_INT_EQ(bind(srv->fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    CHECK_INT_EQ(listen(srv->fd, 16), 0);
    getsockname(srv->fd, (struct sockaddr *)&addr, &alen);
    srv->port = ntohs(addr.sin_port);
    pthread_create(&srv->thread, NULL, server_main, srv);
}

static void server_stop(script_server *srv)
{
    size_t i;

    __atomic_store_n(&srv->stop, 1, __ATOMIC_RELEASE);
    pthread_join(srv->thread, NULL);
    close(srv->fd);
    for (i = 0; i < SCRIPT_MAX; i++)
        free(srv->body[i]);
}

static kube_client *client_for(const script_server *srv)
{
    char doc_text[512];
    cJSON *doc;
    kube_config *cfg = NULL;
    kube_client *c = NULL;
    snug_err err;

    snprintf(doc_text, sizeof(doc_text),
             "{\"current-context\":\"t\",\"contexts\":[{\"name\":\"t\",\"context\":{"
             "\"cluster\":\"c\",\"user\":\"u\"}}],\"clusters\":[{\"name\":\"c\","
             "\"cluster\":{\"server\":\"http://127.0.0.1:%d\"}}],\"users\":[{\"name\":"
             "\"u\",\"user\":{\"token\":\"t\"}}]}",
             srv->port);
    doc = cJSON_Parse(doc_text);
    CHECK_INT_EQ(kube_config_from_doc(doc, "/nonexistent", NULL, "test", &cfg, &err), SNUG_OK);
    cJSON_Delete(doc);
    if (cfg != NULL)
        CHECK_INT_EQ(kube_client_new(cfg, NULL, &c, &err), SNUG_OK);
    kube_config_free(cfg);
    return c;
}

/* ---- adopt ------------------------------------------------------------------------- */

#define CM_BARE "{\"metadata\":{\"name\":\"cm\",\"namespace\":\"ns\",\"resourceVersion\":\"%s\"}}"
#define CM_OWNED                                                                                   \
    "{\"metadata\":{\"name\":\"cm\",\"namespace\":\"ns\",\"resourceVersion\":\"9\","               \
    "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":"           \
    "\"ctl\",\"uid\":\"u-1\"}]}}"
#define CONFLICT                                                                                   \
    "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"Conflict\",\"code\":409,"            \
    "\"message\":\"the object has been modified\"}"
#define NOT_FOUND                                                                                  \
    "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"NotFound\",\"code\":404,"            \
    "\"message\":\"not found\"}"
#define EXISTS                                                                                     \
    "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"AlreadyExists\","                    \
    "\"code\":409,\"message\":\"already exists\"}"

static const kube_resource cms = {"", "v1", "configmaps"};

static void test_adopt(void)
{
    char bare1[256], bare2[256];
    answer conflict_then_ok[4], owned[1], missing[1], always_conflict[10];
    kube_owner o = {"apps/v1", "Deployment", "ctl", "u-1", "ns"};
    kube_owner elsewhere = {"apps/v1", "Deployment", "ctl", "u-1", "other"};
    script_server srv;
    kube_client *c;
    cJSON *out = NULL;
    snug_err err;
    size_t i;

    snprintf(bare1, sizeof(bare1), CM_BARE, "1");
    snprintf(bare2, sizeof(bare2), CM_BARE, "2");
    conflict_then_ok[0] = (answer){200, bare1};
    conflict_then_ok[1] = (answer){409, CONFLICT};
    conflict_then_ok[2] = (answer){200, bare2};
    conflict_then_ok[3] = (answer){200, CM_OWNED};
    T_CASE("a conflict: read again, then written");
    server_start(&srv, conflict_then_ok, 4);
    c = client_for(&srv);
    CHECK_INT_EQ(kube_owner_adopt(c, &cms, "ns", "cm", &o, "snug-test", &out, &err), SNUG_OK);
    CHECK_INT_EQ(srv.n, 4);
    CHECK_STR_EQ(srv.method[1], "PUT");
    CHECK_STR_EQ(srv.method[3], "PUT");
    CHECK_STR_CONTAINS(srv.path[3], "/api/v1/namespaces/ns/configmaps/cm?fieldManager=snug-test");
    CHECK_STR_CONTAINS(srv.body[3], "\"resourceVersion\":\"2\"");
    CHECK_STR_CONTAINS(srv.body[3], "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\","
                                    "\"kind\":\"Deployment\",\"name\":\"ctl\",\"uid\":\"u-1\"}]");
    CHECK(out != NULL && kube_owner_is_on(out, &o)); /* what the server stored */
    cJSON_Delete(out);
    kube_client_free(c);
    server_stop(&srv);

    T_CASE("already owned: no write");
    owned[0] = (answer){200, CM_OWNED};
    server_start(&srv, owned, 1);
    c = client_for(&srv);
    CHECK_INT_EQ(kube_owner_adopt(c, &cms, "ns", "cm", &o, NULL, NULL, &err), SNUG_OK);
    CHECK_INT_EQ(srv.n, 1);
    kube_client_free(c);
    server_stop(&srv);

    T_CASE("no such object");
    missing[0] = (answer){404, NOT_FOUND};
    server_start(&srv, missing, 1);
    c = client_for(&srv);
    CHECK_INT_EQ(kube_owner_adopt(c, &cms, "ns", "cm", &o, NULL, &out, &err), SNUG_ERR_NOT_FOUND);
    CHECK(out == NULL);
    CHECK_INT_EQ(srv.n, 1);
    CHECK_INT_EQ(kube_owner_adopt(c, &cms, "ns", "cm", &elsewhere, NULL, NULL, &err),
                 SNUG_ERR_INVALID); /* refused before any request */
    CHECK_STR_CONTAINS(err.msg, "Deployment other/ctl cannot own an object of namespace ns");
    CHECK_INT_EQ(srv.n, 1);
    kube_client_free(c);
    server_stop(&srv);

    T_CASE("conflicts every time: given up after 5 tries");
    for (i = 0; i < 10; i++)
        always_conflict[i] = i % 2 ? (answer){409, CONFLICT} : (answer){200, bare1};
    server_start(&srv, always_conflict, 10);
    c = client_for(&srv);
    CHECK_INT_EQ(kube_owner_adopt(c, &cms, "ns", "cm", &o, NULL, NULL, &err), SNUG_ERR_CONFLICT);
    CHECK_INT_EQ(srv.n, 10);
    kube_client_free(c);
    server_stop(&srv);
}

#define LEASE_FREE                                                                                 \
    "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{\"name\":"        \
    "\"l\",\"namespace\":\"ns\",\"resourceVersion\":\"5\",\"ownerReferences\":[{\"apiVersion\":"   \
    "\"v1\",\"kind\":\"ConfigMap\",\"name\":\"keep\",\"uid\":\"k-1\"}]},\"spec\":{}}"
#define LEASE_MINE                                                                                 \
    "{\"apiVersion\":\"coordination.k8s.io/v1\",\"kind\":\"Lease\",\"metadata\":{\"name\":"        \
    "\"l\",\"namespace\":\"ns\",\"resourceVersion\":\"6\"},\"spec\":{\"holderIdentity\":\"me\","   \
    "\"leaseDurationSeconds\":60}}"

/* An elector with an owner, run until it leads, then stopped (its release
 * is a GET and a PUT); the script has one answer per request. */
static void run_elector(script_server *srv, const kube_owner *owner)
{
    kube_lease_opts lo = {.ns = "ns", .name = "l", .identity = "me", .owner = owner};
    kube_client *c = client_for(srv);
    kube_lease *l = NULL;
    snug_err err;
    int i;

    /* no renewal while the test runs */
    lo.lease_duration_ms = 60000;
    lo.renew_deadline_ms = 40000;
    lo.retry_period_ms = 20000;
    CHECK_INT_EQ(kube_lease_new(c, &lo, &l, &err), SNUG_OK);
    CHECK_INT_EQ(kube_lease_start(l, &err), SNUG_OK);
    for (i = 0; i < 200 && !kube_lease_is_leader(l); i++)
        usleep(10000);
    CHECK(kube_lease_is_leader(l));
    kube_lease_free(l);
    kube_client_free(c);
}

static void test_lease_owner(void)
{
    const answer made[] = {
        {404, NOT_FOUND}, {201, LEASE_MINE}, {200, LEASE_MINE}, {200, LEASE_MINE}};
    const answer taken[] = {
        {200, LEASE_FREE}, {200, LEASE_MINE}, {200, LEASE_MINE}, {200, LEASE_MINE}};
    kube_owner o = {"apps/v1", "Deployment", "ctl", "u-1", "ns"};
    kube_owner elsewhere = {"apps/v1", "Deployment", "ctl", "u-1", "other"};
    kube_lease_opts lo = {.ns = "ns", .name = "l", .identity = "me", .owner = &elsewhere};
    script_server srv;
    kube_lease *l = NULL;
    snug_err err;

    T_CASE("missing: created held by the elector, owned");
    server_start(&srv, made, 4);
    run_elector(&srv, &o);
    CHECK_INT_EQ(srv.n, 4);
    CHECK_STR_EQ(srv.method[1], "POST");
    CHECK_STR_CONTAINS(srv.body[1], "\"holderIdentity\":\"me\"");
    CHECK_STR_CONTAINS(srv.body[1], "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\","
                                    "\"kind\":\"Deployment\",\"name\":\"ctl\",\"uid\":\"u-1\"}]");
    CHECK_STR_EQ(srv.method[3], "PUT"); /* the release */
    server_stop(&srv);

    T_CASE("free, with another owner: taken over, both owners named");
    server_start(&srv, taken, 4);
    run_elector(&srv, &o);
    CHECK_STR_EQ(srv.method[1], "PUT");
    CHECK_STR_CONTAINS(srv.body[1], "\"holderIdentity\":\"me\"");
    CHECK_STR_CONTAINS(srv.body[1], "\"uid\":\"k-1\"");
    CHECK_STR_CONTAINS(srv.body[1], "\"uid\":\"u-1\"");
    server_stop(&srv);

    T_CASE("an owner of another namespace: refused");
    CHECK_INT_EQ(kube_lease_new(NULL, &lo, &l, &err), SNUG_ERR_INVALID);
    CHECK_STR_CONTAINS(err.msg, "lease ns/l: Deployment other/ctl cannot own an object of "
                                "namespace ns");
    CHECK(l == NULL);
}

int main(void)
{
    log_set_level(LOG_OFF);
    RUN(test_from_object);
    RUN(test_fits);
    RUN(test_set_on);
    RUN(test_is_on);
    RUN(test_adopt);
    RUN(test_lease_owner);
    return TEST_DONE();
}

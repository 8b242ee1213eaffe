/* Unit tests for kube_api: paths, escaping, queries, errors, MicroTime. */
#include "kube/kube_api.h"
#include "test.h"

static void test_url_escape(void)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"plain-name.v1_x~", "plain-name.v1_x~"},
        {"", ""},
        {"app=web,tier!=db", "app%3Dweb%2Ctier%21%3Ddb"},
        {"env in (a, b)", "env%20in%20%28a%2C%20b%29"},
        {"a/b?c&d#e", "a%2Fb%3Fc%26d%23e"},
        {"snug.dev/mode", "snug.dev%2Fmode"},
        {"\xc3\xa9", "%C3%A9"},
        {"100%", "100%25"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        dynbuf b;

        T_CASE("%s", cases[i].in);
        dynbuf_init(&b, 1024);
        CHECK_INT_EQ(kube_url_escape(&b, cases[i].in), SNUG_OK);
        CHECK_STR_EQ(dynbuf_str(&b), cases[i].want);
        dynbuf_free(&b);
    }
}

static void test_path_build(void)
{
    static const kube_resource pods = {NULL, "v1", "pods"};
    static const kube_resource core_empty = {"", "v1", "namespaces"};
    static const kube_resource leases = {"coordination.k8s.io", "v1", "leases"};
    static const kube_resource recs = {"snug.dev", "v1alpha1", "recommendations"};
    static const kube_resource policies = {"snug.dev", "v1alpha1", "sizingpolicies"};
    static const struct {
        const kube_resource *r;
        const char *ns, *name, *sub, *want;
    } cases[] = {
        {&pods, NULL, NULL, NULL, "/api/v1/pods"},
        {&pods, "", NULL, NULL, "/api/v1/pods"},
        {&pods, "default", NULL, NULL, "/api/v1/namespaces/default/pods"},
        {&pods, "default", "web-1", NULL, "/api/v1/namespaces/default/pods/web-1"},
        {&pods, "default", "web-1", "status", "/api/v1/namespaces/default/pods/web-1/status"},
        {&core_empty, NULL, "kube-system", NULL, "/api/v1/namespaces/kube-system"},
        {&leases, "kube-system", "snug", NULL,
         "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/snug"},
        {&recs, "team-a", "deployment-web", "status",
         "/apis/snug.dev/v1alpha1/namespaces/team-a/recommendations/deployment-web/status"},
        {&policies, NULL, "default", NULL, "/apis/snug.dev/v1alpha1/sizingpolicies/default"},
        {&pods, "ns", "we ird/name", NULL, "/api/v1/namespaces/ns/pods/we%20ird%2Fname"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        dynbuf b;

        T_CASE("%s", cases[i].want);
        dynbuf_init(&b, 1024);
        CHECK_INT_EQ(
            kube_path_build(&b, cases[i].r, cases[i].ns, cases[i].name, cases[i].sub, NULL),
            SNUG_OK);
        CHECK_STR_EQ(dynbuf_str(&b), cases[i].want);
        dynbuf_free(&b);
    }
}

static void test_path_errors(void)
{
    static const kube_resource no_version = {NULL, NULL, "pods"};
    static const kube_resource no_resource = {NULL, "v1", ""};
    static const kube_resource pods = {NULL, "v1", "pods"};
    static const struct {
        const kube_resource *r;
        const char *name, *sub, *want;
    } cases[] = {
        {&no_version, NULL, NULL, "version: missing"},
        {&no_resource, NULL, NULL, "(plural): missing"},
        {&pods, "", NULL, "object name is empty"},
        {&pods, NULL, "status", "subresource needs an object name"},
        {NULL, NULL, NULL, "version: missing"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        dynbuf b;
        snug_err err;

        T_CASE("%s", cases[i].want);
        snug_err_clear(&err);
        dynbuf_init(&b, 1024);
        CHECK_INT_EQ(kube_path_build(&b, cases[i].r, "ns", cases[i].name, cases[i].sub, &err),
                     SNUG_ERR_INVALID);
        CHECK_STR_CONTAINS(err.msg, cases[i].want);
        dynbuf_free(&b);
    }
    {
        dynbuf b;

        T_CASE("path longer than the buffer");
        dynbuf_init(&b, 10);
        CHECK_INT_EQ(kube_path_build(&b, &pods, "a-long-namespace", "x", NULL, NULL),
                     SNUG_ERR_TOO_BIG);
        dynbuf_free(&b);
    }
}

static void test_query(void)
{
    dynbuf b;

    dynbuf_init(&b, 1024);
    dynbuf_addstr(&b, "/api/v1/pods");
    CHECK_INT_EQ(kube_query_add(&b, "labelSelector", "app in (a,b),!canary"), SNUG_OK);
    CHECK_INT_EQ(kube_query_add(&b, "fieldSelector", NULL), SNUG_OK);
    CHECK_INT_EQ(kube_query_add_long(&b, "limit", 500), SNUG_OK);
    CHECK_INT_EQ(kube_query_add(&b, "continue", "eyJ2Ijoi+/="), SNUG_OK);
    CHECK_STR_EQ(dynbuf_str(&b), "/api/v1/pods?labelSelector=app%20in%20%28a%2Cb%29%2C%21canary"
                                 "&limit=500&continue=eyJ2Ijoi%2B%2F%3D");
    dynbuf_free(&b);
}

static void test_status_from_http(void)
{
    static const struct {
        long code;
        snug_status want;
    } cases[] = {
        {200, SNUG_OK},
        {201, SNUG_OK},
        {204, SNUG_OK},
        {401, SNUG_ERR_UNAUTHORIZED},
        {403, SNUG_ERR_UNAUTHORIZED},
        {404, SNUG_ERR_NOT_FOUND},
        {409, SNUG_ERR_CONFLICT},
        {410, SNUG_ERR_GONE},
        {422, SNUG_ERR_INVALID},
        {500, SNUG_ERR_HTTP},
        {503, SNUG_ERR_HTTP},
        {504, SNUG_ERR_TIMEOUT},
        {429, SNUG_ERR_HTTP},
        {400, SNUG_ERR_HTTP},
        {0, SNUG_ERR_HTTP},
        {413, SNUG_ERR_TOO_BIG},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        T_CASE("%ld", cases[i].code);
        CHECK_INT_EQ(kube_status_from_http(cases[i].code), cases[i].want);
    }
}

static void test_error_from_response(void)
{
    static const char not_found[] =
        "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
        "\"message\":\"configmaps \\\"x\\\" not found\",\"reason\":\"NotFound\","
        "\"details\":{\"name\":\"x\",\"kind\":\"configmaps\"},\"code\":404}";
    static const char no_reason[] = "{\"kind\":\"Status\",\"message\":\"boom\",\"code\":500}";
    static const char html[] = "<html>\n<body>Bad Gateway</body>\n</html>\n";
    static const struct {
        long code;
        const char *body;
        snug_status want;
        const char *want_msg;
    } cases[] = {
        {404, not_found, SNUG_ERR_NOT_FOUND,
         "GET /x: HTTP 404: configmaps \"x\" not found (NotFound)"},
        {500, no_reason, SNUG_ERR_HTTP, "GET /x: HTTP 500: boom"},
        {502, html, SNUG_ERR_HTTP, "GET /x: HTTP 502: <html> <body>Bad Gateway</body> </html>"},
        {503, "", SNUG_ERR_HTTP, "GET /x: HTTP 503"},
        {200, not_found, SNUG_OK, ""},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        snug_err err;

        T_CASE("%ld", cases[i].code);
        snug_err_clear(&err);
        CHECK_INT_EQ(kube_error_from_response(cases[i].code, cases[i].body, strlen(cases[i].body),
                                              "GET /x", &err),
                     cases[i].want);
        CHECK_STR_EQ(err.msg, cases[i].want_msg);
    }
}

static void test_error_from_status_object(void)
{
    static const struct {
        const char *json;
        snug_status want;
        const char *want_msg;
    } cases[] = {
        {"{\"kind\":\"Status\",\"status\":\"Failure\",\"message\":\"too old resource version: "
         "1 (5)\",\"reason\":\"Expired\",\"code\":410}",
         SNUG_ERR_GONE, "watch: HTTP 410: too old resource version: 1 (5) (Expired)"},
        {"{\"message\":\"internal\",\"code\":500}", SNUG_ERR_HTTP, "watch: HTTP 500: internal"},
        {"{\"message\":\"no code\"}", SNUG_ERR_HTTP, "watch: HTTP 0: no code"},
        {"{\"code\":200}", SNUG_ERR_HTTP, "watch: HTTP 200: no message"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *doc = cJSON_Parse(cases[i].json);
        snug_err err;

        T_CASE("%s", cases[i].json);
        snug_err_clear(&err);
        CHECK_INT_EQ(kube_error_from_status_object(doc, "watch", &err), cases[i].want);
        CHECK_STR_EQ(err.msg, cases[i].want_msg);
        cJSON_Delete(doc);
    }
}

static void test_microtime(void)
{
    static const struct {
        long long sec;
        long nsec;
        const char *want;
    } fmt_cases[] = {
        {0, 0, "1970-01-01T00:00:00.000000Z"},
        {1136214245, 999999999, "2006-01-02T15:04:05.999999Z"},
        {1136214245, 1000, "2006-01-02T15:04:05.000001Z"},
        {4102444800LL, 500000000, "2100-01-01T00:00:00.500000Z"},
    };
    static const struct {
        const char *in;
        snug_status want;
        long long sec;
        long nsec;
    } parse_cases[] = {
        {"2006-01-02T15:04:05.000001Z", SNUG_OK, 1136214245, 1000},
        {"2006-01-02T15:04:05Z", SNUG_OK, 1136214245, 0},
        {"2006-01-02T15:04:05.5Z", SNUG_OK, 1136214245, 500000000},
        {"2006-01-02T15:04:05.123456789123Z", SNUG_OK, 1136214245, 123456789},
        {"2006-01-02T15:04:05", SNUG_ERR_PARSE, 0, 0},
        {"2006-01-02T15:04:05.Z", SNUG_ERR_PARSE, 0, 0},
        {"2006-13-02T15:04:05Z", SNUG_ERR_PARSE, 0, 0},
        {"2006-01-02 15:04:05Z", SNUG_ERR_PARSE, 0, 0},
        {"2006-01-02T15:04:05+01:00", SNUG_ERR_PARSE, 0, 0},
        {"", SNUG_ERR_PARSE, 0, 0},
        {"2006-01-02T15:04:05ZZ", SNUG_ERR_PARSE, 0, 0},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(fmt_cases); i++) {
        struct timespec ts;
        char out[KUBE_MICROTIME_LEN];

        T_CASE("%s", fmt_cases[i].want);
        ts.tv_sec = (time_t)fmt_cases[i].sec;
        ts.tv_nsec = fmt_cases[i].nsec;
        kube_microtime_format(&ts, out);
        CHECK_STR_EQ(out, fmt_cases[i].want);
    }
    for (i = 0; i < ARRAY_LEN(parse_cases); i++) {
        struct timespec ts = {0, 0};
        snug_err err;

        T_CASE("%s", parse_cases[i].in);
        snug_err_clear(&err);
        CHECK_INT_EQ(kube_microtime_parse(parse_cases[i].in, &ts, &err), parse_cases[i].want);
        if (parse_cases[i].want == SNUG_OK) {
            CHECK_INT_EQ(ts.tv_sec, parse_cases[i].sec);
            CHECK_INT_EQ(ts.tv_nsec, parse_cases[i].nsec);
        } else {
            CHECK_STR_CONTAINS(err.msg, "2006-01-02T15:04:05.000000Z");
        }
    }
}

static void test_obj_accessors(void)
{
    cJSON *obj = cJSON_Parse("{\"metadata\":{\"name\":\"a\",\"namespace\":\"b\","
                             "\"resourceVersion\":\"42\"},\"kind\":7}");

    CHECK_STR_EQ(kube_obj_name(obj), "a");
    CHECK_STR_EQ(kube_obj_namespace(obj), "b");
    CHECK_STR_EQ(kube_obj_resource_version(obj), "42");
    CHECK(kube_json_str(obj, "kind") == NULL);
    CHECK(kube_obj_name(NULL) == NULL);
    cJSON_Delete(obj);
}

int main(void)
{
    RUN(test_url_escape);
    RUN(test_path_build);
    RUN(test_path_errors);
    RUN(test_query);
    RUN(test_status_from_http);
    RUN(test_error_from_response);
    RUN(test_error_from_status_object);
    RUN(test_microtime);
    RUN(test_obj_accessors);
    return TEST_DONE();
}

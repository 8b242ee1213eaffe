/* AdmissionReview golden files: tests/data/admission/<case>/
 *   request.json        the AdmissionReview the API server sends
 *   policy.yaml         optional SizingPolicies (absent: the built-in default)
 *   recommendations.yaml, namespaces.yaml, limitranges.yaml   optional store contents
 *   expected.json       the exact response review, with response.patch written
 *                       as the decoded JSON Patch array (the test decodes base64)
 *   expected-warning    or: a substring one of the response warnings must contain
 * and tests/data/admission-bad/<file>: bodies that must get HTTP 400. */
#include <dirent.h>
#include <openssl/evp.h>
#include <sys/stat.h>

#include "webhook/admission.h"
#include "json/jsonarena.h"
#include "webhook/store.h"
#include "test.h"
#include "yaml/yamljson.h"

#define CASES_DIR SNUG_TEST_DATA "/admission"
#define BAD_DIR   SNUG_TEST_DATA "/admission-bad"

static cJSON *load_yaml(const char *dir, const char *name)
{
    char path[1024];
    struct stat sb;
    cJSON *docs = NULL;
    snug_err err;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (stat(path, &sb) != 0)
        return NULL;
    if (yaml_parse_file(path, 1 << 24, &docs, &err) != SNUG_OK)
        T_FAIL("%s: %s", path, err.msg);
    return docs;
}

static void fill_namespaces_and_limits(store *s, const char *dir)
{
    cJSON *docs = load_yaml(dir, "namespaces.yaml");
    cJSON *d;

    cJSON_ArrayForEach(d, docs)
    {
        const cJSON *md = cJSON_GetObjectItem(d, "metadata");

        store_put_namespace(s, cJSON_GetStringValue(cJSON_GetObjectItem(md, "name")),
                            cJSON_GetObjectItem(md, "labels"));
    }
    cJSON_Delete(docs);
    docs = load_yaml(dir, "limitranges.yaml");
    cJSON_ArrayForEach(d, docs)
    {
        const cJSON *md = cJSON_GetObjectItem(d, "metadata");

        store_put_limitrange(s, cJSON_GetStringValue(cJSON_GetObjectItem(md, "namespace")),
                             cJSON_GetStringValue(cJSON_GetObjectItem(md, "name")), d);
    }
    cJSON_Delete(docs);
}

static store *store_for_case(const char *dir)
{
    store *s = store_new(0);
    cJSON *docs = load_yaml(dir, "policy.yaml");
    policy_set *ps = NULL;
    rec_set *rs = NULL;
    snug_err err;

    if (docs != NULL) {
        if (policy_set_load(docs, &ps, &err) != SNUG_OK)
            T_FAIL("policy.yaml: %s", err.msg);
        else
            store_replace_policies(s, ps);
        cJSON_Delete(docs);
    } else {
        store_put_policy(s, policy_builtin_default());
    }
    docs = load_yaml(dir, "recommendations.yaml");
    if (docs != NULL) {
        if (rec_set_load(docs, "default", &rs, &err) != SNUG_OK)
            T_FAIL("recommendations.yaml: %s", err.msg);
        else
            store_replace_recommendations(s, rs);
        cJSON_Delete(docs);
    }
    fill_namespaces_and_limits(s, dir);
    return s;
}

/* Replace response.patch (base64) by the decoded JSON array. */
static void decode_patch(cJSON *review)
{
    cJSON *resp = cJSON_GetObjectItem(review, "response");
    cJSON *patch = cJSON_GetObjectItem(resp, "patch");
    unsigned char *raw;
    int n;
    size_t len;

    if (!cJSON_IsString(patch))
        return;
    len = strlen(patch->valuestring);
    raw = calloc(1, len + 1);
    n = EVP_DecodeBlock(raw, (const unsigned char *)patch->valuestring, (int)len);
    CHECK(n > 0);
    while (n > 0 && raw[n - 1] == '\0')
        n--; /* EVP_DecodeBlock counts padding as zero bytes */
    cJSON_ReplaceItemInObject(resp, "patch", cJSON_ParseWithLength((const char *)raw, (size_t)n));
    free(raw);
}

static void check_warning(const cJSON *review, const char *want)
{
    const cJSON *w;
    const cJSON *warnings =
        cJSON_GetObjectItem(cJSON_GetObjectItem(review, "response"), "warnings");
    bool found = false;

    cJSON_ArrayForEach(w, warnings)
    {
        if (cJSON_IsString(w) && strstr(w->valuestring, want) != NULL)
            found = true;
    }
    if (!found)
        T_FAIL("no warning contains \"%s\"", want);
}

static void run_case(const char *name)
{
    char dir[768], path[1024];
    char *req, *want, *warn;
    size_t len;
    admission_result res;
    store *s;
    cJSON *got;

    snprintf(dir, sizeof(dir), "%s/%s", CASES_DIR, name);
    T_CASE("%s", name);
    snprintf(path, sizeof(path), "%s/request.json", dir);
    req = t_read_file(path, &len);
    if (req == NULL) {
        T_FAIL("cannot read %s", path);
        return;
    }
    s = store_for_case(dir);
    CHECK_INT_EQ(admission_handle(s, req, len, &res), SNUG_OK);
    CHECK_INT_EQ(res.http_status, 200);
    got = cJSON_Parse(res.body);
    CHECK(got != NULL);
    decode_patch(got);
    snprintf(path, sizeof(path), "%s/expected.json", dir);
    want = t_read_file(path, NULL);
    snprintf(path, sizeof(path), "%s/expected-warning", dir);
    warn = t_read_file(path, NULL);
    if (want != NULL) {
        cJSON *w = cJSON_Parse(want);
        char *g = cJSON_Print(got);

        if (w == NULL || !cJSON_Compare(got, w, 1))
            T_FAIL("response differs from expected.json; got:\n%s", g);
        free(g);
        cJSON_Delete(w);
    } else if (warn != NULL) {
        warn[strcspn(warn, "\n")] = '\0';
        check_warning(got, warn);
    } else {
        T_FAIL("case has neither expected.json nor expected-warning");
    }
    free(want);
    free(warn);
    free(req);
    cJSON_Delete(got);
    admission_result_free(&res);
    store_free(s);
}

static void for_each_entry(const char *dir, void (*fn)(const char *name), int *count)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (d == NULL) {
        T_FAIL("cannot open %s", dir);
        return;
    }
    for (e = readdir(d); e != NULL; e = readdir(d)) {
        if (e->d_name[0] == '.')
            continue;
        fn(e->d_name);
        (*count)++;
    }
    closedir(d);
}

static void test_golden_reviews(void)
{
    int n = 0;

    for_each_entry(CASES_DIR, run_case, &n);
    CHECK(n >= 8);
}

static void run_bad(const char *name)
{
    char path[1024];
    char *body;
    size_t len = 0;
    admission_result res;
    store *s = store_new(0);

    T_CASE("bad %s", name);
    snprintf(path, sizeof(path), "%s/%s", BAD_DIR, name);
    body = t_read_file(path, &len);
    CHECK(body != NULL);
    CHECK_INT_EQ(admission_handle(s, body, len, &res), SNUG_OK);
    CHECK_INT_EQ(res.http_status, 400);
    CHECK_INT_EQ(res.outcome, ADMISSION_BAD_REQUEST);
    CHECK_STR_EQ(res.content_type, "text/plain");
    CHECK(res.body != NULL && res.body_len > 0);
    admission_result_free(&res);
    free(body);
    store_free(s);
}

static void test_bad_requests(void)
{
    int n = 0;
    admission_result res;
    store *s = store_new(0);

    for_each_entry(BAD_DIR, run_bad, &n);
    CHECK(n >= 12);
    T_CASE("NULL body");
    CHECK_INT_EQ(admission_handle(s, NULL, 0, &res), SNUG_OK);
    CHECK_INT_EQ(res.http_status, 400);
    admission_result_free(&res);
    store_free(s);
}

/* The same cases with the per-request JSON arena the server installs: a
 * cJSON object escaping the window would crash or leak here (ASan). */
static void test_with_arena(void)
{
    jsonarena_install();
    test_golden_reviews();
    test_bad_requests();
}

int main(void)
{
    RUN(test_golden_reviews);
    RUN(test_bad_requests);
    RUN(test_with_arena);
    return TEST_DONE();
}

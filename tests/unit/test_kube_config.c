/* Unit tests for kube_config: kubeconfig files (contexts, inline data vs
 * files, relative paths, errors naming the field), in-cluster config from a
 * temporary service-account directory, the search order, token re-reads. */
#include <sys/stat.h>
#include <unistd.h>

#include "kube/kube_config.h"
#include "base/log.h"
#include "test.h"

static char tmpdir[256];

static void write_file(const char *name, const char *content)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    f = fopen(path, "w");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    fputs(content, f);
    fclose(f);
}

static void remove_file(const char *name)
{
    char path[512];

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    unlink(path);
}

static char *tmp_path(const char *name)
{
    static char path[512];

    snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
    return path;
}

/* "hello CA\n", "cert PEM\n", "key PEM\n" in base64 */
#define CA_B64   "aGVsbG8gQ0EK"
#define CERT_B64 "Y2VydCBQRU0K"
#define KEY_B64  "a2V5IFBFTQo="

static const char kubeconfig_main[] =
    "apiVersion: v1\n"
    "kind: Config\n"
    "current-context: inline\n"
    "clusters:\n"
    "- name: c-inline\n"
    "  cluster:\n"
    "    server: https://127.0.0.1:6443//\n"
    "    certificate-authority-data: " CA_B64 "\n"
    "    certificate-authority: ca.crt\n" /* inline wins */
    "- name: c-files\n"
    "  cluster:\n"
    "    server: https://[::1]:7443\n"
    "    certificate-authority: certs/ca.crt\n"
    "- name: c-insecure\n"
    "  cluster:\n"
    "    server: http://localhost:8080\n"
    "    insecure-skip-tls-verify: true\n"
    "users:\n"
    "- name: u-inline\n"
    "  user:\n"
    "    client-certificate-data: |\n"
    "      Y2VydCBQ\n"
    "      RU0K\n"
    "    client-key-data: " KEY_B64 "\n"
    "- name: u-files\n"
    "  user:\n"
    "    client-certificate: certs/client.crt\n"
    "    client-key: certs/client.key\n"
    "    tokenFile: token\n"
    "    token: ignored-because-tokenFile-wins\n"
    "- name: u-token\n"
    "  user:\n"
    "    token: abc.def\n"
    "contexts:\n"
    "- name: inline\n"
    "  context: {cluster: c-inline, user: u-inline, namespace: team-a}\n"
    "- name: files\n"
    "  context: {cluster: c-files, user: u-files}\n"
    "- name: insecure\n"
    "  context: {cluster: c-insecure, user: u-token}\n"
    "- name: anonymous\n"
    "  context: {cluster: c-insecure}\n";

static void setup_files(void)
{
    char certs[512];

    snprintf(certs, sizeof(certs), "%s/certs", tmpdir);
    mkdir(certs, 0700);
    write_file("certs/ca.crt", "ca\n");
    write_file("certs/client.crt", "crt\n");
    write_file("certs/client.key", "key\n");
    write_file("token", "  tok-1 \n\n");
    write_file("kubeconfig", kubeconfig_main);
}

static void test_kubeconfig_contexts(void)
{
    kube_config *cfg = NULL;
    snug_err err;
    char *tok = NULL;
    char want[600];

    snug_err_clear(&err);
    T_CASE("current-context, inline data");
    CHECK_INT_EQ(kube_config_from_file(tmp_path("kubeconfig"), NULL, &cfg, &err), SNUG_OK);
    CHECK_STR_EQ(err.msg, "");
    if (cfg != NULL) {
        CHECK_STR_EQ(cfg->server, "https://127.0.0.1:6443");
        CHECK_STR_EQ(cfg->namespace, "team-a");
        CHECK_INT_EQ(cfg->ca_data.len, 9);
        CHECK(cfg->ca_data.data && memcmp(cfg->ca_data.data, "hello CA\n", 9) == 0);
        CHECK(cfg->ca_file == NULL);
        CHECK_INT_EQ(cfg->cert_data.len, 9);
        CHECK(cfg->cert_data.data && memcmp(cfg->cert_data.data, "cert PEM\n", 9) == 0);
        CHECK_INT_EQ(cfg->key_data.len, 8);
        CHECK(cfg->key_data.data && memcmp(cfg->key_data.data, "key PEM\n", 8) == 0);
        CHECK(cfg->token_file == NULL);
        CHECK_INT_EQ(kube_config_token(cfg, &tok, NULL), SNUG_OK);
        CHECK(tok == NULL);
        CHECK_STR_CONTAINS(cfg->source, "(context inline)");
    }
    kube_config_free(cfg);

    T_CASE("named context, relative files, tokenFile");
    CHECK_INT_EQ(kube_config_from_file(tmp_path("kubeconfig"), "files", &cfg, &err), SNUG_OK);
    if (cfg != NULL) {
        CHECK_STR_EQ(cfg->server, "https://[::1]:7443");
        CHECK_STR_EQ(cfg->namespace, "default");
        snprintf(want, sizeof(want), "%s/certs/ca.crt", tmpdir);
        CHECK_STR_EQ(cfg->ca_file, want);
        snprintf(want, sizeof(want), "%s/certs/client.crt", tmpdir);
        CHECK_STR_EQ(cfg->cert_file, want);
        snprintf(want, sizeof(want), "%s/certs/client.key", tmpdir);
        CHECK_STR_EQ(cfg->key_file, want);
        snprintf(want, sizeof(want), "%s/token", tmpdir);
        CHECK_STR_EQ(cfg->token_file, want);
        CHECK_INT_EQ(kube_config_token(cfg, &tok, NULL), SNUG_OK);
        CHECK_STR_EQ(tok, "tok-1");
        free(tok);
    }
    kube_config_free(cfg);

    T_CASE("insecure, inline token");
    CHECK_INT_EQ(kube_config_from_file(tmp_path("kubeconfig"), "insecure", &cfg, &err), SNUG_OK);
    if (cfg != NULL) {
        CHECK(cfg->insecure_skip_tls_verify);
        CHECK_STR_EQ(cfg->server, "http://localhost:8080");
        CHECK_INT_EQ(kube_config_token(cfg, &tok, NULL), SNUG_OK);
        CHECK_STR_EQ(tok, "abc.def");
        free(tok);
    }
    kube_config_free(cfg);

    T_CASE("context without a user");
    CHECK_INT_EQ(kube_config_from_file(tmp_path("kubeconfig"), "anonymous", &cfg, &err), SNUG_OK);
    CHECK(cfg != NULL && cfg->cert_file == NULL && cfg->token == NULL);
    kube_config_free(cfg);
}

static void test_token_rotation(void)
{
    kube_config *cfg = NULL;
    char *tok = NULL;

    CHECK_INT_EQ(kube_config_from_file(tmp_path("kubeconfig"), "files", &cfg, NULL), SNUG_OK);
    if (cfg == NULL)
        return;
    write_file("token", "tok-2\n");
    CHECK_INT_EQ(kube_config_token(cfg, &tok, NULL), SNUG_OK);
    CHECK_STR_EQ(tok, "tok-1"); /* read less than a minute ago: cached */
    free(tok);
    kube_config_token_invalidate(cfg); /* what a 401 does */
    CHECK_INT_EQ(kube_config_token(cfg, &tok, NULL), SNUG_OK);
    CHECK_STR_EQ(tok, "tok-2");
    free(tok);

    T_CASE("the minute passed");
    write_file("token", "tok-3");
    cfg->token_read_ms -= KUBE_TOKEN_REFRESH_MS;
    CHECK_INT_EQ(kube_config_token(cfg, &tok, NULL), SNUG_OK);
    CHECK_STR_EQ(tok, "tok-3");
    free(tok);

    T_CASE("an unreadable file keeps the last token");
    remove_file("token");
    kube_config_token_invalidate(cfg);
    CHECK_INT_EQ(kube_config_token(cfg, &tok, NULL), SNUG_OK);
    CHECK_STR_EQ(tok, "tok-3");
    free(tok);
    write_file("token", "tok-1\n");

    T_CASE("references");
    kube_config_ref(cfg);
    kube_config_free(cfg);
    CHECK_STR_EQ(cfg->server, "https://[::1]:7443"); /* still alive */
    kube_config_free(cfg);
}

static void test_kubeconfig_errors(void)
{
    static const struct {
        const char *yaml;
        const char *context;
        snug_status want;
        const char *want_msg;
    } cases[] = {
        {"clusters: []\n", NULL, SNUG_ERR_INVALID, "current-context: not set"},
        {"current-context: x\n", NULL, SNUG_ERR_NOT_FOUND, "contexts: no entry named \"x\""},
        {"current-context: x\ncontexts:\n- name: x\n", NULL, SNUG_ERR_INVALID,
         "contexts[name=\"x\"].context: missing"},
        {"current-context: x\ncontexts:\n- name: x\n  context: {user: u}\n", NULL, SNUG_ERR_INVALID,
         "contexts[name=\"x\"].context.cluster: missing"},
        {"contexts:\n- name: x\n  context: {cluster: c}\n", "x", SNUG_ERR_NOT_FOUND,
         "clusters: no entry named \"c\""},
        {"contexts:\n- name: x\n  context: {cluster: c}\nclusters:\n- name: c\n  cluster: {}\n",
         "x", SNUG_ERR_INVALID, "clusters[name=\"c\"].cluster.server: missing"},
        {"contexts:\n- name: x\n  context: {cluster: c}\nclusters:\n- name: c\n  cluster:\n"
         "    server: 10.0.0.1:6443\n",
         "x", SNUG_ERR_INVALID, "server: \"10.0.0.1:6443\" is not an http(s) URL"},
        {"contexts:\n- name: x\n  context: {cluster: c}\nclusters:\n- name: c\n  cluster:\n"
         "    server: https://h\n    certificate-authority-data: 'not base64!'\n",
         "x", SNUG_ERR_PARSE, "cluster.certificate-authority-data: invalid base64"},
        {"contexts:\n- name: x\n  context: {cluster: c}\nclusters:\n- name: c\n  cluster:\n"
         "    server: https://h\n    certificate-authority: missing.crt\n",
         "x", SNUG_ERR_IO, "cluster.certificate-authority: "},
        {"contexts:\n- name: x\n  context: {cluster: c}\nclusters:\n- name: c\n  cluster:\n"
         "    server: https://h\n    insecure-skip-tls-verify: 'yes'\n",
         "x", SNUG_ERR_INVALID, "insecure-skip-tls-verify: must be a bool"},
        {"contexts:\n- name: x\n  context: {cluster: c, user: u}\nclusters:\n- name: c\n"
         "  cluster: {server: 'https://h'}\n",
         "x", SNUG_ERR_NOT_FOUND, "users: no entry named \"u\""},
        {"contexts:\n- name: x\n  context: {cluster: c, user: u}\nclusters:\n- name: c\n"
         "  cluster: {server: 'https://h'}\nusers:\n- name: u\n  user:\n"
         "    client-certificate-data: " CERT_B64 "\n",
         "x", SNUG_ERR_INVALID, "users[name=\"u\"].user.client-key: missing"},
        {"contexts:\n- name: x\n  context: {cluster: c, user: u}\nclusters:\n- name: c\n"
         "  cluster: {server: 'https://h'}\nusers:\n- name: u\n  user:\n"
         "    exec: {command: aws}\n",
         "x", SNUG_ERR_UNSUPPORTED, "users[name=\"u\"].user.exec: credential plugins"},
        {"contexts:\n- name: x\n  context: {cluster: c, user: u}\nclusters:\n- name: c\n"
         "  cluster: {server: 'https://h'}\nusers:\n- name: u\n  user:\n"
         "    tokenFile: nope\n",
         "x", SNUG_ERR_IO, "users[name=\"u\"].user.tokenFile: "},
        {"contexts:\n- name: x\n  context: {cluster: c, user: u}\nclusters:\n- name: c\n"
         "  cluster: {server: 'https://h'}\nusers:\n- name: u\n  user:\n    token: 42\n",
         "x", SNUG_ERR_INVALID, "users[name=\"u\"].user.token: must be a string"},
        {"- just\n- a list\n", NULL, SNUG_ERR_INVALID, "not a kubeconfig"},
        {"key: [unclosed\n", NULL, SNUG_ERR_PARSE, "kubeconfig "},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        kube_config *cfg = (kube_config *)1;
        snug_err err;

        T_CASE("%s", cases[i].want_msg);
        write_file("bad-kubeconfig", cases[i].yaml);
        snug_err_clear(&err);
        CHECK_INT_EQ(
            kube_config_from_file(tmp_path("bad-kubeconfig"), cases[i].context, &cfg, &err),
            cases[i].want);
        CHECK(cfg == NULL);
        CHECK_STR_CONTAINS(err.msg, cases[i].want_msg);
        CHECK_STR_CONTAINS(err.msg, "bad-kubeconfig"); /* names the file */
    }
    remove_file("bad-kubeconfig");
    {
        kube_config *cfg = NULL;
        snug_err err;

        T_CASE("missing file");
        CHECK(kube_config_from_file(tmp_path("no-such-file"), NULL, &cfg, &err) != SNUG_OK);
        CHECK_STR_CONTAINS(err.msg, "no-such-file");
    }
}

static void test_in_cluster(void)
{
    static const struct {
        const char *host, *port, *want_server;
    } cases[] = {
        {"10.96.0.1", "443", "https://10.96.0.1:443"},
        {"fd00:10:96::1", "6443", "https://[fd00:10:96::1]:6443"},
        {"[fd00::1]", "443", "https://[fd00::1]:443"},
        {"kubernetes.default.svc", "443", "https://kubernetes.default.svc:443"},
    };
    char sa[512];
    char want[600];
    kube_config *cfg = NULL;
    snug_err err;
    char *tok = NULL;
    size_t i;

    snprintf(sa, sizeof(sa), "%s/sa", tmpdir);
    mkdir(sa, 0700);
    write_file("sa/token", "eyJhbGciOi.sa-token\n");
    write_file("sa/ca.crt", "ca\n");
    write_file("sa/namespace", "snug-system");
    for (i = 0; i < ARRAY_LEN(cases); i++) {
        T_CASE("%s", cases[i].want_server);
        setenv("KUBERNETES_SERVICE_HOST", cases[i].host, 1);
        setenv("KUBERNETES_SERVICE_PORT", cases[i].port, 1);
        CHECK_INT_EQ(kube_config_in_cluster(sa, &cfg, &err), SNUG_OK);
        if (cfg == NULL)
            continue;
        CHECK_STR_EQ(cfg->server, cases[i].want_server);
        CHECK_STR_EQ(cfg->namespace, "snug-system");
        snprintf(want, sizeof(want), "%s/ca.crt", sa);
        CHECK_STR_EQ(cfg->ca_file, want);
        snprintf(want, sizeof(want), "%s/token", sa);
        CHECK_STR_EQ(cfg->token_file, want);
        CHECK_INT_EQ(kube_config_token(cfg, &tok, NULL), SNUG_OK);
        CHECK_STR_EQ(tok, "eyJhbGciOi.sa-token");
        free(tok);
        CHECK_STR_EQ(cfg->source, "in-cluster");
        kube_config_free(cfg);
    }

    T_CASE("no namespace file");
    remove_file("sa/namespace");
    CHECK_INT_EQ(kube_config_in_cluster(sa, &cfg, &err), SNUG_OK);
    CHECK(cfg != NULL && strcmp(cfg->namespace, "default") == 0);
    kube_config_free(cfg);

    T_CASE("no token");
    remove_file("sa/token");
    CHECK_INT_EQ(kube_config_in_cluster(sa, &cfg, &err), SNUG_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err.msg, "in-cluster: token");
    write_file("sa/token", "\n");
    CHECK_INT_EQ(kube_config_in_cluster(sa, &cfg, &err), SNUG_ERR_INVALID);
    CHECK_STR_CONTAINS(err.msg, "empty");

    T_CASE("no environment");
    unsetenv("KUBERNETES_SERVICE_PORT");
    CHECK_INT_EQ(kube_config_in_cluster(sa, &cfg, &err), SNUG_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err.msg, "KUBERNETES_SERVICE_PORT");
    CHECK(cfg == NULL);
    unsetenv("KUBERNETES_SERVICE_HOST");
    remove_file("sa/token");
    remove_file("sa/ca.crt");
    rmdir(sa);
}

static void test_search_order(void)
{
    kube_config *cfg = NULL;
    snug_err err;
    char env[1200];
    char home[512];

    unsetenv("KUBERNETES_SERVICE_HOST");
    T_CASE("$KUBECONFIG: first existing entry");
    snprintf(env, sizeof(env), "%s/nope::%s", tmpdir, tmp_path("kubeconfig"));
    setenv("KUBECONFIG", env, 1);
    CHECK_INT_EQ(kube_config_load(NULL, "insecure", &cfg, &err), SNUG_OK);
    CHECK(cfg != NULL && strcmp(cfg->server, "http://localhost:8080") == 0);
    kube_config_free(cfg);

    T_CASE("explicit path wins over $KUBECONFIG");
    setenv("KUBECONFIG", "/nonexistent", 1);
    CHECK_INT_EQ(kube_config_load(tmp_path("kubeconfig"), NULL, &cfg, &err), SNUG_OK);
    kube_config_free(cfg);

    T_CASE("$KUBECONFIG with no existing file");
    CHECK_INT_EQ(kube_config_load(NULL, NULL, &cfg, &err), SNUG_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err.msg, "KUBECONFIG=/nonexistent");

    T_CASE("~/.kube/config");
    unsetenv("KUBECONFIG");
    snprintf(home, sizeof(home), "%s/home", tmpdir);
    mkdir(home, 0700);
    setenv("HOME", home, 1);
    CHECK_INT_EQ(kube_config_load(NULL, NULL, &cfg, &err), SNUG_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(err.msg, ".kube/config does not exist");
    mkdir(tmp_path("home/.kube"), 0700);
    write_file("home/.kube/config", kubeconfig_main);
    CHECK_INT_EQ(kube_config_load(NULL, "inline", &cfg, &err), SNUG_OK);
    CHECK(cfg != NULL && strcmp(cfg->namespace, "team-a") == 0);
    kube_config_free(cfg);
    remove_file("home/.kube/config");
    rmdir(tmp_path("home/.kube"));
    rmdir(home);
}

int main(void)
{
    char tmpl[] = "/tmp/snug-kubecfg-XXXXXX";

    log_set_level(LOG_ERROR);
    if (mkdtemp(tmpl) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(tmpdir, sizeof(tmpdir), "%s", tmpl);
    setup_files();
    RUN(test_kubeconfig_contexts);
    RUN(test_token_rotation);
    RUN(test_kubeconfig_errors);
    RUN(test_in_cluster);
    RUN(test_search_order);
    remove_file("certs/ca.crt");
    remove_file("certs/client.crt");
    remove_file("certs/client.key");
    rmdir(tmp_path("certs"));
    remove_file("token");
    remove_file("kubeconfig");
    rmdir(tmpdir);
    return TEST_DONE();
}

/* serve.c -- `snug-webhook serve`: flags, wiring, the housekeeping loop. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "webhook/cert_manager.h"
#include "webhook/cli.h"
#include "webhook/cluster_certs.h"
#include "kube/kube_client.h"
#include "kube/kube_config.h"
#include "base/log.h"
#include "model/policy.h"
#include "webhook/server.h"
#include "webhook/source_file.h"
#include "webhook/source_kube.h"
#include "webhook/store.h"
#include "webhook/tls_keeper.h"
#include "webhook/webhook_metrics.h"

#define SERVE_MAX_SANS 32

typedef struct serve_opts {
    server_config server;
    cert_manager_config certs;
    const char *dns[SERVE_MAX_SANS];
    const char *ips[SERVE_MAX_SANS];
    char svc_names[4][256];
    const char *policy_path, *recs_path;
    const char *kubeconfig, *context, *namespace, *ca_secret, *webhook_config;
    bool in_cluster, watch_jobs;
    int64_t poll_interval, shutdown_timeout;
    char listen_addr[64], metrics_addr[64];
} serve_opts;

static volatile sig_atomic_t g_stop;
static volatile sig_atomic_t g_reload;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        g_reload = 1;
    else
        g_stop = 1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: snug-webhook serve [flags]\n\n"
            "listeners:\n"
            "  --listen ADDR:PORT          TLS admission listener (default 0.0.0.0:8443)\n"
            "  --metrics-listen ADDR:PORT  plain-HTTP /metrics listener (default 0.0.0.0:9090; "
            "'off' disables)\n"
            "  --max-body-bytes N          request body cap, 413 beyond (default 8388608)\n"
            "  --threads N                 worker threads (default: usable CPUs, cgroup aware)\n"
            "  --connection-timeout SECS   idle connection timeout (default 120)\n"
            "  --max-connections N         concurrent connections (default 16384)\n"
            "  --shutdown-timeout DUR      grace period for requests in flight on SIGTERM "
            "(default 20s)\n"
            "certificates (files mode):\n"
            "  --tls-cert-file FILE --tls-key-file FILE [--tls-ca-file FILE]\n"
            "                              reloaded without a restart when they change\n"
            "certificates (self-managed mode):\n"
            "  --self-managed-certs        create a CA and a serving certificate, rotate them\n"
            "  --service-name NAME --service-namespace NS   DNS SANs for the Service\n"
            "  --dns-name NAME, --ip-san IP  extra SANs (repeatable)\n"
            "  --ca-cert-file FILE --ca-key-file FILE  keep the CA here (loaded when present)\n"
            "  --ca-bundle-out FILE        write the CA bundle (PEM) here after every change\n"
            "  --cert-validity DUR         serving certificate lifetime (default 8760h)\n"
            "  --cert-renew-before DUR     renew this long before expiry (default: a third)\n"
            "data:\n"
            "  --policy FILE               SizingPolicy documents (default: built-in policy)\n"
            "  --recommendations FILE      Recommendation documents\n"
            "  --source-poll-interval DUR  how often files are checked (default 2s)\n"
            "cluster (instead of files):\n"
            "  --kubeconfig FILE [--context NAME]  watch the API server with this kubeconfig\n"
            "  --in-cluster                watch the API server with the Pod's service account\n"
            "  --namespace NS              the webhook's namespace (default: POD_NAMESPACE or the\n"
            "                              config's namespace)\n"
            "  --ca-secret NAME            self-managed: keep the CA in this Secret "
            "(default snug-webhook-ca)\n"
            "  --webhook-config NAME       self-managed: write the caBundle into this\n"
            "                              MutatingWebhookConfiguration, which also owns the\n"
            "                              CA Secret (deleted with it)\n"
            "  --no-watch-jobs             do not watch Jobs (Job -> CronJob mapping off)\n"
            "process:\n"
            "                              (keeps breakpoints planted before start intact)\n"
            "  --log-level LEVEL           debug, info, warn, error (default info)\n");
}

/* "host:port", ":port" or "port". */
static int parse_listen(const char *s, char *addr, size_t cap, int *port)
{
    const char *colon = strrchr(s, ':');
    char *end;
    long p;

    if (colon == NULL) {
        snprintf(addr, cap, "0.0.0.0");
        colon = s - 1;
    } else if (colon == s) {
        snprintf(addr, cap, "0.0.0.0");
    } else {
        snprintf(addr, cap, "%.*s", (int)(colon - s), s);
    }
    errno = 0;
    p = strtol(colon + 1, &end, 10);
    if (errno != 0 || *end != '\0' || end == colon + 1 || p < 0 || p > 65535)
        return -1;
    *port = (int)p;
    return 0;
}

static int parse_dur(const char *flag, const char *v, int64_t *out)
{
    snug_err err;

    if (duration_parse(v, out, &err) != SNUG_OK) {
        fprintf(stderr, "snug-webhook serve: %s: %s\n", flag, err.msg);
        return -1;
    }
    return 0;
}

static int parse_uint(const char *flag, const char *v, unsigned long long max,
                      unsigned long long *out)
{
    char *end;

    errno = 0;
    *out = strtoull(v, &end, 10);
    if (errno != 0 || *end != '\0' || end == v || *out > max || v[0] == '-') {
        fprintf(stderr, "snug-webhook serve: %s: \"%s\" is not a number up to %llu\n", flag, v,
                max);
        return -1;
    }
    return 0;
}

enum {
    OPT_LISTEN = 256,
    OPT_METRICS,
    OPT_MAX_BODY,
    OPT_THREADS,
    OPT_CONN_TIMEOUT,
    OPT_MAX_CONN,
    OPT_SHUTDOWN,
    OPT_CERT,
    OPT_KEY,
    OPT_CA,
    OPT_SELF,
    OPT_SVC_NAME,
    OPT_SVC_NS,
    OPT_DNS,
    OPT_IP,
    OPT_CA_CERT,
    OPT_CA_KEY,
    OPT_CA_OUT,
    OPT_VALIDITY,
    OPT_RENEW,
    OPT_POLICY,
    OPT_RECS,
    OPT_POLL,
    OPT_LOG,
    OPT_HELP,
    OPT_KUBECONFIG,
    OPT_CONTEXT,
    OPT_IN_CLUSTER,
    OPT_NAMESPACE,
    OPT_CA_SECRET,
    OPT_WEBHOOK_CONFIG,
    OPT_NO_JOBS
};

static const struct option long_opts[] = {
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"metrics-listen", required_argument, NULL, OPT_METRICS},
    {"max-body-bytes", required_argument, NULL, OPT_MAX_BODY},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"connection-timeout", required_argument, NULL, OPT_CONN_TIMEOUT},
    {"max-connections", required_argument, NULL, OPT_MAX_CONN},
    {"shutdown-timeout", required_argument, NULL, OPT_SHUTDOWN},
    {"tls-cert-file", required_argument, NULL, OPT_CERT},
    {"tls-key-file", required_argument, NULL, OPT_KEY},
    {"tls-ca-file", required_argument, NULL, OPT_CA},
    {"self-managed-certs", no_argument, NULL, OPT_SELF},
    {"service-name", required_argument, NULL, OPT_SVC_NAME},
    {"service-namespace", required_argument, NULL, OPT_SVC_NS},
    {"dns-name", required_argument, NULL, OPT_DNS},
    {"ip-san", required_argument, NULL, OPT_IP},
    {"ca-cert-file", required_argument, NULL, OPT_CA_CERT},
    {"ca-key-file", required_argument, NULL, OPT_CA_KEY},
    {"ca-bundle-out", required_argument, NULL, OPT_CA_OUT},
    {"cert-validity", required_argument, NULL, OPT_VALIDITY},
    {"cert-renew-before", required_argument, NULL, OPT_RENEW},
    {"policy", required_argument, NULL, OPT_POLICY},
    {"recommendations", required_argument, NULL, OPT_RECS},
    {"source-poll-interval", required_argument, NULL, OPT_POLL},
    {"log-level", required_argument, NULL, OPT_LOG},
    {"help", no_argument, NULL, OPT_HELP},
    {"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
    {"context", required_argument, NULL, OPT_CONTEXT},
    {"in-cluster", no_argument, NULL, OPT_IN_CLUSTER},
    {"namespace", required_argument, NULL, OPT_NAMESPACE},
    {"ca-secret", required_argument, NULL, OPT_CA_SECRET},
    {"webhook-config", required_argument, NULL, OPT_WEBHOOK_CONFIG},
    {"no-watch-jobs", no_argument, NULL, OPT_NO_JOBS},
    {NULL, 0, NULL, 0},
};

typedef struct serve_flags {
    const char *svc_name, *svc_ns;
    bool self_managed;
} serve_flags;

static int add_san(const char **arr, size_t *n, const char *v)
{
    if (*n >= SERVE_MAX_SANS) {
        fprintf(stderr, "snug-webhook serve: at most %d SANs of each kind\n", SERVE_MAX_SANS);
        return -1;
    }
    arr[(*n)++] = v;
    return 0;
}

/* Handle one option; 0 ok, 1 help printed, -1 error. */
static int apply_opt(serve_opts *o, serve_flags *f, int c, const char *v)
{
    unsigned long long n;
    log_level lvl;

    switch (c) {
    case OPT_LISTEN: {
        int port;

        if (parse_listen(v, o->listen_addr, sizeof(o->listen_addr), &port) != 0)
            goto bad;
        o->server.address = o->listen_addr;
        o->server.port = (uint16_t)port;
        return 0;
    }
    case OPT_METRICS:
        if (strcmp(v, "off") == 0) {
            o->server.metrics_port = -1;
            return 0;
        }
        if (parse_listen(v, o->metrics_addr, sizeof(o->metrics_addr), &o->server.metrics_port))
            goto bad;
        o->server.metrics_address = o->metrics_addr;
        return 0;
    case OPT_MAX_BODY:
        if (parse_uint("--max-body-bytes", v, 1ULL << 31, &n) != 0 || n == 0)
            return -1;
        o->server.max_body = (size_t)n;
        return 0;
    case OPT_THREADS:
        if (parse_uint("--threads", v, 1024, &n) != 0)
            return -1;
        o->server.threads = (unsigned)n;
        return 0;
    case OPT_CONN_TIMEOUT:
        if (parse_uint("--connection-timeout", v, 86400, &n) != 0)
            return -1;
        o->server.connection_timeout = (unsigned)n;
        return 0;
    case OPT_MAX_CONN:
        if (parse_uint("--max-connections", v, 1000000, &n) != 0)
            return -1;
        o->server.connection_limit = (unsigned)n;
        return 0;
    case OPT_SHUTDOWN:
        return parse_dur("--shutdown-timeout", v, &o->shutdown_timeout);
    case OPT_CERT:
        o->certs.cert_file = v;
        return 0;
    case OPT_KEY:
        o->certs.key_file = v;
        return 0;
    case OPT_CA:
        o->certs.ca_file = v;
        return 0;
    case OPT_SELF:
        f->self_managed = true;
        return 0;
    case OPT_SVC_NAME:
        f->svc_name = v;
        return 0;
    case OPT_SVC_NS:
        f->svc_ns = v;
        return 0;
    case OPT_DNS:
        return add_san(o->dns, &o->certs.n_dns, v);
    case OPT_IP:
        return add_san(o->ips, &o->certs.n_ips, v);
    case OPT_CA_CERT:
        o->certs.ca_cert_file = v;
        return 0;
    case OPT_CA_KEY:
        o->certs.ca_key_file = v;
        return 0;
    case OPT_CA_OUT:
        o->certs.ca_bundle_out = v;
        return 0;
    case OPT_VALIDITY:
        return parse_dur("--cert-validity", v, &o->certs.validity);
    case OPT_RENEW:
        return parse_dur("--cert-renew-before", v, &o->certs.renew_before);
    case OPT_POLICY:
        o->policy_path = v;
        return 0;
    case OPT_RECS:
        o->recs_path = v;
        return 0;
    case OPT_POLL:
        return parse_dur("--source-poll-interval", v, &o->poll_interval);
    case OPT_LOG:
        if (log_parse_level(v, &lvl) != 0)
            goto bad;
        log_set_level(lvl);
        return 0;
    case OPT_HELP:
        usage(stdout);
        return 1;
    case OPT_KUBECONFIG:
        o->kubeconfig = v;
        return 0;
    case OPT_CONTEXT:
        o->context = v;
        return 0;
    case OPT_IN_CLUSTER:
        o->in_cluster = true;
        return 0;
    case OPT_NAMESPACE:
        o->namespace = v;
        return 0;
    case OPT_CA_SECRET:
        o->ca_secret = v;
        return 0;
    case OPT_WEBHOOK_CONFIG:
        o->webhook_config = v;
        return 0;
    case OPT_NO_JOBS:
        o->watch_jobs = false;
        return 0;
    default:
        usage(stderr);
        return -1;
    }
bad:
    fprintf(stderr, "snug-webhook serve: bad value \"%s\"\n", v);
    return -1;
}

/* Add the Service DNS names: name, name.ns, name.ns.svc, name.ns.svc.cluster.local. */
static int add_service_sans(serve_opts *o, const serve_flags *f)
{
    static const char *suffixes[] = {"", ".svc", ".svc.cluster.local"};
    size_t i;

    if (f->svc_name == NULL)
        return 0;
    snprintf(o->svc_names[0], sizeof(o->svc_names[0]), "%s", f->svc_name);
    if (add_san(o->dns, &o->certs.n_dns, o->svc_names[0]) != 0)
        return -1;
    for (i = 0; f->svc_ns != NULL && i < 3; i++) {
        snprintf(o->svc_names[i + 1], sizeof(o->svc_names[i + 1]), "%s.%s%s", f->svc_name,
                 f->svc_ns, suffixes[i]);
        if (add_san(o->dns, &o->certs.n_dns, o->svc_names[i + 1]) != 0)
            return -1;
    }
    return 0;
}

static int check_cert_flags(serve_opts *o, serve_flags *f)
{
    if (f->self_managed) {
        o->certs.mode = CERT_MODE_SELF_MANAGED;
        if (add_service_sans(o, f) != 0)
            return -1;
        if (o->certs.n_dns == 0 && o->certs.n_ips == 0) {
            fprintf(stderr, "snug-webhook serve: --self-managed-certs needs --service-name, "
                            "--dns-name or --ip-san\n");
            return -1;
        }
        o->certs.dns_names = o->dns;
        o->certs.ips = o->ips;
        return 0;
    }
    o->certs.mode = CERT_MODE_FILES;
    if (o->certs.cert_file == NULL || o->certs.key_file == NULL) {
        fprintf(stderr, "snug-webhook serve: give --tls-cert-file and --tls-key-file, or "
                        "--self-managed-certs\n");
        return -1;
    }
    return 0;
}

static int parse_args(int argc, char **argv, serve_opts *o)
{
    serve_flags f = {0};
    int c;

    memset(o, 0, sizeof(*o));
    o->server.port = SERVER_DEFAULT_PORT;
    o->server.metrics_port = SERVER_DEFAULT_METRICS_PORT;
    o->poll_interval = 2;
    o->shutdown_timeout = 20;
    o->watch_jobs = true;
    o->ca_secret = "snug-webhook-ca";
    optind = 1;
    opterr = 1;
    for (;;) {
        int rc;

        c = getopt_long(argc, argv, "", long_opts, NULL);
        if (c == -1)
            break;
        rc = apply_opt(o, &f, c, optarg);
        if (rc != 0)
            return rc;
    }
    if (optind < argc) {
        fprintf(stderr, "snug-webhook serve: unexpected argument \"%s\"\n", argv[optind]);
        return -1;
    }
    if ((o->kubeconfig || o->in_cluster) && (o->policy_path || o->recs_path)) {
        fprintf(stderr, "snug-webhook serve: --policy/--recommendations are for file mode; "
                        "with --kubeconfig or --in-cluster they come from the API server\n");
        return -1;
    }
    return check_cert_flags(o, &f);
}

static void install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* Room for many idle keep-alive connections. */
static void raise_fd_limit(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

typedef struct serve_state {
    store *store;
    tls_keeper *tls;
    cert_manager *certs;
    file_source *files;
    kube_source *kube;
    kube_client *client; /* main thread: certificates */
    cluster_certs *cluster;
    server *server;
} serve_state;

static void serve_state_free(serve_state *ss)
{
    kube_source_stop(ss->kube);
    file_source_free(ss->files);
    cert_manager_free(ss->certs);
    cluster_certs_free(ss->cluster);
    kube_client_free(ss->client);
    wh_metrics_free();
    tls_keeper_free(ss->tls);
    store_free(ss->store);
}

static bool kube_mode(const serve_opts *o)
{
    return o->kubeconfig != NULL || o->in_cluster;
}

/* Connect to the API server and, for self-managed certificates, keep the CA
 * in a Secret and the caBundle in the webhook configuration. */
static snug_status kube_setup(serve_opts *o, serve_state *ss, snug_err *err)
{
    kube_config *cfg = NULL;
    const char *ns;
    snug_status st = o->in_cluster ? kube_config_in_cluster(NULL, &cfg, err)
                                   : kube_config_load(o->kubeconfig, o->context, &cfg, err);

    if (st != SNUG_OK)
        return st;
    st = kube_client_new(cfg, NULL, &ss->client, err);
    ns = o->namespace ? o->namespace : getenv("POD_NAMESPACE");
    if (ns == NULL)
        ns = cfg->namespace;
    if (st == SNUG_OK && o->certs.mode == CERT_MODE_SELF_MANAGED)
        st = cluster_certs_new(ss->client, ns, o->ca_secret, o->webhook_config, &ss->cluster, err);
    if (st == SNUG_OK && ss->cluster != NULL) {
        o->certs.ca_load = cluster_certs_load;
        o->certs.ca_save = cluster_certs_save;
        o->certs.ca_store_ud = ss->cluster;
        o->certs.on_ca_bundle = cluster_certs_publish;
        o->certs.on_ca_bundle_ud = ss->cluster;
    }
    kube_config_free(cfg);
    return st;
}

static snug_status source_setup(serve_opts *o, serve_state *ss, snug_err *err)
{
    kube_source_opts ko = {.watch_jobs = o->watch_jobs};

    if (kube_mode(o))
        return kube_source_start(ss->client, ss->store, &ko, &ss->kube, err);
    return file_source_new(ss->store, o->policy_path, o->recs_path, &ss->files, err);
}

static int serve_setup(serve_opts *o, serve_state *ss)
{
    snug_err err;
    snug_status st;
    unsigned need = STORE_POLICIES | STORE_RECOMMENDATIONS;

    if (kube_mode(o))
        need |= STORE_NAMESPACES | STORE_LIMITRANGES;
    ss->store = store_new(need);
    if (ss->store == NULL)
        return -1;
    st = tls_keeper_new(&ss->tls, &err);
    if (st == SNUG_OK)
        st = wh_metrics_init(ss->store, ss->tls);
    if (st == SNUG_OK && kube_mode(o))
        st = kube_setup(o, ss, &err);
    if (st == SNUG_OK)
        st = cert_manager_new(&o->certs, ss->tls, &ss->certs, &err);
    if (st == SNUG_OK)
        st = source_setup(o, ss, &err);
    if (st == SNUG_OK)
        st = server_start(&o->server, ss->store, ss->tls, &ss->server, &err);
    if (st != SNUG_OK) {
        snug_log(LOG_ERROR, "serve", "cannot start", "error", err.msg, NULL);
        fprintf(stderr, "snug-webhook serve: %s\n", err.msg);
        return -1;
    }
    return 0;
}

/* Every so often, hand the pages of freed heap memory back to the kernel:
 * after a burst of connections closes, the holes it left in the malloc
 * arenas would otherwise stay resident (measured: +2 to +6 MiB after a few
 * rounds of 256 new TLS connections). A few hundred microseconds each time. */
#define SERVE_TRIM_INTERVAL 5

static void serve_loop(serve_opts *o, serve_state *ss)
{
    struct timespec tick = {0, 200 * 1000 * 1000};
    time_t last_poll = 0, last_trim = time(NULL);

    while (!g_stop) {
        time_t now = time(NULL);
        bool force = g_reload != 0;

        g_reload = 0;
        if (ss->files != NULL && (force || now - last_poll >= o->poll_interval)) {
            file_source_poll(ss->files, force);
            last_poll = now;
        }
        if (ss->kube != NULL)
            kube_source_poll(ss->kube);
        cert_manager_tick(ss->certs, now);
        wh_metrics_set_ready(tls_keeper_ready(ss->tls) && store_synced(ss->store));
        if (now - last_trim >= SERVE_TRIM_INTERVAL) {
            malloc_trim(0);
            last_trim = now;
        }
        nanosleep(&tick, NULL);
    }
}

int cli_serve_main(int argc, char **argv)
{
    serve_opts o;
    serve_state ss;
    unsigned left;
    char port[16], mport[16];
    int rc = parse_args(argc, argv, &o);

    if (rc != 0)
        return rc > 0 ? 0 : 2;
    memset(&ss, 0, sizeof(ss));
    g_stop = 0;
    install_signals();
    raise_fd_limit();
    if (serve_setup(&o, &ss) != 0) {
        serve_state_free(&ss);
        return 1;
    }
    snprintf(port, sizeof(port), "%u", server_port(ss.server));
    snprintf(mport, sizeof(mport), "%u", server_metrics_port(ss.server));
    snug_log(LOG_INFO, "serve", "listening", "port", port, "metrics_port", mport, NULL);
    serve_loop(&o, &ss);
    snug_log(LOG_INFO, "serve", "shutting down", NULL);
    left = server_stop(ss.server, (unsigned)(o.shutdown_timeout * 1000));
    if (left > 0)
        snug_log(LOG_WARN, "serve", "requests still in flight at the shutdown deadline", NULL);
    serve_state_free(&ss);
    snug_log(LOG_INFO, "serve", "stopped", NULL);
    return 0;
}

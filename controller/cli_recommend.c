/* cli_recommend.c -- `snug-controller recommend` flags (see
 * cli_recommend.h). */
#include "controller/cli_recommend.h"

#include <getopt.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "controller/cli.h"
#include "controller/cli_flags.h"
#include "model/duration.h"
#include "prom/promql.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: snug-controller recommend --prometheus URL [flags]\n\n"
            "Print one Recommendation per workload from the usage Prometheus recorded.\n"
            "Writes nothing to the cluster.\n\n"
            "Prometheus (or Thanos, Mimir, VictoriaMetrics: any Prometheus HTTP API):\n"
            "  --prometheus URL                 base URL, with a path prefix if any\n"
            "  --prometheus-token-file FILE     bearer token, re-read when it changes\n"
            "  --prometheus-user USER           basic auth user\n"
            "  --prometheus-password-file FILE  basic auth password\n"
            "  --prometheus-ca-file FILE        CA bundle for https\n"
            "  --prometheus-cert FILE           client certificate (with --prometheus-key)\n"
            "  --prometheus-key FILE            client key\n"
            "  --prometheus-insecure-skip-verify  do not verify the server certificate\n"
            "  --prometheus-header 'Name: value'  extra header (repeatable), e.g. X-Scope-OrgID\n"
            "  --prometheus-timeout DURATION    per query (default 30s)\n"
            "  --prometheus-concurrency N       queries in flight (default 4)\n"
            "  --prometheus-selector MATCHERS   extra matchers on every series, e.g. "
            "'cluster=\"prod\"'\n"
            "  --metric KEY=NAME                metric names: cpu, memory, cfs-periods,\n"
            "                                   cfs-throttled, oom-events, pod-owner,\n"
            "                                   replicaset-owner, last-terminated, requests,\n"
            "                                   limits, go-info\n\n"
            "Cluster (optional; else workloads come from Prometheus alone):\n"
            "  --kubeconfig FILE                (default $KUBECONFIG, else in-cluster)\n"
            "  --context NAME\n"
            "  --no-kube                        do not use the API server\n\n"
            "Scope and sizing:\n"
            "  -n, --namespace NS               repeatable; default all\n"
            "  -l, --selector SELECTOR          workloads' labels (with the API server)\n"
            "  --policy FILE                    SizingPolicies (YAML/JSON); default the\n"
            "                                   cluster's, else the built-in default\n"
            "  --window DURATION                history to use (default the policy's, 7d)\n"
            "  --step DURATION                  resolution (default 1m)\n"
            "  --rate-window DURATION           CPU rate() window (default 5m)\n"
            "  --at TIME                        end of the window: RFC 3339 or unix seconds\n"
            "                                   (default now)\n\n"
            "Output:\n"
            "  -o, --output FORMAT              table (default), wide, json, yaml, csv\n"
            "  --progress / --no-progress       progress on stderr (default: on a terminal)\n"
            "  --color / --no-color             colour in tables (default: on a terminal)\n"
            "  --log-level LEVEL                debug, info, warn (default), error\n"
            "  -h, --help\n");
}

enum {
    OPT_KUBECONFIG = CLI_OPT_PROM_END,
    OPT_CONTEXT,
    OPT_NO_KUBE,
    OPT_POLICY,
    OPT_WINDOW,
    OPT_STEP,
    OPT_RATE_WINDOW,
    OPT_AT,
    OPT_PROGRESS,
    OPT_NO_PROGRESS,
    OPT_COLOR,
    OPT_NO_COLOR,
    OPT_LOG
};

static const struct option long_opts[] = {CLI_PROM_LONG_OPTS,
                                          {"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
                                          {"context", required_argument, NULL, OPT_CONTEXT},
                                          {"no-kube", no_argument, NULL, OPT_NO_KUBE},
                                          {"namespace", required_argument, NULL, 'n'},
                                          {"selector", required_argument, NULL, 'l'},
                                          {"policy", required_argument, NULL, OPT_POLICY},
                                          {"window", required_argument, NULL, OPT_WINDOW},
                                          {"step", required_argument, NULL, OPT_STEP},
                                          {"rate-window", required_argument, NULL, OPT_RATE_WINDOW},
                                          {"at", required_argument, NULL, OPT_AT},
                                          {"output", required_argument, NULL, 'o'},
                                          {"progress", no_argument, NULL, OPT_PROGRESS},
                                          {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
                                          {"color", no_argument, NULL, OPT_COLOR},
                                          {"no-color", no_argument, NULL, OPT_NO_COLOR},
                                          {"log-level", required_argument, NULL, OPT_LOG},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};

static int at_flag(recommend_opts *o, const char *v)
{
    int64_t epoch;
    char *end;
    double d = strtod(v, &end);

    if (end != v && *end == '\0' && d > 0) {
        o->at = d;
        return 0;
    }
    if (rfc3339_parse(v, &epoch, NULL) != SNUG_OK)
        return cli_bad("--at %s: want RFC 3339 (2026-12-01T00:00:00Z) or unix seconds", v);
    o->at = (double)epoch;
    return 0;
}

static int scope_opt(int c, const char *v, void *ud)
{
    recommend_opts *o = ud;
    int64_t n;
    log_level lvl;

    switch (c) {
    case OPT_KUBECONFIG:
        o->kubeconfig = v;
        return 0;
    case OPT_CONTEXT:
        o->context = v;
        return 0;
    case OPT_NO_KUBE:
        o->no_kube = true;
        return 0;
    case 'n':
        if (o->n_namespaces >= RECOMMEND_MAX_NAMESPACES)
            return cli_bad("-n: at most %d namespaces", RECOMMEND_MAX_NAMESPACES);
        o->namespaces[o->n_namespaces++] = v;
        return 0;
    case 'l':
        o->selector = v;
        return 0;
    case OPT_POLICY:
        o->policy_file = v;
        return 0;
    case OPT_WINDOW:
        return cli_duration_flag("window", v, 600, 90 * 86400, &o->window);
    case OPT_STEP:
        if (cli_duration_flag("step", v, 10, 3600, &n) != 0)
            return -1;
        o->step = (int)n;
        return 0;
    case OPT_RATE_WINDOW:
        if (cli_duration_flag("rate-window", v, 30, 86400, &n) != 0)
            return -1;
        o->rate_window = (int)n;
        return 0;
    case OPT_AT:
        return at_flag(o, v);
    case 'o':
        return report_format_parse(v, &o->format)
                   ? 0
                   : cli_bad("-o %s: want table, wide, json, yaml or csv", v);
    case OPT_PROGRESS:
        o->progress = 1;
        return 0;
    case OPT_NO_PROGRESS:
        o->progress = 0;
        return 0;
    case OPT_COLOR:
        o->color = 1;
        return 0;
    case OPT_NO_COLOR:
        o->color = 0;
        return 0;
    case OPT_LOG:
        if (log_parse_level(v, &lvl) != 0)
            return cli_bad("--log-level %s: want debug, info, warn or error", v);
        log_set_level(lvl);
        return 0;
    default:
        return 1;
    }
}

int recommend_parse_args(int argc, char **argv, recommend_opts *o)
{
    cli_command cmd = {":n:l:o:h",  long_opts, usage, &o->prom, o->headers, RECOMMEND_MAX_HEADERS,
                       &o->metrics, scope_opt, o};

    memset(o, 0, sizeof(*o));
    usage_metrics_defaults(&o->metrics);
    o->prom.headers = o->headers;
    o->progress = -1;
    o->color = -1;
    return cli_parse(&cmd, argc, argv);
}

int cli_recommend_main(int argc, char **argv)
{
    recommend_opts o;
    int rc;

    log_set_level(LOG_WARN);
    cli_flags_command("recommend");
    rc = recommend_parse_args(argc, argv, &o);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    return recommend_run(&o);
}

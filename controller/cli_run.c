/* cli_run.c -- `snug-controller run` flags (see operator.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "controller/cli.h"
#include "controller/cli_flags.h"
#include "controller/operator.h"

/* What the flag parser fills: every flag of `run` is an operator option. */
typedef struct run_flags {
    operator_opts *o;
} run_flags;

static void usage(FILE *out)
{
    fprintf(out, "usage: snug-controller run --prometheus URL [flags]\n\n"
                 "Keep one Recommendation per covered workload current (the operator).\n\n"
                 "Prometheus: the same flags as `snug-controller recommend` (--prometheus,\n"
                 "  --prometheus-token-file, --prometheus-user, --prometheus-password-file,\n"
                 "  --prometheus-ca-file, --prometheus-cert, --prometheus-key,\n"
                 "  --prometheus-insecure-skip-verify, --prometheus-header, --prometheus-timeout,\n"
                 "  --prometheus-concurrency, --prometheus-selector, --metric KEY=NAME)\n\n"
                 "Cluster:\n"
                 "  --kubeconfig FILE           (default $KUBECONFIG, in-cluster, ~/.kube/config)\n"
                 "  --context NAME\n"
                 "  --namespace NS              only these namespaces (repeatable; default all)\n\n"
                 "Operator:\n"
                 "  --interval DURATION         between passes (default 1m)\n"
                 "  --window DURATION           history (default: the policies' window, 7d)\n"
                 "  --change-threshold RATIO    relative change that makes a write (default 0.1)\n"
                 "  --leader-elect / --no-leader-elect   (default on)\n"
                 "  --lease-namespace NS        (default $POD_NAMESPACE, else snug-system)\n"
                 "  --lease-name NAME           (default snug-controller)\n"
                 "  --identity ID               (default $POD_NAME, else the host name)\n"
                 "  --checkpoint-namespace NS   (default the lease namespace)\n"
                 "  --checkpoint-interval DURATION  (default 5m)\n"
                 "  --owner-deployment NAME     the Deployment (in the lease namespace) that owns\n"
                 "                              the Lease and the checkpoint ConfigMaps: they are\n"
                 "                              deleted with it (default: no owner)\n"
                 "  --metrics-listen [ADDR]:PORT    /metrics, /healthz, /readyz (default :8080;\n"
                 "                              \"off\" for none)\n"
                 "  --log-level LEVEL           debug, info (default), warn, error\n"
                 "  -h, --help\n");
}

enum {
    OPT_KUBECONFIG = CLI_OPT_PROM_END,
    OPT_CONTEXT,
    OPT_NAMESPACE,
    OPT_INTERVAL,
    OPT_WINDOW,
    OPT_THRESHOLD,
    OPT_ELECT,
    OPT_NO_ELECT,
    OPT_LEASE_NS,
    OPT_LEASE_NAME,
    OPT_IDENTITY,
    OPT_CKPT_NS,
    OPT_CKPT_INTERVAL,
    OPT_OWNER,
    OPT_LISTEN,
    OPT_LOG
};

static const struct option long_opts[] = {
    CLI_PROM_LONG_OPTS,
    {"kubeconfig", required_argument, NULL, OPT_KUBECONFIG},
    {"context", required_argument, NULL, OPT_CONTEXT},
    {"namespace", required_argument, NULL, OPT_NAMESPACE},
    {"interval", required_argument, NULL, OPT_INTERVAL},
    {"window", required_argument, NULL, OPT_WINDOW},
    {"change-threshold", required_argument, NULL, OPT_THRESHOLD},
    {"leader-elect", no_argument, NULL, OPT_ELECT},
    {"no-leader-elect", no_argument, NULL, OPT_NO_ELECT},
    {"lease-namespace", required_argument, NULL, OPT_LEASE_NS},
    {"lease-name", required_argument, NULL, OPT_LEASE_NAME},
    {"identity", required_argument, NULL, OPT_IDENTITY},
    {"checkpoint-namespace", required_argument, NULL, OPT_CKPT_NS},
    {"checkpoint-interval", required_argument, NULL, OPT_CKPT_INTERVAL},
    {"owner-deployment", required_argument, NULL, OPT_OWNER},
    {"metrics-listen", required_argument, NULL, OPT_LISTEN},
    {"log-level", required_argument, NULL, OPT_LOG},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0}};

static int seconds_flag(const char *name, const char *v, int64_t lo, int64_t hi, int *out)
{
    int64_t n;

    if (cli_duration_flag(name, v, lo, hi, &n) != 0)
        return -1;
    *out = (int)n;
    return 0;
}

static int threshold_flag(operator_opts *o, const char *v)
{
    char *end;
    double d = strtod(v, &end);

    if (end == v || *end != '\0' || !(d >= 0 && d < 1))
        return cli_bad("--change-threshold %s: want a ratio in [0, 1), e.g. 0.1", v);
    o->change_threshold = d;
    return 0;
}

static int run_opt(int c, const char *v, void *ud)
{
    run_flags *rf = ud;
    operator_opts *o = rf->o;
    log_level lvl;

    switch (c) {
    case OPT_KUBECONFIG:
        o->kubeconfig = v;
        return 0;
    case OPT_CONTEXT:
        o->context = v;
        return 0;
    case OPT_NAMESPACE:
        if (o->n_namespaces >= OPERATOR_MAX_NAMESPACES)
            return cli_bad("--namespace: at most %d", OPERATOR_MAX_NAMESPACES);
        o->namespaces[o->n_namespaces++] = v;
        return 0;
    case OPT_INTERVAL:
        return seconds_flag("interval", v, 1, 3600, &o->interval);
    case OPT_WINDOW:
        return cli_duration_flag("window", v, 600, 90 * 86400, &o->window);
    case OPT_THRESHOLD:
        return threshold_flag(o, v);
    case OPT_ELECT:
        o->leader_elect = true;
        return 0;
    case OPT_NO_ELECT:
        o->leader_elect = false;
        return 0;
    case OPT_LEASE_NS:
        o->lease_namespace = v;
        return 0;
    case OPT_LEASE_NAME:
        o->lease_name = v;
        return 0;
    case OPT_IDENTITY:
        o->identity = v;
        return 0;
    case OPT_CKPT_NS:
        o->checkpoint_namespace = v;
        return 0;
    case OPT_CKPT_INTERVAL:
        return seconds_flag("checkpoint-interval", v, 10, 86400, &o->checkpoint_interval);
    case OPT_OWNER:
        if (v[0] == '\0')
            return cli_bad("--owner-deployment: want a Deployment name");
        rf->o->owner_deployment = v;
        return 0;
    case OPT_LISTEN:
        o->metrics_listen = strcmp(v, "off") == 0 ? NULL : v;
        return 0;
    case OPT_LOG:
        if (log_parse_level(v, &lvl) != 0)
            return cli_bad("--log-level %s: want debug, info, warn or error", v);
        log_set_level(lvl);
        return 0;
    default:
        return cli_bad("unknown flag");
    }
}

/* 0 to run, 1 after --help, -1 for bad flags. */
static int parse_args(int argc, char **argv, run_flags *rf)
{
    operator_opts *o = rf->o;
    cli_command cmd = {":h",        long_opts, usage, &o->prom, o->headers, OPERATOR_MAX_HEADERS,
                       &o->metrics, run_opt,   rf};
    int rc;

    operator_opts_defaults(o);
    rc = cli_parse(&cmd, argc, argv);
    if (rc != 0)
        return rc;
    if (o->checkpoint_namespace == NULL)
        o->checkpoint_namespace = o->lease_namespace;
    return 0;
}

int cli_run_main(int argc, char **argv)
{
    operator_opts o;
    run_flags rf = {.o = &o};
    int rc;

    log_set_level(LOG_INFO);
    cli_flags_command("run");
    rc = parse_args(argc, argv, &rf);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    return operator_run(&o);
}

/* cli_recommend.h -- `snug-controller recommend`: flags (cli_recommend.c)
 * and the run (cli_recommend_run.c).
 *
 * The run: the policy set (--policy, else the cluster's SizingPolicies,
 * else the built-in default); the workloads (the API server when there is
 * access: --kubeconfig, $KUBECONFIG or in-cluster; else from Prometheus'
 * series); per namespace the usage queries (controller/usage.h) into each
 * container's recommender state; one recommendation per workload
 * (controller/recommender.h); the report (controller/report.h) on stdout.
 * Nothing is written anywhere else.
 */
#ifndef SNUG_CTL_CLI_RECOMMEND_H
#define SNUG_CTL_CLI_RECOMMEND_H

#include <stdbool.h>
#include <stddef.h>

#include "controller/report.h"
#include "controller/usage.h"
#include "prom/prom_client.h"

#define RECOMMEND_MAX_NAMESPACES 256
#define RECOMMEND_MAX_HEADERS    16

typedef struct recommend_opts {
    prom_config prom;
    const char *headers[RECOMMEND_MAX_HEADERS];
    usage_metrics metrics;
    const char *kubeconfig, *context;
    bool no_kube; /* --no-kube: Prometheus alone */
    const char *namespaces[RECOMMEND_MAX_NAMESPACES];
    size_t n_namespaces;
    const char *selector; /* -l: workloads' labels (API mode) */
    const char *policy_file;
    int64_t window;  /* seconds; 0: the policies' longest window */
    int step;        /* seconds between samples */
    int rate_window; /* seconds of CPU rate() */
    double at;       /* end of the window, unix seconds; 0: now */
    report_format format;
    int progress; /* -1 auto (stderr is a terminal), 0 off, 1 on */
    int color;    /* -1 auto (stdout is a terminal), 0 off, 1 on */
} recommend_opts;

/* Parse argv into o. Returns 0 to run, 1 when --help was printed (exit 0),
 * -1 for bad flags (the message and usage are on stderr; exit 2). */
int recommend_parse_args(int argc, char **argv, recommend_opts *o);

/* Run the report; the exit status (0, or 1 with the error on stderr). */
int recommend_run(const recommend_opts *o);

#endif

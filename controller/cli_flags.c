/* cli_flags.c -- flags shared by snug-controller's commands (see
 * cli_flags.h). */
#include "controller/cli_flags.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/duration.h"
#include "prom/promql.h"

static const char *command = "";

void cli_flags_command(const char *name)
{
    command = name;
}

int cli_bad(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "snug-controller %s: ", command);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return -1;
}

/* A duration flag in whole seconds within [lo, hi]. */
int cli_duration_flag(const char *name, const char *v, int64_t lo, int64_t hi, int64_t *out)
{
    snug_err err;

    if (duration_parse(v, out, &err) != SNUG_OK)
        return cli_bad("--%s: %s", name, err.msg);
    if (*out < lo || *out > hi)
        return cli_bad("--%s %s: out of range", name, v);
    return 0;
}

static int metric_flag(usage_metrics *m, const char *v)
{
    static const struct {
        const char *key;
        size_t off;
    } keys[] = {
        {"cpu", offsetof(usage_metrics, cpu)},
        {"memory", offsetof(usage_metrics, memory)},
        {"cfs-periods", offsetof(usage_metrics, cfs_periods)},
        {"cfs-throttled", offsetof(usage_metrics, cfs_throttled)},
        {"oom-events", offsetof(usage_metrics, oom_events)},
        {"pod-owner", offsetof(usage_metrics, pod_owner)},
        {"replicaset-owner", offsetof(usage_metrics, replicaset_owner)},
        {"last-terminated", offsetof(usage_metrics, last_terminated)},
        {"requests", offsetof(usage_metrics, requests)},
        {"limits", offsetof(usage_metrics, limits)},
        {"go-info", offsetof(usage_metrics, go_info)},
    };
    const char *eq = strchr(v, '=');
    size_t i;

    for (i = 0; eq != NULL && i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strlen(keys[i].key) == (size_t)(eq - v) &&
            strncmp(keys[i].key, v, (size_t)(eq - v)) == 0) {
            if (!promql_name_valid(eq + 1))
                return cli_bad("--metric %s: \"%s\" is not a valid metric name", v, eq + 1);
            *(const char **)((char *)m + keys[i].off) = eq + 1;
            return 0;
        }
    }
    return cli_bad("--metric %s: want KEY=NAME with KEY one of cpu, memory, cfs-periods, "
                   "cfs-throttled, oom-events, pod-owner, replicaset-owner, last-terminated, "
                   "requests, limits, go-info",
                   v);
}

int cli_prom_flag(prom_config *pc, const char **headers, size_t max_headers, usage_metrics *m,
                  int c, const char *v)
{
    snug_err err;
    int64_t n;

    switch (c) {
    case CLI_OPT_PROM:
        pc->url = v;
        return 0;
    case CLI_OPT_TOKEN_FILE:
        pc->bearer_token_file = v;
        return 0;
    case CLI_OPT_USER:
        pc->basic_user = v;
        return 0;
    case CLI_OPT_PASSWORD_FILE:
        pc->basic_password_file = v;
        return 0;
    case CLI_OPT_CA:
        pc->ca_file = v;
        return 0;
    case CLI_OPT_CERT:
        pc->client_cert = v;
        return 0;
    case CLI_OPT_KEY:
        pc->client_key = v;
        return 0;
    case CLI_OPT_INSECURE:
        pc->insecure_skip_verify = true;
        return 0;
    case CLI_OPT_HEADER:
        if (pc->n_headers >= max_headers)
            return cli_bad("--prometheus-header: at most %zu", max_headers);
        if (strchr(v, ':') == NULL || strpbrk(v, "\r\n") != NULL)
            return cli_bad("--prometheus-header %s: want 'Name: value'", v);
        headers[pc->n_headers++] = v;
        pc->headers = headers;
        return 0;
    case CLI_OPT_TIMEOUT:
        if (cli_duration_flag("prometheus-timeout", v, 1, 3600, &n) != 0)
            return -1;
        pc->timeout_ms = (int)(n * 1000);
        return 0;
    case CLI_OPT_CONCURRENCY:
        n = atoll(v);
        if (n < 1 || n > 64)
            return cli_bad("--prometheus-concurrency %s: want 1 to 64", v);
        pc->concurrency = (int)n;
        return 0;
    case CLI_OPT_PROM_SELECTOR:
        snug_err_clear(&err);
        if (promql_extra_check(v, &err) != SNUG_OK)
            return cli_bad("--prometheus-selector %s: %s", v, err.msg);
        m->extra = v;
        return 0;
    case CLI_OPT_METRIC:
        return metric_flag(m, v);
    default:
        return 1; /* not a Prometheus flag */
    }
}

int cli_parse(const cli_command *cmd, int argc, char **argv)
{
    int c, rc;

    optind = 1;
    opterr = 0;
    for (;;) {
        c = getopt_long(argc, argv, cmd->shortopts, cmd->opts, NULL);
        if (c == -1)
            break;
        if (c == 'h') {
            cmd->usage(stdout);
            return 1;
        }
        if (c == '?' || c == ':') {
            cli_bad("%s: %s", argv[optind - 1], c == ':' ? "needs a value" : "unknown flag");
            cmd->usage(stderr);
            return -1;
        }
        rc = cli_prom_flag(cmd->pc, cmd->headers, cmd->max_headers, cmd->m, c, optarg);
        if (rc == 1)
            rc = cmd->fn(c, optarg, cmd->ud);
        if (rc != 0)
            return -1;
    }
    if (optind < argc)
        return cli_bad("unexpected argument \"%s\"", argv[optind]);
    if (cmd->pc->url == NULL || cmd->pc->url[0] == '\0')
        return cli_bad("--prometheus URL is required");
    return 0;
}

/* cli_flags.h -- flags shared by snug-controller's commands: the
 * Prometheus connection and metric names (recommend and run), error
 * messages and durations.
 *
 * A command's getopt_long table starts with CLI_PROM_LONG_OPTS and numbers
 * its own options from CLI_OPT_PROM_END; it hands every option to
 * cli_prom_flag() first.
 */
#ifndef SNUG_CTL_CLI_FLAGS_H
#define SNUG_CTL_CLI_FLAGS_H

#include <getopt.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include "controller/usage.h"
#include "prom/prom_client.h"

enum {
    CLI_OPT_PROM = 256,
    CLI_OPT_TOKEN_FILE,
    CLI_OPT_USER,
    CLI_OPT_PASSWORD_FILE,
    CLI_OPT_CA,
    CLI_OPT_CERT,
    CLI_OPT_KEY,
    CLI_OPT_INSECURE,
    CLI_OPT_HEADER,
    CLI_OPT_TIMEOUT,
    CLI_OPT_CONCURRENCY,
    CLI_OPT_PROM_SELECTOR,
    CLI_OPT_METRIC,
    CLI_OPT_PROM_END
};

#define CLI_PROM_LONG_OPTS                                                                         \
    {"prometheus", required_argument, NULL, CLI_OPT_PROM},                                         \
        {"prometheus-token-file", required_argument, NULL, CLI_OPT_TOKEN_FILE},                    \
        {"prometheus-user", required_argument, NULL, CLI_OPT_USER},                                \
        {"prometheus-password-file", required_argument, NULL, CLI_OPT_PASSWORD_FILE},              \
        {"prometheus-ca-file", required_argument, NULL, CLI_OPT_CA},                               \
        {"prometheus-cert", required_argument, NULL, CLI_OPT_CERT},                                \
        {"prometheus-key", required_argument, NULL, CLI_OPT_KEY},                                  \
        {"prometheus-insecure-skip-verify", no_argument, NULL, CLI_OPT_INSECURE},                  \
        {"prometheus-header", required_argument, NULL, CLI_OPT_HEADER},                            \
        {"prometheus-timeout", required_argument, NULL, CLI_OPT_TIMEOUT},                          \
        {"prometheus-concurrency", required_argument, NULL, CLI_OPT_CONCURRENCY},                  \
        {"prometheus-selector", required_argument, NULL, CLI_OPT_PROM_SELECTOR},                   \
    {                                                                                              \
        "metric", required_argument, NULL, CLI_OPT_METRIC                                          \
    }

/* The command named in messages ("recommend", "run"). */
void cli_flags_command(const char *name);

/* "snug-controller <command>: <message>" on stderr; returns -1. */
int cli_bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A duration flag ("90s", "5m", "7d") in whole seconds within [lo, hi]:
 * 0, or -1 with the message printed. */
int cli_duration_flag(const char *name, const char *v, int64_t lo, int64_t hi, int64_t *out);

/* One option of a command (not a Prometheus one): 0 taken, -1 bad (the
 * message printed). */
typedef int (*cli_opt_fn)(int c, const char *v, void *ud);

/* The flags of a command: getopt_long over argv with `shortopts` and
 * `opts`; every option goes to cli_prom_flag() (pc, headers of max_headers,
 * m) and, when it is not one of those, to fn. --help/-h prints usage on
 * stdout. Then --prometheus must have been given and no argument may be
 * left. Returns 0 to run, 1 after --help, -1 for bad flags (the message,
 * and for an unknown flag the usage, on stderr). */
typedef struct cli_command {
    const char *shortopts;
    const struct option *opts;
    void (*usage)(FILE *out);
    prom_config *pc;
    const char **headers;
    size_t max_headers;
    usage_metrics *m;
    cli_opt_fn fn;
    void *ud;
} cli_command;

int cli_parse(const cli_command *cmd, int argc, char **argv);

/* A Prometheus or --metric option into pc/headers/m: 0 taken, -1 bad (the
 * message printed), 1 not one of these options. Header strings are
 * borrowed from argv; headers holds max_headers. */
int cli_prom_flag(prom_config *pc, const char **headers, size_t max_headers, usage_metrics *m,
                  int c, const char *v);

#endif

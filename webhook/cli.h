/* cli.h -- snug-webhook subcommands. Each returns the process exit status:
 * 0 success, 1 runtime failure (bad input document, I/O), 2 usage error. */
#ifndef SNUG_CLI_H
#define SNUG_CLI_H

/* snug-webhook mutate -f FILE|- [--policy FILE] [--recommendations FILE]
 *   [--namespace NS] [--namespace-labels k=v,...] [--limitrange FILE] [--diff] */
int cli_mutate_main(int argc, char **argv);

/* snug-webhook serve ... (the TLS admission server). */
int cli_serve_main(int argc, char **argv);

#endif

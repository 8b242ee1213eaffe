/* main.c -- snug-webhook: dispatch to a subcommand. */
#include <stdio.h>
#include <string.h>

#include "webhook/cli.h"

#ifndef SNUG_VERSION
#error "SNUG_VERSION comes from project(VERSION) in CMakeLists.txt"
#endif

static void usage(FILE *out)
{
    fprintf(out, "usage: snug-webhook <command> [flags]\n\n"
                 "commands:\n"
                 "  mutate   mutate Pods and workload templates from YAML/JSON files (offline)\n"
                 "  serve    run the TLS admission webhook server\n"
                 "  version  print the version\n\n"
                 "Run 'snug-webhook <command> --help' for a command's flags.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "mutate") == 0)
        return cli_mutate_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "serve") == 0)
        return cli_serve_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("snug-webhook %s\n", SNUG_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "snug-webhook: unknown command \"%s\"\n", argv[1]);
    usage(stderr);
    return 2;
}

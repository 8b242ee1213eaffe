/* main.c -- snug-controller: dispatch to a subcommand. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "controller/cli.h"

#ifndef SNUG_VERSION
#error "SNUG_VERSION comes from project(VERSION) in CMakeLists.txt"
#endif

static void usage(FILE *out)
{
    fprintf(out,
            "usage: snug-controller <command> [flags]\n\n"
            "commands:\n"
            "  recommend  print one Recommendation per workload from Prometheus (writes nothing)\n"
            "  version    print the version\n\n"
            "Run 'snug-controller <command> --help' for a command's flags.\n");
}

/* Large blocks (a Prometheus answer's text and samples, several MB each)
 * are mmap'd and handed back to the kernel when freed. glibc raises this
 * threshold by itself after the first large free, and from then on keeps
 * such blocks in its heaps, where the next answer of another size cannot
 * reuse them: at 300 Pods a namespace, the cold pass's peak RSS was 82 MiB
 * with glibc's moving threshold and 61 MiB with this fixed one
 * (bench/controller.sh, docs/benchmarks.md). */
#define MMAP_THRESHOLD (256 * 1024)

int main(int argc, char **argv)
{
    mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "recommend") == 0)
        return cli_recommend_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "run") == 0)
        return cli_run_main(argc - 1, argv + 1);
    if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("snug-controller %s\n", SNUG_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "snug-controller: unknown command \"%s\"\n", argv[1]);
    usage(stderr);
    return 2;
}

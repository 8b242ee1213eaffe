/* serve.c -- placeholder until the TLS admission server lands. */
#include <stdio.h>

#include "cli.h"

int cli_serve_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "snug-webhook serve: not available yet\n");
    return 2;
}

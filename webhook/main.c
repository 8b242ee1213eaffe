/* main.c -- snug-webhook entry point (placeholder until the CLI lands). */
#include <stdio.h>

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "usage: snug-webhook mutate|serve ...\n");
    return 2;
}

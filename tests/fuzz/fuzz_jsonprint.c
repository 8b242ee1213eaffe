/* fuzz_jsonprint.c -- differential libFuzzer target: jsonprint against
 * cJSON_PrintUnformatted.
 *
 * The input, copied to a NUL-terminated buffer, is parsed with cJSON_Parse.
 * Invariants checked (abort() on violation):
 *  - nothing crashes, leaks or trips a sanitizer;
 *  - a tree cJSON parsed prints with jsonprint_string byte for byte as
 *    cJSON_PrintUnformatted prints it, with the right length; so does every
 *    node of it on its own (its subtree; a bounded number of nodes);
 *  - jsonprint_append after a prefix gives prefix + the same text; with a
 *    maximum one byte short of that it fails with SNUG_ERR_TOO_BIG and leaves
 *    the prefix as it was;
 *  - every string value, through jsonprint_string_literal, is what cJSON
 *    prints for it;
 *  - the input itself (up to its first NUL) as a string node and as a raw
 *    node, and its first 8 bytes as the bits of a double in a number node,
 *    print as cJSON prints them.
 *
 * Build and run: scripts/fuzz.sh 60 jsonprint, or
 *   SNUG_FUZZ_BUILD=/tmp/fz-jsonprint scripts/fuzz.sh 60 jsonprint
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "base/dynbuf.h"
#include "json/jsonprint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "fuzz_jsonprint: " __VA_ARGS__);                                           \
        fputc('\n', stderr);                                                                       \
        abort();                                                                                   \
    } while (0)

#define MAX_OUT   ((size_t)1 << 26)
#define MAX_NODES 200 /* nodes printed on their own, per input */

/* Compare jsonprint's text of `item` with cJSON's; the whole check list for
 * one tree (string, append, maximum). */
static void check_item(const cJSON *item, const char *what)
{
    char *want = cJSON_PrintUnformatted(item);
    char *got = NULL;
    size_t len = 0, wlen;
    snug_status st;
    dynbuf b;

    st = jsonprint_string(item, MAX_OUT, &got, &len, NULL);
    if (want == NULL) {
        if (st != SNUG_ERR_INVALID || got != NULL)
            FAIL("%s: cJSON refuses, jsonprint says %d", what, (int)st);
        return;
    }
    wlen = strlen(want);
    if (st != SNUG_OK || got == NULL)
        FAIL("%s: cJSON prints, jsonprint fails with %d", what, (int)st);
    if (len != wlen || memcmp(got, want, wlen + 1) != 0)
        FAIL("%s: texts differ:\n cJSON:     %s\n jsonprint: %s", what, want, got);
    free(got);

    dynbuf_init(&b, wlen + 2);
    if (dynbuf_add(&b, "p:", 2) != SNUG_OK || jsonprint_append(&b, item, NULL) != SNUG_OK ||
        dynbuf_len(&b) != wlen + 2 || memcmp(dynbuf_str(&b) + 2, want, wlen) != 0)
        FAIL("%s: append differs", what);
    dynbuf_truncate(&b, 2);
    b.max = wlen + 1;
    if (wlen > 0 && (jsonprint_append(&b, item, NULL) != SNUG_ERR_TOO_BIG || dynbuf_len(&b) != 2 ||
                     strcmp(dynbuf_str(&b), "p:") != 0))
        FAIL("%s: one byte short is not TOO_BIG with the buffer kept", what);
    dynbuf_free(&b);
    cJSON_free(want);
}

/* jsonprint_string_literal of a string node's text against cJSON. */
static void check_literal(const cJSON *node)
{
    char *want = cJSON_PrintUnformatted(node);
    dynbuf b;

    if (want == NULL)
        FAIL("cJSON cannot print a string node");
    dynbuf_init(&b, MAX_OUT);
    if (jsonprint_string_literal(&b, node->valuestring, strlen(node->valuestring), NULL) !=
            SNUG_OK ||
        strcmp(dynbuf_str(&b), want) != 0)
        FAIL("string literal differs: cJSON %s, jsonprint %s", want, dynbuf_str(&b));
    dynbuf_free(&b);
    cJSON_free(want);
}

/* Every node under `root` (depth first, iteratively: cJSON allows 1000
 * levels) on its own, the first MAX_NODES of them; string literals for all. */
static void check_nodes(const cJSON *root)
{
    const cJSON *stack[CJSON_NESTING_LIMIT + 2];
    size_t depth = 0, seen = 0;
    const cJSON *node = root;

    while (node != NULL) {
        if (seen++ < MAX_NODES)
            check_item(node, "node");
        if (cJSON_IsString(node))
            check_literal(node);
        if (node->child != NULL && depth < sizeof(stack) / sizeof(stack[0])) {
            stack[depth++] = node;
            node = node->child;
            continue;
        }
        while (depth > 0 && node->next == NULL)
            node = stack[--depth];
        node = depth > 0 ? node->next : NULL;
    }
}

/* The raw bytes as a string node, a raw node and a number. */
static void check_synthetic(const char *in, const uint8_t *data, size_t size)
{
    cJSON *s = cJSON_CreateString(in);
    cJSON *r = cJSON_CreateRaw(in);
    cJSON *n = NULL;
    double d;

    if (s != NULL)
        check_item(s, "input as string");
    if (r != NULL)
        check_item(r, "input as raw");
    if (size >= sizeof(d)) {
        memcpy(&d, data, sizeof(d));
        n = cJSON_CreateNumber(d);
        if (n != NULL)
            check_item(n, "input bits as number");
    }
    cJSON_Delete(s);
    cJSON_Delete(r);
    cJSON_Delete(n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size + 1);
    cJSON *tree;

    if (in == NULL)
        return 0;
    memcpy(in, data, size);
    in[size] = '\0';
    tree = cJSON_Parse(in);
    if (tree != NULL) {
        check_item(tree, "tree");
        check_nodes(tree);
    }
    cJSON_Delete(tree);
    check_synthetic(in, data, size);
    free(in);
    return 0;
}

/* fuzz_jsonparse.c -- differential libFuzzer target: jsonparse against cJSON.
 *
 * The input is parsed with jsonparse() as it is (not NUL-terminated).
 * Invariants checked (abort() on violation):
 *  - nothing crashes, leaks or trips a sanitizer;
 *  - a refusal is SNUG_ERR_PARSE or SNUG_ERR_TOO_BIG with *out NULL and a
 *    message "JSON: at offset N (line L): ..." whose offset is inside the
 *    input;
 *  - an accepted input is also accepted by cJSON (cJSON_ParseWithOpts on a
 *    NUL-terminated copy, require_null_terminated = 1), the two trees print
 *    byte-identically with cJSON_PrintUnformatted and are equal node for node
 *    (types, valueint, valuedouble bit for bit, strings, member names), and
 *    the links follow cJSON's convention (first child's prev is the last);
 *  - parsing it again with an allocator that fails at the k-th allocation
 *    (k picked from the input) gives SNUG_ERR_NOMEM and frees everything;
 *  - parsing it inside a jsonarena window (where a node shares its block
 *    with its member name and plain string value) gives the same tree.
 *
 * Build and run: scripts/fuzz.sh 60 jsonparse, or
 *   SNUG_FUZZ_BUILD=/tmp/fz-jsonparse scripts/fuzz.sh 60 jsonparse
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../unit/json_tree_check.h"
#include "json/jsonarena.h"
#include "json/jsonparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, "fuzz_jsonparse: " __VA_ARGS__);                                           \
        fputc('\n', stderr);                                                                       \
        abort();                                                                                   \
    } while (0)

static long g_allocs_left = -1; /* < 0: no limit */
static long g_allocs;           /* allocations made */

static void *fuzz_malloc(size_t n)
{
    if (g_allocs_left == 0)
        return NULL;
    if (g_allocs_left > 0)
        g_allocs_left--;
    g_allocs++;
    return malloc(n);
}

static void check_refusal(snug_status st, const cJSON *out, const snug_err *err, size_t size)
{
    unsigned long long offset;

    if (st != SNUG_ERR_PARSE && st != SNUG_ERR_TOO_BIG)
        FAIL("unexpected status %d: %s", (int)st, err->msg);
    if (out != NULL || err->status != st)
        FAIL("refused with a tree, or status %d not in err", (int)st);
    if (sscanf(err->msg, "JSON: at offset %llu (line ", &offset) != 1 || offset > size)
        FAIL("bad message for %zu bytes: %s", size, err->msg);
}

static void check_same_as_cjson(const uint8_t *data, size_t size, const cJSON *mine)
{
    char *copy = malloc(size + 1), *pm = NULL, *pt = NULL;
    cJSON *theirs;

    if (copy == NULL)
        return;
    memcpy(copy, data, size);
    copy[size] = '\0';
    theirs = cJSON_ParseWithOpts(copy, NULL, 1);
    if (theirs == NULL)
        FAIL("jsonparse accepts what cJSON refuses: %.200s", copy);
    pm = cJSON_PrintUnformatted(mine);
    pt = cJSON_PrintUnformatted(theirs);
    if (pm == NULL || pt == NULL || strcmp(pm, pt) != 0)
        FAIL("trees print differently:\n jsonparse %.300s\n cJSON     %.300s", pm ? pm : "(null)",
             pt ? pt : "(null)");
    if (!tree_same(mine, theirs))
        FAIL("trees differ: %.300s", pm);
    if (!links_ok(mine))
        FAIL("links broken: %.300s", pm);
    cJSON_free(pm);
    cJSON_free(pt);
    cJSON_Delete(theirs);
    free(copy);
}

/* Parse again, failing allocation number k (from the input's bytes). */
static void check_nomem(const uint8_t *data, size_t size, long allocs)
{
    cJSON *j = NULL;
    snug_err err;
    snug_status st;
    unsigned long h = size;
    size_t i;

    for (i = 0; i < size; i++)
        h = h * 31 + data[i];
    g_allocs_left = (long)(h % (unsigned long)allocs);
    st = jsonparse((const char *)data, size, &j, &err);
    g_allocs_left = -1;
    if (st != SNUG_ERR_NOMEM || j != NULL)
        FAIL("allocation %ld of %ld failed: status %d", (long)(h % (unsigned long)allocs), allocs,
             (int)st);
}

/* Parse again inside an arena window (jsonparse builds its fused nodes
 * there) and compare with cJSON as before. Leaves the arena's hooks in. */
static void check_arena(const uint8_t *data, size_t size)
{
    cJSON *j = NULL;
    snug_err err;
    snug_status st;

    jsonarena_install();
    if (jsonarena_begin() != 1)
        FAIL("could not open a jsonarena window");
    st = jsonparse((const char *)data, size, &j, &err);
    if (st != SNUG_OK || j == NULL || !jsonarena_owns(j))
        FAIL("in an arena window: status %d: %s", (int)st, err.msg);
    check_same_as_cjson(data, size, j);
    jsonarena_delete(j);
    jsonarena_end();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON_Hooks hooks = {fuzz_malloc, free};
    cJSON *mine = NULL;
    snug_err err;
    snug_status st;
    long allocs;

    cJSON_InitHooks(&hooks); /* again: check_arena put the arena's in */
    snug_err_clear(&err);
    g_allocs = 0;
    st = jsonparse((const char *)data, size, &mine, &err);
    allocs = g_allocs;
    if (st != SNUG_OK) {
        check_refusal(st, mine, &err, size);
        return 0;
    }
    check_same_as_cjson(data, size, mine);
    cJSON_Delete(mine);
    check_nomem(data, size, allocs);
    check_arena(data, size);
    return 0;
}

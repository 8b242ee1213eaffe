/* yaml_fastpath.c -- the JSON fast path of the YAML parser.
 *
 * Input that looks like JSON is first tried with cJSON: it is faster, and it
 * knows UTF-16 surrogate escapes (\uD83D\uDE00), which libyaml refuses. The
 * result is kept only when it follows every rule the YAML path enforces
 * (depth, duplicate keys, finite numbers, no NUL); anything else goes through
 * the YAML path, which gives the authoritative error.
 */
#include "yaml/yamljson_internal.h"

#include <math.h>
#include <string.h>

#define YJ_SMALL_OBJECT 8 /* objects up to this size are checked pairwise */

/* Whether an object parsed by cJSON has two members with the same name. */
static bool yj_object_has_dup(const cJSON *obj, yj_table *seen)
{
    const cJSON *a, *b;
    yj_ent *e;
    size_t n = 0, before;

    for (a = obj->child; a != NULL && n <= YJ_SMALL_OBJECT; a = a->next)
        n++;
    if (n <= YJ_SMALL_OBJECT) {
        for (a = obj->child; a != NULL; a = a->next)
            for (b = a->next; b != NULL; b = b->next)
                if (strcmp(a->string, b->string) == 0)
                    return true;
        return false;
    }
    yj_table_free(seen);
    for (a = obj->child; a != NULL; a = a->next) {
        before = seen->n;
        if (yj_table_put(seen, a->string, &e) != SNUG_OK || seen->n == before)
            return true; /* (out of memory: let the YAML path decide) */
    }
    return false;
}

/* Whether a cJSON tree follows the same rules as the YAML path: depth, no
 * duplicate keys, finite numbers. Walks without recursion. */
static bool yj_json_tree_ok(const cJSON *root)
{
    const cJSON *stack[YAMLJSON_MAX_DEPTH];
    const cJSON *n = root;
    size_t depth = 0;
    yj_table seen = {0};
    bool ok = false;

    for (;;) {
        if (cJSON_IsNumber(n) && !isfinite(n->valuedouble))
            goto out;
        if (cJSON_IsObject(n) || cJSON_IsArray(n)) {
            if (depth >= YAMLJSON_MAX_DEPTH)
                goto out;
            if (cJSON_IsObject(n) && yj_object_has_dup(n, &seen))
                goto out;
            if (n->child != NULL) {
                stack[depth++] = n;
                n = n->child;
                continue;
            }
        }
        /* Next sibling, climbing out of finished containers. */
        for (;;) {
            if (depth == 0) {
                ok = true;
                goto out;
            }
            if (n->next != NULL) {
                n = n->next;
                break;
            }
            n = stack[--depth];
        }
    }
out:
    yj_table_free(&seen);
    return ok;
}

static bool yj_is_json_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* Parse `buf` as one JSON document when it cleanly is one; NULL otherwise. */
cJSON *yj_try_json(const char *buf, size_t len)
{
    const char *end = NULL;
    size_t i = 0;
    cJSON *doc;

    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        i = 3;
    while (i < len && yj_is_json_space(buf[i]))
        i++;
    if (i == len || (buf[i] != '{' && buf[i] != '['))
        return NULL;
    if (memchr(buf, '\0', len) != NULL || memmem(buf, len, "\\u0000", 6) != NULL ||
        !yj_utf8_valid(buf + i, len - i))
        return NULL;
    doc = cJSON_ParseWithLengthOpts(buf + i, len - i, &end, 0);
    if (doc == NULL)
        return NULL;
    while (end < buf + len && yj_is_json_space(*end))
        end++;
    if (end != buf + len || !yj_json_tree_ok(doc)) {
        cJSON_Delete(doc);
        return NULL;
    }
    return doc;
}

/* json_tree_check.h -- comparing cJSON trees node for node, for the tests
 * and fuzz targets of the JSON parser (static functions: include it in one
 * translation unit). */
#ifndef SNUG_JSON_TREE_CHECK_H
#define SNUG_JSON_TREE_CHECK_H

#include <stdbool.h>
#include <string.h>

#include <cjson/cJSON.h>

static bool same_str(const char *a, const char *b)
{
    return (a == NULL || b == NULL) ? a == b : strcmp(a, b) == 0;
}

/* Whether two trees are the same node for node: types, numbers (bit for
 * bit), strings, member names, order. */
static bool tree_same(const cJSON *a, const cJSON *b)
{
    const cJSON *x, *y;

    if (a->type != b->type || a->valueint != b->valueint ||
        memcmp(&a->valuedouble, &b->valuedouble, sizeof(double)) != 0 ||
        !same_str(a->valuestring, b->valuestring) || !same_str(a->string, b->string))
        return false;
    for (x = a->child, y = b->child; x != NULL && y != NULL; x = x->next, y = y->next) {
        if (!tree_same(x, y))
            return false;
    }
    return x == NULL && y == NULL;
}

/* Whether the links follow cJSON's convention everywhere: the first child's
 * prev is the last child, each next's prev points back, the last next is
 * NULL, scalars have no children, no reference/const flags. */
static bool links_ok(const cJSON *item)
{
    const cJSON *c, *last = NULL;

    if (item->type & (cJSON_IsReference | cJSON_StringIsConst))
        return false;
    if (!cJSON_IsArray(item) && !cJSON_IsObject(item))
        return item->child == NULL;
    for (c = item->child; c != NULL; c = c->next) {
        if (c != item->child && c->prev != last)
            return false;
        if (cJSON_IsObject(item) != (c->string != NULL) || !links_ok(c))
            return false;
        last = c;
    }
    return item->child == NULL || item->child->prev == last;
}

#endif

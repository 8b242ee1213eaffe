/* jsonpatch_value.c -- JSON values as the patch code handles them: type
 * names for messages, deep equality (RFC 6902 `test`, and the builder's
 * "nothing changed" check), and replacing or unnaming a value in place.
 */
#include "json/jsonpatch_internal.h"

#include <stdlib.h>
#include <string.h>

const char *jsonpatch_type_name(const cJSON *v)
{
    if (cJSON_IsObject(v))
        return "an object";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsBool(v))
        return "a boolean";
    return "null";
}

/* ---------------------------------------------------------------------------
 * Equality without recursion (cJSON_Compare is exponential on nested
 * objects): a work list of pairs still to compare.
 */
typedef struct jp_pair {
    const cJSON *a, *b;
} jp_pair;

static bool jp_push(jp_pair **st, size_t *n, size_t *cap, const cJSON *a, const cJSON *b)
{
    jp_pair *ns;

    if (*n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 32;
        ns = realloc(*st, ncap * sizeof(*ns));
        if (ns == NULL)
            return false;
        *st = ns;
        *cap = ncap;
    }
    (*st)[*n].a = a;
    (*st)[(*n)++].b = b;
    return true;
}

static bool jp_scalar_equal(const cJSON *a, const cJSON *b)
{
    if ((a->type & 0xFF) != (b->type & 0xFF))
        return false;
    if (cJSON_IsNumber(a))
        return a->valuedouble == b->valuedouble;
    if (cJSON_IsString(a) || cJSON_IsRaw(a))
        return a->valuestring && b->valuestring && strcmp(a->valuestring, b->valuestring) == 0;
    return true;
}

bool jsonpatch_equal(const cJSON *a, const cJSON *b)
{
    jp_pair *st = NULL;
    size_t n = 0, cap = 0;
    const cJSON *x, *y;
    bool eq = false;

    if (!jp_push(&st, &n, &cap, a, b))
        return false;
    while (n > 0) {
        a = st[--n].a;
        b = st[n].b;
        if (a == NULL || b == NULL || !jp_scalar_equal(a, b)) {
            if (a == NULL && b == NULL)
                continue;
            goto out;
        }
        if (cJSON_IsArray(a)) {
            for (x = a->child, y = b->child; x && y; x = x->next, y = y->next)
                if (!jp_push(&st, &n, &cap, x, y))
                    goto out;
            if (x != NULL || y != NULL)
                goto out;
        } else if (cJSON_IsObject(a)) {
            if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
                goto out;
            for (x = a->child; x != NULL; x = x->next) {
                y = cJSON_GetObjectItemCaseSensitive(b, x->string);
                if (y == NULL || !jp_push(&st, &n, &cap, x, y))
                    goto out;
            }
        }
    }
    eq = true;
out:
    free(st);
    return eq;
}

/* ---------------------------------------------------------------------------
 * In-place edits.
 */
/* Replace the contents of `doc` (which may sit inside a parent) with those of
 * `v`, in place, and free v. Used for the "" pointer. */
void jsonpatch_replace_root(cJSON *doc, cJSON *v)
{
    cJSON *old_child = doc->child;
    char *old_str = doc->valuestring;
    bool was_ref = (doc->type & cJSON_IsReference) != 0;
    int keep = doc->type & cJSON_StringIsConst;

    doc->type = (v->type & ~(cJSON_StringIsConst | cJSON_IsReference)) | keep;
    doc->child = v->child;
    doc->valuestring = v->valuestring;
    doc->valueint = v->valueint;
    doc->valuedouble = v->valuedouble;
    if (v->type & cJSON_IsReference) {
        /* v only borrowed its payload: take a private copy instead. */
        cJSON *copy = cJSON_Duplicate(v, 1);
        doc->child = copy ? copy->child : NULL;
        doc->valuestring = copy ? copy->valuestring : NULL;
        if (copy != NULL) {
            copy->child = NULL;
            copy->valuestring = NULL;
            cJSON_Delete(copy);
        }
    }
    v->child = NULL;
    v->valuestring = NULL;
    v->type = cJSON_NULL | (v->type & cJSON_StringIsConst);
    cJSON_Delete(v);
    if (!was_ref) {
        cJSON_Delete(old_child);
        cJSON_free(old_str);
    }
}

/* Drop the member name a value may carry before it goes into an array. */
void jsonpatch_unname(cJSON *v)
{
    if (v->string != NULL && !(v->type & cJSON_StringIsConst))
        cJSON_free(v->string);
    v->string = NULL;
    v->type &= ~cJSON_StringIsConst;
}

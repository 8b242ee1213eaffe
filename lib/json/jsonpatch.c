/* jsonpatch.c -- the patch builder the webhook uses to describe its
 * mutations: every call records a JSON Patch operation and makes the same
 * change to the live document (see jsonpatch.h).
 *
 * The module is split by concept, sharing jsonpatch_internal.h:
 *   jsonpatch.c        the builder (jsonpatch_new/set/append/remove ...)
 *   jsonpatch_apply.c  applying an RFC 6902 patch (jsonpatch_apply)
 *   jsonpointer.c      RFC 6901 pointers (jsonpointer_escape/get)
 *   jsonpatch_value.c  type names, deep equality (jsonpatch_equal), in-place
 *                      replacement
 */
#include "json/jsonpatch_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/jsonfield.h"

#define JP_MAX_SEGMENTS  64  /* jsonpatch_setv() */
#define JP_SHORT_POINTER 512 /* pointers up to this long are built on the stack */

struct jsonpatch {
    cJSON *doc;   /* borrowed */
    cJSON *ops;   /* owned; NULL after a failed jsonpatch_take_ops() */
    size_t count; /* items in ops */
};

/* ---------------------------------------------------------------------------
 * The builder.
 */
jsonpatch *jsonpatch_new(cJSON *doc)
{
    jsonpatch *p;

    if (doc == NULL)
        return NULL;
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        return NULL;
    p->doc = doc;
    p->ops = cJSON_CreateArray();
    if (p->ops == NULL) {
        free(p);
        return NULL;
    }
    return p;
}

void jsonpatch_free(jsonpatch *p)
{
    if (p == NULL)
        return;
    cJSON_Delete(p->ops);
    free(p);
}

size_t jsonpatch_count(const jsonpatch *p)
{
    return p ? p->count : 0;
}

const cJSON *jsonpatch_ops(const jsonpatch *p)
{
    return p ? p->ops : NULL;
}

cJSON *jsonpatch_take_ops(jsonpatch *p)
{
    cJSON *ops;

    if (p == NULL)
        return NULL;
    ops = p->ops;
    p->ops = cJSON_CreateArray();
    p->count = 0;
    return ops;
}

static bool jp_is_container(const cJSON *v)
{
    return cJSON_IsObject(v) || cJSON_IsArray(v);
}

/* {"op": name, "path": ptr, "value": copy of value}; NULL on NOMEM. The
 * member names and `name` are static strings, so they are referenced, not
 * copied (cJSON_AddItemToObjectCS, cJSON_CreateStringReference). */
static cJSON *jp_make_op(const char *name, const char *ptr, const cJSON *value)
{
    cJSON *o = cJSON_CreateObject(), *v;

    if (o == NULL)
        return NULL;
    v = cJSON_CreateStringReference(name);
    if (v == NULL || !cJSON_AddItemToObjectCS(o, "op", v))
        goto fail_v;
    v = cJSON_CreateString(ptr);
    if (v == NULL || !cJSON_AddItemToObjectCS(o, "path", v))
        goto fail_v;
    if (value != NULL) {
        v = cJSON_Duplicate(value, 1);
        if (v == NULL || !cJSON_AddItemToObjectCS(o, "value", v))
            goto fail_v;
    }
    return o;
fail_v:
    cJSON_Delete(v);
    cJSON_Delete(o);
    return NULL;
}

/* Wrap *value in the containers path[from..n) names: "-" makes an array,
 * anything else an object member. An index there would address an array that
 * does not exist: SNUG_ERR_NOT_FOUND. *value is freed on failure. */
static snug_status jp_wrap(const char *const *path, size_t from, size_t n, cJSON **value,
                           snug_err *err)
{
    cJSON *v = *value, *c;
    size_t i = n, idx;
    bool ok;

    *value = NULL;
    while (i > from) {
        i--;
        if (strcmp(path[i], "-") == 0) {
            c = cJSON_CreateArray();
            ok = c != NULL && cJSON_AddItemToArray(c, v);
        } else if (jsonpointer_parse_index(path[i], &idx)) {
            cJSON_Delete(v);
            return snug_err_set(err, SNUG_ERR_NOT_FOUND, "index %s of an array that does not exist",
                                path[i]);
        } else {
            c = cJSON_CreateObject();
            ok = c != NULL && cJSON_AddItemToObject(c, path[i], v);
        }
        if (!ok) {
            cJSON_Delete(c);
            cJSON_Delete(v);
            return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
        }
        v = c;
    }
    *value = v;
    return SNUG_OK;
}

/* A new buffer holding the pointer for path[0..k) (free it either way). */
static snug_status jp_prefix(dynbuf *b, const char *const *path, size_t k)
{
    dynbuf_init(b, JSONPOINTER_MAX);
    return jsonpointer_append_path(b, path, k);
}

typedef enum jp_kind { JP_ADD_MEMBER, JP_ADD_ITEM, JP_REPLACE, JP_REPLACE_ROOT } jp_kind;

/* Make the change of one recorded operation in the document: v (owned)
 * goes under parent (as member path[k - 1], as a new item, or in place of
 * child) or replaces the whole document. SNUG_ERR_NOMEM when cJSON fails;
 * v is then still the caller's. */
static snug_status jp_put(jsonpatch *p, jp_kind kind, const char *const *path, size_t k,
                          cJSON *parent, cJSON *child, cJSON *v)
{
    bool ok = true;

    if (kind == JP_ADD_MEMBER)
        ok = cJSON_AddItemToObject(parent, path[k - 1], v);
    else if (kind == JP_ADD_ITEM)
        ok = cJSON_AddItemToArray(parent, v);
    else if (kind == JP_REPLACE && cJSON_IsObject(parent))
        ok = cJSON_ReplaceItemInObjectCaseSensitive(parent, child->string, v);
    else if (kind == JP_REPLACE && cJSON_IsArray(parent))
        ok = cJSON_ReplaceItemViaPointer(parent, child, v);
    else if (kind == JP_REPLACE_ROOT)
        jsonpatch_replace_root(p->doc, v);
    return ok ? SNUG_OK : SNUG_ERR_NOMEM;
}

/* Record one operation at path[0..k) and apply it to the document. Takes
 * *value (set to NULL once it belongs to the document or was freed). The
 * pointer is built on the stack when it is short, as it nearly always is. */
static snug_status jp_emit(jsonpatch *p, jp_kind kind, const char *const *path, size_t k,
                           cJSON *parent, cJSON *child, cJSON **value, snug_err *err)
{
    char small[JP_SHORT_POINTER];
    dynbuf ptr;
    const char *pointer = small;
    cJSON *op = NULL, *v = *value;
    snug_status st = SNUG_OK;

    dynbuf_init(&ptr, JSONPOINTER_MAX);
    if ((kind == JP_REPLACE || kind == JP_REPLACE_ROOT) && jsonpatch_equal(child, v)) {
        cJSON_Delete(v); /* nothing to change, nothing to record */
        goto out;
    }
    if (kind == JP_ADD_ITEM || (kind == JP_REPLACE && cJSON_IsArray(parent)))
        jsonpatch_unname(v);
    if (!jsonpointer_format(small, sizeof(small), path, k)) {
        st = jsonpointer_append_path(&ptr, path, k);
        pointer = dynbuf_str(&ptr);
    }
    if (st == SNUG_OK) {
        op = jp_make_op(kind == JP_ADD_MEMBER || kind == JP_ADD_ITEM ? "add" : "replace", pointer,
                        v);
        if (op == NULL)
            st = SNUG_ERR_NOMEM;
    }
    if (st == SNUG_OK)
        st = jp_put(p, kind, path, k, parent, child, v);
    if (st != SNUG_OK) {
        cJSON_Delete(op);
        cJSON_Delete(v);
        snug_err_set(err, st, st == SNUG_ERR_TOO_BIG ? "path too long" : "out of memory");
    } else {
        cJSON_AddItemToArray(p->ops, op);
        p->count++;
    }
out:
    *value = NULL;
    dynbuf_free(&ptr);
    return st;
}

/* jp_set_walk() met a scalar at path[0..i): SNUG_ERR_INVALID naming it. */
static snug_status jp_not_container(const char *const *path, size_t i, const cJSON *cur,
                                    snug_err *err)
{
    dynbuf at;
    snug_status st = jp_prefix(&at, path, i);

    snug_err_set(err, st ? st : SNUG_ERR_INVALID, "%s is %s, not an object or array",
                 i ? dynbuf_str(&at) : "the document", jsonpatch_type_name(cur));
    dynbuf_free(&at);
    return st ? st : SNUG_ERR_INVALID;
}

/* The walk of jsonpatch_set(). Its messages leave out "set <pointer>: ",
 * which jsonpatch_set() adds on failure only. */
static snug_status jp_set_walk(jsonpatch *p, const char *const *path, size_t n, cJSON **value,
                               snug_err *err)
{
    cJSON *cur = p->doc, *child = NULL;
    size_t i, idx, size;
    snug_status st;

    if (n == 0 || cJSON_IsNull(p->doc)) {
        st = jp_wrap(path, 0, n, value, err);
        return st ? st : jp_emit(p, JP_REPLACE_ROOT, path, 0, NULL, p->doc, value, err);
    }
    for (i = 0; i < n; i++) {
        if (!jp_is_container(cur))
            return jp_not_container(path, i, cur, err);
        if (cJSON_IsObject(cur)) {
            child = jsonfield_member(cur, path[i]);
            if (child == NULL) {
                st = jp_wrap(path, i + 1, n, value, err);
                return st ? st : jp_emit(p, JP_ADD_MEMBER, path, i + 1, cur, NULL, value, err);
            }
        } else {
            size = (size_t)cJSON_GetArraySize(cur);
            if (strcmp(path[i], "-") == 0 ||
                (jsonpointer_parse_index(path[i], &idx) && idx == size && i + 1 == n)) {
                st = jp_wrap(path, i + 1, n, value, err);
                return st ? st : jp_emit(p, JP_ADD_ITEM, path, i + 1, cur, NULL, value, err);
            }
            if (!jsonpointer_parse_index(path[i], &idx))
                return snug_err_set(err, SNUG_ERR_INVALID, "\"%s\" is not an array index", path[i]);
            if (idx >= size)
                return snug_err_set(err, SNUG_ERR_NOT_FOUND,
                                    "index %zu is out of range (the array has %zu items)", idx,
                                    size);
            child = cJSON_GetArrayItem(cur, (int)idx);
        }
        if (i + 1 == n)
            return jp_emit(p, JP_REPLACE, path, n, cur, child, value, err);
        if (cJSON_IsNull(child)) {
            /* A null parent counts as missing: replace it with the nesting. */
            st = jp_wrap(path, i + 1, n, value, err);
            return st ? st : jp_emit(p, JP_REPLACE, path, i + 1, cur, child, value, err);
        }
        cur = child;
    }
    return snug_err_set(err, SNUG_ERR_INTERNAL, "walked past the path");
}

static snug_status jp_check_args(jsonpatch *p, const char *const *path, size_t n, snug_err *err)
{
    size_t i;

    if (p == NULL || p->ops == NULL)
        return snug_err_set(err, p ? SNUG_ERR_NOMEM : SNUG_ERR_INVALID, "json patch: no patch");
    if (n > 0 && path == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "json patch: no path");
    for (i = 0; i < n; i++)
        if (path[i] == NULL)
            return snug_err_set(err, SNUG_ERR_INVALID, "json patch: path segment %zu is NULL", i);
    return SNUG_OK;
}

/* jp_check_args(), and a value is given; frees `value` on failure. */
static snug_status jp_check_value_args(jsonpatch *p, const char *const *path, size_t n,
                                       cJSON *value, snug_err *err)
{
    snug_status st = jp_check_args(p, path, n, err);

    if (st == SNUG_OK && value == NULL)
        st = snug_err_set(err, SNUG_ERR_INVALID, "json patch: no value");
    if (st != SNUG_OK)
        cJSON_Delete(value);
    return st;
}

/* The whole pointer for path[0..n) into `full`, for messages (freed here on
 * failure). */
static snug_status jp_full_path(dynbuf *full, const char *const *path, size_t n, snug_err *err)
{
    snug_status st = jp_prefix(full, path, n);

    if (st == SNUG_OK)
        return SNUG_OK;
    dynbuf_free(full);
    return snug_err_set(err, st, "json patch: path too long");
}

snug_status jsonpatch_set(jsonpatch *p, const char *const *path, size_t n, cJSON *value,
                          snug_err *err)
{
    dynbuf full;
    snug_status st = jp_check_value_args(p, path, n, value, err);

    if (st != SNUG_OK)
        return st;
    st = jp_set_walk(p, path, n, &value, err);
    cJSON_Delete(value); /* NULL unless a failure left it with us */
    if (st == SNUG_OK)
        return SNUG_OK;
    /* the pointer is only built for the message */
    if (jp_prefix(&full, path, n) != SNUG_OK)
        st = snug_err_wrap(err, st, "set (a path too long to show)");
    else
        st = snug_err_wrap(err, st, "set %s", dynbuf_str(&full));
    dynbuf_free(&full);
    return st;
}

snug_status jsonpatch_setv(jsonpatch *p, snug_err *err, cJSON *value, ...)
{
    const char *path[JP_MAX_SEGMENTS];
    const char *seg;
    size_t n = 0;
    va_list ap;

    va_start(ap, value);
    for (seg = va_arg(ap, const char *); seg != NULL; seg = va_arg(ap, const char *)) {
        if (n == JP_MAX_SEGMENTS) {
            va_end(ap);
            cJSON_Delete(value);
            return snug_err_set(err, SNUG_ERR_INVALID, "json patch: more than %d path segments",
                                JP_MAX_SEGMENTS);
        }
        path[n++] = seg;
    }
    va_end(ap);
    return jsonpatch_set(p, path, n, value, err);
}

/* The value at path[0..n), or NULL (missing, or a scalar on the way). */
static cJSON *jp_lookup(cJSON *doc, const char *const *path, size_t n)
{
    cJSON *cur = doc;
    size_t i, idx;

    for (i = 0; i < n && cur != NULL; i++) {
        if (cJSON_IsObject(cur))
            cur = jsonfield_member(cur, path[i]);
        else if (cJSON_IsArray(cur) && jsonpointer_parse_index(path[i], &idx))
            cur = cJSON_GetArrayItem(cur, (int)idx);
        else
            cur = NULL;
    }
    return cur;
}

snug_status jsonpatch_append(jsonpatch *p, const char *const *path, size_t n, cJSON *value,
                             snug_err *err)
{
    const char **segs;
    cJSON *target;
    dynbuf full;
    snug_status st = jp_check_value_args(p, path, n, value, err);

    if (st != SNUG_OK)
        return st;
    target = jp_lookup(p->doc, path, n);
    if (target != NULL && !cJSON_IsArray(target) && !cJSON_IsNull(target)) {
        st = jp_prefix(&full, path, n);
        snug_err_set(err, SNUG_ERR_INVALID, "append %s: it is %s, not an array",
                     n ? dynbuf_str(&full) : "(the document)", jsonpatch_type_name(target));
        dynbuf_free(&full);
        cJSON_Delete(value);
        return SNUG_ERR_INVALID;
    }
    segs = malloc((n + 1) * sizeof(*segs));
    if (segs == NULL) {
        cJSON_Delete(value);
        return snug_err_set(err, SNUG_ERR_NOMEM, "json patch: out of memory");
    }
    if (n > 0)
        memcpy(segs, path, n * sizeof(*segs));
    segs[n] = "-";
    st = jsonpatch_set(p, segs, n + 1, value, err);
    free(segs);
    return st;
}

snug_status jsonpatch_remove(jsonpatch *p, const char *const *path, size_t n, snug_err *err)
{
    cJSON *parent, *target, *op;
    dynbuf full;
    snug_status st = jp_check_args(p, path, n, err);

    if (st != SNUG_OK)
        return st;
    if (n == 0)
        return snug_err_set(err, SNUG_ERR_INVALID, "remove: cannot remove the whole document");
    st = jp_full_path(&full, path, n, err);
    if (st != SNUG_OK)
        return st;
    parent = jp_lookup(p->doc, path, n - 1);
    target = jp_lookup(p->doc, path, n);
    if (target == NULL) {
        st = snug_err_set(err, SNUG_ERR_NOT_FOUND, "remove %s: not found", dynbuf_str(&full));
    } else {
        op = jp_make_op("remove", dynbuf_str(&full), NULL);
        if (op == NULL) {
            st = snug_err_set(err, SNUG_ERR_NOMEM, "remove %s: out of memory", dynbuf_str(&full));
        } else {
            cJSON_Delete(cJSON_DetachItemViaPointer(parent, target));
            cJSON_AddItemToArray(p->ops, op);
            p->count++;
        }
    }
    dynbuf_free(&full);
    return st;
}

/* jsonpatch_apply.c -- applying an RFC 6902 JSON Patch to a document in
 * place (jsonpatch_apply() in jsonpatch.h): add, remove, replace, move, copy
 * and test, with errors naming the operation and what went wrong.
 */
#include "json/jsonpatch_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Insert v before `at` in arr. cJSON 1.7.15's cJSON_InsertItemInArray
 * refuses to insert in the middle of an array, so the tail is taken off and
 * put back after v. */
static void jp_insert_before(cJSON *arr, cJSON *at, cJSON *v)
{
    cJSON *first = NULL, *last = NULL, *it, *next;

    for (it = at; it != NULL; it = next) {
        next = it->next;
        cJSON_DetachItemViaPointer(arr, it);
        if (last != NULL)
            last->next = it;
        else
            first = it;
        last = it;
    }
    cJSON_AddItemToArray(arr, v);
    for (it = first; it != NULL; it = next) {
        next = it->next;
        it->next = NULL;
        cJSON_AddItemToArray(arr, it);
    }
}

/* Put `v` (owned) at loc: the "add" semantics, or "replace" of an existing
 * array element when `replace`. */
static snug_status jp_add_at(cJSON *doc, jp_loc *loc, cJSON *v, bool replace, char *msg, size_t msz)
{
    size_t size;

    if (loc->parent == NULL) {
        jsonpatch_replace_root(doc, v);
        return SNUG_OK;
    }
    if (cJSON_IsObject(loc->parent)) {
        bool ok =
            loc->target != NULL
                ? cJSON_ReplaceItemInObjectCaseSensitive(loc->parent, dynbuf_str(&loc->key), v)
                : cJSON_AddItemToObject(loc->parent, dynbuf_str(&loc->key), v);
        if (!ok) {
            cJSON_Delete(v);
            snprintf(msg, msz, "out of memory");
            return SNUG_ERR_NOMEM;
        }
        return SNUG_OK;
    }
    size = (size_t)cJSON_GetArraySize(loc->parent);
    if (!loc->is_end && loc->index > size) {
        cJSON_Delete(v);
        snprintf(msg, msz, "index %zu is out of range (the array has %zu items)", loc->index, size);
        return SNUG_ERR_NOT_FOUND;
    }
    jsonpatch_unname(v);
    if (replace)
        cJSON_ReplaceItemViaPointer(loc->parent, loc->target, v);
    else if (loc->is_end || loc->index == size)
        cJSON_AddItemToArray(loc->parent, v);
    else
        jp_insert_before(loc->parent, loc->target, v);
    return SNUG_OK;
}

static snug_status jp_need_target(const jp_loc *loc, char *msg, size_t msz)
{
    if (loc->target != NULL)
        return SNUG_OK;
    if (loc->is_end)
        snprintf(msg, msz, "\"-\" names no existing element");
    else
        snprintf(msg, msz, "\"%.64s\" does not exist", dynbuf_str(&loc->key));
    return SNUG_ERR_NOT_FOUND;
}

/* jsonpointer_locate(), and the target must exist. */
static snug_status jp_locate_existing(cJSON *doc, const char *ptr, jp_loc *loc, char *msg,
                                      size_t msz)
{
    snug_status st = jsonpointer_locate(doc, ptr, loc, msg, msz);

    return st == SNUG_OK ? jp_need_target(loc, msg, msz) : st;
}

/* Take the target out of the document (caller owns it). */
static cJSON *jp_detach(jp_loc *loc)
{
    return cJSON_DetachItemViaPointer(loc->parent, loc->target);
}

/* The members an operation object may carry; each at most once. */
static snug_status jp_member(const cJSON *op, const char *name, bool want_string, const cJSON **out,
                             char *msg, size_t msz)
{
    const cJSON *it;
    int seen = 0;

    *out = NULL;
    cJSON_ArrayForEach(it, op)
    {
        if (it->string != NULL && strcmp(it->string, name) == 0) {
            seen++;
            *out = it;
        }
    }
    if (seen > 1) {
        snprintf(msg, msz, "member \"%s\" appears more than once", name);
        return SNUG_ERR_INVALID;
    }
    if (*out != NULL && want_string && !cJSON_IsString(*out)) {
        snprintf(msg, msz, "member \"%s\" must be a string", name);
        return SNUG_ERR_INVALID;
    }
    return SNUG_OK;
}

typedef struct jp_op {
    const char *op, *path, *from;
    const cJSON *value;
} jp_op;

static snug_status jp_read_op(const cJSON *o, jp_op *op, char *msg, size_t msz)
{
    const cJSON *m_op, *m_path, *m_from;
    snug_status st;

    memset(op, 0, sizeof(*op));
    if (!cJSON_IsObject(o)) {
        snprintf(msg, msz, "an operation must be an object, not %s", jsonpatch_type_name(o));
        return SNUG_ERR_INVALID;
    }
    st = jp_member(o, "op", true, &m_op, msg, msz);
    if (st == SNUG_OK)
        st = jp_member(o, "path", true, &m_path, msg, msz);
    if (st == SNUG_OK)
        st = jp_member(o, "from", true, &m_from, msg, msz);
    if (st == SNUG_OK)
        st = jp_member(o, "value", false, &op->value, msg, msz);
    if (st != SNUG_OK)
        return st;
    op->op = m_op ? m_op->valuestring : NULL;
    op->path = m_path ? m_path->valuestring : NULL;
    op->from = m_from ? m_from->valuestring : NULL;
    if (op->op == NULL || op->path == NULL) {
        snprintf(msg, msz, "missing member \"%s\"", op->op == NULL ? "op" : "path");
        return SNUG_ERR_INVALID;
    }
    return SNUG_OK;
}

/* move/copy: take the value at `from`. */
static snug_status jp_take_from(cJSON *doc, const jp_op *op, bool move, cJSON **v, char *msg,
                                size_t msz)
{
    jp_loc from;
    snug_status st;
    size_t fl;

    *v = NULL;
    if (op->from == NULL) {
        snprintf(msg, msz, "missing member \"from\"");
        return SNUG_ERR_INVALID;
    }
    fl = strlen(op->from);
    if (move && strncmp(op->path, op->from, fl) == 0 && op->path[fl] == '/') {
        snprintf(msg, msz, "cannot move \"%s\" into its own child", op->from);
        return SNUG_ERR_INVALID;
    }
    dynbuf_init(&from.key, JSONPOINTER_MAX);
    st = jp_locate_existing(doc, op->from, &from, msg, msz);
    if (st == SNUG_OK && move && from.parent == NULL) {
        snprintf(msg, msz, "cannot move the whole document");
        st = SNUG_ERR_INVALID;
    }
    if (st == SNUG_OK) {
        *v = move ? jp_detach(&from) : cJSON_Duplicate(from.target, 1);
        if (*v == NULL) {
            snprintf(msg, msz, "out of memory");
            st = SNUG_ERR_NOMEM;
        }
    }
    dynbuf_free(&from.key);
    return st;
}

/* The operation is one RFC 6902 knows, and add/replace/test carry a value. */
static snug_status jp_check_op(const jp_op *op, char *msg, size_t msz)
{
    bool needs_value =
        strcmp(op->op, "add") == 0 || strcmp(op->op, "replace") == 0 || strcmp(op->op, "test") == 0;

    if (!needs_value && strcmp(op->op, "remove") != 0 && strcmp(op->op, "move") != 0 &&
        strcmp(op->op, "copy") != 0) {
        snprintf(msg, msz, "unknown operation (add, remove, replace, move, copy, test)");
        return SNUG_ERR_INVALID;
    }
    if (needs_value && op->value == NULL) {
        snprintf(msg, msz, "missing member \"value\"");
        return SNUG_ERR_INVALID;
    }
    return SNUG_OK;
}

/* A copy of the operation's value, for the document (caller owns it). */
static snug_status jp_copy_value(const jp_op *op, cJSON **v, char *msg, size_t msz)
{
    *v = cJSON_Duplicate(op->value, 1);
    if (*v != NULL)
        return SNUG_OK;
    snprintf(msg, msz, "out of memory");
    return SNUG_ERR_NOMEM;
}

/* A move onto itself changes nothing, once `from` is known to exist. */
static snug_status jp_move_in_place(cJSON *doc, const jp_op *op, char *msg, size_t msz)
{
    jp_loc loc;
    snug_status st;

    dynbuf_init(&loc.key, JSONPOINTER_MAX);
    st = jp_locate_existing(doc, op->from, &loc, msg, msz);
    dynbuf_free(&loc.key);
    return st;
}

/* test, remove and replace: operations on the value that is at loc. */
static snug_status jp_at_target(cJSON *doc, const jp_op *op, jp_loc *loc, char *msg, size_t msz)
{
    cJSON *v = NULL;
    snug_status st = jp_need_target(loc, msg, msz);

    if (st != SNUG_OK)
        return st;
    if (strcmp(op->op, "test") == 0) {
        if (jsonpatch_equal(loc->target, op->value))
            return SNUG_OK;
        snprintf(msg, msz, "test failed: the value differs");
        return SNUG_ERR_INVALID;
    }
    if (strcmp(op->op, "remove") == 0) {
        if (loc->parent == NULL) {
            snprintf(msg, msz, "cannot remove the whole document");
            return SNUG_ERR_INVALID;
        }
        cJSON_Delete(jp_detach(loc));
        return SNUG_OK;
    }
    st = jp_copy_value(op, &v, msg, msz); /* replace */
    return st == SNUG_OK ? jp_add_at(doc, loc, v, true, msg, msz) : st;
}

static snug_status jp_apply_one(cJSON *doc, const jp_op *op, char *msg, size_t msz)
{
    bool move = strcmp(op->op, "move") == 0;
    jp_loc loc;
    cJSON *v = NULL;
    snug_status st = jp_check_op(op, msg, msz);

    if (st != SNUG_OK)
        return st;
    if (move && op->from != NULL && strcmp(op->from, op->path) == 0)
        return jp_move_in_place(doc, op, msg, msz);
    if (move || strcmp(op->op, "copy") == 0) {
        st = jp_take_from(doc, op, move, &v, msg, msz);
        if (st != SNUG_OK)
            return st;
    }
    dynbuf_init(&loc.key, JSONPOINTER_MAX);
    st = jsonpointer_locate(doc, op->path, &loc, msg, msz);
    if (st == SNUG_OK && v == NULL && strcmp(op->op, "add") == 0)
        st = jp_copy_value(op, &v, msg, msz);
    if (st == SNUG_OK && v != NULL) {
        st = jp_add_at(doc, &loc, v, false, msg, msz); /* add, move, copy */
        v = NULL;
    } else if (st == SNUG_OK) {
        st = jp_at_target(doc, op, &loc, msg, msz);
    }
    cJSON_Delete(v);
    dynbuf_free(&loc.key);
    return st;
}

snug_status jsonpatch_apply(cJSON *doc, const cJSON *ops, snug_err *err)
{
    const cJSON *o;
    size_t i = 0;
    char msg[256];
    jp_op op;
    snug_status st;

    if (doc == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "json patch: no document");
    if (!cJSON_IsArray(ops))
        return snug_err_set(err, SNUG_ERR_INVALID, "json patch: must be an array of operations");
    cJSON_ArrayForEach(o, ops)
    {
        msg[0] = '\0';
        st = jp_read_op(o, &op, msg, sizeof(msg));
        if (st == SNUG_OK)
            st = jp_apply_one(doc, &op, msg, sizeof(msg));
        if (st != SNUG_OK) {
            if (op.op != NULL && op.path != NULL)
                return snug_err_set(err, st, "json patch op %zu (%s \"%.200s\"): %s", i, op.op,
                                    op.path, msg);
            return snug_err_set(err, st, "json patch op %zu: %s", i, msg);
        }
        i++;
    }
    return SNUG_OK;
}

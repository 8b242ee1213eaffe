/* jsonpatch.c -- JSON Pointer (RFC 6901), JSON Patch (RFC 6902), and the
 * patch builder the webhook uses to describe its mutations. */
#include "jsonpatch.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JP_MAX_SEGMENTS 64        /* jsonpatch_setv() */
#define JP_POINTER_MAX  (1 << 20) /* longest pointer we build or read */

struct jsonpatch {
    cJSON *doc;   /* borrowed */
    cJSON *ops;   /* owned; NULL after a failed jsonpatch_take_ops() */
    size_t count; /* items in ops */
};

static const char *jp_type_name(const cJSON *v)
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
 * Pointers.
 */
snug_status jsonpointer_escape(dynbuf *out, const char *segment)
{
    const char *run = segment, *s;
    snug_status st = SNUG_OK;

    for (s = segment; *s != '\0' && st == SNUG_OK; s++) {
        if (*s != '~' && *s != '/')
            continue;
        st = dynbuf_add(out, run, (size_t)(s - run));
        if (st == SNUG_OK)
            st = dynbuf_addstr(out, *s == '~' ? "~0" : "~1");
        run = s + 1;
    }
    if (st == SNUG_OK)
        st = dynbuf_addstr(out, run);
    return st;
}

/* Append "/seg" for path[0..n). */
static snug_status jp_pointer(dynbuf *out, const char *const *path, size_t n)
{
    snug_status st = SNUG_OK;
    size_t i;

    for (i = 0; i < n && st == SNUG_OK; i++) {
        st = dynbuf_addc(out, '/');
        if (st == SNUG_OK)
            st = jsonpointer_escape(out, path[i]);
    }
    return st;
}

/* An RFC 6901 array index: "0" or digits without a leading zero. */
static bool jp_parse_index(const char *s, size_t *out)
{
    size_t v = 0;

    if (*s == '\0' || (s[0] == '0' && s[1] != '\0'))
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > ((size_t)INT_MAX - (size_t)(*s - '0')) / 10)
            return false;
        v = v * 10 + (size_t)(*s - '0');
    }
    *out = v;
    return true;
}

/* Read the segment after the '/' at *p, unescaped, into seg; advance *p to
 * the next '/' or the end. False on a bad escape ("~2", trailing "~"). */
static bool jp_read_segment(const char **p, dynbuf *seg)
{
    const char *s = *p + 1;

    dynbuf_reset(seg);
    for (; *s != '\0' && *s != '/'; s++) {
        char c = *s;
        if (c == '~') {
            if (s[1] != '0' && s[1] != '1')
                return false;
            c = s[1] == '0' ? '~' : '/';
            s++;
        }
        if (dynbuf_addc(seg, c) != SNUG_OK)
            return false;
    }
    *p = s;
    return true;
}

/* Where a pointer leads: the parent container and the last segment. */
typedef struct jp_loc {
    cJSON *parent; /* NULL: the pointer is "" (the whole document) */
    cJSON *target; /* the value there, or NULL when absent */
    dynbuf key;    /* last segment, unescaped */
    bool is_index; /* parent is an array and key is a valid index */
    bool is_end;   /* parent is an array and key is "-" */
    size_t index;
} jp_loc;

/* Resolve `ptr`. Every container before the last segment must exist.
 * Fills msg (for errors) and returns SNUG_OK, NOT_FOUND or INVALID. */
static snug_status jp_locate(cJSON *doc, const char *ptr, jp_loc *loc, char *msg, size_t msz)
{
    const char *p = ptr;
    cJSON *cur = doc, *next;
    size_t size;

    loc->parent = NULL;
    loc->target = NULL;
    loc->is_index = loc->is_end = false;
    loc->index = 0;
    dynbuf_reset(&loc->key);
    if (*ptr == '\0') {
        loc->target = doc;
        return SNUG_OK;
    }
    if (*ptr != '/') {
        snprintf(msg, msz, "not a JSON pointer (must be empty or start with '/')");
        return SNUG_ERR_INVALID;
    }
    for (;;) {
        if (!jp_read_segment(&p, &loc->key)) {
            snprintf(msg, msz, "bad escape in pointer (only ~0 and ~1 are allowed)");
            return SNUG_ERR_INVALID;
        }
        loc->is_index = loc->is_end = false;
        next = NULL;
        if (cJSON_IsObject(cur)) {
            next = cJSON_GetObjectItemCaseSensitive(cur, dynbuf_str(&loc->key));
        } else if (cJSON_IsArray(cur)) {
            size = (size_t)cJSON_GetArraySize(cur);
            loc->is_end = strcmp(dynbuf_str(&loc->key), "-") == 0;
            loc->is_index = jp_parse_index(dynbuf_str(&loc->key), &loc->index);
            if (!loc->is_end && !loc->is_index) {
                snprintf(msg, msz, "\"%.64s\" is not an array index", dynbuf_str(&loc->key));
                return SNUG_ERR_INVALID;
            }
            if (loc->is_index && loc->index < size)
                next = cJSON_GetArrayItem(cur, (int)loc->index);
        } else {
            snprintf(msg, msz, "cannot descend into %s", jp_type_name(cur));
            return SNUG_ERR_INVALID;
        }
        if (*p == '\0') {
            loc->parent = cur;
            loc->target = next;
            return SNUG_OK;
        }
        if (next == NULL) {
            snprintf(msg, msz, "\"%.64s\" does not exist", dynbuf_str(&loc->key));
            return SNUG_ERR_NOT_FOUND;
        }
        cur = next;
    }
}

cJSON *jsonpointer_get(const cJSON *doc, const char *pointer)
{
    jp_loc loc;
    char msg[128];
    cJSON *found = NULL;

    if (doc == NULL || pointer == NULL)
        return NULL;
    dynbuf_init(&loc.key, JP_POINTER_MAX);
    if (jp_locate((cJSON *)doc, pointer, &loc, msg, sizeof(msg)) == SNUG_OK)
        found = loc.target;
    dynbuf_free(&loc.key);
    return found;
}

/* Replace the contents of `doc` (which may sit inside a parent) with those of
 * `v`, in place, and free v. Used for the "" pointer. */
static void jp_replace_root(cJSON *doc, cJSON *v)
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
static void jp_unname(cJSON *v)
{
    if (v->string != NULL && !(v->type & cJSON_StringIsConst))
        cJSON_free(v->string);
    v->string = NULL;
    v->type &= ~cJSON_StringIsConst;
}

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

/* ---------------------------------------------------------------------------
 * RFC 6902 application.
 */

/* Put `v` (owned) at loc: the "add" semantics, or "replace" of an existing
 * array element when `replace`. */
static snug_status jp_add_at(cJSON *doc, jp_loc *loc, cJSON *v, bool replace, char *msg, size_t msz)
{
    size_t size;

    if (loc->parent == NULL) {
        jp_replace_root(doc, v);
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
    jp_unname(v);
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
        snprintf(msg, msz, "an operation must be an object, not %s", jp_type_name(o));
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
    dynbuf_init(&from.key, JP_POINTER_MAX);
    st = jp_locate(doc, op->from, &from, msg, msz);
    if (st == SNUG_OK)
        st = jp_need_target(&from, msg, msz);
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

static snug_status jp_apply_one(cJSON *doc, const jp_op *op, char *msg, size_t msz)
{
    jp_loc loc;
    cJSON *v = NULL;
    snug_status st;
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
    if (strcmp(op->op, "move") == 0 && op->from != NULL && strcmp(op->from, op->path) == 0) {
        dynbuf_init(&loc.key, JP_POINTER_MAX);
        st = jp_locate(doc, op->from, &loc, msg, msz); /* a no-op, if from exists */
        if (st == SNUG_OK)
            st = jp_need_target(&loc, msg, msz);
        dynbuf_free(&loc.key);
        return st;
    }
    if (strcmp(op->op, "move") == 0 || strcmp(op->op, "copy") == 0) {
        st = jp_take_from(doc, op, strcmp(op->op, "move") == 0, &v, msg, msz);
        if (st != SNUG_OK)
            return st;
    }
    dynbuf_init(&loc.key, JP_POINTER_MAX);
    st = jp_locate(doc, op->path, &loc, msg, msz);
    if (st != SNUG_OK)
        goto out;
    if (strcmp(op->op, "add") == 0 || v != NULL) {
        if (v == NULL)
            v = cJSON_Duplicate(op->value, 1);
        if (v == NULL) {
            snprintf(msg, msz, "out of memory");
            st = SNUG_ERR_NOMEM;
            goto out;
        }
        st = jp_add_at(doc, &loc, v, false, msg, msz);
        v = NULL;
        goto out;
    }
    st = jp_need_target(&loc, msg, msz);
    if (st != SNUG_OK)
        goto out;
    if (strcmp(op->op, "test") == 0) {
        if (!jsonpatch_equal(loc.target, op->value)) {
            snprintf(msg, msz, "test failed: the value differs");
            st = SNUG_ERR_INVALID;
        }
    } else if (strcmp(op->op, "remove") == 0) {
        if (loc.parent == NULL) {
            snprintf(msg, msz, "cannot remove the whole document");
            st = SNUG_ERR_INVALID;
        } else {
            cJSON_Delete(jp_detach(&loc));
        }
    } else { /* replace */
        v = cJSON_Duplicate(op->value, 1);
        if (v == NULL) {
            snprintf(msg, msz, "out of memory");
            st = SNUG_ERR_NOMEM;
        } else {
            st = jp_add_at(doc, &loc, v, true, msg, msz);
            v = NULL;
        }
    }
out:
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

/* {"op": name, "path": ptr, "value": copy of value}; NULL on NOMEM. */
static cJSON *jp_make_op(const char *name, const char *ptr, const cJSON *value)
{
    cJSON *o = cJSON_CreateObject(), *v = NULL;

    if (o == NULL || !cJSON_AddStringToObject(o, "op", name) ||
        !cJSON_AddStringToObject(o, "path", ptr))
        goto fail;
    if (value != NULL) {
        v = cJSON_Duplicate(value, 1);
        if (v == NULL || !cJSON_AddItemToObject(o, "value", v)) {
            cJSON_Delete(v);
            goto fail;
        }
    }
    return o;
fail:
    cJSON_Delete(o);
    return NULL;
}

/* Wrap *value in the containers path[from..n) names: "-" makes an array,
 * anything else an object member. An index there would address an array that
 * does not exist: SNUG_ERR_NOT_FOUND. *value is freed on failure. */
static snug_status jp_wrap(const char *const *path, size_t from, size_t n, cJSON **value,
                           const char *full, snug_err *err)
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
        } else if (jp_parse_index(path[i], &idx)) {
            cJSON_Delete(v);
            return snug_err_set(err, SNUG_ERR_NOT_FOUND,
                                "set %s: index %s of an array that does not exist", full, path[i]);
        } else {
            c = cJSON_CreateObject();
            ok = c != NULL && cJSON_AddItemToObject(c, path[i], v);
        }
        if (!ok) {
            cJSON_Delete(c);
            cJSON_Delete(v);
            return snug_err_set(err, SNUG_ERR_NOMEM, "set %s: out of memory", full);
        }
        v = c;
    }
    *value = v;
    return SNUG_OK;
}

/* A new buffer holding the pointer for path[0..k) (free it either way). */
static snug_status jp_prefix(dynbuf *b, const char *const *path, size_t k)
{
    dynbuf_init(b, JP_POINTER_MAX);
    return jp_pointer(b, path, k);
}

typedef enum jp_kind { JP_ADD_MEMBER, JP_ADD_ITEM, JP_REPLACE, JP_REPLACE_ROOT } jp_kind;

/* Record one operation at path[0..k) and apply it to the document. Takes
 * *value (set to NULL once it belongs to the document or was freed). */
static snug_status jp_emit(jsonpatch *p, jp_kind kind, const char *const *path, size_t k,
                           cJSON *parent, cJSON *child, cJSON **value, snug_err *err)
{
    dynbuf ptr;
    cJSON *op = NULL, *v = *value;
    snug_status st;

    if ((kind == JP_REPLACE || kind == JP_REPLACE_ROOT) && jsonpatch_equal(child, v)) {
        cJSON_Delete(v); /* nothing to change, nothing to record */
        *value = NULL;
        return SNUG_OK;
    }
    if (kind == JP_ADD_ITEM || (kind == JP_REPLACE && cJSON_IsArray(parent)))
        jp_unname(v);
    st = jp_prefix(&ptr, path, k);
    if (st == SNUG_OK) {
        op = jp_make_op(kind == JP_ADD_MEMBER || kind == JP_ADD_ITEM ? "add" : "replace",
                        dynbuf_str(&ptr), v);
        if (op == NULL)
            st = SNUG_ERR_NOMEM;
    }
    if (st == SNUG_OK && kind == JP_ADD_MEMBER && !cJSON_AddItemToObject(parent, path[k - 1], v))
        st = SNUG_ERR_NOMEM;
    else if (st == SNUG_OK && kind == JP_ADD_ITEM && !cJSON_AddItemToArray(parent, v))
        st = SNUG_ERR_NOMEM;
    else if (st == SNUG_OK && kind == JP_REPLACE && cJSON_IsObject(parent) &&
             !cJSON_ReplaceItemInObjectCaseSensitive(parent, child->string, v))
        st = SNUG_ERR_NOMEM;
    else if (st == SNUG_OK && kind == JP_REPLACE && cJSON_IsArray(parent) &&
             !cJSON_ReplaceItemViaPointer(parent, child, v))
        st = SNUG_ERR_NOMEM;
    else if (st == SNUG_OK && kind == JP_REPLACE_ROOT)
        jp_replace_root(p->doc, v);
    if (st != SNUG_OK) {
        cJSON_Delete(op);
        cJSON_Delete(v);
        snug_err_set(err, st, "set %s: out of memory", dynbuf_str(&ptr));
    } else {
        cJSON_AddItemToArray(p->ops, op);
        p->count++;
    }
    *value = NULL;
    dynbuf_free(&ptr);
    return st;
}

/* The walk of jsonpatch_set(). `full` is the whole pointer, for messages. */
static snug_status jp_set_walk(jsonpatch *p, const char *const *path, size_t n, cJSON **value,
                               const char *full, snug_err *err)
{
    cJSON *cur = p->doc, *child = NULL;
    size_t i, idx, size;
    snug_status st;

    if (n == 0 || cJSON_IsNull(p->doc)) {
        st = jp_wrap(path, 0, n, value, full, err);
        return st ? st : jp_emit(p, JP_REPLACE_ROOT, path, 0, NULL, p->doc, value, err);
    }
    for (i = 0; i < n; i++) {
        if (!jp_is_container(cur)) {
            dynbuf at;
            st = jp_prefix(&at, path, i);
            snug_err_set(err, st ? st : SNUG_ERR_INVALID,
                         "set %s: %s is %s, not an object or array", full,
                         i ? dynbuf_str(&at) : "the document", jp_type_name(cur));
            dynbuf_free(&at);
            return st ? st : SNUG_ERR_INVALID;
        }
        if (cJSON_IsObject(cur)) {
            child = cJSON_GetObjectItemCaseSensitive(cur, path[i]);
            if (child == NULL) {
                st = jp_wrap(path, i + 1, n, value, full, err);
                return st ? st : jp_emit(p, JP_ADD_MEMBER, path, i + 1, cur, NULL, value, err);
            }
        } else {
            size = (size_t)cJSON_GetArraySize(cur);
            if (strcmp(path[i], "-") == 0 ||
                (jp_parse_index(path[i], &idx) && idx == size && i + 1 == n)) {
                st = jp_wrap(path, i + 1, n, value, full, err);
                return st ? st : jp_emit(p, JP_ADD_ITEM, path, i + 1, cur, NULL, value, err);
            }
            if (!jp_parse_index(path[i], &idx))
                return snug_err_set(err, SNUG_ERR_INVALID, "set %s: \"%s\" is not an array index",
                                    full, path[i]);
            if (idx >= size)
                return snug_err_set(err, SNUG_ERR_NOT_FOUND,
                                    "set %s: index %zu is out of range (the array has %zu items)",
                                    full, idx, size);
            child = cJSON_GetArrayItem(cur, (int)idx);
        }
        if (i + 1 == n)
            return jp_emit(p, JP_REPLACE, path, n, cur, child, value, err);
        if (cJSON_IsNull(child)) {
            /* A null parent counts as missing: replace it with the nesting. */
            st = jp_wrap(path, i + 1, n, value, full, err);
            return st ? st : jp_emit(p, JP_REPLACE, path, i + 1, cur, child, value, err);
        }
        cur = child;
    }
    return snug_err_set(err, SNUG_ERR_INTERNAL, "set %s: walked past the path", full);
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

snug_status jsonpatch_set(jsonpatch *p, const char *const *path, size_t n, cJSON *value,
                          snug_err *err)
{
    dynbuf full;
    snug_status st = jp_check_args(p, path, n, err);

    if (st == SNUG_OK && value == NULL)
        st = snug_err_set(err, SNUG_ERR_INVALID, "json patch: no value");
    if (st != SNUG_OK) {
        cJSON_Delete(value);
        return st;
    }
    st = jp_prefix(&full, path, n);
    if (st != SNUG_OK) {
        cJSON_Delete(value);
        dynbuf_free(&full);
        return snug_err_set(err, st, "json patch: path too long");
    }
    st = jp_set_walk(p, path, n, &value, dynbuf_str(&full), err);
    cJSON_Delete(value); /* NULL unless a failure left it with us */
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
            cur = cJSON_GetObjectItemCaseSensitive(cur, path[i]);
        else if (cJSON_IsArray(cur) && jp_parse_index(path[i], &idx))
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
    snug_status st = jp_check_args(p, path, n, err);

    if (st == SNUG_OK && value == NULL)
        st = snug_err_set(err, SNUG_ERR_INVALID, "json patch: no value");
    if (st != SNUG_OK) {
        cJSON_Delete(value);
        return st;
    }
    target = jp_lookup(p->doc, path, n);
    if (target != NULL && !cJSON_IsArray(target) && !cJSON_IsNull(target)) {
        st = jp_prefix(&full, path, n);
        snug_err_set(err, SNUG_ERR_INVALID, "append %s: it is %s, not an array",
                     n ? dynbuf_str(&full) : "(the document)", jp_type_name(target));
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
    st = jp_prefix(&full, path, n);
    if (st != SNUG_OK) {
        dynbuf_free(&full);
        return snug_err_set(err, st, "json patch: path too long");
    }
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

/* jsonpointer.c -- JSON Pointer (RFC 6901): escaping segments, building
 * pointers from segment arrays, parsing array indexes, and resolving a
 * pointer to its parent container and target (jsonpointer_get() and the
 * patch code).
 */
#include "json/jsonpatch_internal.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "json/jsonfield.h"

/* ---------------------------------------------------------------------------
 * Pointers.
 */
snug_status jsonpointer_escape(dynbuf *out, const char *segment)
{
    const char *s = segment;
    snug_status st;
    size_t run;

    for (;;) {
        run = strcspn(s, "~/"); /* most segments: the whole of it */
        st = dynbuf_add(out, s, run);
        if (st != SNUG_OK || s[run] == '\0')
            return st;
        st = dynbuf_add(out, s[run] == '~' ? "~0" : "~1", 2);
        if (st != SNUG_OK)
            return st;
        s += run + 1;
    }
}

/* Append "/seg" for path[0..n). */
snug_status jsonpointer_append_path(dynbuf *out, const char *const *path, size_t n)
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

bool jsonpointer_format(char *buf, size_t cap, const char *const *path, size_t n)
{
    size_t used = 0, i; /* used <= cap throughout */
    const char *s;

    for (i = 0; i < n; i++) {
        if (used >= cap)
            return false;
        buf[used++] = '/';
        /* Byte by byte: segments are short, a call per run costs more. */
        for (s = path[i]; *s != '\0'; s++) {
            if (*s != '~' && *s != '/') {
                if (used >= cap)
                    return false;
                buf[used++] = *s;
                continue;
            }
            if (cap - used < 2)
                return false;
            buf[used++] = '~';
            buf[used++] = *s == '~' ? '0' : '1';
        }
    }
    if (used >= cap)
        return false;
    buf[used] = '\0';
    return true;
}

/* An RFC 6901 array index: "0" or digits without a leading zero. */
bool jsonpointer_parse_index(const char *s, size_t *out)
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

/* One step of jsonpointer_locate(): the member or element of `cur` that
 * loc->key names (*next, NULL when absent), noting in loc whether the key is
 * an array index or "-". SNUG_ERR_INVALID for a scalar or a non-index into
 * an array, with the reason in msg. */
static snug_status jp_child(cJSON *cur, jp_loc *loc, cJSON **next, char *msg, size_t msz)
{
    size_t size;

    loc->is_index = loc->is_end = false;
    *next = NULL;
    if (cJSON_IsObject(cur)) {
        *next = jsonfield_member(cur, dynbuf_str(&loc->key));
        return SNUG_OK;
    }
    if (!cJSON_IsArray(cur)) {
        snprintf(msg, msz, "cannot descend into %s", jsonpatch_type_name(cur));
        return SNUG_ERR_INVALID;
    }
    size = (size_t)cJSON_GetArraySize(cur);
    loc->is_end = strcmp(dynbuf_str(&loc->key), "-") == 0;
    loc->is_index = jsonpointer_parse_index(dynbuf_str(&loc->key), &loc->index);
    if (!loc->is_end && !loc->is_index) {
        snprintf(msg, msz, "\"%.64s\" is not an array index", dynbuf_str(&loc->key));
        return SNUG_ERR_INVALID;
    }
    if (loc->is_index && loc->index < size)
        *next = cJSON_GetArrayItem(cur, (int)loc->index);
    return SNUG_OK;
}

/* Resolve `ptr`. Every container before the last segment must exist.
 * Fills msg (for errors) and returns SNUG_OK, NOT_FOUND or INVALID. */
snug_status jsonpointer_locate(cJSON *doc, const char *ptr, jp_loc *loc, char *msg, size_t msz)
{
    const char *p = ptr;
    cJSON *cur = doc, *next;
    snug_status st;

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
        st = jp_child(cur, loc, &next, msg, msz);
        if (st != SNUG_OK)
            return st;
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
    dynbuf_init(&loc.key, JSONPOINTER_MAX);
    if (jsonpointer_locate((cJSON *)doc, pointer, &loc, msg, sizeof(msg)) == SNUG_OK)
        found = loc.target;
    dynbuf_free(&loc.key);
    return found;
}

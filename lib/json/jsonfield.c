/* jsonfield.c -- typed, path-naming getters for validated JSON objects. */
#include "json/jsonfield.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/decimal.h"

const char *jsonfield_type_name(const cJSON *v)
{
    if (v == NULL)
        return "nothing";
    if (cJSON_IsObject(v))
        return "object";
    if (cJSON_IsArray(v))
        return "array";
    if (cJSON_IsString(v))
        return "string";
    if (cJSON_IsNumber(v))
        return "number";
    if (cJSON_IsBool(v))
        return "boolean";
    if (cJSON_IsNull(v))
        return "null";
    return "invalid";
}

void jsonfield_path(char *buf, size_t cap, const char *parent, const char *key)
{
    if (cap == 0)
        return;
    if (parent == NULL || parent[0] == '\0')
        snprintf(buf, cap, "%s", key);
    else
        snprintf(buf, cap, "%s.%s", parent, key);
}

void jsonfield_index_path(char *buf, size_t cap, const char *parent, size_t i)
{
    char digits[DECIMAL_U64_MAX];
    size_t plen = parent != NULL ? strlen(parent) : 0;
    size_t dlen = decimal_u64(digits, (uint64_t)i);

    if (cap == 0)
        return;
    if (plen + dlen + 3 > cap) { /* what does not fit is cut, as snprintf would */
        snprintf(buf, cap, "%s[%s]", parent ? parent : "", digits);
        return;
    }
    if (plen > 0)
        memcpy(buf, parent, plen);
    buf[plen] = '[';
    memcpy(buf + plen + 1, digits, dlen);
    buf[plen + 1 + dlen] = ']';
    buf[plen + 2 + dlen] = '\0';
}

const cJSON *jsonfield_get(const cJSON *obj, const char *key)
{
    const cJSON *v;

    if (!cJSON_IsObject(obj))
        return NULL;
    v = jsonfield_member(obj, key);
    if (v == NULL || cJSON_IsNull(v))
        return NULL;
    return v;
}

static bool key_allowed(const char *name, const char *const *allowed)
{
    size_t i;

    for (i = 0; allowed[i] != NULL; i++)
        if (strcmp(name, allowed[i]) == 0)
            return true;
    return false;
}

static snug_status unknown_field(const char *path, const char *name, const char *const *allowed,
                                 snug_err *err)
{
    char known[256];
    size_t used = 0, i;
    char fp[JSONFIELD_PATH_MAX];

    known[0] = '\0';
    for (i = 0; allowed[i] != NULL && used < sizeof(known); i++) {
        int n = snprintf(known + used, sizeof(known) - used, "%s%s", i ? ", " : "", allowed[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
    jsonfield_path(fp, sizeof(fp), path, name);
    return snug_err_set(err, SNUG_ERR_INVALID, "%s: unknown field (known: %s)", fp, known);
}

snug_status jsonfield_check_keys(const cJSON *obj, const char *path, const char *const *allowed,
                                 snug_err *err)
{
    const cJSON *c, *d;
    char fp[JSONFIELD_PATH_MAX];

    if (!cJSON_IsObject(obj))
        return SNUG_OK;
    for (c = obj->child; c != NULL; c = c->next) {
        if (c->string == NULL)
            continue;
        if (!key_allowed(c->string, allowed))
            return unknown_field(path, c->string, allowed, err);
        for (d = obj->child; d != c; d = d->next) {
            if (d->string != NULL && strcmp(d->string, c->string) == 0) {
                jsonfield_path(fp, sizeof(fp), path, c->string);
                return snug_err_set(err, SNUG_ERR_INVALID, "%s: duplicate field", fp);
            }
        }
    }
    return SNUG_OK;
}

static snug_status wrong_type(const char *path, const char *key, const char *want, const cJSON *got,
                              snug_err *err)
{
    char fp[JSONFIELD_PATH_MAX];

    jsonfield_path(fp, sizeof(fp), path, key);
    return snug_err_set(err, SNUG_ERR_INVALID, "%s: must be %s, got %s", fp, want,
                        jsonfield_type_name(got));
}

snug_status jsonfield_object(const cJSON *obj, const char *key, const char *path, const cJSON **out,
                             snug_err *err)
{
    const cJSON *v = jsonfield_get(obj, key);

    if (v == NULL)
        return SNUG_OK;
    if (!cJSON_IsObject(v))
        return wrong_type(path, key, "an object", v, err);
    *out = v;
    return SNUG_OK;
}

snug_status jsonfield_array(const cJSON *obj, const char *key, const char *path, const cJSON **out,
                            snug_err *err)
{
    const cJSON *v = jsonfield_get(obj, key);

    if (v == NULL)
        return SNUG_OK;
    if (!cJSON_IsArray(v))
        return wrong_type(path, key, "an array", v, err);
    *out = v;
    return SNUG_OK;
}

snug_status jsonfield_section(const cJSON *obj, const char *key, const char *path,
                              const char *const *allowed, const cJSON **out, char *fp, size_t cap,
                              snug_err *err)
{
    const cJSON *o = NULL;
    snug_status st = jsonfield_object(obj, key, path, &o, err);

    *out = NULL;
    if (st != SNUG_OK || o == NULL)
        return st;
    jsonfield_path(fp, cap, path, key);
    if (allowed != NULL) {
        st = jsonfield_check_keys(o, fp, allowed, err);
        if (st != SNUG_OK)
            return st;
    }
    *out = o;
    return SNUG_OK;
}

snug_status jsonfield_string(const cJSON *obj, const char *key, const char *path, const char **out,
                             snug_err *err)
{
    const cJSON *v = jsonfield_get(obj, key);

    if (v == NULL)
        return SNUG_OK;
    if (!cJSON_IsString(v) || v->valuestring == NULL)
        return wrong_type(path, key, "a string", v, err);
    *out = v->valuestring;
    return SNUG_OK;
}

snug_status jsonfield_bool(const cJSON *obj, const char *key, const char *path, bool *out,
                           snug_err *err)
{
    const cJSON *v = jsonfield_get(obj, key);

    if (v == NULL)
        return SNUG_OK;
    if (!cJSON_IsBool(v))
        return wrong_type(path, key, "a boolean", v, err);
    *out = cJSON_IsTrue(v);
    return SNUG_OK;
}

snug_status jsonfield_int64(const cJSON *obj, const char *key, const char *path, int64_t min,
                            int64_t max, int64_t *out, snug_err *err)
{
    const cJSON *v = jsonfield_get(obj, key);
    char fp[JSONFIELD_PATH_MAX];
    double d;

    if (v == NULL)
        return SNUG_OK;
    if (!cJSON_IsNumber(v))
        return wrong_type(path, key, "an integer", v, err);
    jsonfield_path(fp, sizeof(fp), path, key);
    d = v->valuedouble;
    if (!isfinite(d) || d != floor(d))
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: must be an integer, got %.15g", fp, d);
    /* Compare as doubles first: (double)max may round up, so test >= 2^63. */
    if (d < (double)min || d > (double)max || d >= 9223372036854775808.0 || (int64_t)d < min ||
        (int64_t)d > max)
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: must be between %lld and %lld, got %.15g",
                            fp, (long long)min, (long long)max, d);
    *out = (int64_t)d;
    return SNUG_OK;
}

snug_status jsonfield_double(const cJSON *obj, const char *key, const char *path, double lo,
                             bool lo_open, double hi, bool hi_open, double *out, snug_err *err)
{
    const cJSON *v = jsonfield_get(obj, key);
    char fp[JSONFIELD_PATH_MAX];
    double d;
    bool ok;

    if (v == NULL)
        return SNUG_OK;
    if (!cJSON_IsNumber(v))
        return wrong_type(path, key, "a number", v, err);
    d = v->valuedouble;
    ok = isfinite(d) && (lo_open ? d > lo : d >= lo) && (hi_open ? d < hi : d <= hi);
    if (!ok) {
        jsonfield_path(fp, sizeof(fp), path, key);
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: must be in %c%g, %g%c, got %.15g", fp,
                            lo_open ? '(' : '[', lo, hi, hi_open ? ')' : ']', d);
    }
    *out = d;
    return SNUG_OK;
}

static bool is_list_doc(const cJSON *doc, const char *list_kind)
{
    const cJSON *kind = jsonfield_get(doc, "kind");

    return cJSON_IsString(kind) && kind->valuestring != NULL &&
           (strcmp(kind->valuestring, "List") == 0 ||
            (list_kind != NULL && strcmp(kind->valuestring, list_kind) == 0));
}

static snug_status each_item(const cJSON *list, jsonfield_doc_fn fn, void *ud, snug_err *err)
{
    const cJSON *items = NULL, *it;
    size_t i = 0;
    snug_status st = jsonfield_array(list, "items", "", &items, err);

    if (st != SNUG_OK || items == NULL)
        return st;
    cJSON_ArrayForEach(it, items)
    {
        st = fn(it, ud, err);
        if (st != SNUG_OK) {
            snug_err_prefix(err, "items[%zu]", i);
            return st;
        }
        i++;
    }
    return SNUG_OK;
}

snug_status jsonfield_each_doc(const cJSON *docs, const char *what, const char *list_kind,
                               jsonfield_doc_fn fn, void *ud, snug_err *err)
{
    const cJSON *doc;
    size_t n = 0;
    snug_status st;

    if (!cJSON_IsArray(docs))
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: must be an array, got %s", what,
                            jsonfield_type_name(docs));
    cJSON_ArrayForEach(doc, docs)
    {
        n++;
        st = is_list_doc(doc, list_kind) ? each_item(doc, fn, ud, err) : fn(doc, ud, err);
        if (st != SNUG_OK) {
            snug_err_prefix(err, "document %zu", n);
            return st;
        }
    }
    return SNUG_OK;
}

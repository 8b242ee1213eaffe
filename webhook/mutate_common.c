/* mutate_common.c -- helpers shared by the mutation engine's modules:
 * warnings, patch writes relative to a container, annotation lookups. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/jsonfield.h"
#include "webhook/mutate_internal.h"
#include "model/quantity.h"

#define MUT_WARN_MAX_LEN 1024

void mut_warn(mut_ctx *x, const char *fmt, ...)
{
    char buf[MUT_WARN_MAX_LEN];
    va_list ap;
    char *s;

    x->warn.total++;
    if (x->warn.n >= MUT_WARN_KEEP)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    s = strdup(buf);
    if (s == NULL) {
        x->warn.total--;
        return;
    }
    x->warn.w[x->warn.n++] = s;
}

void mut_warnings_free(mut_warnings *w)
{
    size_t i;

    for (i = 0; i < w->n; i++)
        free(w->w[i]);
    w->n = 0;
    w->total = 0;
}

void mut_detail(mut_container *mc, const char *fmt, ...)
{
    va_list ap;

    if (!mc->held) /* only the Audit warning reads them */
        return;
    if (dynbuf_len(&mc->details) > 0 && dynbuf_addstr(&mc->details, ", ") != SNUG_OK)
        return;
    va_start(ap, fmt);
    (void)dynbuf_vprintf(&mc->details, fmt, ap);
    va_end(ap);
}

/* The value to put at path[from..n) when path[from-1] is missing or null:
 * v wrapped in one object per remaining segment. Takes ownership of v. */
static cJSON *wrap_nested(const char *const *path, size_t from, size_t n, cJSON *v)
{
    size_t i;

    for (i = n; i > from; i--) {
        cJSON *o = cJSON_CreateObject();

        if (o == NULL) {
            cJSON_Delete(v);
            return NULL;
        }
        cJSON_AddItemToObject(o, path[i - 1], v);
        v = o;
    }
    return v;
}

snug_status mut_set_path(mut_ctx *x, const char *const *path, size_t n, cJSON *v)
{
    const cJSON *node = x->doc;
    size_t i;

    if (v == NULL)
        return snug_err_set(x->err, SNUG_ERR_NOMEM, "out of memory");
    /* A JSON null parent is "missing" to us but a scalar to the builder:
     * replace the null with the nested value. */
    for (i = 0; i + 1 < n; i++) {
        if (cJSON_IsArray(node))
            node = cJSON_GetArrayItem(node, atoi(path[i]));
        else
            node = jsonfield_member(node, path[i]);
        if (node == NULL)
            break;
        if (cJSON_IsNull(node)) {
            v = wrap_nested(path, i + 1, n, v);
            if (v == NULL)
                return snug_err_set(x->err, SNUG_ERR_NOMEM, "out of memory");
            return jsonpatch_set(x->jp, path, i + 1, v, x->err);
        }
    }
    return jsonpatch_set(x->jp, path, n, v, x->err);
}

snug_status mut_set(mut_ctx *x, mut_container *mc, cJSON *v, const char *a, const char *b,
                    const char *c)
{
    const char *path[6] = {"spec", mc->list, mc->idx, a, b, c};
    size_t n = 4;

    if (b != NULL)
        n = c != NULL ? 6 : 5;
    return mut_set_path(x, path, n, v);
}

snug_status mut_append(mut_ctx *x, mut_container *mc, cJSON *v, const char *a)
{
    const char *path[4] = {"spec", mc->list, mc->idx, a};
    const cJSON *cur = x->doc;
    cJSON *arr;
    size_t i;

    if (v == NULL)
        return snug_err_set(x->err, SNUG_ERR_NOMEM, "out of memory");
    for (i = 0; i < 4 && cur != NULL; i++)
        cur = cJSON_IsArray(cur) ? cJSON_GetArrayItem(cur, atoi(path[i]))
                                 : jsonfield_member(cur, path[i]);
    if (cJSON_IsNull(cur)) {
        arr = cJSON_CreateArray();
        if (arr == NULL) {
            cJSON_Delete(v);
            return snug_err_set(x->err, SNUG_ERR_NOMEM, "out of memory");
        }
        cJSON_AddItemToArray(arr, v);
        return jsonpatch_set(x->jp, path, 4, arr, x->err);
    }
    return jsonpatch_append(x->jp, path, 4, v, x->err);
}

const cJSON *mut_get(const cJSON *obj, const char *key)
{
    const cJSON *v;

    if (!cJSON_IsObject(obj))
        return NULL;
    v = jsonfield_member(obj, key);
    return cJSON_IsNull(v) ? NULL : v;
}

const char *mut_annotation(const mut_ctx *x, const char *key)
{
    const cJSON *v = mut_get(x->annotations, key);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

const char *mut_container_annotation(const mut_ctx *x, const char *prefix, const char *name)
{
    size_t plen = strlen(prefix);
    const cJSON *c;

    if (x->annotations == NULL)
        return NULL;
    for (c = x->annotations->child; c != NULL; c = c->next) {
        if (c->string != NULL && strncmp(c->string, prefix, plen) == 0 && c->string[plen] == '.' &&
            strcmp(c->string + plen + 1, name) == 0)
            return cJSON_IsString(c) ? c->valuestring : NULL;
    }
    return NULL;
}

bool mut_add_member(cJSON *obj, const char *key, cJSON *v)
{
    if (v != NULL && cJSON_AddItemToObjectCS(obj, key, v))
        return true;
    cJSON_Delete(v);
    return false;
}

void mut_format(int res, int64_t v, char *buf, size_t cap)
{
    if (res == MUT_CPU)
        cpu_format_milli(v, buf, cap);
    else
        mem_format_bytes(v, buf, cap);
}

static int64_t sat(__int128 v)
{
    if (v > (__int128)(INT64_MAX - 1))
        return INT64_MAX - 1;
    return (int64_t)v;
}

int64_t mut_mul_div(int64_t a, int64_t b, int64_t c)
{
    __int128 p;

    if (a < 0 || b < 0 || c <= 0)
        return RES_UNSET;
    p = (__int128)a * b;
    return sat((p + c - 1) / c);
}

int64_t mut_mul_ratio(int64_t v, double ratio, bool up)
{
    __int128 num, p;

    if (v < 0 || !(ratio >= 0) || ratio > 1e9)
        return RES_UNSET;
    num = (__int128)llround(ratio * 1e6);
    p = (__int128)v * num;
    return sat(up ? (p + 999999) / 1000000 : p / 1000000);
}

const char *mut_res_name(int res)
{
    return res == MUT_CPU ? "cpu" : "memory";
}

int64_t mut_amount(const res_amounts *a, int res)
{
    return res == MUT_CPU ? a->cpu_milli : a->mem_bytes;
}

int64_t mut_eff_req(const mut_ctx *x, const mut_container *mc, int res)
{
    const mut_res *r = &mc->r[res];

    if (r->req != RES_UNSET)
        return r->req;
    if (r->lim != RES_UNSET)
        return r->lim;
    return x->in->limits ? mut_amount(&x->in->limits->default_request, res) : RES_UNSET;
}

int64_t mut_eff_lim(const mut_ctx *x, const mut_container *mc, int res)
{
    const mut_res *r = &mc->r[res];

    if (r->lim != RES_UNSET)
        return r->lim;
    return x->in->limits ? mut_amount(&x->in->limits->default_limit, res) : RES_UNSET;
}

/* limitrange.c -- fold a namespace's LimitRanges into the strictest bounds,
 * and read back what the LimitRanger plugin defaulted on a Pod.
 *
 * Facts carried over from Kubernetes (plugin/pkg/admission/limitranger and
 * the v1 LimitRangeItem defaulting):
 *  - a `type: Container` item without `default` takes it from `max`; without
 *    `defaultRequest` it takes it from `default`, else from `min`. Objects read
 *    from the API server already carry these, objects read from a file may
 *    not, so we apply the same defaulting here (it is idempotent);
 *  - every LimitRange in the namespace is enforced, so min is the largest,
 *    max the smallest, maxLimitRequestRatio the smallest; the defaulting of
 *    missing values is done by the first LimitRange that has a default;
 *  - the annotation is "LimitRanger plugin set: " followed by "; "-separated
 *    parts "<res>, <res> request for container <name>" / "... limit for
 *    container <name>" ("init container <name>" for init containers), the
 *    resource names sorted.
 * Only cpu and memory are read; other resources are ignored.
 */
#include "model/limitrange.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json/jsonfield.h"
#include "model/quantity.h"

#define LR_ANNOTATION "kubernetes.io/limit-ranger"
#define LR_PREFIX     "LimitRanger plugin set: "

/* Bounds of one item, before folding. */
typedef struct lr_item {
    res_amounts min, max, def, def_req;
    double ratio_cpu, ratio_mem;
} lr_item;

static void amounts_unset(res_amounts *a)
{
    a->cpu_milli = RES_UNSET;
    a->mem_bytes = RES_UNSET;
}

void limitrange_bounds_init(limitrange_bounds *b)
{
    amounts_unset(&b->min);
    amounts_unset(&b->max);
    amounts_unset(&b->default_limit);
    amounts_unset(&b->default_request);
    amounts_unset(&b->pod_min);
    amounts_unset(&b->pod_max);
    b->max_ratio_cpu = 0;
    b->max_ratio_memory = 0;
}

/* floor(nanos / div), saturated to [0, INT64_MAX - 1] (negative values are
 * refused before this is called). */
static int64_t nanos_floor(__int128 nanos, int64_t div)
{
    __int128 v = nanos / div;

    if (v > (__int128)(INT64_MAX - 1))
        return INT64_MAX - 1;
    return (int64_t)v;
}

/* The value in millicores (cpu) or bytes (memory): rounded up for lower
 * bounds and defaults, down for upper bounds, so that a value within our
 * rounded bound is within the real one. */
static int64_t q_amount(const quantity *q, bool cpu, bool upper)
{
    int64_t v;

    if (upper)
        return nanos_floor(q->nanos, cpu ? 1000000 : 1000000000);
    v = cpu ? quantity_milli_ceil(q) : quantity_value_ceil(q);
    return v == INT64_MAX ? INT64_MAX - 1 : v;
}

static const char *lr_name(const cJSON *lr)
{
    const cJSON *md = jsonfield_member(lr, "metadata");
    const cJSON *name = jsonfield_member(md, "name");

    return cJSON_IsString(name) && name->valuestring[0] ? name->valuestring : "(unnamed)";
}

/* Parse one quantity of a resource map into a value; `upper` picks rounding. */
static snug_status read_quantity(const cJSON *map, const char *res, bool upper, int64_t *out,
                                 double *ratio, const char *where, snug_err *err)
{
    const cJSON *item = jsonfield_member(map, res);
    snug_err qerr;
    quantity q;

    if (item == NULL || cJSON_IsNull(item))
        return SNUG_OK;
    if (quantity_parse_json(item, &q, &qerr) != SNUG_OK)
        return snug_err_set(err, SNUG_ERR_INVALID, "%s.%s: %s", where, res, qerr.msg);
    if (q.nanos < 0)
        return snug_err_set(err, SNUG_ERR_INVALID, "%s.%s: must not be negative", where, res);
    if (ratio != NULL)
        *ratio = (double)((long double)q.nanos / 1e9L);
    else
        *out = q_amount(&q, strcmp(res, "cpu") == 0, upper);
    return SNUG_OK;
}

static snug_status read_map(const cJSON *it, const char *key, bool upper, res_amounts *out,
                            const char *where, snug_err *err)
{
    const cJSON *map = jsonfield_member(it, key);
    char path[160];
    snug_status st;

    if (map == NULL || cJSON_IsNull(map))
        return SNUG_OK;
    snprintf(path, sizeof(path), "%s.%s", where, key);
    if (!cJSON_IsObject(map))
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: must be an object", path);
    st = read_quantity(map, "cpu", upper, &out->cpu_milli, NULL, path, err);
    if (st == SNUG_OK)
        st = read_quantity(map, "memory", upper, &out->mem_bytes, NULL, path, err);
    return st;
}

static snug_status read_ratios(const cJSON *it, lr_item *li, const char *where, snug_err *err)
{
    const cJSON *map = jsonfield_member(it, "maxLimitRequestRatio");
    char path[160];
    snug_status st;

    if (map == NULL || cJSON_IsNull(map))
        return SNUG_OK;
    snprintf(path, sizeof(path), "%s.maxLimitRequestRatio", where);
    if (!cJSON_IsObject(map))
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: must be an object", path);
    st = read_quantity(map, "cpu", false, NULL, &li->ratio_cpu, path, err);
    if (st == SNUG_OK)
        st = read_quantity(map, "memory", false, NULL, &li->ratio_mem, path, err);
    return st;
}

static snug_status read_item(const cJSON *it, lr_item *li, const char *where, snug_err *err)
{
    snug_status st;

    amounts_unset(&li->min);
    amounts_unset(&li->max);
    amounts_unset(&li->def);
    amounts_unset(&li->def_req);
    li->ratio_cpu = 0;
    li->ratio_mem = 0;
    if (!cJSON_IsObject(it))
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: must be an object", where);
    st = read_map(it, "min", false, &li->min, where, err);
    if (st == SNUG_OK)
        st = read_map(it, "max", true, &li->max, where, err);
    if (st == SNUG_OK)
        st = read_map(it, "default", false, &li->def, where, err);
    if (st == SNUG_OK)
        st = read_map(it, "defaultRequest", false, &li->def_req, where, err);
    if (st == SNUG_OK)
        st = read_ratios(it, li, where, err);
    return st;
}

/* The API server's defaulting of a Container item, per resource. */
static void default_one(int64_t min, int64_t max, int64_t *def, int64_t *def_req)
{
    if (*def == RES_UNSET)
        *def = max;
    if (*def_req == RES_UNSET)
        *def_req = *def;
    if (*def_req == RES_UNSET)
        *def_req = min;
}

static int64_t larger(int64_t a, int64_t b)
{
    if (a == RES_UNSET)
        return b;
    if (b == RES_UNSET)
        return a;
    return a > b ? a : b;
}

static int64_t smaller(int64_t a, int64_t b)
{
    if (a == RES_UNSET)
        return b;
    if (b == RES_UNSET)
        return a;
    return a < b ? a : b;
}

static double smaller_ratio(double a, double b)
{
    if (a <= 0)
        return b;
    if (b <= 0)
        return a;
    return a < b ? a : b;
}

static void fold_container(limitrange_bounds *b, lr_item *li)
{
    default_one(li->min.cpu_milli, li->max.cpu_milli, &li->def.cpu_milli, &li->def_req.cpu_milli);
    default_one(li->min.mem_bytes, li->max.mem_bytes, &li->def.mem_bytes, &li->def_req.mem_bytes);
    b->min.cpu_milli = larger(b->min.cpu_milli, li->min.cpu_milli);
    b->min.mem_bytes = larger(b->min.mem_bytes, li->min.mem_bytes);
    b->max.cpu_milli = smaller(b->max.cpu_milli, li->max.cpu_milli);
    b->max.mem_bytes = smaller(b->max.mem_bytes, li->max.mem_bytes);
    if (b->default_limit.cpu_milli == RES_UNSET)
        b->default_limit.cpu_milli = li->def.cpu_milli;
    if (b->default_limit.mem_bytes == RES_UNSET)
        b->default_limit.mem_bytes = li->def.mem_bytes;
    if (b->default_request.cpu_milli == RES_UNSET)
        b->default_request.cpu_milli = li->def_req.cpu_milli;
    if (b->default_request.mem_bytes == RES_UNSET)
        b->default_request.mem_bytes = li->def_req.mem_bytes;
    b->max_ratio_cpu = smaller_ratio(b->max_ratio_cpu, li->ratio_cpu);
    b->max_ratio_memory = smaller_ratio(b->max_ratio_memory, li->ratio_mem);
}

static void fold_pod(limitrange_bounds *b, const lr_item *li)
{
    b->pod_min.cpu_milli = larger(b->pod_min.cpu_milli, li->min.cpu_milli);
    b->pod_min.mem_bytes = larger(b->pod_min.mem_bytes, li->min.mem_bytes);
    b->pod_max.cpu_milli = smaller(b->pod_max.cpu_milli, li->max.cpu_milli);
    b->pod_max.mem_bytes = smaller(b->pod_max.mem_bytes, li->max.mem_bytes);
}

static snug_status check_kind(const cJSON *lr, const char *name, snug_err *err)
{
    const cJSON *kind = jsonfield_member(lr, "kind");

    if (!cJSON_IsObject(lr))
        return snug_err_set(err, SNUG_ERR_INVALID, "LimitRange: must be an object");
    if (kind != NULL && (!cJSON_IsString(kind) || strcmp(kind->valuestring, "LimitRange") != 0))
        return snug_err_set(err, SNUG_ERR_INVALID, "LimitRange \"%s\": kind: must be LimitRange",
                            name);
    return SNUG_OK;
}

snug_status limitrange_add(limitrange_bounds *b, const cJSON *limitrange, snug_err *err)
{
    const char *name = lr_name(limitrange);
    const cJSON *spec, *limits, *it;
    limitrange_bounds nb = *b;
    char where[96];
    size_t i = 0;
    snug_status st;

    st = check_kind(limitrange, name, err);
    if (st != SNUG_OK)
        return st;
    spec = jsonfield_member(limitrange, "spec");
    limits = jsonfield_member(spec, "limits");
    if (limits == NULL || cJSON_IsNull(limits))
        return SNUG_OK;
    if (!cJSON_IsArray(limits))
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "LimitRange \"%s\": spec.limits: must be an array", name);
    cJSON_ArrayForEach(it, limits)
    {
        const cJSON *type = jsonfield_member(it, "type");
        lr_item li;

        snprintf(where, sizeof(where), "spec.limits[%zu]", i++);
        st = read_item(it, &li, where, err);
        if (st != SNUG_OK)
            return snug_err_wrap(err, st, "LimitRange \"%s\"", name);
        if (!cJSON_IsString(type))
            continue;
        if (strcmp(type->valuestring, "Container") == 0)
            fold_container(&nb, &li);
        else if (strcmp(type->valuestring, "Pod") == 0)
            fold_pod(&nb, &li);
    }
    *b = nb;
    return SNUG_OK;
}

/* Bits for the resource list "cpu, memory" of a "request"/"limit" part. */
static unsigned part_bits(const char *list, size_t len, bool limit)
{
    unsigned bits = 0;
    size_t i = 0;

    while (i < len) {
        size_t j = i, n;

        while (j < len && list[j] != ',')
            j++;
        n = j - i;
        while (n > 0 && list[i] == ' ') {
            i++;
            n--;
        }
        while (n > 0 && list[i + n - 1] == ' ')
            n--;
        if (n == 3 && memcmp(list + i, "cpu", 3) == 0)
            bits |= limit ? LR_SET_CPU_LIMIT : LR_SET_CPU_REQUEST;
        else if (n == 6 && memcmp(list + i, "memory", 6) == 0)
            bits |= limit ? LR_SET_MEMORY_LIMIT : LR_SET_MEMORY_REQUEST;
        i = j + 1;
    }
    return bits;
}

static bool tail_is(const char *s, size_t len, const char *prefix, const char *name)
{
    size_t pl = strlen(prefix), nl = strlen(name);

    return len == pl + nl && memcmp(s, prefix, pl) == 0 && memcmp(s + pl, name, nl) == 0;
}

/* One part "<list> request for container <name>"; bits when it names `name`. */
static unsigned part_for(const char *s, size_t len, const char *name)
{
    static const struct {
        const char *sep;
        bool limit;
    } kinds[] = {{" request for ", false}, {" limit for ", true}};
    size_t k;

    for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        const char *hit = memmem(s, len, kinds[k].sep, strlen(kinds[k].sep));
        const char *tail;
        size_t tlen;

        if (hit == NULL)
            continue;
        tail = hit + strlen(kinds[k].sep);
        tlen = len - (size_t)(tail - s);
        while (tlen > 0 && tail[tlen - 1] == ' ')
            tlen--;
        if (tail_is(tail, tlen, "container ", name) || tail_is(tail, tlen, "init container ", name))
            return part_bits(s, (size_t)(hit - s), kinds[k].limit);
        return 0;
    }
    return 0;
}

unsigned limitrange_defaulted(const cJSON *pod, const char *container)
{
    const cJSON *md = jsonfield_member(pod, "metadata");
    const cJSON *ann = jsonfield_member(md, "annotations");
    const cJSON *val = jsonfield_member(ann, LR_ANNOTATION);
    const char *s, *end;
    unsigned bits = 0;

    if (container == NULL || container[0] == '\0' || !cJSON_IsString(val))
        return 0;
    s = val->valuestring;
    if (strncmp(s, LR_PREFIX, strlen(LR_PREFIX)) != 0)
        return 0;
    s += strlen(LR_PREFIX);
    while (*s != '\0') {
        end = strchr(s, ';');
        if (end == NULL)
            end = s + strlen(s);
        while (s < end && *s == ' ')
            s++;
        bits |= part_for(s, (size_t)(end - s), container);
        s = *end == ';' ? end + 1 : end;
    }
    return bits;
}

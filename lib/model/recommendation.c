/* recommendation.c -- the Recommendation model: parse (lenient about unknown
 * status fields, strict about the types of known ones), object names, and a
 * set indexed by workload.
 */
#include "model/recommendation.h"
#include "model/quantity_field.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/gosize.h"
#include "json/jsonfield.h"

#define REC_API_VERSION "snug.dev/v1alpha1"
#define REC_KIND        "Recommendation"
#define REC_NAME_MAX    253
#define REC_NAME_CUT    243
#define REC_HASH_BITS   36

typedef char fpath[JSONFIELD_PATH_MAX];

#define TRY(expr)                                                                                  \
    do {                                                                                           \
        snug_status t_st_ = (expr);                                                                \
        if (t_st_ != SNUG_OK)                                                                      \
            return t_st_;                                                                          \
    } while (0)

/* ---- parsing ----------------------------------------------------------- */

static snug_status dup_string(const char *s, char **out, const char *path, snug_err *err)
{
    if (s == NULL) {
        *out = NULL;
        return SNUG_OK;
    }
    *out = strdup(s);
    if (*out == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "%s: out of memory", path);
    return SNUG_OK;
}

/* A required, non-empty string member. */
static snug_status required_string(const cJSON *obj, const char *key, const char *path,
                                   const char **out, snug_err *err)
{
    fpath fp;

    *out = NULL;
    TRY(jsonfield_string(obj, key, path, out, err));
    if (*out == NULL || (*out)[0] == '\0') {
        jsonfield_path(fp, sizeof(fp), path, key);
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: required", fp);
    }
    return SNUG_OK;
}

/* {cpu, memory}: members given are set, others stay RES_UNSET; unknown
 * members (another resource) are ignored. */
static snug_status parse_amounts(const cJSON *obj, const char *key, const char *path,
                                 res_amounts *out, snug_err *err)
{
    const cJSON *o = NULL;
    fpath fp;

    TRY(jsonfield_section(obj, key, path, NULL, &o, fp, sizeof(fp), err));
    if (o == NULL)
        return SNUG_OK;
    TRY(quantity_field(o, "cpu", fp, QUANTITY_FIELD_MILLI, &out->cpu_milli, err));
    return quantity_field(o, "memory", fp, QUANTITY_FIELD_UNITS, &out->mem_bytes, err);
}

static snug_status parse_go(const cJSON *c, const char *path, rec_container *rc, snug_err *err)
{
    const cJSON *o = NULL;
    const char *s = NULL;
    snug_status st;
    int64_t bytes = 0;
    fpath fp;

    TRY(jsonfield_section(c, "go", path, NULL, &o, fp, sizeof(fp), err));
    if (o == NULL)
        return SNUG_OK;
    TRY(jsonfield_int64(o, "gomaxprocs", fp, 0, INT32_MAX, &rc->gomaxprocs, err));
    TRY(jsonfield_string(o, "gomemlimit", fp, &s, err));
    if (s == NULL)
        return SNUG_OK;
    st = gosize_parse(s, &bytes, err);
    if (st == SNUG_OK && bytes == GOSIZE_OFF)
        st = snug_err_set(err, SNUG_ERR_INVALID, "\"off\" is not a memory size");
    if (st != SNUG_OK) {
        snug_err_prefix(err, "%s.gomemlimit", fp);
        return st == SNUG_ERR_NOMEM ? st : SNUG_ERR_INVALID;
    }
    rc->gomemlimit_bytes = bytes;
    return SNUG_OK;
}

static snug_status parse_observed_cpu(const cJSON *obs, const char *path, rec_observed *o,
                                      snug_err *err)
{
    const cJSON *cpu = NULL;
    fpath fp;

    TRY(jsonfield_section(obs, "cpu", path, NULL, &cpu, fp, sizeof(fp), err));
    if (cpu == NULL)
        return SNUG_OK;
    TRY(quantity_field(cpu, "p50", fp, QUANTITY_FIELD_MILLI, &o->cpu_p50_milli, err));
    TRY(quantity_field(cpu, "p90", fp, QUANTITY_FIELD_MILLI, &o->cpu_p90_milli, err));
    TRY(quantity_field(cpu, "p99", fp, QUANTITY_FIELD_MILLI, &o->cpu_p99_milli, err));
    return quantity_field(cpu, "max", fp, QUANTITY_FIELD_MILLI, &o->cpu_max_milli, err);
}

static snug_status parse_observed(const cJSON *c, const char *path, rec_observed *o, snug_err *err)
{
    const cJSON *obs = NULL;
    fpath fp;

    TRY(jsonfield_section(c, "observed", path, NULL, &obs, fp, sizeof(fp), err));
    if (obs == NULL)
        return SNUG_OK;
    TRY(parse_observed_cpu(obs, fp, o, err));
    TRY(quantity_field(obs, "memoryPeak", fp, QUANTITY_FIELD_UNITS, &o->memory_peak_bytes, err));
    TRY(jsonfield_int64(obs, "oomKills", fp, 0, INT64_MAX, &o->oom_kills, err));
    TRY(jsonfield_double(obs, "throttledRatio", fp, 0.0, false, 1.0, false, &o->throttled_ratio,
                         err));
    TRY(jsonfield_int64(obs, "samples", fp, 0, INT64_MAX, &o->samples, err));
    TRY(jsonfield_int64(obs, "historySeconds", fp, 0, INT64_MAX, &o->history_seconds, err));
    return jsonfield_int64(obs, "startupSeconds", fp, 0, INT64_MAX, &o->startup_seconds, err);
}

static void container_init(rec_container *rc)
{
    const res_amounts unset = {RES_UNSET, RES_UNSET};

    memset(rc, 0, sizeof(*rc));
    rc->target = unset;
    rc->lower_bound = unset;
    rc->upper_bound = unset;
    rc->limits = unset;
    rc->observed.cpu_p50_milli = RES_UNSET;
    rc->observed.cpu_p90_milli = RES_UNSET;
    rc->observed.cpu_p99_milli = RES_UNSET;
    rc->observed.cpu_max_milli = RES_UNSET;
    rc->observed.memory_peak_bytes = RES_UNSET;
}

static snug_status parse_container(const cJSON *c, const char *path, rec_container *rc,
                                   snug_err *err)
{
    const char *name = NULL, *runtime = NULL;

    if (!cJSON_IsObject(c))
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: must be an object, got %s", path,
                            jsonfield_type_name(c));
    TRY(required_string(c, "name", path, &name, err));
    TRY(jsonfield_string(c, "runtime", path, &runtime, err));
    rc->is_go = runtime != NULL && strcmp(runtime, "go") == 0;
    TRY(parse_amounts(c, "target", path, &rc->target, err));
    TRY(parse_amounts(c, "lowerBound", path, &rc->lower_bound, err));
    TRY(parse_amounts(c, "upperBound", path, &rc->upper_bound, err));
    TRY(parse_amounts(c, "limits", path, &rc->limits, err));
    TRY(parse_go(c, path, rc, err));
    TRY(parse_observed(c, path, &rc->observed, err));
    TRY(jsonfield_double(c, "confidence", path, 0.0, false, 1.0, false, &rc->confidence, err));
    return dup_string(name, &rc->name, path, err);
}

static snug_status parse_containers(const cJSON *status, recommendation *r, snug_err *err)
{
    const cJSON *arr = NULL, *c;
    size_t n, i = 0, j;
    fpath ip;

    TRY(jsonfield_array(status, "containers", "status", &arr, err));
    if (arr == NULL || cJSON_GetArraySize(arr) == 0)
        return SNUG_OK;
    n = (size_t)cJSON_GetArraySize(arr);
    r->containers = calloc(n, sizeof(*r->containers));
    if (r->containers == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "status.containers: out of memory");
    cJSON_ArrayForEach(c, arr)
    {
        jsonfield_index_path(ip, sizeof(ip), "status.containers", i);
        container_init(&r->containers[i]);
        r->n_containers = i + 1;
        TRY(parse_container(c, ip, &r->containers[i], err));
        for (j = 0; j < i; j++)
            if (strcmp(r->containers[j].name, r->containers[i].name) == 0)
                return snug_err_set(err, SNUG_ERR_INVALID,
                                    "%s.name: duplicate container \"%s\" (first at "
                                    "status.containers[%zu])",
                                    ip, r->containers[i].name, j);
        i++;
    }
    return SNUG_OK;
}

static snug_status parse_status(const cJSON *obj, recommendation *r, snug_err *err)
{
    const cJSON *status = NULL, *conditions = NULL;
    const char *pol = NULL, *updated = NULL;

    TRY(jsonfield_object(obj, "status", "", &status, err));
    if (status == NULL)
        return SNUG_OK;
    TRY(jsonfield_string(status, "policy", "status", &pol, err));
    TRY(jsonfield_string(status, "lastUpdated", "status", &updated, err));
    TRY(jsonfield_array(status, "conditions", "status", &conditions, err));
    TRY(dup_string(pol, &r->policy, "status.policy", err));
    TRY(dup_string(updated, &r->last_updated, "status.lastUpdated", err));
    return parse_containers(status, r, err);
}

static snug_status parse_target(const cJSON *obj, recommendation *r, snug_err *err)
{
    const cJSON *spec = NULL, *ref = NULL;
    const char *api = NULL, *kind = NULL, *name = NULL;

    TRY(jsonfield_object(obj, "spec", "", &spec, err));
    TRY(jsonfield_object(spec, "targetRef", "spec", &ref, err));
    if (ref == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "spec.targetRef: required");
    TRY(jsonfield_string(ref, "apiVersion", "spec.targetRef", &api, err));
    TRY(required_string(ref, "kind", "spec.targetRef", &kind, err));
    TRY(required_string(ref, "name", "spec.targetRef", &name, err));
    TRY(dup_string(api, &r->target_api_version, "spec.targetRef.apiVersion", err));
    TRY(dup_string(kind, &r->target_kind, "spec.targetRef.kind", err));
    return dup_string(name, &r->target_name, "spec.targetRef.name", err);
}

static snug_status parse_header(const cJSON *obj, const char *default_namespace, recommendation *r,
                                snug_err *err)
{
    const char *api = NULL, *kind = NULL, *name = NULL, *ns = NULL;
    const cJSON *md = NULL;

    TRY(jsonfield_string(obj, "kind", "", &kind, err));
    TRY(jsonfield_string(obj, "apiVersion", "", &api, err));
    if (kind != NULL && strcmp(kind, REC_KIND) != 0)
        return snug_err_set(err, SNUG_ERR_INVALID, "kind: must be %s, got \"%s\"", REC_KIND, kind);
    if (api != NULL && strcmp(api, REC_API_VERSION) != 0)
        return snug_err_set(err, SNUG_ERR_INVALID, "apiVersion: must be %s, got \"%s\"",
                            REC_API_VERSION, api);
    TRY(jsonfield_object(obj, "metadata", "", &md, err));
    if (md == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "metadata.name: required");
    TRY(required_string(md, "name", "metadata", &name, err));
    TRY(jsonfield_string(md, "namespace", "metadata", &ns, err));
    if (ns == NULL || ns[0] == '\0')
        ns = default_namespace;
    if (ns == NULL || ns[0] == '\0')
        return snug_err_set(err, SNUG_ERR_INVALID, "metadata.namespace: required");
    TRY(dup_string(name, &r->name, "metadata.name", err));
    return dup_string(ns, &r->namespace, "metadata.namespace", err);
}

snug_status recommendation_parse(const cJSON *obj, const char *default_namespace,
                                 recommendation **out, snug_err *err)
{
    recommendation *r = NULL;
    snug_status st;

    *out = NULL;
    if (!cJSON_IsObject(obj))
        return snug_err_set(err, SNUG_ERR_INVALID, "Recommendation: must be an object, got %s",
                            jsonfield_type_name(obj));
    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "Recommendation: out of memory");
    st = parse_header(obj, default_namespace, r, err);
    if (st == SNUG_OK)
        st = parse_target(obj, r, err);
    if (st == SNUG_OK)
        st = parse_status(obj, r, err);
    if (st != SNUG_OK) {
        if (r->name != NULL && r->namespace != NULL)
            snug_err_prefix(err, "Recommendation \"%s/%s\"", r->namespace, r->name);
        else
            snug_err_prefix(err, "Recommendation");
        recommendation_free(r);
        return st;
    }
    *out = r;
    return SNUG_OK;
}

void recommendation_free(recommendation *r)
{
    size_t i;

    if (r == NULL)
        return;
    free(r->namespace);
    free(r->name);
    free(r->target_api_version);
    free(r->target_kind);
    free(r->target_name);
    free(r->policy);
    free(r->last_updated);
    for (i = 0; i < r->n_containers; i++)
        free(r->containers[i].name);
    free(r->containers);
    free(r);
}

const rec_container *recommendation_container(const recommendation *r, const char *name)
{
    size_t i;

    if (r == NULL || name == NULL)
        return NULL;
    for (i = 0; i < r->n_containers; i++)
        if (strcmp(r->containers[i].name, name) == 0)
            return &r->containers[i];
    return NULL;
}

/* ---- names ------------------------------------------------------------- */

#define FNV_OFFSET 1469598103934665603ULL
#define FNV_PRIME  1099511628211ULL

static uint64_t fnv_lower(uint64_t h, const char *s)
{
    for (; *s != '\0'; s++) {
        h ^= (unsigned char)tolower((unsigned char)*s);
        h *= FNV_PRIME;
    }
    return h;
}

static uint64_t fnv_bytes(uint64_t h, const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= FNV_PRIME;
    }
    return h;
}

/* Append lower-cased s to buf[*len..], never past `limit` characters. */
static void append_lower(char *buf, size_t *len, size_t limit, const char *s)
{
    for (; *s != '\0' && *len < limit; s++)
        buf[(*len)++] = (char)tolower((unsigned char)*s);
}

void recommendation_name(const char *kind, const char *name, char *buf, size_t cap)
{
    char full[REC_NAME_MAX + 1];
    size_t len = 0, total;
    uint64_t h;

    if (buf == NULL || cap == 0)
        return;
    kind = kind ? kind : "";
    name = name ? name : "";
    total = strlen(kind) + 1 + strlen(name);
    append_lower(full, &len, REC_NAME_MAX, kind);
    if (len < REC_NAME_MAX)
        full[len++] = '-';
    append_lower(full, &len, REC_NAME_MAX, name);
    if (total > REC_NAME_MAX) {
        h = fnv_lower(FNV_OFFSET, kind);
        h = fnv_bytes(h, "-", 1);
        h = fnv_lower(h, name);
        len = REC_NAME_CUT;
        /* A name must not end a DNS label with '-' or '.' before the suffix. */
        while (len > 0 && (full[len - 1] == '-' || full[len - 1] == '.'))
            len--;
        len += (size_t)snprintf(full + len, sizeof(full) - len, "-%09llx",
                                (unsigned long long)(h & ((1ULL << REC_HASH_BITS) - 1)));
    }
    full[len] = '\0';
    snprintf(buf, cap, "%s", full);
}

/* ---- the set ----------------------------------------------------------- */

typedef struct rec_entry {
    recommendation *r;
    uint64_t name_hash, target_hash;
    struct rec_entry *name_next, *target_next;
    bool canonical; /* r->name is recommendation_name(target kind, target name) */
} rec_entry;

struct rec_set {
    rec_entry **by_name, **by_target;
    size_t mask; /* buckets - 1; buckets is a power of two */
    size_t count;
};

#define REC_SET_MIN_BUCKETS 64

static uint64_t hash_name(const char *ns, const char *name)
{
    uint64_t h = fnv_bytes(FNV_OFFSET, ns, strlen(ns) + 1);

    return fnv_bytes(h, name, strlen(name));
}

static uint64_t hash_target(const char *ns, const char *kind, const char *name)
{
    uint64_t h = fnv_bytes(FNV_OFFSET, ns, strlen(ns) + 1);

    h = fnv_lower(h, kind);
    h = fnv_bytes(h, "", 1);
    return fnv_bytes(h, name, strlen(name));
}

rec_set *rec_set_new(void)
{
    rec_set *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return NULL;
    s->by_name = calloc(REC_SET_MIN_BUCKETS, sizeof(*s->by_name));
    s->by_target = calloc(REC_SET_MIN_BUCKETS, sizeof(*s->by_target));
    if (s->by_name == NULL || s->by_target == NULL) {
        free(s->by_name);
        free(s->by_target);
        free(s);
        return NULL;
    }
    s->mask = REC_SET_MIN_BUCKETS - 1;
    return s;
}

void rec_set_free(rec_set *s)
{
    rec_entry *e, *next;
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i <= s->mask; i++) {
        for (e = s->by_name[i]; e != NULL; e = next) {
            next = e->name_next;
            recommendation_free(e->r);
            free(e);
        }
    }
    free(s->by_name);
    free(s->by_target);
    free(s);
}

size_t rec_set_count(const rec_set *s)
{
    return s ? s->count : 0;
}

/* Double the buckets when the load passes 3/4. A failed allocation keeps the
 * old table: chains just get longer, nothing is lost. */
static void maybe_grow(rec_set *s)
{
    size_t nb = (s->mask + 1) * 2, i;
    rec_entry **bn, **bt, *e, *next;

    if (s->count < (s->mask + 1) / 4 * 3 || nb > SIZE_MAX / sizeof(*bn))
        return;
    bn = calloc(nb, sizeof(*bn));
    bt = calloc(nb, sizeof(*bt));
    if (bn == NULL || bt == NULL) {
        free(bn);
        free(bt);
        return;
    }
    for (i = 0; i <= s->mask; i++) {
        for (e = s->by_name[i]; e != NULL; e = next) {
            next = e->name_next;
            e->name_next = bn[e->name_hash & (nb - 1)];
            bn[e->name_hash & (nb - 1)] = e;
        }
        for (e = s->by_target[i]; e != NULL; e = next) {
            next = e->target_next;
            e->target_next = bt[e->target_hash & (nb - 1)];
            bt[e->target_hash & (nb - 1)] = e;
        }
    }
    free(s->by_name);
    free(s->by_target);
    s->by_name = bn;
    s->by_target = bt;
    s->mask = nb - 1;
}

static rec_entry *find_by_name(const rec_set *s, const char *ns, const char *name)
{
    uint64_t h = hash_name(ns, name);
    rec_entry *e;

    for (e = s->by_name[h & s->mask]; e != NULL; e = e->name_next)
        if (e->name_hash == h && strcmp(e->r->namespace, ns) == 0 && strcmp(e->r->name, name) == 0)
            return e;
    return NULL;
}

static void unlink_target(rec_set *s, rec_entry *e)
{
    rec_entry **pp = &s->by_target[e->target_hash & s->mask];

    for (; *pp != NULL; pp = &(*pp)->target_next) {
        if (*pp == e) {
            *pp = e->target_next;
            return;
        }
    }
}

static void unlink_name(rec_set *s, rec_entry *e)
{
    rec_entry **pp = &s->by_name[e->name_hash & s->mask];

    for (; *pp != NULL; pp = &(*pp)->name_next) {
        if (*pp == e) {
            *pp = e->name_next;
            return;
        }
    }
}

static void link_target(rec_set *s, rec_entry *e)
{
    char canon[REC_NAME_MAX + 1];
    const recommendation *r = e->r;

    recommendation_name(r->target_kind, r->target_name, canon, sizeof(canon));
    e->canonical = strcmp(canon, r->name) == 0;
    e->target_hash = hash_target(r->namespace, r->target_kind, r->target_name);
    e->target_next = s->by_target[e->target_hash & s->mask];
    s->by_target[e->target_hash & s->mask] = e;
}

snug_status rec_set_add(rec_set *s, recommendation *r)
{
    rec_entry *e;

    if (s == NULL || r == NULL || r->namespace == NULL || r->name == NULL ||
        r->target_kind == NULL || r->target_name == NULL)
        return SNUG_ERR_INVALID;
    e = find_by_name(s, r->namespace, r->name);
    if (e != NULL && e->r == r)
        return SNUG_OK; /* already there */
    if (e != NULL) {
        unlink_target(s, e);
        recommendation_free(e->r);
        e->r = r;
        link_target(s, e);
        return SNUG_OK;
    }
    maybe_grow(s);
    e = calloc(1, sizeof(*e));
    if (e == NULL)
        return SNUG_ERR_NOMEM;
    e->r = r;
    e->name_hash = hash_name(r->namespace, r->name);
    e->name_next = s->by_name[e->name_hash & s->mask];
    s->by_name[e->name_hash & s->mask] = e;
    link_target(s, e);
    s->count++;
    return SNUG_OK;
}

snug_status rec_set_remove(rec_set *s, const char *ns, const char *name)
{
    rec_entry *e;

    if (s == NULL || ns == NULL || name == NULL)
        return SNUG_ERR_NOT_FOUND;
    e = find_by_name(s, ns, name);
    if (e == NULL)
        return SNUG_ERR_NOT_FOUND;
    unlink_name(s, e);
    unlink_target(s, e);
    recommendation_free(e->r);
    free(e);
    s->count--;
    return SNUG_OK;
}

const recommendation *rec_set_get(const rec_set *s, const char *ns, const char *name)
{
    const rec_entry *e;

    if (s == NULL || ns == NULL || name == NULL)
        return NULL;
    e = find_by_name(s, ns, name);
    return e ? e->r : NULL;
}

const recommendation *rec_set_find(const rec_set *s, const char *ns, const char *kind,
                                   const char *name)
{
    const rec_entry *e, *found = NULL;
    uint64_t h;

    if (s == NULL || ns == NULL || kind == NULL || name == NULL)
        return NULL;
    h = hash_target(ns, kind, name);
    for (e = s->by_target[h & s->mask]; e != NULL; e = e->target_next) {
        const recommendation *r = e->r;
        if (e->target_hash != h || strcmp(r->namespace, ns) != 0 ||
            strcasecmp(r->target_kind, kind) != 0 || strcmp(r->target_name, name) != 0)
            continue;
        if (e->canonical)
            return r;
        if (found == NULL)
            found = e;
    }
    return found ? found->r : NULL;
}

/* ---- loading ----------------------------------------------------------- */

/* Where rec_set_load puts what it parses. */
typedef struct rec_load {
    rec_set *set;
    const char *default_namespace;
} rec_load;

static snug_status load_one(const cJSON *obj, void *ud, snug_err *err)
{
    rec_load *l = ud;
    rec_set *s = l->set;
    recommendation *r = NULL;
    snug_status st;

    st = recommendation_parse(obj, l->default_namespace, &r, err);
    if (st != SNUG_OK)
        return st;
    if (rec_set_get(s, r->namespace, r->name) != NULL) {
        st = snug_err_set(err, SNUG_ERR_INVALID,
                          "Recommendation \"%s/%s\" is defined more than once", r->namespace,
                          r->name);
        recommendation_free(r);
        return st;
    }
    st = rec_set_add(s, r);
    if (st != SNUG_OK) {
        recommendation_free(r);
        return snug_err_set(err, st, "out of memory");
    }
    return SNUG_OK;
}

snug_status rec_set_load(const cJSON *docs, const char *default_namespace, rec_set **out,
                         snug_err *err)
{
    rec_load l = {rec_set_new(), default_namespace};
    snug_status st;

    *out = NULL;
    if (l.set == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    st = jsonfield_each_doc(docs, "recommendation documents", "RecommendationList", load_one, &l,
                            err);
    if (st != SNUG_OK) {
        rec_set_free(l.set);
        return st;
    }
    *out = l.set;
    return SNUG_OK;
}

/* checkpoint_codec.c -- names, keys, values, shards and objects of the
 * recommender checkpoint in ConfigMaps (see checkpoint_codec.h). */
#include "controller/checkpoint_codec.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HASH_PREFIX    "h."
#define HASH_HEX       16
#define SAVED_MAX      1e11 /* year 5138: anything later is corrupt */
#define VALUE_JSON_MAX (2u << 20)

/* The workload kinds a plain key may name, as the API spells them; the key
 * holds them lower-case. Any other kind gets a hashed key. */
static const char *const known_kinds[] = {
    "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController",
    "Job",        "CronJob",     "Pod",
};

void ckpt_entry_clear(ckpt_entry *e)
{
    free(e->state);
    memset(e, 0, sizeof(*e));
}

static bool is_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool ckpt_ns_valid(const char *ns)
{
    size_t i, n;

    if (ns == NULL)
        return false;
    n = strlen(ns);
    if (n == 0 || n > CKPT_NS_MAX || !is_lower_alnum(ns[0]) || !is_lower_alnum(ns[n - 1]))
        return false;
    for (i = 0; i < n; i++) {
        if (!is_lower_alnum(ns[i]) && ns[i] != '-')
            return false;
    }
    return true;
}

snug_status ckpt_configmap_name(const char *ns, size_t shard, char *out, snug_err *err)
{
    int n;

    if (!ckpt_ns_valid(ns))
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "checkpoint of namespace \"%s\": not a namespace name", ns ? ns : "");
    if (shard == 0)
        n = snprintf(out, CKPT_CM_NAME_MAX + 1, "%s%s", CKPT_NAME_PREFIX, ns);
    else
        n = snprintf(out, CKPT_CM_NAME_MAX + 1, "%s%s.%zu", CKPT_NAME_PREFIX, ns, shard + 1);
    if (n < 0 || n > CKPT_CM_NAME_MAX)
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "checkpoint of namespace %s: shard %zu: name too long", ns, shard + 1);
    return SNUG_OK;
}

/* The known kind (as the API spells it) that `kind` (len bytes) names,
 * spelled exactly so, or all lower-case when `lower`; NULL when none. */
static const char *kind_lookup(const char *kind, size_t len, bool lower)
{
    size_t i, j;

    for (i = 0; i < sizeof(known_kinds) / sizeof(known_kinds[0]); i++) {
        const char *k = known_kinds[i];

        if (strlen(k) != len)
            continue;
        for (j = 0; j < len; j++) {
            char want = lower ? (char)(k[j] | 0x20) : k[j];

            if (kind[j] != want)
                break;
        }
        if (j == len)
            return k;
    }
    return NULL;
}

static bool chars_ok(const char *s, bool dot_ok)
{
    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++) {
        char c = *s;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || (dot_ok && c == '.');

        if (!ok)
            return false;
    }
    return true;
}

/* FNV-1a 64 of kind, name and container joined by 0x1f: part of the
 * stored format, so written out here rather than borrowed. */
static uint64_t identity_hash(const char *kind, const char *name, const char *container)
{
    const char *parts[3] = {kind, name, container};
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t i;
    const char *p;

    for (i = 0; i < 3; i++) {
        if (i > 0)
            h = (h ^ 0x1fu) * 0x100000001b3ULL;
        for (p = parts[i]; *p != '\0'; p++)
            h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
    }
    return h;
}

static bool field_ok(const char *v, size_t max)
{
    return v != NULL && v[0] != '\0' && strlen(v) < max;
}

snug_status ckpt_key_build(const char *kind, const char *name, const char *container, char *out,
                           bool *hashed, snug_err *err)
{
    const char *k;
    size_t klen, nlen, clen;

    if (!field_ok(kind, WORKLOAD_KIND_MAX) || !field_ok(name, WORKLOAD_NAME_MAX) ||
        !field_ok(container, WORKLOAD_NAME_MAX))
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "checkpoint key of %s/%s container %s: empty or too long",
                            kind ? kind : "", name ? name : "", container ? container : "");
    klen = strlen(kind);
    nlen = strlen(name);
    clen = strlen(container);
    k = kind_lookup(kind, klen, false);
    *hashed = k == NULL || !chars_ok(name, true) || !chars_ok(container, false) ||
              klen + nlen + clen + 2 > CKPT_KEY_MAX;
    if (*hashed) {
        snprintf(out, CKPT_KEY_MAX + 1, "%s%016llx", HASH_PREFIX,
                 (unsigned long long)identity_hash(kind, name, container));
        return SNUG_OK;
    }
    for (size_t i = 0; i < klen; i++)
        out[i] = (char)(k[i] | 0x20);
    snprintf(out + klen, CKPT_KEY_MAX + 1 - klen, ".%s.%s", name, container);
    return SNUG_OK;
}

static bool saved_ok(double t)
{
    return isfinite(t) && t >= 0 && t < SAVED_MAX;
}

static snug_status value_json(dynbuf *out, const char *kind, const char *name,
                              const char *container, double saved, const char *state, snug_err *err)
{
    cJSON *o = cJSON_CreateObject();
    char *text = NULL;
    snug_status st = SNUG_ERR_NOMEM;

    if (o == NULL || !cJSON_AddNumberToObject(o, "saved", floor(saved)) ||
        !cJSON_AddStringToObject(o, "kind", kind) || !cJSON_AddStringToObject(o, "name", name) ||
        !cJSON_AddStringToObject(o, "container", container) ||
        !cJSON_AddStringToObject(o, "state", state))
        goto out;
    text = cJSON_PrintUnformatted(o);
    if (text == NULL)
        goto out;
    st = dynbuf_addstr(out, text);
out:
    cJSON_Delete(o);
    free(text);
    if (st != SNUG_OK)
        return snug_err_set(err, st, "checkpoint value of %s/%s container %s: %s", kind, name,
                            container, snug_status_str(st));
    return SNUG_OK;
}

snug_status ckpt_value_encode(dynbuf *out, bool hashed, const char *kind, const char *name,
                              const char *container, double saved, const char *state, snug_err *err)
{
    snug_status st;

    if (!saved_ok(saved))
        return snug_err_set(err, SNUG_ERR_INVALID, "checkpoint time %g: not a unix time", saved);
    if (hashed)
        return value_json(out, kind, name, container, saved, state, err);
    st = dynbuf_printf(out, "%.0f %s", floor(saved), state);
    if (st != SNUG_OK)
        return snug_err_set(err, st, "checkpoint value of %s/%s container %s: %s", kind, name,
                            container, snug_status_str(st));
    return SNUG_OK;
}

/* A whole number of seconds in [0, SAVED_MAX) from digits p..end. */
static bool parse_saved(const char *p, const char *end, double *out)
{
    double t = 0;

    if (p == end || end - p > 11)
        return false;
    for (; p < end; p++) {
        if (*p < '0' || *p > '9')
            return false;
        t = t * 10 + (*p - '0');
    }
    *out = t;
    return saved_ok(t);
}

static snug_status set_state(ckpt_entry *e, const char *s, size_t n, const char *key, snug_err *err)
{
    if (n == 0)
        return snug_err_set(err, SNUG_ERR_PARSE, "checkpoint entry %s: no state", key);
    e->state = malloc(n + 1);
    if (e->state == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "checkpoint entry %s: out of memory", key);
    memcpy(e->state, s, n);
    e->state[n] = '\0';
    e->state_len = n;
    return SNUG_OK;
}

/* "<kind>.<name>.<container>" and "<saved> <state>". */
static snug_status decode_plain(const char *key, const char *value, size_t len, ckpt_entry *e,
                                snug_err *err)
{
    const char *dot1 = strchr(key, '.');
    const char *dot2 = strrchr(key, '.');
    const char *kind = dot1 ? kind_lookup(key, (size_t)(dot1 - key), true) : NULL;
    const char *sp = memchr(value, ' ', len);
    size_t nlen;

    if (kind == NULL || dot2 == dot1 || dot2 == dot1 + 1 || dot2[1] == '\0' ||
        !chars_ok(dot2 + 1, false))
        return snug_err_set(err, SNUG_ERR_PARSE,
                            "checkpoint entry %s: not <kind>.<name>.<container>", key);
    nlen = (size_t)(dot2 - dot1 - 1);
    if (strlen(key) > CKPT_KEY_MAX)
        return snug_err_set(err, SNUG_ERR_PARSE, "checkpoint entry %s: key too long", key);
    snprintf(e->kind, sizeof(e->kind), "%s", kind);
    memcpy(e->name, dot1 + 1, nlen);
    e->name[nlen] = '\0';
    if (!chars_ok(e->name, true)) /* what ckpt_key_build would have hashed */
        return snug_err_set(err, SNUG_ERR_PARSE,
                            "checkpoint entry %s: not <kind>.<name>.<container>", key);
    snprintf(e->container, sizeof(e->container), "%s", dot2 + 1);
    if (sp == NULL || !parse_saved(value, sp, &e->saved) ||
        memchr(sp + 1, ' ', len - (size_t)(sp + 1 - value)))
        return snug_err_set(err, SNUG_ERR_PARSE,
                            "checkpoint entry %s: value is not \"<unix time> <state>\"", key);
    return set_state(e, sp + 1, len - (size_t)(sp + 1 - value), key, err);
}

static bool json_field(const cJSON *o, const char *name, char *out, size_t cap)
{
    const char *v = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));

    if (v == NULL || v[0] == '\0' || strlen(v) >= cap)
        return false;
    snprintf(out, cap, "%s", v);
    return true;
}

/* "h.<hex>" and the JSON value carrying the identity. */
static snug_status decode_hashed(const char *key, const char *value, size_t len, ckpt_entry *e,
                                 snug_err *err)
{
    cJSON *o = len < VALUE_JSON_MAX ? cJSON_ParseWithLength(value, len) : NULL;
    const cJSON *saved = cJSON_GetObjectItemCaseSensitive(o, "saved");
    const char *state = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "state"));
    char want[CKPT_KEY_MAX + 1];
    bool hashed = false;
    snug_status st = SNUG_ERR_PARSE;

    if (!cJSON_IsObject(o) || !cJSON_IsNumber(saved) || state == NULL ||
        !json_field(o, "kind", e->kind, sizeof(e->kind)) ||
        !json_field(o, "name", e->name, sizeof(e->name)) ||
        !json_field(o, "container", e->container, sizeof(e->container)) ||
        !saved_ok(saved->valuedouble) || saved->valuedouble != floor(saved->valuedouble)) {
        snug_err_set(err, st,
                     "checkpoint entry %s: value is not {saved, kind, name, container, state}",
                     key);
        goto out;
    }
    e->saved = saved->valuedouble;
    st = ckpt_key_build(e->kind, e->name, e->container, want, &hashed, err);
    if (st == SNUG_OK && strcmp(want, key) != 0) {
        st = snug_err_set(err, SNUG_ERR_INVALID,
                          "checkpoint entry %s: holds %s/%s container %s, whose key is %s", key,
                          e->kind, e->name, e->container, want);
    }
    if (st == SNUG_OK)
        st = set_state(e, state, strlen(state), key, err);
out:
    cJSON_Delete(o);
    return st;
}

static bool is_hashed_key(const char *key)
{
    size_t i, plen = strlen(HASH_PREFIX);

    if (strncmp(key, HASH_PREFIX, plen) != 0 || strlen(key) != plen + HASH_HEX)
        return false;
    for (i = plen; i < plen + HASH_HEX; i++) {
        if (!((key[i] >= '0' && key[i] <= '9') || (key[i] >= 'a' && key[i] <= 'f')))
            return false;
    }
    return true;
}

snug_status ckpt_value_decode(const char *key, const char *value, size_t len, ckpt_entry *e,
                              snug_err *err)
{
    ckpt_entry_clear(e);
    if (key == NULL || value == NULL)
        return snug_err_set(err, SNUG_ERR_PARSE, "checkpoint entry: no key or value");
    if (memchr(value, '\0', len) != NULL)
        return snug_err_set(err, SNUG_ERR_PARSE, "checkpoint entry %s: NUL byte in the value", key);
    if (is_hashed_key(key))
        return decode_hashed(key, value, len, e, err);
    return decode_plain(key, value, len, e, err);
}

size_t ckpt_entry_cost(size_t key_len, size_t value_len)
{
    return key_len + value_len + CKPT_ENTRY_OVERHEAD;
}

size_t ckpt_shard_plan(const size_t *cost, size_t n, size_t budget, size_t *shard_of)
{
    size_t i, cur = 0, used = 0;

    for (i = 0; i < n; i++) {
        if (used > 0 && (used >= budget || cost[i] > budget - used)) {
            cur++;
            used = 0;
        }
        shard_of[i] = cur;
        used = cost[i] > SIZE_MAX - used ? SIZE_MAX : used + cost[i];
    }
    return n > 0 ? cur + 1 : 0;
}

void ckpt_time_format(double t, char *out)
{
    time_t secs = saved_ok(t) ? (time_t)t : 0;
    struct tm tm;

    if (gmtime_r(&secs, &tm) == NULL ||
        strftime(out, CKPT_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, CKPT_TIME_LEN, "1970-01-01T00:00:00Z");
}

static bool add_metadata(cJSON *cm, const char *ctl_ns, const char *ns, size_t shard,
                         size_t nshards, double saved)
{
    char name[CKPT_CM_NAME_MAX + 1], when[CKPT_TIME_LEN], of[48];
    cJSON *md = cJSON_AddObjectToObject(cm, "metadata");
    cJSON *labels = md ? cJSON_AddObjectToObject(md, "labels") : NULL;
    cJSON *ann = md ? cJSON_AddObjectToObject(md, "annotations") : NULL;

    if (labels == NULL || ann == NULL || ckpt_configmap_name(ns, shard, name, NULL) != SNUG_OK)
        return false;
    ckpt_time_format(saved, when);
    snprintf(of, sizeof(of), "%zu/%zu", shard + 1, nshards);
    return cJSON_AddStringToObject(md, "name", name) &&
           cJSON_AddStringToObject(md, "namespace", ctl_ns) &&
           cJSON_AddStringToObject(labels, CKPT_LABEL_MANAGED_BY, CKPT_MANAGER) &&
           cJSON_AddStringToObject(labels, CKPT_LABEL_NAMESPACE, ns) &&
           cJSON_AddStringToObject(ann, CKPT_ANN_TIME, when) &&
           cJSON_AddStringToObject(ann, CKPT_ANN_VERSION, CKPT_FORMAT_VERSION) &&
           cJSON_AddStringToObject(ann, CKPT_ANN_SHARD, of);
}

cJSON *ckpt_configmap_build(const char *ctl_ns, const char *ns, size_t shard, size_t nshards,
                            double saved, const char *const *keys, const char *const *values,
                            size_t n)
{
    cJSON *cm = cJSON_CreateObject();
    cJSON *data;
    size_t i;

    if (cm == NULL || !cJSON_AddStringToObject(cm, "apiVersion", "v1") ||
        !cJSON_AddStringToObject(cm, "kind", "ConfigMap") ||
        !add_metadata(cm, ctl_ns, ns, shard, nshards, saved))
        goto fail;
    data = cJSON_AddObjectToObject(cm, "data");
    if (data == NULL)
        goto fail;
    for (i = 0; i < n; i++) {
        if (!cJSON_AddStringToObject(data, keys[i], values[i]))
            goto fail;
    }
    return cm;
fail:
    cJSON_Delete(cm);
    return NULL;
}

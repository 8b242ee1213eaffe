/* selector.c -- Kubernetes label selectors and label syntax. */
#include "model/selector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/jsonfield.h"

#define SEL_NAME_MAX   63
#define SEL_PREFIX_MAX 253
#define SEL_SHOW_MAX   100 /* longest piece of input quoted in a message */
#define SEL_OPERATORS  "In, NotIn, Exists, DoesNotExist"

typedef enum sel_op { SEL_IN, SEL_NOT_IN, SEL_EXISTS, SEL_DOES_NOT_EXIST } sel_op;

typedef struct sel_req {
    char *key;
    sel_op op;
    char **values;
    size_t nvalues;
} sel_req;

struct label_selector {
    sel_req *reqs;
    size_t n, cap;
};

/* ---------------------------------------------------------------------------
 * Label syntax (k8s.io/apimachinery/pkg/util/validation).
 */
static bool sel_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] over s[0..n). */
static bool sel_name_chars(const char *s, size_t n)
{
    size_t i;

    if (n == 0 || !sel_alnum(s[0]) || !sel_alnum(s[n - 1]))
        return false;
    for (i = 1; i + 1 < n; i++)
        if (!sel_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
            return false;
    return true;
}

static bool sel_lower_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* A DNS-1123 subdomain: dot-separated labels of [a-z0-9-], each starting and
 * ending with [a-z0-9]. */
static bool sel_dns_subdomain(const char *s, size_t n)
{
    size_t i, start = 0;

    for (i = 0; i <= n; i++) {
        if (i < n && s[i] != '.') {
            if (!sel_lower_alnum(s[i]) && s[i] != '-')
                return false;
            continue;
        }
        if (i == start || !sel_lower_alnum(s[start]) || !sel_lower_alnum(s[i - 1]))
            return false;
        start = i + 1;
    }
    return true;
}

static const char *sel_name_error(const char *name)
{
    size_t n = strlen(name);

    if (n == 0)
        return "name part must be non-empty";
    if (n > SEL_NAME_MAX)
        return "name part must be no more than 63 characters";
    if (!sel_name_chars(name, n))
        return "name part must consist of alphanumeric characters, '-', '_' or '.', and must "
               "start and end with an alphanumeric character";
    return NULL;
}

const char *label_key_error(const char *key)
{
    const char *slash;
    size_t plen;

    if (key == NULL || *key == '\0')
        return "must be non-empty";
    slash = strchr(key, '/');
    if (slash == NULL)
        return sel_name_error(key);
    if (strchr(slash + 1, '/') != NULL)
        return "must be a name with an optional DNS subdomain prefix and one '/' "
               "(e.g. 'app' or 'snug.dev/mode')";
    plen = (size_t)(slash - key);
    if (plen == 0)
        return "prefix part must be non-empty";
    if (plen > SEL_PREFIX_MAX)
        return "prefix part must be no more than 253 characters";
    if (!sel_dns_subdomain(key, plen))
        return "prefix part must be a lowercase RFC 1123 subdomain: lowercase alphanumeric "
               "characters, '-' or '.', starting and ending with an alphanumeric character";
    return sel_name_error(slash + 1);
}

const char *label_value_error(const char *value)
{
    size_t n;

    if (value == NULL)
        return "must be a string";
    n = strlen(value);
    if (n == 0)
        return NULL;
    if (n > SEL_NAME_MAX)
        return "must be no more than 63 characters";
    if (!sel_name_chars(value, n))
        return "must be empty or consist of alphanumeric characters, '-', '_' or '.', and must "
               "start and end with an alphanumeric character";
    return NULL;
}

bool label_key_valid(const char *key)
{
    return label_key_error(key) == NULL;
}

bool label_value_valid(const char *value)
{
    return label_value_error(value) == NULL;
}

/* ---------------------------------------------------------------------------
 * Parsing.
 */
static const char *sel_type_name(const cJSON *v)
{
    if (cJSON_IsObject(v))
        return "an object";
    if (cJSON_IsArray(v))
        return "a list";
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsNumber(v))
        return "a number (quote it in YAML)";
    if (cJSON_IsBool(v))
        return "a boolean (quote it in YAML)";
    return "null";
}

static void sel_req_clear(sel_req *r)
{
    size_t i;

    free(r->key);
    for (i = 0; i < r->nvalues; i++)
        free(r->values[i]);
    free(r->values);
    memset(r, 0, sizeof(*r));
}

void selector_free(label_selector *s)
{
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < s->n; i++)
        sel_req_clear(&s->reqs[i]);
    free(s->reqs);
    free(s);
}

/* A new requirement slot at the end of s (zeroed); NULL on NOMEM. */
static sel_req *sel_add_req(label_selector *s)
{
    sel_req *nr;

    if (s->n == s->cap) {
        size_t ncap = s->cap ? s->cap * 2 : 4;
        nr = realloc(s->reqs, ncap * sizeof(*nr));
        if (nr == NULL)
            return NULL;
        s->reqs = nr;
        s->cap = ncap;
    }
    memset(&s->reqs[s->n], 0, sizeof(s->reqs[s->n]));
    return &s->reqs[s->n++];
}

static snug_status sel_nomem(snug_err *err, const char *field)
{
    return snug_err_set(err, SNUG_ERR_NOMEM, "%s: out of memory", field);
}

static snug_status sel_match_labels(label_selector *s, const cJSON *ml, const char *f,
                                    snug_err *err)
{
    const cJSON *it;
    const char *why;
    sel_req *r;

    if (!cJSON_IsObject(ml))
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "%s.matchLabels: must be an object of key: value labels, got %s", f,
                            sel_type_name(ml));
    cJSON_ArrayForEach(it, ml)
    {
        why = label_key_error(it->string);
        if (why != NULL)
            return snug_err_set(err, SNUG_ERR_INVALID,
                                "%s.matchLabels: invalid label key \"%.*s\": %s", f, SEL_SHOW_MAX,
                                it->string, why);
        if (!cJSON_IsString(it))
            return snug_err_set(err, SNUG_ERR_INVALID,
                                "%s.matchLabels[%s]: must be a string, got %s", f, it->string,
                                sel_type_name(it));
        why = label_value_error(it->valuestring);
        if (why != NULL)
            return snug_err_set(err, SNUG_ERR_INVALID,
                                "%s.matchLabels[%s]: invalid label value \"%.*s\": %s", f,
                                it->string, SEL_SHOW_MAX, it->valuestring, why);
        r = sel_add_req(s);
        if (r == NULL)
            return sel_nomem(err, f);
        r->op = SEL_IN; /* k: v is "k In (v)" */
        r->key = strdup(it->string);
        r->values = calloc(1, sizeof(*r->values));
        if (r->values != NULL) {
            r->values[0] = strdup(it->valuestring);
            r->nvalues = r->values[0] != NULL;
        }
        if (r->key == NULL || r->nvalues == 0)
            return sel_nomem(err, f);
    }
    return SNUG_OK;
}

static snug_status sel_operator(const cJSON *req, const char *at, sel_op *op, snug_err *err)
{
    static const struct {
        const char *name;
        sel_op op;
    } ops[] = {{"In", SEL_IN},
               {"NotIn", SEL_NOT_IN},
               {"Exists", SEL_EXISTS},
               {"DoesNotExist", SEL_DOES_NOT_EXIST}};
    const cJSON *o = jsonfield_member(req, "operator");
    size_t i;

    if (o == NULL || cJSON_IsNull(o))
        return snug_err_set(err, SNUG_ERR_INVALID, "%s.operator: required (" SEL_OPERATORS ")", at);
    if (!cJSON_IsString(o))
        return snug_err_set(err, SNUG_ERR_INVALID, "%s.operator: must be a string, got %s", at,
                            sel_type_name(o));
    for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (strcmp(o->valuestring, ops[i].name) == 0) {
            *op = ops[i].op;
            return SNUG_OK;
        }
    }
    return snug_err_set(err, SNUG_ERR_INVALID,
                        "%s.operator: unsupported operator \"%.*s\" (" SEL_OPERATORS ")", at,
                        SEL_SHOW_MAX, o->valuestring);
}

static snug_status sel_values(sel_req *r, const cJSON *req, const char *at, const char *opname,
                              snug_err *err)
{
    const cJSON *v = jsonfield_member(req, "values"), *it;
    bool want = r->op == SEL_IN || r->op == SEL_NOT_IN;
    size_t n, i = 0;
    const char *why;

    if (v != NULL && !cJSON_IsNull(v) && !cJSON_IsArray(v))
        return snug_err_set(err, SNUG_ERR_INVALID, "%s.values: must be a list of strings, got %s",
                            at, sel_type_name(v));
    n = v != NULL && cJSON_IsArray(v) ? (size_t)cJSON_GetArraySize(v) : 0;
    if (want && n == 0)
        return snug_err_set(err, SNUG_ERR_INVALID, "%s.values: must be non-empty for operator %s",
                            at, opname);
    if (!want && n > 0)
        return snug_err_set(err, SNUG_ERR_INVALID, "%s.values: must be empty for operator %s", at,
                            opname);
    if (n == 0)
        return SNUG_OK;
    r->values = calloc(n, sizeof(*r->values));
    if (r->values == NULL)
        return sel_nomem(err, at);
    cJSON_ArrayForEach(it, v)
    {
        if (!cJSON_IsString(it))
            return snug_err_set(err, SNUG_ERR_INVALID, "%s.values[%zu]: must be a string, got %s",
                                at, i, sel_type_name(it));
        why = label_value_error(it->valuestring);
        if (why != NULL)
            return snug_err_set(err, SNUG_ERR_INVALID,
                                "%s.values[%zu]: invalid label value \"%.*s\": %s", at, i,
                                SEL_SHOW_MAX, it->valuestring, why);
        r->values[i] = strdup(it->valuestring);
        if (r->values[i] == NULL)
            return sel_nomem(err, at);
        r->nvalues = ++i;
    }
    return SNUG_OK;
}

/* Refuse members other than `allowed` (a typo would silently widen a
 * selector: `matchLabel:` would match everything). */
static snug_status sel_known_fields(const cJSON *obj, const char *const *allowed, size_t n,
                                    const char *list, const char *at, snug_err *err)
{
    const cJSON *it;
    size_t i;

    cJSON_ArrayForEach(it, obj)
    {
        for (i = 0; i < n; i++)
            if (it->string != NULL && strcmp(it->string, allowed[i]) == 0)
                break;
        if (i == n)
            return snug_err_set(err, SNUG_ERR_INVALID, "%s: unknown field \"%.*s\" (%s)", at,
                                SEL_SHOW_MAX, it->string ? it->string : "", list);
    }
    return SNUG_OK;
}

static snug_status sel_expression(label_selector *s, const cJSON *req, const char *at,
                                  snug_err *err)
{
    static const char *const fields[] = {"key", "operator", "values"};
    const cJSON *key;
    const char *why;
    sel_req *r;
    sel_op op = SEL_EXISTS;
    snug_status st;

    if (!cJSON_IsObject(req))
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: must be an object, got %s", at,
                            sel_type_name(req));
    st = sel_known_fields(req, fields, 3, "key, operator, values", at, err);
    if (st != SNUG_OK)
        return st;
    key = jsonfield_member(req, "key");
    if (key == NULL || cJSON_IsNull(key))
        return snug_err_set(err, SNUG_ERR_INVALID, "%s.key: required", at);
    if (!cJSON_IsString(key))
        return snug_err_set(err, SNUG_ERR_INVALID, "%s.key: must be a string, got %s", at,
                            sel_type_name(key));
    why = label_key_error(key->valuestring);
    if (why != NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "%s.key: invalid label key \"%.*s\": %s", at,
                            SEL_SHOW_MAX, key->valuestring, why);
    st = sel_operator(req, at, &op, err);
    if (st != SNUG_OK)
        return st;
    r = sel_add_req(s);
    if (r == NULL)
        return sel_nomem(err, at);
    r->op = op;
    r->key = strdup(key->valuestring);
    if (r->key == NULL)
        return sel_nomem(err, at);
    return sel_values(r, req, at, jsonfield_member(req, "operator")->valuestring, err);
}

static snug_status sel_match_expressions(label_selector *s, const cJSON *me, const char *f,
                                         snug_err *err)
{
    const cJSON *it;
    char at[SNUG_ERR_MSG_MAX];
    size_t i = 0;
    snug_status st;

    if (!cJSON_IsArray(me))
        return snug_err_set(err, SNUG_ERR_INVALID, "%s.matchExpressions: must be a list, got %s", f,
                            sel_type_name(me));
    cJSON_ArrayForEach(it, me)
    {
        snprintf(at, sizeof(at), "%s.matchExpressions[%zu]", f, i++);
        st = sel_expression(s, it, at, err);
        if (st != SNUG_OK)
            return st;
    }
    return SNUG_OK;
}

snug_status selector_parse(const cJSON *json, const char *field, label_selector **out,
                           snug_err *err)
{
    static const char *const fields[] = {"matchLabels", "matchExpressions"};
    const char *f = field != NULL && *field != '\0' ? field : "selector";
    const cJSON *ml, *me;
    label_selector *s;
    snug_status st = SNUG_OK;

    *out = NULL;
    s = calloc(1, sizeof(*s));
    if (s == NULL)
        return sel_nomem(err, f);
    if (json == NULL || cJSON_IsNull(json)) {
        *out = s;
        return SNUG_OK;
    }
    if (!cJSON_IsObject(json)) {
        st = snug_err_set(err, SNUG_ERR_INVALID, "%s: must be an object, got %s", f,
                          sel_type_name(json));
        goto out;
    }
    st = sel_known_fields(json, fields, 2, "matchLabels, matchExpressions", f, err);
    ml = jsonfield_member(json, "matchLabels");
    me = jsonfield_member(json, "matchExpressions");
    if (st == SNUG_OK && ml != NULL && !cJSON_IsNull(ml))
        st = sel_match_labels(s, ml, f, err);
    if (st == SNUG_OK && me != NULL && !cJSON_IsNull(me))
        st = sel_match_expressions(s, me, f, err);
out:
    if (st != SNUG_OK) {
        selector_free(s);
        return st;
    }
    *out = s;
    return SNUG_OK;
}

/* ---------------------------------------------------------------------------
 * Matching.
 */
static bool sel_listed(const sel_req *r, const char *v)
{
    size_t i;

    for (i = 0; i < r->nvalues; i++)
        if (strcmp(r->values[i], v) == 0)
            return true;
    return false;
}

bool selector_matches(const label_selector *s, const cJSON *labels)
{
    const cJSON *l;
    const char *v;
    bool present;
    size_t i;

    if (s == NULL)
        return true;
    for (i = 0; i < s->n; i++) {
        const sel_req *r = &s->reqs[i];

        l = cJSON_IsObject(labels) ? jsonfield_member(labels, r->key) : NULL;
        present = l != NULL && !cJSON_IsNull(l);
        v = cJSON_IsString(l) ? l->valuestring : NULL;
        switch (r->op) {
        case SEL_IN:
            if (v == NULL || !sel_listed(r, v))
                return false;
            break;
        case SEL_NOT_IN:
            if (v != NULL && sel_listed(r, v))
                return false;
            break;
        case SEL_EXISTS:
            if (!present)
                return false;
            break;
        case SEL_DOES_NOT_EXIST:
            if (present)
                return false;
            break;
        }
    }
    return true;
}

bool selector_is_empty(const label_selector *s)
{
    return s == NULL || s->n == 0;
}

/* ---------------------------------------------------------------------------
 * "k=v,k2=v2"
 */
static bool sel_space(char c)
{
    return c == ' ' || c == '\t';
}

/* Trim blanks around s[*b..*e). */
static void sel_trim(const char *s, size_t *b, size_t *e)
{
    while (*b < *e && sel_space(s[*b]))
        (*b)++;
    while (*e > *b && sel_space(s[*e - 1]))
        (*e)--;
}

static snug_status sel_kv_pair(cJSON *obj, const char *s, size_t b, size_t e, size_t index,
                               snug_err *err)
{
    const char *eq = memchr(s + b, '=', e - b);
    size_t kb = b, ke, vb, ve = e;
    char *key = NULL, *val = NULL;
    const char *why = NULL, *what = "";
    int plen = (int)(e - b > SEL_SHOW_MAX ? SEL_SHOW_MAX : e - b);
    snug_status st = SNUG_OK;

    if (b == e)
        return snug_err_set(err, SNUG_ERR_INVALID, "labels \"%.*s\": pair %zu is empty",
                            SEL_SHOW_MAX, s, index + 1);
    if (eq == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "label \"%.*s\": expected key=value", plen,
                            s + b);
    ke = (size_t)(eq - s);
    vb = ke + 1;
    sel_trim(s, &kb, &ke);
    sel_trim(s, &vb, &ve);
    key = strndup(s + kb, ke - kb);
    val = strndup(s + vb, ve - vb);
    if (key == NULL || val == NULL) {
        st = snug_err_set(err, SNUG_ERR_NOMEM, "labels: out of memory");
        goto out;
    }
    why = label_key_error(key);
    what = "key";
    if (why == NULL) {
        why = label_value_error(val);
        what = "value";
    }
    if (why != NULL) {
        st = snug_err_set(err, SNUG_ERR_INVALID, "label \"%.*s\": invalid label %s \"%.*s\": %s",
                          plen, s + b, what, SEL_SHOW_MAX, what[0] == 'k' ? key : val, why);
        goto out;
    }
    if (jsonfield_member(obj, key) != NULL) {
        st = snug_err_set(err, SNUG_ERR_INVALID, "label \"%.*s\": key \"%s\" is given twice", plen,
                          s + b, key);
        goto out;
    }
    if (cJSON_AddStringToObject(obj, key, val) == NULL)
        st = snug_err_set(err, SNUG_ERR_NOMEM, "labels: out of memory");
out:
    free(key);
    free(val);
    return st;
}

snug_status labels_parse_kv(const char *s, cJSON **out, snug_err *err)
{
    cJSON *obj = cJSON_CreateObject();
    size_t b = 0, e, n, start, index = 0;
    snug_status st = SNUG_OK;

    *out = NULL;
    if (obj == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "labels: out of memory");
    if (s == NULL)
        s = "";
    n = strlen(s);
    e = n;
    sel_trim(s, &b, &e);
    for (start = b; st == SNUG_OK && b < e; start = b) {
        size_t pb, pe;

        while (b < e && s[b] != ',')
            b++;
        pb = start;
        pe = b;
        sel_trim(s, &pb, &pe);
        st = sel_kv_pair(obj, s, pb, pe, index++, err);
        if (b < e) {
            b++; /* the comma */
            if (b == e && st == SNUG_OK)
                st = snug_err_set(err, SNUG_ERR_INVALID, "labels \"%.*s\": pair %zu is empty",
                                  SEL_SHOW_MAX, s, index + 1);
        }
    }
    if (st != SNUG_OK) {
        cJSON_Delete(obj);
        return st;
    }
    *out = obj;
    return SNUG_OK;
}

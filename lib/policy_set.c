/* policy_set.c -- a set of SizingPolicies: add/replace/remove by name, load
 * from parsed YAML documents, and choose the winning policy for a Pod.
 *
 * A cluster has a handful of policies, so the set is a plain array searched
 * linearly; the winner is the best of the matching ones under the order
 * priority desc, creationTimestamp asc, name asc.
 */
#include "policy.h"

#include <stdlib.h>
#include <string.h>

#include "jsonfield.h"

struct policy_set {
    policy **items;
    size_t n, cap;
};

policy_set *policy_set_new(void)
{
    return calloc(1, sizeof(policy_set));
}

void policy_set_free(policy_set *s)
{
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < s->n; i++)
        policy_free(s->items[i]);
    free(s->items);
    free(s);
}

static long find_index(const policy_set *s, const char *name)
{
    size_t i;

    for (i = 0; i < s->n; i++)
        if (strcmp(s->items[i]->name, name) == 0)
            return (long)i;
    return -1;
}

snug_status policy_set_add(policy_set *s, policy *p)
{
    long at;
    size_t cap;
    policy **items;

    if (s == NULL || p == NULL || p->name == NULL)
        return SNUG_ERR_INVALID;
    at = find_index(s, p->name);
    if (at >= 0 && s->items[at] == p)
        return SNUG_OK; /* already there */
    if (at >= 0) {
        policy_free(s->items[at]);
        s->items[at] = p;
        return SNUG_OK;
    }
    if (s->n == s->cap) {
        cap = s->cap ? s->cap * 2 : 8;
        items = realloc(s->items, cap * sizeof(*items));
        if (items == NULL)
            return SNUG_ERR_NOMEM;
        s->items = items;
        s->cap = cap;
    }
    s->items[s->n++] = p;
    return SNUG_OK;
}

snug_status policy_set_remove(policy_set *s, const char *name)
{
    long at;

    if (s == NULL || name == NULL)
        return SNUG_ERR_NOT_FOUND;
    at = find_index(s, name);
    if (at < 0)
        return SNUG_ERR_NOT_FOUND;
    policy_free(s->items[at]);
    memmove(&s->items[at], &s->items[at + 1], (s->n - (size_t)at - 1) * sizeof(*s->items));
    s->n--;
    return SNUG_OK;
}

size_t policy_set_count(const policy_set *s)
{
    return s ? s->n : 0;
}

const policy *policy_set_at(const policy_set *s, size_t i)
{
    return s != NULL && i < s->n ? s->items[i] : NULL;
}

const policy *policy_set_find(const policy_set *s, const char *name)
{
    long at;

    if (s == NULL || name == NULL)
        return NULL;
    at = find_index(s, name);
    return at >= 0 ? s->items[at] : NULL;
}

/* True when a should win over b. */
static bool policy_before(const policy *a, const policy *b)
{
    if (a->priority != b->priority)
        return a->priority > b->priority;
    if (a->created != b->created)
        return a->created < b->created;
    return strcmp(a->name, b->name) < 0;
}

const policy *policy_set_select(const policy_set *s, const cJSON *pod_labels,
                                const cJSON *ns_labels)
{
    const policy *best = NULL;
    size_t i;

    if (s == NULL)
        return NULL;
    for (i = 0; i < s->n; i++) {
        const policy *p = s->items[i];
        if (!policy_matches(p, pod_labels, ns_labels))
            continue;
        if (best == NULL || policy_before(p, best))
            best = p;
    }
    return best;
}

/* ---- loading ----------------------------------------------------------- */

static bool is_list_kind(const cJSON *doc)
{
    const cJSON *kind = jsonfield_get(doc, "kind");

    return cJSON_IsString(kind) && kind->valuestring != NULL &&
           (strcmp(kind->valuestring, "List") == 0 ||
            strcmp(kind->valuestring, "SizingPolicyList") == 0);
}

/* Parse one object and add it; a name already loaded is an error. */
static snug_status load_one(policy_set *s, const cJSON *obj, snug_err *err)
{
    policy *p = NULL;
    snug_status st;

    st = policy_parse(obj, &p, err);
    if (st != SNUG_OK)
        return st;
    if (policy_set_find(s, p->name) != NULL) {
        st = snug_err_set(err, SNUG_ERR_INVALID, "SizingPolicy \"%s\" is defined more than once",
                          p->name);
        policy_free(p);
        return st;
    }
    st = policy_set_add(s, p);
    if (st != SNUG_OK) {
        policy_free(p);
        return snug_err_set(err, st, "out of memory");
    }
    return SNUG_OK;
}

static snug_status load_list(policy_set *s, const cJSON *list, snug_err *err)
{
    const cJSON *items = NULL, *it;
    size_t i = 0;
    snug_status st;

    st = jsonfield_array(list, "items", "", &items, err);
    if (st != SNUG_OK || items == NULL)
        return st;
    cJSON_ArrayForEach(it, items)
    {
        st = load_one(s, it, err);
        if (st != SNUG_OK) {
            snug_err_prefix(err, "items[%zu]", i);
            return st;
        }
        i++;
    }
    return SNUG_OK;
}

snug_status policy_set_load(const cJSON *docs, policy_set **out, snug_err *err)
{
    policy_set *s = NULL;
    const cJSON *doc;
    size_t n = 0;
    snug_status st = SNUG_OK;

    *out = NULL;
    if (!cJSON_IsArray(docs))
        return snug_err_set(err, SNUG_ERR_INVALID, "policy documents: must be an array, got %s",
                            jsonfield_type_name(docs));
    s = policy_set_new();
    if (s == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    cJSON_ArrayForEach(doc, docs)
    {
        n++;
        st = is_list_kind(doc) ? load_list(s, doc, err) : load_one(s, doc, err);
        if (st != SNUG_OK) {
            snug_err_prefix(err, "document %zu", n);
            goto out;
        }
    }
out:
    if (st != SNUG_OK) {
        policy_set_free(s);
        return st;
    }
    *out = s;
    return SNUG_OK;
}

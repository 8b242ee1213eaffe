/* policy_set.c -- a set of SizingPolicies: add/replace/remove by name, load
 * from parsed YAML documents, and choose the winning policy for a Pod.
 *
 * A cluster has a handful of policies, so the set is a plain array searched
 * linearly; the winner is the best of the matching ones under the order
 * priority desc, creationTimestamp asc, name asc.
 */
#include "model/policy.h"

#include <stdlib.h>
#include <string.h>

#include "json/jsonfield.h"

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

/* Parse one object and add it; a name already loaded is an error. */
static snug_status load_one(const cJSON *obj, void *ud, snug_err *err)
{
    policy_set *s = ud;
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

snug_status policy_set_load(const cJSON *docs, policy_set **out, snug_err *err)
{
    policy_set *s = policy_set_new();
    snug_status st;

    *out = NULL;
    if (s == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    st = jsonfield_each_doc(docs, "policy documents", "SizingPolicyList", load_one, s, err);
    if (st != SNUG_OK) {
        policy_set_free(s);
        return st;
    }
    *out = s;
    return SNUG_OK;
}

/* policy.c -- SizingPolicy: the defaults, parsing an object (header and
 * metadata here, the spec in policy_spec.c), and resolving the settings for
 * one container. The policy set and the choice of the winning policy are in
 * policy_set.c.
 *
 * The parser is split by concept, each part with its own header; the
 * includes go one way (policy < spec < containers < fields):
 *   policy.c             defaults, policy_parse, matching, per-container merge
 *   policy_spec.c        spec and its sections (resources, recommender, ...)
 *   policy_containers.c  spec.containers overrides
 *   policy_fields.c      shared field readers: enums, names, amounts, bounds
 *
 * Parsing works on a policy pre-filled with the defaults: every getter
 * overwrites only what the object gives, so "absent" means "default" all the
 * way down (a JSON null counts as absent, as the API server's defaulting
 * treats it).
 */
#include "model/policy_fields.h"
#include "model/policy_spec.h"

#include <stdlib.h>
#include <string.h>

#define POLICY_API_VERSION "snug.dev/v1alpha1"
#define POLICY_KIND        "SizingPolicy"
#define MIB                ((int64_t)1024 * 1024)
#define GIB                (MIB * 1024)

/* ---- defaults ---------------------------------------------------------- */

static void defaults_resources(policy_resources *r)
{
    r->apply = APPLY_IF_MISSING;
    r->default_requests = (res_amounts){50, 64 * MIB};
    r->default_limits = (res_amounts){RES_UNSET, RES_UNSET};
    r->min_allowed = (res_amounts){10, 32 * MIB};
    r->max_allowed = (res_amounts){8000, 16 * GIB};
    r->cpu_limit = (limit_rule){LIMIT_NONE, 0.0};
    r->memory_limit = (limit_rule){LIMIT_RATIO, 1.0};
}

static void defaults_recommender(policy_recommender *r)
{
    r->window_seconds = 7 * 86400;
    r->cpu_percentile = 0.90;
    r->memory_percentile = 1.0;
    r->safety_margin = 0.15;
    r->min_history_seconds = 86400;
    r->oom_bump_ratio = 1.2;
    r->oom_bump_min_bytes = 100 * MIB;
}

static const char *const default_port_names[] = {"health", "http", "metrics"};

static snug_status defaults_probes(policy_probes *pr)
{
    size_t i;

    pr->inject = PROBES_IF_MISSING;
    pr->liveness_path = NULL;
    pr->readiness_path = NULL;
    pr->period_seconds = 10;
    pr->timeout_seconds = 2;
    pr->failure_threshold = 3;
    pr->startup_seconds = 300;
    pr->n_port_names = 0;
    for (i = 0; i < sizeof(default_port_names) / sizeof(default_port_names[0]); i++) {
        pr->port_names[i] = strdup(default_port_names[i]);
        if (pr->port_names[i] == NULL)
            return SNUG_ERR_NOMEM;
        pr->n_port_names++;
    }
    return SNUG_OK;
}

static void defaults_go(policy_goruntime *g)
{
    g->detect = GO_DETECT_AUTO;
    g->gomemlimit_ratio = 0.90;
    g->gomaxprocs = GOMAXPROCS_WHEN_NO_CPU_LIMIT;
}

/* A new policy holding every default, named `name`; NULL on NOMEM. */
static policy *policy_new_default(const char *name)
{
    policy *p = calloc(1, sizeof(*p));

    if (p == NULL)
        return NULL;
    p->name = strdup(name);
    p->priority = 0;
    p->created = 0;
    p->mode = POLICY_MODE_INITIAL;
    defaults_resources(&p->resources);
    defaults_recommender(&p->recommender);
    defaults_go(&p->go);
    if (p->name == NULL || defaults_probes(&p->probes) != SNUG_OK) {
        policy_free(p);
        return NULL;
    }
    return p;
}

policy *policy_builtin_default(void)
{
    return policy_new_default("snug-default");
}

void policy_free(policy *p)
{
    size_t i;

    if (p == NULL)
        return;
    free(p->name);
    selector_free(p->namespace_selector);
    selector_free(p->selector);
    policy_free_port_names(&p->probes);
    free(p->probes.liveness_path);
    free(p->probes.readiness_path);
    for (i = 0; i < p->n_containers; i++)
        free(p->containers[i].name);
    free(p->containers);
    free(p);
}

/* ---- the object -------------------------------------------------------- */

static snug_status parse_header(const cJSON *obj, snug_err *err)
{
    static const char *const keys[] = {"apiVersion", "kind", "metadata", "spec", "status", NULL};
    const char *api = NULL, *kind = NULL;

    TRY(jsonfield_string(obj, "kind", "", &kind, err));
    TRY(jsonfield_string(obj, "apiVersion", "", &api, err));
    if (kind == NULL || strcmp(kind, POLICY_KIND) != 0)
        return snug_err_set(err, SNUG_ERR_INVALID, "kind: must be %s, got %s%s%s", POLICY_KIND,
                            kind ? "\"" : "", kind ? kind : "nothing", kind ? "\"" : "");
    if (api == NULL || strcmp(api, POLICY_API_VERSION) != 0)
        return snug_err_set(err, SNUG_ERR_INVALID, "apiVersion: must be %s, got %s%s%s",
                            POLICY_API_VERSION, api ? "\"" : "", api ? api : "nothing",
                            api ? "\"" : "");
    return jsonfield_check_keys(obj, "", keys, err);
}

static snug_status parse_metadata(const cJSON *obj, const char **name, int64_t *created,
                                  snug_err *err)
{
    const cJSON *md = NULL;
    const char *ts = NULL;

    TRY(jsonfield_object(obj, "metadata", "", &md, err));
    if (md == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "metadata.name: required");
    TRY(jsonfield_string(md, "name", "metadata", name, err));
    if (*name == NULL || (*name)[0] == '\0')
        return snug_err_set(err, SNUG_ERR_INVALID, "metadata.name: required");
    if (!policy_dns_subdomain_valid(*name))
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "metadata.name: \"%s\" is not a valid name (lower-case RFC 1123 "
                            "subdomain: a-z, 0-9, '-' and '.', at most 253 characters)",
                            *name);
    TRY(jsonfield_string(md, "creationTimestamp", "metadata", &ts, err));
    if (ts != NULL && rfc3339_parse(ts, created, err) != SNUG_OK) {
        snug_err_prefix(err, "metadata.creationTimestamp");
        return SNUG_ERR_INVALID;
    }
    return SNUG_OK;
}

/* The name for error prefixes, when the object has a usable one. */
static const char *peek_name(const cJSON *obj)
{
    const cJSON *n = jsonfield_get(jsonfield_get(obj, "metadata"), "name");

    return cJSON_IsString(n) && n->valuestring != NULL && n->valuestring[0] != '\0' ? n->valuestring
                                                                                    : NULL;
}

snug_status policy_parse(const cJSON *obj, policy **out, snug_err *err)
{
    const char *name = NULL;
    int64_t created = 0;
    policy *p = NULL;
    snug_status st;

    *out = NULL;
    if (!cJSON_IsObject(obj)) {
        st = snug_err_set(err, SNUG_ERR_INVALID, "must be an object, got %s",
                          jsonfield_type_name(obj));
        goto out;
    }
    st = parse_header(obj, err);
    if (st == SNUG_OK)
        st = parse_metadata(obj, &name, &created, err);
    if (st != SNUG_OK)
        goto out;
    p = policy_new_default(name);
    if (p == NULL) {
        st = snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
        goto out;
    }
    p->created = created;
    st = policy_parse_spec(obj, p, err);
out:
    if (st != SNUG_OK) {
        policy_free(p);
        name = cJSON_IsObject(obj) ? peek_name(obj) : NULL;
        if (name != NULL)
            snug_err_prefix(err, "SizingPolicy \"%s\"", name);
        else
            snug_err_prefix(err, "SizingPolicy");
        return st;
    }
    *out = p;
    return SNUG_OK;
}

/* ---- matching and per-container resolution ----------------------------- */

bool policy_matches(const policy *p, const cJSON *pod_labels, const cJSON *ns_labels)
{
    if (p == NULL)
        return false;
    if (p->namespace_selector != NULL && !selector_matches(p->namespace_selector, ns_labels))
        return false;
    if (p->selector != NULL && !selector_matches(p->selector, pod_labels))
        return false;
    return true;
}

static const policy_container *find_override(const policy *p, const char *container)
{
    const policy_container *star = NULL;
    size_t i;

    for (i = 0; i < p->n_containers; i++) {
        const policy_container *c = &p->containers[i];
        if (container != NULL && strcmp(c->name, container) == 0)
            return c;
        if (star == NULL && strcmp(c->name, "*") == 0)
            star = c;
    }
    return star;
}

void policy_for_container(const policy *p, const char *container, container_policy *out)
{
    const policy_container *o;

    out->mode = p->mode;
    out->apply = p->resources.apply;
    out->default_requests = p->resources.default_requests;
    out->default_limits = p->resources.default_limits;
    out->min_allowed = p->resources.min_allowed;
    out->max_allowed = p->resources.max_allowed;
    out->cpu_limit = p->resources.cpu_limit;
    out->memory_limit = p->resources.memory_limit;
    out->probes_inject = p->probes.inject;
    out->go_detect = p->go.detect;
    o = find_override(p, container);
    if (o == NULL)
        return;
    if (o->has_mode)
        out->mode = o->mode;
    if (o->has_min)
        policy_merge_amounts(&out->min_allowed, &o->min_allowed);
    if (o->has_max)
        policy_merge_amounts(&out->max_allowed, &o->max_allowed);
    if (o->has_cpu_limit)
        out->cpu_limit = o->cpu_limit;
    if (o->has_memory_limit)
        out->memory_limit = o->memory_limit;
    if (o->has_probes)
        out->probes_inject = o->probes_inject;
    if (o->has_go)
        out->go_detect = o->go_detect;
}

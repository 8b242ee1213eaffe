/* mutate.c -- the mutation engine's entry point: modes, the container list,
 * Audit, the snug.dev/mutated annotation, and the result.
 *
 * A run works on a deep copy of the Pod through the jsonpatch builder, so the
 * copy is always "Pod + patch" and the input is never touched -- unless the
 * caller gives the Pod up (in_place): then the last run of the request
 * patches the input itself and the copy (a walk and an allocation per node,
 * a tenth of an admission request's cost) is saved. Audit runs the
 * engine with the held containers active and keeps only its patch
 * (would_patch); when only some containers are in Audit, a second run with
 * those containers left alone gives the real patch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/decimal.h"
#include "json/jsonarena.h"
#include "webhook/mutate_goenv.h"
#include "webhook/mutate_internal.h"
#include "webhook/mutate_probes.h"
#include "webhook/mutate_resources.h"

#define MODE_KEY          "snug.dev/mode" /* an annotation or a label */
#define AUDIT_DETAILS_MAX 400

/* What one run of the engine produced. */
typedef struct run_out {
    cJSON *doc;            /* Pod + patch */
    cJSON *ops;            /* the patch */
    unsigned changed;      /* everything this run changed */
    unsigned held_changed; /* what the held (Audit) containers would change */
    bool any_held;
    mut_warnings warn;
    dynbuf held_details; /* "app: cpu request 250m, ...; side: ..." */
} run_out;

static void run_out_free(run_out *ro)
{
    jsonarena_delete(ro->doc);
    jsonarena_delete(ro->ops);
    mut_warnings_free(&ro->warn);
    dynbuf_free(&ro->held_details);
    memset(ro, 0, sizeof(*ro));
}

static const cJSON *pod_meta_map(const cJSON *pod, const char *map)
{
    const cJSON *a = mut_get(mut_get(pod, "metadata"), map);

    return cJSON_IsObject(a) ? a : NULL;
}

static const cJSON *pod_annotations(const cJSON *pod)
{
    return pod_meta_map(pod, "annotations");
}

/* The string value of metadata.<map>[key] ("annotations" or "labels"), or
 * NULL. */
static const char *pod_meta_string(const cJSON *pod, const char *map, const char *key)
{
    const cJSON *v = mut_get(pod_meta_map(pod, map), key);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* --- containers ---------------------------------------------------------- */

static snug_status check_container(const cJSON *c, const char *list, size_t i, snug_err *err)
{
    const cJSON *name = mut_get(c, "name");

    if (!cJSON_IsObject(c))
        return snug_err_set(err, SNUG_ERR_INVALID, "spec.%s[%zu]: must be an object", list, i);
    if (!cJSON_IsString(name) || name->valuestring[0] == '\0')
        return snug_err_set(err, SNUG_ERR_INVALID, "spec.%s[%zu].name: must be a non-empty string",
                            list, i);
    return SNUG_OK;
}

static snug_status list_of(const cJSON *spec, const char *list, const cJSON **out, snug_err *err)
{
    const cJSON *a = mut_get(spec, list);

    *out = a;
    if (a != NULL && !cJSON_IsArray(a))
        return snug_err_set(err, SNUG_ERR_INVALID, "spec.%s: must be an array", list);
    return SNUG_OK;
}

static void setup_container(mut_ctx *x, mut_container *mc, const cJSON *c, const char *list,
                            size_t i, bool hold, bool audit_all)
{
    const cJSON *rp = mut_get(c, "restartPolicy");

    mc->orig = c;
    mc->name = mut_get(c, "name")->valuestring;
    mc->list = list;
    (void)decimal_u64(mc->idx, (uint64_t)i); /* idx holds DECIMAL_U64_MAX */
    if (strcmp(list, "containers") == 0)
        mc->kind = MUT_REGULAR;
    else if (cJSON_IsString(rp) && strcmp(rp->valuestring, "Always") == 0)
        mc->kind = MUT_SIDECAR;
    else
        mc->kind = MUT_INIT;
    policy_for_container(x->pol, mc->name, &mc->cp);
    mc->rec = x->in->rec ? recommendation_container(x->in->rec, mc->name) : NULL;
    mc->held = mc->cp.mode != POLICY_MODE_OFF && (audit_all || mc->cp.mode == POLICY_MODE_AUDIT);
    mc->active = mc->cp.mode != POLICY_MODE_OFF && !(hold && mc->held);
    dynbuf_init(&mc->details, MUT_DETAIL_MAX);
}

/* Validate spec.containers / spec.initContainers and set up one record per
 * container (ephemeral containers are never touched). */
static snug_status collect(mut_ctx *x, bool hold, bool audit_all)
{
    static const char *const lists[] = {"containers", "initContainers"};
    const cJSON *spec = mut_get(x->in->pod, "spec"), *arr[2], *c;
    size_t n = 0, i, k;
    snug_status st;

    if (spec != NULL && !cJSON_IsObject(spec))
        return snug_err_set(x->err, SNUG_ERR_INVALID, "spec: must be an object");
    for (k = 0; k < 2; k++) {
        st = list_of(spec, lists[k], &arr[k], x->err);
        if (st != SNUG_OK)
            return st;
        i = 0;
        cJSON_ArrayForEach(c, arr[k])
        {
            st = check_container(c, lists[k], i++, x->err);
            if (st != SNUG_OK)
                return st;
        }
        n += i;
    }
    x->cs = n ? calloc(n, sizeof(*x->cs)) : NULL;
    if (n && x->cs == NULL)
        return snug_err_set(x->err, SNUG_ERR_NOMEM, "out of memory");
    for (k = 0; k < 2; k++) {
        i = 0;
        cJSON_ArrayForEach(c, arr[k])
        {
            setup_container(x, &x->cs[x->n++], c, lists[k], i++, hold, audit_all);
        }
    }
    x->res_enabled = mut_get(spec, "resources") == NULL;
    return SNUG_OK;
}

/* --- one run ------------------------------------------------------------- */

static bool any_active(const mut_ctx *x)
{
    size_t i;

    for (i = 0; i < x->n; i++) {
        if (x->cs[i].active)
            return true;
    }
    return false;
}

static snug_status per_container(mut_ctx *x)
{
    snug_status st;
    size_t i;

    if (!x->res_enabled && any_active(x))
        mut_warn(x, "the Pod sets spec.resources (pod-level resources): container resources are "
                    "left alone");
    st = mut_resources_read(x);
    if (st == SNUG_OK)
        st = mut_resources_apply(x);
    for (i = 0; st == SNUG_OK && i < x->n; i++) {
        mut_container *mc = &x->cs[i];

        if (!mc->active)
            continue;
        st = mut_probes_apply(x, mc);
        if (st == SNUG_OK)
            st = mut_goenv_apply(x, mc);
    }
    for (i = 0; i < x->n; i++)
        x->changed |= x->cs[i].changed;
    return st;
}

static snug_status annotate(mut_ctx *x)
{
    static const char *const path[] = {"metadata", "annotations", MUTATE_ANNOTATION};
    char what[32];

    if (x->changed == 0)
        return SNUG_OK;
    mutate_changed_str(x->changed, what, sizeof(what));
    return mut_set_path(x, path, 3, cJSON_CreateString(what));
}

/* Collect what the held containers would do, for the Audit warning. */
static void held_summary(mut_ctx *x, run_out *ro)
{
    size_t i;

    dynbuf_init(&ro->held_details, AUDIT_DETAILS_MAX);
    for (i = 0; i < x->n; i++) {
        mut_container *mc = &x->cs[i];

        if (!mc->held)
            continue;
        ro->any_held = true;
        ro->held_changed |= mc->changed;
        if (dynbuf_len(&mc->details) == 0)
            continue;
        if (dynbuf_printf(&ro->held_details, "%s%s: %s", dynbuf_len(&ro->held_details) ? "; " : "",
                          mc->name, dynbuf_str(&mc->details)) != SNUG_OK) {
            dynbuf_truncate(&ro->held_details, AUDIT_DETAILS_MAX - 3);
            (void)dynbuf_addstr(&ro->held_details, "...");
            break;
        }
    }
}

/* Whether some container may be held back (a container override with mode
 * Audit), which takes a second run from the untouched Pod. */
static bool policy_may_hold(const policy *p)
{
    size_t i;

    for (i = 0; i < p->n_containers; i++) {
        if (p->containers[i].has_mode && p->containers[i].mode == POLICY_MODE_AUDIT)
            return true;
    }
    return false;
}

static void ctx_free(mut_ctx *x)
{
    size_t i;

    for (i = 0; i < x->n; i++)
        dynbuf_free(&x->cs[i].details);
    free(x->cs);
    jsonpatch_free(x->jp);
    jsonarena_delete(x->doc);
    mut_warnings_free(&x->warn);
}

/* One pass of the engine. hold: leave the containers in Audit alone;
 * audit_all: every container is in Audit; borrow: patch in->pod itself (only
 * when in->in_place, for the last run): ro->doc is then NULL. */
static snug_status engine_run(const mutate_input *in, bool hold, bool audit_all, bool borrow,
                              run_out *ro, snug_err *err)
{
    mut_ctx x;
    snug_status st;

    memset(&x, 0, sizeof(x));
    memset(ro, 0, sizeof(*ro));
    x.in = in;
    x.pol = in->policy;
    x.annotations = pod_annotations(in->pod);
    x.err = err;
    x.doc = borrow ? (cJSON *)in->pod : cJSON_Duplicate(in->pod, 1);
    x.jp = x.doc ? jsonpatch_new(x.doc) : NULL;
    st = x.jp ? SNUG_OK : snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    if (st == SNUG_OK)
        st = collect(&x, hold, audit_all);
    if (st == SNUG_OK)
        st = per_container(&x);
    if (st == SNUG_OK)
        st = annotate(&x);
    if (st == SNUG_OK) {
        ro->ops = jsonpatch_take_ops(x.jp);
        st = ro->ops ? SNUG_OK : snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    }
    if (st == SNUG_OK) {
        held_summary(&x, ro);
        ro->changed = x.changed;
        ro->warn = x.warn;
        memset(&x.warn, 0, sizeof(x.warn));
        ro->doc = borrow ? NULL : x.doc;
        x.doc = NULL;
    }
    if (borrow)
        x.doc = NULL; /* the caller's */
    ctx_free(&x);
    if (st != SNUG_OK)
        run_out_free(ro);
    return st;
}

/* --- result -------------------------------------------------------------- */

/* Move `first` (may be NULL) and the run's warnings into the result, capped
 * at MUTATE_MAX_WARNINGS with the last one counting the rest. */
static void take_warnings(mutate_result *out, const char *first, mut_warnings *w)
{
    size_t total = w->total + (first ? 1 : 0), i, keep;
    char buf[64];

    keep = total > MUTATE_MAX_WARNINGS ? MUTATE_MAX_WARNINGS - 1 : total;
    if (first != NULL && out->n_warnings < keep) {
        out->warnings[out->n_warnings] = strdup(first);
        if (out->warnings[out->n_warnings] != NULL)
            out->n_warnings++;
    }
    for (i = 0; i < w->n; i++) {
        if (out->n_warnings < keep) {
            out->warnings[out->n_warnings++] = w->w[i];
        } else {
            free(w->w[i]);
        }
        w->w[i] = NULL;
    }
    w->n = 0;
    if (total > keep) {
        snprintf(buf, sizeof(buf), "%zu more warnings", total - keep);
        out->warnings[out->n_warnings] = strdup(buf);
        if (out->warnings[out->n_warnings] != NULL)
            out->n_warnings++;
    }
}

static char *audit_warning(const mutate_input *in, const run_out *b)
{
    char what[32], *s;
    size_t cap;

    mutate_changed_str(b->held_changed, what, sizeof(what));
    cap = strlen(in->policy->name) + strlen(dynbuf_str(&b->held_details)) + 96;
    s = malloc(cap);
    if (s == NULL)
        return NULL;
    if (b->held_changed == 0)
        snprintf(s, cap, "snug audit (policy %s): would change nothing", in->policy->name);
    else
        snprintf(s, cap, "snug audit (policy %s): would set %s: %s", in->policy->name, what,
                 dynbuf_str(&b->held_details));
    return s;
}

static snug_status skip(const mutate_input *in, mutate_result *out, const char *why, bool warn,
                        snug_err *err)
{
    char buf[512];
    mut_warnings none;

    out->mutated = in->in_place ? NULL : cJSON_Duplicate(in->pod, 1);
    out->skipped = strdup(why);
    if ((out->mutated == NULL && !in->in_place) || out->skipped == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    if (warn) {
        memset(&none, 0, sizeof(none));
        snprintf(buf, sizeof(buf), "snug skipped this Pod: %s", why);
        take_warnings(out, buf, &none);
    }
    return SNUG_OK;
}

/* Audit: run with everything active for would_patch; when only some
 * containers are held, `a` (the run that left them alone) is the result. */
static snug_status finish_audit(const mutate_input *in, mutate_result *out, run_out *a,
                                snug_err *err)
{
    run_out b;
    mut_warnings none;
    char *msg;
    snug_status st;

    st = engine_run(in, false, a == NULL, in->in_place, &b, err);
    if (st != SNUG_OK)
        return st;
    msg = audit_warning(in, &b);
    if (msg == NULL) {
        run_out_free(&b);
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    }
    out->audit = true;
    out->would_patch = b.ops;
    b.ops = NULL;
    if (a != NULL) {
        out->changed = a->changed | b.held_changed;
        out->mutated = a->doc;
        a->doc = NULL;
        cJSON_Delete(out->patch);
        out->patch = a->ops;
        a->ops = NULL;
        take_warnings(out, msg, &a->warn);
    } else {
        /* Whole Pod held back: the one Audit warning says it all (the run's
         * own warnings describe changes that were not made). */
        memset(&none, 0, sizeof(none));
        out->changed = b.changed;
        out->mutated = in->in_place ? NULL : cJSON_Duplicate(in->pod, 1);
        take_warnings(out, msg, &none);
    }
    free(msg);
    run_out_free(&b);
    if (out->mutated == NULL && !(in->in_place && a == NULL))
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    return SNUG_OK;
}

static bool mode_is(const char *v, const char *mode)
{
    return v != NULL && strcasecmp(v, mode) == 0;
}

/* snug.dev/mode may be a Pod annotation (honoured by the engine) or a Pod
 * label (which also lets the webhook configuration's objectSelector keep
 * the API server from calling at all); either one saying off skips the Pod,
 * either one saying audit holds its changes back. */
static snug_status run_modes(const mutate_input *in, mutate_result *out, snug_err *err)
{
    const char *ann = pod_meta_string(in->pod, "annotations", MODE_KEY);
    const char *lab = pod_meta_string(in->pod, "labels", MODE_KEY);
    char why[320];
    run_out a;
    snug_status st;

    if (mode_is(ann, "off"))
        return skip(in, out, "opted out by annotation " MODE_KEY "=off", true, err);
    if (mode_is(lab, "off"))
        return skip(in, out, "opted out by label " MODE_KEY "=off", true, err);
    if (in->policy->mode == POLICY_MODE_OFF) {
        snprintf(why, sizeof(why), "policy %s has mode Off", in->policy->name);
        return skip(in, out, why, true, err);
    }
    if (mode_is(ann, "audit") || mode_is(lab, "audit") || in->policy->mode == POLICY_MODE_AUDIT)
        return finish_audit(in, out, NULL, err);
    st = engine_run(in, true, false, in->in_place && !policy_may_hold(in->policy), &a, err);
    if (st != SNUG_OK)
        return st;
    if (a.any_held) {
        st = finish_audit(in, out, &a, err);
    } else {
        out->changed = a.changed;
        out->mutated = a.doc;
        a.doc = NULL;
        cJSON_Delete(out->patch);
        out->patch = a.ops;
        a.ops = NULL;
        take_warnings(out, NULL, &a.warn);
    }
    run_out_free(&a);
    return st;
}

snug_status mutate_pod(const mutate_input *in, mutate_result *out, snug_err *err)
{
    snug_status st;

    if (out == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "no result to fill");
    memset(out, 0, sizeof(*out));
    if (in == NULL || !cJSON_IsObject(in->pod))
        return snug_err_set(err, SNUG_ERR_INVALID, "pod: must be an object");
    out->patch = cJSON_CreateArray();
    if (out->patch == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    if (in->policy == NULL)
        st = skip(in, out, "no SizingPolicy matches", false, err);
    else
        st = run_modes(in, out, err);
    if (st != SNUG_OK)
        mutate_result_free(out);
    return st;
}

void mutate_result_free(mutate_result *r)
{
    size_t i;

    if (r == NULL)
        return;
    jsonarena_delete(r->patch);
    jsonarena_delete(r->mutated);
    jsonarena_delete(r->would_patch);
    free(r->skipped);
    for (i = 0; i < r->n_warnings; i++)
        free(r->warnings[i]);
    memset(r, 0, sizeof(*r));
}

void mutate_changed_str(unsigned changed, char *buf, size_t cap)
{
    static const struct {
        unsigned bit;
        const char *name;
    } parts[] = {
        {MUTATED_RESOURCES, "resources"}, {MUTATED_PROBES, "probes"}, {MUTATED_GO_ENV, "go-env"}};
    size_t i, len = 0, n;

    if (cap == 0)
        return;
    for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        if (!(changed & parts[i].bit))
            continue;
        if (len > 0 && len + 1 < cap)
            buf[len++] = ',';
        n = strlen(parts[i].name);
        if (n > cap - 1 - len)
            n = cap - 1 - len; /* cut, as snprintf would */
        memcpy(buf + len, parts[i].name, n);
        len += n;
    }
    buf[len] = '\0';
}

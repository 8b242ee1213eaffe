/* cli_mutate_doc.c -- one document at a time through the mutation engine,
 * for `snug-webhook mutate` and its fuzz target (see cli_mutate.h). */
#include "webhook/cli_mutate.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "model/limitrange.h"
#include "base/log.h"
#include "webhook/textdiff.h"
#include "model/workload.h"
#include "model/workload_template.h"
#include "yaml/yamljson.h"

#define LABEL_MAX       600
#define FIELD_MAX       256
#define LIST_DEPTH_MAX  8
#define NS_NAME_LABEL   "kubernetes.io/metadata.name"
#define MODE_ANNOTATION "snug.dev/mode"

/* Where we are while walking one document. */
typedef struct doc_walk {
    const cli_mutate_config *cfg;
    size_t index;     /* 1-based document number */
    dynbuf *warnings; /* may be NULL */
    bool changed;
    snug_err *err;
} doc_walk;

/* Append `s` to `b` with control characters and DEL escaped as \xNN. */
static snug_status add_escaped(dynbuf *b, const char *s)
{
    snug_status st = SNUG_OK;

    for (; *s != '\0' && st == SNUG_OK; s++) {
        unsigned char c = (unsigned char)*s;

        if (c < 0x20 || c == 0x7f)
            st = dynbuf_printf(b, "\\x%02x", c);
        else
            st = dynbuf_addc(b, (char)c);
    }
    return st;
}

/* Copy s into buf (cap bytes) with control characters escaped; cut to fit. */
static void copy_escaped(char *buf, size_t cap, const char *s)
{
    dynbuf b;

    if (cap == 0)
        return;
    dynbuf_init(&b, cap - 1);
    buf[0] = '\0';
    for (; *s != '\0'; s++) {
        size_t keep = dynbuf_len(&b);
        char one[2] = {*s, '\0'};

        if (add_escaped(&b, one) != SNUG_OK) {
            dynbuf_truncate(&b, keep);
            break;
        }
    }
    memcpy(buf, dynbuf_str(&b), dynbuf_len(&b) + 1);
    dynbuf_free(&b);
}

void cli_mutate_label(const cJSON *obj, const char *ns, size_t index, char *buf, size_t cap)
{
    const char *kind = workload_kind(obj), *name = workload_name(obj), *gen = NULL;
    const cJSON *md =
        cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, "metadata") : NULL;
    char raw[LABEL_MAX];

    if (name == NULL && cJSON_IsObject(md))
        gen = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(md, "generateName"));
    if (kind != NULL && (name != NULL || gen != NULL))
        snprintf(raw, sizeof(raw), "%s %s/%s%s", kind, ns ? ns : "default",
                 name != NULL ? name : gen, name != NULL ? "" : "*");
    else if (kind != NULL)
        snprintf(raw, sizeof(raw), "%s document %zu", kind, index);
    else
        snprintf(raw, sizeof(raw), "document %zu", index);
    copy_escaped(buf, cap, raw);
}

/* Append one "Warning: <label>: <text>" line. Never fails: a full buffer
 * drops the line. */
static void warn_line(doc_walk *w, const char *label, const char *text)
{
    size_t keep;
    snug_status st;

    if (w->warnings == NULL)
        return;
    keep = dynbuf_len(w->warnings);
    st = dynbuf_addstr(w->warnings, "Warning: ");
    if (st == SNUG_OK)
        st = dynbuf_addstr(w->warnings, label);
    if (st == SNUG_OK)
        st = dynbuf_addstr(w->warnings, ": ");
    if (st == SNUG_OK)
        st = add_escaped(w->warnings, text);
    if (st == SNUG_OK)
        st = dynbuf_addc(w->warnings, '\n');
    if (st != SNUG_OK)
        dynbuf_truncate(w->warnings, keep);
}

/* A document left as it was because it cannot be understood:
 * "Warning: input.yaml: document 3 (Deployment shop/web): <field>: <problem>;
 * passed through unchanged". */
static void warn_refused(doc_walk *w, const char *label, const char *prefix, const char *path,
                         const char *msg)
{
    char where[LABEL_MAX + 64], text[SNUG_ERR_MSG_MAX + FIELD_MAX + 64];
    const char *sep = "";

    /* The engine names fields from the Pod's root ("spec.containers..."):
     * join them to the template's path with a dot, anything else with ": ". */
    if (path[0] != '\0')
        sep = strncmp(msg, "spec", 4) == 0 || strncmp(msg, "metadata", 8) == 0 ? "." : ": ";
    snprintf(where, sizeof(where), "%s: document %zu (%s)",
             w->cfg->source ? w->cfg->source : "input", w->index, label);
    snprintf(text, sizeof(text), "%s%s%s%s; passed through unchanged", prefix, path, sep, msg);
    warn_line(w, where, text);
}

/* The namespace an object is handled in. */
static const char *object_namespace(const cli_mutate_config *cfg, const cJSON *obj)
{
    const char *ns = cfg->namespace;

    if (ns == NULL || ns[0] == '\0')
        ns = workload_namespace(obj);
    return ns != NULL && ns[0] != '\0' ? ns : "default";
}

/* The config's namespace labels plus kubernetes.io/metadata.name. */
static cJSON *namespace_labels(const doc_walk *w, const char *ns)
{
    cJSON *labels, *name;

    labels = cJSON_IsObject(w->cfg->namespace_labels) ? cJSON_Duplicate(w->cfg->namespace_labels, 1)
                                                      : cJSON_CreateObject();
    name = cJSON_CreateString(ns);
    if (labels == NULL || name == NULL)
        goto fail;
    cJSON_DeleteItemFromObjectCaseSensitive(labels, NS_NAME_LABEL);
    if (!cJSON_AddItemToObject(labels, NS_NAME_LABEL, name)) {
        name = NULL;
        goto fail;
    }
    return labels;
fail:
    cJSON_Delete(name);
    cJSON_Delete(labels);
    return NULL;
}

/* Fold the LimitRanges that apply in `ns` into *b; *any says if one did. */
static snug_status namespace_limits(const doc_walk *w, const char *ns, limitrange_bounds *b,
                                    bool *any)
{
    const cJSON *lr;

    limitrange_bounds_init(b);
    *any = false;
    cJSON_ArrayForEach(lr, w->cfg->limitranges)
    {
        const char *lns = workload_namespace(lr);
        snug_status st;

        if (lns != NULL && strcmp(lns, ns) != 0)
            continue;
        st = limitrange_add(b, lr, w->err);
        if (st != SNUG_OK)
            return st;
        *any = true;
    }
    return SNUG_OK;
}

/* The workload object opted out with snug.dev/mode: off. */
static bool workload_opted_out(const cJSON *obj)
{
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
    const cJSON *ann =
        cJSON_IsObject(md) ? cJSON_GetObjectItemCaseSensitive(md, "annotations") : NULL;
    const char *mode =
        cJSON_IsObject(ann)
            ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ann, MODE_ANNOTATION))
            : NULL;

    return mode != NULL && strcasecmp(mode, "off") == 0;
}

static const cJSON *pod_labels(const cJSON *pod)
{
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(pod, "metadata");
    const cJSON *labels =
        cJSON_IsObject(md) ? cJSON_GetObjectItemCaseSensitive(md, "labels") : NULL;

    return cJSON_IsObject(labels) ? labels : NULL;
}

static const recommendation *find_recommendation(const doc_walk *w, const cJSON *obj,
                                                 const workload_template *t, const char *ns)
{
    workload_ref ref;
    snug_status st;

    if (w->cfg->recs == NULL)
        return NULL;
    st = t->is_pod ? workload_from_pod(t->pod, NULL, NULL, &ref, NULL)
                   : workload_from_object(obj, &ref, NULL);
    if (st != SNUG_OK)
        return NULL;
    return rec_set_find(w->cfg->recs, ns, ref.kind, ref.name);
}

/* Run the engine on the template `t` of obj and put the result in place. */
static snug_status run_engine(doc_walk *w, cJSON *container, cJSON *obj, workload_template *t,
                              const char *ns, const char *label, const char *prefix)
{
    limitrange_bounds bounds;
    mutate_input in;
    mutate_result res;
    snug_err eerr;
    cJSON *nslabels = NULL, *mutated;
    bool any_limits = false;
    size_t i;
    snug_status st;

    memset(&in, 0, sizeof(in));
    memset(&res, 0, sizeof(res));
    nslabels = namespace_labels(w, ns);
    if (nslabels == NULL)
        return snug_err_set(w->err, SNUG_ERR_NOMEM, "out of memory");
    st = namespace_limits(w, ns, &bounds, &any_limits);
    if (st != SNUG_OK)
        goto out;
    in.pod = t->pod;
    in.namespace = ns;
    in.namespace_labels = nslabels;
    in.limits = any_limits ? &bounds : NULL;
    in.policy = policy_set_select(w->cfg->policies, pod_labels(t->pod), nslabels);
    in.rec = find_recommendation(w, obj, t, ns);
    in.is_create = true;
    if (in.policy == NULL) {
        snug_log(LOG_INFO, "cli", "no SizingPolicy matches", "object", label, NULL);
        goto out;
    }
    snug_err_clear(&eerr);
    st = mutate_pod(&in, &res, &eerr);
    if (st == SNUG_ERR_NOMEM) {
        snug_err_set(w->err, st, "%s", eerr.msg);
        goto out;
    }
    if (st != SNUG_OK) {
        warn_refused(w, label, prefix, t->path, eerr.msg[0] ? eerr.msg : snug_status_str(st));
        st = SNUG_OK;
        goto out;
    }
    if (w->cfg->observe != NULL)
        w->cfg->observe(t->pod, &in, &res, w->cfg->observe_ud);
    for (i = 0; i < res.n_warnings && i < MUTATE_MAX_WARNINGS; i++)
        if (res.warnings[i] != NULL)
            warn_line(w, label, res.warnings[i]);
    if (res.skipped != NULL && res.n_warnings == 0)
        snug_log(LOG_INFO, "cli", "skipped", "object", label, "reason", res.skipped, NULL);
    if (cJSON_GetArraySize(res.patch) > 0 && res.mutated != NULL) {
        mutated = res.mutated;
        res.mutated = NULL;
        st = workload_template_replace(container, obj, t, mutated, w->err);
        if (st == SNUG_OK)
            w->changed = true;
    }
out:
    mutate_result_free(&res);
    cJSON_Delete(nslabels);
    return st;
}

/* kubectl refuses a document whose namespace differs from -n; offline, the
 * given namespace wins, but say so. */
static void warn_namespace_mismatch(doc_walk *w, const cJSON *obj, const char *ns,
                                    const char *label)
{
    const char *own = workload_namespace(obj);
    char text[3 * WORKLOAD_NAME_MAX + 96];

    if (own == NULL || own[0] == '\0' || strcmp(own, ns) == 0)
        return;
    snprintf(text, sizeof(text),
             "metadata.namespace is \"%.253s\" but the namespace given is \"%.253s\"; using "
             "\"%.253s\"",
             own, ns, ns);
    warn_line(w, label, text);
}

static snug_status walk_object(doc_walk *w, cJSON *container, cJSON *obj, const char *prefix,
                               int depth);

/* Each item of a List, with "items[i]." in front of the fields it names. */
static snug_status walk_list(doc_walk *w, cJSON *list, const char *prefix, int depth)
{
    cJSON *items = cJSON_GetObjectItemCaseSensitive(list, "items"), *item, *next;
    size_t i = 0;

    if (!cJSON_IsArray(items))
        return SNUG_OK;
    for (item = items->child; item != NULL; item = next, i++) {
        char sub[FIELD_MAX];
        snug_status st;

        next = item->next; /* item may be replaced (and freed) below */
        snprintf(sub, sizeof(sub), "%sitems[%zu].", prefix, i);
        st = walk_object(w, items, item, sub, depth + 1);
        if (st != SNUG_OK)
            return st;
    }
    return SNUG_OK;
}

static snug_status walk_object(doc_walk *w, cJSON *container, cJSON *obj, const char *prefix,
                               int depth)
{
    workload_template t;
    snug_err terr;
    const char *ns;
    char label[LABEL_MAX];
    snug_status st;

    if (workload_is_list(obj))
        return depth < LIST_DEPTH_MAX ? walk_list(w, obj, prefix, depth) : SNUG_OK;
    snug_err_clear(&terr);
    st = workload_template_find(obj, &t, &terr);
    if (st == SNUG_ERR_UNSUPPORTED)
        return SNUG_OK;
    ns = object_namespace(w->cfg, obj);
    cli_mutate_label(obj, ns, w->index, label, sizeof(label));
    if (st != SNUG_OK) {
        warn_refused(w, label, prefix, "", terr.msg);
        return SNUG_OK;
    }
    warn_namespace_mismatch(w, obj, ns, label);
    if (!t.is_pod && workload_opted_out(obj)) {
        char text[WORKLOAD_KIND_MAX + 96];

        /* Worded like the engine's own skip warning for a Pod. */
        snprintf(text, sizeof(text),
                 "snug skipped this %s: opted out by annotation " MODE_ANNOTATION "=off",
                 workload_kind(obj));
        warn_line(w, label, text);
        return SNUG_OK;
    }
    return run_engine(w, container, obj, &t, ns, label, prefix);
}

snug_status cli_mutate_document(const cli_mutate_config *cfg, cJSON *container, cJSON *doc,
                                size_t index, dynbuf *warnings, bool *changed, snug_err *err)
{
    doc_walk w;
    snug_status st;

    memset(&w, 0, sizeof(w));
    w.cfg = cfg;
    w.index = index;
    w.warnings = warnings;
    w.err = err;
    st = walk_object(&w, container, doc, "", 0);
    if (changed != NULL)
        *changed = w.changed;
    return st;
}

/* Append doc as YAML, ending with a newline. */
static snug_status emit_doc(const cJSON *doc, dynbuf *out)
{
    snug_status st = yaml_emit(doc, out);

    if (st == SNUG_OK && dynbuf_len(out) > 0 && dynbuf_str(out)[dynbuf_len(out) - 1] != '\n')
        st = dynbuf_addc(out, '\n');
    return st;
}

/* Diff mode for one document: emit it before and after, diff the texts.
 * The document is docs' item after `prev` (the first when prev is NULL). */
static snug_status render_diff(const cli_mutate_config *cfg, cJSON *docs, cJSON *prev, cJSON *doc,
                               size_t index, dynbuf *out, dynbuf *warnings, snug_err *err)
{
    dynbuf before, after;
    char label[LABEL_MAX], la[LABEL_MAX + 16], lb[LABEL_MAX + 16];
    cJSON *now;
    snug_status st;

    dynbuf_init(&before, out->max);
    dynbuf_init(&after, out->max);
    cli_mutate_label(doc, object_namespace(cfg, doc), index, label, sizeof(label));
    st = emit_doc(doc, &before);
    if (st == SNUG_OK)
        st = cli_mutate_document(cfg, docs, doc, index, warnings, NULL, err);
    now = prev != NULL ? prev->next : docs->child; /* doc may have been replaced */
    if (st == SNUG_OK)
        st = emit_doc(now, &after);
    snprintf(la, sizeof(la), "%s (original)", label);
    snprintf(lb, sizeof(lb), "%s (mutated)", label);
    if (st == SNUG_OK)
        st = textdiff_unified(dynbuf_str(&before), dynbuf_len(&before), dynbuf_str(&after),
                              dynbuf_len(&after), la, lb, NULL, out, NULL, NULL);
    dynbuf_free(&before);
    dynbuf_free(&after);
    return st;
}

snug_status cli_mutate_render(const cli_mutate_config *cfg, cJSON *docs, bool diff, dynbuf *out,
                              dynbuf *warnings, snug_err *err)
{
    cJSON *doc, *next, *prev = NULL;
    size_t index = 0;
    snug_status st = SNUG_OK;
    snug_err derr;

    if (!cJSON_IsArray(docs))
        return snug_err_set(err, SNUG_ERR_INTERNAL, "documents must be an array");
    for (doc = docs->child; doc != NULL; doc = next) {
        next = doc->next; /* doc may be replaced (and freed) below */
        index++;
        snug_err_clear(&derr);
        if (diff) {
            st = render_diff(cfg, docs, prev, doc, index, out, warnings, &derr);
        } else {
            st = cli_mutate_document(cfg, docs, doc, index, warnings, NULL, &derr);
            if (st == SNUG_OK && dynbuf_len(out) > 0)
                st = dynbuf_addstr(out, "---\n");
            if (st == SNUG_OK)
                st = emit_doc(prev != NULL ? prev->next : docs->child, out);
        }
        if (st != SNUG_OK) {
            if (derr.msg[0] == '\0')
                snug_err_set(&derr, st, "%s",
                             st == SNUG_ERR_TOO_BIG ? "the output is larger than its limit"
                                                    : snug_status_str(st));
            return snug_err_set(err, st, "%s: document %zu: %s",
                                cfg->source ? cfg->source : "input", index, derr.msg);
        }
        prev = prev != NULL ? prev->next : docs->child;
    }
    return SNUG_OK;
}

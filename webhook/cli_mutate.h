/* cli_mutate.h -- the document pipeline behind `snug-webhook mutate`, shared
 * by the CLI (cli_mutate.c) and the fuzz target (tests/fuzz/fuzz_mutate.c).
 *
 * Each document of a stream is handled on its own:
 *  - a Pod is run through the engine (mutate_pod) as it is;
 *  - a workload (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob,
 *    ReplicationController, PodTemplate; see workload_template.h) has its pod
 *    template run through the engine, and the mutated template replaces the
 *    old one in place;
 *  - a `kind: List` has each of its items handled the same way;
 *  - anything else is kept exactly as it is.
 * The namespace is the config's, else the object's metadata.namespace, else
 * "default"; the namespace labels are the config's plus
 * kubernetes.io/metadata.name: <namespace>, as the API server sets it. The
 * policy is chosen with policy_set_select() from the template's labels; the
 * recommendation by the workload (workload_from_object, or workload_from_pod
 * for Pods); LimitRanges apply when in the same namespace or namespace-less.
 * The annotation snug.dev/mode: off on a workload object skips it (the engine
 * checks the Pod/template's own annotations). Offline rendering is creation,
 * so the engine runs with is_create = true.
 *
 * Fail open, as the webhook does: a document the engine refuses, or whose
 * template cannot be found, is passed through unchanged with a warning. Only
 * out-of-memory and output-size limits are errors.
 *
 * Warnings are appended to a dynbuf as lines:
 *   Warning: <Kind> <namespace>/<name>: <text>
 *   Warning: <source>: document <N> (<Kind> <namespace>/<name>): <field>: <problem>; passed
 *     through unchanged                           (one line; for refused documents)
 * Control characters in them are escaped (\xNN), so one warning is one line.
 */
#ifndef SNUG_CLI_MUTATE_H
#define SNUG_CLI_MUTATE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/dynbuf.h"
#include "webhook/mutate.h"
#include "model/policy.h"
#include "model/recommendation.h"
#include "base/status.h"

/* Called after each successful engine run, before the template is replaced:
 * `pod` is the Pod/template as given, `res` what the engine returned. The
 * fuzz target checks its invariants here. */
typedef void (*cli_mutate_observer)(const cJSON *pod, const mutate_input *in,
                                    const mutate_result *res, void *ud);

typedef struct cli_mutate_config {
    const policy_set *policies;    /* required; may be empty (nothing matches) */
    const rec_set *recs;           /* may be NULL */
    const cJSON *limitranges;      /* array of LimitRange objects; may be NULL */
    const char *namespace;         /* overrides the documents' own; may be NULL */
    const cJSON *namespace_labels; /* object; may be NULL */
    const char *source;            /* input name for messages ("input.yaml") */
    cli_mutate_observer observe;   /* may be NULL */
    void *observe_ud;
} cli_mutate_config;

/* Handle document `doc`, an item of the array `container` (a Pod document is
 * replaced inside it, so `doc` must not be used afterwards). `index` is the
 * 1-based document number for messages. Warnings go to `warnings` (may be
 * NULL; dropped silently once it is full). *changed (may be NULL) says
 * whether the document changed. Fails only with SNUG_ERR_NOMEM or
 * SNUG_ERR_INTERNAL. */
snug_status cli_mutate_document(const cli_mutate_config *cfg, cJSON *container, cJSON *doc,
                                size_t index, dynbuf *warnings, bool *changed, snug_err *err);

/* Handle every document of `docs` (an array as yaml_parse_stream returns;
 * changed in place) and append the result to `out`:
 *  - documents mode: each document as YAML (yaml_emit), in input order, with
 *    a line "---" before every document except when `out` is empty (so one
 *    document gets no separator, and several are joined by "---");
 *  - diff mode: for each document that changed, a unified diff of its YAML
 *    with headers "--- <Kind> <ns>/<name> (original)" and
 *    "+++ <Kind> <ns>/<name> (mutated)" and 3 lines of context; nothing for
 *    the others.
 * Fails with SNUG_ERR_TOO_BIG when `out` is full, SNUG_ERR_NOMEM, or
 * SNUG_ERR_INTERNAL; err then names the source and document. */
snug_status cli_mutate_render(const cli_mutate_config *cfg, cJSON *docs, bool diff, dynbuf *out,
                              dynbuf *warnings, snug_err *err);

/* A label for an object: "<Kind> <ns>/<name>", "<Kind> <ns>/<generateName>*",
 * "<Kind> document <N>" without a name, "document <N>" without a kind.
 * `ns` is the namespace the object is handled in. Control characters are
 * escaped. */
void cli_mutate_label(const cJSON *obj, const char *ns, size_t index, char *buf, size_t cap);

#endif

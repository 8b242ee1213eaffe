/* fuzz_mutate.c -- libFuzzer target for the `snug-webhook mutate` pipeline.
 *
 * The input is read as a YAML/JSON stream; every document goes through
 * cli_mutate_render(), the code the CLI runs, in documents mode and in diff
 * mode. Invariants checked (abort() on violation):
 *  - nothing crashes, leaks or trips a sanitizer;
 *  - for every engine run, the patch applied to the Pod/template as given
 *    (jsonpatch_apply) gives exactly `mutated`; under a policy in Audit
 *    the patch is empty; an Audit result has a `would_patch` that applies;
 *  - the rendered output parses back into the same documents
 *    (yaml_parse(yaml_emit(x)) == x, and the "---" separators are right);
 *  - rendering fails only when the output is too big.
 * The policy is the built-in default for most inputs; the input's length
 * picks one of two fixed extra setups (an Audit policy; an Always policy with
 * Go detection, a recommendation and a LimitRange) so those paths are fuzzed
 * too.
 *
 * Build and run: scripts/fuzz.sh [seconds], or
 *   cmake -S . -B build-fuzz -G Ninja -DCMAKE_C_COMPILER=clang -DSNUG_FUZZ=ON
 *   ninja -C build-fuzz fuzz_mutate
 *   build-fuzz/fuzz_mutate tests/fuzz/corpus_mutate -max_total_time=60
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "webhook/cli_mutate.h"
#include "json/jsonpatch.h"
#include "base/log.h"
#include "model/policy.h"
#include "model/recommendation.h"
#include "yaml/yamljson.h"

#define FUZZ_MAX_INPUT  (1u << 20)
#define FUZZ_MAX_OUTPUT ((size_t)64 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct setup {
    policy_set *policies;
    rec_set *recs;
    cJSON *limitranges;
    cJSON *ns_labels;
} setup;

static setup setups[3];

static const char audit_policy[] = "apiVersion: snug.dev/v1alpha1\n"
                                   "kind: SizingPolicy\n"
                                   "metadata: {name: audit}\n"
                                   "spec:\n"
                                   "  mode: Audit\n"
                                   "  goRuntime: {detect: Always}\n";

static const char always_policy[] = "apiVersion: snug.dev/v1alpha1\n"
                                    "kind: SizingPolicy\n"
                                    "metadata: {name: always}\n"
                                    "spec:\n"
                                    "  priority: 5\n"
                                    "  namespaceSelector: {matchLabels: {team: a}}\n"
                                    "  resources:\n"
                                    "    apply: Always\n"
                                    "    cpuLimit: {strategy: Ratio, ratio: 2.0}\n"
                                    "    memoryLimit: {strategy: Ratio, ratio: 1.5}\n"
                                    "  probes: {paths: {liveness: /healthz, readiness: /ready}}\n"
                                    "  goRuntime: {detect: Always, gomaxprocs: Always}\n"
                                    "  containers:\n"
                                    "  - {name: sidecar, mode: \"Off\"}\n"
                                    "  - {name: audited, mode: Audit}\n"
                                    "---\n"
                                    "apiVersion: snug.dev/v1alpha1\n"
                                    "kind: SizingPolicy\n"
                                    "metadata: {name: fallback}\n";

static const char recommendations[] =
    "apiVersion: snug.dev/v1alpha1\n"
    "kind: Recommendation\n"
    "metadata: {name: deployment-web, namespace: default}\n"
    "spec: {targetRef: {apiVersion: apps/v1, kind: Deployment, name: web}}\n"
    "status:\n"
    "  containers:\n"
    "  - name: app\n"
    "    runtime: go\n"
    "    target: {cpu: 250m, memory: 300Mi}\n"
    "    upperBound: {cpu: 1200m, memory: 400Mi}\n"
    "    limits: {memory: 512Mi}\n"
    "    observed: {startupSeconds: 12}\n"
    "---\n"
    "apiVersion: snug.dev/v1alpha1\n"
    "kind: Recommendation\n"
    "metadata: {name: pod-p, namespace: default}\n"
    "spec: {targetRef: {apiVersion: v1, kind: Pod, name: p}}\n"
    "status:\n"
    "  containers:\n"
    "  - {name: app, target: {cpu: 3, memory: 20Gi}}\n";

static const char limitranges[] = "apiVersion: v1\n"
                                  "kind: LimitRange\n"
                                  "metadata: {name: lr}\n"
                                  "spec:\n"
                                  "  limits:\n"
                                  "  - type: Container\n"
                                  "    min: {cpu: 20m, memory: 48Mi}\n"
                                  "    max: {cpu: \"2\", memory: 4Gi}\n"
                                  "    maxLimitRequestRatio: {cpu: \"4\"}\n"
                                  "  - type: Pod\n"
                                  "    max: {memory: 6Gi}\n";

static cJSON *parse_or_die(const char *text)
{
    cJSON *docs = NULL;
    snug_err err;

    if (yaml_parse_stream(text, strlen(text), FUZZ_MAX_INPUT, &docs, &err) != SNUG_OK) {
        fprintf(stderr, "fuzz_mutate: fixed setup does not parse: %s\n", err.msg);
        abort();
    }
    return docs;
}

static void setup_or_die(void)
{
    snug_err err;
    cJSON *docs;
    size_t i;

    log_set_level(LOG_OFF);
    for (i = 0; i < 3; i++) {
        if (i == 0) {
            setups[i].policies = policy_set_new();
            if (setups[i].policies == NULL ||
                policy_set_add(setups[i].policies, policy_builtin_default()) != SNUG_OK)
                abort();
            continue;
        }
        docs = parse_or_die(i == 1 ? audit_policy : always_policy);
        if (policy_set_load(docs, &setups[i].policies, &err) != SNUG_OK) {
            fprintf(stderr, "fuzz_mutate: fixed policy refused: %s\n", err.msg);
            abort();
        }
        cJSON_Delete(docs);
    }
    docs = parse_or_die(recommendations);
    if (rec_set_load(docs, "default", &setups[2].recs, &err) != SNUG_OK) {
        fprintf(stderr, "fuzz_mutate: fixed recommendations refused: %s\n", err.msg);
        abort();
    }
    cJSON_Delete(docs);
    setups[2].limitranges = parse_or_die(limitranges);
    setups[2].ns_labels = cJSON_Parse("{\"team\":\"a\"}");
    if (setups[2].ns_labels == NULL)
        abort();
}

static void print_json(const char *what, const cJSON *j)
{
    char *s = cJSON_PrintUnformatted(j);

    fprintf(stderr, "%s: %s\n", what, s ? s : "(out of memory)");
    cJSON_free(s);
}

/* Applying `patch` to a copy of `pod` works and, when `want` is given,
 * gives it. */
static void check_patch(const char *what, const cJSON *pod, const cJSON *patch, const cJSON *want)
{
    cJSON *copy = cJSON_Duplicate(pod, 1);
    snug_err err;

    if (copy == NULL)
        return;
    snug_err_clear(&err);
    if (!cJSON_IsArray(patch) || jsonpatch_apply(copy, patch, &err) != SNUG_OK) {
        fprintf(stderr, "fuzz_mutate: %s does not apply: %s\n", what, err.msg);
        print_json("pod", pod);
        print_json(what, patch);
        abort();
    }
    if (want != NULL && !cJSON_Compare(copy, want, 1)) {
        fprintf(stderr, "fuzz_mutate: pod + %s != mutated\n", what);
        print_json("pod", pod);
        print_json(what, patch);
        print_json("pod + patch", copy);
        print_json("mutated", want);
        abort();
    }
    cJSON_Delete(copy);
}

static bool same_json(const cJSON *a, const cJSON *b)
{
    return (a == NULL && b == NULL) || (a != NULL && b != NULL && cJSON_Compare(a, b, 1));
}

/* The admission server's way (in_place: the engine patches the Pod it is
 * given instead of a copy) must give the same answer. */
static void check_in_place(const mutate_input *in, const mutate_result *res)
{
    mutate_input ip = *in;
    mutate_result r;
    size_t i;
    bool same;

    ip.pod = cJSON_Duplicate(in->pod, 1);
    ip.in_place = true;
    if (ip.pod == NULL || mutate_pod(&ip, &r, NULL) != SNUG_OK) {
        cJSON_Delete((cJSON *)ip.pod);
        return; /* out of memory: nothing to compare */
    }
    same = same_json(r.patch, res->patch) && same_json(r.would_patch, res->would_patch) &&
           r.changed == res->changed && r.audit == res->audit && r.n_warnings == res->n_warnings;
    for (i = 0; same && i < r.n_warnings; i++)
        same = strcmp(r.warnings[i], res->warnings[i]) == 0;
    if (!same) {
        fprintf(stderr, "fuzz_mutate: in_place differs from a run on a copy\n");
        print_json("pod", in->pod);
        print_json("patch", res->patch);
        print_json("in-place patch", r.patch);
        abort();
    }
    mutate_result_free(&r);
    cJSON_Delete((cJSON *)ip.pod);
}

static void observe(const cJSON *pod, const mutate_input *in, const mutate_result *res, void *ud)
{
    (void)ud;
    if (res->patch == NULL || res->mutated == NULL) {
        fprintf(stderr, "fuzz_mutate: result without patch or mutated\n");
        abort();
    }
    check_patch("patch", pod, res->patch, res->mutated);
    /* A policy in Audit holds everything back; a container override in
     * Audit only that container, so the others may still be patched. */
    if (in->policy != NULL && in->policy->mode == POLICY_MODE_AUDIT &&
        cJSON_GetArraySize(res->patch) != 0) {
        fprintf(stderr, "fuzz_mutate: Audit mode produced a patch\n");
        print_json("pod", pod);
        print_json("patch", res->patch);
        abort();
    }
    if (res->audit && res->would_patch == NULL) {
        fprintf(stderr, "fuzz_mutate: Audit result without would_patch\n");
        abort();
    }
    if (res->would_patch != NULL)
        check_patch("would_patch", pod, res->would_patch, NULL);
    check_in_place(in, res);
}

/* The rendered stream parses back into the rendered documents. */
static void check_roundtrip(const cJSON *docs, const dynbuf *out)
{
    cJSON *back = NULL;
    snug_err err;

    snug_err_clear(&err);
    if (yaml_parse_stream(dynbuf_str(out), dynbuf_len(out), FUZZ_MAX_OUTPUT, &back, &err) !=
        SNUG_OK) {
        if (err.status == SNUG_ERR_NOMEM)
            return;
        fprintf(stderr, "fuzz_mutate: output does not parse back: %s\n--- output:\n%s", err.msg,
                dynbuf_str(out));
        abort();
    }
    if (!cJSON_Compare(docs, back, 1)) {
        fprintf(stderr, "fuzz_mutate: output parses back to other documents\n--- output:\n%s",
                dynbuf_str(out));
        print_json("documents", docs);
        print_json("parsed back", back);
        abort();
    }
    cJSON_Delete(back);
}

static void render(const setup *s, cJSON *docs, bool diff)
{
    cli_mutate_config cfg;
    dynbuf out, warnings;
    snug_err err;
    snug_status st;

    memset(&cfg, 0, sizeof(cfg));
    cfg.policies = s->policies;
    cfg.recs = s->recs;
    cfg.limitranges = s->limitranges;
    cfg.namespace_labels = s->ns_labels;
    cfg.source = "fuzz";
    cfg.observe = observe;
    dynbuf_init(&out, FUZZ_MAX_OUTPUT);
    dynbuf_init(&warnings, 1 << 20);
    snug_err_clear(&err);
    st = cli_mutate_render(&cfg, docs, diff, &out, &warnings, &err);
    if (st != SNUG_OK && st != SNUG_ERR_TOO_BIG && st != SNUG_ERR_NOMEM) {
        fprintf(stderr, "fuzz_mutate: render failed: %s: %s\n", snug_status_str(st), err.msg);
        abort();
    }
    if (st == SNUG_OK && !diff)
        check_roundtrip(docs, &out);
    dynbuf_free(&out);
    dynbuf_free(&warnings);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool ready;
    const setup *s;
    cJSON *docs = NULL, *copy;

    if (!ready) {
        setup_or_die();
        ready = true;
    }
    if (yaml_parse_stream((const char *)data, size, FUZZ_MAX_INPUT, &docs, NULL) != SNUG_OK)
        return 0;
    s = &setups[size % 3];
    copy = cJSON_Duplicate(docs, 1);
    render(s, docs, false);
    if (copy != NULL)
        render(s, copy, true);
    cJSON_Delete(docs);
    cJSON_Delete(copy);
    return 0;
}

/* fuzz_admission.c -- libFuzzer target for the AdmissionReview handler, the
 * code every request body reaches (webhook/admission.c).
 *
 * The input is a request body. The store holds the built-in policy, an Audit
 * policy for one namespace and a recommendation, so the engine runs its
 * full path. The per-request JSON arena is installed, as in the server.
 * Invariants checked (abort() on violation):
 *  - nothing crashes, leaks or trips a sanitizer;
 *  - the status is 200 or 400 (the handler never denies and never fails but
 *    for out of memory); a 400 has a plain-text body;
 *  - a 200 body is an AdmissionReview echoing the request's uid, with
 *    allowed: true; a patch, when present, is base64 of a JSON array and
 *    comes with patchType JSONPatch.
 *
 * Run: scripts/fuzz.sh 60 admission (corpus: tests/fuzz/corpus_admission).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "webhook/admission.h"
#include "json/base64.h"
#include "json/jsonarena.h"
#include "base/log.h"
#include "webhook/store.h"
#include "yaml/yamljson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *fuzz_recs = "apiVersion: snug.dev/v1alpha1\n"
                               "kind: Recommendation\n"
                               "metadata: {name: deployment-web, namespace: shop}\n"
                               "spec: {targetRef: {kind: Deployment, name: web}}\n"
                               "status:\n"
                               "  containers:\n"
                               "  - {name: app, runtime: go, target: {cpu: 250m, memory: 300Mi},\n"
                               "     upperBound: {cpu: 1200m}, limits: {memory: 512Mi}}\n";
static const char *fuzz_audit = "apiVersion: snug.dev/v1alpha1\n"
                                "kind: SizingPolicy\n"
                                "metadata: {name: audit}\n"
                                "spec:\n"
                                "  priority: 5\n"
                                "  mode: Audit\n"
                                "  namespaceSelector: {matchLabels: "
                                "{kubernetes.io/metadata.name: audit}}\n";

static store *fuzz_store(void)
{
    store *s = store_new(0);
    cJSON *docs = NULL;
    rec_set *rs = NULL;
    policy *p = NULL;

    store_put_policy(s, policy_builtin_default());
    if (yaml_parse_stream(fuzz_audit, strlen(fuzz_audit), 1 << 16, &docs, NULL) == SNUG_OK &&
        policy_parse(cJSON_GetArrayItem(docs, 0), &p, NULL) == SNUG_OK)
        store_put_policy(s, p);
    cJSON_Delete(docs);
    docs = NULL;
    if (yaml_parse_stream(fuzz_recs, strlen(fuzz_recs), 1 << 16, &docs, NULL) == SNUG_OK &&
        rec_set_load(docs, "default", &rs, NULL) == SNUG_OK)
        store_replace_recommendations(s, rs);
    cJSON_Delete(docs);
    return s;
}

static void check_patch(const cJSON *resp)
{
    const cJSON *patch = cJSON_GetObjectItemCaseSensitive(resp, "patch");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(resp, "patchType");
    unsigned char *raw = NULL;
    size_t n = 0;
    cJSON *ops;

    if (patch == NULL)
        return;
    if (!cJSON_IsString(patch) || !cJSON_IsString(type) ||
        strcmp(type->valuestring, "JSONPatch") != 0)
        abort();
    if (base64_decode(patch->valuestring, "patch", &raw, &n, NULL) != SNUG_OK)
        abort();
    ops = cJSON_ParseWithLength((const char *)raw, n);
    if (!cJSON_IsArray(ops) || cJSON_GetArraySize(ops) == 0)
        abort();
    cJSON_Delete(ops);
    free(raw);
}

static void check_ok_body(const admission_result *r)
{
    cJSON *review = cJSON_ParseWithLength(r->body, r->body_len);
    const cJSON *resp = cJSON_GetObjectItemCaseSensitive(review, "response");
    const cJSON *uid = cJSON_GetObjectItemCaseSensitive(resp, "uid");

    if (!cJSON_IsObject(resp) || !cJSON_IsString(uid) || strcmp(uid->valuestring, r->uid) != 0 ||
        !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(resp, "allowed")))
        abort();
    check_patch(resp);
    cJSON_Delete(review);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static store *s;
    admission_result r;

    if (s == NULL) {
        log_set_level(LOG_OFF);
        jsonarena_install();
        s = fuzz_store();
    }
    if (admission_handle(s, (const char *)data, size, &r) != SNUG_OK)
        abort(); /* only NOMEM may fail */
    if (r.http_status == 200)
        check_ok_body(&r);
    else if (r.http_status != 400 || strcmp(r.content_type, "text/plain") != 0)
        abort();
    admission_result_free(&r);
    return 0;
}

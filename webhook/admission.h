/* admission.h -- the AdmissionReview handler: request body in, HTTP status
 * and response body out. No I/O: it reads the store and runs the engine.
 *
 * Accepted: `admission.k8s.io/v1` (and `v1beta1`, same shape) AdmissionReview
 * objects. The response echoes apiVersion, kind and request.uid. Only Pods
 * on CREATE (no subresource) are mutated; every other kind, operation or
 * subresource is allowed unchanged. `dryRun` requests are answered the same
 * way (the handler has no side effects). The handler never denies:
 *  - a review it cannot read at all (not JSON, not an object, no request, no
 *    usable uid, a foreign apiVersion/kind) gets HTTP 400 and a plain-text
 *    message, which the API server treats as a webhook failure, and with
 *    failurePolicy Ignore admits the Pod;
 *  - a readable review with something snug does not understand (no object, a
 *    Pod the engine refuses) gets allowed: true with a warning.
 */
#ifndef SNUG_ADMISSION_H
#define SNUG_ADMISSION_H

#include <stdbool.h>
#include <stddef.h>

#include "base/status.h"
#include "webhook/store.h"

typedef enum admission_outcome {
    ADMISSION_MUTATED = 0, /* allowed with a patch */
    ADMISSION_UNCHANGED,   /* a Pod CREATE that needed no change */
    ADMISSION_SKIPPED,     /* not a Pod CREATE, opted out, no policy, mode Off */
    ADMISSION_AUDIT,       /* Audit: allowed unchanged, warning says what it would do */
    ADMISSION_INVALID,     /* readable review, unreadable Pod: allowed with a warning */
    ADMISSION_BAD_REQUEST, /* unreadable review: HTTP 400 */
    ADMISSION_OUTCOME_COUNT
} admission_outcome;

#define ADMISSION_UID_MAX 256

typedef struct admission_result {
    int http_status; /* 200 or 400 */
    admission_outcome outcome;
    const char *content_type; /* "application/json" or "text/plain" (static) */
    char *body;               /* owned, NUL-terminated */
    size_t body_len;
    unsigned changed; /* MUTATED_* bits (also for Audit: what it would change) */
    bool dry_run;
    char uid[ADMISSION_UID_MAX + 1];
} admission_result;

/* Handle one request body. Returns SNUG_OK with *out filled (free with
 * admission_result_free) for every input, also malformed ones (then
 * http_status is 400); SNUG_ERR_NOMEM is the only failure. Once
 * jsonarena_install() was called, the request's JSON work runs in this
 * thread's arena (lib/json/jsonarena.h); nothing cJSON made escapes the call. */
snug_status admission_handle(store *s, const char *body, size_t len, admission_result *out);

void admission_result_free(admission_result *r);

/* "mutated", "unchanged", "skipped", "audit", "invalid", "bad_request". */
const char *admission_outcome_name(admission_outcome o);

#endif

/* kube_api.h -- pure helpers for the Kubernetes REST API conventions: resource
 * paths, query strings, mapping HTTP statuses and `Status` objects to
 * snug_status, and MicroTime timestamps. Nothing here does I/O, so all of it
 * is unit-tested directly.
 *
 * Paths:
 *   core group      /api/v1[/namespaces/<ns>]/<resource>[/<name>[/<sub>]]
 *   named groups    /apis/<group>/<version>[/namespaces/<ns>]/...
 * Every name segment and query value is percent-encoded (RFC 3986: only
 * A-Z a-z 0-9 - . _ ~ are left as they are), so label selectors such as
 * "app in (a,b),tier!=db" travel intact.
 */
#ifndef SNUG_KUBE_API_H
#define SNUG_KUBE_API_H

#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "base/dynbuf.h"
#include "base/status.h"

/* Longest request path + query the client builds. */
#define KUBE_MAX_PATH (64u << 10)

/* One REST resource. The strings are borrowed; nothing here frees them. */
typedef struct kube_resource {
    const char *group;    /* NULL or "" for the core ("legacy") group */
    const char *version;  /* "v1", "v1alpha1" */
    const char *resource; /* lower-case plural: "configmaps", "leases" */
} kube_resource;

/* Append `s` percent-encoded to `out`. Fails only on TOO_BIG/NOMEM. */
snug_status kube_url_escape(dynbuf *out, const char *s);

/* Append the path of a resource collection or object to `out`:
 * `ns` NULL or "" means cluster-scoped (or all namespaces for a list);
 * `name` NULL means the collection; `subresource` ("status") needs a name.
 * SNUG_ERR_INVALID (naming the field) when version/resource are missing, a
 * given name is empty, or a subresource has no name. */
snug_status kube_path_build(dynbuf *out, const kube_resource *r, const char *ns, const char *name,
                            const char *subresource, snug_err *err);

/* Append "?key=value" (first parameter, when `url` has no '?') or
 * "&key=value", with both parts percent-encoded. A NULL value is skipped
 * (returns SNUG_OK and appends nothing). */
snug_status kube_query_add(dynbuf *url, const char *key, const char *value);

/* Same with an integer value. */
snug_status kube_query_add_long(dynbuf *url, const char *key, long value);

/* The snug_status for an HTTP response code: 2xx OK, 401/403 UNAUTHORIZED,
 * 404 NOT_FOUND, 409 CONFLICT, 410 GONE, 422 INVALID, 408/504 TIMEOUT, 413
 * TOO_BIG, other codes HTTP. */
snug_status kube_status_from_http(long http_code);

/* Fill `err` for a failed response: `what` (e.g. "GET /api/v1/...") is the
 * prefix, then the HTTP code, then the `message` and `reason` of the
 * API server's Status object when `body` is one, else the start of the body.
 * Returns the mapped status (see kube_status_from_http). */
snug_status kube_error_from_response(long http_code, const char *body, size_t len, const char *what,
                                     snug_err *err);

/* Fill `err` from a Status object (a watch ERROR event): the status comes
 * from its `code` (410 -> GONE...; missing code -> HTTP) and the message from
 * `message`/`reason`. */
snug_status kube_error_from_status_object(const cJSON *status, const char *what, snug_err *err);

/* Write `ts` (CLOCK_REALTIME) as a Kubernetes MicroTime,
 * "2006-01-02T15:04:05.000000Z", into `out` (at least KUBE_MICROTIME_LEN
 * bytes). */
#define KUBE_MICROTIME_LEN 32
void kube_microtime_format(const struct timespec *ts, char *out);

/* Parse a MicroTime or a plain RFC 3339 time in UTC ("...Z", fraction
 * optional) into `ts`. SNUG_ERR_PARSE on anything else. */
snug_status kube_microtime_parse(const char *s, struct timespec *ts, snug_err *err);

/* Borrowed-pointer accessors for common metadata fields; NULL when absent or
 * not a string. */
const char *kube_obj_name(const cJSON *obj);
const char *kube_obj_namespace(const cJSON *obj);
const char *kube_obj_resource_version(const cJSON *obj);

/* A string member of `obj` (NULL when absent or not a string). */
const char *kube_json_str(const cJSON *obj, const char *key);

#endif

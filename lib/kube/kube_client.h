/* kube_client.h -- a Kubernetes API client over libcurl.
 *
 * One kube_client belongs to one thread: it owns one long-lived CURL easy
 * handle (so connections and TLS sessions are reused) and a client-side rate
 * limiter (token bucket, default 20 QPS, burst 30, counted per client). Other
 * threads make their own with kube_client_clone() or kube_client_new() on the
 * same kube_config. Everything speaks HTTP/1.1 (a watch is one long response
 * on its own connection).
 *
 * Every call returns snug_status and fills `err` with "<METHOD> <path>: HTTP
 * <code>: <message> (<reason>)", the message and reason taken from the API
 * server's Status object. HTTP statuses map as kube_status_from_http()
 * (401/403 UNAUTHORIZED, 404 NOT_FOUND, 409 CONFLICT, 410 GONE, 422 INVALID,
 * 5xx HTTP); transport failures are SNUG_ERR_IO (connect/send/receive),
 * SNUG_ERR_TLS, SNUG_ERR_TIMEOUT (the request timeout passed) or
 * SNUG_ERR_TOO_BIG (the response exceeded its bound). A 401 makes the client
 * re-read a file-based token and retry once when it changed; a 429 is retried
 * up to three times after the server's Retry-After (at most 10 s).
 *
 * An abort flag (kube_client_set_abort) stops a request in progress within
 * about a second (curl's progress callback) and makes waits return early:
 * the call then fails with SNUG_ERR_IO and the message "aborted".
 *
 * Objects returned through `cJSON **out` are owned by the caller
 * (cJSON_Delete); `out` may be NULL when the response is not wanted. Nothing
 * here prints; requests are logged at debug level through snug_log.
 *
 * This header has the client, raw requests and watches; the object calls
 * (get, list, apply, patch, create, update, delete) are in kube/kube_objects.h,
 * which includes this header.
 */
#ifndef SNUG_KUBE_CLIENT_H
#define SNUG_KUBE_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "kube/kube_api.h"
#include "kube/kube_config.h"
#include "kube/kube_watch.h"
#include "base/status.h"

#define KUBE_MAX_RESPONSE            (8u << 20)  /* single objects, patches */
#define KUBE_MAX_LIST_RESPONSE       (64u << 20) /* one page of a list */
#define KUBE_MAX_WATCH_EVENT         (16u << 20) /* one watch event line */
#define KUBE_DEFAULT_TIMEOUT_MS      30000
#define KUBE_DEFAULT_PAGE_SIZE       500
#define KUBE_DEFAULT_WATCH_TIMEOUT_S 300

typedef struct kube_client kube_client;

typedef struct kube_client_opts {
    double qps;              /* <= 0: 20 */
    int burst;               /* <= 0: 30 */
    long timeout_ms;         /* per request except watches; <= 0: 30000 */
    long connect_timeout_ms; /* <= 0: 10000 */
    const char *user_agent;  /* NULL: "snug/<version>"; copied */
} kube_client_opts;

/* Make a client for `cfg` (takes its own reference; the caller may free its
 * own). `opts` may be NULL for the defaults. */
snug_status kube_client_new(kube_config *cfg, const kube_client_opts *opts, kube_client **out,
                            snug_err *err);

/* A new client with the same config and options, for another thread. Only
 * reads immutable parts of `c`, so it may be called from any thread. */
snug_status kube_client_clone(const kube_client *c, kube_client **out, snug_err *err);

/* Close the connection and free. NULL is ignored. */
void kube_client_free(kube_client *c);

/* The config the client uses (borrowed). */
kube_config *kube_client_config(const kube_client *c);

/* Watch `*flag` (read atomically; NULL to stop watching): while it is
 * non-zero, requests and rate-limit waits are abandoned. The flag must
 * outlive its use. */
void kube_client_set_abort(kube_client *c, const int *flag);

/* Change the per-request timeout (<= 0: the default). */
void kube_client_set_timeout(kube_client *c, long timeout_ms);

/* A raw request: `path_query` starts with '/' (see kube_path_build,
 * kube_query_add); `body` may be NULL; the response (at most `max_response`
 * bytes) is parsed as JSON into *out when out is not NULL. */
snug_status kube_request(kube_client *c, const char *method, const char *path_query,
                         const char *content_type, const char *body, size_t max_response,
                         cJSON **out, snug_err *err);

typedef struct kube_watch_opts {
    const char *label_selector;
    const char *field_selector;
    const char *resource_version; /* resume point; NULL/"": start now */
    long timeout_seconds;         /* server ends the watch after this; <= 0: 300 */
    int no_bookmarks;             /* 0: ask for BOOKMARK events (the default) */
} kube_watch_opts;

/* Called once per watch event, on the calling thread. `*object` belongs to
 * the watch; the callback may take it by setting *object = NULL (then it
 * must cJSON_Delete it). Return 0 to continue, non-zero to end the watch
 * (kube_watch then returns SNUG_OK). ERROR events never reach the callback. */
typedef int (*kube_watch_fn)(kube_watch_type type, cJSON **object, void *ud);

/* Watch a collection (`ns` NULL: all namespaces / cluster-scoped) with
 * watch=true&allowWatchBookmarks=true, splitting the stream into events on
 * newlines. Returns SNUG_OK when the server ended the stream (timeoutSeconds)
 * or the callback stopped it; SNUG_ERR_GONE on HTTP 410 or an ERROR event
 * with code 410 (relist); the mapped error for other ERROR events; the
 * transport errors above when the connection breaks. */
snug_status kube_watch(kube_client *c, const kube_resource *r, const char *ns,
                       const kube_watch_opts *o, kube_watch_fn fn, void *ud, snug_err *err);

/* ---- request counters ---------------------------------------------------------------
 *
 * Every HTTP exchange any client of the process makes (each attempt: a 401
 * or 429 retry counts again; a request abandoned before it was sent, by the
 * abort flag or a failure to build it, does not) is counted once, when it
 * ends, by verb and outcome class. The counters are process-wide atomics,
 * updated from any thread, and only grow.
 *
 * Verb (kube_request_verb), from the method and the path:
 *   POST CREATE, PUT UPDATE, PATCH PATCH (apply too), DELETE DELETE (a
 *   collection's too); GET with a query parameter watch=true or watch=1, or a
 *   /watch/ path, WATCH; GET of a resource collection (/api/v1/pods,
 *   /apis/apps/v1/namespaces/x/deployments) LIST; any other GET (an object,
 *   its subresource, discovery, /version) GET; any other method OTHER.
 * Outcome (kube_code_class_of), from the HTTP status received: 2xx, 4xx,
 *   5xx, OTHER (1xx, 3xx); ERROR when no status was received at all
 *   (connection refused, DNS, TLS, timeout or abort before the answer). A
 *   stream that broke after its status arrived counts under that status.
 */
typedef enum kube_verb {
    KUBE_VERB_GET = 0,
    KUBE_VERB_LIST,
    KUBE_VERB_WATCH,
    KUBE_VERB_CREATE,
    KUBE_VERB_UPDATE,
    KUBE_VERB_PATCH,
    KUBE_VERB_DELETE,
    KUBE_VERB_OTHER,
    KUBE_VERB_COUNT
} kube_verb;

typedef enum kube_code_class {
    KUBE_CODE_2XX = 0,
    KUBE_CODE_4XX,
    KUBE_CODE_5XX,
    KUBE_CODE_ERROR,
    KUBE_CODE_OTHER,
    KUBE_CODE_COUNT
} kube_code_class;

typedef struct kube_request_stats {
    uint64_t counts[KUBE_VERB_COUNT][KUBE_CODE_COUNT]; /* [verb][class] */
} kube_request_stats;

/* A snapshot of the process-wide counters (each read atomically). */
void kube_request_counts(kube_request_stats *out);

/* The verb of a request (see above); `path_query` as given to kube_request. */
kube_verb kube_request_verb(const char *method, const char *path_query);

/* The class of an HTTP status; 0 (none received) is KUBE_CODE_ERROR. */
kube_code_class kube_code_class_of(long http_code);

/* Label values: "GET", "LIST", "WATCH", "CREATE", "UPDATE", "PATCH",
 * "DELETE", "OTHER"; "2xx", "4xx", "5xx", "error", "other". "?" out of range. */
const char *kube_verb_name(kube_verb v);
const char *kube_code_class_name(kube_code_class c);

#endif

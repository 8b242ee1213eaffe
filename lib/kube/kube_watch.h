/* kube_watch.h -- the watch stream format, independent of HTTP.
 *
 * A watch response body is a stream of JSON objects, one per line:
 *   {"type":"ADDED","object":{...}}\n
 * HTTP transfer chunks have nothing to do with those lines: one chunk may
 * hold half an event or ten of them. kube_linesplit reassembles lines from
 * arbitrary pieces; kube_watch_parse_event turns one line into a typed event.
 * Event types: ADDED / MODIFIED / DELETED (object = the object, for DELETED
 * its last state), BOOKMARK (object carries only kind, apiVersion and
 * metadata.resourceVersion), ERROR (object is a Status; code 410 = the
 * resourceVersion is too old, relist).
 */
#ifndef SNUG_KUBE_WATCH_H
#define SNUG_KUBE_WATCH_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "base/dynbuf.h"
#include "base/status.h"

/* Called once per complete line, without the '\n' (and without a trailing
 * '\r'); blank lines are skipped. `line` is NUL-terminated and valid only
 * during the call. Return 0 to go on, non-zero to stop feeding. */
typedef int (*kube_line_fn)(const char *line, size_t len, void *ud);

typedef struct kube_linesplit {
    dynbuf partial; /* bytes of the line not yet terminated */
    int stopped;    /* a callback returned non-zero */
} kube_linesplit;

/* Prepare a splitter whose lines may be at most `max_line` bytes. */
void kube_linesplit_init(kube_linesplit *ls, size_t max_line);

/* Feed `len` bytes, calling `fn` for every line completed by them. Returns
 * SNUG_OK (also when a callback asked to stop: then ls->stopped is set and
 * the rest of `data` is dropped), SNUG_ERR_TOO_BIG when a line grows past
 * `max_line`, SNUG_ERR_NOMEM. Feeding after a stop does nothing. */
snug_status kube_linesplit_feed(kube_linesplit *ls, const char *data, size_t len, kube_line_fn fn,
                                void *ud);

/* Bytes received after the last newline (an incomplete line). */
size_t kube_linesplit_pending(const kube_linesplit *ls);

/* Drop buffered bytes and the stop flag, keep the allocation. */
void kube_linesplit_reset(kube_linesplit *ls);

void kube_linesplit_free(kube_linesplit *ls);

typedef enum kube_watch_type {
    KUBE_WATCH_ADDED,
    KUBE_WATCH_MODIFIED,
    KUBE_WATCH_DELETED,
    KUBE_WATCH_BOOKMARK,
    KUBE_WATCH_ERROR
} kube_watch_type;

/* "ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR". */
const char *kube_watch_type_str(kube_watch_type t);

/* Parse one event line. On success *object is the event's object, detached
 * and owned by the caller (cJSON_Delete). SNUG_ERR_PARSE (message says what
 * is wrong) for non-JSON, an unknown type, or a missing/non-object object. */
snug_status kube_watch_parse_event(const char *line, size_t len, kube_watch_type *type,
                                   cJSON **object, snug_err *err);

#endif

/* kube_watch.c -- newline splitting and event parsing for watch streams. */
#include "kube/kube_watch.h"

#include <string.h>

void kube_linesplit_init(kube_linesplit *ls, size_t max_line)
{
    dynbuf_init(&ls->partial, max_line);
    ls->stopped = 0;
}

/* Hand one complete line (without '\n') to fn. */
static int emit_line(kube_linesplit *ls, const char *line, size_t len, kube_line_fn fn, void *ud)
{
    if (len == 0)
        return 0;
    if (fn(line, len, ud) != 0)
        ls->stopped = 1;
    return ls->stopped;
}

/* Complete the buffered partial line with data[0..n) and emit it. */
static snug_status finish_partial(kube_linesplit *ls, const char *data, size_t n, kube_line_fn fn,
                                  void *ud)
{
    snug_status st = dynbuf_add(&ls->partial, data, n);

    if (st != SNUG_OK)
        return st;
    if (ls->partial.len > 0 && ls->partial.buf[ls->partial.len - 1] == '\r')
        dynbuf_truncate(&ls->partial, ls->partial.len - 1);
    /* dynbuf keeps a NUL after the contents, so the line is a C string. */
    emit_line(ls, ls->partial.buf, ls->partial.len, fn, ud);
    dynbuf_reset(&ls->partial);
    return SNUG_OK;
}

snug_status kube_linesplit_feed(kube_linesplit *ls, const char *data, size_t len, kube_line_fn fn,
                                void *ud)
{
    size_t pos = 0;
    snug_status st = SNUG_OK;

    while (pos < len && !ls->stopped) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t n;

        if (nl == NULL)
            return dynbuf_add(&ls->partial, data + pos, len - pos);
        /* Lines are copied through the buffer even when whole inside
         * `data`: the callback gets a NUL-terminated string. */
        n = (size_t)(nl - (data + pos));
        st = finish_partial(ls, data + pos, n, fn, ud);
        if (st != SNUG_OK)
            return st;
        pos += n + 1;
    }
    return SNUG_OK;
}

size_t kube_linesplit_pending(const kube_linesplit *ls)
{
    return dynbuf_len(&ls->partial);
}

void kube_linesplit_reset(kube_linesplit *ls)
{
    dynbuf_reset(&ls->partial);
    ls->stopped = 0;
}

void kube_linesplit_free(kube_linesplit *ls)
{
    dynbuf_free(&ls->partial);
}

static const char *const watch_type_names[] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"};

const char *kube_watch_type_str(kube_watch_type t)
{
    if ((size_t)t < sizeof(watch_type_names) / sizeof(watch_type_names[0]))
        return watch_type_names[t];
    return "UNKNOWN";
}

static int watch_type_parse(const char *s, kube_watch_type *out)
{
    size_t i;

    for (i = 0; i < sizeof(watch_type_names) / sizeof(watch_type_names[0]); i++) {
        if (strcmp(s, watch_type_names[i]) == 0) {
            *out = (kube_watch_type)i;
            return 0;
        }
    }
    return -1;
}

snug_status kube_watch_parse_event(const char *line, size_t len, kube_watch_type *type,
                                   cJSON **object, snug_err *err)
{
    cJSON *ev = cJSON_ParseWithLength(line, len);
    const cJSON *t;
    snug_status st = SNUG_OK;

    *object = NULL;
    if (ev == NULL || !cJSON_IsObject(ev)) {
        st = snug_err_set(err, SNUG_ERR_PARSE, "watch event: not a JSON object (%zu bytes)", len);
        goto out;
    }
    t = cJSON_GetObjectItemCaseSensitive(ev, "type");
    if (!cJSON_IsString(t)) {
        st = snug_err_set(err, SNUG_ERR_PARSE, "watch event: type: missing");
        goto out;
    }
    if (watch_type_parse(t->valuestring, type) != 0) {
        st = snug_err_set(err, SNUG_ERR_PARSE, "watch event: type: unknown \"%.64s\"",
                          t->valuestring);
        goto out;
    }
    if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(ev, "object"))) {
        st = snug_err_set(err, SNUG_ERR_PARSE, "watch event %s: object: missing", t->valuestring);
        goto out;
    }
    *object = cJSON_DetachItemFromObjectCaseSensitive(ev, "object");
out:
    cJSON_Delete(ev);
    return st;
}

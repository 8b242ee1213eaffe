/* kube_api.c -- Kubernetes REST API conventions: paths, queries, errors, time. */
#include "kube/kube_api.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How much of a non-Status error body goes into a message. */
#define KUBE_BODY_SNIPPET 160

static int url_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

snug_status kube_url_escape(dynbuf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *p;
    snug_status st = SNUG_OK;

    for (p = (const unsigned char *)s; *p != '\0' && st == SNUG_OK; p++) {
        if (url_unreserved(*p)) {
            st = dynbuf_addc(out, (char)*p);
        } else {
            char enc[3] = {'%', hex[*p >> 4], hex[*p & 0x0F]};
            st = dynbuf_add(out, enc, sizeof(enc));
        }
    }
    return st;
}

static int str_empty(const char *s)
{
    return s == NULL || s[0] == '\0';
}

static snug_status path_check(const kube_resource *r, const char *name, const char *subresource,
                              snug_err *err)
{
    if (r == NULL || str_empty(r->version))
        return snug_err_set(err, SNUG_ERR_INVALID, "resource version: missing");
    if (str_empty(r->resource))
        return snug_err_set(err, SNUG_ERR_INVALID, "resource name (plural): missing");
    if (name != NULL && name[0] == '\0')
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: object name is empty", r->resource);
    if (!str_empty(subresource) && name == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "%s/%s: subresource needs an object name",
                            r->resource, subresource);
    return SNUG_OK;
}

snug_status kube_path_build(dynbuf *out, const kube_resource *r, const char *ns, const char *name,
                            const char *subresource, snug_err *err)
{
    snug_status st = path_check(r, name, subresource, err);

    if (st != SNUG_OK)
        return st;
    if (str_empty(r->group))
        st = dynbuf_addstr(out, "/api/");
    else
        st = dynbuf_printf(out, "/apis/%s/", r->group);
    if (st == SNUG_OK)
        st = kube_url_escape(out, r->version);
    if (st == SNUG_OK && !str_empty(ns)) {
        st = dynbuf_addstr(out, "/namespaces/");
        if (st == SNUG_OK)
            st = kube_url_escape(out, ns);
    }
    if (st == SNUG_OK)
        st = dynbuf_addc(out, '/');
    if (st == SNUG_OK)
        st = kube_url_escape(out, r->resource);
    if (st == SNUG_OK && name != NULL) {
        st = dynbuf_addc(out, '/');
        if (st == SNUG_OK)
            st = kube_url_escape(out, name);
    }
    if (st == SNUG_OK && !str_empty(subresource)) {
        st = dynbuf_addc(out, '/');
        if (st == SNUG_OK)
            st = kube_url_escape(out, subresource);
    }
    if (st != SNUG_OK)
        return snug_err_set(err, st, "building path for %s: %s", r->resource, snug_status_str(st));
    return SNUG_OK;
}

snug_status kube_query_add(dynbuf *url, const char *key, const char *value)
{
    snug_status st;

    if (value == NULL)
        return SNUG_OK;
    st = dynbuf_addc(url, strchr(dynbuf_str(url), '?') ? '&' : '?');
    if (st == SNUG_OK)
        st = kube_url_escape(url, key);
    if (st == SNUG_OK)
        st = dynbuf_addc(url, '=');
    if (st == SNUG_OK)
        st = kube_url_escape(url, value);
    return st;
}

snug_status kube_query_add_long(dynbuf *url, const char *key, long value)
{
    char num[32];

    snprintf(num, sizeof(num), "%ld", value);
    return kube_query_add(url, key, num);
}

snug_status kube_status_from_http(long http_code)
{
    if (http_code >= 200 && http_code < 300)
        return SNUG_OK;
    switch (http_code) {
    case 401:
    case 403:
        return SNUG_ERR_UNAUTHORIZED;
    case 404:
        return SNUG_ERR_NOT_FOUND;
    case 408:
    case 504:
        return SNUG_ERR_TIMEOUT;
    case 409:
        return SNUG_ERR_CONFLICT;
    case 410:
        return SNUG_ERR_GONE;
    case 413:
        return SNUG_ERR_TOO_BIG;
    case 422:
        return SNUG_ERR_INVALID;
    default:
        return SNUG_ERR_HTTP;
    }
}

const char *kube_json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const cJSON *obj_metadata(const cJSON *obj)
{
    return cJSON_GetObjectItemCaseSensitive(obj, "metadata");
}

const char *kube_obj_name(const cJSON *obj)
{
    return kube_json_str(obj_metadata(obj), "name");
}

const char *kube_obj_namespace(const cJSON *obj)
{
    return kube_json_str(obj_metadata(obj), "namespace");
}

const char *kube_obj_resource_version(const cJSON *obj)
{
    return kube_json_str(obj_metadata(obj), "resourceVersion");
}

/* Fill err with "<what>: HTTP <code>: <message> (<reason>)" from a Status. */
static void status_message(const cJSON *status, long code, const char *what, snug_status st,
                           snug_err *err)
{
    const char *msg = kube_json_str(status, "message");
    const char *reason = kube_json_str(status, "reason");

    if (msg == NULL)
        msg = "no message";
    if (reason != NULL && reason[0] != '\0')
        snug_err_set(err, st, "%s: HTTP %ld: %s (%s)", what, code, msg, reason);
    else
        snug_err_set(err, st, "%s: HTTP %ld: %s", what, code, msg);
}

snug_status kube_error_from_status_object(const cJSON *status, const char *what, snug_err *err)
{
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(status, "code");
    long c = cJSON_IsNumber(code) ? (long)code->valuedouble : 0;
    snug_status st = c > 0 ? kube_status_from_http(c) : SNUG_ERR_HTTP;

    if (st == SNUG_OK)
        st = SNUG_ERR_HTTP; /* an ERROR event is never success */
    status_message(status, c, what, st, err);
    return st;
}

/* Copy up to KUBE_BODY_SNIPPET bytes of body, control characters as spaces. */
static void body_snippet(const char *body, size_t len, char *out, size_t outlen)
{
    size_t i;
    size_t n = len < outlen - 1 ? len : outlen - 1;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)body[i];
        out[i] = (c < 0x20 || c == 0x7F) ? ' ' : (char)c;
    }
    out[n] = '\0';
    while (n > 0 && out[n - 1] == ' ')
        out[--n] = '\0';
}

snug_status kube_error_from_response(long http_code, const char *body, size_t len, const char *what,
                                     snug_err *err)
{
    snug_status st = kube_status_from_http(http_code);
    cJSON *doc = NULL;
    char snippet[KUBE_BODY_SNIPPET + 1];

    if (st == SNUG_OK)
        return SNUG_OK;
    if (body != NULL && len > 0)
        doc = cJSON_ParseWithLength(body, len);
    if (doc != NULL && kube_json_str(doc, "message") != NULL) {
        status_message(doc, http_code, what, st, err);
    } else if (body != NULL && len > 0) {
        body_snippet(body, len, snippet, sizeof(snippet));
        snug_err_set(err, st, "%s: HTTP %ld: %s", what, http_code, snippet);
    } else {
        snug_err_set(err, st, "%s: HTTP %ld", what, http_code);
    }
    cJSON_Delete(doc);
    return st;
}

void kube_microtime_format(const struct timespec *ts, char *out)
{
    struct tm tm;
    char base[20]; /* "2006-01-02T15:04:05" */
    time_t sec = ts->tv_sec;
    unsigned us = (unsigned)((ts->tv_nsec / 1000) % 1000000);

    gmtime_r(&sec, &tm);
    strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, KUBE_MICROTIME_LEN, "%s.%06uZ", base, us);
}

/* Parse exactly `n` decimal digits at *p, advancing *p. -1 on failure. */
static long parse_digits(const char **p, int n)
{
    long v = 0;
    int i;

    for (i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    return v;
}

/* Expect character `c` at *p and step over it. */
static int expect_char(const char **p, char c)
{
    if (**p != c)
        return 0;
    (*p)++;
    return 1;
}

static long parse_fraction_ns(const char **p)
{
    long ns = 0;
    int digits = 0;

    if (**p != '.')
        return 0;
    (*p)++;
    while (isdigit((unsigned char)**p)) {
        if (digits < 9) {
            ns = ns * 10 + (**p - '0');
            digits++;
        }
        (*p)++;
    }
    if (digits == 0)
        return -1;
    while (digits++ < 9)
        ns *= 10;
    return ns;
}

snug_status kube_microtime_parse(const char *s, struct timespec *ts, snug_err *err)
{
    const char *p = s;
    struct tm tm;
    long f[6];
    long ns;
    int ok;

    memset(&tm, 0, sizeof(tm));
    f[0] = parse_digits(&p, 4);
    ok = f[0] >= 0 && expect_char(&p, '-');
    f[1] = ok ? parse_digits(&p, 2) : -1;
    ok = f[1] >= 1 && f[1] <= 12 && expect_char(&p, '-');
    f[2] = ok ? parse_digits(&p, 2) : -1;
    ok = f[2] >= 1 && f[2] <= 31 && expect_char(&p, 'T');
    f[3] = ok ? parse_digits(&p, 2) : -1;
    ok = f[3] >= 0 && f[3] <= 23 && expect_char(&p, ':');
    f[4] = ok ? parse_digits(&p, 2) : -1;
    ok = f[4] >= 0 && f[4] <= 59 && expect_char(&p, ':');
    f[5] = ok ? parse_digits(&p, 2) : -1;
    ok = f[5] >= 0 && f[5] <= 60;
    ns = ok ? parse_fraction_ns(&p) : -1;
    if (ns < 0 || !expect_char(&p, 'Z') || *p != '\0')
        return snug_err_set(err, SNUG_ERR_PARSE, "time \"%s\": want 2006-01-02T15:04:05.000000Z",
                            s);
    tm.tm_year = (int)f[0] - 1900;
    tm.tm_mon = (int)f[1] - 1;
    tm.tm_mday = (int)f[2];
    tm.tm_hour = (int)f[3];
    tm.tm_min = (int)f[4];
    tm.tm_sec = (int)f[5];
    ts->tv_sec = timegm(&tm);
    ts->tv_nsec = ns;
    return SNUG_OK;
}

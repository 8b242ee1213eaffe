/* prom_plan.c -- URL and header checks, form encoding, range chunking,
 * retry policy. */
#include "prom/prom_plan.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "kube/kube_retry.h"

#define PROM_TIME_LIMIT_S 1e12

/* ---- URL --------------------------------------------------------------------------- */

/* Whether part `what` of the parsed URL is present. */
static bool url_has(CURLU *u, CURLUPart what)
{
    char *part = NULL;
    bool has = curl_url_get(u, what, &part, 0) == CURLUE_OK && part != NULL && part[0] != '\0';

    curl_free(part);
    return has;
}

static snug_status url_check(CURLU *u, const char *url, snug_err *err)
{
    char *scheme = NULL;
    snug_status st = SNUG_OK;
    CURLUcode rc = curl_url_set(u, CURLUPART_URL, url, 0);

    if (rc != CURLUE_OK)
        return snug_err_set(err, SNUG_ERR_INVALID, "Prometheus URL \"%.200s\": %s", url,
                            curl_url_strerror(rc));
    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    if (scheme == NULL || (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0))
        st = snug_err_set(err, SNUG_ERR_INVALID,
                          "Prometheus URL \"%.200s\": the scheme must be http or https", url);
    else if (!url_has(u, CURLUPART_HOST))
        st = snug_err_set(err, SNUG_ERR_INVALID, "Prometheus URL \"%.200s\": no host", url);
    else if (url_has(u, CURLUPART_USER) || url_has(u, CURLUPART_PASSWORD))
        st = snug_err_set(err, SNUG_ERR_INVALID,
                          "Prometheus URL: credentials in the URL are refused; use the "
                          "basic-auth user and password file");
    else if (url_has(u, CURLUPART_QUERY) || url_has(u, CURLUPART_FRAGMENT) ||
             strchr(url, '?') != NULL || strchr(url, '#') != NULL)
        st = snug_err_set(err, SNUG_ERR_INVALID,
                          "Prometheus URL \"%.200s\": a query or fragment is not allowed "
                          "(give only scheme, host, port and path prefix)",
                          url);
    curl_free(scheme);
    return st;
}

snug_status prom_url_base(const char *url, char **base, snug_err *err)
{
    CURLU *u;
    size_t n;
    snug_status st;

    *base = NULL;
    if (url == NULL || url[0] == '\0')
        return snug_err_set(err, SNUG_ERR_INVALID, "Prometheus URL: not set");
    n = strlen(url);
    if (n > PROM_URL_MAX)
        return snug_err_set(err, SNUG_ERR_INVALID, "Prometheus URL: longer than %d bytes",
                            PROM_URL_MAX);
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "Prometheus URL \"%.200s\": must start with http:// or https://", url);
    u = curl_url();
    if (u == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "Prometheus URL: out of memory");
    st = url_check(u, url, err);
    curl_url_cleanup(u);
    if (st != SNUG_OK)
        return st;
    while (n > 0 && url[n - 1] == '/')
        n--;
    *base = strndup(url, n);
    if (*base == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "Prometheus URL: out of memory");
    return SNUG_OK;
}

/* ---- headers ----------------------------------------------------------------------- */

static bool token_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

snug_status prom_headers_check(const char *const *headers, size_t n, snug_err *err)
{
    size_t i, k;

    for (i = 0; i < n; i++) {
        const char *h = headers[i];

        if (h == NULL)
            return snug_err_set(err, SNUG_ERR_INVALID, "header %zu: NULL", i);
        if (strlen(h) > PROM_HEADER_MAX)
            return snug_err_set(err, SNUG_ERR_INVALID, "header %zu: longer than %d bytes", i,
                                PROM_HEADER_MAX);
        for (k = 0; token_char(h[k]); k++)
            ;
        if (k == 0 || h[k] != ':')
            return snug_err_set(err, SNUG_ERR_INVALID,
                                "header %zu \"%.60s\": expected \"Name: value\"", i, h);
        if (strpbrk(h, "\r\n") != NULL)
            return snug_err_set(err, SNUG_ERR_INVALID,
                                "header %zu \"%.60s\": CR or LF is not allowed", i, h);
    }
    return SNUG_OK;
}

/* ---- forms ------------------------------------------------------------------------- */

static snug_status form_encode(dynbuf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    snug_status st = SNUG_OK;
    const unsigned char *p;

    for (p = (const unsigned char *)s; *p != '\0' && st == SNUG_OK; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            st = dynbuf_addc(b, (char)*p);
        } else if (*p == ' ') {
            st = dynbuf_addc(b, '+');
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            st = dynbuf_add(b, esc, 3);
        }
    }
    return st;
}

snug_status prom_form_add(dynbuf *b, const char *name, const char *value)
{
    size_t mark = dynbuf_len(b);
    snug_status st = SNUG_OK;

    if (mark > 0)
        st = dynbuf_addc(b, '&');
    if (st == SNUG_OK)
        st = form_encode(b, name);
    if (st == SNUG_OK)
        st = dynbuf_addc(b, '=');
    if (st == SNUG_OK)
        st = form_encode(b, value != NULL ? value : "");
    if (st != SNUG_OK)
        dynbuf_truncate(b, mark);
    return st;
}

snug_status prom_form_add_time(dynbuf *b, const char *name, double t)
{
    char num[64];
    long long ms = llround(t * 1000.0);
    long long whole = ms / 1000, frac = ms % 1000;

    if (frac < 0) {
        frac += 1000;
        whole -= 1;
    }
    if (frac == 0)
        snprintf(num, sizeof(num), "%lld", whole);
    else
        snprintf(num, sizeof(num), "%lld.%03lld", whole, frac);
    return prom_form_add(b, name, num);
}

/* ---- range chunks ------------------------------------------------------------------ */

static bool time_ok(double t)
{
    return isfinite(t) && fabs(t) <= PROM_TIME_LIMIT_S;
}

snug_status prom_range_plan(double start, double end, double step, int max_points, prom_chunk **out,
                            size_t *n, snug_err *err)
{
    int64_t start_ms, end_ms, step_ms, points, per, i, count;
    prom_chunk *c;

    *out = NULL;
    *n = 0;
    if (!time_ok(start) || !time_ok(end) || !time_ok(step))
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "range: start, end and step must be finite "
                            "and within 1e12 s");
    start_ms = llround(start * 1000.0);
    end_ms = llround(end * 1000.0);
    step_ms = llround(step * 1000.0);
    if (end_ms < start_ms)
        return snug_err_set(err, SNUG_ERR_INVALID, "range: end %.3f is before start %.3f", end,
                            start);
    if (step_ms < 1)
        return snug_err_set(err, SNUG_ERR_INVALID, "range: step %g s is below 1 ms", step);
    if (max_points < 1)
        return snug_err_set(err, SNUG_ERR_INVALID, "range: max points %d is below 1", max_points);
    per = max_points;
    points = (end_ms - start_ms) / step_ms + 1;
    if (per > points)
        per = points; /* keeps per * step_ms within the range: no overflow */
    count = (points + per - 1) / per;
    if (count > PROM_MAX_CHUNKS)
        return snug_err_set(err, SNUG_ERR_TOO_BIG,
                            "range: %lld points per series need %lld requests (at most %d)",
                            (long long)points, (long long)count, PROM_MAX_CHUNKS);
    c = calloc((size_t)count, sizeof(*c));
    if (c == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "range: out of memory");
    for (i = 0; i < count; i++) {
        c[i].start_ms = start_ms + i * per * step_ms;
        c[i].end_ms = c[i].start_ms + (per - 1) * step_ms;
        if (c[i].end_ms > end_ms)
            c[i].end_ms = end_ms;
    }
    *out = c;
    *n = (size_t)count;
    return SNUG_OK;
}

/* ---- retries ----------------------------------------------------------------------- */

bool prom_http_retryable(long code)
{
    return code == 429 || (code >= 500 && code <= 599 && code != 501 && code != 505);
}

long prom_retry_delay_ms(unsigned attempt, long retry_after_s, double r01)
{
    long d = kube_backoff_delay(PROM_BACKOFF_MIN_MS, PROM_BACKOFF_MAX_MS, attempt, r01);

    if (retry_after_s > 0) {
        long ra = retry_after_s > PROM_RETRY_AFTER_MAX_MS / 1000 ? PROM_RETRY_AFTER_MAX_MS
                                                                 : retry_after_s * 1000;
        if (ra > d)
            d = ra;
    }
    return d > PROM_RETRY_AFTER_MAX_MS ? PROM_RETRY_AFTER_MAX_MS : d;
}

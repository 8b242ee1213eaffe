/* prom_json.c -- the strict JSON pull reader. */
#include "prom/prom_json.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json/jsonparse.h"

void pjson_init(pjson *j, const char *text, size_t len)
{
    j->p = text;
    j->end = text + len;
    j->depth = 0;
    j->bad = text == NULL && len > 0;
}

static bool fail(pjson *j)
{
    j->bad = true;
    return false;
}

static void ws(pjson *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

char pjson_peek(pjson *j)
{
    if (j->bad)
        return 0;
    ws(j);
    return j->p < j->end ? *j->p : 0;
}

bool pjson_expect(pjson *j, char c)
{
    if (pjson_peek(j) != c || j->p >= j->end)
        return fail(j);
    j->p++;
    return true;
}

bool pjson_begin(pjson *j, char open)
{
    if (j->depth >= JSONPARSE_MAX_DEPTH || !pjson_expect(j, open))
        return fail(j);
    j->depth++;
    return true;
}

bool pjson_next(pjson *j, char close, bool *first)
{
    char c = pjson_peek(j);

    if (j->bad)
        return false;
    if (c == close) {
        j->p++;
        j->depth--;
        return false;
    }
    if (*first) {
        *first = false;
        return true;
    }
    if (c != ',')
        return fail(j);
    j->p++;
    if (pjson_peek(j) == close) /* no trailing comma */
        return fail(j);
    return true;
}

/* ---- strings ----------------------------------------------------------------------- */

static int hex4(const char *p, const char *end)
{
    int v = 0, i;

    if (end - p < 4)
        return -1;
    for (i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;

        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Append to `out`; a NULL `out` (skipping) takes anything. */
static bool put(dynbuf *out, const void *data, size_t n)
{
    return out == NULL || dynbuf_add(out, data, n) == SNUG_OK;
}

static bool add_utf8(dynbuf *out, unsigned long cp)
{
    char u[4];
    size_t n;

    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (char)(0xf0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return put(out, u, n);
}

/* \uXXXX at j->p (after the backslash and 'u'), a surrogate pair joined. */
static bool unicode_escape(pjson *j, dynbuf *out)
{
    int hi = hex4(j->p, j->end), lo;

    if (hi < 0 || (hi >= 0xdc00 && hi <= 0xdfff))
        return fail(j);
    j->p += 4;
    if (hi < 0xd800 || hi > 0xdbff)
        return add_utf8(out, (unsigned long)hi) || fail(j);
    if (j->end - j->p < 2 || j->p[0] != '\\' || j->p[1] != 'u')
        return fail(j);
    lo = hex4(j->p + 2, j->end);
    if (lo < 0xdc00 || lo > 0xdfff)
        return fail(j);
    j->p += 6;
    return add_utf8(out, 0x10000 + (((unsigned long)hi - 0xd800) << 10) +
                             ((unsigned long)lo - 0xdc00)) ||
           fail(j);
}

static bool escape(pjson *j, dynbuf *out)
{
    static const char from[] = "\"\\/bfnrt";
    static const char to[] = "\"\\/\b\f\n\r\t";
    const char *hit;

    if (j->p >= j->end)
        return fail(j);
    if (*j->p == 'u') {
        j->p++;
        return unicode_escape(j, out);
    }
    hit = *j->p != '\0' ? strchr(from, *j->p) : NULL;
    if (hit == NULL)
        return fail(j);
    j->p++;
    return put(out, &to[hit - from], 1) || fail(j);
}

/* A string at j->p, decoded into `out` (NULL: only checked). */
static bool scan_string(pjson *j, dynbuf *out)
{
    if (!pjson_expect(j, '"'))
        return false;
    while (j->p < j->end) {
        const char *run = j->p;

        while (j->p < j->end && *j->p != '"' && *j->p != '\\' && (unsigned char)*j->p >= 0x20)
            j->p++;
        if (j->p > run && !put(out, run, (size_t)(j->p - run)))
            return fail(j);
        if (j->p >= j->end || (unsigned char)*j->p < 0x20)
            return fail(j);
        if (*j->p == '"') {
            j->p++;
            return put(out, "", 0) || fail(j);
        }
        j->p++; /* the backslash */
        if (!escape(j, out))
            return false;
    }
    return fail(j);
}

bool pjson_string(pjson *j, dynbuf *out)
{
    dynbuf_reset(out);
    if (!scan_string(j, out))
        return false;
    return dynbuf_addstr(out, "") == SNUG_OK || fail(j); /* NUL-terminated even when empty */
}

/* ---- numbers and literals ---------------------------------------------------------- */

static const char *digits(const char *p, const char *end)
{
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    return p;
}

/* [-]digits (at most 19: they fit in 64 bits) as the double strtod would
 * give: the conversion of an integer rounds to nearest, like strtod. */
static double small_integer(const char *p, const char *end)
{
    bool neg = *p == '-';
    uint64_t v = 0;
    double d;

    for (p += neg; p < end; p++)
        v = v * 10 + (uint64_t)(*p - '0');
    d = (double)v;
    return neg ? -d : d;
}

bool pjson_number(pjson *j, double *out)
{
    char buf[JSONPARSE_MAX_NUMBER + 1];
    const char *p, *start, *d, *int_end;
    ptrdiff_t int_digits;
    size_t n;

    if (pjson_peek(j) == 0)
        return fail(j);
    start = p = j->p;
    if (p < j->end && *p == '-')
        p++;
    d = digits(p, j->end);
    if (d == p || (*p == '0' && d - p > 1))
        return fail(j);
    int_digits = d - p;
    int_end = p = d;
    if (p < j->end && *p == '.') {
        d = digits(p + 1, j->end);
        if (d == p + 1)
            return fail(j);
        p = d;
    }
    if (p < j->end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < j->end && (*p == '+' || *p == '-'))
            p++;
        d = digits(p, j->end);
        if (d == p)
            return fail(j);
        p = d;
    }
    n = (size_t)(p - start);
    if (n > JSONPARSE_MAX_NUMBER)
        return fail(j);
    j->p = p;
    if (int_digits <= 19 && p == int_end) { /* exact without strtod */
        *out = small_integer(start, int_end);
        return true;
    }
    memcpy(buf, start, n);
    buf[n] = '\0';
    *out = strtod(buf, NULL);
    return true;
}

static bool literal(pjson *j, const char *word)
{
    size_t n = strlen(word);

    if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
        return fail(j);
    j->p += n;
    return true;
}

/* ---- skipping ---------------------------------------------------------------------- */

bool pjson_skip(pjson *j)
{
    char c = pjson_peek(j);
    bool first = true;
    double d;

    switch (c) {
    case '{':
        if (!pjson_begin(j, '{'))
            return false;
        while (pjson_next(j, '}', &first))
            if (!scan_string(j, NULL) || !pjson_expect(j, ':') || !pjson_skip(j))
                return false;
        return !j->bad;
    case '[':
        if (!pjson_begin(j, '['))
            return false;
        while (pjson_next(j, ']', &first))
            if (!pjson_skip(j))
                return false;
        return !j->bad;
    case '"':
        return scan_string(j, NULL);
    case 't':
        return literal(j, "true");
    case 'f':
        return literal(j, "false");
    case 'n':
        return literal(j, "null");
    default:
        return pjson_number(j, &d);
    }
}

bool pjson_finish(pjson *j)
{
    if (j->bad)
        return false;
    ws(j);
    return j->p == j->end || fail(j);
}

/* jsonparse.c -- strict RFC 8259 JSON text to a cJSON tree, fast.
 *
 * The parser is a loop over "slots": a slot is a node already linked into
 * the tree whose value is still to be read. Reading a scalar fills the slot;
 * reading '[' or '{' pushes the container on a fixed stack and makes a slot
 * for its first element; after a value, ',' makes the next slot and closing
 * brackets pop the stack. Every node is linked into the tree as soon as it is
 * allocated, so on any failure one cJSON_Delete of the root frees it all.
 *
 * Children are linked the way cJSON links them: parent->child is the first
 * element, the first element's prev is the last one (itself when alone), the
 * last element's next is NULL. The parser appends through child->prev, so the
 * tail is always at hand and the links are final at every step.
 *
 * Speed: the reading position is a local pointer that every step takes and
 * returns (NULL on failure, the reason in ps->status), so it stays in a
 * register; the few functions on the path of every string are forced
 * inline. Strings are scanned 32 bytes a step with SSE2 where there is SSE2,
 * 8 bytes a step in a 64-bit word elsewhere.
 */
#include "json/jsonparse.h"

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/jsonarena.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* For the handful of functions on every string's path: inlining them is
 * worth ~15% of the parse time, more than gcc and clang guess. */
#define HOT_INLINE inline __attribute__((always_inline))

typedef struct parser {
    const unsigned char *start; /* the first byte of the text */
    const unsigned char *end;   /* one past the last byte */
    snug_err *err;              /* may be NULL */
    snug_status status;         /* why a step returned NULL */
    size_t depth;               /* open containers on the stack */
    bool fuse;                  /* in an arena window: node, name, string in one block */
    cJSON *stack[JSONPARSE_MAX_DEPTH];
} parser;

typedef const unsigned char *pos; /* a reading position; NULL after a failure */

/* Byte classes inside a string: what ends a run of plain bytes. */
enum { STR_PLAIN = 0, STR_QUOTE, STR_ESCAPE, STR_CONTROL };

static const unsigned char str_class[256] = {
    [0x00] = STR_CONTROL, [0x01] = STR_CONTROL, [0x02] = STR_CONTROL, [0x03] = STR_CONTROL,
    [0x04] = STR_CONTROL, [0x05] = STR_CONTROL, [0x06] = STR_CONTROL, [0x07] = STR_CONTROL,
    [0x08] = STR_CONTROL, [0x09] = STR_CONTROL, [0x0a] = STR_CONTROL, [0x0b] = STR_CONTROL,
    [0x0c] = STR_CONTROL, [0x0d] = STR_CONTROL, [0x0e] = STR_CONTROL, [0x0f] = STR_CONTROL,
    [0x10] = STR_CONTROL, [0x11] = STR_CONTROL, [0x12] = STR_CONTROL, [0x13] = STR_CONTROL,
    [0x14] = STR_CONTROL, [0x15] = STR_CONTROL, [0x16] = STR_CONTROL, [0x17] = STR_CONTROL,
    [0x18] = STR_CONTROL, [0x19] = STR_CONTROL, [0x1a] = STR_CONTROL, [0x1b] = STR_CONTROL,
    [0x1c] = STR_CONTROL, [0x1d] = STR_CONTROL, [0x1e] = STR_CONTROL, [0x1f] = STR_CONTROL,
    ['"'] = STR_QUOTE,    ['\\'] = STR_ESCAPE,
};

#define BYTES_ONES  0x0101010101010101ull
#define BYTES_HIGHS 0x8080808080808080ull

/* ---- errors ---------------------------------------------------------- */

/* Record `st` in ps->status and, when there is an err, fill it with
 * "JSON: at offset N (line L): <message>" about the byte at `at`. Returns
 * NULL, the failed position. Counting lines costs a pass over the text,
 * which only failures pay. */
static pos fail_at(parser *ps, pos at, snug_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static pos fail_at(parser *ps, pos at, snug_status st, const char *fmt, ...)
{
    const unsigned char *q = ps->start;
    size_t line = 1;
    char msg[SNUG_ERR_MSG_MAX];
    va_list ap;

    ps->status = st;
    if (ps->err == NULL)
        return NULL;
    for (;;) {
        q = memchr(q, '\n', (size_t)(at - q));
        if (q == NULL)
            break;
        line++;
        q++;
    }
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snug_err_set(ps->err, st, "JSON: at offset %zu (line %zu): %s", (size_t)(at - ps->start), line,
                 msg);
    return NULL;
}

/* Describe the byte at `at` for a message: 'x', byte 0x01, end of input. */
static void describe_byte(const parser *ps, pos at, char *buf, size_t n)
{
    if (at >= ps->end)
        snprintf(buf, n, "end of input");
    else if (*at > 0x20 && *at < 0x7f)
        snprintf(buf, n, "'%c'", *at);
    else
        snprintf(buf, n, "byte 0x%02x", *at);
}

/* SNUG_ERR_PARSE at `at`: "expected <what>, found <the byte there>". */
static pos fail_expected(parser *ps, pos at, const char *what)
{
    char found[32];

    describe_byte(ps, at, found, sizeof(found));
    return fail_at(ps, at, SNUG_ERR_PARSE, "expected %s, found %s", what, found);
}

static pos fail_nomem(parser *ps, pos at)
{
    return fail_at(ps, at, SNUG_ERR_NOMEM, "out of memory");
}

/* ---- nodes ----------------------------------------------------------- */

/* A zeroed node from cJSON_malloc, or NULL. */
static cJSON *node_new(void)
{
    cJSON *n = cJSON_malloc(sizeof(*n));

    if (n != NULL)
        memset(n, 0, sizeof(*n));
    return n;
}

/* Append `item` to `parent`'s children with cJSON's links (see top). */
static void node_append(cJSON *parent, cJSON *item)
{
    cJSON *head = parent->child;

    if (head == NULL) {
        parent->child = item;
        item->prev = item;
        return;
    }
    item->prev = head->prev;
    head->prev->next = item;
    head->prev = item;
}

/* ---- whitespace ------------------------------------------------------ */

static pos skip_ws(pos p, pos end)
{
    if (p == end || *p > ' ')
        return p; /* compact JSON: no whitespace at all */
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

/* ---- strings --------------------------------------------------------- */

/* Nonzero when one of the eight bytes of `w` is '"', '\\' or below 0x20.
 * (x - 0x01..) & ~x & 0x80.. is nonzero exactly when a byte of x is zero;
 * the same with 0x20 finds bytes below 0x20. */
static uint64_t word_has_special(uint64_t w)
{
    uint64_t q = w ^ (BYTES_ONES * '"');
    uint64_t b = w ^ (BYTES_ONES * '\\');

    return (((q - BYTES_ONES) & ~q) | ((b - BYTES_ONES) & ~b) | ((w - BYTES_ONES * 0x20) & ~w)) &
           BYTES_HIGHS;
}

#ifdef __SSE2__
/* Bit i set when byte i of p[0..16) is a quote, a backslash or below 0x20. */
static HOT_INLINE unsigned special_mask16(pos p)
{
    const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i special =
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));

    /* v < 0x20 (unsigned) exactly when min(v, 0x1f) == v */
    special = _mm_or_si128(special, _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v));
    return (unsigned)_mm_movemask_epi8(special);
}
#endif

/* From `p` (inside a string), the first byte that is a quote, a backslash or
 * a control byte, or `end`. With SSE2 (every x86-64 has it), 32 bytes a step:
 * 95% of the strings of an AdmissionReview end within 32 bytes, so the loop
 * exit is well predicted. Then eight bytes at a time in a 64-bit word: on a
 * little-endian machine the lowest flagged byte is the first special one (a
 * borrow only runs towards higher bytes, so the lowest flag is never a false
 * one). */
static HOT_INLINE pos string_scan(pos p, pos end)
{
    uint64_t w, hit;

#ifdef __SSE2__
    while (end - p >= 32) {
        uint32_t mask = special_mask16(p) | (uint32_t)special_mask16(p + 16) << 16;

        if (mask != 0)
            return p + __builtin_ctz(mask);
        p += 32;
    }
    if (end - p >= 16) {
        unsigned mask = special_mask16(p);

        if (mask != 0)
            return p + __builtin_ctz(mask);
        p += 16;
    }
#endif
    while (end - p >= 8) {
        memcpy(&w, p, sizeof(w));
        hit = word_has_special(w);
        if (hit != 0) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            return p + (__builtin_ctzll(hit) >> 3);
#else
            break;
#endif
        }
        p += 8;
    }
    while (p < end && str_class[*p] == STR_PLAIN)
        p++;
    return p;
}

/* The closing quote of the string whose opening quote is at `open`, or
 * NULL. Escapes are only skipped here; string_decode checks them. */
static pos string_find_end(parser *ps, pos open)
{
    pos p = open + 1;

    for (;;) {
        p = string_scan(p, ps->end);
        if (p == ps->end)
            return fail_at(ps, p, SNUG_ERR_PARSE, "unterminated string (opened at offset %zu)",
                           (size_t)(open - ps->start));
        switch (str_class[*p]) {
        case STR_QUOTE:
            return p;
        case STR_ESCAPE:
            p += (ps->end - p >= 2) ? 2 : 1;
            break;
        default:
            return fail_at(ps, p, SNUG_ERR_PARSE, "control byte 0x%02x in a string (escape it)",
                           *p);
        }
    }
}

/* The value of four hex digits at `p`, or -1. */
static long hex4(pos p)
{
    long v = 0;
    int i;

    for (i = 0; i < 4; i++) {
        unsigned c = p[i];

        if (c >= '0' && c <= '9')
            c -= '0';
        else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
            c = (c | 0x20) - 'a' + 10;
        else
            return -1;
        v = v * 16 + (long)c;
    }
    return v;
}

/* Write code point `cp` (at most 0x10FFFF) as UTF-8 at `o`; returns the
 * position after it. */
static unsigned char *utf8_put(unsigned char *o, unsigned long cp)
{
    if (cp < 0x80) {
        *o++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *o++ = (unsigned char)(0xC0 | (cp >> 6));
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (unsigned char)(0xE0 | (cp >> 12));
        *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (unsigned char)(0xF0 | (cp >> 18));
        *o++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* Decode the \u escape at `s` (before `close`) to UTF-8 at *o, joining a
 * surrogate pair; advances *o and returns the position after the escape.
 * Lone or mismatched surrogates fail. */
static pos unicode_escape(parser *ps, pos s, pos close, unsigned char **o)
{
    long hi, lo;

    hi = close - s >= 6 ? hex4(s + 2) : -1;
    if (hi < 0)
        return fail_at(ps, s, SNUG_ERR_PARSE, "\\u must be followed by four hex digits");
    if (hi >= 0xDC00 && hi <= 0xDFFF)
        return fail_at(ps, s, SNUG_ERR_PARSE, "lone low surrogate \\u%04lX", hi);
    if (hi < 0xD800 || hi > 0xDBFF) {
        *o = utf8_put(*o, (unsigned long)hi);
        return s + 6;
    }
    lo = (close - s >= 12 && s[6] == '\\' && s[7] == 'u') ? hex4(s + 8) : -1;
    if (lo < 0xDC00 || lo > 0xDFFF)
        return fail_at(ps, s, SNUG_ERR_PARSE,
                       "high surrogate \\u%04lX not followed by a low surrogate \\uDC00-\\uDFFF",
                       hi);
    *o =
        utf8_put(*o, 0x10000ul + (((unsigned long)hi & 0x3FF) << 10) + ((unsigned long)lo & 0x3FF));
    return s + 12;
}

/* The byte a one-character escape stands for ('n' -> '\n'), or -1. */
static int simple_escape(unsigned char c)
{
    switch (c) {
    case '"':
    case '\\':
    case '/':
        return c;
    case 'b':
        return '\b';
    case 'f':
        return '\f';
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    default:
        return -1;
    }
}

/* SNUG_ERR_PARSE for the bad escape at `bs` (a backslash). */
static pos fail_escape(parser *ps, pos bs)
{
    char found[32];

    describe_byte(ps, bs + 1, found, sizeof(found));
    return fail_at(ps, bs, SNUG_ERR_PARSE, "invalid escape in a string: '\\' followed by %s",
                   found);
}

/* Decode the string body [in, close) with its escapes into `o`, which has
 * room for close - in + 1 bytes (escapes only shrink), and NUL-terminate.
 * Returns `close`, or NULL for a bad escape. */
static pos string_decode(parser *ps, pos in, pos close, unsigned char *o)
{
    for (;;) {
        pos bs = memchr(in, '\\', (size_t)(close - in));
        size_t run = (size_t)((bs != NULL ? bs : close) - in);
        int c;

        memcpy(o, in, run);
        o += run;
        if (bs == NULL)
            break;
        if (bs[1] == 'u') {
            in = unicode_escape(ps, bs, close, &o);
            if (in == NULL)
                return NULL;
            continue;
        }
        c = simple_escape(bs[1]);
        if (c < 0)
            return fail_escape(ps, bs);
        *o++ = (unsigned char)c;
        in = bs + 2;
    }
    *o = '\0';
    return close;
}

/* Copy n bytes; short strings (most of them) without a call to memcpy, as
 * two overlapping fixed-size moves. */
static HOT_INLINE void copy_short(unsigned char *d, pos src, size_t n)
{
    if (n > 16) {
        memcpy(d, src, n);
    } else if (n >= 8) {
        memcpy(d, src, 8);
        memcpy(d + n - 8, src + n - 8, 8);
    } else if (n >= 4) {
        memcpy(d, src, 4);
        memcpy(d + n - 4, src + n - 4, 4);
    } else {
        while (n-- > 0)
            *d++ = *src++;
    }
}

/* parse_string for a string with escapes, or a bad one. */
static pos parse_string_slow(parser *ps, pos open, char **out)
{
    pos close, body = open + 1;
    unsigned char *s = NULL;

    close = string_find_end(ps, open);
    if (close == NULL)
        goto out;
    s = cJSON_malloc((size_t)(close - body) + 1);
    if (s == NULL) {
        close = fail_nomem(ps, open);
        goto out;
    }
    close = string_decode(ps, body, close, s);
    if (close == NULL)
        goto out;
    *out = (char *)s;
    s = NULL;
out:
    if (s != NULL)
        cJSON_free(s);
    return close != NULL ? close + 1 : NULL;
}

/* Read the string whose opening quote is at `open` into a new
 * cJSON_malloc'd C string in *out, owned by the caller. Returns the position
 * after the closing quote; on failure NULL, *out left alone and nothing left
 * allocated. The common case, no escapes, is one scan and one copy. */
static HOT_INLINE pos parse_string(parser *ps, pos open, char **out)
{
    pos body = open + 1, close = string_scan(body, ps->end);
    size_t n = (size_t)(close - body);
    unsigned char *s;

    if (close == ps->end || *close != '"')
        return parse_string_slow(ps, open, out);
    s = cJSON_malloc(n + 1);
    if (s == NULL)
        return fail_nomem(ps, open);
    copy_short(s, body, n);
    s[n] = '\0';
    *out = (char *)s;
    return close + 1;
}

/* ---- numbers and literals -------------------------------------------- */

static bool is_digit(pos p, pos end)
{
    return p < end && *p >= '0' && *p <= '9';
}

static pos skip_digits(pos p, pos end)
{
    while (is_digit(p, end))
        p++;
    return p;
}

/* Store `d` in `node` as cJSON does: valueint saturated. */
static void number_set(cJSON *node, double d)
{
    node->type = cJSON_Number;
    node->valuedouble = d;
    if (d >= (double)INT_MAX)
        node->valueint = INT_MAX;
    else if (d <= (double)INT_MIN)
        node->valueint = INT_MIN;
    else
        node->valueint = (int)d;
}

/* Check the fraction and exponent of a number whose integer part ends
 * before `p`; returns the end of the number, or NULL. */
static pos number_tail(parser *ps, pos p)
{
    pos end = ps->end;

    if (p < end && *p == '.') {
        p++;
        if (!is_digit(p, end))
            return fail_expected(ps, p, "a digit after '.' in a number");
        p = skip_digits(p, end);
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (!is_digit(p, end))
            return fail_expected(ps, p, "a digit in the exponent of a number");
        p = skip_digits(p, end);
    }
    return p;
}

/* Convert the number [s, e) with strtod on a NUL-terminated copy into *d.
 * Returns `e`, or NULL when it is too long. */
static pos number_strtod(parser *ps, pos s, pos e, double *d)
{
    char buf[JSONPARSE_MAX_NUMBER + 1], *stop;
    size_t n = (size_t)(e - s);

    if (n > JSONPARSE_MAX_NUMBER)
        return fail_at(ps, s, SNUG_ERR_TOO_BIG, "number longer than %d characters",
                       JSONPARSE_MAX_NUMBER);
    memcpy(buf, s, n);
    buf[n] = '\0';
    *d = strtod(buf, &stop);
    if (stop != buf + n)
        return fail_at(ps, s, SNUG_ERR_INTERNAL,
                       "strtod did not read the whole number (numeric locale not \"C\"?)");
    return e;
}

/* Read the number at `s` into `node`; returns the position after it.
 * Integers of up to 19 digits are accumulated in a uint64_t (no overflow)
 * and converted directly: up to 15 digits exactly, beyond 2^53 rounded to
 * nearest by the conversion, which is what strtod gives for the same text.
 * Everything else goes through strtod. */
static pos parse_number(parser *ps, pos s, cJSON *node)
{
    pos p = s, digits, e;
    uint64_t acc = 0;
    double d = 0;

    if (*p == '-')
        p++;
    digits = p;
    if (!is_digit(p, ps->end))
        return fail_expected(ps, p, "a digit after '-'");
    if (*p == '0' && is_digit(p + 1, ps->end))
        return fail_at(ps, p, SNUG_ERR_PARSE, "leading zeros are not allowed in numbers");
    for (; is_digit(p, ps->end); p++)
        acc = acc * 10 + (uint64_t)(*p - '0'); /* wraps past 19 digits, then unused */
    e = number_tail(ps, p);
    if (e == NULL)
        return NULL;
    if (e == p && p - digits <= 19) {
        d = (double)acc;
        if (*s == '-')
            d = -d; /* "-0" is -0.0, as strtod says */
    } else if (number_strtod(ps, s, e, &d) == NULL) {
        return NULL;
    }
    number_set(node, d);
    return e;
}

/* Read true, false or null at `p` into `node`. */
static pos parse_literal(parser *ps, pos p, cJSON *node)
{
    size_t left = (size_t)(ps->end - p);

    if (left >= 4 && memcmp(p, "true", 4) == 0) {
        node->type = cJSON_True;
        node->valueint = 1;
        return p + 4;
    }
    if (left >= 5 && memcmp(p, "false", 5) == 0) {
        node->type = cJSON_False;
        return p + 5;
    }
    if (left >= 4 && memcmp(p, "null", 4) == 0) {
        node->type = cJSON_NULL;
        return p + 4;
    }
    if (p == ps->start && *p == 0xEF)
        return fail_at(ps, p, SNUG_ERR_PARSE, "a UTF-8 byte order mark is not allowed");
    return fail_expected(ps, p, "a JSON value");
}

/* ---- structure ------------------------------------------------------- */

/* Make `node` an array or object (`p` at its bracket). An empty one is
 * complete at once; otherwise it is pushed and becomes *open. */
static HOT_INLINE pos open_container(parser *ps, pos p, cJSON *node, int type, unsigned char closer,
                                     cJSON **open)
{
    node->type = type;
    p = skip_ws(p + 1, ps->end);
    if (p < ps->end && *p == closer)
        return p + 1;
    if (ps->depth == JSONPARSE_MAX_DEPTH)
        return fail_at(ps, p, SNUG_ERR_TOO_BIG, "nested deeper than %d arrays/objects",
                       JSONPARSE_MAX_DEPTH);
    ps->stack[ps->depth++] = node;
    *open = node;
    return p;
}

/* Read the value at `p` (not whitespace) into `node`. When it is a
 * non-empty array or object, whose elements are still to be read, *open is
 * set to it; otherwise to NULL. */
static pos parse_value(parser *ps, pos p, cJSON *node, cJSON **open)
{
    *open = NULL;
    if (p == ps->end)
        return fail_expected(ps, p, "a JSON value");
    switch (*p) {
    case '"':
        p = parse_string(ps, p, &node->valuestring);
        if (p != NULL)
            node->type = cJSON_String;
        return p;
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9':
        return parse_number(ps, p, node);
    case '[':
        return open_container(ps, p, node, cJSON_Array, ']', open);
    case '{':
        return open_container(ps, p, node, cJSON_Object, '}', open);
    default:
        return parse_literal(ps, p, node);
    }
}

/* After a complete value: read the closing brackets of the containers it
 * completes, up to a ','. *open is the container the ',' continues, or NULL
 * once the root value is complete. */
static HOT_INLINE pos close_values(parser *ps, pos p, cJSON **open)
{
    while (ps->depth > 0) {
        cJSON *top = ps->stack[ps->depth - 1];
        bool array = top->type == cJSON_Array;

        p = skip_ws(p, ps->end);
        if (p < ps->end && *p == ',') {
            *open = top;
            return p + 1;
        }
        if (p == ps->end || *p != (array ? ']' : '}'))
            return fail_expected(ps, p,
                                 array ? "',' or ']' after an array element"
                                       : "',' or '}' after an object member");
        p++;
        ps->depth--;
    }
    *open = NULL;
    return p;
}

/* A node and, in the same block, its member name and its string value:
 * one allocation instead of up to three. `name` and `value` point at an
 * opening quote whose closing quote (no escapes between) is at `name_end` /
 * `value_end`; either may be NULL (an array element; a value that is not a
 * plain string). Only in an arena window, where nothing is freed piece by
 * piece (cJSON_free of a name or string is a no-op there), so cJSON's
 * separate frees never see an interior pointer outside the arena (and
 * cJSON_SetValuestring either shortens a string in place or frees the old
 * one, a no-op there). */
static cJSON *node_fused(pos name, pos name_end, pos value, pos value_end)
{
    size_t nn = name != NULL ? (size_t)(name_end - name - 1) : 0;
    size_t nv = value != NULL ? (size_t)(value_end - value - 1) : 0;
    size_t size = sizeof(cJSON) + (name != NULL ? nn + 1 : 0) + (value != NULL ? nv + 1 : 0);
    cJSON *node = jsonarena_alloc(size);
    unsigned char *b;

    if (node == NULL)
        return NULL;
    memset(node, 0, sizeof(*node));
    b = (unsigned char *)(node + 1);
    if (name != NULL) {
        copy_short(b, name + 1, nn);
        b[nn] = '\0';
        node->string = (char *)b;
        b += nn + 1;
    }
    if (value != NULL) {
        copy_short(b, value + 1, nv);
        b[nv] = '\0';
        node->valuestring = (char *)b;
        node->type = cJSON_String;
    }
    return node;
}

/* The closing quote of the plain string (no escapes) opening at `p`, or NULL
 * when `p` is not a quote or the string is not plain. */
static HOT_INLINE pos plain_string_end(parser *ps, pos p)
{
    pos close;

    if (p == ps->end || *p != '"')
        return NULL;
    close = string_scan(p + 1, ps->end);
    return close != ps->end && *close == '"' ? close : NULL;
}

/* Link a node made by node_fused into `parent`: the slot is filled when the
 * value came with it (*slot = NULL), open otherwise (*slot = node). Returns
 * where reading goes on: after the value, or at it. */
static pos slot_fused(parser *ps, pos at, cJSON *parent, cJSON *node, pos value_end, cJSON **slot)
{
    if (node == NULL)
        return fail_nomem(ps, at);
    node_append(parent, node);
    *slot = value_end != NULL ? NULL : node;
    return value_end != NULL ? value_end + 1 : at;
}

/* open_slot in an arena window: the node takes its member name, and its
 * value when that is a plain string, in one block. `p` is at the element
 * (array: name_end NULL) or at the quote of a plain member name that ends
 * at name_end (object). */
static pos open_slot_fused(parser *ps, pos p, pos name_end, cJSON *parent, cJSON **slot)
{
    pos name = NULL, value_end;

    if (name_end != NULL) {
        name = p;
        p = skip_ws(name_end + 1, ps->end);
        if (p == ps->end || *p != ':')
            return fail_expected(ps, p, "':' after object key");
        p = skip_ws(p + 1, ps->end);
    }
    value_end = plain_string_end(ps, p);
    return slot_fused(ps, p, parent,
                      node_fused(name, name_end, value_end != NULL ? p : NULL, value_end),
                      value_end, slot);
}

/* A new member of object `parent` with its name read (`p` at the opening
 * quote). Returns the position after the name. */
static pos open_member(parser *ps, pos p, cJSON *parent, cJSON **slot)
{
    cJSON *node = node_new();

    if (node == NULL)
        return fail_nomem(ps, p);
    node_append(parent, node);
    *slot = node;
    return parse_string(ps, p, &node->string);
}

/* Append a new slot to the open container `parent` (`p` just after '[' or
 * ','); for an object, read the member name and ':'. Returns the position of
 * the value; in an arena window, when the value is a plain string it is read
 * too (into the slot's block), *slot is NULL and the position is after it. */
static pos open_slot(parser *ps, pos p, cJSON *parent, cJSON **slot)
{
    cJSON *node;
    pos name_end;

    p = skip_ws(p, ps->end);
    if (ps->fuse) {
        name_end = parent->type == cJSON_Array ? NULL : plain_string_end(ps, p);
        if (parent->type == cJSON_Array || name_end != NULL)
            return open_slot_fused(ps, p, name_end, parent, slot);
    }
    if (parent->type == cJSON_Array) {
        node = node_new();
        if (node == NULL)
            return fail_nomem(ps, p);
        node_append(parent, node);
        *slot = node;
        return p;
    }
    if (p == ps->end || *p != '"')
        return fail_expected(ps, p, "'\"' to start an object key");
    p = open_member(ps, p, parent, slot);
    if (p == NULL)
        return NULL;
    p = skip_ws(p, ps->end);
    if (p == ps->end || *p != ':')
        return fail_expected(ps, p, "':' after object key");
    return skip_ws(p + 1, ps->end);
}

/* Read the one value at `p` into `root`, then only whitespace. Each turn
 * fills one slot, then makes the next: in the container the value opened,
 * or in the one a ',' continues. */
static snug_status parse_text(parser *ps, pos p, cJSON *root)
{
    cJSON *slot = root, *open;

    for (;;) {
        open = NULL;
        if (slot != NULL) /* NULL: open_slot read a plain string value too */
            p = parse_value(ps, p, slot, &open);
        if (p != NULL && open == NULL)
            p = close_values(ps, p, &open);
        if (p == NULL)
            return ps->status;
        if (open == NULL)
            break;
        p = open_slot(ps, p, open, &slot);
        if (p == NULL)
            return ps->status;
    }
    p = skip_ws(p, ps->end);
    if (p != ps->end) {
        fail_expected(ps, p, "end of input after the JSON value");
        return ps->status;
    }
    return SNUG_OK;
}

snug_status jsonparse(const char *text, size_t len, cJSON **out, snug_err *err)
{
    parser ps;
    cJSON *root = NULL;
    pos p;
    snug_status st;

    *out = NULL;
    ps.start = (pos)(text != NULL ? text : "");
    ps.end = ps.start + (text != NULL ? len : 0);
    ps.err = err;
    ps.status = SNUG_OK;
    ps.depth = 0;
    ps.fuse = jsonarena_active();
    p = skip_ws(ps.start, ps.end);
    if (p == ps.end) {
        fail_expected(&ps, p, "a JSON value (the text is empty)");
        st = ps.status;
        goto out;
    }
    root = node_new();
    if (root == NULL) {
        fail_nomem(&ps, p);
        st = ps.status;
        goto out;
    }
    st = parse_text(&ps, p, root);
    if (st != SNUG_OK)
        goto out;
    *out = root;
    root = NULL;
out:
    cJSON_Delete(root);
    return st;
}

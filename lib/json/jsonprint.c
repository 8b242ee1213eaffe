/* jsonprint.c -- the compact JSON text of cJSON trees, byte-identical to
 * cJSON_PrintUnformatted() (the rules are in jsonprint.h).
 *
 * Output goes through a writer: a buffer on the stack that is added to the
 * dynbuf when full, so the many small tokens cost a memcpy each rather than
 * a dynbuf_add each. Long string runs bypass it. The first failure sticks in
 * the writer and later writes are dropped; callers look once, at the end.
 *
 * The tree walk is iterative: the open containers are kept on an explicit
 * stack (on the C stack up to LOCAL_DEPTH, then in a dynbuf).
 */
#include "json/jsonprint.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define STAGE_SIZE    2048u /* bytes staged before they go to the dynbuf */
#define LOCAL_DEPTH   64u   /* open containers kept on the C stack */
#define INTEGER_LIMIT 1e15  /* integral numbers below this print without printf */
#define NUMBER_MAX    32u   /* "%1.17g" takes at most 24 bytes */
#define SHORT_STRING  32u   /* string bytes copied before a string is measured */

/* The low byte of a cJSON type is the kind; higher bits are flags. */
#define KIND(node) ((node)->type & 0xFF)

typedef struct writer {
    dynbuf *out;
    snug_status st; /* first failure of dynbuf_add, SNUG_OK until then */
    size_t n;       /* bytes staged */
    char stage[STAGE_SIZE];
} writer;

/* The containers being printed, outermost first. */
typedef struct parents {
    size_t depth;
    const cJSON *local[LOCAL_DEPTH];
    dynbuf spill; /* entries past LOCAL_DEPTH, as pointer-sized byte groups */
} parents;

/* For each byte: 0 when it is copied as it is, else the letter that follows
 * the backslash of its escape ('u' for \u00xx). */
static const char escape_letter[256] = {
    [0x00] = 'u', [0x01] = 'u', [0x02] = 'u', [0x03] = 'u',  [0x04] = 'u', [0x05] = 'u',
    [0x06] = 'u', [0x07] = 'u', [0x08] = 'b', [0x09] = 't',  [0x0a] = 'n', [0x0b] = 'u',
    [0x0c] = 'f', [0x0d] = 'r', [0x0e] = 'u', [0x0f] = 'u',  [0x10] = 'u', [0x11] = 'u',
    [0x12] = 'u', [0x13] = 'u', [0x14] = 'u', [0x15] = 'u',  [0x16] = 'u', [0x17] = 'u',
    [0x18] = 'u', [0x19] = 'u', [0x1a] = 'u', [0x1b] = 'u',  [0x1c] = 'u', [0x1d] = 'u',
    [0x1e] = 'u', [0x1f] = 'u', ['"'] = '"',  ['\\'] = '\\',
};

static void writer_init(writer *w, dynbuf *out)
{
    w->out = out;
    w->st = SNUG_OK;
    w->n = 0;
}

/* Move the staged bytes to the dynbuf (dropped after a failure). */
static void writer_flush(writer *w)
{
    if (w->n > 0 && w->st == SNUG_OK)
        w->st = dynbuf_add(w->out, w->stage, w->n);
    w->n = 0;
}

/* writer_put() for bytes that do not fit in the stage: flush it, then
 * stage them, or add them straight to the dynbuf when they are as large. */
static void writer_put_slow(writer *w, const void *p, size_t len)
{
    writer_flush(w);
    if (len < STAGE_SIZE) {
        memcpy(w->stage, p, len);
        w->n = len;
    } else if (w->st == SNUG_OK) {
        w->st = dynbuf_add(w->out, p, len);
    }
}

/* Write `len` bytes. */
static inline void writer_put(writer *w, const void *p, size_t len)
{
    if (len > STAGE_SIZE - w->n) {
        writer_put_slow(w, p, len);
        return;
    }
    memcpy(w->stage + w->n, p, len);
    w->n += len;
}

static inline void writer_putc(writer *w, char c)
{
    if (w->n == STAGE_SIZE)
        writer_flush(w);
    w->stage[w->n++] = c;
}

/* Flush, then turn the writer's failure, if any, into an error message. */
static snug_status writer_finish(writer *w, snug_err *err)
{
    writer_flush(w);
    if (w->st == SNUG_ERR_TOO_BIG)
        return snug_err_set(err, w->st, "JSON text exceeds the maximum of %zu bytes", w->out->max);
    if (w->st != SNUG_OK)
        return snug_err_set(err, w->st, "printing JSON: %s", snug_status_str(w->st));
    return SNUG_OK;
}

#define BYTES_01 0x0101010101010101ull
#define BYTES_80 0x8080808080808080ull

/* Whether any of the 8 bytes of `x` is below 0x20, '"' or '\\'. Each term is
 * the classic "has a byte below n" test (a "has a zero byte" test for the
 * XORed words), which is exact as a yes/no answer: a borrow only ever
 * leaves a byte that is itself below the value subtracted. */
static inline int word_needs_escape(uint64_t x)
{
    uint64_t quote = x ^ (BYTES_01 * '"');
    uint64_t bslash = x ^ (BYTES_01 * '\\');
    uint64_t hits = ((x - BYTES_01 * 0x20) & ~x) | ((quote - BYTES_01) & ~quote) |
                    ((bslash - BYTES_01) & ~bslash);

    return (hits & BYTES_80) != 0;
}

#ifdef __SSE2__
/* Bit i set when byte i of the 16 at `s` needs an escape. */
static inline unsigned block_needs_escape(const unsigned char *s)
{
    const __m128i x = _mm_loadu_si128((const __m128i *)(const void *)s);
    const __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1f)), x);
    const __m128i quote = _mm_cmpeq_epi8(x, _mm_set1_epi8('"'));
    const __m128i bslash = _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'));

    return (unsigned)_mm_movemask_epi8(_mm_or_si128(ctl, _mm_or_si128(quote, bslash)));
}
#endif

/* Length of the longest prefix of s[0..len) that needs no escape: 16 bytes
 * a step with SSE2, then 8 in a word, then one by one. */
static size_t clean_prefix(const unsigned char *s, size_t len)
{
    size_t i = 0;
    uint64_t x;

#ifdef __SSE2__
    while (len - i >= 16) {
        unsigned hits = block_needs_escape(s + i);

        if (hits != 0)
            return i + (size_t)__builtin_ctz(hits);
        i += 16;
    }
#endif
    while (len - i >= sizeof(x)) {
        memcpy(&x, s + i, sizeof(x));
        if (word_needs_escape(x))
            break;
        i += sizeof(x);
    }
    while (i < len && escape_letter[s[i]] == 0)
        i++;
    return i;
}

/* Write the escape of byte `c`, one that escape_letter marks. */
static void put_escape(writer *w, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    const char e[6] = {'\\', escape_letter[c], '0', '0', hex[(c >> 4) & 15], hex[c & 15]};

    writer_put(w, e, e[1] == 'u' ? 6 : 2);
}

/* Write s[0..len) escaped, without quotes. */
static void put_escaped(writer *w, const unsigned char *p, size_t len)
{
    size_t run;

    while (len > 0) {
        run = clean_prefix(p, len);
        if (run > 0)
            writer_put(w, p, run);
        if (run == len)
            break;
        put_escape(w, p[run]);
        p += run + 1;
        len -= run + 1;
    }
}

/* Write s[0..len) as a quoted, escaped JSON string. */
static void put_string(writer *w, const char *s, size_t len)
{
    writer_putc(w, '"');
    put_escaped(w, (const unsigned char *)s, len);
    writer_putc(w, '"');
}

/* Write a C string as a JSON string; NULL prints as "", as cJSON does.
 * Most strings (member names, short values) are short and need no escape:
 * up to SHORT_STRING bytes are copied into the stage in the same loop that
 * looks for the end and for bytes to escape (the NUL is one of those). Only
 * what follows, if anything, is measured and scanned a word at a time. */
static void put_cstring(writer *w, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    char *dst;
    size_t i = 0;

    if (s == NULL) {
        writer_put(w, "\"\"", 2);
        return;
    }
    if (STAGE_SIZE - w->n < SHORT_STRING + 2)
        writer_flush(w);
    dst = w->stage + w->n;
    dst[0] = '"';
    while (i < SHORT_STRING && escape_letter[p[i]] == 0) {
        dst[i + 1] = (char)p[i];
        i++;
    }
    w->n += i + 1;
    if (p[i] != '\0') /* p[0..i) held no NUL, so p[i] is readable */
        put_escaped(w, p + i, strlen((const char *)p + i));
    writer_putc(w, '"');
}

/* The digits of integral `d`, |d| < INTEGER_LIMIT, into buf, which is what
 * "%1.15g" writes for it (fewer than 16 digits never take an exponent;
 * -0.0 is "-0"). Returns the length. */
static size_t format_integer(double d, char *buf)
{
    char digits[NUMBER_MAX];
    uint64_t v = (uint64_t)fabs(d);
    size_t n = 0;
    size_t len = 0;

    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    if (signbit(d))
        buf[len++] = '-';
    while (n > 0)
        buf[len++] = digits[--n];
    return len;
}

/* cJSON's test that a number read back is close enough to the value printed:
 * within DBL_EPSILON relative to the larger magnitude. */
static int close_enough(double a, double b)
{
    double larger = fabs(a) > fabs(b) ? fabs(a) : fabs(b);

    return fabs(a - b) <= larger * DBL_EPSILON;
}

/* Any finite `d` as cJSON formats it: "%1.15g", or "%1.17g" when the former
 * does not read back close enough; the decimal separator made '.'. buf has
 * NUMBER_MAX bytes. Returns the length. */
static size_t format_general(double d, char *buf)
{
    int n = snprintf(buf, NUMBER_MAX, "%1.15g", d);
    size_t i;

    if (!close_enough(strtod(buf, NULL), d))
        n = snprintf(buf, NUMBER_MAX, "%1.17g", d);
    if (n < 0 || (size_t)n >= NUMBER_MAX)
        return 0; /* cannot happen: at most 24 bytes */
    for (i = 0; i < (size_t)n; i++) {
        char c = buf[i];

        if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == 'e'))
            buf[i] = '.'; /* the only other byte %g writes is the separator */
    }
    return (size_t)n;
}

static void put_number(writer *w, double d)
{
    char buf[NUMBER_MAX];
    size_t n;

    if (isnan(d) || isinf(d)) {
        writer_put(w, "null", 4);
        return;
    }
    if (fabs(d) < INTEGER_LIMIT && d == (double)(int64_t)d)
        n = format_integer(d, buf);
    else
        n = format_general(d, buf);
    writer_put(w, buf, n);
}

static int is_container(const cJSON *node)
{
    return KIND(node) == cJSON_Array || KIND(node) == cJSON_Object;
}

/* Refuse `node`, naming it by its member name if it has one. */
static snug_status node_error(snug_err *err, snug_status st, const cJSON *node, size_t depth,
                              const char *what)
{
    if (node->string != NULL)
        return snug_err_set(err, st, "JSON member \"%.64s\" (depth %zu): %s", node->string, depth,
                            what);
    return snug_err_set(err, st, "JSON value at depth %zu: %s", depth, what);
}

/* Write a node whose children, if any, are not followed: a scalar, a raw
 * text or an empty container. SNUG_ERR_INVALID for what cJSON cannot print
 * (no message: the caller names the node). */
static snug_status put_leaf(writer *w, const cJSON *node)
{
    switch (KIND(node)) {
    case cJSON_False:
        writer_put(w, "false", 5);
        break;
    case cJSON_True:
        writer_put(w, "true", 4);
        break;
    case cJSON_NULL:
        writer_put(w, "null", 4);
        break;
    case cJSON_Number:
        put_number(w, node->valuedouble);
        break;
    case cJSON_String:
        put_cstring(w, node->valuestring);
        break;
    case cJSON_Raw:
        if (node->valuestring == NULL)
            return SNUG_ERR_INVALID;
        writer_put(w, node->valuestring, strlen(node->valuestring));
        break;
    case cJSON_Array:
        writer_put(w, "[]", 2);
        break;
    case cJSON_Object:
        writer_put(w, "{}", 2);
        break;
    default:
        return SNUG_ERR_INVALID;
    }
    return SNUG_OK;
}

static void parents_init(parents *ps)
{
    ps->depth = 0;
    dynbuf_init(&ps->spill, (JSONPRINT_MAX_DEPTH - LOCAL_DEPTH) * sizeof(const cJSON *));
}

static snug_status parents_push(parents *ps, const cJSON *node)
{
    snug_status st = SNUG_OK;

    if (ps->depth < LOCAL_DEPTH)
        ps->local[ps->depth] = node;
    else
        st = dynbuf_add(&ps->spill, &node, sizeof(node));
    if (st == SNUG_OK)
        ps->depth++;
    return st;
}

/* The innermost open container; NULL when there is none. */
static const cJSON *parents_top(const parents *ps)
{
    const cJSON *node;

    if (ps->depth == 0)
        return NULL;
    if (ps->depth <= LOCAL_DEPTH)
        return ps->local[ps->depth - 1];
    memcpy(&node, dynbuf_str(&ps->spill) + (ps->depth - 1 - LOCAL_DEPTH) * sizeof(node),
           sizeof(node));
    return node;
}

/* Close the innermost open container (there is one) and return it. */
static const cJSON *parents_pop(parents *ps)
{
    const cJSON *node = parents_top(ps);

    ps->depth--;
    if (ps->depth >= LOCAL_DEPTH)
        dynbuf_truncate(&ps->spill, (ps->depth - LOCAL_DEPTH) * sizeof(node));
    return node;
}

/* After `node` was written: close every container it ends, then write the
 * separator. Returns the next node to write, NULL when the root is done. */
static const cJSON *walk_on(writer *w, parents *ps, const cJSON *node)
{
    while (ps->depth > 0 && node->next == NULL) {
        node = parents_pop(ps);
        writer_putc(w, KIND(node) == cJSON_Array ? ']' : '}');
    }
    if (ps->depth == 0)
        return NULL; /* the root's siblings are not printed */
    writer_putc(w, ',');
    return node->next;
}

/* Write `root` and everything under it. Failures of the writer are left in
 * it; the others are returned, with a message. */
static snug_status print_tree(writer *w, const cJSON *root, snug_err *err)
{
    parents ps;
    const cJSON *node = root;
    const cJSON *parent = NULL;
    snug_status st = SNUG_OK;

    parents_init(&ps);
    while (node != NULL && w->st == SNUG_OK) {
        if (parent != NULL && KIND(parent) == cJSON_Object) {
            put_cstring(w, node->string);
            writer_putc(w, ':');
        }
        if (is_container(node) && ps.depth >= JSONPRINT_MAX_DEPTH) {
            st = snug_err_set(err, SNUG_ERR_TOO_BIG, "JSON nesting deeper than %u levels",
                              JSONPRINT_MAX_DEPTH);
            goto out;
        }
        if (is_container(node) && node->child != NULL) {
            st = parents_push(&ps, node);
            if (st != SNUG_OK) {
                st = snug_err_set(err, st, "JSON nesting: %s", snug_status_str(st));
                goto out;
            }
            writer_putc(w, KIND(node) == cJSON_Array ? '[' : '{');
            parent = node;
            node = node->child;
            continue;
        }
        st = put_leaf(w, node);
        if (st != SNUG_OK) {
            st = node_error(err, st, node, ps.depth,
                            KIND(node) == cJSON_Raw ? "raw value without text"
                                                    : "not a printable JSON type");
            goto out;
        }
        node = walk_on(w, &ps, node);
        parent = parents_top(&ps);
    }
out:
    dynbuf_free(&ps.spill);
    return st;
}

snug_status jsonprint_append(dynbuf *out, const cJSON *item, snug_err *err)
{
    size_t start = dynbuf_len(out);
    snug_status st;
    writer w;

    if (item == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "no JSON value to print");
    writer_init(&w, out);
    st = print_tree(&w, item, err);
    if (st == SNUG_OK)
        st = writer_finish(&w, err);
    if (st != SNUG_OK)
        dynbuf_truncate(out, start);
    return st;
}

snug_status jsonprint_string(const cJSON *item, size_t max, char **out, size_t *len, snug_err *err)
{
    snug_status st;
    size_t n;
    dynbuf b;

    *out = NULL;
    dynbuf_init(&b, max);
    st = jsonprint_append(&b, item, err);
    if (st != SNUG_OK)
        goto out;
    n = dynbuf_len(&b);
    *out = dynbuf_take(&b);
    if (*out == NULL) {
        st =
            snug_err_set(err, SNUG_ERR_NOMEM, "printing JSON: %s", snug_status_str(SNUG_ERR_NOMEM));
        goto out;
    }
    if (len != NULL)
        *len = n;
out:
    dynbuf_free(&b);
    return st;
}

snug_status jsonprint_string_literal(dynbuf *out, const char *s, size_t len, snug_err *err)
{
    size_t start = dynbuf_len(out);
    snug_status st;
    writer w;

    if (s == NULL && len > 0)
        return snug_err_set(err, SNUG_ERR_INVALID, "JSON string literal: NULL text");
    writer_init(&w, out);
    put_string(&w, s, len);
    st = writer_finish(&w, err);
    if (st != SNUG_OK)
        dynbuf_truncate(out, start);
    return st;
}

/* yaml_emit.c -- cJSON trees to block-style YAML (yaml_emit() in
 * yamljson.h).
 *
 * The emitter writes YAML the way kubectl prints objects (2-space indent,
 * sequences under their key with the dashes lined up with it) and quotes
 * every string the parser would otherwise read back as something else, so
 * yaml_parse(yaml_emit(x)) == x.
 */
#include "yaml/yamljson_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define YJ_MAX_PLAIN_KEY 1000 /* libyaml refuses implicit keys over 1024 chars */
#define YJ_ESC_MAX       16   /* longest escape written, with its NUL */

/* A character above U+007F that may appear as is in a scalar: not a C1
 * control, not one of the line breaks libyaml knows (NEL, LS, PS), not a BOM
 * and not a non-character. */
static bool yj_wide_printable(uint32_t cp)
{
    return cp >= 0xA0 && cp != 0x2028 && cp != 0x2029 && cp != 0xFEFF && cp != 0xFFFE &&
           cp != 0xFFFF;
}

static bool yj_is_indicator(char ch)
{
    return ch != '\0' && strchr("-?:,[]{}#&*!|>'\"%@`", ch) != NULL;
}

/* Whether `s` can be written as a plain scalar and read back as the same
 * string (not as a number, bool, null, the merge key, or with its spaces
 * cut). */
static bool yj_plain_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), i, k;
    uint32_t cp;
    yj_scalar sc;

    if (n == 0 || yj_is_indicator(s[0]) || s[0] == ' ' || s[n - 1] == ' ' || s[n - 1] == ':' ||
        strncmp(s, "...", 3) == 0 || strstr(s, ": ") != NULL || strstr(s, " #") != NULL ||
        strcmp(s, "<<") == 0)
        return false;
    for (i = 0; i < n; i += k) {
        k = 1;
        if (p[i] < 0x20 || p[i] == 0x7F)
            return false;
        if (p[i] < 0x80)
            continue;
        k = yj_utf8_decode(p + i, n - i, &cp);
        if (k == 0 || !yj_wide_printable(cp))
            return false;
    }
    yj_resolve_plain(s, n, &sc);
    return sc.kind == YJ_STR;
}

/* The escape for the character that starts p[0..n) into esc ("" when it is
 * written as is); returns how many bytes the character takes. Invalid UTF-8
 * bytes are escaped one at a time as \xNN. */
static size_t yj_quote_escape(const unsigned char *p, size_t n, char esc[YJ_ESC_MAX])
{
    uint32_t cp;
    size_t k = 1;

    esc[0] = '\0';
    if (p[0] == '"' || p[0] == '\\') {
        snprintf(esc, YJ_ESC_MAX, "\\%c", p[0]);
    } else if (p[0] == '\n') {
        snprintf(esc, YJ_ESC_MAX, "\\n");
    } else if (p[0] == '\t') {
        snprintf(esc, YJ_ESC_MAX, "\\t");
    } else if (p[0] == '\r') {
        snprintf(esc, YJ_ESC_MAX, "\\r");
    } else if (p[0] < 0x20 || p[0] == 0x7F) {
        snprintf(esc, YJ_ESC_MAX, "\\x%02X", p[0]);
    } else if (p[0] >= 0x80) {
        k = yj_utf8_decode(p, n, &cp);
        if (k == 0) {
            k = 1;
            snprintf(esc, YJ_ESC_MAX, "\\x%02X", p[0]);
        } else if (!yj_wide_printable(cp)) {
            snprintf(esc, YJ_ESC_MAX, "\\u%04X", (unsigned)cp);
        }
    }
    return k;
}

/* Write `s` as a double-quoted scalar. Invalid UTF-8 bytes become \xNN. */
static snug_status yj_emit_quoted(dynbuf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), i = 0, run = 0, k;
    char esc[YJ_ESC_MAX];
    snug_status st = dynbuf_addc(b, '"');

    while (st == SNUG_OK && i < n) {
        k = yj_quote_escape(p + i, n - i, esc);
        if (esc[0] == '\0') {
            run += k;
            i += k;
            continue;
        }
        st = dynbuf_add(b, s + i - run, run);
        if (st == SNUG_OK)
            st = dynbuf_addstr(b, esc);
        run = 0;
        i += k;
    }
    if (st == SNUG_OK)
        st = dynbuf_add(b, s + i - run, run);
    if (st == SNUG_OK)
        st = dynbuf_addc(b, '"');
    return st;
}

static snug_status yj_emit_string(dynbuf *b, const char *s)
{
    return yj_plain_ok(s) ? dynbuf_addstr(b, s) : yj_emit_quoted(b, s);
}

/* Integral values as integers ("1000000", not "1e+06"); others with the
 * fewest digits that read back exactly. JSON has no NaN/Inf: null. */
static snug_status yj_emit_number(dynbuf *b, double d)
{
    char buf[64];
    int p;

    if (!isfinite(d))
        return dynbuf_addstr(b, "null");
    if (d == floor(d) && fabs(d) < 1e17)
        return dynbuf_printf(b, "%.0f", d);
    for (p = 15; p < 17; p++) {
        snprintf(buf, sizeof(buf), "%.*g", p, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    snprintf(buf, sizeof(buf), "%.*g", p, d);
    return dynbuf_addstr(b, buf);
}

static bool yj_is_block(const cJSON *n)
{
    return (cJSON_IsObject(n) || cJSON_IsArray(n)) && n->child != NULL;
}

/* A scalar, or an empty collection in flow style. */
static snug_status yj_emit_scalar(dynbuf *b, const cJSON *n)
{
    if (cJSON_IsString(n))
        return yj_emit_string(b, n->valuestring ? n->valuestring : "");
    if (cJSON_IsNumber(n))
        return yj_emit_number(b, n->valuedouble);
    if (cJSON_IsTrue(n))
        return dynbuf_addstr(b, "true");
    if (cJSON_IsFalse(n))
        return dynbuf_addstr(b, "false");
    if (cJSON_IsObject(n))
        return dynbuf_addstr(b, "{}");
    if (cJSON_IsArray(n))
        return dynbuf_addstr(b, "[]");
    if (cJSON_IsRaw(n) && n->valuestring != NULL)
        return dynbuf_addstr(b, n->valuestring);
    return dynbuf_addstr(b, "null");
}

/* A scalar (see yj_emit_scalar) and the end of its line. */
static snug_status yj_emit_scalar_line(dynbuf *b, const cJSON *n)
{
    snug_status st = yj_emit_scalar(b, n);

    return st == SNUG_OK ? dynbuf_addc(b, '\n') : st;
}

static snug_status yj_emit_indent(dynbuf *b, size_t indent)
{
    static const char spaces[] = "                                ";
    snug_status st = SNUG_OK;
    size_t k;

    while (st == SNUG_OK && indent > 0) {
        k = indent < sizeof(spaces) - 1 ? indent : sizeof(spaces) - 1;
        st = dynbuf_add(b, spaces, k);
        indent -= k;
    }
    return st;
}

static snug_status yj_emit_block(dynbuf *b, const cJSON *n, size_t indent, bool inline_first,
                                 int depth);

/* "key:" -- or, for a key too long for an implicit key, "? key\n<indent>:". */
static snug_status yj_emit_key(dynbuf *b, const char *key, size_t indent)
{
    size_t start = dynbuf_len(b);
    snug_status st = dynbuf_addstr(b, "? ");

    if (st == SNUG_OK)
        st = yj_emit_string(b, key);
    if (st != SNUG_OK)
        return st;
    if (dynbuf_len(b) - start - 2 <= YJ_MAX_PLAIN_KEY) {
        /* Drop the "? " again: shift the key left by two bytes. */
        memmove(b->buf + start, b->buf + start + 2, dynbuf_len(b) - start - 2);
        dynbuf_truncate(b, dynbuf_len(b) - 2);
        return dynbuf_addc(b, ':');
    }
    st = dynbuf_addc(b, '\n');
    if (st == SNUG_OK)
        st = yj_emit_indent(b, indent);
    if (st == SNUG_OK)
        st = dynbuf_addc(b, ':');
    return st;
}

/* The value of a mapping entry, after its "key:". */
static snug_status yj_emit_entry_value(dynbuf *b, const cJSON *v, size_t indent, int depth)
{
    snug_status st;

    if (yj_is_block(v)) {
        /* kubectl style: a sequence's dashes line up with the key. */
        st = dynbuf_addc(b, '\n');
        if (st != SNUG_OK)
            return st;
        return yj_emit_block(b, v, cJSON_IsObject(v) ? indent + 2 : indent, false, depth + 1);
    }
    st = dynbuf_addc(b, ' ');
    return st == SNUG_OK ? yj_emit_scalar_line(b, v) : st;
}

/* A sequence item: "- " and its value; a nested block starts on that line. */
static snug_status yj_emit_item(dynbuf *b, const cJSON *it, size_t indent, int depth)
{
    snug_status st = dynbuf_addstr(b, "- ");

    if (st != SNUG_OK)
        return st;
    if (yj_is_block(it))
        return yj_emit_block(b, it, indent + 2, true, depth + 1);
    return yj_emit_scalar_line(b, it);
}

/* The entries of a non-empty mapping ("key: value") or sequence ("- value"),
 * one a line at `indent`; the first one goes on the current line when
 * inline_first (the block is an item of a sequence). Nesting deeper than
 * YAMLJSON_MAX_DEPTH is SNUG_ERR_TOO_BIG. */
static snug_status yj_emit_block(dynbuf *b, const cJSON *n, size_t indent, bool inline_first,
                                 int depth)
{
    const cJSON *it;
    snug_status st = SNUG_OK;

    if (depth > YAMLJSON_MAX_DEPTH)
        return SNUG_ERR_TOO_BIG;
    for (it = n->child; it != NULL && st == SNUG_OK; it = it->next) {
        if (it != n->child || !inline_first)
            st = yj_emit_indent(b, indent);
        if (st != SNUG_OK)
            break;
        if (cJSON_IsObject(n)) {
            st = yj_emit_key(b, it->string ? it->string : "", indent);
            if (st == SNUG_OK)
                st = yj_emit_entry_value(b, it, indent, depth);
        } else {
            st = yj_emit_item(b, it, indent, depth);
        }
    }
    return st;
}

snug_status yaml_emit(const cJSON *doc, dynbuf *out)
{
    size_t start = dynbuf_len(out);
    snug_status st;

    if (doc != NULL && yj_is_block(doc)) {
        st = yj_emit_block(out, doc, 0, false, 1);
    } else {
        st = doc ? yj_emit_scalar_line(out, doc) : dynbuf_addstr(out, "null\n");
    }
    if (st != SNUG_OK)
        dynbuf_truncate(out, start);
    return st;
}

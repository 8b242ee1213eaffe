/* promql.c -- PromQL string escaping, name checks, selectors, and the parser
 * of a user's extra matcher list. */
#include "prom/promql.h"

#include <string.h>

typedef struct extra_parser {
    const char *s;
    size_t pos;
    dynbuf value; /* the decoded string of the matcher being read */
    snug_err *err;
} extra_parser;

/* ---- escaping ---------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence starting at `s` (which is not ASCII),
 * or 0 when the bytes there are not one (bad lead or continuation byte,
 * overlong form, surrogate, beyond U+10FFFF). */
static size_t utf8_valid_len(const unsigned char *s)
{
    unsigned cp;
    size_t n, i;

    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2, cp = s[0] & 0x1fu;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3, cp = s[0] & 0x0fu;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4, cp = s[0] & 0x07u;
    else
        return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
            return 0;
        cp = (cp << 6) | (s[i] & 0x3fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

/* The escape letter for a control byte Go and PromQL name, or 0. */
static char escape_letter(unsigned char c)
{
    switch (c) {
    case '\a':
        return 'a';
    case '\b':
        return 'b';
    case '\f':
        return 'f';
    case '\n':
        return 'n';
    case '\r':
        return 'r';
    case '\t':
        return 't';
    case '\v':
        return 'v';
    case '"':
        return '"';
    case '\\':
        return '\\';
    default:
        return 0;
    }
}

static snug_status escape_into(dynbuf *b, const char *value)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *p = (const unsigned char *)value;
    snug_status st = dynbuf_addc(b, '"');

    while (st == SNUG_OK && *p != '\0') {
        char letter = escape_letter(*p);
        size_t n;

        if (letter != 0) {
            char esc[2] = {'\\', letter};
            st = dynbuf_add(b, esc, 2);
            p++;
        } else if (*p < 0x20 || *p == 0x7f) {
            char esc[4] = {'\\', 'x', hex[*p >> 4], hex[*p & 15]};
            st = dynbuf_add(b, esc, 4);
            p++;
        } else if (*p < 0x80) {
            st = dynbuf_addc(b, (char)*p++);
        } else if ((n = utf8_valid_len(p)) > 0) {
            st = dynbuf_add(b, p, n);
            p += n;
        } else {
            char esc[4] = {'\\', 'x', hex[*p >> 4], hex[*p & 15]};
            st = dynbuf_add(b, esc, 4);
            p++;
        }
    }
    if (st == SNUG_OK)
        st = dynbuf_addc(b, '"');
    return st;
}

snug_status promql_escape(dynbuf *b, const char *value)
{
    size_t mark = dynbuf_len(b);
    snug_status st = escape_into(b, value != NULL ? value : "");

    if (st != SNUG_OK)
        dynbuf_truncate(b, mark);
    return st;
}

/* ---- names ------------------------------------------------------------------------- */

static bool name_start(char c, bool colon)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}

static bool name_char(char c, bool colon)
{
    return name_start(c, colon) || (c >= '0' && c <= '9');
}

static bool name_valid(const char *name, bool colon)
{
    size_t i;

    if (name == NULL || !name_start(name[0], colon))
        return false;
    for (i = 1; name[i] != '\0'; i++)
        if (!name_char(name[i], colon))
            return false;
    return true;
}

bool promql_name_valid(const char *name)
{
    return name_valid(name, true);
}

bool promql_label_name_valid(const char *name)
{
    return name_valid(name, false);
}

bool promql_op_valid(const char *op)
{
    return op != NULL && (strcmp(op, "=") == 0 || strcmp(op, "!=") == 0 || strcmp(op, "=~") == 0 ||
                          strcmp(op, "!~") == 0);
}

/* ---- the extra matcher list -------------------------------------------------------- */

static snug_status extra_fail(extra_parser *p, snug_status st, const char *what)
{
    return snug_err_set(p->err, st, "extra matchers: at offset %zu: %s", p->pos, what);
}

static void skip_space(extra_parser *p)
{
    while (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' ||
           p->s[p->pos] == '\r')
        p->pos++;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Read `ndigits` digits of base `base` (8 or 16) at p->pos into *out. */
static bool read_digits(extra_parser *p, int ndigits, int base, unsigned long *out)
{
    unsigned long v = 0;
    int i;

    for (i = 0; i < ndigits; i++) {
        int d = hex_value(p->s[p->pos]);

        if (d < 0 || d >= base)
            return false;
        v = v * (unsigned long)base + (unsigned long)d;
        p->pos++;
    }
    *out = v;
    return true;
}

/* Append code point `cp` to the value as UTF-8. */
static snug_status add_utf8(dynbuf *b, unsigned long cp)
{
    char u[4];
    size_t n;

    if (cp < 0x80) {
        u[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | (cp >> 6)), u[1] = (char)(0x80 | (cp & 0x3f)), n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | (cp >> 12)), u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f)), n = 3;
    } else {
        u[0] = (char)(0xf0 | (cp >> 18)), u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f)), u[3] = (char)(0x80 | (cp & 0x3f)), n = 4;
    }
    return dynbuf_add(b, u, n);
}

/* One escape after the backslash (p->pos is on the letter), as Go's
 * strconv.UnquoteChar reads it inside `quote`. */
static snug_status read_escape(extra_parser *p, char quote)
{
    char c = p->s[p->pos];
    static const char letters[] = "abfnrtv";
    static const char bytes[] = "\a\b\f\n\r\t\v";
    const char *l = c != '\0' ? strchr(letters, c) : NULL;
    unsigned long v;

    if (l != NULL) {
        p->pos++;
        return dynbuf_addc(&p->value, bytes[l - letters]);
    }
    if (c == '\\' || c == quote) {
        p->pos++;
        return dynbuf_addc(&p->value, c);
    }
    if (c >= '0' && c <= '7') {
        if (!read_digits(p, 3, 8, &v) || v > 255)
            return extra_fail(p, SNUG_ERR_PARSE, "bad octal escape");
    } else if (c == 'x' || c == 'u' || c == 'U') {
        p->pos++;
        if (!read_digits(p, c == 'x' ? 2 : c == 'u' ? 4 : 8, 16, &v))
            return extra_fail(p, SNUG_ERR_PARSE, "bad hex escape");
        if (c != 'x') {
            if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
                return extra_fail(p, SNUG_ERR_PARSE, "escape is not a Unicode code point");
            if (v == 0)
                return extra_fail(p, SNUG_ERR_PARSE, "NUL in a string");
            return add_utf8(&p->value, v);
        }
    } else {
        return extra_fail(p, SNUG_ERR_PARSE, "unknown escape sequence");
    }
    if (v == 0)
        return extra_fail(p, SNUG_ERR_PARSE, "NUL in a string");
    return dynbuf_addc(&p->value, (char)v);
}

/* A quoted string at p->pos, decoded into p->value. */
static snug_status read_string(extra_parser *p)
{
    char quote = p->s[p->pos];
    snug_status st = SNUG_OK;

    dynbuf_reset(&p->value);
    if (quote != '"' && quote != '\'' && quote != '`')
        return extra_fail(p, SNUG_ERR_PARSE, "expected a quoted string");
    p->pos++;
    while (st == SNUG_OK) {
        char c = p->s[p->pos];

        if (c == '\0' || (c == '\n' && quote != '`'))
            return extra_fail(p, SNUG_ERR_PARSE, "unterminated string");
        p->pos++;
        if (c == quote)
            break;
        if (c == '\\' && quote != '`')
            st = read_escape(p, quote);
        else
            st = dynbuf_addc(&p->value, c);
    }
    if (st == SNUG_ERR_NOMEM || st == SNUG_ERR_TOO_BIG)
        return extra_fail(p, st, snug_status_str(st));
    return st;
}

static snug_status read_name(extra_parser *p, char *name, size_t cap)
{
    size_t start = p->pos;
    size_t n;

    if (!name_start(p->s[p->pos], true))
        return extra_fail(p, SNUG_ERR_PARSE, "expected a label name");
    while (name_char(p->s[p->pos], true))
        p->pos++;
    n = p->pos - start;
    if (n >= cap)
        return extra_fail(p, SNUG_ERR_TOO_BIG, "label name too long");
    memcpy(name, p->s + start, n);
    name[n] = '\0';
    if (!promql_label_name_valid(name)) {
        p->pos = start;
        return extra_fail(p, SNUG_ERR_INVALID, "a label name cannot contain ':'");
    }
    return SNUG_OK;
}

static snug_status read_op(extra_parser *p, char op[3])
{
    const char *s = p->s + p->pos;

    if ((s[0] == '=' || s[0] == '!') && s[1] == '~') {
        op[0] = s[0], op[1] = '~', op[2] = '\0';
    } else if (s[0] == '!' && s[1] == '=') {
        op[0] = '!', op[1] = '=', op[2] = '\0';
    } else if (s[0] == '=') {
        op[0] = '=', op[1] = '\0';
    } else {
        return extra_fail(p, SNUG_ERR_PARSE, "expected an operator (=, !=, =~, !~)");
    }
    p->pos += strlen(op);
    return SNUG_OK;
}

/* One matcher; appended to `out` (when not NULL) as name op "escaped". */
static snug_status read_matcher(extra_parser *p, dynbuf *out)
{
    char name[256];
    char op[3];
    snug_status st = read_name(p, name, sizeof(name));

    if (st == SNUG_OK) {
        skip_space(p);
        st = read_op(p, op);
    }
    if (st == SNUG_OK) {
        skip_space(p);
        st = read_string(p);
    }
    if (st == SNUG_OK && out != NULL) {
        st = dynbuf_printf(out, "%s%s", name, op);
        if (st == SNUG_OK)
            st = escape_into(out, dynbuf_str(&p->value));
        if (st != SNUG_OK)
            st = snug_err_set(p->err, st, "extra matchers: %s", snug_status_str(st));
    }
    return st;
}

/* Parse the whole list; each matcher is appended to `out` (may be NULL),
 * comma-separated, with no leading or trailing comma. */
static snug_status parse_extra(const char *extra, dynbuf *out, snug_err *err)
{
    extra_parser p;
    snug_status st = SNUG_OK;
    int count = 0;

    if (strlen(extra) > PROMQL_EXTRA_MAX)
        return snug_err_set(err, SNUG_ERR_TOO_BIG, "extra matchers: longer than %d bytes",
                            PROMQL_EXTRA_MAX);
    memset(&p, 0, sizeof(p));
    p.s = extra;
    p.err = err;
    dynbuf_init(&p.value, PROMQL_EXTRA_MAX);
    for (;;) {
        skip_space(&p);
        if (p.s[p.pos] == '\0' && count > 0)
            break; /* after a trailing comma */
        if (out != NULL && count > 0)
            st = dynbuf_addc(out, ',');
        if (st == SNUG_OK)
            st = read_matcher(&p, out);
        if (st != SNUG_OK)
            goto out;
        count++;
        skip_space(&p);
        if (p.s[p.pos] == '\0')
            break;
        if (p.s[p.pos] != ',') {
            st = extra_fail(&p, SNUG_ERR_PARSE, "expected ',' or the end of the list");
            goto out;
        }
        p.pos++;
    }
out:
    dynbuf_free(&p.value);
    return st;
}

static bool blank(const char *s)
{
    if (s == NULL)
        return true;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    return *s == '\0';
}

snug_status promql_extra_check(const char *extra, snug_err *err)
{
    if (blank(extra))
        return SNUG_OK;
    return parse_extra(extra, NULL, err);
}

/* ---- selectors --------------------------------------------------------------------- */

static snug_status check_matchers(const char *metric, const promql_matcher *m, size_t n,
                                  const char *extra, snug_err *err)
{
    size_t i;

    if (metric != NULL && metric[0] != '\0' && !promql_name_valid(metric))
        return snug_err_set(err, SNUG_ERR_INVALID, "selector: invalid metric name \"%.100s\"",
                            metric);
    if ((metric == NULL || metric[0] == '\0') && n == 0 && blank(extra))
        return snug_err_set(err, SNUG_ERR_INVALID, "selector: no metric name and no matchers");
    for (i = 0; i < n; i++) {
        if (!promql_label_name_valid(m[i].name))
            return snug_err_set(err, SNUG_ERR_INVALID,
                                "selector: matcher %zu: invalid label name \"%.100s\"", i,
                                m[i].name != NULL ? m[i].name : "(null)");
        if (!promql_op_valid(m[i].op))
            return snug_err_set(err, SNUG_ERR_INVALID,
                                "selector: matcher %zu (%s): invalid operator \"%.10s\"", i,
                                m[i].name, m[i].op != NULL ? m[i].op : "(null)");
    }
    return SNUG_OK;
}

static snug_status write_selector(dynbuf *b, const char *metric, const promql_matcher *m, size_t n,
                                  const char *extra, snug_err *err)
{
    snug_status st = SNUG_OK;
    size_t i;

    if (metric != NULL)
        st = dynbuf_addstr(b, metric);
    if (n == 0 && blank(extra))
        return st;
    if (st == SNUG_OK)
        st = dynbuf_addc(b, '{');
    for (i = 0; i < n && st == SNUG_OK; i++) {
        if (i > 0)
            st = dynbuf_addc(b, ',');
        if (st == SNUG_OK)
            st = dynbuf_printf(b, "%s%s", m[i].name, m[i].op);
        if (st == SNUG_OK)
            st = escape_into(b, m[i].value != NULL ? m[i].value : "");
    }
    if (st == SNUG_OK && !blank(extra)) {
        if (n > 0)
            st = dynbuf_addc(b, ',');
        if (st == SNUG_OK)
            st = parse_extra(extra, b, err);
    }
    if (st == SNUG_OK)
        st = dynbuf_addc(b, '}');
    return st;
}

snug_status promql_selector(dynbuf *b, const char *metric, const promql_matcher *m, size_t n,
                            const char *extra, snug_err *err)
{
    size_t mark = dynbuf_len(b);
    snug_err local;
    snug_status st;

    if (err == NULL)
        err = &local;
    snug_err_clear(err);
    st = check_matchers(metric, m, n, extra, err);
    if (st == SNUG_OK)
        st = write_selector(b, metric, m, n, extra, err);
    if (st != SNUG_OK) {
        dynbuf_truncate(b, mark);
        if (err->status == SNUG_OK)
            snug_err_set(err, st, "selector: %s", snug_status_str(st));
    }
    return st;
}

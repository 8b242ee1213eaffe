/* yaml_scalar.c -- UTF-8 checks and the typing of plain YAML scalars.
 *
 * Plain (unquoted) scalars are typed the way kubectl types them
 * (sigs.k8s.io/yaml on top of go-yaml v2, a YAML 1.1 resolver): see
 * yj_resolve_plain(). The parser uses it to turn scalars into JSON values and
 * the emitter to decide which strings must be quoted to read back as strings.
 */
#include "yaml/yamljson_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * UTF-8
 */

/* Decode one well-formed UTF-8 sequence (no overlongs, no surrogates).
 * Returns its length, or 0 when s[0..n) does not start with one. */
size_t yj_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t len, i;
    uint32_t c;

    if (n == 0)
        return 0;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    if (s[0] >= 0xC2 && s[0] <= 0xDF) {
        len = 2;
        c = s[0] & 0x1F;
    } else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
        len = 3;
        c = s[0] & 0x0F;
    } else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
        len = 4;
        c = s[0] & 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10FFFF)) ||
        (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return len;
}

bool yj_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, k;
    uint32_t cp;

    while (i < n) {
        if (p[i] < 0x80) {
            i++;
            continue;
        }
        k = yj_utf8_decode(p + i, n - i, &cp);
        if (k == 0)
            return false;
        i += k;
    }
    return true;
}

/* ---------------------------------------------------------------------------
 * Scalar typing: what go-yaml v2's resolver (used by kubectl through
 * sigs.k8s.io/yaml) makes of a plain scalar.
 */

static const char *const yj_true_words[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                            "True", "TRUE", "on",  "On",  "ON"};
static const char *const yj_false_words[] = {"n",     "N",     "no",  "No",  "NO", "false",
                                             "False", "FALSE", "off", "Off", "OFF"};
static const char *const yj_null_words[] = {"~", "null", "Null", "NULL"};
static const char *const yj_nonfinite_words[] = {".nan",  ".NaN",  ".NAN",  ".inf",
                                                 ".Inf",  ".INF",  "+.inf", "+.Inf",
                                                 "+.INF", "-.inf", "-.Inf", "-.INF"};

static bool yj_word_in(const char *s, size_t n, const char *const *words, size_t count)
{
    size_t i;

    for (i = 0; i < count; i++) {
        if (strlen(words[i]) == n && memcmp(words[i], s, n) == 0)
            return true;
    }
    return false;
}

#define YJ_WORD_IN(s, n, words) yj_word_in((s), (n), (words), sizeof(words) / sizeof((words)[0]))

static bool yj_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool yj_float_syntax(const char *s, size_t n)
{
    size_t i = 0, d;

    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    if (i < n && s[i] == '.') {
        for (i++, d = 0; i < n && yj_is_digit(s[i]); i++)
            d++;
        if (d == 0)
            return false;
    } else {
        for (d = 0; i < n && yj_is_digit(s[i]); i++)
            d++;
        if (d == 0)
            return false;
        if (i < n && s[i] == '.')
            for (i++; i < n && yj_is_digit(s[i]); i++)
                ;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        for (d = 0; i < n && yj_is_digit(s[i]); i++)
            d++;
        if (d == 0)
            return false;
    }
    return i == n;
}

static int yj_digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return 99;
}

/* Go's strconv.ParseInt(s, 0, 64), then ParseUint, as go-yaml v2 calls them
 * (underscores already removed). Returns false when s is not an integer. */
static bool yj_parse_int(const char *s, size_t n, yj_scalar *out)
{
    size_t i = 0;
    bool neg = false, sign = false, ovf = false;
    unsigned base = 10;
    uint64_t mag = 0;
    double dval = 0;
    int d;

    if (n > 0 && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        sign = true;
        i++;
    }
    if (i < n && s[i] == '0' && n - i >= 2) {
        char c = (char)(s[i + 1] | 0x20);
        if (n - i >= 3 && c == 'x')
            base = 16, i += 2;
        else if (n - i >= 3 && c == 'o')
            base = 8, i += 2;
        else if (n - i >= 3 && c == 'b')
            base = 2, i += 2;
        else
            base = 8, i += 1;
    }
    if (i == n)
        return false;
    for (; i < n; i++) {
        d = yj_digit_value(s[i]);
        if (d >= (int)base)
            return false;
        if (mag > (UINT64_MAX - (uint64_t)d) / base)
            ovf = true;
        else
            mag = mag * base + (uint64_t)d;
        dval = dval * base + d;
    }
    out->kind = YJ_INT;
    if (!ovf && (neg ? mag <= (uint64_t)INT64_MAX + 1 : !sign || mag <= (uint64_t)INT64_MAX)) {
        out->num = neg ? -(double)mag : (double)mag;
        snprintf(out->dec, sizeof(out->dec), "%s%llu", neg && mag ? "-" : "",
                 (unsigned long long)mag);
        return true;
    }
    /* Past 64 bits. Decimal goes on to the float rule; go-yaml keeps other
     * bases as big integers only when unsigned (ParseUint refuses a sign). */
    if (base == 10 || sign)
        return false;
    out->num = dval;
    out->kind = isinf(dval) ? YJ_BIG : YJ_INT;
    return true;
}

static void yj_resolve_number(const char *s, size_t n, yj_scalar *out)
{
    char small[128], *plain = small;
    size_t i, k = 0;
    double d;

    if (n >= sizeof(small)) {
        plain = malloc(n + 1);
        if (plain == NULL)
            return; /* stays a string; the caller is out of memory anyway */
    }
    for (i = 0; i < n; i++)
        if (s[i] != '_')
            plain[k++] = s[i];
    plain[k] = '\0';
    if (yj_parse_int(plain, k, out))
        goto out;
    out->kind = YJ_STR;
    out->dec[0] = '\0';
    if (yj_float_syntax(plain, k)) {
        d = strtod(plain, NULL);
        if (!isinf(d)) {
            out->kind = YJ_FLOAT;
            out->num = d;
        } else if (plain[0] != '-' && plain[0] != '+' && strchr(plain, '.') == NULL &&
                   strchr(plain, 'e') == NULL && strchr(plain, 'E') == NULL) {
            out->kind = YJ_BIG; /* an unsigned decimal integer too big for a double */
        }
    }
out:
    if (plain != small)
        free(plain);
}

/* Type a plain scalar. */
void yj_resolve_plain(const char *s, size_t n, yj_scalar *out)
{
    memset(out, 0, sizeof(*out));
    out->kind = YJ_STR;
    if (n == 0) {
        out->kind = YJ_NULL;
        return;
    }
    if (s[0] != '\0' && strchr("yYnNtTfFoO~", s[0]) != NULL) {
        if (YJ_WORD_IN(s, n, yj_true_words)) {
            out->kind = YJ_BOOL;
            out->truth = true;
        } else if (YJ_WORD_IN(s, n, yj_false_words)) {
            out->kind = YJ_BOOL;
        } else if (YJ_WORD_IN(s, n, yj_null_words)) {
            out->kind = YJ_NULL;
        }
        return;
    }
    if (s[0] != '.' && s[0] != '+' && s[0] != '-' && !yj_is_digit(s[0]))
        return;
    if (YJ_WORD_IN(s, n, yj_nonfinite_words)) {
        out->kind = YJ_NONFINITE;
        return;
    }
    if (s[0] == '.') {
        /* strconv.ParseFloat on ".5", ".5e3" ...; one that overflows to
         * infinity stays a string, as it does for kubectl */
        if (yj_float_syntax(s, n)) {
            double d = strtod(s, NULL);

            if (!isinf(d)) {
                out->kind = YJ_FLOAT;
                out->num = d;
            }
        }
        return;
    }
    yj_resolve_number(s, n, out);
}

/* Go's strconv.FormatFloat(x, 'g', -1, 64), which sigs.k8s.io/yaml uses to
 * turn a float mapping key into a string: the shortest digits that read back
 * as x, in exponent form when the exponent is < -4 or >= 6 ("1e+06"). */
void yj_format_go_g(double x, char *buf, size_t size)
{
    char e[40];
    int p, exp;

    if (!isfinite(x)) {
        /* As Go writes them (".5e999" is a float key that overflows). */
        snprintf(buf, size, "%s", isnan(x) ? "NaN" : x > 0 ? "+Inf" : "-Inf");
        return;
    }
    for (p = 1; p < 17; p++) {
        snprintf(e, sizeof(e), "%.*e", p - 1, x);
        if (strtod(e, NULL) == x)
            break;
    }
    snprintf(e, sizeof(e), "%.*e", p - 1, x);
    exp = atoi(strchr(e, 'e') + 1);
    if (exp < -4 || exp >= 6)
        snprintf(buf, size, "%s", e);
    else
        snprintf(buf, size, "%.*f", p - 1 - exp > 0 ? p - 1 - exp : 0, x);
}

/* quantity.c -- Kubernetes resource quantities, parsed and written exactly.
 *
 * The value is held in nanos in a signed 128-bit integer. Parsing never builds
 * a big number: the digits are scanned once, the position of the first and
 * last significant digit bound the magnitude, and only the digits that can
 * matter are turned into an integer (at most 38 of them); the digits below
 * 1n are folded into a "sticky" bit for the round-up. So a 10 000-digit input
 * costs one pass and no allocation.
 *
 * The facts (grammar, suffixes, rounding, the BinarySI cap, canonical form)
 * are those of k8s.io/apimachinery/pkg/api/resource; the code is ours.
 */
#include "model/quantity.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;
typedef __int128 i128;

#define NANO        1000000000u
#define U128_MAX    (~(u128)0)
#define MAX_NANOS   ((u128)QUANTITY_MAX_NANOS)
#define BINARY_CAP  ((u128)INT64_MAX * NANO) /* BinarySI inputs are capped here */
#define MAG_DIGITS  38                       /* 10^38 nanos > MAX_NANOS */
#define QUOTE_SHOWN 64                       /* input characters quoted in errors */

/* A scanned quantity: where its digits are, its sign and its suffix. */
typedef struct qscan {
    const char *ip; /* integer-part digits */
    size_t il;
    const char *fp; /* fraction digits */
    size_t fl;
    bool neg;
    int64_t exp10; /* decimal exponent from the suffix */
    int exp2;      /* binary exponent from the suffix: 0, 10, ... 60 */
    quantity_format fmt;
} qscan;

/* ---- error messages ---------------------------------------------------- */

/* Copy `s` for quoting in a message: at most QUOTE_SHOWN characters, control
 * and non-ASCII bytes as '?', "..." when cut. */
static void quote_input(const char *s, char *out, size_t cap)
{
    size_t i, n = 0;

    for (i = 0; s[i] != '\0' && n + 4 < cap; i++) {
        if (i == QUOTE_SHOWN) {
            memcpy(out + n, "...", 3);
            n += 3;
            break;
        }
        out[n++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    }
    out[n] = '\0';
}

static snug_status parse_fail(snug_err *err, const char *s, const char *why)
{
    char shown[QUOTE_SHOWN + 8];

    quote_input(s, shown, sizeof(shown));
    return snug_err_set(err, SNUG_ERR_PARSE, "invalid quantity \"%s\": %s", shown, why);
}

static snug_status range_fail(snug_err *err, const char *s)
{
    char shown[QUOTE_SHOWN + 8];

    quote_input(s, shown, sizeof(shown));
    return snug_err_set(err, SNUG_ERR_RANGE,
                        "quantity \"%s\" is out of range (magnitude above 2^96)", shown);
}

/* ---- scanning ------------------------------------------------------------ */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* An exponent suffix after its 'e'/'E': [+-]digits, fitting int64. Returns
 * 0 on success, -1 if malformed, -2 if it does not fit. */
static int scan_exponent(const char *p, int64_t *out)
{
    bool neg = false;
    uint64_t v = 0, lim;

    if (*p == '+' || *p == '-')
        neg = *p++ == '-';
    if (*p == '\0')
        return -1;
    lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (; *p != '\0'; p++) {
        if (!is_digit(*p))
            return -1;
        if (v > (lim - (uint64_t)(*p - '0')) / 10)
            return -2;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (!neg)
        *out = (int64_t)v;
    else if (v == (uint64_t)INT64_MAX + 1)
        *out = INT64_MIN;
    else
        *out = -(int64_t)v;
    return 0;
}

/* Interpret the suffix. Returns NULL when it is valid, else why not. */
static const char *scan_suffix(const char *suf, qscan *q)
{
    static const char dec[] = "num kMGTPE";
    static const char bin[] = "KMGTPE";
    const char *p;
    int rc;

    q->fmt = QUANTITY_DECIMAL_SI;
    if (suf[0] == '\0')
        return NULL;
    p = strchr(dec, suf[0]);
    if (suf[1] == '\0' && p != NULL && suf[0] != ' ') {
        q->exp10 = (int64_t)(p - dec) * 3 - 9;
        return NULL;
    }
    p = strchr(bin, suf[0]);
    if (p != NULL && suf[1] == 'i' && suf[2] == '\0') {
        q->exp2 = (int)(p - bin + 1) * 10;
        q->fmt = QUANTITY_BINARY_SI;
        return NULL;
    }
    if (suf[0] == 'e' || suf[0] == 'E') {
        rc = scan_exponent(suf + 1, &q->exp10);
        if (rc == -2)
            return "exponent does not fit in 64 bits";
        if (rc == 0) {
            q->fmt = QUANTITY_DECIMAL_EXP;
            return NULL;
        }
    }
    return "unknown suffix (want n, u, m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or e<exponent>)";
}

static snug_status scan(const char *s, qscan *q, snug_err *err)
{
    const char *p = s, *why;

    memset(q, 0, sizeof(*q));
    if (*p == '\0')
        return parse_fail(err, s, "empty");
    if (strpbrk(p, " \t\r\n\v\f") != NULL)
        return parse_fail(err, s, "whitespace is not allowed");
    if (*p == '+' || *p == '-')
        q->neg = *p++ == '-';
    q->ip = p;
    while (is_digit(*p))
        p++;
    q->il = (size_t)(p - q->ip);
    if (*p == '.') {
        q->fp = ++p;
        while (is_digit(*p))
            p++;
        q->fl = (size_t)(p - q->fp);
    }
    if (q->il + q->fl == 0)
        return parse_fail(err, s, "no digits");
    why = scan_suffix(p, q);
    if (why != NULL)
        return parse_fail(err, s, why);
    return SNUG_OK;
}

/* ---- value ------------------------------------------------------------- */

/* Digit k of the integer and fraction digits taken together. */
static unsigned digit_at(const qscan *q, size_t k)
{
    return (unsigned)(k < q->il ? q->ip[k] - '0' : q->fp[k - q->il] - '0');
}

/* The integer formed by digits [from, to): at most MAG_DIGITS of them. */
static u128 digits_value(const qscan *q, size_t from, size_t to)
{
    u128 v = 0;

    for (; from < to; from++)
        v = v * 10 + digit_at(q, from);
    return v;
}

/* floor(0.F x 2^exp2) for the fraction digits F = [from, to) preceded by
 * `zeros` zeros, and whether anything was left below it. One pass, right to
 * left: each step multiplies one digit by 2^exp2 (< 2^61) and carries. */
static uint64_t fraction_times_pow2(const qscan *q, size_t from, size_t to, i128 zeros, int exp2,
                                    bool *sticky)
{
    uint64_t m = (uint64_t)1 << exp2, carry = 0, t;
    size_t k;
    int i;

    for (k = to; k > from; k--) {
        t = digit_at(q, k - 1) * m + carry;
        *sticky |= t % 10 != 0;
        carry = t / 10;
    }
    for (i = 0; i < 20 && i < zeros; i++) {
        *sticky |= carry % 10 != 0;
        carry /= 10;
    }
    return carry;
}

/* |value| in nanos into *mag. Returns false when it exceeds `limit`. */
static bool scan_magnitude(const qscan *q, u128 limit, u128 *mag)
{
    size_t total = q->il + q->fl, a = 0, b, n;
    i128 x, k;
    u128 v, p;
    bool sticky = false;

    while (a < total && digit_at(q, a) == 0)
        a++;
    if (a == total) {
        *mag = 0;
        return true;
    }
    b = total - 1;
    while (digit_at(q, b) == 0)
        b--;
    n = b - a + 1;
    /* value = N x 10^x x 2^exp2 nanos, N = the n significant digits */
    x = (i128)q->exp10 - (i128)q->fl + 9 + (i128)(total - 1 - b);
    if ((i128)n - 1 + x >= MAG_DIGITS)
        return false;
    if (x >= 0) {
        v = digits_value(q, a, b + 1);
        for (; x > 0; x--) {
            if (v > U128_MAX / 10)
                return false;
            v *= 10;
        }
    } else {
        k = -x;
        p = k >= (i128)n ? 0 : digits_value(q, a, a + n - (size_t)k);
        if (p > (limit >> q->exp2))
            return false;
        v = p << q->exp2;
        v += fraction_times_pow2(q, k >= (i128)n ? a : a + n - (size_t)k, b + 1,
                                 k > (i128)n ? k - (i128)n : 0, q->exp2, &sticky);
        v += sticky;
        *mag = v;
        return v <= limit;
    }
    if (v > (limit >> q->exp2))
        return false;
    *mag = v << q->exp2;
    return *mag <= limit;
}

snug_status quantity_parse(const char *s, quantity *out, snug_err *err)
{
    qscan q;
    u128 mag;
    snug_status st;
    quantity_format fmt;

    if (s == NULL)
        return snug_err_set(err, SNUG_ERR_PARSE, "invalid quantity: none given");
    st = scan(s, &q, err);
    if (st != SNUG_OK)
        return st;
    fmt = q.fmt;
    if (fmt == QUANTITY_BINARY_SI) {
        if (!scan_magnitude(&q, BINARY_CAP, &mag))
            mag = BINARY_CAP; /* Kubernetes caps BinarySI silently */
        if (mag > 0 && mag < NANO)
            fmt = QUANTITY_DECIMAL_SI;
    } else if (!scan_magnitude(&q, MAX_NANOS, &mag)) {
        return range_fail(err, s);
    }
    out->nanos = q.neg ? -(i128)mag : (i128)mag;
    out->format = fmt;
    return SNUG_OK;
}

/* ---- JSON numbers ---------------------------------------------------------- */

/* The shortest "%.*e" text of d that reads back to d: digits into `dig`
 * (no dot, no trailing zeros), the decimal exponent of the first digit into
 * *e10. d is finite and not zero. */
static void shortest_digits(double d, char *dig, size_t cap, int *e10)
{
    char tmp[48], *p, *e;
    size_t n = 0;
    int prec;

    for (prec = 0; prec < 17; prec++) {
        snprintf(tmp, sizeof(tmp), "%.*e", prec, fabs(d));
        if (strtod(tmp, NULL) == fabs(d))
            break;
    }
    e = strchr(tmp, 'e');
    *e10 = atoi(e + 1);
    for (p = tmp; p < e && n + 1 < cap; p++)
        if (is_digit(*p))
            dig[n++] = *p;
    while (n > 1 && dig[n - 1] == '0')
        n--;
    dig[n] = '\0';
}

/* Write d as Go's encoding/json does: shortest round-trip digits, plain
 * notation for 1e-6 <= |d| < 1e21, exponent notation otherwise. */
static void go_json_number(double d, char *buf, size_t cap)
{
    char dig[32];
    size_t n, i, o = 0;
    int e10;

    if (d == 0) {
        snprintf(buf, cap, "0");
        return;
    }
    shortest_digits(d, dig, sizeof(dig), &e10);
    n = strlen(dig);
    if (fabs(d) < 1e-6 || fabs(d) >= 1e21) {
        snprintf(buf, cap, "%s%c%s%se%d", d < 0 ? "-" : "", dig[0], n > 1 ? "." : "", dig + 1, e10);
        return;
    }
    if (d < 0)
        buf[o++] = '-';
    if (e10 < 0) {
        buf[o++] = '0';
        buf[o++] = '.';
        for (i = 0; i < (size_t)(-e10 - 1); i++)
            buf[o++] = '0';
        memcpy(buf + o, dig, n);
        o += n;
    } else {
        for (i = 0; i <= (size_t)e10 || i < n; i++) {
            if (i == (size_t)e10 + 1)
                buf[o++] = '.';
            buf[o++] = i < n ? dig[i] : '0';
        }
    }
    buf[o] = '\0';
    (void)cap; /* |d| < 1e21 with <= 17 digits: at most 1 + 7 + 17 + 2 chars */
}

static bool is_space(char c)
{
    return c != '\0' && strchr(" \t\r\n\v\f", c) != NULL;
}

/* Trim ASCII whitespace at both ends (Quantity.UnmarshalJSON trims). */
static const char *trim_space(const char *s, char *buf, size_t cap, char **heap)
{
    size_t n;

    while (is_space(*s))
        s++;
    n = strlen(s);
    while (n > 0 && is_space(s[n - 1]))
        n--;
    if (s[n] == '\0')
        return s;
    if (n < cap) {
        memcpy(buf, s, n);
        buf[n] = '\0';
        return buf;
    }
    *heap = strndup(s, n);
    return *heap;
}

snug_status quantity_parse_json(const cJSON *item, quantity *out, snug_err *err)
{
    char text[64], *heap = NULL;
    const char *s;
    snug_status st;

    if (cJSON_IsString(item) && item->valuestring != NULL) {
        s = trim_space(item->valuestring, text, sizeof(text), &heap);
        if (s == NULL)
            return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
        st = quantity_parse(s, out, err);
        free(heap);
        return st;
    }
    if (cJSON_IsNumber(item)) {
        if (!isfinite(item->valuedouble))
            return snug_err_set(err, SNUG_ERR_RANGE, "quantity must be a finite number");
        go_json_number(item->valuedouble, text, sizeof(text));
        return quantity_parse(text, out, err);
    }
    return snug_err_set(err, SNUG_ERR_INVALID, "quantity must be a string or number");
}

/* ---- formatting ------------------------------------------------------------ */

/* Decimal digits of v (v > 0) into buf; returns the length. */
static size_t u128_str(u128 v, char *buf)
{
    char tmp[48];
    size_t n = 0, i;

    do {
        tmp[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v != 0);
    for (i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return n;
}

/* mag = m x 10^e with e a multiple of 3, as large as possible, e >= -9. */
static int decimal_mantissa(u128 *mag)
{
    u128 m = *mag;
    int e = -9;

    while (m % 10 == 0) {
        m /= 10;
        e++;
    }
    while (((e % 3) + 3) % 3 != 0) {
        m *= 10;
        e--;
    }
    *mag = m;
    return e;
}

static void format_decimal(u128 mag, quantity_format fmt, char *buf)
{
    static const char *const si[] = {"n", "u", "m", "", "k", "M", "G", "T", "P", "E"};
    size_t n;
    int e = decimal_mantissa(&mag);

    n = u128_str(mag, buf);
    if (fmt == QUANTITY_DECIMAL_SI && e <= 18)
        strcpy(buf + n, si[(e + 9) / 3]);
    else if (e != 0)
        sprintf(buf + n, "e%d", e);
}

static void format_binary(u128 units, char *buf)
{
    static const char *const bi[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
    size_t n, i = 0;

    while (i < 6 && units % 1024 == 0) {
        units /= 1024;
        i++;
    }
    n = u128_str(units, buf);
    strcpy(buf + n, bi[i]);
}

snug_status quantity_format_str(const quantity *q, char *buf, size_t cap)
{
    char tmp[QUANTITY_STR_MAX + 8], *p = tmp;
    u128 mag = q->nanos < 0 ? -(u128)q->nanos : (u128)q->nanos;
    size_t n;

    if (mag == 0) {
        strcpy(tmp, "0");
    } else {
        if (q->nanos < 0)
            *p++ = '-';
        if (q->format == QUANTITY_BINARY_SI && mag >= (u128)1024 * NANO && mag % NANO == 0 &&
            mag / NANO <= (u128)INT64_MAX)
            format_binary(mag / NANO, p);
        else
            format_decimal(mag, q->format == QUANTITY_DECIMAL_EXP ? q->format : QUANTITY_DECIMAL_SI,
                           p);
    }
    n = strlen(tmp);
    if (buf == NULL || n >= cap) {
        if (buf != NULL && cap > 0)
            buf[0] = '\0';
        return SNUG_ERR_TOO_BIG;
    }
    memcpy(buf, tmp, n + 1);
    return SNUG_OK;
}

/* ---- arithmetic ------------------------------------------------------------ */

int quantity_cmp(const quantity *a, const quantity *b)
{
    return a->nanos < b->nanos ? -1 : a->nanos > b->nanos ? 1 : 0;
}

quantity quantity_from_milli(int64_t milli, quantity_format fmt)
{
    quantity q = {(i128)milli * 1000000, fmt};

    return q;
}

quantity quantity_from_int(int64_t value, quantity_format fmt)
{
    quantity q = {(i128)value * NANO, fmt};

    return q;
}

/* ceil(v / d) for d > 0, saturated to int64. */
static int64_t ceil_div_sat(i128 v, int64_t d)
{
    i128 r = v / d;

    if (v % d != 0 && v > 0)
        r++;
    if (r > INT64_MAX)
        return INT64_MAX;
    if (r < INT64_MIN)
        return INT64_MIN;
    return (int64_t)r;
}

int64_t quantity_milli_ceil(const quantity *q)
{
    return ceil_div_sat(q->nanos, 1000000);
}

int64_t quantity_value_ceil(const quantity *q)
{
    return ceil_div_sat(q->nanos, NANO);
}

/* A 192-bit unsigned integer, least significant limb first. */
typedef struct u192 {
    uint64_t w[3];
} u192;

static u192 u192_mul(u128 a, uint64_t b)
{
    u128 lo = (u128)(uint64_t)a * b, hi = (u128)(uint64_t)(a >> 64) * b;
    u192 r;

    hi += lo >> 64;
    r.w[0] = (uint64_t)lo;
    r.w[1] = (uint64_t)hi;
    r.w[2] = (uint64_t)(hi >> 64);
    return r;
}

/* Divide by 10 in place; returns the remainder. */
static unsigned u192_div10(u192 *x)
{
    u128 rem = 0, cur;
    int i;

    for (i = 2; i >= 0; i--) {
        cur = (rem << 64) | x->w[i];
        x->w[i] = (uint64_t)(cur / 10);
        rem = cur % 10;
    }
    return (unsigned)rem;
}

static bool u192_to_u128(const u192 *x, u128 *out)
{
    if (x->w[2] != 0)
        return false;
    *out = ((u128)x->w[1] << 64) | x->w[0];
    return true;
}

static bool u192_is_zero(const u192 *x)
{
    return (x->w[0] | x->w[1] | x->w[2]) == 0;
}

/* ratio (finite, > 0) = digits x 10^e10, digits the shortest round-trip ones. */
static uint64_t ratio_decimal(double ratio, int *e10)
{
    char dig[32];
    uint64_t d = 0;
    size_t i, n;

    shortest_digits(ratio, dig, sizeof(dig), e10);
    n = strlen(dig);
    for (i = 0; i < n; i++)
        d = d * 10 + (uint64_t)(dig[i] - '0');
    *e10 -= (int)n - 1;
    return d;
}

snug_status quantity_scale(const quantity *q, double ratio, quantity *out)
{
    u128 mag = q->nanos < 0 ? -(u128)q->nanos : (u128)q->nanos, v;
    quantity_format fmt = q->format;
    bool neg = q->nanos < 0, sticky = false;
    u192 prod;
    int e10;

    if (!isfinite(ratio) || !(ratio >= 0))
        return SNUG_ERR_RANGE;
    if (mag == 0 || ratio == 0) {
        out->nanos = 0;
        out->format = fmt;
        return SNUG_OK;
    }
    prod = u192_mul(mag, ratio_decimal(ratio, &e10));
    for (; e10 < 0 && !u192_is_zero(&prod); e10++)
        sticky |= u192_div10(&prod) != 0;
    if (!u192_to_u128(&prod, &v))
        return SNUG_ERR_RANGE; /* e10 >= 0 here, and v >= 2^128 */
    for (; e10 > 0; e10--) {
        if (v > MAX_NANOS / 10)
            return SNUG_ERR_RANGE;
        v *= 10;
    }
    v += sticky;
    if (v > MAX_NANOS)
        return SNUG_ERR_RANGE;
    out->nanos = neg ? -(i128)v : (i128)v;
    out->format = fmt;
    return SNUG_OK;
}

/* ---- snug's own outputs ------------------------------------------------------ */

void cpu_format_milli(int64_t milli, char *buf, size_t cap)
{
    quantity q = quantity_from_milli(milli, QUANTITY_DECIMAL_SI);

    quantity_format_str(&q, buf, cap);
}

void mem_format_bytes(int64_t bytes, char *buf, size_t cap)
{
    quantity q = quantity_from_int(bytes, QUANTITY_BINARY_SI);

    quantity_format_str(&q, buf, cap);
}

int64_t mem_round_up_mib(int64_t bytes)
{
    const int64_t mib = (int64_t)1 << 20;
    int64_t r = bytes % mib;

    if (bytes > INT64_MAX - (mib - 1))
        return INT64_MAX - (mib - 1);
    if (r > 0)
        return bytes + (mib - r);
    return bytes - r; /* r <= 0: toward zero is the ceiling */
}

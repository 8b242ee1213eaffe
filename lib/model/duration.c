/* duration.c -- policy durations and RFC 3339 timestamps. */
#include "model/duration.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define SECS_PER_DAY 86400

static const struct {
    char unit;
    int64_t seconds;
} duration_units[] = {{'d', SECS_PER_DAY}, {'h', 3600}, {'m', 60}, {'s', 1}};

#define N_UNITS (sizeof(duration_units) / sizeof(duration_units[0]))

static int unit_index(char c)
{
    size_t i;

    for (i = 0; i < N_UNITS; i++)
        if (duration_units[i].unit == c)
            return (int)i;
    return -1;
}

static snug_status bad_duration(snug_err *err, const char *s, const char *why)
{
    return snug_err_set(err, SNUG_ERR_INVALID, "invalid duration \"%s\": %s", s, why);
}

/* Read the digits at s[*pos] into *n, advancing *pos; an error when there
 * are none or they overflow. */
static snug_status read_number(const char *s, size_t *pos, int64_t *n, snug_err *err)
{
    size_t i = *pos;
    int64_t v = 0;

    if (!isdigit((unsigned char)s[i]))
        return bad_duration(err, s, "expected a number");
    for (; isdigit((unsigned char)s[i]); i++) {
        int d = s[i] - '0';
        if (v > (INT64_MAX - d) / 10)
            return snug_err_set(err, SNUG_ERR_RANGE, "invalid duration \"%s\": too large", s);
        v = v * 10 + d;
    }
    *pos = i;
    *n = v;
    return SNUG_OK;
}

snug_status duration_parse(const char *s, int64_t *seconds, snug_err *err)
{
    size_t pos = 0;
    int64_t total = 0, n = 0;
    int last = -1, u;
    snug_status st;
    char why[64];

    if (s == NULL || s[0] == '\0')
        return bad_duration(err, s ? s : "", "empty (write e.g. 90s, 30m, 24h, 7d, 1h30m)");
    while (s[pos] != '\0') {
        st = read_number(s, &pos, &n, err);
        if (st != SNUG_OK)
            return st;
        if (s[pos] == '\0')
            return bad_duration(err, s, "missing unit (d, h, m, s)");
        u = unit_index(s[pos]);
        if (u < 0) {
            if (isprint((unsigned char)s[pos]))
                snprintf(why, sizeof(why), "unknown unit \"%c\" (use d, h, m, s)", s[pos]);
            else
                snprintf(why, sizeof(why), "unknown unit (use d, h, m, s)");
            return bad_duration(err, s, why);
        }
        if (u <= last)
            return bad_duration(err, s, "units must appear once each, in the order d, h, m, s");
        last = u;
        pos++;
        if (n > INT64_MAX / duration_units[u].seconds ||
            n * duration_units[u].seconds > INT64_MAX - total)
            return snug_err_set(err, SNUG_ERR_RANGE, "invalid duration \"%s\": too large", s);
        total += n * duration_units[u].seconds;
    }
    *seconds = total;
    return SNUG_OK;
}

void duration_format(int64_t seconds, char *buf, size_t cap)
{
    size_t used = 0, i;

    if (cap == 0)
        return;
    buf[0] = '\0';
    if (seconds <= 0) {
        snprintf(buf, cap, "0s");
        return;
    }
    for (i = 0; i < N_UNITS && used < cap; i++) {
        int64_t n = seconds / duration_units[i].seconds;
        int w;

        if (n == 0)
            continue;
        seconds -= n * duration_units[i].seconds;
        w = snprintf(buf + used, cap - used, "%lld%c", (long long)n, duration_units[i].unit);
        if (w < 0)
            return;
        used += (size_t)w;
    }
}

/* ---- RFC 3339 ---------------------------------------------------------- */

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (the usual
 * era-of-400-years computation). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* Exactly `n` digits at s + *pos, advancing *pos. */
static bool digits(const char *s, size_t *pos, int n, int *out)
{
    int v = 0, i;

    for (i = 0; i < n; i++) {
        char c = s[*pos + (size_t)i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *pos += (size_t)n;
    *out = v;
    return true;
}

static bool expect(const char *s, size_t *pos, const char *chars)
{
    if (s[*pos] == '\0' || strchr(chars, s[*pos]) == NULL)
        return false;
    (*pos)++;
    return true;
}

/* The "Z" or "+hh:mm" / "-hh:mm" at s + *pos, as seconds east of UTC. */
static bool parse_offset(const char *s, size_t *pos, int *offset)
{
    int sign, oh = 0, om = 0;

    if (expect(s, pos, "Zz")) {
        *offset = 0;
        return true;
    }
    if (s[*pos] != '+' && s[*pos] != '-')
        return false;
    sign = s[*pos] == '-' ? -1 : 1;
    (*pos)++;
    if (!digits(s, pos, 2, &oh) || !expect(s, pos, ":") || !digits(s, pos, 2, &om) || oh > 23 ||
        om > 59)
        return false;
    *offset = sign * (oh * 3600 + om * 60);
    return true;
}

snug_status rfc3339_parse(const char *s, int64_t *epoch, snug_err *err)
{
    size_t pos = 0;
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, offset = 0;

    if (s == NULL)
        return snug_err_set(err, SNUG_ERR_INVALID, "invalid timestamp: missing");
    if (!digits(s, &pos, 4, &y) || !expect(s, &pos, "-") || !digits(s, &pos, 2, &mo) ||
        !expect(s, &pos, "-") || !digits(s, &pos, 2, &d) || !expect(s, &pos, "Tt") ||
        !digits(s, &pos, 2, &h) || !expect(s, &pos, ":") || !digits(s, &pos, 2, &mi) ||
        !expect(s, &pos, ":") || !digits(s, &pos, 2, &sec))
        goto bad;
    if (s[pos] == '.') {
        pos++;
        if (!isdigit((unsigned char)s[pos]))
            goto bad;
        while (isdigit((unsigned char)s[pos]))
            pos++;
    }
    if (!parse_offset(s, &pos, &offset) || s[pos] != '\0')
        goto bad;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
        return snug_err_set(err, SNUG_ERR_INVALID,
                            "invalid timestamp \"%s\": date or time out of range", s);
    *epoch = days_from_civil(y, mo, d) * SECS_PER_DAY + h * 3600 + mi * 60 + sec - offset;
    return SNUG_OK;
bad:
    return snug_err_set(err, SNUG_ERR_INVALID,
                        "invalid timestamp \"%s\": want RFC 3339 like 2026-01-02T03:04:05Z", s);
}

void rfc3339_format(int64_t epoch, char *buf, size_t cap)
{
    const int64_t lo = days_from_civil(0, 1, 1) * SECS_PER_DAY;
    const int64_t hi = days_from_civil(9999, 12, 31) * SECS_PER_DAY + SECS_PER_DAY - 1;
    int64_t days, rem, y;
    int m, d;

    if (cap == 0)
        return;
    if (epoch < lo)
        epoch = lo;
    if (epoch > hi)
        epoch = hi;
    days = epoch / SECS_PER_DAY;
    rem = epoch % SECS_PER_DAY;
    if (rem < 0) {
        rem += SECS_PER_DAY;
        days--;
    }
    civil_from_days(days, &y, &m, &d);
    snprintf(buf, cap, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y, m, d, (int)(rem / 3600),
             (int)(rem / 60 % 60), (int)(rem % 60));
}

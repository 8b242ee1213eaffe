/* gosize.c -- GOMEMLIMIT values, as the Go runtime reads them.
 *
 * The facts come from the Go runtime (parseByteCount in runtime/string.go,
 * readGOMEMLIMIT in runtime/mgcpacer.go): decimal digits, then nothing, "B",
 * or "KiB" "MiB" "GiB" "TiB" (case-sensitive); "off" means no limit; the value
 * must fit int64. Go >= 1.2x also takes a leading "+" and every version takes
 * "-0"; snug refuses any sign so that what it accepts works with every Go.
 */
#include "model/gosize.h"

#include <stdbool.h>
#include <string.h>

#include "base/decimal.h"

#define QUOTE_SHOWN 64

typedef struct gounit {
    const char *name;
    int shift;
} gounit;

static const gounit units[] = {
    {"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}, {"", 0},
};

/* Copy `s` for quoting: printable ASCII, at most QUOTE_SHOWN characters. */
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

static snug_status fail(snug_err *err, snug_status st, const char *s, const char *why)
{
    char shown[QUOTE_SHOWN + 8];

    quote_input(s, shown, sizeof(shown));
    return snug_err_set(err, st, "invalid GOMEMLIMIT \"%s\": %s", shown, why);
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Why the unit `u` (after the digits) is wrong, naming the fix. */
static const char *unit_hint(const char *u)
{
    static const struct {
        const char *unit, *hint;
    } hints[] = {
        {"Ki", "GOMEMLIMIT uses KiB, not Ki"},
        {"Mi", "GOMEMLIMIT uses MiB, not Mi"},
        {"Gi", "GOMEMLIMIT uses GiB, not Gi"},
        {"Ti", "GOMEMLIMIT uses TiB, not Ti"},
        {"Pi", "Go has no unit above TiB (use TiB), and Kubernetes' Pi is not a Go unit"},
        {"Ei", "Go has no unit above TiB (use TiB), and Kubernetes' Ei is not a Go unit"},
        {"PiB", "Go has no unit above TiB: use TiB"},
        {"EiB", "Go has no unit above TiB: use TiB"},
        {"k", "GOMEMLIMIT uses binary units: KiB (1024 bytes), not k"},
        {"K", "GOMEMLIMIT uses binary units: KiB (1024 bytes), not K"},
        {"KB", "GOMEMLIMIT uses binary units: KiB (1024 bytes), not KB"},
        {"kB", "GOMEMLIMIT uses binary units: KiB (1024 bytes), not kB"},
        {"M", "GOMEMLIMIT uses binary units: MiB (2^20 bytes), not M"},
        {"MB", "GOMEMLIMIT uses binary units: MiB (2^20 bytes), not MB"},
        {"G", "GOMEMLIMIT uses binary units: GiB (2^30 bytes), not G"},
        {"GB", "GOMEMLIMIT uses binary units: GiB (2^30 bytes), not GB"},
        {"T", "GOMEMLIMIT uses binary units: TiB (2^40 bytes), not T"},
        {"TB", "GOMEMLIMIT uses binary units: TiB (2^40 bytes), not TB"},
    };
    size_t i;

    for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
        if (strcmp(u, hints[i].unit) == 0)
            return hints[i].hint;
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (units[i].name[0] != '\0' && strcasecmp(u, units[i].name) == 0)
            return "units are case-sensitive: B, KiB, MiB, GiB, TiB";
    if (u[0] == '.')
        return "no decimal point: give whole bytes or a smaller unit (1536MiB, not 1.5GiB)";
    if (strpbrk(u, " \t\r\n\v\f") != NULL)
        return "whitespace is not allowed";
    return "unknown unit (want B, KiB, MiB, GiB or TiB, or no unit)";
}

/* Leading digits of s into *v; false when the number does not fit int64. */
static bool digits_value(const char *s, size_t n, uint64_t *v)
{
    size_t i;

    *v = 0;
    for (i = 0; i < n; i++) {
        if (*v > ((uint64_t)INT64_MAX - (uint64_t)(s[i] - '0')) / 10)
            return false;
        *v = *v * 10 + (uint64_t)(s[i] - '0');
    }
    return true;
}

snug_status gosize_parse(const char *s, int64_t *bytes, snug_err *err)
{
    size_t n = 0, i;
    uint64_t v;

    if (s == NULL || s[0] == '\0')
        return fail(err, SNUG_ERR_PARSE, "",
                    "empty (Go reads an empty GOMEMLIMIT as unset: no limit)");
    if (strcmp(s, "off") == 0) {
        *bytes = GOSIZE_OFF;
        return SNUG_OK;
    }
    if (s[0] == '+' || s[0] == '-')
        return fail(err, SNUG_ERR_PARSE, s, "no sign allowed");
    if (strcasecmp(s, "off") == 0)
        return fail(err, SNUG_ERR_PARSE, s, "\"off\" must be lower-case");
    while (is_digit(s[n]))
        n++;
    if (n == 0)
        return fail(err, SNUG_ERR_PARSE, s, "must start with decimal digits (or be \"off\")");
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strcmp(s + n, units[i].name) == 0)
            break;
    if (i == sizeof(units) / sizeof(units[0]))
        return fail(err, SNUG_ERR_PARSE, s, unit_hint(s + n));
    if (!digits_value(s, n, &v) || v > ((uint64_t)INT64_MAX >> units[i].shift))
        return fail(err, SNUG_ERR_RANGE, s, "more than 2^63-1 bytes");
    *bytes = (int64_t)(v << units[i].shift);
    return SNUG_OK;
}

snug_status gosize_parse_env(const char *s, int64_t *bytes, snug_err *err)
{
    if (s == NULL || s[0] == '\0') {
        *bytes = GOSIZE_OFF;
        return SNUG_OK;
    }
    return gosize_parse(s, bytes, err);
}

void gosize_format(int64_t bytes, char *buf, size_t cap)
{
    char tmp[DECIMAL_U64_MAX + 4]; /* digits, the longest unit ("TiB"), NUL */
    size_t i, n, u;

    if (bytes <= 0) {
        bytes = 0;
        i = 4; /* "0B" */
    } else {
        for (i = 0; i < 4; i++)
            if ((bytes & (((int64_t)1 << units[i].shift) - 1)) == 0)
                break;
    }
    n = decimal_u64(tmp, (uint64_t)(bytes >> units[i].shift));
    u = strlen(units[i].name);
    memcpy(tmp + n, units[i].name, u + 1);
    n += u;
    if (buf == NULL || cap == 0)
        return;
    if (n >= cap) {
        buf[0] = '\0'; /* never a cut number, which would be a different size */
        return;
    }
    memcpy(buf, tmp, n + 1);
}

/* Unit tests for gosize: GOMEMLIMIT values as the Go runtime reads them.
 *
 * The accepted/refused rows were checked against a real Go 1.26 program run
 * with each GOMEMLIMIT (debug.SetMemoryLimit(-1) prints what it read, a bad
 * value is "fatal error: malformed GOMEMLIMIT"). Go's documented syntax is
 * ^[0-9]+(([KMGT]i)?B)?$ or "off"; the rows marked "Go >= 1.2x takes it" are
 * accidents of the integer parser some Go versions use, refused on purpose.
 */
#include <stdint.h>

#include "model/gosize.h"
#include "base/status.h"
#include "test.h"

#define OK  SNUG_OK
#define PAR SNUG_ERR_PARSE
#define RNG SNUG_ERR_RANGE

static void test_parse_table(void)
{
    static const struct {
        const char *in;
        snug_status st;
        int64_t bytes;
        const char *msg; /* part of the error message */
    } rows[] = {
        {"off", OK, GOSIZE_OFF, NULL},
        {"0", OK, 0, NULL},
        {"0B", OK, 0, NULL},
        {"1", OK, 1, NULL},
        {"1B", OK, 1, NULL},
        {"1KiB", OK, 1024, NULL},
        {"512MiB", OK, 536870912, NULL},
        {"00512MiB", OK, 536870912, NULL},
        {"460MiB", OK, 482344960, NULL},
        {"1GiB", OK, 1073741824, NULL},
        {"2TiB", OK, 2199023255552, NULL},
        {"483183820B", OK, 483183820, NULL},
        {"483183820", OK, 483183820, NULL},
        {"0KiB", OK, 0, NULL},
        {"9223372036854775807", OK, INT64_MAX, NULL},
        {"9223372036854775807B", OK, INT64_MAX, NULL},
        {"8388607TiB", OK, 9223370937343148032, NULL},
        {"8589934591GiB", OK, 9223372035781033984, NULL},
        {"8796093022207MiB", OK, 9223372036853727232, NULL},
        {"9007199254740991KiB", OK, 9223372036854774784, NULL},
        {"0000000000000000000000000000001KiB", OK, 1024, NULL},

        /* does not fit int64 */
        {"9223372036854775808", RNG, 0, "2^63-1"},
        {"9223372036854775808B", RNG, 0, "2^63-1"},
        {"8388608TiB", RNG, 0, "2^63-1"},
        {"8589934592GiB", RNG, 0, "2^63-1"},
        {"8796093022208MiB", RNG, 0, "2^63-1"},
        {"9007199254740992KiB", RNG, 0, "2^63-1"},
        {"99999999999999999999", RNG, 0, "2^63-1"},
        {"99999999999999999999999TiB", RNG, 0, "2^63-1"},

        /* Kubernetes units: the classic mistake */
        {"512Mi", PAR, 0, "GOMEMLIMIT uses MiB, not Mi"},
        {"512Ki", PAR, 0, "GOMEMLIMIT uses KiB, not Ki"},
        {"1Gi", PAR, 0, "GOMEMLIMIT uses GiB, not Gi"},
        {"1Ti", PAR, 0, "GOMEMLIMIT uses TiB, not Ti"},
        {"1Pi", PAR, 0, "no unit above TiB"},
        {"1Ei", PAR, 0, "no unit above TiB"},
        {"1PiB", PAR, 0, "no unit above TiB"},
        {"1EiB", PAR, 0, "no unit above TiB"},
        /* SI units */
        {"512M", PAR, 0, "MiB (2^20 bytes), not M"},
        {"512MB", PAR, 0, "not MB"},
        {"512k", PAR, 0, "KiB (1024 bytes), not k"},
        {"512K", PAR, 0, "not K"},
        {"512KB", PAR, 0, "not KB"},
        {"512kB", PAR, 0, "not kB"},
        {"1G", PAR, 0, "GiB (2^30 bytes), not G"},
        {"1GB", PAR, 0, "not GB"},
        {"1T", PAR, 0, "not T"},
        {"1TB", PAR, 0, "not TB"},
        /* case */
        {"512mib", PAR, 0, "case-sensitive"},
        {"512Mib", PAR, 0, "case-sensitive"},
        {"512MIB", PAR, 0, "case-sensitive"},
        {"1b", PAR, 0, "case-sensitive"},
        {"Off", PAR, 0, "lower-case"},
        {"OFF", PAR, 0, "lower-case"},
        /* decimals, signs, whitespace */
        {"1.5GiB", PAR, 0, "no decimal point"},
        {"1.0", PAR, 0, "no decimal point"},
        {"1.", PAR, 0, "no decimal point"},
        {".5GiB", PAR, 0, "must start with decimal digits"},
        {"-1", PAR, 0, "no sign"},
        {"+1", PAR, 0, "no sign"},      /* Go >= 1.2x takes it */
        {"-0", PAR, 0, "no sign"},      /* every Go takes it */
        {"+512MiB", PAR, 0, "no sign"}, /* Go >= 1.2x takes it */
        {" 512MiB", PAR, 0, "must start with decimal digits"},
        {"512MiB ", PAR, 0, "whitespace"},
        {"512 MiB", PAR, 0, "whitespace"},
        {"off ", PAR, 0, "must start with decimal digits"},
        /* the rest */
        {"", PAR, 0, "empty (Go reads an empty GOMEMLIMIT as unset"},
        {"B", PAR, 0, "must start with decimal digits"},
        {"KiB", PAR, 0, "must start with decimal digits"},
        {"MiB", PAR, 0, "must start with decimal digits"},
        {"iB", PAR, 0, "must start with decimal digits"},
        {"1iB", PAR, 0, "unknown unit"},
        {"512MiBB", PAR, 0, "unknown unit"},
        {"512BiB", PAR, 0, "unknown unit"},
        {"1e9", PAR, 0, "unknown unit"},
        {"0x10", PAR, 0, "unknown unit"},
        {"1_000", PAR, 0, "unknown unit"},
        {"1,000", PAR, 0, "unknown unit"},
        {"512\xef\xbc\x8d", PAR, 0, "unknown unit"},
        {"none", PAR, 0, "must start with decimal digits"},
        {"max", PAR, 0, "must start with decimal digits"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(rows); i++) {
        int64_t bytes = -7;
        snug_err err;

        T_CASE("\"%s\"", rows[i].in);
        snug_err_clear(&err);
        CHECK_INT_EQ(gosize_parse(rows[i].in, &bytes, &err), rows[i].st);
        if (rows[i].st == OK) {
            CHECK_INT_EQ(bytes, rows[i].bytes);
            continue;
        }
        CHECK_INT_EQ(bytes, -7); /* untouched */
        CHECK_INT_EQ(err.status, rows[i].st);
        CHECK_STR_CONTAINS(err.msg, rows[i].msg);
        CHECK_STR_CONTAINS(err.msg, "invalid GOMEMLIMIT \"");
    }
}

static void test_messages(void)
{
    char in[300];
    snug_err err;
    int64_t b;

    snug_err_clear(&err);
    gosize_parse("512Mi", &b, &err);
    CHECK_STR_EQ(err.msg, "invalid GOMEMLIMIT \"512Mi\": GOMEMLIMIT uses MiB, not Mi");
    gosize_parse("1\x01MiB", &b, &err);
    CHECK_STR_CONTAINS(err.msg, "\"1?MiB\"");
    memset(in, '1', sizeof(in) - 1);
    in[sizeof(in) - 1] = '\0';
    CHECK_INT_EQ(gosize_parse(in, &b, &err), RNG);
    CHECK_STR_CONTAINS(err.msg, "111...\"");
    CHECK_INT_EQ(gosize_parse(NULL, &b, &err), PAR);
    CHECK_INT_EQ(gosize_parse("x", &b, NULL), PAR); /* err may be NULL */
}

static void test_parse_env(void)
{
    int64_t b = 0;

    CHECK_INT_EQ(gosize_parse_env("", &b, NULL), OK);
    CHECK_INT_EQ(b, GOSIZE_OFF);
    b = 0;
    CHECK_INT_EQ(gosize_parse_env(NULL, &b, NULL), OK);
    CHECK_INT_EQ(b, GOSIZE_OFF);
    CHECK_INT_EQ(gosize_parse_env("off", &b, NULL), OK);
    CHECK_INT_EQ(b, GOSIZE_OFF);
    CHECK_INT_EQ(gosize_parse_env("460MiB", &b, NULL), OK);
    CHECK_INT_EQ(b, 482344960);
    CHECK_INT_EQ(gosize_parse_env("460Mi", &b, NULL), PAR);
    CHECK_INT_EQ(gosize_parse_env(" ", &b, NULL), PAR);
}

static void test_format_table(void)
{
    static const struct {
        int64_t bytes;
        const char *out;
    } rows[] = {
        {482344960, "460MiB"},
        {1073741824, "1GiB"},
        {483183820, "483183820B"},
        {1, "1B"},
        {1023, "1023B"},
        {1024, "1KiB"},
        {1025, "1025B"},
        {1536, "1536B"},
        {1048576, "1MiB"},
        {1572864, "1536KiB"},
        {1610612736, "1536MiB"},
        {2048, "2KiB"},
        {(int64_t)1 << 40, "1TiB"},
        {(int64_t)1 << 50, "1024TiB"},
        {((int64_t)1 << 40) + 1024, "1073741825KiB"},
        {((int64_t)1 << 40) + (1 << 20), "1048577MiB"},
        {9223370937343148032, "8388607TiB"},
        {INT64_MAX, "9223372036854775807B"},
        {INT64_MAX - 1023, "9007199254740991KiB"},
        {0, "0B"},
        {-1, "0B"},
        {INT64_MIN, "0B"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(rows); i++) {
        char buf[GOSIZE_STR_MAX];

        T_CASE("%lld", (long long)rows[i].bytes);
        gosize_format(rows[i].bytes, buf, sizeof(buf));
        CHECK_STR_EQ(buf, rows[i].out);
    }
}

static void test_format_buffer(void)
{
    char buf[8] = "zzzzzzz";

    gosize_format(482344960, buf, 7); /* "460MiB" + NUL */
    CHECK_STR_EQ(buf, "460MiB");
    gosize_format(482344960, buf, 6);
    CHECK_STR_EQ(buf, ""); /* never "460Mi", a cut different value */
    gosize_format(483183820, buf, sizeof(buf));
    CHECK_STR_EQ(buf, "");
    gosize_format(1, buf, 0); /* no write */
    gosize_format(1, NULL, 0);
}

/* gosize_format output always reads back to the same bytes, and uses the
 * largest unit that divides them. */
static void test_round_trip(void)
{
    static const int shifts[] = {0, 10, 20, 30, 40};
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    int i;

    for (i = 0; i < 50000; i++) {
        char buf[GOSIZE_STR_MAX];
        int64_t v, back = -1;
        int s;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s = shifts[x % 5];
        v = (int64_t)(x >> (1 + (x >> 8) % 63)); /* any size */
        if (i % 2 == 0)
            v = (int64_t)(((x >> 20) % 100000 + 1) << s); /* round sizes */
        if (i % 7 == 0)
            v = (int64_t)(((x >> 20) % 100000 + 1) * 1048576) - 1; /* one byte short */
        T_CASE("%lld", (long long)v);
        gosize_format(v, buf, sizeof(buf));
        CHECK_INT_EQ(gosize_parse(buf, &back, NULL), OK);
        CHECK_INT_EQ(back, v);
        CHECK(strlen(buf) < GOSIZE_STR_MAX);
        /* the next larger unit would not divide: the unit is the largest */
        if (strstr(buf, "KiB") != NULL)
            CHECK(v % 1048576 != 0);
        else if (strstr(buf, "MiB") != NULL)
            CHECK(v % 1073741824 != 0);
        else if (strstr(buf, "GiB") != NULL)
            CHECK(v % ((int64_t)1 << 40) != 0);
        else if (strstr(buf, "TiB") == NULL && v != 0)
            CHECK(v % 1024 != 0);
    }
}

int main(void)
{
    RUN(test_parse_table);
    RUN(test_messages);
    RUN(test_parse_env);
    RUN(test_format_table);
    RUN(test_format_buffer);
    RUN(test_round_trip);
    return TEST_DONE();
}

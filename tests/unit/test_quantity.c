/* Unit tests for quantity: Kubernetes resource.Quantity parsing, canonical
 * formatting, comparison, rounding, scaling and snug's own formatters.
 *
 * The expectations are Kubernetes' own (k8s.io/apimachinery
 * pkg/api/resource: the examples in quantity.go and the tables of
 * quantity_test.go, TestQuantityParse, TestQuantityString and
 * TestQuantityParseEmit), written down by hand. Where snug deliberately
 * differs (digit-less input, values beyond 2^96, the "1000E" fix) the row
 * says so.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <time.h>

#include "model/quantity.h"
#include "base/status.h"
#include "test.h"

#define DSI QUANTITY_DECIMAL_SI
#define BSI QUANTITY_BINARY_SI
#define DEX QUANTITY_DECIMAL_EXP
#define OK  SNUG_OK
#define PAR SNUG_ERR_PARSE
#define RNG SNUG_ERR_RANGE

#define I64MAX INT64_MAX
#define I64MIN INT64_MIN

typedef struct parse_row {
    const char *in;
    snug_status st;
    int64_t milli;   /* quantity_milli_ceil */
    const char *out; /* canonical */
    quantity_format fmt;
} parse_row;

static const parse_row parse_rows[] = {
    /* zero, in every spelling: always "0" */
    {"0", OK, 0, "0", DSI},
    {"0n", OK, 0, "0", DSI},
    {"0u", OK, 0, "0", DSI},
    {"0m", OK, 0, "0", DSI},
    {"0k", OK, 0, "0", DSI},
    {"0M", OK, 0, "0", DSI},
    {"0G", OK, 0, "0", DSI},
    {"0T", OK, 0, "0", DSI},
    {"0Ki", OK, 0, "0", BSI},
    {"0Mi", OK, 0, "0", BSI},
    {"0Gi", OK, 0, "0", BSI},
    {"0Ti", OK, 0, "0", BSI},
    {"-0", OK, 0, "0", DSI},
    {"+0", OK, 0, "0", DSI},
    {"-0.0Ki", OK, 0, "0", BSI},
    {"0.000", OK, 0, "0", DSI},
    {"000", OK, 0, "0", DSI},
    {"0e5", OK, 0, "0", DEX},
    {"0e1000", OK, 0, "0", DEX},
    {"0.0e-99999", OK, 0, "0", DEX},

    /* plain numbers and signs */
    {"1", OK, 1000, "1", DSI},
    {"9", OK, 9000, "9", DSI},
    {"+2", OK, 2000, "2", DSI},
    {"-1", OK, -1000, "-1", DSI},
    {"007", OK, 7000, "7", DSI},
    {"1000", OK, 1000000, "1k", DSI},
    {"1500", OK, 1500000, "1500", DSI},
    {"1024", OK, 1024000, "1024", DSI},
    {"12000000", OK, 12000000000, "12M", DSI},
    {"-12000000", OK, -12000000000, "-12M", DSI},

    /* fractions */
    {"1.5", OK, 1500, "1500m", DSI},
    {"-1.5", OK, -1500, "-1500m", DSI},
    {"0.5", OK, 500, "500m", DSI},
    {".5", OK, 500, "500m", DSI},
    {"+.5", OK, 500, "500m", DSI},
    {"-.5", OK, -500, "-500m", DSI},
    {"5.", OK, 5000, "5", DSI},
    {"1.", OK, 1000, "1", DSI},
    {"1.G", OK, 1000000000000, "1G", DSI},
    {"0.1", OK, 100, "100m", DSI},
    {"1.500", OK, 1500, "1500m", DSI},
    {"2000.0", OK, 2000000, "2k", DSI},
    {"0.001", OK, 1, "1m", DSI},
    {"0.005", OK, 5, "5m", DSI},
    {"0.05", OK, 50, "50m", DSI},
    {"0.00500", OK, 5, "5m", DSI},
    {"0.50000", OK, 500, "500m", DSI},
    {".001", OK, 1, "1m", DSI},
    {"0.0005k", OK, 500, "500m", DSI},
    {"0.00050k", OK, 500, "500m", DSI},
    {".0001k", OK, 100, "100m", DSI},
    {"9.01", OK, 9010, "9010m", DSI},
    {"1.08", OK, 1080, "1080m", DSI},
    {"1.2345", OK, 1235, "1234500u", DSI},

    /* decimal SI suffixes */
    {"5n", OK, 1, "5n", DSI},
    {"4u", OK, 1, "4u", DSI},
    {"3m", OK, 3, "3m", DSI},
    {"100m", OK, 100, "100m", DSI},
    {"2000m", OK, 2000, "2", DSI},
    {"1500m", OK, 1500, "1500m", DSI},
    {"1000u", OK, 1, "1m", DSI},
    {"1080000000n", OK, 1080, "1080m", DSI},
    {"1k", OK, 1000000, "1k", DSI},
    {"8k", OK, 8000000, "8k", DSI},
    {"50k", OK, 50000000, "50k", DSI},
    {"7M", OK, 7000000000, "7M", DSI},
    {"6G", OK, 6000000000000, "6G", DSI},
    {"1000M", OK, 1000000000000, "1G", DSI},
    {"5T", OK, 5000000000000000, "5T", DSI},
    {"40T", OK, 40000000000000000, "40T", DSI},
    {"300T", OK, 300000000000000000, "300T", DSI},
    {"2P", OK, 2000000000000000000, "2P", DSI},
    {"1E", OK, I64MAX, "1E", DSI},
    {"12E", OK, I64MAX, "12E", DSI},
    {"8.1k", OK, 8100000, "8100", DSI},
    {"100.035k", OK, 100035000, "100035", DSI},
    {"10.035M", OK, 10035000000, "10035k", DSI},
    {"7.123456M", OK, 7123456000, "7123456", DSI},
    {"6.987654321G", OK, 6987654321000, "6987654321", DSI},
    {"5.444T", OK, 5444000000000000, "5444G", DSI},
    {"40.1T", OK, 40100000000000000, "40100G", DSI},
    {"300.2T", OK, 300200000000000000, "300200G", DSI},
    {"2.5P", OK, 2500000000000000000, "2500T", DSI},
    {"1.01E", OK, I64MAX, "1010P", DSI},
    {"-1.01E", OK, I64MIN, "-1010P", DSI},
    /* beyond "E" there is no suffix: exponent form (Kubernetes <= 1.34 wrote "1") */
    {"1000E", OK, I64MAX, "1e21", DSI},
    {"100000E", OK, I64MAX, "100e21", DSI},
    {"1234E", OK, I64MAX, "1234E", DSI},

    /* binary SI suffixes */
    {"1Ki", OK, 1024000, "1Ki", BSI},
    {"8Ki", OK, 8192000, "8Ki", BSI},
    {"6Ki", OK, 6144000, "6Ki", BSI},
    {"7Mi", OK, 7340032000, "7Mi", BSI},
    {"6Gi", OK, 6442450944000, "6Gi", BSI},
    {"1Gi", OK, 1073741824000, "1Gi", BSI},
    {"5Ti", OK, 5497558138880000, "5Ti", BSI},
    {"10Ti", OK, 10995116277760000, "10Ti", BSI},
    {"4Pi", OK, 4503599627370496000, "4Pi", BSI},
    {"3Ei", OK, I64MAX, "3Ei", BSI},
    {"7Ei", OK, I64MAX, "7Ei", BSI},
    {"1024Mi", OK, 1073741824000, "1Gi", BSI},
    {"1536Mi", OK, 1610612736000, "1536Mi", BSI},
    {"307200Ki", OK, 314572800000, "300Mi", BSI},
    {"1025024Mi", OK, 1074815565824000, "1001Gi", BSI},
    {"1.5Gi", OK, 1610612736000, "1536Mi", BSI},
    {"0.5Mi", OK, 524288000, "512Ki", BSI},
    {"1.5Ki", OK, 1536000, "1536", BSI},
    {"1025Ki", OK, 1049600000, "1025Ki", BSI},
    {"1.953125Ki", OK, 2000000, "2000", BSI}, /* BinarySI, no suffix fits */
    {"-1.5Ki", OK, -1536000, "-1536", BSI},
    {"100.035Ki", OK, 102435840, "102435840m", BSI}, /* not integral: DecimalSI */
    {"0.05Gi", OK, 53687091200, "53687091200m", BSI},
    {"0.025Ti", OK, 27487790694400, "27487790694400m", BSI},
    {".001Ki", OK, 1024, "1024m", BSI},
    /* BinarySI below 1 becomes DecimalSI at parse time */
    {".000001Ki", OK, 2, "1024u", DSI},
    {".000000001Ki", OK, 1, "1024n", DSI},
    {"1000Ki", OK, 1024000000, "1000Ki", BSI},
    {"0.0001Ki", OK, 103, "102400u", DSI},
    {"-0.0001Ki", OK, -102, "-102400u", DSI},
    {".000000000001Ki", OK, 1, "2n", DSI},
    /* BinarySI is capped at 2^63-1, silently, as Kubernetes does */
    {"8Ei", OK, I64MAX, "9223372036854775807", BSI},
    {"9Ei", OK, I64MAX, "9223372036854775807", BSI},
    {"-9Ei", OK, I64MIN, "-9223372036854775807", BSI},
    {"1024Ei", OK, I64MAX, "9223372036854775807", BSI},
    {"9223372036854775807Ki", OK, I64MAX, "9223372036854775807", BSI},
    {"99999999999999999999999999999999999999999999999Ki", OK, I64MAX, "9223372036854775807", BSI},
    {"7.99999999999999999999Ei", OK, I64MAX, "9223372036854775807", BSI},

    /* decimal exponents: the exponent is a multiple of 3, lower-case "e" */
    {"1e3", OK, 1000000, "1e3", DEX},
    {"1E3", OK, 1000000, "1e3", DEX},
    {"1e+3", OK, 1000000, "1e3", DEX},
    {"1E6", OK, 1000000000, "1e6", DEX},
    {"1e9", OK, 1000000000000, "1e9", DEX},
    {"1E12", OK, 1000000000000000, "1e12", DEX},
    {"1e15", OK, 1000000000000000000, "1e15", DEX},
    {"1E18", OK, I64MAX, "1e18", DEX},
    {"1e4", OK, 10000000, "10e3", DEX},
    {"1e13", OK, 10000000000000000, "10e12", DEX},
    {"1e14", OK, 100000000000000000, "100e12", DEX},
    {"1e007", OK, 10000000000, "10e6", DEX},
    {"1e0", OK, 1000, "1", DEX},
    {"1e-0", OK, 1000, "1", DEX},
    {"5e0", OK, 5000, "5", DEX},
    {"1.5e0", OK, 1500, "1500e-3", DEX},
    {"1000e-3", OK, 1000, "1", DEX},
    {"1e-3", OK, 1, "1e-3", DEX},
    {"1E-3", OK, 1, "1e-3", DEX},
    {"80e-3", OK, 80, "80e-3", DEX},
    {"300e6", OK, 300000000000, "300e6", DEX},
    {"0.5e0", OK, 500, "500e-3", DEX},
    {"0.5e-1", OK, 50, "50e-3", DEX},
    {"0.5e-2", OK, 5, "5e-3", DEX},
    {"1.2e3", OK, 1200000, "1200", DEX},
    {"1.3E+6", OK, 1300000000, "1300e3", DEX},
    {"1.40e9", OK, 1400000000000, "1400e6", DEX},
    {"1.53E12", OK, 1530000000000000, "1530e9", DEX},
    {"1.6e15", OK, 1600000000000000000, "1600e12", DEX},
    {"1.7E18", OK, I64MAX, "1700e15", DEX},
    {"1.e3", OK, 1000000, "1e3", DEX},
    {".5e3", OK, 500000, "500", DEX},
    {".001e12", OK, 1000000000000, "1e9", DEX},
    {"1e-9", OK, 1, "1e-9", DEX},
    {"1000e-12", OK, 1, "1e-9", DEX},
    {"1e21", OK, I64MAX, "1e21", DEX},
    {"1e27", OK, I64MAX, "1e27", DEX},
    {"-1e27", OK, I64MIN, "-1e27", DEX},

    /* below 1n: rounded up away from zero, to 1n */
    {"3.001n", OK, 1, "4n", DSI},
    {"1.1E-9", OK, 1, "2e-9", DEX},
    {"0.0000000001", OK, 1, "1n", DSI},
    {"0.0000000005", OK, 1, "1n", DSI},
    {"0.00000000050", OK, 1, "1n", DSI},
    {"0.5e-9", OK, 1, "1e-9", DEX},
    {"0.9n", OK, 1, "1n", DSI},
    {"0.1n", OK, 1, "1n", DSI},
    {"-0.1n", OK, 0, "-1n", DSI},
    {"0.000000001", OK, 1, "1n", DSI},
    {"-0.000000001", OK, 0, "-1n", DSI},
    {"1n", OK, 1, "1n", DSI},
    {"1u", OK, 1, "1u", DSI},
    {"0.00000012345", OK, 1, "124n", DSI},
    {"0.00000012354", OK, 1, "124n", DSI},
    {"1.0000000001", OK, 1001, "1000000001n", DSI},
    {"-1.0000000001", OK, -1000, "-1000000001n", DSI},
    {"123e-12", OK, 1, "1e-9", DEX},
    {"1e-99", OK, 1, "1e-9", DEX},
    {"1e-1000", OK, 1, "1e-9", DEX},
    {"1e-9223372036854775808", OK, 1, "1e-9", DEX},
    {"0.1m", OK, 1, "100u", DSI},
    {"1.5m", OK, 2, "1500u", DSI},
    {"-1.5m", OK, -1, "-1500u", DSI},

    /* the 2^96 limit (Kubernetes keeps such values; snug refuses them) */
    {"79228162514264337593543950336", OK, I64MAX, "79228162514264337593543950336", DSI},
    {"-79228162514264337593543950336", OK, I64MIN, "-79228162514264337593543950336", DSI},
    {"79228162514264337593543950335.999999999", OK, I64MAX,
     "79228162514264337593543950335999999999n", DSI},
    {"79228162514264337593543950337", RNG, 0, NULL, DSI},
    {"79228162514264337593543950336.000000001", RNG, 0, NULL, DSI},
    {"79228162514264337593543950336.0000000001", RNG, 0, NULL, DSI},
    {"18446744073709551616", OK, I64MAX, "18446744073709551616", DSI},
    {"9223372036854775807", OK, I64MAX, "9223372036854775807", DSI},
    {"1e28", OK, I64MAX, "10e27", DEX},
    {"1e29", RNG, 0, NULL, DSI},
    {"1e1000", RNG, 0, NULL, DSI},
    {"-1e1000", RNG, 0, NULL, DSI},
    {"1e9223372036854775807", RNG, 0, NULL, DSI},
    {"1000000000000E", RNG, 0, NULL, DSI},

    /* refused */
    {"", PAR, 0, NULL, DSI},
    {" ", PAR, 0, NULL, DSI},
    {"1 Gi", PAR, 0, NULL, DSI},
    {" 1", PAR, 0, NULL, DSI},
    {"1 ", PAR, 0, NULL, DSI},
    {"1Mi ", PAR, 0, NULL, DSI},
    {"1\t", PAR, 0, NULL, DSI},
    {"1Gi\n", PAR, 0, NULL, DSI},
    {"Gi", PAR, 0, NULL, DSI}, /* ParseQuantity: 0; the CRD pattern refuses it */
    {"k", PAR, 0, NULL, DSI},
    {"m", PAR, 0, NULL, DSI},
    {".", PAR, 0, NULL, DSI},
    {"+", PAR, 0, NULL, DSI},
    {"-", PAR, 0, NULL, DSI},
    {"-.", PAR, 0, NULL, DSI},
    {".e3", PAR, 0, NULL, DSI},
    {"e3", PAR, 0, NULL, DSI},
    {"1..2", PAR, 0, NULL, DSI},
    {"1.2.3", PAR, 0, NULL, DSI},
    {"1.1.M", PAR, 0, NULL, DSI},
    {"--1", PAR, 0, NULL, DSI},
    {"+-1", PAR, 0, NULL, DSI},
    {"1+1.0M", PAR, 0, NULL, DSI},
    {"1e", PAR, 0, NULL, DSI},
    {"1e+", PAR, 0, NULL, DSI},
    {"1e-", PAR, 0, NULL, DSI},
    {"1E+", PAR, 0, NULL, DSI},
    {"-3.01e-", PAR, 0, NULL, DSI},
    {"1e3.5", PAR, 0, NULL, DSI},
    {"1ee3", PAR, 0, NULL, DSI},
    {"1Ee3", PAR, 0, NULL, DSI},
    {"1e3i", PAR, 0, NULL, DSI},
    {"1e 3", PAR, 0, NULL, DSI},
    {"1e99999999999999999999", PAR, 0, NULL, DSI},
    {"0e99999999999999999999", PAR, 0, NULL, DSI},
    {"1e-9223372036854775809", PAR, 0, NULL, DSI},
    {"0x10", PAR, 0, NULL, DSI},
    {"1k2", PAR, 0, NULL, DSI},
    {"1m3", PAR, 0, NULL, DSI},
    {"1KiB", PAR, 0, NULL, DSI},
    {"1K", PAR, 0, NULL, DSI},
    {"1ki", PAR, 0, NULL, DSI},
    {"1mi", PAR, 0, NULL, DSI},
    {"1MI", PAR, 0, NULL, DSI},
    {"1i", PAR, 0, NULL, DSI},
    {".5i", PAR, 0, NULL, DSI},
    {"-3.01i", PAR, 0, NULL, DSI},
    {"0.1mi", PAR, 0, NULL, DSI},
    {"0.1am", PAR, 0, NULL, DSI},
    {"aoeu", PAR, 0, NULL, DSI},
    {"1,5", PAR, 0, NULL, DSI},
    {"1_000", PAR, 0, NULL, DSI},
    {"1Zi", PAR, 0, NULL, DSI},
    {"1Y", PAR, 0, NULL, DSI},
    {"Infinity", PAR, 0, NULL, DSI},
    {"NaN", PAR, 0, NULL, DSI},
    {"1\xc2\xbd", PAR, 0, NULL, DSI},
};

static const char *fmt_name(quantity_format f)
{
    return f == DSI ? "DecimalSI" : f == BSI ? "BinarySI" : f == DEX ? "DecimalExponent" : "?";
}

static void test_parse_table(void)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(parse_rows); i++) {
        const parse_row *r = &parse_rows[i];
        quantity q = {12345, QUANTITY_DECIMAL_EXP};
        char buf[QUANTITY_STR_MAX];
        snug_err err;
        snug_status st;

        T_CASE("\"%s\"", r->in);
        snug_err_clear(&err);
        st = quantity_parse(r->in, &q, &err);
        CHECK_INT_EQ(st, r->st);
        if (r->st != OK) {
            CHECK_INT_EQ(err.status, r->st);
            CHECK_STR_CONTAINS(err.msg, "quantity \"");
            CHECK(q.nanos == 12345 && q.format == QUANTITY_DECIMAL_EXP); /* untouched */
            continue;
        }
        CHECK_INT_EQ(quantity_milli_ceil(&q), r->milli);
        CHECK_STR_EQ(fmt_name(q.format), fmt_name(r->fmt));
        CHECK_INT_EQ(quantity_format_str(&q, buf, sizeof(buf)), OK);
        CHECK_STR_EQ(buf, r->out);
    }
}

/* Every accepted row: the canonical string parses to the same value, and
 * formatting that gives the same string (idempotence from the first
 * canonical string on, except a suffix-less BinarySI integer, which parses
 * back as DecimalSI: "1.953125Ki" -> "2000" -> "2k", as in Kubernetes). */
static void test_round_trip(void)
{
    size_t i;

    for (i = 0; i < ARRAY_LEN(parse_rows); i++) {
        char s1[QUANTITY_STR_MAX], s2[QUANTITY_STR_MAX];
        quantity a, b;

        if (parse_rows[i].st != OK)
            continue;
        T_CASE("\"%s\"", parse_rows[i].in);
        CHECK_INT_EQ(quantity_parse(parse_rows[i].in, &a, NULL), OK);
        CHECK_INT_EQ(quantity_format_str(&a, s1, sizeof(s1)), OK);
        CHECK_INT_EQ(quantity_parse(s1, &b, NULL), OK);
        CHECK_INT_EQ(quantity_cmp(&a, &b), 0);
        CHECK_INT_EQ(quantity_format_str(&b, s2, sizeof(s2)), OK);
        if (strcmp(parse_rows[i].in, "1.953125Ki") == 0)
            CHECK_STR_EQ(s2, "2k");
        else
            CHECK_STR_EQ(s2, s1);
    }
}

static void test_error_messages(void)
{
    char in[200];
    snug_err err;
    quantity q;

    snug_err_clear(&err);
    quantity_parse("12x", &q, &err);
    CHECK_STR_EQ(err.msg, "invalid quantity \"12x\": unknown suffix (want n, u, m, k, M, G, T, "
                          "P, E, Ki, Mi, Gi, Ti, Pi, Ei or e<exponent>)");
    quantity_parse("", &q, &err);
    CHECK_STR_EQ(err.msg, "invalid quantity \"\": empty");
    quantity_parse("1 Gi", &q, &err);
    CHECK_STR_EQ(err.msg, "invalid quantity \"1 Gi\": whitespace is not allowed");
    quantity_parse("Gi", &q, &err);
    CHECK_STR_EQ(err.msg, "invalid quantity \"Gi\": no digits");
    quantity_parse("1e1000", &q, &err);
    CHECK_INT_EQ(err.status, RNG);
    CHECK_STR_CONTAINS(err.msg, "\"1e1000\" is out of range");
    quantity_parse("1\n\x01", &q, &err);
    CHECK_STR_CONTAINS(err.msg, "\"1??\"");
    /* a long input is quoted cut */
    memset(in, '7', sizeof(in) - 2);
    in[sizeof(in) - 2] = 'x';
    in[sizeof(in) - 1] = '\0';
    quantity_parse(in, &q, &err);
    CHECK_STR_CONTAINS(err.msg, "7777...\": unknown suffix");
    CHECK(strlen(err.msg) < 200);
    CHECK_INT_EQ(quantity_parse(NULL, &q, &err), PAR);
    CHECK_INT_EQ(quantity_parse("x", &q, NULL), PAR); /* err may be NULL */
}

/* Inputs of 10 000 digits: linear, no crash, the right answer. */
static char *repeat(const char *head, char c, size_t n, const char *tail)
{
    size_t h = strlen(head), t = strlen(tail);
    char *s = malloc(h + n + t + 1);

    if (s == NULL)
        abort();
    memcpy(s, head, h);
    memset(s + h, c, n);
    memcpy(s + h + n, tail, t + 1);
    return s;
}

static void test_huge_inputs(void)
{
    static const struct {
        const char *head;
        char fill;
        const char *tail;
        snug_status st;
        const char *out;
    } rows[] = {
        {"1", '0', "", RNG, NULL},  /* 10^10000 */
        {"9", '9', "", RNG, NULL},  /* 10 000 nines */
        {"-1", '0', "", RNG, NULL}, /* -10^10000 */
        {"", '0', "1", OK, "1"},    /* leading zeros */
        {"", '0', "1.5Gi", OK, "1536Mi"},
        {"0.", '0', "1", OK, "1n"},   /* 10^-10001: rounds up to 1n */
        {"-0.", '0', "1", OK, "-1n"}, /* away from zero */
        {"0.", '0', "", OK, "0"},     /* all zeros */
        {"1.", '0', "", OK, "1"},     /* trailing zeros */
        {"1.", '0', "1", OK, "1000000001n"},
        {"2.", '5', "", OK, "2555555556n"}, /* 2.555...: rounded up */
        {"1.", '0', "1Ki", OK, "1024000000001n"},
        {"0.", '0', "1Ei", OK, "1n"},                /* 2^60 x 10^-10001: tiny, rounded up */
        {"1", '0', "Ki", OK, "9223372036854775807"}, /* BinarySI cap */
        {"1e", '0', "3", OK, "1e3"},                 /* exponent with leading zeros */
        {"1e-", '0', "", OK, "1"},                   /* "1e-000...0" */
        {"1e", '9', "", PAR, NULL},                  /* exponent beyond int64 */
        {"1", '0', "e-10000", OK, "1"},              /* 10^10000 x 10^-10000 */
        {"1", '0', "e-9999", OK, "10"},
        {"0.", '0', "1e10009", OK, "100e6"}, /* huge fraction, huge exponent */
        {"1.", '2', "x", PAR, NULL},
        {"1", '.', "", PAR, NULL},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(rows); i++) {
        char *s = repeat(rows[i].head, rows[i].fill, 10000, rows[i].tail);
        char buf[QUANTITY_STR_MAX];
        clock_t t0 = clock();
        quantity q;
        snug_status st;

        T_CASE("%s<10000 x '%c'>%s", rows[i].head, rows[i].fill, rows[i].tail);
        st = quantity_parse(s, &q, NULL);
        CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 0.5);
        CHECK_INT_EQ(st, rows[i].st);
        if (st == OK && rows[i].out != NULL) {
            CHECK_INT_EQ(quantity_format_str(&q, buf, sizeof(buf)), OK);
            CHECK_STR_EQ(buf, rows[i].out);
        }
        free(s);
    }
}

static void test_cmp(void)
{
    static const struct {
        const char *a, *b;
        int want;
    } rows[] = {
        {"1Gi", "1G", 1},
        {"1G", "1Gi", -1},
        {"1000m", "1", 0},
        {"1", "1000m", 0},
        {"1k", "1e3", 0},
        {"1Ki", "1024", 0},
        {"1Ki", "1k", 1},
        {"0", "-0", 0},
        {"0Ki", "0m", 0},
        {"-1", "1", -1},
        {"-1Gi", "-1G", -1},
        {"1n", "0", 1},
        {"0.1n", "1n", 0},
        {"999m", "1", -1},
        {"1.5Gi", "1536Mi", 0},
        {"100m", "0.1", 0},
        {"1e-3", "1m", 0},
        {"8Ei", "9Ei", 0},
        {"8Ei", "9223372036854775807", 0},
        {"1E", "1Ei", -1},
        {"79228162514264337593543950336", "79228162514264337593543950335", 1},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(rows); i++) {
        quantity a, b;

        T_CASE("%s vs %s", rows[i].a, rows[i].b);
        CHECK_INT_EQ(quantity_parse(rows[i].a, &a, NULL), OK);
        CHECK_INT_EQ(quantity_parse(rows[i].b, &b, NULL), OK);
        CHECK_INT_EQ(quantity_cmp(&a, &b), rows[i].want);
        CHECK_INT_EQ(quantity_cmp(&b, &a), -rows[i].want);
    }
}

static void test_value_ceil(void)
{
    static const struct {
        const char *in;
        int64_t value, milli;
    } rows[] = {
        {"1.5", 2, 1500},
        {"1.1", 2, 1100},
        {"1", 1, 1000},
        {"0.1m", 1, 1},
        {"0.1n", 1, 1},
        {"1n", 1, 1},
        {"0", 0, 0},
        {"100m", 1, 100},
        {"1001m", 2, 1001},
        {"1Gi", 1073741824, 1073741824000},
        {"1.5Gi", 1610612736, 1610612736000},
        {"100.035Ki", 102436, 102435840},
        {"-1.5", -1, -1500}, /* ceiling: toward +infinity */
        {"-0.5", 0, -500},
        {"-1.5m", 0, -1},
        {"-1", -1, -1000},
        {"9223372036854775807", I64MAX, I64MAX},
        {"9223372036854775806.1", I64MAX, I64MAX},
        {"9223372036854775806", I64MAX - 1, I64MAX},
        {"9223372036854775.807", 9223372036854776, I64MAX},
        {"9223372036854775.806", 9223372036854776, I64MAX - 1},
        {"9223372036854775808", I64MAX, I64MAX},
        {"-9223372036854775808", I64MIN, I64MIN},
        {"-9223372036854775809", I64MIN, I64MIN},
        {"-9223372036854775.808", -9223372036854775, I64MIN},
        {"1e27", I64MAX, I64MAX},
        {"-1e27", I64MIN, I64MIN},
        {"8Ei", I64MAX, I64MAX},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(rows); i++) {
        quantity q;

        T_CASE("%s", rows[i].in);
        CHECK_INT_EQ(quantity_parse(rows[i].in, &q, NULL), OK);
        CHECK_INT_EQ(quantity_value_ceil(&q), rows[i].value);
        CHECK_INT_EQ(quantity_milli_ceil(&q), rows[i].milli);
    }
}

static void test_constructors(void)
{
    static const struct {
        int64_t v;
        quantity_format fmt;
        bool milli;
        const char *out;
    } rows[] = {
        {1500, DSI, true, "1500m"},
        {2000, DSI, true, "2"},
        {100, DSI, true, "100m"},
        {0, DSI, true, "0"},
        {-250, DSI, true, "-250m"},
        {1, BSI, true, "1m"},
        {1024000, BSI, true, "1Ki"},
        {I64MAX, DSI, true, "9223372036854775807m"},
        {I64MIN, DSI, true, "-9223372036854775808m"},
        {5, DEX, true, "5e-3"},
        {1000, DEX, false, "1e3"},
        {1073741824, BSI, false, "1Gi"},
        {1073741824, DSI, false, "1073741824"},
        {1000000000, DSI, false, "1G"},
        {5, BSI, false, "5"},
        {1023, BSI, false, "1023"},
        {1024, BSI, false, "1Ki"},
        {I64MAX, BSI, false, "9223372036854775807"},
        {I64MIN, BSI, false, "-9223372036854775808"}, /* -8Ei would cap */
        {I64MIN, DSI, false, "-9223372036854775808"},
        {-1, BSI, false, "-1"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(rows); i++) {
        quantity q = rows[i].milli ? quantity_from_milli(rows[i].v, rows[i].fmt)
                                   : quantity_from_int(rows[i].v, rows[i].fmt);
        char buf[QUANTITY_STR_MAX];

        T_CASE("%s %lld fmt %d", rows[i].milli ? "milli" : "int", (long long)rows[i].v,
               (int)rows[i].fmt);
        CHECK_INT_EQ(q.format, rows[i].fmt);
        CHECK_INT_EQ(quantity_format_str(&q, buf, sizeof(buf)), OK);
        CHECK_STR_EQ(buf, rows[i].out);
        if (rows[i].milli)
            CHECK_INT_EQ(quantity_milli_ceil(&q), rows[i].v);
        else
            CHECK_INT_EQ(quantity_value_ceil(&q), rows[i].v);
    }
}

static void test_format_buffer(void)
{
    quantity q = quantity_from_int(1536, QUANTITY_BINARY_SI);
    char buf[8];

    memset(buf, 'x', sizeof(buf));
    CHECK_INT_EQ(quantity_format_str(&q, buf, 5), OK); /* "1536" + NUL fits */
    CHECK_STR_EQ(buf, "1536");
    CHECK_INT_EQ(quantity_format_str(&q, buf, 4), SNUG_ERR_TOO_BIG);
    CHECK_STR_EQ(buf, "");
    CHECK_INT_EQ(quantity_format_str(&q, buf, 0), SNUG_ERR_TOO_BIG);
    CHECK_INT_EQ(quantity_format_str(&q, NULL, 0), SNUG_ERR_TOO_BIG);
    /* the longest strings fit QUANTITY_STR_MAX */
    q.nanos = -QUANTITY_MAX_NANOS + 1;
    q.format = QUANTITY_DECIMAL_EXP;
    CHECK_INT_EQ(quantity_format_str(&q, buf, sizeof(buf)), SNUG_ERR_TOO_BIG);
    {
        char big[QUANTITY_STR_MAX];

        CHECK_INT_EQ(quantity_format_str(&q, big, sizeof(big)), OK);
        CHECK_STR_EQ(big, "-79228162514264337593543950335999999999e-9");
    }
}

static void test_scale(void)
{
    static const struct {
        const char *in;
        double ratio;
        snug_status st;
        const char *out;
    } rows[] = {
        {"1Gi", 0, OK, "0"},
        {"1Gi", -0.0, OK, "0"},
        {"1Gi", 1, OK, "1Gi"},
        {"1Gi", 2, OK, "2Gi"},
        {"1Gi", 0.5, OK, "512Mi"},
        {"1Gi", 1.2, OK, "1288490188800m"}, /* 1.2 taken as the decimal 1.2 */
        {"1Gi", 0.9, OK, "966367641600m"},
        {"1Gi", 0.75, OK, "768Mi"},
        {"100m", 0.9, OK, "90m"},
        {"100m", 1.15, OK, "115m"},
        {"1", 0.1, OK, "100m"},
        {"3", 1.0 / 3.0, OK, "1"}, /* 0.3333333333333333 x 3 = 0.9999999999999999, up */
        {"1n", 0.5, OK, "1n"},     /* rounded up to 1n */
        {"1n", 1e-300, OK, "1n"},
        {"1n", DBL_TRUE_MIN, OK, "1n"},
        {"-1n", 0.5, OK, "-1n"}, /* magnitude up: away from zero */
        {"-1", 1.5, OK, "-1500m"},
        {"0", 1e300, OK, "0"},
        {"1e3", 1.5, OK, "1500"},
        {"1e3", 2, OK, "2e3"},
        {"1", 1e20, OK, "100E"},
        {"1", 1e21, OK, "1e21"},
        {"1", 7.9e28, OK, "79e27"},
        {"1", 79228162514264337593543950336.0, RNG, NULL}, /* 2^96 reads as 7.922816251426434e28 */
        {"1", 1e29, RNG, NULL},
        {"1", 1e300, RNG, NULL},
        {"1Ei", 1e12, RNG, NULL},
        {"1Ei", 1e10, OK, "11529215046068469760G"},
        {"8Ei", 2, OK, "18446744073709551614"}, /* BinarySI over 2^63-1: DecimalSI */
        {"1", DBL_MAX, RNG, NULL},
        {"1", -1, RNG, NULL},
        {"1", -1e-300, RNG, NULL},
        {"1", NAN, RNG, NULL},
        {"1", INFINITY, RNG, NULL},
        {"0", INFINITY, RNG, NULL},
        {"0", NAN, RNG, NULL},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(rows); i++) {
        quantity q, out = {777, QUANTITY_DECIMAL_EXP};
        char buf[QUANTITY_STR_MAX];
        snug_status st;

        T_CASE("%s x %g", rows[i].in, rows[i].ratio);
        CHECK_INT_EQ(quantity_parse(rows[i].in, &q, NULL), OK);
        st = quantity_scale(&q, rows[i].ratio, &out);
        CHECK_INT_EQ(st, rows[i].st);
        if (st != OK) {
            CHECK(out.nanos == 777);
            continue;
        }
        CHECK_INT_EQ(out.format, q.format);
        CHECK_INT_EQ(quantity_format_str(&out, buf, sizeof(buf)), OK);
        CHECK_STR_EQ(buf, rows[i].out);
    }
    {
        quantity q;

        T_CASE("in place");
        CHECK_INT_EQ(quantity_parse("100m", &q, NULL), OK);
        CHECK_INT_EQ(quantity_scale(&q, 2.5, &q), OK);
        CHECK_INT_EQ(quantity_milli_ceil(&q), 250);
    }
}

static void test_json(void)
{
    static const struct {
        const char *json;
        snug_status st;
        const char *out;
        quantity_format fmt;
    } rows[] = {
        {"\"100m\"", OK, "100m", DSI},
        {"\"1.5Gi\"", OK, "1536Mi", BSI},
        {"\" 1Gi \"", OK, "1Gi", BSI}, /* UnmarshalJSON trims */
        {"\"\\t2\\n\"", OK, "2", DSI},
        {"\"\"", PAR, NULL, DSI},
        {"\"  \"", PAR, NULL, DSI},
        {"\"1 Gi\"", PAR, NULL, DSI},
        {"\"Gi\"", PAR, NULL, DSI},
        {"1", OK, "1", DSI},
        {"0", OK, "0", DSI},
        {"-0", OK, "0", DSI},
        {"2", OK, "2", DSI},
        {"0.1", OK, "100m", DSI},
        {"0.5", OK, "500m", DSI},
        {"1.5", OK, "1500m", DSI},
        {"-2.5", OK, "-2500m", DSI},
        {"1000", OK, "1k", DSI},
        {"1e3", OK, "1k", DSI}, /* the text is gone: Go writes 1000 */
        {"1e9", OK, "1G", DSI},
        {"134217728", OK, "134217728", DSI},
        {"9007199254740992", OK, "9007199254740992", DSI},       /* 2^53 exact */
        {"12345678901234567890", OK, "12345678901234567k", DSI}, /* the double */
        {"1e20", OK, "100E", DSI},
        {"1e21", OK, "1e21", DEX}, /* Go switches to exponent form at 1e21 */
        {"1.5e22", OK, "15e21", DEX},
        {"1e-6", OK, "1u", DSI},
        {"1.5e-6", OK, "1500n", DSI},
        {"1e-7", OK, "100e-9", DEX},
        {"1e-10", OK, "1e-9", DEX},
        {"0.3", OK, "300m", DSI},
        {"0.123456789", OK, "123456789n", DSI},
        {"0.1234567891", OK, "123456790n", DSI},
        {"1e30", RNG, NULL, DSI},
        {"null", SNUG_ERR_INVALID, NULL, DSI},
        {"true", SNUG_ERR_INVALID, NULL, DSI},
        {"{}", SNUG_ERR_INVALID, NULL, DSI},
        {"[\"1\"]", SNUG_ERR_INVALID, NULL, DSI},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(rows); i++) {
        cJSON *j = cJSON_Parse(rows[i].json);
        char buf[QUANTITY_STR_MAX];
        snug_err err;
        snug_status st;
        quantity q;

        T_CASE("%s", rows[i].json);
        CHECK(j != NULL);
        if (j == NULL)
            continue;
        snug_err_clear(&err);
        st = quantity_parse_json(j, &q, &err);
        CHECK_INT_EQ(st, rows[i].st);
        if (st == OK) {
            CHECK_INT_EQ(quantity_format_str(&q, buf, sizeof(buf)), OK);
            CHECK_STR_EQ(buf, rows[i].out);
            CHECK_STR_EQ(fmt_name(q.format), fmt_name(rows[i].fmt));
        } else if (st == SNUG_ERR_INVALID) {
            CHECK_STR_EQ(err.msg, "quantity must be a string or number");
        }
        cJSON_Delete(j);
    }
    {
        cJSON *n = cJSON_CreateNumber(NAN);
        cJSON *s = cJSON_CreateString("   1.5Gi   \t\n  ");
        char *longs = repeat(" ", '0', 5000, "1Ki ");
        cJSON *l = cJSON_CreateString(longs);
        quantity q;

        T_CASE("non-finite and long strings");
        CHECK_INT_EQ(quantity_parse_json(n, &q, NULL), RNG);
        CHECK_INT_EQ(quantity_parse_json(s, &q, NULL), OK);
        CHECK_INT_EQ(quantity_value_ceil(&q), 1610612736);
        CHECK_INT_EQ(quantity_parse_json(l, &q, NULL), OK);
        CHECK_INT_EQ(quantity_value_ceil(&q), 1024);
        CHECK_INT_EQ(quantity_parse_json(NULL, &q, NULL), SNUG_ERR_INVALID);
        cJSON_Delete(n);
        cJSON_Delete(s);
        cJSON_Delete(l);
        free(longs);
    }
}

/* A JSON integer up to 2^53 is exact and means the same as its string. */
static void test_json_integers(void)
{
    int64_t v;
    int k;

    for (k = 0; k <= 53; k++) {
        for (v = ((int64_t)1 << k) - 1; v <= ((int64_t)1 << k) + (k < 53); v++) {
            char text[32];
            cJSON *n = cJSON_CreateNumber((double)v);
            quantity a, b;

            snprintf(text, sizeof(text), "%lld", (long long)v);
            T_CASE("%s", text);
            CHECK_INT_EQ(quantity_parse_json(n, &a, NULL), OK);
            CHECK_INT_EQ(quantity_parse(text, &b, NULL), OK);
            CHECK_INT_EQ(quantity_cmp(&a, &b), 0);
            CHECK_INT_EQ(a.format, b.format);
            cJSON_Delete(n);
        }
    }
}

static void test_helpers(void)
{
    static const struct {
        int64_t v;
        const char *out;
    } cpu[] =
        {
            {1500, "1500m"},   {2000, "2"}, {100, "100m"},   {1, "1m"},
            {0, "0"},          {1000, "1"}, {250000, "250"}, {-500, "-500m"},
            {10, "10m"},       {8000, "8"}, {1000000, "1k"}, {I64MAX, "9223372036854775807m"},
            {12500, "12500m"},
        },
      mem[] = {
          {134217728, "128Mi"},
          {1000, "1k"},
          {1536, "1536"},
          {0, "0"},
          {1, "1"},
          {1023, "1023"},
          {1024, "1Ki"},
          {2000, "2000"},
          {1048576, "1Mi"},
          {1073741824, "1Gi"},
          {1610612736, "1536Mi"},
          {483183820, "483183820"},
          {67108864, "64Mi"},
          {17179869184, "16Gi"},
          {(int64_t)1 << 60, "1Ei"},
          {I64MAX, "9223372036854775807"},
          {-1048576, "-1Mi"},
          {999, "999"},
      };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cpu); i++) {
        char buf[QUANTITY_STR_MAX];

        T_CASE("cpu %lld", (long long)cpu[i].v);
        cpu_format_milli(cpu[i].v, buf, sizeof(buf));
        CHECK_STR_EQ(buf, cpu[i].out);
    }
    for (i = 0; i < ARRAY_LEN(mem); i++) {
        char buf[QUANTITY_STR_MAX];

        T_CASE("mem %lld", (long long)mem[i].v);
        mem_format_bytes(mem[i].v, buf, sizeof(buf));
        CHECK_STR_EQ(buf, mem[i].out);
    }
    {
        char small[4] = "xyz";

        T_CASE("small buffer");
        mem_format_bytes(134217728, small, sizeof(small));
        CHECK_STR_EQ(small, "");
    }
}

static void test_round_up_mib(void)
{
    static const struct {
        int64_t in, want;
    } rows[] = {
        {0, 0},
        {1, 1048576},
        {1048575, 1048576},
        {1048576, 1048576},
        {1048577, 2097152},
        {483183820, 461 * 1048576},
        {-1, 0},
        {-1048576, -1048576},
        {-1048577, -1048576},
        {I64MAX - 1048575, I64MAX - 1048575}, /* 2^63 - 2^20: a multiple */
        {I64MAX - 1048574, I64MAX - 1048575}, /* saturates */
        {I64MAX, I64MAX - 1048575},
        {I64MIN, I64MIN},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(rows); i++) {
        T_CASE("%lld", (long long)rows[i].in);
        CHECK_INT_EQ(mem_round_up_mib(rows[i].in), rows[i].want);
        CHECK_INT_EQ(mem_round_up_mib(rows[i].in) % 1048576, 0);
    }
}

/* Every value written by the helpers parses back to the same amount. */
static void test_helpers_round_trip(void)
{
    uint64_t x = 88172645463325252ULL;
    int i;

    for (i = 0; i < 20000; i++) {
        char buf[QUANTITY_STR_MAX];
        int64_t v;
        quantity q;

        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v = (int64_t)(x >> (1 + x % 63));
        if (i % 3 == 0)
            v = (v % 100000) * 1024;
        if (i % 5 == 0)
            v = -v;
        T_CASE("%lld", (long long)v);
        cpu_format_milli(v, buf, sizeof(buf));
        CHECK_INT_EQ(quantity_parse(buf, &q, NULL), OK);
        CHECK_INT_EQ(quantity_milli_ceil(&q), v);
        mem_format_bytes(v, buf, sizeof(buf));
        CHECK_INT_EQ(quantity_parse(buf, &q, NULL), OK);
        CHECK_INT_EQ(quantity_value_ceil(&q), v);
    }
}

int main(void)
{
    RUN(test_parse_table);
    RUN(test_round_trip);
    RUN(test_error_messages);
    RUN(test_huge_inputs);
    RUN(test_cmp);
    RUN(test_value_ceil);
    RUN(test_constructors);
    RUN(test_format_buffer);
    RUN(test_scale);
    RUN(test_json);
    RUN(test_json_integers);
    RUN(test_helpers);
    RUN(test_round_up_mib);
    RUN(test_helpers_round_trip);
    return TEST_DONE();
}

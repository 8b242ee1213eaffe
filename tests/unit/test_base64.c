/* Unit tests for base64. */
#include "json/base64.h"
#include "test.h"

static void test_roundtrip(void)
{
    static const struct {
        const char *plain, *encoded;
    } cases[] = {
        {"", ""},
        {"f", "Zg=="},
        {"fo", "Zm8="},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg=="},
        {"fooba", "Zm9vYmE="},
        {"foobar", "Zm9vYmFy"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        char *enc;
        unsigned char *dec = NULL;
        size_t n = 0;

        T_CASE("%s", cases[i].plain);
        enc = base64_encode(cases[i].plain, strlen(cases[i].plain));
        CHECK_STR_EQ(enc, cases[i].encoded);
        CHECK_INT_EQ(base64_decode(cases[i].encoded, "x", &dec, &n, NULL), SNUG_OK);
        CHECK_INT_EQ(n, strlen(cases[i].plain));
        CHECK_STR_EQ((char *)dec, cases[i].plain);
        free(enc);
        free(dec);
    }
}

/* The appending encoder works in 3072-byte blocks: lengths around the block
 * edges must give exactly what the one-shot encoder gives. */
static void test_append_blocks(void)
{
    static const size_t lens[] = {0, 1, 2, 3, 3071, 3072, 3073, 3074, 6144, 10000};
    unsigned char *data = malloc(10000);
    size_t i, k;

    for (k = 0; k < 10000; k++)
        data[k] = (unsigned char)(k * 7 + 3);
    for (i = 0; i < ARRAY_LEN(lens); i++) {
        dynbuf b;
        char *want = base64_encode(data, lens[i]);

        T_CASE("len %zu", lens[i]);
        dynbuf_init(&b, 1 << 20);
        CHECK_INT_EQ(dynbuf_addstr(&b, "p:"), SNUG_OK);
        CHECK_INT_EQ(base64_encode_append(&b, data, lens[i]), SNUG_OK);
        CHECK(strncmp(dynbuf_str(&b), "p:", 2) == 0);
        CHECK_STR_EQ(dynbuf_str(&b) + 2, want);
        {
            /* and it decodes back (OpenSSL's decoder: independent of ours) */
            unsigned char *dec = NULL;
            size_t dn = 0;

            CHECK_INT_EQ(base64_decode(dynbuf_str(&b) + 2, "x", &dec, &dn, NULL), SNUG_OK);
            CHECK_INT_EQ(dn, lens[i]);
            CHECK(dec != NULL && memcmp(dec, data, lens[i]) == 0);
            free(dec);
        }
        dynbuf_free(&b);
        free(want);
    }
    {
        dynbuf small;

        T_CASE("too big");
        dynbuf_init(&small, 7);
        CHECK_INT_EQ(base64_encode_append(&small, "foobar", 6), SNUG_ERR_TOO_BIG);
        dynbuf_free(&small);
    }
    free(data);
}

static void test_bad_input(void)
{
    static const char *bad[] = {"Zg=", "Z", "Zm9v!A==", "====", "Zm9v\x01YmFy"};
    size_t i;
    snug_err err;

    for (i = 0; i < ARRAY_LEN(bad); i++) {
        unsigned char *dec = NULL;
        size_t n;

        T_CASE("%s", bad[i]);
        CHECK_INT_EQ(base64_decode(bad[i], "data.tls.crt", &dec, &n, &err), SNUG_ERR_PARSE);
        CHECK_STR_CONTAINS(err.msg, "data.tls.crt");
        CHECK(dec == NULL);
    }
    {
        unsigned char *dec = NULL;
        size_t n = 0;

        T_CASE("white space");
        CHECK_INT_EQ(base64_decode(" Zm9v\nYmFy \n", "x", &dec, &n, NULL), SNUG_OK);
        CHECK_STR_EQ((char *)dec, "foobar");
        free(dec);
    }
}

int main(void)
{
    RUN(test_roundtrip);
    RUN(test_append_blocks);
    RUN(test_bad_input);
    return TEST_DONE();
}

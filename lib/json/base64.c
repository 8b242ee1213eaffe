/* base64.c -- base64: a table encoder (the admission patch is encoded on
 * every request), OpenSSL's EVP block coder for decoding.
 *
 * The encoder turns each 12 bits into two letters with one lookup in a
 * 4096-entry table of letter pairs (8 KiB, built once), so three input bytes
 * cost two lookups instead of four. */
#include "json/base64.h"

#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

/* Input bytes per block: a multiple of 3, so only the last block pads. */
#define ENCODE_BLOCK 3072u

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char b64_pairs[4096][2]; /* the letters of each 12-bit value */
static pthread_once_t b64_pairs_once = PTHREAD_ONCE_INIT;

static void b64_pairs_build(void)
{
    unsigned v;

    for (v = 0; v < 4096; v++) {
        b64_pairs[v][0] = b64_alphabet[v >> 6];
        b64_pairs[v][1] = b64_alphabet[v & 63];
    }
}

/* Encode n bytes into out (room for 4 * ceil(n / 3) bytes); returns the
 * text length. Writes no NUL. */
static size_t encode_block(char *out, const unsigned char *in, size_t n)
{
    char *o = out;
    size_t i;

    pthread_once(&b64_pairs_once, b64_pairs_build);
    for (i = 0; i + 3 <= n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];

        memcpy(o, b64_pairs[v >> 12], 2);
        memcpy(o + 2, b64_pairs[v & 4095], 2);
        o += 4;
    }
    if (n - i == 1) {
        unsigned v = (unsigned)in[i] << 16;

        o[0] = b64_alphabet[v >> 18];
        o[1] = b64_alphabet[(v >> 12) & 63];
        o[2] = o[3] = '=';
        o += 4;
    } else if (n - i == 2) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;

        o[0] = b64_alphabet[v >> 18];
        o[1] = b64_alphabet[(v >> 12) & 63];
        o[2] = b64_alphabet[(v >> 6) & 63];
        o[3] = '=';
        o += 4;
    }
    return (size_t)(o - out);
}

char *base64_encode(const void *data, size_t len)
{
    char *out;
    size_t n;

    if (len > (size_t)INT_MAX / 2)
        return NULL;
    out = malloc(4 * ((len + 2) / 3) + 1);
    if (out == NULL)
        return NULL;
    n = encode_block(out, data, len);
    out[n] = '\0';
    return out;
}

snug_status base64_encode_append(dynbuf *out, const void *data, size_t len)
{
    const unsigned char *p = data;
    char text[4 * ENCODE_BLOCK / 3];
    snug_status st = SNUG_OK;

    while (len > 0 && st == SNUG_OK) {
        size_t n = len < ENCODE_BLOCK ? len : ENCODE_BLOCK;

        st = dynbuf_add(out, text, encode_block(text, p, n));
        p += n;
        len -= n;
    }
    return st;
}

/* Copy `in` without white space; NULL on NOMEM. */
static char *strip_space(const char *in, size_t *len)
{
    size_t n = strlen(in), j = 0, i;
    char *clean = malloc(n + 1);

    if (clean == NULL)
        return NULL;
    for (i = 0; i < n; i++) {
        if (!isspace((unsigned char)in[i]))
            clean[j++] = in[i];
    }
    clean[j] = '\0';
    *len = j;
    return clean;
}

/* Padding only at the end, at most two characters. */
static int padding_ok(const char *s, size_t len)
{
    size_t pads = 0;
    size_t i;

    while (pads < len && s[len - 1 - pads] == '=')
        pads++;
    if (pads > 2)
        return 0;
    for (i = 0; i + pads < len; i++) {
        if (s[i] == '=')
            return 0;
    }
    return 1;
}

snug_status base64_decode(const char *in, const char *what, unsigned char **out, size_t *out_len,
                          snug_err *err)
{
    size_t len = 0;
    char *clean = strip_space(in, &len);
    unsigned char *dec = NULL;
    snug_status st = SNUG_OK;
    int got;

    if (clean == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
    if (len % 4 != 0 || len > (size_t)INT_MAX || !padding_ok(clean, len)) {
        st = snug_err_set(err, SNUG_ERR_PARSE, "%s: invalid base64 (length %zu)", what, len);
        goto out;
    }
    dec = malloc(len / 4 * 3 + 1);
    if (dec == NULL) {
        st = snug_err_set(err, SNUG_ERR_NOMEM, "out of memory");
        goto out;
    }
    got = EVP_DecodeBlock(dec, (const unsigned char *)clean, (int)len);
    if (got < 0) {
        st = snug_err_set(err, SNUG_ERR_PARSE, "%s: invalid base64", what);
        goto out;
    }
    /* EVP_DecodeBlock counts padding as zero bytes: take them back off. */
    if (len >= 1 && clean[len - 1] == '=')
        got--;
    if (len >= 2 && clean[len - 2] == '=')
        got--;
    dec[got] = '\0';
    *out = dec;
    *out_len = (size_t)got;
    dec = NULL;
out:
    free(clean);
    free(dec);
    return st;
}

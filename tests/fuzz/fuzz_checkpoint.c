/* fuzz_checkpoint.c -- libFuzzer target for the checkpoint ConfigMaps' keys
 * and values (controller/checkpoint_codec.h).
 *
 * A checkpoint entry comes back from the API server, where anyone with
 * rights may have edited it, so it is input like any other. The input is
 * used twice:
 *  - as "<key>\n<value>" for ckpt_value_decode: nothing crashes, leaks or
 *    trips a sanitizer; a refusal has a message; an entry that decodes has
 *    a full identity whose key (ckpt_key_build) is the key it was stored
 *    under, and encoding it again decodes to the same entry; its state goes
 *    through rec_state_load (which may refuse it);
 *  - split at 0x1f bytes as kind, name and container for ckpt_key_build:
 *    a key it builds is a valid ConfigMap key ([-._a-zA-Z0-9], at most 253
 *    characters) and the entry encoded under it decodes to that identity.
 *
 * Build with -DSNUG_FUZZ=ON (clang), run e.g.
 *   build-fuzz/fuzz_checkpoint -max_total_time=60
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dynbuf.h"
#include "controller/checkpoint_codec.h"
#include "controller/rec_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        abort();                                                                                   \
    } while (0)

static void same_entry(const ckpt_entry *a, const ckpt_entry *b)
{
    if (strcmp(a->kind, b->kind) != 0 || strcmp(a->name, b->name) != 0 ||
        strcmp(a->container, b->container) != 0 || a->saved != b->saved ||
        strcmp(a->state, b->state) != 0)
        FAIL("entry changed through encode/decode: %s/%s/%s", a->kind, a->name, a->container);
}

/* Encode e under key again and decode it. */
static void reencode(const char *key, bool hashed, const ckpt_entry *e)
{
    dynbuf v;
    ckpt_entry back = {0};
    snug_err err;

    dynbuf_init(&v, 4u << 20);
    if (ckpt_value_encode(&v, hashed, e->kind, e->name, e->container, e->saved, e->state, &err) !=
        SNUG_OK)
        FAIL("encode failed: %s", err.msg);
    if (ckpt_value_decode(key, dynbuf_str(&v), dynbuf_len(&v), &back, &err) != SNUG_OK)
        FAIL("re-encoded entry %s does not decode: %s", key, err.msg);
    same_entry(e, &back);
    ckpt_entry_clear(&back);
    dynbuf_free(&v);
}

static void decode_input(const char *key, const char *value, size_t len)
{
    ckpt_entry e = {0};
    char again[CKPT_KEY_MAX + 1];
    bool hashed;
    rec_state *s = NULL;
    snug_err err;

    err.msg[0] = '\0';
    if (ckpt_value_decode(key, value, len, &e, &err) != SNUG_OK) {
        if (err.msg[0] == '\0')
            FAIL("a refusal without a message");
        ckpt_entry_clear(&e);
        return;
    }
    if (e.kind[0] == '\0' || e.name[0] == '\0' || e.container[0] == '\0' || e.state == NULL ||
        e.state_len != strlen(e.state))
        FAIL("decoded entry %s is incomplete", key);
    if (ckpt_key_build(e.kind, e.name, e.container, again, &hashed, &err) != SNUG_OK)
        FAIL("decoded identity has no key: %s", err.msg);
    if (strcmp(again, key) != 0)
        FAIL("entry stored under %s has key %s", key, again);
    reencode(key, hashed, &e);
    if (rec_state_load(e.state, e.state_len, &s, NULL) == SNUG_OK)
        rec_state_free(s);
    ckpt_entry_clear(&e);
}

static void build_input(const char *in)
{
    char *copy = strdup(in), *parts[3] = {NULL, NULL, NULL};
    char key[CKPT_KEY_MAX + 2];
    ckpt_entry e = {0};
    bool hashed;
    size_t i;

    if (copy == NULL)
        return;
    parts[0] = copy;
    for (i = 1; i < 3; i++) {
        char *sep = parts[i - 1] ? strchr(parts[i - 1], 0x1f) : NULL;

        if (sep == NULL)
            break;
        *sep = '\0';
        parts[i] = sep + 1;
    }
    memset(key, 0, sizeof(key));
    if (parts[2] != NULL &&
        ckpt_key_build(parts[0], parts[1], parts[2], key, &hashed, NULL) == SNUG_OK) {
        size_t n = strlen(key);

        if (n == 0 || n > CKPT_KEY_MAX ||
            strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._") != n)
            FAIL("invalid key \"%s\"", key);
        snprintf(e.kind, sizeof(e.kind), "%s", parts[0]);
        snprintf(e.name, sizeof(e.name), "%s", parts[1]);
        snprintf(e.container, sizeof(e.container), "%s", parts[2]);
        e.saved = 1796518024;
        e.state = (char *)"U05SAQ==";
        reencode(key, hashed, &e);
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size + 1);
    char *nl;

    if (in == NULL)
        return 0;
    memcpy(in, data, size);
    in[size] = '\0';
    nl = memchr(in, '\n', size);
    if (nl != NULL) {
        *nl = '\0';
        decode_input(in, nl + 1, size - (size_t)(nl + 1 - in));
    } else {
        decode_input(in, "", 0);
    }
    if (nl != NULL)
        *nl = '\n';
    build_input(in);
    free(in);
    return 0;
}

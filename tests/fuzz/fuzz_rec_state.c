/* fuzz_rec_state.c -- libFuzzer target for the recommender's checkpoints.
 *
 * A checkpoint comes back from the API server, so it is input like any
 * other. The first byte picks how the rest is used:
 *  - even: as checkpoint text, as is (base64, envelope and CRC checks);
 *  - odd: as the binary record behind a valid envelope: the fuzzer's bytes
 *    get the "SNR" magic, version 1 and a correct CRC-32, then base64, so
 *    the field parser itself is reached.
 * Invariants checked (abort() on violation):
 *  - nothing crashes, leaks or trips a sanitizer; a refusal has a message;
 *  - a state that loads can take samples, be trimmed, give a recommendation
 *    and be saved; what it saves loads again and saves to the same text.
 *
 * Build with -DSNUG_FUZZ=ON (clang), run e.g.
 *   build-fuzz/fuzz_rec_state -max_total_time=60
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dynbuf.h"
#include "json/base64.h"
#include "controller/recommender.h"
#include "controller/rec_state.h"
#include "controller/rec_state_bytes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                                                                  \
    do {                                                                                           \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        abort();                                                                                   \
    } while (0)

/* base64 of "SNR" 1 <data> <crc>; NULL on NOMEM. */
static char *sealed(const uint8_t *data, size_t size)
{
    unsigned char *bin = malloc(size + 8);
    uint32_t crc;
    char *text;

    if (bin == NULL)
        return NULL;
    memcpy(bin, "SNR\1", 4);
    memcpy(bin + 4, data, size);
    crc = recb_crc32(bin, size + 4);
    for (int i = 0; i < 4; i++)
        bin[size + 4 + i] = (unsigned char)(crc >> (8 * i));
    text = base64_encode(bin, size + 8);
    free(bin);
    return text;
}

static void use(rec_state *s)
{
    policy_recommender pr = {7 * 86400, 0.9, 1.0, 0.15, 86400, 1.2, 100 << 20};
    policy_resources res;
    policy_goruntime go = {GO_DETECT_AUTO, 0.9, GOMAXPROCS_WHEN_NO_CPU_LIMIT};
    rec_inputs in;
    rec_result r;
    snug_err err;
    dynbuf a, b;
    rec_state *back = NULL;

    memset(&res, 0, sizeof(res));
    res.min_allowed = (res_amounts){10, 32 << 20};
    res.max_allowed = (res_amounts){8000, (int64_t)16 << 30};
    res.memory_limit = (limit_rule){LIMIT_RATIO, 1.0};
    memset(&in, 0, sizeof(in));
    in.params = &pr;
    in.resources = &res;
    in.go = &go;
    in.current_requests = (res_amounts){RES_UNSET, RES_UNSET};
    in.current_limits = (res_amounts){500, 512 << 20};
    in.is_go = true;
    in.now = 1767225600.0 + 7 * 86400;
    if (recommender_compute(s, &in, &r, &err) != SNUG_OK)
        FAIL("compute on a loaded state: %s", err.msg);
    rec_state_add_cpu(s, "app-5c4b7d8f9-x2x4z", in.now - 60, 0.5);
    rec_state_add_memory(s, "app-5c4b7d8f9-x2x4z", in.now - 60, 300 << 20);
    rec_state_trim(s, in.now - 7 * 86400);
    if (recommender_compute(s, &in, &r, &err) != SNUG_OK)
        FAIL("compute after a sample: %s", err.msg);
    dynbuf_init(&a, 1 << 22);
    dynbuf_init(&b, 1 << 22);
    if (rec_state_save(s, &a, &err) != SNUG_OK)
        FAIL("save: %s", err.msg);
    if (rec_state_load(a.buf, a.len, &back, &err) != SNUG_OK)
        FAIL("what was saved does not load: %s", err.msg);
    if (rec_state_save(back, &b, &err) != SNUG_OK || strcmp(a.buf, b.buf) != 0)
        FAIL("save, load, save differs");
    rec_state_free(back);
    dynbuf_free(&a);
    dynbuf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rec_state *s = NULL;
    snug_err err;
    char *text;
    snug_status st;

    if (size == 0)
        return 0;
    if (data[0] % 2 == 0) {
        st = rec_state_load((const char *)data + 1, size - 1, &s, &err);
    } else {
        text = sealed(data + 1, size - 1);
        if (text == NULL)
            return 0;
        st = rec_state_load(text, strlen(text), &s, &err);
        free(text);
    }
    if (st != SNUG_OK) {
        if (s != NULL || err.msg[0] == '\0')
            FAIL("refused without a message, or with a state");
        return 0;
    }
    use(s);
    rec_state_free(s);
    return 0;
}

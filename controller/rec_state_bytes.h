/* rec_state_bytes.h -- the little binary primitives of the recommender's
 * checkpoints: unsigned LEB128 varints, zig-zag signed varints, IEEE floats
 * in little-endian order, and a bounds-checked reader that never reads past
 * its input. Writers append to a dynbuf and fail as dynbuf_add does.
 */
#ifndef SNUG_REC_STATE_BYTES_H
#define SNUG_REC_STATE_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/dynbuf.h"
#include "base/status.h"

snug_status recb_put_u8(dynbuf *out, uint8_t v);
snug_status recb_put_uvar(dynbuf *out, uint64_t v);
snug_status recb_put_svar(dynbuf *out, int64_t v);
snug_status recb_put_f32(dynbuf *out, float v);
snug_status recb_put_f64(dynbuf *out, double v);
snug_status recb_put_u64(dynbuf *out, uint64_t v);

/* A cursor over len bytes. Every get returns false (and sets `bad`, after
 * which every get fails) when the input is too short or malformed: callers
 * read a whole record and check once. */
typedef struct rec_reader {
    const unsigned char *p;
    size_t len;
    size_t pos;
    bool bad;
} rec_reader;

void recb_reader_init(rec_reader *r, const void *data, size_t len);
bool recb_get_u8(rec_reader *r, uint8_t *v);
bool recb_get_uvar(rec_reader *r, uint64_t *v); /* at most 10 bytes, no overflow */
bool recb_get_svar(rec_reader *r, int64_t *v);
bool recb_get_f32(rec_reader *r, float *v);
bool recb_get_f64(rec_reader *r, double *v);
bool recb_get_u64(rec_reader *r, uint64_t *v);

/* CRC-32 (IEEE 802.3, as zlib's crc32) of len bytes. */
uint32_t recb_crc32(const void *data, size_t len);

#endif

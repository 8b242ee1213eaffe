/* rec_state_bytes.c -- varints, floats and CRC-32 for checkpoints. */
#include <string.h>

#include "controller/rec_state_bytes.h"

snug_status recb_put_u8(dynbuf *out, uint8_t v)
{
    return dynbuf_add(out, &v, 1);
}

snug_status recb_put_uvar(dynbuf *out, uint64_t v)
{
    unsigned char b[10];
    size_t n = 0;

    do {
        b[n] = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v != 0)
            b[n] |= 0x80;
        n++;
    } while (v != 0);
    return dynbuf_add(out, b, n);
}

snug_status recb_put_svar(dynbuf *out, int64_t v)
{
    uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v < 0 ? -1 : 0);

    return recb_put_uvar(out, u);
}

snug_status recb_put_u64(dynbuf *out, uint64_t v)
{
    unsigned char b[8];

    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
    return dynbuf_add(out, b, 8);
}

snug_status recb_put_f32(dynbuf *out, float v)
{
    uint32_t u;
    unsigned char b[4];

    memcpy(&u, &v, 4);
    for (int i = 0; i < 4; i++)
        b[i] = (unsigned char)(u >> (8 * i));
    return dynbuf_add(out, b, 4);
}

snug_status recb_put_f64(dynbuf *out, double v)
{
    uint64_t u;

    memcpy(&u, &v, 8);
    return recb_put_u64(out, u);
}

void recb_reader_init(rec_reader *r, const void *data, size_t len)
{
    r->p = data;
    r->len = len;
    r->pos = 0;
    r->bad = false;
}

static bool take(rec_reader *r, size_t n, const unsigned char **at)
{
    if (r->bad || r->len - r->pos < n) {
        r->bad = true;
        return false;
    }
    *at = r->p + r->pos;
    r->pos += n;
    return true;
}

bool recb_get_u8(rec_reader *r, uint8_t *v)
{
    const unsigned char *b;

    if (!take(r, 1, &b))
        return false;
    *v = b[0];
    return true;
}

bool recb_get_uvar(rec_reader *r, uint64_t *v)
{
    uint64_t acc = 0;

    for (unsigned shift = 0; shift < 70; shift += 7) {
        const unsigned char *b;

        if (!take(r, 1, &b))
            return false;
        if (shift == 63 && (b[0] & 0x7e) != 0)
            break; /* more than 64 bits */
        acc |= (uint64_t)(b[0] & 0x7f) << shift;
        if ((b[0] & 0x80) == 0) {
            *v = acc;
            return true;
        }
    }
    r->bad = true;
    return false;
}

bool recb_get_svar(rec_reader *r, int64_t *v)
{
    uint64_t u;

    if (!recb_get_uvar(r, &u))
        return false;
    *v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
    return true;
}

bool recb_get_u64(rec_reader *r, uint64_t *v)
{
    const unsigned char *b;
    uint64_t u = 0;

    if (!take(r, 8, &b))
        return false;
    for (int i = 0; i < 8; i++)
        u |= (uint64_t)b[i] << (8 * i);
    *v = u;
    return true;
}

bool recb_get_f32(rec_reader *r, float *v)
{
    const unsigned char *b;
    uint32_t u = 0;

    if (!take(r, 4, &b))
        return false;
    for (int i = 0; i < 4; i++)
        u |= (uint32_t)b[i] << (8 * i);
    memcpy(v, &u, 4);
    return true;
}

bool recb_get_f64(rec_reader *r, double *v)
{
    uint64_t u;

    if (!recb_get_u64(r, &u))
        return false;
    memcpy(v, &u, 8);
    return true;
}

uint32_t recb_crc32(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint32_t crc = 0xffffffffu;

    for (size_t i = 0; i < len; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xedb88320u & (uint32_t) - (int32_t)(crc & 1));
    }
    return crc ^ 0xffffffffu;
}

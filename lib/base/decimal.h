/* decimal.h -- unsigned integers as decimal text, without printf.
 *
 * The admission path formats a few integers per review (container
 * indexes, byte sizes); snprintf costs ~1000 instructions a call for what
 * takes ~20 here.
 */
#ifndef SNUG_DECIMAL_H
#define SNUG_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

/* Longest output of decimal_u64 plus its NUL: 18446744073709551615. */
#define DECIMAL_U64_MAX 21

/* Write v in decimal with no leading zeros ("0" for 0) and a NUL into buf,
 * which must hold DECIMAL_U64_MAX bytes. Returns the number of digits. */
static inline size_t decimal_u64(char *buf, uint64_t v)
{
    char tmp[DECIMAL_U64_MAX];
    size_t n = 0, i;

    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
    return n;
}

#endif

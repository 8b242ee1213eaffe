/* strmap.h -- a hash map from C strings to pointers (open addressing,
 * linear probing, FNV-1a). Keys are copied and owned by the map; values are
 * owned by the map when a free function was given to strmap_new(), else
 * borrowed. Not thread-safe: callers lock.
 */
#ifndef SNUG_STRMAP_H
#define SNUG_STRMAP_H

#include <stddef.h>
#include <stdint.h>

#include "base/status.h"

typedef struct strmap strmap;
typedef void (*strmap_free_fn)(void *value);

/* A new empty map; `free_value` (may be NULL) is called on values that are
 * replaced, deleted, or left at strmap_free(). NULL on NOMEM. */
strmap *strmap_new(strmap_free_fn free_value);
void strmap_free(strmap *m);

/* Insert or replace. On SNUG_ERR_NOMEM the map is unchanged and `value` is
 * NOT freed (the caller still owns it). */
snug_status strmap_put(strmap *m, const char *key, void *value);

/* The value for key, or NULL. */
void *strmap_get(const strmap *m, const char *key);

/* Delete (freeing the value); SNUG_ERR_NOT_FOUND when absent. */
snug_status strmap_delete(strmap *m, const char *key);

/* Remove and return the value without freeing it; NULL when absent. */
void *strmap_take(strmap *m, const char *key);

size_t strmap_count(const strmap *m);

/* Iterate: start with *pos = 0; returns 0 at the end, else 1 with key/value. */
int strmap_next(const strmap *m, size_t *pos, const char **key, void **value);

/* FNV-1a 64-bit hash of a string (exposed for other indexes). */
uint64_t strmap_hash(const char *s);

#endif

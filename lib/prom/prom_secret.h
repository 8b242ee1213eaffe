/* prom_secret.h -- a secret (bearer token, basic-auth password) read from a
 * file and re-read when the file changes.
 *
 * Mounted secrets rotate: a projected service-account token is replaced
 * every hour by swapping a symlink. prom_secret_get() stats the file on
 * every call (one syscall) and re-reads it when its inode, size or
 * modification time differ from the last read; prom_secret_reload() re-reads
 * it unconditionally (after a 401/403). The value is the file's contents
 * without trailing whitespace (newline, CR, spaces, tabs); a line break
 * inside it is refused (it would split the HTTP header). Not locked: the
 * caller serialises access. Values are wiped from memory when replaced.
 */
#ifndef SNUG_PROM_SECRET_H
#define SNUG_PROM_SECRET_H

#include <stdbool.h>
#include <sys/stat.h>
#include <time.h>

#include "base/status.h"

typedef struct prom_secret {
    char *path;       /* owned */
    const char *what; /* static text naming it in messages */
    char *value;      /* owned; NULL until read */
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime;
} prom_secret;

/* Set up for `path` (copied) and read it once. SNUG_ERR_IO (unreadable),
 * SNUG_ERR_INVALID (empty), SNUG_ERR_TOO_BIG (over max_bytes), NOMEM; on
 * failure the struct holds nothing to free. `what` names it in messages
 * ("bearer token file"). */
snug_status prom_secret_init(prom_secret *s, const char *path, size_t max_bytes, const char *what,
                             snug_err *err);

/* A copy of the current value (caller frees, after wiping: prom_secret_wipe),
 * re-reading the file first when it changed. When a re-read fails the last
 * good value is kept and used (the failure is logged at warn level). */
snug_status prom_secret_get(prom_secret *s, size_t max_bytes, char **out, snug_err *err);

/* Re-read now; *changed tells whether the value differs. Errors as init,
 * the old value kept. */
snug_status prom_secret_reload(prom_secret *s, size_t max_bytes, bool *changed, snug_err *err);

/* Wipe and free a string from prom_secret_get(). NULL is ignored. */
void prom_secret_wipe(char *value);

/* Free the path and value. */
void prom_secret_free(prom_secret *s);

#endif

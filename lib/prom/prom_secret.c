/* prom_secret.c -- file-backed secrets, re-read when the file changes. */
#include "prom/prom_secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/dynbuf.h"
#include "base/log.h"

void prom_secret_wipe(char *value)
{
    if (value != NULL) {
        explicit_bzero(value, strlen(value));
        free(value);
    }
}

/* Read the whole file into *out (trailing whitespace cut) and its identity
 * into *st. */
static snug_status read_secret(const prom_secret *s, size_t max_bytes, char **out, struct stat *st,
                               snug_err *err)
{
    dynbuf b;
    char chunk[4096];
    snug_status rc = SNUG_OK;
    ssize_t n;
    int fd = open(s->path, O_RDONLY | O_CLOEXEC);

    *out = NULL;
    if (fd < 0)
        return snug_err_set(err, SNUG_ERR_IO, "%s %s: %s", s->what, s->path, strerror(errno));
    dynbuf_init(&b, max_bytes);
    if (fstat(fd, st) != 0)
        rc = snug_err_set(err, SNUG_ERR_IO, "%s %s: %s", s->what, s->path, strerror(errno));
    while (rc == SNUG_OK && (n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            rc = snug_err_set(err, SNUG_ERR_IO, "%s %s: %s", s->what, s->path, strerror(errno));
        else if (dynbuf_add(&b, chunk, (size_t)n) != SNUG_OK)
            rc = snug_err_set(err, SNUG_ERR_TOO_BIG, "%s %s: larger than %zu bytes", s->what,
                              s->path, max_bytes);
    }
    explicit_bzero(chunk, sizeof(chunk));
    close(fd);
    while (rc == SNUG_OK && b.len > 0 && strchr(" \t\r\n", b.buf[b.len - 1]) != NULL)
        b.buf[--b.len] = '\0';
    if (rc == SNUG_OK && b.len == 0)
        rc = snug_err_set(err, SNUG_ERR_INVALID, "%s %s: empty", s->what, s->path);
    if (rc == SNUG_OK && strlen(b.buf) != b.len)
        rc = snug_err_set(err, SNUG_ERR_INVALID, "%s %s: holds a NUL byte", s->what, s->path);
    if (rc == SNUG_OK && strpbrk(b.buf, "\r\n") != NULL) /* it goes into a header */
        rc = snug_err_set(err, SNUG_ERR_INVALID, "%s %s: holds a line break", s->what, s->path);
    if (rc == SNUG_OK) {
        *out = dynbuf_take(&b);
        if (*out == NULL)
            rc = snug_err_set(err, SNUG_ERR_NOMEM, "%s: out of memory", s->what);
    }
    if (b.buf != NULL)
        explicit_bzero(b.buf, b.cap);
    dynbuf_free(&b);
    return rc;
}

static void remember(prom_secret *s, const struct stat *st)
{
    s->dev = st->st_dev;
    s->ino = st->st_ino;
    s->size = st->st_size;
    s->mtime = st->st_mtim;
}

snug_status prom_secret_reload(prom_secret *s, size_t max_bytes, bool *changed, snug_err *err)
{
    char *fresh = NULL;
    struct stat st;
    snug_status rc = read_secret(s, max_bytes, &fresh, &st, err);

    if (changed != NULL)
        *changed = false;
    if (rc != SNUG_OK)
        return rc;
    remember(s, &st);
    if (s->value != NULL && strcmp(s->value, fresh) == 0) {
        prom_secret_wipe(fresh);
        return SNUG_OK;
    }
    if (changed != NULL)
        *changed = s->value != NULL;
    prom_secret_wipe(s->value);
    s->value = fresh;
    return SNUG_OK;
}

snug_status prom_secret_init(prom_secret *s, const char *path, size_t max_bytes, const char *what,
                             snug_err *err)
{
    snug_status rc;

    memset(s, 0, sizeof(*s));
    s->what = what;
    s->path = strdup(path);
    if (s->path == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "%s: out of memory", what);
    rc = prom_secret_reload(s, max_bytes, NULL, err);
    if (rc != SNUG_OK)
        prom_secret_free(s);
    return rc;
}

/* Whether the file is no longer the one last read. */
static bool file_changed(const prom_secret *s)
{
    struct stat st;

    if (stat(s->path, &st) != 0)
        return true; /* let the re-read report it */
    return st.st_dev != s->dev || st.st_ino != s->ino || st.st_size != s->size ||
           st.st_mtim.tv_sec != s->mtime.tv_sec || st.st_mtim.tv_nsec != s->mtime.tv_nsec;
}

snug_status prom_secret_get(prom_secret *s, size_t max_bytes, char **out, snug_err *err)
{
    snug_err rerr;

    *out = NULL;
    if (file_changed(s) && prom_secret_reload(s, max_bytes, NULL, &rerr) != SNUG_OK) {
        struct stat st;

        if (stat(s->path, &st) == 0)
            remember(s, &st); /* logged once per change of the file */
        snug_log(LOG_WARN, "prom", "cannot re-read a credential file; using the last value",
                 "error", rerr.msg, NULL);
    }
    if (s->value == NULL)
        return snug_err_set(err, SNUG_ERR_INTERNAL, "%s %s: no value", s->what, s->path);
    *out = strdup(s->value);
    if (*out == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "%s: out of memory", s->what);
    return SNUG_OK;
}

void prom_secret_free(prom_secret *s)
{
    free(s->path);
    prom_secret_wipe(s->value);
    memset(s, 0, sizeof(*s));
}

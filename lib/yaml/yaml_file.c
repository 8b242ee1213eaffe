/* yaml_file.c -- reading whole files (or standard input) for the YAML
 * parser: file_read_all() and yaml_parse_file() from yamljson.h.
 */
#include "yaml/yamljson.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define YJ_READ_CHUNK 65536

snug_status file_read_all(const char *path, size_t max_bytes, char **out, size_t *len,
                          snug_err *err)
{
    bool is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "rb");
    const char *name = is_stdin ? "standard input" : path;
    char *chunk = NULL;
    size_t got;
    dynbuf b;
    snug_status st = SNUG_OK;

    *out = NULL;
    if (len != NULL)
        *len = 0;
    dynbuf_init(&b, max_bytes);
    if (f == NULL)
        return snug_err_set(err, SNUG_ERR_IO, "%s: %s", name, strerror(errno));
    chunk = malloc(YJ_READ_CHUNK);
    if (chunk == NULL) {
        st = snug_err_set(err, SNUG_ERR_NOMEM, "%s: out of memory", name);
        goto out;
    }
    do {
        got = fread(chunk, 1, YJ_READ_CHUNK, f);
        st = dynbuf_add(&b, chunk, got);
        if (st == SNUG_ERR_TOO_BIG) {
            snug_err_set(err, st, "%s: larger than %zu bytes", name, max_bytes);
            goto out;
        } else if (st != SNUG_OK) {
            snug_err_set(err, st, "%s: out of memory", name);
            goto out;
        }
    } while (got == YJ_READ_CHUNK);
    if (ferror(f)) {
        st = snug_err_set(err, SNUG_ERR_IO, "%s: %s", name, strerror(errno));
        goto out;
    }
    if (len != NULL)
        *len = dynbuf_len(&b);
    *out = dynbuf_take(&b);
    if (*out == NULL)
        st = snug_err_set(err, SNUG_ERR_NOMEM, "%s: out of memory", name);
out:
    free(chunk);
    dynbuf_free(&b);
    if (!is_stdin)
        fclose(f);
    return st;
}

snug_status yaml_parse_file(const char *path, size_t max_bytes, cJSON **out, snug_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    snug_status st;

    *out = NULL;
    st = file_read_all(path, max_bytes, &buf, &len, err);
    if (st != SNUG_OK)
        return st;
    st = yaml_parse_stream(buf, len, max_bytes, out, err);
    free(buf);
    if (st != SNUG_OK)
        snug_err_prefix(err, "%s", strcmp(path, "-") == 0 ? "standard input" : path);
    return st;
}

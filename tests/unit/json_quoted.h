/* json_quoted.h -- JSON written with ' for ", so that table rows of JSON
 * objects stay readable in C strings (static: include it in one
 * translation unit). */
#ifndef SNUG_JSON_QUOTED_H
#define SNUG_JSON_QUOTED_H

#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

/* The tree of `text` with every ' read as "; NULL when it is not JSON (or
 * on NOMEM). The caller cJSON_Delete()s it. */
static cJSON *parse_q(const char *text)
{
    char *s = strdup(text), *c;
    cJSON *obj;

    for (c = s; c != NULL && *c != '\0'; c++) {
        if (*c == '\'')
            *c = '"';
    }
    obj = s != NULL ? cJSON_Parse(s) : NULL;
    free(s);
    return obj;
}

#endif

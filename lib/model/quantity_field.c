/* quantity_field.c - a Kubernetes quantity read from a JSON object member
 * (policies, recommendations), with the member's path in every error. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "json/jsonfield.h"
#include "model/quantity.h"
#include "model/quantity_field.h"

/* The value as the user wrote it, for messages. */
static void quantity_text(const cJSON *v, char *buf, size_t cap)
{
    if (cJSON_IsString(v) && v->valuestring != NULL)
        snprintf(buf, cap, "%s", v->valuestring);
    else if (cJSON_IsNumber(v))
        snprintf(buf, cap, "%.15g", v->valuedouble);
    else
        snprintf(buf, cap, "?");
}

snug_status quantity_field(const cJSON *obj, const char *key, const char *path,
                           quantity_field_unit unit, int64_t *out, snug_err *err)
{
    const cJSON *v = jsonfield_get(obj, key);
    char fp[JSONFIELD_PATH_MAX], text[96];
    snug_err qerr;
    snug_status st;
    quantity q;
    int64_t n;

    if (v == NULL)
        return SNUG_OK;
    if (!cJSON_IsString(v) && !cJSON_IsNumber(v)) {
        jsonfield_path(fp, sizeof(fp), path, key);
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: must be a string or number, got %s", fp,
                            jsonfield_type_name(v));
    }
    jsonfield_path(fp, sizeof(fp), path, key);
    quantity_text(v, text, sizeof(text));
    snug_err_clear(&qerr);
    st = quantity_parse_json(v, &q, &qerr);
    if (st == SNUG_ERR_NOMEM)
        return snug_err_set(err, st, "%s: out of memory", fp);
    if (st != SNUG_OK)
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: %s", fp, qerr.msg);
    if (q.nanos < 0)
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: must not be negative, got \"%s\"", fp,
                            text);
    n = unit == QUANTITY_FIELD_MILLI ? quantity_milli_ceil(&q) : quantity_value_ceil(&q);
    if (n == INT64_MAX)
        return snug_err_set(err, SNUG_ERR_INVALID, "%s: quantity \"%s\" is too large", fp, text);
    *out = n;
    return SNUG_OK;
}

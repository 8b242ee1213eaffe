/* quantity_field.h - a Kubernetes quantity read from a JSON object member.
 *
 * The glue between the JSON field readers (json/jsonfield.h) and quantities
 * (model/quantity.h): it lives in model/ because json/ sits below the model
 * and must not know what a quantity is. */
#ifndef SNUG_QUANTITY_FIELD_H
#define SNUG_QUANTITY_FIELD_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "base/status.h"

typedef enum quantity_field_unit {
    QUANTITY_FIELD_MILLI, /* CPU: millicores, rounded up */
    QUANTITY_FIELD_UNITS  /* memory: bytes, rounded up */
} quantity_field_unit;

/* A quantity (string or number, as quantity_parse_json accepts), not
 * negative, converted to millicores or whole units:
 * "spec.x.cpu: invalid quantity \"1x\": <quantity error>",
 * "spec.x.cpu: must not be negative, got \"-1\"",
 * "spec.x.memory: must be a string or number, got object". Values that do
 * not fit in int64 are refused as "too large". */
snug_status quantity_field(const cJSON *obj, const char *key, const char *path,
                           quantity_field_unit unit, int64_t *out, snug_err *err);

#endif

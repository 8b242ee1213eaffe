/* prom_http.h -- one Prometheus API request over HTTP, with the client's
 * retry policy, turned into a parsed result or a clear error. Internal to
 * lib/prom (prom_query.c calls it). */
#ifndef SNUG_PROM_HTTP_H
#define SNUG_PROM_HTTP_H

#include "prom/prom_client_internal.h"

typedef struct prom_call {
    const char *endpoint; /* "/api/v1/query" or "/api/v1/query_range" */
    const char *form;     /* the form body */
    const char *query;    /* the PromQL text, for messages */
} prom_call;

/* POST the form to base + endpoint, retrying as prom_client.h says, and
 * parse the answer into *out (NULL on failure). Every failure message
 * starts "POST <url>: " and names the query; *fail says what kind of
 * failure it was. Updates the client's statistics. */
snug_status prom_http_call(prom_client *c, const prom_call *call, prom_result **out,
                           prom_fail *fail, snug_err *err);

#endif

/* report.h -- what `snug-controller recommend` prints.
 *
 *   table  a row per container: namespace, workload, container, CPU request
 *          now -> recommended (change in %), memory request now ->
 *          recommended, memory limit, Go settings, confidence, reason; the
 *          totals of requested vs recommended CPU and memory at the bottom.
 *          Colour (a raise in red, a cut in green) only when `color`.
 *   wide   the table plus lower/upper bounds, CPU limit, observed CPU
 *          p90/max, memory peak, OOM kills and throttling.
 *   csv    every column of wide, a header row first, RFC 4180 quoting.
 *   json   a v1 List of Recommendation objects (report_object.h), indented.
 *   yaml   the same List as YAML, which `snug-webhook mutate
 *          --recommendations` reads as it is.
 * The report owns its rows and objects; report_print writes to a dynbuf so
 * the caller decides where the bytes go.
 */
#ifndef SNUG_CTL_REPORT_H
#define SNUG_CTL_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/dynbuf.h"
#include "base/status.h"
#include "controller/recommender.h"
#include "controller/workloads.h"

typedef enum report_format {
    REPORT_TABLE,
    REPORT_WIDE,
    REPORT_CSV,
    REPORT_JSON,
    REPORT_YAML
} report_format;

/* "table", "wide", "csv", "json", "yaml" -> *out; false for anything else. */
bool report_format_parse(const char *s, report_format *out);

typedef struct report report;

/* NULL on NOMEM. */
report *report_new(void);
void report_free(report *r);

/* Add workload w's results (res[i] for its container cs[i]), computed at
 * `now`. */
snug_status report_add(report *r, const workload *w, const wl_container *const *cs,
                       const rec_result *res, size_t n, int64_t now, snug_err *err);

size_t report_workloads(const report *r);
size_t report_containers(const report *r);

/* Append the report in `fmt` to out. SNUG_ERR_TOO_BIG when out's maximum is
 * reached, SNUG_ERR_NOMEM. */
snug_status report_print(const report *r, report_format fmt, bool color, dynbuf *out,
                         snug_err *err);

#endif

/* prom_query.c -- instant and range queries: the form bodies, the chunks of
 * a range query and their merge, logging the answers' warnings. */
#include "prom/prom_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/dynbuf.h"
#include "base/log.h"
#include "prom/prom_client_internal.h"
#include "prom/prom_http.h"
#include "prom/prom_plan.h"

#define FORM_EXTRA 512 /* form bytes beyond the query itself */

static void log_warnings(const prom_result *r, const char *q)
{
    char brief[256];
    size_t i;

    if (r->n_warnings == 0)
        return;
    prom_query_brief(brief, sizeof(brief), q);
    for (i = 0; i < r->n_warnings; i++)
        snug_log(LOG_WARN, "prom", "Prometheus warning", "query", brief, "warning", r->warnings[i],
                 NULL);
}

/* query=..&timeout=.. for the client's timeout (the server stops working
 * on a query the client no longer waits for). */
static snug_status form_start(dynbuf *b, const prom_client *c, const char *q)
{
    char timeout[32];
    snug_status st = prom_form_add(b, "query", q);

    snprintf(timeout, sizeof(timeout), "%.3f", (double)c->cfg.timeout_ms / 1000.0);
    if (st == SNUG_OK)
        st = prom_form_add(b, "timeout", timeout);
    return st;
}

static snug_status form_failed(snug_status st, const char *q, snug_err *err)
{
    char brief[256];

    prom_query_brief(brief, sizeof(brief), q);
    return snug_err_set(err, st, "query %s: building the request: %s", brief, snug_status_str(st));
}

static snug_status merge_failed(snug_status st, const char *q, snug_err *err)
{
    char brief[256];

    prom_query_brief(brief, sizeof(brief), q);
    return snug_err_wrap(err, st, "POST /api/v1/query_range: query %s", brief);
}

static size_t form_max(const char *q)
{
    return (q != NULL ? strlen(q) : 0) * 3 + FORM_EXTRA;
}

static snug_status query_exec(prom_client *c, const char *q, double time, prom_result **out,
                              prom_fail *fail, snug_err *err)
{
    prom_call call = {"/api/v1/query", NULL, q};
    dynbuf form;
    snug_status st;

    *out = NULL;
    *fail = PROM_FAIL_QUERY;
    if (q == NULL || q[0] == '\0')
        return snug_err_set(err, SNUG_ERR_INVALID, "query: empty");
    dynbuf_init(&form, form_max(q));
    st = form_start(&form, c, q);
    if (st == SNUG_OK && time > 0)
        st = prom_form_add_time(&form, "time", time);
    if (st != SNUG_OK) {
        *fail = PROM_FAIL_FATAL;
        st = form_failed(st, q, err);
        goto out;
    }
    call.form = dynbuf_str(&form);
    st = prom_http_call(c, &call, out, fail, err);
    if (st == SNUG_OK)
        log_warnings(*out, q);
out:
    dynbuf_free(&form);
    return st;
}

static snug_status chunk_exec(prom_client *c, const char *q, const prom_chunk *ch, double step,
                              prom_result **out, prom_fail *fail, snug_err *err)
{
    prom_call call = {"/api/v1/query_range", NULL, q};
    dynbuf form;
    snug_status st;

    dynbuf_init(&form, form_max(q));
    st = form_start(&form, c, q);
    if (st == SNUG_OK)
        st = prom_form_add_time(&form, "start", (double)ch->start_ms / 1000.0);
    if (st == SNUG_OK)
        st = prom_form_add_time(&form, "end", (double)ch->end_ms / 1000.0);
    if (st == SNUG_OK)
        st = prom_form_add_time(&form, "step", step);
    if (st != SNUG_OK) {
        *fail = PROM_FAIL_FATAL;
        st = form_failed(st, q, err);
    } else {
        call.form = dynbuf_str(&form);
        st = prom_http_call(c, &call, out, fail, err);
    }
    dynbuf_free(&form);
    return st;
}

static snug_status range_exec(prom_client *c, const char *q, double start, double end, double step,
                              prom_result **out, prom_fail *fail, snug_err *err)
{
    prom_chunk *chunks = NULL;
    prom_result *all = NULL, *part = NULL;
    size_t n = 0, i;
    snug_status st;

    *out = NULL;
    *fail = PROM_FAIL_QUERY;
    if (q == NULL || q[0] == '\0')
        return snug_err_set(err, SNUG_ERR_INVALID, "query: empty");
    st = prom_range_plan(start, end, step, c->cfg.max_points, &chunks, &n, err);
    for (i = 0; i < n && st == SNUG_OK; i++) {
        st = chunk_exec(c, q, &chunks[i], step, i == 0 ? &all : &part, fail, err);
        if (st == SNUG_OK && i > 0) {
            st = prom_result_merge(all, part, err);
            /* INVALID: chunks of one query disagree on their type */
            if (st != SNUG_OK) {
                *fail = st == SNUG_ERR_NOMEM ? PROM_FAIL_FATAL : PROM_FAIL_TRANSPORT;
                st = merge_failed(st, q, err);
            }
        }
        prom_result_free(part);
        part = NULL;
    }
    if (st == SNUG_OK) {
        log_warnings(all, q);
        *out = all;
        all = NULL;
    }
    prom_result_free(all);
    free(chunks);
    return st;
}

snug_status prom_query(prom_client *c, const char *q, double time, prom_result **out, snug_err *err)
{
    prom_fail fail;

    return query_exec(c, q, time, out, &fail, err);
}

snug_status prom_query_range(prom_client *c, const char *q, double start, double end, double step,
                             prom_result **out, snug_err *err)
{
    prom_fail fail;

    return range_exec(c, q, start, end, step, out, &fail, err);
}

prom_fail prom_request_exec(prom_client *c, prom_request *rq)
{
    prom_fail fail = PROM_FAIL_NONE;

    snug_err_clear(&rq->err);
    rq->result = NULL;
    if (rq->range)
        rq->status =
            range_exec(c, rq->query, rq->start, rq->end, rq->step, &rq->result, &fail, &rq->err);
    else
        rq->status = query_exec(c, rq->query, rq->time, &rq->result, &fail, &rq->err);
    return rq->status == SNUG_OK ? PROM_FAIL_NONE : fail;
}

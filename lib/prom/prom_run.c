/* prom_run.c -- many requests, at most `concurrency` in flight: worker
 * threads take the next request from a shared counter; each thread's
 * requests use their own curl handle from the client's pool. */
#include "prom/prom_client.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prom/prom_client_internal.h"

typedef struct run_state {
    prom_client *c;
    prom_request *reqs;
    size_t n;
    size_t next;          /* atomic: the next request to take */
    int stop;             /* atomic: a fatal failure was seen */
    pthread_mutex_t lock; /* guards fatal */
    snug_err fatal;       /* the first fatal failure */
    prom_fail *kinds;     /* per request */
} run_state;

static void mark_not_run(run_state *rs, prom_request *rq)
{
    pthread_mutex_lock(&rs->lock);
    rq->status = rs->fatal.status;
    snprintf(rq->err.msg, sizeof(rq->err.msg), "not run: %.480s", rs->fatal.msg);
    pthread_mutex_unlock(&rs->lock);
    rq->err.status = rq->status;
    rq->result = NULL;
}

static void *worker(void *arg)
{
    run_state *rs = arg;

    for (;;) {
        size_t i = __atomic_fetch_add(&rs->next, 1, __ATOMIC_RELAXED);
        prom_request *rq;

        if (i >= rs->n)
            break;
        rq = &rs->reqs[i];
        if (__atomic_load_n(&rs->stop, __ATOMIC_ACQUIRE)) {
            mark_not_run(rs, rq);
            rs->kinds[i] = PROM_FAIL_FATAL;
            continue;
        }
        rs->kinds[i] = prom_request_exec(rs->c, rq);
        if (rs->kinds[i] == PROM_FAIL_FATAL) {
            pthread_mutex_lock(&rs->lock);
            if (!rs->stop)
                rs->fatal = rq->err;
            __atomic_store_n(&rs->stop, 1, __ATOMIC_RELEASE);
            pthread_mutex_unlock(&rs->lock);
        }
    }
    return NULL;
}

/* Start up to `want` workers and run one on this thread too; join them. */
static void run_workers(run_state *rs, int want)
{
    pthread_t threads[PROM_MAX_CONCURRENCY];
    int started = 0, i;

    for (i = 0; i < want - 1; i++) {
        if (pthread_create(&threads[started], NULL, worker, rs) != 0)
            break; /* fewer workers: still correct */
        started++;
    }
    worker(rs);
    for (i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
}

snug_status prom_run(prom_client *c, prom_request *reqs, size_t n, snug_err *err)
{
    run_state rs;
    size_t i;
    int want = c->cfg.concurrency;
    snug_status st = SNUG_OK;

    if (n == 0)
        return SNUG_OK;
    memset(&rs, 0, sizeof(rs));
    rs.c = c;
    rs.reqs = reqs;
    rs.n = n;
    rs.kinds = calloc(n, sizeof(*rs.kinds));
    if (rs.kinds == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "prom_run: out of memory");
    pthread_mutex_init(&rs.lock, NULL);
    if ((size_t)want > n)
        want = (int)n;
    run_workers(&rs, want);
    for (i = 0; i < n && st == SNUG_OK; i++) {
        if (rs.kinds[i] == PROM_FAIL_TRANSPORT || rs.kinds[i] == PROM_FAIL_FATAL) {
            st = reqs[i].status;
            if (err != NULL)
                *err = reqs[i].err;
        }
    }
    pthread_mutex_destroy(&rs.lock);
    free(rs.kinds);
    return st;
}

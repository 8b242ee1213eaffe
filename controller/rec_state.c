/* rec_state.c -- adding samples to a container's recommender state,
 * trimming it to a window, and the read-only views (see rec_state.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "controller/rec_state.h"
#include "controller/rec_state_internal.h"

#define DAY_SECONDS 86400.0
#define MAX_CORES   100000.0
#define MAX_BYTES   1125899906842624.0 /* 1 PiB */
#define MAX_TIME    1e11               /* year ~5000: anything later is garbage */

rec_state *rec_state_new(void)
{
    rec_state *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return NULL;
    s->half_life = REC_DEFAULT_HALF_LIFE;
    s->since = -1;
    hist_init(&s->cpu, HIST_CPU, s->half_life);
    hist_init(&s->mem, HIST_MEM, s->half_life);
    hist_init(&s->gen_cpu, HIST_CPU, s->half_life);
    hist_init(&s->gen_mem, HIST_MEM, s->half_life);
    return s;
}

void rec_state_free(rec_state *s)
{
    if (s == NULL)
        return;
    hist_free(&s->cpu);
    hist_free(&s->mem);
    hist_free(&s->gen_cpu);
    hist_free(&s->gen_mem);
    free(s->pods);
    free(s);
}

snug_status rec_state_set_half_life(rec_state *s, double seconds)
{
    if (!isfinite(seconds) || seconds < 60 || seconds > 3650 * DAY_SECONDS)
        return SNUG_ERR_INVALID;
    if (s->latest != 0 || s->n_days != 0 || !hist_empty(&s->cpu) || !hist_empty(&s->mem))
        return SNUG_ERR_INVALID;
    s->half_life = seconds;
    hist_init(&s->cpu, HIST_CPU, seconds);
    hist_init(&s->mem, HIST_MEM, seconds);
    hist_init(&s->gen_cpu, HIST_CPU, seconds);
    hist_init(&s->gen_mem, HIST_MEM, seconds);
    return SNUG_OK;
}

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* The Pod template a Pod name points to: the name up to its last '-'
 * ("web-5d8f7c9b6-x2x4z" -> "web-5d8f7c9b6", the Deployment's
 * pod-template-hash; "web-0" and "agent-x2x4z" -> one name for all Pods of
 * a StatefulSet or DaemonSet). */
static uint64_t pod_gen(const char *pod)
{
    const char *dash = strrchr(pod, '-');

    return fnv1a(pod, dash != NULL ? (size_t)(dash - pod) : strlen(pod)) | 1;
}

/* A Pod seen for the first time at t: a Pod of a template other than the
 * newest one, starting after that one did, makes its template the newest
 * (a rollout). Its own template's Pods restart the generation histograms. */
static void gen_note_pod(rec_state *s, const rec_pod *p, double t)
{
    if (p->gen == s->gen) {
        if (t < s->gen_since)
            s->gen_since = t;
        return;
    }
    /* a Pod of the replaced template (one that made room and came back, or a
     * rollback) does not make a rollout */
    if (s->gen != 0 && (t <= s->gen_since || p->gen == s->prev_gen))
        return;
    s->prev_gen = s->gen;
    s->gen = p->gen;
    s->gen_since = t;
    s->gen_cpu_max = s->gen_mem_max = 0;
    hist_free(&s->gen_cpu);
    hist_free(&s->gen_mem);
}

static bool time_ok(const rec_state *s, double t)
{
    return isfinite(t) && t > 0 && t < MAX_TIME && t >= s->since;
}

/* Remove pods[i], closing its interval first. */
static void pod_remove(rec_state *s, size_t i)
{
    rec_state_close_interval(s, &s->pods[i]);
    memmove(&s->pods[i], &s->pods[i + 1], (s->n_pods - i - 1) * sizeof(s->pods[0]));
    s->n_pods--;
}

static double pod_last(const rec_pod *p)
{
    return p->last_cpu_t > p->last_mem_t ? p->last_cpu_t : p->last_mem_t;
}

/* The Pod's entry, added when new (evicting the least recently seen Pod when
 * REC_MAX_PODS are tracked). NULL on OOM. */
static rec_pod *pod_get(rec_state *s, const char *pod, double t)
{
    uint64_t id;
    size_t oldest = 0;
    rec_pod *p;

    if (pod == NULL)
        pod = "";
    id = fnv1a(pod, strlen(pod));
    /* series come one Pod at a time: the last Pod asked for is likely next */
    if (s->last_pod < s->n_pods && s->pods[s->last_pod].id == id)
        return &s->pods[s->last_pod];
    for (size_t i = 0; i < s->n_pods; i++) {
        if (s->pods[i].id == id) {
            s->last_pod = i;
            return &s->pods[i];
        }
        if (pod_last(&s->pods[i]) < pod_last(&s->pods[oldest]))
            oldest = i;
    }
    if (s->n_pods == REC_MAX_PODS) {
        pod_remove(s, oldest);
    } else if (s->n_pods == s->cap_pods) {
        size_t cap = s->cap_pods ? s->cap_pods * 2 : 4;
        rec_pod *grown = realloc(s->pods, cap * sizeof(*grown));

        if (grown == NULL)
            return NULL;
        s->pods = grown;
        s->cap_pods = cap;
    }
    p = &s->pods[s->n_pods++];
    memset(p, 0, sizeof(*p));
    p->id = id;
    p->gen = pod_gen(pod);
    p->mem_iv = -1;
    gen_note_pod(s, p, t);
    return p;
}

/* The day record for t, created in order (dropping the oldest when full);
 * NULL when t is older than every day kept in a full table. */
static rec_day *day_get(rec_state *s, double t)
{
    int64_t d = (int64_t)floor(t / DAY_SECONDS);
    size_t i = s->n_days;

    while (i > 0 && s->days[i - 1].day > d)
        i--;
    if (i > 0 && s->days[i - 1].day == d)
        return &s->days[i - 1];
    if (s->n_days == REC_MAX_DAYS) {
        if (i == 0)
            return NULL;
        memmove(&s->days[0], &s->days[1], (REC_MAX_DAYS - 1) * sizeof(s->days[0]));
        s->n_days--;
        i--;
    }
    memmove(&s->days[i + 1], &s->days[i], (s->n_days - i) * sizeof(s->days[0]));
    memset(&s->days[i], 0, sizeof(s->days[0]));
    s->days[i].day = d;
    s->n_days++;
    return &s->days[i];
}

static void day_touch(rec_state *s, rec_day *d, double t)
{
    if (d->t_first == 0 || t < d->t_first)
        d->t_first = t;
    if (t > d->t_last)
        d->t_last = t;
    if (t > s->latest)
        s->latest = t;
}

void rec_state_add_cpu(rec_state *s, const char *pod, double t, double cores)
{
    rec_pod *p;
    rec_day *d;

    if (s == NULL || !time_ok(s, t) || !isfinite(cores) || cores < 0 || cores > MAX_CORES)
        return;
    p = pod_get(s, pod, t);
    if (p == NULL || t <= p->last_cpu_t)
        return;
    if (hist_add(&s->cpu, cores, 1.0, t) != SNUG_OK)
        return;
    p->last_cpu_t = t;
    if (p->gen == s->gen && hist_add(&s->gen_cpu, cores, 1.0, t) == SNUG_OK &&
        cores > s->gen_cpu_max)
        s->gen_cpu_max = cores;
    d = day_get(s, t);
    if (d == NULL)
        return;
    d->cpu_sum += cores;
    d->cpu_n++;
    if (cores > d->cpu_max)
        d->cpu_max = cores;
    day_touch(s, d, t);
}

void rec_state_close_interval(rec_state *s, rec_pod *p)
{
    if (p->mem_iv >= 0 && p->last_mem_t > 0) {
        (void)hist_add(&s->mem, p->mem_peak, 1.0, p->last_mem_t);
        if (p->gen == s->gen)
            (void)hist_add(&s->gen_mem, p->mem_peak, 1.0, p->last_mem_t);
    }
    p->mem_iv = -1;
    p->mem_peak = 0;
}

void rec_state_add_memory(rec_state *s, const char *pod, double t, double bytes)
{
    rec_pod *p;
    rec_day *d;
    int64_t iv;

    if (s == NULL || !time_ok(s, t) || !isfinite(bytes) || bytes < 0 || bytes > MAX_BYTES)
        return;
    p = pod_get(s, pod, t);
    if (p == NULL || t <= p->last_mem_t)
        return;
    iv = (int64_t)floor(t / REC_MEM_INTERVAL);
    if (p->mem_iv != iv) {
        rec_state_close_interval(s, p);
        p->mem_iv = iv;
    }
    if (bytes > p->mem_peak)
        p->mem_peak = bytes;
    p->last_mem_t = t;
    if (p->gen == s->gen && bytes > s->gen_mem_max)
        s->gen_mem_max = bytes;
    d = day_get(s, t);
    if (d == NULL)
        return;
    d->mem_n++;
    if (bytes > d->mem_max)
        d->mem_max = bytes;
    day_touch(s, d, t);
}

void rec_state_add_oom(rec_state *s, double t, int64_t limit_bytes)
{
    size_t i;

    if (s == NULL || !time_ok(s, t))
        return;
    if (limit_bytes < 0)
        limit_bytes = -1;
    if (s->n_ooms == REC_MAX_OOMS) {
        if (t < s->ooms[0].t)
            return;
        memmove(&s->ooms[0], &s->ooms[1], (REC_MAX_OOMS - 1) * sizeof(s->ooms[0]));
        s->n_ooms--;
    }
    i = s->n_ooms;
    while (i > 0 && s->ooms[i - 1].t > t) {
        s->ooms[i] = s->ooms[i - 1];
        i--;
    }
    s->ooms[i].t = t;
    s->ooms[i].limit_bytes = limit_bytes;
    s->n_ooms++;
}

void rec_state_add_throttling(rec_state *s, double t, double periods, double throttled_periods)
{
    rec_day *d;

    if (s == NULL || !time_ok(s, t) || !isfinite(periods) || !isfinite(throttled_periods) ||
        periods <= 0 || periods > 1e12 || throttled_periods < 0)
        return;
    if (throttled_periods > periods)
        throttled_periods = periods;
    d = day_get(s, t);
    if (d == NULL)
        return;
    d->thr_periods += periods;
    d->thr_throttled += throttled_periods;
}

void rec_state_trim(rec_state *s, double before)
{
    size_t keep = 0;

    if (s == NULL || !isfinite(before) || before <= s->since)
        return;
    s->since = before;
    for (size_t i = 0; i < s->n_days; i++)
        if ((double)(s->days[i].day + 1) * DAY_SECONDS > before)
            s->days[keep++] = s->days[i];
    s->n_days = keep;
    keep = 0;
    for (size_t i = 0; i < s->n_ooms; i++)
        if (s->ooms[i].t >= before)
            s->ooms[keep++] = s->ooms[i];
    s->n_ooms = keep;
    for (size_t i = s->n_pods; i-- > 0;) {
        rec_pod *p = &s->pods[i];

        if (p->mem_iv >= 0 && (double)(p->mem_iv + 1) * REC_MEM_INTERVAL <= s->latest)
            rec_state_close_interval(s, p);
        if (pod_last(p) < before || pod_last(p) < s->latest - REC_POD_GRACE)
            pod_remove(s, i);
    }
    hist_rebase(&s->cpu, s->latest);
    hist_rebase(&s->mem, s->latest);
    hist_rebase(&s->gen_cpu, s->latest);
    hist_rebase(&s->gen_mem, s->latest);
    if (s->n_days == 0) {
        hist_free(&s->cpu);
        hist_free(&s->mem);
        hist_free(&s->gen_cpu);
        hist_free(&s->gen_mem);
        s->gen = s->prev_gen = 0;
        s->gen_since = s->gen_cpu_max = s->gen_mem_max = 0;
    }
}

const histogram *rec_state_cpu(const rec_state *s)
{
    return &s->cpu;
}

const histogram *rec_state_gen_cpu(const rec_state *s, double *since, double *cpu_max,
                                   double *mem_max)
{
    *since = s->gen_since;
    *cpu_max = s->gen_cpu_max;
    *mem_max = s->gen_mem_max;
    return &s->gen_cpu;
}

size_t rec_state_days(const rec_state *s, const rec_day **days)
{
    *days = s->days;
    return s->n_days;
}

size_t rec_state_ooms(const rec_state *s, const rec_oom **ooms)
{
    *ooms = s->ooms;
    return s->n_ooms;
}

size_t rec_state_pods(const rec_state *s)
{
    return s->n_pods;
}

double rec_state_since(const rec_state *s)
{
    return s->since;
}

snug_status rec_state_memory_peaks(const rec_state *s, bool gen, histogram *out)
{
    snug_status st = hist_copy(out, gen ? &s->gen_mem : &s->mem);

    for (size_t i = 0; i < s->n_pods && st == SNUG_OK; i++) {
        const rec_pod *p = &s->pods[i];

        if (gen && p->gen != s->gen)
            continue;
        if (p->mem_iv >= 0 && p->last_mem_t > 0)
            st = hist_add(out, p->mem_peak, 1.0, p->last_mem_t);
    }
    if (st != SNUG_OK) {
        hist_free(out);
        return SNUG_ERR_NOMEM;
    }
    return SNUG_OK;
}

size_t rec_state_memory(const rec_state *s)
{
    return s == NULL ? 0 : sizeof(*s) + s->cap_pods * sizeof(rec_pod);
}

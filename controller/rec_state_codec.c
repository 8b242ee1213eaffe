/* rec_state_codec.c -- a container's recommender state as a checkpoint:
 * base64 of
 *
 *   "SNR" version(1) payload crc32(LE, of everything before it)
 *   payload: half-life(uvar s) since(f64) latest(f64)
 *            gen(u64) prev_gen(u64) gen_since(f64) gen_cpu_max(f64) gen_mem_max(f64)
 *            pods:  uvar n, then n x {id u64, gen u64, last_cpu_t f64,
 *                                     last_mem_t f64, mem_iv svar, mem_peak f64}
 *            days:  uvar n, then n x {day svar, cpu_sum f64, cpu_n uvar,
 *                                     cpu_max f32, mem_n uvar, mem_max f64,
 *                                     t_first f64, t_last f64,
 *                                     thr_periods f64, thr_throttled f64}
 *            ooms:  uvar n, then n x {t f64, limit svar}
 *            cpu, memory, generation cpu, generation memory histograms
 *            (hist_encode)
 *
 * Loading checks the magic, version and CRC first, then every count and
 * value, so that nothing a corrupt checkpoint holds can break the invariants
 * rec_state.c relies on.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json/base64.h"
#include "controller/rec_state.h"
#include "controller/rec_state_bytes.h"
#include "controller/rec_state_internal.h"

#define CKPT_MAGIC   "SNR"
#define CKPT_VERSION 1
#define CKPT_WHAT    "recommender checkpoint"
#define CKPT_MAX_T   1e11

static snug_status put_pod(dynbuf *b, const rec_pod *p)
{
    snug_status st = recb_put_u64(b, p->id);

    if (st == SNUG_OK)
        st = recb_put_u64(b, p->gen);
    if (st == SNUG_OK)
        st = recb_put_f64(b, p->last_cpu_t);
    if (st == SNUG_OK)
        st = recb_put_f64(b, p->last_mem_t);
    if (st == SNUG_OK)
        st = recb_put_svar(b, p->mem_iv);
    if (st == SNUG_OK)
        st = recb_put_f64(b, p->mem_peak);
    return st;
}

static snug_status put_day(dynbuf *b, const rec_day *d)
{
    snug_status st = recb_put_svar(b, d->day);

    if (st == SNUG_OK)
        st = recb_put_f64(b, d->cpu_sum);
    if (st == SNUG_OK)
        st = recb_put_uvar(b, d->cpu_n);
    if (st == SNUG_OK)
        st = recb_put_f32(b, (float)d->cpu_max);
    if (st == SNUG_OK)
        st = recb_put_uvar(b, d->mem_n);
    if (st == SNUG_OK)
        st = recb_put_f64(b, d->mem_max);
    if (st == SNUG_OK)
        st = recb_put_f64(b, d->t_first);
    if (st == SNUG_OK)
        st = recb_put_f64(b, d->t_last);
    if (st == SNUG_OK)
        st = recb_put_f64(b, d->thr_periods);
    if (st == SNUG_OK)
        st = recb_put_f64(b, d->thr_throttled);
    return st;
}

/* The binary record (without CRC) into b. */
static snug_status put_state(dynbuf *b, const rec_state *s)
{
    snug_status st = dynbuf_add(b, CKPT_MAGIC, 3);

    if (st == SNUG_OK)
        st = recb_put_u8(b, CKPT_VERSION);
    if (st == SNUG_OK)
        st = recb_put_uvar(b, (uint64_t)llround(s->half_life));
    if (st == SNUG_OK)
        st = recb_put_f64(b, s->since);
    if (st == SNUG_OK)
        st = recb_put_f64(b, s->latest);
    if (st == SNUG_OK)
        st = recb_put_u64(b, s->gen);
    if (st == SNUG_OK)
        st = recb_put_u64(b, s->prev_gen);
    if (st == SNUG_OK)
        st = recb_put_f64(b, s->gen_since);
    if (st == SNUG_OK)
        st = recb_put_f64(b, s->gen_cpu_max);
    if (st == SNUG_OK)
        st = recb_put_f64(b, s->gen_mem_max);
    if (st == SNUG_OK)
        st = recb_put_uvar(b, s->n_pods);
    for (size_t i = 0; i < s->n_pods && st == SNUG_OK; i++)
        st = put_pod(b, &s->pods[i]);
    if (st == SNUG_OK)
        st = recb_put_uvar(b, s->n_days);
    for (size_t i = 0; i < s->n_days && st == SNUG_OK; i++)
        st = put_day(b, &s->days[i]);
    if (st == SNUG_OK)
        st = recb_put_uvar(b, s->n_ooms);
    for (size_t i = 0; i < s->n_ooms && st == SNUG_OK; i++) {
        st = recb_put_f64(b, s->ooms[i].t);
        if (st == SNUG_OK)
            st = recb_put_svar(b, s->ooms[i].limit_bytes);
    }
    if (st == SNUG_OK)
        st = hist_encode(&s->cpu, b);
    if (st == SNUG_OK)
        st = hist_encode(&s->mem, b);
    if (st == SNUG_OK)
        st = hist_encode(&s->gen_cpu, b);
    if (st == SNUG_OK)
        st = hist_encode(&s->gen_mem, b);
    return st;
}

snug_status rec_state_save(const rec_state *s, dynbuf *out, snug_err *err)
{
    dynbuf b;
    uint32_t crc;
    unsigned char c[4];
    snug_status st;

    dynbuf_init(&b, REC_CHECKPOINT_MAX);
    st = put_state(&b, s);
    if (st != SNUG_OK)
        goto out;
    crc = recb_crc32(b.buf, b.len);
    for (int i = 0; i < 4; i++)
        c[i] = (unsigned char)(crc >> (8 * i));
    st = dynbuf_add(&b, c, 4);
    if (st != SNUG_OK)
        goto out;
    st = base64_encode_append(out, b.buf, b.len);
out:
    dynbuf_free(&b);
    if (st != SNUG_OK)
        return snug_err_set(err, st, "%s: %s", CKPT_WHAT, snug_status_str(st));
    return SNUG_OK;
}

static bool time_or_zero(double t)
{
    return isfinite(t) && t >= 0 && t < CKPT_MAX_T;
}

static bool nonneg(double v)
{
    return isfinite(v) && v >= 0 && v < 1e18;
}

static bool get_pod(rec_reader *r, rec_pod *p)
{
    if (!recb_get_u64(r, &p->id) || !recb_get_u64(r, &p->gen) || !recb_get_f64(r, &p->last_cpu_t) ||
        !recb_get_f64(r, &p->last_mem_t) || !recb_get_svar(r, &p->mem_iv) ||
        !recb_get_f64(r, &p->mem_peak))
        return false;
    return time_or_zero(p->last_cpu_t) && time_or_zero(p->last_mem_t) && p->mem_iv >= -1 &&
           p->mem_iv < (int64_t)(CKPT_MAX_T / REC_MEM_INTERVAL) && nonneg(p->mem_peak);
}

static bool get_day(rec_reader *r, rec_day *d)
{
    uint64_t cpu_n, mem_n;
    float cpu_max;

    if (!recb_get_svar(r, &d->day) || !recb_get_f64(r, &d->cpu_sum) || !recb_get_uvar(r, &cpu_n) ||
        !recb_get_f32(r, &cpu_max) || !recb_get_uvar(r, &mem_n) || !recb_get_f64(r, &d->mem_max) ||
        !recb_get_f64(r, &d->t_first) || !recb_get_f64(r, &d->t_last) ||
        !recb_get_f64(r, &d->thr_periods) || !recb_get_f64(r, &d->thr_throttled))
        return false;
    d->cpu_n = (uint32_t)cpu_n;
    d->mem_n = (uint32_t)mem_n;
    d->cpu_max = cpu_max;
    return d->day >= 0 && d->day < (int64_t)(CKPT_MAX_T / 86400) && cpu_n <= UINT32_MAX &&
           mem_n <= UINT32_MAX && nonneg(d->cpu_sum) && nonneg(d->cpu_max) && nonneg(d->mem_max) &&
           time_or_zero(d->t_first) && time_or_zero(d->t_last) && d->t_first <= d->t_last &&
           nonneg(d->thr_periods) && nonneg(d->thr_throttled) && d->thr_throttled <= d->thr_periods;
}

/* Pods, days and OOM kills; false with *why set on nonsense. */
static bool get_tables(rec_reader *r, rec_state *s, const char **why)
{
    uint64_t n;

    *why = "pods";
    if (!recb_get_uvar(r, &n) || n > REC_MAX_PODS)
        return false;
    if (n > 0) {
        s->pods = calloc((size_t)n, sizeof(*s->pods));
        if (s->pods == NULL)
            return false;
        s->cap_pods = (size_t)n;
    }
    for (s->n_pods = 0; s->n_pods < n; s->n_pods++)
        if (!get_pod(r, &s->pods[s->n_pods]))
            return false;
    *why = "days";
    if (!recb_get_uvar(r, &n) || n > REC_MAX_DAYS)
        return false;
    for (s->n_days = 0; s->n_days < n; s->n_days++) {
        if (!get_day(r, &s->days[s->n_days]))
            return false;
        if (s->n_days > 0 && s->days[s->n_days].day <= s->days[s->n_days - 1].day)
            return false;
    }
    *why = "OOM kills";
    if (!recb_get_uvar(r, &n) || n > REC_MAX_OOMS)
        return false;
    for (s->n_ooms = 0; s->n_ooms < n; s->n_ooms++) {
        rec_oom *o = &s->ooms[s->n_ooms];

        if (!recb_get_f64(r, &o->t) || !recb_get_svar(r, &o->limit_bytes) || !time_or_zero(o->t) ||
            o->limit_bytes < -1)
            return false;
    }
    return true;
}

static bool get_head(rec_reader *r, rec_state *s)
{
    uint64_t hl;

    if (!recb_get_uvar(r, &hl) || !recb_get_f64(r, &s->since) || !recb_get_f64(r, &s->latest) ||
        !recb_get_u64(r, &s->gen) || !recb_get_u64(r, &s->prev_gen) ||
        !recb_get_f64(r, &s->gen_since) || !recb_get_f64(r, &s->gen_cpu_max) ||
        !recb_get_f64(r, &s->gen_mem_max))
        return false;
    s->half_life = (double)hl;
    return hl >= 60 && hl <= 3650 * 86400ULL && isfinite(s->since) && s->since >= -1 &&
           s->since < CKPT_MAX_T && time_or_zero(s->latest) && time_or_zero(s->gen_since) &&
           nonneg(s->gen_cpu_max) && nonneg(s->gen_mem_max);
}

/* Check the envelope of a decoded record: magic, version, CRC. */
static snug_status check_envelope(const unsigned char *bin, size_t n, snug_err *err)
{
    uint32_t crc = 0;

    if (n < 8 || memcmp(bin, CKPT_MAGIC, 3) != 0)
        return snug_err_set(err, SNUG_ERR_PARSE, "%s: not a snug recommender checkpoint",
                            CKPT_WHAT);
    if (bin[3] != CKPT_VERSION)
        return snug_err_set(err, SNUG_ERR_UNSUPPORTED,
                            "%s: version %u is not supported (this snug reads version %d)",
                            CKPT_WHAT, bin[3], CKPT_VERSION);
    for (int i = 0; i < 4; i++)
        crc |= (uint32_t)bin[n - 4 + i] << (8 * i);
    if (crc != recb_crc32(bin, n - 4))
        return snug_err_set(err, SNUG_ERR_PARSE, "%s: checksum mismatch (corrupt or cut)",
                            CKPT_WHAT);
    return SNUG_OK;
}

/* Parse the payload (after the envelope was checked) into s. */
static snug_status get_state(rec_reader *r, rec_state *s, snug_err *err)
{
    const char *why = "header";
    snug_status st;

    if (!get_head(r, s) || !get_tables(r, s, &why))
        return snug_err_set(err, SNUG_ERR_PARSE, "%s: %s: %s", CKPT_WHAT, why,
                            r->bad ? "truncated" : "impossible value or out of memory");
    st = hist_decode(r, HIST_CPU, CKPT_WHAT ": cpu histogram", &s->cpu, err);
    if (st == SNUG_OK)
        st = hist_decode(r, HIST_MEM, CKPT_WHAT ": memory histogram", &s->mem, err);
    if (st == SNUG_OK)
        st = hist_decode(r, HIST_CPU, CKPT_WHAT ": generation cpu histogram", &s->gen_cpu, err);
    if (st == SNUG_OK)
        st = hist_decode(r, HIST_MEM, CKPT_WHAT ": generation memory histogram", &s->gen_mem, err);
    if (st != SNUG_OK)
        return st;
    if (s->cpu.half_life != s->half_life || s->mem.half_life != s->half_life ||
        s->gen_cpu.half_life != s->half_life || s->gen_mem.half_life != s->half_life)
        return snug_err_set(err, SNUG_ERR_PARSE, "%s: histogram half-life differs", CKPT_WHAT);
    if (r->pos != r->len)
        return snug_err_set(err, SNUG_ERR_PARSE, "%s: %zu bytes of trailing data", CKPT_WHAT,
                            r->len - r->pos);
    return SNUG_OK;
}

snug_status rec_state_load(const char *data, size_t len, rec_state **out, snug_err *err)
{
    unsigned char *bin = NULL;
    size_t n = 0;
    rec_state *s = NULL;
    rec_reader r;
    char *text = NULL;
    snug_status st;

    *out = NULL;
    if (data == NULL)
        return snug_err_set(err, SNUG_ERR_PARSE, "%s: empty", CKPT_WHAT);
    if (len > REC_CHECKPOINT_MAX * 2)
        return snug_err_set(err, SNUG_ERR_TOO_BIG, "%s: %zu bytes is too large", CKPT_WHAT, len);
    text = malloc(len + 1);
    if (text == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "%s: out of memory", CKPT_WHAT);
    memcpy(text, data, len);
    text[len] = '\0';
    if (strlen(text) != len) {
        st = snug_err_set(err, SNUG_ERR_PARSE, "%s: contains a NUL byte", CKPT_WHAT);
        goto out;
    }
    st = base64_decode(text, CKPT_WHAT, &bin, &n, err);
    if (st != SNUG_OK)
        goto out;
    st = check_envelope(bin, n, err);
    if (st != SNUG_OK)
        goto out;
    s = rec_state_new();
    if (s == NULL) {
        st = snug_err_set(err, SNUG_ERR_NOMEM, "%s: out of memory", CKPT_WHAT);
        goto out;
    }
    recb_reader_init(&r, bin + 4, n - 8);
    st = get_state(&r, s, err);
out:
    if (st == SNUG_OK)
        *out = s;
    else
        rec_state_free(s);
    free(bin);
    free(text);
    return st;
}

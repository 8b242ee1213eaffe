/* histogram.c -- decaying exponential-bucket histograms (see histogram.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "controller/histogram.h"
#include "controller/rec_state_bytes.h"

/* Largest exponent (in half-lives past ref) before ref is moved forward:
 * 2^40 per sample keeps float sums of millions of samples finite. */
#define HIST_MAX_EXP   40.0
#define HIST_MIN_EXP   (-90.0) /* 2^-90 ~ 8e-28: above HIST_MIN_SCALE */
#define HIST_Q_MAX     65535u
#define HIST_MAX_HLIFE (10.0 * 365 * 86400)
/* weights are 2^(age / half-life) per sample, under 2^40 x 10^9 samples */
#define HIST_MIN_SCALE 1e-30f
#define HIST_MAX_SCALE 1e24f

typedef struct hist_layout {
    double first_edge;
    double ratio;
    unsigned n;
} hist_layout;

static const hist_layout layout_cpu = {0.001, 1.04, 400};
static const hist_layout layout_mem = {1048576.0, 1.02, 800};

static const hist_layout *layout_of(hist_kind kind)
{
    return kind == HIST_MEM ? &layout_mem : &layout_cpu;
}

unsigned hist_buckets(hist_kind kind)
{
    return layout_of(kind)->n;
}

double hist_bucket_start(hist_kind kind, unsigned i)
{
    const hist_layout *l = layout_of(kind);

    if (i == 0)
        return 0;
    return l->first_edge * pow(l->ratio, (double)(i - 1));
}

static double bucket_end(hist_kind kind, unsigned i)
{
    const hist_layout *l = layout_of(kind);

    return l->first_edge * pow(l->ratio, (double)i);
}

unsigned hist_bucket_of(hist_kind kind, double v)
{
    const hist_layout *l = layout_of(kind);
    double x;

    if (!(v >= l->first_edge))
        return 0;
    x = floor(log(v / l->first_edge) / log(l->ratio)) + 1;
    /* guard the edges against rounding of log() */
    if (x >= 1 && x < l->n && v < hist_bucket_start(kind, (unsigned)x))
        x -= 1;
    if (x + 1 < l->n && v >= bucket_end(kind, (unsigned)x))
        x += 1;
    if (x >= l->n - 1)
        return l->n - 1;
    return (unsigned)x;
}

void hist_init(histogram *h, hist_kind kind, double half_life)
{
    memset(h, 0, sizeof(*h));
    h->kind = kind == HIST_MEM ? HIST_MEM : HIST_CPU;
    h->half_life = isfinite(half_life) && half_life > 0 ? half_life : 86400;
}

void hist_free(histogram *h)
{
    free(h->w);
    h->w = NULL;
    h->n = 0;
    h->lo = 0;
    h->total = 0;
}

bool hist_empty(const histogram *h)
{
    return !(h->total > 0);
}

/* Multiply every weight by f (< 1), flushing what underflows to 0. */
static void scale_all(histogram *h, double f)
{
    double total = 0;

    for (unsigned i = 0; i < h->n; i++) {
        double w = h->w[i] * f;

        h->w[i] = w < 1e-30 ? 0.0f : (float)w;
        total += h->w[i];
    }
    h->total = total;
}

/* Move the reference to `ref` (>= h->ref), scaling weights down. */
static void move_ref(histogram *h, double ref)
{
    if (ref <= h->ref)
        return;
    scale_all(h, exp2((h->ref - ref) / h->half_life));
    h->ref = ref;
}

void hist_rebase(histogram *h, double t)
{
    if (!isfinite(t) || fabs(t) > 1e12 || hist_empty(h))
        return;
    move_ref(h, floor(t));
}

/* Make bucket b part of the allocated range. */
static snug_status cover(histogram *h, unsigned b)
{
    unsigned lo, hi;
    float *w;

    if (h->n > 0 && b >= h->lo && b < (unsigned)h->lo + h->n)
        return SNUG_OK;
    lo = h->n == 0 || b < h->lo ? b : h->lo;
    hi = h->n == 0 || b >= (unsigned)h->lo + h->n ? b + 1 : (unsigned)h->lo + h->n;
    w = calloc(hi - lo, sizeof(*w));
    if (w == NULL)
        return SNUG_ERR_NOMEM;
    if (h->n > 0)
        memcpy(w + (h->lo - lo), h->w, h->n * sizeof(*w));
    free(h->w);
    h->w = w;
    h->lo = (uint16_t)lo;
    h->n = (uint16_t)(hi - lo);
    return SNUG_OK;
}

snug_status hist_add(histogram *h, double value, double weight, double t)
{
    unsigned b;
    double e;
    snug_status st;

    if (!isfinite(value) || value < 0 || !isfinite(weight) || weight <= 0 || !isfinite(t) ||
        fabs(t) > 1e12)
        return SNUG_ERR_INVALID;
    if (hist_empty(h))
        h->ref = floor(t);
    e = (t - h->ref) / h->half_life;
    if (e > HIST_MAX_EXP) {
        move_ref(h, floor(t));
        e = (t - h->ref) / h->half_life;
    }
    if (e < HIST_MIN_EXP || weight * exp2(e) < HIST_MIN_SCALE)
        return SNUG_OK;
    b = hist_bucket_of(h->kind, value);
    st = cover(h, b);
    if (st != SNUG_OK)
        return st;
    h->w[b - h->lo] += (float)(weight * exp2(e));
    h->total += weight * exp2(e);
    return SNUG_OK;
}

double hist_percentile(const histogram *h, double p)
{
    double want, cum = 0;
    int top = -1;

    if (hist_empty(h) || !(p >= 0))
        return 0;
    /* weight a billion times below the total is decayed history, not a value */
    for (unsigned i = 0; i < h->n; i++)
        if (h->w[i] > h->total * 1e-9)
            top = (int)i;
    if (top < 0)
        return 0;
    if (p >= 1)
        return bucket_end(h->kind, h->lo + (unsigned)top);
    want = p * h->total;
    for (unsigned i = 0; i <= (unsigned)top; i++) {
        unsigned b = h->lo + i;
        double lo, hi, frac;

        if (h->w[i] <= 0)
            continue;
        if (cum + h->w[i] >= want || i == (unsigned)top) {
            frac = (want - cum) / h->w[i];
            frac = frac < 0 ? 0 : frac > 1 ? 1 : frac;
            lo = hist_bucket_start(h->kind, b);
            hi = bucket_end(h->kind, b);
            return lo + frac * (hi - lo);
        }
        cum += h->w[i];
    }
    return 0;
}

double hist_share_above(const histogram *h, double v)
{
    double above = 0;
    unsigned bv;

    if (hist_empty(h) || !(v >= 0))
        return 0;
    bv = hist_bucket_of(h->kind, v);
    for (unsigned i = 0; i < h->n; i++) {
        unsigned b = h->lo + i;

        if (b > bv) {
            above += h->w[i];
        } else if (b == bv) {
            double lo = hist_bucket_start(h->kind, b), hi = bucket_end(h->kind, b);
            double frac = hi > lo ? (hi - v) / (hi - lo) : 0;

            above += h->w[i] * (frac < 0 ? 0 : frac > 1 ? 1 : frac);
        }
    }
    above /= h->total;
    return above > 1 ? 1 : above;
}

double hist_weight_at(const histogram *h, double t)
{
    if (hist_empty(h))
        return 0;
    return h->total * exp2((h->ref - t) / h->half_life);
}

snug_status hist_copy(histogram *dst, const histogram *src)
{
    *dst = *src;
    dst->w = NULL;
    if (src->n == 0)
        return SNUG_OK;
    dst->w = malloc(src->n * sizeof(*dst->w));
    if (dst->w == NULL) {
        dst->n = 0;
        dst->total = 0;
        return SNUG_ERR_NOMEM;
    }
    memcpy(dst->w, src->w, src->n * sizeof(*dst->w));
    return SNUG_OK;
}

snug_status hist_merge(histogram *dst, const histogram *src, snug_err *err)
{
    histogram tmp;
    double f;
    snug_status st;

    if (dst->kind != src->kind || dst->half_life != src->half_life)
        return snug_err_set(err, SNUG_ERR_INVALID, "histogram merge: different kind or half-life");
    if (hist_empty(src))
        return SNUG_OK;
    st = hist_copy(&tmp, dst);
    if (st != SNUG_OK)
        return snug_err_set(err, st, "histogram merge: out of memory");
    if (hist_empty(&tmp))
        tmp.ref = src->ref;
    move_ref(&tmp, src->ref);
    f = exp2((src->ref - tmp.ref) / tmp.half_life);
    for (unsigned i = 0; i < src->n && st == SNUG_OK; i++) {
        if (src->w[i] <= 0)
            continue;
        st = cover(&tmp, src->lo + i);
        if (st == SNUG_OK) {
            tmp.w[src->lo + i - tmp.lo] += (float)(src->w[i] * f);
            tmp.total += src->w[i] * f;
        }
    }
    if (st != SNUG_OK) {
        hist_free(&tmp);
        return snug_err_set(err, st, "histogram merge: out of memory");
    }
    hist_free(dst);
    *dst = tmp;
    return SNUG_OK;
}

static uint64_t quantise(float w, float max)
{
    return (uint64_t)lround((double)w / max * HIST_Q_MAX);
}

snug_status hist_encode(const histogram *h, dynbuf *out)
{
    unsigned first = 0, last = 0;
    bool any = false;
    float max = 0;
    snug_status st;

    for (unsigned i = 0; i < h->n; i++)
        if (h->w[i] > max)
            max = h->w[i];
    /* the range is what survives quantisation, so that loading and saving
     * again gives the same bytes */
    for (unsigned i = 0; max > 0 && i < h->n; i++) {
        if (quantise(h->w[i], max) == 0)
            continue;
        if (!any)
            first = i;
        any = true;
        last = i;
    }
    st = recb_put_u8(out, (uint8_t)h->kind);
    if (st == SNUG_OK)
        st = recb_put_uvar(out, (uint64_t)llround(h->half_life));
    if (st == SNUG_OK)
        st = recb_put_svar(out, (int64_t)h->ref);
    if (st == SNUG_OK)
        st = recb_put_uvar(out, any ? h->lo + first : 0);
    if (st == SNUG_OK)
        st = recb_put_uvar(out, any ? last - first + 1 : 0);
    if (st != SNUG_OK || !any)
        return st;
    st = recb_put_f32(out, max);
    for (unsigned i = first; i <= last && st == SNUG_OK; i++)
        st = recb_put_uvar(out, quantise(h->w[i], max));
    return st;
}

/* Read the header fields; false with a message on nonsense. */
static bool decode_head(rec_reader *r, hist_kind want, histogram *h, uint64_t *lo, uint64_t *n,
                        const char **why)
{
    uint8_t kind;
    uint64_t hl;
    int64_t ref;

    if (!recb_get_u8(r, &kind) || !recb_get_uvar(r, &hl) || !recb_get_svar(r, &ref) ||
        !recb_get_uvar(r, lo) || !recb_get_uvar(r, n)) {
        *why = "truncated";
        return false;
    }
    if (kind != (uint8_t)want) {
        *why = "wrong histogram kind";
        return false;
    }
    if (hl == 0 || (double)hl > HIST_MAX_HLIFE || ref < -1000000000000LL || ref > 1000000000000LL) {
        *why = "half-life or reference time out of range";
        return false;
    }
    if (*lo > hist_buckets(want) || *n > hist_buckets(want) - *lo) {
        *why = "bucket range past the layout";
        return false;
    }
    hist_init(h, want, (double)hl);
    h->ref = (double)ref;
    return true;
}

snug_status hist_decode(rec_reader *r, hist_kind want, const char *what, histogram *h,
                        snug_err *err)
{
    uint64_t lo, n, q;
    float max;
    const char *why = NULL;

    if (!decode_head(r, want, h, &lo, &n, &why))
        goto bad;
    if (n == 0)
        return SNUG_OK;
    if (!recb_get_f32(r, &max) || !(max >= HIST_MIN_SCALE) || !(max <= HIST_MAX_SCALE)) {
        why = "bad scale";
        goto bad;
    }
    h->w = calloc((size_t)n, sizeof(*h->w));
    if (h->w == NULL)
        return snug_err_set(err, SNUG_ERR_NOMEM, "%s: out of memory", what);
    h->lo = (uint16_t)lo;
    h->n = (uint16_t)n;
    for (uint64_t i = 0; i < n; i++) {
        if (!recb_get_uvar(r, &q) || q > HIST_Q_MAX) {
            why = r->bad ? "truncated" : "bad weight";
            goto bad;
        }
        h->w[i] = (float)((double)q / HIST_Q_MAX * max);
        h->total += h->w[i];
    }
    return SNUG_OK;
bad:
    hist_free(h);
    return snug_err_set(err, SNUG_ERR_PARSE, "%s: %s", what, why);
}

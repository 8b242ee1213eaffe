/* mutate_limits.c -- keep what snug plans inside the namespace's LimitRange
 * and keep request <= limit, so the API server never refuses the result.
 *
 * The values checked are the ones the API server will hold after its own
 * defaulting (a missing request takes the limit) and the LimitRanger plugin
 * (missing values take the LimitRange defaults): mut_eff_req/mut_eff_lim.
 * snug may change a value it set itself, one the LimitRanger plugin filled
 * in, or one that is missing; never one the user wrote (a request missing
 * next to a user's limit is the user's: the API server copies the limit).
 * What it cannot fix it reports in a warning.
 */
#include <math.h>
#include <stdio.h>

#include "webhook/mutate_limits.h"
#include "model/quantity.h"

/* A request implied by a user's limit is the user's too (user_req). */
static bool may_req(const mut_res *r)
{
    return r->set_req || !r->user_req;
}

static bool may_lim(const mut_res *r)
{
    return r->set_lim || !r->user_lim;
}

/* The values being checked for one container and resource. */
typedef struct fix {
    mut_ctx *x;
    mut_container *mc;
    int res;
    int64_t req, lim;
    bool req_changed, lim_changed;
} fix;

static const char *fmt(const fix *f, int64_t v, char *buf)
{
    if (v == RES_UNSET)
        snprintf(buf, QUANTITY_STR_MAX, "(none)");
    else
        mut_format(f->res, v, buf, QUANTITY_STR_MAX);
    return buf;
}

/* Move the request (or limit) to v, with a warning saying why:
 * "container app: cpu limit 4 lowered to 2 (LimitRange max 2)". */
static void move(fix *f, bool lim, int64_t v, const char *why)
{
    char a[QUANTITY_STR_MAX], b[QUANTITY_STR_MAX];
    int64_t old = lim ? f->lim : f->req;

    mut_warn(f->x, "container %s: %s %s %s %s to %s (%s)", f->mc->name, mut_res_name(f->res),
             lim ? "limit" : "request", fmt(f, old, a),
             old == RES_UNSET || v > old ? "raised" : "lowered", fmt(f, v, b), why);
    if (lim) {
        f->lim = v;
        f->lim_changed = true;
    } else {
        f->req = v;
        f->req_changed = true;
    }
}

static void refused(fix *f, bool lim, const char *why)
{
    char a[QUANTITY_STR_MAX];

    mut_warn(f->x, "container %s: %s %s %s is not within %s; the API server will refuse the Pod",
             f->mc->name, mut_res_name(f->res), lim ? "limit" : "request",
             fmt(f, lim ? f->lim : f->req, a), why);
}

/* why = "<what> <bound>", e.g. "LimitRange max 2". */
static const char *why_bound(const fix *f, const char *what, int64_t bound, char *buf, size_t cap)
{
    char q[QUANTITY_STR_MAX];

    snprintf(buf, cap, "%s %s", what, fmt(f, bound, q));
    return buf;
}

static void fix_max(fix *f, int64_t hi)
{
    const mut_res *r = &f->mc->r[f->res];
    char why[96];

    if (hi == RES_UNSET)
        return;
    why_bound(f, "LimitRange max", hi, why, sizeof(why));
    if (f->lim == RES_UNSET || f->lim > hi) {
        if (may_lim(r))
            move(f, true, hi, why);
        else
            refused(f, true, why);
    }
    if (f->req != RES_UNSET && f->req > hi) {
        if (may_req(r))
            move(f, false, hi, why);
        else
            refused(f, false, why);
    }
}

static void fix_min(fix *f, int64_t lo)
{
    const mut_res *r = &f->mc->r[f->res];
    char why[96];

    if (lo == RES_UNSET)
        return;
    why_bound(f, "LimitRange min", lo, why, sizeof(why));
    if (f->req == RES_UNSET || f->req < lo) {
        if (may_req(r))
            move(f, false, lo, why);
        else
            refused(f, false, why);
    }
    if (f->lim != RES_UNSET && f->lim < lo) {
        if (may_lim(r))
            move(f, true, lo, why);
        else
            refused(f, true, why);
    }
}

/* limit / request <= ratio: raise the request, else lower the limit. */
static void fix_ratio(fix *f, double ratio, int64_t hi)
{
    const mut_res *r = &f->mc->r[f->res];
    char why[96];
    int64_t need;

    if (ratio <= 0 || f->req == RES_UNSET)
        return;
    snprintf(why, sizeof(why), "LimitRange maxLimitRequestRatio %g", ratio);
    if (f->lim == RES_UNSET) {
        if (may_lim(r))
            move(f, true, mut_mul_ratio(f->req, ratio, false), why);
        return;
    }
    if (f->req > 0 && f->lim <= mut_mul_ratio(f->req, ratio, false))
        return;
    need = mut_mul_div(f->lim, 1000000, llround(ratio * 1e6));
    if (may_req(r) && (hi == RES_UNSET || need <= hi) && need <= f->lim)
        move(f, false, need, why);
    else if (may_lim(r) && f->req > 0)
        move(f, true, mut_mul_ratio(f->req, ratio, false), why);
    else
        mut_warn(f->x,
                 "container %s: %s limit/request is above the %s; the API server will refuse "
                 "the Pod",
                 f->mc->name, mut_res_name(f->res), why);
}

/* request <= limit: cap our request under a user's limit, else raise the limit. */
static void fix_order(fix *f)
{
    const mut_res *r = &f->mc->r[f->res];
    char why[96];

    if (f->req == RES_UNSET || f->lim == RES_UNSET || f->req <= f->lim)
        return;
    if (may_lim(r)) {
        move(f, true, f->req, why_bound(f, "up to the request", f->req, why, sizeof(why)));
    } else if (may_req(r)) {
        move(f, false, f->lim,
             why_bound(f, "the limit set by the user is", f->lim, why, sizeof(why)));
    } else {
        refused(f, false, why_bound(f, "its limit", f->lim, why, sizeof(why)));
    }
}

void mut_limits_container(mut_ctx *x, mut_container *mc)
{
    const limitrange_bounds *b = x->in->limits;
    int res;

    for (res = MUT_CPU; res <= MUT_MEM; res++) {
        fix f = {x, mc, res, mut_eff_req(x, mc, res), mut_eff_lim(x, mc, res), false, false};
        mut_res *r = &mc->r[res];

        if (b != NULL) {
            fix_max(&f, mut_amount(&b->max, res));
            fix_min(&f, mut_amount(&b->min, res));
            fix_ratio(&f, res == MUT_CPU ? b->max_ratio_cpu : b->max_ratio_memory,
                      mut_amount(&b->max, res));
        }
        fix_order(&f);
        if (f.req_changed) {
            r->req = f.req;
            r->set_req = true;
        }
        if (f.lim_changed) {
            r->lim = f.lim;
            r->set_lim = true;
        }
    }
}

/* --- type: Pod ----------------------------------------------------------- */

/* Sums over containers are kept in 128 bits: each value is below 2^63, so
 * no Pod can overflow them, and a total above int64 is still exact.
 * fmt_total() writes one in canonical form (cpu in millicores, memory in
 * bytes). */
static void fmt_total(int res, __int128 v, char *buf)
{
    quantity q = {v * (res == MUT_CPU ? 1000000 : 1000000000),
                  res == MUT_CPU ? QUANTITY_DECIMAL_SI : QUANTITY_BINARY_SI};

    if (quantity_format_str(&q, buf, QUANTITY_STR_MAX) != SNUG_OK)
        snprintf(buf, QUANTITY_STR_MAX, "(too large)");
}

/* The Pod's total as Kubernetes counts it: regular containers plus native
 * sidecars, or an init container plus the sidecars started before it when
 * that is larger. *ok is false when a value is unknown (bad quantity). */
static __int128 pod_total(const mut_ctx *x, int res, bool lim, __int128 *main_sum, bool *ok)
{
    __int128 sum = 0, sidecars = 0, init_max = 0;
    size_t i;

    *ok = true;
    for (i = 0; i < x->n; i++) {
        const mut_container *mc = &x->cs[i];
        const mut_res *r = &mc->r[res];
        int64_t v = lim ? mut_eff_lim(x, mc, res) : mut_eff_req(x, mc, res);

        if (r->bad_req || r->bad_lim)
            *ok = false;
        if (v == RES_UNSET)
            v = 0;
        if (mc->kind == MUT_INIT) {
            if (v + sidecars > init_max)
                init_max = v + sidecars;
        } else {
            sum += v;
            if (mc->kind == MUT_SIDECAR)
                sidecars += v;
        }
    }
    *main_sum = sum;
    return sum > init_max ? sum : init_max;
}

static bool owned(const mut_ctx *x, const mut_container *mc, int res, bool lim)
{
    const mut_res *r = &mc->r[res];

    return x->res_enabled && mc->active && mc->res_ok && (lim ? r->set_lim : r->set_req);
}

/* How low a value snug set may be scaled: a limit not below a request snug
 * does not own (the user's), else reorder() would raise it back and the
 * total would be above the bound again. Requests have no floor. */
static int64_t scale_floor(const mut_container *mc, int res, bool lim)
{
    const mut_res *r = &mc->r[res];
    int64_t v = lim ? r->lim : r->req;

    if (!lim || r->set_req || r->req == RES_UNSET || r->req < 0)
        return 0;
    return r->req < v ? r->req : v;
}

/* bottom + (v - bottom) x room / excess (bottom = the floor), memory rounded
 * down to a MiB but not below the floor. room < excess, so the result is at
 * most v. */
static int64_t scaled(int res, int64_t v, int64_t bottom, __int128 room, __int128 excess)
{
    __int128 s = bottom + (__int128)(v - bottom) * room / excess;

    if (res == MUT_MEM && s >= 1048576)
        s -= s % 1048576;
    return s < bottom ? bottom : (int64_t)s;
}

/* Record "<container> <old> to <new>" in the list of what was scaled. */
static void note_change(dynbuf *changes, const mut_container *mc, int res, int64_t from, int64_t to)
{
    char a[QUANTITY_STR_MAX], b[QUANTITY_STR_MAX];

    mut_format(res, from, a, sizeof(a));
    mut_format(res, to, b, sizeof(b));
    (void)dynbuf_printf(changes, "%s%s %s to %s", dynbuf_len(changes) ? ", " : "", mc->name, a, b);
}

/* Scale down what snug set in regular containers and sidecars so the sum
 * fits `hi`: the part of each value above its floor, in proportion.
 * Returns false when that cannot work. */
static bool scale_main(mut_ctx *x, int res, bool lim, __int128 sum, int64_t hi, dynbuf *changes)
{
    __int128 own = 0, floors = 0, room;
    size_t i;

    for (i = 0; i < x->n; i++) {
        mut_container *mc = &x->cs[i];

        if (mc->kind != MUT_INIT && owned(x, mc, res, lim)) {
            own += lim ? mc->r[res].lim : mc->r[res].req;
            floors += scale_floor(mc, res, lim);
        }
    }
    room = hi - (sum - own) - floors; /* for the parts above the floors */
    if (own - floors <= 0 || room < 0 || (room == 0 && floors == 0))
        return false;
    for (i = 0; i < x->n; i++) {
        mut_container *mc = &x->cs[i];
        int64_t *v = lim ? &mc->r[res].lim : &mc->r[res].req, old = *v;

        if (mc->kind == MUT_INIT || !owned(x, mc, res, lim))
            continue;
        *v = scaled(res, *v, scale_floor(mc, res, lim), room, own - floors);
        if (*v != old)
            note_change(changes, mc, res, old, *v);
    }
    return true;
}

/* Cap init containers snug set whose total (with earlier sidecars) is above hi. */
static void cap_inits(mut_ctx *x, int res, bool lim, int64_t hi, dynbuf *changes)
{
    __int128 sidecars = 0;
    size_t i;

    for (i = 0; i < x->n; i++) {
        mut_container *mc = &x->cs[i];
        int64_t v = lim ? mut_eff_lim(x, mc, res) : mut_eff_req(x, mc, res);
        int64_t *p = lim ? &mc->r[res].lim : &mc->r[res].req;

        if (v == RES_UNSET)
            v = 0;
        if (mc->kind == MUT_SIDECAR)
            sidecars += v;
        if (mc->kind != MUT_INIT || v + sidecars <= hi || !owned(x, mc, res, lim) ||
            hi - sidecars <= 0 || hi - sidecars < scale_floor(mc, res, lim))
            continue;
        note_change(changes, mc, res, *p, (int64_t)(hi - sidecars));
        *p = (int64_t)(hi - sidecars);
    }
}

static void pod_max(mut_ctx *x, int res, bool lim, int64_t hi)
{
    char a[QUANTITY_STR_MAX], b[QUANTITY_STR_MAX];
    __int128 main_sum, total;
    dynbuf changes;
    bool ok;

    total = pod_total(x, res, lim, &main_sum, &ok);
    if (!ok || total <= hi)
        return;
    fmt_total(res, total, a);
    mut_format(res, hi, b, sizeof(b));
    dynbuf_init(&changes, 512);
    if (main_sum > hi)
        (void)scale_main(x, res, lim, main_sum, hi, &changes);
    cap_inits(x, res, lim, hi, &changes);
    if (pod_total(x, res, lim, &main_sum, &ok) > hi)
        mut_warn(x,
                 "Pod total %s %s %s is above the LimitRange Pod max %s; the API server will "
                 "refuse the Pod",
                 mut_res_name(res), lim ? "limits" : "requests", a, b);
    else
        mut_warn(x,
                 "Pod total %s %s %s is above the LimitRange Pod max %s: lowered what snug set: %s",
                 mut_res_name(res), lim ? "limits" : "requests", a, b, dynbuf_str(&changes));
    dynbuf_free(&changes);
}

/* After scaling, a request snug set may be above a limit: cap it, or raise
 * a limit snug set back to a user's request. */
static void reorder(mut_ctx *x, int res)
{
    size_t i;

    for (i = 0; i < x->n; i++) {
        mut_container *mc = &x->cs[i];
        mut_res *r = &mc->r[res];
        int64_t req = mut_eff_req(x, mc, res), lim = mut_eff_lim(x, mc, res);

        if (!mc->active || !mc->res_ok || req == RES_UNSET || lim == RES_UNSET || req <= lim)
            continue;
        if (r->set_req) {
            r->req = lim;
        } else if (r->set_lim) {
            r->lim = req;
            mut_warn(x, "container %s: %s limit kept at the request set by the user", mc->name,
                     mut_res_name(res));
        }
    }
}

void mut_limits_pod(mut_ctx *x)
{
    const limitrange_bounds *b = x->in->limits;
    char a[QUANTITY_STR_MAX], c[QUANTITY_STR_MAX];
    __int128 main_sum, total;
    int64_t lo;
    bool ok;
    int res;

    if (b == NULL)
        return;
    for (res = MUT_CPU; res <= MUT_MEM; res++) {
        int64_t hi = mut_amount(&b->pod_max, res);

        if (hi != RES_UNSET) {
            pod_max(x, res, true, hi);
            pod_max(x, res, false, hi);
            reorder(x, res);
        }
        lo = mut_amount(&b->pod_min, res);
        total = pod_total(x, res, false, &main_sum, &ok);
        if (lo != RES_UNSET && ok && total < lo) {
            fmt_total(res, total, a);
            mut_format(res, lo, c, sizeof(c));
            mut_warn(x, "Pod total %s requests %s is below the LimitRange Pod min %s",
                     mut_res_name(res), a, c);
        }
    }
}

/* mutate_resources.c -- requests and limits of each container.
 *
 * Per container and resource (cpu, memory):
 *  - "missing" = absent, or filled by the LimitRanger plugin (its annotation);
 *    a request is not missing when the user wrote the limit: the API server
 *    copies the limit into a missing request, so the user asked for
 *    request = limit (QoS Guaranteed when both resources do so);
 *  - the base request is the recommendation's target for the container, else
 *    the policy's defaults.requests; none -> the resource is left alone;
 *  - rounded (cpu to a millicore, memory up to a MiB), then clamped to
 *    minAllowed/maxAllowed (so are the limits snug sets);
 *  - IfMissing writes only missing values; Always also overwrites the user's
 *    request with the recommendation (a policy default never overwrites);
 *  - limits come from observed usage or from the admin, never from a guess:
 *    with the recommendation's target for the resource, the strategy (None,
 *    KeepRatio, Ratio; KeepRatio takes a request implied by the limit as
 *    equal to it), never below what the container was seen to use (the
 *    recommendation's target, upperBound, limits and observed peak); without
 *    it, only defaults.limits. A default request or one the user wrote says
 *    nothing of the peak a limit must hold, so no limit is derived from it;
 *  - then the LimitRange (mutate_limits.c), then the write.
 */
#include <stdio.h>
#include <string.h>

#include "webhook/mutate_resources.h"
#include "webhook/mutate_limits.h"
#include "model/quantity.h"

static int64_t round_up(int res, int64_t v)
{
    return res == MUT_CPU ? v : mem_round_up_mib(v);
}

/* --- reading ------------------------------------------------------------- */

static snug_status field_object(mut_ctx *x, mut_container *mc, const cJSON *parent, const char *key,
                                const char *where, const cJSON **out)
{
    const cJSON *v = mut_get(parent, key);

    *out = v;
    if (v == NULL || cJSON_IsObject(v))
        return SNUG_OK;
    return snug_err_set(x->err, SNUG_ERR_INVALID, "spec.%s[%s].%s%s: must be an object", mc->list,
                        mc->idx, where, key);
}

/* Largest amount snug computes with: 2^63-1 millicores or bytes, in nanos. */
static __int128 max_nanos(int res)
{
    return (__int128)INT64_MAX * (res == MUT_CPU ? 1000000 : 1000000000);
}

/* Parse one quantity; a bad one marks the container and warns. A value
 * beyond int64 is bad too: compared as a saturated number it would look
 * equal to smaller ones (a limit "up to the request" would stay below it). */
static void read_value(mut_ctx *x, mut_container *mc, const cJSON *map, const char *mapname,
                       int res, bool *has, bool *bad, int64_t *val)
{
    const cJSON *item = mut_get(map, mut_res_name(res));
    snug_err qerr;
    quantity q;

    *has = item != NULL;
    if (item == NULL)
        return;
    if (quantity_parse_json(item, &q, &qerr) != SNUG_OK)
        q.nanos = -1;
    else if (q.nanos < 0)
        snprintf(qerr.msg, sizeof(qerr.msg), "must not be negative");
    else if (q.nanos > max_nanos(res)) {
        snprintf(qerr.msg, sizeof(qerr.msg), "too large (above 2^63-1 %s)",
                 res == MUT_CPU ? "millicores" : "bytes");
        q.nanos = -1;
    }
    if (q.nanos < 0) {
        *bad = true;
        mc->res_ok = false;
        if (mc->active || mc->held)
            mut_warn(x, "container %s: resources.%s.%s: %s; its resources are left alone", mc->name,
                     mapname, mut_res_name(res), qerr.msg);
        return;
    }
    *val = res == MUT_CPU ? quantity_milli_ceil(&q) : quantity_value_ceil(&q);
}

static snug_status read_container(mut_ctx *x, mut_container *mc)
{
    const cJSON *res, *req, *lim;
    unsigned lr = limitrange_defaulted(x->in->pod, mc->name);
    snug_status st;
    int i;

    st = field_object(x, mc, mc->orig, "resources", "", &res);
    if (st == SNUG_OK)
        st = field_object(x, mc, res, "requests", "resources.", &req);
    if (st == SNUG_OK)
        st = field_object(x, mc, res, "limits", "resources.", &lim);
    if (st != SNUG_OK)
        return st;
    mc->res_ok = true;
    for (i = MUT_CPU; i <= MUT_MEM; i++) {
        mut_res *r = &mc->r[i];

        memset(r, 0, sizeof(*r));
        r->req0 = r->lim0 = RES_UNSET;
        read_value(x, mc, req, "requests", i, &r->has_req, &r->bad_req, &r->req0);
        read_value(x, mc, lim, "limits", i, &r->has_lim, &r->bad_lim, &r->lim0);
        r->lr_req =
            r->has_req && (lr & (i == MUT_CPU ? LR_SET_CPU_REQUEST : LR_SET_MEMORY_REQUEST));
        r->lr_lim = r->has_lim && (lr & (i == MUT_CPU ? LR_SET_CPU_LIMIT : LR_SET_MEMORY_LIMIT));
        r->user_lim = r->has_lim && !r->lr_lim;
        r->user_req = (r->has_req && !r->lr_req) || r->user_lim;
        r->req = r->bad_req ? RES_UNSET : r->req0;
        r->lim = r->bad_lim ? RES_UNSET : r->lim0;
    }
    return SNUG_OK;
}

snug_status mut_resources_read(mut_ctx *x)
{
    size_t i;
    snug_status st;

    for (i = 0; i < x->n; i++) {
        st = read_container(x, &x->cs[i]);
        if (st != SNUG_OK)
            return st;
    }
    return SNUG_OK;
}

/* --- planning ------------------------------------------------------------ */

/* Clamp a value snug sets into minAllowed/maxAllowed, with a warning. */
static int64_t clamp_allowed(mut_ctx *x, mut_container *mc, int res, const char *what, int64_t v)
{
    int64_t lo = mut_amount(&mc->cp.min_allowed, res), hi = mut_amount(&mc->cp.max_allowed, res);
    char a[QUANTITY_STR_MAX], b[QUANTITY_STR_MAX];

    if (lo != RES_UNSET && v < lo) {
        mut_format(res, v, a, sizeof(a));
        mut_format(res, lo, b, sizeof(b));
        mut_warn(x, "container %s: %s %s %s raised to minAllowed %s", mc->name, mut_res_name(res),
                 what, a, b);
        v = lo;
    }
    if (hi != RES_UNSET && v > hi) {
        mut_format(res, v, a, sizeof(a));
        mut_format(res, hi, b, sizeof(b));
        mut_warn(x, "container %s: %s %s %s lowered to maxAllowed %s", mc->name, mut_res_name(res),
                 what, a, b);
        v = hi;
    }
    return v;
}

static void plan_request(mut_ctx *x, mut_container *mc, int res)
{
    mut_res *r = &mc->r[res];
    int64_t base = RES_UNSET;
    bool from_rec = false;

    if (mc->rec != NULL && mut_amount(&mc->rec->target, res) != RES_UNSET) {
        base = mut_amount(&mc->rec->target, res);
        from_rec = true;
    } else {
        base = mut_amount(&mc->cp.default_requests, res);
    }
    if (base == RES_UNSET || base < 0)
        return;
    if (r->user_req && !(from_rec && mc->cp.apply == APPLY_ALWAYS))
        return;
    r->req = clamp_allowed(x, mc, res, "request", round_up(res, base));
    r->set_req = true;
    r->rec_driven = from_rec;
}

/* The most the recommendation says the container uses or needs: its
 * target, upperBound, limits and observed peak (memoryPeak, cpu.max);
 * RES_UNSET when it gives none. A limit below it would OOM-kill (memory) or
 * throttle (cpu) a container doing what it was seen to do. */
static int64_t observed_floor(const mut_container *mc, int res)
{
    const rec_container *rc = mc->rec;
    int64_t v[4], best = RES_UNSET;
    size_t i;

    if (rc == NULL)
        return RES_UNSET;
    v[0] = mut_amount(&rc->target, res);
    v[1] = mut_amount(&rc->upper_bound, res);
    v[2] = mut_amount(&rc->limits, res);
    v[3] = res == MUT_CPU ? rc->observed.cpu_max_milli : rc->observed.memory_peak_bytes;
    for (i = 0; i < 4; i++) {
        if (v[i] != RES_UNSET && v[i] > best)
            best = v[i];
    }
    return best;
}

/* The limit the strategy derives from `request` (which follows the
 * recommendation's target), raised to the observed floor; RES_UNSET for
 * None, and for KeepRatio without a ratio the user wrote. */
static int64_t strategy_limit(const mut_container *mc, int res, int64_t request)
{
    const limit_rule *rule = res == MUT_CPU ? &mc->cp.cpu_limit : &mc->cp.memory_limit;
    const mut_res *r = &mc->r[res];
    int64_t lim = RES_UNSET, seen, own_req;

    switch (rule->strategy) {
    case LIMIT_NONE:
        break;
    case LIMIT_KEEP_RATIO:
        /* The user's own request, or their limit when they wrote only that. */
        own_req = r->has_req && !r->lr_req ? r->req0 : r->lim0;
        if (r->user_req && r->user_lim && own_req > 0 && r->lim0 != RES_UNSET)
            lim = mut_mul_div(request, r->lim0, own_req);
        break;
    case LIMIT_RATIO:
        lim = mut_mul_ratio(request, rule->ratio, true);
        break;
    }
    seen = observed_floor(mc, res);
    if (lim != RES_UNSET && seen > lim)
        lim = seen;
    return lim;
}

/* Would maxAllowed lower the limit `lim` below what the recommendation says
 * the container was seen to use? Such a limit would kill (memory) or
 * throttle (cpu) it doing its normal work: snug sets none (the container
 * keeps what it has), with a warning; the request is still capped. */
static bool below_seen_at_max(mut_ctx *x, const mut_container *mc, int res, int64_t lim)
{
    int64_t hi = mut_amount(&mc->cp.max_allowed, res), seen = observed_floor(mc, res);
    char a[QUANTITY_STR_MAX], b[QUANTITY_STR_MAX];

    if (hi == RES_UNSET || lim <= hi || seen == RES_UNSET || seen <= hi)
        return false;
    mut_format(res, hi, a, sizeof(a));
    mut_format(res, seen, b, sizeof(b));
    mut_warn(x,
             "container %s: %s limit not set to maxAllowed %s: below the %s the recommendation "
             "says it uses",
             mc->name, mut_res_name(res), a, b);
    return true;
}

static void plan_limit(mut_ctx *x, mut_container *mc, int res)
{
    mut_res *r = &mc->r[res];
    bool rec_target = mc->rec != NULL && mut_amount(&mc->rec->target, res) != RES_UNSET;
    int64_t request = mut_eff_req(x, mc, res), def = mut_amount(&mc->cp.default_limits, res);
    int64_t lim;

    if (request == RES_UNSET || request < 0)
        return;
    /* A limit comes from observed usage (the strategy, with the
     * recommendation's target for this resource) or from the admin's
     * defaults.limits, never from a guess: without a recommendation, the
     * default request or one the user wrote says nothing of the peak a
     * limit must hold. */
    if (rec_target)
        lim = strategy_limit(mc, res, request);
    else
        lim = def;
    if (lim == RES_UNSET || lim <= 0)
        return;
    if (r->user_lim && !(mc->cp.apply == APPLY_ALWAYS && r->rec_driven))
        return;
    lim = round_up(res, lim);
    if (rec_target && below_seen_at_max(x, mc, res, lim))
        return;
    r->lim = clamp_allowed(x, mc, res, "limit", lim);
    r->set_lim = true;
    if (r->req == RES_UNSET) {
        /* Without it the API server would copy the limit into the request. */
        r->req = request;
        r->set_req = true;
    }
}

/* --- writing ------------------------------------------------------------- */

static snug_status write_value(mut_ctx *x, mut_container *mc, int res, bool lim)
{
    const mut_res *r = &mc->r[res];
    int64_t v = lim ? r->lim : r->req, old = lim ? r->lim0 : r->req0;
    bool set = lim ? r->set_lim : r->set_req, has = lim ? r->has_lim : r->has_req;
    char buf[QUANTITY_STR_MAX];
    snug_status st;

    if (!set || v == RES_UNSET || (has && old == v))
        return SNUG_OK;
    mut_format(res, v, buf, sizeof(buf));
    st = mut_set(x, mc, cJSON_CreateString(buf), "resources", lim ? "limits" : "requests",
                 mut_res_name(res));
    if (st != SNUG_OK)
        return st;
    mc->changed |= MUTATED_RESOURCES;
    mut_detail(mc, "%s %s %s", mut_res_name(res), lim ? "limit" : "request", buf);
    return SNUG_OK;
}

static bool manages_resources(const mut_ctx *x, const mut_container *mc)
{
    return x->res_enabled && mc->active && mc->res_ok;
}

snug_status mut_resources_apply(mut_ctx *x)
{
    size_t i;
    int res;
    snug_status st;

    for (i = 0; i < x->n; i++) {
        mut_container *mc = &x->cs[i];

        if (!manages_resources(x, mc))
            continue;
        for (res = MUT_CPU; res <= MUT_MEM; res++) {
            plan_request(x, mc, res);
            plan_limit(x, mc, res);
        }
        mut_limits_container(x, mc);
    }
    if (x->res_enabled)
        mut_limits_pod(x);
    for (i = 0; i < x->n; i++) {
        mut_container *mc = &x->cs[i];

        if (!manages_resources(x, mc))
            continue;
        for (res = MUT_CPU; res <= MUT_MEM; res++) {
            st = write_value(x, mc, res, false);
            if (st != SNUG_OK)
                return st;
        }
        for (res = MUT_CPU; res <= MUT_MEM; res++) {
            st = write_value(x, mc, res, true);
            if (st != SNUG_OK)
                return st;
        }
    }
    return SNUG_OK;
}

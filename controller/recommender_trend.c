/* recommender_trend.c -- log-linear trend over daily values. */
#include <math.h>

#include "controller/recommender_trend.h"

typedef struct fit {
    double slope, r2;
    size_t n;
} fit;

/* Least squares of ln(v) on t/86400 over points [from, to). */
static fit fit_range(const double *t, const double *v, size_t from, size_t to)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0, syy = 0;
    fit f = {0, 0, 0};

    for (size_t i = from; i < to; i++) {
        double x, y;

        if (!(v[i] > 0) || !isfinite(v[i]) || !isfinite(t[i]))
            continue;
        x = (t[i] - t[from]) / 86400.0;
        y = log(v[i]);
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
        syy += y * y;
        f.n++;
    }
    if (f.n < 2)
        return f;
    {
        double n = (double)f.n;
        double vx = sxx - sx * sx / n, vy = syy - sy * sy / n, cxy = sxy - sx * sy / n;

        if (vx <= 0)
            return f;
        f.slope = cxy / vx;
        f.r2 = vy > 1e-18 ? cxy * cxy / (vx * vy) : 0;
    }
    return f;
}

void recommender_trend_fit(const double *t, const double *v, size_t n, rec_trend *out)
{
    fit all = fit_range(t, v, 0, n);
    size_t k = n / 3 + 1 < 3 ? 3 : n / 3 + 1; /* days per segment */

    out->found = false;
    out->slope = all.slope;
    out->r2 = all.r2;
    out->days = all.n;
    if (all.n < REC_TREND_MIN_DAYS || all.slope < REC_TREND_MIN_SLOPE || all.r2 < REC_TREND_MIN_R2)
        return;
    /* the first, middle and last few days must each grow: a single step up
     * (a rollout, a quiet weekend ending) has a flat segment */
    for (int seg = 0; seg < 3; seg++) {
        size_t from = seg == 0 ? 0 : seg == 1 ? (n - k) / 2 : n - k;

        if (fit_range(t, v, from, from + k).slope < REC_TREND_SEG_SHARE * all.slope)
            return;
    }
    if (all.slope * (t[n - 1] - t[0]) / 86400.0 < log(1.05))
        return;
    out->found = true;
}

double recommender_trend_factor(const rec_trend *tr, double from, double to)
{
    double f;

    if (!tr->found || !(to > from))
        return 1.0;
    f = exp(tr->slope * (to - from) / 86400.0);
    if (!(f >= 1.0))
        return 1.0;
    return f > REC_TREND_MAX_FACTOR ? REC_TREND_MAX_FACTOR : f;
}

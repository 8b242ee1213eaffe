/* usage_oom.c -- OOM kills from kube-state-metrics' last-terminated reason
 * (see usage_oom.h). */
#include <math.h>

#include "controller/usage_oom.h"

static bool shows_kill(double v)
{
    return isfinite(v) && v >= 1;
}

/* Whether sample i starts a kill: it shows one and what came before it
 * (in this answer) did not. */
static bool rises(const prom_sample *s, size_t i, double range_start, double step)
{
    if (!shows_kill(s[i].v))
        return false;
    if (i == 0)
        return s[0].t > range_start + step / 2;
    return !shows_kill(s[i - 1].v) || s[i].t - s[i - 1].t > 1.5 * step;
}

size_t usage_oom_kill_times(const prom_sample *s, size_t n, double range_start, double step,
                            bool continues, double *out, size_t max)
{
    size_t i, k = 0;

    for (i = 0; i < n && k < max; i++) {
        if (!continues) {
            if (shows_kill(s[i].v)) {
                out[k++] = s[i].t;
                break;
            }
            continue;
        }
        if (rises(s, i, range_start, step))
            out[k++] = s[i].t;
    }
    return k;
}

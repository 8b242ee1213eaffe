/* recommend_workload.c -- one workload's containers through the
 * recommender (see recommend_workload.h). */
#include "controller/recommend_workload.h"

#include <string.h>

static void container_resources(const container_policy *cp, policy_resources *out)
{
    out->apply = cp->apply;
    out->default_requests = cp->default_requests;
    out->default_limits = cp->default_limits;
    out->min_allowed = cp->min_allowed;
    out->max_allowed = cp->max_allowed;
    out->cpu_limit = cp->cpu_limit;
    out->memory_limit = cp->memory_limit;
}

snug_status recommend_workload(workload *w, double now, rec_result *res, const wl_container **cs,
                               size_t *n, snug_err *err)
{
    size_t i;
    snug_status st = SNUG_OK;

    *n = 0;
    for (i = 0; st == SNUG_OK && i < w->n_cs; i++) {
        wl_container *c = w->cs[i];
        container_policy cp;
        policy_resources pr;
        rec_inputs in;

        policy_for_container(w->pol, c->name, &cp);
        if (cp.mode == POLICY_MODE_OFF || (w->from_api && !c->in_template))
            continue;
        container_resources(&cp, &pr);
        if (w->pol->recommender.window_seconds > 0)
            rec_state_trim(c->state, now - (double)w->pol->recommender.window_seconds);
        memset(&in, 0, sizeof(in));
        in.params = &w->pol->recommender;
        in.resources = &pr;
        in.go = &w->pol->go;
        in.current_requests = c->requests;
        in.current_limits = c->limits;
        in.is_go = c->is_go && cp.go_detect != GO_DETECT_NEVER;
        in.is_go |= cp.go_detect == GO_DETECT_ALWAYS;
        in.go_minor = c->go_minor;
        in.now = now;
        memset(&res[*n], 0, sizeof(res[*n]));
        st = recommender_compute(c->state, &in, &res[*n], err);
        if (st != SNUG_OK)
            snug_err_prefix(err, "%s %s/%s container %s", w->ref.kind, w->ns, w->ref.name, c->name);
        cs[(*n)++] = c;
    }
    return st;
}

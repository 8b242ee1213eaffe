/* report_object.c -- a workload's Recommendation object (see
 * report_object.h). */
#include "controller/report_object.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "model/duration.h"
#include "model/gosize.h"
#include "model/quantity.h"
#include "model/recommendation.h"

#define Q_MAX 64

/* {cpu, memory} with the members that are set; NULL when none is (so the
 * caller leaves the field out). */
static cJSON *amounts(const res_amounts *a)
{
    char buf[Q_MAX];
    cJSON *o;

    if (a->cpu_milli == RES_UNSET && a->mem_bytes == RES_UNSET)
        return NULL;
    o = cJSON_CreateObject();
    if (o == NULL)
        return NULL;
    if (a->cpu_milli != RES_UNSET) {
        cpu_format_milli(a->cpu_milli, buf, sizeof(buf));
        cJSON_AddStringToObject(o, "cpu", buf);
    }
    if (a->mem_bytes != RES_UNSET) {
        mem_format_bytes(a->mem_bytes, buf, sizeof(buf));
        cJSON_AddStringToObject(o, "memory", buf);
    }
    return o;
}

static void add_amounts(cJSON *obj, const char *key, const res_amounts *a)
{
    cJSON *v = amounts(a);

    if (v != NULL)
        cJSON_AddItemToObject(obj, key, v);
}

static void add_cpu(cJSON *obj, const char *key, int64_t milli)
{
    char buf[Q_MAX];

    if (milli == RES_UNSET)
        return;
    cpu_format_milli(milli, buf, sizeof(buf));
    cJSON_AddStringToObject(obj, key, buf);
}

static cJSON *observed(const rec_observed *o)
{
    cJSON *obs = cJSON_CreateObject(), *cpu = cJSON_CreateObject();
    char buf[Q_MAX];

    if (obs == NULL || cpu == NULL) {
        cJSON_Delete(obs);
        cJSON_Delete(cpu);
        return NULL;
    }
    add_cpu(cpu, "p50", o->cpu_p50_milli);
    add_cpu(cpu, "p90", o->cpu_p90_milli);
    add_cpu(cpu, "p99", o->cpu_p99_milli);
    add_cpu(cpu, "max", o->cpu_max_milli);
    cJSON_AddItemToObject(obs, "cpu", cpu);
    if (o->memory_peak_bytes != RES_UNSET) {
        /* to a MiB up, as people read it; the exact peak is not a size */
        mem_format_bytes(mem_round_up_mib(o->memory_peak_bytes), buf, sizeof(buf));
        cJSON_AddStringToObject(obs, "memoryPeak", buf);
    }
    cJSON_AddNumberToObject(obs, "oomKills", (double)o->oom_kills);
    cJSON_AddNumberToObject(obs, "throttledRatio", o->throttled_ratio);
    cJSON_AddNumberToObject(obs, "samples", (double)o->samples);
    cJSON_AddNumberToObject(obs, "historySeconds", (double)o->history_seconds);
    if (o->startup_seconds > 0)
        cJSON_AddNumberToObject(obs, "startupSeconds", (double)o->startup_seconds);
    return obs;
}

static cJSON *container(const char *name, const rec_result *r)
{
    const rec_container *c = &r->c;
    cJSON *o = cJSON_CreateObject(), *go;
    char buf[Q_MAX];

    if (o == NULL)
        return NULL;
    cJSON_AddStringToObject(o, "name", name);
    if (c->is_go)
        cJSON_AddStringToObject(o, "runtime", "go");
    add_amounts(o, "target", &c->target);
    add_amounts(o, "lowerBound", &c->lower_bound);
    add_amounts(o, "upperBound", &c->upper_bound);
    add_amounts(o, "limits", &c->limits);
    if (c->gomaxprocs > 0 || c->gomemlimit_bytes > 0) {
        go = cJSON_AddObjectToObject(o, "go");
        if (go != NULL && c->gomaxprocs > 0)
            cJSON_AddNumberToObject(go, "gomaxprocs", (double)c->gomaxprocs);
        if (go != NULL && c->gomemlimit_bytes > 0) {
            gosize_format(c->gomemlimit_bytes, buf, sizeof(buf));
            cJSON_AddStringToObject(go, "gomemlimit", buf);
        }
    }
    cJSON_AddItemToObject(o, "observed", observed(&c->observed));
    cJSON_AddNumberToObject(o, "confidence", c->confidence);
    if (r->reason[0] != '\0')
        cJSON_AddStringToObject(o, "reason", r->reason);
    return o;
}

void report_condition_add(cJSON *list, const char *type, bool on, const char *reason,
                          const char *message, const char *now)
{
    cJSON *c = cJSON_CreateObject();

    if (c == NULL)
        return;
    cJSON_AddStringToObject(c, "type", type);
    cJSON_AddStringToObject(c, "status", on ? "True" : "False");
    cJSON_AddStringToObject(c, "reason", reason);
    cJSON_AddStringToObject(c, "message", message);
    cJSON_AddStringToObject(c, "lastTransitionTime", now);
    cJSON_AddItemToArray(list, c);
}

/* The containers that carry a flag, as "app, sidecar". */
static void names_with(const wl_container *const *cs, const rec_result *res, size_t n,
                       unsigned flag, bool want, char *buf, size_t cap)
{
    size_t i, len = 0;

    buf[0] = '\0';
    for (i = 0; i < n; i++) {
        int k;

        if (((res[i].flags & flag) != 0) != want)
            continue;
        k = snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", cs[i]->name);
        if (k < 0 || (size_t)k >= cap - len)
            return;
        len += (size_t)k;
    }
}

static void conditions(cJSON *status, const wl_container *const *cs, const rec_result *res,
                       size_t n, const char *now)
{
    cJSON *list = cJSON_AddArrayToObject(status, "conditions");
    char names[512], msg[768];
    size_t i, with_target = 0;

    if (list == NULL)
        return;
    for (i = 0; i < n; i++)
        with_target +=
            res[i].c.target.cpu_milli != RES_UNSET || res[i].c.target.mem_bytes != RES_UNSET;
    names_with(cs, res, n, REC_NO_METRICS, false, names, sizeof(names));
    snprintf(msg, sizeof(msg),
             with_target ? "targets for %s" : "no container has usage samples yet", names);
    report_condition_add(list, "RecommendationProvided", with_target > 0,
                         with_target ? "Computed" : "NoMetrics", msg, now);
    names_with(cs, res, n, REC_LOW_CONFIDENCE, true, names, sizeof(names));
    snprintf(msg, sizeof(msg), names[0] ? "history shorter than minHistory: %s" : "enough history",
             names);
    report_condition_add(list, "LowConfidence", names[0] != '\0',
                         names[0] ? "ShortHistory" : "EnoughHistory", msg, now);
    names_with(cs, res, n, REC_NO_METRICS, true, names, sizeof(names));
    snprintf(msg, sizeof(msg),
             names[0] ? "no usage samples for: %s" : "usage samples for every container", names);
    report_condition_add(list, "NoMetrics", names[0] != '\0',
                         names[0] ? "NoSamples" : "SamplesFound", msg, now);
}

cJSON *report_object(const workload *w, const wl_container *const *cs, const rec_result *res,
                     size_t n, int64_t now)
{
    char name[WORKLOAD_NAME_MAX + 64], ts[40];
    cJSON *o = cJSON_CreateObject(), *meta, *spec, *ref, *status, *list;
    size_t i;

    if (o == NULL)
        return NULL;
    recommendation_name(w->ref.kind, w->ref.name, name, sizeof(name));
    rfc3339_format(now, ts, sizeof(ts));
    cJSON_AddStringToObject(o, "apiVersion", "snug.dev/v1alpha1");
    cJSON_AddStringToObject(o, "kind", "Recommendation");
    meta = cJSON_AddObjectToObject(o, "metadata");
    spec = cJSON_AddObjectToObject(o, "spec");
    status = cJSON_AddObjectToObject(o, "status");
    if (meta == NULL || spec == NULL || status == NULL) {
        cJSON_Delete(o);
        return NULL;
    }
    cJSON_AddStringToObject(meta, "name", name);
    cJSON_AddStringToObject(meta, "namespace", w->ns);
    ref = cJSON_AddObjectToObject(spec, "targetRef");
    if (ref != NULL) {
        cJSON_AddStringToObject(ref, "apiVersion", w->api_version);
        cJSON_AddStringToObject(ref, "kind", w->ref.kind);
        cJSON_AddStringToObject(ref, "name", w->ref.name);
    }
    if (w->pol != NULL && w->pol->name != NULL)
        cJSON_AddStringToObject(status, "policy", w->pol->name);
    cJSON_AddStringToObject(status, "lastUpdated", ts);
    conditions(status, cs, res, n, ts);
    list = cJSON_AddArrayToObject(status, "containers");
    for (i = 0; list != NULL && i < n; i++)
        cJSON_AddItemToArray(list, container(cs[i]->name, &res[i]));
    return o;
}

/* mutate_probes.c -- liveness, readiness and startup probes, on CREATE only.
 *
 * A probe is added only where the container has none and only with a real
 * signal, so it cannot restart a healthy container:
 *  - httpGet on the first TCP port whose name is in probes.portNames (in the
 *    order of that list), by port name, scheme HTTP, when a path is known:
 *    annotation snug.dev/probe-path.<container>, else snug.dev/probe-path,
 *    else the policy's probes.paths (liveness and readiness each, falling
 *    back to the other);
 *  - else, for readiness only, tcpSocket on the first TCP containerPort (by
 *    name when it has one). A declared port need not be served on the Pod's
 *    IP (bound to 127.0.0.1, like an Envoy admin port, or opened only by the
 *    leader): a TCP liveness or startup probe guessed from it would restart
 *    the container forever, and a TCP connect says little of liveness anyway
 *    (the kernel completes it for a hung process); a wrong readiness guess
 *    only keeps the Pod out of Service endpoints, visibly;
 *  - else nothing.
 * liveness/readiness carry the policy's periodSeconds, timeoutSeconds and
 * failureThreshold; the startup probe (added whenever there is a handler and
 * the container has no startupProbe) allows 2x the observed start time (at
 * least 30 s) or probes.startupSeconds: failureThreshold = ceil(budget /
 * periodSeconds). Plain init containers never get probes.
 */
#include <stdio.h>
#include <string.h>

#include "webhook/mutate_probes.h"

#define PROBE_PATH_ANNOTATION "snug.dev/probe-path"
#define MIN_STARTUP_BUDGET    30

typedef struct port_ref {
    const char *name; /* NULL when the port has none */
    int number;
} port_ref;

/* A containerPort entry that a TCP probe can use. */
static bool tcp_port(const cJSON *p, port_ref *out)
{
    const cJSON *num = mut_get(p, "containerPort"), *name = mut_get(p, "name");
    const cJSON *proto = mut_get(p, "protocol");

    if (!cJSON_IsNumber(num) || num->valuedouble < 1 || num->valuedouble > 65535 ||
        num->valuedouble != (double)(int)num->valuedouble)
        return false;
    if (proto != NULL && (!cJSON_IsString(proto) || strcmp(proto->valuestring, "TCP") != 0))
        return false;
    out->number = (int)num->valuedouble;
    out->name = cJSON_IsString(name) && name->valuestring[0] ? name->valuestring : NULL;
    return true;
}

static bool first_tcp_port(const cJSON *ports, port_ref *out)
{
    const cJSON *p;

    cJSON_ArrayForEach(p, ports)
    {
        if (tcp_port(p, out))
            return true;
    }
    return false;
}

/* The first TCP port named like one of probes.portNames, in list order. */
static bool http_port(const policy *pol, const cJSON *ports, port_ref *out)
{
    const cJSON *p;
    size_t i;

    for (i = 0; i < pol->probes.n_port_names; i++) {
        cJSON_ArrayForEach(p, ports)
        {
            if (tcp_port(p, out) && out->name != NULL &&
                strcmp(out->name, pol->probes.port_names[i]) == 0)
                return true;
        }
    }
    return false;
}

static const char *usable_path(const char *p)
{
    return p != NULL && p[0] == '/' ? p : NULL;
}

/* The HTTP paths for liveness and readiness; NULL when unknown. */
static void probe_paths(mut_ctx *x, const mut_container *mc, const char **live, const char **ready)
{
    const char *ann = mut_container_annotation(x, PROBE_PATH_ANNOTATION, mc->name);

    if (ann == NULL)
        ann = mut_annotation(x, PROBE_PATH_ANNOTATION);
    if (ann != NULL) {
        if (usable_path(ann) == NULL)
            mut_warn(x, "container %s: probe path \"%s\" does not start with \"/\"; ignored",
                     mc->name, ann);
        *live = *ready = usable_path(ann);
        return;
    }
    *live = usable_path(x->pol->probes.liveness_path);
    *ready = usable_path(x->pol->probes.readiness_path);
    if (*live == NULL)
        *live = *ready;
    if (*ready == NULL)
        *ready = *live;
}

/* Add the handler ({"httpGet": ...} or {"tcpSocket": ...}) to probe. */
static bool add_handler(cJSON *probe, const port_ref *http, const char *path, const port_ref *tcp)
{
    cJSON *h = cJSON_CreateObject();

    if (h == NULL)
        return false;
    if (http != NULL && path != NULL) {
        return mut_add_member(probe, "httpGet", h) &&
               mut_add_member(h, "path", cJSON_CreateString(path)) &&
               mut_add_member(h, "port", cJSON_CreateString(http->name)) &&
               mut_add_member(h, "scheme", cJSON_CreateStringReference("HTTP"));
    }
    if (!mut_add_member(probe, "tcpSocket", h))
        return false;
    if (tcp->name != NULL)
        return mut_add_member(h, "port", cJSON_CreateString(tcp->name));
    return mut_add_member(h, "port", cJSON_CreateNumber(tcp->number));
}

static cJSON *make_probe(const port_ref *http, const char *path, const port_ref *tcp, int period,
                         int timeout, int failures)
{
    cJSON *probe = cJSON_CreateObject();

    if (probe == NULL || !add_handler(probe, http, path, tcp) ||
        !mut_add_member(probe, "periodSeconds", cJSON_CreateNumber(period)) ||
        !mut_add_member(probe, "timeoutSeconds", cJSON_CreateNumber(timeout)) ||
        !mut_add_member(probe, "failureThreshold", cJSON_CreateNumber(failures))) {
        cJSON_Delete(probe);
        return NULL;
    }
    return probe;
}

static int startup_failures(const mut_ctx *x, const mut_container *mc, int period)
{
    int64_t budget = x->pol->probes.startup_seconds;
    int64_t observed = mc->rec ? mc->rec->observed.startup_seconds : 0;

    if (observed > 0) {
        budget = observed > INT32_MAX / 2 ? INT32_MAX : 2 * observed;
        if (budget < MIN_STARTUP_BUDGET)
            budget = MIN_STARTUP_BUDGET;
    }
    if (budget < period)
        return 1;
    budget = (budget + period - 1) / period;
    return budget > INT32_MAX ? INT32_MAX : (int)budget;
}

typedef struct probe_plan {
    port_ref http, tcp;
    bool has_http, has_tcp;
    const char *live_path, *ready_path;
    int period;
} probe_plan;

/* Add probe `key` unless the container has one: httpGet with `path`, else
 * (tcp_ok: readiness only) tcpSocket, else none. */
static snug_status add_probe(mut_ctx *x, mut_container *mc, const probe_plan *pp, const char *key,
                             const char *path, bool tcp_ok, int failures, dynbuf *added)
{
    const policy_probes *cfg = &x->pol->probes;
    const port_ref *http = pp->has_http ? &pp->http : NULL;
    cJSON *probe;
    snug_status st;

    if (mut_get(mc->orig, key) != NULL)
        return SNUG_OK;
    if (!(http != NULL && path != NULL) && !(tcp_ok && pp->has_tcp))
        return SNUG_OK;
    probe = make_probe(http, path, &pp->tcp, pp->period, cfg->timeout_seconds, failures);
    if (probe == NULL)
        return snug_err_set(x->err, SNUG_ERR_NOMEM, "out of memory");
    st = mut_set(x, mc, probe, key, NULL, NULL);
    if (st == SNUG_OK) {
        mc->changed |= MUTATED_PROBES;
        if (dynbuf_len(added) > 0)
            (void)dynbuf_addc(added, '+');
        (void)dynbuf_add(added, key, strlen(key) - strlen("Probe"));
    }
    return st;
}

snug_status mut_probes_apply(mut_ctx *x, mut_container *mc)
{
    const cJSON *ports = mut_get(mc->orig, "ports");
    int period = x->pol->probes.period_seconds > 0 ? x->pol->probes.period_seconds : 10;
    probe_plan pp;
    dynbuf added;
    snug_status st;

    if (!x->in->is_create || mc->kind == MUT_INIT || mc->cp.probes_inject != PROBES_IF_MISSING)
        return SNUG_OK;
    if (!cJSON_IsArray(ports))
        return SNUG_OK;
    memset(&pp, 0, sizeof(pp));
    pp.period = period;
    pp.has_http = http_port(x->pol, ports, &pp.http);
    pp.has_tcp = first_tcp_port(ports, &pp.tcp);
    if (pp.has_http)
        probe_paths(x, mc, &pp.live_path, &pp.ready_path);
    dynbuf_init(&added, 64);
    st = add_probe(x, mc, &pp, "livenessProbe", pp.live_path, false,
                   x->pol->probes.failure_threshold, &added);
    if (st == SNUG_OK)
        st = add_probe(x, mc, &pp, "readinessProbe", pp.ready_path, true,
                       x->pol->probes.failure_threshold, &added);
    if (st == SNUG_OK)
        st = add_probe(x, mc, &pp, "startupProbe", pp.live_path ? pp.live_path : pp.ready_path,
                       false, startup_failures(x, mc, period), &added);
    if (st == SNUG_OK && dynbuf_len(&added) > 0)
        mut_detail(mc, "probes %s", dynbuf_str(&added));
    dynbuf_free(&added);
    return st;
}

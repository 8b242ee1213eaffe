/* checkpoint_check.c -- e2e driver for the recommender checkpoint
 * (controller/checkpoint.h), built as e2e_checkpoint_check. It builds a
 * workload set with real samples, saves it to / loads it from a real API
 * server, and prints one JSON object per line on stdout for
 * tests/e2e/test_checkpoint.py; the library's logs go to stderr.
 *
 *   e2e_checkpoint_check --kubeconfig K --ns CTL_NS [options] COMMAND ARGS...
 *
 *   save SPEC...     build the set, checkpoint_save it:
 *                    {"op":"saved","stats":{...},"entries":[{"ns","kind","name",
 *                     "container","sha","len"}...],"state_bytes":B,"ms":M}
 *   load             checkpoint_load into an empty set:
 *                    {"op":"loaded","stats":{...},"saved_at":T,"entries":[...],"ms":M}
 *   list NS          list ConfigMaps of NS: {"op":"list","status":"ok"|...,"count":N}
 *
 * SPEC is NS/Kind/name=c1,c2 (a workload with a policy and those
 * containers), NS/Kind/name=c1,c2/nopol (no policy: not to be saved),
 * NS/Kind/name=c1,c2/gone (wlset_remove()d: not to be saved either), or
 * gen:NS:W:C (W Deployments w-0000... of C containers c0, c1...). Every
 * container gets 3 Pods with --days of samples every --step seconds up to
 * --now, made from a hash of its identity, so the same SPEC makes the same
 * states. "sha" is the FNV-1a 64 of the container's rec_state_save text.
 *
 * Options: --budget BYTES (data bytes per ConfigMap; 0: the default),
 * --now T (unix seconds; default: the clock), --days D (7), --step S (300),
 * --log-level L. Failures print {"op":"error","status":..,"message":..}
 * and exit 1; bad usage exits 2.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "base/log.h"
#include "base/strmap.h"
#include "controller/checkpoint.h"
#include "controller/workloads.h"
#include "kube/kube_client.h"
#include "kube/kube_config.h"
#include "kube/kube_objects.h"

typedef struct check_opts {
    const char *kubeconfig;
    const char *ns;
    size_t budget;
    double now, days, step;
} check_opts;

static policy g_policy; /* a workload "with a policy": only the pointer matters */

static double mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void emit(cJSON *o)
{
    char *s = cJSON_PrintUnformatted(o);

    if (s != NULL) {
        fputs(s, stdout);
        fputc('\n', stdout);
        fflush(stdout);
    }
    free(s);
    cJSON_Delete(o);
}

static int fail(snug_status st, const char *msg)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "op", "error");
    cJSON_AddStringToObject(o, "status",
                            st == SNUG_ERR_UNAUTHORIZED ? "unauthorized" : snug_status_str(st));
    cJSON_AddStringToObject(o, "message", msg);
    emit(o);
    fprintf(stderr, "e2e_checkpoint_check: %s\n", msg);
    return 1;
}

static int usage(const char *why)
{
    fprintf(stderr,
            "e2e_checkpoint_check: %s\nusage: e2e_checkpoint_check --kubeconfig K --ns NS "
            "[options] save SPEC... | load | list NS (see tests/e2e/checkpoint_check.c)\n",
            why);
    return 2;
}

/* ---- states made from an identity --------------------------------------------------------- */

static uint64_t next_rand(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static double unit_rand(uint64_t *x)
{
    return (double)(next_rand(x) >> 11) / 9007199254740992.0;
}

static void fill_state(const check_opts *co, const workload *w, wl_container *c)
{
    char id[1024], pod[300];
    uint64_t x;
    double cpu_base, mem_base, t;
    int p;

    snprintf(id, sizeof(id), "%s/%s/%s/%s", w->ns, w->ref.kind, w->ref.name, c->name);
    x = strmap_hash(id) | 1;
    cpu_base = 0.02 + unit_rand(&x) * 2;
    mem_base = 50e6 + unit_rand(&x) * 2e9;
    for (p = 0; p < 3; p++) {
        snprintf(pod, sizeof(pod), "%.200s-5d8f7c-%d", w->ref.name, p);
        for (t = co->now - co->days * 86400; t < co->now; t += co->step) {
            double day = sin(2 * M_PI * fmod(t, 86400) / 86400);

            rec_state_add_cpu(c->state, pod, t, cpu_base * (1 + 0.5 * day + 0.3 * unit_rand(&x)));
            rec_state_add_memory(c->state, pod, t,
                                 mem_base * (1 + 0.1 * day + 0.05 * unit_rand(&x)));
        }
    }
    c->has_metrics = true;
}

static int add_workload(const check_opts *co, wlset *set, const char *ns, const char *kind,
                        const char *name, const char *containers, bool with_policy)
{
    workload *w = NULL;
    char buf[1024], *save = NULL, *tok;
    snug_err err;
    snug_status st = wlset_add(set, ns, kind, name, &w, &err);

    if (st != SNUG_OK)
        return fail(st, err.msg);
    w->pol = with_policy ? &g_policy : NULL;
    snprintf(buf, sizeof(buf), "%s", containers);
    for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        wl_container *c = workload_container(w, tok, true);

        if (c == NULL)
            return fail(SNUG_ERR_NOMEM, "workload_container failed");
        fill_state(co, w, c);
    }
    return 0;
}

/* gen:NS:W:C */
static int add_generated(const check_opts *co, wlset *set, const char *spec)
{
    char ns[128], names[1024], name[64];
    long nw, nc, i, j;
    int rc = 0;

    if (sscanf(spec, "gen:%127[^:]:%ld:%ld", ns, &nw, &nc) != 3 || nw < 0 || nc < 1 || nc > 64)
        return usage("bad gen: spec");
    for (i = 0; i < nw && rc == 0; i++) {
        size_t off = 0;

        for (j = 0; j < nc; j++)
            off += (size_t)snprintf(names + off, sizeof(names) - off, "%sc%ld", j ? "," : "", j);
        snprintf(name, sizeof(name), "w-%04ld", i);
        rc = add_workload(co, set, ns, "Deployment", name, names, true);
    }
    return rc;
}

/* NS/Kind/name=c1,c2[/nopol] */
static int add_spec(const check_opts *co, wlset *set, const char *spec)
{
    char buf[2048], *ns, *kind, *name, *cs, *flag;

    if (strncmp(spec, "gen:", 4) == 0)
        return add_generated(co, set, spec);
    snprintf(buf, sizeof(buf), "%s", spec);
    ns = buf;
    kind = strchr(ns, '/');
    if (kind == NULL)
        return usage("bad SPEC");
    *kind++ = '\0';
    name = strchr(kind, '/');
    if (name == NULL)
        return usage("bad SPEC");
    *name++ = '\0';
    cs = strchr(name, '=');
    if (cs == NULL)
        return usage("bad SPEC");
    *cs++ = '\0';
    flag = strchr(cs, '/');
    if (flag != NULL)
        *flag++ = '\0';
    if (add_workload(co, set, ns, kind, name, cs, flag == NULL || strcmp(flag, "nopol") != 0) != 0)
        return 1;
    if (flag != NULL && strcmp(flag, "gone") == 0)
        wlset_remove(set, wlset_find(set, ns, kind, name));
    return 0;
}

/* ---- output --------------------------------------------------------------------------------- */

static cJSON *stats_json(const ckpt_stats *s)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddNumberToObject(o, "configmaps_read", (double)s->configmaps_read);
    cJSON_AddNumberToObject(o, "configmaps_written", (double)s->configmaps_written);
    cJSON_AddNumberToObject(o, "configmaps_deleted", (double)s->configmaps_deleted);
    cJSON_AddNumberToObject(o, "entries", (double)s->entries);
    cJSON_AddNumberToObject(o, "entries_skipped", (double)s->entries_skipped);
    cJSON_AddNumberToObject(o, "bytes", (double)s->bytes);
    return o;
}

/* Every container of the set: identity, sha and length of its state text;
 * *total is the sum of the lengths. */
static cJSON *entries_json(const wlset *set, size_t *total)
{
    cJSON *arr = cJSON_CreateArray();
    size_t i, j;
    dynbuf b;
    char sha[20];

    *total = 0;
    dynbuf_init(&b, REC_CHECKPOINT_MAX);
    for (i = 0; i < set->n; i++) {
        const workload *w = set->items[i];

        for (j = 0; j < w->n_cs && !w->gone; j++) {
            cJSON *e = cJSON_CreateObject();

            dynbuf_reset(&b);
            if (rec_state_save(w->cs[j]->state, &b, NULL) != SNUG_OK)
                dynbuf_reset(&b);
            snprintf(sha, sizeof(sha), "%016llx", (unsigned long long)strmap_hash(dynbuf_str(&b)));
            cJSON_AddStringToObject(e, "ns", w->ns);
            cJSON_AddStringToObject(e, "kind", w->ref.kind);
            cJSON_AddStringToObject(e, "name", w->ref.name);
            cJSON_AddStringToObject(e, "container", w->cs[j]->name);
            cJSON_AddBoolToObject(e, "policy", w->pol != NULL);
            cJSON_AddStringToObject(e, "sha", sha);
            cJSON_AddNumberToObject(e, "len", (double)dynbuf_len(&b));
            cJSON_AddItemToArray(arr, e);
            *total += dynbuf_len(&b);
        }
    }
    dynbuf_free(&b);
    return arr;
}

static void emit_result(const char *op, const ckpt_stats *st, const wlset *set, double saved_at,
                        double ms)
{
    cJSON *o = cJSON_CreateObject();
    size_t total;

    cJSON_AddStringToObject(o, "op", op);
    cJSON_AddItemToObject(o, "stats", stats_json(st));
    cJSON_AddItemToObject(o, "entries", entries_json(set, &total));
    cJSON_AddNumberToObject(o, "state_bytes", (double)total);
    cJSON_AddNumberToObject(o, "saved_at", saved_at);
    cJSON_AddNumberToObject(o, "ms", ms);
    emit(o);
}

/* ---- commands ------------------------------------------------------------------------------- */

static int cmd_save(kube_client *kc, const check_opts *co, int argc, char **argv)
{
    wlset *set = wlset_new(0);
    ckpt_stats st;
    snug_err err;
    snug_status rc;
    double t0;
    int i, bad = 0;

    if (set == NULL)
        return fail(SNUG_ERR_NOMEM, "wlset_new");
    for (i = 0; i < argc && bad == 0; i++)
        bad = add_spec(co, set, argv[i]);
    if (bad != 0) {
        wlset_free(set);
        return bad;
    }
    t0 = mono_ms();
    rc = checkpoint_save_budget(kc, co->ns, set, co->now, NULL, co->budget, &st, &err);
    if (rc == SNUG_OK)
        emit_result("saved", &st, set, co->now, mono_ms() - t0);
    wlset_free(set);
    return rc == SNUG_OK ? 0 : fail(rc, err.msg);
}

static int cmd_load(kube_client *kc, const check_opts *co)
{
    wlset *set = wlset_new(0);
    ckpt_stats st;
    snug_err err;
    snug_status rc;
    double t0 = mono_ms(), saved_at = -1;

    if (set == NULL)
        return fail(SNUG_ERR_NOMEM, "wlset_new");
    rc = checkpoint_load(kc, co->ns, set, &saved_at, &st, &err);
    if (rc == SNUG_OK)
        emit_result("loaded", &st, set, saved_at, mono_ms() - t0);
    wlset_free(set);
    return rc == SNUG_OK ? 0 : fail(rc, err.msg);
}

static int cmd_list(kube_client *kc, const char *ns)
{
    static const kube_resource cms = {"", "v1", "configmaps"};
    kube_list_opts lo = {.limit = 100};
    cJSON *list = NULL, *o = cJSON_CreateObject();
    snug_err err;
    snug_status rc = kube_list(kc, &cms, ns, &lo, &list, NULL, &err);

    cJSON_AddStringToObject(o, "op", "list");
    cJSON_AddStringToObject(o, "status",
                            rc == SNUG_OK                 ? "ok"
                            : rc == SNUG_ERR_UNAUTHORIZED ? "unauthorized"
                                                          : snug_status_str(rc));
    cJSON_AddStringToObject(o, "message", rc == SNUG_OK ? "" : err.msg);
    cJSON_AddNumberToObject(
        o, "count", rc == SNUG_OK ? cJSON_GetArraySize(cJSON_GetObjectItem(list, "items")) : 0);
    emit(o);
    cJSON_Delete(list);
    return 0;
}

static int parse_opts(int argc, char **argv, check_opts *co)
{
    int i;

    for (i = 1; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        const char *o = argv[i], *v = argv[i + 1];

        if (strcmp(o, "--kubeconfig") == 0)
            co->kubeconfig = v;
        else if (strcmp(o, "--ns") == 0)
            co->ns = v;
        else if (strcmp(o, "--budget") == 0)
            co->budget = (size_t)atol(v);
        else if (strcmp(o, "--now") == 0)
            co->now = atof(v);
        else if (strcmp(o, "--days") == 0)
            co->days = atof(v);
        else if (strcmp(o, "--step") == 0)
            co->step = atof(v);
        else if (strcmp(o, "--log-level") == 0) {
            log_level lvl;

            if (log_parse_level(v, &lvl) != 0)
                return -1;
            log_set_level(lvl);
        } else
            return -1;
    }
    return i < argc && co->ns != NULL && co->step > 0 ? i : -1;
}

int main(int argc, char **argv)
{
    check_opts co = {.days = 7, .step = 300};
    kube_config *cfg = NULL;
    kube_client *kc = NULL;
    snug_err err;
    snug_status st;
    int first, rc;

    co.now = floor((double)time(NULL));
    g_policy.name = "e2e";
    first = parse_opts(argc, argv, &co);
    if (first < 0)
        return usage("bad options");
    st = kube_config_load(co.kubeconfig, NULL, &cfg, &err);
    if (st == SNUG_OK)
        st = kube_client_new(cfg, NULL, &kc, &err);
    kube_config_free(cfg);
    if (st != SNUG_OK)
        return fail(st, err.msg);
    if (strcmp(argv[first], "save") == 0)
        rc = cmd_save(kc, &co, argc - first - 1, argv + first + 1);
    else if (strcmp(argv[first], "load") == 0)
        rc = cmd_load(kc, &co);
    else if (strcmp(argv[first], "list") == 0 && first + 1 < argc)
        rc = cmd_list(kc, argv[first + 1]);
    else
        rc = usage("unknown command");
    kube_client_free(kc);
    return rc;
}

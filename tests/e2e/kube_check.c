/* kube_check.c -- e2e driver for the Kubernetes client (built as
 * e2e_kube_check). It runs one client operation against a real API server
 * and prints one JSON object per line on stdout for tests/e2e to assert on;
 * the library's own logs go to stderr.
 *
 *   e2e_kube_check --kubeconfig K [options] SUBCOMMAND ARGS...
 *
 * RES is "VERSION/RESOURCE" (core: v1/configmaps) or
 * "GROUP/VERSION/RESOURCE" (coordination.k8s.io/v1/leases). NS "-" means
 * none (cluster-scoped or all namespaces).
 *
 *   get RES NS NAME                 {"op":"get","object":{...}}
 *   list RES NS                     {"op":"list","pages":P,"count":N,"names":[...],
 *                                    "resourceVersion":"..."} (pages of --limit)
 *   watch RES NS N                  {"op":"ready","resourceVersion":RV} after a list,
 *                                   then {"op":"event","type":T,"name":..,"rv":..} for
 *                                   N non-bookmark events from RV
 *   watch-from-rv RES NS RV         {"op":"watch-result","status":"gone",...}
 *   apply RES FILE                  server-side apply (--field-manager, --force)
 *   apply-status RES FILE           same on the status subresource
 *   patch RES NS NAME TYPE PATCH    TYPE json|merge|strategic; PATCH is JSON text
 *   create RES FILE | delete RES NS NAME
 *   event RES NS NAME ACTION REASON NOTE [TYPE]
 *                                   an events.k8s.io/v1 Event about that object
 *   informer RES NS SECONDS         {"op":"synced","size":N}, then add/update/delete
 *                                   lines, finally {"op":"done","size":..,"names":[..],
 *                                   "lists":..,"gone":..,"errors":..}
 *   lease NS NAME ID SECONDS        contend; {"op":"leading"} / {"op":"stopped-leading"} /
 *                                   {"op":"new-leader","holder":..}; then {"op":"done"}
 *
 * Options: --context C, --selector S (label selector), --limit N (page
 * size), --field-manager M (default snug-e2e), --force, --timeout S (watch
 * timeoutSeconds), --lease-ms/--renew-ms/--retry-ms, --log-level L.
 * SIGTERM/SIGINT end informer and lease runs early (cleanly: the lease is
 * released). Failures print {"op":"error","status":"...","message":"..."}
 * and exit 1; bad usage exits 2.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "kube/kube_client.h"
#include "kube/kube_config.h"
#include "kube/kube_events.h"
#include "kube/kube_informer.h"
#include "kube/kube_lease.h"
#include "kube/kube_objects.h"
#include "kube/kube_retry.h"
#include "base/log.h"
#include "yaml/yamljson.h"

typedef struct check_opts {
    const char *kubeconfig;
    const char *context;
    const char *selector;
    const char *field_manager;
    long limit;
    long timeout_s;
    int force;
    long lease_ms, renew_ms, retry_ms;
} check_opts;

typedef struct res_spec {
    char buf[512];
    kube_resource r;
} res_spec;

static volatile sig_atomic_t g_signalled;
static pthread_mutex_t g_out_lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t g_t0;

static void on_signal(int sig)
{
    (void)sig;
    g_signalled = 1;
}

/* Print `obj` as one line (adding "t": seconds since start) and free it. */
static void emit(cJSON *obj)
{
    char *s;

    cJSON_AddNumberToObject(obj, "t", (double)(kube_mono_ms() - g_t0) / 1000.0);
    s = cJSON_PrintUnformatted(obj);
    pthread_mutex_lock(&g_out_lock);
    if (s != NULL) {
        fputs(s, stdout);
        fputc('\n', stdout);
        fflush(stdout);
    }
    pthread_mutex_unlock(&g_out_lock);
    free(s);
    cJSON_Delete(obj);
}

static cJSON *line(const char *op)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "op", op);
    return o;
}

static const char *status_name(snug_status st)
{
    switch (st) {
    case SNUG_ERR_UNAUTHORIZED:
        return "unauthorized";
    case SNUG_ERR_NOT_FOUND:
        return "not-found";
    case SNUG_ERR_CONFLICT:
        return "conflict";
    case SNUG_ERR_GONE:
        return "gone";
    case SNUG_ERR_INVALID:
        return "invalid";
    case SNUG_ERR_TIMEOUT:
        return "timeout";
    case SNUG_ERR_IO:
        return "io";
    case SNUG_ERR_TLS:
        return "tls";
    case SNUG_OK:
        return "ok";
    default:
        return snug_status_str(st);
    }
}

static int fail(snug_status st, const snug_err *err)
{
    cJSON *o = line("error");

    cJSON_AddStringToObject(o, "status", status_name(st));
    cJSON_AddStringToObject(o, "message", err->msg);
    emit(o);
    fprintf(stderr, "e2e_kube_check: %s\n", err->msg);
    return 1;
}

static int usage(const char *why)
{
    fprintf(stderr,
            "e2e_kube_check: %s\nusage: e2e_kube_check --kubeconfig K [options] "
            "SUBCOMMAND ARGS... (see tests/e2e/kube_check.c)\n",
            why);
    return 2;
}

static int parse_res(const char *s, res_spec *out)
{
    char *a;
    char *b;

    memset(out, 0, sizeof(*out));
    snprintf(out->buf, sizeof(out->buf), "%s", s);
    a = strchr(out->buf, '/');
    if (a == NULL)
        return -1;
    *a++ = '\0';
    b = strchr(a, '/');
    if (b == NULL) {
        out->r.version = out->buf;
        out->r.resource = a;
        return 0;
    }
    *b++ = '\0';
    out->r.group = out->buf;
    out->r.version = a;
    out->r.resource = b;
    return 0;
}

static const char *or_empty(const char *s)
{
    return s != NULL ? s : "";
}

static const char *ns_arg(const char *s)
{
    return strcmp(s, "-") == 0 ? NULL : s;
}

static cJSON *read_object(const char *path, snug_err *err)
{
    char *buf = NULL;
    size_t len = 0;
    cJSON *doc = NULL;

    if (file_read_all(path, 1 << 20, &buf, &len, err) != SNUG_OK)
        return NULL;
    if (yaml_parse_one(buf, len, 1 << 20, &doc, err) != SNUG_OK)
        doc = NULL;
    free(buf);
    return doc;
}

/* ---- one-shot subcommands --------------------------------------------------------- */

static int cmd_get(kube_client *c, char **argv)
{
    res_spec rs;
    cJSON *obj = NULL;
    cJSON *o;
    snug_err err;
    snug_status st;

    if (parse_res(argv[0], &rs) != 0)
        return usage("bad resource");
    st = kube_get(c, &rs.r, ns_arg(argv[1]), argv[2], &obj, &err);
    if (st != SNUG_OK)
        return fail(st, &err);
    o = line("get");
    cJSON_AddItemToObject(o, "object", obj);
    emit(o);
    return 0;
}

static int cmd_list(kube_client *c, const check_opts *co, char **argv)
{
    res_spec rs;
    kube_list_opts lo;
    cJSON *list = NULL;
    cJSON *names;
    cJSON *o;
    const cJSON *it;
    size_t pages = 0;
    snug_err err;
    snug_status st;

    if (parse_res(argv[0], &rs) != 0)
        return usage("bad resource");
    memset(&lo, 0, sizeof(lo));
    lo.label_selector = co->selector;
    lo.limit = co->limit;
    st = kube_list(c, &rs.r, ns_arg(argv[1]), &lo, &list, &pages, &err);
    if (st != SNUG_OK)
        return fail(st, &err);
    o = line("list");
    names = cJSON_AddArrayToObject(o, "names");
    cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(list, "items"))
        cJSON_AddItemToArray(names, cJSON_CreateString(or_empty(kube_obj_name(it))));
    cJSON_AddNumberToObject(o, "pages", (double)pages);
    cJSON_AddNumberToObject(o, "count", cJSON_GetArraySize(names));
    cJSON_AddStringToObject(o, "resourceVersion", or_empty(kube_obj_resource_version(list)));
    cJSON_Delete(list);
    emit(o);
    return 0;
}

typedef struct watch_state {
    int want;
    int seen;
} watch_state;

static int watch_print(kube_watch_type type, cJSON **object, void *ud)
{
    watch_state *w = ud;
    cJSON *o = line("event");

    cJSON_AddStringToObject(o, "type", kube_watch_type_str(type));
    cJSON_AddStringToObject(o, "name", or_empty(kube_obj_name(*object)));
    cJSON_AddStringToObject(o, "rv", or_empty(kube_obj_resource_version(*object)));
    emit(o);
    if (type != KUBE_WATCH_BOOKMARK)
        w->seen++;
    return (w->want > 0 && w->seen >= w->want) || g_signalled;
}

static int watch_from(kube_client *c, const check_opts *co, const res_spec *rs, const char *ns,
                      const char *rv, int want)
{
    kube_watch_opts wo;
    watch_state w = {want, 0};
    cJSON *o;
    snug_err err;
    snug_status st;

    memset(&wo, 0, sizeof(wo));
    wo.label_selector = co->selector;
    wo.resource_version = rv;
    wo.timeout_seconds = co->timeout_s > 0 ? co->timeout_s : 60;
    snug_err_clear(&err);
    st = kube_watch(c, &rs->r, ns, &wo, watch_print, &w, &err);
    o = line("watch-result");
    cJSON_AddStringToObject(o, "status", status_name(st));
    cJSON_AddStringToObject(o, "message", err.msg);
    cJSON_AddNumberToObject(o, "events", w.seen);
    emit(o);
    return st == SNUG_OK ? 0 : 1;
}

static int cmd_watch(kube_client *c, const check_opts *co, char **argv)
{
    res_spec rs;
    kube_list_opts lo;
    cJSON *list = NULL;
    cJSON *o;
    char *rv;
    snug_err err;
    snug_status st;
    int rc;

    if (parse_res(argv[0], &rs) != 0)
        return usage("bad resource");
    memset(&lo, 0, sizeof(lo));
    lo.label_selector = co->selector;
    st = kube_list(c, &rs.r, ns_arg(argv[1]), &lo, &list, NULL, &err);
    if (st != SNUG_OK)
        return fail(st, &err);
    rv = strdup(or_empty(kube_obj_resource_version(list)));
    cJSON_Delete(list);
    o = line("ready");
    cJSON_AddStringToObject(o, "resourceVersion", rv);
    emit(o);
    rc = watch_from(c, co, &rs, ns_arg(argv[1]), rv, atoi(argv[2]));
    free(rv);
    return rc;
}

static int cmd_watch_from_rv(kube_client *c, const check_opts *co, char **argv)
{
    res_spec rs;

    if (parse_res(argv[0], &rs) != 0)
        return usage("bad resource");
    return watch_from(c, co, &rs, ns_arg(argv[1]), argv[2], 1);
}

static int print_written(const char *op, snug_status st, cJSON *out, const snug_err *err)
{
    cJSON *o;

    if (st != SNUG_OK) {
        cJSON_Delete(out);
        return fail(st, err);
    }
    o = line(op);
    cJSON_AddItemToObject(o, "object", out != NULL ? out : cJSON_CreateNull());
    emit(o);
    return 0;
}

static int cmd_apply(kube_client *c, const check_opts *co, char **argv, const char *sub)
{
    res_spec rs;
    kube_write_opts wo;
    cJSON *obj;
    cJSON *out = NULL;
    snug_err err;
    snug_status st;

    if (parse_res(argv[0], &rs) != 0)
        return usage("bad resource");
    obj = read_object(argv[1], &err);
    if (obj == NULL)
        return fail(SNUG_ERR_PARSE, &err);
    memset(&wo, 0, sizeof(wo));
    wo.field_manager = co->field_manager;
    wo.force = co->force;
    wo.subresource = sub;
    st = kube_apply(c, &rs.r, NULL, NULL, obj, &wo, &out, &err);
    cJSON_Delete(obj);
    return print_written(sub ? "apply-status" : "apply", st, out, &err);
}

static int cmd_patch(kube_client *c, char **argv)
{
    res_spec rs;
    kube_patch_type type;
    cJSON *out = NULL;
    snug_err err;
    snug_status st;

    if (parse_res(argv[0], &rs) != 0)
        return usage("bad resource");
    if (strcmp(argv[3], "json") == 0)
        type = KUBE_PATCH_JSON;
    else if (strcmp(argv[3], "merge") == 0)
        type = KUBE_PATCH_MERGE;
    else if (strcmp(argv[3], "strategic") == 0)
        type = KUBE_PATCH_STRATEGIC;
    else
        return usage("patch type must be json, merge or strategic");
    st = kube_patch(c, &rs.r, ns_arg(argv[1]), argv[2], type, argv[4], NULL, &out, &err);
    return print_written("patch", st, out, &err);
}

static int cmd_create(kube_client *c, char **argv)
{
    res_spec rs;
    cJSON *obj;
    cJSON *out = NULL;
    snug_err err;
    snug_status st;

    if (parse_res(argv[0], &rs) != 0)
        return usage("bad resource");
    obj = read_object(argv[1], &err);
    if (obj == NULL)
        return fail(SNUG_ERR_PARSE, &err);
    st = kube_create(c, &rs.r, NULL, obj, NULL, &out, &err);
    cJSON_Delete(obj);
    return print_written("create", st, out, &err);
}

static int cmd_delete(kube_client *c, char **argv)
{
    res_spec rs;
    snug_err err;
    snug_status st;

    if (parse_res(argv[0], &rs) != 0)
        return usage("bad resource");
    st = kube_delete(c, &rs.r, ns_arg(argv[1]), argv[2], &err);
    return print_written("delete", st, NULL, &err);
}

static int cmd_event(kube_client *c, char **argv, int argc)
{
    res_spec rs;
    kube_event ev;
    cJSON *target = NULL;
    cJSON *out = NULL;
    snug_err err;
    snug_status st;

    if (parse_res(argv[0], &rs) != 0)
        return usage("bad resource");
    st = kube_get(c, &rs.r, ns_arg(argv[1]), argv[2], &target, &err);
    if (st != SNUG_OK)
        return fail(st, &err);
    memset(&ev, 0, sizeof(ev));
    ev.reporting_controller = "snug.dev/e2e-kube-check";
    ev.reporting_instance = "e2e-kube-check";
    ev.action = argv[3];
    ev.reason = argv[4];
    ev.note = argv[5];
    ev.type = argc > 6 ? argv[6] : NULL;
    kube_objref_from_object(target, &ev.regarding);
    if (ev.regarding.kind == NULL)
        ev.regarding.kind = "Object";
    st = kube_event_create(c, &ev, &out, &err);
    cJSON_Delete(target);
    return print_written("event", st, out, &err);
}

/* ---- informer ----------------------------------------------------------------------- */

static void inf_line(const char *op, const cJSON *obj)
{
    cJSON *o = line(op);

    cJSON_AddStringToObject(o, "name", or_empty(kube_obj_name(obj)));
    cJSON_AddStringToObject(o, "namespace", or_empty(kube_obj_namespace(obj)));
    cJSON_AddStringToObject(o, "rv", or_empty(kube_obj_resource_version(obj)));
    emit(o);
}

static void inf_add(const cJSON *obj, void *ud)
{
    (void)ud;
    inf_line("add", obj);
}

static void inf_update(const cJSON *old_obj, const cJSON *new_obj, void *ud)
{
    (void)ud;
    (void)old_obj;
    inf_line("update", new_obj);
}

static void inf_delete(const cJSON *obj, void *ud)
{
    (void)ud;
    inf_line("delete", obj);
}

static int name_visit(const cJSON *obj, void *ud)
{
    cJSON_AddItemToArray(ud, cJSON_CreateString(or_empty(kube_obj_name(obj))));
    return 0;
}

static void informer_done(kube_informer *inf)
{
    kube_informer_stats stats;
    cJSON *o = line("done");
    cJSON *names = cJSON_AddArrayToObject(o, "names");

    kube_informer_get_stats(inf, &stats);
    kube_informer_foreach(inf, name_visit, names);
    cJSON_AddNumberToObject(o, "size", (double)kube_informer_size(inf));
    cJSON_AddNumberToObject(o, "lists", (double)stats.lists);
    cJSON_AddNumberToObject(o, "watches", (double)stats.watches);
    cJSON_AddNumberToObject(o, "gone", (double)stats.gone);
    cJSON_AddNumberToObject(o, "errors", (double)stats.errors);
    emit(o);
}

static int cmd_informer(kube_client *c, const check_opts *co, char **argv)
{
    res_spec rs;
    kube_informer_opts io;
    kube_informer *inf = NULL;
    int64_t end = kube_mono_ms() + atol(argv[2]) * 1000;
    int synced = 0;
    snug_err err;
    snug_status st;

    if (parse_res(argv[0], &rs) != 0)
        return usage("bad resource");
    memset(&io, 0, sizeof(io));
    io.resource = rs.r;
    io.ns = ns_arg(argv[1]);
    io.label_selector = co->selector;
    io.page_size = co->limit;
    io.watch_timeout_s = co->timeout_s;
    io.backoff_max_ms = 2000; /* keep recovery quick in tests */
    io.handlers.on_add = inf_add;
    io.handlers.on_update = inf_update;
    io.handlers.on_delete = inf_delete;
    st = kube_informer_new(c, &io, &inf, &err);
    if (st == SNUG_OK)
        st = kube_informer_start(inf, &err);
    if (st != SNUG_OK) {
        kube_informer_free(inf);
        return fail(st, &err);
    }
    while (!g_signalled && kube_mono_ms() < end) {
        if (!synced && kube_informer_synced(inf)) {
            cJSON *o = line("synced");
            cJSON_AddNumberToObject(o, "size", (double)kube_informer_size(inf));
            emit(o);
            synced = 1;
        }
        kube_sleep_ms(50, NULL);
    }
    kube_informer_stop(inf);
    informer_done(inf);
    kube_informer_free(inf);
    return 0;
}

/* ---- lease -------------------------------------------------------------------------- */

static void lease_started(void *ud)
{
    cJSON *o = line("leading");

    cJSON_AddStringToObject(o, "identity", ud);
    emit(o);
}

static void lease_stopped(void *ud)
{
    cJSON *o = line("stopped-leading");

    cJSON_AddStringToObject(o, "identity", ud);
    emit(o);
}

static void lease_new_leader(const char *holder, void *ud)
{
    cJSON *o = line("new-leader");

    (void)ud;
    cJSON_AddStringToObject(o, "holder", holder);
    emit(o);
}

static int cmd_lease(kube_client *c, const check_opts *co, char **argv)
{
    kube_lease_opts lo;
    kube_lease *l = NULL;
    int64_t end = kube_mono_ms() + atol(argv[3]) * 1000;
    snug_err err;
    snug_status st;

    memset(&lo, 0, sizeof(lo));
    lo.ns = argv[0];
    lo.name = argv[1];
    lo.identity = argv[2];
    lo.lease_duration_ms = co->lease_ms;
    lo.renew_deadline_ms = co->renew_ms;
    lo.retry_period_ms = co->retry_ms;
    lo.on_started_leading = lease_started;
    lo.on_stopped_leading = lease_stopped;
    lo.on_new_leader = lease_new_leader;
    lo.ud = argv[2];
    st = kube_lease_new(c, &lo, &l, &err);
    if (st == SNUG_OK)
        st = kube_lease_start(l, &err);
    if (st != SNUG_OK) {
        kube_lease_free(l);
        return fail(st, &err);
    }
    emit(line("started"));
    while (!g_signalled && kube_mono_ms() < end)
        kube_sleep_ms(50, NULL);
    kube_lease_stop(l);
    kube_lease_free(l);
    emit(line("done"));
    return 0;
}

/* ---- main ----------------------------------------------------------------------------- */

/* Parse leading options; returns the index of the subcommand, -1 on error. */
static int parse_opts(int argc, char **argv, check_opts *co)
{
    int i;

    for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;

        if (strcmp(o, "--force") == 0) {
            co->force = 1;
            continue;
        }
        if (v == NULL)
            return -1;
        i++;
        if (strcmp(o, "--kubeconfig") == 0)
            co->kubeconfig = v;
        else if (strcmp(o, "--context") == 0)
            co->context = v;
        else if (strcmp(o, "--selector") == 0)
            co->selector = v;
        else if (strcmp(o, "--field-manager") == 0)
            co->field_manager = v;
        else if (strcmp(o, "--limit") == 0)
            co->limit = atol(v);
        else if (strcmp(o, "--timeout") == 0)
            co->timeout_s = atol(v);
        else if (strcmp(o, "--lease-ms") == 0)
            co->lease_ms = atol(v);
        else if (strcmp(o, "--renew-ms") == 0)
            co->renew_ms = atol(v);
        else if (strcmp(o, "--retry-ms") == 0)
            co->retry_ms = atol(v);
        else if (strcmp(o, "--log-level") == 0) {
            log_level lvl;
            if (log_parse_level(v, &lvl) != 0)
                return -1;
            log_set_level(lvl);
        } else
            return -1;
    }
    return i < argc ? i : -1;
}

typedef struct subcmd {
    const char *name;
    int nargs; /* minimum */
} subcmd;

static int run(kube_client *c, const check_opts *co, int argc, char **argv)
{
    static const subcmd cmds[] = {
        {"get", 3},    {"list", 2},         {"watch", 3},    {"watch-from-rv", 3},
        {"apply", 2},  {"apply-status", 2}, {"patch", 5},    {"create", 2},
        {"delete", 3}, {"event", 6},        {"informer", 3}, {"lease", 4},
    };
    const char *name = argv[0];
    size_t i;

    for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        if (strcmp(name, cmds[i].name) == 0)
            break;
    }
    if (i == sizeof(cmds) / sizeof(cmds[0]))
        return usage("unknown subcommand");
    if (argc - 1 < cmds[i].nargs)
        return usage("too few arguments");
    argv++;
    if (strcmp(name, "get") == 0)
        return cmd_get(c, argv);
    if (strcmp(name, "list") == 0)
        return cmd_list(c, co, argv);
    if (strcmp(name, "watch") == 0)
        return cmd_watch(c, co, argv);
    if (strcmp(name, "watch-from-rv") == 0)
        return cmd_watch_from_rv(c, co, argv);
    if (strcmp(name, "apply") == 0)
        return cmd_apply(c, co, argv, NULL);
    if (strcmp(name, "apply-status") == 0)
        return cmd_apply(c, co, argv, "status");
    if (strcmp(name, "patch") == 0)
        return cmd_patch(c, argv);
    if (strcmp(name, "create") == 0)
        return cmd_create(c, argv);
    if (strcmp(name, "delete") == 0)
        return cmd_delete(c, argv);
    if (strcmp(name, "event") == 0)
        return cmd_event(c, argv, argc - 1);
    if (strcmp(name, "informer") == 0)
        return cmd_informer(c, co, argv);
    return cmd_lease(c, co, argv);
}

int main(int argc, char **argv)
{
    check_opts co;
    kube_config *cfg = NULL;
    kube_client *c = NULL;
    struct sigaction sa;
    snug_err err;
    snug_status st;
    int first;
    int rc;

    g_t0 = kube_mono_ms();
    memset(&co, 0, sizeof(co));
    co.field_manager = "snug-e2e";
    first = parse_opts(argc, argv, &co);
    if (first < 0)
        return usage("bad options");
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    st = kube_config_load(co.kubeconfig, co.context, &cfg, &err);
    if (st == SNUG_OK)
        st = kube_client_new(cfg, NULL, &c, &err);
    kube_config_free(cfg);
    if (st != SNUG_OK)
        return fail(st, &err);
    rc = run(c, &co, argc - first, argv + first);
    kube_client_free(c);
    return rc;
}

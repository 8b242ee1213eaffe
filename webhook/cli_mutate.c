/* cli_mutate.c -- `snug-webhook mutate`: flags, input files, output.
 * The document pipeline itself is in cli_mutate_doc.c (cli_mutate.h). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "webhook/cli.h"
#include "webhook/cli_mutate.h"
#include "model/limitrange.h"
#include "base/log.h"
#include "model/policy.h"
#include "model/recommendation.h"
#include "model/selector.h"
#include "model/workload_template.h"
#include "yaml/yamljson.h"

#define PROG              "snug-webhook mutate"
#define DEFAULT_MAX_BYTES ((size_t)32 * 1024 * 1024)
#define MAX_INPUTS        64
#define OUT_MIN_MAX       ((size_t)64 * 1024 * 1024)
#define WARNINGS_MAX      ((size_t)16 * 1024 * 1024)

typedef struct mutate_opts {
    const char *inputs[MAX_INPUTS];
    size_t n_inputs;
    const char *policy;
    const char *recommendations;
    const char *limitrange;
    const char *namespace;
    const char *namespace_labels;
    bool diff;
    size_t max_bytes;
} mutate_opts;

/* Everything loaded from the flag files; freed by loaded_free(). */
typedef struct loaded {
    policy_set *policies;
    rec_set *recs;
    cJSON *limitranges; /* array of LimitRange objects */
    cJSON *ns_labels;
} loaded;

static void usage(FILE *out)
{
    fprintf(out,
            "usage: snug-webhook mutate -f FILE|- [flags]\n"
            "\n"
            "Print Pods and workloads (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,\n"
            "CronJob, ReplicationController, PodTemplate, List) as the snug webhook would\n"
            "mutate them at creation. Other documents are printed unchanged.\n"
            "\n"
            "flags:\n"
            "  -f, --filename FILE       input, YAML or JSON, one or more documents; '-' is\n"
            "                            standard input; may be repeated\n"
            "      --policy FILE         SizingPolicy documents (default: the built-in policy)\n"
            "      --recommendations FILE  Recommendation documents\n"
            "      --limitrange FILE     LimitRange documents\n"
            "  -n, --namespace NS        namespace for every document (default: each\n"
            "                            document's metadata.namespace, else \"default\")\n"
            "      --namespace-labels k=v,...  labels of the namespace(s)\n"
            "      --diff                print a unified diff of the changed documents\n"
            "      --max-bytes N         largest input file in bytes (default 33554432)\n"
            "  -h, --help                print this help\n"
            "\n"
            "Warnings go to standard error as \"Warning: ...\" lines. Exit status: 0 done\n"
            "(also with warnings), 1 bad input or I/O error, 2 usage error.\n"
            "SNUG_LOG_LEVEL=debug|info|warn|error|off sets the log level (default warn).\n");
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, PROG ": ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    usage(stderr);
    return 2;
}

static bool parse_size(const char *s, size_t *out)
{
    unsigned long long v;
    char *end;

    if (s[0] < '0' || s[0] > '9')
        return false;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v == 0 || v > SIZE_MAX / 2)
        return false;
    *out = (size_t)v;
    return true;
}

/* Match `--name VALUE`, `--name=VALUE` (and a short alias `-x VALUE`).
 * Returns 1 and sets *val (advancing *i) on a match, 0 when argv[*i] is
 * another flag, -1 when the value is missing. */
static int flag_value(int argc, char **argv, int *i, const char *name, const char *alias,
                      const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);

    if (strncmp(a, name, n) == 0 && a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (strcmp(a, name) != 0 && (alias == NULL || strcmp(a, alias) != 0))
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *val = argv[++*i];
    return 1;
}

static int parse_args(int argc, char **argv, mutate_opts *o)
{
    static const struct {
        const char *name, *alias;
        size_t off;
    } flags[] = {
        {"--filename", "-f", 0},
        {"--policy", NULL, offsetof(mutate_opts, policy)},
        {"--recommendations", NULL, offsetof(mutate_opts, recommendations)},
        {"--limitrange", NULL, offsetof(mutate_opts, limitrange)},
        {"--namespace", "-n", offsetof(mutate_opts, namespace)},
        {"--namespace-labels", NULL, offsetof(mutate_opts, namespace_labels)},
        {"--max-bytes", NULL, 0},
    };
    const char *max_bytes = NULL;
    int i;

    memset(o, 0, sizeof(*o));
    o->max_bytes = DEFAULT_MAX_BYTES;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        size_t k;
        int r = 0;

        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--diff") == 0) {
            o->diff = true;
            continue;
        }
        for (k = 0; k < sizeof(flags) / sizeof(flags[0]); k++) {
            r = flag_value(argc, argv, &i, flags[k].name, flags[k].alias, &val);
            if (r != 0)
                break;
        }
        if (r < 0)
            return usage_error("flag %s needs a value", a);
        if (r == 0)
            return usage_error(a[0] == '-' ? "unknown flag %s" : "unexpected argument \"%s\"", a);
        if (val[0] == '\0')
            return usage_error("flag %s needs a non-empty value", flags[k].name);
        if (k == 0) {
            if (o->n_inputs == MAX_INPUTS)
                return usage_error("too many -f flags (at most %d)", MAX_INPUTS);
            o->inputs[o->n_inputs++] = val;
        } else if (strcmp(flags[k].name, "--max-bytes") == 0) {
            max_bytes = val;
        } else {
            *(const char **)((char *)o + flags[k].off) = val;
        }
    }
    if (max_bytes != NULL && !parse_size(max_bytes, &o->max_bytes))
        return usage_error("--max-bytes: \"%s\" is not a positive number of bytes", max_bytes);
    if (o->n_inputs == 0)
        return usage_error("%s", "-f FILE is required (use -f - for standard input)");
    return -1; /* go on */
}

static void set_log_level(void)
{
    const char *env = getenv("SNUG_LOG_LEVEL");
    log_level lvl = LOG_WARN;

    if (env != NULL && env[0] != '\0' && log_parse_level(env, &lvl) != 0) {
        fprintf(stderr, PROG ": ignoring SNUG_LOG_LEVEL=\"%s\" (debug, info, warn, error, off)\n",
                env);
        lvl = LOG_WARN;
    }
    log_set_level(lvl);
}

static const char *display_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "standard input" : path;
}

/* Read and parse one file; prints the error. */
static bool read_docs(const char *path, size_t max_bytes, cJSON **docs)
{
    char *buf = NULL;
    size_t len = 0;
    snug_err err;
    snug_status st;

    snug_err_clear(&err);
    st = file_read_all(path, max_bytes, &buf, &len, &err);
    if (st == SNUG_ERR_TOO_BIG) {
        fprintf(stderr, PROG ": %s: input too big: more than %zu bytes (see --max-bytes)\n",
                display_name(path), max_bytes);
        return false;
    }
    if (st == SNUG_OK) {
        st = yaml_parse_stream(buf, len, max_bytes, docs, &err);
        if (st != SNUG_OK)
            snug_err_prefix(&err, "%s", display_name(path));
    }
    free(buf);
    if (st != SNUG_OK) {
        fprintf(stderr, PROG ": %s\n", err.msg);
        return false;
    }
    return true;
}

static bool load_policies(const mutate_opts *o, loaded *l)
{
    cJSON *docs = NULL;
    snug_err err;
    policy *def;

    snug_err_clear(&err);
    if (o->policy == NULL) {
        l->policies = policy_set_new();
        def = policy_builtin_default();
        if (l->policies == NULL || def == NULL || policy_set_add(l->policies, def) != SNUG_OK) {
            fprintf(stderr, PROG ": out of memory\n");
            return false;
        }
        return true;
    }
    if (!read_docs(o->policy, o->max_bytes, &docs))
        return false;
    if (policy_set_load(docs, &l->policies, &err) != SNUG_OK) {
        fprintf(stderr, PROG ": %s: %s\n", display_name(o->policy), err.msg);
        cJSON_Delete(docs);
        return false;
    }
    cJSON_Delete(docs);
    if (policy_set_count(l->policies) == 0)
        fprintf(stderr, "Warning: %s: no SizingPolicy in the file; nothing will be mutated\n",
                display_name(o->policy));
    return true;
}

static bool load_recommendations(const mutate_opts *o, loaded *l)
{
    cJSON *docs = NULL;
    snug_err err;

    if (o->recommendations == NULL)
        return true;
    snug_err_clear(&err);
    if (!read_docs(o->recommendations, o->max_bytes, &docs))
        return false;
    if (rec_set_load(docs, o->namespace ? o->namespace : "default", &l->recs, &err) != SNUG_OK) {
        fprintf(stderr, PROG ": %s: %s\n", display_name(o->recommendations), err.msg);
        cJSON_Delete(docs);
        return false;
    }
    cJSON_Delete(docs);
    return true;
}

/* Check one LimitRange and move it to l->limitranges (a List's items are
 * taken one by one). Prints the error. */
static bool take_limitrange(const mutate_opts *o, loaded *l, cJSON *parent, cJSON *doc,
                            size_t index)
{
    const char *kind = workload_kind(doc);
    limitrange_bounds scratch;
    snug_err err;

    if (workload_is_list(doc)) {
        cJSON *items = cJSON_GetObjectItemCaseSensitive(doc, "items"), *item, *next;

        for (item = cJSON_IsArray(items) ? items->child : NULL; item != NULL; item = next) {
            next = item->next;
            if (!take_limitrange(o, l, items, item, index))
                return false;
        }
        return true;
    }
    if (kind == NULL || strcmp(kind, "LimitRange") != 0) {
        fprintf(stderr, PROG ": %s: document %zu: kind %s is not a LimitRange\n",
                display_name(o->limitrange), index, kind ? kind : "(none)");
        return false;
    }
    snug_err_clear(&err);
    limitrange_bounds_init(&scratch);
    if (limitrange_add(&scratch, doc, &err) != SNUG_OK) {
        fprintf(stderr, PROG ": %s: document %zu: %s\n", display_name(o->limitrange), index,
                err.msg);
        return false;
    }
    cJSON_AddItemToArray(l->limitranges, cJSON_DetachItemViaPointer(parent, doc));
    return true;
}

static bool load_limitranges(const mutate_opts *o, loaded *l)
{
    cJSON *docs = NULL, *doc, *next;
    size_t index = 0;
    bool ok = true;

    if (o->limitrange == NULL)
        return true;
    l->limitranges = cJSON_CreateArray();
    if (l->limitranges == NULL) {
        fprintf(stderr, PROG ": out of memory\n");
        return false;
    }
    if (!read_docs(o->limitrange, o->max_bytes, &docs))
        return false;
    for (doc = docs->child; doc != NULL && ok; doc = next) {
        next = doc->next;
        ok = take_limitrange(o, l, docs, doc, ++index);
    }
    cJSON_Delete(docs);
    return ok;
}

static bool load_namespace_labels(const mutate_opts *o, loaded *l)
{
    snug_err err;

    if (o->namespace_labels == NULL)
        return true;
    snug_err_clear(&err);
    if (labels_parse_kv(o->namespace_labels, &l->ns_labels, &err) != SNUG_OK) {
        fprintf(stderr, PROG ": --namespace-labels: %s\n", err.msg);
        return false;
    }
    return true;
}

static void loaded_free(loaded *l)
{
    policy_set_free(l->policies);
    rec_set_free(l->recs);
    cJSON_Delete(l->limitranges);
    cJSON_Delete(l->ns_labels);
}

/* The output may be larger than the input: JSON turned into indented block
 * YAML, fields added. Allow 16 times the inputs, at least OUT_MIN_MAX. */
static size_t output_max(size_t max_bytes, size_t n_inputs)
{
    size_t cap = SIZE_MAX / 2;

    if (max_bytes <= cap / 16 / n_inputs)
        cap = max_bytes * 16 * n_inputs;
    return cap < OUT_MIN_MAX ? OUT_MIN_MAX : cap;
}

static bool write_all(FILE *f, const dynbuf *b)
{
    if (dynbuf_len(b) > 0 && fwrite(dynbuf_str(b), 1, dynbuf_len(b), f) != dynbuf_len(b))
        return false;
    return fflush(f) == 0;
}

/* Render every input into out/warnings. Returns the exit status. */
static int run(const mutate_opts *o, const loaded *l, dynbuf *out, dynbuf *warnings)
{
    cli_mutate_config cfg;
    size_t i;

    memset(&cfg, 0, sizeof(cfg));
    cfg.policies = l->policies;
    cfg.recs = l->recs;
    cfg.limitranges = l->limitranges;
    cfg.namespace = o->namespace;
    cfg.namespace_labels = l->ns_labels;
    for (i = 0; i < o->n_inputs; i++) {
        cJSON *docs = NULL;
        snug_err err;
        snug_status st;

        if (!read_docs(o->inputs[i], o->max_bytes, &docs))
            return 1;
        cfg.source = display_name(o->inputs[i]);
        snug_err_clear(&err);
        st = cli_mutate_render(&cfg, docs, o->diff, out, warnings, &err);
        cJSON_Delete(docs);
        if (st != SNUG_OK) {
            fprintf(stderr, PROG ": %s\n", err.msg);
            return 1;
        }
    }
    return 0;
}

int cli_mutate_main(int argc, char **argv)
{
    mutate_opts o;
    loaded l;
    dynbuf out, warnings;
    int rc;

    rc = parse_args(argc, argv, &o);
    if (rc >= 0)
        return rc;
    set_log_level();
    memset(&l, 0, sizeof(l));
    dynbuf_init(&out, output_max(o.max_bytes, o.n_inputs));
    dynbuf_init(&warnings, WARNINGS_MAX);
    rc = 1;
    if (!load_namespace_labels(&o, &l)) {
        usage(stderr);
        rc = 2;
        goto out;
    }
    if (!load_policies(&o, &l) || !load_recommendations(&o, &l) || !load_limitranges(&o, &l))
        goto out;
    rc = run(&o, &l, &out, &warnings);
    /* Warnings first, so they show even when the output goes to a pager. */
    if (!write_all(stderr, &warnings))
        rc = 1;
    if (rc == 0 && !write_all(stdout, &out)) {
        fprintf(stderr, PROG ": writing the output: %s\n", strerror(errno));
        rc = 1;
    }
out:
    loaded_free(&l);
    dynbuf_free(&out);
    dynbuf_free(&warnings);
    return rc;
}

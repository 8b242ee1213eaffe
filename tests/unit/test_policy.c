/* Unit tests for policy: parsing, validation, defaults, per-container
 * overrides, the policy set and winner selection, durations, timestamps. */
#include <cjson/cJSON.h>

#include "model/duration.h"
#include "model/policy.h"
#include "base/status.h"
#include "test.h"
#include "yaml/yamljson.h"

#define MAX_YAML (1 << 20)
#define HDR      "apiVersion: snug.dev/v1alpha1\nkind: SizingPolicy\nmetadata: {name: web}\n"

/* ---- helpers ----------------------------------------------------------- */

static cJSON *yaml_doc(const char *text)
{
    cJSON *doc = NULL;
    snug_err err;

    snug_err_clear(&err);
    if (yaml_parse_one(text, strlen(text), MAX_YAML, &doc, &err) != SNUG_OK) {
        T_FAIL("yaml: %s", err.msg);
        return NULL;
    }
    return doc;
}

/* "@file.yaml" loads tests/data/policy/file.yaml (its first document), else
 * the text is YAML. */
static cJSON *load_src(const char *src)
{
    char path[512];
    cJSON *docs = NULL, *doc;
    snug_err err;

    if (src[0] != '@')
        return yaml_doc(src);
    snprintf(path, sizeof(path), "%s/policy/%s", SNUG_TEST_DATA, src + 1);
    snug_err_clear(&err);
    if (yaml_parse_file(path, MAX_YAML, &docs, &err) != SNUG_OK) {
        T_FAIL("%s", err.msg);
        return NULL;
    }
    doc = cJSON_DetachItemFromArray(docs, 0);
    cJSON_Delete(docs);
    return doc;
}

static cJSON *load_stream(const char *file, snug_err *err)
{
    char path[512];
    cJSON *docs = NULL;

    snprintf(path, sizeof(path), "%s/policy/%s", SNUG_TEST_DATA, file);
    if (yaml_parse_file(path, MAX_YAML, &docs, err) != SNUG_OK)
        T_FAIL("%s", err->msg);
    return docs;
}

static void amount(int64_t v, char *b, size_t cap)
{
    if (v == RES_UNSET)
        snprintf(b, cap, "unset");
    else
        snprintf(b, cap, "%lld", (long long)v);
}

static void rule(const limit_rule *r, char *b, size_t cap)
{
    if (r->strategy == LIMIT_RATIO)
        snprintf(b, cap, "Ratio:%g", r->ratio);
    else
        snprintf(b, cap, "%s", limit_strategy_name(r->strategy));
}

/* Render one field of a parsed policy as a string, by a short name. */
static void render(const policy *p, const char *f, char *b, size_t cap)
{
    const policy_resources *r = &p->resources;
    const policy_recommender *rc = &p->recommender;
    const policy_probes *pr = &p->probes;
    size_t i, used = 0;

    snprintf(b, cap, "?unknown field %s", f);
    if (!strcmp(f, "name"))
        snprintf(b, cap, "%s", p->name);
    else if (!strcmp(f, "priority"))
        snprintf(b, cap, "%lld", (long long)p->priority);
    else if (!strcmp(f, "created"))
        snprintf(b, cap, "%lld", (long long)p->created);
    else if (!strcmp(f, "mode"))
        snprintf(b, cap, "%s", policy_mode_name(p->mode));
    else if (!strcmp(f, "nsSelector"))
        snprintf(b, cap, "%s", p->namespace_selector ? "set" : "all");
    else if (!strcmp(f, "selector"))
        snprintf(b, cap, "%s", p->selector ? "set" : "all");
    else if (!strcmp(f, "apply"))
        snprintf(b, cap, "%s", resources_apply_name(r->apply));
    else if (!strcmp(f, "req.cpu"))
        amount(r->default_requests.cpu_milli, b, cap);
    else if (!strcmp(f, "req.mem"))
        amount(r->default_requests.mem_bytes, b, cap);
    else if (!strcmp(f, "lim.cpu"))
        amount(r->default_limits.cpu_milli, b, cap);
    else if (!strcmp(f, "lim.mem"))
        amount(r->default_limits.mem_bytes, b, cap);
    else if (!strcmp(f, "min.cpu"))
        amount(r->min_allowed.cpu_milli, b, cap);
    else if (!strcmp(f, "min.mem"))
        amount(r->min_allowed.mem_bytes, b, cap);
    else if (!strcmp(f, "max.cpu"))
        amount(r->max_allowed.cpu_milli, b, cap);
    else if (!strcmp(f, "max.mem"))
        amount(r->max_allowed.mem_bytes, b, cap);
    else if (!strcmp(f, "cpuLimit"))
        rule(&r->cpu_limit, b, cap);
    else if (!strcmp(f, "memoryLimit"))
        rule(&r->memory_limit, b, cap);
    else if (!strcmp(f, "window"))
        snprintf(b, cap, "%lld", (long long)rc->window_seconds);
    else if (!strcmp(f, "cpuPct"))
        snprintf(b, cap, "%g", rc->cpu_percentile);
    else if (!strcmp(f, "memPct"))
        snprintf(b, cap, "%g", rc->memory_percentile);
    else if (!strcmp(f, "margin"))
        snprintf(b, cap, "%g", rc->safety_margin);
    else if (!strcmp(f, "minHistory"))
        snprintf(b, cap, "%lld", (long long)rc->min_history_seconds);
    else if (!strcmp(f, "oomRatio"))
        snprintf(b, cap, "%g", rc->oom_bump_ratio);
    else if (!strcmp(f, "oomMin"))
        amount(rc->oom_bump_min_bytes, b, cap);
    else if (!strcmp(f, "inject"))
        snprintf(b, cap, "%s", probes_inject_name(pr->inject));
    else if (!strcmp(f, "ports")) {
        b[0] = '\0';
        for (i = 0; i < pr->n_port_names && used < cap; i++)
            used += (size_t)snprintf(b + used, cap - used, "%s%s", i ? "," : "", pr->port_names[i]);
    } else if (!strcmp(f, "liveness"))
        snprintf(b, cap, "%s", pr->liveness_path ? pr->liveness_path : "(null)");
    else if (!strcmp(f, "readiness"))
        snprintf(b, cap, "%s", pr->readiness_path ? pr->readiness_path : "(null)");
    else if (!strcmp(f, "period"))
        snprintf(b, cap, "%d", pr->period_seconds);
    else if (!strcmp(f, "timeout"))
        snprintf(b, cap, "%d", pr->timeout_seconds);
    else if (!strcmp(f, "failure"))
        snprintf(b, cap, "%d", pr->failure_threshold);
    else if (!strcmp(f, "startup"))
        snprintf(b, cap, "%d", pr->startup_seconds);
    else if (!strcmp(f, "detect"))
        snprintf(b, cap, "%s", go_detect_name(p->go.detect));
    else if (!strcmp(f, "gomemlimitRatio"))
        snprintf(b, cap, "%g", p->go.gomemlimit_ratio);
    else if (!strcmp(f, "gomaxprocs"))
        snprintf(b, cap, "%s", gomaxprocs_mode_name(p->go.gomaxprocs));
    else if (!strcmp(f, "containers")) {
        b[0] = '\0';
        for (i = 0; i < p->n_containers && used < cap; i++) {
            const policy_container *c = &p->containers[i];
            used += (size_t)snprintf(b + used, cap - used, "%s%s[%s%s%s%s%s%s%s]", i ? "," : "",
                                     c->name, c->has_mode ? "M" : "", c->has_min ? "n" : "",
                                     c->has_max ? "x" : "", c->has_cpu_limit ? "C" : "",
                                     c->has_memory_limit ? "m" : "", c->has_probes ? "P" : "",
                                     c->has_go ? "G" : "");
        }
    }
}

typedef struct kv {
    const char *field, *want;
} kv;

#define MIB "1048576"

/* Every default, as the header documents them. */
static const kv default_values[] = {
    {"priority", "0"},
    {"created", "0"},
    {"mode", "Initial"},
    {"nsSelector", "all"},
    {"selector", "all"},
    {"apply", "IfMissing"},
    {"req.cpu", "50"},
    {"req.mem", "67108864"},
    {"lim.cpu", "unset"},
    {"lim.mem", "unset"},
    {"min.cpu", "10"},
    {"min.mem", "33554432"},
    {"max.cpu", "8000"},
    {"max.mem", "17179869184"},
    {"cpuLimit", "None"},
    {"memoryLimit", "Ratio:1"},
    {"window", "604800"},
    {"cpuPct", "0.9"},
    {"memPct", "1"},
    {"margin", "0.15"},
    {"minHistory", "86400"},
    {"oomRatio", "1.2"},
    {"oomMin", "104857600"},
    {"inject", "IfMissing"},
    {"ports", "health,http,metrics"},
    {"liveness", "(null)"},
    {"readiness", "(null)"},
    {"period", "10"},
    {"timeout", "2"},
    {"failure", "3"},
    {"startup", "300"},
    {"detect", "Auto"},
    {"gomemlimitRatio", "0.9"},
    {"gomaxprocs", "WhenNoCPULimit"},
    {"containers", ""},
};

static void check_fields(const policy *p, const kv *want, size_t n)
{
    char got[512];
    size_t i;

    for (i = 0; i < n && want[i].field != NULL; i++) {
        render(p, want[i].field, got, sizeof(got));
        if (strcmp(got, want[i].want) != 0)
            T_FAIL("field %s == \"%s\", want \"%s\"", want[i].field, got, want[i].want);
        t_checks++;
    }
}

/* ---- tests ------------------------------------------------------------- */

static void test_policy_builtin_default(void)
{
    policy *p = policy_builtin_default();

    T_CASE("builtin");
    CHECK(p != NULL);
    if (p == NULL)
        return;
    CHECK_STR_EQ(p->name, "snug-default");
    check_fields(p, default_values, ARRAY_LEN(default_values));
    CHECK(policy_matches(p, NULL, NULL));
    policy_free(p);
}

static void test_policy_parse_valid(void)
{
    static const struct {
        const char *desc, *src;
        kv want[40];
    } cases[] = {
        {"full sketch",
         "@full.yaml",
         {{"name", "web"},
          {"priority", "10"},
          {"created", "1767323045"},
          {"mode", "Audit"},
          {"nsSelector", "set"},
          {"selector", "set"},
          {"apply", "Always"},
          {"req.cpu", "100"},
          {"req.mem", "134217728"},
          {"lim.cpu", "1000"},
          {"lim.mem", "268435456"},
          {"min.cpu", "20"},
          {"min.mem", "50331648"},
          {"max.cpu", "4000"},
          {"max.mem", "8589934592"},
          {"cpuLimit", "KeepRatio"},
          {"memoryLimit", "Ratio:1.5"},
          {"window", "1209600"},
          {"cpuPct", "0.95"},
          {"memPct", "0.99"},
          {"margin", "0.25"},
          {"minHistory", "216000"},
          {"oomRatio", "1.5"},
          {"oomMin", "209715200"},
          {"inject", "Never"},
          {"ports", "web,admin-http"},
          {"liveness", "/livez"},
          {"readiness", "/readyz"},
          {"period", "15"},
          {"timeout", "3"},
          {"failure", "5"},
          {"startup", "600"},
          {"detect", "Always"},
          {"gomemlimitRatio", "0.85"},
          {"gomaxprocs", "Always"},
          {"containers", "istio-proxy[M],app[nxCmPG],*[M]"}}},
        {"minimal", "@minimal.yaml", {{"name", "minimal"}}},
        {"mode Off (quoted)", HDR "spec: {mode: \"Off\"}", {{"mode", "Off"}}},
        {"mode Audit", HDR "spec: {mode: Audit}", {{"mode", "Audit"}}},
        {"mode Initial", HDR "spec: {mode: Initial}", {{"mode", "Initial"}}},
        {"apply IfMissing", HDR "spec: {resources: {apply: IfMissing}}", {{"apply", "IfMissing"}}},
        {"apply Always", HDR "spec: {resources: {apply: Always}}", {{"apply", "Always"}}},
        {"cpuLimit None",
         HDR "spec: {resources: {cpuLimit: {strategy: None}}}",
         {{"cpuLimit", "None"}, {"memoryLimit", "Ratio:1"}}},
        {"cpuLimit KeepRatio",
         HDR "spec: {resources: {cpuLimit: {strategy: KeepRatio}}}",
         {{"cpuLimit", "KeepRatio"}}},
        {"cpuLimit Ratio",
         HDR "spec: {resources: {cpuLimit: {strategy: Ratio, ratio: 3}}}",
         {{"cpuLimit", "Ratio:3"}}},
        {"memoryLimit Ratio 1.0 exactly",
         HDR "spec: {resources: {memoryLimit: {strategy: Ratio, ratio: 1.0}}}",
         {{"memoryLimit", "Ratio:1"}}},
        {"memoryLimit {} means None",
         HDR "spec: {resources: {memoryLimit: {}}}",
         {{"memoryLimit", "None"}}},
        {"inject IfMissing", HDR "spec: {probes: {inject: IfMissing}}", {{"inject", "IfMissing"}}},
        {"inject Never", HDR "spec: {probes: {inject: Never}}", {{"inject", "Never"}}},
        {"detect Auto", HDR "spec: {goRuntime: {detect: Auto}}", {{"detect", "Auto"}}},
        {"detect Always", HDR "spec: {goRuntime: {detect: Always}}", {{"detect", "Always"}}},
        {"detect Never", HDR "spec: {goRuntime: {detect: Never}}", {{"detect", "Never"}}},
        {"gomaxprocs WhenNoCPULimit",
         HDR "spec: {goRuntime: {gomaxprocs: WhenNoCPULimit}}",
         {{"gomaxprocs", "WhenNoCPULimit"}}},
        {"gomaxprocs Always",
         HDR "spec: {goRuntime: {gomaxprocs: Always}}",
         {{"gomaxprocs", "Always"}}},
        {"gomaxprocs Never",
         HDR "spec: {goRuntime: {gomaxprocs: Never}}",
         {{"gomaxprocs", "Never"}}},
        {"a given minAllowed replaces the default object",
         HDR "spec: {resources: {minAllowed: {cpu: 5m}}}",
         {{"min.cpu", "5"}, {"min.mem", "unset"}, {"max.cpu", "8000"}}},
        {"a given defaults.requests replaces the default object",
         HDR "spec: {resources: {defaults: {requests: {memory: 1Gi}}}}",
         {{"req.cpu", "unset"}, {"req.mem", "1073741824"}, {"lim.mem", "unset"}}},
        {"maxAllowed {} removes the upper bounds",
         HDR "spec: {resources: {maxAllowed: {}}}",
         {{"max.cpu", "unset"}, {"max.mem", "unset"}}},
        {"null means absent",
         HDR "spec: {mode: null, resources: null, priority: null, probes: {portNames: null}}",
         {{"mode", "Initial"}, {"apply", "IfMissing"}, {"ports", "health,http,metrics"}}},
        {"spec: null", HDR "spec: null", {{"mode", "Initial"}}},
        {"empty portNames", HDR "spec: {probes: {portNames: []}}", {{"ports", ""}}},
        {"eight portNames",
         HDR "spec: {probes: {portNames: [a, b, c, d, e, f, g, h1-x]}}",
         {{"ports", "a,b,c,d,e,f,g,h1-x"}}},
        {"empty path means unknown",
         HDR "spec: {probes: {paths: {liveness: \"\"}}}",
         {{"liveness", "(null)"}, {"readiness", "(null)"}}},
        {"negative priority", HDR "spec: {priority: -5}", {{"priority", "-5"}}},
        {"int32 max priority", HDR "spec: {priority: 2147483647}", {{"priority", "2147483647"}}},
        {"quantity forms",
         HDR "spec: {resources: {minAllowed: {cpu: \"0.0001\", memory: 1e3},"
             " maxAllowed: {cpu: \"1.5\", memory: 1.5Gi}}}",
         {{"min.cpu", "1"}, {"min.mem", "1000"}, {"max.cpu", "1500"}, {"max.mem", "1610612736"}}},
        {"tiny cpu rounds up to 1m",
         HDR "spec: {resources: {minAllowed: {cpu: 1n}}}",
         {{"min.cpu", "1"}, {"min.mem", "unset"}}},
        {"surrounding space is trimmed as Kubernetes does",
         HDR "spec: {resources: {minAllowed: {cpu: \" 20m \"}}}",
         {{"min.cpu", "20"}, {"min.mem", "unset"}}},
        {"zero quantities",
         HDR "spec: {resources: {minAllowed: {cpu: 0, memory: \"0\"}}}",
         {{"min.cpu", "0"}, {"min.mem", "0"}}},
        {"timestamp with offset",
         "apiVersion: snug.dev/v1alpha1\nkind: SizingPolicy\n"
         "metadata: {name: web, creationTimestamp: \"2026-01-02T05:04:05+02:00\"}\n",
         {{"created", "1767323045"}}},
        {"empty selectors match all",
         HDR "spec: {namespaceSelector: {}, selector: {matchLabels: {}}}",
         {{"nsSelector", "all"}, {"selector", "all"}}},
        {"durations",
         HDR "spec: {recommender: {window: 1h30m, minHistory: 0s}}",
         {{"window", "5400"}, {"minHistory", "0"}}},
        {"minHistory equal to window",
         HDR "spec: {recommender: {window: 2d, minHistory: 48h}}",
         {{"window", "172800"}, {"minHistory", "172800"}}},
        {"boundaries",
         HDR "spec: {recommender: {cpuPercentile: 1, safetyMargin: 10},"
             " goRuntime: {gomemlimitRatio: 1},"
             " probes: {startupSeconds: 3600, periodSeconds: 1}}",
         {{"cpuPct", "1"},
          {"margin", "10"},
          {"gomemlimitRatio", "1"},
          {"startup", "3600"},
          {"period", "1"}}},
        {"status and other metadata ignored",
         "apiVersion: snug.dev/v1alpha1\nkind: SizingPolicy\n"
         "metadata: {name: a.b-c, uid: x, labels: {a: b}, managedFields: []}\n"
         "status: {whatever: 1}\n",
         {{"name", "a.b-c"}}},
        {"override without mode",
         HDR "spec: {containers: [{name: app, probes: {inject: Never}}, {name: x, probes: {}}]}",
         {{"containers", "app[P],x[]"}}},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *doc;
        policy *p = NULL;
        snug_err err;
        snug_status st;

        T_CASE("%s", cases[i].desc);
        doc = load_src(cases[i].src);
        snug_err_clear(&err);
        st = policy_parse(doc, &p, &err);
        CHECK_INT_EQ(st, SNUG_OK);
        if (st != SNUG_OK) {
            T_FAIL("error: %s", err.msg);
        } else {
            /* Every row also checks that what it does not set stays default. */
            size_t j, k;
            for (j = 0; j < ARRAY_LEN(default_values); j++) {
                bool overridden = false;
                for (k = 0; k < ARRAY_LEN(cases[i].want) && cases[i].want[k].field; k++)
                    if (!strcmp(cases[i].want[k].field, default_values[j].field))
                        overridden = true;
                if (!overridden && i > 0)
                    check_fields(p, &default_values[j], 1);
            }
            check_fields(p, cases[i].want, ARRAY_LEN(cases[i].want));
        }
        policy_free(p);
        cJSON_Delete(doc);
    }
}

static void test_policy_parse_invalid(void)
{
    static const struct {
        const char *desc, *src, *err;
    } cases[] = {
        /* unknown fields, with their path */
        {"unknown top-level field", HDR "extra: 1", "SizingPolicy \"web\": extra: unknown field"},
        {"unknown spec field", HDR "spec: {prio: 1}",
         "SizingPolicy \"web\": spec.prio: unknown field (known: priority, namespaceSelector, "
         "selector, mode, resources, recommender, probes, goRuntime, containers)"},
        {"unknown resources field", HDR "spec: {resources: {apply: Always, limit: {}}}",
         "spec.resources.limit: unknown field"},
        {"unknown resource name", HDR "spec: {resources: {minAllowed: {cpu: 1m, gpu: 1}}}",
         "spec.resources.minAllowed.gpu: unknown field (known: cpu, memory)"},
        {"unknown defaults field", HDR "spec: {resources: {defaults: {request: {}}}}",
         "spec.resources.defaults.request: unknown field (known: requests, limits)"},
        {"unknown limit rule field", HDR "spec: {resources: {cpuLimit: {strategy: None, max: 2}}}",
         "spec.resources.cpuLimit.max: unknown field (known: strategy, ratio)"},
        {"unknown recommender field", HDR "spec: {recommender: {percentile: 0.9}}",
         "spec.recommender.percentile: unknown field"},
        {"unknown oomBump field", HDR "spec: {recommender: {oomBump: {max: 1Gi}}}",
         "spec.recommender.oomBump.max: unknown field (known: ratio, min)"},
        {"unknown probes field", HDR "spec: {probes: {path: /x}}",
         "spec.probes.path: unknown field"},
        {"unknown probe path", HDR "spec: {probes: {paths: {startup: /x}}}",
         "spec.probes.paths.startup: unknown field (known: liveness, readiness)"},
        {"unknown goRuntime field", HDR "spec: {goRuntime: {gogc: 100}}",
         "spec.goRuntime.gogc: unknown field (known: detect, gomemlimitRatio, gomaxprocs)"},
        {"unknown override field", HDR "spec: {containers: [{name: app, resources: {}}]}",
         "spec.containers[0].resources: unknown field"},
        {"unknown override probes field",
         HDR "spec: {containers: [{name: app, probes: {portNames: [http]}}]}",
         "spec.containers[0].probes.portNames: unknown field (known: inject)"},
        {"unknown override goRuntime field",
         HDR "spec: {containers: [{name: app, goRuntime: {gomaxprocs: Never}}]}",
         "spec.containers[0].goRuntime.gomaxprocs: unknown field (known: detect)"},
        {"enum value case", HDR "spec: {mode: initial}",
         "SizingPolicy \"web\": spec.mode: unsupported value \"initial\" (Off, Audit, Initial; "
         "values are case-sensitive: write \"Initial\")"},
        /* wrong types, each section */
        {"spec not an object", HDR "spec: [1]", "spec: must be an object, got array"},
        {"priority as string", HDR "spec: {priority: \"10\"}",
         "spec.priority: must be an integer, got string"},
        {"priority fractional", HDR "spec: {priority: 1.5}",
         "spec.priority: must be an integer, got 1.5"},
        {"priority beyond int32", HDR "spec: {priority: 3000000000}",
         "spec.priority: must be between -2147483648 and 2147483647, got 3000000000"},
        {"namespaceSelector not an object", HDR "spec: {namespaceSelector: \"a=b\"}",
         "spec.namespaceSelector: must be an object, got string"},
        {"selector not an object", HDR "spec: {selector: [app]}",
         "spec.selector: must be an object, got array"},
        {"mode as number", HDR "spec: {mode: 1}",
         "spec.mode: must be a string (Off, Audit, Initial), got number"},
        {"resources not an object", HDR "spec: {resources: x}",
         "spec.resources: must be an object, got string"},
        {"apply not a string", HDR "spec: {resources: {apply: [IfMissing]}}",
         "spec.resources.apply: must be a string (IfMissing, Always), got array"},
        {"defaults not an object", HDR "spec: {resources: {defaults: []}}",
         "spec.resources.defaults: must be an object, got array"},
        {"defaults.requests not an object", HDR "spec: {resources: {defaults: {requests: 1}}}",
         "spec.resources.defaults.requests: must be an object, got number"},
        {"quantity as object", HDR "spec: {resources: {minAllowed: {cpu: {}}}}",
         "spec.resources.minAllowed.cpu: must be a string or number, got object"},
        {"quantity as boolean", HDR "spec: {resources: {maxAllowed: {memory: true}}}",
         "spec.resources.maxAllowed.memory: must be a string or number, got boolean"},
        {"cpuLimit as string", HDR "spec: {resources: {cpuLimit: None}}",
         "spec.resources.cpuLimit: must be an object, got string"},
        {"ratio as string", HDR "spec: {resources: {memoryLimit: {strategy: Ratio, ratio: \"2\"}}}",
         "spec.resources.memoryLimit.ratio: must be a number, got string"},
        {"recommender not an object", HDR "spec: {recommender: 1}",
         "spec.recommender: must be an object, got number"},
        {"window as number", HDR "spec: {recommender: {window: 7}}",
         "spec.recommender.window: must be a string, got number"},
        {"percentile as string", HDR "spec: {recommender: {cpuPercentile: \"0.9\"}}",
         "spec.recommender.cpuPercentile: must be a number, got string"},
        {"oomBump not an object", HDR "spec: {recommender: {oomBump: 1.2}}",
         "spec.recommender.oomBump: must be an object, got number"},
        {"probes not an object", HDR "spec: {probes: []}",
         "spec.probes: must be an object, got array"},
        {"portNames not an array", HDR "spec: {probes: {portNames: http}}",
         "spec.probes.portNames: must be an array, got string"},
        {"portName not a string", HDR "spec: {probes: {portNames: [http, 8080]}}",
         "spec.probes.portNames[1]: must be a string, got number"},
        {"paths not an object", HDR "spec: {probes: {paths: /healthz}}",
         "spec.probes.paths: must be an object, got string"},
        {"path not a string", HDR "spec: {probes: {paths: {liveness: 1}}}",
         "spec.probes.paths.liveness: must be a string, got number"},
        {"periodSeconds as string", HDR "spec: {probes: {periodSeconds: \"10\"}}",
         "spec.probes.periodSeconds: must be an integer, got string"},
        {"goRuntime not an object", HDR "spec: {goRuntime: true}",
         "spec.goRuntime: must be an object, got boolean"},
        {"gomemlimitRatio as string", HDR "spec: {goRuntime: {gomemlimitRatio: \"90%\"}}",
         "spec.goRuntime.gomemlimitRatio: must be a number, got string"},
        {"containers not an array", HDR "spec: {containers: {name: app}}",
         "spec.containers: must be an array, got object"},
        {"container not an object", HDR "spec: {containers: [app]}",
         "spec.containers[0]: must be an object, got string"},
        {"container name not a string", HDR "spec: {containers: [{name: 1}]}",
         "spec.containers[0].name: must be a string, got number"},
        {"metadata not an object",
         "apiVersion: snug.dev/v1alpha1\nkind: SizingPolicy\nmetadata: [web]\n",
         "SizingPolicy: metadata: must be an object, got array"},
        {"name not a string",
         "apiVersion: snug.dev/v1alpha1\nkind: SizingPolicy\nmetadata: {name: 5}\n",
         "SizingPolicy: metadata.name: must be a string, got number"},
        {"creationTimestamp not a string",
         "apiVersion: snug.dev/v1alpha1\nkind: SizingPolicy\n"
         "metadata: {name: web, creationTimestamp: 5}\n",
         "SizingPolicy \"web\": metadata.creationTimestamp: must be a string, got number"},
        {"kind not a string", "apiVersion: snug.dev/v1alpha1\nkind: [x]\nmetadata: {name: web}\n",
         "kind: must be a string, got array"},
        /* bad quantities */
        {"bad quantity", HDR "spec: {resources: {minAllowed: {cpu: 1x}}}",
         "SizingPolicy \"web\": spec.resources.minAllowed.cpu: invalid quantity \"1x\": "},
        {"bad memory quantity", HDR "spec: {resources: {maxAllowed: {memory: 12Mb}}}",
         "spec.resources.maxAllowed.memory: invalid quantity \"12Mb\": "},
        {"bad default quantity", HDR "spec: {resources: {defaults: {limits: {memory: abc}}}}",
         "spec.resources.defaults.limits.memory: invalid quantity \"abc\": "},
        {"bad oomBump.min", HDR "spec: {recommender: {oomBump: {min: 1.2.3}}}",
         "spec.recommender.oomBump.min: invalid quantity \"1.2.3\": "},
        {"bad override quantity",
         HDR "spec: {containers: [{name: app, maxAllowed: {cpu: \"2 cores\"}}]}",
         "spec.containers[0].maxAllowed.cpu: invalid quantity \"2 cores\": "},
        {"empty quantity", HDR "spec: {resources: {minAllowed: {memory: \"\"}}}",
         "spec.resources.minAllowed.memory: invalid quantity \"\": "},
        {"negative quantity", HDR "spec: {resources: {minAllowed: {cpu: \"-1\"}}}",
         "spec.resources.minAllowed.cpu: must not be negative, got \"-1\""},
        {"negative number quantity", HDR "spec: {resources: {defaults: {requests: {memory: -5}}}}",
         "spec.resources.defaults.requests.memory: must not be negative, got \"-5\""},
        {"huge cpu quantity", HDR "spec: {resources: {maxAllowed: {cpu: 100E}}}",
         "spec.resources.maxAllowed.cpu: quantity \"100E\" is too large"},
        /* min > max */
        {"min cpu > max cpu", HDR "spec: {resources: {minAllowed: {cpu: 2}, maxAllowed: {cpu: 1}}}",
         "SizingPolicy \"web\": spec.resources.minAllowed.cpu: 2 is greater than maxAllowed.cpu 1"},
        {"min memory > max memory",
         HDR "spec: {resources: {minAllowed: {memory: 1Gi}, maxAllowed: {memory: 512Mi}}}",
         "spec.resources.minAllowed.memory: 1Gi is greater than maxAllowed.memory 512Mi"},
        {"default min > given max", HDR "spec: {resources: {maxAllowed: {cpu: 5m}}}",
         "spec.resources.minAllowed.cpu: 10m is greater than maxAllowed.cpu 5m"},
        {"default requests > limits",
         HDR "spec: {resources: {defaults: {requests: {memory: 1Gi}, limits: {memory: 512Mi}}}}",
         "spec.resources.defaults.requests.memory: 1Gi is greater than limits.memory 512Mi"},
        {"override min > policy max",
         HDR "spec: {resources: {maxAllowed: {cpu: 1}}, containers: [{name: app, minAllowed: "
             "{cpu: 2}}]}",
         "spec.containers[0].minAllowed.cpu: 2 is greater than spec.resources.maxAllowed.cpu 1"},
        {"override max < policy min",
         HDR "spec: {containers: [{name: app, maxAllowed: {memory: 16Mi}}]}",
         "spec.containers[0].maxAllowed.memory: 16Mi is less than spec.resources.minAllowed.memory "
         "32Mi"},
        {"override min > override max",
         HDR "spec: {containers: [{name: \"*\", minAllowed: {cpu: 2}, maxAllowed: {cpu: 1}}]}",
         "spec.containers[0].minAllowed.cpu: 2 is greater than maxAllowed.cpu 1"},
        {"second override checked",
         HDR "spec: {containers: [{name: a}, {name: b, minAllowed: {memory: 32Gi}}]}",
         "spec.containers[1].minAllowed.memory: 32Gi is greater than "
         "spec.resources.maxAllowed.memory 16Gi"},
        /* ratios */
        {"ratio < 1", HDR "spec: {resources: {memoryLimit: {strategy: Ratio, ratio: 0.5}}}",
         "spec.resources.memoryLimit.ratio: must be in [1, 1000], got 0.5"},
        {"Ratio without ratio", HDR "spec: {resources: {cpuLimit: {strategy: Ratio}}}",
         "spec.resources.cpuLimit.ratio: required when strategy is Ratio"},
        {"KeepRatio with ratio",
         HDR "spec: {resources: {cpuLimit: {strategy: KeepRatio, ratio: 2}}}",
         "spec.resources.cpuLimit.ratio: only allowed with strategy Ratio"},
        {"None with ratio", HDR "spec: {resources: {memoryLimit: {strategy: None, ratio: 1}}}",
         "spec.resources.memoryLimit.ratio: only allowed with strategy Ratio"},
        {"ratio without strategy", HDR "spec: {resources: {memoryLimit: {ratio: 2}}}",
         "spec.resources.memoryLimit.ratio: only allowed with strategy Ratio"},
        {"override ratio < 1",
         HDR "spec: {containers: [{name: app, cpuLimit: {strategy: Ratio, ratio: 0.9}}]}",
         "spec.containers[0].cpuLimit.ratio: must be in [1, 1000], got 0.9"},
        {"oomBump ratio < 1", HDR "spec: {recommender: {oomBump: {ratio: 0.5}}}",
         "spec.recommender.oomBump.ratio: must be in [1, 10], got 0.5"},
        /* percentiles and other ranges */
        {"cpuPercentile 0", HDR "spec: {recommender: {cpuPercentile: 0}}",
         "spec.recommender.cpuPercentile: must be in (0, 1], got 0"},
        {"memoryPercentile 1.5", HDR "spec: {recommender: {memoryPercentile: 1.5}}",
         "spec.recommender.memoryPercentile: must be in (0, 1], got 1.5"},
        {"cpuPercentile negative", HDR "spec: {recommender: {cpuPercentile: -0.5}}",
         "spec.recommender.cpuPercentile: must be in (0, 1], got -0.5"},
        {"safetyMargin negative", HDR "spec: {recommender: {safetyMargin: -0.1}}",
         "spec.recommender.safetyMargin: must be in [0, 10], got -0.1"},
        {"safetyMargin 11", HDR "spec: {recommender: {safetyMargin: 11}}",
         "spec.recommender.safetyMargin: must be in [0, 10], got 11"},
        {"gomemlimitRatio 0", HDR "spec: {goRuntime: {gomemlimitRatio: 0}}",
         "spec.goRuntime.gomemlimitRatio: must be in (0, 1], got 0"},
        {"gomemlimitRatio 1.01", HDR "spec: {goRuntime: {gomemlimitRatio: 1.01}}",
         "spec.goRuntime.gomemlimitRatio: must be in (0, 1], got 1.01"},
        /* durations */
        {"window 7x", HDR "spec: {recommender: {window: 7x}}",
         "SizingPolicy \"web\": spec.recommender.window: invalid duration \"7x\": unknown unit "
         "\"x\" (use d, h, m, s)"},
        {"window empty", HDR "spec: {recommender: {window: \"\"}}",
         "spec.recommender.window: invalid duration \"\": empty"},
        {"minHistory out of order", HDR "spec: {recommender: {minHistory: 1h1d}}",
         "spec.recommender.minHistory: invalid duration \"1h1d\": units must appear once each"},
        {"minHistory fractional", HDR "spec: {recommender: {minHistory: 1.5h}}",
         "spec.recommender.minHistory: invalid duration \"1.5h\": unknown unit \".\""},
        {"window 0s", HDR "spec: {recommender: {window: 0s}}",
         "spec.recommender.window: must be longer than 0s"},
        {"minHistory longer than window", HDR "spec: {recommender: {window: 7d, minHistory: 30d}}",
         "spec.recommender.minHistory: 30d is longer than window 7d"},
        {"default minHistory longer than window", HDR "spec: {recommender: {window: 12h}}",
         "spec.recommender.minHistory: 1d is longer than window 12h"},
        /* enums */
        {"bad mode", HDR "spec: {mode: Sometimes}",
         "spec.mode: unsupported value \"Sometimes\" (Off, Audit, Initial)"},
        {"unquoted Off", HDR "spec: {mode: Off}",
         "spec.mode: must be a string (Off, Audit, Initial), got boolean (YAML 1.1 tools read an "
         "unquoted Off as false: write \"Off\")"},
        {"bad apply", HDR "spec: {resources: {apply: ifmissing}}",
         "spec.resources.apply: unsupported value \"ifmissing\" (IfMissing, Always; values are "
         "case-sensitive: write \"IfMissing\")"},
        {"bad strategy", HDR "spec: {resources: {cpuLimit: {strategy: ratio, ratio: 2}}}",
         "spec.resources.cpuLimit.strategy: unsupported value \"ratio\""},
        {"bad inject", HDR "spec: {probes: {inject: Always}}",
         "spec.probes.inject: unsupported value \"Always\" (IfMissing, Never)"},
        {"bad detect", HDR "spec: {goRuntime: {detect: Yes please}}",
         "spec.goRuntime.detect: unsupported value \"Yes please\" (Auto, Always, Never)"},
        {"bad gomaxprocs", HDR "spec: {goRuntime: {gomaxprocs: WhenNoCpuLimit}}",
         "write \"WhenNoCPULimit\""},
        {"bad override mode", HDR "spec: {containers: [{name: app, mode: \"off\"}]}",
         "spec.containers[0].mode: unsupported value \"off\""},
        {"unquoted override Off", HDR "spec: {containers: [{name: app, mode: Off}]}",
         "spec.containers[0].mode: must be a string (Off, Audit, Initial), got boolean"},
        {"bad override inject", HDR "spec: {containers: [{name: app, probes: {inject: never}}]}",
         "spec.containers[0].probes.inject: unsupported value \"never\""},
        {"bad override detect", HDR "spec: {containers: [{name: app, goRuntime: {detect: 1}}]}",
         "spec.containers[0].goRuntime.detect: must be a string (Auto, Always, Never), got number"},
        /* container overrides */
        {"duplicate container", HDR "spec: {containers: [{name: app}, {name: app, mode: Audit}]}",
         "spec.containers[1].name: duplicate container \"app\" (first at spec.containers[0])"},
        {"two stars",
         HDR "spec: {containers: [{name: \"*\"}, {name: app}, {name: \"*\", mode: Audit}]}",
         "spec.containers[2].name: \"*\" given more than once (first at spec.containers[0])"},
        {"override without name", HDR "spec: {containers: [{mode: Audit}]}",
         "spec.containers[0].name: required"},
        {"override with empty name", HDR "spec: {containers: [{name: \"\"}]}",
         "spec.containers[0].name: required"},
        {"override with bad name", HDR "spec: {containers: [{name: App_1}]}",
         "spec.containers[0].name: \"App_1\" is not a valid container name"},
        {"override with wildcard prefix", HDR "spec: {containers: [{name: \"istio-*\"}]}",
         "spec.containers[0].name: \"istio-*\" is not a valid container name"},
        /* header */
        {"missing name", "apiVersion: snug.dev/v1alpha1\nkind: SizingPolicy\nmetadata: {}\n",
         "SizingPolicy: metadata.name: required"},
        {"missing metadata", "apiVersion: snug.dev/v1alpha1\nkind: SizingPolicy\n",
         "SizingPolicy: metadata.name: required"},
        {"empty name",
         "apiVersion: snug.dev/v1alpha1\nkind: SizingPolicy\nmetadata: {name: \"\"}\n",
         "SizingPolicy: metadata.name: required"},
        {"invalid name",
         "apiVersion: snug.dev/v1alpha1\nkind: SizingPolicy\nmetadata: {name: Web}\n",
         "SizingPolicy \"Web\": metadata.name: \"Web\" is not a valid name"},
        {"wrong apiVersion", "apiVersion: snug.dev/v1\nkind: SizingPolicy\nmetadata: {name: web}\n",
         "SizingPolicy \"web\": apiVersion: must be snug.dev/v1alpha1, got \"snug.dev/v1\""},
        {"missing apiVersion", "kind: SizingPolicy\nmetadata: {name: web}\n",
         "apiVersion: must be snug.dev/v1alpha1, got nothing"},
        {"wrong kind", "apiVersion: snug.dev/v1alpha1\nkind: Sizingpolicy\nmetadata: {name: web}\n",
         "SizingPolicy \"web\": kind: must be SizingPolicy, got \"Sizingpolicy\""},
        {"missing kind", "apiVersion: snug.dev/v1alpha1\nmetadata: {name: web}\n",
         "kind: must be SizingPolicy, got nothing"},
        {"bad creationTimestamp",
         "apiVersion: snug.dev/v1alpha1\nkind: SizingPolicy\n"
         "metadata: {name: web, creationTimestamp: yesterday}\n",
         "metadata.creationTimestamp: invalid timestamp \"yesterday\""},
        {"impossible creationTimestamp",
         "apiVersion: snug.dev/v1alpha1\nkind: SizingPolicy\n"
         "metadata: {name: web, creationTimestamp: \"2026-02-30T00:00:00Z\"}\n",
         "metadata.creationTimestamp: invalid timestamp \"2026-02-30T00:00:00Z\": date or time out "
         "of range"},
        {"not an object", "[1, 2]", "SizingPolicy: must be an object, got array"},
        /* probes */
        {"nine portNames", HDR "spec: {probes: {portNames: [a, b, c, d, e, f, g, h, i]}}",
         "spec.probes.portNames: at most 8 names, got 9"},
        {"upper-case portName", HDR "spec: {probes: {portNames: [HTTP]}}",
         "spec.probes.portNames[0]: \"HTTP\" is not a valid port name"},
        {"double dash portName", HDR "spec: {probes: {portNames: [http, my--port]}}",
         "spec.probes.portNames[1]: \"my--port\" is not a valid port name"},
        {"digits-only portName", HDR "spec: {probes: {portNames: [\"8080\"]}}",
         "spec.probes.portNames[0]: \"8080\" is not a valid port name"},
        {"long portName", HDR "spec: {probes: {portNames: [a-very-long-portname]}}",
         "spec.probes.portNames[0]: \"a-very-long-portname\" is not a valid port name"},
        {"leading dash portName", HDR "spec: {probes: {portNames: [-http]}}",
         "spec.probes.portNames[0]: \"-http\" is not a valid port name"},
        {"empty portName", HDR "spec: {probes: {portNames: [\"\"]}}",
         "spec.probes.portNames[0]: \"\" is not a valid port name"},
        {"duplicate portName", HDR "spec: {probes: {portNames: [http, http]}}",
         "spec.probes.portNames[1]: duplicate port name \"http\""},
        {"relative path", HDR "spec: {probes: {paths: {liveness: healthz}}}",
         "spec.probes.paths.liveness: must start with \"/\", got \"healthz\""},
        {"path with control char", HDR "spec: {probes: {paths: {readiness: \"/a\\tb\"}}}",
         "spec.probes.paths.readiness: must not contain control characters"},
        {"periodSeconds 0", HDR "spec: {probes: {periodSeconds: 0}}",
         "spec.probes.periodSeconds: must be between 1 and 3600, got 0"},
        {"timeoutSeconds -1", HDR "spec: {probes: {timeoutSeconds: -1}}",
         "spec.probes.timeoutSeconds: must be between 1 and 3600, got -1"},
        {"failureThreshold 0", HDR "spec: {probes: {failureThreshold: 0}}",
         "spec.probes.failureThreshold: must be between 1 and 1000, got 0"},
        {"startupSeconds 0", HDR "spec: {probes: {startupSeconds: 0}}",
         "spec.probes.startupSeconds: must be between 1 and 3600, got 0"},
        {"startupSeconds 3601", HDR "spec: {probes: {startupSeconds: 3601}}",
         "spec.probes.startupSeconds: must be between 1 and 3600, got 3601"},
        /* selectors are checked by the selector module, under our path */
        {"bad selector operator",
         HDR "spec: {namespaceSelector: {matchExpressions: [{key: a, operator: Like}]}}",
         "spec.namespaceSelector.matchExpressions[0].operator"},
        {"duplicate key (JSON)",
         "{\"apiVersion\":\"snug.dev/v1alpha1\",\"kind\":\"SizingPolicy\","
         "\"metadata\":{\"name\":\"web\"},\"spec\":{\"priority\":1,\"priority\":2}}",
         "SizingPolicy \"web\": spec.priority: duplicate field"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *doc;
        policy *p = (policy *)&p; /* must be reset to NULL */
        snug_err err;
        snug_status st;

        T_CASE("%s", cases[i].desc);
        /* The duplicate-key row goes through cJSON, which keeps both keys. */
        doc = cases[i].src[0] == '{' ? cJSON_Parse(cases[i].src) : yaml_doc(cases[i].src);
        CHECK(doc != NULL);
        snug_err_clear(&err);
        st = policy_parse(doc, &p, &err);
        CHECK_INT_EQ(st, SNUG_ERR_INVALID);
        CHECK(p == NULL);
        CHECK_STR_CONTAINS(err.msg, cases[i].err);
        if (st == SNUG_OK)
            policy_free(p);
        cJSON_Delete(doc);
    }
}

static void test_policy_too_many_containers(void)
{
    char buf[8192];
    size_t used;
    int i;
    cJSON *doc;
    policy *p = NULL;
    snug_err err;

    used = (size_t)snprintf(buf, sizeof(buf), HDR "spec:\n  containers:\n");
    for (i = 0; i < 33; i++)
        used += (size_t)snprintf(buf + used, sizeof(buf) - used, "  - {name: c%d}\n", i);
    doc = yaml_doc(buf);
    snug_err_clear(&err);
    CHECK_INT_EQ(policy_parse(doc, &p, &err), SNUG_ERR_INVALID);
    CHECK_STR_CONTAINS(err.msg, "spec.containers: at most 32 entries, got 33");
    cJSON_Delete(doc);
    /* 32 is fine. */
    buf[used - strlen("  - {name: c32}\n")] = '\0';
    doc = yaml_doc(buf);
    CHECK_INT_EQ(policy_parse(doc, &p, &err), SNUG_OK);
    CHECK_INT_EQ(p ? p->n_containers : 0, 32);
    policy_free(p);
    cJSON_Delete(doc);
}

/* ---- per-container resolution ------------------------------------------ */

static void cp_render(const container_policy *c, const char *f, char *b, size_t cap)
{
    snprintf(b, cap, "?%s", f);
    if (!strcmp(f, "mode"))
        snprintf(b, cap, "%s", policy_mode_name(c->mode));
    else if (!strcmp(f, "apply"))
        snprintf(b, cap, "%s", resources_apply_name(c->apply));
    else if (!strcmp(f, "req.cpu"))
        amount(c->default_requests.cpu_milli, b, cap);
    else if (!strcmp(f, "min.cpu"))
        amount(c->min_allowed.cpu_milli, b, cap);
    else if (!strcmp(f, "min.mem"))
        amount(c->min_allowed.mem_bytes, b, cap);
    else if (!strcmp(f, "max.cpu"))
        amount(c->max_allowed.cpu_milli, b, cap);
    else if (!strcmp(f, "max.mem"))
        amount(c->max_allowed.mem_bytes, b, cap);
    else if (!strcmp(f, "cpuLimit"))
        rule(&c->cpu_limit, b, cap);
    else if (!strcmp(f, "memoryLimit"))
        rule(&c->memory_limit, b, cap);
    else if (!strcmp(f, "inject"))
        snprintf(b, cap, "%s", probes_inject_name(c->probes_inject));
    else if (!strcmp(f, "detect"))
        snprintf(b, cap, "%s", go_detect_name(c->go_detect));
}

static void test_policy_for_container(void)
{
    static const char *const policies[] = {
        /* 0: exact names, a star, an override without mode */
        HDR "spec:\n"
            "  mode: Audit\n"
            "  resources: {apply: Always, maxAllowed: {cpu: 4, memory: 8Gi}}\n"
            "  containers:\n"
            "  - {name: istio-proxy, mode: \"Off\"}\n"
            "  - {name: \"*\", minAllowed: {cpu: 20m}, probes: {inject: Never}}\n"
            "  - {name: app, maxAllowed: {memory: 1Gi}, cpuLimit: {strategy: Ratio, ratio: 2}}\n"
            "  - {name: sidecar, goRuntime: {detect: Always}, memoryLimit: {strategy: None}}\n",
        /* 1: no overrides */
        HDR "spec: {mode: Initial}\n",
        /* 2: exact names only, no star */
        HDR "spec:\n  containers:\n  - {name: db, mode: \"Off\", minAllowed: {memory: 1Gi}}\n",
    };
    static const struct {
        int policy;
        const char *container;
        kv want[12];
    } cases[] = {
        {0,
         "istio-proxy",
         {{"mode", "Off"}, {"min.cpu", "10"}, {"inject", "IfMissing"}, {"apply", "Always"}}},
        {0,
         "app",
         {{"mode", "Audit"},
          {"max.mem", "1073741824"},
          {"max.cpu", "4000"},
          {"cpuLimit", "Ratio:2"},
          {"memoryLimit", "Ratio:1"},
          {"min.cpu", "10"},
          {"inject", "IfMissing"}}},
        {0,
         "worker",
         {{"mode", "Audit"},
          {"min.cpu", "20"},
          {"min.mem", "33554432"},
          {"inject", "Never"},
          {"detect", "Auto"},
          {"max.mem", "8589934592"}}},
        {0,
         "sidecar",
         {{"mode", "Audit"}, {"detect", "Always"}, {"memoryLimit", "None"}, {"min.cpu", "10"}}},
        {0, "App", {{"mode", "Audit"}, {"min.cpu", "20"}}}, /* names are case-sensitive */
        {0, NULL, {{"mode", "Audit"}, {"min.cpu", "20"}, {"inject", "Never"}}},
        {1,
         "app",
         {{"mode", "Initial"},
          {"min.cpu", "10"},
          {"max.cpu", "8000"},
          {"req.cpu", "50"},
          {"cpuLimit", "None"},
          {"memoryLimit", "Ratio:1"},
          {"detect", "Auto"}}},
        {2, "db", {{"mode", "Off"}, {"min.mem", "1073741824"}, {"min.cpu", "10"}}},
        {2, "web", {{"mode", "Initial"}, {"min.mem", "33554432"}}},
    };
    policy *ps[ARRAY_LEN(policies)] = {NULL};
    size_t i, j;
    snug_err err;

    for (i = 0; i < ARRAY_LEN(policies); i++) {
        cJSON *doc = yaml_doc(policies[i]);
        T_CASE("policy %zu", i);
        snug_err_clear(&err);
        CHECK_INT_EQ(policy_parse(doc, &ps[i], &err), SNUG_OK);
        if (ps[i] == NULL)
            T_FAIL("%s", err.msg);
        cJSON_Delete(doc);
    }
    for (i = 0; i < ARRAY_LEN(cases); i++) {
        container_policy cp;
        char got[128];

        T_CASE("policy %d container %s", cases[i].policy,
               cases[i].container ? cases[i].container : "(null)");
        if (ps[cases[i].policy] == NULL)
            continue;
        memset(&cp, 0xa5, sizeof(cp));
        policy_for_container(ps[cases[i].policy], cases[i].container, &cp);
        for (j = 0; j < ARRAY_LEN(cases[i].want) && cases[i].want[j].field; j++) {
            cp_render(&cp, cases[i].want[j].field, got, sizeof(got));
            if (strcmp(got, cases[i].want[j].want) != 0)
                T_FAIL("%s == \"%s\", want \"%s\"", cases[i].want[j].field, got,
                       cases[i].want[j].want);
            t_checks++;
        }
    }
    for (i = 0; i < ARRAY_LEN(policies); i++)
        policy_free(ps[i]);
}

/* ---- sets and selection ------------------------------------------------ */

static const char selection_policies[] =
    "apiVersion: snug.dev/v1alpha1\nkind: SizingPolicy\n"
    "metadata: {name: p-low, creationTimestamp: \"2026-01-01T00:00:00Z\"}\n"
    "---\n"
    "apiVersion: snug.dev/v1alpha1\nkind: SizingPolicy\n"
    "metadata: {name: p-ns, creationTimestamp: \"2026-03-01T00:00:00Z\"}\n"
    "spec: {priority: 10, namespaceSelector: {matchLabels: {snug.dev/enabled: \"true\"}}}\n"
    "---\n"
    "apiVersion: snug.dev/v1alpha1\nkind: SizingPolicy\n"
    "metadata: {name: p-ns-go, creationTimestamp: \"2026-02-01T00:00:00Z\"}\n"
    "spec: {priority: 10, namespaceSelector: {matchLabels: {snug.dev/enabled: \"true\"}},"
    " selector: {matchLabels: {lang: go}}}\n"
    "---\n"
    "apiVersion: snug.dev/v1alpha1\nkind: SizingPolicy\n"
    "metadata: {name: tie-b, creationTimestamp: \"2026-01-05T00:00:00Z\"}\n"
    "spec: {priority: 20, selector: {matchLabels: {tier: gold}}}\n"
    "---\n"
    "apiVersion: snug.dev/v1alpha1\nkind: SizingPolicy\n"
    "metadata: {name: tie-a, creationTimestamp: \"2026-01-05T00:00:00Z\"}\n"
    "spec: {priority: 20, selector: {matchLabels: {tier: gold}}}\n"
    "---\n"
    "apiVersion: snug.dev/v1alpha1\nkind: SizingPolicy\n"
    "metadata: {name: newer-a, creationTimestamp: \"2026-01-01T00:00:00Z\"}\n"
    "spec: {priority: 30, selector: {matchExpressions: [{key: team, operator: In, values: "
    "[pay]}]}}\n"
    "---\n"
    "apiVersion: snug.dev/v1alpha1\nkind: SizingPolicy\n"
    "metadata: {name: older-z, creationTimestamp: \"2025-12-01T00:00:00Z\"}\n"
    "spec: {priority: 30, selector: {matchExpressions: [{key: team, operator: In, values: "
    "[pay]}]}}\n"
    "---\n"
    "apiVersion: snug.dev/v1alpha1\nkind: SizingPolicy\n"
    "metadata: {name: system}\n"
    "spec: {priority: -1, namespaceSelector: {matchExpressions: [{key: "
    "kubernetes.io/metadata.name, operator: In, values: [kube-system]}]}}\n";

static void test_policy_set_select(void)
{
    static const struct {
        const char *pod, *ns; /* JSON label objects; NULL = no labels */
        const char *want;     /* winner after step 1 */
        const char *want2;    /* winner once p-low is removed */
    } cases[] = {
        {"{}", "{}", "p-low", NULL},
        {NULL, NULL, "p-low", NULL},
        {"{}", "{\"snug.dev/enabled\":\"true\"}", "p-ns", "p-ns"},
        {"{\"lang\":\"go\"}", "{\"snug.dev/enabled\":\"true\"}", "p-ns-go", "p-ns-go"},
        {"{\"lang\":\"go\"}", "{\"snug.dev/enabled\":\"false\"}", "p-low", NULL},
        {"{\"lang\":\"go\"}", NULL, "p-low", NULL},
        {"{\"tier\":\"gold\"}", "{}", "tie-a", "tie-a"},
        {"{\"tier\":\"gold\",\"team\":\"pay\"}", "{}", "older-z", "older-z"},
        {"{\"team\":\"pay\"}", "{\"snug.dev/enabled\":\"true\"}", "older-z", "older-z"},
        {"{\"team\":\"shop\"}", "{\"snug.dev/enabled\":\"true\"}", "p-ns", "p-ns"},
        {"{}", "{\"kubernetes.io/metadata.name\":\"kube-system\"}", "p-low", "system"},
    };
    cJSON *docs = NULL;
    policy_set *s = NULL;
    snug_err err;
    size_t i, step;

    snug_err_clear(&err);
    CHECK_INT_EQ(
        yaml_parse_stream(selection_policies, strlen(selection_policies), MAX_YAML, &docs, &err),
        SNUG_OK);
    CHECK_INT_EQ(policy_set_load(docs, &s, &err), SNUG_OK);
    if (s == NULL) {
        T_FAIL("%s", err.msg);
        cJSON_Delete(docs);
        return;
    }
    CHECK_INT_EQ(policy_set_count(s), 8);
    for (step = 0; step < 2; step++) {
        if (step == 1)
            CHECK_INT_EQ(policy_set_remove(s, "p-low"), SNUG_OK);
        for (i = 0; i < ARRAY_LEN(cases); i++) {
            cJSON *pod = cases[i].pod ? cJSON_Parse(cases[i].pod) : NULL;
            cJSON *ns = cases[i].ns ? cJSON_Parse(cases[i].ns) : NULL;
            const policy *p = policy_set_select(s, pod, ns);
            const char *want = step == 0 ? cases[i].want : cases[i].want2;

            T_CASE("step %zu pod %s ns %s", step, cases[i].pod ? cases[i].pod : "-",
                   cases[i].ns ? cases[i].ns : "-");
            CHECK_STR_EQ(p ? p->name : NULL, want);
            cJSON_Delete(pod);
            cJSON_Delete(ns);
        }
    }
    policy_set_free(s);
    cJSON_Delete(docs);
}

static policy *named(const char *name, int priority)
{
    char buf[256];
    cJSON *doc;
    policy *p = NULL;

    snprintf(buf, sizeof(buf),
             "apiVersion: snug.dev/v1alpha1\nkind: SizingPolicy\nmetadata: {name: %s}\n"
             "spec: {priority: %d}\n",
             name, priority);
    doc = yaml_doc(buf);
    if (policy_parse(doc, &p, NULL) != SNUG_OK)
        T_FAIL("parse %s", name);
    cJSON_Delete(doc);
    return p;
}

static void test_policy_set_add_remove(void)
{
    policy_set *s = policy_set_new();

    CHECK(s != NULL);
    CHECK_INT_EQ(policy_set_count(s), 0);
    CHECK(policy_set_select(s, NULL, NULL) == NULL);
    CHECK_INT_EQ(policy_set_add(s, named("a", 1)), SNUG_OK);
    CHECK_INT_EQ(policy_set_add(s, named("b", 2)), SNUG_OK);
    CHECK_INT_EQ(policy_set_count(s), 2);
    CHECK_STR_EQ(policy_set_select(s, NULL, NULL)->name, "b");
    /* Replacing by name keeps one entry and takes the new values. */
    CHECK_INT_EQ(policy_set_add(s, named("a", 5)), SNUG_OK);
    CHECK_INT_EQ(policy_set_count(s), 2);
    CHECK_INT_EQ(policy_set_find(s, "a")->priority, 5);
    CHECK_STR_EQ(policy_set_select(s, NULL, NULL)->name, "a");
    CHECK_STR_EQ(policy_set_at(s, 0)->name, "a");
    CHECK(policy_set_at(s, 2) == NULL);
    CHECK_INT_EQ(policy_set_remove(s, "zzz"), SNUG_ERR_NOT_FOUND);
    CHECK_INT_EQ(policy_set_remove(s, "a"), SNUG_OK);
    CHECK_INT_EQ(policy_set_remove(s, "a"), SNUG_ERR_NOT_FOUND);
    CHECK(policy_set_find(s, "a") == NULL);
    CHECK_STR_EQ(policy_set_at(s, 0)->name, "b");
    CHECK_INT_EQ(policy_set_count(s), 1);
    CHECK_INT_EQ(policy_set_add(s, NULL), SNUG_ERR_INVALID);
    /* Adding the very object again is a no-op, not a free. */
    CHECK_INT_EQ(policy_set_add(s, (policy *)policy_set_find(s, "b")), SNUG_OK);
    CHECK_INT_EQ(policy_set_count(s), 1);
    CHECK_STR_EQ(policy_set_find(s, "b")->name, "b");
    policy_set_free(s);
    policy_set_free(NULL);
}

static void test_policy_set_load_files(void)
{
    static const struct {
        const char *file;
        snug_status want;
        const char *names; /* on success: names in order */
        const char *err;   /* on failure */
    } cases[] = {
        {"full.yaml", SNUG_OK, "web", NULL},
        {"minimal.yaml", SNUG_OK, "minimal", NULL},
        {"multi.yaml", SNUG_OK, "default-all,opted-in,go-services", NULL},
        {"list.yaml", SNUG_OK, "a,b,c", NULL},
        {"invalid-doc2.yaml", SNUG_ERR_INVALID, NULL,
         "document 2: SizingPolicy \"bad\": spec.resources.minAllowed.cpu: invalid quantity "
         "\"1x\": "},
        {"invalid-list-item.yaml", SNUG_ERR_INVALID, NULL,
         "document 1: items[1]: SizingPolicy \"broken\": spec.recommender.window: invalid "
         "duration \"7x\""},
        {"invalid-duplicate.yaml", SNUG_ERR_INVALID, NULL,
         "document 2: SizingPolicy \"twice\" is defined more than once"},
        {"invalid-kind.yaml", SNUG_ERR_INVALID, NULL,
         "document 2: SizingPolicy \"web\": kind: must be SizingPolicy, got \"Deployment\""},
        {"invalid-unquoted-off.yaml", SNUG_ERR_INVALID, NULL,
         "document 1: SizingPolicy \"off-by-accident\": spec.mode: must be a string (Off, Audit, "
         "Initial), got boolean"},
        {"invalid-not-object.yaml", SNUG_ERR_INVALID, NULL,
         "document 1: SizingPolicy: must be an object, got array"},
    };
    size_t i, j;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        snug_err err;
        cJSON *docs;
        policy_set *s = (policy_set *)&s;
        snug_status st;

        T_CASE("%s", cases[i].file);
        snug_err_clear(&err);
        docs = load_stream(cases[i].file, &err);
        st = policy_set_load(docs, &s, &err);
        CHECK_INT_EQ(st, cases[i].want);
        if (st == SNUG_OK) {
            char got[256] = "";
            size_t used = 0;
            for (j = 0; j < policy_set_count(s); j++)
                used += (size_t)snprintf(got + used, sizeof(got) - used, "%s%s", j ? "," : "",
                                         policy_set_at(s, j)->name);
            CHECK_STR_EQ(got, cases[i].names);
            policy_set_free(s);
        } else {
            CHECK(s == NULL);
            CHECK_STR_CONTAINS(err.msg, cases[i].err);
        }
        cJSON_Delete(docs);
    }
}

static void test_policy_set_load_shapes(void)
{
    cJSON *docs = cJSON_CreateObject();
    policy_set *s = NULL;
    snug_err err;

    snug_err_clear(&err);
    CHECK_INT_EQ(policy_set_load(docs, &s, &err), SNUG_ERR_INVALID);
    CHECK_STR_CONTAINS(err.msg, "must be an array, got object");
    cJSON_Delete(docs);
    docs = cJSON_CreateArray();
    CHECK_INT_EQ(policy_set_load(docs, &s, &err), SNUG_OK);
    CHECK_INT_EQ(policy_set_count(s), 0);
    policy_set_free(s);
    cJSON_Delete(docs);
    /* A List whose items is not an array. */
    docs = cJSON_Parse("[{\"kind\":\"List\",\"items\":{}}]");
    CHECK_INT_EQ(policy_set_load(docs, &s, &err), SNUG_ERR_INVALID);
    CHECK_STR_CONTAINS(err.msg, "document 1: items: must be an array, got object");
    cJSON_Delete(docs);
    /* With a NULL err the status still comes back. */
    docs = cJSON_Parse("[{\"kind\":\"List\",\"items\":[{\"kind\":\"SizingPolicy\"}]}]");
    CHECK_INT_EQ(policy_set_load(docs, &s, NULL), SNUG_ERR_INVALID);
    CHECK(s == NULL);
    cJSON_Delete(docs);
}

/* ---- durations and timestamps ------------------------------------------ */

static void test_duration_parse(void)
{
    static const struct {
        const char *in;
        snug_status want;
        long long secs;
        const char *err;
    } cases[] = {
        {"90s", SNUG_OK, 90, NULL},
        {"30m", SNUG_OK, 1800, NULL},
        {"24h", SNUG_OK, 86400, NULL},
        {"7d", SNUG_OK, 604800, NULL},
        {"1h30m", SNUG_OK, 5400, NULL},
        {"1d2h3m4s", SNUG_OK, 93784, NULL},
        {"1d4s", SNUG_OK, 86404, NULL},
        {"0s", SNUG_OK, 0, NULL},
        {"000m", SNUG_OK, 0, NULL},
        {"106751991167300d", SNUG_OK, 9223372036854720000LL, NULL},
        {"9223372036854775807s", SNUG_OK, 9223372036854775807LL, NULL},
        {"7x", SNUG_ERR_INVALID, 0, "invalid duration \"7x\": unknown unit \"x\" (use d, h, m, s)"},
        {"", SNUG_ERR_INVALID, 0, "invalid duration \"\": empty"},
        {NULL, SNUG_ERR_INVALID, 0, "invalid duration \"\": empty"},
        {"7", SNUG_ERR_INVALID, 0, "invalid duration \"7\": missing unit"},
        {"h", SNUG_ERR_INVALID, 0, "invalid duration \"h\": expected a number"},
        {"1h1d", SNUG_ERR_INVALID, 0, "units must appear once each, in the order d, h, m, s"},
        {"1h1h", SNUG_ERR_INVALID, 0, "units must appear once each"},
        {"-1s", SNUG_ERR_INVALID, 0, "expected a number"},
        {"+1s", SNUG_ERR_INVALID, 0, "expected a number"},
        {"1.5h", SNUG_ERR_INVALID, 0, "unknown unit \".\""},
        {" 1h", SNUG_ERR_INVALID, 0, "expected a number"},
        {"1h ", SNUG_ERR_INVALID, 0, "expected a number"},
        {"1 h", SNUG_ERR_INVALID, 0, "unknown unit \" \""},
        {"1ms", SNUG_ERR_INVALID, 0, "expected a number"},
        {"1w", SNUG_ERR_INVALID, 0, "unknown unit \"w\""},
        {"1H", SNUG_ERR_INVALID, 0, "unknown unit \"H\""},
        {"1h\n", SNUG_ERR_INVALID, 0, "expected a number"},
        {"1\x01", SNUG_ERR_INVALID, 0, "unknown unit (use d, h, m, s)"},
        {"106751991167301d", SNUG_ERR_RANGE, 0, "too large"},
        {"106751991167300d55808s", SNUG_ERR_RANGE, 0, "too large"},
        {"9223372036854775808s", SNUG_ERR_RANGE, 0, "too large"},
        {"99999999999999999999999s", SNUG_ERR_RANGE, 0, "too large"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        int64_t secs = -42;
        snug_err err;

        T_CASE("%s", cases[i].in ? cases[i].in : "(null)");
        snug_err_clear(&err);
        CHECK_INT_EQ(duration_parse(cases[i].in, &secs, &err), cases[i].want);
        if (cases[i].want == SNUG_OK) {
            CHECK_INT_EQ(secs, cases[i].secs);
        } else {
            CHECK_INT_EQ(secs, -42);
            CHECK_STR_CONTAINS(err.msg, cases[i].err);
        }
    }
}

static void test_duration_format(void)
{
    static const struct {
        long long secs;
        const char *want;
    } cases[] = {
        {0, "0s"},
        {-5, "0s"},
        {59, "59s"},
        {90, "1m30s"},
        {3600, "1h"},
        {5400, "1h30m"},
        {86400, "1d"},
        {604800, "7d"},
        {93784, "1d2h3m4s"},
        {86404, "1d4s"},
        {9223372036854775807LL, "106751991167300d15h30m7s"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        char buf[DURATION_STR_MAX];
        int64_t back = -1;

        T_CASE("%lld", cases[i].secs);
        duration_format(cases[i].secs, buf, sizeof(buf));
        CHECK_STR_EQ(buf, cases[i].want);
        CHECK_INT_EQ(duration_parse(buf, &back, NULL), SNUG_OK);
        CHECK_INT_EQ(back, cases[i].secs < 0 ? 0 : cases[i].secs);
    }
}

static void test_rfc3339(void)
{
    static const struct {
        const char *in;
        snug_status want;
        long long epoch;
        const char *canon; /* rfc3339_format of the result, when OK */
    } cases[] = {
        {"1970-01-01T00:00:00Z", SNUG_OK, 0, "1970-01-01T00:00:00Z"},
        {"2026-01-02T03:04:05Z", SNUG_OK, 1767323045, "2026-01-02T03:04:05Z"},
        {"2026-01-02T03:04:05.123456Z", SNUG_OK, 1767323045, "2026-01-02T03:04:05Z"},
        {"2026-01-02T05:04:05+02:00", SNUG_OK, 1767323045, "2026-01-02T03:04:05Z"},
        {"2026-01-01T22:04:05-05:00", SNUG_OK, 1767323045, "2026-01-02T03:04:05Z"},
        {"2026-01-02t03:04:05z", SNUG_OK, 1767323045, "2026-01-02T03:04:05Z"},
        {"2024-02-29T00:00:00Z", SNUG_OK, 1709164800, "2024-02-29T00:00:00Z"},
        {"2000-02-29T12:00:00Z", SNUG_OK, 951825600, "2000-02-29T12:00:00Z"},
        {"1969-12-31T23:59:59Z", SNUG_OK, -1, "1969-12-31T23:59:59Z"},
        {"0001-01-01T00:00:00Z", SNUG_OK, -62135596800LL, "0001-01-01T00:00:00Z"},
        {"9999-12-31T23:59:59Z", SNUG_OK, 253402300799LL, "9999-12-31T23:59:59Z"},
        {"2023-02-29T00:00:00Z", SNUG_ERR_INVALID, 0, NULL},
        {"2100-02-29T00:00:00Z", SNUG_ERR_INVALID, 0, NULL},
        {"2026-04-31T00:00:00Z", SNUG_ERR_INVALID, 0, NULL},
        {"2026-13-01T00:00:00Z", SNUG_ERR_INVALID, 0, NULL},
        {"2026-00-01T00:00:00Z", SNUG_ERR_INVALID, 0, NULL},
        {"2026-01-00T00:00:00Z", SNUG_ERR_INVALID, 0, NULL},
        {"2026-01-02T24:00:00Z", SNUG_ERR_INVALID, 0, NULL},
        {"2026-01-02T03:60:00Z", SNUG_ERR_INVALID, 0, NULL},
        {"2026-01-02T03:04:60Z", SNUG_ERR_INVALID, 0, NULL},
        {"2026-01-02 03:04:05Z", SNUG_ERR_INVALID, 0, NULL},
        {"2026-01-02T03:04:05", SNUG_ERR_INVALID, 0, NULL},
        {"2026-1-2T03:04:05Z", SNUG_ERR_INVALID, 0, NULL},
        {"2026-01-02T03:04:05.Z", SNUG_ERR_INVALID, 0, NULL},
        {"2026-01-02T03:04:05+0200", SNUG_ERR_INVALID, 0, NULL},
        {"2026-01-02T03:04:05+24:00", SNUG_ERR_INVALID, 0, NULL},
        {"2026-01-02T03:04:05Zjunk", SNUG_ERR_INVALID, 0, NULL},
        {"2026-01-02", SNUG_ERR_INVALID, 0, NULL},
        {"", SNUG_ERR_INVALID, 0, NULL},
        {NULL, SNUG_ERR_INVALID, 0, NULL},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        int64_t epoch = 42;
        snug_err err;
        char buf[RFC3339_STR_MAX];

        T_CASE("%s", cases[i].in ? cases[i].in : "(null)");
        snug_err_clear(&err);
        CHECK_INT_EQ(rfc3339_parse(cases[i].in, &epoch, &err), cases[i].want);
        if (cases[i].want == SNUG_OK) {
            CHECK_INT_EQ(epoch, cases[i].epoch);
            rfc3339_format(epoch, buf, sizeof(buf));
            CHECK_STR_EQ(buf, cases[i].canon);
        } else {
            CHECK_INT_EQ(epoch, 42);
            CHECK_STR_CONTAINS(err.msg, "invalid timestamp");
        }
    }
}

static void test_enum_names(void)
{
    CHECK_STR_EQ(policy_mode_name(POLICY_MODE_OFF), "Off");
    CHECK_STR_EQ(policy_mode_name(POLICY_MODE_AUDIT), "Audit");
    CHECK_STR_EQ(policy_mode_name(POLICY_MODE_INITIAL), "Initial");
    CHECK_STR_EQ(policy_mode_name((policy_mode)7), "?");
    CHECK_STR_EQ(limit_strategy_name(LIMIT_NONE), "None");
    CHECK_STR_EQ(limit_strategy_name(LIMIT_KEEP_RATIO), "KeepRatio");
    CHECK_STR_EQ(limit_strategy_name(LIMIT_RATIO), "Ratio");
    CHECK_STR_EQ(resources_apply_name(APPLY_ALWAYS), "Always");
    CHECK_STR_EQ(probes_inject_name(PROBES_NEVER), "Never");
    CHECK_STR_EQ(go_detect_name(GO_DETECT_AUTO), "Auto");
    CHECK_STR_EQ(gomaxprocs_mode_name(GOMAXPROCS_WHEN_NO_CPU_LIMIT), "WhenNoCPULimit");
}

int main(void)
{
    RUN(test_policy_builtin_default);
    RUN(test_policy_parse_valid);
    RUN(test_policy_parse_invalid);
    RUN(test_policy_too_many_containers);
    RUN(test_policy_for_container);
    RUN(test_policy_set_select);
    RUN(test_policy_set_add_remove);
    RUN(test_policy_set_load_files);
    RUN(test_policy_set_load_shapes);
    RUN(test_duration_parse);
    RUN(test_duration_format);
    RUN(test_rfc3339);
    RUN(test_enum_names);
    return TEST_DONE();
}

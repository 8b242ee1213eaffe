/* mutate_goenv.c -- GOMEMLIMIT and GOMAXPROCS for Go containers.
 *
 * Go containers: goRuntime.detect Always; Never -> none; Auto -> the Pod
 * annotation snug.dev/runtime.<container>, else snug.dev/runtime ("go",
 * any case), else the recommendation's runtime.
 *  - GOMEMLIMIT = floor(memory limit x gomemlimitRatio) in Go's syntax
 *    (gosize_format), none without a memory limit;
 *  - GOMAXPROCS per goRuntime.gomaxprocs: with a CPU limit ceil(limit) (at
 *    least 1); without: the recommendation's go.gomaxprocs, else its CPU
 *    upper bound rounded up, at least 2; without either none: a request
 *    says nothing of what the program bursts to, and a GOMAXPROCS guessed
 *    from it would cap a busy service's parallelism (Go's own default, every
 *    CPU it may use, is then the safe choice).
 * The limits are the final ones (after this run's resources and the
 * LimitRange defaults). A variable named in `env` is never overwritten (with
 * a warning, unless it already holds the value snug would set); any
 * `envFrom` might set it, so it is skipped with a warning.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/decimal.h"
#include "model/gosize.h"
#include "webhook/mutate_goenv.h"

#define RUNTIME_ANNOTATION "snug.dev/runtime"
#define MIN_PROCS_NO_LIMIT 2

static bool is_go(const mut_ctx *x, const mut_container *mc)
{
    const char *v;

    if (mc->cp.go_detect == GO_DETECT_NEVER)
        return false;
    if (mc->cp.go_detect == GO_DETECT_ALWAYS)
        return true;
    v = mut_container_annotation(x, RUNTIME_ANNOTATION, mc->name);
    if (v == NULL)
        v = mut_annotation(x, RUNTIME_ANNOTATION);
    if (v != NULL)
        return strcasecmp(v, "go") == 0;
    return mc->rec != NULL && mc->rec->is_go;
}

/* The last `env` entry named `name`, or NULL. */
static const cJSON *env_entry(const cJSON *env, const char *name)
{
    const cJSON *e, *found = NULL;

    cJSON_ArrayForEach(e, env)
    {
        const cJSON *n = mut_get(e, "name");

        if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
            found = e;
    }
    return found;
}

static int64_t gomemlimit(const mut_ctx *x, const mut_container *mc)
{
    int64_t lim = mut_eff_lim(x, mc, MUT_MEM);

    if (mc->r[MUT_MEM].bad_lim || lim == RES_UNSET || lim <= 0)
        return 0;
    lim = mut_mul_ratio(lim, x->pol->go.gomemlimit_ratio, false);
    return lim > 0 ? lim : 0;
}

/* Whole cores, rounded up, without overflow for milli near INT64_MAX. */
static int64_t cores_up(int64_t milli)
{
    return milli <= 0 ? 0 : milli / 1000 + (milli % 1000 != 0);
}

static int64_t gomaxprocs(const mut_ctx *x, const mut_container *mc)
{
    int64_t lim = mut_eff_lim(x, mc, MUT_CPU), v;

    if (mc->r[MUT_CPU].bad_lim || x->pol->go.gomaxprocs == GOMAXPROCS_NEVER)
        return 0;
    if (lim != RES_UNSET) {
        if (x->pol->go.gomaxprocs == GOMAXPROCS_WHEN_NO_CPU_LIMIT)
            return 0;
        v = cores_up(lim);
        return v < 1 ? 1 : v;
    }
    if (mc->rec != NULL && mc->rec->gomaxprocs > 0)
        v = mc->rec->gomaxprocs;
    else if (mc->rec != NULL && mc->rec->upper_bound.cpu_milli != RES_UNSET)
        v = cores_up(mc->rec->upper_bound.cpu_milli);
    else
        return 0;
    return v < MIN_PROCS_NO_LIMIT ? MIN_PROCS_NO_LIMIT : v;
}

/* Warn about a user's GOMEMLIMIT that Go would refuse. */
static void check_user_gomemlimit(mut_ctx *x, const mut_container *mc, const cJSON *entry)
{
    const cJSON *v = mut_get(entry, "value");
    snug_err gerr;
    int64_t bytes;

    if (!cJSON_IsString(v) || gosize_parse_env(v->valuestring, &bytes, &gerr) == SNUG_OK)
        return;
    mut_warn(x,
             "container %s: env GOMEMLIMIT=\"%s\" is not valid for Go (%s); the program will "
             "not start",
             mc->name, v->valuestring, gerr.msg);
}

/* Does the env entry already hold what snug would set? The same text, or
 * for GOMEMLIMIT the same byte count ("900MiB" = "943718400B"). Such an entry
 * is left as is without a warning: a Pod rendered by `snug-webhook mutate`
 * and admitted again is already right. */
static bool already_set(const cJSON *entry, const char *name, const char *value)
{
    const cJSON *v = mut_get(entry, "value");
    int64_t have, want;

    if (!cJSON_IsString(v) || mut_get(entry, "valueFrom") != NULL)
        return false;
    if (strcmp(v->valuestring, value) == 0)
        return true;
    return strcmp(name, "GOMEMLIMIT") == 0 &&
           gosize_parse(v->valuestring, &have, NULL) == SNUG_OK &&
           gosize_parse(value, &want, NULL) == SNUG_OK && have == want;
}

static snug_status add_var(mut_ctx *x, mut_container *mc, const char *name, const char *value)
{
    const cJSON *env = mut_get(mc->orig, "env"), *from = mut_get(mc->orig, "envFrom");
    const cJSON *entry = env_entry(env, name);
    cJSON *e;
    snug_status st;

    if (entry != NULL && already_set(entry, name, value))
        return SNUG_OK;
    if (entry != NULL) {
        mut_warn(x, "container %s: %s is set in env; left as is", mc->name, name);
        if (strcmp(name, "GOMEMLIMIT") == 0)
            check_user_gomemlimit(x, mc, entry);
        return SNUG_OK;
    }
    if (from != NULL && !(cJSON_IsArray(from) && cJSON_GetArraySize(from) == 0)) {
        mut_warn(x, "container %s: %s not set: it may be set by envFrom", mc->name, name);
        return SNUG_OK;
    }
    e = cJSON_CreateObject();
    if (e == NULL || !mut_add_member(e, "name", cJSON_CreateString(name)) ||
        !mut_add_member(e, "value", cJSON_CreateString(value))) {
        cJSON_Delete(e);
        return snug_err_set(x->err, SNUG_ERR_NOMEM, "out of memory");
    }
    st = mut_append(x, mc, e, "env");
    if (st == SNUG_OK) {
        mc->changed |= MUTATED_GO_ENV;
        mut_detail(mc, "%s=%s", name, value);
    }
    return st;
}

snug_status mut_goenv_apply(mut_ctx *x, mut_container *mc)
{
    const cJSON *env = mut_get(mc->orig, "env");
    char buf[GOSIZE_STR_MAX];
    int64_t v;
    snug_status st = SNUG_OK;

    if (env != NULL && !cJSON_IsArray(env))
        return snug_err_set(x->err, SNUG_ERR_INVALID, "spec.%s[%s].env: must be an array", mc->list,
                            mc->idx);
    if (!is_go(x, mc))
        return SNUG_OK;
    v = gomemlimit(x, mc);
    if (v > 0) {
        gosize_format(v, buf, sizeof(buf));
        st = add_var(x, mc, "GOMEMLIMIT", buf);
    }
    v = gomaxprocs(x, mc);
    if (st == SNUG_OK && v > 0) {
        (void)decimal_u64(buf, (uint64_t)v); /* buf holds GOSIZE_STR_MAX >= DECIMAL_U64_MAX */
        st = add_var(x, mc, "GOMAXPROCS", buf);
    }
    return st;
}

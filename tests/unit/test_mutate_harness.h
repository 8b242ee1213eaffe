/* test_mutate_harness.h -- table-driven runner for the mutation engine's
 * unit tests (test_mutate*.c).
 *
 * A case gives the Pod (YAML), the SizingPolicy spec (YAML flow mapping;
 * NULL = the built-in default, NO_POLICY = none), the recommendation's
 * status.containers (YAML flow sequence), up to three LimitRanges'
 * spec.limits, and expectations, each a string:
 *   "/json/pointer=JSON"   value in `mutated` (JSON; if it does not parse, a
 *                          string); "=~" means absent
 *   "A/json/pointer=JSON"  same, in the Pod with would_patch applied (Audit)
 *   "W~text" / "!W~text"   some / no warning contains text
 *   "nW=3"                 number of warnings
 *   "changed=a,b"          mutate_changed_str(changed)
 *   "skipped~text"         skipped contains text ("skipped=" : NULL)
 *   "audit" / "!audit"     result.audit
 *   "ops=N"                number of patch operations
 *   "err=text"             mutate_pod fails with SNUG_ERR_INVALID, err has text
 * Every successful case also checks: the input is unchanged; applying
 * `patch` to a copy of the Pod gives exactly `mutated`; the patch is empty
 * exactly when nothing changed (outside Audit); would_patch applies; a second
 * run gives the same bytes; the warning cap holds.
 */
#ifndef TEST_MUTATE_HARNESS_H
#define TEST_MUTATE_HARNESS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "json/jsonpatch.h"
#include "model/limitrange.h"
#include "webhook/mutate.h"
#include "model/policy.h"
#include "model/recommendation.h"
#include "test.h"
#include "yaml/yamljson.h"

#define NO_POLICY  "-"
#define MAX_EXPECT 32

typedef struct mcase {
    const char *name;
    const char *pod;
    const char *policy;
    const char *rec;
    const char *lr[3];
    bool update;
    const char *expect[MAX_EXPECT];
} mcase;

static cJSON *h_yaml(const char *text)
{
    cJSON *doc = NULL;
    snug_err err;

    if (yaml_parse_one(text, strlen(text), 1 << 24, &doc, &err) != SNUG_OK) {
        T_FAIL("bad test YAML (%s): %s", err.msg, text);
        return NULL;
    }
    return doc;
}

/* Parse head + arg + tail as YAML. */
static cJSON *h_yamlf(const char *head, const char *arg, const char *tail)
{
    size_t n = strlen(head) + strlen(arg) + strlen(tail) + 1;
    char *buf = malloc(n);
    cJSON *doc;

    if (buf == NULL)
        return NULL;
    snprintf(buf, n, "%s%s%s", head, arg, tail);
    doc = h_yaml(buf);
    free(buf);
    return doc;
}

static policy *h_policy(const char *spec)
{
    cJSON *doc;
    policy *p = NULL;
    snug_err err;

    if (spec == NULL)
        return policy_builtin_default();
    doc = h_yamlf("apiVersion: snug.dev/v1alpha1\nkind: SizingPolicy\n"
                  "metadata: {name: test}\nspec: ",
                  spec, "\n");
    if (doc != NULL && policy_parse(doc, &p, &err) != SNUG_OK)
        T_FAIL("bad test policy: %s", err.msg);
    cJSON_Delete(doc);
    return p;
}

static recommendation *h_rec(const char *containers)
{
    cJSON *doc;
    recommendation *r = NULL;
    snug_err err;

    if (containers == NULL)
        return NULL;
    doc = h_yamlf("apiVersion: snug.dev/v1alpha1\nkind: Recommendation\n"
                  "metadata: {name: deployment-web, namespace: shop}\n"
                  "spec: {targetRef: {apiVersion: apps/v1, kind: Deployment, name: web}}\n"
                  "status: {containers: ",
                  containers, "}\n");
    if (doc != NULL && recommendation_parse(doc, "shop", &r, &err) != SNUG_OK)
        T_FAIL("bad test recommendation: %s", err.msg);
    cJSON_Delete(doc);
    return r;
}

static bool h_limits(const mcase *c, limitrange_bounds *b)
{
    size_t i;
    bool any = false;

    limitrange_bounds_init(b);
    for (i = 0; i < 3 && c->lr[i] != NULL; i++) {
        cJSON *doc = h_yamlf("apiVersion: v1\nkind: LimitRange\nmetadata: {name: lr}\n"
                             "spec: {limits: ",
                             c->lr[i], "}\n");
        snug_err err;

        if (doc != NULL && limitrange_add(b, doc, &err) != SNUG_OK)
            T_FAIL("bad test LimitRange: %s", err.msg);
        cJSON_Delete(doc);
        any = true;
    }
    return any;
}

static bool h_json_eq(const cJSON *got, const char *want)
{
    cJSON *w = cJSON_ParseWithOpts(want, NULL, 1);
    bool eq;

    if (w == NULL)
        w = cJSON_CreateString(want);
    eq = got != NULL && cJSON_Compare(got, w, true);
    cJSON_Delete(w);
    return eq;
}

static void h_check_pointer(const cJSON *doc, const char *spec, const char *which)
{
    const char *eq = strchr(spec, '=');
    char ptr[512];
    const cJSON *got;
    char *txt;

    if (eq == NULL || (size_t)(eq - spec) >= sizeof(ptr)) {
        T_FAIL("bad expectation %s", spec);
        return;
    }
    memcpy(ptr, spec, (size_t)(eq - spec));
    ptr[eq - spec] = '\0';
    got = doc ? jsonpointer_get(doc, ptr) : NULL;
    t_checks++;
    if (strcmp(eq + 1, "~") == 0) {
        if (got != NULL) {
            txt = cJSON_PrintUnformatted(got);
            T_FAIL("%s %s: want absent, got %s", which, ptr, txt);
            free(txt);
        }
        return;
    }
    if (!h_json_eq(got, eq + 1)) {
        txt = got ? cJSON_PrintUnformatted(got) : NULL;
        T_FAIL("%s %s: want %s, got %s", which, ptr, eq + 1, txt ? txt : "(absent)");
        free(txt);
    }
}

static bool h_warned(const mutate_result *r, const char *text)
{
    size_t i;

    for (i = 0; i < r->n_warnings; i++) {
        if (strstr(r->warnings[i], text) != NULL)
            return true;
    }
    return false;
}

static void h_dump_warnings(const mutate_result *r)
{
    size_t i;

    for (i = 0; i < r->n_warnings; i++)
        fprintf(stderr, "    warning: %s\n", r->warnings[i]);
}

static cJSON *h_applied(const cJSON *pod, const cJSON *ops)
{
    cJSON *copy = cJSON_Duplicate(pod, 1);
    snug_err err;

    if (ops != NULL && jsonpatch_apply(copy, ops, &err) != SNUG_OK) {
        T_FAIL("patch does not apply: %s", err.msg);
        cJSON_Delete(copy);
        return NULL;
    }
    return copy;
}

static void h_check_one(const char *e, const mutate_result *r, const cJSON *would_doc)
{
    char what[64];

    if (e[0] == '/') {
        h_check_pointer(r->mutated, e, "mutated");
    } else if (e[0] == 'A' && e[1] == '/') {
        h_check_pointer(would_doc, e + 1, "would-be");
    } else if (strncmp(e, "W~", 2) == 0) {
        t_checks++;
        if (!h_warned(r, e + 2)) {
            T_FAIL("no warning contains \"%s\"", e + 2);
            h_dump_warnings(r);
        }
    } else if (strncmp(e, "!W~", 3) == 0) {
        t_checks++;
        if (h_warned(r, e + 3)) {
            T_FAIL("a warning contains \"%s\"", e + 3);
            h_dump_warnings(r);
        }
    } else if (strncmp(e, "nW=", 3) == 0) {
        CHECK_INT_EQ(r->n_warnings, atoi(e + 3));
        if ((size_t)atoi(e + 3) != r->n_warnings)
            h_dump_warnings(r);
    } else if (strncmp(e, "changed=", 8) == 0) {
        mutate_changed_str(r->changed, what, sizeof(what));
        CHECK_STR_EQ(what, e + 8);
    } else if (strncmp(e, "skipped~", 8) == 0) {
        CHECK_STR_CONTAINS(r->skipped, e + 8);
    } else if (strcmp(e, "skipped=") == 0) {
        CHECK(r->skipped == NULL);
    } else if (strcmp(e, "audit") == 0) {
        CHECK(r->audit && r->would_patch != NULL);
    } else if (strcmp(e, "!audit") == 0) {
        CHECK(!r->audit && r->would_patch == NULL);
    } else if (strncmp(e, "ops=", 4) == 0) {
        CHECK_INT_EQ(cJSON_GetArraySize(r->patch), atoi(e + 4));
    } else {
        T_FAIL("unknown expectation %s", e);
    }
}

/* The invariants every successful run must satisfy. */
static void h_invariants(const cJSON *pod, const cJSON *saved, const mutate_result *r)
{
    cJSON *applied;

    CHECK(cJSON_Compare(pod, saved, true));
    CHECK(cJSON_IsArray(r->patch));
    CHECK(r->mutated != NULL);
    CHECK(r->n_warnings <= MUTATE_MAX_WARNINGS);
    applied = h_applied(pod, r->patch);
    t_checks++;
    if (applied == NULL || r->mutated == NULL || !cJSON_Compare(applied, r->mutated, true)) {
        char *a = applied ? cJSON_PrintUnformatted(applied) : NULL;
        char *m = r->mutated ? cJSON_PrintUnformatted(r->mutated) : NULL;

        T_FAIL("pod + patch != mutated:\n    applied %s\n    mutated %s", a ? a : "-", m ? m : "-");
        free(a);
        free(m);
    }
    cJSON_Delete(applied);
    if (!r->audit) {
        CHECK((r->changed == 0) == (cJSON_GetArraySize(r->patch) == 0));
        CHECK(r->would_patch == NULL);
    } else {
        CHECK(r->would_patch != NULL);
    }
}

/* Patch, mutated doc (with_doc), would-be patch, changed bits, warnings. */
static char *h_fingerprint(const mutate_result *r, bool with_doc)
{
    size_t i, n = 64;
    char *p = cJSON_PrintUnformatted(r->patch);
    char *m = with_doc ? cJSON_PrintUnformatted(r->mutated) : NULL;
    char *w = r->would_patch ? cJSON_PrintUnformatted(r->would_patch) : NULL;
    char *out;

    for (i = 0; i < r->n_warnings; i++)
        n += strlen(r->warnings[i]) + 1;
    n += (p ? strlen(p) : 0) + (m ? strlen(m) : 0) + (w ? strlen(w) : 0);
    out = malloc(n);
    if (out != NULL) {
        snprintf(out, n, "%s|%s|%s|%u|", p ? p : "", m ? m : "", w ? w : "", r->changed);
        for (i = 0; i < r->n_warnings; i++) {
            strcat(out, r->warnings[i]);
            strcat(out, "\n");
        }
    }
    free(p);
    free(m);
    free(w);
    return out;
}

static const char *h_err_expect(const mcase *c)
{
    size_t i;

    for (i = 0; i < MAX_EXPECT && c->expect[i] != NULL; i++) {
        if (strncmp(c->expect[i], "err=", 4) == 0)
            return c->expect[i] + 4;
    }
    return NULL;
}

/* The admission server's way: the engine patches a Pod it is given (a copy
 * here) instead of copying it; everything but `mutated` must be the same,
 * and when the result says the Pod was patched, the given Pod is now it. */
static void h_run_in_place(const mutate_input *in, const mutate_result *r)
{
    mutate_input ip = *in;
    cJSON *pod = cJSON_Duplicate(in->pod, 1);
    mutate_result r3;
    char *f1, *f3;

    ip.pod = pod;
    ip.in_place = true;
    CHECK_INT_EQ(mutate_pod(&ip, &r3, NULL), SNUG_OK);
    f1 = h_fingerprint(r, false);
    f3 = h_fingerprint(&r3, false);
    CHECK(f1 != NULL && f3 != NULL && strcmp(f1, f3) == 0);
    if (f1 != NULL && f3 != NULL && strcmp(f1, f3) != 0)
        fprintf(stderr, "    copy:     %s\n    in place: %s\n", f1, f3);
    if (!r->audit && r->skipped == NULL)
        CHECK(cJSON_Compare(pod, r->mutated, true));
    free(f1);
    free(f3);
    mutate_result_free(&r3);
    cJSON_Delete(pod);
}

/* Run one case on an already-built Pod (owned by the caller). */
static void h_run_pod(const mcase *c, const cJSON *pod)
{
    policy *pol = strcmp(c->policy ? c->policy : "", NO_POLICY) == 0 ? NULL : h_policy(c->policy);
    recommendation *rec = h_rec(c->rec);
    limitrange_bounds lrb;
    bool has_lr = h_limits(c, &lrb);
    mutate_input in = {pod, "shop", NULL, has_lr ? &lrb : NULL, pol, rec, !c->update, false};
    cJSON *saved = cJSON_Duplicate(pod, 1), *would = NULL;
    const char *want_err = h_err_expect(c);
    mutate_result r, r2;
    snug_err err;
    snug_status st;
    char *f1, *f2;
    size_t i;

    T_CASE("%s", c->name);
    err.msg[0] = '\0';
    st = mutate_pod(&in, &r, &err);
    if (want_err != NULL) {
        CHECK_INT_EQ(st, SNUG_ERR_INVALID);
        CHECK_STR_CONTAINS(err.msg, want_err);
        CHECK(cJSON_Compare(pod, saved, true));
        goto out;
    }
    CHECK_INT_EQ(st, SNUG_OK);
    if (st != SNUG_OK) {
        fprintf(stderr, "    error: %s\n", err.msg);
        goto out;
    }
    h_invariants(pod, saved, &r);
    would = r.would_patch ? h_applied(pod, r.would_patch) : NULL;
    for (i = 0; i < MAX_EXPECT && c->expect[i] != NULL; i++)
        h_check_one(c->expect[i], &r, would);
    CHECK_INT_EQ(mutate_pod(&in, &r2, &err), SNUG_OK);
    f1 = h_fingerprint(&r, true);
    f2 = h_fingerprint(&r2, true);
    CHECK(f1 != NULL && f2 != NULL && strcmp(f1, f2) == 0);
    free(f1);
    free(f2);
    mutate_result_free(&r2);
    h_run_in_place(&in, &r);
    mutate_result_free(&r);
    CHECK(r.patch == NULL && r.n_warnings == 0);
out:
    cJSON_Delete(would);
    cJSON_Delete(saved);
    policy_free(pol);
    recommendation_free(rec);
}

static void h_run_case(const mcase *c)
{
    cJSON *pod = h_yaml(c->pod);

    T_CASE("%s", c->name);
    if (pod == NULL)
        return;
    h_run_pod(c, pod);
    cJSON_Delete(pod);
}

static void h_run_table(const mcase *cases, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        h_run_case(&cases[i]);
}

#endif

/* Unit tests for selector: matching, parse errors, label syntax, k=v lists. */
#include <stdlib.h>
#include <string.h>

#include "model/selector.h"
#include "base/status.h"
#include "test.h"

static void test_matching(void)
{
    static const struct {
        const char *sel, *labels; /* JSON; sel "" means a NULL selector JSON */
        int want;
    } cases[] = {
        /* empty and absent selectors match everything */
        {"", "{\"app\":\"web\"}", 1},
        {"null", "{}", 1},
        {"{}", "{\"app\":\"web\"}", 1},
        {"{}", "null", 1},
        {"{\"matchLabels\":{}}", "{}", 1},
        {"{\"matchLabels\":null,\"matchExpressions\":null}", "{}", 1},
        {"{\"matchExpressions\":[]}", "{}", 1},
        /* matchLabels */
        {"{\"matchLabels\":{\"app\":\"web\"}}", "{\"app\":\"web\"}", 1},
        {"{\"matchLabels\":{\"app\":\"web\"}}", "{\"app\":\"web\",\"tier\":\"x\"}", 1},
        {"{\"matchLabels\":{\"app\":\"web\"}}", "{\"app\":\"db\"}", 0},
        {"{\"matchLabels\":{\"app\":\"web\"}}", "{}", 0},
        {"{\"matchLabels\":{\"app\":\"web\"}}", "null", 0},
        {"{\"matchLabels\":{\"app\":\"web\"}}", "{\"App\":\"web\"}", 0},
        {"{\"matchLabels\":{\"app\":\"\"}}", "{\"app\":\"\"}", 1},
        {"{\"matchLabels\":{\"app\":\"\"}}", "{}", 0},
        {"{\"matchLabels\":{\"app\":\"web\",\"tier\":\"fe\"}}", "{\"app\":\"web\",\"tier\":\"fe\"}",
         1},
        {"{\"matchLabels\":{\"app\":\"web\",\"tier\":\"fe\"}}", "{\"app\":\"web\"}", 0},
        {"{\"matchLabels\":{\"snug.dev/enabled\":\"true\"}}", "{\"snug.dev/enabled\":\"true\"}", 1},
        {"{\"matchLabels\":{\"snug.dev/enabled\":\"true\"}}", "{\"snug.dev/enabled\":\"false\"}",
         0},
        /* In */
        {"{\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"In\",\"values\":[\"a\",\"b\"]}]}",
         "{\"env\":\"b\"}", 1},
        {"{\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"In\",\"values\":[\"a\",\"b\"]}]}",
         "{\"env\":\"c\"}", 0},
        {"{\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"In\",\"values\":[\"a\"]}]}", "{}",
         0},
        {"{\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"In\",\"values\":[\"\"]}]}",
         "{\"env\":\"\"}", 1},
        {"{\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"In\",\"values\":[\"1\"]}]}",
         "{\"env\":1}", 0},
        /* NotIn */
        {"{\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"NotIn\",\"values\":[\"a\"]}]}",
         "{\"env\":\"b\"}", 1},
        {"{\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"NotIn\",\"values\":[\"a\"]}]}",
         "{\"env\":\"a\"}", 0},
        {"{\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"NotIn\",\"values\":[\"a\"]}]}",
         "{}", 1},
        {"{\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"NotIn\",\"values\":[\"a\"]}]}",
         "null", 1},
        /* Exists / DoesNotExist */
        {"{\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"Exists\"}]}", "{\"env\":\"\"}", 1},
        {"{\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"Exists\"}]}", "{\"env2\":\"x\"}",
         0},
        {"{\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"Exists\",\"values\":[]}]}",
         "{\"env\":\"x\"}", 1},
        {"{\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"Exists\"}]}", "{\"env\":null}", 0},
        {"{\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"DoesNotExist\"}]}", "{}", 1},
        {"{\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"DoesNotExist\"}]}", "null", 1},
        {"{\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"DoesNotExist\"}]}",
         "{\"env\":\"x\"}", 0},
        /* combinations: everything must hold */
        {"{\"matchLabels\":{\"app\":\"web\"},\"matchExpressions\":[{\"key\":\"env\",\"operator\":"
         "\"In\",\"values\":[\"prod\"]},{\"key\":\"canary\",\"operator\":\"DoesNotExist\"}]}",
         "{\"app\":\"web\",\"env\":\"prod\"}", 1},
        {"{\"matchLabels\":{\"app\":\"web\"},\"matchExpressions\":[{\"key\":\"env\",\"operator\":"
         "\"In\",\"values\":[\"prod\"]},{\"key\":\"canary\",\"operator\":\"DoesNotExist\"}]}",
         "{\"app\":\"web\",\"env\":\"prod\",\"canary\":\"1\"}", 0},
        {"{\"matchLabels\":{\"app\":\"web\"},\"matchExpressions\":[{\"key\":\"env\",\"operator\":"
         "\"In\",\"values\":[\"prod\"]}]}",
         "{\"app\":\"db\",\"env\":\"prod\"}", 0},
        {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\"},{\"key\":\"a\","
         "\"operator\":"
         "\"NotIn\",\"values\":[\"x\"]}]}",
         "{\"a\":\"y\"}", 1},
        {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[\"x\"]},{\"key\":"
         "\"a\",\"operator\":\"NotIn\",\"values\":[\"x\"]}]}",
         "{\"a\":\"x\"}", 0},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *sel = cases[i].sel[0] ? cJSON_Parse(cases[i].sel) : NULL;
        cJSON *labels = cJSON_Parse(cases[i].labels);
        label_selector *s = NULL;
        snug_err err = {0};

        T_CASE("%s on %s", cases[i].sel, cases[i].labels);
        CHECK(cases[i].sel[0] == '\0' || sel != NULL);
        CHECK_INT_EQ(selector_parse(sel, "spec.selector", &s, &err), SNUG_OK);
        CHECK(s != NULL);
        CHECK_INT_EQ(selector_matches(s, labels), cases[i].want);
        if (cJSON_IsNull(labels)) /* NULL labels behave as JSON null */
            CHECK_INT_EQ(selector_matches(s, NULL), cases[i].want);
        selector_free(s);
        cJSON_Delete(sel);
        cJSON_Delete(labels);
    }

    T_CASE("NULL selector");
    CHECK(selector_matches(NULL, NULL));
    CHECK(selector_is_empty(NULL));
}

static void test_is_empty(void)
{
    static const struct {
        const char *sel;
        int empty;
    } cases[] = {
        {"{}", 1},
        {"null", 1},
        {"{\"matchLabels\":{}}", 1},
        {"{\"matchExpressions\":[]}", 1},
        {"{\"matchLabels\":{\"a\":\"b\"}}", 0},
        {"{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\"}]}", 0},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *sel = cJSON_Parse(cases[i].sel);
        label_selector *s = NULL;

        T_CASE("%s", cases[i].sel);
        CHECK_INT_EQ(selector_parse(sel, "x", &s, NULL), SNUG_OK);
        CHECK_INT_EQ(selector_is_empty(s), cases[i].empty);
        selector_free(s);
        cJSON_Delete(sel);
    }
}

static void test_parse_errors(void)
{
    static const struct {
        const char *field, *sel, *want;
    } cases[] = {
        {"spec.selector", "[]", "spec.selector: must be an object, got a list"},
        {"spec.selector", "\"app=web\"", "spec.selector: must be an object, got a string"},
        {NULL, "1", "selector: must be an object, got a number (quote it in YAML)"},
        {"", "true", "selector: must be an object, got a boolean (quote it in YAML)"},
        {"spec.selector", "{\"matchLabel\":{\"a\":\"b\"}}",
         "spec.selector: unknown field \"matchLabel\" (matchLabels, matchExpressions)"},
        {"spec.selector", "{\"matchLabels\":[\"app\",\"web\"]}",
         "spec.selector.matchLabels: must be an object of key: value labels, got a list"},
        {"spec.selector", "{\"matchLabels\":\"app=web\"}",
         "spec.selector.matchLabels: must be an object of key: value labels, got a string"},
        {"spec.selector", "{\"matchLabels\":{\"version\":1.0}}",
         "spec.selector.matchLabels[version]: must be a string, got a number (quote it in YAML)"},
        {"spec.selector", "{\"matchLabels\":{\"enabled\":true}}",
         "spec.selector.matchLabels[enabled]: must be a string, got a boolean (quote it in YAML)"},
        {"spec.selector", "{\"matchLabels\":{\"app\":null}}",
         "spec.selector.matchLabels[app]: must be a string, got null"},
        {"spec.selector", "{\"matchLabels\":{\"-app\":\"x\"}}",
         "spec.selector.matchLabels: invalid label key \"-app\": name part must consist of "
         "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric "
         "character"},
        {"spec.selector", "{\"matchLabels\":{\"\":\"x\"}}",
         "spec.selector.matchLabels: invalid label key \"\": must be non-empty"},
        {"spec.selector", "{\"matchLabels\":{\"app\":\"a b\"}}",
         "spec.selector.matchLabels[app]: invalid label value \"a b\": must be empty or consist "
         "of alphanumeric characters"},
        {"spec.namespaceSelector", "{\"matchExpressions\":{\"key\":\"a\"}}",
         "spec.namespaceSelector.matchExpressions: must be a list, got an object"},
        {"spec.selector", "{\"matchExpressions\":[\"a In (b)\"]}",
         "spec.selector.matchExpressions[0]: must be an object, got a string"},
        {"spec.selector", "{\"matchExpressions\":[{\"operator\":\"Exists\"}]}",
         "spec.selector.matchExpressions[0].key: required"},
        {"spec.selector", "{\"matchExpressions\":[{\"key\":7,\"operator\":\"Exists\"}]}",
         "spec.selector.matchExpressions[0].key: must be a string, got a number"},
        {"spec.selector", "{\"matchExpressions\":[{\"key\":\"a/b/c\",\"operator\":\"Exists\"}]}",
         "spec.selector.matchExpressions[0].key: invalid label key \"a/b/c\": must be a name with "
         "an optional DNS subdomain prefix and one '/'"},
        {"spec.selector", "{\"matchExpressions\":[{\"key\":\"a\"}]}",
         "spec.selector.matchExpressions[0].operator: required (In, NotIn, Exists, DoesNotExist)"},
        {"spec.selector", "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":[\"In\"]}]}",
         "spec.selector.matchExpressions[0].operator: must be a string, got a list"},
        {"spec.namespaceSelector",
         "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\"},{\"key\":\"b\","
         "\"operator\":\"Like\",\"values\":[\"x\"]}]}",
         "spec.namespaceSelector.matchExpressions[1].operator: unsupported operator \"Like\" (In, "
         "NotIn, Exists, DoesNotExist)"},
        {"spec.selector",
         "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"in\",\"values\":[\"x\"]}]}",
         "spec.selector.matchExpressions[0].operator: unsupported operator \"in\""},
        {"spec.selector", "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\"}]}",
         "spec.selector.matchExpressions[0].values: must be non-empty for operator In"},
        {"spec.selector",
         "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[]}]}",
         "spec.selector.matchExpressions[0].values: must be non-empty for operator In"},
        {"spec.selector",
         "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"NotIn\",\"values\":null}]}",
         "spec.selector.matchExpressions[0].values: must be non-empty for operator NotIn"},
        {"spec.selector",
         "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\",\"values\":[\"x\"]}]}",
         "spec.selector.matchExpressions[0].values: must be empty for operator Exists"},
        {"spec.selector",
         "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"DoesNotExist\",\"values\":[\"\"]}]}",
         "spec.selector.matchExpressions[0].values: must be empty for operator DoesNotExist"},
        {"spec.selector",
         "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":\"x\"}]}",
         "spec.selector.matchExpressions[0].values: must be a list of strings, got a string"},
        {"spec.selector",
         "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[\"x\",2]}]}",
         "spec.selector.matchExpressions[0].values[1]: must be a string, got a number (quote it "
         "in YAML)"},
        {"spec.selector",
         "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[\"x\",\"y_\"]}]}",
         "spec.selector.matchExpressions[0].values[1]: invalid label value \"y_\""},
        {"spec.selector",
         "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"value\":[\"x\"]}]}",
         "spec.selector.matchExpressions[0]: unknown field \"value\" (key, operator, values)"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *sel = cJSON_Parse(cases[i].sel);
        label_selector *s = (label_selector *)&cases; /* must be reset to NULL */
        snug_err err = {0};

        T_CASE("%s", cases[i].sel);
        CHECK(sel != NULL);
        CHECK_INT_EQ(selector_parse(sel, cases[i].field, &s, &err), SNUG_ERR_INVALID);
        CHECK(s == NULL);
        CHECK_STR_CONTAINS(err.msg, cases[i].want);
        t_checks++;
        if (strncmp(err.msg, cases[i].want, strlen(cases[i].want)) != 0)
            T_FAIL("message does not start with the expected text: %s", err.msg);
        cJSON_Delete(sel);
    }
}

static void test_label_syntax(void)
{
    char k63[64], k64[65], p253[400], p254[400];
    static const struct {
        const char *s;
        int key_ok, value_ok;
    } cases[] = {
        {"app", 1, 1},
        {"a", 1, 1},
        {"A", 1, 1},
        {"9", 1, 1},
        {"my.app_name-1", 1, 1},
        {"MyApp", 1, 1},
        {"", 0, 1},
        {"-app", 0, 0},
        {"app-", 0, 0},
        {"_app", 0, 0},
        {"app_", 0, 0},
        {".app", 0, 0},
        {"app.", 0, 0},
        {"a b", 0, 0},
        {"a:b", 0, 0},
        {"a*b", 0, 0},
        {"h\xc3\xa9", 0, 0},
        {"snug.dev/mode", 1, 0},
        {"app.kubernetes.io/name", 1, 0},
        {"kubernetes.io/metadata.name", 1, 0},
        {"a/b", 1, 0},
        {"1.2.3/x", 1, 0},
        {"Snug.dev/mode", 0, 0},
        {"snug_dev/mode", 0, 0},
        {"-snug.dev/mode", 0, 0},
        {"snug.dev-/mode", 0, 0},
        {"snug..dev/mode", 0, 0},
        {".snug.dev/mode", 0, 0},
        {"snug.dev./mode", 0, 0},
        {"/mode", 0, 0},
        {"snug.dev/", 0, 0},
        {"a/b/c", 0, 0},
        {"snug.dev/-mode", 0, 0},
        {"snug.dev/Mode.X_1", 1, 0},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        T_CASE("\"%s\"", cases[i].s);
        CHECK_INT_EQ(label_key_valid(cases[i].s), cases[i].key_ok);
        CHECK_INT_EQ(label_value_valid(cases[i].s), cases[i].value_ok);
        CHECK_INT_EQ(label_key_error(cases[i].s) == NULL, cases[i].key_ok);
        CHECK_INT_EQ(label_value_error(cases[i].s) == NULL, cases[i].value_ok);
    }

    /* Lengths: names and values up to 63, prefixes up to 253. */
    memset(k63, 'a', 63);
    k63[63] = '\0';
    memset(k64, 'a', 64);
    k64[64] = '\0';
    T_CASE("63/64 chars");
    CHECK(label_key_valid(k63));
    CHECK(label_value_valid(k63));
    CHECK(!label_key_valid(k64));
    CHECK(!label_value_valid(k64));
    CHECK_STR_EQ(label_key_error(k64), "name part must be no more than 63 characters");
    CHECK_STR_EQ(label_value_error(k64), "must be no more than 63 characters");

    for (i = 0; i < 253; i++)
        p253[i] = (i % 10 == 9) ? '.' : 'b';
    p253[252] = 'b';
    memcpy(p253 + 253, "/x", 3);
    T_CASE("prefix 253");
    CHECK(label_key_valid(p253));
    memcpy(p254, p253, 253);
    p254[253] = 'b';
    memcpy(p254 + 254, "/x", 3);
    T_CASE("prefix 254");
    CHECK(!label_key_valid(p254));
    CHECK_STR_EQ(label_key_error(p254), "prefix part must be no more than 253 characters");
    T_CASE("prefix 253 + long name");
    memcpy(p253 + 254, k64, 65);
    CHECK(!label_key_valid(p253));
    CHECK(!label_key_valid(NULL));
    CHECK(!label_value_valid(NULL));
}

static void test_parse_kv(void)
{
    static const struct {
        const char *in;
        snug_status st;
        const char *want; /* JSON, or a substring of the error */
    } cases[] = {
        {"", SNUG_OK, "{}"},
        {"   ", SNUG_OK, "{}"},
        {"a=b", SNUG_OK, "{\"a\":\"b\"}"},
        {"a=b,c=d", SNUG_OK, "{\"a\":\"b\",\"c\":\"d\"}"},
        {" a = b , c=d ", SNUG_OK, "{\"a\":\"b\",\"c\":\"d\"}"},
        {"a=", SNUG_OK, "{\"a\":\"\"}"},
        {"kubernetes.io/metadata.name=default,snug.dev/enabled=true", SNUG_OK,
         "{\"kubernetes.io/metadata.name\":\"default\",\"snug.dev/enabled\":\"true\"}"},
        {"a", SNUG_ERR_INVALID, "label \"a\": expected key=value"},
        {"a=b,c", SNUG_ERR_INVALID, "label \"c\": expected key=value"},
        {"a=b,,c=d", SNUG_ERR_INVALID, "labels \"a=b,,c=d\": pair 2 is empty"},
        {"a=b,", SNUG_ERR_INVALID, "labels \"a=b,\": pair 2 is empty"},
        {",a=b", SNUG_ERR_INVALID, "pair 1 is empty"},
        {"=b", SNUG_ERR_INVALID, "label \"=b\": invalid label key \"\": must be non-empty"},
        {"a b=c", SNUG_ERR_INVALID, "label \"a b=c\": invalid label key \"a b\""},
        {"a=b c", SNUG_ERR_INVALID, "label \"a=b c\": invalid label value \"b c\""},
        {"a=b=c", SNUG_ERR_INVALID, "invalid label value \"b=c\""},
        {"a=b,a=c", SNUG_ERR_INVALID, "label \"a=c\": key \"a\" is given twice"},
    };
    size_t i;

    for (i = 0; i < ARRAY_LEN(cases); i++) {
        cJSON *out = (cJSON *)&cases, *want;
        snug_err err = {0};

        T_CASE("%s", cases[i].in);
        CHECK_INT_EQ(labels_parse_kv(cases[i].in, &out, &err), cases[i].st);
        if (cases[i].st == SNUG_OK) {
            want = cJSON_Parse(cases[i].want);
            CHECK(out != NULL && cJSON_Compare(out, want, 1));
            cJSON_Delete(want);
            cJSON_Delete(out);
        } else {
            CHECK(out == NULL);
            CHECK_STR_CONTAINS(err.msg, cases[i].want);
        }
    }

    {
        cJSON *out = NULL;

        T_CASE("NULL");
        CHECK_INT_EQ(labels_parse_kv(NULL, &out, NULL), SNUG_OK);
        CHECK(cJSON_IsObject(out) && out->child == NULL);
        cJSON_Delete(out);
    }
}

int main(void)
{
    RUN(test_matching);
    RUN(test_is_empty);
    RUN(test_parse_errors);
    RUN(test_label_syntax);
    RUN(test_parse_kv);
    return TEST_DONE();
}

/* Unit tests for textdiff: fixed cases against hand-written unified diffs,
 * and random texts checked two ways: the diff applied to the old text gives
 * the new one, and the number of changed lines equals what an LCS table says
 * is minimal. */
#include <stdbool.h>
#include <stdint.h>

#include "base/dynbuf.h"
#include "test.h"
#include "webhook/textdiff.h"

static const char *diff_str(const char *a, const char *b, size_t context, size_t max_cost,
                            dynbuf *out, bool *changed, bool *minimal)
{
    textdiff_opts o;

    o.context = context;
    o.max_cost = max_cost;
    dynbuf_reset(out);
    CHECK_INT_EQ(
        textdiff_unified(a, strlen(a), b, strlen(b), "old", "new", &o, out, changed, minimal),
        SNUG_OK);
    return dynbuf_str(out);
}

static void test_fixed(void)
{
    static const struct {
        const char *name, *a, *b;
        size_t context;
        const char *want;
    } cases[] = {
        {"equal", "a\nb\n", "a\nb\n", 3, ""},
        {"both empty", "", "", 3, ""},
        {"add to empty", "", "x\ny\n", 3, "--- old\n+++ new\n@@ -0,0 +1,2 @@\n+x\n+y\n"},
        {"remove all", "x\n", "", 3, "--- old\n+++ new\n@@ -1 +0,0 @@\n-x\n"},
        {"change middle", "a\nb\nc\nd\ne\nf\ng\nh\n", "a\nb\nc\nd\nE\nf\ng\nh\n", 3,
         "--- old\n+++ new\n@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n"},
        {"insert after first", "a\nb\n", "a\nx\nb\n", 3,
         "--- old\n+++ new\n@@ -1,2 +1,3 @@\n a\n+x\n b\n"},
        {"context 0 insert", "a\nb\n", "a\nx\nb\n", 0, "--- old\n+++ new\n@@ -1,0 +2 @@\n+x\n"},
        {"context 1 two hunks", "1\n2\n3\n4\n5\n6\n7\n", "1\nX\n3\n4\n5\nY\n7\n", 1,
         "--- old\n+++ new\n@@ -1,3 +1,3 @@\n 1\n-2\n+X\n 3\n@@ -5,3 +5,3 @@\n 5\n-6\n+Y\n 7\n"},
        {"context 1 merged (gap 2)", "1\n2\n3\n4\n5\n", "1\nX\n3\n4\nY\n", 1,
         "--- old\n+++ new\n@@ -1,5 +1,5 @@\n 1\n-2\n+X\n 3\n 4\n-5\n+Y\n"},
        {"no newline at end, old", "a\nb", "a\nb\n", 3,
         "--- old\n+++ new\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n"},
        {"no newline, both equal last", "a\nb", "x\nb", 3,
         "--- old\n+++ new\n@@ -1,2 +1,2 @@\n-a\n+x\n b\n\\ No newline at end of file\n"},
        {"yaml-like", "spec:\n  containers:\n  - name: app\n    image: x\n",
         "spec:\n  containers:\n  - name: app\n    image: x\n    resources:\n      requests:\n"
         "        cpu: 50m\n",
         3,
         "--- old\n+++ new\n@@ -2,3 +2,6 @@\n   containers:\n   - name: app\n     image: x\n"
         "+    resources:\n+      requests:\n+        cpu: 50m\n"},
        {"deletions before insertions", "a\nb\nc\n", "a\nx\ny\nc\n", 3,
         "--- old\n+++ new\n@@ -1,3 +1,4 @@\n a\n-b\n+x\n+y\n c\n"},
    };
    dynbuf out;
    size_t i;

    dynbuf_init(&out, 1 << 20);
    for (i = 0; i < ARRAY_LEN(cases); i++) {
        bool changed, minimal;

        T_CASE("%s", cases[i].name);
        CHECK_STR_EQ(
            diff_str(cases[i].a, cases[i].b, cases[i].context, 1 << 20, &out, &changed, &minimal),
            cases[i].want);
        CHECK_INT_EQ(changed, strcmp(cases[i].a, cases[i].b) != 0);
        CHECK(minimal);
    }
    dynbuf_free(&out);
}

/* A budget too small for the search: the whole middle is replaced, and the
 * caller is told the diff is not minimal. */
static void test_fallback(void)
{
    dynbuf out;
    bool changed, minimal;

    dynbuf_init(&out, 1 << 20);
    T_CASE("budget 0");
    CHECK_STR_EQ(diff_str("a\nb\nc\nd\n", "a\nB\nc\nD\n", 3, 0, &out, &changed, &minimal),
                 "--- old\n+++ new\n@@ -1,4 +1,4 @@\n a\n-b\n-c\n-d\n+B\n+c\n+D\n");
    CHECK(changed);
    CHECK(!minimal);
    T_CASE("budget 0, pure insertion is still minimal");
    CHECK_STR_EQ(diff_str("a\nc\n", "a\nb\nc\n", 3, 0, &out, &changed, &minimal),
                 "--- old\n+++ new\n@@ -1,2 +1,3 @@\n a\n+b\n c\n");
    CHECK(minimal);
    dynbuf_free(&out);
}

/* The output buffer's maximum is respected. */
static void test_too_big(void)
{
    dynbuf out;

    dynbuf_init(&out, 10);
    T_CASE("tiny output buffer");
    CHECK_INT_EQ(textdiff_unified("a\n", 2, "b\n", 2, "old", "new", NULL, &out, NULL, NULL),
                 SNUG_ERR_TOO_BIG);
    CHECK(dynbuf_len(&out) <= 10);
    dynbuf_free(&out);
}

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 16) & 0x7fff;
}

/* Random lines from a small alphabet so that many lines repeat. */
static size_t random_text(char *buf, size_t maxlines, char lines[][4])
{
    size_t n = rng() % (maxlines + 1), i, len = 0;

    for (i = 0; i < n; i++) {
        lines[i][0] = (char)('a' + rng() % 4);
        lines[i][1] = '\0';
        buf[len++] = lines[i][0];
        buf[len++] = '\n';
    }
    buf[len] = '\0';
    return n;
}

/* Apply a unified diff of single-character lines to `a` (n lines); the
 * result goes to `res`. Returns the number of '-'/'+' lines, -1 when the
 * diff does not fit `a`. */
static int apply_diff(const char *diff, char a[][4], size_t n, char *res)
{
    const char *p = diff;
    size_t ai = 0, rlen = 0;
    int edits = 0;

    if (*p == '\0') {
        for (ai = 0; ai < n; ai++) {
            res[rlen++] = a[ai][0];
            res[rlen++] = '\n';
        }
        res[rlen] = '\0';
        return 0;
    }
    p = strchr(p, '\n') + 1; /* --- */
    p = strchr(p, '\n') + 1; /* +++ */
    while (*p != '\0') {
        const char *eol = strchr(p, '\n');

        if (p[0] == '@') {
            unsigned long s, c = 1;
            const char *q = p + 4;

            s = strtoul(q, (char **)&q, 10);
            if (*q == ',')
                c = strtoul(q + 1, NULL, 10);
            if (c > 0)
                s--;
            if (s < ai)
                return -1;
            while (ai < s) {
                res[rlen++] = a[ai++][0];
                res[rlen++] = '\n';
            }
        } else if (p[0] == ' ' || p[0] == '-') {
            if (ai >= n || a[ai][0] != p[1])
                return -1;
            if (p[0] == ' ') {
                res[rlen++] = p[1];
                res[rlen++] = '\n';
            } else {
                edits++;
            }
            ai++;
        } else if (p[0] == '+') {
            res[rlen++] = p[1];
            res[rlen++] = '\n';
            edits++;
        } else {
            return -1;
        }
        p = eol + 1;
    }
    while (ai < n) {
        res[rlen++] = a[ai++][0];
        res[rlen++] = '\n';
    }
    res[rlen] = '\0';
    return edits;
}

static size_t lcs_len(char a[][4], size_t n, char b[][4], size_t m)
{
    static size_t t[41][41];
    size_t i, j;

    for (i = 0; i <= n; i++) {
        for (j = 0; j <= m; j++) {
            if (i == 0 || j == 0)
                t[i][j] = 0;
            else if (a[i - 1][0] == b[j - 1][0])
                t[i][j] = t[i - 1][j - 1] + 1;
            else
                t[i][j] = t[i - 1][j] > t[i][j - 1] ? t[i - 1][j] : t[i][j - 1];
        }
    }
    return t[n][m];
}

static void test_random(void)
{
    static char la[40][4], lb[40][4];
    static char ta[100], tb[100], res[200];
    dynbuf out;
    int round;

    dynbuf_init(&out, 1 << 20);
    for (round = 0; round < 3000; round++) {
        size_t n = random_text(ta, 40, la), m = random_text(tb, 40, lb);
        size_t context = (size_t)(rng() % 4);
        size_t budget = round % 5 == 0 ? (size_t)(rng() % 50) : (size_t)1 << 20;
        bool changed, minimal;
        const char *d;
        int edits;

        T_CASE("round %d: \"%s\" -> \"%s\" context %zu budget %zu", round, ta, tb, context, budget);
        d = diff_str(ta, tb, context, budget, &out, &changed, &minimal);
        edits = apply_diff(d, la, n, res);
        CHECK(edits >= 0);
        CHECK_STR_EQ(res, tb);
        CHECK_INT_EQ(changed, strcmp(ta, tb) != 0);
        if (minimal)
            CHECK_INT_EQ(edits, (long long)(n + m - 2 * lcs_len(la, n, lb, m)));
        else
            CHECK(budget < (1 << 20));
    }
    dynbuf_free(&out);
}

/* A large text with a few changes: the prefix/suffix trimming and the search
 * keep it fast and minimal. */
static void test_large(void)
{
    dynbuf a, b, out;
    size_t i;
    bool changed, minimal;

    dynbuf_init(&a, 1 << 24);
    dynbuf_init(&b, 1 << 24);
    dynbuf_init(&out, 1 << 20);
    for (i = 0; i < 200000; i++) {
        CHECK_INT_EQ(dynbuf_printf(&a, "line %zu\n", i), SNUG_OK);
        if (i == 1000 || i == 150000)
            CHECK_INT_EQ(dynbuf_printf(&b, "inserted %zu\n", i), SNUG_OK);
        if (i != 90000)
            CHECK_INT_EQ(dynbuf_printf(&b, "line %zu\n", i), SNUG_OK);
    }
    T_CASE("200000 lines");
    CHECK_INT_EQ(textdiff_unified(dynbuf_str(&a), dynbuf_len(&a), dynbuf_str(&b), dynbuf_len(&b),
                                  "old", "new", NULL, &out, &changed, &minimal),
                 SNUG_OK);
    CHECK(changed);
    CHECK(minimal);
    CHECK_STR_CONTAINS(dynbuf_str(&out), "@@ -998,6 +998,7 @@\n");
    CHECK_STR_CONTAINS(dynbuf_str(&out), "+inserted 1000\n line 1000\n");
    CHECK_STR_CONTAINS(dynbuf_str(&out), " line 89999\n-line 90000\n line 90001\n");
    CHECK_STR_CONTAINS(dynbuf_str(&out), "+inserted 150000\n");
    dynbuf_free(&a);
    dynbuf_free(&b);
    dynbuf_free(&out);
}

int main(void)
{
    RUN(test_fixed);
    RUN(test_fallback);
    RUN(test_too_big);
    RUN(test_random);
    RUN(test_large);
    return TEST_DONE();
}

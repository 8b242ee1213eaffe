/* test.h -- the tiny unit-test harness every tests/unit/test_*.c uses.
 *
 * Write table-driven tests as plain functions and run them from main():
 *
 *   static void test_parse(void) {
 *       static const struct { const char *in; long want; } cases[] = {...};
 *       for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
 *           T_CASE("%s", cases[i].in);            // names the row in failures
 *           CHECK_INT_EQ(parse(cases[i].in), cases[i].want);
 *       }
 *   }
 *   int main(void) { RUN(test_parse); return TEST_DONE(); }
 *
 * Failures print file:line, the expression, both values and the current case
 * label; the process exits non-zero when anything failed. Output is TAP-like
 * so CTest logs stay readable.
 */
#ifndef SNUG_TEST_H
#define SNUG_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static int t_failed_total;
static int t_failed_in_test;
static int t_checks;
static int t_tests;
static char t_case[512];

#define T_CASE(...) snprintf(t_case, sizeof(t_case), __VA_ARGS__)

#define T_FAIL(...)                                                                                \
    do {                                                                                           \
        fprintf(stderr, "  FAIL %s:%d [%s] ", __FILE__, __LINE__, t_case);                         \
        fprintf(stderr, __VA_ARGS__);                                                              \
        fputc('\n', stderr);                                                                       \
        t_failed_in_test++;                                                                        \
    } while (0)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        t_checks++;                                                                                \
        if (!(cond))                                                                               \
            T_FAIL("CHECK(%s)", #cond);                                                            \
    } while (0)

#define CHECK_INT_EQ(got, want)                                                                    \
    do {                                                                                           \
        long long t_g = (long long)(got), t_w = (long long)(want);                                 \
        t_checks++;                                                                                \
        if (t_g != t_w)                                                                            \
            T_FAIL("%s == %lld, want %lld", #got, t_g, t_w);                                       \
    } while (0)

#define CHECK_DBL_NEAR(got, want, eps)                                                             \
    do {                                                                                           \
        double t_g = (got), t_w = (want);                                                          \
        t_checks++;                                                                                \
        if (t_g - t_w > (eps) || t_w - t_g > (eps))                                                \
            T_FAIL("%s == %g, want %g", #got, t_g, t_w);                                           \
    } while (0)

#define CHECK_STR_EQ(got, want)                                                                    \
    do {                                                                                           \
        const char *t_g = (got), *t_w = (want);                                                    \
        t_checks++;                                                                                \
        if (t_g == NULL || t_w == NULL ? t_g != t_w : strcmp(t_g, t_w) != 0)                       \
            T_FAIL("%s == \"%s\", want \"%s\"", #got, t_g ? t_g : "(null)", t_w ? t_w : "(null)"); \
    } while (0)

#define CHECK_STR_CONTAINS(got, needle)                                                            \
    do {                                                                                           \
        const char *t_g = (got), *t_n = (needle);                                                  \
        t_checks++;                                                                                \
        if (t_g == NULL || strstr(t_g, t_n) == NULL)                                               \
            T_FAIL("%s == \"%s\", want it to contain \"%s\"", #got, t_g ? t_g : "(null)", t_n);    \
    } while (0)

#define RUN(fn)                                                                                    \
    do {                                                                                           \
        t_failed_in_test = 0;                                                                      \
        t_case[0] = '\0';                                                                          \
        t_tests++;                                                                                 \
        fn();                                                                                      \
        printf("%s %d - %s\n", t_failed_in_test ? "not ok" : "ok", t_tests, #fn);                  \
        fflush(stdout);                                                                            \
        if (t_failed_in_test)                                                                      \
            t_failed_total++;                                                                      \
    } while (0)

#define TEST_DONE()                                                                                \
    (printf("1..%d # %d checks, %d failed tests\n", t_tests, t_checks, t_failed_total),            \
     t_failed_total ? 1 : 0)

/* Read a whole file into a malloc'd NUL-terminated buffer; NULL on error. */
static inline char *t_read_file(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)n + 1);
        if (buf != NULL && fread(buf, 1, (size_t)n, f) == (size_t)n) {
            buf[n] = '\0';
            if (len_out)
                *len_out = (size_t)n;
        } else {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    return buf;
}

#endif

/* Unit tests for rec_state: adding samples (duplicates, interleaved Pods,
 * bad values), memory peaks per interval, OOM kills, throttling, trimming,
 * rollout generations, and checkpoints (round trip, size, corrupt, cut,
 * foreign and newer data refused). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/dynbuf.h"
#include "json/base64.h"
#include "controller/rec_state.h"
#include "controller/rec_state_bytes.h"
#include "test.h"

#define T0  1767225600.0 /* 2026-01-01 00:00 UTC */
#define DAY 86400.0
#define MI  1048576.0

static const rec_day *day_at(const rec_state *s, size_t i)
{
    const rec_day *d;
    size_t n = rec_state_days(s, &d);

    return i < n ? &d[i] : NULL;
}

static void test_samples(void)
{
    rec_state *s = rec_state_new();
    const rec_day *d;

    CHECK(s != NULL);
    rec_state_add_cpu(s, "web-abc-1", T0 + 60, 0.5);
    rec_state_add_cpu(s, "web-abc-1", T0 + 60, 0.5); /* duplicate */
    rec_state_add_cpu(s, "web-abc-1", T0 + 30, 0.7); /* older than the last: duplicate range */
    rec_state_add_cpu(s, "web-abc-2", T0 + 30, 0.3); /* another Pod may interleave */
    rec_state_add_cpu(s, "web-abc-1", T0 + 120, 0.1);
    /* ignored: bad values and times */
    rec_state_add_cpu(s, "web-abc-1", T0 + 180, NAN);
    rec_state_add_cpu(s, "web-abc-1", T0 + 240, -1);
    rec_state_add_cpu(s, "web-abc-1", T0 + 300, INFINITY);
    rec_state_add_cpu(s, "web-abc-1", T0 + 360, 1e9);
    rec_state_add_cpu(s, "web-abc-1", NAN, 1);
    rec_state_add_cpu(s, "web-abc-1", -5, 1);
    rec_state_add_cpu(s, NULL, T0 + 400, 0.2); /* a NULL Pod name is a name too */
    rec_state_add_memory(s, "web-abc-1", T0 + 60, -1);
    rec_state_add_memory(s, "web-abc-1", T0 + 60, NAN);
    rec_state_add_memory(s, "web-abc-1", T0 + 60, 1e30);
    rec_state_add_cpu(NULL, "x", T0, 1);
    d = day_at(s, 0);
    CHECK(d != NULL);
    CHECK_INT_EQ(rec_state_days(s, &d), 1);
    CHECK_INT_EQ(d->cpu_n, 4);
    CHECK_DBL_NEAR(d->cpu_sum, 1.1, 1e-9);
    CHECK_DBL_NEAR(d->cpu_max, 0.5, 1e-9);
    CHECK_INT_EQ(d->mem_n, 0);
    CHECK_DBL_NEAR(d->t_first, T0 + 30, 0);
    CHECK_DBL_NEAR(d->t_last, T0 + 400, 0);
    CHECK_INT_EQ(rec_state_pods(s), 3);
    /* samples of another day get their own record, in order */
    rec_state_add_cpu(s, "web-abc-1", T0 + 2 * DAY, 1);
    rec_state_add_cpu(s, "web-abc-2", T0 + DAY + 5, 1);
    CHECK_INT_EQ(rec_state_days(s, &d), 3);
    CHECK_INT_EQ(d[0].day * 86400, (int64_t)T0);
    CHECK_INT_EQ(d[1].day * 86400, (int64_t)(T0 + DAY));
    CHECK_INT_EQ(d[2].day * 86400, (int64_t)(T0 + 2 * DAY));
    rec_state_free(s);
    rec_state_free(NULL);
}

static void test_memory_peaks(void)
{
    rec_state *s = rec_state_new();
    histogram h;

    /* hour 0: peaks 300Mi (pod a) and 100Mi (pod b); hour 1: 50Mi (pod a) */
    rec_state_add_memory(s, "a-x-1", T0 + 60, 100 * MI);
    rec_state_add_memory(s, "b-x-1", T0 + 90, 100 * MI);
    rec_state_add_memory(s, "a-x-1", T0 + 120, 300 * MI);
    rec_state_add_memory(s, "a-x-1", T0 + 180, 200 * MI);
    rec_state_add_memory(s, "a-x-1", T0 + 3600 + 60, 50 * MI);
    CHECK_INT_EQ(rec_state_memory_peaks(s, false, &h), SNUG_OK);
    /* three peaks: 300 (closed), 100 (b, open), 50 (a, open) */
    CHECK_DBL_NEAR(hist_weight_at(&h, T0 + 3600), 3, 0.05);
    CHECK(hist_percentile(&h, 1.0) >= 300 * MI);
    CHECK(hist_percentile(&h, 1.0) < 300 * MI * 1.021);
    CHECK(hist_percentile(&h, 0.1) < 51 * MI);
    hist_free(&h);
    CHECK_DBL_NEAR(day_at(s, 0)->mem_max, 300 * MI, 0);
    CHECK_INT_EQ(day_at(s, 0)->mem_n, 5);
    rec_state_free(s);
}

static void test_oom_throttling(void)
{
    rec_state *s = rec_state_new();
    const rec_oom *o;

    rec_state_add_oom(s, T0 + 100, 512 * (int64_t)MI);
    rec_state_add_oom(s, T0 + 100, 512 * (int64_t)MI); /* two kills at once are two */
    rec_state_add_oom(s, T0 + 50, -7);                 /* unknown limit, earlier */
    rec_state_add_oom(s, NAN, 1);
    rec_state_add_oom(s, -1, 1);
    CHECK_INT_EQ(rec_state_ooms(s, &o), 3);
    CHECK_DBL_NEAR(o[0].t, T0 + 50, 0);
    CHECK_INT_EQ(o[0].limit_bytes, -1);
    CHECK_INT_EQ(o[1].limit_bytes, 512 * (int64_t)MI);
    CHECK_INT_EQ(o[2].limit_bytes, 512 * (int64_t)MI);
    for (int i = 0; i < 40; i++)
        rec_state_add_oom(s, T0 + 1000 + i * 100, 1);
    CHECK_INT_EQ(rec_state_ooms(s, &o), REC_MAX_OOMS);
    CHECK_DBL_NEAR(o[REC_MAX_OOMS - 1].t, T0 + 1000 + 39 * 100, 0);
    /* the newest are kept: one older than all of them is dropped */
    rec_state_add_oom(s, T0, 1);
    CHECK_DBL_NEAR(o[0].t, T0 + 1000 + 24 * 100, 0);

    rec_state_add_throttling(s, T0 + 60, 600, 60);
    rec_state_add_throttling(s, T0 + 120, 600, 900); /* capped at periods */
    rec_state_add_throttling(s, T0 + 180, 0, 0);
    rec_state_add_throttling(s, T0 + 240, -1, 0);
    rec_state_add_throttling(s, T0 + 300, 100, -1);
    rec_state_add_throttling(s, T0 + 360, NAN, 1);
    CHECK_DBL_NEAR(day_at(s, 0)->thr_periods, 1200, 0);
    CHECK_DBL_NEAR(day_at(s, 0)->thr_throttled, 660, 0);
    /* throttling alone does not make history */
    CHECK_DBL_NEAR(day_at(s, 0)->t_last, 0, 0);
    rec_state_free(s);
}

static void test_trim(void)
{
    rec_state *s = rec_state_new();
    const rec_day *d;
    const rec_oom *o;

    for (int i = 0; i < 10; i++) {
        rec_state_add_cpu(s, "old-x-1", T0 + i * DAY, 1);
        rec_state_add_memory(s, "old-x-1", T0 + i * DAY, 10 * MI);
    }
    rec_state_add_cpu(s, "young-x-1", T0 + 9 * DAY + 60, 2);
    rec_state_add_oom(s, T0 + DAY, 1);
    rec_state_add_oom(s, T0 + 8 * DAY, 2);
    CHECK_INT_EQ(rec_state_days(s, &d), 10);
    rec_state_trim(s, T0 + 7 * DAY + 3600);
    CHECK_DBL_NEAR(rec_state_since(s), T0 + 7 * DAY + 3600, 0);
    CHECK_INT_EQ(rec_state_days(s, &d), 3); /* days 7 (it ends after the cut), 8, 9 */
    CHECK_INT_EQ(rec_state_ooms(s, &o), 1);
    CHECK_INT_EQ(o[0].limit_bytes, 2);
    CHECK_INT_EQ(rec_state_pods(s), 2);
    /* samples older than the window start are ignored now */
    rec_state_add_cpu(s, "other-x-1", T0 + DAY, 1);
    CHECK_INT_EQ(rec_state_days(s, &d), 3);
    /* a trim backwards does nothing */
    rec_state_trim(s, T0);
    CHECK_DBL_NEAR(rec_state_since(s), T0 + 7 * DAY + 3600, 0);
    /* Pods not seen since the start of the window go */
    rec_state_trim(s, T0 + 9 * DAY + 30);
    CHECK_INT_EQ(rec_state_pods(s), 1);
    /* a Pod silent for a day before the newest sample is gone too */
    rec_state_add_cpu(s, "late-x-1", T0 + 10 * DAY + 61, 1);
    rec_state_trim(s, T0 + 9 * DAY + 40);
    CHECK_INT_EQ(rec_state_pods(s), 1);
    /* trimming everything leaves an empty state */
    rec_state_trim(s, T0 + 30 * DAY);
    CHECK_INT_EQ(rec_state_days(s, &d), 0);
    CHECK_INT_EQ(rec_state_pods(s), 0);
    CHECK(hist_empty(rec_state_cpu(s)));
    rec_state_free(s);
}

static void test_generations(void)
{
    rec_state *s = rec_state_new();
    double since, cmax, mmax;
    const histogram *g;

    /* a StatefulSet: web-0, web-1 are one generation */
    rec_state_add_cpu(s, "web-0", T0 + 60, 1);
    rec_state_add_cpu(s, "web-1", T0 + 120, 1);
    g = rec_state_gen_cpu(s, &since, &cmax, &mmax);
    CHECK_DBL_NEAR(since, T0 + 60, 0);
    CHECK_DBL_NEAR(hist_weight_at(g, T0 + 120), 2, 0.001);
    rec_state_free(s);

    /* a Deployment rolls out: new template hash, new Pods */
    s = rec_state_new();
    rec_state_add_cpu(s, "api-5c4b7d8f9-aaaaa", T0 + 60, 1.0);
    rec_state_add_memory(s, "api-5c4b7d8f9-aaaaa", T0 + 60, 300 * MI);
    rec_state_add_cpu(s, "api-7d9f8c6b5-bbbbb", T0 + DAY, 0.25);
    rec_state_add_memory(s, "api-7d9f8c6b5-bbbbb", T0 + DAY, 100 * MI);
    rec_state_add_cpu(s, "api-5c4b7d8f9-aaaaa", T0 + DAY + 60, 1.0); /* old Pod still up */
    /* an old-template Pod fed late, with older samples, is no rollout */
    rec_state_add_cpu(s, "api-5c4b7d8f9-ccccc", T0 + 600, 1.0);
    g = rec_state_gen_cpu(s, &since, &cmax, &mmax);
    CHECK_DBL_NEAR(since, T0 + DAY, 0);
    CHECK_DBL_NEAR(cmax, 0.25, 0);
    CHECK_DBL_NEAR(mmax, 100 * MI, 0);
    CHECK_DBL_NEAR(hist_weight_at(g, T0 + DAY), 1, 1e-6);
    CHECK(hist_percentile(g, 1.0) < 0.27);
    /* all four samples, decayed with the two-day half-life */
    /* an old-template Pod that comes back later (it made room, or a
     * rollback) does not switch back */
    rec_state_add_cpu(s, "api-5c4b7d8f9-ddddd", T0 + 2 * DAY, 1.0);
    g = rec_state_gen_cpu(s, &since, &cmax, &mmax);
    CHECK_DBL_NEAR(since, T0 + DAY, 0);
    CHECK_DBL_NEAR(cmax, 0.25, 0);
    /* a third template is a rollout again */
    rec_state_add_cpu(s, "api-6a6a6a6a6-eeeee", T0 + 3 * DAY, 0.5);
    g = rec_state_gen_cpu(s, &since, &cmax, &mmax);
    CHECK_DBL_NEAR(since, T0 + 3 * DAY, 0);
    CHECK_DBL_NEAR(cmax, 0.5, 0);
    CHECK_DBL_NEAR(hist_weight_at(rec_state_cpu(s), T0 + DAY) - 1.0 * exp2(DAY / (2 * DAY)) -
                       1.0 * exp2(2 * DAY / (2 * DAY)),
                   exp2(-(DAY - 60) / (2 * DAY)) + exp2(-(DAY - 600) / (2 * DAY)) + 1 +
                       exp2(60 / (2 * DAY)),
                   0.001);
    rec_state_free(s);
}

/* A realistic week: 3 Pods, a sample a minute, some OOM kills and throttling. */
static rec_state *week_state(void)
{
    rec_state *s = rec_state_new();
    static const char *pods[] = {"shop-5c4b7d8f9-x2x4z", "shop-5c4b7d8f9-k8q2m",
                                 "shop-5c4b7d8f9-p9w7n"};

    for (int i = 0; i < 7 * 1440; i++) {
        double t = T0 + i * 60.0;

        for (int k = 0; k < 3; k++) {
            rec_state_add_cpu(s, pods[k], t, 0.2 + 0.1 * sin(i / 200.0) + 0.01 * k);
            rec_state_add_memory(s, pods[k], t, (200 + 30 * sin(i / 300.0) + k) * MI);
        }
        rec_state_add_throttling(s, t, 1800, (i % 7) * 10);
    }
    rec_state_add_oom(s, T0 + 3 * DAY, 256 * (int64_t)MI);
    return s;
}

static void test_checkpoint_roundtrip(void)
{
    rec_state *s = week_state(), *back = NULL;
    dynbuf a, b;
    snug_err err;
    histogram h1, h2;

    dynbuf_init(&a, 1 << 20);
    dynbuf_init(&b, 1 << 20);
    CHECK_INT_EQ(rec_state_save(s, &a, &err), SNUG_OK);
    /* compact: a few hundred bytes to ~2 KB per container */
    CHECK(a.len < 2600);
    CHECK(strspn(a.buf, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") ==
          a.len);
    CHECK_INT_EQ(rec_state_load(a.buf, a.len, &back, &err), SNUG_OK);
    CHECK(back != NULL);
    CHECK_INT_EQ(rec_state_save(back, &b, &err), SNUG_OK);
    CHECK_STR_EQ(b.buf, a.buf); /* saving what was loaded gives the same text */
    CHECK_INT_EQ(rec_state_pods(back), 3);
    CHECK_DBL_NEAR(hist_percentile(rec_state_cpu(back), 0.9),
                   hist_percentile(rec_state_cpu(s), 0.9), 1e-4);
    CHECK_INT_EQ(rec_state_memory_peaks(s, false, &h1), SNUG_OK);
    CHECK_INT_EQ(rec_state_memory_peaks(back, false, &h2), SNUG_OK);
    CHECK_DBL_NEAR(hist_percentile(&h1, 0.5) / hist_percentile(&h2, 0.5), 1, 1e-3);
    hist_free(&h1);
    hist_free(&h2);
    /* it keeps going after a load: duplicates still recognised */
    rec_state_add_cpu(back, "shop-5c4b7d8f9-x2x4z", T0 + 60, 5);
    CHECK_INT_EQ(day_at(back, 0)->cpu_n, day_at(s, 0)->cpu_n);
    rec_state_free(back);
    /* an empty state round-trips too */
    rec_state_free(s);
    s = rec_state_new();
    dynbuf_reset(&a);
    CHECK_INT_EQ(rec_state_save(s, &a, &err), SNUG_OK);
    CHECK(a.len < 160);
    CHECK_INT_EQ(rec_state_load(a.buf, a.len, &back, &err), SNUG_OK);
    rec_state_free(back);
    /* a full output buffer is an error, not a cut checkpoint */
    dynbuf_free(&b);
    dynbuf_init(&b, 10);
    CHECK_INT_EQ(rec_state_save(s, &b, &err), SNUG_ERR_TOO_BIG);
    rec_state_free(s);
    dynbuf_free(&a);
    dynbuf_free(&b);
}

/* base64 of bin with its CRC recomputed (so the parser, not the CRC, is tested). */
static char *reseal(unsigned char *bin, size_t n)
{
    uint32_t crc = recb_crc32(bin, n - 4);

    for (int i = 0; i < 4; i++)
        bin[n - 4 + i] = (unsigned char)(crc >> (8 * i));
    return base64_encode(bin, n);
}

static void test_checkpoint_refused(void)
{
    rec_state *s = week_state(), *back = (rec_state *)1;
    dynbuf a;
    snug_err err;
    unsigned char *bin;
    size_t n;
    char *text;

    dynbuf_init(&a, 1 << 20);
    CHECK_INT_EQ(rec_state_save(s, &a, &err), SNUG_OK);
    CHECK_INT_EQ(base64_decode(a.buf, "t", &bin, &n, &err), SNUG_OK);

    CHECK_INT_EQ(rec_state_load("", 0, &back, &err), SNUG_ERR_PARSE);
    CHECK(back == NULL);
    CHECK_INT_EQ(rec_state_load(NULL, 0, &back, &err), SNUG_ERR_PARSE);
    CHECK_INT_EQ(rec_state_load("not base64!", 11, &back, &err), SNUG_ERR_PARSE);
    CHECK_INT_EQ(rec_state_load("aGVsbG8gd29ybGQh", 16, &back, &err), SNUG_ERR_PARSE);
    CHECK_STR_CONTAINS(err.msg, "not a snug recommender checkpoint");
    CHECK_INT_EQ(rec_state_load("A\0AA", 4, &back, &err), SNUG_ERR_PARSE);
    /* every cut of the text is refused */
    for (size_t cut = 0; cut < a.len; cut += 7) {
        T_CASE("cut at %zu", cut);
        CHECK(rec_state_load(a.buf, cut, &back, &err) != SNUG_OK);
        CHECK(back == NULL);
    }
    /* one changed character: the checksum catches it */
    {
        char *copy = strdup(a.buf);

        copy[a.len / 2] = copy[a.len / 2] == 'A' ? 'B' : 'A';
        CHECK_INT_EQ(rec_state_load(copy, a.len, &back, &err), SNUG_ERR_PARSE);
        CHECK_STR_CONTAINS(err.msg, "checksum");
        free(copy);
    }
    /* a newer version */
    bin[3] = 2;
    text = reseal(bin, n);
    CHECK_INT_EQ(rec_state_load(text, strlen(text), &back, &err), SNUG_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(err.msg, "version 2");
    free(text);
    bin[3] = 1;
    /* any single byte changed behind a valid checksum: refused or loaded, never a crash */
    for (size_t i = 4; i + 4 < n; i++) {
        unsigned char keep = bin[i];

        for (int delta = 1; delta < 256; delta += 85) {
            bin[i] = (unsigned char)(keep + delta);
            text = reseal(bin, n);
            if (rec_state_load(text, strlen(text), &back, &err) == SNUG_OK) {
                dynbuf out, again;
                rec_state *more = NULL;

                dynbuf_init(&out, 1 << 20);
                dynbuf_init(&again, 1 << 20);
                rec_state_add_cpu(back, "p-x-1", T0 + 8 * DAY, 1);
                rec_state_trim(back, T0 + 2 * DAY);
                CHECK_INT_EQ(rec_state_save(back, &out, &err), SNUG_OK);
                /* what it saves loads again, and saves to the same text */
                CHECK_INT_EQ(rec_state_load(out.buf, out.len, &more, &err), SNUG_OK);
                if (more != NULL) {
                    CHECK_INT_EQ(rec_state_save(more, &again, &err), SNUG_OK);
                    CHECK_STR_EQ(again.buf, out.buf);
                }
                rec_state_free(more);
                dynbuf_free(&out);
                dynbuf_free(&again);
                rec_state_free(back);
            }
            free(text);
        }
        bin[i] = keep;
    }
    /* trailing bytes */
    {
        unsigned char *longer = malloc(n + 1);

        memcpy(longer, bin, n - 4);
        longer[n - 4] = 0;
        text = reseal(longer, n + 1);
        CHECK_INT_EQ(rec_state_load(text, strlen(text), &back, &err), SNUG_ERR_PARSE);
        CHECK_STR_CONTAINS(err.msg, "trailing");
        free(text);
        free(longer);
    }
    free(bin);
    dynbuf_free(&a);
    rec_state_free(s);
}

static void test_half_life(void)
{
    rec_state *s = rec_state_new();

    CHECK_INT_EQ(rec_state_set_half_life(s, 0), SNUG_ERR_INVALID);
    CHECK_INT_EQ(rec_state_set_half_life(s, NAN), SNUG_ERR_INVALID);
    CHECK_INT_EQ(rec_state_set_half_life(s, DAY), SNUG_OK);
    CHECK_DBL_NEAR(rec_state_cpu(s)->half_life, DAY, 0);
    rec_state_add_cpu(s, "a", T0, 1);
    CHECK_INT_EQ(rec_state_set_half_life(s, 2 * DAY), SNUG_ERR_INVALID);
    rec_state_free(s);
}

static void test_many_pods(void)
{
    rec_state *s = rec_state_new();
    char name[32];

    for (int i = 0; i < REC_MAX_PODS + 50; i++) {
        snprintf(name, sizeof(name), "ds-%05d", i);
        rec_state_add_memory(s, name, T0 + i, 10 * MI);
    }
    CHECK_INT_EQ(rec_state_pods(s), REC_MAX_PODS);
    CHECK_INT_EQ(day_at(s, 0)->mem_n, REC_MAX_PODS + 50);
    rec_state_free(s);
}

int main(void)
{
    RUN(test_samples);
    RUN(test_memory_peaks);
    RUN(test_oom_throttling);
    RUN(test_trim);
    RUN(test_generations);
    RUN(test_checkpoint_roundtrip);
    RUN(test_checkpoint_refused);
    RUN(test_half_life);
    RUN(test_many_pods);
    return TEST_DONE();
}

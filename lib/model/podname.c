/* podname.c -- a Pod's workload from its name (see podname.h). */
#include "model/podname.h"

#include <stdio.h>
#include <string.h>

/* Kubernetes' alphabet for generated names (k8s.io/apimachinery rand). */
static const char random_alphabet[] = "bcdfghjklmnpqrstvwxz2456789";

#define RANDOM_SUFFIX_LEN 5
#define HASH_MIN_LEN      6
#define HASH_MAX_LEN      10
#define CRON_MIN_DIGITS   8

bool podname_random_chars(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        if (s[i] == '\0' || strchr(random_alphabet, s[i]) == NULL)
            return false;
    }
    return true;
}

static bool all_digits(const char *s, size_t len)
{
    size_t i;

    if (len == 0)
        return false;
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return true;
}

/* The segment before the last '-' of s[0..end): its start, or NULL. */
static const char *last_segment(const char *s, size_t end)
{
    size_t i = end;

    while (i > 0 && s[i - 1] != '-')
        i--;
    return i > 1 ? s + i : NULL; /* a name must remain before the '-' */
}

static size_t add(workload_ref *out, size_t n, size_t cap, const char *kind, const char *name,
                  size_t len)
{
    size_t i;

    if (n >= cap || len == 0 || len >= WORKLOAD_NAME_MAX)
        return n;
    for (i = 0; i < n; i++) {
        if (strcmp(out[i].kind, kind) == 0 && strlen(out[i].name) == len &&
            strncmp(out[i].name, name, len) == 0)
            return n;
    }
    snprintf(out[n].kind, sizeof(out[n].kind), "%s", kind);
    memcpy(out[n].name, name, len);
    out[n].name[len] = '\0';
    return n + 1;
}

/* "<name>-<middle>-<5 random>": the middle segment's start and length, or
 * false when the name has no such shape. */
static bool split_three(const char *pod, size_t len, const char **mid, size_t *mid_len)
{
    const char *rnd = last_segment(pod, len), *m;

    if (rnd == NULL || (size_t)(pod + len - rnd) != RANDOM_SUFFIX_LEN ||
        !podname_random_chars(rnd, RANDOM_SUFFIX_LEN))
        return false;
    m = last_segment(pod, (size_t)(rnd - 1 - pod));
    if (m == NULL)
        return false;
    *mid = m;
    *mid_len = (size_t)(rnd - 1 - m);
    return true;
}

size_t podname_candidates(const char *pod, workload_ref *out, size_t cap)
{
    size_t len, n = 0, mid_len = 0;
    const char *mid = NULL, *last;

    if (pod == NULL || out == NULL || cap == 0)
        return 0;
    len = strlen(pod);
    if (len == 0 || len >= WORKLOAD_NAME_MAX)
        return 0;
    if (split_three(pod, len, &mid, &mid_len)) {
        size_t owner_len = (size_t)(mid - 1 - pod);

        if (all_digits(mid, mid_len) && mid_len >= CRON_MIN_DIGITS)
            n = add(out, n, cap, "CronJob", pod, owner_len);
        if (mid_len >= HASH_MIN_LEN && mid_len <= HASH_MAX_LEN &&
            podname_random_chars(mid, mid_len))
            n = add(out, n, cap, "Deployment", pod, owner_len);
    }
    last = last_segment(pod, len);
    if (last != NULL) {
        size_t last_len = (size_t)(pod + len - last), owner_len = (size_t)(last - 1 - pod);

        if (all_digits(last, last_len) && (last[0] != '0' || last_len == 1))
            n = add(out, n, cap, "StatefulSet", pod, owner_len);
        if (last_len == RANDOM_SUFFIX_LEN && podname_random_chars(last, last_len)) {
            n = add(out, n, cap, "DaemonSet", pod, owner_len);
            n = add(out, n, cap, "Job", pod, owner_len);
        }
    }
    return add(out, n, cap, "Pod", pod, len);
}

/* cpus.c -- usable CPU count, cgroup aware. */
#include "base/cpus.h"

#include <sched.h>
#include <stdio.h>
#include <string.h>

#define CPUS_DEFAULT_ROOT "/sys/fs/cgroup"

static int read_line(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "r");
    int ok = 0;

    if (f == NULL)
        return 0;
    if (fgets(buf, (int)cap, f) != NULL)
        ok = 1;
    fclose(f);
    return ok;
}

/* cgroup v2: "max 100000" or "<quota> <period>". */
static long quota_v2(const char *root)
{
    char path[512], line[128], q[64];
    long quota, period;

    snprintf(path, sizeof(path), "%s/cpu.max", root);
    if (!read_line(path, line, sizeof(line)))
        return 0;
    if (sscanf(line, "%63s %ld", q, &period) != 2 || period <= 0 || strcmp(q, "max") == 0)
        return 0;
    if (sscanf(q, "%ld", &quota) != 1 || quota <= 0)
        return 0;
    return (quota * 1000 + period - 1) / period;
}

/* cgroup v1: cpu.cfs_quota_us (-1 = none) and cpu.cfs_period_us. */
static long quota_v1(const char *root)
{
    char path[512], line[64];
    long quota, period;

    snprintf(path, sizeof(path), "%s/cpu/cpu.cfs_quota_us", root);
    if (!read_line(path, line, sizeof(line)) || sscanf(line, "%ld", &quota) != 1 || quota <= 0)
        return 0;
    snprintf(path, sizeof(path), "%s/cpu/cpu.cfs_period_us", root);
    if (!read_line(path, line, sizeof(line)) || sscanf(line, "%ld", &period) != 1 || period <= 0)
        return 0;
    return (quota * 1000 + period - 1) / period;
}

long cpus_cgroup_quota_milli(const char *cgroup_root)
{
    const char *root = cgroup_root ? cgroup_root : CPUS_DEFAULT_ROOT;
    long q = quota_v2(root);

    return q > 0 ? q : quota_v1(root);
}

int cpus_available(const char *cgroup_root)
{
    cpu_set_t set;
    int n = 1;
    long quota;

    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        n = CPU_COUNT(&set);
    quota = cpus_cgroup_quota_milli(cgroup_root);
    if (quota > 0) {
        long q = (quota + 999) / 1000;

        if (q < n)
            n = (int)q;
    }
    return n < 1 ? 1 : n;
}

/* metrics_process.c -- the standard process metrics (CPU time, memory,
 * start time, file descriptors) read from /proc/self on Linux, and their
 * registration as scrape-time callbacks.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "metrics/metrics_internal.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

typedef struct self_stat {
    double cpu_seconds, start_ticks, vsize, rss_pages;
} self_stat;

static snug_status errno_fail(snug_err *err, const char *path)
{
    char buf[128];
    const char *txt = strerror_r(errno, buf, sizeof(buf));

    return snug_err_set(err, SNUG_ERR_IO, "%s: %s", path, txt);
}

static snug_status read_small_file(const char *path, char *buf, size_t cap, snug_err *err)
{
    FILE *fp = fopen(path, "re");
    size_t n;

    if (fp == NULL)
        return errno_fail(err, path);
    n = fread(buf, 1, cap - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    return SNUG_OK;
}

/* /proc/self/stat: fields 14-15 (utime, stime), 22 (starttime), 23 (vsize)
 * and 24 (rss); the command name (field 2) may hold spaces and parentheses,
 * so parsing starts after the last ')'. */
static snug_status read_self_stat(self_stat *out, snug_err *err)
{
    static const char path[] = "/proc/self/stat";
    char buf[2048], *p;
    unsigned long utime, stime, vsize;
    unsigned long long start;
    long rss;
    double ticks = (double)sysconf(_SC_CLK_TCK);
    snug_status rc = read_small_file(path, buf, sizeof(buf), err);

    if (rc != SNUG_OK)
        return rc;
    p = strrchr(buf, ')');
    if (p == NULL || ticks <= 0 ||
        sscanf(p + 1,
               " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %*d %*d "
               "%llu %lu %ld",
               &utime, &stime, &start, &vsize, &rss) != 5)
        return snug_err_set(err, SNUG_ERR_PARSE, "%s: unexpected format", path);
    out->cpu_seconds = (double)(utime + stime) / ticks;
    out->start_ticks = (double)start / ticks;
    out->vsize = (double)vsize;
    out->rss_pages = (double)rss;
    return SNUG_OK;
}

static snug_status read_boot_time(double *out, snug_err *err)
{
    static const char path[] = "/proc/stat";
    FILE *fp = fopen(path, "re");
    char line[256];
    unsigned long long btime;

    if (fp == NULL)
        return errno_fail(err, path);
    while (fgets(line, sizeof(line), fp) != NULL) {
        if (sscanf(line, "btime %llu", &btime) == 1) {
            fclose(fp);
            *out = (double)btime;
            return SNUG_OK;
        }
    }
    fclose(fp);
    return snug_err_set(err, SNUG_ERR_PARSE, "%s: no btime line", path);
}

static snug_status count_open_fds(double *out, snug_err *err)
{
    static const char path[] = "/proc/self/fd";
    DIR *d = opendir(path);
    struct dirent *e;
    double n = 0;

    if (d == NULL)
        return errno_fail(err, path);
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] != '.')
            n++;
    }
    closedir(d);
    *out = n - 1; /* the descriptor opendir() used */
    return SNUG_OK;
}

static double max_fds(void)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return NAN;
    return rl.rlim_cur == RLIM_INFINITY ? INFINITY : (double)rl.rlim_cur;
}

snug_status metrics_process_read(metrics_process_stats *out, snug_err *err)
{
    self_stat st;
    double btime = 0, fds = 0;
    snug_status rc = read_self_stat(&st, err);

    if (rc == SNUG_OK)
        rc = read_boot_time(&btime, err);
    if (rc == SNUG_OK)
        rc = count_open_fds(&fds, err);
    if (rc != SNUG_OK)
        return rc;
    out->cpu_seconds = st.cpu_seconds;
    out->resident_bytes = st.rss_pages * (double)sysconf(_SC_PAGESIZE);
    out->virtual_bytes = st.vsize;
    out->start_time = btime + st.start_ticks;
    out->open_fds = fds;
    out->max_fds = max_fds();
    return SNUG_OK;
}

enum process_figure { PROC_CPU, PROC_RSS, PROC_VSIZE, PROC_START, PROC_FDS, PROC_MAX_FDS };

/* Scrape-time callback: read only what the figure needs. */
static double process_value(void *ud)
{
    enum process_figure which = (enum process_figure)(uintptr_t)ud;
    self_stat st;
    double v = NAN;

    if (which == PROC_FDS)
        return count_open_fds(&v, NULL) == SNUG_OK ? v : NAN;
    if (which == PROC_MAX_FDS)
        return max_fds();
    if (read_self_stat(&st, NULL) != SNUG_OK)
        return NAN;
    if (which == PROC_CPU)
        return st.cpu_seconds;
    if (which == PROC_RSS)
        return st.rss_pages * (double)sysconf(_SC_PAGESIZE);
    if (which == PROC_VSIZE)
        return st.vsize;
    return read_boot_time(&v, NULL) == SNUG_OK ? v + st.start_ticks : NAN;
}

snug_status metrics_register_process(metrics_registry *r, snug_err *err)
{
    static const struct {
        metrics_type type;
        const char *name, *help;
        enum process_figure which;
    } figs[] = {
        {METRICS_COUNTER, "process_cpu_seconds_total",
         "Total user and system CPU time spent in seconds.", PROC_CPU},
        {METRICS_GAUGE, "process_open_fds", "Number of open file descriptors.", PROC_FDS},
        {METRICS_GAUGE, "process_max_fds", "Maximum number of open file descriptors.",
         PROC_MAX_FDS},
        {METRICS_GAUGE, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
         PROC_VSIZE},
        {METRICS_GAUGE, "process_resident_memory_bytes", "Resident memory size in bytes.",
         PROC_RSS},
        {METRICS_GAUGE, "process_start_time_seconds",
         "Start time of the process since unix epoch in seconds.", PROC_START},
    };
    metrics_family *f = NULL;
    snug_status rc;
    size_t i;

    for (i = 0; i < sizeof(figs) / sizeof(figs[0]); i++) {
        metrics_opts o = {figs[i].name, figs[i].help, NULL, 0, NULL, 0};

        rc = metrics_register(r, figs[i].type, &o, &f, err);
        if (rc != SNUG_OK)
            return rc;
        metrics_child_set_fn(metrics_child_get(f, NULL), process_value,
                             (void *)(uintptr_t)figs[i].which);
    }
    return SNUG_OK;
}

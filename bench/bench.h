/* bench.h -- what the benchmark drivers (bench/NAME.c) share. */
#ifndef SNUG_BENCH_H
#define SNUG_BENCH_H

#include <time.h>

#ifndef SNUG_SOURCE_DIR
#define SNUG_SOURCE_DIR "." /* CMake passes the source tree */
#endif

/* Monotonic time in nanoseconds. */
static inline double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

#endif

/* cpus.h -- how many CPUs this process may really use. */
#ifndef SNUG_CPUS_H
#define SNUG_CPUS_H

/* The CPUs in the affinity mask, lowered to the cgroup CPU quota when one
 * is set (cgroup v2 cpu.max, or v1 cpu.cfs_quota_us / cpu.cfs_period_us),
 * rounded up. At least 1. `cgroup_root` is normally NULL ("/sys/fs/cgroup");
 * tests pass a directory of their own. */
int cpus_available(const char *cgroup_root);

/* The quota alone, in millicores, or 0 when there is none. */
long cpus_cgroup_quota_milli(const char *cgroup_root);

#endif

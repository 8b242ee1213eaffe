"""A week (or any span) of usage for the benchmark's Pods, as OpenMetrics
text for `promtool tsdb create-blocks-from openmetrics`.

Per Pod (its real name, read from the API server after kube-controller-
manager made it), container "app":

  container_cpu_usage_seconds_total   a counter every CPU_STEP (150 s): the
      controller reads rate(...[5m]) at 1-minute steps, and a rate needs two
      samples in its 5-minute window, which 5-minute samples do not give;
  container_memory_working_set_bytes  every MEM_STEP (300 s);
  container_oom_events_total          for 1 Pod in 100: 0, then 1 from a
      point in the history on (a few OOM kills);
  kube_pod_owner                      every OWNER_STEP (30 min), and per
  kube_replicaset_owner               ReplicaSet the same.

Each workload gets its own CPU and memory level (from its index, so runs
are repeatable) with a daily swing of +/-30 % (CPU) and +/-5 % (memory),
the phase varying by workload. The span may reach past "now" (`end`): a
Prometheus without scrape targets then still has fresh samples for the
steady passes the benchmark times.
"""

import itertools
import math

CPU_STEP = 150
MEM_STEP = 300
OWNER_STEP = 1800
MI = 1 << 20
DAY = 86400
PHASES = 24  # distinct daily phases (one per hour)


def levels(index):
    """(cores, memory bytes) of workload number `index` (deterministic)."""
    h = (index * 2654435761) & 0xFFFFFFFF
    cores = 0.02 + (h % 1000) / 1000.0 * 0.8
    mem = (40 + (h >> 10) % 700) * MI
    return cores, mem


def _grid(start, end, step):
    first = (int(start) // step + 1) * step
    return list(range(first, int(end) + 1, step))


class Shapes:
    """Per daily phase: the CPU counter's growth for 1 core (cumulative) and
    the memory factor, on the shared timestamp grids."""

    def __init__(self, start, end):
        self.cpu_t = _grid(start, end, CPU_STEP)
        self.mem_t = _grid(start, end, MEM_STEP)
        self.own_t = _grid(start, end, OWNER_STEP)
        self.cpu_ts = [" %d\n" % t for t in self.cpu_t]
        self.mem_ts = [" %d\n" % t for t in self.mem_t]
        self.own_ts = [" %d\n" % t for t in self.own_t]
        self.cpu_cum, self.mem_f = [], []
        for ph in range(PHASES):
            off = ph * DAY / PHASES
            inc = [CPU_STEP * (1 + 0.3 * math.sin(2 * math.pi * (t + off) / DAY)) for t in self.cpu_t]
            self.cpu_cum.append(list(itertools.accumulate(inc)))
            self.mem_f.append([1 + 0.05 * math.sin(2 * math.pi * (t + off) / DAY) for t in self.mem_t])


def _labels(**kv):
    return "{" + ",".join('%s="%s"' % kv_ for kv_ in kv.items()) + "}"


def write(path, pods, start, end):
    """Write the history of `pods` over (start, end] to `path`.

    pods: [(namespace, pod, replicaset, deployment, workload_index)].
    Returns (series, samples)."""
    sh = Shapes(start, end)
    series = samples = 0
    with open(path, "w", encoding="ascii", buffering=1 << 22) as f:
        f.write("# HELP container_cpu_usage_seconds cAdvisor\n"
                "# TYPE container_cpu_usage_seconds counter\n")
        for ns, pod, _rs, _dep, idx in pods:
            cores, _ = levels(idx)
            cum = sh.cpu_cum[idx % PHASES]
            head = "container_cpu_usage_seconds_total" + _labels(
                container="app", namespace=ns, pod=pod) + " "
            f.write("".join(["%s%.2f%s" % (head, cores * c, ts) for c, ts in zip(cum, sh.cpu_ts)]))
            series += 1
            samples += len(cum)
        f.write("# HELP container_memory_working_set_bytes cAdvisor\n"
                "# TYPE container_memory_working_set_bytes gauge\n")
        for ns, pod, _rs, _dep, idx in pods:
            _, mem = levels(idx)
            fac = sh.mem_f[idx % PHASES]
            head = "container_memory_working_set_bytes" + _labels(
                container="app", namespace=ns, pod=pod) + " "
            f.write("".join(["%s%d%s" % (head, mem * x, ts) for x, ts in zip(fac, sh.mem_ts)]))
            series += 1
            samples += len(fac)
        f.write("# HELP container_oom_events cAdvisor\n# TYPE container_oom_events counter\n")
        for n, (ns, pod, _rs, _dep, idx) in enumerate(pods):
            if n % 100 != 7:
                continue
            at = sh.mem_t[len(sh.mem_t) // 3 + n % 50]
            head = "container_oom_events_total" + _labels(container="app", namespace=ns, pod=pod) + " "
            f.write("".join(["%s%d%s" % (head, t >= at, ts) for t, ts in zip(sh.mem_t, sh.mem_ts)]))
            series += 1
            samples += len(sh.mem_t)
        f.write("# HELP kube_pod_owner kube-state-metrics\n# TYPE kube_pod_owner gauge\n")
        for ns, pod, rs, _dep, _idx in pods:
            head = "kube_pod_owner" + _labels(namespace=ns, owner_is_controller="true",
                                              owner_kind="ReplicaSet", owner_name=rs, pod=pod) + " 1"
            f.write("".join([head + ts for ts in sh.own_ts]))
            series += 1
            samples += len(sh.own_ts)
        f.write("# HELP kube_replicaset_owner kube-state-metrics\n"
                "# TYPE kube_replicaset_owner gauge\n")
        for ns, rs, dep in sorted({(p[0], p[2], p[3]) for p in pods}):
            head = "kube_replicaset_owner" + _labels(namespace=ns, owner_kind="Deployment",
                                                     owner_name=dep, replicaset=rs) + " 1"
            f.write("".join([head + ts for ts in sh.own_ts]))
            series += 1
            samples += len(sh.own_ts)
        f.write("# EOF\n")
    return series, samples

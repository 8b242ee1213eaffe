"""demo_history.py - a week of sample usage for scripts/demo.sh, as TSDB blocks.

    python3 scripts/demo_history.py PODS.json NAMESPACE OUT_DIR [--days 7] [--step 60]

PODS.json is `kubectl get pods -n NAMESPACE -o json` of the demo's
workloads (examples/workloads-demo.yaml): the series carry the names of the
Pods the controllers really created, so snug-controller finds them. Writes
OUT_DIR/history.om (OpenMetrics) and backfills it into OUT_DIR/data with
promtool, for a Prometheus started on that directory. Prints one line: the
series, samples and time taken. Exit status 1 with a message on failure.

The usage, per workload (deterministic: the same Pods give the same data):

  web     Go service (go_info): CPU follows the day, 0.10-0.35 cores;
          memory 170-210Mi.
  api     0.12 cores; memory 300Mi, climbing to its 512Mi limit on day 5,
          where it is OOM-killed once (cAdvisor's container_oom_events_total
          and kube-state-metrics' limit say so).
  worker  a nightly batch: 0.6 cores from 01:00 to 03:00, 0.03 otherwise;
          memory 350Mi.

The series are those snug-controller reads (docs/recommender.md): cAdvisor's
container_cpu_usage_seconds_total and container_memory_working_set_bytes,
container_oom_events_total, kube-state-metrics' kube_pod_owner,
kube_replicaset_owner and kube_pod_container_resource_limits, and go_info.
The building blocks are tests/e2e/prometheus.py's (Series, OpenMetrics,
promtool) and usage_history.py's (owners, kube-state-metrics series).
Standard library only, so Debian's /usr/bin/python3 runs it.
"""

import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))

from prometheus import Series, create_blocks, write_openmetrics  # noqa: E402
from usage_history import ksm_series, owner_of  # noqa: E402

MI = 1 << 20
HOUR = 3600
DAY = 24 * HOUR


def wobble(i, amp):
    """A deterministic wobble in [-amp, +amp]."""
    return amp * math.sin(i * 0.7) * math.cos(i * 0.013)


def daily(t, low, high):
    """low at 04:00 UTC, high at 16:00 UTC, a smooth day between."""
    phase = ((t % DAY) - 4 * HOUR) / DAY * 2 * math.pi
    return low + (high - low) * (1 - math.cos(phase)) / 2


def web(t, i, start):
    return daily(t, 0.10, 0.35) + wobble(i, 0.02), daily(t, 170 * MI, 210 * MI) + wobble(i, 2 * MI)


def api_memory(t, start):
    """300Mi; on day 5 it climbs for 3 hours to the 512Mi limit (the OOM
    kill), then starts again from 300Mi."""
    oom = start + 5 * DAY
    if oom - 3 * HOUR <= t <= oom:
        return 300 * MI + (511 * MI - 300 * MI) * (t - (oom - 3 * HOUR)) / (3 * HOUR)
    return 300 * MI


def api(t, i, start):
    return 0.12 + wobble(i, 0.02), api_memory(t, start) + wobble(i, 3 * MI)


def worker(t, i, start):
    batch = HOUR <= t % DAY < 3 * HOUR
    return (0.6 if batch else 0.03) + wobble(i, 0.01), 350 * MI + wobble(i, 5 * MI)


# app label -> (container, usage function, memory limit in kube-state-metrics)
WORKLOADS = {
    "web": ("app", web, 0),
    "api": ("api", api, 512 * MI),
    "worker": ("worker", worker, 0),
}


def container_series(ns, pod, container, usage, start, end, step):
    """cAdvisor's series of one container, from usage(t, i, start) ->
    (cores, bytes)."""
    labels = {"namespace": ns, "pod": pod, "container": container}
    cpu, memory, total = [], [], 0.0
    for i, t in enumerate(range(start, end + 1, step)):
        cores, mem = usage(t, i, start)
        total += max(0.0, cores) * step
        cpu.append((t, round(total, 3)))
        memory.append((t, float(int(mem))))
    return [Series("container_cpu_usage_seconds_total", labels, cpu, kind="counter"),
            Series("container_memory_working_set_bytes", labels, memory)]


def history(ns, pods, start, end, step):
    """The series of every Pod in `pods` (kubectl items) over [start, end]."""
    series = []
    for p in pods:
        name = p["metadata"]["name"]
        app = p["metadata"].get("labels", {}).get("app")
        if app not in WORKLOADS:
            continue
        container, usage, limit = WORKLOADS[app]
        series += container_series(ns, name, container, usage, start, end, step)
        kind, owner = owner_of(p)
        if kind == "ReplicaSet":
            series += ksm_series(ns, name, owner, owner.rsplit("-", 1)[0], container, limit,
                                 start, end)
        if app == "api":
            oom = start + 5 * DAY
            series.append(Series("container_oom_events_total",
                                 {"namespace": ns, "pod": name, "container": container},
                                 [(t, 0.0 if t < oom else 1.0)
                                  for t in range(start, end + 1, step)], kind="counter"))
        if app == "web":  # the Go runtime's own metric marks a Go container
            series.append(Series("go_info", {"namespace": ns, "pod": name, "container": container,
                                             "version": "go1.24.4"},
                                 [(t, 1.0) for t in range(start, end + 1, 600)]))
    return series


def main(argv):
    args = list(argv)
    opts = {"--days": 7, "--step": 60}
    for k in list(opts):
        if k in args:
            i = args.index(k)
            opts[k] = int(args[i + 1])
            del args[i:i + 2]
    if len(args) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    pods_file, ns, out = args
    t0 = time.monotonic()
    pods = json.load(open(pods_file))["items"]
    step = opts["--step"]
    end = int(time.time()) // step * step
    series = history(ns, pods, end - opts["--days"] * DAY, end, step)
    if not series:
        sys.exit("demo_history.py: no Pods of %s in %s" % (", ".join(WORKLOADS), pods_file))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    om = write_openmetrics(out / "history.om", series)
    create_blocks(om, out / "data")
    (out / "history.om").unlink()
    print("%d series, %d samples over %d days for %d Pods, backfilled in %.1fs" % (
        len(series), sum(len(s.samples) for s in series), opts["--days"],
        len({s.labels["pod"] for s in series if "pod" in s.labels}), time.monotonic() - t0))


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except (OSError, RuntimeError, ValueError, KeyError) as e:
        sys.exit("demo_history.py: %s" % e)

"""Write recorded traces as OpenMetrics text for
`promtool tsdb create-blocks-from openmetrics`.

The series are the ones a real cluster has, with the labels recommenders
select on:

  cAdvisor (job="kubelet"): container_cpu_usage_seconds_total,
    container_memory_working_set_bytes (also for container="POD", the pause
    container, and container="", the Pod's cgroup: noise a recommender must
    skip), container_cpu_cfs_periods_total,
    container_cpu_cfs_throttled_periods_total and
    container_cpu_cfs_throttled_seconds_total (only for containers with a CPU
    limit, as cAdvisor does), container_oom_events_total.
  kube-state-metrics (job="kube-state-metrics"): kube_pod_owner,
    kube_replicaset_owner, kube_pod_container_resource_requests / _limits,
    kube_pod_container_status_restarts_total,
    kube_pod_container_status_last_terminated_reason (only the current
    reason's series, value 1, as kube-state-metrics exposes it).
  The Go runtime (job="quality-pods"): go_info for the Go workload's Pods.

Samples are 1 minute apart; sample i of the history is at
now - (history - 1 - i) * 60, so the last one is at `now`. Families are
written one after another and each series in time order, as the backfiller
needs.
"""

from traces import CONTAINER, NAMESPACE

PAUSE_CPU = 0.0002  # cores the pause container burns
PAUSE_MEM = 600 * 1024  # bytes it holds


def _labels(**kv):
    return "{" + ",".join('%s="%s"' % (k, v) for k, v in kv.items()) + "}"


class Writer:
    """Writes families to a file object; counts samples and series."""

    def __init__(self, out, now, history):
        self.out = out
        self.now = now
        self.history = history
        self.samples = 0
        self.series = 0
        self.ts = [str(now - (history - 1 - i) * 60) for i in range(history)]

    def family(self, name, kind, help_text):
        """Start a family; for a counter, name is without _total."""
        self.out.write("# HELP %s %s\n# TYPE %s %s\n" % (name, help_text, name, kind))

    def series_values(self, name, labels, values, fmt):
        """One series: values[i] for minute i, skipped where None."""
        ts = self.ts
        prefix = name + labels + " "
        lines = [prefix + (fmt % v) + " " + ts[i] + "\n" for i, v in enumerate(values) if v is not None]
        if lines:
            self.out.write("".join(lines))
            self.samples += len(lines)
            self.series += 1

    def series_const(self, name, labels, value, first, last):
        """One series holding `value` over minutes [first, last)."""
        first, last = max(0, first), min(self.history, last)
        if first >= last:
            return
        prefix = name + labels + " " + value + " "
        self.out.write("".join(prefix + self.ts[i] + "\n" for i in range(first, last)))
        self.samples += last - first
        self.series += 1

    def end(self):
        self.out.write("# EOF\n")


def _alive(pod, history):
    return pod.first, min(pod.last, history)


def _pause_cpu(pod, history):
    first, last = _alive(pod, history)
    return [PAUSE_CPU * 60 * (i - first + 1) if first <= i < last else None for i in range(history)]


def _pod_cgroup_cpu(pod, rec, history):
    """The Pod cgroup's counter: app + pause, never reset by app restarts."""
    first, last = _alive(pod, history)
    out = [None] * history
    total = 0.0
    prev = None
    for i in range(first, last):
        v = rec.cpu_total[i]
        if v is not None:
            total += v - prev if prev is not None and v >= prev else v
            prev = v
        out[i] = total + PAUSE_CPU * 60 * (i - first + 1)
    return out


def _cadvisor(w, pods, recs):
    h = w.history
    common = dict(namespace=NAMESPACE)
    w.family("container_cpu_usage_seconds", "counter", "Cumulative cpu time consumed in seconds.")
    name = "container_cpu_usage_seconds_total"
    for pod, rec in zip(pods, recs):
        lab = dict(common, pod=pod.name, job="kubelet")
        w.series_values(name, _labels(container=CONTAINER, **lab), rec.cpu_total, "%.4f")
        w.series_values(name, _labels(container="POD", **lab), _pause_cpu(pod, h), "%.4f")
        w.series_values(name, _labels(container="", **lab), _pod_cgroup_cpu(pod, rec, h), "%.4f")
    w.family("container_memory_working_set_bytes", "gauge", "Current working set in bytes.")
    for pod, rec in zip(pods, recs):
        lab = dict(common, pod=pod.name, job="kubelet")
        first, last = _alive(pod, h)
        pause = [PAUSE_MEM if first <= i < last else None for i in range(h)]
        cg = [(v or 0) + PAUSE_MEM if first <= i < last else None for i, v in enumerate(rec.wss)]
        w.series_values("container_memory_working_set_bytes", _labels(container=CONTAINER, **lab), rec.wss, "%d")
        w.series_values("container_memory_working_set_bytes", _labels(container="POD", **lab), pause, "%d")
        w.series_values("container_memory_working_set_bytes", _labels(container="", **lab), cg, "%d")
    for fam, attr, fmt, help_text in (
        ("container_cpu_cfs_periods", "periods", "%d", "Number of elapsed enforcement period intervals."),
        ("container_cpu_cfs_throttled_periods", "throttled", "%d", "Number of throttled period intervals."),
        ("container_cpu_cfs_throttled_seconds", "throttled_s", "%.4f",
         "Total time duration the container has been throttled."),
    ):
        w.family(fam, "counter", help_text)
        for pod, rec in zip(pods, recs):
            if "cpu" in pod.limits:
                lab = _labels(container=CONTAINER, namespace=NAMESPACE, pod=pod.name, job="kubelet")
                w.series_values(fam + "_total", lab, getattr(rec, attr), fmt)
    w.family("container_oom_events", "counter", "Count of out of memory events observed for the container.")
    for pod, rec in zip(pods, recs):
        first, last = _alive(pod, h)
        vals = [rec.oom[i] if first <= i < last else None for i in range(h)]
        lab = _labels(container=CONTAINER, namespace=NAMESPACE, pod=pod.name, job="kubelet")
        w.series_values("container_oom_events_total", lab, vals, "%d")


def _ksm_owners(w, pods):
    h = w.history
    w.family("kube_pod_owner", "gauge", "Information about the Pod's owner.")
    for pod in pods:
        lab = _labels(
            namespace=NAMESPACE,
            pod=pod.name,
            owner_kind="ReplicaSet",
            owner_name=pod.replicaset,
            owner_is_controller="true",
            job="kube-state-metrics",
        )
        w.series_const("kube_pod_owner", lab, "1", *_alive(pod, h))
    w.family("kube_replicaset_owner", "gauge", "Information about the ReplicaSet's owner.")
    spans = {}
    for pod in pods:
        first, dep = spans.get(pod.replicaset, (pod.first, pod.deployment))
        spans[pod.replicaset] = (min(first, pod.first), dep)
    for rs, (first, dep) in spans.items():
        # a scaled-down ReplicaSet stays (revisionHistoryLimit): to the end
        lab = _labels(
            namespace=NAMESPACE,
            replicaset=rs,
            owner_kind="Deployment",
            owner_name=dep,
            owner_is_controller="true",
            job="kube-state-metrics",
        )
        w.series_const("kube_replicaset_owner", lab, "1", first, h)


def _ksm_resources(w, pods):
    h = w.history
    for fam, attr, help_text in (
        ("kube_pod_container_resource_requests", "requests", "The number of requested request resource by a container."),
        ("kube_pod_container_resource_limits", "limits", "The number of requested limit resource by a container."),
    ):
        w.family(fam, "gauge", help_text)
        for pod in pods:
            for res, unit in (("cpu", "core"), ("memory", "byte")):
                v = getattr(pod, attr).get(res)
                if v is None:
                    continue
                lab = _labels(
                    namespace=NAMESPACE,
                    pod=pod.name,
                    container=CONTAINER,
                    resource=res,
                    unit=unit,
                    job="kube-state-metrics",
                )
                w.series_const(fam, lab, "%g" % v, *_alive(pod, h))


def _ksm_status(w, pods, recs):
    h = w.history
    w.family("kube_pod_container_status_restarts", "counter", "The number of container restarts per container.")
    for pod, rec in zip(pods, recs):
        first, last = _alive(pod, h)
        vals = [rec.restarts[i] if first <= i < last else None for i in range(h)]
        lab = _labels(namespace=NAMESPACE, pod=pod.name, container=CONTAINER, job="kube-state-metrics")
        w.series_values("kube_pod_container_status_restarts_total", lab, vals, "%d")
    w.family(
        "kube_pod_container_status_last_terminated_reason",
        "gauge",
        "Describes the last reason the container was in terminated state.",
    )
    for pod, rec in zip(pods, recs):
        first, last = _alive(pod, h)
        for reason, flags in (("OOMKilled", rec.oom_reason), ("Error", rec.other_reason)):
            vals = [1 if first <= i < last and flags[i] else None for i in range(h)]
            lab = _labels(
                namespace=NAMESPACE, pod=pod.name, container=CONTAINER, reason=reason, job="kube-state-metrics"
            )
            w.series_values("kube_pod_container_status_last_terminated_reason", lab, vals, "%d")


def _go_info(w, pods):
    w.family("go_info", "gauge", "Information about the Go environment.")
    for pod in pods:
        if pod.go:
            lab = _labels(namespace=NAMESPACE, pod=pod.name, container=CONTAINER, version="go1.24.4", job="quality-pods")
            w.series_const("go_info", lab, "1", *_alive(pod, w.history))


def write(path, pods, recs, now, history):
    """Write the whole history of `pods` (with their Recorded views) to
    `path`. Returns (series, samples)."""
    with open(path, "w", buffering=1 << 20) as out:
        w = Writer(out, now, history)
        _cadvisor(w, pods, recs)
        _ksm_owners(w, pods)
        _ksm_resources(w, pods)
        _ksm_status(w, pods, recs)
        _go_info(w, pods)
        w.end()
    return w.series, w.samples

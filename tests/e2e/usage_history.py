"""Usage history for e2e tests of the recommender and the operator: the
workloads they create in the control plane, and cAdvisor / kube-state-metrics
/ go_info series for the Pods the controllers really created, written for
tests/e2e/prometheus.py to backfill.

Usage is steady with a small deterministic wobble: web (Go) 0.25 cores and
200Mi, api 0.10 cores and 300Mi, OOM-killed once at its 512Mi limit, db
0.05 cores and 100Mi. history_for() also adds a Pod of web's earlier
ReplicaSet (gone after the first day: only its name says whose it was) and
a Pod of no workload ("stray-pod")."""

import math

from prometheus import Series

MI = 1 << 20
DAY = 86400
STEP = 60
HISTORY = 2 * DAY

POLICY = """
apiVersion: snug.dev/v1alpha1
kind: SizingPolicy
metadata: {name: e2e-recommend}
spec:
  priority: 5
  mode: Initial
  resources:
    memoryLimit: {strategy: Ratio, ratio: 1.25}
  recommender:
    window: 2d
    minHistory: 1d
    cpuPercentile: 0.9
    safetyMargin: 0.15
    oomBump: {ratio: 1.2, min: 100Mi}
  goRuntime: {gomemlimitRatio: 0.9}
"""

WORKLOADS = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations: {snug.dev/runtime: go}
    spec:
      containers:
      - name: app
        image: example/web:1
        resources: {requests: {cpu: 100m, memory: 128Mi}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: api}
spec:
  replicas: 1
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: example/api:1
        resources: {requests: {cpu: 500m, memory: 256Mi}, limits: {memory: 512Mi}}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 1
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers:
      - name: db
        image: example/db:1
        resources: {requests: {cpu: 50m, memory: 64Mi}, limits: {memory: 128Mi}}
"""

# Per workload/container: CPU cores and memory bytes the Pods use.
LEVELS = {
    "web": ("app", 0.25, 200 * MI),
    "api": ("api", 0.10, 300 * MI),
    "db": ("db", 0.05, 100 * MI),
}

def wobble(i, amp):
    """A deterministic wobble in [-amp, +amp]."""
    return amp * math.sin(i * 0.7) * math.cos(i * 0.013)


def pod_series(ns, pod, container, cores, mem, start, end, oom_at=None):
    """cAdvisor series of one container: CPU counter, working set."""
    labels = {"namespace": ns, "pod": pod, "container": container}
    cpu, memory, total = [], [], 0.0
    t, i = start, 0
    while t <= end:
        total += max(0.0, cores + wobble(i, cores * 0.1)) * STEP
        cpu.append((t, total))
        memory.append((t, mem + wobble(i, mem * 0.02)))
        t += STEP
        i += 1
    out = [Series("container_cpu_usage_seconds_total", labels, cpu, kind="counter"),
           Series("container_memory_working_set_bytes", labels, memory)]
    # the sandbox and the cgroup of the whole Pod: a recommender ignores them
    out.append(Series("container_memory_working_set_bytes",
                      dict(labels, container="POD"), [(s, 1 << 30) for s, _ in memory]))
    if oom_at is not None:
        out.append(Series("container_oom_events_total", labels,
                          [(s, 0.0 if s < oom_at else 1.0) for s, _ in memory],
                          kind="counter"))
    return out


def ksm_series(ns, pod, rs, deploy, container, limit_mem, start, end):
    """kube-state-metrics series of one Pod."""
    points = [(t, 1.0) for t in range(start, end + 1, 600)]
    out = [Series("kube_pod_owner", {"namespace": ns, "pod": pod, "owner_kind": "ReplicaSet",
                                     "owner_name": rs, "owner_is_controller": "true"}, points),
           Series("kube_replicaset_owner", {"namespace": ns, "replicaset": rs,
                                            "owner_kind": "Deployment", "owner_name": deploy},
                  points)]
    if limit_mem:
        out.append(Series("kube_pod_container_resource_limits",
                          {"namespace": ns, "pod": pod, "container": container,
                           "resource": "memory", "unit": "byte"},
                          [(t, float(limit_mem)) for t, _ in points]))
    return out


def owner_of(pod):
    """(kind, name) of a Pod's controller."""
    refs = pod["metadata"].get("ownerReferences") or [{}]
    return refs[0].get("kind"), refs[0].get("name")




def history_for(ns, pods, start, end):
    """Series for the Pod objects `pods` (kubectl get -o json items) over
    [start, end], plus the earlier ReplicaSet's Pod and the stray Pod."""
    series = []
    for p in pods:
        name = p["metadata"]["name"]
        kind, owner = owner_of(p)
        app = p["metadata"]["labels"]["app"]
        container, cores, mem = LEVELS[app]
        oom_at = start + DAY // 2 if app == "api" else None
        series += pod_series(ns, name, container, cores, mem, start, end, oom_at)
        if app == "web":  # the Go runtime's own metric marks a Go container
            series.append(Series("go_info", {"namespace": ns, "pod": name, "container": "app",
                                             "version": "go1.24.4"},
                                 [(t, 1.0) for t in range(start, end + 1, 600)]))
        if kind == "ReplicaSet":
            deploy = owner.rsplit("-", 1)[0]
            series += ksm_series(ns, name, owner, deploy, container,
                                 512 * MI if app == "api" else 0, start, end)
    series += pod_series(ns, "web-6b8f7d9c5-zx2vq", "app", 0.25, 200 * MI, start,
                         min(end, start + DAY))
    series += pod_series(ns, "stray-pod", "main", 0.5, 50 * MI, start, end)
    return series

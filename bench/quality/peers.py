"""The peers snug is compared with, from their documented defaults, computing
from the same Prometheus data over its HTTP API.

VPA recommender (kubernetes/autoscaler vertical-pod-autoscaler, flags and
constants as documented): decaying histograms (24 h half-life) per
Deployment and container; CPU buckets exponential from 0.01 core with ratio
1.05, every usage sample weighted by max(CPU request, 0.1 core); memory
buckets from 1e7 bytes with ratio 1.05, one sample per Pod per 24 h
aggregation interval (its peak, weight 1, timed at the interval's end);
target = 0.9 percentile (the end of the bucket it falls in) x 1.15 safety
margin, at least 25m CPU / 250Mi memory per Pod; an OOM kill adds a memory
sample of max(used + 100Mi, used x 1.2), used = max(the memory request, the
interval's peak). VPA as it runs: a sample a minute per container (metrics
server's), here the 1-minute rate of container_cpu_usage_seconds_total and
container_memory_working_set_bytes, and OOM kills from
container_oom_events_total. VPA does not recommend limits.

KRR simple strategy (robusta-dev/krr, defaults): history 336 h, step 1.25
min (KRR writes it as "1m" in PromQL), per workload its four queries:
quantile_over_time(0.95, max(rate(cpu[1m])) by (container, pod, job)[14d:1m])
then the highest Pod's p95; max_over_time of max(working set) by
(container, pod, job) [14d:1m], the highest Pod's, + 15 %, as request and
limit; needs 100 points; OOM data off (its default); no CPU limit; at least
10m CPU / 100Mi memory.
"""

import math

MI = 1024 * 1024

# ---- VPA ----------------------------------------------------------------------

VPA = {
    "cpu_first_bucket": 0.01,
    "mem_first_bucket": 1e7,
    "bucket_ratio": 1.05,
    "cpu_max": 1000.0,
    "mem_max": 1e12,
    "half_life_s": 24 * 3600,
    "target_percentile": 0.9,
    "margin": 0.15,
    "min_cpu": 0.025,
    "min_mem": 250 * MI,
    "mem_interval_s": 24 * 3600,
    "min_sample_weight": 0.1,
    "oom_ratio": 1.2,
    "oom_min_bump": 100 * MI,
}


class Histogram:
    """VPA's decaying histogram with exponential buckets: bucket 0 is
    [0, first), bucket k starts at first * (ratio^k - 1) / (ratio - 1)."""

    def __init__(self, first, ratio, max_value, half_life_s, ref_ts):
        self.first = first
        self.ratio = ratio
        self.n = int(math.ceil(math.log(max_value * (ratio - 1) / first + 1) / math.log(ratio))) + 1
        self.w = [0.0] * self.n
        self.half_life = half_life_s
        self.ref = ref_ts

    def bucket(self, v):
        if v < self.first:
            return 0
        b = int(math.log(v * (self.ratio - 1) / self.first + 1) / math.log(self.ratio))
        return min(b, self.n - 1)

    def start(self, b):
        if b == 0:
            return 0.0
        return self.first * (self.ratio**b - 1) / (self.ratio - 1)

    def add(self, v, weight, ts):
        self.w[self.bucket(v)] += weight * 2.0 ** ((ts - self.ref) / self.half_life)

    def percentile(self, p):
        total = sum(self.w)
        if total <= 0:
            return 0.0
        acc = 0.0
        for b, wb in enumerate(self.w):
            acc += wb
            if acc >= p * total:
                break
        return self.start(b + 1) if b < self.n - 1 else self.start(b)


def _by_pod(series, container="app"):
    out = {}
    for m, vals in series:
        if m.get("container") == container:
            out[m["pod"]] = vals
    return out


def _pod_values(client, q, now):
    """{pod: value} of an instant query over pods."""
    return {m["pod"]: v for m, v in client.query(q, now)}


def _memory_peaks(hist, samples, ooms, request, cfg):
    """Feed one container's memory samples and OOM kills (ts lists) into
    hist, VPA's ContainerState way: one running peak per aggregation
    interval, the interval's first sample starting it."""
    events = sorted([(t, 0, v) for t, v in samples] + [(t, 1, None) for t in ooms])
    interval = cfg["mem_interval_s"]
    window_end = None
    peak = oom_peak = 0.0
    peaks = []  # (window_end, value) of finished windows
    for ts, is_oom, v in events:
        if window_end is None:
            window_end = ts
        if ts >= window_end:
            if peak or oom_peak:
                peaks.append((window_end, max(peak, oom_peak)))
            window_end += (ts - window_end) // interval * interval + interval
            peak = oom_peak = 0.0
        if is_oom:
            used = max(request, peak)
            oom_peak = max(oom_peak, max(used + cfg["oom_min_bump"], used * cfg["oom_ratio"]))
        else:
            peak = max(peak, v)
    if window_end is not None and (peak or oom_peak):
        peaks.append((window_end, max(peak, oom_peak)))
    for end, v in peaks:
        hist.add(v, 1.0, end)


def vpa(client, pods_by_dep, namespace, now, history_s, cfg=VPA):
    """VPA targets per Deployment: {dep: {'cpu': cores, 'memory': bytes}}."""
    start = now - history_s + 60
    sel = 'namespace="%s",container!="",container!="POD"' % namespace
    cpu = _by_pod(client.query_range("rate(container_cpu_usage_seconds_total{%s}[90s])" % sel, start, now, 60))
    mem = _by_pod(client.query_range("container_memory_working_set_bytes{%s}" % sel, start, now, 60))
    ooms_raw = _by_pod(client.query_range("container_oom_events_total{%s}" % sel, start, now, 60))
    rng = "%ds" % history_s
    req_cpu = _pod_values(
        client, 'max_over_time(kube_pod_container_resource_requests{namespace="%s",container="app",resource="cpu"}[%s])'
        % (namespace, rng), now)
    req_mem = _pod_values(
        client,
        'max_over_time(kube_pod_container_resource_requests{namespace="%s",container="app",resource="memory"}[%s])'
        % (namespace, rng), now)
    out = {}
    for dep, pods in pods_by_dep.items():
        hc = Histogram(cfg["cpu_first_bucket"], cfg["bucket_ratio"], cfg["cpu_max"], cfg["half_life_s"], now)
        hm = Histogram(cfg["mem_first_bucket"], cfg["bucket_ratio"], cfg["mem_max"], cfg["half_life_s"], now)
        for pod in pods:
            weight = max(req_cpu.get(pod, 0.0), cfg["min_sample_weight"])
            for ts, v in cpu.get(pod, []):
                hc.add(v, weight, ts)
            ooms = []
            prev = None
            for ts, v in ooms_raw.get(pod, []):
                if prev is not None and v > prev:
                    ooms.extend([ts] * int(v - prev))
                prev = v
            _memory_peaks(hm, mem.get(pod, []), ooms, req_mem.get(pod, 0.0), cfg)
        if sum(hc.w) <= 0 and sum(hm.w) <= 0:
            continue
        out[dep] = {
            "cpu": max(hc.percentile(cfg["target_percentile"]) * (1 + cfg["margin"]), cfg["min_cpu"]),
            "memory": max(hm.percentile(cfg["target_percentile"]) * (1 + cfg["margin"]), cfg["min_mem"]),
            "memory_limit": None,
        }
    return out


# ---- KRR simple -------------------------------------------------------------------

KRR = {
    "cpu_percentile": 95,
    "memory_buffer_percentage": 15,
    "points_required": 100,
    "history": "14d",  # 336 h
    "step": "1m",  # 1.25 min, as KRR formats it
    "min_cpu": 0.010,
    "min_mem": 100 * MI,
}


def _krr_sel(namespace, pods):
    return 'namespace="%s",pod=~"%s",container="app"' % (namespace, "|".join(pods))


def krr(client, pods_by_dep, namespace, now, cfg=KRR):
    """KRR simple targets per Deployment: {dep: {'cpu', 'memory',
    'memory_limit'}}; a resource without enough points is left out."""
    out = {}
    d, s = cfg["history"], cfg["step"]
    for dep, pods in pods_by_dep.items():
        sel = _krr_sel(namespace, pods)
        p95 = client.query(
            "quantile_over_time(%s, max(rate(container_cpu_usage_seconds_total{%s}[%s])) "
            "by (container, pod, job)[%s:%s])" % (round(cfg["cpu_percentile"] / 100, 2), sel, s, d, s), now)
        mx = client.query(
            "max_over_time(max(container_memory_working_set_bytes{%s}) by (container, pod, job)[%s:%s])"
            % (sel, d, s), now)
        n_cpu = client.query(
            "count_over_time(max(container_cpu_usage_seconds_total{%s}) by (container, pod, job)[%s:%s])"
            % (sel, d, s), now)
        n_mem = client.query(
            "count_over_time(max(container_memory_working_set_bytes{%s}) by (container, pod, job)[%s:%s])"
            % (sel, d, s), now)
        rec = {}
        if p95 and sum(v for _, v in n_cpu) >= cfg["points_required"]:
            cpu = max(v for _, v in p95)
            rec["cpu"] = max(math.ceil(cpu * 1000) / 1000, cfg["min_cpu"])
        if mx and sum(v for _, v in n_mem) >= cfg["points_required"]:
            m = max(v for _, v in mx) * (1 + cfg["memory_buffer_percentage"] / 100)
            rec["memory"] = max(math.ceil(m / MI) * MI, cfg["min_mem"])
            rec["memory_limit"] = rec["memory"]
        if rec:
            out[dep] = rec
    return out

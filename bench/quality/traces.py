"""Synthetic workload traces for bench/quality: true demand, then what a
cluster would have recorded.

Every workload is a Deployment in namespace `quality` named after its shape,
with a few Pods named as the API server names them. Each Pod has one
container `app` with, per minute, a true CPU demand (cores, average over the
minute) and a true memory demand (bytes, the peak within the minute). Time
runs over `history + future` minutes: minute i < history is in the past
(recorded into Prometheus), minute i >= history is the future the
recommendations are scored on. The generator is deterministic in
(seed, variant): the same call gives the same traces.

record() then plays the history through the Pod's limits, the way the kubelet
and cAdvisor would have seen it: CPU usage capped at a CPU limit with CFS
periods and throttled periods; memory capped at a memory limit with an OOM
kill and a container restart whenever demand exceeds it (CrashLoopBackOff
gaps while demand stays above); planned restarts (the leak shape's daily
one) reset the CPU counter too.

Nothing here is visible to a recommender except through Prometheus.
"""

import math
import random
import zlib

MI = 1024 * 1024
DAY = 1440  # minutes
K8S_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
NAMESPACE = "quality"
CONTAINER = "app"
# Virtual clock: the minute `history` (now) is a Wednesday 12:00. Minute i's
# time of day and weekday follow from it; the real wall clock plays no part,
# so figures do not depend on when the bench runs.
NOW_WEEKDAY = 2  # Monday = 0
NOW_MINUTE_OF_DAY = 12 * 60

SHAPES = (
    "steady",
    "diurnal",
    "spiky",
    "leak",
    "batch",
    "gogc",
    "weekly",
    "growth",
    "imbalanced",
    "oom",
    "throttled",
    "rollout",
)


def _rng(*parts):
    """A random.Random seeded from the parts (stable across runs and Pythons)."""
    return random.Random(zlib.crc32("/".join(str(p) for p in parts).encode()))


class Pod:
    """One Pod of a workload: its name, owner, life span and per-minute demand.

    alive: [first, last) minute indexes over history + future.
    cpu, mem: lists of true demand per minute (cores, bytes), full length;
    entries outside [first, last) are 0. planned_restarts: minute indexes
    where the container restarts for a reason other than memory (the leak's
    daily restart). requests / limits: {'cpu': cores, 'memory': bytes}, what
    the Pod runs with today (limits may be missing).
    """

    def __init__(self, deployment, rs_hash, suffix, first, last, n):
        self.deployment = deployment
        self.rs_hash = rs_hash
        self.name = "%s-%s-%s" % (deployment, rs_hash, suffix)
        self.replicaset = "%s-%s" % (deployment, rs_hash)
        self.first = first
        self.last = last
        self.cpu = [0.0] * n
        self.mem = [0.0] * n
        self.planned_restarts = []
        self.requests = {"cpu": 0.5, "memory": 512 * MI}
        self.limits = {}
        self.go = False


class Params:
    """Shape parameters: nominal at variant 0, each drawn from a range for
    variant N > 0 (so a recommender tuned on variant 0 can be checked on
    others)."""

    def __init__(self, shape, variant):
        self.variant = variant
        self.rng = _rng("variant", variant, shape)

    def vary(self, nominal, lo=0.6, hi=1.6):
        """nominal at variant 0; nominal x uniform(lo, hi) otherwise."""
        if self.variant == 0:
            return nominal
        return nominal * self.rng.uniform(lo, hi)

    def count(self, nominal, lo, hi):
        """An integer parameter: nominal at variant 0, else in [lo, hi]."""
        if self.variant == 0:
            return nominal
        return self.rng.randint(lo, hi)


def _time_of_day(i, history):
    """Fraction of the (virtual) day at minute i, in [0, 1)."""
    m = (NOW_MINUTE_OF_DAY + i - history) % DAY
    return m / DAY


def _weekday(i, history):
    """Virtual weekday (Monday = 0) at minute i."""
    total = NOW_WEEKDAY * DAY + NOW_MINUTE_OF_DAY + i - history
    return (total // DAY) % 7


def _day_curve(tod, peak_hour):
    """0 at the trough, 1 at peak_hour, a cosine over the day."""
    return 0.5 + 0.5 * math.cos(2 * math.pi * (tod - peak_hour / 24.0))


def _pod_names(rng, deployment, count, used):
    """A pod-template hash (10 chars) and `count` distinct 5-char suffixes."""
    rs_hash = "".join(rng.choice(K8S_ALPHABET) for _ in range(10))
    suffixes = []
    while len(suffixes) < count:
        s = "".join(rng.choice(K8S_ALPHABET) for _ in range(5))
        if s not in used:
            used.add(s)
            suffixes.append(s)
    return rs_hash, suffixes


class _Noise:
    """AR(1) noise, mean 0 and unit variance, smooth over a few minutes."""

    def __init__(self, rng, keep=0.8):
        self.rng = rng
        self.keep = keep
        self.fresh = math.sqrt(1 - keep * keep)
        self.x = rng.gauss(0, 1)

    def next(self):
        self.x = self.keep * self.x + self.fresh * self.rng.gauss(0, 1)
        return self.x


def _fill(pod, rng, cpu_fn, mem_fn, cpu_sigma=0.15, mem_sigma=0.015):
    """Fill pod.cpu / pod.mem over its life from level functions of the
    minute index with multiplicative noise."""
    cn = _Noise(rng, 0.7)
    mn = _Noise(rng, 0.95)
    for i in range(pod.first, pod.last):
        c = cpu_fn(i)
        pod.cpu[i] = max(0.001, c * math.exp(cpu_sigma * cn.next() - cpu_sigma**2 / 2))
        pod.mem[i] = max(8 * MI, mem_fn(i) * (1 + mem_sigma * mn.next()))


def _make_pods(shape, seed, variant, n_pods, history, future, first=0, last=None, used=None):
    """Pods of one ReplicaSet of `shape` alive over [first, last)."""
    n = history + future
    rng = _rng(seed, variant, shape, "names", first)
    rs_hash, suffixes = _pod_names(rng, shape, n_pods, used if used is not None else set())
    return [Pod(shape, rs_hash, s, first, n if last is None else last, n) for s in suffixes]


def generate(seed=1, variant=0, history=7 * DAY, future=7 * DAY, pods=3, shapes=SHAPES):
    """The workloads of `shapes` (default all): a list of Pods (several
    per shape). A shape's traces do not depend on which others are made.

    pods: the nominal Pod count per workload (short mode uses fewer); a
    variant N > 0 draws counts around it.
    """
    out = []
    for shape in shapes:
        p = Params(shape, variant)
        out.extend(_GENERATORS[shape](p, seed, variant, history, future, pods))
    return out


# ---- shapes -----------------------------------------------------------------
# Each returns the Pods of one workload. Levels are in cores and bytes.


def _count(p, pods):
    return max(1, p.count(pods, max(1, pods - 1), pods + 1))


def _gen_steady(p, seed, variant, history, future, pods):
    c = p.vary(0.25)
    m = p.vary(300 * MI)
    out = _make_pods("steady", seed, variant, _count(p, pods), history, future)
    for k, pod in enumerate(out):
        _fill(pod, _rng(seed, variant, "steady", k), lambda i: c, lambda i: m)
    return out


def _gen_diurnal(p, seed, variant, history, future, pods):
    base, amp = p.vary(0.08), p.vary(0.6)
    mbase, mamp = p.vary(220 * MI), p.vary(180 * MI)
    peak = p.vary(14.0, 0.8, 1.2)
    out = _make_pods("diurnal", seed, variant, _count(p, pods), history, future)
    for k, pod in enumerate(out):
        def cpu(i):
            return base + amp * _day_curve(_time_of_day(i, history), peak) ** 2

        def mem(i):
            return mbase + mamp * _day_curve(_time_of_day(i, history), peak)

        _fill(pod, _rng(seed, variant, "diurnal", k), cpu, mem)
    return out


def _gen_spiky(p, seed, variant, history, future, pods):
    base, burst = p.vary(0.1), p.vary(1.2)
    mbase, mburst = p.vary(200 * MI), p.vary(120 * MI)
    every = p.vary(4 * 60.0, 0.5, 1.5)  # minutes between bursts, on average
    n = history + future
    # bursts hit every Pod at once (a traffic spike)
    rng = _rng(seed, variant, "spiky", "bursts")
    burst_at = [False] * n
    t = rng.uniform(0, every)
    while t < n:
        length = rng.randint(3, 15)
        for j in range(int(t), min(n, int(t) + length)):
            burst_at[j] = True
        t += rng.uniform(0.5 * every, 1.5 * every)
    out = _make_pods("spiky", seed, variant, _count(p, pods), history, future)
    for k, pod in enumerate(out):
        _fill(
            pod,
            _rng(seed, variant, "spiky", k),
            lambda i: base + (burst if burst_at[i] else 0.0),
            lambda i: mbase + (mburst if burst_at[i] else 0.0),
        )
    return out


def _gen_leak(p, seed, variant, history, future, pods):
    c = p.vary(0.15)
    m0 = p.vary(150 * MI)
    per_hour = p.vary(12 * MI)
    restart_hour = p.vary(3.0, 0.3, 2.0)
    out = _make_pods("leak", seed, variant, _count(p, pods), history, future)
    n = history + future
    for k, pod in enumerate(out):
        # each Pod restarts once a day, a few minutes apart from the others
        offset = int(restart_hour * 60 + 7 * k)
        since = [0] * n
        for i in range(n):
            tod_min = int(round(_time_of_day(i, history) * DAY)) % DAY
            since[i] = (tod_min - offset) % DAY
            if since[i] == 0 and i > pod.first:
                pod.planned_restarts.append(i)
        _fill(
            pod,
            _rng(seed, variant, "leak", k),
            lambda i: c,
            lambda i: m0 + per_hour * since[i] / 60.0,
            mem_sigma=0.005,
        )
    return out


def _gen_batch(p, seed, variant, history, future, pods):
    idle, heavy = p.vary(0.02), p.vary(1.5)
    midle, mheavy = p.vary(120 * MI), p.vary(900 * MI)
    period = int(p.vary(360, 0.9, 1.1))
    length = int(p.vary(30, 0.7, 1.5))
    start = p.count(45, 0, 300) % period
    out = _make_pods("batch", seed, variant, _count(p, max(1, pods - 1)), history, future)
    for k, pod in enumerate(out):
        def busy(i):
            return (int(_time_of_day(i, history) * DAY) - start) % period < length

        _fill(
            pod,
            _rng(seed, variant, "batch", k),
            lambda i: heavy if busy(i) else idle,
            lambda i: mheavy if busy(i) else midle,
        )
    return out


def _gen_gogc(p, seed, variant, history, future, pods):
    """A Go service: live heap follows load; with GOGC=100 the heap grows to
    twice the live heap and the GC brings it back, a sawtooth whose period
    shrinks as the allocation rate grows. Demand is the peak in the minute,
    the sample cAdvisor sees is wherever the sawtooth is at the scrape."""
    base, amp = p.vary(0.2), p.vary(0.4)
    live0, live_amp = p.vary(120 * MI), p.vary(60 * MI)
    overhead = p.vary(30 * MI)
    period0 = p.vary(4.0, 0.5, 2.0)  # minutes between GCs at mean load
    out = _make_pods("gogc", seed, variant, _count(p, pods), history, future)
    for k, pod in enumerate(out):
        pod.go = True
        rng = _rng(seed, variant, "gogc", k)
        cn = _Noise(rng, 0.7)
        phase = rng.random()
        pod.sample_mem = [0.0] * len(pod.mem)
        for i in range(pod.first, pod.last):
            load = _day_curve(_time_of_day(i, history), 15.0)
            live = live0 + live_amp * load
            period = period0 / (0.5 + load)
            start_phase = phase
            phase += 1.0 / period
            # peak in the minute: 2x live if a GC cycle completed in it
            frac_end = phase - math.floor(phase)
            if math.floor(phase) > math.floor(start_phase):
                peak = 2 * live
            else:
                peak = live * (1 + frac_end)
            pod.mem[i] = overhead + peak * (1 + 0.01 * rng.gauss(0, 1))
            pod.sample_mem[i] = overhead + live * (1 + frac_end)
            c = base + amp * load
            pod.cpu[i] = max(0.001, c * math.exp(0.15 * cn.next() - 0.011))
    return out


def _gen_weekly(p, seed, variant, history, future, pods):
    base, amp = p.vary(0.1), p.vary(0.7)
    mbase, mamp = p.vary(250 * MI), p.vary(250 * MI)
    quiet = p.vary(0.15, 0.5, 2.0)
    out = _make_pods("weekly", seed, variant, _count(p, pods), history, future)
    for k, pod in enumerate(out):
        def load(i):
            f = quiet if _weekday(i, history) >= 5 else 1.0
            return f * _day_curve(_time_of_day(i, history), 11.0)

        _fill(
            pod,
            _rng(seed, variant, "weekly", k),
            lambda i: base + amp * load(i),
            lambda i: mbase + mamp * load(i),
        )
    return out


def _gen_growth(p, seed, variant, history, future, pods):
    c0, m0 = p.vary(0.3), p.vary(400 * MI)
    rate = p.vary(0.04, 0.5, 1.5)  # per day
    out = _make_pods("growth", seed, variant, _count(p, pods), history, future)
    for k, pod in enumerate(out):
        def g(i):
            return (1 + rate) ** ((i - history) / DAY)

        _fill(pod, _rng(seed, variant, "growth", k), lambda i: c0 * g(i), lambda i: m0 * g(i))
    return out


def _gen_imbalanced(p, seed, variant, history, future, pods):
    c, m = p.vary(0.2), p.vary(250 * MI)
    factor = p.vary(3.0, 0.8, 1.2)
    out = _make_pods("imbalanced", seed, variant, max(2, _count(p, pods)), history, future)
    for k, pod in enumerate(out):
        f = factor if k == 0 else 1.0
        fm = 1 + (f - 1) * 0.5  # the heavy Pod holds more, not 3x
        _fill(
            pod,
            _rng(seed, variant, "imbalanced", k),
            lambda i: c * f * (0.7 + 0.3 * _day_curve(_time_of_day(i, history), 14.0)),
            lambda i: m * fm,
        )
    return out


def _gen_oom(p, seed, variant, history, future, pods):
    """Runs at a 512Mi limit; once a day a job pushes it past the limit."""
    c = p.vary(0.2)
    mbase, mamp = p.vary(330 * MI, 0.9, 1.1), p.vary(90 * MI)
    spike = p.vary(200 * MI, 0.8, 1.3)
    spike_hour = p.vary(9.0, 0.5, 2.0)
    spike_len = int(p.vary(40, 0.5, 1.5))
    out = _make_pods("oom", seed, variant, _count(p, max(1, pods - 1)), history, future)
    for k, pod in enumerate(out):
        pod.requests = {"cpu": 0.25, "memory": 512 * MI}
        pod.limits = {"memory": 512 * MI}

        def mem(i):
            tod = _time_of_day(i, history)
            m = mbase + mamp * _day_curve(tod, 13.0)
            if 0 <= int(tod * DAY) - int(spike_hour * 60) < spike_len:
                m += spike
            return m

        _fill(pod, _rng(seed, variant, "oom", k), lambda i: c, mem)
    return out


def _gen_throttled(p, seed, variant, history, future, pods):
    """Runs at a 0.5-core limit; its afternoon peak needs more."""
    base, amp = p.vary(0.25), p.vary(0.45)
    m = p.vary(200 * MI)
    out = _make_pods("throttled", seed, variant, _count(p, max(1, pods - 1)), history, future)
    for k, pod in enumerate(out):
        pod.requests = {"cpu": 0.5, "memory": 256 * MI}
        pod.limits = {"cpu": 0.5, "memory": 512 * MI}
        _fill(
            pod,
            _rng(seed, variant, "throttled", k),
            lambda i: base + amp * _day_curve(_time_of_day(i, history), 15.0),
            lambda i: m,
        )
    return out


def _gen_rollout(p, seed, variant, history, future, pods):
    """A new version rolls out halfway through the history: new
    pod-template hash, new Pods; it needs less CPU and more memory."""
    c, m = p.vary(0.4), p.vary(300 * MI)
    cpu_f, mem_f = p.vary(0.7, 0.7, 1.3), p.vary(1.3, 0.85, 1.15)
    n = history + future
    mid = history // 2 + p.count(0, -history // 6, history // 6)
    used = set()
    count = _count(p, pods)
    old = _make_pods("rollout", seed, variant, count, history, future, 0, mid + 2, used)
    new = _make_pods("rollout", seed, variant, count, history, future, mid, n, used)
    for k, pod in enumerate(old):
        _fill(pod, _rng(seed, variant, "rollout", "old", k), lambda i: c, lambda i: m)
    for k, pod in enumerate(new):
        _fill(
            pod,
            _rng(seed, variant, "rollout", "new", k),
            lambda i: c * cpu_f,
            lambda i: m * mem_f,
        )
    return old + new


_GENERATORS = {
    "steady": _gen_steady,
    "diurnal": _gen_diurnal,
    "spiky": _gen_spiky,
    "leak": _gen_leak,
    "batch": _gen_batch,
    "gogc": _gen_gogc,
    "weekly": _gen_weekly,
    "growth": _gen_growth,
    "imbalanced": _gen_imbalanced,
    "oom": _gen_oom,
    "throttled": _gen_throttled,
    "rollout": _gen_rollout,
}


# ---- what the cluster recorded ----------------------------------------------


class Recorded:
    """cAdvisor's and kube-state-metrics' view of one Pod over the history.

    Per minute (None where the container was not running, i.e. waiting out a
    CrashLoopBackOff): cpu_total (counter, seconds, resets on restart),
    wss (working set bytes), periods, throttled, throttled_s (CFS
    counters: periods, throttled periods, seconds throttled; reset on
    restart), oom (container_oom_events_total, kept across restarts),
    restarts (kube_pod_container_status_restarts_total), oom_reason (1 from
    the first OOM kill on: last terminated reason OOMKilled), other_reason (1
    from the first other termination on, while it is the last one).
    """

    def __init__(self, n):
        self.cpu_total = [None] * n
        self.wss = [None] * n
        self.periods = [None] * n
        self.throttled = [None] * n
        self.throttled_s = [None] * n
        self.oom = [0] * n
        self.restarts = [0] * n
        self.oom_reason = [0] * n
        self.other_reason = [0] * n


def _cfs(demand, limit):
    """(usage cores, active periods, throttled periods, throttled seconds)
    for one minute of CPU demand under a CFS quota of `limit` cores (100 ms
    periods)."""
    active = int(600 * min(1.0, 0.4 + demand))
    if limit is None:
        return demand, active, 0, 0.0
    usage = min(demand, limit)
    # bursts within the minute hit the quota before the average does
    frac = min(1.0, max(0.0, (demand - 0.7 * limit) / (0.6 * limit)))
    throttled = int(active * frac)
    # a throttled period waits out the rest of its 100 ms
    wait = min(0.9, max(0.1, 1 - limit / demand)) if demand > 0 else 0.0
    return usage, active, throttled, throttled * 0.1 * wait


def record(pod, history, seed=1):
    """Play the Pod's history through its limits: returns a Recorded over
    minutes [0, history) (entries outside the Pod's life stay None/0)."""
    rec = Recorded(history)
    rng = _rng(seed, "record", pod.name)
    cpu_lim = pod.limits.get("cpu")
    mem_lim = pod.limits.get("memory")
    planned = set(pod.planned_restarts)
    counters = [0.0, 0, 0, 0.0]  # cpu seconds, periods, throttled, throttled seconds
    oom = restarts = 0
    oom_reason = other_reason = 0
    down_until = -1
    crash_streak = 0
    last_crash = -10**9
    sample_mem = getattr(pod, "sample_mem", None)
    for i in range(pod.first, min(pod.last, history)):
        d_mem = pod.mem[i]
        if i < down_until:
            rec.oom[i], rec.restarts[i] = oom, restarts
            rec.oom_reason[i], rec.other_reason[i] = oom_reason, other_reason
            continue
        usage, act, thr, thr_s = _cfs(pod.cpu[i], cpu_lim)
        if mem_lim is not None and d_mem > mem_lim:
            # OOM kill some time in this minute, then a restart after the
            # CrashLoopBackOff wait (10 s doubling, 5 min cap; reset after 10
            # min running)
            crash_streak = crash_streak + 1 if i - last_crash < 12 else 1
            last_crash = i
            oom += 1
            restarts += 1
            oom_reason, other_reason = 1, 0
            part = rng.uniform(0.2, 0.9)
            counters = [usage * 60 * (1 - part), int(act * (1 - part)), int(thr * (1 - part)), thr_s * (1 - part)]
            wss = mem_lim * rng.uniform(0.3, 0.95)
            backoff_s = min(300, 10 * 2 ** (crash_streak - 1))
            down_until = i + 1 + backoff_s // 60
        elif i in planned:
            restarts += 1
            oom_reason, other_reason = 0, 1
            part = rng.uniform(0.1, 0.9)
            counters = [usage * 60 * (1 - part), int(act * (1 - part)), int(thr * (1 - part)), thr_s * (1 - part)]
            wss = d_mem
        else:
            counters[0] += usage * 60
            counters[1] += act
            counters[2] += thr
            counters[3] += thr_s
            wss = sample_mem[i] if sample_mem is not None else d_mem
            if mem_lim is not None:
                wss = min(wss, mem_lim)
        rec.cpu_total[i] = counters[0]
        rec.periods[i] = counters[1]
        rec.throttled[i] = counters[2]
        rec.throttled_s[i] = counters[3]
        rec.wss[i] = wss
        rec.oom[i], rec.restarts[i] = oom, restarts
        rec.oom_reason[i], rec.other_reason[i] = oom_reason, other_reason
    return rec

"""Score recommendations on the future part of the traces.

Per workload and resource, over every Pod-minute of the future:
  allocated = the recommended request (target), used = true demand;
  waste     = sum(allocated) / sum(used) - 1;
  shortfall = share of Pod-minutes whose demand exceeded the target;
  for memory also OOM-risk minutes = Pod-minutes whose demand exceeded the
  recommended memory limit (when one is recommended).
Totals add up allocated, used and minutes over all workloads.
"""

import traces


class Tally:
    def __init__(self):
        self.alloc = 0.0
        self.used = 0.0
        self.minutes = 0
        self.short = 0
        self.oom_risk = None  # minutes, when a limit was recommended

    def add(self, other):
        self.alloc += other.alloc
        self.used += other.used
        self.minutes += other.minutes
        self.short += other.short
        if other.oom_risk is not None:
            self.oom_risk = (self.oom_risk or 0) + other.oom_risk

    def waste(self):
        return self.alloc / self.used - 1 if self.used > 0 else float("nan")

    def shortfall(self):
        return self.short / self.minutes if self.minutes else float("nan")

    def as_dict(self):
        return {
            "waste": self.waste(),
            "shortfall": self.shortfall(),
            "allocated": self.alloc,
            "used": self.used,
            "pod_minutes": self.minutes,
            "short_minutes": self.short,
            "oom_risk_minutes": self.oom_risk,
        }


def _future(pod, history):
    return range(max(pod.first, history), pod.last)


def score_one(pods, history, target, attr, limit=None):
    """Tally of one workload's Pods for one resource ('cpu' or 'mem')."""
    t = Tally()
    if limit is not None:
        t.oom_risk = 0
    for pod in pods:
        demand = getattr(pod, attr)
        for i in _future(pod, history):
            d = demand[i]
            t.alloc += target
            t.used += d
            t.minutes += 1
            if d > target:
                t.short += 1
            if limit is not None and d > limit:
                t.oom_risk += 1
    return t


def score(pods, history, recs, shapes=traces.SHAPES):
    """recs: {deployment: {'cpu', 'memory', 'memory_limit'?}}. Returns
    {'shapes': {shape: {'cpu': Tally, 'memory': Tally} or None},
     'total': {'cpu': Tally, 'memory': Tally}, 'missing': [shape, ...]}.
    A workload with no recommendation for a resource is 'missing' and left
    out of the totals."""
    by_dep = {}
    for pod in pods:
        by_dep.setdefault(pod.deployment, []).append(pod)
    out = {"shapes": {}, "total": {"cpu": Tally(), "memory": Tally()}, "missing": []}
    for shape in shapes:
        rec = recs.get(shape) or {}
        row = {}
        for res, attr in (("cpu", "cpu"), ("memory", "mem")):
            if rec.get(res) is None:
                out["missing"].append("%s/%s" % (shape, res))
                row[res] = None
                continue
            lim = rec.get("memory_limit") if res == "memory" else None
            row[res] = score_one(by_dep.get(shape, []), history, rec[res], attr, lim)
            out["total"][res].add(row[res])
        out["shapes"][shape] = row
    return out

#!/usr/bin/python3
"""bench/quality: how well snug sizes workloads, against the VPA recommender
and KRR's simple strategy, through a real Prometheus.

  1. generate seeded synthetic traces (traces.py): history + future;
  2. write the history as OpenMetrics and backfill it with promtool
     (openmetrics.py, promserver.py), start Debian's prometheus on it;
  3. check that Prometheus's rate() gives back the recorded usage, across
     counter resets at restarts;
  4. ask each recommender: snug (`snug-controller recommend`), VPA and KRR
     (peers.py, over the HTTP API);
  5. score each on the future (score.py) and print the tables and the aims.

Run through bench/quality.sh; see docs/benchmarks.md ("Recommendation
quality"). Python 3.11 standard library only.
"""

import argparse
import contextlib
import json
import os
import shlex
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import openmetrics  # noqa: E402
import peers  # noqa: E402
import promapi  # noqa: E402
import promserver  # noqa: E402
import score  # noqa: E402
import snugrec  # noqa: E402
import traces  # noqa: E402

RECOMMENDERS = ("snug", "vpa", "krr")
MEMORY_SHORTFALL_AIM = 0.005


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=1, help="trace seed (default 1)")
    ap.add_argument("--variant", type=int, default=0, help="shape parameters: 0 nominal, N > 0 drawn (default 0)")
    ap.add_argument("--short", action="store_true", help="1 day of history + 1 of future, fewer Pods: proves it runs")
    ap.add_argument("--history-days", type=float, help="days of history (default 7; short 1)")
    ap.add_argument("--future-days", type=float, help="days scored (default 7; short 1)")
    ap.add_argument("--pods", type=int, help="nominal Pods per workload (default 3; short 1)")
    ap.add_argument("--snug-cmd", help="command for snug-controller (default: $SNUG_BUILD_DIR/snug-controller)")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE ('-': stdout only)")
    ap.add_argument("--workdir", help="keep the OpenMetrics file, blocks and logs here (default: a temp dir, removed)")
    ap.add_argument("--reuse", action="store_true",
                    help="with --workdir: serve the blocks already there when they were made with the same "
                         "seed, variant, days, Pods and shapes (and their 'now'): seconds instead of a minute")
    ap.add_argument("--shapes", help="comma-separated subset of: " + ",".join(traces.SHAPES))
    a = ap.parse_args(argv)
    if a.reuse and not a.workdir:
        ap.error("--reuse needs --workdir")
    a.shapes = tuple(a.shapes.split(",")) if a.shapes else traces.SHAPES
    unknown = [s for s in a.shapes if s not in traces.SHAPES]
    if unknown:
        ap.error("--shapes: unknown %s (known: %s)" % (",".join(unknown), ",".join(traces.SHAPES)))
    a.history_days = a.history_days or (1 if a.short else 7)
    a.future_days = a.future_days or (1 if a.short else 7)
    a.pods = a.pods or (1 if a.short else 3)
    return a


def snug_command(a):
    """argv list for snug-controller, or None when it is not built."""
    if a.snug_cmd:
        return shlex.split(a.snug_cmd)
    build = os.environ.get("SNUG_BUILD_DIR")
    if build:
        path = os.path.join(build, "snug-controller")
        if os.access(path, os.X_OK):
            return [path]
    return None


def _load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def say(msg=""):
    print(msg, file=sys.stderr, flush=True)


def prom_rate(p, c, window_s):
    """What Prometheus 2.x's rate() over a window of window_s seconds
    returns when the window holds two samples, p then c, 60 s apart and the
    last at the window's end: the increase (c, if c < p: a counter reset)
    extrapolated towards the window's start, but not past the time the
    counter would have been zero."""
    delta = c - p if c >= p else c
    to_start = window_s - 60.0
    if delta > 0 and p >= 0:
        to_zero = 60.0 * p / delta
        to_start = min(to_start, to_zero)
    extra = to_start if to_start < 66.0 else 30.0
    return delta * (60.0 + extra) / 60.0 / window_s


def check_rates(client, pods, recs, now, history):
    """Does Prometheus answer the peers' queries as expected? For every Pod
    that restarted (counter resets) or was throttled: rate(...[90s]) (VPA's
    query here) and rate(...[1m]) (KRR's) at each minute against the
    recorded counter (prom_rate()). Returns counts, the largest distance
    between rate()[90s] and the minute's true usage (it under-reads in the
    minute after a reset), and mismatches (at most 5)."""
    start = now - (history - 1) * 60
    out = {"points": 0, "resets": 0, "mismatches": [], "missing": 0, "max_underread": 0.0}
    windows = (("90s", 90.0), ("1m", 60.0))
    for pod, rec in zip(pods, recs):
        if rec.restarts[min(pod.last, history) - 1] == 0 and "cpu" not in pod.limits:
            continue
        expect = {}
        for i in range(max(pod.first, 1), min(pod.last, history)):
            c, p = rec.cpu_total[i], rec.cpu_total[i - 1]
            if c is not None and p is not None:
                expect[start + i * 60] = (p, c)
        for window, window_s in windows:
            q = 'rate(container_cpu_usage_seconds_total{namespace="%s",pod="%s",container="app"}[%s])' % (
                traces.NAMESPACE, pod.name, window)
            got = {}
            for _, vals in client.query_range(q, start + 60, now, 60):
                got = dict(vals)
            for ts, (p, c) in expect.items():
                want = prom_rate(p, c, window_s)
                v = got.get(float(ts))
                if v is None:
                    out["missing"] += 1
                    out["mismatches"].append((pod.name, ts, window, want, None))
                    continue
                out["points"] += 1
                if window == "90s":
                    out["resets"] += c < p
                    used = (c if c < p else c - p) / 60.0
                    if used > 0:
                        out["max_underread"] = max(out["max_underread"], 1 - v / used)
                if abs(v - want) > 1e-3 * max(1.0, want):
                    out["mismatches"].append((pod.name, ts, window, want, v))
    out["mismatches"] = out["mismatches"][:5] + (["..."] if len(out["mismatches"]) > 5 else [])
    return out


def prom_quantile(q, values):
    """quantile_over_time's definition: rank q x (n - 1), linear between
    the two neighbours."""
    v = sorted(values)
    if not v:
        return None
    rank = q * (len(v) - 1)
    lo = int(rank)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (rank - lo)


def check_krr_cpu(client, pods, recs, now, history):
    """KRR's CPU query for single Pods against the same p95 computed here
    from the recorded counters: proves its [14d:1m] subquery sees every
    minute of the history. Returns [(pod, want, got)] for Pods that differ
    by more than 0.1 %, and the number of Pods checked."""
    bad, checked = [], 0
    for pod, rec in zip(pods, recs):
        if pod.deployment not in ("steady", "leak", "throttled"):
            continue
        rates = []
        for i in range(max(pod.first, 1), min(pod.last, history)):
            c, p = rec.cpu_total[i], rec.cpu_total[i - 1]
            if c is not None and p is not None:
                rates.append(prom_rate(p, c, 60.0))
        want = prom_quantile(0.95, rates)
        sel = 'namespace="%s",pod=~"%s",container="app"' % (traces.NAMESPACE, pod.name)
        res = client.query("quantile_over_time(0.95, max(rate(container_cpu_usage_seconds_total{%s}[1m])) "
                           "by (container, pod, job)[14d:1m])" % sel, now)
        got = res[0][1] if res else None
        checked += 1
        if got is None or abs(got - want) > 1e-3 * want:
            bad.append((pod.name, want, got))
    return bad, checked


def _pct(x):
    return "%7.1f%%" % (100 * x) if x == x else "     n/a"


def _cores(x):
    return "%7.3f" % x if x is not None else "      -"


def _mib(x):
    return "%7.0fMi" % (x / 2**20) if x is not None else "        -"


def print_tables(results, recs, order, shapes):
    hdr = "%-11s %-5s | %7s %8s %8s | %9s %8s %8s %9s" % (
        "shape", "rec", "cpu", "waste", "short", "memory", "waste", "short", "oom-risk")
    print(hdr)
    print("-" * len(hdr))
    for shape in shapes:
        for name in order:
            row = results[name]["shapes"].get(shape) or {}
            rec = recs[name].get(shape) or {}
            c, m = row.get("cpu"), row.get("memory")
            risk = "-" if m is None or m.oom_risk is None else "%d" % m.oom_risk
            print("%-11s %-5s | %s %s %s | %s %s %s %9s" % (
                shape if name == order[0] else "", name,
                _cores(rec.get("cpu")), _pct(c.waste()) if c else "       -", _pct(c.shortfall()) if c else "       -",
                _mib(rec.get("memory")), _pct(m.waste()) if m else "       -", _pct(m.shortfall()) if m else "       -",
                risk))
    print("-" * len(hdr))
    for name in order:
        t = results[name]["total"]
        risk = "-" if t["memory"].oom_risk is None else "%d" % t["memory"].oom_risk
        print("%-11s %-5s | %7s %s %s | %9s %s %s %9s" % (
            "TOTAL" if name == order[0] else "", name, "", _pct(t["cpu"].waste()), _pct(t["cpu"].shortfall()),
            "", _pct(t["memory"].waste()), _pct(t["memory"].shortfall()), risk))


def aims(results):
    """The issue's aims for snug: less waste than each peer on CPU and
    memory at no more shortfall, and memory shortfall <= 0.5 %."""
    s = results["snug"]["total"]
    checks = []
    for res in ("cpu", "memory"):
        for peer in ("vpa", "krr"):
            p = results[peer]["total"]
            checks.append(("%s waste < %s" % (res, peer), s[res].waste() < p[res].waste(),
                           "%.1f%% vs %.1f%%" % (100 * s[res].waste(), 100 * p[res].waste())))
            checks.append(("%s shortfall <= %s" % (res, peer), s[res].shortfall() <= p[res].shortfall(),
                           "%.2f%% vs %.2f%%" % (100 * s[res].shortfall(), 100 * p[res].shortfall())))
    ms = s["memory"].shortfall()
    checks.append(("memory shortfall <= 0.5%", ms <= MEMORY_SHORTFALL_AIM, "%.2f%%" % (100 * ms)))
    return checks


def report(a, pods, results, recs, order, errors, queries, timings):
    """Print the tables, the aims and the costs; returns the aim checks."""
    print("Recommendation quality: seed %d, variant %d, %g d history, %g d scored, %d Pods" % (
        a.seed, a.variant, a.history_days, a.future_days, len(pods)))
    print("cpu: target cores; memory: target; waste = allocated/used - 1; short = share of Pod-minutes "
          "with demand above target; oom-risk = Pod-minutes above the recommended memory limit")
    print()
    print_tables(results, recs, order, a.shapes)
    print()
    for name, err in errors.items():
        print("%s: no recommendations: %s" % (name, err))
    aim_checks = aims(results) if recs["snug"] else []
    if aim_checks:
        print("aims for snug (totals over the workloads above):")
        for label, ok, detail in aim_checks:
            print("  %-26s %-3s  %s" % (label, "yes" if ok else "NO", detail))
        print("aims met: %s" % ("yes" if all(ok for _, ok, _ in aim_checks) else "no"))
    else:
        print("aims: pending (no snug recommendations)")
    print("prometheus queries: vpa %d, krr %d; wall time %.1f s (generate %.1f, backfill %.1f, vpa %.1f, krr %.1f, "
          "snug %.1f)" % (queries["vpa"], queries["krr"], timings["total_s"], timings["generate_s"],
                          timings["backfill_s"], timings["vpa_s"], timings["krr_s"], timings["snug_s"]))
    return aim_checks


def main(argv):
    a = parse_args(argv)
    t0 = time.monotonic()
    timings = {}
    history = int(a.history_days * traces.DAY)
    future = int(a.future_days * traces.DAY)
    reason = promserver.missing()
    if reason:
        say("bench/quality: %s" % reason)
        return 2
    snug_cmd = snug_command(a)
    workdir = a.workdir or tempfile.mkdtemp(prefix="snug-quality-")
    os.makedirs(workdir, exist_ok=True)
    prom = None
    try:
        pods = traces.generate(seed=a.seed, variant=a.variant, history=history, future=future, pods=a.pods,
                               shapes=a.shapes)
        recs_rec = [traces.record(p, history, a.seed) for p in pods]
        timings["generate_s"] = time.monotonic() - t0
        t = time.monotonic()
        data = os.path.join(workdir, "data")
        meta_path = os.path.join(workdir, "meta.json")
        meta = {"seed": a.seed, "variant": a.variant, "history": history, "future": future, "pods": a.pods,
                "shapes": list(a.shapes)}
        old = _load_json(meta_path) if a.reuse else None
        if old is not None and {k: old.get(k) for k in meta} == meta and os.path.isdir(data):
            now = old["now"]
            say("bench/quality: reusing %s (made for now = %d)" % (data, now))
        else:
            now = int(time.time()) // 60 * 60
            shutil.rmtree(data, ignore_errors=True)
            om = os.path.join(workdir, "history.om")
            n_series, n_samples = openmetrics.write(om, pods, recs_rec, now, history)
            promserver.backfill(om, data)
            if not a.workdir:
                os.unlink(om)
            else:
                with open(meta_path, "w") as f:
                    json.dump(dict(meta, now=now), f)
            say("bench/quality: %d workloads, %d Pods, %d series, %d samples (%g d history, %g d scored), "
                "seed %d, variant %d" % (len(a.shapes), len(pods), n_series, n_samples, a.history_days,
                                         a.future_days, a.seed, a.variant))
        timings["backfill_s"] = time.monotonic() - t
        t = time.monotonic()
        prom = promserver.start(data, workdir)
        timings["prometheus_start_s"] = time.monotonic() - t
        say("bench/quality: prometheus %s serving %s" % (prom.url, data))

        checker = promapi.Client(prom.url)
        rate_check = check_rates(checker, pods, recs_rec, now, history)
        say("bench/quality: rate() check: %d answers as expected of %d ([90s] and [1m], %d across a counter "
            "reset); rate()[90s] under-reads a minute's usage by up to %.0f%% after a reset" % (
                rate_check["points"] - len(rate_check["mismatches"]), rate_check["points"] + rate_check["missing"],
                rate_check["resets"], 100 * rate_check["max_underread"]))

        krr_bad, krr_checked = check_krr_cpu(checker, pods, recs_rec, now, history)
        rate_check["krr_cpu_checked"] = krr_checked
        rate_check["krr_cpu_mismatches"] = krr_bad
        say("bench/quality: KRR's CPU query on %d single Pods: %d differ from the p95 of the recorded minutes" % (
            krr_checked, len(krr_bad)))
        window_s = history * 60
        recs, queries, errors = {}, {}, {}
        for name in ("vpa", "krr"):
            t = time.monotonic()
            c = promapi.Client(prom.url)
            by_dep = promapi.workloads(c, traces.NAMESPACE, now, window_s)
            if name == "vpa":
                recs[name] = peers.vpa(c, by_dep, traces.NAMESPACE, now, window_s)
            else:
                recs[name] = peers.krr(c, by_dep, traces.NAMESPACE, now)
            queries[name] = c.queries
            timings[name + "_s"] = time.monotonic() - t
        t = time.monotonic()
        if snug_cmd is None:
            errors["snug"] = "snug-controller not built (no $SNUG_BUILD_DIR/snug-controller, no --snug-cmd)"
            recs["snug"] = {}
        else:
            try:
                recs["snug"], _ = snugrec.run(snug_cmd, prom.url, traces.NAMESPACE, now)
            except (RuntimeError, OSError, ValueError) as e:
                errors["snug"] = str(e)
                recs["snug"] = {}
        timings["snug_s"] = time.monotonic() - t
    finally:
        if prom is not None:
            prom.stop()
        if not a.workdir:
            shutil.rmtree(workdir, ignore_errors=True)

    results = {name: score.score(pods, history, recs[name], a.shapes) for name in RECOMMENDERS}
    order = [n for n in RECOMMENDERS if recs[n]] or list(RECOMMENDERS)
    timings["total_s"] = time.monotonic() - t0

    # with --json -, stdout carries the JSON alone and the tables go to stderr
    with contextlib.redirect_stdout(sys.stderr if a.json == "-" else sys.stdout):
        aim_checks = report(a, pods, results, recs, order, errors, queries, timings)

    missing = {n: results[n]["missing"] for n in RECOMMENDERS if results[n]["missing"]}
    if a.json:
        doc = {
            "seed": a.seed, "variant": a.variant, "history_days": a.history_days, "future_days": a.future_days,
            "pods": len(pods), "timings": timings, "queries": queries, "errors": errors, "rate_check": rate_check,
            "recommendations": recs, "missing": missing,
            "results": {n: {"shapes": {s: {r: (t.as_dict() if t else None) for r, t in row.items()}
                                       for s, row in results[n]["shapes"].items()},
                            "total": {r: t.as_dict() for r, t in results[n]["total"].items()}}
                        for n in RECOMMENDERS},
            "aims": [{"aim": l, "met": ok, "detail": d} for l, ok, d in aim_checks],
        }
        text = json.dumps(doc, indent=1, sort_keys=True, default=str)
        if a.json == "-":
            print(text)
        else:
            with open(a.json, "w") as f:
                f.write(text + "\n")

    bad = False
    if rate_check["krr_cpu_mismatches"]:
        say("bench/quality: FAIL: KRR's CPU query disagrees with the recorded usage: %s"
            % rate_check["krr_cpu_mismatches"])
        bad = True
    if rate_check["mismatches"]:
        say("bench/quality: FAIL: Prometheus's rate() disagrees with the recorded usage: %s" % rate_check["mismatches"])
        bad = True
    for n in ("vpa", "krr"):
        if missing.get(n):
            say("bench/quality: FAIL: %s has no recommendation for %s" % (n, ", ".join(missing[n])))
            bad = True
    if "snug" in errors:
        if snug_cmd is None and a.short:
            say("bench/quality: snug's row is missing: snug-controller is not built yet (fine in short mode)")
        else:
            say("bench/quality: FAIL: snug: %s" % errors["snug"])
            bad = True
    elif missing.get("snug"):
        say("bench/quality: FAIL: snug has no recommendation for %s" % ", ".join(missing["snug"]))
        bad = True
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

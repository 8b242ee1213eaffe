"""bench/controller.sh's body: `snug-controller run` at scale against the
real API server and a real Prometheus (see docs/benchmarks.md, "Controller
at scale").

For each size N (workloads; 3 Pods each), self-contained in its own
temporary directory:
  1. a control plane (tests/e2e/controlplane.sh), the CRDs, 20 labelled
     namespaces, a SizingPolicy covering them, N Deployments (replicas 3,
     one container) applied server-side in one file; kube-controller-manager
     makes the 3N Pods (Pending: no kubelet) and the script waits for them;
  2. history for the Pods' real names (history.py) backfilled with promtool
     into one block, a Prometheus on 127.0.0.1 serving it;
  3. the controller (--interval, --window, --no-leader-elect): cold start to
     every Recommendation written; two steady passes; SIGTERM (checkpoint
     saved), restart: time to its first completed pass and its queries.
Figures from the controller's /metrics, its JSON log and /proc/PID/status.
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "tests" / "e2e"))

import history  # noqa: E402
from cluster import Cluster, controlplane  # noqa: E402
import prometheus as e2e_prom  # noqa: E402

DAY = 86400


def log(msg):
    sys.stderr.write("[%s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


# ---- the controller ------------------------------------------------------------
METRIC = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$")


class Controller:
    def __init__(self, binary, work, prom_url, cluster, args):
        self.binary, self.work, self.prom_url, self.cluster, self.args = binary, work, prom_url, cluster, args
        self.proc = None
        self.runs = 0

    def start(self):
        self.runs += 1
        self.port = e2e_prom.free_port()
        self.log_path = Path(self.work) / ("controller-%d.log" % self.runs)
        cmd = [str(self.binary), "run", "--prometheus", self.prom_url,
               "--kubeconfig", self.cluster.kubeconfig, "--interval", "%ds" % self.args.interval,
               "--window", self.args.window, "--no-leader-elect",
               "--lease-namespace", "snug-bench", "--identity", "bench",
               "--metrics-listen", "127.0.0.1:%d" % self.port, "--log-level", "info"]
        self.t0 = time.monotonic()
        with open(self.log_path, "ab") as f:
            self.proc = e2e_prom.popen_dying_with_parent(cmd, stdout=f, stderr=subprocess.STDOUT,
                                                         stdin=subprocess.DEVNULL)
        self.hwm = self.anon_peak = 0
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        return self

    def _status(self):
        out = {}
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for line in f:
                    k, _, v = line.partition(":")
                    if k in ("VmHWM", "RssAnon", "VmRSS"):
                        out[k] = int(v.split()[0]) * 1024
        except OSError:
            pass
        return out

    def _sample(self):
        proc = self.proc
        while proc.poll() is None:
            s = self._status()
            self.hwm = max(self.hwm, s.get("VmHWM", 0))
            self.anon_peak = max(self.anon_peak, s.get("RssAnon", 0))
            time.sleep(0.2)

    def alive(self):
        if self.proc.poll() is not None:
            raise RuntimeError("snug-controller exited (%s); log tail:\n%s"
                               % (self.proc.returncode, self.log_tail()))

    def log_tail(self, n=3000):
        return self.log_path.read_text(errors="replace")[-n:]

    def records(self):
        out = []
        for line in self.log_path.read_text(errors="replace").splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def metrics(self):
        """{(name, frozenset(labels)): value} of /metrics; {} when not up yet."""
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.port, timeout=10) as r:
                text = r.read().decode()
        except OSError:
            return {}
        out = {}
        for line in text.splitlines():
            m = METRIC.match(line)
            if m:
                labels = frozenset(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
                out[(m.group(1), labels)] = float(m.group(3))
        return out

    def stop(self, timeout=120):
        if self.proc is None or self.proc.poll() is not None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise RuntimeError("snug-controller still running %ds after SIGTERM" % timeout)


CACHES = ("pods", "deployments", "recommendations")  # the big informer caches


def m_sum(ms, name, **labels):
    want = set(labels.items())
    return sum(v for (n, ls), v in ms.items() if n == name and want <= ls)


def by_verb(ms):
    out = {}
    for (n, ls), v in ms.items():
        if n == "snug_controller_api_requests_total":
            d = dict(ls)
            out[d["verb"]] = out.get(d["verb"], 0) + v
    return out


def ok_passes(ms):
    return m_sum(ms, "snug_controller_passes_total", result="ok")


def queries(ms):
    return m_sum(ms, "snug_controller_prometheus_queries_total")


def wait_metrics(ctl, what, pred, timeout, after=None, interval=0.05):
    """The first /metrics that satisfies pred and shows the Prometheus
    counters of that pass: the pass counters move at the end of a pass
    (before a checkpoint it may save), the Prometheus and API request
    counters after it; every pass here queries Prometheus, so they have
    moved past `after` (an earlier snapshot) once they are current."""
    t0 = time.monotonic()
    q0 = queries(after) if after else 0
    while True:
        ctl.alive()
        ms = ctl.metrics()
        if ms and pred(ms) and queries(ms) > q0:
            return ms
        if time.monotonic() - t0 > timeout:
            raise TimeoutError("timed out after %ds waiting for %s; log tail:\n%s"
                               % (timeout, what, ctl.log_tail()))
        time.sleep(interval)


def delta(a, b):
    """Figures of the passes between snapshots a and b."""
    n = ok_passes(b) - ok_passes(a)
    dur = (m_sum(b, "snug_controller_pass_duration_seconds_sum", result="ok")
           - m_sum(a, "snug_controller_pass_duration_seconds_sum", result="ok"))
    va, vb = by_verb(a), by_verb(b)
    return {
        "passes": n,
        "seconds": dur / n if n else 0,
        "queries": m_sum(b, "snug_controller_prometheus_queries_total") - m_sum(a, "snug_controller_prometheus_queries_total"),
        "bytes": m_sum(b, "snug_controller_prometheus_bytes_read_total") - m_sum(a, "snug_controller_prometheus_bytes_read_total"),
        "api": {k: int(vb[k] - va.get(k, 0)) for k in sorted(vb) if vb[k] - va.get(k, 0)},
        "written": m_sum(b, "snug_controller_recommendations_written_total") - m_sum(a, "snug_controller_recommendations_written_total"),
        "unchanged": m_sum(b, "snug_controller_recommendations_unchanged_total") - m_sum(a, "snug_controller_recommendations_unchanged_total"),
    }


# ---- one size -------------------------------------------------------------------
def run_size(args, n, binary, tmp):
    r = {"workloads": n, "pods": 3 * n}
    work = Path(tmp) / ("n%d" % n)
    work.mkdir(parents=True)
    cluster = Cluster(work / "cp")
    prom = ctl = None
    try:
        log("== %d workloads: control plane" % n)
        t = time.monotonic()
        cluster.start()
        r["cp_start_s"] = time.monotonic() - t
        r["pods_wait_s"] = cluster.setup_objects(work, n, args.namespaces, args.window, log)
        pods = cluster.bench_pods()
        if len(pods) != 3 * n:
            raise RuntimeError("%d Pods of the benchmark's workloads, want %d" % (len(pods), 3 * n))
        log("%d Pods there after %.0fs; history: %g days for them"
            % (len(pods), r["pods_wait_s"], args.history_days))

        now = int(time.time())
        t = time.monotonic()
        om = work / "history.om"
        series, samples = history.write(om, pods, now - args.history_days * DAY, now + args.future)
        r["history"] = {"series": series, "samples": samples, "bytes": om.stat().st_size,
                        "write_s": time.monotonic() - t}
        log("%d series, %.1fM samples, %.0f MB of OpenMetrics in %.0fs; promtool..."
            % (series, samples / 1e6, om.stat().st_size / 1e6, r["history"]["write_s"]))
        t = time.monotonic()
        cmd = [e2e_prom.PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", "--quiet",
               "--max-block-duration=1000h", str(om), str(work / "data")]
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if p.returncode != 0:
            raise RuntimeError("promtool failed: %s" % p.stdout[-3000:])
        om.unlink()
        r["history"]["backfill_s"] = time.monotonic() - t
        prom = e2e_prom.Prometheus(work / "data", work, retention="3650d",
                                   extra_args=["--storage.tsdb.max-block-duration=1000h"])
        prom.start(timeout=300)
        log("backfilled in %.0fs; Prometheus at %s" % (r["history"]["backfill_s"], prom.url))

        # -- cold start
        ctl = Controller(binary, work, prom.url, cluster, args).start()
        ms = wait_metrics(ctl, "every Recommendation written",
                          lambda m: m_sum(m, "snug_controller_recommendations_written_total") >= n
                          and ok_passes(m) >= 1, args.timeout)
        cold_s = time.monotonic() - ctl.t0
        recs = cluster.list_all("/apis/snug.dev/v1alpha1/recommendations")
        with_status = sum(1 for x in recs if x.get("status", {}).get("containers"))
        r["cold"] = {"seconds": cold_s, "passes": ok_passes(ms), "pass_s": m_sum(ms, "snug_controller_pass_duration_seconds_sum"),
                     "queries": m_sum(ms, "snug_controller_prometheus_queries_total"),
                     "bytes": m_sum(ms, "snug_controller_prometheus_bytes_read_total"),
                     "api": {k: int(v) for k, v in sorted(by_verb(ms).items())},
                     "recs": len(recs), "recs_with_status": with_status,
                     "workloads": m_sum(ms, "snug_controller_workloads"),
                     "containers": m_sum(ms, "snug_controller_containers"),
                     "state_bytes": m_sum(ms, "snug_controller_state_bytes"),
                     "hwm": ctl.hwm, "anon_peak": ctl.anon_peak}
        log("cold start: %d Recommendations (%d with status) after %.1fs, %d queries, %.0f MB read"
            % (len(recs), with_status, cold_s, r["cold"]["queries"], r["cold"]["bytes"] / 1e6))

        # -- steady passes: the first (its gap is the cold pass) and the next
        r["steady"] = []
        a = ms
        for _ in range(2):
            b = wait_metrics(ctl, "a steady pass", lambda m, k=ok_passes(a): ok_passes(m) >= k + 1,
                             args.interval * 3 + args.timeout, after=a)
            r["steady"].append(delta(a, b))
            a = b
        r["steady_hwm"] = ctl.hwm
        # the informer caches as kept (set after each pass, so the steady
        # snapshot has the cold pass's): objects and bytes by resource
        r["caches"] = {res: {"objects": m_sum(a, "snug_controller_cache_objects", resource=res),
                             "bytes": m_sum(a, "snug_controller_cache_bytes", resource=res)}
                       for res in CACHES}
        log("steady passes: %s" % ", ".join("%.2fs %d queries" % (s["seconds"], s["queries"])
                                            for s in r["steady"]))

        # -- SIGTERM and restart from the checkpoints
        t = time.monotonic()
        rc = ctl.stop()
        r["stop_s"] = time.monotonic() - t
        saved = [x for x in ctl.records() if x.get("msg") == "checkpoint saved"
                 and x.get("component") == "checkpoint"]
        if rc != 0 or not saved:
            raise RuntimeError("SIGTERM: exit %s, %d checkpoint saved lines" % (rc, len(saved)))
        r["checkpoint_containers"] = int(saved[-1].get("entries", 0))
        r["checkpoint_bytes"] = int(saved[-1].get("bytes", 0))
        r["checkpoint_configmaps"] = int(saved[-1].get("configmaps", 0))
        r["hwm"], r["anon_peak"] = ctl.hwm, ctl.anon_peak
        ctl.start()
        ms = wait_metrics(ctl, "the restarted controller's first pass",
                          lambda m: ok_passes(m) >= 1, args.timeout)
        restart_s = time.monotonic() - ctl.t0
        loaded = [x for x in ctl.records() if x.get("msg") == "checkpoints loaded"
                  and x.get("component") == "operator"]
        r["restart"] = {"seconds": restart_s, "pass_s": m_sum(ms, "snug_controller_pass_duration_seconds_sum"),
                        "queries": m_sum(ms, "snug_controller_prometheus_queries_total"),
                        "bytes": m_sum(ms, "snug_controller_prometheus_bytes_read_total"),
                        "written": m_sum(ms, "snug_controller_recommendations_written_total"),
                        "loaded": int(loaded[0].get("containers", 0)) if loaded else 0,
                        "hwm": ctl.hwm}
        ctl.stop()
        r["restart"]["hwm"] = ctl.hwm
        log("restart: first pass done %.1fs after start (pass %.2fs), %d queries"
            % (restart_s, r["restart"]["pass_s"], r["restart"]["queries"]))
        return r
    finally:
        if ctl is not None:
            try:
                ctl.stop(timeout=30)
            except Exception as e:  # noqa: BLE001 - cleanup goes on
                log("stopping the controller: %s" % e)
        if prom is not None:
            prom.stop()
        try:
            cluster.stop()
        except Exception as e:  # noqa: BLE001
            log("stopping the control plane: %s" % e)


# ---- report ------------------------------------------------------------------------
def mib(b):
    return "%.1f MiB" % (b / (1 << 20))


def mb(b):
    return "%.1f MB" % (b / 1e6) if b >= 1e6 else "%.1f kB" % (b / 1e3)


def verbs(d):
    return " ".join("%s %d" % kv for kv in sorted(d.items())) or "-"


def report(args, results):
    short = " (SHORT mode: proves it runs, not a measurement)" if args.short else ""
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    lines = ["", "snug-controller at scale (bench/controller.sh)%s" % short,
             "machine: %d CPUs (%s), load average %s at the end; control plane, Prometheus"
             % (os.cpu_count(), cpu, open("/proc/loadavg").read().split()[:3]),
             "         and the controller share them",
             "history: %g days, CPU counter every %ds, memory every %ds, owners every %ds;"
             % (args.history_days, history.CPU_STEP, history.MEM_STEP, history.OWNER_STEP),
             "         controller --interval %ds --window %s --no-leader-elect, %d namespaces"
             % (args.interval, args.window, args.namespaces), ""]
    head = "%-46s" % "" + "".join("| %20s " % ("%d workloads" % r["workloads"]) for r in results)
    lines += [head, "-" * len(head)]

    def row(label, fn):
        lines.append("%-46s" % label + "".join("| %20s " % fn(r) for r in results))

    row("Pods (Pending), made by kube-controller-manager", lambda r: "%d in %.0fs" % (r["pods"], r["pods_wait_s"]))
    row("history series / samples", lambda r: "%d / %.1fM" % (r["history"]["series"], r["history"]["samples"] / 1e6))
    row("history OpenMetrics / backfill", lambda r: "%s / %.0fs" % (mb(r["history"]["bytes"]), r["history"]["backfill_s"]))
    row("cold: start -> all Recommendations", lambda r: "%.1f s" % r["cold"]["seconds"])
    row("cold: its pass", lambda r: "%.1f s%s" % (r["cold"]["pass_s"], "" if r["cold"]["passes"] == 1
                                                  else " (%d passes)" % r["cold"]["passes"]))
    row("cold: Recommendations (with status)", lambda r: "%d (%d)" % (r["cold"]["recs"], r["cold"]["recs_with_status"]))
    row("cold: Prometheus queries", lambda r: "%d" % r["cold"]["queries"])
    row("cold: Prometheus bytes read", lambda r: mb(r["cold"]["bytes"]))
    row("cold: peak RSS (VmHWM)", lambda r: mib(r["cold"]["hwm"]))
    row("cold: peak anonymous RSS (RssAnon)", lambda r: mib(r["cold"]["anon_peak"]))
    row("containers / state bytes", lambda r: "%d / %s" % (r["cold"]["containers"], mib(r["cold"]["state_bytes"])))
    for res in CACHES:
        row("cache: %s / bytes (each)" % res, lambda r, res=res: "%d / %s (%.0f B)" % (
            r["caches"][res]["objects"], mib(r["caches"][res]["bytes"]),
            r["caches"][res]["bytes"] / max(r["caches"][res]["objects"], 1)) if "caches" in r else "-")
    for i, label in ((0, "steady 1 (gap = the cold pass)"), (1, "steady 2 (gap = --interval)")):
        row("%s: pass" % label, lambda r, i=i: "%.2f s%s" % (r["steady"][i]["seconds"], "" if r["steady"][i]["passes"] == 1
                                                             else " (%d passes)" % r["steady"][i]["passes"]))
        row("  queries / bytes read", lambda r, i=i: "%d / %s" % (r["steady"][i]["queries"], mb(r["steady"][i]["bytes"])))
        row("  API requests", lambda r, i=i: verbs(r["steady"][i]["api"]))
        row("  written / unchanged", lambda r, i=i: "%d / %d" % (r["steady"][i]["written"], r["steady"][i]["unchanged"]))
    row("SIGTERM -> exit (checkpoint saved)", lambda r: "%.1f s" % r["stop_s"])
    row("checkpoint: containers / ConfigMaps / bytes", lambda r: "%d / %d / %s" % (
        r["checkpoint_containers"], r["checkpoint_configmaps"], mb(r["checkpoint_bytes"])))
    row("restart: start -> first pass done", lambda r: "%.1f s" % r["restart"]["seconds"])
    row("restart: its pass", lambda r: "%.2f s" % r["restart"]["pass_s"])
    row("restart: queries / bytes read", lambda r: "%d / %s" % (r["restart"]["queries"], mb(r["restart"]["bytes"])))
    row("restart: loaded / written", lambda r: "%d / %d" % (r["restart"]["loaded"], r["restart"]["written"]))
    row("peak RSS over the whole run (1st process)", lambda r: mib(r["hwm"]))

    lines += ["", "aims:"]
    for r in results:
        st = max(s["seconds"] for s in r["steady"])
        q = max(s["queries"] for s in r["steady"])
        two = 2 * r["steady"][1]["seconds"]
        aims = [("steady pass < 10 s", "%.2f s" % st, st < 10),
                ("steady queries <= 40 (a few dozen)", "%d" % q, q <= 40),
                ("peak RSS < 100 MB", mb(r["hwm"]), r["hwm"] < 100e6),
                ("restart pass <= 2 steady passes", "%.2f s vs %.2f s" % (r["restart"]["pass_s"], two),
                 r["restart"]["pass_s"] <= two),
                ("restart start->pass <= 2 steady passes", "%.1f s vs %.2f s" % (r["restart"]["seconds"], two),
                 r["restart"]["seconds"] <= two)]
        for name, got, ok in aims:
            lines.append("  %5d workloads  %-40s %-24s %s" % (r["workloads"], name, got, "met" if ok else "NOT MET"))
    print("\n".join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--controller", required=True, help="the snug-controller binary")
    ap.add_argument("--short", action="store_true")
    ap.add_argument("--sizes", help="workload counts, e.g. 500,2000")
    ap.add_argument("--namespaces", type=int)
    ap.add_argument("--history-days", type=float)
    ap.add_argument("--interval", type=int, default=10)
    ap.add_argument("--future", type=int, default=3 * 3600, help="seconds of history past now")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds for a cold start")
    ap.add_argument("--json", help="write the figures here too")
    ap.add_argument("--workdir", help="keep everything here instead of a temporary dir")
    args = ap.parse_args()
    args.sizes = [int(x) for x in (args.sizes or ("50" if args.short else "500,2000")).split(",")]
    args.namespaces = args.namespaces or (5 if args.short else 20)
    args.history_days = args.history_days or (1 if args.short else 7)
    args.window = "%dh" % round(args.history_days * 24)
    if e2e_prom.missing():
        sys.exit("bench/controller.sh: " + e2e_prom.missing())

    def on_term(sig, frame):
        raise KeyboardInterrupt("signal %d" % sig)

    signal.signal(signal.SIGTERM, on_term)
    controlplane("build", timeout=7200)
    results = []
    tmp = args.workdir or tempfile.mkdtemp(prefix="snug-bench-ctl.")
    try:
        for n in args.sizes:
            results.append(run_size(args, n, args.controller, tmp))
            if args.json:  # after each size: a later failure keeps these
                Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    finally:
        if not args.workdir:
            subprocess.run(["rm", "-rf", tmp])
        if results:
            report(args, results)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Tests of bench/quality's own parts (no Prometheus needed, under a second):
quantity parsing, the snug List parser, VPA's histogram and memory peaks,
the rate() model, the scorer, and the trace generator's determinism and
recorded limits. Run: python3 bench/quality/selftest.py"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import openmetrics  # noqa: E402
import peers  # noqa: E402
import run  # noqa: E402
import score  # noqa: E402
import snugrec  # noqa: E402
import traces  # noqa: E402

MI = 1024 * 1024


class Quantity(unittest.TestCase):
    def test_good(self):
        for s, want in (("250m", 0.25), ("2", 2.0), ("300Mi", 300 * MI), ("1Gi", 2**30), ("1.5", 1.5),
                        ("1e3", 1000.0), ("500M", 5e8), ("128974848", 128974848.0), (0.5, 0.5), ("12k", 12000.0)):
            self.assertAlmostEqual(snugrec.quantity(s), want, msg=s)

    def test_bad(self):
        for s in ("", "12x", "Mi", "1.2.3", None, True, "1 Mi", "-"):
            with self.assertRaises(ValueError, msg=repr(s)):
                snugrec.quantity(s)


def _rec(name, containers, kind="Deployment"):
    return {
        "apiVersion": "snug.dev/v1alpha1",
        "kind": "Recommendation",
        "metadata": {"name": "deployment-" + name, "namespace": "quality"},
        "spec": {"targetRef": {"apiVersion": "apps/v1", "kind": kind, "name": name}},
        "status": {"containers": containers},
    }


class SnugList(unittest.TestCase):
    def test_parse(self):
        doc = {"apiVersion": "v1", "kind": "List", "items": [
            _rec("steady", [{"name": "app", "target": {"cpu": "250m", "memory": "300Mi"},
                             "limits": {"memory": "400Mi"}}]),
            _rec("other", [{"name": "sidecar", "target": {"cpu": "1"}}]),
            _rec("job", [{"name": "app", "target": {"cpu": "1"}}], kind="CronJob"),
        ]}
        got = snugrec.parse(doc)
        self.assertEqual(set(got), {"steady"})
        self.assertAlmostEqual(got["steady"]["cpu"], 0.25)
        self.assertEqual(got["steady"]["memory"], 300 * MI)
        self.assertEqual(got["steady"]["memory_limit"], 400 * MI)
        self.assertIsNone(got["steady"]["cpu_limit"])

    def test_bad(self):
        for doc in ([], {"kind": "Recommendation"}, {"kind": "List", "items": [{"kind": "Pod"}]},
                    {"kind": "List", "items": [_rec("a", [{"name": "app", "target": {"cpu": "x"}}])]}):
            with self.assertRaises((RuntimeError, ValueError), msg=str(doc)):
                snugrec.parse(doc)


class VPAHistogram(unittest.TestCase):
    def test_buckets(self):
        h = peers.Histogram(0.01, 1.05, 1000.0, 86400, 0)
        self.assertEqual(h.bucket(0.005), 0)
        self.assertEqual(h.bucket(0.01), 1)
        for b in (1, 10, 100):
            self.assertEqual(h.bucket(h.start(b) * 1.000001), b)
            self.assertEqual(h.bucket(h.start(b + 1) * 0.9999), b)
        self.assertAlmostEqual(h.start(2) - h.start(1), 0.0105)

    def test_percentile_is_bucket_end(self):
        h = peers.Histogram(0.01, 1.05, 1000.0, 86400, 0)
        for v in range(1, 101):
            h.add(v / 100.0, 1.0, 0)
        p90 = h.percentile(0.9)
        self.assertGreaterEqual(p90, 0.9)
        self.assertLess(p90, 0.9 * 1.06)
        self.assertEqual(peers.Histogram(0.01, 1.05, 1000.0, 86400, 0).percentile(0.9), 0.0)

    def test_decay(self):
        h = peers.Histogram(0.01, 1.05, 1000.0, 86400, 0)
        h.add(1.0, 1.0, -86400)  # a day old: half the weight
        h.add(2.0, 1.0, 0)
        self.assertAlmostEqual(h.w[h.bucket(1.0)], 0.5)
        self.assertGreater(h.percentile(0.5), 1.9)

    def test_memory_peaks_one_per_day(self):
        h = peers.Histogram(1e7, 1.05, 1e12, 86400, 0)
        day = 86400
        samples = [(t, 100 * MI + (t % day) * 10) for t in range(0, 3 * day, 60)]
        peers._memory_peaks(h, samples, [], 0, peers.VPA)
        self.assertAlmostEqual(sum(h.w), sum(2.0 ** (d * day / day) for d in (1, 2, 3)), places=6)

    def test_oom_bump(self):
        h = peers.Histogram(1e7, 1.05, 1e12, 86400, 0)
        peers._memory_peaks(h, [(0, 500 * MI), (60, 510 * MI)], [120], 512 * MI, peers.VPA)
        # max(512Mi + 100Mi, 512Mi x 1.2) = 614.4Mi, one window
        self.assertEqual(len([w for w in h.w if w > 0]), 1)
        self.assertGreaterEqual(h.percentile(0.9), 512 * MI * 1.2)
        self.assertLess(h.percentile(0.9), 512 * MI * 1.2 * 1.06)


class PromRate(unittest.TestCase):
    def test_plain(self):
        self.assertAlmostEqual(run.prom_rate(1000.0, 1030.0, 90), 0.5)
        self.assertAlmostEqual(run.prom_rate(1000.0, 1030.0, 60), 0.5)

    def test_reset_and_zero_clamp(self):
        self.assertAlmostEqual(run.prom_rate(1000.0, 12.0, 60), 0.2)
        # a young counter: extrapolation stops where it would reach zero
        self.assertLess(run.prom_rate(1.0, 31.0, 90), 0.5)


class PromQuantile(unittest.TestCase):
    def test_interpolates(self):
        self.assertEqual(run.prom_quantile(0.5, [3.0, 1.0, 2.0]), 2.0)
        self.assertAlmostEqual(run.prom_quantile(0.95, [float(i) for i in range(11)]), 9.5)
        self.assertEqual(run.prom_quantile(1.0, [1.0, 5.0]), 5.0)
        self.assertIsNone(run.prom_quantile(0.9, []))


class Scoring(unittest.TestCase):
    def test_waste_shortfall(self):
        pod = traces.Pod("steady", "bcdfghjklm", "xxxxx", 0, 4, 4)
        pod.cpu = [9.0, 9.0, 1.0, 3.0]
        pod.mem = [0.0, 0.0, 100.0, 300.0]
        res = score.score([pod], 2, {"steady": {"cpu": 2.0, "memory": 200.0, "memory_limit": 250.0}})
        c, m = res["shapes"]["steady"]["cpu"], res["shapes"]["steady"]["memory"]
        self.assertAlmostEqual(c.waste(), 4.0 / 4.0 - 1)
        self.assertAlmostEqual(c.shortfall(), 0.5)
        self.assertAlmostEqual(m.waste(), 400.0 / 400.0 - 1)
        self.assertEqual(m.oom_risk, 1)
        self.assertIn("diurnal/cpu", res["missing"])


class Traces(unittest.TestCase):
    def test_deterministic_and_named(self):
        a = traces.generate(seed=3, variant=2, history=120, future=60, pods=2)
        b = traces.generate(seed=3, variant=2, history=120, future=60, pods=2)
        self.assertEqual([p.name for p in a], [p.name for p in b])
        self.assertEqual(a[5].mem, b[5].mem)
        c = traces.generate(seed=4, variant=2, history=120, future=60, pods=2)
        self.assertNotEqual([p.name for p in a], [p.name for p in c])
        for p in a:
            dep, rs_hash, suffix = p.name.rsplit("-", 2)
            self.assertEqual(dep, p.deployment)
            self.assertEqual(len(rs_hash), 10)
            self.assertEqual(len(suffix), 5)
            self.assertTrue(set(rs_hash + suffix) <= set(traces.K8S_ALPHABET))
        rollout = {p.rs_hash for p in a if p.deployment == "rollout"}
        self.assertEqual(len(rollout), 2)

    def test_limits_recorded(self):
        h = 3 * traces.DAY
        pods = traces.generate(history=h, future=10, pods=1)
        oom = next(p for p in pods if p.deployment == "oom")
        rec = traces.record(oom, h)
        self.assertGreater(max(oom.mem[:h]), 512 * MI)
        self.assertLessEqual(max(v for v in rec.wss if v is not None), 512 * MI)
        self.assertGreater(rec.oom[h - 1], 0)
        thr = next(p for p in pods if p.deployment == "throttled")
        rec = traces.record(thr, h)
        usage = [(rec.cpu_total[i] - rec.cpu_total[i - 1]) / 60 for i in range(1, h)]
        self.assertLessEqual(max(usage), 0.5 + 1e-9)
        self.assertGreater(max(thr.cpu[:h]), 0.6)
        self.assertGreater(rec.throttled[h - 1], 0)
        leak = next(p for p in pods if p.deployment == "leak")
        self.assertEqual(len([i for i in leak.planned_restarts if i < h]), 3)

    def test_openmetrics(self):
        import io
        pods = traces.generate(history=5, future=1, pods=1)
        recs = [traces.record(p, 5) for p in pods]
        out = io.StringIO()
        w = openmetrics.Writer(out, 6000, 5)
        openmetrics._cadvisor(w, pods, recs)
        w.end()
        text = out.getvalue()
        self.assertIn('container="POD"', text)
        self.assertIn('container=""', text)
        self.assertTrue(text.endswith("# EOF\n"))
        self.assertIn(" 6000\n", text)  # the last sample is at `now`


if __name__ == "__main__":
    unittest.main()

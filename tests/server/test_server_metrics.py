"""/healthz, /readyz and /metrics."""

import re
import time

import pytest

from conftest import REPO_ROOT, pod_review, request

POLICIES = """\
apiVersion: snug.dev/v1alpha1
kind: SizingPolicy
metadata: {name: one}
spec: {priority: 1}
---
apiVersion: snug.dev/v1alpha1
kind: SizingPolicy
metadata: {name: two}
spec: {priority: 2, mode: Audit}
"""

RECOMMENDATIONS = """\
apiVersion: snug.dev/v1alpha1
kind: Recommendation
metadata: {name: deployment-web, namespace: shop}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
status:
  containers:
  - name: app
    target: {cpu: 250m, memory: 300Mi}
    lowerBound: {cpu: 200m, memory: 280Mi}
    upperBound: {cpu: 1200m, memory: 400Mi}
"""


def header_families():
    """The families documented in webhook/webhook_metrics.h."""
    text = (REPO_ROOT / "webhook" / "webhook_metrics.h").read_text()
    names = set(re.findall(r"\b(snug_webhook_[a-z_]+)", text))
    assert len(names) >= 10, names
    return names


@pytest.fixture(scope="module")
def loaded(snug_bin, tmp_path_factory):
    from conftest import Server

    d = tmp_path_factory.mktemp("metrics")
    (d / "policies.yaml").write_text(POLICIES)
    (d / "recs.yaml").write_text(RECOMMENDATIONS)
    s = Server(snug_bin, d / "srv", ["--policy", d / "policies.yaml",
                                     "--recommendations", d / "recs.yaml"])
    s.start()
    yield s
    s.stop()


def test_healthz_and_readyz(loaded):
    with loaded.connect() as c:
        for path in ("/healthz", "/readyz", "/livez"):
            r = request(c, "GET", path)
            assert r.status == 200, (path, r)
    with loaded.metrics_conn() as c:
        assert request(c, "GET", "/healthz").status == 200
    assert loaded.metrics().get("snug_webhook_ready") == 1


def test_every_documented_family_exported(loaded):
    m = loaded.metrics()
    missing = sorted(n for n in header_families() if n not in m.types)
    assert missing == [], missing
    assert m.types["snug_webhook_requests_total"] == "counter"
    assert m.types["snug_webhook_request_duration_seconds"] == "histogram"
    assert m.types["snug_webhook_cache_objects"] == "gauge"
    for p in ("process_resident_memory_bytes", "process_open_fds", "process_start_time_seconds",
              "process_cpu_seconds_total"):
        assert m.has(p), p
    assert 0 < m.get("process_resident_memory_bytes") < 200 << 20


def test_latency_histogram_counts_requests(loaded):
    before = loaded.metrics()
    for _ in range(7):
        assert loaded.post(pod_review()).status == 200
    after = loaded.metrics()
    name = "snug_webhook_request_duration_seconds"
    assert after.get(name + "_count") == before.get(name + "_count") + 7
    assert after.get(name + "_sum") > before.get(name + "_sum")
    assert after.get(name + "_bucket", le="+Inf") == after.get(name + "_count")
    # Buckets are cumulative.
    buckets = sorted(((float(ls["le"]), v) for n, ls, v in after.samples
                      if n == name + "_bucket"), key=lambda t: t[0])
    assert len(buckets) >= 5
    assert all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])), buckets
    # Every answered review is in requests_total and in the histogram.
    total = sum(v for n, ls, v in after.samples if n == "snug_webhook_requests_total")
    assert total == after.get(name + "_count")
    assert after.get("snug_webhook_request_body_bytes_count") == total
    assert after.get("snug_webhook_request_body_bytes_sum") >= \
        before.get("snug_webhook_request_body_bytes_sum") + 7 * 500


def test_cache_sizes(loaded):
    m = loaded.metrics()
    assert m.get("snug_webhook_cache_objects", kind="policies") == 2
    assert m.get("snug_webhook_cache_objects", kind="recommendations") == 1
    assert m.has("snug_webhook_cache_objects", kind="namespaces")
    assert m.has("snug_webhook_cache_objects", kind="limitranges")


def test_certificate_expiry_in_future(loaded):
    m = loaded.metrics()
    exp = m.get("snug_webhook_certificate_expiry_timestamp_seconds")
    now = time.time()
    assert now + 300 * 86400 < exp < now + 367 * 86400, exp  # default: one year
    assert m.get("snug_webhook_certificate_reloads_total", result="ok") >= 1


def test_mutations_and_results_counted(loaded):
    before = loaded.metrics()
    # Policy "two" (priority 2, Audit) wins: audit, nothing changed.
    r = loaded.post(pod_review()).json()
    assert "patch" not in r["response"]
    after = loaded.metrics()
    assert after.get("snug_webhook_requests_total", result="audit") == \
        before.get("snug_webhook_requests_total", result="audit") + 1
    assert after.get("snug_webhook_mutations_total") == before.get("snug_webhook_mutations_total")


def test_metrics_text_format_parses(loaded):
    with loaded.metrics_conn() as c:
        r = request(c, "GET", "/metrics")
    assert r.status == 200
    assert r.headers["content-type"].startswith("text/plain"), r.headers
    text = r.body.decode()
    assert text.endswith("\n")
    for line in text.splitlines():
        if line.startswith("#"):
            assert line.startswith("# HELP ") or line.startswith("# TYPE "), line

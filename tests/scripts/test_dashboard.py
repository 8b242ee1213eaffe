"""The Grafana dashboard charts/snug/dashboards/snug.json (docs/operations.md,
"Dashboard"): valid Grafana JSON, every PromQL expression parses (promtool),
and every metric it names is one snug exports.

What snug exports is read from the sources that register the families:
webhook/webhook_metrics.c, controller/ctl_metrics.c and
lib/metrics/metrics_process.c (a histogram exports NAME_bucket, NAME_sum and
NAME_count). tests/e2e/test_image.py checks the same dashboard against the
/metrics of both binaries running in the image's file system.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "charts" / "snug" / "dashboards" / "snug.json"

# PromQL words that are not metric names (functions are recognised by the
# "(" that follows them).
PROMQL_WORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
                "group_left", "group_right", "inf", "nan", "atan2", "topk", "bottomk"}
# Clauses whose parenthesised list holds label names, not series.
LABEL_LIST = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def _drop_strings(expr):
    return re.sub(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'', '""', expr)


def promql_metric_names(expr):
    """The metric names a PromQL expression (with Grafana variables) selects:
    bare selectors, and the alternatives of a `__name__` matcher."""
    names = set()
    for m in re.finditer(r'__name__\s*=~?\s*"([^"]*)"', expr):
        names.update(n for n in m.group(1).split("|") if n)
    e = re.sub(r"\$\{?[A-Za-z_][A-Za-z0-9_]*(?::[a-z]+)?\}?", " ", expr)  # $var, ${var}
    e = _drop_strings(e)
    e = re.sub(r"\{[^}]*\}", " ", e)  # label matchers
    e = re.sub(r"\[[^\]]*\]", " ", e)  # ranges and subqueries
    e = LABEL_LIST.sub(" ", e)
    e = re.sub(r"\b(?:\d+(?:ms|s|m|h|d|w|y))+\b", " ", e)  # durations (offset 5m)
    e = re.sub(r"\b\d+(?:\.\d+)?(?:e[+-]?\d+)?\b", " ", e)  # numbers
    for m in IDENT.finditer(e):
        word = m.group(0)
        rest = e[m.end():].lstrip()
        if rest.startswith("(") or word.lower() in PROMQL_WORDS:
            continue  # a function, an aggregation, a keyword
        names.add(word)
    return names


def _families(path, pattern):
    text = (REPO / path).read_text()
    found = {name: kind.lower() for kind, name in re.findall(pattern, text)}
    return found


def exported_families():
    """{family name: counter|gauge|histogram} from the registration code."""
    fams = {}
    web = _families("webhook/webhook_metrics.c",
                    r'REG\(\s*METRICS_(COUNTER|GAUGE|HISTOGRAM),\s*"([a-z_:]+)"')
    assert len(web) >= 10, "webhook/webhook_metrics.c: registrations not found: %r" % web
    ctl_src = (REPO / "controller/ctl_metrics.c").read_text()
    prefix = re.search(r'#define P "([a-z_]+)"', ctl_src).group(1)
    ctl = {prefix + name: kind.lower() for kind, name in
           re.findall(r'\{\s*METRICS_(COUNTER|GAUGE|HISTOGRAM),\s*P\s*"([a-z_]+)"', ctl_src)}
    for var, name in re.findall(r'metrics_opts\s+(\w+)\s*=\s*\{\s*\.name\s*=\s*P\s*"([a-z_]+)"',
                                ctl_src):
        kind = re.search(r"metrics_register\(\s*\w+,\s*METRICS_(\w+),\s*&%s\b" % var, ctl_src)
        assert kind, "controller/ctl_metrics.c: no metrics_register of %s" % var
        ctl[prefix + name] = kind.group(1).lower()
    assert len(ctl) >= 15, "controller/ctl_metrics.c: registrations not found: %r" % ctl
    proc = _families("lib/metrics/metrics_process.c",
                     r'\{\s*METRICS_(COUNTER|GAUGE|HISTOGRAM),\s*"([a-z_]+)"')
    assert len(proc) >= 5, "lib/metrics/metrics_process.c: registrations not found: %r" % proc
    for part in (web, ctl, proc):
        fams.update(part)
    return fams


def series_names(families):
    """The series names families export (histograms: _bucket, _sum, _count)."""
    out = set()
    for name, kind in families.items():
        if kind == "histogram":
            out.update(name + s for s in ("_bucket", "_sum", "_count"))
        else:
            out.add(name)
    return out


def load_dashboard():
    return json.loads(DASHBOARD.read_text())


def dashboard_queries(dash):
    """(where, PromQL) of every panel target and query variable."""
    out = []
    for p in dash["panels"]:
        for t in p.get("targets", []):
            out.append(("panel %r target %s" % (p.get("title"), t.get("refId")), t["expr"]))
    for v in dash.get("templating", {}).get("list", []):
        if v.get("type") == "query":
            q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
            out.append(("variable %s" % v["name"], q))
    return out


def dashboard_metric_names(dash):
    """{metric name: [where it is used]} over the whole dashboard."""
    used = {}
    for where, expr in dashboard_queries(dash):
        inner = re.sub(r"^\s*label_values\((.*),\s*\w+\s*\)\s*$", r"\1", expr)
        for name in promql_metric_names(inner):
            used.setdefault(name, []).append(where)
    return used


# ------------------------------------------------------------------ tests --


@pytest.mark.parametrize("expr,want", [
    ('sum by (le) (rate(a_bucket{x="b_total"}[5m]))', {"a_bucket"}),
    ("x{namespace=~\"$namespace\"} and on (instance) (y == 1)", {"x", "y"}),
    ("histogram_quantile(0.99, sum by (le) (rate(h_bucket[$__rate_interval])))", {"h_bucket"}),
    ("time() - max(last_seconds > 0)", {"last_seconds"}),
    ("sum without (pod) (increase(c_total[$__range])) * 60", {"c_total"}),
    ('{__name__=~"m_one|m_two"}', {"m_one", "m_two"}),
    ("a / clamp_min(b, 1e-9) offset 5m", {"a", "b"}),
    ("rate(x[5m:1m]) > bool 0 unless ignoring(kind) y", {"x", "y"}),
    ("1 + 2", set()),
])
def test_promql_metric_names(expr, want):
    assert promql_metric_names(expr) == want


def test_exported_families_are_read_from_the_sources():
    fams = exported_families()
    assert fams["snug_webhook_request_duration_seconds"] == "histogram"
    assert fams["snug_controller_pass_duration_seconds"] == "histogram"
    assert fams["snug_controller_oom_bumps_total"] == "counter"
    assert fams["process_resident_memory_bytes"] == "gauge"
    assert "snug_controller_pass_duration_seconds_bucket" in series_names(fams)
    assert "snug_controller_pass_duration_seconds" not in series_names(fams)


def test_dashboard_is_grafana_json():
    dash = load_dashboard()
    assert dash["uid"] and dash["title"] and isinstance(dash["schemaVersion"], int)
    assert "id" not in dash or dash["id"] is None, "an exported id breaks provisioning"
    names = {v["name"]: v for v in dash["templating"]["list"]}
    assert names["datasource"]["type"] == "datasource"
    assert names["datasource"]["query"] == "prometheus"
    ids = [p["id"] for p in dash["panels"]]
    assert len(ids) == len(set(ids)), "panel ids repeat"
    cells = set()
    for p in dash["panels"]:
        g = p["gridPos"]
        assert 0 <= g["x"] and g["x"] + g["w"] <= 24, p["title"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, "panel %r overlaps another" % p["title"]
                cells.add((x, y))
        if p["type"] == "row":
            continue
        assert p["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, p["title"]
        assert p.get("description"), "panel %r has no description" % p["title"]
        assert p["targets"], "panel %r has no query" % p["title"]
        refs = [t["refId"] for t in p["targets"]]
        assert len(refs) == len(set(refs)), p["title"]


def test_dashboard_references_only_exported_metrics():
    exported = series_names(exported_families())
    used = dashboard_metric_names(load_dashboard())
    assert used, "no metric found in the dashboard"
    unknown = {n: w for n, w in used.items() if n not in exported}
    assert not unknown, "metrics snug does not export: %s" % json.dumps(unknown, indent=1)


def test_dashboard_shows_what_the_issue_asks_for():
    used = dashboard_metric_names(load_dashboard())
    want = [
        "snug_webhook_requests_total",                       # requests, outcomes
        "snug_webhook_request_duration_seconds_bucket",      # latency
        "snug_webhook_mutations_total",                      # outcomes
        "snug_webhook_certificate_expiry_timestamp_seconds",
        "snug_controller_pass_duration_seconds_bucket",
        "snug_controller_prometheus_queries_total",
        "snug_controller_prometheus_errors_total",
        "snug_controller_api_requests_total",
        "snug_controller_recommendations_written_total",
        "snug_controller_oom_bumps_total",
        "snug_controller_requested",
        "snug_controller_recommended",
    ]
    missing = [n for n in want if n not in used]
    assert not missing, "the dashboard does not show %s" % missing
    exprs = " ".join(e for _, e in dashboard_queries(load_dashboard()))
    for res in ("cpu", "memory"):
        for fam in ("requested", "recommended"):
            assert re.search(r'snug_controller_%s\{[^}]*resource="%s"' % (fam, res), exprs), (fam, res)


def test_dashboard_promql_parses(tmp_path):
    """Each expression through promtool's parser, Grafana's variables
    replaced by what Grafana would put there."""
    promtool = shutil.which("promtool")
    if not promtool:
        pytest.skip("promtool not installed (Debian package prometheus)")
    rules = []
    for i, (where, expr) in enumerate(dashboard_queries(load_dashboard())):
        if expr.lstrip().startswith("label_values("):
            expr = re.sub(r"^\s*label_values\((.*),\s*\w+\s*\)\s*$", r"\1", expr)
        expr = (expr.replace("$__rate_interval", "5m").replace("$__range", "6h")
                .replace("$namespace", ".*"))
        rules.append({"record": "snug_dashboard:expr%d" % i, "expr": expr})
    path = tmp_path / "rules.json"  # JSON is YAML
    path.write_text(json.dumps({"groups": [{"name": "dashboard", "rules": rules}]}))
    r = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "SUCCESS: %d rules found" % len(rules) in r.stdout, r.stdout

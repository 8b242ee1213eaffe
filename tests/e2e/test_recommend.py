"""snug-controller recommend against the real control plane and a real
Prometheus (Debian's, history backfilled with promtool).

Workloads are created in the API server (their Pods stay Pending: there is
no kubelet), then two days of cAdvisor and kube-state-metrics series are
written for the Pods the controllers really created, plus a Pod of an
earlier ReplicaSet (a rollout) and a Pod of no workload. The report must
name the same workloads with the expected values, with the API server and
from Prometheus alone; its YAML must be what `snug-webhook mutate
--recommendations` applies; a dead or erring Prometheus and bad flags must
give a clear error and a non-zero exit.

Tolerances: usage is steady with a small deterministic wobble, so a CPU
target lies between the observed level and the level plus a generous
margin (1.0x-1.6x); memory likewise from the observed peak (1.0x-1.6x)."""

import http.server
import json
import socketserver
import subprocess
import threading
import time

import pytest
import yaml

from prometheus import Prometheus, missing

from usage_history import HISTORY, MI, POLICY, STEP, WORKLOADS, history_for

pytestmark = pytest.mark.skipif(missing() is not None, reason=missing() or "")


@pytest.fixture(scope="module")
def env(cluster, snug_build, tmp_path_factory):
    work = tmp_path_factory.mktemp("recommend")
    ns = "e2e-recommend-%d" % (int(time.time()) % 100000)
    cluster.kubectl("create", "namespace", ns)
    cluster.wait_for(lambda: cluster.kubectl("get", "serviceaccount", "default", "-n", ns),
                     timeout=180, what="default ServiceAccount")
    cluster.apply(WORKLOADS, namespace=ns)

    def pods_created():
        items = cluster.get_json("pods", "-n", ns)["items"]
        return items if len(items) == 4 else None

    pods = cluster.wait_for(pods_created, timeout=120, what="4 Pods created by the controllers")
    end = int(time.time()) // STEP * STEP
    series = history_for(ns, pods, end - HISTORY, end)
    prom = Prometheus.backfilled(work / "prom", series)
    policy = work / "policy.yaml"
    policy.write_text(POLICY)
    yield {"ns": ns, "prom": prom, "policy": policy, "end": end, "work": work,
           "controller": snug_build / "snug-controller",
           "webhook": snug_build / "snug-webhook"}
    prom.stop()
    cluster.kubectl("delete", "namespace", ns, "--wait=false", check=False)


def recommend(env, *args, kube=None, prom_url=None, timeout=120):
    cmd = [str(env["controller"]), "recommend",
           "--prometheus", prom_url or env["prom"].url, "--at", str(env["end"]),
           "--policy", str(env["policy"])]
    if kube is None:
        cmd.append("--no-kube")
    else:
        cmd += ["--kubeconfig", str(kube)]
    cmd += list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                          env={"PATH": "/usr/bin:/bin"})


def quantity(q):
    """A Kubernetes quantity as cores or bytes (the forms the report writes)."""
    units = {"m": 1e-3, "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30}
    for u, f in units.items():
        if q.endswith(u):
            return float(q[: -len(u)]) * f
    return float(q)


def by_name(report):
    return {item["metadata"]["name"]: item for item in report["items"]}


def container(item, name):
    return next(c for c in item["status"]["containers"] if c["name"] == name)


def check_values(items):
    web = container(items["deployment-web"], "app")
    assert 0.25 <= quantity(web["target"]["cpu"]) <= 0.25 * 1.6, web
    assert 200 * MI <= quantity(web["target"]["memory"]) <= 200 * MI * 1.6, web
    assert web["runtime"] == "go"
    assert web["go"]["gomaxprocs"] >= 2
    if "limits" in web and "memory" in web["limits"]:
        limit = quantity(web["limits"]["memory"])
        assert limit >= quantity(web["target"]["memory"])
        assert web["go"]["gomemlimit"].endswith("B")
    assert web["observed"]["samples"] > 0
    api = container(items["deployment-api"], "api")
    # OOM-killed at a 512Mi limit: memory raised to at least
    # max(512Mi x 1.2, 512Mi + 100Mi) = 614.4Mi
    assert api["observed"]["oomKills"] >= 1, api
    assert quantity(api["target"]["memory"]) >= 614 * MI, api
    assert "OOM" in api.get("reason", ""), api
    db = container(items["statefulset-db"], "db")
    assert 0.05 <= quantity(db["target"]["cpu"]) <= 0.05 * 1.6 + 0.011, db
    assert 100 * MI <= quantity(db["target"]["memory"]) <= 100 * MI * 1.6, db


def test_report_with_the_api_server(cluster, env):
    r = recommend(env, "-n", env["ns"], "-o", "json", kube=cluster.kubeconfig)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert report["apiVersion"] == "v1" and report["kind"] == "List"
    items = by_name(report)
    # the stray Pod belongs to no workload of the cluster
    assert set(items) == {"deployment-web", "deployment-api", "statefulset-db"}, r.stderr
    for item in items.values():
        assert item["apiVersion"] == "snug.dev/v1alpha1"
        assert item["kind"] == "Recommendation"
        assert item["metadata"]["namespace"] == env["ns"]
        assert item["status"]["policy"] == "e2e-recommend"
        types = {c["type"]: c["status"] for c in item["status"]["conditions"]}
        assert types["RecommendationProvided"] == "True", item
        assert types["NoMetrics"] == "False", item
    web = items["deployment-web"]
    assert web["spec"]["targetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                        "name": "web"}
    # the earlier ReplicaSet's Pod counted toward web: three Pods' samples
    assert container(web, "app")["observed"]["samples"] > 2 * HISTORY // STEP
    check_values(items)
    assert "Pods (1 not sized)" in r.stderr, r.stderr


def test_report_from_prometheus_alone(cluster, env):
    r = recommend(env, "-n", env["ns"], "-o", "json")
    assert r.returncode == 0, r.stderr
    items = by_name(json.loads(r.stdout))
    # without the API server the stray Pod is a workload of its own
    assert set(items) == {"deployment-web", "deployment-api", "statefulset-db",
                          "pod-stray-pod"}, items.keys()
    check_values(items)
    with_api = by_name(json.loads(recommend(env, "-n", env["ns"], "-o", "json",
                                            kube=cluster.kubeconfig).stdout))
    for name in ("deployment-web", "deployment-api", "statefulset-db"):
        a = with_api[name]["status"]["containers"][0]["target"]
        b = items[name]["status"]["containers"][0]["target"]
        assert a == b, (name, a, b)


def test_all_namespaces_and_table(cluster, env):
    r = recommend(env, "--no-progress", kube=cluster.kubeconfig)
    assert r.returncode == 0, r.stderr
    assert "NAMESPACE" in r.stdout and "Deployment/web" in r.stdout
    assert "100m -> " in r.stdout  # web's request now -> recommended
    assert r.stdout.rstrip().splitlines()[-1].startswith("TOTAL")
    assert "\033[" not in r.stdout  # no colour when piped
    r = recommend(env, "-n", env["ns"], "-o", "csv")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("NAMESPACE,WORKLOAD,CONTAINER,CPU REQUEST")
    assert len(lines) == 1 + 4


def test_webhook_applies_the_yaml_report(cluster, env):
    r = recommend(env, "-n", env["ns"], "-o", "yaml", kube=cluster.kubeconfig)
    assert r.returncode == 0, r.stderr
    recs = env["work"] / "recs.yaml"
    recs.write_text(r.stdout)
    web = container(by_name(yaml.safe_load(r.stdout))["deployment-web"], "app")
    deploy = env["work"] / "web.yaml"
    deploy.write_text(WORKLOADS.split("---")[0].replace(
        "metadata: {name: web}", "metadata: {name: web, namespace: %s}" % env["ns"]))
    policy = env["work"] / "always.yaml"
    policy.write_text(POLICY.replace("memoryLimit:", "apply: Always\n    memoryLimit:"))
    m = subprocess.run([str(env["webhook"]), "mutate", "-f", str(deploy), "--policy",
                        str(policy), "--recommendations", str(recs)],
                       capture_output=True, text=True, timeout=60)
    assert m.returncode == 0, m.stderr
    out = yaml.safe_load(m.stdout)
    c = out["spec"]["template"]["spec"]["containers"][0]
    assert c["resources"]["requests"]["cpu"] == web["target"]["cpu"], (c, web)
    assert c["resources"]["requests"]["memory"] == web["target"]["memory"], (c, web)
    env_vars = {e["name"]: e["value"] for e in c.get("env", [])}
    assert env_vars.get("GOMAXPROCS") == str(web["go"]["gomaxprocs"]), c


def test_empty_namespace_says_what_is_missing(env):
    r = recommend(env, "-n", "no-such-namespace", "-o", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["items"] == []
    assert "no series for: cpu, memory" in r.stderr, r.stderr


def test_prometheus_errors_are_clear(env):
    # an invalid regex in the extra matchers: Prometheus answers bad_data
    r = recommend(env, "-n", env["ns"], "--prometheus-selector", 'pod=~"("')
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "bad_data" in r.stderr and "Prometheus" in r.stderr, r.stderr
    # a path that is not the API: a 404 named as such
    r = recommend(env, "-n", env["ns"], prom_url=env["prom"].url + "/nothing")
    assert r.returncode == 1, r.stderr
    assert "404" in r.stderr, r.stderr


class _Garbage(http.server.BaseHTTPRequestHandler):
    body = b"<html><body>login</body></html>"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *a):
        pass


def test_html_instead_of_prometheus(env):
    srv = socketserver.TCPServer(("127.0.0.1", 0), _Garbage)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        r = recommend(env, "-n", env["ns"], prom_url="http://127.0.0.1:%d" % srv.server_address[1])
    finally:
        srv.shutdown()
        srv.server_close()
    assert r.returncode == 1, r.stderr
    assert "not JSON" in r.stderr and "<html>" in r.stderr, r.stderr


def test_bad_flags(env):
    for args, text in ((["-o", "xml"], "-o xml"), (["--window", "7x"], "--window"),
                       (["--metric", "cpu=bad name"], "not a valid metric name"),
                       (["--prometheus-selector", "cluster="], "--prometheus-selector cluster="),
                       (["--bogus"], "unknown flag")):
        r = recommend(env, *args)
        assert r.returncode == 2, (args, r.returncode, r.stderr)
        assert text in r.stderr, (args, r.stderr)
    r = subprocess.run([str(env["controller"]), "recommend"], capture_output=True, text=True)
    assert r.returncode == 2 and "--prometheus URL is required" in r.stderr


def test_stopped_prometheus(env, tmp_path):
    # the last test of the module: the shared Prometheus is stopped here
    prom = env["prom"]
    prom.stop()
    r = recommend(env, "-n", env["ns"])
    assert r.returncode == 1, r.stderr
    assert "connection refused" in r.stderr.lower() or "couldn't connect" in r.stderr.lower(), \
        r.stderr
    assert r.stdout == "", "no report from a dead Prometheus"

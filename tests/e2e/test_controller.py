"""snug-controller run: the operator against the real control plane and a
real Prometheus (Debian's, two days of history backfilled with promtool).

One module-wide setup: the CRDs, a SizingPolicy that covers one namespace
(by a namespace label), the workloads of usage_history.py in it (their Pods
stay Pending: no kubelet) and a Prometheus with their history. Then, in
order (each test builds on the state the one before left): Recommendations
appear with the expected values; nothing is rewritten while nothing moves;
a hand edit is overwritten; an OOM kill patched into a Pod's status bumps
memory with an Event; an HPA on CPU leaves the CPU request alone;
Prometheus stopped keeps the values with PrometheusUnavailable, started
again recovers; a SIGKILLed controller restarts from its checkpoints with a
bounded number of queries; a standby takes over from a killed leader within
the lease duration, and a frozen leader that lost its lease writes nothing
more; a deleted Deployment's Recommendation goes; a SizingPolicy the API
server takes but the controller refuses is logged, gets an Event and holds
its Recommendations unchanged (another policy takes its workloads; fixed,
it takes them back). OOM bumps are counted once each, whatever reported the
kill. Tolerances as in test_recommend.py."""

import base64
import http.server
import json
import re
import signal
import socketserver
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from prometheus import Prometheus, Series, free_port, missing
from stub_crds import VPA_CRD
from usage_history import HISTORY, MI, STEP, WORKLOADS, history_for

pytestmark = pytest.mark.skipif(missing() is not None, reason=missing() or "")

REPO = Path(__file__).resolve().parents[2]
SYSTEM_NS = "snug-system"
INTERVAL = 2  # seconds between passes
LEASE_S = 15  # the lease duration (lib/kube: KUBE_LEASE_DURATION_MS)

POLICY = """
apiVersion: snug.dev/v1alpha1
kind: SizingPolicy
metadata: {name: %(name)s}
spec:
  priority: 100
  namespaceSelector: {matchLabels: {snug-e2e-ctl: "%(ns)s"}}
  mode: Initial
  resources:
    memoryLimit: {strategy: Ratio, ratio: 1.25}
  recommender:
    window: 2d
    minHistory: 1d
    safetyMargin: 0.15
    oomBump: {ratio: 1.2, min: 100Mi}
"""


def quantity(q):
    units = {"m": 1e-3, "Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30}
    for u, f in units.items():
        if str(q).endswith(u):
            return float(str(q)[: -len(u)]) * f
    return float(q)


class Controller:
    """One `snug-controller run` process with its own log and metrics port."""

    def __init__(self, env, identity):
        self.env = env
        self.identity = identity
        self.port = free_port()
        self.log_path = env["work"] / ("%s.log" % identity)
        self.proc = None

    def start(self, *extra, prom_url=None):
        cmd = [str(self.env["controller"]), "run", "--prometheus",
               prom_url or self.env["prom"].url,
               "--kubeconfig", str(self.env["kubeconfig"]),
               "--namespace", self.env["ns"], "--interval", "%ds" % INTERVAL,
               "--window", "2d", "--lease-namespace", SYSTEM_NS,
               "--lease-name", self.env["lease"],
               "--identity", self.identity, "--checkpoint-interval", "10s",
               "--metrics-listen", "127.0.0.1:%d" % self.port, "--log-level", "debug", *extra]
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        log.close()
        return self

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def log(self):
        return self.log_path.read_text(errors="replace")

    def records(self):
        out = []
        for line in self.log().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def get(self, path):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.port, path),
                                        timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def metric(self, name, **labels):
        """The sum of a metric's samples whose labels include `labels`."""
        status, text = self.get("/metrics")
        assert status == 200, text
        total, found = 0.0, False
        for line in text.splitlines():
            m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$", line)
            if not m or m.group(1) != name:
                continue
            got = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
            if all(got.get(k) == v for k, v in labels.items()):
                total += float(m.group(3))
                found = True
        return total if found else None


@pytest.fixture(scope="module")
def env(cluster, snug_build, tmp_path_factory):
    work = tmp_path_factory.mktemp("controller")
    ns = "e2e-ctl-%d" % (int(time.time()) % 100000)
    for crd in sorted((REPO / "manifests" / "crds").glob("*.yaml")):
        cluster.kubectl("apply", "-f", str(crd))
    # the controller runs as its own ServiceAccount with the manifests' RBAC,
    # so every test also shows that RBAC is enough (writes included); its
    # Lease and checkpoints live in snug-system, named after this run
    for m in ("namespace.yaml", "controller-rbac.yaml"):
        cluster.kubectl("apply", "-f", str(REPO / "manifests" / m))
    cluster.wait_established("recommendations.snug.dev")
    cluster.wait_established("sizingpolicies.snug.dev")
    vpa_crd = "verticalpodautoscalers.autoscaling.k8s.io"
    had_vpa = cluster.kubectl("get", "crd", vpa_crd, check=False).returncode == 0
    if not had_vpa:  # the controller looks for the VPA API at start
        cluster.apply(VPA_CRD)
        cluster.wait_established(vpa_crd)
    cluster.kubectl("create", "namespace", ns)
    cluster.kubectl("label", "namespace", ns, "snug-e2e-ctl=%s" % ns)
    cluster.wait_for(lambda: cluster.kubectl("get", "serviceaccount", "default", "-n", ns),
                     timeout=180, what="default ServiceAccount")
    cluster.apply(POLICY % {"name": ns, "ns": ns})
    cluster.apply(WORKLOADS, namespace=ns)

    def pods_created():
        items = cluster.get_json("pods", "-n", ns)["items"]
        return items if len(items) == 4 else None

    pods = cluster.wait_for(pods_created, timeout=120, what="4 Pods created by the controllers")
    end = int(time.time()) // STEP * STEP
    prom = Prometheus.backfilled(work / "prom", history_for(ns, pods, end - HISTORY, end))
    e = {"ns": ns, "prom": prom, "work": work, "cluster": cluster,
         "controller": snug_build / "snug-controller", "procs": [],
         "kubeconfig": sa_kubeconfig(cluster, work), "lease": "e2e-" + ns}
    yield e
    for c in e["procs"]:
        if c.proc and c.proc.poll() is None:
            c.proc.kill()
            c.proc.wait()
    prom.stop()
    if not had_vpa:
        cluster.kubectl("delete", "crd", vpa_crd, "--wait=false", check=False)
    cluster.kubectl("delete", "sizingpolicy", ns, "--wait=false", check=False)
    cluster.kubectl("delete", "lease", e["lease"], "-n", SYSTEM_NS, "--wait=false", check=False)
    cluster.kubectl("delete", "configmap", "-n", SYSTEM_NS,
                    "-l", "snug.dev/checkpoint-namespace=" + ns, "--wait=false", check=False)
    cluster.kubectl("delete", "namespace", ns, "--wait=false", check=False)


def sa_kubeconfig(cluster, work):
    """A kubeconfig with a token of the snug-controller ServiceAccount."""
    token = cluster.kubectl("create", "token", "snug-controller", "-n", SYSTEM_NS,
                            "--duration", "2h").stdout.strip()
    ca = base64.b64encode(Path(cluster.ca_file).read_bytes()).decode()
    cfg = {"apiVersion": "v1", "kind": "Config",
           "clusters": [{"name": "e2e", "cluster": {"server": cluster.url,
                                                   "certificate-authority-data": ca}}],
           "users": [{"name": "snug-controller", "user": {"token": token}}],
           "contexts": [{"name": "e2e", "context": {"cluster": "e2e",
                                                   "user": "snug-controller"}}],
           "current-context": "e2e"}
    path = work / "controller-kubeconfig"
    path.write_text(json.dumps(cfg))
    return path


def controller(env, identity, *extra, prom_url=None):
    c = Controller(env, identity).start(*extra, prom_url=prom_url)
    env["procs"].append(c)
    return c


def recs(env):
    items = env["cluster"].get_json("recommendations", "-n", env["ns"])["items"]
    return {i["metadata"]["name"]: i for i in items}


def container(item, name):
    return next(c for c in item["status"]["containers"] if c["name"] == name)


def condition(item, type_):
    return next((c for c in item["status"].get("conditions", []) if c["type"] == type_), None)


def wait(env, predicate, what, timeout=90):
    return env["cluster"].wait_for(predicate, timeout=timeout, what=what)


def all_three(env):
    r = recs(env)
    names = {"deployment-web", "deployment-api", "statefulset-db"}
    ok = names <= set(r) and all(r[n].get("status", {}).get("containers") for n in names)
    return r if ok else None


def test_recommendations_appear(env):
    c = controller(env, "ctl-a")
    env["leader"] = c
    r = wait(env, lambda: all_three(env), "three Recommendations with status", timeout=120)
    web = container(r["deployment-web"], "app")
    assert 0.25 <= quantity(web["target"]["cpu"]) <= 0.25 * 1.6, web
    assert 200 * MI <= quantity(web["target"]["memory"]) <= 200 * MI * 1.6, web
    assert web["runtime"] == "go" and web["go"]["gomaxprocs"] >= 2, web
    api = container(r["deployment-api"], "api")
    assert quantity(api["target"]["memory"]) >= 614 * MI, api  # OOM-killed at 512Mi
    # owned by the workload (deleted with it), labelled as ours
    deploy = env["cluster"].get_json("deployment", "web", "-n", env["ns"])
    meta = r["deployment-web"]["metadata"]
    assert meta["labels"]["app.kubernetes.io/managed-by"] == "snug-controller"
    assert meta["ownerReferences"][0]["uid"] == deploy["metadata"]["uid"]
    assert r["deployment-web"]["spec"]["targetRef"]["kind"] == "Deployment"
    cond = condition(r["deployment-web"], "RecommendationProvided")
    assert cond["status"] == "True" and cond.get("observedGeneration", 0) >= 1, cond
    assert condition(r["deployment-web"], "PrometheusUnavailable")["status"] == "False"
    # the stray Pod of no workload has none
    assert not any(n.startswith("pod-") for n in recs(env))
    wait(env, lambda: c.get("/readyz")[0] == 200, "/readyz 200")
    assert c.get("/healthz")[0] == 200
    assert c.metric("snug_controller_leader") == 1
    assert c.metric("snug_controller_passes_total", result="ok") >= 1
    assert c.metric("snug_controller_workloads") >= 3
    # the caches hold only what is read: a Pending Pod of a Deployment is its
    # name, namespace, owner and hash label (well under 2 KiB; whole, with
    # its spec, status and managedFields, it is several)
    pods = c.metric("snug_controller_cache_objects", resource="pods")
    assert pods >= 4, pods
    assert 0 < c.metric("snug_controller_cache_bytes", resource="pods") / pods < 2048
    assert c.metric("snug_controller_cache_objects", resource="recommendations") >= 3
    # api's kill, known from cAdvisor's counter in Prometheus, raised its
    # memory: one bump, counted when written (db and web had none)
    assert c.metric("snug_controller_oom_bumps_total") == 1
    assert c.metric("snug_controller_policies_refused") == 0
    # cluster-wide sizing: requests now (web 100m, api 500m, db 50m) vs targets
    wait(env, lambda: c.metric("snug_controller_requested", resource="cpu"), "sizing gauges")
    assert abs(c.metric("snug_controller_requested", resource="cpu") - 0.65) < 1e-6
    assert 0.4 <= c.metric("snug_controller_recommended", resource="cpu") <= 1.0
    assert c.metric("snug_controller_recommended", resource="memory") >= 900 * MI


def test_nothing_rewritten_while_nothing_moves(env):
    c = env["leader"]
    before = {n: i["metadata"]["resourceVersion"] for n, i in recs(env).items()}
    passes = c.metric("snug_controller_passes_total", result="ok")
    wait(env, lambda: c.metric("snug_controller_passes_total", result="ok") >= passes + 3,
         "three more passes")
    after = {n: i["metadata"]["resourceVersion"] for n, i in recs(env).items()}
    assert before == after, "Recommendations rewritten with nothing changed"
    assert c.metric("snug_controller_recommendations_unchanged_total") >= 3
    # a bump is counted when it is written, not at every pass that keeps it
    assert c.metric("snug_controller_oom_bumps_total") == 1


def test_hand_edit_is_overwritten(env):
    patch = {"status": {"containers": [{"name": "db", "target": {"cpu": "7", "memory": "9Gi"}}]}}
    env["cluster"].kubectl("patch", "recommendation", "statefulset-db", "-n", env["ns"],
                           "--subresource=status", "--type=merge", "-p", json.dumps(patch))

    def restored():
        db = container(recs(env)["statefulset-db"], "db")
        return quantity(db["target"]["cpu"]) < 1 and db

    db = wait(env, restored, "the hand edit overwritten")
    assert quantity(db["target"]["memory"]) < 1 << 30, db


def test_oom_kill_in_pod_status_bumps_memory(env):
    ns = env["ns"]
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    status = {"status": {"containerStatuses": [{
        "name": "db", "image": "example/db:1", "imageID": "", "ready": False,
        "restartCount": 1, "started": False,
        "state": {"waiting": {"reason": "CrashLoopBackOff"}},
        "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled",
                                     "startedAt": now, "finishedAt": now}}}]}}
    env["cluster"].kubectl("patch", "pod", "db-0", "-n", ns, "--subresource=status",
                           "--type=merge", "-p", json.dumps(status))

    def bumped():
        db = container(recs(env)["statefulset-db"], "db")
        # at the 128Mi limit: max(128Mi x 1.2, 128Mi + 100Mi) = 228Mi
        return quantity(db["target"]["memory"]) >= 228 * MI and db

    db = wait(env, bumped, "db's memory bumped after the OOM kill")
    assert "OOM" in db.get("reason", ""), db

    def event():
        items = env["cluster"].get_json("events.events.k8s.io", "-n", ns)["items"]
        return [e for e in items if e.get("reason") == "OOMKilled"
                and e["regarding"].get("name") == "statefulset-db"]

    ev = wait(env, event, "an OOMKilled Event on the Recommendation")
    assert "128Mi" in ev[0]["note"] and "->" in ev[0]["note"], ev[0]
    # it names the object by uid too (kubectl describe selects on it)
    assert ev[0]["regarding"].get("uid") == recs(env)["statefulset-db"]["metadata"]["uid"], ev[0]
    c = env["leader"]
    wait(env, lambda: c.metric("snug_controller_oom_bumps_total") == 2,
         "db's bump counted (api's was the first)", timeout=30)
    # the Pod keeps showing the kill: later passes neither count it again
    # nor make another Event
    passes = c.metric("snug_controller_passes_total", result="ok")
    wait(env, lambda: c.metric("snug_controller_passes_total", result="ok") >= passes + 3,
         "three more passes")
    assert c.metric("snug_controller_oom_bumps_total") == 2
    assert len(event()) == 1, event()


def test_hpa_on_cpu_leaves_the_cpu_request_alone(env):
    env["cluster"].apply("""
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 5
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
""", namespace=env["ns"])

    def hpa_seen():
        web = recs(env)["deployment-web"]
        cond = condition(web, "HPAManaged")
        return cond and cond["status"] == "True" and web

    web = wait(env, hpa_seen, "HPAManaged on deployment-web")
    app = container(web, "app")
    assert "cpu" not in app.get("target", {}), app
    assert "memory" in app["target"], app
    assert "HPA" in app.get("reason", ""), app


def test_vpa_owns_the_requests(env):
    env["cluster"].apply("""
apiVersion: autoscaling.k8s.io/v1
kind: VerticalPodAutoscaler
metadata: {name: web}
spec:
  targetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  updatePolicy: {updateMode: Auto}
""", namespace=env["ns"])

    def vpa_seen():
        web = recs(env)["deployment-web"]
        cond = condition(web, "VPAManaged")
        return cond and cond["status"] == "True" and web

    web = wait(env, vpa_seen, "VPAManaged on deployment-web")
    app = container(web, "app")
    assert not app.get("target"), app  # nothing the webhook would apply
    assert "VerticalPodAutoscaler" in app.get("reason", ""), app
    # Off: snug's again
    env["cluster"].kubectl("patch", "verticalpodautoscaler", "web", "-n", env["ns"],
                           "--type=merge", "-p", '{"spec":{"updatePolicy":{"updateMode":"Off"}}}')
    wait(env, lambda: condition(recs(env)["deployment-web"], "VPAManaged") is None,
         "VPAManaged gone with updateMode Off")


def test_prometheus_down_keeps_values_then_recovers(env):
    prom = env["prom"]
    before = container(recs(env)["deployment-api"], "api")["target"]
    port = prom.port
    prom.stop()

    def unavailable():
        api = recs(env)["deployment-api"]
        cond = condition(api, "PrometheusUnavailable")
        return cond and cond["status"] == "True" and api

    try:
        api = wait(env, unavailable, "PrometheusUnavailable True")
        assert container(api, "api")["target"] == before, "values kept while Prometheus is down"
        assert "connect" in condition(api, "PrometheusUnavailable")["message"].lower()
        # the pass is counted when it ends, just after it wrote the condition
        wait(env, lambda: env["leader"].metric("snug_controller_passes_total",
                                               result="prometheus_error"),
             "a pass counted as prometheus_error", timeout=30)
    finally:
        prom.start(port=port)  # whatever failed above, the later tests need it

    def recovered():
        cond = condition(recs(env)["deployment-api"], "PrometheusUnavailable")
        return cond and cond["status"] == "False"

    wait(env, recovered, "PrometheusUnavailable False again")


def test_restart_from_checkpoints(env):
    c = env["leader"]
    before = {n: [x.get("target") for x in i["status"]["containers"]]
              for n, i in recs(env).items()}
    time.sleep(12)  # one checkpoint interval: a checkpoint exists
    c.stop(signal.SIGKILL)
    c2 = controller(env, "ctl-b")
    env["leader"] = c2

    def loaded():
        return [r for r in c2.records() if r.get("msg") == "checkpoints loaded"
                and r.get("component") == "operator"]

    rec = wait(env, loaded, "checkpoints loaded", timeout=LEASE_S * 3)[0]
    assert int(rec["containers"]) >= 3, rec
    wait(env, lambda: c2.metric("snug_controller_passes_total", result="ok"),
         "a pass of the restarted controller", timeout=LEASE_S * 3)
    # the gap since the checkpoint is one batch, not the whole window again
    queries = c2.metric("snug_controller_prometheus_queries_total")
    assert queries <= 40, queries
    # the bumps are in the Recommendations already: not counted again
    assert c2.metric("snug_controller_oom_bumps_total") == 0
    after = {n: [x.get("target") for x in i["status"]["containers"]]
             for n, i in recs(env).items()}
    assert after == before


def test_standby_takes_over_and_a_frozen_leader_stops_writing(env):
    leader = env["leader"]
    standby = controller(env, "ctl-c")
    time.sleep(INTERVAL * 2)
    assert standby.metric("snug_controller_leader") == 0
    assert leader.metric("snug_controller_leader") == 1
    leader.proc.send_signal(signal.SIGSTOP)  # frozen: cannot renew
    t0 = time.monotonic()
    wait(env, lambda: standby.metric("snug_controller_leader") == 1, "the standby leads",
         timeout=LEASE_S * 3)
    assert time.monotonic() - t0 <= LEASE_S + 10
    leader.proc.send_signal(signal.SIGCONT)

    def stepped_down():
        return any(r.get("msg") == "stopped leading" for r in leader.records())

    wait(env, stepped_down, "the old leader sees it lost the lease", timeout=LEASE_S * 2)
    written = leader.metric("snug_controller_recommendations_written_total")
    # a change only the new leader may write
    patch = {"status": {"containers": [{"name": "db", "target": {"cpu": "5"}}]}}
    env["cluster"].kubectl("patch", "recommendation", "statefulset-db", "-n", env["ns"],
                           "--subresource=status", "--type=merge", "-p", json.dumps(patch))
    wait(env, lambda: quantity(container(recs(env)["statefulset-db"], "db")["target"]["cpu"])
         < 1, "the new leader rewrote it")
    time.sleep(INTERVAL * 2)
    assert leader.metric("snug_controller_recommendations_written_total") == written
    assert leader.metric("snug_controller_leader") == 0
    env["leader"] = standby


def test_deleted_deployment_loses_its_recommendation(env):
    env["cluster"].kubectl("delete", "deployment", "api", "-n", env["ns"])
    wait(env, lambda: "deployment-api" not in recs(env), "deployment-api deleted")
    assert "deployment-web" in recs(env)


FALLBACK = """
apiVersion: snug.dev/v1alpha1
kind: SizingPolicy
metadata: {name: %(name)s}
spec:
  priority: 1
  namespaceSelector: {matchLabels: {snug-e2e-ctl: "%(ns)s"}}
  mode: Audit
"""


def test_refused_policy_holds_its_recommendations(env):
    """A SizingPolicy the API server takes (its schema cannot compare two
    durations) but the controller's parser refuses: a log line and a
    Warning Event name it and the parser's error, a gauge counts it, and the
    Recommendations it made are held as they are (not rewritten, not
    deleted), their history still checkpointed. Another policy that covers
    the namespace takes the workloads, as the webhook's choice does; the
    fixed policy takes them back."""
    cluster, ns, c = env["cluster"], env["ns"], env["leader"]
    mine = {"deployment-web", "statefulset-db"}
    before = {n: i["metadata"]["resourceVersion"] for n, i in recs(env).items()}
    assert mine <= set(before), before
    cluster.kubectl("patch", "sizingpolicy", ns, "--type=merge",
                    "-p", '{"spec":{"recommender":{"minHistory":"3d"}}}')

    def logged():
        return [r for r in c.records() if r.get("msg", "").startswith("SizingPolicy refused")
                and r.get("policy") == ns]

    line = wait(env, logged, "the refusal logged")[0]
    saves = sum(r.get("msg") == "checkpoint saved" for r in c.records())
    assert line["level"] == "warn", line
    assert "minHistory: 3d is longer than window 2d" in line["error"], line

    def events():
        items = cluster.get_json("events.events.k8s.io", "-n", "default")["items"]
        return [e for e in items if e.get("reason") == "PolicyRefused"
                and e["regarding"].get("kind") == "SizingPolicy"
                and e["regarding"].get("name") == ns]

    ev = wait(env, events, "a PolicyRefused Event on the SizingPolicy")[0]
    assert ev["type"] == "Warning" and "minHistory" in ev["note"], ev
    assert "kept unchanged" in ev["note"], ev
    wait(env, lambda: c.metric("snug_controller_policies_refused") == 1
         and c.metric("snug_controller_recommendations_held") == len(mine),
         "policies_refused 1, recommendations_held 2", timeout=30)
    # held for several passes and a checkpoint: untouched, their state kept
    passes = c.metric("snug_controller_passes_total", result="ok")
    wait(env, lambda: c.metric("snug_controller_passes_total", result="ok") >= passes + 3
         and sum(r.get("msg") == "checkpoint saved" for r in c.records()) > saves,
         "three more passes and a checkpoint", timeout=60)
    after = {n: i["metadata"]["resourceVersion"] for n, i in recs(env).items()}
    assert after == before, "held Recommendations rewritten or deleted"
    cms = cluster.get_json("configmap", "-n", SYSTEM_NS,
                           "-l", "snug.dev/checkpoint-namespace=" + ns)["items"]
    keys = set().union(*(set(cm.get("data", {})) for cm in cms))
    assert {"deployment.web.app", "statefulset.db.db"} <= keys, keys
    # said once, not at every pass
    assert len(logged()) == 1 and len(events()) == 1, (logged(), events())
    assert c.proc.poll() is None and c.get("/healthz")[0] == 200

    # a policy that covers them too: they fall to it, as in the webhook
    fallback = ns + "-fallback"
    cluster.apply(FALLBACK % {"name": fallback, "ns": ns})
    try:
        def made_by(name):
            r = recs(env)
            return all(r.get(n, {}).get("status", {}).get("policy") == name for n in mine)

        wait(env, lambda: made_by(fallback), "the workloads fall to the fallback policy")
        wait(env, lambda: c.metric("snug_controller_recommendations_held") == 0,
             "nothing held", timeout=30)
        # fixed: it is back, and takes them back
        cluster.kubectl("patch", "sizingpolicy", ns, "--type=merge",
                        "-p", '{"spec":{"recommender":{"minHistory":"1d"}}}')
        wait(env, lambda: made_by(ns), "the fixed policy takes them back")
        wait(env, lambda: c.metric("snug_controller_policies_refused") == 0,
             "policies_refused 0", timeout=30)
        assert any(r.get("msg") == "SizingPolicy accepted again" and r.get("policy") == ns
                   for r in c.records())
    finally:
        cluster.kubectl("patch", "sizingpolicy", ns, "--type=merge",
                        "-p", '{"spec":{"recommender":{"minHistory":"1d"}}}')
        cluster.kubectl("delete", "sizingpolicy", fallback, "--wait=false", check=False)
    time.sleep(INTERVAL * 2)
    assert mine <= set(recs(env))


def test_sigterm_checkpoints_releases_and_exits(env):
    for c in env["procs"]:
        if c.proc.poll() is None:
            assert c.stop(signal.SIGTERM, timeout=30) == 0, c.log()[-2000:]
    leader = env["leader"]
    for c in env["procs"]:  # the manifests' RBAC was enough for everything done
        assert "HTTP 403" not in c.log(), [l for l in c.log().splitlines() if "403" in l][:3]
    msgs = [r.get("msg") for r in leader.records()]
    assert "stopped" in msgs and "checkpoint saved" in msgs, msgs[-20:]
    lease = env["cluster"].get_json("lease", env["lease"], "-n", SYSTEM_NS)
    assert not lease["spec"].get("holderIdentity"), lease["spec"]


class _BadPrometheus(http.server.BaseHTTPRequestHandler):
    """HTML, garbage JSON, or nothing at all (until the client gives up)."""
    mode = "html"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.mode == "hang":
            time.sleep(30)
            return
        body = (b"<html><body>Sign in</body></html>" if self.mode == "html"
                else b'{"status":"success","data":{"resultType":"matrix","result":[{"metric":')
        self.send_response(200)
        self.send_header("Content-Type", "text/html" if self.mode == "html" else "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


@pytest.mark.parametrize("mode,text", [("html", "not json"), ("garbage", "query"),
                                       ("hang", "timed out")])
def test_bad_prometheus_answers_keep_values(env, mode, text):
    """After the others (the controllers are stopped): a controller whose
    Prometheus answers HTML, broken JSON or nothing marks the Recommendations
    PrometheusUnavailable, keeps their values and stays up."""
    handler = type("H", (_BadPrometheus,), {"mode": mode})
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    before = container(recs(env)["deployment-web"], "app").get("target")
    # the previous case left PrometheusUnavailable True: set it back by hand,
    # so this case shows its own error
    reset = {"status": {"conditions": [{"type": "PrometheusUnavailable", "status": "False",
                                        "reason": "Reset", "message": "reset by the test",
                                        "lastTransitionTime": "2026-01-01T00:00:00Z"}]}}
    env["cluster"].kubectl("patch", "recommendation", "deployment-web", "-n", env["ns"],
                           "--subresource=status", "--type=merge", "-p", json.dumps(reset))
    c = controller(env, "ctl-bad-%s" % mode, "--prometheus-timeout", "2s",
                   prom_url="http://127.0.0.1:%d" % srv.server_address[1])
    try:
        def unavailable():
            web = recs(env)["deployment-web"]
            cond = condition(web, "PrometheusUnavailable")
            return cond and cond["status"] == "True" and text in cond["message"].lower() and web

        # a failing pass retries each query 3 times with backoff first
        web = wait(env, unavailable, "PrometheusUnavailable (%s)" % mode, timeout=150)
        assert container(web, "app").get("target") == before
        assert c.proc.poll() is None, c.log()[-2000:]
        assert c.get("/healthz")[0] == 200
    finally:
        c.stop(signal.SIGTERM)
        srv.shutdown()
        srv.server_close()


def test_ksm_oom_state_counts_once(env):
    """After the others: with no cAdvisor OOM counter, kube-state-metrics'
    last-terminated reason (a state that stays 1 after a kill) is the OOM
    source. A pass that continues the previous one must not take that state
    for a new kill each time: the Recommendation's observed kill count does
    not grow while nothing new happens (it did by one a pass)."""
    ns, cluster = env["ns"], env["cluster"]
    for other in env["procs"]:  # this one must lead
        other.stop(signal.SIGTERM)
    pods = cluster.get_json("pods", "-n", ns)["items"]
    db_pod = next(p["metadata"]["name"] for p in pods
                  if p["metadata"]["labels"].get("app") == "db")
    end = int(time.time()) // STEP * STEP
    start = end - HISTORY
    series = [s for s in history_for(ns, pods, start, end)
              if s.name != "container_oom_events_total"]
    # killed now (after the checkpoint the earlier controllers left: the
    # first pass sees the series appear); the state reads 1 from then on,
    # an hour past now, so every pass of this test finds it
    series.append(Series("kube_pod_container_status_last_terminated_reason",
                         {"namespace": ns, "pod": db_pod, "container": "db",
                          "reason": "OOMKilled"},
                         [(t, 1.0) for t in range(end, end + 3600, STEP)]))
    prom = Prometheus.backfilled(env["work"] / "prom-ksm", series)
    c = controller(env, "ctl-ksm", prom_url=prom.url)

    def rewritten(tag):
        """Hand-edit db's status; the controller writes it back whole (db
        has no HPA or VPA: the controller owns its target)."""
        patch = {"status": {"containers": [{"name": "db", "target": {"cpu": tag}}]}}
        cluster.kubectl("patch", "recommendation", "statefulset-db", "-n", ns,
                        "--subresource=status", "--type=merge", "-p", json.dumps(patch))

        def restored():
            db = container(recs(env)["statefulset-db"], "db")
            return db.get("target", {}).get("cpu") != tag and db.get("observed") and db

        return wait(env, restored, "db's status written back (%s)" % tag)

    try:
        wait(env, lambda: (c.metric("snug_controller_passes_total", result="ok") or 0) >= 1,
             "a first pass", timeout=LEASE_S * 3)
        first = rewritten("7")["observed"]
        assert first.get("oomKills") == 1, first
        passes = c.metric("snug_controller_passes_total", result="ok")
        wait(env, lambda: c.metric("snug_controller_passes_total", result="ok") >= passes + 5,
             "five more passes", timeout=60)
        again = rewritten("8")["observed"]
        assert again.get("oomKills") == first.get("oomKills"), (first, again)
        assert c.proc.poll() is None, c.log()[-2000:]
    finally:
        c.stop(signal.SIGTERM)
        prom.stop()


BARE_PODS = """
apiVersion: v1
kind: Pod
metadata:
  name: solo
  annotations: {snug.dev/runtime: go}
spec:
  containers:
  - {name: main, image: registry.k8s.io/pause:3.10,
     resources: {requests: {cpu: 50m, memory: 32Mi}}}
---
apiVersion: v1
kind: Pod
metadata:
  name: quiet
  annotations: {snug.dev/mode: "off"}
spec:
  containers:
  - {name: main, image: registry.k8s.io/pause:3.10}
"""


def test_bare_pods_keep_their_annotations(env):
    """A Pod of no controller is a workload of its own. The controller's
    cache keeps its snug.dev/ annotations (it once pruned them away): the
    one opted out with snug.dev/mode: off gets no Recommendation, the other
    one does, marked as Go from its snug.dev/runtime annotation."""
    ns, cluster = env["ns"], env["cluster"]
    for other in env["procs"]:  # this one must lead
        other.stop(signal.SIGTERM)
    cluster.apply(BARE_PODS, namespace=ns)
    c = controller(env, "ctl-bare")
    try:
        r = wait(env, lambda: (lambda r: r if "pod-solo" in r and r["pod-solo"].get(
            "status", {}).get("containers") else None)(recs(env)), "pod-solo's Recommendation",
                 timeout=LEASE_S * 3 + 30)
        assert container(r["pod-solo"], "main").get("runtime") == "go", r["pod-solo"]
        assert r["pod-solo"]["spec"]["targetRef"]["kind"] == "Pod"
        passes = c.metric("snug_controller_passes_total", result="ok")
        wait(env, lambda: c.metric("snug_controller_passes_total", result="ok") >= passes + 2,
             "two more passes", timeout=60)
        assert "pod-quiet" not in recs(env), sorted(recs(env))
    finally:
        c.stop(signal.SIGTERM)
        cluster.kubectl("delete", "pod", "solo", "quiet", "-n", ns, "--wait=false", check=False)


AWAY_DEPLOYMENTS = "".join("""
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: away-%d}
spec:
  replicas: 0
  selector: {matchLabels: {app: away-%d}}
  template:
    metadata: {labels: {app: away-%d}}
    spec:
      containers: [{name: main, image: registry.k8s.io/pause:3.10}]
""" % (i, i, i) for i in range(3))


def test_apiserver_away_and_back(env):
    """The API server goes away (SIGKILL, a crash) while the controller has
    writes to make, and comes back. Without leader election nothing stops a
    pass but the writes failing: the pass gives up after a few writes in a
    row find the server away (it would otherwise wait out every one of
    thousands), reports api_error, the process stays up and healthy, and
    once the server is back the writes are made."""
    ns, cluster = env["ns"], env["cluster"]
    for other in env["procs"]:
        other.stop(signal.SIGTERM)
    cluster.apply(AWAY_DEPLOYMENTS, namespace=ns)
    c = controller(env, "ctl-away", "--no-leader-elect")

    def policies():
        return {n: r.get("status", {}).get("policy") for n, r in recs(env).items()}

    try:
        wait(env, lambda: {"deployment-away-%d" % i for i in range(3)} <= {
            n for n, pol in policies().items() if pol == ns}, "the away-N Recommendations")
        # frozen, the controller misses nothing: the watch events of the
        # hand edits wait in its sockets, and it finds them on waking, when
        # the API server is already gone
        c.proc.send_signal(signal.SIGSTOP)
        try:
            for name in policies():
                cluster.kubectl("patch", "recommendation", name, "-n", ns,
                                "--subresource=status", "--type=merge",
                                "-p", json.dumps({"status": {"policy": "hand-edit"}}))
            time.sleep(2)
            cluster.stop_apiserver(kill=True)
        finally:
            c.proc.send_signal(signal.SIGCONT)
        try:
            wait(env, lambda: (c.metric("snug_controller_passes_total",
                                        result="api_error") or 0) >= 1,
                 "a pass that found the API server away", timeout=60)
            assert c.proc.poll() is None, c.log()[-3000:]
            assert c.get("/healthz")[0] == 200
        finally:
            cluster.start_apiserver()
        away = [r for r in c.records() if r.get("msg") == "pass failed"]
        assert away and "the API server is not answering" in away[0].get("error", ""), away[:1]
        failed = [r for r in c.records() if r.get("msg") == "Recommendation not written"]
        assert len(failed) < 3 * len(away), failed  # each pass stopped at its third
        wait(env, lambda: set(policies().values()) == {ns}, "the hand edits written back",
             timeout=90)
    finally:
        assert c.stop(signal.SIGTERM) == 0, c.log()[-3000:]
        cluster.kubectl("delete", "deployment", "away-0", "away-1", "away-2", "-n", ns,
                        "--wait=false", check=False)

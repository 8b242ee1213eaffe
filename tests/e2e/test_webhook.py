"""snug-webhook in a real cluster: kube-apiserver calls it over TLS for every
Pod CREATE; kube-controller-manager makes the Pods of Deployments.

The webhook runs as a local process with the token of the ServiceAccount that
manifests/webhook-rbac.yaml defines (so that RBAC is proven sufficient), in
self-managed certificate mode: it keeps its CA in a Secret and writes the
caBundle into the MutatingWebhookConfiguration itself.
"""
import base64
import json
import os
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SYSTEM_NS = "snug-system"
ENABLED_LABEL = "snug-e2e"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Webhook:
    """A snug-webhook serve process and what it needs."""

    def __init__(self, cluster, binary, workdir):
        self.cluster = cluster
        self.binary = binary
        self.workdir = Path(workdir)
        self.port = free_port()
        self.metrics_port = free_port()
        self.proc = None
        self.log = None
        self.kubeconfig = self.workdir / "webhook-kubeconfig"

    def write_kubeconfig(self):
        token = self.cluster.kubectl(
            "create", "token", "snug-webhook", "-n", SYSTEM_NS, "--duration", "2h"
        ).stdout.strip()
        ca = base64.b64encode(Path(self.cluster.ca_file).read_bytes()).decode()
        cfg = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "e2e", "cluster": {"server": self.cluster.url,
                                                    "certificate-authority-data": ca}}],
            "users": [{"name": "snug-webhook", "user": {"token": token}}],
            "contexts": [{"name": "e2e", "context": {"cluster": "e2e", "user": "snug-webhook",
                                                    "namespace": SYSTEM_NS}}],
            "current-context": "e2e",
        }
        self.kubeconfig.write_text(json.dumps(cfg))

    def start(self, extra=()):
        self.log = open(self.workdir / "webhook.log", "ab")
        cmd = [
            str(self.binary), "serve",
            "--kubeconfig", str(self.kubeconfig),
            "--self-managed-certs", "--ip-san", "127.0.0.1",
            "--namespace", SYSTEM_NS, "--ca-secret", "snug-webhook-ca",
            "--webhook-config", "snug-e2e",
            "--listen", "127.0.0.1:%d" % self.port,
            "--metrics-listen", "127.0.0.1:%d" % self.metrics_port,
            "--cert-validity", "30s",
            "--log-level", "debug",
            *extra,
        ]
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=self.log)
        self.cluster.wait_for(self.ready, timeout=60, what="snug-webhook /readyz")

    def ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError("snug-webhook exited with %s; log: %s"
                               % (self.proc.returncode, self.log_text()[-3000:]))
        ctx = ssl._create_unverified_context()
        try:
            with urllib.request.urlopen("https://127.0.0.1:%d/readyz" % self.port,
                                        context=ctx, timeout=2) as r:
                return r.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.log:
            self.log.close()
            self.log = None
        return self.proc.returncode if self.proc else None

    def log_text(self):
        try:
            return (self.workdir / "webhook.log").read_text(errors="replace")
        except OSError:
            return ""

    def metrics(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.metrics_port,
                                    timeout=5) as r:
            return r.read().decode()


WEBHOOK_CONFIG = """
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata:
  name: snug-e2e
webhooks:
- name: pods.snug.dev
  admissionReviewVersions: ["v1"]
  sideEffects: None
  failurePolicy: Ignore
  timeoutSeconds: 5
  clientConfig:
    url: https://127.0.0.1:%(port)d/mutate
  rules:
  - apiGroups: [""]
    apiVersions: ["v1"]
    operations: ["CREATE"]
    resources: ["pods"]
  namespaceSelector:
    matchExpressions:
    - {key: %(label)s, operator: Exists}
"""

POLICY = """
apiVersion: snug.dev/v1alpha1
kind: SizingPolicy
metadata: {name: e2e-on}
spec:
  priority: 10
  namespaceSelector: {matchLabels: {%(label)s: "on"}}
  probes:
    paths: {liveness: /healthz, readiness: /readyz}
---
apiVersion: snug.dev/v1alpha1
kind: SizingPolicy
metadata: {name: e2e-audit}
spec:
  priority: 20
  mode: Audit
  namespaceSelector: {matchLabels: {%(label)s: "audit"}}
"""


@pytest.fixture(scope="module")
def webhook(cluster, snug_build, tmp_path_factory):
    cluster.kubectl("apply", "-f", str(REPO / "manifests" / "crds"))
    for crd in ("sizingpolicies.snug.dev", "recommendations.snug.dev"):
        cluster.wait_established(crd)
    cluster.kubectl("apply", "-f", str(REPO / "manifests" / "namespace.yaml"))
    rbac = (REPO / "manifests" / "webhook-rbac.yaml").read_text()
    # The e2e configuration has its own name; grant the same rights on it.
    cluster.apply(rbac.replace('resourceNames: ["snug"]', 'resourceNames: ["snug-e2e"]'))
    wh = Webhook(cluster, snug_build / "snug-webhook", tmp_path_factory.mktemp("webhook"))
    cluster.apply(WEBHOOK_CONFIG % {"port": wh.port, "label": ENABLED_LABEL})
    cluster.apply(POLICY % {"label": ENABLED_LABEL})
    wh.write_kubeconfig()
    wh.start()

    def bundle_written():
        cfg = cluster.get_json("mutatingwebhookconfiguration", "snug-e2e")
        return cfg["webhooks"][0]["clientConfig"].get("caBundle")

    cluster.wait_for(bundle_written, timeout=30, what="the caBundle written by snug-webhook")
    yield wh
    code = wh.stop()
    cluster.kubectl("delete", "mutatingwebhookconfiguration", "snug-e2e", check=False)
    assert code == 0, "snug-webhook did not exit cleanly: %s\n%s" % (code, wh.log_text()[-3000:])


def label_namespace(cluster, ns, value):
    cluster.kubectl("label", "namespace", ns, "%s=%s" % (ENABLED_LABEL, value), "--overwrite")
    # the webhook learns namespace labels by watch; give it a moment to see them
    time.sleep(1.0)


def pod_yaml(name, annotations=None, labels=None, image="example/app:1", ports=True):
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": labels or {"app": name},
                     "annotations": annotations or {}},
        "spec": {"containers": [{"name": "app", "image": image}]},
    }
    if ports:
        pod["spec"]["containers"][0]["ports"] = [{"name": "http", "containerPort": 8080}]
    return json.dumps(pod)


def get_pod(cluster, ns, name):
    return cluster.get_json("pod", name, "-n", ns)


def env_of(container):
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def mutated(pod):
    return pod["metadata"].get("annotations", {}).get("snug.dev/mutated", "")


def test_invalid_policy_is_refused_by_the_api_server(cluster, webhook):
    bad = """
apiVersion: snug.dev/v1alpha1
kind: SizingPolicy
metadata: {name: e2e-bad}
spec:
  mode: Sometimes
  resources:
    minAllowed: {cpu: "4"}
    maxAllowed: {cpu: "2"}
"""
    proc = cluster.apply(bad, check=False)
    assert proc.returncode != 0
    assert 'Unsupported value: "Sometimes"' in proc.stderr
    bad2 = """
apiVersion: snug.dev/v1alpha1
kind: SizingPolicy
metadata: {name: e2e-bad}
spec:
  resources:
    minAllowed: {cpu: "4"}
    maxAllowed: {cpu: "2"}
"""
    proc = cluster.apply(bad2, check=False)
    assert proc.returncode != 0
    assert "minAllowed.cpu must not be greater than maxAllowed.cpu" in proc.stderr


def test_deployment_pods_get_recommendation_probes_and_go_env(cluster, webhook, namespace):
    label_namespace(cluster, namespace, "on")
    rec = {
        "apiVersion": "snug.dev/v1alpha1", "kind": "Recommendation",
        "metadata": {"name": "deployment-web", "namespace": namespace},
        "spec": {"targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}},
    }
    cluster.apply(json.dumps(rec))
    status = {"status": {"policy": "e2e-on", "containers": [{
        "name": "app", "runtime": "go",
        "target": {"cpu": "250m", "memory": "300Mi"},
        "upperBound": {"cpu": "1200m", "memory": "400Mi"},
        "limits": {"memory": "512Mi"}}]}}
    cluster.kubectl("patch", "recommendation", "deployment-web", "-n", namespace,
                    "--subresource=status", "--type=merge", "-p", json.dumps(status))
    time.sleep(1.0)  # the webhook's watch delivers the status
    deploy = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: app
        image: example/web:1.0
        ports: [{name: http, containerPort: 8080}]
"""
    cluster.apply(deploy, namespace=namespace)

    def pods():
        items = cluster.get_json("pods", "-n", namespace, "-l", "app=web")["items"]
        return items if len(items) == 2 else None

    for pod in cluster.wait_for(pods, timeout=60, what="2 Pods of deployment web"):
        c = pod["spec"]["containers"][0]
        assert mutated(pod) == "resources,probes,go-env", pod["metadata"]
        assert c["resources"]["requests"] == {"cpu": "250m", "memory": "300Mi"}
        assert c["resources"]["limits"] == {"memory": "512Mi"}
        env = env_of(c)
        assert env["GOMEMLIMIT"] == "483183820B"  # floor(512Mi * 0.9), Go syntax
        assert env["GOMAXPROCS"] == "2"  # no CPU limit: ceil(1200m), at least 2
        assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert c["livenessProbe"]["httpGet"]["port"] == "http"
        assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert "startupProbe" in c


def test_cronjob_pods_get_the_cronjob_recommendation(cluster, webhook, namespace):
    """A Pod of a Job of a CronJob is sized by the CronJob's Recommendation:
    the webhook finds the CronJob in its Job cache (kept as the Job's name
    and owner only). The Job is created suspended and resumed once the
    webhook has seen it, so its Pod is not admitted before."""
    label_namespace(cluster, namespace, "on")
    cluster.apply("""
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly}
spec:
  schedule: "0 3 * * *"
  suspend: true
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: app, image: example/batch:1}]
""", namespace=namespace)
    rec = {"apiVersion": "snug.dev/v1alpha1", "kind": "Recommendation",
           "metadata": {"name": "cronjob-nightly", "namespace": namespace},
           "spec": {"targetRef": {"apiVersion": "batch/v1", "kind": "CronJob",
                                  "name": "nightly"}}}
    cluster.apply(json.dumps(rec))
    status = {"status": {"policy": "e2e-on", "containers": [{
        "name": "app", "target": {"cpu": "150m", "memory": "96Mi"}}]}}
    cluster.kubectl("patch", "recommendation", "cronjob-nightly", "-n", namespace,
                    "--subresource=status", "--type=merge", "-p", json.dumps(status))
    uid = cluster.get_json("cronjob", "nightly", "-n", namespace)["metadata"]["uid"]
    job = {"apiVersion": "batch/v1", "kind": "Job",
           "metadata": {"name": "nightly-29000000", "ownerReferences": [{
               "apiVersion": "batch/v1", "kind": "CronJob", "name": "nightly", "uid": uid,
               "controller": True, "blockOwnerDeletion": True}]},
           "spec": {"suspend": True, "template": {"spec": {
               "restartPolicy": "Never",
               "containers": [{"name": "app", "image": "example/batch:1"}]}}}}
    cluster.apply(json.dumps(job), namespace=namespace)
    time.sleep(1.0)  # the webhook's watch delivers the Job
    cluster.kubectl("patch", "job", "nightly-29000000", "-n", namespace, "--type=merge",
                    "-p", '{"spec":{"suspend":false}}')

    def pod():
        items = cluster.get_json("pods", "-n", namespace, "-l",
                                 "job-name=nightly-29000000")["items"]
        return items[0] if items else None

    p = cluster.wait_for(pod, timeout=60, what="the Job's Pod")
    c = p["spec"]["containers"][0]
    assert "resources" in mutated(p), p["metadata"]
    assert c["resources"]["requests"] == {"cpu": "150m", "memory": "96Mi"}, c


def test_limitrange_is_respected(cluster, webhook, namespace):
    label_namespace(cluster, namespace, "on")
    cluster.apply("""
apiVersion: v1
kind: LimitRange
metadata: {name: small}
spec:
  limits:
  - type: Container
    max: {cpu: 200m, memory: 256Mi}
    min: {cpu: 20m, memory: 16Mi}
""", namespace=namespace)
    rec = {
        "apiVersion": "snug.dev/v1alpha1", "kind": "Recommendation",
        "metadata": {"name": "pod-big", "namespace": namespace},
        "spec": {"targetRef": {"apiVersion": "v1", "kind": "Pod", "name": "big"}},
    }
    cluster.apply(json.dumps(rec))
    status = {"status": {"containers": [{"name": "app", "runtime": "go",
                                         "target": {"cpu": "2", "memory": "1Gi"},
                                         "limits": {"memory": "2Gi"}}]}}
    cluster.kubectl("patch", "recommendation", "pod-big", "-n", namespace,
                    "--subresource=status", "--type=merge", "-p", json.dumps(status))
    time.sleep(1.5)
    cluster.apply(pod_yaml("big"), namespace=namespace)  # refused if snug broke the range
    c = get_pod(cluster, namespace, "big")["spec"]["containers"][0]
    req, lim = c["resources"]["requests"], c["resources"].get("limits", {})
    assert req["cpu"] == "200m" and req["memory"] == "256Mi", c["resources"]
    assert lim.get("memory") == "256Mi", c["resources"]
    assert env_of(c)["GOMEMLIMIT"] == "241591910B"  # floor(256Mi * 0.9)


def test_pod_without_recommendation_gets_requests_and_no_limit(cluster, webhook, namespace):
    """No Recommendation yet: the policy's default requests, and no limit,
    GOMEMLIMIT or GOMAXPROCS guessed from them (a 64Mi limit would OOM-kill
    any program that needs more on its first start)."""
    label_namespace(cluster, namespace, "on")
    cluster.apply(pod_yaml("fresh", annotations={"snug.dev/runtime": "go"}), namespace=namespace)
    pod = get_pod(cluster, namespace, "fresh")
    c = pod["spec"]["containers"][0]
    assert mutated(pod) == "resources,probes", pod["metadata"]
    assert c["resources"] == {"requests": {"cpu": "50m", "memory": "64Mi"}}, c["resources"]
    assert "env" not in c, c.get("env")
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_opted_out_pod_is_untouched(cluster, webhook, namespace):
    label_namespace(cluster, namespace, "on")
    cluster.apply(pod_yaml("quiet", annotations={"snug.dev/mode": "off"}), namespace=namespace)
    pod = get_pod(cluster, namespace, "quiet")
    c = pod["spec"]["containers"][0]
    assert mutated(pod) == ""
    assert not c.get("resources") and "livenessProbe" not in c and "env" not in c


def test_opted_out_by_label_is_untouched(cluster, webhook, namespace):
    """The label the manifests' objectSelector matches; this configuration
    has no objectSelector, so the call reaches the engine, which honours the
    label as it does the annotation."""
    label_namespace(cluster, namespace, "on")
    proc = cluster.apply(pod_yaml("quiet-label", labels={"app": "quiet-label",
                                                         "snug.dev/mode": "off"}),
                         namespace=namespace)
    assert "opted out by label snug.dev/mode=off" in proc.stderr, proc.stderr
    pod = get_pod(cluster, namespace, "quiet-label")
    c = pod["spec"]["containers"][0]
    assert mutated(pod) == ""
    assert not c.get("resources") and "livenessProbe" not in c and "env" not in c


def test_audit_mode_warns_and_changes_nothing(cluster, webhook, namespace):
    label_namespace(cluster, namespace, "audit")
    proc = cluster.apply(pod_yaml("audited"), namespace=namespace)
    assert "Warning:" in proc.stderr and "audit" in proc.stderr, proc.stderr
    pod = get_pod(cluster, namespace, "audited")
    assert mutated(pod) == ""
    assert not pod["spec"]["containers"][0].get("resources")


def test_fail_open_when_webhook_is_down_and_resumes(cluster, webhook, namespace):
    label_namespace(cluster, namespace, "on")
    webhook.stop()
    cluster.apply(pod_yaml("while-down"), namespace=namespace)
    assert mutated(get_pod(cluster, namespace, "while-down")) == ""
    webhook.start()  # same CA from the Secret: the caBundle stays valid
    cluster.apply(pod_yaml("after-restart"), namespace=namespace)
    assert mutated(get_pod(cluster, namespace, "after-restart")) != ""


def test_caches_recover_after_apiserver_restart(cluster, webhook, namespace):
    label_namespace(cluster, namespace, "on")
    cluster.stop_apiserver()
    time.sleep(2)
    cluster.start_apiserver()
    # A policy created after the restart reaches the webhook only through a
    # watch that resumed or relisted.
    cluster.apply("""
apiVersion: snug.dev/v1alpha1
kind: SizingPolicy
metadata: {name: e2e-after-restart}
spec:
  priority: 30
  namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: %s}}
  resources:
    defaults: {requests: {cpu: 77m, memory: 77Mi}}
""" % namespace)

    def mutated_with_new_policy():
        name = "after-apiserver-%d" % int(time.monotonic() * 1000)
        cluster.apply(pod_yaml(name), namespace=namespace)
        c = get_pod(cluster, namespace, name)["spec"]["containers"][0]
        return c.get("resources", {}).get("requests", {}).get("cpu") == "77m"

    try:
        cluster.wait_for(mutated_with_new_policy, timeout=60, interval=2,
                         what="a Pod mutated with a policy created after the restart")
    finally:
        cluster.kubectl("delete", "sizingpolicy", "e2e-after-restart", check=False)


def test_certificate_rotation_drops_no_admission(cluster, webhook, namespace):
    label_namespace(cluster, namespace, "on")
    before = webhook.metrics()
    deadline = time.monotonic() + 45  # the serving certificate lives 30 s: >= 1 rotation
    n = 0
    unmutated = []
    while time.monotonic() < deadline:
        name = "rot-%d" % n
        cluster.apply(pod_yaml(name), namespace=namespace)
        if mutated(get_pod(cluster, namespace, name)) == "":
            unmutated.append(name)
        n += 1
    after = webhook.metrics()

    def reloads(text):
        for line in text.splitlines():
            if line.startswith('snug_webhook_certificate_reloads_total{result="ok"}'):
                return float(line.split()[-1])
        return 0.0

    assert reloads(after) > reloads(before), "no rotation happened during the test"
    assert n >= 10
    assert unmutated == [], "admissions failed open during rotation: %s" % unmutated

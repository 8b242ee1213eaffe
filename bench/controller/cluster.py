"""The benchmark's control plane: tests/e2e/controlplane.sh in a state dir
of the run, the CRDs, namespaces, a SizingPolicy and the Deployments, and a
few raw API calls (urllib, the admin bearer token)."""

import json
import os
import shlex
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONTROLPLANE = ROOT / "tests" / "e2e" / "controlplane.sh"
LABEL = "snug-bench"

POLICY = """apiVersion: snug.dev/v1alpha1
kind: SizingPolicy
metadata: {name: snug-bench}
spec:
  priority: 100
  namespaceSelector: {matchLabels: {%(label)s: "1"}}
  mode: Initial
  resources:
    memoryLimit: {strategy: Ratio, ratio: 1.25}
  recommender:
    window: %(window)s
    minHistory: 12h
    safetyMargin: 0.15
    oomBump: {ratio: 1.2, min: 100Mi}
"""

DEPLOYMENT = """---
apiVersion: apps/v1
kind: Deployment
metadata: {name: %(name)s, namespace: %(ns)s}
spec:
  replicas: 3
  selector: {matchLabels: {app: %(name)s}}
  template:
    metadata: {labels: {app: %(name)s}}
    spec:
      containers:
      - name: app
        image: example/%(name)s:1
        resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {memory: 1Gi}}
"""


def controlplane(*args, env=None, timeout=900):
    """Run controlplane.sh; its progress goes to stderr. Raises on failure."""
    p = subprocess.run(["bash", str(CONTROLPLANE), *map(str, args)], env=env, timeout=timeout,
                       stdout=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise RuntimeError("controlplane.sh %s failed (exit %d)" % (args[0], p.returncode))
    return p.stdout


def read_env(path):
    out = {}
    for line in Path(path).read_text().splitlines():
        if line.startswith("export "):
            k, _, v = line[len("export "):].partition("=")
            parts = shlex.split(v)
            out[k] = parts[0] if parts else ""
    return out


class Cluster:
    """A control plane started in state_dir (stopped by stop(), also from a
    finally: block; its watchdog stops it when this process dies)."""

    def __init__(self, state_dir):
        self.state = Path(state_dir)
        self.started = False

    def start(self):
        env = dict(os.environ, SNUG_CP_WATCH_PID=str(os.getpid()))
        self.started = True
        controlplane("start", self.state, env=env)
        e = read_env(self.state / "env")
        self.kubeconfig = e["KUBECONFIG"]
        self.kubectl_bin = str(Path(e["BIN_DIR"]) / "kubectl")
        self.url = e["APISERVER_URL"]
        self.token = e["ADMIN_TOKEN"]
        self.ctx = ssl.create_default_context(cafile=e["CA_FILE"])
        self.pids = {n: e.get(n.upper().replace("-", "_") + "_PID") for n in ("apiserver", "etcd", "kcm")}
        return self

    def stop(self):
        if self.started:
            self.started = False
            controlplane("stop", self.state, timeout=180)

    def kubectl(self, *args, input=None, timeout=600):
        p = subprocess.run([self.kubectl_bin, "--kubeconfig", self.kubeconfig, *map(str, args)],
                           input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=timeout)
        if p.returncode != 0:
            raise RuntimeError("kubectl %s: %s" % (" ".join(map(str, args[:3])), p.stderr[-2000:]))
        return p.stdout

    def get(self, path, timeout=60):
        req = urllib.request.Request(self.url + path,
                                     headers={"Authorization": "Bearer " + self.token})
        with urllib.request.urlopen(req, context=self.ctx, timeout=timeout) as r:
            return json.loads(r.read())

    def list_all(self, path, page=500):
        """Every item of a collection, in pages."""
        items, cont = [], ""
        while True:
            sep = "&" if "?" in path else "?"
            q = "%s%slimit=%d" % (path, sep, page) + ("&continue=" + cont if cont else "")
            d = self.get(q)
            items += d.get("items", [])
            cont = d.get("metadata", {}).get("continue")
            if not cont:
                return items

    def count(self, path):
        """How many objects a collection holds (a page of one and
        remainingItemCount: cheap for the API server)."""
        d = self.get(path + ("&" if "?" in path else "?") + "limit=1")
        return len(d.get("items", [])) + int(d.get("metadata", {}).get("remainingItemCount") or 0)

    def wait(self, what, pred, timeout, interval=2.0):
        t0 = time.monotonic()
        while True:
            v = pred()
            if v:
                return time.monotonic() - t0
            if time.monotonic() - t0 > timeout:
                raise TimeoutError("timed out after %ds waiting for %s" % (timeout, what))
            time.sleep(interval)

    # -- the benchmark's objects ------------------------------------------------
    def setup_objects(self, work, n_workloads, n_ns, window, log):
        """CRDs, n_ns labelled namespaces (+ snug-bench for the controller),
        the policy, n_workloads Deployments spread over the namespaces;
        waits for their 3 Pods each. Returns seconds spent waiting for Pods."""
        for crd in sorted((ROOT / "manifests" / "crds").glob("*.yaml")):
            self.kubectl("apply", "-f", crd)
        for crd in ("recommendations.snug.dev", "sizingpolicies.snug.dev"):
            self.kubectl("wait", "--for=condition=Established", "--timeout=120s", "crd/" + crd)
        names = ["bench-%02d" % i for i in range(n_ns)]
        docs = ["apiVersion: v1\nkind: Namespace\nmetadata: {name: snug-bench}\n"]
        docs += ["apiVersion: v1\nkind: Namespace\nmetadata: {name: %s, labels: {%s: \"1\"}}\n"
                 % (n, LABEL) for n in names]
        self.kubectl("apply", "-f", "-", input="---\n".join(docs))
        self.wait("default ServiceAccounts", lambda: len(self.list_all(
            "/api/v1/serviceaccounts?fieldSelector=metadata.name%3Ddefault")) >= n_ns + 1, 180, 1)
        self.kubectl("apply", "-f", "-", input=POLICY % {"label": LABEL, "window": window})
        path = Path(work) / "deployments.yaml"
        with open(path, "w") as f:
            for i in range(n_workloads):
                f.write(DEPLOYMENT % {"name": "w%04d" % i, "ns": names[i % n_ns]})
        t0 = time.monotonic()
        self.kubectl("apply", "--server-side", "-f", path, timeout=1800)
        log("%d Deployments applied in %.1fs; kube-controller-manager makes %d Pods..."
            % (n_workloads, time.monotonic() - t0, 3 * n_workloads))
        want = 3 * n_workloads
        last = [0, time.monotonic()]

        def pods_made():
            n = self.count("/api/v1/pods")
            if n != last[0]:
                last[:] = [n, time.monotonic()]
            elif time.monotonic() - last[1] > 300:
                raise RuntimeError("no new Pod for 5 minutes (%d of %d)" % (n, want))
            return n >= want

        return time.monotonic() - t0 if self.wait("%d Pods" % want, pods_made, 3600, 5) else 0

    def bench_pods(self):
        """[(namespace, pod, replicaset, deployment, workload index)] of the
        benchmark's Pods."""
        out = []
        for p in self.list_all("/api/v1/pods"):
            m = p["metadata"]
            ns = m["namespace"]
            if not ns.startswith("bench-"):
                continue
            rs = next((r["name"] for r in m.get("ownerReferences", []) if r["kind"] == "ReplicaSet"), None)
            if rs is None:
                continue
            dep = rs.rsplit("-", 1)[0]
            out.append((ns, m["name"], rs, dep, int(dep[1:])))
        out.sort()
        return out

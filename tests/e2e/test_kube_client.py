"""The C Kubernetes client (lib/kube_*) against a real control plane.

Every test drives the e2e_kube_check binary (tests/e2e/kube_check.c), which
prints one JSON object per line, and checks the result with kubectl:
credentials of both kinds, pagination, watches, server-side apply (objects
and the status subresource), JSON/merge patches, Events, 410 Gone and
relists, an informer that lives through an API server restart, and leader
election with a crashed leader.
"""

import base64
import json
import re
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
import uuid

import pytest
import yaml

MICROTIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


# ---------------------------------------------------------------- helpers --
class Proc:
    """A running e2e_kube_check whose stdout lines are collected as JSON."""

    def __init__(self, argv):
        self.argv = argv
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=self.stderr, text=True, bufsize=1
        )
        self.lines = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            raw = raw.strip()
            if not raw:
                continue
            with self.cond:
                self.lines.append(json.loads(raw))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_line(self, pred, timeout=30.0, what="a line"):
        """Return the first collected line matching pred, waiting for it."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for ln in self.lines:
                    if pred(ln):
                        return ln
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    raise AssertionError(
                        "timed out waiting for %s from %s\nlines: %s\nstderr: %s"
                        % (what, " ".join(self.argv[1:]), self.lines[-30:], self.err_tail())
                    )
                self.cond.wait(min(left, 0.5))

    def ops(self, op):
        with self.cond:
            return [ln for ln in self.lines if ln.get("op") == op]

    def err_tail(self, n=4000):
        self.stderr.seek(0)
        return self.stderr.read()[-n:]

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        self.reader.join(timeout=5)
        return self.proc.returncode


class KubeCheck:
    def __init__(self, exe, cluster):
        self.exe = str(exe)
        self.cluster = cluster
        self.procs = []

    def argv(self, args, kubeconfig=None):
        return [self.exe, "--kubeconfig", str(kubeconfig or self.cluster.kubeconfig), *map(str, args)]

    def run(self, *args, kubeconfig=None, ok=True, timeout=90):
        """Run to completion; returns (returncode, [json lines], stderr)."""
        p = subprocess.run(
            self.argv(args, kubeconfig), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, timeout=timeout,
        )
        lines = [json.loads(ln) for ln in p.stdout.splitlines() if ln.strip()]
        if ok:
            assert p.returncode == 0, "e2e_kube_check %s failed (%d)\nstdout: %s\nstderr: %s" % (
                " ".join(map(str, args)), p.returncode, p.stdout[-3000:], p.stderr[-3000:])
        return p.returncode, lines, p.stderr

    def one(self, *args, **kw):
        """Run and return its single result line (the last one)."""
        _, lines, _ = self.run(*args, **kw)
        assert lines, "no output from %s" % (args,)
        return lines[-1]

    def spawn(self, *args, kubeconfig=None):
        p = Proc(self.argv(args, kubeconfig))
        self.procs.append(p)
        return p

    def close(self):
        for p in self.procs:
            if p.proc.poll() is None:
                p.proc.kill()
                p.proc.wait()


@pytest.fixture
def kc(cluster, snug_build):
    exe = snug_build / "e2e_kube_check"
    if not exe.exists():
        pytest.fail("%s not built" % exe)
    k = KubeCheck(exe, cluster)
    yield k
    k.close()


def configmap(name, ns, data=None, labels=None):
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns, "labels": labels or {}},
        "data": data or {},
    }


def kubectl_apply(cluster, objs):
    cluster.apply(yaml.safe_dump_all(objs))


def write_tmp(tmp_path, name, obj):
    path = tmp_path / name
    path.write_text(json.dumps(obj) if name.endswith(".json") else yaml.safe_dump(obj))
    return path


# etcd's JSON gateway (grpc-gateway), to change what the API server will see
# while it is down -- something no API call can do.
def etcd_call(cluster, method, body):
    req = urllib.request.Request(
        cluster.etcd_url + "/v3/" + method, data=json.dumps(body).encode(), method="POST"
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def b64(s):
    return base64.b64encode(s.encode()).decode()


def wait_controllers_back(cluster):
    """After an API server restart, kube-controller-manager's informers are
    in their own backoff for a while; wait until it serves a new namespace
    again, so the tests after this one start from a healthy cluster."""
    probe = "e2e-probe-%s" % uuid.uuid4().hex[:8]
    cluster.kubectl("create", "namespace", probe)
    try:
        cluster.wait_for(
            lambda: cluster.kubectl("-n", probe, "get", "serviceaccount", "default"),
            timeout=180, what="kube-controller-manager to recover")
    finally:
        cluster.kubectl("delete", "namespace", probe, "--wait=false", check=False)


def etcd_delete_and_compact(cluster, key):
    """Delete one key, bump and compact the revision history: any watch
    from before now is too old afterwards."""
    etcd_call(cluster, "kv/deleterange", {"key": b64(key)})
    rev = etcd_call(cluster, "kv/put", {"key": b64("/snug-e2e/bump"), "value": b64("x")})
    revision = rev["header"]["revision"]
    etcd_call(cluster, "kv/compaction", {"revision": revision, "physical": True})
    return int(revision)


# ------------------------------------------------------------------ tests --
@pytest.mark.parametrize("which", ["kubeconfig", "token_kubeconfig"])
def test_get_with_both_kinds_of_credentials(cluster, kc, namespace, which):
    kubectl_apply(cluster, [configmap("creds", namespace, {"k": "v"})])
    kubeconfig = getattr(cluster, which)
    got = kc.one("get", "v1/configmaps", namespace, "creds", kubeconfig=kubeconfig)
    assert got["op"] == "get"
    assert got["object"]["data"] == {"k": "v"}
    ns = kc.one("get", "v1/namespaces", "-", namespace, kubeconfig=kubeconfig)
    assert ns["object"]["metadata"]["name"] == namespace
    missing = kc.one("get", "v1/configmaps", namespace, "nope", kubeconfig=kubeconfig, ok=False)
    assert missing["status"] == "not-found"
    assert 'configmaps "nope" not found (NotFound)' in missing["message"]


def test_bad_token_gives_a_clear_401(cluster, kc, tmp_path):
    doc = yaml.safe_load(cluster.token_kubeconfig.read_text())
    doc["users"][0]["user"]["token"] = "bogus-token"
    bad = tmp_path / "bad-kubeconfig"
    bad.write_text(yaml.safe_dump(doc))
    rc, lines, stderr = kc.run("get", "v1/namespaces", "-", "default", kubeconfig=bad, ok=False)
    assert rc == 1
    err = lines[-1]
    assert err["op"] == "error" and err["status"] == "unauthorized", lines
    assert "GET /api/v1/namespaces/default: HTTP 401: Unauthorized (Unauthorized)" in err["message"]
    assert "HTTP 401" in stderr


def test_forbidden_user_gets_the_servers_message(cluster, kc, tmp_path):
    doc = yaml.safe_load(cluster.token_kubeconfig.read_text())
    doc["users"][0]["user"]["token"] = cluster.user_token
    user = tmp_path / "user-kubeconfig"
    user.write_text(yaml.safe_dump(doc))
    err = kc.one("list", "v1/secrets", "-", kubeconfig=user, ok=False)
    assert err["status"] == "unauthorized"
    assert "HTTP 403" in err["message"]
    assert 'User "snug-e2e-user" cannot list resource "secrets"' in err["message"]
    assert "(Forbidden)" in err["message"]


def test_pagination_returns_every_object_once(cluster, kc, namespace):
    names = ["page-%02d" % i for i in range(23)]
    kubectl_apply(cluster, [configmap(n, namespace, labels={"e2e-page": "yes"}) for n in names])
    # an unlabelled one and the namespace's kube-root-ca.crt must not show up
    kubectl_apply(cluster, [configmap("other", namespace)])
    got = kc.one("--limit", "4", "--selector", "e2e-page=yes", "list", "v1/configmaps", namespace)
    assert got["pages"] == 6  # 4+4+4+4+4+3
    assert got["count"] == 23
    assert sorted(got["names"]) == names
    assert len(set(got["names"])) == len(got["names"])
    assert int(got["resourceVersion"]) > 0
    # the same without paging
    whole = kc.one("--limit", "-1", "--selector", "e2e-page=yes", "list", "v1/configmaps", namespace)
    assert whole["pages"] == 1 and sorted(whole["names"]) == names


def test_watch_sees_add_modify_delete(cluster, kc, namespace):
    w = kc.spawn("--selector", "app=watched", "--timeout", "60",
                 "watch", "v1/configmaps", namespace, "3")
    ready = w.wait_line(lambda ln: ln["op"] == "ready", what="ready")
    kubectl_apply(cluster, [configmap("w1", namespace, {"a": "1"}, {"app": "watched"})])
    cluster.kubectl("-n", namespace, "patch", "configmap", "w1", "--type", "merge",
                    "-p", '{"data":{"a":"2"}}')
    cluster.kubectl("-n", namespace, "delete", "configmap", "w1")
    result = w.wait_line(lambda ln: ln["op"] == "watch-result", what="the watch to end")
    assert result["status"] == "ok", result
    events = [(e["type"], e["name"]) for e in w.ops("event") if e["type"] != "BOOKMARK"]
    assert events == [("ADDED", "w1"), ("MODIFIED", "w1"), ("DELETED", "w1")]
    rvs = [int(e["rv"]) for e in w.ops("event") if e["type"] != "BOOKMARK"]
    assert rvs == sorted(rvs) and rvs[0] > int(ready["resourceVersion"])
    assert w.stop() == 0


def test_server_side_apply_creates_then_updates(cluster, kc, namespace, tmp_path):
    cm = configmap("ssa", namespace, {"a": "1"})
    out = kc.one("apply", "v1/configmaps", write_tmp(tmp_path, "cm.yaml", cm))
    assert out["op"] == "apply" and out["object"]["data"] == {"a": "1"}
    first_rv = int(out["object"]["metadata"]["resourceVersion"])
    cm["data"] = {"a": "2", "b": "3"}
    out = kc.one("apply", "v1/configmaps", write_tmp(tmp_path, "cm.json", cm))
    assert int(out["object"]["metadata"]["resourceVersion"]) > first_rv
    live = cluster.get_json("-n", namespace, "configmap", "ssa", "--show-managed-fields")
    assert live["data"] == {"a": "2", "b": "3"}
    managers = [(m["manager"], m["operation"]) for m in live["metadata"]["managedFields"]]
    assert ("snug-e2e", "Apply") in managers, managers

    # another manager takes data.a: without force that is a conflict
    cluster.kubectl("-n", namespace, "patch", "configmap", "ssa", "--type", "merge",
                    "--field-manager", "someone-else", "-p", '{"data":{"a":"theirs"}}')
    cm["data"] = {"a": "mine", "b": "3"}
    path = write_tmp(tmp_path, "cm2.yaml", cm)
    err = kc.one("apply", "v1/configmaps", path, ok=False)
    assert err["status"] == "conflict", err
    assert "HTTP 409" in err["message"] and "someone-else" in err["message"]
    out = kc.one("--force", "apply", "v1/configmaps", path)
    assert out["object"]["data"]["a"] == "mine"


CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.e2e.snug.dev
spec:
  group: e2e.snug.dev
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties: {size: {type: integer}}
          status:
            type: object
            properties:
              phase: {type: string}
              observed: {type: integer}
"""


def test_status_apply_on_a_crd(cluster, kc, namespace, tmp_path):
    cluster.apply(CRD)
    cluster.wait_established("widgets.e2e.snug.dev")
    widget = {
        "apiVersion": "e2e.snug.dev/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "namespace": namespace},
        "spec": {"size": 3},
    }
    res = "e2e.snug.dev/v1/widgets"
    # CRDs take a moment to be served after Established
    cluster.wait_for(
        lambda: kc.run("apply", res, write_tmp(tmp_path, "w.yaml", widget), ok=False)[0] == 0,
        timeout=30, what="widget apply")
    status = dict(widget, status={"phase": "Ready", "observed": 3})
    out = kc.one("apply-status", res, write_tmp(tmp_path, "ws.yaml", status))
    assert out["object"]["status"] == {"phase": "Ready", "observed": 3}
    live = cluster.get_json("-n", namespace, "widgets.e2e.snug.dev", "w", "--show-managed-fields")
    assert live["status"] == {"phase": "Ready", "observed": 3}
    assert live["spec"] == {"size": 3}
    entries = [m for m in live["metadata"]["managedFields"] if m["manager"] == "snug-e2e"]
    assert {m.get("subresource", "") for m in entries} == {"", "status"}, entries
    # the main resource ignores status, the status subresource ignores spec
    widget["status"] = {"phase": "Ignored"}
    kc.one("apply", res, write_tmp(tmp_path, "w2.yaml", widget))
    assert cluster.get_json("-n", namespace, "widgets.e2e.snug.dev", "w")["status"]["phase"] == "Ready"


def test_json_and_merge_patch(cluster, kc, namespace):
    kubectl_apply(cluster, [configmap("p", namespace, {"a": "1"})])
    out = kc.one("patch", "v1/configmaps", namespace, "p", "json",
                 '[{"op":"add","path":"/data/b","value":"2"},{"op":"remove","path":"/data/a"}]')
    assert out["object"]["data"] == {"b": "2"}
    out = kc.one("patch", "v1/configmaps", namespace, "p", "merge", '{"data":{"c":"3"}}')
    assert out["object"]["data"] == {"b": "2", "c": "3"}
    assert cluster.get_json("-n", namespace, "configmap", "p")["data"] == {"b": "2", "c": "3"}
    err = kc.one("patch", "v1/configmaps", namespace, "p", "json",
                 '[{"op":"test","path":"/data/b","value":"wrong"}]', ok=False)
    assert err["op"] == "error" and "HTTP 422" in err["message"], err


def test_event_is_created(cluster, kc, namespace):
    kubectl_apply(cluster, [configmap("evt", namespace)])
    out = kc.one("event", "v1/configmaps", namespace, "evt", "Recommend",
                 "RecommendationUpdated", "cpu 100m -> 250m", "Warning")
    name = out["object"]["metadata"]["name"]
    assert name.startswith("evt.")
    ev = cluster.get_json("-n", namespace, "events.events.k8s.io", name)
    assert ev["reportingController"] == "snug.dev/e2e-kube-check"
    assert ev["reportingInstance"] == "e2e-kube-check"
    assert ev["action"] == "Recommend"
    assert ev["reason"] == "RecommendationUpdated"
    assert ev["note"] == "cpu 100m -> 250m"
    assert ev["type"] == "Warning"
    assert MICROTIME.match(ev["eventTime"]), ev["eventTime"]
    reg = ev["regarding"]
    assert (reg["kind"], reg["name"], reg["namespace"]) == ("ConfigMap", "evt", namespace)
    assert reg["uid"] == cluster.get_json("-n", namespace, "configmap", "evt")["metadata"]["uid"]
    # the core/v1 view shows the same Event (kubectl describe uses it)
    core = cluster.get_json("-n", namespace, "events", name)
    assert core["message"] == "cpu 100m -> 250m"


def test_old_resource_version_is_gone_and_the_informer_relists(cluster, kc, namespace):
    labels = {"rel": "yes"}
    kubectl_apply(cluster, [configmap(n, namespace, labels=labels) for n in ("a", "b", "c")])
    inf = kc.spawn("--selector", "rel=yes", "informer", "v1/configmaps", namespace, "180")
    synced = inf.wait_line(lambda ln: ln["op"] == "synced", what="synced")
    assert synced["size"] == 3
    old_rv = max(int(ln["rv"]) for ln in inf.ops("add"))
    try:
        cluster.stop_apiserver()
        # b disappears behind the API server's back; history is compacted
        compacted = etcd_delete_and_compact(cluster, "/registry/configmaps/%s/b" % namespace)
        assert compacted > old_rv
    finally:
        cluster.start_apiserver()
    kubectl_apply(cluster, [configmap("d", namespace, labels=labels)])

    # a watch from before the compaction is 410 Gone
    gone = kc.one("watch-from-rv", "v1/configmaps", namespace, str(old_rv), ok=False)
    assert gone["status"] == "gone", gone
    assert "HTTP 410" in gone["message"] and "too old resource version" in gone["message"]

    # the informer's resumed watch got the same answer, so it listed again:
    # the deletion it could not have watched is reported, d was added
    inf.wait_line(lambda ln: ln["op"] == "delete" and ln["name"] == "b", timeout=60,
                  what="delete of b")
    inf.wait_line(lambda ln: ln["op"] == "add" and ln["name"] == "d", timeout=60,
                  what="add of d")
    assert inf.stop() == 0
    done = inf.ops("done")[-1]
    assert sorted(done["names"]) == ["a", "c", "d"]
    assert done["size"] == 3
    assert done["gone"] >= 1 and done["lists"] >= 2, done
    wait_controllers_back(cluster)


def test_informer_survives_an_apiserver_restart(cluster, kc, namespace):
    labels = {"inf": "yes"}
    kubectl_apply(cluster, [configmap("before-%d" % i, namespace, labels=labels) for i in range(5)])
    inf = kc.spawn("--selector", "inf=yes", "--limit", "2", "informer", "v1/configmaps",
                   namespace, "180")
    assert inf.wait_line(lambda ln: ln["op"] == "synced", what="synced")["size"] == 5
    kubectl_apply(cluster, [configmap("live", namespace, labels=labels)])
    inf.wait_line(lambda ln: ln["op"] == "add" and ln["name"] == "live", what="add of live")
    try:
        cluster.stop_apiserver()
        time.sleep(3)  # several failed reconnects with backoff
    finally:
        cluster.start_apiserver()
    t0 = time.monotonic()
    kubectl_apply(cluster, [configmap("after", namespace, labels=labels)])
    cluster.kubectl("-n", namespace, "delete", "configmap", "before-0")
    inf.wait_line(lambda ln: ln["op"] == "add" and ln["name"] == "after", timeout=60,
                  what="add of after")
    inf.wait_line(lambda ln: ln["op"] == "delete" and ln["name"] == "before-0", timeout=60,
                  what="delete of before-0")
    # backoff is capped at 2 s in the driver: recovery is quick
    assert time.monotonic() - t0 < 30
    assert inf.stop() == 0
    done = inf.ops("done")[-1]
    assert sorted(done["names"]) == ["after", "before-1", "before-2", "before-3", "before-4", "live"]
    assert done["errors"] >= 1, done  # it did notice the API server was gone
    wait_controllers_back(cluster)


def lease_spec(cluster, namespace, name):
    return cluster.get_json("-n", namespace, "lease", name)["spec"]


def test_leader_election_failover_after_kill9(cluster, kc, namespace):
    a = kc.spawn("lease", namespace, "snug-e2e", "cand-a", "300")
    a.wait_line(lambda ln: ln["op"] == "leading", timeout=30, what="a leading")
    b = kc.spawn("lease", namespace, "snug-e2e", "cand-b", "300")
    b.wait_line(lambda ln: ln["op"] == "new-leader" and ln["holder"] == "cand-a",
                what="b seeing a")
    time.sleep(4)  # a renews every 2 s; b must keep waiting
    assert not b.ops("leading")
    spec = lease_spec(cluster, namespace, "snug-e2e")
    assert spec["holderIdentity"] == "cand-a"
    assert spec["leaseDurationSeconds"] == 15
    assert MICROTIME.match(spec["renewTime"]) and MICROTIME.match(spec["acquireTime"])
    transitions = spec.get("leaseTransitions", 0)

    a.proc.kill()  # SIGKILL: no release, b has to wait for expiry
    a.proc.wait()
    t0 = time.monotonic()
    b.wait_line(lambda ln: ln["op"] == "leading", timeout=25, what="b leading")
    took = time.monotonic() - t0
    assert took < 20, "failover took %.1fs" % took
    assert took > 5, "b took over after %.1fs, before a's lease could expire" % took
    spec = lease_spec(cluster, namespace, "snug-e2e")
    assert spec["holderIdentity"] == "cand-b"
    assert spec["leaseTransitions"] == transitions + 1

    # a clean stop releases the lease
    assert b.stop() == 0
    assert b.ops("stopped-leading")
    spec = lease_spec(cluster, namespace, "snug-e2e")
    assert spec.get("holderIdentity", "") == ""
    assert spec["leaseDurationSeconds"] == 1


def test_leader_election_clean_handover(cluster, kc, namespace):
    a = kc.spawn("lease", namespace, "handover", "cand-a", "300")
    a.wait_line(lambda ln: ln["op"] == "leading", timeout=30, what="a leading")
    b = kc.spawn("lease", namespace, "handover", "cand-b", "300")
    b.wait_line(lambda ln: ln["op"] == "new-leader", what="b seeing a")
    t0 = time.monotonic()
    assert a.stop() == 0  # releases
    b.wait_line(lambda ln: ln["op"] == "leading", timeout=15, what="b leading")
    assert time.monotonic() - t0 < 6  # a retry period or two, not a lease duration
    assert [ln["op"] for ln in a.lines if ln["op"] in ("leading", "stopped-leading")] == \
        ["leading", "stopped-leading"]
    b.stop()

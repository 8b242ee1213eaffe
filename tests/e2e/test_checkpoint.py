"""The recommender checkpoint (controller/checkpoint.c) against a real
control plane.

Every test drives e2e_checkpoint_check (tests/e2e/checkpoint_check.c),
which builds workload sets with real samples, saves them as ConfigMaps of a
controller namespace (the `namespace` fixture), loads them into an empty
set, and prints one JSON line per command; kubectl checks what is stored:
a round trip gives back every container's state byte for byte, shards stay
under the budget and are deleted when no longer needed (also a whole
namespace's), corrupt entries and foreign ConfigMaps are skipped with a
warning, and an identity with ConfigMap rights in its own namespace only
(list, create, patch, delete) is enough -- each of those verbs is needed.
"""

import json
import re
import subprocess
import uuid

import pytest
import yaml

NOW = 1796518024  # 2026-12-06T00:47:04Z: every state is made up to this time
NOW_RFC3339 = "2026-12-06T00:47:04Z"
PLAIN_VALUE = re.compile(r"^\d+ [A-Za-z0-9+/]+=*$")


class Check:
    """Runs e2e_checkpoint_check against one controller namespace."""

    def __init__(self, exe, cluster, ns):
        self.exe = str(exe)
        self.cluster = cluster
        self.ns = ns

    def run(self, *args, kubeconfig=None, ok=True, ns=None, timeout=300):
        """Run; returns (returncode, last JSON line, stderr)."""
        argv = [self.exe, "--kubeconfig", str(kubeconfig or self.cluster.kubeconfig),
                "--ns", ns or self.ns, "--now", str(NOW), *map(str, args)]
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=timeout)
        lines = [json.loads(ln) for ln in p.stdout.splitlines() if ln.strip()]
        if ok:
            assert p.returncode == 0, "%s failed (%d)\nstdout: %s\nstderr: %s" % (
                " ".join(argv[3:]), p.returncode, p.stdout[-3000:], p.stderr[-3000:])
        assert lines, "no output from %s; stderr: %s" % (args, p.stderr[-3000:])
        return p.returncode, lines[-1], p.stderr

    def save(self, *specs, **kw):
        return self.run("save", *specs, **kw)[1]

    def load(self, **kw):
        return self.run("load", **kw)

    def configmaps(self):
        """The checkpoint ConfigMaps of the controller namespace, by name."""
        items = self.cluster.get_json(
            "configmaps", "-n", self.ns, "-l", "app.kubernetes.io/managed-by=snug-controller"
        )["items"]
        return {cm["metadata"]["name"]: cm for cm in items}


@pytest.fixture
def ck(cluster, snug_build, namespace):
    exe = snug_build / "e2e_checkpoint_check"
    if not exe.exists():
        pytest.fail("%s not built" % exe)
    return Check(exe, cluster, namespace)


def identities(entries, only_policy=False):
    """{(ns, kind, name, container): sha} of a save's or load's entries."""
    return {
        (e["ns"], e["kind"], e["name"], e["container"]): e["sha"]
        for e in entries
        if e["policy"] or not only_policy
    }


def warnings(stderr):
    out = []
    for ln in stderr.splitlines():
        try:
            rec = json.loads(ln)
        except ValueError:
            continue
        if rec.get("level") == "warn":
            out.append(rec)
    return out


def data_bytes(cm):
    return sum(len(k) + len(v) for k, v in cm.get("data", {}).items())


# ------------------------------------------------------------------ tests --
def test_round_trip_restores_every_state(ck):
    saved = ck.save(
        "shop/Deployment/web=app,sidecar",
        "shop/StatefulSet/db.primary=pg",
        "tools/Rollout/canary=main",  # not a known kind: a hashed key
        "shop/Deployment/skipped=x/nopol",  # no policy: not saved
        "shop/Deployment/removed=x/gone",  # deleted from the cluster: not saved
    )
    assert saved["stats"]["configmaps_written"] == 2
    assert saved["stats"]["entries"] == 4
    assert saved["stats"]["entries_skipped"] == 0

    cms = ck.configmaps()
    assert sorted(cms) == ["snug-checkpoint-shop", "snug-checkpoint-tools"]
    shop = cms["snug-checkpoint-shop"]
    md = shop["metadata"]
    assert md["labels"] == {
        "app.kubernetes.io/managed-by": "snug-controller",
        "snug.dev/checkpoint-namespace": "shop",
    }
    assert md["annotations"]["snug.dev/checkpoint-time"] == NOW_RFC3339
    assert md["annotations"]["snug.dev/checkpoint-version"] == "1"
    assert md["annotations"]["snug.dev/checkpoint-shard"] == "1/1"
    assert sorted(shop["data"]) == [
        "deployment.web.app", "deployment.web.sidecar", "statefulset.db.primary.pg"]
    for v in shop["data"].values():
        assert PLAIN_VALUE.match(v), v[:80]
        assert v.startswith("%d " % NOW)
    (key, value), = cms["snug-checkpoint-tools"]["data"].items()
    assert re.fullmatch(r"h\.[0-9a-f]{16}", key)
    doc = json.loads(value)
    assert (doc["kind"], doc["name"], doc["container"], doc["saved"]) == (
        "Rollout", "canary", "main", NOW)
    assert saved["stats"]["bytes"] == data_bytes(shop) + len(key) + len(value)

    _, loaded, stderr = ck.load()
    assert warnings(stderr) == []
    assert loaded["stats"]["configmaps_read"] == 2
    assert loaded["stats"]["entries"] == 4
    assert loaded["saved_at"] == NOW
    # the loaded states save to exactly the same text
    assert identities(loaded["entries"]) == identities(saved["entries"], only_policy=True)
    assert all(not e["policy"] for e in loaded["entries"])  # the operator matches them later


def test_shards_stay_under_the_budget_and_stale_ones_go(ck):
    budget = 20000
    _, saved, _ = ck.run("--budget", budget, "save", "gen:shop:60:2", "tools/Deployment/x=a",
                         "shop-2/Deployment/w=c")
    cms = ck.configmaps()
    shop = sorted(n for n, cm in cms.items()
                  if cm["metadata"]["labels"]["snug.dev/checkpoint-namespace"] == "shop")
    n = len(shop)
    assert n >= 8, shop  # 120 containers of ~1.3 KB in 20 KB shards: loads take 2 pages
    assert set(shop) == {"snug-checkpoint-shop"} | {
        "snug-checkpoint-shop.%d" % i for i in range(2, n + 1)}
    # namespace shop-2's ConfigMap is not a shard of shop's
    assert "snug-checkpoint-shop-2" in cms and "snug-checkpoint-tools" in cms
    assert saved["stats"]["configmaps_written"] == n + 2
    keys = []
    for name in shop:
        cm = cms[name]
        assert data_bytes(cm) + 6 * len(cm["data"]) <= budget
        assert cm["metadata"]["annotations"]["snug.dev/checkpoint-shard"].endswith("/%d" % n)
        keys += list(cm["data"])
    assert len(keys) == len(set(keys)) == 120

    _, loaded, _ = ck.load()
    assert loaded["stats"]["entries"] == 122
    assert loaded["stats"]["configmaps_read"] == n + 2
    assert identities(loaded["entries"]) == identities(saved["entries"])

    # fewer workloads: one shard is enough, tools and shop-2 have nothing left
    _, smaller, _ = ck.run("--budget", budget, "save", "gen:shop:5:2")
    assert smaller["stats"]["configmaps_written"] == 1
    assert smaller["stats"]["configmaps_deleted"] == n - 1 + 2
    cms = ck.configmaps()
    assert sorted(cms) == ["snug-checkpoint-shop"]
    assert sorted(cms["snug-checkpoint-shop"]["data"]) == sorted(
        "deployment.w-%04d.c%d" % (w, c) for w in range(5) for c in range(2))
    _, loaded, _ = ck.load()
    assert identities(loaded["entries"]) == identities(smaller["entries"])

    # a workload that loses its policy is dropped; nothing left: nothing stored
    ck.save("shop/Deployment/w-0000=c0,c1/nopol")
    assert ck.configmaps() == {}
    _, loaded, _ = ck.load()
    assert loaded["stats"]["entries"] == 0 and loaded["saved_at"] == 0


def test_two_thousand_containers(ck, capsys):
    _, saved, _ = ck.run("save", "gen:big:1000:2", timeout=600)
    st = saved["stats"]
    cms = ck.configmaps()
    assert st["entries"] == 2000
    assert st["configmaps_written"] == len(cms) == 4
    for cm in cms.values():
        assert data_bytes(cm) < 700 * 1024
        # the whole object as stored, managedFields included, is well under 1 MiB
        assert len(json.dumps(cm)) < 1024 * 1024
    _, loaded, _ = ck.load()
    assert identities(loaded["entries"]) == identities(saved["entries"])
    with capsys.disabled():
        print("\n2000 containers: %d ConfigMaps, %d data bytes (%.0f per container, state %.0f),"
              " save %.0f ms, load %.0f ms" % (
                  st["configmaps_written"], st["bytes"], st["bytes"] / 2000.0,
                  saved["state_bytes"] / 2000.0, saved["ms"], loaded["ms"]))


def test_corrupt_entries_are_skipped_with_a_warning(ck, cluster):
    saved = ck.save("shop/Deployment/web=app,sidecar", "shop/Deployment/api=app",
                    "shop/StatefulSet/db=pg", "shop/Rollout/canary=main")
    want = identities(saved["entries"])
    cm = ck.configmaps()["snug-checkpoint-shop"]
    data = cm["data"]
    hashed = next(k for k in data if k.startswith("h."))
    t, state = data["deployment.api.app"].split(" ")
    flipped = state[:40] + ("A" if state[40] != "A" else "B") + state[41:]  # CRC mismatch
    patch = {"data": {
        "deployment.web.sidecar": "garbage",
        "deployment.api.app": "%s %s" % (t, flipped),
        hashed: json.dumps(dict(json.loads(data[hashed]), name="other")),  # wrong key
        "pod.foreign.c": "1 AAAA",  # not a checkpoint
    }}
    cluster.kubectl("-n", ck.ns, "patch", "configmap", "snug-checkpoint-shop", "--type", "merge",
                    "-p", json.dumps(patch))
    # a ConfigMap of another format version, and an older copy of web/app
    other = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
        "name": "snug-checkpoint-shop.9", "namespace": ck.ns,
        "labels": {"app.kubernetes.io/managed-by": "snug-controller",
                   "snug.dev/checkpoint-namespace": "shop"},
        "annotations": {"snug.dev/checkpoint-version": "2",
                        "snug.dev/checkpoint-time": NOW_RFC3339}},
        "data": {"deployment.new.format": "whatever"}}
    older = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
        "name": "snug-checkpoint-shop.2", "namespace": ck.ns,
        "labels": dict(other["metadata"]["labels"]),
        "annotations": {"snug.dev/checkpoint-version": "1",
                        "snug.dev/checkpoint-time": "2026-12-05T00:00:00Z"}},
        "data": {"deployment.web.app": "%d %s" % (NOW - 86400, data["statefulset.db.pg"].split(" ")[1])}}
    # a newer copy (listed after the original) wins: db/pg gets web/app's state
    newer = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
        "name": "snug-checkpoint-shop.3", "namespace": ck.ns,
        "labels": dict(other["metadata"]["labels"]),
        "annotations": {"snug.dev/checkpoint-version": "1",
                        "snug.dev/checkpoint-time": "2026-12-06T00:48:04Z"}},
        "data": {"statefulset.db.pg": "%d %s" % (NOW + 60, data["deployment.web.app"].split(" ")[1])}}
    cluster.apply(yaml.safe_dump_all([other, older, newer]))

    _, loaded, stderr = ck.load()
    got = identities(loaded["entries"])
    assert set(got) == {("shop", "Deployment", "web", "app"), ("shop", "StatefulSet", "db", "pg")}
    assert got[("shop", "Deployment", "web", "app")] == want[("shop", "Deployment", "web", "app")]
    assert got[("shop", "StatefulSet", "db", "pg")] == want[("shop", "Deployment", "web", "app")]
    assert loaded["stats"]["entries"] == 2
    assert loaded["saved_at"] == NOW  # the older copy loaded nothing, so its time does not count
    warned = {(w.get("key"), w.get("configmap")): w for w in warnings(stderr)}
    for key in ("deployment.web.sidecar", "deployment.api.app", hashed, "pod.foreign.c"):
        assert (key, "snug-checkpoint-shop") in warned, (key, stderr)
    assert "checksum mismatch" in warned[("deployment.api.app", "snug-checkpoint-shop")]["error"]
    assert "whose key is" in warned[(hashed, "snug-checkpoint-shop")]["error"]
    assert any(w.get("configmap") == "snug-checkpoint-shop.9" and w.get("version") == "2"
               for w in warnings(stderr)), stderr
    assert loaded["stats"]["entries_skipped"] == 5

    # the next save rewrites the damaged entries, removes the foreign one
    # and the three stray ConfigMaps, and everything loads again
    again = ck.save("shop/Deployment/web=app,sidecar", "shop/Deployment/api=app",
                    "shop/StatefulSet/db=pg", "shop/Rollout/canary=main")
    assert again["stats"]["configmaps_deleted"] == 3
    cms = ck.configmaps()
    assert sorted(cms) == ["snug-checkpoint-shop"]
    assert "pod.foreign.c" not in cms["snug-checkpoint-shop"]["data"]
    _, loaded, stderr = ck.load()
    assert warnings(stderr) == []
    assert identities(loaded["entries"]) == want


# ----------------------------------------------------------------- RBAC --
def token_kubeconfig(cluster, tmp_path, ns, sa):
    token = cluster.kubectl("-n", ns, "create", "token", sa).stdout.strip()
    doc = yaml.safe_load(cluster.token_kubeconfig.read_text())
    doc["users"][0]["user"]["token"] = token
    path = tmp_path / ("kubeconfig-" + sa)
    path.write_text(yaml.safe_dump(doc))
    return path


def grant(cluster, ns, sa, verbs):
    cluster.apply(yaml.safe_dump_all([
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": sa, "namespace": ns}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
         "metadata": {"name": sa, "namespace": ns},
         "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": verbs}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
         "metadata": {"name": sa, "namespace": ns},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": sa},
         "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": ns}]},
    ]))


@pytest.fixture
def other_namespace(cluster):
    name = "e2e-ckpt-other-%s" % uuid.uuid4().hex[:6]
    cluster.kubectl("create", "namespace", name)
    yield name
    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)


VERBS = ["list", "create", "patch", "delete"]


def test_configmap_rights_in_its_own_namespace_are_enough(ck, cluster, tmp_path,
                                                          other_namespace):
    grant(cluster, ck.ns, "snug-ckpt", VERBS)
    kcfg = token_kubeconfig(cluster, tmp_path, ck.ns, "snug-ckpt")
    # RBAC takes effect within moments; wait for it
    cluster.wait_for(lambda: ck.run("list", ck.ns, kubeconfig=kcfg)[1]["status"] == "ok",
                     timeout=30, what="the Role to apply")
    forbidden = ck.run("list", other_namespace, kubeconfig=kcfg)[1]
    assert forbidden["status"] == "unauthorized"
    assert "cannot list resource \"configmaps\"" in forbidden["message"]
    assert "HTTP 403" in forbidden["message"]
    # ... and a checkpoint kept in another namespace is refused too
    rc, err, _ = ck.run("save", "shop/Deployment/web=app", kubeconfig=kcfg, ns=other_namespace,
                        ok=False)
    assert rc == 1 and err["status"] == "unauthorized"

    saved = ck.run("--budget", 4000, "save", "gen:shop:4:1", "tools/Deployment/x=a",
                   kubeconfig=kcfg)[1]
    assert saved["stats"]["configmaps_written"] >= 3
    _, loaded, _ = ck.load(kubeconfig=kcfg)
    assert identities(loaded["entries"]) == identities(saved["entries"])
    smaller = ck.save("shop/Deployment/w-0000=c0", kubeconfig=kcfg)
    assert smaller["stats"]["configmaps_deleted"] == saved["stats"]["configmaps_written"] - 1
    assert sorted(ck.configmaps()) == ["snug-checkpoint-shop"]


@pytest.mark.parametrize("missing", VERBS)
def test_each_verb_is_needed(ck, cluster, tmp_path, missing):
    sa = "ckpt-no-" + missing
    grant(cluster, ck.ns, sa, [v for v in VERBS if v != missing])
    kcfg = token_kubeconfig(cluster, tmp_path, ck.ns, sa)
    # something stale to delete, saved with the admin's rights
    ck.save("gone/Deployment/old=app")
    if missing != "list":  # wait for the Role to apply (without list, nothing shows it)
        cluster.wait_for(lambda: ck.run("list", ck.ns, kubeconfig=kcfg)[1]["status"] == "ok",
                         timeout=30, what="the Role to apply")
    cmd = ("load",) if missing == "list" else ("save", "shop/Deployment/web=app")
    rc, err, _ = ck.run(*cmd, kubeconfig=kcfg, ok=False)
    assert rc == 1 and err["status"] == "unauthorized", err
    assert 'cannot %s resource "configmaps"' % missing in err["message"], err

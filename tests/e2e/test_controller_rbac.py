"""manifests/controller-rbac.yaml against a real API server: snug-controller's
ServiceAccount may do everything the controller needs and nothing more.

`kubectl auth can-i --as=system:serviceaccount:snug-system:snug-controller`
answers each row of a table of allowed and refused requests; `can-i --list`
must show exactly the expected rules (plus the self-review rules every
authenticated user has); and a few requests are really made with the
ServiceAccount's token. manifests/controller-deployment.yaml must pass
server-side dry-run validation and use the webhook's image.

The cluster has no VerticalPodAutoscaler CRD of its own: a minimal one is
installed for the module (kubectl can-i cannot name the resource of an
unknown type) and removed afterwards.
"""
import base64
import json
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from stub_crds import VPA_CRD
import yaml

REPO = Path(__file__).resolve().parents[2]
MANIFESTS = REPO / "manifests"
SYSTEM_NS = "snug-system"
SA = "system:serviceaccount:%s:snug-controller" % SYSTEM_NS
OTHER_NS = "shop"  # any namespace but snug-system; need not exist for can-i
ALL = None  # cluster-wide: --all-namespaces (or a cluster-scoped resource)



@pytest.fixture(scope="module")
def rbac(cluster):
    """The CRDs, snug-system and the controller's RBAC applied; the stub VPA
    CRD while the module runs (unless the cluster already had one)."""
    cluster.kubectl("apply", "-f", str(MANIFESTS / "crds"))
    for crd in ("sizingpolicies.snug.dev", "recommendations.snug.dev"):
        cluster.wait_established(crd)
    had_vpa = cluster.kubectl(
        "get", "crd", "verticalpodautoscalers.autoscaling.k8s.io", check=False
    ).returncode == 0
    if not had_vpa:
        cluster.apply(VPA_CRD)
        cluster.wait_established("verticalpodautoscalers.autoscaling.k8s.io")
    cluster.kubectl("apply", "-f", str(MANIFESTS / "namespace.yaml"))
    cluster.kubectl("apply", "-f", str(MANIFESTS / "controller-rbac.yaml"))
    yield cluster
    if not had_vpa:
        cluster.kubectl(
            "delete", "crd", "verticalpodautoscalers.autoscaling.k8s.io", "--timeout=60s",
            check=False,
        )


def can_i(cluster, verb, resource, ns, subresource=None):
    args = ["auth", "can-i", verb, resource, "--as", SA]
    args += ["--all-namespaces"] if ns is ALL else ["-n", ns]
    if subresource:
        args += ["--subresource", subresource]
    proc = cluster.kubectl(*args, check=False)
    answer = proc.stdout.strip()
    assert answer in ("yes", "no"), "kubectl %s: %s %s" % (" ".join(args), answer, proc.stderr)
    assert "doesn't have a resource type" not in proc.stderr, proc.stderr
    return answer == "yes"


# (verb, resource, namespace, subresource): what the controller does.
ALLOWED = [
    *[(v, "sizingpolicies.snug.dev", ALL, None) for v in ("get", "list", "watch")],
    *[(v, "namespaces", ALL, None) for v in ("get", "list", "watch")],
    *[
        (v, r, ALL, None)
        for r in (
            "pods",
            "deployments.apps",
            "statefulsets.apps",
            "daemonsets.apps",
            "cronjobs.batch",
            "jobs.batch",
            "horizontalpodautoscalers.autoscaling",
            "verticalpodautoscalers.autoscaling.k8s.io",
            "recommendations.snug.dev",
        )
        for v in ("get", "list", "watch")
    ],
    *[
        (v, "recommendations.snug.dev", ns, None)
        for v in ("create", "update", "patch", "delete")
        for ns in (OTHER_NS, ALL)
    ],
    ("update", "recommendations.snug.dev", OTHER_NS, "status"),
    ("patch", "recommendations.snug.dev", OTHER_NS, "status"),
    ("create", "events.events.k8s.io", OTHER_NS, None),
    ("patch", "events.events.k8s.io", OTHER_NS, None),
    ("create", "events.events.k8s.io", SYSTEM_NS, None),
    *[(v, "leases.coordination.k8s.io", SYSTEM_NS, None) for v in ("get", "create", "update")],
    *[
        (v, "configmaps", SYSTEM_NS, None)
        for v in ("get", "list", "create", "update", "patch", "delete")
    ],
]

# Requests the controller never makes: all refused.
REFUSED = [
    # no Secrets anywhere
    *[(v, "secrets", ns, None) for v in ("get", "list", "watch") for ns in (ALL, SYSTEM_NS)],
    ("create", "secrets", SYSTEM_NS, None),
    # ConfigMaps and Leases only in its own namespace
    *[(v, "configmaps", ns, None) for v in ("get", "create", "update") for ns in (OTHER_NS, ALL)],
    *[(v, "leases.coordination.k8s.io", ns, None) for v in ("get", "create", "update")
      for ns in (OTHER_NS, "kube-system", ALL)],
    ("watch", "configmaps", SYSTEM_NS, None),
    ("deletecollection", "configmaps", SYSTEM_NS, None),
    ("delete", "leases.coordination.k8s.io", SYSTEM_NS, None),
    ("list", "leases.coordination.k8s.io", SYSTEM_NS, None),
    # workloads and Pods are read, never written
    *[(v, r, OTHER_NS, None) for v in ("create", "update", "patch", "delete")
      for r in ("deployments.apps", "statefulsets.apps", "daemonsets.apps", "cronjobs.batch",
                "jobs.batch", "pods")],
    ("patch", "pods", OTHER_NS, "status"),
    ("update", "pods", OTHER_NS, "status"),
    ("create", "pods", OTHER_NS, "eviction"),
    ("update", "deployments.apps", OTHER_NS, "scale"),
    ("patch", "deployments.apps", OTHER_NS, "scale"),
    ("get", "pods", OTHER_NS, "log"),
    ("create", "pods", OTHER_NS, "exec"),
    ("get", "replicasets.apps", OTHER_NS, None),
    # namespaces read only
    *[(v, "namespaces", ALL, None) for v in ("create", "update", "patch", "delete")],
    # SizingPolicies are the user's
    *[(v, "sizingpolicies.snug.dev", ns, None) for v in ("create", "update", "patch", "delete")
      for ns in (OTHER_NS, ALL)],
    ("deletecollection", "recommendations.snug.dev", OTHER_NS, None),
    # autoscalers read only
    *[(v, r, OTHER_NS, None) for v in ("create", "update", "patch", "delete")
      for r in ("horizontalpodautoscalers.autoscaling",
                "verticalpodautoscalers.autoscaling.k8s.io")],
    # Events: only written, and only through events.k8s.io
    ("list", "events.events.k8s.io", OTHER_NS, None),
    ("delete", "events.events.k8s.io", OTHER_NS, None),
    ("create", "events", OTHER_NS, None),
    # nothing else in the cluster
    ("get", "nodes", ALL, None),
    ("list", "limitranges", OTHER_NS, None),
    ("create", "serviceaccounts", OTHER_NS, "token"),
    ("impersonate", "serviceaccounts", SYSTEM_NS, None),
    ("escalate", "clusterroles.rbac.authorization.k8s.io", ALL, None),
    ("bind", "clusterroles.rbac.authorization.k8s.io", ALL, None),
    ("update", "roles.rbac.authorization.k8s.io", SYSTEM_NS, None),
    ("update", "mutatingwebhookconfigurations.admissionregistration.k8s.io", ALL, None),
    ("update", "customresourcedefinitions.apiextensions.k8s.io", ALL, None),
    ("*", "*", ALL, None),
]


def row_id(row):
    verb, resource, ns, sub = row
    return "%s %s%s %s" % (verb, resource, "/" + sub if sub else "", ns or "all")


@pytest.mark.parametrize("row", ALLOWED, ids=row_id)
def test_allowed(rbac, row):
    verb, resource, ns, sub = row
    assert can_i(rbac, verb, resource, ns, sub), "snug-controller may not: %s" % row_id(row)


@pytest.mark.parametrize("row", REFUSED, ids=row_id)
def test_refused(rbac, row):
    verb, resource, ns, sub = row
    assert not can_i(rbac, verb, resource, ns, sub), "snug-controller may: %s" % row_id(row)


# What `can-i --list` must show, resource -> verbs; every authenticated user
# also has the self-review rules (system:basic-user).
CLUSTER_RULES = {
    "sizingpolicies.snug.dev": {"get", "list", "watch"},
    "recommendations.snug.dev": {"get", "list", "watch", "create", "update", "patch", "delete"},
    "recommendations.snug.dev/status": {"update", "patch"},
    "namespaces": {"get", "list", "watch"},
    "pods": {"get", "list", "watch"},
    "deployments.apps": {"get", "list", "watch"},
    "statefulsets.apps": {"get", "list", "watch"},
    "daemonsets.apps": {"get", "list", "watch"},
    "cronjobs.batch": {"get", "list", "watch"},
    "jobs.batch": {"get", "list", "watch"},
    "horizontalpodautoscalers.autoscaling": {"get", "list", "watch"},
    "verticalpodautoscalers.autoscaling.k8s.io": {"get", "list", "watch"},
    "events.events.k8s.io": {"create", "patch"},
    "selfsubjectreviews.authentication.k8s.io": {"create"},
    "selfsubjectaccessreviews.authorization.k8s.io": {"create"},
    "selfsubjectrulesreviews.authorization.k8s.io": {"create"},
}
SYSTEM_NS_RULES = {
    "leases.coordination.k8s.io": {"get", "create", "update"},
    "configmaps": {"get", "list", "create", "update", "patch", "delete"},
}
LIST_ROW = re.compile(r"^(\S+)\s+\[\]\s+\[(.*?)\]\s+\[(.*)\]$")


def listed_rules(cluster, ns):
    """`can-i --list` in ns as resource -> verbs (resource rows only; a rule
    limited to resource names is keyed "resource[names]")."""
    out = cluster.kubectl("auth", "can-i", "--list", "--as", SA, "-n", ns).stdout
    rules = {}
    for line in out.splitlines()[1:]:
        m = LIST_ROW.match(line.strip())
        if not m:
            continue  # a non-resource URL row (/healthz, /version, ...)
        resource, names, verbs = m.groups()
        key = resource + ("[%s]" % names if names else "")
        rules.setdefault(key, set()).update(verbs.split())
    return rules


@pytest.mark.parametrize(
    "ns,want",
    [(SYSTEM_NS, {**CLUSTER_RULES, **SYSTEM_NS_RULES}), (OTHER_NS, CLUSTER_RULES)],
    ids=["snug-system", "other namespace"],
)
def test_nothing_more_than_listed(rbac, ns, want):
    assert listed_rules(rbac, ns) == want


# -- the ServiceAccount's own token ----------------------------------------


@pytest.fixture
def sa_kubeconfig(rbac, tmp_path):
    token = rbac.kubectl(
        "create", "token", "snug-controller", "-n", SYSTEM_NS, "--duration", "1h"
    ).stdout.strip()
    ca = base64.b64encode(Path(rbac.ca_file).read_bytes()).decode()
    cfg = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "e2e", "cluster": {"server": rbac.url,
                                                "certificate-authority-data": ca}}],
        "users": [{"name": "snug-controller", "user": {"token": token}}],
        "contexts": [{"name": "e2e", "context": {"cluster": "e2e", "user": "snug-controller"}}],
        "current-context": "e2e",
    }
    path = tmp_path / "controller-kubeconfig"
    path.write_text(json.dumps(cfg))
    return path


def request_as(cluster, kubeconfig, method, path, body, content_type):
    """One request with the token in kubeconfig; (status, body text)."""
    token = json.loads(Path(kubeconfig).read_text())["users"][0]["user"]["token"]
    req = urllib.request.Request(
        cluster.url + path, data=body.encode(), method=method,
        headers={"Authorization": "Bearer " + token, "Content-Type": content_type},
    )
    try:
        with urllib.request.urlopen(req, context=cluster.ssl_context(), timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_token_does_what_the_controller_does(rbac, namespace, sa_kubeconfig):
    def as_sa(*args, input=None, check=True):
        return rbac.kubectl(*args, input=input, check=check, kubeconfig=sa_kubeconfig)

    for what in ("namespaces", "pods", "deployments.apps", "statefulsets.apps",
                 "daemonsets.apps", "cronjobs.batch", "jobs.batch",
                 "horizontalpodautoscalers.autoscaling",
                 "verticalpodautoscalers.autoscaling.k8s.io", "sizingpolicies.snug.dev",
                 "recommendations.snug.dev"):
        as_sa("get", what, "--all-namespaces", "-o", "name")

    rec = {
        "apiVersion": "snug.dev/v1alpha1",
        "kind": "Recommendation",
        "metadata": {"name": "deployment-web", "namespace": namespace},
        "spec": {"targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}},
    }
    as_sa("create", "-f", "-", input=json.dumps(rec))
    # the status as the controller writes it: server-side apply, straight
    # to the subresource (kubectl patch --subresource would GET it first)
    status = dict(rec, status={"policy": "default"})
    code, body = request_as(
        rbac, sa_kubeconfig, "PATCH",
        "/apis/snug.dev/v1alpha1/namespaces/%s/recommendations/deployment-web/status"
        "?fieldManager=snug-controller&force=true" % namespace,
        json.dumps(status), "application/apply-patch+yaml",
    )
    assert code == 200, body
    got = rbac.get_json("recommendation", "deployment-web", "-n", namespace)
    assert got["status"]["policy"] == "default"

    event = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "web.e2e", "namespace": namespace},
        "eventTime": "2026-01-02T03:04:05.000000Z",
        "reportingController": "snug.dev/controller",
        "reportingInstance": "snug-controller-e2e",
        "action": "Recommend",
        "reason": "RecommendationUpdated",
        "type": "Normal",
        "note": "e2e",
        "regarding": {"apiVersion": "snug.dev/v1alpha1", "kind": "Recommendation",
                      "name": "deployment-web", "namespace": namespace},
    }
    as_sa("create", "-f", "-", input=json.dumps(event))
    as_sa("delete", "recommendation", "deployment-web", "-n", namespace)

    # a Recommendation and a checkpoint ConfigMap created by server-side
    # apply, as the controller writes them
    rec2 = dict(rec, metadata={"name": "statefulset-db", "namespace": namespace},
                spec={"targetRef": {"apiVersion": "apps/v1", "kind": "StatefulSet",
                                    "name": "db"}})
    cm = "snug-checkpoint-e2e-rbac"
    applies = [
        ("/apis/snug.dev/v1alpha1/namespaces/%s/recommendations/statefulset-db" % namespace,
         rec2),
        ("/api/v1/namespaces/%s/configmaps/%s" % (SYSTEM_NS, cm),
         {"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": cm, "namespace": SYSTEM_NS,
                       "labels": {"app.kubernetes.io/managed-by": "snug-controller"}},
          "data": {"k": "v"}}),
    ]
    for path, obj in applies:
        code, body = request_as(rbac, sa_kubeconfig, "PATCH",
                                path + "?fieldManager=snug-controller&force=true",
                                json.dumps(obj), "application/apply-patch+yaml")
        assert code == 201, (path, code, body)
    as_sa("get", "configmaps", "-n", SYSTEM_NS,
          "-l", "app.kubernetes.io/managed-by=snug-controller")
    as_sa("delete", "configmap", cm, "-n", SYSTEM_NS)
    as_sa("delete", "recommendation", "statefulset-db", "-n", namespace)

    lease = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "snug-e2e-rbac-lease", "namespace": SYSTEM_NS},
        "spec": {"holderIdentity": "e2e", "leaseDurationSeconds": 15},
    }
    as_sa("create", "-f", "-", input=json.dumps(lease))
    rbac.kubectl("delete", "lease", "snug-e2e-rbac-lease", "-n", SYSTEM_NS)

    rbac.kubectl("create", "deployment", "web", "--image=example/app:1", "-n", namespace)
    refused = [
        ("get", "secrets", "-n", SYSTEM_NS),
        ("create", "configmap", "x", "-n", namespace, "--from-literal=k=v"),
        ("scale", "deployment", "web", "-n", namespace, "--replicas=2"),
        ("set", "resources", "deployment", "web", "-n", namespace, "--requests=cpu=1"),
        ("delete", "namespace", namespace),
    ]
    for args in refused:
        proc = as_sa(*args, check=False)
        assert proc.returncode != 0 and "forbidden" in proc.stderr.lower(), (args, proc.stderr)


# -- the Deployment manifest -------------------------------------------------


def load_docs(name):
    return [d for d in yaml.safe_load_all((MANIFESTS / name).read_text()) if d]


def test_deployment_manifest_is_accepted(rbac):
    """Server-side dry-run: the API server validates every object in full
    (probes, security context, PodDisruptionBudget, spread constraints)."""
    out = rbac.kubectl(
        "apply", "--dry-run=server", "-f", str(MANIFESTS / "controller-deployment.yaml")
    ).stdout
    for obj in ("deployment.apps/snug-controller", "service/snug-controller-metrics",
                "poddisruptionbudget.policy/snug-controller"):
        assert obj in out, out


def test_deployment_manifest_matches_webhook_and_rbac():
    docs = {d["kind"]: d for d in load_docs("controller-deployment.yaml")}
    webhook = {d["kind"]: d for d in load_docs("webhook-deployment.yaml")}
    rbac_docs = load_docs("controller-rbac.yaml")
    pod = docs["Deployment"]["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    (wc,) = webhook["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert c["image"] == wc["image"]
    assert docs["Deployment"]["spec"]["replicas"] == 2
    sa = [d for d in rbac_docs if d["kind"] == "ServiceAccount"][0]["metadata"]
    assert pod["serviceAccountName"] == sa["name"]
    assert docs["Deployment"]["metadata"]["namespace"] == sa["namespace"] == SYSTEM_NS
    assert c["command"] + c["args"] == [
        "/snug-controller", "run", "--prometheus=$(PROMETHEUS_URL)",
        "--lease-namespace=$(POD_NAMESPACE)", "--owner-deployment=snug-controller",
        "--metrics-listen=:8080",
    ]
    env = {e["name"]: e for e in c["env"]}
    assert env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.name"
    assert env["POD_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"] == "metadata.namespace"
    assert env["PROMETHEUS_URL"]["value"].startswith("http")
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {p["name"]: p["containerPort"] for p in c["ports"]} == {"metrics": 8080}
    sc = c["securityContext"]
    assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    assert c["resources"] == {"requests": {"cpu": "50m", "memory": "64Mi"},
                              "limits": {"memory": "256Mi"}}
    assert docs["PodDisruptionBudget"]["spec"]["minAvailable"] == 1
    # the Service and PodDisruptionBudget select the Deployment's Pods
    labels = docs["Deployment"]["spec"]["template"]["metadata"]["labels"]
    for sel in (docs["Service"]["spec"]["selector"],
                docs["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"],
                pod["topologySpreadConstraints"][0]["labelSelector"]["matchLabels"]):
        assert sel.items() <= labels.items()

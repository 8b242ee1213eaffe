"""The Helm chart (charts/snug) and the plain manifests rendered from it.

Without a cluster: `helm lint`, `helm template` with the default values and
the variants of charts/snug/ci/ (cert-manager, a provided Secret,
prometheus-operator objects, most values changed), each checked for the
objects it must contain; values.schema.json refusing bad values; the
PrometheusRule's rules through promtool; manifests/ equal to what
scripts/render-manifests.sh renders.

Against the real control plane (the `cluster` fixture): `helm install` with
the defaults, every object accepted, the webhook configuration pointing at
the webhook's Service, and `kubectl auth can-i` as each ServiceAccount:
what the component does is allowed, nothing more (`can-i --list`); then
`helm upgrade` to changed values (a provided Secret, ServiceMonitors and a
PrometheusRule on stand-in CRDs, Prometheus credentials; then cert-manager,
its objects on stand-in CRDs too) and `helm uninstall`, after which nothing
of the release is left but the CRDs. Each test has its own release and
namespace. There is no kubelet: Pods stay Pending, so objects are checked,
not running Pods; the components' own objects (the webhook's CA Secret, the
controller's Lease and checkpoints) come from the binaries run out of
cluster as their ServiceAccounts with the args the chart gives their Pods,
and must go with the release too (owner references, garbage collector).

helm is scripts/helm.sh's (built once from the Go module proxy, cached).
"""
import base64
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml

import prometheus
import usage_history

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "charts" / "snug"
CI_VALUES = CHART / "ci"
HELM_SH = REPO / "scripts" / "helm.sh"
RENDER = REPO / "scripts" / "render-manifests.sh"
HELM_TIMEOUT = 300


# -- helm --------------------------------------------------------------------


@pytest.fixture(scope="session")
def helm(pytestconfig):
    """The helm binary (scripts/helm.sh build: a cold build takes minutes,
    its progress goes to the terminal)."""
    cached = subprocess.run(["bash", str(HELM_SH), "cached"]).returncode == 0
    if not cached and os.environ.get("SNUG_TEST_OFFLINE"):
        pytest.skip("SNUG_TEST_OFFLINE is set and helm is not built yet "
                    "(scripts/helm.sh build needs the Go module proxy)")
    capman = pytestconfig.pluginmanager.getplugin("capturemanager")
    with capman.global_and_fixture_disabled() if capman else contextlib.nullcontext():
        sys.stderr.write("\n")
        proc = subprocess.run(["bash", str(HELM_SH), "build"], stdout=subprocess.PIPE,
                              text=True, timeout=3600)
    assert proc.returncode == 0, "scripts/helm.sh build failed (output above)"
    return proc.stdout.strip().splitlines()[-1]


def run_helm(helm, *args, check=True, kubeconfig=None):
    env = dict(os.environ)
    # helm keeps its own state (repositories, cache) out of $HOME
    for var, sub in (("HELM_CACHE_HOME", "cache"), ("HELM_CONFIG_HOME", "config"),
                     ("HELM_DATA_HOME", "data")):
        env[var] = str(Path(helm).parent.parent / "home" / sub)
    if kubeconfig:
        env["KUBECONFIG"] = str(kubeconfig)
    proc = subprocess.run([helm, *map(str, args)], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env=env, timeout=HELM_TIMEOUT)
    if check and proc.returncode != 0:
        raise AssertionError("helm %s failed (%d):\n%s\n%s" % (
            " ".join(map(str, args)), proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:]))
    return proc


def values_args(files=(), sets=()):
    args = []
    for f in files:
        args += ["-f", str(CI_VALUES / f) if "/" not in str(f) else str(f)]
    for s in sets:
        args += ["--set", s]
    return args


def template(helm, files=(), sets=(), release="snug", namespace="snug-system"):
    """helm template: {(kind, name): object}."""
    out = run_helm(helm, "template", release, CHART, "--namespace", namespace,
                   *values_args(files, sets)).stdout
    objs = {}
    for doc in yaml.safe_load_all(out):
        if not doc:
            continue
        key = (doc["kind"], doc["metadata"]["name"])
        assert key not in objs, "rendered twice: %s" % (key,)
        objs[key] = doc
    return objs


def container(objs, deploy):
    (c,) = objs[("Deployment", deploy)]["spec"]["template"]["spec"]["containers"]
    return c


def rules_of(obj):
    """RBAC rules as a set of (group, resource, names, verb) rows."""
    rows = set()
    for r in obj["rules"]:
        for g in r.get("apiGroups", [""]):
            for res in r["resources"]:
                for v in r["verbs"]:
                    rows.add((g, res, tuple(r.get("resourceNames", [])), v))
    return rows


def load_manifest_rules(name):
    """The RBAC rows of manifests/NAME by kind."""
    out = {}
    for d in yaml.safe_load_all((REPO / "manifests" / name).read_text()):
        if d and "rules" in d:
            out[d["kind"]] = rules_of(d)
    return out


# What each ServiceAccount may do, (group, resource, names, verb): the
# contract docs/controller-rbac.md and docs/webhook.md describe.
def read(group, *resources):
    return {(group, r, (), v) for r in resources for v in ("get", "list", "watch")}


CONTROLLER_CLUSTER = (
    read("snug.dev", "sizingpolicies")
    | {("snug.dev", "recommendations", (), v)
       for v in ("get", "list", "watch", "create", "update", "patch", "delete")}
    | {("snug.dev", "recommendations/status", (), v) for v in ("update", "patch")}
    | read("", "namespaces", "pods")
    | read("apps", "deployments", "statefulsets", "daemonsets")
    | read("batch", "cronjobs", "jobs")
    | read("autoscaling", "horizontalpodautoscalers")
    | read("autoscaling.k8s.io", "verticalpodautoscalers")
    | {("events.k8s.io", "events", (), v) for v in ("create", "patch")}
)
CONTROLLER_NS = (
    {("coordination.k8s.io", "leases", (), v) for v in ("get", "create", "update")}
    | {("", "configmaps", (), v) for v in ("get", "list", "create", "update", "patch", "delete")}
)


def webhook_cluster(mwc="snug", jobs=True, self_managed=True):
    rows = read("snug.dev", "sizingpolicies", "recommendations") | read("", "namespaces",
                                                                       "limitranges")
    if jobs:
        rows |= read("batch", "jobs")
    if self_managed:
        rows |= {("admissionregistration.k8s.io", "mutatingwebhookconfigurations", (mwc,), v)
                 for v in ("get", "update")}
    return rows


def webhook_ns(secret="snug-webhook-ca"):
    return {("", "secrets", (), "create")} | {("", "secrets", (secret,), v)
                                              for v in ("get", "update")}


# -- lint and template ---------------------------------------------------------

VARIANTS = [
    [],
    ["cert-manager-values.yaml"],
    ["cert-manager-issuer-values.yaml"],
    ["secret-values.yaml"],
    ["monitoring-values.yaml"],
    ["custom-values.yaml"],
    ["custom-values.yaml", "monitoring-values.yaml", "cert-manager-values.yaml"],
]


@pytest.mark.parametrize("files", VARIANTS, ids=lambda f: "+".join(f) or "defaults")
def test_lint(helm, files):
    out = run_helm(helm, "lint", "--strict", CHART, *values_args(files)).stdout
    assert "1 chart(s) linted, 0 chart(s) failed" in out, out


def test_app_version_is_what_the_programs_print(snug_build):
    """One version: CMakeLists.txt's project(VERSION) is what both programs
    print and the chart's appVersion (the image tag its values name)."""
    m = re.search(r"^project\(snug VERSION (\S+) LANGUAGES C\)$",
                  (REPO / "CMakeLists.txt").read_text(), re.M)
    assert m, "no project(snug VERSION ...) in CMakeLists.txt"
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert str(chart["appVersion"]) == m.group(1), chart["appVersion"]
    for prog in ("snug-webhook", "snug-controller"):
        out = subprocess.run([str(snug_build / prog), "--version"], capture_output=True,
                             text=True, timeout=10, check=True).stdout
        assert out == "%s %s\n" % (prog, m.group(1)), out


def test_every_value_is_documented_and_in_the_schema():
    """values.yaml's keys and the schema's properties are the same tree, and
    every key of values.yaml has a comment above it or is a leaf of a
    commented parent (values.yaml documents every key)."""
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    schema = json.loads((CHART / "values.schema.json").read_text())

    def walk(v, s, path):
        if not isinstance(v, dict) or s.get("type") != "object" or "properties" not in s:
            return
        props = s["properties"]
        assert s.get("additionalProperties") is False, path
        for k in v:
            assert k in props, "%s.%s is not in values.schema.json" % (path, k)
            walk(v[k], props[k], path + "." + k)
        for k in props:
            assert k in v or k == "global" or path.endswith("issuerRef"), \
                "%s.%s is in the schema but not in values.yaml" % (path, k)

    walk(values, schema, "")
    # every top-level key has a comment right above it
    lines = (CHART / "values.yaml").read_text().splitlines()
    for i, line in enumerate(lines):
        if line and not line.startswith((" ", "#")) and ":" in line:
            assert lines[i - 1].startswith("#"), "values.yaml: no comment above %r" % line


def test_template_defaults(helm):
    objs = template(helm)
    want = {
        ("ServiceAccount", "snug-webhook"), ("ClusterRole", "snug-webhook"),
        ("ClusterRoleBinding", "snug-webhook"), ("Role", "snug-webhook"),
        ("RoleBinding", "snug-webhook"), ("Deployment", "snug-webhook"),
        ("Service", "snug-webhook"), ("Service", "snug-webhook-metrics"),
        ("PodDisruptionBudget", "snug-webhook"),
        ("MutatingWebhookConfiguration", "snug"),
        ("ServiceAccount", "snug-controller"), ("ClusterRole", "snug-controller"),
        ("ClusterRoleBinding", "snug-controller"), ("Role", "snug-controller"),
        ("RoleBinding", "snug-controller"), ("Deployment", "snug-controller"),
        ("Service", "snug-controller-metrics"), ("PodDisruptionBudget", "snug-controller"),
        ("SizingPolicy", "snug-default"),
    }
    assert set(objs) == want
    for (kind, name), o in objs.items():
        if kind not in ("ClusterRole", "ClusterRoleBinding", "MutatingWebhookConfiguration",
                        "SizingPolicy"):
            assert o["metadata"]["namespace"] == "snug-system", (kind, name)
        assert o["metadata"]["labels"]["app.kubernetes.io/instance"] == "snug", (kind, name)

    # the webhook configuration: fail open, short, no side effects, its
    # Service, system namespaces and its own excluded, the opt-out label
    (wh,) = objs[("MutatingWebhookConfiguration", "snug")]["webhooks"]
    assert wh["failurePolicy"] == "Ignore"
    assert wh["timeoutSeconds"] == 2
    assert wh["sideEffects"] == "None"
    assert wh["reinvocationPolicy"] == "Never"
    assert wh["admissionReviewVersions"] == ["v1"]
    assert wh["rules"] == [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"],
                            "resources": ["pods"], "scope": "Namespaced"}]
    assert wh["clientConfig"]["service"] == {"name": "snug-webhook", "namespace": "snug-system",
                                             "path": "/mutate", "port": 443}
    assert "caBundle" not in wh["clientConfig"]  # the webhook writes it
    (expr,) = wh["namespaceSelector"]["matchExpressions"]
    assert expr["key"] == "kubernetes.io/metadata.name" and expr["operator"] == "NotIn"
    assert {"kube-system", "kube-node-lease", "snug-system"} <= set(expr["values"])
    assert wh["objectSelector"]["matchExpressions"] == [
        {"key": "snug.dev/mode", "operator": "NotIn", "values": ["off", "Off", "OFF"]}]
    svc = objs[("Service", "snug-webhook")]
    assert svc["spec"]["ports"] == [{"name": "https", "port": 443, "targetPort": "https"}]

    for name, port in (("snug-webhook", "https"), ("snug-controller", "metrics")):
        d = objs[("Deployment", name)]
        pod = d["spec"]["template"]
        assert d["spec"]["replicas"] == 2
        sel = d["spec"]["selector"]["matchLabels"]
        assert sel.items() <= pod["metadata"]["labels"].items()
        # snug never sizes itself
        assert pod["metadata"]["labels"]["snug.dev/mode"] == "off"
        assert pod["metadata"]["annotations"]["snug.dev/mode"] == "off"
        spec = pod["spec"]
        assert spec["serviceAccountName"] == name
        assert spec["securityContext"] == {"runAsNonRoot": True, "runAsUser": 65532,
                                           "seccompProfile": {"type": "RuntimeDefault"}}
        (tsc,) = spec["topologySpreadConstraints"]
        assert tsc["topologyKey"] == "kubernetes.io/hostname"
        assert tsc["labelSelector"]["matchLabels"] == sel
        c = container(objs, name)
        assert c["image"] == "ghcr.io/snug-dev/snug:0.1.0"
        assert c["securityContext"] == {"allowPrivilegeEscalation": False,
                                        "readOnlyRootFilesystem": True,
                                        "capabilities": {"drop": ["ALL"]}}
        assert c["readinessProbe"]["httpGet"]["port"] == port
        assert c["livenessProbe"]["httpGet"]["port"] == port
        pdb = objs[("PodDisruptionBudget", name)]
        assert pdb["spec"]["minAvailable"] == 1
        assert pdb["spec"]["selector"]["matchLabels"] == sel
    wargs = container(objs, "snug-webhook")["args"]
    assert wargs == ["--in-cluster", "--self-managed-certs", "--service-name=snug-webhook",
                     "--service-namespace=$(POD_NAMESPACE)", "--ca-secret=snug-webhook-ca",
                     "--webhook-config=snug", "--listen=0.0.0.0:8443",
                     "--metrics-listen=0.0.0.0:9090"]
    cargs = container(objs, "snug-controller")["args"]
    assert cargs == ["--prometheus=$(PROMETHEUS_URL)", "--lease-namespace=$(POD_NAMESPACE)",
                     "--owner-deployment=snug-controller", "--metrics-listen=:8080"]

    assert rules_of(objs[("ClusterRole", "snug-webhook")]) == webhook_cluster()
    assert rules_of(objs[("Role", "snug-webhook")]) == webhook_ns()
    assert rules_of(objs[("ClusterRole", "snug-controller")]) == CONTROLLER_CLUSTER
    assert rules_of(objs[("Role", "snug-controller")]) == CONTROLLER_NS

    pol = objs[("SizingPolicy", "snug-default")]
    assert pol["spec"]["mode"] == "Audit"  # installing changes no Pod


def test_template_rbac_equals_the_manifests(helm):
    """The chart's RBAC is the plain manifests' (which test_controller_rbac.py
    checks against the API server)."""
    objs = template(helm)
    for comp in ("webhook", "controller"):
        m = load_manifest_rules("%s-rbac.yaml" % comp)
        assert rules_of(objs[("ClusterRole", "snug-" + comp)]) == m["ClusterRole"]
        assert rules_of(objs[("Role", "snug-" + comp)]) == m["Role"]


def test_template_other_release_names(helm):
    """Cluster-scoped names follow the release, so two releases never clash."""
    objs = template(helm, release="edge", namespace="infra")
    assert ("MutatingWebhookConfiguration", "edge-snug") in objs
    assert ("ClusterRole", "edge-snug-webhook") in objs
    cr = objs[("ClusterRole", "edge-snug-webhook")]
    assert ("admissionregistration.k8s.io", "mutatingwebhookconfigurations", ("edge-snug",),
            "update") in rules_of(cr)
    assert rules_of(objs[("Role", "edge-snug-webhook")]) == webhook_ns("edge-snug-webhook-ca")
    (wh,) = objs[("MutatingWebhookConfiguration", "edge-snug")]["webhooks"]
    assert wh["clientConfig"]["service"]["name"] == "edge-snug-webhook"
    assert wh["clientConfig"]["service"]["namespace"] == "infra"
    assert "infra" in wh["namespaceSelector"]["matchExpressions"][0]["values"]


def test_template_cert_manager(helm):
    objs = template(helm, ["cert-manager-values.yaml"])
    cert = objs[("Certificate", "snug-webhook")]
    assert set(cert["spec"]["dnsNames"]) == {
        "snug-webhook", "snug-webhook.snug-system", "snug-webhook.snug-system.svc",
        "snug-webhook.snug-system.svc.cluster.local"}
    assert cert["spec"]["issuerRef"] == {"name": "snug-webhook-ca", "kind": "Issuer",
                                         "group": "cert-manager.io"}
    assert objs[("Issuer", "snug-selfsigned")]["spec"] == {"selfSigned": {}}
    ca = objs[("Certificate", "snug-webhook-ca")]
    assert ca["spec"]["isCA"] is True
    assert ca["spec"]["issuerRef"]["name"] == "snug-selfsigned"
    assert objs[("Issuer", "snug-webhook-ca")]["spec"]["ca"]["secretName"] == \
        ca["spec"]["secretName"]
    mwc = objs[("MutatingWebhookConfiguration", "snug")]
    assert mwc["metadata"]["annotations"]["cert-manager.io/inject-ca-from"] == \
        "snug-system/snug-webhook"
    assert "caBundle" not in mwc["webhooks"][0]["clientConfig"]
    check_files_mode(objs, cert["spec"]["secretName"])

    objs = template(helm, ["cert-manager-issuer-values.yaml"])
    assert not [k for k in objs if k[0] == "Issuer"]
    cert = objs[("Certificate", "snug-webhook")]
    assert cert["spec"]["issuerRef"] == {"name": "corp-ca", "kind": "ClusterIssuer",
                                         "group": "cert-manager.io"}
    assert cert["spec"]["duration"] == "720h"


def check_files_mode(objs, secret):
    """The webhook serves the mounted Secret and has no rights on Secrets or
    on the webhook configuration."""
    c = container(objs, "snug-webhook")
    assert "--tls-cert-file=/var/run/snug/tls/tls.crt" in c["args"]
    assert "--tls-key-file=/var/run/snug/tls/tls.key" in c["args"]
    assert not [a for a in c["args"] if a.startswith(("--self-managed", "--ca-secret",
                                                      "--webhook-config"))]
    assert c["volumeMounts"] == [{"name": "tls", "mountPath": "/var/run/snug/tls",
                                  "readOnly": True}]
    pod = objs[("Deployment", "snug-webhook")]["spec"]["template"]["spec"]
    assert pod["volumes"] == [{"name": "tls", "secret": {"secretName": secret}}]
    assert ("Role", "snug-webhook") not in objs
    assert ("RoleBinding", "snug-webhook") not in objs
    assert rules_of(objs[("ClusterRole", "snug-webhook")]) == webhook_cluster(self_managed=False)


def test_template_provided_secret(helm):
    objs = template(helm, ["secret-values.yaml"])
    mwc = objs[("MutatingWebhookConfiguration", "snug")]
    assert mwc["webhooks"][0]["clientConfig"]["caBundle"] == \
        "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="
    assert "annotations" not in mwc["metadata"]
    assert not [k for k in objs if k[0] in ("Certificate", "Issuer")]
    check_files_mode(objs, "my-webhook-tls")


def test_template_monitoring(helm, tmp_path):
    objs = template(helm, ["monitoring-values.yaml"])
    for comp in ("webhook", "controller"):
        sm = objs[("ServiceMonitor", "snug-" + comp)]
        assert sm["metadata"]["labels"]["release"] == "kube-prometheus-stack"
        assert sm["spec"]["namespaceSelector"] == {"matchNames": ["snug-system"]}
        (ep,) = sm["spec"]["endpoints"]
        assert ep["port"] == "metrics" and ep["interval"] == "15s"
        # it selects exactly the component's metrics Service, which has that port
        sel = sm["spec"]["selector"]["matchLabels"]
        matched = [o for k, o in objs.items() if k[0] == "Service"
                   and sel.items() <= o["metadata"]["labels"].items()]
        assert [o["metadata"]["name"] for o in matched] == ["snug-%s-metrics" % comp]
        assert [p["name"] for p in matched[0]["spec"]["ports"]] == ["metrics"]
    rule = objs[("PrometheusRule", "snug")]
    alerts = {r["alert"] for g in rule["spec"]["groups"] for r in g["rules"]}
    assert {"SnugWebhookErrors", "SnugWebhookNotReady", "SnugControllerNotWriting",
            "SnugControllerPrometheusUnavailable", "SnugControllerPolicyRefused"} <= alerts
    # the expressions parse (promtool is Debian's prometheus package)
    promtool = shutil.which("promtool")
    if promtool:
        path = tmp_path / "rules.yaml"
        path.write_text(yaml.safe_dump({"groups": rule["spec"]["groups"]}))
        proc = subprocess.run([promtool, "check", "rules", str(path)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        assert proc.returncode == 0, proc.stdout
    # Prometheus credentials reach the controller as files and flags
    c = container(objs, "snug-controller")
    assert c["args"] == [
        "--prometheus=$(PROMETHEUS_URL)", "--lease-namespace=$(POD_NAMESPACE)",
        "--owner-deployment=snug-controller", "--metrics-listen=:8080",
        "--prometheus-token-file=/var/run/snug/prometheus-token/token",
        "--prometheus-ca-file=/var/run/snug/prometheus-ca/ca.crt",
        "--prometheus-header=X-Scope-OrgID: team-a", "--prometheus-header=X-Extra: 1",
        '--prometheus-selector=cluster="prod"', "--prometheus-timeout=45s"]
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert env["PROMETHEUS_URL"] == "https://mimir-gateway.mimir.svc/prometheus"
    pod = objs[("Deployment", "snug-controller")]["spec"]["template"]["spec"]
    assert pod["volumes"] == [
        {"name": "prometheus-token", "secret": {"secretName": "prometheus-token"}},
        {"name": "prometheus-ca", "configMap": {"name": "prometheus-ca"}}]
    # the controller still reads no Secret through the API
    assert rules_of(objs[("ClusterRole", "snug-controller")]) == CONTROLLER_CLUSTER


def test_template_custom_values(helm):
    objs = template(helm, ["custom-values.yaml"])
    w, c = container(objs, "snug-webhook"), container(objs, "snug-controller")
    digest = "sha256:" + "0123456789abcdef" * 4
    assert w["image"] == c["image"] == "registry.example.com/platform/snug@" + digest
    assert w["imagePullPolicy"] == "Always"
    assert w["args"][-6:] == ["--listen=0.0.0.0:10443", "--metrics-listen=0.0.0.0:10090",
                              "--log-level=debug", "--no-watch-jobs", "--threads=2",
                              "--shutdown-timeout=10s"]
    assert c["args"] == ["--prometheus=$(PROMETHEUS_URL)", "--no-leader-elect",
                         "--owner-deployment=snug-controller", "--metrics-listen=:18080",
                         "--log-level=warn", "--interval=5m"]
    wd = objs[("Deployment", "snug-webhook")]
    pod = wd["spec"]["template"]["spec"]
    assert wd["spec"]["replicas"] == 3
    assert pod["priorityClassName"] == "system-cluster-critical"
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert pod["tolerations"][0]["key"] == "dedicated"
    assert "nodeAffinity" in pod["affinity"]
    assert pod["imagePullSecrets"] == [{"name": "regcred"}]
    assert "topologySpreadConstraints" not in pod
    meta = wd["spec"]["template"]["metadata"]
    assert meta["labels"]["team"] == "platform" and meta["labels"]["snug.dev/mode"] == "off"
    assert meta["annotations"] == {"example.com/owner": "platform", "snug.dev/mode": "off"}
    assert ("PodDisruptionBudget", "snug-webhook") not in objs
    assert objs[("Deployment", "snug-controller")]["spec"]["replicas"] == 1
    (wh,) = objs[("MutatingWebhookConfiguration", "snug")]["webhooks"]
    assert wh["timeoutSeconds"] == 5 and wh["reinvocationPolicy"] == "IfNeeded"
    assert wh["namespaceSelector"]["matchExpressions"][0]["values"] == [
        "kube-system", "kube-node-lease", "ingress", "snug-system"]
    # no Jobs watched, no Jobs granted; no leader election, no Leases
    assert not [r for r in rules_of(objs[("ClusterRole", "snug-webhook")]) if r[1] == "jobs"]
    assert not [r for r in rules_of(objs[("Role", "snug-controller")]) if r[1] == "leases"]
    pol = objs[("SizingPolicy", "audit-everything")]["spec"]
    assert pol == {"mode": "Off", "priority": 5,
                   "namespaceSelector": {"matchLabels": {"snug.dev/enabled": "true"}},
                   "selector": {}, "resources": {"apply": "IfMissing"}}


def test_template_no_default_policy(helm):
    objs = template(helm, sets=["defaultPolicy.enabled=false"])
    assert not [k for k in objs if k[0] == "SizingPolicy"]


@pytest.mark.parametrize("sets,message", [
    (["bogus=1"], "additional properties 'bogus' not allowed"),
    (["webhook.replica=3"], "additional properties 'replica' not allowed"),
    (["certificates.mode=vault"], "certificates"),
    (["webhook.logLevel=trace"], "logLevel"),
    (["webhook.timeoutSeconds=60"], "timeoutSeconds"),
    (["webhook.reinvocationPolicy=Always"], "reinvocationPolicy"),
    (["controller.replicas=-1"], "replicas"),
    (["prometheus.url=prometheus:9090"], "url"),
    (["prometheus.headers[0]=no-colon"], "headers"),
    (["defaultPolicy.mode=Enforce"], "mode"),
    (["image.digest=latest"], "digest"),
    (["webhook.resources.requests.cpu=lots"], "cpu"),
    (["certificates.mode=secret"], "secret"),
    (["certificates.mode=secret", "certificates.secret.name=x"], "caBundle"),
    (["controller.leaderElection=false"], "leaderElection"),
    (["prometheus.ca.configMapName=a", "prometheus.ca.secretName=b"], "not both"),
])
def test_bad_values_are_refused(helm, sets, message):
    proc = run_helm(helm, "template", "snug", CHART, *values_args(sets=sets), check=False)
    assert proc.returncode != 0, "accepted: %s" % sets
    assert message in proc.stderr, proc.stderr


def test_manifests_are_current(helm):
    """manifests/ is what scripts/render-manifests.sh makes of the chart."""
    proc = subprocess.run(["bash", str(RENDER), "--check"], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=300,
                          env=dict(os.environ, SNUG_HELM=helm))
    assert proc.returncode == 0, proc.stdout[-6000:]


def test_manifests_use_the_dev_image():
    for name in ("webhook-deployment.yaml", "controller-deployment.yaml"):
        docs = [d for d in yaml.safe_load_all((REPO / "manifests" / name).read_text()) if d]
        (dep,) = [d for d in docs if d["kind"] == "Deployment"]
        (c,) = dep["spec"]["template"]["spec"]["containers"]
        assert c["image"] == "snug:dev"
        assert "app.kubernetes.io/managed-by" not in dep["metadata"]["labels"]


# -- against the real control plane ----------------------------------------------

STUB_CRDS = [("servicemonitors", "ServiceMonitor", "monitoring.coreos.com"),
             ("prometheusrules", "PrometheusRule", "monitoring.coreos.com"),
             ("certificates", "Certificate", "cert-manager.io"),
             ("issuers", "Issuer", "cert-manager.io")]


def stub_crd(plural, kind, group):
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "%s.%s" % (plural, group), "labels": {"snug.dev/e2e-stub": "true"}},
        "spec": {
            "group": group, "scope": "Namespaced",
            "names": {"kind": kind, "listKind": kind + "List", "plural": plural,
                      "singular": kind.lower()},
            "versions": [{"name": "v1", "served": True, "storage": True, "schema": {
                "openAPIV3Schema": {"type": "object",
                                    "x-kubernetes-preserve-unknown-fields": True}}}],
        },
    }


@pytest.fixture(scope="module")
def chart_cluster(cluster):
    """The cluster with the prometheus-operator CRDs stood in for (schemaless)
    while the module runs, unless it had them."""
    added = []
    for plural, kind, group in STUB_CRDS:
        name = "%s.%s" % (plural, group)
        if cluster.kubectl("get", "crd", name, check=False).returncode != 0:
            cluster.apply(json.dumps(stub_crd(plural, kind, group)))
            added.append(name)
    for name in added:
        cluster.wait_established(name)
    yield cluster
    for name in added:
        cluster.kubectl("delete", "crd", name, "--timeout=60s", check=False)


class Release:
    def __init__(self, cluster, helm, name, namespace):
        self.cluster, self.helm, self.name, self.ns = cluster, helm, name, namespace

    def helm_run(self, *args, check=True):
        return run_helm(self.helm, *args, "--namespace", self.ns, check=check,
                        kubeconfig=self.cluster.kubeconfig)

    def install(self, files=(), sets=()):
        return self.helm_run("install", self.name, CHART, *values_args(files, sets))

    def upgrade(self, files=(), sets=()):
        return self.helm_run("upgrade", self.name, CHART, *values_args(files, sets))

    def manifest_objects(self):
        out = self.helm_run("get", "manifest", self.name).stdout
        return [d for d in yaml.safe_load_all(out) if d]

    def sa(self, comp):
        return "system:serviceaccount:%s:%s-%s" % (self.ns, self.name, comp)


@pytest.fixture
def release(chart_cluster, helm, request):
    """A release name and its own namespace (made by helm
    --create-namespace); uninstalled and deleted afterwards."""
    suffix = uuid.uuid4().hex[:5]
    rel = Release(chart_cluster, helm, "snug-%s" % suffix, "e2e-chart-%s" % suffix)
    yield rel
    rel.helm_run("uninstall", rel.name, "--wait", "--timeout", "60s", check=False)
    chart_cluster.kubectl("delete", "namespace", rel.ns, "--wait=false", check=False)


def can_i(cluster, sa, verb, resource, ns):
    args = ["auth", "can-i", verb, resource, "--as", sa]
    args += ["--all-namespaces"] if ns is None else ["-n", ns]
    proc = cluster.kubectl(*args, check=False)
    answer = proc.stdout.strip()
    assert answer in ("yes", "no"), (args, answer, proc.stderr)
    assert "doesn't have a resource type" not in proc.stderr, proc.stderr
    return answer == "yes"


def listed_rules(cluster, sa, ns):
    """`can-i --list` as resource[names] -> verbs (resource rows only)."""
    row = re.compile(r"^(\S+)\s+\[\]\s+\[(.*?)\]\s+\[(.*)\]$")
    out = cluster.kubectl("auth", "can-i", "--list", "--as", sa, "-n", ns).stdout
    rules = {}
    for line in out.splitlines()[1:]:
        m = row.match(line.strip())
        if m:
            resource, names, verbs = m.groups()
            key = resource + ("[%s]" % names if names else "")
            rules.setdefault(key, set()).update(verbs.split())
    return rules


SELF_REVIEWS = {
    "selfsubjectreviews.authentication.k8s.io": {"create"},
    "selfsubjectaccessreviews.authorization.k8s.io": {"create"},
    "selfsubjectrulesreviews.authorization.k8s.io": {"create"},
}


def as_listing(rows):
    """(group, resource, names, verb) rows as can-i --list shows them."""
    out = {}
    for g, res, names, verb in rows:
        base, _, sub = res.partition("/")
        key = base + ("." + g if g else "") + ("/" + sub if sub else "")
        key += "[%s]" % " ".join(names) if names else ""
        out.setdefault(key, set()).add(verb)
    return out


def snapshot(cluster, ns):
    """Every object in namespace ns and every cluster-scoped object but
    namespaces, as kind/name strings (Events left out: they come and go)."""
    types = {}
    for scoped in ("true", "false"):
        out = cluster.kubectl("api-resources", "--verbs=list", "--namespaced=" + scoped,
                              "-o", "name").stdout.split()
        types[scoped] = [t for t in out if t not in ("events", "events.events.k8s.io",
                                                     "namespaces")]
    names = set(cluster.kubectl("get", ",".join(types["true"]), "-n", ns, "-o", "name",
                                "--ignore-not-found").stdout.split())
    names |= set(cluster.kubectl("get", ",".join(types["false"]), "-o", "name",
                                 "--ignore-not-found").stdout.split())
    return names


def wait_nothing_left(cluster, ns, before, timeout, what):
    """Wait until the cluster holds nothing that snapshot() did not show in
    `before`, but the CRDs (Helm installs them when missing, never deletes
    them) and the APIService the API server registers for their group;
    fails naming what is left."""
    def allowed(name):
        return name.startswith(("customresourcedefinition.apiextensions.k8s.io/",
                                "apiservice.apiregistration.k8s.io/"))

    left = []

    def only_what_was_there():
        left[:] = sorted(n for n in snapshot(cluster, ns) - before if not allowed(n))
        return not left

    try:
        cluster.wait_for(only_what_was_there, timeout=timeout, what=what)
    except TimeoutError as e:
        raise AssertionError("left behind: %s" % left) from e


def test_install(release):
    """Every object accepted, the webhook configuration leads to the
    webhook, each ServiceAccount may do what its component does and no more."""
    cluster = release.cluster
    cluster.kubectl("create", "namespace", release.ns)
    notes = release.install().stdout
    assert "rollout status deployment/%s-webhook" % release.name in notes, notes
    # every object of the release is there
    objs = release.manifest_objects()
    assert len(objs) == 19, [(o["kind"], o["metadata"]["name"]) for o in objs]
    for o in objs:
        args = ["get", o["kind"], o["metadata"]["name"], "-o", "name"]
        if o["kind"] not in ("ClusterRole", "ClusterRoleBinding",
                             "MutatingWebhookConfiguration", "SizingPolicy"):
            args += ["-n", release.ns]
        cluster.kubectl(*args)
    for crd in ("sizingpolicies.snug.dev", "recommendations.snug.dev"):
        cluster.wait_established(crd)

    # the webhook configuration calls the webhook's Service, whose port 443
    # leads to the webhook container's https port
    mwc = cluster.get_json("mutatingwebhookconfiguration", release.name)
    (wh,) = mwc["webhooks"]
    svc_ref = wh["clientConfig"]["service"]
    assert svc_ref["namespace"] == release.ns
    svc = cluster.get_json("service", svc_ref["name"], "-n", release.ns)
    (port,) = [p for p in svc["spec"]["ports"] if p["port"] == svc_ref["port"]]
    dep = cluster.get_json("deployment", release.name + "-webhook", "-n", release.ns)
    assert svc["spec"]["selector"].items() <= dep["spec"]["template"]["metadata"]["labels"].items()
    (c,) = dep["spec"]["template"]["spec"]["containers"]
    assert port["targetPort"] in [p["name"] for p in c["ports"]]
    assert wh["failurePolicy"] == "Ignore" and wh["sideEffects"] == "None"
    assert release.ns in wh["namespaceSelector"]["matchExpressions"][0]["values"]
    pol = cluster.get_json("sizingpolicy", release.name + "-default")
    assert pol["spec"]["mode"] == "Audit"
    # no kubelet: the Pods are made but stay Pending
    cluster.wait_for(lambda: cluster.get_json("deployment", release.name + "-controller", "-n",
                                              release.ns)["status"].get("replicas") == 2,
                     timeout=60, what="the controller's ReplicaSet to make 2 Pods")

    # each ServiceAccount: what it does, and nothing more
    wsa, csa = release.sa("webhook"), release.sa("controller")
    mwc_name, ca = release.name, release.name + "-webhook-ca"
    assert listed_rules(cluster, wsa, release.ns) == {
        **as_listing(webhook_cluster(mwc_name) | webhook_ns(ca)), **SELF_REVIEWS}
    assert listed_rules(cluster, wsa, "default") == {
        **as_listing(webhook_cluster(mwc_name)), **SELF_REVIEWS}
    assert listed_rules(cluster, csa, release.ns) == {
        **as_listing(CONTROLLER_CLUSTER | CONTROLLER_NS), **SELF_REVIEWS}
    assert listed_rules(cluster, csa, "default") == {
        **as_listing(CONTROLLER_CLUSTER), **SELF_REVIEWS}
    ns = release.ns
    yes = [
        (wsa, "watch", "sizingpolicies.snug.dev", None),
        (wsa, "list", "recommendations.snug.dev", None),
        (wsa, "watch", "limitranges", None),
        (wsa, "list", "jobs.batch", None),
        (wsa, "update", "mutatingwebhookconfigurations/" + mwc_name, None),
        (wsa, "create", "secrets", ns),
        (wsa, "update", "secrets/" + ca, ns),
        (csa, "patch", "recommendations.snug.dev", "shop"),
        (csa, "create", "events.events.k8s.io", "shop"),
        (csa, "update", "leases.coordination.k8s.io", ns),
        (csa, "delete", "configmaps", ns),
    ]
    no = [
        (wsa, "update", "mutatingwebhookconfigurations/other", None),
        (wsa, "update", "mutatingwebhookconfigurations", None),
        (wsa, "get", "secrets/other", ns),
        (wsa, "list", "secrets", ns),
        (wsa, "create", "secrets", "default"),
        (wsa, "get", "secrets/" + ca, "default"),
        (wsa, "create", "pods", "shop"),
        (wsa, "update", "sizingpolicies.snug.dev", None),
        (wsa, "create", "recommendations.snug.dev", "shop"),
        (csa, "get", "secrets", ns),
        (csa, "list", "secrets", None),
        (csa, "update", "leases.coordination.k8s.io", "default"),
        (csa, "create", "configmaps", "default"),
        (csa, "update", "deployments.apps", "shop"),
        (csa, "create", "sizingpolicies.snug.dev", None),
        (csa, "update", "mutatingwebhookconfigurations/" + mwc_name, None),
    ]
    for sa, verb, res, where in yes:
        assert can_i(cluster, sa, verb, res, where), (sa, verb, res, where)
    for sa, verb, res, where in no:
        assert not can_i(cluster, sa, verb, res, where), (sa, verb, res, where)


def test_upgrade_and_uninstall(release):
    """helm upgrade to changed values takes effect (and keeps what the webhook
    wrote); helm uninstall leaves nothing of the release but the CRDs."""
    cluster, ns = release.cluster, release.ns
    cluster.kubectl("create", "namespace", ns)
    before = snapshot(cluster, ns)
    crds_before = set(cluster.kubectl("get", "crd", "-o", "name").stdout.split())
    release.install()
    wsa, mwc_name = release.sa("webhook"), release.name

    key = cluster.state_dir / ("chart-%s.key" % release.name)
    crt = cluster.state_dir / ("chart-%s.crt" % release.name)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key), "-out", str(crt),
                    "-days", "2", "-subj", "/CN=%s-webhook.%s.svc" % (release.name, ns),
                    "-addext", "subjectAltName=DNS:%s-webhook.%s.svc" % (release.name, ns)],
                   check=True, capture_output=True)
    bundle = base64.b64encode(crt.read_bytes()).decode()

    # upgrade in self-managed mode keeps the caBundle the webhook wrote
    # (written here as the webhook would: no webhook Pod runs without a kubelet)
    cluster.kubectl("patch", "mutatingwebhookconfiguration", release.name, "--type=json",
                    "-p", json.dumps([{"op": "add", "path": "/webhooks/0/clientConfig/caBundle",
                                       "value": bundle}]))
    release.upgrade(sets=["webhook.timeoutSeconds=3"])
    (wh,) = cluster.get_json("mutatingwebhookconfiguration", release.name)["webhooks"]
    assert wh["timeoutSeconds"] == 3
    assert wh["clientConfig"].get("caBundle") == bundle, "helm upgrade dropped the caBundle"

    # upgrade: a Secret of the user's, prometheus-operator objects, Prometheus
    # credentials, more values changed
    cluster.kubectl("create", "secret", "tls", "user-tls", "-n", ns, "--cert", str(crt),
                    "--key", str(key))
    release.upgrade(["monitoring-values.yaml"], [
        "certificates.mode=secret", "certificates.secret.name=user-tls",
        "certificates.secret.caBundle=" + bundle, "webhook.logLevel=debug",
        "webhook.timeoutSeconds=5", "controller.replicas=3"])
    (wh,) = cluster.get_json("mutatingwebhookconfiguration", release.name)["webhooks"]
    assert wh["clientConfig"]["caBundle"] == bundle and wh["timeoutSeconds"] == 5
    dep = cluster.get_json("deployment", release.name + "-webhook", "-n", ns)
    pod = dep["spec"]["template"]["spec"]
    assert pod["volumes"][0]["secret"]["secretName"] == "user-tls"
    assert "--log-level=debug" in pod["containers"][0]["args"]
    assert cluster.get_json("deployment", release.name + "-controller", "-n",
                            ns)["spec"]["replicas"] == 3
    for kind, name in (("servicemonitor", release.name + "-webhook"),
                       ("servicemonitor", release.name + "-controller"),
                       ("prometheusrule", release.name)):
        cluster.kubectl("get", kind, name, "-n", ns)
    # files mode: the webhook's Secret rights and its configuration rule are gone
    assert cluster.kubectl("get", "role", release.name + "-webhook", "-n", ns,
                           check=False).returncode != 0
    assert listed_rules(cluster, wsa, ns) == {
        **as_listing(webhook_cluster(self_managed=False)), **SELF_REVIEWS}
    assert not can_i(cluster, wsa, "create", "secrets", ns)
    assert not can_i(cluster, wsa, "update", "mutatingwebhookconfigurations/" + mwc_name, None)

    # upgrade to cert-manager (on stand-in CRDs: no cert-manager runs here):
    # its objects appear, the monitoring objects of the last values go
    release.upgrade(["cert-manager-values.yaml"])
    mwc = cluster.get_json("mutatingwebhookconfiguration", release.name)
    assert mwc["metadata"]["annotations"]["cert-manager.io/inject-ca-from"] == \
        "%s/%s-webhook" % (ns, release.name)
    cert = cluster.get_json("certificate", release.name + "-webhook", "-n", ns)
    assert "%s-webhook.%s.svc" % (release.name, ns) in cert["spec"]["dnsNames"]
    for name in ("-selfsigned", "-webhook-ca"):
        cluster.kubectl("get", "issuer", release.name + name, "-n", ns)
    assert cluster.kubectl("get", "servicemonitor", release.name + "-webhook", "-n", ns,
                           check=False).returncode != 0
    dep = cluster.get_json("deployment", release.name + "-webhook", "-n", ns)
    assert dep["spec"]["template"]["spec"]["volumes"][0]["secret"]["secretName"] == \
        cert["spec"]["secretName"]

    # uninstall: nothing of the release is left (the CRDs stay)
    release.helm_run("uninstall", release.name, "--wait", "--timeout", "120s")
    cluster.kubectl("delete", "secret", "user-tls", "-n", ns)

    wait_nothing_left(cluster, ns, before, 90, "the release's objects to go")
    assert crds_before <= set(cluster.kubectl("get", "crd", "-o", "name").stdout.split())
    for crd in ("sizingpolicies.snug.dev", "recommendations.snug.dev"):
        cluster.kubectl("get", "crd", crd)


# -- the running components' own objects go with the release -------------------

HISTORY_S = 3 * 3600  # Prometheus history for the workloads: enough for state


def sa_kubeconfig(cluster, ns, sa, path):
    """A kubeconfig with a token of ServiceAccount ns/sa (the component's
    identity, as in its Pod)."""
    token = cluster.kubectl("create", "token", sa, "-n", ns, "--duration", "1h").stdout.strip()
    ca = base64.b64encode(Path(cluster.ca_file).read_bytes()).decode()
    path.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "e2e", "cluster": {"server": cluster.url,
                                                "certificate-authority-data": ca}}],
        "users": [{"name": sa, "user": {"token": token}}],
        "contexts": [{"name": "e2e", "context": {"cluster": "e2e", "user": sa}}],
        "current-context": "e2e"}))
    return path


def pod_args(cluster, ns, deploy, subst):
    """The container args of Deployment ns/deploy as installed, with
    $(VAR)s and flags replaced: subst maps a flag ("--listen") to its new
    value (None drops it) and "$(VAR)" to text."""
    (c,) = cluster.get_json("deployment", deploy, "-n", ns)["spec"]["template"]["spec"][
        "containers"]
    out = []
    for a in c["args"]:
        flag = a.split("=", 1)[0]
        if flag in subst:
            if subst[flag] is not None:
                out += subst[flag]
            continue
        for var, text in subst.items():
            if var.startswith("$("):
                a = a.replace(var, text)
        out.append(a)
    return out


class Proc:
    """A snug binary running out of cluster, its output in a log file."""

    def __init__(self, cmd, log_path, env=None):
        self.log_path = log_path
        with open(log_path, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, env=env)

    def log(self):
        return self.log_path.read_text(errors="replace")

    def alive(self):
        assert self.proc.poll() is None, "exited %s:\n%s" % (self.proc.returncode,
                                                              self.log()[-4000:])
        return True

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def owners(obj):
    return {(r["kind"], r["name"], r["uid"]) for r in obj["metadata"].get("ownerReferences", [])}


@pytest.fixture
def workloads(chart_cluster, tmp_path):
    """A namespace of workloads (usage_history's: their Pods stay Pending)
    and a Prometheus with a few hours of their usage, for the controller to
    have state to checkpoint. Deleted afterwards."""
    missing_reason = prometheus.missing()
    if missing_reason:
        pytest.skip(missing_reason)
    cluster = chart_cluster
    ns = "e2e-chart-wl-%s" % uuid.uuid4().hex[:5]
    cluster.kubectl("create", "namespace", ns)
    cluster.wait_for(lambda: cluster.kubectl("get", "serviceaccount", "default", "-n", ns),
                     timeout=180, what="the default ServiceAccount of " + ns)
    cluster.apply(usage_history.WORKLOADS, namespace=ns)

    def pods_created():
        items = cluster.get_json("pods", "-n", ns)["items"]
        return items if len(items) == 4 else None

    pods = cluster.wait_for(pods_created, timeout=120, what="4 Pods created by the controllers")
    end = int(time.time()) // usage_history.STEP * usage_history.STEP
    prom = prometheus.Prometheus.backfilled(
        tmp_path / "prom", usage_history.history_for(ns, pods, end - HISTORY_S, end))
    yield ns, prom
    prom.stop()
    cluster.kubectl("delete", "namespace", ns, "--wait=false", check=False)


def test_uninstall_deletes_what_the_components_made(release, workloads, snug_build, tmp_path):
    """Both components run (out of cluster, as their ServiceAccounts, with
    the args the chart gives their Pods) and make their own objects: the
    webhook its CA Secret, the controller its Lease and checkpoint
    ConfigMaps. Each names an owner Helm deletes (the webhook configuration,
    the controller's Deployment), also when it was made by a run without
    owners first (an upgrade from an older snug); helm upgrade to other
    values keeps the owners; after helm uninstall the garbage collector
    deletes them, and nothing is left of the release but the CRDs."""
    cluster, ns, rel = release.cluster, release.ns, release.name
    wl_ns, prom = workloads
    cluster.kubectl("create", "namespace", ns)
    before = snapshot(cluster, ns)
    release.install()
    wsa = sa_kubeconfig(cluster, ns, rel + "-webhook", tmp_path / "webhook.kubeconfig")
    csa = sa_kubeconfig(cluster, ns, rel + "-controller", tmp_path / "controller.kubeconfig")
    mwc_uid = cluster.get_json("mutatingwebhookconfiguration", rel)["metadata"]["uid"]
    dep_uid = cluster.get_json("deployment", rel + "-controller", "-n", ns)["metadata"]["uid"]
    secret, lease = rel + "-webhook-ca", "snug-controller"
    env = dict(os.environ, POD_NAMESPACE=ns, POD_NAME="ctl-0")

    def webhook(owned, run):
        cmd = [str(snug_build / "snug-webhook"), "serve"] + pod_args(
            cluster, ns, rel + "-webhook", {
                "--in-cluster": ["--kubeconfig", str(wsa)], "$(POD_NAMESPACE)": ns,
                "--listen": ["--listen", "127.0.0.1:%d" % prometheus.free_port()],
                "--metrics-listen": ["--metrics-listen", "off"],
                # an older snug: the configuration is neither written nor an owner
                "--webhook-config": None if not owned else ["--webhook-config=" + rel]})
        return Proc(cmd, tmp_path / ("webhook-%s.log" % run), env)

    def controller(owned, run, owner=None):
        cmd = [str(snug_build / "snug-controller"), "run"] + pod_args(
            cluster, ns, rel + "-controller", {
                "$(PROMETHEUS_URL)": prom.url, "$(POD_NAMESPACE)": ns,
                "--metrics-listen": ["--metrics-listen", "127.0.0.1:%d" % prometheus.free_port()],
                "--owner-deployment": None if not owned else [
                    "--owner-deployment=" + (owner or rel + "-controller")]}) + [
            "--kubeconfig", str(csa), "--namespace", wl_ns, "--interval", "2s",
            "--checkpoint-interval", "10s", "--identity", "ctl-0"]
        return Proc(cmd, tmp_path / ("controller-%s.log" % run), env)

    def checkpoints():
        return cluster.get_json("configmaps", "-n", ns, "-l",
                                "snug.dev/checkpoint-namespace=" + wl_ns)["items"]

    def lease_remade(old_uid):
        got = cluster.kubectl("get", "lease", lease, "-n", ns, "-o", "json", check=False)
        obj = json.loads(got.stdout) if got.returncode == 0 else None
        return (obj is not None and obj["metadata"]["uid"] != old_uid and
                owners(obj) == dep_owner and obj["spec"].get("holderIdentity") == "ctl-0")

    # an older snug: the objects are made without owners
    w, c = webhook(False, "older"), controller(False, "older")
    try:
        cluster.wait_for(lambda: w.alive() and cluster.get_json("secret", secret, "-n", ns),
                         timeout=60, what="the CA Secret")
        cluster.wait_for(lambda: c.alive() and checkpoints(), timeout=120,
                         what="the controller's checkpoint ConfigMap")
    finally:
        assert w.stop() == 0, w.log()[-3000:]
        assert c.stop() == 0, c.log()[-3000:]
    assert not owners(cluster.get_json("secret", secret, "-n", ns))
    assert not owners(cluster.get_json("lease", lease, "-n", ns))
    assert checkpoints() and not [cm for cm in checkpoints() if owners(cm)]

    # this snug, with the chart's args: the objects the older one made get
    # their owners (the upgrade path); then, made anew, they have them at once
    mwc_owner = {("MutatingWebhookConfiguration", rel, mwc_uid)}
    dep_owner = {("Deployment", rel + "-controller", dep_uid)}
    for phase in ("adopted", "created"):
        if phase == "created":
            cluster.kubectl("delete", "secret", secret, "-n", ns)
            cluster.kubectl("delete", "lease", lease, "-n", ns)
            cluster.kubectl("delete", "configmap", "-n", ns, "-l",
                            "snug.dev/checkpoint-namespace=" + wl_ns)
        w, c = webhook(True, phase), controller(True, phase)
        try:
            cluster.wait_for(lambda: w.alive() and owners(cluster.get_json(
                "secret", secret, "-n", ns)) == mwc_owner, timeout=60,
                what="the CA Secret's owner (%s)" % phase)
            cluster.wait_for(lambda: c.alive() and owners(cluster.get_json(
                "lease", lease, "-n", ns)) == dep_owner, timeout=60,
                what="the Lease's owner (%s)" % phase)
            cluster.wait_for(lambda: c.alive() and checkpoints() and all(
                owners(cm) == dep_owner for cm in checkpoints()), timeout=90,
                what="the checkpoints' owner (%s)" % phase)
            (wh,) = cluster.get_json("mutatingwebhookconfiguration", rel)["webhooks"]
            assert wh["clientConfig"].get("caBundle"), "the webhook wrote no caBundle"
            if phase == "created":
                # deleted while the controller leads: the elector makes it
                # again at its next renewal, owned as well
                uid = cluster.get_json("lease", lease, "-n", ns)["metadata"]["uid"]
                cluster.kubectl("delete", "lease", lease, "-n", ns)
                cluster.wait_for(lambda: c.alive() and lease_remade(uid), timeout=60,
                                 what="the Lease made again, with its owner")
        finally:
            assert w.stop() == 0, w.log()[-3000:]
            assert c.stop() == 0, c.log()[-3000:]
        # the components were refused nothing
        for p in (w, c):
            assert '"403' not in p.log() and "forbidden" not in p.log().lower(), p.log()[-3000:]
        # made anew: the Secret was created with its owner, not given it after
        adopted = "the CA Secret is owned by the webhook configuration" in w.log()
        assert adopted == (phase == "adopted"), w.log()[-3000:]
    # an owner that is not there: the controller says so and does not start
    bad = controller(True, "no-owner", owner="nope")
    assert bad.proc.wait(timeout=60) == 1, bad.log()[-3000:]
    assert "--owner-deployment nope: Deployment %s/nope: " % ns in bad.log(), bad.log()[-3000:]
    # the references carry what the collector needs, and nothing that would
    # need more rights (blockOwnerDeletion: update on the owner's finalizers)
    (ref,) = cluster.get_json("lease", lease, "-n", ns)["metadata"]["ownerReferences"]
    assert ref == {"apiVersion": "apps/v1", "kind": "Deployment", "name": rel + "-controller",
                   "uid": dep_uid}
    (ref,) = cluster.get_json("secret", secret, "-n", ns)["metadata"]["ownerReferences"]
    assert ref == {"apiVersion": "admissionregistration.k8s.io/v1",
                   "kind": "MutatingWebhookConfiguration", "name": rel, "uid": mwc_uid}

    # helm upgrade to other values patches the owners in place (same uids):
    # the programs' objects stay owned, also those the new values no longer use
    release.upgrade(sets=["controller.leaderElection=false", "controller.replicas=1",
                          "webhook.timeoutSeconds=5"])
    assert cluster.get_json("deployment", rel + "-controller", "-n",
                            ns)["metadata"]["uid"] == dep_uid
    assert cluster.get_json("mutatingwebhookconfiguration", rel)["metadata"]["uid"] == mwc_uid
    assert owners(cluster.get_json("lease", lease, "-n", ns)) == dep_owner

    release.helm_run("uninstall", rel, "--wait", "--timeout", "120s")

    wait_nothing_left(cluster, ns, before, 120,
                      "the garbage collector to delete the components' objects")


def test_template_grafana_dashboard(helm):
    assert not any(k[0] == "ConfigMap" for k in template(helm))  # off by default
    objs = template(helm, sets=["grafanaDashboard.enabled=true",
                                "grafanaDashboard.annotations.grafana_folder=snug",
                                "grafanaDashboard.namespace=monitoring"])
    cm = objs[("ConfigMap", "snug-dashboard")]
    assert cm["metadata"]["namespace"] == "monitoring"
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert cm["metadata"]["annotations"] == {"grafana_folder": "snug"}
    shipped = json.loads(cm["data"]["snug.json"])
    assert shipped == json.loads((CHART / "dashboards" / "snug.json").read_text())

"""Smoke tests: the e2e control plane is a real one.

Each test shows one property the snug e2e tests rely on: the API server is
up, both kinds of credentials work, kube-controller-manager runs its
controllers, admission plugins run, CRDs get established, and the API server
can be killed and brought back on the same port without losing data.
"""

import json
import socket
import textwrap
import uuid

import pytest


def test_readyz(cluster):
    status, body = cluster.http_get("/readyz?verbose")
    assert status == 200, body
    assert "readyz check passed" in body
    assert "[+]etcd ok" in body
    # the RBAC bootstrap policy is in place (Node,RBAC authorization)
    assert "[+]poststarthook/rbac/bootstrap-roles ok" in body
    assert cluster.url == "https://127.0.0.1:%d" % cluster.port


def test_bad_token_is_rejected(cluster):
    status, _ = cluster.http_get("/api/v1/namespaces", token="not-a-token")
    assert status == 401


@pytest.mark.parametrize(
    "which,user",
    [("kubeconfig", "snug-e2e-admin"), ("token_kubeconfig", "snug-e2e-token-admin")],
)
def test_kubeconfigs_work(cluster, which, user):
    kc = getattr(cluster, which)
    who = json.loads(cluster.kubectl("auth", "whoami", "-o", "json", kubeconfig=kc).stdout)
    assert who["status"]["userInfo"]["username"] == user
    assert "system:masters" in who["status"]["userInfo"]["groups"]
    ns = json.loads(cluster.kubectl("get", "namespace", "default", "-o", "json", kubeconfig=kc).stdout)
    assert ns["status"]["phase"] == "Active"
    can = cluster.kubectl("auth", "can-i", "create", "deployments", "-A", kubeconfig=kc)
    assert can.stdout.strip() == "yes"


def test_rbac_denies_unprivileged_user(cluster):
    # the second static token belongs to a user with no RBAC bindings
    can = cluster.kubectl(
        "auth", "can-i", "list", "secrets", "-A", "--token", cluster.user_token,
        kubeconfig=cluster.token_kubeconfig, check=False,
    )
    assert can.stdout.strip() == "no", can.stderr
    status, body = cluster.http_get("/api/v1/secrets", token=cluster.user_token)
    assert status == 403, body


def deployment(name, replicas):
    return textwrap.dedent(
        """\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: %s
        spec:
          replicas: %d
          selector:
            matchLabels: {app: %s}
          template:
            metadata:
              labels: {app: %s}
            spec:
              containers:
              - name: main
                image: registry.invalid/snug-e2e:1
        """
        % (name, replicas, name, name)
    )


def wait_for_pods(cluster, namespace, app, count):
    def pods():
        items = cluster.get_json("pods", "-n", namespace, "-l", "app=" + app)["items"]
        return items if len(items) == count else None

    return cluster.wait_for(pods, timeout=60, what="%d pods of %s" % (count, app))


def test_deployment_makes_replicaset_and_pending_pods(cluster, namespace):
    cluster.apply(deployment("web", 2), namespace=namespace)

    def replicaset():
        items = cluster.get_json("replicasets", "-n", namespace, "-l", "app=web")["items"]
        return items[0] if items else None

    rs = cluster.wait_for(replicaset, timeout=60, what="the Deployment's ReplicaSet")
    owner = rs["metadata"]["ownerReferences"][0]
    assert (owner["kind"], owner["name"]) == ("Deployment", "web")
    assert rs["spec"]["replicas"] == 2

    pods = wait_for_pods(cluster, namespace, "web", 2)
    for pod in pods:
        assert pod["metadata"]["ownerReferences"][0]["name"] == rs["metadata"]["name"]
        # no scheduler and no kubelet: the Pods stay Pending, unbound
        assert pod["status"]["phase"] == "Pending"
        assert not pod["spec"].get("nodeName")
        # ServiceAccount admission ran: default SA and its token volume
        assert pod["spec"]["serviceAccountName"] == "default"
        vols = [v["name"] for v in pod["spec"]["volumes"]]
        assert any(v.startswith("kube-api-access-") for v in vols), vols


def test_limitrange_defaults_pod_requests(cluster, namespace):
    cluster.apply(
        textwrap.dedent(
            """\
            apiVersion: v1
            kind: LimitRange
            metadata:
              name: defaults
            spec:
              limits:
              - type: Container
                defaultRequest: {cpu: 123m, memory: 77Mi}
                default: {cpu: 500m, memory: 200Mi}
            """
        ),
        namespace=namespace,
    )
    cluster.apply(
        textwrap.dedent(
            """\
            apiVersion: v1
            kind: Pod
            metadata:
              name: bare
            spec:
              containers:
              - name: main
                image: registry.invalid/snug-e2e:1
            """
        ),
        namespace=namespace,
    )
    pod = cluster.get_json("pod", "bare", "-n", namespace)
    res = pod["spec"]["containers"][0]["resources"]
    assert res["requests"] == {"cpu": "123m", "memory": "77Mi"}
    assert res["limits"] == {"cpu": "500m", "memory": "200Mi"}
    assert "kubernetes.io/limit-ranger" in pod["metadata"]["annotations"]


def crd(group, plural, kind):
    return textwrap.dedent(
        """\
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: {plural}.{group}
        spec:
          group: {group}
          scope: Namespaced
          names: {{plural: {plural}, singular: {singular}, kind: {kind}}}
          versions:
          - name: v1
            served: true
            storage: true
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    required: [size]
                    properties:
                      size: {{type: integer, minimum: 1}}
        """
    ).format(group=group, plural=plural, singular=plural[:-1], kind=kind)


def test_crd_becomes_established_and_validates(cluster, namespace):
    group = "e2e-%s.snug.dev" % uuid.uuid4().hex[:6]
    name = "widgets." + group
    cluster.apply(crd(group, "widgets", "Widget"))
    try:
        def established():
            obj = cluster.get_json("crd", name)
            conds = {c["type"]: c["status"] for c in obj["status"]["conditions"]}
            return conds.get("Established") == "True"

        cluster.wait_for(established, timeout=60, what="CRD %s Established" % name)

        def widget(size):
            return textwrap.dedent(
                """\
                apiVersion: %s/v1
                kind: Widget
                metadata:
                  name: w%d
                spec:
                  size: %d
                """
            ) % (group, abs(size), size)

        # discovery may lag Established by a moment
        cluster.wait_for(
            lambda: cluster.apply(widget(3), namespace=namespace),
            timeout=30, what="a Widget to be accepted",
        )
        got = cluster.get_json("widgets." + group, "w3", "-n", namespace)
        assert got["spec"]["size"] == 3
        bad = cluster.apply(widget(-1), namespace=namespace, check=False)
        assert bad.returncode != 0
        assert "spec.size" in bad.stderr, bad.stderr
    finally:
        cluster.kubectl("delete", "crd", name, "--wait=false", check=False)


def port_open(port):
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("kill", [False, True], ids=["sigterm", "sigkill"])
def test_apiserver_restart_same_port_keeps_data(cluster, namespace, kill):
    cluster.kubectl("create", "configmap", "keep", "-n", namespace, "--from-literal=k=v1")
    port, url = cluster.port, cluster.url
    old_pid = cluster.env["APISERVER_PID"]

    cluster.stop_apiserver(kill=kill)
    try:
        assert not cluster.apiserver_running()
        assert not port_open(port)
        down = cluster.kubectl("get", "ns", "--request-timeout=3s", check=False)
        assert down.returncode != 0
    finally:
        cluster.start_apiserver()

    assert (cluster.port, cluster.url) == (port, url)
    assert cluster.env["APISERVER_PID"] not in ("", old_pid)
    status, _ = cluster.http_get("/readyz")
    assert status == 200
    cm = cluster.get_json("configmap", "keep", "-n", namespace)
    assert cm["data"] == {"k": "v1"}

    # kube-controller-manager reconnects by itself and keeps reconciling
    cluster.apply(deployment("after-restart", 1), namespace=namespace)
    wait_for_pods(cluster, namespace, "after-restart", 1)

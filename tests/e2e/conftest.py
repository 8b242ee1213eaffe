"""Fixtures for snug's end-to-end tests.

The tests run against a real etcd + kube-apiserver + kube-controller-manager
started on 127.0.0.1 by tests/e2e/controlplane.sh (see docs/testing.md):

    cluster     session: a running control plane (Cluster below)
    snug_build  session: the CMake build dir with snug's binaries
    namespace   function: a fresh namespace, deleted afterwards

Environment:
    SNUG_BUILD_DIR         use this build dir instead of building build-e2e/
    SNUG_E2E_STATE_DIR     use the control plane already running there
                           (started by hand with controlplane.sh start); the
                           tests then neither start nor stop it
    SNUG_CACHE_DIR         where controlplane.sh caches the binaries
"""

import contextlib
import json
import os
import re
import shlex
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

E2E_DIR = Path(__file__).resolve().parent
REPO_ROOT = E2E_DIR.parent.parent
CONTROLPLANE = E2E_DIR / "controlplane.sh"

# kubectl calls that hang longer than this are a bug, not a slow machine
KUBECTL_TIMEOUT = 120


class KubectlError(subprocess.CalledProcessError):
    """A kubectl call failed; str() carries its stderr, so asserts are readable."""

    def __str__(self):
        return "%s\nstdout: %s\nstderr: %s" % (
            super().__str__(),
            (self.stdout or "").strip()[-2000:],
            (self.stderr or "").strip()[-2000:],
        )


# Errors a wait_for predicate may raise while the thing it waits for is not
# there yet (kubectl "not found", a missing key in a half-filled status...).
RETRYABLE = (KubectlError, OSError, KeyError, IndexError, ValueError, TypeError)


def read_env_file(path):
    """Parse the `export NAME=value` lines of a controlplane.sh env file."""
    out = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line.startswith("export "):
            continue
        name, _, value = line[len("export "):].partition("=")
        parts = shlex.split(value)
        out[name] = parts[0] if parts else ""
    return out


def run_controlplane(*args, env=None, timeout=None, config=None):
    """Run controlplane.sh; raise with its stderr when it fails. With a
    pytest config, its progress goes straight to the terminal (a cold build
    takes minutes; say why)."""
    capman = config.pluginmanager.getplugin("capturemanager") if config else None
    show = capman.global_and_fixture_disabled() if capman else contextlib.nullcontext()
    with show:
        if capman:
            sys.stderr.write("\n")
        proc = subprocess.run(
            [str(CONTROLPLANE), *map(str, args)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=None if capman else subprocess.PIPE,
            text=True,
            timeout=timeout,
        )
    if proc.returncode != 0:
        raise RuntimeError(
            "controlplane.sh %s failed (exit %d)%s"
            % (
                " ".join(map(str, args)),
                proc.returncode,
                ":\n" + proc.stderr[-6000:] if proc.stderr else " (its output is above)",
            )
        )
    return proc


class Cluster:
    """A running control plane.

    Attributes: state_dir, bin_dir, kubeconfig (admin client certificate),
    token_kubeconfig (admin bearer token), url, port, token (admin bearer
    token), user_token (bearer token of the unprivileged user
    snug-e2e-user), ca_file, etcd_url, env (the STATE_DIR/env variables).
    """

    def __init__(self, state_dir):
        self.state_dir = Path(state_dir)
        self._load()

    def _load(self):
        self.env = read_env_file(self.state_dir / "env")
        e = self.env
        self.bin_dir = Path(e["BIN_DIR"])
        self.kubeconfig = Path(e["KUBECONFIG"])
        self.token_kubeconfig = Path(e["TOKEN_KUBECONFIG"])
        self.url = e["APISERVER_URL"]
        self.port = int(e["APISERVER_PORT"])
        self.token = e["ADMIN_TOKEN"]
        self.user_token = e["USER_TOKEN"]
        self.ca_file = Path(e["CA_FILE"])
        self.etcd_url = e["ETCD_URL"]

    # -- kubectl ---------------------------------------------------------
    def kubectl(self, *args, input=None, check=True, kubeconfig=None, timeout=KUBECTL_TIMEOUT):
        """Run kubectl against this cluster (admin cert kubeconfig unless
        kubeconfig= is given). Returns a text CompletedProcess; with check,
        a non-zero exit raises KubectlError."""
        cmd = [
            str(self.bin_dir / "kubectl"),
            "--kubeconfig",
            str(kubeconfig or self.kubeconfig),
            *map(str, args),
        ]
        proc = subprocess.run(
            cmd,
            input=input,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise KubectlError(proc.returncode, cmd, proc.stdout, proc.stderr)
        return proc

    def apply(self, yaml_text, namespace=None, check=True):
        """kubectl apply -f - (server-side validation as usual)."""
        args = ["apply", "-f", "-"]
        if namespace:
            args += ["-n", namespace]
        return self.kubectl(*args, input=yaml_text, check=check)

    def get_json(self, *args):
        """kubectl get ARGS -o json, parsed."""
        return json.loads(self.kubectl("get", *args, "-o", "json").stdout)

    def wait_established(self, crd, timeout=60.0):
        """Wait until CRD `crd` (e.g. "widgets.e2e.snug.dev") is Established.
        (`kubectl wait` fails outright with an "accessor error" when asked
        the moment a CRD is created, before it has status conditions.)"""

        def established():
            obj = self.get_json("crd", crd)
            conds = {c["type"]: c["status"] for c in obj.get("status", {}).get("conditions", [])}
            return conds.get("Established") == "True"

        self.wait_for(established, timeout=timeout, what="CRD %s Established" % crd)

    # -- raw HTTPS ---------------------------------------------------------
    def ssl_context(self):
        return ssl.create_default_context(cafile=str(self.ca_file))

    def http_get(self, path, token=None, timeout=10):
        """GET path on the API server with a bearer token (admin by default).
        Returns (status, body text); HTTP errors are returned, not raised."""
        req = urllib.request.Request(
            self.url + path, headers={"Authorization": "Bearer " + (token or self.token)}
        )
        try:
            with urllib.request.urlopen(req, context=self.ssl_context(), timeout=timeout) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    # -- API server lifecycle ------------------------------------------------
    def stop_apiserver(self, kill=False):
        """Stop the API server (SIGTERM, graceful; kill=True: SIGKILL, a
        crash). etcd and kube-controller-manager keep running."""
        args = ["stop-apiserver", self.state_dir] + (["--kill"] if kill else [])
        run_controlplane(*args, timeout=60)
        self._load()

    def start_apiserver(self):
        """Start it again on the same port with the same flags; returns once
        /readyz is ok."""
        run_controlplane("start-apiserver", self.state_dir, timeout=180)
        self._load()

    def restart_apiserver(self):
        self.stop_apiserver()
        self.start_apiserver()

    def apiserver_running(self):
        self._load()
        return bool(self.env.get("APISERVER_PID"))

    # -- waiting ---------------------------------------------------------------
    @staticmethod
    def wait_for(predicate, timeout=60.0, interval=0.25, what=None, retry_on=RETRYABLE):
        """Call predicate() until it returns something truthy and return that.
        Exceptions in retry_on count as "not yet". Raises TimeoutError after
        timeout seconds, naming `what` and the last error."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            try:
                value = predicate()
                if value:
                    return value
                last = None
            except retry_on as e:  # not there yet
                last = e
            if time.monotonic() >= deadline:
                msg = "timed out after %gs waiting for %s" % (
                    timeout,
                    what or getattr(predicate, "__name__", "condition"),
                )
                if last is not None:
                    msg += "; last error: %s" % last
                raise TimeoutError(msg) from last
            time.sleep(interval)

    def __repr__(self):
        return "Cluster(%s, %s)" % (self.url, self.state_dir)


@pytest.fixture(scope="session")
def cluster(tmp_path_factory, pytestconfig):
    """A real control plane for the whole session, stopped at the end (also
    when tests fail; a watchdog stops it if pytest itself is killed)."""
    attach = os.environ.get("SNUG_E2E_STATE_DIR")
    if attach:
        yield Cluster(attach)
        return
    run_controlplane("build", config=pytestconfig)
    state = tmp_path_factory.mktemp("controlplane")
    env = dict(os.environ, SNUG_CP_WATCH_PID=str(os.getpid()))
    try:
        run_controlplane("start", state, env=env, timeout=600, config=pytestconfig)
        yield Cluster(state)
    finally:
        run_controlplane("stop", state, timeout=120)


@pytest.fixture(scope="session")
def snug_build():
    """The CMake build dir holding snug's binaries: $SNUG_BUILD_DIR if set,
    else <repo>/build-e2e, configured and built with Ninja on first use."""
    given = os.environ.get("SNUG_BUILD_DIR")
    if given:
        path = Path(given).resolve()
        if not path.is_dir():
            pytest.fail("SNUG_BUILD_DIR=%s is not a directory" % given)
        return path
    build = REPO_ROOT / "build-e2e"
    if not (build / "build.ninja").exists():
        subprocess.run(
            ["cmake", "-S", str(REPO_ROOT), "-B", str(build), "-G", "Ninja"],
            check=True,
        )
    subprocess.run(["ninja", "-C", str(build)], check=True)
    return build


def _namespace_name(test_name):
    base = re.sub(r"[^a-z0-9-]+", "-", test_name.lower()).strip("-")
    base = re.sub(r"^test-?", "", base)[:40].strip("-") or "ns"
    return "e2e-%s-%s" % (base, uuid.uuid4().hex[:6])


@pytest.fixture
def namespace(cluster, request):
    """A new, uniquely named namespace, ready for Pods (kube-controller-manager
    has made its `default` ServiceAccount, without which ServiceAccount
    admission rejects Pods); deleted (without waiting) afterwards."""
    name = _namespace_name(request.node.name)
    cluster.kubectl("create", "namespace", name)
    cluster.wait_for(
        lambda: cluster.kubectl("get", "serviceaccount", "default", "-n", name),
        timeout=180,  # kube-controller-manager backs off after an API server restart
        what="the default ServiceAccount in namespace " + name,
    )
    yield name
    if not cluster.apiserver_running():  # a test stopped it and failed
        cluster.start_apiserver()
    cluster.kubectl("delete", "namespace", name, "--wait=false", check=False)

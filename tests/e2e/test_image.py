"""The container image without a Docker engine (docs/image.md).

scripts/image-rootfs.sh assembles the runtime stage's file system from the
built binaries, exactly as the Dockerfile's build stage does; these tests run
both binaries inside it with chroot as the image's user 65532:65532, so a
library, loader or file the image lacks fails here:

    --version of both; `snug-webhook mutate` of a golden case; `snug-webhook
    serve` (self-managed certificates: /healthz, /readyz and an admission
    over TLS, /metrics); `snug-controller recommend` against a fake Prometheus
    over TLS (libcurl, OpenSSL); `snug-controller run` up to its /healthz and
    /metrics with an API server that is not there.

Each program runs in a mount namespace of its own with /proc mounted, as a
container runtime gives it (nothing else is added). The Grafana dashboard is
checked against the /metrics the two running binaries serve. With buildah
installed, the Dockerfile's runtime stage is built from the same directory
(`buildah bud --isolation chroot`, the build stage replaced by
--build-context, no network) and run.

Needs root (chroot, mount); skipped otherwise. Needs no control plane.
"""

import http.client
import importlib.util
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ROOTFS_SH = REPO / "scripts" / "image-rootfs.sh"
GOLDEN = REPO / "tests" / "data" / "golden" / "engine-always"
ADMISSION = REPO / "tests" / "data" / "admission" / "pod-create-mutated" / "request.json"
USER = "65532:65532"
SIZE_BUDGET = 30 * 1000 * 1000  # bytes, the budget docs/image.md states
TOOLS = {t: shutil.which(t) for t in ("unshare", "chroot", "mount", "sh", "openssl")}

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0,
                       reason="chroot and mount need root (uid %d)" % os.geteuid()),
    pytest.mark.skipif(not all(TOOLS[t] for t in ("unshare", "chroot", "mount", "sh")),
                       reason="unshare, chroot, mount or sh missing: %r" % TOOLS),
]

# ------------------------------------------------------------- helpers --


def in_image(rootfs, *argv):
    """The command line that runs argv in rootfs as the image's user: a
    private mount namespace with /proc mounted (gone when it exits), chroot."""
    script = '%s -t proc proc "$0/proc" && exec %s --userspec=%s "$0" "$@"' % (
        TOOLS["mount"], TOOLS["chroot"], USER)
    return [TOOLS["unshare"], "--mount", "--propagation", "private", "--",
            TOOLS["sh"], "-c", script, str(rootfs)] + [str(a) for a in argv]


ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp"}  # what a runtime sets


def run_in_image(rootfs, *argv, timeout=60):
    return subprocess.run(in_image(rootfs, *argv), capture_output=True, text=True,
                          env=ENV, timeout=timeout)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, context=None, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout, context=context) as r:
        return r.status, r.read().decode().strip()  # "ok\n" is "ok"


def metric_families(text):
    """{name: type} from the `# TYPE` lines of a Prometheus exposition."""
    out = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(None, 3)
            out[name] = kind.strip()
    return out


class Running:
    """A program started in the image; stderr collected; stop() ends it."""

    def __init__(self, rootfs, *argv):
        self.proc = subprocess.Popen(in_image(rootfs, *argv), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     env=ENV, start_new_session=True)
        self.lines = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        for raw in self.proc.stderr:
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def log(self):
        return "\n".join(self.lines[-40:])

    def wait_for(self, what, pred, timeout=20):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("exited with %d while waiting for %s:\n%s"
                                     % (self.proc.returncode, what, self.log()))
            try:
                got = pred()
                if got:
                    return got
            except (OSError, ValueError, http.client.HTTPException) as e:
                last = e
            time.sleep(0.05)
        raise AssertionError("no %s in %ds (last: %r):\n%s" % (what, timeout, last, self.log()))

    def stop(self, timeout=20):
        """SIGTERM; the exit status (the program is the process by then:
        unshare, sh and chroot exec it)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("did not exit %ds after SIGTERM:\n%s" % (timeout, self.log()))


# ------------------------------------------------------------ fixtures --


@pytest.fixture(scope="module")
def binaries(snug_build):
    out = [snug_build / "snug-webhook", snug_build / "snug-controller"]
    for b in out:
        if not b.exists():
            pytest.fail("%s is not built" % b)
    return out


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory, binaries):
    """The image's file system, as the Dockerfile assembles it; plus /in
    (test inputs) and the /proc mount point a runtime would make."""
    d = tmp_path_factory.mktemp("image") / "rootfs"
    r = subprocess.run(["bash", str(ROOTFS_SH), str(d)] + [str(b) for b in binaries],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    (d / "proc").mkdir()
    (d / "in").mkdir()
    (d / "in").chmod(0o755)
    return d


def image_files(rootfs):
    """Paths in rootfs (relative) that the image holds: all but /proc, /in."""
    return {str(p.relative_to(rootfs)) for p in rootfs.rglob("*")
            if p.relative_to(rootfs).parts[0] not in ("proc", "in")}


@pytest.fixture(scope="module")
def webhook(rootfs):
    """snug-webhook serve in the image: self-managed certificates for
    127.0.0.1, the CA bundle written to /tmp/ca.pem."""
    port, mport = free_port(), free_port()
    w = Running(rootfs, "/snug-webhook", "serve", "--self-managed-certs", "--ip-san", "127.0.0.1",
                "--ca-bundle-out", "/tmp/ca.pem", "--listen", "127.0.0.1:%d" % port,
                "--metrics-listen", "127.0.0.1:%d" % mport, "--threads", "2")
    w.port, w.metrics = port, "http://127.0.0.1:%d" % mport
    try:
        w.wait_for("/healthz", lambda: http_get(w.metrics + "/healthz") == (200, "ok"))
        yield w
    finally:
        w.stop()


@pytest.fixture(scope="module")
def prom_tls(tmp_path_factory, rootfs):
    """A fake Prometheus over TLS on 127.0.0.1 (openssl-made certificate):
    every query gets an empty result. Its CA is /in/prom-ca.pem in the image."""
    if not TOOLS["openssl"]:
        pytest.skip("openssl CLI missing: no certificate for the fake Prometheus")
    d = tmp_path_factory.mktemp("prom")
    subprocess.run([TOOLS["openssl"], "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=fake-prom",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(d / "key.pem"),
                    "-out", str(d / "cert.pem")], check=True, capture_output=True)
    shutil.copy(d / "cert.pem", rootfs / "in" / "prom-ca.pem")
    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.path)
            body = json.dumps({"status": "success",
                               "data": {"resultType": "matrix", "result": []}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

        def log_message(self, *args):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(d / "cert.pem", d / "key.pem")
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    srv.url = "https://127.0.0.1:%d" % srv.server_address[1]
    srv.seen = seen
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="module")
def controller(rootfs, prom_tls):
    """snug-controller run in the image, its API server a closed port: it
    serves /healthz and /metrics while its informers retry."""
    (rootfs / "in" / "kubeconfig").write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "c",
        "clusters": [{"name": "c", "cluster": {"server": "http://127.0.0.1:%d" % free_port()}}],
        "contexts": [{"name": "c", "context": {"cluster": "c", "user": "u"}}],
        "users": [{"name": "u", "user": {"token": "t"}}]}))
    mport = free_port()
    c = Running(rootfs, "/snug-controller", "run", "--prometheus", prom_tls.url,
                "--prometheus-ca-file", "/in/prom-ca.pem", "--kubeconfig", "/in/kubeconfig",
                "--lease-namespace", "snug", "--identity", "image-test",
                "--metrics-listen", "127.0.0.1:%d" % mport)
    c.metrics = "http://127.0.0.1:%d" % mport
    try:
        c.wait_for("/healthz", lambda: http_get(c.metrics + "/healthz") == (200, "ok"))
        yield c
    finally:
        c.stop()


# --------------------------------------------------------------- tests --


def test_rootfs_holds_the_programs_and_no_shell(rootfs):
    names = image_files(rootfs)
    for want in ("snug-webhook", "snug-controller", "etc/ssl/certs/ca-certificates.crt",
                 "etc/passwd", "etc/group", "tmp"):
        assert want in names, want
    assert not any(n in names for n in ("bin/sh", "usr/bin/sh", "bin/bash", "usr/bin/apt")), names
    assert "nonroot:x:65532:65532:" in (rootfs / "etc" / "passwd").read_text()
    assert (rootfs / "tmp").stat().st_mode & 0o7777 == 0o1777
    ctx = ssl.create_default_context(cafile=str(rootfs / "etc/ssl/certs/ca-certificates.crt"))
    assert len(ctx.get_ca_certs()) > 50  # the bundle parses and is the real one


def test_rootfs_size_within_budget(rootfs):
    size = sum((rootfs / n).lstat().st_size for n in image_files(rootfs)
               if (rootfs / n).is_file() and not (rootfs / n).is_symlink())
    print("image rootfs: %d bytes" % size)
    assert size < SIZE_BUDGET, "image file system is %d bytes, over the %d budget" % (
        size, SIZE_BUDGET)


def test_rootfs_refuses_a_dirty_directory(tmp_path, binaries):
    (tmp_path / "stale").write_text("x")
    r = subprocess.run(["bash", str(ROOTFS_SH), str(tmp_path), str(binaries[0])],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "not empty" in r.stderr, r.stderr


def test_versions(rootfs):
    for prog in ("snug-webhook", "snug-controller"):
        r = run_in_image(rootfs, "/" + prog, "--version")
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith(prog + " "), r.stdout


def test_controller_run_help(rootfs):
    r = run_in_image(rootfs, "/snug-controller", "run", "--help")
    assert r.returncode == 0, r.stderr
    assert "usage: snug-controller run" in r.stdout + r.stderr


def test_mutate_golden_case(rootfs):
    for name in ("input.yaml", "policy.yaml", "recommendations.yaml"):
        shutil.copy(GOLDEN / name, rootfs / "in" / name)
    r = run_in_image(rootfs, "/snug-webhook", "mutate", "-f", "/in/input.yaml",
                     "--policy", "/in/policy.yaml", "--recommendations", "/in/recommendations.yaml")
    assert r.returncode == 0, r.stderr
    assert r.stdout == (GOLDEN / "expected.yaml").read_text()


def test_webhook_serves_tls_and_metrics(rootfs, webhook):
    ca = rootfs / "tmp" / "ca.pem"
    assert ca.stat().st_uid == 65532, "the CA bundle was not written by the image's user"
    ctx = ssl.create_default_context(cafile=str(ca))
    base = "https://127.0.0.1:%d" % webhook.port
    webhook.wait_for("/readyz", lambda: http_get(base + "/readyz", ctx) == (200, "ok"))
    req = urllib.request.Request(base + "/mutate", data=ADMISSION.read_bytes(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5, context=ctx) as r:
        review = json.loads(r.read())
    assert review["response"]["allowed"] is True
    assert review["response"]["patchType"] == "JSONPatch"
    _, text = http_get(webhook.metrics + "/metrics")
    assert 'snug_webhook_requests_total{result="mutated"} 1' in text, text
    start = [ln for ln in text.splitlines() if ln.startswith("process_start_time_seconds ")]
    assert start and float(start[0].split()[1]) > 0, "process metrics need /proc: %r" % start


def test_controller_recommend_over_tls(rootfs, prom_tls):
    before = len(prom_tls.seen)
    r = run_in_image(rootfs, "/snug-controller", "recommend", "--no-kube",
                     "--prometheus", prom_tls.url, "--prometheus-ca-file", "/in/prom-ca.pem",
                     "-o", "json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["kind"] == "List"
    assert len(prom_tls.seen) > before, "no query reached the fake Prometheus"


def test_controller_runs_and_serves_metrics(controller):
    _, text = http_get(controller.metrics + "/metrics")
    fams = metric_families(text)
    assert fams.get("snug_controller_passes_total") == "counter", text[:2000]
    controller.wait_for("an informer retry (libcurl in the image)",
                        lambda: any('"informer list failed"' in ln for ln in controller.lines))


def _dashboard_module():
    path = REPO / "tests" / "scripts" / "test_dashboard.py"
    spec = importlib.util.spec_from_file_location("snug_dashboard_check", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_dashboard_metrics_are_served(webhook, controller):
    """Every metric the dashboard names is in the /metrics of a running
    binary, and the families the sources register are exactly those served."""
    dash = _dashboard_module()
    served = {}
    for url in (webhook.metrics, controller.metrics):
        served.update(metric_families(http_get(url + "/metrics")[1]))
    assert served == dash.exported_families()
    used = dash.dashboard_metric_names(dash.load_dashboard())
    missing = {n: w for n, w in used.items() if n not in dash.series_names(served)}
    assert not missing, "the running binaries do not serve: %s" % json.dumps(missing, indent=1)


# -------------------------------------------------------------- buildah --


def test_buildah_builds_and_runs_the_runtime_stage(tmp_path, binaries):
    """The Dockerfile's runtime stage built by buildah from a rootfs made
    here (--build-context replaces the build stage, so nothing is pulled),
    then run: its config says 65532:65532 and both programs start."""
    buildah = shutil.which("buildah")
    if not buildah:
        pytest.skip("buildah not installed (Debian package buildah)")
    stage = tmp_path / "stage"
    r = subprocess.run(["bash", str(ROOTFS_SH), str(stage / "rootfs")] + [str(b) for b in binaries],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    (tmp_path / "ctx").mkdir()
    store = [buildah, "--root", str(tmp_path / "store"), "--runroot", str(tmp_path / "run"),
             "--storage-driver", "vfs"]

    def b(*args, check=True):
        res = subprocess.run(store + list(args), capture_output=True, text=True, timeout=300)
        assert not check or res.returncode == 0, "buildah %s:\n%s%s" % (
            " ".join(args), res.stdout, res.stderr)
        return res

    try:
        b("bud", "--isolation", "chroot", "--pull=never", "--build-context",
          "build=%s" % stage, "-f", str(REPO / "Dockerfile"), "-t", "localhost/snug:test",
          str(tmp_path / "ctx"))
        info = json.loads(b("inspect", "--type", "image", "localhost/snug:test").stdout)
        config = info["OCIv1"]["config"]
        assert config["User"] == USER
        assert config["Cmd"][0] == "/snug-webhook"
        assert len(info["OCIv1"]["rootfs"]["diff_ids"]) == 1  # one layer: the rootfs
        ctr = b("from", "--pull=never", "localhost/snug:test").stdout.strip()
        for prog in ("snug-webhook", "snug-controller"):
            out = b("run", "--isolation", "chroot", ctr, "--", "/" + prog, "--version").stdout
            assert out.startswith(prog + " "), out
        b("rm", ctr)
    finally:
        b("rm", "--all", check=False)
        b("rmi", "--all", "--force", check=False)

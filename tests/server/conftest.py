"""Fixtures for the TLS admission server tests (tests/server).

Every test talks to a real `snug-webhook serve` started on 127.0.0.1 with
free ports (`--listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0`), over real
TLS, and stops it with SIGTERM (the exit code must be 0 and the exit prompt).

    snug_bin        session: path of the snug-webhook binary
    pki             session: a throwaway CA made with the openssl CLI, able to
                    issue serving certificates for 127.0.0.1 (files mode)
    start_server    function: start_server(*args, mode="self"|"files", ...)
                    returns a running Server; every server a test started is
                    stopped (and its exit checked) when the test ends
    server          module: one self-managed server shared by read-only tests

Environment:
    SNUG_BUILD_DIR  CMake build dir holding snug-webhook (scripts/test.sh sets
                    it); when unset the binary is built into out/build-server/
"""

import base64
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

SERVER_DIR = Path(__file__).resolve().parent
REPO_ROOT = SERVER_DIR.parent.parent
DATA_DIR = REPO_ROOT / "tests" / "data"

# How long a server may take to get ready / to exit after SIGTERM.
START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes more than a few seconds")


# ---- the binary ------------------------------------------------------------


@pytest.fixture(scope="session")
def snug_bin():
    build = os.environ.get("SNUG_BUILD_DIR")
    if build:
        path = Path(build) / "snug-webhook"
        if not path.is_file():
            pytest.fail("SNUG_BUILD_DIR=%s has no snug-webhook" % build)
        return path
    build = REPO_ROOT / "out" / "build-server"
    subprocess.run(
        ["cmake", "-S", str(REPO_ROOT), "-B", str(build), "-G", "Ninja"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    subprocess.run(["ninja", "-C", str(build), "snug-webhook"], check=True)
    return build / "snug-webhook"


# ---- certificates made with the openssl CLI ---------------------------------


def _openssl(*args, cwd=None):
    proc = subprocess.run(
        ["openssl", *map(str, args)], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    if proc.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (" ".join(map(str, args)), proc.stderr))
    return proc.stdout


def pem_fingerprint(pem_path):
    """SHA-256 (hex) of the DER of the first certificate in a PEM file."""
    der = ssl.PEM_cert_to_DER_cert(Path(pem_path).read_text())
    return hashlib.sha256(der).hexdigest()


class Pki:
    """A CA (EC P-256) in `root`, issuing serving certificates for 127.0.0.1."""

    def __init__(self, root):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.ca_key = self.root / "ca.key"
        self.ca_crt = self.root / "ca.crt"
        self._n = 0
        _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", self.ca_key)
        _openssl(
            "req", "-x509", "-new", "-key", self.ca_key, "-sha256", "-days", "2",
            "-subj", "/CN=snug-test-ca", "-out", self.ca_crt,
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        )

    def issue(self, name=None):
        """A new key + certificate (SAN IP:127.0.0.1, DNS:localhost).
        Returns (cert_path, key_path) inside root/<name>/."""
        self._n += 1
        name = name or "leaf%d" % self._n
        d = self.root / name
        d.mkdir(parents=True, exist_ok=True)
        key, csr, crt, ext = d / "tls.key", d / "tls.csr", d / "tls.crt", d / "ext.cnf"
        ext.write_text(
            "basicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature\n"
            "extendedKeyUsage=serverAuth\n"
            "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
        )
        _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", d / "ec.key")
        _openssl("pkcs8", "-topk8", "-nocrypt", "-in", d / "ec.key", "-out", key)
        _openssl("req", "-new", "-key", key, "-subj", "/CN=%s" % name, "-out", csr)
        _openssl(
            "x509", "-req", "-in", csr, "-CA", self.ca_crt, "-CAkey", self.ca_key,
            "-CAcreateserial", "-days", "1", "-sha256", "-extfile", ext, "-out", crt,
        )
        return crt, key


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp("pki"))


def replace_atomically(src, dst):
    """Copy src next to dst, then rename it over dst (what a Secret update does)."""
    dst = Path(dst)
    tmp = dst.with_name("." + dst.name + ".tmp")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


# ---- TLS / HTTP client helpers ----------------------------------------------


class HTTPSConnection(http.client.HTTPSConnection):
    """http.client's connection (HTTP/1.1, kept alive), usable in `with`."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class HTTPConnection(http.client.HTTPConnection):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def tls_context(cafile, minimum=None, maximum=None):
    ctx = ssl.create_default_context(cafile=str(cafile))
    if minimum is not None:
        ctx.minimum_version = minimum
    if maximum is not None:
        ctx.maximum_version = maximum
    return ctx


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "Response(%d, %r)" % (self.status, self.body[:300])


def request(conn, method, path, body=None, headers=None):
    """One request on an http.client connection (kept alive)."""
    hdrs = dict(headers or {})
    conn.request(method, path, body=body, headers=hdrs)
    r = conn.getresponse()
    data = r.read()
    return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data)


def read_http_response(sock, timeout=10):
    """Read one whole HTTP/1.1 response (Content-Length or chunked) from a raw
    (TLS) socket. Returns (status, {lower-case header: value}, body)."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("closed before the response head: %r" % data[:200])
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith("HTTP/1."), lines[0]
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        n = int(headers["content-length"])
        while len(rest) < n:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed in the body")
            rest += chunk
        return status, headers, rest[:n]
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = b""
        while True:
            while b"\r\n" not in rest:
                rest += sock.recv(65536)
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            while len(rest) < size + 2:
                rest += sock.recv(65536)
            body += rest[:size]
            rest = rest[size + 2:]
            if size == 0:
                return status, headers, body
    return status, headers, rest


def post_json(conn, body, path="/mutate", content_type="application/json"):
    if isinstance(body, (dict, list)):
        body = json.dumps(body).encode()
    return request(conn, "POST", path, body=body, headers={"Content-Type": content_type})


# ---- Prometheus text ---------------------------------------------------------

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


class Metrics:
    """Parsed Prometheus text format: samples, TYPE lines."""

    def __init__(self, text):
        self.text = text
        self.samples = []  # (name, {labels}, value)
        self.types = {}
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                _, _, name, typ = line.split(None, 3)
                self.types[name] = typ
                continue
            if not line or line.startswith("#"):
                continue
            m = _SAMPLE.match(line)
            if m is None:
                raise ValueError("bad metrics line: %r" % line)
            labels = dict(_LABEL.findall(m.group(3) or ""))
            self.samples.append((m.group(1), labels, float(m.group(4))))

    def get(self, name, **labels):
        """Sum of the samples of `name` whose labels include `labels` (0 if none)."""
        total = 0.0
        for n, ls, v in self.samples:
            if n == name and all(ls.get(k) == str(val) for k, val in labels.items()):
                total += v
        return total

    def has(self, name, **labels):
        return any(
            n == name and all(ls.get(k) == str(val) for k, val in labels.items())
            for n, ls, _ in self.samples
        )


# ---- AdmissionReviews -------------------------------------------------------


def pod_review(uid=None, namespace="shop", containers=None, annotations=None, dry_run=False,
               operation="CREATE"):
    """An AdmissionReview v1 for a Pod of Deployment `web` (ReplicaSet web-5d8f7c9b6)."""
    uid = uid or str(uuid.uuid4())
    if containers is None:
        containers = [
            {
                "name": "app",
                "image": "registry.example/shop/web:1.4.2",
                "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
            }
        ]
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "generateName": "web-5d8f7c9b6-",
            "namespace": namespace,
            "labels": {"app": "web", "pod-template-hash": "5d8f7c9b6"},
            "annotations": dict(annotations or {}),
            "ownerReferences": [
                {
                    "apiVersion": "apps/v1",
                    "kind": "ReplicaSet",
                    "name": "web-5d8f7c9b6",
                    "uid": "6b1e6d6e-2f7a-4a55-9d7e-1f0a6b5c0d11",
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": {"containers": containers},
    }
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
            "requestResource": {"group": "", "version": "v1", "resource": "pods"},
            "namespace": namespace,
            "operation": operation,
            "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller"},
            "object": pod,
            "oldObject": None,
            "dryRun": dry_run,
            "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"},
        },
    }


def decode_patch(review_response):
    """The JSONPatch of an AdmissionReview response (list), [] when none."""
    resp = review_response["response"]
    if "patch" not in resp:
        return []
    assert resp.get("patchType") == "JSONPatch", resp
    patch = json.loads(base64.b64decode(resp["patch"], validate=True))
    assert isinstance(patch, list), patch
    return patch


# ---- the server --------------------------------------------------------------


class ServerExited(AssertionError):
    pass


class Server:
    """One `snug-webhook serve` process.

    args: extra flags. mode "self": --self-managed-certs --ip-san 127.0.0.1
    --ca-bundle-out <dir>/ca-bundle.pem; mode "files": cert_file/key_file
    must be given. `wrapper` (a list) prefixes the command (valgrind).
    """

    def __init__(self, binary, workdir, args=(), mode="self", cert_file=None, key_file=None,
                 wrapper=None, start_timeout=START_TIMEOUT, env=None):
        self.binary = Path(binary)
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.mode = mode
        self.start_timeout = start_timeout
        self.ca_file = None
        cmd = list(wrapper or []) + [
            str(self.binary), "serve",
            "--listen", "127.0.0.1:0",
            "--metrics-listen", "127.0.0.1:0",
        ]
        if mode == "self":
            self.ca_file = self.workdir / "ca-bundle.pem"
            cmd += ["--self-managed-certs", "--ip-san", "127.0.0.1",
                    "--ca-bundle-out", str(self.ca_file)]
        elif mode == "files":
            assert cert_file and key_file
            cmd += ["--tls-cert-file", str(cert_file), "--tls-key-file", str(key_file)]
        cmd += [str(a) for a in args]
        self.cmd = cmd
        self.env = env
        self.proc = None
        self.port = None
        self.metrics_port = None
        self.lines = []  # stderr lines, raw
        self._lock = threading.Lock()
        self._reader = None
        self.stopped = False
        self.returncode = None

    # -- lifecycle --

    def start(self):
        self.proc = subprocess.Popen(
            self.cmd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=self.env,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()
        try:
            self._wait_started()
        except BaseException:
            self.kill()  # never leave a half-started server behind
            raise
        return self

    def _wait_started(self):
        deadline = time.monotonic() + self.start_timeout
        while self.port is None:
            if self.proc.poll() is not None:
                self._reader.join(2)
                raise ServerExited(
                    "snug-webhook serve exited with %d before listening:\n%s"
                    % (self.proc.returncode, self.log_text()))
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError("no 'listening' log line within %.0fs:\n%s"
                                     % (self.start_timeout, self.log_text()))
            time.sleep(0.02)
        self.wait_ready(deadline)

    def _read_stderr(self):
        for raw in self.proc.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self._lock:
                self.lines.append(line)
            if self.port is None and '"listening"' in line:
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if rec.get("msg") == "listening":
                    self.metrics_port = int(rec["metrics_port"])
                    self.port = int(rec["port"])

    def wait_ready(self, deadline):
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerExited("server exited with %d while starting:\n%s"
                                   % (self.proc.returncode, self.log_text()))
            try:
                with self.connect() as c:
                    r = request(c, "GET", "/readyz")
                if r.status == 200:
                    return
                last = r
            except (OSError, ssl.SSLError, http.client.HTTPException) as e:
                last = e
            time.sleep(0.05)
        raise AssertionError("/readyz not 200 in time (last: %r)\n%s" % (last, self.log_text()))

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout=STOP_TIMEOUT, expect_rc=0):
        """SIGTERM; assert the process exits within `timeout` with `expect_rc`.
        Returns the seconds it took."""
        if self.stopped:
            return 0.0
        self.stopped = True
        t0 = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("server did not exit within %.0fs of SIGTERM\n%s"
                                 % (timeout, self.log_text()))
        took = time.monotonic() - t0
        if self._reader:
            self._reader.join(5)
        self.returncode = rc
        assert expect_rc is None or rc == expect_rc, "server exit code %d (want %d)\n%s" % (
            rc, expect_rc, self.log_text())
        return took

    def kill(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        self.stopped = True

    def alive(self):
        return self.proc.poll() is None

    # -- logs --

    def log_text(self, tail=60):
        with self._lock:
            return "\n".join(self.lines[-tail:])

    def log_records(self):
        out = []
        with self._lock:
            lines = list(self.lines)
        for line in lines:
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    # -- clients --

    def context(self, **kw):
        cafile = self.ca_file if self.ca_file else self.ca_for_files
        return tls_context(cafile, **kw)

    def connect(self, timeout=10, context=None):
        return HTTPSConnection(
            "127.0.0.1", self.port, timeout=timeout, context=context or self.context())

    def metrics_conn(self, timeout=10):
        return HTTPConnection("127.0.0.1", self.metrics_port, timeout=timeout)

    def metrics(self):
        with self.metrics_conn() as c:
            r = request(c, "GET", "/metrics")
        assert r.status == 200, r
        return Metrics(r.body.decode())

    def post(self, body, **kw):
        with self.connect() as c:
            return post_json(c, body, **kw)

    def peer_fingerprint(self):
        """SHA-256 of the certificate a new handshake presents."""
        ctx = self.context()
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
                return hashlib.sha256(s.getpeercert(binary_form=True)).hexdigest()

    ca_for_files = None


@pytest.fixture
def start_server(snug_bin, tmp_path, pki):
    """start_server(*args, mode="self", cert=None, key=None, wrapper=None) -> Server."""
    servers = []

    def start(*args, mode="self", cert=None, key=None, wrapper=None, name=None,
              start_timeout=START_TIMEOUT, ca_file=None):
        wd = tmp_path / (name or "srv%d" % len(servers))
        s = Server(snug_bin, wd, args, mode=mode, cert_file=cert, key_file=key,
                   wrapper=wrapper, start_timeout=start_timeout)
        if mode == "files":
            s.ca_for_files = ca_file or pki.ca_crt
        servers.append(s)
        return s.start()

    yield start
    errors = []
    for s in servers:
        if s.stopped:
            continue
        try:
            s.stop()
        except AssertionError as e:
            errors.append(str(e))
    if errors:
        pytest.fail("\n\n".join(errors))


@pytest.fixture(scope="module")
def server(snug_bin, tmp_path_factory):
    """A self-managed server shared by the tests of one module."""
    s = Server(snug_bin, tmp_path_factory.mktemp("shared-server"),
               ["--max-body-bytes", "65536"])
    s.start()
    yield s
    s.stop()


def tool(name):
    path = shutil.which(name)
    if path is None:
        pytest.fail("%s is not installed (run scripts/install-deps.sh)" % name)
    return path

"""A real Prometheus for end-to-end tests, with history backfilled by promtool.

Debian's `prometheus` and `promtool` (2.42 here) are used as installed; no
scrape targets: every sample comes from OpenMetrics text turned into TSDB
blocks with `promtool tsdb create-blocks-from openmetrics`, so tests can
query days of exactly known history a second after start.

    from prometheus import Series, Prometheus, missing, gauge_samples, counter_samples

    reason = missing()                      # None, or why the tests must skip
    series = [
        Series("cpu_seconds_total", {"pod": "web-1"}, [(t, v), ...], kind="counter"),
        Series("memory_bytes", {"pod": "web-1"}, [(t, v), ...]),          # a gauge
        Series("requests_total", {}, counter_samples(t0, t1, 60, 2.5, resets=[t_restart]),
               kind="counter"),
        Series("temp", {}, gauge_samples(t0, t1, 60, lambda t: 20 + t % 7)),
    ]
    with Prometheus.backfilled(tmp_path, series) as prom:
        prom.url                            # http://127.0.0.1:PORT
        prom.query("memory_bytes")          # the API answer, parsed (urllib)

    Prometheus.backfilled(tmp, series, route_prefix="/prom")   # url ends in /prom
    Prometheus.backfilled(tmp, series, basic_auth={"alice": "secret"})

Pytest fixture use: create it in a fixture and yield it (it stops on exit);
if the test runner dies, the kernel kills Prometheus too (PR_SET_PDEATHSIG,
through setpriv; start it from the main thread, as fixtures are), and an
atexit hook stops any still running.

Timestamps are unix seconds; samples of one series must be in time order
(promtool refuses out-of-order samples). Prometheus' 5-minute lookback
applies: an instant query sees the newest sample at most 5 minutes old.
"""

import atexit
import base64
import ctypes
import json
import math
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

PROMETHEUS = shutil.which("prometheus")
PROMTOOL = shutil.which("promtool")

NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")

_running = set()


def missing():
    """None when prometheus and promtool are installed, else the reason to skip."""
    absent = [n for n, p in (("prometheus", PROMETHEUS), ("promtool", PROMTOOL)) if not p]
    if absent:
        return "%s not installed (Debian packages prometheus; apt-get install prometheus)" % (
            " and ".join(absent)
        )
    return None


# ---------------------------------------------------------------- OpenMetrics --
class Series:
    """One time series: metric `name`, `labels` (dict), `samples` [(t, value)].

    kind "gauge" (default) or "counter"; a counter's name must end in
    _total (its OpenMetrics family is the name without it)."""

    def __init__(self, name, labels, samples, kind="gauge", help=None):
        if not NAME.match(name):
            raise ValueError("bad metric name %r" % name)
        for k in labels:
            if not LABEL.match(k) or k.startswith("__"):
                raise ValueError("bad label name %r" % k)
        if kind not in ("gauge", "counter"):
            raise ValueError("kind must be gauge or counter, not %r" % kind)
        if kind == "counter" and not name.endswith("_total"):
            raise ValueError("counter %r: the name must end in _total" % name)
        self.name = name
        self.labels = dict(labels)
        self.samples = list(samples)
        self.kind = kind
        self.help = help or name
        last = None
        for t, _ in self.samples:
            if last is not None and t <= last:
                raise ValueError("series %s%s: samples not in time order at %s" % (name, labels, t))
            last = t

    @property
    def family(self):
        return self.name[: -len("_total")] if self.kind == "counter" else self.name


def gauge_samples(start, end, step, fn):
    """[(t, fn(t))] for t = start, start+step, ..., <= end."""
    return [(t, fn(t)) for t in range(int(start), int(end) + 1, int(step))]


def counter_samples(start, end, step, per_second, resets=()):
    """A counter growing by per_second * step each step from per_second *
    step at `start`; at each time in `resets` it restarts (its value there
    is one step's growth), as a restarted process's counter does."""
    out, value, restarts = [], 0.0, set(int(r) for r in resets)
    for t in range(int(start), int(end) + 1, int(step)):
        value = 0.0 if t in restarts else value
        value += per_second * step
        out.append((t, value))
    return out


def _value(v):
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(v)


def _label_value(s):
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _timestamp(t):
    return str(int(t)) if float(t).is_integer() else repr(float(t))


def write_openmetrics(path, series):
    """Write `series` (Series objects) as OpenMetrics text with timestamps and
    # EOF. Series of one family are written together, after one # TYPE line."""
    families = {}
    for s in series:
        fam = families.setdefault(s.family, (s.kind, s.help, []))
        if fam[0] != s.kind:
            raise ValueError("family %s is both %s and %s" % (s.family, fam[0], s.kind))
        fam[2].append(s)
    with open(path, "w", encoding="utf-8") as f:
        for family, (kind, help_text, members) in families.items():
            f.write("# HELP %s %s\n# TYPE %s %s\n" % (family, help_text, family, kind))
            for s in members:
                labels = ",".join('%s="%s"' % (k, _label_value(v)) for k, v in sorted(s.labels.items()))
                head = "%s{%s}" % (s.name, labels) if labels else s.name
                f.writelines("%s %s %s\n" % (head, _value(v), _timestamp(t)) for t, v in s.samples)
        f.write("# EOF\n")
    return Path(path)


def _promtool_has_max_block_duration():
    out = subprocess.run(
        [PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", "--help"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ).stdout
    return "max-block-duration" in out


def create_blocks(openmetrics_file, data_dir, max_block_duration="24h", timeout=600):
    """promtool tsdb create-blocks-from openmetrics FILE DATA_DIR. Blocks span
    at most `max_block_duration` where promtool has that flag (2.42 does
    not: 2-hour blocks, which Prometheus compacts in the background)."""
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    cmd = [PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", "--quiet"]
    if max_block_duration and _promtool_has_max_block_duration():
        cmd.append("--max-block-duration=%s" % max_block_duration)
    cmd += [str(openmetrics_file), str(data_dir)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError("%s failed (exit %d):\n%s" % (" ".join(cmd), proc.returncode,
                                                         proc.stdout[-4000:]))


# ---------------------------------------------------------------- passwords --
def bcrypt_hash(password):
    """A bcrypt hash of `password` for --web.config.file, or None when no way
    to make one is installed (python3-bcrypt, Python's crypt module with
    libxcrypt, or htpasswd from apache2-utils)."""
    try:
        import bcrypt  # python3-bcrypt

        return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()
    except ImportError:
        pass
    try:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt  # removed in Python 3.13

        h = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))
        if h and h.startswith("$2"):
            return h
    except (ImportError, AttributeError, ValueError):
        pass
    htpasswd = shutil.which("htpasswd")
    if htpasswd:
        out = subprocess.run([htpasswd, "-nbBC", "4", "u", password], stdout=subprocess.PIPE,
                             text=True, check=True).stdout.strip()
        return out.split(":", 1)[1]
    return None


# ---------------------------------------------------------------- TLS --
def make_tls_files(directory):
    """A throw-away CA, a server certificate for 127.0.0.1/localhost and a
    client certificate (EC P-256, 2 days), made with the openssl CLI.
    Returns {"ca", "server_cert", "server_key", "client_cert", "client_key"}
    (paths as str)."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def run(*args):
        subprocess.run(["openssl", *args], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)

    run("req", "-x509", *key, "-keyout", d / "ca.key", "-out", d / "ca.crt", "-days", "2",
        "-subj", "/CN=snug-e2e-ca")
    for name, ext in (("server", "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                 "extendedKeyUsage=serverAuth"),
                      ("client", "extendedKeyUsage=clientAuth")):
        (d / (name + ".ext")).write_text(ext + "\n")
        run("req", *key, "-keyout", d / (name + ".key"), "-out", d / (name + ".csr"),
            "-subj", "/CN=snug-e2e-" + name)
        run("x509", "-req", "-in", d / (name + ".csr"), "-CA", d / "ca.crt", "-CAkey",
            d / "ca.key", "-CAcreateserial", "-out", d / (name + ".crt"), "-days", "2",
            "-extfile", d / (name + ".ext"))
    return {"ca": str(d / "ca.crt"), "server_cert": str(d / "server.crt"),
            "server_key": str(d / "server.key"), "client_cert": str(d / "client.crt"),
            "client_key": str(d / "client.key")}


# ---------------------------------------------------------------- the server --
def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SETPRIV = shutil.which("setpriv")


def _die_with_parent():
    """preexec_fn: SIGKILL this child when the process that started it dies."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def popen_dying_with_parent(args, **kw):
    """subprocess.Popen(args) that the kernel kills (SIGKILL) when the thread
    that started it dies: through util-linux setpriv --pdeathsig when
    installed (no Python code runs between fork and exec), else a
    preexec_fn calling prctl(PR_SET_PDEATHSIG)."""
    if SETPRIV:
        return subprocess.Popen([SETPRIV, "--pdeathsig", "KILL", *args], **kw)
    return subprocess.Popen(args, preexec_fn=_die_with_parent, **kw)


class Prometheus:
    """A Prometheus serving `data_dir` on 127.0.0.1 with no scrape targets.

    route_prefix: serve under this path ("/prom"): url then ends with it.
    basic_auth: {user: password}: every request needs basic auth
    (--web.config.file with bcrypt hashes; raises RuntimeError when no
    bcrypt is available: check bcrypt_hash("x") first to skip).
    tls: make_tls_files() output: serve HTTPS (url starts https://);
    with require_client_cert, clients must show a certificate of that CA.
    Attributes after start(): url, port, log_path, auth (user, password)."""

    def __init__(self, data_dir, work_dir, route_prefix=None, basic_auth=None,
                 retention="3650d", extra_args=(), tls=None, require_client_cert=False):
        self.data_dir = Path(data_dir)
        self.work_dir = Path(work_dir)
        self.route_prefix = ("/" + route_prefix.strip("/")) if route_prefix else ""
        self.basic_auth = dict(basic_auth or {})
        self.retention = retention
        self.extra_args = list(extra_args)
        self.tls = tls
        self.require_client_cert = require_client_cert
        self.proc = None
        self.port = None
        self.url = None
        self.log_path = self.work_dir / "prometheus.log"

    @classmethod
    def backfilled(cls, work_dir, series, **kw):
        """Write `series` as OpenMetrics, backfill it into work_dir/data and
        start a Prometheus on it (returned, running)."""
        work_dir = Path(work_dir)
        work_dir.mkdir(parents=True, exist_ok=True)
        om = write_openmetrics(work_dir / "history.om", series)
        create_blocks(om, work_dir / "data")
        return cls(work_dir / "data", work_dir, **kw).start()

    @property
    def auth(self):
        return next(iter(self.basic_auth.items()), None)

    def _write_configs(self):
        cfg = self.work_dir / "prometheus.yml"
        cfg.write_text("global:\n  scrape_interval: 1m\n  evaluation_interval: 1m\n")
        args = ["--config.file=%s" % cfg]
        lines = []
        if self.tls:
            lines += ["tls_server_config:",
                      "  cert_file: %s" % json.dumps(self.tls["server_cert"]),
                      "  key_file: %s" % json.dumps(self.tls["server_key"])]
            if self.require_client_cert:
                lines += ["  client_auth_type: RequireAndVerifyClientCert",
                          "  client_ca_file: %s" % json.dumps(self.tls["ca"])]
        if self.basic_auth:
            lines.append("basic_auth_users:")
            for user, password in self.basic_auth.items():
                h = bcrypt_hash(password)
                if h is None:
                    raise RuntimeError("no bcrypt available for --web.config.file")
                lines.append("  %s: %s" % (json.dumps(user), json.dumps(h)))
        if lines:
            web = self.work_dir / "web.yml"
            web.write_text("\n".join(lines) + "\n")
            args.append("--web.config.file=%s" % web)
        return args

    def start(self, timeout=60, port=None):
        """Start and wait for /-/ready; returns self. Retries on a port clash
        (on another port, unless `port` is given: a restart where clients
        expect it)."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        last = None
        for _ in range(3 if port is None else 1):
            self.port = port or free_port()
            base = "%s://127.0.0.1:%d" % ("https" if self.tls else "http", self.port)
            self.url = base + self.route_prefix
            args = [PROMETHEUS, *self._write_configs(),
                    "--storage.tsdb.path=%s" % self.data_dir,
                    "--storage.tsdb.retention.time=%s" % self.retention,
                    "--web.listen-address=127.0.0.1:%d" % self.port,
                    "--log.level=warn", *self.extra_args]
            if self.route_prefix:
                args += ["--web.external-url=%s/" % self.url,
                         "--web.route-prefix=%s" % self.route_prefix]
            log = open(self.log_path, "ab")
            self.proc = popen_dying_with_parent(args, stdout=log, stderr=subprocess.STDOUT,
                                                stdin=subprocess.DEVNULL)
            log.close()
            _running.add(self)
            try:
                self._wait_ready(timeout)
                return self
            except RuntimeError as e:
                last = e
                self.stop()
                if "address already in use" not in self.log_tail():
                    break
        raise last

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("prometheus exited with %s:\n%s" % (self.proc.returncode,
                                                                       self.log_tail()))
            try:
                status, _ = self.get("/-/ready", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("prometheus not ready after %ss:\n%s" % (timeout, self.log_tail()))

    def stop(self, timeout=20):
        """SIGTERM, then SIGKILL after `timeout` s. Idempotent."""
        proc, self.proc = self.proc, None
        _running.discard(self)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, n=4000):
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    # -- plain HTTP, for checks independent of the C client --------------------
    def get(self, path, params=None, timeout=30):
        """GET url+path (with basic auth when configured): (status, body text)."""
        url = self.url + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        req = urllib.request.Request(url)
        if self.auth:
            token = base64.b64encode(("%s:%s" % self.auth).encode()).decode()
            req.add_header("Authorization", "Basic " + token)
        ctx = None
        if self.tls:
            ctx = ssl.create_default_context(cafile=self.tls["ca"])
            ctx.load_cert_chain(self.tls["client_cert"], self.tls["client_key"])
        try:
            with urllib.request.urlopen(req, timeout=timeout, context=ctx) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def query(self, q, time_=None):
        """/api/v1/query through urllib: the parsed answer."""
        params = {"query": q}
        if time_ is not None:
            params["time"] = time_
        return json.loads(self.get("/api/v1/query", params)[1])

    def __enter__(self):
        if not self.running():
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def __repr__(self):
        return "Prometheus(%s, %s)" % (self.url, self.data_dir)


@atexit.register
def _stop_all():
    for p in list(_running):
        p.stop(timeout=5)

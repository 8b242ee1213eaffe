"""The C Prometheus client (lib/prom) against a real Prometheus.

Every test drives e2e_prom_check (tests/e2e/prom_check.c), which prints one
JSON line. The functional tests query a real Prometheus (Debian's 2.42,
started by tests/e2e/prometheus.py) holding 7 days of 1-minute history
backfilled with promtool: range queries over more points than Prometheus
allows in one request (11,000) come back complete through chunking, values
are exactly the ones loaded, rate() goes through a counter reset, NaN/Inf,
label values with quotes/backslashes/newlines/UTF-8 go through the selector
builder, a path prefix, basic auth, bad queries and a stopped server.
Small local HTTP servers then play a broken Prometheus for the client's
error handling: HTML, garbage JSON, an empty answer, a hang, 503/429 then
OK, a 502 proxy, a closed connection, token rotation after 401.
"""

import http.server
import json
import math
import shutil
import subprocess
import threading
import time

import pytest

import prometheus
from prometheus import Prometheus, Series, counter_samples

pytestmark = pytest.mark.skipif(prometheus.missing() is not None,
                                reason=prometheus.missing() or "")

MINUTE = 60
DAY = 86400
NOW = int(time.time()) // MINUTE * MINUTE  # the newest sample
START = NOW - 7 * DAY                       # the oldest
RESET = NOW - 3 * DAY                       # the counter restarts here
WEIRD = 'we"ird\\pod-\u00e9\nx'             # a label value PromQL must escape


def mem(pod, t):
    """The gauge e2e_memory_bytes{pod} at sample time t (a multiple of 60)."""
    k = (t - START) // MINUTE
    if pod == "web-1":
        return 1e8 + (k % 1440) * 1000 + 0.5
    return 2e8 + (k % 97) * 7.25


def cpu(t):
    """The counter e2e_cpu_seconds_total: +60 a minute (rate 1/s); restarts at RESET."""
    base = START if t < RESET else RESET
    return 60.0 * ((t - base) // MINUTE + 1)


def history():
    assert counter_samples(START, NOW, MINUTE, 1.0, resets=[RESET]) == [
        (t, cpu(t)) for t in range(START, NOW + 1, MINUTE)]
    times = range(START, NOW + 1, MINUTE)
    # up to 3 h past NOW for the series queried at "now" (no time given): NOW
    # is taken when the module is collected, which in the whole e2e suite is
    # many minutes before these tests run, and an instant query only looks 5
    # minutes back
    last_hour = range(NOW - 3600, NOW + 3 * 3600 + 1, MINUTE)
    return [
        Series("e2e_memory_bytes", {"namespace": "shop", "pod": p, "container": "app"},
               [(t, mem(p, t)) for t in times])
        for p in ("web-1", "web-2")
    ] + [
        Series("e2e_cpu_seconds_total", {"pod": "web-1"},
               counter_samples(START, NOW, MINUTE, 1.0, resets=[RESET]), kind="counter"),
        Series("e2e_special", {"kind": "nan"}, [(t, math.nan) for t in last_hour]),
        Series("e2e_special", {"kind": "inf"}, [(t, math.inf) for t in last_hour]),
        Series("e2e_special", {"kind": "neginf"}, [(t, -math.inf) for t in last_hour]),
        Series("e2e_weird", {"pod": WEIRD}, [(t, 42) for t in last_hour]),
    ]


def small_history():
    # up to 3 h past NOW: queried at "now" (see history())
    return [Series("e2e_up", {"job": "small"},
                   [(t, 1) for t in range(NOW - 3600, NOW + 3 * 3600 + 1, 60)])]


# ---------------------------------------------------------------- fixtures --
@pytest.fixture(scope="module")
def prom(tmp_path_factory):
    """A Prometheus with the 7-day history, for the whole module."""
    with Prometheus.backfilled(tmp_path_factory.mktemp("prom"), history()) as p:
        yield p


@pytest.fixture(scope="module")
def check_bin(snug_build):
    path = snug_build / "e2e_prom_check"
    if not path.exists():
        subprocess.run(["ninja", "-C", str(snug_build), "e2e_prom_check"], check=True)
    return path


class Check:
    def __init__(self, binary):
        self.binary = binary

    def __call__(self, url, *args, ok=True, timeout=300):
        """Run e2e_prom_check --url URL ARGS; returns (exit code, parsed JSON line)."""
        proc = subprocess.run([str(self.binary), "--url", url, *map(str, args)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=timeout)
        lines = [ln for ln in proc.stdout.splitlines() if ln.strip()]
        assert lines, "no output (exit %d); stderr: %s" % (proc.returncode, proc.stderr[-3000:])
        out = json.loads(lines[-1])
        out["_stderr"] = proc.stderr
        if ok is True:
            assert proc.returncode == 0, "exit %d: %s\nstderr: %s" % (
                proc.returncode, out.get("message"), proc.stderr[-3000:])
        elif ok is False:
            assert proc.returncode == 1, "exit %d, want 1: %s" % (proc.returncode, out)
            assert out["op"] in ("error", "run")
        return proc.returncode, out


@pytest.fixture(scope="module")
def check(check_bin):
    return Check(check_bin)


def by_pod(result):
    return {s["labels"].get("pod"): s for s in result["series"]}


def value(v):
    return float(v.replace("Inf", "inf"))


# ---------------------------------------------------------------- real Prometheus --
def test_range_7_days_at_30s_is_complete_through_chunking(prom, check):
    """20,161 points per series (Prometheus refuses over 11,000 in one
    request): 3 requests of at most 10,000 points, merged, every value
    the newest sample at or before its time."""
    _, out = check(prom.url, "range", "e2e_memory_bytes", START, NOW, 30)
    assert out["type"] == "matrix"
    assert out["stats"]["queries"] == 3, out["stats"]
    assert out["stats"]["retries"] == 0
    series = by_pod(out)
    assert set(series) == {"web-1", "web-2"}
    for pod, s in series.items():
        assert s["labels"] == {"__name__": "e2e_memory_bytes", "namespace": "shop", "pod": pod,
                               "container": "app"}
        samples = s["samples"]
        assert len(samples) == 7 * DAY // 30 + 1 > 11000
        for k, (t, v) in enumerate(samples):
            assert t == START + 30 * k
            assert float(v) == mem(pod, START + (30 * k) // 60 * 60), (pod, t, v)


def test_range_many_small_chunks_match_loaded_samples(prom, check):
    """--max-points 1000: 11 requests; every loaded sample comes back exactly once."""
    _, out = check(prom.url, "--max-points", 1000, "range", 'e2e_memory_bytes{pod="web-2"}',
                   START, NOW, 60)
    assert out["stats"]["queries"] == 11
    (s,) = out["series"]
    assert [t for t, _ in s["samples"]] == list(range(START, NOW + 1, 60))
    assert [float(v) for _, v in s["samples"]] == [mem("web-2", t) for t in range(START, NOW + 1, 60)]


def test_instant_values_match_what_was_loaded(prom, check):
    for t in (START, START + 90, RESET - 60, NOW - 12345, NOW):
        _, out = check(prom.url, "query", "e2e_memory_bytes", t)
        assert out["type"] == "vector"
        got = {pod: (s["samples"][0][0], float(s["samples"][0][1])) for pod, s in by_pod(out).items()}
        sample_t = t // 60 * 60
        assert got == {"web-1": (t, mem("web-1", sample_t)), "web-2": (t, mem("web-2", sample_t))}


def test_rate_over_a_counter_reset(prom, check):
    # the reset is really in the data
    _, raw = check(prom.url, "query", "e2e_cpu_seconds_total", RESET)
    assert float(raw["series"][0]["samples"][0][1]) == 60.0
    _, out = check(prom.url, "range", "rate(e2e_cpu_seconds_total[5m])", START + 600, NOW, 60)
    assert out["stats"]["queries"] == 2  # 10,071 points
    (s,) = out["series"]
    assert s["labels"] == {"pod": "web-1"}
    assert len(s["samples"]) == (NOW - START - 600) // 60 + 1
    bad = [(t, v) for t, v in s["samples"] if abs(float(v) - 1.0) > 1e-9]
    assert not bad, "rate is not 1/s at %s" % bad[:5]
    _, resets = check(prom.url, "query", "resets(e2e_cpu_seconds_total[7d])", NOW)
    assert float(resets["series"][0]["samples"][0][1]) == 1.0
    _, inc = check(prom.url, "query", "increase(e2e_cpu_seconds_total[1h])", RESET + 1800)
    assert abs(float(inc["series"][0]["samples"][0][1]) - 3600.0) < 1e-6


def test_scalar_and_nan_inf(prom, check):
    _, out = check(prom.url, "query", "e2e_special", NOW)
    got = {s["labels"]["kind"]: s["samples"][0][1] for s in out["series"]}
    assert got == {"nan": "NaN", "inf": "+Inf", "neginf": "-Inf"}
    _, out = check(prom.url, "query", "scalar(e2e_memory_bytes{pod=\"web-1\"}) * 2", NOW)
    assert out["type"] == "scalar"
    assert float(out["series"][0]["samples"][0][1]) == 2 * mem("web-1", NOW)
    _, out = check(prom.url, "query", "1/0", NOW)
    assert out["series"][0]["samples"][0][1] == "+Inf"
    _, out = check(prom.url, "query", '"hello"', NOW)
    assert out["type"] == "string" and out["string"] == "hello"


def test_empty_result(prom, check):
    _, out = check(prom.url, "query", "e2e_no_such_metric")
    assert out["type"] == "vector" and out["series"] == []
    _, out = check(prom.url, "range", "e2e_no_such_metric", START, NOW, 30)
    assert out["type"] == "matrix" and out["series"] == [] and out["stats"]["queries"] == 3


def test_selector_escapes_quotes_backslash_newline_unicode(prom, check):
    _, out = check(prom.url, "select", "e2e_weird", "pod", WEIRD, 'container!="x"')
    (s,) = out["series"]
    assert s["labels"]["pod"] == WEIRD
    assert out["query"] == 'e2e_weird{pod="we\\"ird\\\\pod-\u00e9\\nx",container!="x"}'
    # a value that is almost the label's: no match, no error
    _, out = check(prom.url, "select", "e2e_weird", "pod", WEIRD[:-1])
    assert out["series"] == []
    # a bad extra matcher list never reaches Prometheus
    _, out = check(prom.url, "select", "e2e_weird", "pod", "x", 'a="b"} or vector(1)', ok=False)
    assert out["status"] == "parse" and "extra matchers" in out["message"]
    assert out["stats"]["queries"] == 0


def test_bad_query_gives_prometheus_bad_data_message(prom, check):
    rc, out = check(prom.url, "query", "rate(e2e_cpu_seconds_total[5m)", ok=False)
    assert out["status"] == "invalid"
    msg = out["message"]
    assert msg.startswith("POST %s/api/v1/query: HTTP 400: query rate(e2e_cpu_seconds_total[5m): "
                          "bad_data: " % prom.url), msg
    assert "parse error" in msg
    assert out["stats"]["errors_prometheus"] == 1 and out["stats"]["retries"] == 0
    rc, out = check(prom.url, "range", "sum(", START, NOW, 3600, ok=False)
    assert out["status"] == "invalid" and "/api/v1/query_range: HTTP 400" in out["message"]


def test_prom_run_in_parallel(prom, check):
    specs = []
    for k in range(8):
        specs.append("i:%d:e2e_memory_bytes" % (NOW - k * 3600))
    specs.append("r:%d:%d:60:e2e_memory_bytes{pod=\"web-1\"}" % (NOW - DAY, NOW))
    specs.append("r:%d:%d:30:rate(e2e_cpu_seconds_total[5m])" % (RESET - 3600, RESET + 3600))
    specs.append("i:%d:sum(" % NOW)  # a bad query: its own error, the run goes on
    specs.append("i:%d:e2e_special{kind=\"nan\"}" % NOW)
    rc, out = check(prom.url, "--concurrency", 4, "run", *specs)
    assert out["status"] == "ok", out
    res = out["results"]
    assert len(res) == 12
    for k in range(8):
        assert res[k]["status"] == "ok"
        got = {p: float(s["samples"][0][1]) for p, s in by_pod(res[k]["result"]).items()}
        t = NOW - k * 3600
        assert got == {"web-1": mem("web-1", t), "web-2": mem("web-2", t)}
    (s,) = res[8]["result"]["series"]
    assert len(s["samples"]) == DAY // 60 + 1
    (s,) = res[9]["result"]["series"]
    assert len(s["samples"]) == 241 and all(abs(float(v) - 1) < 1e-9 for _, v in s["samples"])
    assert res[10]["status"] == "invalid" and "bad_data" in res[10]["message"]
    assert res[11]["result"]["series"][0]["samples"][0][1] == "NaN"


def test_path_prefix(tmp_path, check):
    with Prometheus.backfilled(tmp_path, small_history(), route_prefix="/prom/v1") as p:
        assert p.url.endswith("/prom/v1")
        _, out = check(p.url + "/", "query", "e2e_up", NOW)
        assert out["series"][0]["labels"] == {"__name__": "e2e_up", "job": "small"}
        _, out = check(p.url, "range", "e2e_up", NOW - 3600, NOW, 60)
        assert len(out["series"][0]["samples"]) == 61
        root = p.url[: -len("/prom/v1")]
        _, out = check(root, "query", "e2e_up", ok=False)
        assert out["status"] == "not_found", out
        assert "HTTP 404" in out["message"] and "check the path prefix" in out["message"]


def test_basic_auth(tmp_path, check):
    if prometheus.bcrypt_hash("x") is None:
        pytest.skip("no bcrypt available (python3-bcrypt, Python crypt or htpasswd)")
    good = tmp_path / "password"
    good.write_text("s3cret\n")
    bad = tmp_path / "wrong"
    bad.write_text("guess")
    with Prometheus.backfilled(tmp_path / "p", small_history(),
                               basic_auth={"snug": "s3cret"}) as p:
        _, out = check(p.url, "--basic-user", "snug", "--basic-password-file", good,
                       "query", "e2e_up")
        assert len(out["series"]) == 1
        for args in (["--basic-user", "snug", "--basic-password-file", bad], []):
            _, out = check(p.url, *args, "query", "e2e_up", ok=False)
            assert out["status"] == "unauthorized", out
            assert "HTTP 401" in out["message"] and "credentials refused" in out["message"]
            assert out["stats"]["retries"] == 0


def test_tls_with_client_certificates(tmp_path, check):
    if shutil.which("openssl") is None:
        pytest.skip("openssl CLI not installed (Debian package openssl)")
    tls = prometheus.make_tls_files(tmp_path / "tls")
    client = ["--client-cert", tls["client_cert"], "--client-key", tls["client_key"]]
    with Prometheus.backfilled(tmp_path / "p", small_history(), tls=tls,
                               require_client_cert=True) as p:
        assert p.url.startswith("https://127.0.0.1:")
        _, out = check(p.url, "--ca-file", tls["ca"], *client, "query", "e2e_up")
        assert out["series"][0]["labels"]["job"] == "small"
        _, out = check(p.url, "--insecure", *client, "range", "e2e_up", NOW - 600, NOW, 60)
        assert len(out["series"][0]["samples"]) == 11
        # the server's certificate is not from a CA the client trusts
        _, out = check(p.url, *client, "query", "e2e_up", ok=False)
        assert out["status"] == "tls" and "query e2e_up: TLS (" in out["message"], out
        assert out["stats"]["retries"] == 0
        # no client certificate: the server refuses the handshake
        _, out = check(p.url, "--ca-file", tls["ca"], "--retries", -1, "query", "e2e_up",
                       ok=False)
        assert out["status"] in ("tls", "io"), out
        _, out = check(p.url, "--ca-file", tls["ca"], "--client-cert", tls["client_cert"],
                       "query", "e2e_up", ok=False)
        assert out["status"] == "invalid" and "client_cert and client_key" in out["message"]


def test_stopped_prometheus_is_a_clear_connection_error(tmp_path, check):
    p = Prometheus.backfilled(tmp_path, small_history())
    url = p.url
    _, out = check(url, "query", "e2e_up")
    p.stop()
    rc, out = check(url, "--retries", 2, "query", "e2e_up", ok=False)
    assert rc == 1 and out["status"] == "io"
    assert "POST %s/api/v1/query: query e2e_up: connection refused" % url in out["message"]
    assert "(3 attempts)" in out["message"]
    assert out["stats"]["retries"] == 2 and out["stats"]["errors_transport"] == 1
    rc, out = check(url, "--retries", -1, "run", "i:0:up", "i:0:up", ok=False)
    assert out["status"] == "io" and "connection refused" in out["message"]


# ---------------------------------------------------------------- broken servers --
OK_ANSWER = json.dumps({"status": "success", "data": {"resultType": "vector", "result": [
    {"metric": {"job": "fake"}, "value": [1700000000, "1"]}]}}).encode()


class Fake(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, token_file=None):
        super().__init__(("127.0.0.1", 0), FakeHandler)
        self.token_file = token_file
        self.counts = {}
        self.seen = []
        self.lock = threading.Lock()
        self.url = "http://127.0.0.1:%d" % self.server_address[1]
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def count(self, mode):
        with self.lock:
            self.counts[mode] = self.counts.get(mode, 0) + 1
            return self.counts[mode]


class FakeHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, code, body, ctype="application/json", headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        form = self.rfile.read(length).decode()
        mode = self.path.strip("/").split("/")[0]
        n = self.server.count(mode)
        with self.server.lock:
            self.server.seen.append((self.path, dict(self.headers), form))
        if mode == "html":
            self.send(200, b"<html><body><h1>Sign in</h1></body></html>", "text/html")
        elif mode == "garbage":
            self.send(200, b'{"status":"success","data":{"resultType":"vector","result":'
                           b'[{"metric":{},"value":[1700000000,1]}]}}')
        elif mode == "empty":
            self.send(200, b"")
        elif mode == "hang":
            time.sleep(10)
        elif mode == "flaky503":
            if n == 1:
                self.send(503, b"<html>Service Unavailable</html>", "text/html")
            else:
                self.send(200, OK_ANSWER)
        elif mode == "ratelimit":
            if n == 1:
                self.send(429, b"slow down", "text/plain", [("Retry-After", "1")])
            else:
                self.send(200, OK_ANSWER)
        elif mode == "proxy502":
            self.send(502, b"<html><body>502 Bad Gateway</body></html>", "text/html")
        elif mode == "promtimeout":
            self.send(503, b'{"status":"error","errorType":"timeout",'
                           b'"error":"query timed out in expression evaluation"}')
        elif mode == "close":
            self.close_connection = True
            self.connection.shutdown(2)
        elif mode == "rotate":
            if self.headers.get("Authorization") == "Bearer new":
                self.send(200, OK_ANSWER)
            else:
                self.server.token_file.write_text("new\n")  # the kubelet rotates it
                self.send(401, b"Unauthorized", "text/plain")
        elif mode == "flip":  # a range answer, then a vector: chunks that disagree
            if n == 1:
                self.send(200, b'{"status":"success","data":{"resultType":"matrix","result":[]}}')
            else:
                self.send(200, OK_ANSWER)
        elif mode == "warn":
            self.send(200, json.dumps({"status": "success", "warnings": ["partial response: store x down"],
                                       "data": {"resultType": "vector", "result": []}}).encode())
        elif mode == "big":
            result = [{"metric": {"pod": "p%d" % i}, "value": [1700000000, "1"]} for i in range(2000)]
            self.send(200, json.dumps({"status": "success", "data": {"resultType": "vector",
                                                                      "result": result}}).encode())
        else:  # "ok" and anything else: a fine answer, echoing what came
            self.send(200, OK_ANSWER)


@pytest.fixture
def fake(tmp_path):
    srv = Fake(token_file=tmp_path / "token")
    yield srv
    srv.shutdown()
    srv.server_close()


def test_html_answer(fake, check):
    _, out = check(fake.url + "/html", "query", "up", ok=False)
    assert out["status"] == "parse"
    assert out["message"] == ("POST %s/html/api/v1/query: HTTP 200: query up: not JSON: "
                              "<html><body><h1>Sign in</h1></body></html>" % fake.url)


def test_garbage_json_names_the_field(fake, check):
    _, out = check(fake.url + "/garbage", "query", "up", ok=False)
    assert out["status"] == "parse"
    assert "query up: data.result[0].value[1]: sample value is not a string" in out["message"]


def test_empty_answer(fake, check):
    _, out = check(fake.url + "/empty", "query", "up", ok=False)
    assert out["status"] == "parse" and out["message"].endswith("query up: empty answer")


def test_timeout(fake, check):
    t0 = time.monotonic()
    _, out = check(fake.url + "/hang", "--timeout-ms", 500, "--retries", 1, "query", "up", ok=False)
    assert out["status"] == "timeout"
    assert "query up: no answer within 500 ms, timeout (" in out["message"]
    assert "(2 attempts)" in out["message"]
    assert out["stats"]["errors_timeout"] == 1 and out["stats"]["retries"] == 1
    assert time.monotonic() - t0 < 5


def test_503_then_ok_is_retried(fake, check):
    _, out = check(fake.url + "/flaky503", "query", "up")
    assert out["series"][0]["labels"] == {"job": "fake"}
    assert out["stats"]["retries"] == 1 and fake.counts["flaky503"] == 2
    assert "retrying a Prometheus request" in out["_stderr"]


def test_429_honours_retry_after(fake, check):
    _, out = check(fake.url + "/ratelimit", "query", "up")
    assert out["stats"]["retries"] == 1
    assert out["elapsed_ms"] >= 950


def test_502_proxy_after_retries(fake, check):
    _, out = check(fake.url + "/proxy502", "--retries", 1, "query", "up", ok=False)
    assert out["status"] == "http"
    assert out["message"] == ("POST %s/proxy502/api/v1/query: HTTP 502: query up: "
                              "<html><body>502 Bad Gateway</body></html> (2 attempts)" % fake.url)


def test_prometheus_timeout_error_after_retries(fake, check):
    _, out = check(fake.url + "/promtimeout", "--retries", 1, "query", "up", ok=False)
    assert out["status"] == "http"
    assert ("HTTP 503: query up: timeout: query timed out in expression evaluation (2 attempts)"
            in out["message"])
    assert out["stats"]["errors_prometheus"] == 1


def test_closed_connection(fake, check):
    _, out = check(fake.url + "/close", "--retries", -1, "query", "up", ok=False)
    assert out["status"] == "io"
    assert "closed the connection without answering" in out["message"] or \
        "connection lost" in out["message"]


def test_answer_over_the_size_cap(fake, check):
    _, out = check(fake.url + "/big", "--max-bytes", 10000, "query", "up", ok=False)
    assert out["status"] == "too_big"
    assert "answer larger than 10000 bytes (max_response_bytes)" in out["message"]
    _, out = check(fake.url + "/big", "query", "up")
    assert len(out["series"]) == 2000


def test_headers_form_and_token(fake, check, tmp_path):
    token = tmp_path / "token"
    token.write_text("tok-1\n")
    long_query = "sum(" + " + ".join("up{job=\"j%d\"}" % i for i in range(400)) + ")"
    _, out = check(fake.url + "/ok", "--token-file", token, "--header", "X-Scope-OrgID: tenant-a",
                   "query", long_query, 1700000000.5)
    path, headers, form = fake.seen[-1]
    assert path == "/ok/api/v1/query"
    assert headers["Authorization"] == "Bearer tok-1"
    assert headers["X-Scope-OrgID"] == "tenant-a"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    import urllib.parse
    fields = urllib.parse.parse_qs(form)
    assert fields["query"] == [long_query] and fields["time"] == ["1700000000.500"]
    assert fields["timeout"] == ["30.000"]
    _, out = check(fake.url + "/ok", "--token-file", token, "range", "up", 0, 120, 60)
    _, _, form = fake.seen[-1]
    assert urllib.parse.parse_qs(form)["step"] == ["60"]


def test_token_rotated_after_401(fake, check, tmp_path):
    token = tmp_path / "token"
    token.write_text("old\n")
    _, out = check(fake.url + "/rotate", "--token-file", token, "query", "up")
    assert out["series"][0]["labels"] == {"job": "fake"}
    assert fake.counts["rotate"] == 2 and out["stats"]["retries"] == 1
    # a token that stays wrong: one 401, no loop
    _, out = check(fake.url + "/rotate", "--token", "static", "query", "up", ok=False)
    assert out["status"] == "unauthorized" and out["stats"]["retries"] == 0


def test_abort_stops_a_request_in_flight(fake, check):
    t0 = time.monotonic()
    _, out = check(fake.url + "/hang", "--timeout-ms", 20000, "--abort-after-ms", 300,
                   "query", "up", ok=False)
    assert out["status"] == "io" and out["message"].endswith("query up: aborted")
    assert time.monotonic() - t0 < 3


def test_chunks_of_different_types_are_refused(fake, check):
    _, out = check(fake.url + "/flip", "--max-points", 2, "range", "up", 0, 180, 60, ok=False)
    assert out["status"] == "invalid"
    assert out["message"].startswith("POST /api/v1/query_range: query up: merging query results")
    assert out["stats"]["queries"] == 2


def test_warnings_are_kept_and_logged(fake, check):
    _, out = check(fake.url + "/warn", "query", "up{job=\"x\"}")
    assert out["warnings"] == ["partial response: store x down"]
    logs = [json.loads(ln) for ln in out["_stderr"].splitlines() if ln.startswith("{")]
    warn = [ln for ln in logs if ln.get("msg") == "Prometheus warning"]
    assert warn and warn[0]["level"] == "warn" and warn[0]["query"] == 'up{job="x"}'
    assert warn[0]["warning"] == "partial response: store x down"


def test_bad_config_is_refused(check, tmp_path):
    _, out = check("localhost:9090", "query", "up", ok=False)
    assert out["status"] == "invalid" and "must start with http://" in out["message"]
    _, out = check("http://127.0.0.1:1", "--token-file", tmp_path / "none", "query", "up",
                   ok=False)
    assert out["status"] == "io" and "bearer token file" in out["message"]

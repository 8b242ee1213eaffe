"""Bad requests over real TLS: each gets its status and is counted in /metrics,
and none of them hurts the server."""

import json
import socket
import ssl
import subprocess
import time

import pytest

from conftest import DATA_DIR, pod_review, post_json, read_http_response, request, tool

BAD = sorted((DATA_DIR / "admission-bad").iterdir())
MAX_BODY = 262144  # the shared server's --max-body-bytes (deep-nesting.json is 200 KB)


@pytest.fixture(scope="module")
def server(snug_bin, tmp_path_factory):
    from conftest import Server

    s = Server(snug_bin, tmp_path_factory.mktemp("bad-server"),
               ["--max-body-bytes", str(MAX_BODY), "--shutdown-timeout", "15s"])
    s.start()
    yield s
    s.stop()


def curl_post(server, path, data_file=None, content_type="application/json", extra=()):
    """POST with the curl CLI over TLS, verifying against the CA bundle.
    Returns (http_code, body bytes)."""
    cmd = [
        tool("curl"), "-sS", "--http1.1", "--max-time", "20",
        "--cacert", str(server.ca_file),
        "-o", "-", "-w", "\n%{http_code}",
        "-X", "POST",
    ]
    if content_type is not None:
        cmd += ["-H", "Content-Type: " + content_type]
    if data_file is not None:
        cmd += ["--data-binary", "@" + str(data_file)]
    cmd += list(extra)
    cmd.append("https://127.0.0.1:%d%s" % (server.port, path))
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    assert proc.returncode == 0, "curl failed: %s" % proc.stderr.decode()
    body, _, code = proc.stdout.rpartition(b"\n")
    return int(code), body


def counted(server, result):
    return server.metrics().get("snug_webhook_requests_total", result=result)


def test_bad_corpus_present():
    assert len(BAD) >= 10, BAD


def test_bad_corpus_each_400_with_curl(server):
    before = counted(server, "bad_request")
    for f in BAD:
        code, body = curl_post(server, "/mutate", f)
        assert code == 400, "%s: got %d %r" % (f.name, code, body[:200])
        assert body.strip(), "%s: 400 without a reason" % f.name
    assert counted(server, "bad_request") == before + len(BAD)
    # ... and the server still answers good reviews.
    r = server.post(pod_review(uid="after-bad"))
    assert r.status == 200 and r.json()["response"]["uid"] == "after-bad"


def test_bad_corpus_on_one_keepalive_connection(server):
    """A 400 must not spoil the connection for the next request."""
    with server.connect() as c:
        for f in BAD:
            r = post_json(c, f.read_bytes())
            assert r.status == 400, (f.name, r)
            r = post_json(c, pod_review(uid="between"))
            assert r.status == 200, (f.name, r)


def test_wrong_content_type_415(server):
    before = counted(server, "unsupported_media_type")
    good = DATA_DIR / "admission" / "pod-update-skipped" / "request.json"
    for ct in ("text/plain", "application/x-www-form-urlencoded", "application/jsonx",
               "application/yaml"):
        code, body = curl_post(server, "/mutate", good, content_type=ct)
        assert code == 415, (ct, code, body)
    # No Content-Type at all.
    with server.connect() as c:
        r = request(c, "POST", "/mutate", body=good.read_bytes(), headers={})
        assert r.status == 415, r
    assert counted(server, "unsupported_media_type") == before + 5


def test_body_over_cap_with_content_length_413(server, tmp_path):
    big = tmp_path / "big.json"
    big.write_bytes(b'{"a":"' + b"x" * (MAX_BODY + 10) + b'"}')
    before = counted(server, "payload_too_large")
    code, body = curl_post(server, "/mutate", big)
    assert code == 413, (code, body[:200])
    # Exactly at the cap is fine (then 400: not a review).
    exact = tmp_path / "exact.json"
    exact.write_bytes(b'{"a":"' + b"x" * (MAX_BODY - 8) + b'"}')
    assert exact.stat().st_size == MAX_BODY
    code, _ = curl_post(server, "/mutate", exact)
    assert code == 400
    assert counted(server, "payload_too_large") == before + 1


def tls_socket(server, timeout=10):
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=timeout)
    return server.context().wrap_socket(raw, server_hostname="127.0.0.1")


def test_body_over_cap_chunked_413(server):
    before = counted(server, "payload_too_large")
    s = tls_socket(server)
    try:
        s.sendall(b"POST /mutate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"x" * 16384
        sent = 0
        try:
            while sent <= MAX_BODY + len(chunk):
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
            s.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass  # the server may answer and close before reading it all
        status, _, body = read_http_response(s)
    finally:
        s.close()
    assert status == 413, body
    assert counted(server, "payload_too_large") == before + 1


def test_chunked_within_cap_accepted(server):
    body = (DATA_DIR / "admission" / "pod-update-skipped" / "request.json").read_bytes()
    s = tls_socket(server)
    try:
        s.sendall(b"POST /mutate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        for i in range(0, len(body), 50):
            part = body[i:i + 50]
            s.sendall(b"%x\r\n%s\r\n" % (len(part), part))
        s.sendall(b"0\r\n\r\n")
        status, _, resp = read_http_response(s)
    finally:
        s.close()
    assert status == 200, resp
    assert json.loads(resp)["response"]["uid"] == "u-update"


def test_expect_continue_over_cap_413_without_body(server):
    """A client that waits for "100 Continue" with a declared length over the
    cap gets the 413 at once, without uploading 100 MB first."""
    before = counted(server, "payload_too_large")
    s = tls_socket(server)
    try:
        s.sendall(b"POST /mutate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 104857600\r\n"
                  b"Expect: 100-continue\r\n\r\n")
        status, _, body = read_http_response(s, timeout=5)
    finally:
        s.close()
    assert status == 413, body
    assert counted(server, "payload_too_large") == before + 1


def test_expect_continue_within_cap_gets_100(server):
    body = (DATA_DIR / "admission" / "pod-update-skipped" / "request.json").read_bytes()
    s = tls_socket(server)
    try:
        s.sendall(b"POST /mutate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Type: application/json\r\nContent-Length: %d\r\n"
                  b"Expect: 100-continue\r\n\r\n" % len(body))
        s.settimeout(5)
        interim = s.recv(4096)
        assert interim.startswith(b"HTTP/1.1 100"), interim
        s.sendall(body)
        status, _, resp = read_http_response(s)
    finally:
        s.close()
    assert status == 200, resp


def test_empty_body_400(server):
    before = counted(server, "bad_request")
    with server.connect() as c:
        r = request(c, "POST", "/mutate", body=b"",
                    headers={"Content-Type": "application/json", "Content-Length": "0"})
    assert r.status == 400, r
    assert counted(server, "bad_request") == before + 1


def test_truncated_body_then_close_server_survives(server):
    for _ in range(5):
        s = tls_socket(server)
        s.sendall(b"POST /mutate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                  + b'{"apiVersion":"admission.k8s.io/v1",' * 2)
        time.sleep(0.05)
        s.close()
    # Also a raw TCP close in the middle of the TLS handshake.
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    raw.sendall(b"\x16\x03\x01\x00\xa0\x01\x00")
    raw.close()
    time.sleep(0.2)
    assert server.alive()
    r = server.post(pod_review(uid="alive"))
    assert r.status == 200 and r.json()["response"]["uid"] == "alive"
    # The aborted requests are not left "in flight": a shutdown is prompt
    # (checked when the module's server stops; see test_zz_shutdown_prompt).


def test_get_mutate_405(server):
    before = counted(server, "method_not_allowed")
    for method in ("GET", "PUT", "DELETE"):
        with server.connect() as c:
            r = request(c, method, "/mutate")
        assert r.status == 405, (method, r)
        assert "POST" in r.headers.get("allow", ""), r.headers
    assert counted(server, "method_not_allowed") == before + 3


def test_unknown_path_404(server):
    before = counted(server, "not_found")
    with server.connect() as c:
        for path in ("/", "/validate", "/mutate/x", "/metrics", "/%00"):
            r = request(c, "GET", path)
            assert r.status == 404, (path, r)
        r = post_json(c, pod_review(), path="/mutating")
        assert r.status == 404, r
    assert counted(server, "not_found") == before + 6


def test_plain_http_on_tls_port_refused(server):
    """Plain HTTP to the TLS port gets no HTTP answer, and does not hurt."""
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    try:
        raw.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        raw.settimeout(5)
        try:
            data = raw.recv(4096)
        except (ConnectionResetError, socket.timeout):
            data = b""
    finally:
        raw.close()
    assert not data.startswith(b"HTTP/1.1 200"), data
    assert server.post(pod_review()).status == 200


def test_metrics_port_rejects_other_paths(server):
    with server.metrics_conn() as c:
        assert request(c, "GET", "/metrics").status == 200
        assert request(c, "GET", "/healthz").status == 200
        assert request(c, "GET", "/mutate").status == 404
        assert request(c, "POST", "/metrics", body=b"x").status == 405


def test_zz_shutdown_prompt(server):
    """After all the aborted requests above, SIGTERM still stops the server
    at once: nothing is left counted as in flight (deadline is 15 s)."""
    took = server.stop(timeout=14)
    assert took < 5, "shutdown took %.1fs: an aborted request stayed in flight" % took

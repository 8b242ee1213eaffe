"""Graceful shutdown, and the whole server under valgrind."""

import json
import signal
import socket
import time

import pytest

from conftest import DATA_DIR, pod_review, post_json, request, tool


def tls_socket(srv):
    raw = socket.create_connection(("127.0.0.1", srv.port), timeout=15)
    return srv.context().wrap_socket(raw, server_hostname="127.0.0.1")


def read_http_response(sock):
    """Read a whole response with a Content-Length."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "connection closed before the response: %r" % data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v)
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed in the body"
        body += chunk
    return int(head.split(b" ", 2)[1]), body


def test_sigterm_lets_slow_request_finish(start_server):
    srv = start_server("--shutdown-timeout", "20s")
    body = json.dumps(pod_review(uid="slow-one")).encode()
    keep = srv.connect()
    assert request(keep, "GET", "/readyz").status == 200

    s = tls_socket(srv)
    s.sendall(b"POST /mutate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
    half = len(body) // 2
    s.sendall(body[:half])
    time.sleep(0.5)  # the server has the headers: the request is in flight

    t0 = time.monotonic()
    srv.signal(signal.SIGTERM)
    time.sleep(1.0)
    assert srv.alive(), "the server exited with a request in flight"
    # Not ready any more, on a connection that was already open.
    r = request(keep, "GET", "/readyz")
    assert r.status == 503, r
    keep.close()
    # New connections are no longer accepted.
    with pytest.raises(OSError):
        c = socket.create_connection(("127.0.0.1", srv.port), timeout=2)
        try:
            # Some kernels accept into a closed backlog; then the TLS handshake fails.
            srv.context().wrap_socket(c, server_hostname="127.0.0.1")
        finally:
            c.close()

    # Dribble the rest of the body.
    for i in range(half, len(body), 200):
        s.sendall(body[i:i + 200])
        time.sleep(0.05)
    status, resp = read_http_response(s)
    s.close()
    assert status == 200, resp
    assert json.loads(resp)["response"]["uid"] == "slow-one"
    took = srv.stop(timeout=10)
    total = time.monotonic() - t0
    assert total < 10, "exit took %.1fs after SIGTERM" % total
    assert any(rec.get("msg") == "stopped" for rec in srv.log_records())
    assert not any("still in flight" in rec.get("msg", "") for rec in srv.log_records())
    del took


def test_sigterm_deadline_bounds_a_stuck_request(start_server):
    """A client that never finishes its body cannot hold the process past
    --shutdown-timeout."""
    srv = start_server("--shutdown-timeout", "2s")
    s = tls_socket(srv)
    s.sendall(b"POST /mutate HTTP/1.1\r\nHost: 127.0.0.1\r\n"
              b"Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{")
    time.sleep(0.5)
    took = srv.stop(timeout=10)
    s.close()
    assert 1.5 <= took < 6, "stop took %.1fs with a 2 s deadline" % took
    assert any("still in flight" in rec.get("msg", "") for rec in srv.log_records())


def test_idle_keepalive_connections_do_not_delay_exit(start_server):
    srv = start_server("--shutdown-timeout", "20s")
    conns = [srv.connect() for _ in range(20)]
    for c in conns:
        assert post_json(c, pod_review()).status == 200
    took = srv.stop(timeout=10)
    for c in conns:
        c.close()
    assert took < 3, "idle keep-alive connections delayed the exit: %.1fs" % took


def test_sigint_is_graceful_too(start_server):
    srv = start_server()
    srv.signal(signal.SIGINT)
    srv.proc.wait(10)
    assert srv.proc.returncode == 0
    srv.stopped = True


@pytest.mark.slow
def test_under_valgrind(start_server, tmp_path):
    vg = tool("valgrind")
    log = tmp_path / "valgrind.log"
    wrapper = [vg, "--error-exitcode=99", "--leak-check=full",
               "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite",
               "--log-file=%s" % log]
    pol = tmp_path / "policy.yaml"
    pol.write_text("apiVersion: snug.dev/v1alpha1\nkind: SizingPolicy\n"
                   "metadata: {name: vg}\nspec: {mode: Initial}\n")
    t0 = time.monotonic()
    srv = start_server("--policy", pol, "--source-poll-interval", "1s", "--threads", "2",
                       wrapper=wrapper, start_timeout=90)
    try:
        with srv.connect(timeout=30) as c:
            for case in sorted((DATA_DIR / "admission").iterdir())[:4]:
                assert post_json(c, (case / "request.json").read_bytes()).status == 200
            r = post_json(c, pod_review(uid="vg"))
            assert r.status == 200 and "patch" in r.json()["response"], r
            for name in ("not-json.json", "missing-uid.json", "wrong-kind.json", "empty.json"):
                r = post_json(c, (DATA_DIR / "admission-bad" / name).read_bytes())
                assert r.status == 400, (name, r)
            assert post_json(c, b"{}", content_type="text/plain").status == 415
            assert request(c, "GET", "/mutate").status == 405
            assert request(c, "GET", "/nope").status == 404
        with srv.connect(timeout=30) as c:
            big = b'{"x":"' + b"y" * (9 << 20) + b'"}'
            assert post_json(c, big).status == 413
        # An aborted request and a reload while running.
        s = tls_socket(srv)
        s.sendall(b"POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 100\r\n\r\n{")
        s.close()
        pol.write_text(pol.read_text().replace("Initial", '"Off"'))
        time.sleep(3)
        r = srv.post(pod_review(uid="vg-off"))
        assert r.status == 200 and "patch" not in r.json()["response"], r
        assert srv.metrics().get("snug_webhook_ready") == 1
        srv.stop(timeout=60, expect_rc=None)
    finally:
        if not srv.stopped:
            srv.kill()
        text = log.read_text() if log.exists() else "(no valgrind log)"
    assert srv.returncode == 0, text[-6000:]
    assert "ERROR SUMMARY: 0 errors" in text, text[-6000:]
    took = time.monotonic() - t0
    print("valgrind run took %.1fs" % took)
    assert took < 90, took

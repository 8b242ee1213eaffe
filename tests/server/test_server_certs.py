"""Certificates: files-mode hot reload and self-managed rotation, under load."""

import hashlib
import shutil
import ssl
import threading
import time

import pytest

from conftest import pem_fingerprint, pod_review, post_json, replace_atomically, request

# Files are checked every 10 s (cert_manager default) on a 200 ms tick.
RELOAD_DEADLINE = 16.0


def wait_for(pred, timeout, step=0.25, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(step)
    raise AssertionError("%s not met within %.0fs (last: %r)" % (what, timeout, last))


@pytest.mark.slow
def test_files_mode_hot_reload(start_server, pki, tmp_path):
    a_crt, a_key = pki.issue("pair-a")
    b_crt, b_key = pki.issue("pair-b")
    live = tmp_path / "live"
    live.mkdir()
    crt, key = live / "tls.crt", live / "tls.key"
    shutil.copyfile(a_crt, crt)
    shutil.copyfile(a_key, key)
    srv = start_server(mode="files", cert=crt, key=key)
    fp_a, fp_b = pem_fingerprint(a_crt), pem_fingerprint(b_crt)
    assert fp_a != fp_b
    assert srv.peer_fingerprint() == fp_a

    # A keep-alive connection opened on the old certificate.
    old = srv.connect()
    assert post_json(old, pod_review(uid="old-1")).status == 200
    old_sock = old.sock
    assert old_sock.getpeercert(binary_form=True)
    before = srv.metrics().get("snug_webhook_certificate_reloads_total", result="ok")

    # New pair, each file swapped by an atomic rename (key first).
    t0 = time.monotonic()
    replace_atomically(b_key, key)
    replace_atomically(b_crt, crt)
    wait_for(lambda: srv.peer_fingerprint() == fp_b, RELOAD_DEADLINE,
             what="new handshakes presenting the new certificate")
    took = time.monotonic() - t0
    print("new certificate served after %.1fs" % took)

    # The old connection still works, on the same socket, with the old cert.
    for i in range(5):
        r = post_json(old, pod_review(uid="old-%d" % (i + 2)))
        assert r.status == 200, r
        assert old.sock is old_sock
    assert hashlib.sha256(old.sock.getpeercert(binary_form=True)).hexdigest() == fp_a
    old.close()
    m = srv.metrics()
    assert m.get("snug_webhook_certificate_reloads_total", result="ok") >= before + 1
    assert m.get("snug_webhook_certificate_expiry_timestamp_seconds") > time.time()
    assert any(rec.get("msg") == "serving certificate in use" and
               rec.get("fingerprint") == fp_b for rec in srv.log_records())


@pytest.mark.slow
def test_files_mode_mismatched_pair_refused(start_server, pki, tmp_path):
    a_crt, a_key = pki.issue("mm-a")
    c_crt, c_key = pki.issue("mm-c")
    live = tmp_path / "live"
    live.mkdir()
    crt, key = live / "tls.crt", live / "tls.key"
    shutil.copyfile(a_crt, crt)
    shutil.copyfile(a_key, key)
    srv = start_server(mode="files", cert=crt, key=key)
    fp_a = pem_fingerprint(a_crt)
    assert srv.peer_fingerprint() == fp_a
    errors0 = srv.metrics().get("snug_webhook_certificate_reloads_total", result="error")

    # A new certificate with the OLD key: the pair does not match.
    replace_atomically(c_crt, crt)
    wait_for(lambda: srv.metrics().get("snug_webhook_certificate_reloads_total",
                                       result="error") > errors0,
             RELOAD_DEADLINE, what="a counted reload error")
    for _ in range(3):
        assert srv.peer_fingerprint() == fp_a
        assert srv.post(pod_review()).status == 200
    assert any(rec.get("level") == "warn" and rec.get("component") == "certs"
               for rec in srv.log_records()), srv.log_text()

    # Garbage in the certificate file: still refused.
    (live / "garbage").write_text("-----BEGIN CERTIFICATE-----\nnot base64\n")
    replace_atomically(live / "garbage", crt)
    time.sleep(1)
    assert srv.peer_fingerprint() == fp_a

    # Once the matching key arrives, the new certificate goes into service.
    replace_atomically(c_key, key)
    replace_atomically(c_crt, crt)
    fp_c = pem_fingerprint(c_crt)
    wait_for(lambda: srv.peer_fingerprint() == fp_c, RELOAD_DEADLINE,
             what="the repaired pair in service")
    with srv.connect() as conn:
        assert request(conn, "GET", "/readyz").status == 200


class Hammer(threading.Thread):
    """Sends reviews the whole time, alternating a kept-alive connection and
    fresh connections (new handshakes), verifying against the CA bundle file
    re-read for every new connection."""

    def __init__(self, server):
        super().__init__(daemon=True)
        self.server = server
        self.stop_evt = threading.Event()
        self.ok = 0
        self.failures = []
        self.fingerprints = set()

    def run(self):
        keep = None
        i = 0
        while not self.stop_evt.is_set():
            i += 1
            try:
                if keep is None or i % 10 == 0:
                    if keep is not None:
                        keep.close()
                    ctx = ssl.create_default_context(cafile=str(self.server.ca_file))
                    keep = self.server.connect(context=ctx)
                r = post_json(keep, pod_review(uid="rot-%d" % i))
                if r.status != 200 or r.json()["response"]["uid"] != "rot-%d" % i:
                    self.failures.append("request %d: %r" % (i, r))
                else:
                    self.ok += 1
                    self.fingerprints.add(
                        hashlib.sha256(keep.sock.getpeercert(binary_form=True)).hexdigest())
            except Exception as e:  # noqa: BLE001 -- every failure counts
                self.failures.append("request %d: %r" % (i, e))
                keep = None
            time.sleep(0.01)
        if keep is not None:
            keep.close()


@pytest.mark.slow
def test_self_managed_rotation_no_failed_request(start_server):
    # 15 s certificates: renewed when a third of the validity is left,
    # so every ~10 s.
    srv = start_server("--cert-validity", "15s")
    ca_before = srv.ca_file.read_bytes()
    seen = {srv.peer_fingerprint()}
    hammer = Hammer(srv)
    hammer.start()
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and len(seen) < 3:
            seen.add(srv.peer_fingerprint())
            time.sleep(0.5)
    finally:
        hammer.stop_evt.set()
        hammer.join(10)
    assert len(seen) >= 3, "the serving certificate did not rotate: %r" % seen
    assert hammer.failures == [], hammer.failures[:5]
    assert hammer.ok > 100, hammer.ok
    assert len(hammer.fingerprints) >= 2
    # Rotation is paced by the validity, not a certificate per tick.
    m = srv.metrics()
    reloads = m.get("snug_webhook_certificate_reloads_total", result="ok")
    assert 3 <= reloads <= 6, "%d certificates issued in ~25 s of 15 s validity" % reloads
    assert m.get("snug_webhook_certificate_expiry_timestamp_seconds") > time.time()
    # Same CA all along: the bundle keeps verifying.
    assert srv.ca_file.read_bytes() == ca_before

"""--policy / --recommendations files: re-read on change and on SIGHUP; a
broken file keeps the previous contents."""

import os
import signal
import time
from pathlib import Path

from conftest import DATA_DIR, decode_patch, pod_review

POLICY_INITIAL = """\
apiVersion: snug.dev/v1alpha1
kind: SizingPolicy
metadata:
  name: reload-test
spec:
  mode: Initial
"""
POLICY_OFF = POLICY_INITIAL.replace("mode: Initial", 'mode: "Off"')
POLICY_BROKEN = POLICY_INITIAL.replace("mode: Initial", "mode: Sometimes")


def write_atomically(path, text):
    path = Path(path)
    tmp = path.with_name("." + path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def patched(srv):
    r = srv.post(pod_review())
    assert r.status == 200, r
    return bool(decode_patch(r.json()))


def reloads(srv, result):
    return srv.metrics().get("snug_webhook_source_reloads_total", source="policy-file",
                             result=result)


def wait_until(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.1)
    raise AssertionError("%s not seen within %.0fs" % (what, timeout))


def test_policy_file_reload_and_broken_file(start_server, tmp_path):
    pol = tmp_path / "policy.yaml"
    pol.write_text(POLICY_INITIAL)
    srv = start_server("--policy", pol, "--source-poll-interval", "1s")
    assert patched(srv), "mode Initial must patch a Pod without resources"
    ok0 = reloads(srv, "ok")

    write_atomically(pol, POLICY_OFF)
    wait_until(lambda: not patched(srv), 6, "mode Off taking effect")
    assert reloads(srv, "ok") == ok0 + 1
    r = srv.post(pod_review(uid="off")).json()
    assert r["response"]["allowed"] is True and "patch" not in r["response"]

    err0 = reloads(srv, "error")
    write_atomically(pol, POLICY_BROKEN)
    wait_until(lambda: reloads(srv, "error") == err0 + 1, 6, "the reload error counted")
    for _ in range(3):
        assert not patched(srv), "a broken file must keep the previous policy (Off)"
    assert any(rec.get("msg", "").startswith("reload failed") for rec in srv.log_records())
    assert srv.metrics().get("snug_webhook_ready") == 1

    # Not retried until it changes again; a fixed file is picked up.
    time.sleep(2.5)
    assert reloads(srv, "error") == err0 + 1
    write_atomically(pol, POLICY_INITIAL)
    wait_until(lambda: patched(srv), 6, "mode Initial again")
    assert reloads(srv, "ok") == ok0 + 2


def test_policy_file_edited_in_place(start_server, tmp_path):
    """An editor that rewrites the same inode is noticed too (size/mtime)."""
    pol = tmp_path / "policy.yaml"
    pol.write_text(POLICY_INITIAL)
    srv = start_server("--policy", pol, "--source-poll-interval", "1s")
    assert patched(srv)
    with open(pol, "r+") as f:
        f.seek(0)
        f.write(POLICY_OFF)
        f.truncate()
    wait_until(lambda: not patched(srv), 6, "in-place edit taking effect")


def test_sighup_forces_reload(start_server, tmp_path):
    pol = tmp_path / "policy.yaml"
    pol.write_text(POLICY_INITIAL)
    srv = start_server("--policy", pol, "--source-poll-interval", "1h")
    assert patched(srv)
    write_atomically(pol, POLICY_OFF)
    time.sleep(2)
    assert patched(srv), "with a 1h poll interval the change must wait for SIGHUP"
    srv.signal(signal.SIGHUP)
    wait_until(lambda: not patched(srv), 3, "SIGHUP reload")
    assert srv.alive()


def test_policy_file_missing_at_start_fails(snug_bin, tmp_path):
    import subprocess

    proc = subprocess.run(
        [str(snug_bin), "serve", "--listen", "127.0.0.1:0", "--metrics-listen", "off",
         "--self-managed-certs", "--ip-san", "127.0.0.1", "--policy", str(tmp_path / "nope.yaml")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
    assert proc.returncode != 0
    assert b"nope.yaml" in proc.stderr


def test_invalid_policy_at_start_fails(snug_bin):
    import subprocess

    bad = DATA_DIR / "policy" / "invalid-kind.yaml"
    proc = subprocess.run(
        [str(snug_bin), "serve", "--listen", "127.0.0.1:0", "--metrics-listen", "off",
         "--self-managed-certs", "--ip-san", "127.0.0.1", "--policy", str(bad)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=20)
    assert proc.returncode != 0, proc.stderr
    assert proc.stderr.strip()

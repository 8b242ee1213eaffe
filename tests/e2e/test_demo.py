"""scripts/demo.sh, the README's one-command demo, end to end.

The demo starts its own control plane (other ports, its own state dir), so
these tests do not use the session `cluster` fixture. They check that the
demo exits 0, that what it prints shows the webhook at work (the Pods'
resources, probes and Go settings, printer columns, the offline diff, an
Audit warning, metrics), and that it leaves nothing running: not after a
normal run, and not after a Ctrl-C in the middle.
"""
import os
import queue
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "scripts" / "demo.sh"
TIMEOUT = 600  # the demo takes well under a minute with a warm cache


def demo_env(build_dir):
    env = dict(os.environ, SNUG_DEMO_SKIP_DEPS="1", SNUG_DEMO_BUILD_DIR=str(build_dir))
    env.pop("SNUG_DEMO_KEEP", None)
    return env


def processes_mentioning(text):
    """(pid, command line) of every process whose command line has `text`."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit() or int(d.name) == os.getpid():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmd:
            found.append((int(d.name), cmd.strip()))
    return found


def wait_until_gone(text, timeout=20):
    """The processes mentioning `text` still running after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        left = processes_mentioning(text)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.5)


def state_dir_of(output):
    m = re.search(r"^demo state: (\S+)$", output, re.M)
    return m.group(1) if m else None


def stop_leftovers(state):
    """Last resort, so one broken run does not leave a cluster behind."""
    if state and Path(state).is_dir():
        subprocess.run([str(REPO / "tests/e2e/controlplane.sh"), "stop", state],
                       capture_output=True, timeout=120)
    for pid, _ in processes_mentioning(state) if state else []:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


@pytest.fixture(scope="module")
def demo(snug_build):
    """One full run of scripts/demo.sh: (exit code, output, state dir)."""
    proc = subprocess.Popen([str(DEMO)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=demo_env(snug_build), start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)  # its EXIT trap stops what it started
        try:
            out, _ = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        stop_leftovers(state_dir_of(out))
        pytest.fail("scripts/demo.sh did not finish in %ds:\n%s" % (TIMEOUT, out[-8000:]))
    state = state_dir_of(out)
    yield proc.returncode, out, state
    if proc.returncode != 0:
        stop_leftovers(state)


def section(out, number):
    """The text of section `number` ("==== 8. ... ====" up to the next one)."""
    m = re.search(r"^==== %d\. .*?^(?=====)" % number, out, re.M | re.S)
    assert m, "no section %d in the demo output:\n%s" % (number, out[-8000:])
    return m.group(0)


def test_demo_exits_0(demo):
    rc, out, _ = demo
    assert rc == 0, "demo.sh exited %d:\n%s" % (rc, out[-8000:])
    assert "demo OK" in out


def test_pods_show_what_the_webhook_set(demo):
    rc, out, _ = demo
    assert rc == 0, out[-8000:]
    text = section(out, 8)
    pods = re.findall(r"^Pod shop/(checkout-\S+)$", text, re.M)
    assert len(pods) == 2, text
    assert text.count("annotation snug.dev/mutated: resources,probes,go-env") == 2, text
    assert len(re.findall(r"requests\s+cpu 250m, memory 300Mi$", text, re.M)) == 2, text
    assert len(re.findall(r"limits\s+memory 512Mi$", text, re.M)) == 2, text
    assert len(re.findall(r"env GOMEMLIMIT\s+483183820B$", text, re.M)) == 2, text
    assert len(re.findall(r"env GOMAXPROCS\s+2$", text, re.M)) == 2, text
    assert len(re.findall(r"livenessProbe\s+HTTP GET /healthz on port http,", text)) == 2, text
    assert len(re.findall(r"readinessProbe\s+HTTP GET /readyz on port http,", text)) == 2, text
    assert len(re.findall(r"startupProbe\s+HTTP GET /healthz on port http,", text)) == 2, text
    # the custom-columns table
    rows = re.findall(r"^checkout-\S+\s+Pending\s+resources,probes,go-env\s+250m\s+300Mi\s+512Mi"
                      r"\s+483183820B\s+2$", text, re.M)
    assert len(rows) == 2, text


def test_printer_columns_and_validation(demo):
    rc, out, _ = demo
    assert rc == 0, out[-8000:]
    text = section(out, 9)
    assert re.search(r"^NAME\s+PRIORITY\s+MODE\s+APPLY\s+AGE$", text, re.M), text
    assert re.search(r"^sizingpolicy.snug.dev/demo\s+10\s+Initial\s+IfMissing\s", text, re.M), text
    assert re.search(r"^sizingpolicy.snug.dev/demo-audit\s+10\s+Audit\s", text, re.M), text
    assert re.search(r"^shop\s+recommendation.snug.dev/deployment-checkout\s+Deployment\s+checkout"
                     r"\s+250m\s+300Mi\s+0.92\s", text, re.M), text
    policies = section(out, 5)
    assert "minAllowed.cpu must not be greater than maxAllowed.cpu" in policies, policies
    assert 'Unsupported value: "Sometimes"' in policies, policies
    assert "sizingpolicy.snug.dev/opted-in created (server dry run)" in policies, policies


def test_offline_diff(demo):
    rc, out, _ = demo
    assert rc == 0, out[-8000:]
    text = section(out, 10)
    assert "+++ Deployment shop/checkout (mutated)" in text, text
    assert "+        snug.dev/mutated: resources,probes,go-env" in text, text
    assert "+          value: 483183820B" in text, text


def test_audit_warning(demo):
    rc, out, _ = demo
    assert rc == 0, out[-8000:]
    text = section(out, 11)
    # report-builder has no Recommendation: default requests and probes,
    # and no limit, GOMEMLIMIT or GOMAXPROCS guessed from them
    warning = re.search(r"^Warning: snug audit \(policy demo-audit\): would set resources,probes: "
                        r"app: cpu request 50m, memory request 64Mi, probes .*$", text, re.M)
    assert warning, text
    assert "limit" not in warning.group(0) and "GOM" not in warning.group(0), text
    assert re.search(r"^report-builder\s+<none>\s+<none>\s+<none>\s+<none>$", text, re.M), text


def test_metrics(demo):
    rc, out, _ = demo
    assert rc == 0, out[-8000:]
    text = section(out, 12)
    assert re.search(r'^snug_webhook_requests_total\{result="mutated"\} [1-9]', text, re.M), text
    assert re.search(r'^snug_webhook_requests_total\{result="audit"\} 1$', text, re.M), text
    assert re.search(r'^snug_webhook_mutations_total\{kind="go-env"\} 2$', text, re.M), text
    assert "snug_webhook_ready 1" in text, text


def test_demo_leaves_nothing_running(demo):
    rc, out, state = demo
    assert rc == 0, out[-8000:]
    assert state, "the demo did not print its state dir"
    assert not Path(state).exists(), "state dir %s left behind" % state
    left = wait_until_gone(state)
    assert not left, "still running after the demo:\n%s" % "\n".join(c for _, c in left)


def test_ctrl_c_stops_everything(snug_build):
    """A Ctrl-C (SIGINT to the foreground process group) once the webhook
    runs: the demo exits non-zero and stops the webhook and control plane."""
    proc = subprocess.Popen([str(DEMO)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=demo_env(snug_build), start_new_session=True)
    lines = queue.Queue()

    def read():
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    seen = []
    state = None
    up = False
    deadline = time.monotonic() + TIMEOUT
    try:
        while not up and time.monotonic() < deadline:
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                if proc.poll() is not None:
                    break
                continue
            seen.append(line)
            state = state or state_dir_of(line.rstrip("\n"))
            up = line.startswith("==== 7. ")  # webhook and control plane are up
        assert up and state, "".join(seen)[-8000:]
        assert processes_mentioning(state), "nothing runs from %s before Ctrl-C" % state
        os.killpg(proc.pid, signal.SIGINT)
        rc = proc.wait(timeout=120)
        time.sleep(0.5)  # the reader thread drains the pipe
        while not lines.empty():
            seen.append(lines.get())
        output = "".join(seen)
        assert rc != 0, output[-8000:]
        # rc in the message: a run once ended here with no trap output at all
        # (not reproduced since); the exit status tells a shell killed by the
        # signal (-2) from one that exited through its trap (130)
        assert "demo INTERRUPTED" in output, "rc=%s\n%s" % (rc, output[-8000:])
        left = wait_until_gone(state)
        assert not left, "still running after Ctrl-C:\n%s" % "\n".join(c for _, c in left)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        stop_leftovers(state)
        if state:
            shutil.rmtree(state, ignore_errors=True)

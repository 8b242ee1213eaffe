"""scripts/demo.sh, the README's one-command demo, end to end.

The demo starts its own control plane (other ports, its own state dir), so
these tests do not use the session `cluster` fixture. They check that the
demo exits 0, that what it prints shows snug at work: the Recommendations
the controller wrote from a week of Prometheus history (values in the
ranges that history allows, the OOM bump and its reason), the new Pods of
the scaled Deployment carrying them (requests, limit, probes, GOMEMLIMIT,
GOMAXPROCS), the `recommend` report agreeing with the operator, the offline
diff, an Audit warning and both components' metrics; and that it leaves
nothing running: not after a normal run, and not after a Ctrl-C once
everything runs.
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
TIMEOUT = 900  # the demo takes about a minute with a warm cache


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


MI = 1 << 20


def quantity(q):
    """A Kubernetes quantity ("394m", "244Mi", "1") as a float."""
    for unit, factor in (("m", 1e-3), ("Ki", 1 << 10), ("Mi", MI), ("Gi", 1 << 30)):
        if q.endswith(unit):
            return float(q[: -len(unit)]) * factor
    return float(q)


def recs_table(out):
    """{name: (cpu, memory, confidence)} from `kubectl get rec -n shop` in section 9."""
    text = section(out, 9)
    rows = re.findall(r"^(deployment-\S+)\s+Deployment\s+\S+\s+(\S+)\s+(\S+)\s+(\S+)\s", text, re.M)
    return {name: (cpu, mem, float(conf)) for name, cpu, mem, conf in rows}


def test_policies_and_validation(demo):
    rc, out, _ = demo
    assert rc == 0, out[-8000:]
    text = section(out, 5)
    assert re.search(r"^NAME\s+PRIORITY\s+MODE\s+APPLY\s+AGE$", text, re.M), text
    assert re.search(r"^demo\s+10\s+Initial\s+IfMissing\s", text, re.M), text
    assert re.search(r"^demo-audit\s+10\s+Audit\s", text, re.M), text
    assert "minAllowed.cpu must not be greater than maxAllowed.cpu" in text, text
    assert 'Unsupported value: "Sometimes"' in text, text
    assert "sizingpolicy.snug.dev/opted-in created (server dry run)" in text, text
    # no Recommendation is written by hand
    assert "recommendation" not in text.lower(), text


def test_pods_before_any_recommendation(demo):
    rc, out, _ = demo
    assert rc == 0, out[-8000:]
    text = section(out, 7)
    # defaults for web, nothing guessed from them; api and worker keep their own
    assert re.search(r"^web-\S+\s+resources,probes\s+50m\s+64Mi\s+<none>\s+<none>$", text, re.M), text
    assert re.search(r"^api-\S+\s+probes\s+500m\s+256Mi\s+512Mi\s+<none>$", text, re.M), text
    assert re.search(r"^worker-\S+\s+<none>\s+1\s+1Gi\s+1Gi\s+<none>$", text, re.M), text


def test_prometheus_holds_a_week(demo):
    rc, out, _ = demo
    assert rc == 0, out[-8000:]
    text = section(out, 8)
    m = re.search(r"^(\d+) series, (\d+) samples over 7 days for 3 Pods, backfilled in", text, re.M)
    assert m and int(m.group(2)) > 7 * 24 * 30 * 3, text
    assert re.search(r"^  pod=api-\S+\s+51\dMi$", text, re.M), text  # up to its 512Mi limit
    assert re.search(r"^  pod=api-\S+\s+1(\.0*\d*)?$", text, re.M), text  # one OOM kill


def test_controller_wrote_the_recommendations(demo):
    rc, out, _ = demo
    assert rc == 0, out[-8000:]
    recs = recs_table(out)
    assert set(recs) == {"deployment-web", "deployment-api", "deployment-worker"}, recs
    # web: 0.10-0.35 cores over the day, 170-210Mi
    cpu, mem, conf = recs["deployment-web"]
    assert 0.3 <= quantity(cpu) <= 0.6 and 210 * MI <= quantity(mem) <= 320 * MI, recs
    # api: 0.12 cores, OOM-killed at 512Mi: memory raised to at least 1.2 x 512Mi
    cpu, mem, _ = recs["deployment-api"]
    assert 0.12 <= quantity(cpu) <= 0.3 and 614 * MI <= quantity(mem) <= 1024 * MI, recs
    # worker: a 2-hour nightly batch, 350Mi: far below its 1 CPU / 1Gi
    cpu, mem, _ = recs["deployment-worker"]
    assert 0.02 <= quantity(cpu) <= 0.7 and 350 * MI <= quantity(mem) <= 500 * MI, recs
    assert all(c >= 0.9 for _, _, c in recs.values()), recs  # a week is enough history
    text = section(out, 9)
    assert re.search(r"^snug-controller\s+demo-\S+\s", text, re.M), text  # it holds the Lease
    # kubectl describe rec deployment-api
    assert "Labels:       app.kubernetes.io/managed-by=snug-controller" in text, text
    assert re.search(r"^    Kind:\s+Deployment\n    Name:\s+api$", text, re.M), text
    assert re.search(r"^      Oom Kills:\s+1$", text, re.M), text
    assert re.search(r"^    Reason:\s+.*OOM-killed 1x at 512Mi: .*memory raised to \d+Mi", text,
                     re.M), text
    assert re.search(r"^    Type:\s+RecommendationProvided$", text, re.M), text
    assert "Policy:        demo" in text, text


def test_scaled_pods_carry_the_recommendation(demo):
    rc, out, _ = demo
    assert rc == 0, out[-8000:]
    cpu, mem, _ = recs_table(out)["deployment-web"]
    text = section(out, 10)
    # the Pod from before keeps its defaults; the two new ones get the Recommendation
    assert re.search(r"^web-\S+\s+resources,probes\s+50m\s+64Mi\s+<none>\s+<none>\s+<none>$",
                     text, re.M), text
    rows = re.findall(r"^web-\S+\s+resources,probes,go-env\s+(\S+)\s+(\S+)\s+(\S+)\s+(\d+)B"
                      r"\s+(\d+)$", text, re.M)
    assert len(rows) == 2, text
    for r_cpu, r_mem, limit, gomemlimit, gomaxprocs in rows:
        assert (r_cpu, r_mem) == (cpu, mem), (rows, cpu, mem)
        assert quantity(limit) >= quantity(mem), rows
        assert int(gomemlimit) == int(quantity(limit) * 0.9), rows  # floor(limit x 0.9)
        assert int(gomaxprocs) >= 2, rows
    pods = re.findall(r"^Pod shop/(web-\S+) \(new\)$", text, re.M)
    assert len(pods) == 2, text
    assert text.count("annotation snug.dev/mutated: resources,probes,go-env") == 2, text
    assert len(re.findall(r"^    requests\s+cpu %s, memory %s$" % (cpu, mem), text, re.M)) == 2, text
    assert text.count("= the requests are the Recommendation's target") == 2, text
    assert len(re.findall(r"livenessProbe\s+HTTP GET /healthz on port http,", text)) == 2, text
    assert len(re.findall(r"readinessProbe\s+HTTP GET /readyz on port http,", text)) == 2, text
    assert len(re.findall(r"startupProbe\s+HTTP GET /healthz on port http,", text)) == 2, text
    assert len(re.findall(r"env GOMEMLIMIT\s+\d+B$", text, re.M)) == 2, text


def test_recommend_report(demo):
    rc, out, _ = demo
    assert rc == 0, out[-8000:]
    recs = recs_table(out)
    text = section(out, 11)
    assert re.search(r"^NAMESPACE\s+WORKLOAD\s+CONTAINER\s+CPU REQUEST\s+MEMORY REQUEST\s+"
                     r"MEMORY LIMIT\s+GO PROCS/MEMLIMIT\s+CONFIDENCE\s+REASON$", text, re.M), text
    api = re.search(r"^shop\s+Deployment/api\s+api\s+500m -> (\S+) \(-\d+%\)\s+256Mi -> (\S+) "
                    r"\(\+\d+%\)\s+512Mi -> \S+ \(\+\d+%\)\s+-\s+\S+\s+.*OOM-killed 1x at 512Mi",
                    text, re.M)
    assert api, text
    web = re.search(r"^shop\s+Deployment/web\s+app\s+- -> (\S+)\s+- -> (\S+)\s+- -> \S+\s+"
                    r"(\d+)/\d+MiB\s", text, re.M)
    assert web and int(web.group(3)) >= 2, text
    assert re.search(r"^shop\s+Deployment/worker\s+worker\s+1 -> \S+ \(-\d+%\)\s+1Gi -> \S+ "
                     r"\(-\d+%\)", text, re.M), text
    # the same computation as the operator's, over (nearly) the same window
    for name, m in (("deployment-api", api), ("deployment-web", web)):
        for got, want in zip(m.groups()[:2], recs[name][:2]):
            assert abs(quantity(got) - quantity(want)) <= 0.05 * quantity(want), (name, got, want)
    assert re.search(r"^TOTAL \(per Pod, 3 workloads, 3 containers\)", text, re.M), text
    assert re.search(r"^\(stderr\) snug-controller recommend: 3 workloads, 3 containers;", text,
                     re.M), text


def test_offline_diff(demo):
    rc, out, _ = demo
    assert rc == 0, out[-8000:]
    cpu, mem, _ = recs_table(out)["deployment-web"]
    gomemlimit = re.search(r"^    env GOMEMLIMIT\s+(\d+B)$", section(out, 10), re.M).group(1)
    text = section(out, 12)
    assert "+++ Deployment shop/web (mutated)" in text, text
    assert "+        snug.dev/mutated: resources,probes,go-env" in text, text
    assert "+            cpu: %s\n+            memory: %s\n" % (cpu, mem) in text, text
    assert "+          value: %s" % gomemlimit in text, text


def test_audit_warning(demo):
    rc, out, _ = demo
    assert rc == 0, out[-8000:]
    text = section(out, 13)
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
    text = section(out, 14)
    assert re.search(r'^snug_webhook_requests_total\{result="mutated"\} [1-9]', text, re.M), text
    assert re.search(r'^snug_webhook_requests_total\{result="audit"\} 1$', text, re.M), text
    assert re.search(r'^snug_webhook_mutations_total\{kind="go-env"\} 2$', text, re.M), text
    assert re.search(r'^snug_webhook_cache_objects\{kind="recommendations"\} [3-9]$', text, re.M), text
    assert "snug_webhook_ready 1" in text, text

    def value(name):
        m = re.search(r"^%s (\S+)$" % re.escape(name), text, re.M)
        assert m, "%s not shown:\n%s" % (name, text)
        return float(m.group(1))

    assert value("snug_controller_leader") == 1
    assert value('snug_controller_passes_total{result="ok"}') >= 1
    assert value('snug_controller_passes_total{result="prometheus_error"}') == 0
    assert value("snug_controller_prometheus_queries_total") >= 11
    assert value("snug_controller_recommendations_written_total") >= 3
    assert value("snug_controller_workloads") >= 3
    assert value('snug_controller_recommended{resource="memory"}') >= 1000 * MI


def test_demo_leaves_nothing_running(demo):
    rc, out, state = demo
    assert rc == 0, out[-8000:]
    assert state, "the demo did not print its state dir"
    assert not Path(state).exists(), "state dir %s left behind" % state
    left = wait_until_gone(state)
    assert not left, "still running after the demo:\n%s" % "\n".join(c for _, c in left)


def test_ctrl_c_stops_everything(snug_build):
    """A Ctrl-C (SIGINT to the foreground process group) once the webhook,
    Prometheus and the controller run: the demo exits non-zero and stops
    them and the control plane."""
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
            up = line.startswith("==== 10. ")  # the controller and all before it run
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

"""What the process keeps resident: the memory a container limit has to
cover is the anonymous RSS (heap, stacks) and its peak, not the shared,
file-backed code pages the kernel reclaims first. The server leaves its code
mapped as the loader did (debuggers, perf and uprobes see every page)."""

import subprocess

from conftest import pod_review


def _status_kib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError("no %s for %d" % (field, pid))


def _mutates(srv, uid):
    r = srv.post(pod_review(uid=uid))
    assert r.status == 200, r
    resp = r.json()["response"]
    assert resp["uid"] == uid and resp["allowed"] is True
    assert resp.get("patchType") == "JSONPatch"


def test_anonymous_memory_stays_small_under_use(start_server):
    srv = start_server()
    anon_start = _status_kib(srv.proc.pid, "RssAnon")
    for i in range(200):
        _mutates(srv, "mem-%d" % i)
    anon = _status_kib(srv.proc.pid, "RssAnon")
    peak = _status_kib(srv.proc.pid, "VmHWM")
    # 200 sequential reviews reuse the same connection pool and arena: the
    # heap does not grow with the number of requests served.
    assert anon < anon_start + 4096, (anon_start, anon)
    assert anon < 20 * 1024, anon
    assert peak < 64 * 1024, peak


def test_code_pages_flag_is_gone(snug_bin):
    # --keep-code-pages went with the code-page hand-back: an unknown flag is
    # a usage error, not silently accepted.
    p = subprocess.run([str(snug_bin), "serve", "--keep-code-pages"], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "keep-code-pages" in p.stderr or "usage" in p.stderr.lower(), p.stderr

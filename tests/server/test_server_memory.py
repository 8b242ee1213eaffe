"""What the process keeps resident: start-up's code pages are handed back
(lib/codepages.c) unless --keep-code-pages, and the server works the same."""

import json

from conftest import pod_review


def _rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


def _handed_back(srv):
    return [r for r in srv.log_records() if r.get("msg") == "code pages handed back"]


def _mutates(srv, uid):
    r = srv.post(pod_review(uid=uid))
    assert r.status == 200, r
    resp = r.json()["response"]
    assert resp["uid"] == uid and resp["allowed"] is True
    assert resp.get("patchType") == "JSONPatch"


def test_code_pages_handed_back_after_start(start_server):
    srv = start_server()
    recs = _handed_back(srv)
    assert len(recs) == 1, srv.log_text()
    before, after = int(recs[0]["rss_kib_before"]), int(recs[0]["rss_kib_after"])
    assert int(recs[0]["mappings"]) >= 5  # the binary, libc, GnuTLS, OpenSSL, ...
    # Start-up maps most of OpenSSL's and GnuTLS's code; a megabyte at least
    # of it goes back.
    assert after < before - 1024, recs[0]
    # The code the server runs comes back on use, and it works as before.
    for i in range(50):
        _mutates(srv, "after-release-%d" % i)
    assert _rss_kib(srv.proc.pid) < before, "RSS grew back to the start-up figure"


def test_keep_code_pages_keeps_them(start_server):
    srv = start_server("--keep-code-pages")
    assert _handed_back(srv) == [], srv.log_text()
    _mutates(srv, "kept")
    assert "--keep-code-pages" in json.dumps(srv.cmd)

"""AdmissionReviews over real TLS: the golden corpus, Pod CREATE patches, dryRun."""

import json

import pytest

from conftest import DATA_DIR, Server, decode_patch, pod_review, post_json

GOLDEN = sorted(p for p in (DATA_DIR / "admission").iterdir() if (p / "request.json").is_file())


def test_golden_corpus_present():
    assert len(GOLDEN) >= 5, "tests/data/admission looks empty: %r" % GOLDEN


@pytest.mark.parametrize("case", GOLDEN, ids=[p.name for p in GOLDEN])
def test_golden_request(server, start_server, case):
    """Each golden review over TLS: the same answer the unit test expects.
    A case's policy.yaml / recommendations.yaml are given to its own server
    (--policy / --recommendations); namespaces.yaml and limitranges.yaml have
    no file source in `serve`, so such cases are only checked for the echo."""
    args = []
    if (case / "policy.yaml").is_file():
        args += ["--policy", case / "policy.yaml"]
    if (case / "recommendations.yaml").is_file():
        args += ["--recommendations", case / "recommendations.yaml"]
    srv = start_server(*args) if args else server
    exact = not any((case / f).is_file() for f in ("namespaces.yaml", "limitranges.yaml"))
    body = (case / "request.json").read_bytes()
    req = json.loads(body)
    r = srv.post(body)
    assert r.status == 200, r
    assert r.headers["content-type"].startswith("application/json"), r.headers
    got = r.json()
    assert got["apiVersion"] == req["apiVersion"]
    assert got["kind"] == "AdmissionReview"
    assert got["response"]["uid"] == req["request"]["uid"]
    assert got["response"]["allowed"] is True
    expected = case / "expected.json"
    if expected.is_file() and exact:
        # The same handler answers here as in the unit tests (which check the
        # warnings' wording); over the wire the rest must be identical.
        want = json.loads(expected.read_text())
        got_cmp = json.loads(json.dumps(got))
        got_cmp["response"].pop("warnings", None)
        want["response"].pop("warnings", None)
        if "patch" in got_cmp["response"]:
            got_cmp["response"]["patch"] = decode_patch(got)
        assert got_cmp == want
    warning = case / "expected-warning"
    if warning.is_file():
        text = warning.read_text().strip()
        assert any(text in w for w in got["response"].get("warnings", [])), got


def test_pod_create_gets_jsonpatch(server):
    review = pod_review(uid="pod-create-1")
    r = server.post(review)
    assert r.status == 200, r
    got = r.json()
    resp = got["response"]
    assert resp["uid"] == "pod-create-1"
    assert resp["allowed"] is True
    assert resp["patchType"] == "JSONPatch"
    patch = decode_patch(got)
    assert patch, "a Pod without resources must be patched by the default policy"
    for op in patch:
        assert op["op"] in ("add", "replace", "remove", "test"), op
        assert op["path"].startswith("/"), op
    paths = [op["path"] for op in patch]
    assert any("/resources" in p for p in paths), paths
    # The webhook says what it did on the Pod.
    assert any("snug.dev~1mutated" in p or p == "/metadata/annotations" for p in paths), paths


def test_dry_run_answered_the_same(server):
    plain = server.post(pod_review(uid="dry-1", dry_run=False)).json()
    dry = server.post(pod_review(uid="dry-1", dry_run=True)).json()
    assert dry["response"]["uid"] == "dry-1"
    assert decode_patch(dry) == decode_patch(plain)
    assert dry == plain


def test_dry_run_not_counted_as_mutation(server):
    before = server.metrics()
    r = server.post(pod_review(dry_run=True))
    assert r.status == 200
    after = server.metrics()
    assert after.get("snug_webhook_requests_total", result="mutated") == \
        before.get("snug_webhook_requests_total", result="mutated") + 1
    assert after.get("snug_webhook_mutations_total") == before.get("snug_webhook_mutations_total")
    r = server.post(pod_review(dry_run=False))
    after2 = server.metrics()
    assert after2.get("snug_webhook_mutations_total", kind="resources") == \
        after.get("snug_webhook_mutations_total", kind="resources") + 1


def test_pod_update_not_mutated(server):
    got = server.post(pod_review(uid="upd", operation="UPDATE")).json()
    assert got["response"] == {"uid": "upd", "allowed": True}


def test_opted_out_pod_unchanged(server):
    got = server.post(pod_review(uid="opt", annotations={"snug.dev/mode": "off"})).json()
    assert got["response"]["uid"] == "opt"
    assert "patch" not in got["response"]


def test_unicode_and_large_uid(server):
    uid = "ü-" + "x" * 250  # 253 bytes of UTF-8: within the 256-byte cap
    got = server.post(pod_review(uid=uid)).json()
    assert got["response"]["uid"] == uid


def test_content_type_with_charset(server):
    with server.connect() as c:
        r = post_json(c, pod_review(uid="cs"), content_type="application/json; charset=utf-8")
    assert r.status == 200, r
    assert r.json()["response"]["uid"] == "cs"


def test_many_reviews_one_connection_all_distinct(server):
    with server.connect() as c:
        for i in range(50):
            r = post_json(c, pod_review(uid="seq-%d" % i))
            assert r.status == 200, r
            assert r.json()["response"]["uid"] == "seq-%d" % i


@pytest.fixture(scope="module")
def roomy_server(snug_bin, tmp_path_factory):
    """A server with the default 8 MiB body cap (the shared one has 64 KiB)."""
    srv = Server(snug_bin, tmp_path_factory.mktemp("roomy"), ["--max-body-bytes", str(8 << 20)])
    srv.start()
    yield srv
    srv.stop()


@pytest.mark.parametrize("kib", [1, 6, 11, 14, 40, 300, 3000])
def test_reviews_of_every_size_are_mutated(roomy_server, kib):
    """Reviews that fit libmicrohttpd's connection pool are answered from its
    buffer; larger ones arrive in pieces and are gathered first. Both must
    give the same kind of answer, on a kept-alive connection."""
    def review(uid, pad):
        r = pod_review(uid=uid, annotations={"example.com/notes": "n" * pad})
        return json.dumps(r).encode()

    base = len(review("size", 0))
    body = review("size-%d" % kib, max(0, kib * 1024 - base))
    assert abs(len(body) - max(kib * 1024, base)) < 64, len(body)
    with roomy_server.connect(timeout=30) as c:
        for i in range(3):
            r = post_json(c, body)
            assert r.status == 200, (kib, i, r)
            resp = r.json()["response"]
            assert resp["uid"] == "size-%d" % kib
            assert resp["allowed"] is True
            ops = decode_patch(r.json())
            assert any("/resources" in op["path"] for op in ops), ops

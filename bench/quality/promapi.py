"""A minimal Prometheus HTTP API client (urllib), counting its queries."""

import json
import urllib.error
import urllib.parse
import urllib.request


class PromError(RuntimeError):
    pass


class Client:
    """query() / query_range() against one Prometheus; .queries counts the
    calls made (per client, so each peer counts its own)."""

    def __init__(self, url, timeout=120):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.queries = 0

    def _post(self, path, params):
        self.queries += 1
        body = urllib.parse.urlencode(params).encode()
        req = urllib.request.Request(self.url + path, data=body, method="POST")
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
                doc = json.load(r)
        except urllib.error.HTTPError as e:
            raise PromError("%s %s: HTTP %d: %s" % (path, params.get("query"), e.code, e.read()[:500])) from e
        if doc.get("status") != "success":
            raise PromError("%s %s: %s" % (path, params.get("query"), doc.get("error")))
        return doc["data"]

    def query(self, q, time_s):
        """Instant query at time_s: list of (labels dict, float value)."""
        data = self._post("/api/v1/query", {"query": q, "time": str(time_s)})
        if data["resultType"] != "vector":
            raise PromError("query %s: expected a vector, got %s" % (q, data["resultType"]))
        return [(r["metric"], float(r["value"][1])) for r in data["result"]]

    def query_range(self, q, start_s, end_s, step_s):
        """Range query: list of (labels dict, [(ts, float), ...])."""
        data = self._post(
            "/api/v1/query_range",
            {"query": q, "start": str(start_s), "end": str(end_s), "step": str(step_s)},
        )
        return [(r["metric"], [(float(t), float(v)) for t, v in r["values"]]) for r in data["result"]]


def workloads(client, namespace, now, window_s):
    """Pods per Deployment as kube-state-metrics recorded them over the
    window: {deployment: [pod, ...]} (two queries, the way KRR discovers
    Pods that are gone)."""
    rng = "%ds" % window_s
    rs_owner = {}
    q = 'max_over_time(kube_replicaset_owner{namespace="%s",owner_kind="Deployment"}[%s])' % (namespace, rng)
    for m, _ in client.query(q, now):
        rs_owner[m["replicaset"]] = m["owner_name"]
    out = {}
    q = 'max_over_time(kube_pod_owner{namespace="%s",owner_kind="ReplicaSet"}[%s])' % (namespace, rng)
    for m, _ in client.query(q, now):
        dep = rs_owner.get(m["owner_name"])
        if dep is not None:
            out.setdefault(dep, []).append(m["pod"])
    for pods in out.values():
        pods.sort()
    return out

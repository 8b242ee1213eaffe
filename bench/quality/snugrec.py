"""snug's recommendations: run `snug-controller recommend` against the
Prometheus and read its `v1` `List` of `snug.dev/v1alpha1` Recommendations."""

import json
import re
import subprocess

_SUFFIX = {
    "": 1,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}
_QTY = re.compile(r"^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)?$")


def quantity(s):
    """A Kubernetes quantity ("250m", "300Mi", "2", "1e3", 0.5) as a float.
    Raises ValueError on anything else."""
    if isinstance(s, (int, float)) and not isinstance(s, bool):
        return float(s)
    if not isinstance(s, str):
        raise ValueError("not a quantity: %r" % (s,))
    m = _QTY.match(s.strip())
    if not m:
        raise ValueError("not a quantity: %r" % (s,))
    return float(m.group(1)) * _SUFFIX[m.group(2) or ""]


def run(cmd, prom_url, namespace, at, timeout=300):
    """Run `cmd recommend --prometheus URL -n NS -o json --at AT` (AT: unix
    seconds, the end of the history, where the peers evaluate too); returns
    (recs, raw) with recs = {deployment: {'cpu', 'memory', 'memory_limit',
    'cpu_limit'}} for container `app`. Raises RuntimeError with the
    command's stderr if it fails or prints something that is not a List of
    Recommendations."""
    argv = list(cmd) + ["recommend", "--prometheus", prom_url, "-n", namespace, "-o", "json", "--at", str(at)]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError("%s exited %d: %s" % (" ".join(argv), p.returncode, p.stderr[-3000:]))
    try:
        doc = json.loads(p.stdout)
    except ValueError as e:
        raise RuntimeError("%s: output is not JSON (%s): %s" % (argv[0], e, p.stdout[:500])) from e
    return parse(doc), doc


def parse(doc):
    """Targets per Deployment from a List of Recommendations (see run())."""
    if not isinstance(doc, dict) or doc.get("kind") != "List" or not isinstance(doc.get("items"), list):
        raise RuntimeError("expected a v1 List, got %s" % (str(doc)[:300],))
    out = {}
    for item in doc["items"]:
        if item.get("kind") != "Recommendation" or not str(item.get("apiVersion", "")).startswith("snug.dev/"):
            raise RuntimeError("not a snug Recommendation: %s" % (str(item)[:300],))
        ref = item.get("spec", {}).get("targetRef", {})
        if ref.get("kind") != "Deployment":
            continue
        for c in item.get("status", {}).get("containers", []) or []:
            if c.get("name") != "app":
                continue
            target = c.get("target", {}) or {}
            limits = c.get("limits", {}) or {}
            rec = {}
            if "cpu" in target:
                rec["cpu"] = quantity(target["cpu"])
            if "memory" in target:
                rec["memory"] = quantity(target["memory"])
            rec["memory_limit"] = quantity(limits["memory"]) if "memory" in limits else None
            rec["cpu_limit"] = quantity(limits["cpu"]) if "cpu" in limits else None
            out[ref.get("name")] = rec
    return out

"""Backfill blocks with promtool and run Debian's prometheus on them.

The server is the e2e tests' helper, tests/e2e/prometheus.py (127.0.0.1, a
free port, no scrape targets, killed with its parent). The backfill is our
own: that helper passes --max-block-duration only when promtool's --help
lists it, and 2.42's promtool takes the flag without listing it; without it
a week becomes 84 two-hour blocks, each a pass over the whole ~600 MB
OpenMetrics file (minutes, not seconds).
"""

import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "e2e"))

import prometheus as e2e_prometheus  # noqa: E402


def missing():
    """None when prometheus and promtool are installed, else why not."""
    return e2e_prometheus.missing()


def backfill(openmetrics_path, data_dir):
    """Turn an OpenMetrics file into TSDB blocks in data_dir (blocks up to
    486 h long, so a week is one block). Raises RuntimeError with promtool's
    output on failure."""
    cmd = [e2e_prometheus.PROMTOOL, "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=1000h", "--quiet",
           openmetrics_path, data_dir]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0:
        raise RuntimeError("%s failed (exit %d): %s" % (" ".join(cmd), p.returncode, p.stdout[-3000:]))


def start(data_dir, workdir, timeout=60):
    """A running Prometheus (the e2e helper's) serving data_dir: .url,
    .stop(), .log_tail(). Raises RuntimeError if it does not get ready."""
    prom = e2e_prometheus.Prometheus(
        data_dir, workdir, retention="3650d", extra_args=["--storage.tsdb.max-block-duration=1000h"]
    )
    return prom.start(timeout=timeout)

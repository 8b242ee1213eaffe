"""Backfill blocks with promtool and run Debian's prometheus on them.

A small helper of bench/quality's own (the e2e helper, tests/e2e/prometheus.py,
did not exist when this was written). The server listens on 127.0.0.1 on a
free port, scrapes nothing, keeps 10 years of data, and is stopped (its
process group killed) by stop() or on leaving the `with` block.
"""

import os
import signal
import socket
import subprocess
import time
import urllib.request

CONFIG = "global:\n  scrape_interval: 1m\n  evaluation_interval: 1m\n"


def backfill(promtool, openmetrics_path, data_dir):
    """Turn an OpenMetrics file into TSDB blocks in data_dir (one block up
    to 486 h long, so a week loads as one block). Raises CalledProcessError
    with promtool's output on failure."""
    subprocess.run(
        [promtool, "tsdb", "create-blocks-from", "openmetrics", "--max-block-duration=1000h", "--quiet",
         openmetrics_path, data_dir],
        check=True,
        capture_output=True,
        text=True,
    )


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Prometheus:
    """A prometheus process serving data_dir; .url once started."""

    def __init__(self, binary, data_dir, workdir):
        self.binary = binary
        self.data_dir = data_dir
        self.workdir = workdir
        self.proc = None
        self.url = None
        self.log_path = os.path.join(workdir, "prometheus.log")

    def start(self, timeout=60):
        """Start and wait until /-/ready answers 200. Raises RuntimeError
        with the log's tail if it exits or does not get ready in time."""
        cfg = os.path.join(self.workdir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write(CONFIG)
        port = _free_port()
        self.url = "http://127.0.0.1:%d" % port
        log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--config.file=" + cfg,
                "--storage.tsdb.path=" + self.data_dir,
                "--storage.tsdb.retention.time=3650d",
                "--storage.tsdb.max-block-duration=1000h",
                "--web.listen-address=127.0.0.1:%d" % port,
                "--log.level=warn",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("prometheus exited (%s): %s" % (self.proc.returncode, self.log_tail()))
            try:
                with urllib.request.urlopen(self.url + "/-/ready", timeout=2) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("prometheus not ready after %ds: %s" % (timeout, self.log_tail()))

    def log_tail(self, n=2000):
        try:
            with open(self.log_path) as f:
                return f.read()[-n:]
        except OSError:
            return ""

    def stop(self):
        """Stop the server (SIGTERM to its process group, SIGKILL after 10 s)."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        except ProcessLookupError:
            pass

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

#!/usr/bin/env bash
# bench/quality.sh -- recommendation quality: snug against the VPA
# recommender's algorithm and KRR's simple strategy, on synthetic workloads
# replayed through a real Prometheus (see docs/benchmarks.md,
# "Recommendation quality").
#
#   bench/quality.sh                     full run: 7 days of history, 7 scored
#   SNUG_BENCH_SHORT=1 bench/quality.sh  1 day + 1 day, fewer Pods: proves it
#                                        runs (CI); snug's row may be missing
#                                        while snug-controller is not built
#
# Extra arguments go to bench/quality/run.py: --seed N, --variant N,
# --json FILE, --workdir DIR, --snug-cmd CMD, --history-days, --future-days,
# --pods.
#
# Environment:
#   SNUG_BUILD_DIR   CMake build dir holding snug-controller (else --snug-cmd)
#   SNUG_BENCH_SHORT 1 for the short run
#
# Needs /usr/bin/python3 (3.11, standard library only) and Debian's
# prometheus (prometheus, promtool). The Prometheus it starts listens on
# 127.0.0.1 only and is stopped on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
die() { printf 'bench/quality.sh: %s\n' "$*" >&2; exit 1; }
# Debian's python3 (3.11, standard library only), as scripts/test.sh uses
PYTHON="${SNUG_PYTHON:-/usr/bin/python3}"
[ -x "$PYTHON" ] || PYTHON=python3
for t in "$PYTHON" prometheus promtool; do
    command -v "$t" >/dev/null 2>&1 || die "$t not found (apt-get install python3 prometheus)"
done

ARGS=()
if [ "${SNUG_BENCH_SHORT:-0}" = 1 ]; then
    ARGS+=(--short)
    # the bench's own parts first (under a second)
    "$PYTHON" "$ROOT/bench/quality/selftest.py" 2>&1 | tail -n 3
    [ "${PIPESTATUS[0]}" = 0 ] || die "bench/quality/selftest.py failed"
fi
exec "$PYTHON" "$ROOT/bench/quality/run.py" "${ARGS[@]}" "$@"

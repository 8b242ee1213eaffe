#!/usr/bin/env bash
# bench/controller.sh -- `snug-controller run` at scale: the real API server
# with N Deployments x 3 Pods (Pending: no kubelet), Prometheus with a week of
# their usage, then cold start, steady passes and a restart from checkpoints
# (see docs/benchmarks.md, "Controller at scale").
#
#   bench/controller.sh                     full run: 500 and 2,000 workloads,
#                                           7 days of history (~30-40 min on
#                                           the project's 2-CPU machine)
#   SNUG_BENCH_SHORT=1 bench/controller.sh  50 workloads, 1 day: proves it
#                                           runs (CI), ~2-3 minutes
#
# Extra arguments go to bench/controller/run.py: --sizes 500,2000,
# --namespaces N, --history-days D, --interval S, --json FILE, --workdir DIR
# (kept afterwards), --timeout S.
#
# Environment:
#   SNUG_BUILD_DIR   CMake build dir holding snug-controller (else built into
#                    out/build-bench/)
#   SNUG_BENCH_SHORT 1 for the short run
#   SNUG_CACHE_DIR   where tests/e2e/controlplane.sh caches its binaries
#
# Needs /usr/bin/python3 (3.11, standard library only), Debian's prometheus
# (prometheus, promtool) and the control plane binaries
# (tests/e2e/controlplane.sh build). Everything it starts listens on
# 127.0.0.1 and is stopped on exit, also on failure or Ctrl-C; each size
# runs in its own temporary directory, removed afterwards.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
die() { printf 'bench/controller.sh: %s\n' "$*" >&2; exit 1; }
PYTHON="${SNUG_PYTHON:-/usr/bin/python3}"
[ -x "$PYTHON" ] || PYTHON=python3
for t in "$PYTHON" prometheus promtool openssl curl; do
    command -v "$t" >/dev/null 2>&1 || die "$t not found (apt-get install python3 prometheus openssl curl)"
done

if [ -n "${SNUG_BUILD_DIR:-}" ]; then
    BIN="$SNUG_BUILD_DIR/snug-controller"
else
    BUILD="$ROOT/out/build-bench"
    cmake -S "$ROOT" -B "$BUILD" -G Ninja >/dev/null
    ninja -C "$BUILD" snug-controller >/dev/null
    BIN="$BUILD/snug-controller"
fi
[ -x "$BIN" ] || die "no snug-controller at $BIN"

ARGS=(--controller "$BIN")
[ "${SNUG_BENCH_SHORT:-0}" = 1 ] && ARGS+=(--short)
exec "$PYTHON" "$ROOT/bench/controller/run.py" "${ARGS[@]}" "$@"

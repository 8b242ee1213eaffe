#!/usr/bin/env bash
# Run every snug test: the one command the README documents and CI runs.
#
#   scripts/test.sh            all stages
#   SNUG_TEST_STAGES="unit e2e" scripts/test.sh   a subset
#
# Stages, in order:
#   deps     install Debian packages (scripts/install-deps.sh)
#   format   clang-format check of the whole tree
#   unit     gcc build, -Werror, CTest (unit tests + golden files + CLI bad input)
#   clang    clang build with ASan+UBSan, CTest again
#   valgrind every C unit test under valgrind (no leaks, no errors)
#   fuzz     each libFuzzer target for a few seconds on its corpus
#   server   pytest against snug-webhook serve over real TLS on 127.0.0.1
#   bench    each benchmark in its short mode (proves it runs; not a timing)
#   e2e      pytest against a real etcd + kube-apiserver + kube-controller-manager
#            (built once from the Go module proxy and cached outside the repo)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STAGES="${SNUG_TEST_STAGES:-deps format unit clang valgrind fuzz server bench e2e}"
OUT="${SNUG_TEST_OUT:-$ROOT/out/test}"
JOBS="$(nproc 2>/dev/null || echo 2)"
mkdir -p "$OUT"

stage() { printf '\n==== %s ====\n' "$*"; }
want() { case " $STAGES " in *" $1 "*) return 0 ;; esac; return 1; }
t0=$(date +%s)

if want deps; then
    stage "deps: Debian packages"
    bash "$ROOT/scripts/install-deps.sh"
fi

if want format; then
    stage "format: clang-format --dry-run -Werror"
    bash "$ROOT/scripts/check-format.sh"
fi

if want unit; then
    stage "unit: gcc -Werror build + CTest"
    cmake -S "$ROOT" -B "$ROOT/build" -G Ninja -DCMAKE_C_COMPILER=gcc >/dev/null
    ninja -C "$ROOT/build" -j "$JOBS"
    ctest --test-dir "$ROOT/build" --output-on-failure -j "$JOBS"
fi

if want clang; then
    stage "clang: clang -Werror build with ASan+UBSan + CTest"
    cmake -S "$ROOT" -B "$ROOT/build-asan" -G Ninja -DCMAKE_C_COMPILER=clang \
        -DSNUG_SANITIZE=ON >/dev/null
    ninja -C "$ROOT/build-asan" -j "$JOBS"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --test-dir "$ROOT/build-asan" --output-on-failure -j "$JOBS"
fi

if want valgrind; then
    stage "valgrind: C unit tests under memcheck"
    [ -d "$ROOT/build" ] || { cmake -S "$ROOT" -B "$ROOT/build" -G Ninja >/dev/null; ninja -C "$ROOT/build"; }
    fails=0
    for t in "$ROOT"/build/test_*; do
        [ -x "$t" ] || continue
        name="$(basename "$t")"
        if valgrind -q --error-exitcode=99 --leak-check=full \
            --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
            "$t" >"$OUT/valgrind-$name.log" 2>&1; then
            echo "valgrind ok   $name"
        else
            echo "valgrind FAIL $name (see $OUT/valgrind-$name.log)"
            tail -40 "$OUT/valgrind-$name.log"
            fails=$((fails + 1))
        fi
    done
    [ "$fails" -eq 0 ] || { echo "valgrind: $fails test(s) failed"; exit 1; }
fi

if want fuzz; then
    stage "fuzz: libFuzzer smoke run"
    bash "$ROOT/scripts/fuzz.sh" "${SNUG_FUZZ_SECONDS:-10}"
fi

if want server; then
    stage "server: TLS admission server tests"
    SNUG_BUILD_DIR="$ROOT/build" python3 -m pytest "$ROOT/tests/server" -v -rs
fi

if want bench; then
    stage "bench: short runs"
    "$ROOT/build/bench_admission" 2000
    for b in "$ROOT"/bench/*.sh; do
        [ -f "$b" ] || continue
        SNUG_BUILD_DIR="$ROOT/build" SNUG_BENCH_SHORT=1 bash "$b"
    done
fi

if want e2e; then
    stage "e2e: real control plane"
    export SNUG_BUILD_DIR="$ROOT/build"
    set +e
    python3 -m pytest "$ROOT/tests/e2e" -v -rs --durations=10
    rc=$?
    set -e
    # pytest exits 5 when it collected no test: that is a failure here.
    [ "$rc" -eq 0 ] || { echo "e2e: pytest exit $rc"; exit "$rc"; }
fi

echo
echo "all stages passed ($STAGES) in $(($(date +%s) - t0))s"

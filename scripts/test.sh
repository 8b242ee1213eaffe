#!/usr/bin/env bash
# Run every snug test: the one command the README documents and CI runs.
#
#   scripts/test.sh            all stages
#   SNUG_TEST_STAGES="unit e2e" scripts/test.sh   a subset
#
# Stages, in order:
#   deps     install Debian packages (scripts/install-deps.sh test)
#   format   clang-format check of the whole tree, include layout check
#   scripts  pytest of the scripts themselves (tests/scripts: which Go builds
#            the control plane, fetching a toolchain when PATH has none)
#   unit     gcc build, -Werror, CTest (unit tests + golden files + CLI bad input)
#   clang    clang build with ASan+UBSan, CTest again
#   valgrind every C unit test under valgrind (no leaks, no errors)
#   fuzz     each libFuzzer target for a few seconds on its corpus
#   server   pytest against snug-webhook serve over real TLS on 127.0.0.1
#   bench    each benchmark in its short mode (proves it runs; not a timing)
#   e2e      pytest against a real etcd + kube-apiserver + kube-controller-manager
#            (built once from the Go module proxy and cached outside the repo)
#
# Every stage runs even when one before it failed (a stage that needs the
# unit stage's build fails too when that build failed); the end shows which
# passed and which failed, and the exit status is 1 when any failed.
#
# pytest runs on Debian's python3 (/usr/bin/python3): python3-pytest and
# python3-yaml are installed for it. Another python3 earlier in PATH (pyenv,
# a virtualenv) may lack them or be another version; SNUG_PYTHON=PATH picks one.
#
# Environment: SNUG_TEST_STAGES, SNUG_TEST_OUT (logs, default out/test),
# SNUG_PYTHON, SNUG_FUZZ_SECONDS (default 10), SNUG_TEST_OFFLINE=1 (skip the
# test that downloads the pinned Go toolchain), and those of
# tests/e2e/controlplane.sh (SNUG_CACHE_DIR, SNUG_BUILD_JOBS).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ALL_STAGES="deps format scripts unit clang valgrind fuzz server bench e2e"
STAGES="${SNUG_TEST_STAGES:-$ALL_STAGES}"
OUT="${SNUG_TEST_OUT:-$ROOT/out/test}"
JOBS="$(nproc 2>/dev/null || echo 2)"
PYTHON="${SNUG_PYTHON:-/usr/bin/python3}"
[ -x "$PYTHON" ] || PYTHON=python3
mkdir -p "$OUT"

stage() { printf '\n==== %s ====\n' "$*"; }

# ------------------------------------------------------------------ stages --
# Each runs in a subshell with set -e: the first failing command ends it.

stage_deps() {
    stage "deps: Debian packages"
    bash "$ROOT/scripts/install-deps.sh" test
}

stage_format() {
    stage "format: clang-format --dry-run -Werror, include layout"
    bash "$ROOT/scripts/check-format.sh"
    # The include rules of lib/ (no include up a layer, no loops).
    if [ -f "$ROOT/scripts/check-layout.sh" ]; then
        bash "$ROOT/scripts/check-layout.sh"
    fi
}

stage_scripts() {
    stage "scripts: tests of the scripts (Go toolchain selection and fetch)"
    "$PYTHON" -m pytest "$ROOT/tests/scripts" -v -rs
}

stage_unit() {
    stage "unit: gcc -Werror build + CTest"
    bash "$ROOT/scripts/configure.sh" "$ROOT/build" gcc
    ninja -C "$ROOT/build" -j "$JOBS"
    ctest --test-dir "$ROOT/build" --output-on-failure -j "$JOBS"
}

stage_clang() {
    stage "clang: clang -Werror build with ASan+UBSan + CTest"
    bash "$ROOT/scripts/configure.sh" "$ROOT/build-asan" clang -DSNUG_SANITIZE=ON
    ninja -C "$ROOT/build-asan" -j "$JOBS"
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --test-dir "$ROOT/build-asan" --output-on-failure -j "$JOBS"
}

stage_valgrind() {
    stage "valgrind: C unit tests under memcheck"
    if [ ! -f "$ROOT/build/build.ninja" ]; then
        bash "$ROOT/scripts/configure.sh" "$ROOT/build" gcc
        ninja -C "$ROOT/build" -j "$JOBS"
    fi
    local fails=0 t name
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
    [ "$fails" -eq 0 ] || { echo "valgrind: $fails test(s) failed"; return 1; }
}

stage_fuzz() {
    stage "fuzz: libFuzzer smoke run"
    bash "$ROOT/scripts/fuzz.sh" "${SNUG_FUZZ_SECONDS:-10}"
}

stage_server() {
    stage "server: TLS admission server tests"
    SNUG_BUILD_DIR="$ROOT/build" "$PYTHON" -m pytest "$ROOT/tests/server" -v -rs
}

stage_bench() {
    stage "bench: short runs"
    "$ROOT/build/bench_admission" 2000
    local b
    for b in "$ROOT"/bench/*.sh; do
        [ -f "$b" ] || continue
        SNUG_BUILD_DIR="$ROOT/build" SNUG_BENCH_SHORT=1 bash "$b"
    done
}

stage_e2e() {
    stage "e2e: real control plane"
    # pytest exits 5 when it collected no test: that fails here too.
    SNUG_BUILD_DIR="$ROOT/build" "$PYTHON" -m pytest "$ROOT/tests/e2e" -v -rs --durations=10
}

# -------------------------------------------------------------------- main --
for s in $STAGES; do
    case " $ALL_STAGES " in
        *" $s "*) ;;
        *) echo "scripts/test.sh: unknown stage '$s' (stages: $ALL_STAGES)" >&2; exit 2 ;;
    esac
done

t0=$(date +%s)
passed=() failed=() summary=()
set +e
for s in $ALL_STAGES; do
    case " $STAGES " in *" $s "*) ;; *) continue ;; esac
    ts=$(date +%s)
    (
        set -euo pipefail
        "stage_$s"
    )
    rc=$?
    took=$(($(date +%s) - ts))
    if [ "$rc" -eq 0 ]; then
        passed+=("$s")
        summary+=("$(printf '  ok      %-9s %5ss' "$s" "$took")")
    else
        failed+=("$s")
        summary+=("$(printf '  FAILED  %-9s %5ss  (exit %d)' "$s" "$took" "$rc")")
        printf '\n==== stage %s FAILED (exit %d); going on with the others ====\n' "$s" "$rc"
    fi
done
set -e

stage "summary"
printf '%s\n' "${summary[@]}"
echo
if [ "${#failed[@]}" -gt 0 ]; then
    echo "FAILED stages: ${failed[*]} (${#passed[@]} passed, ${#failed[@]} failed) in $(($(date +%s) - t0))s"
    exit 1
fi
echo "all stages passed (${passed[*]}) in $(($(date +%s) - t0))s"

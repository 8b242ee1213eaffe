#!/usr/bin/env bash
# fuzz.sh -- build every libFuzzer target (tests/fuzz/fuzz_<name>.c) with clang,
# ASan and UBSan into build-fuzz/, then run each for N seconds on its corpus
# tests/fuzz/corpus_<name>/.
#
# usage: scripts/fuzz.sh [seconds-per-target] [target...]
#   scripts/fuzz.sh              60 s for each target
#   scripts/fuzz.sh 600 mutate   10 minutes of fuzz_mutate only
#
# New inputs the fuzzer finds are written to build-fuzz/corpus_<name>/ (the
# seed corpus in the tree is only read). A crash leaves its reproducer as
# build-fuzz/crash-<hash>; rerun it with build-fuzz/fuzz_<name> <file>.
# SNUG_FUZZ_BUILD=<dir> builds elsewhere than build-fuzz/.
# Exit status: 0 when every target ran clean, 1 otherwise.
set -euo pipefail

seconds=${1:-60}
shift || true
case "$seconds" in '' | *[!0-9]*) echo "usage: $0 [seconds] [target...]" >&2; exit 2 ;; esac

root=$(cd "$(dirname "$0")/.." && pwd)
build=${SNUG_FUZZ_BUILD:-$root/build-fuzz}

# CMake adds -fsanitize=fuzzer-no-link with SNUG_FUZZ, which gives the libraries
# coverage instrumentation too (else libFuzzer sees only the target file).
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang -DSNUG_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for src in "$root"/tests/fuzz/fuzz_*.c; do
        name=$(basename "$src" .c)
        targets+=("${name#fuzz_}")
    done
fi
ninja -C "$build" "${targets[@]/#/fuzz_}"

status=0
for name in "${targets[@]}"; do
    seeds="$root/tests/fuzz/corpus_$name"
    work="$build/corpus_$name"
    mkdir -p "$work"
    dirs=("$work")
    [ -d "$seeds" ] && dirs+=("$seeds")
    echo "== fuzz_$name: ${seconds}s, corpus ${dirs[*]}"
    if ! (cd "$build" && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        "./fuzz_$name" "${dirs[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 2>&1 | tail -n 25); then
        echo "== fuzz_$name FAILED (reproducer, if any: $build/crash-*)"
        status=1
    fi
done
exit $status

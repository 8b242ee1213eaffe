#!/usr/bin/env bash
# configure.sh BUILD_DIR [CC] [CMAKE_ARGS...] - configure a snug CMake build
# dir the one way scripts/test.sh and scripts/demo.sh both do: Ninja, with
# the C compiler CC (default gcc), quietly (CMake's output is shown when it
# fails).
#
# CMake deletes a build dir's whole cache, and so rebuilds everything, when
# CMAKE_C_COMPILER differs from the cached one, also when both are the same
# compiler by different names (/usr/bin/cc and gcc). So the compiler is
# named only for a new build dir, or when the cached one is really another
# compiler: then the rebuild is what is wanted, and this says so.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ $# -ge 1 ] || {
  echo "usage: $0 BUILD_DIR [CC] [CMAKE_ARGS...]" >&2
  exit 2
}
DIR=$1
CC_WANT=${2:-gcc}
shift $(($# >= 2 ? 2 : 1))

# cached_compiler: the CMAKE_C_COMPILER in DIR's cache, resolved; empty if none
cached_compiler() {
  local c
  [ -f "$DIR/CMakeCache.txt" ] || return 0
  c=$(sed -n 's/^CMAKE_C_COMPILER:[A-Z]*=//p' "$DIR/CMakeCache.txt")
  [ -z "$c" ] || readlink -f "$(command -v "$c" || echo "$c")"
}

want=$(command -v "$CC_WANT") || {
  echo "configure.sh: no C compiler '$CC_WANT' on PATH (scripts/install-deps.sh build)" >&2
  exit 1
}
args=(-S "$ROOT" -B "$DIR" -G Ninja "$@")
cached=$(cached_compiler)
if [ "$cached" != "$(readlink -f "$want")" ]; then
  if [ -n "$cached" ]; then
    echo "configure.sh: $DIR was configured with $cached, not $CC_WANT: CMake rebuilds it" >&2
  fi
  args+=(-DCMAKE_C_COMPILER="$CC_WANT")
fi
if ! out=$(cmake "${args[@]}" 2>&1); then
  printf '%s\n' "$out" >&2
  echo "configure.sh: cmake ${args[*]} failed" >&2
  exit 1
fi

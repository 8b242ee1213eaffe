#!/usr/bin/env bash
# helm.sh - the helm the chart tests and scripts/render-manifests.sh use:
# helm.sh/helm/v3/cmd/helm at a pinned release, built from the Go module
# proxy and cached outside the repo (like tests/e2e/controlplane.sh).
#
#   helm.sh build          build it, or find it cached; prints the binary
#   helm.sh path           print the binary's path (built or not)
#   helm.sh cached         exit 0 when it is built, 1 when not
#   helm.sh run ARGS...    run it (building it first when needed)
#
# A cold build takes a few minutes on 2 CPUs and downloads about 150 MB of
# modules. One build at a time (flock); a second caller waits and then finds
# the binary. The Go is scripts/go-toolchain.sh's (the go on PATH when new
# enough, else the pinned toolchain, fetched into the cache).
#
# Environment:
#   SNUG_CACHE_DIR    cache root (default ~/.cache/snug); the binary goes to
#                     $SNUG_CACHE_DIR/helm-VERSION/bin/helm, Go's build cache
#                     to $SNUG_CACHE_DIR/helm-VERSION/go-build (removed after a
#                     build that succeeds), modules to the shared
#                     $SNUG_CACHE_DIR/gopath/pkg/mod
#   SNUG_BUILD_JOBS   go build -p (default 2)
#   GOPROXY, GOSUMDB  as for the go command
set -euo pipefail

# ---------------------------------------------------------------- versions --
# v3.19.5 is the newest Helm 3 whose go.mod asks for no more than Go 1.24
# (scripts/go-toolchain.sh's GO_MIN; v3.20 wants 1.25, v3.21 wants 1.26), so
# the pinned toolchain builds it where PATH has no newer Go. Its commit and
# the Kubernetes modules it builds against (k8s.io/client-go v0.34.2), for
# the version strings helm prints and the default KubeVersion of `helm
# template` and `helm lint`:
HELM_VERSION=v3.19.5
HELM_COMMIT=4a19a5b6fb912c5c28a779e73f2e0880d9e239a4
HELM_K8S_MAJOR=1
HELM_K8S_MINOR=34

SELF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GO_TOOLCHAIN=$SELF_DIR/go-toolchain.sh
SNUG_CACHE=${SNUG_CACHE_DIR:-$HOME/.cache/snug}
HELM_DIR=$SNUG_CACHE/helm-$HELM_VERSION
HELM_BIN=$HELM_DIR/bin/helm

log() { printf 'helm.sh: %s\n' "$*" >&2; }
die() {
  printf 'helm.sh: error: %s\n' "$*" >&2
  exit 1
}

# built: the cached binary exists and says it is HELM_VERSION
built() {
  [ -x "$HELM_BIN" ] || return 1
  "$HELM_BIN" version --template '{{.Version}}' 2>/dev/null | grep -qx "$HELM_VERSION"
}

# use_go: the Go of scripts/go-toolchain.sh, with everything it writes kept
# in the cache (as controlplane.sh's use_go does).
use_go() {
  local out source gobin gover
  out=$(bash "$GO_TOOLCHAIN" ensure) || die "no Go to build helm with (see above)"
  read -r source gobin gover <<<"$out"
  [ -x "$gobin" ] || die "go-toolchain.sh gave no go binary: $out"
  [ "$source" = path ] || unset GOROOT
  PATH=$(dirname "$gobin"):$PATH
  export PATH
  export GOPATH=$SNUG_CACHE/gopath
  export GOMODCACHE=$GOPATH/pkg/mod
  export GOCACHE=$HELM_DIR/go-build
  export GOFLAGS="-modcacherw" CGO_ENABLED=0 GOTOOLCHAIN=local
  export GOENV=${GOENV:-${XDG_CONFIG_HOME:-$HOME/.config}/go/env}
  export XDG_CONFIG_HOME=$SNUG_CACHE/go-config
  log "building with $gover ($source: $gobin)"
}

cmd_build() {
  if built; then
    echo "$HELM_BIN"
    return 0
  fi
  mkdir -p "$HELM_DIR"
  exec 9>"$HELM_DIR/.build.lock"
  flock 9
  if built; then
    log "built by another process meanwhile"
    echo "$HELM_BIN"
    return 0
  fi
  use_go
  local t0 tmp v=helm.sh/helm/v3 ld
  t0=$(date +%s)
  tmp=$(mktemp -d "$HELM_DIR/.build.XXXXXX")
  BUILD_TMP=$tmp # removed by on_exit
  ld="-s -w -X $v/internal/version.version=$HELM_VERSION"
  ld+=" -X $v/internal/version.gitCommit=$HELM_COMMIT -X $v/internal/version.gitTreeState=clean"
  ld+=" -X $v/pkg/lint/rules.k8sVersionMajor=$HELM_K8S_MAJOR"
  ld+=" -X $v/pkg/lint/rules.k8sVersionMinor=$HELM_K8S_MINOR"
  ld+=" -X $v/pkg/chartutil.k8sVersionMajor=$HELM_K8S_MAJOR"
  ld+=" -X $v/pkg/chartutil.k8sVersionMinor=$HELM_K8S_MINOR"
  log "building $v/cmd/helm@$HELM_VERSION (go build -p ${SNUG_BUILD_JOBS:-2})"
  # go install PKG@VERSION: helm's own go.mod decides every dependency.
  (cd "$tmp" && GOBIN=$tmp/bin go install -p "${SNUG_BUILD_JOBS:-2}" -trimpath \
    -ldflags "$ld" "$v/cmd/helm@$HELM_VERSION") || die "go install failed (see above)"
  "$tmp/bin/helm" version --template '{{.Version}}' | grep -qx "$HELM_VERSION" ||
    die "the built helm does not report $HELM_VERSION"
  # Publish atomically: a half-written binary is never visible.
  mkdir -p "$HELM_DIR/bin"
  mv "$tmp/bin/helm" "$HELM_BIN"
  # The build cache only serves a rebuild of this very pin; the modules stay.
  rm -rf "$GOCACHE"
  log "built in $(($(date +%s) - t0))s: $HELM_BIN"
  echo "$HELM_BIN"
}

on_exit() {
  local rc=$?
  [ -z "${BUILD_TMP:-}" ] || rm -rf "$BUILD_TMP"
  exit "$rc"
}
trap on_exit EXIT

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

case ${1:-} in
  build) cmd_build ;;
  path) echo "$HELM_BIN" ;;
  cached) built ;;
  run)
    shift
    cmd_build >/dev/null
    exec "$HELM_BIN" "$@"
    ;;
  *) usage ;;
esac

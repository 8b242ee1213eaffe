#!/usr/bin/env bash
# controlplane.sh - a real Kubernetes control plane on loopback for the e2e
# tests: etcd + kube-apiserver + kube-controller-manager (+ kubectl), built
# from the Go module proxy at pinned releases and cached outside the repo.
#
#   controlplane.sh build                    build (or find cached) binaries
#   controlplane.sh path                     print the bin dir
#   controlplane.sh start STATE_DIR          start all three, write kubeconfigs
#   controlplane.sh stop STATE_DIR           stop all three (idempotent)
#   controlplane.sh stop-apiserver STATE_DIR
#   controlplane.sh start-apiserver STATE_DIR  same port, same flags
#   controlplane.sh kubectl STATE_DIR ARGS...
#
# Environment:
#   SNUG_CACHE_DIR        cache root (default ~/.cache/snug)
#   SNUG_BUILD_JOBS       go build -p (default 2)
#   SNUG_CP_WATCH_PID     if set at `start`, stop everything once that pid is
#                         gone (the test runner sets it to its own pid)
#   SNUG_CP_TIMEOUT       seconds to wait for readiness (default 120)
#
# See docs/testing.md.
set -euo pipefail

# ---------------------------------------------------------------- versions --
# Pinned releases. The staging modules (k8s.io/api, ...) are published as
# v0.N.M for Kubernetes v1.N.M.
K8S_VERSION=v1.34.4
ETCD_VERSION=v3.6.8

CACHE_ROOT=${SNUG_CACHE_DIR:-$HOME/.cache/snug}/controlplane
BIN_DIR=$CACHE_ROOT/k8s-$K8S_VERSION-etcd-$ETCD_VERSION/bin
BINARIES=(etcd kube-apiserver kube-controller-manager kubectl)

SERVICE_CIDR=10.0.0.0/24
SERVICE_FIRST_IP=10.0.0.1
TIMEOUT=${SNUG_CP_TIMEOUT:-120}

log() { printf 'controlplane: %s\n' "$*" >&2; }
die() {
  printf 'controlplane: error: %s\n' "$*" >&2
  exit 1
}
now_ms() { date +%s%3N; }
elapsed() { # elapsed START_MS -> "12.3s"
  local d=$(($(now_ms) - $1))
  printf '%d.%ds' $((d / 1000)) $((d % 1000 / 100))
}

# ------------------------------------------------------------------- build --
have_binaries() {
  local b
  for b in "${BINARIES[@]}"; do
    [ -x "$BIN_DIR/$b" ] || return 1
  done
}

# Module paths required at v0.0.0 by k8s.io/kubernetes' own go.mod (the
# staging modules, which the release replaces with ./staging/src/...).
staging_modules() { # staging_modules GOMOD_FILE
  awk '
    /^require[ \t]*\(/ { inreq = 1; next }
    inreq && /^\)/     { inreq = 0; next }
    inreq && $2 == "v0.0.0" { print $1; next }
    /^require[ \t]/ && $3 == "v0.0.0" { print $2 }
  ' "$1" | sort -u
}

build_kubernetes() { # build_kubernetes WORK_DIR OUT_DIR
  local work=$1/k8s out=$2 gomod mods m staging_ver
  mkdir -p "$work"
  log "fetching k8s.io/kubernetes@$K8S_VERSION go.mod from the module proxy"
  gomod=$(cd "$work" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" |
    sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
  [ -n "$gomod" ] && [ -f "$gomod" ] || die "no go.mod for k8s.io/kubernetes@$K8S_VERSION"
  mods=$(staging_modules "$gomod")
  [ -n "$mods" ] || die "no v0.0.0 staging modules found in $gomod"
  staging_ver=v0.${K8S_VERSION#v1.}
  log "replacing $(echo "$mods" | wc -l) staging modules with $staging_ver"
  {
    echo "module snug.invalid/controlplane-wrapper"
    echo
    echo "go 1.24.0"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    for m in $mods; do echo "	$m => $m $staging_ver"; done
    echo ")"
  } >"$work/go.mod"
  local vpkg=k8s.io/component-base/version cpkg=k8s.io/client-go/pkg/version
  local major=${K8S_VERSION#v} minor
  minor=${major#*.}
  minor=${minor%%.*}
  major=${major%%.*}
  local ldx="" p
  for p in $vpkg $cpkg; do
    ldx+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=$major"
    ldx+=" -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
    ldx+=" -X $p.buildDate=1970-01-01T00:00:00Z"
  done
  log "building kube-apiserver, kube-controller-manager, kubectl $K8S_VERSION (go build -p $JOBS)"
  (cd "$work" && go build -p "$JOBS" -trimpath -ldflags "-s -w$ldx" -o "$out/" \
    k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kubectl)
}

build_etcd() { # build_etcd WORK_DIR OUT_DIR
  local work=$1/etcd out=$2 m
  mkdir -p "$work"
  # etcd's replace lines (../api, ../client/v3, ...) do not apply to a
  # dependency: pin its sibling modules to the same release explicitly.
  {
    echo "module snug.invalid/etcd-wrapper"
    echo
    echo "go 1.24.0"
    echo
    echo "require ("
    for m in server/v3 api/v3 client/pkg/v3 client/v3 pkg/v3; do
      echo "	go.etcd.io/etcd/$m $ETCD_VERSION"
    done
    echo ")"
  } >"$work/go.mod"
  log "building etcd $ETCD_VERSION (go build -p $JOBS)"
  (cd "$work" && go build -p "$JOBS" -trimpath -ldflags "-s -w" -o "$out/etcd" \
    go.etcd.io/etcd/server/v3)
}

cmd_build() {
  if have_binaries; then
    log "cached: $BIN_DIR"
    return 0
  fi
  command -v go >/dev/null || die "go not on PATH (needed to build the control plane)"
  mkdir -p "$CACHE_ROOT"
  # One builder at a time; a second caller waits and then finds the cache.
  exec 9>"$CACHE_ROOT/.build.lock"
  flock 9
  if have_binaries; then
    log "cached (built by another process): $BIN_DIR"
    return 0
  fi
  JOBS=${SNUG_BUILD_JOBS:-2}
  export GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local
  local t0 tmp
  t0=$(now_ms)
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/snug-cp-build.XXXXXX")
  # shellcheck disable=SC2064
  trap "rm -rf '$tmp'" EXIT
  mkdir -p "$tmp/out"
  log "cold build into $BIN_DIR ($(go version))"
  build_etcd "$tmp" "$tmp/out"
  log "etcd built after $(elapsed "$t0")"
  build_kubernetes "$tmp" "$tmp/out"
  printf 'kubernetes %s\netcd %s\n%s\n' "$K8S_VERSION" "$ETCD_VERSION" "$(go version)" \
    >"$tmp/out/VERSIONS"
  # Publish atomically: a half-built bin dir is never visible.
  local stage
  stage=$(mktemp -d "$CACHE_ROOT/.stage.XXXXXX")
  mv "$tmp/out" "$stage/bin"
  mkdir -p "$(dirname "$BIN_DIR")"
  rm -rf "$BIN_DIR"
  mv "$stage/bin" "$BIN_DIR"
  rmdir "$stage"
  log "built in $(elapsed "$t0"): $BIN_DIR"
}

# ---------------------------------------------------------------- dispatch --
usage() {
  sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

main() {
  [ $# -ge 1 ] || usage
  local cmd=$1
  shift
  case $cmd in
    build) cmd_build ;;
    path) echo "$BIN_DIR" ;;
    -h | --help | help) usage ;;
    *) die "unknown command: $cmd (try --help)" ;;
  esac
}

main "$@"

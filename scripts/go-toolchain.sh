#!/usr/bin/env bash
# go-toolchain.sh - the Go that builds the test control plane: a go on PATH
# when it is new enough, else a Go toolchain fetched into snug's cache. The
# system's Go is never replaced or changed.
#
#   go-toolchain.sh decide   print which Go `ensure` would use, fetching nothing
#   go-toolchain.sh ensure   find it, fetching the toolchain when needed
#
# Both print one line, "SOURCE GO_BINARY GOVERSION", where SOURCE is
#   path     the go on PATH is new enough (>= go$GO_MIN)
#   cached   none is; the toolchain below is already in the cache
#   fetch    none is, nor cached: `ensure` would fetch it (decide only)
#   fetched  `ensure` fetched it just now
# and say why on stderr.
#
# The toolchain is the module golang.org/toolchain, which the go command's
# own GOTOOLCHAIN switching downloads: its zip for this OS and CPU comes
# from the first proxy in GOPROXY (default https://proxy.golang.org), is
# checked against the h1: hash pinned below (another SNUG_GO_VERSION:
# against the checksum database's record, looked up through that proxy,
# else at the GOSUMDB host) before anything is unpacked, and is unpacked
# into ${SNUG_CACHE_DIR:-~/.cache/snug}/go/GOVERSION.OS-ARCH/ (a GOROOT).
#
# Environment:
#   SNUG_CACHE_DIR    cache root (default ~/.cache/snug)
#   SNUG_GO_VERSION   the toolchain to fetch (default go1.24.13, pinned)
#   GOPROXY, GOSUMDB  as for the go command
#
# Needs bash, curl, python3 (the zip is read with python's zipfile: Debian
# has no unzip by default) and flock.
set -euo pipefail

# ---------------------------------------------------------------- versions --
# Kubernetes v1.34.4 and etcd v3.6.8 both say `go 1.24.0` in their go.mod.
GO_MIN=1.24
# The toolchain fetched when no go on PATH is new enough: the one etcd
# v3.6.8 names in its `toolchain` line, the last Go 1.24 release, and the
# Go of the 1.34 Kubernetes releases. Its hashes are the checksum
# database's records (sum.golang.org) for golang.org/toolchain
# v0.0.1-go1.24.13.linux-{amd64,arm64}, checked against the zips.
GO_VERSION=${SNUG_GO_VERSION:-go1.24.13}
declare -A GO_PINNED_H1=(
  [go1.24.13.linux-amd64]=h1:5sgfUhn9QCgVl4UYj32GrIYFHI3bi2UX55tNfupXwxc=
  [go1.24.13.linux-arm64]=h1:l0oOtQpOBay3IDfyGSF3ZLivy3x5c1byllrr/QfyDeM=
)

SNUG_CACHE=${SNUG_CACHE_DIR:-$HOME/.cache/snug}
CACHE=$SNUG_CACHE/go

log() { printf 'go-toolchain: %s\n' "$*" >&2; }
die() {
  printf 'go-toolchain: error: %s\n' "$*" >&2
  exit 1
}

# ----------------------------------------------------------------- helpers --
# platform -> "linux-amd64": the toolchain module's OS-ARCH suffix
platform() {
  local os arch
  os=$(uname -s | tr '[:upper:]' '[:lower:]')
  case $(uname -m) in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) die "no Go toolchain for CPU $(uname -m) here: put a Go >= $GO_MIN on PATH" ;;
  esac
  echo "$os-$arch"
}

# go_version GO_BINARY -> "go1.24.13" (its GOVERSION), or fails. Run with
# GOTOOLCHAIN=local from / so no go.mod or toolchain switch gets involved.
# A toolchain of the cache keeps its telemetry counters in the cache too
# (as tests/e2e/controlplane.sh has it), not in ~/.config/go.
go_version() {
  local cfg=${XDG_CONFIG_HOME:-$HOME/.config} goenv
  goenv=${GOENV:-$cfg/go/env} # the user's `go env -w` settings either way
  case $1 in "$CACHE"/*) cfg=$SNUG_CACHE/go-config ;; esac
  (cd / && GOTOOLCHAIN=local GOFLAGS='' XDG_CONFIG_HOME=$cfg GOENV=$goenv \
    "$1" env GOVERSION 2>/dev/null) | head -n 1
}

# new_enough GOVERSION: true for go$GO_MIN.0 and later. "go1.24rc1" is older
# than go1.24.0; "devel go1.27-abcdef" counts as 1.27.
new_enough() {
  local v=$1 major minor rest
  v=${v#devel }
  v=${v#go}
  [[ $v =~ ^([0-9]+)\.([0-9]+)(.*)$ ]] || return 1
  major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]} rest=${BASH_REMATCH[3]}
  local want_major=${GO_MIN%%.*} want_minor=${GO_MIN#*.}
  ((major > want_major)) && return 0
  ((major < want_major)) && return 1
  ((minor > want_minor)) && return 0
  ((minor < want_minor)) && return 1
  # same minor: a release candidate or beta of it is older than .0
  case $rest in rc* | beta*) return 1 ;; esac
  return 0
}

toolchain_dir() { echo "$CACHE/$GO_VERSION.$(platform)"; }

# cached_ok DIR: DIR holds a toolchain whose go reports GO_VERSION
cached_ok() {
  [ -x "$1/bin/go" ] && [ "$(go_version "$1/bin/go")" = "$GO_VERSION" ]
}

# ---------------------------------------------------------------- decision --
# decide: print "SOURCE GO_BINARY GOVERSION" (see the top); never fetches.
decide() {
  local go v dir
  if go=$(command -v go); then
    if ! v=$(go_version "$go") || [ -z "$v" ]; then
      log "$go does not run (go env GOVERSION failed): not using it"
    elif new_enough "$v"; then
      log "using $v from PATH ($go)"
      echo "path $go $v"
      return 0
    else
      log "$v on PATH ($go) is too old (need >= go$GO_MIN)"
    fi
  else
    log "no go on PATH"
  fi
  dir=$(toolchain_dir)
  if cached_ok "$dir"; then
    log "using $GO_VERSION from the cache ($dir)"
    echo "cached $dir/bin/go $GO_VERSION"
  else
    log "$GO_VERSION is not in the cache ($dir)"
    echo "fetch $dir/bin/go $GO_VERSION"
  fi
}

# ------------------------------------------------------------------- fetch --
# proxy_url: the first proxy of GOPROXY (entries are separated by , or |)
proxy_url() {
  local first=${GOPROXY:-https://proxy.golang.org}
  first=${first%%[,|]*}
  case $first in
    off) die "GOPROXY=off: cannot fetch the Go toolchain (put a Go >= $GO_MIN on PATH)" ;;
    direct | "") die "GOPROXY=${GOPROXY:-}: the Go toolchain comes only from a module proxy" ;;
  esac
  echo "${first%/}"
}

# expected_h1 MODVER PROXY: the pinned hash, else the checksum database's.
expected_h1() {
  local modver=$1 proxy=$2 key db rec url
  key=$GO_VERSION.$(platform)
  if [ -n "${GO_PINNED_H1[$key]:-}" ]; then
    echo "${GO_PINNED_H1[$key]}"
    return 0
  fi
  db=${GOSUMDB:-sum.golang.org}
  db=${db%% *}
  db=${db%%+*}
  [ "$db" != off ] || die "no pinned hash for $key and GOSUMDB=off: refusing an unverified toolchain"
  # The go command asks the proxy first (<proxy>/sumdb/<db>/...), then the
  # database itself. The record is taken as served over HTTPS: its signed
  # tree is not checked here (the default version's hashes are pinned).
  for url in "$proxy/sumdb/$db/lookup/golang.org/toolchain@$modver" \
    "https://$db/lookup/golang.org/toolchain@$modver"; do
    rec=$(curl -fsSL --max-time 30 "$url" 2>/dev/null |
      awk -v m="$modver" '$1 == "golang.org/toolchain" && $2 == m { print $3; exit }') || true
    if [ -n "$rec" ]; then
      log "checksum database ($url): $rec"
      echo "$rec"
      return 0
    fi
  done
  die "no checksum database record for golang.org/toolchain@$modver (GOSUMDB=$db)"
}

# unpack ZIP H1 PREFIX DEST: check ZIP's dirhash against H1, then unpack the
# files under PREFIX into DEST with the execute bits a GOROOT needs (module
# zips carry none). Nothing is written when the hash or a name is wrong.
unpack() {
  python3 - "$@" <<'PY'
import base64, hashlib, os, sys, zipfile

zpath, want, prefix, dest = sys.argv[1:5]
with zipfile.ZipFile(zpath) as z:
    names = z.namelist()
    # h1: the module dirhash (golang.org/x/mod/sumdb/dirhash Hash1): sha256
    # of the sorted "sha256hex  name\n" lines of every file in the zip.
    lines = "".join("%s  %s\n" % (hashlib.sha256(z.read(n)).hexdigest(), n)
                    for n in sorted(names))
    got = "h1:" + base64.b64encode(hashlib.sha256(lines.encode()).digest()).decode()
    if got != want:
        sys.exit("checksum mismatch: the zip is %s, expected %s" % (got, want))
    for n in names:
        rel = n[len(prefix):] if n.startswith(prefix) else None
        if not rel or rel.startswith("/") or ".." in rel.split("/") or "\\" in rel:
            sys.exit("unexpected name in the zip: %r" % n)
    for n in names:
        rel = n[len(prefix):]
        path = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with z.open(n) as src, open(path, "wb") as out:
            while True:
                chunk = src.read(1 << 20)
                if not chunk:
                    break
                out.write(chunk)
        # what the go command marks executable in a toolchain it unpacks:
        # bin/ (go, gofmt) and pkg/tool/ (compile, link, ...)
        exe = rel.startswith("bin/") or rel.startswith("pkg/tool/")
        os.chmod(path, 0o755 if exe else 0o644)
PY
}

# fetch: download, verify, unpack and publish the toolchain; prints nothing.
fetch() {
  local dir=$1 plat modver proxy url h1 tmp size
  plat=$(platform)
  modver=v0.0.1-$GO_VERSION.$plat
  proxy=$(proxy_url)
  url=$proxy/golang.org/toolchain/@v/$modver.zip
  mkdir -p "$CACHE"
  tmp=$(mktemp -d "$CACHE/.fetch.XXXXXX")
  FETCH_TMP=$tmp # removed by on_exit, also on failure
  h1=$(expected_h1 "$modver" "$proxy")
  log "fetching golang.org/toolchain@$modver from $proxy"
  curl -fsSL --retry 3 --max-time 600 -o "$tmp/toolchain.zip" "$url" ||
    die "could not download $url"
  size=$(($(stat -c %s "$tmp/toolchain.zip") / 1048576))
  unpack "$tmp/toolchain.zip" "$h1" "golang.org/toolchain@$modver/" "$tmp/goroot" ||
    die "$url: refused (see above); nothing was installed"
  log "verified ($h1), ${size} MB; unpacked into $dir"
  rm -f "$tmp/toolchain.zip"
  [ "$(go_version "$tmp/goroot/bin/go")" = "$GO_VERSION" ] ||
    die "the fetched toolchain's go does not run or is not $GO_VERSION"
  # Publish atomically: a half-unpacked GOROOT is never visible.
  rm -rf "$dir"
  mv "$tmp/goroot" "$dir"
}

# ensure: like decide, fetching the toolchain when that is the decision.
ensure() {
  local out source go v dir
  out=$(decide) || exit 1
  read -r source go v <<<"$out"
  [ "$source" = fetch ] || {
    echo "$source $go $v"
    return 0
  }
  dir=${go%/bin/go}
  mkdir -p "$CACHE"
  # One fetch at a time; a second caller waits and then finds it cached.
  exec 8>"$CACHE/.lock"
  flock 8
  if cached_ok "$dir"; then
    log "fetched by another process meanwhile: $dir"
    echo "cached $go $v"
    return 0
  fi
  fetch "$dir"
  echo "fetched $go $v"
}

on_exit() {
  local rc=$?
  [ -z "${FETCH_TMP:-}" ] || rm -rf "$FETCH_TMP"
  exit "$rc"
}
trap on_exit EXIT

case ${1:-} in
  decide) decide ;;
  ensure) ensure ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
    ;;
esac

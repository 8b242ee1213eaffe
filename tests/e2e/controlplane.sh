#!/usr/bin/env bash
# controlplane.sh - a real Kubernetes control plane on loopback for the e2e
# tests: etcd + kube-apiserver + kube-controller-manager (+ kubectl), built
# from the Go module proxy at pinned releases and cached outside the repo.
#
#   controlplane.sh build                    build (or find cached) binaries
#   controlplane.sh toolchain                the Go the build uses (fetched into
#                                            the cache when PATH has none new
#                                            enough) and its environment
#   controlplane.sh path                     print the bin dir
#   controlplane.sh start STATE_DIR          start all three, write kubeconfigs
#   controlplane.sh stop STATE_DIR           stop all three (idempotent)
#   controlplane.sh stop-apiserver STATE_DIR [--kill]   (--kill: SIGKILL, a crash)
#   controlplane.sh start-apiserver STATE_DIR  same port, same flags
#   controlplane.sh kubectl STATE_DIR ARGS...
#
# Environment:
#   SNUG_CACHE_DIR        cache root (default ~/.cache/snug): the binaries, the
#                         Go toolchain when one is fetched, Go's module cache
#                         and (until a build succeeds) its build cache
#   SNUG_BUILD_JOBS       go build -p (default 2)
#   SNUG_CP_WATCH_PID     if set at `start`, stop everything once that pid is
#                         gone (the test runner sets it to its own pid)
#   SNUG_CP_TIMEOUT       seconds to wait for readiness (default 120)
#
# See docs/testing.md.
set -euo pipefail

# ---------------------------------------------------------------- versions --
# Pinned releases. The staging modules (k8s.io/api, ...) are published as
# v0.N.M for Kubernetes v1.N.M. Both need Go >= 1.24: the minimum and the
# toolchain fetched when PATH has no such Go are in scripts/go-toolchain.sh
# (GO_MIN, GO_VERSION); change them with these pins.
K8S_VERSION=v1.34.4
ETCD_VERSION=v3.6.8

SELF=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")
GO_TOOLCHAIN=$(dirname "$SELF")/../../scripts/go-toolchain.sh
SNUG_CACHE=${SNUG_CACHE_DIR:-$HOME/.cache/snug}
CACHE_ROOT=$SNUG_CACHE/controlplane
BIN_DIR=$CACHE_ROOT/k8s-$K8S_VERSION-etcd-$ETCD_VERSION/bin
BINARIES=(etcd kube-apiserver kube-controller-manager kubectl)

SERVICE_CIDR=10.0.0.0/24
SERVICE_FIRST_IP=10.0.0.1
ADMISSION_PLUGINS=NamespaceLifecycle,LimitRanger,ServiceAccount,ResourceQuota,MutatingAdmissionWebhook,ValidatingAdmissionWebhook
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
  if [ -z "$gomod" ] || [ ! -f "$gomod" ]; then
    die "no go.mod for k8s.io/kubernetes@$K8S_VERSION"
  fi
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

# use_go: pick the Go the build runs (scripts/go-toolchain.sh: the go on
# PATH when it is new enough, else the pinned toolchain, fetched into the
# cache when it is not there yet) and set up its environment so that all it
# writes stays in the cache, not in ~/go, ~/.cache/go-build or ~/.config/go.
# Sets GO_SOURCE (path, cached, fetched).
use_go() {
  local out gobin gover
  out=$(bash "$GO_TOOLCHAIN" ensure) || die "no Go to build the control plane with (see above)"
  read -r GO_SOURCE gobin gover <<<"$out"
  [ -x "$gobin" ] || die "go-toolchain.sh gave no go binary: $out"
  # A toolchain from the cache finds its GOROOT by itself; a GOROOT set for
  # another Go must not leak into it.
  [ "$GO_SOURCE" = path ] || unset GOROOT
  PATH=$(dirname "$gobin"):$PATH
  # Modules (read-only by default: -modcacherw lets `rm -rf` remove them)
  # and the checksum database's state under GOPATH; objects in GOCACHE.
  export GOPATH=$SNUG_CACHE/gopath
  export GOMODCACHE=$GOPATH/pkg/mod
  export GOCACHE=$SNUG_CACHE/go-build
  export GOFLAGS="-mod=mod -modcacherw" CGO_ENABLED=0 GOTOOLCHAIN=local
  # The user's `go env -w` settings (GOPROXY...) still apply; the go
  # command's local telemetry counters land in the cache.
  export GOENV=${GOENV:-${XDG_CONFIG_HOME:-$HOME/.config}/go/env}
  export XDG_CONFIG_HOME=$SNUG_CACHE/go-config
  export PATH
  GO_VERSION_USED=$gover
}

cmd_toolchain() {
  use_go
  local v
  echo "GO=$(command -v go)"
  echo "GO_SOURCE=$GO_SOURCE"
  echo "GOVERSION=$GO_VERSION_USED"
  for v in GOPATH GOMODCACHE GOCACHE GOFLAGS GOENV XDG_CONFIG_HOME CGO_ENABLED GOTOOLCHAIN; do
    echo "$v=${!v}"
  done
}

cmd_build() {
  if have_binaries; then
    log "cached: $BIN_DIR"
    return 0
  fi
  mkdir -p "$CACHE_ROOT"
  # One builder at a time; a second caller waits and then finds the cache.
  exec 9>"$CACHE_ROOT/.build.lock"
  flock 9
  if have_binaries; then
    log "cached (built by another process): $BIN_DIR"
    return 0
  fi
  use_go
  JOBS=${SNUG_BUILD_JOBS:-2}
  local t0 tmp
  t0=$(now_ms)
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/snug-cp-build.XXXXXX")
  BUILD_TMP=$tmp # removed by on_exit
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
  # The build cache (about 3 GB) only serves a rebuild of these very pins,
  # which the binaries make unnecessary; it is kept while a build fails, so
  # the next attempt resumes. The module cache stays (a new pin reuses it).
  rm -rf "$GOCACHE"
  log "built in $(elapsed "$t0"): $BIN_DIR"
}

# ------------------------------------------------------------- processes --
# Pid files hold "PID STARTTIME" (field 22 of /proc/PID/stat) so a recycled
# pid is never mistaken for ours.
# proc_starttime PID: prints nothing and fails for a process that is gone or
# a zombie (a zombie whose other threads still exit still holds its sockets,
# so it counts as running until they are gone).
proc_starttime() {
  local stat tasks
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  # drop "pid (comm) ": the rest starts at field 3 (state), starttime is $20
  stat=${stat##*) }
  if [ "${stat%% *}" = Z ]; then
    tasks=$(find "/proc/$1/task" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
    [ "$tasks" -gt 1 ] || return 1
  fi
  echo "$stat" | awk '{ print $20 }'
}

# pid_alive PIDFILE -> prints the pid when the process recorded there is
# still the one we started.
pid_alive() {
  local pid st cur
  [ -s "$1" ] || return 1
  read -r pid st <"$1" || true
  [ -n "${pid:-}" ] || return 1
  cur=$(proc_starttime "$pid") || return 1
  [ "$cur" = "${st:-}" ] || return 1
  echo "$pid"
}

# spawn NAME CMD... : run CMD in its own session (so its whole process group
# can be killed), output appended to logs/NAME.log, pid to run/NAME.pid.
spawn() {
  local name=$1 pidf=$STATE/run/$1.pid logf=$STATE/logs/$1.log pid st i
  shift
  rm -f "$pidf" "$pidf.tmp"
  printf '\n==== %s start %s\n' "$name" "$(date -u +%FT%TZ)" >>"$logf"
  # shellcheck disable=SC2016 # $$ and $@ are the inner shell's
  setsid bash -c 'echo $$ >"$0.tmp"; exec "$@"' "$pidf" "$@" </dev/null >>"$logf" 2>&1 &
  for ((i = 0; i < 500; i++)); do
    [ -s "$pidf.tmp" ] && break
    sleep 0.01
  done
  [ -s "$pidf.tmp" ] || die "$name did not start; see $logf"
  read -r pid <"$pidf.tmp"
  rm -f "$pidf.tmp"
  st=$(proc_starttime "$pid") || die "$name exited at once; see $logf"
  echo "$pid $st" >"$pidf"
}

# stop_proc NAME [DEADLINE_S]: SIGTERM the process group, SIGKILL after the
# deadline. Quiet and successful when it is not running.
stop_proc() {
  local name=$1 deadline=${2:-15} pidf=$STATE/run/$1.pid pid i t0
  t0=$(now_ms)
  if ! pid=$(pid_alive "$pidf"); then
    rm -f "$pidf"
    return 0
  fi
  if [ "$deadline" -gt 0 ]; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < deadline * 10; i++)); do
      pid_alive "$pidf" >/dev/null || break
      sleep 0.1
    done
    if pid_alive "$pidf" >/dev/null; then
      log "$name (pid $pid) still running ${deadline}s after SIGTERM: SIGKILL"
    fi
  fi
  # SIGKILL whatever is left of its process group
  kill -KILL -- "-$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    pid_alive "$pidf" >/dev/null || break
    sleep 0.05
  done
  pid_alive "$pidf" >/dev/null && die "$name (pid $pid) survived SIGKILL"
  rm -f "$pidf"
  log "stopped $name (pid $pid) in $(elapsed "$t0")"
}

check_running() { # check_running NAME: dies with the log tail if it exited
  pid_alive "$STATE/run/$1.pid" >/dev/null && return 0
  log "$1 exited; last lines of $STATE/logs/$1.log:"
  tail -n 30 "$STATE/logs/$1.log" >&2 || true
  die "$1 is not running"
}

# ------------------------------------------------------------------- ports --
# Pick N distinct free loopback TCP ports below the ephemeral range (so an
# outgoing connection cannot take one between now and the bind). All are
# held open while choosing, so they are distinct and bindable right now.
free_ports() {
  python3 - "$1" <<'PY'
import random, socket, sys
n, held, ports = int(sys.argv[1]), [], []
for p in random.sample(range(20000, 32000), 4000):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        s.close()
        continue
    held.append(s)
    ports.append(p)
    if len(ports) == n:
        break
print(" ".join(map(str, ports)))
PY
}

port_free() { # port_free PORT: true when 127.0.0.1:PORT can be bound
  python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
' "$1" 2>/dev/null
}

# -------------------------------------------------------------------- pki --
SSL_DAYS=3650

new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

# new_ca NAME CN: self-signed CA NAME.key + NAME.crt
new_ca() {
  local pki=$STATE/pki
  new_key "$pki/$1.key"
  openssl req -x509 -new -key "$pki/$1.key" -subj "/CN=$2" -days "$SSL_DAYS" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$pki/$1.crt"
}

# sign NAME SUBJECT EXTENSIONS [CA]: NAME.key + NAME.crt signed by CA (ca)
sign() {
  local pki=$STATE/pki name=$1 subj=$2 ext=$3 ca=${4:-ca}
  new_key "$pki/$name.key"
  openssl req -new -key "$pki/$name.key" -subj "$subj" -out "$pki/$name.csr"
  printf '%b\n' "$ext" >"$pki/$name.ext"
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/$ca.crt" -CAkey "$pki/$ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days "$SSL_DAYS" \
    -extfile "$pki/$name.ext" -out "$pki/$name.crt" 2>/dev/null
  rm -f "$pki/$name.csr" "$pki/$name.ext"
}

make_pki() {
  local pki=$STATE/pki
  mkdir -p "$pki"
  chmod 700 "$pki"
  new_ca ca snug-e2e-ca
  local leaf="basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment"
  local sans="IP:127.0.0.1,DNS:localhost,IP:$SERVICE_FIRST_IP,DNS:kubernetes"
  sans+=",DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  sign apiserver "/CN=kube-apiserver" "$leaf\nextendedKeyUsage=serverAuth\nsubjectAltName=$sans"
  sign admin "/O=system:masters/CN=snug-e2e-admin" "$leaf\nextendedKeyUsage=clientAuth"
  sign kcm "/CN=system:kube-controller-manager" "$leaf\nextendedKeyUsage=clientAuth"
  # front proxy (aggregation layer / request-header authentication): its own
  # CA, so the cluster CA's client certificates cannot assert identities
  new_ca front-proxy-ca snug-e2e-front-proxy-ca
  sign front-proxy-client "/CN=front-proxy-client" "$leaf\nextendedKeyUsage=clientAuth" front-proxy-ca
  # service-account token signing key pair
  new_key "$pki/sa.key"
  openssl pkey -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
  # static bearer tokens, --token-auth-file format: token,user,uid,"groups"
  ADMIN_TOKEN=$(openssl rand -hex 32)
  USER_TOKEN=$(openssl rand -hex 32)
  {
    printf '%s,snug-e2e-token-admin,snug-e2e-token-admin,"system:masters"\n' "$ADMIN_TOKEN"
    printf '%s,snug-e2e-user,snug-e2e-user\n' "$USER_TOKEN"
  } >"$pki/tokens.csv"
  chmod 600 "$pki"/*.key "$pki/tokens.csv"
}

b64() { base64 -w0 <"$1"; }

# kubeconfig FILE USER_NAME CA_LINE USER_LINES...
kubeconfig() {
  local file=$1 user=$2 ca=$3 line
  shift 3
  {
    echo "apiVersion: v1"
    echo "kind: Config"
    echo "clusters:"
    echo "- name: snug-e2e"
    echo "  cluster:"
    echo "    server: $APISERVER_URL"
    echo "    $ca"
    echo "users:"
    echo "- name: $user"
    echo "  user:"
    for line in "$@"; do echo "    $line"; done
    echo "contexts:"
    echo "- name: snug-e2e"
    echo "  context:"
    echo "    cluster: snug-e2e"
    echo "    user: $user"
    echo "    namespace: default"
    echo "current-context: snug-e2e"
  } >"$file"
  chmod 600 "$file"
}

write_kubeconfigs() {
  local pki=$STATE/pki
  kubeconfig "$STATE/kubeconfig" snug-e2e-admin \
    "certificate-authority-data: $(b64 "$pki/ca.crt")" \
    "client-certificate-data: $(b64 "$pki/admin.crt")" \
    "client-key-data: $(b64 "$pki/admin.key")"
  kubeconfig "$STATE/kubeconfig-token" snug-e2e-token-admin \
    "certificate-authority: $pki/ca.crt" \
    "token: $ADMIN_TOKEN"
  kubeconfig "$STATE/kcm.kubeconfig" system:kube-controller-manager \
    "certificate-authority: $pki/ca.crt" \
    "client-certificate: $pki/kcm.crt" \
    "client-key: $pki/kcm.key"
}

# ------------------------------------------------------------------- state --
ENV_VARS=(STATE_DIR BIN_DIR K8S_VERSION ETCD_VERSION APISERVER_URL APISERVER_PORT
  ETCD_URL ETCD_PORT ETCD_PEER_PORT KCM_PORT KUBECONFIG TOKEN_KUBECONFIG
  CA_FILE ADMIN_TOKEN USER_TOKEN ETCD_PID APISERVER_PID KCM_PID WATCHDOG_PID)

# shellcheck disable=SC2034 # the *_PID variables are written via ${!v}
write_env() {
  local v tmp=$STATE/env.tmp
  ETCD_PID=$(pid_alive "$STATE/run/etcd.pid" || true)
  APISERVER_PID=$(pid_alive "$STATE/run/kube-apiserver.pid" || true)
  KCM_PID=$(pid_alive "$STATE/run/kube-controller-manager.pid" || true)
  WATCHDOG_PID=$(pid_alive "$STATE/run/watchdog.pid" || true)
  {
    echo "# written by tests/e2e/controlplane.sh; source it. Empty pid = not running."
    for v in "${ENV_VARS[@]}"; do printf 'export %s=%q\n' "$v" "${!v}"; done
  } >"$tmp"
  chmod 600 "$tmp"
  mv "$tmp" "$STATE/env"
}

set_state() { # set_state STATE_DIR
  [ -n "${1:-}" ] || die "missing STATE_DIR"
  mkdir -p "$1"
  STATE=$(cd "$1" && pwd)
}

load_env() {
  [ -f "$STATE/env" ] || die "$STATE/env missing: was a control plane started there?"
  local k=$K8S_VERSION e=$ETCD_VERSION
  # shellcheck disable=SC1091
  . "$STATE/env"
  if [ "$K8S_VERSION" != "$k" ] || [ "$ETCD_VERSION" != "$e" ]; then
    die "$STATE was started with kubernetes $K8S_VERSION / etcd $ETCD_VERSION, this script pins $k / $e"
  fi
}

# -------------------------------------------------------------- components --
start_etcd() {
  mkdir -p "$STATE/etcd"
  chmod 700 "$STATE/etcd"
  spawn etcd "$BIN_DIR/etcd" \
    --name snug-e2e \
    --data-dir "$STATE/etcd" \
    --listen-client-urls "$ETCD_URL" \
    --advertise-client-urls "$ETCD_URL" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "snug-e2e=http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster-state new \
    --unsafe-no-fsync \
    --log-level warn
}

# The API server's flags live here only, so start-apiserver restarts it with
# exactly the flags (and port) `start` used.
start_apiserver_proc() {
  local pki=$STATE/pki
  mkdir -p "$STATE/apiserver-certs"
  spawn kube-apiserver "$BIN_DIR/kube-apiserver" \
    --etcd-servers "$ETCD_URL" \
    --bind-address 127.0.0.1 \
    --advertise-address 127.0.0.1 \
    --secure-port "$APISERVER_PORT" \
    --cert-dir "$STATE/apiserver-certs" \
    --tls-cert-file "$pki/apiserver.crt" \
    --tls-private-key-file "$pki/apiserver.key" \
    --client-ca-file "$pki/ca.crt" \
    --token-auth-file "$pki/tokens.csv" \
    --authorization-mode Node,RBAC \
    --enable-admission-plugins "$ADMISSION_PLUGINS" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$pki/sa.pub" \
    --service-account-signing-key-file "$pki/sa.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --requestheader-client-ca-file "$pki/front-proxy-ca.crt" \
    --requestheader-allowed-names front-proxy-client \
    --requestheader-username-headers X-Remote-User \
    --requestheader-group-headers X-Remote-Group \
    --requestheader-extra-headers-prefix X-Remote-Extra- \
    --proxy-client-cert-file "$pki/front-proxy-client.crt" \
    --proxy-client-key-file "$pki/front-proxy-client.key" \
    --shutdown-watch-termination-grace-period 2s \
    --endpoint-reconciler-type none \
    --allow-privileged=true \
    --v 1
}

start_kcm() {
  local pki=$STATE/pki
  mkdir -p "$STATE/kcm-certs"
  spawn kube-controller-manager "$BIN_DIR/kube-controller-manager" \
    --kubeconfig "$STATE/kcm.kubeconfig" \
    --authentication-kubeconfig "$STATE/kcm.kubeconfig" \
    --authorization-kubeconfig "$STATE/kcm.kubeconfig" \
    --bind-address 127.0.0.1 \
    --secure-port "$KCM_PORT" \
    --cert-dir "$STATE/kcm-certs" \
    --flex-volume-plugin-dir "$STATE/kcm-flexvolume" \
    --controllers '*' \
    --use-service-account-credentials=true \
    --leader-elect=false \
    --service-account-private-key-file "$pki/sa.key" \
    --root-ca-file "$pki/ca.crt" \
    --cluster-signing-cert-file "$pki/ca.crt" \
    --cluster-signing-key-file "$pki/ca.key" \
    --service-cluster-ip-range "$SERVICE_CIDR" \
    --v 1
}

# api_get PATH: body on stdout; fails unless HTTP 2xx
api_get() {
  curl -sf --max-time 5 --cacert "$CA_FILE" -H "Authorization: Bearer $ADMIN_TOKEN" \
    "$APISERVER_URL$1"
}

# wait_until WHAT TIMEOUT_S PROC CMD...: poll CMD every 0.2s; PROC must stay up
wait_until() {
  local what=$1 timeout=$2 proc=$3 t0
  shift 3
  t0=$(now_ms)
  until "$@" >/dev/null 2>&1; do
    check_running "$proc"
    if (($(now_ms) - t0 > timeout * 1000)); then
      tail -n 30 "$STATE/logs/$proc.log" >&2 || true
      die "timed out after ${timeout}s waiting for $what"
    fi
    sleep 0.2
  done
}

wait_apiserver_ready() {
  wait_until "kube-apiserver /readyz" "$TIMEOUT" kube-apiserver api_get /readyz
}

# ---------------------------------------------------------------- commands --
require_binaries() {
  have_binaries || die "control plane binaries missing in $BIN_DIR; run: $SELF build"
}

# With SNUG_CP_WATCH_PID set, a watchdog stops the control plane once that
# process is gone (a test runner killed with SIGKILL leaves nothing behind).
# It exits by itself once `stop` has removed the etcd pid file.
start_watchdog() {
  [ -n "${SNUG_CP_WATCH_PID:-}" ] || return 0
  kill -0 "$SNUG_CP_WATCH_PID" 2>/dev/null || die "SNUG_CP_WATCH_PID=$SNUG_CP_WATCH_PID is not running"
  # shellcheck disable=SC2016
  spawn watchdog bash -c '
    while kill -0 "$0" 2>/dev/null; do
      [ -f "$2/run/etcd.pid" ] || exit 0
      sleep 1
    done
    echo "watched pid $0 is gone: stopping the control plane"
    SNUG_CP_IN_WATCHDOG=1 exec "$1" stop "$2"
  ' "$SNUG_CP_WATCH_PID" "$SELF" "$STATE"
}

# shellcheck disable=SC2034 # STATE_DIR etc. are written by write_env
cmd_start() {
  set_state "${1:-}"
  require_binaries
  local n
  for n in etcd kube-apiserver kube-controller-manager; do
    if pid_alive "$STATE/run/$n.pid" >/dev/null; then
      die "a control plane is already running in $STATE (stop it first)"
    fi
  done
  local t0 t1
  t0=$(now_ms)
  rm -rf "$STATE/etcd" "$STATE/pki" "$STATE/run" "$STATE/logs" \
    "$STATE/apiserver-certs" "$STATE/kcm-certs" "$STATE/kcm-flexvolume"
  mkdir -p "$STATE/run" "$STATE/logs"
  STARTING=1

  read -r ETCD_PORT ETCD_PEER_PORT APISERVER_PORT KCM_PORT <<<"$(free_ports 4)"
  [ -n "${KCM_PORT:-}" ] || die "could not find 4 free loopback ports"
  STATE_DIR=$STATE
  ETCD_URL=http://127.0.0.1:$ETCD_PORT
  APISERVER_URL=https://127.0.0.1:$APISERVER_PORT
  KUBECONFIG=$STATE/kubeconfig
  TOKEN_KUBECONFIG=$STATE/kubeconfig-token
  CA_FILE=$STATE/pki/ca.crt

  make_pki
  write_kubeconfigs
  write_env
  log "pki ready after $(elapsed "$t0"); ports: etcd $ETCD_PORT (peer $ETCD_PEER_PORT)," \
    "kube-apiserver $APISERVER_PORT, kube-controller-manager $KCM_PORT"

  start_etcd
  wait_until "etcd /health" 30 etcd curl -sf --max-time 2 "$ETCD_URL/health"
  log "etcd ready after $(elapsed "$t0")"

  start_apiserver_proc
  wait_apiserver_ready
  log "kube-apiserver ready after $(elapsed "$t0")"

  t1=$(now_ms)
  start_kcm
  start_watchdog
  write_env
  wait_until "the default ServiceAccount (made by kube-controller-manager)" "$TIMEOUT" \
    kube-controller-manager api_get /api/v1/namespaces/default/serviceaccounts/default
  log "kube-controller-manager made the default ServiceAccount after $(elapsed "$t1")"
  write_env
  STARTING=
  log "control plane up in $(elapsed "$t0"): $APISERVER_URL"
  log "  . $STATE/env   # sets KUBECONFIG=$KUBECONFIG"
}

cmd_stop() {
  set_state "${1:-}"
  [ -d "$STATE/run" ] || return 0
  stop_proc kube-controller-manager
  stop_proc kube-apiserver
  stop_proc etcd
  if [ -n "${SNUG_CP_IN_WATCHDOG:-}" ]; then
    rm -f "$STATE/run/watchdog.pid" # that is us; we exit right after
  else
    stop_proc watchdog 2
  fi
  if [ -f "$STATE/env" ]; then
    (load_env && write_env) || true
  fi
}

cmd_stop_apiserver() {
  set_state "${1:-}"
  load_env
  case ${2:-} in
    --kill) stop_proc kube-apiserver 0 ;; # a crash: SIGTERM + SIGKILL at once
    "") stop_proc kube-apiserver ;;
    *) die "stop-apiserver: unknown option $2" ;;
  esac
  write_env
}

cmd_start_apiserver() {
  set_state "${1:-}"
  require_binaries
  load_env
  if pid_alive "$STATE/run/kube-apiserver.pid" >/dev/null; then
    die "kube-apiserver is already running in $STATE"
  fi
  check_running etcd
  local t0 i
  t0=$(now_ms)
  # Same port as before: wait briefly in case the old socket is still closing.
  for ((i = 0; i < 50; i++)); do
    port_free "$APISERVER_PORT" && break
    sleep 0.1
  done
  port_free "$APISERVER_PORT" || die "port $APISERVER_PORT is taken by another process"
  start_apiserver_proc
  write_env
  wait_apiserver_ready
  write_env
  log "kube-apiserver restarted on $APISERVER_URL in $(elapsed "$t0")"
}

cmd_kubectl() {
  set_state "${1:-}"
  shift
  require_binaries
  KUBECONFIG=$STATE/kubeconfig exec "$BIN_DIR/kubectl" "$@"
}

# If `start` fails half-way, stop whatever it had started; drop build temps.
on_exit() {
  local rc=$?
  if [ -n "${BUILD_TMP:-}" ]; then
    rm -rf "$BUILD_TMP"
  fi
  if [ -n "${STARTING:-}" ] && [ -n "${STATE:-}" ]; then
    STARTING=
    log "start failed; stopping what was started (logs: $STATE/logs)"
    cmd_stop "$STATE" || true
  fi
  exit "$rc"
}
trap on_exit EXIT

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
    toolchain) cmd_toolchain ;;
    path) echo "$BIN_DIR" ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop "$@" ;;
    stop-apiserver) cmd_stop_apiserver "$@" ;;
    start-apiserver) cmd_start_apiserver "$@" ;;
    kubectl) cmd_kubectl "$@" ;;
    -h | --help | help) usage ;;
    *) die "unknown command: $cmd (try --help)" ;;
  esac
}

main "$@"

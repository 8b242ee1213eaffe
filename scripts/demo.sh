#!/usr/bin/env bash
# demo.sh - snug end to end on this machine, no input needed.
#
# Installs the Debian packages it needs (scripts/install-deps.sh demo: no
# service is started or enabled by it), builds snug, starts a real control
# plane on 127.0.0.1 (etcd + kube-apiserver + kube-controller-manager from
# tests/e2e/controlplane.sh), installs snug's objects from manifests/ (CRDs,
# namespace, the webhook's and the controller's RBAC) and two SizingPolicies,
# and runs `snug-webhook serve` (the snug-webhook ServiceAccount's token,
# self-managed certificates, caBundle written by the webhook itself). It
# creates three Deployments in namespace shop (examples/workloads-demo.yaml:
# web, a Go service; api, OOM-killed last week; worker, a nightly batch),
# starts a Prometheus holding a week of their usage (scripts/demo_history.py,
# backfilled with promtool) and runs `snug-controller run` against both (the
# snug-controller ServiceAccount's token, leader election in snug-system).
# It shows the Recommendations the controller wrote (`kubectl get rec`,
# `kubectl describe rec`), scales web up and shows the new Pods with the
# recommended requests, limits, probes, GOMAXPROCS and GOMEMLIMIT next to
# the old ones, prints `snug-controller recommend` as a table, the same
# mutation offline (`snug-webhook mutate --diff`), an Audit-mode warning
# from `kubectl apply` and both components' metrics. No Recommendation is
# written by hand. Everything it started is stopped at exit (also on Ctrl-C
# or a failure).
#
# Exit status: 0 when every step worked; non-zero otherwise, after the end of
# the logs of what it started.
#
# Environment:
#   SNUG_DEMO_KEEP=1         leave the control plane, Prometheus, the webhook
#                            and the controller running and print how to use
#                            and stop them
#   SNUG_DEMO_SKIP_DEPS=1    do not run scripts/install-deps.sh
#   SNUG_DEMO_BUILD_DIR=DIR  CMake build dir (default: <repo>/build, configured
#                            by scripts/configure.sh as scripts/test.sh does)
#   SNUG_CACHE_DIR, SNUG_BUILD_JOBS, SNUG_CP_TIMEOUT
#                            passed on to tests/e2e/controlplane.sh (the first
#                            run builds the control plane: minutes; then cached)
#
# Files: examples/namespaces-demo.yaml, policy-demo.yaml, workloads-demo.yaml,
# pod-audit-demo.yaml; scripts/demo_history.py.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CP=$REPO/tests/e2e/controlplane.sh
EX=$REPO/examples
BUILD=${SNUG_DEMO_BUILD_DIR:-$REPO/build}
case ${SNUG_DEMO_KEEP:-0} in 0 | "" | no | false) KEEP=0 ;; *) KEEP=1 ;; esac
SYSTEM_NS=snug-system
WEBHOOK_CONFIG=snug # the name manifests/ use, so webhook-rbac.yaml applies as is
# What runs in the background (besides the control plane, stopped after
# them: the controller saves its checkpoints and releases its Lease through
# the API server).
PROCS=(controller webhook prometheus)
# Debian's Python (stdlib + python3-yaml), whatever python3 comes first on PATH.
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

STATE=
BIN_DIR=
SNUG=
CONTROLLER=
WEBHOOK_PORT=
METRICS_PORT=
CTL_METRICS_PORT=
PROM_PORT=
PROM_URL=
WATCHDOG_PID=
SECTION=
SECTION_T0=$(date +%s%3N)
DEMO_T0=$SECTION_T0
TIMINGS=()

if [ -t 1 ]; then
  BOLD=$'\033[1m' DIM=$'\033[2m' RED=$'\033[31m' GREEN=$'\033[32m' RESET=$'\033[0m'
else
  BOLD="" DIM="" RED="" GREEN="" RESET=""
fi

# ------------------------------------------------------------------ output --
now_ms() { date +%s%3N; }
secs() { # secs MS -> "12.3s"
  printf '%d.%ds' $(($1 / 1000)) $(($1 % 1000 / 100))
}
end_section() {
  [ -n "$SECTION" ] || return 0
  TIMINGS+=("$(printf '%-74s %7s' "$SECTION" "$(secs $(($(now_ms) - SECTION_T0)))")")
  SECTION=
}
section() {
  end_section
  SECTION=$1
  SECTION_T0=$(now_ms)
  printf '\n%s==== %s ====%s\n' "$BOLD" "$1" "$RESET"
}
say() { printf '%s\n' "$*"; }
cmdline() { printf '%s$ %s%s\n' "$DIM" "$*" "$RESET"; } # show a command as a user types it
# The original stdout (4) and stderr (3): die() and the EXIT trap write
# there, also when they run inside a command whose output is silenced.
# Processes that outlive a command (control plane, webhook, watchdog) get
# them closed, so a pipe reading this script's output sees its end.
exec 3>&2 4>&1
die() {
  printf '%sdemo: error: %s%s\n' "$RED" "$*" "$RESET" >&3
  exit 1
}

# kubectl as the cluster admin; `kubectl` in what is shown.
kc() { "$BIN_DIR/kubectl" --kubeconfig "$STATE/kubeconfig" "$@"; }
# run and show: run_kc ARGS... (prints "$ kubectl ARGS" first)
run_kc() {
  local shown="kubectl $*"
  cmdline "${shown//"$REPO"\//}"
  kc "$@"
}

# wait_for WHAT TIMEOUT_S CMD...: poll CMD (quietly) until it succeeds.
wait_for() {
  local what=$1 timeout=$2 deadline
  shift 2
  deadline=$(($(date +%s) + timeout))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || die "timed out after ${timeout}s waiting for $what"
    sleep 0.3
  done
}

free_ports() { # free_ports N: N distinct free loopback ports below the ephemeral range
  python3 - "$1" <<'PY'
import random, socket, sys
n, held, ports = int(sys.argv[1]), [], []
for p in random.sample(range(20000, 32000), 4000):
    s = socket.socket()
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

# ------------------------------------------------------ background processes --
# The webhook, the controller and Prometheus each run in their own session;
# STATE/NAME.pid holds "PID STARTTIME" so a recycled pid is never signalled,
# and STATE/NAME.log their output.
proc_starttime() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ] || return 1
  echo "$stat" | awk '{ print $20 }'
}
bg_pid() { # bg_pid NAME: prints the pid while the NAME we started runs
  local f=$STATE/$1.pid pid st cur
  [ -n "$STATE" ] && [ -s "$f" ] || return 1
  read -r pid st <"$f" || return 1
  cur=$(proc_starttime "$pid") || return 1
  [ "$cur" = "$st" ] || return 1
  echo "$pid"
}

# start_bg NAME CMD...: run CMD in a session of its own, output to
# STATE/NAME.log, and record its pid.
start_bg() {
  local name=$1 i pid st
  shift
  # shellcheck disable=SC2016 # $$ and $@ are the inner shell's
  setsid bash -c 'echo $$ >"$0.tmp"; exec "$@"' "$STATE/$name.pid" "$@" \
    </dev/null >>"$STATE/$name.log" 2>&1 3>&- 4>&- &
  disown # its death is reported by the readiness checks, not by bash
  for ((i = 0; i < 200; i++)); do
    [ -s "$STATE/$name.pid.tmp" ] && break
    sleep 0.02
  done
  read -r pid <"$STATE/$name.pid.tmp" || die "$name did not start"
  rm -f "$STATE/$name.pid.tmp"
  st=$(proc_starttime "$pid") || die "$name exited at once (log: $STATE/$name.log)"
  echo "$pid $st" >"$STATE/$name.pid"
}

# stop_all: SIGTERM to everything started in the background at once (the
# webhook drains requests, the controller saves its checkpoints and
# releases its Lease: the API server still runs), SIGKILL what still runs
# 15 s later.
stop_all() {
  local name pid i left
  for name in "${PROCS[@]}"; do
    pid=$(bg_pid "$name") && kill -TERM "$pid" 2>/dev/null
  done
  for ((i = 0; i < 150; i++)); do
    left=
    for name in "${PROCS[@]}"; do
      bg_pid "$name" >/dev/null && left+=" $name"
    done
    [ -n "$left" ] || break
    sleep 0.1
  done
  for name in "${PROCS[@]}"; do
    if pid=$(bg_pid "$name"); then
      say "$name (pid $pid) still running 15s after SIGTERM: SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$STATE/$name.pid"
  done
}

# A watchdog stops what runs in the background if this script dies without
# running its EXIT trap (SIGKILL); the control plane has its own
# (SNUG_CP_WATCH_PID). It exits by itself once the state dir is gone.
start_watchdog() {
  # shellcheck disable=SC2016 # expanded by the inner shell
  bash -c '
    trap "" INT
    state=$1
    shift
    while kill -0 "$0" 2>/dev/null; do
      [ -d "$state" ] || exit 0
      sleep 1
    done
    pids=()
    for name in "$@"; do
      [ -f "$state/$name.pid" ] || continue
      read -r pid st <"$state/$name.pid" || continue
      stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
      stat=${stat##*) }
      [ "$(echo "$stat" | awk "{ print \$20 }")" = "$st" ] || continue
      kill -TERM "$pid" && pids+=("$pid")
      rm -f "$state/$name.pid"
    done
    [ "${#pids[@]}" -eq 0 ] || { sleep 15; kill -KILL "${pids[@]}" 2>/dev/null; }
  ' "$$" "$STATE" "${PROCS[@]}" </dev/null >/dev/null 2>&1 3>&- 4>&- &
  WATCHDOG_PID=$!
}

logs_tail() {
  local name
  [ -n "$STATE" ] || return 0
  for name in "${PROCS[@]}"; do
    [ -s "$STATE/$name.log" ] || continue
    printf '\n%s---- last lines of the %s log (%s) ----%s\n' "$BOLD" "$name" "$STATE/$name.log" "$RESET" >&2
    tail -n 25 "$STATE/$name.log" | cut -c1-400 >&2
  done
}

write_stop_script() {
  cat >"$STATE/stop.sh" <<EOF
#!/usr/bin/env bash
# Stop what scripts/demo.sh left running (SNUG_DEMO_KEEP=1) and delete its state.
set -u
STATE='$STATE'
for name in ${PROCS[*]}; do
  [ -s "\$STATE/\$name.pid" ] || continue
  read -r pid st <"\$STATE/\$name.pid"
  stat=\$(cat "/proc/\$pid/stat" 2>/dev/null) && stat=\${stat##*) } &&
    [ "\$(echo "\$stat" | awk '{ print \$20 }')" = "\$st" ] && {
    kill -TERM "\$pid"
    for i in \$(seq 150); do kill -0 "\$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "\$pid" 2>/dev/null
  }
done
'$CP' stop "\$STATE" && rm -rf "\$STATE" && echo "snug demo stopped"
EOF
  chmod +x "$STATE/stop.sh"
}

# sa_kubeconfig SERVICEACCOUNT FILE: a kubeconfig with a token of that
# ServiceAccount of snug-system, so the process has exactly the rights
# manifests/ give it.
sa_kubeconfig() {
  local sa=$1 file=$2 duration=2h token ca
  [ "$KEEP" = 0 ] || duration=24h
  cmdline "kubectl create token $sa -n $SYSTEM_NS --duration $duration"
  token=$(kc create token "$sa" -n "$SYSTEM_NS" --duration "$duration")
  ca=$(base64 -w0 <"$STATE/pki/ca.crt")
  (
    umask 077
    cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: demo
  cluster: {server: "$APISERVER_URL", certificate-authority-data: "$ca"}
users:
- name: $sa
  user: {token: "$token"}
contexts:
- name: demo
  context: {cluster: demo, user: $sa, namespace: $SYSTEM_NS}
current-context: demo
EOF
  )
}

# ------------------------------------------------------------------- exit --
on_exit() {
  local rc=$? failed_in=$SECTION
  set +e
  exec >&4 2>&3
  trap - INT TERM
  end_section
  case $rc in
    0) ;;
    130 | 143)
      printf '\n%sdemo INTERRUPTED (exit %d) in: %s%s\n' "$RED$BOLD" "$rc" "$failed_in" "$RESET" >&2
      ;;
    *)
      printf '\n%sdemo FAILED (exit %d) in: %s%s\n' "$RED$BOLD" "$rc" "$failed_in" "$RESET" >&2
      logs_tail
      ;;
  esac
  [ -n "$STATE" ] || exit "$rc"
  if [ "$KEEP" = 1 ]; then
    [ "$rc" -eq 0 ] || say "SNUG_DEMO_KEEP=1: leaving what runs as it is; stop it with $STATE/stop.sh" >&2
    exit "$rc"
  fi
  stop_all
  [ -z "$WATCHDOG_PID" ] || kill "$WATCHDOG_PID" 2>/dev/null
  [ -z "$WATCHDOG_PID" ] || wait "$WATCHDOG_PID" 2>/dev/null
  if ! "$CP" stop "$STATE" >"$STATE/stop.log" 2>&1; then
    cat "$STATE/stop.log" >&2
    [ "$rc" -ne 0 ] || rc=1
  fi
  if [ "$rc" -eq 0 ]; then
    rm -rf "$STATE"
    say "stopped the controller, the webhook, Prometheus and the control plane; removed $STATE"
  else
    say "stopped the controller, the webhook, Prometheus and the control plane; logs kept in $STATE (logs/, *.log)" >&2
  fi
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ steps --
step_deps() {
  section "1. Debian packages"
  if [ "${SNUG_DEMO_SKIP_DEPS:-0}" != 0 ]; then
    say "skipped (SNUG_DEMO_SKIP_DEPS=1)"
    return
  fi
  cmdline "scripts/install-deps.sh demo"
  # It prints one line (apt's output goes to its log, shown if it fails).
  "$REPO/scripts/install-deps.sh" demo
}

step_build() {
  section "2. Build snug"
  # Configured the way scripts/test.sh does it (Ninja, gcc), so one after
  # the other never makes CMake throw the build dir away; a build dir that
  # exists already is used as it is.
  if [ ! -f "$BUILD/build.ninja" ]; then
    cmdline "scripts/configure.sh ${BUILD#"$REPO"/}   # cmake -S . -B ${BUILD#"$REPO"/} -G Ninja -DCMAKE_C_COMPILER=gcc"
    "$REPO/scripts/configure.sh" "$BUILD" gcc || die "cmake failed"
  fi
  cmdline "ninja -C ${BUILD#"$REPO"/} snug-webhook snug-controller"
  local out
  if ! out=$(ninja -C "$BUILD" snug-webhook snug-controller 2>&1); then
    printf '%s\n' "$out" | tail -n 60 >&2
    die "the build failed"
  fi
  printf '%s\n' "$out" | tail -n 1
  SNUG=$BUILD/snug-webhook
  CONTROLLER=$BUILD/snug-controller
  [ -x "$SNUG" ] || die "no $SNUG after the build"
  [ -x "$CONTROLLER" ] || die "no $CONTROLLER after the build"
  if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
    die "no prometheus/promtool on PATH (scripts/install-deps.sh demo installs them)"
  fi
}

step_controlplane() {
  section "3. Control plane: etcd + kube-apiserver + kube-controller-manager"
  cmdline "tests/e2e/controlplane.sh build"
  "$CP" build
  BIN_DIR=$("$CP" path)
  STATE=$(mktemp -d "${TMPDIR:-/tmp}/snug-demo.XXXXXX")
  say "demo state: $STATE"
  cmdline "tests/e2e/controlplane.sh start $STATE"
  if [ "$KEEP" = 1 ]; then
    write_stop_script
    "$CP" start "$STATE" 3>&- 4>&-
  else
    SNUG_CP_WATCH_PID=$$ "$CP" start "$STATE" 3>&- 4>&-
    start_watchdog
  fi
  # shellcheck disable=SC1091
  APISERVER_URL=$(. "$STATE/env" && echo "$APISERVER_URL")
  say "kube-apiserver $("$BIN_DIR/kube-apiserver" --version | awk '{print $2}') at $APISERVER_URL"
  run_kc get --raw /readyz
  echo
}

# Wait until each CRD is Established. (`kubectl wait` fails outright with
# "accessor error" when asked the moment a CRD is created, before it has any
# status conditions, so poll instead.)
wait_established() {
  local crd i st
  for crd in "$@"; do
    for i in $(seq 1 120); do
      st=$(kc get crd "$crd" \
        -o 'jsonpath={.status.conditions[?(@.type=="Established")].status}' 2>/dev/null || true)
      [ "$st" = True ] && break
      [ "$i" = 120 ] && die "CRD $crd not Established after 60 s"
      sleep 0.5
    done
  done
}

step_install() {
  section "4. Install snug: CRDs, namespace, RBAC of the webhook and the controller"
  say "The objects of manifests/ (what the Helm chart installs), without the two"
  say "Deployments: the webhook and the controller run on this machine below."
  run_kc apply -f "$REPO/manifests/crds"
  wait_established sizingpolicies.snug.dev recommendations.snug.dev
  run_kc apply -f "$REPO/manifests/namespace.yaml"
  run_kc apply -f "$REPO/manifests/webhook-rbac.yaml"
  run_kc apply -f "$REPO/manifests/controller-rbac.yaml"
}

refused() { # refused SPEC_JSON: a SizingPolicy with this spec must be refused
  local out
  cmdline "kubectl apply -f - <<< '{\"kind\": \"SizingPolicy\", \"spec\": $1, ...}'"
  if out=$(kc apply -f - 2>&1 <<<"{\"apiVersion\": \"snug.dev/v1alpha1\", \"kind\": \"SizingPolicy\",
      \"metadata\": {\"name\": \"broken\"}, \"spec\": $1}"); then
    die "the API server accepted an invalid SizingPolicy: $out"
  fi
  say "$out" | grep -v 'some validation rules were not checked' | sed 's/^/  /'
}

step_policy() {
  section "5. Namespaces and SizingPolicies"
  run_kc apply -f "$EX/namespaces-demo.yaml"
  run_kc apply -f "$EX/policy-demo.yaml"
  cmdline "kubectl apply --dry-run=server -f examples/policy-production.yaml"
  kc apply --dry-run=server -f "$EX/policy-production.yaml"
  say "Bad policies are refused by the API server (OpenAPI schema, CEL rules):"
  refused '{"mode": "Sometimes"}'
  refused '{"resources": {"minAllowed": {"cpu": "4", "memory": "32Mi"}, "maxAllowed": {"cpu": "2", "memory": "1Gi"}}}'
  run_kc get szp
  # Pods need their namespace's default ServiceAccount (made by kube-controller-manager).
  wait_for "the default ServiceAccount in shop" 60 kc get serviceaccount default -n shop
  wait_for "the default ServiceAccount in staging" 60 kc get serviceaccount default -n staging
}

step_webhook() {
  section "6. Start snug-webhook (ServiceAccount token, self-managed certificates)"
  read -r WEBHOOK_PORT METRICS_PORT <<<"$(free_ports 2)"
  [ -n "$METRICS_PORT" ] || die "no free loopback ports"
  # The MutatingWebhookConfiguration of manifests/, pointed at this machine:
  # a url instead of the Service (no kubelet, no endpoints), no caBundle yet
  # (the webhook writes it), a timeout with room for a busy 2-CPU machine.
  "$PY" - "$REPO/manifests/webhook-configuration.yaml" "$WEBHOOK_PORT" \
    >"$STATE/webhook-configuration.json" <<'PY'
import json, sys, yaml
cfg = yaml.safe_load(open(sys.argv[1]))
for wh in cfg["webhooks"]:
    wh["clientConfig"] = {"url": "https://127.0.0.1:%s/mutate" % sys.argv[2]}
    wh["timeoutSeconds"] = 5
print(json.dumps(cfg, indent=1))
PY
  say "manifests/webhook-configuration.yaml with clientConfig.url https://127.0.0.1:$WEBHOOK_PORT/mutate:"
  cmdline "kubectl apply -f webhook-configuration.json"
  kc apply -f "$STATE/webhook-configuration.json"

  sa_kubeconfig snug-webhook "$STATE/webhook-kubeconfig"
  local args=(serve --kubeconfig "$STATE/webhook-kubeconfig"
    --self-managed-certs --ip-san 127.0.0.1
    --namespace "$SYSTEM_NS" --ca-secret snug-webhook-ca --webhook-config "$WEBHOOK_CONFIG"
    --listen "127.0.0.1:$WEBHOOK_PORT" --metrics-listen "127.0.0.1:$METRICS_PORT"
    --shutdown-timeout 5s)
  cmdline "snug-webhook ${args[*]/#$STATE\//\$STATE/} 2>\$STATE/webhook.log &"
  start_bg webhook "$SNUG" "${args[@]}"

  webhook_ready() {
    bg_pid webhook >/dev/null || die "snug-webhook exited"
    curl -skf --max-time 2 "https://127.0.0.1:$WEBHOOK_PORT/readyz"
  }
  wait_for "snug-webhook /readyz (certificate loaded, caches synced)" 60 webhook_ready
  say "ready: https://127.0.0.1:$WEBHOOK_PORT/readyz answers $(curl -sk --max-time 2 "https://127.0.0.1:$WEBHOOK_PORT/readyz")"

  ca_bundle() {
    [ -n "$(kc get mutatingwebhookconfiguration "$WEBHOOK_CONFIG" \
      -o jsonpath='{.webhooks[0].clientConfig.caBundle}')" ]
  }
  wait_for "the caBundle written by snug-webhook" 30 ca_bundle
  say "The webhook created its CA, kept it in a Secret and wrote the caBundle:"
  run_kc get secret snug-webhook-ca -n "$SYSTEM_NS"
  cmdline "kubectl get mutatingwebhookconfiguration $WEBHOOK_CONFIG -o jsonpath='{.webhooks[0].clientConfig.caBundle}' | base64 -d | openssl x509 -noout -subject -enddate"
  kc get mutatingwebhookconfiguration "$WEBHOOK_CONFIG" -o jsonpath='{.webhooks[0].clientConfig.caBundle}' |
    base64 -d | openssl x509 -noout -subject -enddate
  say "From its log:"
  grep -E '"msg":"(listening|created a new CA|stored the CA in its Secret|caBundle written to the webhook configuration|serving certificate in use)"' \
    "$STATE/webhook.log" | cut -c1-180 | sed 's/^/  /'

  # The API server reads webhook configurations through its own informer:
  # wait until a (dry-run) Pod CREATE really goes through snug.
  admitted_by_snug() {
    [ -n "$(kc create --dry-run=server -o 'jsonpath={.metadata.annotations.snug\.dev/mutated}' -f - <<'EOF'
{"apiVersion": "v1", "kind": "Pod",
 "metadata": {"name": "snug-demo-probe", "namespace": "shop"},
 "spec": {"containers": [{"name": "c", "image": "example/c:1"}]}}
EOF
    )" ]
  }
  wait_for "the API server to call snug-webhook" 60 admitted_by_snug
  say "the API server calls snug-webhook for Pod CREATE (checked with a dry-run Pod)"
}

step_workloads() {
  section "7. Three Deployments in shop: web (Go), api, worker"
  sed -n '/^#   web/,/^#   worker/p' "$EX/workloads-demo.yaml"
  run_kc apply -f "$EX/workloads-demo.yaml"
  pods_created() {
    [ "$(kc get pods -n shop -l 'app in (web,api,worker)' -o name | wc -l)" -ge 3 ]
  }
  wait_for "kube-controller-manager to create the Pods of web, api and worker" 120 pods_created
  say "kube-controller-manager created their ReplicaSets and Pods (Pending: there is no kubelet)."
  say "There is no Recommendation yet: web got the policy's default requests and probes, and no"
  say "limit, GOMEMLIMIT or GOMAXPROCS guessed from them; api and worker keep what they ask for"
  say "(resources.apply: IfMissing):"
  run_kc get pods -n shop -o custom-columns='POD:.metadata.name,MUTATED:.metadata.annotations.snug\.dev/mutated,CPU-REQ:.spec.containers[0].resources.requests.cpu,MEM-REQ:.spec.containers[0].resources.requests.memory,MEM-LIM:.spec.containers[0].resources.limits.memory,GOMEMLIMIT:.spec.containers[0].env[?(@.name=="GOMEMLIMIT")].value'
}

prom_query() { # prom_query PROMQL: print each series' labels and value
  curl -sSf --max-time 10 "$PROM_URL/api/v1/query" --data-urlencode "query=$1" | "$PY" -c '
import json, sys
for r in sorted(json.load(sys.stdin)["data"]["result"], key=lambda r: sorted(r["metric"].items())):
    v = float(r["value"][1])
    labels = " ".join("%s=%s" % kv for kv in sorted(r["metric"].items()))
    print("  %-60s %s" % (labels, "%.0fMi" % (v / 2**20) if v > 2**20 else "%g" % v))
'
}

step_prometheus() {
  section "8. Prometheus with a week of usage of these Pods"
  say "cAdvisor, kube-state-metrics and go_info series for the Pods above, a sample every"
  say "2 minutes for 7 days, written as OpenMetrics and turned into TSDB blocks by promtool:"
  kc get pods -n shop -o json >"$STATE/pods.json"
  cmdline "kubectl get pods -n shop -o json > pods.json"
  cmdline "scripts/demo_history.py --step 120 pods.json shop \$STATE/prometheus"
  "$PY" "$REPO/scripts/demo_history.py" --step 120 "$STATE/pods.json" shop "$STATE/prometheus" ||
    die "could not make the history"
  read -r PROM_PORT <<<"$(free_ports 1)"
  PROM_URL=http://127.0.0.1:$PROM_PORT
  printf 'global: {scrape_interval: 1m}\n' >"$STATE/prometheus/prometheus.yml"
  local args=(--config.file="$STATE/prometheus/prometheus.yml"
    --storage.tsdb.path="$STATE/prometheus/data" --storage.tsdb.retention.time=30d
    --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn)
  cmdline "prometheus ${args[*]//$STATE\//\$STATE/} 2>\$STATE/prometheus.log &"
  start_bg prometheus prometheus "${args[@]}"
  prom_ready() {
    bg_pid prometheus >/dev/null || die "prometheus exited"
    curl -sf --max-time 2 "$PROM_URL/-/ready"
  }
  wait_for "Prometheus /-/ready" 90 prom_ready
  say "$(prometheus --version 2>&1 | head -n 1) at $PROM_URL"
  local q='max by (pod) (max_over_time(container_memory_working_set_bytes{namespace="shop",container!="POD"}[7d]))'
  cmdline "curl -s $PROM_URL/api/v1/query --data-urlencode 'query=$q'"
  prom_query "$q"
  q='sum by (pod) (increase(container_oom_events_total{namespace="shop"}[7d]))'
  cmdline "curl -s $PROM_URL/api/v1/query --data-urlencode 'query=$q'"
  prom_query "$q"
}

# recs_written: the Recommendations of web, api and worker all have a target
recs_written() {
  kc get recommendations -n shop -o json | "$PY" -c '
import json, sys
items = {i["metadata"]["name"]: i for i in json.load(sys.stdin)["items"]}
for name in ("deployment-web", "deployment-api", "deployment-worker"):
    cs = items.get(name, {}).get("status", {}).get("containers") or [{}]
    if not all(c.get("target", {}).get("memory") for c in cs):
        sys.exit(1)
'
}

step_controller() {
  section "9. Start snug-controller: the Recommendations it writes"
  read -r CTL_METRICS_PORT <<<"$(free_ports 1)"
  sa_kubeconfig snug-controller "$STATE/controller-kubeconfig"
  local args=(run --kubeconfig "$STATE/controller-kubeconfig" --prometheus "$PROM_URL"
    --interval 5s --lease-namespace "$SYSTEM_NS" --identity "demo-$(hostname)"
    --metrics-listen "127.0.0.1:$CTL_METRICS_PORT")
  cmdline "snug-controller ${args[*]/#$STATE\//\$STATE/} 2>\$STATE/controller.log &"
  start_bg controller "$CONTROLLER" "${args[@]}"
  # /readyz is asked only once the controller has set up its informers and
  # holds the Lease (it logs "started leading"): a /readyz while it starts
  # them can crash this snug-controller (a NULL informer read by the
  # metrics thread).
  controller_leading() {
    bg_pid controller >/dev/null || die "snug-controller exited"
    grep -q '"component":"operator","msg":"started leading"' "$STATE/controller.log"
  }
  wait_for "snug-controller to take the Lease" 120 controller_leading
  controller_ready() {
    bg_pid controller >/dev/null || die "snug-controller exited"
    curl -sf --max-time 2 "http://127.0.0.1:$CTL_METRICS_PORT/readyz"
  }
  wait_for "snug-controller /readyz (caches synced, leading, a first pass done)" 120 controller_ready
  say "ready: http://127.0.0.1:$CTL_METRICS_PORT/readyz answers $(curl -s --max-time 2 "http://127.0.0.1:$CTL_METRICS_PORT/readyz")"
  wait_for "the Recommendations of web, api and worker" 120 recs_written
  say "From its log:"
  "$PY" - "$STATE/controller.log" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if r.get("component") == "operator" and r.get("msg") in ("starting", "started leading", "checkpoints loaded"):
        rest = " ".join("%s=%s" % (k, v) for k, v in r.items() if k not in ("ts", "level", "component", "msg"))
        print("  %s %s: %s  %s" % (r["ts"][11:23], r["component"], r["msg"], rest))
PY
  echo
  run_kc get rec -n shop
  echo
  run_kc get lease snug-controller -n "$SYSTEM_NS"
  echo
  run_kc describe rec deployment-api -n shop
}

# show_pods SELECTOR NEW_POD...: the Pods' resources, probes and Go env;
# each new Pod is checked against its Recommendation (requests = target,
# GOMEMLIMIT and GOMAXPROCS set); exit status 1 when one is not.
show_pods() {
  local selector=$1
  shift
  kc get recommendations -n shop -o json >"$STATE/recs.json"
  cmdline "kubectl get pods -n shop -l $selector -o json | (resources, probes, env of each container)"
  kc get pods -n shop -l "$selector" -o json | "$PY" -c '
import json, sys

def qty(d):
    return ", ".join("%s %s" % kv for kv in (d or {}).items()) or "-"

def probe(p):
    if not p:
        return "-"
    if "httpGet" in p:
        h = p["httpGet"]
        how = "%s GET %s on port %s" % (h.get("scheme", "HTTP"), h.get("path", "/"), h["port"])
    elif "tcpSocket" in p:
        how = "TCP connect on port %s" % p["tcpSocket"]["port"]
    else:
        how = "exec/grpc"
    return "%s, every %ss, timeout %ss, %s failures" % (
        how, p.get("periodSeconds", 10), p.get("timeoutSeconds", 1), p.get("failureThreshold", 3))

recs = {r["spec"]["targetRef"]["name"]: r for r in json.load(open(sys.argv[1]))["items"]}
new = set(sys.argv[2:])
bad = []
pods = [p for p in json.load(sys.stdin)["items"] if p["metadata"]["name"] in new]
for pod in pods:
    md = pod["metadata"]
    app = md.get("labels", {}).get("app")
    rec = {c["name"]: c for c in recs.get(app, {}).get("status", {}).get("containers", [])}
    print("Pod %s/%s (new)" % (md["namespace"], md["name"]))
    print("  annotation snug.dev/mutated: %s" % md.get("annotations", {}).get("snug.dev/mutated", "(absent)"))
    for c in pod["spec"]["containers"]:
        env = {e["name"]: e.get("value") for e in c.get("env", [])}
        r = c.get("resources", {})
        want = rec.get(c["name"], {})
        print("  container %s (%s)" % (c["name"], c["image"]))
        print("    requests         %s" % qty(r.get("requests")))
        print("    limits           %s" % qty(r.get("limits")))
        print("    livenessProbe    %s" % probe(c.get("livenessProbe")))
        print("    readinessProbe   %s" % probe(c.get("readinessProbe")))
        print("    startupProbe     %s" % probe(c.get("startupProbe")))
        for k in ("GOMEMLIMIT", "GOMAXPROCS"):
            print("    env %-12s %s" % (k, env.get(k, "(not set)")))
        go = want.get("go", {})
        print("    Recommendation   target %s; limits %s; go: GOMAXPROCS %s, GOMEMLIMIT %s" % (
            qty(want.get("target")), qty(want.get("limits")), go.get("gomaxprocs", "-"),
            go.get("gomemlimit", "-")))
        if not want.get("target") or r.get("requests") != want["target"]:
            bad.append("%s: requests %s, Recommendation %s" % (md["name"], r.get("requests"), want.get("target")))
        if "GOMEMLIMIT" not in env or "GOMAXPROCS" not in env:
            bad.append("%s: no GOMEMLIMIT/GOMAXPROCS" % md["name"])
        if r.get("requests") == want.get("target"):
            print("    = the requests are the Recommendation'"'"'s target")
if len(pods) != len(new) or bad:
    sys.exit("new Pods not sized by the Recommendation: %s" % ("; ".join(bad) or "Pods missing"))
' "$STATE/recs.json" "$@"
}

step_scale() {
  section "10. Scale web up: the new Pods carry the Recommendation"
  # The webhook learns of Recommendations through its watch: wait until it
  # holds every one the API server has.
  local n old new
  n=$(kc get recommendations -A -o name | wc -l)
  webhook_has_recs() {
    [ "$(curl -sf --max-time 2 "http://127.0.0.1:$METRICS_PORT/metrics" |
      awk '$1 == "snug_webhook_cache_objects{kind=\"recommendations\"}" { print $2 }')" -ge "$n" ]
  }
  wait_for "snug-webhook to cache the $n Recommendations" 60 webhook_has_recs
  old=$(kc get pods -n shop -l app=web -o jsonpath='{.items[*].metadata.name}')
  run_kc scale deployment web -n shop --replicas=3
  three_pods() { [ "$(kc get pods -n shop -l app=web -o name | wc -l)" -ge 3 ]; }
  wait_for "kube-controller-manager to create 2 more Pods of web" 120 three_pods
  new=$(kc get pods -n shop -l app=web -o jsonpath='{.items[*].metadata.name}' | tr ' ' '\n' |
    grep -vxF -f <(tr ' ' '\n' <<<"$old") | paste -sd ' ')
  say "the Pod created before the Recommendation ($old) and the new ones ($new):"
  run_kc get pods -n shop -l app=web --sort-by=.metadata.creationTimestamp -o custom-columns='POD:.metadata.name,MUTATED:.metadata.annotations.snug\.dev/mutated,CPU-REQ:.spec.containers[0].resources.requests.cpu,MEM-REQ:.spec.containers[0].resources.requests.memory,MEM-LIM:.spec.containers[0].resources.limits.memory,GOMEMLIMIT:.spec.containers[0].env[?(@.name=="GOMEMLIMIT")].value,GOMAXPROCS:.spec.containers[0].env[?(@.name=="GOMAXPROCS")].value'
  echo
  # shellcheck disable=SC2086 # one Pod name a word
  show_pods app=web $new
  say ""
  say "requests = the Recommendation's target; memory limit = its limit (the policy's default:"
  say "the request, never below the peak seen); GOMEMLIMIT = 90% of that limit in Go's syntax;"
  say "GOMAXPROCS from its CPU upper bound (no CPU limit); probes on the port named http."
}

step_recommend() {
  section "11. snug-controller recommend: the same computation, as a report"
  say "Writes nothing; the workloads and policies come from the API server (your kubeconfig)."
  cmdline "snug-controller recommend --prometheus $PROM_URL -n shop"
  KUBECONFIG=$STATE/kubeconfig "$CONTROLLER" recommend --prometheus "$PROM_URL" -n shop \
    2>"$STATE/recommend.err" || {
    cat "$STATE/recommend.err" >&2
    die "snug-controller recommend failed"
  }
  sed 's/^/(stderr) /' "$STATE/recommend.err" | cut -c1-200
}

step_offline() {
  section "12. The same engine offline: snug-webhook mutate --diff"
  cmdline "kubectl get recommendations -n shop -o yaml > recs.yaml"
  kc get recommendations -n shop -o yaml >"$STATE/recs.yaml"
  local args=(mutate -f examples/workloads-demo.yaml --policy examples/policy-demo.yaml
    --recommendations "$STATE/recs.yaml" --namespace-labels snug.dev/enabled=true --diff)
  cmdline "snug-webhook ${args[*]/#$STATE\//}"
  (cd "$REPO" && "$SNUG" "${args[@]}")
}

step_audit() {
  section "13. Audit mode: kubectl apply shows the warning"
  say "Namespace staging is labelled snug.dev/enabled=audit: policy demo-audit (mode: Audit)."
  local out
  cmdline "kubectl apply -f examples/pod-audit-demo.yaml"
  out=$(kc apply -f "$EX/pod-audit-demo.yaml" 2>&1)
  say "$out"
  case $out in
    *"Warning:"*"snug audit"*) ;;
    *) die "no snug audit warning from kubectl apply" ;;
  esac
  say ""
  say "report-builder has no Recommendation yet: default requests and probes only;"
  say "no limit, GOMEMLIMIT or GOMAXPROCS is guessed from a default request."
  say ""
  say "and the Pod was created unchanged:"
  run_kc get pod report-builder -n staging -o custom-columns='POD:.metadata.name,MUTATED:.metadata.annotations.snug\.dev/mutated,REQUESTS:.spec.containers[0].resources.requests,LIVENESS:.spec.containers[0].livenessProbe,ENV:.spec.containers[0].env'
}

step_metrics() {
  section "14. Metrics of the webhook and the controller"
  cmdline "curl -s http://127.0.0.1:$METRICS_PORT/metrics | grep -E '^snug_webhook_(requests_total|mutations_total|cache_objects|ready)'"
  curl -sSf --max-time 5 "http://127.0.0.1:$METRICS_PORT/metrics" |
    grep -E '^snug_webhook_(requests_total|mutations_total|cache_objects|ready)[{ ]'
  echo
  local re='^snug_controller_(leader|passes_total|prometheus_queries_total|prometheus_errors_total|recommendations_(written|unchanged)_total|workloads|containers|requested|recommended)[{ ]'
  cmdline "curl -s http://127.0.0.1:$CTL_METRICS_PORT/metrics | grep -E '$re'"
  curl -sSf --max-time 5 "http://127.0.0.1:$CTL_METRICS_PORT/metrics" | grep -E "$re" |
    grep -v '_errors_total{.*} 0$'
}

step_summary() {
  end_section
  printf '\n%s==== Done ====%s\n' "$BOLD" "$RESET"
  local t
  say "timings:"
  for t in "${TIMINGS[@]}"; do say "  $t"; done
  say "  $(printf '%-74s %7s' total "$(secs $(($(now_ms) - DEMO_T0)))")"
  if [ "$KEEP" = 1 ]; then
    cat <<EOF

The control plane, Prometheus, snug-webhook and snug-controller keep running
(SNUG_DEMO_KEEP=1). Try:

  export KUBECONFIG=$STATE/kubeconfig
  alias kubectl=$BIN_DIR/kubectl
  kubectl get rec -n shop -o yaml
  kubectl scale deployment web -n shop --replicas=5
  kubectl get pods -n shop -o yaml
  $CONTROLLER recommend --prometheus $PROM_URL -n shop -o wide

Pods in namespace shop are sized (policy demo), in staging audited (policy
demo-audit). Tokens are valid for 24h.
  Prometheus:          $PROM_URL
  webhook metrics:     curl -s http://127.0.0.1:$METRICS_PORT/metrics
  controller metrics:  curl -s http://127.0.0.1:$CTL_METRICS_PORT/metrics
  logs:                $STATE/{webhook,controller,prometheus}.log

Stop everything and delete the state:

  $STATE/stop.sh
EOF
  fi
}

main() {
  say "${BOLD}snug demo${RESET}: an operator that sizes workloads from Prometheus and a webhook that applies it, in a real control plane on 127.0.0.1"
  step_deps
  step_build
  step_controlplane
  step_install
  step_policy
  step_webhook
  step_workloads
  step_prometheus
  step_controller
  step_scale
  step_recommend
  step_offline
  step_audit
  step_metrics
  step_summary
  say "${GREEN}demo OK${RESET}"
}

main "$@"

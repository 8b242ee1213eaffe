#!/usr/bin/env bash
# demo.sh - snug end to end on this machine, no input needed.
#
# Installs the Debian packages it needs (scripts/install-deps.sh demo: no
# service is started or enabled by it), builds snug, starts
# a real control plane on 127.0.0.1 (etcd + kube-apiserver +
# kube-controller-manager from tests/e2e/controlplane.sh), installs snug's
# CRDs and RBAC, a SizingPolicy and a Recommendation, runs
# `snug-webhook serve` against it (the snug-webhook ServiceAccount's token,
# self-managed certificates, caBundle written into the
# MutatingWebhookConfiguration by the webhook itself), creates a Deployment
# of a Go service and shows the Pods kube-controller-manager created: their
# resources, probes, GOMAXPROCS / GOMEMLIMIT and the snug.dev/mutated
# annotation. Then `kubectl get szp,rec -A`, the same mutation offline
# (`snug-webhook mutate --diff`), an Audit-mode warning from `kubectl apply`
# and the webhook's /metrics. Everything it started is stopped at exit (also
# on Ctrl-C or a failure).
#
# Exit status: 0 when every step worked; non-zero otherwise, after the end of
# the webhook's log.
#
# Environment:
#   SNUG_DEMO_KEEP=1         leave the control plane and the webhook running
#                            and print how to use and stop them
#   SNUG_DEMO_SKIP_DEPS=1    do not run scripts/install-deps.sh
#   SNUG_DEMO_BUILD_DIR=DIR  CMake build dir (default: <repo>/build, configured
#                            by scripts/configure.sh as scripts/test.sh does)
#   SNUG_CACHE_DIR, SNUG_BUILD_JOBS, SNUG_CP_TIMEOUT
#                            passed on to tests/e2e/controlplane.sh (the first
#                            run builds the control plane: minutes; then cached)
#
# Files: examples/namespaces-demo.yaml, policy-demo.yaml,
# recommendation-demo.yaml, deployment-demo.yaml, pod-audit-demo.yaml.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CP=$REPO/tests/e2e/controlplane.sh
EX=$REPO/examples
BUILD=${SNUG_DEMO_BUILD_DIR:-$REPO/build}
case ${SNUG_DEMO_KEEP:-0} in 0 | "" | no | false) KEEP=0 ;; *) KEEP=1 ;; esac
SYSTEM_NS=snug-system
WEBHOOK_CONFIG=snug # the name manifests/ use, so webhook-rbac.yaml applies as is

STATE=
BIN_DIR=
SNUG=
WEBHOOK_PORT=
METRICS_PORT=
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

# ------------------------------------------------------- webhook process --
# The webhook runs in its own session; STATE/webhook.pid holds "PID
# STARTTIME" so a recycled pid is never signalled.
proc_starttime() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ] || return 1
  echo "$stat" | awk '{ print $20 }'
}
webhook_pid() { # prints the pid while the webhook we started runs
  local f=$STATE/webhook.pid pid st cur
  [ -n "$STATE" ] && [ -s "$f" ] || return 1
  read -r pid st <"$f" || return 1
  cur=$(proc_starttime "$pid") || return 1
  [ "$cur" = "$st" ] || return 1
  echo "$pid"
}
stop_webhook() {
  local pid i
  pid=$(webhook_pid) || {
    rm -f "$STATE/webhook.pid"
    return 0
  }
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do # it drains in-flight requests (--shutdown-timeout 5s)
    webhook_pid >/dev/null || break
    sleep 0.1
  done
  if webhook_pid >/dev/null; then
    say "snug-webhook (pid $pid) still running 10s after SIGTERM: SIGKILL" >&2
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.2
  fi
  rm -f "$STATE/webhook.pid"
}

# A watchdog stops the webhook if this script dies without running its EXIT
# trap (SIGKILL); the control plane has its own (SNUG_CP_WATCH_PID). It
# exits by itself once the pid file is gone.
start_watchdog() {
  # shellcheck disable=SC2016 # expanded by the inner shell
  bash -c '
    trap "" INT
    while kill -0 "$0" 2>/dev/null; do
      [ -f "$1" ] || exit 0
      sleep 1
    done
    [ -f "$1" ] || exit 0
    read -r pid st <"$1" || exit 0
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || exit 0
    stat=${stat##*) }
    [ "$(echo "$stat" | awk "{ print \$20 }")" = "$st" ] || exit 0
    kill -TERM "$pid"; sleep 10; kill -KILL "$pid" 2>/dev/null
    rm -f "$1"
  ' "$$" "$STATE/webhook.pid" </dev/null >/dev/null 2>&1 3>&- 4>&- &
  WATCHDOG_PID=$!
}

webhook_log_tail() {
  [ -n "$STATE" ] && [ -s "$STATE/webhook.log" ] || return 0
  printf '\n%s---- last lines of the webhook log (%s) ----%s\n' "$BOLD" "$STATE/webhook.log" "$RESET" >&2
  tail -n 40 "$STATE/webhook.log" >&2
}

write_stop_script() {
  cat >"$STATE/stop.sh" <<EOF
#!/usr/bin/env bash
# Stop what scripts/demo.sh left running (SNUG_DEMO_KEEP=1) and delete its state.
set -u
STATE='$STATE'
if [ -s "\$STATE/webhook.pid" ]; then
  read -r pid st <"\$STATE/webhook.pid"
  stat=\$(cat "/proc/\$pid/stat" 2>/dev/null) && stat=\${stat##*) } &&
    [ "\$(echo "\$stat" | awk '{ print \$20 }')" = "\$st" ] && {
    kill -TERM "\$pid"
    for i in \$(seq 100); do kill -0 "\$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "\$pid" 2>/dev/null
  }
fi
'$CP' stop "\$STATE" && rm -rf "\$STATE" && echo "snug demo stopped"
EOF
  chmod +x "$STATE/stop.sh"
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
      webhook_log_tail
      ;;
  esac
  [ -n "$STATE" ] || exit "$rc"
  if [ "$KEEP" = 1 ]; then
    [ "$rc" -eq 0 ] || say "SNUG_DEMO_KEEP=1: leaving what runs as it is; stop it with $STATE/stop.sh" >&2
    exit "$rc"
  fi
  stop_webhook
  [ -z "$WATCHDOG_PID" ] || kill "$WATCHDOG_PID" 2>/dev/null
  [ -z "$WATCHDOG_PID" ] || wait "$WATCHDOG_PID" 2>/dev/null
  if ! "$CP" stop "$STATE" >"$STATE/stop.log" 2>&1; then
    cat "$STATE/stop.log" >&2
    [ "$rc" -ne 0 ] || rc=1
  fi
  if [ "$rc" -eq 0 ]; then
    rm -rf "$STATE"
    say "stopped the webhook and the control plane; removed $STATE"
  else
    say "stopped the webhook and the control plane; logs kept in $STATE (logs/, webhook.log)" >&2
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
  cmdline "ninja -C ${BUILD#"$REPO"/} snug-webhook"
  local out
  if ! out=$(ninja -C "$BUILD" snug-webhook 2>&1); then
    printf '%s\n' "$out" | tail -n 60 >&2
    die "the build failed"
  fi
  printf '%s\n' "$out" | tail -n 1
  SNUG=$BUILD/snug-webhook
  [ -x "$SNUG" ] || die "no $SNUG after the build"
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
  section "4. Install snug: CRDs, namespace, RBAC"
  run_kc apply -f "$REPO/manifests/crds"
  wait_established sizingpolicies.snug.dev recommendations.snug.dev
  run_kc apply -f "$REPO/manifests/namespace.yaml"
  run_kc apply -f "$REPO/manifests/webhook-rbac.yaml"
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
  section "5. Namespaces, SizingPolicies, a Recommendation"
  run_kc apply -f "$EX/namespaces-demo.yaml"
  run_kc apply -f "$EX/policy-demo.yaml"
  cmdline "kubectl apply --dry-run=server -f examples/policy-production.yaml"
  kc apply --dry-run=server -f "$EX/policy-production.yaml"
  say "Bad policies are refused by the API server (OpenAPI schema, CEL rules):"
  refused '{"mode": "Sometimes"}'
  refused '{"resources": {"minAllowed": {"cpu": "4", "memory": "32Mi"}, "maxAllowed": {"cpu": "2", "memory": "1Gi"}}}'
  # The Recommendation: what the controller would write. Its status is a
  # subresource: create the object, then patch the status.
  python3 - "$EX/recommendation-demo.yaml" "$STATE/rec-object.json" "$STATE/rec-status.json" <<'PY'
import datetime, json, sys, yaml
rec = yaml.safe_load(open(sys.argv[1]))
status = rec.pop("status")
status["lastUpdated"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
json.dump(rec, open(sys.argv[2], "w"))
json.dump({"status": status}, open(sys.argv[3], "w"))
PY
  cmdline "kubectl apply -f examples/recommendation-demo.yaml   # without its status"
  kc apply -f "$STATE/rec-object.json"
  cmdline "kubectl patch recommendation deployment-checkout -n shop --subresource=status --type=merge -p '{\"status\": ...}'"
  kc patch recommendation deployment-checkout -n shop --subresource=status --type=merge \
    -p "$(cat "$STATE/rec-status.json")"
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
  python3 - "$REPO/manifests/webhook-configuration.yaml" "$WEBHOOK_PORT" \
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

  # A kubeconfig with the token of the snug-webhook ServiceAccount, so the
  # webhook has exactly the rights manifests/webhook-rbac.yaml gives it.
  local duration=2h token ca
  [ "$KEEP" = 0 ] || duration=24h
  cmdline "kubectl create token snug-webhook -n $SYSTEM_NS --duration $duration"
  token=$(kc create token snug-webhook -n "$SYSTEM_NS" --duration "$duration")
  ca=$(base64 -w0 <"$STATE/pki/ca.crt")
  (
    umask 077
    cat >"$STATE/webhook-kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: demo
  cluster: {server: "$APISERVER_URL", certificate-authority-data: "$ca"}
users:
- name: snug-webhook
  user: {token: "$token"}
contexts:
- name: demo
  context: {cluster: demo, user: snug-webhook, namespace: $SYSTEM_NS}
current-context: demo
EOF
  )
  local args=(serve --kubeconfig "$STATE/webhook-kubeconfig"
    --self-managed-certs --ip-san 127.0.0.1
    --namespace "$SYSTEM_NS" --ca-secret snug-webhook-ca --webhook-config "$WEBHOOK_CONFIG"
    --listen "127.0.0.1:$WEBHOOK_PORT" --metrics-listen "127.0.0.1:$METRICS_PORT"
    --shutdown-timeout 5s)
  cmdline "snug-webhook ${args[*]/#$STATE\//\$STATE/} 2>\$STATE/webhook.log &"
  # shellcheck disable=SC2016 # $$ and $@ are the inner shell's
  setsid bash -c 'echo $$ >"$0.tmp"; exec "$@"' "$STATE/webhook.pid" "$SNUG" "${args[@]}" \
    </dev/null >>"$STATE/webhook.log" 2>&1 3>&- 4>&- &
  disown # its death is reported by the readiness checks, not by bash
  local i pid st
  for ((i = 0; i < 200; i++)); do
    [ -s "$STATE/webhook.pid.tmp" ] && break
    sleep 0.02
  done
  read -r pid <"$STATE/webhook.pid.tmp" || die "snug-webhook did not start"
  rm -f "$STATE/webhook.pid.tmp"
  st=$(proc_starttime "$pid") || die "snug-webhook exited at once"
  echo "$pid $st" >"$STATE/webhook.pid"
  [ "$KEEP" = 1 ] || start_watchdog

  webhook_ready() {
    webhook_pid >/dev/null || die "snug-webhook exited"
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

step_deployment() {
  section "7. A Go service: Deployment shop/checkout"
  sed -n '/^apiVersion/,$p' "$EX/deployment-demo.yaml" | sed 's/^/  /'
  run_kc apply -f "$EX/deployment-demo.yaml"
  local want
  want=$(kc get deployment checkout -n shop -o jsonpath='{.spec.replicas}')
  pods_created() {
    [ "$(kc get pods -n shop -l app=checkout -o name | wc -l)" -ge "$want" ]
  }
  wait_for "kube-controller-manager to create $want Pods of shop/checkout" 120 pods_created
  say "kube-controller-manager created the ReplicaSet and $want Pods (Pending: there is no kubelet)"
}

step_show_pods() {
  section "8. The Pods, as snug-webhook admitted them"
  run_kc get pods -n shop -l app=checkout -o custom-columns='POD:.metadata.name,STATUS:.status.phase,MUTATED:.metadata.annotations.snug\.dev/mutated,CPU-REQ:.spec.containers[0].resources.requests.cpu,MEM-REQ:.spec.containers[0].resources.requests.memory,MEM-LIM:.spec.containers[0].resources.limits.memory,GOMEMLIMIT:.spec.containers[0].env[?(@.name=="GOMEMLIMIT")].value,GOMAXPROCS:.spec.containers[0].env[?(@.name=="GOMAXPROCS")].value'
  echo
  cmdline "kubectl get pods -n shop -l app=checkout -o json | (resources, probes, env of each container)"
  kc get pods -n shop -l app=checkout -o json | python3 -c '
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

bad = []
pods = json.load(sys.stdin)["items"]
for pod in pods:
    md = pod["metadata"]
    mutated = md.get("annotations", {}).get("snug.dev/mutated")
    print("Pod %s/%s" % (md["namespace"], md["name"]))
    print("  annotation snug.dev/mutated: %s" % (mutated or "(absent)"))
    if not mutated:
        bad.append(md["name"])
    for c in pod["spec"]["containers"]:
        env = {e["name"]: e.get("value") for e in c.get("env", [])}
        r = c.get("resources", {})
        print("  container %s (%s)" % (c["name"], c["image"]))
        print("    requests         %s" % qty(r.get("requests")))
        print("    limits           %s" % qty(r.get("limits")))
        print("    livenessProbe    %s" % probe(c.get("livenessProbe")))
        print("    readinessProbe   %s" % probe(c.get("readinessProbe")))
        print("    startupProbe     %s" % probe(c.get("startupProbe")))
        for k in ("GOMEMLIMIT", "GOMAXPROCS"):
            print("    env %-12s %s" % (k, env.get(k, "(not set)")))
        if "GOMEMLIMIT" not in env:
            bad.append(md["name"])
if not pods or bad:
    sys.exit("not mutated by snug: %s" % (", ".join(sorted(set(bad))) or "no Pods"))
'
  say ""
  say "requests = the Recommendation's target; memory limit = its OOM-aware limit;"
  say "GOMEMLIMIT = floor(512Mi x 0.9) in Go's syntax; GOMAXPROCS = ceil(upperBound 1200m), at least 2"
  say "(no CPU limit); probes on the port named http with the policy's paths."
}

step_get_crs() {
  section "9. kubectl get szp,rec -A"
  run_kc get szp,rec -A
  echo
  run_kc get rec -n shop -o wide
}

step_offline() {
  section "10. The same engine offline: snug-webhook mutate --diff"
  local args=(mutate -f examples/deployment-demo.yaml --policy examples/policy-demo.yaml
    --recommendations examples/recommendation-demo.yaml
    --namespace-labels snug.dev/enabled=true --diff)
  cmdline "snug-webhook ${args[*]}"
  (cd "$REPO" && "$SNUG" "${args[@]}")
}

step_audit() {
  section "11. Audit mode: kubectl apply shows the warning"
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
  section "12. The webhook's /metrics"
  cmdline "curl -s http://127.0.0.1:$METRICS_PORT/metrics | grep -E '^snug_webhook_(requests_total|mutations_total|cache_objects|ready)'"
  curl -sSf --max-time 5 "http://127.0.0.1:$METRICS_PORT/metrics" |
    grep -E '^snug_webhook_(requests_total|mutations_total|cache_objects|ready)[{ ]'
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

The control plane and snug-webhook keep running (SNUG_DEMO_KEEP=1). Try:

  export KUBECONFIG=$STATE/kubeconfig
  alias kubectl=$BIN_DIR/kubectl
  kubectl scale deployment checkout -n shop --replicas=3
  kubectl get pods -n shop -o yaml
  kubectl get szp,rec -A

Pods in namespace shop are sized (policy demo), in staging audited (policy
demo-audit). The webhook listens on https://127.0.0.1:$WEBHOOK_PORT/mutate; its
token is valid for 24h.
  metrics:  curl -s http://127.0.0.1:$METRICS_PORT/metrics
  log:      tail -f $STATE/webhook.log

Stop everything and delete the state:

  $STATE/stop.sh
EOF
  fi
}

main() {
  say "${BOLD}snug demo${RESET}: a mutating admission webhook that sizes Pods, in a real control plane on 127.0.0.1"
  step_deps
  step_build
  step_controlplane
  step_install
  step_policy
  step_webhook
  step_deployment
  step_show_pods
  step_get_crs
  step_offline
  step_audit
  step_metrics
  step_summary
  say "${GREEN}demo OK${RESET}"
}

main "$@"

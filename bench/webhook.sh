#!/usr/bin/env bash
# bench/webhook.sh -- throughput and latency of `snug-webhook serve` over TLS,
# with nginx on the same machine, certificate and cipher as the floor.
#
#   bench/webhook.sh                     full run (~3 min): 1, 8, 64, 256 connections
#   SNUG_BENCH_SHORT=1 bench/webhook.sh  ~15 s, one point: proves it works (CI)
#
# Environment:
#   SNUG_BUILD_DIR        CMake build dir holding snug-webhook (else built into
#                         out/build-bench/)
#   SNUG_BENCH_DURATION   seconds per run (default 5; short: 2)
#   SNUG_BENCH_ROUNDS     runs per point for each server, taking turns; figures
#                         are medians (default 3; short: 1)
#   SNUG_BENCH_CONNS      connection counts (default "1 8 64 256"; short: "8")
#   SNUG_BENCH_NICE       run snug, nginx and wrk at this nice value (e.g. -10,
#                         needs root) so other work on a shared machine
#                         disturbs the figures less
#
# What it does: makes a throwaway CA and a P-256 serving certificate for
# 127.0.0.1 with the openssl CLI; starts snug-webhook serve (files mode, that
# certificate, bench/recommendations.yaml) and nginx (nginx-light, a config in
# a temporary prefix, returning snug's exact answer as a fixed body) on
# 127.0.0.1; pins TLS 1.3 + TLS_AES_128_GCM_SHA256 + X25519 for both (nginx
# config, and OPENSSL_CONF for the wrk client; checked with openssl s_client);
# drives each with wrk over keep-alive connections POSTing
# bench/admission-6k.json (a ~6 KB Pod of a Deployment that gets resources,
# probes and Go env); then one fixed-rate pass at half of snug's peak (a delay
# in the wrk Lua script, since Debian has no wrk2). Prints a table and snug's
# peak RSS. Every process it starts is stopped on exit. See docs/benchmarks.md.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BENCH="$ROOT/bench"
BODY="$BENCH/admission-6k.json"
CIPHER=TLS_AES_128_GCM_SHA256
GROUP=X25519
NPROC="$(nproc)"
RATE_DELAY_MS=10

NICE=()
[ -z "${SNUG_BENCH_NICE:-}" ] || NICE=(nice -n "$SNUG_BENCH_NICE")

if [ "${SNUG_BENCH_SHORT:-0}" = 1 ]; then
    DUR="${SNUG_BENCH_DURATION:-2}"
    CONNS="${SNUG_BENCH_CONNS:-8}"
    ROUNDS="${SNUG_BENCH_ROUNDS:-1}"
else
    DUR="${SNUG_BENCH_DURATION:-5}"
    CONNS="${SNUG_BENCH_CONNS:-1 8 64 256}"
    ROUNDS="${SNUG_BENCH_ROUNDS:-3}"
fi
case "$ROUNDS" in '' | *[!0-9]* | 0) die "SNUG_BENCH_ROUNDS must be a positive integer" ;; esac

say() { printf '%s\n' "$*" >&2; }
die() { say "bench/webhook.sh: $*"; exit 1; }
for t in wrk nginx openssl curl python3 setsid; do
    command -v "$t" >/dev/null 2>&1 || die "$t not found (run scripts/install-deps.sh)"
done

# ---- binary -------------------------------------------------------------------
if [ -n "${SNUG_BUILD_DIR:-}" ]; then
    BIN="$SNUG_BUILD_DIR/snug-webhook"
else
    BUILD="$ROOT/out/build-bench"
    cmake -S "$ROOT" -B "$BUILD" -G Ninja >/dev/null
    ninja -C "$BUILD" snug-webhook >/dev/null
    BIN="$BUILD/snug-webhook"
fi
[ -x "$BIN" ] || die "no snug-webhook at $BIN"

# ---- work dir and cleanup -----------------------------------------------------
WORK="$(mktemp -d "${TMPDIR:-/tmp}/snug-bench.XXXXXX")"
SNUG_PID=""
ANON_PID=""
NGINX_PID=""

# Stop one process group we started (its leader's pid): TERM, then KILL.
stop_group() {
    local pid="$1" i
    [ -n "$pid" ] || return 0
    kill -TERM -- "-$pid" 2>/dev/null || return 0
    for i in $(seq 1 100); do
        kill -0 -- "-$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_group "$NGINX_PID"
    stop_group "$SNUG_PID"
    [ -z "$ANON_PID" ] || kill "$ANON_PID" 2>/dev/null || true
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ---- certificates --------------------------------------------------------------
PKI="$WORK/pki"
mkdir -p "$PKI"
(
    cd "$PKI"
    openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
    openssl req -x509 -new -key ca.key -sha256 -days 2 -subj /CN=snug-bench-ca -out ca.crt \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
    openssl ecparam -name prime256v1 -genkey -noout 2>/dev/null |
        openssl pkcs8 -topk8 -nocrypt -out tls.key
    openssl req -new -key tls.key -subj /CN=snug-bench -out tls.csr 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >ext.cnf
    openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -sha256 \
        -extfile ext.cnf -out tls.crt 2>/dev/null
)

# The client side of the pin: wrk and s_client read OPENSSL_CONF.
SSLCONF="$WORK/openssl-client.cnf"
write_sslconf() { # file ciphersuite
    cat >"$1" <<EOF
openssl_conf = openssl_init
[openssl_init]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
MinProtocol = TLSv1.3
MaxProtocol = TLSv1.3
Ciphersuites = $2
Groups = $GROUP
EOF
}
write_sslconf "$SSLCONF" "$CIPHER"

# ---- snug ----------------------------------------------------------------------
setsid "${NICE[@]}" "$BIN" serve --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 \
    --tls-cert-file "$PKI/tls.crt" --tls-key-file "$PKI/tls.key" \
    --recommendations "$BENCH/recommendations.yaml" 2>"$WORK/snug.log" &
SNUG_PID=$!
SNUG_PORT=""
for _ in $(seq 1 200); do
    SNUG_PORT="$(grep -o '"msg":"listening".*' "$WORK/snug.log" 2>/dev/null |
        grep -o '"port":"[0-9]*"' | grep -o '[0-9]\+' || true)"
    [ -n "$SNUG_PORT" ] && break
    kill -0 "$SNUG_PID" 2>/dev/null || { cat "$WORK/snug.log" >&2; die "snug-webhook exited"; }
    sleep 0.05
done
[ -n "$SNUG_PORT" ] || { cat "$WORK/snug.log" >&2; die "snug-webhook did not start"; }
SNUG_URL="https://127.0.0.1:$SNUG_PORT/mutate"
for _ in $(seq 1 100); do
    curl -sf --cacert "$PKI/ca.crt" "https://127.0.0.1:$SNUG_PORT/readyz" >/dev/null && break
    sleep 0.05
done
RSS_IDLE_KB="$(awk '/^VmRSS:/ {print $2}' "/proc/$SNUG_PID/status")"
ANON_IDLE_KB="$(awk '/^RssAnon:/ {print $2}' "/proc/$SNUG_PID/status")"
# The peak of the anonymous RSS (heap and stacks: what a container's memory
# limit must cover; the kernel keeps no high-water mark of it), sampled
# every 100 ms for the whole run.
echo "$ANON_IDLE_KB" >"$WORK/anon-peak"
(
    peak=$ANON_IDLE_KB
    while a="$(awk '/^RssAnon:/ {print $2}' "/proc/$SNUG_PID/status" 2>/dev/null)" && [ -n "$a" ]; do
        if [ "$a" -gt "$peak" ]; then
            peak=$a
            echo "$peak" >"$WORK/anon-peak"
        fi
        sleep 0.1
    done
) &
ANON_PID=$!

# snug's answer to the benchmark body: must be a real mutation.
curl -sS --fail --cacert "$PKI/ca.crt" -H 'Content-Type: application/json' \
    --data-binary "@$BODY" -o "$WORK/response.json" "$SNUG_URL"
PATCH_SUMMARY="$(python3 - "$WORK/response.json" <<'EOF'
import base64, json, sys
r = json.load(open(sys.argv[1]))["response"]
assert r["allowed"] is True and r.get("patchType") == "JSONPatch", r
ops = json.loads(base64.b64decode(r["patch"]))
text = json.dumps(ops)
missing = [w for w in ("resources", "Probe", "GOMEMLIMIT") if w not in text]
assert not missing, "the benchmark Pod was not fully mutated (no %s): %s" % (missing, text)
print("%d patch ops (resources, probes, go-env)" % len(ops))
EOF
)" || die "snug's answer to $BODY is not the expected mutation"
RESP_BYTES="$(wc -c <"$WORK/response.json")"

# ---- nginx ---------------------------------------------------------------------
NGINX_PORT="$(free_port)"
NGX="$WORK/nginx"
mkdir -p "$NGX"
chmod 755 "$WORK" "$NGX"
python3 - "$BENCH/nginx.conf.in" "$NGX/nginx.conf" "$WORK/response.json" <<EOF
import sys
tpl, out, resp = sys.argv[1:4]
body = open(resp).read()
for bad in ("'", "\\\\", "\$"):
    assert bad not in body, "response has %r: cannot inline it in nginx.conf" % bad
vals = {"WORKERS": "$NPROC", "PREFIX": "$NGX", "PORT": "$NGINX_PORT", "CERT": "$PKI/tls.crt",
        "KEY": "$PKI/tls.key", "CIPHER": "$CIPHER", "GROUP": "$GROUP", "RESPONSE": body}
text = open(tpl).read()
for k, v in vals.items():
    text = text.replace("@%s@" % k, v)
open(out, "w").write(text)
EOF
setsid "${NICE[@]}" nginx -e "$NGX/error.log" -p "$NGX" -c "$NGX/nginx.conf" &
NGINX_PID=$!
NGINX_URL="https://127.0.0.1:$NGINX_PORT/mutate"
ok=""
for _ in $(seq 1 100); do
    if curl -sf --cacert "$PKI/ca.crt" -H 'Content-Type: application/json' \
        --data-binary "@$BODY" -o "$WORK/nginx-response.json" "$NGINX_URL"; then
        ok=1
        break
    fi
    kill -0 "$NGINX_PID" 2>/dev/null || break
    sleep 0.05
done
[ -n "$ok" ] || { cat "$NGX/error.log" >&2; die "nginx did not start"; }
cmp -s "$WORK/response.json" "$WORK/nginx-response.json" ||
    die "nginx does not answer with snug's response body"

# ---- the TLS pin, checked ------------------------------------------------------
negotiated() { # port -> "TLSv1.3 TLS_AES_128_GCM_SHA256 X25519"
    OPENSSL_CONF="$SSLCONF" openssl s_client -connect "127.0.0.1:$1" -brief \
        -CAfile "$PKI/ca.crt" </dev/null 2>&1 | awk -F': ' '
        /^Protocol version/ {p=$2} /^Ciphersuite/ {c=$2}
        /^(Server Temp Key|Negotiated TLS1.3 group)/ {split($2, g, ","); k=g[1]}
        END {print p, c, k}'
}
TLS_SNUG="$(negotiated "$SNUG_PORT")"
TLS_NGINX="$(negotiated "$NGINX_PORT")"
[ "$TLS_SNUG" = "TLSv1.3 $CIPHER $GROUP" ] || die "snug negotiated \"$TLS_SNUG\""
[ "$TLS_NGINX" = "TLSv1.3 $CIPHER $GROUP" ] || die "nginx negotiated \"$TLS_NGINX\""
# wrk honours OPENSSL_CONF: with a cipher nginx does not have it cannot connect.
write_sslconf "$WORK/openssl-wrong.cnf" TLS_AES_128_CCM_8_SHA256
if OPENSSL_CONF="$WORK/openssl-wrong.cnf" SNUG_BENCH_BODY="$BODY" \
    wrk -t1 -c1 -d1s -s "$BENCH/wrk-post.lua" "$NGINX_URL" 2>&1 |
    grep -q '^RESULT requests=[1-9]'; then
    die "wrk ignores OPENSSL_CONF: the cipher pin would not hold"
fi

# ---- load ----------------------------------------------------------------------
ERRORS=0
LOAD_BEFORE="$(cut -d' ' -f1-3 /proc/loadavg)"

CLK_TCK="$(getconf CLK_TCK)"

# CPU time (ticks) used so far by the processes of process group PGID_WANTED
# (fields 14 and 15 of /proc/PID/stat, counted after the "(comm)" field).
group_ticks() {
    { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v g="$PGID_WANTED" '
        { line = $0; sub(/^.*\) /, "", line); split(line, f, " ")
          if (f[3] == g) t += f[12] + f[13] }
        END { print t + 0 }'
}

# run_wrk URL CONNS SECONDS DELAY_MS PGID -> sets R_RPS R_P50 R_P99 R_MAX R_ERR R_CPU_US
run_wrk() {
    local url="$1" c="$2" d="$3" delay="$4" pgid="$5" threads line kv t0 t1
    threads=$((c < NPROC ? c : NPROC))
    PGID_WANTED="$pgid"
    t0="$(group_ticks)"
    if ! OPENSSL_CONF="$SSLCONF" SNUG_BENCH_BODY="$BODY" SNUG_BENCH_DELAY_MS="$delay" \
        "${NICE[@]}" wrk -t"$threads" -c"$c" -d"${d}s" --timeout 5s -s "$BENCH/wrk-post.lua" "$url" \
        >"$WORK/wrk.out" 2>&1; then
        cat "$WORK/wrk.out" >&2
        die "wrk failed against $url"
    fi
    t1="$(group_ticks)"
    line="$(grep '^RESULT ' "$WORK/wrk.out")" || { cat "$WORK/wrk.out" >&2; die "no RESULT"; }
    local requests=0 duration_us=1 p50_us=0 p99_us=0 max_us=0 errs=0
    for kv in ${line#RESULT }; do
        case "$kv" in
        requests=*) requests="${kv#*=}" ;;
        duration_us=*) duration_us="${kv#*=}" ;;
        p50_us=*) p50_us="${kv#*=}" ;;
        p99_us=*) p99_us="${kv#*=}" ;;
        max_us=*) max_us="${kv#*=}" ;;
        err_*=*) errs=$((errs + ${kv#*=})) ;;
        esac
    done
    R_RPS="$(awk -v n="$requests" -v us="$duration_us" 'BEGIN {printf "%.0f", n / (us / 1e6)}')"
    R_P50="$(awk -v u="$p50_us" 'BEGIN {printf "%.3f", u / 1000}')"
    R_P99="$(awk -v u="$p99_us" 'BEGIN {printf "%.3f", u / 1000}')"
    R_MAX="$(awk -v u="$max_us" 'BEGIN {printf "%.3f", u / 1000}')"
    R_ERR="$errs"
    R_CPU_US="$(awk -v t=$((t1 - t0)) -v hz="$CLK_TCK" -v n="$requests" \
        'BEGIN {printf "%.0f", (n > 0) ? (t / hz * 1e6 / n) : 0}')"
    if [ "$errs" -gt 0 ]; then
        say "!! $errs errors against $url with $c connections"
        ERRORS=$((ERRORS + errs))
    fi
}

say "warming up..."
run_wrk "$SNUG_URL" "$NPROC" 1 0 "$SNUG_PID"
run_wrk "$NGINX_URL" "$NPROC" 1 0 "$NGINX_PID"

# median NUMBER... -> the middle value (the lower of the two middle ones).
median() {
    printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}

# rounds URL_A PID_A URL_B PID_B CONNS DELAY_MS -> arrays A_* and B_* (one
# entry per round) and RATIOS (A's req/s as a % of B's, per round). The two
# servers take turns, so a slow spell of the machine hits both alike.
rounds() {
    local r
    A_RPS=() A_P50=() A_P99=() A_MAX=() A_CPU=() B_RPS=() B_P50=() B_P99=() B_MAX=() B_CPU=()
    RATIOS=() R_ERRS=0
    for r in $(seq 1 "$ROUNDS"); do
        say "  snug, round $r/$ROUNDS, ${DUR}s..."
        run_wrk "$1" "$5" "$DUR" "$6" "$2"
        A_RPS+=("$R_RPS") A_P50+=("$R_P50") A_P99+=("$R_P99") A_MAX+=("$R_MAX") A_CPU+=("$R_CPU_US")
        R_ERRS=$((R_ERRS + R_ERR))
        say "  nginx, round $r/$ROUNDS, ${DUR}s..."
        run_wrk "$3" "$5" "$DUR" "$6" "$4"
        B_RPS+=("$R_RPS") B_P50+=("$R_P50") B_P99+=("$R_P99") B_MAX+=("$R_MAX") B_CPU+=("$R_CPU_US")
        R_ERRS=$((R_ERRS + R_ERR))
        RATIOS+=("$(awk -v a="${A_RPS[-1]}" -v b="$R_RPS" 'BEGIN {printf "%.0f", (b > 0) ? (100 * a / b) : 0}')")
    done
}

ROWS=""
PEAK=0
PEAK_RATIO="-"
PEAK_CONNS="-"
RATIO_LINES=""
for c in $CONNS; do
    say "$c connections:"
    rounds "$SNUG_URL" "$SNUG_PID" "$NGINX_URL" "$NGINX_PID" "$c" 0
    s_rps="$(median "${A_RPS[@]}")" s_p50="$(median "${A_P50[@]}")" s_p99="$(median "${A_P99[@]}")"
    n_rps="$(median "${B_RPS[@]}")" n_p50="$(median "${B_P50[@]}")" n_p99="$(median "${B_P99[@]}")"
    s_cpu="$(median "${A_CPU[@]}")" n_cpu="$(median "${B_CPU[@]}")"
    hwm="$(awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$SNUG_PID/status")"
    ratio="$(median "${RATIOS[@]}")%"
    RATIO_LINES="$RATIO_LINES$(printf '%6s connections: %s' "$c" "$(printf '%s%% ' "${RATIOS[@]}" | sed 's/ $//')")
"
    if [ "$s_rps" -gt "$PEAK" ]; then
        PEAK="$s_rps" PEAK_RATIO="$ratio" PEAK_CONNS="$c"
    fi
    errs=""
    [ "$R_ERRS" = 0 ] || errs="  errors: $R_ERRS"
    ROWS="$ROWS$(printf '%6s | %10s | %7s | %7s | %11s | %7s | %7s | %10s | %10s | %8s%s' \
        "$c" "$s_rps" "$s_p50" "$s_p99" "$n_rps" "$n_p50" "$n_p99" "$ratio" \
        "$s_cpu/$n_cpu" "$hwm" "$errs")
"
done

# Fixed rate at half of snug's peak: each connection sends one request every
# RATE_DELAY_MS (+ its latency), so connections = rate * delay.
TARGET=$((PEAK / 2))
RATE_CONNS=$(((TARGET * RATE_DELAY_MS + 500) / 1000))
[ "$RATE_CONNS" -ge 1 ] || RATE_CONNS=1
say "a fixed ~$TARGET req/s ($RATE_CONNS connections x 1 request per ${RATE_DELAY_MS} ms), snug and nginx:"
rounds "$SNUG_URL" "$SNUG_PID" "$NGINX_URL" "$NGINX_PID" "$RATE_CONNS" "$RATE_DELAY_MS"
F_RPS="$(median "${A_RPS[@]}")" F_P50="$(median "${A_P50[@]}")" F_P99="$(median "${A_P99[@]}")"
F_MAX="$(median "${A_MAX[@]}")" F_CPU="$(median "${A_CPU[@]}")" F_P99S="$(printf '%s ' "${A_P99[@]}" | sed 's/ $//')"
G_RPS="$(median "${B_RPS[@]}")" G_P50="$(median "${B_P50[@]}")" G_P99="$(median "${B_P99[@]}")"
G_MAX="$(median "${B_MAX[@]}")" G_CPU="$(median "${B_CPU[@]}")" G_P99S="$(printf '%s ' "${B_P99[@]}" | sed 's/ $//')"

LOAD_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
HWM_KB="$(awk '/^VmHWM:/ {print $2}' "/proc/$SNUG_PID/status")"
RSS_KB="$(awk '/^VmRSS:/ {print $2}' "/proc/$SNUG_PID/status")"
ANON_KB="$(awk '/^RssAnon:/ {print $2}' "/proc/$SNUG_PID/status")"
FILE_KB="$(awk '/^RssFile:/ {print $2}' "/proc/$SNUG_PID/status")"
ANON_PEAK_KB="$(cat "$WORK/anon-peak")"

# ---- report --------------------------------------------------------------------
cpu="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
mib() { awk -v k="$1" 'BEGIN {printf "%.1f MiB", k / 1024}'; }
cat <<EOF

snug webhook benchmark (bench/webhook.sh$([ "${SNUG_BENCH_SHORT:-0}" = 1 ] && echo ", SHORT mode: not a measurement"))
machine:  $NPROC CPUs ($cpu), $(uname -sr); wrk, snug and nginx share them
load:     load average $LOAD_BEFORE before, $LOAD_AFTER after (anything else running skews the figures)${SNUG_BENCH_NICE:+; servers and wrk at nice $SNUG_BENCH_NICE}
versions: $(nginx -v 2>&1 | sed 's/nginx version: //'), $(wrk -v 2>&1 | head -1 | awk '{print $1, $2}'), $(openssl version | awk '{print $1, $2}')
TLS:      $TLS_SNUG on both (checked with openssl s_client)
request:  $(basename "$BODY") ($(wc -c <"$BODY") bytes, POST, keep-alive) -> 200, $PATCH_SUMMARY, $RESP_BYTES-byte response
nginx:    $NPROC workers, answers the same $RESP_BYTES bytes from its config (return 200)
snug:     default flags ($NPROC threads), files-mode certificate, recommendations file
per point: $ROUNDS round(s) of ${DUR}s each for snug then nginx, taking turns; every figure is
           the median of the rounds, snug/nginx the median of the rounds' ratios;
           wrk threads = min(connections, $NPROC); latency in ms; CPU us/req = server
           CPU time (user+system, all threads/workers) per request, snug/nginx;
           snug MiB = its peak RSS (VmHWM) so far

 conns | snug req/s | p50 ms  | p99 ms  | nginx req/s | p50 ms  | p99 ms  | snug/nginx | CPU us/req | snug MiB
-------+------------+---------+---------+-------------+---------+---------+------------+------------+---------
$ROWS
snug/nginx per round:
$RATIO_LINES
fixed rate (half of snug's peak $PEAK req/s at $PEAK_CONNS connections; $RATE_CONNS connections,
each waiting ${RATE_DELAY_MS} ms on average (exponential) before each request):
  snug:  $F_RPS req/s achieved, p50 $F_P50 ms, p99 $F_P99 ms (rounds: $F_P99S), max $F_MAX ms, CPU $F_CPU us/req
  nginx: $G_RPS req/s achieved, p50 $G_P50 ms, p99 $G_P99 ms (rounds: $G_P99S), max $G_MAX ms, CPU $G_CPU us/req
snug memory: anonymous RSS (RssAnon: heap and stacks, what a memory limit must cover)
             peak $(mib "$ANON_PEAK_KB") (sampled every 100 ms), idle after start $(mib "$ANON_IDLE_KB"), now $(mib "$ANON_KB");
             peak RSS (VmHWM, with the shared code pages) $(mib "$HWM_KB"), RSS idle after start $(mib "$RSS_IDLE_KB"),
             RSS now $(mib "$RSS_KB") (mapped files $(mib "$FILE_KB"))

aims: >= 60% of nginx req/s at peak: $PEAK_RATIO | p99 < 2 ms at half the peak rate: $F_P99 ms | peak RSS < 20 MiB: $(mib "$HWM_KB") (anonymous $(mib "$ANON_PEAK_KB"))
EOF
[ "$ERRORS" -eq 0 ] || die "$ERRORS request errors during the run (see above)"

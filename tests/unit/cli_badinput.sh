#!/usr/bin/env bash
# cli_badinput.sh -- `snug-webhook mutate` on bad and hostile input: every
# case checks the exit status, a message on standard error, and that the
# process was not killed by a signal (status < 128).
#
# usage: bash tests/unit/cli_badinput.sh <path-to-snug-webhook> <source-dir>
set -u

bin=${1:?usage: cli_badinput.sh <snug-webhook> <source-dir>}
case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/snug-badinput.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
export SNUG_LOG_LEVEL=warn

pass=0
fail=0

# check NAME WANT_RC ("0|1": either) STDERR_SUBSTRING [--stdout-empty|--stdout-has TEXT|--stdout-is FILE] -- ARGS...
# Runs `snug-webhook mutate ARGS` (standard input from $STDIN when set).
check() {
    local name=$1 want_rc=$2 want_err=$3 rc why=()
    local out_mode="" out_arg=""
    shift 3
    case "${1:-}" in
    --stdout-empty) out_mode=empty; shift ;;
    --stdout-has | --stdout-is) out_mode=$1; out_arg=$2; shift 2 ;;
    esac
    [ "${1:-}" = "--" ] && shift
    if [ -n "${STDIN:-}" ]; then
        timeout 120 "$bin" mutate "$@" <"$STDIN" >out.txt 2>err.txt
    else
        timeout 120 "$bin" mutate "$@" </dev/null >out.txt 2>err.txt
    fi
    rc=$?
    if [ "$rc" -ge 124 ]; then
        why+=("killed or timed out (exit $rc)")
    elif [ "$want_rc" = "0|1" ] && [ "$rc" -le 1 ]; then
        : # either is fine: the point is not to crash
    elif [ "$rc" != "$want_rc" ]; then
        why+=("exit $rc, want $want_rc")
    fi
    # Sanitizer reports exit 1 too: look for them explicitly.
    if grep -qE 'ERROR: (Address|Leak|Memory)Sanitizer|runtime error:' err.txt; then
        why+=("sanitizer report on stderr")
    fi
    if [ -n "$want_err" ] && ! grep -qF -- "$want_err" err.txt; then
        why+=("stderr lacks \"$want_err\"")
    fi
    case "$out_mode" in
    empty) [ -s out.txt ] && why+=("stdout is not empty") ;;
    --stdout-has) grep -qF -- "$out_arg" out.txt || why+=("stdout lacks \"$out_arg\"") ;;
    --stdout-is) cmp -s "$out_arg" out.txt || why+=("stdout differs from $out_arg") ;;
    esac
    if [ ${#why[@]} -eq 0 ]; then
        echo "ok $name"
        pass=$((pass + 1))
        return
    fi
    echo "FAIL $name"
    for w in "${why[@]}"; do echo "  $w"; done
    echo "  stderr:"
    head -c 2000 err.txt | sed 's/^/    /'
    echo "  stdout (start):"
    head -c 600 out.txt | sed 's/^/    /'
    fail=$((fail + 1))
}

# --- usage -------------------------------------------------------------------
check "no arguments" 2 "-f FILE is required" --stdout-empty --
check "unknown flag" 2 "unknown flag --frobnicate" --stdout-empty -- -f x.yaml --frobnicate
check "-f without its argument" 2 "flag -f needs a value" --stdout-empty -- -f
check "--policy without its argument" 2 "flag --policy needs a value" -- -f x.yaml --policy
check "empty --namespace" 2 "needs a non-empty value" -- -f x.yaml --namespace=
check "positional argument" 2 "unexpected argument \"pod.yaml\"" -- pod.yaml
check "bad --max-bytes" 2 "--max-bytes: \"12k\" is not a positive number" -- -f x.yaml --max-bytes 12k
check "zero --max-bytes" 2 "is not a positive number" -- -f x.yaml --max-bytes=0
check "--help" 0 "" --stdout-has "usage: snug-webhook mutate" -- --help

printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: app\n    image: app:1\n' >pod.yaml
check "bad --namespace-labels" 2 "--namespace-labels" --stdout-empty -- -f pod.yaml --namespace-labels 'a=b,=c'

# --- files -------------------------------------------------------------------
check "missing file" 1 "does-not-exist.yaml" --stdout-empty -- -f does-not-exist.yaml
check "directory as input" 1 "snug-webhook mutate: ." --stdout-empty -- -f .
check "missing policy file" 1 "nope-policy.yaml" --stdout-empty -- -f pod.yaml --policy nope-policy.yaml

# --- malformed input -----------------------------------------------------------
printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: a: b\n' >bad.yaml
check "malformed YAML" 1 "line 5" --stdout-empty -- -f bad.yaml
check "malformed YAML names the file" 1 "bad.yaml: line 5" -- -f bad.yaml
printf '{"apiVersion": "v1", "kind": "Pod",\n "metadata": {"name": "p"}\n' >bad.json
check "malformed JSON" 1 "bad.json: line" --stdout-empty -- -f bad.json
printf '{"kind": "Pod", "kind": "Pod"}\n' >dup.json
check "duplicate key" 1 "kind" --stdout-empty -- -f dup.json
printf 'apiVersion: v1\nkind: Pod\nmetadata:\n\tname: p\n' >tab.yaml
check "tab indentation" 1 "tab.yaml: line 4" --stdout-empty -- -f tab.yaml
printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: "p\0q"\n' >nul.yaml
check "NUL byte" 1 "nul.yaml" --stdout-empty -- -f nul.yaml
printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: \xff\xfe\n' >utf8.yaml
check "invalid UTF-8" 1 "utf8.yaml" --stdout-empty -- -f utf8.yaml
# Binary garbage from a fixed linear congruential generator, so every run
# sees the same bytes.
LC_ALL=C awk 'BEGIN { s = 42; for (i = 0; i < 8192; i++) { s = (s * 1103515245 + 12345) % 2147483648;
             printf "%c", int(s / 65536) % 256 } }' </dev/null >garbage.bin
check "binary garbage" 1 "garbage.bin" --stdout-empty -- -f garbage.bin
check "binary garbage, --diff" 1 "garbage.bin" --stdout-empty -- -f garbage.bin --diff

# Mapping keys that are numbers too large for a double (found by fuzz_mutate:
# a key that overflows to infinity crashed the key formatting).
printf '.5e999: x\n1e999: y\n' >infkey.yaml
check "float mapping key overflowing to infinity" "0|1" "" -- -f infkey.yaml
printf '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers":\n  [{"name": "app", "resources": {"requests": {"cpu": "10000000000000000"}}}]}}\n' >hugecpu.json
check "huge cpu request" 0 "" --stdout-has "cpu: \"10000000000000000\"" -- -f hugecpu.json

# --- hostile sizes and shapes ----------------------------------------------------
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "["; for (i = 0; i < 100000; i++) printf "]" }' >deep.json
check "100000 nested JSON arrays" 1 "nesting deeper than" --stdout-empty -- -f deep.json
awk 'BEGIN { for (i = 0; i < 100000; i++) printf "{\"a\":"; printf "1";
             for (i = 0; i < 100000; i++) printf "}" }' >deep-obj.json
check "100000 nested JSON objects" 1 "nesting deeper than" --stdout-empty -- -f deep-obj.json
awk 'BEGIN { for (i = 0; i < 3000; i++) { for (j = 0; j < i; j++) printf " "; printf "- \n" } }' >deep.yaml
check "3000 nested YAML sequences" 1 "deep.yaml" --stdout-empty -- -f deep.yaml

cat >laughs.yaml <<'EOF'
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
EOF
check "billion laughs" 1 "aliases expand to more than" --stdout-empty -- -f laughs.yaml

# A 10 MB Deployment: a big annotation and 30000 env variables.
awk 'BEGIN {
  print "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: big\n  annotations:";
  s = "x"; while (length(s) < 7000000) s = s s;
  printf "    blob: \"%s\"\n", s;
  print "spec:\n  template:\n    metadata:\n      labels: {app: big}\n    spec:\n      containers:\n      - name: app\n        image: app:1\n        env:";
  for (i = 0; i < 30000; i++) printf "        - {name: VAR_%06d, value: \"a value that fills the file up %06d\"}\n", i, i
}' >big.yaml
size=$(wc -c <big.yaml)
if [ "$size" -lt 10000000 ]; then
    echo "FAIL big.yaml is only $size bytes"
    fail=$((fail + 1))
fi
check "10 MB document, default cap" 0 "" --stdout-has "snug.dev/mutated" -- -f big.yaml
check "10 MB document, --max-bytes 1000000" 1 "input too big" --stdout-empty -- -f big.yaml --max-bytes 1000000
check "10 MB document, --diff" 0 "" --stdout-has "+++ Deployment default/big (mutated)" -- -f big.yaml --diff

# 20000 small documents: linear time, every one in order.
awk 'BEGIN { for (i = 0; i < 20000; i++) printf "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm%d}\n", i }' >many.yaml
check "20000 documents" 0 "" --stdout-has "name: cm19999" -- -f many.yaml

# --- documents that are passed through ------------------------------------------
cat >wrongtypes.yaml <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec: 3
---
apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
  containers: {}
EOF
STDIN=wrongtypes.yaml check "spec: 3 passes through" 0 \
    "Warning: standard input: document 1 (Deployment shop/web): spec: must be an object; passed through unchanged" \
    --stdout-has "spec: 3" -- -f -
check "containers: {} passes through" 0 "Warning: wrongtypes.yaml: document 2 (Pod default/p): spec.containers" \
    --stdout-has "containers: {}" -- -f wrongtypes.yaml

cat >unknown.yaml <<'EOF'
apiVersion: example.com/v1
kind: Frobnicator
metadata:
  name: f
spec:
  template:
    spec:
      containers:
      - name: app
---
apiVersion: batch.volcano.sh/v1alpha1
kind: Job
metadata:
  name: vj
spec:
  template:
    spec:
      containers:
      - name: app
---
just a string
---
- 1
- two
---
42
EOF
check "unknown kinds pass through untouched" 0 "" --stdout-is unknown.yaml -- -f unknown.yaml
[ -s err.txt ] && { echo "FAIL unknown kinds: unexpected stderr"; cat err.txt; fail=$((fail + 1)); }
check "unknown kinds, --diff prints nothing" 0 "" --stdout-empty -- -f unknown.yaml --diff

: >empty.yaml
check "empty input" 0 "" --stdout-empty -- -f empty.yaml
printf '# only a comment\n---\n---\n' >comments.yaml
check "only comments and separators" 0 "" --stdout-empty -- -f comments.yaml
STDIN=empty.yaml check "empty standard input" 0 "" --stdout-empty -- -f -

# --- bad flag files ----------------------------------------------------------------
cat >badpolicy.yaml <<'EOF'
apiVersion: snug.dev/v1alpha1
kind: SizingPolicy
metadata:
  name: ok
---
apiVersion: snug.dev/v1alpha1
kind: SizingPolicy
metadata:
  name: broken
spec:
  resources:
    minAllowed:
      cpu: 1x
EOF
check "bad policy file" 1 "spec.resources.minAllowed.cpu" --stdout-empty -- -f pod.yaml --policy badpolicy.yaml
check "bad policy file names it" 1 "badpolicy.yaml: " --stdout-empty -- -f pod.yaml --policy badpolicy.yaml
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n' >notpolicy.yaml
check "policy file with a ConfigMap" 1 "notpolicy.yaml: " --stdout-empty -- -f pod.yaml --policy notpolicy.yaml
printf 'apiVersion: snug.dev/v1alpha1\nkind: SizingPolicy\nmetadata:\n  name: x\nspec:\n  frobs: 1\n' >unknownfield.yaml
check "policy with an unknown field" 1 "frobs" --stdout-empty -- -f pod.yaml --policy unknownfield.yaml
: >nopolicy.yaml
check "empty policy file" 0 "no SizingPolicy in the file" --stdout-has "name: p" -- -f pod.yaml --policy nopolicy.yaml

cat >badrec.yaml <<'EOF'
apiVersion: snug.dev/v1alpha1
kind: Recommendation
metadata:
  name: pod-p
spec:
  targetRef: {kind: Pod, name: p}
status:
  containers:
  - name: app
    target: {cpu: lots}
EOF
check "bad recommendations file" 1 "badrec.yaml: " --stdout-empty -- -f pod.yaml --recommendations badrec.yaml

printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n' >notlr.yaml
check "limitrange file with a ConfigMap" 1 "notlr.yaml: document 1: kind ConfigMap is not a LimitRange" \
    --stdout-empty -- -f pod.yaml --limitrange notlr.yaml
cat >badlr.yaml <<'EOF'
apiVersion: v1
kind: LimitRange
metadata: {name: lr}
spec:
  limits:
  - type: Container
    max: {cpu: "two"}
EOF
check "bad LimitRange" 1 "badlr.yaml: document 1: " --stdout-empty -- -f pod.yaml --limitrange badlr.yaml

echo "# cli_badinput: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

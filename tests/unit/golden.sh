#!/usr/bin/env bash
# golden.sh -- run `snug-webhook mutate` on every case in tests/data/golden/
# and compare with the expected output, byte for byte.
#
# usage: bash tests/unit/golden.sh <path-to-snug-webhook> <source-dir> [case-name...]
#
# A case is a directory tests/data/golden/<name>/ with:
#   input.yaml             the input (-f input.yaml)                     required
#   expected.yaml          the exact standard output                     required
#   policy.yaml            passed as --policy when present
#   recommendations.yaml   passed as --recommendations when present
#   limitrange.yaml        passed as --limitrange when present
#   args                   more arguments (split on white space) when present
#   expected-warnings      lines that must each appear in standard error
#   expected-exit          the exit status (default 0)
#   not-idempotent         skip the idempotency check (say why inside)
# Besides the comparison, every case that exits 0 without --diff is run
# again on its own expected.yaml, which must come out unchanged: rendering
# twice (a GitOps pipeline, then the webhook on the Pods) changes nothing
# more.
# The command runs inside the case directory, so messages name the files
# as "input.yaml" etc. Set SNUG_GOLDEN_KEEP=1 to keep the actual outputs in
# a temporary directory for inspection. Expected files are written by hand:
# never copy the tool's output into them without checking every line.
set -u

bin=${1:?usage: golden.sh <snug-webhook> <source-dir> [case...]}
src=${2:?usage: golden.sh <snug-webhook> <source-dir> [case...]}
shift 2
case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
root="$src/tests/data/golden"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/snug-golden.XXXXXX") || exit 1
if [ "${SNUG_GOLDEN_KEEP:-0}" = 1 ]; then
    echo "# outputs kept in $tmp"
else
    trap 'rm -rf "$tmp"' EXIT
fi

if [ $# -gt 0 ]; then
    cases=()
    for name in "$@"; do cases+=("$root/$name/"); done
else
    cases=("$root"/*/)
fi

pass=0
fail=0
for dir in "${cases[@]}"; do
    [ -d "$dir" ] || continue
    name=$(basename "$dir")
    out="$tmp/$name.stdout"
    err="$tmp/$name.stderr"
    why=()

    if [ ! -f "$dir/input.yaml" ] || [ ! -f "$dir/expected.yaml" ]; then
        echo "FAIL $name: needs input.yaml and expected.yaml"
        fail=$((fail + 1))
        continue
    fi
    cmd=("$bin" mutate -f input.yaml)
    [ -f "$dir/policy.yaml" ] && cmd+=(--policy policy.yaml)
    [ -f "$dir/recommendations.yaml" ] && cmd+=(--recommendations recommendations.yaml)
    [ -f "$dir/limitrange.yaml" ] && cmd+=(--limitrange limitrange.yaml)
    if [ -f "$dir/args" ]; then
        set -f # split on white space, but no globbing
        # shellcheck disable=SC2207  # word splitting is the point
        cmd+=($(cat "$dir/args"))
        set +f
    fi
    (cd "$dir" && SNUG_LOG_LEVEL=warn "${cmd[@]}" >"$out" 2>"$err")
    rc=$?

    want_rc=0
    [ -f "$dir/expected-exit" ] && want_rc=$(tr -d ' \n' <"$dir/expected-exit")
    if [ "$rc" -ge 128 ]; then
        why+=("crashed (exit $rc)")
    elif [ "$rc" != "$want_rc" ]; then
        why+=("exit $rc, want $want_rc")
    fi
    if grep -qE 'ERROR: (Address|Leak|Memory)Sanitizer|runtime error:' "$err"; then
        why+=("sanitizer report on stderr")
    fi
    if ! cmp -s "$dir/expected.yaml" "$out"; then
        why+=("stdout differs from expected.yaml")
    fi
    if [ "$rc" = 0 ] && [ "$want_rc" = 0 ] && [ ! -f "$dir/not-idempotent" ] &&
        [[ " ${cmd[*]} " != *" --diff "* ]]; then
        again=("${cmd[@]}")
        again[3]=expected.yaml
        (cd "$dir" && SNUG_LOG_LEVEL=warn "${again[@]}" >"$out.again" 2>/dev/null)
        if ! cmp -s "$dir/expected.yaml" "$out.again"; then
            why+=("not idempotent: mutating expected.yaml changes it")
            diff -u "$dir/expected.yaml" "$out.again" >"$out.again.diff"
        fi
    fi
    if [ -f "$dir/expected-warnings" ]; then
        while IFS= read -r line || [ -n "$line" ]; do
            [ -z "$line" ] && continue
            if ! grep -qF -- "$line" "$err"; then
                why+=("stderr lacks: $line")
            fi
        done <"$dir/expected-warnings"
    fi

    if [ ${#why[@]} -eq 0 ]; then
        echo "ok $name"
        pass=$((pass + 1))
        continue
    fi
    echo "FAIL $name"
    for w in "${why[@]}"; do echo "  $w"; done
    echo "  command: (cd $dir && ${cmd[*]})"
    if ! cmp -s "$dir/expected.yaml" "$out"; then
        diff -u "$dir/expected.yaml" "$out" | sed 's/^/    /' | head -n 80
    fi
    if [ -s "$out.again.diff" ]; then
        echo "  mutating expected.yaml again:"
        sed 's/^/    /' "$out.again.diff" | head -n 40
    fi
    if [ -s "$err" ]; then
        echo "  stderr:"
        sed 's/^/    /' "$err" | head -n 20
    fi
    fail=$((fail + 1))
done

total=$((pass + fail))
echo "# golden: $pass passed, $fail failed, $total cases"
if [ "$total" -eq 0 ]; then
    echo "# no golden cases found under $root"
    exit 1
fi
[ "$fail" -eq 0 ]

#!/usr/bin/env bash
# layout_check.sh -- scripts/check-layout.py: the real tree passes, and each
# kind of wrong include, planted in a small tree of its own, is refused with
# a message that names it.
#
# usage: bash tests/unit/layout_check.sh <path-to-snug-webhook> <source-dir>
set -u

src=${2:?usage: layout_check.sh <snug-webhook> <source-dir>}
check=$src/scripts/check-layout.py
tmp=$(mktemp -d "${TMPDIR:-/tmp}/snug-layout.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); }
bad() {
    echo "FAIL: $*"
    fail=$((fail + 1))
}

# A minimal tree that holds: base/status.h, json/doc.{c,h}, kube/client.{c,h},
# webhook/hook.c, a unit test of json.
base_tree() {
    rm -rf "$tmp/t"
    mkdir -p "$tmp/t/lib/base" "$tmp/t/lib/json" "$tmp/t/lib/model" "$tmp/t/lib/metrics" \
        "$tmp/t/lib/kube" "$tmp/t/webhook" "$tmp/t/controller" "$tmp/t/tests/unit"
    printf '#pragma once\n' >"$tmp/t/lib/base/status.h"
    printf '#include "base/status.h"\n' >"$tmp/t/lib/json/doc.h"
    printf '#include "json/doc.h"\n' >"$tmp/t/lib/json/doc.c"
    printf '#include "base/status.h"\n' >"$tmp/t/lib/model/size.h"
    printf '#include "base/status.h"\n' >"$tmp/t/lib/metrics/counter.h"
    printf '#include "json/doc.h"\n' >"$tmp/t/lib/kube/client.h"
    printf '#include "kube/client.h"\n#include "model/size.h"\n' >"$tmp/t/lib/kube/client.c"
    printf '#include "kube/client.h"\n' >"$tmp/t/webhook/hook.c"
    printf '#include "kube/client.h"\n' >"$tmp/t/controller/loop.c"
    printf '#include "test.h"\n#include "json/doc.h"\n' >"$tmp/t/tests/unit/test_doc.c"
    printf '#pragma once\n' >"$tmp/t/tests/unit/test.h"
}

# expect NAME WANT_RC WANT_TEXT: run the check on $tmp/t.
expect() {
    local name=$1 want_rc=$2 want=$3 out rc
    out=$(python3 "$check" "$tmp/t" 2>&1)
    rc=$?
    if [ "$rc" -ne "$want_rc" ]; then
        bad "$name: exit $rc, want $want_rc: $out"
    elif [ -n "$want" ] && ! grep -qF -- "$want" <<<"$out"; then
        bad "$name: output lacks \"$want\": $out"
    else
        ok
    fi
}

out=$(python3 "$check" "$src" 2>&1)
if [ $? -eq 0 ]; then ok; else bad "the real tree: $out"; fi

base_tree
expect "a tree that holds" 0 "layout ok"

base_tree
printf '#include "kube/client.h"\n' >>"$tmp/t/lib/json/doc.c"
expect "json includes kube" 1 'lib/json/doc.c:2: include "kube/client.h" goes up a layer'

base_tree
printf '#include "metrics/counter.h"\n' >>"$tmp/t/lib/model/size.h"
expect "model includes metrics (one level)" 1 "goes up a layer: model may use only"

base_tree
printf '#include "controller/loop.h"\n' >>"$tmp/t/webhook/hook.c"
printf '#pragma once\n' >"$tmp/t/controller/loop.h"
expect "webhook includes controller" 1 'include "controller/loop.h" goes up a layer'

base_tree
printf '#include "doc.h"\n' >>"$tmp/t/lib/json/doc.c"
expect "include without its folder" 1 'include "doc.h" does not name a folder'

base_tree
printf '#include "json/nothere.h"\n' >>"$tmp/t/lib/json/doc.c"
expect "include of a missing file" 1 'include "json/nothere.h": no such file'

base_tree
printf '#include "kube/client.h"\n' >>"$tmp/t/tests/unit/test_doc.c"
expect "a json test includes kube" 1 "tests/unit/test_doc.c:3"

base_tree
printf '#include "json/doc.h"\n' >"$tmp/t/lib/json/a.h"
printf '#include "json/a.h"\n' >>"$tmp/t/lib/json/doc.h"
expect "two headers include each other" 1 "include loop: lib/json/a.h -> lib/json/doc.h -> lib/json/a.h"

base_tree
printf '#include "json/b.h"\n' >"$tmp/t/lib/json/a.c"
printf '#pragma once\n' >"$tmp/t/lib/json/a.h"
printf '#include "json/a.h"\n' >"$tmp/t/lib/json/b.c"
printf '#pragma once\n' >"$tmp/t/lib/json/b.h"
expect "two modules use each other" 1 "include loop: lib/json/a -> lib/json/b -> lib/json/a"

base_tree
printf '#include "json/b.h"\n' >"$tmp/t/lib/json/a.c"
printf '#pragma once\n' >"$tmp/t/lib/json/a.h"
printf '#include "json/c.h"\n' >"$tmp/t/lib/json/b.c"
printf '#pragma once\n' >"$tmp/t/lib/json/b.h"
printf '#include "json/a.h"\n' >"$tmp/t/lib/json/c.c"
printf '#pragma once\n' >"$tmp/t/lib/json/c.h"
expect "a loop of three modules" 1 "include loop: lib/json/a -> lib/json/b -> lib/json/c -> lib/json/a"

echo "layout_check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

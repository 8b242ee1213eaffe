#!/usr/bin/env bash
# render-manifests.sh - write the plain manifests of manifests/ from the Helm
# chart in charts/snug/, for `kubectl apply -f` without Helm.
#
#   render-manifests.sh            (re)write manifests/
#   render-manifests.sh --check    render into a temporary directory and fail,
#                                  showing the diff, when manifests/ differs
#   render-manifests.sh --out DIR  write into DIR instead of manifests/
#
# The chart is rendered with its defaults, as release "snug" in namespace
# "snug-system", except for the image: snug:dev, the one
# `docker build -t snug:dev .` makes (README.md). Each template becomes the
# manifests/ file of the same name; the CRDs are copied from the chart's
# crds/ to manifests/crds/; namespace.yaml is written here (a chart does not
# create its own namespace). The labels that say Helm manages an object
# (app.kubernetes.io/managed-by: Helm, helm.sh/chart) are left out.
#
# helm comes from scripts/helm.sh (built from the Go module proxy on first
# use and cached; SNUG_HELM=PATH uses another helm 3).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CHART=$ROOT/charts/snug
RELEASE=snug
NAMESPACE=snug-system

die() {
  printf 'render-manifests: error: %s\n' "$*" >&2
  exit 1
}

mode=write out=$ROOT/manifests
case ${1:-} in
  "") ;;
  --check) mode=check ;;
  --out)
    [ -n "${2:-}" ] || die "--out needs a directory"
    out=$2
    ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
    ;;
esac

HELM=${SNUG_HELM:-}
if [ -z "$HELM" ]; then
  HELM=$(bash "$ROOT/scripts/helm.sh" build) || die "no helm (scripts/helm.sh build failed)"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/snug-render.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# render DIR: the manifests into DIR (which exists and is empty)
render() {
  local dir=$1
  "$HELM" template "$RELEASE" "$CHART" --namespace "$NAMESPACE" \
    --set image.repository=snug --set image.tag=dev >"$tmp/all.yaml"
  python3 - "$tmp/all.yaml" "$dir" <<'PY'
import os, re, sys

src, dest = sys.argv[1], sys.argv[2]
HEADER = ("# Rendered by scripts/render-manifests.sh from charts/snug/templates/%s\n"
          "# (release snug, namespace snug-system, image snug:dev): do not edit; change\n"
          "# the chart and run the script.\n")
DROP = re.compile(r"^\s*(app\.kubernetes\.io/managed-by: Helm|helm\.sh/chart: .*)$")
files = {}  # template file name -> its documents, in order
cur = None
for line in open(src).read().split("\n"):
    m = re.match(r"^# Source: snug/templates/(.+)$", line)
    if m:
        cur = files.setdefault(m.group(1), [])
        cur.append([])
        continue
    if line == "---":
        continue
    if cur is None:
        if line.strip():
            sys.exit("render-manifests: text before the first '# Source:' line: %r" % line)
        continue
    if DROP.match(line):
        continue
    cur[-1].append(line)
# helm template prints objects in install order; a file reads better with
# the objects in the order its template has them, which is this one.
ORDER = ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding",
         "Deployment", "Service", "PodDisruptionBudget"]
def rank(text):
    m = re.search(r"^kind: (\S+)$", text, re.M)
    kind = m.group(1) if m else ""
    return ORDER.index(kind) if kind in ORDER else len(ORDER)
for name, docs in files.items():
    texts = ["\n".join(d).strip("\n") + "\n" for d in docs]
    texts = sorted((t for t in texts if t.strip()), key=rank)
    if not texts:
        continue
    with open(os.path.join(dest, name), "w") as f:
        f.write(HEADER % name)
        f.write("---\n".join(texts))
PY
  mkdir -p "$dir/crds"
  cp "$CHART"/crds/*.yaml "$dir/crds/"
  cat >"$dir/namespace.yaml" <<EOF
# Written by scripts/render-manifests.sh: the namespace the plain manifests
# use (with Helm: helm install --namespace $NAMESPACE --create-namespace).
apiVersion: v1
kind: Namespace
metadata:
  name: $NAMESPACE
  labels:
    app.kubernetes.io/part-of: snug
EOF
}

mkdir -p "$tmp/out"
render "$tmp/out"
if [ "$mode" = check ]; then
  if ! diff -ru "$out" "$tmp/out" >"$tmp/diff"; then
    cat "$tmp/diff"
    die "manifests/ is not what charts/snug renders: run scripts/render-manifests.sh and commit the result"
  fi
  echo "render-manifests: manifests/ is current ($(find "$out" -name '*.yaml' | wc -l) files)"
  exit 0
fi
mkdir -p "$out"
# Replace the rendered files only: nothing else lives in manifests/.
rm -rf "$out/crds"
find "$out" -maxdepth 1 -name '*.yaml' -delete
cp -r "$tmp/out/." "$out/"
echo "render-manifests: wrote $(find "$out" -name '*.yaml' | wc -l) files into $out"

#!/usr/bin/env bash
# The include rules of the tree (docs/architecture.md, "Where things live"):
# no include up a layer, no include loops. See scripts/check-layout.py.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
exec python3 "$ROOT/scripts/check-layout.py" "$ROOT"

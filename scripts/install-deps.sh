#!/usr/bin/env bash
# Install the Debian packages snug needs to build, test and benchmark.
# Idempotent: packages already present are not fetched again.
set -euo pipefail

PKGS=(
  build-essential cmake ninja-build pkg-config
  clang clang-format clang-tools libclang-rt-14-dev llvm
  libmicrohttpd-dev libgnutls28-dev libssl-dev libcurl4-openssl-dev
  libcjson-dev libyaml-dev
  valgrind curl openssl
  python3 python3-pytest python3-yaml
  prometheus wrk nginx-light
  golang-go
)

missing=()
for p in "${PKGS[@]}"; do
  if ! dpkg -s "$p" >/dev/null 2>&1; then
    missing+=("$p")
  fi
done
# golang-go is only needed when no go is on PATH already.
if command -v go >/dev/null 2>&1; then
  tmp=()
  for p in "${missing[@]}"; do [ "$p" = golang-go ] || tmp+=("$p"); done
  missing=("${tmp[@]+"${tmp[@]}"}")
fi

if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

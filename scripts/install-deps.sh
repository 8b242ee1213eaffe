#!/usr/bin/env bash
# install-deps.sh - the Debian packages snug needs, by purpose:
#
#   scripts/install-deps.sh build   compile snug: gcc, CMake, Ninja, the -dev libraries
#   scripts/install-deps.sh demo    build + what scripts/demo.sh runs: curl, openssl,
#                                   python3 with PyYAML, CA certificates, prometheus
#                                   (with promtool; its service is not started)
#   scripts/install-deps.sh test    demo + what scripts/test.sh runs: clang and its
#                                   sanitizers, clang-format, valgrind, pytest, git,
#                                   and wrk, nginx for benchmarks
#   scripts/install-deps.sh         the same as `test` (everything)
#
# Idempotent: only packages that are missing are installed (apt-get, through
# sudo when not root). No Go: tests/e2e/controlplane.sh fetches a Go
# toolchain into its cache when PATH has none new enough.
#
# The machine is not changed behind the user's back: packages that ship a
# service (prometheus, nginx) are installed with it neither started (a
# policy-rc.d that denies starts, for the length of the install, unless one
# is in place already) nor enabled (disabled right after), and the script
# says which. apt's output goes to a log, shown when the install fails;
# otherwise the script prints one line.
#
# Environment:
#   SNUG_CACHE_DIR   the log is $SNUG_CACHE_DIR/logs/install-deps.log
#                    (default ~/.cache/snug)
set -euo pipefail

# ---------------------------------------------------------------- packages --
BUILD_PKGS=(
  build-essential cmake ninja-build pkg-config
  libmicrohttpd-dev libgnutls28-dev libssl-dev libcurl4-openssl-dev
  libcjson-dev libyaml-dev
)
# The demo: curl/openssl/python3 drive it and the control plane; CA
# certificates let curl and Go reach the module proxy over HTTPS; prometheus
# (and its promtool) holds the week of usage the controller reads, and the
# controller's tests use it too.
DEMO_PKGS=(curl openssl ca-certificates python3 python3-yaml prometheus)
# The test command: clang + ASan/UBSan/libFuzzer, the format check (git lists
# the files), valgrind, pytest; wrk and nginx-light for the benchmarks;
# buildah builds the image's runtime stage without a Docker engine
# (tests/e2e/test_image.py).
TEST_PKGS=(
  clang clang-format clang-tools libclang-rt-14-dev llvm
  valgrind git python3-pytest
  wrk nginx-light
  buildah
)

LOG_DIR=${SNUG_CACHE_DIR:-$HOME/.cache/snug}/logs
LOG=$LOG_DIR/install-deps.log
POLICY_RC=/usr/sbin/policy-rc.d

say() { printf 'install-deps: %s\n' "$*"; }
die() {
  printf 'install-deps: error: %s\n' "$*" >&2
  exit 1
}

SUDO=()
[ "$(id -u)" -eq 0 ] || SUDO=(sudo)

# wanted GROUP... -> the packages of those groups, each group bringing the
# ones before it (test > demo > build)
wanted() {
  local g level=0
  for g in "$@"; do
    case $g in
      build) ((level >= 1)) || level=1 ;;
      demo) ((level >= 2)) || level=2 ;;
      test) level=3 ;;
      *) die "unknown group '$g' (build, demo or test)" ;;
    esac
  done
  ((level >= 1)) && printf '%s\n' "${BUILD_PKGS[@]}"
  ((level >= 2)) && printf '%s\n' "${DEMO_PKGS[@]}"
  ((level >= 3)) && printf '%s\n' "${TEST_PKGS[@]}"
  return 0
}

installed() { # the packages dpkg has installed, one a line, sorted
  dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' 2>/dev/null | awk '$1 == "ii" { print $2 }' | sort
}

# --------------------------------------------------------------- services --
# While apt runs, a policy-rc.d that denies every start (invoke-rc.d and
# deb-systemd-invoke ask it), unless the machine has one already.
deny_starts() {
  [ ! -e "$POLICY_RC" ] || return 0
  printf '#!/bin/sh\n# scripts/install-deps.sh (snug): no service starts during its install\nexit 101\n' |
    "${SUDO[@]}" tee "$POLICY_RC" >/dev/null
  "${SUDO[@]}" chmod 755 "$POLICY_RC"
  OUR_POLICY_RC=1
}

allow_starts() {
  [ -n "${OUR_POLICY_RC:-}" ] || return 0
  "${SUDO[@]}" rm -f "$POLICY_RC"
  OUR_POLICY_RC=
}

# units_of PACKAGE...: the systemd units and SysV init scripts they ship
units_of() {
  dpkg -L "$@" 2>/dev/null |
    sed -n -e 's#^/\(usr/\)\{0,1\}lib/systemd/system/\([^/@]*\.\(service\|socket\|timer\)\)$#\2#p' \
      -e 's#^/etc/init\.d/\([^/]*\)$#init.d/\1#p' | sort -u
}

# disable_unit UNIT: stop it (if systemd runs and it was started anyway) and
# disable it. systemctl works without a running systemd (containers) too;
# without systemctl at all, the links the package's postinst made are
# removed, so a systemd installed later does not start it either.
disable_unit() {
  if command -v systemctl >/dev/null; then
    if [ -d /run/systemd/system ]; then
      "${SUDO[@]}" systemctl disable --now "$1"
    else
      "${SUDO[@]}" systemctl disable "$1"
    fi
  elif [ -d /etc/systemd/system ]; then
    "${SUDO[@]}" find /etc/systemd/system -type l -lname "*/$1" -print -delete
  fi
}

# disable_services PACKAGE...: the packages were just installed: disable
# the services they ship. Prints the systemd units.
disable_services() {
  local u
  [ $# -gt 0 ] || return 0
  while read -r u; do
    case $u in
      "") ;;
      init.d/*) "${SUDO[@]}" update-rc.d "${u#init.d/}" disable >>"$LOG" 2>&1 || true ;;
      *)
        disable_unit "$u" >>"$LOG" 2>&1 || true
        echo "$u"
        ;;
    esac
  done < <(units_of "$@")
}

# -------------------------------------------------------------------- main --
on_exit() {
  local rc=$?
  allow_starts
  exit "$rc"
}

main() {
  local groups=("$@") want missing=() p before new services
  [ "${#groups[@]}" -gt 0 ] || groups=(test)
  want=$(wanted "${groups[@]}") || exit 1
  mapfile -t want <<<"$want"
  for p in "${want[@]}"; do
    dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    say "all ${#want[@]} packages for ${groups[*]} are installed"
    return 0
  fi

  mkdir -p "$LOG_DIR"
  : >"$LOG"
  trap on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  before=$(installed)
  deny_starts
  export DEBIAN_FRONTEND=noninteractive
  if ! { "${SUDO[@]}" apt-get update &&
    "${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}"; } >>"$LOG" 2>&1; then
    allow_starts
    printf 'install-deps: error: apt-get failed installing: %s\n' "${missing[*]}" >&2
    printf -- '---- last lines of %s ----\n' "$LOG" >&2
    tail -n 40 "$LOG" >&2
    exit 1
  fi
  mapfile -t new < <(comm -13 <(echo "$before") <(installed))
  services=$(disable_services "${new[@]}" | sort -u | tr '\n' ' ')
  allow_starts
  say "installed ${#missing[@]} packages for ${groups[*]} (${#new[@]} with dependencies; apt log: $LOG)"
  if [ -n "$services" ]; then
    say "services left stopped and disabled: ${services% } (systemctl enable --now NAME to run one)"
  fi
}

main "$@"

#!/usr/bin/env bash
# image-rootfs.sh DIR BINARY... - assemble the runtime file system of the
# snug container image in DIR (which must not exist or be empty).
#
# The Dockerfile's build stage runs this on the freshly built binaries and
# its runtime stage (FROM scratch) copies DIR whole, so this script is the
# one list of what the image holds; tests/e2e/test_image.py runs the same
# script and then both binaries in DIR with chroot as the non-root user.
#
# What goes in, all derived from the build system it runs on:
#   /BINARY                   each binary, stripped (SNUG_ROOTFS_STRIP=0 keeps
#                             its symbols)
#   its shared libraries      every path `ldd` names, under that same path,
#                             and the dynamic loader the binary requests
#   /etc/ssl/certs/ca-certificates.crt   the CA bundle libcurl verifies
#                             Prometheus with (package ca-certificates)
#   OpenSSL's configuration   OPENSSLDIR/openssl.cnf (libcrypto reads it at
#                             start; Debian's sets the security level) and
#                             OPENSSLDIR's cert.pem/certs links to the bundle
#   /etc/gnutls/config        GnuTLS's system priorities, if the system has one
#   /etc/passwd, /etc/group   root and nonroot (65532:65532), the user the
#                             image runs as
#   /etc/nsswitch.conf        hosts: files dns (libcurl resolves names)
#   /etc/os-release and /var/lib/dpkg/status.d/PACKAGE
#                             which Debian packages the libraries came from,
#                             so image scanners (trivy, grype) can see them
#   /usr/share/doc/PACKAGE/copyright   their licences
#   /tmp                      mode 1777
#
# Nothing else: no shell, no package manager. Prints one summary line.
# Exits 2 on bad usage, 1 when a binary or library cannot be found.
set -euo pipefail

NONROOT_ID=65532

die() {
  echo "image-rootfs.sh: $*" >&2
  exit 1
}

[ $# -ge 2 ] || {
  echo "usage: $0 DIR BINARY..." >&2
  exit 2
}
DIR=$1
shift
if [ -e "$DIR" ] && [ -n "$(ls -A "$DIR")" ]; then
  die "$DIR is not empty (stale files would end up in the image)"
fi
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
declare -A COPIED=() # absolute path on the build system -> 1

# copy_file SRC [DEST]: SRC (symlinks followed) to DIR/DEST (default SRC),
# with its mode; once per DEST.
copy_file() {
  local src=$1 dest=${2:-$1}
  [ -z "${COPIED[$dest]:-}" ] || return 0
  [ -f "$src" ] || die "$src: no such file"
  mkdir -p "$DIR$(dirname "$dest")"
  cp -L --preserve=mode "$src" "$DIR$dest"
  COPIED[$dest]=1
}

# libraries_of BINARY: the absolute paths of the loader and the shared
# libraries ldd names, one a line; fails on a library ldd cannot find.
libraries_of() {
  local bin=$1 out
  out=$(ldd "$bin" 2>&1) || {
    case "$out" in
    *"not a dynamic executable"* | *"statically linked"*) return 0 ;;
    *) die "ldd $bin: $out" ;;
    esac
  }
  if grep -q "=> not found" <<<"$out"; then
    die "$bin: missing libraries: $(grep "=> not found" <<<"$out" | awk '{print $1}' | xargs)"
  fi
  awk '$2 == "=>" && $3 ~ /^\// { print $3; next } $1 ~ /^\// { print $1 }' <<<"$out"
}

# interpreter_of BINARY: the PT_INTERP path (readelf), empty when unknown.
interpreter_of() {
  command -v readelf >/dev/null || return 0
  readelf -l "$1" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p'
}

add_binary() {
  local bin=$1 name lib interp
  if [ ! -f "$bin" ] || [ ! -x "$bin" ]; then
    die "$bin: not an executable file"
  fi
  name=$(basename "$bin")
  copy_file "$bin" "/$name"
  chmod 0755 "$DIR/$name"
  if [ "${SNUG_ROOTFS_STRIP:-1}" != 0 ] && command -v strip >/dev/null; then
    strip --strip-unneeded "$DIR/$name"
  fi
  while IFS= read -r lib; do
    copy_file "$lib"
  done < <(libraries_of "$bin")
  interp=$(interpreter_of "$bin")
  [ -z "$interp" ] || copy_file "$interp"
}

# The OpenSSL directory libcrypto was built with (openssl.cnf, cert.pem).
openssl_dir() {
  local d=""
  if command -v openssl >/dev/null; then
    d=$(openssl version -d | sed -n 's/^OPENSSLDIR: "\(.*\)"$/\1/p')
  fi
  echo "${d:-/usr/lib/ssl}"
}

add_tls_files() {
  local bundle=/etc/ssl/certs/ca-certificates.crt ssldir cnf
  [ -s "$bundle" ] || die "$bundle: missing (install the ca-certificates package)"
  copy_file "$bundle"
  ssldir=$(openssl_dir)
  cnf=$(readlink -f "$ssldir/openssl.cnf" || true)
  [ -f "$cnf" ] || die "$ssldir/openssl.cnf: missing (libcrypto reads it at start)"
  copy_file "$cnf"
  mkdir -p "$DIR$ssldir"
  [ "$cnf" = "$ssldir/openssl.cnf" ] || ln -sfn "$cnf" "$DIR$ssldir/openssl.cnf"
  ln -sfn "$bundle" "$DIR$ssldir/cert.pem"
  ln -sfn /etc/ssl/certs "$DIR$ssldir/certs"
  if [ -f /etc/gnutls/config ]; then
    copy_file /etc/gnutls/config
  fi
}

add_etc() {
  mkdir -p "$DIR/etc" "$DIR/tmp"
  chmod 1777 "$DIR/tmp"
  printf '%s\n' "root:x:0:0:root:/root:/sbin/nologin" \
    "nonroot:x:$NONROOT_ID:$NONROOT_ID:nonroot:/tmp:/sbin/nologin" >"$DIR/etc/passwd"
  printf '%s\n' "root:x:0:" "nonroot:x:$NONROOT_ID:" >"$DIR/etc/group"
  printf '%s\n' "passwd: files" "group: files" "hosts: files dns" >"$DIR/etc/nsswitch.conf"
  if [ -f /etc/os-release ]; then
    copy_file /etc/os-release
  fi
}

# Record the Debian package each copied file came from (as distroless images
# do), and its licence. A file is looked up under its own name, its /usr twin
# and its target (merged /usr); one dpkg-query call for all of them. The CA
# bundle is generated, so ca-certificates is named by hand.
add_package_records() {
  local path cand pkg line
  local -a cands=()
  local -A owner=() pkgs=()
  command -v dpkg-query >/dev/null || return 0
  for path in "${!COPIED[@]}"; do
    cands+=("$path" "/usr$path" "$(readlink -f "$path" || echo "$path")")
  done
  while IFS= read -r line; do
    pkg=${line%%: *}
    owner[${line#*: }]=${pkg%%:*}
  done < <(dpkg-query -S "${cands[@]}" 2>/dev/null | grep -v ', ' || true)
  for path in "${!COPIED[@]}"; do
    for cand in "$path" "/usr$path" "$(readlink -f "$path" || echo "$path")"; do
      if [ -n "${owner[$cand]:-}" ]; then
        pkgs[${owner[$cand]}]=1
        break
      fi
    done
  done
  if [ -n "${COPIED[/etc/ssl/certs/ca-certificates.crt]:-}" ]; then
    pkgs[ca-certificates]=1
  fi
  mkdir -p "$DIR/var/lib/dpkg/status.d"
  for pkg in "${!pkgs[@]}"; do
    dpkg-query -s "$pkg" >"$DIR/var/lib/dpkg/status.d/$pkg" 2>/dev/null || continue
    if [ -f "/usr/share/doc/$pkg/copyright" ]; then
      mkdir -p "$DIR/usr/share/doc/$pkg"
      cp -L "/usr/share/doc/$pkg/copyright" "$DIR/usr/share/doc/$pkg/copyright"
    fi
  done
}

for b in "$@"; do
  add_binary "$b"
done
add_tls_files
add_etc
add_package_records
echo "image-rootfs.sh: $DIR: $(find "$DIR" -type f | wc -l) files, $(du -sk "$DIR" | cut -f1) KiB"

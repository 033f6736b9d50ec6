#!/bin/sh
# Installs cltrain's Debian dependencies (only what is missing), then configures and builds in
# ./build. Idempotent; works as root or through sudo. Usage: ./setup.sh [--asan] [configure args]
set -e
cd "$(dirname "$0")"
PKGS="build-essential autoconf automake libtool pkg-config ocl-icd-opencl-dev opencl-c-headers
pocl-opencl-icd clinfo libclblast-dev libstb-dev zlib1g-dev libjansson-dev libcairo2-dev
dataset-fashion-mnist"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "setup: installing$missing"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
fi
build=build
if [ "${1:-}" = "--asan" ]; then build=build-asan; shift; set -- --enable-asan --enable-ubsan "$@"; fi
[ -x configure ] && [ configure -nt configure.ac ] && [ Makefile.in -nt Makefile.am ] || autoreconf -fi
mkdir -p "$build"
cd "$build"
[ -f Makefile ] || ../configure -q "$@"
make -j"$(nproc)" >/dev/null
echo "setup: built $(pwd)/cltrain"

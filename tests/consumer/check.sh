#!/usr/bin/env bash
# Build tests/consumer against teesim from an installed copy (pkg-config) and
# as a subproject, and run it both times. Usage: check.sh SOURCE_ROOT
set -euo pipefail
src=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. installed copy, found by pkg-config
meson setup "$work/b" "$src" --prefix=/usr -Dtests=false -Ddemo=false >/dev/null
meson compile -C "$work/b" >/dev/null
DESTDIR="$work/root" meson install -C "$work/b" >/dev/null
pc=$(dirname "$(find "$work/root" -name teesim.pc | head -1)")
PKG_CONFIG_SYSROOT_DIR="$work/root" PKG_CONFIG_PATH="$pc" \
	meson setup "$work/c1" "$src/tests/consumer" --wrap-mode=nofallback >/dev/null
meson compile -C "$work/c1" >/dev/null
LD_LIBRARY_PATH=$(dirname "$(find "$work/root" -name 'libteesim.so' | head -1)") "$work/c1/consumer"

# 2. subproject
mkdir -p "$work/sp/subprojects"
cp -r "$src/tests/consumer/." "$work/sp/"
mkdir -p "$work/sp/subprojects/teesim"
(cd "$src" && git ls-files -z | xargs -0 cp --parents -t "$work/sp/subprojects/teesim/")
meson setup "$work/c2" "$work/sp" --force-fallback-for=teesim -Dteesim:tests=false -Dteesim:demo=false >/dev/null
meson compile -C "$work/c2" >/dev/null
"$work/c2/consumer"

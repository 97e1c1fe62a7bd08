#!/bin/bash -eu
# SPDX-License-Identifier: MIT
#
# OSS-Fuzz / ClusterFuzzLite build of teesim's fuzz targets, with the standard
# contract: the sanitizer and coverage flags come in $CC / $CFLAGS, the engine
# in $LIB_FUZZING_ENGINE, everything goes to $OUT:
#   $OUT/fuzz-<name>                   one binary per fuzz/fuzz-<name>.c
#   $OUT/fuzz-<name>_seed_corpus.zip   fuzz/corpus/fuzz-<name>/
#   $OUT/fuzz-<name>.dict              fuzz/dict/fuzz-<name>.dict, if any
# No Meson needed: the library sources are compiled once into an archive.
#
# Every fuzz/fuzz-*.c is a target; fuzz-optee-uapi.c includes fuzz-uapi.c's
# program interpreter (fuzz/uapi-prog.h) and needs nothing else.
#
# Local check (libFuzzer + ASan):
#   CC=clang CXX=clang++ CFLAGS="-fsanitize=address,fuzzer-no-link" \
#   CXXFLAGS="$CFLAGS" LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/out \
#   SRC=$PWD/.. fuzz/oss-fuzz/build.sh

SRC_DIR=${TEESIM_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
CC=${CC:-clang}
CXX=${CXX:-clang++}
CFLAGS=${CFLAGS:-}
CXXFLAGS=${CXXFLAGS:-$CFLAGS}
OUT=${OUT:?set OUT to the output directory}
LIB_FUZZING_ENGINE=${LIB_FUZZING_ENGINE:?set LIB_FUZZING_ENGINE (e.g. -fsanitize=fuzzer)}
WORK_DIR=${WORK:-$(mktemp -d)}/teesim-build
mkdir -p "$OUT" "$WORK_DIR"

cd "$SRC_DIR"
INC="-Iinclude -Isim -Isrc -Isrc/core -Itests"
FLAGS="-std=c11 -D_GNU_SOURCE -pthread $INC"

# The whole library: the simulated machine, the fake secure world, the
# mediator, the supplicant, the tee core and the OP-TEE driver model (the
# driver-rpc and optee-uapi targets run the driver; the invariant checker
# reaches every layer).
LIB_SOURCES="sim/*.c sim/*/*.c src/*/*.c"
objs=()
for src in $LIB_SOURCES; do
	obj="$WORK_DIR/lib-$(echo "$src" | tr '/' '_').o"
	# shellcheck disable=SC2086
	$CC $CFLAGS $FLAGS -c "$src" -o "$obj"
	objs+=("$obj")
done
rm -f "$WORK_DIR/libteesim-fuzz.a"
ar rcs "$WORK_DIR/libteesim-fuzz.a" "${objs[@]}"

for target in fuzz/fuzz-*.c; do
	name=$(basename "$target" .c)
	extra=()
	extra_flags=""
	if [ "$name" = fuzz-uapi ]; then
		# the unit tests' driver below the tee core, its Check asserts shimmed
		extra=(tests/testdrv.c)
		extra_flags="-Ifuzz/check-shim"
	fi
	tobjs=()
	for src in "$target" "${extra[@]+"${extra[@]}"}"; do
		obj="$WORK_DIR/$name-$(basename "$src" .c).o"
		# shellcheck disable=SC2086
		$CC $CFLAGS $FLAGS $extra_flags -c "$src" -o "$obj"
		tobjs+=("$obj")
	done
	# shellcheck disable=SC2086
	$CXX $CXXFLAGS $LIB_FUZZING_ENGINE "${tobjs[@]}" "$WORK_DIR/libteesim-fuzz.a" \
		-pthread -o "$OUT/$name"
	if [ -d "fuzz/corpus/$name" ]; then
		rm -f "$OUT/${name}_seed_corpus.zip"
		(cd "fuzz/corpus/$name" && zip -q -r "$OUT/${name}_seed_corpus.zip" .)
	fi
	if [ -f "fuzz/dict/$name.dict" ]; then
		cp "fuzz/dict/$name.dict" "$OUT/$name.dict"
	fi
done

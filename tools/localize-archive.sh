#!/bin/sh
# localize-archive.sh OUT IN OBJCOPY AR CC [CFLAGS...]
# Link every object of archive IN into one relocatable object, make its
# hidden symbols local, and store that object alone in archive OUT.
set -eu
out=$1 in=$2 objcopy=$3 ar=$4
shift 4
tmp="$out.tmp.o"
rm -f "$out" "$tmp"
"$@" -r -nostdlib -Wl,--whole-archive "$in" -Wl,--no-whole-archive -o "$tmp"
"$objcopy" --localize-hidden "$tmp"
"$ar" rcs "$out" "$tmp"
rm -f "$tmp"

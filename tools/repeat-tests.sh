#!/usr/bin/env bash
# Determinism check: run the whole test suite N times in a row.
#
#   tools/repeat-tests.sh [N] [BUILD_DIR] [-- MESON_TEST_ARGS...]
#
# N defaults to 1000, BUILD_DIR to build (configured and built first if
# needed). Each run is `meson test --no-rebuild` (every suite, benchmarks
# excepted); MESON_TEST_ARGS narrow it (suite names, --suite core,
# --setup valgrind ...). Stops at the first failing run and prints the run
# number, the failing tests and their logs (exit 1); otherwise prints a
# summary with the time per run (exit 0). Not part of CI: a run takes what
# one `meson test` takes (5 to 10 s on 2 cores), so 1000 runs take hours.
set -uo pipefail
cd "$(dirname "$0")/.."

n=1000
dir=build
if [ $# -gt 0 ] && [ "$1" != -- ]; then
	n=$1
	shift
fi
if [ $# -gt 0 ] && [ "$1" != -- ]; then
	dir=$1
	shift
fi
[ $# -gt 0 ] && [ "$1" = -- ] && shift
case $n in '' | *[!0-9]*) echo "usage: $0 [N] [BUILD_DIR] [-- MESON_TEST_ARGS...]" >&2 && exit 2 ;; esac

if [ ! -f "$dir/build.ninja" ]; then
	meson setup "$dir" >/dev/null || exit 2
fi
meson compile -C "$dir" >/dev/null || {
	meson compile -C "$dir" 2>&1 | tail -30
	exit 2
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# A run with --setup NAME writes testlog-NAME.json.
setup="" prev=""
for a in "$@"; do
	case $a in --setup=*) setup=${a#--setup=} ;; esac
	[ "$prev" = --setup ] && setup=$a
	prev=$a
done
json=$dir/meson-logs/testlog${setup:+-$setup}.json

start=$(date +%s.%N)
cases=0
for ((run = 1; run <= n; run++)); do
	rm -f "$json"
	if ! meson test -C "$dir" --no-rebuild "$@" >"$log" 2>&1; then
		echo "run $run of $n FAILED"
		# Name each failing test, its failing TAP lines, and its whole log.
		python3 - "$json" <<'EOF' || tail -n 60 "$log"
import json, re, sys

bad = 0
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t.get("result") in ("OK", "SKIP", "EXPECTEDFAIL"):
        continue
    bad += 1
    out = t.get("stdout") or ""
    print(f"\n--- failing test: {t['name']} ({t['result']}, {t.get('duration', 0):.2f} s)")
    print("    " + " ".join(t.get("command") or []))
    for l in re.findall(r"^not ok .*$", out, re.M):
        print("    " + l)
    # its log, passing TAP lines elided
    passed = len(re.findall(r"^ok \d+", out, re.M))
    print(f"--- its log ({passed} passing TAP lines left out):")
    print("\n".join(l for l in out.splitlines() if not re.match(r"ok \d+", l)))
    print(t.get("stderr") or "", end="")
sys.exit(0 if bad else 1)
EOF
		exit 1
	fi
	if [ $run -eq 1 ]; then
		cases=$(python3 .ci/count-tests.py "$json" | cut -d' ' -f1)
	fi
	if [ $((run % 50)) -eq 0 ]; then
		echo "  $run runs passed"
	fi
done
end=$(date +%s.%N)
awk -v n="$n" -v s="$start" -v e="$end" -v c="$cases" 'BEGIN {
	printf "%d runs passed (%d test cases each), %.1f s in all, %.2f s per run\n", n, c, e - s, (e - s) / n
}'

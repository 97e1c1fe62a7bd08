#!/usr/bin/env bash
# Line coverage of the library (src/ and sim/) by the whole test suite.
#
#   tools/coverage.sh [BUILD_DIR] [THRESHOLD]
#
# Configures BUILD_DIR (default build-coverage) as a gcc build with
# -Db_coverage=true if it is not one yet, builds it, clears the counters of
# any earlier run, runs every test (the fuzz corpora replay as tests;
# benchmarks are not tests, and the export check is left out: gcov's own
# symbols would fail it), then asks gcovr for the line coverage of src/ and sim/. Writes
# BUILD_DIR/coverage/{index.html (with a page per file),coverage.txt,summary.json}
# and prints the least covered files. Exits 1 when the coverage is below
# THRESHOLD percent (default 90), 2 when something could not be run.
# Needs gcc, meson, ninja, check and gcovr (apt-get install gcovr).
set -uo pipefail
cd "$(dirname "$0")/.."

dir=${1:-build-coverage}
threshold=${2:-90}

die() {
	echo "coverage: $*" >&2
	exit 2
}
command -v gcovr >/dev/null || die "gcovr not found (apt-get install gcovr)"
command -v gcc >/dev/null || die "gcc not found"

# A coverage build at -O0, so every line maps to code and counts.
if [ ! -f "$dir/build.ninja" ]; then
	CC=gcc meson setup "$dir" -Db_coverage=true -Dbuildtype=debug -Dfuzz=disabled >"$dir.setup.log" 2>&1 ||
		{ cat "$dir.setup.log"; die "meson setup failed"; }
	rm -f "$dir.setup.log"
elif ! meson configure "$dir" | grep -Eq '^ *b_coverage +true'; then
	die "$dir exists and is not a coverage build (-Db_coverage=true)"
fi
meson compile -C "$dir" >/dev/null || { meson compile -C "$dir" 2>&1 | tail -30; die "build failed"; }

# Fresh counters: a .gcda left from an earlier run would add to this one.
find "$dir" -name '*.gcda' -delete

start=$(date +%s)
# (not the export check: gcov's runtime exports its own symbols from the library)
if ! meson test -C "$dir" --no-rebuild --print-errorlogs --no-suite build >"$dir/coverage-tests.log" 2>&1; then
	tail -n 40 "$dir/coverage-tests.log"
	echo "coverage: some tests failed (figure below still counts what ran)" >&2
	tests_failed=1
else
	tests_failed=0
fi
echo "tests: $(grep -E '^(Ok|Fail|Timeout):' "$dir/coverage-tests.log" | tr -s ' ' | tr '\n' ' ')in $(($(date +%s) - start)) s"

out=$dir/coverage
rm -rf "$out"
mkdir -p "$out"
# Filters are relative to the source root (the working directory).
gcovr -r . --object-directory "$dir" --filter 'src/' --filter 'sim/' -j 2 \
	--txt "$out/coverage.txt" --json-summary "$out/summary.json" \
	--html-details "$out/index.html" --html-title "teesim line coverage" \
	"$dir" >/dev/null 2>"$out/gcovr.log" || { cat "$out/gcovr.log"; die "gcovr failed"; }

python3 - "$out/summary.json" "$threshold" <<'EOF'
import json, sys

s = json.load(open(sys.argv[1]))
threshold = float(sys.argv[2])
files = sorted(s["files"], key=lambda f: (f["line_percent"], -f["line_total"]))
print("least covered files (lines missed / total):")
for f in files[:12]:
    missed = f["line_total"] - f["line_covered"]
    print(f"  {f['line_percent']:6.1f} %  {missed:4d} / {f['line_total']:4d}  {f['filename']}")
pct = 100.0 * s["line_covered"] / s["line_total"] if s["line_total"] else 0.0
print(f"line coverage of src/ and sim/: {pct:.1f} % "
      f"({s['line_covered']} of {s['line_total']} lines), threshold {threshold:g} %")
sys.exit(0 if pct >= threshold else 1)
EOF
rc=$?
echo "report: $out/index.html"
[ $rc -eq 0 ] && [ $tests_failed -ne 0 ] && rc=1
exit $rc

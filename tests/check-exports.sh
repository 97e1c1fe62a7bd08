#!/bin/sh
# check-exports.sh SHARED STATIC NM: fail if either library defines a global
# symbol that is not named teesim_*, or exports no teesim_ symbol at all.
set -u
so=$1 ar=$2 nm=$3
status=0
check() {
	what=$1; shift
	syms=$("$@" | awk 'NF >= 3 && $2 ~ /^[A-TV-Z]$/ { print $3 }' | sed 's/@.*//' | sort -u)
	if [ -z "$(printf '%s\n' "$syms" | grep '^teesim_')" ]; then
		echo "not ok: $what exports no teesim_ symbol"; status=1
	fi
	bad=$(printf '%s\n' "$syms" | grep -v '^teesim_' | grep -v '^$')
	if [ -n "$bad" ]; then
		echo "not ok: $what exports symbols outside the teesim_ namespace:"
		printf '  %s\n' $bad
		status=1
	else
		echo "ok: $what exports $(printf '%s\n' "$syms" | grep -c '^teesim_') teesim_ symbols only"
	fi
}
check "$so" "$nm" -D --defined-only "$so"
check "$ar" "$nm" --defined-only "$ar"
exit $status

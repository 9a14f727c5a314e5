#!/bin/sh
# run-tests.sh RESULTS BIN... — runs each cmocka binary, shows its output, and appends
# "<name> <passed> <failed>" to RESULTS. Exit 1 when any test failed or a binary crashed.
set -u
results=$1; shift
: >>"$results"
status=0
for t in "$@"; do
	name=${t##*/}
	out=$(mktemp)
	"$t" >"$out" 2>&1
	rc=$?
	cat "$out"
	# A binary may run several groups (one per Gitea version, say): sum them.
	passed=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\..*/\1/p' "$out" | awk '{ s += $1 } END { if (NR) print s }')
	failed=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below.*/\1/p' "$out" | awk '{ s += $1 } END { if (NR) print s }')
	run=$(sed -n 's/^\[==========\] \([0-9]*\) test(s) run\..*/\1/p' "$out" | awk '{ s += $1 } END { if (NR) print s }')
	passed=${passed:-0}
	failed=${failed:-0}
	# A binary that died before its summary counts as one failure.
	if [ -z "$run" ] || { [ $rc -ne 0 ] && [ "$failed" -eq 0 ]; }; then
		echo "run-tests: $name exited $rc without a complete cmocka summary" >&2
		failed=$((failed + 1))
	fi
	[ "$failed" -eq 0 ] || status=1
	echo "$name $passed $failed" >>"$results"
	rm -f "$out"
done
exit $status

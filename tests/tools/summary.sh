#!/bin/sh
# summary.sh RESULTS... — the closing line of `make test`: totals over every suite run.
cat "$@" 2>/dev/null | awk '
	{ p += $2; f += $3; if ($3 > 0) bad = bad " " $1 }
	END {
		if (bad != "") print "failing:" bad
		printf "tests: %d passed, %d failed\n", p, f
		exit (f > 0 || p == 0) }'

#!/bin/sh
# bench-verify.sh BENCH_BIN SHARED_SIGSTORE_DIR SECONDS — the `make bench-verify` report.
set -eu
bin=$1; shared=$2; secs=$3
c=$("$bin" "$shared" "$secs")
o=$(openssl speed -seconds "$secs" ecdsap256 2>/dev/null | awk '/nistp256/ {print int($NF)}')
n=$(node tests/bench/node-verify.js "$shared" "$secs" | awk '{print $2}')
echo "$c" | awk -v o="$o" -v n="$n" '
	{ printf "%-22s %-5s %8d verifications/s   %5.2f x openssl-verify   %6.1f x @sigstore/verify\n", $1, $2, $3, $3 / o, $3 / n }
	END {
		printf "%-28s %8d verify/s  (openssl speed -seconds N ecdsap256, same run)\n", "openssl ecdsap256", o
		printf "%-28s %8d verifications/s (keyless v0.3 bundle, node %s)\n", "@sigstore/verify 2.1", n, ENVIRON["NODE_VERSION"]
		print "targets: keyless >= 0.167 x openssl-verify, >= 20 x @sigstore/verify" }'

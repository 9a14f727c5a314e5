#!/bin/sh
# ingest.sh — the numbers of README "Performance" (ingest): a SIZE_MIB (default 1024) MiB
# .img pushed with `diskops upload --no-ingest` to a local docker-registry, then RUNS
# (default 5) rounds of: curl -o /dev/null of the blob, `diskops ingest` of the artifact
# (a new git sha each round, so each one downloads and verifies it all), both under
# /usr/bin/time -v. Prints each round, the best and the median of each, and the ratios
# (the VM is shared and noisy: a single round says little).
# BENCH_DIR picks the parent of the temp dir (default $TMPDIR or /tmp; needs ~2x SIZE free).
set -eu
D=${DISKOPS_BIN:?}
SIZE_MIB=${SIZE_MIB:-1024}
RUNS=${RUNS:-5}
T=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/diskops-bench-ingest.XXXXXX")
REG=
trap '[ -n "$REG" ] && kill "$REG" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$T"' EXIT INT TERM
export DISKOPS_STATE_DIR=$T/state XDG_CONFIG_HOME=$T/cfg

# A random loopback port; another one when the registry cannot bind it.
tries=0
while :; do
	PORT=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
	mkdir -p "$T/reg"
	cat >"$T/reg/config.yml" <<CFG
version: 0.1
log: {level: error}
storage:
  filesystem: {rootdirectory: $T/reg/data}
  delete: {enabled: true}
http:
  addr: 127.0.0.1:$PORT
CFG
	/usr/bin/docker-registry serve "$T/reg/config.yml" >"$T/reg/log" 2>&1 & REG=$!
	while kill -0 "$REG" 2>/dev/null &&
		! curl -s -D - -o /dev/null "http://127.0.0.1:$PORT/v2/" | grep -qi '^docker-distribution-api-version'; do
		sleep 0.05
	done
	# Still alive a moment later: it was ours that answered, not another's on that port.
	sleep 0.5
	kill -0 "$REG" 2>/dev/null && break
	tries=$((tries + 1))
	[ "$tries" -lt 20 ] || { cat "$T/reg/log" >&2; exit 1; }
done

"$D" init >/dev/null
"$D" keygen --out "$T/k.key" >/dev/null
"$D" platform create bench --arch amd64 --trusted-key "$T/k.key.pub" --tlog optional >/dev/null
head -c $((SIZE_MIB * 1048576)) /dev/urandom >"$T/bench.img"
BYTES=$(stat -c %s "$T/bench.img")

t0=$(date +%s.%N)
REF=$("$D" upload --no-ingest --image "$T/bench.img" --repo "127.0.0.1:$PORT/bench/img" \
	--tag b1 --key "$T/k.key" --log-level error)
t1=$(date +%s.%N)
echo "upload: $(awk -v b="$BYTES" -v a="$t0" -v z="$t1" 'BEGIN { printf "%.0f MiB/s (%.2f s, hash pass + chunked PATCH)", b / 1048576 / (z - a), z - a }')"
rm -f "$T/bench.img"    # the registry has its copy; the page cache keeps this one no longer
URL=http://127.0.0.1:$PORT/v2/bench/img
LAYER=$(curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$URL/manifests/b1" |
	sed 's/.*"layers":\[//' | sed -n 's/^[^]]*"digest":"\(sha256:[0-9a-f]*\)".*/\1/p')
[ -n "$LAYER" ] || { echo "no layer digest in the manifest" >&2; exit 1; }
curl -s -o /dev/null "$URL/blobs/$LAYER"   # warm the registry's file in the page cache

field() { sed -n "s/^[[:space:]]*$1: //p" "$2"; }
secs() { awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }'; }
best_c=0; best_i=0; rss_i=0; rss_c=0
i=1
while [ "$i" -le "$RUNS" ]; do
	/usr/bin/time -v -o "$T/curl.time" curl -s -o /dev/null "$URL/blobs/$LAYER"
	/usr/bin/time -v -o "$T/ingest.time" "$D" ingest --platform bench "$REF" \
		--git-sha "bench-$i" --log-level error >/dev/null
	c=$(field "Elapsed (wall clock) time (h:mm:ss or m:ss)" "$T/curl.time" | secs)
	g=$(field "Elapsed (wall clock) time (h:mm:ss or m:ss)" "$T/ingest.time" | secs)
	rc=$(field "Maximum resident set size (kbytes)" "$T/curl.time")
	ri=$(field "Maximum resident set size (kbytes)" "$T/ingest.time")
	tc=$(awk -v b="$BYTES" -v s="$c" 'BEGIN { printf "%.0f", b / 1048576 / s }')
	ti=$(awk -v b="$BYTES" -v s="$g" 'BEGIN { printf "%.0f", b / 1048576 / s }')
	echo "round $i: curl $tc MiB/s (${c} s, max RSS ${rc} KiB)  ingest $ti MiB/s (${g} s, max RSS ${ri} KiB)"
	echo "$tc" >>"$T/curl.list"
	echo "$ti" >>"$T/ingest.list"
	[ "$tc" -gt "$best_c" ] && best_c=$tc
	[ "$ti" -gt "$best_i" ] && best_i=$ti
	[ "$ri" -gt "$rss_i" ] && rss_i=$ri
	[ "$rc" -gt "$rss_c" ] && rss_c=$rc
	i=$((i + 1))
done
# set -e: an ingest that did not publish (exit 4) has stopped the script already.
echo "every round published the artifact (exit 0)"
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
mc=$(median "$T/curl.list"); mi=$(median "$T/ingest.list")
awk -v c="$mc" -v i="$mi" 'BEGIN { printf "median: curl %d MiB/s, diskops ingest %d MiB/s, ratio %.2f\n", c, i, i / c }'
awk -v c="$best_c" -v i="$best_i" -v r="$rss_i" -v rc="$rss_c" -v mib="$SIZE_MIB" 'BEGIN {
	printf "best of each: curl %d MiB/s, diskops ingest %d MiB/s, ratio %.2f (target >= 0.80)\n", c, i, i / c
	printf "peak RSS: diskops ingest %.1f MiB (target <= 32 MiB), curl %.1f MiB; %d MiB artifact\n", r / 1024, rc / 1024, mib
}'

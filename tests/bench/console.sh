#!/bin/sh
# console.sh — the numbers of README "Performance" for the console's log view:
# (a) a 1 GiB log opened with its last screen shown, timed beside `less -R +G` on the same
#     file in the same run (both in tmux, each timed until its last line is on screen);
# (b) peak RSS of the console with that log open after G, g, G and a search;
# (c) bytes the console writes to the terminal during 10 idle seconds (tmux pipe-pane);
# (d) its CPU over those 10 seconds.
# BENCH_LOG=FILE reuses a log (its last line must be unique); RUNS=N timings (default 9: on a
# shared 2-core VM single runs vary by ±50 ms, more than the difference being measured).
set -eu
D=${DISKOPS_BIN:?}
RUNS=${RUNS:-9}
IDLE=${IDLE:-10}
T=$(mktemp -d)
SOCK=dkbench-$$-0
SEQ=0
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
trap 'tm kill-server 2>/dev/null || true; rm -rf "$T"' EXIT INT TERM
export DISKOPS_STATE_DIR=$T/state XDG_CONFIG_HOME=$T/cfg DISKOPS_CONFIG=
"$D" init >/dev/null

LOG=${BENCH_LOG:-$T/job.log}
LAST="image sealed: bench end of log"
if [ -z "${BENCH_LOG:-}" ]; then
	# 1 GiB of Gitea-style lines (timestamp, SGR colours), a unique last line.
	awk 'BEGIN { for (i = 0; i < 10000; i++)
		printf "2026-11-23T10:%02d:%02d.%07dZ \033[32m[build]\033[0m step %d compiling unit %d of the image, writing objects\n",
			int(i / 600) % 60, int(i / 10) % 60, i, int(i / 1000), i }' >"$T/block"
	bs=$(stat -c %s "$T/block")
	n=$(( (1 << 30) / bs ))
	i=0
	while [ $i -lt $n ]; do cat "$T/block"; i=$((i + 1)); done >"$LOG"
	printf '2026-11-23T11:00:00.0000000Z %s\n' "$LAST" >>"$LOG"
	rm -f "$T/block"
else
	LAST=$(tail -n 1 "$LOG" | cut -c 30-80)
fi
SIZE=$(stat -c %s "$LOG")
LINES_N=$(wc -l <"$LOG")
cat "$LOG" >/dev/null   # both start from a warm page cache

ENV="env TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC DISKOPS_STATE_DIR=$T/state XDG_CONFIG_HOME=$T/cfg DISKOPS_CONFIG="
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# Starts CMD in a fresh pane and prints the ms until TEXT is on screen.
# A server per run: a new session on a server that is still exiting fails.
timed() {
	tm kill-server 2>/dev/null || true
	SEQ=$((SEQ + 1))
	SOCK=dkbench-$$-$SEQ
	tm new-session -d -s c -x 132 -y 43 "sleep 600"
	tm set -t c: remain-on-exit on >/dev/null
	s=$(now_ms)
	tm respawn-pane -k -t c: "$1"
	i=0
	until tm capture-pane -p -t c: | grep -qF -- "$2"; do
		i=$((i + 1))
		[ $i -lt 20000 ] || { echo "bench: \"$2\" never appeared" >&2; tm capture-pane -p -t c: >&2; exit 1; }
	done
	echo $(( $(now_ms) - s ))
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

echo "log: $LOG ($SIZE bytes, $LINES_N lines)"
: >"$T/less.ms"
: >"$T/dk.ms"
: >"$T/plain.ms"
r=0
while [ $r -lt "$RUNS" ]; do
	timed "$ENV less -R +G '$LOG'" "$LAST" >"$T/ms" && cat "$T/ms" >>"$T/less.ms"
	# The same console with no log: what start-up alone costs.
	timed "$ENV '$D' console" "open alerts" >"$T/ms" && cat "$T/ms" >>"$T/plain.ms"
	timed "$ENV '$D' console --log '$LOG'" "$LAST" >"$T/ms" && cat "$T/ms" >>"$T/dk.ms"
	r=$((r + 1))
done
LESS_MS=$(median <"$T/less.ms")
DK_MS=$(median <"$T/dk.ms")
echo "(a) last screen of the log, median of $RUNS (ms): less -R +G $LESS_MS [$(tr '\n' ' ' <"$T/less.ms")]," \
	"diskops console --log $DK_MS [$(tr '\n' ' ' <"$T/dk.ms")]," \
	"ratio $(awk -v a="$DK_MS" -v b="$LESS_MS" 'BEGIN { printf "%.2f", a / b }')"
echo "    for reference, diskops console with no log (start-up to its first screen):" \
	"$(median <"$T/plain.ms") ms [$(tr '\n' ' ' <"$T/plain.ms")]"

# (b) the console still open from the last timing: wait for the index, move, search.
PID=$(tm display -p -t c: '#{pane_pid}')
i=0
until tm capture-pane -p -t c: | grep -q "lines .* of "; do
	i=$((i + 1)); [ $i -lt 20000 ] || { echo "bench: the index never finished" >&2; exit 1; }
	sleep 0.01
done
tm send-keys -t c: g
until tm capture-pane -p -t c: | grep -q "lines 1-"; do sleep 0.01; done
tm send-keys -t c: G
until tm capture-pane -p -t c: | grep -qF "$LAST"; do sleep 0.01; done
tm send-keys -t c: / && tm send-keys -t c: -l "unit 5000 " && tm send-keys -t c: Enter
until tm capture-pane -p -t c: | grep -q "/unit 5000 : line"; do sleep 0.01; done
RSS_KB=$(awk '/^VmHWM/ { print $2 }' "/proc/$PID/status")
echo "(b) peak RSS with the log open, after g, G and a search: $((RSS_KB / 1024)) MiB ($RSS_KB kB)"

# (c) and (d): G again, let the screen settle, then $IDLE seconds of nothing.
tm send-keys -t c: G
until tm capture-pane -p -t c: | grep -qF "$LAST"; do sleep 0.01; done
sleep 1
: >"$T/idle.out"
tm pipe-pane -o -t c: "cat >>'$T/idle.out'"
t0=$(awk '{ print $14 + $15 }' "/proc/$PID/stat")
sleep "$IDLE"
t1=$(awk '{ print $14 + $15 }' "/proc/$PID/stat")
tm pipe-pane -t c:
BYTES=$(stat -c %s "$T/idle.out")
HZ=$(getconf CLK_TCK)
echo "(c) bytes written to the terminal in $IDLE idle seconds: $BYTES"
echo "(d) CPU while idle: $(awk -v d=$((t1 - t0)) -v hz="$HZ" -v s="$IDLE" 'BEGIN { printf "%.2f%% (%d ticks of 1/%d s in %d s)", d / hz / s * 100, d, hz, s }')"
tm send-keys -t c: Q

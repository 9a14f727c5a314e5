#!/bin/sh
# screenshots.sh BIN OUTDIR — drives the console in tmux (120x40 and 80x24) through its
# views and turns each screen into a PNG: capture-pane -e -N → aha → headless Chromium.
set -eu
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
out=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
sock=dkshots-$$
serve_pid=
trap 'tmux -L $sock kill-server 2>/dev/null || true; [ -z "$serve_pid" ] || kill $serve_pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
mkdir -p "$out"

export DISKOPS_STATE_DIR="$tmp/state" XDG_CONFIG_HOME="$tmp/config" DISKOPS_CONFIG= TZ=UTC
"$bin" init >/dev/null
"$bin" platform create ubuntu-24.04-lts --arch amd64 \
	--identity-regexp '^https://git\.example\.com/ops/' \
	--issuer-regexp '^https://token\.actions\.example\.com$' >/dev/null
"$bin" platform create edge-arm --arch arm64 --tlog optional >/dev/null
"$bin" platform create lab-x86 --arch amd64 >/dev/null
sqlite3 "$tmp/state/diskops.db" < "$here/seed.sql"
"$bin" webhook create --label ci-builds >/dev/null
"$bin" webhook create --label old-hook >/dev/null
"$bin" webhook revoke old-hook --yes >/dev/null
"$bin" worker create --name builder-1 >/dev/null
sqlite3 "$tmp/state/diskops.db" < "$here/seed_ops.sql"
# A real serve (no ingest), so the status bar shows its heartbeat.
"$bin" serve --listen 127.0.0.1:0 --no-ingest --ready-file "$tmp/ready" >"$tmp/serve.log" 2>&1 &
serve_pid=$!

tm() { tmux -L "$sock" -f /dev/null "$@"; }

# Polls the screen for text; 10 s is a hang guard, not the synchronisation.
wait_for() {
	i=0
	until tm capture-pane -p -t c: | grep -qF -- "$1"; do
		i=$((i + 1))
		[ $i -lt 500 ] || { echo "screenshots: \"$1\" never appeared" >&2; tm capture-pane -p -t c: >&2; exit 1; }
		sleep 0.02
	done
}

shot() {  # NAME COLS ROWS
	tm capture-pane -p -e -N -t c: > "$tmp/screen.ans"
	# tmux follows a reset with redundant default-colour codes (ESC[39m ESC[49m), which
	# make aha drop reverse video; after a reset they change nothing, so they go.
	esc=$(printf '\033')
	sed "s/\(${esc}\[0[;0-9]*m\)${esc}\[39m${esc}\[49m/\1/g" "$tmp/screen.ans" |
		aha --black --title "diskops $1" |
		sed 's#</head>#<style>body{margin:0;padding:4px}pre{margin:0;font:14px/17px "DejaVu Sans Mono",monospace}</style></head>#' \
		> "$tmp/screen.html"
	chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--hide-scrollbars --user-data-dir="$tmp/profile" \
		--window-size=$(($2 * 85 / 10 + 12)),$(($3 * 17 + 10)) \
		--screenshot="$out/$1.png" "file://$tmp/screen.html" > "$tmp/chromium.log" 2>&1
	test -s "$out/$1.png"
	echo "  PNG     $out/$1.png"
}

for size in 120x40 80x24; do
	# A server per size: a new session on a server that is still exiting fails.
	sock=dkshots-$$-$size
	cols=${size%x*}
	rows=${size#*x}
	tm new-session -d -s c -x "$cols" -y "$rows" \
		"env TERM=xterm-256color LANG=C.UTF-8 LC_ALL=C.UTF-8 '$bin' console; sleep 600"
	wait_for "ubuntu-24.04-lts"
	if [ "$cols" -ge 100 ]; then wait_for "serve up"; else wait_for "serve ✓"; fi
	shot "overview-$size" "$cols" "$rows"
	tm send-keys -t c: G Enter a
	wait_for "publications (all)"
	shot "publications-$size" "$cols" "$rows"
	tm send-keys -t c: j j Enter
	wait_for "nodes boot this image"
	shot "publication-$size" "$cols" "$rows"
	tm send-keys -t c: Escape j R
	wait_for "[ Rollback ]"
	shot "rollback-dialog-$size" "$cols" "$rows"
	tm send-keys -t c: Escape
	wait_for "rollback cancelled"
	tm send-keys -t c: 3
	wait_for "› events"
	shot "events-$size" "$cols" "$rows"
	tm send-keys -t c: 4
	wait_for "› alerts"
	shot "alerts-$size" "$cols" "$rows"
	tm send-keys -t c: 6
	wait_for "› webhooks"
	shot "webhooks-$size" "$cols" "$rows"
	tm send-keys -t c: 7
	wait_for "› deliveries"
	shot "deliveries-$size" "$cols" "$rows"
	tm send-keys -t c: 8
	wait_for "› workers"
	shot "workers-$size" "$cols" "$rows"
	tm send-keys -t c: 9
	wait_for "› approvals"
	shot "approvals-$size" "$cols" "$rows"
	tm send-keys -t c: j A
	wait_for "[ Approve ]"
	shot "approve-dialog-$size" "$cols" "$rows"
	tm send-keys -t c: Escape
	wait_for "approve cancelled"
	tm send-keys -t c: 2 '?'
	wait_for "publications › help"
	shot "help-$size" "$cols" "$rows"
	tm kill-server
done

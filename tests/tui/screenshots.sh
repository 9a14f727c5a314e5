#!/bin/sh
# screenshots.sh BIN OUTDIR [EMULATOR] — drives the console in tmux (120x40 and 80x24) through its
# views and turns each screen into a PNG: capture-pane -e -N → aha → headless Chromium.
set -eu
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
out=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
sock=dkshots-$$
emu=${3:-}
emu_pid=
serve_pid=
trap 'tmux -L $sock kill-server 2>/dev/null || true; [ -z "$serve_pid" ] || kill $serve_pid 2>/dev/null || true; [ -z "$emu_pid" ] || kill $emu_pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
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

# The runs and log views need a Gitea: the emulator, with one finished and one running build.
if [ -n "$emu" ]; then
	token=screenshot-token-0123456789
	mkfifo "$tmp/emu.out"
	"$emu" --version 1.27 --swagger "$here/../../../shared/reference/gitea/swagger.v1.json" \
		--data "$tmp/emu" --unknown-log "$tmp/emu-unknown.log" --user "ops:$token:pw" \
		--repo ops/ubuntu-image --runner builder-1:online:disk-image-builder,amd64 \
		>"$tmp/emu.out" 2>"$tmp/emu.err" &
	emu_pid=$!
	read -r listening < "$tmp/emu.out"
	export DISKOPS_GITEA_URL="http://${listening#listening on }" DISKOPS_GITEA_TOKEN=$token
	wf=$(printf '%s\n' 'on:' '  workflow_dispatch:' '    inputs:' '      platform:' \
		'        description: "NodePlatform name in diskops"' '        default: "ubuntu-24.04-lts"' \
		'      firmware_ref:' '        description: "Firmware reference recorded with the image (optional)"' \
		'        default: ""' 'jobs:' '  build-image:' '    runs-on: disk-image-builder' | base64 -w0)
	curl -fsS -o /dev/null -X POST -H "Authorization: token $token" -H 'Content-Type: application/json' \
		-d "{\"content\":\"$wf\",\"message\":\"add the workflow\"}" \
		"$DISKOPS_GITEA_URL/api/v1/repos/ops/ubuntu-image/contents/.gitea/workflows/build-disk-image.yml"
	# The image history between the two published builds, for the rollback dialog:
	# c2f85d13 is built from the first commit, the default d94a7e21 from the last.
	commit() {  # FILE MESSAGE -> the commit's sha
		curl -fsS -X POST -H "Authorization: token $token" -H 'Content-Type: application/json' \
			-d "{\"content\":\"$(printf '%s\n' "$2" | base64 -w0)\",\"message\":\"$2\"}" \
			"$DISKOPS_GITEA_URL/api/v1/repos/ops/ubuntu-image/contents/$1" |
			sed 's/.*"commit":{[^}]*"sha":"\([0-9a-f]*\)".*/\1/'
	}
	good=$(commit mkosi.conf.d/10-kernel.conf "Kernel 6.8.0-45: known good on the lab fleet")
	commit mkosi.conf.d/20-zram.conf "Enable zram swap on nodes under 8 GiB" >/dev/null
	commit mkosi.conf.d/30-systemd.conf "Pin systemd 255.4-1ubuntu8.4" >/dev/null
	commit mkosi.conf.d/40-nic.conf "Load the ice driver early for the E810 NICs" >/dev/null
	commit mkosi.conf.d/50-sshd.conf "sshd: drop ssh-rsa host keys" >/dev/null
	commit mkosi.conf.d/60-kernel.conf "Kernel 6.8.0-48" >/dev/null
	latest=$(commit mkosi.conf.d/70-mkosi.conf "Build with mkosi v24")
	sqlite3 "$tmp/state/diskops.db" "UPDATE disk_image_publication SET git_sha = '$good' WHERE id LIKE 'c2f85d13%';
		UPDATE disk_image_publication SET git_sha = '$latest' WHERE id LIKE 'd94a7e21%';"
	"$bin" platform set ubuntu-24.04-lts --build-repo ops/ubuntu-image >/dev/null
	script="$tmp/emu/repos/ops/ubuntu-image.git/emulator-runner.sh"
	printf '%s\n' 'echo "##[step] Checkout"' 'echo "cloned ops/ubuntu-image at $GITHUB_SHA"' \
		'echo "##[step] Build image"' 'echo "image built"' > "$script"
	"$bin" dispatch --platform ubuntu-24.04-lts >/dev/null
	until "$bin" runs list --platform ubuntu-24.04-lts 2>/dev/null | grep -q success; do sleep 0.1; done
	cat > "$script" <<'SH'
echo "##[step] Checkout"
echo "cloned ops/ubuntu-image at $GITHUB_SHA"
echo "##[step] Build image"
printf '\033[1;34m==>\033[0m mkosi build --image ubuntu-24.04-lts\n'
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	printf '\033[32m[build]\033[0m installing package set %d of 40\n' $i
done
printf '\033[33mwarning:\033[0m locale C.UTF-8 has no translations installed\n'
for i in 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30; do
	printf '\033[32m[build]\033[0m installing package set %d of 40\n' $i
done
printf '\033[1;34m==>\033[0m writing squashfs (812 MiB)\n'
while :; do sleep 1; done
SH
	"$bin" dispatch --platform ubuntu-24.04-lts >/dev/null
fi

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
	# With Gitea the commits arrive from the worker's fetch of the build repo.
	[ -z "$emu" ] || wait_for "undone: rolling back"
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
	if [ -n "$emu" ]; then
		tm send-keys -t c: 5
		wait_for "running"
		shot "runs-$size" "$cols" "$rows"
		tm send-keys -t c: d
		wait_for "NodePlatform name in diskops"
		shot "dispatch-dialog-$size" "$cols" "$rows"
		tm send-keys -t c: Escape
		wait_for "nothing dispatched"
		tm send-keys -t c: Enter
		wait_for "Build image"
		shot "run-$size" "$cols" "$rows"
		tm send-keys -t c: Enter
		wait_for "writing squashfs"
		tm send-keys -t c: / && tm send-keys -t c: -l warning && tm send-keys -t c: Enter
		wait_for "/warning: line"
		shot "log-$size" "$cols" "$rows"
	fi
	tm kill-server
done

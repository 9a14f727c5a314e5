#!/usr/bin/env bash
# make demo: the whole pipeline on this machine, then the console on it.
#
# Starts the real docker-registry, the Gitea emulator (tests/gitea-emulator) and
# `diskops serve` on loopback in a temporary demo dir; creates a platform with a fresh
# signing key; bootstraps the emulated build repo; runs the pipeline of the end-to-end
# test (tests/e2e/build.sh) several times: four good builds (retention 2: two published,
# two retired), one signed with a key the platform does not trust (a failed publication and
# an open alert), and one left running that prints a line a second (live log). Then it
# opens the console. Quitting the console stops everything this script started and
# removes the demo dir.
#
# Environment:
#   DEMO_NO_CONSOLE=1   set everything up, check the rows, print "demo: ready", and, when
#                       DEMO_RELEASE names a file, wait for it to exist; then tear down
#   DISKOPS_BIN, GITEA_EMULATOR_BIN  use these binaries (skips `make deps` and the build)
#   DEMO_DIR            the demo dir (default: a new one under $TMPDIR); removed at the end
#   DEMO_KEEP=1         keep the demo dir at the end
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"

say() { printf 'demo: %s\n' "$*"; }
die() { printf 'demo: error: %s\n' "$*" >&2; exit 1; }

if [ -z "${DISKOPS_BIN:-}" ]; then
	sh tests/tools/deps.sh
	make -j2 --no-print-directory diskops gitea-emulator >&2
	DISKOPS_BIN=$ROOT/diskops
fi
GITEA_EMULATOR_BIN=${GITEA_EMULATOR_BIN:-$ROOT/build/tests/gitea-emulator/gitea-emulator}
SWAGGER=${DISKOPS_GITEA_SWAGGER:-$ROOT/../shared/reference/gitea/swagger.v1.json}
[ -x "$DISKOPS_BIN" ] || die "no diskops binary at $DISKOPS_BIN"
[ -x "$GITEA_EMULATOR_BIN" ] || die "no Gitea emulator at $GITEA_EMULATOR_BIN (make gitea-emulator)"
[ -r "$SWAGGER" ] || die "Gitea's swagger.v1.json not found at $SWAGGER (set DISKOPS_GITEA_SWAGGER)"
[ -x /usr/bin/docker-registry ] || die "docker-registry is missing (make deps)"
DISKOPS_BIN=$(readlink -f "$DISKOPS_BIN")

DEMO=${DEMO_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/diskops-demo.XXXXXX")}
mkdir -p "$DEMO"
DEMO=$(cd "$DEMO" && pwd)
chmod 700 "$DEMO"
PIDS=()

cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	# Newest first, each gone before the next: serve (so it never sees Gitea vanish),
	# the emulator (its SIGTERM ends running job scripts), the registry.
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		kill -TERM "${PIDS[i]}" 2>/dev/null || true
		wait "${PIDS[i]}" 2>/dev/null || true
	done
	if [ "${DEMO_KEEP:-0}" = 1 ]; then
		say "kept $DEMO"
	else
		rm -rf "$DEMO"
	fi
	say "stopped"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# Waits up to $1 seconds for the command after it to succeed.
wait_for() {
	local limit=$1 start=$SECONDS
	shift
	until "$@"; do
		[ $((SECONDS - start)) -lt "$limit" ] || return 1
		sleep 0.1
	done
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

d() { "$DISKOPS_BIN" "$@"; }
export DISKOPS_CONFIG=$DEMO/config.ini XDG_CONFIG_HOME=$DEMO/xdg TZ=UTC

# --- the registry: a free high port, tried again if another process takes it first ---
mkdir -p "$DEMO/registry"
REG_PORT=
for _ in 1 2 3 4 5 6 7 8; do
	p=$((20000 + RANDOM % 40000))
	port_free "$p" || continue
	cat >"$DEMO/registry/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem: {rootdirectory: $DEMO/registry/data}
  delete: {enabled: true}
http:
  addr: 127.0.0.1:$p
  secret: diskops-demo
EOF
	/usr/bin/docker-registry serve "$DEMO/registry/config.yml" >>"$DEMO/registry/log" 2>&1 &
	pid=$!
	if wait_for 20 curl -sf -o /dev/null "http://127.0.0.1:$p/v2/"; then
		PIDS+=("$pid")
		REG_PORT=$p
		break
	fi
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
done
[ -n "$REG_PORT" ] || die "the registry did not start: $(tail -5 "$DEMO/registry/log")"
REGISTRY=127.0.0.1:$REG_PORT

# --- the Gitea emulator (Gitea 1.27's API), an ephemeral port ---
TOKEN=demo-alice-token-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
# Job scripts inherit its TMPDIR: their scratch space goes with the demo dir.
mkdir -p "$DEMO/tmp"
TMPDIR=$DEMO/tmp "$GITEA_EMULATOR_BIN" --version 1.27 --swagger "$SWAGGER" --data "$DEMO/gitea" \
	--user "alice:$TOKEN:alice-pw" --runner builder-1:online:disk-image-builder,amd64 \
	--unknown-log "$DEMO/gitea-unknown.log" >"$DEMO/gitea.out" 2>"$DEMO/gitea.log" &
PIDS+=("$!")
emu_listening() { grep -q '^listening on ' "$DEMO/gitea.out"; }
wait_for 20 emu_listening || die "the Gitea emulator did not start: $(tail -5 "$DEMO/gitea.log")"
GITEA_URL=http://$(sed -n 's/^listening on //p' "$DEMO/gitea.out" | head -1)

# --- diskops: config, state, platform, key ---
umask 077
cat >"$DISKOPS_CONFIG" <<EOF
; The demo's configuration. For a real Gitea (1.25 or newer), change [gitea]:
; url = https://git.example.com and token = a token of the build repo's owner.
[state]
dir = $DEMO/state

[log]
level = warn

[gitea]
url = $GITEA_URL
token = $TOKEN
author = diskops demo <demo@example.invalid>
poll_seconds = 5

[registry]
host = $REGISTRY

[alerts]
tick_seconds = 5
EOF
umask 022
d init >/dev/null
d keygen --out "$DEMO/signing.key" >/dev/null
d keygen --out "$DEMO/rogue.key" >/dev/null
d platform create edge --arch amd64 --trusted-key "$DEMO/signing.key.pub" --tlog optional \
	--retention 2 >/dev/null

"$DISKOPS_BIN" serve --listen 127.0.0.1:0 --ready-file "$DEMO/serve.ready" >>"$DEMO/serve.log" 2>&1 &
PIDS+=("$!")
serve_ready() { [ -s "$DEMO/serve.ready" ]; }
wait_for 20 serve_ready || die "diskops serve did not start: $(tail -5 "$DEMO/serve.log")"
SERVE=http://$(head -1 "$DEMO/serve.ready")

cat <<EOF

  diskops demo
  ------------
  Gitea is EMULATED for this demo: tests/gitea-emulator answers Gitea 1.27's REST API and a
  script stands in for act_runner. The registry (docker-registry) and diskops are real.

    registry  http://$REGISTRY
    gitea     $GITEA_URL   (emulated)
    serve     $SERVE
    config    $DISKOPS_CONFIG
    state     $DEMO/state

  To point diskops at a real Gitea (1.25 or newer), set in config.ini:
    [gitea]
    url = https://git.example.com
    token = <a token of the build repo's owner, write:repository>   (chmod 600 config.ini)
  then: diskops bootstrap --owner O --repo R --label L --platform P --commit-workflow --yes
  (README: "End-to-end: bootstrap, dispatch, follow, publish").

EOF

# --- bootstrap the build repo; the platform's key becomes the repo secret the build signs with ---
say "bootstrapping alice/edge-images on the emulated Gitea"
d bootstrap --owner alice --repo edge-images --label edge-ci --platform edge \
	--api-base "$SERVE" --commit-workflow --yes >"$DEMO/bootstrap.out" ||
	die "bootstrap failed: $(cat "$DEMO/bootstrap.out")"
d secret set COSIGN_PRIVATE_KEY --repo alice/edge-images <"$DEMO/signing.key" >/dev/null

# The runner stand-in: the emulator runs this for every job of the repo.
cat >"$DEMO/gitea/repos/alice/edge-images.git/emulator-runner.sh" <<EOF
export DISKOPS='$DISKOPS_BIN'
if [ "\$(cat '$DEMO/next-build' 2>/dev/null)" = slow ]; then
	export E2E_GATE='$DEMO/never' E2E_PROGRESS=1
fi
exec bash '$ROOT/tests/e2e/build.sh'
EOF

json_num() { tr -d '\n' | sed -n "s/.*\"$1\": *\([0-9][0-9]*\).*/\1/p"; }
json_str() { tr -d '\n' | sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p"; }

# A new commit on main, so each build has its own git sha (publications are keyed by it).
commit() {
	local body
	body=$(printf '{"content":"%s","message":"release %s","branch":"main"}' \
		"$(printf 'release %s\n' "$1" | base64 -w0)" "$1")
	curl -sf -o /dev/null -X POST -H "Authorization: token $TOKEN" \
		-H 'Content-Type: application/json' --data "$body" \
		"$GITEA_URL/api/v1/repos/alice/edge-images/contents/releases/$1.txt" ||
		die "committing release $1 failed"
}

default_sha() { d platform show edge --json | json_str default_git_sha; }
platform_status() { d platform show edge --json | json_str disk_image_publication_status; }

# One build: commit, start (tag push or dispatch), follow its log to the end.
build() {
	local version=$1 how=$2 run sha
	commit "$version"
	if [ "$how" = tag ]; then
		run=$(d trigger --platform edge --tag "system-disk-image/v$version" --json | json_num run_id)
	else
		run=$(d dispatch --platform edge -i "firmware_ref=fw-$version" --json | json_num run_id)
	fi
	[ -n "$run" ] || die "build $version: no run"
	sha=$(d runs show "$run" --platform edge --json | json_str head_sha)
	say "build $version: run $run at ${sha:0:12} ($how)"
	LAST_RUN=$run LAST_SHA=$sha
}

finish() {
	d logs --run "$LAST_RUN" --platform edge --follow >"$DEMO/run-$LAST_RUN.log" 2>&1 ||
		die "run $LAST_RUN failed: $(tail -5 "$DEMO/run-$LAST_RUN.log")"
}

published() { [ "$(default_sha)" = "$LAST_SHA" ]; }
for spec in 1.0.0:tag 1.0.1:dispatch 1.1.0:tag 1.1.1:dispatch; do
	build "${spec%%:*}" "${spec#*:}"
	finish
	wait_for 60 published || die "build ${spec%%:*} was not published: $(d publication list --platform edge)"
	say "published ${LAST_SHA:0:12} as the default of edge"
done

# Signed with a key the platform does not trust: the publication fails, the default stays.
d secret set COSIGN_PRIVATE_KEY --repo alice/edge-images <"$DEMO/rogue.key" >/dev/null
build 1.2.0-rogue dispatch
finish
failed() { [ "$(platform_status)" = failed ]; }
wait_for 60 failed || die "the rogue build was not refused: $(d publication list --platform edge)"
d secret set COSIGN_PRIVATE_KEY --repo alice/edge-images <"$DEMO/signing.key" >/dev/null
d agent tick >/dev/null
say "refused the build signed with an untrusted key; alert raised"

# One build left running, printing a line a second: the log view follows it live.
echo slow >"$DEMO/next-build"
build 1.3.0 dispatch
running() { d runs list --platform edge --status in_progress --json | grep -q "\"id\": *$LAST_RUN\b"; }
wait_for 30 running || die "run $LAST_RUN is not running"
say "run $LAST_RUN keeps building (log: diskops logs --run $LAST_RUN --follow)"

# What the console will show must be there.
count() { grep -o "\"status\": *\"$1\"" | wc -l; }
pubs=$(d publication list --platform edge --json)
[ "$(count published <<<"$pubs")" -ge 1 ] || die "no published publication"
[ "$(count retired <<<"$pubs")" -ge 2 ] || die "retention retired nothing"
[ "$(count failed <<<"$pubs")" -ge 1 ] || die "no failed publication"
d alerts list --json | grep -q '"state": *"open"' || die "no open alert"
say "state dir $DEMO/state"
say "config $DISKOPS_CONFIG"
say "pids ${PIDS[*]}"
say "ready"

if [ "${DEMO_NO_CONSOLE:-0}" = 1 ]; then
	if [ -n "${DEMO_RELEASE:-}" ]; then
		release() { [ -e "$DEMO_RELEASE" ]; }
		wait_for 600 release || die "no release within 10 minutes"
	fi
	exit 0
fi
say "opening the console (q quits and stops the demo)"
d console

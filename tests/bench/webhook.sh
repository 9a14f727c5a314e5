#!/bin/sh
# webhook.sh — the numbers of README "Performance": wrk -t2 -c32 -d10s against nginx
# (return 204) and diskops serve: (a) validly signed deliveries, (b) bad signatures,
# (c) valid deliveries (4 connections) while (b) runs.
set -eu
D=${DISKOPS_BIN:?}
GEN=${GEN:?}
T=$(mktemp -d)
NGX_PORT=${NGX_PORT:-18080}
DUR=${DUR:-10s}
trap 'kill $SRV $NGX 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$T"' EXIT INT TERM
export DISKOPS_STATE_DIR=$T/state XDG_CONFIG_HOME=$T/cfg
LUA=$(cd "$(dirname "$0")" && pwd)/webhook.lua

"$D" init >/dev/null
"$D" platform create bench --arch amd64 >/dev/null
"$D" webhook create --label bench --json >"$T/hook.json"
SECRET=$(sed -n 's/.*"secret_plaintext": "\(.*\)".*/\1/p' "$T/hook.json")
ID=$(sed -n 's/^    "id": "\(.*\)".*/\1/p' "$T/hook.json" | head -1)
"$GEN" "$SECRET" 400000 bench >"$T/good.txt"
"$GEN" "$SECRET" 2000 bench bad >"$T/bad.txt"

mkdir -p "$T/ngx/logs" "$T/ngx/tmp"
cat >"$T/ngx/nginx.conf" <<NGX
worker_processes 2; pid $T/ngx/nginx.pid; error_log $T/ngx/logs/error.log warn; daemon off;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path $T/ngx/tmp; proxy_temp_path $T/ngx/tmp;
  fastcgi_temp_path $T/ngx/tmp; uwsgi_temp_path $T/ngx/tmp; scgi_temp_path $T/ngx/tmp;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$NGX_PORT; location / { return 204; } } }
NGX
nginx -c "$T/ngx/nginx.conf" -p "$T/ngx/" & NGX=$!
# Ingest workers would compete for the store with the receiver; the bench measures receiving.
"$D" serve --listen 127.0.0.1:0 --ready-file "$T/ready" --no-ingest --log-level error \
	>/dev/null 2>"$T/serve.err" & SRV=$!
while [ ! -s "$T/ready" ]; do sleep 0.05; done
ADDR=$(cat "$T/ready")
URL=http://$ADDR/api/v1/system/webhooks/disk_image/built/$ID

run() { # name connections deliveries url
	DELIVERIES=$3 wrk -t2 -c"$2" -d"$DUR" -s "$LUA" "$4" | sed -n "s/^BENCH /$1 /p"
}
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }

NG=$(run nginx 32 "$T/bad.txt" "http://127.0.0.1:$NGX_PORT/")
A=$(run valid 32 "$T/good.txt" "$URL")
B=$(run bad_signature 32 "$T/bad.txt" "$URL")
run bad_during 32 "$T/bad.txt" "$URL" >"$T/c_bad" &
C=$(run valid_during_bad 4 "$T/good.txt" "$URL")
wait $!
# A durable delivery waits for its batch's fsync, and wrk keeps only 32 requests in flight,
# so this disk's sync latency bounds (a) at 32 / latency whatever the code does.
SYNC_N=300
SYNC_S=$(dd if=/dev/zero of="$T/sync-probe" bs=4096 count=$SYNC_N oflag=dsync 2>&1 |
	sed -n 's/.* copied, \([0-9.]*\) s,.*/\1/p')
rm -f "$T/sync-probe"
NGR=$(echo "$NG" | field rps)
echo "$NG"
for l in "$A" "$B" "$C" "$(cat "$T/c_bad")"; do
	r=$(echo "$l" | field rps)
	echo "$l ratio_to_nginx=$(awk -v a="$r" -v b="$NGR" 'BEGIN { printf "%.3f", a / b }')"
done
awk -v s="$SYNC_S" -v n=$SYNC_N 'BEGIN { l = s / n * 1000; printf "disk_sync latency_ms=%.3f bound_for_32_connections_rps=%.0f\n", l, 32 / (l / 1000) }'
echo "rows: $(sqlite3 "$T/state/diskops.db" 'select count(*) from webhook_delivery') deliveries," \
	"$(sqlite3 "$T/state/diskops.db" 'select count(*) from disk_image_publication') publications"

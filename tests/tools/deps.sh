#!/bin/sh
# Installs the Debian packages diskops builds and tests with, only those missing.
# A no-op when everything is present: one dpkg-query, no apt-get.
set -eu
PKGS="pkg-config gcc make libncurses-dev libcurl4-openssl-dev libjansson-dev libsqlite3-dev
libssl-dev libgit2-dev libcmocka-dev libmicrohttpd-dev libjwt-dev libinih-dev libpcre2-dev
sqlite3 tmux curl openssl ca-certificates xxd clang docker-registry apache2-utils
busybox-static cpio git erofs-utils"
# Bench-only packages come from the bench target (BENCH_PACKAGES), never from `make test`.
PKGS="$PKGS ${BENCH_PACKAGES:-}"
missing=""
for p in $PKGS; do
	s=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$s" = "installed" ] || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing" >&2
if [ "$(id -u)" != 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2

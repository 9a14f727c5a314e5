#!/usr/bin/env bash
# The build a runner executes in the end-to-end test and in `make demo`: a tiny boot set
# made with real tools (busybox initramfs packed by cpio + gzip, an EROFS rootfs from
# mkfs.erofs, a kernel stand-in), pushed and key-signed with `diskops upload --no-ingest`
# (oras and cosign are not installable here), then announced to diskops with the webhook
# bootstrap set up: the body signed with `openssl dgst -sha256 -hmac`, POSTed with curl.
#
# From Gitea (bootstrap's secrets and variables): POWERNODE_OCI_REGISTRY,
# POWERNODE_PLATFORM, POWERNODE_ARCH, POWERNODE_DISK_IMAGE_WEBHOOK_URL,
# POWERNODE_DISK_IMAGE_WEBHOOK_SECRET, COSIGN_PRIVATE_KEY (a `diskops keygen` key, set
# with `diskops secret set`), GITHUB_SHA.
# From the runner stand-in: DISKOPS (the binary), optionally E2E_GATE (a file to wait
# for before pushing, so a log can be seen growing) and E2E_PROGRESS=1 (a line a second
# while waiting, for a live log).
set -euo pipefail

DISKOPS=${DISKOPS:-diskops}
PLATFORM=${POWERNODE_PLATFORM:?the variable POWERNODE_PLATFORM (diskops bootstrap --platform)}
REGISTRY=${POWERNODE_OCI_REGISTRY:?the variable POWERNODE_OCI_REGISTRY ([registry] host)}
SHA=${GITHUB_SHA:?GITHUB_SHA}
: "${COSIGN_PRIVATE_KEY:?the secret COSIGN_PRIVATE_KEY (diskops secret set)}"
: "${POWERNODE_DISK_IMAGE_WEBHOOK_URL:?the secret POWERNODE_DISK_IMAGE_WEBHOOK_URL}"
: "${POWERNODE_DISK_IMAGE_WEBHOOK_SECRET:?the secret POWERNODE_DISK_IMAGE_WEBHOOK_SECRET}"

work=$(mktemp -d "${TMPDIR:-/tmp}/e2e-build.XXXXXX")
trap 'rm -rf "$work"' EXIT
# A runner stopping the job (SIGTERM to its process group) still leaves no temp files.
trap 'exit 143' TERM
trap 'exit 130' INT
cd "$work"

echo "##[step] Build boot set"
echo "building $PLATFORM (${POWERNODE_ARCH:-amd64}) at ${SHA:0:12}"
# Kernel stand-in: no kernel build here, but distinct bytes per commit.
{ printf 'diskops e2e kernel stand-in for %s\n' "$SHA"; head -c 262144 /dev/urandom; } >vmlinuz
mkdir -p initrd/bin initrd/proc initrd/sys initrd/dev
busybox=$(command -v busybox || echo /bin/busybox)
cp "$busybox" initrd/bin/busybox
ln -s busybox initrd/bin/sh
printf '#!/bin/sh\nmount -t proc proc /proc\nmount -t sysfs sys /sys\nexec /bin/sh\n' >initrd/init
chmod 755 initrd/init
(cd initrd && find . -print0 | cpio --null -o -H newc --quiet | gzip -9) >initramfs.cpio.gz
echo "initramfs.cpio.gz: $(stat -c %s initramfs.cpio.gz) bytes (busybox, cpio newc, gzip)"
mkdir -p rootfs/etc
echo "$PLATFORM" >rootfs/etc/hostname
echo "$SHA" >rootfs/etc/diskops-build
mkfs.erofs -zlz4hc rootfs.erofs rootfs/ >/dev/null
echo "rootfs.erofs: $(stat -c %s rootfs.erofs) bytes (mkfs.erofs lz4hc)"

if [ -n "${E2E_GATE:-}" ]; then
	echo "waiting for the release gate"
	start=$SECONDS shown=0
	while [ ! -e "$E2E_GATE" ]; do
		sleep 0.1
		if [ "${E2E_PROGRESS:-0}" = 1 ] && [ $((SECONDS - start)) -gt "$shown" ]; then
			shown=$((SECONDS - start))
			echo "still testing the image: $shown s"
		fi
	done
	echo "gate open"
fi

echo "##[step] Push and sign"
umask 077
printf '%s\n' "$COSIGN_PRIVATE_KEY" >signing.key
# The runner has no diskops state of its own: --no-ingest only pushes and signs.
ref=$(DISKOPS_STATE_DIR="$work/state" "$DISKOPS" upload --no-ingest \
	--kernel vmlinuz --initramfs initramfs.cpio.gz --rootfs rootfs.erofs \
	--repo "$REGISTRY/disk-images/$PLATFORM" --tag "$SHA" --key signing.key --git-sha "$SHA")
rm -f signing.key
echo "pushed $ref"

echo "##[step] Announce to diskops"
body=$(printf '{"platform_name":"%s","oci_ref":"%s","git_sha":"%s","arch":"%s","firmware_ref":""}' \
	"$PLATFORM" "$ref" "$SHA" "${POWERNODE_ARCH:-amd64}")
sig=$(printf '%s' "$body" |
	openssl dgst -sha256 -hmac "$POWERNODE_DISK_IMAGE_WEBHOOK_SECRET" -hex | sed 's/^.* //')
reply=$(curl --fail-with-body --silent --show-error \
	-H 'Content-Type: application/json' \
	-H "X-Powernode-Signature: sha256=$sig" \
	--data-binary "$body" "$POWERNODE_DISK_IMAGE_WEBHOOK_URL")
echo "diskops answered: $reply"

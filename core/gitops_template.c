/*
 * The build repo's workflow and build.sh skeleton: what this pipeline accepts (DESIGN §4,
 * powernode-behaviour.md §18). The runner builds with build.sh, pushes one OCI artifact
 * whose layers ingest recognises by title, signs it with a cosign key (Gitea has no
 * Actions OIDC), and POSTs the HMAC-signed webhook.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diskops/gitops.h"

static const char workflow[] =
"# Written by `diskops bootstrap --commit-workflow`; yours to change.\n"
"# Builds the disk image with ./build.sh on a runner labelled @LABELS@, pushes it to\n"
"# the OCI registry, signs it with a cosign key and announces it to diskops with the\n"
"# HMAC-signed webhook. Start it with `diskops dispatch --platform P` or by a tag:\n"
"# `diskops trigger --platform P --tag system-disk-image/v1.2.3`.\n"
"# Secrets and variables below are set by `diskops bootstrap`.\n"
"name: build-disk-image\n"
"on:\n"
"  workflow_dispatch:\n"
"    inputs:\n"
"      platform:\n"
"        description: \"NodePlatform name in diskops\"\n"
"        default: \"@PLATFORM@\"\n"
"      firmware_ref:\n"
"        description: \"Firmware reference recorded with the image (optional)\"\n"
"        default: \"\"\n"
"  push:\n"
"    tags:\n"
"      - \"system-disk-image/v*\"\n"
"jobs:\n"
"  build-disk-image:\n"
"    runs-on: [@RUNS_ON@]\n"
"    # Gitea has no API to cancel a run before 1.28: a hung build ends here.\n"
"    timeout-minutes: @TIMEOUT@\n"
"    env:\n"
"      PLATFORM: ${{ inputs.platform || vars.POWERNODE_PLATFORM || '@PLATFORM@' }}\n"
"      ARCH: ${{ vars.POWERNODE_ARCH || '@ARCH@' }}\n"
"      FIRMWARE_REF: ${{ inputs.firmware_ref }}\n"
"      OCI_REGISTRY: ${{ vars.POWERNODE_OCI_REGISTRY }}\n"
"      OCI_REPOSITORY: ${{ vars.POWERNODE_OCI_REPOSITORY }}\n"
"      PUSH_TOOL: ${{ vars.POWERNODE_PUSH_TOOL || 'oras' }}\n"
"      REGISTRY_USER: ${{ secrets.POWERNODE_REGISTRY_USER }}\n"
"      REGISTRY_TOKEN: ${{ secrets.POWERNODE_REGISTRY_TOKEN }}\n"
"      COSIGN_PRIVATE_KEY: ${{ secrets.COSIGN_PRIVATE_KEY }}\n"
"      COSIGN_PASSWORD: ${{ secrets.COSIGN_PASSWORD }}\n"
"      POWERNODE_DISK_IMAGE_WEBHOOK_URL: ${{ secrets.POWERNODE_DISK_IMAGE_WEBHOOK_URL }}\n"
"      POWERNODE_DISK_IMAGE_WEBHOOK_SECRET: ${{ secrets.POWERNODE_DISK_IMAGE_WEBHOOK_SECRET }}\n"
"      POWERNODE_CI_WORKER_TOKEN: ${{ secrets.POWERNODE_CI_WORKER_TOKEN }}\n"
"      POWERNODE_API_BASE: ${{ secrets.POWERNODE_API_BASE }}\n"
"    steps:\n"
"      - uses: actions/checkout@v4\n"
"      - name: Build\n"
"        run: ./build.sh build\n"
"      - name: Push to the registry\n"
"        run: ./build.sh push\n"
"      - name: Sign\n"
"        run: ./build.sh sign\n"
"      - name: Announce to diskops\n"
"        run: ./build.sh announce\n";

static const char build_script[] =
"#!/usr/bin/env bash\n"
"# build.sh: the disk image build the workflow runs (written by diskops bootstrap; yours\n"
"# to change). ./build.sh [build|push|sign|announce|all]; the phases share out/.\n"
"#\n"
"#   build     makes the boot set in out/: kernel, initramfs, rootfs (EROFS or composefs\n"
"#             blob), or one disk image out/*.img. REPLACE build() with the real build.\n"
"#   push      one OCI artifact at $OCI_REGISTRY/$OCI_REPOSITORY:<git sha>, each file a\n"
"#             layer titled by its name (org.opencontainers.image.title): diskops ingest\n"
"#             looks for one *.img layer, else layers titled kernel*, initramfs*, rootfs*.\n"
"#   sign      cosign sign --key: Gitea Actions has no OIDC token (no release up to 1.27),\n"
"#             so the key pair is the default; the platform trusts its public key\n"
"#             (`diskops platform set P --trusted-key cosign.pub`).\n"
"#             Keyless is possible only with a private Fulcio that trusts your Gitea as an\n"
"#             OIDC issuer: `cosign sign --yes --fulcio-url https://fulcio.internal\n"
"#             --oidc-issuer https://git.example.com/api/actions/oidc ...` and the platform's\n"
"#             --identity-regexp/--issuer-regexp instead of the key.\n"
"#   announce  POSTs the webhook body, signed X-Powernode-Signature: sha256=<hex of the\n"
"#             HMAC-SHA256 of the exact body with the webhook secret>.\n"
"#\n"
"# Instead of oras + cosign the runner may use diskops itself (PUSH_TOOL=diskops, e.g.\n"
"# the variable POWERNODE_PUSH_TOOL): `diskops upload --no-ingest` pushes the files in the\n"
"# same layout and signs them with a diskops key (`diskops keygen`), leaving the ingest\n"
"# to the webhook; `diskops upload --help` lists its flags.\n"
"set -euo pipefail\n"
"\n"
"OUT=${OUT:-out}\n"
"PLATFORM=${PLATFORM:-@PLATFORM@}\n"
"ARCH=${ARCH:-@ARCH@}\n"
"GIT_SHA=${GITHUB_SHA:-$(git rev-parse HEAD)}\n"
"OCI_REGISTRY=${OCI_REGISTRY:?set the variable POWERNODE_OCI_REGISTRY (host[:port])}\n"
"OCI_REPOSITORY=${OCI_REPOSITORY:-disk-images/$PLATFORM}\n"
"REF=\"$OCI_REGISTRY/$OCI_REPOSITORY:$GIT_SHA\"\n"
"PUSH_TOOL=${PUSH_TOOL:-oras}\n"
"\n"
"log() { printf '%s\\n' \"build.sh: $*\" >&2; }\n"
"\n"
"build() {\n"
"\tmkdir -p \"$OUT\"\n"
"\t# REPLACE: the real kernel, initramfs and rootfs of $PLATFORM for $ARCH.\n"
"\tlog \"no build yet: edit build() in build.sh\"\n"
"\texit 1\n"
"}\n"
"\n"
"push() {\n"
"\tlocal files=()\n"
"\tcd \"$OUT\"\n"
"\tfor f in *; do\n"
"\t\tcase $f in digest|ref|*.sig) ;; *) files+=(\"$f\") ;; esac\n"
"\tdone\n"
"\t[ ${#files[@]} -gt 0 ] || { log \"nothing to push in $OUT\"; exit 1; }\n"
"\tcase $PUSH_TOOL in\n"
"\toras)\n"
"\t\tif [ -n \"${REGISTRY_USER:-}\" ]; then\n"
"\t\t\tprintf '%s' \"$REGISTRY_TOKEN\" |\n"
"\t\t\t\toras login --username \"$REGISTRY_USER\" --password-stdin \"$OCI_REGISTRY\"\n"
"\t\tfi\n"
"\t\toras push --artifact-type application/vnd.powernode.disk-image \\\n"
"\t\t\t--annotation \"org.opencontainers.image.revision=$GIT_SHA\" \\\n"
"\t\t\t--format go-template='{{.digest}}' \"$REF\" \"${files[@]}\" >digest\n"
"\t\t;;\n"
"\tdiskops)\n"
"\t\t# Pushes and signs in one go (the key from COSIGN_PRIVATE_KEY, a diskops keygen key);\n"
"\t\t# it prints the digest-pinned reference.\n"
"\t\tlocal args=()\n"
"\t\tfor f in \"${files[@]}\"; do\n"
"\t\t\tcase $f in\n"
"\t\t\t*.img) args+=(--image \"$f\") ;;\n"
"\t\t\tkernel*|vmlinuz*) args+=(--kernel \"$f\") ;;\n"
"\t\t\tinitramfs*|initrd*) args+=(--initramfs \"$f\") ;;\n"
"\t\t\trootfs*|composefs*) args+=(--rootfs \"$f\") ;;\n"
"\t\t\t*) log \"not a layer diskops upload knows: $f\"; exit 1 ;;\n"
"\t\t\tesac\n"
"\t\tdone\n"
"\t\t(umask 077; printf '%s\\n' \"$COSIGN_PRIVATE_KEY\" >signing.key)\n"
"\t\tdiskops upload --no-ingest --repo \"${REF%:*}\" --tag \"${REF##*:}\" \\\n"
"\t\t\t--git-sha \"$GIT_SHA\" --key signing.key \"${args[@]}\" >pinned ||\n"
"\t\t\t{ rm -f signing.key; exit 1; }\n"
"\t\trm -f signing.key\n"
"\t\tsed 's/.*@//' pinned >digest\n"
"\t\trm -f pinned\n"
"\t\t;;\n"
"\t*) log \"PUSH_TOOL must be oras or diskops, not $PUSH_TOOL\"; exit 2 ;;\n"
"\tesac\n"
"\tprintf '%s@%s\\n' \"${REF%:*}\" \"$(cat digest)\" >ref\n"
"\tlog \"pushed $(cat ref)\"\n"
"}\n"
"\n"
"sign() {\n"
"\t[ \"$PUSH_TOOL\" = diskops ] && { log \"signed by diskops upload\"; return; }\n"
"\t# COSIGN_PRIVATE_KEY holds the PEM (cosign generate-key-pair); env:// reads it.\n"
"\tcosign sign --yes --key env://COSIGN_PRIVATE_KEY \"$(cat \"$OUT/ref\")\"\n"
"}\n"
"\n"
"announce() {\n"
"\tlocal body sig\n"
"\tbody=$(printf '{\"platform_name\":\"%s\",\"oci_ref\":\"%s\",\"git_sha\":\"%s\",\"arch\":\"%s\",\"firmware_ref\":\"%s\"}' \\\n"
"\t\t\"$PLATFORM\" \"$(cat \"$OUT/ref\")\" \"$GIT_SHA\" \"$ARCH\" \"${FIRMWARE_REF:-}\")\n"
"\tsig=$(printf '%s' \"$body\" |\n"
"\t\topenssl dgst -sha256 -hmac \"$POWERNODE_DISK_IMAGE_WEBHOOK_SECRET\" -hex | sed 's/^.* //')\n"
"\tcurl --fail-with-body --silent --show-error --retry 3 \\\n"
"\t\t-H 'Content-Type: application/json' \\\n"
"\t\t-H \"X-Powernode-Signature: sha256=$sig\" \\\n"
"\t\t--data-binary \"$body\" \"$POWERNODE_DISK_IMAGE_WEBHOOK_URL\"\n"
"\techo\n"
"}\n"
"\n"
"case ${1:-all} in\n"
"build) build ;;\n"
"push) push ;;\n"
"sign) sign ;;\n"
"announce) announce ;;\n"
"all) build; push; sign; announce ;;\n"
"*) log \"usage: build.sh [build|push|sign|announce|all]\"; exit 2 ;;\n"
"esac\n";

/* Replaces @NAME@ placeholders; NULL when out of memory. */
static char *
fill(const char *text, const char *const *pairs)
{
	size_t cap = strlen(text) + 1, len = 0;
	char *out;

	for (size_t i = 0; pairs[i]; i += 2)
		cap += 8 * strlen(pairs[i + 1]);
	if (!(out = malloc(cap)))
		return NULL;
	for (const char *p = text; *p;) {
		size_t k;

		for (k = 0; pairs[k]; k += 2) {
			size_t n = strlen(pairs[k]);

			if (strncmp(p, pairs[k], n) == 0) {
				size_t v = strlen(pairs[k + 1]);

				if (len + v + 1 > cap) {
					free(out);
					return NULL;
				}
				memcpy(out + len, pairs[k + 1], v);
				len += v;
				p += n;
				break;
			}
		}
		if (!pairs[k]) {
			if (len + 2 > cap) {
				free(out);
				return NULL;
			}
			out[len++] = *p++;
		}
	}
	out[len] = '\0';
	return out;
}

/* runs-on as a flow list: "disk-image-builder, amd64". */
static char *
runs_on(const char *labels)
{
	char *out = malloc(strlen(labels) * 2 + 1), *o = out;

	if (!out)
		return NULL;
	for (const char *p = labels; *p; p++) {
		if (*p == ' ')
			continue;
		*o++ = *p;
		if (*p == ',')
			*o++ = ' ';
	}
	*o = '\0';
	return out;
}

static char *
render(const char *text, const dk_gitops_template *t)
{
	const char *arch = t && t->arch && *t->arch ? t->arch : "amd64";
	const char *platform = t && t->platform && *t->platform ? t->platform : "my-platform";
	char labels[256], timeout[16], *list, *out;
	const char *pairs[11];

	if (t && t->labels && *t->labels)
		snprintf(labels, sizeof(labels), "%s", t->labels);
	else
		snprintf(labels, sizeof(labels), "disk-image-builder,%s", arch);
	snprintf(timeout, sizeof(timeout), "%d", t && t->timeout_minutes > 0 ? t->timeout_minutes : 90);
	if (!(list = runs_on(labels)))
		return NULL;
	pairs[0] = "@PLATFORM@"; pairs[1] = platform;
	pairs[2] = "@ARCH@"; pairs[3] = arch;
	pairs[4] = "@LABELS@"; pairs[5] = labels;
	pairs[6] = "@RUNS_ON@"; pairs[7] = list;
	pairs[8] = "@TIMEOUT@"; pairs[9] = timeout;
	pairs[10] = NULL;
	out = fill(text, pairs);
	free(list);
	return out;
}

char *
dk_gitops_workflow_text(const dk_gitops_template *t)
{
	return render(workflow, t);
}

char *
dk_gitops_build_script_text(const dk_gitops_template *t)
{
	return render(build_script, t);
}

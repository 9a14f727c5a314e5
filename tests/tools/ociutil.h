#ifndef DISKOPS_OCIUTIL_H
#define DISKOPS_OCIUTIL_H

/*
 * Disk-image artifacts pushed for real to a test registry with diskops' own OCI client,
 * in the layouts ingest accepts, and their signatures: legacy cosign `.sig` images,
 * Sigstore bundles attached as referrers (through the sha256-<hex> tag index, since
 * registry 2.8 has no referrers API), and blob bundles carried as layers. Fail the test
 * on any error.
 */

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "diskops/oci.h"

/* Pushes data as a blob; returns its descriptor (with a title annotation when given). */
json_t *ou_layer(dk_oci_client *c, const char *repo, const char *media_type, const char *title,
		 const void *data, size_t len);
/* An OCI image manifest with an empty config over `layers` (stolen); digest returned. */
char *ou_manifest(dk_oci_client *c, const char *repo, const char *tag, json_t *layers,
		  const char *artifact_type, json_t *subject);

/* A boot set (kernel, initramfs, rootfs) whose bytes depend on seq; *size = their sum. */
char *ou_boot_set(dk_oci_client *c, const char *repo, const char *tag, int seq, int64_t *size);

/* The original CI's layout: <name>.img, and the bundles when not NULL. */
char *ou_img(dk_oci_client *c, const char *repo, const char *tag, const char *name,
	     const void *img, size_t img_len, const char *bundle, const char *attestation);

/* A legacy `cosign sign --key` signature image for `digest` at sha256-<hex>.sig. */
void ou_sign_legacy(dk_oci_client *c, const char *repo, const char *digest, const char *key);

/*
 * A Sigstore bundle attached to the manifest `digest` as an OCI 1.1 referrer: the
 * referrer manifest (artifactType bundle v0.3, subject, one bundle layer) and its entry
 * in the sha256-<hex> tag-schema index. Returns the referrer manifest's digest.
 */
char *ou_attach_bundle(dk_oci_client *c, const char *repo, const char *digest, const char *bundle);

/* A v0.3 message-signature bundle over data, signed with the key at key_path. */
char *ou_key_bundle(const char *key_path, const void *data, size_t len);

/* The manifest bytes at repo@digest (to sign a manifest with ou_key_bundle). */
char *ou_manifest_bytes(dk_oci_client *c, const char *repo, const char *digest, size_t *len);

/* Number of entries in dir (0 for an empty or missing dir). */
int ou_count_entries(const char *dir);

#endif

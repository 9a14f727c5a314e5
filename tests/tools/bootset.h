#ifndef DISKOPS_TEST_BOOTSET_H
#define DISKOPS_TEST_BOOTSET_H

/*
 * What CI pushes, for tests against the real registry: a boot set (kernel, initramfs and
 * rootfs layers under one OCI manifest) and its legacy cosign key signature at the
 * sha256-<hex>.sig tag. Every call fails the test when the registry refuses.
 */

#include <stdint.h>

#include "diskops/oci.h"

/* Pushes a boot set whose bytes are unique to `seq`; *digest (caller frees) is the
 * manifest digest, *size the sum of the layer sizes (either may be NULL). */
void bs_push_boot_set(char **digest, int64_t *size, dk_oci_client *c, const char *repo,
		      const char *tag, int seq);
/* Signs digest with the private key file `key` (dk_sigstore_keygen) and pushes the
 * signature image. */
void bs_push_signature(dk_oci_client *c, const char *repo, const char *digest, const char *key);
/* A client for the registry at host ("127.0.0.1:port"), ignoring the developer's Docker
 * config; caller frees with dk_oci_client_free. */
dk_oci_client *bs_client(const char *host);
/* Whether the registry still serves the manifest: 1 yes, 0 when it answers 404. */
int bs_manifest_present(dk_oci_client *c, const char *repo, const char *digest);

#endif

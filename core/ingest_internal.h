#ifndef DISKOPS_INGEST_INTERNAL_H
#define DISKOPS_INGEST_INTERNAL_H

#include <stdint.h>

#include "diskops/artifact.h"
#include "diskops/config.h"
#include "diskops/model.h"
#include "diskops/oci.h"
#include "diskops/sigstore.h"

/* What the registry side of ingest established about one publication. */
typedef dk_artifact dk_ingest_result;

void dk_ingest_result_clear(dk_ingest_result *r);

/*
 * Fetches, verifies and downloads the artifact of `p` against the trust policy of
 * `plat` (fail closed without one), checking the webhook's sha256/size_bytes. Returns 0
 * when everything verified; 1 with *reason (caller frees) when the artifact is refused
 * (a decision: verification, content or reference trouble); negative when it could not
 * decide (network) and the attempt should be retried.
 */
int dk_ingest_fetch(dk_ingest_result *out, char **reason, const dk_platform *plat,
		    const dk_publication *p, const dk_config *cfg);

/*
 * Where an artifact file's verified-as-they-stream bytes go (pull); NULL in the request:
 * counted, hashed and dropped. `open` is called once per file, in order, before its
 * bytes; the bytes are trustworthy only once the whole check returned 0.
 */
typedef struct {
	int (*open)(void *payload, const dk_artifact_file *f, dk_oci_sink_fn *sink, void **sink_payload);
	void *payload;
} dk_ingest_keep;

/* The one check behind ingest, verify and pull: 0, 1 + *reason, or negative as above. */
int dk_ingest_check(dk_artifact *out, char **reason, const dk_platform *plat, const char *oci_ref,
		    const dk_artifact_expect *expect, const dk_config *cfg, const dk_ingest_keep *keep);

/* ---- signatures (core/ingest_sig.c) ---- */

/* 1 with *reason formatted; DK_ENOMEM when even that failed. */
int dk_ingest_refuse(char **reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Network trouble is negative (retry); anything else the registry said is a refusal. */
int dk_ingest_decide(int rc, char **reason, const char *what);

/* Blobs kept in memory (bundles, signature payloads) are at most this big. */
#define DK_INGEST_SMALL_MAX (1024 * 1024)

/* A small blob (bundle, simplesigning payload) into memory, NUL-terminated. */
int dk_ingest_small_blob(unsigned char **out, size_t *len, dk_oci_client *c, const char *repo,
			 const dk_oci_descriptor *d);

/*
 * Finds and verifies the signature of manifest `m` (digest out->digest): referrer
 * bundles, the legacy .sig image, then for an img the `.cosign-bundle` layer `blob_bundle`
 * (may be NULL) over out->files[0]. Sets out->sig and out->signature_source. Then the
 * `.attestation-bundle` layer `attestation` (may be NULL), whose predicate lands in
 * out->attestation_predicate. 0, 1 + *reason, or negative (retry).
 */
int dk_ingest_signatures(dk_artifact *out, char **reason, dk_oci_client *c, const char *repo,
			 const dk_sigstore_verifier *v, const dk_oci_descriptor *blob_bundle,
			 const dk_oci_descriptor *attestation);

#endif

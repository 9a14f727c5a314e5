#ifndef DISKOPS_INGEST_INTERNAL_H
#define DISKOPS_INGEST_INTERNAL_H

#include <stdint.h>

#include "diskops/config.h"
#include "diskops/model.h"
#include "diskops/sigstore.h"

/* What the registry side of ingest established about one publication. */
typedef struct {
	char *digest;            /* "sha256:<hex>" of the image manifest */
	char *artifact_sha256;   /* hex: the .img layer's, or the manifest's for a boot set */
	int64_t size;            /* sum of the artifact layers */
	dk_sigstore_result *sig; /* the verified signature */
} dk_ingest_result;

void dk_ingest_result_clear(dk_ingest_result *r);

/*
 * Fetches, verifies and downloads the artifact of `p` against the trust policy of
 * `plat`. Returns 0 when everything verified; 1 with *reason (caller frees) when the
 * artifact is refused (a decision: verification, content or reference trouble);
 * negative when it could not decide (network) and the attempt should be retried.
 */
int dk_ingest_fetch(dk_ingest_result *out, char **reason, const dk_platform *plat,
		    const dk_publication *p, const dk_config *cfg);

#endif

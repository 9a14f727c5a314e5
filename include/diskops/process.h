#ifndef DISKOPS_PROCESS_H
#define DISKOPS_PROCESS_H

#include <stdbool.h>

#include "diskops/config.h"
#include "diskops/store.h"

/*
 * The publication processor: the one entry point that takes a publication through
 * ingest, used by the job queue, `diskops publication process` and the worker API.
 * Ingest (DESIGN §4): trust policy, registry fetch, signature (bundle referrers,
 * legacy .sig, .cosign-bundle layer; attestation when present), streamed download, then
 * one publish transaction (core/ingest_oci.c and core/ingest_sig.c do the registry side,
 * the same check `diskops verify` and `diskops pull` run; include/diskops/artifact.h).
 */

typedef struct {
	dk_pub_status status;           /* where the row ended */
	bool idempotent_hit;            /* already published: nothing was done */
	char *error_message;            /* when failed or refused */
	char *platform_id;
	char *git_sha;
} dk_process_result;

/*
 * Returns 0 when the processor reached a decision (published, failed, or a refusal for
 * a retired/purged row), recorded on the row and in *out; negative when it could not
 * decide (store or network trouble) and the attempt should be retried.
 */
int dk_process_publication(dk_store *store, dk_process_result *out, const char *account_id,
			   const char *publication_id, const char *actor);
void dk_process_result_clear(dk_process_result *r);
/* The config whose [registry] settings ingest uses (borrowed, process-wide; NULL: the
 * defaults). Front ends set it once at start-up. */
void dk_process_set_config(const dk_config *cfg);

#endif

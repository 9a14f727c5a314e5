#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diskops/config.h"
#include "diskops/error.h"
#include "diskops/event.h"
#include "diskops/log.h"
#include "diskops/process.h"
#include "diskops/promote.h"
#include "diskops/retention.h"
#include "diskops/store_serve.h"
#include "ingest_internal.h"

/* Borrowed from the front end ([registry] credentials, insecure hosts); NULL: defaults. */
static const dk_config *process_cfg;

void
dk_process_set_config(const dk_config *cfg)
{
	process_cfg = cfg;
}

void
dk_process_result_clear(dk_process_result *r)
{
	free(r->error_message);
	free(r->platform_id);
	free(r->git_sha);
	memset(r, 0, sizeof(*r));
}

/* Row failed, platform failed, one event; the old default keeps serving. */
static int
fail_publication(dk_store *store, const dk_publication *p, const char *message, const char *actor)
{
	json_t *payload;
	int rc;

	if ((rc = dk_store_begin(store)) < 0)
		return rc;
	if ((rc = dk_store_publication_transition(store, p->account_id, p->id, DK_PUB_FAILED,
						  message)) < 0 ||
	    (rc = dk_store_platform_set_status(store, p->account_id, p->node_platform_id, "failed",
					       message)) < 0) {
		dk_store_rollback(store);
		return rc;
	}
	/* §16: attempt_count counts this attempt (start_verifying bumped it). */
	payload = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:i, s:s}", "publication_id", p->id,
			    "platform_id", p->node_platform_id, "platform_name", p->platform_name,
			    "git_sha", p->git_sha, "oci_ref", p->oci_ref, "arch", p->arch,
			    "attempt_count", p->attempt_count + 1, "error", message);
	dk_event_emit(store, p->account_id, "system.disk_image_publish_failed", "error", actor, p->id,
		      payload);
	json_decref(payload);
	return dk_store_commit(store);
}

static int
start_verifying(dk_store *store, const dk_publication *p)
{
	int rc;

	if ((rc = dk_store_begin(store)) < 0)
		return rc;
	if ((rc = dk_store_publication_transition(store, p->account_id, p->id, DK_PUB_VERIFYING,
						  NULL)) < 0 ||
	    (rc = dk_store_platform_set_status(store, p->account_id, p->node_platform_id,
					       "verifying", NULL)) < 0) {
		dk_store_rollback(store);
		return rc;
	}
	return dk_store_commit(store);
}

static void
emit_published(dk_store *store, const dk_publication *p, const dk_ingest_result *r,
	       const char *prior_id, const char *actor)
{
	json_t *payload;

	/*
	 * §16's fields, then ours. A publication is the file object here (the bytes stay in
	 * the registry), so prior_file_object_id names the publication that was the default.
	 */
	payload = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s, s:I, s:s?, s:s?, s:s?, s:O?,"
			    " s:s, s:s?, s:s?, s:s, s:s, s:s?, s:s?, s:I, s:b}",
			    "publication_id", p->id, "platform_id", p->node_platform_id,
			    "platform_name", p->platform_name, "git_sha", p->git_sha,
			    "oci_ref", p->oci_ref, "sha256", r->artifact_sha256,
			    "size_bytes", (json_int_t)r->size, "firmware_ref", p->firmware_ref,
			    "arch", p->arch, "prior_file_object_id", prior_id,
			    "attestation_predicate", r->attestation_predicate,
			    "oci_digest", r->digest, "prior_publication_id", prior_id,
			    "sbom_url", p->sbom_url, "layout", r->layout,
			    "signature_kind", dk_sigstore_kind_name(r->sig->kind),
			    "cosign_identity", r->sig->identity, "cosign_issuer", r->sig->issuer,
			    "tlog_index", (json_int_t)r->sig->log_index, "cosign_verified", 1);
	dk_event_emit(store, p->account_id, "system.disk_image_published", "info", actor, p->id,
		      payload);
	json_decref(payload);
}

/* One transaction: the row, the boot pointer, the previous default and the event. */
static int
publish(dk_store *store, const dk_publication *p, const dk_platform *plat,
	const dk_ingest_result *r, const char *actor)
{
	dk_publication row = *p;
	const char *prior = plat->default_publication_id;
	char *pinned = NULL;
	int rc;

	row.oci_digest = r->digest;
	row.artifact_sha256 = r->artifact_sha256;
	row.size_bytes = r->size;
	row.signature_kind = (char *)dk_sigstore_kind_name(r->sig->kind);
	row.cosign_identity = r->sig->identity;
	row.cosign_issuer = r->sig->issuer;
	row.tlog_index = r->sig->log_index;
	row.cosign_verified = true;
	if (!(pinned = dk_pin_reference(p->oci_ref, r->digest)))
		return dk_error_set(DK_ENOMEM, "pinning %s", p->oci_ref);
	if ((rc = dk_store_begin(store)) < 0)
		goto done;
	if ((rc = dk_store_publication_set_verified(store, &row)) < 0 ||
	    (rc = dk_store_publication_transition(store, p->account_id, p->id, DK_PUB_PUBLISHED,
						  NULL)) < 0 ||
	    (rc = dk_store_platform_set_default(store, p->account_id, p->node_platform_id, p->id,
						pinned)) < 0 ||
	    (prior && strcmp(prior, p->id) != 0 &&
	     (rc = dk_store_publication_transition(store, p->account_id, prior, DK_PUB_RETIRED,
						   NULL)) < 0)) {
		dk_store_rollback(store);
		goto done;
	}
	emit_published(store, p, r, prior, actor);
	rc = dk_store_commit(store);
done:
	free(pinned);
	return rc;
}

/* After a publish: retention for this platform; its failures never undo the publish. */
static void
sweep(dk_store *store, const dk_publication *p, const dk_config *cfg, const char *actor)
{
	dk_retention_options o = { 0 };
	dk_retention_report rep = { 0 };

	o.platform = p->node_platform_id;
	o.actor = actor;
	o.actor_kind = DK_ACTOR_AGENT;
	o.delete_manifest = dk_retention_registry_delete;
	o.payload = (void *)cfg;
	if (dk_retention_sweep(store, &rep, p->account_id, &o) < 0)
		dk_log_warn("msg=\"retention after publish failed\" platform=%s error=\"%s\"",
			    p->platform_name, dk_error_last()->message);
	dk_retention_report_clear(&rep);
}

static int
decided_failure(dk_store *store, dk_process_result *out, const dk_publication *p,
		const char *message, const char *actor)
{
	int rc;

	if ((rc = fail_publication(store, p, message, actor)) < 0)
		return rc;
	out->status = DK_PUB_FAILED;
	out->error_message = strdup(message);
	dk_log_warn("msg=\"ingest failed\" publication=%s error=\"%s\"", p->id, message);
	return 0;
}

static int
ingest(dk_store *store, dk_process_result *out, const dk_publication *p, const char *actor)
{
	dk_platform *plat = NULL;
	dk_config *defaults = NULL;
	const dk_config *cfg = process_cfg;
	dk_ingest_result r = { 0 };
	char *reason = NULL;
	int rc;

	if ((rc = dk_store_platform_find(store, &plat, p->account_id, p->node_platform_id)) < 0)
		goto done;
	if (!cfg) {
		if ((rc = dk_config_defaults(&defaults)) < 0)
			goto done;
		cfg = defaults;
	}
	rc = dk_ingest_fetch(&r, &reason, plat, p, cfg);
	if (rc == 1) {
		rc = decided_failure(store, out, p, reason, actor);
		goto done;
	}
	if (rc < 0) {
		dk_log_warn("msg=\"ingest will be retried\" publication=%s error=\"%s\"", p->id,
			    dk_error_last()->message);
		goto done;
	}
	if ((rc = publish(store, p, plat, &r, actor)) < 0)
		goto done;
	out->status = DK_PUB_PUBLISHED;
	dk_log_info("msg=\"published\" publication=%s platform=%s digest=%s", p->id,
		    p->platform_name, r.digest);
	sweep(store, p, cfg, actor);
done:
	dk_ingest_result_clear(&r);
	free(reason);
	dk_platform_free(plat);
	dk_config_free(defaults);
	return rc;
}

int
dk_process_publication(dk_store *store, dk_process_result *out, const char *account_id,
		       const char *publication_id, const char *actor)
{
	dk_publication *p = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = dk_store_publication_get(store, &p, account_id, publication_id)) < 0)
		return rc;
	out->platform_id = strdup(p->node_platform_id);
	out->git_sha = strdup(p->git_sha);
	out->status = p->status;
	switch (p->status) {
	case DK_PUB_PUBLISHED:
		out->idempotent_hit = true;
		goto done;
	case DK_PUB_RETIRED:
	case DK_PUB_PURGED:
		/* A strict no-op: a retired build is never re-ingested behind the operator's back. */
		out->error_message = strdup(p->status == DK_PUB_RETIRED ? "publication is retired; not "
					    "processed" : "publication is purged; not processed");
		goto done;
	default:
		break;
	}
	if ((rc = start_verifying(store, p)) < 0)
		goto done;
	dk_log_info("msg=\"ingest started\" publication=%s platform=%s git_sha=%s", p->id,
		    p->platform_name, p->git_sha);
	if ((rc = ingest(store, out, p, actor)) < 0)
		goto done;
done:
	dk_publication_free(p);
	if (rc < 0)
		dk_process_result_clear(out);
	return rc;
}

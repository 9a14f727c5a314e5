#include <stdlib.h>
#include <string.h>

#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/store_serve.h"
#include "store_internal.h"

int
dk_store_publication_owner(dk_store *store, char **out, const char *id)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	if ((rc = dk_store__prepare(store, &st, "SELECT account_id FROM disk_image_publication"
				    " WHERE id = ?")) < 0)
		return rc;
	dk_store__bind_text(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = dk_store__text(st, 0);
		rc = *out ? 0 : dk_error_set(DK_ENOMEM, "out of memory");
	} else if (rc == SQLITE_DONE) {
		rc = dk_error_set(DK_ENOTFOUND, "publication %s not found", id);
	} else {
		rc = dk_store__fail(store, rc, "reading publications");
	}
	dk_store__finish(store, st);
	return rc;
}

int
dk_store_publication_refresh(dk_store *store, const dk_publication *r)
{
	sqlite3_stmt *st = NULL;
	int rc;

	/* A published row's artifact is what was verified: it is never rewritten here. */
	if ((rc = dk_store__prepare(store, &st, "UPDATE disk_image_publication SET"
				    " oci_ref = ?, artifact_sha256 = ?, size_bytes = ?, arch = ?,"
				    " firmware_ref = ?, sbom_url = ?, payload = coalesce(?, '{}'),"
				    " webhook_id = ?, updated_at = ?"
				    " WHERE account_id = ? AND id = ? AND status NOT IN"
				    " ('published', 'retired', 'purged')")) < 0)
		return rc;
	dk_store__bind_text(st, 1, r->oci_ref);
	dk_store__bind_text(st, 2, r->artifact_sha256);
	dk_store__bind_time(st, 3, r->size_bytes);
	dk_store__bind_text(st, 4, r->arch);
	dk_store__bind_text(st, 5, r->firmware_ref);
	dk_store__bind_text(st, 6, r->sbom_url);
	dk_store__bind_text(st, 7, r->payload);
	dk_store__bind_text(st, 8, r->webhook_id);
	sqlite3_bind_int64(st, 9, dk_clock_now());
	dk_store__bind_text(st, 10, r->account_id);
	dk_store__bind_text(st, 11, r->id);
	rc = sqlite3_step(st);
	dk_store__finish(store, st);
	if (rc != SQLITE_DONE)
		return dk_store__fail(store, rc, "refreshing the publication");
	if (sqlite3_changes(store->db) == 0)
		return dk_error_set(DK_ESTATE, "publication %s is published, retired or purged: "
				    "its artifact cannot change", r->id);
	return 0;
}

int
dk_store_publication_counts(dk_store *store, int64_t out[DK_PUB__COUNT])
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(out, 0, sizeof(int64_t) * DK_PUB__COUNT);
	if ((rc = dk_store__prepare(store, &st, "SELECT status, count(*) FROM"
				    " disk_image_publication GROUP BY status")) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		dk_pub_status s;
		const char *name = (const char *)sqlite3_column_text(st, 0);

		if (name && dk_pub_status_parse(&s, name) == 0)
			out[s] = sqlite3_column_int64(st, 1);
	}
	dk_store__finish(store, st);
	dk_error_clear();
	return rc == SQLITE_DONE ? 0 : dk_store__fail(store, rc, "counting publications");
}

int
dk_store_platform_set_status(dk_store *store, const char *account_id, const char *platform_id,
			     const char *status, const char *error)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = dk_store__prepare(store, &st, "UPDATE node_platform SET"
				    " disk_image_publication_status = ?, disk_image_publication_error = ?,"
				    " updated_at = ? WHERE account_id = ? AND id = ?")) < 0)
		return rc;
	dk_store__bind_text(st, 1, status);
	dk_store__bind_text(st, 2, error);
	sqlite3_bind_int64(st, 3, dk_clock_now());
	dk_store__bind_text(st, 4, account_id);
	dk_store__bind_text(st, 5, platform_id);
	rc = sqlite3_step(st);
	dk_store__finish(store, st);
	if (rc != SQLITE_DONE)
		return dk_store__fail(store, rc, "changing the platform status");
	if (sqlite3_changes(store->db) == 0)
		return dk_error_set(DK_ENOTFOUND, "platform %s not found", platform_id);
	return 0;
}

int
dk_store_publication_set_verified(dk_store *store, const dk_publication *r)
{
	sqlite3_stmt *st = NULL;
	int rc;

	/* Only a row under verification: a published artifact is never rewritten. */
	if ((rc = dk_store__prepare(store, &st, "UPDATE disk_image_publication SET"
				    " oci_digest = ?, artifact_sha256 = ?, size_bytes = ?,"
				    " signature_kind = ?, cosign_identity = ?, cosign_issuer = ?,"
				    " tlog_index = ?, cosign_verified = ?, updated_at = ?"
				    " WHERE account_id = ? AND id = ? AND status = 'verifying'")) < 0)
		return rc;
	dk_store__bind_text(st, 1, r->oci_digest);
	dk_store__bind_text(st, 2, r->artifact_sha256);
	dk_store__bind_time(st, 3, r->size_bytes);
	dk_store__bind_text(st, 4, r->signature_kind ? r->signature_kind : "none");
	dk_store__bind_text(st, 5, r->cosign_identity);
	dk_store__bind_text(st, 6, r->cosign_issuer);
	if (r->tlog_index >= 0)
		sqlite3_bind_int64(st, 7, r->tlog_index);
	else
		sqlite3_bind_null(st, 7);
	sqlite3_bind_int(st, 8, r->cosign_verified ? 1 : 0);
	sqlite3_bind_int64(st, 9, dk_clock_now());
	dk_store__bind_text(st, 10, r->account_id);
	dk_store__bind_text(st, 11, r->id);
	rc = sqlite3_step(st);
	dk_store__finish(store, st);
	if (rc != SQLITE_DONE)
		return dk_store__fail(store, rc, "recording the verified artifact");
	if (sqlite3_changes(store->db) == 0)
		return dk_error_set(DK_ESTATE, "publication %s is not verifying: its artifact "
				    "cannot be recorded", r->id);
	return 0;
}

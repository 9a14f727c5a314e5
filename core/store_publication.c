#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/uuid.h"
#include "store_internal.h"

#define PUB_COLUMNS \
	"p.id, p.account_id, p.node_platform_id, np.name, p.git_sha, p.oci_ref, p.oci_digest," \
	" p.artifact_sha256, p.size_bytes, p.arch, p.firmware_ref, p.sbom_url, p.status," \
	" (np.default_publication_id IS NOT NULL AND np.default_publication_id = p.id)," \
	" p.cosign_verified, p.cosign_identity, p.cosign_issuer, p.signature_kind, p.tlog_index," \
	" p.error_message, p.attempt_count, p.payload, p.webhook_id, p.built_at, p.verified_at," \
	" p.published_at, p.retired_at, p.purged_at, p.created_at, p.updated_at" \
	" FROM disk_image_publication p JOIN node_platform np ON np.id = p.node_platform_id"

static void
read_publication(sqlite3_stmt *st, void *row)
{
	dk_publication *p = row;

	const char *status = (const char *)sqlite3_column_text(st, 12);
	dk_pub_status s = DK_PUB_QUEUED;

	p->id = dk_store__text(st, 0);
	p->account_id = dk_store__text(st, 1);
	p->node_platform_id = dk_store__text(st, 2);
	p->platform_name = dk_store__text(st, 3);
	p->git_sha = dk_store__text(st, 4);
	p->oci_ref = dk_store__text(st, 5);
	p->oci_digest = dk_store__text(st, 6);
	p->artifact_sha256 = dk_store__text(st, 7);
	p->size_bytes = sqlite3_column_int64(st, 8);
	p->arch = dk_store__text(st, 9);
	p->firmware_ref = dk_store__text(st, 10);
	p->sbom_url = dk_store__text(st, 11);
	/* The CHECK constraint keeps status to known names. */
	if (status)
		dk_pub_status_parse(&s, status);
	p->status = s;
	p->is_default = sqlite3_column_int(st, 13) != 0;
	p->cosign_verified = sqlite3_column_int(st, 14) != 0;
	p->cosign_identity = dk_store__text(st, 15);
	p->cosign_issuer = dk_store__text(st, 16);
	p->signature_kind = dk_store__text(st, 17);
	p->tlog_index = sqlite3_column_type(st, 18) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 18);
	p->error_message = dk_store__text(st, 19);
	p->attempt_count = sqlite3_column_int(st, 20);
	p->payload = dk_store__text(st, 21);
	p->webhook_id = dk_store__text(st, 22);
	p->built_at = sqlite3_column_int64(st, 23);
	p->verified_at = sqlite3_column_int64(st, 24);
	p->published_at = sqlite3_column_int64(st, 25);
	p->retired_at = sqlite3_column_int64(st, 26);
	p->purged_at = sqlite3_column_int64(st, 27);
	p->created_at = sqlite3_column_int64(st, 28);
	p->updated_at = sqlite3_column_int64(st, 29);
}

static int
get_one(dk_store *store, dk_publication **out, sqlite3_stmt *st, const char *what)
{
	dk_publication *p;
	int rc = sqlite3_step(st);

	*out = NULL;
	if (rc == SQLITE_DONE)
		return dk_error_set(DK_ENOTFOUND, "publication %s not found", what);
	if (rc != SQLITE_ROW)
		return dk_store__fail(store, rc, "reading publications");
	if (!(p = calloc(1, sizeof(*p))))
		return dk_error_set(DK_ENOMEM, "out of memory");
	read_publication(st, p);
	*out = p;
	return 0;
}

static void
free_publication(void *row)
{
	dk_publication_free(row);
}

static const dk_store__lookup publication_lookup = {
	.what = "publication", .reading = "reading publications", .select = PUB_COLUMNS,
	.account_column = "p.account_id", .id_column = "p.id",
	.size = sizeof(dk_publication), .read = read_publication, .free_row = free_publication,
};

int
dk_store_publication_get(dk_store *store, dk_publication **out, const char *account_id,
			 const char *id)
{
	return dk_store__find_one(store, (void **)out, &publication_lookup, account_id, id);
}

int
dk_store_publication_find_sha(dk_store *store, dk_publication **out, const char *account_id,
			      const char *platform_id, const char *git_sha)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	if ((rc = dk_store__prepare(store, &st, "SELECT " PUB_COLUMNS
				    " WHERE p.account_id = ? AND p.node_platform_id = ?"
				    " AND p.git_sha = ?")) < 0)
		return rc;
	dk_store__bind_text(st, 1, account_id);
	dk_store__bind_text(st, 2, platform_id);
	dk_store__bind_text(st, 3, git_sha);
	rc = get_one(store, out, st, git_sha);
	dk_store__finish(store, st);
	return rc;
}

int
dk_store_publication_insert(dk_store *store, dk_publication **out, const dk_publication *r)
{
	char id[DK_UUID_LEN + 1];
	sqlite3_stmt *st = NULL;
	int64_t now = dk_clock_now();
	int rc;

	if (out)
		*out = NULL;
	/* Scoping: the platform must belong to the row's account (no FK can say that). */
	if ((rc = dk_store__prepare(store, &st, "SELECT 1 FROM node_platform"
				    " WHERE account_id = ? AND id = ?")) < 0)
		return rc;
	dk_store__bind_text(st, 1, r->account_id);
	dk_store__bind_text(st, 2, r->node_platform_id);
	rc = sqlite3_step(st);
	dk_store__finish(store, st);
	st = NULL;
	if (rc == SQLITE_DONE)
		return dk_error_set(DK_ENOTFOUND, "platform \"%s\" not found",
				    r->node_platform_id ? r->node_platform_id : "(none)");
	if (rc != SQLITE_ROW)
		return dk_store__fail(store, rc, "reading platforms");
	if (r->id)
		snprintf(id, sizeof(id), "%s", r->id);
	else
		dk_uuid_v4(id);
	rc = dk_store__prepare(store, &st,
		"INSERT INTO disk_image_publication (id, account_id, node_platform_id, git_sha,"
		" oci_ref, oci_digest, artifact_sha256, size_bytes, arch, firmware_ref, sbom_url,"
		" status, cosign_verified, cosign_identity, cosign_issuer, signature_kind, tlog_index,"
		" error_message, attempt_count, payload, webhook_id, built_at, verified_at,"
		" published_at, retired_at, purged_at, created_at, updated_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
		" coalesce(?16, 'none'), ?17, ?18, ?19, coalesce(?20, '{}'), ?21, ?22, ?23, ?24,"
		" ?25, ?26, coalesce(?27, ?28), ?28)");
	if (rc < 0)
		return rc;
	dk_store__bind_text(st, 1, id);
	dk_store__bind_text(st, 2, r->account_id);
	dk_store__bind_text(st, 3, r->node_platform_id);
	dk_store__bind_text(st, 4, r->git_sha);
	dk_store__bind_text(st, 5, r->oci_ref);
	dk_store__bind_text(st, 6, r->oci_digest);
	dk_store__bind_text(st, 7, r->artifact_sha256);
	dk_store__bind_time(st, 8, r->size_bytes);
	dk_store__bind_text(st, 9, r->arch);
	dk_store__bind_text(st, 10, r->firmware_ref);
	dk_store__bind_text(st, 11, r->sbom_url);
	dk_store__bind_text(st, 12, dk_pub_status_name(r->status));
	sqlite3_bind_int(st, 13, r->cosign_verified ? 1 : 0);
	dk_store__bind_text(st, 14, r->cosign_identity);
	dk_store__bind_text(st, 15, r->cosign_issuer);
	dk_store__bind_text(st, 16, r->signature_kind);
	/* A log index only means something on a verified row; zeroed rows carry none. */
	if (r->cosign_verified && r->tlog_index >= 0)
		sqlite3_bind_int64(st, 17, r->tlog_index);
	dk_store__bind_text(st, 18, r->error_message);
	sqlite3_bind_int(st, 19, r->attempt_count);
	dk_store__bind_text(st, 20, r->payload);
	dk_store__bind_text(st, 21, r->webhook_id);
	dk_store__bind_time(st, 22, r->built_at);
	dk_store__bind_time(st, 23, r->verified_at);
	dk_store__bind_time(st, 24, r->published_at);
	dk_store__bind_time(st, 25, r->retired_at);
	dk_store__bind_time(st, 26, r->purged_at);
	dk_store__bind_time(st, 27, r->created_at);
	sqlite3_bind_int64(st, 28, now);
	rc = sqlite3_step(st);
	dk_store__finish(store, st);
	if (rc != SQLITE_DONE) {
		rc = dk_store__fail(store, rc, "recording the publication");
		if (rc == DK_ECONFLICT)
			dk_error_set(DK_ECONFLICT, "git sha %s: already published for this platform",
				     r->git_sha);
		return rc;
	}
	return out ? dk_store_publication_get(store, out, r->account_id, id) : 0;
}

int
dk_store_publication_latest(dk_store *store, dk_publication **out, const char *account_id,
			    const char *platform_id, dk_pub_status status, const char *exclude_id)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	if ((rc = dk_store__prepare(store, &st, "SELECT " PUB_COLUMNS
				    " WHERE p.account_id = ? AND p.node_platform_id = ? AND p.status = ?"
				    " AND p.cosign_verified = 1 AND p.id != coalesce(?, '')"
				    " ORDER BY p.created_at DESC, p.rowid DESC LIMIT 1")) < 0)
		return rc;
	dk_store__bind_text(st, 1, account_id);
	dk_store__bind_text(st, 2, platform_id);
	dk_store__bind_text(st, 3, dk_pub_status_name(status));
	dk_store__bind_text(st, 4, exclude_id);
	rc = get_one(store, out, st, dk_pub_status_name(status));
	dk_store__finish(store, st);
	return rc;
}

int
dk_store_publication_list(dk_store *store, dk_publication_list **out,
			  const dk_publication_filter *f)
{
	sqlite3_stmt *st = NULL;
	dk_publication_list *l;
	int rc;

	*out = NULL;
	if (!(l = calloc(1, sizeof(*l))))
		return dk_error_set(DK_ENOMEM, "out of memory");
	rc = dk_store__prepare(store, &st, "SELECT " PUB_COLUMNS
			       " WHERE p.account_id = ?1"
			       " AND (?2 IS NULL OR p.node_platform_id = ?2)"
			       " AND (?3 IS NULL OR p.status = ?3)"
			       " AND (?5 = 0 OR p.created_at < ?5)"
			       " AND (?6 = 0 OR p.retired_at < ?6)"
			       " ORDER BY CASE WHEN ?7 THEN p.published_at ELSE p.created_at END DESC,"
			       " p.rowid DESC LIMIT ?4");
	if (rc < 0)
		goto fail;
	dk_store__bind_text(st, 1, f->account_id);
	dk_store__bind_text(st, 2, f->platform_id);
	dk_store__bind_text(st, 3, f->status >= 0 ? dk_pub_status_name((dk_pub_status)f->status) : NULL);
	sqlite3_bind_int(st, 4, f->limit > 0 ? f->limit : 50);
	sqlite3_bind_int64(st, 5, f->created_before);
	sqlite3_bind_int64(st, 6, f->retired_before);
	sqlite3_bind_int(st, 7, f->by_published_at ? 1 : 0);
	rc = dk_store__collect(store, st, (void **)&l->items, &l->count, sizeof(*l->items),
			       read_publication, "listing publications");
	st = NULL;
	if (rc < 0)
		goto fail;
	*out = l;
	return 0;
fail:
	dk_store__finish(store, st);
	dk_publication_list_free(l);
	return rc;
}

/* Which time column a move into `to` stamps, and what else it does, in SQL. */
static const char *
transition_sql(dk_pub_status from, dk_pub_status to)
{
	switch (to) {
	case DK_PUB_VERIFYING:
		return "UPDATE disk_image_publication SET status = 'verifying',"
		       " attempt_count = attempt_count + 1, error_message = NULL, updated_at = ?1"
		       " WHERE account_id = ?2 AND id = ?3 AND status = ?4";
	case DK_PUB_PUBLISHED:
		if (from == DK_PUB_RETIRED)
			return "UPDATE disk_image_publication SET status = 'published',"
			       " published_at = ?1, retired_at = NULL, updated_at = ?1"
			       " WHERE account_id = ?2 AND id = ?3 AND status = ?4";
		return "UPDATE disk_image_publication SET status = 'published', published_at = ?1,"
		       " verified_at = coalesce(verified_at, ?1), error_message = NULL, updated_at = ?1"
		       " WHERE account_id = ?2 AND id = ?3 AND status = ?4";
	case DK_PUB_FAILED:
		return "UPDATE disk_image_publication SET status = 'failed', error_message = ?5,"
		       " updated_at = ?1 WHERE account_id = ?2 AND id = ?3 AND status = ?4";
	case DK_PUB_RETIRED:
		return "UPDATE disk_image_publication SET status = 'retired', retired_at = ?1,"
		       " updated_at = ?1 WHERE account_id = ?2 AND id = ?3 AND status = ?4";
	case DK_PUB_PURGED:
		return "UPDATE disk_image_publication SET status = 'purged', purged_at = ?1,"
		       " updated_at = ?1 WHERE account_id = ?2 AND id = ?3 AND status = ?4";
	case DK_PUB_AWAITING_UPLOAD:
		return "UPDATE disk_image_publication SET status = 'awaiting_upload', updated_at = ?1"
		       " WHERE account_id = ?2 AND id = ?3 AND status = ?4";
	default:
		return NULL;
	}
}

int
dk_store_publication_transition(dk_store *store, const char *account_id, const char *id,
				dk_pub_status to, const char *error_message)
{
	dk_publication *cur = NULL;
	sqlite3_stmt *st = NULL;
	const char *sql;
	int rc;

	if ((rc = dk_store_begin(store)) < 0)
		return rc;
	if ((rc = dk_store_publication_get(store, &cur, account_id, id)) < 0)
		goto fail;
	if (!dk_pub_transition_allowed(cur->status, to) || !(sql = transition_sql(cur->status, to))) {
		rc = dk_error_set(DK_ESTATE, "publication %s cannot go from %s to %s", id,
				  dk_pub_status_name(cur->status), dk_pub_status_name(to));
		goto fail;
	}
	if (to == DK_PUB_FAILED && (!error_message || !*error_message)) {
		rc = dk_error_set(DK_EINVALID, "a failed publication needs an error message");
		goto fail;
	}
	if ((rc = dk_store__prepare(store, &st, sql)) < 0)
		goto fail;
	sqlite3_bind_int64(st, 1, dk_clock_now());
	dk_store__bind_text(st, 2, account_id);
	dk_store__bind_text(st, 3, id);
	dk_store__bind_text(st, 4, dk_pub_status_name(cur->status));
	if (to == DK_PUB_FAILED)
		dk_store__bind_text(st, 5, error_message);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		rc = dk_store__fail(store, rc, "changing the publication status");
		if (rc == DK_ESTATE)
			dk_error_set(DK_ESTATE, "publication %s cannot go from %s to %s: it is the "
				     "platform's default (move the default first)", id,
				     dk_pub_status_name(cur->status), dk_pub_status_name(to));
		goto fail;
	}
	dk_store__finish(store, st);
	dk_publication_free(cur);
	return dk_store_commit(store);
fail:
	dk_store__finish(store, st);
	dk_publication_free(cur);
	dk_store_rollback(store);
	return rc;
}

int
dk_store_digest_in_use(dk_store *store, bool *out, const char *digest, const char *exclude_id)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = false;
	if ((rc = dk_store__prepare(store, &st, "SELECT EXISTS (SELECT 1 FROM disk_image_publication"
				    " WHERE oci_digest = ?1 AND id != ?2 AND status IN ('published', 'retired'))"
				    " OR EXISTS (SELECT 1 FROM node_platform np JOIN disk_image_publication d"
				    " ON d.id = np.default_publication_id WHERE d.oci_digest = ?1)")) < 0)
		return rc;
	dk_store__bind_text(st, 1, digest);
	dk_store__bind_text(st, 2, exclude_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0) != 0;
	rc = rc == SQLITE_ROW ? 0 : dk_store__fail(store, rc, "checking a digest");
	dk_store__finish(store, st);
	return rc;
}

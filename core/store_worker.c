#include <stdlib.h>
#include <string.h>

#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/store_serve.h"
#include "diskops/uuid.h"
#include "store_internal.h"

#define WORKER_COLUMNS \
	"id, account_id, name, role, status, last_seen_at, created_at, updated_at, terminated_at" \
	" FROM ci_worker"

static void
read_worker(sqlite3_stmt *st, void *row)
{
	dk_worker *w = row;

	w->id = dk_store__text(st, 0);
	w->account_id = dk_store__text(st, 1);
	w->name = dk_store__text(st, 2);
	w->role = dk_store__text(st, 3);
	w->status = dk_store__text(st, 4);
	w->last_seen_at = sqlite3_column_int64(st, 5);
	w->created_at = sqlite3_column_int64(st, 6);
	w->updated_at = sqlite3_column_int64(st, 7);
	w->terminated_at = sqlite3_column_int64(st, 8);
}

static int
get_one(dk_store *store, dk_worker **out, sqlite3_stmt *st, const char *what)
{
	dk_worker *w;
	int rc = sqlite3_step(st);

	*out = NULL;
	if (rc == SQLITE_DONE)
		return dk_error_set(DK_ENOTFOUND, "worker %s not found", what);
	if (rc != SQLITE_ROW)
		return dk_store__fail(store, rc, "reading workers");
	if (!(w = calloc(1, sizeof(*w))))
		return dk_error_set(DK_ENOMEM, "out of memory");
	read_worker(st, w);
	*out = w;
	return 0;
}

int
dk_store_worker_create(dk_store *store, dk_worker **out, const char *account_id,
		       const char *name, const char *digest)
{
	char id[DK_UUID_LEN + 1];
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	dk_uuid_v4(id);
	if ((rc = dk_store__prepare(store, &st, "INSERT INTO ci_worker (id, account_id, name,"
				    " token_digest, created_at, updated_at) VALUES (?, ?, ?, ?, ?5, ?5)")) < 0)
		return rc;
	dk_store__bind_text(st, 1, id);
	dk_store__bind_text(st, 2, account_id);
	dk_store__bind_text(st, 3, name);
	dk_store__bind_text(st, 4, digest);
	sqlite3_bind_int64(st, 5, dk_clock_now());
	rc = sqlite3_step(st);
	dk_store__finish(store, st);
	if (rc != SQLITE_DONE) {
		rc = dk_store__fail(store, rc, "creating the worker");
		if (rc == DK_ECONFLICT)
			dk_error_set(DK_ECONFLICT, "name \"%s\" has already been taken", name);
		return rc;
	}
	return dk_store_worker_find(store, out, account_id, id);
}

static void
free_worker(void *row)
{
	dk_worker_free(row);
}

/* A revoked worker's name is free for a new one, so it no longer finds the old row. */
static const dk_store__lookup worker_lookup = {
	.what = "worker", .reading = "reading workers", .select = WORKER_COLUMNS,
	.account_column = "account_id", .id_column = "id",
	.name_match = "name = ?2 COLLATE NOCASE AND status != 'revoked'",
	.size = sizeof(dk_worker), .read = read_worker, .free_row = free_worker,
};

int
dk_store_worker_find(dk_store *store, dk_worker **out, const char *account_id,
		     const char *id_or_name)
{
	return dk_store__find_one(store, (void **)out, &worker_lookup, account_id, id_or_name);
}

int
dk_store_worker_list(dk_store *store, dk_worker_list **out, const char *account_id)
{
	sqlite3_stmt *st = NULL;
	dk_worker_list *l;
	int rc;

	*out = NULL;
	if (!(l = calloc(1, sizeof(*l))))
		return dk_error_set(DK_ENOMEM, "out of memory");
	if ((rc = dk_store__prepare(store, &st, "SELECT " WORKER_COLUMNS " WHERE account_id = ?"
				    " ORDER BY created_at DESC, rowid DESC")) < 0)
		goto fail;
	dk_store__bind_text(st, 1, account_id);
	rc = dk_store__collect(store, st, (void **)&l->items, &l->count, sizeof(*l->items),
			       read_worker, "listing workers");
	st = NULL;
	if (rc < 0)
		goto fail;
	*out = l;
	return 0;
fail:
	dk_store__finish(store, st);
	dk_worker_list_free(l);
	return rc;
}

static int
update_one(dk_store *store, sqlite3_stmt *st, const char *id)
{
	int rc = sqlite3_step(st);

	dk_store__finish(store, st);
	if (rc != SQLITE_DONE)
		return dk_store__fail(store, rc, "changing the worker");
	if (sqlite3_changes(store->db) == 0)
		return dk_error_set(DK_ENOTFOUND, "worker %s not found", id);
	return 0;
}

int
dk_store_worker_set_digest(dk_store *store, const char *account_id, const char *id,
			   const char *digest)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = dk_store__prepare(store, &st, "UPDATE ci_worker SET token_digest = ?,"
				    " updated_at = ? WHERE account_id = ? AND id = ?")) < 0)
		return rc;
	dk_store__bind_text(st, 1, digest);
	sqlite3_bind_int64(st, 2, dk_clock_now());
	dk_store__bind_text(st, 3, account_id);
	dk_store__bind_text(st, 4, id);
	return update_one(store, st, id);
}

int
dk_store_worker_set_status(dk_store *store, const char *account_id, const char *id,
			   const char *status)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = dk_store__prepare(store, &st, "UPDATE ci_worker SET status = ?,"
				    " updated_at = ? WHERE account_id = ? AND id = ?")) < 0)
		return rc;
	dk_store__bind_text(st, 1, status);
	sqlite3_bind_int64(st, 2, dk_clock_now());
	dk_store__bind_text(st, 3, account_id);
	dk_store__bind_text(st, 4, id);
	return update_one(store, st, id);
}

int
dk_store_worker_terminate(dk_store *store, const char *account_id, const char *id, int64_t now,
			  int *released)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*released = 0;
	if ((rc = dk_store_begin(store)) < 0)
		return rc;
	if ((rc = dk_store__prepare(store, &st, "UPDATE ci_worker SET status = 'revoked',"
				    " terminated_at = ?1, updated_at = ?1 WHERE account_id = ?2"
				    " AND id = ?3 AND terminated_at IS NULL")) < 0)
		goto fail;
	sqlite3_bind_int64(st, 1, now);
	dk_store__bind_text(st, 2, account_id);
	dk_store__bind_text(st, 3, id);
	rc = sqlite3_step(st);
	dk_store__finish(store, st);
	if (rc != SQLITE_DONE) {
		rc = dk_store__fail(store, rc, "terminating the worker");
		goto fail;
	}
	if (sqlite3_changes(store->db) == 0) {
		rc = dk_error_set(DK_ESTATE, "worker %s is terminated already", id);
		goto fail;
	}
	/* What it held goes back to the queue now rather than when the lease runs out. */
	if ((rc = dk_store__prepare(store, &st, "UPDATE job SET state = 'ready', lease_until = NULL,"
				    " leased_by = NULL, run_after = ?1, updated_at = ?1,"
				    " last_error = 'lease released: worker terminated'"
				    " WHERE state = 'leased' AND leased_by = ?2")) < 0)
		goto fail;
	sqlite3_bind_int64(st, 1, now);
	dk_store__bind_text(st, 2, id);
	rc = sqlite3_step(st);
	dk_store__finish(store, st);
	if (rc != SQLITE_DONE) {
		rc = dk_store__fail(store, rc, "releasing the worker's jobs");
		goto fail;
	}
	*released = sqlite3_changes(store->db);
	return dk_store_commit(store);
fail:
	dk_store_rollback(store);
	return rc;
}

int
dk_store_worker_authenticate(dk_store *store, dk_worker **out, const char *digest, int64_t now)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	if ((rc = dk_store__prepare(store, &st, "SELECT " WORKER_COLUMNS
				    " WHERE token_digest = ? AND status = 'active'")) < 0)
		return rc;
	dk_store__bind_text(st, 1, digest);
	rc = get_one(store, out, st, "with this token");
	dk_store__finish(store, st);
	if (rc < 0)
		return rc;
	if ((rc = dk_store__prepare(store, &st, "UPDATE ci_worker SET last_seen_at = ?"
				    " WHERE id = ?")) < 0)
		goto fail;
	sqlite3_bind_int64(st, 1, now);
	dk_store__bind_text(st, 2, (*out)->id);
	if ((rc = update_one(store, st, (*out)->id)) < 0)
		goto fail;
	(*out)->last_seen_at = now;
	return 0;
fail:
	dk_worker_free(*out);
	*out = NULL;
	return rc;
}

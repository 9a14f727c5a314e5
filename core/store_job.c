#include <stdlib.h>
#include <string.h>

#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/store_serve.h"
#include "store_internal.h"

#define JOB_COLUMNS \
	"id, kind, subject_id, account_id, state, attempts, run_after, lease_until, leased_by," \
	" last_error, created_at, updated_at FROM job"

static const char *const state_names[DK_JOB__STATES] = { "ready", "leased", "done", "dead" };

static void
read_job(sqlite3_stmt *st, void *row)
{
	dk_job *j = row;

	j->id = sqlite3_column_int64(st, 0);
	j->kind = dk_store__text(st, 1);
	j->subject_id = dk_store__text(st, 2);
	j->account_id = dk_store__text(st, 3);
	j->state = dk_store__text(st, 4);
	j->attempts = sqlite3_column_int(st, 5);
	j->run_after = sqlite3_column_int64(st, 6);
	j->lease_until = sqlite3_column_int64(st, 7);
	j->leased_by = dk_store__text(st, 8);
	j->last_error = dk_store__text(st, 9);
	j->created_at = sqlite3_column_int64(st, 10);
	j->updated_at = sqlite3_column_int64(st, 11);
}

int
dk_store_job_enqueue(dk_store *store, int64_t *out_id, const char *kind, const char *subject_id,
		     const char *account_id, int64_t run_after)
{
	sqlite3_stmt *st = NULL;
	int rc;

	/* The partial unique index keeps one live job per subject; a second delivery for
	 * the same publication joins the job already waiting. An ingest job carries its
	 * publication's rowid, the index's order (migration 7 says why). RETURNING costs
	 * SQLite an extra table per statement: only when the caller wants the id. */
#define ENQUEUE "INSERT INTO job (kind, subject_id, account_id, run_after, created_at," \
		" updated_at, subject_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?5, (SELECT rowid FROM" \
		" disk_image_publication WHERE ?1 = 'ingest' AND id = ?2))" \
		" ON CONFLICT (kind, ifnull(subject_seq, 0), subject_id)" \
		" WHERE state IN ('ready', 'leased') DO UPDATE SET run_after =" \
		" min(run_after, excluded.run_after), updated_at = excluded.updated_at"
	if ((rc = dk_store__prepare(store, &st, out_id ? ENQUEUE " RETURNING id" : ENQUEUE)) < 0)
		return rc;
#undef ENQUEUE
	dk_store__bind_text(st, 1, kind);
	dk_store__bind_text(st, 2, subject_id);
	dk_store__bind_text(st, 3, account_id);
	sqlite3_bind_int64(st, 4, run_after);
	sqlite3_bind_int64(st, 5, dk_clock_now());
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && out_id)
		*out_id = sqlite3_column_int64(st, 0);
	if (rc == SQLITE_ROW)
		rc = sqlite3_step(st);
	dk_store__finish(store, st);
	if (rc != SQLITE_DONE)
		return dk_store__fail(store, rc, "queueing the job");
	return 0;
}

int
dk_store_job_get(dk_store *store, dk_job **out, int64_t id)
{
	sqlite3_stmt *st = NULL;
	dk_job *j;
	int rc;

	*out = NULL;
	if ((rc = dk_store__prepare(store, &st, "SELECT " JOB_COLUMNS " WHERE id = ?")) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if ((j = calloc(1, sizeof(*j)))) {
			read_job(st, j);
			*out = j;
			rc = 0;
		} else {
			rc = dk_error_set(DK_ENOMEM, "out of memory");
		}
	} else if (rc == SQLITE_DONE) {
		rc = dk_error_set(DK_ENOTFOUND, "job %lld not found", (long long)id);
	} else {
		rc = dk_store__fail(store, rc, "reading jobs");
	}
	dk_store__finish(store, st);
	return rc;
}

int
dk_store_job_lease(dk_store *store, dk_job **out, const char *kind, const char *worker,
		   int64_t now, int64_t lease_seconds)
{
	sqlite3_stmt *st = NULL;
	int64_t id = 0;
	int rc;

	*out = NULL;
	if ((rc = dk_store_begin(store)) < 0)
		return rc;
	if ((rc = dk_store__prepare(store, &st, "SELECT id FROM job WHERE kind = ?1 AND"
				    " ((state = 'ready' AND run_after <= ?2)"
				    " OR (state = 'leased' AND lease_until <= ?2))"
				    " ORDER BY run_after, id LIMIT 1")) < 0)
		goto fail;
	dk_store__bind_text(st, 1, kind);
	sqlite3_bind_int64(st, 2, now);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	dk_store__finish(store, st);
	st = NULL;
	if (rc == SQLITE_DONE) {
		dk_store_rollback(store);
		return dk_error_set(DK_ENOTFOUND, "no %s job is due", kind);
	}
	if (rc != SQLITE_ROW) {
		rc = dk_store__fail(store, rc, "leasing a job");
		goto fail;
	}
	if ((rc = dk_store__prepare(store, &st, "UPDATE job SET state = 'leased', attempts ="
				    " attempts + 1, lease_until = ?, leased_by = ?, updated_at = ?"
				    " WHERE id = ?")) < 0)
		goto fail;
	sqlite3_bind_int64(st, 1, now + lease_seconds);
	dk_store__bind_text(st, 2, worker);
	sqlite3_bind_int64(st, 3, now);
	sqlite3_bind_int64(st, 4, id);
	rc = sqlite3_step(st);
	dk_store__finish(store, st);
	st = NULL;
	if (rc != SQLITE_DONE) {
		rc = dk_store__fail(store, rc, "leasing a job");
		goto fail;
	}
	if ((rc = dk_store_job_get(store, out, id)) < 0)
		goto fail;
	if ((rc = dk_store_commit(store)) < 0) {
		dk_job_free(*out);
		*out = NULL;
	}
	return rc;
fail:
	dk_store__finish(store, st);
	dk_store_rollback(store);
	return rc;
}

int
dk_store_job_finish(dk_store *store, int64_t id, const char *worker, const char *state,
		    int64_t run_after, const char *error)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = dk_store__prepare(store, &st, "UPDATE job SET state = ?1, run_after ="
				    " CASE WHEN ?1 = 'ready' THEN ?2 ELSE run_after END,"
				    " lease_until = NULL, leased_by = NULL, last_error = ?3,"
				    " updated_at = ?4 WHERE id = ?5 AND state = 'leased'"
				    " AND leased_by = ?6")) < 0)
		return rc;
	dk_store__bind_text(st, 1, state);
	sqlite3_bind_int64(st, 2, run_after);
	dk_store__bind_text(st, 3, error);
	sqlite3_bind_int64(st, 4, dk_clock_now());
	sqlite3_bind_int64(st, 5, id);
	dk_store__bind_text(st, 6, worker);
	rc = sqlite3_step(st);
	dk_store__finish(store, st);
	if (rc != SQLITE_DONE)
		return dk_store__fail(store, rc, "finishing the job");
	if (sqlite3_changes(store->db) == 0)
		return dk_error_set(DK_ECONFLICT, "job %lld is no longer leased by %s", (long long)id,
				    worker);
	return 0;
}

int
dk_store_job_list(dk_store *store, dk_job_list **out, const dk_job_filter *f)
{
	sqlite3_stmt *st = NULL;
	dk_job_list *l;
	int rc;

	*out = NULL;
	if (!(l = calloc(1, sizeof(*l))))
		return dk_error_set(DK_ENOMEM, "out of memory");
	if ((rc = dk_store__prepare(store, &st, "SELECT " JOB_COLUMNS
				    " WHERE (?1 IS NULL OR account_id = ?1)"
				    " AND (?2 IS NULL OR state = ?2) ORDER BY id DESC LIMIT ?3")) < 0)
		goto fail;
	dk_store__bind_text(st, 1, f->account_id);
	dk_store__bind_text(st, 2, f->state);
	sqlite3_bind_int(st, 3, f->limit > 0 ? f->limit : 50);
	rc = dk_store__collect(store, st, (void **)&l->items, &l->count, sizeof(*l->items),
			       read_job, "listing jobs");
	st = NULL;
	if (rc < 0)
		goto fail;
	*out = l;
	return 0;
fail:
	dk_store__finish(store, st);
	dk_job_list_free(l);
	return rc;
}

int
dk_store_job_retry(dk_store *store, const char *account_id, int64_t id, int64_t now)
{
	sqlite3_stmt *st = NULL;
	dk_job *j = NULL;
	int rc;

	if ((rc = dk_store_begin(store)) < 0)
		return rc;
	if ((rc = dk_store_job_get(store, &j, id)) < 0)
		goto done;
	if (account_id && (!j->account_id || strcmp(j->account_id, account_id) != 0)) {
		rc = dk_error_set(DK_ENOTFOUND, "job %lld not found", (long long)id);
		goto done;
	}
	if (strcmp(j->state, "ready") == 0 || strcmp(j->state, "leased") == 0) {
		rc = dk_error_set(DK_ESTATE, "job %lld is %s already", (long long)id, j->state);
		goto done;
	}
	if ((rc = dk_store__prepare(store, &st, "UPDATE job SET state = 'ready', attempts = 0,"
				    " run_after = ?1, lease_until = NULL, leased_by = NULL,"
				    " updated_at = ?1 WHERE id = ?2")) < 0)
		goto done;
	sqlite3_bind_int64(st, 1, now);
	sqlite3_bind_int64(st, 2, id);
	rc = sqlite3_step(st);
	dk_store__finish(store, st);
	if (rc != SQLITE_DONE) {
		rc = dk_store__fail(store, rc, "retrying the job");
		/* Another live job for the same subject exists: this one is redundant. */
		if (rc == DK_ECONFLICT)
			dk_error_set(DK_ECONFLICT, "job %lld: another job for %s is queued already",
				     (long long)id, j->subject_id);
		goto done;
	}
	rc = 0;
done:
	dk_job_free(j);
	if (rc == 0)
		return dk_store_commit(store);
	dk_store_rollback(store);
	return rc;
}

int
dk_store_job_counts(dk_store *store, const char *kind, int64_t out[DK_JOB__STATES])
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(out, 0, sizeof(int64_t) * DK_JOB__STATES);
	if ((rc = dk_store__prepare(store, &st, "SELECT state, count(*) FROM job"
				    " WHERE kind = ? GROUP BY state")) < 0)
		return rc;
	dk_store__bind_text(st, 1, kind);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);

		for (int i = 0; i < DK_JOB__STATES; i++) {
			if (name && strcmp(name, state_names[i]) == 0)
				out[i] = sqlite3_column_int64(st, 1);
		}
	}
	dk_store__finish(store, st);
	return rc == SQLITE_DONE ? 0 : dk_store__fail(store, rc, "counting jobs");
}

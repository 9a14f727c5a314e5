#include <stdlib.h>

#include "diskops/clock.h"
#include "diskops/error.h"
#include "store_internal.h"

int
dk_store_event_insert(dk_store *store, int64_t *out_id, const dk_event *e)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = dk_store__prepare(store, &st, "INSERT INTO event (account_id, kind, severity,"
				    " source, subject_id, payload, created_at)"
				    " VALUES (?, ?, ?, ?, ?, coalesce(?, '{}'), ?)")) < 0)
		return rc;
	dk_store__bind_text(st, 1, e->account_id);
	dk_store__bind_text(st, 2, e->kind);
	dk_store__bind_text(st, 3, e->severity ? e->severity : "info");
	dk_store__bind_text(st, 4, e->source ? e->source : "diskops");
	dk_store__bind_text(st, 5, e->subject_id);
	dk_store__bind_text(st, 6, e->payload);
	sqlite3_bind_int64(st, 7, e->created_at ? e->created_at : dk_clock_now());
	rc = sqlite3_step(st);
	dk_store__finish(store, st);
	if (rc != SQLITE_DONE)
		return dk_store__fail(store, rc, "recording an event");
	if (out_id)
		*out_id = sqlite3_last_insert_rowid(store->db);
	return 0;
}

static void
read_event(sqlite3_stmt *st, void *row)
{
	dk_event *e = row;

	e->id = sqlite3_column_int64(st, 0);
	e->account_id = dk_store__text(st, 1);
	e->kind = dk_store__text(st, 2);
	e->severity = dk_store__text(st, 3);
	e->source = dk_store__text(st, 4);
	e->subject_id = dk_store__text(st, 5);
	e->payload = dk_store__text(st, 6);
	e->created_at = sqlite3_column_int64(st, 7);
}

int
dk_store_event_list(dk_store *store, dk_event_list **out, const dk_event_filter *f)
{
	sqlite3_stmt *st = NULL;
	dk_event_list *l;
	int rc;

	*out = NULL;
	if (!(l = calloc(1, sizeof(*l))))
		return dk_error_set(DK_ENOMEM, "out of memory");
	/* substr() rather than LIKE: kinds contain '_', which LIKE treats as a wildcard. */
	rc = dk_store__prepare(store, &st, "SELECT id, account_id, kind, severity, source,"
			       " subject_id, payload, created_at FROM event"
			       " WHERE (?1 IS NULL OR account_id = ?1)"
			       " AND (?2 IS NULL OR substr(kind, 1, length(?2)) = ?2)"
			       " AND created_at >= ?3 AND id > ?4"
			       " ORDER BY id DESC LIMIT ?5");
	if (rc < 0)
		goto fail;
	dk_store__bind_text(st, 1, f->account_id);
	dk_store__bind_text(st, 2, f->kind_prefix && *f->kind_prefix ? f->kind_prefix : NULL);
	sqlite3_bind_int64(st, 3, f->since);
	sqlite3_bind_int64(st, 4, f->after_id);
	sqlite3_bind_int(st, 5, f->limit > 0 ? f->limit : 50);
	rc = dk_store__collect(store, st, (void **)&l->items, &l->count, sizeof(*l->items),
			       read_event, "listing events");
	st = NULL;
	if (rc < 0)
		goto fail;
	*out = l;
	return 0;
fail:
	dk_store__finish(store, st);
	dk_event_list_free(l);
	return rc;
}

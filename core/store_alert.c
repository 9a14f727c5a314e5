#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "diskops/agent.h"
#include "diskops/error.h"
#include "store_internal.h"

int
dk_store_alert_raise(dk_store *store, const char *account_id, const char *rule, const char *subject,
		     const char *severity, const char *detail, int64_t now, bool *opened)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*opened = false;
	if ((rc = dk_store__prepare(store, &st, "UPDATE alert SET last_seen = ?, detail = ?,"
				    " severity = ? WHERE account_id = ? AND rule = ? AND subject = ?"
				    " AND state != 'resolved'")) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	dk_store__bind_text(st, 2, detail);
	dk_store__bind_text(st, 3, severity);
	dk_store__bind_text(st, 4, account_id);
	dk_store__bind_text(st, 5, rule);
	dk_store__bind_text(st, 6, subject);
	rc = sqlite3_step(st);
	dk_store__finish(store, st);
	if (rc != SQLITE_DONE)
		return dk_store__fail(store, rc, "refreshing an alert");
	if (sqlite3_changes(store->db) > 0)
		return 0;
	if ((rc = dk_store__prepare(store, &st, "INSERT INTO alert (account_id, rule, subject,"
				    " severity, state, first_seen, last_seen, detail)"
				    " VALUES (?, ?, ?, ?, 'open', ?, ?, ?)")) < 0)
		return rc;
	dk_store__bind_text(st, 1, account_id);
	dk_store__bind_text(st, 2, rule);
	dk_store__bind_text(st, 3, subject);
	dk_store__bind_text(st, 4, severity);
	sqlite3_bind_int64(st, 5, now);
	sqlite3_bind_int64(st, 6, now);
	dk_store__bind_text(st, 7, detail);
	rc = sqlite3_step(st);
	dk_store__finish(store, st);
	if (rc != SQLITE_DONE)
		return dk_store__fail(store, rc, "opening an alert");
	*opened = true;
	return 0;
}

int
dk_store_alert_resolve_except(dk_store *store, const char *account_id, const char *rule,
			      const char *const *keep, size_t nkeep, int64_t now, int *resolved)
{
	sqlite3_stmt *st = NULL;
	json_t *arr = json_array();
	char *keep_json;
	int rc;

	*resolved = 0;
	for (size_t i = 0; i < nkeep; i++)
		json_array_append_new(arr, json_string(keep[i]));
	keep_json = json_dumps(arr, JSON_COMPACT);
	json_decref(arr);
	rc = dk_store__prepare(store, &st, "UPDATE alert SET state = 'resolved', resolved_at = ?"
			       " WHERE account_id = ? AND rule = ? AND state != 'resolved'"
			       " AND subject NOT IN (SELECT value FROM json_each(?))");
	if (rc < 0)
		goto done;
	sqlite3_bind_int64(st, 1, now);
	dk_store__bind_text(st, 2, account_id);
	dk_store__bind_text(st, 3, rule);
	dk_store__bind_text(st, 4, keep_json);
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		rc = dk_store__fail(store, rc, "resolving alerts");
		goto done;
	}
	*resolved = sqlite3_changes(store->db);
	rc = 0;
done:
	dk_store__finish(store, st);
	free(keep_json);
	return rc;
}

static void
read_alert(sqlite3_stmt *st, void *row)
{
	dk_alert *a = row;

	a->id = sqlite3_column_int64(st, 0);
	a->account_id = dk_store__text(st, 1);
	a->rule = dk_store__text(st, 2);
	a->subject = dk_store__text(st, 3);
	a->severity = dk_store__text(st, 4);
	a->state = dk_store__text(st, 5);
	a->detail = dk_store__text(st, 6);
	a->acked_by = dk_store__text(st, 7);
	a->first_seen = sqlite3_column_int64(st, 8);
	a->last_seen = sqlite3_column_int64(st, 9);
	a->resolved_at = sqlite3_column_int64(st, 10);
}

int
dk_store_alert_list(dk_store *store, dk_alert_list **out, const char *account_id, bool all)
{
	sqlite3_stmt *st = NULL;
	dk_alert_list *l;
	int rc;

	*out = NULL;
	if (!(l = calloc(1, sizeof(*l))))
		return dk_error_set(DK_ENOMEM, "out of memory");
	if ((rc = dk_store__prepare(store, &st, "SELECT id, account_id, rule, subject, severity, state,"
				    " detail, acked_by, first_seen, last_seen, resolved_at FROM alert"
				    " WHERE account_id = ? AND (? OR state != 'resolved')"
				    " ORDER BY id DESC LIMIT 500")) < 0)
		goto fail;
	dk_store__bind_text(st, 1, account_id);
	sqlite3_bind_int(st, 2, all ? 1 : 0);
	rc = dk_store__collect(store, st, (void **)&l->items, &l->count, sizeof(*l->items),
			       read_alert, "listing alerts");
	st = NULL;
	if (rc < 0)
		goto fail;
	*out = l;
	return 0;
fail:
	dk_store__finish(store, st);
	dk_alert_list_free(l);
	return rc;
}

int
dk_store_alert_ack(dk_store *store, const char *account_id, int64_t id, const char *actor)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = dk_store__prepare(store, &st, "UPDATE alert SET state = 'acked', acked_by = ?"
				    " WHERE account_id = ? AND id = ? AND state = 'open'")) < 0)
		return rc;
	dk_store__bind_text(st, 1, actor);
	dk_store__bind_text(st, 2, account_id);
	sqlite3_bind_int64(st, 3, id);
	rc = sqlite3_step(st);
	dk_store__finish(store, st);
	if (rc != SQLITE_DONE)
		return dk_store__fail(store, rc, "acknowledging the alert");
	if (sqlite3_changes(store->db) == 0)
		return dk_error_set(DK_ENOTFOUND, "no open alert %lld", (long long)id);
	return 0;
}

void
dk_alert_list_free(dk_alert_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++) {
		dk_alert *a = &l->items[i];

		free(a->account_id);
		free(a->rule);
		free(a->subject);
		free(a->severity);
		free(a->state);
		free(a->detail);
		free(a->acked_by);
	}
	free(l->items);
	free(l);
}

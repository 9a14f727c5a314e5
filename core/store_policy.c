#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/policy.h"
#include "store_internal.h"

int
dk_store_policy_get(dk_store *store, const char *account_id, const char *category, char **mode_out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*mode_out = NULL;
	if ((rc = dk_store__prepare(store, &st, "SELECT mode FROM policy WHERE account_id = ?"
				    " AND category = ?")) < 0)
		return rc;
	dk_store__bind_text(st, 1, account_id);
	dk_store__bind_text(st, 2, category);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*mode_out = dk_store__text(st, 0);
	rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : dk_store__fail(store, rc, "reading policies");
	dk_store__finish(store, st);
	return rc;
}

int
dk_store_policy_put(dk_store *store, const char *account_id, const char *category, const char *mode)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = dk_store__prepare(store, &st, "INSERT INTO policy (account_id, category, mode,"
				    " updated_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (account_id,"
				    " category) DO UPDATE SET mode = ?3, updated_at = ?4")) < 0)
		return rc;
	dk_store__bind_text(st, 1, account_id);
	dk_store__bind_text(st, 2, category);
	dk_store__bind_text(st, 3, mode);
	sqlite3_bind_int64(st, 4, dk_clock_now());
	rc = sqlite3_step(st);
	dk_store__finish(store, st);
	return rc == SQLITE_DONE ? 0 : dk_store__fail(store, rc, "setting the policy");
}

#define APPROVAL_COLUMNS "id, account_id, category, params, requested_by, state, decided_by," \
	" reason, decided_at, expires_at, created_at FROM approval"

static void
read_approval(sqlite3_stmt *st, void *row)
{
	dk_approval *a = row;

	a->id = dk_store__text(st, 0);
	a->account_id = dk_store__text(st, 1);
	a->category = dk_store__text(st, 2);
	a->params = dk_store__text(st, 3);
	a->requested_by = dk_store__text(st, 4);
	a->state = dk_store__text(st, 5);
	a->decided_by = dk_store__text(st, 6);
	a->reason = dk_store__text(st, 7);
	a->decided_at = sqlite3_column_int64(st, 8);
	a->expires_at = sqlite3_column_int64(st, 9);
	a->created_at = sqlite3_column_int64(st, 10);
}

int
dk_store_approval_insert(dk_store *store, const dk_approval *a)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = dk_store__prepare(store, &st, "INSERT INTO approval (id, account_id, category,"
				    " params, requested_by, state, expires_at, created_at)"
				    " VALUES (?, ?, ?, coalesce(?, '{}'), ?, 'pending', ?, ?)")) < 0)
		return rc;
	dk_store__bind_text(st, 1, a->id);
	dk_store__bind_text(st, 2, a->account_id);
	dk_store__bind_text(st, 3, a->category);
	dk_store__bind_text(st, 4, a->params);
	dk_store__bind_text(st, 5, a->requested_by);
	sqlite3_bind_int64(st, 6, a->expires_at);
	sqlite3_bind_int64(st, 7, a->created_at ? a->created_at : dk_clock_now());
	rc = sqlite3_step(st);
	dk_store__finish(store, st);
	return rc == SQLITE_DONE ? 0 : dk_store__fail(store, rc, "recording the approval");
}

static void
free_approval(void *row)
{
	dk_approval_free(row);
}

static const dk_store__lookup approval_lookup = {
	.what = "approval", .reading = "reading approvals", .select = APPROVAL_COLUMNS,
	.account_column = "account_id", .id_column = "id",
	.size = sizeof(dk_approval), .read = read_approval, .free_row = free_approval,
};

int
dk_store_approval_get(dk_store *store, dk_approval **out, const char *account_id, const char *id)
{
	return dk_store__find_one(store, (void **)out, &approval_lookup, account_id, id);
}

int
dk_store_approval_list(dk_store *store, dk_approval_list **out, const char *account_id, bool all)
{
	sqlite3_stmt *st = NULL;
	dk_approval_list *l;
	int rc;

	*out = NULL;
	if (!(l = calloc(1, sizeof(*l))))
		return dk_error_set(DK_ENOMEM, "out of memory");
	if ((rc = dk_store__prepare(store, &st, "SELECT " APPROVAL_COLUMNS " WHERE account_id = ?"
				    " AND (? OR state = 'pending') ORDER BY created_at DESC, rowid DESC"
				    " LIMIT 200")) < 0)
		goto fail;
	dk_store__bind_text(st, 1, account_id);
	sqlite3_bind_int(st, 2, all ? 1 : 0);
	rc = dk_store__collect(store, st, (void **)&l->items, &l->count, sizeof(*l->items),
			       read_approval, "listing approvals");
	st = NULL;
	if (rc < 0)
		goto fail;
	*out = l;
	return 0;
fail:
	dk_store__finish(store, st);
	dk_approval_list_free(l);
	return rc;
}

int
dk_store_approval_decide(dk_store *store, const char *account_id, const char *id,
			 const char *state, const char *decided_by, const char *reason)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = dk_store__prepare(store, &st, "UPDATE approval SET state = ?, decided_by = ?,"
				    " reason = ?, decided_at = ? WHERE account_id = ? AND id = ?"
				    " AND state = 'pending'")) < 0)
		return rc;
	dk_store__bind_text(st, 1, state);
	dk_store__bind_text(st, 2, decided_by);
	dk_store__bind_text(st, 3, reason);
	sqlite3_bind_int64(st, 4, dk_clock_now());
	dk_store__bind_text(st, 5, account_id);
	dk_store__bind_text(st, 6, id);
	rc = sqlite3_step(st);
	dk_store__finish(store, st);
	if (rc != SQLITE_DONE)
		return dk_store__fail(store, rc, "deciding the approval");
	if (sqlite3_changes(store->db) == 0)
		return dk_error_set(DK_ESTATE, "approval %s is no longer pending", id);
	return 0;
}

int
dk_store_approval_expire(dk_store *store, int64_t now, dk_approval_list **expired)
{
	sqlite3_stmt *st = NULL;
	dk_approval_list *l;
	int rc;

	*expired = NULL;
	if (!(l = calloc(1, sizeof(*l))))
		return dk_error_set(DK_ENOMEM, "out of memory");
	if ((rc = dk_store__prepare(store, &st, "UPDATE approval SET state = 'expired',"
				    " decided_at = ?1 WHERE state = 'pending' AND expires_at <= ?1"
				    " RETURNING id, account_id, category, params, requested_by, state,"
				    " decided_by, reason, decided_at, expires_at, created_at")) < 0)
		goto fail;
	sqlite3_bind_int64(st, 1, now);
	rc = dk_store__collect(store, st, (void **)&l->items, &l->count, sizeof(*l->items),
			       read_approval, "expiring approvals");
	st = NULL;
	if (rc < 0)
		goto fail;
	*expired = l;
	return 0;
fail:
	dk_store__finish(store, st);
	dk_approval_list_free(l);
	return rc;
}

int
dk_store_approval_state_for(dk_store *store, char **state, const char *account_id,
			    const char *category, const char *key, const char *value)
{
	sqlite3_stmt *st = NULL;
	char path[64];
	int rc;

	*state = NULL;
	snprintf(path, sizeof(path), "$.%s", key);
	if ((rc = dk_store__prepare(store, &st, "SELECT state FROM approval WHERE account_id = ?"
				    " AND category = ? AND json_extract(params, ?) = ?"
				    " ORDER BY created_at DESC, rowid DESC LIMIT 1")) < 0)
		return rc;
	dk_store__bind_text(st, 1, account_id);
	dk_store__bind_text(st, 2, category);
	dk_store__bind_text(st, 3, path);
	dk_store__bind_text(st, 4, value);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*state = dk_store__text(st, 0);
	rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : dk_store__fail(store, rc, "reading approvals");
	dk_store__finish(store, st);
	return rc;
}

void
dk_approval_clear(dk_approval *a)
{
	if (!a)
		return;
	free(a->id);
	free(a->account_id);
	free(a->category);
	free(a->params);
	free(a->requested_by);
	free(a->state);
	free(a->decided_by);
	free(a->reason);
	memset(a, 0, sizeof(*a));
}

void
dk_approval_free(dk_approval *a)
{
	dk_approval_clear(a);
	free(a);
}

void
dk_approval_list_free(dk_approval_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++)
		dk_approval_clear(&l->items[i]);
	free(l->items);
	free(l);
}

#include <stdlib.h>

#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/uuid.h"
#include "store_internal.h"

static void
read_account(sqlite3_stmt *st, void *row)
{
	dk_account *a = row;

	a->id = dk_store__text(st, 0);
	a->name = dk_store__text(st, 1);
	a->created_at = sqlite3_column_int64(st, 2);
}

int
dk_store_account_find(dk_store *store, dk_account **out, const char *name_or_id)
{
	sqlite3_stmt *st = NULL;
	dk_account *a = NULL;
	int rc;

	*out = NULL;
	if ((rc = dk_store__prepare(store, &st, "SELECT id, name, created_at FROM account"
				    " WHERE name = ?1 OR id = ?1")) < 0)
		return rc;
	dk_store__bind_text(st, 1, name_or_id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (!(a = calloc(1, sizeof(*a)))) {
			rc = dk_error_set(DK_ENOMEM, "out of memory");
			goto done;
		}
		read_account(st, a);
		*out = a;
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = dk_error_set(DK_ENOTFOUND, "account \"%s\" not found", name_or_id);
	} else {
		rc = dk_store__fail(store, rc, "reading accounts");
	}
done:
	dk_store__finish(store, st);
	return rc;
}

int
dk_store_account_create(dk_store *store, dk_account **out, const char *name)
{
	char id[DK_UUID_LEN + 1];
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	dk_uuid_v4(id);
	if ((rc = dk_store__prepare(store, &st, "INSERT INTO account (id, name, created_at)"
				    " VALUES (?, ?, ?)")) < 0)
		return rc;
	dk_store__bind_text(st, 1, id);
	dk_store__bind_text(st, 2, name);
	sqlite3_bind_int64(st, 3, dk_clock_now());
	rc = sqlite3_step(st);
	dk_store__finish(store, st);
	if (rc != SQLITE_DONE) {
		rc = dk_store__fail(store, rc, "creating the account");
		if (rc == DK_ECONFLICT)
			dk_error_set(DK_ECONFLICT, "account \"%s\" already exists", name);
		return rc;
	}
	return dk_store_account_find(store, out, id);
}

int
dk_store_account_list(dk_store *store, dk_account_list **out)
{
	sqlite3_stmt *st = NULL;
	dk_account_list *l;
	int rc;

	*out = NULL;
	if (!(l = calloc(1, sizeof(*l))))
		return dk_error_set(DK_ENOMEM, "out of memory");
	if ((rc = dk_store__prepare(store, &st, "SELECT id, name, created_at FROM account"
				    " ORDER BY name")) < 0)
		goto fail;
	rc = dk_store__collect(store, st, (void **)&l->items, &l->count, sizeof(*l->items),
			       read_account, "listing accounts");
	st = NULL;
	if (rc < 0)
		goto fail;
	*out = l;
	return 0;
fail:
	dk_store__finish(store, st);
	dk_account_list_free(l);
	return rc;
}

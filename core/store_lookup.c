#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diskops/error.h"
#include "diskops/uuid.h"
#include "store_internal.h"

/* One query with ?1 = account, ?2 = key: *row is its first row (NULL: none), *more says
 * whether a second one followed. */
static int
query(dk_store *store, void **row, bool *more, const dk_store__lookup *l, const char *where,
      const char *account_id, const char *key)
{
	sqlite3_stmt *st = NULL;
	char *sql = NULL;
	int rc;

	*row = NULL;
	if (asprintf(&sql, "SELECT %s WHERE %s = ?1 AND (%s) LIMIT 2", l->select, l->account_column,
		     where) < 0)
		return dk_error_set(DK_ENOMEM, "out of memory");
	rc = dk_store__prepare(store, &st, sql);
	free(sql);
	if (rc < 0)
		return rc;
	dk_store__bind_text(st, 1, account_id);
	dk_store__bind_text(st, 2, key);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (!(*row = calloc(1, l->size))) {
			rc = dk_error_set(DK_ENOMEM, "out of memory");
		} else {
			l->read(st, *row);
			if (more)
				*more = sqlite3_step(st) == SQLITE_ROW;
			rc = 0;
		}
	} else {
		rc = rc == SQLITE_DONE ? 0 : dk_store__fail(store, rc, l->reading);
	}
	dk_store__finish(store, st);
	return rc;
}

int
dk_store__find_one(dk_store *store, void **out, const dk_store__lookup *l, const char *account_id,
		   const char *key)
{
	size_t len = strlen(key);
	bool more = false;
	char where[160];
	int rc;

	*out = NULL;
	/* The exact id first: only it can use the primary key. */
	snprintf(where, sizeof(where), "%s = ?2", l->id_column);
	if ((rc = query(store, out, NULL, l, where, account_id, key)) < 0 || *out)
		return rc;
	if (l->name_match && ((rc = query(store, out, NULL, l, l->name_match, account_id, key)) < 0 || *out))
		return rc;
	/* Tables show short ids, so a unique prefix of 8+ characters finds the row too. */
	if (len >= 8 && len < DK_UUID_LEN) {
		snprintf(where, sizeof(where), "substr(%s, 1, length(?2)) = ?2", l->id_column);
		if ((rc = query(store, out, &more, l, where, account_id, key)) < 0)
			return rc;
		if (*out && more) {
			l->free_row(*out);
			*out = NULL;
			return dk_error_set(DK_EINVALID, "%s id prefix %s is ambiguous: give more "
					    "characters", l->what, key);
		}
		if (*out)
			return 0;
	}
	return dk_error_set(DK_ENOTFOUND, "%s %s not found", l->what, key);
}

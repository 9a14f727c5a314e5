#include <stdlib.h>

#include "diskops/error.h"
#include "diskops/store_alert.h"
#include "store_internal.h"

void
dk_alert_clear(dk_alert *a)
{
	if (!a)
		return;
	free(a->account_id);
	free(a->rule);
	free(a->subject);
	free(a->severity);
	free(a->state);
	free(a->acked_by);
	free(a->detail);
}

void
dk_alert_list_free(dk_alert_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++)
		dk_alert_clear(&l->items[i]);
	free(l->items);
	free(l);
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
	a->first_seen = sqlite3_column_int64(st, 6);
	a->last_seen = sqlite3_column_int64(st, 7);
	a->resolved_at = sqlite3_column_int64(st, 8);
	a->acked_by = dk_store__text(st, 9);
	a->detail = dk_store__text(st, 10);
}

int
dk_store_alert_list(dk_store *store, dk_alert_list **out, const char *account_id,
		    bool include_resolved, int limit)
{
	sqlite3_stmt *st = NULL;
	dk_alert_list *l;
	int rc;

	*out = NULL;
	if (!(l = calloc(1, sizeof(*l))))
		return dk_error_set(DK_ENOMEM, "out of memory");
	/* Open alerts are what an operator must see first; acked next, resolved last. */
	rc = dk_store__prepare(store, &st, "SELECT id, account_id, rule, subject, severity, state,"
			       " first_seen, last_seen, resolved_at, acked_by, detail FROM alert"
			       " WHERE account_id = ?1 AND (?2 OR state != 'resolved')"
			       " ORDER BY CASE state WHEN 'open' THEN 0 WHEN 'acked' THEN 1 ELSE 2 END,"
			       " last_seen DESC, id DESC LIMIT ?3");
	if (rc < 0)
		goto fail;
	dk_store__bind_text(st, 1, account_id);
	sqlite3_bind_int(st, 2, include_resolved);
	sqlite3_bind_int(st, 3, limit > 0 ? limit : 200);
	rc = dk_store__collect(store, st, (void **)&l->items, &l->count, sizeof(*l->items),
			       read_alert, "listing alerts");
	st = NULL;
	if (rc < 0)
		goto fail;
	*out = l;
	return 0;
fail:
	sqlite3_finalize(st);
	dk_alert_list_free(l);
	return rc;
}

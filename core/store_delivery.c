#include <stdlib.h>

#include "diskops/error.h"
#include "diskops/store_serve.h"
#include "store_internal.h"

int
dk_store_delivery_insert(dk_store *store, const dk_delivery *d)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = dk_store__prepare(store, &st, "INSERT INTO webhook_delivery (webhook_id,"
				    " account_id, received_at, remote_addr, body_sha256, body_size,"
				    " signature_ok, http_status, outcome, reason, publication_id)"
				    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) < 0)
		return rc;
	dk_store__bind_text(st, 1, d->webhook_id);
	dk_store__bind_text(st, 2, d->account_id);
	sqlite3_bind_int64(st, 3, d->received_at);
	dk_store__bind_text(st, 4, d->remote_addr);
	dk_store__bind_text(st, 5, d->body_sha256);
	sqlite3_bind_int64(st, 6, d->body_size);
	sqlite3_bind_int(st, 7, d->signature_ok ? 1 : 0);
	sqlite3_bind_int(st, 8, d->http_status);
	dk_store__bind_text(st, 9, d->outcome);
	dk_store__bind_text(st, 10, d->reason);
	dk_store__bind_text(st, 11, d->publication_id);
	rc = sqlite3_step(st);
	dk_store__finish(store, st);
	if (rc != SQLITE_DONE)
		return dk_store__fail(store, rc, "recording the delivery");
	return 0;
}

static void
read_delivery(sqlite3_stmt *st, void *row)
{
	dk_delivery *d = row;

	d->id = sqlite3_column_int64(st, 0);
	d->webhook_id = dk_store__text(st, 1);
	d->account_id = dk_store__text(st, 2);
	d->received_at = sqlite3_column_int64(st, 3);
	d->remote_addr = dk_store__text(st, 4);
	d->body_sha256 = dk_store__text(st, 5);
	d->body_size = sqlite3_column_int64(st, 6);
	d->signature_ok = sqlite3_column_int(st, 7) != 0;
	d->http_status = sqlite3_column_int(st, 8);
	d->outcome = dk_store__text(st, 9);
	d->reason = dk_store__text(st, 10);
	d->publication_id = dk_store__text(st, 11);
}

int
dk_store_delivery_list(dk_store *store, dk_delivery_list **out, const dk_delivery_filter *f)
{
	sqlite3_stmt *st = NULL;
	dk_delivery_list *l;
	int rc;

	*out = NULL;
	if (!(l = calloc(1, sizeof(*l))))
		return dk_error_set(DK_ENOMEM, "out of memory");
	if ((rc = dk_store__prepare(store, &st, "SELECT id, webhook_id, account_id, received_at,"
				    " remote_addr, body_sha256, body_size, signature_ok, http_status,"
				    " outcome, reason, publication_id FROM webhook_delivery"
				    " WHERE account_id = ?1 AND (?2 IS NULL OR webhook_id = ?2)"
				    " ORDER BY id DESC LIMIT ?3")) < 0)
		goto fail;
	dk_store__bind_text(st, 1, f->account_id);
	dk_store__bind_text(st, 2, f->webhook_id);
	sqlite3_bind_int(st, 3, f->limit > 0 ? f->limit : 50);
	rc = dk_store__collect(store, st, (void **)&l->items, &l->count, sizeof(*l->items),
			       read_delivery, "listing deliveries");
	st = NULL;
	if (rc < 0)
		goto fail;
	*out = l;
	return 0;
fail:
	dk_store__finish(store, st);
	dk_delivery_list_free(l);
	return rc;
}

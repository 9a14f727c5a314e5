#include <stdlib.h>
#include <string.h>

#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/store_serve.h"
#include "diskops/uuid.h"
#include "store_internal.h"

#define WEBHOOK_COLUMNS \
	"id, account_id, label, secret_enc, secret_preview, status, received_count," \
	" last_received_at, last_rotated_at, created_by, created_at, updated_at" \
	" FROM disk_image_webhook"

static void
read_webhook(sqlite3_stmt *st, void *row)
{
	dk_webhook *w = row;

	w->id = dk_store__text(st, 0);
	w->account_id = dk_store__text(st, 1);
	w->label = dk_store__text(st, 2);
	w->secret_enc = dk_store__text(st, 3);
	w->secret_preview = dk_store__text(st, 4);
	w->status = dk_store__text(st, 5);
	w->received_count = sqlite3_column_int64(st, 6);
	w->last_received_at = sqlite3_column_int64(st, 7);
	w->last_rotated_at = sqlite3_column_int64(st, 8);
	w->created_by = dk_store__text(st, 9);
	w->created_at = sqlite3_column_int64(st, 10);
	w->updated_at = sqlite3_column_int64(st, 11);
}

static int
get_one(dk_store *store, dk_webhook **out, sqlite3_stmt *st, const char *what)
{
	dk_webhook *w;
	int rc = sqlite3_step(st);

	*out = NULL;
	if (rc == SQLITE_DONE)
		return dk_error_set(DK_ENOTFOUND, "webhook %s not found", what);
	if (rc != SQLITE_ROW)
		return dk_store__fail(store, rc, "reading webhooks");
	if (!(w = calloc(1, sizeof(*w))))
		return dk_error_set(DK_ENOMEM, "out of memory");
	read_webhook(st, w);
	*out = w;
	return 0;
}

int
dk_store_webhook_create(dk_store *store, dk_webhook **out, const char *account_id,
			const char *label, const char *secret_enc, const char *preview,
			const char *created_by)
{
	char id[DK_UUID_LEN + 1];
	sqlite3_stmt *st = NULL;
	int64_t now = dk_clock_now();
	int rc;

	*out = NULL;
	dk_uuid_v4(id);
	if ((rc = dk_store__prepare(store, &st, "INSERT INTO disk_image_webhook (id, account_id,"
				    " label, secret_enc, secret_preview, created_by, created_at,"
				    " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?7)")) < 0)
		return rc;
	dk_store__bind_text(st, 1, id);
	dk_store__bind_text(st, 2, account_id);
	dk_store__bind_text(st, 3, label);
	dk_store__bind_text(st, 4, secret_enc);
	dk_store__bind_text(st, 5, preview);
	dk_store__bind_text(st, 6, created_by);
	sqlite3_bind_int64(st, 7, now);
	rc = sqlite3_step(st);
	dk_store__finish(store, st);
	if (rc != SQLITE_DONE) {
		rc = dk_store__fail(store, rc, "creating the webhook");
		if (rc == DK_ECONFLICT)
			dk_error_set(DK_ECONFLICT, "label \"%s\" has already been taken", label);
		return rc;
	}
	return dk_store_webhook_find(store, out, account_id, id);
}

static void
free_webhook(void *row)
{
	dk_webhook_free(row);
}

static const dk_store__lookup webhook_lookup = {
	.what = "webhook", .reading = "reading webhooks", .select = WEBHOOK_COLUMNS,
	.account_column = "account_id", .id_column = "id", .name_match = "label = ?2 COLLATE NOCASE",
	.size = sizeof(dk_webhook), .read = read_webhook, .free_row = free_webhook,
};

int
dk_store_webhook_find(dk_store *store, dk_webhook **out, const char *account_id,
		      const char *id_or_label)
{
	return dk_store__find_one(store, (void **)out, &webhook_lookup, account_id, id_or_label);
}

int
dk_store_webhook_get(dk_store *store, dk_webhook **out, const char *id)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = NULL;
	if ((rc = dk_store__prepare(store, &st, "SELECT " WEBHOOK_COLUMNS
				    " WHERE id = ?")) < 0)
		return rc;
	dk_store__bind_text(st, 1, id);
	rc = get_one(store, out, st, id);
	dk_store__finish(store, st);
	return rc;
}

int
dk_store_webhook_list(dk_store *store, dk_webhook_list **out, const char *account_id)
{
	sqlite3_stmt *st = NULL;
	dk_webhook_list *l;
	int rc;

	*out = NULL;
	if (!(l = calloc(1, sizeof(*l))))
		return dk_error_set(DK_ENOMEM, "out of memory");
	if ((rc = dk_store__prepare(store, &st, "SELECT " WEBHOOK_COLUMNS " WHERE account_id = ?"
				    " ORDER BY created_at DESC, rowid DESC")) < 0)
		goto fail;
	dk_store__bind_text(st, 1, account_id);
	rc = dk_store__collect(store, st, (void **)&l->items, &l->count, sizeof(*l->items),
			       read_webhook, "listing webhooks");
	st = NULL;
	if (rc < 0)
		goto fail;
	*out = l;
	return 0;
fail:
	dk_store__finish(store, st);
	dk_webhook_list_free(l);
	return rc;
}

/* Runs a one-row UPDATE; DK_ENOTFOUND when it matched nothing. */
static int
update_one(dk_store *store, sqlite3_stmt *st, const char *what, const char *id)
{
	int rc = sqlite3_step(st);

	dk_store__finish(store, st);
	if (rc != SQLITE_DONE)
		return dk_store__fail(store, rc, what);
	if (sqlite3_changes(store->db) == 0)
		return dk_error_set(DK_ENOTFOUND, "%s %s not found", what, id);
	return 0;
}

int
dk_store_webhook_set_secret(dk_store *store, const char *account_id, const char *id,
			    const char *secret_enc, const char *preview)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = dk_store__prepare(store, &st, "UPDATE disk_image_webhook SET secret_enc = ?,"
				    " secret_preview = ?, last_rotated_at = ?3, updated_at = ?3"
				    " WHERE account_id = ? AND id = ?")) < 0)
		return rc;
	dk_store__bind_text(st, 1, secret_enc);
	dk_store__bind_text(st, 2, preview);
	sqlite3_bind_int64(st, 3, dk_clock_now());
	dk_store__bind_text(st, 4, account_id);
	dk_store__bind_text(st, 5, id);
	return update_one(store, st, "webhook", id);
}

int
dk_store_webhook_set_status(dk_store *store, const char *account_id, const char *id,
			    const char *status)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = dk_store__prepare(store, &st, "UPDATE disk_image_webhook SET status = ?,"
				    " updated_at = ? WHERE account_id = ? AND id = ?")) < 0)
		return rc;
	dk_store__bind_text(st, 1, status);
	sqlite3_bind_int64(st, 2, dk_clock_now());
	dk_store__bind_text(st, 3, account_id);
	dk_store__bind_text(st, 4, id);
	return update_one(store, st, "webhook", id);
}

int
dk_store_webhook_touch(dk_store *store, const char *id, int64_t now)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = dk_store__prepare(store, &st, "UPDATE disk_image_webhook SET received_count ="
				    " received_count + 1, last_received_at = ? WHERE id = ?")) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, now);
	dk_store__bind_text(st, 2, id);
	return update_one(store, st, "webhook", id);
}

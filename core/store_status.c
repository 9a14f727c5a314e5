#include <stdlib.h>
#include <string.h>

#include "diskops/error.h"
#include "diskops/status.h"
#include "store_internal.h"

void
dk_service_status_clear(dk_service_status *s)
{
	if (!s)
		return;
	free(s->name);
	free(s->detail);
	memset(s, 0, sizeof(*s));
}

void
dk_service_status_list_free(dk_service_status_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++)
		dk_service_status_clear(&l->items[i]);
	free(l->items);
	free(l);
}

void
dk_runner_clear(dk_runner *r)
{
	if (!r)
		return;
	free(r->repo);
	free(r->name);
	free(r->labels);
	memset(r, 0, sizeof(*r));
}

void
dk_runner_list_free(dk_runner_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++)
		dk_runner_clear(&l->items[i]);
	free(l->items);
	free(l);
}

int
dk_store_service_status_put(dk_store *store, const dk_service_status *s)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = dk_store__prepare(store, &st, "INSERT OR REPLACE INTO service_status (name, ok,"
				    " detail, pid, started_at, checked_at) VALUES (?, ?, ?, ?, ?, ?)")) < 0)
		return rc;
	dk_store__bind_text(st, 1, s->name);
	sqlite3_bind_int(st, 2, s->ok ? 1 : 0);
	dk_store__bind_text(st, 3, s->detail);
	sqlite3_bind_int64(st, 4, s->pid);
	dk_store__bind_time(st, 5, s->started_at);
	sqlite3_bind_int64(st, 6, s->checked_at);
	rc = sqlite3_step(st);
	dk_store__finish(store, st);
	return rc == SQLITE_DONE ? 0 : dk_store__fail(store, rc, "recording the service status");
}

static void
read_status(sqlite3_stmt *st, void *row)
{
	dk_service_status *s = row;

	s->name = dk_store__text(st, 0);
	s->ok = sqlite3_column_int(st, 1) != 0;
	s->detail = dk_store__text(st, 2);
	s->pid = sqlite3_column_int64(st, 3);
	s->started_at = sqlite3_column_int64(st, 4);
	s->checked_at = sqlite3_column_int64(st, 5);
}

int
dk_store_service_status_list(dk_store *store, dk_service_status_list **out)
{
	sqlite3_stmt *st = NULL;
	dk_service_status_list *l;
	int rc;

	*out = NULL;
	if (!(l = calloc(1, sizeof(*l))))
		return dk_error_set(DK_ENOMEM, "out of memory");
	if ((rc = dk_store__prepare(store, &st, "SELECT name, ok, detail, pid, started_at, checked_at"
				    " FROM service_status ORDER BY name")) < 0 ||
	    (rc = dk_store__collect(store, st, (void **)&l->items, &l->count, sizeof(*l->items),
				    read_status, "reading the service status")) < 0) {
		dk_service_status_list_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

const dk_service_status *
dk_service_status_find(const dk_service_status_list *l, const char *name)
{
	for (size_t i = 0; l && i < l->count; i++) {
		if (strcmp(l->items[i].name, name) == 0)
			return &l->items[i];
	}
	return NULL;
}

static void
read_runner(sqlite3_stmt *st, void *row)
{
	dk_runner *r = row;

	r->repo = dk_store__text(st, 0);
	r->runner_id = sqlite3_column_int64(st, 1);
	r->name = dk_store__text(st, 2);
	r->labels = dk_store__text(st, 3);
	r->online = sqlite3_column_int(st, 4) != 0;
	r->busy = sqlite3_column_int(st, 5) != 0;
	r->fetched_at = sqlite3_column_int64(st, 6);
}

int
dk_store_runner_cache_list(dk_store *store, dk_runner_list **out, const char *account_id)
{
	sqlite3_stmt *st = NULL;
	dk_runner_list *l;
	int rc;

	*out = NULL;
	if (!(l = calloc(1, sizeof(*l))))
		return dk_error_set(DK_ENOMEM, "out of memory");
	if ((rc = dk_store__prepare(store, &st, "SELECT g.repo, g.runner_id, g.name, g.labels,"
				    " g.online, g.busy, g.fetched_at FROM gitea_runner_cache g"
				    " WHERE g.repo IN (SELECT build_repo FROM node_platform"
				    "   WHERE account_id = ? AND build_repo IS NOT NULL)"
				    " ORDER BY g.repo, g.name, g.runner_id")) < 0) {
		dk_runner_list_free(l);
		return rc;
	}
	dk_store__bind_text(st, 1, account_id);
	if ((rc = dk_store__collect(store, st, (void **)&l->items, &l->count, sizeof(*l->items),
				    read_runner, "reading the runner cache")) < 0) {
		dk_runner_list_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

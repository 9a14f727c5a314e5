/* What the poller last saw of Gitea: runs, jobs, runners, and whether it answered. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "diskops/error.h"
#include "diskops/poller.h"
#include "store_internal.h"

static int
step_done(dk_store *store, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	dk_store__finish(store, st);
	return rc == SQLITE_DONE ? 0 : dk_store__fail(store, rc, what);
}

/* --- status --- */

void
dk_gitea_status_free(dk_gitea_status *s)
{
	if (!s)
		return;
	free(s->url);
	free(s->version);
	free(s->last_error);
	free(s);
}

int
dk_store_gitea_status_get(dk_store *store, dk_gitea_status **out)
{
	sqlite3_stmt *st = NULL;
	dk_gitea_status *s;
	int rc;

	*out = NULL;
	if ((rc = dk_store__prepare(store, &st, "SELECT url, reachable, version, last_error, failures,"
				    " repos, last_poll_at, last_ok_at, next_poll_at FROM gitea_status"
				    " WHERE id = 1")) < 0)
		return rc;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		dk_store__finish(store, st);
		return rc == SQLITE_DONE ? dk_error_set(DK_ENOTFOUND, "Gitea has not been polled yet")
					 : dk_store__fail(store, rc, "reading the Gitea status");
	}
	if (!(s = calloc(1, sizeof(*s)))) {
		dk_store__finish(store, st);
		return dk_error_set(DK_ENOMEM, "out of memory");
	}
	s->url = dk_store__text(st, 0);
	s->reachable = sqlite3_column_int(st, 1) != 0;
	s->version = dk_store__text(st, 2);
	s->last_error = dk_store__text(st, 3);
	s->failures = sqlite3_column_int(st, 4);
	s->repos = sqlite3_column_int(st, 5);
	s->last_poll_at = sqlite3_column_int64(st, 6);
	s->last_ok_at = sqlite3_column_int64(st, 7);
	s->next_poll_at = sqlite3_column_int64(st, 8);
	dk_store__finish(store, st);
	*out = s;
	return 0;
}

int
dk_store_gitea_status_put(dk_store *store, const dk_gitea_status *s)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = dk_store__prepare(store, &st, "INSERT OR REPLACE INTO gitea_status (id, url,"
				    " reachable, version, last_error, failures, repos, last_poll_at,"
				    " last_ok_at, next_poll_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) < 0)
		return rc;
	dk_store__bind_text(st, 1, s->url ? s->url : "");
	sqlite3_bind_int(st, 2, s->reachable);
	dk_store__bind_text(st, 3, s->version);
	dk_store__bind_text(st, 4, s->last_error);
	sqlite3_bind_int(st, 5, s->failures);
	sqlite3_bind_int(st, 6, s->repos);
	sqlite3_bind_int64(st, 7, s->last_poll_at);
	dk_store__bind_time(st, 8, s->last_ok_at);
	dk_store__bind_time(st, 9, s->next_poll_at);
	return step_done(store, st, "recording the Gitea status");
}

/* --- build repos --- */

void
dk_strv_free(char **v, size_t count)
{
	for (size_t i = 0; v && i < count; i++)
		free(v[i]);
	free(v);
}

static int
strings(dk_store *store, char ***out, size_t *count, const char *sql, const char *what)
{
	sqlite3_stmt *st = NULL;
	char **v = NULL;
	size_t n = 0;
	int rc;

	*out = NULL;
	*count = 0;
	if ((rc = dk_store__prepare(store, &st, sql)) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		char **grown = realloc(v, (n + 1) * sizeof(*v));

		if (!grown || !(grown[n] = dk_store__text(st, 0))) {
			v = grown ? grown : v;
			dk_store__finish(store, st);
			dk_strv_free(v, n);
			return dk_error_set(DK_ENOMEM, "out of memory");
		}
		v = grown;
		n++;
	}
	dk_store__finish(store, st);
	if (rc != SQLITE_DONE) {
		dk_strv_free(v, n);
		return dk_store__fail(store, rc, what);
	}
	*out = v;
	*count = n;
	return 0;
}

int
dk_store_build_repos(dk_store *store, char ***out, size_t *count)
{
	return strings(store, out, count, "SELECT DISTINCT build_repo FROM node_platform"
		       " WHERE build_repo IS NOT NULL AND build_repo != '' ORDER BY build_repo",
		       "listing build repos");
}

int
dk_store_build_repo_accounts(dk_store *store, char ***out, size_t *count)
{
	return strings(store, out, count, "SELECT DISTINCT account_id FROM node_platform"
		       " WHERE build_repo IS NOT NULL AND build_repo != '' ORDER BY account_id",
		       "listing accounts with build repos");
}

/* --- runs --- */

void
dk_cached_run_clear(dk_cached_run *r)
{
	free(r->repo);
	free(r->workflow);
	free(r->title);
	free(r->event);
	free(r->status);
	free(r->conclusion);
	free(r->head_sha);
	free(r->head_branch);
	free(r->html_url);
	free(r->labels);
}

void
dk_cached_run_list_free(dk_cached_run_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++)
		dk_cached_run_clear(&l->items[i]);
	free(l->items);
	free(l);
}

static void
read_run(sqlite3_stmt *st, void *row)
{
	dk_cached_run *r = row;

	r->repo = dk_store__text(st, 0);
	r->run_id = sqlite3_column_int64(st, 1);
	r->workflow = dk_store__text(st, 2);
	r->title = dk_store__text(st, 3);
	r->event = dk_store__text(st, 4);
	r->status = dk_store__text(st, 5);
	r->conclusion = dk_store__text(st, 6);
	r->head_sha = dk_store__text(st, 7);
	r->head_branch = dk_store__text(st, 8);
	r->html_url = dk_store__text(st, 9);
	r->labels = dk_store__text(st, 10);
	r->started_at = sqlite3_column_int64(st, 11);
	r->completed_at = sqlite3_column_int64(st, 12);
	r->created_at = sqlite3_column_int64(st, 13);
	r->fetched_at = sqlite3_column_int64(st, 14);
	r->run_number = sqlite3_column_int64(st, 15);
}

int
dk_store_run_cache_list(dk_store *store, dk_cached_run_list **out, const char *repo)
{
	sqlite3_stmt *st = NULL;
	dk_cached_run_list *l;
	int rc;

	*out = NULL;
	if (!(l = calloc(1, sizeof(*l))))
		return dk_error_set(DK_ENOMEM, "out of memory");
	if ((rc = dk_store__prepare(store, &st, "SELECT repo, run_id, workflow, title, event, status,"
				    " conclusion, head_sha, head_branch, html_url, labels,"
				    " run_started_at, completed_at, created_at_remote, fetched_at,"
				    " run_number FROM gitea_run_cache WHERE repo = ? ORDER BY run_id DESC")) < 0) {
		free(l);
		return rc;
	}
	dk_store__bind_text(st, 1, repo);
	if ((rc = dk_store__collect(store, st, (void **)&l->items, &l->count, sizeof(*l->items),
				    read_run, "reading the run cache")) < 0) {
		dk_cached_run_list_free(l);
		return rc;
	}
	*out = l;
	return 0;
}

/* Deletes the repo's rows of `table` whose `col` is not among ids. */
static int
drop_others(dk_store *store, const char *table, const char *col, const char *repo,
	    const char *and_run, int64_t run_id, json_t *ids)
{
	sqlite3_stmt *st = NULL;
	char sql[256], *list = json_dumps(ids, JSON_COMPACT);
	int rc;

	if (!list)
		return dk_error_set(DK_ENOMEM, "out of memory");
	snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE repo = ?1 %s AND %s NOT IN"
		 " (SELECT value FROM json_each(?2))", table, and_run, col);
	if ((rc = dk_store__prepare(store, &st, sql)) == 0) {
		dk_store__bind_text(st, 1, repo);
		dk_store__bind_text(st, 2, list);
		if (*and_run)
			sqlite3_bind_int64(st, 3, run_id);
		rc = step_done(store, st, "pruning the Gitea cache");
	}
	free(list);
	return rc;
}

/* Writes row i of rows (arg: the run, or the fetch time); *id learns its key. */
typedef int (*put_row_fn)(dk_store *store, const char *repo, const void *rows, size_t i,
			  int64_t arg, int64_t *id);

/*
 * In one transaction, the repo's rows of `table` (those of run `arg` when and_run says
 * so) become exactly `rows`: each upserted by put, the others deleted, and with them the
 * rows of `cascade` (NULL: none) that hang off the deleted keys.
 */
static int
replace_rows(dk_store *store, const char *repo, const void *rows, size_t count, int64_t arg,
	     put_row_fn put, const char *table, const char *col, const char *and_run,
	     const char *cascade)
{
	json_t *ids = json_array();
	int64_t id;
	int rc;

	if (!ids)
		return dk_error_set(DK_ENOMEM, "out of memory");
	if ((rc = dk_store_begin(store)) < 0)
		goto done;
	for (size_t i = 0; i < count && rc == 0; i++)
		if ((rc = put(store, repo, rows, i, arg, &id)) == 0)
			json_array_append_new(ids, json_integer(id));
	if (rc == 0)
		rc = drop_others(store, table, col, repo, and_run, arg, ids);
	if (rc == 0 && cascade)
		rc = drop_others(store, cascade, col, repo, "", 0, ids);
	if (rc == 0)
		rc = dk_store_commit(store);
	else
		dk_store_rollback(store);
done:
	json_decref(ids);
	return rc;
}

static int
put_run(dk_store *store, const char *repo, const void *rows, size_t i, int64_t arg, int64_t *id)
{
	const dk_cached_run *r = (const dk_cached_run *)rows + i;
	sqlite3_stmt *st = NULL;
	int rc;

	(void)arg;
	*id = r->run_id;
	if ((rc = dk_store__prepare(store, &st, "INSERT OR REPLACE INTO gitea_run_cache (repo,"
				    " run_id, workflow, title, event, status, conclusion, head_sha,"
				    " head_branch, html_url, labels, run_started_at, completed_at,"
				    " created_at_remote, fetched_at, run_number)"
				    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) < 0)
		return rc;
	dk_store__bind_text(st, 1, repo);
	sqlite3_bind_int64(st, 2, r->run_id);
	dk_store__bind_text(st, 3, r->workflow);
	dk_store__bind_text(st, 4, r->title);
	dk_store__bind_text(st, 5, r->event);
	dk_store__bind_text(st, 6, r->status);
	dk_store__bind_text(st, 7, r->conclusion);
	dk_store__bind_text(st, 8, r->head_sha);
	dk_store__bind_text(st, 9, r->head_branch);
	dk_store__bind_text(st, 10, r->html_url);
	dk_store__bind_text(st, 11, r->labels);
	dk_store__bind_time(st, 12, r->started_at);
	dk_store__bind_time(st, 13, r->completed_at);
	dk_store__bind_time(st, 14, r->created_at);
	sqlite3_bind_int64(st, 15, r->fetched_at);
	dk_store__bind_time(st, 16, r->run_number);
	return step_done(store, st, "caching a Gitea run");
}

int
dk_store_run_cache_replace(dk_store *store, const char *repo, const dk_cached_run *runs,
			   size_t count)
{
	/* Runs that fell out of the recent list: their jobs go with them. */
	return replace_rows(store, repo, runs, count, 0, put_run, "gitea_run_cache", "run_id", "",
			    "gitea_job_cache");
}

/* --- jobs --- */

static int
put_job(dk_store *store, const char *repo, const void *rows, size_t i, int64_t run_id,
	int64_t *id)
{
	const dk_cached_job *j = (const dk_cached_job *)rows + i;
	sqlite3_stmt *st = NULL;
	int rc;

	*id = j->job_id;
	if ((rc = dk_store__prepare(store, &st, "INSERT OR REPLACE INTO gitea_job_cache (repo,"
				    " job_id, run_id, name, status, conclusion, labels, runner_name,"
				    " created_at_remote, started_at, completed_at, fetched_at)"
				    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) < 0)
		return rc;
	dk_store__bind_text(st, 1, repo);
	sqlite3_bind_int64(st, 2, j->job_id);
	sqlite3_bind_int64(st, 3, run_id);
	dk_store__bind_text(st, 4, j->name);
	dk_store__bind_text(st, 5, j->status);
	dk_store__bind_text(st, 6, j->conclusion);
	dk_store__bind_text(st, 7, j->labels);
	dk_store__bind_text(st, 8, j->runner_name);
	dk_store__bind_time(st, 9, j->created_at);
	dk_store__bind_time(st, 10, j->started_at);
	dk_store__bind_time(st, 11, j->completed_at);
	sqlite3_bind_int64(st, 12, j->fetched_at);
	return step_done(store, st, "caching a Gitea job");
}

int
dk_store_job_cache_replace(dk_store *store, const char *repo, int64_t run_id,
			   const dk_cached_job *jobs, size_t count)
{
	return replace_rows(store, repo, jobs, count, run_id, put_job, "gitea_job_cache", "job_id",
			    "AND run_id = ?3", NULL);
}

/* --- runners --- */

static int
put_runner(dk_store *store, const char *repo, const void *rows, size_t i, int64_t now,
	   int64_t *id)
{
	const dk_gitea_runner *r = (const dk_gitea_runner *)rows + i;
	sqlite3_stmt *st = NULL;
	size_t len = 1;
	char *labels;
	int rc;

	*id = r->id;
	for (size_t k = 0; k < r->nlabels; k++)
		len += strlen(r->labels[k]) + 1;
	if (!(labels = calloc(1, len)))
		return dk_error_set(DK_ENOMEM, "out of memory");
	for (size_t k = 0; k < r->nlabels; k++) {
		if (k)
			strcat(labels, ",");
		strcat(labels, r->labels[k]);
	}
	if ((rc = dk_store__prepare(store, &st, "INSERT OR REPLACE INTO gitea_runner_cache"
				    " (repo, runner_id, name, labels, online, busy, fetched_at)"
				    " VALUES (?, ?, ?, ?, ?, ?, ?)")) == 0) {
		dk_store__bind_text(st, 1, repo);
		sqlite3_bind_int64(st, 2, r->id);
		dk_store__bind_text(st, 3, r->name ? r->name : "");
		dk_store__bind_text(st, 4, labels);
		sqlite3_bind_int(st, 5, r->status && strcmp(r->status, "online") == 0);
		sqlite3_bind_int(st, 6, r->busy);
		sqlite3_bind_int64(st, 7, now);
		rc = step_done(store, st, "caching a Gitea runner");
	}
	free(labels);
	return rc;
}

int
dk_store_runner_cache_replace(dk_store *store, const char *repo, const dk_gitea_runner *runners,
			      size_t count, int64_t now)
{
	return replace_rows(store, repo, runners, count, now, put_runner, "gitea_runner_cache",
			    "runner_id", "", NULL);
}

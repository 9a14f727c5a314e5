#ifndef DISKOPS_POLLER_H
#define DISKOPS_POLLER_H

#include <stdbool.h>
#include <stdint.h>

#include "diskops/config.h"
#include "diskops/gitea.h"
#include "diskops/model.h"
#include "diskops/store.h"

/*
 * The Gitea poller (DESIGN §7, §8): every [gitea] poll_seconds `serve` refreshes, for each
 * platform's build repo, the recent runs and their jobs (gitea_run_cache,
 * gitea_job_cache) and the runner list (gitea_runner_cache), which the agent's rules
 * run_overdue, queued_no_runner, webhook_missing and runner_offline read. When Gitea does
 * not answer (connection refused, timeout, 5xx, a reply that is not JSON) the poller backs
 * off exponentially up to DK_POLLER_MAX_DELAY and opens the alert gitea_unreachable in
 * every account with a build repo; the first pass that gets through resolves it.
 * gitea_status holds what the console shows: reachable, version, last poll, next poll.
 */

#define DK_POLLER_MAX_DELAY 600         /* seconds: the backoff's ceiling */
#define DK_POLLER_RECENT_RUNS 50        /* runs per repo kept fresh (one page) */

typedef struct dk_poller dk_poller;

typedef struct {
	bool reachable;         /* Gitea answered this pass */
	int repos;              /* build repos refreshed */
	int repo_errors;        /* repos Gitea answered about with an error (401/403/404...) */
	int runs;               /* runs cached this pass */
	int jobs_fetched;       /* runs whose jobs were fetched (the ones not finished) */
	int runners;
	int alert_opened;       /* accounts where gitea_unreachable was opened */
	int alert_resolved;
	int64_t next_delay;     /* seconds until the next pass */
} dk_poller_report;

/* The poller keeps its backoff between passes; the Gitea URL and token come from cfg. */
int dk_poller_new(dk_poller **out, const dk_config *cfg);
void dk_poller_free(dk_poller *p);

/*
 * One pass at dk_clock_now(). Returns 0 when the pass ran, whatever Gitea said (that is
 * in the report, the store and the alerts); < 0 only when the store failed. Without a
 * [gitea] url it does nothing.
 */
int dk_poller_once(dk_poller *p, dk_store *store, dk_poller_report *report);

/* Checked between repos: a pass ends early (as if done) once it returns true. */
void dk_poller_set_cancel(dk_poller *p, bool (*cancelled)(void *arg), void *arg);

/* Seconds the serve thread waits before the next pass: poll_seconds while Gitea
 * answers, then poll_seconds * 2^(failures), capped at DK_POLLER_MAX_DELAY. */
int64_t dk_poller_delay(const dk_poller *p);
int dk_poller_failures(const dk_poller *p);

/* --- the rows it writes (core/store_gitea_cache.c) --- */

typedef struct {
	char *url;
	bool reachable;
	char *version;          /* "1.27.0"; the last one seen when unreachable */
	char *last_error;       /* NULL after a clean pass */
	int failures;           /* consecutive failed passes */
	int repos;
	int64_t last_poll_at, last_ok_at, next_poll_at;
} dk_gitea_status;

/* DK_ENOTFOUND until the poller ran once. */
int dk_store_gitea_status_get(dk_store *store, dk_gitea_status **out);
int dk_store_gitea_status_put(dk_store *store, const dk_gitea_status *s);
void dk_gitea_status_free(dk_gitea_status *s);

typedef struct {
	char *repo;
	int64_t run_id, run_number;
	char *workflow, *title, *event, *status, *conclusion, *head_sha, *head_branch, *html_url;
	char *labels;           /* the jobs' runs-on labels, comma-separated */
	int64_t started_at, completed_at;
	int64_t created_at;     /* first time the run was seen queued (Gitea gives no created_at) */
	int64_t fetched_at;
} dk_cached_run;

DK_DEFINE_LIST(dk_cached_run)
void dk_cached_run_clear(dk_cached_run *r);
void dk_cached_run_list_free(dk_cached_run_list *l);

typedef struct {
	char *repo;
	int64_t job_id, run_id;
	char *name, *status, *conclusion, *labels, *runner_name;
	int64_t created_at, started_at, completed_at, fetched_at;
} dk_cached_job;

/* Every distinct build repo ("owner/repo") of every account's platforms, sorted. */
int dk_store_build_repos(dk_store *store, char ***out, size_t *count);
/* Accounts with at least one platform building in a repo (the alert goes there). */
int dk_store_build_repo_accounts(dk_store *store, char ***out, size_t *count);
void dk_strv_free(char **v, size_t count);

/* The cached runs of a repo, newest first. */
int dk_store_run_cache_list(dk_store *store, dk_cached_run_list **out, const char *repo);
/* Makes the repo's cached runs exactly `runs` (rows no longer listed are dropped). */
int dk_store_run_cache_replace(dk_store *store, const char *repo, const dk_cached_run *runs,
			       size_t count);
/* Makes the run's cached jobs exactly `jobs`. */
int dk_store_job_cache_replace(dk_store *store, const char *repo, int64_t run_id,
			       const dk_cached_job *jobs, size_t count);
/* Makes the repo's cached runners exactly `runners`. */
int dk_store_runner_cache_replace(dk_store *store, const char *repo,
				  const dk_gitea_runner *runners, size_t count, int64_t now);

#endif

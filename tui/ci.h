#ifndef DISKOPS_TUI_CI_H
#define DISKOPS_TUI_CI_H

/*
 * Gitea in the console: a worker thread (its own dk_gitea handle) polls the workflow
 * runs of every platform's build repo, the jobs of the run being looked at and the log
 * of the job being read, and hands each result to the loop thread as a snapshot
 * (loop_post). Network I/O never happens on the input path; views draw only what the
 * last snapshot holds.
 */

#include <stdbool.h>
#include <stdint.h>

#include "diskops/gitea.h"

struct console;
struct view;

struct ci_repo_runs {
	char platform[128];
	char repo[160];                 /* owner/name */
	dk_gitea_run_list *runs;        /* NULL when the last fetch failed */
	char error[256];
};

struct ci_runs {
	struct ci_repo_runs *repos;
	size_t n;
	int64_t fetched_at;             /* wall clock */
};

struct ci_jobs {
	char repo[160];
	int64_t run_id;
	dk_gitea_job_list *jobs;        /* NULL when the fetch failed */
	char error[256];
};

/* New log bytes of the job being followed, or a state worth saying. */
struct ci_log {
	char repo[160];
	int64_t job_id;
	char *data;
	size_t len;
	dk_gitea_log_state state;
	bool finished;                  /* the job completed and every byte has been read */
	char conclusion[32];
	char error[256];
};

/* "" when the console can talk to Gitea, else why not (for the runs view). */
const char *console_ci_unavailable(const struct console *c);
const struct ci_runs *console_ci_runs(const struct console *c);
/* True when those runs are serve's poller's (the store), not the console's own fetch. */
bool console_ci_runs_cached(const struct console *c);
/* The jobs of run_id in repo, when the worker has fetched them. */
const struct ci_jobs *console_ci_jobs(const struct console *c, const char *repo, int64_t run_id);
/* What the worker polls besides the runs: one run's jobs, one job's log (from offset).
 * run_id/job_id 0 stops it. */
void console_ci_watch_run(struct console *c, const char *repo, int64_t run_id);
void console_ci_watch_log(struct console *c, const char *repo, int64_t job_id, uint64_t offset);
/* The build repo of the platform that owns the job, for `:logs JOB`: the first platform
 * with a build repo when nothing says better. NULL when none. */
const char *console_ci_default_repo(const struct console *c);

/* views/runs.c, shared with views/jobs.c: "running" or the conclusion; "4m12s" (to 0: now). */
const char *run_status_text(const char *status, const char *conclusion);
const char *run_duration(char *buf, size_t len, int64_t from, int64_t to);

/* Where job logs are cached while the console reads them (<state dir>/cache). */
const char *console_ci_cache_dir(const struct console *c);

/* A one-shot call for the worker thread (a dispatch, a file read): work() runs there with
 * the worker's Gitea handle, then done() on the loop thread; done(NULL, arg) when the
 * console closes first, to free arg. DK_ESTATE (with why) when there is no worker. */
int console_ci_task(struct console *c, void (*work)(dk_gitea *g, void *arg),
		    void (*done)(struct console *c, void *arg), void *arg);
/* Polls the runs now rather than at the next tick (after a dispatch). */
void console_ci_refresh_runs(struct console *c);

/* tui/ci.c, for the engine */
int ci_start(struct console *c);
void ci_stop(struct console *c);
/* The platforms' build repos changed (a new store snapshot). */
void ci_sync_repos(struct console *c);
/* Each loop turn: where runs come from (serve's cache while it is fresh, else Gitea while
 * a runs, jobs or job-log view is up) and what the worker fetches. */
void ci_update(struct console *c);

/* views/log.c: the worker's log bytes reach the log view of that job. Takes data. */
void log_view_feed(struct console *c, struct ci_log *msg);
/* The view is the log of a Gitea job (not a local file). */
bool log_view_follows_job(const struct view *v);

#endif

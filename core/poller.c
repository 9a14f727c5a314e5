/*
 * The Gitea poller: one pass refreshes the run, job and runner caches of every build repo
 * and records whether Gitea answered. The thread that repeats it lives in serve_poller.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "diskops/agent.h"
#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/event.h"
#include "diskops/log.h"
#include "diskops/poller.h"
#include "diskops/status.h"

#define RULE "gitea_unreachable"
#define REQUEST_TIMEOUT_MS 15000

struct dk_poller {
	const dk_config *cfg;
	int failures;           /* consecutive passes Gitea did not answer */
	char *version;          /* the last version Gitea reported */
	bool (*cancelled)(void *arg);
	void *cancel_arg;
};

void
dk_poller_set_cancel(dk_poller *p, bool (*cancelled)(void *arg), void *arg)
{
	p->cancelled = cancelled;
	p->cancel_arg = arg;
}

int
dk_poller_new(dk_poller **out, const dk_config *cfg)
{
	dk_poller *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p)
		return dk_error_set(DK_ENOMEM, "out of memory");
	p->cfg = cfg;
	*out = p;
	return 0;
}

void
dk_poller_free(dk_poller *p)
{
	if (!p)
		return;
	free(p->version);
	free(p);
}

int
dk_poller_failures(const dk_poller *p)
{
	return p->failures;
}

int64_t
dk_poller_delay(const dk_poller *p)
{
	int64_t base = p->cfg->gitea_poll_seconds > 0 ? p->cfg->gitea_poll_seconds : 30;
	int64_t d = base;

	for (int i = 0; i < p->failures && d < DK_POLLER_MAX_DELAY; i++)
		d *= 2;
	if (d > DK_POLLER_MAX_DELAY)
		d = base > DK_POLLER_MAX_DELAY ? base : DK_POLLER_MAX_DELAY;
	return d;
}

/* The URL as shown to operators: without any user:password@ part. */
static char *
public_url(const char *url)
{
	const char *scheme = strstr(url, "://"), *host = scheme ? scheme + 3 : url;
	const char *at = strchr(host, '@'), *slash = strchr(host, '/');
	char *out;

	if (!at || (slash && slash < at))
		return strdup(url);
	if (asprintf(&out, "%.*s%s", (int)(host - url), url, at + 1) < 0)
		return NULL;
	return out;
}

/*
 * A failure means Gitea could not be used at all: no reply, a server error, or a reply
 * that was not what Gitea sends. A 4xx is Gitea answering about one repo.
 */
static bool
unreachable(dk_gitea *g)
{
	long st = dk_gitea_last_status(g);

	return st == 0 || st >= 500 || (st >= 200 && st < 300);
}

static bool
done_status(const char *s)
{
	return s && dk_gitea_status_done(s);
}

static const dk_cached_run *
find_prev(const dk_cached_run_list *prev, int64_t id)
{
	for (size_t i = 0; prev && i < prev->count; i++)
		if (prev->items[i].run_id == id)
			return &prev->items[i];
	return NULL;
}

static bool
same(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Appends each label not there yet to a comma-separated set. */
static int
add_labels(char **set, char *const *labels, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *grown;
		size_t have = *set ? strlen(*set) : 0;
		bool dup = false;

		for (char *p = *set; p && *p;) {
			size_t len = strcspn(p, ",");

			if (len == strlen(labels[i]) && strncmp(p, labels[i], len) == 0)
				dup = true;
			p += len + (p[len] == ',');
		}
		if (dup)
			continue;
		if (!(grown = realloc(*set, have + strlen(labels[i]) + 2)))
			return dk_error_set(DK_ENOMEM, "out of memory");
		snprintf(grown + have, strlen(labels[i]) + 2, "%s%s", have ? "," : "", labels[i]);
		*set = grown;
	}
	return 0;
}

/* The run's jobs into gitea_job_cache; the run row gets their labels and first times. */
static int
refresh_jobs(dk_gitea *g, dk_store *store, dk_cached_run *c, const char *owner, const char *name,
	     const char *repo, int64_t now, bool *gitea_failed)
{
	dk_gitea_job_list *jobs = NULL;
	dk_cached_job *rows = NULL;
	int rc;

	if ((rc = dk_gitea_job_list_get(g, &jobs, owner, name, c->run_id)) < 0) {
		*gitea_failed = true;
		return rc;
	}
	if (jobs->count && !(rows = calloc(jobs->count, sizeof(*rows)))) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < jobs->count; i++) {
		dk_gitea_job *j = &jobs->items[i];
		char *labels = NULL;

		if ((rc = add_labels(&labels, j->labels, j->nlabels)) < 0 ||
		    (rc = add_labels(&c->labels, j->labels, j->nlabels)) < 0) {
			free(labels);
			goto done;
		}
		rows[i] = (dk_cached_job){
			.job_id = j->id, .run_id = c->run_id, .name = j->name, .status = j->status,
			.conclusion = j->conclusion, .labels = labels, .runner_name = j->runner_name,
			.created_at = j->created_at, .started_at = j->started_at,
			.completed_at = j->completed_at, .fetched_at = now,
		};
		if (j->created_at > 0 && (!c->created_at || j->created_at < c->created_at))
			c->created_at = j->created_at;
		if (!c->started_at && j->started_at > 0)
			c->started_at = j->started_at;
	}
	rc = dk_store_job_cache_replace(store, repo, c->run_id, rows, jobs->count);
done:
	for (size_t i = 0; rows && i < jobs->count; i++)
		free(rows[i].labels);
	free(rows);
	dk_gitea_job_list_free(jobs);
	return rc;
}

static int
refresh_runs(dk_gitea *g, dk_store *store, const char *owner, const char *name, const char *repo,
	     int64_t now, dk_poller_report *rep, bool *gitea_failed)
{
	dk_gitea_run_filter f = { .max = DK_POLLER_RECENT_RUNS };
	dk_cached_run_list *prev = NULL;
	dk_gitea_run_list *runs = NULL;
	dk_cached_run *rows = NULL;
	size_t n = 0;
	int rc;

	if ((rc = dk_store_run_cache_list(store, &prev, repo)) < 0)
		return rc;
	if ((rc = dk_gitea_run_list_get(g, &runs, owner, name, &f)) < 0) {
		*gitea_failed = true;
		goto done;
	}
	if (runs->count && !(rows = calloc(runs->count, sizeof(*rows)))) {
		rc = dk_error_set(DK_ENOMEM, "out of memory");
		goto done;
	}
	for (n = 0; n < runs->count; n++) {
		dk_gitea_run *r = &runs->items[n];
		dk_cached_run *c = &rows[n];
		const dk_cached_run *old = find_prev(prev, r->id);
		size_t at = strcspn(r->path ? r->path : "", "@");

		*c = (dk_cached_run){
			.run_id = r->id, .run_number = r->run_number, .title = r->display_title, .event = r->event,
			.status = r->status, .conclusion = r->conclusion, .head_sha = r->head_sha,
			.head_branch = r->head_branch, .html_url = r->html_url,
			.started_at = r->started_at, .completed_at = r->completed_at, .fetched_at = now,
		};
		if (!(c->workflow = strndup(r->path ? r->path : "", at))) {
			rc = dk_error_set(DK_ENOMEM, "out of memory");
			goto done;
		}
		/* Jobs of a finished run do not change: fetched once, when it finished. */
		if (!old || !done_status(r->status) || !same(old->status, r->status) ||
		    !same(old->conclusion, r->conclusion)) {
			if ((rc = refresh_jobs(g, store, c, owner, name, repo, now, gitea_failed)) < 0) {
				n++;
				goto done;
			}
			rep->jobs_fetched++;
		} else if (old->labels && !(c->labels = strdup(old->labels))) {
			rc = dk_error_set(DK_ENOMEM, "out of memory");
			n++;
			goto done;
		}
		/* Gitea gives a run no creation time: the first sighting stands in for it. */
		if (old && old->created_at)
			c->created_at = old->created_at;
		else if (!c->created_at)
			c->created_at = c->started_at ? c->started_at : now;
	}
	if ((rc = dk_store_run_cache_replace(store, repo, rows, n)) == 0)
		rep->runs += (int)n;
done:
	for (size_t i = 0; i < n; i++) {
		free(rows[i].workflow);
		free(rows[i].labels);
	}
	free(rows);
	dk_gitea_run_list_free(runs);
	dk_cached_run_list_free(prev);
	return rc;
}

enum failure { FAIL_NONE, FAIL_STORE, FAIL_REPO, FAIL_DOWN };

static int
refresh_repo(dk_gitea *g, dk_store *store, const char *repo, int64_t now, dk_poller_report *rep,
	     enum failure *why)
{
	dk_gitea_runner_list *runners = NULL;
	char *owner = NULL, *name = NULL;
	bool gitea_failed = false;
	int rc;

	*why = FAIL_NONE;
	if ((rc = dk_gitea_split_repo(&owner, &name, repo)) < 0) {
		/* A platform's bad build_repo is that repo's problem, not the store's. */
		*why = FAIL_REPO;
		return rc;
	}
	/* Runs and jobs need 1.25; runners are there from 1.24. */
	if (dk_gitea_has(g, DK_GITEA_RUNS_API) &&
	    (rc = refresh_runs(g, store, owner, name, repo, now, rep, &gitea_failed)) < 0)
		goto done;
	if ((rc = dk_gitea_runner_list_get(g, &runners, owner, name)) < 0) {
		gitea_failed = true;
		goto done;
	}
	if ((rc = dk_store_runner_cache_replace(store, repo, runners->items, runners->count, now)) == 0)
		rep->runners += (int)runners->count;
done:
	if (rc < 0)
		*why = !gitea_failed ? FAIL_STORE : unreachable(g) ? FAIL_DOWN : FAIL_REPO;
	dk_gitea_runner_list_free(runners);
	free(owner);
	free(name);
	return rc;
}

static void
emit(dk_store *store, const char *account_id, const char *kind, const char *severity,
     const char *subject, const char *detail)
{
	json_t *payload = json_pack("{s:s, s:s, s:s}", "rule", RULE, "subject", subject,
				    "detail", detail ? detail : "");

	dk_event_emit(store, account_id, kind, severity, "poller", subject, payload);
	json_decref(payload);
}

/* Opens (or refreshes) gitea_unreachable where it matters, or resolves it everywhere. */
static int
update_alert(dk_store *store, const char *url, bool down, const char *detail, int64_t now,
	     dk_poller_report *rep)
{
	char **ids = NULL;
	size_t n = 0;
	int rc;

	if (down) {
		if ((rc = dk_store_build_repo_accounts(store, &ids, &n)) < 0)
			return rc;
		for (size_t i = 0; i < n && rc == 0; i++) {
			bool opened = false;

			rc = dk_store_alert_raise(store, ids[i], RULE, url, "error", detail, now, &opened);
			if (rc == 0 && opened) {
				rep->alert_opened++;
				emit(store, ids[i], "system.disk_image_alert_opened", "error", url, detail);
				dk_log_warn("msg=\"alert opened\" rule=%s subject=%s", RULE, url);
			}
		}
	} else {
		dk_account_list *accounts = NULL;

		if ((rc = dk_store_account_list(store, &accounts)) < 0)
			return rc;
		for (size_t i = 0; i < accounts->count && rc == 0; i++) {
			int resolved = 0;

			rc = dk_store_alert_resolve_except(store, accounts->items[i].id, RULE, NULL, 0,
							   now, &resolved);
			if (rc == 0 && resolved) {
				rep->alert_resolved += resolved;
				dk_log_info("msg=\"alert resolved\" rule=%s subject=%s", RULE, url);
			}
		}
		dk_account_list_free(accounts);
	}
	dk_strv_free(ids, n);
	return rc;
}

int
dk_poller_once(dk_poller *p, dk_store *store, dk_poller_report *rep)
{
	int64_t now = dk_clock_now();
	dk_gitea_status status = { 0 }, *old = NULL;
	dk_service_status service = { 0 };
	dk_gitea_version v;
	char **repos = NULL, *url = NULL, *error = NULL, detail[1024];
	size_t nrepos = 0;
	dk_gitea *g = NULL;
	bool down = false;
	int rc = 0;

	memset(rep, 0, sizeof(*rep));
	rep->next_delay = dk_poller_delay(p);
	if (!p->cfg->gitea_url || !*p->cfg->gitea_url)
		return 0;
	if (!(url = public_url(p->cfg->gitea_url)))
		return dk_error_set(DK_ENOMEM, "out of memory");
	/* A client per pass: the version is probed afresh, so an upgrade is noticed. */
	if (dk_gitea_open(&g, p->cfg->gitea_url, p->cfg->gitea_token) == 0)
		dk_gitea_set_timeout(g, REQUEST_TIMEOUT_MS);
	if (!g || dk_gitea_server_version(g, &v) < 0) {
		down = true;
		error = strdup(dk_error_last()->message);
	} else {
		free(p->version);
		p->version = strdup(v.text);
		if ((rc = dk_store_build_repos(store, &repos, &nrepos)) < 0)
			goto done;
	}
	for (size_t i = 0; i < nrepos && !down; i++) {
		enum failure why;

		if (p->cancelled && p->cancelled(p->cancel_arg))
			break;
		if ((rc = refresh_repo(g, store, repos[i], now, rep, &why)) == 0) {
			rep->repos++;
			continue;
		}
		if (why == FAIL_STORE)
			goto done;
		rc = 0;
		if (why == FAIL_DOWN) {
			down = true;
		} else {
			rep->repo_errors++;
			dk_log_warn("msg=\"gitea poll: repo skipped\" repo=%s error=\"%s\"", repos[i],
				    dk_error_last()->message);
		}
		if (!error)
			error = strdup(dk_error_last()->message);
	}
	p->failures = down ? p->failures + 1 : 0;
	rep->reachable = !down;
	rep->next_delay = dk_poller_delay(p);
	if (down)
		dk_log_warn("msg=\"gitea unreachable\" url=%s failures=%d next_try_s=%lld error=\"%s\"",
			    url, p->failures, (long long)rep->next_delay, error ? error : "");

	if ((rc = dk_store_gitea_status_get(store, &old)) < 0 && rc != DK_ENOTFOUND)
		goto done;
	status.url = url;
	status.reachable = !down;
	status.version = p->version ? p->version : (old ? old->version : NULL);
	status.last_error = error;
	status.failures = p->failures;
	status.repos = rep->repos;
	status.last_poll_at = now;
	status.last_ok_at = down ? (old ? old->last_ok_at : 0) : now;
	status.next_poll_at = now + rep->next_delay;
	snprintf(detail, sizeof(detail), "Gitea at %s does not answer (%d failed polls, next try in "
		 "%lld s): %s", url, p->failures, (long long)rep->next_delay, error ? error : "");
	if ((rc = dk_store_begin(store)) < 0)
		goto done;
	/* The status bars read every service from one table (diskops/status.h). */
	service.name = (char *)"gitea";
	service.ok = !down;
	service.detail = down ? error : (char *)status.version;
	service.checked_at = now;
	if ((rc = dk_store_gitea_status_put(store, &status)) < 0 ||
	    (rc = dk_store_service_status_put(store, &service)) < 0 ||
	    (rc = update_alert(store, url, down, detail, now, rep)) < 0) {
		dk_store_rollback(store);
		goto done;
	}
	rc = dk_store_commit(store);
done:
	dk_gitea_status_free(old);
	dk_strv_free(repos, nrepos);
	dk_gitea_free(g);
	free(error);
	free(url);
	return rc;
}

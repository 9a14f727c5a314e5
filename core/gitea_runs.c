/* Workflows, dispatch, runs and jobs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diskops/error.h"
#include "gitea_internal.h"

bool
dk_gitea_status_done(const char *status)
{
	return status && strcmp(status, "completed") == 0;
}

/* --- workflows --- */

void
dk_gitea_workflow_list_free(dk_gitea_workflow_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++) {
		free(l->items[i].id);
		free(l->items[i].name);
		free(l->items[i].path);
		free(l->items[i].state);
		free(l->items[i].html_url);
	}
	free(l->items);
	free(l);
}

static int
add_workflow(json_t *item, void *ctx)
{
	dk_gitea_workflow_list *l = ctx;
	dk_gitea_workflow *grown = realloc(l->items, (l->count + 1) * sizeof(*grown)), *w;

	if (!grown)
		return gitea_oom();
	l->items = grown;
	w = &l->items[l->count++];
	w->id = gitea_jstr(item, "id");
	w->name = gitea_jstr(item, "name");
	w->path = gitea_jstr(item, "path");
	w->state = gitea_jstr(item, "state");
	w->html_url = gitea_jstr(item, "html_url");
	return w->id && w->name && w->path && w->state && w->html_url ? 0 : gitea_oom();
}

int
dk_gitea_workflow_list_get(dk_gitea *g, dk_gitea_workflow_list **out, const char *owner,
			   const char *repo)
{
	dk_gitea_workflow_list *l = calloc(1, sizeof(*l));
	char *path = gitea_repo_path(owner, repo, "/actions/workflows"), what[300];
	int rc;

	*out = NULL;
	if (!l || !path) {
		rc = gitea_oom();
		goto done;
	}
	snprintf(what, sizeof(what), "workflows of %s/%s", owner, repo);
	if ((rc = gitea_list(g, path, "workflows", 0, add_workflow, l, NULL, what, 0)) < 0)
		goto done;
	*out = l;
	l = NULL;
done:
	dk_gitea_workflow_list_free(l);
	free(path);
	return rc;
}

/* --- runs --- */

static void
run_clear(dk_gitea_run *r)
{
	free(r->path);
	free(r->event);
	free(r->display_title);
	free(r->head_branch);
	free(r->head_sha);
	free(r->actor);
	free(r->status);
	free(r->conclusion);
	free(r->url);
	free(r->html_url);
}

void
dk_gitea_run_free(dk_gitea_run *r)
{
	if (!r)
		return;
	run_clear(r);
	free(r);
}

void
dk_gitea_run_list_free(dk_gitea_run_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++)
		run_clear(&l->items[i]);
	free(l->items);
	free(l);
}

static int
run_fill(dk_gitea_run *r, json_t *j)
{
	memset(r, 0, sizeof(*r));
	r->id = gitea_jint(j, "id");
	r->run_number = gitea_jint(j, "run_number");
	r->run_attempt = gitea_jint(j, "run_attempt");
	r->path = gitea_jstr(j, "path");
	r->event = gitea_jstr(j, "event");
	r->display_title = gitea_jstr(j, "display_title");
	r->head_branch = gitea_jstr(j, "head_branch");
	r->head_sha = gitea_jstr(j, "head_sha");
	r->actor = gitea_jstr(json_object_get(j, "actor"), "login");
	r->status = gitea_jstr(j, "status");
	r->conclusion = gitea_jstr(j, "conclusion");
	r->url = gitea_jstr(j, "url");
	r->html_url = gitea_jstr(j, "html_url");
	r->started_at = gitea_jtime(j, "started_at");
	r->completed_at = gitea_jtime(j, "completed_at");
	if (!r->path || !r->event || !r->display_title || !r->head_branch || !r->head_sha ||
	    !r->actor || !r->status || !r->conclusion || !r->url || !r->html_url)
		return gitea_oom();
	if (!json_is_object(j) || r->id <= 0)
		return dk_error_set(DK_ERROR, "Gitea sent a run without an id");
	return 0;
}

static int
add_run(json_t *item, void *ctx)
{
	dk_gitea_run_list *l = ctx;
	dk_gitea_run *grown = realloc(l->items, (l->count + 1) * sizeof(*grown));

	if (!grown)
		return gitea_oom();
	l->items = grown;
	return run_fill(&l->items[l->count++], item);
}

static int
append_query(char **q, const char *key, const char *value)
{
	char *esc = gitea_escape(value), *grown = NULL;

	if (!esc)
		return gitea_oom();
	if (asprintf(&grown, "%s%c%s=%s", *q, strchr(*q, '?') ? '&' : '?', key, esc) < 0)
		grown = NULL;
	free(esc);
	if (!grown)
		return gitea_oom();
	free(*q);
	*q = grown;
	return 0;
}

int
dk_gitea_run_list_get(dk_gitea *g, dk_gitea_run_list **out, const char *owner, const char *repo,
		      const dk_gitea_run_filter *f)
{
	static const dk_gitea_run_filter none = { 0 };
	dk_gitea_run_list *l = NULL;
	char *path = NULL, what[300];
	int rc;

	*out = NULL;
	if (!f)
		f = &none;
	snprintf(what, sizeof(what), "workflow runs of %s/%s", owner, repo);
	if ((rc = gitea_require(g, DK_GITEA_RUNS_API, "listing workflow runs")) < 0)
		return rc;
	if (!(l = calloc(1, sizeof(*l))) || !(path = gitea_repo_path(owner, repo, "/actions/runs"))) {
		rc = gitea_oom();
		goto done;
	}
	if ((f->event && *f->event && (rc = append_query(&path, "event", f->event)) < 0) ||
	    (f->branch && *f->branch && (rc = append_query(&path, "branch", f->branch)) < 0) ||
	    (f->actor && *f->actor && (rc = append_query(&path, "actor", f->actor)) < 0) ||
	    (f->head_sha && *f->head_sha && (rc = append_query(&path, "head_sha", f->head_sha)) < 0))
		goto done;
	for (size_t i = 0; f->status && f->status[i]; i++) {
		if ((rc = append_query(&path, "status", f->status[i])) < 0)
			goto done;
	}
	if ((rc = gitea_list(g, path, "workflow_runs", f->max ? f->max : 50, add_run, l,
			     &l->total_count, what, 0)) < 0)
		goto done;
	*out = l;
	l = NULL;
done:
	dk_gitea_run_list_free(l);
	free(path);
	return rc;
}

int
dk_gitea_run_get(dk_gitea *g, dk_gitea_run **out, const char *owner, const char *repo,
		 int64_t run_id)
{
	char *path = NULL, what[300];
	dk_gitea_run *r = NULL;
	json_t *j = NULL;
	int rc;

	*out = NULL;
	snprintf(what, sizeof(what), "run %lld in %s/%s", (long long)run_id, owner, repo);
	if ((rc = gitea_require(g, DK_GITEA_RUNS_API, "reading a workflow run")) < 0)
		return rc;
	if (!(path = gitea_repo_path(owner, repo, "/actions/runs/%lld", (long long)run_id)) ||
	    !(r = calloc(1, sizeof(*r)))) {
		rc = gitea_oom();
		goto done;
	}
	if ((rc = gitea_do(g, &j, path, NULL, (const long[]){ 200, 0 }, what, 0)) < 0 ||
	    (rc = run_fill(r, j)) < 0)
		goto done;
	*out = r;
	r = NULL;
done:
	dk_gitea_run_free(r);
	json_decref(j);
	free(path);
	return rc;
}

/* --- dispatch --- */

void
dk_gitea_dispatch_result_free(dk_gitea_dispatch_result *r)
{
	if (!r)
		return;
	free(r->run_url);
	free(r->html_url);
	free(r);
}

static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The newest run id before we dispatch: the run we start must be above it. */
static int
newest_run_id(dk_gitea *g, int64_t *out, const char *owner, const char *repo)
{
	dk_gitea_run_filter f = { .max = 1 };
	dk_gitea_run_list *l = NULL;
	int rc;

	*out = 0;
	if ((rc = dk_gitea_run_list_get(g, &l, owner, repo, &f)) < 0)
		return rc;
	if (l->count)
		*out = l->items[0].id;
	dk_gitea_run_list_free(l);
	return 0;
}

/* Before 1.26 (gitea-api.md §9): poll the newest workflow_dispatch runs of the branch for
 * the first one above `after` whose path is "<file>@...". */
static int
find_dispatched_run(dk_gitea *g, dk_gitea_dispatch_result *res, const char *owner,
		    const char *repo, const char *file, const char *branch, int64_t after,
		    int timeout_ms)
{
	dk_gitea_run_filter f = { .event = "workflow_dispatch", .branch = branch, .max = 10 };
	int64_t deadline = now_ms() + timeout_ms;
	size_t flen = strlen(file);
	int delay = 100, rc;

	for (;;) {
		dk_gitea_run_list *l = NULL;

		if ((rc = dk_gitea_run_list_get(g, &l, owner, repo, &f)) < 0)
			return rc;
		for (size_t i = l->count; i-- > 0;) {
			const dk_gitea_run *r = &l->items[i];

			/* Oldest first among the candidates: ours is the first above `after`. */
			if (r->id > after && strncmp(r->path, file, flen) == 0 && r->path[flen] == '@') {
				res->run_id = r->id;
				res->run_url = strdup(r->url);
				res->html_url = strdup(r->html_url);
				res->found_by_polling = true;
				dk_gitea_run_list_free(l);
				return res->run_url && res->html_url ? 0 : gitea_oom();
			}
		}
		dk_gitea_run_list_free(l);
		if (now_ms() >= deadline)
			return 0;
		sleep_ms(delay);
		if (delay < 1000)
			delay *= 2;
	}
}

int
dk_gitea_dispatch(dk_gitea *g, dk_gitea_dispatch_result **out, const char *owner,
		  const char *repo, const char *workflow, const dk_gitea_dispatch_opts *opts)
{
	static const dk_gitea_dispatch_opts none = { 0 };
	struct gitea_call call = { .method = "POST" };
	dk_gitea_dispatch_result *res = NULL;
	const char *file, *ref;
	char *esc = NULL, *path = NULL, what[400];
	json_t *inputs = NULL, *j = NULL;
	dk_gitea_version version;
	bool details, runs_api;
	int64_t before = 0;
	int rc;

	*out = NULL;
	if (!opts)
		opts = &none;
	if (!workflow || !*workflow)
		return dk_error_set(DK_EINVALID, "dispatch: no workflow file given");
	/* Gitea's {workflow_id} is the file name only, not a path. */
	file = strrchr(workflow, '/') ? strrchr(workflow, '/') + 1 : workflow;
	ref = opts->ref && *opts->ref ? opts->ref : "refs/heads/main";
	snprintf(what, sizeof(what), "dispatch %s on %s in %s/%s", file, ref, owner, repo);
	if (!(inputs = json_object()) || !(res = calloc(1, sizeof(*res)))) {
		rc = gitea_oom();
		goto done;
	}
	/* Gitea takes string inputs only. */
	for (size_t i = 0; opts->inputs && opts->inputs[i]; i++) {
		const char *eq = strchr(opts->inputs[i], '=');
		char *key;

		if (!eq || eq == opts->inputs[i]) {
			rc = dk_error_set(DK_EINVALID, "input \"%s\" is not key=value", opts->inputs[i]);
			goto done;
		}
		if (!(key = strndup(opts->inputs[i], (size_t)(eq - opts->inputs[i])))) {
			rc = gitea_oom();
			goto done;
		}
		json_object_set_new(inputs, key, json_string(eq + 1));
		free(key);
	}
	if ((rc = dk_gitea_server_version(g, &version)) < 0)
		goto done;
	details = dk_gitea_has(g, DK_GITEA_RUN_DETAILS);
	runs_api = dk_gitea_has(g, DK_GITEA_RUNS_API);
	if (!details && runs_api && (rc = newest_run_id(g, &before, owner, repo)) < 0)
		goto done;
	if (!(esc = gitea_escape(file)) ||
	    !(path = gitea_repo_path(owner, repo, "/actions/workflows/%s/dispatches%s", esc,
				     details ? "?return_run_details=true" : ""))) {
		rc = gitea_oom();
		goto done;
	}
	call.body = json_pack("{s:s, s:O}", "ref", ref, "inputs", inputs);
	if (!call.body) {
		rc = gitea_oom();
		goto done;
	}
	if ((rc = gitea_do(g, details ? &j : NULL, path, &call, (const long[]){ 200, 204, 0 }, what,
			   0)) < 0)
		goto done;
	if (details && rc == 200) {
		res->run_id = gitea_jint(j, "workflow_run_id");
		res->run_url = gitea_jstr(j, "run_url");
		res->html_url = gitea_jstr(j, "html_url");
		if (!res->run_url || !res->html_url) {
			rc = gitea_oom();
			goto done;
		}
	} else if (runs_api) {
		const char *branch = strncmp(ref, "refs/heads/", 11) == 0 ? ref + 11 :
				     strncmp(ref, "refs/tags/", 10) == 0 ? NULL : ref;

		if ((rc = find_dispatched_run(g, res, owner, repo, file, branch, before,
					      opts->find_timeout_ms > 0 ? opts->find_timeout_ms
									: 15000)) < 0)
			goto done;
	}
	rc = 0;
	*out = res;
	res = NULL;
done:
	dk_gitea_dispatch_result_free(res);
	json_decref(call.body);
	json_decref(inputs);
	json_decref(j);
	free(path);
	free(esc);
	return rc;
}

int
dk_gitea_run_rerun(dk_gitea *g, const char *owner, const char *repo, int64_t run_id)
{
	struct gitea_call call = { .method = "POST" };
	char *path, what[300];
	int rc;

	if ((rc = gitea_require(g, DK_GITEA_RERUN, "rerunning a workflow run")) < 0)
		return rc;
	if (!(path = gitea_repo_path(owner, repo, "/actions/runs/%lld/rerun", (long long)run_id)))
		return gitea_oom();
	snprintf(what, sizeof(what), "rerun run %lld in %s/%s", (long long)run_id, owner, repo);
	rc = gitea_do(g, NULL, path, &call, NULL, what, 0);
	free(path);
	return rc < 0 ? rc : 0;
}

int
dk_gitea_run_cancel(dk_gitea *g, const char *owner, const char *repo, int64_t run_id)
{
	struct gitea_call call = { .method = "POST" };
	dk_gitea_version v;
	char *path, what[300];
	int rc;

	if ((rc = dk_gitea_server_version(g, &v)) < 0)
		return rc;
	if (!dk_gitea_has(g, DK_GITEA_CANCEL))
		return dk_error_set(DK_EINVALID, "Gitea %s has no API to cancel a run (it arrives in "
				    "1.28): cancel run %lld in Gitea's web UI, or let the job's "
				    "timeout-minutes end it", v.text, (long long)run_id);
	if (!(path = gitea_repo_path(owner, repo, "/actions/runs/%lld/cancel", (long long)run_id)))
		return gitea_oom();
	snprintf(what, sizeof(what), "cancel run %lld in %s/%s", (long long)run_id, owner, repo);
	rc = gitea_do(g, NULL, path, &call, NULL, what, 0);
	free(path);
	return rc < 0 ? rc : 0;
}

/* --- jobs --- */

static void
job_clear(dk_gitea_job *j)
{
	free(j->name);
	free(j->status);
	free(j->conclusion);
	free(j->head_sha);
	free(j->head_branch);
	free(j->runner_name);
	free(j->html_url);
	for (size_t i = 0; i < j->nlabels; i++)
		free(j->labels[i]);
	free(j->labels);
	for (size_t i = 0; i < j->nsteps; i++) {
		free(j->steps[i].name);
		free(j->steps[i].status);
		free(j->steps[i].conclusion);
	}
	free(j->steps);
}

void
dk_gitea_job_free(dk_gitea_job *j)
{
	if (!j)
		return;
	job_clear(j);
	free(j);
}

void
dk_gitea_job_list_free(dk_gitea_job_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++)
		job_clear(&l->items[i]);
	free(l->items);
	free(l);
}

static int
job_fill(dk_gitea_job *job, json_t *j)
{
	json_t *labels = json_object_get(j, "labels"), *steps = json_object_get(j, "steps");

	memset(job, 0, sizeof(*job));
	job->id = gitea_jint(j, "id");
	job->run_id = gitea_jint(j, "run_id");
	job->runner_id = gitea_jint(j, "runner_id");
	job->run_attempt = gitea_jint(j, "run_attempt");
	job->name = gitea_jstr(j, "name");
	job->status = gitea_jstr(j, "status");
	job->conclusion = gitea_jstr(j, "conclusion");
	job->head_sha = gitea_jstr(j, "head_sha");
	job->head_branch = gitea_jstr(j, "head_branch");
	job->runner_name = gitea_jstr(j, "runner_name");
	job->html_url = gitea_jstr(j, "html_url");
	job->created_at = gitea_jtime(j, "created_at");
	job->started_at = gitea_jtime(j, "started_at");
	job->completed_at = gitea_jtime(j, "completed_at");
	if (!job->name || !job->status || !job->conclusion || !job->head_sha || !job->head_branch ||
	    !job->runner_name || !job->html_url)
		return gitea_oom();
	if (!json_is_object(j) || job->id <= 0)
		return dk_error_set(DK_ERROR, "Gitea sent a job without an id");
	if (json_array_size(labels) &&
	    !(job->labels = calloc(json_array_size(labels), sizeof(*job->labels))))
		return gitea_oom();
	for (size_t i = 0; i < json_array_size(labels); i++) {
		const char *s = json_string_value(json_array_get(labels, i));

		if (!(job->labels[job->nlabels++] = strdup(s ? s : "")))
			return gitea_oom();
	}
	if (json_array_size(steps) &&
	    !(job->steps = calloc(json_array_size(steps), sizeof(*job->steps))))
		return gitea_oom();
	for (size_t i = 0; i < json_array_size(steps); i++) {
		json_t *s = json_array_get(steps, i);
		dk_gitea_step *st = &job->steps[job->nsteps++];

		st->name = gitea_jstr(s, "name");
		st->number = gitea_jint(s, "number");
		st->status = gitea_jstr(s, "status");
		st->conclusion = gitea_jstr(s, "conclusion");
		st->started_at = gitea_jtime(s, "started_at");
		st->completed_at = gitea_jtime(s, "completed_at");
		if (!st->name || !st->status || !st->conclusion)
			return gitea_oom();
	}
	return 0;
}

static int
add_job(json_t *item, void *ctx)
{
	dk_gitea_job_list *l = ctx;
	dk_gitea_job *grown = realloc(l->items, (l->count + 1) * sizeof(*grown));

	if (!grown)
		return gitea_oom();
	l->items = grown;
	return job_fill(&l->items[l->count++], item);
}

int
dk_gitea_job_list_get(dk_gitea *g, dk_gitea_job_list **out, const char *owner, const char *repo,
		      int64_t run_id)
{
	dk_gitea_job_list *l = NULL;
	char *path = NULL, what[300];
	int rc;

	*out = NULL;
	snprintf(what, sizeof(what), "jobs of run %lld in %s/%s", (long long)run_id, owner, repo);
	if ((rc = gitea_require(g, DK_GITEA_RUNS_API, "listing a run's jobs")) < 0)
		return rc;
	if (!(l = calloc(1, sizeof(*l))) ||
	    !(path = gitea_repo_path(owner, repo, "/actions/runs/%lld/jobs", (long long)run_id))) {
		rc = gitea_oom();
		goto done;
	}
	if ((rc = gitea_list(g, path, "jobs", 0, add_job, l, &l->total_count, what, 0)) < 0)
		goto done;
	*out = l;
	l = NULL;
done:
	dk_gitea_job_list_free(l);
	free(path);
	return rc;
}

int
dk_gitea_job_get(dk_gitea *g, dk_gitea_job **out, const char *owner, const char *repo,
		 int64_t job_id)
{
	char *path = NULL, what[300];
	dk_gitea_job *job = NULL;
	json_t *j = NULL;
	int rc;

	*out = NULL;
	snprintf(what, sizeof(what), "job %lld in %s/%s", (long long)job_id, owner, repo);
	if ((rc = gitea_require(g, DK_GITEA_RUNS_API, "reading a job")) < 0)
		return rc;
	if (!(path = gitea_repo_path(owner, repo, "/actions/jobs/%lld", (long long)job_id)) ||
	    !(job = calloc(1, sizeof(*job)))) {
		rc = gitea_oom();
		goto done;
	}
	if ((rc = gitea_do(g, &j, path, NULL, (const long[]){ 200, 0 }, what, 0)) < 0 ||
	    (rc = job_fill(job, j)) < 0)
		goto done;
	*out = job;
	job = NULL;
done:
	dk_gitea_job_free(job);
	json_decref(j);
	free(path);
	return rc;
}

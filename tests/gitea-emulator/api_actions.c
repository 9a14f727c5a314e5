/* Actions: workflows, dispatch, runs, jobs, logs (Range), secrets, variables, runners. */
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulator.h"

/* --- workflows: files in the first of .gitea/workflows, .github/workflows that exists --- */

static const char *
workflow_dir(const struct repo *repo, const char *ref)
{
	static const char *dirs[] = { ".gitea/workflows", ".github/workflows" };

	for (size_t i = 0; i < 2; i++) {
		struct buf out = { 0 };
		char spec[600];
		const char *args[] = { "rev-parse", "--verify", "-q", spec, NULL };
		int rc;

		snprintf(spec, sizeof(spec), "%s:%s", ref, dirs[i]);
		rc = git_run(&out, repo->dir, NULL, 0, args);
		buf_free(&out);
		if (rc == 0)
			return dirs[i];
	}
	return NULL;
}

static char *
workflow_text(const struct repo *repo, const char *commit, const char *file)
{
	const char *dir = workflow_dir(repo, commit);
	struct buf out = { 0 };
	char spec[1200];
	const char *args[] = { "cat-file", "-p", spec, NULL };

	if (!dir)
		return NULL;
	snprintf(spec, sizeof(spec), "%s:%s/%s", commit, dir, file);
	if (git_run(&out, repo->dir, NULL, 0, args) != 0) {
		buf_free(&out);
		return NULL;
	}
	return out.data ? out.data : strdup("");
}

static void
h_workflows_list(struct req *r)
{
	struct repo *repo = req_repo(r, false, false);
	struct buf out = { 0 };
	json_t *list = json_array();
	const char *dir;
	char *base = api_base(), *save = NULL, spec[600];
	const char *args[] = { "ls-tree", "--name-only", spec, NULL };

	if (!repo) {
		json_decref(list);
		free(base);
		return;
	}
	if ((dir = workflow_dir(repo, repo->default_branch))) {
		snprintf(spec, sizeof(spec), "%s:%s", repo->default_branch, dir);
		git_run(&out, repo->dir, NULL, 0, args);
		for (char *f = out.data ? strtok_r(out.data, "\n", &save) : NULL; f;
		     f = strtok_r(NULL, "\n", &save)) {
			size_t n = strlen(f);

			if (n < 5 || (strcmp(f + n - 4, ".yml") != 0 && strcmp(f + n - 5, ".yaml") != 0))
				continue;
			json_array_append_new(list, json_pack("{s:s, s:s, s:o, s:s, s:s}", "id", f,
							      "name", f, "path",
							      json_sprintf("%s/%s", dir, f),
							      "state", "active", "html_url", base));
		}
	}
	reply(r, 200, json_pack("{s:I, s:o}", "total_count", (json_int_t)json_array_size(list),
				"workflows", list));
	buf_free(&out);
	free(base);
}

/* The first job's key (or its name:) and runs-on: enough YAML for the pipeline's template. */
static void
parse_job(const char *yml, char **name, char **labels)
{
	const char *p = strstr(yml, "\njobs:");

	*name = strdup("build");
	*labels = strdup("ubuntu-latest");
	if (!p)
		return;
	p = strchr(p + 1, '\n');
	while (p && *p) {
		const char *line = p + 1, *end = strchr(line, '\n');
		size_t indent = strspn(line, " ");
		size_t len = end ? (size_t)(end - line) : strlen(line);
		char *text = strndup(line + indent, len - indent);

		if (indent == 2 && text[0] && text[0] != '#' && strchr(text, ':')) {
			free(*name);
			*name = strndup(text, (size_t)(strchr(text, ':') - text));
		} else if (indent == 4 && strncmp(text, "name:", 5) == 0) {
			free(*name);
			*name = strdup(text + 5 + strspn(text + 5, " \"'"));
			(*name)[strcspn(*name, "\"'")] = '\0';
		} else if (indent == 4 && strncmp(text, "runs-on:", 8) == 0) {
			free(*labels);
			*labels = strdup(text + 8 + strspn(text + 8, " [\"'"));
			(*labels)[strcspn(*labels, "]\"'")] = '\0';
			for (char *c = *labels; *c; c++)
				if (*c == ' ')
					memmove(c, c + 1, strlen(c));
		} else if (indent == 0 && len > 0) {
			free(text);
			return;
		}
		free(text);
		p = end;
	}
}

static struct run *
new_run(struct repo *repo, const char *workflow, const char *ref, const char *sha,
	const char *event, const char *actor, json_t *inputs, const char *yml)
{
	struct run *run = calloc(1, sizeof(*run));
	struct job *job = calloc(1, sizeof(*job));
	struct buf title = { 0 };
	const char *args[] = { "log", "-1", "--format=%s", sha, NULL };

	git_run(&title, repo->dir, NULL, 0, args);
	while (title.len && title.data[title.len - 1] == '\n')
		title.data[--title.len] = '\0';
	run->id = emu.next_id++;
	run->number = repo->next_run_number++;
	run->repo = repo;
	run->workflow = strdup(workflow);
	run->ref = strdup(ref);
	run->event = strdup(event);
	run->sha = strdup(sha);
	run->title = title.data ? title.data : strdup("");
	run->actor = strdup(actor);
	run->inputs = inputs ? json_incref(inputs) : json_object();
	run->status = ST_WAITING;
	run->attempt = 1;
	run->created = now_unix();
	job->id = emu.next_id++;
	job->run_id = run->id;
	job->repo = repo;
	parse_job(yml, &job->name, &job->labels);
	job->status = ST_WAITING;
	job->attempt = 1;
	job->created = run->created;
	run->job = job;
	emu.runs = realloc(emu.runs, (emu.nruns + 1) * sizeof(*emu.runs));
	emu.runs[emu.nruns++] = run;
	return run;
}

static void
h_dispatch(struct req *r)
{
	struct repo *repo = req_repo(r, true, false);
	const char *ref = json_string_value(json_object_get(r->json, "ref"));
	const char *details = req_arg(r, "return_run_details");
	json_t *inputs = json_object_get(r->json, "inputs"), *v;
	char full[600], *sha = NULL, *yml = NULL;
	const char *key;
	struct run *run;

	if (!repo)
		return;
	if (!ref || !*ref) {
		reply_error(r, 422, "ref is required parameter");
		return;
	}
	/* refs/heads/X and refs/tags/X as given; anything else is a branch name. */
	if (strncmp(ref, "refs/heads/", 11) == 0 || strncmp(ref, "refs/tags/", 10) == 0)
		snprintf(full, sizeof(full), "%s", ref);
	else
		snprintf(full, sizeof(full), "refs/heads/%s", ref);
	if (!(sha = git_rev(repo, full))) {
		reply_error(r, 404, "ref \"%s\" doesn't exist", ref);
		return;
	}
	if (!(yml = workflow_text(repo, sha, r->params[2]))) {
		reply_error(r, 404, "workflow \"%s\" not found", r->params[2]);
		goto done;
	}
	if (!strstr(yml, "workflow_dispatch")) {
		reply_error(r, 422, "workflow \"%s\" has no workflow_dispatch event trigger",
			    r->params[2]);
		goto done;
	}
	json_object_foreach(inputs, key, v) {
		if (!json_is_string(v)) {
			reply_error(r, 422, "[Inputs]: %s must be a string", key);
			goto done;
		}
	}
	run = new_run(repo, r->params[2], full, sha, "workflow_dispatch", r->user->login, inputs,
		      yml);
	runner_start(run);
	if (emu.version >= 126 && details && strcmp(details, "true") == 0) {
		json_t *j = run_json(run);

		reply(r, 200, json_pack("{s:I, s:O, s:O}", "workflow_run_id", (json_int_t)run->id,
					"run_url", json_object_get(j, "url"),
					"html_url", json_object_get(j, "html_url")));
		json_decref(j);
	} else {
		reply(r, 204, NULL);
	}
done:
	free(sha);
	free(yml);
}

/* --- tag pushes: on: push: tags: [patterns] --- */

/* The patterns under "push:" → "tags:", inline ([a, b] or 'a') or as a "- x" list. */
static size_t
tag_patterns(const char *yml, char **out, size_t max)
{
	const char *push = strstr(yml, "push:"), *tags, *p;
	size_t n = 0;

	if (!push || !(tags = strstr(push, "tags:")))
		return 0;
	p = tags + 5;
	p += strspn(p, " ");
	if (*p && *p != '\n') {
		/* inline: strip [ ] and quotes, split on commas */
		size_t len = strcspn(p, "\n");
		char *line = strndup(p, len), *save = NULL;

		for (char *t = strtok_r(line, "[],", &save); t && n < max; t = strtok_r(NULL, "[],", &save)) {
			t += strspn(t, " '\"");
			t[strcspn(t, "'\"")] = '\0';
			while (*t && t[strlen(t) - 1] == ' ')
				t[strlen(t) - 1] = '\0';
			if (*t)
				out[n++] = strdup(t);
		}
		free(line);
		return n;
	}
	while ((p = strchr(p, '\n')) && n < max) {
		const char *item;
		size_t len;

		p++;
		item = p + strspn(p, " ");
		if (strncmp(item, "- ", 2) != 0)
			break;
		item += 2 + strspn(item + 2, " '\"");
		len = strcspn(item, "'\"\n");
		while (len && item[len - 1] == ' ')
			len--;
		out[n++] = strndup(item, len);
	}
	return n;
}

/*
 * Called after a git push (lock held): every tag that is new or moved starts the
 * workflows of its commit whose "on: push" lists a matching tags: pattern. Branch pushes
 * start nothing here: the pipeline's builds are dispatched or tag-triggered.
 */
void
push_triggers(struct repo *repo, const char *pusher)
{
	struct buf refs = { 0 };
	const char *args[] = { "for-each-ref", "--format=%(refname) %(objectname) %(*objectname)",
			       "refs/tags", NULL };
	char *save = NULL;

	git_run(&refs, repo->dir, NULL, 0, args);
	for (char *line = refs.data ? strtok_r(refs.data, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		char ref[512] = "", obj[64] = "", peeled[64] = "", *sha;
		struct kv *known = NULL;
		const char *dir;
		struct buf files = { 0 };
		char spec[700], *fsave = NULL;
		const char *ls[] = { "ls-tree", "--name-only", spec, NULL };

		if (sscanf(line, "%511s %63s %63s", ref, obj, peeled) < 2)
			continue;
		sha = peeled[0] ? peeled : obj;
		for (size_t i = 0; i < repo->ntags; i++) {
			if (strcmp(repo->tags[i].name, ref) == 0)
				known = &repo->tags[i];
		}
		if (known && strcmp(known->value, sha) == 0)
			continue;
		if (known) {
			free(known->value);
			known->value = strdup(sha);
		} else {
			repo->tags = realloc(repo->tags, (repo->ntags + 1) * sizeof(*repo->tags));
			known = &repo->tags[repo->ntags++];
			memset(known, 0, sizeof(*known));
			known->name = strdup(ref);
			known->value = strdup(sha);
		}
		if (!(dir = workflow_dir(repo, sha)))
			continue;
		snprintf(spec, sizeof(spec), "%s:%s", sha, dir);
		git_run(&files, repo->dir, NULL, 0, ls);
		for (char *f = files.data ? strtok_r(files.data, "\n", &fsave) : NULL; f;
		     f = strtok_r(NULL, "\n", &fsave)) {
			char *yml = workflow_text(repo, sha, f), *pats[16];
			size_t np = yml ? tag_patterns(yml, pats, 16) : 0;
			bool match = false;

			for (size_t i = 0; i < np; i++) {
				match = match || fnmatch(pats[i], ref + 10, FNM_PATHNAME) == 0 ||
					(strstr(pats[i], "**") && fnmatch(pats[i], ref + 10, 0) == 0);
				free(pats[i]);
			}
			if (match)
				runner_start(new_run(repo, f, ref, sha, "push", pusher, NULL, yml));
			free(yml);
		}
		buf_free(&files);
	}
	buf_free(&refs);
}

/* --- runs and jobs --- */

/* The filter words of shared/action.go (convertToInternal); 0 for an unknown word. */
static int
status_filter(const char *w, int st)
{
	if (!strcmp(w, "pending") || !strcmp(w, "waiting") || !strcmp(w, "requested") ||
	    !strcmp(w, "action_required"))
		return st == ST_BLOCKED ? 1 : -1;
	if (!strcmp(w, "queued"))
		return st == ST_WAITING ? 1 : -1;
	if (!strcmp(w, "in_progress"))
		return st == ST_RUNNING ? 1 : -1;
	if (!strcmp(w, "completed"))
		return status_done(st) ? 1 : -1;
	if (!strcmp(w, "success"))
		return st == ST_SUCCESS ? 1 : -1;
	if (!strcmp(w, "failure"))
		return st == ST_FAILURE ? 1 : -1;
	if (!strcmp(w, "skipped") || !strcmp(w, "neutral"))
		return st == ST_SKIPPED ? 1 : -1;
	if (!strcmp(w, "cancelled") || !strcmp(w, "timed_out"))
		return st == ST_CANCELLED ? 1 : -1;
	return 0;
}

static bool
status_ok(struct req *r, int st, bool *bad)
{
	const char *words[16];
	size_t n = req_args(r, "status", words, 16);

	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++) {
		int m = status_filter(words[i], st);

		if (m == 0) {
			*bad = true;
			reply_error(r, 400, "unknown status: %s", words[i]);
			return false;
		}
		if (m > 0)
			return true;
	}
	return false;
}

static void
h_runs_list(struct req *r)
{
	struct repo *repo = req_repo(r, false, false);
	const char *event = req_arg(r, "event"), *branch = req_arg(r, "branch");
	const char *actor = req_arg(r, "actor"), *sha = req_arg(r, "head_sha");
	json_t *list;
	size_t total = 0;
	int page, limit;
	bool bad = false;

	if (!repo)
		return;
	if (actor && *actor && !user_find(actor)) {
		/* Real Gitea answers 500 here, not 404 (gitea-api.md §4). */
		reply_error(r, 500, "user does not exist [uid: 0, name: %s]", actor);
		return;
	}
	req_page(r, &page, &limit);
	list = json_array();
	for (size_t i = emu.nruns; i-- > 0;) {
		struct run *run = emu.runs[i];

		if (run->repo != repo)
			continue;
		if (event && *event && strcmp(run->event, event) != 0)
			continue;
		if (branch && *branch && (strncmp(run->ref, "refs/heads/", 11) != 0 ||
					  strcmp(run->ref + 11, branch) != 0))
			continue;
		if (actor && *actor && strcasecmp(run->actor, actor) != 0)
			continue;
		if (sha && *sha && strcmp(run->sha, sha) != 0)
			continue;
		if (!status_ok(r, run->status, &bad)) {
			if (bad) {
				json_decref(list);
				return;
			}
			continue;
		}
		if (total >= (size_t)(page - 1) * (size_t)limit && total < (size_t)page * (size_t)limit)
			json_array_append_new(list, run_json(run));
		total++;
	}
	if (emu.version >= 127)
		reply_page_headers(r, total, page, limit);
	reply(r, 200, json_pack("{s:I, s:o}", "total_count", (json_int_t)total,
				"workflow_runs", list));
}

static struct run *
req_run(struct req *r, struct repo *repo, const char *id)
{
	struct run *run = run_find(strtoll(id, NULL, 10));

	if (!run || run->repo != repo) {
		reply_error(r, 404, "run with id %s: run does not exist", id);
		return NULL;
	}
	return run;
}

static void
h_run_get(struct req *r)
{
	struct repo *repo = req_repo(r, false, false);
	struct run *run = repo ? req_run(r, repo, r->params[2]) : NULL;

	if (run)
		reply(r, 200, run_json(run));
}

static void
h_run_jobs(struct req *r)
{
	struct repo *repo = req_repo(r, false, false);
	struct run *run = repo ? req_run(r, repo, r->params[2]) : NULL;
	json_t *list;
	bool bad = false;
	int page, limit;
	size_t total = 0;

	if (!run)
		return;
	req_page(r, &page, &limit);
	list = json_array();
	if (status_ok(r, run->job->status, &bad)) {
		total = 1;
		if (page == 1)
			json_array_append_new(list, job_json(run->job));
	} else if (bad) {
		json_decref(list);
		return;
	}
	if (emu.version >= 127)
		reply_page_headers(r, total, page, limit);
	reply(r, 200, json_pack("{s:I, s:o}", "total_count", (json_int_t)total, "jobs", list));
}

static void
h_run_rerun(struct req *r)
{
	struct repo *repo = req_repo(r, true, false);
	struct run *run = repo ? req_run(r, repo, r->params[2]) : NULL;
	struct job *job;

	if (!run)
		return;
	if (!status_done(run->status)) {
		reply_error(r, 400, "run %" PRId64 " is not done", run->id);
		return;
	}
	job = run->job;
	for (size_t i = 0; i < job->nsteps; i++)
		free(job->steps[i].name);
	free(job->steps);
	job->steps = NULL;
	job->nsteps = 0;
	job->log.len = 0;
	if (job->log.data)
		job->log.data[0] = '\0';
	job->log_expired = false;
	job->task_id = 0;
	job->status = run->status = ST_WAITING;
	job->started = job->completed = run->started = run->completed = 0;
	job->attempt = ++run->attempt;
	runner_start(run);
	reply(r, 201, run_json(run));
}

static struct job *
req_job(struct req *r, struct repo *repo)
{
	struct job *job = job_find(strtoll(r->params[2], NULL, 10));

	if (!job || job->repo != repo) {
		reply_error(r, 404, "job with id %s: job does not exist", r->params[2]);
		return NULL;
	}
	return job;
}

static void
h_job_get(struct req *r)
{
	struct repo *repo = req_repo(r, false, false);
	struct job *job = repo ? req_job(r, repo) : NULL;

	if (job)
		reply(r, 200, job_json(job));
}

/*
 * Go's http.ServeContent on the stored log: Range "bytes=N-" or "bytes=N-M" gives 206
 * with Content-Range; past the end, 416 with "bytes *\/SIZE".
 */
static void
h_job_logs(struct req *r)
{
	struct repo *repo = req_repo(r, false, false);
	struct job *job = repo ? req_job(r, repo) : NULL;
	const char *range;
	unsigned long long start, end;
	size_t size;

	if (!job)
		return;
	if (job->task_id == 0) {
		reply_error(r, 404, "job is not started");
		return;
	}
	if (job->log_expired) {
		reply_error(r, 404, "logs have been cleaned up");
		return;
	}
	size = job->log.len;
	r->raw_type = "text/plain; charset=utf-8";
	reply_header(r, "Content-Disposition: attachment; filename=\"%s-%s-%" PRId64 ".log\"",
		     "workflow", job->name, job->task_id);
	reply_header(r, "Accept-Ranges: bytes");
	range = req_header(r, "Range");
	if (!range) {
		buf_add(&r->raw, job->log.data ? job->log.data : "", size);
		r->status = 200;
		return;
	}
	end = size ? size - 1 : 0;
	if (sscanf(range, "bytes=%llu-%llu", &start, &end) < 1) {
		buf_add(&r->raw, job->log.data ? job->log.data : "", size);
		r->status = 200;
		return;
	}
	if (start >= size) {
		reply_header(r, "Content-Range: bytes */%zu", size);
		r->raw_type = "text/plain; charset=utf-8";
		r->status = 416;
		return;
	}
	if (end >= size)
		end = size - 1;
	buf_add(&r->raw, job->log.data + start, (size_t)(end - start + 1));
	reply_header(r, "Content-Range: bytes %llu-%llu/%zu", start, end, size);
	r->status = 206;
}

/* --- secrets and variables --- */

/* services/secrets/validation.go: ^[A-Z_][A-Z0-9_]*$ case-insensitively, no GITEA_/GITHUB_. */
static bool
valid_secret_name(struct req *r, const char *name)
{
	bool ok = name && *name && !isdigit((unsigned char)name[0]) &&
		  strncasecmp(name, "GITEA_", 6) != 0 && strncasecmp(name, "GITHUB_", 7) != 0;

	for (const char *p = name; ok && *p; p++)
		ok = isalnum((unsigned char)*p) || *p == '_';
	if (!ok)
		reply_error(r, 400, "invalid name: %s", name ? name : "");
	return ok;
}

static char *
upper(const char *s)
{
	char *u = strdup(s);

	for (char *p = u; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	return u;
}

static struct kv *
kv_find(struct kv *items, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcasecmp(items[i].name, name) == 0)
			return &items[i];
	}
	return NULL;
}

static void
kv_list(struct req *r, struct kv *items, size_t n, bool values)
{
	json_t *list = json_array();
	int page, limit;

	req_page(r, &page, &limit);
	for (size_t i = (size_t)(page - 1) * (size_t)limit; i < n && i < (size_t)page * (size_t)limit;
	     i++) {
		char *t = iso_time(items[i].created);

		if (values)
			json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "name", items[i].name,
							      "data", items[i].value,
							      "description", items[i].description));
		else
			json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "name", items[i].name,
							      "description", items[i].description,
							      "created_at", t));
		free(t);
	}
	reply_page_headers(r, n, page, limit);
	reply(r, 200, list);
}

static void
h_secrets_list(struct req *r)
{
	struct repo *repo = req_repo(r, false, true);

	if (repo)
		kv_list(r, repo->secrets, repo->nsecrets, false);
}

static void
h_secret_put(struct req *r)
{
	struct repo *repo = req_repo(r, true, true);
	const char *data = json_string_value(json_object_get(r->json, "data"));
	const char *desc = json_string_value(json_object_get(r->json, "description"));
	struct kv *kv;

	if (!repo || !valid_secret_name(r, r->params[2]))
		return;
	if (!data) {
		reply_error(r, 422, "[Data]: Required");
		return;
	}
	if (strlen(data) > 65536) {
		reply_error(r, 400, "data too long");
		return;
	}
	if ((kv = kv_find(repo->secrets, repo->nsecrets, r->params[2]))) {
		free(kv->value);
		kv->value = strdup(data);
		reply(r, 204, NULL);
		return;
	}
	repo->secrets = realloc(repo->secrets, (repo->nsecrets + 1) * sizeof(*repo->secrets));
	kv = &repo->secrets[repo->nsecrets++];
	kv->name = upper(r->params[2]);
	kv->value = strdup(data);
	kv->description = strdup(desc && emu.version >= 124 ? desc : "");
	kv->created = now_unix();
	reply(r, 201, NULL);
}

static void
kv_delete(struct req *r, struct kv *items, size_t *n, const char *what)
{
	struct kv *kv = kv_find(items, *n, r->params[2]);

	if (!kv) {
		reply_error(r, 404, "%s not found", what);
		return;
	}
	free(kv->name);
	free(kv->value);
	free(kv->description);
	memmove(kv, kv + 1, (size_t)(items + *n - kv - 1) * sizeof(*kv));
	(*n)--;
	reply(r, 204, NULL);
}

static void
h_secret_delete(struct req *r)
{
	struct repo *repo = req_repo(r, true, true);

	if (repo)
		kv_delete(r, repo->secrets, &repo->nsecrets, "secret");
}

static void
h_vars_list(struct req *r)
{
	struct repo *repo = req_repo(r, false, true);

	if (repo)
		kv_list(r, repo->vars, repo->nvars, true);
}

static void
h_var_get(struct req *r)
{
	struct repo *repo = req_repo(r, false, true);
	struct kv *kv;

	if (!repo)
		return;
	if (!(kv = kv_find(repo->vars, repo->nvars, r->params[2]))) {
		reply_error(r, 404, "variable not found");
		return;
	}
	reply(r, 200, json_pack("{s:I, s:I, s:s, s:s, s:s}", "owner_id", (json_int_t)0,
				"repo_id", (json_int_t)repo->id, "name", kv->name, "data", kv->value,
				"description", kv->description));
}

/* Values keep LF only (services/actions/variables.go). */
static char *
lf_only(const char *s)
{
	char *d = strdup(s), *o = d;

	for (const char *p = s; *p; p++) {
		if (p[0] == '\r' && p[1] == '\n')
			continue;
		*o++ = *p;
	}
	*o = '\0';
	return d;
}

static void
h_var_post(struct req *r)
{
	struct repo *repo = req_repo(r, true, true);
	const char *value = json_string_value(json_object_get(r->json, "value"));
	const char *desc = json_string_value(json_object_get(r->json, "description"));
	struct kv *kv;

	if (!repo || !valid_secret_name(r, r->params[2]))
		return;
	if (!value) {
		reply_error(r, 422, "[Value]: Required");
		return;
	}
	if (kv_find(repo->vars, repo->nvars, r->params[2])) {
		reply_error(r, 409, "variable name %s already exists", r->params[2]);
		return;
	}
	repo->vars = realloc(repo->vars, (repo->nvars + 1) * sizeof(*repo->vars));
	kv = &repo->vars[repo->nvars++];
	kv->name = upper(r->params[2]);
	kv->value = lf_only(value);
	kv->description = strdup(desc ? desc : "");
	kv->created = now_unix();
	reply(r, 201, NULL);
}

static void
h_var_put(struct req *r)
{
	struct repo *repo = req_repo(r, true, true);
	const char *value = json_string_value(json_object_get(r->json, "value"));
	struct kv *kv;

	if (!repo || !valid_secret_name(r, r->params[2]))
		return;
	if (!value) {
		reply_error(r, 422, "[Value]: Required");
		return;
	}
	if (!(kv = kv_find(repo->vars, repo->nvars, r->params[2]))) {
		reply_error(r, 404, "variable not found");
		return;
	}
	free(kv->value);
	kv->value = lf_only(value);
	reply(r, 204, NULL);
}

static void
h_var_delete(struct req *r)
{
	struct repo *repo = req_repo(r, true, true);

	if (repo)
		kv_delete(r, repo->vars, &repo->nvars, "variable");
}

/* --- runners --- */

static void
h_runners_list(struct req *r)
{
	struct repo *repo = req_repo(r, false, true);
	json_t *list;
	int page, limit;

	if (!repo)
		return;
	req_page(r, &page, &limit);
	list = json_array();
	for (size_t i = (size_t)(page - 1) * (size_t)limit;
	     i < emu.nrunners && i < (size_t)page * (size_t)limit; i++) {
		const struct runner *rn = &emu.runners[i];
		json_t *labels = json_array(), *j;
		char *l = strdup(rn->labels), *save = NULL;
		json_int_t lid = 1;

		for (char *t = strtok_r(l, ",", &save); t; t = strtok_r(NULL, ",", &save))
			json_array_append_new(labels, json_pack("{s:I, s:s, s:s}", "id", lid++,
								"name", t, "type", "custom"));
		free(l);
		j = json_pack("{s:I, s:s, s:s, s:b, s:b, s:o}", "id", (json_int_t)rn->id,
			      "name", rn->name, "status", rn->online ? "online" : "offline",
			      "busy", emu.running_jobs > 0 && rn->online, "ephemeral", 0,
			      "labels", labels);
		if (emu.version >= 126)
			json_object_set_new(j, "disabled", json_boolean(rn->disabled));
		json_array_append_new(list, j);
	}
	reply(r, 200, json_pack("{s:I, s:o}", "total_count", (json_int_t)emu.nrunners,
				"runners", list));
}

static void
h_registration_token(struct req *r)
{
	struct repo *repo = req_repo(r, true, true);

	if (!repo)
		return;
	/* The current active token; a new one only when none is active. */
	if (!repo->reg_token) {
		char t[41];

		snprintf(t, sizeof(t), "%040" PRIx64,
			 (uint64_t)((uint64_t)(repo->id + 7) * 0xbf58476d1ce4e5b9ULL));
		repo->reg_token = strdup(t);
	}
	reply(r, 200, json_pack("{s:s}", "token", repo->reg_token));
}

const struct route actions_routes[] = {
	{ "GET", "/repos/{owner}/{repo}/actions/workflows", h_workflows_list, 124, 0 },
	{ "POST", "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches", h_dispatch,
	  124, 0 },
	{ "GET", "/repos/{owner}/{repo}/actions/runs", h_runs_list, 125, 0 },
	{ "GET", "/repos/{owner}/{repo}/actions/runs/{run}", h_run_get, 125, 0 },
	{ "GET", "/repos/{owner}/{repo}/actions/runs/{run}/jobs", h_run_jobs, 125, 0 },
	{ "POST", "/repos/{owner}/{repo}/actions/runs/{run}/rerun", h_run_rerun, 126, 0 },
	{ "GET", "/repos/{owner}/{repo}/actions/jobs/{job_id}", h_job_get, 125, 0 },
	{ "GET", "/repos/{owner}/{repo}/actions/jobs/{job_id}/logs", h_job_logs, 124, 0 },
	{ "GET", "/repos/{owner}/{repo}/actions/secrets", h_secrets_list, 0, 0 },
	{ "PUT", "/repos/{owner}/{repo}/actions/secrets/{secretname}", h_secret_put, 0, 0 },
	{ "DELETE", "/repos/{owner}/{repo}/actions/secrets/{secretname}", h_secret_delete, 0, 0 },
	{ "GET", "/repos/{owner}/{repo}/actions/variables", h_vars_list, 0, 0 },
	{ "GET", "/repos/{owner}/{repo}/actions/variables/{variablename}", h_var_get, 0, 0 },
	{ "POST", "/repos/{owner}/{repo}/actions/variables/{variablename}", h_var_post, 0, 0 },
	{ "PUT", "/repos/{owner}/{repo}/actions/variables/{variablename}", h_var_put, 0, 0 },
	{ "DELETE", "/repos/{owner}/{repo}/actions/variables/{variablename}", h_var_delete, 0, 0 },
	{ "GET", "/repos/{owner}/{repo}/actions/runners", h_runners_list, 124, 0 },
	{ "POST", "/repos/{owner}/{repo}/actions/runners/registration-token", h_registration_token,
	  124, 0 },
	{ NULL, NULL, NULL, 0, 0 }
};

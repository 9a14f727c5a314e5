/* Lookups and the JSON shapes Gitea's converters (services/convert) produce. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "emulator.h"

int64_t
now_unix(void)
{
	return (int64_t)time(NULL);
}

/* Gitea keeps Unix seconds; "not set" comes back as the epoch, not as a missing field. */
char *
iso_time(int64_t t)
{
	char buf[32];
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return strdup(buf);
}

static json_t *
jtime(int64_t t)
{
	char *s = iso_time(t);
	json_t *j = json_string(s);

	free(s);
	return j;
}

struct user *
user_find(const char *login)
{
	for (size_t i = 0; login && i < emu.nusers; i++) {
		if (strcasecmp(emu.users[i].login, login) == 0)
			return &emu.users[i];
	}
	return NULL;
}

struct org *
org_find(const char *name)
{
	for (size_t i = 0; name && i < emu.norgs; i++) {
		if (strcasecmp(emu.orgs[i].name, name) == 0)
			return &emu.orgs[i];
	}
	return NULL;
}

struct repo *
repo_find(const char *owner, const char *name)
{
	for (size_t i = 0; i < emu.nrepos; i++) {
		if (strcasecmp(emu.repos[i]->owner, owner) == 0 &&
		    strcasecmp(emu.repos[i]->name, name) == 0)
			return emu.repos[i];
	}
	return NULL;
}

struct run *
run_find(int64_t id)
{
	for (size_t i = 0; i < emu.nruns; i++) {
		if (emu.runs[i]->id == id)
			return emu.runs[i];
	}
	return NULL;
}

struct job *
job_find(int64_t id)
{
	for (size_t i = 0; i < emu.nruns; i++) {
		if (emu.runs[i]->job && emu.runs[i]->job->id == id)
			return emu.runs[i]->job;
	}
	return NULL;
}

/* The 1.25/1.26 mapping (convert.ToActionsStatus): Gitea's "waiting" is GitHub's queued. */
const char *
status_word(int st)
{
	switch (st) {
	case ST_WAITING: return "queued";
	case ST_BLOCKED: return "waiting";
	case ST_RUNNING: return "in_progress";
	case ST_SUCCESS: case ST_FAILURE: case ST_CANCELLED: case ST_SKIPPED: return "completed";
	default: return "";
	}
}

const char *
conclusion_word(int st)
{
	switch (st) {
	case ST_SUCCESS: return "success";
	case ST_FAILURE: return "failure";
	case ST_CANCELLED: return "cancelled";
	case ST_SKIPPED: return "skipped";
	default: return "";
	}
}

bool
status_done(int st)
{
	return st >= ST_SUCCESS && st <= ST_SKIPPED;
}

json_t *
user_json(const struct user *u)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:b}", "id", (json_int_t)u->id, "login", u->login,
			 "full_name", u->login, "email", "", "is_admin", u->admin);
}

static bool
is_owner(const struct repo *repo, const struct user *u)
{
	const struct org *o;

	if (!u)
		return false;
	if (u->admin || strcasecmp(repo->owner, u->login) == 0)
		return true;
	o = org_find(repo->owner);
	return o && strcasecmp(o->owner, u->login) == 0;
}

json_t *
repo_json(const struct repo *repo, const struct user *viewer)
{
	char *base = api_base(), *head;
	struct buf full = { 0 }, clone = { 0 }, html = { 0 };
	bool owner = is_owner(repo, viewer), empty;
	json_t *j;

	buf_addf(&full, "%s/%s", repo->owner, repo->name);
	buf_addf(&clone, "%s/%s.git", base, full.data);
	buf_addf(&html, "%s/%s", base, full.data);
	head = git_rev(repo, "HEAD");
	empty = head == NULL;
	free(head);
	j = json_pack("{s:I, s:s, s:s, s:{s:s}, s:s, s:b, s:b, s:b, s:s, s:s, s:s, s:s, s:b,"
		      " s:{s:b, s:b, s:b}, s:s}",
		      "id", (json_int_t)repo->id, "name", repo->name, "full_name", full.data,
		      "owner", "login", repo->owner, "description", repo->description,
		      "private", repo->private, "empty", empty, "archived", 0,
		      "default_branch", repo->default_branch, "clone_url", clone.data,
		      "html_url", html.data, "ssh_url", "", "has_actions", repo->has_actions,
		      "permissions", "admin", owner, "push", owner, "pull", 1,
		      "object_format_name", "sha1");
	buf_free(&full);
	buf_free(&clone);
	buf_free(&html);
	free(base);
	return j;
}

/* ≤1.27 leave conclusion and head_branch out when empty. */
static void
set_nonempty(json_t *o, const char *key, const char *value)
{
	if (value && *value)
		json_object_set_new(o, key, json_string(value));
}

json_t *
run_json(const struct run *run)
{
	char *base = api_base();
	struct buf url = { 0 }, html = { 0 }, path = { 0 };
	const char *branch = strncmp(run->ref, "refs/heads/", 11) == 0 ? run->ref + 11 : "";
	json_t *j;

	buf_addf(&url, "%s/api/v1/repos/%s/%s/actions/runs/%" PRId64, base, run->repo->owner,
		 run->repo->name, run->id);
	buf_addf(&html, "%s/%s/%s/actions/runs/%" PRId64, base, run->repo->owner,
		 run->repo->name, run->number);
	buf_addf(&path, "%s@%s", run->workflow, run->ref);
	j = json_pack("{s:I, s:I, s:i, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:s,"
		      " s:{s:s}, s:{s:s}, s:I}",
		      "id", (json_int_t)run->id, "run_number", (json_int_t)run->number,
		      "run_attempt", run->attempt, "path", path.data, "event", run->event,
		      "display_title", run->title, "head_sha", run->sha,
		      "status", status_word(run->status),
		      "started_at", jtime(run->started), "completed_at", jtime(run->completed),
		      "url", url.data, "html_url", html.data,
		      "actor", "login", run->actor, "trigger_actor", "login", run->actor,
		      "repository_id", (json_int_t)run->repo->id);
	set_nonempty(j, "conclusion", conclusion_word(run->status));
	set_nonempty(j, "head_branch", branch);
	if (emu.version >= 127) {
		json_object_set_new(j, "previous_attempt_url", json_null());
		json_object_set_new(j, "pull_requests", json_array());
	}
	buf_free(&url);
	buf_free(&html);
	buf_free(&path);
	free(base);
	return j;
}

json_t *
job_json(const struct job *job)
{
	char *base = api_base();
	struct buf url = { 0 }, run_url = { 0 };
	const struct run *run = run_find(job->run_id);
	json_t *steps = json_array(), *labels = json_array(), *j;
	char *l = strdup(job->labels), *save = NULL;

	for (char *t = strtok_r(l, ",", &save); t; t = strtok_r(NULL, ",", &save))
		json_array_append_new(labels, json_string(t));
	free(l);
	for (size_t i = 0; i < job->nsteps; i++) {
		const struct step *s = &job->steps[i];
		json_t *sj = json_pack("{s:s, s:I, s:s, s:o, s:o}", "name", s->name,
				       "number", (json_int_t)i, "status", status_word(s->status),
				       "started_at", jtime(s->started),
				       "completed_at", jtime(s->completed));

		json_object_set_new(sj, "conclusion", json_string(conclusion_word(s->status)));
		json_array_append_new(steps, sj);
	}
	buf_addf(&url, "%s/api/v1/repos/%s/%s/actions/jobs/%" PRId64, base, job->repo->owner,
		 job->repo->name, job->id);
	buf_addf(&run_url, "%s/api/v1/repos/%s/%s/actions/runs/%" PRId64, base, job->repo->owner,
		 job->repo->name, job->run_id);
	j = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:o, s:i, s:s, s:I, s:s, s:o, s:o, s:o,"
		      " s:o}",
		      "id", (json_int_t)job->id, "run_id", (json_int_t)job->run_id,
		      "run_url", run_url.data, "url", url.data, "html_url", url.data,
		      "name", job->name, "labels", labels, "run_attempt", job->attempt,
		      "head_sha", run ? run->sha : "", "runner_id",
		      (json_int_t)(job->task_id ? (emu.nrunners ? emu.runners[0].id : 1) : 0),
		      "status", status_word(job->status),
		      "created_at", jtime(job->created), "started_at", jtime(job->started),
		      "completed_at", jtime(job->completed), "steps", steps);
	json_object_set_new(j, "runner_name", json_string(job->task_id ? (emu.nrunners ?
				    emu.runners[0].name : "emulator-runner") : ""));
	set_nonempty(j, "conclusion", conclusion_word(job->status));
	if (run && strncmp(run->ref, "refs/heads/", 11) == 0)
		json_object_set_new(j, "head_branch", json_string(run->ref + 11));
	buf_free(&url);
	buf_free(&run_url);
	free(base);
	return j;
}

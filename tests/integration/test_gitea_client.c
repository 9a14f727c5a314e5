/*
 * core/gitea against the Gitea emulator, which refuses (501) any call that is not in
 * Gitea 1.27.0's swagger: every group ends by checking there was none. The main group
 * runs against 1.25 and 1.27 (no run id from dispatch / run id returned); 1.24 and 1.26
 * have their own cases where behaviour differs.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include "diskops/error.h"
#include "diskops/gitea.h"
#include "diskops/log.h"
#include "gitea_fixture.h"

static const char *version;

static int
group_setup(void **state)
{
	(void)state;
	E = emu_start(version, NULL);
	return 0;
}

static int
group_teardown(void **state)
{
	long unknown;

	(void)state;
	/* The spec check: nothing the client sent was outside Gitea's API. */
	unknown = emu_unknown_calls(E);
	assert_int_equal(emu_stop(E), 0);
	E = NULL;
	return unknown == 0 ? 0 : -1;
}

static void
version_probe(void **state)
{
	dk_gitea *g = client(EMU_ALICE);
	dk_gitea_version v;
	int minor = atoi(version + 2);

	(void)state;
	assert_int_equal(dk_gitea_server_version(g, &v), 0);
	assert_int_equal(v.major, 1);
	assert_int_equal(v.minor, minor);
	assert_string_equal(dk_gitea_feature_since(DK_GITEA_RUN_DETAILS), "1.26");
	assert_true(dk_gitea_has(g, DK_GITEA_RUNS_API) == (minor >= 25));
	assert_true(dk_gitea_has(g, DK_GITEA_RUN_DETAILS) == (minor >= 26));
	assert_false(dk_gitea_has(g, DK_GITEA_CANCEL));
	dk_gitea_free(g);
}

static void
bad_token_is_auth_error(void **state)
{
	dk_gitea *g = client("not-a-token");
	dk_gitea_repo *r = NULL;
	char *login = NULL;

	(void)state;
	assert_error(dk_gitea_repo_get(g, &r, "alice", "build"), DK_EAUTH, "401");
	assert_contains(dk_error_last()->message, "bad or expired token");
	assert_null(strstr(dk_error_last()->message, "not-a-token"));
	assert_int_equal(dk_gitea_last_status(g), 401);
	assert_error(dk_gitea_whoami(g, &login), DK_EAUTH, "401");
	dk_gitea_free(g);
}

static void
missing_repo_is_not_found(void **state)
{
	dk_gitea *g = client(EMU_ALICE);
	dk_gitea_repo *r = NULL;

	(void)state;
	assert_error(dk_gitea_repo_get(g, &r, "alice", "nope"), DK_ENOTFOUND,
		     "repository alice/nope");
	assert_int_equal(dk_gitea_last_status(g), 404);
	assert_contains(dk_gitea_last_message(g), "repository does not exist");
	assert_int_equal(dk_gitea_repo_get(g, &r, "alice", "build"), 0);
	assert_string_equal(r->full_name, "alice/build");
	assert_string_equal(r->default_branch, "main");
	assert_true(r->can_admin);
	dk_gitea_repo_free(r);
	dk_gitea_free(g);
}

static void
not_owner_is_forbidden(void **state)
{
	dk_gitea *g = client(EMU_BOB);
	dk_gitea_runner_list *rl = NULL;
	char *tok = NULL;

	(void)state;
	assert_error(dk_gitea_secret_set(g, NULL, "alice", "build", "X", "v", NULL), DK_EAUTH,
		     "403");
	assert_contains(dk_error_last()->message, "need the repo owner, an org owner or a site admin");
	assert_error(dk_gitea_runner_list_get(g, &rl, "alice", "build"), DK_EAUTH, "owner");
	assert_error(dk_gitea_runner_token(g, &tok, "alice", "build"), DK_EAUTH, "owner");
	dk_gitea_free(g);

	/* A site admin may. */
	g = client(EMU_ROOT);
	if (dk_gitea_secret_set(g, NULL, "alice", "build", "ADMIN_SET", "v", NULL) != 0)
		fail_msg("%s", dk_error_last()->message);
	assert_int_equal(dk_gitea_secret_delete(g, "alice", "build", "ADMIN_SET"), 0);
	dk_gitea_free(g);
}

static void
repo_create_user_and_org(void **state)
{
	dk_gitea_repo_spec spec = { .name = "images", .auto_init = true, .private = true };
	dk_gitea *g = client(EMU_ALICE);
	dk_gitea_repo *r = NULL;
	dk_gitea_content *c = NULL;

	(void)state;
	assert_int_equal(dk_gitea_repo_create(g, &r, NULL, &spec), 0);
	assert_string_equal(r->full_name, "alice/images");
	assert_true(r->private);
	dk_gitea_repo_free(r);
	assert_error(dk_gitea_repo_create(g, &r, "alice", &spec), DK_ECONFLICT, "409");
	/* auto_init made a first commit. */
	assert_int_equal(dk_gitea_content_get(g, &c, "alice", "images", "README.md", "main"), 0);
	dk_gitea_content_free(c);

	assert_int_equal(dk_gitea_repo_enable_actions(g, "alice", "images"), 0);
	spec.name = "fleet";
	assert_int_equal(dk_gitea_repo_create(g, &r, "acme", &spec), 0);
	assert_string_equal(r->full_name, "acme/fleet");
	dk_gitea_repo_free(r);
	dk_gitea_free(g);

	/* Bob is not an owner of acme; and alice's private repo is invisible to him. */
	g = client(EMU_BOB);
	assert_error(dk_gitea_repo_create(g, &r, "acme", &spec), DK_EAUTH, "403");
	assert_error(dk_gitea_repo_get(g, &r, "alice", "images"), DK_ENOTFOUND, "404");
	dk_gitea_free(g);
}

static void
contents_create_get_update(void **state)
{
	dk_gitea *g = client(EMU_ALICE);
	dk_gitea_commit_opts o = { .message = "add build.sh" };
	dk_gitea_content *c = NULL;
	char *commit = NULL, *sha;

	(void)state;
	assert_error(dk_gitea_content_get(g, &c, "alice", "build", "scripts/build.sh", NULL),
		     DK_ENOTFOUND, "scripts/build.sh");
	assert_int_equal(dk_gitea_content_put(g, &commit, "alice", "build", "scripts/build.sh",
					      "#!/bin/sh\n", 10, &o), 0);
	assert_int_equal(strlen(commit), 40);
	free(commit);
	assert_int_equal(dk_gitea_content_get(g, &c, "alice", "build", "scripts/build.sh", "main"), 0);
	assert_int_equal(c->size, 10);
	assert_memory_equal(c->data, "#!/bin/sh\n", 10);
	sha = strdup(c->sha);
	dk_gitea_content_free(c);
	/* Creating again is refused; updating needs the current blob sha. */
	assert_error(dk_gitea_content_put(g, NULL, "alice", "build", "scripts/build.sh", "x", 1, &o),
		     DK_EINVALID, "already exists");
	o.sha = sha;
	assert_int_equal(dk_gitea_content_put(g, NULL, "alice", "build", "scripts/build.sh",
					      "#!/bin/sh -e\n", 13, &o), 0);
	assert_error(dk_gitea_content_put(g, NULL, "alice", "build", "scripts/build.sh", "y", 1, &o),
		     DK_ECONFLICT, "changed since it was read");
	free(sha);
	dk_gitea_free(g);
}

static void
secrets_put_list_delete_never_logged(void **state)
{
	dk_gitea *g = client(EMU_ALICE);
	dk_gitea_secret_list *l = NULL;
	char *logged = NULL, name[32];
	size_t loglen = 0;
	FILE *sink = open_memstream(&logged, &loglen);
	bool created = false;

	(void)state;
	dk_log_set_sink(sink);
	dk_log_set_level(DK_LOG_DEBUG);
	assert_int_equal(dk_gitea_secret_set(g, &created, "alice", "build", "webhook_secret",
					     "s3cr3t-value-xyz", "for the webhook"), 0);
	assert_true(created);
	assert_int_equal(dk_gitea_secret_set(g, &created, "alice", "build", "WEBHOOK_SECRET",
					     "s3cr3t-value-xyz2", NULL), 0);
	assert_false(created);
	dk_log_set_level(DK_LOG_INFO);
	dk_log_set_sink(NULL);
	fclose(sink);
	assert_non_null(strstr(logged, "gitea request"));
	assert_null(strstr(logged, "s3cr3t-value"));
	assert_null(strstr(logged, EMU_ALICE));
	free(logged);

	assert_error(dk_gitea_secret_set(g, NULL, "alice", "build", "GITEA_X", "v", NULL),
		     DK_EINVALID, "GITEA_");
	/* More than one page (50): X-Total-Count and Link drive the paging. */
	for (int i = 0; i < 55; i++) {
		snprintf(name, sizeof(name), "S_%02d", i);
		assert_int_equal(dk_gitea_secret_set(g, NULL, "alice", "build", name, "v", NULL), 0);
	}
	assert_int_equal(dk_gitea_secret_list_get(g, &l, "alice", "build"), 0);
	assert_int_equal(l->count, 56);
	assert_string_equal(l->items[0].name, "WEBHOOK_SECRET");
	assert_string_equal(l->items[55].name, "S_54");
	dk_gitea_secret_list_free(l);
	for (int i = 0; i < 55; i++) {
		snprintf(name, sizeof(name), "S_%02d", i);
		assert_int_equal(dk_gitea_secret_delete(g, "alice", "build", name), 0);
	}
	assert_error(dk_gitea_secret_delete(g, "alice", "build", "S_00"), DK_ENOTFOUND, "404");
	dk_gitea_free(g);
}

static void
variables_create_then_update(void **state)
{
	dk_gitea *g = client(EMU_ALICE);
	bool created = false;
	char *value = NULL;

	(void)state;
	assert_int_equal(dk_gitea_variable_set(g, &created, "alice", "build", "POWERNODE_OCI_REGISTRY",
					       "registry.local:5000"), 0);
	assert_true(created);
	/* POST answers 409, the client PUTs. */
	assert_int_equal(dk_gitea_variable_set(g, &created, "alice", "build", "POWERNODE_OCI_REGISTRY",
					       "registry.example:443"), 0);
	assert_false(created);
	assert_int_equal(dk_gitea_variable_get(g, &value, "alice", "build", "POWERNODE_OCI_REGISTRY"), 0);
	assert_string_equal(value, "registry.example:443");
	free(value);
	assert_error(dk_gitea_variable_get(g, &value, "alice", "build", "NOPE"), DK_ENOTFOUND, "NOPE");
	dk_gitea_free(g);
}

static void
runners_and_registration_token(void **state)
{
	dk_gitea *g = client(EMU_ALICE);
	dk_gitea_runner_list *l = NULL;
	char *t1 = NULL, *t2 = NULL;

	(void)state;
	assert_int_equal(dk_gitea_runner_list_get(g, &l, "alice", "build"), 0);
	assert_int_equal(l->count, 1);
	assert_string_equal(l->items[0].name, "builder-1");
	assert_string_equal(l->items[0].status, "online");
	assert_int_equal(l->items[0].nlabels, 2);
	assert_string_equal(l->items[0].labels[0], "disk-image-builder");
	dk_gitea_runner_list_free(l);
	/* The current token: asking again gives the same one. */
	assert_int_equal(dk_gitea_runner_token(g, &t1, "alice", "build"), 0);
	assert_int_equal(dk_gitea_runner_token(g, &t2, "alice", "build"), 0);
	assert_true(strlen(t1) >= 20);
	assert_string_equal(t1, t2);
	free(t1);
	free(t2);
	dk_gitea_free(g);
}

static const char growing_script[] =
	"echo 'line 1'\n"
	"echo '##[step] Build image'\n"
	"echo \"line 2 $POWERNODE_OCI_REGISTRY\"\n"
	"while [ ! -e \"$GITEA_EMULATOR_GIT_DIR/go\" ]; do sleep 0.01; done\n"
	"echo 'line 3'\n"
	"echo 'line 4'\n"
	"exit \"${INPUT_EXIT:-0}\"\n";

static void
go(const char *repo)
{
	char *path;

	assert_true(asprintf(&path, "%s/repos/alice/%s.git/go", E->data, repo) > 0);
	assert_int_equal(tu_write_file(path, "", 0644), 0);
	free(path);
}

static dk_gitea_dispatch_result *
dispatch(dk_gitea *g, const char *repo, const char *const *inputs)
{
	dk_gitea_dispatch_opts o = { .ref = "refs/heads/main", .inputs = inputs };
	dk_gitea_dispatch_result *res = NULL;

	assert_int_equal(dk_gitea_dispatch(g, &res, "alice", repo, ".gitea/workflows/build.yml", &o), 0);
	return res;
}


/* Reads from offset until the log holds `needle` (the job writes it while we wait). */
static uint64_t
read_until(dk_gitea *g, const char *repo, int64_t job, uint64_t offset, char **all,
	   const char *needle)
{
	while (!*all || !strstr(*all, needle)) {
		dk_gitea_log_chunk *c = NULL;

		assert_int_equal(dk_gitea_job_log_read(g, &c, "alice", repo, job, offset), 0);
		if (c->state == DK_GITEA_LOG_DATA) {
			size_t have = *all ? strlen(*all) : 0;

			*all = realloc(*all, have + c->len + 1);
			memcpy(*all + have, c->data, c->len + 1);
			offset = c->next_offset;
		} else {
			assert_true(c->state == DK_GITEA_LOG_NOTHING_NEW ||
				    c->state == DK_GITEA_LOG_NOT_STARTED);
			usleep(5000);
		}
		dk_gitea_log_chunk_free(c);
	}
	return offset;
}

static void
dispatch_run_jobs_steps_and_log_ranges(void **state)
{
	dk_gitea *g = client(EMU_ALICE);
	static const char *const inputs[] = { "platform=ubuntu", NULL };
	dk_gitea_dispatch_result *res;
	dk_gitea_run *run = NULL;
	dk_gitea_job *job = NULL;
	dk_gitea_log_chunk *c = NULL;
	dk_gitea_run_list *runs = NULL;
	const char *const completed[] = { "completed", NULL };
	dk_gitea_run_filter f = { .status = completed };
	char *all = NULL;
	uint64_t off;
	int64_t job_id;

	(void)state;
	put_workflow(g, "build", "build.yml", workflow_yml);
	emu_runner_script(E, "alice", "build", growing_script);
	res = dispatch(g, "build", inputs);
	assert_true(res->run_id > 0);
	assert_true(res->found_by_polling == !dk_gitea_has(g, DK_GITEA_RUN_DETAILS));
	assert_contains(res->run_url, "/api/v1/repos/alice/build/actions/runs/");
	assert_int_equal(dk_gitea_run_get(g, &run, "alice", "build", res->run_id), 0);
	assert_string_equal(run->event, "workflow_dispatch");
	assert_string_equal(run->path, "build.yml@refs/heads/main");
	assert_string_equal(run->head_branch, "main");
	assert_string_equal(run->display_title, "workflow");
	assert_int_equal(strlen(run->head_sha), 40);
	assert_false(dk_gitea_status_done(run->status));
	dk_gitea_run_free(run);

	job_id = first_job(g, "build", res->run_id);
	/* The first bytes, then more as the job writes them: 206 each time. */
	off = read_until(g, "build", job_id, 0, &all, "line 2");
	assert_contains(all, "line 1\n");
	/* Timestamped as Gitea stores lines. */
	assert_true(all[4] == '-' && all[10] == 'T' && strstr(all, "Z line 1\n"));
	/* Nothing new yet: 416 at our offset. */
	assert_int_equal(dk_gitea_job_log_read(g, &c, "alice", "build", job_id, off), 0);
	assert_int_equal(c->state, DK_GITEA_LOG_NOTHING_NEW);
	assert_int_equal(c->size, (int64_t)off);
	dk_gitea_log_chunk_free(c);
	go("build");
	emu_wait_job(E, job_id);
	off = read_until(g, "build", job_id, off, &all, "line 4");
	assert_true(strstr(all, "line 1") < strstr(all, "line 2"));
	assert_true(strstr(all, "line 3") < strstr(all, "line 4"));
	assert_int_equal(dk_gitea_job_log_read(g, &c, "alice", "build", job_id, off), 0);
	assert_int_equal(c->state, DK_GITEA_LOG_NOTHING_NEW);
	dk_gitea_log_chunk_free(c);
	free(all);

	assert_int_equal(dk_gitea_job_get(g, &job, "alice", "build", job_id), 0);
	assert_string_equal(job->status, "completed");
	assert_string_equal(job->conclusion, "success");
	assert_string_equal(job->name, "build-image");
	assert_int_equal(job->nlabels, 2);
	assert_int_equal(job->nsteps, 4);
	assert_string_equal(job->steps[0].name, "Set up job");
	assert_string_equal(job->steps[1].name, "Run build");
	assert_string_equal(job->steps[2].name, "Build image");
	assert_string_equal(job->steps[2].conclusion, "success");
	assert_int_equal(job->steps[2].number, 2);
	assert_string_equal(job->steps[3].name, "Complete job");
	assert_true(job->started_at > 0 && job->completed_at >= job->started_at);
	dk_gitea_job_free(job);

	assert_int_equal(dk_gitea_run_list_get(g, &runs, "alice", "build", &f), 0);
	assert_true(runs->count >= 1);
	assert_int_equal(runs->items[0].id, res->run_id);
	assert_string_equal(runs->items[0].conclusion, "success");
	dk_gitea_run_list_free(runs);
	dk_gitea_dispatch_result_free(res);
	dk_gitea_free(g);
}

static void
log_shrinks_and_expires(void **state)
{
	dk_gitea *g = client(EMU_ALICE);
	dk_gitea_dispatch_result *res;
	dk_gitea_log_chunk *c = NULL;
	char *all = NULL, path[128];
	uint64_t off;
	int64_t job_id;

	(void)state;
	res = dispatch(g, "build", NULL);
	job_id = first_job(g, "build", res->run_id);
	emu_wait_job(E, job_id);
	off = read_until(g, "build", job_id, 0, &all, "line 4");
	free(all);
	/* Moved to storage, shorter than what we read: noticed, not mistaken for "nothing new". */
	snprintf(path, sizeof(path), "/_emulator/jobs/%lld/truncate?size=10", (long long)job_id);
	assert_int_equal(emu_http(E, "POST", path, NULL, NULL, NULL), 204);
	assert_int_equal(dk_gitea_job_log_read(g, &c, "alice", "build", job_id, off), 0);
	assert_int_equal(c->state, DK_GITEA_LOG_SHRUNK);
	assert_int_equal(c->size, 10);
	assert_int_equal(c->next_offset, 10);
	dk_gitea_log_chunk_free(c);
	snprintf(path, sizeof(path), "/_emulator/jobs/%lld/expire", (long long)job_id);
	assert_int_equal(emu_http(E, "POST", path, NULL, NULL, NULL), 204);
	assert_int_equal(dk_gitea_job_log_read(g, &c, "alice", "build", job_id, 0), 0);
	assert_int_equal(c->state, DK_GITEA_LOG_EXPIRED);
	dk_gitea_log_chunk_free(c);
	assert_error(dk_gitea_job_log_read(g, &c, "alice", "build", 999999, 0), DK_ENOTFOUND, "404");
	dk_gitea_dispatch_result_free(res);
	dk_gitea_free(g);
}

static void
job_not_started_is_a_state(void **state)
{
	dk_gitea_repo_spec spec = { .name = "norunner", .auto_init = true };
	dk_gitea *g = client(EMU_ALICE);
	dk_gitea_dispatch_result *res;
	dk_gitea_log_chunk *c = NULL;
	dk_gitea_repo *r = NULL;
	dk_gitea_job *job = NULL;
	int64_t job_id;

	(void)state;
	assert_int_equal(dk_gitea_repo_create(g, &r, NULL, &spec), 0);
	dk_gitea_repo_free(r);
	put_workflow(g, "norunner", "build.yml", workflow_yml);
	/* No runner script: the job stays queued, as with no runner for its labels. */
	res = dispatch(g, "norunner", NULL);
	job_id = first_job(g, "norunner", res->run_id);
	assert_int_equal(dk_gitea_job_log_read(g, &c, "alice", "norunner", job_id, 0), 0);
	assert_int_equal(c->state, DK_GITEA_LOG_NOT_STARTED);
	dk_gitea_log_chunk_free(c);
	assert_int_equal(dk_gitea_job_get(g, &job, "alice", "norunner", job_id), 0);
	assert_string_equal(job->status, "queued");
	assert_string_equal(job->conclusion, "");
	assert_int_equal(job->started_at, 0);
	dk_gitea_job_free(job);
	dk_gitea_dispatch_result_free(res);
	dk_gitea_free(g);
}

static void
dispatch_without_trigger_is_invalid(void **state)
{
	dk_gitea *g = client(EMU_ALICE);
	dk_gitea_dispatch_opts o = { .ref = "main" };
	dk_gitea_dispatch_result *res = NULL;

	(void)state;
	put_workflow(g, "build", "push-only.yml", "on:\n  push:\njobs:\n  b:\n    runs-on: x\n");
	assert_error(dk_gitea_dispatch(g, &res, "alice", "build", "push-only.yml", &o), DK_EINVALID,
		     "has no workflow_dispatch event trigger");
	assert_int_equal(dk_gitea_last_status(g), 422);
	o.ref = "refs/heads/nope";
	assert_error(dk_gitea_dispatch(g, &res, "alice", "build", "build.yml", &o), DK_ENOTFOUND,
		     "doesn't exist");
	assert_error(dk_gitea_dispatch(g, &res, "alice", "build", "build.yml",
				       &(dk_gitea_dispatch_opts){ .inputs = (const char *const[]){
					       "novalue", NULL } }),
		     DK_EINVALID, "key=value");
	dk_gitea_free(g);
}

/* Every byte, in order. */
static int
on_data(const char *d, size_t n, void *p)
{
	fwrite(d, 1, n, p);
	return 0;
}

static void
follow_until_done_failure(void **state)
{
	dk_gitea *g = client(EMU_ALICE);
	static const char *const inputs[] = { "exit=3", NULL };
	dk_gitea_dispatch_result *res;
	dk_gitea_job *job = NULL;
	char *seen = NULL;
	size_t seen_len = 0;
	FILE *f = open_memstream(&seen, &seen_len);
	dk_gitea_follow_opts o = { .interval_ms = 10, .payload = f };
	char path[300];
	int64_t job_id;

	(void)state;
	o.on_data = on_data;
	snprintf(path, sizeof(path), "%s/repos/alice/build.git/go", E->data);
	unlink(path);
	res = dispatch(g, "build", inputs);
	job_id = first_job(g, "build", res->run_id);
	/* Released only after the follow has seen the first lines: the log grows under it. */
	if (fork() == 0) {
		dk_gitea *g2 = client(EMU_ALICE);
		char *all = NULL;

		read_until(g2, "build", job_id, 0, &all, "line 2");
		go("build");
		_exit(0);
	}
	assert_int_equal(dk_gitea_job_log_follow(g, &job, "alice", "build", job_id, 0, &o), 0);
	fclose(f);
	assert_string_equal(job->conclusion, "failure");
	assert_contains(seen, "line 1");
	assert_true(strstr(seen, "line 1") < strstr(seen, "line 2"));
	assert_true(strstr(seen, "line 2") < strstr(seen, "line 3"));
	assert_true(strstr(seen, "line 3") < strstr(seen, "line 4"));
	free(seen);
	dk_gitea_job_free(job);
	dk_gitea_dispatch_result_free(res);
	dk_gitea_free(g);
}

static void
runs_paginate_past_fifty(void **state)
{
	dk_gitea *g = client(EMU_ALICE);
	dk_gitea_repo_spec spec = { .name = "many", .auto_init = true };
	dk_gitea_run_list *l = NULL;
	dk_gitea_run_filter f = { .max = 200 };
	dk_gitea_repo *r = NULL;

	(void)state;
	assert_int_equal(dk_gitea_repo_create(g, &r, NULL, &spec), 0);
	dk_gitea_repo_free(r);
	assert_int_equal(emu_http(E, "POST", "/_emulator/runs?owner=alice&repo=many&count=73", NULL,
				  NULL, NULL), 204);
	assert_int_equal(dk_gitea_run_list_get(g, &l, "alice", "many", &f), 0);
	assert_int_equal(l->count, 73);
	assert_int_equal(l->total_count, 73);
	assert_true(l->items[0].id > l->items[72].id);
	dk_gitea_run_list_free(l);
	f.max = 0;
	assert_int_equal(dk_gitea_run_list_get(g, &l, "alice", "many", &f), 0);
	assert_int_equal(l->count, 50);
	dk_gitea_run_list_free(l);
	dk_gitea_free(g);
}

static void
rerun_and_cancel_by_version(void **state)
{
	dk_gitea *g = client(EMU_ALICE);
	dk_gitea_run_list *l = NULL;
	dk_gitea_run_filter f = { .event = "workflow_dispatch", .max = 1 };

	(void)state;
	assert_int_equal(dk_gitea_run_list_get(g, &l, "alice", "build", &f), 0);
	if (dk_gitea_has(g, DK_GITEA_RERUN)) {
		assert_int_equal(dk_gitea_run_rerun(g, "alice", "build", l->items[0].id), 0);
	} else {
		assert_error(dk_gitea_run_rerun(g, "alice", "build", l->items[0].id), DK_EINVALID,
			     "needs Gitea 1.26 or newer");
	}
	assert_error(dk_gitea_run_cancel(g, "alice", "build", l->items[0].id), DK_EINVALID,
		     "has no API to cancel a run");
	assert_contains(dk_error_last()->message, "1.28");
	dk_gitea_run_list_free(l);
	dk_gitea_free(g);
}

static void
malformed_json_reply(void **state)
{
	dk_gitea *g = client(EMU_ALICE);
	dk_gitea_repo *r = NULL;

	(void)state;
	assert_int_equal(emu_http(E, "POST", "/_emulator/fault?malformed_json=1", NULL, NULL, NULL),
			 204);
	assert_error(dk_gitea_repo_get(g, &r, "alice", "build"), DK_ERROR, "not valid JSON");
	assert_int_equal(emu_http(E, "POST", "/_emulator/fault?malformed_json=0", NULL, NULL, NULL),
			 204);
	assert_int_equal(dk_gitea_repo_get(g, &r, "alice", "build"), 0);
	dk_gitea_repo_free(r);
	dk_gitea_free(g);
}


static void
access_tokens_need_the_password(void **state)
{
	static const char *const scopes[] = { "read:repository", "read:user", NULL };
	dk_gitea *g = client(EMU_ALICE), *g2;
	dk_gitea_access_token *t = NULL;
	char *login = NULL;

	(void)state;
	assert_error(dk_gitea_token_create(g, &t, "alice", "wrong", "ci-read", scopes), DK_EAUTH,
		     "401");
	assert_int_equal(dk_gitea_token_create(g, &t, "alice", "alice-pw", "ci-read", scopes), 0);
	assert_string_equal(t->name, "ci-read");
	g2 = client(t->token);
	assert_int_equal(dk_gitea_whoami(g2, &login), 0);
	assert_string_equal(login, "alice");
	free(login);
	assert_int_equal(dk_gitea_token_delete(g, "alice", "alice-pw", "ci-read"), 0);
	dk_gitea_free(g2);
	g2 = client(t->token);
	assert_error(dk_gitea_whoami(g2, &login), DK_EAUTH, "401");
	dk_gitea_free(g2);
	dk_gitea_access_token_free(t);
	assert_error(dk_gitea_token_delete(g, "alice", "alice-pw", "ci-read"), DK_ENOTFOUND, "404");
	dk_gitea_free(g);
}

static void
git_clone_and_push_over_http(void **state)
{
	char *dir = tu_mkdtemp(), *clone = tu_path(dir, "c"), url[256], file[600];
	dk_gitea *g = client(EMU_ALICE);
	dk_gitea_content *c = NULL;
	tu_run_result r;

	(void)state;
	/* The token as the Basic password, as Gitea accepts it. */
	snprintf(url, sizeof(url), "http://alice:%s@127.0.0.1:%u/alice/build.git", EMU_ALICE,
		 E->port);
	{
		const char *argv[] = { "git", "clone", "-q", url, clone, NULL };

		assert_int_equal(tu_run(&r, argv, NULL, NULL), 0);
		tu_run_result_free(&r);
	}
	snprintf(file, sizeof(file), "%s/pushed.txt", clone);
	assert_int_equal(tu_write_file(file, "from git\n", 0644), 0);
	{
		const char *add[] = { "git", "-C", clone, "add", "pushed.txt", NULL };
		const char *commit[] = { "git", "-C", clone, "-c", "user.name=t", "-c",
					 "user.email=t@example.com", "commit", "-qm", "pushed", NULL };
		const char *push[] = { "git", "-C", clone, "push", "-q", "origin", "main", NULL };

		assert_int_equal(tu_run(&r, add, NULL, NULL), 0);
		tu_run_result_free(&r);
		assert_int_equal(tu_run(&r, commit, NULL, NULL), 0);
		tu_run_result_free(&r);
		assert_int_equal(tu_run(&r, push, NULL, NULL), 0);
		tu_run_result_free(&r);
	}
	assert_int_equal(dk_gitea_content_get(g, &c, "alice", "build", "pushed.txt", NULL), 0);
	assert_string_equal((char *)c->data, "from git\n");
	dk_gitea_content_free(c);
	/* A tag push starts the workflows whose "on: push" lists a matching tag pattern. */
	emu_runner_script(E, "alice", "build", "echo \"tag build of $GITHUB_REF\"\n");
	snprintf(file, sizeof(file), "%s/.gitea/workflows", clone);
	{
		const char *mk[] = { "mkdir", "-p", file, NULL };

		assert_int_equal(tu_run(&r, mk, NULL, NULL), 0);
		tu_run_result_free(&r);
	}
	snprintf(file, sizeof(file), "%s/.gitea/workflows/release.yml", clone);
	assert_int_equal(tu_write_file(file, "on:\n  push:\n    tags:\n      - 'system-disk-image/v*'\n"
				       "jobs:\n  release:\n    runs-on: amd64\n", 0644), 0);
	{
		const char *add[] = { "git", "-C", clone, "add", ".", NULL };
		const char *commit[] = { "git", "-C", clone, "-c", "user.name=t", "-c",
					 "user.email=t@example.com", "commit", "-qm", "release", NULL };
		const char *tag[] = { "git", "-C", clone, "tag", "system-disk-image/v1.2.3", NULL };
		const char *other[] = { "git", "-C", clone, "tag", "unrelated-tag", NULL };
		const char *push[] = { "git", "-C", clone, "push", "-q", "origin", "main", "--tags",
				       NULL };

		assert_int_equal(tu_run(&r, add, NULL, NULL), 0);
		tu_run_result_free(&r);
		assert_int_equal(tu_run(&r, commit, NULL, NULL), 0);
		tu_run_result_free(&r);
		assert_int_equal(tu_run(&r, tag, NULL, NULL), 0);
		tu_run_result_free(&r);
		assert_int_equal(tu_run(&r, other, NULL, NULL), 0);
		tu_run_result_free(&r);
		assert_int_equal(tu_run(&r, push, NULL, NULL), 0);
		tu_run_result_free(&r);
	}
	if (dk_gitea_has(g, DK_GITEA_RUNS_API)) {
		dk_gitea_run_list *l = NULL;
		dk_gitea_run_filter f = { .event = "push" };
		dk_gitea_log_chunk *chunk = NULL;
		int64_t job;

		assert_int_equal(dk_gitea_run_list_get(g, &l, "alice", "build", &f), 0);
		assert_int_equal(l->count, 1);
		assert_string_equal(l->items[0].path, "release.yml@refs/tags/system-disk-image/v1.2.3");
		assert_string_equal(l->items[0].head_branch, "");
		job = first_job(g, "build", l->items[0].id);
		emu_wait_job(E, job);
		assert_int_equal(dk_gitea_job_log_read(g, &chunk, "alice", "build", job, 0), 0);
		assert_contains(chunk->data, "tag build of refs/tags/system-disk-image/v1.2.3\n");
		dk_gitea_log_chunk_free(chunk);
		dk_gitea_run_list_free(l);
	}
	/* A bad token cannot push. */
	snprintf(url, sizeof(url), "http://alice:wrong@127.0.0.1:%u/alice/build.git", E->port);
	{
		const char *push[] = { "git", "-C", clone, "push", "-q", url, "main", NULL };
		const char *env[] = { "GIT_TERMINAL_PROMPT=0", NULL };

		assert_int_not_equal(tu_run(&r, push, env, NULL), 0);
		tu_run_result_free(&r);
	}
	dk_gitea_free(g);
	tu_rmrf(dir);
	free(dir);
	free(clone);
}

static void
unknown_call_gets_501(void **state)
{
	char *body = NULL;

	(void)state;
	assert_int_equal(emu_unknown_calls(E), 0);
	assert_int_equal(emu_http(E, "GET", "/api/v1/repos/alice/build/actions/runs/1/cancel",
				  EMU_ALICE, NULL, &body), 501);
	assert_contains(body, "GET /api/v1/repos/alice/build/actions/runs/1/cancel");
	assert_contains(body, "swagger");
	free(body);
	assert_int_equal(emu_unknown_calls(E), 1);
	/* Reset for the group check: this one was on purpose. */
}


#define CLIENT_TESTS \
	cmocka_unit_test(version_probe), \
	cmocka_unit_test(bad_token_is_auth_error), \
	cmocka_unit_test(missing_repo_is_not_found), \
	cmocka_unit_test(not_owner_is_forbidden), \
	cmocka_unit_test(repo_create_user_and_org), \
	cmocka_unit_test(contents_create_get_update), \
	cmocka_unit_test(secrets_put_list_delete_never_logged), \
	cmocka_unit_test(variables_create_then_update), \
	cmocka_unit_test(runners_and_registration_token), \
	cmocka_unit_test(dispatch_run_jobs_steps_and_log_ranges), \
	cmocka_unit_test(log_shrinks_and_expires), \
	cmocka_unit_test(job_not_started_is_a_state), \
	cmocka_unit_test(dispatch_without_trigger_is_invalid), \
	cmocka_unit_test(follow_until_done_failure), \
	cmocka_unit_test(runs_paginate_past_fifty), \
	cmocka_unit_test(rerun_and_cancel_by_version), \
	cmocka_unit_test(malformed_json_reply), \
	cmocka_unit_test(access_tokens_need_the_password), \
	cmocka_unit_test(git_clone_and_push_over_http)

static int
teardown_expecting_one_unknown(void **state)
{
	long unknown;

	(void)state;
	unknown = emu_unknown_calls(E);
	assert_int_equal(emu_stop(E), 0);
	E = NULL;
	return unknown == 1 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest v125[] = { CLIENT_TESTS };
	const struct CMUnitTest v127[] = {
		CLIENT_TESTS,
		cmocka_unit_test(unknown_call_gets_501),
	};
	int failed = 0;

	version = "1.25";
	failed += cmocka_run_group_tests_name("gitea client, Gitea 1.25", v125, group_setup,
					      group_teardown);
	version = "1.27";
	failed += cmocka_run_group_tests_name("gitea client, Gitea 1.27", v127, group_setup,
					      teardown_expecting_one_unknown);
	return failed;
}

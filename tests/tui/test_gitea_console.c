/*
 * The console's runs and log views as an operator uses them: the real binary in tmux
 * against the Gitea emulator (runs, jobs, a log growing while the job runs), and the log
 * view on local files (search, filter, wrap, timestamps, colours, a million lines).
 * Every step waits for the screen; the time limits are hang guards only.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "emuutil.h"
#include "storeutil.h"
#include "consoleutil.h"
#include "tmuxutil.h"
#include "diskops/clock.h"
#include "diskops/gitops.h"
#include "diskops/poller.h"
#include "diskops/status.h"

#define RUN(e, r, ...) cli_run((e), (r), __VA_ARGS__, NULL)

static emu_t *E;
static char url_env[128];
static const char token_env[] = "DISKOPS_GITEA_TOKEN=" EMU_ALICE;

static const char workflow_b64[] =
	/* on: workflow_dispatch; one job "build-image" on disk-image-builder */
	"b246CiAgd29ya2Zsb3dfZGlzcGF0Y2g6CmpvYnM6CiAgYnVpbGQtaW1hZ2U6CiAgICBydW5zLW9uOiBk"
	"aXNrLWltYWdlLWJ1aWxkZXIKICAgIHRpbWVvdXQtbWludXRlczogNjAK";

/* Two steps; the second waits for the test's "go" before its last lines. */
static const char build_script[] =
	"echo '##[step] Checkout'\n"
	"echo 'cloning the image recipe'\n"
	"echo '##[step] Build image'\n"
	"printf '\\033[32mcompiling\\033[0m the root filesystem\\n'\n"
	"while [ ! -e \"$GITEA_EMULATOR_GIT_DIR/go\" ]; do sleep 0.05; done\n"
	"echo 'squashfs written: 812 MiB'\n"
	"echo 'image sealed'\n";

static int
setup(void **state)
{
	cli_env *e = cli_env_new();
	tu_run_result r;

	assert_int_equal(RUN(e, &r, "init"), 0);
	tu_run_result_free(&r);
	*state = e;
	return 0;
}

static int
teardown(void **state)
{
	tm_stop_all();
	cli_env_free(*state);
	return 0;
}

static int
emu_setup(void **state)
{
	char body[512];
	cli_env *e;
	tu_run_result r;

	E = emu_start("1.27", NULL);
	snprintf(url_env, sizeof(url_env), "DISKOPS_GITEA_URL=%s", E->url);
	snprintf(body, sizeof(body), "{\"content\":\"%s\",\"message\":\"add the workflow\"}",
		 workflow_b64);
	assert_int_equal(emu_http(E, "POST", "/api/v1/repos/alice/build/contents/.gitea/workflows/"
				  "build-disk-image.yml", EMU_ALICE, body, NULL), 201);
	setup(state);
	e = *state;
	e->extra_env[0] = url_env;
	e->extra_env[1] = token_env;
	assert_int_equal(RUN(e, &r, "platform", "create", "pc-amd64", "--arch", "amd64",
			     "--build-repo", "alice/build"), 0);
	tu_run_result_free(&r);
	return 0;
}

static int
emu_teardown(void **state)
{
	long unknown = emu_unknown_calls(E);

	teardown(state);
	assert_int_equal(emu_stop(E), 0);
	E = NULL;
	/* The console asked Gitea only what its swagger offers. */
	return unknown == 0 ? 0 : -1;
}

static char *
gate_path(void)
{
	char *gate;

	assert_true(asprintf(&gate, "%s/repos/alice/build.git/go", E->data) > 0);
	return gate;
}

/*
 * Runs → the run's jobs and steps → the log of the running job, which grows on screen
 * without a key press, survives resizing to 80×24 and back, and ends with the job.
 */
static void
runs_jobs_and_a_live_log(void **state)
{
	cli_env *e = *state;
	char env[400], *gate = gate_path(), *line;
	tu_run_result r;
	tm_session *t;

	unlink(gate);
	emu_runner_script(E, "alice", "build", build_script);
	assert_int_equal(RUN(e, &r, "dispatch", "--platform", "pc-amd64"), 0);
	tu_run_result_free(&r);

	snprintf(env, sizeof(env), "%s %s", url_env, token_env);
	t = tm_start(e, 132, 43, env, "");
	tm_wait(t, "diskops › overview");
	tm_keys(t, "5", NULL);
	tm_wait(t, "› runs");
	tm_wait(t, "running");
	line = tm_line(t, "pc-amd64");
	ct_contains(line, "#1");
	ct_contains(line, "dispatch");
	ct_contains(line, "workflow");
	free(line);

	/* The run's jobs and their steps, the running step marked so. */
	tm_keys(t, "Enter", NULL);
	tm_wait(t, "› run #1");
	tm_wait(t, "3. Build image");
	line = tm_line(t, "build-image");
	ct_contains(line, "running");
	ct_contains(line, "builder-1");
	free(line);
	line = tm_line(t, "2. Checkout");
	ct_contains(line, "success");
	free(line);

	/* The log, following: what the job printed so far, colours rendered. */
	tm_keys(t, "Enter", NULL);
	tm_wait(t, "build-image log");
	tm_wait(t, "compiling the root filesystem");
	ct_contains(t->last, "following");
	ct_contains(t->last, "cloning the image recipe");
	/* Gitea's timestamps are hidden until `t`. */
	ct_lacks(t->last, "Z cloning");
	{
		char *screen = tm_capture(t, true);

		assert_true(ct_has_colour(screen));
		free(screen);
	}

	/* Smaller and back while following; then the job talks again. */
	tm_resize(t, 80, 24);
	tm_wait(t, "lines 1-");
	tm_wait(t, "compiling the root filesystem");
	tm_resize(t, 132, 43);
	tm_wait(t, "compiling the root filesystem");
	assert_int_equal(tu_write_file(gate, "", 0644), 0);
	tm_wait(t, "squashfs written: 812 MiB");
	tm_wait(t, "image sealed");
	tm_wait(t, "job finished: success");

	/* Timestamps on and off. */
	tm_keys(t, "t", NULL);
	tm_wait(t, "Z image sealed");
	tm_keys(t, "t", NULL);
	tm_wait_gone(t, "Z image sealed");

	/* Back to the run: its job completed. */
	tm_keys(t, "Escape", NULL);
	tm_wait(t, "› run #1");
	tm_wait(t, "success");
	ct_quit(t);
	tm_stop(t);
	free(gate);
}

/* :logs JOB opens the same view from anywhere. */
static void
logs_command_opens_a_job(void **state)
{
	cli_env *e = *state;
	char env[400], cmd[64], *gate = gate_path();
	json_t *j, *jobs;
	long long run, job;
	tm_session *t;

	assert_int_equal(tu_write_file(gate, "", 0644), 0);
	emu_runner_script(E, "alice", "build", "echo 'one-shot build done'\n");
	j = cli_json(e, "dispatch", "--platform", "pc-amd64", "--json", NULL);
	run = json_integer_value(json_object_get(j, "run_id"));
	json_decref(j);
	assert_true(run > 0);
	snprintf(cmd, sizeof(cmd), "%lld", run);
	j = cli_json(e, "runs", "show", cmd, "--platform", "pc-amd64", "--json", NULL);
	jobs = json_object_get(j, "jobs");
	job = json_integer_value(json_object_get(json_array_get(jobs, 0), "id"));
	json_decref(j);
	assert_true(job > 0);
	emu_wait_job(E, job);

	snprintf(env, sizeof(env), "%s %s", url_env, token_env);
	t = tm_start(e, 80, 24, env, "");
	tm_wait(t, "diskops › overview");
	snprintf(cmd, sizeof(cmd), "logs %lld", job);
	tm_keys(t, ":", NULL);
	tm_type(t, cmd);
	tm_keys(t, "Enter", NULL);
	tm_wait(t, "one-shot build done");
	tm_wait(t, "job finished: success");
	ct_quit(t);
	tm_stop(t);
	free(gate);
}

/* --- serve's run cache --- */

#define RUNS_ROUTE "GET /repos/{owner}/{repo}/actions/runs"

static dk_store *
open_store(cli_env *e)
{
	dk_store_options o = DK_STORE_OPTIONS_INIT;
	char *path = tu_path(e->state_dir, "diskops.db");
	dk_store *s;

	o.no_create = true;
	assert_int_equal(dk_store_open(&s, path, &o), 0);
	free(path);
	return s;
}

/* What a running `serve` leaves in the store: its heartbeat at `beat`, a Gitea poll that
 * just went through (the next one due in 30 s), and one cached run of alice/build. */
static void
serve_rows(dk_store *s, int64_t beat)
{
	int64_t now = dk_clock_now();
	dk_service_status serve = { .name = "serve", .ok = true, .pid = 1, .started_at = beat,
				    .checked_at = beat };
	dk_gitea_status g = { .url = E->url, .reachable = true, .version = "1.27.0", .repos = 1,
			      .last_poll_at = now, .last_ok_at = now, .next_poll_at = now + 30 };
	dk_cached_run run = {
		.repo = "alice/build", .run_id = 9041, .run_number = 41,
		.workflow = "build-disk-image.yml", .title = "cached by serve's poller",
		.event = "push", .status = "completed", .conclusion = "success",
		.head_sha = "5eed5eed5eed5eed5eed5eed5eed5eed5eed5eed",
		.started_at = now - 300, .completed_at = now - 120, .created_at = now - 300,
		.fetched_at = now,
	};

	assert_int_equal(dk_store_service_status_put(s, &serve), 0);
	assert_int_equal(dk_store_gitea_status_put(s, &g), 0);
	assert_int_equal(dk_store_run_cache_replace(s, "alice/build", &run, 1), 0);
}

/*
 * With serve polling Gitea, the runs view shows serve's cache and the console asks
 * Gitea for no run list of its own; once serve's heartbeat goes stale it polls Gitea
 * itself again (and shows Gitea's runs, not the cache's).
 */
static void
runs_come_from_serves_cache(void **state)
{
	cli_env *e = *state;
	dk_store *s = open_store(e);
	char env[400];
	long before;
	tm_session *t;
	int i;

	serve_rows(s, dk_clock_now());
	before = emu_calls(E, RUNS_ROUTE);
	snprintf(env, sizeof(env), "%s %s", url_env, token_env);
	t = tm_start(e, 132, 43, env, "");
	tm_wait(t, "diskops › overview");
	tm_keys(t, "5", NULL);
	tm_wait(t, "runs (as serve's Gitea poller saw them)");
	tm_wait(t, "cached by serve's poller");
	ct_contains(t->last, "#41");
	ct_contains(t->last, "5eed5ee");
	ct_contains(t->last, "serve up");
	/* The runs view is up, the worker would have fetched at once: it did not. */
	assert_int_equal(emu_calls(E, RUNS_ROUTE), before);

	/* serve stops beating: the console takes over, on its own, without a key. */
	serve_rows(s, dk_clock_now() - 3600);
	tm_wait(t, "serve down since");
	tm_wait_gone(t, "cached by serve's poller");
	for (i = 0; i < TM_GUARD_MS / 10 && emu_calls(E, RUNS_ROUTE) == before; i++)
		usleep(10000);
	assert_true(emu_calls(E, RUNS_ROUTE) > before);
	ct_lacks(t->last, "as serve's Gitea poller saw them");
	ct_quit(t);
	tm_stop(t);
	/* The next test's console polls Gitea itself. */
	assert_int_equal(dk_store_run_cache_replace(s, "alice/build", NULL, 0), 0);
	dk_store_free(s);
}

/* --- d: dispatch from the runs view --- */

/* The template's workflow (inputs platform and firmware_ref) as the platform's workflow;
 * the job records the inputs it was given. */
static char *
workflow_with_inputs(cli_env *e)
{
	dk_gitops_template tpl = { .platform = "pc-amd64" };
	char *text = dk_gitops_workflow_text(&tpl), *b64, *body, *out;
	size_t n = strlen(text);
	tu_run_result r;
	static bool made;

	if (!made) {
		b64 = calloc(1, 4 * (n / 3 + 1) + 1);
		EVP_EncodeBlock((unsigned char *)b64, (unsigned char *)text, (int)n);
		assert_true(asprintf(&body, "{\"content\":\"%s\",\"message\":\"inputs\"}", b64) > 0);
		assert_int_equal(emu_http(E, "POST", "/api/v1/repos/alice/build/contents/.gitea/"
					  "workflows/with-inputs.yml", EMU_ALICE, body, NULL), 201);
		free(body);
		free(b64);
		made = true;
	}
	free(text);
	assert_int_equal(RUN(e, &r, "platform", "set", "pc-amd64", "--workflow-file",
			     ".gitea/workflows/with-inputs.yml"), 0);
	tu_run_result_free(&r);
	emu_runner_script(E, "alice", "build", "echo \"platform=$INPUT_PLATFORM "
			  "firmware=$INPUT_FIRMWARE_REF\" > \"$GITEA_EMULATOR_GIT_DIR/inputs.txt\"\n");
	assert_true(asprintf(&out, "%s/repos/alice/build.git/inputs.txt", E->data) > 0);
	unlink(out);
	return out;
}

static size_t
run_count(cli_env *e)
{
	json_t *j = cli_json(e, "runs", "list", "--platform", "pc-amd64", "--limit", "100",
			     "--json", NULL);
	size_t n;

	assert_non_null(j);
	n = json_array_size(j);
	json_decref(j);
	return n;
}

static tm_session *
on_runs(cli_env *e, int w, int h, const char *args)
{
	char env[400];
	tm_session *t;

	snprintf(env, sizeof(env), "%s %s", url_env, token_env);
	t = tm_start(e, w, h, env, args);
	tm_wait(t, "diskops › overview");
	tm_keys(t, "5", NULL);
	tm_wait(t, "› runs");
	tm_wait(t, "pc-amd64");
	return t;
}

/* d, the inputs typed into their fields, Dispatch + Enter: the job gets those values. */
static void
dispatch_with_typed_inputs(void **state)
{
	cli_env *e = *state;
	char *recorded = workflow_with_inputs(e), *text = NULL, want[64];
	size_t before = run_count(e);
	tm_session *t = on_runs(e, 80, 24, "");
	json_t *j;
	long long id;

	tm_keys(t, "d", NULL);
	tm_wait(t, "Dispatch with-inputs.yml on pc-amd64");
	/* The inputs come from the workflow file, with their defaults and descriptions. */
	tm_wait(t, "NodePlatform name in diskops");
	ct_contains(t->last, "alice/build");
	ct_contains(t->last, "refs/heads/main");
	ct_contains(t->last, "firmware_ref");
	ct_contains(t->last, "[ Dispatch ]");
	{
		char *line = tm_line(t, "platform  ");

		ct_contains(line, "pc-amd64");
		free(line);
	}
	/* Cancel has the focus: Tab to Dispatch, then ref, platform, firmware_ref. */
	tm_keys(t, "Tab", "Tab", "Tab", "Tab", NULL);
	tm_type(t, "fw-2026.11");
	tm_wait(t, "fw-2026.11");
	tm_keys(t, "Up", "C-u", NULL);
	tm_type(t, "pc-amd64-canary");
	tm_wait(t, "pc-amd64-canary");
	tm_keys(t, "Tab", "Tab", "Tab", NULL);
	tm_keys(t, "Enter", NULL);
	tm_wait(t, "dispatched with-inputs.yml on alice/build (refs/heads/main): run ");
	ct_lacks(t->last, "[ Dispatch ]");

	/* The job ran with what was typed. */
	for (int i = 0; i < 400 && !(text = tu_read_file(recorded, NULL)); i++)
		usleep(50 * 1000);
	assert_non_null(text);
	assert_string_equal(text, "platform=pc-amd64-canary firmware=fw-2026.11\n");
	free(text);
	assert_int_equal(run_count(e), before + 1);

	/* The new run shows in the view at the next poll, without a key. */
	j = cli_json(e, "runs", "list", "--platform", "pc-amd64", "--limit", "1", "--json", NULL);
	id = json_integer_value(json_object_get(json_array_get(j, 0), "id"));
	snprintf(want, sizeof(want), "#%lld", (long long)json_integer_value(
			 json_object_get(json_array_get(j, 0), "run_number")));
	json_decref(j);
	{
		char msg[64];

		snprintf(msg, sizeof(msg), "run %lld", id);
		ct_contains(t->last, msg);
	}
	tm_wait(t, want);
	ct_quit(t);
	tm_stop(t);
	free(recorded);
}

/* Esc, Enter on the focused Cancel, and a y typed into a field dispatch nothing. */
static void
dispatch_cancel_sends_nothing(void **state)
{
	cli_env *e = *state;
	char *recorded = workflow_with_inputs(e);
	size_t before = run_count(e);
	tm_session *t = on_runs(e, 80, 24, "");

	tm_keys(t, "d", NULL);
	tm_wait(t, "[ Dispatch ]");
	tm_keys(t, "Escape", NULL);
	tm_wait(t, "dispatch cancelled; nothing dispatched");
	tm_keys(t, "d", NULL);
	tm_wait(t, "NodePlatform name in diskops");
	tm_keys(t, "Enter", NULL);
	tm_wait_gone(t, "[ Dispatch ]");
	ct_contains(t->last, "nothing dispatched");
	tm_keys(t, "d", NULL);
	tm_wait(t, "NodePlatform name in diskops");
	tm_keys(t, "Tab", "Tab", "Tab", "y", NULL);
	tm_keys(t, "Escape", NULL);
	tm_wait_gone(t, "[ Dispatch ]");
	/* The worker takes calls in order: once this dialog has its inputs, anything sent
	 * before it would have been dispatched already. */
	tm_keys(t, "d", NULL);
	tm_wait(t, "NodePlatform name in diskops");
	tm_keys(t, "Escape", NULL);
	tm_wait(t, "nothing dispatched");
	assert_int_equal(run_count(e), before);
	assert_int_equal(access(recorded, F_OK), -1);
	ct_quit(t);
	tm_stop(t);
	free(recorded);
}

static void
read_only_refuses_dispatch(void **state)
{
	cli_env *e = *state;
	size_t before = run_count(e);
	tm_session *t = on_runs(e, 132, 60, "");

	/* ? in runs lists d while changes are allowed (the whole help fits 60 rows). */
	tm_keys(t, "?", NULL);
	tm_wait(t, "save-display");
	ct_contains(t->last, " dispatch ");
	ct_quit(t);
	tm_stop(t);

	t = on_runs(e, 132, 60, "--read-only");
	tm_keys(t, "d", NULL);
	tm_wait(t, "read-only: dispatch refused");
	ct_lacks(t->last, "[ Dispatch ]");
	tm_keys(t, "?", NULL);
	tm_wait(t, "save-display");
	ct_lacks(t->last, " dispatch ");
	ct_quit(t);
	tm_stop(t);
	assert_int_equal(run_count(e), before);
}

/* A commit on alice/build through the contents API; its sha into sha. */
static void
commit_file(const char *name, const char *message, char sha[41])
{
	char path[200], body[300], *reply = NULL;
	json_t *j;

	snprintf(path, sizeof(path), "/api/v1/repos/alice/build/contents/notes/%s", name);
	snprintf(body, sizeof(body), "{\"content\":\"bm90ZQo=\",\"message\":\"%s\"}", message);
	assert_int_equal(emu_http(E, "POST", path, EMU_ALICE, body, &reply), 201);
	j = json_loads(reply, 0, NULL);
	assert_non_null(j);
	snprintf(sha, 41, "%s", json_string_value(json_object_get(json_object_get(j, "commit"), "sha")));
	assert_int_equal(strlen(sha), 40);
	json_decref(j);
	free(reply);
}

/* No clone in the state dir yet: the rollback dialog fetches the build repo from Gitea on
 * the worker and then lists what the rollback undoes. */
static void
rollback_dialog_fetches_the_history(void **state)
{
	cli_env *e = *state;
	char good[41], two[41], three[41], sql[600], env[400], *db, *sql_seed, *clone;
	tu_run_result r;
	tm_session *t;

	commit_file("one", "Known good kernel", good);
	commit_file("two", "Kernel bump two", two);
	commit_file("three", "Kernel bump three", three);
	assert_int_equal(RUN(e, &r, "platform", "create", "ubuntu-24.04-lts", "--arch", "amd64",
			     "--build-repo", "alice/build"), 0);
	tu_run_result_free(&r);
	db = tu_path(e->state_dir, "diskops.db");
	sql_seed = tu_read_file("tests/tui/seed.sql", NULL);
	assert_non_null(sql_seed);
	assert_int_equal(su_sql_exec(db, sql_seed), 0);
	snprintf(sql, sizeof(sql), "UPDATE disk_image_publication SET git_sha = '%s' WHERE id LIKE "
		 "'c2f85d13%%'; UPDATE disk_image_publication SET git_sha = '%s' WHERE id LIKE "
		 "'d94a7e21%%';", good, three);
	assert_int_equal(su_sql_exec(db, sql), 0);
	clone = tu_path(e->state_dir, "gitops/alice/build");
	assert_int_equal(access(clone, F_OK), -1);

	snprintf(env, sizeof(env), "%s %s", url_env, token_env);
	t = tm_start(e, 80, 24, env, "");
	tm_wait(t, "ubuntu-24.04-lts");
	tm_keys(t, "G", "2", NULL);
	tm_wait(t, "ubuntu-24.04-lts › publications");
	tm_keys(t, "j", "j", "j", NULL);
	tm_wait(t, "c2f85d13");
	tm_keys(t, "R", NULL);
	tm_wait(t, "[ Rollback ]");
	tm_wait(t, "2 undone: rolling back over these");
	ct_contains(t->last, "Kernel bump three");
	ct_contains(t->last, "Kernel bump two");
	ct_lacks(t->last, "Known good kernel");
	{
		char *line = tm_line(t, "Kernel bump three");
		char shortsha[13];

		snprintf(shortsha, sizeof(shortsha), "%.12s", three);
		ct_contains(line, shortsha);
		free(line);
	}
	assert_int_equal(access(clone, F_OK), 0);
	tm_keys(t, "Escape", NULL);
	tm_wait(t, "nothing changed");
	ct_quit(t);
	tm_stop(t);
	free(clone);
	free(sql_seed);
	free(db);
}

/* --- the log view on local files --- */

static char *
write_log(cli_env *e, const char *name, const char *text)
{
	char *path = tu_path(e->state_dir, name);

	assert_int_equal(tu_write_file(path, text, 0644), 0);
	return path;
}

static tm_session *
open_log(cli_env *e, int w, int h, const char *env, const char *path)
{
	char args[600];

	snprintf(args, sizeof(args), "--log '%s'", path);
	return tm_start(e, w, h, env, args);
}

/* 2,000 stamped lines; "needle" on lines 500, 1000 and 1500; a long one at 1200. */
static char *
search_log(cli_env *e)
{
	size_t cap = 2000 * 120 + 1000, used = 0;
	char *text = malloc(cap), *path;

	for (int i = 1; i <= 2000; i++) {
		used += (size_t)snprintf(text + used, cap - used, "2026-11-23T10:00:%02d.0000000Z %s %d%s\n",
					 i % 60, i % 500 == 0 && i != 2000 ? "the needle at line" : "hay line",
					 i, i == 1200 ? " and then a very long tail that goes on past the edge "
					 "of any terminal, for quite a while, until it finally ends: TAIL-END" : "");
	}
	path = write_log(e, "search.log", text);
	free(text);
	return path;
}

static void
search_filter_wrap_in_a_log(void **state)
{
	cli_env *e = *state;
	char *path = search_log(e), *screen, *line;
	tm_session *t = open_log(e, 80, 24, "", path);

	tm_wait(t, "hay line 2000");
	/* The count comes with the index, right after the first screen. */
	tm_wait(t, "lines 1,981-2,000 of 2,000");

	/* / jumps to the first hit after the screen (wrapping), n and N walk them. */
	tm_keys(t, "g", NULL);
	tm_wait(t, "hay line 1 ");
	ct_contains(t->last, "paused");
	tm_keys(t, "/", NULL);
	tm_type(t, "needle");
	tm_keys(t, "Enter", NULL);
	tm_wait(t, "/needle: line 500");
	ct_contains(t->last, "the needle at line 500");
	tm_keys(t, "n", NULL);
	tm_wait(t, "/needle: line 1,000");
	tm_keys(t, "n", NULL);
	tm_wait(t, "/needle: line 1,500");
	tm_keys(t, "N", NULL);
	tm_wait(t, "/needle: line 1,000");
	tm_keys(t, "n", "n", NULL);
	tm_wait(t, "/needle: line 500 (search wrapped)");
	/* The hit is highlighted: reverse video starts right at the word. */
	screen = tm_capture(t, true);
	assert_non_null(strstr(screen, "7mneedle") ? strstr(screen, "7mneedle")
			   : strstr(screen, ";7mneedle"));
	free(screen);

	/* f: only the matching lines. */
	tm_keys(t, "f", NULL);
	tm_wait(t, "filter /needle: 3 matching lines");
	tm_wait_gone(t, "hay line");
	ct_contains(t->last, "the needle at line 500");
	ct_contains(t->last, "the needle at line 1000");
	ct_contains(t->last, "the needle at line 1500");
	tm_keys(t, "f", NULL);
	tm_wait(t, "hay line");

	/* w: the long line's tail comes into sight. */
	tm_keys(t, "/", NULL);
	tm_type(t, "line 1200 ");
	tm_keys(t, "Enter", NULL);
	tm_wait(t, "/line 1200 : line 1,200");
	line = tm_line(t, "hay line 1200 ");
	ct_lacks(line, "TAIL-END");
	free(line);
	tm_keys(t, "w", NULL);
	tm_wait(t, "TAIL-END");
	ct_contains(t->last, "wrap");
	tm_keys(t, "w", NULL);
	tm_wait_gone(t, "TAIL-END");

	/* G follows the end again. */
	tm_keys(t, "G", NULL);
	tm_wait(t, "hay line 2000");
	tm_wait(t, "following");
	ct_quit(t);
	tm_stop(t);
	free(path);
}

/* A million lines open at once with the end on screen; g and G cross them. */
static void
a_million_lines(void **state)
{
	cli_env *e = *state;
	char *path = tu_path(e->state_dir, "million.log");
	FILE *f = fopen(path, "w");
	tm_session *t;

	assert_non_null(f);
	for (int i = 1; i <= 1000000; i++)
		fprintf(f, "2026-11-23T10:00:00.0000000Z step output line %d\n", i);
	fclose(f);
	t = open_log(e, 132, 43, "", path);
	tm_wait(t, "step output line 1000000");
	tm_wait(t, "of 1,000,000");
	tm_keys(t, "g", NULL);
	tm_wait(t, "step output line 1 ");
	tm_wait_gone(t, "step output line 1000000");
	tm_keys(t, "G", NULL);
	tm_wait(t, "step output line 1000000");
	ct_contains(t->last, "lines 999,962-1,000,000 of 1,000,000");
	ct_quit(t);
	tm_stop(t);
	free(path);
}

/* A log that grows while it is open: the new lines show without a key. */
static void
a_growing_file_is_followed(void **state)
{
	cli_env *e = *state;
	char *path = write_log(e, "grow.log", "first line\n");
	tm_session *t = open_log(e, 80, 24, "", path);
	FILE *f;

	tm_wait(t, "first line");
	f = fopen(path, "a");
	assert_non_null(f);
	fputs("a second line arrives\n", f);
	fclose(f);
	tm_wait(t, "a second line arrives");
	ct_quit(t);
	tm_stop(t);
	free(path);
}

static void
colours_in_the_log(tm_session *t, bool expect)
{
	char *screen;

	tm_wait(t, "all green");
	screen = tm_capture(t, true);
	if (ct_has_colour(screen) != expect)
		fail_msg("colour escapes %s:\n%s", expect ? "missing" : "with colour off", screen);
	free(screen);
	ct_quit(t);
	tm_stop(t);
}

static void
no_color_log_has_no_colour_escapes(void **state)
{
	cli_env *e = *state;
	char *path = write_log(e, "colour.log", "\033[31merror\033[0m: one\n\033[1;32mall green\033[0m\n"
			       "\033[38;5;3mwarning\033[39m done\n");

	/* The check is real: with colour on, the same log carries colour. */
	colours_in_the_log(open_log(e, 80, 24, "", path), true);
	colours_in_the_log(open_log(e, 80, 24, "NO_COLOR=1", path), false);
	free(path);
}

static void
a_missing_log_file_is_refused(void **state)
{
	tu_run_result r;

	assert_int_equal(RUN(*state, &r, "console", "--log", "/nonexistent/build.log"), 3);
	ct_contains(r.err, "/nonexistent/build.log");
	tu_run_result_free(&r);
}

int
main(void)
{
	const struct CMUnitTest emu[] = {
		cmocka_unit_test(runs_jobs_and_a_live_log),
		cmocka_unit_test(logs_command_opens_a_job),
		cmocka_unit_test(dispatch_with_typed_inputs),
		cmocka_unit_test(dispatch_cancel_sends_nothing),
		cmocka_unit_test(read_only_refuses_dispatch),
		cmocka_unit_test(runs_come_from_serves_cache),
		/* last: it adds a second platform on the same build repo */
		cmocka_unit_test(rollback_dialog_fetches_the_history),
	};
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest files[] = {
		T(search_filter_wrap_in_a_log),
		T(a_million_lines),
		T(a_growing_file_is_followed),
		T(no_color_log_has_no_colour_escapes),
		T(a_missing_log_file_is_refused),
	};
	int failed = cmocka_run_group_tests_name("console log files", files, NULL, NULL);

	return failed + cmocka_run_group_tests_name("console runs", emu, emu_setup, emu_teardown);
}

/*
 * The Gitea commands as a script runs them: the built binary against the Gitea emulator
 * (1.25: the run is found by polling; 1.27: dispatch returns it).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cliutil.h"
#include "emuutil.h"

#define RUN(e, r, ...) cli_run((e), (r), __VA_ARGS__, NULL)
#define JSON(e, ...) cli_json((e), __VA_ARGS__, NULL)

static emu_t *E;
static const char *version;
static char url_env[128];

static void
assert_contains(const char *haystack, const char *needle)
{
	if (!haystack || !strstr(haystack, needle))
		fail_msg("expected \"%s\" in:\n%s", needle, haystack ? haystack : "(null)");
}

static const char workflow_b64[] =
	/* on: workflow_dispatch; one job "build-image" on disk-image-builder */
	"b246CiAgd29ya2Zsb3dfZGlzcGF0Y2g6CmpvYnM6CiAgYnVpbGQtaW1hZ2U6CiAgICBydW5zLW9uOiBk"
	"aXNrLWltYWdlLWJ1aWxkZXIKICAgIHRpbWVvdXQtbWludXRlczogNjAK";

static cli_env *
env_new(const char *token)
{
	static char tokens[4][128];
	static int next;
	cli_env *e = cli_env_new();
	char *tok = tokens[next++ % 4];
	tu_run_result r;

	/* The env list keeps pointers: a few live environments at a time is all we need. */
	snprintf(tok, sizeof(tokens[0]), "DISKOPS_GITEA_TOKEN=%s", token);
	e->extra_env[0] = url_env;
	e->extra_env[1] = tok;
	assert_int_equal(RUN(e, &r, "init"), 0);
	tu_run_result_free(&r);
	return e;
}

static int
group_setup(void **state)
{
	char body[512];

	(void)state;
	E = emu_start(version, NULL);
	snprintf(url_env, sizeof(url_env), "DISKOPS_GITEA_URL=%s", E->url);
	snprintf(body, sizeof(body), "{\"content\":\"%s\",\"message\":\"add the workflow\"}",
		 workflow_b64);
	assert_int_equal(emu_http(E, "POST", "/api/v1/repos/alice/build/contents/.gitea/workflows/"
				  "build-disk-image.yml", EMU_ALICE, body, NULL), 201);
	return 0;
}

static int
group_teardown(void **state)
{
	long unknown;

	(void)state;
	unknown = emu_unknown_calls(E);
	assert_int_equal(emu_stop(E), 0);
	E = NULL;
	return unknown == 0 ? 0 : -1;
}

static void
script(const char *text)
{
	char *gate;

	emu_runner_script(E, "alice", "build", text);
	assert_true(asprintf(&gate, "%s/repos/alice/build.git/go", E->data) > 0);
	unlink(gate);
	free(gate);
}

/* Dispatches through the CLI (--json) and returns the run id. */
static long long
dispatch(cli_env *e, const char *exit_code)
{
	char input[32];
	json_t *j;
	long long id;

	snprintf(input, sizeof(input), "exit=%s", exit_code);
	j = JSON(e, "dispatch", "--platform", "pc", "-i", input, "--json");
	id = json_integer_value(json_object_get(j, "run_id"));
	assert_true(id > 0);
	assert_string_equal(json_string_value(json_object_get(j, "repo")), "alice/build");
	json_decref(j);
	return id;
}

static long long
job_of(cli_env *e, long long run)
{
	char id[32];
	json_t *j, *jobs;
	long long job;

	snprintf(id, sizeof(id), "%lld", run);
	j = JSON(e, "runs", "show", id, "--repo", "alice/build", "--json");
	jobs = json_object_get(j, "jobs");
	assert_int_equal(json_array_size(jobs), 1);
	job = json_integer_value(json_object_get(json_array_get(jobs, 0), "id"));
	json_decref(j);
	return job;
}

static cli_env *
env_with_platform(void)
{
	cli_env *e = env_new(EMU_ALICE);
	tu_run_result r;

	assert_int_equal(RUN(e, &r, "platform", "create", "pc", "--arch", "amd64", "--build-repo",
			     "alice/build"), 0);
	tu_run_result_free(&r);
	return e;
}

static void
dispatch_prints_run_and_url(void **state)
{
	cli_env *e = env_with_platform();
	tu_run_result r;
	char want[64];
	long long run;

	(void)state;
	script("echo built\nexit \"$INPUT_EXIT\"\n");
	assert_int_equal(RUN(e, &r, "dispatch", "--platform", "pc", "-i", "exit=0"), 0);
	assert_true(sscanf(r.out, "run %lld dispatched\n", &run) == 1);
	snprintf(want, sizeof(want), "/alice/build/actions/runs/");
	assert_contains(r.out, want);
	assert_contains(r.out, E->url);
	tu_run_result_free(&r);
	emu_wait_job(E, job_of(e, run));
	/* The only platform with a build repo is the default. */
	run = dispatch(e, "0");
	emu_wait_job(E, job_of(e, run));
	assert_int_equal(RUN(e, &r, "dispatch", "--repo", "alice/build", "--workflow",
			     "missing.yml"), 3);
	assert_contains(r.err, "diskops: dispatch: dispatch missing.yml on refs/heads/main in "
			"alice/build: not found");
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "dispatch", "--repo", "alice/build", "-i", "noequals"), 2);
	assert_contains(r.err, "is not key=value");
	tu_run_result_free(&r);
	cli_env_free(e);
}

static void
runs_list_and_show(void **state)
{
	cli_env *e = env_with_platform();
	tu_run_result r;
	char id[32];
	long long run;
	json_t *j;

	(void)state;
	script("echo 'step one'\necho '##[step] Build image'\necho done\nexit \"$INPUT_EXIT\"\n");
	run = dispatch(e, "1");
	emu_wait_job(E, job_of(e, run));
	snprintf(id, sizeof(id), "%lld", run);
	assert_int_equal(RUN(e, &r, "runs", "list"), 0);
	assert_contains(r.out, "ID");
	assert_contains(r.out, "STATE");
	assert_contains(r.out, id);
	assert_contains(r.out, "failure");
	assert_contains(r.out, "build-disk-image.yml");
	tu_run_result_free(&r);
	j = JSON(e, "runs", "list", "--status", "failure", "--json");
	assert_true(json_array_size(j) >= 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(j, 0), "id")), run);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "conclusion")),
			    "failure");
	json_decref(j);
	assert_int_equal(RUN(e, &r, "runs", "list", "--status", "bogus"), 2);
	assert_contains(r.err, "unknown status: bogus");
	tu_run_result_free(&r);

	assert_int_equal(RUN(e, &r, "runs", "show", id), 0);
	assert_contains(r.out, "state                  failure");
	assert_contains(r.out, "build-image  failure");
	assert_contains(r.out, "Set up job");
	assert_contains(r.out, "Build image");
	assert_contains(r.out, "Complete job");
	tu_run_result_free(&r);
	/* Cancel: no such API before Gitea 1.28, and diskops says so. Rerun: 1.26+. */
	assert_int_equal(RUN(e, &r, "runs", "cancel", id), 2);
	assert_contains(r.err, "has no API to cancel a run (it arrives in 1.28)");
	tu_run_result_free(&r);
	if (strcmp(version, "1.26") >= 0) {
		assert_int_equal(RUN(e, &r, "runs", "rerun", id), 0);
		assert_contains(r.out, "started again");
		tu_run_result_free(&r);
		emu_wait_job(E, job_of(e, run));
	} else {
		assert_int_equal(RUN(e, &r, "runs", "rerun", id), 2);
		assert_contains(r.err, "needs Gitea 1.26 or newer; this server is 1.25.0");
		tu_run_result_free(&r);
	}
	assert_int_equal(RUN(e, &r, "runs", "show", "99999", "--repo", "alice/build"), 3);
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "runs", "show", "abc", "--repo", "alice/build"), 2);
	tu_run_result_free(&r);
	cli_env_free(e);
}

/*
 * Runs `diskops logs JOB --follow` with stdout on a pipe we read as it comes, and opens
 * the job's gate once "line 2" has been printed: the log grows while it is followed.
 */
static int
follow(cli_env *e, long long job, char **out, bool gate)
{
	const char *bin = getenv("DISKOPS_BIN");
	char jid[32], state[600], config[600], *gatepath;
	size_t len = 0;
	int p[2], status;
	bool opened = false;
	pid_t pid;

	snprintf(jid, sizeof(jid), "%lld", job);
	snprintf(state, sizeof(state), "DISKOPS_STATE_DIR=%s", e->state_dir);
	snprintf(config, sizeof(config), "XDG_CONFIG_HOME=%s", e->config_home);
	assert_true(asprintf(&gatepath, "%s/repos/alice/build.git/go", E->data) > 0);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		putenv(state);
		putenv(config);
		putenv(url_env);
		putenv((char *)e->extra_env[1]);
		putenv("DISKOPS_CONFIG=");
		execl(bin && *bin ? bin : "./diskops", "diskops", "logs", jid, "--follow",
		      "--interval", "0.02", NULL);
		_exit(127);
	}
	close(p[1]);
	*out = calloc(1, 1);
	for (;;) {
		char buf[4096];
		ssize_t n = read(p[0], buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*out = realloc(*out, len + (size_t)n + 1);
		memcpy(*out + len, buf, (size_t)n);
		len += (size_t)n;
		(*out)[len] = '\0';
		if (gate && !opened && strstr(*out, "line 2\n")) {
			/* Nothing past line 2 exists yet: the script waits for this file. */
			assert_null(strstr(*out, "line 3"));
			assert_int_equal(tu_write_file(gatepath, "", 0644), 0);
			opened = true;
		}
	}
	close(p[0]);
	waitpid(pid, &status, 0);
	free(gatepath);
	if (gate)
		assert_true(opened);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static const char gated_script[] =
	"echo 'line 1'\n"
	"echo 'line 2'\n"
	"while [ ! -e \"$GITEA_EMULATOR_GIT_DIR/go\" ]; do sleep 0.01; done\n"
	"echo 'line 3'\n"
	"echo 'line 4'\n"
	"printf 'line 5 without a newline'\n"
	"exit \"$INPUT_EXIT\"\n";

static void
logs_follow_streams_the_growing_log(void **state)
{
	cli_env *e = env_with_platform();
	char *out = NULL;
	long long job;

	(void)state;
	script(gated_script);
	job = job_of(e, dispatch(e, "0"));
	assert_int_equal(follow(e, job, &out, true), 0);
	/* Every line, once, in order, without Gitea's timestamps. */
	assert_string_equal(out, "line 1\nline 2\nline 3\nline 4\nline 5 without a newline\n");
	free(out);

	/* A failed job: the follow's exit code says so. */
	script(gated_script);
	job = job_of(e, dispatch(e, "1"));
	assert_int_equal(follow(e, job, &out, true), 1);
	assert_contains(out, "line 4\n");
	free(out);
	cli_env_free(e);
}

/*
 * Like follow(), with stderr on the same pipe, and actions run when text shows up:
 * the log shrinks, expires or Gitea goes away while `logs --follow` is reading it.
 */
struct step {
	const char *when;
	void (*act)(long long job);
};

static int
follow_steps(cli_env *e, long long job, char **out, const struct step *steps)
{
	const char *bin = getenv("DISKOPS_BIN");
	char jid[32], state[600], config[600];
	size_t len = 0, next = 0;
	int p[2], status;
	pid_t pid;

	snprintf(jid, sizeof(jid), "%lld", job);
	snprintf(state, sizeof(state), "DISKOPS_STATE_DIR=%s", e->state_dir);
	snprintf(config, sizeof(config), "XDG_CONFIG_HOME=%s", e->config_home);
	assert_int_equal(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		putenv(state);
		putenv(config);
		putenv(url_env);
		putenv((char *)e->extra_env[1]);
		putenv("DISKOPS_CONFIG=");
		execl(bin && *bin ? bin : "./diskops", "diskops", "logs", jid, "--follow",
		      "--interval", "0.02", NULL);
		_exit(127);
	}
	close(p[1]);
	*out = calloc(1, 1);
	for (;;) {
		char buf[4096];
		ssize_t n = read(p[0], buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*out = realloc(*out, len + (size_t)n + 1);
		memcpy(*out + len, buf, (size_t)n);
		len += (size_t)n;
		(*out)[len] = '\0';
		while (steps[next].when && strstr(*out, steps[next].when)) {
			steps[next].act(job);
			next++;
		}
	}
	close(p[0]);
	waitpid(pid, &status, 0);
	if (steps[next].when)
		fail_msg("never saw \"%s\" in:\n%s", steps[next].when, *out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* The lines of `text` that are not diskops' own messages: what the log printed. */
static char *
log_lines(const char *text)
{
	char *out = calloc(1, strlen(text) + 1), *o = out;

	while (*text) {
		size_t n = strcspn(text, "\n");

		if (strncmp(text, "diskops: ", 9) != 0) {
			memcpy(o, text, n);
			o += n;
			if (text[n])
				*o++ = '\n';
		}
		text += n + (text[n] != '\0');
	}
	return out;
}

static void
open_gate(long long job)
{
	char *gate;

	(void)job;
	assert_true(asprintf(&gate, "%s/repos/alice/build.git/go", E->data) > 0);
	assert_int_equal(tu_write_file(gate, "", 0644), 0);
	free(gate);
}

static void
truncate_log(long long job)
{
	char path[128];

	snprintf(path, sizeof(path), "/_emulator/jobs/%lld/truncate?size=10", job);
	assert_int_equal(emu_http(E, "POST", path, NULL, NULL, NULL), 204);
}

static void
expire_log(long long job)
{
	char path[128];

	snprintf(path, sizeof(path), "/_emulator/jobs/%lld/expire", job);
	assert_int_equal(emu_http(E, "POST", path, NULL, NULL, NULL), 204);
}

static void
logs_follow_shrinking_and_expiring_log(void **state)
{
	static const struct step shrink[] = {
		{ "line 2\n", truncate_log }, { "shorter than", open_gate }, { NULL, NULL },
	};
	static const struct step expire[] = { { "line 2\n", expire_log }, { NULL, NULL } };
	cli_env *e = env_with_platform();
	char *out = NULL, *lines, want[160];
	long long job;

	(void)state;
	/* Moved to storage, now shorter than what was shown: said once, then the lines
	 * written after it, each once, nothing glued or repeated. */
	script(gated_script);
	job = job_of(e, dispatch(e, "0"));
	assert_int_equal(follow_steps(e, job, &out, shrink), 0);
	assert_contains(out, "diskops: logs: the log is now 10 bytes, shorter than the ");
	assert_contains(out, "already shown (moved to storage?); continuing from its end\n");
	assert_null(strstr(out, "shorter than the 10 already shown"));
	lines = log_lines(out);
	assert_string_equal(lines, "line 1\nline 2\nline 3\nline 4\nline 5 without a newline\n");
	free(lines);
	free(out);

	/* Cleaned up while followed: a clear end (not found, 3), what was shown stays. */
	script(gated_script);
	job = job_of(e, dispatch(e, "0"));
	assert_int_equal(follow_steps(e, job, &out, expire), 3);
	assert_contains(out, "diskops: logs: the job's logs have been cleaned up\n");
	snprintf(want, sizeof(want), "the logs of job %lld have been cleaned up (Gitea's "
		 "LOG_RETENTION_DAYS)", job);
	assert_contains(out, want);
	lines = log_lines(out);
	assert_string_equal(lines, "line 1\nline 2\n");
	free(lines);
	free(out);
	open_gate(job);
	emu_wait_job(E, job);
	cli_env_free(e);
}

/* Exit code of --follow on a job already finished: the job's conclusion. */
static void
logs_follow_exit_code_is_the_conclusion(void **state)
{
	cli_env *e = env_with_platform();
	tu_run_result r;
	char jid[32], want[96];
	long long job;
	json_t *j;

	(void)state;
	script("echo oops\nexit \"$INPUT_EXIT\"\n");
	job = job_of(e, dispatch(e, "7"));
	emu_wait_job(E, job);
	snprintf(jid, sizeof(jid), "%lld", job);
	assert_int_equal(RUN(e, &r, "logs", jid, "--follow", "--interval", "0.02"), 1);
	assert_string_equal(r.out, "oops\n");
	snprintf(want, sizeof(want), "diskops: logs: job %lld concluded failure", job);
	assert_contains(r.err, want);
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "logs", jid, "--follow", "--json"), 1);
	j = json_loads(strrchr(r.out, '{'), 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "conclusion")), "failure");
	assert_int_equal(json_integer_value(json_object_get(j, "job_id")), job);
	json_decref(j);
	tu_run_result_free(&r);
	/* Without --follow the command reports the log, not the job: 0. */
	assert_int_equal(RUN(e, &r, "logs", jid), 0);
	tu_run_result_free(&r);

	job = job_of(e, dispatch(e, "0"));
	emu_wait_job(E, job);
	snprintf(jid, sizeof(jid), "%lld", job);
	assert_int_equal(RUN(e, &r, "logs", jid, "--follow"), 0);
	assert_contains(r.err, "finished: success");
	tu_run_result_free(&r);
	cli_env_free(e);
}

static void
gitea_faults_are_clear(void **state)
{
	cli_env *e = env_with_platform();
	tu_run_result r;
	char body[256], jid[32];
	long long job;
	size_t before;
	json_t *j;

	(void)state;
	/* 422: a workflow without workflow_dispatch. Nothing is dispatched. */
	snprintf(body, sizeof(body), "{\"content\":\"%s\",\"message\":\"push only\"}",
		 "b246CiAgcHVzaDoKam9iczoKICBiOgogICAgcnVucy1vbjogeAo=");
	assert_int_equal(emu_http(E, "POST", "/api/v1/repos/alice/build/contents/.gitea/workflows/"
				  "push-only.yml", EMU_ALICE, body, NULL), 201);
	j = JSON(e, "runs", "list", "--json");
	before = json_array_size(j);
	json_decref(j);
	assert_int_equal(RUN(e, &r, "dispatch", "--platform", "pc", "--workflow", "push-only.yml"), 2);
	assert_contains(r.err, "has no workflow_dispatch event trigger");
	assert_contains(r.err, "push-only.yml");
	tu_run_result_free(&r);
	j = JSON(e, "runs", "list", "--json");
	assert_int_equal(json_array_size(j), before);
	json_decref(j);

	/* Replies cut in half: an error naming it, for every command, and no crash. */
	script("echo fine\n");
	job = job_of(e, dispatch(e, "0"));
	emu_wait_job(E, job);
	snprintf(jid, sizeof(jid), "%lld", job);
	assert_int_equal(emu_http(E, "POST", "/_emulator/fault?malformed_json=1", NULL, NULL, NULL),
			 204);
	assert_int_equal(RUN(e, &r, "runs", "list"), 1);
	assert_contains(r.err, "not valid JSON");
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "runners", "list", "--repo", "alice/build"), 1);
	assert_contains(r.err, "not valid JSON");
	tu_run_result_free(&r);
	/* The log itself is text and arrives; following needs the job (JSON) and stops. */
	assert_int_equal(RUN(e, &r, "logs", jid, "--follow"), 1);
	assert_contains(r.err, "not valid JSON");
	assert_string_equal(r.out, "fine\n");
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "dispatch", "--platform", "pc"), 1);
	assert_contains(r.err, "not valid JSON");
	tu_run_result_free(&r);
	assert_int_equal(emu_http(E, "POST", "/_emulator/fault?malformed_json=0", NULL, NULL, NULL),
			 204);
	assert_int_equal(RUN(e, &r, "logs", jid, "--follow"), 0);
	assert_string_equal(r.out, "fine\n");
	tu_run_result_free(&r);

	/* Gitea down: every command says where it tried. */
	e->extra_env[0] = "DISKOPS_GITEA_URL=http://127.0.0.1:1";
	assert_int_equal(RUN(e, &r, "logs", jid, "--follow"), 1);
	assert_contains(r.err, "cannot reach Gitea at http://127.0.0.1:1");
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "dispatch", "--platform", "pc"), 1);
	assert_contains(r.err, "cannot reach Gitea at http://127.0.0.1:1");
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "runs", "show", "1", "--repo", "alice/build"), 1);
	assert_contains(r.err, "cannot reach Gitea at http://127.0.0.1:1");
	tu_run_result_free(&r);
	cli_env_free(e);
}

static void
stop_emulator(long long job)
{
	(void)job;
	assert_int_equal(emu_unknown_calls(E), 0);
	assert_int_equal(emu_stop(E), 0);
	E = NULL;
}

/* Gitea goes away under a follow: a clear error, not a hang or a crash. Runs last: it
 * starts a fresh emulator for the group's end. */
static void
logs_follow_when_gitea_goes_away(void **state)
{
	static const struct step steps[] = { { "line 2\n", stop_emulator }, { NULL, NULL } };
	cli_env *e = env_with_platform();
	char *out = NULL, *lines;
	long long job;

	(void)state;
	script(gated_script);
	job = job_of(e, dispatch(e, "0"));
	assert_int_equal(follow_steps(e, job, &out, steps), 1);
	assert_contains(out, "diskops: logs: cannot reach Gitea at http://127.0.0.1:");
	lines = log_lines(out);
	assert_string_equal(lines, "line 1\nline 2\n");
	free(lines);
	free(out);
	cli_env_free(e);
	group_setup(NULL);
}

static void
logs_grep_tail_and_json(void **state)
{
	cli_env *e = env_with_platform();
	tu_run_result r;
	char jid[32];
	long long job;
	json_t *j;

	(void)state;
	script("for i in 1 2 3 4 5 6; do echo \"item $i\"; echo noise; done\n");
	job = job_of(e, dispatch(e, "0"));
	emu_wait_job(E, job);
	snprintf(jid, sizeof(jid), "%lld", job);
	assert_int_equal(RUN(e, &r, "logs", jid), 0);
	assert_contains(r.out, "item 1\nnoise\nitem 2\n");
	tu_run_result_free(&r);
	/* grep first, then tail. */
	assert_int_equal(RUN(e, &r, "logs", jid, "--grep", "^item [0-9]$", "--tail", "2"), 0);
	assert_string_equal(r.out, "item 5\nitem 6\n");
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "logs", jid, "--timestamps", "--tail", "1"), 0);
	assert_true(r.out[4] == '-' && r.out[10] == 'T');
	assert_contains(r.out, "Z noise\n");
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "logs", jid, "--grep", "item 3", "--json"), 0);
	j = json_loads(r.out, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "line")), "item 3");
	assert_true(strlen(json_string_value(json_object_get(j, "time"))) > 20);
	json_decref(j);
	tu_run_result_free(&r);
	{
		char rid[32];
		long long run = dispatch(e, "0");

		emu_wait_job(E, job_of(e, run));
		snprintf(rid, sizeof(rid), "%lld", run);
		assert_int_equal(RUN(e, &r, "logs", "--run", rid, "--tail", "1", "--follow"), 0);
		assert_string_equal(r.out, "noise\n");
		tu_run_result_free(&r);
		assert_int_equal(RUN(e, &r, "logs", jid, "--run", rid), 2);
		tu_run_result_free(&r);
	}
	assert_int_equal(RUN(e, &r, "logs", jid, "--grep", "(?=x)"), 2);
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "logs", "424242", "--repo", "alice/build"), 3);
	assert_contains(r.err, "job 424242 in alice/build: not found");
	tu_run_result_free(&r);
	cli_env_free(e);
}

static void
secret_set_reads_stdin_only(void **state)
{
	cli_env *e = env_new(EMU_ALICE);
	tu_run_result r;
	char jid[32];
	long long job;
	json_t *j;

	(void)state;
	assert_int_equal(cli_run_input(e, &r, "s3cr3t-from-stdin\n", "secret", "set", "API_KEY",
				       "--repo", "alice/build", NULL), 0);
	assert_string_equal(r.out, "secret API_KEY created in alice/build\n");
	assert_null(strstr(r.err, "s3cr3t"));
	tu_run_result_free(&r);
	assert_int_equal(cli_run_input(e, &r, "s3cr3t-from-stdin", "secret", "set", "API_KEY",
				       "--repo", "alice/build", "--json", "--log-level", "debug",
				       NULL), 0);
	/* Debug logging shows the request, never the value or the token. */
	assert_contains(r.err, "gitea request");
	assert_null(strstr(r.err, "s3cr3t"));
	assert_null(strstr(r.err, EMU_ALICE));
	j = json_loads(r.out, 0, NULL);
	assert_false(json_is_true(json_object_get(j, "created")));
	assert_null(strstr(r.out, "s3cr3t"));
	json_decref(j);
	tu_run_result_free(&r);
	/* The job sees exactly the value (the newline dropped); the log masks it. */
	script("[ \"$API_KEY\" = s3cr3t-from-stdin ] && echo \"secret ok: $API_KEY\"\n");
	assert_int_equal(RUN(e, &r, "platform", "create", "pc", "--arch", "amd64", "--build-repo",
			     "alice/build"), 0);
	tu_run_result_free(&r);
	job = job_of(e, dispatch(e, "0"));
	emu_wait_job(E, job);
	snprintf(jid, sizeof(jid), "%lld", job);
	assert_int_equal(RUN(e, &r, "logs", jid), 0);
	assert_string_equal(r.out, "secret ok: ***\n");
	tu_run_result_free(&r);

	/* Never from argv; never empty. */
	assert_int_equal(RUN(e, &r, "secret", "set", "API_KEY", "value", "--repo", "alice/build"), 2);
	assert_contains(r.err, "the value comes from stdin, never from the command line");
	tu_run_result_free(&r);
	assert_int_equal(cli_run_input(e, &r, "", "secret", "set", "API_KEY", "--repo",
				       "alice/build", NULL), 2);
	assert_contains(r.err, "no value for API_KEY on stdin");
	tu_run_result_free(&r);
	assert_int_equal(cli_run_input(e, &r, "v", "secret", "set", "GITHUB_X", "--repo",
				       "alice/build", NULL), 2);
	tu_run_result_free(&r);
	cli_env_free(e);

	/* Not the owner: Gitea's 403 and what it means. */
	e = env_new(EMU_BOB);
	assert_int_equal(cli_run_input(e, &r, "v", "secret", "set", "API_KEY", "--repo",
				       "alice/build", NULL), 1);
	assert_contains(r.err, "forbidden (403)");
	assert_contains(r.err, "need the repo owner, an org owner or a site admin");
	tu_run_result_free(&r);
	cli_env_free(e);
}

static void
runners_list(void **state)
{
	cli_env *e = env_new(EMU_ALICE);
	tu_run_result r;
	json_t *j;

	(void)state;
	assert_int_equal(RUN(e, &r, "runners", "list", "--repo", "alice/build"), 0);
	assert_contains(r.out, "NAME");
	assert_contains(r.out, "builder-1");
	assert_contains(r.out, "online");
	assert_contains(r.out, "disk-image-builder,amd64");
	tu_run_result_free(&r);
	j = JSON(e, "runners", "list", "--repo", "alice/build", "--json");
	assert_int_equal(json_array_size(j), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "status")),
			    "online");
	json_decref(j);
	cli_env_free(e);
}

static void
errors_are_clear(void **state)
{
	cli_env *e = env_new("wrong-token");
	tu_run_result r;

	(void)state;
	assert_int_equal(RUN(e, &r, "runs", "list", "--repo", "alice/build"), 1);
	assert_contains(r.err, "401, bad or expired token");
	assert_null(strstr(r.err, "wrong-token"));
	tu_run_result_free(&r);
	cli_env_free(e);

	e = env_new(EMU_ALICE);
	assert_int_equal(RUN(e, &r, "runners", "list", "--repo", "alice/nope"), 3);
	assert_contains(r.err, "runners of alice/nope: not found");
	tu_run_result_free(&r);
	/* No platform with a build repo, no --repo. */
	assert_int_equal(RUN(e, &r, "runs", "list"), 2);
	assert_contains(r.err, "give --repo OWNER/REPO or --platform NAME");
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "runs", "list", "--repo", "justone"), 2);
	assert_contains(r.err, "is not OWNER/REPO");
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "platform", "create", "bare", "--arch", "amd64"), 0);
	tu_run_result_free(&r);
	assert_int_equal(RUN(e, &r, "dispatch", "--platform", "bare"), 2);
	assert_contains(r.err, "platform bare has no build repo");
	tu_run_result_free(&r);
	/* Gitea down: nothing listens there. */
	e->extra_env[0] = "DISKOPS_GITEA_URL=http://127.0.0.1:1";
	assert_int_equal(RUN(e, &r, "runs", "list", "--repo", "alice/build"), 1);
	assert_contains(r.err, "diskops: runs list: cannot reach Gitea at http://127.0.0.1:1");
	tu_run_result_free(&r);
	e->extra_env[0] = "DISKOPS_GITEA_URL=";
	assert_int_equal(RUN(e, &r, "runners", "list", "--repo", "alice/build"), 2);
	assert_contains(r.err, "no Gitea URL");
	tu_run_result_free(&r);
	cli_env_free(e);
}

#define CLI_TESTS \
	cmocka_unit_test(dispatch_prints_run_and_url), \
	cmocka_unit_test(runs_list_and_show), \
	cmocka_unit_test(logs_follow_streams_the_growing_log), \
	cmocka_unit_test(logs_grep_tail_and_json), \
	cmocka_unit_test(secret_set_reads_stdin_only), \
	cmocka_unit_test(runners_list), \
	cmocka_unit_test(errors_are_clear), \
	cmocka_unit_test(logs_follow_shrinking_and_expiring_log), \
	cmocka_unit_test(logs_follow_exit_code_is_the_conclusion), \
	cmocka_unit_test(gitea_faults_are_clear), \
	cmocka_unit_test(logs_follow_when_gitea_goes_away)

int
main(void)
{
	const struct CMUnitTest tests[] = { CLI_TESTS };
	int failed = 0;

	version = "1.25";
	failed += cmocka_run_group_tests_name("gitea CLI, Gitea 1.25", tests, group_setup,
					      group_teardown);
	version = "1.27";
	failed += cmocka_run_group_tests_name("gitea CLI, Gitea 1.27", tests, group_setup,
					      group_teardown);
	return failed;
}

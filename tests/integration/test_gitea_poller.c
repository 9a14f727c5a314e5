/*
 * The Gitea poller of `serve` against the emulator, one pass at a time on an injected
 * clock: runs, jobs and runners reach the cache; the agent's rules fire from that data;
 * Gitea down opens gitea_unreachable once, backs off, and resolves when it is back.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

#include "cliutil.h"
#include "storeutil.h"
#include "diskops/account.h"
#include "diskops/agent.h"
#include "diskops/clock.h"
#include "diskops/config.h"
#include "diskops/log.h"
#include "diskops/platform.h"
#include "diskops/poller.h"
#include "gitea_fixture.h"

struct fx {
	char *dir, *path;
	dk_store *s;
	dk_account *a;
	dk_config *cfg;
	dk_poller *p;
	dk_gitea *g;
};

static const char gated[] =
	"echo 'line 1'\n"
	"while [ ! -e \"$GITEA_EMULATOR_GIT_DIR/go\" ]; do sleep 0.01; done\n"
	"echo 'line 2'\n";

static void
platform(struct fx *f, const char *name, const char *repo)
{
	dk_platform_spec spec = { .set = DK_PLATFORM_NAME | DK_PLATFORM_ARCH | DK_PLATFORM_BUILD_REPO,
				  .name = name, .arch = "amd64", .build_repo = repo };
	dk_platform *p = NULL;

	assert_int_equal(dk_platform_create(f->s, &p, f->a->id, &spec, "t"), 0);
	dk_platform_free(p);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	E = emu_start("1.27", NULL);
	dk_clock_set(time(NULL));
	dk_log_set_level(DK_LOG_ERROR);
	f->dir = tu_mkdtemp();
	f->path = tu_path(f->dir, "diskops.db");
	assert_int_equal(dk_store_open(&f->s, f->path, NULL), 0);
	assert_int_equal(dk_account_create(f->s, &f->a, "default", "t"), 0);
	assert_int_equal(dk_config_defaults(&f->cfg), 0);
	assert_int_equal(dk_config_set(f->cfg, "gitea.url", E->url), 0);
	assert_int_equal(dk_config_set(f->cfg, "gitea.token", EMU_ALICE), 0);
	assert_int_equal(dk_poller_new(&f->p, f->cfg), 0);
	f->g = client(EMU_ALICE);
	put_workflow(f->g, "build", "build.yml", workflow_yml);
	platform(f, "pc", "alice/build");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;
	long unknown = E ? emu_unknown_calls(E) : 0;

	dk_gitea_free(f->g);
	dk_poller_free(f->p);
	dk_config_free(f->cfg);
	dk_account_free(f->a);
	dk_store_free(f->s);
	tu_rmrf(f->dir);
	free(f->dir);
	free(f->path);
	free(f);
	dk_clock_set(0);
	if (E)
		assert_int_equal(emu_stop(E), 0);
	E = NULL;
	/* The poller used only calls Gitea has. */
	return unknown == 0 ? 0 : -1;
}

static dk_poller_report
poll_once(struct fx *f)
{
	dk_poller_report r;

	if (dk_poller_once(f->p, f->s, &r) != 0)
		fail_msg("poll: %s", dk_error_last()->message);
	return r;
}

static int64_t
q(struct fx *f, const char *fmt, ...)
{
	char sql[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return su_sql_int(f->path, sql);
}

static void
gate(const char *repo, bool open)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/repos/alice/%s.git/go", E->data, repo);
	if (open)
		assert_int_equal(tu_write_file(path, "", 0644), 0);
	else
		unlink(path);
}

static int64_t
dispatch_run(struct fx *f, const char *repo)
{
	dk_gitea_dispatch_opts o = { .ref = "main" };
	dk_gitea_dispatch_result *res = NULL;
	int64_t id;

	if (dk_gitea_dispatch(f->g, &res, "alice", repo, "build.yml", &o) != 0)
		fail_msg("dispatch: %s", dk_error_last()->message);
	id = res->run_id;
	dk_gitea_dispatch_result_free(res);
	return id;
}

/* Waits until Gitea says the job is running (the emulator starts scripts at once). */
static void
wait_running(struct fx *f, const char *repo, int64_t job_id)
{
	struct timespec ms = { 0, 10 * 1000 * 1000 };

	for (;;) {
		dk_gitea_job *j = NULL;
		bool running;

		assert_int_equal(dk_gitea_job_get(f->g, &j, "alice", repo, job_id), 0);
		running = strcmp(j->status, "in_progress") == 0;
		dk_gitea_job_free(j);
		if (running)
			return;
		nanosleep(&ms, NULL);
	}
}

static int64_t
alerts(struct fx *f, const char *rule, const char *state)
{
	return q(f, "SELECT count(*) FROM alert WHERE rule = '%s' AND state = '%s'", rule, state);
}

static bool
always(void *arg)
{
	(void)arg;
	return true;
}

static void
dispatched_run_reaches_the_cache(void **state)
{
	struct fx *f = *state;
	dk_poller_report r;
	dk_gitea_status *st = NULL;
	int64_t run, job;

	gate("build", false);
	emu_runner_script(E, "alice", "build", gated);
	run = dispatch_run(f, "build");
	job = first_job(f->g, "build", run);
	wait_running(f, "build", job);

	r = poll_once(f);
	assert_true(r.reachable);
	assert_int_equal(r.repos, 1);
	assert_int_equal(r.runs, 1);
	assert_int_equal(r.jobs_fetched, 1);
	assert_int_equal(r.next_delay, 30);
	assert_int_equal(q(f, "SELECT count(*) FROM gitea_run_cache WHERE repo = 'alice/build'"
			   " AND run_id = %lld AND status = 'in_progress' AND event = 'workflow_dispatch'"
			   " AND workflow = 'build.yml' AND length(head_sha) = 40"
			   " AND labels = 'disk-image-builder,amd64' AND run_started_at > 0"
			   " AND fetched_at = %lld", (long long)run, (long long)dk_clock_now()), 1);
	assert_int_equal(q(f, "SELECT count(*) FROM gitea_job_cache WHERE job_id = %lld AND run_id = %lld"
			   " AND name = 'build-image' AND status = 'in_progress'", (long long)job,
			   (long long)run), 1);
	assert_int_equal(q(f, "SELECT count(*) FROM gitea_runner_cache WHERE repo = 'alice/build'"
			   " AND name = 'builder-1' AND online = 1"
			   " AND labels = 'disk-image-builder,amd64'"), 1);
	/* What the console shows: reachable, the version, when it looked. */
	assert_int_equal(dk_store_gitea_status_get(f->s, &st), 0);
	assert_true(st->reachable);
	assert_string_equal(st->version, "1.27.0");
	assert_string_equal(st->url, E->url);
	assert_null(st->last_error);
	assert_int_equal(st->last_poll_at, dk_clock_now());
	assert_int_equal(st->next_poll_at, dk_clock_now() + 30);
	dk_gitea_status_free(st);
	/* …and the status bar's row says the same. */
	assert_int_equal(q(f, "SELECT count(*) FROM service_status WHERE name = 'gitea' AND ok = 1"
			   " AND detail = '1.27.0'"), 1);

	/* Finished: the next pass sees it so. */
	gate("build", true);
	emu_wait_job(E, job);
	dk_clock_advance(30);
	r = poll_once(f);
	assert_int_equal(q(f, "SELECT count(*) FROM gitea_run_cache WHERE run_id = %lld"
			   " AND status = 'completed' AND conclusion = 'success' AND completed_at > 0",
			   (long long)run), 1);
	assert_int_equal(q(f, "SELECT count(*) FROM gitea_job_cache WHERE job_id = %lld"
			   " AND conclusion = 'success'", (long long)job), 1);
	/* A finished run's jobs are not fetched again. */
	r = poll_once(f);
	assert_int_equal(r.runs, 1);
	assert_int_equal(r.jobs_fetched, 0);
	assert_int_equal(q(f, "SELECT count(*) FROM gitea_job_cache"), 1);
	/* Configured poll interval. */
	assert_int_equal(dk_config_set(f->cfg, "gitea.poll_seconds", "45"), 0);
	r = poll_once(f);
	assert_int_equal(r.next_delay, 45);
	/* serve stopping: a pass in flight goes no further than the repo it is on. */
	dk_poller_set_cancel(f->p, always, NULL);
	r = poll_once(f);
	assert_true(r.reachable);
	assert_int_equal(r.repos, 0);
}

static void
unreachable_opens_once_backs_off_and_resolves(void **state)
{
	struct fx *f = *state;
	static const int64_t want[] = { 60, 120, 240, 480, 600, 600 };
	unsigned short port = E->port;
	dk_gitea_status *st = NULL;
	dk_poller_report r;
	char portarg[16];

	/* A platform whose repo Gitea does not have: reported, not "unreachable". */
	platform(f, "gone", "alice/nope");
	r = poll_once(f);
	assert_true(r.reachable);
	assert_int_equal(r.repos, 1);
	assert_int_equal(r.repo_errors, 1);
	assert_int_equal(alerts(f, "gitea_unreachable", "open"), 0);
	assert_int_equal(dk_store_gitea_status_get(f->s, &st), 0);
	assert_contains(st->last_error, "alice/nope");
	dk_gitea_status_free(st);

	assert_int_equal(emu_unknown_calls(E), 0);
	assert_int_equal(emu_stop(E), 0);
	E = NULL;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		dk_clock_advance(dk_poller_delay(f->p));
		r = poll_once(f);
		assert_false(r.reachable);
		assert_int_equal(r.alert_opened, i == 0 ? 1 : 0);
		assert_int_equal(r.next_delay, want[i]);
		assert_int_equal(dk_poller_failures(f->p), (int)i + 1);
	}
	assert_int_equal(alerts(f, "gitea_unreachable", "open"), 1);
	assert_int_equal(q(f, "SELECT count(*) FROM event WHERE kind = 'system.disk_image_alert_opened'"
			   " AND source = 'poller'"), 1);
	assert_int_equal(dk_store_gitea_status_get(f->s, &st), 0);
	assert_false(st->reachable);
	assert_int_equal(st->failures, 6);
	/* The last version seen stays on display; the error says what happened. */
	assert_string_equal(st->version, "1.27.0");
	assert_contains(st->last_error, "cannot reach Gitea");
	assert_true(st->last_ok_at < st->last_poll_at);
	dk_gitea_status_free(st);
	assert_int_equal(q(f, "SELECT count(*) FROM service_status WHERE name = 'gitea' AND ok = 0"
			   " AND detail LIKE '%%cannot reach Gitea%%'"), 1);
	/* The cache is left as it was, not emptied. */
	assert_int_equal(q(f, "SELECT count(*) FROM gitea_runner_cache WHERE repo = 'alice/build'"), 1);

	/* Gitea is back on the same address. */
	snprintf(portarg, sizeof(portarg), "%u", port);
	E = emu_start("1.27", "--port", portarg, NULL);
	dk_clock_advance(600);
	r = poll_once(f);
	assert_true(r.reachable);
	assert_int_equal(r.alert_resolved, 1);
	assert_int_equal(r.next_delay, 30);
	assert_int_equal(alerts(f, "gitea_unreachable", "open"), 0);
	assert_int_equal(alerts(f, "gitea_unreachable", "resolved"), 1);
	assert_int_equal(dk_store_gitea_status_get(f->s, &st), 0);
	assert_true(st->reachable);
	assert_int_equal(st->failures, 0);
	assert_int_equal(st->last_ok_at, dk_clock_now());
	dk_gitea_status_free(st);

	/* A reply that is not JSON is Gitea not answering properly, too. */
	assert_int_equal(emu_http(E, "POST", "/_emulator/fault?malformed_json=1", NULL, NULL, NULL),
			 204);
	r = poll_once(f);
	assert_false(r.reachable);
	assert_int_equal(r.alert_opened, 1);
	assert_int_equal(emu_http(E, "POST", "/_emulator/fault?malformed_json=0", NULL, NULL, NULL),
			 204);
	r = poll_once(f);
	assert_true(r.reachable);
	assert_int_equal(alerts(f, "gitea_unreachable", "open"), 0);
}

static void
rules_fire_from_polled_data(void **state)
{
	struct fx *f = *state;
	dk_gitea_repo_spec spec = { .name = "norunner", .auto_init = true };
	dk_gitea_repo *repo = NULL;
	dk_agent_report ar;
	int64_t run, queued, job;
	char subject[64];

	assert_int_equal(dk_gitea_repo_create(f->g, &repo, NULL, &spec), 0);
	dk_gitea_repo_free(repo);
	put_workflow(f->g, "norunner", "build.yml", workflow_yml);
	platform(f, "edge", "alice/norunner");
	gate("build", false);
	emu_runner_script(E, "alice", "build", gated);
	run = dispatch_run(f, "build");
	job = first_job(f->g, "build", run);
	wait_running(f, "build", job);
	/* No runner script in alice/norunner: its run stays queued. */
	queued = dispatch_run(f, "norunner");
	assert_int_equal(emu_http(E, "POST", "/_emulator/runners?name=builder-1&online=0", NULL, NULL,
				  NULL), 204);
	poll_once(f);

	/* Nothing is old enough yet. */
	assert_int_equal(dk_agent_tick(f->s, f->cfg, &ar), 0);
	assert_int_equal(alerts(f, "run_overdue", "open"), 0);
	assert_int_equal(alerts(f, "queued_no_runner", "open"), 0);
	assert_int_equal(alerts(f, "runner_offline", "open"), 2);

	/* 91 minutes on (the clock is injected; the cache is what was polled). */
	dk_clock_advance(91 * 60);
	poll_once(f);
	assert_int_equal(dk_agent_tick(f->s, f->cfg, &ar), 0);
	snprintf(subject, sizeof(subject), "alice/build#%lld", (long long)run);
	assert_int_equal(q(f, "SELECT count(*) FROM alert WHERE rule = 'run_overdue' AND state = 'open'"
			   " AND subject = '%s'", subject), 1);
	snprintf(subject, sizeof(subject), "alice/norunner#%lld", (long long)queued);
	assert_int_equal(q(f, "SELECT count(*) FROM alert WHERE rule = 'queued_no_runner'"
			   " AND state = 'open' AND subject = '%s'", subject), 1);
	assert_int_equal(q(f, "SELECT count(*) FROM alert WHERE rule = 'runner_offline'"
			   " AND state = 'open' AND subject = 'alice/build:builder-1'"), 1);
	assert_int_equal(alerts(f, "webhook_missing", "open"), 0);

	/* The runner is back and the build finished: those clear; no webhook came for it. */
	assert_int_equal(emu_http(E, "POST", "/_emulator/runners?name=builder-1&online=1", NULL, NULL,
				  NULL), 204);
	gate("build", true);
	emu_wait_job(E, job);
	poll_once(f);
	assert_int_equal(dk_agent_tick(f->s, f->cfg, &ar), 0);
	assert_int_equal(alerts(f, "run_overdue", "open"), 0);
	assert_int_equal(alerts(f, "runner_offline", "open"), 0);
	assert_int_equal(alerts(f, "queued_no_runner", "open"), 0);
	snprintf(subject, sizeof(subject), "alice/build#%lld", (long long)run);
	assert_int_equal(q(f, "SELECT count(*) FROM alert WHERE rule = 'webhook_missing'"
			   " AND state = 'open' AND subject = '%s'", subject), 1);
}

/* `diskops serve` runs the poller in its own thread: a pass at start, without waiting. */
static void
serve_polls_gitea(void **state)
{
	struct fx *f = *state;
	const char *bin = getenv("DISKOPS_BIN");
	cli_env *e = cli_env_new();
	char url[128], tok[128], st[600], cfg[600], *db, *log;
	struct timespec ms = { 0, 10 * 1000 * 1000 };
	tu_run_result r;
	int64_t run;
	int status;
	pid_t pid;

	snprintf(url, sizeof(url), "DISKOPS_GITEA_URL=%s", E->url);
	snprintf(tok, sizeof(tok), "DISKOPS_GITEA_TOKEN=%s", EMU_ALICE);
	e->extra_env[0] = url;
	e->extra_env[1] = tok;
	assert_int_equal(cli_run(e, &r, "init", NULL), 0);
	tu_run_result_free(&r);
	assert_int_equal(cli_run(e, &r, "platform", "create", "pc", "--arch", "amd64", "--build-repo",
				 "alice/build", NULL), 0);
	tu_run_result_free(&r);
	emu_runner_script(E, "alice", "build", "echo built\n");
	run = dispatch_run(f, "build");
	emu_wait_job(E, first_job(f->g, "build", run));

	db = tu_path(e->state_dir, "diskops.db");
	log = tu_path(e->dir, "serve.log");
	snprintf(st, sizeof(st), "DISKOPS_STATE_DIR=%s", e->state_dir);
	snprintf(cfg, sizeof(cfg), "XDG_CONFIG_HOME=%s", e->config_home);
	pid = fork();
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		dup2(fd, 1);
		dup2(fd, 2);
		putenv(st);
		putenv(cfg);
		putenv(url);
		putenv(tok);
		execl(bin && *bin ? bin : "./diskops", "diskops", "serve", "--listen", "127.0.0.1:0",
		      NULL);
		_exit(127);
	}
	while (su_sql_int(db, "SELECT count(*) FROM gitea_status WHERE reachable = 1"
			  " AND version = '1.27.0'") != 1) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			fail_msg("diskops serve exited; see %s", log);
		nanosleep(&ms, NULL);
	}
	{
		char sql[200];

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM gitea_run_cache WHERE run_id = %lld"
			 " AND conclusion = 'success'", (long long)run);
		assert_int_equal(su_sql_int(db, sql), 1);
	}
	assert_int_equal(su_sql_int(db, "SELECT next_poll_at - last_poll_at FROM gitea_status"), 30);
	/* It stops with serve, at once, between passes. */
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(db);
	free(log);
	cli_env_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(dispatched_run_reaches_the_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(unreachable_opens_once_backs_off_and_resolves, setup,
						teardown),
		cmocka_unit_test_setup_teardown(rules_fire_from_polled_data, setup, teardown),
		cmocka_unit_test_setup_teardown(serve_polls_gitea, setup, teardown),
	};

	return cmocka_run_group_tests_name("gitea poller", tests, NULL, NULL);
}

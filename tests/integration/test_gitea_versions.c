/*
 * core/gitea where Gitea versions differ or the emulator itself is under test: each case
 * starts its own emulator (1.24 without a runs API, 1.26 returning run ids), or none at
 * all (Gitea down).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <time.h>
#include <unistd.h>

#include "diskops/log.h"
#include "gitea_fixture.h"

static void
gitea_down_is_io_error(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	dk_gitea *g = NULL;
	dk_gitea_version v;
	char url[64];

	(void)state;
	/* A port that was just free: bound, never listened on, closed. */
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	close(fd);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/", ntohs(a.sin_port));
	assert_int_equal(dk_gitea_open(&g, url, EMU_ALICE), 0);
	assert_error(dk_gitea_server_version(g, &v), DK_EIO, "cannot reach Gitea at http://127.0.0.1:");
	assert_null(strstr(dk_error_last()->message, EMU_ALICE));
	assert_int_equal(dk_gitea_last_status(g), 0);
	dk_gitea_free(g);
	assert_error(dk_gitea_open(&g, "ftp://x", "t"), DK_EINVALID, "http://");
	assert_error(dk_gitea_open(&g, "", "t"), DK_EINVALID, "DISKOPS_GITEA_URL");
}

static void
emulator_refuses_routes_gitea_lacks(void **state)
{
	char *dir = tu_mkdtemp(), *swagger = tu_path(dir, "swagger.json"), *bin, exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	tu_run_result r;

	(void)state;
	assert_true(n > 0);
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	*strrchr(exe, '/') = '\0';
	assert_true(asprintf(&bin, "%s/gitea-emulator/gitea-emulator", exe) > 0);
	/* A Gitea whose API has only /version: the emulator's own routes are drift. */
	assert_int_equal(tu_write_file(swagger, "{\"paths\": {\"/version\": {\"get\": {}}}}", 0644), 0);
	{
		const char *argv[] = { bin, "--swagger", swagger, NULL };

		assert_int_equal(tu_run(&r, argv, NULL, NULL), 1);
		assert_contains(r.err, "is not in");
		tu_run_result_free(&r);
	}
	tu_rmrf(dir);
	free(dir);
	free(swagger);
	free(bin);
}

static void
emulator_stops_cleanly_with_a_job_running(void **state)
{
	emu_t *e = emu_start("1.27", NULL);
	dk_gitea *g = NULL;
	dk_gitea_dispatch_result *res = NULL;

	(void)state;
	E = e;
	assert_int_equal(dk_gitea_open(&g, e->url, EMU_ALICE), 0);
	put_workflow(g, "build", "build.yml", workflow_yml);
	emu_runner_script(e, "alice", "build", "echo started\nwhile :; do sleep 1; done\n");
	assert_int_equal(dk_gitea_dispatch(g, &res, "alice", "build", "build.yml", NULL), 0);
	dk_gitea_dispatch_result_free(res);
	dk_gitea_free(g);
	/* SIGTERM ends the job's script too, and the emulator exits 0. */
	assert_int_equal(emu_stop(e), 0);
	E = NULL;
}

/* --- 1.24 and 1.26 where they differ --- */

static void
v124_has_no_runs_api(void **state)
{
	emu_t *e = emu_start("1.24", NULL);
	dk_gitea *g = NULL;
	dk_gitea_run_list *l = NULL;
	dk_gitea_dispatch_result *res = NULL;
	char *tok = NULL;

	(void)state;
	assert_int_equal(dk_gitea_open(&g, e->url, EMU_ALICE), 0);
	E = e;
	put_workflow(g, "build", "build.yml", workflow_yml);
	assert_error(dk_gitea_run_list_get(g, &l, "alice", "build", NULL), DK_EINVALID,
		     "needs Gitea 1.25 or newer; this server is 1.24.0");
	/* Dispatch works; the run cannot be identified without the runs API. */
	assert_int_equal(dk_gitea_dispatch(g, &res, "alice", "build", "build.yml", NULL), 0);
	assert_int_equal(res->run_id, 0);
	dk_gitea_dispatch_result_free(res);
	assert_int_equal(dk_gitea_runner_token(g, &tok, "alice", "build"), 0);
	free(tok);
	dk_gitea_free(g);
	assert_int_equal(emu_unknown_calls(e), 0);
	assert_int_equal(emu_stop(e), 0);
	E = NULL;
}

static void
v126_returns_run_id_and_reruns(void **state)
{
	emu_t *e = emu_start("1.26", NULL);
	dk_gitea *g = NULL;
	dk_gitea_dispatch_result *res = NULL;
	int64_t job;

	(void)state;
	E = e;
	assert_int_equal(dk_gitea_open(&g, e->url, EMU_ALICE), 0);
	put_workflow(g, "build", "build.yml", workflow_yml);
	emu_runner_script(e, "alice", "build", "echo ok\n");
	assert_int_equal(dk_gitea_dispatch(g, &res, "alice", "build", "build.yml", NULL), 0);
	assert_true(res->run_id > 0);
	assert_false(res->found_by_polling);
	job = first_job(g, "build", res->run_id);
	emu_wait_job(e, job);
	assert_int_equal(dk_gitea_run_rerun(g, "alice", "build", res->run_id), 0);
	emu_wait_job(e, job);
	dk_gitea_dispatch_result_free(res);
	dk_gitea_free(g);
	assert_int_equal(emu_unknown_calls(e), 0);
	assert_int_equal(emu_stop(e), 0);
	E = NULL;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(gitea_down_is_io_error),
		cmocka_unit_test(v124_has_no_runs_api),
		cmocka_unit_test(v126_returns_run_id_and_reruns),
		cmocka_unit_test(emulator_refuses_routes_gitea_lacks),
		cmocka_unit_test(emulator_stops_cleanly_with_a_job_running),
	};

	return cmocka_run_group_tests_name("gitea client, 1.24/1.26, down", tests, NULL, NULL);
}

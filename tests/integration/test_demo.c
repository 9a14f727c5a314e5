/*
 * `make demo` without the console (DEMO_NO_CONSOLE=1): tests/demo/demo.sh starts the
 * registry, the Gitea emulator and serve, runs the pipeline, and holds until released.
 * Meanwhile this test reads the demo's state through the CLI as an operator would: a
 * two published images (the newest the default), two retired, the build signed with an untrusted
 * key failed with an open alert, and a run still going whose log keeps growing. After
 * the release, every process the demo started is gone and its temp dir removed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cliutil.h"

static void
assert_contains(const char *haystack, const char *needle)
{
	if (!haystack || !strstr(haystack, needle))
		fail_msg("expected \"%s\" in:\n%s", needle, haystack ? haystack : "(null)");
}

static const char *
jstr(json_t *j, const char *name)
{
	const char *v = json_string_value(json_object_get(j, name));

	return v ? v : "";
}

/* build/tests/<suite>/test_x -> build/tests/gitea-emulator/gitea-emulator */
static char *
emulator_path(void)
{
	char exe[PATH_MAX], *path;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	assert_true(n > 0);
	exe[n] = '\0';
	assert_true(asprintf(&path, "%s/gitea-emulator/gitea-emulator", dirname(dirname(exe))) > 0);
	return path;
}

struct demo {
	pid_t pid;
	int fd;
	char *out;
	size_t len;
	char cfg[600], state[600];
	pid_t pids[8];
	int npids;
};

/* Reads the demo's stdout until `line` has appeared (false at EOF). */
static bool
read_until(struct demo *d, const char *line)
{
	for (;;) {
		char buf[4096];
		ssize_t n;

		if (d->out && strstr(d->out, line))
			return true;
		n = read(d->fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		d->out = realloc(d->out, d->len + (size_t)n + 1);
		memcpy(d->out + d->len, buf, (size_t)n);
		d->len += (size_t)n;
		d->out[d->len] = '\0';
	}
}

/* The value after "demo: <key> " up to the end of its line. */
static void
field(struct demo *d, const char *key, char *out, size_t size)
{
	char needle[64];
	const char *p;

	snprintf(needle, sizeof(needle), "demo: %s ", key);
	p = strstr(d->out, needle);
	if (!p)
		fail_msg("the demo printed no \"%s\":\n%s", needle, d->out);
	p += strlen(needle);
	snprintf(out, size, "%.*s", (int)strcspn(p, "\n"), p);
}

static json_t *
q(cli_env *e, struct demo *d, const char *a1, const char *a2, const char *a3, const char *a4,
  const char *a5, const char *a6)
{
	return cli_json(e, "--config", d->cfg, "--state-dir", d->state, a1, a2, a3, a4, a5, a6,
			NULL);
}

/* Processes whose command line names `dir` (the demo's serve, emulator, registry, jobs). */
static int
processes_in(const char *dir)
{
	DIR *proc = opendir("/proc");
	struct dirent *de;
	int n = 0;

	assert_non_null(proc);
	while ((de = readdir(proc))) {
		char path[300], *cmd;
		size_t len = 0;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", de->d_name);
		if (!(cmd = tu_read_file(path, &len)))
			continue;
		for (size_t i = 0; i + 1 < len; i++)
			if (cmd[i] == '\0')
				cmd[i] = ' ';
		n += strstr(cmd, dir) != NULL;
		free(cmd);
	}
	closedir(proc);
	return n;
}

static void
tick(void)
{
	struct timespec t = { 0, 100 * 1000 * 1000 };

	nanosleep(&t, NULL);
}

/* How many lines `logs --run RUN` shows now. */
static size_t
log_lines(cli_env *e, struct demo *d, const char *run)
{
	tu_run_result r;
	size_t n = 0;

	if (cli_run(e, &r, "--config", d->cfg, "--state-dir", d->state, "logs", "--run", run,
		    "--platform", "edge", NULL) != 0)
		fail_msg("logs --run %s: %s", run, r.err);
	for (const char *p = r.out; (p = strchr(p, '\n')); p++)
		n++;
	tu_run_result_free(&r);
	return n;
}

static void
demo_sets_up_the_pipeline_and_cleans_up(void **state)
{
	char *dir = tu_mkdtemp(), *release = tu_path(dir, "release"), *emu = emulator_path();
	char env_emu[PATH_MAX + 32], env_release[PATH_MAX + 32], pids[200], run[32] = "", *cfg_copy, *demo_dir;
	const char *bin = getenv("DISKOPS_BIN");
	struct demo d = { 0 };
	cli_env *e = cli_env_new();
	json_t *pubs, *alerts, *runs, *p, *plat;
	size_t i, published = 0, retired = 0, failed = 0, open_publish_failed = 0, before;
	int p2[2], status, rounds;

	(void)state;
	assert_non_null(bin);
	snprintf(env_emu, sizeof(env_emu), "GITEA_EMULATOR_BIN=%s", emu);
	snprintf(env_release, sizeof(env_release), "DEMO_RELEASE=%s", release);
	assert_int_equal(pipe(p2), 0);
	d.pid = fork();
	assert_true(d.pid >= 0);
	if (d.pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		char *err = tu_path(dir, "demo.err");
		int fd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(null, 0);
		dup2(p2[1], 1);
		dup2(fd, 2);
		close(p2[0]);
		close(p2[1]);
		putenv("DEMO_NO_CONSOLE=1");
		putenv(env_emu);
		putenv(env_release);
		execl("/bin/bash", "bash", "tests/demo/demo.sh", (char *)NULL);
		_exit(127);
	}
	close(p2[1]);
	d.fd = p2[0];
	if (!read_until(&d, "demo: ready\n"))
		fail_msg("the demo stopped before it was ready:\n%s\nstderr:\n%s", d.out ? d.out : "",
			 tu_read_file(tu_path(dir, "demo.err"), NULL));

	/* The banner says Gitea is emulated and how to use a real one. */
	assert_contains(d.out, "Gitea is EMULATED for this demo");
	assert_contains(d.out, "[gitea]\n    url = https://git.example.com");
	field(&d, "config", d.cfg, sizeof(d.cfg));
	field(&d, "state dir", d.state, sizeof(d.state));
	field(&d, "pids", pids, sizeof(pids));
	for (char *s = strtok(pids, " "); s && d.npids < 8; s = strtok(NULL, " "))
		d.pids[d.npids++] = (pid_t)atoi(s);
	assert_int_equal(d.npids, 3);
	cfg_copy = strdup(d.cfg);
	demo_dir = dirname(cfg_copy);
	/* serve, the emulator, the registry and the running job at least. */
	assert_true(processes_in(demo_dir) >= 3);

	/* Publications: the newest two good builds published (retention 2; the newest is the
	 * default), the two older ones retired, the one signed with an untrusted key failed. */
	pubs = q(e, &d, "publication", "list", "--platform", "edge", "--json", NULL);
	json_array_foreach(pubs, i, p) {
		const char *st = jstr(p, "status");

		published += strcmp(st, "published") == 0;
		retired += strcmp(st, "retired") == 0;
		if (strcmp(st, "failed") == 0) {
			failed++;
			assert_contains(jstr(p, "error_message"), "trusted key");
		}
	}
	assert_int_equal(published, 2);
	assert_int_equal(retired, 2);
	assert_int_equal(failed, 1);
	plat = q(e, &d, "platform", "show", "edge", "--json", NULL, NULL);
	assert_string_equal(jstr(plat, "disk_image_publication_status"), "failed");
	assert_true(strlen(jstr(plat, "default_publication_id")) > 0);
	json_decref(plat);
	json_decref(pubs);

	/* An open alert says why. */
	alerts = q(e, &d, "alerts", "list", "--json", NULL, NULL, NULL);
	json_array_foreach(alerts, i, p) {
		if (strcmp(jstr(p, "rule"), "publish_failed") == 0 &&
		    strcmp(jstr(p, "state"), "open") == 0)
			open_publish_failed++;
	}
	assert_int_equal(open_publish_failed, 1);
	json_decref(alerts);

	/* A run still building, whose log keeps growing. */
	runs = cli_json(e, "--config", d.cfg, "--state-dir", d.state, "runs", "list", "--platform",
			"edge", "--status", "in_progress", "--json", NULL);
	assert_int_equal(json_array_size(runs), 1);
	snprintf(run, sizeof(run), "%lld",
		 (long long)json_integer_value(json_object_get(json_array_get(runs, 0), "id")));
	json_decref(runs);
	before = log_lines(e, &d, run);
	for (rounds = 0; log_lines(e, &d, run) <= before; rounds++) {
		if (rounds > 300)
			fail_msg("the running build's log did not grow in 30 s");
		tick();
	}

	/* Released: everything it started stops, its temp dir goes. */
	assert_int_equal(tu_write_file(release, "", 0600), 0);
	read_until(&d, "demo: stopped\n");
	close(d.fd);
	assert_int_equal(waitpid(d.pid, &status, 0), d.pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	for (int k = 0; k < d.npids; k++) {
		errno = 0;
		assert_int_equal(kill(d.pids[k], 0), -1);
		assert_int_equal(errno, ESRCH);
	}
	assert_int_equal(processes_in(demo_dir), 0);
	assert_int_equal(access(d.state, F_OK), -1);
	assert_int_equal(access(demo_dir, F_OK), -1);
	free(cfg_copy);

	free(d.out);
	cli_env_free(e);
	tu_rmrf(dir);
	free(dir);
	free(release);
	free(emu);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(demo_sets_up_the_pipeline_and_cleans_up),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

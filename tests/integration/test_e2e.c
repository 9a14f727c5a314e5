/*
 * The end-to-end test (issue 7): a real docker-registry, the Gitea emulator and
 * `diskops serve`. `diskops bootstrap` sets up the build repo; `diskops dispatch` starts
 * a run whose runner stand-in executes tests/e2e/build.sh: a real boot set (busybox
 * initramfs via cpio + gzip, EROFS rootfs via mkfs.erofs, kernel stand-in), pushed and
 * signed with `diskops upload --no-ingest` and the platform's key (a repo secret), then
 * announced with curl + `openssl dgst -hmac` using the secrets bootstrap set. The
 * publication must end `published` and become the platform's default, `diskops logs
 * --follow` must show the log while it grows, and the run must be in `diskops runs list`.
 * On Gitea 1.25 (dispatch finds its run by polling) and 1.27 (dispatch returns it).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cliutil.h"
#include "emuutil.h"
#include "registry.h"

#define RUN(e, r, ...) cli_run((e), (r), __VA_ARGS__, NULL)
#define JSON(e, ...) cli_json((e), __VA_ARGS__, NULL)

#define REPO "edge-images"

static const char *version;

typedef struct {
	tr_registry *reg;
	emu_t *emu;
	cli_env *e;
	pid_t serve;
	char addr[80];
	char key[600], pub[600], gate[600];
	char env_url[160], env_token[80], env_registry[80];
} fixture;

static fixture *F;

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

static const char *
diskops_bin(void)
{
	const char *b = getenv("DISKOPS_BIN");

	return b && *b ? b : "./diskops";
}

/* The environment cli_run gives diskops, for the processes this test starts itself. */
static void
child_env(cli_env *e)
{
	char buf[700];

	snprintf(buf, sizeof(buf), "DISKOPS_STATE_DIR=%s", e->state_dir);
	putenv(strdup(buf));
	snprintf(buf, sizeof(buf), "XDG_CONFIG_HOME=%s", e->config_home);
	putenv(strdup(buf));
	unsetenv("DISKOPS_CONFIG");
	unsetenv("DISKOPS_ACCOUNT_DEFAULT");
	putenv("TZ=UTC");
	for (int i = 0; i < 8 && e->extra_env[i]; i++)
		putenv((char *)e->extra_env[i]);
}

/* Starts `diskops ARGS` with stdout on a pipe (*out_fd) and stderr into `errlog`. */
static pid_t
spawn(cli_env *e, const char *const *args, int *out_fd, const char *errlog)
{
	const char *argv[32] = { diskops_bin() };
	int p[2] = { -1, -1 }, n = 1;
	pid_t pid;

	for (int i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	if (out_fd)
		assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int err = open(errlog, O_WRONLY | O_CREAT | O_APPEND, 0600);
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(out_fd ? p[1] : err, 1);
		dup2(err, 2);
		if (out_fd) {
			close(p[0]);
			close(p[1]);
		}
		child_env(e);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (out_fd) {
		close(p[1]);
		*out_fd = p[0];
	}
	return pid;
}

/* Polling a condition other processes make true: 20 ms apart, up to `seconds`. */
static void
tick(void)
{
	struct timespec t = { 0, 20 * 1000 * 1000 };

	nanosleep(&t, NULL);
}

static void
serve_start(void)
{
	const char *args[] = { "serve", "--listen", "127.0.0.1:0", "--ready-file", NULL, NULL };
	char *ready = tu_path(F->e->dir, "ready"), *log = tu_path(F->e->dir, "serve.log");

	args[4] = ready;
	F->serve = spawn(F->e, args, NULL, log);
	for (;;) {
		char *text = tu_read_file(ready, NULL);
		int status;

		if (text && strchr(text, '\n')) {
			text[strcspn(text, "\n")] = '\0';
			snprintf(F->addr, sizeof(F->addr), "%s", text);
			free(text);
			break;
		}
		free(text);
		if (waitpid(F->serve, &status, WNOHANG) == F->serve)
			fail_msg("diskops serve exited before listening: %s", tu_read_file(log, NULL));
		tick();
	}
	free(ready);
	free(log);
}

static int
setup(void **state)
{
	tu_run_result r;

	(void)state;
	F = calloc(1, sizeof(*F));
	F->reg = tr_start(TR_AUTH_NONE);
	F->emu = emu_start(version, NULL);
	F->e = cli_env_new();
	snprintf(F->env_url, sizeof(F->env_url), "DISKOPS_GITEA_URL=%s", F->emu->url);
	snprintf(F->env_token, sizeof(F->env_token), "DISKOPS_GITEA_TOKEN=%s", EMU_ALICE);
	snprintf(F->env_registry, sizeof(F->env_registry), "DISKOPS_REGISTRY_HOST=%s",
		 F->reg->host);
	F->e->extra_env[0] = F->env_url;
	F->e->extra_env[1] = F->env_token;
	F->e->extra_env[2] = F->env_registry;
	F->e->extra_env[3] = "DISKOPS_GITEA_AUTHOR=Ada Operator <ada@example.org>";
	F->e->extra_env[4] = "DISKOPS_LOG_LEVEL=warn";
	snprintf(F->key, sizeof(F->key), "%s/ci.key", F->e->dir);
	snprintf(F->pub, sizeof(F->pub), "%s/ci.key.pub", F->e->dir);
	snprintf(F->gate, sizeof(F->gate), "%s/gate", F->e->dir);
	assert_int_equal(RUN(F->e, &r, "init"), 0);
	tu_run_result_free(&r);
	assert_int_equal(RUN(F->e, &r, "keygen", "--out", F->key), 0);
	tu_run_result_free(&r);
	/* Key-signed (legacy .sig): a local key has no transparency-log entry. */
	if (RUN(F->e, &r, "platform", "create", "edge", "--arch", "amd64", "--trusted-key", F->pub,
		"--tlog", "optional", "--retention", "3") != 0)
		fail_msg("platform create: %s", r.err);
	tu_run_result_free(&r);
	serve_start();
	return 0;
}

static int
teardown(void **state)
{
	long unknown;
	int status;

	(void)state;
	if (!F)
		return -1;
	if (F->serve > 0) {
		kill(F->serve, SIGTERM);
		waitpid(F->serve, &status, 0);
	}
	unknown = F->emu ? emu_unknown_calls(F->emu) : -1;
	if (F->emu && emu_stop(F->emu) != 0)
		unknown = -1;
	if (F->reg)
		tr_stop(F->reg);
	cli_env_free(F->e);
	free(F);
	F = NULL;
	return unknown == 0 ? 0 : -1;
}

/* The runner stand-in: what act_runner would do for the workflow's build step. */
static void
install_runner(void)
{
	char *build = realpath("tests/e2e/build.sh", NULL), *bin = realpath(diskops_bin(), NULL);
	char script[3000];

	if (!build)
		fail_msg("tests/e2e/build.sh not found: run from the repository root");
	assert_non_null(bin);
	snprintf(script, sizeof(script),
		 "export DISKOPS='%s'\n"
		 "[ -e '%s.armed' ] && export E2E_GATE='%s'\n"
		 "exec bash '%s'\n", bin, F->gate, F->gate, build);
	emu_runner_script(F->emu, "alice", REPO, script);
	free(build);
	free(bin);
}

static void
bootstrap(void)
{
	char api[128];
	json_t *j, *s;
	size_t i;

	snprintf(api, sizeof(api), "http://%s", F->addr);
	j = JSON(F->e, "bootstrap", "--owner", "alice", "--repo", REPO, "--label", "edge-ci",
		 "--platform", "edge", "--api-base", api, "--commit-workflow", "--yes", "--json");
	if (!json_is_true(json_object_get(j, "success")))
		fail_msg("bootstrap failed: %s", json_dumps(j, 0));
	/* Every step did what it should; none was skipped for want of a value. */
	json_array_foreach(json_object_get(j, "steps"), i, s) {
		const char *st = jstr(s, "status");

		if (strcmp(st, "ok") && strcmp(st, "created") && strcmp(st, "rotated"))
			fail_msg("bootstrap step %s: %s %s", jstr(s, "step"), st, jstr(s, "detail"));
	}
	json_decref(j);
	install_runner();
}

/* The platform's key as the repo secret the build signs with (stdin, never argv). */
static void
set_signing_secret(const char *key_path)
{
	char *pem = tu_read_file(key_path, NULL);
	tu_run_result r;

	assert_non_null(pem);
	if (cli_run_input(F->e, &r, pem, "secret", "set", "COSIGN_PRIVATE_KEY", "--repo",
			  "alice/" REPO, NULL) != 0)
		fail_msg("secret set: %s", r.err);
	tu_run_result_free(&r);
	free(pem);
}

/* A new commit on main (through the contents API), so the next build has its own sha. */
static void
commit_version(const char *text)
{
	unsigned char b64[256];
	char body[512];
	long status;

	EVP_EncodeBlock(b64, (const unsigned char *)text, (int)strlen(text));
	snprintf(body, sizeof(body), "{\"content\":\"%s\",\"message\":\"version %s\","
		 "\"branch\":\"main\"}", b64, text);
	status = emu_http(F->emu, "POST", "/api/v1/repos/alice/" REPO "/contents/VERSION-e2e",
			  EMU_ALICE, body, NULL);
	if (status != 201) {
		char *get = NULL, sha_body[700];
		json_t *j;

		/* It exists: update it with its blob sha. */
		assert_int_equal(emu_http(F->emu, "GET", "/api/v1/repos/alice/" REPO
					  "/contents/VERSION-e2e", EMU_ALICE, NULL, &get), 200);
		j = json_loads(get, 0, NULL);
		snprintf(sha_body, sizeof(sha_body), "{\"content\":\"%s\",\"message\":\"version %s\","
			 "\"branch\":\"main\",\"sha\":\"%s\"}", b64, text, jstr(j, "sha"));
		assert_int_equal(emu_http(F->emu, "PUT", "/api/v1/repos/alice/" REPO
					  "/contents/VERSION-e2e", EMU_ALICE, sha_body, NULL), 200);
		json_decref(j);
		free(get);
	}
}

/* `diskops dispatch`: the run id (1.25 finds it by polling the runs list). */
static long long
dispatch(void)
{
	json_t *j = JSON(F->e, "dispatch", "--platform", "edge", "--json");
	json_t *id = json_object_get(j, "run_id");
	long long run;

	if (!json_is_integer(id))
		fail_msg("dispatch named no run: %s", json_dumps(j, 0));
	run = json_integer_value(id);
	assert_true(json_is_true(json_object_get(j, "found_by_polling")) ==
		    (strcmp(version, "1.26") < 0));
	json_decref(j);
	return run;
}

/* Waits until the publication of git sha `sha` has left queued/verifying; returns it. */
static json_t *
wait_publication(const char *sha)
{
	for (int i = 0; i < 60 * 50; i++) {
		json_t *list = JSON(F->e, "publication", "list", "--platform", "edge", "--json"), *p;
		size_t k;

		json_array_foreach(list, k, p) {
			const char *st = jstr(p, "status");

			if (strcmp(jstr(p, "git_sha"), sha) == 0 && strcmp(st, "queued") != 0 &&
			    strcmp(st, "verifying") != 0 && strcmp(st, "awaiting_upload") != 0) {
				json_incref(p);
				json_decref(list);
				return p;
			}
		}
		json_decref(list);
		tick();
	}
	fail_msg("no publication of %s left the queue within a minute; serve log: %s", sha,
		 tu_read_file(tu_path(F->e->dir, "serve.log"), NULL));
	return NULL;
}

/* The run's head sha as Gitea reports it. */
static char *
run_sha(long long run)
{
	char id[32];
	json_t *j;
	char *sha;

	snprintf(id, sizeof(id), "%lld", run);
	j = JSON(F->e, "runs", "show", id, "--platform", "edge", "--json");
	sha = strdup(jstr(j, "head_sha"));
	json_decref(j);
	assert_int_equal(strlen(sha), 40);
	return sha;
}

/* The value after "pushed " in a log: the digest-pinned reference the build announced. */
static char *
pushed_ref(const char *log)
{
	const char *p = strstr(log, "pushed ");

	assert_non_null(p);
	p += 7;
	return strndup(p, strcspn(p, "\n"));
}

/* `diskops logs --run RUN --follow` until it ends; the reads it took, the text, exit code.
 * With `gated`, the build waits at the gate until this has shown its first lines. */
static char *
follow(long long run, bool gated, int *reads, int *exit_code)
{
	char id[32], *errlog = tu_path(F->e->dir, "follow.err");
	const char *args[] = { "logs", "--run", id, "--platform", "edge", "--follow",
			       "--interval", "0.05", NULL };
	size_t len = 0, cap = 4096, before_gate = 0;
	char *text = malloc(cap);
	int fd, status;
	pid_t pid;

	snprintf(id, sizeof(id), "%lld", run);
	pid = spawn(F->e, args, &fd, errlog);
	*reads = 0;
	for (;;) {
		ssize_t n;

		if (len + 4096 > cap)
			text = realloc(text, cap *= 2);
		n = read(fd, text + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		assert_true(n >= 0);
		if (n == 0)
			break;
		len += (size_t)n;
		text[len] = '\0';
		(*reads)++;
		if (gated && !before_gate && strstr(text, "waiting for the release gate\n")) {
			/* The job cannot finish before the gate opens: what we have is a log
			 * still growing. Nothing past the gate may be here yet. */
			before_gate = len;
			assert_null(strstr(text, "pushed "));
			assert_int_equal(tu_write_file(F->gate, "open", 0644), 0);
		}
	}
	close(fd);
	waitpid(pid, &status, 0);
	*exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	text[len] = '\0';
	if (gated && !before_gate)
		fail_msg("the gate line never came: %s\nstderr: %s", text, tu_read_file(errlog, NULL));
	if (gated)
		/* Lines past the gate came in later reads than the first part. */
		assert_true(len > before_gate);
	free(errlog);
	return text;
}

static bool
run_listed(long long run, const char *conclusion)
{
	json_t *list = JSON(F->e, "runs", "list", "--platform", "edge", "--json"), *r;
	bool found = false;
	size_t i;

	json_array_foreach(list, i, r) {
		if (json_integer_value(json_object_get(r, "id")) == run &&
		    strcmp(jstr(r, "conclusion"), conclusion) == 0)
			found = true;
	}
	json_decref(list);
	return found;
}

static void
pipeline_publishes_and_moves_the_default(void **state)
{
	char armed[700], *sha1, *sha2, *log1, *log2, *ref1, *ref2;
	long long run1, run2;
	int reads, code;
	json_t *p1, *p2, *plat;

	(void)state;
	bootstrap();
	set_signing_secret(F->key);

	/* First build, straight through. */
	run1 = dispatch();
	log1 = follow(run1, false, &reads, &code);
	assert_int_equal(code, 0);
	assert_contains(log1, "initramfs.cpio.gz: ");
	assert_contains(log1, "rootfs.erofs: ");
	assert_contains(log1, "diskops answered: {\"status\":\"queued\"");
	/* The webhook secret reached the runner, and was masked in the stored log. */
	assert_null(strstr(log1, "pndis_"));
	ref1 = pushed_ref(log1);
	sha1 = run_sha(run1);
	p1 = wait_publication(sha1);
	if (strcmp(jstr(p1, "status"), "published") != 0)
		fail_msg("first publication: %s", json_dumps(p1, 0));
	assert_string_equal(jstr(p1, "oci_ref"), ref1);
	assert_true(json_is_true(json_object_get(p1, "cosign_verified")));
	plat = JSON(F->e, "platform", "show", "edge", "--json");
	assert_string_equal(jstr(plat, "default_publication_id"), jstr(p1, "id"));
	assert_string_equal(jstr(plat, "disk_image_oci_ref"), ref1);
	json_decref(plat);

	/* Second build on a new commit, held at the gate until the follow has shown it. */
	commit_version("1.0.1");
	snprintf(armed, sizeof(armed), "%s.armed", F->gate);
	assert_int_equal(tu_write_file(armed, "", 0644), 0);
	run2 = dispatch();
	assert_true(run2 != run1);
	log2 = follow(run2, true, &reads, &code);
	assert_int_equal(code, 0);
	assert_true(reads >= 2);
	assert_contains(log2, "gate open");
	ref2 = pushed_ref(log2);
	sha2 = run_sha(run2);
	assert_string_not_equal(sha1, sha2);
	p2 = wait_publication(sha2);
	if (strcmp(jstr(p2, "status"), "published") != 0)
		fail_msg("second publication: %s", json_dumps(p2, 0));
	assert_string_equal(jstr(p2, "oci_ref"), ref2);

	/* The default moved to the new build; the old one stays published (keep 3), a rollback
	 * target. */
	plat = JSON(F->e, "platform", "show", "edge", "--json");
	assert_string_equal(jstr(plat, "default_publication_id"), jstr(p2, "id"));
	assert_string_equal(jstr(plat, "default_git_sha"), sha2);
	assert_string_equal(jstr(plat, "disk_image_oci_ref"), ref2);
	assert_string_equal(jstr(plat, "disk_image_publication_status"), "published");
	json_decref(plat);
	json_decref(p1);
	p1 = wait_publication(sha1);
	assert_string_equal(jstr(p1, "status"), "published");
	assert_false(json_is_true(json_object_get(p1, "is_default")));

	/* Both runs, as Gitea lists them. */
	assert_true(run_listed(run1, "success"));
	assert_true(run_listed(run2, "success"));

	json_decref(p1);
	json_decref(p2);
	free(sha1);
	free(sha2);
	free(ref1);
	free(ref2);
	free(log1);
	free(log2);
}

/* A build signed with a key the platform does not trust: the publication fails, the
 * default stays where it was, and the run itself succeeded (the refusal is diskops'). */
static void
untrusted_signature_keeps_the_default(void **state)
{
	char other[700], armed[700], *sha, *log;
	long long run;
	int reads, code;
	json_t *p, *before, *after;
	tu_run_result r;

	(void)state;
	snprintf(other, sizeof(other), "%s/rogue.key", F->e->dir);
	assert_int_equal(RUN(F->e, &r, "keygen", "--out", other), 0);
	tu_run_result_free(&r);
	/* Straight through this time: no gate. */
	snprintf(armed, sizeof(armed), "%s.armed", F->gate);
	unlink(armed);
	unlink(F->gate);
	before = JSON(F->e, "platform", "show", "edge", "--json");
	set_signing_secret(other);
	commit_version("1.0.2-rogue");
	run = dispatch();
	log = follow(run, false, &reads, &code);
	assert_int_equal(code, 0);
	sha = run_sha(run);
	p = wait_publication(sha);
	assert_string_equal(jstr(p, "status"), "failed");
	assert_true(strlen(jstr(p, "error_message")) > 0);
	after = JSON(F->e, "platform", "show", "edge", "--json");
	assert_string_equal(jstr(after, "default_publication_id"),
			    jstr(before, "default_publication_id"));
	assert_string_equal(jstr(after, "disk_image_oci_ref"), jstr(before, "disk_image_oci_ref"));
	assert_string_equal(jstr(after, "disk_image_publication_status"), "failed");
	set_signing_secret(F->key);
	json_decref(p);
	json_decref(before);
	json_decref(after);
	free(sha);
	free(log);
}

static int
run_version(const char *v)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pipeline_publishes_and_moves_the_default),
		cmocka_unit_test(untrusted_signature_keeps_the_default),
	};
	char name[64];

	version = v;
	snprintf(name, sizeof(name), "e2e on Gitea %s", v);
	return _cmocka_run_group_tests(name, tests, sizeof(tests) / sizeof(tests[0]), setup,
				       teardown);
}

int
main(void)
{
	int failed = 0;

	failed += run_version("1.25");
	failed += run_version("1.27");
	return failed;
}

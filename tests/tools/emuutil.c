#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "emuutil.h"

/* build/tests/<suite>/test_x -> build/tests/gitea-emulator/gitea-emulator */
static char *
emulator_path(void)
{
	char exe[PATH_MAX], *dir, *path;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	assert_true(n > 0);
	exe[n] = '\0';
	dir = dirname(dirname(exe));
	assert_true(asprintf(&path, "%s/gitea-emulator/gitea-emulator", dir) > 0);
	return path;
}

static char *
swagger_path(void)
{
	const char *env = getenv("DISKOPS_GITEA_SWAGGER");
	char *abs = realpath(env && *env ? env : "../shared/reference/gitea/swagger.v1.json", NULL);

	if (!abs)
		fail_msg("swagger.v1.json not found: set DISKOPS_GITEA_SWAGGER or run from the "
			 "repository root");
	return abs;
}

emu_t *
emu_start(const char *version, ...)
{
	emu_t *e = calloc(1, sizeof(*e));
	const char *argv[48];
	char *bin = emulator_path(), *swagger = swagger_path(), *unknown, line[128];
	int out[2], n = 0;
	const char *a;
	va_list ap;
	FILE *f;

	e->dir = tu_mkdtemp();
	e->data = tu_path(e->dir, "data");
	unknown = tu_path(e->dir, "unknown.log");
	argv[n++] = bin;
	argv[n++] = "--version";
	argv[n++] = version;
	argv[n++] = "--swagger";
	argv[n++] = swagger;
	argv[n++] = "--data";
	argv[n++] = e->data;
	argv[n++] = "--unknown-log";
	argv[n++] = unknown;
	argv[n++] = "--user";
	argv[n++] = "alice:" EMU_ALICE ":alice-pw";
	argv[n++] = "--user";
	argv[n++] = "bob:" EMU_BOB;
	argv[n++] = "--user";
	argv[n++] = "root:" EMU_ROOT "::admin";
	argv[n++] = "--org";
	argv[n++] = "acme:alice";
	argv[n++] = "--repo";
	argv[n++] = "alice/build";
	argv[n++] = "--runner";
	argv[n++] = "builder-1:online:disk-image-builder,amd64";
	va_start(ap, version);
	while ((a = va_arg(ap, const char *)) && n < 46)
		argv[n++] = a;
	va_end(ap);
	argv[n] = NULL;
	assert_int_equal(pipe(out), 0);
	e->pid = fork();
	assert_true(e->pid >= 0);
	if (e->pid == 0) {
		dup2(out[1], 1);
		close(out[0]);
		close(out[1]);
		/* Its state lives until exit by design; leak reports would only be noise. */
		setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
		execv(bin, (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", bin, strerror(errno));
		_exit(127);
	}
	close(out[1]);
	f = fdopen(out[0], "r");
	if (!fgets(line, sizeof(line), f) || sscanf(line, "listening on 127.0.0.1:%hu", &e->port) != 1)
		fail_msg("the Gitea emulator did not start (%s)", bin);
	fclose(f);
	assert_true(asprintf(&e->url, "http://127.0.0.1:%u", e->port) > 0);
	free(bin);
	free(swagger);
	free(unknown);
	return e;
}

int
emu_stop(emu_t *e)
{
	int status = 0;

	if (!e)
		return 0;
	kill(e->pid, SIGTERM);
	while (waitpid(e->pid, &status, 0) < 0 && errno == EINTR)
		;
	tu_rmrf(e->dir);
	free(e->dir);
	free(e->data);
	free(e->url);
	free(e);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct body {
	char *data;
	size_t len;
};

static size_t
on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct body *b = userdata;

	b->data = realloc(b->data, b->len + size * nmemb + 1);
	memcpy(b->data + b->len, data, size * nmemb);
	b->len += size * nmemb;
	b->data[b->len] = '\0';
	return size * nmemb;
}

long
emu_http(emu_t *e, const char *method, const char *path, const char *token, const char *json,
	 char **out)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	struct body b = { calloc(1, 1), 0 };
	char *url, auth[256];
	long status = 0;

	assert_true(asprintf(&url, "%s%s", e->url, path) > 0);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: token %s", token);
		h = curl_slist_append(h, auth);
	}
	if (json) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(url);
	if (out)
		*out = b.data;
	else
		free(b.data);
	return status;
}

long
emu_unknown_calls(emu_t *e)
{
	char *body = NULL;
	json_t *j;
	long n;

	assert_int_equal(emu_http(e, "GET", "/_emulator/stats", NULL, NULL, &body), 200);
	j = json_loads(body, 0, NULL);
	assert_non_null(j);
	n = (long)json_integer_value(json_object_get(j, "unknown_calls"));
	if (n)
		fprintf(stderr, "emulator refused: %s\n", body);
	json_decref(j);
	free(body);
	return n;
}

long
emu_calls(emu_t *e, const char *route)
{
	char *body = NULL;
	json_t *j;
	long n;

	assert_int_equal(emu_http(e, "GET", "/_emulator/stats", NULL, NULL, &body), 200);
	j = json_loads(body, 0, NULL);
	assert_non_null(j);
	n = (long)json_integer_value(json_object_get(json_object_get(j, "calls"), route));
	json_decref(j);
	free(body);
	return n;
}

void
emu_runner_script(emu_t *e, const char *owner, const char *repo, const char *script)
{
	char *path;

	assert_true(asprintf(&path, "%s/repos/%s/%s.git/emulator-runner.sh", e->data, owner,
			     repo) > 0);
	assert_int_equal(tu_write_file(path, script, 0755), 0);
	free(path);
}

void
emu_wait_job(emu_t *e, long long job_id)
{
	char path[128];

	snprintf(path, sizeof(path), "/_emulator/jobs/%lld/wait", job_id);
	assert_int_equal(emu_http(e, "POST", path, NULL, NULL, NULL), 200);
}

char *
emu_path(emu_t *e, const char *name)
{
	return tu_path(e->dir, name);
}

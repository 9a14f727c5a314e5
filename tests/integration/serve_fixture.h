/* Included by tests/integration/test_serve*.c: a state dir, a running `diskops serve`
 * on an ephemeral port, and signed POSTs over libcurl. */
#ifndef SERVE_FIXTURE_H
#define SERVE_FIXTURE_H

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "testutil.h"

struct srv {
	char *dir;
	char env_state[512], env_cfg[512];
	char addr[80];
	char webhook_id[64];
	char secret[128];
	pid_t pid;
};

static inline const char *
bin(void)
{
	const char *b = getenv("DISKOPS_BIN");

	return b && *b ? b : "./diskops";
}

/* Runs the CLI in the fixture's state dir; returns stdout (caller frees) or NULL. */
static inline char *
cli(struct srv *s, const char *const *args, int want_status)
{
	const char *argv[32] = { bin() };
	const char *env[] = { s->env_state, s->env_cfg, NULL };
	tu_run_result r;
	char *out;
	int i;

	for (i = 0; args[i] && i < 30; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	tu_run(&r, argv, env, NULL);
	if (r.status != want_status)
		fail_msg("%s %s: exit %d, stderr: %s", args[0], args[1] ? args[1] : "", r.status, r.err);
	out = r.out;
	free(r.err);
	return out;
}

static inline void
srv_init(struct srv *s)
{
	const char *init[] = { "init", NULL };
	const char *plat[] = { "platform", "create", "rpi", "--arch", "arm64", NULL };
	const char *hook[] = { "webhook", "create", "--label", "ci", "--json", NULL };
	json_t *j;
	char *out;

	memset(s, 0, sizeof(*s));
	s->dir = tu_mkdtemp();
	snprintf(s->env_state, sizeof(s->env_state), "DISKOPS_STATE_DIR=%s", s->dir);
	snprintf(s->env_cfg, sizeof(s->env_cfg), "XDG_CONFIG_HOME=%s/cfg", s->dir);
	free(cli(s, init, 0));
	free(cli(s, plat, 0));
	out = cli(s, hook, 0);
	j = json_loads(out, 0, NULL);
	assert_non_null(j);
	snprintf(s->secret, sizeof(s->secret), "%s",
		 json_string_value(json_object_get(j, "secret_plaintext")));
	snprintf(s->webhook_id, sizeof(s->webhook_id), "%s",
		 json_string_value(json_object_get(json_object_get(j, "disk_image_webhook"), "id")));
	json_decref(j);
	free(out);
}

/* Waits (no time limit of its own) until the ready file names the bound address. */
static inline void
srv_start(struct srv *s, const char *const *extra)
{
	char ready[600], log[600];
	struct timespec tick = { 0, 5 * 1000 * 1000 };
	const char *argv[32];
	int n = 0;

	snprintf(ready, sizeof(ready), "%s/ready", s->dir);
	snprintf(log, sizeof(log), "%s/serve.log", s->dir);
	unlink(ready);
	argv[n++] = bin();
	argv[n++] = "serve";
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1:0";
	argv[n++] = "--ready-file";
	argv[n++] = ready;
	for (int i = 0; extra && extra[i] && n < 30; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		dup2(fd, 1);
		dup2(fd, 2);
		putenv(s->env_state);
		putenv(s->env_cfg);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	for (;;) {
		char *text = tu_read_file(ready, NULL);
		int status;

		if (text) {
			text[strcspn(text, "\n")] = '\0';
			snprintf(s->addr, sizeof(s->addr), "%s", text);
			free(text);
			return;
		}
		if (waitpid(s->pid, &status, WNOHANG) == s->pid)
			fail_msg("diskops serve exited before listening; see %s", log);
		nanosleep(&tick, NULL);
	}
}

static inline int
srv_stop(struct srv *s, int sig)
{
	int status = 0;

	if (s->pid <= 0)
		return -1;
	kill(s->pid, sig);
	waitpid(s->pid, &status, 0);
	s->pid = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static inline void
srv_free(struct srv *s)
{
	if (s->pid > 0)
		srv_stop(s, SIGKILL);
	tu_rmrf(s->dir);
	free(s->dir);
}

static inline void
hmac_hex(char out[65], const char *secret, const char *body, size_t len)
{
	unsigned char mac[32];
	unsigned int n = 0;

	HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, len, mac, &n);
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", mac[i]);
}

struct reply {
	long status;
	char *body;
	size_t len;
};

static inline size_t
collect(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	char *b = realloc(r->body, r->len + size * n + 1);

	if (!b)
		return 0;
	memcpy(b + r->len, data, size * n);
	r->body = b;
	r->len += size * n;
	r->body[r->len] = '\0';
	return size * n;
}

/* method "POST" with body, or "GET"; header may be NULL. Returns curl's result. */
static inline int
http(struct srv *s, struct reply *r, const char *method, const char *path, const char *header,
     const char *body, size_t len)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char url[512];
	int rc;

	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "http://%s%s", s->addr, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	h = curl_slist_append(h, "Expect:");
	h = curl_slist_append(h, "Content-Type: application/json");
	if (header)
		h = curl_slist_append(h, header);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (strcmp(method, "GET") != 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	rc = (int)curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	if (!r->body)
		r->body = strdup("");
	return rc;
}

/* POSTs body to the fixture's webhook, signed as "sha256=<hex>" unless sig is given. */
static inline void
deliver(struct srv *s, struct reply *r, const char *body, const char *sig)
{
	char hex[65], header[200], path[200];

	hmac_hex(hex, s->secret, body, strlen(body));
	snprintf(header, sizeof(header), "X-Powernode-Signature: %s%s", sig ? "" : "sha256=",
		 sig ? sig : hex);
	snprintf(path, sizeof(path), "%s%s", "/api/v1/system/webhooks/disk_image/built/",
		 s->webhook_id);
	assert_int_equal(http(s, r, "POST", path, header, body, strlen(body)), 0);
}

/* The JSON answer's member as a string ("" when absent). */
static inline const char *
member(json_t *j, const char *name)
{
	const char *v = json_string_value(json_object_get(j, name));

	return v ? v : "";
}

#endif

/* Repositories are real bare git repos: plumbing for the contents API, and smart HTTP
 * through `git http-backend` so git (and libgit2) clone and push for real. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emulator.h"

extern char **environ;

/*
 * posix_spawn, not fork+setenv: the emulator is multi-threaded, and a forked child may
 * only call async-signal-safe functions. `env` entries are added to the environment.
 */
static int
spawn_capture(struct buf *out, const char *const *argv, const char *const *env,
	      const void *input, size_t inlen, bool quiet)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, deflt;
	int in[2], outp[2], status;
	size_t nenv = 0, nextra = 0, off = 0;
	int rc;
	char **envp;
	pid_t pid;

	while (environ[nenv])
		nenv++;
	while (env && env[nextra])
		nextra++;
	envp = calloc(nenv + nextra + 1, sizeof(*envp));
	for (size_t i = 0; i < nextra; i++)
		envp[i] = (char *)env[i];
	/* Ours first: the first of two equal names wins in getenv. */
	for (size_t i = 0; i < nenv; i++)
		envp[nextra + i] = environ[i];
	if (pipe2(in, O_CLOEXEC) || pipe2(outp, O_CLOEXEC)) {
		free(envp);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	/* git's "fatal: path does not exist" is an answer here, not an error to show. */
	if (quiet)
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	/* Children get default signals, not our blocked SIGTERM and ignored SIGPIPE. */
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&deflt);
	sigaddset(&deflt, SIGPIPE);
	sigaddset(&deflt, SIGTERM);
	sigaddset(&deflt, SIGINT);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &deflt);
	rc = posix_spawnp(&pid, argv[0], &fa, &attr, (char *const *)argv, envp);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) {
		posix_spawn_file_actions_destroy(&fa);
		free(envp);
		close(in[0]); close(in[1]); close(outp[0]); close(outp[1]);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	free(envp);
	close(in[0]);
	close(outp[1]);
	if (inlen == 0) {
		close(in[1]);
		in[1] = -1;
	}
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = outp[0], .events = POLLIN },
			{ .fd = in[1], .events = POLLOUT },
		};
		char chunk[16384];
		ssize_t n;

		if (outp[0] < 0)
			break;
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents) {
			n = read(outp[0], chunk, sizeof(chunk));
			if (n <= 0) {
				close(outp[0]);
				outp[0] = -1;
			} else if (out) {
				buf_add(out, chunk, (size_t)n);
			}
		}
		if (in[1] >= 0 && p[1].revents) {
			n = write(in[1], (const char *)input + off, inlen - off);
			if (n > 0)
				off += (size_t)n;
			if (n <= 0 || off == inlen) {
				close(in[1]);
				in[1] = -1;
			}
		}
	}
	if (in[1] >= 0)
		close(in[1]);
	if (out && !out->data)
		buf_add(out, "", 0);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int
git_run(struct buf *out, const char *gitdir, const void *input, size_t inlen,
	const char *const *args)
{
	const char *argv[32];
	char dir[4096];
	const char *env[] = { dir, "GIT_CONFIG_NOSYSTEM=1", "HOME=/nonexistent",
			      "GIT_AUTHOR_NAME=Gitea", "GIT_AUTHOR_EMAIL=gitea@emulator.invalid",
			      "GIT_COMMITTER_NAME=Gitea",
			      "GIT_COMMITTER_EMAIL=gitea@emulator.invalid", NULL };
	int n = 0;

	snprintf(dir, sizeof(dir), "GIT_DIR=%s", gitdir);
	argv[n++] = "git";
	for (size_t i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	return spawn_capture(out, argv, env, input, inlen, true);
}

static void
chomp(struct buf *b)
{
	while (b->len && (b->data[b->len - 1] == '\n' || b->data[b->len - 1] == '\r'))
		b->data[--b->len] = '\0';
}

char *
git_rev(const struct repo *repo, const char *rev)
{
	struct buf out = { 0 };
	char spec[512];
	const char *args[] = { "rev-parse", "--verify", "-q", spec, NULL };

	snprintf(spec, sizeof(spec), "%s^{commit}", rev);
	if (git_run(&out, repo->dir, NULL, 0, args) != 0) {
		buf_free(&out);
		return NULL;
	}
	chomp(&out);
	return out.data;
}

int
git_init_repo(struct repo *repo, bool auto_init)
{
	char branch[300];
	const char *init[] = { "init", "--bare", "-q", branch, repo->dir, NULL };
	const char *cfg[] = { "config", "http.receivepack", "true", NULL };
	char *sha;

	if (asprintf(&repo->dir, "%s/repos/%s/%s.git", emu.data_dir, repo->owner, repo->name) < 0)
		return -1;
	snprintf(branch, sizeof(branch), "--initial-branch=%s", repo->default_branch);
	init[4] = repo->dir;
	if (git_run(NULL, repo->dir, NULL, 0, init) != 0 ||
	    git_run(NULL, repo->dir, NULL, 0, cfg) != 0)
		return -1;
	if (!auto_init)
		return 0;
	sha = git_commit_file(repo, repo->default_branch, "README.md", "# \n", 3, "Initial commit");
	if (!sha)
		return -1;
	free(sha);
	return 0;
}

/* hash-object, a throwaway index, write-tree, commit-tree, update-ref (compare-and-swap). */
char *
git_commit_file(const struct repo *repo, const char *branch, const char *path,
		const void *data, size_t len, const char *message)
{
	struct buf blob = { 0 }, tree = { 0 }, commit = { 0 };
	char ref[512], index[4200], cacheinfo[4400], gitdir[4200], env_index[4300];
	char *parent = git_rev(repo, branch), *result = NULL;
	const char *hash[] = { "hash-object", "-w", "--stdin", NULL };
	const char *read[] = { "git", "read-tree", parent ? parent : "", NULL };
	const char *add[] = { "git", "update-index", "--add", "--cacheinfo", cacheinfo, NULL };
	const char *write[] = { "git", "write-tree", NULL };
	const char *ctree[] = { "commit-tree", NULL, "-m", message, "-p", parent, NULL };
	const char *update[] = { "update-ref", ref, NULL, parent ? parent : "", NULL };
	/* A private index per call, so concurrent commits never share one. */
	const char *env[] = { gitdir, env_index, "GIT_CONFIG_NOSYSTEM=1", NULL };

	snprintf(ref, sizeof(ref), "refs/heads/%s", branch);
	snprintf(index, sizeof(index), "%s/emulator-index-%d-%lx", repo->dir, getpid(),
		 (unsigned long)pthread_self());
	snprintf(gitdir, sizeof(gitdir), "GIT_DIR=%s", repo->dir);
	snprintf(env_index, sizeof(env_index), "GIT_INDEX_FILE=%s", index);
	if (git_run(&blob, repo->dir, data, len, hash) != 0)
		goto done;
	chomp(&blob);
	snprintf(cacheinfo, sizeof(cacheinfo), "100644,%s,%s", blob.data, path);
	if ((parent && spawn_capture(NULL, read, env, NULL, 0, true) != 0) ||
	    spawn_capture(NULL, add, env, NULL, 0, true) != 0 ||
	    spawn_capture(&tree, write, env, NULL, 0, true) != 0)
		goto done;
	chomp(&tree);
	ctree[1] = tree.data;
	if (!parent)
		ctree[4] = NULL;
	if (git_run(&commit, repo->dir, NULL, 0, ctree) != 0)
		goto done;
	chomp(&commit);
	update[2] = commit.data;
	if (!parent)
		update[3] = NULL;
	if (git_run(NULL, repo->dir, NULL, 0, update) != 0)
		goto done;
	result = strdup(commit.data);
done:
	unlink(index);
	buf_free(&blob);
	buf_free(&tree);
	buf_free(&commit);
	free(parent);
	return result;
}

/* --- smart HTTP --- */

static enum MHD_Result
plain(struct MHD_Connection *conn, unsigned status, const char *text, bool challenge)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(strlen(text), (void *)text,
								     MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	MHD_add_response_header(resp, "Content-Type", "text/plain; charset=utf-8");
	if (challenge)
		MHD_add_response_header(resp, "WWW-Authenticate", "Basic realm=\"Gitea\"");
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/*
 * /<owner>/<repo>.git/(info/refs|git-upload-pack|git-receive-pack): anonymous reads of
 * public repos, everything else needs Basic auth with a password or a token (as Gitea).
 */
enum MHD_Result
git_http(struct MHD_Connection *conn, const char *method, const char *url, const char *body,
	 size_t body_len)
{
	char owner[256], name[256], rest[512], root[4200], path_info[1100], qs[300], ctype[300],
	     clen[64], meth[32], user_env[300], enc[100];
	const char *q = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "service");
	const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	const char *ce = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Encoding");
	const char *argv[] = { "git", "http-backend", NULL };
	const char *env[12];
	struct buf out = { 0 };
	struct MHD_Response *resp;
	struct repo *repo;
	struct user *user = NULL;
	bool token_auth, write;
	char *hdr_end, *line, *sep;
	unsigned status = 200;
	enum MHD_Result ret;
	size_t hdr_len;
	int auth, n = 0;

	if (sscanf(url, "/%255[^/]/%255[^/]/%511s", owner, name, rest) != 3)
		return plain(conn, 404, "Not found\n", false);
	if (strlen(name) > 4 && strcmp(name + strlen(name) - 4, ".git") == 0)
		name[strlen(name) - 4] = '\0';
	write = strcmp(rest, "git-receive-pack") == 0 || (q && strcmp(q, "git-receive-pack") == 0);
	pthread_mutex_lock(&emu.lock);
	auth = authenticate(conn, &user, &token_auth);
	repo = repo_find(owner, name);
	if (repo)
		snprintf(path_info, sizeof(path_info), "PATH_INFO=/%s/%s.git/%s", repo->owner,
			 repo->name, rest);
	pthread_mutex_unlock(&emu.lock);
	if (auth < 0 || (!user && (write || !repo || repo->private)))
		return plain(conn, 401, "Unauthorized\n", true);
	if (!repo)
		return plain(conn, 404, "Repository not found\n", false);

	snprintf(root, sizeof(root), "GIT_PROJECT_ROOT=%s/repos", emu.data_dir);
	snprintf(qs, sizeof(qs), "QUERY_STRING=%s%s", q ? "service=" : "", q ? q : "");
	snprintf(ctype, sizeof(ctype), "CONTENT_TYPE=%s", ct ? ct : "");
	snprintf(clen, sizeof(clen), "CONTENT_LENGTH=%zu", body_len);
	snprintf(meth, sizeof(meth), "REQUEST_METHOD=%s", method);
	snprintf(user_env, sizeof(user_env), "REMOTE_USER=%s", user ? user->login : "");
	snprintf(enc, sizeof(enc), "HTTP_CONTENT_ENCODING=%s", ce ? ce : "");
	env[n++] = root;
	env[n++] = path_info;
	env[n++] = qs;
	env[n++] = ctype;
	env[n++] = clen;
	env[n++] = meth;
	env[n++] = "GIT_HTTP_EXPORT_ALL=1";
	env[n++] = "REMOTE_ADDR=127.0.0.1";
	if (user)
		env[n++] = user_env;
	if (ce)
		env[n++] = enc;
	env[n] = NULL;
	if (spawn_capture(&out, argv, env, body, body_len, false) != 0 && out.len == 0) {
		buf_free(&out);
		return plain(conn, 500, "git http-backend failed\n", false);
	}
	/* CGI: header lines, a blank line, the body. */
	hdr_end = strstr(out.data, "\r\n\r\n");
	hdr_len = 4;
	if (!hdr_end) {
		hdr_end = strstr(out.data, "\n\n");
		hdr_len = 2;
	}
	if (!hdr_end) {
		buf_free(&out);
		return plain(conn, 500, "bad CGI reply\n", false);
	}
	*hdr_end = '\0';
	resp = MHD_create_response_from_buffer(out.len - (size_t)(hdr_end + hdr_len - out.data),
					       hdr_end + hdr_len, MHD_RESPMEM_MUST_COPY);
	for (line = strtok_r(out.data, "\r\n", &sep); line; line = strtok_r(NULL, "\r\n", &sep)) {
		char *colon = strchr(line, ':');

		if (!colon)
			continue;
		*colon = '\0';
		if (strcasecmp(line, "Status") == 0)
			status = (unsigned)atoi(colon + 1);
		else
			MHD_add_response_header(resp, line, colon + 1 + (colon[1] == ' '));
	}
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	buf_free(&out);
	/* The POST of a push, not the ref advertisement before it. */
	if (write && strcmp(method, "POST") == 0 && status == 200) {
		pthread_mutex_lock(&emu.lock);
		push_triggers(repo, user->login);
		pthread_mutex_unlock(&emu.lock);
	}
	return ret;
}

/*
 * The test's stand-in for act_runner: a run's job executes a script (the repo's
 * <repo>.git/emulator-runner.sh, else --runner-script) with the repo's secrets and
 * variables as environment. Its output becomes the job log as Gitea stores it —
 * "<RFC 3339 UTC with fractional seconds> <line>" — growing while it runs. A line
 * "##[step] NAME" starts a new step, so a script shows steps as a workflow would.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "emulator.h"

extern char **environ;

struct active {
	pthread_t thread;
	pid_t pid;
	bool done;
};

static struct active *active;
static size_t nactive;
static bool stopping;

char *
runner_script_for(const struct repo *repo)
{
	char *path;

	if (asprintf(&path, "%s/emulator-runner.sh", repo->dir) < 0)
		return NULL;
	if (access(path, R_OK) == 0)
		return path;
	free(path);
	return emu.runner_script ? strdup(emu.runner_script) : NULL;
}

static void
add_step(struct job *job, const char *name, int64_t t)
{
	struct step *s;

	if (job->nsteps) {
		s = &job->steps[job->nsteps - 1];
		s->status = ST_SUCCESS;
		s->completed = t;
	}
	job->steps = realloc(job->steps, (job->nsteps + 1) * sizeof(*job->steps));
	s = &job->steps[job->nsteps++];
	s->name = strdup(name);
	s->status = ST_RUNNING;
	s->started = t;
	s->completed = 0;
}

/* As act_runner does, secret values never reach the stored log: they become "***". */
static void
log_line(struct job *job, const char *line, size_t len, char **secrets)
{
	struct timespec ts;
	struct tm tm;
	char stamp[64];
	const char *p = line, *end = line + len;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	buf_addf(&job->log, "%s.%07ldZ ", stamp, ts.tv_nsec / 100);
	while (p < end) {
		size_t hit = 0;

		for (size_t i = 0; secrets && secrets[i]; i++) {
			size_t n = strlen(secrets[i]);

			if (n && n <= (size_t)(end - p) && memcmp(p, secrets[i], n) == 0)
				hit = n > hit ? n : hit;
		}
		if (hit) {
			buf_add(&job->log, "***", 3);
			p += hit;
		} else {
			buf_add(&job->log, p++, 1);
		}
	}
	buf_add(&job->log, "\n", 1);
}

static void
env_add(char ***envp, size_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
env_add(char ***envp, size_t *n, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	*envp = realloc(*envp, (*n + 2) * sizeof(**envp));
	(*envp)[(*n)++] = s;
	(*envp)[*n] = NULL;
}

struct job_ctx {
	struct run *run;
	char **envp;
	char **secrets;         /* values to mask, NULL-terminated */
	char *script;
	size_t slot;
};

static void *
job_thread(void *arg)
{
	struct job_ctx *ctx = arg;
	struct run *run = ctx->run;
	struct job *job = run->job;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	const char *argv[] = { "/bin/sh", ctx->script, NULL };
	struct buf pending = { 0 };
	sigset_t none, deflt;
	int pipefd[2] = { -1, -1 }, status = 0;
	size_t step_start = job->log.len;
	pid_t pid = -1;

	if (pipe2(pipefd, O_CLOEXEC) == 0) {
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
		posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
		posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
		posix_spawnattr_init(&attr);
		/* Its own process group, so stopping the emulator ends the whole script; and
		 * not our blocked SIGTERM or ignored SIGPIPE, which exec would pass on. */
		sigemptyset(&none);
		sigemptyset(&deflt);
		sigaddset(&deflt, SIGPIPE);
		sigaddset(&deflt, SIGTERM);
		sigaddset(&deflt, SIGINT);
		posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
					 POSIX_SPAWN_SETSIGDEF);
		posix_spawnattr_setpgroup(&attr, 0);
		posix_spawnattr_setsigmask(&attr, &none);
		posix_spawnattr_setsigdefault(&attr, &deflt);
		if (posix_spawn(&pid, argv[0], &fa, &attr, (char *const *)argv, ctx->envp) != 0)
			pid = -1;
		posix_spawn_file_actions_destroy(&fa);
		posix_spawnattr_destroy(&attr);
		close(pipefd[1]);
	}
	pthread_mutex_lock(&emu.lock);
	active[ctx->slot].pid = pid;
	/* Stopping began before the script existed: end it now. */
	if (stopping && pid > 0)
		kill(-pid, SIGTERM);
	pthread_mutex_unlock(&emu.lock);
	if (pid > 0) {
		char chunk[4096];
		ssize_t n;

		while ((n = read(pipefd[0], chunk, sizeof(chunk))) != 0) {
			char *nl;

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				break;
			buf_add(&pending, chunk, (size_t)n);
			pthread_mutex_lock(&emu.lock);
			while ((nl = memchr(pending.data, '\n', pending.len))) {
				size_t len = (size_t)(nl - pending.data);

				if (len > 9 && strncmp(pending.data, "##[step] ", 9) == 0) {
					char *name = strndup(pending.data + 9, len - 9);
					struct step *cur = &job->steps[job->nsteps - 1];

					/* A script that names its first step replaces "Run build". */
					if (job->log.len == step_start && job->nsteps == 2) {
						free(cur->name);
						cur->name = name;
					} else {
						add_step(job, name, now_unix());
						free(name);
					}
				}
				log_line(job, pending.data, len, ctx->secrets);
				memmove(pending.data, nl + 1, pending.len - len - 1);
				pending.len -= len + 1;
			}
			pthread_mutex_unlock(&emu.lock);
		}
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	pthread_mutex_lock(&emu.lock);
	if (pending.len)
		log_line(job, pending.data, pending.len, ctx->secrets);
	if (pid < 0)
		log_line(job, "gitea-emulator: cannot start the runner script", 46, NULL);
	{
		int64_t t = now_unix();
		int result = pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ?
			     ST_SUCCESS : ST_FAILURE;

		add_step(job, "Complete job", t);
		job->steps[job->nsteps - 2].status = result;
		job->steps[job->nsteps - 1].status = ST_SUCCESS;
		job->steps[job->nsteps - 1].completed = t;
		job->status = result;
		job->completed = t;
		run->status = result;
		run->completed = t;
	}
	active[ctx->slot].done = true;
	emu.running_jobs--;
	pthread_cond_broadcast(&emu.changed);
	pthread_mutex_unlock(&emu.lock);
	buf_free(&pending);
	for (size_t i = 0; ctx->envp[i]; i++)
		free(ctx->envp[i]);
	free(ctx->envp);
	for (size_t i = 0; ctx->secrets[i]; i++)
		free(ctx->secrets[i]);
	free(ctx->secrets);
	free(ctx->script);
	free(ctx);
	return NULL;
}

/* Called with emu.lock held. */
void
runner_start(struct run *run)
{
	struct job *job = run->job;
	struct repo *repo = run->repo;
	char *script = runner_script_for(repo);
	struct job_ctx *ctx;
	const char *key;
	json_t *value;
	size_t n = 0;
	int64_t t = now_unix();

	if (!script)
		return;         /* no runner for this repo: the job stays queued, as on Gitea */
	ctx = calloc(1, sizeof(*ctx));
	ctx->run = run;
	ctx->script = script;
	for (size_t i = 0; environ[i]; i++) {
		if (strncmp(environ[i], "PATH=", 5) == 0 || strncmp(environ[i], "HOME=", 5) == 0 ||
		    strncmp(environ[i], "TMPDIR=", 7) == 0 || strncmp(environ[i], "LANG=", 5) == 0)
			env_add(&ctx->envp, &n, "%s", environ[i]);
	}
	for (size_t i = 0; i < repo->nvars; i++)
		env_add(&ctx->envp, &n, "%s=%s", repo->vars[i].name, repo->vars[i].value);
	ctx->secrets = calloc(repo->nsecrets + 1, sizeof(*ctx->secrets));
	for (size_t i = 0; i < repo->nsecrets; i++) {
		env_add(&ctx->envp, &n, "%s=%s", repo->secrets[i].name, repo->secrets[i].value);
		ctx->secrets[i] = strdup(repo->secrets[i].value);
	}
	json_object_foreach(run->inputs, key, value) {
		char *up = strdup(key);

		for (char *p = up; *p; p++)
			*p = (*p >= 'a' && *p <= 'z') ? (char)(*p - 32) : (*p == '-' ? '_' : *p);
		env_add(&ctx->envp, &n, "INPUT_%s=%s", up, json_string_value(value));
		free(up);
	}
	env_add(&ctx->envp, &n, "GITHUB_ACTIONS=true");
	env_add(&ctx->envp, &n, "GITEA_ACTIONS=true");
	env_add(&ctx->envp, &n, "GITHUB_RUN_ID=%" PRId64, run->id);
	env_add(&ctx->envp, &n, "GITHUB_RUN_NUMBER=%" PRId64, run->number);
	env_add(&ctx->envp, &n, "GITHUB_JOB_ID=%" PRId64, job->id);
	env_add(&ctx->envp, &n, "GITHUB_SHA=%s", run->sha);
	env_add(&ctx->envp, &n, "GITHUB_REF=%s", run->ref);
	env_add(&ctx->envp, &n, "GITHUB_EVENT_NAME=%s", run->event);
	env_add(&ctx->envp, &n, "GITHUB_REPOSITORY=%s/%s", repo->owner, repo->name);
	env_add(&ctx->envp, &n, "GITHUB_SERVER_URL=http://127.0.0.1:%u", emu.port);
	env_add(&ctx->envp, &n, "GITEA_EMULATOR_GIT_DIR=%s", repo->dir);

	job->status = ST_RUNNING;
	job->task_id = emu.next_id++;
	job->started = t;
	run->status = ST_RUNNING;
	run->started = t;
	add_step(job, "Set up job", t);
	add_step(job, "Run build", t);
	emu.running_jobs++;
	active = realloc(active, (nactive + 1) * sizeof(*active));
	memset(&active[nactive], 0, sizeof(*active));
	ctx->slot = nactive++;
	if (pthread_create(&active[ctx->slot].thread, NULL, job_thread, ctx) != 0)
		abort();
}

void
runner_stop_all(void)
{
	size_t n;

	pthread_mutex_lock(&emu.lock);
	stopping = true;
	n = nactive;
	for (size_t i = 0; i < n; i++) {
		if (!active[i].done && active[i].pid > 0)
			kill(-active[i].pid, SIGTERM);
	}
	pthread_mutex_unlock(&emu.lock);
	for (size_t i = 0; i < n; i++)
		pthread_join(active[i].thread, NULL);
}

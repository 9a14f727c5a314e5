#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ci.h"
#include "engine.h"
#include "diskops/clock.h"
#include "diskops/error.h"

#define RUNS_MS 3000            /* the runs list, when serve does not poll: live enough */
#define JOBS_MS 2000            /* the open run's jobs and steps */
#define LOG_MS 500              /* while log bytes flow */
#define LOG_MAX_MS 4000         /* backoff ceiling when nothing new */
#define RUNS_PER_REPO 30

enum msg_kind { MSG_RUNS, MSG_JOBS, MSG_LOG, MSG_TASK };

struct task {
	struct task *next;
	void (*work)(dk_gitea *g, void *arg);
	void (*done)(struct console *c, void *arg);
	void *arg;
};

struct msg {
	struct msg *next;
	enum msg_kind kind;
	void *data;
};

struct ci {
	struct console *c;
	pthread_t thread;
	bool running;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	/* what to poll, set by the loop thread */
	char **platforms, **repos;
	size_t nrepos;
	bool repos_changed;
	bool want_runs;         /* a runs/jobs/job-log view is up and serve's cache is stale */
	bool runs_once;         /* fetch the runs now whatever the source (after a dispatch) */
	char run_repo[160];
	int64_t run_id;
	bool run_changed;
	char log_repo[160];
	int64_t job_id;
	uint64_t log_off;
	unsigned log_gen;
	bool log_changed, log_finished;
	int log_wait;
	struct task *tasks, *tasks_tail;        /* the operator's one-shot calls, in order */
	/* results waiting for the loop thread */
	struct msg *head, *tail;
	/* loop thread only */
	struct ci_runs *runs;
	struct ci_runs *cached;                 /* serve's run cache, from the snapshot */
	uint64_t cached_of;                     /* the snapshot's seq */
	bool from_cache;
	const struct ci_runs *shown;            /* what the views' rows were built from */
	struct ci_jobs *jobs;
	char why[256];
	char *url, *token;
	char cache[4096];
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
runs_free(struct ci_runs *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		dk_gitea_run_list_free(r->repos[i].runs);
	free(r->repos);
	free(r);
}

static void
jobs_free(struct ci_jobs *j)
{
	if (!j)
		return;
	dk_gitea_job_list_free(j->jobs);
	free(j);
}

static void
log_free(struct ci_log *l)
{
	if (!l)
		return;
	free(l->data);
	free(l);
}

/* A task the console will not see through: done(NULL) frees its argument. */
static void
task_drop(struct task *t)
{
	t->done(NULL, t->arg);
	free(t);
}

/* What a message carries, when it is not delivered. */
static void
data_free(enum msg_kind kind, void *data)
{
	if (kind == MSG_TASK)
		task_drop(data);
	else if (kind == MSG_RUNS)
		runs_free(data);
	else if (kind == MSG_JOBS)
		jobs_free(data);
	else
		log_free(data);
}

static void
msg_free(struct msg *m)
{
	data_free(m->kind, m->data);
	free(m);
}

static void
free_repos(struct ci *ci)
{
	for (size_t i = 0; i < ci->nrepos; i++) {
		free(ci->platforms[i]);
		free(ci->repos[i]);
	}
	free(ci->platforms);
	free(ci->repos);
	ci->platforms = ci->repos = NULL;
	ci->nrepos = 0;
}

/* Loop thread: hands each result to whoever draws it. */
static void
deliver(void *arg)
{
	struct ci *ci = arg;
	struct msg *m, *next;

	pthread_mutex_lock(&ci->lock);
	m = ci->head;
	ci->head = ci->tail = NULL;
	pthread_mutex_unlock(&ci->lock);
	for (; m; m = next) {
		next = m->next;
		if (m->kind == MSG_RUNS) {
			runs_free(ci->runs);
			ci->runs = m->data;
		} else if (m->kind == MSG_JOBS) {
			jobs_free(ci->jobs);
			ci->jobs = m->data;
		} else if (m->kind == MSG_TASK) {
			struct task *t = m->data;

			t->done(ci->c, t->arg);
			free(t);
		} else {
			log_view_feed(ci->c, m->data);
		}
		m->data = NULL;
		free(m);
	}
	/* The rows come from the new snapshot; the cursor stays on its run. */
	ci->shown = console_ci_runs(ci->c);
	view_rows_all(ci->c);
	ci->c->dirty = true;
}

/* Worker thread, lock held. */
static void
post(struct ci *ci, enum msg_kind kind, void *data)
{
	struct msg *m = calloc(1, sizeof(*m));

	if (!m) {
		/* Dropped: the next poll brings the same news. */
		data_free(kind, data);
		return;
	}
	m->kind = kind;
	m->data = data;
	if (ci->tail)
		ci->tail->next = m;
	else
		ci->head = m;
	ci->tail = m;
	loop_post(ci->c->loop, deliver, ci);
}

static void
fetch_runs(dk_gitea *g, struct ci_runs *out, char **platforms, char **repos, size_t n)
{
	out->fetched_at = dk_clock_now();
	for (size_t i = 0; i < n; i++) {
		struct ci_repo_runs *r = &out->repos[i];
		dk_gitea_run_filter f = { .max = RUNS_PER_REPO };
		char *owner = NULL, *name = NULL;

		snprintf(r->platform, sizeof(r->platform), "%s", platforms[i]);
		snprintf(r->repo, sizeof(r->repo), "%s", repos[i]);
		if (dk_gitea_split_repo(&owner, &name, repos[i]) < 0 ||
		    dk_gitea_run_list_get(g, &r->runs, owner, name, &f) < 0) {
			snprintf(r->error, sizeof(r->error), "%s", dk_error_last()->message);
			r->runs = NULL;
		}
		free(owner);
		free(name);
	}
}

static void
fetch_jobs(dk_gitea *g, struct ci_jobs *j)
{
	char *owner = NULL, *name = NULL;

	if (dk_gitea_split_repo(&owner, &name, j->repo) < 0 ||
	    dk_gitea_job_list_get(g, &j->jobs, owner, name, j->run_id) < 0) {
		snprintf(j->error, sizeof(j->error), "%s", dk_error_last()->message);
		j->jobs = NULL;
	}
	free(owner);
	free(name);
}

/* One read at the offset; when nothing is new, whether the job has finished. */
static void
fetch_log(dk_gitea *g, struct ci_log *l, uint64_t offset, uint64_t *next)
{
	dk_gitea_log_chunk *chunk = NULL;
	dk_gitea_job *job = NULL;
	char *owner = NULL, *name = NULL;

	*next = offset;
	if (dk_gitea_split_repo(&owner, &name, l->repo) < 0 ||
	    dk_gitea_job_log_read(g, &chunk, owner, name, l->job_id, offset) < 0) {
		snprintf(l->error, sizeof(l->error), "%s", dk_error_last()->message);
		goto done;
	}
	l->state = chunk->state;
	*next = chunk->next_offset;
	if (chunk->state == DK_GITEA_LOG_DATA) {
		l->data = chunk->data;
		l->len = chunk->len;
		chunk->data = NULL;
		goto done;
	}
	if (chunk->state == DK_GITEA_LOG_EXPIRED) {
		l->finished = true;
		goto done;
	}
	/* Bytes land before the job is marked completed: nothing new after completion
	 * means everything has been read. */
	if (chunk->state == DK_GITEA_LOG_NOTHING_NEW &&
	    dk_gitea_job_get(g, &job, owner, name, l->job_id) == 0 &&
	    dk_gitea_status_done(job->status)) {
		dk_gitea_log_chunk_free(chunk);
		chunk = NULL;
		if (dk_gitea_job_log_read(g, &chunk, owner, name, l->job_id, offset) == 0 &&
		    chunk->state == DK_GITEA_LOG_DATA) {
			l->state = DK_GITEA_LOG_DATA;
			l->data = chunk->data;
			l->len = chunk->len;
			chunk->data = NULL;
			*next = chunk->next_offset;
		} else {
			l->finished = true;
			snprintf(l->conclusion, sizeof(l->conclusion), "%s", job->conclusion);
		}
	}
done:
	dk_gitea_job_free(job);
	dk_gitea_log_chunk_free(chunk);
	free(owner);
	free(name);
}

static char **
copy_strings(char **src, size_t n)
{
	char **out = calloc(n + 1, sizeof(*out));

	for (size_t i = 0; out && i < n; i++)
		out[i] = strdup(src[i]);
	return out;
}

static void
free_strings(char **s, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		free(s[i]);
	free(s);
}

static void *
worker(void *arg)
{
	struct ci *ci = arg;
	dk_gitea *g = NULL;
	int64_t next_runs = 0, next_jobs = 0, next_log = 0, now, wake;

	if (dk_gitea_open(&g, ci->url, ci->token) < 0)
		return NULL;
	dk_gitea_set_timeout(g, 15000);
	pthread_mutex_lock(&ci->lock);
	while (!ci->stop) {
		now = mono_ms();
		if (ci->tasks) {
			/* What the operator asked for goes before the polls. */
			struct task *t = ci->tasks;

			ci->tasks = t->next;
			if (!ci->tasks)
				ci->tasks_tail = NULL;
			pthread_mutex_unlock(&ci->lock);
			t->work(g, t->arg);
			pthread_mutex_lock(&ci->lock);
			post(ci, MSG_TASK, t);
			continue;
		}
		if (ci->runs_once || (ci->want_runs && (ci->repos_changed || now >= next_runs))) {
			size_t n = ci->nrepos;
			char **p = copy_strings(ci->platforms, n), **r = copy_strings(ci->repos, n);
			struct ci_runs *out = calloc(1, sizeof(*out));

			ci->repos_changed = false;
			ci->runs_once = false;
			pthread_mutex_unlock(&ci->lock);
			if (out && p && r && (out->repos = calloc(n + 1, sizeof(*out->repos)))) {
				out->n = n;
				fetch_runs(g, out, p, r, n);
			}
			free_strings(p, n);
			free_strings(r, n);
			pthread_mutex_lock(&ci->lock);
			if (out && out->repos)
				post(ci, MSG_RUNS, out);
			else
				runs_free(out);
			next_runs = mono_ms() + RUNS_MS;
			continue;
		}
		if (ci->run_id && (ci->run_changed || now >= next_jobs)) {
			struct ci_jobs *j = calloc(1, sizeof(*j));

			ci->run_changed = false;
			if (j) {
				snprintf(j->repo, sizeof(j->repo), "%s", ci->run_repo);
				j->run_id = ci->run_id;
				pthread_mutex_unlock(&ci->lock);
				fetch_jobs(g, j);
				pthread_mutex_lock(&ci->lock);
				post(ci, MSG_JOBS, j);
			}
			next_jobs = mono_ms() + JOBS_MS;
			continue;
		}
		if (ci->job_id && !ci->log_finished && (ci->log_changed || now >= next_log)) {
			struct ci_log *l = calloc(1, sizeof(*l));
			unsigned gen = ci->log_gen;
			uint64_t off = ci->log_off, next = off;

			ci->log_changed = false;
			if (!l) {
				next_log = mono_ms() + LOG_MAX_MS;
				continue;
			}
			snprintf(l->repo, sizeof(l->repo), "%s", ci->log_repo);
			l->job_id = ci->job_id;
			pthread_mutex_unlock(&ci->lock);
			fetch_log(g, l, off, &next);
			pthread_mutex_lock(&ci->lock);
			if (gen != ci->log_gen) {
				log_free(l);    /* the operator opened another log meanwhile */
				continue;
			}
			ci->log_off = next;
			ci->log_finished = l->finished;
			/* Back off while the job is quiet; come back quickly when it talks. */
			ci->log_wait = l->len ? LOG_MS : ci->log_wait * 2 > LOG_MAX_MS ? LOG_MAX_MS
				: ci->log_wait * 2;
			next_log = mono_ms() + ci->log_wait;
			post(ci, MSG_LOG, l);
			continue;
		}
		wake = ci->want_runs ? next_runs : INT64_MAX;
		if (ci->run_id && next_jobs < wake)
			wake = next_jobs;
		if (ci->job_id && !ci->log_finished && next_log < wake)
			wake = next_log;
		/* Nothing on screen needs Gitea: sleep until something does. */
		if (wake == INT64_MAX) {
			pthread_cond_wait(&ci->cond, &ci->lock);
			continue;
		}
		{
			struct timespec ts;
			int64_t left = wake - now;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += left / 1000;
			ts.tv_nsec += (left % 1000) * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&ci->cond, &ci->lock, &ts);
		}
	}
	pthread_mutex_unlock(&ci->lock);
	dk_gitea_free(g);
	return NULL;
}

int
ci_start(struct console *c)
{
	struct ci *ci = calloc(1, sizeof(*ci));

	if (!ci)
		return dk_error_set(DK_ENOMEM, "out of memory");
	ci->c = c;
	c->ci = ci;
	pthread_mutex_init(&ci->lock, NULL);
	pthread_cond_init(&ci->cond, NULL);
	snprintf(ci->cache, sizeof(ci->cache), "%s/cache", c->cfg->state_dir);
	if (!c->cfg->gitea_url || !*c->cfg->gitea_url) {
		snprintf(ci->why, sizeof(ci->why), "no Gitea configured: set [gitea] url and token "
			 "in config.ini (or DISKOPS_GITEA_URL, DISKOPS_GITEA_TOKEN)");
		return 0;
	}
	if (!c->cfg->gitea_token || !*c->cfg->gitea_token) {
		snprintf(ci->why, sizeof(ci->why), "no Gitea token: set [gitea] token in config.ini "
			 "(mode 0600) or DISKOPS_GITEA_TOKEN");
		return 0;
	}
	ci->url = strdup(c->cfg->gitea_url);
	ci->token = strdup(c->cfg->gitea_token);
	if (!ci->url || !ci->token)
		snprintf(ci->why, sizeof(ci->why), "out of memory");
	ci_sync_repos(c);
	return 0;
}

/* The worker (and libcurl with it) starts the first time a view needs Gitea. */
static bool
ensure_worker(struct ci *ci)
{
	if (ci->running)
		return true;
	if (!ci->url || !ci->token || ci->why[0])
		return false;
	if (pthread_create(&ci->thread, NULL, worker, ci) != 0) {
		snprintf(ci->why, sizeof(ci->why), "cannot start the Gitea worker");
		return false;
	}
	ci->running = true;
	return true;
}

/* serve's cached runs in the shape the worker's answers have, for views/runs.c. */
static struct ci_runs *
runs_from_cache(const struct console_snapshot *s)
{
	const dk_platform_list *pl = s->platforms;
	struct ci_runs *out = calloc(1, sizeof(*out));

	if (!out || !(out->repos = calloc(pl->count + 1, sizeof(*out->repos)))) {
		free(out);
		return NULL;
	}
	out->fetched_at = s->poller ? s->poller->last_ok_at : 0;
	for (size_t i = 0; i < pl->count; i++) {
		const dk_cached_run_list *cl = s->run_cache ? s->run_cache[i] : NULL;
		struct ci_repo_runs *r;
		dk_gitea_run_list *l;

		if (!pl->items[i].build_repo || !*pl->items[i].build_repo)
			continue;
		r = &out->repos[out->n++];
		snprintf(r->platform, sizeof(r->platform), "%s", pl->items[i].name);
		snprintf(r->repo, sizeof(r->repo), "%s", pl->items[i].build_repo);
		if (!(l = r->runs = calloc(1, sizeof(*l))) ||
		    !(l->items = calloc((cl ? cl->count : 0) + 1, sizeof(*l->items)))) {
			snprintf(r->error, sizeof(r->error), "out of memory");
			free(l);
			r->runs = NULL;
			continue;
		}
		for (size_t k = 0; cl && k < cl->count; k++) {
			const dk_cached_run *c = &cl->items[k];
			dk_gitea_run *g = &l->items[l->count++];

			g->id = c->run_id;
			g->run_number = c->run_number;
			g->path = text_dup(c->workflow);
			g->event = text_dup(c->event);
			g->display_title = text_dup(c->title);
			g->head_branch = text_dup(c->head_branch);
			g->head_sha = text_dup(c->head_sha);
			g->status = strdup(c->status ? c->status : "");
			g->conclusion = strdup(c->conclusion ? c->conclusion : "");
			g->html_url = text_dup(c->html_url);
			g->started_at = c->started_at;
			g->completed_at = c->completed_at;
		}
	}
	return out;
}

static bool
shows_ci(const struct view *v)
{
	return v && (v->ops == &runs_view || v->ops == &jobs_view || log_view_follows_job(v));
}

void
ci_update(struct console *c)
{
	struct ci *ci = c->ci;
	bool cached, want;

	if (!ci || c->snap->pending)
		return;
	cached = snapshot_runs_cached(c->snap, dk_clock_now());
	if (cached && (ci->cached_of != c->snap->seq || !ci->cached)) {
		runs_free(ci->cached);
		ci->cached = runs_from_cache(c->snap);
		ci->cached_of = c->snap->seq;
	}
	ci->from_cache = cached;
	want = !cached && shows_ci(c->view) && !ci->why[0];
	if (want != ci->want_runs && (!want || ensure_worker(ci))) {
		pthread_mutex_lock(&ci->lock);
		ci->want_runs = want;
		pthread_cond_signal(&ci->cond);
		pthread_mutex_unlock(&ci->lock);
	}
	/* Rows index one runs snapshot: a new one (or the other source) rebuilds them. */
	if (console_ci_runs(c) != ci->shown) {
		ci->shown = console_ci_runs(c);
		view_rows_all(c);
		c->dirty = true;
	}
}

bool
console_ci_runs_cached(const struct console *c)
{
	return c->ci && c->ci->from_cache && console_ci_runs(c) == c->ci->cached;
}

void
ci_stop(struct console *c)
{
	struct ci *ci = c->ci;
	struct msg *m, *next;

	if (!ci)
		return;
	if (ci->running) {
		pthread_mutex_lock(&ci->lock);
		ci->stop = true;
		pthread_cond_signal(&ci->cond);
		pthread_mutex_unlock(&ci->lock);
		/* A request in flight finishes first (15 s timeout at worst). */
		pthread_join(ci->thread, NULL);
	}
	for (m = ci->head; m; m = next) {
		next = m->next;
		msg_free(m);
	}
	while (ci->tasks) {
		struct task *t = ci->tasks;

		ci->tasks = t->next;
		task_drop(t);
	}
	free_repos(ci);
	runs_free(ci->runs);
	runs_free(ci->cached);
	jobs_free(ci->jobs);
	free(ci->url);
	if (ci->token) {
		memset(ci->token, 0, strlen(ci->token));
		free(ci->token);
	}
	pthread_mutex_destroy(&ci->lock);
	pthread_cond_destroy(&ci->cond);
	free(ci);
	c->ci = NULL;
}

void
ci_sync_repos(struct console *c)
{
	struct ci *ci = c->ci;
	const dk_platform_list *pl = c->snap->platforms;
	size_t n = 0;
	bool same;

	if (!ci || !ci->url)
		return;
	pthread_mutex_lock(&ci->lock);
	for (size_t i = 0; i < pl->count; i++)
		n += pl->items[i].build_repo && *pl->items[i].build_repo;
	same = n == ci->nrepos;
	for (size_t i = 0, k = 0; same && i < pl->count; i++) {
		const dk_platform *p = &pl->items[i];

		if (!p->build_repo || !*p->build_repo)
			continue;
		same = strcmp(ci->repos[k], p->build_repo) == 0 && strcmp(ci->platforms[k], p->name) == 0;
		k++;
	}
	if (!same) {
		free_repos(ci);
		ci->platforms = calloc(n + 1, sizeof(char *));
		ci->repos = calloc(n + 1, sizeof(char *));
		for (size_t i = 0; ci->platforms && ci->repos && i < pl->count; i++) {
			const dk_platform *p = &pl->items[i];

			if (!p->build_repo || !*p->build_repo)
				continue;
			ci->platforms[ci->nrepos] = strdup(p->name);
			ci->repos[ci->nrepos++] = strdup(p->build_repo);
		}
		ci->repos_changed = true;
		pthread_cond_signal(&ci->cond);
	}
	pthread_mutex_unlock(&ci->lock);
}

const char *
console_ci_unavailable(const struct console *c)
{
	return c->ci ? c->ci->why : "the Gitea worker is not running";
}

const struct ci_runs *
console_ci_runs(const struct console *c)
{
	const struct ci *ci = c->ci;

	if (!ci)
		return NULL;
	if (!ci->from_cache)
		return ci->runs;
	/* The fresher of the two: the worker's own fetch after a dispatch wins until serve's
	 * next pass lands. */
	if (ci->runs && ci->cached && ci->runs->fetched_at > ci->cached->fetched_at)
		return ci->runs;
	return ci->cached;
}

const struct ci_jobs *
console_ci_jobs(const struct console *c, const char *repo, int64_t run_id)
{
	const struct ci_jobs *j = c->ci ? c->ci->jobs : NULL;

	return j && j->run_id == run_id && strcmp(j->repo, repo) == 0 ? j : NULL;
}

void
console_ci_watch_run(struct console *c, const char *repo, int64_t run_id)
{
	struct ci *ci = c->ci;

	if (!ci || (run_id && !ensure_worker(ci)) || !ci->running)
		return;
	pthread_mutex_lock(&ci->lock);
	if (ci->run_id != run_id || strcmp(ci->run_repo, repo ? repo : "") != 0) {
		snprintf(ci->run_repo, sizeof(ci->run_repo), "%s", repo ? repo : "");
		ci->run_id = run_id;
		ci->run_changed = true;
		pthread_cond_signal(&ci->cond);
	}
	pthread_mutex_unlock(&ci->lock);
}

void
console_ci_watch_log(struct console *c, const char *repo, int64_t job_id, uint64_t offset)
{
	struct ci *ci = c->ci;

	if (!ci || (job_id && !ensure_worker(ci)) || !ci->running)
		return;
	pthread_mutex_lock(&ci->lock);
	snprintf(ci->log_repo, sizeof(ci->log_repo), "%s", repo ? repo : "");
	ci->job_id = job_id;
	ci->log_off = offset;
	ci->log_gen++;
	ci->log_changed = true;
	ci->log_finished = false;
	ci->log_wait = LOG_MS;
	pthread_cond_signal(&ci->cond);
	pthread_mutex_unlock(&ci->lock);
}

const char *
console_ci_default_repo(const struct console *c)
{
	const dk_platform_list *pl = c->snap->platforms;

	for (size_t i = 0; i < pl->count; i++) {
		if (pl->items[i].build_repo && *pl->items[i].build_repo)
			return pl->items[i].build_repo;
	}
	return NULL;
}

const char *
console_ci_cache_dir(const struct console *c)
{
	return c->ci ? c->ci->cache : "/tmp";
}

int
console_ci_task(struct console *c, void (*work)(dk_gitea *g, void *arg),
		void (*done)(struct console *c, void *arg), void *arg)
{
	struct ci *ci = c->ci;
	struct task *t;

	if (!ci || !ensure_worker(ci))
		return dk_error_set(DK_ESTATE, "%s", *console_ci_unavailable(c) ?
				    console_ci_unavailable(c) : "the Gitea worker is not running");
	if (!(t = calloc(1, sizeof(*t))))
		return dk_error_set(DK_ENOMEM, "out of memory");
	t->work = work;
	t->done = done;
	t->arg = arg;
	pthread_mutex_lock(&ci->lock);
	if (ci->tasks_tail)
		ci->tasks_tail->next = t;
	else
		ci->tasks = t;
	ci->tasks_tail = t;
	pthread_cond_signal(&ci->cond);
	pthread_mutex_unlock(&ci->lock);
	return 0;
}

void
console_ci_refresh_runs(struct console *c)
{
	struct ci *ci = c->ci;

	if (!ci || !ensure_worker(ci))
		return;
	pthread_mutex_lock(&ci->lock);
	ci->repos_changed = true;
	/* Even while serve's cache is the source: its next pass may be half a minute away. */
	ci->runs_once = true;
	pthread_cond_signal(&ci->cond);
	pthread_mutex_unlock(&ci->lock);
}

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/jobs.h"
#include "diskops/log.h"
#include "diskops/process.h"

#define MAX_BACKOFF 300
#define IDLE_POLL_MS 1000

int64_t
dk_jobs_backoff(int attempts)
{
	if (attempts < 1)
		attempts = 1;
	if (attempts > 9)
		return MAX_BACKOFF;
	return (int64_t)1 << (attempts - 1) > MAX_BACKOFF ? MAX_BACKOFF : (int64_t)1 << (attempts - 1);
}

int
dk_jobs_run_one(dk_store *store, const char *kind, const char *worker, dk_job_handler fn,
		void *payload)
{
	dk_job *job = NULL;
	char *error = NULL;
	int rc, hrc;

	if ((rc = dk_store_job_lease(store, &job, kind, worker, dk_clock_now(),
				     DK_JOBS_LEASE_SECONDS)) < 0)
		return rc;
	hrc = fn(store, job, &error, payload);
	if (hrc < 0 && !error)
		error = strdup(dk_error_last()->message);
	if (hrc == 0) {
		rc = dk_store_job_finish(store, job->id, worker, "done", 0, error);
	} else if (job->attempts >= DK_JOBS_MAX_ATTEMPTS) {
		dk_log_error("msg=\"job dead\" job=%lld kind=%s subject=%s attempts=%d error=\"%s\"",
			     (long long)job->id, job->kind, job->subject_id, job->attempts,
			     error ? error : "");
		rc = dk_store_job_finish(store, job->id, worker, "dead", 0, error);
	} else {
		int64_t wait = dk_jobs_backoff(job->attempts);

		dk_log_warn("msg=\"job failed, will retry\" job=%lld kind=%s attempts=%d "
			    "retry_in=%llds error=\"%s\"", (long long)job->id, job->kind,
			    job->attempts, (long long)wait, error ? error : "");
		rc = dk_store_job_finish(store, job->id, worker, "ready", dk_clock_now() + wait, error);
	}
	free(error);
	dk_job_free(job);
	return rc;
}

int
dk_jobs_ingest(dk_store *store, const dk_job *job, char **error, void *payload)
{
	dk_process_result r;
	int rc;

	(void)payload;
	rc = dk_process_publication(store, &r, job->account_id, job->subject_id, "diskops serve");
	if (rc == DK_ENOTFOUND)
		return 0;       /* nothing left to do for a row that is gone */
	if (rc < 0)
		return rc;
	if (r.error_message)
		*error = strdup(r.error_message);
	dk_process_result_clear(&r);
	return 0;
}

struct dk_jobs_pool {
	char *db_path;
	int nthreads;
	pthread_t *threads;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stopping;
	unsigned wakeups;
};

struct worker_arg {
	dk_jobs_pool *pool;
	int index;
};

static void
idle_wait(dk_jobs_pool *pool, unsigned seen)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += IDLE_POLL_MS / 1000;
	pthread_mutex_lock(&pool->lock);
	while (!pool->stopping && pool->wakeups == seen) {
		if (pthread_cond_timedwait(&pool->cond, &pool->lock, &ts) == ETIMEDOUT)
			break;
	}
	pthread_mutex_unlock(&pool->lock);
}

static void *
worker_main(void *arg)
{
	struct worker_arg *wa = arg;
	dk_jobs_pool *pool = wa->pool;
	dk_store_options opts = DK_STORE_OPTIONS_INIT;
	dk_store *store = NULL;
	char name[64];

	snprintf(name, sizeof(name), "serve-%d-worker-%d", (int)getpid(), wa->index);
	free(wa);
	opts.no_create = true;
	if (dk_store_open(&store, pool->db_path, &opts) < 0) {
		dk_log_error("msg=\"job worker cannot open the store\" error=\"%s\"",
			     dk_error_last()->message);
		return NULL;
	}
	for (;;) {
		unsigned seen;
		int rc;

		pthread_mutex_lock(&pool->lock);
		seen = pool->wakeups;
		if (pool->stopping) {
			pthread_mutex_unlock(&pool->lock);
			break;
		}
		pthread_mutex_unlock(&pool->lock);
		rc = dk_jobs_run_one(store, "ingest", name, dk_jobs_ingest, NULL);
		if (rc == DK_ENOTFOUND) {
			idle_wait(pool, seen);
		} else if (rc < 0) {
			dk_log_error("msg=\"job queue error\" error=\"%s\"", dk_error_last()->message);
			idle_wait(pool, seen);
		}
	}
	dk_store_free(store);
	return NULL;
}

int
dk_jobs_pool_start(dk_jobs_pool **out, const char *db_path, int threads)
{
	pthread_condattr_t ca;
	dk_jobs_pool *pool;

	*out = NULL;
	if (!(pool = calloc(1, sizeof(*pool))) || !(pool->db_path = strdup(db_path)) ||
	    !(pool->threads = calloc((size_t)threads, sizeof(*pool->threads)))) {
		if (pool)
			free(pool->db_path);
		free(pool);
		return dk_error_set(DK_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&pool->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pool->cond, &ca);
	pthread_condattr_destroy(&ca);
	for (int i = 0; i < threads; i++) {
		struct worker_arg *wa = malloc(sizeof(*wa));

		if (!wa)
			break;
		wa->pool = pool;
		wa->index = i;
		if (pthread_create(&pool->threads[i], NULL, worker_main, wa) != 0) {
			free(wa);
			break;
		}
		pool->nthreads++;
	}
	*out = pool;
	if (pool->nthreads != threads) {
		dk_jobs_pool_stop(pool);
		*out = NULL;
		return dk_error_set(DK_ERROR, "cannot start %d job worker threads", threads);
	}
	return 0;
}

void
dk_jobs_pool_wake(dk_jobs_pool *pool)
{
	if (!pool)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->wakeups++;
	pthread_cond_broadcast(&pool->cond);
	pthread_mutex_unlock(&pool->lock);
}

void
dk_jobs_pool_stop(dk_jobs_pool *pool)
{
	if (!pool)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stopping = true;
	pthread_cond_broadcast(&pool->cond);
	pthread_mutex_unlock(&pool->lock);
	for (int i = 0; i < pool->nthreads; i++)
		pthread_join(pool->threads[i], NULL);
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->cond);
	free(pool->threads);
	free(pool->db_path);
	free(pool);
}

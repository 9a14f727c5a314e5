#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "diskops/commit.h"
#include "diskops/error.h"
#include "diskops/log.h"

/* Enough to amortise an fsync, small enough that one batch stays well under the
 * latency budget of the requests waiting on it. */
#define BATCH_MAX 2048
/* Background writes that may ride along with waiting requests: a flood of rejected
 * deliveries' rows must not sit between an accepted delivery and its answer. */
#define BACKGROUND_WITH_URGENT 64

struct queue {
	struct item *head, *tail;
	size_t n;
};

struct item {
	struct item *next;
	dk_batch_fn fn;
	dk_batch_done done;
	void *arg;
	int rc;
};

struct dk_batcher {
	char *db_path;
	dk_store *store;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct queue urgent, background;
	bool stopping;
	void (*after_commit)(void *);
	void *after_arg;
};

static void
push(struct queue *q, struct item *it)
{
	if (q->tail)
		q->tail->next = it;
	else
		q->head = it;
	q->tail = it;
	q->n++;
}

/* Moves up to max items from the front of q to the end of the list at *tail. */
static void
move(struct item ***tail, struct queue *q, size_t max)
{
	while (q->head && max-- > 0) {
		struct item *it = q->head;

		if (!(q->head = it->next))
			q->tail = NULL;
		q->n--;
		it->next = NULL;
		**tail = it;
		*tail = &it->next;
	}
}

static struct item *
take(dk_batcher *b)
{
	struct item *first = NULL, **tail = &first;
	size_t urgent;

	pthread_mutex_lock(&b->lock);
	while (!b->urgent.head && !b->background.head && !b->stopping)
		pthread_cond_wait(&b->cond, &b->lock);
	urgent = b->urgent.n < BATCH_MAX ? b->urgent.n : BATCH_MAX;
	move(&tail, &b->urgent, urgent);
	move(&tail, &b->background, urgent ? BACKGROUND_WITH_URGENT : BATCH_MAX);
	pthread_mutex_unlock(&b->lock);
	return first;
}

static void
run_batch(dk_batcher *b, struct item *batch)
{
	struct item *it, *next;
	struct timespec t0, t1, t2;
	int rc, n = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = dk_store_begin(b->store);
	for (it = batch; it; it = it->next, n++)
		it->rc = rc < 0 ? rc : it->fn(b->store, it->arg);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc == 0)
		rc = dk_store_commit(b->store);
	clock_gettime(CLOCK_MONOTONIC, &t2);
	dk_log_debug("msg=\"batch\" writes=%d run_ms=%.2f commit_ms=%.2f", n,
		     (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6,
		     (double)(t2.tv_sec - t1.tv_sec) * 1e3 + (double)(t2.tv_nsec - t1.tv_nsec) / 1e6);
	if (rc < 0)
		dk_log_error("msg=\"batch not committed\" error=\"%s\"", dk_error_last()->message);
	for (it = batch; it; it = next) {
		next = it->next;
		it->done(it->arg, rc < 0 ? rc : it->rc);
		free(it);
	}
	if (rc == 0 && b->after_commit)
		b->after_commit(b->after_arg);
}

static void *
writer_main(void *arg)
{
	dk_batcher *b = arg;
	struct item *batch;

	/* Named for `top -H` and perf: the one thread every accepted delivery waits on. */
	pthread_setname_np(pthread_self(), "dk-commit");
	while ((batch = take(b)))
		run_batch(b, batch);
	return NULL;
}

int
dk_batcher_start(dk_batcher **out, const char *db_path, void (*after_commit)(void *),
		 void *after_arg)
{
	dk_store_options opts = DK_STORE_OPTIONS_INIT;
	dk_batcher *b;
	int rc;

	*out = NULL;
	if (!(b = calloc(1, sizeof(*b))))
		return dk_error_set(DK_ENOMEM, "out of memory");
	opts.no_create = true;
	if ((rc = dk_store_open(&b->store, db_path, &opts)) < 0) {
		free(b);
		return rc;
	}
	b->after_commit = after_commit;
	b->after_arg = after_arg;
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->cond, NULL);
	if (pthread_create(&b->thread, NULL, writer_main, b) != 0) {
		dk_store_free(b->store);
		free(b);
		return dk_error_set(DK_ERROR, "cannot start the commit thread");
	}
	*out = b;
	return 0;
}

static int
submit(dk_batcher *b, struct queue *q, dk_batch_fn fn, dk_batch_done done, void *arg)
{
	struct item *it = calloc(1, sizeof(*it));

	if (!it)
		return dk_error_set(DK_ENOMEM, "out of memory");
	it->fn = fn;
	it->done = done;
	it->arg = arg;
	pthread_mutex_lock(&b->lock);
	if (b->stopping) {
		pthread_mutex_unlock(&b->lock);
		free(it);
		return dk_error_set(DK_ESTATE, "shutting down");
	}
	push(q, it);
	pthread_cond_signal(&b->cond);
	pthread_mutex_unlock(&b->lock);
	return 0;
}

int
dk_batcher_submit(dk_batcher *b, dk_batch_fn fn, dk_batch_done done, void *arg)
{
	return submit(b, &b->urgent, fn, done, arg);
}

int
dk_batcher_submit_background(dk_batcher *b, dk_batch_fn fn, dk_batch_done done, void *arg)
{
	return submit(b, &b->background, fn, done, arg);
}

size_t
dk_batcher_pending(dk_batcher *b)
{
	size_t n;

	pthread_mutex_lock(&b->lock);
	n = b->urgent.n + b->background.n;
	pthread_mutex_unlock(&b->lock);
	return n;
}

void
dk_batcher_stop(dk_batcher *b)
{
	if (!b)
		return;
	pthread_mutex_lock(&b->lock);
	b->stopping = true;
	pthread_cond_signal(&b->cond);
	pthread_mutex_unlock(&b->lock);
	pthread_join(b->thread, NULL);
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->cond);
	dk_store_free(b->store);
	free(b);
}

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "diskops/commit.h"
#include "diskops/error.h"
#include "diskops/log.h"

/* Enough to amortise an fsync, small enough that one batch stays well under the
 * latency budget of the requests waiting on it. */
#define BATCH_MAX 2048
/* Background writes that may ride along with waiting requests: a flood of rejected
 * deliveries' rows must not sit between an accepted delivery and its answer. */
#define BACKGROUND_WITH_URGENT 64
/*
 * Checkpoints: the checkpointer copies frames in the background every eighth of the
 * limit; at the limit the writer copies the few left itself, between two batches, so
 * the WAL can start over (it only can once every frame is copied while no write is
 * open, which never happens with batches back to back).
 */
#define WAL_LIMIT_DEFAULT 8000

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
	dk_store *store;                /* the writer's connection */
	dk_store *ckpt_store;           /* the checkpointer's */
	int wal_fd;                     /* the syncer's, opened at its first sync */
	pthread_t writer, syncer, checkpointer;
	pthread_mutex_t lock;
	pthread_cond_t work, committed_cond, ckpt_cond;
	struct queue urgent, background;
	struct queue committed;         /* committed, waiting for the WAL sync */
	int wal_frames;                 /* the WAL's length after the writer's last commit */
	int ckpt_asked;                 /* wal_frames when the checkpointer was last woken */
	int wal_limit;                  /* frames at which the writer lets the WAL start over */
	bool ckpt_wanted, stopping, writer_done, ckpt_stop;
	int sync_error;                 /* a failed sync stops the batcher for good */
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
		pthread_cond_wait(&b->work, &b->lock);
	urgent = b->urgent.n < BATCH_MAX ? b->urgent.n : BATCH_MAX;
	move(&tail, &b->urgent, urgent);
	move(&tail, &b->background, urgent ? BACKGROUND_WITH_URGENT : BATCH_MAX);
	pthread_mutex_unlock(&b->lock);
	return first;
}

static void
finish(dk_batcher *b, struct item *batch, int rc)
{
	struct item *it, *next;

	for (it = batch; it; it = next) {
		next = it->next;
		it->done(it->arg, rc < 0 ? rc : it->rc);
		free(it);
	}
	if (rc == 0 && b->after_commit)
		b->after_commit(b->after_arg);
}

static void
on_commit(void *arg, int wal_frames)
{
	((dk_batcher *)arg)->wal_frames = wal_frames;
}

static double
ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Hands a committed batch to the syncer, which answers it once the WAL is on disk. */
static void
hand_over(dk_batcher *b, struct item *batch)
{
	struct item *it, *next;

	pthread_mutex_lock(&b->lock);
	for (it = batch; it; it = next) {
		next = it->next;
		it->next = NULL;
		push(&b->committed, it);
	}
	pthread_cond_signal(&b->committed_cond);
	if (b->wal_frames >= b->ckpt_asked + b->wal_limit / 8 && !b->ckpt_wanted) {
		b->ckpt_asked = b->wal_frames;
		b->ckpt_wanted = true;
		pthread_cond_signal(&b->ckpt_cond);
	}
	pthread_mutex_unlock(&b->lock);
}

static void
run_batch(dk_batcher *b, struct item *batch)
{
	struct item *it;
	struct timespec t0;
	double run_ms;
	int rc, n = 0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = dk_store_begin(b->store);
	for (it = batch; it; it = it->next, n++)
		it->rc = rc < 0 ? rc : it->fn(b->store, it->arg);
	run_ms = ms_since(&t0);
	if (rc == 0)
		rc = dk_store_commit(b->store);
	dk_log_debug("msg=\"batch\" writes=%d run_ms=%.2f commit_ms=%.2f wal_frames=%d", n,
		     run_ms, ms_since(&t0) - run_ms, b->wal_frames);
	if (rc < 0) {
		dk_log_error("msg=\"batch not committed\" error=\"%s\"", dk_error_last()->message);
		finish(b, batch, rc);
		return;
	}
	hand_over(b, batch);
	if (b->wal_frames >= b->wal_limit) {
		if (dk_store_checkpoint(b->store, NULL, NULL) < 0)
			dk_log_warn("msg=\"checkpoint failed\" error=\"%s\"", dk_error_last()->message);
		pthread_mutex_lock(&b->lock);
		b->ckpt_asked = 0;
		pthread_mutex_unlock(&b->lock);
	}
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
	pthread_mutex_lock(&b->lock);
	b->writer_done = true;
	pthread_cond_signal(&b->committed_cond);
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

static int
sync_wal(dk_batcher *b)
{
	if (b->wal_fd < 0 && dk_store_wal_open(b->store, &b->wal_fd) < 0)
		return -1;
	if (fdatasync(b->wal_fd) < 0)
		return dk_error_set(DK_EIO, "syncing the database's WAL: %s", strerror(errno));
	return 0;
}

static void *
syncer_main(void *arg)
{
	dk_batcher *b = arg;
	struct item *batch, **tail;
	int rc;

	pthread_setname_np(pthread_self(), "dk-sync");
	for (;;) {
		batch = NULL;
		tail = &batch;
		pthread_mutex_lock(&b->lock);
		while (!b->committed.head && !b->writer_done)
			pthread_cond_wait(&b->committed_cond, &b->lock);
		move(&tail, &b->committed, SIZE_MAX);
		pthread_mutex_unlock(&b->lock);
		if (!batch)
			break;
		/* One sync answers every batch committed since the last one. */
		if ((rc = sync_wal(b)) < 0) {
			/* After a failed fsync the kernel may have dropped the pages: nothing
			 * committed since can be promised, so no more is accepted. */
			dk_log_error("msg=\"WAL sync failed; accepting no more writes\" error=\"%s\"",
				     dk_error_last()->message);
			pthread_mutex_lock(&b->lock);
			b->sync_error = rc;
			pthread_mutex_unlock(&b->lock);
		}
		finish(b, batch, rc);
	}
	return NULL;
}

static void *
checkpointer_main(void *arg)
{
	dk_batcher *b = arg;
	int frames, copied;

	pthread_setname_np(pthread_self(), "dk-checkpoint");
	pthread_mutex_lock(&b->lock);
	for (;;) {
		while (!b->ckpt_wanted && !b->ckpt_stop)
			pthread_cond_wait(&b->ckpt_cond, &b->lock);
		if (b->ckpt_stop)
			break;
		pthread_mutex_unlock(&b->lock);
		if (dk_store_checkpoint(b->ckpt_store, &frames, &copied) < 0)
			dk_log_warn("msg=\"checkpoint failed\" error=\"%s\"", dk_error_last()->message);
		else
			dk_log_debug("msg=\"checkpoint\" wal_frames=%d copied=%d", frames, copied);
		pthread_mutex_lock(&b->lock);
		/* The writer asks again after its next commit if the WAL is still long. */
		b->ckpt_wanted = false;
	}
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

static void
batcher_free(dk_batcher *b)
{
	pthread_mutex_destroy(&b->lock);
	pthread_cond_destroy(&b->work);
	pthread_cond_destroy(&b->committed_cond);
	pthread_cond_destroy(&b->ckpt_cond);
	if (b->wal_fd >= 0)
		close(b->wal_fd);
	dk_store_free(b->ckpt_store);
	dk_store_free(b->store);
	free(b);
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
	b->wal_fd = -1;
	b->wal_limit = WAL_LIMIT_DEFAULT;
	b->after_commit = after_commit;
	b->after_arg = after_arg;
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->work, NULL);
	pthread_cond_init(&b->committed_cond, NULL);
	pthread_cond_init(&b->ckpt_cond, NULL);
	opts.no_create = true;
	if ((rc = dk_store_open(&b->ckpt_store, db_path, &opts)) < 0)
		goto fail;
	opts.combine_wal_writes = true;
	if ((rc = dk_store_open(&b->store, db_path, &opts)) < 0 ||
	    (rc = dk_store_defer_durability(b->store)) < 0)
		goto fail;
	dk_store_on_commit(b->store, on_commit, b);
	if (pthread_create(&b->checkpointer, NULL, checkpointer_main, b) != 0) {
		rc = dk_error_set(DK_ERROR, "cannot start the checkpoint thread");
		goto fail;
	}
	if (pthread_create(&b->syncer, NULL, syncer_main, b) != 0) {
		rc = dk_error_set(DK_ERROR, "cannot start the sync thread");
		goto stop_checkpointer;
	}
	if (pthread_create(&b->writer, NULL, writer_main, b) != 0) {
		rc = dk_error_set(DK_ERROR, "cannot start the commit thread");
		pthread_mutex_lock(&b->lock);
		b->writer_done = true;
		pthread_cond_signal(&b->committed_cond);
		pthread_mutex_unlock(&b->lock);
		pthread_join(b->syncer, NULL);
		goto stop_checkpointer;
	}
	*out = b;
	return 0;
stop_checkpointer:
	pthread_mutex_lock(&b->lock);
	b->ckpt_stop = true;
	pthread_cond_signal(&b->ckpt_cond);
	pthread_mutex_unlock(&b->lock);
	pthread_join(b->checkpointer, NULL);
fail:
	batcher_free(b);
	return rc;
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
	if (b->stopping || b->sync_error) {
		bool stopping = b->stopping;

		pthread_mutex_unlock(&b->lock);
		free(it);
		return stopping ? dk_error_set(DK_ESTATE, "shutting down")
				: dk_error_set(DK_EIO, "the database could not be synced to disk "
					       "earlier; restart the server once the disk is fixed");
	}
	push(q, it);
	pthread_cond_signal(&b->work);
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

void
dk_batcher_set_wal_limit(dk_batcher *b, int frames)
{
	pthread_mutex_lock(&b->lock);
	b->wal_limit = frames > 8 ? frames : WAL_LIMIT_DEFAULT;
	pthread_mutex_unlock(&b->lock);
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
	pthread_cond_signal(&b->work);
	pthread_mutex_unlock(&b->lock);
	/* The writer drains the queues, then the syncer answers what it committed. */
	pthread_join(b->writer, NULL);
	pthread_join(b->syncer, NULL);
	pthread_mutex_lock(&b->lock);
	b->ckpt_stop = true;
	pthread_cond_signal(&b->ckpt_cond);
	pthread_mutex_unlock(&b->lock);
	pthread_join(b->checkpointer, NULL);
	batcher_free(b);
}

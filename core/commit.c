#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
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
/* Background rows gather up to this many, or for this long, before a batch of their own;
 * they reach the disk with the next sync, at the latest BACKGROUND_SYNC_NS later. */
#define BACKGROUND_BATCH 512
#define BACKGROUND_LINGER_NS 5000000
#define BACKGROUND_SYNC_NS 1000000000
/*
 * Checkpoints: the checkpointer copies frames in the background every eighth of the
 * limit; at the limit the writer copies the few left itself, between two batches, so
 * the WAL can start over (it only can once every frame is copied while no write is
 * open, which never happens with batches back to back).
 */
#define WAL_LIMIT_DEFAULT 8000
/*
 * Two syncers: a batch committed while one sync is under way starts its own at once
 * instead of waiting a whole sync for the next. Overlapping syncs are safe: each
 * returns only once everything written before it started is on disk.
 */
#define SYNCERS 2

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
	int wal_fd;                     /* the syncers' */
	pthread_t writer, syncer[SYNCERS], checkpointer;
	int syncers;                    /* started */
	pthread_mutex_t lock;
	pthread_cond_t work, committed_cond, ckpt_cond;
	struct queue urgent, background;
	struct queue committed;         /* committed, waiting for the WAL sync */
	int wal_frames;                 /* the WAL's length after the writer's last commit */
	int ckpt_asked;                 /* wal_frames when the checkpointer was last woken */
	int wal_limit;                  /* frames at which the writer lets the WAL start over */
	bool ckpt_wanted, stopping, writer_done, ckpt_stop;
	bool background_dirty;          /* rows committed since the last sync, none waited on */
	int64_t background_since;       /* when the oldest queued background row came */
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

static int64_t
now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static struct timespec
at_ns(int64_t ns)
{
	return (struct timespec){ .tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000 };
}

/*
 * The next batch. Rows nobody waits on linger until enough have gathered or the oldest
 * has waited BACKGROUND_LINGER_NS: batch by batch a flood of bad signatures cost more in
 * commits than in rows.
 */
static struct item *
take(dk_batcher *b, bool *urgent_out)
{
	struct item *first = NULL, **tail = &first;
	struct timespec until;
	size_t urgent;

	pthread_mutex_lock(&b->lock);
	while (!b->urgent.head && !b->stopping) {
		if (!b->background.head) {
			pthread_cond_wait(&b->work, &b->lock);
			continue;
		}
		if (b->background.n >= BACKGROUND_BATCH ||
		    now_ns() >= b->background_since + BACKGROUND_LINGER_NS)
			break;
		until = at_ns(b->background_since + BACKGROUND_LINGER_NS);
		pthread_cond_timedwait(&b->work, &b->lock, &until);
	}
	urgent = b->urgent.n < BATCH_MAX ? b->urgent.n : BATCH_MAX;
	move(&tail, &b->urgent, urgent);
	move(&tail, &b->background, urgent ? BACKGROUND_WITH_URGENT : BATCH_MAX);
	if (b->background.head)
		b->background_since = now_ns();
	pthread_mutex_unlock(&b->lock);
	*urgent_out = urgent > 0;
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

/*
 * After a commit: a waited-on batch goes to the syncer, which answers it once the WAL
 * is on disk; rows nobody waits on are done now (their answers went out already) and
 * reach the disk with the next sync, at the latest BACKGROUND_SYNC_NS later.
 */
static void
hand_over(dk_batcher *b, struct item *batch, bool urgent)
{
	struct item *it, *next;

	if (!urgent)
		finish(b, batch, 0);
	pthread_mutex_lock(&b->lock);
	for (it = urgent ? batch : NULL; it; it = next) {
		next = it->next;
		it->next = NULL;
		push(&b->committed, it);
	}
	if (urgent || !b->background_dirty) {
		b->background_dirty |= !urgent;
		pthread_cond_signal(&b->committed_cond);
	}
	if (b->wal_frames >= b->ckpt_asked + b->wal_limit / 8 && !b->ckpt_wanted) {
		b->ckpt_asked = b->wal_frames;
		b->ckpt_wanted = true;
		pthread_cond_signal(&b->ckpt_cond);
	}
	pthread_mutex_unlock(&b->lock);
}

static void
run_batch(dk_batcher *b, struct item *batch, bool urgent)
{
	struct item *it;
	int64_t t0 = now_ns(), t1;
	int rc, n = 0;

	rc = dk_store_begin(b->store);
	for (it = batch; it; it = it->next, n++)
		it->rc = rc < 0 ? rc : it->fn(b->store, it->arg);
	t1 = now_ns();
	if (rc == 0)
		rc = dk_store_commit(b->store);
	dk_log_debug("msg=\"batch\" writes=%d run_ms=%.2f commit_ms=%.2f wal_frames=%d", n,
		     (double)(t1 - t0) / 1e6, (double)(now_ns() - t1) / 1e6, b->wal_frames);
	if (rc < 0) {
		dk_log_error("msg=\"batch not committed\" error=\"%s\"", dk_error_last()->message);
		finish(b, batch, rc);
		return;
	}
	hand_over(b, batch, urgent);
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
	bool urgent;

	/* Named for `top -H` and perf: the one thread every accepted delivery waits on. */
	pthread_setname_np(pthread_self(), "dk-commit");
	while ((batch = take(b, &urgent)))
		run_batch(b, batch, urgent);
	pthread_mutex_lock(&b->lock);
	b->writer_done = true;
	pthread_cond_broadcast(&b->committed_cond);
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

static int
sync_wal(dk_batcher *b)
{
	if (fdatasync(b->wal_fd) < 0)
		return dk_error_set(DK_EIO, "syncing the database's WAL: %s", strerror(errno));
	return 0;
}

static void *
syncer_main(void *arg)
{
	dk_batcher *b = arg;
	struct item *batch, **tail;
	struct timespec until;
	bool due;
	int rc;

	pthread_setname_np(pthread_self(), "dk-sync");
	for (;;) {
		batch = NULL;
		tail = &batch;
		due = false;
		pthread_mutex_lock(&b->lock);
		while (!b->committed.head && !due) {
			if (b->writer_done) {
				due = b->background_dirty;
				break;
			}
			if (!b->background_dirty) {
				pthread_cond_wait(&b->committed_cond, &b->lock);
				continue;
			}
			until = at_ns(now_ns() + BACKGROUND_SYNC_NS);
			due = pthread_cond_timedwait(&b->committed_cond, &b->lock, &until) ==
			      ETIMEDOUT;
		}
		move(&tail, &b->committed, SIZE_MAX);
		/* The sync below covers every frame written so far. */
		b->background_dirty = false;
		pthread_mutex_unlock(&b->lock);
		if (!batch && !due)
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
	/* Copying frames is never what a request waits on: it gets the CPU when nothing
	 * else wants it, and the writer's own catch-up at the limit still bounds the WAL. */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), 19) < 0)
		dk_log_debug("msg=\"checkpoint thread keeps its priority\" error=\"%s\"",
			     strerror(errno));
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
	pthread_condattr_t mono;
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
	pthread_condattr_init(&mono);
	pthread_condattr_setclock(&mono, CLOCK_MONOTONIC);
	pthread_cond_init(&b->work, &mono);
	pthread_cond_init(&b->committed_cond, &mono);
	pthread_condattr_destroy(&mono);
	pthread_cond_init(&b->ckpt_cond, NULL);
	opts.no_create = true;
	/* Each connection is its thread's alone; the syncers get their descriptor here. */
	opts.one_thread = true;
	if ((rc = dk_store_open(&b->ckpt_store, db_path, &opts)) < 0)
		goto fail;
	opts.combine_wal_writes = true;
	if ((rc = dk_store_open(&b->store, db_path, &opts)) < 0 ||
	    (rc = dk_store_defer_durability(b->store)) < 0 ||
	    (rc = dk_store_wal_open(b->store, &b->wal_fd)) < 0)
		goto fail;
	dk_store_on_commit(b->store, on_commit, b);
	if (pthread_create(&b->checkpointer, NULL, checkpointer_main, b) != 0) {
		rc = dk_error_set(DK_ERROR, "cannot start the checkpoint thread");
		goto fail;
	}
	for (; b->syncers < SYNCERS; b->syncers++) {
		if (pthread_create(&b->syncer[b->syncers], NULL, syncer_main, b) != 0) {
			rc = dk_error_set(DK_ERROR, "cannot start the sync thread");
			goto stop_syncers;
		}
	}
	if (pthread_create(&b->writer, NULL, writer_main, b) != 0) {
		rc = dk_error_set(DK_ERROR, "cannot start the commit thread");
		goto stop_syncers;
	}
	*out = b;
	return 0;
stop_syncers:
	pthread_mutex_lock(&b->lock);
	b->writer_done = true;
	pthread_cond_broadcast(&b->committed_cond);
	pthread_mutex_unlock(&b->lock);
	for (int i = 0; i < b->syncers; i++)
		pthread_join(b->syncer[i], NULL);
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
	if (q == &b->background && !q->head)
		b->background_since = now_ns();
	push(q, it);
	/* The writer wakes for a background row only when a batch of them is due. */
	if (q == &b->urgent || q->n == 1 || q->n == BACKGROUND_BATCH)
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
	/* The writer drains the queues, then the syncers answer what it committed. */
	pthread_join(b->writer, NULL);
	for (int i = 0; i < b->syncers; i++)
		pthread_join(b->syncer[i], NULL);
	pthread_mutex_lock(&b->lock);
	b->ckpt_stop = true;
	pthread_cond_signal(&b->ckpt_cond);
	pthread_mutex_unlock(&b->lock);
	pthread_join(b->checkpointer, NULL);
	batcher_free(b);
}

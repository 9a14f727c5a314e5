/* The group-commit writer: everything submitted is written and reported once, and a
 * waited-on write is not queued behind a flood of background rows. */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "diskops/commit.h"
#include "storeutil.h"

#define F ((su_fixture *)*state)
#define BACKGROUND 1000

typedef struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool released;
	bool blocker_running;
	int order[BACKGROUND + 2]; /* tags in the order the writes ran */
	int ran;
	int done_ok;
	int done_failed;
} journal;

typedef struct {
	journal *j;
	int tag; /* -1 the blocker, 0 the urgent write, 1.. background */
} write_arg;

static int
record(dk_store *store, void *arg)
{
	write_arg *w = arg;
	journal *j = w->j;

	(void)store;
	pthread_mutex_lock(&j->lock);
	if (w->tag == -1) {
		/* Holds the writer so that everything else queues up behind this batch. */
		j->blocker_running = true;
		pthread_cond_broadcast(&j->cond);
		while (!j->released)
			pthread_cond_wait(&j->cond, &j->lock);
	}
	j->order[j->ran++] = w->tag;
	pthread_mutex_unlock(&j->lock);
	return 0;
}

static void
finished(void *arg, int rc)
{
	write_arg *w = arg;

	pthread_mutex_lock(&w->j->lock);
	if (rc == 0)
		w->j->done_ok++;
	else
		w->j->done_failed++;
	pthread_mutex_unlock(&w->j->lock);
}

static void
urgent_write_overtakes_queued_background_rows(void **state)
{
	static write_arg args[BACKGROUND + 2];
	static journal j;
	dk_batcher *b = NULL;
	int urgent_at = -1;

	memset(&j, 0, sizeof(j));
	pthread_mutex_init(&j.lock, NULL);
	pthread_cond_init(&j.cond, NULL);
	assert_int_equal(dk_batcher_start(&b, F->path, NULL, NULL), 0);

	args[0] = (write_arg){ &j, -1 };
	assert_int_equal(dk_batcher_submit(b, record, finished, &args[0]), 0);
	pthread_mutex_lock(&j.lock);
	while (!j.blocker_running)
		pthread_cond_wait(&j.cond, &j.lock);
	pthread_mutex_unlock(&j.lock);

	for (int i = 1; i <= BACKGROUND; i++) {
		args[i] = (write_arg){ &j, i };
		assert_int_equal(dk_batcher_submit_background(b, record, finished, &args[i]), 0);
	}
	args[BACKGROUND + 1] = (write_arg){ &j, 0 };
	assert_int_equal(dk_batcher_submit(b, record, finished, &args[BACKGROUND + 1]), 0);
	assert_int_equal(dk_batcher_pending(b), BACKGROUND + 1);

	pthread_mutex_lock(&j.lock);
	j.released = true;
	pthread_cond_broadcast(&j.cond);
	pthread_mutex_unlock(&j.lock);
	/* Stop runs what is queued first. */
	dk_batcher_stop(b);

	assert_int_equal(j.ran, BACKGROUND + 2);
	assert_int_equal(j.done_ok, BACKGROUND + 2);
	assert_int_equal(j.done_failed, 0);
	for (int i = 0; i < j.ran; i++)
		if (j.order[i] == 0)
			urgent_at = i;
	/* Right after the blocker, ahead of all 1000 rows submitted before it. */
	assert_int_equal(urgent_at, 1);
	/* Background rows keep their own order. */
	for (int i = 2; i + 1 < j.ran; i++)
		assert_true(j.order[i] < j.order[i + 1]);
	pthread_mutex_destroy(&j.lock);
	pthread_cond_destroy(&j.cond);
}

static int
fail_write(dk_store *store, void *arg)
{
	(void)store;
	(void)arg;
	return -1;
}

static void
a_failed_write_is_reported_and_others_commit(void **state)
{
	static journal j;
	write_arg ok = { &j, 1 }, bad = { &j, 2 };
	dk_batcher *b = NULL;

	memset(&j, 0, sizeof(j));
	pthread_mutex_init(&j.lock, NULL);
	pthread_cond_init(&j.cond, NULL);
	j.released = true;
	assert_int_equal(dk_batcher_start(&b, F->path, NULL, NULL), 0);
	assert_int_equal(dk_batcher_submit(b, fail_write, finished, &bad), 0);
	assert_int_equal(dk_batcher_submit(b, record, finished, &ok), 0);
	dk_batcher_stop(b);
	assert_int_equal(j.done_ok, 1);
	assert_int_equal(j.done_failed, 1);
	pthread_mutex_destroy(&j.lock);
	pthread_cond_destroy(&j.cond);
}

#define STREAM 3000
#define WAL_LIMIT 400

typedef struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
	int failed;
	int visible;       /* rows a second connection saw when their write was answered */
	const char *path;
} stream;

static int
insert_event(dk_store *store, void *arg)
{
	/* A payload of a few KiB so each write dirties pages of its own. */
	static char payload[3000];
	dk_event e = { .kind = "test.commit", .severity = "info", .source = "test",
		       .payload = payload };

	(void)arg;
	if (!payload[0]) {
		memset(payload, 'x', sizeof(payload) - 3);
		payload[0] = '"';
		payload[sizeof(payload) - 3] = '"';
	}
	return dk_store_event_insert(store, NULL, &e);
}

static void
stream_done(void *arg, int rc)
{
	stream *s = arg;

	pthread_mutex_lock(&s->lock);
	if (rc == 0)
		s->done++;
	else
		s->failed++;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

static int64_t
file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (int64_t)st.st_size : -1;
}

/* Batches back to back never leave SQLite a moment to restart the WAL on its own; the
 * writer must make one, or the file grows with every delivery the server ever took. */
static void
a_long_stream_of_writes_keeps_the_wal_bounded(void **state)
{
	static stream s;
	char wal[4096];
	int64_t largest = 0, size, answered;
	dk_batcher *b = NULL;

	memset(&s, 0, sizeof(s));
	pthread_mutex_init(&s.lock, NULL);
	pthread_cond_init(&s.cond, NULL);
	snprintf(wal, sizeof(wal), "%s-wal", F->path);
	assert_int_equal(dk_batcher_start(&b, F->path, NULL, NULL), 0);
	dk_batcher_set_wal_limit(b, WAL_LIMIT);
	for (int i = 0; i < STREAM; i++) {
		/* A few writes in flight at a time, as from a handful of connections. */
		pthread_mutex_lock(&s.lock);
		while (i - s.done - s.failed >= 4)
			pthread_cond_wait(&s.cond, &s.lock);
		pthread_mutex_unlock(&s.lock);
		assert_int_equal(dk_batcher_submit(b, insert_event, stream_done, &s), 0);
		if ((size = file_size(wal)) > largest)
			largest = size;
		if (i % 100 == 0) {
			/* An answered write is visible to every other connection: the
			 * writer's gathered WAL bytes reached the file before the commit was
			 * published. */
			pthread_mutex_lock(&s.lock);
			answered = s.done;
			pthread_mutex_unlock(&s.lock);
			assert_true(su_sql_int(F->path, "SELECT count(*) FROM event"
					       " WHERE kind = 'test.commit'") >= answered);
		}
	}
	dk_batcher_stop(b);
	assert_int_equal(s.done, STREAM);
	assert_int_equal(s.failed, 0);
	assert_int_equal(su_sql_int(F->path, "SELECT count(*) FROM event WHERE kind = 'test.commit'"),
			 STREAM);
	/* Each event fills a page of its own, so the writes went through the WAL many
	 * times over; a frame is a page and its 24-byte header. */
	assert_true(su_sql_int(F->path, "PRAGMA page_count") > 4 * WAL_LIMIT);
	assert_true(largest > 0);
	assert_true(largest <= 2LL * WAL_LIMIT * (4096 + 24) + 32);
	pthread_mutex_destroy(&s.lock);
	pthread_cond_destroy(&s.cond);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(urgent_write_overtakes_queued_background_rows,
						su_setup, su_teardown),
		cmocka_unit_test_setup_teardown(a_failed_write_is_reported_and_others_commit,
						su_setup, su_teardown),
		cmocka_unit_test_setup_teardown(a_long_stream_of_writes_keeps_the_wal_bounded,
						su_setup, su_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

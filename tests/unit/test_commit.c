/* The group-commit writer: everything submitted is written and reported once, and a
 * waited-on write is not queued behind a flood of background rows. */
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <cmocka.h>
#include <string.h>

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(urgent_write_overtakes_queued_background_rows,
						su_setup, su_teardown),
		cmocka_unit_test_setup_teardown(a_failed_write_is_reported_and_others_commit,
						su_setup, su_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

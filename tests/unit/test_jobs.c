#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "diskops/account.h"
#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/jobs.h"
#include "diskops/log.h"
#include "diskops/platform.h"
#include "diskops/process.h"

#define T0 1900000000

struct fx {
	char *dir;
	dk_store *store;
	dk_account *acct;
	dk_platform *plat;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	dk_platform_spec spec = { .set = DK_PLATFORM_NAME | DK_PLATFORM_ARCH, .name = "rpi",
				  .arch = "arm64" };
	char *db;

	dk_log_set_level(DK_LOG_OFF);
	dk_clock_set(T0);
	f->dir = tu_mkdtemp();
	db = tu_path(f->dir, "t.db");
	assert_int_equal(dk_store_open(&f->store, db, NULL), 0);
	free(db);
	assert_int_equal(dk_account_create(f->store, &f->acct, "acme", "test"), 0);
	assert_int_equal(dk_platform_create(f->store, &f->plat, f->acct->id, &spec, "test"), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	dk_clock_set(0);
	dk_platform_free(f->plat);
	dk_account_free(f->acct);
	dk_store_free(f->store);
	tu_rmrf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static int calls;

static int
always_fails(dk_store *store, const dk_job *job, char **error, void *payload)
{
	(void)store; (void)job; (void)payload;
	calls++;
	*error = strdup("registry unreachable");
	return DK_EIO;
}

static int
succeeds(dk_store *store, const dk_job *job, char **error, void *payload)
{
	(void)store; (void)job; (void)error; (void)payload;
	calls++;
	return 0;
}

static void
backoff_doubles_to_five_minutes(void **state)
{
	(void)state;
	assert_int_equal(dk_jobs_backoff(1), 1);
	assert_int_equal(dk_jobs_backoff(2), 2);
	assert_int_equal(dk_jobs_backoff(3), 4);
	assert_int_equal(dk_jobs_backoff(8), 128);
	assert_int_equal(dk_jobs_backoff(9), 256);
	assert_int_equal(dk_jobs_backoff(10), 300);
	assert_int_equal(dk_jobs_backoff(60), 300);
}

static void
failing_job_retries_with_backoff_then_dies(void **state)
{
	struct fx *f = *state;
	dk_job *j = NULL;
	int64_t id;

	assert_int_equal(dk_store_job_enqueue(f->store, &id, "ingest", "pub-1", f->acct->id, T0), 0);
	calls = 0;
	for (int attempt = 1; attempt <= DK_JOBS_MAX_ATTEMPTS; attempt++) {
		assert_int_equal(dk_jobs_run_one(f->store, "ingest", "w1", always_fails, NULL), 0);
		assert_int_equal(dk_store_job_get(f->store, &j, id), 0);
		assert_int_equal(j->attempts, attempt);
		assert_string_equal(j->last_error, "registry unreachable");
		if (attempt < DK_JOBS_MAX_ATTEMPTS) {
			assert_string_equal(j->state, "ready");
			assert_int_equal(j->run_after, dk_clock_now() + dk_jobs_backoff(attempt));
			/* not due a second early */
			dk_clock_advance(dk_jobs_backoff(attempt) - 1);
			assert_int_equal(dk_jobs_run_one(f->store, "ingest", "w1", always_fails, NULL),
					 DK_ENOTFOUND);
			dk_clock_advance(1);
		} else {
			assert_string_equal(j->state, "dead");
		}
		dk_job_free(j);
	}
	assert_int_equal(calls, DK_JOBS_MAX_ATTEMPTS);
	dk_clock_advance(3600);
	assert_int_equal(dk_jobs_run_one(f->store, "ingest", "w1", always_fails, NULL), DK_ENOTFOUND);

	/* retry puts it back with a clean slate */
	assert_int_equal(dk_store_job_retry(f->store, f->acct->id, id, dk_clock_now()), 0);
	assert_int_equal(dk_store_job_retry(f->store, f->acct->id, id, dk_clock_now()), DK_ESTATE);
	assert_int_equal(dk_store_job_retry(f->store, "other-account", id, dk_clock_now()),
			 DK_ENOTFOUND);
	assert_int_equal(dk_jobs_run_one(f->store, "ingest", "w1", succeeds, NULL), 0);
	assert_int_equal(dk_store_job_get(f->store, &j, id), 0);
	assert_string_equal(j->state, "done");
	assert_int_equal(j->attempts, 1);
	dk_job_free(j);
}

static void
expired_lease_is_taken_again(void **state)
{
	struct fx *f = *state;
	dk_job *a = NULL, *b = NULL;
	int64_t id;

	assert_int_equal(dk_store_job_enqueue(f->store, &id, "ingest", "pub-2", f->acct->id, T0), 0);
	assert_int_equal(dk_store_job_lease(f->store, &a, "ingest", "crashed", T0, 60), 0);
	assert_int_equal(dk_store_job_lease(f->store, &b, "ingest", "w2", T0 + 59, 60), DK_ENOTFOUND);
	assert_int_equal(dk_store_job_lease(f->store, &b, "ingest", "w2", T0 + 60, 60), 0);
	assert_int_equal(b->id, id);
	assert_int_equal(b->attempts, 2);
	/* the crashed worker's late answer does not clobber the new lease */
	assert_int_equal(dk_store_job_finish(f->store, id, "crashed", "done", 0, NULL), DK_ECONFLICT);
	assert_int_equal(dk_store_job_finish(f->store, id, "w2", "done", 0, NULL), 0);
	dk_job_free(a);
	dk_job_free(b);
}

static void
one_live_job_per_subject(void **state)
{
	struct fx *f = *state;
	int64_t a, b, c;
	dk_job *j = NULL;

	assert_int_equal(dk_store_job_enqueue(f->store, &a, "ingest", "pub-3", f->acct->id, T0 + 50), 0);
	assert_int_equal(dk_store_job_enqueue(f->store, &b, "ingest", "pub-3", f->acct->id, T0), 0);
	assert_int_equal(a, b);
	assert_int_equal(dk_store_job_get(f->store, &j, a), 0);
	assert_int_equal(j->run_after, T0);
	dk_job_free(j);
	assert_int_equal(dk_jobs_run_one(f->store, "ingest", "w", succeeds, NULL), 0);
	/* once done, a new delivery makes a new job */
	assert_int_equal(dk_store_job_enqueue(f->store, &c, "ingest", "pub-3", f->acct->id, T0), 0);
	assert_true(c != a);
}

#define NO_POLICY "platform 'rpi' has no cosign trust policy configured (set " \
	"cosign_identity_regexp + cosign_issuer_regexp, or trusted_keys)"

static void
ingest_without_trust_policy_fails_the_publication(void **state)
{
	struct fx *f = *state;
	dk_publication row = { 0 }, *p = NULL;
	dk_platform *plat = NULL;
	dk_job *j = NULL;
	int64_t id;

	row.account_id = f->acct->id;
	row.node_platform_id = f->plat->id;
	row.git_sha = "abc";
	row.oci_ref = "reg/x:1";
	row.arch = "arm64";
	row.status = DK_PUB_QUEUED;
	assert_int_equal(dk_store_publication_insert(f->store, &p, &row), 0);
	assert_int_equal(dk_store_job_enqueue(f->store, &id, "ingest", p->id, f->acct->id, T0), 0);
	assert_int_equal(dk_jobs_run_one(f->store, "ingest", "w", dk_jobs_ingest, NULL), 0);
	assert_int_equal(dk_store_job_get(f->store, &j, id), 0);
	/* a decided failure is not retried: the row carries it */
	assert_string_equal(j->state, "done");
	assert_string_equal(j->last_error, NO_POLICY);
	dk_job_free(j);
	dk_publication_free(p);
	assert_int_equal(dk_store_publication_find_sha(f->store, &p, f->acct->id, f->plat->id, "abc"), 0);
	assert_int_equal(p->status, DK_PUB_FAILED);
	assert_string_equal(p->error_message, NO_POLICY);
	assert_int_equal(p->attempt_count, 1);
	assert_int_equal(dk_store_platform_find(f->store, &plat, f->acct->id, "rpi"), 0);
	assert_string_equal(plat->publication_status, "failed");
	dk_platform_free(plat);
	dk_publication_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(backoff_doubles_to_five_minutes),
		cmocka_unit_test_setup_teardown(failing_job_retries_with_backoff_then_dies, setup, teardown),
		cmocka_unit_test_setup_teardown(expired_lease_is_taken_again, setup, teardown),
		cmocka_unit_test_setup_teardown(one_live_job_per_subject, setup, teardown),
		cmocka_unit_test_setup_teardown(ingest_without_trust_policy_fails_the_publication, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Webhooks, workers, publications and approvals are all found the same way: exact id, a
 * name where the kind has one (case-insensitive; a revoked worker's name no longer
 * counts), or a unique id prefix of 8+ characters, always inside one account.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storeutil.h"
#include "testutil.h"
#include "diskops/error.h"
#include "diskops/policy.h"
#include "diskops/store_serve.h"

#define ID1 "abcdef01-1111-4000-8000-000000000001"
#define ID2 "abcdef01-2222-4000-8000-000000000002"
#define ID3 "12345678-3333-4000-8000-000000000003"

typedef int (*find_fn)(su_fixture *f, const char *account_id, const char *key, char **id);

static int
find_webhook(su_fixture *f, const char *account_id, const char *key, char **id)
{
	dk_webhook *w = NULL;
	int rc = dk_store_webhook_find(f->s, &w, account_id, key);

	*id = w ? strdup(w->id) : NULL;
	dk_webhook_free(w);
	return rc;
}

static int
find_worker(su_fixture *f, const char *account_id, const char *key, char **id)
{
	dk_worker *w = NULL;
	int rc = dk_store_worker_find(f->s, &w, account_id, key);

	*id = w ? strdup(w->id) : NULL;
	dk_worker_free(w);
	return rc;
}

static int
find_publication(su_fixture *f, const char *account_id, const char *key, char **id)
{
	dk_publication *p = NULL;
	int rc = dk_store_publication_get(f->s, &p, account_id, key);

	*id = p ? strdup(p->id) : NULL;
	dk_publication_free(p);
	return rc;
}

static int
find_approval(su_fixture *f, const char *account_id, const char *key, char **id)
{
	dk_approval *a = NULL;
	int rc = dk_store_approval_get(f->s, &a, account_id, key);

	*id = a ? strdup(a->id) : NULL;
	dk_approval_free(a);
	return rc;
}

static void
expect(su_fixture *f, find_fn find, const char *key, int want_rc, const char *want_id,
       const char *want_message)
{
	char *id = NULL;
	int rc = find(f, f->a->id, key, &id);

	if (rc != want_rc)
		fail_msg("%s: rc %d, want %d (%s)", key, rc, want_rc, rc ? dk_error_last()->message : "");
	if (want_id)
		assert_string_equal(id, want_id);
	else
		assert_null(id);
	if (want_message && !strstr(dk_error_last()->message, want_message))
		fail_msg("%s: \"%s\" does not say \"%s\"", key, dk_error_last()->message, want_message);
	free(id);
}

/* What every kind shares: ids, prefixes, ambiguity, the account boundary. */
static void
common_cases(su_fixture *f, find_fn find, const char *what)
{
	char msg[80];
	char *id = NULL;

	expect(f, find, ID1, 0, ID1, NULL);
	expect(f, find, ID3, 0, ID3, NULL);
	expect(f, find, "12345678", 0, ID3, NULL);
	expect(f, find, "abcdef01-2", 0, ID2, NULL);
	snprintf(msg, sizeof(msg), "%s id prefix abcdef01 is ambiguous: give more characters", what);
	expect(f, find, "abcdef01", DK_EINVALID, NULL, msg);
	/* Seven characters are too few to mean an id. */
	snprintf(msg, sizeof(msg), "%s 1234567 not found", what);
	expect(f, find, "1234567", DK_ENOTFOUND, NULL, msg);
	expect(f, find, "00000000-0000-4000-8000-000000000000", DK_ENOTFOUND, NULL, "not found");
	/* Another account sees none of them, by id or by prefix. */
	assert_int_equal(find(f, f->b->id, ID1, &id), DK_ENOTFOUND);
	assert_null(id);
	assert_int_equal(find(f, f->b->id, "12345678", &id), DK_ENOTFOUND);
	assert_null(id);
}

static void
sql(su_fixture *f, const char *q)
{
	if (su_sql_exec(f->path, q) != 0)
		fail_msg("sql failed: %s", q);
}

static void
webhooks(void **state)
{
	su_fixture *f = *state;
	const char *labels[] = { "ci", "nightly", "ABCDEF01" };
	const char *ids[] = { ID1, ID2, ID3 };
	char q[256];

	for (int i = 0; i < 3; i++) {
		dk_webhook *w = NULL;

		assert_int_equal(dk_store_webhook_create(f->s, &w, f->a->id, labels[i], "v1:x", "pndis_ab",
							 "t"), 0);
		snprintf(q, sizeof(q), "UPDATE disk_image_webhook SET id = '%s' WHERE id = '%s'", ids[i], w->id);
		sql(f, q);
		dk_webhook_free(w);
	}
	/* A label that looks like an ambiguous prefix is still that webhook's label. */
	sql(f, "UPDATE disk_image_webhook SET label = 'abcdef01' WHERE id = '" ID3 "'");
	expect(f, find_webhook, "abcdef01", 0, ID3, NULL);
	sql(f, "UPDATE disk_image_webhook SET label = 'ABCDEF01' WHERE id = '" ID3 "'");
	expect(f, find_webhook, "NightLY", 0, ID2, NULL);
	expect(f, find_webhook, "ci", 0, ID1, NULL);
	expect(f, find_webhook, "weekly", DK_ENOTFOUND, NULL, "webhook weekly not found");
	sql(f, "UPDATE disk_image_webhook SET label = 'x3' WHERE id = '" ID3 "'");
	common_cases(f, find_webhook, "webhook");
}

static void
workers(void **state)
{
	su_fixture *f = *state;
	const char *names[] = { "builder", "old", "third" };
	const char *ids[] = { ID1, ID2, ID3 };
	char q[256];

	for (int i = 0; i < 3; i++) {
		dk_worker *w = NULL;

		assert_int_equal(dk_store_worker_create(f->s, &w, f->a->id, names[i], su_hex64(i)), 0);
		snprintf(q, sizeof(q), "UPDATE ci_worker SET id = '%s' WHERE id = '%s'", ids[i], w->id);
		sql(f, q);
		dk_worker_free(w);
	}
	expect(f, find_worker, "BUILDER", 0, ID1, NULL);
	expect(f, find_worker, "old", 0, ID2, NULL);
	/* Once revoked, a name is free for a new worker and no longer finds the old one. */
	sql(f, "UPDATE ci_worker SET status = 'revoked' WHERE id = '" ID2 "'");
	expect(f, find_worker, "old", DK_ENOTFOUND, NULL, "worker old not found");
	expect(f, find_worker, ID2, 0, ID2, NULL);
	common_cases(f, find_worker, "worker");
}

static void
publications(void **state)
{
	su_fixture *f = *state;
	dk_platform *p = su_platform(f->s, f->a->id, "edge");
	const char *ids[] = { ID1, ID2, ID3 };
	char q[256], sha[16];

	for (int i = 0; i < 3; i++) {
		dk_publication *row;

		snprintf(sha, sizeof(sha), "sha%d", i);
		row = su_publication(f->s, p, sha, DK_PUB_QUEUED);
		snprintf(q, sizeof(q), "UPDATE disk_image_publication SET id = '%s' WHERE id = '%s'", ids[i],
			 row->id);
		sql(f, q);
		dk_publication_free(row);
	}
	/* Publications have no name: a git sha is not a key here. */
	expect(f, find_publication, "sha0", DK_ENOTFOUND, NULL, "publication sha0 not found");
	common_cases(f, find_publication, "publication");
	dk_platform_free(p);
}

static void
approvals(void **state)
{
	su_fixture *f = *state;
	const char *ids[] = { ID1, ID2, ID3 };

	for (int i = 0; i < 3; i++) {
		dk_approval a = { .id = (char *)ids[i], .account_id = f->a->id, .category = "rollback",
				  .params = "{}", .requested_by = "alice", .created_at = 1,
				  .expires_at = 2000000000 };

		assert_int_equal(dk_store_approval_insert(f->s, &a), 0);
	}
	common_cases(f, find_approval, "approval");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(webhooks, su_setup, su_teardown),
		cmocka_unit_test_setup_teardown(workers, su_setup, su_teardown),
		cmocka_unit_test_setup_teardown(publications, su_setup, su_teardown),
		cmocka_unit_test_setup_teardown(approvals, su_setup, su_teardown),
	};
	return cmocka_run_group_tests_name("store_lookup", tests, NULL, NULL);
}

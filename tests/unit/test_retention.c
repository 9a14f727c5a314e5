/* Retention over a real store; the registry delete is a recording callback here (the
 * same cases against the real registry: tests/integration/test_retention_registry.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storeutil.h"
#include "testutil.h"
#include "diskops/account.h"
#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/log.h"
#include "diskops/platform.h"
#include "diskops/promote.h"
#include "diskops/retention.h"

#define T0 1800000000
#define DAY 86400

struct fx {
	char *dir, *path;
	dk_store *s;
	dk_account *a;
	dk_platform *p;
	char ids[8][40];
	int n;
	/* the fake registry */
	char deleted[16][80];
	int ndeleted;
	const char *fail_digest;
};

static int
fake_delete(void *payload, const char *ref, const char *digest)
{
	struct fx *f = payload;

	(void)ref;
	if (f->fail_digest && strcmp(digest, f->fail_digest) == 0)
		return dk_error_set(DK_EIO, "registry 127.0.0.1:5000: 503 Service Unavailable");
	snprintf(f->deleted[f->ndeleted++], 80, "%s", digest);
	return 0;
}

static const char *
add(struct fx *f, dk_platform *plat, int digest_n)
{
	dk_publication row = { 0 }, *out;
	char sha[41], digest[80];

	snprintf(sha, sizeof(sha), "%040d", 100 + f->n);
	snprintf(digest, sizeof(digest), "sha256:%064d", digest_n);
	row.account_id = f->a->id;
	row.node_platform_id = plat->id;
	row.git_sha = sha;
	row.arch = "amd64";
	row.oci_ref = "127.0.0.1:5000/edge:t";
	row.oci_digest = digest;
	row.status = DK_PUB_PUBLISHED;
	row.cosign_verified = true;
	row.signature_kind = "key";
	row.created_at = dk_clock_now();
	row.published_at = dk_clock_now();
	assert_int_equal(dk_store_publication_insert(f->s, &out, &row), 0);
	snprintf(f->ids[f->n], 40, "%s", out->id);
	dk_publication_free(out);
	dk_clock_advance(60);
	return f->ids[f->n++];
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	dk_platform_spec spec = { .set = DK_PLATFORM_NAME | DK_PLATFORM_ARCH | DK_PLATFORM_RETENTION,
				  .name = "edge", .arch = "amd64", .retention_count = 2 };

	dk_clock_set(T0);
	dk_log_set_level(DK_LOG_ERROR);
	f->dir = tu_mkdtemp();
	f->path = tu_path(f->dir, "diskops.db");
	assert_int_equal(dk_store_open(&f->s, f->path, NULL), 0);
	assert_int_equal(dk_account_create(f->s, &f->a, "default", "t"), 0);
	assert_int_equal(dk_platform_create(f->s, &f->p, f->a->id, &spec, "t"), 0);
	for (int i = 0; i < 4; i++)
		add(f, f->p, i + 1);
	/* the newest is the default */
	assert_int_equal(dk_store_platform_set_default(f->s, f->a->id, f->p->id, f->ids[3], "r@d"), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	dk_platform_free(f->p);
	dk_account_free(f->a);
	dk_store_free(f->s);
	tu_rmrf(f->dir);
	free(f->dir);
	free(f->path);
	free(f);
	dk_clock_set(0);
	return 0;
}

static dk_pub_status
status_of(struct fx *f, int i)
{
	dk_publication *p;
	dk_pub_status s;

	assert_int_equal(dk_store_publication_get(f->s, &p, f->a->id, f->ids[i]), 0);
	s = p->status;
	dk_publication_free(p);
	return s;
}

static dk_retention_report
sweep(struct fx *f, bool dry)
{
	dk_retention_options o = { .platform = "edge", .dry_run = dry, .actor = "t",
				   .delete_manifest = fake_delete, .payload = f };
	dk_retention_report r;

	assert_int_equal(dk_retention_sweep(f->s, &r, f->a->id, &o), 0);
	return r;
}

static void
keeps_n_with_the_default_counted(void **state)
{
	struct fx *f = *state;
	dk_retention_report r = sweep(f, false);

	/* keep 2: the default (3) and the newest other (2); 0 and 1 retire */
	assert_int_equal(r.retired, 2);
	assert_int_equal(status_of(f, 0), DK_PUB_RETIRED);
	assert_int_equal(status_of(f, 1), DK_PUB_RETIRED);
	assert_int_equal(status_of(f, 2), DK_PUB_PUBLISHED);
	assert_int_equal(status_of(f, 3), DK_PUB_PUBLISHED);
	dk_retention_report_clear(&r);
	/* A second sweep changes nothing and says nothing. */
	r = sweep(f, false);
	assert_int_equal(r.retired + r.purged + r.errors, 0);
	dk_retention_report_clear(&r);
	{
		dk_event_list *ev;
		dk_event_filter ef = { .kind_prefix = "system.disk_image_retention_swept" };

		assert_int_equal(dk_store_event_list(f->s, &ev, &ef), 0);
		assert_int_equal(ev->count, 1);
		assert_non_null(strstr(ev->items[0].payload, "\"retired_count\":2"));
		dk_event_list_free(ev);
	}
}

static void
default_survives_when_old(void **state)
{
	struct fx *f = *state;
	dk_promote_request req = { .action = DK_PROMOTE_ROLLBACK, .platform = "edge", .target = f->ids[0],
				   .actor = "t" };
	dk_promote_plan plan;
	dk_retention_report r;

	/* Roll back to the oldest: it is the default now and must neither retire nor purge. */
	assert_int_equal(dk_promote(f->s, &plan, f->a->id, &req), 0);
	dk_promote_plan_clear(&plan);
	r = sweep(f, false);
	assert_int_equal(status_of(f, 0), DK_PUB_PUBLISHED);
	/* kept: the default (0) and the newest other published (2); 1 and the old default 3 retire */
	assert_int_equal(status_of(f, 2), DK_PUB_PUBLISHED);
	assert_int_equal(status_of(f, 1), DK_PUB_RETIRED);
	assert_int_equal(status_of(f, 3), DK_PUB_RETIRED);
	dk_retention_report_clear(&r);
	dk_clock_advance(30 * DAY);
	r = sweep(f, false);
	assert_int_equal(status_of(f, 0), DK_PUB_PUBLISHED);
	assert_int_equal(status_of(f, 1), DK_PUB_PURGED);
	assert_int_equal(f->ndeleted, 2);
	dk_retention_report_clear(&r);
}

/*
 * A count below 1 (a row written before the 1..50 check, or by hand) keeps one image: with
 * no default to count, the newest published row stays instead of everything retiring.
 */
static void
count_below_one_keeps_one(void **state)
{
	struct fx *f = *state;
	dk_retention_report r;

	assert_int_equal(su_sql_exec(f->path, "PRAGMA ignore_check_constraints = ON;"
				     " UPDATE node_platform SET disk_image_retention_count = 0,"
				     " default_publication_id = NULL, disk_image_oci_ref = NULL"), 0);
	assert_int_equal(su_sql_int(f->path, "SELECT disk_image_retention_count FROM node_platform"), 0);
	r = sweep(f, false);
	assert_int_equal(r.retired, 3);
	assert_int_equal(status_of(f, 3), DK_PUB_PUBLISHED);
	assert_int_equal(status_of(f, 2), DK_PUB_RETIRED);
	assert_int_equal(status_of(f, 0), DK_PUB_RETIRED);
	dk_retention_report_clear(&r);
}

static void
grace_boundary(void **state)
{
	struct fx *f = *state;
	dk_retention_report r = sweep(f, false);

	dk_retention_report_clear(&r);
	dk_clock_advance(6 * DAY);
	r = sweep(f, false);
	assert_int_equal(r.purged, 0);
	assert_int_equal(status_of(f, 0), DK_PUB_RETIRED);
	dk_retention_report_clear(&r);
	dk_clock_advance(2 * DAY);
	r = sweep(f, false);
	assert_int_equal(r.purged, 2);
	assert_int_equal(r.deleted, 2);
	assert_int_equal(status_of(f, 0), DK_PUB_PURGED);
	assert_int_equal(status_of(f, 1), DK_PUB_PURGED);
	assert_int_equal(f->ndeleted, 2);
	/* newest retired first; both old manifests are gone, the kept ones untouched */
	assert_string_equal(f->deleted[0], "sha256:0000000000000000000000000000000000000000000000000000000000000002");
	assert_string_equal(f->deleted[1], "sha256:0000000000000000000000000000000000000000000000000000000000000001");
	dk_retention_report_clear(&r);
}

static void
registry_failure_leaves_that_row_retired(void **state)
{
	struct fx *f = *state;
	dk_retention_report r = sweep(f, false);

	dk_retention_report_clear(&r);
	dk_clock_advance(8 * DAY);
	f->fail_digest = "sha256:0000000000000000000000000000000000000000000000000000000000000002";
	r = sweep(f, false);
	assert_int_equal(r.purged, 1);
	assert_int_equal(r.errors, 1);
	assert_int_equal(status_of(f, 0), DK_PUB_PURGED);
	assert_int_equal(status_of(f, 1), DK_PUB_RETIRED);
	for (size_t i = 0; i < r.count; i++) {
		if (r.items[i].action == DK_RETAIN_ERROR)
			assert_non_null(strstr(r.items[i].error, "503 Service Unavailable"));
	}
	dk_retention_report_clear(&r);
	/* The registry is back: the next sweep finishes the job. */
	f->fail_digest = NULL;
	r = sweep(f, false);
	assert_int_equal(r.purged, 1);
	assert_int_equal(status_of(f, 1), DK_PUB_PURGED);
	dk_retention_report_clear(&r);
}

static void
shared_digest_is_never_deleted(void **state)
{
	struct fx *f = *state;
	dk_platform_spec spec = { .set = DK_PLATFORM_NAME | DK_PLATFORM_ARCH, .name = "twin", .arch = "amd64" };
	dk_platform *twin;
	dk_retention_report r;

	/* Another platform boots the same image as edge's oldest row. */
	assert_int_equal(dk_platform_create(f->s, &twin, f->a->id, &spec, "t"), 0);
	add(f, twin, 1);
	assert_int_equal(dk_store_platform_set_default(f->s, f->a->id, twin->id, f->ids[4], "r@d"), 0);
	r = sweep(f, false);
	dk_retention_report_clear(&r);
	dk_clock_advance(8 * DAY);
	r = sweep(f, false);
	assert_int_equal(status_of(f, 0), DK_PUB_PURGED);
	assert_int_equal(status_of(f, 1), DK_PUB_PURGED);
	assert_int_equal(f->ndeleted, 1);       /* only digest 2 */
	assert_string_equal(f->deleted[0], "sha256:0000000000000000000000000000000000000000000000000000000000000002");
	for (size_t i = 0; i < r.count; i++) {
		if (strcmp(r.items[i].publication_id, f->ids[0]) == 0)
			assert_int_equal(r.items[i].action, DK_RETAIN_PURGE_SHARED);
	}
	dk_retention_report_clear(&r);
	dk_platform_free(twin);
}

static void
dry_run_writes_nothing(void **state)
{
	struct fx *f = *state;
	dk_retention_report r = sweep(f, true);
	dk_event_list *ev;
	dk_event_filter ef = { .kind_prefix = "system.disk_image_retention" };

	assert_int_equal(r.retired, 2);
	assert_int_equal(status_of(f, 0), DK_PUB_PUBLISHED);
	assert_int_equal(status_of(f, 1), DK_PUB_PUBLISHED);
	dk_retention_report_clear(&r);
	assert_int_equal(dk_store_event_list(f->s, &ev, &ef), 0);
	assert_int_equal(ev->count, 0);
	dk_event_list_free(ev);
	r = sweep(f, false);
	dk_retention_report_clear(&r);
	dk_clock_advance(8 * DAY);
	r = sweep(f, true);
	assert_int_equal(r.purged, 2);
	assert_int_equal(f->ndeleted, 0);
	assert_int_equal(status_of(f, 0), DK_PUB_RETIRED);
	dk_retention_report_clear(&r);
}

static void
prune_waits_for_approval(void **state)
{
	struct fx *f = *state;
	dk_retention_report r = sweep(f, false);
	dk_approval_list *l;

	dk_retention_report_clear(&r);
	assert_int_equal(dk_policy_set(f->s, f->a->id, DK_POLICY_RETENTION_PRUNE, DK_MODE_REQUIRE_APPROVAL, "admin"), 0);
	dk_clock_advance(8 * DAY);
	r = sweep(f, false);
	assert_int_equal(r.pending, 2);
	assert_int_equal(r.purged, 0);
	dk_retention_report_clear(&r);
	/* A second sweep does not park a second approval for the same row. */
	r = sweep(f, false);
	dk_retention_report_clear(&r);
	assert_int_equal(dk_approval_list_load(f->s, &l, f->a->id, false), 0);
	assert_int_equal(l->count, 2);
	assert_int_equal(dk_approval_approve(f->s, f->a->id, l->items[0].id, "bob"), 0);
	dk_approval_list_free(l);
	r = sweep(f, false);
	assert_int_equal(r.purged, 1);
	assert_int_equal(r.pending, 1);
	dk_retention_report_clear(&r);
}

static void
retention_set_is_validated(void **state)
{
	struct fx *f = *state;
	dk_platform *p;

	assert_int_equal(dk_retention_set(f->s, f->a->id, "edge", 0, "t", DK_ACTOR_OPERATOR), DK_EINVALID);
	assert_int_equal(dk_retention_set(f->s, f->a->id, "edge", 51, "t", DK_ACTOR_OPERATOR), DK_EINVALID);
	assert_int_equal(dk_retention_set(f->s, f->a->id, "edge", 5, "t", DK_ACTOR_OPERATOR), 0);
	assert_int_equal(dk_store_platform_find(f->s, &p, f->a->id, "edge"), 0);
	assert_int_equal(p->retention_count, 5);
	dk_platform_free(p);
	assert_int_equal(dk_policy_set(f->s, f->a->id, DK_POLICY_RETENTION_UPDATE, DK_MODE_REQUIRE_APPROVAL, "admin"), 0);
	assert_int_equal(dk_retention_set(f->s, f->a->id, "edge", 1, "alice", DK_ACTOR_OPERATOR), DK_EPENDING);
	{
		dk_approval_list *l;

		assert_int_equal(dk_approval_list_load(f->s, &l, f->a->id, false), 0);
		assert_int_equal(dk_approval_approve(f->s, f->a->id, l->items[0].id, "bob"), 0);
		dk_approval_list_free(l);
	}
	assert_int_equal(dk_store_platform_find(f->s, &p, f->a->id, "edge"), 0);
	assert_int_equal(p->retention_count, 1);
	dk_platform_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(keeps_n_with_the_default_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(default_survives_when_old, setup, teardown),
		cmocka_unit_test_setup_teardown(count_below_one_keeps_one, setup, teardown),
		cmocka_unit_test_setup_teardown(grace_boundary, setup, teardown),
		cmocka_unit_test_setup_teardown(registry_failure_leaves_that_row_retired, setup, teardown),
		cmocka_unit_test_setup_teardown(shared_digest_is_never_deleted, setup, teardown),
		cmocka_unit_test_setup_teardown(dry_run_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(prune_waits_for_approval, setup, teardown),
		cmocka_unit_test_setup_teardown(retention_set_is_validated, setup, teardown),
	};
	return cmocka_run_group_tests_name("retention", tests, NULL, NULL);
}

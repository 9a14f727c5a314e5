/* Rollback/promote, policies and approvals over a real store. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "diskops/account.h"
#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/platform.h"
#include "diskops/policy.h"
#include "diskops/promote.h"

#define T0 1800000000

struct fx {
	char *dir;
	char *path;
	dk_store *s;
	dk_account *acct;
	dk_platform *plat;
	char ids[6][40];        /* 0..3 published in order, 3 is the default */
};

static char *
insert(struct fx *f, const char *platform_id, int n, dk_pub_status status, bool verified)
{
	dk_publication row = { 0 }, *out;
	char sha[41], digest[80];
	char *id;

	snprintf(sha, sizeof(sha), "%040x", 0xa000 + n);
	snprintf(digest, sizeof(digest), "sha256:%064x", 0xd000 + n);
	row.account_id = f->acct->id;
	row.node_platform_id = (char *)platform_id;
	row.git_sha = sha;
	row.arch = "amd64";
	row.oci_ref = "registry.local:5000/images/edge:build";
	row.oci_digest = digest;
	row.size_bytes = 1000;
	row.status = status;
	row.cosign_verified = verified;
	row.signature_kind = verified ? "key" : "none";
	row.created_at = T0 + n * 60;
	if (status == DK_PUB_PUBLISHED || status == DK_PUB_RETIRED || status == DK_PUB_PURGED)
		row.published_at = T0 + n * 60 + 10;
	assert_int_equal(dk_store_publication_insert(f->s, &out, &row), 0);
	id = strdup(out->id);
	dk_publication_free(out);
	return id;
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	dk_platform_spec spec = { .set = DK_PLATFORM_NAME | DK_PLATFORM_ARCH, .name = "edge", .arch = "amd64" };

	dk_clock_set(T0 + 3600);
	f->dir = tu_mkdtemp();
	f->path = tu_path(f->dir, "diskops.db");
	assert_int_equal(dk_store_open(&f->s, f->path, NULL), 0);
	assert_int_equal(dk_account_create(f->s, &f->acct, "default", "t"), 0);
	assert_int_equal(dk_platform_create(f->s, &f->plat, f->acct->id, &spec, "t"), 0);
	for (int i = 0; i < 4; i++) {
		char *id = insert(f, f->plat->id, i, i < 3 ? DK_PUB_RETIRED : DK_PUB_PUBLISHED, true);

		snprintf(f->ids[i], 40, "%s", id);
		free(id);
	}
	assert_int_equal(dk_store_platform_set_default(f->s, f->acct->id, f->plat->id, f->ids[3],
						       "registry.local:5000/images/edge@sha256:x"), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	dk_platform_free(f->plat);
	dk_account_free(f->acct);
	dk_store_free(f->s);
	tu_rmrf(f->dir);
	free(f->dir);
	free(f->path);
	free(f);
	dk_clock_set(0);
	return 0;
}

static dk_publication *
pub(struct fx *f, const char *id)
{
	dk_publication *p;

	assert_int_equal(dk_store_publication_get(f->s, &p, f->acct->id, id), 0);
	return p;
}

static char *
default_of(struct fx *f)
{
	dk_platform *p;
	char *id;

	assert_int_equal(dk_store_platform_find(f->s, &p, f->acct->id, "edge"), 0);
	id = p->default_publication_id ? strdup(p->default_publication_id) : NULL;
	dk_platform_free(p);
	return id;
}

static void
rollback_to_retired_reactivates_it(void **state)
{
	struct fx *f = *state;
	dk_promote_request req = { .action = DK_PROMOTE_ROLLBACK, .platform = "edge", .target = f->ids[1],
				   .reason = "bad kernel", .actor = "alice@10.0.0.5" };
	dk_promote_plan plan;
	dk_publication *p;
	dk_platform *plat;
	dk_event_list *ev;
	dk_event_filter ef = { .kind_prefix = "system.disk_image_rolled_back", .limit = 5 };
	json_t *payload;
	char *d;

	assert_int_equal(dk_promote(f->s, &plan, f->acct->id, &req), 0);
	assert_true(plan.reactivate);
	assert_string_equal(plan.previous_id, f->ids[3]);
	dk_promote_plan_clear(&plan);
	d = default_of(f);
	assert_string_equal(d, f->ids[1]);
	free(d);
	p = pub(f, f->ids[1]);
	assert_int_equal(p->status, DK_PUB_PUBLISHED);
	assert_true(p->is_default);
	assert_int_equal(p->retired_at, 0);
	dk_publication_free(p);
	p = pub(f, f->ids[3]);
	assert_int_equal(p->status, DK_PUB_RETIRED);
	assert_int_equal(p->retired_at, T0 + 3600);
	dk_publication_free(p);
	assert_int_equal(dk_store_platform_find(f->s, &plat, f->acct->id, "edge"), 0);
	assert_string_equal(plat->disk_image_oci_ref,
			    "registry.local:5000/images/edge@sha256:000000000000000000000000000000000000000000000000000000000000d001");
	assert_string_equal(plat->publication_status, "published");
	dk_platform_free(plat);

	assert_int_equal(dk_store_event_list(f->s, &ev, &ef), 0);
	assert_int_equal(ev->count, 1);
	payload = json_loads(ev->items[0].payload, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(payload, "actor")), "alice@10.0.0.5");
	assert_string_equal(json_string_value(json_object_get(payload, "reason")), "bad kernel");
	assert_string_equal(json_string_value(json_object_get(payload, "activated_publication_id")), f->ids[1]);
	assert_string_equal(json_string_value(json_object_get(payload, "previous_publication_id")), f->ids[3]);
	json_decref(payload);
	dk_event_list_free(ev);
}

static void
revert_picks_newest_retired_then_newest_other_published(void **state)
{
	struct fx *f = *state;
	dk_promote_request req = { .action = DK_PROMOTE_ROLLBACK, .platform = "edge", .actor = "bob" };
	dk_promote_plan plan;
	char *d;

	assert_int_equal(dk_promote_plan_make(f->s, &plan, f->acct->id, &req), 0);
	assert_string_equal(plan.target_id, f->ids[2]);
	dk_promote_plan_clear(&plan);
	/* Purge the retired ones: the choice falls to the newest other published row. */
	for (int i = 0; i < 3; i++)
		assert_int_equal(dk_store_publication_transition(f->s, f->acct->id, f->ids[i], DK_PUB_PURGED, NULL), 0);
	{
		char *extra = insert(f, f->plat->id, 9, DK_PUB_PUBLISHED, true);

		assert_int_equal(dk_promote(f->s, &plan, f->acct->id, &req), 0);
		assert_string_equal(plan.target_id, extra);
		dk_promote_plan_clear(&plan);
		d = default_of(f);
		assert_string_equal(d, extra);
		free(d);
		free(extra);
	}
	/* Now only the retired former default is left to go back to. */
	assert_int_equal(dk_promote_plan_make(f->s, &plan, f->acct->id, &req), 0);
	assert_string_equal(plan.target_id, f->ids[3]);
	dk_promote_plan_clear(&plan);
}

static void
no_target_left_is_not_found(void **state)
{
	struct fx *f = *state;
	dk_promote_request req = { .action = DK_PROMOTE_ROLLBACK, .platform = "edge", .actor = "bob" };
	dk_promote_plan plan;

	for (int i = 0; i < 3; i++)
		assert_int_equal(dk_store_publication_transition(f->s, f->acct->id, f->ids[i], DK_PUB_PURGED, NULL), 0);
	assert_int_equal(dk_promote_plan_make(f->s, &plan, f->acct->id, &req), DK_ENOTFOUND);
	assert_non_null(strstr(dk_error_last()->message, "No prior publication to roll back to on platform edge"));
}

static void
refusals_change_nothing(void **state)
{
	struct fx *f = *state;
	dk_platform_spec other = { .set = DK_PLATFORM_NAME | DK_PLATFORM_ARCH, .name = "core", .arch = "amd64" };
	dk_platform *core;
	char *purged, *failed, *queued, *verifying, *unverified, *foreign, *never, *d;
	struct rcase { const char *target; int code; const char *msg; } cases[8];
	int n = 0;

	assert_int_equal(dk_platform_create(f->s, &core, f->acct->id, &other, "t"), 0);
	purged = insert(f, f->plat->id, 10, DK_PUB_PURGED, true);
	failed = insert(f, f->plat->id, 11, DK_PUB_FAILED, false);
	queued = insert(f, f->plat->id, 12, DK_PUB_QUEUED, false);
	verifying = insert(f, f->plat->id, 13, DK_PUB_VERIFYING, false);
	unverified = insert(f, f->plat->id, 14, DK_PUB_RETIRED, false);
	foreign = insert(f, core->id, 15, DK_PUB_RETIRED, true);
	{
		/* retired by stuck cleanup without ever being published */
		dk_publication row = { 0 }, *out;

		row.account_id = f->acct->id;
		row.node_platform_id = f->plat->id;
		row.git_sha = "stuck0000";
		row.arch = "amd64";
		row.status = DK_PUB_RETIRED;
		row.cosign_verified = true;
		assert_int_equal(dk_store_publication_insert(f->s, &out, &row), 0);
		never = strdup(out->id);
		dk_publication_free(out);
	}
	cases[n++] = (struct rcase){ purged, DK_ESTATE, "Cannot roll back to a purged publication" };
	cases[n++] = (struct rcase){ failed, DK_ESTATE, "status=failed (must be published or retired)" };
	cases[n++] = (struct rcase){ queued, DK_ESTATE, "status=queued" };
	cases[n++] = (struct rcase){ verifying, DK_ESTATE, "status=verifying" };
	cases[n++] = (struct rcase){ unverified, DK_EVERIFY, "signature was never verified" };
	cases[n++] = (struct rcase){ foreign, DK_ENOTFOUND, "not found for platform edge (it belongs to core)" };
	cases[n++] = (struct rcase){ never, DK_ESTATE, "never published" };
	cases[n++] = (struct rcase){ f->ids[3], DK_ECONFLICT, "is already the default of platform edge" };
	for (int i = 0; i < n; i++) {
		dk_promote_request req = { .action = DK_PROMOTE_ROLLBACK, .platform = "edge",
					   .target = cases[i].target, .actor = "bob" };
		dk_promote_plan plan;
		int rc = dk_promote(f->s, &plan, f->acct->id, &req);

		if (rc != cases[i].code || !strstr(dk_error_last()->message, cases[i].msg))
			fail_msg("case %d: %d %s", i, rc, dk_error_last()->message);
		dk_promote_plan_clear(&plan);
	}
	d = default_of(f);
	assert_string_equal(d, f->ids[3]);
	free(d);
	{
		dk_event_list *ev;
		dk_event_filter ef = { .kind_prefix = "system.disk_image_rolled_back" };

		assert_int_equal(dk_store_event_list(f->s, &ev, &ef), 0);
		assert_int_equal(ev->count, 0);
		dk_event_list_free(ev);
	}
	free(purged); free(failed); free(queued); free(verifying); free(unverified);
	free(foreign); free(never);
	dk_platform_free(core);
}

static void
stale_view_is_a_conflict(void **state)
{
	struct fx *f = *state;
	dk_promote_request a = { .action = DK_PROMOTE_ROLLBACK, .platform = "edge", .target = f->ids[1],
				 .actor = "alice" };
	dk_promote_request b = { .action = DK_PROMOTE_ROLLBACK, .platform = "edge", .target = f->ids[2],
				 .actor = "bob" };
	dk_promote_plan pa, pb;
	char *d;

	/* Both looked at the same screen: default ids[3]. */
	a.expected_default = f->ids[3];
	b.expected_default = f->ids[3];
	assert_int_equal(dk_promote(f->s, &pa, f->acct->id, &a), 0);
	assert_int_equal(dk_promote(f->s, &pb, f->acct->id, &b), DK_ECONFLICT);
	assert_non_null(strstr(dk_error_last()->message, "changed while you decided"));
	d = default_of(f);
	assert_string_equal(d, f->ids[1]);
	free(d);
	dk_promote_plan_clear(&pa);
	dk_promote_plan_clear(&pb);
}

struct racer {
	const char *path;
	const char *account;
	const char *target;
	const char *expected;
	pthread_barrier_t *go;
	int rc;
};

static void *
race(void *arg)
{
	struct racer *r = arg;
	dk_store_options o = DK_STORE_OPTIONS_INIT;
	dk_promote_request req = { .action = DK_PROMOTE_ROLLBACK, .platform = "edge", .actor = "racer" };
	dk_promote_plan plan;
	dk_store *s;

	o.busy_timeout_ms = 10000;
	if (dk_store_open(&s, r->path, &o) < 0) {
		r->rc = -100;
		return NULL;
	}
	req.target = r->target;
	req.expected_default = r->expected;
	pthread_barrier_wait(r->go);
	r->rc = dk_promote(s, &plan, r->account, &req);
	dk_promote_plan_clear(&plan);
	dk_store_free(s);
	return NULL;
}

static void
concurrent_rollbacks_one_wins(void **state)
{
	struct fx *f = *state;
	pthread_barrier_t go;
	pthread_t t[2];
	struct racer r[2] = {
		{ f->path, f->acct->id, f->ids[1], f->ids[3], &go, 0 },
		{ f->path, f->acct->id, f->ids[2], f->ids[3], &go, 0 },
	};
	char *d;

	pthread_barrier_init(&go, NULL, 2);
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, race, &r[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&go);
	assert_true((r[0].rc == 0 && r[1].rc == DK_ECONFLICT) || (r[0].rc == DK_ECONFLICT && r[1].rc == 0));
	d = default_of(f);
	assert_string_equal(d, r[0].rc == 0 ? f->ids[1] : f->ids[2]);
	free(d);
}

static void
four_eyes_approval(void **state)
{
	struct fx *f = *state;
	dk_promote_request req = { .action = DK_PROMOTE_ROLLBACK, .platform = "edge", .target = f->ids[0],
				   .actor = "alice@10.0.0.5", .reason = "regression" };
	dk_promote_plan plan;
	dk_approval_list *l;
	char *d, *approval;

	assert_int_equal(dk_policy_set(f->s, f->acct->id, DK_POLICY_ROLLBACK, DK_MODE_REQUIRE_APPROVAL, "admin"), 0);
	assert_int_equal(dk_promote(f->s, &plan, f->acct->id, &req), DK_EPENDING);
	assert_non_null(plan.approval_id);
	approval = strdup(plan.approval_id);
	dk_promote_plan_clear(&plan);
	d = default_of(f);
	assert_string_equal(d, f->ids[3]);
	free(d);
	assert_int_equal(dk_approval_list_load(f->s, &l, f->acct->id, false), 0);
	assert_int_equal(l->count, 1);
	assert_string_equal(l->items[0].state, "pending");
	assert_string_equal(l->items[0].requested_by, "alice@10.0.0.5");
	dk_approval_list_free(l);

	/* The same person from another address is still the same person. */
	assert_int_equal(dk_approval_approve(f->s, f->acct->id, approval, "alice@192.168.1.9"), DK_EAUTH);
	assert_non_null(strstr(dk_error_last()->message, "a second person must approve it"));
	assert_int_equal(dk_approval_approve(f->s, f->acct->id, approval, "bob"), 0);
	d = default_of(f);
	assert_string_equal(d, f->ids[0]);
	free(d);
	assert_int_equal(dk_approval_approve(f->s, f->acct->id, approval, "carol"), DK_ESTATE);
	{
		dk_approval *a;

		assert_int_equal(dk_approval_get(f->s, &a, f->acct->id, approval), 0);
		assert_string_equal(a->state, "approved");
		assert_string_equal(a->decided_by, "bob");
		dk_approval_free(a);
	}
	free(approval);
}

static void
approval_of_a_stale_action_stays_pending(void **state)
{
	struct fx *f = *state;
	dk_promote_request req = { .action = DK_PROMOTE_ROLLBACK, .platform = "edge", .target = f->ids[0],
				   .actor = "alice" };
	dk_promote_request direct = { .action = DK_PROMOTE_ROLLBACK, .platform = "edge", .target = f->ids[1],
				      .actor = "admin", .actor_kind = DK_ACTOR_OPERATOR };
	dk_promote_plan plan;
	dk_approval *a;
	char *approval;

	assert_int_equal(dk_policy_set(f->s, f->acct->id, DK_POLICY_ROLLBACK, DK_MODE_REQUIRE_APPROVAL, "admin"), 0);
	assert_int_equal(dk_promote(f->s, &plan, f->acct->id, &req), DK_EPENDING);
	approval = strdup(plan.approval_id);
	dk_promote_plan_clear(&plan);
	/* Meanwhile the default moves another way (an approved earlier request, say). */
	assert_int_equal(dk_policy_set(f->s, f->acct->id, DK_POLICY_ROLLBACK, DK_MODE_AUTO_APPROVE, "admin"), 0);
	assert_int_equal(dk_promote(f->s, &plan, f->acct->id, &direct), 0);
	dk_promote_plan_clear(&plan);
	assert_int_equal(dk_approval_approve(f->s, f->acct->id, approval, "bob"), DK_ECONFLICT);
	assert_int_equal(dk_approval_get(f->s, &a, f->acct->id, approval), 0);
	assert_string_equal(a->state, "pending");
	dk_approval_free(a);
	assert_int_equal(dk_approval_reject(f->s, f->acct->id, approval, "alice", "overtaken"), 0);
	free(approval);
}

static void
approvals_expire_after_twelve_hours(void **state)
{
	struct fx *f = *state;
	dk_promote_request req = { .action = DK_PROMOTE_PROMOTE, .target = f->ids[2], .actor = "agent",
				   .actor_kind = DK_ACTOR_AGENT };
	dk_promote_plan plan;
	dk_approval_list *l;
	char *approval;

	/* No policy row: the agent's default asks first, an operator's does not. */
	assert_int_equal(dk_promote(f->s, &plan, f->acct->id, &req), DK_EPENDING);
	approval = strdup(plan.approval_id);
	dk_promote_plan_clear(&plan);
	dk_clock_advance(DK_APPROVAL_TTL_SECONDS - 1);
	assert_int_equal(dk_approval_list_load(f->s, &l, f->acct->id, false), 0);
	assert_int_equal(l->count, 1);
	dk_approval_list_free(l);
	dk_clock_advance(1);
	assert_int_equal(dk_approval_list_load(f->s, &l, f->acct->id, false), 0);
	assert_int_equal(l->count, 0);
	dk_approval_list_free(l);
	assert_int_equal(dk_approval_approve(f->s, f->acct->id, approval, "bob"), DK_ESTATE);
	assert_non_null(strstr(dk_error_last()->message, "is expired, not pending"));
	/* The expiry is a decision too: one event naming the approval. */
	{
		dk_event_list *ev;
		dk_event_filter ef = { .account_id = f->acct->id, .kind_prefix = "system.approval_expired" };

		assert_int_equal(dk_store_event_list(f->s, &ev, &ef), 0);
		assert_int_equal(ev->count, 1);
		assert_non_null(strstr(ev->items[0].payload, approval));
		assert_non_null(strstr(ev->items[0].payload, "\"category\":\"promote\""));
		dk_event_list_free(ev);
	}
	free(approval);
}

static void
blocked_policy_refuses(void **state)
{
	struct fx *f = *state;
	dk_promote_request req = { .action = DK_PROMOTE_PROMOTE, .target = f->ids[2], .actor = "alice" };
	dk_promote_plan plan;
	dk_policy_mode m;
	bool dflt;
	char *d;

	assert_int_equal(dk_policy_mode_for(f->s, &m, &dflt, f->acct->id, DK_POLICY_PROMOTE, DK_ACTOR_OPERATOR), 0);
	assert_int_equal(m, DK_MODE_NOTIFY_AND_PROCEED);
	assert_true(dflt);
	assert_int_equal(dk_policy_set(f->s, f->acct->id, DK_POLICY_PROMOTE, DK_MODE_BLOCK, "admin"), 0);
	assert_int_equal(dk_promote(f->s, &plan, f->acct->id, &req), DK_EAUTH);
	assert_non_null(strstr(dk_error_last()->message, "Action blocked by policy"));
	dk_promote_plan_clear(&plan);
	d = default_of(f);
	assert_string_equal(d, f->ids[3]);
	free(d);
}

static void
pinned_references(void **state)
{
	char *p;

	(void)state;
	p = dk_pin_reference("registry.local:5000/images/edge:v1", "sha256:ab");
	assert_string_equal(p, "registry.local:5000/images/edge@sha256:ab");
	free(p);
	p = dk_pin_reference("registry.local:5000/images/edge", "sha256:ab");
	assert_string_equal(p, "registry.local:5000/images/edge@sha256:ab");
	free(p);
	p = dk_pin_reference("host/x@sha256:old", "sha256:new");
	assert_string_equal(p, "host/x@sha256:new");
	free(p);
	assert_null(dk_pin_reference(NULL, "sha256:ab"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(rollback_to_retired_reactivates_it, setup, teardown),
		cmocka_unit_test_setup_teardown(revert_picks_newest_retired_then_newest_other_published, setup, teardown),
		cmocka_unit_test_setup_teardown(no_target_left_is_not_found, setup, teardown),
		cmocka_unit_test_setup_teardown(refusals_change_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(stale_view_is_a_conflict, setup, teardown),
		cmocka_unit_test_setup_teardown(concurrent_rollbacks_one_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(four_eyes_approval, setup, teardown),
		cmocka_unit_test_setup_teardown(approval_of_a_stale_action_stays_pending, setup, teardown),
		cmocka_unit_test_setup_teardown(approvals_expire_after_twelve_hours, setup, teardown),
		cmocka_unit_test_setup_teardown(blocked_policy_refuses, setup, teardown),
		cmocka_unit_test(pinned_references),
	};
	return cmocka_run_group_tests_name("promote", tests, NULL, NULL);
}

/* rollback / promote / approvals / policy through the built binary. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cliutil.h"
#include "storeutil.h"
#include "diskops/store.h"

#define RUN(e, r, ...) cli_run((e), (r), __VA_ARGS__, NULL)
#define JSON(e, ...) cli_json((e), __VA_ARGS__, NULL)

struct fx {
	cli_env *e;
	char ids[3][40];        /* 0 retired, 1 retired, 2 published default */
};

static void
assert_contains(const char *haystack, const char *needle)
{
	if (!strstr(haystack, needle))
		fail_msg("expected to find \"%s\" in:\n%s", needle, haystack);
}

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char *path;
	tu_run_result r;
	dk_store *s;
	dk_account *a;
	dk_platform *p;

	f->e = cli_env_new();
	f->e->extra_env[0] = "USER=alice";
	f->e->extra_env[1] = "SSH_CONNECTION=";
	assert_int_equal(RUN(f->e, &r, "init"), 0);
	tu_run_result_free(&r);
	assert_int_equal(RUN(f->e, &r, "platform", "create", "edge", "--arch", "arm64"), 0);
	tu_run_result_free(&r);
	path = tu_path(f->e->state_dir, "diskops.db");
	assert_int_equal(dk_store_open(&s, path, NULL), 0);
	assert_int_equal(dk_store_account_find(s, &a, "default"), 0);
	assert_int_equal(dk_store_platform_find(s, &p, a->id, "edge"), 0);
	for (int i = 0; i < 3; i++) {
		dk_publication row = { 0 }, *out;
		char sha[41], digest[72];

		snprintf(sha, sizeof(sha), "%040d", 7000 + i);
		snprintf(digest, sizeof(digest), "sha256:%064d", i + 1);
		row.account_id = a->id;
		row.node_platform_id = p->id;
		row.git_sha = sha;
		row.arch = "arm64";
		row.oci_ref = "127.0.0.1:5000/edge:latest";
		row.oci_digest = digest;
		row.status = i < 2 ? DK_PUB_RETIRED : DK_PUB_PUBLISHED;
		row.cosign_verified = true;
		row.signature_kind = "key";
		row.created_at = 1790000000 + i * 100;
		row.published_at = row.created_at + 10;
		assert_int_equal(dk_store_publication_insert(s, &out, &row), 0);
		snprintf(f->ids[i], 40, "%s", out->id);
		dk_publication_free(out);
	}
	assert_int_equal(dk_store_platform_set_default(s, a->id, p->id, f->ids[2], "x@sha256:3"), 0);
	dk_platform_free(p);
	dk_account_free(a);
	dk_store_free(s);
	free(path);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	cli_env_free(f->e);
	free(f);
	return 0;
}

static const char *
default_id(struct fx *f, char *buf)
{
	json_t *j = JSON(f->e, "platform", "show", "edge", "--json");

	snprintf(buf, 40, "%s", json_string_value(json_object_get(j, "default_publication_id")));
	json_decref(j);
	return buf;
}

static void
scripts_must_say_yes(void **state)
{
	struct fx *f = *state;
	tu_run_result r;
	char d[40];

	assert_int_equal(RUN(f->e, &r, "rollback", "--platform", "edge"), 2);
	assert_contains(r.err, "no terminal to ask on; add --yes to confirm");
	tu_run_result_free(&r);
	assert_string_equal(default_id(f, d), f->ids[2]);
}

static void
rollback_with_yes_moves_the_default(void **state)
{
	struct fx *f = *state;
	tu_run_result r;
	json_t *j, *ev;
	char d[40];

	RUN(f->e, &r, "rollback", "--platform", "edge", "--reason", "kernel panic", "--yes");
	if (r.status) fprintf(stderr, "%s", r.err);
	assert_int_equal(r.status, 0);
	assert_contains(r.out, "edge now boots 000000000000");
	assert_contains(r.out, "the previous default is retired");
	tu_run_result_free(&r);
	/* The newest retired one was chosen. */
	assert_string_equal(default_id(f, d), f->ids[1]);
	j = JSON(f->e, "platform", "show", "edge", "--json");
	assert_string_equal(json_string_value(json_object_get(j, "disk_image_oci_ref")),
			    "127.0.0.1:5000/edge@sha256:0000000000000000000000000000000000000000000000000000000000000002");
	json_decref(j);
	j = JSON(f->e, "events", "--prefix", "system.disk_image_rolled_back", "--json");
	assert_int_equal(json_array_size(j), 1);
	ev = json_object_get(json_array_get(j, 0), "payload");
	assert_string_equal(json_string_value(json_object_get(ev, "actor")), "alice");
	assert_string_equal(json_string_value(json_object_get(ev, "reason")), "kernel panic");
	json_decref(j);
	/* Promote the old one back, by id prefix, as JSON. */
	{
		char prefix[9];

		snprintf(prefix, sizeof(prefix), "%.8s", f->ids[2]);
		j = JSON(f->e, "promote", prefix, "--yes", "--json");
		assert_string_equal(json_string_value(json_object_get(j, "status")), "done");
		assert_string_equal(json_string_value(json_object_get(j, "activated_publication_id")), f->ids[2]);
		json_decref(j);
	}
	assert_int_equal(RUN(f->e, &r, "promote", f->ids[2], "--yes"), 6);
	assert_contains(r.err, "is already the default of platform edge");
	tu_run_result_free(&r);
}

static void
approval_needs_a_second_person(void **state)
{
	struct fx *f = *state;
	tu_run_result r;
	json_t *j;
	char d[40], id[40];

	assert_int_equal(RUN(f->e, &r, "policy", "set", "rollback", "require_approval"), 0);
	tu_run_result_free(&r);
	j = JSON(f->e, "policy", "list", "--json");
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 1), "operator")), "require_approval");
	json_decref(j);
	assert_int_equal(RUN(f->e, &r, "rollback", "--platform", "edge", "--to", f->ids[0], "--yes"), 5);
	assert_contains(r.err, "approval required");
	tu_run_result_free(&r);
	assert_string_equal(default_id(f, d), f->ids[2]);
	j = JSON(f->e, "approvals", "list", "--json");
	assert_int_equal(json_array_size(j), 1);
	snprintf(id, sizeof(id), "%s", json_string_value(json_object_get(json_array_get(j, 0), "id")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_array_get(j, 0), "params"),
			    "target_publication_id")), f->ids[0]);
	json_decref(j);
	assert_int_equal(RUN(f->e, &r, "approvals", "approve", id), 1);
	assert_contains(r.err, "a second person must approve it");
	tu_run_result_free(&r);
	f->e->extra_env[0] = "USER=bob";
	assert_int_equal(RUN(f->e, &r, "approvals", "approve", id), 0);
	tu_run_result_free(&r);
	assert_string_equal(default_id(f, d), f->ids[0]);
	assert_int_equal(RUN(f->e, &r, "approvals", "reject", id), 2);
	assert_contains(r.err, "--reason is required");
	tu_run_result_free(&r);
	j = JSON(f->e, "approvals", "list", "--all", "--json");
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "state")), "approved");
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "decided_by")), "bob");
	json_decref(j);
	assert_int_equal(RUN(f->e, &r, "policy", "set", "rollback", "sometimes"), 2);
	assert_contains(r.err, "policy mode \"sometimes\" is not one of");
	tu_run_result_free(&r);
}

static void
alerts_check_for_cron(void **state)
{
	struct fx *f = *state;
	char *path = tu_path(f->e->state_dir, "diskops.db");
	tu_run_result r;
	json_t *j;
	char id[24];

	assert_int_equal(RUN(f->e, &r, "alerts", "--check"), 0);
	tu_run_result_free(&r);
	assert_int_equal(RUN(f->e, &r, "platform", "set", "edge", "--build-repo", "ops/edge"), 0);
	tu_run_result_free(&r);
	assert_int_equal(su_sql_exec(path, "INSERT INTO gitea_runner_cache (repo, runner_id, name,"
				     " online, fetched_at) VALUES ('ops/edge', 1, 'rpi-builder', 0, 0)"), 0);
	assert_int_equal(RUN(f->e, &r, "agent", "tick"), 0);
	assert_contains(r.out, "alerts: 1 opened");
	tu_run_result_free(&r);
	assert_int_equal(RUN(f->e, &r, "alerts", "--check"), 1);
	assert_contains(r.out, "runner rpi-builder (ops/edge) is offline");
	assert_contains(r.err, "1 open alert");
	tu_run_result_free(&r);
	j = JSON(f->e, "alerts", "list", "--json");
	assert_int_equal(json_array_size(j), 1);
	snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(json_array_get(j, 0), "id")));
	json_decref(j);
	assert_int_equal(RUN(f->e, &r, "alerts", "ack", id), 0);
	tu_run_result_free(&r);
	assert_int_equal(RUN(f->e, &r, "alerts", "--check"), 0);
	assert_contains(r.out, "acked");
	tu_run_result_free(&r);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(scripts_must_say_yes, setup, teardown),
		cmocka_unit_test_setup_teardown(rollback_with_yes_moves_the_default, setup, teardown),
		cmocka_unit_test_setup_teardown(approval_needs_a_second_person, setup, teardown),
		cmocka_unit_test_setup_teardown(alerts_check_for_cron, setup, teardown),
	};
	return cmocka_run_group_tests_name("cli_rollback", tests, NULL, NULL);
}

#include "serve_fixture.h"
#include "storeutil.h"
#include "diskops/serve_agent.h"

static int
setup(void **state)
{
	struct srv *s = calloc(1, sizeof(*s));
	const char *const extra[] = { "--no-ingest", NULL };

	srv_init(s);
	srv_start(s, extra);
	*state = s;
	return 0;
}

static int
teardown(void **state)
{
	struct srv *s = *state;

	srv_free(s);
	free(s);
	return 0;
}

static const char *token_viewer;

static char *
token(struct srv *s, const char *role)
{
	const char *args[] = { "token", "create", "--name", "t", "--role", role, NULL };
	char *out = cli(s, args, 0), *h;

	out[strcspn(out, "\n")] = '\0';
	if (asprintf(&h, "Authorization: Bearer %s", out) < 0)
		h = NULL;
	free(out);
	return h;
}

static long
call(struct srv *s, const char *method, const char *path, const char *header, const char *body,
     char **out)
{
	struct reply r;

	assert_int_equal(http(s, &r, method, path, header, body, body ? strlen(body) : 0), 0);
	if (out)
		*out = r.body;
	else
		free(r.body);
	return r.status;
}

static void
rest_roles_and_envelopes(void **state)
{
	struct srv *s = *state;
	char *viewer = token(s, "viewer"), *oper = token(s, "operator"), *body = NULL;
	struct reply r;

	assert_int_equal(call(s, "GET", "/api/v1/system/node_platforms", NULL, NULL, &body), 401);
	assert_non_null(strstr(body, "\"success\":false"));
	free(body);
	assert_int_equal(call(s, "GET", "/api/v1/system/node_platforms",
			      "Authorization: Bearer nope", NULL, NULL), 401);
	assert_int_equal(call(s, "GET", "/api/v1/system/node_platforms", viewer, NULL, &body), 200);
	assert_non_null(strstr(body, "\"success\":true"));
	assert_non_null(strstr(body, "\"name\":\"rpi\""));
	free(body);
	assert_int_equal(call(s, "GET", "/api/v1/system/node_platforms/rpi", viewer, NULL, NULL), 200);
	assert_int_equal(call(s, "GET", "/api/v1/system/node_platforms/00000000-0000-4000-8000-"
			      "000000000000", viewer, NULL, &body), 404);
	assert_non_null(strstr(body, "Node Platform not found"));
	free(body);
	assert_int_equal(call(s, "PATCH", "/api/v1/system/node_platforms/rpi", viewer,
			      "{\"node_platform\":{\"disk_image_retention_count\":5}}", &body), 403);
	assert_non_null(strstr(body, "Permission denied: system.platforms.manage_disk_image_policy"));
	free(body);
	assert_int_equal(call(s, "PATCH", "/api/v1/system/node_platforms/rpi", oper,
			      "{\"disk_image_retention_count\":5}", &body), 200);
	assert_non_null(strstr(body, "\"disk_image_retention_count\":5"));
	free(body);
	assert_int_equal(call(s, "PATCH", "/api/v1/system/node_platforms/rpi", oper,
			      "{\"disk_image_retention_count\":99}", NULL), 422);

	deliver(s, &r, "{\"platform_name\":\"rpi\",\"oci_ref\":\"reg/x:1\",\"git_sha\":\"r1\"}", NULL);
	assert_int_equal(r.status, 202);
	free(r.body);
	assert_int_equal(call(s, "GET", "/api/v1/system/disk_image_publications?status=queued",
			      viewer, NULL, &body), 200);
	assert_non_null(strstr(body, "\"git_sha\":\"r1\""));
	free(body);
	assert_int_equal(call(s, "GET", "/api/v1/system/node_platforms/rpi/disk_image_publications",
			      viewer, NULL, NULL), 200);
	assert_int_equal(call(s, "GET", "/api/v1/system/disk_image_webhooks", viewer, NULL, &body), 200);
	assert_null(strstr(body, "secret_enc"));
	assert_null(strstr(body, s->secret));
	free(body);
	assert_int_equal(call(s, "GET", "/api/v1/system/disk_image_webhooks/recent", viewer, NULL,
			      &body), 200);
	assert_non_null(strstr(body, "\"outcome\":\"queued\""));
	free(body);
	assert_int_equal(call(s, "GET", "/api/v1/system/events?kind_prefix=system.node_platform",
			      viewer, NULL, NULL), 200);
	free(viewer);
	free(oper);
}

static void
worker_api_messages(void **state)
{
	struct srv *s = *state;
	const char *create[] = { "worker", "create", "--name", "ci", "--json", NULL };
	const char *revoke[] = { "worker", "revoke", "ci", "--yes", NULL };
	char *out = cli(s, create, 0), *body = NULL, hdr[200], path[] =
		"/api/v1/system/worker_api/disk_image_publications/process";
	json_t *j = json_loads(out, 0, NULL);
	struct reply r;
	char req[200];
	json_t *pub;

	snprintf(hdr, sizeof(hdr), "X-Worker-Token: %s", member(j, "token_plaintext"));
	assert_int_equal(call(s, "POST", path, NULL, "{}", &body), 401);
	assert_non_null(strstr(body, "Worker token required"));
	free(body);
	assert_int_equal(call(s, "POST", path, "X-Worker-Token: swt_wrong", "{}", &body), 401);
	assert_non_null(strstr(body, "Invalid or inactive worker token"));
	free(body);
	assert_int_equal(call(s, "POST", path, hdr, "{\"publication_id\":\"nope\"}", &body), 404);
	assert_non_null(strstr(body, "DiskImagePublication not found"));
	free(body);

	deliver(s, &r, "{\"platform_name\":\"rpi\",\"oci_ref\":\"reg/x:1\",\"git_sha\":\"w1\"}", NULL);
	pub = json_loads(r.body, 0, NULL);
	free(r.body);
	snprintf(req, sizeof(req), "{\"publication_id\":\"%s\"}", member(pub, "publication_id"));
	assert_int_equal(call(s, "POST", path, hdr, req, &body), 422);
	assert_non_null(strstr(body, "platform 'rpi' has no cosign trust policy configured"));
	free(body);
	assert_int_equal(call(s, "POST", "/api/v1/system/worker_api/disk_image_publications/"
			      "sweep_retention", hdr, "{}", &body), 200);
	/* nothing published yet: a sweep that changes nothing, and says so */
	{
		json_t *sw = json_loads(body, 0, NULL), *d = json_object_get(sw, "data");

		assert_non_null(d);
		assert_true(json_is_true(json_object_get(sw, "success")));
		assert_int_equal(json_integer_value(json_object_get(d, "retired_count")), 0);
		assert_int_equal(json_integer_value(json_object_get(d, "error_count")), 0);
		json_decref(sw);
	}
	free(body);
	assert_int_equal(call(s, "POST", "/api/v1/system/worker_api/disk_image_publications/"
			      "sweep_retention", hdr, "{\"platform_id\":\"nope\"}", &body), 404);
	assert_non_null(strstr(body, "NodePlatform not found"));
	free(body);
	free(cli(s, revoke, 0));
	assert_int_equal(call(s, "POST", path, hdr, req, NULL), 401);
	json_decref(pub);
	json_decref(j);
	free(out);
}

/*
 * terminate vs revoke: the token dies at once as with revoke, and the worker is ended for
 * good — jobs it held leased are back in the queue, it cannot be rotated, terminating
 * twice is refused. (Sweep jobs: serve's pool runs only ingest ones, so nothing races.)
 */
static void
worker_terminate_ends_it_for_good(void **state)
{
	struct srv *s = *state;
	const char *create[] = { "worker", "create", "--name", "ci2", "--json", NULL };
	const char *noyes[] = { "worker", "terminate", "ci2", NULL };
	const char *term[] = { "worker", "terminate", "ci2", "--yes", "--json", NULL };
	const char *list[] = { "worker", "list", NULL };
	char *out = cli(s, create, 0), *db, *body = NULL, hdr[200], sql[512], *id;
	char path[] = "/api/v1/system/worker_api/disk_image_publications/sweep_retention";
	json_t *j = json_loads(out, 0, NULL), *t;

	free(out);
	id = strdup(json_string_value(json_object_get(json_object_get(j, "ci_worker"), "id")));
	snprintf(hdr, sizeof(hdr), "X-Worker-Token: %s", member(j, "token_plaintext"));
	json_decref(j);
	assert_int_equal(call(s, "POST", path, hdr, "{}", NULL), 200);
	db = tu_path(s->dir, "diskops.db");
	snprintf(sql, sizeof(sql), "INSERT INTO job (kind, subject_id, state, attempts, run_after,"
		 " lease_until, leased_by, created_at, updated_at) VALUES"
		 " ('sweep', 'p1', 'leased', 1, 1, 4000000000, '%s', 1, 1),"
		 " ('sweep', 'p2', 'leased', 1, 1, 4000000000, 'someone-else', 1, 1)", id);
	assert_int_equal(su_sql_exec(db, sql), 0);

	/* A changing command: without a terminal it wants --yes, and changes nothing. */
	free(cli(s, noyes, 2));
	assert_int_equal(call(s, "POST", path, hdr, "{}", NULL), 200);

	out = cli(s, term, 0);
	t = json_loads(out, 0, NULL);
	assert_true(json_is_true(json_object_get(t, "revoked")));
	assert_string_equal(json_string_value(json_object_get(t, "worker_id")), id);
	assert_int_equal(json_integer_value(json_object_get(t, "released_jobs")), 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(t, "ci_worker"),
							      "status")), "revoked");
	assert_true(json_is_string(json_object_get(json_object_get(t, "ci_worker"), "terminated_at")));
	json_decref(t);
	free(out);
	/* The token is dead at once. */
	assert_int_equal(call(s, "POST", path, hdr, "{}", &body), 401);
	assert_non_null(strstr(body, "Invalid or inactive worker token"));
	free(body);
	/* Its job is ready again; the other worker's lease is untouched. */
	assert_int_equal(su_sql_int(db, "SELECT count(*) FROM job WHERE subject_id = 'p1'"
				    " AND state = 'ready' AND leased_by IS NULL"), 1);
	assert_int_equal(su_sql_int(db, "SELECT count(*) FROM job WHERE subject_id = 'p2'"
				    " AND state = 'leased' AND leased_by = 'someone-else'"), 1);
	assert_int_equal(su_sql_int(db, "SELECT count(*) FROM event"
				    " WHERE kind = 'system.ci_worker_terminated'"), 1);
	out = cli(s, list, 0);
	assert_non_null(strstr(out, "terminated"));
	free(out);
	{
		const char *again[] = { "worker", "terminate", id, "--yes", NULL };
		const char *byname[] = { "worker", "terminate", "ci2", "--yes", NULL };
		const char *rotate[] = { "worker", "rotate", id, "--yes", NULL };

		free(cli(s, again, 6));
		free(cli(s, byname, 3));
		free(cli(s, rotate, 6));
	}
	/* A revoked worker can still be terminated (by id): it is then ended for good. */
	{
		const char *mk[] = { "worker", "create", "--name", "ci3", "--json", NULL };
		const char *rv[] = { "worker", "revoke", "ci3", "--yes", NULL };
		const char *tm[] = { "worker", "terminate", NULL, "--yes", NULL };
		char *id3;

		out = cli(s, mk, 0);
		j = json_loads(out, 0, NULL);
		id3 = strdup(json_string_value(json_object_get(json_object_get(j, "ci_worker"), "id")));
		json_decref(j);
		free(out);
		free(cli(s, rv, 0));
		tm[2] = id3;
		out = cli(s, tm, 0);
		assert_non_null(strstr(out, "CI worker terminated: ci3"));
		assert_non_null(strstr(out, "0 leased jobs back in the queue"));
		free(out);
		free(id3);
	}
	free(db);
	free(id);
}

/* Two published rows on rpi, the newer the default, and a retention count of 1. */
static void
older_published_rows(const char *db)
{
	dk_store *st;
	dk_account *a;
	dk_platform *p;
	dk_publication *old, *cur;

	assert_int_equal(dk_store_open(&st, db, NULL), 0);
	assert_int_equal(dk_store_account_find(st, &a, "default"), 0);
	assert_int_equal(dk_store_platform_find(st, &p, a->id, "rpi"), 0);
	old = su_publication(st, p, "old1", DK_PUB_PUBLISHED);
	cur = su_publication(st, p, "new1", DK_PUB_PUBLISHED);
	assert_int_equal(dk_store_platform_set_default(st, a->id, p->id, cur->id, "r@d"), 0);
	dk_publication_free(old);
	dk_publication_free(cur);
	dk_platform_free(p);
	dk_account_free(a);
	dk_store_free(st);
	assert_int_equal(su_sql_exec(db, "UPDATE node_platform SET disk_image_retention_count = 1;"
				     " UPDATE disk_image_publication SET published_at = published_at - 60"
				     " WHERE git_sha = 'old1'"), 0);
}

/* The agent ticks inside serve: an alert appears with nobody running `agent tick`, and the
 * daily retention sweep runs. */
static void
agent_ticks_inside_serve(void **state)
{
	struct srv s;
	const char *repo[] = { "platform", "set", "rpi", "--build-repo", "ops/rpi", NULL };
	const char *alerts[] = { "alerts", "list", "--json", NULL };
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	char *db, *out;

	(void)state;
	srv_init(&s);
	free(cli(&s, repo, 0));
	db = tu_path(s.dir, "diskops.db");
	assert_int_equal(su_sql_exec(db, "INSERT INTO gitea_runner_cache (repo, runner_id, name,"
				     " online, fetched_at) VALUES ('ops/rpi', 1, 'rpi-builder', 0, 0)"), 0);
	older_published_rows(db);
	setenv("DISKOPS_ALERTS_TICK_SECONDS", "1", 1);
	srv_start(&s, (const char *const[]){ "--no-ingest", NULL });
	unsetenv("DISKOPS_ALERTS_TICK_SECONDS");
	for (;;) {
		out = cli(&s, alerts, 0);
		if (strstr(out, "rpi-builder"))
			break;
		free(out);
		nanosleep(&tick, NULL);
	}
	assert_non_null(strstr(out, "\"rule\": \"runner_offline\""));
	free(out);
	/* Never swept before, so the first tick ran the daily retention sweep: keep 1. */
	while (su_sql_int(db, "SELECT count(*) FROM event WHERE kind = 'system.disk_image_retention_daily'") < 1)
		nanosleep(&tick, NULL);
	assert_int_equal(su_sql_int(db, "SELECT count(*) FROM disk_image_publication WHERE git_sha = 'old1'"
				    " AND status = 'retired'"), 1);
	assert_int_equal(su_sql_int(db, "SELECT count(*) FROM disk_image_publication WHERE git_sha = 'new1'"
				    " AND status = 'published'"), 1);
	{
		struct reply m;

		assert_int_equal(http(&s, &m, "GET", "/metrics", NULL, NULL, 0), 0);
		assert_non_null(strstr(m.body, "diskops_retention_last_sweep_timestamp_seconds "));
		assert_null(strstr(m.body, "diskops_retention_last_sweep_timestamp_seconds 0\n"));
		free(m.body);
	}
	/* Back online: the next tick resolves it. */
	assert_int_equal(su_sql_exec(db, "UPDATE gitea_runner_cache SET online = 1"), 0);
	for (;;) {
		out = cli(&s, alerts, 0);
		if (strcmp(out, "[]\n") == 0)
			break;
		free(out);
		nanosleep(&tick, NULL);
	}
	free(out);
	free(db);
	srv_free(&s);
}

/* The rows a rollback can be asked for, written before serve starts. */
struct rb {
	char retired[40], dflt[40], purged[40], failed[40], twin[40], foreign_plat[40], foreign_pub[40];
};

static void
copy_id(char *dst, dk_publication *p)
{
	snprintf(dst, 40, "%s", p->id);
	dk_publication_free(p);
}

static void
rollback_rows(struct srv *s, struct rb *ids)
{
	char *db = tu_path(s->dir, "diskops.db");
	dk_store *st;
	dk_account *a, *b;
	dk_platform *rpi, *twin, *other;
	dk_publication *d;

	assert_int_equal(dk_store_open(&st, db, NULL), 0);
	assert_int_equal(dk_store_account_find(st, &a, "default"), 0);
	assert_int_equal(dk_store_account_create(st, &b, "beta"), 0);
	assert_int_equal(dk_store_platform_find(st, &rpi, a->id, "rpi"), 0);
	twin = su_platform(st, a->id, "twin");
	other = su_platform(st, b->id, "other");
	copy_id(ids->retired, su_publication(st, rpi, "aaaa1111", DK_PUB_RETIRED));
	copy_id(ids->purged, su_publication(st, rpi, "bbbb2222", DK_PUB_PURGED));
	copy_id(ids->failed, su_publication(st, rpi, "cccc3333", DK_PUB_FAILED));
	copy_id(ids->twin, su_publication(st, twin, "dddd4444", DK_PUB_PUBLISHED));
	copy_id(ids->foreign_pub, su_publication(st, other, "eeee5555", DK_PUB_PUBLISHED));
	snprintf(ids->foreign_plat, 40, "%s", other->id);
	d = su_publication(st, rpi, "ffff6666", DK_PUB_PUBLISHED);
	assert_int_equal(dk_store_platform_set_default(st, a->id, rpi->id, d->id,
						       "127.0.0.1:5000/rpi@sha256:6"), 0);
	copy_id(ids->dflt, d);
	dk_platform_free(rpi);
	dk_platform_free(twin);
	dk_platform_free(other);
	dk_account_free(a);
	dk_account_free(b);
	dk_store_free(st);
	/* Verified signatures, as the processor leaves them. */
	assert_int_equal(su_sql_exec(db, "UPDATE disk_image_publication SET cosign_verified = 1,"
				     " signature_kind = 'key', oci_ref = '127.0.0.1:5000/rpi:x',"
				     " oci_digest = 'sha256:' || printf('%064d', length(git_sha) + rowid)"), 0);
	free(db);
}

static const char *
default_of(struct srv *s, char *buf)
{
	char *body = NULL;
	json_t *j;

	assert_int_equal(call(s, "GET", "/api/v1/system/node_platforms/rpi", token_viewer, NULL, &body), 200);
	j = json_loads(body, 0, NULL);
	snprintf(buf, 40, "%s", member(json_object_get(j, "data"), "default_publication_id"));
	json_decref(j);
	free(body);
	return buf;
}

static long
rollback_to(struct srv *s, const char *auth, const char *platform, const char *publication,
	    char **out)
{
	char path[200], body[200];

	snprintf(path, sizeof(path), "/api/v1/system/node_platforms/%s/rollback_disk_image", platform);
	snprintf(body, sizeof(body), "{\"publication_id\":\"%s\",\"reason\":\"bad kernel\"}",
		 publication);
	return call(s, "POST", path, auth, body, out);
}

/* body is read only after got was computed, hence the pointer to it. */
static void
expect(long got, long want, char **body, const char *needle)
{
	if (got != want || !strstr(*body, needle))
		fail_msg("expected %ld with \"%s\", got %ld: %s", want, needle, got, *body);
	free(*body);
	*body = NULL;
}

/* REST rollback: the same dk_promote as the CLI, the token's subject as the actor. */
static void
rest_rollback(void **state)
{
	struct srv s;
	struct rb ids;
	const char *const require[] = { "policy", "set", "rollback", "require_approval", NULL };
	char *viewer, *oper, *body = NULL, d[40], path[200];
	json_t *j;

	(void)state;
	srv_init(&s);
	rollback_rows(&s, &ids);
	srv_start(&s, (const char *const[]){ "--no-ingest", NULL });
	viewer = token(&s, "viewer");
	oper = token(&s, "operator");
	token_viewer = viewer;

	expect(rollback_to(&s, viewer, "rpi", ids.retired, &body), 403, &body,
	       "Permission denied: system.platforms.rollback_disk_image");
	expect(rollback_to(&s, NULL, "rpi", ids.retired, &body), 401, &body, "\"success\":false");
	expect(rollback_to(&s, oper, ids.foreign_plat, ids.foreign_pub, &body), 404, &body,
	       "Node Platform not found");
	expect(rollback_to(&s, oper, "rpi", ids.foreign_pub, &body), 404, &body,
	       "DiskImagePublication not found");
	expect(call(&s, "POST", "/api/v1/system/node_platforms/rpi/rollback_disk_image", oper, "{}",
		    &body), 422, &body, "publication_id is required");
	expect(rollback_to(&s, oper, "rpi", ids.purged, &body), 422, &body,
	       "Cannot roll back to a purged publication");
	expect(rollback_to(&s, oper, "rpi", ids.failed, &body), 422, &body, "status=failed");
	expect(rollback_to(&s, oper, "rpi", ids.twin, &body), 422, &body, "(it belongs to twin)");
	expect(rollback_to(&s, oper, "rpi", ids.dflt, &body), 409, &body, "is already the default");
	assert_string_equal(default_of(&s, d), ids.dflt);

	/* The retired row comes back as the default; the old default retires. */
	assert_int_equal(rollback_to(&s, oper, "rpi", ids.retired, &body), 200);
	j = json_loads(body, 0, NULL);
	free(body);
	assert_true(json_is_true(json_object_get(j, "success")));
	assert_string_equal(member(json_object_get(j, "data"), "activated_publication_id"), ids.retired);
	assert_string_equal(member(json_object_get(j, "data"), "previous_publication_id"), ids.dflt);
	assert_true(json_is_true(json_object_get(json_object_get(j, "data"), "reactivated")));
	json_decref(j);
	assert_string_equal(default_of(&s, d), ids.retired);
	snprintf(path, sizeof(path), "/api/v1/system/disk_image_publications/%s", ids.dflt);
	expect(call(&s, "GET", path, viewer, NULL, &body), 200, &body, "\"status\":\"retired\"");
	expect(call(&s, "GET", "/api/v1/system/events?kind_prefix=system.disk_image_rolled_back",
		    viewer, NULL, &body), 200, &body, "\"actor\":\"t\",\"approval_id\":null,");

	/* Four-eyes: 202 and nothing moves until another person approves. */
	free(cli(&s, require, 0));
	assert_int_equal(rollback_to(&s, oper, "rpi", ids.dflt, &body), 202);
	j = json_loads(body, 0, NULL);
	free(body);
	assert_true(json_is_true(json_object_get(json_object_get(j, "data"), "pending")));
	assert_string_equal(member(j, "message"), "Approval required to roll back disk image");
	assert_string_equal(default_of(&s, d), ids.retired);
	{
		const char *approve[] = { "approvals", "approve",
					  member(json_object_get(j, "data"), "approval_id"), "--yes", NULL };

		free(cli(&s, approve, 0));
	}
	json_decref(j);
	assert_string_equal(default_of(&s, d), ids.dflt);
	token_viewer = NULL;
	free(viewer);
	free(oper);
	srv_free(&s);
}

static void
daily_sweep_time(void **state)
{
	(void)state;
	/* 2027-01-15T08:00:00Z -> 2027-01-16T03:30:00Z; 03:29:59 -> the same day's 03:30 */
	assert_int_equal(dk_serve_agent_next_sweep(1800000000), 1800000000 - 8 * 3600 + 86400 + 12600);
	assert_int_equal(dk_serve_agent_next_sweep(1799983799), 1799983800);
	assert_int_equal(dk_serve_agent_next_sweep(1799983800), 1799983800 + 86400);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(agent_ticks_inside_serve),
		cmocka_unit_test(daily_sweep_time),
		cmocka_unit_test(rest_rollback),
		cmocka_unit_test_setup_teardown(rest_roles_and_envelopes, setup, teardown),
		cmocka_unit_test_setup_teardown(worker_api_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(worker_terminate_ends_it_for_good, setup, teardown),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

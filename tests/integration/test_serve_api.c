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

/* The agent ticks inside serve: an alert appears with nobody running `agent tick`. */
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
		cmocka_unit_test_setup_teardown(rest_roles_and_envelopes, setup, teardown),
		cmocka_unit_test_setup_teardown(worker_api_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(worker_terminate_ends_it_for_good, setup, teardown),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

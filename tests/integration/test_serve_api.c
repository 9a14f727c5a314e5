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
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}

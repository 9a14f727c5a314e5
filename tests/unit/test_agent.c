/* The Disk Image Manager: every alert rule opens once, refreshes, resolves; cleanup; expiry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "storeutil.h"
#include "diskops/account.h"
#include "diskops/agent.h"
#include "diskops/clock.h"
#include "diskops/config.h"
#include "diskops/error.h"
#include "diskops/log.h"
#include "diskops/platform.h"

#define NOW 1800000000

struct fx {
	char *dir, *path;
	dk_store *s;
	dk_account *a;
	dk_platform *p;
	dk_config *cfg;
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	dk_platform_spec spec = { .set = DK_PLATFORM_NAME | DK_PLATFORM_ARCH | DK_PLATFORM_BUILD_REPO,
				  .name = "edge", .arch = "amd64", .build_repo = "ops/edge-image" };

	dk_clock_set(NOW);
	dk_log_set_level(DK_LOG_ERROR);
	f->dir = tu_mkdtemp();
	f->path = tu_path(f->dir, "diskops.db");
	assert_int_equal(dk_store_open(&f->s, f->path, NULL), 0);
	assert_int_equal(dk_account_create(f->s, &f->a, "default", "t"), 0);
	assert_int_equal(dk_platform_create(f->s, &f->p, f->a->id, &spec, "t"), 0);
	assert_int_equal(dk_config_defaults(&f->cfg), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	dk_config_free(f->cfg);
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

static void
sql(struct fx *f, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (su_sql_exec(f->path, buf) != 0)
		fail_msg("sql failed: %s", buf);
}

static dk_agent_report
tick(struct fx *f)
{
	dk_agent_report r;

	assert_int_equal(dk_agent_tick(f->s, f->cfg, &r), 0);
	return r;
}

/* Open alerts of a rule: (count, detail of the first). */
static size_t
open_alerts(struct fx *f, const char *rule, char *detail, size_t len)
{
	dk_alert_list *l;
	size_t n = 0;

	assert_int_equal(dk_alert_list_load(f->s, &l, f->a->id, false), 0);
	for (size_t i = 0; i < l->count; i++) {
		if (strcmp(l->items[i].rule, rule) == 0) {
			if (n == 0 && detail)
				snprintf(detail, len, "%s", l->items[i].detail);
			n++;
		}
	}
	dk_alert_list_free(l);
	return n;
}

/*
 * A second tick with the condition still there: no new alert, no second opening event,
 * the same one still open (and its last_seen refreshed).
 */
static void
stays_one(struct fx *f, const char *rule)
{
	dk_agent_report r = tick(f);
	char q[256];

	assert_int_equal(r.opened, 0);
	assert_true(r.refreshed >= 1);
	assert_int_equal(open_alerts(f, rule, NULL, 0), 1);
	snprintf(q, sizeof(q), "SELECT count(*) FROM alert WHERE rule = '%s'", rule);
	assert_int_equal(su_sql_int(f->path, q), 1);
	snprintf(q, sizeof(q), "SELECT count(*) FROM event WHERE kind = 'system.disk_image_alert_opened'"
		 " AND json_extract(payload, '$.rule') = '%s'", rule);
	assert_int_equal(su_sql_int(f->path, q), 1);
}

static void
run_overdue_opens_once_and_resolves(void **state)
{
	struct fx *f = *state;
	char detail[256];
	dk_agent_report r;

	sql(f, "INSERT INTO gitea_run_cache (repo, run_id, status, run_started_at, fetched_at)"
	       " VALUES ('ops/edge-image', 42, 'in_progress', %d, %d)", NOW - 89 * 60, NOW);
	r = tick(f);
	assert_int_equal(open_alerts(f, "run_overdue", NULL, 0), 0);
	dk_clock_advance(2 * 60);
	r = tick(f);
	assert_int_equal(r.opened, 1);
	assert_int_equal(open_alerts(f, "run_overdue", detail, sizeof(detail)), 1);
	assert_string_equal(detail, "run 42 of ops/edge-image has been running for 91 min");
	r = tick(f);
	assert_int_equal(r.opened, 0);
	assert_int_equal(open_alerts(f, "run_overdue", NULL, 0), 1);
	sql(f, "UPDATE gitea_run_cache SET status = 'completed', conclusion = 'failure'");
	r = tick(f);
	assert_int_equal(r.resolved, 1);
	assert_int_equal(open_alerts(f, "run_overdue", NULL, 0), 0);
}

static void
queued_without_runner(void **state)
{
	struct fx *f = *state;

	sql(f, "INSERT INTO gitea_run_cache (repo, run_id, status, created_at_remote, fetched_at)"
	       " VALUES ('ops/edge-image', 7, 'queued', %d, %d)", NOW - 20 * 60, NOW);
	sql(f, "INSERT INTO gitea_runner_cache (repo, runner_id, name, online, fetched_at)"
	       " VALUES ('ops/edge-image', 1, 'builder-1', 1, %d)", NOW);
	tick(f);
	assert_int_equal(open_alerts(f, "queued_no_runner", NULL, 0), 0);
	sql(f, "UPDATE gitea_runner_cache SET online = 0");
	tick(f);
	assert_int_equal(open_alerts(f, "queued_no_runner", NULL, 0), 1);
	assert_int_equal(open_alerts(f, "runner_offline", NULL, 0), 1);
	stays_one(f, "queued_no_runner");
	stays_one(f, "runner_offline");
	sql(f, "UPDATE gitea_runner_cache SET online = 1");
	tick(f);
	assert_int_equal(open_alerts(f, "queued_no_runner", NULL, 0), 0);
	assert_int_equal(open_alerts(f, "runner_offline", NULL, 0), 0);
}

static void
webhook_missing_until_the_publication_arrives(void **state)
{
	struct fx *f = *state;
	dk_publication *p;

	sql(f, "INSERT INTO gitea_run_cache (repo, run_id, status, conclusion, head_sha, completed_at,"
	       " fetched_at) VALUES ('ops/edge-image', 9, 'completed', 'success',"
	       " 'cafe000000000000000000000000000000000000', %d, %d)", NOW - 11 * 60, NOW);
	/* An old success is history, not an alert. */
	sql(f, "INSERT INTO gitea_run_cache (repo, run_id, status, conclusion, head_sha, completed_at,"
	       " fetched_at) VALUES ('ops/edge-image', 3, 'completed', 'success', 'beef', %d, %d)",
	    NOW - 8 * 86400, NOW);
	tick(f);
	assert_int_equal(open_alerts(f, "webhook_missing", NULL, 0), 1);
	stays_one(f, "webhook_missing");
	p = su_publication(f->s, f->p, "cafe000000000000000000000000000000000000", DK_PUB_QUEUED);
	dk_publication_free(p);
	tick(f);
	assert_int_equal(open_alerts(f, "webhook_missing", NULL, 0), 0);
}

static void
ingest_stuck_and_publish_failed(void **state)
{
	struct fx *f = *state;
	dk_publication *p = su_publication(f->s, f->p, "abc", DK_PUB_QUEUED);
	char detail[256];

	dk_clock_advance(16 * 60);
	tick(f);
	assert_int_equal(open_alerts(f, "ingest_stuck", detail, sizeof(detail)), 1);
	assert_non_null(strstr(detail, "has been queued for 16 min"));
	stays_one(f, "ingest_stuck");
	assert_int_equal(dk_store_publication_transition(f->s, f->a->id, p->id, DK_PUB_VERIFYING, NULL), 0);
	assert_int_equal(dk_store_publication_transition(f->s, f->a->id, p->id, DK_PUB_FAILED, "SET signature invalid"), 0);
	sql(f, "UPDATE node_platform SET disk_image_publication_status = 'failed',"
	       " disk_image_publication_error = 'SET signature invalid'");
	tick(f);
	assert_int_equal(open_alerts(f, "ingest_stuck", NULL, 0), 0);
	assert_int_equal(open_alerts(f, "publish_failed", detail, sizeof(detail)), 1);
	assert_string_equal(detail, "platform edge: the last publish failed: SET signature invalid");
	stays_one(f, "publish_failed");
	sql(f, "UPDATE node_platform SET disk_image_publication_status = 'published',"
	       " disk_image_publication_error = NULL");
	tick(f);
	assert_int_equal(open_alerts(f, "publish_failed", NULL, 0), 0);
	dk_publication_free(p);
}

static void
signature_rejections_per_hour(void **state)
{
	struct fx *f = *state;
	char detail[256];

	sql(f, "INSERT INTO disk_image_webhook (id, account_id, label, secret_enc, secret_preview,"
	       " created_at, updated_at) VALUES ('w1', '%s', 'ci', 'v1:x', 'pndis_ab', 0, 0)", f->a->id);
	for (int i = 0; i < 2; i++)
		sql(f, "INSERT INTO webhook_delivery (webhook_id, account_id, received_at, signature_ok,"
		       " http_status, outcome, reason) VALUES ('w1', '%s', %d, 0, 401, 'error',"
		       " 'bad_signature')", f->a->id, NOW - 100 * i);
	tick(f);
	assert_int_equal(open_alerts(f, "signature_rejections", NULL, 0), 0);
	sql(f, "INSERT INTO webhook_delivery (webhook_id, account_id, received_at, signature_ok,"
	       " http_status, outcome, reason) VALUES ('w1', '%s', %d, 0, 401, 'error', 'bad_signature')",
	    f->a->id, NOW - 50);
	tick(f);
	assert_int_equal(open_alerts(f, "signature_rejections", detail, sizeof(detail)), 1);
	assert_string_equal(detail, "webhook ci: 3 deliveries with a bad signature in the last hour");
	stays_one(f, "signature_rejections");
	dk_clock_advance(3600);
	tick(f);
	assert_int_equal(open_alerts(f, "signature_rejections", NULL, 0), 0);
}

static void
acked_alerts_stay_quiet_then_resolve(void **state)
{
	struct fx *f = *state;
	dk_alert_list *l;
	int64_t id;

	sql(f, "INSERT INTO gitea_runner_cache (repo, runner_id, name, online, fetched_at)"
	       " VALUES ('ops/edge-image', 1, 'builder-1', 0, %d)", NOW);
	tick(f);
	assert_int_equal(dk_alert_list_load(f->s, &l, f->a->id, false), 0);
	assert_int_equal(l->count, 1);
	id = l->items[0].id;
	dk_alert_list_free(l);
	assert_int_equal(dk_alert_ack(f->s, f->a->id, id, "alice"), 0);
	assert_int_equal(dk_alert_ack(f->s, f->a->id, id, "alice"), DK_ENOTFOUND);
	tick(f);
	assert_int_equal(open_alerts(f, "runner_offline", NULL, 0), 1);   /* listed, as acked */
	assert_int_equal(dk_alert_list_load(f->s, &l, f->a->id, false), 0);
	assert_string_equal(l->items[0].state, "acked");
	assert_int_equal(l->items[0].id, id);
	dk_alert_list_free(l);
	sql(f, "UPDATE gitea_runner_cache SET online = 1");
	tick(f);
	assert_int_equal(open_alerts(f, "runner_offline", NULL, 0), 0);
}

static void
stuck_rows_are_retired_after_the_grace(void **state)
{
	struct fx *f = *state;
	dk_publication *failed = su_publication(f->s, f->p, "f1", DK_PUB_FAILED);
	dk_publication *verifying = su_publication(f->s, f->p, "v1", DK_PUB_VERIFYING);
	dk_publication *queued = su_publication(f->s, f->p, "q1", DK_PUB_QUEUED);
	dk_publication *awaiting = su_publication(f->s, f->p, "a1", DK_PUB_AWAITING_UPLOAD);
	dk_agent_report r;

	dk_clock_advance(6 * 86400);
	r = tick(f);
	assert_int_equal(r.stuck_retired, 0);
	assert_int_equal(su_status(f->s, f->a->id, failed->id), DK_PUB_FAILED);
	dk_clock_advance(2 * 86400);
	r = tick(f);
	assert_int_equal(r.stuck_retired, 2);
	assert_int_equal(su_status(f->s, f->a->id, failed->id), DK_PUB_RETIRED);
	assert_int_equal(su_status(f->s, f->a->id, verifying->id), DK_PUB_RETIRED);
	/* queued and awaiting_upload are left alone: they may still be waiting for their bytes */
	assert_int_equal(su_status(f->s, f->a->id, queued->id), DK_PUB_QUEUED);
	assert_int_equal(su_status(f->s, f->a->id, awaiting->id), DK_PUB_AWAITING_UPLOAD);
	dk_publication_free(failed);
	dk_publication_free(verifying);
	dk_publication_free(queued);
	dk_publication_free(awaiting);
}

static size_t
daily_events(struct fx *f)
{
	return (size_t)su_sql_int(f->path, "SELECT count(*) FROM event"
				  " WHERE kind = 'system.disk_image_retention_daily'");
}

/*
 * The tick runs the retention sweep once a day: when the account has had none since the
 * latest 03:30 UTC. NOW is 08:00 UTC, so the first tick is due at once.
 */
static void
daily_retention_sweep_after_0330(void **state)
{
	struct fx *f = *state;
	dk_publication *old = su_publication(f->s, f->p, "o1", DK_PUB_PUBLISHED), *newer;
	int64_t next_0330 = NOW + 19 * 3600 + 30 * 60;
	dk_agent_report r;

	dk_clock_advance(60);
	newer = su_publication(f->s, f->p, "n1", DK_PUB_PUBLISHED);
	assert_int_equal(dk_store_platform_set_default(f->s, f->a->id, f->p->id, newer->id, "r@d"), 0);
	sql(f, "UPDATE node_platform SET disk_image_retention_count = 1");
	r = tick(f);
	assert_int_equal(r.swept, 1);
	assert_int_equal(r.retired, 1);
	assert_int_equal(su_status(f->s, f->a->id, old->id), DK_PUB_RETIRED);
	assert_int_equal(su_status(f->s, f->a->id, newer->id), DK_PUB_PUBLISHED);
	assert_int_equal(daily_events(f), 1);
	/* Later the same day, and up to a second before the next 03:30: no second sweep. */
	r = tick(f);
	assert_int_equal(r.swept, 0);
	dk_clock_set(next_0330 - 1);
	r = tick(f);
	assert_int_equal(r.swept, 0);
	assert_int_equal(daily_events(f), 1);
	/* 03:30: due again; 8 days on, the retired row is purged by the daily sweep. */
	dk_clock_set(next_0330);
	r = tick(f);
	assert_int_equal(r.swept, 1);
	assert_int_equal(r.purged, 0);
	assert_int_equal(daily_events(f), 2);
	dk_clock_set(next_0330 + 8 * 86400);
	r = tick(f);
	assert_int_equal(r.swept, 1);
	assert_int_equal(r.purged, 1);
	assert_int_equal(su_status(f->s, f->a->id, old->id), DK_PUB_PURGED);
	dk_publication_free(old);
	dk_publication_free(newer);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(run_overdue_opens_once_and_resolves, setup, teardown),
		cmocka_unit_test_setup_teardown(queued_without_runner, setup, teardown),
		cmocka_unit_test_setup_teardown(webhook_missing_until_the_publication_arrives, setup, teardown),
		cmocka_unit_test_setup_teardown(ingest_stuck_and_publish_failed, setup, teardown),
		cmocka_unit_test_setup_teardown(signature_rejections_per_hour, setup, teardown),
		cmocka_unit_test_setup_teardown(acked_alerts_stay_quiet_then_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(stuck_rows_are_retired_after_the_grace, setup, teardown),
		cmocka_unit_test_setup_teardown(daily_retention_sweep_after_0330, setup, teardown),
	};
	return cmocka_run_group_tests_name("agent", tests, NULL, NULL);
}

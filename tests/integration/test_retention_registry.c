/*
 * Retention against the real docker-registry: purges past the grace delete the manifest
 * (a GET by digest then answers 404), the sweep after each publish does it too, a
 * registry failure on one purge leaves that row retired while the others go on, a digest
 * another platform still boots is never deleted, and a dry run (through the built
 * binary) lists what it would do and leaves store and registry untouched.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "cliutil.h"
#include "ingest_fixture.h"
#include "diskops/clock.h"
#include "diskops/config.h"
#include "diskops/error.h"
#include "diskops/log.h"
#include "diskops/oci.h"
#include "diskops/process.h"
#include "diskops/retention.h"
#include "diskops/sigstore.h"
#include "diskops/store.h"

#define T0 1800000000
#define DAY 86400

/* The [registry]-less defaults every sweep here passes to the registry delete. */
static dk_config *cfg;

/* Whether the registry still serves the manifest: 1 yes, 0 when a GET by digest is 404. */
static int
manifest_present(const char *repo, const char *digest)
{
	dk_oci_manifest *m = NULL;
	int rc = dk_oci_manifest_get(&m, F->c, repo, digest);

	dk_oci_manifest_free(m);
	if (rc == DK_ENOTFOUND)
		return 0;
	if (rc < 0)
		fail_msg("GET %s@%s: %s", repo, digest, dk_error_last()->message);
	return 1;
}

static int
setup(void **state)
{
	(void)state;
	dk_clock_set(T0);
	fx_setup(false);
	assert_int_equal(dk_config_defaults(&cfg), 0);
	return 0;
}

static int
teardown(void **state)
{
	dk_config_free(cfg);
	fx_teardown(state);
	dk_clock_set(0);
	return 0;
}

static dk_platform *
platform(const char *name, int keep)
{
	dk_platform_spec spec = { .set = DK_PLATFORM_NAME | DK_PLATFORM_ARCH | DK_PLATFORM_TLOG |
				  DK_PLATFORM_RETENTION | DK_PLATFORM_TRUSTED_KEYS,
				  .name = name, .arch = "amd64", .tlog_policy = "optional",
				  .retention_count = keep };
	dk_platform *p = NULL;
	char *path = tu_path(F->dir, "ci.key.pub"), *pem = tu_read_file(path, NULL);

	assert_non_null(pem);
	spec.trusted_keys = pem;
	if (dk_store_platform_create(F->store, &p, F->acct->id, &spec) < 0)
		fail_msg("platform: %s", dk_error_last()->message);
	free(pem);
	free(path);
	return p;
}

/* CI's part and the processor's: a signed boot set pushed, its row queued and ingested. */
static char *
publish(const dk_platform *plat, const char *repo, char **pub_id)
{
	dk_publication row = { 0 }, *queued = NULL;
	dk_process_result r;
	char tag[16], sha[41], *ref = NULL, *digest = NULL;
	int64_t size;

	snprintf(tag, sizeof(tag), "v%d", ++F->seq);
	snprintf(sha, sizeof(sha), "%040d", F->seq);
	digest = ou_boot_set(F->c, repo, tag, F->seq, &size);
	ou_sign_legacy(F->c, repo, digest, F->key);
	assert_true(asprintf(&ref, "%s/%s:%s", F->reg->host, repo, tag) > 0);
	row.account_id = plat->account_id;
	row.node_platform_id = plat->id;
	row.git_sha = sha;
	row.arch = plat->arch;
	row.oci_ref = ref;
	row.status = DK_PUB_QUEUED;
	assert_int_equal(dk_store_publication_insert(F->store, &queued, &row), 0);
	if (dk_process_publication(F->store, &r, F->acct->id, queued->id, "test") != 0)
		fail_msg("process: %s", dk_error_last()->message);
	if (r.status != DK_PUB_PUBLISHED)
		fail_msg("not published: %s", r.error_message ? r.error_message : "");
	dk_process_result_clear(&r);
	*pub_id = strdup(queued->id);
	dk_publication_free(queued);
	free(ref);
	dk_clock_advance(60);
	return digest;
}

/* A published row for a manifest already in the registry (ref_host: where the sweep
 * will send its DELETE); the newest row becomes the default when make_default. */
static char *
published_row(const dk_platform *plat, const char *ref_host, const char *repo,
	      const char *digest, bool make_default)
{
	dk_publication row = { 0 }, *out = NULL;
	char sha[41], *ref = NULL, *pinned = NULL, *id;

	snprintf(sha, sizeof(sha), "%040d", 500 + ++F->seq);
	assert_true(asprintf(&ref, "%s/%s:r%d", ref_host, repo, F->seq) > 0);
	row.account_id = plat->account_id;
	row.node_platform_id = plat->id;
	row.git_sha = sha;
	row.arch = plat->arch;
	row.oci_ref = ref;
	row.oci_digest = (char *)digest;
	row.status = DK_PUB_PUBLISHED;
	row.cosign_verified = true;
	row.signature_kind = "key";
	row.created_at = dk_clock_now();
	row.verified_at = dk_clock_now();
	row.published_at = dk_clock_now();
	assert_int_equal(dk_store_publication_insert(F->store, &out, &row), 0);
	if (make_default) {
		assert_true(asprintf(&pinned, "%s/%s@%s", ref_host, repo, digest) > 0);
		assert_int_equal(dk_store_platform_set_default(F->store, F->acct->id, plat->id, out->id,
							       pinned), 0);
	}
	id = strdup(out->id);
	dk_publication_free(out);
	free(ref);
	free(pinned);
	dk_clock_advance(60);
	return id;
}

static char *
pushed(const char *repo)
{
	char tag[16];
	int64_t size;

	snprintf(tag, sizeof(tag), "p%d", ++F->seq);
	return ou_boot_set(F->c, repo, tag, 1000 + F->seq, &size);
}

static void
sweep(dk_retention_report *r, const char *platform)
{
	dk_retention_options o = { .platform = platform, .actor = "test",
				   .delete_manifest = dk_retention_registry_delete, .payload = cfg };

	if (dk_retention_sweep(F->store, r, F->acct->id, &o) < 0)
		fail_msg("sweep: %s", dk_error_last()->message);
}

/* The deleted_digests of the newest retention event of the platform ("" when none). */
static char *
swept_digests(const char *platform_id)
{
	dk_event_filter f = { .account_id = F->acct->id,
			      .kind_prefix = "system.disk_image_retention_swept", .limit = 50 };
	dk_event_list *l = NULL;
	char *out = strdup("");

	assert_int_equal(dk_store_event_list(F->store, &l, &f), 0);
	for (size_t i = 0; i < l->count; i++) {
		json_t *p = json_loads(l->items[i].payload, 0, NULL);

		if (p && strcmp(l->items[i].subject_id, platform_id) == 0) {
			free(out);
			out = json_dumps(json_object_get(p, "deleted_digests"), JSON_COMPACT);
			json_decref(p);
			break;
		}
		json_decref(p);
	}
	dk_event_list_free(l);
	return out;
}

static void
publish_sweeps_and_purges_past_the_grace(void **state)
{
	dk_platform *plat = platform("edge", 3);
	char *id[6], *dg[6], *deleted;

	(void)state;
	/* Keep 3: the fourth publish's own sweep retires the oldest; nothing is purged yet. */
	for (int i = 0; i < 4; i++)
		dg[i] = publish(plat, "acct/edge", &id[i]);
	assert_int_equal(su_status(F->store, F->acct->id, id[0]), DK_PUB_RETIRED);
	for (int i = 1; i < 4; i++)
		assert_int_equal(su_status(F->store, F->acct->id, id[i]), DK_PUB_PUBLISHED);
	dk_clock_advance(6 * DAY);
	dg[4] = publish(plat, "acct/edge", &id[4]);
	assert_int_equal(su_status(F->store, F->acct->id, id[0]), DK_PUB_RETIRED);
	assert_int_equal(su_status(F->store, F->acct->id, id[1]), DK_PUB_RETIRED);
	for (int i = 0; i < 5; i++)
		assert_int_equal(manifest_present("acct/edge", dg[i]), 1);
	/* Two days later the publish's own sweep purges what retired 8 days ago, and no more. */
	dk_clock_advance(2 * DAY);
	dg[5] = publish(plat, "acct/edge", &id[5]);
	assert_int_equal(su_status(F->store, F->acct->id, id[0]), DK_PUB_PURGED);
	assert_int_equal(su_status(F->store, F->acct->id, id[1]), DK_PUB_RETIRED);
	assert_int_equal(su_status(F->store, F->acct->id, id[2]), DK_PUB_RETIRED);
	for (int i = 3; i < 6; i++)
		assert_int_equal(su_status(F->store, F->acct->id, id[i]), DK_PUB_PUBLISHED);
	assert_int_equal(manifest_present("acct/edge", dg[0]), 0);
	for (int i = 1; i < 6; i++)
		assert_int_equal(manifest_present("acct/edge", dg[i]), 1);
	deleted = swept_digests(plat->id);
	if (!strstr(deleted, dg[0]) || strstr(deleted, dg[1]))
		fail_msg("deleted_digests %s", deleted);
	free(deleted);
	for (int i = 0; i < 6; i++) {
		free(id[i]);
		free(dg[i]);
	}
	dk_platform_free(plat);
}

/* The sweep after a publish uses [retention] grace_days like every other sweep. */
static void
publish_sweep_honours_grace_days(void **state)
{
	dk_platform *plat = platform("short", 1);
	char *id[3], *dg[3];

	(void)state;
	cfg->grace_days = 2;
	dk_process_set_config(cfg);
	dg[0] = publish(plat, "acct/short", &id[0]);
	dg[1] = publish(plat, "acct/short", &id[1]);
	dk_clock_advance(2 * DAY);
	dg[2] = publish(plat, "acct/short", &id[2]);
	dk_process_set_config(NULL);
	cfg->grace_days = 7;
	assert_int_equal(su_status(F->store, F->acct->id, id[0]), DK_PUB_PURGED);
	assert_int_equal(su_status(F->store, F->acct->id, id[1]), DK_PUB_RETIRED);
	assert_int_equal(manifest_present("acct/short", dg[0]), 0);
	assert_int_equal(manifest_present("acct/short", dg[1]), 1);
	for (int i = 0; i < 3; i++) {
		free(id[i]);
		free(dg[i]);
	}
	dk_platform_free(plat);
}

static void
keep_n_retires_then_purges_from_the_registry(void **state)
{
	dk_platform *plat = platform("keep", 2);
	dk_retention_report r;
	char *id[4], *dg[4];

	(void)state;
	for (int i = 0; i < 4; i++) {
		dg[i] = pushed("acct/keep");
		id[i] = published_row(plat, F->reg->host, "acct/keep", dg[i], i == 3);
	}
	sweep(&r, "keep");
	assert_int_equal(r.retired, 2);
	assert_int_equal(r.deleted, 0);
	dk_retention_report_clear(&r);
	assert_int_equal(su_status(F->store, F->acct->id, id[0]), DK_PUB_RETIRED);
	assert_int_equal(su_status(F->store, F->acct->id, id[1]), DK_PUB_RETIRED);
	assert_int_equal(su_status(F->store, F->acct->id, id[2]), DK_PUB_PUBLISHED);
	/* Retiring never touches the registry: a retired image can still be rolled back to. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(manifest_present("acct/keep", dg[i]), 1);
	dk_clock_advance(8 * DAY);
	sweep(&r, "keep");
	assert_int_equal(r.purged, 2);
	assert_int_equal(r.deleted, 2);
	assert_int_equal(r.errors, 0);
	dk_retention_report_clear(&r);
	assert_int_equal(su_status(F->store, F->acct->id, id[0]), DK_PUB_PURGED);
	assert_int_equal(su_status(F->store, F->acct->id, id[1]), DK_PUB_PURGED);
	assert_int_equal(manifest_present("acct/keep", dg[0]), 0);
	assert_int_equal(manifest_present("acct/keep", dg[1]), 0);
	assert_int_equal(manifest_present("acct/keep", dg[2]), 1);
	assert_int_equal(manifest_present("acct/keep", dg[3]), 1);
	for (int i = 0; i < 4; i++) {
		free(id[i]);
		free(dg[i]);
	}
	dk_platform_free(plat);
}

static void
registry_failure_leaves_that_row_retired(void **state)
{
	tr_proxy *proxy = tr_proxy_start(F->reg->url);
	dk_platform *plat = platform("flaky", 1);
	dk_retention_report r;
	char *id[3], *dg[3], needle[200];

	(void)state;
	for (int i = 0; i < 3; i++) {
		dg[i] = pushed("acct/flaky");
		id[i] = published_row(plat, tr_proxy_host(proxy), "acct/flaky", dg[i], i == 2);
	}
	sweep(&r, "flaky");
	dk_retention_report_clear(&r);
	dk_clock_advance(8 * DAY);
	/* The registry fails every attempt (first try and all retries) at deleting row 1. */
	tr_proxy_fault(proxy, "DELETE", dg[1], TR_FAULT_STATUS, 503, "0", 0, 5);
	sweep(&r, "flaky");
	assert_int_equal(r.purged, 1);
	assert_int_equal(r.errors, 1);
	for (size_t i = 0; i < r.count; i++) {
		if (r.items[i].action != DK_RETAIN_ERROR)
			continue;
		assert_string_equal(r.items[i].publication_id, id[1]);
		if (!strstr(r.items[i].error, "503") || !strstr(r.items[i].error, id[1]))
			fail_msg("error: %s", r.items[i].error);
	}
	dk_retention_report_clear(&r);
	snprintf(needle, sizeof(needle), "DELETE /v2/acct/flaky/manifests/%s", dg[1]);
	assert_int_equal(tr_proxy_count(proxy, needle), 5);
	assert_int_equal(su_status(F->store, F->acct->id, id[0]), DK_PUB_PURGED);
	assert_int_equal(su_status(F->store, F->acct->id, id[1]), DK_PUB_RETIRED);
	assert_int_equal(manifest_present("acct/flaky", dg[0]), 0);
	assert_int_equal(manifest_present("acct/flaky", dg[1]), 1);
	/* The registry is well again: the next sweep finishes the job. */
	sweep(&r, "flaky");
	assert_int_equal(r.purged, 1);
	assert_int_equal(r.deleted, 1);
	dk_retention_report_clear(&r);
	assert_int_equal(su_status(F->store, F->acct->id, id[1]), DK_PUB_PURGED);
	assert_int_equal(manifest_present("acct/flaky", dg[1]), 0);
	assert_int_equal(manifest_present("acct/flaky", dg[2]), 1);
	for (int i = 0; i < 3; i++) {
		free(id[i]);
		free(dg[i]);
	}
	dk_platform_free(plat);
	tr_proxy_stop(proxy);
}

static void
shared_digest_is_never_deleted(void **state)
{
	dk_platform *left = platform("left", 1), *right = platform("right", 1);
	dk_retention_report r;
	char *shared = pushed("acct/shared"), *newer = pushed("acct/shared");
	char *old_left, *new_left, *on_right;

	(void)state;
	/* Both platforms boot the same image; then left moves on to a newer one. */
	on_right = published_row(right, F->reg->host, "acct/shared", shared, true);
	old_left = published_row(left, F->reg->host, "acct/shared", shared, true);
	new_left = published_row(left, F->reg->host, "acct/shared", newer, true);
	sweep(&r, NULL);
	assert_int_equal(r.retired, 1);
	dk_retention_report_clear(&r);
	assert_int_equal(su_status(F->store, F->acct->id, old_left), DK_PUB_RETIRED);
	dk_clock_advance(8 * DAY);
	sweep(&r, NULL);
	assert_int_equal(r.purged, 1);
	assert_int_equal(r.deleted, 0);
	assert_int_equal(r.count, 1);
	assert_int_equal(r.items[0].action, DK_RETAIN_PURGE_SHARED);
	dk_retention_report_clear(&r);
	assert_int_equal(su_status(F->store, F->acct->id, old_left), DK_PUB_PURGED);
	assert_int_equal(su_status(F->store, F->acct->id, on_right), DK_PUB_PUBLISHED);
	assert_int_equal(manifest_present("acct/shared", shared), 1);
	assert_int_equal(manifest_present("acct/shared", newer), 1);
	free(old_left);
	free(new_left);
	free(on_right);
	free(shared);
	free(newer);
	dk_platform_free(left);
	dk_platform_free(right);
}

/* ---- through the built binary ---- */

static json_t *
item_for(json_t *items, const char *publication_id)
{
	for (size_t i = 0; i < json_array_size(items); i++) {
		json_t *it = json_array_get(items, i);

		if (strcmp(json_string_value(json_object_get(it, "publication_id")), publication_id) == 0)
			return it;
	}
	fail_msg("publication %s is not in the sweep's list", publication_id);
	return NULL;
}

static void
cli_dry_run_lists_and_changes_nothing(void **state)
{
	cli_env *e = cli_env_new();
	tu_run_result run;
	dk_store *s;
	dk_account *a;
	dk_platform *p;
	char *path, *old_dg = pushed("acct/cli"), *mid_dg = pushed("acct/cli"), *new_dg = pushed("acct/cli");
	char ids[3][40];
	const char *const dg[3] = { old_dg, mid_dg, new_dg };
	json_t *j, *items;

	(void)state;
	e->extra_env[0] = "USER=alice";
	assert_int_equal(cli_run(e, &run, "init", NULL), 0);
	tu_run_result_free(&run);
	assert_int_equal(cli_run(e, &run, "platform", "create", "edge", "--arch", "amd64",
				 "--retention", "1", NULL), 0);
	tu_run_result_free(&run);
	/* The binary runs on the real clock: an old retired row, an older published one, the default. */
	path = tu_path(e->state_dir, "diskops.db");
	assert_int_equal(dk_store_open(&s, path, NULL), 0);
	assert_int_equal(dk_store_account_find(s, &a, "default"), 0);
	assert_int_equal(dk_store_platform_find(s, &p, a->id, "edge"), 0);
	for (int i = 0; i < 3; i++) {
		dk_publication row = { 0 }, *out;
		char sha[41], *ref = NULL;
		int64_t now = (int64_t)time(NULL);

		snprintf(sha, sizeof(sha), "%040d", 900 + i);
		assert_true(asprintf(&ref, "%s/acct/cli:c%d", F->reg->host, i) > 0);
		row.account_id = a->id;
		row.node_platform_id = p->id;
		row.git_sha = sha;
		row.arch = "amd64";
		row.oci_ref = ref;
		row.oci_digest = (char *)dg[i];
		row.status = i == 0 ? DK_PUB_RETIRED : DK_PUB_PUBLISHED;
		row.cosign_verified = true;
		row.signature_kind = "key";
		row.created_at = now - 20 * DAY + i * 3600;
		row.verified_at = row.created_at;
		row.published_at = row.created_at;
		row.retired_at = i == 0 ? now - 8 * DAY : 0;
		assert_int_equal(dk_store_publication_insert(s, &out, &row), 0);
		snprintf(ids[i], sizeof(ids[i]), "%s", out->id);
		dk_publication_free(out);
		free(ref);
	}
	assert_int_equal(dk_store_platform_set_default(s, a->id, p->id, ids[2], "x@sha256:3"), 0);
	dk_platform_free(p);
	dk_account_free(a);
	dk_store_free(s);

	j = cli_json(e, "retention", "sweep", "--dry-run", "--json", NULL);
	assert_true(json_is_true(json_object_get(j, "dry_run")));
	assert_int_equal(json_integer_value(json_object_get(j, "retired")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "purged")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "deleted")), 1);
	items = json_object_get(j, "items");
	assert_int_equal(json_array_size(items), 2);
	assert_string_equal(json_string_value(json_object_get(item_for(items, ids[1]), "action")), "retire");
	assert_string_equal(json_string_value(json_object_get(item_for(items, ids[0]), "action")), "purge");
	assert_string_equal(json_string_value(json_object_get(item_for(items, ids[0]), "digest")), old_dg);
	json_decref(j);
	/* The text form says the same and that nothing changed. */
	assert_int_equal(cli_run(e, &run, "retention", "sweep", "--dry-run", NULL), 0);
	if (!strstr(run.out, "dry run, nothing changed: would have 1 retired, 1 purged (1 manifests deleted)"))
		fail_msg("dry run said:\n%s", run.out);
	tu_run_result_free(&run);
	/* Nothing written: statuses as they were, no event, the manifest still served. */
	assert_int_equal(su_sql_int(path, "SELECT count(*) FROM disk_image_publication WHERE status = 'retired'"), 1);
	assert_int_equal(su_sql_int(path, "SELECT count(*) FROM disk_image_publication WHERE status = 'published'"), 2);
	assert_int_equal(su_sql_int(path, "SELECT count(*) FROM event WHERE kind LIKE 'system.disk_image_retention%'"), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(manifest_present("acct/cli", dg[i]), 1);

	/* The real sweep does what the dry run listed. */
	j = cli_json(e, "retention", "sweep", "--json", NULL);
	assert_true(json_is_false(json_object_get(j, "dry_run")));
	assert_int_equal(json_integer_value(json_object_get(j, "deleted")), 1);
	json_decref(j);
	assert_int_equal(manifest_present("acct/cli", old_dg), 0);
	assert_int_equal(manifest_present("acct/cli", mid_dg), 1);
	assert_int_equal(manifest_present("acct/cli", new_dg), 1);
	assert_int_equal(su_sql_int(path, "SELECT count(*) FROM disk_image_publication WHERE status = 'purged'"), 1);
	assert_int_equal(su_sql_int(path, "SELECT count(*) FROM event WHERE kind = 'system.disk_image_retention_swept'"), 1);
	free(path);
	free(old_dg);
	free(mid_dg);
	free(new_dg);
	cli_env_free(e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(publish_sweeps_and_purges_past_the_grace),
		cmocka_unit_test(publish_sweep_honours_grace_days),
		cmocka_unit_test(keep_n_retires_then_purges_from_the_registry),
		cmocka_unit_test(registry_failure_leaves_that_row_retired),
		cmocka_unit_test(shared_digest_is_never_deleted),
		cmocka_unit_test(cli_dry_run_lists_and_changes_nothing),
	};

	dk_log_set_level(DK_LOG_ERROR);
	return cmocka_run_group_tests(tests, setup, teardown);
}

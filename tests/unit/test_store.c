#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "testutil.h"
#include "storeutil.h"
#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/log.h"
#include "diskops/store.h"
/* Raw statements of its own, finalized here, not the connection's cache. */
#define DK_STORE_CORE
#include "../../core/store_internal.h"

#define F ((su_fixture *)*state)

static int64_t
pragma_int(dk_store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static char *
pragma_text(dk_store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	char *v = NULL;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

static int
count(const char *path, const char *sql)
{
	return (int)su_sql_int(path, sql);
}

/* ---- open ---- */

static void
open_creates_a_private_wal_database(void **state)
{
	char *dir = tu_mkdtemp(), *path = tu_path(dir, "new.db"), *wal, *mode;
	dk_store *s = NULL;
	dk_account *a = NULL;
	struct stat st;
	int v = -1;

	(void)state;
	dk_clock_set(1800000000);
	dk_log_set_level(DK_LOG_ERROR);
	assert_int_equal(dk_store_open(&s, path, NULL), 0);
	assert_string_equal(dk_store_path(s), path);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	/* journal_mode is persistent: a fresh connection sees WAL too */
	mode = pragma_text(s, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
	assert_int_equal(pragma_int(s, "PRAGMA synchronous"), 2);   /* FULL */
	assert_int_equal(pragma_int(s, "PRAGMA foreign_keys"), 1);
	assert_int_equal(dk_store_schema_version(s, &v), 0);
	assert_int_equal(v, dk_store_latest_version());
	assert_true(dk_store_latest_version() >= 2);

	assert_int_equal(dk_store_account_create(s, &a, "alpha"), 0);
	wal = tu_path(dir, "new.db-wal");
	assert_int_equal(stat(wal, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	dk_store_free(s);
	/* another connection: WAL is recorded in the file itself */
	assert_int_equal(su_sql_int(path, "SELECT count(*) FROM pragma_journal_mode() WHERE journal_mode = 'wal'"), 1);
	dk_account_free(a);
	free(wal);
	tu_rmrf(dir);
	free(path);
	free(dir);
	dk_clock_set(0);
}

static void
foreign_keys_are_enforced(void **state)
{
	dk_platform_spec spec = { .set = DK_PLATFORM_NAME | DK_PLATFORM_ARCH, .name = "x", .arch = "amd64" };
	dk_platform *p = NULL;

	assert_int_equal(dk_store_platform_create(F->s, &p, "00000000-0000-4000-8000-000000000000", &spec),
			 DK_EINVALID);
	assert_null(p);
	assert_non_null(strstr(dk_error_last()->message, "FOREIGN KEY"));
	assert_int_equal(count(F->path, "SELECT count(*) FROM node_platform"), 0);
}

static void
reopening_is_a_no_op(void **state)
{
	dk_store *s = NULL;
	int64_t before_rows = count(F->path, "SELECT count(*) FROM schema_migrations");
	int64_t before_applied = su_sql_int(F->path, "SELECT sum(applied_at) FROM schema_migrations");
	dk_account_list *l = NULL;
	int v = 0;

	dk_store_free(F->s);
	F->s = NULL;
	dk_clock_advance(3600);
	assert_int_equal(dk_store_open(&s, F->path, NULL), 0);
	F->s = s;
	assert_int_equal(dk_store_schema_version(s, &v), 0);
	assert_int_equal(v, dk_store_latest_version());
	assert_int_equal(before_rows, dk_store_latest_version());
	assert_int_equal(count(F->path, "SELECT count(*) FROM schema_migrations"), before_rows);
	assert_int_equal(su_sql_int(F->path, "SELECT sum(applied_at) FROM schema_migrations"), before_applied);
	assert_int_equal(dk_store_account_list(s, &l), 0);
	assert_int_equal(l->count, 2);
	assert_string_equal(l->items[0].name, "alpha");
	assert_string_equal(l->items[1].name, "beta");
	dk_account_list_free(l);
}

static void
no_create_refuses_a_missing_file(void **state)
{
	dk_store_options o = DK_STORE_OPTIONS_INIT;
	char *path = tu_path(F->dir, "absent.db");
	dk_store *s = NULL;
	struct stat st;

	o.no_create = true;
	assert_int_equal(dk_store_open(&s, path, &o), DK_ENOTFOUND);
	assert_null(s);
	assert_non_null(strstr(dk_error_last()->message, path));
	assert_int_not_equal(stat(path, &st), 0);
	/* but an existing one opens */
	assert_int_equal(dk_store_open(&s, F->path, &o), 0);
	dk_store_free(s);
	free(path);
}

/* ---- accounts ---- */

static void
accounts_find_by_name_or_id_and_are_unique(void **state)
{
	dk_account *a = NULL;

	assert_int_equal(dk_store_account_find(F->s, &a, "alpha"), 0);
	assert_string_equal(a->id, F->a->id);
	assert_int_equal(a->created_at, 1800000000);
	dk_account_free(a);
	assert_int_equal(dk_store_account_find(F->s, &a, F->b->id), 0);
	assert_string_equal(a->name, "beta");
	dk_account_free(a);
	assert_int_equal(dk_store_account_find(F->s, &a, "gamma"), DK_ENOTFOUND);
	assert_null(a);
	assert_non_null(strstr(dk_error_last()->message, "gamma"));
	assert_int_equal(dk_store_account_create(F->s, &a, "alpha"), DK_ECONFLICT);
	assert_non_null(strstr(dk_error_last()->message, "alpha"));
	assert_int_equal(dk_store_account_create(F->s, &a, ""), DK_EINVALID);
	assert_int_equal(count(F->path, "SELECT count(*) FROM account"), 2);
}

/* ---- platform constraints ---- */

static void
platform_defaults(void **state)
{
	dk_platform *p = su_platform(F->s, F->a->id, "ubuntu-24.04-lts");

	assert_string_equal(p->account_id, F->a->id);
	assert_string_equal(p->arch, "amd64");
	assert_int_equal(p->retention_count, 3);
	assert_string_equal(p->tlog_policy, "required");
	assert_string_equal(p->publication_status, "none");
	assert_string_equal(p->workflow_file, ".gitea/workflows/build-disk-image.yml");
	assert_null(p->default_publication_id);
	assert_null(p->trusted_root);
	assert_null(p->cosign_identity_regexp);
	assert_int_equal(p->created_at, 1800000000);
	assert_int_equal(p->updated_at, 1800000000);
	dk_platform_free(p);
}

static void
platform_name_is_unique_per_account(void **state)
{
	dk_platform *p = su_platform(F->s, F->a->id, "ubuntu"), *q = NULL;
	dk_platform_spec spec = { .set = DK_PLATFORM_NAME | DK_PLATFORM_ARCH, .name = "ubuntu", .arch = "arm64" };

	assert_int_equal(dk_store_platform_create(F->s, &q, F->a->id, &spec), DK_ECONFLICT);
	assert_null(q);
	assert_non_null(strstr(dk_error_last()->message, "ubuntu"));
	/* the same name in another account is fine */
	assert_int_equal(dk_store_platform_create(F->s, &q, F->b->id, &spec), 0);
	assert_string_equal(q->arch, "arm64");
	assert_string_not_equal(q->id, p->id);
	assert_int_equal(count(F->path, "SELECT count(*) FROM node_platform"), 2);
	dk_platform_free(p);
	dk_platform_free(q);
}

static void
platform_values_are_checked(void **state)
{
	static const struct { unsigned set; int retention; const char *arch, *tlog, *name; } bad[] = {
		{ DK_PLATFORM_RETENTION, 0, "amd64", NULL, "r0" },
		{ DK_PLATFORM_RETENTION, 51, "amd64", NULL, "r51" },
		{ DK_PLATFORM_RETENTION, -1, "amd64", NULL, "rneg" },
		{ 0, 0, "x86", NULL, "x86" },
		{ 0, 0, "AMD64", NULL, "upper" },
		{ 0, 0, NULL, NULL, "noarch" },
		{ DK_PLATFORM_TLOG, 0, "amd64", "sometimes", "tlog" },
		{ 0, 0, "amd64", NULL, "" },
		{ 0, 0, "amd64", NULL, "a-name-that-is-much-longer-than-sixty-three-characters-0123456789" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		dk_platform_spec spec = { .set = DK_PLATFORM_NAME | DK_PLATFORM_ARCH | bad[i].set,
					  .name = bad[i].name, .arch = bad[i].arch,
					  .retention_count = bad[i].retention, .tlog_policy = bad[i].tlog };
		dk_platform *p = NULL;

		if (dk_store_platform_create(F->s, &p, F->a->id, &spec) != DK_EINVALID)
			fail_msg("case %zu (%s) was not refused as invalid: %s", i, bad[i].name,
				 dk_error_last()->message);
		assert_null(p);
	}
	assert_int_equal(count(F->path, "SELECT count(*) FROM node_platform"), 0);

	/* the boundaries themselves are fine */
	for (int r = 1; r <= 50; r += 49) {
		dk_platform_spec spec = { .set = DK_PLATFORM_NAME | DK_PLATFORM_ARCH | DK_PLATFORM_RETENTION,
					  .name = r == 1 ? "one" : "fifty", .arch = "arm64", .retention_count = r };
		dk_platform *p = NULL;

		assert_int_equal(dk_store_platform_create(F->s, &p, F->a->id, &spec), 0);
		assert_int_equal(p->retention_count, r);
		dk_platform_free(p);
	}
}

static void
platform_update_each_field(void **state)
{
	dk_platform *p = su_platform(F->s, F->a->id, "deb"), *u = NULL;
	dk_platform_spec c = {
		.set = DK_PLATFORM_NAME | DK_PLATFORM_ARCH | DK_PLATFORM_RETENTION | DK_PLATFORM_IDENTITY_RE |
		       DK_PLATFORM_ISSUER_RE | DK_PLATFORM_TRUSTED_KEYS | DK_PLATFORM_TLOG |
		       DK_PLATFORM_BUILD_REPO | DK_PLATFORM_WORKFLOW | DK_PLATFORM_TRUSTED_ROOT,
		.name = "debian-13", .arch = "arm64", .retention_count = 7,
		.identity_regexp = "^https://gitea\\.example/.*$", .issuer_regexp = "^https://issuer$",
		.trusted_keys = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
		.tlog_policy = "optional", .build_repo = "ops/images", .workflow_file = ".gitea/workflows/b.yml",
		.trusted_root = "/etc/diskops/trusted_root.json",
	};

	dk_clock_advance(60);
	assert_int_equal(dk_store_platform_update(F->s, &u, F->a->id, p->id, &c), 0);
	assert_string_equal(u->id, p->id);
	assert_string_equal(u->name, "debian-13");
	assert_string_equal(u->arch, "arm64");
	assert_int_equal(u->retention_count, 7);
	assert_string_equal(u->cosign_identity_regexp, c.identity_regexp);
	assert_string_equal(u->cosign_issuer_regexp, c.issuer_regexp);
	assert_string_equal(u->trusted_keys, c.trusted_keys);
	assert_string_equal(u->tlog_policy, "optional");
	assert_string_equal(u->build_repo, "ops/images");
	assert_string_equal(u->workflow_file, ".gitea/workflows/b.yml");
	assert_string_equal(u->trusted_root, "/etc/diskops/trusted_root.json");
	assert_int_equal(u->created_at, 1800000000);
	assert_int_equal(u->updated_at, 1800000060);
	dk_platform_free(u);

	/* one field at a time leaves the others alone */
	{
		dk_platform_spec one = { .set = DK_PLATFORM_RETENTION, .retention_count = 50 };

		assert_int_equal(dk_store_platform_update(F->s, &u, F->a->id, p->id, &one), 0);
		assert_int_equal(u->retention_count, 50);
		assert_string_equal(u->name, "debian-13");
		assert_string_equal(u->tlog_policy, "optional");
		assert_string_equal(u->build_repo, "ops/images");
		dk_platform_free(u);
	}

	/* "" clears the nullable ones */
	{
		dk_platform_spec clr = { .set = DK_PLATFORM_IDENTITY_RE | DK_PLATFORM_ISSUER_RE |
						DK_PLATFORM_TRUSTED_KEYS | DK_PLATFORM_BUILD_REPO | DK_PLATFORM_TRUSTED_ROOT,
					 .identity_regexp = "", .issuer_regexp = "", .trusted_keys = "",
					 .build_repo = "", .trusted_root = "" };

		assert_int_equal(dk_store_platform_update(F->s, &u, F->a->id, p->id, &clr), 0);
		assert_null(u->cosign_identity_regexp);
		assert_null(u->cosign_issuer_regexp);
		assert_null(u->trusted_keys);
		assert_null(u->build_repo);
		assert_null(u->trusted_root);
		assert_string_equal(u->arch, "arm64");
		assert_int_equal(count(F->path, "SELECT count(*) FROM node_platform WHERE cosign_identity_regexp IS NULL"
				       " AND trusted_keys IS NULL AND build_repo IS NULL AND trusted_root IS NULL"), 1);
		dk_platform_free(u);
	}
	dk_platform_free(p);
}

static void
platform_update_refusals_leave_the_row_alone(void **state)
{
	dk_platform *p = su_platform(F->s, F->a->id, "one"), *q = su_platform(F->s, F->a->id, "two"), *u = NULL;
	dk_platform_spec rename = { .set = DK_PLATFORM_NAME | DK_PLATFORM_RETENTION, .name = "one", .retention_count = 9 };
	dk_platform_spec bad_ret = { .set = DK_PLATFORM_RETENTION | DK_PLATFORM_BUILD_REPO, .retention_count = 51,
				     .build_repo = "x/y" };
	dk_platform_spec bad_arch = { .set = DK_PLATFORM_ARCH, .arch = "x86" };

	dk_clock_advance(60);
	assert_int_equal(dk_store_platform_update(F->s, &u, F->a->id, q->id, &rename), DK_ECONFLICT);
	assert_null(u);
	assert_non_null(strstr(dk_error_last()->message, "one"));
	assert_int_equal(dk_store_platform_update(F->s, &u, F->a->id, q->id, &bad_ret), DK_EINVALID);
	assert_int_equal(dk_store_platform_update(F->s, &u, F->a->id, q->id, &bad_arch), DK_EINVALID);
	assert_int_equal(dk_store_platform_update(F->s, &u, F->a->id, "no-such-id", &rename), DK_ENOTFOUND);
	assert_non_null(strstr(dk_error_last()->message, "no-such-id"));
	assert_int_equal(dk_store_platform_find(F->s, &u, F->a->id, q->id), 0);
	assert_string_equal(u->name, "two");
	assert_string_equal(u->arch, "amd64");
	assert_int_equal(u->retention_count, 3);
	assert_null(u->build_repo);
	assert_int_equal(u->updated_at, q->updated_at);
	dk_platform_free(u);
	dk_platform_free(p);
	dk_platform_free(q);
}

/* ---- scoping ---- */

static void
another_accounts_platform_is_not_found(void **state)
{
	dk_platform *pb = su_platform(F->s, F->b->id, "b-only"), *u = NULL;
	dk_platform_list *l = NULL;
	dk_platform_spec c = { .set = DK_PLATFORM_RETENTION, .retention_count = 9 };

	assert_int_equal(dk_store_platform_find(F->s, &u, F->a->id, pb->id), DK_ENOTFOUND);
	assert_int_equal(dk_store_platform_find(F->s, &u, F->a->id, "b-only"), DK_ENOTFOUND);
	assert_null(u);
	assert_int_equal(dk_store_platform_update(F->s, &u, F->a->id, pb->id, &c), DK_ENOTFOUND);
	assert_int_equal(count(F->path, "SELECT disk_image_retention_count FROM node_platform"), 3);
	assert_int_equal(dk_store_platform_list(F->s, &l, F->a->id), 0);
	assert_int_equal(l->count, 0);
	dk_platform_list_free(l);
	assert_int_equal(dk_store_platform_list(F->s, &l, F->b->id), 0);
	assert_int_equal(l->count, 1);
	assert_string_equal(l->items[0].name, "b-only");
	dk_platform_list_free(l);
	dk_platform_free(pb);
}

static void
platform_list_is_by_name(void **state)
{
	const char *names[] = { "zeta", "alpha", "mid" };
	dk_platform_list *l = NULL;

	for (int i = 0; i < 3; i++)
		dk_platform_free(su_platform(F->s, F->a->id, names[i]));
	assert_int_equal(dk_store_platform_list(F->s, &l, F->a->id), 0);
	assert_int_equal(l->count, 3);
	assert_string_equal(l->items[0].name, "alpha");
	assert_string_equal(l->items[1].name, "mid");
	assert_string_equal(l->items[2].name, "zeta");
	dk_platform_list_free(l);
}

/* ---- webhook label (no store API yet: raw SQL) ---- */

static void
webhook_label_unique_case_insensitively_per_account(void **state)
{
	char sql[1024];

	snprintf(sql, sizeof(sql), "INSERT INTO disk_image_webhook (id, account_id, label, secret_enc,"
		 " secret_preview, created_at, updated_at) VALUES ('w1', '%s', 'Gitea CI', 'enc', 'pndis_ab', 1, 1)",
		 F->a->id);
	assert_int_equal(su_sql_exec(F->path, sql), SQLITE_OK);
	snprintf(sql, sizeof(sql), "INSERT INTO disk_image_webhook (id, account_id, label, secret_enc,"
		 " secret_preview, created_at, updated_at) VALUES ('w2', '%s', 'gitea ci', 'enc', 'pndis_cd', 1, 1)",
		 F->a->id);
	assert_int_equal(su_sql_exec(F->path, sql), SQLITE_CONSTRAINT);
	snprintf(sql, sizeof(sql), "INSERT INTO disk_image_webhook (id, account_id, label, secret_enc,"
		 " secret_preview, created_at, updated_at) VALUES ('w3', '%s', 'GITEA CI', 'enc', 'pndis_ef', 1, 1)",
		 F->b->id);
	assert_int_equal(su_sql_exec(F->path, sql), SQLITE_OK);
	snprintf(sql, sizeof(sql), "INSERT INTO disk_image_webhook (id, account_id, label, secret_enc,"
		 " secret_preview, status, created_at, updated_at) VALUES ('w4', '%s', 'other', 'enc', 'pndis_gh',"
		 " 'paused', 1, 1)", F->a->id);
	assert_int_equal(su_sql_exec(F->path, sql), SQLITE_CONSTRAINT);
	assert_int_equal(count(F->path, "SELECT count(*) FROM disk_image_webhook"), 2);
}

/* ---- transactions ---- */

static void
inner_rollback_keeps_outer_work(void **state)
{
	dk_account *x = NULL;

	assert_int_equal(dk_store_begin(F->s), 0);
	assert_int_equal(dk_store_account_create(F->s, &x, "outer"), 0);
	dk_account_free(x);
	assert_int_equal(dk_store_begin(F->s), 0);
	assert_int_equal(dk_store_account_create(F->s, &x, "inner"), 0);
	dk_account_free(x);
	assert_int_equal(dk_store_begin(F->s), 0);
	assert_int_equal(dk_store_account_create(F->s, &x, "innermost"), 0);
	dk_account_free(x);
	assert_int_equal(dk_store_commit(F->s), 0);        /* innermost into inner */
	dk_store_rollback(F->s);                           /* inner (with innermost) gone */
	/* not visible to others before the outer commit */
	assert_int_equal(count(F->path, "SELECT count(*) FROM account"), 2);
	assert_int_equal(dk_store_commit(F->s), 0);
	assert_int_equal(count(F->path, "SELECT count(*) FROM account"), 3);
	assert_int_equal(count(F->path, "SELECT count(*) FROM account WHERE name = 'outer'"), 1);
	assert_int_equal(dk_store_account_find(F->s, &x, "inner"), DK_ENOTFOUND);
	assert_int_equal(dk_store_account_find(F->s, &x, "innermost"), DK_ENOTFOUND);
}

static void
outer_rollback_discards_everything(void **state)
{
	dk_account *x = NULL;

	assert_int_equal(dk_store_begin(F->s), 0);
	assert_int_equal(dk_store_account_create(F->s, &x, "outer"), 0);
	dk_account_free(x);
	assert_int_equal(dk_store_begin(F->s), 0);
	assert_int_equal(dk_store_account_create(F->s, &x, "inner"), 0);
	dk_account_free(x);
	assert_int_equal(dk_store_commit(F->s), 0);
	dk_store_rollback(F->s);
	assert_int_equal(count(F->path, "SELECT count(*) FROM account"), 2);
	assert_int_equal(dk_store_account_find(F->s, &x, "outer"), DK_ENOTFOUND);
	assert_int_equal(dk_store_account_find(F->s, &x, "inner"), DK_ENOTFOUND);
	/* and the handle is usable afterwards, outside any transaction */
	assert_int_equal(dk_store_account_create(F->s, &x, "after"), 0);
	dk_account_free(x);
	assert_int_equal(count(F->path, "SELECT count(*) FROM account"), 3);
	assert_int_equal(dk_store_commit(F->s), DK_ERROR);  /* nothing open */
	dk_store_rollback(F->s);                           /* harmless */
}

static void
a_failed_call_inside_a_transaction_keeps_it_usable(void **state)
{
	dk_account *x = NULL;

	assert_int_equal(dk_store_begin(F->s), 0);
	assert_int_equal(dk_store_account_create(F->s, &x, "first"), 0);
	dk_account_free(x);
	assert_int_equal(dk_store_account_create(F->s, &x, "alpha"), DK_ECONFLICT);
	assert_int_equal(dk_store_account_create(F->s, &x, "second"), 0);
	dk_account_free(x);
	assert_int_equal(dk_store_commit(F->s), 0);
	assert_int_equal(count(F->path, "SELECT count(*) FROM account"), 4);
}

/* ---- events ---- */

static int64_t
add_event(dk_store *s, const char *account, const char *kind, int64_t at)
{
	dk_event e = { .account_id = (char *)account, .kind = (char *)kind, .created_at = at };
	int64_t id = 0;

	if (dk_store_event_insert(s, &id, &e) < 0)
		fail_msg("event %s: %s", kind, dk_error_last()->message);
	return id;
}

static void
events_insert_and_list_newest_first(void **state)
{
	dk_event e = { .account_id = F->a->id, .kind = "system.disk_image_published", .severity = "warning",
		       .source = "ingest", .subject_id = "pub-1", .payload = "{\"sha\":\"abc\"}" };
	dk_event_list *l = NULL;
	dk_event_filter all = { 0 };
	int64_t id1 = 0, id2;

	assert_int_equal(dk_store_event_insert(F->s, &id1, &e), 0);
	assert_true(id1 > 0);
	dk_clock_advance(5);
	id2 = add_event(F->s, NULL, "system.startup", 0);
	assert_true(id2 > id1);
	assert_int_equal(dk_store_event_list(F->s, &l, &all), 0);
	assert_int_equal(l->count, 2);
	assert_int_equal(l->items[0].id, id2);
	assert_string_equal(l->items[0].severity, "info");     /* defaults */
	assert_string_equal(l->items[0].source, "diskops");
	assert_string_equal(l->items[0].payload, "{}");
	assert_null(l->items[0].account_id);
	assert_int_equal(l->items[0].created_at, 1800000005);
	assert_int_equal(l->items[1].id, id1);
	assert_string_equal(l->items[1].account_id, F->a->id);
	assert_string_equal(l->items[1].kind, "system.disk_image_published");
	assert_string_equal(l->items[1].severity, "warning");
	assert_string_equal(l->items[1].source, "ingest");
	assert_string_equal(l->items[1].subject_id, "pub-1");
	assert_string_equal(l->items[1].payload, "{\"sha\":\"abc\"}");
	assert_int_equal(l->items[1].created_at, 1800000000);
	dk_event_list_free(l);
}

static void
events_refuse_bad_values(void **state)
{
	dk_event bad_json = { .kind = "k", .payload = "{not json" };
	dk_event bad_sev = { .kind = "k", .severity = "loud" };
	dk_event no_kind = { .kind = "" };

	assert_int_equal(dk_store_event_insert(F->s, NULL, &bad_json), DK_EINVALID);
	assert_int_equal(dk_store_event_insert(F->s, NULL, &bad_sev), DK_EINVALID);
	assert_int_equal(dk_store_event_insert(F->s, NULL, &no_kind), DK_EINVALID);
	assert_int_equal(count(F->path, "SELECT count(*) FROM event"), 0);
}

static void
event_prefix_is_literal(void **state)
{
	dk_event_filter f = { .kind_prefix = "system.disk_image_p" };
	dk_event_list *l = NULL;

	add_event(F->s, NULL, "system.disk_image_published", 0);
	add_event(F->s, NULL, "system.disk_imageXpublished", 0);
	add_event(F->s, NULL, "system.disk_image_Published", 0);
	add_event(F->s, NULL, "system.disk_image_purged", 0);
	add_event(F->s, NULL, "xsystem.disk_image_published", 0);
	add_event(F->s, NULL, "system.disk_image", 0);
	assert_int_equal(dk_store_event_list(F->s, &l, &f), 0);
	assert_int_equal(l->count, 2);
	assert_string_equal(l->items[0].kind, "system.disk_image_purged");
	assert_string_equal(l->items[1].kind, "system.disk_image_published");
	dk_event_list_free(l);

	/* '%' is literal too */
	add_event(F->s, NULL, "a%b", 0);
	add_event(F->s, NULL, "aXXb", 0);
	f.kind_prefix = "a%";
	assert_int_equal(dk_store_event_list(F->s, &l, &f), 0);
	assert_int_equal(l->count, 1);
	assert_string_equal(l->items[0].kind, "a%b");
	dk_event_list_free(l);

	f.kind_prefix = "";     /* empty: everything */
	assert_int_equal(dk_store_event_list(F->s, &l, &f), 0);
	assert_int_equal(l->count, 8);
	dk_event_list_free(l);
}

static void
event_filters_account_since_after_limit(void **state)
{
	dk_event_filter f = { 0 };
	dk_event_list *l = NULL;
	int64_t ids[6];

	for (int i = 0; i < 6; i++)
		ids[i] = add_event(F->s, i % 2 ? F->b->id : F->a->id, "k", 1000 + i * 10);

	f.account_id = F->a->id;
	assert_int_equal(dk_store_event_list(F->s, &l, &f), 0);
	assert_int_equal(l->count, 3);
	for (size_t i = 0; i < l->count; i++)
		assert_string_equal(l->items[i].account_id, F->a->id);
	assert_int_equal(l->items[0].id, ids[4]);
	dk_event_list_free(l);

	memset(&f, 0, sizeof(f));
	f.since = 1030;         /* inclusive */
	assert_int_equal(dk_store_event_list(F->s, &l, &f), 0);
	assert_int_equal(l->count, 3);
	assert_int_equal(l->items[2].id, ids[3]);
	dk_event_list_free(l);

	memset(&f, 0, sizeof(f));
	f.after_id = ids[1];    /* exclusive */
	assert_int_equal(dk_store_event_list(F->s, &l, &f), 0);
	assert_int_equal(l->count, 4);
	assert_int_equal(l->items[0].id, ids[5]);
	assert_int_equal(l->items[3].id, ids[2]);
	dk_event_list_free(l);

	memset(&f, 0, sizeof(f));
	f.limit = 2;
	assert_int_equal(dk_store_event_list(F->s, &l, &f), 0);
	assert_int_equal(l->count, 2);
	assert_int_equal(l->items[0].id, ids[5]);
	assert_int_equal(l->items[1].id, ids[4]);
	dk_event_list_free(l);

	/* combined */
	f.account_id = F->b->id;
	f.since = 1015;
	f.after_id = ids[3];
	f.limit = 10;
	assert_int_equal(dk_store_event_list(F->s, &l, &f), 0);
	assert_int_equal(l->count, 1);
	assert_int_equal(l->items[0].id, ids[5]);
	dk_event_list_free(l);
}

static void
event_default_limit_is_50(void **state)
{
	dk_event_filter f = { .limit = 0 };
	dk_event_list *l = NULL;

	assert_int_equal(dk_store_begin(F->s), 0);
	for (int i = 0; i < 60; i++)
		add_event(F->s, NULL, "k", 0);
	assert_int_equal(dk_store_commit(F->s), 0);
	assert_int_equal(dk_store_event_list(F->s, &l, &f), 0);
	assert_int_equal(l->count, 50);
	dk_event_list_free(l);
}

/* ---- data_version ---- */

static void
data_version_moves_when_another_connection_commits(void **state)
{
	int64_t v0 = 0, v1 = 0, v2 = 0, v3 = 0;
	dk_account *x = NULL;

	assert_int_equal(dk_store_data_version(F->s, &v0), 0);
	assert_int_equal(dk_store_data_version(F->s, &v1), 0);
	assert_int_equal(v0, v1);               /* nothing happened */
	assert_int_equal(su_sql_exec(F->path, "INSERT INTO account (id, name, created_at)"
				     " VALUES ('x', 'from-elsewhere', 1)"), SQLITE_OK);
	assert_int_equal(dk_store_data_version(F->s, &v2), 0);
	assert_int_not_equal(v2, v1);
	assert_int_equal(dk_store_account_find(F->s, &x, "from-elsewhere"), 0);
	dk_account_free(x);
	/* its own commits do not count: it is for noticing others */
	assert_int_equal(dk_store_account_create(F->s, &x, "own"), 0);
	dk_account_free(x);
	assert_int_equal(dk_store_data_version(F->s, &v3), 0);
	assert_int_equal(v3, v2);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, su_setup, su_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(open_creates_a_private_wal_database),
		T(foreign_keys_are_enforced),
		T(reopening_is_a_no_op),
		T(no_create_refuses_a_missing_file),
		T(accounts_find_by_name_or_id_and_are_unique),
		T(platform_defaults),
		T(platform_name_is_unique_per_account),
		T(platform_values_are_checked),
		T(platform_update_each_field),
		T(platform_update_refusals_leave_the_row_alone),
		T(another_accounts_platform_is_not_found),
		T(platform_list_is_by_name),
		T(webhook_label_unique_case_insensitively_per_account),
		T(inner_rollback_keeps_outer_work),
		T(outer_rollback_discards_everything),
		T(a_failed_call_inside_a_transaction_keeps_it_usable),
		T(events_insert_and_list_newest_first),
		T(events_refuse_bad_values),
		T(event_prefix_is_literal),
		T(event_filters_account_since_after_limit),
		T(event_default_limit_is_50),
		T(data_version_moves_when_another_connection_commits),
	};
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}

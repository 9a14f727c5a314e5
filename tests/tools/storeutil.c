#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/log.h"
#include "storeutil.h"
#include "testutil.h"

int
su_setup(void **state)
{
	su_fixture *f = calloc(1, sizeof(*f));

	dk_clock_set(1800000000);
	dk_log_set_level(DK_LOG_ERROR);
	f->dir = tu_mkdtemp();
	f->path = tu_path(f->dir, "diskops.db");
	if (dk_store_open(&f->s, f->path, NULL) < 0 ||
	    dk_store_account_create(f->s, &f->a, "alpha") < 0 ||
	    dk_store_account_create(f->s, &f->b, "beta") < 0) {
		fprintf(stderr, "fixture: %s\n", dk_error_last()->message);
		return -1;
	}
	*state = f;
	return 0;
}

int
su_teardown(void **state)
{
	su_fixture *f = *state;

	dk_store_free(f->s);
	dk_account_free(f->a);
	dk_account_free(f->b);
	tu_rmrf(f->dir);
	free(f->path);
	free(f->dir);
	free(f);
	dk_clock_set(0);
	return 0;
}

dk_platform *
su_platform(dk_store *s, const char *account_id, const char *name)
{
	dk_platform_spec spec = { .set = DK_PLATFORM_NAME | DK_PLATFORM_ARCH, .name = name,
				  .arch = "amd64" };
	dk_platform *p = NULL;

	if (dk_store_platform_create(s, &p, account_id, &spec) < 0)
		fail_msg("creating platform %s: %s", name, dk_error_last()->message);
	return p;
}

dk_publication *
su_publication(dk_store *s, const dk_platform *p, const char *git_sha, dk_pub_status status)
{
	dk_publication row = { 0 }, *out = NULL;
	int64_t now = dk_clock_now();

	row.account_id = p->account_id;
	row.node_platform_id = p->id;
	row.git_sha = (char *)git_sha;
	row.arch = p->arch;
	row.status = status;
	if (status == DK_PUB_PUBLISHED || status == DK_PUB_RETIRED || status == DK_PUB_PURGED) {
		row.verified_at = now;
		row.published_at = now;
	}
	if (status == DK_PUB_RETIRED || status == DK_PUB_PURGED)
		row.retired_at = now;
	if (status == DK_PUB_PURGED)
		row.purged_at = now;
	if (status == DK_PUB_FAILED)
		row.error_message = "earlier failure";
	if (dk_store_publication_insert(s, &out, &row) < 0)
		fail_msg("inserting publication %s: %s", git_sha, dk_error_last()->message);
	return out;
}

dk_pub_status
su_status(dk_store *s, const char *account_id, const char *publication_id)
{
	dk_publication *p = NULL;
	dk_pub_status st;

	if (dk_store_publication_get(s, &p, account_id, publication_id) < 0)
		fail_msg("publication %s: %s", publication_id, dk_error_last()->message);
	st = p->status;
	dk_publication_free(p);
	return st;
}

int64_t
su_sql_int(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t v = -1;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

int
su_sql_exec(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);

	if (rc == SQLITE_OK) {
		sqlite3_exec(db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	sqlite3_close(db);
	return rc;
}

const char *
su_hex64(unsigned n)
{
	static char buf[65];

	for (int i = 0; i < 64; i++)
		buf[i] = "0123456789abcdef"[(n + (unsigned)i * 7u) % 16u];
	buf[64] = '\0';
	return buf;
}

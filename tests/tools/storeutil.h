#ifndef DISKOPS_STOREUTIL_H
#define DISKOPS_STOREUTIL_H

/* Fixtures and raw-SQL helpers for the store tests (tests/unit/test_store*.c). */

#include <stdint.h>

#include "diskops/model.h"
#include "diskops/store.h"

/* A fresh store in a temp dir with two accounts, "alpha" (a) and "beta" (b). */
typedef struct {
	char *dir;
	char *path;
	dk_store *s;
	dk_account *a;
	dk_account *b;
} su_fixture;

int su_setup(void **state);
int su_teardown(void **state);

/* A platform in the account with the given name, arch amd64, default settings. */
dk_platform *su_platform(dk_store *s, const char *account_id, const char *name);

/* Inserts a publication row of the platform in `status` (timestamps filled so the
 * schema's checks hold). */
dk_publication *su_publication(dk_store *s, const dk_platform *p, const char *git_sha,
			       dk_pub_status status);

/* The status of a publication of the account; fails the test when it cannot be read. */
dk_pub_status su_status(dk_store *s, const char *account_id, const char *publication_id);

/* One integer from `sql` over a separate raw connection to path (-1 on error). */
int64_t su_sql_int(const char *path, const char *sql);
/* Runs sql over a separate raw connection; returns the SQLite result code. */
int su_sql_exec(const char *path, const char *sql);

/* 64 hex characters derived from n, lower-case. */
const char *su_hex64(unsigned n);

#endif

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diskops/clock.h"
#include "diskops/error.h"
#include "diskops/log.h"
#define DK_STORE_CORE
#include "store_internal.h"

#define DEFAULT_BUSY_TIMEOUT_MS 5000

int
dk_store__fail(dk_store *store, int sqlite_rc, const char *what)
{
	int ext = store && store->db ? sqlite3_extended_errcode(store->db) : sqlite_rc;
	const char *msg = store && store->db ? sqlite3_errmsg(store->db) : sqlite3_errstr(sqlite_rc);
	const char *path = store ? store->path : "?";

	int sys = store && store->db ? sqlite3_system_errno(store->db) : 0;

	/* Whatever SQLite calls it (FULL, IOERR_WRITE, IOERR_SHMSIZE…), ENOSPC is a full disk. */
	if ((sqlite_rc & 0xff) == SQLITE_FULL || sys == ENOSPC || sys == EDQUOT)
		return dk_error_set(DK_EIO, "%s: disk full (%s) while %s; nothing was changed",
				    path, strerror(sys ? sys : ENOSPC), what);
	switch (sqlite_rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return dk_error_set(DK_ESTORE, "%s: database is locked by another process "
				    "(gave up waiting)", path);
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
		return dk_error_set(DK_ESTORE, "%s: database file is corrupt or not a diskops "
				    "database (%s)", path, msg);
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
		return dk_error_set(DK_ESTORE, "%s: cannot write the database: %s", path, msg);
	case SQLITE_IOERR:
		return dk_error_set(DK_EIO, "%s: I/O error while %s: %s%s%s", path, what, msg,
				    sys ? ": " : "", sys ? strerror(sys) : "");
	case SQLITE_CONSTRAINT:
		if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
			return dk_error_set(DK_ECONFLICT, "%s: already exists", what);
		if (ext == SQLITE_CONSTRAINT_TRIGGER)
			return dk_error_set(DK_ESTATE, "%s: %s", what, msg);
		return dk_error_set(DK_EINVALID, "%s: rejected by the store (%s)", what, msg);
	default:
		return dk_error_set(DK_ESTORE, "%s: %s while %s", path, msg, what);
	}
}

static uint32_t
sql_hash(const char *sql)
{
	uint32_t h = 2166136261u;

	while (*sql)
		h = (h ^ (unsigned char)*sql++) * 16777619u;
	return h;
}

static int
take(struct dk_store_cached *c, sqlite3_stmt **out)
{
	c->in_use = 1;
	*out = c->st;
	return 0;
}

int
dk_store__prepare(dk_store *store, sqlite3_stmt **out, const char *sql)
{
	struct dk_store_cached *free_slot = NULL;
	uint32_t h;
	int rc;

	/* Nearly every query is a string literal asked for from the same place: find it by
	 * address first (the text still has to match, for SQL built in a buffer). */
	for (int i = 0; i < DK_STORE_STMT_CACHE; i++) {
		struct dk_store_cached *c = &store->cache[i];

		if (c->st && c->sql == sql && !c->in_use && strcmp(sqlite3_sql(c->st), sql) == 0)
			return take(c, out);
	}
	h = sql_hash(sql);
	for (int i = 0; i < DK_STORE_STMT_CACHE; i++) {
		struct dk_store_cached *c = &store->cache[i];

		if (!c->st) {
			if (!free_slot)
				free_slot = c;
		} else if (c->hash == h && !c->in_use && strcmp(sqlite3_sql(c->st), sql) == 0) {
			c->sql = sql;
			return take(c, out);
		}
	}
	rc = sqlite3_prepare_v3(store->db, sql, -1, free_slot ? SQLITE_PREPARE_PERSISTENT : 0,
				out, NULL);
	if (rc != SQLITE_OK)
		return dk_store__fail(store, rc, "preparing a query");
	if (free_slot && *out) {
		free_slot->st = *out;
		free_slot->hash = h;
		free_slot->sql = sql;
		free_slot->in_use = 1;
	}
	return 0;
}

void
dk_store__finish(dk_store *store, sqlite3_stmt *st)
{
	if (!st)
		return;
	for (int i = 0; i < DK_STORE_STMT_CACHE; i++) {
		if (store->cache[i].st == st) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			store->cache[i].in_use = 0;
			return;
		}
	}
	sqlite3_finalize(st);
}

static void
cache_clear(dk_store *store)
{
	for (int i = 0; i < DK_STORE_STMT_CACHE; i++) {
		sqlite3_finalize(store->cache[i].st);
		store->cache[i].st = NULL;
	}
}

/* A single statement through the cache: transactions run thousands of these a second. */
static int
run(dk_store *store, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = dk_store__prepare(store, &st, sql)) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	rc = rc == SQLITE_DONE ? 0 : dk_store__fail(store, rc, strncmp(sql, "BEGIN", 5) == 0 ?
						    "starting a write" : strncmp(sql, "COMMIT", 6) == 0 ?
						    "committing" : "running a statement");
	dk_store__finish(store, st);
	return rc;
}

void
dk_store__bind_text(sqlite3_stmt *st, int idx, const char *value)
{
	if (value)
		sqlite3_bind_text(st, idx, value, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, idx);
}

void
dk_store__bind_time(sqlite3_stmt *st, int idx, int64_t value)
{
	if (value)
		sqlite3_bind_int64(st, idx, value);
	else
		sqlite3_bind_null(st, idx);
}

char *
dk_store__text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? strdup((const char *)t) : NULL;
}

int
dk_store__exec(dk_store *store, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(store->db, sql, NULL, NULL, &msg);

	sqlite3_free(msg);
	if (rc != SQLITE_OK)
		return dk_store__fail(store, rc, strncmp(sql, "BEGIN", 5) == 0 ? "starting a write"
					  : strncmp(sql, "COMMIT", 6) == 0 ? "committing"
					  : "running a statement");
	return 0;
}

void *
dk_store__list_grow(void **items, size_t *count, size_t size)
{
	char *n = realloc(*items, (*count + 1) * size);

	if (!n)
		return NULL;
	*items = n;
	memset(n + *count * size, 0, size);
	return n + (*count)++ * size;
}

int
dk_store__collect(dk_store *store, sqlite3_stmt *st, void **items, size_t *count, size_t size,
		  void (*read)(sqlite3_stmt *st, void *row), const char *what)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		void *row = dk_store__list_grow(items, count, size);

		if (!row) {
			dk_store__finish(store, st);
			return dk_error_set(DK_ENOMEM, "out of memory");
		}
		read(st, row);
	}
	rc = rc == SQLITE_DONE ? 0 : dk_store__fail(store, rc, what);
	dk_store__finish(store, st);
	return rc;
}

int
dk_store_begin(dk_store *store)
{
	int rc;

	if (store->tx_depth == 0)
		rc = run(store, "BEGIN IMMEDIATE");
	else
		rc = run(store, "SAVEPOINT nested");
	if (rc == 0)
		store->tx_depth++;
	return rc;
}

int
dk_store_commit(dk_store *store)
{
	int rc;

	if (store->tx_depth <= 0)
		return dk_error_set(DK_ERROR, "commit without a transaction");
	if (store->tx_depth == 1)
		rc = run(store, "COMMIT");
	else
		rc = run(store, "RELEASE nested");
	if (rc == 0)
		store->tx_depth--;
	else
		dk_store_rollback(store);
	return rc;
}

void
dk_store_rollback(dk_store *store)
{
	if (store->tx_depth <= 0)
		return;
	/* After some errors (disk full, I/O) SQLite has already rolled the whole transaction
	 * back; nothing is open any more, at any depth. */
	if (sqlite3_get_autocommit(store->db)) {
		store->tx_depth = 0;
		return;
	}
	if (store->tx_depth == 1) {
		run(store, "ROLLBACK");
	} else {
		run(store, "ROLLBACK TO nested");
		run(store, "RELEASE nested");
	}
	store->tx_depth--;
}

int
dk_store_latest_version(void)
{
	int n;
	const dk_store_migration *m = dk_store__migrations(&n);

	return m[n - 1].version;
}

int
dk_store_schema_version(dk_store *store, int *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = 0;
	rc = sqlite3_prepare_v2(store->db,
				"SELECT coalesce(max(version), 0) FROM schema_migrations", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(st);
		/* No table yet is version 0; anything else is a real failure. */
		if (strstr(sqlite3_errmsg(store->db), "no such table"))
			return 0;
		return dk_store__fail(store, rc, "reading the schema version");
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return dk_store__fail(store, rc, "reading the schema version");
	return 0;
}

static int
migrate(dk_store *store)
{
	const dk_store_migration *m;
	int n, current, rc;

	if ((rc = dk_store_schema_version(store, &current)) < 0)
		return rc;
	m = dk_store__migrations(&n);
	if (current > m[n - 1].version)
		return dk_error_set(DK_ESTORE, "%s: database schema version %d is newer than this "
				    "diskops understands (%d); use a newer diskops", store->path,
				    current, m[n - 1].version);
	if (current == m[n - 1].version)
		return 0;

	if ((rc = dk_store_begin(store)) < 0)
		return rc;
	/* Re-read under the write lock: another process may have migrated meanwhile. */
	if ((rc = dk_store_schema_version(store, &current)) < 0)
		goto fail;
	rc = dk_store__exec(store, "CREATE TABLE IF NOT EXISTS schema_migrations ("
			    " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
			    " applied_at INTEGER NOT NULL)");
	if (rc < 0)
		goto fail;
	for (int i = 0; i < n; i++) {
		sqlite3_stmt *st = NULL;

		if (m[i].version <= current)
			continue;
		if ((rc = dk_store__exec(store, m[i].sql)) < 0) {
			dk_error_prefix("migration %d (%s)", m[i].version, m[i].name);
			goto fail;
		}
		if ((rc = dk_store__prepare(store, &st, "INSERT INTO schema_migrations"
					    " (version, name, applied_at) VALUES (?, ?, ?)")) < 0)
			goto fail;
		sqlite3_bind_int(st, 1, m[i].version);
		sqlite3_bind_text(st, 2, m[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, dk_clock_now());
		rc = sqlite3_step(st);
		dk_store__finish(store, st);
		if (rc != SQLITE_DONE) {
			rc = dk_store__fail(store, rc, "recording a migration");
			goto fail;
		}
		dk_log_debug("msg=\"schema migrated\" version=%d name=\"%s\"", m[i].version, m[i].name);
	}
	return dk_store_commit(store);
fail:
	dk_store_rollback(store);
	return rc;
}

/* Creates the file with 0600 before SQLite sees it; SQLite gives the -wal and -shm
 * files the same mode as the database. */
static int
create_private(const char *path, bool no_create)
{
	int fd;

	if (access(path, F_OK) == 0)
		return 0;
	if (no_create)
		return dk_error_set(DK_ENOTFOUND, "%s: no database here; run `diskops init`", path);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno != EEXIST)
		return dk_error_set(DK_EIO, "%s: cannot create database: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	return 0;
}

/* SQLite's allocation statistics take one process-wide mutex on every malloc, which the
 * serve threads then fight over; nothing reads them. Must precede SQLite's initialisation. */
static void
configure_sqlite(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int
dk_store_open(dk_store **out, const char *path, const dk_store_options *opts)
{
	dk_store_options defaults = DK_STORE_OPTIONS_INIT;
	dk_store *store = NULL;
	int rc;

	static pthread_once_t once = PTHREAD_ONCE_INIT;

	*out = NULL;
	pthread_once(&once, configure_sqlite);
	if (!opts)
		opts = &defaults;
	if ((rc = create_private(path, opts->no_create)) < 0)
		return rc;
	store = calloc(1, sizeof(*store));
	if (!store || !(store->path = strdup(path))) {
		free(store);
		return dk_error_set(DK_ENOMEM, "out of memory");
	}
	rc = sqlite3_open_v2(path, &store->db, SQLITE_OPEN_READWRITE |
			     (opts->one_thread ? SQLITE_OPEN_NOMUTEX : SQLITE_OPEN_FULLMUTEX),
			     opts->combine_wal_writes ? dk_store__walbuf_vfs() : NULL);
	if (rc != SQLITE_OK) {
		rc = dk_store__fail(store, rc, "opening the database");
		goto fail;
	}
	sqlite3_extended_result_codes(store->db, 1);
	sqlite3_busy_timeout(store->db, opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms
							       : DEFAULT_BUSY_TIMEOUT_MS);
	/* journal_mode is the first statement that reads the file: a corrupt one fails here. */
	if ((rc = dk_store__exec(store, "PRAGMA journal_mode=WAL")) < 0 ||
	    (rc = dk_store__exec(store, "PRAGMA synchronous=FULL")) < 0 ||
	    (rc = dk_store__exec(store, "PRAGMA foreign_keys=ON")) < 0 ||
	    /* Savepoint and statement journals in memory: on disk, every page a delivery
	     * touched under its savepoint was written once more to a temp file. */
	    (rc = dk_store__exec(store, "PRAGMA temp_store=MEMORY")) < 0 ||
	    (rc = migrate(store)) < 0)
		goto fail;
	*out = store;
	return 0;
fail:
	dk_store_free(store);
	return rc;
}

void
dk_store_free(dk_store *store)
{
	if (!store)
		return;
	while (store->tx_depth > 0)
		dk_store_rollback(store);
	cache_clear(store);
	sqlite3_close_v2(store->db);
	free(store->path);
	free(store);
}

const char *
dk_store_path(const dk_store *store)
{
	return store->path;
}

int
dk_store_data_version(dk_store *store, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = dk_store__prepare(store, &st, "PRAGMA data_version")) < 0)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	dk_store__finish(store, st);
	return rc == SQLITE_ROW ? 0 : dk_store__fail(store, rc, "reading data_version");
}

#ifndef DISKOPS_STORE_INTERNAL_H
#define DISKOPS_STORE_INTERNAL_H

/* Shared by core/store*.c only: the handle and the statement helpers. */

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diskops/store.h"

/*
 * Prepared statements are kept per connection and reused: on the webhook path SQLite's
 * parser cost more than the writes themselves. A statement in use is taken out of the
 * cache until dk_store__finish puts it back, so nested queries never share one.
 */
#define DK_STORE_STMT_CACHE 96

struct dk_store_cached {
	sqlite3_stmt *st;
	const char *sql;        /* the address it was last asked for by; a hint only */
	uint32_t hash;
	int in_use;
};

struct dk_store {
	sqlite3 *db;
	char *path;
	int tx_depth;
	void (*on_commit)(void *arg, int wal_frames);
	void *on_commit_arg;
	struct dk_store_cached cache[DK_STORE_STMT_CACHE];
};

typedef struct {
	int version;
	const char *name;
	const char *sql;
} dk_store_migration;

/* The numbered migrations, oldest first (core/store_schema.c). */
const dk_store_migration *dk_store__migrations(int *count);

/* The name of the VFS that gathers a commit's WAL frames into one write (core/
 * store_walbuf.c), NULL if it cannot be had. */
const char *dk_store__walbuf_vfs(void);

/* Turns the connection's last SQLite error into a DK_E* code and message. */
int dk_store__fail(dk_store *store, int sqlite_rc, const char *what);

/*
 * A ready statement for `sql`, reused from the connection's cache when one is free.
 * Give it back with dk_store__finish, never sqlite3_finalize (poisoned below).
 */
int dk_store__prepare(dk_store *store, sqlite3_stmt **out, const char *sql);
/* Resets a statement from dk_store__prepare and returns it to the cache (NULL is fine). */
void dk_store__finish(dk_store *store, sqlite3_stmt *st);
/* Binds a string, or NULL for NULL. */
void dk_store__bind_text(sqlite3_stmt *st, int idx, const char *value);
/* Binds an int64, or NULL when the value is 0 (unset times). */
void dk_store__bind_time(sqlite3_stmt *st, int idx, int64_t value);
/* strdup of a column, NULL for SQL NULL. */
char *dk_store__text(sqlite3_stmt *st, int col);
/* Runs a statement without rows to completion (SQLITE_DONE → 0). */
int dk_store__exec(dk_store *store, const char *sql);

/* Grows a list's item array by one zeroed element; returns it or NULL. */
void *dk_store__list_grow(void **items, size_t *count, size_t size);

/*
 * Steps a prepared statement to the end, reading each row into a new element of
 * (*items, *count) with `read`. Finishes the statement. On failure the elements read so
 * far stay in the list for the caller to free with the list.
 */
int dk_store__collect(dk_store *store, sqlite3_stmt *st, void **items, size_t *count,
		      size_t size, void (*read)(sqlite3_stmt *st, void *row), const char *what);

/* How dk_store__find_one reads one kind of row (core/store_lookup.c). */
typedef struct {
	const char *what;               /* "webhook": "webhook X not found", "webhook id prefix X is ambiguous…" */
	const char *reading;            /* for store errors: "reading webhooks" */
	const char *select;             /* the columns and the FROM clause */
	const char *account_column;     /* "account_id" or "p.account_id" */
	const char *id_column;
	const char *name_match;         /* SQL that is true when the row's name is ?2; NULL: ids only */
	size_t size;                    /* of the row struct */
	void (*read)(sqlite3_stmt *st, void *row);
	void (*free_row)(void *row);
} dk_store__lookup;

/*
 * One row of the account by exact id, else by name (when the kind has one), else by a
 * unique id prefix of 8+ characters. DK_ENOTFOUND when nothing matches, DK_EINVALID when
 * a prefix matches several rows. *out is allocated with l->size and read with l->read.
 */
int dk_store__find_one(dk_store *store, void **out, const dk_store__lookup *l,
		       const char *account_id, const char *key);

/* A cached statement finalized behind the cache's back would be used after free. */
#ifndef DK_STORE_CORE
#pragma GCC poison sqlite3_finalize
#endif

#endif

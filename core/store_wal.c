#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "diskops/error.h"
#include "store_internal.h"

/*
 * The group commit's writer hands fsync and checkpoints to other threads, so the next
 * batch runs while the disk syncs the last one. SQLite's WAL makes that safe: a commit
 * is the frames up to its commit frame, replayed after a crash only if their checksums
 * hold, so syncing the WAL file after the commit returned makes exactly that commit
 * (and all before it) durable — what synchronous=FULL would have done inside it.
 */

int
dk_store_defer_durability(dk_store *store)
{
	/* NORMAL still syncs the WAL header on a restart and around checkpoints; it only
	 * stops syncing at each commit. */
	return dk_store__exec(store, "PRAGMA synchronous=NORMAL");
}

int
dk_store_wal_open(dk_store *store, int *fd)
{
	const char *wal = sqlite3_filename_wal(sqlite3_db_filename(store->db, "main"));

	if (!wal)
		return dk_error_set(DK_ESTORE, "%s: the database has no WAL file name", store->path);
	/* Any descriptor syncs the file; SQLite's own stays private to the connection. */
	if ((*fd = open(wal, O_RDONLY | O_CLOEXEC)) < 0)
		return dk_error_set(DK_EIO, "%s: cannot open for sync: %s", wal, strerror(errno));
	return 0;
}

static int
wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	dk_store *store = arg;

	(void)db;
	(void)name;
	if (store->on_commit)
		store->on_commit(store->on_commit_arg, frames);
	return SQLITE_OK;
}

void
dk_store_on_commit(dk_store *store, void (*fn)(void *arg, int wal_frames), void *arg)
{
	store->on_commit = fn;
	store->on_commit_arg = arg;
	/* Replaces SQLite's automatic checkpoint on this connection (it is a WAL hook too). */
	sqlite3_wal_hook(store->db, fn ? wal_hook : NULL, fn ? store : NULL);
	if (!fn)
		sqlite3_wal_autocheckpoint(store->db, 1000);
}

int
dk_store_checkpoint(dk_store *store, int *wal_frames, int *copied)
{
	int log = 0, done = 0;
	int rc = sqlite3_wal_checkpoint_v2(store->db, "main", SQLITE_CHECKPOINT_PASSIVE, &log,
					   &done);

	if (wal_frames)
		*wal_frames = log;
	if (copied)
		*copied = done;
	/* PASSIVE does what it can beside readers and writers; BUSY only means it could not
	 * start this time. */
	if (rc != SQLITE_OK && rc != SQLITE_BUSY)
		return dk_store__fail(store, rc, "checkpointing the WAL");
	return 0;
}
